//! Where test users come from. A conformance run makes them fresh through the test-support
//! endpoint when the target has it, or hands out each of the profile's accounts once, so no two
//! scenarios share a user. A load run's users are a `pool::LoadPool`: the target's generated
//! users, users created in bulk before the run (`create_in_bulk`), or accounts; a shard takes
//! only its own slice of any of them.

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde_json::json;

use super::pool::LoadPool;
use super::target::{Prepared, Target};
use crate::gateway::users::IdentityKind;
use crate::profile::Account;
use crate::scenario::model::UserKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    pub identity: String,
    pub password: String,
    /// The account name bound to it, if known (password rule 4).
    pub account: Option<String>,
    pub kind: UserKind,
}

/// Generated users the embedded gateway serves to load runs (`+86139` and an index).
pub const EMBEDDED_USERS: u64 = 50_000_000;

/// Which users of a pool this process takes: every `count`-th from `index` (a shard's slice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    pub index: u64,
    pub count: u64,
}

impl Slice {
    /// The `k`-th user of this slice, as an index into the whole pool.
    pub fn global(self, k: u64) -> u64 {
        k.saturating_mul(self.count).saturating_add(self.index)
    }
}

pub enum UserPool {
    /// Users made through `POST /test/v1/users`, unique to this run.
    Created { nonce: u64, next: AtomicU64 },
    /// The profile's accounts, each handed out once.
    Accounts(Mutex<Vec<Account>>),
    /// A load run's users, fresh then reused (`pool`).
    Load(Box<LoadPool>),
}

impl UserPool {
    pub fn created() -> Self {
        use rand::Rng;
        UserPool::Created {
            nonce: rand::rng().random_range(0..10_000),
            next: AtomicU64::new(0),
        }
    }

    pub fn accounts(accounts: Vec<Account>) -> Self {
        UserPool::Accounts(Mutex::new(accounts))
    }

    /// One user of `kind` for a scenario.
    pub async fn take(&self, kind: UserKind, target: &Target) -> Result<TestUser, String> {
        match self {
            UserPool::Load(pool) => pool.take(&[kind]).map(|mut users| users.remove(0)),
            UserPool::Created { nonce, next } => {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let digits = format!("{:04}{:04}", nonce, n % 10_000);
                let password = format!("Gc#Start{}", n % 97 + 3);
                if kind == UserKind::Unknown {
                    // Never created: a shape the gateway has never seen.
                    return Ok(TestUser {
                        identity: format!("+86134{digits}"),
                        password,
                        account: None,
                        kind,
                    });
                }
                let made = made_user("+86135", "gc", &digits, password, kind);
                create(target, &made).await?;
                Ok(made.user)
            }
            UserPool::Accounts(accounts) => {
                let mut accounts = accounts.lock();
                let position = accounts
                    .iter()
                    .position(|a| a.kind == kind)
                    .ok_or_else(|| format!("the profile has no unused {kind:?} test account left (add more under `accounts:`)"))?;
                let account = accounts.remove(position);
                Ok(TestUser {
                    identity: account.user,
                    password: account.password,
                    account: account.account,
                    kind,
                })
            }
        }
    }
}

/// A user to create: identity of `kind` from `digits`, with a phone, an e-mail address and an
/// account name made from them.
fn made_user(phone: &str, name: &str, digits: &str, password: String, kind: UserKind) -> Made {
    // Letters between the digits: no character three times in a row, so a password built from
    // the account name breaks only the rule a scenario means it to.
    let spaced: String = digits
        .chars()
        .zip("abcdefgh".chars())
        .flat_map(|(d, l)| [d, l])
        .collect();
    let account = format!("{name}{spaced}");
    let (phone, email) = (
        format!("{phone}{digits}"),
        format!("{account}@example.test"),
    );
    let identity = match kind {
        UserKind::Email => email.clone(),
        UserKind::Account => account.clone(),
        UserKind::Phone | UserKind::Unknown => phone.clone(),
    };
    let user = TestUser {
        identity,
        password,
        account: Some(account),
        kind,
    };
    Made { user, phone, email }
}

