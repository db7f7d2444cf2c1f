//! The registry is checked before every act: a registry is used only once it is proved to be
//! what tokumei's own changes and the audit log say.
//!
//! The proof is cheap when nothing happened outside tokumei. After every change commits, the
//! change's confirmation in the audit log (`registry-committed`) carries the SHA-256 of the
//! whole registry file as the change left it (its write-ahead log folded in first) and the
//! file's stamp (device, inode, size, modification and change times): the registry's *seal*.
//! Before an act the registry reads the audit log back from its end to this registry's newest
//! seal; the same stamp (the kernel sets the change time on every write; no user can set it
//! back) or, failing that, the same hash of the file with its write-ahead log folded in, and
//! the file is byte for byte what tokumei last left and proved, so no row can have been edited, added,
//! deleted or the file replaced by an older copy. Anything else (an edit with `sqlite3`, a
//! restored backup, a crash between a commit and its confirmation, a `VACUUM`) leads to the full
//! check ([`Registry::verify`] against the whole audit log, under the write lock so no change is
//! half-way): every row against the hash its last change recorded, every change against its
//! audit entry, every audit entry of this registry against its change. A registry that passes
//! it is sealed again (`registry-verified`); one that does not is refused with its problems
//! named ([`RegistryError::Tampered`], exit 9) until it is restored, or an officer records a
//! reasoned reset ([`Registry::reset`]), itself a registry change in the audit log.
//!
//! Every change also proves the registry first, just before its own transaction, so a change
//! never seals what someone else edited while a long run held the registry open.

use crate::refuse;
use crate::{COMMITTED, LOST, Registry, RegistryError, Who, db_err};
use serde_json::{Map, Value};
use tokumei_audit::{Entry, JsonlLog, Record};

/// Audit action sealing a registry that passed the full check.
pub(crate) const VERIFIED: &str = "registry-verified";

/// Audit action recording that a registry is gone for good (deleted, lost), with its reason:
/// runs that relied on it may run without it again.
pub const RETIRED: &str = "registry-retired";

/// Record in `log`, with its reason, that the registry once at `path` is gone (the place is
/// retired, and every registry the log says was created there). Returns the ids retired.
pub fn retire(
    log: &std::path::Path,
    path: &std::path::Path,
    who: &Who,
    reason: &str,
) -> Result<Vec<String>, RegistryError> {
    let reason = reason.trim();
    if reason.chars().count() < 10 {
        return Err(refuse::value(
            "a reset needs its reason (at least 10 characters: what happened, what was checked, who decided)",
        ));
    }
    if path.exists() {
        return Err(refuse::state(format!("registry {} exists: reset it, do not retire it", path.display())));
    }
    let log = JsonlLog::new(log);
    // The log and the logs it continues: a registry created before a rotation is known too.
    let (logs, _) = log_chain(&log)?;
    let entries: Vec<Entry> = logs.into_iter().flatten().collect();
    let id_of = |e: &Entry| e.record.details.get("registry").and_then(Value::as_str).map(String::from);
    let retired: std::collections::BTreeSet<String> =
        entries.iter().filter(|e| e.record.action == RETIRED).filter_map(id_of).collect();
    let at = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    // The place as runs record it (symbolic links resolved: the file is gone, its folder not).
    let canonical = path
        .file_name()
        .and_then(|name| std::fs::canonicalize(tokumei_audit::sys::parent_of(path)).ok().map(|d| d.join(name)))
        .unwrap_or_else(|| at.clone());
    let places = [at.display().to_string(), canonical.display().to_string()];
    let text = |e: &Entry, k: &str| e.record.details.get(k).and_then(Value::as_str).map(String::from);
    // The registries created at that place (their creation records it), or whose requests a
    // run applied there.
    let ids: std::collections::BTreeSet<String> = entries
        .iter()
        .filter_map(|e| {
            if e.record.action == COMMITTED && text(e, "path").is_some_and(|p| places.contains(&p)) {
                id_of(e)
            } else if text(e, "requests_registry").is_some_and(|p| places.contains(&p)) {
                text(e, "requests_registry_id")
            } else {
                None
            }
        })
        .filter(|id| !retired.contains(id))
        .collect();
    let mut details = Map::new();
    details.insert("path".into(), Value::String(at.display().to_string()));
    if canonical != at {
        details.insert("canonical_path".into(), Value::String(canonical.display().to_string()));
    }
    details.insert("reason".into(), Value::String(reason.to_string()));
    let mut records = Vec::new();
    for id in ids.iter().map(Some).chain(ids.is_empty().then_some(None)) {
        let mut d = details.clone();
        if let Some(id) = id {
            d.insert("registry".into(), Value::String(id.clone()));
        }
        records.push(Record {
            time: who.time.clone(),
            operator: who.operator.clone(),
            action: RETIRED.into(),
            status: "ok".into(),
            details: d,
            clock: who.clock.clone(),
            ..Default::default()
        });
    }
    for r in records {
        log.append(r)?;
    }
    Ok(ids.into_iter().collect())
}

