//! The coverage matrix as one self-contained HTML `<section>` for `report.html`: the counts,
//! then a table per source (the choice catalogue grouped as `docs/choices.md` is, then the API
//! rules grouped by what they are about): id, what, a state badge, and the covering scenarios
//! as chips coloured by verdict (file and reason in `title=`). Its `<style>` is in the section
//! and its classes start with `cov-`, so the page around it owns nothing of it. Every value is
//! escaped with `output::escape`; the docs' code spans become `<code>`.

use std::fmt::Write;

use crate::coverage::catalogue::Source;
use crate::coverage::{Chip, Matrix, Row, Seen, State};
use crate::output::escape::{html_attribute, html_text};
use crate::runner::record::Verdict;

const STYLE: &str = "<style>
.cov{font:14px/1.4 system-ui,sans-serif;color:#1f2328}
.cov h2{font-size:20px;margin:24px 0 4px}
.cov h3{font-size:16px;margin:20px 0 6px}
.cov-counts{margin:4px 0 12px}
.cov-counts b{font-size:16px}
.cov table{border-collapse:collapse;width:100%;table-layout:fixed}
.cov th,.cov td{border-bottom:1px solid #d8dee4;padding:4px 6px;vertical-align:top;text-align:left}
.cov col.cov-c-id{width:56px}.cov col.cov-c-state{width:150px}.cov col.cov-c-what{width:40%}
.cov tr.cov-group th{background:#f6f8fa;font-weight:600;padding-top:8px}
.cov td.cov-id{font-family:ui-monospace,monospace;font-weight:600}
.cov code{font:12px ui-monospace,monospace;background:#eff1f3;padding:0 3px;border-radius:3px}
.cov-badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.cov-s-passing{background:#dafbe1;color:#116329}
.cov-s-failing{background:#ffebe9;color:#a40e26}
.cov-s-not-checked{background:#fff8c5;color:#7d4e00}
.cov-s-elsewhere{background:#ddf4ff;color:#0550ae}
.cov-s-uncovered{background:#eaeef2;color:#57606a}
.cov-chip{display:inline-block;margin:1px 3px 1px 0;padding:0 6px;border-radius:4px;font-size:12px;border:1px solid}
.cov-v-passed{background:#dafbe1;border-color:#4ac26b;color:#116329}
.cov-v-failed,.cov-v-error{background:#ffebe9;border-color:#ff8182;color:#a40e26;font-weight:600}
.cov-v-skipped{background:#f6f8fa;border-color:#d0d7de;color:#57606a}
.cov-v-not-run{background:#fff;border-color:#d0d7de;color:#8c959f;border-style:dashed}
.cov-note{color:#57606a;font-size:12px}
@media print{.cov{font-size:10px}.cov tr{break-inside:avoid}.cov-chip,.cov-badge{border:1px solid #888}}
</style>
";

/// The section: counts, the catalogue, the rules.
pub fn section(matrix: &Matrix) -> String {
    let c = &matrix.counts;
    let mut out = String::from("<section class=\"cov\" id=\"coverage\">\n");
    out.push_str(STYLE);
    out.push_str("<h2>Coverage</h2>\n");
    let _ = writeln!(
        out,
        "<p class=\"cov-counts\"><b>{} of {}</b> entries and rules checked in this run, \
         <b>{}</b> failing; {} not checked in this run, {} checked outside the scenarios, \
         <b>{}</b> not covered by anything.</p>",
        c.checked, c.entries, c.failing, c.not_checked, c.elsewhere, c.uncovered
    );
    table(
        &mut out,
        matrix,
        Source::Choice,
        "The choice catalogue (docs/choices.md)",
    );
    table(
        &mut out,
        matrix,
        Source::Rule,
        "The API contract's rules (docs/api.md)",
    );
    out.push_str("</section>\n");
    out
}

fn table(out: &mut String, matrix: &Matrix, source: Source, title: &str) {
    let _ = writeln!(out, "<h3>{}</h3>", html_text(title));
    out.push_str(
        "<table>\n<colgroup><col class=\"cov-c-id\"/><col class=\"cov-c-what\"/>\
         <col class=\"cov-c-state\"/><col/></colgroup>\n\
         <thead><tr><th>id</th><th>what</th><th>state</th><th>checked by</th></tr></thead>\n\
         <tbody>\n",
    );
    for (group, rows) in matrix.groups(source) {
        let _ = writeln!(
            out,
            "<tr class=\"cov-group\"><th colspan=\"4\">{}</th></tr>",
            inline(group)
        );
        for row in rows {
            row_html(out, row);
        }
    }
    out.push_str("</tbody>\n</table>\n");
}

fn row_html(out: &mut String, row: &Row) {
    let class = state_class(row.state);
    let _ = write!(
        out,
        "<tr id=\"cov-{}\"><td class=\"cov-id\">{}</td><td>{}</td>\
         <td><span class=\"cov-badge cov-s-{class}\">{}</span></td><td>",
        html_attribute(&row.entry.id),
        html_text(&row.entry.id),
        inline(&row.entry.what),
        row.state.label()
    );
    for chip in &row.chips {
        chip_html(out, chip);
    }
    let note = &row.entry.read_by;
    if row.chips.is_empty() && !note.is_empty() {
        let _ = write!(out, "<span class=\"cov-note\">{}</span>", inline(note));
    }
    out.push_str("</td></tr>\n");
}

fn chip_html(out: &mut String, chip: &Chip) {
    let (class, said) = match &chip.seen {
        Seen::Ran(v, reason) => {
            let word = verdict_word(*v);
            let said = match reason {
                Some(reason) => format!("{word}: {reason}"),
                None => word.to_owned(),
            };
            (word, said)
        }
        Seen::NotRun(why) => ("not-run", (*why).to_owned()),
    };
    let _ = write!(
        out,
        "<span class=\"cov-chip cov-v-{class}\" title=\"{}\">{}</span>",
        html_attribute(&format!("{}: {said}", chip.file)),
        html_text(&chip.scenario)
    );
}

fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Passed => "passed",
        Verdict::Failed => "failed",
        Verdict::Skipped => "skipped",
        Verdict::Error => "error",
    }
}

fn state_class(state: State) -> &'static str {
    match state {
        State::Passing => "passing",
        State::Failing => "failing",
        State::NotChecked => "not-checked",
        State::Elsewhere => "elsewhere",
        State::Uncovered => "uncovered",
    }
}

/// The docs' Markdown, as far as a table cell of them uses it: code spans become `<code>`,
/// emphasis marks outside them are dropped, everything escaped.
fn inline(markdown: &str) -> String {
    markdown
        .split('`')
        .enumerate()
        .map(|(i, part)| match i % 2 {
            1 => format!("<code>{}</code>", html_text(part)),
            _ => html_text(&part.replace('*', "")),
        })
        .collect()
}
