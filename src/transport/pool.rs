//! Connections to one origin: idle HTTP/1.1 connections kept for reuse (newest first, so the
//! warmest is taken), or one HTTP/2 connection every request shares. HTTP/1.1 connections are
//! gatecheck's own (`h1`), driven by the task that sends on them; the HTTP/2 connection is
//! hyper's, driven by its own task as hyper's connection API asks.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::h1::Connection;
use super::timed::Timed;
use super::{describe, tls, Origin, TransportError, TransportKind};

pub(super) type Body = Full<Bytes>;

/// Idle HTTP/1.1 connections kept beyond this are closed.
const MAX_IDLE: usize = 1024;

/// A connection's byte stream: plain TCP, or TLS over it.
pub(super) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

pub(super) type Http1 = Timed<Stream>;

pub(super) struct Pool {
    origin: Origin,
    tls: Option<(TlsConnector, rustls::pki_types::ServerName<'static>)>,
    http2: bool,
    connect_timeout: Duration,
    idle: Mutex<Vec<Http1>>,
    /// The HTTP/2 connections requests share, taken in turn; the async lock makes concurrent
    /// first requests wait for one handshake instead of opening a connection each.
    shared: tokio::sync::Mutex<Vec<Option<http2::SendRequest<Body>>>>,
    next_shared: std::sync::atomic::AtomicUsize,
}

impl Pool {
    pub(super) fn new(
        origin: Origin,
        tls: Option<rustls::ClientConfig>,
        http2: bool,
        http2_connections: usize,
        connect_timeout: Duration,
    ) -> Result<Self, String> {
        let tls = match tls {
            Some(config) => Some((
                TlsConnector::from(Arc::new(config)),
                tls::server_name(&origin.host)?,
            )),
            None => None,
        };
        Ok(Self {
            origin,
            tls,
            http2,
            connect_timeout,
            idle: Mutex::new(Vec::new()),
            shared: tokio::sync::Mutex::new(vec![None; http2_connections.max(1)]),
            next_shared: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// Whether requests go over HTTP/2.
    pub(super) fn speaks_http2(&self) -> bool {
        self.http2
    }

    /// The next of the shared HTTP/2 connections in turn, opened on first use or after it
    /// closed. (A server caps the streams one connection carries at once, often at 100: more
    /// connections let more requests be in flight.)
    pub(super) async fn shared_http2(&self) -> Result<http2::SendRequest<Body>, TransportError> {
        let mut shared = self.shared.lock().await;
        let turn = self
            .next_shared
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            % shared.len();
        let slot = &mut shared[turn];
        if let Some(sender) = slot.as_ref().filter(|s| !s.is_closed()) {
            return Ok(sender.clone());
        }
        let mut sender = match self.dial().await? {
            Stream::Plain(tcp) => handshake(tcp).await?,
            Stream::Tls(tls) => handshake(tls).await?,
        };
        *slot = Some(sender.clone());
        sender.ready().await.map_err(|e| describe(&e))?;
        Ok(sender)
    }

    /// An idle HTTP/1.1 connection the server has not closed, if there is one.
    pub(super) fn idle_http1(&self) -> Option<Http1> {
        loop {
            let mut connection = self.idle.lock().pop()?;
            if connection.connection.is_reusable() {
                return Some(connection);
            }
        }
    }

    pub(super) async fn fresh_http1(&self) -> Result<Http1, TransportError> {
        Ok(Timed::new(Connection::new(self.dial().await?)))
    }

    /// Keeps a connection whose last answer allows another request.
    pub(super) fn give_back(&self, connection: Http1) {
        if connection.connection.may_continue() {
            let mut idle = self.idle.lock();
            if idle.len() < MAX_IDLE {
                idle.push(connection);
            }
        }
    }

    async fn dial(&self) -> Result<Stream, TransportError> {
        let host = self
            .origin
            .host
            .trim_start_matches('[')
            .trim_end_matches(']');
        let connect = TcpStream::connect((host, self.origin.port));
        let tcp = tokio::time::timeout(self.connect_timeout, connect)
            .await
            .map_err(|_| {
                TransportError::new(
                    TransportKind::Connect,
                    format!(
                        "cannot connect: timed out after {}",
                        humantime::format_duration(self.connect_timeout)
                    ),
                )
            })?
            .map_err(|e| {
                TransportError::new(TransportKind::Connect, format!("cannot connect: {e}"))
            })?;
        let _ = tcp.set_nodelay(true);
        let Some((connector, name)) = &self.tls else {
            return Ok(Stream::Plain(tcp));
        };
        let stream =
            tokio::time::timeout(self.connect_timeout, connector.connect(name.clone(), tcp))
                .await
                .map_err(|_| TransportError::new(TransportKind::Tls, "TLS handshake timed out"))?
                .map_err(|e| {
                    TransportError::new(TransportKind::Tls, format!("TLS handshake failed: {e}"))
                })?;
        // With `--http2` only h2 was offered: a server that ignores ALPN is spoken to in h2 too.
        Ok(Stream::Tls(Box::new(stream)))
    }
}

async fn handshake<T>(io: T) -> Result<http2::SendRequest<Body>, TransportError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(io))
        .await
        .map_err(|e| describe(&e))?;
    tokio::spawn(connection);
    Ok(sender)
}
