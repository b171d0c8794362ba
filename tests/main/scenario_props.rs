//! The scenario parser never panics: on arbitrary text, on arbitrary YAML-looking text, and on
//! every built-in scenario with random edits.

use gatecheck::profile::Profile;
use gatecheck::scenario::decode_scenario;
use proptest::prelude::*;

const SAMPLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scenarios/tokens/other_user.yaml"
));

fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("name: x\n".to_owned()),
        Just("steps:\n".to_owned()),
        Just("  - ".to_owned()),
        Just("send_captcha:".to_owned()),
        Just("check_code: {code: \"{{ code }}\"}\n".to_owned()),
        Just("    expect: {error: code_mismatch}\n".to_owned()),
        Just("    parallel: 3\n".to_owned()),
        Just("      body: {/x: {length: {min: 1}}}\n".to_owned()),
        Just("{{".to_owned()),
        Just("}}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("&a *a".to_owned()),
        Just("!tag ".to_owned()),
        "\\PC{0,12}",
    ];
    prop::collection::vec(token, 0..24).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = decode_scenario("fuzz.yaml", &text, &Profile::reference());
    }

    #[test]
    fn yaml_looking_text_never_panics(text in yamlish()) {
        if let Err(errors) = decode_scenario("fuzz.yaml", &text, &Profile::reference()) {
            let _ = errors.to_string();
        }
    }

    #[test]
    fn edited_scenarios_never_panic(at in 0usize..2000, cut in 0usize..20, insert in "\\PC{0,8}") {
        let at = SAMPLE.floor_char_boundary(at.min(SAMPLE.len()));
        let end = SAMPLE.floor_char_boundary((at + cut).min(SAMPLE.len()));
        let text = format!("{}{}{}", &SAMPLE[..at], insert, &SAMPLE[end..]);
        if let Err(errors) = decode_scenario("edited.yaml", &text, &Profile::reference()) {
            let rendered = errors.to_string();
            prop_assert!(rendered.contains("edited.yaml:"));
        }
    }
}
