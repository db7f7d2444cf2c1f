//! Engine errors. Messages name files, lines, rows and columns, never cell values.

use std::path::PathBuf;

/// Where a value sits in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// CSV: 1-based physical line where the record starts.
    Line(u64),
    /// Parquet: 1-based data row.
    Row(u64),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(l) => write!(f, "line {l}"),
            Location::Row(r) => write!(f, "row {r}"),
        }
    }
}

/// Errors of a job, classed by whose fault they are (each class has its own exit code).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Job or rule file invalid.
    #[error("{0}")]
    Config(String),
    /// Input unreadable, wrongly encoded or structurally broken.
    #[error("{file}: {message}")]
    Input {
        /// Input file.
        file: PathBuf,
        /// What is wrong (no values).
        message: String,
    },
    /// A value does not parse as its column's rule requires.
    #[error("{file}: {location}, column `{column}`: {reason}")]
    Malformed {
        /// Input file.
        file: PathBuf,
        /// Where.
        location: Location,
        /// Column name.
        column: String,
        /// Why (never the value).
        reason: String,
    },
    /// Too many rows were rejected.
    #[error(
        "{file}: {rejected} of {rows} rows have malformed values, more than max_rejected {max} allows; first: {first}"
    )]
    TooManyRejected {
        /// Input file.
        file: PathBuf,
        /// Rejected rows.
        rejected: u64,
        /// Rows read.
        rows: u64,
        /// Allowed share.
        max: f64,
        /// First problem.
        first: String,
    },
    /// A privacy requirement cannot be met.
    #[error("{0}")]
    Privacy(String),
    /// Key file missing or invalid.
    #[error("{0}")]
    Key(String),
    /// Writing outputs failed.
    #[error("cannot write {path}")]
    Output {
        /// Target.
        path: PathBuf,
        /// Why (an I/O, Arrow or Parquet error, or a message).
        #[source]
        source: Cause,
    },
    /// A file could not be opened or read; whose fault that is depends on the file (the input,
    /// the rules, a key).
    #[error("{path}: {action}")]
    Io {
        /// Whose fault: [`ExitCode::Input`], [`ExitCode::Config`] or [`ExitCode::Key`].
        class: ExitCode,
        /// The file.
        path: PathBuf,
        /// What was being done, e.g. `cannot open`.
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A bug in tokumei.
    #[error("internal error (a bug in tokumei): {0}")]
    Internal(String),
}

impl EngineError {
    /// Short class name used in audit entries.
    pub fn class(&self) -> &'static str {
        match self {
            EngineError::Config(_) => "config",
            EngineError::Input { .. } | EngineError::Malformed { .. } | EngineError::TooManyRejected { .. } => "input",
            EngineError::Privacy(_) => "privacy",
            EngineError::Key(_) => "key",
            EngineError::Output { .. } => "output",
            EngineError::Io { class, .. } => class.class(),
            EngineError::Internal(_) => "internal",
        }
    }

    /// Process exit code for this class.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            EngineError::Config(_) => ExitCode::Config,
            EngineError::Input { .. } | EngineError::Malformed { .. } | EngineError::TooManyRejected { .. } => {
                ExitCode::Input
            }
            EngineError::Privacy(_) => ExitCode::Privacy,
            EngineError::Key(_) => ExitCode::Key,
            EngineError::Output { .. } => ExitCode::Output,
            EngineError::Io { class, .. } => *class,
            EngineError::Internal(_) => ExitCode::Internal,
        }
    }
}

/// The process exit codes: one per whose-fault class. `--help`, the README and docs/cli.md list
/// them from [`ExitCode::ALL`] (a test holds the documents to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Success.
    Success = 0,
    /// A bug in tokumei.
    Internal = 1,
    /// Bad command-line arguments.
    Usage = 2,
    /// Job or rule file invalid, or the job's paths overlap its release folders.
    Config = 3,
    /// Input data error.
    Input = 4,
    /// Privacy requirement not met.
    Privacy = 5,
    /// Key file missing or invalid.
    Key = 6,
    /// Audit log broken, emptied, rewritten or unwritable.
    Audit = 7,
    /// Output could not be written.
    Output = 8,
    /// The registry refused the change, or is missing, unreadable or fails its checks.
    Registry = 9,
    /// `trace`: the file could not be traced to a single release.
    NotTraced = 10,
    /// `verify-release`: the release folder is not what its signed manifest says.
    Unverified = 11,
}

impl ExitCode {
    /// Every code, in order.
    pub const ALL: [ExitCode; 12] = [
        ExitCode::Success,
        ExitCode::Internal,
        ExitCode::Usage,
        ExitCode::Config,
        ExitCode::Input,
        ExitCode::Privacy,
        ExitCode::Key,
        ExitCode::Audit,
        ExitCode::Output,
        ExitCode::Registry,
        ExitCode::NotTraced,
        ExitCode::Unverified,
    ];

