//! The files a command wrote: its one run directory, their sizes, XML that parses.

use std::path::{Path, PathBuf};

/// junit.xml parses, its entities decode, and every character is one XML 1.0 allows.
pub fn assert_xml_parses(path: &Path) {
    use quick_xml::events::Event;
    let text = std::fs::read_to_string(path).expect("junit.xml");
    let forbidden = text.chars().find(|c| {
        !matches!(c, '\t' | '\n' | '\r' | ' '..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
    });
    assert!(forbidden.is_none(), "{}: {forbidden:?}", path.display());
    let mut reader = quick_xml::Reader::from_str(&text);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(e) | Event::Empty(e)) => {
                for attribute in e.attributes() {
                    let attribute = attribute.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    attribute
                        .unescape_value()
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                }
            }
            Ok(Event::Text(t)) => {
                t.decode()
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
            Ok(_) => {}
            Err(e) => panic!("{}: {e} at {}", path.display(), reader.error_position()),
        }
    }
}

/// The one run directory a command wrote under `reports`.
pub fn run_dir(reports: &Path) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(reports)
        .expect("reports")
        .filter_map(|e| Some(e.expect("entry").path()).filter(|p| !p.ends_with("latest")))
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.remove(0)
}

/// Every file under `dir` with its size, sorted.
pub fn sizes(dir: &Path) -> Vec<(String, u64)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            found.extend(sizes(&path));
        } else {
            found.push((
                path.display().to_string(),
                path.metadata().expect("size").len(),
            ));
        }
    }
    found.sort();
    found
}
