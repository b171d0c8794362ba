//! `report.html` of `gatecheck run`, read back: under `--fault reuse-t3` the failing
//! scenario's exchange is drawn with its failing step marked and no T3 of the run in the page
//! (every secret read back from the traffic by `secrets`' recording proxy); a clean run's
//! page says PASS and lists every scenario. The page is XHTML-compatible, so quick-xml
//! parses it whole (`assert_xhtml_parses`, also used by `golden` and `hostile_target`).

use std::path::{Path, PathBuf};

use crate::secrets::{hits, proxied, secrets_of};
use crate::support::{gatecheck, repo_path, temp_dir};

/// The page parses as XML: every element closed, every attribute quoted and decodable, every
/// text decodable, no character XML 1.0 forbids. Returns the number of elements read.
pub(crate) fn assert_xhtml_parses(what: &str, text: &str) -> usize {
    use quick_xml::events::Event;
    let forbidden = text.chars().find(|c| {
        !matches!(c, '\t' | '\n' | '\r' | ' '..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
    });
    assert!(forbidden.is_none(), "{what}: {forbidden:?}");
    let mut reader = quick_xml::Reader::from_str(text);
    let (mut elements, mut depth) = (0, 0usize);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(e) | Event::Empty(e)) => {
                elements += 1;
                for attribute in e.attributes() {
                    let attribute = attribute.unwrap_or_else(|e| panic!("{what}: {e}"));
                    attribute
                        .unescape_value()
                        .unwrap_or_else(|e| panic!("{what}: {e}"));
                }
                depth += usize::from(matches!(e.name().as_ref(), b"html"));
            }
            Ok(Event::Text(t)) => {
                t.decode().unwrap_or_else(|e| panic!("{what}: {e}"));
            }
            Ok(_) => {}
            Err(e) => panic!("{what}: {e} at {}", reader.error_position()),
        }
    }
    assert_eq!(depth, 1, "{what}: one <html> element");
    elements
}

fn run_into(dir: &Path, args: &[&str]) -> (std::process::Output, PathBuf) {
    let output = gatecheck()
        .current_dir(repo_path("."))
        .args(args)
        .arg("--reports")
        .arg(dir)
        .output()
        .expect("gatecheck runs");
    (output, dir.join("latest/report.html"))
}

/// The `<section>` of the failing scenario drawn for `file`.
fn section_of<'a>(html: &'a str, file: &str) -> &'a str {
    let code = format!("<code>{file}</code>");
    let at = html
        .find(&code)
        .unwrap_or_else(|| panic!("{file} in the page"));
    let start = html[..at]
        .rfind("<section class=\"failure\"")
        .expect("its section");
    let end = start + html[start..].find("</section>").expect("section end");
    &html[start..end]
}

#[test]
fn a_replayed_t3_is_drawn_with_its_failing_step_marked_and_no_t3_shown() {
    let gateway = proxied(&["--fault", "reuse-t3"]);
    let dir = temp_dir("run-html-reuse-t3");
    let (output, page) = run_into(&dir, &["run", "--target", &gateway.url]);
    assert_eq!(output.status.code(), Some(1), "the faulty gateway fails");
    let html = std::fs::read_to_string(&page).expect("report.html");
    assert_xhtml_parses("report.html", &html);
    assert!(html.contains("<span class=\"verdict fail\">FAIL</span>"));
    let section = section_of(&html, "scenarios/tokens/t3_replayed.yaml");
    assert!(section.contains("<svg class=\"sequence\""), "{section}");
    // The replayed reset is the marked step, its call drawn red with its method, path and name.
    let marked = section
        .find("<title>failing step</title>")
        .expect("a marked step");
    let call = &section[marked..];
    assert!(
        call.contains("class=\"bad\" x=\"120\" y=\"")
            && call.contains("PUT /v1/usg/acs/password/reset  · 3 reset_password"),
        "{call}"
    );
    assert!(call.contains("200 success"), "the answer with its outcome");
    assert!(section.contains("t3_replayed.yaml:10:14"), "the YAML place");
    // Every token, code and password of the run, T3 among them, stays out of the page.
    let secrets = secrets_of(&gateway.log);
    assert!(secrets.len() > 100, "secrets read back: {}", secrets.len());
    let found = hits(&secrets, &[("report.html".into(), html.clone())]);
    assert!(found.is_empty(), "secrets in report.html: {found:?}");
    println!(
        "reuse-t3 report.html: {} bytes, {} secrets searched, 0 found",
        html.len(),
        secrets.len()
    );
}

#[test]
fn a_clean_run_says_pass_and_lists_every_scenario() {
    let dir = temp_dir("run-html-clean");
    let (output, page) = run_into(&dir, &["run"]);
    assert_eq!(output.status.code(), Some(0));
    let whole = std::fs::read_to_string(&page).expect("report.html");
    assert_xhtml_parses("report.html", &whole);
    // The scenarios' rows, not the coverage matrix's after them.
    let html = &whole[..whole.find("id=\"coverage\"").expect("the coverage matrix")];
    assert!(html.contains("<span class=\"verdict pass\">PASS</span>"));
    assert!(
        !html.contains("<section class=\"failure\""),
        "nothing failed"
    );
    let results: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("latest/results.json")).expect("results.json"),
    )
    .expect("json");
    let scenarios = results["scenarios"].as_array().expect("scenarios");
    assert!(scenarios.len() > 80);
    for scenario in scenarios {
        let file = scenario["file"].as_str().expect("file");
        let row = format!("<td><code>{file}</code></td>");
        assert_eq!(html.matches(&row).count(), 1, "{file} listed once");
    }
    assert_eq!(
        html.matches("<tr><td><span class=\"badge").count() + html.matches("<tr class=").count(),
        scenarios.len(),
        "one row per scenario"
    );
}
