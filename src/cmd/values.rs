//! The value parsers of numeric and duration flags, checked where clap reads them: a value the
//! core cannot use (`--duration 0s`, `--vus 0`, `--rate nan`, `--timeout 0s`) is exit 2 with
//! clap's message naming the flag and what it allows, before anything runs. Each kind of value
//! has one `Bound`: its parser's error and the flag's `--help` text are both made from it, so
//! they cannot drift apart.

use std::time::Duration;

// The longest run, warm-up or time limit, as in a scenario's `load:` section.
use crate::scenario::load_spec::{self, LONGEST};

/// Most one request may wait: past an hour it is a hang, not a timeout.
const LONGEST_TIMEOUT: Duration = Duration::from_secs(3600);

/// What a flag allows, in words, for its `--help` and its error.
#[derive(Debug, Clone, Copy)]
pub struct Bound(&'static str);

/// A measured time, a time limit: more than 0, at most 30 days.
pub const POSITIVE_DURATION: Bound = Bound("more than 0 and at most 30 days, e.g. 500ms, 30s, 5m");
/// A warm-up, a think time: 0 (none) up to 30 days.
pub const DURATION_OR_ZERO: Bound = Bound("0 or more, at most 30 days, e.g. 0s, 500ms, 5s");
/// One request's timeout: more than 0, at most an hour.
pub const TIMEOUT: Bound = Bound("more than 0 and at most 1h, e.g. 500ms, 10s");
/// A flow arrival rate: a finite number of flows per second above 0.
pub const RATE: Bound =
    Bound("a number of flows per second above 0 and at most 1000000, e.g. 0.5, 200");
/// Virtual users (a scenario's `load.vus` has the same bound, `load_spec::MAX_VUS`).
pub const VUS: Bound = Bound("a whole number from 1 to 100000");
/// Flows in flight at once (as a scenario's `load.max_in_flight`, `load_spec::MAX_IN_FLIGHT`).
pub const IN_FLIGHT: Bound = Bound("a whole number from 1 to 1000000");
/// A regression margin of `compare`: NaN would hold every comparison false, and pass.
pub const MARGIN: Bound = Bound("a number, 0 or more");
/// Scenarios run at once (`run --jobs`).
pub const JOBS: Bound = Bound("a whole number from 1 to 1024");
/// Operations in one fuzz case: each becomes a step or a few, and a scenario holds at most
/// 1,000 steps.
pub const OPS: Bound = Bound("a whole number from 1 to 200");
/// How long `load --metrics-addr` keeps serving after the run: 0 (not at all) up to an hour.
pub const LINGER: Bound = Bound("0 or more, at most 1h, e.g. 0s, 5s, 1m");
/// Where `load` serves its metrics: an IP address and a port.
pub const LISTEN: Bound = Bound(
    "an IP address and port, e.g. 127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464 (port 0: any free port)",
);
/// A count of things to do (iterations, cases, requests, connections): at least one.
pub const COUNT: Bound = Bound("a whole number from 1 up");

impl Bound {
    /// The flag's help text: what it does, then what it allows.
    pub fn help(self, what: &str) -> String {
        format!("{what} ({})", self.0)
    }

    fn error(self) -> String {
        format!("expected {}", self.0)
    }
}

fn duration(text: &str, bound: Bound) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| format!("{e}; {}", bound.error()))
}

/// A duration above 0, at most 30 days (`--duration`, `--time-limit`, `--late-after`).
pub fn positive_duration(text: &str) -> Result<Duration, String> {
    match duration(text, POSITIVE_DURATION)? {
        d if d.is_zero() || d > LONGEST => Err(POSITIVE_DURATION.error()),
        d => Ok(d),
    }
}

/// A duration from 0 to 30 days (`--warmup`, `--think-time`).
pub fn duration_or_zero(text: &str) -> Result<Duration, String> {
    match duration(text, DURATION_OR_ZERO)? {
        d if d > LONGEST => Err(DURATION_OR_ZERO.error()),
        d => Ok(d),
    }
}

/// A request timeout above 0, at most an hour (`--timeout`).
pub fn timeout(text: &str) -> Result<Duration, String> {
    match duration(text, TIMEOUT)? {
        d if d.is_zero() || d > LONGEST_TIMEOUT => Err(TIMEOUT.error()),
        d => Ok(d),
    }
}

/// How long metrics stay served after a load run (`--metrics-linger`): 0 to an hour, so a
/// forgotten value cannot hold a CI job for days.
pub fn linger(text: &str) -> Result<Duration, String> {
    match duration(text, LINGER)? {
        d if d > LONGEST_TIMEOUT => Err(LINGER.error()),
        d => Ok(d),
    }
}

