//! The `load:` section of a scenario: the arrival model, bounds, warm-up and thresholds that
//! decide a load run's exit code. Parsed here (pure); run by `load`.

use std::time::Duration;

use marked_yaml::types::MarkedMappingNode;
use marked_yaml::Node;

pub use super::load_steps::{resolve_step, step_keys, Series, StepKey};
use super::threshold::parse_threshold;
use crate::yaml::diagnostic::{Diagnostic, Location};
use crate::yaml::{self, Errors};

#[derive(Debug, Clone, PartialEq)]
pub struct LoadSpec {
    pub model: Model,
    /// Stop after this long (measured time, warm-up not included) ...
    pub duration: Option<Duration>,
    /// ... or after this many flows, whichever comes first.
    pub iterations: Option<u64>,
    pub warmup: Duration,
    pub thresholds: Vec<Threshold>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    /// `vus` virtual users, each looping the flow with `think_time` between flows.
    Closed { vus: u32, think_time: Duration },
    /// Flows started at a rate (flows/s), constant or in linear stages, at most `max_in_flight` at once.
    Open {
        rate: f64,
        stages: Vec<(Duration, f64)>,
        max_in_flight: u32,
    },
}

/// Most a run's duration, warm-up, think time or stage may be: `Instant + duration` panics
/// past its range, and 30 days catches a unit typed wrong (`30000h`). The flags share these
/// bounds (`cmd::values`).
pub const LONGEST: Duration = Duration::from_secs(30 * 24 * 3600);
/// Most virtual users of a closed model.
pub const MAX_VUS: i64 = 100_000;
/// Most flows in flight, and most flows started per second, of an open model.
pub const MAX_IN_FLIGHT: i64 = 1_000_000;
pub const MAX_RATE: f64 = 1_000_000.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub text: String,
    pub at: Location,
    pub metric: Metric,
    pub op: Comparison,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Metric {
    /// A latency percentile in ms of a step (see `resolve_step`) or of the whole `flow`, over
    /// the samples named; corrected for coordinated omission unless `raw`.
    Percentile {
        of: String,
        percentile: f64,
        raw: bool,
        samples: Samples,
    },
    /// Failed flows / flows, in percent.
    ErrorRate,
    /// Completed flows per second.
    Throughput,
    /// Flows that started late, in percent of flows started.
    LateShare,
}

impl Metric {
    /// The unit of the metric's figures, for reports (`48.58 ms`, `0.20 %`).
    pub fn unit(&self) -> &'static str {
        match self {
            Metric::Percentile { .. } => "ms",
            Metric::ErrorRate | Metric::LateShare => "%",
            Metric::Throughput => "flows/s",
        }
    }
}

/// Which samples a latency threshold judges: `p99(flow)` the flows and steps that succeeded
/// (OK), `p99(flow, ko)` those that failed, `p99(flow, all)` both. Latency of failures is
/// no evidence that a gateway is fast: a run whose every flow failed fast must not pass
/// `p99(flow) < 200ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Samples {
    #[default]
    Ok,
    Ko,
    All,
}

impl Samples {
    pub fn name(self) -> &'static str {
        match self {
            Samples::Ok => "ok",
            Samples::Ko => "ko",
            Samples::All => "all",
        }
    }
}

/// How a threshold (or a scenario's `requires:`) compares; thresholds use the orderings only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
    NotEqual,
}

impl Comparison {
    pub fn holds<T: PartialOrd>(self, actual: T, limit: T) -> bool {
        match self {
            Comparison::Less => actual < limit,
            Comparison::LessOrEqual => actual <= limit,
            Comparison::Greater => actual > limit,
            Comparison::GreaterOrEqual => actual >= limit,
            Comparison::Equal => actual == limit,
            Comparison::NotEqual => actual != limit,
        }
    }
}

const KEYS: &[&str] = &[
    "model",
    "vus",
    "think_time",
    "rate",
    "stages",
    "max_in_flight",
    "duration",
    "iterations",
    "warmup",
    "thresholds",
];

