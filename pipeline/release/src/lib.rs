//! Release folders.
//!
//! Every release is its own folder, `<out>/<dataset>/<release id>/`, never modified or replaced
//! once published. A run holds an exclusive lock on `<out>` ([`OutputDir`]) for its whole
//! length, makes the release complete in `<out>/.staging-<release id>/` ([`Staging`]) and
//! [`publish`]es it in this order, so that at every instant either the release is invisible or
//! the audit log records it:
//!
//! 1. seal: every file synced and made read-only, its SHA-256 taken;
//! 2. append and sync an audit entry `publishing` with the folder, files and hashes;
//! 3. one directory rename puts the folder in place;
//! 4. append `published`, then point `<out>/<dataset>/latest` at it.
//!
//! A crash between 2 and 3 leaves a `publishing` entry without its folder (the next run removes
//! the stale staging folder and audits that); a crash between 3 and 4 leaves a complete release
//! whose `publishing` entry records it ([`check_logged`] tells these cases apart).

pub mod manifest;
mod verify;

pub use verify::{DiskState, LoggedRelease, ReleaseFolder, check_folder, check_logged, find_releases};

use std::path::{Component, Path, PathBuf};
use tokumei_audit::sys::{self, Locked, failpoint};
use tokumei_audit::{AuditError, Entry, JsonlLog, Record};

/// Name of the lock file in the output folder.
pub const LOCK_FILE: &str = ".tokumei.lock";
/// Prefix of staging folders in the output folder.
pub const STAGING_PREFIX: &str = ".staging-";
/// The pointer to the newest release in a dataset folder (a symbolic link where supported,
/// else a text file `latest.txt` holding the release id).
pub const LATEST: &str = "latest";

/// Errors of release folders.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// A file or folder could not be written.
    #[error("cannot write {path}: {cause}")]
    Output {
        /// Target.
        path: PathBuf,
        /// Cause (shown in the message, so not chained again).
        cause: std::io::Error,
    },
    /// The audit log refused or failed: nothing was published.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The job's paths overlap the release folders.
    #[error("{0}")]
    Paths(String),
    /// The step before the rename (registering the release) refused: nothing was published.
    #[error("{0}")]
    Register(String),
}

fn out_err(path: &Path) -> impl Fn(std::io::Error) -> ReleaseError + '_ {
    move |cause| ReleaseError::Output { path: path.to_path_buf(), cause }
}

/// `path` made absolute and free of `.`/`..` and symbolic links as far as it exists.
pub fn resolve(path: &Path) -> PathBuf {
    let abs =
        if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(path) };
    // Canonicalise the longest existing prefix, then add the rest lexically.
    let mut existing = abs.clone();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if let Ok(c) = std::fs::canonicalize(&existing) {
            let mut out = c;
            for part in rest.iter().rev() {
                match Path::new(part).components().next() {
                    Some(Component::ParentDir) => {
                        out.pop();
                    }
                    Some(Component::CurDir) | None => {}
                    _ => out.push(part),
                }
            }
            return out;
        }
        match (existing.file_name().map(|n| n.to_os_string()), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => {
                // Only `..` left at the end: resolve lexically.
                let mut out = PathBuf::new();
                for c in abs.components() {
                    match c {
                        Component::ParentDir => {
                            out.pop();
                        }
                        Component::CurDir => {}
                        other => out.push(other),
                    }
                }
                return out;
            }
        }
    }
}

