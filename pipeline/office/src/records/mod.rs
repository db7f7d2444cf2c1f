//! The registry's records as use-cases: the registry itself (create, status, export, purge,
//! reset, verify), personal-information files, recipients, proposals and contracts, releases,
//! and the per-subject look-up. Each opens the registry it is given, acts through
//! `tokumei_registry`, and returns what it did for the caller to print; a change is made by
//! the operator named, at the run clock's time.

pub mod contracts;
pub mod files;
pub mod recipients;
pub mod registry;
pub mod releases;
pub mod subjects;

use crate::{Clock, OfficeError};
use std::path::PathBuf;
use tokumei_documents::text::Told;
use tokumei_registry::{Registry, Who};

/// What a check found: told first (its problems, or that all is well), then the refusal its
/// problems make.
pub trait Checked {
    /// What the officer is told.
    fn told(&self) -> Told;
    /// A refusal when the check found problems.
    fn result(self) -> Result<(), OfficeError>;
}

/// Who makes a change, and where: the registry file and the operator.
pub struct By {
    /// The registry file.
    pub registry: PathBuf,
    /// Who makes the change (recorded in the audit log).
    pub operator: String,
}

/// The operator named (`--operator`, `TOKUMEI_OPERATOR`), else `$USER`, else `unknown`.
pub fn operator(given: Option<String>) -> String {
    given.or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "unknown".into())
}

/// A change to one numbered record (a request, an incident): the registry it goes to, the
/// record's number and the operator who makes it.
pub struct Change {
    /// The registry file.
    pub registry: PathBuf,
    /// The record's number.
    pub id: i64,
    /// Who makes the change (recorded in the audit log).
    pub operator: String,
}

impl Change {
    /// The registry opened.
    pub fn open(&self) -> Result<Registry, OfficeError> {
        Ok(Registry::open(&self.registry)?)
    }

    /// Who makes the change, now.
    pub fn who(&self) -> Result<Who, OfficeError> {
        who(&self.operator)
    }
}

/// Who makes a registry change, and when: the run clock (`TOKUMEI_NOW` when set, so a test clock
/// sets the journal times too).
pub fn who(operator: &str) -> Result<Who, OfficeError> {
    Ok(Clock::now()?.who(operator.to_string()))
}

/// Today (YYYY-MM-DD) by the run clock (`TOKUMEI_NOW` in tests), as a date in Japan.
pub fn today() -> Result<String, OfficeError> {
    Clock::now()?.today_in_japan()
}
