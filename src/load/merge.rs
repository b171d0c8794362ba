//! `gatecheck merge`: the shards of one load run made into one record. Histograms are added
//! (exact: the merged p99 is the p99 of every sample, not an average of the shards' p99s),
//! counts summed, the one-second interval logs added interval by interval (the shards started
//! together, so their intervals line up) with the shards' timeline gauges and counts by kind
//! summed second by second, and the thresholds judged once, on the whole.
//! Shards of different scenarios or settings, and duplicate or missing indexes, are refused.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;

use super::interval_log::{IntervalLogs, KO_TAG};
use super::metrics::{decode, ClosedInterval, Latency, Metrics, Series};
use super::summary::{
    summarise_with, LatencySummary, LoadSummary, Merged, RunFacts, RunSettings, SeriesSummary,
    StepSummary, TimelinePoint,
};
use super::tally::{IntervalGauges, Tally};
use crate::input::{self, Kind};
use crate::scenario::diagnostic::Location;
use crate::scenario::load_spec::{StepKey, Threshold};
use crate::scenario::threshold::parse_threshold;

/// One shard's record and where it was found.
#[derive(Debug, Clone)]
pub struct ShardRun {
    pub dir: PathBuf,
    pub summary: LoadSummary,
}

/// The merged record and the merged interval histograms to log beside it.
pub struct MergedRun {
    pub summary: LoadSummary,
    intervals: Vec<ClosedInterval>,
}

/// Every `summary.json` under `dirs` (each a run directory or one holding them, up to three
/// levels down), skipping records that are themselves merged.
pub fn find(dirs: &[PathBuf]) -> Result<Vec<ShardRun>, String> {
    let mut found = Vec::new();
    for dir in dirs {
        if !dir.is_dir() {
            return Err(format!("{} is not a directory", dir.display()));
        }
        collect(dir, 3, &mut found)?;
    }
    let mut runs = Vec::new();
    for path in found {
        let text = input::read(&path, Kind::Summary).map_err(|e| e.to_string())?;
        let summary = super::summary::parse(&text, &path.display().to_string())?;
        if summary.merged.is_some() {
            continue;
        }
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        runs.push(ShardRun { dir, summary });
    }
    if runs.is_empty() {
        return Err("no shard summary.json found under the given directories".into());
    }
    Ok(runs)
}

fn collect(dir: &Path, depth: u32, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let summary = dir.join("summary.json");
    if summary.is_file() {
        found.push(summary);
        return Ok(());
    }
    if depth == 0 {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir())
        .collect();
    entries.sort();
    for entry in entries {
        collect(&entry, depth - 1, found)?;
    }
    Ok(())
}

/// Checks that `runs` are the shards of one run; returns the shard count and the indexes
/// missing (an error unless `allow_partial`).
pub fn check(runs: &[ShardRun], allow_partial: bool) -> Result<(u32, Vec<u32>), String> {
    let settings = settings_of(runs)?;
    let Some(&(first, base)) = settings.first() else {
        return Err("no shard records to merge".into());
    };
    for (run, own) in &settings[1..] {
        same_settings(first, base, run, own)?;
    }
    let count = first.summary.shard.map_or(1, |s| s.count);
    let found = shard_indexes(runs, count)?;
    let missing: Vec<u32> = (0..count).filter(|i| !found.contains(i)).collect();
    if !missing.is_empty() && !allow_partial {
        let list: Vec<String> = missing.iter().map(|i| format!("{i}/{count}")).collect();
        let (noun, verb) = match missing.len() {
            1 => ("shard", "is"),
            _ => ("shards", "are"),
        };
        return Err(format!(
            "{noun} {} {verb} missing (found {} of {count}); --allow-partial merges what is there and marks the record partial",
            list.join(", "),
            found.len()
        ));
    }
    Ok((count, missing))
}

fn place(run: &ShardRun) -> String {
    run.dir.display().to_string()
}

