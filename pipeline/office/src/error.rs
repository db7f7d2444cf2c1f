//! What a use-case can fail with, by whose fault: the binary turns each variant into its exit
//! code (docs/cli.md), the console into its answer. Messages name what and where, never a value
//! of a person.

use std::path::PathBuf;
use tokumei_audit::AuditError;
use tokumei_audit::sign::SignError;
use tokumei_engine::{EngineError, ExitCode};
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
    /// An audit signing key could not be made or used.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// An output file or folder is in the way, or cannot be made.
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
    /// A release folder is not what its signed manifest says (`verify-release`).
    #[error("{0}")]
    Unverified(String),
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

    /// A refusal by the registry that keeps `e`'s whole message (its causes after `: `), for
    /// errors whose own class is not the registry's (its audit log read for the registry).
    pub fn registry(e: &(dyn std::error::Error + 'static)) -> OfficeError {
        OfficeError::Refused(chain(e))
    }

    /// The message with its causes, each after `: ` (as the binary prints it).
    pub fn chain(&self) -> String {
        chain(self)
    }

    /// Whose fault it is, as the exit code (docs/cli.md): the binary exits with it, and a run
    /// records its class in the audit entry of a failed run.
    pub fn exit_code(&self) -> ExitCode {
        use OfficeError as E;
        use tokumei_registry::RegistryError as R;
        use tokumei_release::ReleaseError as Rel;
        match self {
            E::Engine(e) => e.exit_code(),
            E::Registry(R::Audit(_)) | E::Audit(_) => ExitCode::Audit,
            E::Registry(R::Entry { .. }) | E::Config(_) => ExitCode::Config,
            E::Registry(_) | E::Refused(_) => ExitCode::Registry,
            E::Release(Rel::Output { .. }) | E::Write { .. } | E::Output(_) => ExitCode::Output,
            E::Release(Rel::Audit(_)) => ExitCode::Audit,
            E::Release(Rel::Paths(_)) => ExitCode::Config,
            E::Release(Rel::Register(_)) => ExitCode::Registry,
            E::Sign(_) => ExitCode::Key,
            E::Usage(_) => ExitCode::Usage,
            E::Input(_) => ExitCode::Input,
            E::NotTraced(_) => ExitCode::NotTraced,
            E::Unverified(_) => ExitCode::Unverified,
            E::Internal(_) => ExitCode::Internal,
            E::Context { source, .. } => source.exit_code(),
        }
    }

    /// The error under its contexts.
    pub fn root(&self) -> &OfficeError {
        match self {
            OfficeError::Context { source, .. } => source.root(),
            other => other,
        }
    }
}

/// An error's message and its causes, each after `: `.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

/// The result of a use-case.
pub type Result<T, E = OfficeError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_context_keeps_the_code_and_shows_its_cause() {
        let e = OfficeError::Audit(AuditError::Anchor("gone".into())).context("the run did not start");
        assert_eq!(e.exit_code(), ExitCode::Audit);
        assert_eq!(e.chain(), "the run did not start: gone");
        assert_eq!(OfficeError::Output("x exists".into()).exit_code(), ExitCode::Output);
    }
}
