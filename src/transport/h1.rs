//! HTTP/1.1 over one connection, driven in the caller's own task: the request is written from a
//! reused buffer and the answer parsed by httparse straight out of the read buffer. Unlike
//! hyper's client there is no connection task and no channel to it, which is where a
//! one-request-per-flow load run spent the CPU that kept it above oha's (bench/README.md).
//! Framing follows RFC 9112 §6: chunked, Content-Length, or the body runs to the close.

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::{Buf, Bytes, BytesMut};
use hyper::{Method, Version};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use super::headers::{Headers, MAX_HEADERS};
use super::{Exchange, TransportError, TransportKind};

mod request;
use request::encode;
#[cfg(test)]
use request::{is_token, push_decimal};

/// A longer answer head is refused (hyper's default limit is larger; no gateway needs it).
const MAX_HEAD: usize = 64 * 1024;
/// A chunk-size line (with extensions) or trailer line longer than this is refused.
const MAX_LINE: usize = 4096;
const READ_AHEAD: usize = 16 * 1024;

/// One request as the client hands it over (the path already under the base URL's).
#[derive(Clone, Copy)]
pub(super) struct Outgoing<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    /// Sent unless `headers` has one of the same name (a scenario's Host replaces ours).
    pub defaults: [(&'a str, &'a str); 2],
    pub headers: &'a [(String, String)],
    pub body: Option<&'a Bytes>,
}

/// How an exchange failed: with nothing of an answer received (on a kept-alive connection the
/// server may have closed it just as the request went out), or after.
#[derive(Debug)]
pub(super) enum Failure {
    Unanswered(TransportError),
    Broken(TransportError),
}

impl Failure {
    pub(super) fn into_error(self) -> TransportError {
        match self {
            Failure::Unanswered(error) | Failure::Broken(error) => error,
        }
    }
}

pub(super) struct Connection<S> {
    io: S,
    /// Bytes received and not yet consumed.
    input: BytesMut,
    /// The request being written; its allocation is kept for the next one.
    output: Vec<u8>,
    /// Whether another request may follow on this connection.
    reusable: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    pub(super) fn new(io: S) -> Self {
        Self {
            io,
            input: BytesMut::with_capacity(READ_AHEAD),
            output: Vec::with_capacity(1024),
            reusable: true,
        }
    }

    /// Whether the connection can carry another request: the last answer allowed it, and the
    /// server has neither closed it nor sent anything unasked since (one non-blocking look).
    pub(super) fn is_reusable(&mut self) -> bool {
        if !self.reusable || !self.input.is_empty() {
            return false;
        }
        let mut probe = [0u8; 1];
        let mut buf = ReadBuf::new(&mut probe);
        let mut cx = Context::from_waker(Waker::noop());
        matches!(
            Pin::new(&mut self.io).poll_read(&mut cx, &mut buf),
            Poll::Pending
        )
    }

    /// Whether the last answer allows another request on this connection.
    pub(super) fn may_continue(&self) -> bool {
        self.reusable && self.input.is_empty()
    }

    /// Sends `request` and reads its answer whole, the body at most `max_body` bytes.
    pub(super) async fn exchange(
        &mut self,
        request: &Outgoing<'_>,
        max_body: usize,
    ) -> Result<Exchange, Failure> {
        self.reusable = false;
        encode(request, &mut self.output).map_err(Failure::Broken)?;
        let sent = self.io.write_all(&self.output).await;
        if let Err(error) = sent.and(self.io.flush().await) {
            return Err(Failure::Unanswered(TransportError::new(
                TransportKind::Closed,
                format!("connection closed: cannot send the request: {error}"),
            )));
        }
        let (head, headers) = self.read_head(request.method).await?;
        let body = match head.framing {
            Framing::Empty => Bytes::new(),
            Framing::Length(length) => self.read_sized(length, max_body).await?,
            Framing::Chunked => self.read_chunked(max_body).await?,
            Framing::UntilClose => self.read_until_close(max_body).await?,
        };
        self.reusable = head.keep_alive && head.framing != Framing::UntilClose;
        Ok(Exchange {
            status: head.status,
            version: head.version,
            headers,
            body,
        })
    }

