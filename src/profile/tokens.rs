//! The `tokens:` section of a profile: what a gateway does with T1, T2 and the code where the
//! API is silent (`docs/choices.md` K4, K6, K7, D5, D8, V5, S10). Every field defaults to the
//! reference gateway's choice, so a profile without the section means what it meant before.
//! `burns.t1_on_mismatch` stays meaningful: "the first wrong answer uses T1 up", which is
//! `t1_tries: 1`; off without `t1_tries` is the old "T1 may be tried again", unlimited tries.

use marked_yaml::Node;
use serde_json::{json, Value};

use super::decode::bounded;
use crate::yaml::Errors;

/// What a code checked for user B does to the pending code of user A when it is A's (V5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherUserCode {
    /// A's code is untouched (the reference gateway).
    Intact,
    /// It counts as one wrong check against A's code.
    Counts,
    /// A's code is used up.
    UsedUp,
}

impl OtherUserCode {
    pub const NAMES: &'static [&'static str] = &["intact", "counts", "used_up"];

    pub fn name(self) -> &'static str {
        match self {
            OtherUserCode::Intact => "intact",
            OtherUserCode::Counts => "counts",
            OtherUserCode::UsedUp => "used_up",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "intact" => OtherUserCode::Intact,
            "counts" => OtherUserCode::Counts,
            "used_up" => OtherUserCode::UsedUp,
            _ => return None,
        })
    }
}

/// What one resend interval covers (D4): sends for one user string, to one destination (a
/// phone number or mailbox, whichever user string names it), or for one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResendScope {
    User,
    Destination,
    Account,
}

impl ResendScope {
    pub const NAMES: &'static [&'static str] = &["user", "destination", "account"];

    pub fn name(self) -> &'static str {
        match self {
            ResendScope::User => "user",
            ResendScope::Destination => "destination",
            ResendScope::Account => "account",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "user" => ResendScope::User,
            "destination" => ResendScope::Destination,
            "account" => ResendScope::Account,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenChoices {
    /// Checks of one T1 with a wrong answer before it is used up (K4); `None`: unlimited.
    pub t1_tries: Option<u32>,
    /// T1 is bound to `clientType` and `checkType` as well as to the user (K6).
    pub t1_bound_to_client: bool,
    /// A check_captcha body that parses but has a field missing or out of range uses up the
    /// live T1 it carries (K7).
    pub t1_consumed_by_invalid_body: bool,
    /// A send_code refused for the resend interval uses its T2 up (D5).
    pub t2_consumed_by_too_frequent: bool,
    /// A new send resets the wrong-check counter (else the new code inherits the live pending
    /// code's count) (D8).
    pub new_code_resets_counter: bool,
    /// V5.
    pub other_user_code: OtherUserCode,
    /// Call 1 for a user uses up that user's pending T1s (else a new T1 lives beside them)
    /// (S10).
    pub new_captcha_replaces: bool,
    /// A successful use uses the token up (else it is reusable until it expires; failed uses
    /// burn it as the other fields say) (K8, D7, V7, R9).
    pub single_use: SingleUse,
    /// D4.
    pub resend_scope: ResendScope,
}

/// Which of T1, T2, the code and T3 a successful use consumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SingleUse {
    pub t1: bool,
    pub t2: bool,
    pub code: bool,
    pub t3: bool,
}

impl Default for TokenChoices {
    fn default() -> Self {
        Self {
            t1_tries: Some(1),
            t1_bound_to_client: true,
            t1_consumed_by_invalid_body: false,
            t2_consumed_by_too_frequent: true,
            new_code_resets_counter: true,
            other_user_code: OtherUserCode::Intact,
            new_captcha_replaces: false,
            single_use: SingleUse {
                t1: true,
                t2: true,
                code: true,
                t3: true,
            },
            resend_scope: ResendScope::User,
        }
    }
}

const KEYS: &[&str] = &[
    "t1_tries",
    "t1_bound_to_client",
    "t1_consumed_by_invalid_body",
    "t2_consumed_by_too_frequent",
    "new_code_resets_counter",
    "other_user_code",
    "new_captcha_replaces",
    "t1_single_use",
    "t2_single_use",
    "code_single_use",
    "t3_single_use",
    "resend_scope",
];

