//! Flags more than one command takes, as flattened clap structs, parsed at the edge into
//! types: the target and its connection, the oracles, the embedded gateway's faults, where
//! reports go, and quiet. Durations, faults and oracle choices reach the commands as values.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::gateway::fault::Fault;
use crate::output::color::{ColorChoice, Palette};
use crate::profile::{CaptchaOracle, CodeOracle, Profile};
use crate::runner::SessionOptions;

use super::Error;
use crate::yaml::diagnostic::did_you_mean;

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
    /// Where reports go (a directory per run; `latest` points at the newest).
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
}

/// The name of the link to the newest run's directory, under `--reports`.
pub const LATEST: &str = "latest";

impl ReportDir {
    /// Makes the run's directory `<reports>/<run_id>/` and checks that a file can be written
    /// there, before the run starts: reports that cannot be written fail the run (exit 2) at
    /// once, not after it. A killed run's leftovers are removed first.
    pub fn prepare(&self, run_id: &str) -> Result<PathBuf, Error> {
        crate::output::files::remove_stale(&self.reports);
        let dir = self.reports.join(run_id);
        let probe = dir.join(format!(".writable-{}", std::process::id()));
        // The run's own directory is new (`create_dir`): two runs that drew one id in one
        // second must not write into each other's reports.
        std::fs::create_dir_all(&self.reports)
            .and_then(|()| std::fs::create_dir(&dir))
            .and_then(|()| std::fs::File::create(&probe))
            .and_then(|_| std::fs::remove_file(&probe))
            .map_err(|e| self.unwritable(&e))?;
        Ok(dir)
    }

    /// The error of reports that cannot be written (exit 2).
    pub fn unwritable(&self, error: &std::io::Error) -> Error {
        Error::Invalid(format!(
            "cannot write reports under {}: {error} (choose another with --reports)",
            self.reports.display()
        ))
    }

    /// Points `<reports>/latest` at `run_id`'s directory: a relative symlink, made under a
    /// temporary name and renamed over the old one, so a reader always finds one whole link.
    /// A run that started before the one `latest` names leaves it (ids sort by start time),
    /// so a long run finishing after a newer short one does not take it back. A warning, not
    /// a failure, when it cannot (the reports themselves are written).
    pub fn mark_latest(&self, run_id: &str) {
        if let Err(e) = self.link_latest(run_id) {
            eprintln!(
                "gatecheck: cannot point {} at the newest run: {e}",
                self.reports.join(LATEST).display()
            );
        }
    }