    /// Reads more input; the end of the stream is an error, `Unanswered` while nothing of the
    /// answer has come.
    async fn fill(&mut self, answered: bool) -> Result<(), Failure> {
        if self.input.capacity() - self.input.len() < 1024 {
            self.input.reserve(READ_AHEAD);
        }
        let failure = |text: String| match answered {
            true => Failure::Broken(TransportError::new(TransportKind::Closed, text)),
            false => Failure::Unanswered(TransportError::new(TransportKind::Closed, text)),
        };
        match self.io.read_buf(&mut self.input).await {
            Ok(0) if answered => Err(failure(
                "connection closed before the answer was complete".into(),
            )),
            Ok(0) => Err(failure("connection closed before an answer".into())),
            Ok(_) => Ok(()),
            Err(error) => Err(failure(format!("connection error: {error}"))),
        }
    }

    /// The final answer's head, and its fields kept with the bytes they lie in.
    async fn read_head(&mut self, method: &Method) -> Result<(Head, Headers), Failure> {
        let mut answered = false;
        loop {
            if !self.input.is_empty() {
                answered = true;
                if let Some((length, head)) = parse_head(&self.input, method)? {
                    // Whole in one read or not, a head over the bound is refused alike.
                    if length > MAX_HEAD {
                        return Err(head_too_long());
                    }
                    match head {
                        Parsed::Interim => self.input.advance(length),
                        Parsed::Final(mut head) => {
                            let raw = self.input.split_to(length).freeze();
                            let places = std::mem::take(&mut head.places);
                            let fields = Headers::from_head(raw, places);
                            return Ok((head, fields));
                        }
                    }
                    continue;
                }
                if self.input.len() > MAX_HEAD {
                    return Err(head_too_long());
                }
            }
            self.fill(answered).await?;
        }
    }

    async fn read_sized(&mut self, length: u64, max_body: usize) -> Result<Bytes, Failure> {
        if length > max_body as u64 {
            return Err(too_large(max_body));
        }
        let length = length as usize;
        while self.input.len() < length {
            self.fill(true).await?;
        }
        Ok(self.input.split_to(length).freeze())
    }

    async fn read_chunked(&mut self, max_body: usize) -> Result<Bytes, Failure> {
        let mut body = BytesMut::new();
        loop {
            let line = self.read_line().await?;
            let size = chunk_size(&line)?;
            if size == 0 {
                break;
            }
            if body.len() as u64 + size > max_body as u64 {
                return Err(too_large(max_body));
            }
            let size = size as usize;
            while self.input.len() < size + 2 {
                self.fill(true).await?;
            }
            body.extend_from_slice(&self.input[..size]);
            if &self.input[size..size + 2] != b"\r\n" {
                return Err(malformed("chunk not followed by CRLF".into()));
            }
            self.input.advance(size + 2);
        }
        // Trailer fields, up to the empty line; gatecheck does not read them.
        while !self.read_line().await?.is_empty() {}
        Ok(body.freeze())
    }

    /// One CRLF-terminated line, without the CRLF.
    async fn read_line(&mut self) -> Result<Bytes, Failure> {
        loop {
            if let Some(end) = self.input.windows(2).position(|w| w == b"\r\n") {
                let line = self.input.split_to(end).freeze();
                self.input.advance(2);
                return Ok(line);
            }
            if self.input.len() > MAX_LINE {
                return Err(malformed(format!(
                    "chunk line longer than {MAX_LINE} bytes"
                )));
            }
            self.fill(true).await?;
        }
    }

    async fn read_until_close(&mut self, max_body: usize) -> Result<Bytes, Failure> {
        loop {
            if self.input.len() > max_body {
                return Err(too_large(max_body));
            }
            if self.input.capacity() - self.input.len() < 1024 {
                self.input.reserve(READ_AHEAD);
            }
            match self.io.read_buf(&mut self.input).await {
                Ok(0) => return Ok(self.input.split().freeze()),
                Ok(_) => {}
                Err(error) => {
                    return Err(Failure::Broken(TransportError::new(
                        TransportKind::Closed,
                        format!("connection error: {error}"),
                    )))
                }
            }
        }
    }
}

fn malformed(text: String) -> Failure {
    Failure::Broken(TransportError::new(
        TransportKind::Malformed,
        format!("malformed HTTP answer: {text}"),
    ))
}

/// A head over `MAX_HEAD`, whether still incomplete or read whole.
fn head_too_long() -> Failure {
    malformed(format!("answer head longer than {MAX_HEAD} bytes"))
}

