//! Slider CAPTCHAs: drawing them (`render`) and keeping a pool of ready ones (`pool`), so that
//! image generation does not sit on the request path.

pub mod pool;
pub mod render;

pub use pool::{CaptchaPool, RenderStats};
pub use render::{Captcha, RenderError};