impl TokenChoices {
    /// As templates and `requires:` see it. `t1_tries` is 0 when unlimited, so read it with
    /// `tokens.t1_tries_limited`; `other_user_code_is.NAME` is the V5 choice as switches.
    pub fn to_value(&self) -> Value {
        json!({
            "t1_tries": self.t1_tries.unwrap_or(0),
            "t1_tries_limited": self.t1_tries.is_some(),
            "t1_bound_to_client": self.t1_bound_to_client,
            "t1_consumed_by_invalid_body": self.t1_consumed_by_invalid_body,
            "t2_consumed_by_too_frequent": self.t2_consumed_by_too_frequent,
            "new_code_resets_counter": self.new_code_resets_counter,
            "other_user_code": self.other_user_code.name(),
            "other_user_code_is": switches(OtherUserCode::NAMES, self.other_user_code.name()),
            "new_captcha_replaces": self.new_captcha_replaces,
            "t1_single_use": self.single_use.t1,
            "t2_single_use": self.single_use.t2,
            "code_single_use": self.single_use.code,
            "t3_single_use": self.single_use.t3,
            "resend_scope": self.resend_scope.name(),
            "resend_scope_is": switches(ResendScope::NAMES, self.resend_scope.name()),
        })
    }
}

/// The `tokens:` section (`node`, if any), with `burns.t1_on_mismatch` (in `burns`, if any)
/// read into `t1_tries` when the section does not say.
pub(super) fn decode(
    node: Option<&Node>,
    burns: Option<&Node>,
    errors: &mut Errors,
) -> TokenChoices {
    let mut choices = TokenChoices::default();
    let burns_t1 = burns
        .and_then(|b| b.as_mapping())
        .and_then(|b| b.get_node("t1_on_mismatch"));
    let first_burns = burns_t1.and_then(|n| match n {
        Node::Scalar(s) => s.as_bool(),
        _ => None,
    });
    if first_burns == Some(false) {
        choices.t1_tries = None;
    }
    let Some(node) = node else {
        return choices;
    };
    let Some(map) = errors.mapping(node, "`tokens`") else {
        return choices;
    };
    errors.known_keys(map, KEYS, "`tokens`");
    if let Some(n) = map.get_node("t1_tries") {
        choices.t1_tries = t1_tries(n, errors).unwrap_or(choices.t1_tries);
        let agrees = first_burns.is_none_or(|burns| burns == (choices.t1_tries == Some(1)));
        if !agrees {
            errors.at(
                n,
                "`tokens.t1_tries` disagrees with `burns.t1_on_mismatch` (on means `t1_tries: 1`); \
                 drop one of them",
            );
        }
    }
    let mut switch = |key: &str, into: &mut bool| {
        if let Some(n) = map.get_node(key) {
            *into = errors
                .boolean(n, &format!("`tokens.{key}`"))
                .unwrap_or(*into);
        }
    };
    switch("t1_bound_to_client", &mut choices.t1_bound_to_client);
    switch(
        "t1_consumed_by_invalid_body",
        &mut choices.t1_consumed_by_invalid_body,
    );
    switch(
        "t2_consumed_by_too_frequent",
        &mut choices.t2_consumed_by_too_frequent,
    );
    switch(
        "new_code_resets_counter",
        &mut choices.new_code_resets_counter,
    );
    switch("new_captcha_replaces", &mut choices.new_captcha_replaces);
    switch("t1_single_use", &mut choices.single_use.t1);
    switch("t2_single_use", &mut choices.single_use.t2);
    switch("code_single_use", &mut choices.single_use.code);
    switch("t3_single_use", &mut choices.single_use.t3);
    if let Some(n) = map.get_node("other_user_code") {
        let names = OtherUserCode::NAMES;
        let parsed = one_of(
            n,
            errors,
            "other_user_code",
            names,
            OtherUserCode::from_name,
        );
        choices.other_user_code = parsed.unwrap_or(choices.other_user_code);
    }
    if let Some(n) = map.get_node("resend_scope") {
        let names = ResendScope::NAMES;
        let parsed = one_of(n, errors, "resend_scope", names, ResendScope::from_name);
        choices.resend_scope = parsed.unwrap_or(choices.resend_scope);
    }
    choices
}