/// Audit action of an officer's reasoned reset (its journal action is `reset`).
pub(crate) const RESET_ACTION: &str = "reset";

/// What the file system says of a registry file: any write moves it (the change time is set by
/// the kernel and cannot be set back by a user), so an unchanged stamp with an empty write-ahead
/// log means unchanged bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}.{:09}:{}.{:09}",
            self.dev, self.ino, self.len, self.mtime.0, self.mtime.1, self.ctime.0, self.ctime.1
        )
    }
}

impl Stamp {
    /// Whether the file system keeps times finer than seconds (else a write within the same
    /// second could keep the stamp, and only the file's hash proves it).
    pub(crate) fn fine(&self) -> bool {
        self.ctime.1 != 0 || self.mtime.1 != 0
    }

    /// The stamp of `path` (`None`: unreadable, or its write-ahead log holds pages).
    pub(crate) fn of(path: &std::path::Path) -> Option<Stamp> {
        let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            return None;
        }
        std::fs::metadata(path).ok().map(|m| Stamp::from_meta(&m))
    }

    /// The stamp of an opened file's metadata.
    pub(crate) fn from_meta(m: &std::fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }
}

/// How a registry was proved before an act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// The file is exactly as tokumei last sealed it.
    Sealed,
    /// The full check ran (the seal did not match, or there was none) and passed; the registry
    /// is sealed again.
    Full,
}

impl Registry {
    /// Prove the registry before acting on it (the module's doc says how). `Err(Tampered)`
    /// names every problem found; the registry must not be used then.
    pub fn prove(&mut self) -> Result<Proof, RegistryError> {
        let log = JsonlLog::new(self.audit_log()?);
        if !log.exists()? {
            return Err(RegistryError::Tampered {
                path: self.path.clone(),
                problems: vec![format!(
                    "its audit log {} does not exist: the registry cannot be proved (restore the log)",
                    log.path().display()
                )],
            });
        }
        let me = self.id()?;
        // A registry whose log is kept outside its folder must be where its log says it lives:
        // a copy must not write into the original's log (nor prove by the original's seals).
        if self.log_outside()? {
            let tail = log.tail_until(|e| mine(e, &me) && recorded_place(e).is_some())?;
            let newest = tail.iter().rev().find(|e| mine(e, &me) && recorded_place(e).is_some());
            if let Some(problem) = newest.and_then(|e| self.place_problem(e, log.path())) {
                return Err(RegistryError::Tampered { path: self.path.clone(), problems: vec![problem] });
            }
        }
        // Read before the file is hashed: a commit of another connection after it is seen by
        // the next change's transaction (which then checks the registry again).
        let version = self.data_version()?;
        if let Some(proved) = self.seal_matches(&log, &me)? {
            self.proved = Some(proved);
            self.proved_version = Some(version);
            return Ok(Proof::Sealed);
        }
        self.full_check(&log)?;
        Ok(Proof::Full)
    }

    /// The file's hash (and stamp) when it is what this registry's newest seal in `log` says.
    fn seal_matches(&self, log: &JsonlLog, me: &str) -> Result<Option<(String, Stamp)>, RegistryError> {
        let tail = log.tail_until(|e| mine(e, me))?;
        let newest = tail.first().filter(|e| mine(e, me));
        let seal = newest.filter(|e| e.record.action == COMMITTED || e.record.action == VERIFIED);
        // Not written since it was sealed (its stamp, set by the kernel, is the same): the
        // bytes are the sealed ones, without reading them.
        if let Some(e) = seal
            && let (Some(sha), Some(then)) = (
                e.record.details.get("file_sha256").and_then(Value::as_str),
                e.record.details.get("file_stamp").and_then(Value::as_str),
            )
            && let Some(now) = Stamp::of(&self.path).filter(Stamp::fine)
            && now.to_string() == then
            // ... and it is the file this connection opened.
            && self.file_id == Some((now.dev, now.ino))
        {
            return Ok(Some((sha.to_string(), now)));
        }
        let Some((file, stamp)) = self.hashed()? else { return Ok(None) };
        let sealed = seal.is_some_and(|e| {
            (e.record.action == COMMITTED || e.record.action == VERIFIED)
                && e.record.details.get("file_sha256").and_then(Value::as_str) == Some(file.as_str())
        });
        Ok(sealed.then_some((file, stamp)))
    }