/// Each run with its settings; an error for a run that is not a shard or has none.
fn settings_of(runs: &[ShardRun]) -> Result<Vec<(&ShardRun, &RunSettings)>, String> {
    runs.iter()
        .map(|run| {
            if run.summary.shard.is_none() {
                return Err(format!(
                    "{} is not a shard (it ran without --shard I/N); only shards of one run merge",
                    place(run)
                ));
            }
            match &run.summary.settings {
                Some(own) => Ok((run, own)),
                None => Err(format!(
                    "{} has no run settings (written by an older gatecheck); run the shards again",
                    place(run)
                )),
            }
        })
        .collect()
}

/// Two shards ran the same scenario, model, warm-up, thresholds and start.
fn same_settings(
    first: &ShardRun,
    base: &RunSettings,
    run: &ShardRun,
    own: &RunSettings,
) -> Result<(), String> {
    let differs = |what: &str, a: String, b: String| {
        Err(format!(
            "{} and {} are not shards of one run: {what} differs ({a} against {b})",
            place(first),
            place(run)
        ))
    };
    if own.scenario_sha256 != base.scenario_sha256 || run.summary.scenario != first.summary.scenario
    {
        return differs(
            "the scenario",
            format!(
                "`{}` sha256 {:.12}",
                first.summary.scenario, base.scenario_sha256
            ),
            format!(
                "`{}` sha256 {:.12}",
                run.summary.scenario, own.scenario_sha256
            ),
        );
    }
    if own.model != base.model {
        return differs("the load model", base.model.clone(), own.model.clone());
    }
    if own.warmup_s != base.warmup_s || own.late_after_ms != base.late_after_ms {
        return differs(
            "the warm-up or late-after setting",
            format!("{} s, {} ms", base.warmup_s, base.late_after_ms),
            format!("{} s, {} ms", own.warmup_s, own.late_after_ms),
        );
    }
    if own.thresholds != base.thresholds {
        return differs(
            "the thresholds",
            base.thresholds.join("; "),
            own.thresholds.join("; "),
        );
    }
    if own.start_at != base.start_at {
        let show = |s: &Option<String>| s.clone().unwrap_or_else(|| "no agreed start".into());
        return differs("the start time", show(&base.start_at), show(&own.start_at));
    }
    Ok(())
}

/// The shard indexes found, each once and each one of `count`.
fn shard_indexes(runs: &[ShardRun], count: u32) -> Result<BTreeSet<u32>, String> {
    let mut seen: BTreeMap<u32, &ShardRun> = BTreeMap::new();
    for run in runs {
        let Some(shard) = run.summary.shard else {
            continue;
        };
        if shard.count != count {
            return Err(format!(
                "{} is shard {shard} but {} is one of {count}: not shards of one run",
                place(run),
                place(&runs[0])
            ));
        }
        if let Some(other) = seen.insert(shard.index, run) {
            return Err(format!(
                "shard {shard} appears twice: {} and {}",
                place(other),
                place(run)
            ));
        }
    }
    Ok(seen.into_keys().collect())
}

/// Merges checked shards into one record, judged on `settings`' thresholds.
pub fn merge(
    runs: &[ShardRun],
    count: u32,
    missing: Vec<u32>,
    run_id: String,
) -> Result<MergedRun, String> {
    let first = &runs.first().ok_or("no shard records to merge")?.summary;
    let settings = first
        .settings
        .clone()
        .ok_or("the shards have no run settings; run `check` first")?;
    let (mut metrics, measured_s) = add_runs(runs)?;
    let mut intervals = Vec::new();
    let mut logs = merge_interval_logs(runs)?;
    let points = shard_points(runs);
    let starts: BTreeSet<u64> = logs.keys().chain(points.keys()).copied().collect();
    for start_ms in starts {
        let histograms = logs.remove(&start_ms).unwrap_or_default();
        let seconds = points.get(&start_ms).map_or(&[][..], Vec::as_slice);
        let gauges = add_points(&mut metrics.tally, seconds);
        let start = start_ms as f64 / 1000.0;
        intervals.extend(metrics.close_interval_with(start, histograms, gauges));
    }
    let thresholds = thresholds(&settings)?;
    let targets: BTreeSet<&str> = runs.iter().map(|r| r.summary.target.as_str()).collect();
    let mut indexes: Vec<u32> = runs
        .iter()
        .filter_map(|r| r.summary.shard.map(|s| s.index))
        .collect();
    indexes.sort_unstable();
    let facts = RunFacts {
        run_id,
        scenario: &first.scenario,
        file: &first.file,
        target: targets.into_iter().collect::<Vec<_>>().join(", "),
        relaxed: first.relaxed.clone(),
        started_at: runs
            .iter()
            .map(|r| r.summary.started_at.clone())
            .min()
            .unwrap_or_default(),
        interrupted: runs.iter().any(|r| r.summary.interrupted),
        settings: Some(settings.clone()),
        shard: None,
        merged: Some(Merged {
            of: count,
            shards: indexes,
            missing,
        }),
    };
    let mut summary = summarise_with(
        facts,
        settings.model.clone(),
        settings.warmup_s,
        &thresholds,
        &metrics,
        measured_s,
    );
    summary.secrets_revealed = runs.iter().any(|s| s.summary.secrets_revealed);
    // The whole run's bound: the shards' shares of flows add up; they share the duration.
    summary.planned = super::summary::Planned {
        duration_s: first.planned.duration_s,
        iterations: runs
            .iter()
            .map(|r| r.summary.planned.iterations)
            .sum::<Option<u64>>(),
    };
    Ok(MergedRun { summary, intervals })
}