/// Refuse a run whose input, rules, key or audit log lies where tokumei writes: inside the
/// dataset's release folder `<out>/<dataset>`, or on the output folder's lock or staging names.
/// `paths` are `(what, path)` pairs such as `("input", ...)`.
pub fn check_overlap(out: &Path, dataset: &str, paths: &[(&str, &Path)]) -> Result<(), ReleaseError> {
    let root = resolve(out);
    // Resolved itself: a dataset folder that is a symbolic link writes where it points.
    let managed = resolve(&out.join(dataset));
    // The output folder must not lie inside a release (or be one): releases never change.
    for dir in root.ancestors() {
        if is_release_folder(dir) {
            return Err(ReleaseError::Paths(format!(
                "the output folder {} lies inside the release {}, which must never change\n  hint: choose an output folder outside every release",
                root.display(),
                dir.display()
            )));
        }
    }
    for (what, p) in paths {
        let p = resolve(p);
        let clash = p.starts_with(&managed)
            || managed.starts_with(&p)
            || p == root.join(LOCK_FILE)
            || p.strip_prefix(&root)
                .ok()
                .and_then(|r| r.components().next())
                .is_some_and(|c| c.as_os_str().to_string_lossy().starts_with(STAGING_PREFIX));
        if clash {
            return Err(ReleaseError::Paths(format!(
                "the {what} {} lies inside {}, where tokumei writes the releases of dataset `{dataset}`\n  hint: keep inputs, rules, keys and the audit log outside the output's dataset folder, or choose another [output] dir",
                p.display(),
                managed.display()
            )));
        }
    }
    Ok(())
}

/// Whether `dir` is a published release: it holds a `report.json` naming it as its release.
fn is_release_folder(dir: &Path) -> bool {
    let Some(name) = dir.file_name().and_then(|n| n.to_str()) else { return false };
    tokumei_report::read_stamp(&dir.join("report.json")).is_ok_and(|s| s.release_id == name)
}

/// The output folder, locked for one run. Folders this created are removed again when it is
/// dropped, if they are empty (a failed run leaves the output folder as it was).
#[derive(Debug)]
pub struct OutputDir {
    root: PathBuf,
    lock_path: PathBuf,
    lock: Option<Locked>,
    created: Vec<PathBuf>,
}

