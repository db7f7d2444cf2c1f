//! tokumei on a DataFusion Ballista cluster (issue 34): the executor with tokumei's functions
//! registered ([`executor`]), the scheduler ([`scheduler`]), and the coordinator's side of
//! `tokumei run --cluster` ([`Cluster`], an `Elsewhere` for the office's run). Everything is
//! behind the `distributed` feature; without it this crate is empty, so the default build and
//! `cargo test` do not compile Ballista.
//!
//! A run: the coordinator reads the input's header and prepares the run (rules, key, release
//! id); the cluster reads the input's parts, transforms the global columns with tokumei's
//! functions and counts each combination of their cells (the class table); the coordinator
//! runs the models, the search, the report and the standards on it (`tokumei_engine::run::
//! aggregated`); the cluster writes the released rows as Parquet parts into the staging folder
//! (each row's combination looked up in what the models decided, the other columns transformed
//! row by row, in a random order); the office audits and publishes as for a run on one machine.

#[cfg(feature = "distributed")]
mod context;
#[cfg(feature = "distributed")]
mod coordinator;
#[cfg(feature = "distributed")]
pub mod executor;
#[cfg(feature = "distributed")]
pub mod functions;
#[cfg(feature = "distributed")]
mod input;
#[cfg(feature = "distributed")]
mod query;
#[cfg(feature = "distributed")]
pub mod scheduler;
#[cfg(feature = "distributed")]
mod subject_key;

#[cfg(feature = "distributed")]
pub use coordinator::Cluster;

use std::path::{Path, PathBuf};

/// What went wrong on the cluster's side of a run.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The engine's error (a job, input, key or privacy error), with its exit code.
    #[error(transparent)]
    Engine(#[from] tokumei_engine::EngineError),
    /// A file of the run could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The cluster failed (unreachable, a task failed); DataFusion's own message is withheld
    /// when it may quote a value.
    #[error("the cluster failed: {0}")]
    Cluster(String),
    /// A bug in tokumei.
    #[error("internal error (a bug in tokumei): {0}")]
    Internal(String),
}

impl ClusterError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> ClusterError {
        ClusterError::Io { path: path.to_path_buf(), source }
    }

    /// As the engine's error (for a run's exit code and audit entry): the engine's own errors as
    /// they are; a file or the cluster failing as an output error (exit 8), never a value.
    pub fn into_engine(self) -> tokumei_engine::EngineError {
        match self {
            ClusterError::Engine(e) => e,
            ClusterError::Io { path, source } => tokumei_engine::error::output_err(&path, source),
            ClusterError::Cluster(m) => tokumei_engine::error::output_err(
                Path::new("the release on the cluster"),
                std::io::Error::other(format!("the cluster failed: {m}")),
            ),
            ClusterError::Internal(m) => tokumei_engine::EngineError::Internal(m),
        }
    }
}

/// House rules ([`tokumei_house`], docs/design.md).
#[cfg(test)]
mod architecture {
    #[test]
    fn no_circle() {
        tokumei_house::assert_no_circle(env!("CARGO_MANIFEST_DIR"), &[]);
    }

    #[test]
    fn no_long_function() {
        tokumei_house::assert_no_long_function(env!("CARGO_MANIFEST_DIR"), 150);
    }
}