/// Decodes `load:`; `steps` are the scenario's steps as load statistics key them (for the
/// steps thresholds name).
pub fn decode(node: &Node, errors: &mut Errors, steps: &[StepKey]) -> Option<LoadSpec> {
    let map = errors.mapping(node, "`load`")?;
    errors.known_keys(map, KEYS, "`load`");
    let duration = map.get_node("duration").and_then(|n| {
        let d = errors.duration(n, "`load.duration`")?;
        let holds = !d.is_zero() && d <= LONGEST;
        require(
            errors,
            n,
            holds,
            "`load.duration` must be more than 0 and at most 30 days",
        );
        Some(d.min(LONGEST))
    });
    let iterations = map.get_node("iterations").and_then(|n| {
        let i = errors.integer(n, "`load.iterations`")?;
        require(errors, n, i > 0, "`load.iterations` must be 1 or more");
        Some(i.max(1) as u64)
    });
    let warmup = map
        .get_node("warmup")
        .and_then(|n| at_most_longest(n, errors, "`load.warmup`"))
        .unwrap_or_default();
    let model = decode_model(node, map, errors)?;
    // Stages alone say how long the run lasts, as in k6: the schedule's length, warm-up
    // included (the schedule starts with the warm-up).
    let duration = match (duration, iterations, stages_length(&model)) {
        (None, None, Some(length)) if length > warmup => Some((length - warmup).min(LONGEST)),
        _ => duration,
    };
    if duration.is_none() && iterations.is_none() {
        errors.at(
            node,
            "`load` needs `duration`, `iterations` or `stages` longer than `warmup`, so a run stops by itself",
        );
    }
    let thresholds = map
        .get_node("thresholds")
        .map(|list| decode_thresholds(list, errors, steps))
        .unwrap_or_default();
    Some(LoadSpec {
        model,
        duration,
        iterations,
        warmup,
        thresholds,
    })
}

/// How long the open model's stages last, when it has any.
fn stages_length(model: &Model) -> Option<Duration> {
    match model {
        Model::Open { stages, .. } if !stages.is_empty() => {
            Some(stages.iter().map(|(duration, _)| *duration).sum())
        }
        _ => None,
    }
}

/// `model: closed` (the default) or `open`, with the keys of that model.
fn decode_model(node: &Node, map: &MarkedMappingNode, errors: &mut Errors) -> Option<Model> {
    let model_name = map
        .get_node("model")
        .and_then(|n| errors.string(n, "`load.model`"))
        .unwrap_or_else(|| "closed".into());
    match model_name.as_str() {
        "closed" => Some(decode_closed(map, errors)),
        "open" => Some(decode_open(node, map, errors)),
        other => {
            let n = map.get_node("model").unwrap_or(node);
            errors.push(
                Diagnostic::new(
                    yaml::at(n),
                    other.len(),
                    format!("unknown load model `{other}`"),
                )
                .suggest(other, ["closed", "open"]),
            );
            None
        }
    }
}

fn decode_closed(map: &MarkedMappingNode, errors: &mut Errors) -> Model {
    let vus = map
        .get_node("vus")
        .and_then(|n| {
            let vus = errors.integer(n, "`load.vus`")?;
            let holds = (1..=MAX_VUS).contains(&vus);
            require(errors, n, holds, "`load.vus` must be from 1 to 100000");
            Some(vus)
        })
        .unwrap_or(1)
        .clamp(1, MAX_VUS) as u32;
    let think_time = map
        .get_node("think_time")
        .and_then(|n| at_most_longest(n, errors, "`load.think_time`"))
        .unwrap_or_default();
    Model::Closed { vus, think_time }
}

