//! Finding and loading scenario files: paths may be files or directories (searched for
//! `.yaml`/`.yml`, sorted). No path means the built-in suite (`builtin`), and a path that is
//! not on disk but names built-in files (`scenarios/load/reset_flow.yaml`, `scenarios/tokens`)
//! means those: files on disk always win. Built-in files go through the same reader bound
//! (`input`) and decoder as files on disk. Every file is decoded; all errors of all files are
//! returned together.

pub mod builtin;

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

/// One scenario file, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum File {
    /// On disk, shown by the path it was found under.
    Disk(PathBuf),
    /// Compiled in, shown by its name in the repository (`scenarios/happy/phone_user.yaml`).
    BuiltIn(&'static str),
}

impl File {
    pub fn path(&self) -> &Path {
        match self {
            File::Disk(path) => path,
            File::BuiltIn(name) => Path::new(name),
        }
    }

    /// The file's text, through the reader bound of a scenario.
    pub fn read(&self) -> Result<String, InputError> {
        match self {
            File::Disk(path) => input::read(path, Kind::Scenario),
            File::BuiltIn(name) => {
                let text = builtin::text(name).unwrap_or_default();
                input::from_memory(self.path(), text.as_bytes(), Kind::Scenario)
            }
        }
    }
}

/// The files some paths name, and which of the paths were taken from the built-in suite.
#[derive(Debug)]
pub struct Found {
    pub files: Vec<File>,
    /// Paths given that are not on disk and name built-in files (what a message should say).
    pub built_in: Vec<PathBuf>,
}

/// The scenario files under `paths` (none: the built-in suite), sorted.
pub fn find(paths: &[PathBuf]) -> Result<Found, LoadError> {
    let mut found = Found {
        files: Vec::new(),
        built_in: Vec::new(),
    };
    if paths.is_empty() {
        found.files = builtin::scenarios()
            .into_iter()
            .map(File::BuiltIn)
            .collect();
    }
    for path in paths {
        let named = builtin::under(path);
        if path.symlink_metadata().is_err() && !named.is_empty() {
            found.files.extend(named.into_iter().map(File::BuiltIn));
            found.built_in.push(path.clone());
        } else {
            collect(path, &mut found.files)?;
        }
    }
    found.files.sort_by(|a, b| a.path().cmp(b.path()));
    found.files.dedup();
    if found.files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(LoadError::Empty(shown.join(", ")));
    }
    Ok(found)
}

fn collect(path: &Path, files: &mut Vec<File>) -> Result<(), LoadError> {
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
        files.push(File::Disk(path.to_path_buf()));
        Ok(())
    } else {
        Err(io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file or directory, nor a built-in scenario (`gatecheck scenarios list`)",
        )))
    }
}

/// The text of the one scenario file `path` names (on disk, else built in), as `load` would
/// read it: for a digest of what ran.
pub fn text(path: &Path) -> Result<String, InputError> {
    match builtin::under(path).as_slice() {
        [name] if path.symlink_metadata().is_err() => File::BuiltIn(name).read(),
        _ => File::Disk(path.to_path_buf()).read(),
    }
}

/// Whether the scenario files under `dir` (a `./scenarios` beside a run without PATH) are other
/// than the built-in ones: other names, or other text. An installed binary runs its own copy;
/// this says when that is not what the folder holds.
pub fn differs_from_builtin(dir: &Path) -> bool {
    let Ok(found) = find(&[dir.to_path_buf()]) else {
        return true;
    };
    let names = builtin::scenarios();
    found.files.len() != names.len()
        || found.files.iter().zip(names).any(|(file, name)| {
            file.path() != Path::new(name) || file.read().ok().as_deref() != builtin::text(name)
        })
}

/// Loads every file under `paths` (none: the built-in suite); the scenarios, or every problem
/// found.
pub fn load(paths: &[PathBuf], profile: &Profile) -> Result<Vec<Scenario>, Vec<LoadError>> {
    let found = find(paths).map_err(|e| vec![e])?;
    load_files(&found.files, profile)
}

/// Decodes `files` against `profile`: the scenarios, or every problem found.
pub fn load_files(files: &[File], profile: &Profile) -> Result<Vec<Scenario>, Vec<LoadError>> {
    let mut scenarios = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        let shown = file.path().display().to_string();
        match file.read() {
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
