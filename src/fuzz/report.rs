//! What a fuzz run shows and leaves: the live progress line (cases run, findings, the current
//! shrink), the console summary, and in `reports/<run-id>/` `fuzz.json`, `junit.xml` (one case
//! for the run, failed with each finding), `report.html` (`fuzz::html`) and
//! `repro/<n>-<kind>.yaml`, each written atomically.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::FuzzOutcome;
use crate::output::bounds::{clip, VALUE_CHARS};
use crate::output::color::{Palette, Tone};
use crate::output::escape::console_line as shown;
use crate::output::files::write_atomically;
use crate::output::text::count_s;
use crate::output::xml::Element;

/// The progress line on stderr; hidden when stderr is not a terminal or with `--quiet`.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn start(enabled: bool, cases: u32) -> Self {
        if !enabled || !console::Term::stderr().is_term() {
            return Self { bar: None };
        }
        let bar =
            ProgressBar::with_draw_target(Some(u64::from(cases)), ProgressDrawTarget::stderr());
        let style =
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} cases  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message("no finding");
        Self { bar: Some(bar) }
    }

    pub fn case(&self, run: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(run);
        }
    }

    pub fn shrinking(&self, runs: u32, ops: usize) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "a finding; shrinking: run {runs}, {ops} operations"
            ));
        }
    }

    /// With `--keep-going`: findings so far, the search going on.
    pub fn found(&self, findings: usize) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{}; looking for more",
                count_s(findings, "finding")
            ));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The console summary; `palette` colours the findings red, "no finding" green and an
/// interruption bold red.
pub fn console(outcome: &FuzzOutcome, repros: &[PathBuf], palette: Palette) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "gatecheck fuzz against {}: {} cases in {:.1} s (seed {})",
        shown(&outcome.target),
        outcome.cases_run,
        outcome.elapsed_s,
        outcome.seed
    );
    if outcome.secrets_revealed {
        let _ = writeln!(out, "  {}", crate::redact::REVEALED);
    }
    if outcome.without_waits {
        out.push_str(
            "  note: the target's clock cannot be moved, so no case waits for an expiry\n",
        );
    }
    if outcome.time_limited {
        let _ = writeln!(
            out,
            "  stopped by the time limit after {} of {} cases",
            outcome.cases_run, outcome.requested_cases
        );
    }
    if outcome.interrupted {
        let _ = writeln!(
            out,
            "  {}: the figures cover what ran",
            palette.paint(Tone::Alarm, "INTERRUPTED")
        );
    }
    if outcome.repeated > 0 {
        let _ = writeln!(
            out,
            "  {} more cases failed like a finding below (not shrunk again)",
            outcome.repeated
        );
    }
    if outcome.findings.is_empty() {
        let _ = writeln!(
            out,
            "  {}: every answer was what the model predicts",
            palette.paint(Tone::Good, "no finding")
        );
    }
    let answers: u64 = outcome.coverage.values().sum();
    let _ = writeln!(
        out,
        "  exercised: {answers} predicted answers of {} kinds (call and outcome; fuzz.json lists them)",
        outcome.coverage.len()
    );
    findings(&mut out, outcome, repros, palette);
    out
}

/// Each finding: what was expected and seen, its checks, and its shrunk repro scenario.
fn findings(out: &mut String, outcome: &FuzzOutcome, repros: &[PathBuf], palette: Palette) {
    for (finding, path) in outcome
        .findings
        .iter()
        .zip(repros.iter().map(Some).chain(std::iter::repeat(None)))
    {
        let _ = writeln!(
            out,
            "\n  {} ({}) at step `{}` (line {}): expected {}, got {}",
            palette.paint(Tone::Bad, "FINDING"),
            finding.kind.name(),
            shown(&finding.step),
            finding.line,
            shown(&finding.expected),
            shown(&finding.actual)
        );
        for check in &finding.checks {
            let _ = writeln!(out, "    x {}", shown(check));
        }
        let _ = writeln!(
            out,
            "  shrunk to {} in {}{}:\n",
            count_s(finding.ops, "step"),
            count_s(finding.shrink_runs as usize, "shrink run"),
            path.map_or(String::new(), |p| format!(
                "; repro {}",
                shown(&p.display().to_string())
            ))
        );
        for line in finding.repro.lines() {
            let _ = writeln!(out, "    {}", shown(line));
        }
    }
}

