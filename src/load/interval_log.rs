//! HdrHistogram interval logs (format 1.3), one file per series (`step02-reset_password.hlog`
//! for the second step, `flow.hlog`), written as each one-second interval closes: the run keeps
//! no interval histograms in memory. A second's OK samples are an untagged line and its KO
//! samples a line tagged `Tag=KO`, so HdrHistogram tools, which read untagged lines unless
//! given a tag, show the latency of what succeeded, and `merge` adds both exactly.
//! Lines go to `<series>.hlog.partial`, renamed when the run ends, so a log is whole or absent.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::metrics::ClosedInterval;
use super::sink::Sink;

/// The prefix of a KO line (HdrHistogram's tag syntax).
pub const KO_TAG: &str = "Tag=KO,";

pub struct IntervalLogs {
    dir: PathBuf,
    run_id: String,
    files: BTreeMap<String, BufWriter<File>>,
}

impl IntervalLogs {
    pub fn new(dir: &Path, run_id: &str) -> Self {
        Self {
            dir: dir.to_path_buf(),
            run_id: run_id.to_owned(),
            files: BTreeMap::new(),
        }
    }

    fn partial(&self, series: &str) -> PathBuf {
        self.dir.join(format!("{series}.hlog.partial"))
    }

    pub fn append(&mut self, intervals: &[ClosedInterval]) -> std::io::Result<()> {
        for interval in intervals {
            if !self.files.contains_key(&interval.series) {
                let mut file = BufWriter::new(File::create(self.partial(&interval.series))?);
                writeln!(file, "#[Histogram log format version 1.3]")?;
                writeln!(
                    file,
                    "#[gatecheck load {} series {}; values in microseconds; OK untagged, KO tagged KO]",
                    self.run_id, interval.series
                )?;
                writeln!(
                    file,
                    "#[StartTime: 0.000 (seconds since the measured window began)]"
                )?;
                writeln!(file, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"")?;
                self.files.insert(interval.series.clone(), file);
            }
            if let Some(file) = self.files.get_mut(&interval.series) {
                // Interval_Max is in the log's max-value unit: ms (microseconds / 1000).
                writeln!(
                    file,
                    "{}{:.3},1.000,{:.3},{}",
                    if interval.ko { KO_TAG } else { "" },
                    interval.start,
                    interval.max_ms,
                    interval.encoded
                )?;
            }
        }
        Ok(())
    }

    /// Flushes every log and gives it its final name.
    pub fn finish(&mut self) -> std::io::Result<()> {
        let files = std::mem::take(&mut self.files);
        for (series, mut file) in files {
            file.flush()?;
            drop(file);
            std::fs::rename(
                self.partial(&series),
                self.dir.join(format!("{series}.hlog")),
            )?;
        }
        Ok(())
    }
}

impl Sink for IntervalLogs {
    fn wants_samples(&self) -> bool {
        false
    }

    fn interval(&mut self, closed: &[ClosedInterval]) -> std::io::Result<()> {
        self.append(closed)
    }

    fn finish(&mut self) -> std::io::Result<()> {
        IntervalLogs::finish(self)
    }
}