    /// The full check under the write lock (no change is half-way meanwhile); sealed when it
    /// passes.
    fn full_check(&mut self, log: &JsonlLog) -> Result<(), RegistryError> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| self.db(e))?;
        // The state checked: the seal must not cover a commit of another connection after it.
        let version = self.data_version();
        let checked = (|| {
            // A change whose process died before its commit is recorded as lost first (the
            // previous state is intact: that is not a problem).
            crate::record_lost_change(&self.conn, &system_who())?;
            let (logs, mut problems) = log_chain(log)?;
            problems.extend(verify_on(self, &logs)?);
            Ok::<_, RegistryError>(problems)
        })();
        // Nothing was written: the transaction only held the write lock.
        self.conn.execute_batch("ROLLBACK").map_err(|e| self.db(e))?;
        let problems = checked?;
        if !problems.is_empty() {
            return Err(RegistryError::Tampered { path: self.path.clone(), problems });
        }
        let version = version?;
        // Rows that migrations added to a registry made before them: recorded now, by one change
        // made on the state just checked (its seal then proves the registry).
        let unrecorded = self.unrecorded_migration_rows()?;
        if !unrecorded.is_empty() {
            self.checked_version = Some(version);
            let done = self.change(&system_who(), "schema-upgrade", "rows added by schema migrations", |_| {
                Ok(((), unrecorded.iter().map(|k| ("meta", k.clone())).collect()))
            });
            self.checked_version = None;
            return done;
        }
        let sealed = self.write_seal(log, VERIFIED, None, Some(version))?;
        self.proved = sealed
            .record
            .details
            .get("file_sha256")
            .and_then(Value::as_str)
            .zip(Stamp::of(&self.path))
            .map(|(h, st)| (h.to_string(), st));
        self.proved_version = Some(version);
        Ok(())
    }

    /// Append a seal of the file as it is now (`action`: a confirmed commit or a passed full
    /// check), with `details` beside it. Without a file hash (another connection held the
    /// write-ahead log) the entry carries none and the next act runs the full check.
    pub(crate) fn write_seal(
        &self,
        log: &JsonlLog,
        action: &str,
        base: Option<(&Who, Map<String, Value>)>,
        since: Option<i64>,
    ) -> Result<Entry, RegistryError> {
        let (who, mut details) = match base {
            Some((w, d)) => (w.clone(), d),
            None => (system_who(), Map::new()),
        };
        details.insert("registry".into(), Value::String(self.id()?));
        // Where the registry lives (the place a copy elsewhere is refused against).
        details.insert("registry_path".into(), Value::String(place(&self.path).display().to_string()));
        let last_change: Option<i64> =
            self.conn.query_row("SELECT max(id) FROM changes", [], |r| r.get(0)).map_err(|e| self.db(e))?;
        details.entry("change").or_insert(Value::from(last_change.unwrap_or(0)));
        if self.seals
            && let Some((sha, stamp)) = self.hashed()?
            // Another connection committed since the state this seal vouches for was made or
            // checked (`since`, read inside that transaction): its edit is in the file now, and
            // no seal may cover it (the next act runs the full check).
            && since.is_none_or(|v| self.data_version().is_ok_and(|now| now == v))
        {
            details.insert("file_sha256".into(), Value::String(sha));
            if stamp.fine() {
                details.insert("file_stamp".into(), Value::String(stamp.to_string()));
            }
        }
        Ok(log.append(Record {
            time: who.time.clone(),
            operator: who.operator.clone(),
            action: action.into(),
            status: "ok".into(),
            details,
            clock: who.clock.clone(),
            ..Default::default()
        })?)
    }

    /// SQLite's `data_version`: it changes when another connection commits (never for this
    /// connection's own commits).
    pub(crate) fn data_version(&self) -> Result<i64, RegistryError> {
        self.conn.query_row("PRAGMA data_version", [], |r| r.get(0)).map_err(|e| self.db(e))
    }

    /// SHA-256 of the registry file with its write-ahead log folded in, and the file's stamp
    /// taken before it was read (`None`: another connection is reading, so the file alone is
    /// not the registry's state now).
    pub(crate) fn hashed(&self) -> Result<Option<(String, Stamp)>, RegistryError> {
        let busy: i64 =
            self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0)).map_err(|e| self.db(e))?;
        if busy != 0 {
            return Ok(None);
        }
        let wal = std::path::PathBuf::from(format!("{}-wal", self.path.display()));
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            return Ok(None);
        }
        // The file at the path must be the one this connection reads and writes: a file put in
        // its place (renamed over it) while it was open is not the registry that was checked.
        let mut file = std::fs::File::open(&self.path).map_err(|e| db_err(&self.path, e))?;
        let opened = file.metadata().map_err(|e| db_err(&self.path, e))?;
        if self.file_id != Some(file_id(&opened)) {
            return Err(RegistryError::Tampered {
                path: self.path.clone(),
                problems: vec![
                    "the registry file was replaced (another file put at its path) while tokumei had it open".into(),
                ],
            });
        }
        let stamp = Stamp::from_meta(&opened);
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = std::io::Read::read(&mut file, &mut buf).map_err(|e| db_err(&self.path, e))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(Some((hex::encode(h.finalize()), stamp)))
    }

    /// An officer's reasoned reset of a registry that fails its check (restored from a backup
    /// older than the audit log, rows edited outside tokumei that the officer has reviewed):
    /// one registry change, audited with the reason and every problem it accepts, that
    /// records the hash of every row as it is now. Audit entries of this registry's changes
    /// that the registry no longer has, before the reset, are accepted as lost from then on.
    /// Refused when there is nothing to reset, or without a reason.
    pub fn reset(&mut self, who: &Who, reason: &str) -> Result<Vec<String>, RegistryError> {
        let reason = reason.trim();
        if reason.chars().count() < 10 {
            return Err(refuse::value(
                "a reset needs its reason (at least 10 characters: what happened, what was checked, who decided)",
            ));
        }
        let log = JsonlLog::new(self.audit_log()?);
        // The state the problems are found on: the reset is refused if another connection
        // commits before its transaction (its edit would be recorded without being listed).
        let version = self.data_version()?;
        let scan = log.scan()?;
        if let Some(broken) = scan.broken {
            return Err(RegistryError::Audit(broken));
        }
        let (logs, chain) = log_chain(&log)?;
        if let Some(first) = chain.first() {
            return Err(refuse::value(format!("{first}: a reset needs an intact audit log")));
        }
        let mut problems = verify_on(self, &logs)?;
        // A registry found elsewhere than its log records (its log outside its folder): the
        // reset records that it lives here now.
        let chain: Vec<&[Entry]> = logs.iter().map(Vec::as_slice).collect();
        problems.extend(self.place_problems(&chain, log.path())?);
        if problems.is_empty() {
            return Err(refuse::state("the registry passes its check: there is nothing to reset"));
        }
        // A trigger or view keeps acting after a reset: it must be removed, never accepted.
        if let Some(schema) = problems.iter().find(|p| p.starts_with("schema:")) {
            return Err(refuse::state(format!(
                "{schema}: remove it (or restore the registry) before a reset; a reset never accepts a trigger or a view"
            )));
        }
        // A reset records rows as they are and accepts changes lost before it; anything else (a
        // journal row unlike its audit entry, an id counter set back, requests or incidents
        // unlike what they put in force, the subject index, SQLite's own check) would still be
        // found after it, while its seal let acts go on: refused, naming what remains.
        let remains: Vec<&String> = problems.iter().filter(|p| !reset_cures(p)).collect();
        if !remains.is_empty() {
            let shown: Vec<&str> = remains.iter().take(5).map(|p| p.as_str()).collect();
            return Err(refuse::state(format!(
                "a reset cannot accept {} problem(s) (restore the registry and its audit log from a backup instead): {}",
                remains.len(),
                shown.join("; ")
            )));
        }
        let accepted = problems.clone();
        self.resetting = true;
        self.checked_version = Some(version);
        let shown: Vec<String> = accepted.iter().take(20).cloned().collect();
        let more = if accepted.len() > 20 { format!("; and {} more", accepted.len() - 20) } else { String::new() };
        let subject = format!("{reason} (accepts {} problem(s): {}{more})", accepted.len(), shown.join("; "));
        let done = self.change(who, RESET_ACTION, &subject, |tx| {
            let mut touched: Vec<(&'static str, String)> = Vec::new();
            for (table, key_cols) in crate::TRACKED {
                for row in
                    crate::table_rows(tx, table, Some(key_cols)).map_err(|e| db_err(std::path::Path::new(""), e))?
                {
                    touched.push((table, crate::row_key(&row, key_cols)));
                }
            }
            // Rows recorded by earlier changes and gone now are recorded as gone.
            let recorded = crate::recorded_rows(tx).map_err(|e| db_err(std::path::Path::new(""), e))?;
            for ((table, key), (sha, _)) in recorded {
                if sha.is_some()
                    && let Some((t, _)) = crate::TRACKED.iter().find(|(t, _)| *t == table)
                    && !touched.iter().any(|(tt, k)| tt == t && *k == key)
                {
                    touched.push((t, key));
                }
            }
            Ok(((), touched))
        });
        self.resetting = false;
        self.checked_version = None;
        done?;
        Ok(accepted)
    }
}

