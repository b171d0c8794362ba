//! Axes people can read: "nice" linear ticks (1, 2, 5 times a power of ten, evenly spaced),
//! log ticks at 1-2-5 within each decade, time ticks every 1/2/5/10/15/30/60 s..., and the
//! choice between linear and log from the data (log when max/min spans more than `LOG_RATIO`).

/// Past this ratio of the largest to the smallest positive value, a linear axis flattens the
/// small ones against 0: the axis is logarithmic.
pub const LOG_RATIO: f64 = 20.0;

/// A step of 1, 2, 2.5 or 5 times a power of ten with about `target` steps up to `max`.
fn nice_step(max: f64, target: usize) -> f64 {
    let raw = max / target.max(1) as f64;
    let power = 10f64.powf(raw.log10().floor());
    let fraction = raw / power;
    let nice = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|n| fraction <= *n + 1e-9)
        .unwrap_or(10.0);
    nice * power
}

/// Ticks from 0 to a nice top at or above `max`, evenly spaced, about `target` of them.
pub fn linear_ticks(max: f64, target: usize) -> Vec<f64> {
    if max.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || !max.is_finite() {
        return vec![0.0, 1.0];
    }
    let step = nice_step(max, target);
    let steps = (max / step - 1e-9).ceil().max(1.0) as usize;
    // Multiplied, not added, so 0.1 * 3 prints as 0.3 and not 0.30000000000000004.
    (0..=steps)
        .map(|i| round_to(i as f64 * step, step))
        .collect()
}

fn round_to(value: f64, step: f64) -> f64 {
    let digits = (-step.log10().floor()).max(0.0) as i32 + 1;
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

/// Log ticks at 1, 2, 5 times each power of ten covering `[min, max]` (min > 0); the first
/// at or below `min`, the last at or above `max`. Over many decades, powers of ten only.
pub fn log_ticks(min: f64, max: f64) -> Vec<f64> {
    let min = min.max(1e-9);
    let max = max.max(min * 1.0001);
    let low = min.log10().floor() as i32;
    let high = max.log10().ceil() as i32;
    let mantissas: &[f64] = if high - low > 4 {
        &[1.0]
    } else {
        &[1.0, 2.0, 5.0]
    };
    let mut ticks = Vec::new();
    for power in low..=high {
        for m in mantissas {
            let value = m * 10f64.powi(power);
            ticks.push(value);
        }
    }
    let first = ticks
        .iter()
        .rposition(|t| *t <= min * 1.0000001)
        .unwrap_or(0);
    let last = ticks
        .iter()
        .position(|t| *t >= max / 1.0000001)
        .unwrap_or(ticks.len() - 1);
    ticks[first..=last].to_vec()
}

/// Time ticks for a window of `end` seconds: every 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900,
/// 1800 or 3600 s, the first step giving at most `target` intervals; from 0 to past `end`.
pub fn time_ticks(end: f64, target: usize) -> Vec<f64> {
    const STEPS: &[f64] = &[
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
    ];
    let end = end.max(1.0);
    let step = STEPS
        .iter()
        .copied()
        .find(|s| end / s <= target as f64)
        .unwrap_or_else(|| (end / target as f64 / 3600.0).ceil() * 3600.0);
    let steps = (end / step - 1e-9).ceil() as usize;
    (0..=steps).map(|i| i as f64 * step).collect()
}

/// A tick's label: no trailing zeros, thousands as `k` (`0.05`, `2`, `150`, `2.5k`).
pub fn label(value: f64) -> String {
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    };
    if value.abs() >= 10_000.0 {
        format!("{}k", trim(format!("{:.1}", value / 1000.0)))
    } else if value.abs() >= 1.0 || value == 0.0 {
        trim(format!("{value:.2}"))
    } else {
        trim(format!("{value:.4}"))
    }
}

