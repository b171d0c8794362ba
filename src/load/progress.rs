//! Live progress of a load run on stderr, one line of at most 100 columns (indicatif draws it
//! and cuts it to a narrower terminal). During the warm-up: the time left and the warm-up's own
//! flow rate, labelled so. Then the measured window only: its time (and flows, with an
//! iteration bound), flows/s over the last 5 seconds, flows in flight, failed
//! flows, the whole flow's p50 and p99 and the slowest step's p99 (corrected). Hidden when
//! stderr is not a terminal or with `--quiet`. The line is made by `line`, a pure function of
//! a `Snapshot`, so it is tested without a clock.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::metrics::Metrics;
use crate::output::escape::console_line;
use crate::output::text::compact_latency;
use crate::scenario::load_spec::LoadSpec;

/// The widest the line gets.
pub const WIDTH: usize = 100;
/// Rates are over this much of the latest time (a rate since the start hides a change).
const RECENT: Duration = Duration::from_secs(5);
const TICK: Duration = Duration::from_millis(250);

/// The counts the line shows, read from the metrics at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Flows ended so far, warm-up ones included (the warm-up's rate).
    pub ended: u64,
    /// Measured flows ended, and of them failed.
    pub flows: u64,
    pub failed: u64,
    pub in_flight: u64,
    /// The whole flow's corrected p50 and p99, of OK flows.
    pub flow_p50: Duration,
    pub flow_p99: Duration,
    /// The step with the highest corrected p99 of OK samples, and that p99.
    pub slowest: Option<(String, Duration)>,
}

impl Snapshot {
    /// The one place the line reads `Metrics` (which keys steps as it likes: only the slowest
    /// step's name and p99 are taken).
    pub fn of(metrics: &Metrics, in_flight: u64, ended: u64) -> Self {
        let steps = metrics
            .steps
            .iter()
            .map(|s| (s.key.name.as_str(), &s.series.ok.corrected));
        let counts = (metrics.flows_ok, metrics.flows_failed, in_flight, ended);
        Self::read(counts, &metrics.flow.ok.corrected, steps)
    }

    /// The engine threads' metrics together, each taken (locked, by a lazy iterator) only
    /// while it is read, and of it only what the line shows added up: locking every thread for
    /// a whole merge of its histograms, four times a second, stalled them all at once.
    pub fn of_parts<M: std::ops::Deref<Target = Metrics>>(
        mut parts: impl ExactSizeIterator<Item = M>,
        in_flight: u64,
        ended: u64,
    ) -> Self {
        if parts.len() == 1 {
            if let Some(one) = parts.next() {
                return Self::of(&one, in_flight, ended);
            }
        }
        let (mut ok, mut failed) = (0, 0);
        let mut flow: Option<Histogram<u64>> = None;
        let mut steps: Vec<(String, Histogram<u64>)> = Vec::new();
        for metrics in parts {
            ok += metrics.flows_ok;
            failed += metrics.flows_failed;
            add_into(&mut flow, &metrics.flow.ok.corrected);
            for (index, step) in metrics.steps.iter().enumerate() {
                match steps.get_mut(index) {
                    // Every thread's metrics have the same steps, bounds and order.
                    Some((_, sum)) => drop(sum.add(&step.series.ok.corrected)),
                    None => steps.push((step.key.name.clone(), step.series.ok.corrected.clone())),
                }
            }
        }
        let flow = flow.unwrap_or_else(super::series::new_histogram);
        let steps = steps.iter().map(|(name, h)| (name.as_str(), h));
        Self::read((ok, failed, in_flight, ended), &flow, steps)
    }

    /// `counts`: flows OK and failed, in flight, ended.
    fn read<'a>(
        (ok, failed, in_flight, ended): (u64, u64, u64, u64),
        flow: &Histogram<u64>,
        steps: impl Iterator<Item = (&'a str, &'a Histogram<u64>)>,
    ) -> Self {
        let p = |h: &Histogram<u64>, q| Duration::from_micros(h.value_at_quantile(q));
        let slowest = steps
            .map(|(name, ok)| (name.to_owned(), p(ok, 0.99)))
            .max_by_key(|(_, p99)| *p99);
        Self {
            ended,
            flows: ok + failed,
            failed,
            in_flight,
            flow_p50: p(flow, 0.5),
            flow_p99: p(flow, 0.99),
            slowest,
        }
    }
}

