//! The HTTP client gatecheck speaks to a gateway with: HTTP/1.1 keep-alive connections in a
//! pool (its own lean client, `h1`), or one multiplexed HTTP/2 connection on hyper's connection
//! API (h2c with prior knowledge, or h2 chosen by ALPN over TLS); a timeout over each whole
//! exchange and a cap on answer bodies, so a hostile target yields an error with a reason, never
//! a hang or unbounded memory. Not reqwest, nor hyper for HTTP/1.1, because the load path pays
//! for every layer per request (bench/README.md has the figures).

mod h1;
mod headers;
mod pool;
mod timed;
pub mod tls;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::header::{HeaderName, HeaderValue, USER_AGENT};
use hyper::{Method, Request, Response, Uri, Version};

pub use headers::Headers;
use pool::Pool;
pub use tls::TlsOptions;

#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Limit on one whole exchange: connecting, sending and reading the answer.
    pub timeout: Duration,
    /// Larger answer bodies are an error.
    pub max_body: usize,
    /// HTTP/2: with prior knowledge on plain TCP (h2c), offered by ALPN over TLS.
    pub http2: bool,
    /// HTTP/2 connections that requests take in turn.
    pub http2_connections: usize,
    pub tls: TlsOptions,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_body: 1024 * 1024,
            http2: false,
            http2_connections: 1,
            tls: TlsOptions::default(),
        }
    }
}

/// Why an exchange gave no answer: a kind to count and match on, and the message to show.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct TransportError {
    pub kind: TransportKind,
    pub message: String,
}

/// The kinds of transport failure. Their names carry no per-request value, so a load run
/// counts them as a handful of kinds however many requests fail.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    /// No whole answer within the timeout.
    Timeout,
    /// The connection could not be made (refused, unreachable, connect timeout).
    Connect,
    /// The TLS handshake failed or timed out.
    Tls,
    /// The connection closed or broke before the answer was complete.
    Closed,
    /// Bytes came that are not an HTTP answer.
    Malformed,
    /// The answer's body is over the body cap.
    TooLarge,
    /// The request itself cannot be sent (a bad header, path or framing header).
    InvalidRequest,
    /// Any other HTTP-level failure.
    Protocol,
}

impl TransportKind {
    pub fn name(self) -> &'static str {
        match self {
            TransportKind::Timeout => "timeout",
            TransportKind::Connect => "connect",
            TransportKind::Tls => "tls",
            TransportKind::Closed => "closed",
            TransportKind::Malformed => "malformed",
            TransportKind::TooLarge => "too_large",
            TransportKind::InvalidRequest => "invalid_request",
            TransportKind::Protocol => "protocol",
        }
    }
}

impl TransportError {
    pub fn new(kind: TransportKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// An answer, read whole.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub status: u16,
    pub version: Version,
    pub headers: Headers,
    pub body: Bytes,
}

/// Where a base URL points: scheme, host and port, and what goes into `Host`.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub https: bool,
    pub host: String,
    pub port: u16,
    pub authority: String,
}

impl Origin {
    fn parse(base_url: &str) -> Result<(Self, String), String> {
        let uri: Uri = base_url
            .parse()
            .map_err(|e| format!("target `{base_url}` is not a URL: {e}"))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            Some(other) => {
                return Err(format!(
                    "target `{base_url}`: scheme `{other}` is neither http nor https"
                ))
            }
            None => {
                return Err(format!(
                    "target `{base_url}` is not a URL: it needs http:// or https://"
                ))
            }
        };
        let authority = uri
            .authority()
            .ok_or_else(|| format!("target `{base_url}` is not a URL: it names no host"))?;
        let origin = Origin {
            https,
            host: authority.host().to_owned(),
            port: authority.port_u16().unwrap_or(if https { 443 } else { 80 }),
            authority: authority.as_str().to_owned(),
        };
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok((origin, prefix))
    }
}

/// Checks a base URL as a client would read it: http or https, with a host.
pub fn check_base_url(base_url: &str) -> Result<(), String> {
    Origin::parse(base_url).map(|_| ())
}

