//! The command line, parsed at the edge into typed configuration (durations as `Duration`,
//! addresses as `SocketAddr`, faults as `Fault`) so the core never sees flag strings.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::gateway::fault::{Fault, CATALOGUE};
use crate::gateway::password::PasswordPolicy;
use crate::gateway::users::UserSpec;
use crate::gateway::{FaultSet, GatewayConfig};
use crate::profile::{CaptchaOracle, CodeOracle};

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
    Serve(Box<ServeArgs>),
    /// Run scenarios against a gateway (the embedded reference gateway when no --target).
    Run(Box<RunArgs>),
    /// Check scenario files without running them.
    Validate(ValidateArgs),
    /// Print the JSON Schema of the scenario format.
    Schema,
    /// Run one scenario under load, with thresholds and reports.
    Load(Box<LoadArgs>),
    /// Generate call sequences, judge every answer against a model of a correct gateway, and
    /// shrink a failing case to a runnable scenario.
    Fuzz(FuzzArgs),
    /// Merge the reports of a sharded load run and judge its thresholds on the whole.
    Merge(MergeArgs),
    /// Render the reports of a load run again from its summary.json.
    Report(ReportArgs),
    /// Compare two load summaries: a CI regression gate (exit 1 on a regression).
    Compare(CompareArgs),
    /// Measure the reference gateway: flows/s and requests/s on one core, image CPU share.
    Bench(crate::bench::BenchArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios")]
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
    /// Where reports go (a directory per run).
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
    /// Embedded gateway only: make it wrong in one named way (repeatable), to see the suite catch it.
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Embedded gateway only: serve it without the test-support endpoints.
    #[arg(long)]
    pub no_test_support: bool,
}

/// Which gateway to talk to and how: shared by `run` and `load`.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Base URL of the gateway under test; without it the embedded reference gateway is started
    /// on a free loopback port.
    #[arg(long)]
    pub target: Option<String>,
    /// Profile of the gateway under test (YAML); the reference profile by default.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Oracle choices, e.g. `solve`, `captcha=solve`, `code=fixed:123456` (repeatable).
    #[arg(long = "oracle", value_name = "CHOICE")]
    pub oracles: Vec<String>,
    /// Timeout of one request (a timeout is a failure kind).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10s")]
    pub timeout: Duration,
    /// Speak HTTP/2: from the first byte on http:// (h2c, prior knowledge), by ALPN on https://.
    #[arg(long)]
    pub http2: bool,
    /// With --http2: connections to open, requests taking them in turn (a server caps the
    /// streams one connection carries at once, often at 100; raise this for more in flight).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub http2_connections: u16,
    /// Accept any TLS certificate from an https:// target (self-signed staging certificates).
    #[arg(long)]
    pub insecure: bool,
    /// Also trust the certificate authorities in this PEM file (repeatable).
    #[arg(long = "ca-cert", value_name = "PEM")]
    pub ca_certs: Vec<PathBuf>,
}

