//! `gatecheck bench`: the reference gateway's throughput on one core (`crate::bench`).

use std::time::Duration;

use clap::Args;

use super::args::parse_share;
use super::values;
use super::{Error, Exit};
use crate::bench::{self, BenchSettings};

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    #[arg(long, value_parser = values::positive_duration, default_value = "5s",
          help = values::POSITIVE_DURATION.help("Measured time per phase"))]
    pub duration: Duration,
    #[arg(long, value_parser = values::duration_or_zero, default_value = "1s",
          help = values::DURATION_OR_ZERO.help("Unmeasured time before each phase"))]
    pub warmup: Duration,
    #[arg(long, default_value_t = 32, value_parser = values::count_usize,
          help = values::COUNT.help("Client connections (each runs one flow at a time)"))]
    pub connections: usize,
    /// Times a CAPTCHA image is served before it is redrawn (the gateway's --captcha-reuse).
    #[arg(long, default_value_t = 16)]
    pub captcha_reuse: u32,
    /// Most CPU the image renderer may use, as a share of one core (the gateway's flag).
    #[arg(long, default_value_t = 0.05, value_parser = parse_share)]
    pub captcha_render_budget: f64,
}

pub fn execute(args: &BenchArgs) -> Result<Exit, Error> {
    let settings = BenchSettings {
        duration: args.duration,
        warmup: args.warmup,
        connections: args.connections,
        captcha_reuse: args.captcha_reuse,
        captcha_render_budget: args.captcha_render_budget,
    };
    let figures = bench::run(&settings).map_err(|e| Error::Runtime(e.into()))?;
    super::out::print(&figures);
    Ok(Exit::Passed)
}
