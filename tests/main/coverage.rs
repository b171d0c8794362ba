//! The coverage matrix: the compiled catalogue is the docs' tables (read here again with
//! pulldown-cmark), every scenario a catalogue row's "read by" names covers that row, the
//! states of a fixed record's matrix and its HTML and Markdown (golden files), and the built-in
//! suite under `--fault reuse-t3` showing the entries that fault breaks as failing.

use gatecheck::coverage::catalogue::{self, Source};
use gatecheck::coverage::{Declared, Matrix, Seen, State};
use gatecheck::gateway::fault::Fault;
use gatecheck::profile::Profile;
use gatecheck::runner::record::*;
use gatecheck::runner::RunOptions;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::golden::{check, golden_dir};
use crate::support::{config, repo_path, run, scenarios};

/// Every body row of every table of `text` with the `## ` heading above it: cells as text, a
/// code span in backticks, emphasis and escapes gone (as the docs' readers see them).
fn table_rows(text: &str) -> Vec<(String, Vec<String>)> {
    let (mut rows, mut heading, mut cells) = (Vec::new(), String::new(), Vec::<String>::new());
    let (mut in_h2, mut in_head) = (false, false);
    for event in Parser::new_ext(text, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                in_h2 = level == pulldown_cmark::HeadingLevel::H2;
                if in_h2 {
                    heading.clear();
                }
            }
            Event::End(TagEnd::Heading(_)) => in_h2 = false,
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                cells.clear();
            }
            Event::Start(Tag::TableCell) => cells.push(String::new()),
            Event::End(TagEnd::TableRow) => {
                if !in_head {
                    rows.push((heading.clone(), std::mem::take(&mut cells)));
                }
                cells.clear();
            }
            Event::Text(t) | Event::Code(t) if in_h2 => heading.push_str(&t),
            Event::Text(t) => {
                if let Some(cell) = cells.last_mut() {
                    cell.push_str(&t);
                }
            }
            Event::Code(t) => {
                if let Some(cell) = cells.last_mut() {
                    cell.push_str(&format!("`{t}`"));
                }
            }
            _ => {}
        }
    }
    rows
}

fn plain(markdown: &str) -> String {
    markdown.replace(['*', '\\'], "").trim().to_owned()
}

#[test]
fn the_compiled_catalogue_is_the_docs_tables() {
    let mut from_docs = Vec::new();
    for (file, source) in [
        ("docs/choices.md", Source::Choice),
        ("docs/api.md", Source::Rule),
    ] {
        let text = std::fs::read_to_string(repo_path(file)).expect("docs");
        for (heading, cells) in table_rows(&text) {
            let id = cells[0].clone();
            let rule = id.starts_with('A');
            if !catalogue::is_id(&id) || rule != (source == Source::Rule) {
                continue;
            }
            let (group, what, read_by) = match source {
                Source::Choice => (heading, &cells[1], cells.last().expect("cells")),
                Source::Rule => (cells[1].clone(), &cells[2], &cells[3]),
            };
            from_docs.push((id, source, plain(&group), plain(what), plain(read_by)));
        }
    }
    let compiled: Vec<_> = catalogue::entries()
        .iter()
        .map(|e| {
            let (g, w, r) = (plain(&e.group), plain(&e.what), plain(&e.read_by));
            (e.id.clone(), e.source, g, w, r)
        })
        .collect();
    assert_eq!(
        compiled, from_docs,
        "the compiled catalogue differs from the docs"
    );
    // The counts the catalogue states of itself, and ids that are each one row.
    let choices = std::fs::read_to_string(repo_path("docs/choices.md")).expect("docs");
    let stated: usize = choices
        .split("\n## Counts\n\n")
        .nth(1)
        .and_then(|c| c.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("choices.md states its count");
    let of = |s| compiled.iter().filter(|e| e.1 == s).count();
    assert_eq!(of(Source::Choice), stated);
    assert!(
        (30..=60).contains(&of(Source::Rule)),
        "{}",
        of(Source::Rule)
    );
    let mut ids: Vec<&str> = catalogue::ids().collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), compiled.len(), "an id is on two rows");
}

#[test]
fn a_read_by_finds_its_files() {
    let c6 = catalogue::find("C6").expect("C6");
    assert_eq!(
        c6.named_files(),
        [
            "malformed/content_type.yaml",
            "malformed/content_type_refused.yaml",
            "malformed/content_type_unsupported.yaml",
            "malformed/content_type_read_as_json.yaml"
        ]
    );
    assert!(catalogue::matches(
        "tokens/t2_replayed*.yaml",
        "tokens/t2_replayed_concurrently.yaml"
    ));
    assert!(!catalogue::matches("happy/*.yaml", "happy/x/y.yaml"));
    assert!(catalogue::find("C11").expect("C11").checked_elsewhere());
    assert!(!catalogue::find("S4").expect("S4").checked_elsewhere());
}

