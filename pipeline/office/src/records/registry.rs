//! The registry itself: create it, its status and warnings, export, purge what has reached the
//! end of its retention, accept a registry that fails its check, verify it against its log.

use super::{today, who};
use crate::OfficeError;
use std::path::{Path, PathBuf};
use tokumei_documents::text::{Told, registry_steps as text};
use tokumei_registry::{Profile, Purged, Registry};

/// A registry made by [`init`].
pub struct Created {
    /// The registry file.
    pub path: PathBuf,
    /// The body it is for.
    pub body: String,
    /// The body's kind under the APPI, in words.
    pub actor: String,
    /// The audit log its changes go to (absolute).
    pub audit_log: PathBuf,
}

/// Create the registry (owner-only, never over an existing file) with the profile read from
/// `profile`; its changes go to `audit_log` (default: `audit.log` beside the registry).
pub fn init(path: &Path, profile: &Path, audit_log: Option<PathBuf>, operator: &str) -> Result<Created, OfficeError> {
    let profile = Profile::load(profile)?;
    let log = audit_log.unwrap_or_else(|| tokumei_audit::sys::parent_of(path).join("audit.log"));
    // Stored absolute: later commands may run from another folder.
    let log = std::path::absolute(&log).map_err(|e| OfficeError::Usage(e.to_string()))?;
    let who = who(operator)?;
    let reg = Registry::create(path, &profile, &log, &who)?;
    Ok(Created {
        path: reg.path().to_path_buf(),
        body: profile.body.clone(),
        actor: profile.actor.label().to_string(),
        audit_log: log,
    })
}

impl Created {
    /// What `registry init` tells.
    pub fn told(&self) -> Told {
        text::created(&self.path, (&self.body, &self.actor), &self.audit_log)
    }
}

pub use tokumei_documents::text::register::Status;

/// The registry's status, read as the file is (a registry that fails its proof shows too).
pub fn status(path: &Path) -> Result<Status, OfficeError> {
    let reg = Registry::open_unproved(path)?;
    let status = reg.status()?;
    let profile = reg.profile()?;
    let erasures_to_do = reg.erasures_to_do()?;
    let today = today()?;
    let mut warnings = request_warnings(&reg, &today)?;
    // 法111, 規則53: a body for which calls are mandatory calls every fiscal year.
    warnings.extend(reg.call_warnings(&today)?);
    // Rows an older tokumei assessed or decided, shown under the current rules (fail safe).
    warnings.extend(reg.incident_upgrade_warnings()?);
    warnings.extend(reg.erasure_upgrade_warnings()?);
    for f in reg.files()? {
        warnings.extend(f.entry.warnings());
    }
    Ok(Status { status, profile, erasures_to_do, warnings, today })
}

/// What `registry status` warns of for requests: stored profile values beyond the Act's limits
/// (used at the limit), and a national-holiday list that ends before next year.
pub fn request_warnings(reg: &Registry, today: &str) -> Result<Vec<String>, OfficeError> {
    let mut out: Vec<String> = reg
        .profile_law_problems()?
        .into_iter()
        .map(|p| format!("the stored profile sets {p}; the limit is used"))
        .collect();
    let next = tokumei_registry::deadline::add_days(today, 366).unwrap_or_else(|| today.to_string());
    if let Some(note) = tokumei_registry::deadline::holiday_note(today, &next) {
        out.push(note);
    }
    Ok(out)
}

/// Every row of every table as JSON Lines.
pub fn export(path: &Path) -> Result<Vec<u8>, OfficeError> {
    let reg = Registry::open_unproved(path)?;
    let mut buf = Vec::new();
    reg.export(&mut buf)?;
    Ok(buf)
}

/// Export to a new file (never overwritten); the number of rows.
pub fn export_to(path: &Path, out: &Path) -> Result<u64, OfficeError> {
    let reg = Registry::open_unproved(path)?;
    let mut buf = Vec::new();
    let n = reg.export(&mut buf)?;
    let made = tokumei_audit::sys::create_new_atomic(out, &buf)
        .map_err(|cause| OfficeError::Write { path: out.to_path_buf(), cause })?;
    if !made {
        return Err(OfficeError::Output(format!("{} exists (an export is never overwritten)", out.display())));
    }
    Ok(n)
}

/// `registry export`: every row as JSON Lines on stdout, or (with `out`) written to a new file.
pub fn exported(path: &Path, out: Option<&Path>) -> Result<Told, OfficeError> {
    match out {
        None => String::from_utf8(export(path)?).map(Told::out).map_err(|e| OfficeError::Internal(e.to_string())),
        Some(out) => Ok(text::exported(export_to(path, out)?, out)),
    }
}

