//! Test users for scenarios: created fresh through the test-support endpoint when the target
//! has it, otherwise taken from the profile's accounts. No two scenarios share a user.

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde_json::json;

use super::target::{Prepared, Target};
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

pub enum UserPool {
    /// Users made through `POST /test/v1/users`, unique to this run.
    Created { nonce: u64, next: AtomicU64 },
    /// The profile's accounts, each handed out once.
    Accounts(Mutex<Vec<Account>>),
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

    pub async fn take(&self, kind: UserKind, target: &Target) -> Result<TestUser, String> {
        match self {
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
