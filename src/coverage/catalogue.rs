//! What a scenario may say it checks: the entries of the choice catalogue (`docs/choices.md`,
//! ids `C1`...`T5`) and the numbered rules of the API contract (`docs/api.md`, `A1`...), read
//! from the two documents as compiled in. The tables live in the Markdown only; this reads
//! their rows (a row is a table line whose first cell is an id), so a reader of the docs and
//! the binary see one list. `tests/main/coverage.rs` reads the same files with pulldown-cmark
//! and holds the two readings equal.

use std::sync::LazyLock;

const CHOICES: &str = include_str!("../../docs/choices.md");
const API: &str = include_str!("../../docs/api.md");

/// Which document an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The choice catalogue: a point the contract leaves open.
    Choice,
    /// A numbered rule of the API contract.
    Rule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub source: Source,
    /// The catalogue's section (`Conventions of every call`, `1. send_captcha`, ...) or the
    /// rule's `about` column.
    pub group: String,
    /// What is open (a choice) or the rule's sentence, as written (Markdown).
    pub what: String,
    /// A choice's "read by" column; a rule's "checked outside the scenarios by" (may be empty).
    pub read_by: String,
}

static ENTRIES: LazyLock<Vec<Entry>> = LazyLock::new(|| {
    let mut entries = parse(CHOICES, Source::Choice);
    entries.extend(parse(API, Source::Rule));
    entries
});

/// Every entry: the catalogue's in its order, then the rules.
pub fn entries() -> &'static [Entry] {
    &ENTRIES
}

pub fn find(id: &str) -> Option<&'static Entry> {
    entries().iter().find(|e| e.id == id)
}

pub fn ids() -> impl Iterator<Item = &'static str> {
    entries().iter().map(|e| e.id.as_str())
}

/// `C1`, `D6b`, `A12`: a capital, digits, perhaps a lower-case letter.
pub fn is_id(text: &str) -> bool {
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let rest: String = chars.collect();
    let digits = rest.trim_end_matches(|c: char| c.is_ascii_lowercase());
    first.is_ascii_uppercase()
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && rest.len() - digits.len() <= 1
}

/// The entries of one document: table rows whose first cell is an id. A choice's group is the
/// `## ` heading above its table; a rule's is its second column.
pub fn parse(text: &str, source: Source) -> Vec<Entry> {
    let mut heading = String::new();
    let mut entries = Vec::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            heading = h.trim().to_owned();
            continue;
        }
        let Some(row) = line.trim().strip_prefix('|') else {
            continue;
        };
        let cells = cells(row);
        // api.md has other tables whose first cell reads like an id (`T1` of the tokens'
        // table): its rules are the `A` rows.
        let rule_row = cells.first().is_some_and(|c| c.starts_with('A'));
        if cells.len() < 3 || !is_id(&cells[0]) || (source == Source::Rule) != rule_row {
            continue;
        }
        let (group, what, read_by) = match source {
            Source::Choice => (heading.clone(), cells[1].clone(), last(&cells)),
            Source::Rule => (cells[1].clone(), cells[2].clone(), cells.get(3).cloned()),
        };
        entries.push(Entry {
            id: cells[0].clone(),
            source,
            group,
            what,
            read_by: read_by.unwrap_or_default(),
        });
    }
    entries
}

fn last(cells: &[String]) -> Option<String> {
    (cells.len() >= 6).then(|| cells[cells.len() - 1].clone())
}

/// The cells of a table row (its leading `|` gone): split on `|` outside code spans and not
/// escaped, trimmed; the empty cell after the closing `|` dropped.
fn cells(row: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let (mut in_code, mut escaped) = (false, false);
    for c in row.chars() {
        let cell = cells.last_mut().expect("one cell at least");
        match c {
            '|' if !in_code && !escaped => cells.push(String::new()),
            _ => {
                in_code ^= c == '`' && !escaped;
                escaped = c == '\\' && !escaped;
                cell.push(c);
            }
        }
    }
    if cells.last().is_some_and(|c| c.trim().is_empty()) {
        cells.pop();
    }
    cells.into_iter().map(|c| c.trim().to_owned()).collect()
}

impl Entry {
    /// The scenario files its "read by" names, as patterns under `scenarios/` (`tokens/t2_
    /// replayed*.yaml`): each backticked `*.yaml`, a bare name in the folder of the one before.
    pub fn named_files(&self) -> Vec<String> {
        let mut dir = String::new();
        let mut files = Vec::new();
        for (i, span) in self.read_by.split('`').enumerate() {
            if i % 2 == 0 || !span.ends_with(".yaml") || span.contains(' ') {
                continue;
            }
            match span.rsplit_once('/') {
                Some((d, _)) => {
                    dir = d.to_owned();
                    files.push(span.to_owned());
                }
                None if !dir.is_empty() => files.push(format!("{dir}/{span}")),
                None => {}
            }
        }
        files
    }

    /// Whether something other than a scenario checks it: a rule's last column names it; a
    /// choice's "read by" names the fuzz model, the solver, an oracle, `discover` or a test.
    pub fn checked_elsewhere(&self) -> bool {
        if self.source == Source::Rule {
            return !self.read_by.is_empty();
        }
        let text = self.read_by.to_lowercase();
        [
            "fuzz",
            "solver",
            "discover",
            "tests/main/",
            "oracle",
            "tests/python",
        ]
        .iter()
        .any(|w| text.contains(w))
    }
}

/// Whether `file` (a path under `scenarios/`, `/`-separated) matches `pattern` (one `*` at most).
pub fn matches(pattern: &str, file: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == file,
        Some((head, tail)) => {
            file.len() >= head.len() + tail.len()
                && file.starts_with(head)
                && file.ends_with(tail)
                && !file[head.len()..file.len() - tail.len()].contains('/')
        }
    }
}
