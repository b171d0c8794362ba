//! Flags more than one command takes, as flattened clap structs, parsed at the edge into
//! types: the target and its connection, the oracles, the embedded gateway's faults, where
//! reports go, and quiet. Durations, faults and oracle choices reach the commands as values.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::gateway::fault::Fault;
use crate::profile::{CaptchaOracle, CodeOracle, Profile};
use crate::runner::SessionOptions;

use super::Error;

/// Which gateway to talk to and how: shared by `run`, `load` and `fuzz`.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Base URL of the gateway under test; without it the embedded reference gateway is started
    /// on a free loopback port.
    #[arg(long, value_parser = parse_base_url)]
    pub target: Option<String>,
    /// Profile of the gateway under test (YAML); the reference profile by default.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Oracle choices, e.g. `solve`, `captcha=solve`, `code=fixed:123456` (repeatable).
    #[arg(long = "oracle", value_name = "CHOICE", value_parser = parse_oracle)]
    pub oracles: Vec<OracleFlag>,
    #[arg(long, value_parser = super::values::timeout, default_value = "10s",
          help = super::values::TIMEOUT.help("Timeout of one request (a timeout is a failure kind)"))]
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
    /// Show passwords, tokens and codes as they are in reports and on the console, for local
    /// debugging (every report then says so); they are masked by default.
    #[arg(long)]
    pub reveal_secrets: bool,
}

/// The embedded gateway's fault switches: shared by `run`, `load` and `fuzz`.
#[derive(Debug, Clone, Args)]
pub struct FaultArgs {
    /// Embedded gateway only: make it wrong in one named way (repeatable), to see the checks
    /// catch it (`gatecheck serve --fault list` lists them).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<Fault>,
}

/// Where reports go: shared by `run`, `load` and `fuzz`.
#[derive(Debug, Clone, Args)]
pub struct ReportDir {
    /// Where reports go (a directory per run).
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
}

/// Reports and the live progress line: `load` and `fuzz`.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    #[command(flatten)]
    pub dir: ReportDir,
    /// No live progress line.
    #[arg(long)]
    pub quiet: bool,
}

/// One `--oracle` value: `solve` / `test-api` / `auto` (both oracles where it applies),
/// `captcha=NAME`, `code=NAME`, `code=fixed:CODE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OracleFlag {
    pub captcha: Option<CaptchaOracle>,
    pub code: Option<CodeOracle>,
}

pub fn parse_oracle(choice: &str) -> Result<OracleFlag, String> {
    let (which, name) = choice.split_once('=').unwrap_or(("", choice));
    let captcha = CaptchaOracle::from_name(name);
    let code = match name.split_once(':') {
        Some(("fixed", value)) => Some(CodeOracle::Fixed(value.to_owned())),
        _ => CodeOracle::from_name(name),
    };
    match which {
        "captcha" => captcha
            .map(|captcha| OracleFlag { captcha: Some(captcha), code: None })
            .ok_or_else(|| format!("unknown CAPTCHA oracle `{name}` (auto, test-api, solve)")),
        "code" => code
            .map(|code| OracleFlag { captcha: None, code: Some(code) })
            .ok_or_else(|| format!("unknown code oracle `{name}` (auto, test-api, fixed:CODE; sink and command are set in the profile)")),
        "" if captcha.is_none() && code.is_none() => Err(format!("unknown oracle `{name}`")),
        "" => Ok(OracleFlag { captcha, code }),
        other => Err(format!("unknown oracle kind `{other}` (captcha, code)")),
    }
}

/// An `http://` or `https://` URL with a host, as the client reads it.
pub fn parse_base_url(text: &str) -> Result<String, String> {
    crate::transport::check_base_url(text).map(|()| text.to_owned())
}

impl TargetArgs {
    /// The oracles chosen on the command line, the last choice of each kind winning.
    pub fn oracles(&self) -> (Option<CaptchaOracle>, Option<CodeOracle>) {
        self.oracles
            .iter()
            .fold((None, None), |(captcha, code), choice| {
                (choice.captcha.or(captcha), choice.code.clone().or(code))
            })
    }

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

    /// The session these flags describe, with the embedded gateway's faults.
    pub fn session(&self, faults: &FaultArgs) -> Result<SessionOptions, Error> {
        if self.target.is_some() && !faults.faults.is_empty() {
            return Err(Error::Invalid(
                "--fault applies to the embedded gateway only, not to --target".into(),
            ));
        }
        let mut session = SessionOptions::new(load_profile(self.profile.as_ref())?);
        let (captcha, code) = self.oracles();
        session.target = self.target.clone();
        session.captcha_oracle = captcha;
        session.code_oracle = code;
        session.client = self.client_options();
        session.reveal_secrets = self.reveal_secrets;
        session.embedded.faults = crate::gateway::FaultSet::new(faults.faults.clone());
        // The embedded gateway behaves as the profile says, so `--profile` alone is a target.
        session.embedded = crate::runner::embedded::config_for(&session.profile, session.embedded);
        Ok(session)
    }
}

/// Reads `--profile`, or the built-in reference profile.
pub fn load_profile(path: Option<&PathBuf>) -> Result<Profile, Error> {
    match path {
        None => Ok(Profile::reference()),
        Some(path) => {
            let text = crate::input::read(path, crate::input::Kind::Profile)
                .map_err(|e| Error::Invalid(e.to_string()))?;
            Profile::parse(&path.display().to_string(), &text).map_err(Error::Diagnostics)
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oracle_choices_parse_into_values() {
        let both = parse_oracle("test-api").expect("both");
        assert_eq!(both.captcha, Some(CaptchaOracle::TestApi));
        assert_eq!(both.code, Some(CodeOracle::TestApi));
        let fixed = parse_oracle("code=fixed:123456").expect("fixed");
        assert_eq!(fixed.code, Some(CodeOracle::Fixed("123456".into())));
        assert_eq!(fixed.captcha, None);
        assert_eq!(
            parse_oracle("solve").expect("solve").captcha,
            Some(CaptchaOracle::Solve)
        );
        assert!(parse_oracle("captcha=fixed:1").is_err());
        assert!(parse_oracle("nonsense").is_err());
        assert!(parse_oracle("mail=solve").is_err());
    }

    #[test]
    fn base_urls_need_a_scheme_and_host() {
        assert!(parse_base_url("http://127.0.0.1:8080").is_ok());
        assert!(parse_base_url("https://staging.example/api").is_ok());
        assert!(parse_base_url("127.0.0.1:8080").is_err());
        assert!(parse_base_url("http://").is_err());
        assert!(parse_base_url("ftp://host").is_err());
    }
}
