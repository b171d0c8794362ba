//! The `command` code oracle: a program, given the user, prints the code (a script reading a
//! mailbox or an SMS gateway's API).

use std::time::Duration;

use super::{with_user, CodeSource, Lookup};
use crate::runner::target::Target;

/// The program and its arguments, `{{ user }}` replaced by the user.
pub struct Command(pub Vec<String>);

impl CodeSource for Command {
    fn code<'a>(&'a self, _: &'a Target, user: &'a str) -> Lookup<'a, String> {
        Box::pin(async move {
            let args: Vec<String> = self.0.iter().map(|a| with_user(a, user)).collect();
            let (program, rest) = args
                .split_first()
                .ok_or("command code oracle: no command given")?;
            let run = tokio::process::Command::new(program)
                .args(rest)
                .kill_on_drop(true)
                .output();
            let output = tokio::time::timeout(Duration::from_secs(10), run)
                .await
                .map_err(|_| "command code oracle: timed out after 10 s".to_owned())?
                .map_err(|e| format!("command code oracle: cannot run `{program}`: {e}"))?;
            if !output.status.success() {
                return Err(format!(
                    "command code oracle: `{program}` exited with {}",
                    output.status
                ));
            }
            let code = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            if code.is_empty() {
                return Err("command code oracle: the command printed nothing".into());
            }
            Ok(code)
        })
    }
}