/// The contracts whose retention period has ended: listed (`dry_run`) or removed, each removal
/// audited.
pub fn purge_expired(path: &Path, dry_run: bool, operator: &str) -> Result<Vec<Purged>, OfficeError> {
    let who = who(operator)?;
    let today = today()?;
    let mut reg = Registry::open(path)?;
    Ok(if dry_run { reg.expired(&today) } else { reg.purge_expired(&who, &today) }?)
}

/// What [`reset`] did.
pub enum Reset {
    /// The registry is gone: its retirement is recorded in the log beside where it was.
    Retired {
        /// The audit log that records it.
        audit_log: PathBuf,
        /// The registry ids retired.
        ids: Vec<String>,
    },
    /// The registry is accepted as it is now.
    Accepted {
        /// The registry file.
        path: PathBuf,
        /// The problems accepted.
        problems: Vec<String>,
    },
}

impl Reset {
    /// What `registry reset` of the registry at `path` tells.
    pub fn told(&self, path: &Path) -> Told {
        match self {
            Reset::Retired { audit_log, ids } => text::retired(path, audit_log, ids.len()),
            Reset::Accepted { path, problems } => text::accepted(path, problems),
        }
    }
}

/// Accept, with its reason, a registry that fails its check; or, for a registry that is gone,
/// record it as gone in its audit log (default: `audit.log` beside where it was).
pub fn reset(path: &Path, reason: &str, audit_log: Option<PathBuf>, operator: &str) -> Result<Reset, OfficeError> {
    let who = who(operator)?;
    if !path.exists() {
        let log = audit_log.unwrap_or_else(|| tokumei_audit::sys::parent_of(path).join("audit.log"));
        let ids = tokumei_registry::retire(&log, path, &who, reason)?;
        return Ok(Reset::Retired { audit_log: log, ids });
    }
    let mut reg = Registry::open_unproved(path)?;
    let problems = reg.reset(&who, reason)?;
    Ok(Reset::Accepted { path: reg.path().to_path_buf(), problems })
}

/// The registry's problems against its audit log (a broken log is an audit failure).
pub fn verify(reg: &Registry) -> Result<Vec<String>, OfficeError> {
    Ok(reg.check_all()?)
}

/// A registry checked against its audit log: where, and what does not match.
pub struct Verified {
    /// The registry file.
    pub path: PathBuf,
    /// What does not match.
    pub problems: Vec<String>,
}

impl super::Checked for Verified {
    /// The problems, or that every row and change matches.
    fn told(&self) -> Told {
        text::verified(&self.path, &self.problems)
    }

    /// A refusal when something does not match.
    fn result(self) -> Result<(), OfficeError> {
        problems_found(&self.path, self.problems.len())
    }
}

/// The refusal of a registry whose check found `n` problems (listed before it); none: `Ok`.
pub fn problems_found(path: &Path, n: usize) -> Result<(), OfficeError> {
    match n {
        0 => Ok(()),
        n => Err(OfficeError::Refused(format!("registry {}: {n} problem(s) found", path.display()))),
    }
}

/// Open the registry as the file is and check it against its audit log: its path and problems.
pub fn verify_at(path: &Path) -> Result<(PathBuf, Vec<String>), OfficeError> {
    let reg = Registry::open_unproved(path)?;
    Ok((reg.path().to_path_buf(), verify(&reg)?))
}

/// [`verify_at`], as what the officer is told and the refusal it makes.
pub fn verified(path: &Path) -> Result<Verified, OfficeError> {
    let (path, problems) = verify_at(path)?;
    Ok(Verified { path, problems })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROFILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/registry/profile.toml");

    #[test]
    fn a_registry_made_shows_its_status_exports_and_never_overwrites_an_export() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.sqlite");
        let made = init(&path, Path::new(PROFILE), None, "tester").unwrap();
        assert_eq!(made.audit_log, std::path::absolute(dir.path().join("audit.log")).unwrap());
        assert!(init(&path, Path::new(PROFILE), None, "tester").is_err(), "never over an existing registry");
        let s = status(&path).unwrap();
        assert_eq!(s.profile.body, made.body);
        assert_eq!(s.today.len(), 10);
        let out = dir.path().join("export.jsonl");
        let n = export_to(&path, &out).unwrap();
        assert!(n > 0);
        assert_eq!(std::fs::read(&out).unwrap(), export(&path).unwrap());
        let again = export_to(&path, &out).unwrap_err();
        assert!(matches!(again, OfficeError::Output(_)), "{again}");
        assert!(verify_at(&path).unwrap().1.is_empty());
    }

    #[test]
    fn a_missing_registry_is_a_registry_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = status(&dir.path().join("none.sqlite")).err().unwrap();
        assert!(matches!(e, OfficeError::Registry(_)), "{e}");
    }
}
