//! Fault switches (mutants): each makes the reference gateway wrong in exactly one named way, so
//! tests can prove that a check catches the fault it is meant to catch.

use std::fmt;
use std::time::Duration;

use crate::api::Operation;

#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    CaptchaAnyX,
    CaptchaAnySlideTime,
    TokensNeverExpire,
    ReuseT1,
    ReuseT2,
    ReuseCode,
    ReuseT3,
    AnyCode,
    NoAttemptLimit,
    NoResendInterval,
    UnboundT1,
    UnboundT2,
    UnboundCode,
    UnboundT3,
    T2FromAnyStep,
    T3FromAnyStep,
    NoPasswordPolicy,
    RevealUnknownUsers,
    MalformedJson500,
    WrongErrorCodes,
    WrongStatus,
    LeakCode,
    NoRequestId,
    IgnoreAcceptLanguage,
    /// Every answer of one operation is delayed.
    Latency(Operation, Duration),
    /// This share of all requests (0..=1) is answered 500 without being handled.
    FailFraction(f64),
    /// Once, `after` the gateway started, it stops answering for `duration` (requests wait).
    Stall {
        after: Duration,
        duration: Duration,
    },
}

/// Name, argument syntax and one line of explanation, for `--fault list` and parse errors.
pub const CATALOGUE: &[(&str, &str)] = &[
    ("captcha-any-x", "check_captcha accepts any pointX"),
    (
        "captcha-any-slide-time",
        "check_captcha accepts any slideTime, however implausible",
    ),
    ("tokens-never-expire", "T1, T2, codes and T3 never expire"),
    ("reuse-t1", "T1 is not consumed: it can be checked again"),
    ("reuse-t2", "T2 is not consumed: it can send codes again"),
    (
        "reuse-code",
        "a correct code stays pending after check_code succeeds",
    ),
    (
        "reuse-t3",
        "T3 is not consumed: it can reset the password again",
    ),
    (
        "any-code",
        "check_code accepts any code while one is pending",
    ),
    (
        "no-attempt-limit",
        "wrong codes never burn the pending code",
    ),
    (
        "no-resend-interval",
        "send_code can be repeated at once for the same user",
    ),
    (
        "unbound-t1",
        "T1 is accepted for another user, clientType or checkType",
    ),
    ("unbound-t2", "T2 is accepted for another user"),
    (
        "unbound-code",
        "check_code accepts a code pending for another user",
    ),
    (
        "unbound-t3",
        "T3 resets the password of whichever user the body names",
    ),
    (
        "t2-from-any-step",
        "send_code accepts a live T1 or T3 in place of T2",
    ),
    (
        "t3-from-any-step",
        "reset_password accepts a live T2 in place of T3",
    ),
    (
        "no-password-policy",
        "reset_password accepts any new password",
    ),
    (
        "reveal-unknown-users",
        "unknown users get USG.201040000 from send_captcha and send_code",
    ),
    (
        "malformed-json-500",
        "a body that is not JSON is answered 500 instead of 400",
    ),
    (
        "wrong-error-codes",
        "every error keeps its status but carries another error_code",
    ),
    (
        "wrong-status",
        "every error keeps its error_code but carries another status",
    ),
    (
        "leak-code",
        "send_code's response contains the verification code",
    ),
    ("no-request-id", "responses carry no X-Request-Id header"),
    (
        "ignore-accept-language",
        "error_msg is always Chinese, whatever Accept-Language says",
    ),
    (
        "latency=STEP:DURATION",
        "delays every answer of one step, e.g. latency=check_code:20ms",
    ),
    (
        "fail-fraction=P",
        "answers this share of all requests 500, e.g. fail-fraction=0.1",
    ),
    (
        "stall=AFTER:DURATION",
        "once, AFTER the start, holds every request for DURATION, e.g. stall=5s:1s",
    ),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultParseError(String);

impl fmt::Display for FaultParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FaultParseError {}

impl std::str::FromStr for Fault {
    type Err = FaultParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, arg) = match text.split_once('=') {
            Some((name, arg)) => (name, Some(arg)),
            None => (text, None),
        };
        let simple = match name {
            "captcha-any-x" => Some(Fault::CaptchaAnyX),
            "captcha-any-slide-time" => Some(Fault::CaptchaAnySlideTime),
            "tokens-never-expire" => Some(Fault::TokensNeverExpire),
            "reuse-t1" => Some(Fault::ReuseT1),
            "reuse-t2" => Some(Fault::ReuseT2),
            "reuse-code" => Some(Fault::ReuseCode),
            "reuse-t3" => Some(Fault::ReuseT3),
            "any-code" => Some(Fault::AnyCode),
            "no-attempt-limit" => Some(Fault::NoAttemptLimit),
            "no-resend-interval" => Some(Fault::NoResendInterval),
            "unbound-t1" => Some(Fault::UnboundT1),
            "unbound-t2" => Some(Fault::UnboundT2),
            "unbound-code" => Some(Fault::UnboundCode),
            "unbound-t3" => Some(Fault::UnboundT3),
            "t2-from-any-step" => Some(Fault::T2FromAnyStep),
            "t3-from-any-step" => Some(Fault::T3FromAnyStep),
            "no-password-policy" => Some(Fault::NoPasswordPolicy),
            "reveal-unknown-users" => Some(Fault::RevealUnknownUsers),
            "malformed-json-500" => Some(Fault::MalformedJson500),
            "wrong-error-codes" => Some(Fault::WrongErrorCodes),
            "wrong-status" => Some(Fault::WrongStatus),
            "leak-code" => Some(Fault::LeakCode),
            "no-request-id" => Some(Fault::NoRequestId),
            "ignore-accept-language" => Some(Fault::IgnoreAcceptLanguage),
            _ => None,
        };
        match (simple, name, arg) {
            (Some(fault), _, None) => Ok(fault),
            (Some(_), _, Some(_)) => {
                Err(FaultParseError(format!("fault `{name}` takes no argument")))
            }
            (None, "latency", Some(arg)) => parse_latency(arg),
            (None, "fail-fraction", Some(arg)) => parse_fraction(arg),
            (None, "stall", Some(arg)) => parse_stall(arg),
            (None, "latency" | "fail-fraction" | "stall", None) => Err(FaultParseError(format!(
                "fault `{name}` needs an argument: {}",
                syntax_of(name)
            ))),
            _ => Err(FaultParseError(format!(
                "unknown fault `{text}`; {}`gatecheck serve --fault list` shows them all",
                nearest_fault(name)
                    .map(|near| format!("did you mean `{near}`? "))
                    .unwrap_or_default()
            ))),
        }
    }
}

