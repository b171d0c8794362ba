//! What a load run measures: per step (keyed by the step, in flow order) and per whole flow,
//! HDR histograms of latency in microseconds (fixed memory, no per-sample vectors), OK and KO
//! apart, each corrected for coordinated omission (from the intended start) and raw (from the
//! actual start), counts by status and failure kind, and one-second interval histograms kept
//! compressed for the interval logs and time series.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

use super::series::micros;
pub use super::series::{new_histogram, Latency, Series, MAX_FAILURE_KINDS, OTHER_FAILURES};
use super::tally::{IntervalGauges, IntervalTally, Tally};
use crate::scenario::load_spec::{resolve_step, StepKey};
use crate::scenario::load_steps;

/// One step's series, with the key it is reported under.
#[derive(Debug, Clone)]
pub struct StepSeries {
    pub key: StepKey,
    /// The series' name in the interval logs and timeline (`step02-reset_password`): a file
    /// name whatever the step's `name:` holds.
    pub log: String,
    pub series: Series,
}

/// The interval log name of step `index` (from 0) making `call`.
pub fn step_log_name(index: usize, call: &str) -> String {
    format!("step{:02}-{call}", index + 1)
}

/// The whole flow's series name in the interval logs and timeline.
pub const FLOW: &str = "flow";

/// A finished one-second interval: per series, a few numbers for time series. The interval's
/// histograms themselves go to the interval logs as they close, so memory stays flat.
#[derive(Debug, Clone)]
pub struct Interval {
    /// Seconds since the measured window began.
    pub start: f64,
    /// By index into `Metrics::series_names`: a run of hours keeps a few bytes a second.
    pub series: Vec<(u16, IntervalSeries)>,
    /// Failures by kind, requests by status class, the gauges at its close.
    pub tally: IntervalTally,
}

/// One series' second: OK and KO counts, latency of the OK samples.
#[derive(Debug, Clone, Copy, Default)]
pub struct IntervalSeries {
    pub count: u32,
    pub ko: u32,
    pub p50_ms: f32,
    pub p90_ms: f32,
    pub p99_ms: f32,
    pub max_ms: f32,
}

/// One series' histogram of a closed interval (OK or KO samples), encoded for an interval
/// log line.
#[derive(Debug, Clone)]
pub struct ClosedInterval {
    pub series: String,
    /// KO samples: the log line is tagged `Tag=KO`; OK lines are untagged, so HdrHistogram
    /// tools show what succeeded unless asked for the tag.
    pub ko: bool,
    pub start: f64,
    pub max_ms: f64,
    /// Base64 of the V2-deflate-serialised histogram, as HdrHistogram interval logs hold it.
    pub encoded: String,
}

/// Everything measured so far.
#[derive(Debug, Default)]
pub struct Metrics {
    /// In flow order, one per step of the scenario (also those no flow reached).
    pub steps: Vec<StepSeries>,
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
    /// The open interval's counts besides latency, and the failure kinds intervals refer to.
    pub tally: Tally,
    /// The open interval's histograms by series name and KO.
    /// A few entries (two a series at most), looked up by name without a key's allocation.
    current: Vec<((String, bool), Histogram<u64>)>,
}

impl Metrics {
    /// Metrics for steps keyed `steps`, in flow order.
    pub fn for_steps(steps: Vec<StepKey>) -> Self {
        let steps = steps
            .into_iter()
            .enumerate()
            .map(|(i, key)| StepSeries {
                log: step_log_name(i, &key.call),
                key,
                series: Series::default(),
            })
            .collect();
        Self {
            steps,
            ..Self::default()
        }
    }

    /// The keys of the steps, in flow order.
    pub fn step_keys(&self) -> Vec<StepKey> {
        self.steps.iter().map(|s| s.key.clone()).collect()
    }

    /// The series `pNN(of)` names, if any (`resolve_step`).
    pub fn series_of(&self, of: &str) -> Option<&Series> {
        match resolve_step(of, &self.step_keys()).ok()? {
            load_steps::Series::Flow => Some(&self.flow),
            load_steps::Series::Step(i) => self.steps.get(i).map(|s| &s.series),
        }
    }

    /// Records step `index` (of `steps`; another is counted as a request only).
    pub fn record_step(
        &mut self,
        index: usize,
        corrected: Duration,
        raw: Duration,
        status: Option<u16>,
        failure: Option<&str>,
    ) {
        self.requests += 1;
        let Some(step) = self.steps.get_mut(index) else {
            return;
        };
        self.tally.record(status, failure);
        let series = &mut step.series;
        series.record(corrected, raw, failure.is_some());
        count_status(&mut series.statuses, status);
        if let Some(kind) = failure {
            series.count_failures(kind, 1);
        }
        let _ = open_histogram(&mut self.current, &step.log, failure.is_some())
            .record(micros(corrected));
    }

