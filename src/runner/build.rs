//! Building a step's request: a typed call (fields with the flow's defaults, `with`, `without`,
//! headers, Basic auth from `account` and `password`) or a raw request, templates rendered from
//! the step's context.

use std::borrow::Cow;

use base64::Engine;
use serde_json::Value;

use super::context::Context;
use super::outcome::{SetupKind, StepError};
use super::target::Prepared;
use crate::scenario::model::{defaults_of, fields_of, Call, Place, RawBody, RawRequest, TValue};
use crate::scenario::template::Template;

fn render(template: &Template, context: &Context) -> Result<Value, String> {
    template.render(&|path| context.lookup(path))
}

/// A rendered value as text: a string as it is (moved, not copied), anything else as JSON.
fn into_text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

pub fn call(call: &Call, context: &Context) -> Result<Prepared, StepError> {
    build_call(call, context).map_err(StepError::of(SetupKind::Template))
}

pub fn raw(raw: &RawRequest, context: &Context) -> Result<Prepared, StepError> {
    let method = hyper::Method::from_bytes(raw.method.as_bytes()).map_err(|_| {
        StepError::new(
            SetupKind::Request,
            format!("`{}` is not an HTTP method", raw.method),
        )
    })?;
    build_raw(method, raw, context).map_err(StepError::of(SetupKind::Template))
}

/// A field's value: the context's own when the template is one path (`{{ t1 }}`, most of the
/// calls' defaults), so it is written into the body without a copy; else rendered.
fn field<'a>(template: &TValue, context: &'a Context) -> Result<Cow<'a, Value>, String> {
    if let Some(value) = template
        .single_path()
        .and_then(|path| context.lookup_ref(path))
    {
        return Ok(Cow::Borrowed(value));
    }
    // Rendered, or the error rendering gives (a path with no value).
    template
        .render(&|path| context.lookup(path))
        .map(Cow::Owned)
}

/// A raw request without a template hole, built once for every time a load run sends it:
/// rendering and copying its parts cost 1,370 instructions a request (`bench/README.md`).
pub fn constant_raw(raw: &RawRequest) -> Option<Prepared> {
    let body = match &raw.body {
        RawBody::None => true,
        RawBody::Text(template) => template.is_constant(),
        RawBody::Json(value) => value.is_constant(),
    };
    let constant =
        body && raw.path.is_constant() && raw.headers.iter().all(|(_, t)| t.is_constant());
    constant
        .then(|| self::raw(raw, &Context::default()).ok())
        .flatten()
}

fn build_call(call: &Call, context: &Context) -> Result<Prepared, String> {
    let mut body = Body::default();
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    let (mut account, mut password) = (None, None);
    for (spec, default) in fields_of(call.operation)
        .iter()
        .zip(defaults_of(call.operation))
    {
        let value = match call.fields.iter().find(|(name, _)| name == &spec.name) {
            Some((_, value)) => field(value, context),
            None => default
                .as_ref()
                .map_or(Ok(Cow::Owned(Value::Null)), |d| field(d, context)),
        }
        .map_err(|e| format!("field `{}`: {e}", spec.name))?;
        if value.is_null() {
            continue;
        }
        match spec.place {
            Place::Body => body.insert(spec.json, value),
            Place::Header => headers.push((spec.json.to_owned(), into_text(value.into_owned()))),
            Place::BasicAuth if spec.name == "account" => {
                account = Some(into_text(value.clone().into_owned()));
                body.insert(spec.json, value);
            }
            Place::BasicAuth => password = Some(into_text(value.into_owned())),
        }
    }
    if let (Some(account), Some(password)) = (account, password) {
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{account}:{password}"));
        headers.push(("Authorization".into(), format!("Basic {basic}")));
    }
    for (key, value) in &call.with {
        body.insert(
            key,
            field(value, context).map_err(|e| format!("`with.{key}`: {e}"))?,
        );
    }
    for key in &call.without {
        body.remove(key);
        headers.retain(|(name, _)| !name.eq_ignore_ascii_case(key));
    }
    for (name, template) in &call.headers {
        let value =
            into_text(render(template, context).map_err(|e| format!("header `{name}`: {e}"))?);
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.clone(), value));
    }
    if let Some(content_type) = &call.content_type {
        let value =
            into_text(render(content_type, context).map_err(|e| format!("`content_type`: {e}"))?);
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
        if !value.is_empty() {
            headers.push(("Content-Type".into(), value));
        }
    }
    Ok(Prepared {
        method: call.operation.method(),
        path: call.operation.path().to_owned(),
        headers,
        body: Some(body.into_json().into()),
    })
}

/// A call's body as `serde_json::Map` (a `BTreeMap`) would write it, keys in order and a later
/// value replacing an earlier one, without building the map: its nodes and keys cost 1,600
/// instructions a flow, a twentieth of building its calls.
#[derive(Default)]
struct Body<'a> {
    fields: Vec<(&'a str, Cow<'a, Value>)>,
}

impl<'a> Body<'a> {
    fn insert(&mut self, key: &'a str, value: Cow<'a, Value>) {
        match self.fields.iter_mut().find(|(k, _)| *k == key) {
            Some(field) => field.1 = value,
            None => self.fields.push((key, value)),
        }
    }

    fn remove(&mut self, key: &str) {
        self.fields.retain(|(k, _)| *k != key);
    }

