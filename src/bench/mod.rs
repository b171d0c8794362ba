//! `gatecheck bench`: the reference gateway's throughput on one core.
//!
//! The gateway runs on a single-threaded runtime pinned to CPU 0 (its CAPTCHA renderer thread
//! inherits the pin); a lean hyper client runs on CPU 1. Two phases are measured, each after a
//! warm-up: complete five-call flows (images included), and calls 2-5 alone (T1s issued
//! in-process). Per phase: flows/s, requests/s, the gateway's CPU use, the share of that CPU
//! spent drawing images, and the client's CPU. The client learns CAPTCHA answers and codes
//! in-process from the gateway's state (what the test-support endpoints would say, without
//! the extra requests), so every request counted is one of the five calls.

mod client;
mod flows;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::cputime::{available_cpus, pin_current_thread, thread_cpu_ns};
use crate::gateway::{self, Clock, Flow, GatewayConfig};

pub use flows::Phase;

/// What a bench run does: how long, how many connections, the image renderer's settings.
#[derive(Debug, Clone)]
pub struct BenchSettings {
    /// Measured time per phase.
    pub duration: Duration,
    /// Unmeasured time before each phase.
    pub warmup: Duration,
    /// Client connections (each runs one flow at a time).
    pub connections: usize,
    /// Times a CAPTCHA image is served before it is redrawn.
    pub captcha_reuse: u32,
    /// Most CPU the image renderer may use, as a share of one core.
    pub captcha_render_budget: f64,
}

/// What a bench run measured.
#[derive(Debug, Clone)]
pub struct BenchOutcome {
    /// Whether gateway and client each had a core of their own.
    pub pinned: bool,
    pub phases: Vec<PhaseReport>,
}

/// Figures of one phase.
#[derive(Debug, Clone)]
pub struct PhaseReport {
    pub phase: Phase,
    pub seconds: f64,
    pub flows: u64,
    pub requests: u64,
    pub errors: u64,
    pub gateway_cpu: Duration,
    pub image_cpu: Duration,
    pub images_drawn: u64,
    pub client_cpu: Duration,
}

impl PhaseReport {
    pub fn flows_per_second(&self) -> f64 {
        self.flows as f64 / self.seconds
    }

    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    /// Requests per second per fully used gateway core.
    pub fn requests_per_gateway_core_second(&self) -> f64 {
        self.requests as f64 / self.gateway_cpu.as_secs_f64().max(1e-9)
    }

    pub fn image_share(&self) -> f64 {
        self.image_cpu.as_secs_f64() / self.gateway_cpu.as_secs_f64().max(1e-9)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("gateway: {0}")]
    Gateway(#[from] gateway::GatewayError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("client: {0}")]
    Client(#[from] client::ClientError),
    #[error("the gateway thread stopped early")]
    GatewayGone,
}

/// Measures, and returns the figures as the console shows them.
pub fn run(args: &BenchSettings) -> Result<String, BenchError> {
    let outcome = measure(args)?;
    Ok(render(args, &outcome))
}

/// Runs both phases and returns their figures.
pub fn measure(args: &BenchSettings) -> Result<BenchOutcome, BenchError> {
    let pinned = available_cpus() >= 2;
    let config = GatewayConfig {
        generated: crate::gateway::users::GeneratedUsers::reference(10_000_000),
        // A load run must not be throttled by the per-user resend interval.
        resend_interval: Duration::ZERO,
        captcha_reuse: args.captcha_reuse,
        captcha_render_budget: args.captcha_render_budget,
        ..GatewayConfig::default()
    };
    let (server, flow, addr) = GatewayThread::start(config, pinned)?;
    if pinned {
        pin_current_thread(1);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let mut reports = Vec::new();
        for phase in [Phase::FullFlow, Phase::Calls2To5] {
            reports.push(flows::run_phase(phase, addr, &flow, &server, args).await?);
        }
        Ok::<_, BenchError>(reports)
    });
    server.stop();
    Ok(BenchOutcome {
        pinned,
        phases: result?,
    })
}

/// The gateway on its own pinned thread with a single-threaded runtime.
pub struct GatewayThread {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl GatewayThread {
    fn start(
        config: GatewayConfig,
        pinned: bool,
    ) -> Result<(Self, Arc<Flow>, SocketAddr), BenchError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("gateway".into())
            .spawn(move || {
                if pinned {
                    pin_current_thread(0);
                }
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready_tx.send(Err(BenchError::Io(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let started = async {
                        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                        let addr = listener.local_addr()?;
                        // Built here so the renderer thread inherits this thread's CPU pin.
                        let flow = Arc::new(
                            Flow::new(config, Clock::system())
                                .map_err(gateway::GatewayError::from)?,
                        );
                        Ok::<_, BenchError>((listener, flow, addr))
                    };
                    match started.await {
                        Ok((listener, flow, addr)) => {
                            let _ = ready_tx.send(Ok((
                                tokio::runtime::Handle::current(),
                                Arc::clone(&flow),
                                addr,
                            )));
                            let _ = gateway::serve(listener, flow, async {
                                let _ = stopped.await;
                            })
                            .await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })?;
        let (handle, flow, addr) = ready_rx.recv().map_err(|_| BenchError::GatewayGone)??;
        Ok((
            Self {
                handle,
                stop: Some(stop),
                thread: Some(thread),
            },
            flow,
            addr,
        ))
    }

    /// CPU time of the gateway's runtime thread, read on that thread.
    pub async fn cpu(&self) -> Result<Duration, BenchError> {
        let ns = self
            .handle
            .spawn(async { thread_cpu_ns() })
            .await
            .map_err(|_| BenchError::GatewayGone)?;
        Ok(Duration::from_nanos(ns))
    }

    fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn render(args: &BenchSettings, outcome: &BenchOutcome) -> String {
    let mut out = format!(
        "gatecheck bench: gateway on one core ({}), client on the other; {} connections; {} per phase after {} warm-up; \
         images redrawn every {} serves within {:.0}% of a core\n\n",
        if outcome.pinned { "pinned to CPU 0" } else { "NOT pinned: fewer than 2 CPUs" },
        args.connections,
        humantime::format_duration(args.duration),
        humantime::format_duration(args.warmup),
        args.captcha_reuse,
        100.0 * args.captcha_render_budget,
    );
    out.push_str(&format!(
        "{:<22} {:>10} {:>12} {:>8} {:>13} {:>16} {:>12} {:>13} {:>11}\n",
        "phase",
        "flows/s",
        "requests/s",
        "errors",
        "gateway CPU",
        "req/s per core",
        "image share",
        "images/s",
        "client CPU"
    ));
    for r in &outcome.phases {
        out.push_str(&format!(
            "{:<22} {:>10.0} {:>12.0} {:>8} {:>12.0}% {:>16.0} {:>11.1}% {:>13.0} {:>10.0}%\n",
            r.phase.label(),
            r.flows_per_second(),
            r.requests_per_second(),
            r.errors,
            100.0 * r.gateway_cpu.as_secs_f64() / r.seconds,
            r.requests_per_gateway_core_second(),
            100.0 * r.image_share(),
            r.images_drawn as f64 / r.seconds,
            100.0 * r.client_cpu.as_secs_f64() / r.seconds,
        ));
    }
    out.push_str(
        "\ngateway CPU = its runtime thread + the image renderer, as a share of one core; image share = renderer / gateway CPU;\n\
         in the calls 2-5 phase call 1 runs in-process on the client, but its image redraws still land on the gateway's core.\n",
    );
    out
}
