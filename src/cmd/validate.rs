//! `gatecheck validate [PATH...]`: checks scenarios (the built-in suite without a PATH) without
//! running them; every error of every file is reported with its line, a caret and a "did you
//! mean".

use std::path::PathBuf;

use clap::Args;

use super::args::load_profile;
use super::{load_scenarios, Error, Exit};

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Scenario files or directories (none: the built-in suite; a built-in name such as
    /// scenarios/tokens where no such path is on disk).
    pub paths: Vec<PathBuf>,
    /// Check `profile.*` names against this profile instead of the reference one.
    #[arg(long)]
    pub profile: Option<PathBuf>,
}

pub fn execute(args: &ValidateArgs) -> Result<Exit, Error> {
    let profile = load_profile(args.profile.as_ref())?;
    let scenarios = load_scenarios(&args.paths, &profile)?;
    let source = if args.paths.is_empty() {
        " (the built-in suite)"
    } else {
        ""
    };
    super::out::print(&format!(
        "{} valid{source}
",
        crate::output::text::count_s(scenarios.len(), "scenario")
    ));
    Ok(Exit::Passed)
}
