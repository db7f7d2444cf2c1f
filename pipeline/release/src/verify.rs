//! Checking releases against the audit log: every logged release's folder, and every folder's
//! entry.

use crate::{LATEST, STAGING_PREFIX, recorded_path};
use std::path::{Path, PathBuf};
use tokumei_audit::{Entry, JsonlLog, sys};

/// What a release folder on disk holds compared with its audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskState {
    /// Exactly the recorded files, with the recorded hashes.
    Matches,
    /// No folder (never published, or removed or moved since).
    Absent,
    /// Something differs (what, without any content).
    Differs(String),
}

/// A release as the log records it.
#[derive(Debug, Clone)]
pub struct LoggedRelease {
    /// Release id.
    pub release_id: String,
    /// The `publishing` entry.
    pub entry: u64,
    /// Whether a `published` entry follows.
    pub published: bool,
    /// Recorded folder.
    pub dir: PathBuf,
    /// The folder now.
    pub state: DiskState,
}

/// The `name=sha256` list of an entry as pairs.
fn recorded_files(entry: &Entry) -> Vec<(String, String)> {
    entry
        .record
        .outputs
        .iter()
        .filter_map(|o| o.rsplit_once('=').map(|(n, h)| (n.to_string(), h.to_string())))
        .collect()
}

/// Compare a folder with its recorded files and hashes.
pub fn check_folder(dir: &Path, files: &[(String, String)]) -> DiskState {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => {
            return DiskState::Absent;
        }
        Err(e) => return DiskState::Differs(format!("the folder cannot be read ({})", e.kind())),
    };
    let mut present = Vec::new();
    for e in rd {
        let Ok(e) = e else { return DiskState::Differs("the folder cannot be read".into()) };
        present.push(e.file_name().to_string_lossy().into_owned());
    }
    present.sort();
    for name in &present {
        if !files.iter().any(|(n, _)| n == name) {
            return DiskState::Differs(format!("it holds a file the audit entry does not name: {name}"));
        }
    }
    for (name, hash) in files {
        let path = dir.join(name);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => return DiskState::Differs(format!("{name} is not a regular file")),
            Err(_) => return DiskState::Differs(format!("{name} is missing")),
        }
        match sys::sha256_file(&path) {
            Ok(h) if &h == hash => {}
            Ok(_) => return DiskState::Differs(format!("{name} does not match the SHA-256 in its audit entry")),
            Err(e) => return DiskState::Differs(format!("{name} cannot be read ({})", e.kind())),
        }
    }
    DiskState::Matches
}

/// Every release the log records (`publishing` entries), with whether it was confirmed and what
/// its folder holds now.
pub fn check_logged(log: &JsonlLog, entries: &[Entry]) -> Vec<LoggedRelease> {
    let mut out = Vec::new();
    for e in entries.iter().filter(|e| e.record.status == "publishing") {
        let Some(id) = e.record.release_id.clone() else { continue };
        let published = entries.iter().any(|p| {
            p.seq > e.seq && p.record.status == "published" && p.record.release_id.as_deref() == Some(id.as_str())
        });
        let dir = recorded_path(log, e.record.release_dir.as_deref().unwrap_or_default());
        let state = check_folder(&dir, &recorded_files(e));
        out.push(LoggedRelease { release_id: id, entry: e.seq, published, dir, state });
    }
    out
}

/// A release folder found on disk.
#[derive(Debug, Clone)]
pub struct ReleaseFolder {
    /// The folder.
    pub dir: PathBuf,
    /// Its name, the release id.
    pub release_id: String,
    /// Its release id and audit head as its `report.json` gives them, when readable.
    pub stamp: Option<tokumei_report::ReleaseStamp>,
}

impl ReleaseFolder {
    /// The audit log's head its report recorded when it was made, if readable.
    pub fn audit_head(&self) -> Option<tokumei_audit::Head> {
        self.stamp.as_ref()?.audit_head.as_deref()?.parse().ok()
    }

    /// The publishing entry of this folder among `entries`, if any.
    pub fn entry<'e>(&self, entries: &'e [Entry]) -> Option<&'e Entry> {
        entries.iter().rev().find(|e| {
            e.record.status == "publishing" && e.record.release_id.as_deref() == Some(self.release_id.as_str())
        })
    }

    /// Compare with its entry's files.
    pub fn state(&self, entry: &Entry) -> DiskState {
        check_folder(&self.dir, &recorded_files(entry))
    }
}

fn is_release_dir(dir: &Path) -> bool {
    dir.join("report.json").is_file()
}

/// Release folders at `path`: the folder itself if it is one, else those below it (a dataset
/// folder's releases, or an output folder's datasets' releases). Hidden folders (staging) and the
/// `latest` pointer are skipped.
pub fn find_releases(path: &Path) -> Vec<ReleaseFolder> {
    fn children(dir: &Path) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        !name.starts_with('.')
                            && !name.starts_with(STAGING_PREFIX)
                            && name != LATEST
                            && e.file_type().map(|t| t.is_dir()).unwrap_or(false)
                    })
                    .map(|e| e.path())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
    let mut dirs = Vec::new();
    if is_release_dir(path) {
        dirs.push(path.to_path_buf());
    } else {
        for c in children(path) {
            if is_release_dir(&c) {
                dirs.push(c);
            } else {
                dirs.extend(children(&c).into_iter().filter(|g| is_release_dir(g)));
            }
        }
    }
    dirs.into_iter()
        .map(|dir| {
            let stamp = tokumei_report::read_stamp(&dir.join("report.json")).ok();
            let release_id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            ReleaseFolder { dir, release_id, stamp }
        })
        .collect()
}
