//! What every report writer shares, whatever it renders: escaping text for the place it goes
//! into (`escape`), how much of a value and how many values a report shows (`bounds`), one XML
//! writer that the three JUnit reports build on (`xml`), and files written whole or not at all
//! (`files`), whether the console is coloured (`color`: a `Palette` value, decided once), and
//! counts and durations as people read them (`text`). Pure of the runner and the load engine.

pub mod bounds;
pub mod color;
pub mod escape;
pub mod files;
pub mod text;
pub mod xml;
