//! The HTTP/1.1 client against scripted streams: answers arrive in pieces of any size, framed
//! every way the RFC allows, and whatever bytes arrive the client returns an answer or an error,
//! never a panic.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use proptest::prelude::*;

use super::*;

/// A stream that hands out `answer` in pieces of the given sizes (cycled), then the end of
/// the stream, and keeps what is written to it.
struct Scripted {
    answer: Vec<u8>,
    at: usize,
    pieces: Vec<usize>,
    turn: usize,
    written: Vec<u8>,
}

impl Scripted {
    fn new(answer: impl Into<Vec<u8>>, pieces: Vec<usize>) -> Self {
        Self {
            answer: answer.into(),
            at: 0,
            pieces,
            turn: 0,
            written: Vec::new(),
        }
    }
}

impl AsyncRead for Scripted {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let piece = this.pieces[this.turn % this.pieces.len()].max(1);
        this.turn += 1;
        let end = (this.at + piece)
            .min(this.answer.len())
            .min(this.at + buf.remaining());
        buf.put_slice(&this.answer[this.at..end]);
        this.at = end;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Scripted {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().written.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(future)
}

fn put<'a>(body: &'a Bytes, headers: &'a [(String, String)]) -> Outgoing<'a> {
    Outgoing {
        method: &Method::PUT,
        path: "/v1/usg/acs/verifycode/check",
        defaults: [("host", "127.0.0.1:8080"), ("user-agent", "gatecheck/test")],
        headers,
        body: Some(body),
    }
}

/// Sends a PUT over a connection whose server answers `answer`, read in `pieces`.
fn exchange(
    answer: &[u8],
    pieces: Vec<usize>,
) -> (Result<Exchange, Failure>, Connection<Scripted>) {
    let mut connection = Connection::new(Scripted::new(answer, pieces));
    let body = Bytes::from_static(b"{}");
    let outcome = block_on(connection.exchange(&put(&body, &[]), 1024 * 1024));
    (outcome, connection)
}

#[test]
fn the_request_is_written_with_defaults_length_and_body() {
    let (outcome, connection) = exchange(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", vec![64]);
    assert!(outcome.is_ok());
    assert_eq!(
        String::from_utf8_lossy(&connection.io.written),
        "PUT /v1/usg/acs/verifycode/check HTTP/1.1\r\nhost: 127.0.0.1:8080\r\n\
         user-agent: gatecheck/test\r\ncontent-length: 2\r\n\r\n{}"
    );
}

#[test]
fn a_head_over_the_bound_is_refused_in_one_piece_or_many() {
    let field = format!("x-long: {}\r\n", "a".repeat(MAX_HEAD));
    let answer = format!("HTTP/1.1 200 OK\r\n{field}content-length: 0\r\n\r\n");
    for pieces in [vec![answer.len()], vec![4096]] {
        let (outcome, _) = exchange(answer.as_bytes(), pieces.clone());
        let Err(failure) = outcome else {
            panic!("{pieces:?}: a head over the bound was read");
        };
        let message = failure.into_error().message;
        assert!(
            message.contains("head longer than"),
            "{pieces:?}: {message}"
        );
    }
    // Just under the bound, read whole.
    let field = format!("x-long: {}\r\n", "a".repeat(MAX_HEAD - 100));
    let answer = format!("HTTP/1.1 200 OK\r\n{field}content-length: 0\r\n\r\n");
    assert!(exchange(answer.as_bytes(), vec![answer.len()]).0.is_ok());
}

#[test]
fn a_header_given_by_the_scenario_replaces_the_default() {
    let mut output = Vec::new();
    let body = Bytes::new();
    let headers = [("Host".to_owned(), "gateway.example".to_owned())];
    encode(&put(&body, &headers), &mut output).expect("encode");
    let text = String::from_utf8_lossy(&output).to_lowercase();
    assert_eq!(text.matches("host:").count(), 1, "{text}");
    assert!(text.contains("host: gateway.example\r\n"), "{text}");
}

#[test]
fn bad_paths_and_headers_are_refused_before_sending() {
    let body = Bytes::new();
    let mut output = Vec::new();
    for headers in [
        vec![("Bad Name".to_owned(), "x".to_owned())],
        vec![("X-Ok".to_owned(), "split\r\nX-Injected: 1".to_owned())],
    ] {
        assert!(encode(&put(&body, &headers), &mut output).is_err());
    }
    let spaced = Outgoing {
        path: "/a b",
        ..put(&body, &[])
    };
    assert!(encode(&spaced, &mut output).is_err());
}

#[test]
fn interim_answers_are_skipped() {
    let answer =
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 3\r\n\r\nabc";
    let (outcome, connection) = exchange(answer, vec![7]);
    let exchange = outcome.expect("answer");
    assert_eq!((exchange.status, &exchange.body[..]), (201, &b"abc"[..]));
    assert!(connection.may_continue());
}

#[test]
fn a_close_before_any_answer_is_unanswered_and_a_cut_answer_broken() {
    assert!(matches!(
        exchange(b"", vec![1]).0,
        Err(Failure::Unanswered(_))
    ));
    let cut = b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc";
    assert!(matches!(exchange(cut, vec![5]).0, Err(Failure::Broken(_))));
}

#[test]
fn connections_that_cannot_carry_another_request_are_not_kept() {
    let cases: [&[u8]; 4] = [
        b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        b"HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n",
        // More than was asked for: the connection is out of step.
        b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\nHTTP/1.1 200 OK\r\n",
        // Both lengths: answered, but not trusted further.
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
    ];
    for answer in cases {
        let (outcome, connection) = exchange(answer, vec![4096]);
        assert!(outcome.is_ok(), "{}", String::from_utf8_lossy(answer));
        assert!(
            !connection.may_continue(),
            "{}",
            String::from_utf8_lossy(answer)
        );
    }
    let kept = b"HTTP/1.0 200 OK\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n";
    assert!(exchange(kept, vec![4096]).1.may_continue());
}

#[test]
fn bodies_over_the_cap_are_refused_whatever_their_framing() {
    let answers = [
        format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", 2000),
        format!(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n7d0\r\n{}\r\n0\r\n\r\n",
            "x".repeat(2000)
        ),
        format!("HTTP/1.1 200 OK\r\n\r\n{}", "x".repeat(2000)),
    ];
    for answer in answers {
        let mut connection = Connection::new(Scripted::new(answer, vec![512]));
        let body = Bytes::new();
        let outcome = block_on(connection.exchange(&put(&body, &[]), 1000));
        let error = outcome.expect_err("over the cap").into_error();
        assert_eq!(
            error.kind,
            crate::transport::TransportKind::TooLarge,
            "{error}"
        );
        assert!(error.message.contains("byte cap"), "{error}");
    }
}

#[test]
fn only_the_last_transfer_coding_decides_chunked_framing() {
    let chunked_last =
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n";
    let (outcome, connection) = exchange(chunked_last, vec![4096]);
    assert_eq!(&outcome.expect("answer").body[..], b"ab");
    assert!(connection.may_continue());
    // Not chunked: the body runs to the close, chunk syntax and all.
    let chunked_first =
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked, gzip\r\n\r\n2\r\nab\r\n0\r\n\r\n";
    let (outcome, connection) = exchange(chunked_first, vec![4096]);
    assert_eq!(&outcome.expect("answer").body[..], b"2\r\nab\r\n0\r\n\r\n");
    assert!(!connection.may_continue());
}

#[derive(Debug, Clone)]
enum Frame {
    Length,
    /// Chunk sizes, cycled over the body.
    Chunked(Vec<usize>),
    UntilClose,
}

fn frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        Just(Frame::Length),
        prop::collection::vec(1usize..300, 1..4).prop_map(Frame::Chunked),
        Just(Frame::UntilClose),
    ]
}

