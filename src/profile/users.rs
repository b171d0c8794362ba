//! Where a load run's test users come from, as a profile or a file says: the profile's `users:`
//! section (a generated-user numbering the gateway serves, as vendors' test environments offer
//! one), its `accounts:` list, and an accounts file (`gatecheck load --accounts FILE`: CSV with
//! a header `user,password[,kind,account]`, or a YAML list like `accounts:`). Every error has
//! its file, line and column.

use marked_yaml::Node;

use super::{Account, UserKind};
use crate::yaml::diagnostic::{Diagnostic, FileErrors, Location};
use crate::yaml::{self, Errors};

/// A generated-user numbering (`users.generated`): user `i`, for `i` from `first` and `count`
/// of them, is `prefix`, `i` in `digits` digits (zero-padded), `suffix`, with `password`; of
/// `kind`; `account` is the account name's template (`{n}` is the same digits), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedUsers {
    pub prefix: String,
    pub suffix: String,
    pub digits: u32,
    pub first: u64,
    pub count: u64,
    pub password: String,
    pub kind: UserKind,
    pub account: Option<String>,
}

/// An accounts file (at most `input::Kind::Accounts`'s bytes) holds at most this many accounts (each costs a few hundred bytes while a run holds it).
pub const MAX_ACCOUNTS: usize = 1_000_000;

const GENERATED_KEYS: &[&str] = &[
    "prefix", "suffix", "digits", "first", "count", "password", "kind", "account",
];

/// The `users:` section: `{generated: {...}}`.
pub(super) fn decode_users(node: &Node, errors: &mut Errors) -> Option<GeneratedUsers> {
    let map = errors.mapping(node, "`users`")?;
    errors.known_keys(map, &["generated"], "`users`");
    decode_generated(map.get_node("generated")?, errors)
}

fn decode_generated(node: &Node, errors: &mut Errors) -> Option<GeneratedUsers> {
    let map = errors.mapping(node, "`users.generated`")?;
    errors.known_keys(map, GENERATED_KEYS, "`users.generated`");
    let mut text = |key: &str, default: Option<&str>| match map.get_node(key) {
        Some(n) => errors.string(n, &format!("`users.generated.{key}`")),
        None if default.is_some() => default.map(str::to_owned),
        None => {
            errors.at(node, format!("`users.generated` needs `{key}`"));
            None
        }
    };
    let prefix = text("prefix", None);
    let suffix = text("suffix", Some(""));
    let password = text("password", None);
    let kind_name = text("kind", Some("phone"));
    let account = map
        .get_node("account")
        .and_then(|n| errors.string(n, "`users.generated.account`"));
    // 18 digits: every index fits in a u64 with room to add.
    let digits = number(map, node, errors, "digits", 1, 18)?;
    let space = 10u64.pow(digits as u32);
    let first = number(map, node, errors, "first", 0, space - 1).unwrap_or(0);
    let count = number(map, node, errors, "count", 1, space - first)?;
    let kind = kind_name.and_then(|name| match UserKind::from_name(&name) {
        Some(UserKind::Unknown) | None => {
            errors.at(
                node,
                format!("`users.generated.kind` must be phone, email or account, not `{name}`"),
            );
            None
        }
        kind => kind,
    })?;
    if account.as_deref().is_some_and(|a| !a.contains("{n}")) {
        errors.at(
            node,
            "`users.generated.account` must hold `{n}` (the digits)",
        );
    }
    let (prefix, suffix) = (prefix?, suffix?);
    if let Some(problem) = shape_problem(kind, &prefix, &suffix) {
        errors.at(node, format!("`users.generated`: {problem}"));
    }
    Some(GeneratedUsers {
        prefix,
        suffix,
        digits: digits as u32,
        first,
        count,
        password: password?,
        kind,
        account,
    })
}

/// A whole number of `users.generated` from `min` to `max`; missing is an error unless `first`.
fn number(
    map: &marked_yaml::types::MarkedMappingNode,
    parent: &Node,
    errors: &mut Errors,
    key: &str,
    min: u64,
    max: u64,
) -> Option<u64> {
    let what = format!("`users.generated.{key}`");
    let Some(node) = map.get_node(key) else {
        if key != "first" {
            errors.at(parent, format!("`users.generated` needs `{key}`"));
        }
        return None;
    };
    let value = errors.integer(node, &what)?;
    match u64::try_from(value) {
        Ok(v) if (min..=max).contains(&v) => Some(v),
        _ => {
            errors.at(
                node,
                format!("{what} must be from {min} to {max}, not {value}"),
            );
            None
        }
    }
}

/// Why identities of this shape are not of `kind`, as a gateway tells them apart by their text.
fn shape_problem(kind: UserKind, prefix: &str, suffix: &str) -> Option<&'static str> {
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let has_at = prefix.contains('@') || suffix.contains('@');
    match kind {
        UserKind::Phone if !suffix.is_empty() => Some("a phone number has no `suffix`"),
        UserKind::Phone if !digits_only(prefix.strip_prefix('+').unwrap_or(prefix)) => {
            Some("a phone number's `prefix` is digits (after an optional `+`)")
        }
        UserKind::Email if !has_at => {
            Some("an e-mail address needs an `@` in `prefix` or `suffix`")
        }
        UserKind::Account if has_at || (digits_only(prefix) && digits_only(suffix)) => {
            Some("an account name needs a letter in `prefix` or `suffix`, and no `@`")
        }
        _ => None,
    }
}

