//! A scenario's exchange drawn as a sequence diagram in inline SVG: two lifelines (client and
//! gateway), one arrow per call with its method, path and step name, the answer back with its
//! status and typed outcome (or the transport failure on a broken arrow), the failing step in
//! red, and a set-up error (a step that could not run) as a note at the end. Below it, the
//! failed expectations with their YAML place and each exchange's headers and bodies behind a
//! disclosure. Everything shown comes from `StepRecord`, which `runner::redaction` already
//! masked and cut.

use std::fmt::Write;

use super::page::details;
use crate::output::bounds::{clip, VALUE_CHARS};
use crate::output::escape::{html_attribute, html_text};
use crate::runner::record::{Outcome, StepRecord};

const WIDTH: f64 = 1000.0;
const CLIENT: f64 = 110.0;
const GATEWAY: f64 = 890.0;
const TOP: f64 = 56.0;
const ROW: f64 = 70.0;
/// How many characters of a label an arrow carries (the whole value is in the details).
const LABEL: usize = 110;
/// Characters of a header value or body shown in a failing step's exchange, and in another
/// step's: a page stays small whatever the target answers (the record keeps 2,048 bytes).
const FAILING_BODY: usize = 1200;
const OTHER_BODY: usize = 240;

/// The diagram of `steps`, then `setup_error` (why the scenario stopped, if a step could not
/// run) as a red note after the last step.
pub fn diagram(steps: &[StepRecord], setup_error: Option<&str>) -> String {
    let rows = steps.len() + usize::from(setup_error.is_some());
    let height = TOP + ROW * rows.max(1) as f64 + 20.0;
    let mut svg = format!(
        "<svg class=\"sequence\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\">\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#57606a\"/></marker></defs>"
    );
    for (x, name) in [(CLIENT, "client (gatecheck)"), (GATEWAY, "gateway")] {
        let _ = write!(
            svg,
            "<rect class=\"actor\" x=\"{}\" y=\"8\" width=\"170\" height=\"28\" rx=\"4\"/>\
             <text x=\"{x}\" y=\"27\" text-anchor=\"middle\">{name}</text>\
             <line class=\"life\" x1=\"{x}\" x2=\"{x}\" y1=\"36\" y2=\"{}\"/>",
            x - 85.0,
            height - 8.0
        );
    }
    for (i, step) in steps.iter().enumerate() {
        step_rows(&mut svg, step, TOP + ROW * i as f64);
    }
    if let Some(message) = setup_error {
        let y = TOP + ROW * steps.len() as f64;
        let _ = write!(
            svg,
            "<rect class=\"mark\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"40\" rx=\"4\"/>\
             <text class=\"bad\" x=\"{}\" y=\"{}\">set-up error: {}</text>",
            CLIENT - 90.0,
            y,
            GATEWAY - CLIENT + 180.0,
            CLIENT - 80.0,
            y + 24.0,
            html_text(&cut(message, LABEL + 20))
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One step: the call, then the answer (or its absence). A step without a request is a wait.
fn step_rows(svg: &mut String, step: &StepRecord, y: f64) {
    let failed = !step.failures.is_empty();
    if failed {
        let _ = write!(
            svg,
            "<rect class=\"mark\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\"><title>failing step</title></rect>\
             <text class=\"bad\" x=\"{}\" y=\"{}\" text-anchor=\"end\">✗ failed</text>",
            CLIENT - 100.0,
            y - 4.0,
            GATEWAY - CLIENT + 200.0,
            ROW - 8.0,
            CLIENT - 8.0,
            y + 38.0,
        );
    }
    let bad = if failed { " bad" } else { "" };
    let Some(request) = &step.request else {
        let _ = write!(
            svg,
            "<text class=\"muted{bad}\" x=\"{}\" y=\"{}\">{} (no request)</text>",
            CLIENT + 12.0,
            y + 30.0,
            html_text(&cut(&step.name, LABEL))
        );
        return;
    };
    let call = format!(
        "{} {}  · {}",
        request.method,
        path_of(&request.url),
        step.name
    );
    let _ = write!(
        svg,
        "<line class=\"call{bad}\" x1=\"{CLIENT}\" x2=\"{GATEWAY}\" y1=\"{y1}\" y2=\"{y1}\" marker-end=\"url(#arrow)\"/>\
         <text class=\"{cls}\" x=\"{tx}\" y=\"{ty}\">{label}<title>{title}</title></text>",
        y1 = y + 18.0,
        cls = if failed { "bad" } else { "label" },
        tx = CLIENT + 10.0,
        ty = y + 13.0,
        label = html_text(&cut(&call, LABEL)),
        title = html_text(&cut(&request.url, 400)),
    );
    let (text, class) = answer_label(step);
    let y2 = y + 48.0;
    let dash = if step.outcome.is_none() {
        // No answer came: the arrow stops half way, a cross where it broke.
        let mid = (CLIENT + GATEWAY) / 2.0;
        format!(
            "<line class=\"answer bad\" x1=\"{GATEWAY}\" x2=\"{mid}\" y1=\"{y2}\" y2=\"{y2}\"/>\
             <path class=\"bad\" d=\"M{a},{b}L{c},{d}M{a},{d}L{c},{b}\" stroke=\"#cf222e\" stroke-width=\"2.6\"/>",
            a = mid - 7.0,
            b = y2 - 7.0,
            c = mid + 7.0,
            d = y2 + 7.0
        )
    } else {
        format!(
            "<line class=\"answer {class}{bad}\" x1=\"{GATEWAY}\" x2=\"{CLIENT}\" y1=\"{y2}\" y2=\"{y2}\" marker-end=\"url(#arrow)\"/>"
        )
    };
    let _ = write!(
        svg,
        "{dash}<text class=\"{}\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
        if failed { "bad" } else { "label" },
        GATEWAY - 10.0,
        y2 - 5.0,
        html_text(&cut(&text, LABEL))
    );
}

/// What came back: `401 reset_token_invalid (USG.290040401)`, `200 success`, or the transport
/// failure; a parallel step adds its outcome counts.
fn answer_label(step: &StepRecord) -> (String, &'static str) {
    let (mut text, class) = match &step.outcome {
        Some(Outcome::Success { status }) => (format!("{status} success"), "ok"),
        Some(Outcome::Refused { status, kind, code }) => {
            let kind = kind.as_deref().unwrap_or("unknown kind");
            let code = code
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            (format!("{status} {kind}{code}"), "refused")
        }
        Some(Outcome::Transport(failure)) => transport_label(failure),
        None => match &step.transport {
            Some(failure) => transport_label(failure),
            None => ("no answer".to_owned(), "bad"),
        },
    };
    if !step.outcomes.is_empty() {
        let _ = write!(text, "  · all: {}", step.outcome_counts());
    }
    (text, class)
}

fn transport_label(failure: &crate::runner::record::TransportFailure) -> (String, &'static str) {
    let text = format!("no answer: {} ({})", failure.kind.name(), failure.message);
    (text, "bad")
}

/// The failed expectations of every failing step, then each step's exchange behind a
/// disclosure: what sits below a failing scenario's diagram.
pub fn below(steps: &[StepRecord], file: &str) -> String {
    let mut out = String::new();
    for step in steps.iter().filter(|s| !s.failures.is_empty()) {
        let _ = write!(
            out,
            "<h4>failing step <code>{}</code> (line {})</h4><ul class=\"checks\">",
            html_text(&step.name),
            step.line
        );
        for failure in &step.failures {
            let _ = write!(
                out,
                "<li><b>{}</b> at <code>{}</code><br/>expected: <code class=\"expected\">{}</code><br/>actual: <code class=\"actual\">{}</code></li>",
                html_text(&failure.check.label()),
                html_text(&format!("{file}:{}:{}", failure.line, failure.column)),
                html_text(&clip(&failure.expected, VALUE_CHARS)),
                html_text(&clip(&failure.actual, VALUE_CHARS))
            );
        }
        out.push_str("</ul>");
    }
    for step in steps.iter().filter(|s| s.request.is_some()) {
        let _ = write!(
            out,
            "{}",
            details(
                &format!("exchange of `{}` (line {})", step.name, step.line),
                &exchange(step)
            )
        );
    }
    out
}

/// The request and the answer as a console shows them: `>` lines out, `<` lines back.
fn exchange(step: &StepRecord) -> String {
    let shown = if step.failures.is_empty() {
        OTHER_BODY
    } else {
        FAILING_BODY
    };
    let clip = |text: &str| clip(text, shown);
    let mut text = String::new();
    if let Some(request) = &step.request {
        let _ = writeln!(text, "> {} {}", request.method, request.url);
        for (name, value) in &request.headers {
            let _ = writeln!(text, "> {name}: {}", clip(value));
        }
        if !request.body.is_empty() {
            let _ = writeln!(text, ">\n{}", clip(&request.body));
        }
    }
    match (&step.response, step.transport_error()) {
        (Some(response), _) => {
            let _ = writeln!(
                text,
                "\n< {} ({} bytes)",
                response.status, response.body_bytes
            );
            for (name, value) in &response.headers {
                let _ = writeln!(text, "< {name}: {}", clip(value));
            }
            if !response.body.is_empty() {
                let _ = writeln!(text, "<\n{}", clip(&response.body));
            }
        }
        (None, Some(error)) => {
            let _ = writeln!(text, "\n< no answer: {}", clip(error));
        }
        (None, None) => {}
    }
    text
}

/// The path of a recorded URL (`/v1/usg/...`), or the URL when it has none.
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/').map_or(url, |at| &rest[at..])
}

/// At most `limit` characters, then `…`.
fn cut(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// An id usable in an `id` attribute and a `#` link for scenario `index`.
pub fn anchor(index: usize) -> String {
    html_attribute(&format!("scenario-{index}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_read_from_the_recorded_url() {
        assert_eq!(path_of("http://127.0.0.1:9/v1/a?b"), "/v1/a?b");
        assert_eq!(path_of("weird"), "weird");
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("abc", 3), "abc");
    }
}
