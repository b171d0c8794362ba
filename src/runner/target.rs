//! The gateway under test as the runner talks to it: requests as scenarios build them, answers
//! as the checks read them, over gatecheck's own HTTP client (`crate::transport`).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::{Method, Version};

use super::peek::AnswerFields;
use crate::api::test_support::TOKEN_HEADER;
use crate::transport::Client;
pub use crate::transport::{ClientOptions, TransportError};

#[derive(Debug, Clone)]
pub struct Target {
    pub base_url: String,
    client: Client,
    /// Sent as `X-Test-Support-Token` on every test-support request (the profile's
    /// `test_support_token`), so no oracle or user creation can forget it.
    test_support_token: Option<std::sync::Arc<str>>,
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
    pub headers: crate::transport::Headers,
    pub body: Bytes,
    pub latency: Duration,
    /// The body parsed as JSON, once, by the first check that asks.
    json: OnceLock<Option<serde_json::Value>>,
    fields: OnceLock<Option<AnswerFields>>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// Every header, in order, as text (bytes that are not UTF-8 shown lossily).
    pub fn header_list(&self) -> Vec<(String, String)> {
        self.headers
            .map()
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

    /// An answer of `status` with `body` and no headers, as a test would have it arrive.
    #[cfg(test)]
    pub fn of_body(status: u16, body: &[u8]) -> Self {
        Answer {
            status,
            version: Version::HTTP_11,
            headers: crate::transport::Headers::from_map(Default::default()),
            body: Bytes::copy_from_slice(body),
            latency: Duration::ZERO,
            json: OnceLock::new(),
            fields: OnceLock::new(),
        }
    }

    /// The body as parsed so far: `None` if nothing has asked for it yet.
    #[cfg(test)]
    pub fn json_parsed(&self) -> Option<&Option<serde_json::Value>> {
        self.json.get()
    }

    /// The body parsed as JSON, taken rather than copied.
    pub fn into_json(self) -> Option<serde_json::Value> {
        match self.json.into_inner() {
            Some(parsed) => parsed,
            None => serde_json::from_slice(&self.body).ok(),
        }
    }

    /// The body's `error_code`, `error_msg`, `token` and key count, from the parsed body if a
    /// check already asked for it, else read alone (`peek`), once, without parsing the body
    /// whole.
    pub fn top_fields(&self) -> Option<&AnswerFields> {
        self.fields
            .get_or_init(|| match self.json.get() {
                Some(json) => json.as_ref().and_then(AnswerFields::of_value),
                None => super::peek::fields(&self.body),
            })
            .as_ref()
    }
}

impl Target {
    pub fn new(base_url: &str, options: ClientOptions) -> Result<Self, String> {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let client = Client::new(&base_url, options)?;
        Ok(Self {
            base_url,
            client,
            test_support_token: None,
        })
    }

    /// This target with its test-support endpoints guarded by `token`.
    pub fn with_test_support_token(mut self, token: Option<&str>) -> Self {
        self.test_support_token = token.map(std::sync::Arc::from);
        self
    }

    /// The same target and token with connections of its own (an engine thread's: a
    /// connection belongs to the runtime that opened it).
    pub fn reconnected(&self) -> Result<Self, String> {
        Ok(Self {
            base_url: self.base_url.clone(),
            client: Client::new(&self.base_url, self.client.options().clone())?,
            test_support_token: self.test_support_token.clone(),
        })
    }

    pub fn options(&self) -> &ClientOptions {
        self.client.options()
    }

    /// Sends one request and reads at most the body cap of the answer.
    pub async fn send(&self, request: &Prepared) -> Result<Answer, TransportError> {
        let started = Instant::now();
        let guarded;
        let headers = match &self.test_support_token {
            Some(token) if request.path.starts_with(crate::api::test_support::PREFIX) => {
                guarded = with_header(&request.headers, TOKEN_HEADER, token);
                &guarded
            }
            _ => &request.headers,
        };
        let exchange = self
            .client
            .send(
                &request.method,
                &request.path,
                headers,
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
            fields: OnceLock::new(),
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

fn with_header(headers: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    let mut all = headers.to_vec();
    all.push((name.to_owned(), value.to_owned()));
    all
}
