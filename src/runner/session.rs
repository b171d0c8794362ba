//! One session with a target, set up in one place for `run`, `load` and `fuzz`: the embedded
//! reference gateway started (or the URL taken), a client that has had one answer, the oracles
//! chosen for it, and where the test users come from. Dropping the session stops the embedded
//! gateway.

use crate::gateway::{self, Clock, GatewayConfig, SpawnedGateway};
use crate::profile::{CaptchaOracle, CodeOracle, Profile};

use super::oracle::Oracles;
use super::target::{ClientOptions, Target};
use super::users::{Slice, UserPool};
use super::RunError;

/// What a session is made from.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Base URL of the gateway; None starts the embedded reference gateway.
    pub target: Option<String>,
    pub profile: Profile,
    pub captcha_oracle: Option<CaptchaOracle>,
    pub code_oracle: Option<CodeOracle>,
    /// Timeout, body cap, HTTP version and TLS choices of the connection to the target.
    pub client: ClientOptions,
    /// The embedded gateway's configuration (faults, choices); ignored with a target.
    pub embedded: GatewayConfig,
}

impl SessionOptions {
    pub fn new(profile: Profile) -> Self {
        Self {
            target: None,
            profile,
            captcha_oracle: None,
            code_oracle: None,
            client: ClientOptions::default(),
            embedded: GatewayConfig::default(),
        }
    }
}

/// Which users the session's flows take.
#[derive(Debug, Clone, Copy)]
pub enum Users {
    /// Conformance: made fresh through test support, else the profile's accounts, each once.
    Fresh,
    /// Load: the reference gateway's generated users when it is the embedded one (or
    /// `generated` says the target is one), else the profile's accounts in turn; a shard takes
    /// its slice.
    PerFlow { generated: bool, slice: Slice },
}

pub struct Session {
    pub target: Target,
    pub profile: Profile,
    pub oracles: Oracles,
    pub users: UserPool,
    /// The target as reports name it (`... (embedded reference gateway)`).
    pub shown_target: String,
    embedded: Option<SpawnedGateway>,
}

impl Session {
    pub async fn start(options: &SessionOptions, users: Users) -> Result<Self, RunError> {
        let (url, embedded) = match &options.target {
            Some(url) => (url.clone(), None),
            None => {
                let gateway = gateway::spawn(options.embedded.clone(), Clock::system()).await?;
                (gateway.base_url(), Some(gateway))
            }
        };
        let target = Target::new(&url, options.client.clone()).map_err(RunError::Config)?;
        if let Err(e) = target.reachable().await {
            return Err(RunError::Unreachable {
                url,
                reason: e.message,
            });
        }
        let oracles = Oracles::choose(
            &options.profile,
            options.captcha_oracle,
            options.code_oracle.clone(),
            &target,
        )
        .await
        .map_err(RunError::Config)?;
        let profile = &options.profile;
        let users = match users {
            Users::Fresh if oracles.clock || profile.test_support => UserPool::created(),
            Users::Fresh => UserPool::accounts(profile.accounts.clone()),
            Users::PerFlow { generated, slice } if generated || embedded.is_some() => {
                UserPool::generated(slice)
            }
            Users::PerFlow { slice, .. } => {
                if profile.accounts.is_empty() {
                    eprintln!("note: the profile lists no test accounts; flows use made-up users the target does not know");
                }
                UserPool::in_turn(&profile.accounts, slice).map_err(RunError::Config)?
            }
        };
        let shown_target = match embedded {
            Some(_) => format!("{url} (embedded reference gateway)"),
            None => url,
        };
        Ok(Self {
            target,
            profile: options.profile.clone(),
            oracles,
            users,
            shown_target,
            embedded,
        })
    }

    /// The embedded gateway, to stop it when the caller says (the session may be shared, and
    /// outlive the run in a task that is being aborted).
    pub fn detach_gateway(&mut self) -> Option<SpawnedGateway> {
        self.embedded.take()
    }

    /// Whether the target's clock can be moved (test support), so waits cost no real time.
    pub fn moves_clock(&self) -> bool {
        self.oracles.clock
    }

    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    /// The target's base URL.
    pub fn url(&self) -> &str {
        &self.target.base_url
    }
}
