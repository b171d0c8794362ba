//! `gatecheck run`: scenarios against a target (the embedded reference gateway without
//! `--target`), then the console report and results.json, junit.xml and summary.md.

use std::path::PathBuf;

use clap::Args;

use super::args::{FaultArgs, ReportDir, TargetArgs};
use super::{load_scenarios, runtime, shutdown_signal, Error, Exit};
use crate::report;
use crate::runner::{self, RunOptions};

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Scenario files or directories (none: the built-in suite; a built-in name such as
    /// scenarios/tokens where no such path is on disk).
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub connection: TargetArgs,
    /// Run only scenarios with one of these tags.
    #[arg(long, value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Leave out scenarios with one of these tags (e.g. slow).
    #[arg(long, value_delimiter = ',')]
    pub skip_tags: Vec<String>,
    /// Scenarios run at once.
    #[arg(long, default_value_t = 16)]
    pub jobs: usize,
    #[command(flatten)]
    pub output: ReportDir,
    #[command(flatten)]
    pub faults: FaultArgs,
    /// Embedded gateway only: serve it without the test-support endpoints.
    #[arg(long)]
    pub no_test_support: bool,
}

pub fn execute(args: &RunArgs) -> Result<Exit, Error> {
    let options = options(args)?;
    let scenarios = load_scenarios(&args.paths, &options.session.profile)?;
    let (record, completed) =
        runtime()?.block_on(async { runner::run(scenarios, &options, shutdown_signal()).await })?;
    print!("{}", report::console::render(&record));
    crate::output::files::remove_stale(&args.output.reports);
    match report::write_all(&args.output.reports, &record) {
        Ok(dir) => println!(
            "reports: {}/ (results.json, junit.xml, summary.md)",
            dir.display()
        ),
        Err(e) => eprintln!(
            "gatecheck: cannot write reports under {}: {e}",
            args.output.reports.display()
        ),
    }
    if !completed {
        eprintln!("gatecheck: interrupted; the reports hold the scenarios that finished");
        return Ok(Exit::Interrupted);
    }
    Ok(Exit::passed_if(record.passed()))
}

fn options(args: &RunArgs) -> Result<RunOptions, Error> {
    if args.connection.target.is_some() && args.no_test_support {
        return Err(Error::Invalid(
            "--no-test-support applies to the embedded gateway only, not to --target".into(),
        ));
    }
    let mut session = args.connection.session(&args.faults)?;
    session.embedded.captcha_pool = runner::RUN_CAPTCHA_POOL;
    if args.no_test_support {
        session.profile.test_support = false;
    }
    session.embedded.test_support = !args.no_test_support;
    Ok(RunOptions {
        session,
        tags: args.tags.clone(),
        skip_tags: args.skip_tags.clone(),
        jobs: args.jobs,
    })
}
