//! The user directory: built-in users, users from a file or the test-support endpoint, and
//! generated users for load runs. Generated users cost no memory until a reset changes one.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use parking_lot::RwLock;
use serde::Deserialize;

mod changed;
mod generated;
mod record;

pub use changed::{ChangedUsers, Known};
pub use generated::{
    GeneratedUsers, GENERATED_ACCOUNT_PREFIX, GENERATED_PASSWORD, GENERATED_PHONE_PREFIX,
};

use super::password::PasswordHash;

/// A user as the `--users` file and `POST /test/v1/users` describe one.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    pub user: String,
    pub password: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub account: Option<String>,
}

/// The users every reference gateway starts with (README lists them).
pub fn builtin_users() -> Vec<UserSpec> {
    let spec =
        |user: &str, password: &str, phone: Option<&str>, email: Option<&str>, account: &str| {
            UserSpec {
                user: user.into(),
                password: password.into(),
                phone: phone.map(Into::into),
                email: email.map(Into::into),
                account: Some(account.into()),
            }
        };
    vec![
        spec(
            "+8613600000000",
            "Init#Pass00",
            Some("+8613600000000"),
            None,
            "phone_user0",
        ),
        spec(
            "+8613600000001",
            "Init#Pass01",
            Some("+8613600000001"),
            Some("phone1@example.com"),
            "phone_user1",
        ),
        spec(
            "user001@example.com",
            "Init#Pass02",
            None,
            Some("user001@example.com"),
            "mail_user1",
        ),
        spec(
            "user002@example.com",
            "Init#Pass03",
            Some("+8613600000002"),
            Some("user002@example.com"),
            "mail_user2",
        ),
        spec(
            "acct_user3",
            "Init#Pass04",
            Some("+8613600000003"),
            Some("acct3@example.com"),
            "acct_user3",
        ),
        spec(
            "acct_user4",
            "Init#Pass05",
            Some("+8613600000004"),
            None,
            "acct_user4",
        ),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    Phone,
    Email,
    Account,
}

/// What shape of identity a `user` string has; decided by its text alone, so known and unknown
/// users are treated alike.
pub fn identity_kind(user: &str) -> IdentityKind {
    let digits = user.strip_prefix('+').unwrap_or(user);
    if digits.len() >= 5 && digits.bytes().all(|b| b.is_ascii_digit()) {
        IdentityKind::Phone
    } else if user.contains('@') {
        IdentityKind::Email
    } else {
        IdentityKind::Account
    }
}

/// Where a user's codes go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bindings {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub account: Option<String>,
}

#[derive(Debug, Clone)]
struct Record {
    bindings: Bindings,
    password: PasswordHash,
    temporary_password: bool,
}

#[derive(Debug)]
pub struct Directory {
    inner: RwLock<Inner>,
    generated: GeneratedUsers,
    generated_hash: PasswordHash,
}

#[derive(Debug)]
struct Inner {
    records: Vec<Record>,
    index: HashMap<String, usize>,
    /// Records the gateway started with (built-in and `--users`); the rest were created.
    initial: usize,
    changed: ChangedUsers,
}

/// The test-support user store is at its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full(pub usize);

/// How many users each part of the directory holds (memory checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectorySizes {
    pub records: usize,
    pub created: usize,
    pub changed_generated: usize,
    pub forgotten_generated: u64,
}

impl Directory {
    /// The directory of `users`, the `generated` numbering, and at most `max_changed`
    /// generated users' changed passwords remembered.
    pub fn new(
        users: impl IntoIterator<Item = UserSpec>,
        generated: GeneratedUsers,
        max_changed: usize,
    ) -> Self {
        let directory = Self {
            inner: RwLock::new(Inner {
                records: Vec::new(),
                index: HashMap::new(),
                initial: 0,
                changed: ChangedUsers::new(max_changed),
            }),
            generated_hash: PasswordHash::new(&generated.password),
            generated,
        };
        for user in users {
            directory.upsert(&user);
        }
        let mut inner = directory.inner.write();
        inner.initial = inner.records.len();
        drop(inner);
        directory
    }

    /// `upsert` for test support: a new user past `cap` created ones is refused (replacing
    /// one is not counted). The count is checked under the lock that inserts, so concurrent
    /// creations cannot pass it together.
    pub fn create(&self, spec: &UserSpec, cap: usize) -> Result<(), Full> {
        let record = Record::of(spec);
        let mut inner = self.inner.write();
        let created = inner.records.len() - inner.initial;
        if created >= cap && !inner.index.contains_key(&spec.user) {
            return Err(Full(cap));
        }
        inner.insert(&spec.user, record);
        Ok(())
    }