/// Every scenario file a catalogue row's "read by" names says it covers that row.
#[test]
fn every_scenario_a_read_by_names_covers_its_row() {
    let suite = scenarios(&repo_path("scenarios"), &Profile::reference());
    let relative = |path: &str| path.rsplit_once("scenarios/").map(|(_, r)| r.to_owned());
    let mut wrong = Vec::new();
    for entry in catalogue::entries() {
        for pattern in entry.named_files() {
            let named: Vec<_> = suite
                .iter()
                .filter(|s| relative(&s.path).is_some_and(|r| catalogue::matches(&pattern, &r)))
                .collect();
            if named.is_empty() {
                wrong.push(format!("{}: `{pattern}` names no scenario", entry.id));
            }
            for s in named.iter().filter(|s| !s.covers.contains(&entry.id)) {
                wrong.push(format!("{}: {} does not cover it", entry.id, s.path));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    let covering = suite.iter().filter(|s| !s.covers.is_empty()).count();
    assert!(covering >= 90, "{covering} scenarios cover something");
}

#[test]
fn covers_decodes_known_ids_in_order() {
    let text = "name: x\ncovers: [R9, A41, D6b]\nsteps:\n  - send_captcha:\n";
    let scenario =
        gatecheck::scenario::decode_scenario("x.yaml", text, &Profile::reference()).expect("valid");
    assert_eq!(scenario.covers, ["R9", "A41", "D6b"]);
    let bad = "name: x\ncovers: [R99]\nsteps:\n  - send_captcha:\n";
    let errors = gatecheck::scenario::decode_scenario("x.yaml", bad, &Profile::reference())
        .expect_err("R99 is no id")
        .to_string();
    assert!(errors.contains("`R99` is neither"), "{errors}");
    assert!(errors.contains("x.yaml:2:10"), "{errors}");
    assert!(errors.contains("did you mean `R9`?"), "{errors}");
}

fn scenario(name: &str, file: &str, covers: &[&str], verdict: Verdict) -> ScenarioRecord {
    ScenarioRecord {
        name: name.into(),
        file: file.into(),
        tags: Vec::new(),
        covers: covers.iter().map(|c| (*c).to_owned()).collect(),
        verdict,
        reason: (verdict == Verdict::Skipped).then(|| "requires burns.t1_on_mismatch".into()),
        setup: None,
        duration_ms: 3,
        steps: Vec::new(),
    }
}

/// One of each state: K1 passing, R9 and A41 failing (R9 also passed elsewhere), K3 covered
/// by a skipped scenario only, D3 by one the tag filters left out, C11 checked by the fuzz
/// model, S4 by nothing.
fn fixture() -> (RunRecord, Vec<Declared>) {
    let mut record = crate::golden::fixture();
    record.scenarios = vec![
        scenario(
            "x at tolerance",
            "captcha/x.yaml",
            &["K1", "R9"],
            Verdict::Passed,
        ),
        scenario(
            "T3 <b>replayed</b>",
            "tokens/t3.yaml",
            &["R9", "A41"],
            Verdict::Failed,
        ),
        scenario("burns T1", "captcha/burns.yaml", &["K3"], Verdict::Skipped),
    ];
    let filtered = Declared {
        name: "resend too soon".into(),
        file: "code/resend.yaml".into(),
        covers: vec!["D3".into()],
    };
    (record, vec![filtered])
}

#[test]
fn the_matrix_of_a_fixed_record() {
    let (record, suite) = fixture();
    let matrix = Matrix::build(&record, &suite);
    let state = |id: &str| {
        let row = matrix.rows.iter().find(|r| r.entry.id == id).expect("row");
        (row.state, row.chips.len())
    };
    assert_eq!(state("K1"), (State::Passing, 1));
    assert_eq!(state("R9"), (State::Failing, 2));
    assert_eq!(state("A41"), (State::Failing, 1));
    assert_eq!(state("K3"), (State::NotChecked, 1));
    assert_eq!(state("D3"), (State::NotChecked, 1));
    assert_eq!(state("C11"), (State::Elsewhere, 0));
    assert_eq!(state("S4"), (State::Uncovered, 0));
    let d3 = matrix.rows.iter().find(|r| r.entry.id == "D3").expect("D3");
    assert!(matches!(d3.chips[0].seen, Seen::NotRun(why) if why.contains("tag filters")));
    let c = matrix.counts;
    assert_eq!((c.checked, c.failing, c.not_checked), (3, 2, 2));
    assert_eq!(
        c.checked + c.not_checked + c.elsewhere + c.uncovered,
        c.entries
    );
    assert_eq!(c.entries, catalogue::entries().len());
    // Without the suite, the filtered scenario is unknown: D3 is as its "read by" says.
    let alone = Matrix::build(&record, &[]);
    let d3 = alone.rows.iter().find(|r| r.entry.id == "D3").expect("D3");
    assert_eq!(d3.state, State::Elsewhere);
}

#[test]
fn the_matrix_renders_as_html_and_markdown() {
    let (record, suite) = fixture();
    let matrix = Matrix::build(&record, &suite);
    let html = gatecheck::report::coverage_html::section(&matrix);
    assert!(html.starts_with("<section") && html.trim_end().ends_with("</section>"));
    assert!(!html.contains("<b>replayed"), "a scenario name is escaped");
    assert!(html.contains("@media print"));
    let r9 = html
        .lines()
        .find(|l| l.starts_with("<tr id=\"cov-R9\""))
        .expect("R9's row");
    assert!(
        r9.contains("cov-s-failing") && r9.contains("cov-v-failed"),
        "{r9}"
    );
    assert!(r9.contains("title=\"tokens/t3.yaml: failed\""), "{r9}");
    check(&golden_dir().join("report/coverage.html"), &html);
    let markdown = gatecheck::report::markdown::render_with(&record, &matrix);
    let part = markdown
        .split_once("\n## Coverage\n")
        .map(|(_, p)| p)
        .expect("a coverage part");
    assert!(
        part.contains("| R9 |") && part.contains("**failing**"),
        "{part}"
    );
    check(&golden_dir().join("report/coverage-summary.md"), part);
}

async fn suite_run(faults: Vec<Fault>, skip_tags: &[&str]) -> (RunRecord, Vec<Declared>) {
    let mut options = RunOptions::new(Profile::reference());
    options.session.embedded = config(faults);
    options.jobs = 64;
    options.skip_tags = skip_tags.iter().map(|t| (*t).to_owned()).collect();
    let suite = scenarios(&repo_path("scenarios"), &options.session.profile);
    let declared: Vec<Declared> = suite.iter().map(Declared::of).collect();
    let chosen = suite
        .into_iter()
        .filter(|s| !s.tags.iter().any(|t| options.skip_tags.contains(t)))
        .collect();
    let (record, completed) = run(chosen, &options).await;
    assert!(completed);
    (record, declared)
}

fn failing(matrix: &Matrix) -> Vec<&str> {
    let rows = matrix.rows.iter().filter(|r| r.state == State::Failing);
    rows.map(|r| r.entry.id.as_str()).collect()
}

/// The matrix has teeth: clean, nothing fails; with T3 reusable, T3's single use (R9, A41)
/// fails, and the rows about other tokens do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reuse_t3_fails_the_t3_single_use_rows() {
    let (clean, suite) = suite_run(Vec::new(), &[]).await;
    let matrix = Matrix::build(&clean, &suite);
    assert!(failing(&matrix).is_empty(), "{:?}", failing(&matrix));
    assert!(matrix.counts.checked >= 80, "{:?}", matrix.counts);
    let fault: Fault = "reuse-t3".parse().expect("a fault");
    let (faulty, suite) = suite_run(vec![fault], &[]).await;
    let matrix = Matrix::build(&faulty, &suite);
    let failing = failing(&matrix);
    for id in ["R9", "A41"] {
        assert!(
            failing.contains(&id),
            "{id} passes under reuse-t3: {failing:?}"
        );
    }
    for id in ["K8", "D7", "V7", "A38", "A39", "A40"] {
        assert!(!failing.contains(&id), "{id} fails under reuse-t3");
    }
}

/// Writes the section of a run under `reuse-t3`, password scenarios left out, as a page to
/// look at: `GATECHECK_COVERAGE_PAGE=/path.html cargo test --test main coverage:: -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "writes a page to look at"]
async fn write_a_page_to_look_at() {
    let fault: Fault = "reuse-t3".parse().expect("a fault");
    let (record, suite) = suite_run(vec![fault], &["password"]).await;
    let section = gatecheck::report::coverage_html::section(&Matrix::build(&record, &suite));
    let page = format!(
        "<!doctype html><meta charset=\"utf-8\"><title>coverage</title><body style=\"margin:24px\">{section}</body>"
    );
    let path = std::env::var("GATECHECK_COVERAGE_PAGE").unwrap_or("coverage.html".into());
    std::fs::write(&path, page).expect("write the page");
    let md = gatecheck::report::markdown::render_with(&record, &Matrix::build(&record, &suite));
    std::fs::write(format!("{path}.md"), md).expect("write the summary");
}