/// Every shard's histograms and counts added up, step by step in flow order, and the measured
/// window's length.
fn add_runs(runs: &[ShardRun]) -> Result<(Metrics, f64), String> {
    let keys = |summary: &LoadSummary| -> Vec<StepKey> {
        let key = |s: &StepSummary| StepKey {
            name: s.name.clone(),
            call: s.call.clone(),
        };
        summary.steps.iter().map(key).collect()
    };
    let first = runs.first().ok_or("no shard records to merge")?;
    let mut metrics = Metrics::for_steps(keys(&first.summary));
    let mut measured_s: f64 = 0.0;
    for run in runs {
        let summary = &run.summary;
        let place = run.dir.display();
        if keys(summary) != metrics.step_keys() {
            return Err(format!(
                "{place} and {} have other steps: not shards of one run",
                first.dir.display()
            ));
        }
        add_series(&mut metrics.flow, &summary.flow).map_err(|e| format!("{place}: flow: {e}"))?;
        for (into, step) in metrics.steps.iter_mut().zip(&summary.steps) {
            add_series(&mut into.series, &step.series)
                .map_err(|e| format!("{place}: step {}: {e}", step.name))?;
        }
        metrics.flows_started += summary.flows.started;
        metrics.flows_ok += summary.flows.ok;
        metrics.flows_failed += summary.flows.failed;
        metrics.flows_late += summary.flows.late;
        metrics.flows_dropped += summary.flows.dropped;
        metrics.requests += summary.requests;
        // The shards ran side by side over the same window: rates are totals over its length.
        measured_s = measured_s.max(summary.measured_s);
    }
    Ok((metrics, measured_s))
}

/// The thresholds the shards carry, parsed again to be judged on the whole.
fn thresholds(settings: &RunSettings) -> Result<Vec<Threshold>, String> {
    settings
        .thresholds
        .iter()
        .map(|text| {
            let (metric, op, value) = parse_threshold(text)
                .map_err(|e| format!("threshold `{text}` in the shards' records: {e}"))?;
            Ok(Threshold {
                text: text.clone(),
                at: Location::new(0, 0),
                metric,
                op,
                value,
            })
        })
        .collect()
}

fn add_latency(into: &mut Latency, from: &LatencySummary) -> Result<(), String> {
    for (histogram, encoded) in [
        (&mut into.corrected, &from.corrected_histogram),
        (&mut into.raw, &from.raw_histogram),
    ] {
        let shard = decode(encoded)?;
        histogram
            .add(&shard)
            .map_err(|e| format!("histogram out of range: {e:?}"))?;
    }
    Ok(())
}

fn add_series(into: &mut Series, from: &SeriesSummary) -> Result<(), String> {
    add_latency(&mut into.ok, &from.ok).map_err(|e| format!("ok: {e}"))?;
    add_latency(&mut into.ko, &from.ko).map_err(|e| format!("ko: {e}"))?;
    for (status, n) in &from.statuses {
        *into.statuses.entry(status.clone()).or_default() += n;
    }
    for (kind, n) in &from.failures {
        into.count_failures(kind, *n);
    }
    Ok(())
}

