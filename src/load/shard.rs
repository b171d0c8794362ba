//! One shard of a load run spread over N processes (`--shard I/N`): its exact share of the
//! virtual users, iterations and in-flight cap (integer shares that sum to the whole), its
//! share of the arrival rate (every Nth flow of the whole run's schedule, so ramps and stages
//! split without rounding drift), and a disjoint slice of the user pool (every Nth user).

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::scenario::load_spec::{LoadSpec, Model};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// From 0, as Kubernetes' JOB_COMPLETION_INDEX counts.
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// The whole run as one shard.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` with 0 <= I < N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let usage = || format!("`--shard {text}`: expected I/N with 0 <= I < N, like 0/4");
        let (index, count) = text.split_once('/').ok_or_else(usage)?;
        let index: u32 = index.trim().parse().map_err(|_| usage())?;
        let count: u32 = count.trim().parse().map_err(|_| usage())?;
        if count == 0 || index >= count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }

    pub fn is_whole(self) -> bool {
        self.count == 1
    }

    /// This shard's part of `total` when it is split N ways: the parts differ by at most one
    /// and sum to `total` exactly.
    pub fn share(self, total: u64) -> u64 {
        let (i, n) = (u128::from(self.index), u128::from(self.count));
        let total = u128::from(total);
        ((total * (i + 1)) / n - (total * i) / n) as u64
    }

    /// The index in the whole run of this shard's `k`-th flow or user: shards interleave, so
    /// their flows make up the whole schedule and their users never overlap.
    pub fn global(self, k: u64) -> u64 {
        self.users().global(k)
    }

    /// Part `t` of `n` of this shard (an engine thread's): every `n`th of its flows and users
    /// from its `t`th, itself a shard of the whole run. `count * n` must fit (`threads::parts`).
    pub fn split(self, t: u32, n: u32) -> Shard {
        Shard {
            index: self.index + self.count * t,
            count: self.count * n,
        }
    }

    /// This shard's slice of a user pool: every `count`-th user from `index`.
    pub fn users(self) -> crate::runner::users::Slice {
        crate::runner::users::Slice {
            index: u64::from(self.index),
            count: u64::from(self.count),
        }
    }

    /// How many of the whole run's first `total` flows (or users) are this shard's.
    pub fn owned_below(self, total: u64) -> u64 {
        match total.checked_sub(u64::from(self.index)) {
            None | Some(0) => 0,
            Some(rest) => (rest - 1) / u64::from(self.count) + 1,
        }
    }

    /// What this shard's part (from `apply`) runs, in words.
    pub fn describe_share(self, part: &LoadSpec) -> String {
        let load = match &part.model {
            Model::Closed { vus, .. } => format!("{vus} virtual users"),
            Model::Open { .. } => format!("one flow in {} of the schedule", self.count),
        };
        match part.iterations {
            Some(n) => format!("{load}, {n} flows at most"),
            None => load,
        }
    }

    /// The run's load section with this shard's share of users, iterations and the in-flight
    /// cap. The open model's rate stays whole: the engine takes every Nth flow of it.
    pub fn apply(self, spec: &LoadSpec) -> LoadSpec {
        split_spec(spec, |total| self.share(total))
    }
}

/// `spec` with `part_of` each of its VUs, iterations and in-flight cap (at least one slot).
/// Shards take `Shard::share`; an engine thread takes `owned_below` (`threads::share`).
pub fn split_spec(spec: &LoadSpec, part_of: impl Fn(u64) -> u64) -> LoadSpec {
    let mut part = spec.clone();
    part.iterations = spec.iterations.map(&part_of);
    part.model = match &spec.model {
        Model::Closed { vus, think_time } => Model::Closed {
            vus: part_of(u64::from(*vus)) as u32,
            think_time: *think_time,
        },
        Model::Open {
            rate,
            stages,
            max_in_flight,
        } => Model::Open {
            rate: *rate,
            stages: stages.clone(),
            max_in_flight: part_of(u64::from(*max_in_flight)).max(1) as u32,
        },
    };
    part
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// How late a shard may be for the agreed start before it refuses to run.
const LATE_START: Duration = Duration::from_secs(1);
/// How often a start file or URL is looked at.
const POLL: Duration = Duration::from_millis(50);

/// A client for the start URL's origin, and the URL's path.
fn start_client(url: &str) -> Result<(crate::transport::Client, String), String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| format!("start URL `{url}` is not a URL: {e}"))?;
    let origin = match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
        _ => {
            return Err(format!(
                "start URL `{url}` needs http:// or https:// and a host"
            ))
        }
    };
    let path = uri
        .path_and_query()
        .map_or("/".to_owned(), |p| p.as_str().to_owned());
    let options = crate::transport::ClientOptions {
        timeout: Duration::from_secs(2),
        max_body: 1024,
        ..Default::default()
    };
    Ok((crate::transport::Client::new(&origin, options)?, path))
}