impl OutputDir {
    /// Create `root` if needed and lock it, waiting while another run holds it (`waiting` is
    /// called once when that happens).
    pub fn lock(root: &Path, waiting: &mut dyn FnMut()) -> Result<OutputDir, ReleaseError> {
        let mut created = Vec::new();
        let mut missing = Vec::new();
        let mut p = root.to_path_buf();
        while !p.as_os_str().is_empty() && !p.exists() {
            missing.push(p.clone());
            match p.parent() {
                Some(parent) => p = parent.to_path_buf(),
                None => break,
            }
        }
        for dir in missing.into_iter().rev() {
            match std::fs::create_dir(&dir) {
                Ok(()) => created.push(dir),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    let out = OutputDir { root: root.to_path_buf(), lock_path: PathBuf::new(), lock: None, created };
                    drop(out);
                    return Err(ReleaseError::Output { path: dir, cause: e });
                }
            }
        }
        let lock_path = root.join(LOCK_FILE);
        let mut out = OutputDir { root: root.to_path_buf(), lock_path: lock_path.clone(), lock: None, created };
        let locked = sys::lock_exclusive(&lock_path, true, waiting).map_err(out_err(&lock_path))?;
        out.lock = Some(locked);
        Ok(out)
    }

    /// The output folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<out>/<dataset>`.
    pub fn dataset_dir(&self, dataset: &str) -> PathBuf {
        self.root.join(dataset)
    }

    /// Staging folders left by runs that died (every staging folder is stale while the lock is held).
    pub fn stale_staging(&self) -> Result<Vec<PathBuf>, ReleaseError> {
        let mut v = Vec::new();
        for e in std::fs::read_dir(&self.root).map_err(out_err(&self.root))? {
            let e = e.map_err(out_err(&self.root))?;
            if e.file_name().to_string_lossy().starts_with(STAGING_PREFIX)
                && e.file_type().map(|t| t.is_dir()).unwrap_or(false)
            {
                v.push(e.path());
            }
        }
        v.sort();
        Ok(v)
    }

    /// Temporary `latest` links left in the dataset folders by a run killed while it replaced
    /// one (`<dataset>/.latest.new-<tag>`, made then renamed over `latest`; `.latest.txt.new-<tag>`
    /// where there are no links). Only entries of exactly that name (a 12-digit hex tag) that are
    /// a link or a file are taken: never a folder, so never a release.
    pub fn stray_temporaries(&self) -> Result<Vec<PathBuf>, ReleaseError> {
        let mut v = Vec::new();
        for d in std::fs::read_dir(&self.root).map_err(out_err(&self.root))? {
            let d = d.map_err(out_err(&self.root))?;
            let name = d.file_name().to_string_lossy().into_owned();
            // Dataset folders (a link to a folder writes where it points, so it is followed).
            if name.starts_with('.') || !d.path().is_dir() {
                continue;
            }
            let dir = d.path();
            for e in std::fs::read_dir(&dir).map_err(out_err(&dir))? {
                let e = e.map_err(out_err(&dir))?;
                let ours = is_latest_temp(&e.file_name().to_string_lossy())
                    && e.file_type().is_ok_and(|t| t.is_symlink() || t.is_file());
                if ours {
                    v.push(e.path());
                }
            }
        }
        v.sort();
        Ok(v)
    }

    /// Remove stale staging folders and stray temporary `latest` links, auditing it first
    /// (`cleanup` entry naming each staging folder and whether the log holds a `publishing`
    /// entry for its release, which was then never published, and each link). Returns the
    /// entry, or `None` when there was nothing to remove.
    pub fn remove_stale(
        &self,
        log: &JsonlLog,
        entries: &[Entry],
        operator: &str,
        time: &str,
        clock: Option<String>,
    ) -> Result<Option<Entry>, ReleaseError> {
        let stale = self.stale_staging()?;
        let links = self.stray_temporaries()?;
        if stale.is_empty() && links.is_empty() {
            return Ok(None);
        }
        let mut removed = Vec::new();
        for dir in &stale {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let id = name.trim_start_matches(STAGING_PREFIX).to_string();
            let publishing = entries
                .iter()
                .rev()
                .find(|e| e.record.release_id.as_deref() == Some(id.as_str()) && e.record.status == "publishing")
                .map(|e| e.seq);
            // A staging folder whose release folder was already renamed away was published.
            let state = match (publishing, dir.join("release").exists()) {
                (None, _) => "never recorded: the run died before its publishing entry",
                (Some(_), true) => "never published: the run died between its publishing entry and the rename",
                (Some(_), false) => "published: the run died after the rename",
            };
            removed.push(serde_json::json!({
                "folder": name,
                "release_id": id,
                "publishing_entry": publishing,
                "state": state,
            }));
        }
        let mut details = serde_json::Map::new();
        details.insert("output_dir".into(), self.root.display().to_string().into());
        details.insert("removed_staging".into(), removed.into());
        if !links.is_empty() {
            let names: Vec<String> =
                links.iter().map(|l| l.strip_prefix(&self.root).unwrap_or(l).display().to_string()).collect();
            details.insert("removed_temporaries".into(), names.into());
        }
        let entry = log.append(Record {
            time: time.into(),
            operator: operator.into(),
            action: "cleanup".into(),
            status: "ok".into(),
            details,
            clock,
            ..Default::default()
        })?;
        for dir in &stale {
            std::fs::remove_dir_all(dir).map_err(out_err(dir))?;
        }
        for link in &links {
            std::fs::remove_file(link).map_err(out_err(link))?;
            sys::sync_dir(sys::parent_of(link)).map_err(out_err(link))?;
        }
        sys::sync_dir(&self.root).map_err(out_err(&self.root))?;
        Ok(Some(entry))
    }

    /// Start staging release `release_id` of `dataset`.
    pub fn stage(&self, dataset: &str, release_id: &str) -> Result<Staging<'_>, ReleaseError> {
        let dir = self.root.join(format!("{STAGING_PREFIX}{release_id}"));
        std::fs::create_dir(&dir).map_err(out_err(&dir))?;
        let staging = Staging { out: self, dir, dataset: dataset.into(), release_id: release_id.into() };
        for d in [staging.release_dir(), staging.tmp_dir()] {
            std::fs::create_dir(&d).map_err(out_err(&d))?;
        }
        Ok(staging)
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if let Some(lock) = self.lock.take() {
            // Remove the lock file while holding it; a waiting run notices and locks afresh.
            let _ = std::fs::remove_file(&self.lock_path);
            drop(lock);
        }
        for dir in self.created.iter().rev() {
            if std::fs::remove_dir(dir).is_err() {
                break;
            }
        }
    }
}

