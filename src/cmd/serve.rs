//! `gatecheck serve`: the reference gateway on an address of its own (loopback by default)
//! until Ctrl-C or SIGTERM, every choice of reference-gateway.md a flag; `--fault list`
//! lists the fault switches.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser};

use super::args::parse_share;
use super::{shutdown_signal, Error, Exit};
use crate::gateway::exposure::{self, Exposure};
use crate::gateway::fault::{Fault, CATALOGUE};
use crate::gateway::password::PasswordPolicy;
use crate::gateway::users::UserSpec;
use crate::gateway::{FaultSet, GatewayConfig};

pub fn execute(args: &ServeArgs) -> Result<Exit, Error> {
    match args.plan()? {
        ServePlan::ListFaults => super::out::print(&fault_list()),
        ServePlan::Serve(plan) => serve(*plan).map_err(Error::Runtime)?,
    }
    Ok(Exit::Passed)
}

fn serve(plan: Serving) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    use std::io::Write;
    let Serving {
        addrs,
        config,
        exposure,
    } = plan;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addrs[..])
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", addrs[0]))?;
        let bound = listener.local_addr()?;
        if let Exposure::Allowed(reachable) = &exposure {
            let token = config.test_support_token.is_some();
            eprintln!("{}", exposure::warning(reachable, token));
        }
        let faults: Vec<String> = config
            .faults
            .all()
            .iter()
            .map(|f| format!("{f:?}"))
            .collect();
        let flow = std::sync::Arc::new(crate::gateway::Flow::new(
            config,
            crate::gateway::Clock::system(),
        )?);
        let shutdown = shutdown_signal();
        super::out::print(&format!("listening on http://{bound}\n"));
        if !faults.is_empty() {
            eprintln!("faults on: {}", faults.join(", "));
        }
        std::io::stdout().flush()?;
        crate::gateway::serve(listener, flow, shutdown).await?;
        eprintln!("stopped");
        Ok(())
    })
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (HOST:PORT; a host name is resolved, and every address it has is
    /// judged: test support is served on loopback only unless --allow-remote-test-support).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub addr: String,
    /// Make the gateway wrong in one named way (repeatable); `--fault list` lists them.
    #[arg(long = "fault", value_name = "NAME", value_parser = parse_serve_fault)]
    pub faults: Vec<ServeFault>,
    /// JSON file with an array of users: {"user", "password", "phone"?, "email"?, "account"?}.
    #[arg(long)]
    pub users: Option<PathBuf>,
    /// Also serve N generated users: the profile's `users.generated` numbering, by default
    /// +86139 followed by an 8-digit index, account load<index> (N wins over its `count`).
    #[arg(long, value_name = "N")]
    pub generate_users: Option<u64>,
    /// Do not serve the /test/v1 endpoints (captcha answers, outbox, clock, users).
    #[arg(long)]
    pub no_test_support: bool,
    /// Serve the test-support endpoints on an address other machines can reach (they give
    /// every account away to whoever reaches them); prints a warning.
    #[arg(long)]
    pub allow_remote_test_support: bool,
    /// Every test-support request must carry this value in `X-Test-Support-Token` (else 401).
    /// Read from GATECHECK_TEST_SUPPORT_TOKEN when the flag is absent, so it stays out of `ps`.
    #[arg(
        long,
        env = "GATECHECK_TEST_SUPPORT_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub test_support_token: Option<String>,
    /// Behave as this profile describes (lifetimes, limits, burns, password policy, failure
    /// codes, test support); its choices win over the choice flags below.
    #[arg(long)]
    pub profile: Option<PathBuf>,
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
    /// Most users POST /test/v1/users may add (above the 1,000,000 a load run may create);
    /// past it the endpoint answers 507 test_users_full.
    #[arg(long, default_value_t = crate::gateway::config::MAX_TEST_USERS)]
    pub max_test_users: usize,
    /// Most generated users whose changed password is remembered; the one changed longest
    /// ago is forgotten first and then refuses every login until it is reset again.
    #[arg(long, default_value_t = crate::gateway::config::MAX_CHANGED_USERS)]
    pub max_changed_users: usize,
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
        config.max_test_users = self.max_test_users;
        config.max_changed_users = self.max_changed_users;
        config.captcha_pool = self.captcha_pool;
        config.captcha_reuse = self.captcha_reuse;
        config.captcha_render_budget = self.captcha_render_budget;
        config.password_policy = PasswordPolicy {
            min_len: self.password_min_length,
            max_len: self.password_max_length,
            min_classes: self.password_min_classes,
            max_run: self.password_max_run,
            forbid_user_name: !self.password_allow_user_name,
            ..config.password_policy.clone()
        };
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    ReadUsers(crate::input::InputError),
    #[error("users file {path}, line {line}, column {column}: {message}")]
    ParseUsers {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// A `--fault` of `serve`: a switch, or `list`.
#[derive(Debug, Clone)]
pub enum ServeFault {
    List,
    Switch(Fault),
}

fn parse_serve_fault(text: &str) -> Result<ServeFault, crate::gateway::fault::FaultParseError> {
    match text {
        "list" => Ok(ServeFault::List),
        name => name.parse().map(ServeFault::Switch),
    }
}

/// What `serve` was asked to do.
pub enum ServePlan {
    ListFaults,
    Serve(Box<Serving>),
}

/// A gateway to serve: where (every address the listen address resolved to), how, and what
/// serving there exposes.
pub struct Serving {
    pub addrs: Vec<SocketAddr>,
    pub config: GatewayConfig,
    pub exposure: Exposure,
}

impl ServeArgs {
    pub fn plan(&self) -> Result<ServePlan, Error> {
        let mut faults = Vec::new();
        for fault in &self.faults {
            match fault {
                ServeFault::List => return Ok(ServePlan::ListFaults),
                ServeFault::Switch(fault) => faults.push(fault.clone()),
            }
        }
        let mut config = GatewayConfig {
            faults: FaultSet::new(faults),
            test_support: !self.no_test_support,
            ..GatewayConfig::default()
        };
        self.choices.apply(&mut config);
        if let Some(path) = &self.profile {
            let profile = super::args::load_profile(Some(path))?;
            config = crate::runner::embedded::config_for(&profile, config);
        }
        if let Some(count) = self.generate_users {
            config.generated.count = count;
        }
        if let Some(path) = &self.users {
            config.users = read_users(path).map_err(|e| Error::Invalid(e.to_string()))?;
        }
        if let Some(token) = &self.test_support_token {
            config.test_support_token = Some(checked_token(token)?);
        }
        let addrs = resolve(&self.addr)?;
        let exposure = exposure::judge(&addrs, config.test_support, self.allow_remote_test_support)
            .map_err(|refused| Error::Invalid(refused.to_string()))?;
        Ok(ServePlan::Serve(Box::new(Serving {
            addrs,
            config,
            exposure,
        })))
    }
}

/// A test-support token that guards something: an unset CI secret expands to an empty
/// variable, and an empty token would let an empty header through.
fn checked_token(token: &str) -> Result<String, Error> {
    const SHORTEST: usize = 12;
    if token.len() < SHORTEST || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::Invalid(format!(
            "--test-support-token (or GATECHECK_TEST_SUPPORT_TOKEN) must be at least {SHORTEST} printable ASCII characters without spaces, not {} characters",
            token.len()
        )));
    }
    Ok(token.to_owned())
}

