//! Each choice of a profile's `tokens:` section, both ways (`docs/choices.md` K4, K6, K7, D4,
//! D5, D8, V5, S10, and single use: K8, D7, V7, R9): the scenarios written for a choice pass
//! against the embedded gateway set to the same profile, and fail against a gateway that made
//! the other choice while the profile still says the first; and the fuzz model's prediction
//! for a sequence that depends on the choice holds against the first gateway and fails against
//! the other.

use gatecheck::fuzz::model::{scenario_yaml, Model};
use gatecheck::fuzz::ops::{Channel, Expiry, Guess, Op, Point, Slide, Stage, Tok, Who};
use gatecheck::profile::{Profile, REFERENCE_YAML};
use gatecheck::runner::record::{RunRecord, Verdict};
use gatecheck::runner::RunOptions;

use crate::support::{config, current_thread_runtime, repo_path, run, temp_dir, unique};

/// The reference profile with `tokens:` lines replaced (`key: value` each).
fn profile(changes: &[&str]) -> Profile {
    let text = changes
        .iter()
        .fold(REFERENCE_YAML.to_owned(), |text, change| {
            let key = change.split(':').next().expect("key");
            let line = text
                .lines()
                .find(|line| line.trim_start().starts_with(&format!("{key}:")))
                .unwrap_or_else(|| panic!("the reference profile has `{key}`"));
            text.replacen(line, &format!("  {change}"), 1)
        });
    Profile::parse("choice.yaml", &text).expect("profile")
}

/// `files` (scenario paths, or scenario text) judged with `said`'s profile against the gateway
/// set to `gateway`'s.
fn judge(files: &[String], said: &Profile, gateway: &Profile) -> RunRecord {
    let mut options = RunOptions::new(said.clone());
    options.session.embedded = gatecheck::runner::embedded::config_for(gateway, config(Vec::new()));
    let suite = files
        .iter()
        .flat_map(|file| crate::support::scenarios(std::path::Path::new(file), said))
        .collect();
    current_thread_runtime().block_on(run(suite, &options)).0
}

struct Case {
    what: &'static str,
    /// The profile; the gateway makes the other choice.
    says: &'static [&'static str],
    other: &'static [&'static str],
    scenarios: &'static [&'static str],
    /// A fuzz sequence whose prediction reads the choice.
    ops: Vec<Op>,
}

fn check_captcha(point: Point, slide: Slide) -> Op {
    Op::CheckCaptcha {
        who: Who::Main,
        client_type: 0,
        check_type: 1,
        token: Tok::T1,
        point,
        slide,
    }
}

fn send_captcha(client_type: u8) -> Op {
    Op::SendCaptcha {
        who: Who::Main,
        client_type,
        check_type: 1,
    }
}

fn check_code(who: Who, guess: Guess) -> Op {
    Op::CheckCode { who, guess }
}

fn send_code() -> Op {
    Op::SendCode {
        who: Who::Main,
        token: Tok::T2,
        channel: Channel::Default,
    }
}

/// Each token reusable, then single use, with a fuzz case that uses it twice.
fn reuse_cases() -> Vec<Case> {
    let reset = || Op::Reset {
        who: Who::Main,
        token: Tok::T3,
        password: gatecheck::fuzz::ops::NewPassword::Valid,
    };
    let right = check_captcha(Point::Right, Slide::Plausible);
    let twice = [
        vec![Op::Reach(Who::Main, Stage::T2), right],
        vec![Op::Reach(Who::Main, Stage::Code), send_code()],
        vec![
            Op::Reach(Who::Main, Stage::T3),
            check_code(Who::Main, Guess::Right),
        ],
        vec![Op::Reach(Who::Main, Stage::T3), reset(), reset()],
    ];
    let reusable: [(&[&str], &[&str], &[&str]); 4] = [
        (
            &["t1_single_use: false"],
            &["t1_single_use: true"],
            &["tokens/t1_reusable.yaml"],
        ),
        (
            &["t2_single_use: false"],
            &["t2_single_use: true"],
            &["tokens/t2_reusable.yaml"],
        ),
        (
            &["code_single_use: false"],
            &["code_single_use: true"],
            &["tokens/code_reusable.yaml"],
        ),
        (
            &["t3_single_use: false"],
            &["t3_single_use: true"],
            &["tokens/t3_reusable.yaml"],
        ),
    ];
    let single: [&[&str]; 4] = [
        &[
            "tokens/t1_replayed.yaml",
            "tokens/t1_replayed_concurrently.yaml",
        ],
        &[
            "tokens/t2_replayed.yaml",
            "tokens/t2_replayed_concurrently.yaml",
        ],
        &[
            "tokens/code_replayed.yaml",
            "tokens/code_replayed_concurrently.yaml",
        ],
        &[
            "tokens/t3_replayed.yaml",
            "tokens/t3_replayed_concurrently.yaml",
        ],
    ];
    let mut cases = Vec::new();
    for (((says, other, scenarios), replayed), ops) in reusable.into_iter().zip(single).zip(twice) {
        cases.push(Case {
            what: "reusable until expiry",
            says,
            other,
            scenarios,
            ops: ops.clone(),
        });
        cases.push(Case {
            what: "single use",
            says: other,
            other: says,
            scenarios: replayed,
            ops,
        });
    }
    cases
}

