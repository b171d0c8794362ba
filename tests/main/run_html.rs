//! `report.html` of `gatecheck run`, read back: under `--fault reuse-t3` the failing
//! scenario's exchange is drawn with its failing step marked and no T3 of the run in the page
//! (every secret read back from the traffic by `secrets`' recording proxy); a clean run's
//! page says PASS and lists every scenario, with no CAPTCHA picture; under `--fault
//! captcha-any-x` a failing CAPTCHA step's picture is drawn (PNG and, in a JPEG style with
//! `x_from: piece`, JPEG), a few a page. The page is XHTML-compatible, so quick-xml
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
    // Its CAPTCHA check passed: no picture of it.
    assert!(!section.contains("<figure class=\"captcha\""), "{section}");
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
    assert!(
        !html.contains("<figure class=\"captcha\""),
        "no CAPTCHA picture"
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

/// The `<figure>`s of CAPTCHA pictures in `html`.
fn pictures(html: &str) -> Vec<&str> {
    html.match_indices("<figure class=\"captcha\"")
        .map(|(at, _)| &html[at..at + html[at..].find("</figure>").expect("figure end")])
        .collect()
}

/// Runs `scenarios`, solving the images, against the embedded gateway under `--fault
/// captcha-any-x` (so the checks that send a wrong X fail), with `profile` if given.
fn captcha_any_x(name: &str, scenarios: &str, profile: Option<&Path>) -> String {
    let dir = temp_dir(name);
    let mut args = vec!["run", scenarios, "--fault", "captcha-any-x"];
    args.extend(["--oracle", "captcha=solve"]);
    let profile = profile.map(|p| p.display().to_string());
    if let Some(profile) = &profile {
        args.extend(["--profile", profile]);
    }
    let (output, page) = run_into(&dir, &args);
    assert_eq!(output.status.code(), Some(1), "the faulty gateway fails");
    let html = std::fs::read_to_string(&page).expect("report.html");
    assert_xhtml_parses("report.html", &html);
    html
}

/// The x of the last `<rect>` or `<image>` (`element`) of `picture` before `marker`.
fn x_before(picture: &str, element: &str, marker: &str) -> i64 {
    let at = picture
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {picture}"));
    let open = format!("<{element} x=\"");
    let start = picture[..at].rfind(&open).expect("the element") + open.len();
    let text = &picture[start..];
    text[..text.find('"').expect("quote")]
        .parse()
        .expect("a number")
}

const OUTSIDE: &str = "scenarios/captcha/x_outside_tolerance.yaml";

#[test]
fn a_wrong_x_accepted_is_drawn_with_the_piece_where_it_was_sent() {
    let html = captcha_any_x("run-html-captcha", OUTSIDE, None);
    let drawn = pictures(section_of(&html, OUTSIDE));
    assert_eq!(
        drawn.len(),
        1,
        "the failing check drawn (the scenario stops there)"
    );
    // Sent one past the tolerance right of where the solver found the piece: the piece drawn
    // 5 px right of the solver's outline, at pointY.
    for (picture, off) in drawn.into_iter().zip([5]) {
        assert!(
            picture.contains("href=\"data:image/png;base64,iVBOR"),
            "{picture}"
        );
        let sent = x_before(
            picture,
            "rect",
            "<title>where the sent pointX puts the piece",
        );
        let solver = x_before(picture, "rect", "<title>solve answer");
        assert_eq!(sent - solver, off, "{picture}");
        assert_eq!(
            x_before(picture, "image", "<title>where the sent"),
            sent,
            "the piece"
        );
        let legend = format!("sent − answer: {off:+} px, the profile&#39;s tolerance ±4 px");
        assert!(picture.contains(&legend), "{picture}");
        assert!(
            picture.contains("solve: the solver found pointX"),
            "{picture}"
        );
        assert!(picture.contains("measured from cutImage&#39;s left edge (x_from: image)"));
    }
}

/// Through `secrets`' recording proxy, so every token, code and password of the run is
/// searched for in a page that carries CAPTCHA images.
#[test]
fn a_page_draws_a_few_captcha_pictures_and_counts_the_rest() {
    let gateway = proxied(&["--fault", "captcha-any-x"]);
    let dir = temp_dir("run-html-captcha-budget");
    let args = ["run", "scenarios/captcha", "--target", &gateway.url];
    let (output, page) = run_into(&dir, &[&args[..], &["--oracle", "captcha=solve"]].concat());
    assert_eq!(output.status.code(), Some(1), "the faulty gateway fails");
    let html = std::fs::read_to_string(&page).expect("report.html");
    assert_xhtml_parses("report.html", &html);
    let all = pictures(&html);
    assert_eq!(all.len(), 3, "three pictures a page");
    assert!(
        html.contains("more CAPTCHA picture(s) not drawn"),
        "the rest counted"
    );
    assert!(html.len() < 200_000, "report.html: {} bytes", html.len());
    let secrets = secrets_of(&gateway.log);
    let found = hits(&secrets, &[("report.html".into(), html.clone())]);
    assert!(found.is_empty(), "secrets in report.html: {found:?}");
    println!(
        "captcha-any-x report.html: {} bytes, {} pictures, {} secrets searched, 0 found",
        html.len(),
        all.len(),
        secrets.len()
    );
}

#[test]
fn a_jpeg_captcha_measured_from_the_piece_is_drawn_as_a_jpeg() {
    let reference = std::fs::read_to_string(repo_path("profiles/reference.yaml")).expect("profile");
    let style = "image: {format: jpeg, width: 320, height: 160, piece_width: 56, piece_height: 56, shape: puzzle, margin: 4, x_from: piece, decoys: 0, noise: 0}";
    let line = reference
        .lines()
        .find(|l| l.trim_start().starts_with("image: {"))
        .expect("image line");
    let text = reference.replace(line.trim_start(), style);
    assert_ne!(text, reference);
    let dir = temp_dir("run-html-captcha-jpeg-profile");
    std::fs::create_dir_all(&dir).expect("dir");
    let profile = dir.join("jpeg.yaml");
    std::fs::write(&profile, text).expect("write");
    let html = captcha_any_x("run-html-captcha-jpeg", OUTSIDE, Some(&profile));
    let picture = pictures(section_of(&html, OUTSIDE))
        .into_iter()
        .next()
        .expect("a picture");
    assert!(
        picture.contains("href=\"data:image/jpeg;base64,/9j/"),
        "the background"
    );
    assert!(
        picture.contains("href=\"data:image/png;base64,iVBOR"),
        "the piece"
    );
    assert!(picture.contains("viewBox=\"-14 -14 348 188\""), "{picture}");
    assert!(picture.contains("JPEG 320×160"), "{picture}");
    // pointX measures the piece's first opaque column, read from cutImage: past its 4 px
    // margin (and the puzzle shape's notch); the image is drawn that far left of the X sent.
    let number_before = |marker: &str| -> i64 {
        let at = picture
            .find(marker)
            .unwrap_or_else(|| panic!("{marker} in {picture}"));
        let digits = picture[..at]
            .rsplit(|c: char| !c.is_ascii_digit())
            .next()
            .expect("digits");
        digits.parse().expect("a number")
    };
    let offset = number_before(" px into cutImage (x_from: piece)");
    assert!(offset >= 4, "{offset}: at least the margin");
    let x = number_before(" (blue box)");
    assert_eq!(
        x_before(picture, "image", "<title>where the sent"),
        x - offset,
        "{picture}"
    );
}
