//! Calls for proposals (法111, 規則53): opened for a period, closed, listed with the fiscal
//! year's missing call.

use crate::{Clock, OfficeError};
use std::path::Path;
use tokumei_registry::{Call, Registry, Who};

/// Open a call in the registry at `path` from `from` (default today in Japan) to `to`, for
/// `files` (default: every file open to proposals); returns it as recorded.
pub fn open(
    path: &Path,
    who: &Who,
    (from, to): (Option<tokumei_jp::Date>, tokumei_jp::Date),
    files: &[String],
    note: Option<&str>,
) -> Result<Call, OfficeError> {
    let from = match from {
        Some(f) => f.to_string(),
        None => Clock::now()?.today_in_japan()?,
    };
    let mut reg = Registry::open(path)?;
    let id = reg.open_call(who, &from, &to.to_string(), files, note)?;
    reg.call(id)?.ok_or_else(|| OfficeError::Refused(format!("call {id} is gone")))
}

/// Close call `id`: it receives no proposal from now on. Returns it as recorded.
pub fn close(path: &Path, who: &Who, id: i64, note: &str) -> Result<Call, OfficeError> {
    let mut reg = Registry::open(path)?;
    Ok(reg.close_call(who, id, note)?)
}

impl Calls {
    /// The calls as listed on stdout, the warnings on stderr.
    pub fn told(&self) -> tokumei_documents::text::Told {
        let err = self.warnings.iter().map(|w| format!("warning: {w}\n")).collect();
        tokumei_documents::text::Told { out: tokumei_documents::text::register::calls(&self.calls, &self.today), err }
    }
}

/// The calls of a registry, as of a day.
pub struct Calls {
    /// Today in Japan (by the run clock), which each call's status is of.
    pub today: String,
    /// Every call.
    pub calls: Vec<Call>,
    /// The fiscal year's call missing where calls are mandatory, and the like.
    pub warnings: Vec<String>,
}

/// The calls of the registry at `path`, and what is missing.
pub fn list(path: &Path) -> Result<Calls, OfficeError> {
    let reg = Registry::open(path)?;
    let today = Clock::now()?.today_in_japan()?;
    let calls = reg.calls()?;
    let warnings = reg.call_warnings(&today)?;
    Ok(Calls { today, calls, warnings })
}
