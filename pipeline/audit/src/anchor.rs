//! Anchors: heads kept outside the log (in releases, in an officer's files) that the log must
//! still contain, entry for entry.

use crate::{ACTION_ROTATE, Entry, Head, JsonlLog, sys};
use std::path::PathBuf;

/// Where an anchor was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// In this log.
    Here,
    /// In a previous log that this one continues (`tokumei audit rotate`).
    Previous(PathBuf),
}

/// Check that the log whose intact entries are `entries` holds `anchor`: entry `anchor.seq` has
/// hash `anchor.hash`. A log that starts with a rotation entry also holds the anchors of the log
/// it continues, as long as that archived file is unchanged. The error explains what the
/// mismatch means.
pub fn check(log: &JsonlLog, entries: &[Entry], anchor: &Head) -> Result<Found, String> {
    if let Some(e) = entries.get((anchor.seq as usize).wrapping_sub(1))
        && e.hash == anchor.hash
    {
        return Ok(Found::Here);
    }
    // A rotated log: follow the link to the previous one.
    if let Some(previous) = previous(log, entries) {
        let previous = previous?;
        let scan = previous.scan().map_err(|e| e.to_string())?;
        return match check(&previous, &scan.entries, anchor) {
            Ok(Found::Here) => Ok(Found::Previous(previous.path().to_path_buf())),
            other => other,
        };
    }
    Err(if anchor.seq as usize > entries.len() {
        format!(
            "the log has {} entries but a head of entry {} was kept: entries were removed (truncated, emptied, or the log was replaced)",
            entries.len(),
            anchor.seq
        )
    } else {
        format!(
            "entry {} has another hash than the head kept: the log was rewritten at or before entry {} (or replaced)",
            anchor.seq, anchor.seq
        )
    })
}

/// The log that a rotated log continues (named by its first entry), checked to be a plain file in
/// the same folder whose SHA-256 is the one recorded: `None` when the log does not continue one.
pub fn previous(log: &JsonlLog, entries: &[Entry]) -> Option<Result<JsonlLog, String>> {
    let first = entries.first().filter(|e| e.record.action == ACTION_ROTATE)?;
    let name = first.record.details.get("previous_log").and_then(|v| v.as_str()).unwrap_or_default();
    let recorded = first.record.details.get("previous_sha256").and_then(|v| v.as_str()).unwrap_or_default();
    let plain = std::path::Path::new(name).file_name().is_some_and(|n| n == name) && !name.starts_with('.');
    if !plain {
        return Some(Err(format!("entry 1 names a previous log `{name}` that is not a file name in the log's folder")));
    }
    let path = sys::parent_of(log.path()).join(name);
    let checked = match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() => sys::sha256_file(&path)
            .map_err(|e| format!("the previous log {} cannot be read ({e})", path.display()))
            .and_then(|actual| {
                if actual == recorded {
                    Ok(JsonlLog::new(&path))
                } else {
                    Err(format!(
                        "the previous log {} was changed after it was rotated (its SHA-256 differs from entry 1's record)",
                        path.display()
                    ))
                }
            }),
        Ok(_) => Err(format!("the previous log {} is not a regular file", path.display())),
        Err(e) => Err(format!("the previous log {} is missing ({})", path.display(), e.kind())),
    };
    Some(checked)
}

/// The head recorded in a JSON document: a release's `report.json` (`"audit_head": "N:hash"`) or
/// a head file from `tokumei audit head --json` (`"seq"` and `"hash"`).
pub fn from_json(value: &serde_json::Value) -> Option<Head> {
    if let Some(s) = value.get("audit_head").and_then(|v| v.as_str()) {
        return s.parse().ok();
    }
    let seq = value.get("seq")?.as_u64()?;
    let hash = value.get("hash")?.as_str()?;
    format!("{seq}:{hash}").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_record as rec;

    #[test]
    fn anchors_find_rewrites_truncations_and_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let log = JsonlLog::new(dir.path().join("audit.log"));
        log.start("op", "2026-11-26T00:00:00Z", None).unwrap();
        for i in 1..6 {
            log.append(rec(i)).unwrap();
        }
        let entries = log.entries().unwrap();
        let anchor = entries[2].head();
        assert_eq!(check(&log, &entries, &anchor), Ok(Found::Here));

        // Rewrite entry 2 and rechain everything after it: the chain verifies, the anchor does not.
        let forged = JsonlLog::new(dir.path().join("forged.log"));
        forged.start("op", "2026-11-26T00:00:00Z", None).unwrap();
        for i in 1..6 {
            let mut r = rec(i);
            if i == 2 {
                r.operator = "mallory".into();
            }
            forged.append(r).unwrap();
        }
        let fe = forged.entries().unwrap();
        assert_eq!(fe.len(), 6);
        assert!(check(&forged, &fe, &anchor).unwrap_err().contains("rewritten"));
        // Truncation.
        assert!(check(&log, &entries[..2], &anchor).unwrap_err().contains("removed"));
        // A restarted log.
        let fresh = JsonlLog::new(dir.path().join("fresh.log"));
        fresh.start("op", "2026-11-26T00:00:09Z", None).unwrap();
        assert!(check(&fresh, &fresh.entries().unwrap(), &anchor).is_err());
    }

    #[test]
    fn anchors_survive_rotation_but_not_a_changed_archive() {
        let dir = tempfile::tempdir().unwrap();
        let log = JsonlLog::new(dir.path().join("audit.log"));
        log.start("op", "2026-11-26T00:00:00Z", None).unwrap();
        log.append(rec(1)).unwrap();
        let anchor = log.head().unwrap();
        let (archive, _) = log.rotate("op", "2026-11-26T00:00:05Z", "yearly").unwrap();
        log.append(rec(6)).unwrap();
        let entries = log.entries().unwrap();
        assert_eq!(check(&log, &entries, &anchor), Ok(Found::Previous(archive.clone())));
        let mut bytes = std::fs::read(&archive).unwrap();
        bytes.push(b'\n');
        std::fs::write(&archive, bytes).unwrap();
        assert!(check(&log, &entries, &anchor).unwrap_err().contains("changed"));
    }

    #[test]
    fn heads_parse_from_text_and_json() {
        let h: Head = format!("3:{}", "a".repeat(64)).parse().unwrap();
        assert_eq!(h.seq, 3);
        assert!("3:ABC".parse::<Head>().is_err());
        assert!(format!("0:{}", "a".repeat(64)).parse::<Head>().is_err());
        assert_eq!(from_json(&serde_json::json!({"audit_head": h.to_string()})), Some(h.clone()));
        assert_eq!(from_json(&serde_json::json!({"seq": 3, "hash": "a".repeat(64)})), Some(h));
        assert_eq!(from_json(&serde_json::json!({"seq": "x"})), None);
    }
}
