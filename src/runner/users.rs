//! Where test users come from. A conformance run makes them fresh through the test-support
//! endpoint when the target has it, or hands out each of the profile's accounts once, so no two
//! scenarios share a user. A load run takes the reference gateway's generated users (a new one
//! per flow) or the profile's accounts in turn; a shard takes only its own slice of either.

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde_json::json;

use super::target::{Prepared, Target};
use crate::gateway::users::{GENERATED_ACCOUNT_PREFIX, GENERATED_PASSWORD, GENERATED_PHONE_PREFIX};
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
    /// The reference gateway's generated users, a new one each time.
    Generated { next: AtomicU64, slice: Slice },
    /// The slice's accounts taken in turn (made-up identities when there are none).
    InTurn {
        accounts: Vec<TestUser>,
        next: AtomicU64,
        slice: Slice,
    },
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

    pub fn generated(slice: Slice) -> Self {
        UserPool::Generated {
            next: AtomicU64::new(0),
            slice,
        }
    }

    /// The accounts of `slice`, taken in turn; an error when the slice has none of its own.
    pub fn in_turn(accounts: &[Account], slice: Slice) -> Result<Self, String> {
        let own: Vec<TestUser> = accounts
            .iter()
            .skip(slice.index as usize)
            .step_by(slice.count.max(1) as usize)
            .map(TestUser::from)
            .collect();
        if own.is_empty() && !accounts.is_empty() {
            return Err(format!(
                "shard {}/{} has no test account of its own: the profile lists {}, fewer than the {} shards",
                slice.index,
                slice.count,
                accounts.len(),
                slice.count
            ));
        }
        Ok(UserPool::InTurn {
            accounts: own,
            next: AtomicU64::new(0),
            slice,
        })
    }

    /// Users for one flow of a load run, without a request: generated or in turn.
    pub fn take_now(&self, count: usize) -> Option<Vec<TestUser>> {
        let next_of = |next: &AtomicU64| next.fetch_add(1, Ordering::Relaxed);
        match self {
            UserPool::Generated { next, slice } => Some(
                (0..count)
                    .map(|_| generated(slice.global(next_of(next)) % EMBEDDED_USERS))
                    .collect(),
            ),
            UserPool::InTurn { accounts, next, .. } if !accounts.is_empty() => Some(
                (0..count)
                    .map(|_| accounts[next_of(next) as usize % accounts.len()].clone())
                    .collect(),
            ),
            // No accounts listed: made-up identities, enough for scenarios that need no real user.
            UserPool::InTurn { next, slice, .. } => Some(
                (0..count)
                    .map(|_| TestUser {
                        identity: format!("+86138{:08}", slice.global(next_of(next)) % 100_000_000),
                        password: GENERATED_PASSWORD.to_owned(),
                        account: None,
                        kind: UserKind::Unknown,
                    })
                    .collect(),
            ),
            UserPool::Created { .. } | UserPool::Accounts(_) => None,
        }
    }

    /// One user of `kind` for a scenario.
    pub async fn take(&self, kind: UserKind, target: &Target) -> Result<TestUser, String> {
        match self {
            UserPool::Generated { .. } | UserPool::InTurn { .. } => self
                .take_now(1)
                .and_then(|mut users| users.pop())
                .ok_or_else(|| "no user".to_owned()),
            UserPool::Created { nonce, next } => {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let digits = format!("{:04}{:04}", nonce, n % 10_000);
                let phone = format!("+86135{digits}");
                // Letters between the digits: no character three times in a row, so a password
                // built from the account name breaks only the rule a scenario means it to.
                let spaced: String = digits
                    .chars()
                    .zip("abcdefgh".chars())
                    .flat_map(|(d, l)| [d, l])
                    .collect();
                let account = format!("gc{spaced}");
                let email = format!("gc{spaced}@example.test");
                let password = format!("Gc#Start{}", n % 97 + 3);
                let identity = match kind {
                    UserKind::Phone => phone.clone(),
                    UserKind::Email => email.clone(),
                    UserKind::Account => account.clone(),
                    // Never created: a shape the gateway has never seen.
                    UserKind::Unknown => {
                        return Ok(TestUser {
                            identity: format!("+86134{digits}"),
                            password,
                            account: None,
                            kind,
                        })
                    }
                };
                let body = json!({"user": identity, "password": password, "phone": phone, "email": email, "account": account});
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
                Ok(TestUser {
                    identity,
                    password,
                    account: Some(account),
                    kind,
                })
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

/// The embedded gateway's generated user number `i`.
fn generated(i: u64) -> TestUser {
    TestUser {
        identity: format!("{GENERATED_PHONE_PREFIX}{i:08}"),
        password: GENERATED_PASSWORD.to_owned(),
        account: Some(format!("{GENERATED_ACCOUNT_PREFIX}{i:08}")),
        kind: UserKind::Phone,
    }
}
