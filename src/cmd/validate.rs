//! `gatecheck validate PATH...`: checks scenarios without running them; every error of every
//! file is reported with its line, a caret and a "did you mean".

use std::path::PathBuf;

use clap::Args;

use super::args::load_profile;
use super::{load_scenarios, Error, Exit};

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Check `profile.*` names against this profile instead of the reference one.
    #[arg(long)]
    pub profile: Option<PathBuf>,
}

pub fn execute(args: &ValidateArgs) -> Result<Exit, Error> {
    let profile = load_profile(args.profile.as_ref())?;
    let scenarios = load_scenarios(&args.paths, &profile)?;
    super::out::print(&format!(
        "{} valid\n",
        crate::output::text::count_s(scenarios.len(), "scenario")
    ));
    Ok(Exit::Passed)
}