fn cases() -> Vec<Case> {
    let wrong = || check_captcha(Point::Beyond, Slide::Plausible);
    let right = || check_captcha(Point::Right, Slide::Plausible);
    let t1 = Op::Reach(Who::Main, Stage::T1);
    let code = Op::Reach(Who::Main, Stage::Code);
    vec![
        Case {
            what: "K4 three tries",
            says: &["t1_on_mismatch: false", "t1_tries: 3"],
            other: &["t1_on_mismatch: false", "t1_tries: 2"],
            scenarios: &[
                "captcha/t1_tries_left.yaml",
                "captcha/t1_tries_used_up.yaml",
            ],
            ops: vec![t1.clone(), wrong(), wrong(), right()],
        },
        Case {
            what: "K4 unlimited",
            says: &["t1_on_mismatch: false", "t1_tries: unlimited"],
            other: &["t1_on_mismatch: false", "t1_tries: 3"],
            scenarios: &["captcha/failed_check_keeps_t1.yaml"],
            ops: vec![t1.clone(), wrong(), wrong(), wrong(), right()],
        },
        Case {
            what: "K6 bound to the user only",
            says: &["t1_bound_to_client: false"],
            other: &["t1_bound_to_client: true"],
            scenarios: &["tokens/other_client_accepted.yaml"],
            ops: vec![send_captcha(5), right()],
        },
        Case {
            what: "K7 consumed",
            says: &["t1_consumed_by_invalid_body: true"],
            other: &["t1_consumed_by_invalid_body: false"],
            scenarios: &["captcha/invalid_body_uses_t1.yaml"],
            ops: vec![
                t1.clone(),
                check_captcha(Point::Right, Slide::Missing),
                right(),
            ],
        },
        Case {
            what: "K7 kept",
            says: &["t1_consumed_by_invalid_body: false"],
            other: &["t1_consumed_by_invalid_body: true"],
            scenarios: &["captcha/invalid_body_keeps_t1.yaml"],
            ops: vec![
                t1.clone(),
                check_captcha(Point::Right, Slide::Missing),
                right(),
            ],
        },
        Case {
            what: "D5 kept",
            says: &["t2_consumed_by_too_frequent: false"],
            other: &["t2_consumed_by_too_frequent: true"],
            scenarios: &["code/resend_refused_keeps_t2.yaml"],
            ops: vec![
                code.clone(),
                Op::Reach(Who::Main, Stage::T2),
                send_code(),
                send_code(),
            ],
        },
        Case {
            what: "D5 consumed",
            says: &["t2_consumed_by_too_frequent: true"],
            other: &["t2_consumed_by_too_frequent: false"],
            scenarios: &["code/resend_refused_uses_t2.yaml"],
            ops: vec![
                code.clone(),
                Op::Reach(Who::Main, Stage::T2),
                send_code(),
                send_code(),
            ],
        },
        Case {
            what: "D8 keeps the counter",
            says: &["new_code_resets_counter: false"],
            other: &["new_code_resets_counter: true"],
            scenarios: &["code/new_code_keeps_counter.yaml"],
            ops: counter_across_sends(),
        },
        Case {
            what: "D8 resets the counter",
            says: &["new_code_resets_counter: true"],
            other: &["new_code_resets_counter: false"],
            scenarios: &["code/new_code_resets_counter.yaml"],
            ops: counter_across_sends(),
        },
        Case {
            what: "V5 counts",
            says: &["other_user_code: counts"],
            other: &["other_user_code: intact"],
            scenarios: &["tokens/other_user_code_counts.yaml"],
            ops: other_users_check(),
        },
        Case {
            what: "V5 used up",
            says: &["other_user_code: used_up"],
            other: &["other_user_code: counts"],
            scenarios: &["tokens/other_user_code_used_up.yaml"],
            ops: other_users_check(),
        },
        Case {
            what: "V5 intact",
            says: &["other_user_code: intact"],
            other: &["other_user_code: used_up"],
            scenarios: &["tokens/other_user_code.yaml"],
            ops: other_users_check(),
        },
        // D4: unseen by fuzz cases, whose users share no destination and no account.
        Case {
            what: "D4 per user string",
            says: &["resend_scope: user"],
            other: &["resend_scope: account"],
            scenarios: &["code/resend_scope_user.yaml"],
            ops: Vec::new(),
        },
        Case {
            what: "D4 per destination, not user string",
            says: &["resend_scope: destination"],
            other: &["resend_scope: user"],
            scenarios: &["code/resend_scope_destination.yaml"],
            ops: Vec::new(),
        },
        Case {
            what: "D4 per destination, not account",
            says: &["resend_scope: destination"],
            other: &["resend_scope: account"],
            scenarios: &["code/resend_scope_destination.yaml"],
            ops: Vec::new(),
        },
        Case {
            what: "D4 per account",
            says: &["resend_scope: account"],
            other: &["resend_scope: destination"],
            scenarios: &["code/resend_scope_account.yaml"],
            ops: Vec::new(),
        },
        Case {
            what: "S10 replaces",
            says: &["new_captcha_replaces: true"],
            other: &["new_captcha_replaces: false"],
            scenarios: &["captcha/new_captcha_replaces.yaml"],
            // Unseen by fuzz cases: they present the flow's newest T1, which a new CAPTCHA
            // never replaces.
            ops: Vec::new(),
        },
        Case {
            what: "S10 beside",
            says: &["new_captcha_replaces: false"],
            other: &["new_captcha_replaces: true"],
            scenarios: &["captcha/new_captcha_beside.yaml"],
            ops: Vec::new(),
        },
    ]
}

