//! `gatecheck report SUMMARY.json|RUN_DIR`: renders the load reports again from the record.

use std::path::PathBuf;

use clap::Args;

use super::compare::read_summary;
use super::{Error, Exit};
use crate::load::report as load_report;

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// A load run's summary.json, or its directory (`reports/latest`).
    pub summary: PathBuf,
    /// Where to write the reports (default: beside summary.json).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn execute(args: &ReportArgs) -> Result<Exit, Error> {
    let path = if args.summary.is_dir() {
        args.summary.join("summary.json")
    } else {
        args.summary.clone()
    };
    let summary = read_summary(&path)?;
    let out = args.out.clone().unwrap_or_else(|| {
        path.parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default()
    });
    std::fs::create_dir_all(&out)
        .and_then(|_| load_report::render_into(&out, &summary))
        .map_err(|e| {
            Error::Runtime(format!("cannot write reports under {}: {e}", out.display()).into())
        })?;
    super::out::print(&load_report::console(&summary));
    Ok(Exit::passed_if(summary.passed))
}
