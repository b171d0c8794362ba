//! One session with a target, set up in one place for `run`, `load` and `fuzz`: the embedded
//! reference gateway started (or the URL taken), a client that has had one answer, the oracles
//! chosen for it, and where the test users come from. Dropping the session stops the embedded
//! gateway.

use std::time::{Duration, Instant};

use crate::gateway::{self, Clock, GatewayConfig, SpawnedGateway};
use crate::profile::{Account, CaptchaOracle, CodeOracle, Profile, UserKind};
use crate::redact::Redactor;

use super::oracle::Oracles;
use super::pool::{Fresh, LoadPool};
use super::target::{ClientOptions, Target};
use super::users::{create_in_bulk, Slice, TestUser, UserPool};
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
    /// `--reveal-secrets`: records show passwords, tokens and codes as they are.
    pub reveal_secrets: bool,
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
            reveal_secrets: false,
        }
    }
}

/// Which users the session's flows take.
#[derive(Debug, Clone)]
pub enum Users {
    /// Conformance: made fresh through test support, else the profile's accounts, each once.
    Fresh,
    /// Load: a pool of users per flow (`pool::LoadPool`), this shard's slice.
    Load(LoadUsers),
}

/// Where a load run's users come from, and how many it needs.
#[derive(Debug, Clone)]
pub struct LoadUsers {
    pub source: LoadSource,
    pub slice: Slice,
    /// The kinds of the scenario's users, one per declared user.
    pub kinds: Vec<UserKind>,
    /// Users of each declared user to create, when they are created.
    pub create: u64,
}

#[derive(Debug, Clone)]
pub enum LoadSource {
    /// The embedded gateway's generated users; against a target: created through test
    /// support, else the profile's `users.generated`, else its `accounts`, else an error.
    Auto,
    /// The target serves the profile's `users.generated` (the reference numbering if none).
    Generated,
    /// These accounts (`--accounts FILE`), in turn.
    Accounts(Vec<Account>),
}

pub struct Session {
    pub target: Target,
    pub profile: Profile,
    pub oracles: Oracles,
    pub users: UserPool,
    /// The target as reports name it (`... (embedded reference gateway)`).
    pub shown_target: String,
    /// Where a load run's users came from (and how long creating them took), for the console.
    pub users_note: Option<String>,
    /// How records show secrets: masked, unless `--reveal-secrets`.
    pub redactor: Redactor,
    embedded: Option<SpawnedGateway>,
}

impl Session {
    pub async fn start(options: &SessionOptions, users: Users) -> Result<Self, RunError> {
        match &options.target {
            Some(url) => Self::attach(options, url.clone(), false, users).await,
            None => {
                let gateway = gateway::spawn(options.embedded.clone(), Clock::system()).await?;
                let mut session = Self::attach(options, gateway.base_url(), true, users).await?;
                session.embedded = Some(gateway);
                Ok(session)
            }
        }
    }

    /// A session on a gateway already running at `url`: the target, or (`embedded`) the
    /// embedded gateway another session started with `options.embedded`, whose generated
    /// users it then knows.
    pub async fn attach(
        options: &SessionOptions,
        url: String,
        embedded: bool,
        users: Users,
    ) -> Result<Self, RunError> {
        let token = options.profile.test_support_token.as_ref();
        let target = Target::new(&url, options.client.clone())
            .map_err(RunError::Config)?
            .with_test_support_token(token.map(|t| t.value()));
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
        let (users, users_note) = match users {
            Users::Fresh if oracles.clock || profile.test_support => (UserPool::created(), None),
            Users::Fresh => (UserPool::accounts(profile.accounts.clone()), None),
            Users::Load(load) => {
                let generated = embedded.then_some(&options.embedded.generated);
                let (pool, note) = load_pool(&load, profile, &target, generated).await?;
                (UserPool::Load(Box::new(pool)), Some(note))
            }
        };
        let shown_target = match embedded {
            true => format!("{url} (embedded reference gateway)"),
            false => url,
        };
        Ok(Self {
            target,
            profile: options.profile.clone(),
            oracles,
            users,
            shown_target,
            users_note,
            redactor: redactor(options),
            embedded: None,
        })
    }

    /// The embedded gateway, to stop it when the caller says (the session may be shared, and
    /// outlive the run in a task that is being aborted).
    pub fn detach_gateway(&mut self) -> Option<SpawnedGateway> {
        self.embedded.take()
    }

