//! The suite and the fuzz model judge a gateway by its profile, not by the reference gateway's
//! choices (`docs/choices.md`). For generated profiles, and the embedded gateway set to each
//! (`runner::embedded`): the password scenarios follow generated policies and fail with the
//! policy switched off; the whole suite passes (or skips, saying why), a fuzz run finds
//! nothing, and a fault switch drawn for the profile is still caught. A failing profile
//! shrinks and is printed as the YAML a user would write.

use gatecheck::gateway::fault::Fault;
use gatecheck::gateway::password::PasswordPolicy;
use gatecheck::profile::Profile;
use gatecheck::runner::record::{RunRecord, Verdict};
use gatecheck::runner::RunOptions;
use proptest::prelude::*;

use crate::support::{config, current_thread_runtime, repo_path, run, scenarios};

#[derive(Debug, Clone, Copy)]
struct Policy {
    min_length: usize,
    max_length: usize,
    min_classes: usize,
    max_run: usize,
}

fn policies() -> impl Strategy<Value = Policy> {
    (
        6usize..=12,
        prop::sample::select(vec![24usize, 32, 64]),
        1usize..=4,
        1usize..=5,
    )
        .prop_map(|(min_length, max_length, min_classes, max_run)| Policy {
            min_length,
            max_length,
            min_classes,
            max_run,
        })
}

/// The reference profile with this policy's numbers.
fn profile(policy: Policy) -> Profile {
    let reference = gatecheck::profile::REFERENCE_YAML;
    let text = [
        (
            "min_length: 8",
            format!("min_length: {}", policy.min_length),
        ),
        (
            "max_length: 32",
            format!("max_length: {}", policy.max_length),
        ),
        (
            "min_classes: 2",
            format!("min_classes: {}", policy.min_classes),
        ),
        ("max_run: 2", format!("max_run: {}", policy.max_run)),
    ]
    .iter()
    .fold(reference.to_owned(), |text, (from, to)| {
        assert!(text.contains(from), "the reference profile has `{from}`");
        text.replace(from, to)
    });
    Profile::parse("generated.yaml", &text).expect("generated profile")
}

fn run_password_scenarios(policy: Policy, faults: Vec<Fault>) -> RunRecord {
    let mut options = RunOptions::new(profile(policy));
    options.session.embedded = config(faults);
    options.session.embedded.password_policy = PasswordPolicy {
        min_len: policy.min_length,
        max_len: policy.max_length,
        min_classes: policy.min_classes,
        max_run: policy.max_run,
        forbid_user_name: true,
    };
    let suite = scenarios(&repo_path("scenarios/password"), &options.session.profile);
    current_thread_runtime().block_on(run(suite, &options)).0
}

