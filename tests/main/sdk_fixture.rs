//! The requests the official Python SDK (huaweicloudsdkmeeting 3.1.219) really sends, replayed
//! byte for byte over one keep-alive connection (the capture in tests/fixtures/): headers in the SDK's order and spelling, its
//! JSON separators, only live tokens, X offsets and codes substituted.

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{start_clean, Harness};

const FIXTURE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/official-python-sdk-requests.jsonl"
));

struct Captured {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

fn captured() -> Vec<Captured> {
    FIXTURE
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let value: Value = serde_json::from_str(line).expect("fixture line is JSON");
            Captured {
                method: value["method"].as_str().expect("method").to_owned(),
                path: value["path"].as_str().expect("path").to_owned(),
                headers: value["headers"]
                    .as_array()
                    .expect("headers")
                    .iter()
                    .map(|pair| {
                        (
                            pair[0].as_str().expect("name").to_owned(),
                            pair[1].as_str().expect("value").to_owned(),
                        )
                    })
                    .collect(),
                body: value["body"].as_str().expect("body").to_owned(),
            }
        })
        .collect()
}

struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Writes `request` exactly as captured (Content-Length recomputed for the substituted body).
async fn send_raw(stream: &mut TcpStream, request: &Captured, body: &str) -> RawResponse {
    let mut text = format!("{} {} HTTP/1.1\r\n", request.method, request.path);
    for (name, value) in &request.headers {
        let value = if name.eq_ignore_ascii_case("content-length") {
            body.len().to_string()
        } else {
            value.clone()
        };
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    stream.write_all(text.as_bytes()).await.expect("write");
    read_response(stream).await
}

async fn read_response(stream: &mut TcpStream) -> RawResponse {
    let mut buffer = Vec::new();
    let header_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed before the response head");
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buffer[..header_end].to_vec()).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .expect("content-length");
    let mut body = buffer[header_end..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed inside the body");
        body.extend_from_slice(&chunk[..n]);
    }
    RawResponse {
        status,
        headers,
        body,
    }
}

fn json(response: &RawResponse) -> Value {
    serde_json::from_slice(&response.body).unwrap_or(Value::Null)
}

/// Replaces the captured value of `"field": "..."` or `"field": 123` with `live`, keeping the SDK's formatting.
fn substitute(body: &str, field: &str, live: &str) -> String {
    let key = format!("\"{field}\": ");
    let start = body.find(&key).expect("field in fixture") + key.len();
    let end = body[start..]
        .find([',', '}'])
        .map(|i| start + i)
        .expect("field end");
    format!("{}{}{}", &body[..start], live, &body[end..])
}

async fn replay_flow(h: &Harness, flow: &[Captured]) {
    let mut stream = TcpStream::connect(h.gateway.addr).await.expect("connect");
    let user = {
        let body: Value = serde_json::from_str(&flow[0].body).expect("body");
        body["user"].as_str().expect("user").to_owned()
    };
    let request_id = flow[0]
        .headers
        .iter()
        .find(|(n, _)| n == "X-Request-ID")
        .map(|(_, v)| v.clone());

    let first = send_raw(&mut stream, &flow[0], &flow[0].body).await;
    assert_eq!(
        first.status,
        200,
        "call 1: {}",
        String::from_utf8_lossy(&first.body)
    );
    let t1 = json(&first)["token"].as_str().expect("T1").to_owned();
    if let Some(id) = &request_id {
        assert!(
            first.headers.contains(&("x-request-id".into(), id.clone())),
            "X-Request-ID echoed"
        );
    }

    let x = h.answer_x(&t1).await;
    let body = substitute(
        &substitute(&flow[1].body, "token", &format!("\"{t1}\"")),
        "pointX",
        &x.to_string(),
    );
    let second = send_raw(&mut stream, &flow[1], &body).await;
    assert_eq!(
        second.status,
        200,
        "call 2: {}",
        String::from_utf8_lossy(&second.body)
    );
    let t2 = json(&second)["token"].as_str().expect("T2").to_owned();

    let body = substitute(&flow[2].body, "token", &format!("\"{t2}\""));
    let third = send_raw(&mut stream, &flow[2], &body).await;
    assert_eq!(
        third.status,
        200,
        "call 3: {}",
        String::from_utf8_lossy(&third.body)
    );

    let code = h.outbox_code(&user).await;
    let body = substitute(&flow[3].body, "code", &format!("\"{code}\""));
    let fourth = send_raw(&mut stream, &flow[3], &body).await;
    assert_eq!(
        fourth.status,
        200,
        "call 4: {}",
        String::from_utf8_lossy(&fourth.body)
    );
    let t3 = json(&fourth)["token"].as_str().expect("T3").to_owned();

    let mut reset = Captured {
        method: flow[4].method.clone(),
        path: flow[4].path.clone(),
        headers: flow[4].headers.clone(),
        body: flow[4].body.clone(),
    };
    for (name, value) in &mut reset.headers {
        if name == "X-Access-Token" {
            *value = t3.clone();
        }
    }
    let fifth = send_raw(&mut stream, &reset, &reset.body).await;
    assert_eq!(
        fifth.status,
        200,
        "call 5: {}",
        String::from_utf8_lossy(&fifth.body)
    );
    let new_password: Value = serde_json::from_str(&reset.body).expect("body");
    assert!(h
        .login(&user, new_password["newPwd"].as_str().expect("newPwd"))
        .await
        .ok());
}

#[tokio::test]
async fn both_captured_sdk_flows_are_accepted_as_sent() {
    let requests = captured();
    assert_eq!(requests.len(), 10, "two flows of five calls");
    let h = start_clean().await;
    for flow in requests.chunks(5) {
        replay_flow(&h, flow).await;
    }
}

#[tokio::test]
async fn the_sdk_login_token_on_calls_1_to_4_is_ignored() {
    // The SDK's stock credentials send their login token as X-Access-Token on every call.
    let h = start_clean().await;
    let user = h.new_user().await;
    let answer = h
        .call_with(
            gatecheck::api::Operation::SendCaptcha,
            &[("X-Access-Token", "login-token-from-the-sdk")],
            serde_json::json!({"user": user, "clientType": 0, "checkType": 1}),
        )
        .await;
    assert!(answer.ok(), "{}", answer.text);
}
