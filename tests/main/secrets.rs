//! No secret reaches a report or the console. A recording proxy on 127.0.0.1 sits between
//! gatecheck and `gatecheck serve` and keeps every byte; every secret is read back from that
//! traffic (passwords sent: `newPwd`, `password`, the decoded `Authorization: Basic`; what the
//! gateway issued: `token`, `accessToken`, `refreshToken`, `code` in any answer; T1 in a
//! test-support path; an `X-Test-Support-Token`), then every file a clean `run`, a failing
//! `run`, a short `fuzz` and a short `load` wrote, and their stdout and stderr, are searched
//! for each (values written in the suite's own scenario files, and `letters(n)`, are no secret and
//! left out).
//! The same search over a `--reveal-secrets` run must find them, so the search
//! cannot pass by finding nothing. Run with `--nocapture` for the counts.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::support::{gatecheck, repo_path, serve, temp_dir, Served};

#[path = "secrets/files.rs"]
mod files;

/// Secrets shorter than this are left out of the search: they would match unrelated text.
const MIN_SEARCHED: usize = 6;

/// Both directions of one proxied connection.
#[derive(Default)]
pub(crate) struct Connection {
    sent: Vec<u8>,
    answered: Vec<u8>,
}

pub(crate) type Log = Arc<Mutex<Vec<Arc<Mutex<Connection>>>>>;

/// A proxy in front of `upstream` that records every connection; lives until the process ends.
pub(crate) fn recording_proxy(upstream: &str) -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let upstream = upstream.trim_start_matches("http://").to_owned();
    let log: Log = Arc::default();
    let connections = Arc::clone(&log);
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let record = Arc::new(Mutex::new(Connection::default()));
            connections.lock().expect("log").push(Arc::clone(&record));
            let (c2, s2) = (
                client.try_clone().expect("clone"),
                server.try_clone().expect("clone"),
            );
            let up = Arc::clone(&record);
            std::thread::spawn(move || copy(client, server, &up, true));
            std::thread::spawn(move || copy(s2, c2, &record, false));
        }
    });
    (url, log)
}

