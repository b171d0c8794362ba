//! A hostile target: answers garbage, non-JSON, truncated and huge bodies, wrong content
//! types, stalls past the timeout and closed connections. Each must come back as a recorded
//! failure with a clear reason, with bounded memory (the body cap) and no hang or panic.

use std::time::{Duration, Instant};

use gatecheck::profile::CodeOracle;
use gatecheck::runner::record::{ScenarioRecord, Verdict};
use gatecheck::runner::RunOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

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