/// A release being made: `<out>/.staging-<id>/release/` for its files and `.../tmp/` for
/// temporaries. Removed when dropped, so a failed run leaves nothing behind.
#[derive(Debug)]
pub struct Staging<'a> {
    out: &'a OutputDir,
    dir: PathBuf,
    dataset: String,
    release_id: String,
}

impl Staging<'_> {
    /// Where the release's files are written.
    pub fn release_dir(&self) -> PathBuf {
        self.dir.join("release")
    }

    /// Where temporary files (spill, shuffle buckets) go.
    pub fn tmp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    /// The release id.
    pub fn release_id(&self) -> &str {
        &self.release_id
    }

    /// Remove temporaries, make every release file durable and read-only, and list them with
    /// their SHA-256 (from `known`, the writer's hashes, else computed), sorted by name.
    pub fn seal(&self, known: &[(String, String)]) -> Result<Vec<(String, String)>, ReleaseError> {
        let tmp = self.tmp_dir();
        std::fs::remove_dir_all(&tmp).map_err(out_err(&tmp))?;
        let dir = self.release_dir();
        let mut files = Vec::new();
        for e in std::fs::read_dir(&dir).map_err(out_err(&dir))? {
            let e = e.map_err(out_err(&dir))?;
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            failpoint::hit("seal").map_err(out_err(&path))?;
            let f = std::fs::File::open(&path).map_err(out_err(&path))?;
            f.sync_all().map_err(out_err(&path))?;
            let mut perms = f.metadata().map_err(out_err(&path))?.permissions();
            perms.set_readonly(true);
            std::fs::set_permissions(&path, perms).map_err(out_err(&path))?;
            let hash = match known.iter().find(|(n, _)| *n == name) {
                Some((_, h)) => h.clone(),
                None => sys::sha256_file(&path).map_err(out_err(&path))?,
            };
            files.push((name, hash));
        }
        files.sort();
        sys::sync_dir(&dir).map_err(out_err(&dir))?;
        Ok(files)
    }
}

impl Drop for Staging<'_> {
    fn drop(&mut self) {
        if self.dir.exists() {
            let _ = std::fs::remove_dir_all(&self.dir);
            let _ = sys::sync_dir(&self.out.root);
        }
    }
}

/// A published release.
#[derive(Debug)]
pub struct Publication {
    /// Its folder.
    pub dir: PathBuf,
    /// Files and SHA-256, by name.
    pub files: Vec<(String, String)>,
    /// The `publishing` entry.
    pub publishing: Entry,
    /// The `published` entry, unless it could not be written.
    pub published: Option<Entry>,
    /// Problems after publication (the release is complete and recorded all the same).
    pub warnings: Vec<String>,
}

/// Where a release folder is recorded in the log: relative to the log's folder when inside it
/// (so moving both together keeps the record valid), else absolute.
pub fn recorded_dir(log: &JsonlLog, dir: &Path) -> String {
    let base = resolve(sys::parent_of(log.path()));
    let dir = resolve(dir);
    match dir.strip_prefix(&base) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => dir.display().to_string(),
    }
}

/// A recorded folder as a path.
pub fn recorded_path(log: &JsonlLog, recorded: &str) -> PathBuf {
    let p = Path::new(recorded);
    if p.is_absolute() { p.to_path_buf() } else { sys::parent_of(log.path()).join(p) }
}

/// Publish a staged release: seal it (`known`: hashes the writer already took), append `record`
/// as its `publishing` entry (status, files, hashes and folder filled in), rename the folder into
/// place, append `published` and point `latest` at it. If the `publishing` entry cannot be
/// written, nothing is published.
pub fn publish(
    staging: Staging<'_>,
    known: &[(String, String)],
    log: &JsonlLog,
    record: Record,
) -> Result<Publication, ReleaseError> {
    publish_with(staging, known, log, record, &mut |_: &Entry, _: &Path, _: &[(String, String)]| Ok(()))
}

