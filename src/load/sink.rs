//! Where a load run's measurements go. Every flow and step is handed to the sinks as it ends
//! and every closed one-second interval as it closes; the HDR metrics (`Metrics`) are one sink,
//! the interval logs another. A live exporter (Prometheus, OpenTelemetry) is one more file
//! with one `impl Sink`, added to `Sinks` by the command that wants it.

use std::time::Duration;

use super::metrics::{ClosedInterval, Metrics};

/// One step of one measured flow.
#[derive(Debug, Clone, Copy)]
pub struct StepSample<'a> {
    /// The step's series name (its call, `request` for raw requests).
    pub series: &'a str,
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
    /// `<step>: <failure>` of the step that failed it.
    pub failure: Option<&'a str>,
    /// It started later than `--late-after` past its intended start.
    pub late: bool,
}

pub trait Sink: Send {
    fn step(&mut self, _sample: &StepSample<'_>) {}
    fn flow(&mut self, _sample: &FlowSample<'_>) {}
    /// A one-second interval closed: each series' histogram of it.
    fn interval(&mut self, _closed: &[ClosedInterval]) -> std::io::Result<()> {
        Ok(())
    }
    /// The run ended: flush and give files their final names.
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The metrics every run keeps, and the sinks a command added.
#[derive(Default)]
pub struct Sinks {
    pub metrics: Metrics,
    others: Vec<Box<dyn Sink>>,
    /// The first error a sink met; the run goes on without stopping.
    error: Option<std::io::Error>,
}

impl Sinks {
    pub fn new(others: Vec<Box<dyn Sink>>) -> Self {
        Self {
            metrics: Metrics::default(),
            others,
            error: None,
        }
    }

    pub fn step(&mut self, sample: &StepSample<'_>) {
        self.metrics.step(sample);
        for sink in &mut self.others {
            sink.step(sample);
        }
    }

    pub fn flow(&mut self, sample: &FlowSample<'_>) {
        self.metrics.flow(sample);
        for sink in &mut self.others {
            sink.flow(sample);
        }
    }

    /// Closes the metrics' current interval (`last`: only if anything is in it) and hands it on.
    pub fn close_interval(&mut self, start: f64, last: bool) {
        let closed = match last {
            true => self.metrics.close_last_interval(start),
            false => self.metrics.close_interval(start),
        };
        for sink in &mut self.others {
            if let Err(e) = sink.interval(&closed) {
                self.error.get_or_insert(e);
            }
        }
    }

    /// Finishes every sink; the metrics, and the first error a sink met, if any.
    pub fn finish(mut self) -> (Metrics, Option<std::io::Error>) {
        for sink in &mut self.others {
            if let Err(e) = sink.finish() {
                self.error.get_or_insert(e);
            }
        }
        (self.metrics, self.error)
    }
}
