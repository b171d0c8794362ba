//! The HTTP client gatecheck speaks to a gateway with, on hyper's connection API: HTTP/1.1
//! keep-alive connections in a pool, or one multiplexed HTTP/2 connection (h2c with prior
//! knowledge, or h2 chosen by ALPN over TLS), a timeout over each whole exchange and a cap on
//! answer bodies, so a hostile target yields an error with a reason, never a hang or unbounded
//! memory. Written on hyper directly rather than reqwest because the load path pays for every
//! layer per request (bench/README.md has the figures).

mod pool;
pub mod tls;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::header::{HeaderMap, HeaderName, HeaderValue, HOST, USER_AGENT};
use hyper::{Method, Request, Response, Uri, Version};

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
    pub tls: TlsOptions,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_body: 1024 * 1024,
            http2: false,
            tls: TlsOptions::default(),
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

/// An answer, read whole.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub status: u16,
    pub version: Version,
    pub headers: HeaderMap,
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

/// One target's connections. Cheap to share: clones use the same pool.
#[derive(Clone)]
pub struct Client {
    origin: Origin,
    /// Path every request path is appended to (a base URL may end in one).
    prefix: String,
    host: HeaderValue,
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
        let host = HeaderValue::from_str(&origin.authority)
            .map_err(|_| format!("target `{base_url}`: host is not a header value"))?;
        let pool = Pool::new(
            origin.clone(),
            tls,
            options.http2,
            connect_timeout(&options),
        )?;
        Ok(Self {
            origin,
            prefix,
            host,
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
        let request = self.request(method, path, headers, body)?;
        match tokio::time::timeout(self.options.timeout, self.exchange(request)).await {
            Ok(result) => result,
            Err(_) => Err(TransportError(format!(
                "timed out: no whole answer within {}",
                humantime::format_duration(self.options.timeout)
            ))),
        }
    }

    fn request(
        &self,
        method: &Method,
        path: &str,
        headers: &[(String, String)],
        body: Option<&Bytes>,
    ) -> Result<Request<Full<Bytes>>, TransportError> {
        let path = if self.prefix.is_empty() {
            path.to_owned()
        } else {
            format!("{}{path}", self.prefix)
        };
        // HTTP/2 carries scheme and authority as pseudo-headers, taken from an absolute URI;
        // HTTP/1.1 sends the path alone and a Host header.
        let uri = if self.pool.http2() {
            let scheme = if self.origin.https { "https" } else { "http" };
            format!("{scheme}://{}{path}", self.origin.authority)
        } else {
            path
        };
        let uri =
            Uri::try_from(uri).map_err(|e| TransportError(format!("invalid request path: {e}")))?;
        let mut request = Request::new(Full::new(body.cloned().unwrap_or_default()));
        *request.method_mut() = method.clone();
        *request.uri_mut() = uri;
        let map = request.headers_mut();
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| TransportError(format!("invalid header name `{name}`")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| TransportError(format!("invalid value for header `{name}`")))?;
            map.append(name, value);
        }
        // A scenario that sets Host or User-Agent itself replaces these, rather than doubling them.
        if !self.pool.http2() {
            map.entry(HOST).or_insert_with(|| self.host.clone());
        }
        map.entry(USER_AGENT)
            .or_insert(HeaderValue::from_static(AGENT));
        Ok(request)
    }

    async fn exchange(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<Exchange, TransportError> {
        loop {
            let (mut sender, reused) = self.pool.checkout().await?;
            match sender.send(request).await {
                Ok(response) => {
                    let exchange = self.read(response).await;
                    // A connection whose answer was read whole can carry the next request.
                    if exchange.is_ok() {
                        self.pool.give_back(sender);
                    }
                    return exchange;
                }
                // A kept-alive connection the server had closed: the request was never
                // written, so it goes again on a fresh connection.
                Err(mut error) if reused => match error.take_message() {
                    Some(unsent) => request = unsent,
                    None => return Err(describe(error.error())),
                },
                Err(error) => return Err(describe(error.error())),
            }
        }
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
                    TransportError(format!(
                        "response body larger than the {} byte cap",
                        self.options.max_body
                    ))
                } else {
                    match error.downcast_ref::<hyper::Error>() {
                        Some(error) => describe(error),
                        None => TransportError(format!("broken response body: {error}")),
                    }
                }
            })?
            .to_bytes();
        Ok(Exchange {
            status: parts.status.as_u16(),
            version: parts.version,
            headers: parts.headers,
            body,
        })
    }
}

fn connect_timeout(options: &ClientOptions) -> Duration {
    options.timeout.min(Duration::from_secs(5))
}

/// A readable reason with its causes, e.g. `malformed HTTP answer: invalid HTTP version`.
pub(crate) fn describe(error: &hyper::Error) -> TransportError {
    let kind = if error.is_parse() || error.is_parse_status() || error.is_parse_too_large() {
        "malformed HTTP answer"
    } else if error.is_incomplete_message() {
        "connection closed before the answer was complete"
    } else if error.is_closed() || error.is_canceled() {
        "connection closed"
    } else if error.is_body_write_aborted() || error.is_user() {
        "request failed"
    } else {
        "HTTP error"
    };
    let mut text = format!("{kind}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    TransportError(text)
}