    pub fn sizes(&self) -> DirectorySizes {
        let inner = self.inner.read();
        let (changed, forgotten) = inner.changed.counts();
        DirectorySizes {
            records: inner.records.len(),
            created: inner.records.len() - inner.initial,
            changed_generated: changed,
            forgotten_generated: forgotten,
        }
    }

    /// Creates or replaces the user named `spec.user`.
    pub fn upsert(&self, spec: &UserSpec) {
        let record = Record::of(spec);
        self.inner.write().insert(&spec.user, record);
    }

    /// The bindings of the user known by `identity` (phone, e-mail or account name).
    pub fn bindings(&self, identity: &str) -> Option<Bindings> {
        let inner = self.inner.read();
        match inner.index.get(identity) {
            Some(&id) => Some(inner.records[id].bindings.clone()),
            None => self
                .generated_index(identity)
                .map(|i| self.generated.bindings(i)),
        }
    }

    pub fn exists(&self, identity: &str) -> bool {
        self.inner.read().index.contains_key(identity) || self.generated_index(identity).is_some()
    }

    /// Sets a new password; returns false for an unknown user. A generated user's change is
    /// kept by its index alone (its names follow from the numbering).
    pub fn set_password(&self, identity: &str, password: &str, temporary: bool) -> bool {
        let hash = PasswordHash::new(password);
        let mut inner = self.inner.write();
        match inner.index.get(identity) {
            Some(&id) => {
                let record = &mut inner.records[id];
                record.password = hash;
                record.temporary_password = temporary;
                true
            }
            None => match self.generated_index(identity) {
                Some(i) => {
                    inner.changed.set(i, hash, temporary);
                    true
                }
                None => false,
            },
        }
    }

    /// Checks a login. `Some(temporary)` when the password is right.
    pub fn verify(&self, identity: &str, password: &str) -> Option<bool> {
        let inner = self.inner.read();
        let (hash, temporary) = match inner.index.get(identity) {
            Some(&id) => (
                &inner.records[id].password,
                inner.records[id].temporary_password,
            ),
            None => match inner.changed.get(self.generated_index(identity)?) {
                Known::Unchanged => (&self.generated_hash, false),
                Known::Changed(hash, temporary) => (hash, temporary),
                Known::Forgotten => return None,
            },
        };
        hash.verify(password).then_some(temporary)
    }

    /// Which generated user `identity` names, if any.
    fn generated_index(&self, identity: &str) -> Option<u64> {
        self.generated.index_of(identity)
    }
}

impl Bindings {
    fn names(&self) -> impl Iterator<Item = &str> {
        [&self.phone, &self.email, &self.account]
            .into_iter()
            .filter_map(|name| name.as_deref())
    }
}

/// `+8613600000001` → `+8613*******01`: the first five and last two characters stay.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let mut masked: String = chars[..5].iter().collect();
    masked.extend(std::iter::repeat_n('*', chars.len() - 7));
    masked.extend(&chars[chars.len() - 2..]);
    masked
}

/// `user001@example.com` → `us****@example.com`; the stars do not tell the length.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let keep: String = local.chars().take(2).collect();
            format!("{keep}****@{domain}")
        }
        None => "****".to_owned(),
    }
}

/// A plausible, stable phone number for a destination that does not exist, so an unknown user
/// (or one without that binding) gets an answer shaped like everyone else's.
pub fn made_up_phone(seed: &str) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    seed.hash(&mut hasher);
    format!("+86138{:08}", hasher.finish() % 100_000_000)
}

