//! The `run`, `validate` and `schema` commands: glue from typed arguments to the library,
//! returning the documented exit code.
//!
//! Exit codes of `run`: 0 every scenario passed (or was skipped); 1 a scenario failed or could
//! not run; 2 invalid scenario, profile or arguments; 3 the target is unreachable; 130
//! interrupted (reports of what ran are still written).

use std::time::Duration;

use sha2::Digest;

use crate::cli::{load_profile, parse_oracles, RunArgs, ValidateArgs};
use crate::gateway::fault::Fault;
use crate::gateway::FaultSet;
use crate::load::shard::{Shard, StartAt};
use crate::report;
use crate::runner::{self, RunError, RunOptions};
use crate::suite::{self, LoadError};

pub const PASSED: u8 = 0;
pub const FAILED: u8 = 1;
pub const INVALID: u8 = 2;
pub const UNREACHABLE: u8 = 3;
pub const INTERRUPTED: u8 = 130;

/// Reports a run that could not start and gives its exit code.
fn exit_for(error: RunError) -> u8 {
    eprintln!("gatecheck: {error}");
    match error {
        RunError::Unreachable { .. } => UNREACHABLE,
        RunError::Config(_) | RunError::Embedded(_) => INVALID,
    }
}

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
    let profile = match load_profile(args.connection.profile.as_ref()) {
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
    let outcome = runtime.block_on(runner::run(scenarios, &options, shutdown_signal()));
    let (record, completed) = match outcome {
        Ok(done) => done,
        Err(e) => return exit_for(e),
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
    let ((captcha_oracle, code_oracle), faults) =
        oracles_and_faults(&args.connection.oracles, &args.faults)?;
    if args.connection.target.is_some() && (!faults.is_empty() || args.no_test_support) {
        return Err(
            "--fault and --no-test-support apply to the embedded gateway only, not to --target"
                .into(),
        );
    }
    let mut options = RunOptions::new(profile);
    if args.no_test_support {
        options.profile.test_support = false;
    }
    options.target = args.connection.target.clone();
    options.captcha_oracle = captcha_oracle;
    options.code_oracle = code_oracle;
    options.tags = args.tags.clone();
    options.skip_tags = args.skip_tags.clone();
    options.jobs = args.jobs;
    options.client = args.connection.client_options();
    options.embedded.faults = FaultSet::new(faults);
    options.embedded.test_support = !args.no_test_support;
    Ok(options)
}

/// `gatecheck load`. Exit codes: 0 every threshold held; 1 a threshold failed; 2 invalid
/// scenario, profile or arguments; 3 target unreachable; 130 interrupted (reports written).
pub fn load(args: &crate::cli::LoadArgs) -> u8 {
    use crate::load::{engine, report as load_report, summary};
    use crate::scenario::load_spec::{LoadSpec, Model};

    let profile = match load_profile(args.connection.profile.as_ref()) {
        Ok(profile) => profile,
        Err(e) => {
            eprintln!("{e}");
            return INVALID;
        }
    };
    let scenario = match suite::load(std::slice::from_ref(&args.scenario), &profile) {
        Ok(mut scenarios) if scenarios.len() == 1 => scenarios.remove(0),
        Ok(scenarios) => {
            eprintln!(
                "gatecheck: load takes one scenario file, {} found",
                scenarios.len()
            );
            return INVALID;
        }
        Err(errors) => {
            print_load_errors(&errors);
            return INVALID;
        }
    };
    if scenario.moves_time() {
        eprintln!(
            "gatecheck: `{}` waits (moves the clock); such scenarios cannot run under load",
            scenario.name
        );
        return INVALID;
    }
    let mut spec = scenario.load.clone().unwrap_or(LoadSpec {
        model: Model::Closed {
            vus: 1,
            think_time: Duration::ZERO,
        },
        duration: None,
        iterations: None,
        warmup: Duration::ZERO,
        thresholds: Vec::new(),
    });
    if let Some(vus) = args.vus {
        let think_time = args.think_time.unwrap_or(Duration::ZERO);
        spec.model = Model::Closed {
            vus: vus.max(1),
            think_time,
        };
    } else if let Some(rate) = args.rate {
        let max_in_flight = args.max_in_flight.unwrap_or(10_000);
        spec.model = Model::Open {
            rate,
            stages: Vec::new(),
            max_in_flight,
        };
    } else if let (Model::Closed { think_time, .. }, Some(new)) = (&mut spec.model, args.think_time)
    {
        *think_time = new;
    } else if let (Model::Open { max_in_flight, .. }, Some(new)) =
        (&mut spec.model, args.max_in_flight)
    {
        *max_in_flight = new;
    }
    if args.duration.is_some() || args.iterations.is_some() {
        spec.duration = args.duration;
        spec.iterations = args.iterations;
    }
    if let Some(warmup) = args.warmup {
        spec.warmup = warmup;
    }
    if spec.duration.is_none() && spec.iterations.is_none() {
        spec.duration = Some(Duration::from_secs(10));
    }
    let ((captcha_oracle, code_oracle), faults) =
        match oracles_and_faults(&args.connection.oracles, &args.faults) {
            Ok(choices) => choices,
            Err(e) => {
                eprintln!("gatecheck: {e}");
                return INVALID;
            }
        };
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    let whole_spec = spec.clone();
    let spec = shard.apply(&spec);
    let start = match (args.start_at, &args.start_file, &args.start_url) {
        (Some(time), _, _) => Some(StartAt::Time(time)),
        (None, Some(path), _) => Some(StartAt::File(path.clone())),
        (None, None, Some(url)) => Some(StartAt::Url(url.clone())),
        (None, None, None) => None,
    };
    let scenario_sha256 = match std::fs::read(&args.scenario) {
        Ok(bytes) => hex(&sha2::Sha256::digest(&bytes)),
        Err(e) => {
            eprintln!("gatecheck: cannot read {}: {e}", args.scenario.display());
            return INVALID;
        }
    };
    let run_id = match shard.is_whole() {
        true => runner::run_id(),
        false => format!("{}-shard{}of{}", runner::run_id(), shard.index, shard.count),
    };
    let run_dir = args.reports.join(&run_id);
    if let Err(e) = std::fs::create_dir_all(&run_dir) {
        eprintln!("gatecheck: cannot create {}: {e}", run_dir.display());
        return INVALID;
    }
    let options = engine::LoadOptions {
        interval_logs: Some((run_dir.clone(), run_id.clone())),
        spec: spec.clone(),
        target: args.connection.target.clone(),
        profile,
        captcha_oracle,
        code_oracle,
        client: args.connection.client_options(),
        late_after: args.late_after,
        embedded: crate::gateway::GatewayConfig {
            faults: FaultSet::new(faults),
            ..crate::gateway::GatewayConfig::default()
        },
        progress: !args.quiet,
        generated_users: args.generated_users,
        shard,
        start,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("gatecheck: cannot start the runtime: {e}");
            return FAILED;
        }
    };
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let outcome = runtime.block_on(engine::run(&scenario, &options, shutdown_signal()));
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => return exit_for(e),
    };
    let settings = summary::RunSettings {
        scenario_sha256,
        model: summary::describe_model(&whole_spec),
        warmup_s: whole_spec.warmup.as_secs_f64(),
        late_after_ms: args.late_after.as_secs_f64() * 1000.0,
        thresholds: whole_spec
            .thresholds
            .iter()
            .map(|t| t.text.clone())
            .collect(),
        start_at: outcome.started_at.map(crate::load::shard::format_time),
    };
    let facts = summary::RunFacts {
        run_id,
        scenario: &scenario.name,
        file: &scenario.path,
        target: outcome.target.clone(),
        relaxed: outcome.relaxed.clone(),
        started_at: outcome
            .started_at
            .map_or(started_at, crate::load::shard::format_time),
        interrupted: outcome.interrupted,
        settings: Some(settings),
        shard: (!shard.is_whole()).then_some(shard),
        merged: None,
    };
    let summary = summary::summarise(
        facts,
        &spec,
        &outcome.metrics,
        outcome.measured.as_secs_f64(),
    );
    print!("{}", load_report::console(&summary));
    match load_report::render_into(&run_dir, &summary) {
        Ok(()) => println!(
            "reports: {}/ (summary.json, report.html, summary.md, junit.xml, *.hlog)",
            run_dir.display()
        ),
        Err(e) => eprintln!(
            "gatecheck: cannot write reports under {}: {e}",
            run_dir.display()
        ),
    }
    if summary.interrupted {
        INTERRUPTED
    } else if summary.passed {
        PASSED
    } else {
        FAILED
    }
}

