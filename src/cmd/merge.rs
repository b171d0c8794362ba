//! `gatecheck merge DIR...`: the shards of one load run merged into one record (exact HDR
//! addition) and its thresholds judged on the whole. Exit 2 when the directories do not hold
//! the shards of one run, or cannot be read or written.

use std::path::PathBuf;

use clap::Args;

use super::{Error, Exit};
use crate::load::{merge, report as load_report};
use crate::runner;

#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Shard report directories, or directories holding them (searched three levels deep).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where the merged reports go (default: reports/<new run id>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Merge what is there when shards are missing, and say the record is partial.
    #[arg(long)]
    pub allow_partial: bool,
}

pub fn execute(args: &MergeArgs) -> Result<Exit, Error> {
    let merged = merge::find(&args.dirs)
        .and_then(|runs| {
            let (count, missing) = merge::check(&runs, args.allow_partial)?;
            merge::merge(&runs, count, missing, runner::run_id())
        })
        .map_err(|e| Error::Invalid(format!("merge: {e}")))?;
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("reports").join(format!("{}-merged", merged.summary.run_id))
    });
    merged.write(&out).map_err(|e| {
        Error::Invalid(format!(
            "merge: cannot write reports under {}: {e}",
            out.display()
        ))
    })?;
    let mut stdout = super::out::Stdout::new();
    stdout.print(&load_report::console(&merged.summary));
    stdout.print(&format!(
        "reports: {}/ (summary.json, report.html, summary.md, junit.xml, *.hlog)\n",
        out.display()
    ));
    Ok(Exit::passed_if(merged.summary.passed))
}
