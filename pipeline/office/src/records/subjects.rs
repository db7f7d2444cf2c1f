//! The per-subject look-up: which registered releases were made from a person's records, and
//! which requests excluded them since when. The look-up is audited without the identifier.

use super::who;
use crate::OfficeError;
use std::path::Path;
use tokumei_registry::Registry;

pub use tokumei_documents::text::register::Provisions;

/// Look a person up by identifier; the look-up is recorded in the audit log (how many releases
/// were found, never the identifier).
pub fn provisions(path: &Path, subject: &str, operator: &str) -> Result<Provisions, OfficeError> {
    let reg = Registry::open(path)?;
    let releases = reg.subject_releases(subject)?;
    let excluded = reg.exclusion_of(subject)?;
    let who = who(operator)?;
    let mut details = serde_json::Map::new();
    details.insert("registry".into(), reg.id()?.into());
    if let Some(found) = &releases {
        details.insert("releases_found".into(), (found.len() as u64).into());
    }
    tokumei_audit::JsonlLog::new(reg.audit_log()?).append(tokumei_audit::Record {
        time: who.time.clone(),
        operator: who.operator.clone(),
        action: "subject-provisions".into(),
        status: "ok".into(),
        details,
        clock: who.clock.clone(),
        ..Default::default()
    })?;
    Ok(Provisions { releases, excluded })
}
