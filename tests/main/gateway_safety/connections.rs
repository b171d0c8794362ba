//! Random requests pipelined on raw kept-alive TCP connections: every one gets a complete
//! answer, or an earlier answer said `Connection: close` before the socket closed. The
//! gateway used to answer a 404/405, or a refusal of a body past the cap, without reading the
//! body and then drop the connection: the requests behind it met a reset.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support as harness;

const PATHS: [&str; 12] = [
    "/v1/usg/acs/auth/slideverifycode/send",
    "/v1/usg/acs/auth/slideverifycode/check",
    "/v1/usg/acs/verifycode/send",
    "/v1/usg/acs/verifycode/check",
    "/v1/usg/acs/password/reset",
    "/v1/usg/acs/auth/account",
    "/test/v1/users",
    "/test/v1/clock/advance",
    "/test/v1/outbox/latest?user=%2B8613600000000",
    "/test/v1/captcha/abc",
    "/",
    "/nothing/here",
];
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];

/// One random request: its bytes, and whether its answer has no body (HEAD).
fn request(rng: &mut StdRng) -> (Vec<u8>, bool) {
    let method = METHODS[rng.random_range(0..METHODS.len())];
    let path = PATHS[rng.random_range(0..PATHS.len())];
    let size = match rng.random_range(0..10) {
        0..=3 => 0,
        4..=6 => rng.random_range(1..2_000),
        7 => rng.random_range(40_000..70_000), // around the 64 KiB cap
        _ => rng.random_range(70_000..300_000), // past it, within the drain limit
    };
    let body: Vec<u8> = match size {
        0 => Vec::new(),
        n if rng.random_bool(0.5) => {
            let mut text = br#"{"user":"+8613600000000","x":""#.to_vec();
            text.resize(n.max(text.len()), b'a');
            text.extend_from_slice(b"\"}");
            text
        }
        n => {
            let mut bytes = vec![0u8; n];
            rand::RngCore::fill_bytes(rng, &mut bytes);
            bytes
        }
    };
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if rng.random_bool(0.7) {
        let types = [
            "application/json",
            "application/json;charset=UTF-8",
            "text/plain",
        ];
        head += &format!(
            "Content-Type: {}\r\n",
            types[rng.random_range(0..types.len())]
        );
    }
    if rng.random_bool(0.3) {
        head += "Accept-Language: en-US\r\n";
    }
    if rng.random_bool(0.3) {
        head += &format!("X-Request-Id: r{}\r\n", rng.random::<u32>());
    }
    if rng.random_bool(0.2) {
        head += &format!(
            "X-Extra-{}: {}\r\n",
            rng.random::<u16>(),
            "v".repeat(rng.random_range(1..200))
        );
    }
    let chunked = !body.is_empty() && rng.random_bool(0.3);
    let mut bytes = if chunked {
        head += "Transfer-Encoding: chunked\r\n\r\n";
        let mut bytes = head.into_bytes();
        for chunk in body.chunks(rng.random_range(1_000..20_000)) {
            bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            bytes.extend_from_slice(chunk);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"0\r\n\r\n");
        bytes
    } else {
        if !body.is_empty() || method != "GET" {
            head += &format!("Content-Length: {}\r\n", body.len());
        }
        head += "\r\n";
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&body);
        bytes
    };
    bytes.shrink_to_fit();
    (bytes, method == "HEAD")
}

/// How one connection's requests fared.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub answered: usize,
    /// Requests behind an answer with `Connection: close` (told, so not dropped).
    pub told_closed: usize,
    /// Requests whose connection ended with no answer and no `Connection: close`.
    pub dropped: usize,
}

/// Sends `requests` pipelined on one connection and reads the answers in order.
async fn one_connection(addr: std::net::SocketAddr, requests: Vec<(Vec<u8>, bool)>) -> Tally {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut read, mut write) = stream.into_split();
    let bytes: Vec<u8> = requests.iter().flat_map(|(b, _)| b.clone()).collect();
    let writer = tokio::spawn(async move {
        let _ = write.write_all(&bytes).await;
        // Keep the write half open: a half-close would let the server end the connection.
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(write);
    });
    let mut buffer = Vec::new();
    let mut tally = Tally::default();
    for (n, (_, head_only)) in requests.iter().enumerate() {
        match read_answer(&mut read, &mut buffer, *head_only).await {
            Some(close) => {
                tally.answered += 1;
                if close {
                    tally.told_closed = requests.len() - n - 1;
                    break;
                }
            }
            None => {
                tally.dropped = requests.len() - n;
                break;
            }
        }
    }
    writer.abort();
    tally
}

/// Reads one complete answer: `Some(connection_close)`, or None if the socket ended first.
async fn read_answer(
    read: &mut tokio::net::tcp::OwnedReadHalf,
    buffer: &mut Vec<u8>,
    head_only: bool,
) -> Option<bool> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        if let Ok(httparse::Status::Complete(head_len)) = response.parse(buffer) {
            let header = |name: &str| {
                response
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case(name))
                    .map(|h| String::from_utf8_lossy(h.value).to_ascii_lowercase())
            };
            let length: usize = match head_only {
                true => 0,
                false => header("content-length")?.trim().parse().ok()?,
            };
            let close = header("connection").is_some_and(|v| v.contains("close"));
            if buffer.len() >= head_len + length {
                buffer.drain(..head_len + length);
                return Some(close);
            }
        }
        let mut chunk = [0u8; 16 * 1024];
        match tokio::time::timeout(Duration::from_secs(10), read.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buffer.extend_from_slice(&chunk[..n]),
            _ => return None,
        }
    }
}

/// `total` random requests (seeded) on connections of up to 20 each, 8 connections at once.
pub async fn random_requests(total: usize, seed: u64) -> Tally {
    let gateway = harness::start_clean().await;
    let addr = gateway.gateway.addr;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut batches = Vec::new();
    let mut left = total;
    while left > 0 {
        let n = rng.random_range(1..=20).min(left);
        left -= n;
        batches.push((0..n).map(|_| request(&mut rng)).collect::<Vec<_>>());
    }
    let mut sum = Tally::default();
    let mut running = tokio::task::JoinSet::new();
    for batch in batches {
        if running.len() >= 8 {
            add(
                &mut sum,
                running.join_next().await.expect("task").expect("join"),
            );
        }
        running.spawn(one_connection(addr, batch));
    }
    while let Some(done) = running.join_next().await {
        add(&mut sum, done.expect("join"));
    }
    sum
}

fn add(sum: &mut Tally, one: Tally) {
    sum.answered += one.answered;
    sum.told_closed += one.told_closed;
    sum.dropped += one.dropped;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_random_request_is_answered_or_told_the_connection_closes() {
    let tally = random_requests(2_000, 13).await;
    assert_eq!(tally.dropped, 0, "{tally:?}");
    assert_eq!(tally.answered + tally.told_closed, 2_000, "{tally:?}");
}

/// The figure: `cargo test --release --test main gateway_safety::connections -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn dropped_connections_over_100_000_random_requests() {
    let tally = random_requests(100_000, 2026).await;
    println!(
        "100000 random requests: {} answered, {} behind a Connection: close, {} met a dropped connection",
        tally.answered, tally.told_closed, tally.dropped
    );
    assert_eq!(tally.dropped, 0);
}
