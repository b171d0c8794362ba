//! One series' latencies (a step or the whole flow): HDR histograms in microseconds, OK and
//! KO apart, corrected and raw, with counts by status and by bounded failure kind; and how two
//! of them add up (engine threads, shards).

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::scenario::load_spec::Samples;

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

pub(super) fn micros(duration: Duration) -> u64 {
    (duration.as_micros() as u64).clamp(1, HIGHEST_US)
}

/// The latencies of one outcome: from the intended start (corrected) and the actual one (raw).
#[derive(Debug, Clone)]
pub struct Latency {
    pub corrected: Histogram<u64>,
    pub raw: Histogram<u64>,
}

impl Default for Latency {
    fn default() -> Self {
        Self {
            corrected: new_histogram(),
            raw: new_histogram(),
        }
    }
}

impl Latency {
    pub fn count(&self) -> u64 {
        self.corrected.len()
    }

    fn record(&mut self, corrected: Duration, raw: Duration) {
        let _ = self.corrected.record(micros(corrected));
        let _ = self.raw.record(micros(raw));
    }
}

/// One series (a step or the whole flow): what succeeded (OK) and what failed (KO) apart, as
/// Gatling reports them, and its counts.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub ok: Latency,
    pub ko: Latency,
    pub statuses: BTreeMap<String, u64>,
    pub failures: BTreeMap<String, u64>,
}

impl Series {
    pub fn count(&self) -> u64 {
        self.ok.count() + self.ko.count()
    }

    pub(super) fn record(&mut self, corrected: Duration, raw: Duration, failed: bool) {
        match failed {
            false => self.ok.record(corrected, raw),
            true => self.ko.record(corrected, raw),
        }
    }

    /// The latencies `samples` selects (OK and KO added for `All`).
    pub fn latency(&self, samples: Samples) -> Latency {
        match samples {
            Samples::Ok => self.ok.clone(),
            Samples::Ko => self.ko.clone(),
            Samples::All => {
                let mut all = self.ok.clone();
                let _ = all.corrected.add(&self.ko.corrected);
                let _ = all.raw.add(&self.ko.raw);
                all
            }
        }
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

impl Latency {
    /// Adds `other`'s samples (histograms of the same bounds add without loss).
    pub fn add(&mut self, other: &Latency) {
        let _ = self.corrected.add(&other.corrected);
        let _ = self.raw.add(&other.raw);
    }
}

impl Series {
    /// Adds `other`'s samples and counts, its failure kinds bounded as they are recorded.
    pub fn add(&mut self, other: &Series) {
        self.ok.add(&other.ok);
        self.ko.add(&other.ko);
        for (status, n) in &other.statuses {
            *self.statuses.entry(status.clone()).or_default() += n;
        }
        for (kind, n) in &other.failures {
            self.count_failures(kind, *n);
        }
    }
}