/// What [`publish_with`] calls before the rename: the `publishing` entry, the final folder and
/// the sealed files (name, SHA-256); an error stops the publication.
pub type BeforeRename<'a> = dyn FnMut(&Entry, &Path, &[(String, String)]) -> Result<(), String> + 'a;

/// [`publish`], with `before_rename` called once the `publishing` entry is on disk and before
/// the folder is renamed into place (with that entry, the final folder and the sealed files):
/// the registry records the release there, so it is never visible without its row. If it
/// fails, nothing is published.
pub fn publish_with(
    staging: Staging<'_>,
    known: &[(String, String)],
    log: &JsonlLog,
    mut record: Record,
    before_rename: &mut BeforeRename<'_>,
) -> Result<Publication, ReleaseError> {
    let files = staging.seal(known)?;
    let dataset_dir = staging.out.dataset_dir(&staging.dataset);
    let dest = dataset_dir.join(&staging.release_id);
    match std::fs::metadata(&dataset_dir) {
        Ok(m) if !m.is_dir() => {
            return Err(ReleaseError::Output {
                path: dataset_dir,
                cause: std::io::Error::new(std::io::ErrorKind::NotADirectory, "is not a folder"),
            });
        }
        _ => {}
    }
    if std::fs::symlink_metadata(&dest).is_ok() {
        return Err(ReleaseError::Output {
            path: dest,
            cause: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "a release folder of that id exists"),
        });
    }
    record.status = "publishing".into();
    record.release_id = Some(staging.release_id.clone());
    record.dataset = Some(staging.dataset.clone());
    record.outputs = files.iter().map(|(n, h)| format!("{n}={h}")).collect();
    record.release_dir = Some(recorded_dir(log, &dest));
    let confirm = Record {
        time: record.time.clone(),
        operator: record.operator.clone(),
        action: record.action.clone(),
        status: "published".into(),
        job: record.job.clone(),
        dataset: record.dataset.clone(),
        release_id: record.release_id.clone(),
        release_dir: record.release_dir.clone(),
        clock: record.clock.clone(),
        ..Default::default()
    };
    failpoint::hit("before-publishing-entry").map_err(|e| AuditError::Io { path: log.path().into(), cause: e })?;
    let publishing = log.append(record)?;
    failpoint::hit("after-publishing-entry").map_err(out_err(&dest))?;
    before_rename(&publishing, &dest, &files).map_err(ReleaseError::Register)?;
    failpoint::hit("after-registering").map_err(out_err(&dest))?;
    if !dataset_dir.is_dir() {
        std::fs::create_dir_all(&dataset_dir).map_err(out_err(&dataset_dir))?;
        sys::sync_dir(staging.out.root()).map_err(out_err(staging.out.root()))?;
    }
    std::fs::rename(staging.release_dir(), &dest).map_err(out_err(&dest))?;
    // From here the release is visible and recorded: later problems are warnings, not failures.
    let mut warnings = Vec::new();
    if let Err(e) = sys::sync_dir(&dataset_dir).and_then(|_| failpoint::hit("after-rename")) {
        warnings.push(format!("the release folder's entry in {} may not be on disk yet: {e}", dataset_dir.display()));
    }
    let mut confirm = confirm;
    confirm.details.insert("publishing_entry".into(), publishing.seq.into());
    let published = match log.append(confirm) {
        Ok(e) => Some(e),
        Err(e) => {
            warnings.push(format!(
                "the release is published and recorded by audit entry {}, but its `published` entry could not be written ({e}); `tokumei audit verify` will show it as complete with the confirmation missing",
                publishing.seq
            ));
            None
        }
    };
    if let Err(e) =
        failpoint::hit("after-published-entry").and_then(|_| point_latest(&dataset_dir, &staging.release_id))
    {
        warnings.push(format!("could not update {}: {e}", dataset_dir.join(LATEST).display()));
    }
    if let Err(e) = failpoint::hit("after-latest") {
        warnings.push(format!("after publication: {e}"));
    }
    drop(staging);
    Ok(Publication { dir: dest, files, publishing, published, warnings })
}

