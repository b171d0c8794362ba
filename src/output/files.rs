//! Report files written whole or not at all: to a temporary name beside the target, flushed to
//! disk (fsync), then renamed over it, and the rename itself flushed, so a reader (or a CI
//! artifact upload) never sees half a report, even after a crash or a SIGKILL.
//!
//! The temporary name cannot be mistaken for a report: a hidden file (`.summary.md.partial-
//! <pid>-<n>`; artifact uploads skip hidden files by default), never ending in a report's own
//! extension (`merge` looks for `summary.json` and `*.hlog`). A killed writer's leftovers are
//! removed at the next write to that directory, and under a reports directory when the next
//! run starts (`remove_stale`); a live writer's are left alone.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

const MARK: &str = ".partial-";

pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    remove_stale_in(dir);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    let temporary = dir.join(format!(".{name}{MARK}{}-{number}", std::process::id()));
    let written = write_synced(&temporary, contents).and_then(|()| {
        std::fs::rename(&temporary, path)?;
        // The rename is an entry of the directory: flush it too (where a directory opens).
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .or(Ok(()))
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

fn write_synced(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Removes the leftovers of killed writers in `reports` and in each directory directly under
/// it (a run's own directory): what a run killed while writing its reports left behind.
pub fn remove_stale(reports: &Path) {
    remove_stale_in(reports);
    let Ok(entries) = std::fs::read_dir(reports) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_stale_in(&entry.path());
        }
    }
}

/// Removes the temporary files in `dir` whose writer is no longer running.
fn remove_stale_in(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(writer_of) else {
            continue;
        };
        if !running(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The process that wrote a temporary file named `.NAME.partial-PID-N`.
fn writer_of(name: &str) -> Option<i32> {
    let (_, tail) = name.strip_prefix('.')?.rsplit_once(MARK)?;
    let (pid, number) = tail.split_once('-')?;
    number.parse::<u64>().ok()?;
    pid.parse().ok()
}

fn running(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // Signal 0 checks existence only; EPERM means it exists under another user.
    // SAFETY: kill with signal 0 sends nothing and touches no memory.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("gatecheck-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// The pid of a process that has exited (and been reaped).
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let pid = child.id();
        child.wait().expect("wait");
        pid
    }

    #[test]
    fn writes_whole_files_and_leaves_no_temporary() {
        let dir = dir("whole");
        write_atomically(&dir.join("summary.md"), b"one").expect("write");
        write_atomically(&dir.join("summary.md"), b"two").expect("write");
        assert_eq!(names(&dir), ["summary.md"]);
        assert_eq!(std::fs::read(dir.join("summary.md")).expect("read"), b"two");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_killed_writers_leftovers_go_at_the_next_write_a_live_ones_stay() {
        let dir = dir("stale");
        let dead = format!(".summary.json.partial-{}-0", dead_pid());
        let mut live_writer = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep");
        let live = format!(".report.html.partial-{}-3", live_writer.id());
        for name in [&dead, &live, &"notes.partial-1-2".to_owned()] {
            std::fs::write(dir.join(name), b"half").expect("write");
        }
        write_atomically(&dir.join("junit.xml"), b"<testsuites/>").expect("write");
        assert_eq!(
            names(&dir),
            [live.as_str(), "junit.xml", "notes.partial-1-2"]
        );
        live_writer.kill().ok();
        live_writer.wait().ok();
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_new_run_sweeps_the_run_directories_under_reports() {
        let reports = dir("sweep");
        let killed_run = reports.join("20261202-000000-abcd");
        std::fs::create_dir_all(&killed_run).expect("dir");
        let dead = format!(".results.json.partial-{}-7", dead_pid());
        std::fs::write(killed_run.join(&dead), b"half").expect("write");
        std::fs::write(killed_run.join("junit.xml"), b"<testsuites/>").expect("write");
        remove_stale(&reports);
        assert_eq!(names(&killed_run), ["junit.xml"]);
        std::fs::remove_dir_all(&reports).ok();
    }

    #[test]
    fn only_its_own_temporary_names_are_read_as_such() {
        assert_eq!(writer_of(".summary.md.partial-1234-5"), Some(1234));
        assert_eq!(writer_of("summary.md.partial-1234-5"), None);
        assert_eq!(writer_of(".summary.md.partial-1234"), None);
        assert_eq!(writer_of(".summary.md"), None);
    }
}
