//! The `errors:` section: each failure kind's status and the codes it may answer
//! (`docs/choices.md` C1-C3). `code:` is the kind's code; `codes: [..]` beside it (or instead)
//! lists more, for a gateway that tells sub-cases apart (an expired token from an unknown one).
//! Two kinds may share a code only under different statuses: the judge names a refusal's kind
//! from its status and code (`Profile::kind_of`), so a pair two kinds share would make
//! `outcomes:` counts and the fuzzer's findings ambiguous, and is refused here.

use marked_yaml::Node;

use super::{well_formed_code, ErrorSpec, Profile, KINDS};
use crate::yaml::Errors;

/// Kinds a profile may map and need not: a gateway answers them only under a choice of the
/// `requests:` section. Their defaults are the reference gateway's.
pub const OPTIONAL_KINDS: &[(&str, u16, &str)] = &[
    ("unsupported_media_type", 415, "USG.290000415"),
    ("payload_too_large", 413, "USG.290000413"),
];

pub(super) fn decode(node: &Node, errors: &mut Errors, profile: &mut Profile) {
    let Some(map) = errors.mapping(node, "`errors`") else {
        return;
    };
    let known: Vec<&str> = KINDS
        .iter()
        .copied()
        .chain(OPTIONAL_KINDS.iter().map(|(kind, _, _)| *kind))
        .collect();
    errors.known_keys(map, &known, "`errors`");
    for kind in KINDS {
        match map.get_node(kind) {
            Some(spec) => decode_kind(kind, spec, errors, profile),
            None => errors.at(node, format!("`errors` needs the failure kind `{kind}`")),
        }
    }
    for (kind, status, code) in OPTIONAL_KINDS {
        match map.get_node(kind) {
            Some(spec) => decode_kind(kind, spec, errors, profile),
            None => {
                let spec = ErrorSpec {
                    status: *status,
                    code: (*code).to_owned(),
                    codes: vec![(*code).to_owned()],
                };
                profile.errors.insert((*kind).to_owned(), spec);
            }
        }
    }
    refuse_shared(map, errors, profile);
}

fn decode_kind(kind: &str, spec: &Node, errors: &mut Errors, profile: &mut Profile) {
    let Some(spec_map) = errors.mapping(spec, &format!("`errors.{kind}`")) else {
        return;
    };
    errors.known_keys(
        spec_map,
        &["status", "code", "codes"],
        &format!("`errors.{kind}`"),
    );
    let status = spec_map
        .get_node("status")
        .and_then(|n| errors.integer(n, "`status`"));
    let mut codes: Vec<String> = spec_map
        .get_node("code")
        .and_then(|n| errors.string(n, "`code`"))
        .into_iter()
        .collect();
    if let Some(list) = spec_map.get_node("codes") {
        for (code, _) in errors.strings(list, &format!("`errors.{kind}.codes`")) {
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
    }
    if let Some(bad) = codes.iter().find(|code| !well_formed_code(code)) {
        let field = if spec_map.get_node("codes").is_some() {
            "codes"
        } else {
            "code"
        };
        errors.at(
            spec,
            format!(
                "`errors.{kind}.{field}` must be `USG.` or `MMC.` and nine digits, not `{bad}`"
            ),
        );
        return;
    }
    match (status, codes.first()) {
        (Some(status @ 100..=599), Some(code)) => {
            let spec = ErrorSpec {
                status: status as u16,
                code: code.clone(),
                codes,
            };
            profile.errors.insert(kind.to_owned(), spec);
        }
        (Some(_), Some(_)) => errors.at(
            spec,
            format!("`errors.{kind}.status` must be an HTTP status (100-599)"),
        ),
        _ => errors.at(
            spec,
            format!("`errors.{kind}` needs `status` and `code` (or `codes`)"),
        ),
    }
}

/// One status and code, one kind (see the module doc).
fn refuse_shared(
    map: &marked_yaml::types::MarkedMappingNode,
    errors: &mut Errors,
    profile: &Profile,
) {
    let mut seen: Vec<(u16, &str, &str)> = Vec::new();
    for (kind, spec) in &profile.errors {
        for code in &spec.codes {
            if let Some((_, _, first)) = seen
                .iter()
                .find(|(status, seen_code, _)| *status == spec.status && seen_code == code)
            {
                if let Some(node) = map.get_node(kind.as_str()) {
                    errors.at(
                        node,
                        format!(
                            "`errors.{kind}` answers {} {code} like `errors.{first}`: two kinds \
                             need different codes (or statuses), or the judge cannot tell them apart",
                            spec.status
                        ),
                    );
                }
            }
            seen.push((spec.status, code, kind));
        }
    }
}