/// Every shard's timeline points by start in ms: what the interval logs do not hold (the
/// gauges, the counts by kind and class) is added from them, as exact as the logs' counts.
fn shard_points(runs: &[ShardRun]) -> BTreeMap<u64, Vec<&TimelinePoint>> {
    let mut points: BTreeMap<u64, Vec<&TimelinePoint>> = BTreeMap::new();
    for run in runs {
        for point in &run.summary.timeline {
            if (0.0..1e9).contains(&point.t) {
                let start = (point.t * 1000.0).round() as u64;
                points.entry(start).or_default().push(point);
            }
        }
    }
    points
}

/// The shards' points of one second added into `tally`'s open interval; their gauges summed.
fn add_points(tally: &mut Tally, points: &[&TimelinePoint]) -> IntervalGauges {
    let mut gauges = IntervalGauges::default();
    for point in points {
        gauges.add(&point.gauges());
        for (kind, n) in &point.failures {
            tally.add_failures(kind, *n);
        }
        for (class, n) in &point.status_classes {
            tally.add_class(class, *n);
        }
    }
    gauges
}

/// An interval's histograms by series and KO.
type IntervalHistograms = BTreeMap<(String, bool), Histogram<u64>>;

/// Every shard's `<series>.hlog`, added interval by interval (keyed by start in ms), OK and KO
/// lines apart.
fn merge_interval_logs(runs: &[ShardRun]) -> Result<BTreeMap<u64, IntervalHistograms>, String> {
    let mut merged: BTreeMap<u64, IntervalHistograms> = BTreeMap::new();
    for run in runs {
        let entries = std::fs::read_dir(&run.dir)
            .map_err(|e| format!("cannot read {}: {e}", run.dir.display()))?;
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let Some(series) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".hlog"))
            else {
                continue;
            };
            let text = input::read(&path, Kind::IntervalLog).map_err(|e| e.to_string())?;
            for (number, line) in text.lines().enumerate() {
                let at = || format!("{}:{}", path.display(), number + 1);
                let (ko, line) = match line.strip_prefix(KO_TAG) {
                    Some(rest) => (true, rest),
                    None => (false, line),
                };
                let Some((start, encoded)) =
                    interval_line(line).map_err(|e| format!("{}: {e}", at()))?
                else {
                    continue;
                };
                let histogram = decode(encoded).map_err(|e| format!("{}: {e}", at()))?;
                let slot = merged.entry(start).or_default();
                match slot.get_mut(&(series.to_owned(), ko)) {
                    Some(sum) => sum
                        .add(&histogram)
                        .map_err(|e| format!("{}: histogram out of range: {e:?}", at()))?,
                    None => {
                        slot.insert((series.to_owned(), ko), histogram);
                    }
                }
            }
        }
    }
    Ok(merged)
}

/// An interval log line's start (ms) and histogram; `None` for comments and the header.
fn interval_line(line: &str) -> Result<Option<(u64, &str)>, String> {
    if line.starts_with('#') || line.starts_with('"') || line.trim().is_empty() {
        return Ok(None);
    }
    let fields: Vec<&str> = line.split(',').collect();
    let [start, _length, _max, encoded] = fields[..] else {
        return Err("expected start,length,max,histogram".into());
    };
    let start: f64 = start
        .parse()
        .map_err(|_| format!("interval start `{start}` is not a number"))?;
    if !(0.0..1e9).contains(&start) {
        return Err(format!("interval start {start} is out of range"));
    }
    Ok(Some(((start * 1000.0).round() as u64, encoded)))
}

impl MergedRun {
    /// Writes every report of the merged record, and merged interval logs, into `out`.
    pub fn write(&self, out: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(out)?;
        let mut logs = IntervalLogs::new(out, &self.summary.run_id);
        logs.append(&self.intervals)?;
        logs.finish()?;
        super::report::render_into(out, &self.summary)
    }
}