/// The entries of `log` and of the logs it continues (`tokumei audit rotate`: each archive
/// named by the first entry of the log after it and checked against its recorded SHA-256),
/// oldest log first, with the problems found on the way (a break in a log, an archive missing
/// or changed). A break that the rotation itself recorded is not found again.
pub fn log_chain(log: &JsonlLog) -> Result<(Vec<Vec<Entry>>, Vec<String>), RegistryError> {
    let mut problems = Vec::new();
    let scan = log.scan()?;
    if let Some(broken) = &scan.broken {
        problems.push(format!("audit log: {broken}"));
    }
    let mut logs = vec![scan.entries];
    let mut current = log.clone();
    // A bound on the chain (a loop of archives naming each other).
    for _ in 0..1000 {
        let first = logs.last().and_then(|l| l.first()).cloned();
        let Some(previous) = tokumei_audit::anchor::previous(&current, logs.last().map_or(&[][..], |l| l.as_slice()))
        else {
            break;
        };
        let previous = match previous {
            Ok(p) => p,
            Err(e) => {
                problems.push(format!("audit log: {e}"));
                break;
            }
        };
        let scan = previous.scan()?;
        let recorded_intact = first
            .as_ref()
            .and_then(|f| f.record.details.get("previous_state"))
            .and_then(Value::as_str)
            .is_none_or(|s| s == "intact");
        if let Some(broken) = &scan.broken
            && recorded_intact
        {
            problems.push(format!("audit log {}: {broken}", previous.path().display()));
        }
        logs.push(scan.entries);
        current = previous;
    }
    logs.reverse();
    Ok((logs, problems))
}