/// A plausible, stable e-mail address for a destination that does not exist.
pub fn made_up_email(seed: &str) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    seed.hash(&mut hasher);
    format!("u{:06}@example.com", hasher.finish() % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_kinds() {
        assert_eq!(identity_kind("+8613600000001"), IdentityKind::Phone);
        assert_eq!(identity_kind("13600000001"), IdentityKind::Phone);
        assert_eq!(identity_kind("user001@example.com"), IdentityKind::Email);
        assert_eq!(identity_kind("zhangsan"), IdentityKind::Account);
        assert_eq!(identity_kind("+86"), IdentityKind::Account);
    }

    #[test]
    fn masks_match_the_vendor_example() {
        assert_eq!(mask_phone("+8613600000001"), "+8613*******01");
        assert_eq!(mask_email("user001@example.com"), "us****@example.com");
    }

    #[test]
    fn users_are_found_by_every_binding_and_replaced_whole() {
        let directory = Directory::new(builtin_users(), GeneratedUsers::reference(0), 10);
        let by_phone = directory.bindings("+8613600000003").expect("phone");
        let by_account = directory.bindings("acct_user3").expect("account");
        assert_eq!(by_phone, by_account);
        assert!(directory
            .verify("acct3@example.com", "Init#Pass04")
            .is_some());
        directory.upsert(&UserSpec {
            user: "acct_user3".into(),
            password: "Other#Pass1".into(),
            phone: None,
            email: None,
            account: None,
        });
        assert!(!directory.exists("+8613600000003"));
        assert!(directory.verify("acct_user3", "Other#Pass1").is_some());
    }

    #[test]
    fn generated_users_exist_lazily_and_keep_their_reset() {
        let directory = Directory::new([], GeneratedUsers::reference(10), 10);
        assert!(directory.exists("+8613900000009"));
        assert!(!directory.exists("+8613900000010"));
        assert!(directory
            .verify("load00000009", GENERATED_PASSWORD)
            .is_some());
        assert!(directory.set_password("+8613900000009", "New#Pass99", true));
        assert_eq!(directory.verify("load00000009", "New#Pass99"), Some(true));
        assert_eq!(directory.verify("+8613900000009", GENERATED_PASSWORD), None);
        assert!(!directory.set_password("nobody", "New#Pass99", false));
    }

    #[test]
    fn another_numbering_is_served_and_nothing_else() {
        let pattern = GeneratedUsers {
            prefix: "qa+".into(),
            suffix: "@vendor.test".into(),
            digits: 5,
            first: 100,
            count: 3,
            password: "Vendor#Pw1".into(),
            kind: IdentityKind::Email,
            account: Some("qa{n}x".into()),
        };
        let directory = Directory::new([], pattern.clone(), 10);
        assert_eq!(pattern.identity(101), "qa+00101@vendor.test");
        assert!(directory.exists("qa+00100@vendor.test"));
        assert!(directory.exists("qa00102x"));
        assert!(!directory.exists("qa+00103@vendor.test"), "past count");
        assert!(!directory.exists("qa+00099@vendor.test"), "before first");
        assert!(!directory.exists("qa+0101@vendor.test"), "wrong width");
        assert!(
            !directory.exists("+8613900000000"),
            "the reference numbering"
        );
        let bindings = directory.bindings("qa00101x").expect("by account");
        assert_eq!(bindings.email.as_deref(), Some("qa+00101@vendor.test"));
        assert!(directory
            .verify("qa+00101@vendor.test", "Vendor#Pw1")
            .is_some());
        assert!(directory
            .verify("qa+00101@vendor.test", GENERATED_PASSWORD)
            .is_none());
    }

    fn spec(user: &str) -> UserSpec {
        UserSpec {
            user: user.into(),
            password: "Made#Pass1".into(),
            phone: None,
            email: None,
            account: None,
        }
    }

    #[test]
    fn created_users_stop_at_the_cap_but_replacing_one_still_works() {
        let directory = Directory::new(builtin_users(), GeneratedUsers::reference(0), 10);
        assert!(directory.create(&spec("+8613500000001"), 2).is_ok());
        assert!(directory.create(&spec("+8613500000002"), 2).is_ok());
        assert_eq!(directory.create(&spec("+8613500000003"), 2), Err(Full(2)));
        assert!(!directory.exists("+8613500000003"));
        assert!(
            directory.create(&spec("+8613500000001"), 2).is_ok(),
            "a replacement"
        );
        assert_eq!(directory.sizes().created, 2);
        assert_eq!(directory.sizes().records, builtin_users().len() + 2);
    }

    #[test]
    fn changed_generated_users_are_bounded_and_a_forgotten_one_opens_to_no_password() {
        let directory = Directory::new([], GeneratedUsers::reference(1000), 3);
        for i in 0..10u64 {
            assert!(directory.set_password(&format!("+86139{i:08}"), "New#Pass99", false));
        }
        let sizes = directory.sizes();
        assert_eq!((sizes.records, sizes.changed_generated), (0, 3));
        assert_eq!(sizes.forgotten_generated, 7);
        assert_eq!(
            directory.verify("+8613900000009", "New#Pass99"),
            Some(false)
        );
        assert_eq!(directory.verify("+8613900000000", "New#Pass99"), None);
        assert_eq!(directory.verify("+8613900000000", GENERATED_PASSWORD), None);
        assert!(
            directory.exists("+8613900000000"),
            "it may still reset its password"
        );
        assert!(directory.set_password("+8613900000000", "Again#Pass1", false));
        assert_eq!(directory.verify("load00000000", "Again#Pass1"), Some(false));
        assert_eq!(
            directory.verify("+8613900000011", GENERATED_PASSWORD),
            Some(false)
        );
    }
}
