//! Decoding `expect:`: status, failure kind, body and header matchers, latency ceiling and the
//! outcomes of parallel steps.

use marked_yaml::Node;

use super::{Decoder, EXPECT_KEYS};
use crate::profile::KINDS;
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
            match self.errors.integer(n, "`status`") {
                Some(s @ 100..=599) => expect.status = Some(s as u16),
                Some(_) => self
                    .errors
                    .at(n, "`status` must be an HTTP status (100-599)"),
                None => {}
            }
        }
        if let Some(n) = map.get_node("error") {
            expect.error = self.kind(n);
        }
        if let Some(n) = map.get_node("max_latency") {
            expect.max_latency = self.errors.duration(n, "`max_latency`");
        }
        if let Some(n) = map.get_node("body") {
            if let Some(body) = self.errors.mapping(n, "`body`") {
                for (path, spec) in body.iter() {
                    match JsonPath::parse(path.as_str()) {
                        Ok(json_path) => {
                            let matchers = self.matchers(spec);
                            expect.body.push(Check {
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
            }
        }
        if let Some(n) = map.get_node("headers") {
            if let Some(headers) = self.errors.mapping(n, "`headers`") {
                for (name, spec) in headers.iter() {
                    let matchers = self.matchers(spec);
                    expect.headers.push(Check {
                        at: Location::of(name.span()),
                        target: CheckTarget::Header(name.as_str().to_ascii_lowercase()),
                        matchers,
                    });
                }
            }
        }
        if let Some(n) = map.get_node("outcomes") {
            if let Some(outcomes) = self.errors.mapping(n, "`outcomes`") {
                for (name, count) in outcomes.iter() {
                    let outcome = name.as_str();
                    if outcome != "success" && !KINDS.contains(&outcome) {
                        self.errors.push(
                            Diagnostic::new(
                                Location::of(name.span()),
                                outcome.chars().count(),
                                format!("unknown outcome `{outcome}`"),
                            )
                            .suggest(outcome, KINDS.iter().copied().chain(["success"])),
                        );
                    }
                    if let Some(count) = self.errors.integer(count, "an outcome count") {
                        expect
                            .outcomes
                            .push((outcome.to_owned(), count.clamp(0, 1000) as u32));
                    }
                }
            }
        }
        expect
    }

    fn kind(&mut self, node: &Node) -> Option<String> {
        let kind = self.errors.string(node, "`error`")?;
        if KINDS.contains(&kind.as_str()) {
            Some(kind)
        } else {
            self.errors.push(
                Diagnostic::new(
                    yaml::at(node),
                    kind.chars().count(),
                    format!("unknown failure kind `{kind}`"),
                )
                .suggest(&kind, KINDS.iter().copied())
                .with_help(format!("kinds: {}", KINDS.join(", "))),
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
                "type" => {
                    self.errors.string(value, "`type`").and_then(|t| {
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
                    })
                }
                "matches" => self.errors.string(value, "`matches`").and_then(|pattern| {
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
                }),
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
