//! Errors in a scenario or profile file: where (file, line, column), what was expected, and a
//! "did you mean" when a near name exists. Rendered with the source line and a caret, and
//! collected so that a file reports all its errors at once.

use std::fmt;

/// A position in a source file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    pub fn new(line: usize, column: usize) -> Self {
        Self { line, column }
    }

    pub fn of(span: &marked_yaml::Span) -> Self {
        span.start()
            .map_or_else(Location::default, |m| Location::new(m.line(), m.column()))
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub at: Location,
    /// How many characters the caret underlines.
    pub width: usize,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(at: Location, width: usize, message: impl Into<String>) -> Self {
        Self {
            at,
            width: width.max(1),
            message: message.into(),
            help: None,
        }
    }

    /// Adds a hint, unless a more specific one (a suggestion) is already there.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        if self.help.is_none() {
            self.help = Some(help.into());
        }
        self
    }

    /// Adds "did you mean `x`?" when one of `known` is close to `wrong`.
    pub fn suggest<'a>(self, wrong: &str, known: impl IntoIterator<Item = &'a str>) -> Self {
        match did_you_mean(wrong, known) {
            Some(near) => self.with_help(format!("did you mean `{near}`?")),
            None => self,
        }
    }
}

/// The closest of `known` to `wrong`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(wrong: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(wrong, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// All the errors of one file, with its text for rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileErrors {
    pub path: String,
    pub source: String,
    pub errors: Vec<Diagnostic>,
}

impl fmt::Display for FileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<&str> = self.source.lines().collect();
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "error: {}", error.message)?;
            let number = error.at.line.to_string();
            let pad = " ".repeat(number.len());
            writeln!(
                f,
                "{pad}--> {}:{}:{}",
                self.path, error.at.line, error.at.column
            )?;
            if let Some(line) = error.at.line.checked_sub(1).and_then(|i| lines.get(i)) {
                writeln!(f, "{pad} |")?;
                writeln!(f, "{number} | {}", hide_secret_values(line))?;
                let indent: String = line
                    .chars()
                    .take(error.at.column.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let caret = "^".repeat(error.width);
                match &error.help {
                    Some(help) => writeln!(f, "{pad} | {indent}{caret} {help}")?,
                    None => writeln!(f, "{pad} | {indent}{caret}")?,
                }
            } else if let Some(help) = &error.help {
                writeln!(f, "{pad} = {help}")?;
            }
        }
        let count = self.errors.len();
        write!(
            f,
            "{}: {count} error{}",
            self.path,
            if count == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for FileErrors {}

/// The quoted source line with the values of secret keys (`password: ...`, a literal
/// `test_support_token: ...`) replaced by as many `*`, so an error in an accounts file or a
/// profile does not print a password into a CI log, and the caret still points right.
fn hide_secret_values(line: &str) -> std::borrow::Cow<'_, str> {
    static SECRET: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"(?i)\b(password|newpwd|oldpwd|test_support_token)(["']?\s*:\s*)("[^"]*"|'[^']*'|[^\s,}\]#{][^,}\]#]*)"#,
        )
        .expect("a valid pattern")
    });
    SECRET.replace_all(line, |c: &regex::Captures<'_>| {
        format!("{}{}{}", &c[1], &c[2], "*".repeat(c[3].chars().count()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_only_for_near_names() {
        assert_eq!(
            did_you_mean("expcet", ["expect", "capture"]),
            Some("expect")
        );
        assert_eq!(
            did_you_mean("send_captha", ["send_captcha", "send_code"]),
            Some("send_captcha")
        );
        assert_eq!(did_you_mean("zzz", ["expect", "capture"]), None);
    }

    #[test]
    fn quoted_lines_hide_the_values_of_secret_keys() {
        for (line, shown) in [
            (
                "- {user: alice, password: Hunter2Secret, kind: person}",
                "- {user: alice, password: *************, kind: person}",
            ),
            (
                "  password: \"a b#c\"  # note",
                "  password: *******  # note",
            ),
            (
                "test_support_token: tok-literal-13",
                "test_support_token: **************",
            ),
            ("{\"newPwd\": 'x,y'}", "{\"newPwd\": *****}"),
            ("user: alice", "user: alice"),
        ] {
            assert_eq!(hide_secret_values(line), shown);
        }
    }

    #[test]
    fn rendering_points_at_the_column() {
        let errors = FileErrors {
            path: "s.yaml".into(),
            source: "name: x\nsteps:\n  - send_captha: {}\n".into(),
            errors: vec![
                Diagnostic::new(Location::new(3, 5), 11, "unknown step `send_captha`")
                    .with_help("did you mean `send_captcha`?"),
            ],
        };
        let text = errors.to_string();
        assert!(text.contains("--> s.yaml:3:5"), "{text}");
        assert!(
            text.contains(
                "3 |   - send_captha: {}\n  |     ^^^^^^^^^^^ did you mean `send_captcha`?"
            ),
            "{text}"
        );
    }
}
