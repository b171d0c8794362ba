//! Building a step's request: a typed call (fields with the flow's defaults, `with`, `without`,
//! headers, Basic auth from `account` and `password`) or a raw request, templates rendered from
//! the step's context.

use base64::Engine;
use serde_json::{Map, Value};

use super::context::Context;
use super::outcome::{SetupKind, StepError};
use super::target::Prepared;
use crate::scenario::model::{defaults_of, fields_of, Call, Place, RawBody, RawRequest};
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

fn build_call(call: &Call, context: &Context) -> Result<Prepared, String> {
    let lookup = |path: &[String]| context.lookup(path);
    let mut body = Map::new();
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    let (mut account, mut password) = (None, None);
    for (spec, default) in fields_of(call.operation)
        .iter()
        .zip(defaults_of(call.operation))
    {
        let value = match call.fields.iter().find(|(name, _)| name == &spec.name) {
            Some((_, value)) => value.render(&lookup),
            None => default
                .as_ref()
                .map_or(Ok(Value::Null), |d| d.render(&lookup)),
        }
        .map_err(|e| format!("field `{}`: {e}", spec.name))?;
        if value.is_null() {
            continue;
        }
        match spec.place {
            Place::Body => {
                body.insert(spec.json.to_owned(), value);
            }
            Place::Header => headers.push((spec.json.to_owned(), into_text(value))),
            Place::BasicAuth if spec.name == "account" => {
                account = Some(into_text(value.clone()));
                body.insert(spec.json.to_owned(), value);
            }
            Place::BasicAuth => password = Some(into_text(value)),
        }
    }
    if let (Some(account), Some(password)) = (account, password) {
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{account}:{password}"));
        headers.push(("Authorization".into(), format!("Basic {basic}")));
    }
    for (key, value) in &call.with {
        body.insert(
            key.clone(),
            value
                .render(&lookup)
                .map_err(|e| format!("`with.{key}`: {e}"))?,
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
        body: Some(
            serde_json::to_vec(&Value::Object(body))
                .unwrap_or_default()
                .into(),
        ),
    })
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
