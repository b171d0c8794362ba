//! The action of a step: an API call with its fields and overrides, a raw `request`, or a
//! `wait`.

use marked_yaml::Node;

use super::{Decoder, CALL_EXTRAS, REQUEST_KEYS};
use crate::api::Operation;
use crate::scenario::diagnostic::{Diagnostic, Location};
use crate::scenario::model::{fields_of, Call, RawBody, RawRequest, Wait, EXPIRING};
use crate::scenario::template::{Part, Template};
use crate::scenario::yaml_templates::TemplateErrors;
use crate::yaml;

impl Decoder<'_> {
    pub(super) fn call(&mut self, operation: Operation, args: &Node) -> Option<Call> {
        let mut call = Call {
            operation,
            fields: Vec::new(),
            with: Vec::new(),
            without: Vec::new(),
            headers: Vec::new(),
            content_type: None,
        };
        if let Node::Scalar(s) = args {
            if yaml::is_null(s) {
                return Some(call);
            }
        }
        let map = self
            .errors
            .mapping(args, &format!("`{}`", operation.name()))?;
        let fields = fields_of(operation);
        for (key, value) in map.iter() {
            let name = key.as_str();
            if let Some(spec) = fields.iter().find(|f| f.name == name) {
                call.fields.push((spec.name, self.errors.tvalue(value)));
                continue;
            }
            match name {
                "with" => {
                    if let Some(with) = self.errors.mapping(value, "`with`") {
                        call.with = with
                            .iter()
                            .map(|(k, v)| (k.as_str().to_owned(), self.errors.tvalue(v)))
                            .collect();
                    }
                }
                "without" => {
                    call.without = self
                        .errors
                        .strings(value, "`without`")
                        .into_iter()
                        .map(|(s, _)| s)
                        .collect()
                }
                "headers" => call.headers = self.headers(value),
                "content_type" => call.content_type = self.errors.template(value, "`content_type`"),
                _ => {
                    let known: Vec<&str> = fields
                        .iter()
                        .map(|f| f.name)
                        .chain(CALL_EXTRAS.iter().copied())
                        .collect();
                    self.errors.push(
                        Diagnostic::new(
                            Location::of(key.span()),
                            name.chars().count(),
                            format!("`{}` has no field `{name}`", operation.name()),
                        )
                        .suggest(name, known.iter().copied())
                        .with_help(format!("fields: {}", known.join(", "))),
                    );
                }
            }
        }
        Some(call)
    }

    fn headers(&mut self, node: &Node) -> Vec<(String, Template)> {
        let Some(map) = self.errors.mapping(node, "`headers`") else {
            return Vec::new();
        };
        map.iter()
            .filter_map(|(k, v)| {
                self.errors
                    .template(v, &format!("header `{}`", k.as_str()))
                    .map(|t| (k.as_str().to_owned(), t))
            })
            .collect()
    }

    pub(super) fn request(&mut self, node: &Node) -> Option<RawRequest> {
        let map = self.errors.mapping(node, "`request`")?;
        self.errors.known_keys(map, REQUEST_KEYS, "`request`");
        let method = match map.get_node("method") {
            Some(n) => self.errors.string(n, "`method`")?.to_ascii_uppercase(),
            None => {
                self.errors.at(node, "`request` needs a `method`");
                return None;
            }
        };
        let path = match map.get_node("path") {
            Some(n) => {
                let path = self.errors.template(n, "`path`")?;
                if !matches!(path.parts.first(), Some(Part::Text(t)) if t.starts_with('/')) {
                    self.errors.at(
                        n,
                        "`path` must start with `/` (the target's base URL is prepended)",
                    );
                }
                path
            }
            None => {
                self.errors.at(node, "`request` needs a `path`");
                return None;
            }
        };
        let headers = map
            .get_node("headers")
            .map(|n| self.headers(n))
            .unwrap_or_default();
        let body = match (map.get_node("body"), map.get_node("json")) {
            (Some(_), Some(json)) => {
                self.errors
                    .at(json, "give either `body` (raw text) or `json`, not both");
                RawBody::None
            }
            (Some(body), None) => self
                .errors
                .template(body, "`body`")
                .map_or(RawBody::None, RawBody::Text),
            (None, Some(json)) => RawBody::Json(self.errors.tvalue(json)),
            (None, None) => RawBody::None,
        };
        Some(RawRequest {
            method,
            path,
            headers,
            body,
        })
    }

    pub(super) fn wait(&mut self, node: &Node) -> Option<Wait> {
        match node {
            Node::Mapping(map) => {
                self.errors.known_keys(map, &["expire_of"], "`wait`");
                let of_node = map.get_node("expire_of")?;
                let of = self.errors.string(of_node, "`expire_of`")?;
                if !EXPIRING.contains(&of.as_str()) {
                    self.errors.push(
                        Diagnostic::new(
                            yaml::at(of_node),
                            of.chars().count(),
                            format!("`{of}` does not expire"),
                        )
                        .suggest(&of, EXPIRING.iter().copied())
                        .with_help(format!("one of: {}", EXPIRING.join(", "))),
                    );
                    return None;
                }
                Some(Wait::ExpireOf(of))
            }
            other => self.errors.duration(other, "`wait`").map(Wait::For),
        }
    }
}