/// The catalogued fault name closest to `wrong`, if it is close enough to be a typo
/// (Jaro-Winkler, as the scenario language's "did you mean").
fn nearest_fault(wrong: &str) -> Option<&'static str> {
    CATALOGUE
        .iter()
        .map(|(syntax, _)| syntax.split('=').next().unwrap_or(syntax))
        .map(|name| (strsim::jaro_winkler(wrong, name), name))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}

fn syntax_of(name: &str) -> &'static str {
    CATALOGUE
        .iter()
        .find(|(syntax, _)| syntax.starts_with(name))
        .map_or("", |(syntax, _)| syntax)
}

fn parse_latency(arg: &str) -> Result<Fault, FaultParseError> {
    let (step, delay) = arg
        .split_once(':')
        .ok_or_else(|| FaultParseError(format!("latency needs STEP:DURATION, got `{arg}`")))?;
    let operation = Operation::from_name(step).ok_or_else(|| {
        FaultParseError(format!(
            "unknown step `{step}`; steps are {}",
            Operation::ALL.map(Operation::name).join(", ")
        ))
    })?;
    let delay = humantime::parse_duration(delay)
        .map_err(|e| FaultParseError(format!("latency duration `{delay}`: {e}")))?;
    Ok(Fault::Latency(operation, delay))
}

