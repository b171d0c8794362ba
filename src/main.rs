//! Thin entry point: parse flags, call the library, map errors to exit codes.
//!
//! Exit codes: 0 success; 1 runtime failure (cannot bind, ...) or, for `run`, a failed
//! scenario; 2 usage error or invalid scenario/profile; 3 target unreachable (`run`); 130
//! interrupted. `commands` documents `run`'s codes.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use gatecheck::cli::{fault_list, Cli, Command, ServePlan};

// mimalloc rather than glibc's malloc: a request allocates a few dozen small short-lived
// objects, and glibc's malloc took ~10% of a load client's CPU (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => match args.plan() {
            Ok(ServePlan::ListFaults) => {
                print!("{}", fault_list());
                Ok(())
            }
            Ok(ServePlan::Serve(addr, config)) => serve(addr, *config),
            Err(e) => {
                eprintln!("gatecheck: {e}");
                return ExitCode::from(2);
            }
        },
        Command::Bench(args) => gatecheck::bench::run(&args),
        Command::Run(args) => return ExitCode::from(gatecheck::commands::run(&args)),
        Command::Validate(args) => return ExitCode::from(gatecheck::commands::validate(&args)),
        Command::Schema => return ExitCode::from(gatecheck::commands::schema()),
        Command::Load(args) => return ExitCode::from(gatecheck::commands::load(&args)),
        Command::Fuzz(args) => return ExitCode::from(gatecheck::commands::fuzz(&args)),
        Command::Merge(args) => return ExitCode::from(gatecheck::commands::merge(&args)),
        Command::Report(args) => return ExitCode::from(gatecheck::commands::report(&args)),
        Command::Compare(args) => return ExitCode::from(gatecheck::commands::compare(&args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gatecheck: {e}");
            let mut source = e.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(1)
        }
    }
}

fn serve(
    addr: std::net::SocketAddr,
    config: gatecheck::gateway::GatewayConfig,
) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let bound = listener.local_addr()?;
        let faults: Vec<String> = config
            .faults
            .all()
            .iter()
            .map(|f| format!("{f:?}"))
            .collect();
        let flow = std::sync::Arc::new(gatecheck::gateway::Flow::new(
            config,
            gatecheck::gateway::Clock::system(),
        )?);
        println!("listening on http://{bound}");
        if !faults.is_empty() {
            eprintln!("faults on: {}", faults.join(", "));
        }
        std::io::stdout().flush()?;
        gatecheck::gateway::serve(listener, flow, shutdown_signal()).await?;
        eprintln!("stopped");
        Ok(())
    })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
