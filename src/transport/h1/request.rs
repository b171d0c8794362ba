//! Writing a request as HTTP/1.1 bytes: the head with Content-Length set from the body, after
//! checking that the path, names and values can go on the wire as they are.

use hyper::Method;

use super::Outgoing;
use crate::transport::{invalid, TransportError};

/// Writes the request head and body into `out`. Content-Length is gatecheck's to set: a
/// scenario cannot frame the body differently from what is sent.
pub(super) fn encode(request: &Outgoing<'_>, out: &mut Vec<u8>) -> Result<(), TransportError> {
    out.clear();
    let graphic = |text: &str| text.bytes().fold(true, |all, b| all & b.is_ascii_graphic());
    if request.path.is_empty() || !graphic(request.path) {
        return Err(invalid(format!(
            "invalid request path `{}`: HTTP/1.1 needs visible ASCII without spaces",
            request.path
        )));
    }
    out.extend_from_slice(request.method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(request.path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    for (name, value) in request.defaults {
        if !request
            .headers
            .iter()
            .any(|(given, _)| given.eq_ignore_ascii_case(name))
        {
            header(out, name, value);
        }
    }
    for (name, value) in request.headers {
        if name.is_empty() || !name.bytes().all(is_token) {
            return Err(invalid(format!("invalid header name `{name}`")));
        }
        if !crate::transport::headers::is_text(value.as_bytes()) {
            return Err(invalid(format!("invalid value for header `{name}`")));
        }
        header(out, name, value);
    }
    let body = request.body.map(|b| b.as_ref()).unwrap_or_default();
    // A body, or a method whose body is expected, is announced; an empty GET announces none.
    if !body.is_empty() || !matches!(*request.method, Method::GET | Method::HEAD) {
        out.extend_from_slice(b"content-length: ");
        push_decimal(out, body.len());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    Ok(())
}

/// `n` in decimal, without the formatting machinery (a request's one number).
pub(super) fn push_decimal(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(crate::transport::decimal(n as u64, &mut [0; 20]).as_bytes());
}

fn header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// RFC 9110 token characters (header names), a lookup a byte: searching the list of symbols
/// cost 20 instructions a byte.
pub(super) fn is_token(b: u8) -> bool {
    TOKEN[usize::from(b)]
}

const TOKEN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    table
};
