//! Finding and loading scenario files: paths may be files or directories (searched for
//! `.yaml`/`.yml`, sorted). Every file is decoded; all errors of all files are returned together.

use std::path::{Path, PathBuf};

use crate::input::{self, InputError, Kind};
use crate::profile::Profile;
use crate::scenario::{decode_scenario, FileErrors, Scenario};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// Too large, not UTF-8, or not readable at all.
    #[error("{0}")]
    Unreadable(InputError),
    #[error("{0}")]
    Invalid(FileErrors),
    #[error("no scenario files found under {0}")]
    Empty(String),
}

/// The scenario files under `paths`, sorted.
pub fn find(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files)?;
    }
    files.sort();
    files.dedup();
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(LoadError::Empty(shown.join(", ")));
    }
    Ok(files)
}

fn collect(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let io = |source| LoadError::Io {
        path: path.display().to_string(),
        source,
    };
    if path.is_dir() {
        for entry in std::fs::read_dir(path).map_err(io)? {
            let entry = entry.map_err(io)?.path();
            if entry.is_dir() || entry.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                collect(&entry, files)?;
            }
        }
        Ok(())
    } else if path.exists() {
        files.push(path.to_path_buf());
        Ok(())
    } else {
        Err(io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file or directory",
        )))
    }
}

/// Loads every file; returns the scenarios, or every problem found.
pub fn load(paths: &[PathBuf], profile: &Profile) -> Result<Vec<Scenario>, Vec<LoadError>> {
    let files = find(paths).map_err(|e| vec![e])?;
    let mut scenarios = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        let shown = file.display().to_string();
        match input::read(&file, Kind::Scenario) {
            Ok(text) => match decode_scenario(&shown, &text, profile) {
                Ok(scenario) => scenarios.push(scenario),
                Err(errors) => problems.push(LoadError::Invalid(errors)),
            },
            Err(error) => problems.push(LoadError::Unreadable(error)),
        }
    }
    if problems.is_empty() {
        Ok(scenarios)
    } else {
        Err(problems)
    }
}
