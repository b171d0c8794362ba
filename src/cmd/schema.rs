//! `gatecheck schema`: the JSON Schema of the scenario format (`scenarios/schema.json`).

use super::{Error, Exit};

pub fn execute() -> Result<Exit, Error> {
    super::out::print(&crate::scenario::schema::scenario_schema_text());
    Ok(Exit::Passed)
}
