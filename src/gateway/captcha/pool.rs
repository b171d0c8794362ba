//! A pool of ready CAPTCHAs. Call 1 takes one at random (an `Arc` clone, no drawing); after a
//! slot has been served `reuse` times a background thread draws a replacement. The renderer
//! keeps to a CPU budget (a share of one core): under heavy load images are served more often
//! than `reuse` instead of drawing taking over the gateway's CPU. Render CPU is measured here
//! so benchmarks can report its share.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rand::Rng;

use super::render::{render_style, Captcha, RenderError};
use super::style::Style;
use crate::cputime::thread_cpu_ns;

/// Renders done and the CPU time they took (thread CPU time, not wall time).
#[derive(Debug, Default)]
pub struct RenderStats {
    renders: AtomicU64,
    cpu_ns: AtomicU64,
}

impl RenderStats {
    pub fn renders(&self) -> u64 {
        self.renders.load(Ordering::Relaxed)
    }

    pub fn cpu_time(&self) -> Duration {
        Duration::from_nanos(self.cpu_ns.load(Ordering::Relaxed))
    }

    fn timed_render(&self, style: &Style) -> Result<Captcha, RenderError> {
        let start = thread_cpu_ns();
        let captcha = render_style(&mut rand::rng(), style);
        self.cpu_ns
            .fetch_add(thread_cpu_ns().saturating_sub(start), Ordering::Relaxed);
        self.renders.fetch_add(1, Ordering::Relaxed);
        captcha
    }
}

pub struct CaptchaPool {
    slots: Arc<Vec<Slot>>,
    reuse: u32,
    refresh: SyncSender<usize>,
    stats: Arc<RenderStats>,
}

struct Slot {
    captcha: Mutex<Arc<Captcha>>,
    served: AtomicU32,
}

impl std::fmt::Debug for CaptchaPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptchaPool")
            .field("size", &self.slots.len())
            .field("reuse", &self.reuse)
            .finish()
    }
}

impl CaptchaPool {
    /// Draws `size` CAPTCHAs now and starts the thread that replaces worn ones, using at most
    /// `budget` (0-1] of one core, every one in `style`.
    pub fn new(size: usize, reuse: u32, budget: f64, style: Style) -> Result<Self, RenderError> {
        let stats = Arc::new(RenderStats::default());
        let slots = (0..size.max(1))
            .map(|_| {
                Ok(Slot {
                    captcha: Mutex::new(Arc::new(stats.timed_render(&style)?)),
                    served: AtomicU32::new(0),
                })
            })
            .collect::<Result<Vec<_>, RenderError>>()?;
        let slots = Arc::new(slots);
        let (refresh, requests) = sync_channel(slots.len());
        let worker_slots = Arc::clone(&slots);
        let worker_stats = Arc::clone(&stats);
        std::thread::Builder::new()
            .name("captcha-render".into())
            .spawn(move || render_worker(&worker_slots, &worker_stats, requests, budget, &style))
            .map_err(|e| RenderError::from(png::EncodingError::IoError(e)))?;
        Ok(Self {
            slots,
            reuse: reuse.max(1),
            refresh,
            stats,
        })
    }

    /// A CAPTCHA to serve. Never blocks on drawing: if the renderer lags, a slot is served a few
    /// more times than `reuse`.
    pub fn take(&self) -> Arc<Captcha> {
        let index = rand::rng().random_range(0..self.slots.len());
        let slot = &self.slots[index];
        let captcha = Arc::clone(&slot.captcha.lock());
        if slot.served.fetch_add(1, Ordering::Relaxed) + 1 >= self.reuse {
            slot.served.store(0, Ordering::Relaxed);
            let _ = self.refresh.try_send(index);
        }
        captcha
    }

    pub fn stats(&self) -> &RenderStats {
        &self.stats
    }
}

fn render_worker(
    slots: &[Slot],
    stats: &RenderStats,
    requests: Receiver<usize>,
    budget: f64,
    style: &Style,
) {
    let budget = budget.clamp(0.001, 1.0);
    // Ends when the pool (the only sender) is dropped.
    while let Ok(index) = requests.recv() {
        let before = stats.cpu_time();
        if let Ok(captcha) = stats.timed_render(style) {
            *slots[index].captcha.lock() = Arc::new(captcha);
        }
        // Idle long enough that drawing stays within the budget.
        let spent = stats.cpu_time().saturating_sub(before);
        std::thread::sleep(spent.mul_f64((1.0 - budget) / budget));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worn_slots_are_redrawn_in_the_background() {
        let pool = CaptchaPool::new(2, 1, 1.0, Style::default()).expect("pool");
        assert_eq!(pool.stats().renders(), 2);
        for _ in 0..10 {
            pool.take();
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while pool.stats().renders() < 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(pool.stats().renders() >= 3);
        assert!(pool.stats().cpu_time() > Duration::ZERO);
    }
}