fn decode_open(node: &Node, map: &MarkedMappingNode, errors: &mut Errors) -> Model {
    let rate = map
        .get_node("rate")
        .and_then(|n| {
            let rate = errors.number(n, "`load.rate`")?;
            let holds = rate.is_finite() && (0.0..=MAX_RATE).contains(&rate);
            require(
                errors,
                n,
                holds,
                "`load.rate` must be from 0 to 1000000 flows/s",
            );
            Some(if holds { rate } else { 0.0 })
        })
        .unwrap_or(0.0);
    let stages = map
        .get_node("stages")
        .map(|n| decode_stages(n, errors))
        .unwrap_or_default();
    if rate <= 0.0 && stages.is_empty() {
        errors.at(node, "an open model needs `rate` (flows/s) or `stages`");
    }
    let max_in_flight = map
        .get_node("max_in_flight")
        .and_then(|n| {
            let most = errors.integer(n, "`load.max_in_flight`")?;
            let holds = (1..=MAX_IN_FLIGHT).contains(&most);
            require(
                errors,
                n,
                holds,
                "`load.max_in_flight` must be from 1 to 1000000",
            );
            Some(most)
        })
        .unwrap_or(10_000)
        .clamp(1, MAX_IN_FLIGHT) as u32;
    Model::Open {
        rate,
        stages,
        max_in_flight,
    }
}

/// An error at `node` unless `holds`: a window of 0 s or 0 flows, or no virtual user, runs
/// nothing, and past the bounds a run cannot be scheduled (the flags have the same bounds,
/// `cmd::values`).
fn require(errors: &mut Errors, node: &Node, holds: bool, message: &str) {
    if !holds {
        errors.at(node, message);
    }
}

/// A duration from 0 to `LONGEST` (a warm-up, a think time, a stage).
fn at_most_longest(node: &Node, errors: &mut Errors, what: &str) -> Option<Duration> {
    let d = errors.duration(node, what)?;
    let message = format!("{what} must be at most 30 days");
    require(errors, node, d <= LONGEST, &message);
    Some(d.min(LONGEST))
}

fn decode_thresholds(list: &Node, errors: &mut Errors, steps: &[StepKey]) -> Vec<Threshold> {
    let mut thresholds = Vec::new();
    for (text, at) in errors.strings(list, "a threshold") {
        match parse_threshold(&text) {
            Ok((metric, op, value)) => {
                check_threshold_step(&metric, &text, at, errors, steps);
                thresholds.push(Threshold {
                    text,
                    at,
                    metric,
                    op,
                    value,
                });
            }
            Err(e) => errors.push(Diagnostic::new(at, text.chars().count(), e)),
        }
    }
    thresholds
}

/// A percentile is of the whole `flow` or of one step the scenario has (`resolve_step`).
fn check_threshold_step(
    metric: &Metric,
    text: &str,
    at: Location,
    errors: &mut Errors,
    steps: &[StepKey],
) {
    let Metric::Percentile { of, .. } = metric else {
        return;
    };
    if let Err(message) = resolve_step(of, steps) {
        let known: Vec<&str> = steps
            .iter()
            .map(|s| s.name.as_str())
            .chain(["flow"])
            .collect();
        let mut diagnostic = Diagnostic::new(at, text.chars().count(), message);
        if !steps.iter().any(|s| s.call == *of) {
            diagnostic = diagnostic
                .suggest(of, known.iter().copied())
                .with_help(format!("steps: {}", known.join(", ")));
        }
        errors.push(diagnostic);
    }
}

fn decode_stages(node: &Node, errors: &mut Errors) -> Vec<(Duration, f64)> {
    let Node::Sequence(items) = node else {
        errors.at(node, "`stages` must be a list of {duration, target}");
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let map = errors.mapping(item, "a stage")?;
            errors.known_keys(map, &["duration", "target"], "a stage");
            let duration = map
                .get_node("duration")
                .and_then(|n| at_most_longest(n, errors, "a stage's `duration`"))?;
            let target = map.get_node("target").and_then(|n| {
                let target = errors.number(n, "a stage's `target`")?;
                let holds = target.is_finite() && (0.0..=MAX_RATE).contains(&target);
                let message = "a stage's `target` must be from 0 to 1000000 flows/s";
                require(errors, n, holds, message);
                Some(if holds { target } else { 0.0 })
            })?;
            Some((duration, target))
        })
        .collect()
}
