//! Planning a case: which operations the profile lets the model predict, and each operation
//! made a step, its YAML and its prediction, with the model moved on as the prediction says.
//! A pair sent at once expects one answer to find the state as it is and the other the state
//! the first left; a run of wrong codes is one step repeated up to the attempt limit.

use std::collections::BTreeMap;

use super::render::{call_expect_yaml, expect_yaml, user, wrong_literal};
use super::{Expected, Model, PlannedStep};
use crate::fuzz::ops::{NewPassword, Op, Slide};

impl Model {
    /// Which operations this profile can predict (those whose rule is off are left out).
    pub fn can_plan(&self, op: &Op) -> bool {
        let rules = &self.rules;
        match op {
            Op::CheckCaptcha {
                slide: Slide::TooFast,
                ..
            } => rules.slide_min > 0,
            Op::Reset { password, .. } => match password {
                NewPassword::TooShort => rules.min_length > 1,
                NewPassword::OneClass => rules.min_classes >= 2,
                NewPassword::Run => rules.max_run >= 1 && rules.max_run <= 2,
                NewPassword::UserName => rules.forbid_user_name,
                NewPassword::Valid => true,
            },
            Op::Twice(inner) => self.can_plan(inner),
            _ => true,
        }
    }

    /// The steps of a case: each operation as YAML with its prediction, the model moved on as
    /// the prediction says (a case stops at the first answer that differs).
    pub fn plan(mut self, ops: &[Op]) -> Vec<PlannedStep> {
        let plannable: Vec<Op> = ops
            .iter()
            .flat_map(Op::expand)
            .filter(|op| self.can_plan(op))
            .collect();
        plannable.iter().map(|op| self.step(op)).collect()
    }

    fn step(&mut self, op: &Op) -> PlannedStep {
        let (yaml, expected) = match op {
            Op::Twice(inner) => {
                // Both copies carry the same request; whichever comes first finds the state as
                // it is, the other the state the first left (the first use of a token wins).
                let yaml = self.render(inner);
                let presented = self.presented_token(inner);
                let first = self.predict_with(inner, presented);
                let second = self.predict_with(inner, presented);
                let mut outcomes = BTreeMap::new();
                *outcomes.entry(first.outcome()).or_insert(0) += 1;
                *outcomes.entry(second.outcome()).or_insert(0) += 1;
                let expected = Expected::Outcomes(outcomes);
                (
                    format!("{yaml}    parallel: 2\n{}", expect_yaml(&expected)),
                    expected,
                )
            }
            Op::WrongCodes { who } => {
                let mut repeat = match self.codes.get(who) {
                    Some(p) if self.live_code(p) && !p.burnt => {
                        self.rules.attempts - p.wrong.min(self.rules.attempts - 1)
                    }
                    _ => self.rules.attempts,
                };
                // One step expects one answer: where the last wrong code allowed answers
                // otherwise, the run stops just short of it (a later run reaches it alone).
                if self.rules.exceeded_on_last_attempt && repeat > 1 {
                    repeat -= 1;
                }
                let mut last = Expected::Nothing;
                for _ in 0..repeat {
                    last = self.check_code(*who, None);
                }
                let yaml = format!(
                    "  - check_code: {{user: {}, code: \"{}\"}}\n    repeat: {repeat}\n",
                    user(*who),
                    wrong_literal(),
                );
                (format!("{yaml}{}", expect_yaml(&last)), last)
            }
            other => {
                let (yaml, expected) = self.call(other);
                let expect = call_expect_yaml(&expected, other);
                (format!("{yaml}{expect}"), expected)
            }
        };
        PlannedStep {
            yaml,
            expected,
            op: op.clone(),
        }
    }

    /// A call's YAML (without `expect`) and its prediction, the model moved on.
    fn call(&mut self, op: &Op) -> (String, Expected) {
        let yaml = self.render(op);
        let presented = self.presented_token(op);
        let expected = self.predict_with(op, presented);
        (yaml, expected)
    }
}
