//! The coverage matrix of a conformance run: for each entry of the choice catalogue and each
//! rule of the API contract (`catalogue`), the scenarios that say they check it (`covers:`)
//! with their verdicts in this run, and a state over them. A pure layer over a `RunRecord`
//! and the scenarios loaded for it: nothing here runs anything.

pub mod catalogue;

use catalogue::{Entry, Source};

use crate::runner::record::{RunRecord, Verdict};
use crate::scenario::model::Scenario;

/// A scenario of the suite as the matrix needs it, whether it ran or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub name: String,
    pub file: String,
    pub covers: Vec<String>,
}

impl Declared {
    pub fn of(scenario: &Scenario) -> Self {
        Self {
            name: scenario.name.clone(),
            file: scenario.path.clone(),
            covers: scenario.covers.clone(),
        }
    }
}

/// What became of one covering scenario in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// It ran: its verdict, and why when it was skipped or could not run.
    Ran(Verdict, Option<String>),
    /// Loaded but not run: left out by `--tags`/`--skip-tags`, or stopped by an interruption.
    NotRun(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chip {
    pub scenario: String,
    pub file: String,
    pub seen: Seen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// A covering scenario failed or could not run.
    Failing,
    /// Every covering scenario that ran passed, one at least.
    Passing,
    /// Scenarios cover it, but none of them ran to a verdict here (skipped by `requires:`,
    /// filtered out, not finished).
    NotChecked,
    /// No scenario covers it; the fuzz model, the solver, `discover` or a test does.
    Elsewhere,
    /// Nothing checks it.
    Uncovered,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::Failing => "failing",
            State::Passing => "passing",
            State::NotChecked => "not checked",
            State::Elsewhere => "checked elsewhere",
            State::Uncovered => "not covered",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub entry: &'static Entry,
    pub state: State,
    pub chips: Vec<Chip>,
}

/// The totals at the top: `checked` of `entries` had a scenario run to a verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub entries: usize,
    pub checked: usize,
    pub failing: usize,
    pub not_checked: usize,
    pub elsewhere: usize,
    pub uncovered: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub rows: Vec<Row>,
    pub counts: Counts,
}

impl Matrix {
    /// The matrix of `record`, `suite` the scenarios loaded for it (those the tag filters left
    /// out among them; empty when only the record is at hand, as `gatecheck report` has it).
    pub fn build(record: &RunRecord, suite: &[Declared]) -> Matrix {
        let rows: Vec<Row> = catalogue::entries()
            .iter()
            .map(|entry| row(entry, record, suite))
            .collect();
        let mut counts = Counts {
            entries: rows.len(),
            ..Counts::default()
        };
        for row in &rows {
            match row.state {
                State::Failing => {
                    counts.checked += 1;
                    counts.failing += 1;
                }
                State::Passing => counts.checked += 1,
                State::NotChecked => counts.not_checked += 1,
                State::Elsewhere => counts.elsewhere += 1,
                State::Uncovered => counts.uncovered += 1,
            }
        }
        Matrix { rows, counts }
    }

    /// The rows of one source, each group once in the documents' order.
    pub fn groups(&self, source: Source) -> Vec<(&str, Vec<&Row>)> {
        let mut groups: Vec<(&str, Vec<&Row>)> = Vec::new();
        for row in self.rows.iter().filter(|r| r.entry.source == source) {
            match groups.iter_mut().find(|(g, _)| *g == row.entry.group) {
                Some((_, rows)) => rows.push(row),
                None => groups.push((&row.entry.group, vec![row])),
            }
        }
        groups
    }
}

fn row(entry: &'static Entry, record: &RunRecord, suite: &[Declared]) -> Row {
    let covers = |ids: &[String]| ids.contains(&entry.id);
    let mut chips: Vec<Chip> = record
        .scenarios
        .iter()
        .filter(|s| covers(&s.covers))
        .map(|s| Chip {
            scenario: s.name.clone(),
            file: s.file.clone(),
            seen: Seen::Ran(s.verdict, s.reason.clone()),
        })
        .collect();
    let not_run = if record.interrupted {
        "not run: the run was interrupted"
    } else {
        "not run: left out by the tag filters"
    };
    for d in suite.iter().filter(|d| covers(&d.covers)) {
        if !record.scenarios.iter().any(|s| s.file == d.file) {
            chips.push(Chip {
                scenario: d.name.clone(),
                file: d.file.clone(),
                seen: Seen::NotRun(not_run),
            });
        }
    }
    let verdicts = || {
        chips.iter().filter_map(|c| match c.seen {
            Seen::Ran(v, _) => Some(v),
            Seen::NotRun(_) => None,
        })
    };
    let state = if verdicts().any(|v| matches!(v, Verdict::Failed | Verdict::Error)) {
        State::Failing
    } else if verdicts().any(|v| v == Verdict::Passed) {
        State::Passing
    } else if !chips.is_empty() {
        State::NotChecked
    } else if entry.checked_elsewhere() {
        State::Elsewhere
    } else {
        State::Uncovered
    };
    Row {
        entry,
        state,
        chips,
    }
}