/// A user to create and the bindings it is created with.
#[derive(Clone)]
struct Made {
    user: TestUser,
    phone: String,
    email: String,
}

/// Creates (or replaces) `user` through `POST /test/v1/users`.
async fn create(target: &Target, made: &Made) -> Result<(), String> {
    let user = &made.user;
    let body = json!({"user": user.identity, "password": user.password, "phone": made.phone, "email": made.email, "account": user.account});
    let request = Prepared {
        method: hyper::Method::POST,
        path: crate::api::test_support::USERS.into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Some(body.to_string().into()),
    };
    let answer = target
        .send(&request)
        .await
        .map_err(|e| format!("cannot create a test user: {e}"))?;
    if answer.status != 201 && answer.status != 200 {
        return Err(format!(
            "cannot create a test user: the test-support endpoint answered {}",
            answer.status
        ));
    }
    Ok(())
}

/// Most users a load run creates, all shards together (the numbering has six digits for them).
pub const MAX_CREATED: u64 = 1_000_000;
/// Creation requests in flight at once.
const CREATE_CONCURRENCY: u64 = 32;

/// Creates `per_kind` users of each of `kinds` (unknown ones are never created) for this
/// slice through test support, `CREATE_CONCURRENCY` requests at a time. Load users are
/// `+86137`, a two-digit run nonce and the six-digit index of the whole run's numbering, so
/// shards' users never meet (a shard's indices are its slice) and a run meets another only
/// if both drew the same nonce at once.
pub async fn create_in_bulk(
    target: &Target,
    kinds: &[UserKind],
    per_kind: u64,
    slice: Slice,
) -> Result<Vec<TestUser>, String> {
    use rand::Rng;
    let kinds: Vec<UserKind> = kinds
        .iter()
        .copied()
        .filter(|k| *k != UserKind::Unknown)
        .collect();
    let total = per_kind.saturating_mul(kinds.len() as u64);
    if slice.global(total.saturating_sub(1)) >= MAX_CREATED {
        return Err(format!("{total} users to create for this shard, more than the {MAX_CREATED} a load run may create (all shards together)"));
    }
    let nonce = rand::rng().random_range(0..100u64);
    let users: std::sync::Arc<Vec<Made>> = std::sync::Arc::new(
        (0..total)
            .map(|k| {
                let digits = format!("{nonce:02}{:06}", slice.global(k));
                let password = format!("Gc#Load{}", k % 89 + 11);
                made_user(
                    "+86137",
                    "gcl",
                    &digits,
                    password,
                    kinds[(k % kinds.len() as u64) as usize],
                )
            })
            .collect(),
    );
    let next = std::sync::Arc::new(AtomicU64::new(0));
    let mut workers: tokio::task::JoinSet<Result<(), String>> = tokio::task::JoinSet::new();
    for _ in 0..CREATE_CONCURRENCY.min(total.max(1)) {
        let (target, users, next) = (target.clone(), users.clone(), next.clone());
        workers.spawn(async move {
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(user) = users.get(k) else {
                    return Ok(());
                };
                create(&target, user).await?;
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.map_err(|e| format!("a creation task failed: {e}"))??;
    }
    Ok(users.iter().map(|made| made.user.clone()).collect())
}

/// The scenario kind of a gateway identity kind.
pub fn kind_of(kind: IdentityKind) -> UserKind {
    match kind {
        IdentityKind::Phone => UserKind::Phone,
        IdentityKind::Email => UserKind::Email,
        IdentityKind::Account => UserKind::Account,
    }
}

impl From<&Account> for TestUser {
    fn from(account: &Account) -> Self {
        TestUser {
            identity: account.user.clone(),
            password: account.password.clone(),
            account: account.account.clone(),
            kind: account.kind,
        }
    }
}
