//! `test_support_token`: the value a gateway's test-support endpoints require in
//! `X-Test-Support-Token`, named by where it comes from. `{env: NAME}` reads it from the
//! environment when the profile is read (so the value never sits in the file), a plain string
//! is the value itself (kept out of every file gatecheck writes back).

use marked_yaml::Node;

use crate::yaml::Errors;

/// The environment variable `gatecheck serve --test-support-token` also reads: one variable
/// set once serves the gateway and the harness alike.
pub const DEFAULT_ENV: &str = "GATECHECK_TEST_SUPPORT_TOKEN";

#[derive(Clone, PartialEq, Eq)]
pub enum TestSupportToken {
    /// Read from this environment variable.
    Env { name: String, value: String },
    /// Written in the profile.
    Literal(String),
}

impl TestSupportToken {
    pub fn value(&self) -> &str {
        match self {
            TestSupportToken::Env { value, .. } | TestSupportToken::Literal(value) => value,
        }
    }

    /// The variable a written-back profile names: its own, or the default for a literal
    /// (whose value is never written).
    pub fn env_name(&self) -> &str {
        match self {
            TestSupportToken::Env { name, .. } => name,
            TestSupportToken::Literal(_) => DEFAULT_ENV,
        }
    }

    /// What reports may show: where the token comes from, never its value.
    pub fn shown(&self) -> String {
        match self {
            TestSupportToken::Env { name, .. } => format!("{{env: {name}}}"),
            TestSupportToken::Literal(_) => "(written in the profile)".to_owned(),
        }
    }
}

/// Never the value, even in a debug print.
impl std::fmt::Debug for TestSupportToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestSupportToken({})", self.shown())
    }
}

/// `test_support_token: {env: NAME}` or `test_support_token: "value"`.
pub fn decode(node: &Node, errors: &mut Errors) -> Option<TestSupportToken> {
    let what = "`test_support_token`";
    let token = match node {
        Node::Scalar(_) => TestSupportToken::Literal(errors.string(node, what)?),
        Node::Mapping(map) => {
            errors.known_keys(map, &["env"], what);
            let Some(env) = map.get_node("env") else {
                errors.at(
                    node,
                    format!("{what} needs `env: NAME` (or the token as text)"),
                );
                return None;
            };
            let name = errors.string(env, "`test_support_token.env`")?;
            match std::env::var(&name) {
                Ok(value) => TestSupportToken::Env { name, value },
                Err(_) => {
                    errors.at(
                        env,
                        format!("the environment variable {name} that `test_support_token.env` names is not set"),
                    );
                    return None;
                }
            }
        }
        other => {
            errors.at(
                other,
                format!("{what} must be `{{env: NAME}}` or text, found a list"),
            );
            return None;
        }
    };
    // At least 12: an unset CI secret is an empty variable, and a short token guards little.
    if token.value().len() < 12 || !token.value().bytes().all(|b| b.is_ascii_graphic()) {
        errors.at(
            node,
            format!("{what} must be at least 12 printable ASCII characters without spaces (it is sent as a header)"),
        );
        return None;
    }
    Some(token)
}

#[cfg(test)]
mod tests {
    use crate::profile::{Profile, REFERENCE_YAML};

    fn with_token(line: &str) -> Result<Profile, String> {
        let text = REFERENCE_YAML.replacen(
            "test_support: true",
            &format!("test_support: true\n{line}"),
            1,
        );
        Profile::parse("p.yaml", &text).map_err(|e| e.to_string())
    }

    #[test]
    fn a_literal_token_is_read_and_never_written_back() {
        let profile = with_token("test_support_token: s3cret-literal").expect("profile");
        let token = profile.test_support_token.clone().expect("token");
        assert_eq!(token.value(), "s3cret-literal");
        assert!(!format!("{profile:?}").contains("s3cret-literal"));
        let text = crate::profile::render::to_yaml(&profile, &crate::profile::render::Bare);
        assert!(!text.contains("s3cret-literal"), "{text}");
        assert!(
            text.contains("test_support_token: {env: GATECHECK_TEST_SUPPORT_TOKEN}  # REVIEW"),
            "{text}"
        );
    }

    #[test]
    fn an_env_token_names_its_variable_and_every_mistake_its_place() {
        // PATH is set wherever tests run; its value is never written back either.
        let profile = with_token("test_support_token: {env: PATH}").expect("profile");
        let token = profile.test_support_token.clone().expect("token");
        assert_eq!(token.value(), std::env::var("PATH").expect("PATH"));
        let text = crate::profile::render::to_yaml(&profile, &crate::profile::render::Bare);
        assert!(text.contains("test_support_token: {env: PATH}\n"), "{text}");
        assert!(!text.contains(token.value()));
        let unset = with_token("test_support_token: {env: GATECHECK_NO_SUCH_VARIABLE_13}")
            .expect_err("unset");
        assert!(
            unset.contains("p.yaml:6:27") && unset.contains("is not set"),
            "{unset}"
        );
        let typo = with_token("test_support_token: {evn: PATH}").expect_err("typo");
        assert!(
            typo.contains("unknown key `evn`") && typo.contains("expected one of: env"),
            "{typo}"
        );
        let spaced = with_token("test_support_token: \"two words\"").expect_err("space");
        assert!(spaced.contains("printable ASCII"), "{spaced}");
        let top = REFERENCE_YAML.replacen(
            "test_support: true",
            "test_support: true\ntest_suport_token: x",
            1,
        );
        let top = Profile::parse("p.yaml", &top)
            .expect_err("top typo")
            .to_string();
        assert!(top.contains("did you mean `test_support_token`"), "{top}");
    }
}
