//! The scenario language, a pure layer: YAML text in, checked `Scenario` out. No network, no
//! clock, no tokio. `decode` reads a file; `model` is what it means; `template`, `path` and
//! `matcher` are the pieces steps are made of; `yaml_templates` reads templates from YAML
//! (`crate::yaml` reads YAML and renders errors with a caret, for profiles too).

pub mod decode;
pub mod load_spec;
pub mod load_steps;
pub mod matcher;
pub mod model;
pub mod path;
pub mod requirement;
pub mod schema;
pub mod template;
pub mod threshold;
pub mod yaml_templates;

/// Diagnostics live with the YAML reader (profiles use them too); scenarios name them here.
pub use crate::yaml::diagnostic;

pub use decode::decode_scenario;
pub use diagnostic::FileErrors;
pub use model::Scenario;
