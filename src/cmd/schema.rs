//! `gatecheck schema`: the JSON Schema of the scenario format (`scenarios/schema.json`).

use super::{Error, Exit};

pub fn execute() -> Result<Exit, Error> {
    print!("{}", crate::scenario::schema::scenario_schema_text());
    Ok(Exit::Passed)
}