fn too_large(max_body: usize) -> Failure {
    Failure::Broken(TransportError::new(
        TransportKind::TooLarge,
        format!("response body larger than the {max_body} byte cap"),
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(u64),
    Chunked,
    UntilClose,
}

struct Head {
    status: u16,
    version: Version,
    /// Where each field's name and value lie in the head (`Headers::from_head`).
    places: Vec<[u32; 4]>,
    framing: Framing,
    keep_alive: bool,
}

enum Parsed {
    /// A 1xx answer before the real one.
    Interim,
    /// The answer's head, and where its fields lie (`Headers::from_head`).
    Final(Head),
}

/// Parses an answer head from the start of `input`: its length and what it says, or `None`
/// while incomplete. Only the fields that frame the body are read here; the rest stay in the
/// head's bytes until asked for (`Headers`). httparse refuses a field name that is not a token
/// and a value with a control character, as `http`'s `HeaderName` and `HeaderValue` would
/// (`tests::what_httparse_accepts_http_takes`).
fn parse_head(input: &[u8], method: &Method) -> Result<Option<(usize, Parsed)>, Failure> {
    let mut fields = [const { std::mem::MaybeUninit::uninit() }; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        input,
        &mut fields,
    );
    let length = match parsed {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(error) => return Err(malformed(error.to_string())),
    };
    let status = response.code.unwrap_or_default();
    if (100..200).contains(&status) && status != 101 {
        return Ok(Some((length, Parsed::Interim)));
    }
    if status == 101 {
        return Err(malformed(
            "101 Switching Protocols was not asked for".into(),
        ));
    }
    let version = match response.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let mut framing_fields = FramingFields {
        close: version == Version::HTTP_10,
        ..FramingFields::default()
    };
    let at = |part: &[u8]| (part.as_ptr() as usize - input.as_ptr() as usize) as u32;
    let mut places = Vec::with_capacity(response.headers.len());
    for field in response.headers.iter() {
        let (name, value) = (field.name.as_bytes(), field.value);
        framing_fields.read(name, value)?;
        let (n, v) = (at(name), at(value));
        places.push([n, n + name.len() as u32, v, v + value.len() as u32]);
    }
    let FramingFields {
        content_length,
        chunked,
        transfer_encoding,
        close,
    } = framing_fields;
    let framing = if *method == Method::HEAD || status == 204 || status == 304 {
        Framing::Empty
    } else if chunked {
        Framing::Chunked
    } else if transfer_encoding {
        Framing::UntilClose
    } else {
        match content_length {
            Some(0) => Framing::Empty,
            Some(length) => Framing::Length(length),
            None => Framing::UntilClose,
        }
    };
    // Both lengths given is a smuggling sign: answer it, then drop the connection.
    let smuggling = transfer_encoding && content_length.is_some();
    let head = Head {
        status,
        version,
        places,
        framing,
        keep_alive: !(close || smuggling),
    };
    Ok(Some((length, Parsed::Final(head))))
}

/// What the head's fields say about the body's framing and the connection.
#[derive(Default)]
struct FramingFields {
    content_length: Option<u64>,
    chunked: bool,
    transfer_encoding: bool,
    close: bool,
}

impl FramingFields {
    fn read(&mut self, name: &[u8], value: &[u8]) -> Result<(), Failure> {
        if name.eq_ignore_ascii_case(b"content-length") {
            let text = std::str::from_utf8(value).unwrap_or_default().trim();
            let length = match text.parse::<u64>() {
                Ok(length) if text.bytes().all(|b| b.is_ascii_digit()) => length,
                _ => return Err(malformed(format!("content-length `{text}`"))),
            };
            if self.content_length.is_some_and(|known| known != length) {
                return Err(malformed("two different content-lengths".into()));
            }
            self.content_length = Some(length);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            self.transfer_encoding = true;
            // Only the last coding frames the body.
            self.chunked = value
                .rsplit(|&b| b == b',')
                .next()
                .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case(b"connection") {
            for option in value.split(|&b| b == b',') {
                let option = option.trim_ascii();
                if option.eq_ignore_ascii_case(b"close") {
                    self.close = true;
                } else if option.eq_ignore_ascii_case(b"keep-alive") {
                    self.close = false;
                }
            }
        }
        Ok(())
    }
}

/// The size from a chunk-size line (`1a;name=value`).
fn chunk_size(line: &[u8]) -> Result<u64, Failure> {
    let digits = line
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    let text = std::str::from_utf8(digits).unwrap_or_default();
    if text.is_empty() || text.len() > 15 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed(format!(
            "chunk size `{}`",
            String::from_utf8_lossy(line)
        )));
    }
    u64::from_str_radix(text, 16).map_err(|_| malformed(format!("chunk size `{text}`")))
}

#[cfg(test)]
mod tests;
