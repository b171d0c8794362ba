//! Thin entry point: parse flags, run the command, turn its ending or its error's class into
//! the documented exit code (`cmd` lists them).

use std::process::ExitCode;

use clap::Parser;
use gatecheck::cmd::{execute, Cli};

// mimalloc rather than glibc's malloc: a request allocates a few dozen small short-lived
// objects, and glibc's malloc took ~10% of a load client's CPU (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return argument_error(&error),
    };
    match execute(cli) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(error) => {
            eprint!("{}", error.report());
            ExitCode::from(error.code())
        }
    }
}

/// `--help` and `--version` as clap prints them; a bad argument as every other error,
/// `gatecheck: ...` (clap's own `error: ` prefix replaced), exit 2.
fn argument_error(error: &clap::Error) -> ExitCode {
    if !error.use_stderr() {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    let text = error.render().to_string();
    match text.strip_prefix("error: ") {
        Some(message) => eprint!("gatecheck: {message}"),
        // `gatecheck` alone: the help, as clap prints it (on stderr, exit 2).
        None => eprint!("{text}"),
    }
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
}
