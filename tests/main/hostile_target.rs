//! A hostile target: answers garbage, non-JSON, truncated and huge bodies, wrong content
//! types, stalls past the timeout and closed connections. Each must come back as a recorded
//! failure with a clear reason, with bounded memory (the body cap) and no hang or panic.

use std::time::{Duration, Instant};

use gatecheck::profile::CodeOracle;
use gatecheck::runner::record::{ScenarioRecord, Verdict};
use gatecheck::runner::RunOptions;
use std::path::Path;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use tokio::net::TcpListener;

use crate::support::report_files::{assert_xml_parses, run_dir, sizes};
use crate::support::{profile_without_test_support, repo_path, run_path};

#[derive(Debug, Clone, Copy)]
enum Mode {
    NotJson,
    Truncated,
    Huge,
    WrongContentType,
    Stall,
    Close,
    Garbage,
}

/// Serves `mode` to every POST/PUT; a plain 200 to the reachability probe (GET /).
async fn hostile_server(mode: Mode) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 65536];
                let n = socket.read(&mut buffer).await.unwrap_or(0);
                let probe = buffer[..n].starts_with(b"GET ");
                if probe {
                    let _ = socket
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                        )
                        .await;
                    return;
                }
                let _ = match mode {
                    Mode::NotJson => socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 9\r\nconnection: close\r\n\r\n<html>hi<").await,
                    Mode::Truncated => socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\nconnection: close\r\n\r\n{\"token\": \"abc").await,
                    Mode::Huge => {
                        let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n").await;
                        let chunk = format!("{:x}\r\n{}\r\n", 65536, "x".repeat(65536));
                        for _ in 0..512 {
                            if socket.write_all(chunk.as_bytes()).await.is_err() {
                                break;
                            }
                        }
                        Ok(())
                    }
                    Mode::WrongContentType => socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello").await,
                    Mode::Stall => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        Ok(())
                    }
                    Mode::Close => socket.shutdown().await,
                    Mode::Garbage => socket.write_all(b"\x00\x01garbage that is not HTTP\r\n\r\n").await,
                };
            });
        }
    });
    format!("http://{addr}")
}

