//! `gatecheck discover [--target URL] [--out profile.yaml]`: probes a gateway through its test
//! support and writes the profile it found (standard output by default), each value with how
//! it was found and what needs review. Without `--target` it probes the embedded gateway set
//! to `--profile`, which is how its round trip is shown.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use super::args::TargetArgs;
use super::values;
use super::{Error, Exit};
use crate::discover::{self, probe::Budget};
use crate::gateway::{self, Clock};
use crate::runner::target::Target;

#[derive(Debug, Clone, Args)]
pub struct DiscoverArgs {
    /// The gateway to probe; `--profile` gives the values that cannot be probed (and, without
    /// `--target`, the embedded gateway's choices); `--oracle` choices are written into it.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Write the profile here (atomically) instead of to standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, default_value_t = 5_000, value_parser = values::count_u32,
          help = values::COUNT.help("At most this many requests"))]
    pub max_requests: u32,
    #[arg(long, value_parser = values::positive_duration, default_value = "60s",
          help = values::POSITIVE_DURATION.help("Stop probing after this long (what is left is flagged for review)"))]
    pub time_limit: Duration,
}

pub fn execute(args: &DiscoverArgs) -> Result<Exit, Error> {
    let session = args
        .target
        .session(&super::args::FaultArgs { faults: Vec::new() })?;
    let runtime = super::runtime()?;
    let budget = Budget {
        max_requests: args.max_requests,
        deadline: Instant::now() + args.time_limit,
    };
    let mut discovery = runtime.block_on(async {
        // The embedded gateway lives until the probes are done.
        let (url, _embedded) = match &session.target {
            Some(url) => (url.clone(), None),
            None => {
                let gateway = gateway::spawn(session.embedded.clone(), Clock::system())
                    .await
                    .map_err(|e| Error::Runtime(format!("cannot start the gateway: {e}").into()))?;
                (gateway.base_url(), Some(gateway))
            }
        };
        let token = session.profile.test_support_token.as_ref();
        let target = Target::new(&url, session.client.clone())
            .map_err(Error::Invalid)?
            .with_test_support_token(token.map(|t| t.value()));
        target
            .reachable()
            .await
            .map_err(|e| Error::Unreachable(format!("cannot reach {url}: {}", e.message)))?;
        if session.reveal_secrets {
            eprintln!("discover: {}", crate::redact::REVEALED);
        }
        eprintln!("discover: probing {url} (creates test users, moves its clock; at most {} requests, {})", budget.max_requests, humantime::format_duration(args.time_limit));
        let mut base = session.profile.clone();
        let (captcha, code) = args.target.oracles();
        base.oracle.captcha = captcha.unwrap_or(base.oracle.captcha);
        base.oracle.code = code.unwrap_or(base.oracle.code);
        Ok::<_, Error>(discover::discover(target, &base, budget).await)
    })?;
    if !session.reveal_secrets {
        discovery.withhold_passwords();
    }
    let text = discovery.to_yaml();
    match &args.out {
        Some(path) => crate::output::files::write_atomically(path, text.as_bytes())
            .map_err(|e| Error::Invalid(format!("cannot write {}: {e}", path.display())))?,
        None => super::out::print(&text),
    }
    // The summary quotes what the target answered (its codes, why a probe stopped).
    eprint!(
        "{}",
        crate::output::escape::console_block(&discovery.summary())
    );
    if let Some(path) = &args.out {
        eprintln!("wrote {}", path.display());
    }
    Ok(Exit::Passed)
}
