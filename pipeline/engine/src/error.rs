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
    #[error("cannot write {path}: {message}")]
    Output {
        /// Target.
        path: PathBuf,
        /// Cause.
        message: String,
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
            EngineError::Internal(_) => "internal",
        }
    }

    /// Process exit code for this class (documented in the CLI help and README).
    pub fn exit_code(&self) -> i32 {
        match self.class() {
            "config" => 3,
            "input" => 4,
            "privacy" => 5,
            "key" => 6,
            "output" => 8,
            _ => 1,
        }
    }
}

/// Map an error to an output error for `path`.
pub fn output_err(path: &std::path::Path) -> impl Fn(String) -> EngineError + '_ {
    move |message| EngineError::Output { path: path.to_path_buf(), message }
}
