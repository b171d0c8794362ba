//! What a running load tells live sinks besides samples (`sink::Gauges`): read from the run's
//! counters and the open model's schedule whenever a sink asks (a scrape), and once at the end;
//! and, for the timeline, as each interval closes (`at_close`).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::flows::LoadRun;
use super::pacer::Pacer;
use super::sink::{Gauges, Live, Phase};
use super::tally::IntervalGauges;

/// When the gauges are read: during the run, or at its end with the flows that never started.
#[derive(Debug, Clone, Copy)]
pub(super) enum Reading {
    Now,
    End { dropped: Option<u64> },
}

/// The live reading of the run's threads, added up. It holds them weakly (each holds the
/// sinks that hold this), and reads as ended, all zero, once they are gone: sinks keep the
/// final reading they got.
pub(super) fn live(runs: &[Arc<LoadRun>], schedule: Option<Pacer>, started: Instant) -> Live {
    let weak: Vec<Weak<LoadRun>> = runs.iter().map(Arc::downgrade).collect();
    Arc::new(move || {
        let runs: Option<Vec<Arc<LoadRun>>> = weak.iter().map(Weak::upgrade).collect();
        match runs {
            Some(runs) => gauges_of(&runs, schedule.as_ref(), started, Reading::Now),
            None => Gauges {
                phase: Phase::Ended,
                ..Gauges::default()
            },
        }
    })
}

/// The gauges of the run's threads together (`gauges` of each, added up).
pub(super) fn gauges_of(
    runs: &[Arc<LoadRun>],
    schedule: Option<&Pacer>,
    started: Instant,
    reading: Reading,
) -> Gauges {
    let mut all = runs
        .iter()
        .map(|run| gauges(run, schedule, started, reading))
        .reduce(|mut all, one| {
            all.add(&one);
            all
        })
        .unwrap_or_default();
    // The flows dropped are the run's, counted once (`engine::wind_down`).
    if let Reading::End { dropped } = reading {
        all.flows_dropped = dropped;
    }
    all
}

/// The gauges of `run` (open model with `schedule`, else closed), started at `started`.
pub(super) fn gauges(
    run: &LoadRun,
    schedule: Option<&Pacer>,
    started: Instant,
    reading: Reading,
) -> Gauges {
    let now = Instant::now();
    let flows_started = run.sinks.metrics().flows_started;
    let elapsed = now.saturating_duration_since(started);
    let warmup = run.measure_from.saturating_duration_since(started);
    let (phase, flows_dropped) = match reading {
        Reading::End { dropped } => (Phase::Ended, dropped),
        Reading::Now if now >= run.measure_from => (Phase::Measuring, None),
        Reading::Now => (Phase::Warmup, None),
    };
    let running = phase != Phase::Ended;
    let behind = |pacer: &Pacer| {
        let due_by = |at: Duration| {
            run.shard
                .owned_below(pacer.due_by(at).floor().max(0.0) as u64)
        };
        let due = due_by(elapsed).saturating_sub(due_by(warmup));
        match phase {
            Phase::Measuring => due.saturating_sub(flows_started),
            Phase::Warmup | Phase::Ended => 0,
        }
    };
    Gauges {
        flows_started,
        in_flight: run.in_flight.load(Ordering::Relaxed),
        flows_behind: schedule.map_or(0, behind),
        flows_dropped,
        target_rate: schedule.map(|pacer| match running {
            true => rate_at(pacer, elapsed) / f64::from(run.shard.count.max(1)),
            false => 0.0,
        }),
        active_vus: schedule
            .is_none()
            .then(|| run.active_vus.load(Ordering::Relaxed)),
        phase,
    }
}

/// The gauges an interval of the measured window closes with, read now over the engine's
/// threads: flows in flight and active virtual users as a scrape would see them, and for the
/// open model this process's share of the rate the schedule aimed at over the interval, `from` to `to` (the flows due
/// in it per second: a ramp's rate at the close would run half an interval ahead).
pub(super) fn at_close(
    runs: &[Arc<LoadRun>],
    schedule: Option<&Pacer>,
    started: Instant,
    span: (Instant, Instant),
) -> IntervalGauges {
    let mut all = IntervalGauges::default();
    for run in runs {
        all.add(&at_close_of(run, schedule, started, span));
    }
    all
}

/// `at_close` of one engine thread: its share of the target rate.
fn at_close_of(
    run: &LoadRun,
    schedule: Option<&Pacer>,
    started: Instant,
    (from, to): (Instant, Instant),
) -> IntervalGauges {
    let now = gauges(run, schedule, started, Reading::Now);
    let since = |at: Instant| at.saturating_duration_since(started);
    let share = f64::from(run.shard.count.max(1));
    IntervalGauges {
        target_rate: schedule.map(|pacer| rate_over(pacer, since(from), since(to)) / share),
        in_flight: Some(now.in_flight),
        active_vus: now.active_vus,
    }
}

/// The schedule's mean rate from `from` to `to`, flows/s (its rate at `to` over no time).
/// An interval that began before the schedule's end is averaged up to that end: the tick that
/// closes the last one fires a little late, and those microseconds with nothing due would read
/// as the rate falling short.
fn rate_over(pacer: &Pacer, from: Duration, to: Duration) -> f64 {
    let end = pacer.duration();
    let to = if from < end { to.min(end) } else { to };
    let seconds = to.saturating_sub(from).as_secs_f64();
    if seconds > 0.0 {
        (pacer.due_by(to) - pacer.due_by(from)) / seconds
    } else {
        rate_at(pacer, to)
    }
}

/// The schedule's rate at `elapsed`, flows/s: the slope of `due_by`, which is quadratic within
/// a stage, so a central difference is exact there (and the mean of two rates at a seam).
fn rate_at(pacer: &Pacer, elapsed: Duration) -> f64 {
    let h = Duration::from_millis(1);
    let (lo, hi) = (elapsed.saturating_sub(h), elapsed + h);
    (pacer.due_by(hi) - pacer.due_by(lo)) / (hi - lo).as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::pacer::Stage;

    #[test]
    fn the_target_rate_follows_a_ramp() {
        let pacer = Pacer::stages(
            0.0,
            vec![
                Stage {
                    duration: Duration::from_secs(10),
                    target: 100.0,
                },
                Stage {
                    duration: Duration::from_secs(10),
                    target: 100.0,
                },
            ],
        );
        let at = |s: f64| rate_at(&pacer, Duration::from_secs_f64(s));
        assert!((at(5.0) - 50.0).abs() < 1e-6, "{}", at(5.0));
        assert!((at(15.0) - 100.0).abs() < 1e-6, "{}", at(15.0));
        assert!(at(25.0).abs() < 1e-9, "past the schedule: {}", at(25.0));
        // Over a second of the ramp, the mean: the flows due in it.
        let over =
            |a: u64, b: u64| rate_over(&pacer, Duration::from_secs(a), Duration::from_secs(b));
        assert!((over(4, 5) - 45.0).abs() < 1e-9, "{}", over(4, 5));
        assert!((over(12, 13) - 100.0).abs() < 1e-9);
        // The last second's tick fired 0.4 ms late: the schedule still aimed at 100/s.
        let late = rate_over(
            &pacer,
            Duration::from_secs(19),
            Duration::from_secs_f64(20.0004),
        );
        assert!((late - 100.0).abs() < 1e-9, "{late}");
        assert!(over(21, 22).abs() < 1e-9, "past the schedule");
        assert!(
            (rate_over(&pacer, Duration::from_secs(5), Duration::from_secs(5)) - 50.0).abs() < 1e-6
        );
    }
}