/// Whether `name` is one of the temporary names [`point_latest`] uses: `.latest.new-<tag>` or
/// `.latest.txt.new-<tag>`, the tag 12 lowercase hex digits ([`sys::random_tag`]).
fn is_latest_temp(name: &str) -> bool {
    [format!(".{LATEST}.new-"), format!(".{LATEST}.txt.new-")].iter().any(|prefix| {
        name.strip_prefix(prefix.as_str())
            .is_some_and(|tag| tag.len() == 12 && tag.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    })
}

/// Point `<dataset dir>/latest` at `release_id`, atomically. A run killed between the link and
/// the rename leaves a `.latest.new-<tag>` link: the next run removes it under the output
/// folder's lock ([`OutputDir::remove_stale`]).
fn point_latest(dataset_dir: &Path, release_id: &str) -> std::io::Result<()> {
    failpoint::hit("latest")?;
    #[cfg(unix)]
    {
        let tmp = dataset_dir.join(format!(".{LATEST}.new-{}", sys::random_tag()));
        std::os::unix::fs::symlink(release_id, &tmp)?;
        if let Err(e) = failpoint::hit("latest-link").and_then(|()| std::fs::rename(&tmp, dataset_dir.join(LATEST))) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        sys::sync_dir(dataset_dir)
    }
    #[cfg(not(unix))]
    {
        sys::replace_atomic(&dataset_dir.join(format!("{LATEST}.txt")), format!("{release_id}\n").as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_in(dir: &Path) -> JsonlLog {
        let log = JsonlLog::new(dir.join("audit.log"));
        log.start("op", "2026-11-26T00:00:00Z", None).unwrap();
        log
    }

    fn record() -> Record {
        Record {
            time: "2026-11-26T00:00:01Z".into(),
            operator: "op".into(),
            action: "run".into(),
            status: "ok".into(),
            ..Default::default()
        }
    }

    #[cfg(unix)]
    #[test]
    fn stray_latest_links_are_removed_under_the_lock_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(dir.path());
        let root = dir.path().join("out");
        let ds = root.join("ds");
        std::fs::create_dir_all(ds.join("ds-1")).unwrap();
        std::fs::create_dir_all(ds.join(".latest.new-0123456789ab")).unwrap(); // a folder: never ours
        std::os::unix::fs::symlink("ds-1", ds.join(".latest.new-a1b2c3d4e5f6")).unwrap();
        std::os::unix::fs::symlink("ds-1", ds.join(".latest.new-nothex")).unwrap();
        std::fs::write(ds.join("notes.txt"), b"x").unwrap();
        let out = OutputDir::lock(&root, &mut || {}).unwrap();
        assert_eq!(out.stray_temporaries().unwrap(), vec![ds.join(".latest.new-a1b2c3d4e5f6")]);
        let entry = out.remove_stale(&log, &log.entries().unwrap(), "op", "2026-11-26T00:00:02Z", None).unwrap();
        let entry = entry.expect("a cleanup entry");
        assert_eq!(entry.record.details["removed_temporaries"], serde_json::json!(["ds/.latest.new-a1b2c3d4e5f6"]));
        assert!(std::fs::symlink_metadata(ds.join(".latest.new-a1b2c3d4e5f6")).is_err());
        for kept in ["ds-1", ".latest.new-0123456789ab", ".latest.new-nothex", "notes.txt"] {
            assert!(std::fs::symlink_metadata(ds.join(kept)).is_ok(), "{kept}");
        }
        assert!(out.remove_stale(&log, &log.entries().unwrap(), "op", "2026-11-26T00:00:03Z", None).unwrap().is_none());
    }

    #[test]
    fn a_release_is_published_whole_after_its_entry() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(dir.path());
        let out = OutputDir::lock(&dir.path().join("out/a/b"), &mut || {}).unwrap();
        let staging = out.stage("ds", "ds-1").unwrap();
        std::fs::write(staging.release_dir().join("x.parquet"), b"data").unwrap();
        std::fs::write(staging.release_dir().join("report.json"), b"{}").unwrap();
        std::fs::write(staging.tmp_dir().join("spill"), b"tmp").unwrap();
        let p = publish(staging, &[], &log, record()).unwrap();
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.dir, dir.path().join("out/a/b/ds/ds-1"));
        let names: Vec<&str> = p.files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["report.json", "x.parquet"]);
        assert!(std::fs::metadata(p.dir.join("x.parquet")).unwrap().permissions().readonly());
        let entries = log.entries().unwrap();
        assert_eq!(entries[1].record.status, "publishing");
        assert_eq!(entries[1].record.release_dir.as_deref(), Some("out/a/b/ds/ds-1"));
        assert_eq!(entries[2].record.status, "published");
        #[cfg(unix)]
        assert_eq!(std::fs::read_link(dir.path().join("out/a/b/ds/latest")).unwrap(), Path::new("ds-1"));
        let logged = check_logged(&log, &entries);
        assert_eq!(logged.len(), 1);
        assert_eq!(logged[0].state, DiskState::Matches);
        assert!(logged[0].published);
        drop(out);
        assert!(!dir.path().join("out/a/b").join(LOCK_FILE).exists());
        assert!(
            dir.path().join("out/a/b").read_dir().unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(STAGING_PREFIX))
        );
    }

    #[test]
    fn a_failed_run_leaves_no_folder_it_created() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("new/out");
        {
            let out = OutputDir::lock(&root, &mut || {}).unwrap();
            let staging = out.stage("ds", "ds-1").unwrap();
            std::fs::write(staging.release_dir().join("x"), b"1").unwrap();
        }
        assert!(!dir.path().join("new").exists());
    }

    #[test]
    fn an_unwritable_log_publishes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(dir.path());
        std::fs::write(log.path(), b"torn").unwrap();
        let out = OutputDir::lock(&dir.path().join("out"), &mut || {}).unwrap();
        let staging = out.stage("ds", "ds-1").unwrap();
        std::fs::write(staging.release_dir().join("x"), b"1").unwrap();
        assert!(matches!(publish(staging, &[], &log, record()), Err(ReleaseError::Audit(_))));
        assert!(!dir.path().join("out/ds/ds-1").exists());
        assert!(out.stale_staging().unwrap().is_empty());
    }

    #[test]
    fn stale_staging_is_removed_and_audited() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(dir.path());
        std::fs::create_dir_all(dir.path().join("out/.staging-ds-9/release")).unwrap();
        let out = OutputDir::lock(&dir.path().join("out"), &mut || {}).unwrap();
        let entry =
            out.remove_stale(&log, &log.entries().unwrap(), "op", "2026-11-26T00:00:02Z", None).unwrap().unwrap();
        assert_eq!(entry.record.action, "cleanup");
        assert_eq!(entry.record.details["removed_staging"][0]["release_id"], "ds-9");
        assert!(out.stale_staging().unwrap().is_empty());
        assert!(out.remove_stale(&log, &[], "op", "2026-11-26T00:00:03Z", None).unwrap().is_none());
    }

    #[test]
    fn paths_inside_the_release_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let ok = dir.path().join("out/input.csv");
        check_overlap(&out, "ds", &[("input", &ok)]).unwrap();
        for bad in [
            dir.path().join("out/ds/input.parquet"),
            dir.path().join("out/x/../ds/r1/audit.log"),
            dir.path().join("out/.tokumei.lock"),
            dir.path().join("out/.staging-1/a"),
            dir.path().to_path_buf(),
        ] {
            assert!(matches!(check_overlap(&out, "ds", &[("input", &bad)]), Err(ReleaseError::Paths(_))), "{bad:?}");
        }
    }
}

/// House rules ([`tokumei_house`], docs/design.md): no module of this crate names one that names
/// it back, at any distance.
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
