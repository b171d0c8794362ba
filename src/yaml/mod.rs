//! Reading YAML with positions: a thin layer over `marked-yaml` (maintained, keeps a line and
//! column for every key and value, unlike the archived serde_yaml) plus the helpers every
//! decoder here uses (scenarios, profiles): typed scalars, known keys with "did you mean", all
//! errors collected; `diagnostic` renders them with a caret. Knows nothing of what it reads.

use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{LoaderOptions, Node};

pub mod depth;
pub mod diagnostic;

use diagnostic::{Diagnostic, FileErrors, Location};

/// Parses `text` as one YAML mapping. Quoted scalars stay strings; duplicate keys are errors.
pub fn parse(path: &str, text: &str) -> Result<Node, FileErrors> {
    parse_with(path, text, false)
}

/// Parses `text` as one YAML list, as `parse` does a mapping.
pub fn parse_list(path: &str, text: &str) -> Result<Node, FileErrors> {
    parse_with(path, text, true)
}

fn parse_with(path: &str, text: &str, list: bool) -> Result<Node, FileErrors> {
    if let Some(at) = depth::too_deep(text, depth::MAX_DEPTH) {
        let limit = depth::MAX_DEPTH;
        return Err(FileErrors {
            path: path.to_owned(),
            source: text.to_owned(),
            errors: vec![Diagnostic::new(
                at,
                1,
                format!(
                    "mappings and lists nested more than {limit} deep (the limit gatecheck reads)"
                ),
            )],
        });
    }
    let mut options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    if list {
        options = options.toplevel_sequence();
    }
    marked_yaml::parse_yaml_with_options(0, text, options).map_err(|error| {
        use marked_yaml::LoadError;
        let (at, message) = match &error {
            LoadError::TopLevelMustBeMapping(m) => (
                *m,
                "the file must be a YAML mapping (`key: value` lines)".to_owned(),
            ),
            LoadError::TopLevelMustBeSequence(m) => {
                (*m, "the file must be a YAML sequence".to_owned())
            }
            LoadError::UnexpectedAnchor(m) => {
                (*m, "YAML anchors and aliases are not supported".to_owned())
            }
            LoadError::MappingKeyMustBeScalar(m) => {
                (*m, "mapping keys must be plain names".to_owned())
            }
            LoadError::UnexpectedTag(m) => (*m, "YAML tags (`!tag`) are not supported".to_owned()),
            LoadError::ScanError(m, e) => (*m, format!("invalid YAML: {}", e.info())),
            LoadError::DuplicateKey(inner) => {
                let at = inner
                    .key
                    .span()
                    .start()
                    .copied()
                    .unwrap_or_else(|| marked_yaml::Marker::new(0, 0, 1, 1));
                let first = Location::of(inner.prev_key.span());
                (
                    at,
                    format!(
                        "`{}` is given twice (first at line {})",
                        inner.key.as_str(),
                        first.line
                    ),
                )
            }
        };
        FileErrors {
            path: path.to_owned(),
            source: text.to_owned(),
            errors: vec![Diagnostic::new(
                Location::new(at.line(), at.column()),
                1,
                message,
            )],
        }
    })
}

/// Collects errors while decoding one file.
#[derive(Debug, Default)]
pub struct Errors {
    pub list: Vec<Diagnostic>,
}

/// Where a node starts. Mappings report the position of their first key (the loader marks a
/// block mapping where its first value starts).
pub fn at(node: &Node) -> Location {
    match node {
        Node::Mapping(map) => map
            .keys()
            .next()
            .map_or_else(|| Location::of(node.span()), |k| Location::of(k.span())),
        _ => Location::of(node.span()),
    }
}

pub fn kind_name(node: &Node) -> &'static str {
    match node {
        Node::Scalar(s) if is_null(s) => "nothing (null)",
        Node::Scalar(_) => "a scalar",
        Node::Mapping(_) => "a mapping",
        Node::Sequence(_) => "a list",
    }
}

pub fn is_null(scalar: &MarkedScalarNode) -> bool {
    scalar.may_coerce() && matches!(scalar.as_str(), "" | "~" | "null" | "Null" | "NULL")
}

