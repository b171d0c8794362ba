//! The `fixed` code oracle: the code is known beforehand (a gateway set to send one code).

use super::{CodeSource, Lookup};
use crate::runner::target::Target;

pub struct Fixed(pub String);

impl CodeSource for Fixed {
    fn code<'a>(&'a self, _: &'a Target, _: &'a str) -> Lookup<'a, String> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}
