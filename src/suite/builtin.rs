//! The built-in suite: every file under `scenarios/` (the scenarios, `README.md`,
//! `schema.json`), compiled into the binary by `build.rs`, each under its name in the
//! repository (`scenarios/happy/phone_user.yaml`), so a run from any directory shows the same
//! names as a run in the repository. `tests/main/install.rs` holds the table equal to the files
//! on disk.

use std::path::{Component, Path};

/// `(name, text)` of every file under `scenarios/`, sorted by name.
pub static FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_suite.rs"));

/// Where `scenarios export` writes the reference profile, beside `scenarios/`: the layout of
/// the repository, so `gatecheck run DIR/scenarios` reads what `run` reads built in.
pub const PROFILE_NAME: &str = "profiles/reference.yaml";

/// Whether a built-in file is a scenario (the suite's other files document it).
pub fn is_scenario(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// The text of the built-in file `name`.
pub fn text(name: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// The built-in scenario files a path names: the file itself, or every one under a directory
/// (`scenarios`, `scenarios/tokens/`, `./scenarios/happy`). Empty when it names none.
pub fn under(path: &Path) -> Vec<&'static str> {
    let Some(wanted) = normalise(path) else {
        return Vec::new();
    };
    let prefix = format!("{wanted}/");
    FILES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| is_scenario(name) && (*name == wanted || name.starts_with(&prefix)))
        .collect()
}

/// Every built-in scenario file.
pub fn scenarios() -> Vec<&'static str> {
    under(Path::new("scenarios"))
}

/// `path` as a built-in name: relative, `/`-separated, without `.` parts; `None` for an
/// absolute path or one that climbs out (`..`).
fn normalise(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_names_a_file_or_every_file_under_a_directory() {
        let all = scenarios();
        assert!(all.len() > 50, "{}", all.len());
        assert!(all.iter().all(|n| n.starts_with("scenarios/")));
        assert_eq!(
            under(Path::new("./scenarios/happy/phone_user.yaml")),
            ["scenarios/happy/phone_user.yaml"]
        );
        let happy = under(Path::new("scenarios/happy/"));
        assert!(happy.len() >= 3 && happy.iter().all(|n| n.starts_with("scenarios/happy/")));
        assert_eq!(under(Path::new("scenarios/hap")), Vec::<&str>::new());
        assert_eq!(under(Path::new("/scenarios")), Vec::<&str>::new());
        assert_eq!(
            under(Path::new("scenarios/../scenarios")),
            Vec::<&str>::new()
        );
        // README.md and schema.json are in the table, but are not scenarios.
        assert!(text("scenarios/README.md").is_some());
        assert_eq!(under(Path::new("scenarios/README.md")), Vec::<&str>::new());
    }

    #[test]
    fn the_table_is_sorted_and_holds_no_hidden_file() {
        let names: Vec<&str> = FILES.iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(names.iter().all(|n| !n.contains("/.")), "{names:?}");
    }
}