    /// The session in `n` parts, one per engine thread: the same target, profile and oracles
    /// with connections of each part's own, and the load users split so no two parts share one
    /// (`LoadPool::split`). The embedded gateway stays with the caller (`detach_gateway` first).
    pub fn split(self, n: u64) -> Result<Vec<Session>, RunError> {
        // Only a load run's users are shared out; any other pool would be replaced unseen.
        let UserPool::Load(pool) = self.users else {
            return Err(RunError::Config(
                "only a load run's session is split into engine threads".into(),
            ));
        };
        pool.split(n)
            .into_iter()
            .map(|pool| {
                Ok(Session {
                    target: self.target.reconnected().map_err(RunError::Config)?,
                    oracles: self.oracles.again(&self.profile),
                    users: UserPool::Load(Box::new(pool)),
                    profile: self.profile.clone(),
                    shown_target: self.shown_target.clone(),
                    users_note: self.users_note.clone(),
                    redactor: self.redactor.clone(),
                    embedded: None,
                })
            })
            .collect()
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

/// A load run's pool from its source (`LoadSource::Auto` decides as it says), with a note of
/// where the users came from; an error before the run when no source fits.
async fn load_pool(
    load: &LoadUsers,
    profile: &Profile,
    target: &super::target::Target,
    embedded: Option<&gateway::users::GeneratedUsers>,
) -> Result<(LoadPool, String), RunError> {
    // A reused user waits out the resend interval, with a second for the clocks' skew.
    let cooldown = match profile.resend_interval {
        Duration::ZERO => Duration::ZERO,
        interval => interval + Duration::from_secs(1),
    };
    let pattern = || {
        profile.generated.as_ref().map_or_else(
            || gateway::users::GeneratedUsers::reference(super::users::EMBEDDED_USERS),
            super::embedded::generated_users,
        )
    };
    let (fresh, note) = match (&load.source, embedded) {
        // Nothing to create or share out: the scenario reads no user.
        _ if load.kinds.is_empty() => (
            Fresh::Listed(Vec::new()),
            match load.source {
                LoadSource::Accounts(_) => {
                    "none: the scenario reads no test user, so the accounts file goes unused"
                }
                _ => "none: the scenario reads no test user",
            }
            .to_owned(),
        ),
        (LoadSource::Accounts(accounts), _) => listed(accounts, load.slice, "the accounts file")?,
        (_, Some(generated)) => generated_note(generated.clone(), "the embedded gateway's"),
        (LoadSource::Generated, None) => generated_note(pattern(), "the target's"),
        (LoadSource::Auto, None) if profile.test_support => {
            let started = Instant::now();
            let users = create_in_bulk(target, &load.kinds, load.create, load.slice)
                .await
                .map_err(RunError::Config)?;
            let note = format!("created {} test users through /test/v1/users in {:.1}s, before the measured window", users.len(), started.elapsed().as_secs_f64());
            (Fresh::Listed(users), note)
        }
        (LoadSource::Auto, None) if profile.generated.is_some() => {
            generated_note(pattern(), "the target's (the profile's `users.generated`)")
        }
        (LoadSource::Auto, None) if !profile.accounts.is_empty() => {
            listed(&profile.accounts, load.slice, "the profile's `accounts`")?
        }
        (LoadSource::Auto, None) => return Err(RunError::Config("no test users for this target: the profile has no test support (`test_support: false`), no generated users (`users.generated`) and no `accounts`; pass --accounts FILE or --generated-users, or describe them in the profile".into())),
    };
    let pool = LoadPool::new(fresh, load.slice, cooldown);
    for kind in &load.kinds {
        if pool.available(*kind) == Some(0) {
            return Err(RunError::Config(format!("the scenario needs a {kind:?} user and {note} has none of that kind for this shard")));
        }
    }
    Ok((pool, note))
}

fn generated_note(pattern: gateway::users::GeneratedUsers, whose: &str) -> (Fresh, String) {
    let note = format!(
        "{whose} generated users {}..{} ({} of them)",
        pattern.identity(pattern.first),
        pattern.identity(pattern.first + pattern.count.saturating_sub(1)),
        pattern.count
    );
    (Fresh::Generated(pattern), note)
}

/// This slice's accounts as fresh users; an error when the slice has none of its own.
fn listed(accounts: &[Account], slice: Slice, what: &str) -> Result<(Fresh, String), RunError> {
    let own: Vec<TestUser> = accounts
        .iter()
        .skip(slice.index as usize)
        .step_by(slice.count.max(1) as usize)
        .map(TestUser::from)
        .collect();
    if own.is_empty() {
        return Err(RunError::Config(format!(
            "shard {}/{} has no test account of its own: {what} lists {}, fewer than the {} shards",
            slice.index,
            slice.count,
            accounts.len(),
            slice.count
        )));
    }
    let note = format!("{} accounts of {what}, in turn", own.len());
    Ok((Fresh::Listed(own), note))
}

/// The session's redactor: the profile's secret names, and the test-support token scrubbed
/// wherever it shows (a target's error answer may echo it).
fn redactor(options: &SessionOptions) -> Redactor {
    let redactor = Redactor::new(
        &options.profile.secrets.fields,
        &options.profile.secrets.headers,
        options.reveal_secrets,
    );
    match &options.profile.test_support_token {
        Some(token) => redactor.with_standing(token.value(), crate::redact::Class::Token),
        None => redactor,
    }
}
