//! The values a scenario's templates read while it runs: its variables, captures, the flow's
//! current tokens and answers, its users, and the profile.

use std::sync::OnceLock;

use bytes::Bytes;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Shared by every flow of a run: built once from the profile.
    pub profile: std::sync::Arc<Value>,
    pub vars: Map<String, Value>,
    pub captures: Map<String, Value>,
    pub flow: FlowValues,
    /// The newest CAPTCHA answer (`captcha` in templates), parsed when first read.
    pub captcha: Option<LazyJson>,
    /// The T1 whose answer `flow.answer` holds.
    pub answer_for: Option<String>,
    /// A user whose newest code has been sent but not yet looked up.
    pub code_pending_for: Option<String>,
    /// Secret values the flow's records have met, scrubbed from the records after
    /// (`runner::redaction`).
    pub secrets: crate::redact::Secrets,
}

impl Context {
    /// The value at a dotted path: captures first, then variables, flow values, the newest
    /// CAPTCHA answer (`captcha`), the profile.
    pub fn lookup(&self, path: &[String]) -> Option<Value> {
        self.lookup_ref(path).cloned()
    }

    /// The value at a dotted path, borrowed (`lookup` without the copy).
    pub fn lookup_ref(&self, path: &[String]) -> Option<&Value> {
        let (first, rest) = path.split_first()?;
        let root = self
            .captures
            .get(first)
            .or_else(|| self.vars.get(first))
            .or_else(|| self.flow.get(first))
            .or_else(|| (first == "captcha").then(|| self.captcha_value()).flatten())
            .or_else(|| (first == "profile").then_some(self.profile.as_ref()))?;
        rest.iter().try_fold(root, |value, key| match value {
            Value::Object(map) => map.get(key),
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
    }

    /// The newest CAPTCHA answer's body (`Null` if it was not JSON).
    pub fn captcha_value(&self) -> Option<&Value> {
        self.captcha.as_ref().map(LazyJson::value)
    }

    pub fn set(&mut self, key: &'static str, value: Value) {
        self.flow.insert(key, value);
    }

    pub fn text(&self, key: &str) -> Option<String> {
        self.flow
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

/// The flow's own values (`user`, `t1`, `code`, ...), a dozen under names the runner gives:
/// a list searched in turn. A map with `String` keys cost an allocation a value and its tree
/// nodes: setting the values took 8,600 instructions a flow, the list takes 2,400.
#[derive(Debug, Clone, Default)]
pub struct FlowValues(Vec<(&'static str, Value)>);

impl FlowValues {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Sets `key`, replacing its value if it has one.
    pub fn insert(&mut self, key: &'static str, value: Value) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }
}

/// A body kept as its bytes and parsed the first time it is read: a CAPTCHA answer's two
/// images are most of a flow's bytes, and under load with the test-support oracle nothing reads
/// them (parsing and copying them was a sixth of a flow's instructions, `bench/README.md`).
#[derive(Debug, Clone, Default)]
pub struct LazyJson {
    body: Bytes,
    parsed: OnceLock<Value>,
}

impl LazyJson {
    pub fn new(body: Bytes) -> Self {
        Self {
            body,
            parsed: OnceLock::new(),
        }
    }

    #[cfg(test)]
    pub fn is_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }

    pub fn value(&self) -> &Value {
        self.parsed
            .get_or_init(|| serde_json::from_slice(&self.body).unwrap_or(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn captures_shadow_vars_shadow_flow_values() {
        let mut context = Context {
            profile: std::sync::Arc::new(json!({"captcha": {"tolerance": 4}})),
            ..Context::default()
        };
        context.set("t1", json!("flow"));
        context.vars.insert("t1".into(), json!("var"));
        let path = |p: &str| p.split('.').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(context.lookup(&path("t1")), Some(json!("var")));
        context.captures.insert("t1".into(), json!({"a": [1, 2]}));
        assert_eq!(context.lookup(&path("t1.a.1")), Some(json!(2)));
        assert_eq!(
            context.lookup(&path("profile.captcha.tolerance")),
            Some(json!(4))
        );
        assert_eq!(context.lookup(&path("nothing")), None);
    }

    #[test]
    fn a_flow_value_set_again_replaces_the_first() {
        let mut flow = FlowValues::default();
        flow.insert("t1", json!("first"));
        flow.insert("t2", json!(2));
        flow.insert("t1", json!("second"));
        assert_eq!(flow.get("t1"), Some(&json!("second")));
        assert_eq!(flow.get("t2"), Some(&json!(2)));
        assert_eq!(flow.get("t3"), None);
        assert_eq!(flow.0.len(), 2);
    }

    #[test]
    fn the_captcha_is_read_from_its_body_and_shadowed_like_a_flow_value() {
        let mut context = Context::default();
        let path = |p: &str| p.split('.').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(context.lookup(&path("captcha.pointY")), None);
        context.captcha = Some(LazyJson::new(Bytes::from_static(br#"{"pointY": 12}"#)));
        assert_eq!(context.lookup(&path("captcha.pointY")), Some(json!(12)));
        assert_eq!(context.lookup(&path("captcha.other")), None);
        context.vars.insert("captcha".into(), json!({"pointY": 1}));
        assert_eq!(context.lookup(&path("captcha.pointY")), Some(json!(1)));
        // A body that is not JSON reads as null, as its parsed `Value` was kept before.
        context.vars.clear();
        context.captcha = Some(LazyJson::new(Bytes::from_static(b"{\"pointY\": ")));
        assert_eq!(context.lookup(&path("captcha")), Some(Value::Null));
        assert_eq!(context.lookup(&path("captcha.pointY")), None);
    }
}
