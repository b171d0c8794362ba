//! `gatecheck fuzz`: generated call sequences judged against a model of a correct gateway; a
//! failing case is shrunk and written as a runnable scenario. Exit 0 no finding, 1 a finding.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::args::{FaultArgs, OutputArgs, TargetArgs};
use super::out::Stdout;
use super::values;
use super::{runtime, shutdown_signal, Error, Exit};
use crate::fuzz::{self, report as fuzz_report, FuzzOptions};
use crate::runner::{self, Session, Users};

#[derive(Debug, Clone, Args)]
pub struct FuzzArgs {
    #[command(flatten)]
    pub connection: TargetArgs,
    #[arg(long, default_value_t = 500, value_parser = values::count_u32,
          help = values::COUNT.help("Cases to generate (each a sequence of calls on fresh users)"))]
    pub cases: u32,
    /// Seed of the generator: the same seed gives the same cases (random when not given; the
    /// run prints it).
    #[arg(long)]
    pub seed: Option<u64>,
    #[arg(long, value_parser = values::positive_duration,
          help = values::POSITIVE_DURATION.help("Stop generating cases after this long (a shrink in progress finishes)"))]
    pub time_limit: Option<Duration>,
    #[arg(long, default_value_t = 12, value_parser = values::ops,
          help = values::OPS.help("Longest sequence of operations in one case"))]
    pub max_ops: usize,
    /// Most runs spent shrinking a failing case.
    #[arg(long, default_value_t = 1000)]
    pub max_shrink_iters: u32,
    /// After a finding, go on looking for findings of other kinds or calls (a case failing like
    /// one already made is counted, not shrunk again).
    #[arg(long)]
    pub keep_going: bool,
    /// Reports (a directory per run; repro scenarios under its repro/) and progress.
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub faults: FaultArgs,
}

pub fn execute(args: &FuzzArgs) -> Result<Exit, Error> {
    let mut session_options = args.connection.session(&args.faults)?;
    if args.connection.target.is_some() && !session_options.profile.test_support {
        return Err(Error::Invalid(
            "fuzz needs a target with the test-support endpoints (`test_support: true` in its profile): every case takes fresh users, and the model reads the CAPTCHA answer and the code; without them, use `gatecheck run` with the profile's accounts".into(),
        ));
    }
    session_options.embedded.captcha_pool = 4;
    let options = FuzzOptions {
        cases: args.cases,
        seed: args.seed.unwrap_or_else(rand::random),
        time_limit: args.time_limit,
        max_ops: args.max_ops,
        max_shrink_iters: args.max_shrink_iters,
        keep_going: args.keep_going,
    };
    // Stamped at the start; reports that cannot be written stop the run before it starts.
    let run_id = runner::run_id();
    let dir = args.output.dir.prepare(&run_id)?;
    let runtime = runtime()?;
    let session = match runtime.block_on(Session::start(&session_options, Users::Fresh)) {
        Ok(session) => session,
        Err(error) => {
            let _ = std::fs::remove_dir(&dir);
            return Err(error.into());
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        runtime.spawn(async move {
            shutdown_signal().await;
            stop.store(true, Ordering::Relaxed);
        });
    }
    eprintln!(
        "gatecheck fuzz: seed {} (replay with --seed {})",
        options.seed, options.seed
    );
    let progress = fuzz_report::Progress::start(!args.output.quiet, options.cases);
    let outcome = fuzz::fuzz(&runtime, &session, &options, Arc::clone(&stop), &progress);
    progress.finish();
    let mut out = Stdout::new();
    let repros = fuzz_report::write(&dir, &outcome).map_err(|e| args.output.dir.unwritable(&e))?;
    args.output.dir.mark_latest(&run_id);
    out.print(&format!(
        "reports: {}/ (fuzz.json, junit.xml, report.html{})\n",
        dir.display(),
        if repros.is_empty() { "" } else { ", repro/" }
    ));
    let palette = args.output.color.stdout_palette();
    out.print(&fuzz_report::console(&outcome, &repros, palette));
    if outcome.interrupted {
        return Ok(Exit::Interrupted);
    }
    Ok(Exit::passed_if(outcome.findings.is_empty()))
}
