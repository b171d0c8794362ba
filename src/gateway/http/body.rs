//! Every request body is read before the route answers, whatever the answer: a 404, a 405 or
//! a refusal of a body past the cap that left bytes unread on a kept-alive HTTP/1.1
//! connection made hyper drop it after the answer, with no `Connection: close`, so the
//! client's next request on it met a reset. Past the cap the body is drained (read and thrown
//! away) up to `DRAIN_LIMIT` within `DRAIN_TIME`; a body longer or slower than that is
//! answered with `Connection: close`, so the client knows the connection ends there.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Version};
use axum::middleware::Next;
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;

use crate::gateway::flow::Flow;

/// Most bytes of one body read and thrown away past the cap.
pub const DRAIN_LIMIT: usize = 1024 * 1024;
/// Longest a body past the cap is drained for.
pub const DRAIN_TIME: Duration = Duration::from_secs(2);

/// What was read of a body: at most `keep + 1` bytes (one more than the cap tells the route
/// the body was too large), and whether the body was read to its end.
#[derive(Debug, PartialEq, Eq)]
pub struct Read {
    pub kept: Bytes,
    pub whole: bool,
}

/// Reads `body` keeping its first `keep + 1` bytes; stops after `limit` bytes in all, when
/// draining past `keep` takes longer than `drain_time`, or on an error (the client went away
/// mid-body). Only the drain is timed: a body within the cap is read as slowly as it comes,
/// as any route would read it (the client's own timeout ends it).
pub async fn read_capped(mut body: Body, keep: usize, limit: usize, drain_time: Duration) -> Read {
    let mut kept = BytesMut::new();
    let mut seen = 0usize;
    let mut drain_until = None;
    let partial = |kept: BytesMut| Read {
        kept: kept.freeze(),
        whole: false,
    };
    loop {
        let frame = match drain_until {
            None => body.frame().await,
            Some(until) => match tokio::time::timeout_at(until, body.frame()).await {
                Ok(frame) => frame,
                Err(_) => return partial(kept),
            },
        };
        let Some(frame) = frame else { break };
        let Ok(frame) = frame else {
            return partial(kept);
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        seen = seen.saturating_add(data.len());
        let room = (keep + 1).saturating_sub(kept.len());
        kept.extend_from_slice(&data[..data.len().min(room)]);
        if seen > limit {
            return partial(kept);
        }
        if seen > keep && drain_until.is_none() {
            drain_until = Some(tokio::time::Instant::now() + drain_time);
        }
    }
    Read {
        kept: kept.freeze(),
        whole: true,
    }
}

/// The layer in front of every route (`router` adds it): the body read first, the route given
/// what the cap allows, and `Connection: close` on the answer when the body was not read whole.
pub async fn read_first(State(flow): State<Arc<Flow>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let cap = flow.config().requests.max_body_bytes;
    let limit = DRAIN_LIMIT.max(cap);
    let read = read_capped(body, cap, limit, DRAIN_TIME).await;
    let version = parts.version;
    let mut response = next
        .run(Request::from_parts(parts, Body::from(read.kept)))
        .await;
    // HTTP/2 has no such header (a stream is reset on its own); HTTP/1.0 closes anyway.
    if !read.whole && version == Version::HTTP_11 {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(bytes: &'static [u8]) -> Body {
        Body::from(Bytes::from_static(bytes))
    }

    #[tokio::test]
    async fn a_body_within_the_cap_is_kept_whole() {
        let read = read_capped(body_of(b"abcde"), 8, 100, DRAIN_TIME).await;
        assert_eq!(read.kept, Bytes::from_static(b"abcde"));
        assert!(read.whole);
    }

    #[tokio::test]
    async fn past_the_cap_one_byte_more_is_kept_and_the_rest_drained() {
        let read = read_capped(body_of(b"abcdefghij"), 3, 100, DRAIN_TIME).await;
        assert_eq!(read.kept, Bytes::from_static(b"abcd"));
        assert!(read.whole, "drained to the end");
    }

    #[tokio::test]
    async fn past_the_drain_limit_the_body_is_not_whole() {
        let read = read_capped(body_of(b"abcdefghijkl"), 3, 9, DRAIN_TIME).await;
        assert_eq!(read.kept, Bytes::from_static(b"abcd"));
        assert!(!read.whole);
    }

    /// A body whose parts come through a channel, as slowly as the test sends them.
    struct Channel(tokio::sync::mpsc::Receiver<Bytes>);

    impl hyper::body::Body for Channel {
        type Data = Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
            self.0
                .poll_recv(cx)
                .map(|part| part.map(|b| Ok(hyper::body::Frame::data(b))))
        }
    }

    /// A body that comes in two parts, `pause` apart.
    fn slow_body(first: &'static [u8], pause: Duration, rest: &'static [u8]) -> Body {
        let (parts, receiver) = tokio::sync::mpsc::channel(2);
        tokio::spawn(async move {
            let _ = parts.send(Bytes::from_static(first)).await;
            tokio::time::sleep(pause).await;
            let _ = parts.send(Bytes::from_static(rest)).await;
        });
        Body::new(Channel(receiver))
    }

    #[tokio::test]
    async fn a_slow_body_within_the_cap_is_read_whole_and_a_slow_drain_is_cut() {
        // Only the order matters: the pause is longer than the drain may take.
        let (drain, pause) = (Duration::from_millis(20), Duration::from_millis(200));
        let read = read_capped(slow_body(b"abc", pause, b"de"), 8, 100, drain).await;
        assert_eq!(
            (read.kept, read.whole),
            (Bytes::from_static(b"abcde"), true)
        );
        let read = read_capped(slow_body(b"abcdef", pause, b"gh"), 3, 100, drain).await;
        assert_eq!(
            (read.kept, read.whole),
            (Bytes::from_static(b"abcd"), false)
        );
    }
}
