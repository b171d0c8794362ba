//! Report files written whole or not at all: to a temporary name beside the target, then
//! renamed over it, so a reader (or a CI artifact upload) never sees half a report.

use std::path::Path;

pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, contents)?;
    std::fs::rename(&temporary, path)
}