/// A time label: seconds under two minutes, else `m:ss`.
pub fn time_label(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{} s", label(seconds))
    } else {
        let s = seconds.round() as u64;
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// A value axis: linear from 0, or log between two ticks, mapping a value to [0, 1].
#[derive(Debug, Clone)]
pub struct Scale {
    pub log: bool,
    pub ticks: Vec<f64>,
}

impl Scale {
    /// From the values to plot: log when the positive ones span more than `LOG_RATIO`.
    pub fn for_values(values: impl Iterator<Item = f64>, allow_log: bool) -> Self {
        let (mut min, mut max) = (f64::INFINITY, 0.0f64);
        for v in values.filter(|v| v.is_finite() && *v > 0.0) {
            min = min.min(v);
            max = max.max(v);
        }
        if allow_log && max > 0.0 && max / min > LOG_RATIO {
            Self {
                log: true,
                ticks: log_ticks(min, max),
            }
        } else {
            Self {
                log: false,
                ticks: linear_ticks(max, 5),
            }
        }
    }

    fn bounds(&self) -> (f64, f64) {
        let low = self.ticks.first().copied().unwrap_or(0.0);
        let high = self.ticks.last().copied().unwrap_or(1.0);
        (low, high)
    }

    /// Where `value` falls, 0 at the bottom tick and 1 at the top one (clamped).
    pub fn at(&self, value: f64) -> f64 {
        let (low, high) = self.bounds();
        let f = if self.log {
            let v = value.max(low);
            (v.ln() - low.ln()) / (high.ln() - low.ln()).max(1e-12)
        } else {
            (value - low) / (high - low).max(1e-12)
        };
        f.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_round_and_even() {
        assert_eq!(
            linear_ticks(209.0, 5),
            [0.0, 50.0, 100.0, 150.0, 200.0, 250.0]
        );
        assert_eq!(linear_ticks(16.09, 5), [0.0, 5.0, 10.0, 15.0, 20.0]);
        assert_eq!(linear_ticks(1.0, 5), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(linear_ticks(0.3, 3), [0.0, 0.1, 0.2, 0.3]);
        assert_eq!(
            linear_ticks(500.0, 5),
            [0.0, 100.0, 200.0, 300.0, 400.0, 500.0]
        );
        assert_eq!(linear_ticks(0.0, 5), [0.0, 1.0]);
        for max in [0.7, 3.3, 47.0, 1234.0, 98_765.0] {
            let ticks = linear_ticks(max, 5);
            let step = ticks[1] - ticks[0];
            assert!(ticks
                .windows(2)
                .all(|w| ((w[1] - w[0]) - step).abs() < step * 1e-6));
            assert!(
                *ticks.last().unwrap() >= max && ticks.len() <= 7,
                "{max}: {ticks:?}"
            );
        }
    }

    #[test]
    fn log_ticks_run_one_two_five_per_decade() {
        assert_eq!(
            log_ticks(0.3, 40.0),
            [0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
        );
        assert_eq!(
            log_ticks(1.0, 1000.0),
            [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]
        );
        // Six decades: powers of ten only.
        assert_eq!(
            log_ticks(0.05, 5000.0),
            [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0]
        );
    }

    #[test]
    fn time_ticks_are_even_steps_of_whole_seconds() {
        assert_eq!(
            time_ticks(15.3, 8),
            [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0]
        );
        assert_eq!(time_ticks(25.0, 8), [0.0, 5.0, 10.0, 15.0, 20.0, 25.0]);
        assert_eq!(
            time_ticks(600.0, 10),
            (0..=10).map(|i| i as f64 * 60.0).collect::<Vec<_>>()
        );
        assert_eq!(time_ticks(2.0, 8), [0.0, 1.0, 2.0]);
    }

    #[test]
    fn a_scale_goes_log_past_the_ratio() {
        let linear = Scale::for_values([1.0, 15.0].into_iter(), true);
        assert!(!linear.log);
        let log = Scale::for_values([0.4, 400.0].into_iter(), true);
        assert!(log.log);
        assert!((log.at(log.ticks[0]) - 0.0).abs() < 1e-9);
        assert!((log.at(*log.ticks.last().unwrap()) - 1.0).abs() < 1e-9);
        assert!(!Scale::for_values([0.4, 400.0].into_iter(), false).log);
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(label(0.05), "0.05");
        assert_eq!(label(2.0), "2");
        assert_eq!(label(150.0), "150");
        assert_eq!(label(2.5), "2.5");
        assert_eq!(label(25_000.0), "25k");
        assert_eq!(time_label(90.0), "90 s");
        assert_eq!(time_label(600.0), "10:00");
    }
}
