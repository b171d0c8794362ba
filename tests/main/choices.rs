//! The password scenarios judge the gateway by the profile's policy, not the reference
//! gateway's: for generated policies (length bounds, classes, longest run), the embedded
//! gateway set to that policy and a profile saying so, the password scenarios pass (or are
//! skipped, saying why, where a policy leaves nothing to check), and with the policy switched
//! off the scenarios that refuse a password fail.

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
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

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
