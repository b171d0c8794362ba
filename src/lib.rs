//! gatecheck: a conformance test harness and load tester for password-reset gateways, with an
//! embedded reference gateway.
//!
//! Module map (see ARCHITECTURE.md): `api` names the operations both sides share; `gateway` is
//! the reference gateway; `cmd` is the command line, one file per subcommand;
//! `runner` runs scenarios; `load` and `fuzz` build on it; `bench` measures the gateway.

pub mod api;
pub mod bench;
pub mod cmd;
pub mod coverage;
pub mod cputime;
pub mod discover;
pub mod fuzz;
pub mod gateway;
pub mod input;
pub mod load;
pub mod output;
pub mod profile;
pub mod redact;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod suite;
pub mod transport;
pub mod yaml;