    pub fn record_flow(
        &mut self,
        corrected: Duration,
        raw: Duration,
        failure: Option<&str>,
        late: bool,
    ) {
        self.flow.record(corrected, raw, failure.is_some());
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
        let _ =
            open_histogram(&mut self.current, FLOW, failure.is_some()).record(micros(corrected));
    }

    pub fn step(&mut self, sample: &super::sink::StepSample<'_>) {
        self.record_step(
            sample.step,
            sample.corrected,
            sample.raw,
            sample.status,
            sample.failure,
        );
    }

    pub fn flow(&mut self, sample: &super::sink::FlowSample<'_>) {
        self.record_flow(sample.corrected, sample.raw, sample.failure, sample.late);
    }

    /// Moves the open interval (histograms and counts) into `into`'s: an engine thread's
    /// second, merged into the run's before the run's closes (`engine::close_interval`).
    pub fn drain_interval_into(&mut self, into: &mut Metrics) {
        for ((name, ko), histogram) in std::mem::take(&mut self.current) {
            match into
                .current
                .iter_mut()
                .find(|(key, _)| key.0 == name && key.1 == ko)
            {
                Some((_, into)) => {
                    let _ = into.add(&histogram);
                }
                None => into.current.push(((name, ko), histogram)),
            }
        }
        self.tally.drain_into(&mut into.tally);
    }

    /// Adds `other`'s totals (an engine thread's, keyed by the same steps): series and counts.
    /// Intervals are not added: they are closed on the merged metrics only.
    pub fn add_totals(&mut self, other: &Metrics) {
        for (mine, theirs) in self.steps.iter_mut().zip(&other.steps) {
            mine.series.add(&theirs.series);
        }
        self.flow.add(&other.flow);
        self.flows_started += other.flows_started;
        self.flows_ok += other.flows_ok;
        self.flows_failed += other.flows_failed;
        self.flows_late += other.flows_late;
        self.flows_dropped += other.flows_dropped;
        self.requests += other.requests;
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
    pub fn close_last_interval(
        &mut self,
        start: f64,
        gauges: IntervalGauges,
    ) -> Vec<ClosedInterval> {
        match self.current.is_empty() {
            true => Vec::new(),
            false => self.close_interval_at(start, gauges),
        }
    }

    /// Closes an interval whose histograms were made elsewhere (merged from shards), keyed by
    /// series name and KO, with `gauges` and the counts added to `tally` before.
    pub fn close_interval_with(
        &mut self,
        start: f64,
        histograms: BTreeMap<(String, bool), Histogram<u64>>,
        gauges: IntervalGauges,
    ) -> Vec<ClosedInterval> {
        self.current = histograms.into_iter().collect();
        self.close_interval_at(start, gauges)
    }

    fn series_index(&mut self, name: &str) -> u16 {
        let index = match self.series_names.iter().position(|n| n == name) {
            Some(index) => index,
            None => {
                self.series_names.push(name.to_owned());
                self.series_names.len() - 1
            }
        };
        index as u16
    }

    /// Closes the current one-second interval, no gauge read (a test's); its histograms.
    pub fn close_interval(&mut self, start: f64) -> Vec<ClosedInterval> {
        self.close_interval_at(start, IntervalGauges::default())
    }

    /// Closes the current one-second interval with the gauges read at its close; returns its
    /// histograms for the interval logs.
    pub fn close_interval_at(&mut self, start: f64, gauges: IntervalGauges) -> Vec<ClosedInterval> {
        let mut current = std::mem::take(&mut self.current);
        // By name, then OK before KO: the order of the interval logs' lines.
        current.sort_by(|a, b| a.0.cmp(&b.0));
        let ms = |us: u64| us as f64 / 1000.0;
        let mut series: Vec<(u16, IntervalSeries)> = Vec::with_capacity(current.len());
        let mut closed = Vec::new();
        for ((name, ko), histogram) in current {
            let index = self.series_index(&name);
            let at = match series.iter().position(|(i, _)| *i == index) {
                Some(at) => at,
                None => {
                    series.push((index, IntervalSeries::default()));
                    series.len() - 1
                }
            };
            let count = histogram.len().min(u64::from(u32::MAX)) as u32;
            let numbers = &mut series[at].1;
            let max_ms = ms(histogram.max());
            if ko {
                numbers.ko = count;
            } else {
                numbers.count = count;
                numbers.p50_ms = ms(histogram.value_at_quantile(0.5)) as f32;
                numbers.p90_ms = ms(histogram.value_at_quantile(0.9)) as f32;
                numbers.p99_ms = ms(histogram.value_at_quantile(0.99)) as f32;
                numbers.max_ms = max_ms as f32;
            }
            closed.push(ClosedInterval {
                series: name,
                ko,
                start,
                max_ms,
                encoded: encode(&histogram),
            });
        }
        let tally = self.tally.close(gauges);
        self.intervals.push(Interval {
            start,
            series,
            tally,
        });
        closed
    }
}

/// The open interval's histogram of series `name`, OK or KO (`ko`), made on its first sample.
fn open_histogram<'a>(
    current: &'a mut Vec<((String, bool), Histogram<u64>)>,
    name: &str,
    ko: bool,
) -> &'a mut Histogram<u64> {
    let at = match current
        .iter()
        .position(|(key, _)| key.1 == ko && key.0 == name)
    {
        Some(at) => at,
        None => {
            current.push(((name.to_owned(), ko), new_histogram()));
            current.len() - 1
        }
    };
    &mut current[at].1
}