/// The start URL's body once it answers 200; `None` while it does not (or cannot be reached:
/// the coordinator may not be up yet).
async fn poll_url(client: &crate::transport::Client, path: &str) -> Option<String> {
    let answer = client
        .send(&hyper::Method::GET, path, &[], None)
        .await
        .ok()?;
    (answer.status == 200).then(|| String::from_utf8_lossy(&answer.body).into_owned())
}

/// When every shard starts: a wall-clock time all of them are given (`--start-at`), or one
/// read from a file that appears (`--start-file`) or a URL that answers 200 (`--start-url`)
/// when the run should begin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAt {
    Time(SystemTime),
    File(std::path::PathBuf),
    Url(String),
}

/// The start a start file announces: `None` while it is missing or empty (not written yet),
/// an error when it is too large, not UTF-8 or not a time.
fn start_file(path: &std::path::Path) -> Option<Result<SystemTime, String>> {
    use crate::input::{read, Kind, Problem};
    match read(path, Kind::StartFile) {
        Ok(text) if text.trim().is_empty() => None,
        Ok(text) => {
            Some(parse_time(&text).map_err(|e| format!("start file {}: {e}", path.display())))
        }
        Err(e) if matches!(e.problem, Problem::Io(_)) => None,
        Err(e) => Some(Err(e.to_string())),
    }
}

/// Parses an RFC 3339 time (`2026-11-27T14:00:00Z`, fractions allowed).
pub fn parse_time(text: &str) -> Result<SystemTime, String> {
    humantime::parse_rfc3339_weak(text.trim())
        .map_err(|e| format!("`{text}` is not a time like 2026-11-27T14:00:00Z: {e}"))
}

