//! An answer's header fields, kept as the HTTP/1.1 head they came in with where each field
//! lies in it, and made into a `HeaderMap` only when something asks for them all (a record):
//! a load step that reads one header (`X-Request-Id` of an error) finds it in the head, and
//! never pays for the map, which cost a fifth of the client's instructions per request
//! (`bench/README.md`).

use std::sync::OnceLock;

use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};

/// Most header fields an answer head may have (a head with more is refused as malformed).
pub(super) const MAX_HEADERS: usize = 100;

#[derive(Debug, Clone, Default)]
pub struct Headers {
    /// The head as received (status line and fields), already parsed once for its framing.
    head: Bytes,
    /// Where each field's name and value lie in `head`: (name start, name end, value start,
    /// value end).
    fields: Vec<[u32; 4]>,
    map: OnceLock<HeaderMap>,
}

impl Headers {
    /// Headers already in a map (HTTP/2, tests).
    pub fn from_map(map: HeaderMap) -> Self {
        Self {
            head: Bytes::new(),
            fields: Vec::new(),
            map: OnceLock::from(map),
        }
    }

    /// The fields of `head`, a complete answer head that `h1::parse_head` accepted, at the
    /// places `fields` says.
    pub(super) fn from_head(head: Bytes, fields: Vec<[u32; 4]>) -> Self {
        Self {
            head,
            fields,
            map: OnceLock::new(),
        }
    }

    /// The first value of the field `name` (any case) if it is text as `HeaderValue::to_str`
    /// takes it: visible ASCII and tabs.
    pub fn get(&self, name: &str) -> Option<&str> {
        if let Some(map) = self.map.get() {
            return map.get(name).and_then(|v| v.to_str().ok());
        }
        let slice = |from: u32, to: u32| self.head.get(from as usize..to as usize);
        let value = self.fields.iter().find_map(|&[n0, n1, v0, v1]| {
            // The length first: most fields are passed over without reading their names.
            if n1.saturating_sub(n0) as usize != name.len() {
                return None;
            }
            let found = slice(n0, n1)?.eq_ignore_ascii_case(name.as_bytes());
            found.then(|| slice(v0, v1)).flatten()
        })?;
        is_text(value)
            .then(|| std::str::from_utf8(value).ok())
            .flatten()
    }

    /// Every field, in order, names lowercased as `HeaderMap` keeps them.
    pub fn map(&self) -> &HeaderMap {
        self.map.get_or_init(|| fields(&self.head))
    }
}

/// Visible ASCII and tabs, checked without an early exit so that the loop vectorises: a
/// byte at a time it cost 600 instructions for a request id, a thirtieth of a request's.
pub(in crate::transport) fn is_text(value: &[u8]) -> bool {
    value.iter().fold(true, |text, &b| {
        text & ((b == b'\t') | (b' '..=b'~').contains(&b))
    })
}

/// The head's fields as a map. The head parsed before, with the same limit, so the fields are
/// there; a field `http` would not take (none that httparse accepts) is left out.
fn fields(head: &[u8]) -> HeaderMap {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut fields);
    if response.parse(head).is_err() {
        return HeaderMap::new();
    }
    let mut map = HeaderMap::with_capacity(response.headers.len());
    for field in response.headers.iter() {
        let name = HeaderName::from_bytes(field.name.as_bytes());
        let value = HeaderValue::from_bytes(field.value);
        if let (Ok(name), Ok(value)) = (name, value) {
            map.append(name, value);
        }
    }
    map
}
