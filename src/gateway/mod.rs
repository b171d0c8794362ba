//! The embedded reference gateway: a strict implementation of the password-reset API
//! (`docs/api.md`) with the choices, test-support endpoints and fault switches of
//! `docs/reference-gateway.md`.
//!
//! `router(flow)` is a pure function of the state; `serve` runs it on a listener until a
//! shutdown future resolves; `spawn` binds an ephemeral loopback port for tests and for
//! `gatecheck run` without a target.

pub mod captcha;
pub mod clock;
pub mod config;
pub mod exposure;
pub mod failure;
pub mod fault;
pub mod flow;
pub mod http;
pub mod password;
pub mod request;
pub mod store;
pub mod token;
pub mod users;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use clock::Clock;
pub use config::GatewayConfig;
pub use failure::FailureKind;
pub use fault::{Fault, FaultSet};
pub use flow::Flow;
pub use http::router;

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("cannot draw the CAPTCHA pool: {0}")]
    Captcha(#[from] captcha::render::RenderError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

/// Serves the gateway on `listener` until `shutdown` resolves, then finishes open requests.
pub async fn serve(
    listener: TcpListener,
    flow: Arc<Flow>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), GatewayError> {
    axum::serve(listener, router(flow))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(GatewayError::Serve)
}

/// A gateway running in the background on an ephemeral loopback port; stops when dropped.
pub struct SpawnedGateway {
    pub addr: SocketAddr,
    pub flow: Arc<Flow>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), GatewayError>>>,
}

impl SpawnedGateway {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets open requests finish, and waits for the server task.
    pub async fn stop(mut self) -> Result<(), GatewayError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for SpawnedGateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts a gateway on 127.0.0.1 with an OS-chosen port.
pub async fn spawn(config: GatewayConfig, clock: Clock) -> Result<SpawnedGateway, GatewayError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|source| GatewayError::Bind {
            addr: "127.0.0.1:0".into(),
            source,
        })?;
    spawn_on(listener, config, clock)
}

/// Starts a gateway on an already bound listener.
pub fn spawn_on(
    listener: TcpListener,
    config: GatewayConfig,
    clock: Clock,
) -> Result<SpawnedGateway, GatewayError> {
    let addr = listener.local_addr().map_err(|source| GatewayError::Bind {
        addr: "listener".into(),
        source,
    })?;
    let flow = Arc::new(Flow::new(config, clock)?);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, Arc::clone(&flow), async {
        let _ = stopped.await;
    }));
    Ok(SpawnedGateway {
        addr,
        flow,
        stop: Some(stop),
        task: Some(task),
    })
}
