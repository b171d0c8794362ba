//! The command line: one file per subcommand, the flags several share in `args`, and one error
//! type whose class is the documented exit code. `main` parses, calls `execute`, and maps the
//! result; no command prints its own fatal error.
//!
//! Exit codes: 0 passed; 1 a scenario, threshold or case failed, or a runtime failure (cannot
//! start the runtime or listen, cannot re-render reports); 2 an invalid scenario, profile,
//! argument or input file, or a report directory that cannot be made; 3 the target is
//! unreachable; 130 interrupted (the reports of what ran are still written).

pub mod args;
pub mod bench;
pub mod compare;
pub mod discover;
pub mod fuzz;
pub mod load;
pub mod merge;
pub mod out;
pub mod report;
pub mod run;
pub mod scenarios;
pub mod schema;
pub mod serve;
pub mod validate;
pub mod values;

use clap::{Parser, Subcommand};

use crate::output::text::count_s;
use crate::runner::RunError;
use crate::suite::LoadError;

#[derive(Debug, Parser)]
#[command(
    name = "gatecheck",
    version,
    about = "Conformance harness, load tester and reference gateway for the password-reset API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the reference gateway (loopback by default) until Ctrl-C or SIGTERM.
    Serve(Box<serve::ServeArgs>),
    /// Run scenarios against a gateway (the embedded reference gateway when no --target).
    Run(Box<run::RunArgs>),
    /// Check scenario files without running them.
    Validate(validate::ValidateArgs),
    /// Print the JSON Schema of the scenario format.
    Schema,
    /// The built-in suite: list its files, or export them (and the reference profile) to edit.
    Scenarios(scenarios::ScenariosArgs),
    /// Run one scenario under load, with thresholds and reports.
    Load(Box<load::LoadArgs>),
    /// Generate call sequences, judge every answer against a model of a correct gateway, and
    /// shrink a failing case to a runnable scenario (in the run's reports, under repro/).
    Fuzz(Box<fuzz::FuzzArgs>),
    /// Merge the reports of a sharded load run and judge its thresholds on the whole.
    Merge(merge::MergeArgs),
    /// Render the reports of a load run again from its summary.json.
    Report(report::ReportArgs),
    /// Compare two load summaries: a CI regression gate (exit 1 on a regression).
    Compare(compare::CompareArgs),
    /// Probe a gateway through its test support and write the profile it found.
    Discover(Box<discover::DiscoverArgs>),
    /// Measure the reference gateway: flows/s and requests/s on one core, image CPU share.
    Bench(bench::BenchArgs),
}

/// How a command that ran to its end ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Passed,
    /// A scenario, threshold or fuzz case failed, or a regression was found.
    Failed,
    /// Ctrl-C or SIGTERM; what ran was reported.
    Interrupted,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Passed => 0,
            Exit::Failed => 1,
            Exit::Interrupted => 130,
        }
    }

    pub fn passed_if(passed: bool) -> Self {
        if passed {
            Exit::Passed
        } else {
            Exit::Failed
        }
    }
}

/// Why a command could not do its job; the class decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An invalid argument, profile or input file (exit 2).
    #[error("{0}")]
    Invalid(String),
    /// Scenario files that do not load, each shown in full (exit 2).
    #[error("{} could not be loaded", count_s(.0.len(), "scenario file"))]
    Scenarios(Vec<LoadError>),
    /// A file's errors with their carets, shown as they are (a profile; exit 2).
    #[error("{0}")]
    Diagnostics(crate::yaml::diagnostic::FileErrors),
    /// The target did not answer (exit 3).
    #[error("{0}")]
    Unreachable(String),
    /// Something failed at run time: the runtime, a listener, a report directory (exit 1);
    /// its causes are shown too.
    #[error("{0}")]
    Runtime(Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    pub fn code(&self) -> u8 {
        match self {
            Error::Invalid(_) | Error::Scenarios(_) | Error::Diagnostics(_) => 2,
            Error::Unreachable(_) => 3,
            Error::Runtime(_) => 1,
        }
    }

    /// What goes to stderr: every scenario error with its carets, a profile's, or a
    /// `gatecheck:` line and its causes; whatever it is, it ends with a `gatecheck:` line.
    pub fn report(&self) -> String {
        let errors = match self {
            Error::Scenarios(errors) => errors,
            Error::Diagnostics(errors) => {
                // The block ends with its count (`p.yaml: 1 error`); the last line says why
                // the command stopped.
                return format!("{errors}\ngatecheck: {} is not valid\n", errors.path);
            }
            Error::Runtime(error) => {
                let mut out = format!("gatecheck: {error}\n");
                let mut source = error.source();
                while let Some(cause) = source {
                    out.push_str(&format!("  caused by: {cause}\n"));
                    source = cause.source();
                }
                return out;
            }
            _ => return format!("gatecheck: {self}\n"),
        };
        // A file's carets are a block of their own; a file that could not be read is a line.
        let mut out: String = errors
            .iter()
            .map(|e| match e {
                LoadError::Invalid(_) => format!("{e}\n\n"),
                _ => format!("gatecheck: {e}\n"),
            })
            .collect();
        let files = errors
            .iter()
            .filter(|e| matches!(e, LoadError::Invalid(_)))
            .count();
        if files > 0 {
            out.push_str(&format!(
                "gatecheck: {}\n",
                count_s(files, "invalid scenario file")
            ));
        }
        out
    }
}

