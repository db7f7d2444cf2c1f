//! Before a run starts its log or publishes: every release already in the output folder is
//! still anchored in the log (its recorded head held, its `publishing` entry there).

use crate::OfficeError;
use std::collections::HashSet;
use std::path::Path;
use tokumei_audit::{AuditError, Entry, JsonlLog};

/// A refusal to run because of the log: exit 7, "the run did not start: ...".
fn not_started(message: String) -> OfficeError {
    OfficeError::Audit(AuditError::Anchor(message)).context("the run did not start")
}

/// Refuse to run when a release already in `dir` (a dataset folder, or an output folder with
/// dataset folders) recorded a log head that the log no longer holds: the log was rewritten,
/// truncated, emptied, deleted or replaced since.
pub fn check_release_anchors(log: &JsonlLog, entries: &[Entry], dir: &Path) -> Result<(), OfficeError> {
    let releases: Vec<_> =
        tokumei_release::find_releases(dir).into_iter().filter(|r| r.audit_head().is_some()).collect();
    if entries.is_empty() && !releases.is_empty() {
        return Err(not_started(format!(
            "audit log {} does not exist, but the releases in {} were recorded in a log: a missing log is not started anew while releases witness the old one\n  hint: restore the log, or keep the releases apart and use another output folder",
            log.path().display(),
            dir.display()
        )));
    }
    for release in &releases {
        let Some(head) = release.audit_head() else { continue };
        if let Err(reason) = tokumei_audit::anchor::check(log, entries, &head) {
            return Err(not_started(format!(
                "audit log {} does not hold entry {} recorded by release {}: {reason}\n  hint: the log is kept as it is; investigate with `tokumei audit verify --log {} --releases {}`",
                log.path().display(),
                head.seq,
                release.dir.display(),
                log.path().display(),
                dir.display()
            )));
        }
    }
    // A release's head is the log's head before its own entries: the newest entries cut off the
    // end of the log (the chain still consistent) leave every head in place. Each release
    // folder must also have its `publishing` entry, as `audit verify --releases` requires.
    if entries.is_empty() {
        return Ok(());
    }
    let logged = logged_releases(log, entries)
        .map_err(|reason| not_started(format!("audit log {}: {reason}", log.path().display())))?;
    for release in tokumei_release::find_releases(dir) {
        if !logged.contains(&release.release_id) {
            return Err(not_started(format!(
                "audit log {} has no `publishing` entry for release {} ({}): its entries were removed from the log (cut off its end, or the log was replaced), or the release was not made by a run recorded there\n  hint: the log is kept as it is; investigate with `tokumei audit verify --log {} --releases {}`",
                log.path().display(),
                release.release_id,
                release.dir.display(),
                log.path().display(),
                dir.display()
            )));
        }
    }
    Ok(())
}

/// The release ids of every `publishing` entry in the log and in the logs it continues
/// (`tokumei audit rotate`, each archive checked against its recorded SHA-256).
fn logged_releases(log: &JsonlLog, entries: &[Entry]) -> Result<HashSet<String>, String> {
    let publishing = |es: &[Entry]| -> Vec<String> {
        es.iter().filter(|e| e.record.status == "publishing").filter_map(|e| e.record.release_id.clone()).collect()
    };
    let mut ids: HashSet<String> = publishing(entries).into_iter().collect();
    let (mut current, mut current_entries) = (log.clone(), entries.to_vec());
    for _ in 0..1000 {
        let Some(previous) = tokumei_audit::anchor::previous(&current, &current_entries) else { return Ok(ids) };
        let previous = previous?;
        let scan = previous.scan().map_err(|e| e.to_string())?;
        ids.extend(publishing(&scan.entries));
        (current, current_entries) = (previous, scan.entries);
    }
    Err("the chain of rotated logs is longer than 1000".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_folder_without_releases_needs_no_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = JsonlLog::new(dir.path().join("audit.log"));
        assert!(check_release_anchors(&log, &[], dir.path()).is_ok());
    }
}
