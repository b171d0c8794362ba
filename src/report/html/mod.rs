//! The HTML of conformance reports, shared by `run` and `fuzz`: `page` (the shell: CSS, print
//! layout, no script), `sequence` (an exchange drawn as a sequence diagram), `captcha` (a failing
//! CAPTCHA step's picture), `run` (the run's `report.html`); `fuzz::html` builds the fuzz
//! run's page from `page` and `sequence`.

pub mod captcha;
pub mod page;
pub mod run;
pub mod sequence;
