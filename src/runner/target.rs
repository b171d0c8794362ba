//! The gateway under test as the runner talks to it: one HTTP client with timeouts, no
//! redirects, and a cap on response bodies, so a hostile target yields a recorded failure with a
//! reason, never a hang or unbounded memory.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

#[derive(Debug, Clone)]
pub struct Target {
    pub base_url: String,
    client: reqwest::Client,
    max_body: usize,
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub method: reqwest::Method,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub version: reqwest::Version,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub latency: Duration,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

impl Target {
    /// `http2`: speak HTTP/2 from the first byte (h2c, prior knowledge) instead of HTTP/1.1.
    pub fn new(
        base_url: &str,
        timeout: Duration,
        max_body: usize,
        http2: bool,
    ) -> Result<Self, String> {
        let base_url = base_url.trim_end_matches('/').to_owned();
        reqwest::Url::parse(&base_url)
            .map_err(|e| format!("target `{base_url}` is not a URL: {e}"))?;
        let mut builder = reqwest::Client::builder();
        if http2 {
            builder = builder.http2_prior_knowledge();
        }
        let client = builder
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            base_url,
            client,
            max_body,
        })
    }

    /// Sends one request and reads at most `max_body` bytes of the answer.
    pub async fn send(&self, request: &Prepared) -> Result<Answer, TransportError> {
        let mut headers = HeaderMap::new();
        for (name, value) in &request.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| TransportError(format!("invalid header name `{name}`")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| TransportError(format!("invalid value for header `{name}`")))?;
            headers.append(name, value);
        }
        let mut builder = self
            .client
            .request(
                request.method.clone(),
                format!("{}{}", self.base_url, request.path),
            )
            .headers(headers);
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let started = Instant::now();
        let mut response = builder.send().await.map_err(describe)?;
        let version = response.version();
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            if body.len() + chunk.len() > self.max_body {
                return Err(TransportError(format!(
                    "response body larger than the {} byte cap",
                    self.max_body
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            version,
            headers,
            body,
            latency: started.elapsed(),
        })
    }

    /// Whether anything answers HTTP at the base URL.
    pub async fn reachable(&self) -> Result<(), TransportError> {
        let probe = Prepared {
            method: reqwest::Method::GET,
            path: "/".into(),
            headers: Vec::new(),
            body: None,
        };
        self.send(&probe).await.map(|_| ())
    }
}

fn describe(error: reqwest::Error) -> TransportError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else if error.is_body() || error.is_decode() {
        "broken response body"
    } else if error.is_request() {
        "request failed"
    } else {
        "HTTP error"
    };
    let mut text = format!("{kind}: {error}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    TransportError(text)
}
