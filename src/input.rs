//! The one way an input file is read (scenarios, profiles, accounts, `serve --users`, the load
//! records `merge`, `compare` and `report` read): at most a size bound for its kind, read
//! through that bound (a FIFO or `/dev/zero` cannot make it allocate more), and UTF-8 or an
//! error naming the first bad byte by offset, line and column.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;

/// What a file is, which decides how large it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A scenario: a few KiB by hand, far more than any a fuzz repro writes.
    Scenario,
    /// A profile (`--profile`): a few KiB, its `accounts:` included.
    Profile,
    /// `--accounts` (CSV or YAML): a million accounts of about 60 bytes.
    Accounts,
    /// `serve --users` (JSON).
    Users,
    /// A load run's `summary.json` (its histograms and timeline).
    Summary,
    /// A `<series>.hlog` interval log: one line a second.
    IntervalLog,
    /// `load --start-file`: one timestamp.
    StartFile,
}

impl Kind {
    /// The largest file of this kind gatecheck reads.
    pub const fn limit(self) -> u64 {
        match self {
            Kind::Scenario | Kind::Profile => MIB,
            Kind::Accounts | Kind::Users | Kind::Summary => 64 * MIB,
            Kind::IntervalLog => 256 * MIB,
            Kind::StartFile => 4 * KIB,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Kind::Scenario => "scenario",
            Kind::Profile => "profile",
            Kind::Accounts => "accounts file",
            Kind::Users => "users file",
            Kind::Summary => "load summary",
            Kind::IntervalLog => "interval log",
            Kind::StartFile => "start file",
        }
    }
}

/// Why an input file was not read.
#[derive(Debug)]
pub struct InputError {
    pub path: PathBuf,
    pub kind: Kind,
    pub problem: Problem,
}

#[derive(Debug)]
pub enum Problem {
    Io(std::io::Error),
    /// More than the kind's limit (`size` is at least limit + 1 when the length was unknown).
    TooLarge {
        size: u64,
    },
    /// The first byte that is not UTF-8, where it is (line and column 1-based, the column in
    /// characters as the YAML diagnostics count them).
    NotUtf8 {
        byte: u8,
        offset: usize,
        line: usize,
        column: usize,
    },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (path, kind) = (self.path.display(), self.kind.name());
        match &self.problem {
            Problem::Io(e) => write!(f, "cannot read {kind} {path}: {e}"),
            Problem::TooLarge { size } => write!(
                f,
                "{kind} {path} has {size} bytes or more, over the limit of {} bytes for a {kind}",
                self.kind.limit()
            ),
            Problem::NotUtf8 {
                byte,
                offset,
                line,
                column,
            } => write!(
                f,
                "{path}:{line}:{column}: {kind} is not UTF-8 text: byte 0x{byte:02X} at offset {offset} (line {line}, column {column})"
            ),
        }
    }
}

impl std::error::Error for InputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            Problem::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Reads `path` as UTF-8 text of at most `kind`'s limit.
pub fn read(path: &Path, kind: Kind) -> Result<String, InputError> {
    let error = |problem| InputError {
        path: path.to_path_buf(),
        kind,
        problem,
    };
    let bytes = read_bounded(path, kind.limit()).map_err(error)?;
    text(bytes).map_err(error)
}

/// Text compiled into the binary (a built-in scenario) read as a file of `kind` at `path`
/// would be: the same size bound and the same UTF-8 check, so a built-in file goes through the
/// decoder path of a file on disk and one grown past its kind's bound is refused the same way.
pub fn from_memory(path: &Path, bytes: &[u8], kind: Kind) -> Result<String, InputError> {
    let error = |problem| InputError {
        path: path.to_path_buf(),
        kind,
        problem,
    };
    if bytes.len() as u64 > kind.limit() {
        return Err(error(Problem::TooLarge {
            size: bytes.len() as u64,
        }));
    }
    text(bytes.to_vec()).map_err(error)
}