fn add_into(sum: &mut Option<Histogram<u64>>, histogram: &Histogram<u64>) {
    match sum {
        // Same bounds in every thread: the addition cannot fail.
        Some(sum) => drop(sum.add(histogram)),
        None => *sum = Some(histogram.clone()),
    }
}

/// What the run was told to do: its warm-up and bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub warmup: Duration,
    pub duration: Option<Duration>,
    pub iterations: Option<u64>,
}

impl Plan {
    pub fn of(spec: &LoadSpec) -> Self {
        Self {
            warmup: spec.warmup,
            duration: spec.duration,
            iterations: spec.iterations,
        }
    }
}

/// Flows/s over the latest seconds of the current phase. (Requests/s is left out of the
/// line, for room: it is flows/s times the steps, and in every report.)
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    pub flows: f64,
}

/// The snapshots of the last `RECENT` of one phase (warm-up or measured), as (time since the
/// start, flows); a new phase starts again from its own beginning, so the measured
/// rate never counts warm-up time.
#[derive(Debug, Default)]
pub struct Recent {
    measuring: Option<bool>,
    samples: VecDeque<(Duration, u64)>,
}

impl Recent {
    /// Adds the snapshot taken `elapsed` after the start; the rates since the oldest kept.
    pub fn push(&mut self, plan: &Plan, elapsed: Duration, now: &Snapshot) -> Rates {
        let measuring = elapsed >= plan.warmup;
        let flows = if measuring { now.flows } else { now.ended };
        if self.measuring != Some(measuring) {
            self.measuring = Some(measuring);
            self.samples.clear();
            let begun = if measuring {
                plan.warmup
            } else {
                Duration::ZERO
            };
            self.samples.push_back((begun, 0));
        }
        while self
            .samples
            .front()
            .is_some_and(|(at, _)| elapsed.saturating_sub(*at) > RECENT)
            && self.samples.len() > 1
        {
            self.samples.pop_front();
        }
        let (since, then) = self.samples.front().copied().unwrap_or_default();
        self.samples.push_back((elapsed, flows));
        let seconds = elapsed.saturating_sub(since).as_secs_f64();
        if seconds <= 0.0 {
            return Rates::default();
        }
        Rates {
            flows: flows.saturating_sub(then) as f64 / seconds,
        }
    }
}

/// How far the measured window is, by the bound nearer its end (a run stops at whichever
/// comes first), and the flow rate: `12/30 s  498 flows/s` or `600/1000 flows  498/s`.
fn window(plan: &Plan, measured: Duration, flows: u64, rates: Rates) -> String {
    let by_time = plan
        .duration
        .map(|d| measured.as_secs_f64() / d.as_secs_f64());
    let by_flows = plan.iterations.map(|n| flows as f64 / n.max(1) as f64);
    match (plan.duration, plan.iterations) {
        (_, Some(n)) if by_flows >= by_time => format!("{flows}/{n} flows  {:.0}/s", rates.flows),
        (Some(d), _) => format!(
            "{}/{} s  {:.0} flows/s",
            measured.as_secs(),
            d.as_secs_f64().ceil(),
            rates.flows
        ),
        (None, _) => format!("{} s  {:.0} flows/s", measured.as_secs(), rates.flows),
    }
}

