//! Connections to one origin: idle HTTP/1.1 connections kept for reuse (newest first, so the
//! warmest is taken), or one HTTP/2 connection every request shares. Each connection's I/O is
//! driven by its own task, as hyper's connection API asks.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2, TrySendError};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use parking_lot::Mutex;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::{describe, tls, Origin, TransportError};

type Body = Full<Bytes>;

/// Idle HTTP/1.1 connections kept beyond this are closed.
const MAX_IDLE: usize = 1024;

pub(super) enum Sender {
    Http1(http1::SendRequest<Body>),
    Http2(http2::SendRequest<Body>),
}

impl Sender {
    pub(super) async fn send(
        &mut self,
        request: Request<Body>,
    ) -> Result<Response<Incoming>, TrySendError<Request<Body>>> {
        match self {
            Sender::Http1(sender) => sender.try_send_request(request).await,
            Sender::Http2(sender) => sender.try_send_request(request).await,
        }
    }

    async fn ready(&mut self) -> Result<(), hyper::Error> {
        match self {
            Sender::Http1(sender) => sender.ready().await,
            Sender::Http2(sender) => sender.ready().await,
        }
    }
}

pub(super) struct Pool {
    origin: Origin,
    tls: Option<(TlsConnector, rustls::pki_types::ServerName<'static>)>,
    http2: bool,
    connect_timeout: Duration,
    idle: Mutex<Vec<http1::SendRequest<Body>>>,
    /// The shared HTTP/2 connection; the async lock makes concurrent first requests wait for
    /// one handshake instead of opening a connection each.
    shared: tokio::sync::Mutex<Option<http2::SendRequest<Body>>>,
}

impl Pool {
    pub(super) fn new(
        origin: Origin,
        tls: Option<rustls::ClientConfig>,
        http2: bool,
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
            shared: tokio::sync::Mutex::new(None),
        })
    }

    /// Whether requests go over HTTP/2.
    pub(super) fn http2(&self) -> bool {
        self.http2
    }

    /// A connection ready for a request, and whether it was used before (it may have been closed
    /// by the server since).
    pub(super) async fn checkout(&self) -> Result<(Sender, bool), TransportError> {
        if self.http2 {
            let mut shared = self.shared.lock().await;
            if let Some(sender) = shared.as_ref().filter(|s| !s.is_closed()) {
                return Ok((Sender::Http2(sender.clone()), true));
            }
            let mut sender = self.dial().await?;
            if let Sender::Http2(h2) = &sender {
                *shared = Some(h2.clone());
            }
            sender.ready().await.map_err(|e| describe(&e))?;
            return Ok((sender, false));
        }
        loop {
            let idle = self.idle.lock().pop();
            match idle {
                Some(mut sender) if !sender.is_closed() => {
                    if sender.ready().await.is_ok() {
                        return Ok((Sender::Http1(sender), true));
                    }
                }
                Some(_) => {}
                None => break,
            }
        }
        let mut sender = self.dial().await?;
        sender.ready().await.map_err(|e| describe(&e))?;
        Ok((sender, false))
    }

    pub(super) fn give_back(&self, sender: Sender) {
        if let Sender::Http1(sender) = sender {
            let mut idle = self.idle.lock();
            if idle.len() < MAX_IDLE {
                idle.push(sender);
            }
        }
    }

    async fn dial(&self) -> Result<Sender, TransportError> {
        let host = self
            .origin
            .host
            .trim_start_matches('[')
            .trim_end_matches(']');
        let connect = TcpStream::connect((host, self.origin.port));
        let tcp = tokio::time::timeout(self.connect_timeout, connect)
            .await
            .map_err(|_| {
                TransportError(format!(
                    "cannot connect: timed out after {}",
                    humantime::format_duration(self.connect_timeout)
                ))
            })?
            .map_err(|e| TransportError(format!("cannot connect: {e}")))?;
        let _ = tcp.set_nodelay(true);
        let Some((connector, name)) = &self.tls else {
            return handshake(tcp, self.http2).await;
        };
        let stream =
            tokio::time::timeout(self.connect_timeout, connector.connect(name.clone(), tcp))
                .await
                .map_err(|_| TransportError("TLS handshake timed out".into()))?
                .map_err(|e| TransportError(format!("TLS handshake failed: {e}")))?;
        // With `--http2` only h2 was offered: a server that ignores ALPN is spoken to in h2 too.
        handshake(stream, self.http2).await
    }
}

async fn handshake<T>(io: T, http2: bool) -> Result<Sender, TransportError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(io);
    if http2 {
        let (sender, connection) = http2::handshake(TokioExecutor::new(), io)
            .await
            .map_err(|e| describe(&e))?;
        tokio::spawn(connection);
        Ok(Sender::Http2(sender))
    } else {
        let (sender, connection) = http1::handshake(io).await.map_err(|e| describe(&e))?;
        tokio::spawn(connection);
        Ok(Sender::Http1(sender))
    }
}