    /// The number the process exits with.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// What it means, in a few words (the documents use these words).
    pub fn meaning(self) -> &'static str {
        match self {
            ExitCode::Success => "success",
            ExitCode::Internal => "internal error",
            ExitCode::Usage => "usage error",
            ExitCode::Config => "job or rule file invalid",
            ExitCode::Input => "input data error",
            ExitCode::Privacy => "privacy requirement not met",
            ExitCode::Key => "key file missing or invalid",
            ExitCode::Audit => "audit log broken",
            ExitCode::Output => "output could not be written",
            ExitCode::Registry => "registry refused or unusable",
            ExitCode::NotTraced => "not traced",
            ExitCode::Unverified => "release not verified",
        }
    }

    /// More detail for `--help`.
    pub fn detail(self) -> &'static str {
        match self {
            ExitCode::Success => "",
            ExitCode::Internal => "(a bug in tokumei)",
            ExitCode::Usage => "(bad command-line arguments)",
            ExitCode::Config => {
                "(every problem listed with file:line:col), or its input, rules, key or audit log lie inside the folder its releases go to"
            }
            ExitCode::Input => {
                ": unreadable file, wrong encoding, malformed value, too many rejected rows, no data rows, a query over its [query_limits]"
            }
            ExitCode::Privacy => {
                "(k / l / t / suppression limit, processing standard, residual identifier); nothing written"
            }
            ExitCode::Key => "",
            ExitCode::Audit => {
                ", incomplete, emptied or rewritten (an anchor it no longer holds), or its entry could not be written: nothing is published without its entry"
            }
            ExitCode::Output => "",
            ExitCode::Registry => {
                "(a change the registry's rules forbid, a missing or unreadable registry, or rows that fail `registry verify`); nothing changed"
            }
            ExitCode::NotTraced => {
                ": `trace` found no single release the file comes from (none, or several it cannot tell apart)"
            }
            ExitCode::Unverified => {
                ": `verify-release` found a file changed, added, removed or renamed, or a manifest missing, garbled, unsigned or signed by another key, or was given a public key inside the folder"
            }
        }
    }

    /// The `Exit codes:` section of `--help`.
    pub fn help() -> String {
        let mut s = String::from("Exit codes:\n");
        for c in ExitCode::ALL {
            let detail = c.detail();
            let sep = if detail.is_empty() || detail.starts_with([',', ':']) { "" } else { " " };
            s.push_str(&format!("  {}  {}{sep}{detail}\n", c.code(), c.meaning()));
        }
        s
    }

    /// The short class name used in audit entries.
    pub fn class(self) -> &'static str {
        match self {
            ExitCode::Success => "ok",
            ExitCode::Internal => "internal",
            ExitCode::Usage => "usage",
            ExitCode::Config => "config",
            ExitCode::Input => "input",
            ExitCode::Privacy => "privacy",
            ExitCode::Key => "key",
            ExitCode::Audit => "audit",
            ExitCode::Output => "output",
            ExitCode::Registry => "registry",
            ExitCode::NotTraced => "not-traced",
            ExitCode::Unverified => "unverified",
        }
    }
}

/// An error's cause, kept as its `source()`.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// An output error for `path` caused by `cause` (an error, or a message).
pub fn output_err(path: &std::path::Path, cause: impl Into<Cause>) -> EngineError {
    EngineError::Output { path: path.to_path_buf(), source: cause.into() }
}

/// A read error of `path`, whose fault is `class`'s.
pub fn io_err<'a>(
    class: ExitCode,
    path: &'a std::path::Path,
    action: &'static str,
) -> impl Fn(std::io::Error) -> EngineError + Copy + 'a {
    move |source| EngineError::Io { class, path: path.to_path_buf(), action, source }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    /// A cause is the error's `source()`, not part of its own message, so a chain printer
    /// shows it once.
    #[test]
    fn causes_are_kept_as_sources() {
        let path = std::path::Path::new("out/x.parquet");
        let e = output_err(path, std::io::Error::from(std::io::ErrorKind::StorageFull));
        assert_eq!(e.to_string(), "cannot write out/x.parquet");
        let cause = e.source().expect("the cause is kept");
        assert!(cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull));
        assert_eq!(e.exit_code(), ExitCode::Output);

        let e = io_err(ExitCode::Key, std::path::Path::new("k.key"), "cannot read key file")(std::io::Error::from(
            std::io::ErrorKind::NotFound,
        ));
        assert_eq!(e.to_string(), "k.key: cannot read key file");
        assert_eq!((e.exit_code(), e.class()), (ExitCode::Key, "key"));
        assert!(e.source().is_some());
        // A message alone is a cause too.
        assert_eq!(output_err(path, "disk quota").source().unwrap().to_string(), "disk quota");
    }
}
