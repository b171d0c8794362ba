//! What a discovery learnt: the profile being filled in (the base profile's values until a
//! probe finds better), how each value was found, and which values could not be determined
//! and need a person's review.

use std::collections::BTreeMap;

use crate::profile::render::Notes;
use crate::profile::{ErrorSpec, Profile};

#[derive(Debug, Clone)]
pub struct Findings {
    pub profile: Profile,
    /// Dotted path → how it was found (`5 px accepted, 6 px refused`).
    pub found: BTreeMap<String, String>,
    /// Dotted path → why it is the base profile's value.
    pub review: BTreeMap<String, String>,
}

impl Findings {
    pub fn new(base: Profile) -> Self {
        Self {
            profile: base,
            found: BTreeMap::new(),
            review: BTreeMap::new(),
        }
    }

    pub fn found(&mut self, path: &str, how: impl Into<String>) {
        self.review.remove(path);
        self.found.insert(path.to_owned(), how.into());
    }

    pub fn is_found(&self, path: &str) -> bool {
        self.found.contains_key(path)
    }

    /// The kind's status and code, as the target answered `how`. A second code for the kind
    /// joins its `codes`; a second status is flagged.
    pub fn error(&mut self, kind: &str, (status, code): (u16, String), how: &str) {
        let path = format!("errors.{kind}");
        let first = !self.found.contains_key(&path);
        match self.profile.errors.get_mut(kind) {
            Some(known) if !first && known.status != status => {
                let note = format!("also answered {status} {code} {how}: one kind, two statuses");
                self.review.insert(path, note);
            }
            Some(known) if !first && !known.accepts(&code) => {
                known.codes.push(code.clone());
                let note = format!("{}; {code} {how}", self.found[&path]);
                self.found.insert(path, note);
            }
            _ if !first => {}
            _ => {
                let spec = ErrorSpec {
                    status,
                    code: code.clone(),
                    codes: vec![code],
                };
                self.profile.errors.insert(kind.to_owned(), spec);
                self.found(&path, how);
            }
        }
    }

    /// Every path of `paths` not yet found is the base profile's, for `why`.
    pub fn undetermined(&mut self, paths: &[String], why: &str) {
        for path in paths {
            if !self.found.contains_key(path) {
                self.review
                    .entry(path.clone())
                    .or_insert_with(|| why.to_owned());
            }
        }
    }
}

impl Notes for Findings {
    fn note(&self, path: &str) -> Option<String> {
        if let Some(why) = self.review.get(path) {
            return Some(format!("REVIEW: {why}"));
        }
        self.found.get(path).cloned()
    }
}

/// Every value of a profile a probe can determine, as dotted paths.
pub fn probed_paths() -> Vec<String> {
    let mut paths = vec!["test_support".to_owned(), "strict_errors".to_owned()];
    let sections: [(&str, &[&str]); 5] = [
        ("errors", crate::profile::KINDS),
        ("lifetimes", &["t1", "t2", "code", "t3"]),
        (
            "captcha",
            &["tolerance", "slide_time_min", "slide_time_max"],
        ),
        (
            "code",
            &[
                "attempts",
                "exceeded_on_last_attempt",
                "resend_interval",
                "length",
            ],
        ),
        ("burns", &["t1_on_mismatch", "t3_on_policy", "other_user"]),
    ];
    for (section, keys) in sections {
        paths.extend(keys.iter().map(|key| format!("{section}.{key}")));
    }
    paths.extend(
        [
            "min_length",
            "max_length",
            "min_classes",
            "max_run",
            "forbid_user_name",
        ]
        .iter()
        .map(|key| format!("password.{key}")),
    );
    paths
}

/// The paths of one section (`captcha` → `captcha.tolerance`, …).
pub fn section(prefix: &str) -> Vec<String> {
    probed_paths()
        .into_iter()
        .filter(|p| p.starts_with(prefix))
        .collect()
}