impl TargetArgs {
    pub fn client_options(&self) -> crate::transport::ClientOptions {
        crate::transport::ClientOptions {
            timeout: self.timeout,
            http2: self.http2,
            http2_connections: usize::from(self.http2_connections),
            tls: crate::transport::TlsOptions {
                insecure: self.insecure,
                ca_certs: self.ca_certs.clone(),
            },
            ..crate::transport::ClientOptions::default()
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// The scenario file (its `load:` section sets the defaults of the flags below).
    pub scenario: PathBuf,
    #[command(flatten)]
    pub connection: TargetArgs,
    /// Closed model: this many virtual users looping the flow.
    #[arg(long, conflicts_with = "rate")]
    pub vus: Option<u32>,
    /// Closed model: pause between a user's flows.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub think_time: Option<Duration>,
    /// Open model: flows started per second.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Open model: most flows in flight; past it flows start late.
    #[arg(long)]
    pub max_in_flight: Option<u32>,
    /// Measured time (after the warm-up).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// Stop after this many measured flows.
    #[arg(long)]
    pub iterations: Option<u64>,
    /// Unmeasured time at the start.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub warmup: Option<Duration>,
    /// A flow starting this much after its intended start counts as late.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10ms")]
    pub late_after: Duration,
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
    /// No live progress line.
    #[arg(long)]
    pub quiet: bool,
    /// Embedded gateway only: a fault switch (repeatable).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// The target is `gatecheck serve --generate-users N`: each flow takes one of its users.
    #[arg(long)]
    pub generated_users: bool,
    /// Run shard I of N (I from 0): this process takes its share of the users or the arrival
    /// rate and its own slice of the user pool; `gatecheck merge` judges the thresholds.
    #[arg(long, value_name = "I/N", value_parser = crate::load::shard::Shard::parse)]
    pub shard: Option<crate::load::shard::Shard>,
    /// Start at this time (RFC 3339, e.g. 2026-11-27T14:00:00Z), so shards line up.
    #[arg(long, value_name = "TIME", value_parser = crate::load::shard::parse_time, conflicts_with = "start_file")]
    pub start_at: Option<std::time::SystemTime>,
    /// Wait until this file exists and start at the time it holds (RFC 3339).
    #[arg(long, value_name = "PATH", conflicts_with = "start_url")]
    pub start_file: Option<PathBuf>,
    /// Poll this URL until it answers 200 and start at the time its body holds (RFC 3339).
    #[arg(long, value_name = "URL", conflicts_with = "start_at")]
    pub start_url: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    pub baseline: PathBuf,
    pub current: PathBuf,
    /// Latency may grow by this share (0.1 = 10%) ...
    #[arg(long, default_value_t = 0.10)]
    pub latency_relative: f64,
    /// ... and this many ms before it is a regression (both margins must be exceeded).
    #[arg(long, default_value_t = 1.0)]
    pub latency_absolute_ms: f64,
    /// Throughput may fall by this share.
    #[arg(long, default_value_t = 0.10)]
    pub throughput_relative: f64,
    /// The error rate may rise by this many percentage points.
    #[arg(long, default_value_t = 0.5)]
    pub error_rate_points: f64,
}

#[derive(Debug, Clone, Args)]
pub struct FuzzArgs {
    #[command(flatten)]
    pub connection: TargetArgs,
    /// Cases to generate (each a sequence of calls on fresh users).
    #[arg(long, default_value_t = 500)]
    pub cases: u32,
    /// Seed of the generator: the same seed gives the same cases (random when not given; the
    /// run prints it).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop generating cases after this long (a shrink in progress finishes).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub time_limit: Option<Duration>,
    /// Longest sequence of operations in one case.
    #[arg(long, default_value_t = 12)]
    pub max_ops: usize,
    /// Most runs spent shrinking a failing case.
    #[arg(long, default_value_t = 1000)]
    pub max_shrink_iters: u32,
    /// After a finding, go on looking for findings of other kinds or calls (a case failing like
    /// one already made is counted, not shrunk again).
    #[arg(long)]
    pub keep_going: bool,
    /// Where reports go (a directory per run; repro scenarios under its repro/).
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
    /// No progress line.
    #[arg(long)]
    pub quiet: bool,
    /// Embedded gateway only: make it wrong in one named way (repeatable).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
}

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

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// A load run's summary.json.
    pub summary: PathBuf,
    /// Where to write the reports (default: beside summary.json).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Check `profile.*` names against this profile instead of the reference one.
    #[arg(long)]
    pub profile: Option<PathBuf>,
}

/// Reads `--profile`, or the built-in reference profile.
pub fn load_profile(path: Option<&PathBuf>) -> Result<crate::profile::Profile, String> {
    match path {
        None => Ok(crate::profile::Profile::reference()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read profile {}: {e}", path.display()))?;
            crate::profile::Profile::parse(&path.display().to_string(), &text)
                .map_err(|e| e.to_string())
        }
    }
}

/// `--oracle` values: `solve` / `test-api` (both oracles where it applies), `captcha=NAME`,
/// `code=NAME`, `code=fixed:CODE`.
pub fn parse_oracles(
    choices: &[String],
) -> Result<(Option<CaptchaOracle>, Option<CodeOracle>), String> {
    let (mut captcha, mut code) = (None, None);
    for choice in choices {
        let (which, name) = choice.split_once('=').unwrap_or(("", choice));
        let captcha_choice = match name {
            "auto" => Some(CaptchaOracle::Auto),
            "test-api" => Some(CaptchaOracle::TestApi),
            "solve" => Some(CaptchaOracle::Solve),
            _ => None,
        };
        let code_choice = match name.split_once(':') {
            Some(("fixed", value)) => Some(CodeOracle::Fixed(value.to_owned())),
            _ => match name {
                "auto" => Some(CodeOracle::Auto),
                "test-api" => Some(CodeOracle::TestApi),
                _ => None,
            },
        };
        match which {
            "captcha" => captcha = Some(captcha_choice.ok_or_else(|| format!("unknown CAPTCHA oracle `{name}` (auto, test-api, solve)"))?),
            "code" => code = Some(code_choice.ok_or_else(|| format!("unknown code oracle `{name}` (auto, test-api, fixed:CODE; sink and command are set in the profile)"))?),
            "" => {
                if captcha_choice.is_none() && code_choice.is_none() {
                    return Err(format!("unknown oracle `{name}`"));
                }
                captcha = captcha_choice.or(captcha);
                code = code_choice.or(code);
            }
            other => return Err(format!("unknown oracle kind `{other}` (captcha, code)")),
        }
    }
    Ok((captcha, code))
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Make the gateway wrong in one named way (repeatable); `--fault list` lists them.
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// JSON file with an array of users: {"user", "password", "phone"?, "email"?, "account"?}.
    #[arg(long)]
    pub users: Option<PathBuf>,
    /// Also serve N generated users: +86139 followed by an 8-digit index, account load<index>.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub generate_users: u64,
    /// Do not serve the /test/v1 endpoints (captcha answers, outbox, clock, users).
    #[arg(long)]
    pub no_test_support: bool,
    #[command(flatten)]
    pub choices: GatewayChoices,
}

/// The choices of reference-gateway.md, one flag each.
#[derive(Debug, Clone, Args)]
pub struct GatewayChoices {
    /// Lifetime of T1 (the CAPTCHA token).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "60s")]
    pub t1_lifetime: Duration,
    /// Lifetime of T2 (the token of a solved CAPTCHA).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "60s")]
    pub t2_lifetime: Duration,
    /// Lifetime of a verification code.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "180s")]
    pub code_lifetime: Duration,
    /// Lifetime of T3 (the reset token).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "180s")]
    pub t3_lifetime: Duration,
    /// Largest accepted distance between pointX and the answer, in px.
    #[arg(long, default_value_t = 4)]
    pub captcha_tolerance: u32,
    /// Shortest plausible slideTime, ms.
    #[arg(long, default_value_t = 100)]
    pub slide_time_min: i32,
    /// Longest plausible slideTime, ms.
    #[arg(long, default_value_t = 60_000)]
    pub slide_time_max: i32,
    /// Wrong code checks before the pending code is burnt.
    #[arg(long, default_value_t = 5)]
    pub code_attempts: u32,
    /// Digits in a verification code (1-32, the API's code length limit).
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub code_digits: u16,
    /// Send this code every time instead of a random one (lets a harness without the
    /// test-support endpoints use a fixed-code oracle; never for production).
    #[arg(long, value_name = "CODE")]
    pub fixed_code: Option<String>,
    /// Minimum time between two codes sent to one user.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "60s")]
    pub resend_interval: Duration,
    /// Most CAPTCHAs (T1) kept; the oldest is evicted first.
    #[arg(long, default_value_t = 100_000)]
    pub max_captchas: usize,
    /// Most T2 and most T3 kept (each); the oldest is evicted first.
    #[arg(long, default_value_t = 100_000)]
    pub max_tokens: usize,
    /// Most pending codes, resend timers and outbox messages kept (each).
    #[arg(long, default_value_t = 100_000)]
    pub max_codes: usize,
    /// CAPTCHA images kept ready.
    #[arg(long, default_value_t = 64)]
    pub captcha_pool: usize,
    /// Times an image is served before it is redrawn in the background.
    #[arg(long, default_value_t = 16)]
    pub captcha_reuse: u32,
    /// Most CPU the background image renderer may use, as a share of one core.
    #[arg(long, default_value_t = 0.05, value_parser = parse_share)]
    pub captcha_render_budget: f64,
    /// Shortest accepted new password, in characters.
    #[arg(long, default_value_t = 8)]
    pub password_min_length: usize,
    /// Longest accepted new password, in characters.
    #[arg(long, default_value_t = 32)]
    pub password_max_length: usize,
    /// Character classes (lower, upper, digit, other) a new password needs.
    #[arg(long, default_value_t = 2)]
    pub password_min_classes: usize,
    /// Longest allowed run of one character in a new password.
    #[arg(long, default_value_t = 2)]
    pub password_max_run: usize,
    /// Accept new passwords that contain the account name or its reverse.
    #[arg(long)]
    pub password_allow_user_name: bool,
}

impl Default for GatewayChoices {
    fn default() -> Self {
        // The defaults live in one place: the clap attributes above.
        GatewayChoices::from_arg_matches_default()
    }
}

impl GatewayChoices {
    fn from_arg_matches_default() -> Self {
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            choices: GatewayChoices,
        }
        Wrapper::parse_from(["gatecheck"]).choices
    }

