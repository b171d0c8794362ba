//! What every report writer shares, whatever it renders: escaping text for the format it goes
//! into (`escape`), one XML writer that the three JUnit reports build on (`xml`), and files
//! written whole or not at all (`files`). Pure of the runner and the load engine.

pub mod escape;
pub mod files;
pub mod xml;
