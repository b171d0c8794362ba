//! The `run`, `validate` and `schema` commands: glue from typed arguments to the library,
//! returning the documented exit code.
//!
//! Exit codes of `run`: 0 every scenario passed (or was skipped); 1 a scenario failed or could
//! not run; 2 invalid scenario, profile or arguments; 3 the target is unreachable; 130
//! interrupted (reports of what ran are still written).

use crate::cli::{load_profile, parse_oracles, RunArgs, ValidateArgs};
use crate::gateway::fault::Fault;
use crate::gateway::FaultSet;
use crate::report;
use crate::runner::{self, RunError, RunOptions};
use crate::suite::{self, LoadError};

pub const PASSED: u8 = 0;
pub const FAILED: u8 = 1;
pub const INVALID: u8 = 2;
pub const UNREACHABLE: u8 = 3;
pub const INTERRUPTED: u8 = 130;

fn print_load_errors(errors: &[LoadError]) {
    for error in errors {
        eprintln!("{error}\n");
    }
    let files = errors
        .iter()
        .filter(|e| matches!(e, LoadError::Invalid(_)))
        .count();
    if files > 0 {
        eprintln!("gatecheck: {files} invalid scenario file(s)");
    }
}

pub fn validate(args: &ValidateArgs) -> u8 {
    let profile = match load_profile(args.profile.as_ref()) {
        Ok(profile) => profile,
        Err(e) => {
            eprintln!("{e}");
            return INVALID;
        }
    };
    match suite::load(&args.paths, &profile) {
        Ok(scenarios) => {
            println!("{} scenario(s) valid", scenarios.len());
            PASSED
        }
        Err(errors) => {
            print_load_errors(&errors);
            INVALID
        }
    }
}

pub fn schema() -> u8 {
    print!("{}", crate::scenario::schema::scenario_schema_text());
    PASSED
}

pub fn run(args: &RunArgs) -> u8 {
    let profile = match load_profile(args.profile.as_ref()) {
        Ok(profile) => profile,
        Err(e) => {
            eprintln!("{e}");
            return INVALID;
        }
    };
    let scenarios = match suite::load(&args.paths, &profile) {
        Ok(scenarios) => scenarios,
        Err(errors) => {
            print_load_errors(&errors);
            return INVALID;
        }
    };
    let options = match options(args, profile) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("gatecheck: {e}");
            return INVALID;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("gatecheck: cannot start the runtime: {e}");
            return FAILED;
        }
    };
    let outcome = runtime.block_on(runner::run(scenarios, &options, async {
        let _ = tokio::signal::ctrl_c().await;
    }));
    let (record, completed) = match outcome {
        Ok(done) => done,
        Err(RunError::Unreachable { url, reason }) => {
            eprintln!("gatecheck: target {url} is unreachable: {reason}");
            return UNREACHABLE;
        }
        Err(e) => {
            eprintln!("gatecheck: {e}");
            return INVALID;
        }
    };
    print!("{}", report::console::render(&record));
    match report::write_all(&args.reports, &record) {
        Ok(dir) => println!(
            "reports: {}/ (results.json, junit.xml, summary.md)",
            dir.display()
        ),
        Err(e) => eprintln!(
            "gatecheck: cannot write reports under {}: {e}",
            args.reports.display()
        ),
    }
    if !completed {
        eprintln!("gatecheck: interrupted; the reports hold the scenarios that finished");
        INTERRUPTED
    } else if record.passed() {
        PASSED
    } else {
        FAILED
    }
}

fn options(args: &RunArgs, profile: crate::profile::Profile) -> Result<RunOptions, String> {
    let (captcha_oracle, code_oracle) = parse_oracles(&args.oracles)?;
    let faults = args
        .faults
        .iter()
        .map(|f| f.parse::<Fault>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if args.target.is_some() && (!faults.is_empty() || args.no_test_support) {
        return Err(
            "--fault and --no-test-support apply to the embedded gateway only, not to --target"
                .into(),
        );
    }
    let mut options = RunOptions::new(profile);
    if args.no_test_support {
        options.profile.test_support = false;
    }
    options.target = args.target.clone();
    options.captcha_oracle = captcha_oracle;
    options.code_oracle = code_oracle;
    options.tags = args.tags.clone();
    options.skip_tags = args.skip_tags.clone();
    options.jobs = args.jobs;
    options.timeout = args.timeout;
    options.embedded.faults = FaultSet::new(faults);
    options.embedded.test_support = !args.no_test_support;
    Ok(options)
}
