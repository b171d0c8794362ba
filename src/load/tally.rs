//! What a one-second interval holds besides latency: its KO requests by failure kind and its
//! requests by status class, counted as steps are recorded (one array add a sample, one
//! lookup a failure), and the engine's gauges read when it closes (`live::at_close`). Kinds are
//! the bounded names the summary counts per step (`code_mismatch`, `status 503`), summed over
//! the steps and bounded again per run, so a target that names every failure anew cannot grow
//! the timeline.

use super::metrics::{MAX_FAILURE_KINDS, OTHER_FAILURES};

/// Status classes, by index: an answer's hundreds, `other status` outside 100-599, and
/// `transport` for a step that got no answer (as the summary's `statuses` says).
pub const CLASSES: [&str; 7] = [
    "1xx",
    "2xx",
    "3xx",
    "4xx",
    "5xx",
    "other status",
    "transport",
];

fn class_of(status: Option<u16>) -> usize {
    match status {
        None => 6,
        Some(s @ 100..=599) => usize::from(s / 100) - 1,
        Some(_) => 5,
    }
}

/// The engine's gauges as an interval closed: the open model's target rate over the interval
/// (this process's share, flows/s), flows in flight and the closed model's active virtual
/// users at the close. `None` where the run had no such gauge (or the record predates it).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IntervalGauges {
    pub target_rate: Option<f64>,
    pub in_flight: Option<u64>,
    pub active_vus: Option<u64>,
}

impl IntervalGauges {
    /// Shards' gauges of one second together: rates, flows and VUs add up (saturating: they
    /// are read from summary.json files `merge` is handed).
    pub fn add(&mut self, other: &IntervalGauges) {
        fn sum<T: Copy>(a: Option<T>, b: Option<T>, add: fn(T, T) -> T) -> Option<T> {
            match (a, b) {
                (Some(a), Some(b)) => Some(add(a, b)),
                (a, b) => a.or(b),
            }
        }
        self.target_rate = sum(self.target_rate, other.target_rate, |a, b| a + b);
        self.in_flight = sum(self.in_flight, other.in_flight, u64::saturating_add);
        self.active_vus = sum(self.active_vus, other.active_vus, u64::saturating_add);
    }
}

/// A closed interval's counts: failures by index into `Tally::kind`, requests by class.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntervalTally {
    pub gauges: IntervalGauges,
    pub failures: Vec<(u16, u32)>,
    pub classes: [u32; CLASSES.len()],
}

/// The open interval's counts, and the failure kinds met so far.
#[derive(Debug, Default)]
pub struct Tally {
    kinds: Vec<String>,
    failures: Vec<u32>,
    classes: [u32; CLASSES.len()],
}

impl Tally {
    /// Counts one request: its status class, and its failure's kind if it failed.
    pub fn record(&mut self, status: Option<u16>, failure: Option<&str>) {
        self.classes[class_of(status)] += 1;
        if let Some(kind) = failure {
            self.add_failures(kind, 1);
        }
    }

    /// Counts `n` requests of the class named `class` (a merged second's); an unknown name
    /// counts as `other status`.
    pub fn add_class(&mut self, class: &str, n: u64) {
        let at = CLASSES.iter().position(|c| *c == class).unwrap_or(5);
        self.classes[at] = self.classes[at].saturating_add(clamp(n));
    }

    /// Counts `n` failures of `kind`, past `MAX_FAILURE_KINDS` kinds as `OTHER_FAILURES`.
    pub fn add_failures(&mut self, kind: &str, n: u64) {
        let index = match self.kinds.iter().position(|k| k == kind) {
            Some(index) => index,
            None if self.kinds.len() < MAX_FAILURE_KINDS => {
                self.kinds.push(kind.to_owned());
                self.kinds.len() - 1
            }
            None => match self.kinds.iter().position(|k| k == OTHER_FAILURES) {
                Some(index) => index,
                None => {
                    self.kinds.push(OTHER_FAILURES.to_owned());
                    self.kinds.len() - 1
                }
            },
        };
        if self.failures.len() <= index {
            self.failures.resize(index + 1, 0);
        }
        self.failures[index] = self.failures[index].saturating_add(clamp(n));
    }

    /// Moves the open interval's counts into `into`'s, kinds by name (each tally numbers the
    /// kinds it met in its own order).
    pub fn drain_into(&mut self, into: &mut Tally) {
        for (index, n) in self.failures.iter_mut().enumerate() {
            if *n > 0 {
                into.add_failures(&self.kinds[index], u64::from(*n));
                *n = 0;
            }
        }
        for (mine, theirs) in into
            .classes
            .iter_mut()
            .zip(std::mem::take(&mut self.classes))
        {
            *mine = mine.saturating_add(theirs);
        }
    }

    /// The kind at `index` of a closed interval's failures.
    pub fn kind(&self, index: u16) -> &str {
        self.kinds
            .get(usize::from(index))
            .map_or("?", String::as_str)
    }

    /// Closes the open interval with the gauges read at its close; counting starts again.
    pub fn close(&mut self, gauges: IntervalGauges) -> IntervalTally {
        let failures = self
            .failures
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (i as u16, *n))
            .collect();
        self.failures.iter_mut().for_each(|n| *n = 0);
        IntervalTally {
            gauges,
            failures,
            classes: std::mem::take(&mut self.classes),
        }
    }
}

fn clamp(n: u64) -> u32 {
    n.min(u64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interval_counts_its_own_requests_by_class_and_kind() {
        let mut tally = Tally::default();
        tally.record(Some(200), None);
        tally.record(Some(503), Some("status 503"));
        tally.record(None, Some("transport (timeout)"));
        tally.record(Some(700), Some("status 503"));
        let first = tally.close(IntervalGauges::default());
        assert_eq!(first.classes, [0, 1, 0, 0, 1, 1, 1]);
        let named: Vec<(&str, u32)> = first
            .failures
            .iter()
            .map(|(i, n)| (tally.kind(*i), *n))
            .collect();
        assert_eq!(named, [("status 503", 2), ("transport (timeout)", 1)]);
        tally.record(Some(200), None);
        let second = tally.close(IntervalGauges::default());
        assert!(second.failures.is_empty(), "{second:?}");
        assert_eq!(second.classes[1], 1);
    }

    #[test]
    fn kinds_past_the_bound_are_other_failures() {
        let mut tally = Tally::default();
        for i in 0..MAX_FAILURE_KINDS + 10 {
            tally.record(Some(500), Some(&format!("kind {i}")));
        }
        let closed = tally.close(IntervalGauges::default());
        assert_eq!(closed.failures.len(), MAX_FAILURE_KINDS + 1);
        let (last, n) = closed.failures[MAX_FAILURE_KINDS];
        assert_eq!((tally.kind(last), n), (OTHER_FAILURES, 10));
    }

    #[test]
    fn gauges_of_shards_add_up() {
        let mut a = IntervalGauges {
            target_rate: Some(10.0),
            in_flight: Some(3),
            active_vus: None,
        };
        a.add(&IntervalGauges {
            target_rate: Some(5.0),
            in_flight: Some(4),
            active_vus: None,
        });
        assert_eq!(
            a,
            IntervalGauges {
                target_rate: Some(15.0),
                in_flight: Some(7),
                active_vus: None
            }
        );
        // Hostile shard records saturate rather than wrap or panic.
        a.add(&IntervalGauges {
            in_flight: Some(u64::MAX),
            ..IntervalGauges::default()
        });
        assert_eq!(a.in_flight, Some(u64::MAX));
    }
}
