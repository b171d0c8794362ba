//! The integration tests, one test binary (`cargo test --test main`; one module: `cargo test
//! --test main golden::`): one link instead of one per file, and one support module instead of
//! helpers written again in each file.
//!
//! Layout: this file is the crate root; each module is a file in `tests/main/`, and the shared
//! helpers are `tests/main/support/`. Cargo builds every `tests/*.rs` as a binary of its own, so
//! the modules cannot sit beside this file; and a crate root looks for `mod cli;` beside itself
//! (`tests/cli.rs`), not in `tests/main/`, so each `mod` names its file with `#[path]`. (The
//! other layout cargo knows, `tests/main/main.rs`, needs no `#[path]`, but proptest files a
//! test's regressions under the nearest folder holding a `main.rs`: they would land in
//! `tests/proptest-regressions/`. With the root here they go to
//! `proptest-regressions/main/<module>.txt`, beside those of `src/`.)
//!
//! No test needs a binary of its own: none sets an environment variable, a panic hook, a global
//! subscriber or a signal handler in the test process (signals go to child processes, and the
//! runner, load engine and fuzzer take their interruption as an argument). All tests share one
//! process id, so temporary files go in directories from `support::temp_dir`, unique per call.

#[path = "main/support/mod.rs"]
mod support;

#[path = "main/architecture.rs"]
mod architecture;
#[path = "main/arguments.rs"]
mod arguments;
#[path = "main/choices.rs"]
mod choices;
#[path = "main/cli.rs"]
mod cli;
#[path = "main/concurrency.rs"]
mod concurrency;
#[path = "main/console.rs"]
mod console;
#[path = "main/coverage.rs"]
mod coverage;
#[path = "main/deploy.rs"]
mod deploy;
#[path = "main/discover.rs"]
mod discover;
#[path = "main/failures.rs"]
mod failures;
#[path = "main/faults.rs"]
mod faults;
#[path = "main/fuzz.rs"]
mod fuzz;
#[path = "main/fuzz_html.rs"]
mod fuzz_html;
#[path = "main/gateway_safety.rs"]
mod gateway_safety;
#[path = "main/golden.rs"]
mod golden;
#[path = "main/happy_path.rs"]
mod happy_path;
#[path = "main/hostile_files.rs"]
mod hostile_files;
#[path = "main/hostile_target.rs"]
mod hostile_target;
#[path = "main/http2.rs"]
mod http2;
#[path = "main/install.rs"]
mod install;
#[path = "main/limits.rs"]
mod limits;
#[path = "main/links.rs"]
mod links;
#[path = "main/load.rs"]
mod load;
#[path = "main/load_stats.rs"]
mod load_stats;
#[path = "main/load_users.rs"]
mod load_users;
#[path = "main/merge.rs"]
mod merge;
#[path = "main/metrics.rs"]
mod metrics;
#[path = "main/oracles.rs"]
mod oracles;
#[path = "main/request_props.rs"]
mod request_props;
#[path = "main/requests.rs"]
mod requests;
#[path = "main/run_html.rs"]
mod run_html;
#[path = "main/scenario_props.rs"]
mod scenario_props;
#[path = "main/schema.rs"]
mod schema;
#[path = "main/sdk_fixture.rs"]
mod sdk_fixture;
#[path = "main/secrets.rs"]
mod secrets;
#[path = "main/shards.rs"]
mod shards;
#[path = "main/suite_teeth.rs"]
mod suite_teeth;
#[path = "main/tls.rs"]
mod tls;
#[path = "main/token_choices.rs"]
mod token_choices;
#[path = "main/tokens.rs"]
mod tokens;
#[path = "main/transport.rs"]
mod transport;