/// `gatecheck fuzz`. Exit codes: 0 no finding; 1 a finding (reports and a repro scenario
/// written); 2 invalid arguments or profile; 3 target unreachable; 130 interrupted.
pub fn fuzz(args: &crate::cli::FuzzArgs) -> u8 {
    use crate::fuzz::{self, report as fuzz_report, FuzzOptions};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let profile = match load_profile(args.connection.profile.as_ref()) {
        Ok(profile) => profile,
        Err(e) => {
            eprintln!("{e}");
            return INVALID;
        }
    };
    let ((captcha_oracle, code_oracle), faults) =
        match oracles_and_faults(&args.connection.oracles, &args.faults) {
            Ok(choices) => choices,
            Err(e) => {
                eprintln!("gatecheck: {e}");
                return INVALID;
            }
        };
    if args.connection.target.is_some() && !faults.is_empty() {
        eprintln!("gatecheck: --fault applies to the embedded gateway only, not to --target");
        return INVALID;
    }
    if args.connection.target.is_some() && !profile.test_support {
        eprintln!(
            "gatecheck: fuzz needs a target with the test-support endpoints (`test_support: true` in its profile): every case takes fresh users, and the model reads the CAPTCHA answer and the code; without them, use `gatecheck run` with the profile's accounts"
        );
        return INVALID;
    }
    let mut run = RunOptions::new(profile);
    run.target = args.connection.target.clone();
    run.captcha_oracle = captcha_oracle;
    run.code_oracle = code_oracle;
    run.client = args.connection.client_options();
    run.embedded.faults = FaultSet::new(faults);
    run.embedded.captcha_pool = 4;
    let options = FuzzOptions {
        run,
        cases: args.cases,
        seed: args.seed.unwrap_or_else(rand::random),
        time_limit: args.time_limit,
        max_ops: args.max_ops,
        max_shrink_iters: args.max_shrink_iters,
        keep_going: args.keep_going,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("gatecheck: cannot start the runtime: {e}");
            return FAILED;
        }
    };
    let embedded = match &options.run.target {
        Some(_) => None,
        None => match runtime.block_on(crate::gateway::spawn(
            options.run.embedded.clone(),
            crate::gateway::Clock::system(),
        )) {
            Ok(gateway) => Some(gateway),
            Err(e) => return exit_for(RunError::Embedded(e)),
        },
    };
    let url = embedded.as_ref().map_or_else(
        || options.run.target.clone().unwrap_or_default(),
        |g| g.base_url(),
    );
    let session = match runtime.block_on(runner::Session::connect(&url, &options.run)) {
        Ok(session) => session,
        Err(e) => return exit_for(e),
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        runtime.spawn(async move {
            shutdown_signal().await;
            stop.store(true, Ordering::Relaxed);
        });
    }
    let shown_target = match embedded {
        Some(_) => format!("{url} (embedded reference gateway)"),
        None => url.clone(),
    };
    eprintln!(
        "gatecheck fuzz: seed {} (replay with --seed {})",
        options.seed, options.seed
    );
    let progress = fuzz_report::Progress::start(!args.quiet, options.cases);
    let outcome = fuzz::fuzz(
        &runtime,
        &session,
        shown_target,
        &options,
        Arc::clone(&stop),
        &progress,
    );
    progress.finish();
    let dir = args.reports.join(runner::run_id());
    let repros = match fuzz_report::write(&dir, &outcome) {
        Ok(repros) => {
            println!(
                "reports: {}/ (fuzz.json, junit.xml{})",
                dir.display(),
                if repros.is_empty() { "" } else { ", repro/" }
            );
            repros
        }
        Err(e) => {
            eprintln!(
                "gatecheck: cannot write reports under {}: {e}",
                dir.display()
            );
            Vec::new()
        }
    };
    print!("{}", fuzz_report::console(&outcome, &repros));
    drop(embedded);
    if outcome.interrupted {
        INTERRUPTED
    } else if outcome.findings.is_empty() {
        PASSED
    } else {
        FAILED
    }
}

