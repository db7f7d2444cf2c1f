//! What a use-case can fail with, by whose fault: the binary turns each variant into its exit
//! code (docs/cli.md), the console into its answer. Messages name what and where, never a value
//! of a person.

use std::path::PathBuf;
use tokumei_audit::AuditError;
use tokumei_engine::EngineError;
use tokumei_registry::RegistryError;
use tokumei_release::ReleaseError;

/// An error of a use-case.
#[derive(Debug, thiserror::Error)]
pub enum OfficeError {
    /// The engine failed (its own error says whose fault).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The registry refused the act, or is missing, unreadable or not what tokumei wrote.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A release folder could not be written or published.
    #[error(transparent)]
    Release(#[from] ReleaseError),
    /// The audit log refused, or is broken.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// A value given on the command line (or in `TOKUMEI_NOW`) is not usable.
    #[error("{0}")]
    Usage(String),
    /// A job, rule or entry file is not usable.
    #[error("{0}")]
    Config(String),
    /// An input file is not usable.
    #[error("{0}")]
    Input(String),
    /// The act is refused by the registry's rules (a legal refusal, not a broken registry).
    #[error("{0}")]
    Refused(String),
    /// An output is refused (it exists and is never overwritten, its folder cannot be made).
    #[error("{0}")]
    Output(String),
    /// A file or folder could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// What was being written.
        path: PathBuf,
        /// Why not.
        #[source]
        cause: std::io::Error,
    },
    /// A leaked file could not be traced to a single release.
    #[error("{0}")]
    NotTraced(String),
    /// A bug in tokumei.
    #[error("{0}")]
    Internal(String),
    /// An error with what was being done when it happened (shown `context: error`).
    #[error("{context}")]
    Context {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: Box<OfficeError>,
    },
}

impl OfficeError {
    /// The error with what was being done when it happened.
    pub fn context(self, context: impl Into<String>) -> OfficeError {
        OfficeError::Context { context: context.into(), source: Box::new(self) }
    }

    /// The error under its contexts.
    pub fn root(&self) -> &OfficeError {
        match self {
            OfficeError::Context { source, .. } => source.root(),
            other => other,
        }
    }
}

/// The result of a use-case.
pub type Result<T, E = OfficeError> = std::result::Result<T, E>;
