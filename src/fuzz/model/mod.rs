//! A model of what a correct gateway must answer: users, live tokens with their bindings and
//! lifetimes, pending codes and their attempt counts, resend timers, passwords and the clock,
//! with the profile's numbers. `plan` walks a sequence of operations through it and writes each
//! as a scenario step whose `expect:` is the model's prediction, so a case is an ordinary
//! scenario: the runner sends it and judges it, and its YAML is the reproduction.
//!
//! The model follows `docs/api.md` and the profile; where both are silent it takes the
//! reference gateway's order of checks (request validation, then the token, which a use
//! consumes pass or fail, then the answer). It also mirrors the scenario context (which token
//! is "the flow's newest", which code the oracle last fetched), so that what the YAML sends is
//! what the model reasons about.
//!
//! Here: what a planned step is and what it expects. The rest: `state` (what the model
//! remembers, and the token and code moves the calls are made of), `plan` (a sequence of
//! operations into steps), `predict` (what a correct gateway answers to each call), `render`
//! (what each call sends, as YAML, and the scenario of a case).

mod plan;
mod predict;
mod render;
mod state;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use super::ops::Op;

pub use render::{forged_token, scenario_yaml};
pub use state::Model;

/// What a step must get back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    Success,
    Error(&'static str),
    /// Answers of a parallel step, by outcome (`success` or a failure kind).
    Outcomes(BTreeMap<&'static str, u32>),
    /// A clock move: nothing is sent.
    Nothing,
}

impl Expected {
    fn outcome(&self) -> &'static str {
        match self {
            Expected::Error(kind) => kind,
            _ => "success",
        }
    }
}

/// One step of a planned case: its YAML and the prediction it carries.
#[derive(Debug, Clone)]
pub struct PlannedStep {
    pub yaml: String,
    pub expected: Expected,
    pub op: Op,
}

impl PlannedStep {
    /// The call the step makes (the call sent twice, for a pair sent at once).
    pub fn call(&self) -> &'static str {
        match &self.op {
            Op::Twice(inner) => call_name(inner),
            op => call_name(op),
        }
    }

    /// Each answer the step expects (two for a pair sent at once).
    pub fn outcomes(&self) -> Vec<Exercised> {
        let call = self.call();
        let exercised = |at_once, outcome| Exercised {
            call,
            at_once,
            outcome,
        };
        match &self.expected {
            Expected::Nothing => vec![exercised(false, None)],
            Expected::Outcomes(outcomes) => outcomes
                .keys()
                .map(|outcome| exercised(true, Some(*outcome)))
                .collect(),
            single => vec![exercised(false, Some(single.outcome()))],
        }
    }
}

/// One kind of answer the model predicted and a case got: the call, whether it was one of a
/// pair sent at once, and the outcome (`success` or a failure kind; none for a clock move).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Exercised {
    pub call: &'static str,
    pub at_once: bool,
    pub outcome: Option<&'static str>,
}

/// `check_code code_mismatch`, `send_code (twice at once) success`, `wait`: fuzz.json's keys.
impl std::fmt::Display for Exercised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.call)?;
        if self.at_once {
            f.write_str(" (twice at once)")?;
        }
        match self.outcome {
            Some(outcome) => write!(f, " {outcome}"),
            None => Ok(()),
        }
    }
}

fn call_name(op: &Op) -> &'static str {
    match op {
        Op::SendCaptcha { .. } => "send_captcha",
        Op::CheckCaptcha { .. } => "check_captcha",
        Op::SendCode { .. } => "send_code",
        Op::CheckCode { .. } | Op::WrongCodes { .. } => "check_code",
        Op::Reset { .. } => "reset_password",
        Op::Login { .. } => "login",
        Op::Wait(_) => "wait",
        Op::Malformed { .. } => "malformed request",
        Op::Twice(_) | Op::Reach(..) => "sequence",
    }
}
