//! Decoding `expect:`: status, failure kind, body and header matchers, latency ceiling and the
//! outcomes of parallel steps.

use marked_yaml::Node;

use super::{Decoder, EXPECT_KEYS};
use crate::profile::{KINDS, OPTIONAL_KINDS};

/// Every kind a scenario may name: the required ones, then those a profile may map.
fn all_kinds() -> Vec<&'static str> {
    let optional = OPTIONAL_KINDS.iter().map(|(kind, _, _)| *kind);
    KINDS.iter().copied().chain(optional).collect()
}
use crate::scenario::diagnostic::{Diagnostic, Location};
use crate::scenario::matcher::{JsonType, Matcher, MATCHER_NAMES, TYPE_NAMES};
use crate::scenario::model::{Check, CheckTarget, Expect, TValue};
use crate::scenario::path::JsonPath;
use crate::scenario::yaml_templates::TemplateErrors;
use crate::yaml;

impl Decoder<'_> {
    pub(super) fn expect(&mut self, node: &Node) -> Expect {
        let mut expect = Expect {
            at: yaml::at(node),
            ..Expect::default()
        };
        let Some(map) = self.errors.mapping(node, "`expect`") else {
            return expect;
        };
        self.errors.known_keys(map, EXPECT_KEYS, "`expect`");
        if let Some(n) = map.get_node("status") {
            expect.status = self.status(n);
        }
        if let Some(n) = map.get_node("error") {
            expect.error = self.kind(n);
        }
        if let Some(n) = map.get_node("max_latency") {
            expect.max_latency = self.errors.duration(n, "`max_latency`");
        }
        if let Some(n) = map.get_node("body") {
            expect.body = self.body_checks(n);
        }
        if let Some(n) = map.get_node("headers") {
            expect.headers = self.header_checks(n);
        }
        if let Some(n) = map.get_node("outcomes") {
            expect.outcomes = self.outcomes(n);
        }
        expect
    }

    fn status(&mut self, node: &Node) -> Option<u16> {
        match self.errors.integer(node, "`status`") {
            Some(s @ 100..=599) => Some(s as u16),
            Some(_) => {
                self.errors
                    .at(node, "`status` must be an HTTP status (100-599)");
                None
            }
            None => None,
        }
    }

    /// `body:` maps JSON paths to matchers; a path that does not parse is skipped.
    fn body_checks(&mut self, node: &Node) -> Vec<Check> {
        let Some(body) = self.errors.mapping(node, "`body`") else {
            return Vec::new();
        };
        let mut checks = Vec::new();
        for (path, spec) in body.iter() {
            match JsonPath::parse(path.as_str()) {
                Ok(json_path) => {
                    let matchers = self.matchers(spec);
                    checks.push(Check {
                        at: Location::of(path.span()),
                        target: CheckTarget::Body(json_path),
                        matchers,
                    });
                }
                Err(e) => self.errors.push(Diagnostic::new(
                    Location::of(path.span()),
                    path.as_str().chars().count(),
                    e,
                )),
            }
        }
        checks
    }

    /// `headers:` maps header names (compared in lower case) to matchers.
    fn header_checks(&mut self, node: &Node) -> Vec<Check> {
        let Some(headers) = self.errors.mapping(node, "`headers`") else {
            return Vec::new();
        };
        headers
            .iter()
            .map(|(name, spec)| Check {
                at: Location::of(name.span()),
                target: CheckTarget::Header(name.as_str().to_ascii_lowercase()),
                matchers: self.matchers(spec),
            })
            .collect()
    }

    /// `outcomes:` counts answers by outcome, `success` or a failure kind.
    fn outcomes(&mut self, node: &Node) -> Vec<(String, u32)> {
        let Some(outcomes) = self.errors.mapping(node, "`outcomes`") else {
            return Vec::new();
        };
        let mut counts = Vec::new();
        for (name, count) in outcomes.iter() {
            let outcome = name.as_str();
            if outcome != "success" && !all_kinds().contains(&outcome) {
                self.errors.push(
                    Diagnostic::new(
                        Location::of(name.span()),
                        outcome.chars().count(),
                        format!("unknown outcome `{outcome}`"),
                    )
                    .suggest(outcome, all_kinds().into_iter().chain(["success"])),
                );
            }
            if let Some(count) = self.errors.integer(count, "an outcome count") {
                counts.push((outcome.to_owned(), count.clamp(0, 1000) as u32));
            }
        }
        counts
    }

    fn kind(&mut self, node: &Node) -> Option<String> {
        let kind = self.errors.string(node, "`error`")?;
        let kinds = all_kinds();
        if kinds.contains(&kind.as_str()) {
            Some(kind)
        } else {
            self.errors.push(
                Diagnostic::new(
                    yaml::at(node),
                    kind.chars().count(),
                    format!("unknown failure kind `{kind}`"),
                )
                .suggest(&kind, kinds.iter().copied())
                .with_help(format!("kinds: {}", kinds.join(", "))),
            );
            None
        }
    }

    /// A scalar or list is shorthand for `equals`; a mapping names matchers.
    fn matchers(&mut self, node: &Node) -> Vec<Matcher<TValue>> {
        let map = match node {
            Node::Mapping(map) => map,
            other => return vec![Matcher::Equals(self.errors.tvalue(other))],
        };
        let mut matchers = Vec::new();
        for (key, value) in map.iter() {
            let matcher = match key.as_str() {
                "equals" => Some(Matcher::Equals(self.errors.tvalue(value))),
                "exists" => self.errors.boolean(value, "`exists`").map(Matcher::Exists),
                "type" => self.type_matcher(value),
                "matches" => self.regex_matcher(value),
                "length" => self
                    .bounds(value, "`length`")
                    .map(|(min, max)| Matcher::Length {
                        min: min.map(|m| m.max(0.0) as u64),
                        max: max.map(|m| m.max(0.0) as u64),
                    }),
                "range" => self
                    .bounds(value, "`range`")
                    .map(|(min, max)| Matcher::Range { min, max }),
                "one_of" => match value {
                    Node::Sequence(items) => Some(Matcher::OneOf(
                        items.iter().map(|i| self.errors.tvalue(i)).collect(),
                    )),
                    other => {
                        self.errors.at(other, "`one_of` must be a list");
                        None
                    }
                },
                other => {
                    self.errors.push(
                        Diagnostic::new(
                            Location::of(key.span()),
                            other.chars().count(),
                            format!("unknown matcher `{other}`"),
                        )
                        .suggest(other, MATCHER_NAMES.iter().copied())
                        .with_help(format!("matchers: {}", MATCHER_NAMES.join(", "))),
                    );
                    None
                }
            };
            matchers.extend(matcher);
        }
        matchers
    }

    /// `type: <name>`, one of the JSON types.
    fn type_matcher(&mut self, value: &Node) -> Option<Matcher<TValue>> {
        let t = self.errors.string(value, "`type`")?;
        match JsonType::from_name(&t) {
            Some(t) => Some(Matcher::Type(t)),
            None => {
                self.errors.push(
                    Diagnostic::new(
                        yaml::at(value),
                        t.chars().count(),
                        format!("unknown type `{t}`"),
                    )
                    .suggest(&t, TYPE_NAMES.iter().copied()),
                );
                None
            }
        }
    }

    /// `matches: <regex>`; a bad pattern is reported with the regex crate's last line, the
    /// one that says what is wrong.
    fn regex_matcher(&mut self, value: &Node) -> Option<Matcher<TValue>> {
        let pattern = self.errors.string(value, "`matches`")?;
        match regex::Regex::new(&pattern) {
            Ok(regex) => Some(Matcher::Matches(regex)),
            Err(e) => {
                self.errors.at(
                    value,
                    format!(
                        "invalid regular expression: {}",
                        e.to_string()
                            .lines()
                            .last()
                            .unwrap_or("")
                            .trim_start_matches("error: ")
                    ),
                );
                None
            }
        }
    }

    /// `N` (exactly N) or `{min: A, max: B}`.
    fn bounds(&mut self, node: &Node, what: &str) -> Option<(Option<f64>, Option<f64>)> {
        match node {
            Node::Mapping(map) => {
                self.errors.known_keys(map, &["min", "max"], what);
                let min = map
                    .get_node("min")
                    .and_then(|n| self.errors.number(n, "`min`"));
                let max = map
                    .get_node("max")
                    .and_then(|n| self.errors.number(n, "`max`"));
                Some((min, max))
            }
            other => self.errors.number(other, what).map(|n| (Some(n), Some(n))),
        }
    }
}