fn parse_stall(arg: &str) -> Result<Fault, FaultParseError> {
    let parse = |text: &str| {
        humantime::parse_duration(text)
            .map_err(|e| FaultParseError(format!("stall duration `{text}`: {e}")))
    };
    let (after, duration) = arg
        .split_once(':')
        .ok_or_else(|| FaultParseError(format!("stall needs AFTER:DURATION, got `{arg}`")))?;
    Ok(Fault::Stall {
        after: parse(after)?,
        duration: parse(duration)?,
    })
}

fn parse_fraction(arg: &str) -> Result<Fault, FaultParseError> {
    match arg.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(Fault::FailFraction(p)),
        _ => Err(FaultParseError(format!(
            "fail-fraction needs a number from 0 to 1, got `{arg}`"
        ))),
    }
}

/// The faults a gateway runs with, as flags the handlers can test cheaply.
#[derive(Debug, Clone, Default)]
pub struct FaultSet {
    faults: Vec<Fault>,
}

impl FaultSet {
    pub fn new(faults: Vec<Fault>) -> Self {
        Self { faults }
    }

    pub fn has(&self, fault: &Fault) -> bool {
        self.faults.contains(fault)
    }

    pub fn is_empty(&self) -> bool {
        self.faults.is_empty()
    }

    pub fn all(&self) -> &[Fault] {
        &self.faults
    }

    pub fn latency_of(&self, operation: Operation) -> Option<Duration> {
        self.faults.iter().find_map(|fault| match fault {
            Fault::Latency(op, delay) if *op == operation => Some(*delay),
            _ => None,
        })
    }

    /// The stall window (from, to) since the gateway started, if the fault is on.
    pub fn stall(&self) -> Option<(Duration, Duration)> {
        self.faults.iter().find_map(|fault| match fault {
            Fault::Stall { after, duration } => Some((*after, *after + *duration)),
            _ => None,
        })
    }

    pub fn fail_fraction(&self) -> Option<f64> {
        self.faults.iter().find_map(|fault| match fault {
            Fault::FailFraction(p) => Some(*p),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogued_fault_parses() {
        for (syntax, _) in CATALOGUE {
            let example = match *syntax {
                "latency=STEP:DURATION" => "latency=check_code:20ms",
                "fail-fraction=P" => "fail-fraction=0.25",
                "stall=AFTER:DURATION" => "stall=5s:1s",
                plain => plain,
            };
            example
                .parse::<Fault>()
                .unwrap_or_else(|e| panic!("{example}: {e}"));
        }
    }

    #[test]
    fn arguments_are_checked() {
        assert_eq!(
            "latency=check_code:20ms".parse::<Fault>(),
            Ok(Fault::Latency(
                Operation::CheckCode,
                Duration::from_millis(20)
            ))
        );
        assert!("latency=nope:20ms".parse::<Fault>().is_err());
        assert!("latency=check_code".parse::<Fault>().is_err());
        assert!("fail-fraction=2".parse::<Fault>().is_err());
        assert!("reuse-t1=3".parse::<Fault>().is_err());
        assert!("reuse-t9".parse::<Fault>().is_err());
    }

    #[test]
    fn a_misspelt_fault_gets_a_suggestion() {
        let error = "reuse-t4"
            .parse::<Fault>()
            .expect_err("unknown")
            .to_string();
        assert!(error.contains("did you mean `reuse-t3`?"), "{error}");
        let error = "tokens-never-expires"
            .parse::<Fault>()
            .expect_err("unknown");
        assert!(
            error.to_string().contains("`tokens-never-expire`"),
            "{error}"
        );
        let error = "zzz".parse::<Fault>().expect_err("unknown").to_string();
        assert!(!error.contains("did you mean"), "{error}");
    }
}
