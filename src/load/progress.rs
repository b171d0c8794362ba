//! Live progress of a load run on stderr (indicatif): elapsed and remaining time, flows/s,
//! requests/s, in flight, p50/p99 of each step, errors. Hidden when stderr is not a terminal
//! or with `--quiet`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::metrics::Metrics;
use crate::output::escape::console_line;
use crate::scenario::load_spec::LoadSpec;

/// The numbers the progress line shows.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub flows: u64,
    pub requests: u64,
    pub errors: u64,
    pub in_flight: u64,
    /// (step, p50 ms, p99 ms) of OK samples, corrected, in flow order.
    pub steps: Vec<(String, f64, f64)>,
}

impl Snapshot {
    pub fn of(metrics: &Metrics, in_flight: u64) -> Self {
        Self {
            flows: metrics.flows_ok + metrics.flows_failed,
            requests: metrics.requests,
            errors: metrics.flows_failed,
            in_flight,
            steps: metrics
                .steps
                .iter()
                .map(|s| {
                    let ok = &s.series.ok.corrected;
                    (
                        s.key.name.clone(),
                        ok.value_at_quantile(0.5) as f64 / 1000.0,
                        ok.value_at_quantile(0.99) as f64 / 1000.0,
                    )
                })
                .collect(),
        }
    }
}

pub struct Progress {
    bar: Option<ProgressBar>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    pub fn start(
        enabled: bool,
        spec: &LoadSpec,
        snapshot: Arc<dyn Fn() -> Snapshot + Send + Sync>,
        started: Instant,
    ) -> Self {
        if !enabled || !console::Term::stderr().is_term() {
            return Self {
                bar: None,
                task: None,
            };
        }
        let total = spec.duration.map(|d| d + spec.warmup);
        let bar = ProgressBar::with_draw_target(
            total.map(|t| t.as_millis() as u64),
            ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} [{bar:30}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let ticker = bar.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let now = snapshot();
                let elapsed = started.elapsed();
                let seconds = elapsed.as_secs_f64().max(1e-3);
                let remaining = total.map_or_else(String::new, |t| {
                    format!(" {}s left", t.saturating_sub(elapsed).as_secs())
                });
                let steps: Vec<String> = now
                    .steps
                    .iter()
                    .map(|(n, p50, p99)| format!("{} {p50:.1}/{p99:.1}ms", console_line(n)))
                    .collect();
                ticker.set_position(elapsed.as_millis() as u64);
                ticker.set_message(format!(
                    "{:.0} flows/s {:.0} req/s, {} in flight, {} errors{remaining} | p50/p99 {}",
                    now.flows as f64 / seconds,
                    now.requests as f64 / seconds,
                    now.in_flight,
                    now.errors,
                    steps.join(", ")
                ));
            }
        });
        Self {
            bar: Some(bar),
            task: Some(task),
        }
    }

    pub fn finish(self) {
        if let Some(task) = self.task {
            task.abort();
        }
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
