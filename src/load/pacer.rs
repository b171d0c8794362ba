//! The pacer of the open model: when the n-th flow is due, for a constant rate or a sequence
//! of linear ramps (stages). It only answers "when"; the engine waits and starts flows, and
//! records each flow's intended start next to its actual one.

use std::time::Duration;

/// One ramp: over `duration`, the rate moves linearly to `target` flows/s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    pub duration: Duration,
    pub target: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pacer {
    /// Rate at time 0, then ramps. A constant rate is one stage from r to r.
    start_rate: f64,
    stages: Vec<Stage>,
}

impl Pacer {
    pub fn constant(rate: f64, duration: Duration) -> Self {
        Self {
            start_rate: rate.max(0.0),
            stages: vec![Stage {
                duration,
                target: rate.max(0.0),
            }],
        }
    }

    /// Ramps from `start_rate` through each stage's target.
    pub fn stages(start_rate: f64, stages: Vec<Stage>) -> Self {
        Self {
            start_rate: start_rate.max(0.0),
            stages,
        }
    }

    /// Total time the pacer covers.
    pub fn duration(&self) -> Duration {
        self.stages.iter().map(|s| s.duration).sum()
    }

    /// How many flows are due by `elapsed` (the integral of the rate).
    pub fn due_by(&self, elapsed: Duration) -> f64 {
        let mut t = elapsed.as_secs_f64();
        let mut from = self.start_rate;
        let mut count = 0.0;
        for stage in &self.stages {
            let d = stage.duration.as_secs_f64();
            let span = t.min(d);
            if d > 0.0 {
                count += from * span + (stage.target - from) * span * span / (2.0 * d);
            }
            t -= span;
            from = stage.target;
            if t <= 0.0 {
                return count;
            }
        }
        count
    }

    /// When the n-th flow (0-based) is due, from the start; None past the last stage.
    pub fn due(&self, n: u64) -> Option<Duration> {
        // Flow n is due when the integral reaches n.
        let mut wanted = n as f64;
        let mut offset = 0.0;
        let mut from = self.start_rate;
        for stage in &self.stages {
            let d = stage.duration.as_secs_f64();
            let a = from;
            let slope = if d > 0.0 { (stage.target - a) / d } else { 0.0 };
            let in_stage = a * d + slope * d * d / 2.0;
            if wanted < in_stage || (wanted == 0.0 && d > 0.0) {
                // Solve a t + slope t^2 / 2 = wanted for the smallest t >= 0.
                let t = if slope.abs() < 1e-12 {
                    if a <= 0.0 {
                        return None;
                    }
                    wanted / a
                } else {
                    let disc = (a * a + 2.0 * slope * wanted).max(0.0);
                    (-a + disc.sqrt()) / slope
                };
                return Some(Duration::from_secs_f64(offset + t.clamp(0.0, d)));
            }
            wanted -= in_stage;
            offset += d;
            from = stage.target;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_constant_rate_spaces_flows_evenly() {
        let pacer = Pacer::constant(100.0, Duration::from_secs(2));
        assert_eq!(pacer.due(0), Some(Duration::ZERO));
        assert_eq!(pacer.due(1), Some(Duration::from_millis(10)));
        assert_eq!(pacer.due(150), Some(Duration::from_millis(1500)));
        assert_eq!(pacer.due(200), None);
        assert!((pacer.due_by(Duration::from_secs(1)) - 100.0).abs() < 1e-9);
    }

    #[test]
    fn a_ramp_starts_slow_and_ends_fast() {
        // 0 -> 100 flows/s over 10 s: 500 flows in all, the first half in the last ~2.9 s.
        let pacer = Pacer::stages(
            0.0,
            vec![Stage {
                duration: Duration::from_secs(10),
                target: 100.0,
            }],
        );
        assert!((pacer.due_by(Duration::from_secs(10)) - 500.0).abs() < 1e-9);
        let half = pacer.due(250).expect("due").as_secs_f64();
        assert!((half - 50f64.sqrt()).abs() < 1e-6, "{half}");
    }

    proptest! {
        /// due() and due_by() are inverses: flow n is due exactly when n flows are due.
        #[test]
        fn due_inverts_due_by(start in 0.0f64..500.0, targets in prop::collection::vec((1u64..5000, 0.0f64..500.0), 1..4), n in 0u64..2000) {
            let stages: Vec<Stage> = targets.iter().map(|(ms, target)| Stage { duration: Duration::from_millis(*ms), target: *target }).collect();
            let pacer = Pacer::stages(start, stages);
            if let Some(at) = pacer.due(n) {
                let count = pacer.due_by(at);
                prop_assert!((count - n as f64).abs() < 1e-3 * (1.0 + n as f64), "n={} count={}", n, count);
                if n > 0 {
                    let before = pacer.due(n - 1).expect("earlier flow is due too");
                    prop_assert!(before <= at);
                }
            } else {
                prop_assert!(pacer.due_by(pacer.duration()) <= n as f64 + 1e-6);
            }
        }
    }
}
