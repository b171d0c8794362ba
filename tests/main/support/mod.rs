//! What the test modules share.

mod harness;

pub use harness::*;
