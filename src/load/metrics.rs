//! What a load run measures: per step and per whole flow, HDR histograms of latency in
//! microseconds (fixed memory, no per-sample vectors), corrected for coordinated omission (from
//! the intended start) and raw (from the actual start), counts by status and failure kind, and
//! one-second interval histograms kept compressed for the interval logs and time series.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

/// Distinct failure names kept per series; past it they are counted as `OTHER_FAILURES`, so a
/// target that puts a new value in every failure cannot grow the report.
pub const MAX_FAILURE_KINDS: usize = 32;
pub const OTHER_FAILURES: &str = "other failures";

/// Latencies above an hour are clamped: a histogram needs a top.
const HIGHEST_US: u64 = 3_600_000_000;
const SIGNIFICANT_DIGITS: u8 = 3;

pub fn new_histogram() -> Histogram<u64> {
    // Bounds are constants, valid by construction.
    Histogram::new_with_bounds(1, HIGHEST_US, SIGNIFICANT_DIGITS)
        .unwrap_or_else(|_| Histogram::new(SIGNIFICANT_DIGITS).unwrap_or_else(|_| unreachable!()))
}

fn micros(duration: Duration) -> u64 {
    (duration.as_micros() as u64).clamp(1, HIGHEST_US)
}

/// One histogram pair and its counts.
#[derive(Debug, Clone)]
pub struct Series {
    pub corrected: Histogram<u64>,
    pub raw: Histogram<u64>,
    pub statuses: BTreeMap<String, u64>,
    pub failures: BTreeMap<String, u64>,
}

impl Default for Series {
    fn default() -> Self {
        Self {
            corrected: new_histogram(),
            raw: new_histogram(),
            statuses: BTreeMap::new(),
            failures: BTreeMap::new(),
        }
    }
}

impl Series {
    fn record(&mut self, corrected: Duration, raw: Duration) {
        let _ = self.corrected.record(micros(corrected));
        let _ = self.raw.record(micros(raw));
    }

    /// Counts `n` failures named `name`, past `MAX_FAILURE_KINDS` names as `OTHER_FAILURES`.
    pub fn count_failures(&mut self, name: &str, n: u64) {
        if let Some(count) = self.failures.get_mut(name) {
            *count += n;
        } else if self.failures.len() < MAX_FAILURE_KINDS {
            self.failures.insert(name.to_owned(), n);
        } else {
            *self.failures.entry(OTHER_FAILURES.to_owned()).or_default() += n;
        }
    }
}

/// A finished one-second interval: per series, a few numbers for time series. The interval's
/// histograms themselves go to the interval logs as they close, so memory stays flat.
#[derive(Debug, Clone)]
pub struct Interval {
    /// Seconds since the measured window began.
    pub start: f64,
    /// By index into `Metrics::series_names`: a run of hours keeps a few bytes a second.
    pub series: Vec<(u16, IntervalSeries)>,
}

#[derive(Debug, Clone, Copy)]
pub struct IntervalSeries {
    pub count: u32,
    pub p50_ms: f32,
    pub p99_ms: f32,
    pub max_ms: f32,
}

/// One series' histogram of a closed interval, encoded for an interval log line.
#[derive(Debug, Clone)]
pub struct ClosedInterval {
    pub series: String,
    pub start: f64,
    pub max_ms: f64,
    /// Base64 of the V2-deflate-serialised histogram, as HdrHistogram interval logs hold it.
    pub encoded: String,
}

/// Everything measured so far.
#[derive(Debug, Default)]
pub struct Metrics {
    pub steps: BTreeMap<String, Series>,
    pub flow: Series,
    pub flows_started: u64,
    pub flows_ok: u64,
    pub flows_failed: u64,
    pub flows_late: u64,
    pub flows_dropped: u64,
    pub requests: u64,
    pub intervals: Vec<Interval>,
    /// Names of the series the intervals refer to by index.
    pub series_names: Vec<String>,
    current: BTreeMap<String, Histogram<u64>>,
}

impl Metrics {
    pub fn record_step(
        &mut self,
        step: &str,
        corrected: Duration,
        raw: Duration,
        status: Option<u16>,
        failure: Option<&str>,
    ) {
        let series = self.steps.entry(step.to_owned()).or_default();
        series.record(corrected, raw);
        let status = status.map_or_else(|| "transport".to_owned(), |s| s.to_string());
        *series.statuses.entry(status).or_default() += 1;
        if let Some(kind) = failure {
            series.count_failures(kind, 1);
        }
        self.requests += 1;
        let _ = self
            .current
            .entry(step.to_owned())
            .or_insert_with(new_histogram)
            .record(micros(corrected));
    }