fn copy(mut from: TcpStream, mut to: TcpStream, record: &Mutex<Connection>, sent: bool) {
    let mut buffer = [0u8; 16 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buffer) {
        let mut record = record.lock().expect("record");
        let side = if sent {
            &mut record.sent
        } else {
            &mut record.answered
        };
        side.extend_from_slice(&buffer[..n]);
        drop(record);
        if to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// One HTTP/1.1 message read back from the bytes: the request path, headers and body.
struct Message {
    path: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn messages(mut bytes: &[u8], requests: bool) -> Vec<Message> {
    let mut out = Vec::new();
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let (head, path, parsed) = if requests {
            let mut request = httparse::Request::new(&mut headers);
            let Ok(httparse::Status::Complete(n)) = request.parse(bytes) else {
                break;
            };
            (n, request.path.map(str::to_owned), request.headers.to_vec())
        } else {
            let mut response = httparse::Response::new(&mut headers);
            let Ok(httparse::Status::Complete(n)) = response.parse(bytes) else {
                break;
            };
            (n, None, response.headers.to_vec())
        };
        let headers: Vec<(String, String)> = parsed
            .iter()
            .map(|h| {
                (
                    h.name.to_ascii_lowercase(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let rest = &bytes[head..];
        let (body, used) = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            dechunk(rest)
        } else {
            let length = header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let length = length.min(rest.len());
            (rest[..length].to_vec(), length)
        };
        out.push(Message {
            path,
            headers,
            body,
        });
        bytes = &rest[used..];
    }
    out
}

fn dechunk(mut bytes: &[u8]) -> (Vec<u8>, usize) {
    let (mut body, start) = (Vec::new(), bytes.len());
    while let Some(line_end) = bytes.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&bytes[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
            .unwrap_or(0);
        let chunk = line_end + 2;
        let end = (chunk + size).min(bytes.len());
        body.extend_from_slice(&bytes[chunk..end]);
        bytes = &bytes[(end + 2).min(bytes.len())..];
        if size == 0 {
            break;
        }
    }
    (body, start - bytes.len())
}

/// Every secret value the recorded traffic carried.
pub(crate) fn secrets_of(log: &Log) -> BTreeSet<String> {
    let mut secrets = BTreeSet::new();
    for connection in log.lock().expect("log").iter() {
        let connection = connection.lock().expect("connection");
        for request in messages(&connection.sent, true) {
            let path = request.path.as_deref().unwrap_or_default();
            if let Some(t1) = path.strip_prefix("/test/v1/captcha/") {
                secrets.insert(t1.to_owned());
            }
            for (name, value) in &request.headers {
                match (name.as_str(), value.split_once(' ')) {
                    ("authorization", Some((_, encoded))) => {
                        secrets.insert(encoded.to_owned());
                        let decoded = basic(encoded);
                        if let Some((_, password)) = decoded.split_once(':') {
                            secrets.insert(password.to_owned());
                        }
                    }
                    ("x-test-support-token", _) => {
                        secrets.insert(value.clone());
                    }
                    _ => {}
                }
            }
            json_values(&request.body, &["newPwd", "password"], &mut secrets);
        }
        for answer in messages(&connection.answered, false) {
            let issued = ["token", "accessToken", "refreshToken", "code"];
            json_values(&answer.body, &issued, &mut secrets);
        }
    }
    // A literal of the suite's own files, or `letters(n)` (the alphabet over and over, a
    // password policy's lowercase-only try), is no secret.
    let mut known = scenario_text(&repo_path("scenarios"));
    known.push_str(&"abcdefghijklmnopqrstuvwxyz".repeat(100));
    secrets.retain(|s| s.chars().count() >= MIN_SEARCHED && !known.contains(s.as_str()));
    secrets
}

fn scenario_text(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).expect("scenarios").flatten() {
        let path = entry.path();
        if path.is_dir() {
            text.push_str(&scenario_text(&path));
        } else if path.extension().is_some_and(|e| e == "yaml") {
            text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    text
}

fn basic(encoded: &str) -> String {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn json_values(body: &[u8], names: &[&str], into: &mut BTreeSet<String>) {
    fn walk(value: &Value, names: &[&str], into: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match inner {
                        Value::String(s) if names.contains(&key.as_str()) => {
                            into.insert(s.clone());
                        }
                        other => walk(other, names, into),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, names, into)),
            _ => {}
        }
    }
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        walk(&value, names, into);
    }
}

/// Every file under `dir`, and the console of each command, as (name, text).
fn artifacts(dir: &Path, consoles: &[(&str, &Output)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                out.push((
                    path.display().to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
    }
    for (name, output) in consoles {
        out.push((
            format!("{name} stdout"),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ));
        out.push((
            format!("{name} stderr"),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
    }
    out
}

/// Where each secret occurs: a value of digits only (a code) where no letter, digit or point
/// touches it, as a code shows in any text (`"123456"`, `code 123456`), so that a request id's
/// hex or a latency's decimals cannot match by chance.
pub(crate) fn hits(
    secrets: &BTreeSet<String>,
    texts: &[(String, String)],
) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (name, text) in texts {
        for secret in secrets {
            let digits = secret.bytes().all(|b| b.is_ascii_digit());
            let occurs = text.match_indices(secret.as_str()).any(|(at, _)| {
                let touches =
                    |i: Option<&u8>| i.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.');
                !digits
                    || !(touches(text.as_bytes().get(at + secret.len()))
                        || at > 0 && touches(text.as_bytes().get(at - 1)))
            });
            if occurs {
                found.push((name.clone(), secret.chars().take(8).collect()));
            }
        }
    }
    found
}

fn gatecheck_in(dir: &Path, args: &[&str]) -> Output {
    gatecheck()
        .current_dir(repo_path("."))
        .args(args)
        .arg("--reports")
        .arg(dir)
        .output()
        .expect("gatecheck runs")
}

pub(crate) struct Proxied {
    _served: Served,
    pub(crate) url: String,
    pub(crate) log: Log,
}

pub(crate) fn proxied(args: &[&str]) -> Proxied {
    let served = serve(args);
    let (url, log) = recording_proxy(&served.url);
    Proxied {
        _served: served,
        url,
        log,
    }
}

fn reports_dir(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

#[test]
fn no_secret_reaches_a_report_or_the_console() {
    let clean = proxied(&[]);
    let leaky = proxied(&["--fault", "leak-code"]);
    let dir = reports_dir("secrets-scan");
    let run_clean = gatecheck_in(&dir, &["run", "--target", &clean.url]);
    assert_eq!(
        run_clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run_clean.stdout)
    );
    let run_failing = gatecheck_in(&dir, &["run", "--target", &leaky.url]);
    assert_eq!(
        run_failing.status.code(),
        Some(1),
        "the leaky gateway fails the suite"
    );
    let fuzz = gatecheck_in(
        &dir,
        &[
            "fuzz", "--target", &leaky.url, "--cases", "40", "--seed", "7", "--quiet",
        ],
    );
    assert_eq!(
        fuzz.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&fuzz.stdout)
    );
    let load = gatecheck_in(
        &dir,
        &[
            "load",
            "scenarios/load/reset_flow.yaml",
            "--target",
            &clean.url,
            "--vus",
            "4",
            "--iterations",
            "40",
            "--warmup",
            "0s",
            "--quiet",
        ],
    );
    assert!(
        load.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );
    let mut secrets = secrets_of(&clean.log);
    secrets.extend(secrets_of(&leaky.log));
    let consoles = [
        ("run", &run_clean),
        ("failing run", &run_failing),
        ("fuzz", &fuzz),
        ("load", &load),
    ];
    let texts = artifacts(&dir, &consoles);
    let found = hits(&secrets, &texts);
    println!(
        "secrets scan: {} secrets extracted from the traffic, {} files and consoles scanned, {} hits",
        secrets.len(),
        texts.len(),
        found.len()
    );
    assert!(
        secrets.len() > 500,
        "the traffic carried secrets: {}",
        secrets.len()
    );
    assert!(
        texts.len() >= 12,
        "every report was written: {}",
        texts.len()
    );
    assert!(found.is_empty(), "secrets in reports: {found:?}");
}

#[test]
fn revealed_secrets_are_found_and_every_report_says_so() {
    let leaky = proxied(&["--fault", "leak-code"]);
    let dir = reports_dir("secrets-revealed");
    let run = gatecheck_in(&dir, &["run", "--target", &leaky.url, "--reveal-secrets"]);
    assert_eq!(run.status.code(), Some(1));
    let secrets = secrets_of(&leaky.log);
    let texts = artifacts(&dir, &[("revealing run", &run)]);
    let found = hits(&secrets, &texts);
    println!(
        "revealed: {} secrets extracted, {} files and consoles scanned, {} hits",
        secrets.len(),
        texts.len(),
        found.len()
    );
    let in_file = |end: &str| found.iter().any(|(name, _)| name.ends_with(end));
    assert!(
        in_file("results.json") && in_file("revealing run stdout"),
        "{found:?}"
    );
    let text = |end: &str| {
        &texts
            .iter()
            .find(|(name, _)| name.ends_with(end))
            .expect(end)
            .1
    };
    let banner = gatecheck::redact::REVEALED;
    assert!(text("results.json").contains("\"secrets_revealed\":true"));
    assert!(text("summary.md").starts_with(&format!("**{banner}**")));
    assert!(text("junit.xml").contains(banner));
    assert!(text("revealing run stdout").contains(banner));
}
