//! `report.html` of `gatecheck run`: the verdict and the run's facts, every failing
//! scenario's exchange drawn (`sequence`; a failing CAPTCHA step's picture, `captcha`), the scenarios by area (the directory of their
//! file) with failing ones first, then the extra sections the caller hands in (the coverage
//! matrix), rendered from the `RunRecord` alone.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::page::{badge, page};
use super::{captcha, sequence};
use crate::output::bounds::{and_more, clip, VALUE_CHARS};
use crate::output::escape::{html_attribute, html_text};
use crate::output::text::count_s as count;
use crate::runner::record::{RunRecord, ScenarioRecord, Verdict};

/// Failing scenarios drawn in full; the rest are listed in their areas, linked to nothing
/// (summary.md and results.json have them), so the page stays small.
const DRAWN: usize = 12;

/// The page; `extra_sections` are whole HTML sections (already escaped) placed after the
/// scenarios, in order.
pub fn render(record: &RunRecord, extra_sections: &[String]) -> String {
    let mut body = header(record);
    let failing: Vec<(usize, &ScenarioRecord)> = record
        .scenarios
        .iter()
        .enumerate()
        .filter(|(_, s)| is_failing(s))
        .collect();
    if !failing.is_empty() {
        let _ = write!(body, "<h2>Failing scenarios ({})</h2>", failing.len());
        let mut pictures = captcha::Budget::default();
        for (index, scenario) in failing.iter().take(DRAWN) {
            body.push_str(&failure(*index, scenario, &mut pictures));
        }
        if let Some(line) = and_more(
            failing.len().saturating_sub(DRAWN),
            "failing scenarios, not drawn here: see summary.md",
        ) {
            let _ = write!(body, "<p class=\"muted\">{}</p>", html_text(&line));
        }
    }
    let drawn: Vec<usize> = failing.iter().take(DRAWN).map(|(i, _)| *i).collect();
    body.push_str(&areas(record, &drawn));
    for section in extra_sections {
        body.push_str(section);
    }
    page(&format!("gatecheck run {}", record.run_id), &body)
}

fn is_failing(scenario: &ScenarioRecord) -> bool {
    matches!(scenario.verdict, Verdict::Failed | Verdict::Error)
}

fn header(record: &RunRecord) -> String {
    let mut out = String::new();
    if record.secrets_revealed {
        let _ = write!(
            out,
            "<p class=\"banner\">{}</p>",
            html_text(crate::redact::REVEALED)
        );
    }
    let (class, word) = if record.interrupted {
        ("interrupted", "INTERRUPTED")
    } else if record.passed() {
        ("pass", "PASS")
    } else {
        ("fail", "FAIL")
    };
    let _ = write!(
        out,
        "<p><span class=\"verdict {class}\">{word}</span> &#160; {}: {} passed, {} failed, {} skipped, {}</p>",
        count(record.scenarios.len(), "scenario"),
        record.count(Verdict::Passed),
        record.count(Verdict::Failed),
        record.count(Verdict::Skipped),
        count(record.count(Verdict::Error), "error"),
    );
    if let Some(line) = record.interruption() {
        let _ = write!(out, "<p class=\"banner\">{}</p>", html_text(&line));
    }
    out.push_str("<dl class=\"meta\">");
    for (name, value) in [
        ("target", record.target.as_str()),
        ("profile", &record.profile),
        ("run id", &record.run_id),
        ("started", &record.started_at),
        ("duration", &format!("{} ms", record.duration_ms)),
    ] {
        let _ = write!(out, "<dt>{name}</dt><dd>{}</dd>", html_text(value));
    }
    out.push_str("</dl>");
    out
}