    pub fn record_flow(
        &mut self,
        corrected: Duration,
        raw: Duration,
        failure: Option<&str>,
        late: bool,
    ) {
        self.flow.record(corrected, raw);
        if late {
            self.flows_late += 1;
        }
        match failure {
            None => self.flows_ok += 1,
            Some(kind) => {
                self.flows_failed += 1;
                self.flow.count_failures(kind, 1);
            }
        }
        let _ = self
            .current
            .entry("flow".to_owned())
            .or_insert_with(new_histogram)
            .record(micros(corrected));
    }

    pub fn step(&mut self, sample: &super::sink::StepSample<'_>) {
        self.record_step(
            sample.series,
            sample.corrected,
            sample.raw,
            sample.status,
            sample.failure,
        );
    }

    pub fn flow(&mut self, sample: &super::sink::FlowSample<'_>) {
        self.record_flow(sample.corrected, sample.raw, sample.failure, sample.late);
    }

    /// An interval's series with their names.
    pub fn interval_series<'a>(
        &'a self,
        interval: &'a Interval,
    ) -> impl Iterator<Item = (&'a str, &'a IntervalSeries)> {
        interval.series.iter().filter_map(|(index, numbers)| {
            self.series_names
                .get(usize::from(*index))
                .map(|name| (name.as_str(), numbers))
        })
    }

    /// Closes the last, partial interval if anything was recorded in it.
    pub fn close_last_interval(&mut self, start: f64) -> Vec<ClosedInterval> {
        if self.current.is_empty() {
            Vec::new()
        } else {
            self.close_interval(start)
        }
    }

    /// Closes an interval whose histograms were made elsewhere (merged from shards).
    pub fn close_interval_with(
        &mut self,
        start: f64,
        histograms: BTreeMap<String, Histogram<u64>>,
    ) -> Vec<ClosedInterval> {
        self.current = histograms;
        self.close_interval(start)
    }

    /// Closes the current one-second interval; returns its histograms for the interval logs.
    pub fn close_interval(&mut self, start: f64) -> Vec<ClosedInterval> {
        let current = std::mem::take(&mut self.current);
        let ms = |us: u64| us as f64 / 1000.0;
        let mut series = Vec::with_capacity(current.len());
        let mut closed = Vec::new();
        for (name, histogram) in current {
            let max_ms = ms(histogram.max());
            let index = match self.series_names.iter().position(|n| *n == name) {
                Some(index) => index,
                None => {
                    self.series_names.push(name.clone());
                    self.series_names.len() - 1
                }
            };
            let numbers = IntervalSeries {
                count: histogram.len().min(u64::from(u32::MAX)) as u32,
                p50_ms: ms(histogram.value_at_quantile(0.5)) as f32,
                p99_ms: ms(histogram.value_at_quantile(0.99)) as f32,
                max_ms: max_ms as f32,
            };
            series.push((index as u16, numbers));
            closed.push(ClosedInterval {
                series: name,
                start,
                max_ms,
                encoded: encode(&histogram),
            });
        }
        self.intervals.push(Interval { start, series });
        closed
    }
}

/// The HdrHistogram "compressed histogram" form: V2 + deflate, base64.
pub fn encode(histogram: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    match V2DeflateSerializer::new().serialize(histogram, &mut bytes) {
        Ok(_) => base64::engine::general_purpose::STANDARD.encode(bytes),
        Err(_) => String::new(),
    }
}

pub fn decode(encoded: &str) -> Result<Histogram<u64>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("not base64: {e}"))?;
    hdrhistogram::serialization::Deserializer::new()
        .deserialize(&mut std::io::Cursor::new(bytes))
        .map_err(|e| format!("not an HdrHistogram: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_round_trip_through_the_log_encoding() {
        let mut histogram = new_histogram();
        for us in [150, 900, 12_000, 5_000_000] {
            histogram.record(us).expect("record");
        }
        let back = decode(&encode(&histogram)).expect("decode");
        assert_eq!(back.len(), 4);
        assert_eq!(back.max(), histogram.max());
        assert_eq!(
            back.value_at_quantile(0.5),
            histogram.value_at_quantile(0.5)
        );
    }

    #[test]
    fn intervals_close_and_reset() {
        let mut metrics = Metrics::default();
        metrics.record_step(
            "check_code",
            Duration::from_millis(30),
            Duration::from_millis(2),
            Some(200),
            None,
        );
        metrics.record_flow(
            Duration::from_millis(40),
            Duration::from_millis(10),
            None,
            true,
        );
        metrics.close_interval(0.0);
        metrics.close_interval(1.0);
        let first: Vec<(&str, u32)> = metrics
            .interval_series(&metrics.intervals[0])
            .map(|(n, s)| (n, s.count))
            .collect();
        assert_eq!(first, [("check_code", 1), ("flow", 1)]);
        assert!(metrics.intervals[1].series.is_empty());
        assert_eq!(metrics.flows_late, 1);
        assert_eq!(metrics.steps["check_code"].raw.max() / 1000, 2);
    }
}
