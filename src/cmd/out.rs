//! Standard output that a closed pipe cannot crash: `print!` panics when the reader has gone
//! (`gatecheck run | head -1`: "failed printing to stdout: Broken pipe", exit 101). Here a
//! failed write stops the writing and nothing else, so the command still writes its reports
//! and exits with its verdict's code.

use std::io::Write;

/// Standard output for one command; silent once a write has failed.
#[derive(Debug, Default)]
pub struct Stdout {
    closed: bool,
}

impl Stdout {
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `text` and flushes it (a line is seen as soon as it is printed), unless the
    /// reader has gone. A closed pipe (EPIPE; Rust ignores SIGPIPE) is the reader's choice and
    /// said nowhere; any other error is said once on stderr.
    pub fn print(&mut self, text: &str) {
        if self.closed {
            return;
        }
        let mut stdout = std::io::stdout().lock();
        if let Err(error) = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            self.closed = true;
            if error.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("gatecheck: cannot write to standard output: {error}");
            }
        }
    }
}

/// Prints `text` once to standard output (see `Stdout::print`).
pub fn print(text: &str) {
    Stdout::new().print(text);
}