/// An address to listen on (`--metrics-addr`): an IP and a port, no host name to resolve.
pub fn listen_addr(text: &str) -> Result<std::net::SocketAddr, String> {
    text.trim().parse().map_err(|_| LISTEN.error())
}

/// Flows per second: finite, above 0, at most a million (`--rate`; `nan` and `inf` parse as
/// floats, and neither makes a schedule).
pub fn rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 && rate <= load_spec::MAX_RATE => Ok(rate),
        _ => Err(RATE.error()),
    }
}

/// A margin of `compare`: finite, 0 or more.
pub fn margin(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(margin) if margin.is_finite() && margin >= 0.0 => Ok(margin),
        _ => Err(MARGIN.error()),
    }
}

fn whole(text: &str, bound: Bound, most: u64) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=most).contains(&n) => Ok(n),
        _ => Err(bound.error()),
    }
}

/// Virtual users: 1 to 100,000 (`--vus`).
pub fn vus(text: &str) -> Result<u32, String> {
    whole(text, VUS, load_spec::MAX_VUS as u64).map(|n| n as u32)
}

/// Flows in flight: 1 to 1,000,000 (`--max-in-flight`).
pub fn in_flight(text: &str) -> Result<u32, String> {
    whole(text, IN_FLIGHT, load_spec::MAX_IN_FLIGHT as u64).map(|n| n as u32)
}

/// A count of at least one (`--iterations`, ...).
pub fn count_u64(text: &str) -> Result<u64, String> {
    whole(text, COUNT, u64::MAX)
}

/// A count of at least one that fits 32 bits (`--cases`, `--max-requests`, ...).
pub fn count_u32(text: &str) -> Result<u32, String> {
    whole(text, COUNT, u64::from(u32::MAX)).map(|n| n as u32)
}

/// A count of at least one, as an index size (`--connections`, `--max-ops`).
pub fn count_usize(text: &str) -> Result<usize, String> {
    whole(text, COUNT, u64::from(u32::MAX)).map(|n| n as usize)
}

/// `run --jobs`: 1 to 1,024.
pub fn jobs(text: &str) -> Result<usize, String> {
    whole(text, JOBS, 1024).map(|n| n as usize)
}

/// `fuzz --max-ops`: 1 to 200.
pub fn ops(text: &str) -> Result<usize, String> {
    whole(text, OPS, 200).map(|n| n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_bounded_by_kind() {
        assert_eq!(positive_duration("30s"), Ok(Duration::from_secs(30)));
        assert!(positive_duration("0s").is_err());
        assert!(positive_duration("31days").is_err());
        assert!(positive_duration("-5s").is_err());
        assert_eq!(duration_or_zero("0s"), Ok(Duration::ZERO));
        assert!(duration_or_zero("100000000h").is_err());
        assert!(timeout("0ms").is_err());
        assert!(timeout("2h").is_err());
        assert_eq!(timeout("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(linger("0s"), Ok(Duration::ZERO));
        assert!(linger("2h").is_err());
        assert!(listen_addr("127.0.0.1:0").is_ok());
        assert!(listen_addr("[::1]:9464").is_ok());
        for bad in ["localhost:9464", "127.0.0.1", "9464", "127.0.0.1:99999", ""] {
            assert!(listen_addr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rates_are_finite_and_above_zero() {
        assert_eq!(rate("0.5"), Ok(0.5));
        for bad in ["0", "-1", "nan", "NaN", "inf", "-inf", "1e9", "fast"] {
            assert!(rate(bad).is_err(), "{bad}");
        }
        assert_eq!(margin("0"), Ok(0.0));
        assert!(margin("nan").is_err());
        assert!(margin("-0.1").is_err());
    }

    #[test]
    fn counts_start_at_one() {
        assert_eq!(vus("16"), Ok(16));
        assert!(vus("0").is_err());
        assert!(vus("100001").is_err());
        assert!(in_flight("0").is_err());
        assert!(count_u64("0").is_err());
        assert!(count_u32("-3").is_err());
        assert!(count_u32("4294967296").is_err());
        assert_eq!(count_usize("32"), Ok(32));
    }

    #[test]
    fn the_help_and_the_error_say_the_same() {
        let help = POSITIVE_DURATION.help("Measured time");
        let error = positive_duration("0s").unwrap_err();
        assert!(help.contains(POSITIVE_DURATION.0), "{help}");
        assert!(error.contains(POSITIVE_DURATION.0), "{error}");
    }
}