async fn run_against(url: String) -> ScenarioRecord {
    let profile =
        profile_without_test_support(&[r#"{user: "+8613600000000", password: "Init#Pass00"}"#]);
    let mut options = RunOptions::new(profile);
    options.session.target = Some(url);
    options.session.client.timeout = Duration::from_millis(700);
    options.session.client.max_body = 256 * 1024;
    options.session.code_oracle = Some(CodeOracle::Fixed("000000".into()));
    let record = run_path(&repo_path("scenarios/happy/phone_user.yaml"), &options).await;
    record.scenarios.into_iter().next().expect("one scenario")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_answer_is_a_recorded_failure_with_a_reason() {
    let cases = [
        (Mode::NotJson, "body /token"),
        (Mode::Truncated, "transport"),
        (Mode::Huge, "byte cap"),
        (Mode::WrongContentType, "body /token"),
        (Mode::Stall, "timed out"),
        (Mode::Close, "transport"),
        (Mode::Garbage, "transport"),
    ];
    for (mode, reason) in cases {
        let started = Instant::now();
        let scenario = run_against(hostile_server(mode).await).await;
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{mode:?} took {:?}",
            started.elapsed()
        );
        assert_eq!(scenario.verdict, Verdict::Failed, "{mode:?}: {scenario:?}");
        let step = &scenario.steps[0];
        let checks: Vec<String> = step
            .failures
            .iter()
            .map(|f| format!("{}: expected {}, got {}", f.check, f.expected, f.actual))
            .collect();
        let text = format!("{checks:?} {:?}", step.transport_error());
        assert!(
            text.contains(reason),
            "{mode:?}: expected a reason mentioning {reason:?}, got {text}"
        );
    }
}

// A hostile target in front of a reference gateway: the test-support endpoints are forwarded
// to it (so users, CAPTCHA answers and codes can be had, and `load` and `fuzz` run), every call
// of the API gets a hostile answer whose every value is new: Markdown and HTML injection,
// terminal controls, bidi overrides and characters XML forbids, in bodies, headers, error codes
// and messages, and big bodies. Nothing of it may reach a report or the console as markup.

/// The hostile part of the `n`th answer, unique to it.
fn injection(n: u64) -> String {
    format!(
        "# H{n}\n## h{n}\n- [link{n}](http://evil.example/{n}) ![img{n}](http://evil.example/{n}.png) \
         <img src=x onerror=alert({n})><script>alert({n})</script> | pipe | `tick` *em* \
         \x1b[2J\x1b]0;title{n}\x07\rFAKE PASS\u{202e}{n}\u{2066}\x0b\u{ffff}\x7f\u{85} www.evil.example"
    )
}

/// The `n`th hostile answer: status, extra headers, content type and body.
fn hostile_answer(n: u64) -> Vec<u8> {
    let text = injection(n);
    let (status, content_type, body) = match n % 4 {
        0 => (400, "application/json", serde_json::json!({"error_code": format!("USG.{n}{text}"), "error_msg": text}).to_string()),
        1 => (200, "application/json", serde_json::json!({"accessToken": text, "shadowImage": text, "slideImage": text, "pad": format!("{n}").repeat(8000)}).to_string()),
        2 => (500, "text/plain", format!("{text}\x00{}", "z".repeat(30_000))),
        _ => (403, "text/html", format!("<html>{text}</html>")),
    };
    // Header values may carry no controls (the transport refuses the answer); the rest goes in.
    let header = format!("rid-{n}-<b>#x</b>|[a](http://evil.example)\u{202e}");
    let mut answer = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\nx-request-id: {header}\r\nx-unique-{n}: {header}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(body.as_bytes());
    answer
}

/// Reads one request: its head's first line and its body (by Content-Length).
async fn read_request(
    socket: &mut tokio::net::TcpStream,
) -> Option<(String, Vec<(String, String)>, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = socket.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let first = lines.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        body.extend_from_slice(&chunk[..n]);
    }
    Some((first, headers, body))
}

/// Forwards a test-support request to the reference gateway at `upstream`.
async fn forward(
    upstream: &str,
    first: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> Vec<u8> {
    let mut parts = first.split(' ');
    let method = parts.next().unwrap_or("GET");
    let path = parts.next().unwrap_or("/");
    let mut request = reqwest::Client::new().request(
        reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
        format!("{upstream}{path}"),
    );
    for (name, value) in headers {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            request = request.header(name, value);
        }
    }
    let answer = request.body(body).send().await.expect("upstream answers");
    let status = answer.status().as_u16();
    let content_type = answer
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    let body = answer.bytes().await.expect("upstream body");
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

/// The hostile target's URL; it runs until the test's runtime ends.
async fn hostile_proxy() -> String {
    let gateway = crate::support::spawn_gateway(crate::support::config(Vec::new())).await;
    let upstream = gateway.base_url();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    tokio::spawn(async move {
        let _gateway = gateway;
        while let Ok((mut socket, _)) = listener.accept().await {
            let (upstream, counter) = (upstream.clone(), counter.clone());
            tokio::spawn(async move {
                let Some((first, headers, body)) = read_request(&mut socket).await else {
                    return;
                };
                let answer = if first.contains(" /test/") {
                    forward(&upstream, &first, &headers, body).await
                } else {
                    hostile_answer(counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                };
                let _ = socket.write_all(&answer).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

/// Nothing but `\n` and printable text: no control character, no bidi control.
fn assert_console_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for (line, text) in text.lines().enumerate() {
        let bad = text.chars().find(|c| {
            c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        });
        assert!(
            bad.is_none(),
            "{what} line {}: {bad:?} in {text:?}",
            line + 1
        );
    }
}

/// summary.md as a Markdown reader sees it: the headings gatecheck writes (its title, Failures,
/// a failed scenario and its file), list items that are its failure lines, table rows as wide
/// as their header, and no link, image or HTML at all.
pub(crate) fn assert_markdown_clean(path: &Path) {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let text = std::fs::read_to_string(path).expect("summary.md");
    let mut open: Option<(String, String)> = None; // (what, its text so far)
    let (mut header_cells, mut row_cells) = (0, 0);
    for event in Parser::new_ext(&text, Options::ENABLE_TABLES) {
        match event {
            // The coverage matrix's one disclosure, gatecheck's own.
            Event::Html(html)
                if html.starts_with("<details><summary>All ") || html.trim() == "</details>" => {}
            Event::Start(Tag::Link { .. } | Tag::Image { .. })
            | Event::Html(_)
            | Event::InlineHtml(_) => {
                panic!("{}: {event:?} injected", path.display())
            }
            Event::Start(Tag::Heading { level, .. }) => {
                open = Some((format!("{level:?}"), String::new()))
            }
            Event::Start(Tag::Item) => open = Some(("item".into(), String::new())),
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, text)) = &mut open {
                    text.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_) | TagEnd::Item) => {
                let (what, text) = open.take().expect("open");
                let own = match what.as_str() {
                    "H1" => text.starts_with("gatecheck "),
                    "H2" => text == "Failures" || text == "Coverage",
                    "H3" => text.ends_with(".yaml)"),
                    "item" => text.starts_with("step "),
                    _ => false,
                };
                assert!(
                    own,
                    "{}: a {what} gatecheck did not write: {text:?}",
                    path.display()
                );
            }
            Event::Start(Tag::TableCell) => row_cells += 1,
            Event::End(TagEnd::TableHead) => (header_cells, row_cells) = (row_cells, 0),
            Event::End(TagEnd::TableRow) => {
                assert_eq!(
                    row_cells,
                    header_cells,
                    "{}: a row with cells added",
                    path.display()
                );
                row_cells = 0;
            }
            _ => {}
        }
    }
}

/// `gatecheck ARGS --reports DIR`, run to its end off the runtime (the target runs on it).
async fn gatecheck_against(args: Vec<String>, reports: &Path) -> std::process::Output {
    let reports = reports.to_owned();
    tokio::task::spawn_blocking(move || {
        crate::support::gatecheck()
            .args(&args)
            .arg("--reports")
            .arg(&reports)
            .output()
            .expect("gatecheck runs")
    })
    .await
    .expect("joined")
}

/// The bound each report keeps, whatever the target says (results.json and fuzz.json are
/// records, not renderings: their figures are printed, not bounded here).
const REPORT_BOUND: u64 = 100_000;
/// report.html carries the coverage matrix too (about 60 KB whatever the target answers).
const HTML_BOUND: u64 = 200_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_target_cannot_write_markup_or_controls_into_reports_and_they_stay_small() {
    let url = hostile_proxy().await;
    let dir = crate::support::temp_dir("hostile-reports");
    let scenarios = repo_path("scenarios").display().to_string();
    let reset_flow = repo_path("scenarios/load/reset_flow.yaml")
        .display()
        .to_string();
    let target = |more: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = more.iter().map(|s| s.to_string()).collect();
        args.extend([
            "--target".into(),
            url.clone(),
            "--timeout".into(),
            "2s".into(),
        ]);
        args
    };
    let commands = [
        ("run", target(&["run", &scenarios])),
        (
            "load",
            target(&[
                "load",
                &reset_flow,
                "--vus",
                "4",
                "--duration",
                "2s",
                "--warmup",
                "0s",
                "--quiet",
            ]),
        ),
        (
            "fuzz",
            target(&[
                "fuzz",
                "--cases",
                "30",
                "--keep-going",
                "--time-limit",
                "8s",
                "--seed",
                "7",
                "--quiet",
            ]),
        ),
    ];
    let mut figures = Vec::new();
    for (command, args) in commands {
        let reports = dir.join(command);
        let started = Instant::now();
        let output = gatecheck_against(args, &reports).await;
        figures.push(format!(
            "{command} took {:.1} s",
            started.elapsed().as_secs_f64()
        ));
        assert_eq!(
            output.status.code(),
            Some(1),
            "{command}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_console_clean(&format!("{command} stdout"), &output.stdout);
        assert_console_clean(&format!("{command} stderr"), &output.stderr);
        let run = run_dir(&reports);
        for (path, size) in sizes(&run) {
            let name = path.rsplit('/').next().unwrap_or("").to_owned();
            match name.as_str() {
                "summary.md" => assert_markdown_clean(Path::new(&path)),
                "junit.xml" => assert_xml_parses(Path::new(&path)),
                "report.html" => {
                    let html = std::fs::read_to_string(&path).expect("report.html");
                    for element in ["<script", "<img", "<iframe"] {
                        assert!(!html.contains(element), "{path}: {element} injected");
                    }
                    // The run's page links its failing scenarios within itself, nothing else.
                    let own = html.matches("<a href=\"#scenario-").count();
                    assert_eq!(html.matches("<a ").count(), own, "{path}: <a injected");
                    if command != "load" {
                        crate::run_html::assert_xhtml_parses(&path, &html);
                    }
                }
                _ => {}
            }
            if command == "load" && name == "summary.json" {
                // Flows finding no free user once starved the run's timer: 61 s for 2 s.
                let summary = std::fs::read_to_string(&path).expect("summary");
                let summary: serde_json::Value = serde_json::from_str(&summary).expect("json");
                let measured = summary["measured_s"].as_f64().expect("measured_s");
                assert!(measured < 10.0, "{summary}");
            }
            if !matches!(name.as_str(), "results.json" | "fuzz.json") {
                let bound = if name == "report.html" {
                    HTML_BOUND
                } else {
                    REPORT_BOUND
                };
                assert!(size < bound, "{path}: {size} bytes");
            }
            figures.push(format!(
                "{command} {}: {size} bytes",
                path.trim_start_matches(&format!("{}/", run.display()))
            ));
        }
    }
    // The figures for the closing note (`--nocapture` shows them).
    println!(
        "report sizes against a target with a new value in every answer:\n  {}",
        figures.join("\n  ")
    );
}
