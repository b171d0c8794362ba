//! The scenario language, a pure layer: YAML text in, checked `Scenario` out. No network, no
//! clock, no tokio. `decode` reads a file; `model` is what it means; `template`, `path` and
//! `matcher` are the pieces steps are made of; `diagnostic` renders errors with a caret.

pub mod decode;
pub mod diagnostic;
pub mod load_spec;
pub mod matcher;
pub mod model;
pub mod path;
pub mod schema;
pub mod template;
pub mod yaml;

pub use decode::decode_scenario;
pub use diagnostic::FileErrors;
pub use model::Scenario;