pub fn format_time(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

impl StartAt {
    /// Waits for the start: returns the agreed start time once it has come, `None` if
    /// interrupted first. A start more than a day away or already passed, or a start file that
    /// does not hold a time, is an error rather than a hang or a shard out of step.
    pub async fn wait(
        &self,
        interrupted: &mut (impl std::future::Future<Output = ()> + Unpin),
    ) -> Result<Option<SystemTime>, String> {
        let client = match self {
            StartAt::Url(url) => Some(start_client(url)?),
            _ => None,
        };
        let time = loop {
            let announced = match (self, &client) {
                (StartAt::Time(time), _) => break *time,
                (StartAt::File(path), _) => start_file(path),
                (StartAt::Url(url), Some((client, path))) => poll_url(client, path)
                    .await
                    .map(|text| parse_time(&text).map_err(|e| format!("start URL {url}: {e}"))),
                (StartAt::Url(_), None) => None,
            };
            if let Some(time) = announced {
                break time?;
            }
            tokio::select! {
                _ = &mut *interrupted => return Ok(None),
                _ = tokio::time::sleep(POLL) => {}
            }
        };
        let now = SystemTime::now();
        // A start long gone would leave this shard out of step with the others.
        if let Ok(late) = now.duration_since(time) {
            if late > LATE_START {
                return Err(format!(
                    "the agreed start {} passed {:.1} s ago, so this shard would not line up with the others; give a later start",
                    format_time(time),
                    late.as_secs_f64()
                ));
            }
        }
        let wait = time.duration_since(now).unwrap_or(Duration::ZERO);
        if wait > Duration::from_secs(24 * 3600) {
            return Err(format!(
                "the start time {} is more than a day away",
                format_time(time)
            ));
        }
        tokio::select! {
            _ = &mut *interrupted => Ok(None),
            _ = tokio::time::sleep(wait) => Ok(Some(time)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shard_text_is_checked() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        for bad in ["4/4", "1/0", "-1/4", "1", "a/b", "1/4/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_start_url_is_polled_until_it_answers_a_time() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/start", listener.local_addr().expect("addr"));
        let time = SystemTime::now() + Duration::from_millis(300);
        // 404 twice (not decided yet), then the time.
        tokio::spawn(async move {
            for answer in 0.. {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await;
                let reply = match answer {
                    0 | 1 => {
                        "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            .to_owned()
                    }
                    _ => {
                        let body = format_time(time);
                        format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len())
                    }
                };
                let _ = socket.write_all(reply.as_bytes()).await;
            }
        });
        let mut never = Box::pin(std::future::pending::<()>());
        let started = StartAt::Url(url).wait(&mut never).await;
        let started = started.expect("started").expect("not interrupted");
        assert!(time.duration_since(started).unwrap_or_default() < Duration::from_millis(1));
        assert!(SystemTime::now() >= started);
    }

    #[tokio::test]
    async fn a_start_long_past_is_refused() {
        let start = StartAt::Time(SystemTime::now() - Duration::from_secs(5));
        let mut never = Box::pin(std::future::pending::<()>());
        let refused = start.wait(&mut never).await.expect_err("refused");
        assert!(refused.contains("passed"), "{refused}");
    }

    #[tokio::test]
    async fn a_start_file_is_waited_for_and_its_time_kept() {
        let path = std::env::temp_dir().join(format!("gatecheck-start-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let time = SystemTime::now() + Duration::from_millis(300);
        let writer = {
            let path = path.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                std::fs::write(&path, format_time(time)).expect("start file");
            })
        };
        let mut never = Box::pin(std::future::pending::<()>());
        let started = StartAt::File(path.clone()).wait(&mut never).await;
        let _ = writer.await;
        let _ = std::fs::remove_file(&path);
        let started = started.expect("started").expect("not interrupted");
        // The file holds milliseconds; the wait ends at that time, not before.
        assert!(time.duration_since(started).unwrap_or_default() < Duration::from_millis(1));
        assert!(SystemTime::now() >= started);
    }

    #[test]
    fn a_start_file_too_large_or_not_utf8_is_an_error_not_a_wait() {
        let path = std::env::temp_dir().join(format!("gatecheck-start-bad-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        assert!(start_file(&path).is_none(), "missing: not written yet");
        std::fs::write(&path, " \n").expect("write");
        assert!(start_file(&path).is_none(), "empty: not written yet");
        std::fs::write(&path, vec![b' '; 5000]).expect("write");
        let large = start_file(&path).expect("decided").expect_err("too large");
        assert!(large.contains("over the limit of 4096 bytes"), "{large}");
        std::fs::write(&path, b"2026-12-02T00:00:00Z\xff").expect("write");
        let binary = start_file(&path).expect("decided").expect_err("not UTF-8");
        assert!(
            binary.contains(":1:21: start file is not UTF-8"),
            "{binary}"
        );
        let _ = std::fs::remove_file(&path);
    }

    proptest! {
        /// Shares differ by at most one and add up to the whole, whatever the split.
        #[test]
        fn shares_sum_to_the_whole(total in 0u64..1_000_000_000, count in 1u32..500) {
            let shares: Vec<u64> = (0..count).map(|index| Shard { index, count }.share(total)).collect();
            prop_assert_eq!(shares.iter().sum::<u64>(), total);
            let (min, max) = (shares.iter().min().copied(), shares.iter().max().copied());
            prop_assert!(max.unwrap_or(0) - min.unwrap_or(0) <= 1);
        }

        /// The shards' counts of flows due add up to the whole run's.
        #[test]
        fn flows_due_split_exactly(total in 0u64..10_000_000, count in 1u32..100) {
            let owned: u64 = (0..count).map(|index| Shard { index, count }.owned_below(total)).sum();
            prop_assert_eq!(owned, total);
        }

        /// Every index of the whole run belongs to exactly one shard.
        #[test]
        fn shards_interleave_without_overlap(count in 1u32..64, global in 0u64..1_000_000) {
            let owners: Vec<u32> = (0..count)
                .filter(|&index| {
                    let shard = Shard { index, count };
                    global >= u64::from(index) && (global - u64::from(index)) % u64::from(count) == 0
                        && shard.global((global - u64::from(index)) / u64::from(count)) == global
                })
                .collect();
            prop_assert_eq!(owners.len(), 1);
        }

        /// A shard's threads own exactly its flows: the flows due below any bound, and each
        /// thread's `k`-th flow is one of the shard's.
        #[test]
        fn a_shards_threads_own_its_flows(count in 1u32..16, threads in 1u32..16, total in 0u64..100_000, k in 0u64..1000) {
            let index = (total % u64::from(count)) as u32;
            let shard = Shard { index, count };
            let parts: Vec<Shard> = (0..threads).map(|t| shard.split(t, threads)).collect();
            let owned: u64 = parts.iter().map(|p| p.owned_below(total)).sum();
            prop_assert_eq!(owned, shard.owned_below(total));
            for part in &parts {
                let global = part.global(k);
                prop_assert_eq!((global - u64::from(index)) % u64::from(count), 0);
            }
        }
    }
}
