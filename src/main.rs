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
    match execute(Cli::parse()) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(error) => {
            eprint!("{}", error.report());
            ExitCode::from(error.code())
        }
    }
}