fn verdicts(record: &RunRecord) -> Vec<(String, Verdict, Option<String>)> {
    record
        .scenarios
        .iter()
        .map(|s| (s.file.clone(), s.verdict, s.reason.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 12,
        rng_seed: proptest::test_runner::RngSeed::Fixed(CI_SEED),
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_password_scenarios_follow_the_profile(policy in policies()) {
        let clean = run_password_scenarios(policy, Vec::new());
        for scenario in &clean.scenarios {
            prop_assert!(
                matches!(scenario.verdict, Verdict::Passed | Verdict::Skipped),
                "{policy:?}: {} {:?}\n{}",
                scenario.file,
                scenario.verdict,
                gatecheck::report::console::render(&clean)
            );
            if scenario.verdict == Verdict::Skipped {
                prop_assert!(scenario.reason.as_deref().is_some_and(|r| r.contains("this scenario needs")));
            }
        }
        // One class fewer than asked is refused only where there is a class to take away.
        let classes = clean.scenarios.iter().find(|s| s.file.ends_with("classes.yaml")).expect("classes");
        prop_assert_eq!(classes.verdict == Verdict::Skipped, policy.min_classes < 2);
        // Teeth: with the policy off, every scenario that ran and refuses a password fails.
        let broken = run_password_scenarios(policy, vec![Fault::NoPasswordPolicy]);
        for (file, verdict, _) in verdicts(&broken) {
            let ran = verdicts(&clean).iter().any(|(f, v, _)| *f == file && *v == Verdict::Passed);
            if ran {
                prop_assert_eq!(verdict, Verdict::Failed, "{:?}: {} passed without a policy", policy, file);
            }
        }
    }
}

/// A profile's choices, generated: what `profile_yaml` writes.
#[derive(Debug, Clone)]
struct Choices {
    lifetimes: [u64; 4],
    tolerance: u32,
    slide: (u32, u32),
    attempts: u32,
    resend: u64,
    code_length: u32,
    burns: (bool, bool, bool),
    exceeded_on_last_attempt: bool,
    policy: Policy,
    /// Per failure kind but `internal`: status and the code's nine digits.
    answers: Vec<(u16, u32)>,
}

/// The failure kinds a profile maps, but `internal` (kept at 500: it must never happen).
fn kinds() -> impl Iterator<Item = &'static str> {
    gatecheck::profile::KINDS
        .iter()
        .copied()
        .filter(|k| *k != "internal")
}

fn choices() -> impl Strategy<Value = Choices> {
    let lifetimes =
        (10u64..=300, 10u64..=300, 30u64..=600, 30u64..=600).prop_map(|(a, b, c, d)| [a, b, c, d]);
    let slide = (0u32..=500, 1_000u32..=120_000);
    // Codes stay clear of the `wrong-error-codes` switch's USG.29999....
    let answers = prop::collection::vec(
        (
            prop::sample::select(vec![400u16, 401, 403, 409, 429]),
            100_000_000u32..=289_999_999,
        ),
        kinds().count(),
    );
    (
        lifetimes,
        0u32..=10,
        slide,
        1u32..=8,
        1u64..=300,
        4u32..=8,
        any::<(bool, bool, bool, bool)>(),
        policies(),
        answers,
    )
        .prop_map(
            |(
                lifetimes,
                tolerance,
                slide,
                attempts,
                resend,
                code_length,
                burns,
                policy,
                answers,
            )| Choices {
                lifetimes,
                tolerance,
                slide,
                attempts,
                resend,
                code_length,
                burns: (burns.0, burns.1, burns.2),
                exceeded_on_last_attempt: burns.3,
                policy,
                answers,
            },
        )
}

/// The profile these choices make, as a file a user would write.
fn profile_yaml(c: &Choices) -> String {
    let errors: String = kinds()
        .zip(&c.answers)
        .map(|(kind, (status, digits))| {
            format!("  {kind}: {{status: {status}, code: USG.{digits:09}}}\n")
        })
        .collect();
    let [t1, t2, code, t3] = c.lifetimes;
    let p = c.policy;
    format!(
        "name: generated\ntest_support: true\nerrors:\n{errors}  internal: {{status: 500, code: USG.290000500}}\n\
         lifetimes: {{t1: {t1}s, t2: {t2}s, code: {code}s, t3: {t3}s}}\n\
         captcha: {{tolerance: {}, slide_time_min: {}, slide_time_max: {}}}\n\
         code: {{attempts: {}, exceeded_on_last_attempt: {}, resend_interval: {}s, length: {}}}\n\
         burns: {{t1_on_mismatch: {}, t3_on_policy: {}, other_user: {}}}\n\
         password: {{min_length: {}, max_length: {}, min_classes: {}, max_run: {}, forbid_user_name: true}}\n",
        c.tolerance, c.slide.0, c.slide.1, c.attempts, c.exceeded_on_last_attempt, c.resend, c.code_length, c.burns.0, c.burns.1, c.burns.2,
        p.min_length, p.max_length, p.min_classes, p.max_run,
    )
}

/// A fuzz run against the embedded gateway set to `profile`.
fn fuzz_against(profile: &Profile, cases: u32, seed: u64) -> gatecheck::fuzz::FuzzOutcome {
    use gatecheck::fuzz::{self, report::Progress, FuzzOptions};
    use gatecheck::runner::{Session, Users};
    let mut options = RunOptions::new(profile.clone());
    options.session.embedded = gatecheck::runner::embedded::config_for(profile, config(Vec::new()));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let session = runtime
        .block_on(Session::start(&options.session, Users::Fresh))
        .expect("session");
    let fuzz_options = FuzzOptions {
        cases,
        seed,
        time_limit: None,
        max_ops: 12,
        max_shrink_iters: 200,
        keep_going: false,
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    fuzz::fuzz(
        &runtime,
        &session,
        &fuzz_options,
        stop,
        &Progress::start(false, cases),
    )
}

fn run_suite(profile: &Profile, faults: Vec<Fault>) -> RunRecord {
    let mut options = RunOptions::new(profile.clone());
    options.session.embedded = gatecheck::runner::embedded::config_for(profile, config(faults));
    options.jobs = 64;
    let suite = scenarios(&repo_path("scenarios"), profile);
    current_thread_runtime().block_on(run(suite, &options)).0
}

/// The built-in suite passes, and a fuzz run finds nothing, against the embedded gateway set to
/// the generated profile; the fault switch drawn for it is still caught.
fn check_profile(choices: &Choices, seed: u64, fault: usize) -> Result<(), TestCaseError> {
    let yaml = profile_yaml(choices);
    let profile = Profile::parse("generated.yaml", &yaml).expect("generated profile");
    let clean = run_suite(&profile, Vec::new());
    let failed: Vec<&str> = clean
        .scenarios
        .iter()
        .filter(|s| matches!(s.verdict, Verdict::Failed | Verdict::Error))
        .map(|s| s.file.as_str())
        .collect();
    prop_assert!(
        failed.is_empty(),
        "profile:\n{yaml}\nfailed: {failed:?}\n{}",
        gatecheck::report::console::render(&clean)
    );
    // Skipped only where a scenario says the profile leaves it nothing to check.
    for skipped in clean
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Skipped)
    {
        let reason = skipped.reason.as_deref().unwrap_or_default();
        prop_assert!(
            reason.contains("this scenario needs") || reason.contains("off"),
            "{}: {reason}",
            skipped.file
        );
    }
    let passed = clean.count(Verdict::Passed);
    // Most of the suite applies to any profile; the rest is skipped with its reason above.
    prop_assert!(
        passed * 5 >= clean.scenarios.len() * 4,
        "only {passed} passed"
    );
    let fuzzed = fuzz_against(&profile, 40, seed);
    prop_assert!(
        fuzzed.findings.is_empty(),
        "profile:\n{yaml}\nfuzz seed {seed} found: {:?}",
        fuzzed
            .findings
            .first()
            .map(|f| (f.kind, &f.step, &f.expected, &f.actual, &f.repro))
    );
    let faults = crate::suite_teeth::every_fault();
    let fault = faults[fault % faults.len()].clone();
    let broken = run_suite(&profile, vec![fault.clone()]);
    prop_assert!(
        broken.count(Verdict::Failed) + broken.count(Verdict::Error) > 0,
        "profile:\n{yaml}\nnothing caught {fault:?}"
    );
    Ok(())
}

/// CI sweeps the same 30 profiles every run, so a red CI is a change, not a draw; the
/// ignored test below draws 500 afresh (its seed is printed on failure; `PROPTEST_RNG_SEED`
/// replays it).
const CI_SEED: u64 = 20_261_201;

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 30,
        rng_seed: proptest::test_runner::RngSeed::Fixed(CI_SEED),
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_suite_follows_any_profile(choices in choices(), seed in any::<u64>(), fault in 0usize..64) {
        check_profile(&choices, seed, fault)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// The same over 500 profiles (a few minutes in release):
    /// `cargo test --release --test main choices:: -- --ignored`.
    #[test]
    #[ignore]
    fn the_suite_follows_500_profiles(choices in choices(), seed in any::<u64>(), fault in 0usize..64) {
        check_profile(&choices, seed, fault)?;
    }
}
