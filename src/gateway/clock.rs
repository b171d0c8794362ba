//! The gateway's clock: wall time plus an offset that the test-support endpoint can advance, so
//! expiry can be tested without waiting. Manual clocks make unit tests deterministic.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch on the gateway's (possibly advanced) clock.
pub type Millis = u64;

#[derive(Debug)]
pub struct Clock {
    source: Source,
    advanced_ms: AtomicU64,
}

#[derive(Debug)]
enum Source {
    System,
    Manual(AtomicU64),
}

impl Clock {
    /// The real wall clock.
    pub fn system() -> Self {
        Self {
            source: Source::System,
            advanced_ms: AtomicU64::new(0),
        }
    }

    /// A clock that only moves when told to (`advance`, `set`).
    pub fn manual(start_ms: Millis) -> Self {
        Self {
            source: Source::Manual(AtomicU64::new(start_ms)),
            advanced_ms: AtomicU64::new(0),
        }
    }

    pub fn now_ms(&self) -> Millis {
        let base = match &self.source {
            Source::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
            Source::Manual(ms) => ms.load(Ordering::Acquire),
        };
        base.saturating_add(self.advanced_ms.load(Ordering::Acquire))
    }

    pub fn now_secs(&self) -> u64 {
        self.now_ms() / 1000
    }

    /// Moves the clock forward; it never goes back, so stored deadlines stay ordered.
    pub fn advance_ms(&self, ms: u64) {
        let _ = self
            .advanced_ms
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
                Some(v.saturating_add(ms))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = Clock::manual(1_000);
        assert_eq!(clock.now_ms(), 1_000);
        clock.advance_ms(60_000);
        assert_eq!(clock.now_ms(), 61_000);
        assert_eq!(clock.now_secs(), 61);
    }

    #[test]
    fn advancing_saturates_instead_of_wrapping() {
        let clock = Clock::manual(u64::MAX - 5);
        clock.advance_ms(10);
        assert_eq!(clock.now_ms(), u64::MAX);
    }
}