/// Every address `--addr` names (a host name may have several), before anything is bound.
fn resolve(addr: &str) -> Result<Vec<SocketAddr>, Error> {
    let invalid = |why: String| Error::Invalid(format!("--addr {addr}: {why}"));
    let addrs: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .map_err(|e| invalid(format!("{e} (expected HOST:PORT, e.g. 127.0.0.1:8080)")))?
        .collect();
    if addrs.is_empty() {
        return Err(invalid("the name has no address".into()));
    }
    Ok(addrs)
}

fn read_users(path: &std::path::Path) -> Result<Vec<UserSpec>, ConfigError> {
    let text =
        crate::input::read(path, crate::input::Kind::Users).map_err(ConfigError::ReadUsers)?;
    serde_json::from_str(&text).map_err(|e| ConfigError::ParseUsers {
        path: path.to_path_buf(),
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
    use crate::cmd::{Cli, Command};

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
        let Ok(ServePlan::Serve(serving)) = args.plan() else {
            panic!("plan")
        };
        let config = serving.config;
        assert_eq!(config.t1_lifetime, Duration::from_secs(120));
        assert_eq!(config.captcha_tolerance, 9);
        assert!(!config.test_support);
        assert!(config.faults.has(&Fault::ReuseT1));
    }

    #[test]
    fn unknown_faults_are_refused() {
        let refused = Cli::try_parse_from(["gatecheck", "serve", "--fault", "reuse-t7"]);
        let message = refused.expect_err("an unknown fault").to_string();
        assert!(message.contains("unknown fault `reuse-t7`"), "{message}");
    }

    #[test]
    fn fault_list_is_a_plan() {
        let cli = Cli::parse_from(["gatecheck", "serve", "--fault", "list"]);
        let Command::Serve(args) = cli.command else {
            panic!("serve")
        };
        assert!(matches!(args.plan(), Ok(ServePlan::ListFaults)));
    }
}
