//! `gatecheck load SCENARIO`: one scenario under load (its `load:` section, overridden by the
//! flags), then the console summary and summary.json, report.html, summary.md, junit.xml and
//! the interval logs. Exit 0 when every threshold held, 1 when one failed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::Args;
use sha2::Digest;

use super::args::{FaultArgs, OutputArgs, TargetArgs};
use super::out::Stdout;
use super::values;
use super::{load_scenarios, runtime, shutdown_signal, Error, Exit};
use crate::load::interval_log::IntervalLogs;
use crate::load::prometheus::{PrometheusSink, RunInfo};
use crate::load::scrape::Exporter;
use crate::load::shard::{self, Shard, StartAt};
use crate::load::sink::Sink;
use crate::load::threads::MAX_THREADS;
use crate::load::{engine, report as load_report, summary};
use crate::profile::parse_accounts_file;
use crate::runner;
use crate::runner::session::LoadSource;
use crate::scenario::load_spec::{step_keys, LoadSpec, Model};
use crate::scenario::Scenario;

#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// The scenario file (its `load:` section sets the defaults of the flags below); a built-in
    /// name such as scenarios/load/reset_flow.yaml where no such file is on disk.
    pub scenario: PathBuf,
    #[command(flatten)]
    pub connection: TargetArgs,
    #[arg(long, conflicts_with = "rate", value_parser = values::vus,
          help = values::VUS.help("Closed model: this many virtual users looping the flow"))]
    pub vus: Option<u32>,
    #[arg(long, value_parser = values::duration_or_zero,
          help = values::DURATION_OR_ZERO.help("Closed model: pause between a user's flows"))]
    pub think_time: Option<Duration>,
    #[arg(long, value_parser = values::rate,
          help = values::RATE.help("Open model: flows started per second"))]
    pub rate: Option<f64>,
    #[arg(long, value_parser = values::in_flight,
          help = values::IN_FLIGHT.help("Open model: most flows in flight; past it flows start late"))]
    pub max_in_flight: Option<u32>,
    #[arg(long, value_parser = values::positive_duration,
          help = values::POSITIVE_DURATION.help("Measured time (after the warm-up)"))]
    pub duration: Option<Duration>,
    #[arg(long, value_parser = values::count_u64,
          help = values::COUNT.help("Stop after this many measured flows"))]
    pub iterations: Option<u64>,
    #[arg(long, value_parser = values::duration_or_zero,
          help = values::DURATION_OR_ZERO.help("Unmeasured time at the start"))]
    pub warmup: Option<Duration>,
    // Above 0: no flow starts at the very instant it was due, so 0 would make every one late.
    #[arg(long, value_parser = values::positive_duration, default_value = "10ms",
          help = values::POSITIVE_DURATION.help("A flow starting this much after its intended start counts as late"))]
    pub late_after: Duration,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub faults: FaultArgs,
    /// The target serves the profile's generated users (`users.generated`; the reference
    /// numbering, as `gatecheck serve --generate-users N`, if none): each flow takes a new one.
    #[arg(long, conflicts_with = "accounts")]
    pub generated_users: bool,
    /// Test accounts for a target without test support: CSV with a header
    /// `user,password[,kind,account]`, or a YAML list like the profile's `accounts:`.
    #[arg(long, value_name = "FILE")]
    pub accounts: Option<PathBuf>,
    /// With test support: create this many users per scenario user before the run (default:
    /// enough for the run's bound, see README).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub create_users: Option<u64>,
    /// Run shard I of N (I from 0): this process takes its share of the users or the arrival
    /// rate and its own slice of the user pool; `gatecheck merge` judges the thresholds.
    #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// Engine threads, each a runtime of its own with its own connections and share of the
    /// virtual users or the schedule (default: the cores this process may run on).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_THREADS)))]
    pub threads: Option<u32>,
    /// Start at this time (RFC 3339, e.g. 2026-11-27T14:00:00Z), so shards line up.
    #[arg(long, value_name = "TIME", value_parser = shard::parse_time, conflicts_with = "start_file")]
    pub start_at: Option<SystemTime>,
    /// Wait until this file exists and start at the time it holds (RFC 3339).
    #[arg(long, value_name = "PATH", conflicts_with = "start_url")]
    pub start_file: Option<PathBuf>,
    /// Poll this URL until it answers 200 and start at the time its body holds (RFC 3339).
    #[arg(long, value_name = "URL", conflicts_with = "start_at")]
    pub start_url: Option<String>,
    /// Serve live metrics at http://ADDR/metrics during the run (Prometheus and OpenMetrics
    /// text; port 0: any free port, printed on stderr). Off loopback it warns: the metrics name
    /// the scenario and its steps (no secrets).
    #[arg(long, value_name = "ADDR", value_parser = values::listen_addr)]
    pub metrics_addr: Option<SocketAddr>,
    #[arg(long, value_parser = values::linger, default_value = "5s", requires = "metrics_addr",
          help = values::LINGER.help("With --metrics-addr: keep serving the final totals this long after the reports are written, for the last scrape"))]
    pub metrics_linger: Duration,
}

