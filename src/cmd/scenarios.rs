//! `gatecheck scenarios list | export DIR`: the built-in suite, listed or written out for a
//! team to edit and extend. Export mirrors the repository's layout (`DIR/scenarios/...` and the
//! reference profile as `DIR/profiles/reference.yaml`), so `gatecheck run DIR/scenarios` shows
//! the names a built-in run shows; each file is written atomically, and nothing is written
//! when a file is already there, unless `--force`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::args::load_profile;
use super::{Error, Exit};
use crate::output::escape::console_line;
use crate::suite::{self, builtin};

#[derive(Debug, Clone, Args)]
pub struct ScenariosArgs {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Action {
    /// List the built-in scenario files, each with its scenario's name.
    List,
    /// Write the built-in suite to DIR/scenarios/ and the reference profile to
    /// DIR/profiles/reference.yaml.
    Export {
        /// Where to write (made if missing).
        dir: PathBuf,
        /// Overwrite files that are already there.
        #[arg(long)]
        force: bool,
    },
}

pub fn execute(args: &ScenariosArgs) -> Result<Exit, Error> {
    match &args.action {
        Action::List => list(),
        Action::Export { dir, force } => export(dir, *force),
    }
}

fn list() -> Result<Exit, Error> {
    let files: Vec<suite::File> = builtin::scenarios()
        .into_iter()
        .map(suite::File::BuiltIn)
        .collect();
    let scenarios = suite::load_files(&files, &load_profile(None)?).map_err(Error::Scenarios)?;
    let width = files.iter().map(|f| f.path().as_os_str().len()).max();
    for scenario in &scenarios {
        super::out::print(&format!(
            "{:width$}  {}\n",
            scenario.path,
            console_line(&scenario.name),
            width = width.unwrap_or(0)
        ));
    }
    super::out::print(&format!(
        "{} built-in scenario files (`gatecheck scenarios export DIR` writes them out)\n",
        scenarios.len()
    ));
    Ok(Exit::Passed)
}

/// What export writes: every built-in file, then the reference profile.
fn exported() -> Vec<(&'static str, &'static str)> {
    let mut files = builtin::FILES.to_vec();
    files.push((builtin::PROFILE_NAME, crate::profile::REFERENCE_YAML));
    files
}

fn export(dir: &Path, force: bool) -> Result<Exit, Error> {
    let files = exported();
    let shown = |path: &Path| console_line(&path.display().to_string());
    if !force {
        // Checked before anything is written, so a refusal leaves DIR as it was.
        let there: Vec<PathBuf> = files
            .iter()
            .map(|(name, _)| dir.join(name))
            .filter(|path| path.symlink_metadata().is_ok())
            .collect();
        if let Some(first) = there.first() {
            return Err(Error::Invalid(format!(
                "{} of the {} files to export already exist (first: {}); nothing was written (--force overwrites them)",
                there.len(),
                files.len(),
                shown(first)
            )));
        }
    }
    for (name, text) in &files {
        let path = dir.join(name);
        let cannot =
            |e: std::io::Error| Error::Invalid(format!("cannot write {}: {e}", shown(&path)));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(cannot)?;
        }
        crate::output::files::write_atomically(&path, text.as_bytes()).map_err(cannot)?;
        super::out::print(&format!("wrote {}\n", shown(&path)));
    }
    let scenarios = dir.join("scenarios");
    let count = builtin::scenarios().len();
    super::out::print(&format!(
        "exported {} files ({count} scenarios, {} other files of scenarios/ such as its README.md, and {}); run them with: gatecheck run {}\n",
        files.len(),
        builtin::FILES.len() - count,
        builtin::PROFILE_NAME,
        shown(&scenarios)
    ));
    Ok(Exit::Passed)
}