/// `gatecheck merge DIR...`. Exit codes: 0 the merged run passed its thresholds, 1 it failed
/// them, 2 the directories do not hold the shards of one run (or cannot be read or written).
pub fn merge(args: &crate::cli::MergeArgs) -> u8 {
    use crate::load::{merge, report as load_report};
    let merged = merge::find(&args.dirs).and_then(|runs| {
        let (count, missing) = merge::check(&runs, args.allow_partial)?;
        merge::merge(&runs, count, missing, runner::run_id())
    });
    let merged = match merged {
        Ok(merged) => merged,
        Err(e) => {
            eprintln!("gatecheck merge: {e}");
            return INVALID;
        }
    };
    let out = args.out.clone().unwrap_or_else(|| {
        std::path::PathBuf::from("reports").join(format!("{}-merged", merged.summary.run_id))
    });
    if let Err(e) = merged.write(&out) {
        eprintln!(
            "gatecheck merge: cannot write reports under {}: {e}",
            out.display()
        );
        return INVALID;
    }
    print!("{}", load_report::console(&merged.summary));
    println!(
        "reports: {}/ (summary.json, report.html, summary.md, junit.xml, *.hlog)",
        out.display()
    );
    if merged.summary.passed {
        PASSED
    } else {
        FAILED
    }
}