/// The progress line for `now`, `elapsed` after the start: at most `WIDTH` columns.
pub fn line(plan: &Plan, elapsed: Duration, now: &Snapshot, rates: Rates) -> String {
    if elapsed < plan.warmup {
        let left = (plan.warmup - elapsed).as_secs_f64().ceil();
        let text = format!(
            "warm-up {left:.0} s left, {:.0} flows/s (warm-up, not measured), {} in flight",
            rates.flows, now.in_flight
        );
        return console::truncate_str(&text, WIDTH, "…").into_owned();
    }
    let head = format!(
        "{}  {} in flight  {} failed  flow p50 {} p99 {}",
        window(plan, elapsed - plan.warmup, now.flows, rates),
        now.in_flight,
        now.failed,
        compact_latency(now.flow_p50),
        compact_latency(now.flow_p99)
    );
    let head = console::truncate_str(&head, WIDTH, "…").into_owned();
    let Some((name, p99)) = &now.slowest else {
        return head;
    };
    // The slowest step's name takes what room is left; with too little, the part is left out.
    let tail = format!(" p99 {}", compact_latency(*p99));
    let fixed = console::measure_text_width(&head) + "  slowest ".len();
    let fixed = fixed + console::measure_text_width(&tail);
    let room = WIDTH.saturating_sub(fixed);
    if room < 8 {
        return head;
    }
    let name = console_line(name);
    let name = console::truncate_str(&name, room, "…");
    format!("{head}  slowest {name}{tail}")
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
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        // `wide_msg` cuts the line to a terminal narrower than it.
        bar.set_style(
            ProgressStyle::with_template("{wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        let ticker = bar.clone();
        let plan = Plan::of(spec);
        let task = tokio::spawn(async move {
            let mut recent = Recent::default();
            loop {
                tokio::time::sleep(TICK).await;
                let now = snapshot();
                let elapsed = started.elapsed();
                let rates = recent.push(&plan, elapsed, &now);
                ticker.set_message(line(&plan, elapsed, &now, rates));
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

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn plan() -> Plan {
        Plan {
            warmup: Duration::from_secs(5),
            duration: Some(Duration::from_secs(30)),
            iterations: None,
        }
    }

    /// Two threads read one at a time give the snapshot their merged metrics give: counts
    /// added, the flow's percentiles and the slowest step of all samples, whichever thread.
    #[test]
    fn threads_read_apart_add_up_as_their_merge() {
        use crate::scenario::load_steps::StepKey;
        let keys = || {
            ["1 send_captcha", "2 check_code"]
                .map(|name| StepKey {
                    name: name.into(),
                    call: name[2..].into(),
                })
                .to_vec()
        };
        let (mut a, mut b) = (Metrics::for_steps(keys()), Metrics::for_steps(keys()));
        for n in 1..=50 {
            a.record_step(0, n * MS, MS, Some(200), None);
            a.record_flow(2 * n * MS, MS, None, false);
        }
        // The other thread's second step is the slow one, and one of its flows failed.
        for n in 1..=10 {
            b.record_step(1, 300 * n * MS, MS, Some(200), None);
            b.record_flow(400 * n * MS, MS, (n == 1).then_some("timeout"), false);
        }
        let mut merged = Metrics::for_steps(keys());
        merged.add_totals(&a);
        merged.add_totals(&b);
        let apart = Snapshot::of_parts([&a, &b].into_iter(), 2, 70);
        assert_eq!(apart, Snapshot::of(&merged, 2, 70));
        assert_eq!((apart.flows, apart.failed), (60, 1));
        assert_eq!(
            apart.slowest.as_ref().map(|s| s.0.as_str()),
            Some("2 check_code")
        );
        assert_eq!(
            Snapshot::of_parts([&a].into_iter(), 0, 50),
            Snapshot::of(&a, 0, 50)
        );
    }

    /// A run at 500 flows/s, as the line usually sees one.
    fn usual() -> Snapshot {
        Snapshot {
            ended: 9_000,
            flows: 6_000,
            failed: 0,
            in_flight: 3,
            flow_p50: Duration::from_micros(1_234),
            flow_p99: Duration::from_micros(3_400),
            slowest: Some(("check_code".into(), Duration::from_micros(2_100))),
        }
    }

    /// Every figure as wide as it gets in practice, and a long step name.
    fn busy() -> Snapshot {
        Snapshot {
            ended: 120_000,
            flows: 98_765,
            failed: 54_321,
            in_flight: 12_345,
            flow_p50: Duration::from_micros(1_234),
            flow_p99: Duration::from_micros(12_345),
            slowest: Some(("a step named at length by its scenario".into(), 9 * MS)),
        }
    }

    #[test]
    fn the_measured_line_shows_the_window_the_flow_and_the_slowest_step() {
        let text = line(
            &plan(),
            Duration::from_secs(17),
            &usual(),
            Rates { flows: 498.0 },
        );
        assert_eq!(
            text,
            "12/30 s  498 flows/s  3 in flight  0 failed  flow p50 1.2ms p99 3.4ms  slowest check_code p99 2.1ms"
        );
        assert!(console::measure_text_width(&text) <= WIDTH);
    }

    #[test]
    fn a_long_step_name_is_cut_to_fit() {
        let mut now = usual();
        now.slowest = Some((
            "a step named at length by its scenario's author".into(),
            9 * MS,
        ));
        let text = line(
            &plan(),
            Duration::from_secs(17),
            &now,
            Rates { flows: 498.0 },
        );
        assert_eq!(console::measure_text_width(&text), WIDTH, "{text}");
        assert!(text.contains("  slowest a step nam… p99"), "{text}");
        assert!(text.ends_with("… p99 9.0ms"), "{text}");
    }

    #[test]
    fn a_wide_line_leaves_the_step_out_rather_than_overflow() {
        let text = line(
            &plan(),
            Duration::from_secs(17),
            &busy(),
            Rates { flows: 98_765.0 },
        );
        assert_eq!(
            text,
            "12/30 s  98765 flows/s  12345 in flight  54321 failed  flow p50 1.2ms p99 12ms"
        );
    }

    #[test]
    fn the_warm_up_is_labelled_with_its_own_rate() {
        let text = line(
            &plan(),
            Duration::from_millis(2_100),
            &busy(),
            Rates { flows: 480.0 },
        );
        assert_eq!(
            text,
            "warm-up 3 s left, 480 flows/s (warm-up, not measured), 12345 in flight"
        );
    }

    #[test]
    fn step_names_are_escaped_and_an_iteration_bound_is_shown() {
        let plan = Plan {
            iterations: Some(10_000),
            ..plan()
        };
        let mut now = usual();
        now.slowest = Some(("evil\u{1b}[2J".into(), Duration::from_micros(420)));
        // 1 s of 30 s, but 6,000 of 10,000 flows: the flows end the run first.
        let text = line(&plan, Duration::from_secs(6), &now, Rates { flows: 498.0 });
        assert_eq!(
            text,
            "6000/10000 flows  498/s  3 in flight  0 failed  flow p50 1.2ms p99 3.4ms  slowest evil\\x1… p99 420µs"
        );
        assert!(console::measure_text_width(&text) <= WIDTH, "{text}");
        let early = line(&plan, Duration::from_secs(25), &usual(), Rates::default());
        assert!(early.starts_with("20/30 s  0 flows/s"), "{early}");
    }

    #[test]
    fn measured_rates_leave_the_warm_up_out() {
        // 500 flows/s throughout: 2,500 warm-up flows in 5 s, then 500 measured a second.
        let plan = plan();
        let mut recent = Recent::default();
        let at = Duration::from_secs;
        let warm = Snapshot {
            ended: 1_000,
            ..Snapshot::default()
        };
        assert_eq!(recent.push(&plan, at(2), &warm).flows, 500.0);
        let measured = |flows| Snapshot {
            ended: 2_500 + flows,
            flows,
            ..Snapshot::default()
        };
        // One second in: 500/s, where the rate over the whole run so far reads 83/s.
        assert_eq!(recent.push(&plan, at(6), &measured(500)).flows, 500.0);
        for s in 7..=20 {
            recent.push(&plan, at(s), &measured(500 * (s - 5)));
        }
        // A slow-down shows within the recent window, not diluted by the whole run.
        let slow = recent.push(&plan, at(25), &measured(500 * 15 + 100));
        assert_eq!(slow.flows, 20.0);
    }
}
