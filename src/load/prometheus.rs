//! `load --metrics-addr`: the run's measurements as Prometheus metrics, one more `impl Sink` fed
//! what the summary is made from. Counters and histograms count the measured window only, as
//! summary.json does (warm-up flows are not samples); the phase gauge says which part of the run
//! a scrape saw. The exposition format is the Prometheus project's `prometheus-client` crate's;
//! the histograms are atomic buckets of our own (the crate's histogram takes a mutex per
//! observation), and every series a sample touches is made before the run or on the first
//! failure of its kind, so a sample costs atomic adds only, under the lock `Sinks` already takes.
//! `scrape` serves the registry.
//!
//! Families (label `outcome` is `ok` or `ko`; `timing` is `corrected`, from the intended start,
//! or `raw`, from the actual one; `step` is the step's key name, `scenario::load_steps`):
//! `gatecheck_step_latency_seconds{step,outcome,timing}`, `gatecheck_flow_latency_seconds{outcome,
//! timing}` (histograms); `gatecheck_step_outcomes_total{step,outcome,kind}` (`kind` the bounded
//! failure name the summary counts, `ok` for a success); `gatecheck_flows_completed_total{outcome}`,
//! `gatecheck_flows_late_total`, `gatecheck_requests_total`, `gatecheck_flows_started_total`,
//! `gatecheck_flows_dropped_total` (known at the end only: 0 until then); gauges
//! `gatecheck_flows_in_flight`, `gatecheck_flows_behind` and `gatecheck_target_rate` (open model),
//! `gatecheck_active_vus` (closed model), `gatecheck_phase{phase}` (1 for the current one of
//! `warmup`, `measuring`, `ended`), and `gatecheck_run_info{scenario,model,run_id,shard}` = 1.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;

use super::metrics::{MAX_FAILURE_KINDS, OTHER_FAILURES};
use super::sink::{FlowSample, Gauges, Live, Phase, Sink, StepSample};
use crate::scenario::load_spec::StepKey;

/// Histogram upper bounds in seconds: 1-2-5 steps from 100 µs to 50 s (a round `le` each, as
/// fine as a factor of 2 to 2.5, so `histogram_quantile` is within that), a minute, then `+Inf`.
pub const BOUNDS: [f64; 19] = [
    0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
    10.0, 20.0, 50.0, 60.0,
];

/// A histogram of atomic bucket counts (the last is `+Inf`) and an atomic sum in nanoseconds.
/// Its count is the buckets' total, so a scrape never shows a count its buckets disagree with.
#[derive(Debug, Clone, Default)]
pub struct Buckets(Arc<BucketsInner>);

#[derive(Debug, Default)]
struct BucketsInner {
    counts: [AtomicU64; BOUNDS.len() + 1],
    sum_ns: AtomicU64,
}

impl Buckets {
    pub fn observe(&self, latency: Duration) {
        let seconds = latency.as_secs_f64();
        let bucket = BOUNDS.partition_point(|bound| *bound < seconds);
        self.0.counts[bucket].fetch_add(1, Ordering::Relaxed);
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.0.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }
}