/// A run's id; a shard's names its place (`...-shard2of4`).
fn run_id(shard: Shard) -> String {
    match shard.is_whole() {
        true => runner::run_id(),
        false => format!("{}-shard{}of{}", runner::run_id(), shard.index, shard.count),
    }
}

pub fn execute(args: &LoadArgs) -> Result<Exit, Error> {
    let session = args.connection.session(&args.faults)?;
    let scenario = one_scenario(args, &session.profile)?;
    let whole_spec = spec(args, &scenario);
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    let spec = shard.apply(&whole_spec);
    let scenario_sha256 = crate::suite::text(&args.scenario)
        .map(|text| hex(&sha2::Sha256::digest(text.as_bytes())))
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let run_id = run_id(shard);
    let users = users(args)?;
    let (sink, exporter) = exporter(args, &scenario, &spec, &run_id, shard)?.unzip();
    let run_dir = args.output.dir.prepare(&run_id)?;
    let options = engine::LoadOptions {
        spec: spec.clone(),
        session,
        late_after: args.late_after,
        progress: !args.output.quiet,
        users,
        create_users: args.create_users,
        shard,
        start: start(args),
        threads: args.threads.unwrap_or_else(crate::load::threads::available),
    };
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let outcome = measure(&scenario, &options, &run_dir, &run_id, sink)?;
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
        start_at: outcome.started_at.map(shard::format_time),
    };
    let facts = summary::RunFacts {
        run_id,
        scenario: &scenario.name,
        file: &scenario.path,
        target: outcome.target.clone(),
        relaxed: outcome.relaxed.clone(),
        started_at: outcome.started_at.map_or(started_at, shard::format_time),
        interrupted: outcome.interrupted,
        settings: Some(settings),
        shard: (!shard.is_whole()).then_some(shard),
        merged: None,
    };
    let mut summary = summary::summarise(
        facts,
        &spec,
        &outcome.metrics,
        outcome.measured.as_secs_f64(),
    );
    summary.secrets_revealed = options.session.reveal_secrets;
    summary.threads = Some(outcome.threads);
    let mut out = Stdout::new();
    out.print(&load_report::console_with(
        &summary,
        args.output.color.stdout_palette(),
    ));
    load_report::render_into(&run_dir, &summary).map_err(|e| args.output.dir.unwritable(&e))?;
    // Shards share a reports directory: `latest` would name one of them, and `merge` would
    // find that shard twice through it.
    if shard.is_whole() {
        args.output.dir.mark_latest(&summary.run_id);
    }
    out.print(&format!(
        "reports: {}/ (summary.json, report.html, summary.md, junit.xml, *.hlog)\n",
        run_dir.display()
    ));
    exporter.inspect(|e| linger(e, args.metrics_linger));
    Ok(match summary.interrupted {
        true => Exit::Interrupted,
        false => Exit::passed_if(summary.passed),
    })
}

/// With `--metrics-addr`: the metrics sink and its server, listening before the run starts.
fn exporter(
    args: &LoadArgs,
    scenario: &Scenario,
    spec: &LoadSpec,
    run_id: &str,
    shard: Shard,
) -> Result<Option<(PrometheusSink, Exporter)>, Error> {
    let Some(addr) = args.metrics_addr else {
        return Ok(None);
    };
    let run = RunInfo {
        scenario: scenario.name.clone(),
        model: match spec.model {
            Model::Open { .. } => "open",
            Model::Closed { .. } => "closed",
        },
        run_id: run_id.to_owned(),
        shard: format!("{}/{}", shard.index, shard.count),
    };
    let sink = PrometheusSink::new(&step_keys(&scenario.steps), &run);
    let exporter = Exporter::start(addr, sink.registry()).map_err(|e| {
        Error::Runtime(format!("cannot serve the metrics on {addr} (--metrics-addr): {e}").into())
    })?;
    if !crate::gateway::exposure::is_loopback(exporter.addr().ip()) {
        eprintln!("metrics: WARNING: served on {addr}, which other machines can reach; they name the scenario, its steps and the run (counts and latencies, no secrets)");
    }
    eprintln!("metrics: {}", exporter.url());
    Ok(Some((sink, exporter)))
}