/// One failing scenario: its facts, the diagram, the failed checks and the exchanges.
fn failure(index: usize, scenario: &ScenarioRecord, pictures: &mut captcha::Budget) -> String {
    let mut out = format!(
        "<section class=\"failure\" id=\"{}\"><h3>{} {}</h3><p class=\"muted\"><code>{}</code> · {} ms · tags: {}</p>",
        sequence::anchor(index),
        verdict_badge(scenario.verdict),
        html_text(&scenario.name),
        html_text(&scenario.file),
        scenario.duration_ms,
        html_text(&scenario.tags.join(", ")),
    );
    let setup = match (scenario.verdict, &scenario.reason) {
        (Verdict::Error, Some(reason)) => Some(reason.as_str()),
        _ => None,
    };
    out.push_str(&sequence::diagram(&scenario.steps, setup));
    out.push_str(&captcha::pictures(&scenario.steps, pictures));
    if let Some(reason) = setup {
        let kind = scenario.setup.map(|k| k.name()).unwrap_or("setup");
        let _ = write!(
            out,
            "<p>could not run ({}): <code class=\"actual\">{}</code></p>",
            html_text(kind),
            html_text(&clip(reason, VALUE_CHARS))
        );
    }
    out.push_str(&sequence::below(&scenario.steps, &scenario.file));
    out.push_str("</section>");
    out
}

/// The scenarios grouped by the directory of their file, each area's counts in its heading.
fn areas(record: &RunRecord, drawn: &[usize]) -> String {
    let mut by_area: BTreeMap<&str, Vec<(usize, &ScenarioRecord)>> = BTreeMap::new();
    for (index, scenario) in record.scenarios.iter().enumerate() {
        by_area
            .entry(area(&scenario.file))
            .or_default()
            .push((index, scenario));
    }
    let mut out = String::from("<h2>Scenarios by area</h2>");
    for (area, mut scenarios) in by_area {
        // Failing first, then passed, then skipped; by file within each.
        scenarios.sort_by_key(|(_, s)| (rank(s.verdict), s.file.as_str()));
        let n = |v| scenarios.iter().filter(|(_, s)| s.verdict == v).count();
        let _ = write!(
            out,
            "<h3>{} <span class=\"muted\">({}: {} passed, {} failed, {} skipped, {})</span></h3>\
             <table><tr><th>verdict</th><th>scenario</th><th class=\"num\">time</th><th>file</th><th>tags</th><th>reason</th></tr>",
            html_text(area),
            count(scenarios.len(), "scenario"),
            n(Verdict::Passed),
            n(Verdict::Failed),
            n(Verdict::Skipped),
            count(n(Verdict::Error), "error"),
        );
        for (index, scenario) in scenarios {
            out.push_str(&row(index, drawn.contains(&index), scenario));
        }
        out.push_str("</table>");
    }
    out
}

fn row(index: usize, drawn: bool, scenario: &ScenarioRecord) -> String {
    let class = match scenario.verdict {
        Verdict::Failed => " class=\"failed\"",
        Verdict::Error => " class=\"error\"",
        _ => "",
    };
    let name = if drawn {
        format!(
            "<a href=\"#{}\">{}</a>",
            sequence::anchor(index),
            html_text(&scenario.name)
        )
    } else {
        html_text(&scenario.name)
    };
    format!(
        "<tr{class}><td>{}</td><td>{name}</td><td class=\"num\">{} ms</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
        verdict_badge(scenario.verdict),
        scenario.duration_ms,
        html_text(&scenario.file),
        html_text(&scenario.tags.join(", ")),
        scenario
            .reason
            .as_deref()
            .map(|r| html_text(&clip(r, VALUE_CHARS)))
            .unwrap_or_default(),
    )
}

/// `scenarios/tokens/t3_replayed.yaml` is in `tokens`; a file with no directory in `.`.
pub fn area(file: &str) -> &str {
    let dir = file.rsplit_once('/').map_or(".", |(dir, _)| dir);
    dir.rsplit_once('/').map_or(dir, |(_, last)| last)
}

fn rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Failed => 0,
        Verdict::Error => 1,
        Verdict::Passed => 2,
        Verdict::Skipped => 3,
    }
}

fn verdict_badge(verdict: Verdict) -> String {
    let (class, word) = match verdict {
        Verdict::Passed => ("pass", "PASS"),
        Verdict::Failed => ("fail", "FAIL"),
        Verdict::Skipped => ("skip", "SKIP"),
        Verdict::Error => ("error", "ERROR"),
    };
    badge(&html_attribute(class), word)
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_area_is_the_directory_of_the_file() {
        assert_eq!(super::area("scenarios/tokens/t3.yaml"), "tokens");
        assert_eq!(super::area("t3.yaml"), ".");
        assert_eq!(super::area("a/b.yaml"), "a");
    }
}
