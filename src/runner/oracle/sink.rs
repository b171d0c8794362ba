//! The `sink` code oracle: the code read from an HTTP service of its own (a mail or SMS sink)
//! at a URL with the user in it, at a JSON pointer.

use serde_json::Value;

use super::{encode, get_json, with_user, CodeSource, Lookup};
use crate::runner::target::{ClientOptions, Target};

pub struct Sink {
    /// With `{{ user }}` where the user goes.
    pub url: String,
    pub pointer: String,
}

impl CodeSource for Sink {
    fn code<'a>(&'a self, target: &'a Target, user: &'a str) -> Lookup<'a, String> {
        Box::pin(async move {
            let url = with_user(&self.url, &encode(user));
            let body = sink_json(target, &url)
                .await
                .map_err(|e| format!("sink code oracle: {e}"))?;
            match body.pointer(&self.pointer) {
                Some(Value::String(code)) => Ok(code.clone()),
                Some(other) => Ok(other.to_string()),
                // Not the body: a sink's answer may hold other users' codes.
                None => Err(format!(
                    "sink code oracle: nothing at {} in the sink's answer ({} bytes of JSON)",
                    self.pointer,
                    body.to_string().len()
                )),
            }
        })
    }
}

/// GETs JSON from the sink's URL, trusting what the target's TLS options trust.
async fn sink_json(target: &Target, url: &str) -> Result<Value, String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(format!("`{url}` is not an absolute URL"));
    };
    // A sink is a plain service of its own: HTTP/1.1 whatever the target speaks, within the
    // session's --timeout as every other request.
    let options = ClientOptions {
        http2: false,
        ..target.options().clone()
    };
    let sink = Target::new(&format!("{scheme}://{authority}"), options)?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    get_json(&sink, path).await
}
