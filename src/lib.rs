//! gatecheck: a conformance test harness and load tester for password-reset gateways, with an
//! embedded reference gateway.
//!
//! Module map (see ARCHITECTURE.md): `api` names the operations both sides share; `gateway` is
//! the reference gateway; `cli` parses the command line into typed configuration.

pub mod api;
pub mod cli;
pub mod gateway;
