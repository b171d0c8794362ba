//! gatecheck: a conformance test harness and load tester for password-reset gateways, with an
//! embedded reference gateway.
//!
//! Module map (see ARCHITECTURE.md): `api` names the operations both sides share; `gateway` is
//! the reference gateway; `cli` parses the command line into typed configuration; `bench`
//! measures the gateway.

pub mod api;
pub mod bench;
pub mod cli;
pub mod commands;
pub mod cputime;
pub mod fuzz;
pub mod gateway;
pub mod load;
pub mod profile;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod suite;
pub mod transport;
