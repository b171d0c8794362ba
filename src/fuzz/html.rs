//! `report.html` of `gatecheck fuzz`: the verdict and the run's facts, each finding with its
//! shrunk repro drawn as a sequence diagram (`report::html::sequence`, as `run` draws a failing scenario)
//! and its scenario text behind a disclosure, then how much of the model the cases exercised:
//! the answers they got by call and outcome. Rendered from the `FuzzOutcome` alone.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::model::Exercised;
use super::{Finding, FuzzOutcome};
use crate::output::bounds::{and_more, clip, VALUE_CHARS};
use crate::output::escape::html_text;
use crate::output::text::count_s as count;
use crate::report::html::page::{badge, details, page};
use crate::report::html::sequence;

/// Findings drawn in full (a `--keep-going` run against a gateway wrong in many ways can make
/// dozens); the rest are listed with their repro's file, which fuzz.json and repro/ hold.
const DRAWN: usize = 12;

/// The calls in flow order, then what is not a call of the flow: the coverage table's rows.
const CALL_ORDER: [&str; 9] = [
    "send_captcha",
    "check_captcha",
    "send_code",
    "check_code",
    "reset_password",
    "login",
    "malformed request",
    "sequence",
    "wait",
];

pub fn render(outcome: &FuzzOutcome) -> String {
    let mut body = header(outcome);
    if !outcome.findings.is_empty() {
        let _ = write!(body, "<h2>Findings ({})</h2>", outcome.findings.len());
        for (n, finding) in outcome.findings.iter().enumerate().take(DRAWN) {
            body.push_str(&finding_section(n, finding));
        }
        let rest: Vec<String> = outcome
            .findings
            .iter()
            .enumerate()
            .skip(DRAWN)
            .map(|(n, f)| format!("<li><code>{}</code></li>", html_text(&repro_file(n, f))))
            .collect();
        if let Some(line) = and_more(rest.len(), "findings, not drawn here: their repros") {
            let _ = write!(
                body,
                "<p class=\"muted\">{}</p><ul>{}</ul>",
                html_text(&line),
                rest.join("")
            );
        }
    }
    body.push_str(&coverage(&outcome.coverage));
    page(&format!("gatecheck fuzz, seed {}", outcome.seed), &body)
}

fn header(outcome: &FuzzOutcome) -> String {
    let mut out = String::new();
    if outcome.secrets_revealed {
        let _ = write!(
            out,
            "<p class=\"banner\">{}</p>",
            html_text(crate::redact::REVEALED)
        );
    }
    let (class, word) = if outcome.interrupted {
        ("interrupted", "INTERRUPTED".to_owned())
    } else if outcome.findings.is_empty() {
        ("pass", "NO FINDING".to_owned())
    } else {
        (
            "fail",
            count(outcome.findings.len(), "FINDING").to_uppercase(),
        )
    };
    let _ = write!(
        out,
        "<p><span class=\"verdict {class}\">{}</span> &#160; {} of {} run in {:.1} s</p>",
        html_text(&word),
        count(outcome.cases_run as usize, "case"),
        outcome.requested_cases,
        outcome.elapsed_s,
    );
    let mut notes = Vec::new();
    if outcome.interrupted {
        notes.push("interrupted: the figures cover the cases that ran".to_owned());
    }
    if outcome.time_limited {
        notes.push("stopped by the time limit".to_owned());
    }
    if outcome.without_waits {
        notes.push("the target's clock cannot be moved, so no case waits for an expiry".into());
    }
    if outcome.repeated > 0 {
        let cases = if outcome.repeated == 1 {
            "case"
        } else {
            "cases"
        };
        notes.push(format!(
            "{} more {cases} failed like a finding below (not shrunk again)",
            outcome.repeated
        ));
    }
    for note in notes {
        let _ = write!(out, "<p class=\"banner\">{}</p>", html_text(&note));
    }
    out.push_str("<dl class=\"meta\">");
    for (name, value) in [
        ("target", outcome.target.clone()),
        (
            "seed",
            format!("{} (replay with --seed {})", outcome.seed, outcome.seed),
        ),
        (
            "cases",
            format!("{} of {}", outcome.cases_run, outcome.requested_cases),
        ),
        ("duration", format!("{:.1} s", outcome.elapsed_s)),
    ] {
        let _ = write!(out, "<dt>{name}</dt><dd>{}</dd>", html_text(&value));
    }
    out.push_str("</dl>");
    out
}