    fn into_json(mut self) -> Vec<u8> {
        self.fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut out = Vec::with_capacity(128);
        out.push(b'{');
        for (n, (key, value)) in self.fields.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            // Writing to a Vec fails only for a map key that is not a string: none here.
            let _ = serde_json::to_writer(&mut out, key);
            out.push(b':');
            let _ = serde_json::to_writer(&mut out, value.as_ref());
        }
        out.push(b'}');
        out
    }
}

fn build_raw(
    method: hyper::Method,
    raw: &RawRequest,
    context: &Context,
) -> Result<Prepared, String> {
    let path = into_text(render(&raw.path, context).map_err(|e| format!("`path`: {e}"))?);
    let mut headers = Vec::new();
    for (name, template) in &raw.headers {
        headers.push((
            name.clone(),
            into_text(render(template, context).map_err(|e| format!("header `{name}`: {e}"))?),
        ));
    }
    let body = match &raw.body {
        RawBody::None => None,
        RawBody::Text(template) => {
            Some(into_text(render(template, context).map_err(|e| format!("`body`: {e}"))?).into())
        }
        RawBody::Json(value) => {
            let value = value
                .render(&|p| context.lookup(p))
                .map_err(|e| format!("`json`: {e}"))?;
            Some(serde_json::to_vec(&value).unwrap_or_default().into())
        }
    };
    Ok(Prepared {
        method,
        path,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A raw request is built once only if no part of it has a hole, and is then the request
    /// building it gives.
    #[test]
    fn only_a_request_without_holes_is_built_once() {
        let template = |text: &str| Template::parse(text).expect("a template");
        let request = |path: &str, header: &str, body: RawBody| RawRequest {
            method: "PUT".into(),
            path: template(path),
            headers: vec![("X-A".into(), template(header))],
            body,
        };
        let constant = request("/v1/a", "b", RawBody::Text(template(r#"{"c": 1}"#)));
        let built = constant_raw(&constant).expect("built once");
        let each = raw(&constant, &Context::default()).expect("built");
        assert_eq!(
            (&built.path, &built.headers, &built.body),
            (&each.path, &each.headers, &each.body)
        );
        let json = TValue::Object(vec![("c".into(), TValue::Text(template("{{ user }}")))]);
        for holed in [
            request("/v1/{{ user }}", "b", RawBody::None),
            request("/v1/a", "{{ uuid() }}", RawBody::None),
            request("/v1/a", "b", RawBody::Text(template("{{ user }}"))),
            request("/v1/a", "b", RawBody::Json(json)),
        ] {
            assert!(constant_raw(&holed).is_none(), "{holed:?}");
        }
        let bad_method = RawRequest {
            method: "P UT".into(),
            ..request("/", "b", RawBody::None)
        };
        assert!(constant_raw(&bad_method).is_none());
    }

    /// A field of one path is the context's value itself, of any type, as rendering it gave;
    /// one with no value is the same error.
    #[test]
    fn a_one_path_field_is_what_rendering_it_gives() {
        let mut context = Context::default();
        context.set("t1", serde_json::json!({"a": [1, "x"]}));
        context.set("user", serde_json::json!(7));
        for text in ["{{ t1 }}", "{{ t1.a.1 }}", "{{ user }}"] {
            let template = TValue::Text(Template::parse(text).expect("a template"));
            let rendered = template.render(&|p| context.lookup(p));
            let borrowed = field(&template, &context);
            assert!(
                matches!(borrowed, Ok(Cow::Borrowed(_))),
                "{text} is not copied"
            );
            assert_eq!(borrowed.map(Cow::into_owned), rendered, "{text}");
        }
        // Anything else is rendered.
        for text in ["{{ user + 1 }}", "x{{ user }}"] {
            let template = TValue::Text(Template::parse(text).expect("a template"));
            assert!(
                matches!(field(&template, &context), Ok(Cow::Owned(_))),
                "{text}"
            );
        }
        let template = TValue::Text(Template::parse("{{ nothing }}").expect("a template"));
        assert_eq!(
            field(&template, &context).map(Cow::into_owned),
            template.render(&|p| context.lookup(p))
        );
        assert!(field(&template, &context).is_err());
        let one = Template::parse("{{ t1.a }}").expect("a template");
        assert_eq!(one.single_path().map(<[String]>::len), Some(2));
        assert_eq!(
            Template::parse("{{ t1 + 1 }}")
                .expect("a template")
                .single_path(),
            None
        );
    }

    proptest! {
        /// Any inserts and removals: the bytes `serde_json` writes for the same `Map`.
        #[test]
        fn a_body_is_written_as_its_map_would_be(
            edits in prop::collection::vec((
                prop::sample::select(vec!["user", "token", "pointX", "newPwd", "é", "a\"b", "Z"]),
                prop_oneof![
                    "[ -~é\\n]{0,8}".prop_map(Value::from),
                    any::<i64>().prop_map(Value::from),
                    Just(Value::Null),
                    Just(serde_json::json!({"b": [1, "x"], "a": true})),
                ],
                any::<bool>(),
            ), 0..12),
        ) {
            let mut body = Body::default();
            let mut map = serde_json::Map::new();
            for (key, value, keep) in edits {
                if keep {
                    body.insert(key, Cow::Owned(value.clone()));
                    map.insert(key.to_owned(), value);
                } else {
                    body.remove(key);
                    map.remove(key);
                }
            }
            let expected = serde_json::to_vec(&Value::Object(map)).expect("a map is written");
            prop_assert_eq!(body.into_json(), expected);
        }
    }
}