    pub fn apply(&self, config: &mut GatewayConfig) {
        config.t1_lifetime = self.t1_lifetime;
        config.t2_lifetime = self.t2_lifetime;
        config.code_lifetime = self.code_lifetime;
        config.t3_lifetime = self.t3_lifetime;
        config.captcha_tolerance = self.captcha_tolerance;
        config.slide_time_min_ms = self.slide_time_min;
        config.slide_time_max_ms = self.slide_time_max;
        config.code_attempts = self.code_attempts;
        config.code_digits = usize::from(self.code_digits);
        config.fixed_code = self.fixed_code.clone();
        config.resend_interval = self.resend_interval;
        config.max_captchas = self.max_captchas;
        config.max_tokens = self.max_tokens;
        config.max_codes = self.max_codes;
        config.captcha_pool = self.captcha_pool;
        config.captcha_reuse = self.captcha_reuse;
        config.captcha_render_budget = self.captcha_render_budget;
        config.password_policy = PasswordPolicy {
            min_len: self.password_min_length,
            max_len: self.password_max_length,
            min_classes: self.password_min_classes,
            max_run: self.password_max_run,
            forbid_user_name: !self.password_allow_user_name,
        };
    }
}

/// A share of one core: more than 0, at most 1.
pub fn parse_share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(share) if share > 0.0 && share <= 1.0 => Ok(share),
        _ => Err(format!(
            "expected a number above 0 and at most 1, got `{text}`"
        )),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Fault(#[from] crate::gateway::fault::FaultParseError),
    #[error("cannot read users file {path}: {source}")]
    ReadUsers {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("users file {path}, line {line}, column {column}: {message}")]
    ParseUsers {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// What `serve` was asked to do.
pub enum ServePlan {
    ListFaults,
    Serve(SocketAddr, Box<GatewayConfig>),
}

impl ServeArgs {
    pub fn plan(&self) -> Result<ServePlan, ConfigError> {
        if self.faults.iter().any(|f| f == "list") {
            return Ok(ServePlan::ListFaults);
        }
        let faults = self
            .faults
            .iter()
            .map(|f| f.parse::<Fault>())
            .collect::<Result<Vec<_>, _>>()?;
        let mut config = GatewayConfig {
            faults: FaultSet::new(faults),
            test_support: !self.no_test_support,
            generated_users: self.generate_users,
            ..GatewayConfig::default()
        };
        self.choices.apply(&mut config);
        if let Some(path) = &self.users {
            config.users = read_users(path)?;
        }
        Ok(ServePlan::Serve(self.addr, Box::new(config)))
    }
}

fn read_users(path: &PathBuf) -> Result<Vec<UserSpec>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadUsers {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| ConfigError::ParseUsers {
        path: path.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// `--fault list`: every switch with one line of explanation.
pub fn fault_list() -> String {
    let width = CATALOGUE
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    CATALOGUE
        .iter()
        .map(|(name, what)| format!("{name:width$}  {what}\n"))
        .collect()
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
    fn default_choices_match_the_default_config() {
        let mut config = GatewayConfig::default();
        let before = format!("{config:?}");
        GatewayChoices::default().apply(&mut config);
        assert_eq!(format!("{config:?}"), before);
    }

    #[test]
    fn flags_reach_the_config() {
        let cli = Cli::parse_from([
            "gatecheck",
            "serve",
            "--fault",
            "reuse-t1",
            "--fault",
            "latency=send_code:5ms",
            "--t1-lifetime",
            "2m",
            "--captcha-tolerance",
            "9",
            "--no-test-support",
        ]);
        let Command::Serve(args) = cli.command else {
            panic!("serve")
        };
        let Ok(ServePlan::Serve(_, config)) = args.plan() else {
            panic!("plan")
        };
        assert_eq!(config.t1_lifetime, Duration::from_secs(120));
        assert_eq!(config.captcha_tolerance, 9);
        assert!(!config.test_support);
        assert!(config.faults.has(&Fault::ReuseT1));
    }

    #[test]
    fn unknown_faults_are_refused() {
        let cli = Cli::parse_from(["gatecheck", "serve", "--fault", "reuse-t7"]);
        let Command::Serve(args) = cli.command else {
            panic!("serve")
        };
        assert!(args.plan().is_err());
    }
}
