//! Where a load run's measurements go. Every step and flow is handed to the sinks as it ends
//! and every one-second interval as it closes, beside the HDR metrics every run keeps. The
//! interval logs are a sink; a live exporter (Prometheus, OpenTelemetry) is one more file with
//! one `impl Sink`, passed to `engine::run` by the command that wants it. What is not a sample
//! (flows started, in flight, the target rate) the engine hands over as `Gauges`: a live reading
//! while the run goes (`Sink::live`, read when the sink wants, a scrape), the final one at its end.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::metrics::{ClosedInterval, Metrics};
use super::tally::IntervalGauges;

/// One step of one measured flow.
#[derive(Debug, Clone, Copy)]
pub struct StepSample<'a> {
    /// The step's position in the flow (from 0), as `Metrics::steps` holds it.
    pub step: usize,
    /// The step's key name (`2 reset_password`, or its `name:`).
    pub name: &'a str,
    /// From when the step should have begun (coordinated omission corrected).
    pub corrected: Duration,
    /// From when it did begin.
    pub raw: Duration,
    pub status: Option<u16>,
    /// The failure's bounded name (`code_mismatch`, `status 503`, `transport (timeout)`).
    pub failure: Option<&'a str>,
}

/// One measured flow, ended.
#[derive(Debug, Clone, Copy)]
pub struct FlowSample<'a> {
    pub corrected: Duration,
    pub raw: Duration,
    /// `<step name>: <failure>` of the step that failed it.
    pub failure: Option<&'a str>,
    /// It started later than `--late-after` past its intended start.
    pub late: bool,
}

/// What the engine knows besides samples. Counts are of the measured window, as the summary's.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Gauges {
    /// Measured flows started.
    pub flows_started: u64,
    /// Flows running now (warm-up ones included).
    pub in_flight: u64,
    /// Open model: measured flows of this process's schedule due by now and not started yet.
    pub flows_behind: u64,
    /// Open model: flows due that never started; known once the run has ended.
    pub flows_dropped: Option<u64>,
    /// Open model: this process's share of the arrival rate now (a ramp shows), flows/s.
    pub target_rate: Option<f64>,
    /// Closed model: virtual users still looping.
    pub active_vus: Option<u64>,
    pub phase: Phase,
}

impl Gauges {
    /// Another engine thread's gauges, added (the phase is the run's, the same in each).
    pub fn add(&mut self, other: &Gauges) {
        fn sum<T: std::ops::Add<Output = T>>(a: Option<T>, b: Option<T>) -> Option<T> {
            match (a, b) {
                (Some(a), Some(b)) => Some(a + b),
                (a, b) => a.or(b),
            }
        }
        self.flows_started += other.flows_started;
        self.in_flight += other.in_flight;
        self.flows_behind += other.flows_behind;
        self.flows_dropped = sum(self.flows_dropped, other.flows_dropped);
        self.target_rate = sum(self.target_rate, other.target_rate);
        self.active_vus = sum(self.active_vus, other.active_vus);
    }
}

/// Where the run is: samples are recorded in `Measuring` only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Phase {
    #[default]
    Warmup,
    Measuring,
    Ended,
}

/// Reads the engine's gauges now; cheap (atomics and one short lock), for a scrape.
pub type Live = Arc<dyn Fn() -> Gauges + Send + Sync>;

pub trait Sink: Send {
    /// Whether it wants each step and flow (else only intervals, and no sample pays for it).
    fn wants_samples(&self) -> bool {
        true
    }
    fn step(&mut self, _sample: &StepSample<'_>) {}
    fn flow(&mut self, _sample: &FlowSample<'_>) {}
    /// A one-second interval closed: each series' histogram of it.
    fn interval(&mut self, _closed: &[ClosedInterval]) -> std::io::Result<()> {
        Ok(())
    }
    /// The flows are starting: `live` reads the gauges until the run ends.
    fn live(&mut self, _live: Live) {}
    /// The run ended with these gauges (before `finish`).
    fn ended(&mut self, _gauges: &Gauges) {}
    /// The run ended: flush and give files their final names.
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The HDR metrics every run keeps (what the summary is made from), and the sinks a command
/// added. Each behind a lock of its own, so a sink's file or network I/O at an interval never
/// holds up the flows recording into the metrics; unless a sink wants samples, a sample costs
/// one lock. Each engine thread records into its own `Sinks` (`for_thread`): its own metrics,
/// the command's sinks shared for samples; intervals, gauges and the end go to the run's.
pub struct Sinks {
    metrics: Mutex<Metrics>,
    others: Arc<Mutex<Vec<Box<dyn Sink>>>>,
    any_others: bool,
    /// The first error a sink met; the run goes on without stopping.
    error: Mutex<Option<std::io::Error>>,
}

impl Sinks {
    /// `metrics` keys the steps (`Metrics::for_steps`); `others` are the command's sinks.
    pub fn new(metrics: Metrics, others: Vec<Box<dyn Sink>>) -> Self {
        Self {
            metrics: Mutex::new(metrics),
            any_others: others.iter().any(|sink| sink.wants_samples()),
            others: Arc::new(Mutex::new(others)),
            error: Mutex::new(None),
        }
    }

    /// An engine thread's: `metrics` of its own, samples also to these sinks. Only the run's
    /// `Sinks` closes intervals and finishes the sinks.
    pub fn for_thread(&self, metrics: Metrics) -> Self {
        Self {
            metrics: Mutex::new(metrics),
            others: Arc::clone(&self.others),
            any_others: self.any_others,
            error: Mutex::new(None),
        }
    }

    pub fn step(&self, sample: &StepSample<'_>) {
        self.metrics.lock().step(sample);
        if self.any_others {
            for sink in self.others.lock().iter_mut() {
                sink.step(sample);
            }
        }
    }

    pub fn flow(&self, sample: &FlowSample<'_>) {
        self.metrics.lock().flow(sample);
        if self.any_others {
            for sink in self.others.lock().iter_mut() {
                sink.flow(sample);
            }
        }
    }

    /// The metrics so far, for the live progress line and counters.
    pub fn metrics(&self) -> parking_lot::MutexGuard<'_, Metrics> {
        self.metrics.lock()
    }

    /// Closes the metrics' current interval (`last`: only if anything is in it) with the gauges
    /// read at its close, and hands it to the sinks, outside the metrics' lock.
    pub fn close_interval(&self, start: f64, last: bool, gauges: IntervalGauges) {
        let closed = {
            let mut metrics = self.metrics.lock();
            match last {
                true => metrics.close_last_interval(start, gauges),
                false => metrics.close_interval_at(start, gauges),
            }
        };
        for sink in self.others.lock().iter_mut() {
            if let Err(e) = sink.interval(&closed) {
                self.error.lock().get_or_insert(e);
            }
        }
    }

    /// Hands every sink the live gauges as the flows start.
    pub fn live(&self, live: &Live) {
        for sink in self.others.lock().iter_mut() {
            sink.live(Arc::clone(live));
        }
    }

    /// Hands every sink the final gauges.
    pub fn ended(&self, gauges: &Gauges) {
        for sink in self.others.lock().iter_mut() {
            sink.ended(gauges);
        }
    }

    /// Finishes every sink; the metrics, and the first error a sink met, if any.
    pub fn finish(&self) -> (Metrics, Option<std::io::Error>) {
        for sink in self.others.lock().iter_mut() {
            if let Err(e) = sink.finish() {
                self.error.lock().get_or_insert(e);
            }
        }
        let metrics = std::mem::take(&mut *self.metrics.lock());
        (metrics, self.error.lock().take())
    }
}
