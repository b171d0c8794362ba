//! Four `gatecheck load --shard I/4` processes against one `gatecheck serve`, started together
//! by `--start-at`, then `gatecheck merge`: counts add up, merged percentiles are those of one
//! histogram fed every sample, the open-model rate is the requested total, and thresholds are
//! judged on the merged whole only; shards of one and two engine threads alike. Loopback, 2 s
//! of load at 120 flows/s.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, SystemTime};

use gatecheck::load::metrics::{decode, new_histogram};
use gatecheck::load::summary::LoadSummary;

use crate::support::{
    assert_exit, gatecheck, gatecheck_merge, interval_histograms, read_summary, repo_path, serve,
    temp_dir, write_file,
};

const SHARDS: u32 = 4;
const RATE: f64 = 120.0;

/// The reset flow with thresholds: `throughput >= 90` holds for the whole (120 flows/s) and for
/// no shard alone (30 flows/s); `late_share > 100%` can hold for nothing, so merge exits 1.
fn scenario(dir: &Path) -> PathBuf {
    let text =
        std::fs::read_to_string(repo_path("scenarios/load/reset_flow.yaml")).expect("scenario");
    let (steps, _) = text.split_once("load:").expect("a load section");
    let text = format!(
        "{steps}load:\n  model: open\n  rate: {RATE}\n  duration: 2s\n  warmup: 0s\n  thresholds:\n    - \"throughput >= 90\"\n    - \"late_share > 100%\"\n"
    );
    write_file(dir, "sharded.yaml", &text)
}

#[test]
fn four_shards_merge_into_the_whole_run() {
    let dir = temp_dir("shards");
    let scenario = scenario(&dir);
    let server = serve(&[
        "--captcha-pool",
        "4",
        "--generate-users",
        "100000",
        "--resend-interval",
        "0s",
    ]);
    let start = gatecheck::load::shard::format_time(SystemTime::now() + Duration::from_secs(3));
    let shards: Vec<Child> = (0..SHARDS)
        .map(|index| {
            gatecheck()
                .arg("load")
                .arg(&scenario)
                .args(["--target", &server.url, "--generated-users", "--quiet"])
                .args([
                    "--shard",
                    &format!("{index}/{SHARDS}"),
                    "--start-at",
                    &start,
                ])
                // Shards of one and of two engine threads merge alike.
                .args(["--threads", &(1 + index % 2).to_string()])
                .arg("--reports")
                .arg(dir.join("shards"))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("shard starts")
        })
        .collect();
    for shard in shards {
        let output = shard.wait_with_output().expect("shard ends");
        // A shard does not judge the thresholds: it passes whatever its own tail.
        assert_exit(&output, 0);
    }
    let merged_dir = dir.join("merged");
    let merge = gatecheck_merge(&dir.join("shards"), &merged_dir);
    assert_exit(&merge, 1);
    let stdout = String::from_utf8_lossy(&merge.stdout);

    let shard_summaries: Vec<LoadSummary> = std::fs::read_dir(dir.join("shards"))
        .expect("shard reports")
        .map(|entry| read_summary(&entry.expect("entry").path().join("summary.json")))
        .collect();
    assert_eq!(shard_summaries.len(), SHARDS as usize);
    let merged = read_summary(&merged_dir.join("summary.json"));
    // Each record says how many engine threads it ran on; the merged one ran on none.
    let mut threads: Vec<Option<u32>> = shard_summaries.iter().map(|s| s.threads).collect();
    threads.sort();
    let mut asked: Vec<Option<u32>> = (0..SHARDS).map(|i| Some(1 + i % 2)).collect();
    asked.sort();
    assert_eq!(threads, asked);
    assert_eq!(merged.threads, None);

    // Counts are sums.
    let sum = |f: fn(&LoadSummary) -> u64| shard_summaries.iter().map(f).sum::<u64>();
    assert_eq!(merged.flows.started, sum(|s| s.flows.started));
    assert_eq!(merged.flows.ok, sum(|s| s.flows.ok));
    assert_eq!(merged.requests, sum(|s| s.requests));
    assert_eq!(merged.flow.count, sum(|s| s.flow.count));
    assert_eq!(merged.flows.failed, 0, "{stdout}");

    // Exact: the merged histogram is the one every shard's every sample makes, read here from
    // the shards' own interval logs.
    for series in ["flow", "step04-check_code"] {
        let mut every_sample = new_histogram();
        for entry in std::fs::read_dir(dir.join("shards")).expect("shards") {
            let log = std::fs::read_to_string(
                entry.expect("entry").path().join(format!("{series}.hlog")),
            )
            .expect("interval log");
            // The OK lines (KO ones are tagged `Tag=KO`).
            let ok: Vec<&str> = log.lines().filter(|l| !l.starts_with("Tag=")).collect();
            for interval in interval_histograms(&ok.join("\n")) {
                for value in interval.iter_recorded() {
                    every_sample
                        .record_n(value.value_iterated_to(), value.count_at_value())
                        .expect("record");
                }
            }
        }
        let merged_series = match series {
            "flow" => &merged.flow,
            log => {
                &merged
                    .steps
                    .iter()
                    .find(|s| s.log == log)
                    .expect(log)
                    .series
            }
        };
        let ok = &merged_series.ok;
        let histogram = decode(&ok.corrected_histogram).expect("merged histogram");
        assert_eq!(histogram.len(), every_sample.len(), "{series}");
        for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(
                histogram.value_at_quantile(q),
                every_sample.value_at_quantile(q),
                "{series} q {q}"
            );
        }
        let ms = |us: u64| us as f64 / 1000.0;
        assert_eq!(ok.corrected.p99, ms(every_sample.value_at_quantile(0.99)));
    }

    // The shards' slices of the schedule make the requested total rate.
    let rate = merged.flows.started as f64 / merged.measured_s;
    assert!(
        (rate - RATE).abs() <= RATE * 0.1,
        "merged rate {rate:.1} flows/s, requested {RATE}: {stdout}"
    );
    // Each whole second's target rate is the shards' shares added: the requested rate.
    for point in merged
        .timeline
        .iter()
        .filter(|p| p.t + 1.0 <= merged.measured_s)
    {
        let target = point.target_rate.expect("target rate");
        assert!((target - RATE).abs() < 1e-6, "{point:?}");
    }
    for shard in &shard_summaries {
        assert!(shard.thresholds.is_empty(), "a shard judged its thresholds");
    }

    // Judged once, on the whole: throughput passes only there; the impossible one fails.
    let throughput = &merged.thresholds[0];
    assert!(throughput.passed, "{throughput:?}");
    assert!(shard_summaries.iter().all(|s| s.throughput < 90.0));
    assert!(!merged.thresholds[1].passed);
    let _ = std::fs::remove_dir_all(&dir);
}
