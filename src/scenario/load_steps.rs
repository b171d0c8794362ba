//! How load statistics key a scenario's steps (by name, in flow order) and what a threshold's
//! `pNN(...)` names: pure, shared by `validate` and by `load` and `merge` when they judge.

/// What a percentile threshold's `pNN(...)` names: the whole flow or a step by its position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    Flow,
    Step(usize),
}

/// A step as load statistics key it: its `name:` (or `N call` when unnamed, as the decoder
/// names it; a name several steps share gets ` #N`, its position in the flow) and its call
/// (`reset_password`, `request`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepKey {
    pub name: String,
    pub call: String,
}

/// The steps' keys in flow order, each name unique.
pub fn step_keys(steps: &[super::model::Step]) -> Vec<StepKey> {
    let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let shared = names.iter().filter(|n| **n == step.name).count() > 1;
            StepKey {
                name: match shared || step.name == "flow" {
                    true => format!("{} #{}", step.name, i + 1),
                    false => step.name.clone(),
                },
                call: step.metric_name().to_owned(),
            }
        })
        .collect()
}

/// What `of` in `pNN(of)` names: `flow`; a step by its name; else a call that only one step
/// makes. A call several steps make is ambiguous: the error names the steps to choose from.
pub fn resolve_step(of: &str, steps: &[StepKey]) -> Result<Series, String> {
    if of == "flow" {
        return Ok(Series::Flow);
    }
    if let Some(i) = steps.iter().position(|s| s.name == of) {
        return Ok(Series::Step(i));
    }
    let calls: Vec<usize> = (0..steps.len()).filter(|i| steps[*i].call == of).collect();
    match calls[..] {
        [one] => Ok(Series::Step(one)),
        [] => Err(format!("the scenario has no step `{of}`")),
        _ => {
            let names: Vec<String> = calls
                .iter()
                .map(|i| format!("`{}`", steps[*i].name))
                .collect();
            Err(format!(
                "`{of}` is the call of {} steps: name one of them ({})",
                calls.len(),
                names.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, call: &str) -> StepKey {
        StepKey {
            name: name.into(),
            call: call.into(),
        }
    }

    #[test]
    fn a_threshold_names_a_step_by_its_name_or_its_only_call() {
        let steps = [
            key("1 send_captcha", "send_captcha"),
            key("2 reset_password", "reset_password"),
            key("refused again", "reset_password"),
        ];
        assert_eq!(resolve_step("flow", &steps), Ok(Series::Flow));
        assert_eq!(resolve_step("send_captcha", &steps), Ok(Series::Step(0)));
        assert_eq!(resolve_step("refused again", &steps), Ok(Series::Step(2)));
        assert_eq!(
            resolve_step("2 reset_password", &steps),
            Ok(Series::Step(1))
        );
        let ambiguous = resolve_step("reset_password", &steps).expect_err("ambiguous");
        assert!(
            ambiguous.contains("`2 reset_password`, `refused again`"),
            "{ambiguous}"
        );
        assert!(resolve_step("login", &steps).is_err());
    }
}
