//! What a scenario needs of the profile to make sense: a switch that must be on
//! (`burns.t1_on_mismatch`) or off (`!code.exceeded_on_last_attempt`), a comparison of a number
//! with a constant or with another number give or take a constant (`password.min_classes >= 2`,
//! `password.max_run <= password.max_length - 5`), a word-valued choice equal or not to one of
//! its words (`requests.content_type == json`), or either of two (`a || b`). A scenario
//! whose requirement the profile does not meet is skipped, and the reason says which and why.

use serde_json::Value;

pub use super::load_spec::Comparison;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// A switch that must be on.
    Switch(String),
    /// `!switch`: a switch that must be off.
    Off(String),
    /// `a || b`: either.
    Any(Vec<Requirement>),
    Compare {
        left: String,
        op: Comparison,
        right: Operand,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    Number(i64),
    /// A number of the profile, plus an offset.
    Path(String, i64),
}

impl Operand {
    fn parse(text: &str) -> Result<Self, String> {
        if let Ok(n) = text.parse::<i64>() {
            return Ok(Operand::Number(n));
        }
        let split = text.rfind(['+', '-']);
        let Some(at) = split else {
            return Ok(Operand::Path(text.to_owned(), 0));
        };
        let offset: i64 = text[at + 1..].trim().parse().map_err(|_| {
            format!("`{text}`: expected a profile value, or one plus or minus a number")
        })?;
        let sign = if text.as_bytes()[at] == b'-' { -1 } else { 1 };
        Ok(Operand::Path(text[..at].trim().to_owned(), sign * offset))
    }
}

/// Longest first, so `<=` is not read as `<`.
const OPERATORS: &[(&str, Comparison)] = &[
    (">=", Comparison::GreaterOrEqual),
    ("<=", Comparison::LessOrEqual),
    ("==", Comparison::Equal),
    ("!=", Comparison::NotEqual),
    (">", Comparison::Greater),
    ("<", Comparison::Less),
];

impl Requirement {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.contains("||") {
            let either = text.split("||").map(Requirement::parse);
            return either.collect::<Result<_, _>>().map(Requirement::Any);
        }
        let Some((at, symbol, op)) = OPERATORS
            .iter()
            .filter_map(|(symbol, op)| text.find(symbol).map(|at| (at, *symbol, *op)))
            .min_by_key(|(at, symbol, _)| (*at, usize::MAX - symbol.len()))
        else {
            return Ok(match text.trim().strip_prefix('!') {
                Some(path) => Requirement::Off(path.trim().to_owned()),
                None => Requirement::Switch(text.trim().to_owned()),
            });
        };
        let left = text[..at].trim();
        let right = text[at + symbol.len()..].trim();
        if left.is_empty() || right.is_empty() {
            return Err(format!(
                "`{text}`: a comparison needs a profile value on each side of `{symbol}`"
            ));
        }
        let right = Operand::parse(right)?;
        Ok(Requirement::Compare {
            left: left.to_owned(),
            op,
            right,
        })
    }

    /// The profile paths it reads.
    pub fn paths(&self) -> Vec<&str> {
        match self {
            Requirement::Switch(path) | Requirement::Off(path) => vec![path],
            Requirement::Any(either) => either.iter().flat_map(Requirement::paths).collect(),
            Requirement::Compare { left, right, .. } => match right {
                Operand::Path(right, _) => vec![left, right],
                Operand::Number(_) => vec![left],
            },
        }
    }

    /// `Ok(())` when `profile` (the profile as JSON) meets it, else why not.
    pub fn check(&self, profile: &Value) -> Result<(), String> {
        let lookup = |path: &str| path.split('.').try_fold(profile, |v, k| v.get(k));
        match self {
            Requirement::Switch(path) => match lookup(path).and_then(Value::as_bool) {
                Some(true) => Ok(()),
                _ => Err(format!("the profile has `{path}` off")),
            },
            Requirement::Any(either) => {
                let mut why = Vec::new();
                for requirement in either {
                    match requirement.check(profile) {
                        Ok(()) => return Ok(()),
                        Err(reason) => why.push(reason),
                    }
                }
                Err(why.join("; and "))
            }
            Requirement::Off(path) => match lookup(path).and_then(Value::as_bool) {
                Some(false) => Ok(()),
                _ => Err(format!(
                    "the profile has `{path}` on, and this scenario needs it off"
                )),
            },
            Requirement::Compare {
                left,
                op,
                right: Operand::Path(word, 0),
            } if lookup(left).is_some_and(Value::is_string) => {
                let actual = lookup(left).and_then(Value::as_str).unwrap_or_default();
                if op.holds(i64::from(actual == word), 1) {
                    Ok(())
                } else {
                    Err(format!(
                        "the profile has {left} = {actual}, and this scenario needs {left} {} {word}",
                        symbol(*op)
                    ))
                }
            }
            Requirement::Compare { left, op, right } => {
                let number = |path: &str| lookup(path).and_then(Value::as_i64);
                let a =
                    number(left).ok_or_else(|| format!("the profile has no number `{left}`"))?;
                let (b, shown) = match right {
                    Operand::Number(n) => (*n, n.to_string()),
                    Operand::Path(path, offset) => {
                        let value = number(path)
                            .ok_or_else(|| format!("the profile has no number `{path}`"))?;
                        let shown = match offset {
                            0 => format!("{path} ({value})"),
                            _ => format!("{path} {offset:+} ({})", value + offset),
                        };
                        (value + offset, shown)
                    }
                };
                if op.holds(a, b) {
                    Ok(())
                } else {
                    Err(format!(
                        "the profile has {left} = {a}, and this scenario needs {left} {} {shown}",
                        symbol(*op)
                    ))
                }
            }
        }
    }
}

/// How a comparison is written back in a reason.
fn symbol(op: Comparison) -> &'static str {
    OPERATORS
        .iter()
        .find(|(_, o)| *o == op)
        .map_or("?", |(symbol, _)| symbol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn switches_and_comparisons_are_checked_against_the_profile() {
        let profile = json!({"burns": {"t1": true, "t3": false}, "password": {"min_classes": 1, "max_run": 2, "max_length": 32}});
        let check = |text: &str| Requirement::parse(text).expect("parses").check(&profile);
        assert_eq!(check("burns.t1"), Ok(()));
        assert!(check("!burns.t1").is_err());
        assert_eq!(check("!burns.t3"), Ok(()));
        assert_eq!(check("burns.t3 || password.max_run <= 2"), Ok(()));
        assert!(check("burns.t3 || password.max_run > 2").is_err());
        assert!(check("burns.t2").is_err());
        assert_eq!(check("password.max_run < password.max_length"), Ok(()));
        assert_eq!(check("password.max_run <= 2"), Ok(()));
        assert_eq!(check("password.max_run <= password.max_length - 4"), Ok(()));
        assert!(check("password.max_length < password.max_run + 30").is_err());
        let refused = check("password.min_classes >= 2").expect_err("1 < 2");
        assert!(refused.contains("password.min_classes = 1"), "{refused}");
        assert!(check("password.nothing > 1").is_err());
        assert!(Requirement::parse(">= 2").is_err());
        let words = json!({"requests": {"content_type": "json"}});
        let word = |text: &str| Requirement::parse(text).expect("parses").check(&words);
        assert_eq!(word("requests.content_type == json"), Ok(()));
        assert!(word("requests.content_type != json").is_err());
        assert_eq!(word("requests.content_type != refused"), Ok(()));
        let why = word("requests.content_type == refused").expect_err("json");
        assert!(why.contains("requests.content_type = json"), "{why}");
    }
}