/// One target's connections. Cheap to share: clones use the same pool.
#[derive(Clone)]
pub struct Client {
    origin: Origin,
    /// Path every request path is appended to (a base URL may end in one).
    prefix: String,
    options: ClientOptions,
    pool: std::sync::Arc<Pool>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("origin", &self.origin)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

const AGENT: &str = concat!("gatecheck/", env!("CARGO_PKG_VERSION"));

impl Client {
    pub fn new(base_url: &str, options: ClientOptions) -> Result<Self, String> {
        let (origin, prefix) = Origin::parse(base_url)?;
        let tls = match origin.https {
            true => Some(tls::client_config(&options.tls, options.http2)?),
            false => None,
        };
        HeaderValue::from_str(&origin.authority)
            .map_err(|_| format!("target `{base_url}`: host is not a header value"))?;
        let pool = Pool::new(
            origin.clone(),
            tls,
            options.http2,
            options.http2_connections,
            connect_timeout(&options),
        )?;
        Ok(Self {
            origin,
            prefix,
            options,
            pool: std::sync::Arc::new(pool),
        })
    }

    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// Sends one request to `path` (with its query) under the base URL and reads the answer
    /// whole, all within the timeout.
    pub async fn send(
        &self,
        method: &Method,
        path: &str,
        headers: &[(String, String)],
        body: Option<&Bytes>,
    ) -> Result<Exchange, TransportError> {
        if let Some((name, _)) = headers.iter().find(|(name, _)| is_framing(name)) {
            return Err(TransportError::new(
                TransportKind::InvalidRequest,
                format!(
                    "header `{name}` frames the body: gatecheck sets it from the body it sends"
                ),
            ));
        }
        let path = self.full_path(path);
        let request = h1::Outgoing {
            method,
            path: &path,
            defaults: [
                ("host", self.origin.authority.as_str()),
                ("user-agent", AGENT),
            ],
            headers,
            body,
        };
        let deadline = tokio::time::Instant::now() + self.options.timeout;
        match self.pool.speaks_http2() {
            true => self.by(deadline, self.exchange_http2(&request)).await,
            false => self.exchange_http1(&request, deadline).await,
        }
    }

    async fn exchange_http1(
        &self,
        request: &h1::Outgoing<'_>,
        deadline: tokio::time::Instant,
    ) -> Result<Exchange, TransportError> {
        let max_body = self.options.max_body;
        let (mut connection, reused) = match self.pool.idle_http1() {
            Some(connection) => (connection, true),
            None => (self.by(deadline, self.pool.fresh_http1()).await?, false),
        };
        let timed_out = || self.timed_out();
        let mut outcome = connection
            .exchange(request, max_body, deadline)
            .await
            .ok_or_else(timed_out)?;
        // A kept-alive connection the server closed as the request went out: nothing came back,
        // so an idempotent request (RFC 9110 §9.2.2) goes again on a fresh connection.
        if let Err(h1::Failure::Unanswered(_)) = &outcome {
            if reused && request.method.is_idempotent() {
                connection = self.by(deadline, self.pool.fresh_http1()).await?;
                outcome = connection
                    .exchange(request, max_body, deadline)
                    .await
                    .ok_or_else(timed_out)?;
            }
        }
        let exchange = outcome.map_err(h1::Failure::into_error)?;
        self.pool.give_back(connection);
        Ok(exchange)
    }

    /// `work`, given up at `deadline` (connecting, HTTP/2: the HTTP/1.1 exchange has its
    /// connection's timer, `timed`).
    async fn by<T>(
        &self,
        deadline: tokio::time::Instant,
        work: impl std::future::Future<Output = Result<T, TransportError>>,
    ) -> Result<T, TransportError> {
        tokio::time::timeout_at(deadline, work)
            .await
            .unwrap_or_else(|_| Err(self.timed_out()))
    }

    fn timed_out(&self) -> TransportError {
        TransportError::new(
            TransportKind::Timeout,
            format!(
                "timed out: no whole answer within {}",
                humantime::format_duration(self.options.timeout)
            ),
        )
    }

