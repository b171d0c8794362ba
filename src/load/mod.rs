//! `gatecheck load`: the scenarios that pass conformance, run under concurrent load. `pacer`
//! says when flows are due; `engine` runs them (closed or open model) and stops them;
//! `flows` runs the flows; `sink` takes what they measure (`metrics` records HDR histograms,
//! `interval_log` streams each second to disk, `prometheus` keeps live metrics that `scrape`
//! serves, with the gauges of `live`); `summary` is the one record reports render from;
//! `report` renders; `progress` shows the live line; `compare` is the regression gate;
//! `shard` splits a run over processes and `merge` joins their records.

pub mod compare;
pub mod engine;
pub mod flows;
pub mod html;
pub mod interval_log;
pub mod live;
pub mod merge;
pub mod metrics;
pub mod pacer;
pub mod progress;
pub mod prometheus;
pub mod report;
pub mod scrape;
pub mod series;
pub mod shard;
pub mod sink;
pub mod summary;
pub mod tally;
pub mod threads;
