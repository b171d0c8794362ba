//! The `command` code oracle: a program, given the user, prints the code (a script reading a
//! mailbox or an SMS gateway's API). It runs within the session's `--timeout` and may print at
//! most `MAX_OUTPUT` bytes: a code is a line, and a runaway program must not fill the memory.

use std::process::Stdio;

use tokio::io::AsyncReadExt;

use super::{with_user, CodeSource, Lookup};
use crate::runner::target::Target;

/// The most a command may print (a code and a newline need a few bytes).
pub const MAX_OUTPUT: u64 = 4096;

/// The program and its arguments, `{{ user }}` replaced by the user.
pub struct Command(pub Vec<String>);

impl CodeSource for Command {
    fn code<'a>(&'a self, target: &'a Target, user: &'a str) -> Lookup<'a, String> {
        Box::pin(async move {
            let args: Vec<String> = self.0.iter().map(|a| with_user(a, user)).collect();
            let (program, rest) = args
                .split_first()
                .ok_or("command code oracle: no command given")?;
            let limit = target.options().timeout;
            let run = printed(program, rest);
            let printed = tokio::time::timeout(limit, run).await.map_err(|_| {
                format!(
                    "command code oracle: `{program}` timed out after {} (--timeout)",
                    humantime::format_duration(limit)
                )
            })??;
            let code = String::from_utf8_lossy(&printed).trim().to_owned();
            if code.is_empty() {
                return Err("command code oracle: the command printed nothing".into());
            }
            Ok(code)
        })
    }
}

/// What the program printed on standard output, if it succeeded within the cap. Dropping this
/// future (the timeout) or leaving early kills the program.
async fn printed(program: &str, args: &[String]) -> Result<Vec<u8>, String> {
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("command code oracle: cannot run `{program}`: {e}"))?;
    let mut out = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        stdout
            .take(MAX_OUTPUT + 1)
            .read_to_end(&mut out)
            .await
            .map_err(|e| format!("command code oracle: cannot read `{program}`'s output: {e}"))?;
    }
    if out.len() as u64 > MAX_OUTPUT {
        return Err(format!(
            "command code oracle: `{program}` printed more than {MAX_OUTPUT} bytes (the cap)"
        ));
    }
    let status = child
        .wait()
        .await
        .map_err(|e| format!("command code oracle: `{program}`: {e}"))?;
    if !status.success() {
        return Err(format!(
            "command code oracle: `{program}` exited with {status}"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::runner::target::ClientOptions;

    fn target(timeout: Duration) -> Target {
        let options = ClientOptions {
            timeout,
            ..ClientOptions::default()
        };
        Target::new("http://127.0.0.1:9", options).expect("target")
    }

    async fn run(script: &str, timeout: Duration) -> Result<String, String> {
        let command = Command(vec!["sh".into(), "-c".into(), script.into()]);
        command.code(&target(timeout), "+8613500000001").await
    }

    #[tokio::test]
    async fn prints_the_code() {
        let code = run("echo \"  654321 \"", Duration::from_secs(10)).await;
        assert_eq!(code.as_deref(), Ok("654321"));
        let exited = run("echo 1; exit 3", Duration::from_secs(10)).await;
        assert!(exited.is_err_and(|e| e.contains("exited with")));
    }

    #[tokio::test]
    async fn output_over_the_cap_is_an_error_naming_it() {
        let just = format!("head -c {MAX_OUTPUT} /dev/zero | tr '\\0' 1");
        assert!(run(&just, Duration::from_secs(10)).await.is_ok());
        // An endless printer: stopped at the cap, not read to the end.
        let error = run("yes 123456", Duration::from_secs(10))
            .await
            .unwrap_err();
        assert!(error.contains("more than 4096 bytes"), "{error}");
    }

    #[tokio::test]
    async fn the_session_timeout_applies() {
        let started = Instant::now();
        let error = run("sleep 5; echo 1", Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(error.contains("timed out after 300ms"), "{error}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
}