/// A list of accounts (`accounts:` of a profile, or an accounts file in YAML).
pub(super) fn decode_accounts(node: &Node, errors: &mut Errors) -> Vec<Account> {
    let Node::Sequence(items) = node else {
        errors.at(node, "`accounts` must be a list");
        return Vec::new();
    };
    if items.len() > MAX_ACCOUNTS {
        errors.at(
            node,
            format!("at most {MAX_ACCOUNTS} accounts, not {}", items.len()),
        );
        return Vec::new();
    }
    items
        .iter()
        .filter_map(|item| decode_account(item, errors))
        .collect()
}

fn decode_account(item: &Node, errors: &mut Errors) -> Option<Account> {
    let map = errors.mapping(item, "an account")?;
    errors.known_keys(map, &["user", "password", "kind", "account"], "an account");
    let mut text = |key: &str| {
        map.get_node(key)
            .and_then(|n| errors.string(n, &format!("`{key}`")))
    };
    let (user, password, kind, account) = (
        text("user"),
        text("password"),
        text("kind"),
        text("account"),
    );
    let kind = match kind {
        None => Some(UserKind::Phone),
        Some(name) => {
            let kind = UserKind::from_name(&name);
            if kind.is_none() {
                errors.at(item, format!("unknown user kind `{name}`"));
            }
            kind
        }
    };
    match (user, password, kind) {
        (Some(user), Some(password), Some(kind)) => Some(Account {
            user,
            password,
            kind,
            account,
        }),
        // The kind was reported above.
        (Some(_), Some(_), None) => None,
        _ => {
            errors.at(item, "an account needs `user` and `password`");
            None
        }
    }
}

/// An accounts file: CSV when its name ends in `.csv`, else a YAML list of accounts.
pub fn parse_accounts_file(path: &str, text: &str) -> Result<Vec<Account>, FileErrors> {
    if path.ends_with(".csv") {
        let mut errors = Errors::default();
        let accounts = super::accounts_csv::decode(text, &mut errors);
        return errors.finish(path, &super::accounts_csv::passwords_hidden(text), accounts);
    }
    let root = yaml::parse_list(path, text)?;
    let mut errors = Errors::default();
    let accounts = decode_accounts(&root, &mut errors);
    if accounts.is_empty() && errors.list.is_empty() {
        errors.push(Diagnostic::new(
            Location::new(1, 1),
            1,
            "no accounts in the file",
        ));
    }
    errors.finish(path, text, accounts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Profile, REFERENCE_YAML};

    const REFERENCE: &str = r#"generated: {prefix: "+86139", digits: 8, first: 0, count: 50000000, password: "Load#Pass2026", kind: phone, account: "load{n}"}"#;

    fn with(generated: &str) -> Result<Profile, String> {
        assert!(REFERENCE_YAML.contains(REFERENCE));
        let text = REFERENCE_YAML.replace(REFERENCE, generated);
        Profile::parse("p.yaml", &text).map_err(|e| e.to_string())
    }

    #[test]
    fn the_reference_numbering_is_stated_and_another_is_read() {
        let reference = Profile::reference().generated.expect("stated");
        assert_eq!(
            (reference.prefix.as_str(), reference.digits, reference.count),
            ("+86139", 8, 50_000_000)
        );
        let vendor = with(r#"generated: {prefix: "qa.", suffix: "@v.test", digits: 5, first: 7, count: 10, password: "P#w0rd12", kind: email}"#)
            .expect("valid");
        let g = vendor.generated.expect("generated");
        assert_eq!(
            (g.kind, g.first, g.count, g.account),
            (UserKind::Email, 7, 10, None)
        );
    }

    #[test]
    fn out_of_range_and_misshapen_numberings_are_refused() {
        let base = r#"prefix: "+86139", password: "P#w0rd12""#;
        let cases = [
            (
                format!("{{{base}, digits: 0, count: 1}}"),
                "`users.generated.digits` must be from 1 to 18, not 0",
            ),
            (
                format!("{{{base}, digits: 19, count: 1}}"),
                "must be from 1 to 18, not 19",
            ),
            (
                format!("{{{base}, digits: 2, first: 90, count: 11}}"),
                "`users.generated.count` must be from 1 to 10, not 11",
            ),
            (
                format!("{{{base}, digits: 2, count: 0}}"),
                "must be from 1 to 100, not 0",
            ),
            (
                format!("{{{base}, digits: 2, count: 5, kind: email}}"),
                "needs an `@`",
            ),
            (
                format!("{{{base}, digits: 2, count: 5, kind: unknown}}"),
                "must be phone, email or account",
            ),
            (
                format!("{{{base}, digits: 2, count: 5, account: load}}"),
                "must hold `{n}`",
            ),
            (
                format!("{{{base}, digits: 2, count: 5, sufix: x}}"),
                "did you mean `suffix`?",
            ),
            (
                "{prefix: \"+1\", digits: 2}".to_owned(),
                "`users.generated` needs `password`",
            ),
        ];
        for (generated, message) in cases {
            let errors = with(&format!("generated: {generated}")).expect_err(&generated);
            assert!(errors.contains(message), "{generated}: {errors}");
        }
    }

    #[test]
    fn an_accounts_file_in_yaml_names_the_place() {
        let good = "- {user: \"+8613600000000\", password: \"Init#Pass00\"}\n- {user: acct_user4, password: \"Init#Pass05\", kind: account}\n";
        let accounts = parse_accounts_file("a.yaml", good).expect("valid");
        assert_eq!(accounts[1].kind, UserKind::Account);
        let bad = "- {user: a, password: b}\n- {user: c, kind: mail, password: d}\n";
        let error = parse_accounts_file("a.yaml", bad)
            .expect_err("bad kind")
            .to_string();
        assert!(error.contains("a.yaml:2:"), "{error}");
        assert!(error.contains("unknown user kind `mail`"), "{error}");
        let error = parse_accounts_file("a.yaml", "[]")
            .expect_err("empty")
            .to_string();
        assert!(error.contains("no accounts"), "{error}");
    }
}