impl TypedMetric for Buckets {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Buckets {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let bounds = BOUNDS.iter().copied().chain([f64::INFINITY]);
        let buckets: Vec<(f64, u64)> = bounds
            .zip(self.0.counts.iter().map(|c| c.load(Ordering::Relaxed)))
            .collect();
        let count = buckets.iter().map(|(_, n)| n).sum();
        let sum = self.0.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

type Labels = Vec<(&'static str, String)>;

/// What identifies the run in `gatecheck_run_info`.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub scenario: String,
    /// `open` or `closed`.
    pub model: &'static str,
    pub run_id: String,
    /// `I/N` (`0/1` for a whole run).
    pub shard: String,
}

/// One latency series: OK and KO, each corrected and raw.
struct Latencies([[Buckets; 2]; 2]);

impl Latencies {
    fn new(family: &Family<Labels, Buckets>, labels: &[(&'static str, &str)]) -> Self {
        let one = |outcome: &str, timing: &str| {
            let mut set: Labels = labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
            set.push(("outcome", outcome.to_owned()));
            set.push(("timing", timing.to_owned()));
            family.get_or_create_owned(&set)
        };
        Self([
            [one("ok", "corrected"), one("ok", "raw")],
            [one("ko", "corrected"), one("ko", "raw")],
        ])
    }

    fn observe(&self, failed: bool, corrected: Duration, raw: Duration) {
        let [c, r] = &self.0[usize::from(failed)];
        c.observe(corrected);
        r.observe(raw);
    }
}

struct StepMetrics {
    name: String,
    latency: Latencies,
    ok: Counter,
    /// By failure name, bounded as `Series::count_failures` bounds the summary's.
    failures: BTreeMap<String, Counter>,
}

/// The engine's gauges as a scrape reads them: live while the run goes, then the final ones.
#[derive(Default)]
struct LiveGauges {
    live: Mutex<Option<Live>>,
    last: Mutex<Option<Gauges>>,
}

impl std::fmt::Debug for LiveGauges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveGauges")
    }
}

impl LiveGauges {
    fn read(&self) -> Gauges {
        if let Some(last) = *self.last.lock() {
            return last;
        }
        let live = self.live.lock().clone();
        live.map(|read| read()).unwrap_or_default()
    }
}

fn counter(e: &mut DescriptorEncoder, name: &str, help: &str, v: u64) -> std::fmt::Result {
    let metric = ConstCounter::new(v);
    metric.encode(e.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn gauge<N>(e: &mut DescriptorEncoder, name: &str, help: &str, v: N) -> std::fmt::Result
where
    ConstGauge<N>: EncodeMetric,
{
    let metric = ConstGauge::new(v);
    metric.encode(e.encode_descriptor(name, help, None, metric.metric_type())?)
}

impl Collector for LiveGauges {
    fn encode(&self, mut e: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let g = self.read();
        let started = "Measured flows started (warm-up flows are not counted, as in summary.json)";
        counter(&mut e, "gatecheck_flows_started", started, g.flows_started)?;
        let dropped = "Open model: flows due that never started; set when the run ends (see gatecheck_flows_behind while it runs)";
        let dropped_n = g.flows_dropped.unwrap_or(0);
        counter(&mut e, "gatecheck_flows_dropped", dropped, dropped_n)?;
        let in_flight = "Flows running now, warm-up ones included";
        gauge(&mut e, "gatecheck_flows_in_flight", in_flight, g.in_flight)?;
        if let Some(rate) = g.target_rate {
            let behind = "Open model: measured flows due by now that have not started yet";
            gauge(&mut e, "gatecheck_flows_behind", behind, g.flows_behind)?;
            let help = "Open model: this process's share of the arrival rate the schedule asks for now, flows/s";
            gauge(&mut e, "gatecheck_target_rate", help, rate)?;
        }
        if let Some(vus) = g.active_vus {
            let help = "Closed model: virtual users still looping";
            gauge(&mut e, "gatecheck_active_vus", help, vus)?;
        }
        let help = "1 for the phase the run is in (samples are counted while measuring only)";
        let mut phases = e.encode_descriptor("gatecheck_phase", help, None, MetricType::Gauge)?;
        for (name, phase) in [
            ("warmup", Phase::Warmup),
            ("measuring", Phase::Measuring),
            ("ended", Phase::Ended),
        ] {
            let labels = [("phase", name)];
            let one = ConstGauge::new(i64::from(g.phase == phase));
            one.encode(phases.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

/// The sink; `registry()` is what `scrape` serves.
pub struct PrometheusSink {
    registry: Arc<Registry>,
    steps: Vec<StepMetrics>,
    outcomes: Family<Labels, Counter>,
    flow: Latencies,
    flows_completed: [Counter; 2],
    flows_late: Counter,
    requests: Counter,
    gauges: Arc<LiveGauges>,
}

impl PrometheusSink {
    /// Metrics for a run of `steps` (in flow order), every series a success touches made now.
    pub fn new(steps: &[StepKey], run: &RunInfo) -> Self {
        let mut registry = Registry::default();
        let info = Info::new(vec![
            ("scenario", run.scenario.clone()),
            ("model", run.model.to_owned()),
            ("run_id", run.run_id.clone()),
            ("shard", run.shard.clone()),
        ]);
        registry.register("gatecheck_run", "The run this process makes", info);
        let gauges = Arc::new(LiveGauges::default());
        registry.register_collector(Box::new(Arc::clone(&gauges)));
        let latency = Family::<Labels, Buckets>::default();
        registry.register(
            "gatecheck_step_latency_seconds",
            "Latency of each measured step by outcome, corrected (from its intended start) and raw",
            latency.clone(),
        );
        let flow_latency = Family::<Labels, Buckets>::default();
        registry.register(
            "gatecheck_flow_latency_seconds",
            "Latency of each measured flow by outcome, corrected and raw",
            flow_latency.clone(),
        );
        let outcomes = Family::<Labels, Counter>::default();
        registry.register(
            "gatecheck_step_outcomes",
            "Measured steps by outcome and kind (the failure's bounded name, ok for a success)",
            outcomes.clone(),
        );
        let completed = Family::<Labels, Counter>::default();
        registry.register(
            "gatecheck_flows_completed",
            "Measured flows ended, by outcome",
            completed.clone(),
        );
        let flows_late = Counter::default();
        let late = "Measured flows that started later than --late-after past their intended start";
        registry.register("gatecheck_flows_late", late, flows_late.clone());
        let requests = Counter::default();
        let help = "Measured steps sent (every step but waits)";
        registry.register("gatecheck_requests", help, requests.clone());
        let steps = steps
            .iter()
            .map(|key| {
                let step = key.name.as_str();
                let ok = vec![("step", key.name.clone()), ("outcome", "ok".into())];
                let ok = [ok, vec![("kind", "ok".to_owned())]].concat();
                StepMetrics {
                    name: key.name.clone(),
                    latency: Latencies::new(&latency, &[("step", step)]),
                    ok: outcomes.get_or_create_owned(&ok),
                    failures: BTreeMap::new(),
                }
            })
            .collect();
        let completed_as = |o: &str| completed.get_or_create_owned(&vec![("outcome", o.into())]);
        Self {
            registry: Arc::new(registry),
            steps,
            flow: Latencies::new(&flow_latency, &[]),
            flows_completed: [completed_as("ok"), completed_as("ko")],
            flows_late,
            requests,
            outcomes,
            gauges,
        }
    }

    /// What a scrape encodes.
    pub fn registry(&self) -> Arc<Registry> {
        Arc::clone(&self.registry)
    }
}

/// The counter of failure `kind` of a step: a name seen before, a new one while fewer than
/// `MAX_FAILURE_KINDS` are kept, else `OTHER_FAILURES`: the summary's rule (`count_failures`).
fn failure_counter<'a>(
    step: &'a mut StepMetrics,
    outcomes: &Family<Labels, Counter>,
    kind: &str,
) -> &'a Counter {
    let key = match step.failures.contains_key(kind) || step.failures.len() < MAX_FAILURE_KINDS {
        true => kind,
        false => OTHER_FAILURES,
    };
    if !step.failures.contains_key(key) {
        let labels = vec![
            ("step", step.name.clone()),
            ("outcome", "ko".to_owned()),
            ("kind", key.to_owned()),
        ];
        let counter = outcomes.get_or_create_owned(&labels);
        step.failures.insert(key.to_owned(), counter);
    }
    &step.failures[key]
}

impl Sink for PrometheusSink {
    fn step(&mut self, sample: &StepSample<'_>) {
        self.requests.inc();
        let Some(step) = self.steps.get_mut(sample.step) else {
            return;
        };
        let failed = sample.failure.is_some();
        step.latency.observe(failed, sample.corrected, sample.raw);
        match sample.failure {
            None => step.ok.inc(),
            Some(kind) => failure_counter(step, &self.outcomes, kind).inc(),
        };
    }

    fn flow(&mut self, sample: &FlowSample<'_>) {
        let failed = sample.failure.is_some();
        self.flow.observe(failed, sample.corrected, sample.raw);
        self.flows_completed[usize::from(failed)].inc();
        if sample.late {
            self.flows_late.inc();
        }
    }

    fn live(&mut self, live: Live) {
        *self.gauges.live.lock() = Some(live);
    }

    fn ended(&mut self, gauges: &Gauges) {
        *self.gauges.last.lock() = Some(*gauges);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::metrics::Series;

    fn sink() -> PrometheusSink {
        let key = StepKey {
            name: "1 send_captcha".into(),
            call: "send_captcha".into(),
        };
        let run = RunInfo {
            scenario: "s".into(),
            model: "open",
            run_id: "r".into(),
            shard: "0/1".into(),
        };
        PrometheusSink::new(&[key], &run)
    }

    /// Past 32 names the rest go to `other failures`, exactly as the summary counts them.
    #[test]
    fn failure_kinds_are_bounded_as_the_summary_bounds_them() {
        let mut sink = sink();
        let mut series = Series::default();
        for i in 0..80 {
            let kind = format!("kind {}", i % 40);
            series.count_failures(&kind, 1);
            let (steps, outcomes) = (&mut sink.steps, &sink.outcomes);
            failure_counter(&mut steps[0], outcomes, &kind).inc();
        }
        let ours: BTreeMap<String, u64> = sink.steps[0]
            .failures
            .iter()
            .map(|(k, c)| (k.clone(), c.get()))
            .collect();
        assert_eq!(ours, series.failures);
        assert_eq!(ours[OTHER_FAILURES], 16);
    }

    #[test]
    fn a_bucket_holds_what_is_at_most_its_bound() {
        let buckets = Buckets::default();
        buckets.observe(Duration::from_micros(100));
        buckets.observe(Duration::from_micros(101));
        buckets.observe(Duration::from_secs(3600));
        let counts: Vec<u64> = buckets
            .0
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        assert_eq!((counts[0], counts[1], counts[BOUNDS.len()]), (1, 1, 1));
        let mut text = String::new();
        let mut registry = Registry::default();
        registry.register("h_seconds", "h", buckets);
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("encode");
        assert!(text.contains("h_seconds_count 3\n"), "{text}");
        assert!(
            text.contains("h_seconds_bucket{le=\"0.0002\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("h_seconds_bucket{le=\"+Inf\"} 3\n"), "{text}");
    }
}
