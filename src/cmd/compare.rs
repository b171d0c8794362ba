//! `gatecheck compare BASELINE CURRENT`: a CI regression gate over two load summaries (exit 1
//! on a regression, 2 on unreadable input).

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Error, Exit};
use crate::load::compare::{compare, render, Margins};
use crate::load::summary::LoadSummary;

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    pub baseline: PathBuf,
    pub current: PathBuf,
    /// Latency may grow by this share (0.1 = 10%) ...
    #[arg(long, default_value_t = 0.10)]
    pub latency_relative: f64,
    /// ... and this many ms before it is a regression (both margins must be exceeded).
    #[arg(long, default_value_t = 1.0)]
    pub latency_absolute_ms: f64,
    /// Throughput may fall by this share.
    #[arg(long, default_value_t = 0.10)]
    pub throughput_relative: f64,
    /// The error rate may rise by this many percentage points.
    #[arg(long, default_value_t = 0.5)]
    pub error_rate_points: f64,
}

pub fn execute(args: &CompareArgs) -> Result<Exit, Error> {
    let baseline = read_summary(&args.baseline)?;
    let current = read_summary(&args.current)?;
    let margins = Margins {
        latency_relative: args.latency_relative,
        latency_absolute_ms: args.latency_absolute_ms,
        throughput_relative: args.throughput_relative,
        error_rate_points: args.error_rate_points,
    };
    let comparison = compare(&baseline, &current, &margins);
    super::out::print(&render(&comparison, &margins));
    Ok(Exit::passed_if(!comparison.regressed()))
}

/// A load run's summary.json.
pub fn read_summary(path: &Path) -> Result<LoadSummary, Error> {
    let text = crate::input::read(path, crate::input::Kind::Summary)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::Invalid(format!("{} is not a load summary: {e}", path.display())))
}