/// `repro/1-security.yaml`: where `fuzz::report::write` puts the repro.
fn repro_file(n: usize, finding: &Finding) -> String {
    format!("repro/{}", finding.repro_name(n))
}

/// One finding: what was expected and seen, the shrunk case's exchange drawn, the failed
/// checks with their place in the repro, the repro itself.
fn finding_section(n: usize, finding: &Finding) -> String {
    let file = repro_file(n, finding);
    let mut out = format!(
        "<section class=\"failure\" id=\"finding-{}\"><h3>{} {} at step <code>{}</code></h3>\
         <p>expected <code class=\"expected\">{}</code>, got <code class=\"actual\">{}</code></p>\
         <p class=\"muted\">shrunk to {} in {} · <code>{}</code> line {}</p>",
        n + 1,
        badge("fail", "FINDING"),
        html_text(finding.kind.name()),
        html_text(&clip(&finding.step, VALUE_CHARS)),
        html_text(&clip(&finding.expected, VALUE_CHARS)),
        html_text(&clip(&finding.actual, VALUE_CHARS)),
        count(finding.ops, "step"),
        count(finding.shrink_runs as usize, "shrink run"),
        html_text(&file),
        finding.line,
    );
    if finding.steps.is_empty() && finding.setup_error.is_none() {
        // The case did not load: nothing was sent.
        out.push_str("<p class=\"muted\">the case did not run: nothing to draw</p>");
    } else {
        out.push_str(&sequence::diagram(
            &finding.steps,
            finding.setup_error.as_deref(),
        ));
        out.push_str(&sequence::below(&finding.steps, &file));
    }
    out.push_str(&details(
        &format!("the repro scenario ({file})"),
        &finding.repro,
    ));
    out.push_str("</section>");
    out
}

/// The answers the cases got, a row per call and outcome, alone and in pairs sent at once,
/// with a bar of each row's share of its call.
fn coverage(coverage: &BTreeMap<Exercised, u64>) -> String {
    let total: u64 = coverage.values().sum();
    let mut out = format!(
        "<h2>Coverage by call and outcome</h2><p class=\"muted\">{} predicted answers of {} kinds, from the cases without a finding</p>",
        total,
        coverage.len()
    );
    if coverage.is_empty() {
        out.push_str("<p>no case ran to its end</p>");
        return out;
    }
    // (call, outcome) -> (alone, at once)
    let mut rows: BTreeMap<(usize, &str, Option<&str>), (u64, u64)> = BTreeMap::new();
    for (key, n) in coverage {
        let rank = CALL_ORDER
            .iter()
            .position(|c| *c == key.call)
            .unwrap_or(CALL_ORDER.len());
        let cell = rows.entry((rank, key.call, key.outcome)).or_default();
        if key.at_once {
            cell.1 += n;
        } else {
            cell.0 += n;
        }
    }
    let mut per_call: BTreeMap<&str, u64> = BTreeMap::new();
    for ((_, call, _), (alone, at_once)) in &rows {
        *per_call.entry(call).or_default() += alone + at_once;
    }
    out.push_str(
        "<table><tr><th>call</th><th>outcome</th><th class=\"num\">alone</th><th class=\"num\">at once</th><th>share of the call's answers</th></tr>",
    );
    let mut previous = "";
    for ((_, call, outcome), (alone, at_once)) in rows {
        let share = (alone + at_once) as f64 / per_call[call].max(1) as f64;
        let first = call != previous;
        previous = call;
        let _ = write!(
            out,
            "<tr{}><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"10\" role=\"img\"><rect x=\"0\" y=\"1\" width=\"{:.1}\" height=\"8\" fill=\"#0969da\"><title>{:.0} %</title></rect></svg></td></tr>",
            if first { " class=\"first\"" } else { "" },
            html_text(if first { call } else { "" }),
            outcome.map_or("<span class=\"muted\">(clock move)</span>".to_owned(), |o| format!("<code>{}</code>", html_text(o))),
            count_cell(alone),
            count_cell(at_once),
            200.0 * share,
            100.0 * share,
        );
    }
    out.push_str("</table>");
    out
}

fn count_cell(n: u64) -> String {
    if n == 0 {
        "<span class=\"muted\">–</span>".into()
    } else {
        n.to_string()
    }
}
