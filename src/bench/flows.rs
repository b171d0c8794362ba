//! The bench's client side: connections that run flows back to back until the phase ends,
//! counting flows, requests and errors only inside the measured window.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;

use super::client::{Answer, Connection};
use super::{BenchError, BenchSettings, GatewayThread, PhaseReport};
use crate::api::Operation;
use crate::cputime::thread_cpu_ns;
use crate::gateway::flow::Reply;
use crate::gateway::request::SendCaptchaBody;
use crate::gateway::users::GENERATED_PHONE_PREFIX;
use crate::gateway::Flow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Calls 1-5 over HTTP.
    FullFlow,
    /// Call 1 in-process, calls 2-5 over HTTP.
    Calls2To5,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::FullFlow => "full flow (calls 1-5)",
            Phase::Calls2To5 => "calls 2-5",
        }
    }

    fn http_calls(self) -> u64 {
        match self {
            Phase::FullFlow => 5,
            Phase::Calls2To5 => 4,
        }
    }
}

#[derive(Default)]
struct Counters {
    measuring: AtomicBool,
    stopping: AtomicBool,
    flows: AtomicU64,
    requests: AtomicU64,
    errors: AtomicU64,
}

pub async fn run_phase(
    phase: Phase,
    addr: SocketAddr,
    flow: &Arc<Flow>,
    server: &GatewayThread,
    args: &BenchSettings,
) -> Result<PhaseReport, BenchError> {
    let counters = Arc::new(Counters::default());
    let mut workers = Vec::new();
    for id in 0..args.connections {
        let connection = Connection::open(addr).await?;
        let (flow, counters) = (Arc::clone(flow), Arc::clone(&counters));
        let users = UserCursor::new(phase, id as u64, args.connections as u64);
        workers.push(tokio::spawn(worker(
            phase, connection, flow, counters, users,
        )));
    }
    tokio::time::sleep(args.warmup).await;

    let start = Snapshot::take(flow, server).await?;
    let started = Instant::now();
    counters.measuring.store(true, Ordering::Relaxed);
    tokio::time::sleep(args.duration).await;
    counters.measuring.store(false, Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64();
    let end = Snapshot::take(flow, server).await?;
    counters.stopping.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.await;
    }
    Ok(PhaseReport {
        phase,
        seconds,
        flows: counters.flows.load(Ordering::Relaxed),
        requests: counters.requests.load(Ordering::Relaxed),
        errors: counters.errors.load(Ordering::Relaxed),
        gateway_cpu: end.gateway.saturating_sub(start.gateway)
            + end.image.saturating_sub(start.image),
        image_cpu: end.image.saturating_sub(start.image),
        images_drawn: end.renders - start.renders,
        client_cpu: end.client.saturating_sub(start.client),
    })
}

struct Snapshot {
    gateway: Duration,
    image: Duration,
    renders: u64,
    client: Duration,
}

impl Snapshot {
    async fn take(flow: &Flow, server: &GatewayThread) -> Result<Self, BenchError> {
        Ok(Self {
            gateway: server.cpu().await?,
            image: flow.captcha_pool().stats().cpu_time(),
            renders: flow.captcha_pool().stats().renders(),
            client: Duration::from_nanos(thread_cpu_ns()),
        })
    }
}

/// Each connection walks its own disjoint slice of the generated users.
struct UserCursor {
    next: u64,
    step: u64,
    prefix: u64,
}

impl UserCursor {
    fn new(phase: Phase, id: u64, connections: u64) -> Self {
        // Phases use different halves of the pool, so no user carries state across phases.
        let prefix = match phase {
            Phase::FullFlow => 0,
            Phase::Calls2To5 => 5_000_000,
        };
        Self {
            next: id,
            step: connections,
            prefix,
        }
    }

    fn next_user(&mut self) -> String {
        let user = format!(
            "{GENERATED_PHONE_PREFIX}{:08}",
            self.prefix + self.next % 5_000_000
        );
        self.next += self.step;
        user
    }
}

