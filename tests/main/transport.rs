//! gatecheck's HTTP client against a hand-written loopback server: kept-alive connections are
//! reused, and a server that closes each connection after answering (as gateways do at their
//! idle or request limits) costs a new connection, never a failed request: the pool drops
//! connections it sees closed, and an idempotent request that a kept-alive connection closed
//! on unanswered goes again on a fresh one (a POST does not: it may have been acted on).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gatecheck::runner::target::{ClientOptions, Prepared, Target};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::get;

/// Answers every request `200 {}`; with `close_after_answer` it closes the connection after
/// each answer without saying so first. Returns its URL and a count of connections accepted.
async fn server(close_after_answer: bool) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    // One request per read is enough here: the client sends one at a time.
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    if !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                        continue;
                    }
                    buffer.clear();
                    let answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
                    if socket.write_all(answer).await.is_err() {
                        return;
                    }
                    if close_after_answer {
                        // Let the client take the connection back to its pool before it dies.
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        return;
                    }
                }
            });
        }
    });
    (url, accepted)
}

#[tokio::test]
async fn sequential_requests_share_one_kept_alive_connection() {
    let (url, accepted) = server(false).await;
    let target = Target::new(&url, ClientOptions::default()).expect("target");
    for _ in 0..20 {
        let answer = target.send(&get("/")).await.expect("answer");
        assert_eq!(answer.status, 200);
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_connection_the_server_closed_is_replaced_not_failed() {
    let (url, accepted) = server(true).await;
    let target = Target::new(&url, ClientOptions::default()).expect("target");
    for i in 0..20 {
        let answer = target.send(&get("/")).await;
        assert!(answer.is_ok(), "request {i}: {:?}", answer.err());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 20);
}

#[tokio::test]
async fn a_host_header_set_by_the_scenario_replaces_the_default() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut head = Vec::new();
        let mut chunk = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut chunk).await.expect("read");
            assert!(n > 0, "closed before the head ended");
            head.extend_from_slice(&chunk[..n]);
        }
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        socket.write_all(answer).await.expect("write");
        String::from_utf8_lossy(&head).to_lowercase()
    });
    let target = Target::new(&url, ClientOptions::default()).expect("target");
    let request = Prepared {
        headers: vec![("Host".into(), "gateway.example".into())],
        ..get("/")
    };
    target.send(&request).await.expect("answer");
    let head = seen.await.expect("server");
    assert_eq!(head.matches("\r\nhost:").count(), 1, "{head}");
    assert!(head.contains("\r\nhost: gateway.example\r\n"), "{head}");
    assert!(head.contains("\r\nuser-agent: gatecheck/"), "{head}");
}

/// Answers the first request on each connection and closes on the second without a word, as a
/// server does whose idle timeout fires just as a request arrives.
async fn one_answer_per_connection() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut chunk = [0u8; 4096];
                for answered in [false, true] {
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut chunk).await {
                            Ok(n) if n > 0 => head.extend_from_slice(&chunk[..n]),
                            _ => return,
                        }
                    }
                    head.clear();
                    if answered {
                        return;
                    }
                    let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
                    if socket.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

#[tokio::test]
async fn an_idempotent_request_unanswered_on_a_reused_connection_goes_again() {
    let url = one_answer_per_connection().await;
    let target = Target::new(&url, ClientOptions::default()).expect("target");
    let put = Prepared {
        method: hyper::Method::PUT,
        body: Some(bytes::Bytes::from_static(b"{}")),
        ..get("/")
    };
    target.send(&put).await.expect("first answer");
    let again = target.send(&put).await;
    assert!(again.is_ok(), "{:?}", again.err());
    // A POST may have been acted on: it is not sent twice, the failure is reported.
    let post = Prepared {
        method: hyper::Method::POST,
        ..put
    };
    let failed = target.send(&post).await.expect_err("no retry for POST");
    assert_eq!(
        failed.kind,
        gatecheck::transport::TransportKind::Closed,
        "{failed}"
    );
    assert!(
        failed.message.contains("closed before an answer"),
        "{failed}"
    );
}

#[tokio::test]
async fn framing_headers_from_a_scenario_are_refused() {
    let (url, accepted) = server(false).await;
    let target = Target::new(&url, ClientOptions::default()).expect("target");
    let request = Prepared {
        headers: vec![("Content-Length".into(), "99".into())],
        ..get("/")
    };
    let refused = target.send(&request).await.expect_err("refused");
    assert_eq!(
        refused.kind,
        gatecheck::transport::TransportKind::InvalidRequest,
        "{refused}"
    );
    assert!(refused.message.contains("frames the body"), "{refused}");
    assert_eq!(accepted.load(Ordering::SeqCst), 0);
}
