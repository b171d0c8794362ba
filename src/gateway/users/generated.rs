//! Generated users: a vendor-style numbering served without memory until a reset changes one
//! (`changed` keeps those).

use super::{Bindings, IdentityKind};

/// The password every generated user starts with (the reference numbering).
pub const GENERATED_PASSWORD: &str = "Load#Pass2026";
/// Generated user `i` is `+86139` followed by `i` in 8 digits; its account name is `load` + the same digits.
pub const GENERATED_PHONE_PREFIX: &str = "+86139";
pub const GENERATED_ACCOUNT_PREFIX: &str = "load";

/// A numbering of generated users, as vendors' test environments offer one: user `i` (from
/// `first`, `count` of them) is `prefix`, `i` in `digits` digits, `suffix`; it is known by that
/// identity (of `kind`) and, with `account`, by the account name the template gives (`{n}` is
/// the same digits). The one place such names are made and read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedUsers {
    pub prefix: String,
    pub suffix: String,
    pub digits: u32,
    pub first: u64,
    pub count: u64,
    pub password: String,
    pub kind: IdentityKind,
    pub account: Option<String>,
}

impl GeneratedUsers {
    /// The reference gateway's numbering: `+86139` and 8 digits, account `load` + the digits.
    pub fn reference(count: u64) -> Self {
        Self {
            prefix: GENERATED_PHONE_PREFIX.into(),
            suffix: String::new(),
            digits: 8,
            first: 0,
            count,
            password: GENERATED_PASSWORD.into(),
            kind: IdentityKind::Phone,
            account: Some(format!("{GENERATED_ACCOUNT_PREFIX}{{n}}")),
        }
    }

    fn number(&self, index: u64) -> String {
        format!("{index:0width$}", width = self.digits as usize)
    }

    /// The identity of user `index` (an index from `first`).
    pub fn identity(&self, index: u64) -> String {
        format!("{}{}{}", self.prefix, self.number(index), self.suffix)
    }

    /// The account name bound to user `index`, if the numbering gives one.
    pub fn account(&self, index: u64) -> Option<String> {
        let template = self.account.as_ref()?;
        Some(template.replace("{n}", &self.number(index)))
    }

    /// Which user `name` is (its identity or its account name), if it is one of these.
    pub fn index_of(&self, name: &str) -> Option<u64> {
        let by_identity = Self::read(name, &self.prefix, &self.suffix, self.digits);
        let by_account = || {
            let (before, after) = self.account.as_deref()?.split_once("{n}")?;
            Self::read(name, before, after, self.digits)
        };
        let index = by_identity.or_else(by_account)?;
        (index >= self.first && index - self.first < self.count).then_some(index)
    }

    fn read(name: &str, before: &str, after: &str, digits: u32) -> Option<u64> {
        let number = name.strip_prefix(before)?.strip_suffix(after)?;
        if number.len() != digits as usize || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        number.parse().ok()
    }

    pub(super) fn bindings(&self, index: u64) -> Bindings {
        let identity = Some(self.identity(index));
        let account = self.account(index);
        match self.kind {
            IdentityKind::Phone => Bindings {
                phone: identity,
                email: None,
                account,
            },
            IdentityKind::Email => Bindings {
                phone: None,
                email: identity,
                account,
            },
            IdentityKind::Account => Bindings {
                phone: None,
                email: None,
                account: identity,
            },
        }
    }
}