impl Errors {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.list.push(diagnostic);
    }

    pub fn at(&mut self, node: &Node, message: impl Into<String>) {
        let width = match node {
            Node::Scalar(s) => s.as_str().chars().count().max(1),
            _ => 1,
        };
        self.push(Diagnostic::new(at(node), width, message));
    }

    /// The node as a mapping, or an error saying what `what` should be.
    pub fn mapping<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n MarkedMappingNode> {
        match node {
            Node::Mapping(map) => Some(map),
            other => {
                self.at(
                    other,
                    format!("{what} must be a mapping, found {}", kind_name(other)),
                );
                None
            }
        }
    }

    /// Reports every key of `map` not in `known`, with a suggestion.
    pub fn known_keys(&mut self, map: &MarkedMappingNode, known: &[&str], what: &str) {
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                self.push(
                    Diagnostic::new(
                        Location::of(key.span()),
                        key.as_str().chars().count(),
                        format!("unknown key `{}` in {what}", key.as_str()),
                    )
                    .suggest(key.as_str(), known.iter().copied())
                    .with_help(format!("expected one of: {}", known.join(", "))),
                );
            }
        }
    }

    pub fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match node {
            Node::Scalar(s) if !is_null(s) => Some(s.as_str().to_owned()),
            other => {
                self.at(
                    other,
                    format!("{what} must be text, found {}", kind_name(other)),
                );
                None
            }
        }
    }

    pub fn integer(&mut self, node: &Node, what: &str) -> Option<i64> {
        match node {
            Node::Scalar(s) if s.may_coerce() => match s.as_str().parse::<i64>() {
                Ok(value) => Some(value),
                Err(_) => {
                    self.at(
                        node,
                        format!("{what} must be an integer, found `{}`", s.as_str()),
                    );
                    None
                }
            },
            other => {
                self.at(
                    other,
                    format!("{what} must be an integer, found {}", describe(other)),
                );
                None
            }
        }
    }

    pub fn number(&mut self, node: &Node, what: &str) -> Option<f64> {
        match node {
            Node::Scalar(s) if s.may_coerce() => match s.as_str().parse::<f64>() {
                Ok(value) if value.is_finite() => Some(value),
                _ => {
                    self.at(
                        node,
                        format!("{what} must be a number, found `{}`", s.as_str()),
                    );
                    None
                }
            },
            other => {
                self.at(
                    other,
                    format!("{what} must be a number, found {}", describe(other)),
                );
                None
            }
        }
    }

    pub fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node {
            Node::Scalar(s) if s.may_coerce() && matches!(s.as_str(), "true" | "false") => {
                Some(s.as_str() == "true")
            }
            other => {
                self.at(
                    other,
                    format!("{what} must be true or false, found {}", describe(other)),
                );
                None
            }
        }
    }

    pub fn duration(&mut self, node: &Node, what: &str) -> Option<std::time::Duration> {
        let text = self.string(node, what)?;
        match humantime::parse_duration(&text) {
            Ok(duration) => Some(duration),
            Err(e) => {
                self.at(
                    node,
                    format!("{what} must be a duration like `500ms` or `3s`: {e}"),
                );
                None
            }
        }
    }

    pub fn strings(&mut self, node: &Node, what: &str) -> Vec<(String, Location)> {
        match node {
            Node::Sequence(items) => items
                .iter()
                .filter_map(|item| self.string(item, what).map(|s| (s, at(item))))
                .collect(),
            other => {
                self.at(
                    other,
                    format!("{what} must be a list, found {}", kind_name(other)),
                );
                Vec::new()
            }
        }
    }

    pub fn finish<T>(self, path: &str, source: &str, value: T) -> Result<T, FileErrors> {
        if self.list.is_empty() {
            Ok(value)
        } else {
            let mut errors = self.list;
            errors.sort_by_key(|d| (d.at.line, d.at.column));
            Err(FileErrors {
                path: path.to_owned(),
                source: source.to_owned(),
                errors,
            })
        }
    }
}

fn describe(node: &Node) -> String {
    match node {
        Node::Scalar(s) if !s.may_coerce() => format!("the quoted text \"{}\"", s.as_str()),
        Node::Scalar(s) => format!("`{}`", s.as_str()),
        other => kind_name(other).to_owned(),
    }
}