/// At most `limit` bytes of the file; more is `TooLarge`, found from the length when the file
/// has one and by reading one byte past the limit when it has not.
fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, Problem> {
    let file = std::fs::File::open(path).map_err(Problem::Io)?;
    let length = file.metadata().map_err(Problem::Io)?.len();
    if length > limit {
        return Err(Problem::TooLarge { size: length });
    }
    let mut bytes = Vec::with_capacity(length as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(Problem::Io)?;
    if bytes.len() as u64 > limit {
        return Err(Problem::TooLarge {
            size: bytes.len() as u64,
        });
    }
    Ok(bytes)
}

/// The bytes as text, or where the first invalid byte is.
pub fn text(bytes: Vec<u8>) -> Result<String, Problem> {
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        // The prefix before `offset` is valid UTF-8 by definition.
        let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
        let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
        Problem::NotUtf8 {
            byte: bytes[offset],
            offset,
            line: valid.matches('\n').count() + 1,
            column: valid[line_start..].chars().count() + 1,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(bytes: &[u8]) -> (u8, usize, usize, usize) {
        match text(bytes.to_vec()) {
            Err(Problem::NotUtf8 {
                byte,
                offset,
                line,
                column,
            }) => (byte, offset, line, column),
            other => panic!("expected NotUtf8, got {other:?}"),
        }
    }

    #[test]
    fn the_first_bad_byte_is_placed_by_offset_line_and_column() {
        assert_eq!(place(b"\xff"), (0xFF, 0, 1, 1));
        assert_eq!(place(b"name: x\nsteps: \xc3(\n"), (0xC3, 15, 2, 8));
        // Columns count characters, as the YAML diagnostics do: `é` is one.
        let mut accented = "a: éé\n\tb".as_bytes().to_vec();
        accented.push(0x80);
        assert_eq!(place(&accented), (0x80, 10, 2, 3));
        assert_eq!(text(b"ok\n".to_vec()).ok().as_deref(), Some("ok\n"));
    }

    #[test]
    fn text_in_memory_has_the_bound_and_the_check_of_a_file() {
        let path = Path::new("scenarios/x.yaml");
        let big = vec![b'#'; (Kind::StartFile.limit() + 1) as usize];
        let error = from_memory(path, &big, Kind::StartFile).expect_err("over the limit");
        assert!(
            matches!(error.problem, Problem::TooLarge { size: 4097 }),
            "{error}"
        );
        let error = from_memory(path, b"a: \xff", Kind::Scenario).expect_err("not UTF-8");
        assert!(
            error.to_string().starts_with("scenarios/x.yaml:1:4:"),
            "{error}"
        );
        assert_eq!(
            from_memory(path, b"name: x", Kind::Scenario)
                .ok()
                .as_deref(),
            Some("name: x")
        );
    }

    #[test]
    fn a_file_over_its_limit_is_refused_even_without_a_length() {
        let dir = std::env::temp_dir().join(format!("gatecheck-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("big.yaml");
        std::fs::write(&path, vec![b'#'; (Kind::StartFile.limit() + 1) as usize]).expect("write");
        let error = read(&path, Kind::StartFile).expect_err("over the limit");
        assert!(
            matches!(error.problem, Problem::TooLarge { size: 4097 }),
            "{error}"
        );
        assert!(error.to_string().contains("limit of 4096 bytes"), "{error}");
        // /dev/zero has no length: the bound stops the read.
        let zero = read_bounded(Path::new("/dev/zero"), 1024).expect_err("endless");
        assert!(matches!(zero, Problem::TooLarge { size: 1025 }), "{zero:?}");
        std::fs::write(&path, b"2026-01-01T00:00:00Z").expect("write");
        assert!(read(&path, Kind::StartFile).is_ok());
        std::fs::remove_dir_all(&dir).ok();
    }
}
