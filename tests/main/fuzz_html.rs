//! `report.html` of `gatecheck fuzz`, read back: under `--fault reuse-t3` the finding's shrunk
//! case is drawn with its failing step marked, its repro behind a disclosure and no secret of
//! the traffic in the page (read back by `secrets`' recording proxy); a clean run says NO
//! FINDING and tabulates the answers by call and outcome as fuzz.json counts them. The page
//! of a fixed outcome is a golden file (`tests/golden/report/fuzz-report.html`).

use std::path::Path;

use crate::run_html::assert_xhtml_parses;
use crate::secrets::{hits, proxied, secrets_of};
use crate::support::{gatecheck, temp_dir};

fn fuzz_into(dir: &Path, target: &str, extra: &[&str]) -> (i32, String, serde_json::Value) {
    let output = gatecheck()
        .args(["fuzz", "--cases", "300", "--seed", "3", "--quiet"])
        .args(["--target", target, "--reports"])
        .arg(dir)
        .args(extra)
        .output()
        .expect("fuzz runs");
    let html = std::fs::read_to_string(dir.join("latest/report.html")).expect("report.html");
    assert_xhtml_parses("fuzz report.html", &html);
    let json = serde_json::from_slice(&std::fs::read(dir.join("latest/fuzz.json")).expect("json"))
        .expect("fuzz.json parses");
    (output.status.code().unwrap_or(-1), html, json)
}

#[test]
fn a_finding_is_drawn_with_its_failing_step_its_repro_and_no_secret() {
    let gateway = proxied(&["--fault", "reuse-t3"]);
    let dir = temp_dir("fuzz-html-reuse-t3");
    let (code, html, json) = fuzz_into(&dir, &gateway.url, &[]);
    assert_eq!(code, 1, "a finding");
    assert!(html.contains("<span class=\"verdict fail\">1 FINDING</span>"));
    let start = html
        .find("<section class=\"failure\" id=\"finding-1\">")
        .expect("the finding's section");
    let section = &html[start..start + html[start..].find("</section>").expect("end")];
    let finding = &json["findings"][0];
    let kind = finding["kind"].as_str().expect("kind");
    assert!(
        section.contains(&format!("</span> {kind} at step")),
        "{section}"
    );
    // The shrunk case drawn: one call arrow per step that sent one, the failing one marked.
    assert!(section.contains("<svg class=\"sequence\""));
    assert_eq!(section.matches("<title>failing step</title>").count(), 1);
    let repro = finding["repro"].as_str().expect("repro");
    // Each step of the repro is one call, but a wait.
    let sent = repro
        .lines()
        .filter(|l| l.starts_with("  - ") && !l.starts_with("  - wait"))
        .count();
    assert!(sent > 0, "{repro}");
    assert_eq!(
        section.matches("<line class=\"call").count(),
        sent,
        "{sent} steps, arrows: {section}"
    );
    // The failed check with its place in the repro file, and the repro behind a disclosure.
    let line = finding["line"].as_u64().expect("line");
    assert!(
        section.contains(&format!("<code>repro/1-{kind}.yaml</code> line {line}"))
            && section.contains(&format!("<code>repro/1-{kind}.yaml:")),
        "the failing step's line and the YAML place of its failed checks: {section}"
    );
    assert!(section.contains("<summary>the repro scenario (repro/1-"));
    let first_line = repro.lines().next().expect("a line");
    assert!(!first_line.contains(['<', '&', '>', '"']), "{first_line}");
    assert!(
        section.contains(first_line),
        "the repro's text: {first_line}"
    );
    let secrets = secrets_of(&gateway.log);
    assert!(secrets.len() > 100, "secrets read back: {}", secrets.len());
    let found = hits(&secrets, &[("report.html".into(), html.clone())]);
    assert!(
        found.is_empty(),
        "secrets in the fuzz report.html: {found:?}"
    );
    println!(
        "fuzz reuse-t3 report.html: {} bytes, {} secrets searched, 0 found",
        html.len(),
        secrets.len()
    );
}

#[test]
fn a_clean_run_says_no_finding_and_tabulates_what_it_exercised() {
    let gateway = proxied(&[]);
    let dir = temp_dir("fuzz-html-clean");
    let (code, html, json) = fuzz_into(&dir, &gateway.url, &[]);
    assert_eq!(code, 0, "no finding");
    assert!(html.contains("<span class=\"verdict pass\">NO FINDING</span>"));
    assert!(!html.contains("<section class=\"failure\""));
    let coverage = json["coverage"].as_object().expect("coverage");
    let total: u64 = coverage.values().filter_map(|n| n.as_u64()).sum();
    assert!(html.contains(&format!(
        "{total} predicted answers of {} kinds",
        coverage.len()
    )));
    // Every outcome fuzz.json counts has its row, with its count alone or at once.
    let table = &html[html
        .find("<h2>Coverage by call and outcome</h2>")
        .expect("table")..];
    for (key, n) in coverage {
        let outcome = key.rsplit(' ').next().expect("outcome");
        let n = n.as_u64().expect("count");
        assert!(
            table.contains(&format!("<code>{outcome}</code>"))
                && table.contains(&format!("<td class=\"num\">{n}</td>")),
            "{key}: {n}"
        );
    }
}

/// The fuzz run's report.html of a fixed outcome: one finding whose shrunk case is the fixed
/// record's failing scenario, and the answers by call and outcome; the page parses as XML.
#[test]
fn fuzz_report_html() {
    use gatecheck::fuzz::model::Exercised;
    use gatecheck::fuzz::{Finding, FindingKind, FuzzOutcome};
    let record = crate::golden::fixture();
    let failing = record
        .scenarios
        .iter()
        .find(|s| s.verdict == gatecheck::runner::record::Verdict::Failed)
        .expect("a failing scenario");
    let exercised = |call, at_once, outcome| Exercised {
        call,
        at_once,
        outcome,
    };
    let coverage = [
        (exercised("reset_password", false, Some("success")), 40),
        (exercised("check_code", false, Some("code_mismatch")), 12),
        (exercised("check_code", false, Some("success")), 50),
        (exercised("check_code", true, Some("token_invalid")), 3),
        (exercised("wait", false, None), 7),
    ]
    .into_iter()
    .collect();
    let outcome = FuzzOutcome {
        seed: 3,
        cases_run: 41,
        requested_cases: 300,
        target: "http://127.0.0.1:8080".into(),
        elapsed_s: 2.5,
        interrupted: false,
        time_limited: false,
        without_waits: false,
        coverage,
        repeated: 2,
        findings: vec![Finding {
            kind: FindingKind::Security,
            line: 7,
            step: "3 reset_password".into(),
            call: "reset_password".into(),
            expected: "failure `token_invalid`".into(),
            actual: "200 {\"ok\":true}".into(),
            checks: vec!["status: expected 401, got 200".into()],
            ops: 3,
            shrink_runs: 17,
            repro: "# gatecheck fuzz finding: security, seed 3\nname: fuzz finding (security), seed 3\n".into(),
            steps: failing.steps.clone(),
            setup_error: None,
        }],
        secrets_revealed: false,
    };
    let html = gatecheck::fuzz::html::render(&outcome);
    crate::run_html::assert_xhtml_parses("fuzz-report.html", &html);
    let finding = html.find("id=\"finding-1\"").expect("the finding");
    let table = html.find("Coverage by call and outcome").expect("coverage");
    assert!(finding < table);
    crate::golden::check(
        &crate::golden::golden_dir().join("report/fuzz-report.html"),
        &html,
    );
}
