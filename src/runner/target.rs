//! The gateway under test as the runner talks to it: requests as scenarios build them, answers
//! as the checks read them, over gatecheck's own HTTP client (`crate::transport`).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::header::HeaderMap;
use hyper::{Method, Version};

use crate::transport::Client;
pub use crate::transport::{ClientOptions, TransportError};

#[derive(Debug, Clone)]
pub struct Target {
    pub base_url: String,
    client: Client,
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Bytes>,
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub latency: Duration,
    /// The body parsed as JSON, once, by the first check that asks.
    json: OnceLock<Option<serde_json::Value>>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every header, in order, as text (bytes that are not UTF-8 shown lossily).
    pub fn header_list(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect()
    }

    pub fn json(&self) -> Option<&serde_json::Value> {
        self.json
            .get_or_init(|| serde_json::from_slice(&self.body).ok())
            .as_ref()
    }
}

impl Target {
    pub fn new(base_url: &str, options: ClientOptions) -> Result<Self, String> {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let client = Client::new(&base_url, options)?;
        Ok(Self { base_url, client })
    }

    pub fn options(&self) -> &ClientOptions {
        self.client.options()
    }

    /// Sends one request and reads at most the body cap of the answer.
    pub async fn send(&self, request: &Prepared) -> Result<Answer, TransportError> {
        let started = Instant::now();
        let exchange = self
            .client
            .send(
                &request.method,
                &request.path,
                &request.headers,
                request.body.as_ref(),
            )
            .await?;
        Ok(Answer {
            status: exchange.status,
            version: exchange.version,
            headers: exchange.headers,
            body: exchange.body,
            latency: started.elapsed(),
            json: OnceLock::new(),
        })
    }

    /// Whether anything answers HTTP at the base URL.
    pub async fn reachable(&self) -> Result<(), TransportError> {
        let probe = Prepared {
            method: Method::GET,
            path: "/".into(),
            headers: Vec::new(),
            body: None,
        };
        self.send(&probe).await.map(|_| ())
    }
}