/// Findings whose repro scenario junit.xml holds whole; past them, the repro's file name, so
/// a long `--keep-going` run against a gateway wrong in many ways keeps the file small.
const REPROS_INLINE: usize = 20;

pub fn junit(outcome: &FuzzOutcome) -> String {
    let failures = usize::from(!outcome.findings.is_empty());
    let case = Element::new("testcase")
        .attr("classname", "fuzz")
        .attr(
            "name",
            format!("{} cases against the model", outcome.cases_run),
        )
        .children(outcome.findings.iter().enumerate().map(|(n, finding)| {
            Element::new("failure")
                .attr("type", finding.kind.name())
                .attr(
                    "message",
                    format!(
                        "step `{}`: expected {}, got {}",
                        clip(&finding.step, VALUE_CHARS),
                        clip(&finding.expected, VALUE_CHARS),
                        clip(&finding.actual, VALUE_CHARS)
                    ),
                )
                .text(if n < REPROS_INLINE {
                    finding.repro.clone()
                } else {
                    format!("repro/{}", finding.repro_name(n))
                })
        }));
    // Stopped early, a run is no verdict on the cases it did not run: an error case, as
    // `run` and `load` write, so CI does not show it green.
    let interrupted = outcome.interrupted.then(|| {
        Element::new("testcase")
            .attr("classname", "fuzz")
            .attr("name", "run interrupted")
            .child(Element::new("error").attr("type", "interrupted").attr(
                "message",
                format!(
                    "interrupted after {} cases; the cases not run were not judged",
                    outcome.cases_run
                ),
            ))
    });
    let (tests, errors) = (
        1 + usize::from(outcome.interrupted),
        usize::from(outcome.interrupted),
    );
    let properties = outcome.secrets_revealed.then(|| {
        Element::new("properties").child(
            Element::new("property")
                .attr("name", "secrets")
                .attr("value", crate::redact::REVEALED),
        )
    });
    let suite = Element::new("testsuite")
        .attr("name", format!("fuzz seed {}", outcome.seed))
        .attr("tests", tests)
        .attr("failures", failures)
        .attr("errors", errors)
        .attr("time", format!("{:.3}", outcome.elapsed_s))
        .children(properties)
        .child(case)
        .children(interrupted);
    Element::new("testsuites")
        .attr("name", "gatecheck fuzz")
        .attr("tests", tests)
        .attr("failures", failures)
        .attr("errors", errors)
        .child(suite)
        .document()
}

/// Writes `fuzz.json`, `junit.xml`, `report.html` and the repro scenarios into `dir`; returns
/// the repros' paths.
pub fn write(dir: &Path, outcome: &FuzzOutcome) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut repros = Vec::new();
    if !outcome.findings.is_empty() {
        std::fs::create_dir_all(dir.join("repro"))?;
    }
    for (n, finding) in outcome.findings.iter().enumerate() {
        let path = dir.join("repro").join(finding.repro_name(n));
        write_atomically(&path, finding.repro.as_bytes())?;
        repros.push(path);
    }
    let json = serde_json::to_vec_pretty(outcome).map_err(std::io::Error::other)?;
    write_atomically(&dir.join("fuzz.json"), &json)?;
    write_atomically(&dir.join("junit.xml"), junit(outcome).as_bytes())?;
    let html = super::html::render(outcome);
    write_atomically(&dir.join("report.html"), html.as_bytes())?;
    Ok(repros)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn outcome(interrupted: bool) -> FuzzOutcome {
        FuzzOutcome {
            seed: 1,
            cases_run: 7,
            requested_cases: 500,
            target: "http://127.0.0.1:1".into(),
            elapsed_s: 0.5,
            interrupted,
            time_limited: false,
            without_waits: false,
            coverage: BTreeMap::new(),
            repeated: 0,
            findings: Vec::new(),
            secrets_revealed: false,
        }
    }

    #[test]
    fn an_interrupted_run_is_an_error_in_junit_not_green() {
        let clean = junit(&outcome(false));
        assert!(
            clean.contains("errors=\"0\"") && !clean.contains("<error"),
            "{clean}"
        );
        let stopped = junit(&outcome(true));
        assert!(
            stopped.contains("tests=\"2\"")
                && stopped.contains("errors=\"1\"")
                && stopped.contains("<error type=\"interrupted\"")
                && stopped.contains("interrupted after 7 cases"),
            "{stopped}"
        );
    }
}