/// Four wrong codes (of the reference's five), past the resend interval (T1's lifetime is
/// longer) a new code while the first is still live, a wrong one and the right one.
fn counter_across_sends() -> Vec<Op> {
    let code = Op::Reach(Who::Main, Stage::Code);
    let mut ops = vec![code.clone()];
    ops.extend((0..4).map(|_| check_code(Who::Main, Guess::Wrong)));
    ops.extend([
        Op::Wait(Expiry::T1),
        code,
        check_code(Who::Main, Guess::Wrong),
    ]);
    ops.push(check_code(Who::Main, Guess::Right));
    ops
}

/// Four wrong codes of the main user's own, then the main user's code checked for another.
fn other_users_check() -> Vec<Op> {
    let mut ops = vec![Op::Reach(Who::Main, Stage::Code)];
    ops.extend((0..4).map(|_| check_code(Who::Main, Guess::Wrong)));
    ops.push(check_code(Who::Other, Guess::Right));
    ops.push(check_code(Who::Main, Guess::Right));
    ops
}

fn verdicts(record: &RunRecord) -> Vec<(String, Verdict)> {
    record
        .scenarios
        .iter()
        .map(|s| (s.file.clone(), s.verdict))
        .collect()
}

#[test]
fn each_token_choice_is_followed_and_its_opposite_caught() {
    let dir = temp_dir("token-choices");
    for case in cases().into_iter().chain(reuse_cases()) {
        let said = profile(case.says);
        let other = profile(case.other);
        let files: Vec<String> = case
            .scenarios
            .iter()
            .map(|f| repo_path(&format!("scenarios/{f}")).display().to_string())
            .collect();
        let same = judge(&files, &said, &said);
        assert!(
            same.scenarios.iter().all(|s| s.verdict == Verdict::Passed),
            "{} {:?}: {:?}\n{}",
            case.what,
            case.says,
            verdicts(&same),
            gatecheck::report::console::render(&same)
        );
        let caught = judge(&files, &said, &other);
        assert!(
            caught
                .scenarios
                .iter()
                .any(|s| s.verdict == Verdict::Failed),
            "{} {:?}: the other choice passed {:?}",
            case.what,
            case.says,
            verdicts(&caught)
        );
        if case.ops.is_empty() {
            continue;
        }
        let steps = Model::new(&said).plan(&case.ops);
        let yaml = scenario_yaml(case.what, "", &steps);
        let path = dir.join(format!("case-{}.yaml", unique()));
        std::fs::write(&path, &yaml).expect("write");
        let files = [path.display().to_string()];
        let same = judge(&files, &said, &said);
        assert_eq!(
            verdicts(&same)[0].1,
            Verdict::Passed,
            "{}: the model's case fails on its own gateway\n{yaml}\n{}",
            case.what,
            gatecheck::report::console::render(&same)
        );
        let caught = judge(&files, &said, &other);
        assert_eq!(
            verdicts(&caught)[0].1,
            Verdict::Failed,
            "{}: the model's case passes on the other choice\n{yaml}",
            case.what
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
