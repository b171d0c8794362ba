//! Figures as people read them: a count with its noun in the right number (`1 step`,
//! `2 steps`), and a duration in the unit it is written in (`850 ms`, `1.2 s`; `1.2ms` where a
//! line is short of room).

use std::time::Duration;

/// `1 scenario`, `0 scenarios`, `2 scenarios`; `many` for nouns with other plurals.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `count` for nouns whose plural adds an `s`.
pub fn count_s(n: usize, noun: &str) -> String {
    count(n, noun, &format!("{noun}s"))
}

/// A duration as a scenario would write it: `850 ms` under a second, `1.2 s` up to a
/// minute, `2 min 5 s` beyond; `120 µs` under a millisecond.
pub fn duration(d: Duration) -> String {
    let micros = d.as_micros();
    if micros < 1_000 {
        format!("{micros} µs")
    } else if micros < 1_000_000 {
        format!("{} ms", d.as_millis())
    } else if d.as_secs() < 60 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{} min {} s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

/// `duration` of a count of milliseconds.
pub fn millis(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms} ms"),
        _ => duration(Duration::from_millis(ms)),
    }
}

/// A latency in a line short of room (the load progress line): `duration` without spaces and
/// with a tenth where it matters, `420µs`, `1.2ms`, `35ms`, `3.4s`, `12s`.
pub fn compact_latency(duration: Duration) -> String {
    let us = duration.as_micros();
    let ms = duration.as_secs_f64() * 1000.0;
    match () {
        _ if us < 1000 => format!("{us}µs"),
        _ if ms < 9.95 => format!("{ms:.1}ms"),
        _ if ms < 999.5 => format!("{ms:.0}ms"),
        _ if ms < 9950.0 => format!("{:.1}s", ms / 1000.0),
        _ => format!("{:.0}s", ms / 1000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count_s(1, "step"), "1 step");
        assert_eq!(count_s(0, "step"), "0 steps");
        assert_eq!(count_s(2, "scenario"), "2 scenarios");
        assert_eq!(count(3, "error", "errors"), "3 errors");
        assert_eq!(count(1, "virtual user", "virtual users"), "1 virtual user");
    }

    #[test]
    fn durations_read_as_written() {
        assert_eq!(duration(Duration::from_micros(120)), "120 µs");
        assert_eq!(duration(Duration::from_millis(850)), "850 ms");
        assert_eq!(duration(Duration::from_nanos(1_203_591_531)), "1.2 s");
        assert_eq!(duration(Duration::from_secs(125)), "2 min 5 s");
        assert_eq!(millis(0), "0 ms");
        assert_eq!(millis(1234), "1.2 s");
    }

    #[test]
    fn latencies_read_in_their_unit() {
        assert_eq!(compact_latency(Duration::from_micros(420)), "420µs");
        assert_eq!(compact_latency(Duration::from_micros(999)), "999µs");
        assert_eq!(compact_latency(Duration::from_micros(1_200)), "1.2ms");
        assert_eq!(compact_latency(Duration::from_micros(9_990)), "10ms");
        assert_eq!(compact_latency(Duration::from_millis(35)), "35ms");
        assert_eq!(compact_latency(Duration::from_micros(999_700)), "1.0s");
        assert_eq!(compact_latency(Duration::from_millis(3_400)), "3.4s");
        assert_eq!(compact_latency(Duration::from_secs(12)), "12s");
    }
}
