//! The engine's threads (`--threads N`): each runs its part of the run on a current-thread
//! runtime of its own, with its own connections (`Session::split`), its own share of the
//! virtual users or every Nth flow of the open model's schedule, its own users and its own
//! metrics. Nothing is shared with the other threads on the hot path but the stop flag (and,
//! with `--metrics-addr`, the exporter a sample also goes to). A thread is a shard within
//! the process: the same integer shares and interleaving (`Shard::split`), so the run's
//! thread adds their seconds and totals up exactly (`engine`), as `merge` adds shards'.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::flows::{workers, LoadRun};
use super::pacer::Pacer;
use super::shard::Shard;
use crate::runner::session::Session;
use crate::runner::users::UserPool;
use crate::scenario::load_spec::{LoadSpec, Model};
use crate::scenario::model::UserKind;

/// Most engine threads a run may ask for.
pub const MAX_THREADS: u32 = 256;

/// In-flight flows may finish within this after the stop; after it, what ran is reported.
pub(super) const GRACE: Duration = Duration::from_secs(1);

/// One engine thread's part of this process's run.
#[derive(Debug, Clone)]
pub(super) struct Part {
    /// Its share of the virtual users, iterations and in-flight cap.
    pub spec: LoadSpec,
    /// Its slice of the whole run's schedule and users: this process's shard, split again.
    pub shard: Shard,
}

/// The cores this process may run on: the default of `--threads`.
pub fn available() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
}

/// The parts of `spec` (this shard's share) for `requested` threads. Fewer threads than asked
/// when there is less to share: no more than the virtual users (closed model), the in-flight
/// cap (open model), or the listed users of any kind the flows take, so no thread sits idle
/// or fails every flow for want of a user of its own.
pub(super) fn parts(
    requested: u32,
    spec: &LoadSpec,
    shard: Shard,
    session: &Session,
    kinds: &[UserKind],
) -> Vec<Part> {
    let load = match &spec.model {
        Model::Closed { vus, .. } => u64::from(*vus),
        Model::Open { max_in_flight, .. } => u64::from(*max_in_flight),
    };
    let users = match &session.users {
        UserPool::Load(pool) => kinds
            .iter()
            .filter_map(|kind| pool.available(*kind))
            .min()
            .unwrap_or(u64::MAX),
        _ => u64::MAX,
    };
    let most = u64::from(u32::MAX / shard.count.max(1));
    let n = u64::from(requested.clamp(1, MAX_THREADS))
        .min(load)
        .min(users)
        .min(most)
        .max(1) as u32;
    (0..n)
        .map(|t| Part {
            spec: share(spec, t, n),
            shard: shard.split(t, n),
        })
        .collect()
}

/// Thread `t` of `n`'s share of the VUs, iterations and in-flight cap: the remainder to the
/// lowest threads, as their flows and users are split (`Shard::split`, `LoadPool::split`), so
/// a thread with one VU more also has one user more.
fn share(spec: &LoadSpec, t: u32, n: u32) -> LoadSpec {
    super::shard::split_spec(spec, |total| {
        Shard { index: t, count: n }.owned_below(total)
    })
}

/// The threads while they run: `finished` resolves once every one has stopped.
pub(super) struct Running {
    done: mpsc::Receiver<()>,
}

impl Running {
    /// Resolves when every thread's flows have ended (or been dropped after the grace).
    pub async fn finished(&mut self) {
        while self.done.recv().await.is_some() {}
    }
}

/// Starts one thread per run, each on its own current-thread runtime, running its flows from
/// `started` until its bound or the stop (then `GRACE` more for flows in flight).
pub(super) fn spawn(
    runs: &[(Arc<LoadRun>, Model)],
    schedule: Option<&Pacer>,
    started: Instant,
) -> Result<Running, String> {
    let (done, finished) = mpsc::channel(1);
    // Every runtime first, so that one that cannot start (out of file descriptors, say) stops
    // the run before any thread has begun; a thread that then cannot start returns the error,
    // and the engine's stop sender, dropped with it, stops the threads already running.
    let runtimes = build_all(runs.len(), |_| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    })?;
    for (index, ((run, model), runtime)) in runs.iter().zip(runtimes).enumerate() {
        let (run, model, schedule, done) = (
            Arc::clone(run),
            model.clone(),
            schedule.cloned(),
            done.clone(),
        );
        std::thread::Builder::new()
            .name(format!("gatecheck-load-{index}"))
            .spawn(move || {
                if let Some(runtime) = runtime.start() {
                    runtime.block_on(work(run, model, schedule, started));
                    // Flows still running after the grace are dropped with the runtime.
                    drop(runtime);
                }
                drop(done);
            })
            .map_err(|e| format!("cannot start engine thread {index}: {e}"))?;
    }
    Ok(Running { done: finished })
}

/// `n` runtimes from `build`, or the first error. Called inside the engine's own runtime, where
/// dropping a runtime panics: those built before an error, and one whose thread could not
/// start, are shut down without waiting (`Unstarted`).
fn build_all(
    n: usize,
    build: impl Fn(usize) -> std::io::Result<tokio::runtime::Runtime>,
) -> Result<Vec<Unstarted>, String> {
    (0..n)
        .map(|index| {
            build(index)
                .map(|runtime| Unstarted(Some(runtime)))
                .map_err(|e| format!("cannot start engine thread {index}'s runtime: {e}"))
        })
        .collect()
}

/// A thread's runtime until its thread takes it; dropped untaken, it is shut down in the
/// background (a plain drop in an async context panics).
struct Unstarted(Option<tokio::runtime::Runtime>);

impl Unstarted {
    fn start(mut self) -> Option<tokio::runtime::Runtime> {
        self.0.take()
    }
}

impl Drop for Unstarted {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// One thread's flows until they end or the stop, then at most `GRACE` more.
async fn work(run: Arc<LoadRun>, model: Model, schedule: Option<Pacer>, started: Instant) {
    let mut stop = run.stop.clone();
    let flows = workers(Arc::clone(&run), model, schedule, started);
    tokio::pin!(flows);
    tokio::select! {
        _ = &mut flows => return,
        _ = stop.wait_for(|stopped| *stopped) => {}
    }
    let _ = tokio::time::timeout(GRACE, &mut flows).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The second runtime cannot start: the error comes back, and the first, built inside the
    /// engine's runtime, is shut down there without the panic a plain drop would raise.
    #[test]
    fn a_runtime_that_cannot_start_is_an_error_not_a_panic() {
        let engine = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let built = engine.block_on(async {
            build_all(3, |index| match index {
                1 => Err(std::io::Error::other("out of file descriptors")),
                _ => tokio::runtime::Builder::new_current_thread().build(),
            })
        });
        let error = built.err().expect("an error");
        assert!(
            error.contains("thread 1's runtime: out of file descriptors"),
            "{error}"
        );
        // Built and never started, dropped in an async context.
        engine.block_on(async {
            let built = build_all(2, |_| tokio::runtime::Builder::new_current_thread().build());
            drop(built.expect("two runtimes"));
        });
    }
}
