//! `gatecheck run`: scenarios against a target (the embedded reference gateway without
//! `--target`). The console keeps up: the header when the run starts, each scenario's line as
//! it finishes (completion order), a progress line on stderr when it is a terminal, then the
//! failures' details and the totals; then results.json, junit.xml and summary.md, and
//! `reports/latest` pointing at them.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::{ColorArgs, FaultArgs, ReportDir, TargetArgs};
use super::out::Stdout;
use super::values;
use super::{load_scenarios, runtime, shutdown_signal, Error, Exit};
use crate::coverage::{Declared, Matrix};
use crate::output::color::Palette;
use crate::report::{self, console};
use crate::runner::record::{RunRecord, Verdict};
use crate::runner::{self, RunEvent, RunOptions};
use crate::scenario::Scenario;
use crate::yaml::diagnostic::did_you_mean;

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
    #[arg(long, default_value_t = 16, value_parser = values::jobs,
          help = values::JOBS.help("Scenarios run at once"))]
    pub jobs: usize,
    #[command(flatten)]
    pub output: ReportDir,
    #[command(flatten)]
    pub color: ColorArgs,
    #[command(flatten)]
    pub faults: FaultArgs,
    /// Embedded gateway only: serve it without the test-support endpoints.
    #[arg(long)]
    pub no_test_support: bool,
}

pub fn execute(args: &RunArgs) -> Result<Exit, Error> {
    let mut options = options(args)?;
    let scenarios = load_scenarios(&args.paths, &options.session.profile)?;
    check_tags(args, &scenarios)?;
    let declared: Vec<Declared> = scenarios.iter().map(Declared::of).collect();
    // The id is stamped now, and the directory made and tried now: reports that cannot be
    // written stop the run before it starts.
    let run_id = runner::run_id();
    let dir = args.output.prepare(&run_id)?;
    options.run_id = Some(run_id.clone());
    let mut console = Console::new(args.color.stdout_palette());
    let ran = runtime()?.block_on(async {
        runner::run_observed(scenarios, &options, shutdown_signal(), |event| {
            console.show(event)
        })
        .await
    });
    let (record, completed) = match ran {
        Ok(ran) => ran,
        Err(error) => {
            // Nothing ran: leave no empty run directory behind.
            let _ = std::fs::remove_dir(&dir);
            return Err(error.into());
        }
    };
    console.finish(&record);
    write_reports(args, &record, &declared, &mut console.out)?;
    if !completed {
        eprintln!("gatecheck: interrupted; the reports hold the scenarios that finished");
        return Ok(Exit::Interrupted);
    }
    Ok(Exit::passed_if(record.passed()))
}

/// The reports, and `latest` pointing at them; reports that could not be written (a full
/// disk) are exit 2, as they would have been before the run.
fn write_reports(
    args: &RunArgs,
    record: &RunRecord,
    declared: &[Declared],
    out: &mut Stdout,
) -> Result<(), Error> {
    let matrix = Matrix::build(record, declared);
    let dir = report::write_all_with(&args.output.reports, record, &matrix)
        .map_err(|e| args.output.unwritable(&e))?;
    args.output.mark_latest(&record.run_id);
    out.print(&format!(
        "reports: {}/ (results.json, junit.xml, summary.md, report.html)\n",
        dir.display()
    ));
    Ok(())
}

/// The console as the run goes: lines on stdout as scenarios finish, the progress line on
/// stderr (drawn only on a terminal), cleared before the footer.
struct Console {
    out: Stdout,
    palette: Palette,
    progress: ProgressBar,
    width: usize,
    failed: usize,
}

impl Console {
    fn new(palette: Palette) -> Self {
        // indicatif draws nothing when stderr is not a terminal.
        let progress = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        progress.set_style(
            ProgressStyle::with_template("[{pos}/{len}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self {
            out: Stdout::new(),
            palette,
            progress,
            width: 0,
            failed: 0,
        }
    }

    fn show(&mut self, event: RunEvent<'_>) {
        match event {
            RunEvent::Started(start) => {
                self.width = console::name_width(start.selected.iter().map(String::as_str));
                self.out.print(&console::header(start));
                self.progress.set_length(start.selected.len() as u64);
                self.progress.set_message("0 failed");
            }
            RunEvent::Finished(scenario) => {
                if matches!(scenario.verdict, Verdict::Failed | Verdict::Error) {
                    self.failed += 1;
                }
                let line = console::line(scenario, self.width, self.palette);
                let out = &mut self.out;
                self.progress.suspend(|| out.print(&line));
                self.progress.inc(1);
                self.progress.set_message(format!("{} failed", self.failed));
            }
        }
    }

    fn finish(&mut self, record: &RunRecord) {
        self.progress.finish_and_clear();
        self.out.print(&console::footer(record, self.palette));
    }
}

/// A tag named in `--tags` or `--skip-tags` that no scenario has is a typo: exit 2, with the
/// nearest tag and the ones there are.
fn check_tags(args: &RunArgs, scenarios: &[Scenario]) -> Result<(), Error> {
    let known = runner::known_tags(scenarios);
    let (flag, unknown) = match args.tags.iter().find(|t| !known.contains(t)) {
        Some(tag) => ("--tags", tag),
        None => match args.skip_tags.iter().find(|t| !known.contains(t)) {
            Some(tag) => ("--skip-tags", tag),
            None => return Ok(()),
        },
    };
    let near = did_you_mean(unknown, known.iter().map(String::as_str))
        .map(|near| format!("did you mean `{near}`? "))
        .unwrap_or_default();
    Err(Error::Invalid(format!(
        "{flag}: no scenario has the tag `{unknown}`; {near}(tags there are: {})",
        known.join(", ")
    )))
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
        run_id: None,
    })
}
