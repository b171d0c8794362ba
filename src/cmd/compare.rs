//! `gatecheck compare BASELINE CURRENT`: a CI regression gate over two load summaries (exit 1
//! on a regression, 2 on unreadable input or on unlike runs without `--allow-different`).

use std::path::{Path, PathBuf};

use clap::Args;

use super::{values, Error, Exit};
use crate::load::compare::{compare, differences, render, render_differences, Margins};
use crate::load::summary::LoadSummary;
use crate::output::escape::console_line;

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    pub baseline: PathBuf,
    pub current: PathBuf,
    #[arg(long, default_value_t = 0.10, value_parser = values::margin,
          help = values::MARGIN.help("Latency may grow by this share (0.1 = 10%) ..."))]
    pub latency_relative: f64,
    #[arg(long, default_value_t = 1.0, value_parser = values::margin,
          help = values::MARGIN.help("... and this many ms before it is a regression (both margins must be exceeded)"))]
    pub latency_absolute_ms: f64,
    #[arg(long, default_value_t = 0.10, value_parser = values::margin,
          help = values::MARGIN.help("Throughput may fall by this share"))]
    pub throughput_relative: f64,
    #[arg(long, default_value_t = 0.5, value_parser = values::margin,
          help = values::MARGIN.help("The error rate may rise by this many percentage points"))]
    pub error_rate_points: f64,
    /// Compare runs of another scenario, load model, warm-up or thresholds, or a shard with a
    /// whole run (each difference is still printed first).
    #[arg(long)]
    pub allow_different: bool,
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
    let unlike = differences(&baseline, &current);
    if !unlike.is_empty() {
        let list = render_differences(&unlike);
        if !args.allow_different {
            return Err(Error::Invalid(format!(
                "{} and {} are not runs of one kind, so their figures do not compare (--allow-different compares them anyway):\n{}",
                console_line(&args.baseline.display().to_string()),
                console_line(&args.current.display().to_string()),
                list.trim_end()
            )));
        }
        super::out::print(&format!(
            "compared although the runs differ (--allow-different):\n{list}\n"
        ));
    }
    let comparison = compare(&baseline, &current, &margins);
    super::out::print(&render(&comparison, &margins));
    Ok(Exit::passed_if(!comparison.regressed()))
}

/// A load run's summary.json.
pub fn read_summary(path: &Path) -> Result<LoadSummary, Error> {
    let text = crate::input::read(path, crate::input::Kind::Summary)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    crate::load::summary::parse(&text, &path.display().to_string()).map_err(Error::Invalid)
}