/// Counts one answer of `status` (none: a transport failure) without formatting a new key.
fn count_status(statuses: &mut BTreeMap<String, u64>, status: Option<u16>) {
    let mut digits = [0u8; 20];
    let text = match status {
        None => "transport",
        Some(n) => crate::transport::decimal(u64::from(n), &mut digits),
    };
    match statuses.get_mut(text) {
        Some(count) => *count += 1,
        None => {
            statuses.insert(text.to_owned(), 1);
        }
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
    use crate::scenario::load_spec::Samples;

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

    fn two_resets() -> Metrics {
        let key = |name: &str, call: &str| StepKey {
            name: name.into(),
            call: call.into(),
        };
        Metrics::for_steps(vec![
            key("1 check_code", "check_code"),
            key("2 reset_password", "reset_password"),
            key("3 reset_password", "reset_password"),
        ])
    }

    #[test]
    fn intervals_close_and_reset() {
        let mut metrics = two_resets();
        let ms = Duration::from_millis;
        metrics.record_step(0, ms(30), ms(2), Some(200), None);
        metrics.record_flow(ms(40), ms(10), None, true);
        metrics.record_flow(ms(1), ms(1), Some("x"), false);
        let closed = metrics.close_interval(0.0);
        let tagged: Vec<(&str, bool)> = closed.iter().map(|c| (c.series.as_str(), c.ko)).collect();
        assert_eq!(
            tagged,
            [
                ("flow", false),
                ("flow", true),
                ("step01-check_code", false)
            ]
        );
        metrics.close_interval(1.0);
        let first: Vec<(&str, u32, u32)> = metrics
            .interval_series(&metrics.intervals[0])
            .map(|(n, s)| (n, s.count, s.ko))
            .collect();
        assert_eq!(first, [("flow", 1, 1), ("step01-check_code", 1, 0)]);
        assert!(metrics.intervals[1].series.is_empty());
        assert_eq!(metrics.flows_late, 1);
        assert_eq!(metrics.steps[0].series.ok.raw.max() / 1000, 2);
    }

    /// Two steps making the same call stay apart, in flow order; OK and KO apart in each.
    #[test]
    fn steps_of_one_call_and_outcomes_stay_apart() {
        let mut metrics = two_resets();
        let ms = Duration::from_millis;
        metrics.record_step(1, ms(20), ms(20), Some(200), None);
        metrics.record_step(2, ms(3), ms(3), Some(401), Some("reset_token_invalid"));
        let counts: Vec<(&str, u64, u64)> = metrics
            .steps
            .iter()
            .map(|s| {
                (
                    s.key.name.as_str(),
                    s.series.ok.count(),
                    s.series.ko.count(),
                )
            })
            .collect();
        assert_eq!(
            counts,
            [
                ("1 check_code", 0, 0),
                ("2 reset_password", 1, 0),
                ("3 reset_password", 0, 1)
            ]
        );
        let third = &metrics.steps[2].series;
        assert_eq!(third.latency(Samples::All).count(), 1);
        assert!(metrics.series_of("reset_password").is_none(), "ambiguous");
        assert_eq!(
            metrics.series_of("3 reset_password").map(Series::count),
            Some(1)
        );
    }

    #[test]
    fn statuses_are_counted_under_their_decimal_text() {
        let mut statuses = BTreeMap::new();
        for status in [Some(200), Some(200), Some(0), Some(65535), None, Some(7)] {
            count_status(&mut statuses, status);
        }
        let counted: Vec<(&str, u64)> = statuses.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            counted,
            [
                ("0", 1),
                ("200", 2),
                ("65535", 1),
                ("7", 1),
                ("transport", 1)
            ]
        );
    }
}