impl From<RunError> for Error {
    fn from(error: RunError) -> Self {
        match error {
            RunError::Unreachable { .. } => Error::Unreachable(error.to_string()),
            RunError::Config(_) | RunError::Embedded(_) => Error::Invalid(error.to_string()),
        }
    }
}

/// Runs the command; how it ended, or why it could not run.
pub fn execute(cli: Cli) -> Result<Exit, Error> {
    match cli.command {
        Command::Serve(args) => serve::execute(&args),
        Command::Run(args) => run::execute(&args),
        Command::Validate(args) => validate::execute(&args),
        Command::Schema => schema::execute(),
        Command::Scenarios(args) => scenarios::execute(&args),
        Command::Load(args) => load::execute(&args),
        Command::Fuzz(args) => fuzz::execute(&args),
        Command::Merge(args) => merge::execute(&args),
        Command::Report(args) => report::execute(&args),
        Command::Compare(args) => compare::execute(&args),
        Command::Discover(args) => discover::execute(&args),
        Command::Bench(args) => bench::execute(&args),
    }
}

/// A multi-thread tokio runtime for one command.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Runtime::new()
        .map_err(|e| Error::Runtime(format!("cannot start the runtime: {e}").into()))
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called (it must be
/// called inside the runtime), not when the future is first polled: `serve` calls it before
/// its ready line, so a Ctrl-C right after that line cannot kill the process uncleanly.
pub(crate) fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send {
    #[cfg(unix)]
    let signals = (
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()),
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()),
    );
    async move {
        #[cfg(unix)]
        if let (Ok(mut interrupt), Ok(mut terminate)) = signals {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Scenario files under `paths` (none: the built-in suite), checked against `profile`. Says on
/// stderr where built-in files stood in for paths, so which files ran is never a guess.
pub(crate) fn load_scenarios(
    paths: &[std::path::PathBuf],
    profile: &crate::profile::Profile,
) -> Result<Vec<crate::scenario::Scenario>, Error> {
    let found = crate::suite::find(paths).map_err(|e| Error::Scenarios(vec![e]))?;
    for path in &found.built_in {
        eprintln!(
            "note: {} is not on disk here: the built-in copy is used (`gatecheck scenarios export DIR` writes it out)",
            crate::output::escape::console_line(&path.display().to_string())
        );
    }
    let here = std::path::Path::new("scenarios");
    if paths.is_empty() && here.is_dir() && crate::suite::differs_from_builtin(here) {
        eprintln!(
            "note: no PATH given: the built-in suite is used, and ./scenarios differs from it (name it to run those files)"
        );
    }
    crate::suite::load_files(&found.files, profile).map_err(Error::Scenarios)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn error_classes_are_the_documented_exit_codes() {
        assert_eq!(Error::Invalid("x".into()).code(), 2);
        assert_eq!(Error::Scenarios(Vec::new()).code(), 2);
        assert_eq!(Error::Unreachable("x".into()).code(), 3);
        assert_eq!(Error::Runtime("x".into()).code(), 1);
        assert_eq!(Exit::Interrupted.code(), 130);
    }

    #[test]
    fn every_error_report_ends_with_a_gatecheck_line() {
        let unreadable = Error::Scenarios(vec![LoadError::Empty("nowhere".into())]);
        let profile = crate::profile::Profile::parse("p.yaml", "tolerance: [")
            .map(|_| ())
            .expect_err("invalid profile");
        for error in [
            Error::Invalid("x".into()),
            Error::Unreachable("x".into()),
            Error::Runtime("x".into()),
            unreadable,
            Error::Diagnostics(profile),
        ] {
            let report = error.report();
            let last = report.lines().last().unwrap_or_default();
            assert!(last.starts_with("gatecheck: "), "{report}");
            assert!(!report.contains("(s)"), "{report}");
        }
    }
}