/// Each of `names` as a switch, on for `chosen` only.
fn switches(names: &[&str], chosen: &str) -> Value {
    let map: serde_json::Map<String, Value> = names
        .iter()
        .map(|name| ((*name).to_owned(), json!(*name == chosen)))
        .collect();
    Value::Object(map)
}

/// One of `names`, else an error with a "did you mean".
fn one_of<T>(
    node: &Node,
    errors: &mut Errors,
    key: &str,
    names: &[&'static str],
    parse: fn(&str) -> Option<T>,
) -> Option<T> {
    let name = errors.string(node, &format!("`tokens.{key}`"))?;
    let parsed = parse(&name);
    if parsed.is_none() {
        errors.push(
            crate::yaml::diagnostic::Diagnostic::new(
                crate::yaml::at(node),
                name.chars().count(),
                format!("`tokens.{key}` cannot be `{name}`"),
            )
            .suggest(&name, names.iter().copied())
            .with_help(format!("expected one of: {}", names.join(", "))),
        );
    }
    parsed
}

/// A number of tries (1-1000) or `unlimited`.
fn t1_tries(node: &Node, errors: &mut Errors) -> Option<Option<u32>> {
    if let Node::Scalar(s) = node {
        if s.as_str() == "unlimited" {
            return Some(None);
        }
    }
    bounded(errors, node, "`tokens.t1_tries`", 1..=1000).map(|n| Some(n as u32))
}

#[cfg(test)]
mod tests {
    use crate::profile::{Profile, REFERENCE_YAML};

    fn parse(replace: (&str, &str)) -> Result<Profile, String> {
        assert!(REFERENCE_YAML.contains(replace.0), "{}", replace.0);
        Profile::parse("p.yaml", &REFERENCE_YAML.replacen(replace.0, replace.1, 1))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_reference_profile_states_the_defaults() {
        let profile = Profile::reference();
        assert_eq!(profile.tokens, super::TokenChoices::default());
        let value = profile.to_value();
        assert_eq!(value["tokens"]["t1_tries"], 1);
        assert_eq!(value["tokens"]["other_user_code_is"]["intact"], true);
        assert_eq!(value["burns"]["t1_on_mismatch"], true);
    }

    #[test]
    fn burns_t1_on_mismatch_keeps_its_meaning() {
        // Off, with no `t1_tries`: unlimited tries, as before the field existed.
        let off = REFERENCE_YAML
            .replacen("t1_on_mismatch: true", "t1_on_mismatch: false", 1)
            .replacen("  t1_tries: 1 ", "  # t1_tries: 1 ", 1);
        let off = Profile::parse("p.yaml", &off).unwrap().to_value();
        assert_eq!(off["tokens"]["t1_tries_limited"], false);
        // `t1_tries: 3` with `t1_on_mismatch: false`: the first wrong answer does not burn.
        let three = REFERENCE_YAML
            .replacen("t1_on_mismatch: true", "t1_on_mismatch: false", 1)
            .replacen("t1_tries: 1", "t1_tries: 3", 1);
        let three = Profile::parse("p.yaml", &three).unwrap();
        assert_eq!(three.tokens.t1_tries, Some(3));
        assert_eq!(three.to_value()["burns"]["t1_on_mismatch"], false);
        let unlimited = parse(("t1_tries: 1", "t1_tries: unlimited")).unwrap_err();
        assert!(
            unlimited.contains("disagrees with `burns.t1_on_mismatch`"),
            "{unlimited}"
        );
    }

    #[test]
    fn nonsense_is_refused_with_its_place() {
        let cases = [
            (
                ("t1_tries: 1", "t1_tries: 0"),
                "`tokens.t1_tries` must be from 1 to 1000, not 0",
            ),
            (
                ("other_user_code: intact", "other_user_code: intakt"),
                "did you mean `intact`?",
            ),
            (
                ("new_captcha_replaces: false", "new_captcha_replace: false"),
                "did you mean `new_captcha_replaces`?",
            ),
            (
                ("t1_bound_to_client: true", "t1_bound_to_client: 3"),
                "`tokens.t1_bound_to_client`",
            ),
        ];
        for (replace, message) in cases {
            let errors = parse(replace).expect_err(replace.1);
            assert!(errors.contains(message), "{}: {errors}", replace.1);
            assert!(errors.contains("p.yaml:"), "{errors}");
        }
    }
}