/// `gatecheck report SUMMARY.json`: renders the load reports again from the record.
pub fn report(args: &crate::cli::ReportArgs) -> u8 {
    let text = match std::fs::read_to_string(&args.summary) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("gatecheck: cannot read {}: {e}", args.summary.display());
            return INVALID;
        }
    };
    let summary: crate::load::summary::LoadSummary = match serde_json::from_str(&text) {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!(
                "gatecheck: {} is not a load summary: {e}",
                args.summary.display()
            );
            return INVALID;
        }
    };
    let out = args.out.clone().unwrap_or_else(|| {
        args.summary
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default()
    });
    if let Err(e) =
        std::fs::create_dir_all(&out).and_then(|_| crate::load::report::render_into(&out, &summary))
    {
        eprintln!(
            "gatecheck: cannot write reports under {}: {e}",
            out.display()
        );
        return FAILED;
    }
    print!("{}", crate::load::report::console(&summary));
    if summary.passed {
        PASSED
    } else {
        FAILED
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// `gatecheck compare`. Exit codes: 0 no regression, 1 a regression, 2 unreadable input.
pub fn compare(args: &crate::cli::CompareArgs) -> u8 {
    use crate::load::compare::{compare, render, Margins};
    let read = |path: &std::path::Path| -> Result<crate::load::summary::LoadSummary, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a load summary: {e}", path.display()))
    };
    let (baseline, current) = match (read(&args.baseline), read(&args.current)) {
        (Ok(b), Ok(c)) => (b, c),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("gatecheck: {e}");
            return INVALID;
        }
    };
    let margins = Margins {
        latency_relative: args.latency_relative,
        latency_absolute_ms: args.latency_absolute_ms,
        throughput_relative: args.throughput_relative,
        error_rate_points: args.error_rate_points,
    };
    let comparison = compare(&baseline, &current, &margins);
    print!("{}", render(&comparison, &margins));
    if comparison.regressed() {
        FAILED
    } else {
        PASSED
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

type OracleChoices = (
    Option<crate::profile::CaptchaOracle>,
    Option<crate::profile::CodeOracle>,
);

/// `--oracle CHOICE`s, and `--fault NAME`s as fault switches of the embedded gateway.
fn oracles_and_faults(
    oracles: &[String],
    faults: &[String],
) -> Result<(OracleChoices, Vec<Fault>), String> {
    let choices = parse_oracles(oracles)?;
    let faults = faults
        .iter()
        .map(|name| name.parse::<Fault>().map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    Ok((choices, faults))
}
