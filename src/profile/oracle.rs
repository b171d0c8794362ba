//! The `oracle:` section of a profile: how the CAPTCHA answer and the code are learnt.

use marked_yaml::types::MarkedMappingNode;
use marked_yaml::Node;

use super::{CaptchaOracle, CodeOracle, OracleChoice};
use crate::yaml::diagnostic::Diagnostic;
use crate::yaml::{self, Errors};

pub(super) fn decode(node: &Node, errors: &mut Errors) -> OracleChoice {
    let mut choice = OracleChoice {
        captcha: CaptchaOracle::Auto,
        code: CodeOracle::Auto,
    };
    let Some(map) = errors.mapping(node, "`oracle`") else {
        return choice;
    };
    errors.known_keys(
        map,
        &["captcha", "code", "fixed_code", "sink", "command"],
        "`oracle`",
    );
    if let Some(n) = map.get_node("captcha") {
        if let Some(captcha) = captcha_oracle(n, errors) {
            choice.captcha = captcha;
        }
    }
    if let Some(n) = map.get_node("code") {
        choice.code = code_oracle(n, map, errors);
    }
    choice
}

fn captcha_oracle(n: &Node, errors: &mut Errors) -> Option<CaptchaOracle> {
    let name = errors.string(n, "`oracle.captcha`")?;
    match CaptchaOracle::from_name(&name) {
        Some(oracle) => Some(oracle),
        None => {
            let other = name.as_str();
            errors.push(
                Diagnostic::new(
                    yaml::at(n),
                    other.len(),
                    format!("unknown CAPTCHA oracle `{other}`"),
                )
                .suggest(other, ["auto", "test-api", "solve"]),
            );
            None
        }
    }
}

/// `oracle.code` and the keys it needs (`fixed_code`, `sink`, `command`); `auto` on an error.
fn code_oracle(n: &Node, map: &MarkedMappingNode, errors: &mut Errors) -> CodeOracle {
    let name = errors.string(n, "`oracle.code`").unwrap_or_default();
    if let Some(oracle) = CodeOracle::from_name(&name) {
        return oracle;
    }
    match name.as_str() {
        "fixed" => match map
            .get_node("fixed_code")
            .and_then(|c| errors.string(c, "`oracle.fixed_code`"))
        {
            Some(code) => CodeOracle::Fixed(code),
            None => {
                errors.at(n, "the `fixed` code oracle needs `fixed_code`");
                CodeOracle::Auto
            }
        },
        "sink" => sink(n, map, errors),
        "command" => command(n, map, errors),
        other => {
            errors.push(
                Diagnostic::new(
                    yaml::at(n),
                    other.len().max(1),
                    format!("unknown code oracle `{other}`"),
                )
                .suggest(other, ["auto", "test-api", "fixed", "sink", "command"]),
            );
            CodeOracle::Auto
        }
    }
}

fn sink(n: &Node, map: &MarkedMappingNode, errors: &mut Errors) -> CodeOracle {
    let sink = map
        .get_node("sink")
        .and_then(|s| errors.mapping(s, "`oracle.sink`"));
    let url = sink
        .and_then(|s| s.get_node("url"))
        .and_then(|u| errors.string(u, "`oracle.sink.url`"));
    let pointer = sink
        .and_then(|s| s.get_node("pointer"))
        .and_then(|p| errors.string(p, "`oracle.sink.pointer`"));
    match (url, pointer) {
        (Some(url), Some(pointer)) => CodeOracle::Sink { url, pointer },
        _ => {
            errors.at(n, "the `sink` code oracle needs `sink: {url, pointer}`");
            CodeOracle::Auto
        }
    }
}

fn command(n: &Node, map: &MarkedMappingNode, errors: &mut Errors) -> CodeOracle {
    let command: Vec<String> = map
        .get_node("command")
        .map(|c| {
            errors
                .strings(c, "`oracle.command`")
                .into_iter()
                .map(|(s, _)| s)
                .collect()
        })
        .unwrap_or_default();
    if command.is_empty() {
        errors.at(
            n,
            "the `command` code oracle needs `command: [program, args...]`",
        );
        CodeOracle::Auto
    } else {
        CodeOracle::Command(command)
    }
}