fn render(status: u16, headers: &[(String, String)], body: &[u8], frame: &Frame) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} Whatever\r\n").into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    match frame {
        Frame::Length => {
            out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
            out.extend_from_slice(body);
        }
        Frame::Chunked(sizes) => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            let mut rest = body;
            for size in sizes.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (chunk, after) = rest.split_at((*size).min(rest.len()));
                out.extend_from_slice(format!("{:X};ext=1\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
                rest = after;
            }
            out.extend_from_slice(b"0\r\nTrailer-Field: t\r\n\r\n");
        }
        Frame::UntilClose => {
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(body);
        }
    }
    out
}

proptest! {
    /// Whatever the framing and however the bytes are split, the answer read is the one sent,
    /// and the connection is kept exactly when its framing allows.
    #[test]
    fn answers_are_read_exactly_whatever_their_framing_and_pieces(
        status in prop_oneof![200u16..204, 205u16..304, 305u16..600],
        headers in prop::collection::vec(("x-[a-z]{1,12}", "[ -~]{0,40}"), 0..8),
        body in prop::collection::vec(any::<u8>(), 0..2000),
        frame in frame(),
        pieces in prop::collection::vec(1usize..600, 1..5),
    ) {
        let headers: Vec<(String, String)> = headers
            .into_iter()
            .map(|(name, value)| (name, value.trim().to_owned()))
            .collect();
        let (outcome, connection) = exchange(&render(status, &headers, &body, &frame), pieces);
        let exchange = outcome.map_err(Failure::into_error).expect("answer");
        prop_assert_eq!(exchange.status, status);
        prop_assert_eq!(&exchange.body[..], &body[..]);
        for (name, value) in &headers {
            prop_assert!(exchange.headers.map().get_all(name.as_str()).iter().any(|v| v == value.as_str()));
        }
        prop_assert_eq!(connection.may_continue(), !matches!(frame, Frame::UntilClose));
    }

    /// Any bytes at all: an answer or an error with a reason, never a panic or a hang.
    #[test]
    fn any_bytes_give_an_answer_or_an_error(
        prefix in prop_oneof![Just(&b""[..]), Just(&b"HTTP/1.1 200 OK\r\n"[..])],
        noise in prop::collection::vec(any::<u8>(), 0..600),
        pieces in prop::collection::vec(1usize..64, 1..4),
    ) {
        let mut answer = prefix.to_vec();
        answer.extend_from_slice(&noise);
        if let (Err(failure), _) = exchange(&answer, pieces) {
            prop_assert!(!failure.into_error().message.is_empty());
        }
    }

    /// Chunk-size lines: hex with optional extensions, anything else refused.
    #[test]
    fn chunk_sizes_parse_as_hex_with_extensions(size in 0u64..(1 << 40), ext in "(;[a-z]{1,5}=[a-z0-9]{0,5}){0,2}") {
        let line = format!("{size:x}{ext}");
        prop_assert_eq!(chunk_size(line.as_bytes()).ok(), Some(size));
        let upper = format!("{size:X}");
        prop_assert_eq!(chunk_size(upper.as_bytes()).ok(), Some(size));
        let bad = format!("{size:x}g");
        prop_assert!(chunk_size(bad.as_bytes()).is_err());
    }

    /// Every field httparse accepts, `http` takes as a `HeaderName` and `HeaderValue`: the
    /// head is read for its framing alone, and its map made later cannot lose a field.
    #[test]
    fn what_httparse_accepts_http_takes(
        name in prop_oneof![
            "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}".prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 1..20),
        ],
        value in prop_oneof![
            "[ -~\t]{0,40}".prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 0..40),
        ],
    ) {
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        head.extend_from_slice(&name);
        head.extend_from_slice(b": ");
        head.extend_from_slice(&value);
        head.extend_from_slice(b"\r\ncontent-length: 0\r\n\r\n");
        let mut fields = [httparse::EMPTY_HEADER; 4];
        let mut response = httparse::Response::new(&mut fields);
        if let Ok(httparse::Status::Complete(_)) = response.parse(&head) {
            for field in response.headers.iter() {
                prop_assert!(hyper::header::HeaderName::from_bytes(field.name.as_bytes()).is_ok(), "{:?}", field.name);
                prop_assert!(hyper::header::HeaderValue::from_bytes(field.value).is_ok(), "{:?}", field.value);
            }
            if let Ok(Some((_, Parsed::Final(Head { places, .. })))) = parse_head(&head, &Method::GET) {
                let headers = Headers::from_head(head.clone().into(), places);
                let name = String::from_utf8_lossy(&name).to_lowercase();
                let by_map = headers.map().get(name.as_str()).and_then(|v| v.to_str().ok());
                let fresh = parse_head(&head, &Method::GET);
                let Ok(Some((_, Parsed::Final(Head { places, .. })))) = fresh else { unreachable!() };
                let found = Headers::from_head(head.clone().into(), places);
                prop_assert_eq!(found.get(&name), by_map, "found in the head as in the map");
                prop_assert_eq!(headers.map().len(), response.headers.len());
            }
        }
    }

    #[test]
    fn lengths_are_written_in_decimal(n in any::<usize>()) {
        let mut out = Vec::new();
        push_decimal(&mut out, n);
        prop_assert_eq!(out, n.to_string().into_bytes());
    }
}

/// The token table is RFC 9110's `tchar`, byte for byte.
#[test]
fn header_name_bytes_are_the_rfcs_token_characters() {
    for b in 0..=255u8 {
        let tchar = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        assert_eq!(is_token(b), tchar, "byte {b}");
    }
}