    #[cfg(unix)]
    fn link_latest(&self, run_id: &str) -> std::io::Result<()> {
        // An id starts with its start time (`20261202T075650Z-3f9a`); within one second the
        // run that finishes last takes the link.
        let stamp = |id: &str| id.split('-').next().unwrap_or_default().to_owned();
        let current = std::fs::read_link(self.reports.join(LATEST)).ok();
        if current.is_some_and(|c| stamp(&c.to_string_lossy()) > stamp(run_id)) {
            return Ok(());
        }
        // Named as `output::files` names its temporaries, so a killed run's is removed.
        let temporary = self.reports.join(format!(
            ".{LATEST}.partial-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::os::unix::fs::symlink(run_id, &temporary)?;
        std::fs::rename(&temporary, self.reports.join(LATEST)).inspect_err(|_| {
            let _ = std::fs::remove_file(&temporary);
        })
    }

    #[cfg(not(unix))]
    fn link_latest(&self, run_id: &str) -> std::io::Result<()> {
        crate::output::files::write_atomically(&self.reports.join(LATEST), run_id.as_bytes())
    }
}

/// `--color`: every command that prints a verdict.
#[derive(Debug, Clone, Args)]
pub struct ColorArgs {
    /// Colour verdicts: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

impl ColorArgs {
    /// The palette for standard output, as the flag, the terminal and `NO_COLOR` decide.
    pub fn stdout_palette(&self) -> Palette {
        use std::io::IsTerminal;
        self.color.decide(
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        )
    }
}

/// Reports, colour and the live progress line: `load` and `fuzz`.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    #[command(flatten)]
    pub dir: ReportDir,
    #[command(flatten)]
    pub color: ColorArgs,
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
    let near = |known: &[&'static str]| {
        let bare = name.split(':').next().unwrap_or(name);
        did_you_mean(bare, known.iter().copied())
            .map(|near| format!("did you mean `{near}`? "))
            .unwrap_or_default()
    };
    match which {
        "captcha" => captcha
            .map(|captcha| OracleFlag { captcha: Some(captcha), code: None })
            .ok_or_else(|| format!("unknown CAPTCHA oracle `{name}`; {}(auto, test-api, solve)", near(CAPTCHA_ORACLES))),
        "code" => code
            .map(|code| OracleFlag { captcha: None, code: Some(code) })
            .ok_or_else(|| format!("unknown code oracle `{name}`; {}(auto, test-api, fixed:CODE; sink and command are set in the profile)", near(CODE_ORACLES))),
        "" if captcha.is_none() && code.is_none() => Err(format!(
            "unknown oracle `{name}`; {}(auto, test-api, solve, fixed:CODE, captcha=NAME, code=NAME)",
            near(ALL_ORACLES)
        )),
        "" => Ok(OracleFlag { captcha, code }),
        other => Err(format!(
            "unknown oracle kind `{other}`; {}(captcha, code)",
            did_you_mean(other, ["captcha", "code"])
                .map(|near| format!("did you mean `{near}`? "))
                .unwrap_or_default()
        )),
    }
}

const CAPTCHA_ORACLES: &[&str] = &["auto", "test-api", "solve"];
const CODE_ORACLES: &[&str] = &["auto", "test-api", "fixed"];
const ALL_ORACLES: &[&str] = &["auto", "test-api", "solve", "fixed"];

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
    fn a_misspelt_oracle_gets_a_suggestion() {
        let error = parse_oracle("test_api").expect_err("unknown");
        assert!(error.contains("did you mean `test-api`?"), "{error}");
        let error = parse_oracle("captcha=solv").expect_err("unknown");
        assert!(error.contains("did you mean `solve`?"), "{error}");
        let error = parse_oracle("cod=test-api").expect_err("unknown");
        assert!(error.contains("did you mean `code`?"), "{error}");
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "gatecheck-args-{name}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn report_directories_are_checked_before_a_run() {
        let reports = ReportDir {
            reports: temp("prepare"),
        };
        let dir = reports.prepare("run-1").expect("writable");
        assert!(dir.is_dir());
        assert_eq!(std::fs::read_dir(&dir).expect("dir").count(), 0);
        let unwritable = ReportDir {
            reports: PathBuf::from("/proc/nope"),
        };
        let error = unwritable.prepare("run-1").expect_err("not writable");
        assert_eq!(error.code(), 2);
        assert!(error
            .to_string()
            .contains("cannot write reports under /proc/nope"));
        let _ = std::fs::remove_dir_all(&reports.reports);
    }

    #[cfg(unix)]
    #[test]
    fn latest_points_at_the_newest_run() {
        let reports = ReportDir {
            reports: temp("latest"),
        };
        reports.prepare("20261202T075601Z-ffff").expect("writable");
        reports.mark_latest("20261202T075601Z-ffff");
        reports.prepare("20261202T075602Z-0000").expect("writable");
        reports.mark_latest("20261202T075602Z-0000");
        let link = reports.reports.join(LATEST);
        assert_eq!(
            std::fs::read_link(&link).expect("link"),
            PathBuf::from("20261202T075602Z-0000")
        );
        assert!(link.join(".").is_dir());
        let names: Vec<_> = std::fs::read_dir(&reports.reports)
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 3, "no temporary left: {names:?}");
        // A run that started earlier and finishes later leaves `latest` to the newer one.
        reports.mark_latest("20261202T075600Z-ffff");
        let newest = Some(PathBuf::from("20261202T075602Z-0000"));
        assert_eq!(std::fs::read_link(&link).ok(), newest);
        // One id, one directory: a second run with the same id is refused, not mixed in.
        assert!(reports.prepare("20261202T075602Z-0000").is_err());
        let _ = std::fs::remove_dir_all(&reports.reports);
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