    fn full_path<'a>(&self, path: &'a str) -> std::borrow::Cow<'a, str> {
        match self.prefix.is_empty() {
            true => path.into(),
            false => format!("{}{path}", self.prefix).into(),
        }
    }

    async fn exchange_http2(&self, request: &h1::Outgoing<'_>) -> Result<Exchange, TransportError> {
        let mut request = self.http2_request(request)?;
        let mut reused = true;
        loop {
            let mut sender = self.pool.shared_http2().await?;
            match sender.try_send_request(request).await {
                Ok(response) => return self.read(response).await,
                // The shared connection closed before the request went out: it goes again on
                // a new one.
                Err(mut error) if reused => match error.take_message() {
                    Some(unsent) => {
                        request = unsent;
                        reused = false;
                    }
                    None => return Err(describe(error.error())),
                },
                Err(error) => return Err(describe(error.error())),
            }
        }
    }

    /// The request for hyper's HTTP/2 client (whose own defaults stand in for Host).
    fn http2_request(
        &self,
        outgoing: &h1::Outgoing<'_>,
    ) -> Result<Request<Full<Bytes>>, TransportError> {
        let h1::Outgoing {
            method,
            path,
            headers,
            body,
            ..
        } = *outgoing;
        // HTTP/2 carries scheme and authority as pseudo-headers, taken from an absolute URI.
        let scheme = if self.origin.https { "https" } else { "http" };
        let uri = format!("{scheme}://{}{path}", self.origin.authority);
        let uri = Uri::try_from(uri).map_err(|e| invalid(format!("invalid request path: {e}")))?;
        let mut request = Request::new(Full::new(body.cloned().unwrap_or_default()));
        *request.method_mut() = method.clone();
        *request.uri_mut() = uri;
        let map = request.headers_mut();
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid(format!("invalid header name `{name}`")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| invalid(format!("invalid value for header `{name}`")))?;
            map.append(name, value);
        }
        // A scenario that sets User-Agent itself replaces ours, rather than doubling it.
        map.entry(USER_AGENT)
            .or_insert(HeaderValue::from_static(AGENT));
        Ok(request)
    }

    async fn read(
        &self,
        response: Response<hyper::body::Incoming>,
    ) -> Result<Exchange, TransportError> {
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, self.options.max_body)
            .collect()
            .await
            .map_err(|error| {
                if error.downcast_ref::<LengthLimitError>().is_some() {
                    TransportError::new(
                        TransportKind::TooLarge,
                        format!(
                            "response body larger than the {} byte cap",
                            self.options.max_body
                        ),
                    )
                } else {
                    match error.downcast_ref::<hyper::Error>() {
                        Some(error) => describe(error),
                        None => TransportError::new(
                            TransportKind::Closed,
                            format!("broken response body: {error}"),
                        ),
                    }
                }
            })?
            .to_bytes();
        Ok(Exchange {
            status: parts.status.as_u16(),
            version: parts.version,
            headers: Headers::from_map(parts.headers),
            body,
        })
    }
}

/// `n` in decimal, written into `digits` without the formatting machinery (per request, the
/// Content-Length; per sample, a status in the load metrics).
pub(crate) fn decimal(mut n: u64, digits: &mut [u8; 20]) -> &str {
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&digits[at..]).unwrap_or("?")
}

/// Headers that say how the body is framed on the wire, which is the client's job.
fn is_framing(name: &str) -> bool {
    name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("transfer-encoding")
}

fn connect_timeout(options: &ClientOptions) -> Duration {
    options.timeout.min(Duration::from_secs(5))
}

/// A readable reason with its causes, e.g. `malformed HTTP answer: invalid HTTP version`.
pub(crate) fn describe(error: &hyper::Error) -> TransportError {
    let (kind, what) = if error.is_parse() || error.is_parse_status() || error.is_parse_too_large()
    {
        (TransportKind::Malformed, "malformed HTTP answer")
    } else if error.is_incomplete_message() {
        (
            TransportKind::Closed,
            "connection closed before the answer was complete",
        )
    } else if error.is_closed() || error.is_canceled() {
        (TransportKind::Closed, "connection closed")
    } else if error.is_body_write_aborted() || error.is_user() {
        (TransportKind::Protocol, "request failed")
    } else {
        (TransportKind::Protocol, "HTTP error")
    };
    let mut text = format!("{what}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    TransportError::new(kind, text)
}

pub(crate) fn invalid(message: String) -> TransportError {
    TransportError::new(TransportKind::InvalidRequest, message)
}