#[derive(Deserialize)]
struct TokenField {
    token: String,
}

async fn worker(
    phase: Phase,
    mut connection: Connection,
    flow: Arc<Flow>,
    counters: Arc<Counters>,
    mut users: UserCursor,
) {
    while !counters.stopping.load(Ordering::Relaxed) {
        let user = users.next_user();
        let measuring = counters.measuring.load(Ordering::Relaxed);
        let outcome = one_flow(phase, &mut connection, &flow, &user).await;
        if !measuring || !counters.measuring.load(Ordering::Relaxed) {
            continue; // started or ended outside the window
        }
        match outcome {
            Ok(()) => {
                counters.flows.fetch_add(1, Ordering::Relaxed);
                counters
                    .requests
                    .fetch_add(phase.http_calls(), Ordering::Relaxed);
            }
            Err(FlowError::Status(requests)) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                counters.requests.fetch_add(requests, Ordering::Relaxed);
            }
            Err(FlowError::Transport) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
    }
}

enum FlowError {
    /// A call answered something other than 200 after this many requests.
    Status(u64),
    Transport,
}

/// One connection's calls within one flow, counting what was sent.
struct Calls<'a> {
    connection: &'a mut Connection,
    sent: u64,
}

impl Calls<'_> {
    async fn call(
        &mut self,
        op: Operation,
        header: Option<(&'static str, &str)>,
        body: serde_json::Value,
    ) -> Result<Answer, FlowError> {
        self.sent += 1;
        let answer = self
            .connection
            .send(
                op.method(),
                op.path(),
                header,
                body.to_string().into_bytes(),
            )
            .await
            .map_err(|_| FlowError::Transport)?;
        if answer.status == 200 {
            Ok(answer)
        } else {
            Err(FlowError::Status(self.sent))
        }
    }
}

async fn one_flow(
    phase: Phase,
    connection: &mut Connection,
    flow: &Flow,
    user: &str,
) -> Result<(), FlowError> {
    let mut calls = Calls {
        connection,
        sent: 0,
    };
    let captcha_request = json!({"user": user, "clientType": 0, "checkType": 1});
    let t1 = match phase {
        Phase::FullFlow => token_of(
            &calls
                .call(Operation::SendCaptcha, None, captcha_request)
                .await?
                .body,
        )?,
        Phase::Calls2To5 => {
            let body: SendCaptchaBody =
                serde_json::from_value(captcha_request).map_err(|_| FlowError::Status(0))?;
            match flow.send_captcha(body) {
                Ok(Reply::Json(bytes)) => token_of(&bytes)?,
                _ => return Err(FlowError::Status(0)),
            }
        }
    };
    let x = flow
        .captcha_answer(&t1)
        .ok_or(FlowError::Status(calls.sent))?
        .point_x;
    let check = json!({"user": user, "clientType": 0, "checkType": 1, "token": t1, "pointX": x, "slideTime": 1200});
    let t2 = token_of(&calls.call(Operation::CheckCaptcha, None, check).await?.body)?;
    calls
        .call(
            Operation::SendCode,
            None,
            json!({"user": user, "token": t2}),
        )
        .await?;
    let code = flow
        .latest_message(user)
        .ok_or(FlowError::Status(calls.sent))?
        .code;
    let t3 = token_of(
        &calls
            .call(
                Operation::CheckCode,
                None,
                json!({"user": user, "code": code}),
            )
            .await?
            .body,
    )?;
    let reset = json!({"user": user, "newPwd": "Bench#Pass42"});
    calls
        .call(
            Operation::ResetPassword,
            Some(("x-access-token", &t3)),
            reset,
        )
        .await?;
    Ok(())
}

fn token_of(body: &[u8]) -> Result<String, FlowError> {
    serde_json::from_slice::<TokenField>(body)
        .map(|field| field.token)
        .map_err(|_| FlowError::Status(0))
}