impl Registry {
    /// Meta rows a migration added that no change recorded yet.
    fn unrecorded_migration_rows(&self) -> Result<Vec<String>, RegistryError> {
        let recorded = crate::recorded_rows(&self.conn).map_err(|e| db_err(&self.path, e))?;
        let mut out = Vec::new();
        for key in crate::MIGRATION_META {
            let exists: i64 = self
                .conn
                .query_row("SELECT count(*) FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .map_err(|e| db_err(&self.path, e))?;
            if exists > 0 && !recorded.contains_key(&("meta".to_string(), key.to_string())) {
                out.push(key.to_string());
            }
        }
        Ok(out)
    }
}

/// Whether a problem [`Registry::verify`] reports is one that a reset makes good: a row as it is
/// now (recorded by the reset), or an audit entry of a change lost before the reset.
fn reset_cures(problem: &str) -> bool {
    let row = problem.contains(" row ")
        && (problem.ends_with(": no change made it (added outside tokumei)")
            || problem.ends_with("(edited outside tokumei)")
            || problem.ends_with("now missing (deleted outside tokumei)"));
    row || problem.starts_with("audit entry ") || problem.starts_with(PLACE)
}

/// Where an entry of a registry records the registry living: its seals (`registry_path`), or
/// its creation (`path`, before seals carried the place).
pub(crate) fn recorded_place(e: &Entry) -> Option<&str> {
    let text = |k: &str| e.record.details.get(k).and_then(Value::as_str);
    text("registry_path").or_else(|| (e.record.action == COMMITTED).then(|| text("path")).flatten())
}

/// The absolute place of a registry file (not resolving links: as recorded).
fn place(path: &std::path::Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A problem starting with this is a registry found at another place than its log records.
pub(crate) const PLACE: &str = "place:";

impl Registry {
    /// Whether the registry's audit log is kept outside its folder (stored as an absolute path):
    /// then the log is shared by every copy of the file, and the registry must know its place.
    pub(crate) fn log_outside(&self) -> Result<bool, RegistryError> {
        let stored = self.meta("audit_log")?.ok_or_else(|| self.err("names no audit log"))?;
        Ok(std::path::Path::new(&stored).is_absolute())
    }

    /// The problem when `newest` (this registry's newest entry recording a place) records it
    /// elsewhere than where it is now.
    pub(crate) fn place_problem(&self, newest: &Entry, log: &std::path::Path) -> Option<String> {
        let then = recorded_place(newest)?;
        let now = place(&self.path);
        let same = now.display().to_string() == then
            || matches!(
                (std::fs::canonicalize(then), std::fs::canonicalize(&self.path)),
                (Ok(a), Ok(b)) if a == b
            );
        (!same).then(|| {
            format!(
                "{PLACE} the registry is at {}, but audit entry {} of its audit log {} records it at {then}: a copy (or a moved registry) whose audit log is kept outside its folder would write into the original's log; put it back, or record that it lives here now with `tokumei registry reset --registry {} --reason ...`",
                now.display(),
                newest.seq,
                log.display(),
                now.display()
            )
        })
    }

    /// [`Registry::place_problem`] against the whole log chain (for a reset, which records the
    /// new place; `registry verify` checks the rows, which a copy keeps intact).
    pub(crate) fn place_problems(
        &self,
        logs: &[&[Entry]],
        log: &std::path::Path,
    ) -> Result<Vec<String>, RegistryError> {
        if !self.log_outside()? {
            return Ok(Vec::new());
        }
        let me = self.id()?;
        let newest =
            logs.iter().rev().flat_map(|l| l.iter().rev()).find(|e| mine(e, &me) && recorded_place(e).is_some());
        Ok(newest.and_then(|e| self.place_problem(e, log)).into_iter().collect())
    }
}

/// A file's identity (device, inode).
pub(crate) fn file_id(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

/// [`Registry::verify`] (kept beside the seal so the proof and the reset read the same way).
fn verify_on(reg: &Registry, logs: &[Vec<Entry>]) -> Result<Vec<String>, RegistryError> {
    let logs: Vec<&[Entry]> = logs.iter().map(Vec::as_slice).collect();
    reg.verify_logs(&logs)
}

/// Whether `e` is a registry entry of registry `me` (a change, its confirmation or loss, a seal).
pub(crate) fn mine(e: &Entry, me: &str) -> bool {
    e.record.action.starts_with("registry-") && e.record.details.get("registry").and_then(Value::as_str) == Some(me)
}

/// Whether a registry entry is one of the bookkeeping entries (not a change).
pub(crate) fn bookkeeping(action: &str) -> bool {
    action == COMMITTED || action == LOST || action == VERIFIED
}

/// The caller's clock for the registry's own entries, set once ([`use_clock`]).
static CLOCK: std::sync::OnceLock<fn() -> Option<Who>> = std::sync::OnceLock::new();

/// Use `clock` for the entries the registry writes when no officer acts (a seal after a full
/// check, a change recorded as lost, the schema upgrade's journal row): the caller's run clock
/// (`TOKUMEI_NOW` in tests and replays), so every time the registry records is on one clock.
/// Set once per process (later calls are ignored); `None` from it: the system clock.
pub fn use_clock(clock: fn() -> Option<Who>) {
    let _ = CLOCK.set(clock);
}

/// The process itself, for a seal written by a check (no officer acted): at the caller's clock
/// ([`use_clock`]), else the system clock.
pub(crate) fn system_who() -> Who {
    if let Some(who) = CLOCK.get().and_then(|clock| clock()) {
        return who;
    }
    let unix =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let day = crate::deadline::from_day_number(unix.div_euclid(86_400));
    let s = unix.rem_euclid(86_400);
    Who {
        operator: "tokumei".into(),
        time: format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60),
        clock: None,
    }
}