/// Keeps the metrics served for `linger` after the run, so the last scrape sees the final
/// totals; a Ctrl-C or SIGTERM ends it early.
fn linger(exporter: &Exporter, linger: Duration) {
    if linger.is_zero() {
        return;
    }
    eprintln!(
        "metrics: serving the final totals at {} for {} more (--metrics-linger)",
        exporter.url(),
        humantime::format_duration(linger)
    );
    if let Ok(runtime) = runtime() {
        runtime.block_on(async {
            tokio::select! {
                _ = tokio::time::sleep(linger) => {}
                _ = shutdown_signal() => {}
            }
        });
    }
}

/// The run itself; when it cannot start (the target, its users), its directory is removed,
/// so `reports/` holds runs only.
fn measure(
    scenario: &Scenario,
    options: &engine::LoadOptions,
    run_dir: &std::path::Path,
    run_id: &str,
    metrics: Option<PrometheusSink>,
) -> Result<engine::LoadOutcome, Error> {
    let mut sinks: Vec<Box<dyn Sink>> = vec![Box::new(IntervalLogs::new(run_dir, run_id))];
    if let Some(metrics) = metrics {
        sinks.push(Box::new(metrics));
    }
    let outcome = runtime()
        .and_then(|rt| {
            // The signal handlers are installed inside the runtime (`shutdown_signal`).
            rt.block_on(async { engine::run(scenario, options, sinks, shutdown_signal()).await })
                .map_err(Error::from)
        })
        .inspect_err(|_| {
            let _ = std::fs::remove_dir_all(run_dir);
        })?;
    Ok(outcome)
}

/// The one scenario a load run takes; it may not move the clock.
fn one_scenario(args: &LoadArgs, profile: &crate::profile::Profile) -> Result<Scenario, Error> {
    let mut scenarios = load_scenarios(std::slice::from_ref(&args.scenario), profile)?;
    if scenarios.len() != 1 {
        return Err(Error::Invalid(format!(
            "load takes one scenario file, {} found",
            scenarios.len()
        )));
    }
    let scenario = scenarios.remove(0);
    if scenario.moves_time() {
        return Err(Error::Invalid(format!(
            "`{}` waits (moves the clock); such scenarios cannot run under load",
            scenario.name
        )));
    }
    Ok(scenario)
}

/// The scenario's `load:` section (one user looping, by default) with the flags laid over it.
fn spec(args: &LoadArgs, scenario: &Scenario) -> LoadSpec {
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
        spec.model = Model::Closed {
            vus,
            think_time: args.think_time.unwrap_or(Duration::ZERO),
        };
    } else if let Some(rate) = args.rate {
        spec.model = Model::Open {
            rate,
            stages: Vec::new(),
            max_in_flight: args.max_in_flight.unwrap_or(10_000),
        };
    } else {
        match (&mut spec.model, args.think_time, args.max_in_flight) {
            (Model::Closed { think_time, .. }, Some(new), _) => *think_time = new,
            (Model::Open { max_in_flight, .. }, _, Some(new)) => *max_in_flight = new,
            _ => {}
        }
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
    spec
}

/// Where the flows' users come from, as the flags say.
fn users(args: &LoadArgs) -> Result<LoadSource, Error> {
    if args.generated_users {
        return Ok(LoadSource::Generated);
    }
    let Some(path) = &args.accounts else {
        return Ok(LoadSource::Auto);
    };
    let shown = path.display().to_string();
    let text = crate::input::read(path, crate::input::Kind::Accounts)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let accounts = parse_accounts_file(&shown, &text).map_err(|e| Error::Invalid(e.to_string()))?;
    Ok(LoadSource::Accounts(accounts))
}

fn start(args: &LoadArgs) -> Option<StartAt> {
    match (args.start_at, &args.start_file, &args.start_url) {
        (Some(time), _, _) => Some(StartAt::Time(time)),
        (None, Some(path), _) => Some(StartAt::File(path.clone())),
        (None, None, Some(url)) => Some(StartAt::Url(url.clone())),
        (None, None, None) => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
