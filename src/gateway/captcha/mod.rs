//! Slider CAPTCHAs: what they look like (`style`), drawing them (`render`, with `texture` and
//! `encode`) and keeping a pool of ready ones (`pool`), so that image generation does not sit
//! on the request path.

mod encode;
pub mod pool;
pub mod render;
pub mod style;
mod texture;

pub use pool::{CaptchaPool, RenderStats};
pub use render::{Captcha, RenderError};
pub use style::Style as CaptchaStyle;
