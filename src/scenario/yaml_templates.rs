//! Templates read from YAML: the scenario layer's additions to `yaml::Errors`, so a
//! template's syntax error points at the offending character of its scalar.

use marked_yaml::types::MarkedScalarNode;
use marked_yaml::Node;

use super::model::TValue;
use super::template::Template;
use crate::yaml::diagnostic::{Diagnostic, Location};
use crate::yaml::{is_null, kind_name, Errors};

pub trait TemplateErrors {
    /// A template from a scalar; syntax errors point at the offending character.
    fn template(&mut self, node: &Node, what: &str) -> Option<Template>;
    /// Any YAML value as JSON with templates in its strings: plain scalars are typed
    /// (null, booleans, numbers), quoted ones are always strings.
    fn tvalue(&mut self, node: &Node) -> TValue;
}

impl TemplateErrors for Errors {
    fn template(&mut self, node: &Node, what: &str) -> Option<Template> {
        let Node::Scalar(scalar) = node else {
            self.at(
                node,
                format!("{what} must be text, found {}", kind_name(node)),
            );
            return None;
        };
        template_of(self, scalar)
    }

    fn tvalue(&mut self, node: &Node) -> TValue {
        match node {
            Node::Scalar(s) => {
                let text = s.as_str();
                if !s.may_coerce() {
                    return template_of(self, s).map_or(TValue::Null, TValue::Text);
                }
                if is_null(s) {
                    TValue::Null
                } else if let Ok(b) = text.parse::<bool>() {
                    TValue::Bool(b)
                } else if let Ok(n) = text.parse::<serde_json::Number>() {
                    TValue::Number(n)
                } else {
                    template_of(self, s).map_or(TValue::Null, TValue::Text)
                }
            }
            Node::Sequence(items) => TValue::Array(items.iter().map(|i| self.tvalue(i)).collect()),
            Node::Mapping(map) => TValue::Object(
                map.iter()
                    .map(|(k, v)| (k.as_str().to_owned(), self.tvalue(v)))
                    .collect(),
            ),
        }
    }
}

fn template_of(errors: &mut Errors, scalar: &MarkedScalarNode) -> Option<Template> {
    let start = Location::of(scalar.span());
    let quote = usize::from(!scalar.may_coerce());
    match Template::parse(scalar.as_str()) {
        Ok(mut template) => {
            template.at = Location::new(start.line, start.column + quote);
            Some(template)
        }
        Err(e) => {
            let column = start.column
                + quote
                + scalar.as_str()[..e.offset.min(scalar.as_str().len())]
                    .chars()
                    .count();
            errors.push(Diagnostic::new(
                Location::new(start.line, column),
                1,
                format!("template: {}", e.message),
            ));
            None
        }
    }
}
