//! The repository is self-contained: every Markdown link of its documentation (README.md,
//! ARCHITECTURE.md, docs/, every other README) resolves to a file or directory inside the
//! repository, an `#anchor` to a heading of the file it names, and every backticked path that
//! starts at a top-level entry (`docs/api.md`, `src/output/escape.rs`) exists. No file mentions
//! the spec folder outside the repository that the docs/ files replaced.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::support::repo_path;

/// Top-level entries whose contents are made by runs, not kept in the repository: a path into
/// them (`reports/<run-id>/`, `reports/latest`) names output.
const GENERATED: [&str; 2] = ["reports", "target"];

/// Every file of the repository (`.git`, `target` and the generated reports left out).
fn repository_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let relative = path.strip_prefix(repo_path("")).expect("in the repo");
        if name == ".git" || name == "target" || name == ".venv" || name == "__pycache__" {
            continue;
        }
        if relative.starts_with("reports") && relative != Path::new("reports/README.md") {
            continue;
        }
        if path.is_dir() {
            repository_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The documentation: every Markdown file but the golden reports (outputs, not docs).
fn documents() -> Vec<PathBuf> {
    let mut files = Vec::new();
    repository_files(&repo_path(""), &mut files);
    let golden = repo_path("tests/golden");
    files.retain(|f| f.extension().is_some_and(|e| e == "md") && !f.starts_with(&golden));
    files.sort();
    files
}

/// What GitHub renders: tables, strikethrough, task lists, footnotes.
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
}

/// GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces as
/// `-`; a repeated one gets `-1`, `-2`...
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    let mut heading: Option<String> = None;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(text) | Event::Code(text) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                let text = heading.take().unwrap_or_default();
                let slug: String = text
                    .to_lowercase()
                    .chars()
                    .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
                    .map(|c| if c == ' ' { '-' } else { c })
                    .collect();
                let mut candidate = slug.clone();
                let mut n = 0;
                while !anchors.insert(candidate.clone()) {
                    n += 1;
                    candidate = format!("{slug}-{n}");
                }
            }
            _ => {}
        }
    }
    anchors
}

/// What one document refers to: link destinations and backticked text.
fn references(markdown: &str) -> (Vec<String>, Vec<String>) {
    let (mut links, mut code) = (Vec::new(), Vec::new());
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => links.push(dest_url.to_string()),
            Event::Code(text) => code.push(text.to_string()),
            _ => {}
        }
    }
    (links, code)
}

/// `base/relative` with `.` and `..` worked out; `None` when it climbs above the repository.
fn resolve(base: &Path, relative: &str) -> Option<PathBuf> {
    let root = repo_path("");
    let mut parts: Vec<String> = base
        .strip_prefix(&root)
        .ok()?
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    for component in Path::new(relative).components() {
        match component {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().fold(root, |path, part| path.join(part)))
}

/// Why a link of `document` does not resolve, if it does not.
fn broken_link(document: &Path, destination: &str) -> Option<String> {
    if destination.starts_with("https://")
        || destination.starts_with("http://")
        || destination.starts_with("mailto:")
    {
        return None;
    }
    if destination.contains("://") {
        return Some("a scheme other than http(s)".into());
    }
    let (file, anchor) = match destination.split_once('#') {
        Some((file, anchor)) => (file, Some(anchor)),
        None => (destination, None),
    };
    let target = if file.is_empty() {
        document.to_path_buf()
    } else {
        let dir = document.parent().expect("a folder");
        match resolve(dir, file) {
            Some(target) => target,
            None => return Some("climbs out of the repository".into()),
        }
    };
    if !target.exists() {
        return Some("no such file in the repository".into());
    }
    let anchor = anchor.filter(|a| !a.is_empty())?;
    if target.extension().is_some_and(|e| e == "md") {
        let text = std::fs::read_to_string(&target).expect("markdown");
        if !anchors(&text).contains(anchor) {
            return Some(format!("no heading for #{anchor}"));
        }
    }
    None
}

/// Whether backticked text reads as a repository path: no spaces or placeholders, at least one
/// `/`, starting at a top-level entry that the repository keeps (not a generated one).
fn as_repository_path(code: &str) -> Option<&str> {
    let placeholder = ['<', '>', '{', '}', '*', '…', ' ', '$', '|', ':', '='];
    if code.contains(placeholder) || code.contains("...") || !code.contains('/') {
        return None;
    }
    let first = code.split('/').next()?;
    let top = repo_path(first);
    let kept = !first.is_empty() && !GENERATED.contains(&first) && top.exists();
    kept.then_some(code)
}

#[test]
fn every_link_and_backticked_path_of_the_docs_resolves_inside_the_repository() {
    let documents = documents();
    for wanted in [
        "README.md",
        "ARCHITECTURE.md",
        "docs/api.md",
        "docs/reference-gateway.md",
    ] {
        assert!(
            documents.contains(&repo_path(wanted)),
            "{wanted} is checked"
        );
    }
    let mut broken = Vec::new();
    let (mut links_seen, mut paths_seen) = (0, 0);
    for document in &documents {
        let text = std::fs::read_to_string(document).expect("markdown");
        let shown = document
            .strip_prefix(repo_path(""))
            .expect("in repo")
            .display();
        let (links, code) = references(&text);
        for link in links {
            links_seen += 1;
            if let Some(why) = broken_link(document, &link) {
                broken.push(format!("{shown}: link {link}: {why}"));
            }
        }
        for path in code.iter().filter_map(|c| as_repository_path(c)) {
            paths_seen += 1;
            if !repo_path(path.trim_end_matches('/')).exists() {
                broken.push(format!("{shown}: `{path}`: no such file in the repository"));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    assert!(
        links_seen > 5 && paths_seen > 50,
        "{links_seen} links, {paths_seen} paths"
    );
}

#[test]
fn no_file_points_at_the_spec_outside_the_repository() {
    // Spelled in parts, so this file does not mention them itself.
    let outside = [["shared", "spec"].join("/"), ["..", "shared"].join("/")];
    let mut files = Vec::new();
    repository_files(&repo_path(""), &mut files);
    let mut found = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue; // not text
        };
        for (number, line) in text.lines().enumerate() {
            if outside.iter().any(|o| line.contains(o.as_str())) {
                found.push(format!("{}:{}: {line}", file.display(), number + 1));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_checks_see_what_they_should() {
    let doc = repo_path("docs/choices.md");
    assert_eq!(broken_link(&doc, "../README.md"), None);
    assert_eq!(broken_link(&doc, "https://example.com/x"), None);
    assert!(broken_link(&doc, "../../outside.md").is_some());
    assert!(broken_link(&doc, "nosuch.md").is_some());
    assert!(broken_link(&doc, "../README.md#no-such-heading").is_some());
    let headings = anchors("# Set-up\n## `gatecheck run`\n## Set-up\n### Input bounds\n");
    let expected = ["gatecheck-run", "input-bounds", "set-up", "set-up-1"];
    assert_eq!(headings.iter().collect::<Vec<_>>(), expected);
    assert_eq!(
        as_repository_path("src/output/escape.rs"),
        Some("src/output/escape.rs")
    );
    assert_eq!(as_repository_path("reports/<run-id>/"), None);
    assert_eq!(as_repository_path("application/json"), None);
    assert_eq!(as_repository_path("/test/v1/users"), None);
}
