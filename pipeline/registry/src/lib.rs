//! The registry: one SQLite file that knows the municipality, its personal-information files
//! (個人情報ファイル簿), and later its recipients, contracts and releases.
//!
//! Every change is one transaction that also writes a journal row ([`Change`]) and appends an
//! entry to the audit chain before it commits; the journal keeps the SHA-256 of every row the
//! change left, so [`Registry::verify`] finds a row edited outside tokumei, a change without its
//! audit entry, and an audit entry whose change never committed (a crash between the two).
//! The file is created owner-only, in WAL mode with full sync; the schema is versioned
//! ([`schema`]).

mod book;
mod calls;
mod check;
mod contracts;
pub mod deadline;
mod decide;
mod erasure;
mod files;
mod incidents;
mod profile;
mod propose;
mod provisions;
mod refuse;
mod releases;
mod requests;
mod schema;
mod seal;
mod timeline;
mod verify;

pub use book::{FileBook, file_book};
pub use calls::{Call, MIN_CALL_DAYS, fiscal_year};
pub use contracts::{
    Check, ColumnGrant, FeeBasis, Proposal, ProposalKind, REUSE_REVIEW_ITEMS, REVIEW_ITEMS, Recipient, RecipientMatch,
    ReleasedColumn, Review, State, StoredContract, Transition, parse_hours,
};
pub use decide::SUSPENSION_GROUNDS;
pub use erasure::{CopyStatus, ErasureToDo, InternalCopy};
pub use files::{ELIGIBLE_PEOPLE, FileEntry, FileKind, FileRules, StoredFile};
pub use incidents::{
    Assessment, Cause, CountingUsed, EXCEPTION_GROUNDS, EventKind, Filing, IncidentCounting, IncidentEntry, Item,
    NOTICE_METHODS, Notice, NoticeCounts, ReportText, STAGES, ScopeEntry, ScopeFound, StoredIncident, Trigger, assess,
    due_dates, my_number_draft, report_draft,
};
pub use profile::{Actor, BodyKind, OrdinanceGround, Profile};
pub use provisions::{Provision, Purged};
pub use refuse::{Refusal, RefusalKind};
pub use releases::{Destruction, NewRelease, OutputFile, ReleaseMark, StoredRelease};
pub use requests::{
    Capacity, CarriedOut, CorrectionAsked, Decision, Draft, Event, Extension, FileSource, GROUNDS, InForce, Kind,
    MatchBy, Matched, Measure, NOTICE_KINDS, ReleaseBefore, RequestEntry, StoredRequest, Withheld, is_my_number_column,
    normalize_subject, package_digest,
};
pub use seal::{Proof, RETIRED, log_chain, retire, use_clock};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokumei_audit::{JsonlLog, Record};

/// What can go wrong with the registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry file is missing.
    #[error("registry {0}: does not exist (create it with `tokumei registry init`)")]
    Missing(PathBuf),
    /// `init` on a file that exists.
    #[error("registry {0}: already exists (a registry is never replaced)")]
    Exists(PathBuf),
    /// SQLite failed (not a registry, locked, disk full...).
    #[error("registry {path}: {message}")]
    Db {
        /// The registry file.
        path: PathBuf,
        /// What SQLite said.
        message: String,
    },
    /// The file was made by a newer tokumei.
    #[error("registry {path}: schema version {found} is newer than this tokumei knows ({known}); use a newer tokumei")]
    TooNew {
        /// The registry file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// A request the registry refuses (unknown file, duplicate, failed check...), typed by
    /// kind ([`RefusalKind`]).
    #[error("{0}")]
    Refused(Refusal),
    /// An entry file (TOML) could not be read or is invalid.
    #[error("{path}: {message}")]
    Entry {
        /// The entry file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The registry is not what tokumei's changes and the audit log say (rows edited, added or
    /// deleted outside tokumei, an older copy, a missing log): it is not used until restored
    /// or reset by an officer (`tokumei registry reset`).
    #[error("registry {path}: {} problem(s) found before acting, nothing was done: {}\n  hint: `tokumei registry verify` lists them; restore the registry (and its audit log) from a backup, or record a reasoned reset with `tokumei registry reset --reason ...`", problems.len(), problems.iter().take(5).cloned().collect::<Vec<_>>().join("; "))]
    Tampered {
        /// The registry file.
        path: PathBuf,
        /// What was found.
        problems: Vec<String>,
    },
    /// The audit log refused the entry (the change was not made).
    #[error("audit log: {0}")]
    Audit(#[from] tokumei_audit::AuditError),
}

impl RegistryError {
    /// The refusal, when the registry refused the request (not when it failed).
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            RegistryError::Refused(r) => Some(r),
            _ => None,
        }
    }

    /// The kind of refusal, when the registry refused the request.
    pub fn kind(&self) -> Option<RefusalKind> {
        self.refusal().map(|r| r.kind)
    }
}

/// Who makes a change, and when (RFC 3339, UTC).
#[derive(Debug, Clone)]
pub struct Who {
    /// Operator recorded in the journal and the audit entry.
    pub operator: String,
    /// Time of the change.
    pub time: String,
    /// A note on the clock for the audit entry (a test clock), if any.
    pub clock: Option<String>,
}

/// A journal row: one change of the registry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    /// Sequence number of the change.
    pub id: i64,
    /// When (RFC 3339).
    pub time: String,
    /// Who.
    pub operator: String,
    /// What kind of change (`init`, `file-add`...).
    pub action: String,
    /// What it was about (a file's name...).
    pub subject: String,
    /// Audit entry that records it.
    pub audit_seq: Option<i64>,
}

/// Counts of the registry's contents and its checks.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    /// The registry file.
    pub path: String,
    /// Random id of this registry (audit entries name it).
    pub registry_id: String,
    /// Schema version.
    pub schema_version: i64,
    /// The audit log its changes go to.
    pub audit_log: String,
    /// Rows per table.
    pub tables: Vec<(String, i64)>,
    /// The last change.
    pub last_change: Option<Change>,
}

/// Tables whose rows the journal hashes, with their key columns.
const TRACKED: &[(&str, &[&str])] = &[
    ("meta", &["key"]),
    ("profile", &["id"]),
    ("files", &["id"]),
    ("file_rules", &["file_id", "rules_sha256"]),
    ("recipients", &["id"]),
    ("contracts", &["id"]),
    ("contract_events", &["id"]),
    ("releases", &["id"]),
    ("provisions", &["id"]),
    ("file_sources", &["id"]),
    ("requests", &["id"]),
    ("request_events", &["id"]),
    ("exclusions", &["id"]),
    ("corrections", &["id"]),
    ("incidents", &["id"]),
    ("incident_events", &["id"]),
    ("release_marks", &["release_id", "kind", "columns"]),
    ("recipient_numbers", &["recipient_id"]),
    ("correction_revocations", &["id"]),
    ("release_replacements", &["id"]),
    ("release_destructions", &["id"]),
    ("calls", &["id"]),
];

/// Meta rows that migrations add to a registry made before them (schema.rs): no change made
/// them, so the first act after the upgrade records them ([`Registry::prove`]).
const MIGRATION_META: &[&str] = &["code_digest_key", "subject_key"];

/// The last recorded hash of each tracked row, by (table, key), with the change that left it.
type Recorded = std::collections::BTreeMap<(String, String), (Option<String>, i64)>;

/// An open registry.
pub struct Registry {
    conn: Connection,
    path: PathBuf,
    /// The version the next change must find (a step prepared on a page read earlier).
    expect: Option<Seen>,
    /// The file's hash as this connection last proved or sealed it, and the file's stamp then.
    proved: Option<(String, seal::Stamp)>,
    /// SQLite's `data_version` of the state this connection last proved (or made since): a
    /// change finding another inside its transaction checks the registry again there.
    proved_version: Option<i64>,
    /// Whether commits are sealed with the file's hash (off only to build benchmark registries).
    seals: bool,
    /// A reset is being recorded (it does not prove the registry first: it is the answer to
    /// a registry that fails its proof).
    resetting: bool,
    /// A change made on what a check just found (a reset, the rows migrations added): the
    /// registry's `data_version` then, checked again inside the change's transaction (another
    /// connection's commit in between is refused, never recorded unseen).
    checked_version: Option<i64>,
    /// The file this connection opened (device, inode): a seal hashes that file, never another
    /// one put at its path since.
    file_id: Option<(u64, u64)>,
}

/// A record's version as it was read (the number of events of its timeline): a change made
/// on that read is refused if another change came in between (a second browser tab, another
/// officer at the CLI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Contract `id` with this many workflow steps.
    Contract(i64, i64),
    /// Request `id` with this many steps.
    Request(i64, i64),
    /// Incident `id` with this many steps.
    Incident(i64, i64),
}

impl Seen {
    fn check(self, conn: &Connection) -> Result<(), RegistryError> {
        let (table, key, noun, id, seen) = match self {
            Seen::Contract(id, n) => ("contract_events", "contract_id", "contract", id, n),
            Seen::Request(id, n) => ("request_events", "request_id", "request", id, n),
            Seen::Incident(id, n) => ("incident_events", "incident_id", "incident", id, n),
        };
        let now: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table} WHERE {key} = ?1"), [id], |r| r.get(0))
            .map_err(|e| refuse::storage(format!("{noun} {id}: {e}")))?;
        if now != seen {
            return Err(refuse::stale(format!(
                "{noun} {id} changed since it was shown ({seen} step(s) then, {now} now): look at it again before acting"
            )));
        }
        Ok(())
    }
}

/// What a step read before its transaction and starts from, checked again inside it (see
/// [`Registry::change_from`]). Every state change of a contract or a release carries its guards;
/// requests and incidents carry theirs as the number of their steps (`timeline`).
#[derive(Debug, Clone)]
pub(crate) enum Guard {
    /// Contract `id` was in `state` after `steps` transitions.
    Contract {
        /// The contract.
        id: i64,
        /// The state the step starts from.
        state: State,
        /// Its transitions when read (its version).
        steps: i64,
    },
    /// Contract `id` is in a state that allows provision (a release registered under it).
    Provision(i64),
    /// Release `release_id` had `status` and `provisions` records of provision.
    Release {
        /// The release.
        release_id: String,
        /// The status the step starts from.
        status: String,
        /// Its records of provision when read.
        provisions: i64,
    },
}

impl Guard {
    /// The guard of a contract as read.
    pub(crate) fn contract(c: &StoredContract) -> Guard {
        Guard::Contract { id: c.id, state: c.state, steps: c.history.len() as i64 }
    }

    fn check(&self, tx: &Transaction) -> Result<(), RegistryError> {
        match self {
            Guard::Contract { id, state, steps } => {
                let now: Option<(String, i64)> = tx
                    .query_row(
                        "SELECT state, (SELECT count(*) FROM contract_events WHERE contract_id = ?1) FROM contracts WHERE id = ?1",
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(|e| refuse::storage(format!("contract {id}: {e}")))?;
                match now {
                    None => Err(refuse::stale(format!("contract {id} is gone (purged while this step was prepared)"))),
                    Some((s, n)) if s == state.as_str() && n == *steps => Ok(()),
                    Some((s, n)) => Err(refuse::stale(format!(
                        "contract {id} changed while this step was prepared: it is now {s} after {n} step(s), the step starts from {} after {steps}; nothing was changed: look at it again (`tokumei contract show {id}`)",
                        state.as_str()
                    ))),
                }
            }
            Guard::Provision(id) => {
                let now: Option<String> = tx
                    .query_row("SELECT state FROM contracts WHERE id = ?1", [id], |r| r.get(0))
                    .optional()
                    .map_err(|e| refuse::storage(format!("contract {id}: {e}")))?;
                match now.as_deref().and_then(State::parse) {
                    Some(s) if s.allows_provision() => Ok(()),
                    Some(s) => Err(refuse::stale(format!(
                        "contract {id} is {} (changed while this step was prepared): no release may be registered under it",
                        s.as_str()
                    ))),
                    None => Err(refuse::stale(format!("contract {id} is gone or unreadable"))),
                }
            }
            Guard::Release { release_id, status, provisions } => {
                let now: Option<(String, i64)> = tx
                    .query_row(
                        "SELECT status, (SELECT count(*) FROM provisions WHERE release_id = ?1) FROM releases WHERE release_id = ?1",
                        [release_id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(|e| refuse::storage(format!("release {release_id}: {e}")))?;
                match now {
                    None => Err(refuse::stale(format!(
                        "release {release_id} is gone (purged while this step was prepared)"
                    ))),
                    Some((s, n)) if s == *status && n == *provisions => Ok(()),
                    Some((s, n)) => Err(refuse::stale(format!(
                        "release {release_id} changed while this step was prepared: it is now {s} with {n} record(s) of provision, the step starts from {status} with {provisions}; nothing was changed: look at it again (`tokumei release show {release_id}`)"
                    ))),
                }
            }
        }
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("path", &self.path).finish()
    }
}

impl Registry {
    /// Create a registry at `path` (never over an existing file), owner-only, with the profile
    /// and the audit log its changes go to (started if it does not exist). The creation is
    /// the registry's first change and audit entry.
    pub fn create(path: &Path, profile: &Profile, audit_log: &Path, who: &Who) -> Result<Registry, RegistryError> {
        profile.check()?;
        if path.exists() {
            return Err(RegistryError::Exists(path.to_path_buf()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| db_err(path, e))?;
        }
        // Owner-only before SQLite writes anything (its -wal and -shm files take the same mode).
        {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(|e| {
                match e.kind() {
                    std::io::ErrorKind::AlreadyExists => RegistryError::Exists(path.to_path_buf()),
                    _ => db_err(path, e),
                }
            })?;
        }
        let made = (|| {
            let mut reg = Registry::connect(path)?;
            reg.migrate()?;
            let log = JsonlLog::new(audit_log);
            log.start(&who.operator, &who.time, who.clock.clone())?;
            let registry_id = tokumei_audit::sys::random_tag();
            let log_text = relative_log(path, audit_log);
            reg.change(who, "init", &profile.body, |tx| {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('registry_id', ?1), ('audit_log', ?2)",
                    params![registry_id, log_text],
                )
                .map_err(|e| db_err(path, e))?;
                profile.insert(tx)?;
                let touched =
                    ["registry_id", "audit_log", "code_digest_key", "subject_key"].map(|k| ("meta", k.to_string()));
                Ok(((), [vec![("profile", "1".to_string())], touched.to_vec()].concat()))
            })?;
            Ok(reg)
        })();
        if made.is_err() {
            // Nothing half-made stays behind: the file was ours (create_new).
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        made
    }

    /// Open an existing registry to act on it: brought up to date, then proved to be what
    /// tokumei's changes and the audit log say ([`Registry::prove`]); refused otherwise
    /// ([`RegistryError::Tampered`]).
    pub fn open(path: &Path) -> Result<Registry, RegistryError> {
        let mut reg = Registry::open_unproved(path)?;
        reg.prove()?;
        Ok(reg)
    }

    /// Open an existing registry without proving it: only to look for its problems
    /// (`registry verify`, `status`, `export`) or to record a reset.
    pub fn open_unproved(path: &Path) -> Result<Registry, RegistryError> {
        if !path.is_file() {
            return Err(RegistryError::Missing(path.to_path_buf()));
        }
        let mut reg = Registry::connect(path)?;
        reg.migrate()?;
        reg.meta("registry_id")?.ok_or_else(|| reg.err("is not a tokumei registry (no registry id)"))?;
        Ok(reg)
    }

    fn connect(path: &Path) -> Result<Registry, RegistryError> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|e| db_err(path, e))?;
        let mut reg = Registry {
            conn,
            path: path.to_path_buf(),
            expect: None,
            proved: None,
            proved_version: None,
            seals: true,
            resetting: false,
            checked_version: None,
            file_id: None,
        };
        reg.conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(|e| reg.db(e))?;
        // Not a database at all shows here, as SQLite reads lazily.
        let mode: String = reg.conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(|e| reg.db(e))?;
        // SQLite has opened the file now: the one every seal of this connection hashes.
        reg.file_id = Some(seal::file_id(&std::fs::metadata(path).map_err(|e| reg.db(e))?));
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(reg.err(&format!("cannot use WAL mode (journal mode {mode})")));
        }
        reg.conn
            .execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF;")
            .map_err(|e| reg.db(e))?;
        Ok(reg)
    }

    /// Apply the migrations this file lacks, each in its own transaction.
    fn migrate(&mut self) -> Result<(), RegistryError> {
        let known = schema::MIGRATIONS.len() as i64;
        loop {
            let version: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| self.db(e))?;
            if version > known {
                return Err(RegistryError::TooNew { path: self.path.clone(), found: version, known });
            }
            if version == known {
                return Ok(());
            }
            let path = self.path.clone();
            let tx =
                self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| db_err(&path, e))?;
            tx.execute_batch(schema::MIGRATIONS[version as usize]).map_err(|e| db_err(&path, e))?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", version + 1)).map_err(|e| db_err(&path, e))?;
            tx.commit().map_err(|e| db_err(&path, e))?;
        }
    }

    /// The registry file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The audit log the registry's changes go to. A relative path is relative to the
    /// registry's folder (a copied registry never writes into the original's log).
    pub fn audit_log(&self) -> Result<PathBuf, RegistryError> {
        let stored = self.meta("audit_log")?.ok_or_else(|| self.err("names no audit log"))?;
        Ok(log_beside(&self.path, &stored))
    }

    /// Build benchmark registries quickly: commits are neither sealed nor preceded by a proof
    /// (every act then runs the full check until one seals the registry). Not for use on real
    /// registries.
    #[doc(hidden)]
    pub fn without_seals(&mut self) {
        self.seals = false;
    }

    /// This registry's random id.
    pub fn id(&self) -> Result<String, RegistryError> {
        self.meta("registry_id")?.ok_or_else(|| self.err("has no registry id"))
    }

    fn meta(&self, key: &str) -> Result<Option<String>, RegistryError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.db(e))
    }

    /// Make one change: `apply` writes it inside a transaction and names the rows it left
    /// (table, key); the journal row and the audit entry are written before the commit. If
    /// anything fails, nothing of the change remains (an audit entry whose commit was lost is
    /// reported by [`Registry::verify`]).
    fn change<T>(
        &mut self,
        who: &Who,
        action: &str,
        subject: &str,
        apply: impl FnOnce(&Transaction) -> Result<(T, Vec<(&'static str, String)>), RegistryError>,
    ) -> Result<T, RegistryError> {
        self.change_from(&[], who, action, subject, apply)
    }

    /// [`Registry::change`] of a step prepared on rows read before its transaction: each of
    /// `guards` (what the step read and starts from) is checked again inside the IMMEDIATE
    /// transaction, before anything is written or audited, and the step is refused if another
    /// change came in between (two officers, two processes acting on the same record at once:
    /// one succeeds, the other is refused and changes nothing).
    fn change_from<T>(
        &mut self,
        guards: &[Guard],
        who: &Who,
        action: &str,
        subject: &str,
        apply: impl FnOnce(&Transaction) -> Result<(T, Vec<(&'static str, String)>), RegistryError>,
    ) -> Result<T, RegistryError> {
        // Prove the registry just before the change (a long run may have held it open while
        // someone edited it): the change must not seal what it did not make.
        if action != "init" && !self.resetting && self.checked_version.is_none() && self.seals {
            // Untouched since it was proved (same inode, size, times, empty write-ahead log: the
            // change time cannot be set back by a user), or the same bytes: no proof again.
            let untouched =
                self.proved.as_ref().is_some_and(|(_, st)| Some(st) == seal::Stamp::of(&self.path).as_ref());
            if !untouched {
                let now = self.hashed()?;
                if now.is_none() || now.as_ref().map(|(h, _)| h) != self.proved.as_ref().map(|(h, _)| h) {
                    self.prove()?;
                }
            }
        }
        let path = self.path.clone();
        let dberr = |e: rusqlite::Error| db_err(&path, e);
        let expect = self.expect.take();
        // Test-only: hold a step between its reads and its transaction (the window two
        // processes race in).
        tokumei_audit::sys::failpoint::hit("registry-before-change").map_err(|e| db_err(&path, e))?;
        // (Borrowed shared: the registry is checked through `self` inside it when needed.)
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(dberr)?;
        if let Some(seen) = expect {
            seen.check(&tx)?;
        }
        // Another connection committed since the proof (between it and this transaction): the
        // registry is checked again here, under the write lock, before anything is written, so
        // this change's seal never covers an edit made meanwhile.
        let version: i64 = tx.query_row("PRAGMA data_version", [], |r| r.get(0)).map_err(dberr)?;
        if action != "init"
            && !self.resetting
            && self.checked_version.is_none()
            && self.seals
            && Some(version) != self.proved_version
        {
            let (logs, mut problems) = seal::log_chain(&JsonlLog::new(self.audit_log()?))?;
            let chain: Vec<&[tokumei_audit::Entry]> = logs.iter().map(Vec::as_slice).collect();
            problems.extend(self.verify_logs(&chain)?);
            if !problems.is_empty() {
                return Err(RegistryError::Tampered { path: path.clone(), problems });
            }
        }
        if let Some(checked) = self.checked_version {
            let now: i64 = tx.query_row("PRAGMA data_version", [], |r| r.get(0)).map_err(dberr)?;
            if now != checked {
                return Err(refuse::stale(
                    "the registry changed after it was checked for this change (another process committed): nothing was done; check it and act again",
                ));
            }
        }
        for g in guards {
            g.check(&tx)?;
        }
        record_lost_change(&tx, who).map_err(|e| match e {
            RegistryError::Db { message, .. } => db_err(&path, message),
            other => other,
        })?;
        let (value, touched) = apply(&tx)?;
        let mut rows = Vec::with_capacity(touched.len());
        for (table, key) in &touched {
            let sha = row_sha256(&tx, table, key).map_err(dberr)?;
            rows.push(serde_json::json!({ "table": table, "key": key, "sha256": sha }));
        }
        let rows = Value::Array(rows);
        tx.execute(
            "INSERT INTO changes (time, operator, action, subject, rows) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![who.time, who.operator, action, subject, rows.to_string()],
        )
        .map_err(dberr)?;
        let change_id = tx.last_insert_rowid();
        let registry_id: String =
            tx.query_row("SELECT value FROM meta WHERE key = 'registry_id'", [], |r| r.get(0)).map_err(dberr)?;
        let log_path: String =
            tx.query_row("SELECT value FROM meta WHERE key = 'audit_log'", [], |r| r.get(0)).map_err(dberr)?;
        let log_path = log_beside(&path, &log_path);
        let mut details = Map::new();
        details.insert("registry".into(), Value::String(registry_id));
        details.insert("change".into(), Value::from(change_id));
        details.insert("subject".into(), Value::String(subject.to_string()));
        details.insert("rows".into(), rows);
        let entry = JsonlLog::new(&log_path).append(Record {
            time: who.time.clone(),
            operator: who.operator.clone(),
            action: format!("registry-{action}"),
            status: "ok".into(),
            details,
            clock: who.clock.clone(),
            ..Default::default()
        })?;
        // The log raises an entry's time to its predecessor's when this clock is behind (another
        // process appended meanwhile): the journal keeps the time the entry carries.
        tx.execute(
            "UPDATE changes SET audit_seq = ?1, audit_hash = ?2, time = ?3 WHERE id = ?4",
            params![entry.seq as i64, entry.hash, entry.record.time, change_id],
        )
        .map_err(dberr)?;
        let committed = tokumei_audit::sys::failpoint::hit("registry-commit")
            .map_err(|e| db_err(&path, e))
            .and_then(|()| tx.commit().map_err(dberr));
        if let Err(e) = committed {
            // The entry is in the log but its change is not in the registry: say so at once
            // (a crash here is caught by the next change instead).
            let _ = JsonlLog::new(&log_path).append(lost_record(who, &entry, &e.to_string()));
            return Err(e);
        }
        // The commit confirmed in the log, with the registry's seal: from now on the change can
        // only be missing because someone removed it. (If this entry cannot be written, the
        // next change writes it.)
        let mut confirmed = committed_record(who, &entry);
        if action == "init" {
            // Where the registry lives: a run that finds none there while the log knows it refuses.
            let at = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
            confirmed.details.insert("path".into(), Value::String(at.display().to_string()));
        }
        if let Ok(sealed) =
            self.write_seal(&JsonlLog::new(&log_path), COMMITTED, Some((who, confirmed.details)), Some(version))
            && let Some(sha) = sealed.record.details.get("file_sha256").and_then(Value::as_str)
            && let Some(stamp) = seal::Stamp::of(&self.path)
        {
            self.proved = Some((sha.to_string(), stamp));
        } else {
            self.proved = None;
        }
        // The state proved (or checked inside the transaction), with this change made on it.
        self.proved_version = Some(version);
        Ok(value)
    }

    /// Refuse now, and make the next change refuse in its own transaction, unless the record
    /// is still as `seen`. For one change only: open a registry per action.
    pub fn expect(&mut self, seen: Seen) -> Result<(), RegistryError> {
        seen.check(&self.conn)?;
        self.expect = Some(seen);
        Ok(())
    }

    /// [`Registry::verify`] against the registry's own audit log, plus each release against
    /// its run's audit entry and each published release's files: every problem found (empty:
    /// all good). A log that cannot be read is an error.
    pub fn check_all(&self) -> Result<Vec<String>, RegistryError> {
        let log = JsonlLog::new(self.audit_log()?);
        let scan = log.scan()?;
        let (logs, mut problems) = seal::log_chain(&log)?;
        let chain: Vec<&[tokumei_audit::Entry]> = logs.iter().map(Vec::as_slice).collect();
        problems.extend(self.verify_logs(&chain)?);
        let key = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let mut logs: std::collections::HashMap<PathBuf, Vec<tokumei_audit::Entry>> = Default::default();
        logs.insert(key(log.path()), scan.entries);
        for r in self.releases()? {
            if r.status == "abandoned" {
                continue;
            }
            let entries = logs
                .entry(key(Path::new(&r.release.audit_log)))
                .or_insert_with(|| JsonlLog::new(&r.release.audit_log).scan().map(|s| s.entries).unwrap_or_default());
            problems.extend(r.check_entry(entries));
            if r.status == "published" {
                problems.extend(r.check_files());
            }
        }
        Ok(problems)
    }

    /// Counts and the last change.
    pub fn status(&self) -> Result<Status, RegistryError> {
        let mut tables = Vec::new();
        for name in self.table_names()? {
            let n: i64 = self
                .conn
                .query_row(&format!("SELECT count(*) FROM \"{name}\""), [], |r| r.get(0))
                .map_err(|e| self.db(e))?;
            tables.push((name, n));
        }
        let last_change = self
            .conn
            .query_row(
                "SELECT id, time, operator, action, subject, audit_seq FROM changes ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(Change {
                        id: r.get(0)?,
                        time: r.get(1)?,
                        operator: r.get(2)?,
                        action: r.get(3)?,
                        subject: r.get(4)?,
                        audit_seq: r.get(5)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.db(e))?;
        Ok(Status {
            path: self.path.display().to_string(),
            registry_id: self.id()?,
            schema_version: self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| self.db(e))?,
            audit_log: self.audit_log()?.display().to_string(),
            tables,
            last_change,
        })
    }

    fn table_names(&self) -> Result<Vec<String>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .map_err(|e| self.db(e))?;
        let names = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(|e| self.db(e))?;
        names.collect::<Result<Vec<_>, _>>().map_err(|e| self.db(e))
    }

    /// Every row of every table as JSON Lines (`{"table": ..., "row": {...}}`), tables by
    /// name, rows by their key: the officer's copy of the records. Returns the rows written.
    pub fn export(&self, out: &mut dyn std::io::Write) -> Result<u64, RegistryError> {
        let mut n = 0;
        for table in self.table_names()? {
            for row in table_rows(&self.conn, &table, None).map_err(|e| self.db(e))? {
                let line = serde_json::json!({ "table": table, "row": Value::Object(row) });
                writeln!(out, "{line}").map_err(|e| self.err(&format!("export: {e}")))?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Tables whose ids are never reused: SQLite's counter must not have been set back below an
    /// id a change recorded (which would let a new row take a deleted row's place).
    fn sequence_problems(&self, recorded: &Recorded) -> Result<Vec<String>, RegistryError> {
        let mut problems = Vec::new();
        let mut stmt = self.conn.prepare("SELECT name, seq FROM sqlite_sequence").map_err(|e| self.db(e))?;
        let seqs: Vec<(String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))?;
        for table in [
            "file_sources",
            "requests",
            "request_events",
            "exclusions",
            "corrections",
            "correction_revocations",
            "release_replacements",
            "release_destructions",
            "incidents",
            "incident_events",
            "calls",
        ] {
            let max = recorded
                .keys()
                .filter(|(t, _)| t == table)
                .filter_map(|(_, k)| k.parse::<i64>().ok())
                .max()
                .unwrap_or(0);
            let seq = seqs.iter().find(|(n, _)| n == table).map_or(0, |(_, s)| *s);
            if seq < max {
                problems.push(format!(
                    "{table}: its id counter ({seq}) is below id {max} a change recorded (set back outside tokumei)"
                ));
            }
        }
        Ok(problems)
    }

    /// Tracked rows (of the tables `which` selects) against the hashes the journal recorded.
    fn row_problems(&self, recorded: &Recorded, which: impl Fn(&str) -> bool) -> Result<Vec<String>, RegistryError> {
        let mut problems = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (table, key_cols) in TRACKED.iter().filter(|(t, _)| which(t)) {
            for row in table_rows(&self.conn, table, Some(key_cols)).map_err(|e| self.db(e))? {
                let key = row_key(&row, key_cols);
                let sha = sha256_of(&row);
                match recorded.get(&(table.to_string(), key.clone())) {
                    // Added by a migration to a registry made before it: recorded by the next act.
                    None if *table == "meta" && MIGRATION_META.contains(&key.as_str()) => {}
                    None => problems.push(format!("{table} row {key}: no change made it (added outside tokumei)")),
                    Some((Some(h), _)) if *h == sha => {}
                    Some((Some(h), _)) if recorded_before_migration(table, &row, h) => {}
                    Some((_, id)) => problems.push(format!(
                        "{table} row {key}: differs from what change {id} left (edited outside tokumei)"
                    )),
                }
                seen.insert((table.to_string(), key));
            }
        }
        for ((table, key), (sha, id)) in recorded {
            if which(table) && sha.is_some() && !seen.contains(&(table.clone(), key.clone())) {
                problems.push(format!("{table} row {key}: left by change {id}, now missing (deleted outside tokumei)"));
            }
        }
        Ok(problems)
    }

    /// Check the registry against itself and its audit log: SQLite's integrity check; every
    /// tracked row as the last change that touched it left it (else it was edited outside
    /// tokumei); every change with its audit entry (same hash); every audit entry of this
    /// registry with its change (else the change was lost, e.g. a crash before the commit).
    /// Returns the problems found (empty: all good).
    pub fn verify(&self, entries: &[tokumei_audit::Entry]) -> Result<Vec<String>, RegistryError> {
        self.verify_logs(&[entries])
    }

    fn db(&self, e: impl std::fmt::Display) -> RegistryError {
        db_err(&self.path, e)
    }

    fn err(&self, message: &str) -> RegistryError {
        RegistryError::Db { path: self.path.clone(), message: message.to_string() }
    }
}

/// The audit record saying that `entry`'s change never reached the registry.
fn lost_record(who: &Who, entry: &tokumei_audit::Entry, why: &str) -> Record {
    let mut details = Map::new();
    for key in ["registry", "change"] {
        if let Some(v) = entry.record.details.get(key) {
            details.insert(key.into(), v.clone());
        }
    }
    details.insert("lost_entry".into(), Value::from(entry.seq));
    details.insert("lost_action".into(), Value::String(entry.record.action.clone()));
    Record {
        time: who.time.clone(),
        operator: who.operator.clone(),
        action: LOST.into(),
        status: "ok".into(),
        error: Some(format!("the change of entry {} was not committed: {why}", entry.seq)),
        details,
        clock: who.clock.clone(),
        ..Default::default()
    }
}

/// Audit action recording a change whose entry was written but whose commit was lost.
const LOST: &str = "registry-change-lost";

/// Audit action confirming that a change's commit succeeded.
const COMMITTED: &str = "registry-committed";

/// The audit record confirming that `entry`'s change was committed.
fn committed_record(who: &Who, entry: &tokumei_audit::Entry) -> Record {
    let mut details = Map::new();
    for key in ["registry", "change"] {
        if let Some(v) = entry.record.details.get(key) {
            details.insert(key.into(), v.clone());
        }
    }
    details.insert("entry".into(), Value::from(entry.seq));
    Record {
        time: who.time.clone(),
        operator: who.operator.clone(),
        action: COMMITTED.into(),
        status: "ok".into(),
        details,
        clock: who.clock.clone(),
        ..Default::default()
    }
}

/// Before a change: if this registry's last audit entry records a change the registry does not
/// have (a crash between the entry and the commit), record that it was lost.
pub(crate) fn record_lost_change(tx: &Connection, who: &Who) -> Result<(), RegistryError> {
    let get = |key: &str| -> Result<Option<String>, RegistryError> {
        tx.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| RegistryError::Db { path: PathBuf::new(), message: e.to_string() })
    };
    // A registry being created has no id yet, and no earlier change to lose.
    let (Some(me), Some(log)) = (get("registry_id")?, get("audit_log")?) else {
        return Ok(());
    };
    let log = match tx.path() {
        Some(p) => log_beside(Path::new(p), &log),
        None => PathBuf::from(log),
    };
    let log = JsonlLog::new(log);
    // The newest entry of this registry that is not a seal of a check: read back from the end.
    let entries = log.tail_until(|e| seal::mine(e, &me) && e.record.action != seal::VERIFIED)?;
    let Some(last) = entries.first().filter(|e| seal::mine(e, &me) && e.record.action != seal::VERIFIED) else {
        return Ok(());
    };
    if last.record.action == LOST || last.record.action == COMMITTED {
        return Ok(());
    }
    let have: Option<i64> = tx
        .query_row("SELECT count(*) FROM changes WHERE audit_seq = ?1", [last.seq as i64], |r| r.get(0))
        .optional()
        .map_err(|e| RegistryError::Db { path: PathBuf::new(), message: e.to_string() })?;
    if have.unwrap_or(0) == 0 {
        log.append(lost_record(who, last, "the process stopped before the commit"))?;
    } else {
        // Committed, but the process stopped before confirming it.
        log.append(committed_record(who, last))?;
    }
    Ok(())
}

/// The audit log path stored in a registry, read from the registry's place: relative paths
/// are relative to the registry's folder.
fn log_beside(registry: &Path, stored: &str) -> PathBuf {
    let p = Path::new(stored);
    if p.is_absolute() { p.to_path_buf() } else { tokumei_audit::sys::parent_of(registry).join(p) }
}

/// The audit log path to store: relative to the registry's folder when the log is inside it
/// (so the pair can be moved or restored together), else absolute.
fn relative_log(registry: &Path, log: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let log = abs(log);
    let dir = abs(tokumei_audit::sys::parent_of(registry));
    match log.strip_prefix(&dir) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
        _ => log.to_string_lossy().into_owned(),
    }
}

/// The last recorded hash of every tracked row (by the journal), with the change that left it.
fn recorded_rows(conn: &Connection) -> rusqlite::Result<Recorded> {
    let mut recorded: Recorded = Default::default();
    let mut stmt = conn.prepare("SELECT id, rows FROM changes ORDER BY id")?;
    let rows: Vec<(i64, String)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    for (id, text) in rows {
        let list: Vec<Value> = serde_json::from_str(&text).unwrap_or_default();
        for row in list {
            if let (Some(t), Some(k)) = (row["table"].as_str(), row["key"].as_str()) {
                recorded.insert((t.to_string(), k.to_string()), (row["sha256"].as_str().map(String::from), id));
            }
        }
    }
    Ok(recorded)
}

fn db_err(path: &Path, e: impl std::fmt::Display) -> RegistryError {
    RegistryError::Db { path: path.to_path_buf(), message: e.to_string() }
}

/// Rows of `table` as JSON objects (columns in schema order), ordered by `key` (or rowid).
fn table_rows(conn: &Connection, table: &str, key: Option<&[&str]>) -> rusqlite::Result<Vec<Map<String, Value>>> {
    let order = key.map(|k| k.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", "));
    let sql = match order {
        Some(o) => format!("SELECT * FROM \"{table}\" ORDER BY {o}"),
        None => format!("SELECT * FROM \"{table}\""),
    };
    let mut stmt = conn.prepare(&sql)?;
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut m = Map::new();
        for (i, name) in names.iter().enumerate() {
            m.insert(name.clone(), json_value(r.get_ref(i)?));
        }
        out.push(m);
    }
    Ok(out)
}

/// Whether `row` is the row hashed `recorded` before one or more migrations added columns to
/// it, those columns holding their defaults (as the migration left them).
fn recorded_before_migration(table: &str, row: &Map<String, Value>, recorded: &str) -> bool {
    let added = added_by_migrations(table);
    let mut versions: Vec<u32> = added.iter().map(|(_, m, _)| *m).collect();
    versions.sort_unstable();
    versions.dedup();
    // The row as it was before migration `v` (and every later one).
    versions.iter().any(|&v| {
        let mut old = row.clone();
        for (col, m, default) in &added {
            if *m >= v {
                match old.remove(*col) {
                    Some(value) if value == *default => {}
                    Some(_) => return false,
                    None => {}
                }
            }
        }
        sha256_of(&old) == recorded
    })
}

/// The columns migrations added to tables whose rows may already exist (schema.rs), with the
/// migration's number and the column's default.
fn added_by_migrations(table: &str) -> Vec<(&'static str, u32, Value)> {
    let n = |i: i64| Value::from(i);
    let all: Vec<(&str, &'static str, u32, Value)> = vec![
        ("releases", "purpose", 4, Value::Null),
        ("releases", "subject_entries", 4, n(0)),
        ("releases", "subject_digest", 4, Value::Null),
        ("profile", "third_party_days", 5, n(14)),
        ("profile", "method_days", 5, n(30)),
        ("profile", "disclosure_fee_yen", 5, n(0)),
        ("profile", "opt_out", 5, n(0)),
        ("profile", "closed_days", 5, Value::String("[]".into())),
        ("profile", "subject_identifier", 5, Value::String("宛名番号".into())),
        ("releases", "exclusions_upto", 5, n(0)),
        ("releases", "corrections_upto", 5, n(0)),
        ("releases", "excluded_records", 5, n(0)),
        ("profile", "incident_preliminary_days", 6, n(5)),
        ("profile", "incident_final_days", 6, n(30)),
        ("profile", "incident_final_unlawful_days", 6, n(60)),
        ("profile", "leak_threshold", 6, Value::Null),
        ("releases", "fingerprint", 6, Value::Null),
        ("profile", "incident_counting", 9, Value::String("learned_day_one".into())),
        ("profile", "incident_counting_source", 9, Value::Null),
        ("profile", "count_receipt_day", 10, n(0)),
        ("profile", "ordinance_grounds", 10, Value::String("[]".into())),
        ("contracts", "kind", 11, Value::String("article112".into())),
        ("contracts", "parent_id", 11, Value::Null),
        ("contracts", "release_id", 11, Value::Null),
        ("contracts", "call_id", 11, Value::Null),
        ("contracts", "fee_basis", 11, Value::Null),
        ("files", "proposal_office", 11, Value::Null),
        ("files", "reuse_period_days", 11, Value::Null),
        ("releases", "people", 11, Value::Null),
        ("profile", "fee_reuse_yen", 11, Value::Null),
        ("profile", "fee_change_of_use_yen", 11, Value::Null),
    ];
    all.into_iter().filter(|(t, ..)| *t == table).map(|(_, c, m, d)| (c, m, d)).collect()
}

/// The key of a row: its key columns' values joined by `/`.
fn row_key(row: &Map<String, Value>, key: &[&str]) -> String {
    key.iter()
        .map(|k| match &row[*k] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn sha256_of(row: &Map<String, Value>) -> String {
    hex::encode(Sha256::digest(Value::Object(row.clone()).to_string().as_bytes()))
}

/// SHA-256 of one tracked row as it is in `conn` (`None`: the row is gone), looked up by its key.
fn row_sha256(conn: &Connection, table: &str, key: &str) -> rusqlite::Result<Option<String>> {
    let cols = TRACKED.iter().find(|(t, _)| *t == table).map(|(_, k)| *k).unwrap_or(&["id"]);
    // Keys are joined by `/`; only the last key column may contain one (none does today). The
    // text of an integer key compares equal to the integer (the column's affinity).
    let parts: Vec<&str> = key.splitn(cols.len(), '/').collect();
    if parts.len() != cols.len() {
        return Ok(None);
    }
    let filter = cols.iter().enumerate().map(|(i, c)| format!("\"{c}\" = ?{}", i + 1)).collect::<Vec<_>>();
    let sql = format!("SELECT * FROM \"{table}\" WHERE {}", filter.join(" AND "));
    let mut stmt = conn.prepare(&sql)?;
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let mut rows = stmt.query(rusqlite::params_from_iter(parts.iter()))?;
    let Some(r) = rows.next()? else { return Ok(None) };
    let mut m = Map::new();
    for (i, name) in names.iter().enumerate() {
        m.insert(name.clone(), json_value(r.get_ref(i)?));
    }
    Ok(Some(sha256_of(&m)))
}

/// A SQLite value as JSON (blobs as hex).
fn json_value(v: ValueRef) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::from(n),
        ValueRef::Real(x) => Value::from(x),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(hex::encode(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who() -> Who {
        Who { operator: "officer".into(), time: "2026-11-27T10:00:00Z".into(), clock: None }
    }

    fn profile() -> Profile {
        toml::from_str(
            "body = \"見本市\"\nbody_code = \"131016\"\nactor = \"public_body\"\nbody_kind = \"municipality\"\n",
        )
        .expect("profile")
    }

    fn entry(name: &str) -> FileEntry {
        FileEntry {
            name: name.into(),
            unit: "市民課".into(),
            purpose: "住民基本台帳事務".into(),
            items: vec!["氏名".into(), "生年月日".into()],
            people_range: "市の住民".into(),
            collection_method: "届出".into(),
            sensitive: false,
            ordinance_sensitive: false,
            regular_recipients: vec![],
            request_office: "情報公開課".into(),
            other_law_procedures: None,
            kind: FileKind::Computer,
            people: 120_000,
            published: true,
            disclosable: true,
            processable: true,
            open_to_proposals: true,
            proposal_office: Some("企画課（見本市役所2階）".into()),
            reuse_period_days: None,
        }
    }

    fn setup() -> (tempfile::TempDir, Registry, JsonlLog) {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("audit.log");
        let reg = Registry::create(&dir.path().join("r.sqlite"), &profile(), &log, &who()).expect("create");
        (dir, reg, JsonlLog::new(log))
    }

    #[test]
    fn a_new_registry_is_owner_only_and_verifies_with_its_log() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, mut reg, log) = setup();
        let mode = std::fs::metadata(dir.path().join("r.sqlite")).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "group/other may not read the registry");
        reg.add_file(
            &who(),
            &entry("住民基本台帳ファイル"),
            &[FileRules { path: "a.toml".into(), sha256: "ab".repeat(32) }],
        )
        .expect("add");
        let entries = log.entries().expect("entries");
        // start, init, file-add, each change confirmed after its commit
        assert_eq!(
            entries.iter().map(|e| e.record.action.as_str()).collect::<Vec<_>>(),
            ["audit-start", "registry-init", "registry-committed", "registry-file-add", "registry-committed"]
        );
        assert_eq!(reg.verify(&entries).expect("verify"), Vec::<String>::new());
        let again = Registry::open(reg.path()).expect("open");
        assert_eq!(again.profile().expect("profile").body, "見本市");
        assert!(again.profile().expect("profile").proposals_mandatory == Some(false));
        assert_eq!(again.files().expect("files")[0].rules.len(), 1);
        assert!(matches!(Registry::create(reg.path(), &profile(), log.path(), &who()), Err(RegistryError::Exists(_))));
    }

    #[test]
    fn rows_edited_outside_tokumei_and_lost_changes_are_found() {
        let (_dir, mut reg, log) = setup();
        reg.add_file(&who(), &entry("F"), &[]).expect("add");
        reg.conn.execute("UPDATE files SET people = 5 WHERE name = 'F'", []).expect("tamper");
        let problems = reg.verify(&log.entries().expect("entries")).expect("verify");
        assert!(problems.iter().any(|p| p.contains("files row 1") && p.contains("edited outside")), "{problems:?}");
        reg.conn.execute("INSERT INTO file_rules VALUES (1, 'x', 'y', 'z')", []).expect("insert");
        reg.conn.execute("DELETE FROM changes WHERE action = 'file-add'", []).expect("delete");
        let problems = reg.verify(&log.entries().expect("entries")).expect("verify");
        assert!(
            problems.iter().any(|p| p.contains("file_rules row 1/y") && p.contains("added outside")),
            "{problems:?}"
        );
        assert!(problems.iter().any(|p| p.contains("audit entry 4") && p.contains("does not have")), "{problems:?}");
        // No change is made on such a registry, and opening it to act is refused.
        let before = std::fs::read(log.path()).expect("log");
        match reg.add_file(&who(), &entry("G"), &[]) {
            Err(RegistryError::Tampered { problems, .. }) => {
                assert!(problems.iter().any(|p| p.contains("files row 1")), "{problems:?}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(std::fs::read(log.path()).expect("log"), before, "a refusal writes nothing");
        assert!(matches!(Registry::open(reg.path()), Err(RegistryError::Tampered { .. })));
        Registry::open_unproved(reg.path()).expect("open to look at it");
    }

    #[test]
    fn a_registry_is_proved_by_its_seal_and_by_the_full_check_when_the_seal_does_not_match() {
        let (_dir, mut reg, log) = setup();
        reg.add_file(&who(), &entry("F"), &[]).expect("add");
        // Committed changes carry the file's seal: the next act needs no full check.
        assert_eq!(Registry::open_unproved(reg.path()).expect("open").prove().expect("prove"), Proof::Sealed);
        // A change that leaves every row as it was (VACUUM) is proved by the full check, and sealed.
        reg.conn.execute_batch("VACUUM").expect("vacuum");
        let mut again = Registry::open_unproved(reg.path()).expect("open");
        assert_eq!(again.prove().expect("prove"), Proof::Full);
        assert_eq!(log.entries().expect("entries").last().expect("last").record.action, "registry-verified");
        assert_eq!(again.prove().expect("prove"), Proof::Sealed);
        // An edit is refused; undone exactly, the registry is proved again (the same bytes).
        reg.conn.execute("UPDATE files SET people = 5 WHERE name = 'F'", []).expect("tamper");
        assert!(matches!(again.prove(), Err(RegistryError::Tampered { .. })));
        reg.conn.execute("UPDATE files SET people = 120000 WHERE name = 'F'", []).expect("undo");
        again.prove().expect("proved once undone");
        // An older copy of the file put back: the audit log has changes it lacks.
        let copy = std::fs::read(reg.path()).expect("copy");
        reg.add_file(&who(), &entry("G"), &[]).expect("add");
        drop(again);
        let path = reg.path().to_path_buf();
        drop(reg);
        let _ = std::fs::remove_file(format!("{}-wal", path.display()));
        let _ = std::fs::remove_file(format!("{}-shm", path.display()));
        std::fs::write(&path, copy).expect("restore old copy");
        match Registry::open(&path) {
            Err(RegistryError::Tampered { problems, .. }) => {
                assert!(problems.iter().any(|p| p.contains("does not have")), "{problems:?}")
            }
            other => panic!("{other:?}"),
        }
        // An officer's reasoned reset accepts it, audited, and the registry is usable again.
        let mut reg = Registry::open_unproved(&path).expect("open");
        assert!(reg.reset(&who(), "short").is_err(), "a reset needs its reason");
        let accepted = reg.reset(&who(), "restored from the 11-27 backup; file G to be added again").expect("reset");
        assert!(accepted.iter().any(|p| p.contains("does not have")), "{accepted:?}");
        assert_eq!(reg.verify(&log.entries().expect("entries")).expect("verify"), Vec::<String>::new());
        Registry::open(&path).expect("usable after the reset");
        assert!(reg.reset(&who(), "nothing is wrong with it now").is_err(), "nothing to reset");
    }

    /// A registry held open (a long run) and edited meanwhile by another program, its
    /// write-ahead log folded back in: the next change is refused, never sealing the edit.
    #[test]
    fn an_edit_while_the_registry_is_held_open_is_caught_by_the_next_change() {
        let (_dir, mut reg, _log) = setup();
        reg.add_file(&who(), &entry("F"), &[]).expect("add");
        let other = Connection::open(reg.path()).expect("other");
        other.execute("UPDATE files SET people = 7 WHERE name = 'F'", []).expect("tamper");
        other.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).expect("checkpoint");
        drop(other);
        assert!(matches!(reg.add_file(&who(), &entry("G"), &[]), Err(RegistryError::Tampered { .. })));
        // Untouched, a held registry changes without hashing again, and stays proved.
        let (_dir, mut reg, _log) = setup();
        reg.add_file(&who(), &entry("F"), &[]).expect("add");
        reg.add_file(&who(), &entry("G"), &[]).expect("add");
        assert_eq!(Registry::open_unproved(reg.path()).expect("open").prove().expect("prove"), Proof::Sealed);
    }

    #[test]
    fn a_row_recorded_before_a_migration_added_columns_still_proves() {
        let mut row = Map::new();
        row.insert("id".into(), Value::from(1));
        row.insert("body".into(), Value::from("見本市"));
        let old = sha256_of(&row);
        for (col, _, default) in added_by_migrations("profile") {
            row.insert(col.into(), default);
        }
        assert!(recorded_before_migration("profile", &row, &old));
        // A column a migration added, holding another value than its default: edited.
        row.insert("opt_out".into(), Value::from(1));
        assert!(!recorded_before_migration("profile", &row, &old));
        assert!(!recorded_before_migration("files", &row, &old));
    }

    #[test]
    fn the_audit_log_is_found_beside_a_moved_registry() {
        let (dir, reg, _log) = setup();
        assert_eq!(reg.meta("audit_log").expect("meta").as_deref(), Some("audit.log"));
        let moved = dir.path().join("moved");
        std::fs::create_dir(&moved).expect("mkdir");
        drop(reg);
        std::fs::copy(dir.path().join("r.sqlite"), moved.join("r.sqlite")).expect("copy");
        // Alone, the copy has no log: it cannot be proved, and writes nowhere.
        assert!(matches!(Registry::open(&moved.join("r.sqlite")), Err(RegistryError::Tampered { .. })));
        std::fs::copy(dir.path().join("audit.log"), moved.join("audit.log")).expect("copy log");
        let mut copy = Registry::open(&moved.join("r.sqlite")).expect("copy with its log");
        copy.add_file(&who(), &entry("F"), &[]).expect("add");
        let original = JsonlLog::new(dir.path().join("audit.log")).entries().expect("entries");
        assert!(!original.iter().any(|e| e.record.action == "registry-file-add"), "the original's log is untouched");
    }

    #[test]
    fn a_copy_whose_log_is_outside_its_folder_is_refused_until_its_move_is_recorded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("logs").join("audit.log");
        let at = dir.path().join("reg").join("r.sqlite");
        let reg = Registry::create(&at, &profile(), &log, &who()).expect("create");
        assert!(Path::new(&reg.meta("audit_log").expect("meta").expect("log")).is_absolute());
        drop(reg);
        let copy = dir.path().join("copy").join("r.sqlite");
        std::fs::create_dir(dir.path().join("copy")).expect("mkdir");
        std::fs::copy(&at, &copy).expect("copy");
        let before = JsonlLog::new(&log).entries().expect("entries").len();
        // The copy would write into the original's log: refused, naming both places.
        let err = Registry::open(&copy).expect_err("a copy elsewhere is refused").to_string();
        assert!(err.contains("place:") && err.contains(&at.display().to_string()), "{err}");
        // Its rows are intact (what `registry verify` checks): only acting on it is refused.
        let problems = Registry::open_unproved(&copy).expect("open").check_all().expect("verify");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(JsonlLog::new(&log).entries().expect("entries").len(), before, "nothing written");
        // The original at its place is still proved and changed as before.
        Registry::open(&at).expect("original").add_file(&who(), &entry("F"), &[]).expect("add");
        // An officer's reasoned reset at the new place records the move: the copy is the
        // registry from then on, and the original at the old place is refused in its turn.
        let mut moved = Registry::open_unproved(&copy).expect("open");
        let accepted = moved.reset(&who(), "moved to the copy folder by the officer").expect("reset");
        assert!(accepted.iter().any(|p| p.starts_with("place:")), "{accepted:?}");
        Registry::open(&copy).expect("the copy now lives here");
        assert!(matches!(Registry::open(&at), Err(RegistryError::Tampered { .. })));
    }

    #[test]
    fn a_file_open_to_proposals_must_meet_article_60_3() {
        let (_dir, mut reg, log) = setup();
        let before = log.entries().expect("entries").len();
        for (field, item) in [("published", "1号"), ("disclosable", "2号"), ("processable", "3号")] {
            let mut e = entry("F");
            match field {
                "published" => e.published = false,
                "disclosable" => e.disclosable = false,
                _ => e.processable = false,
            }
            let err = reg.add_file(&who(), &e, &[]).expect_err("refused").to_string();
            assert!(err.contains(item), "{err}");
        }
        let mut closed = entry("F");
        closed.published = false;
        closed.open_to_proposals = false;
        reg.add_file(&who(), &closed, &[]).expect("a file closed to proposals needs no 法60条3項 checks");
        assert!(reg.add_file(&who(), &closed, &[]).expect_err("duplicate").to_string().contains("already"));
        assert_eq!(log.entries().expect("entries").len(), before + 2, "refusals write nothing");
    }

    #[test]
    fn a_business_cannot_open_files_to_proposals_and_prefectures_must_call_for_them() {
        let mut p = profile();
        p.body_kind = BodyKind::Prefecture;
        p.proposals_mandatory = Some(false);
        assert!(p.check().is_err());
        p.proposals_mandatory = None;
        assert!(p.proposals_mandatory());
        let dir = tempfile::tempdir().expect("tempdir");
        let biz: Profile =
            toml::from_str("body = \"株式会社例\"\nactor = \"business\"\nbody_kind = \"other\"\n").expect("profile");
        let mut reg =
            Registry::create(&dir.path().join("b.sqlite"), &biz, &dir.path().join("a.log"), &who()).expect("create");
        assert!(reg.add_file(&who(), &entry("F"), &[]).expect_err("refused").to_string().contains("public body"));
    }

    /// Two handles on one registry (two processes): a step prepared on a read that another
    /// step has since changed is refused inside its transaction and writes nothing.
    #[test]
    fn a_step_prepared_on_a_stale_read_is_refused_inside_its_transaction() {
        let (_dir, mut reg, log) = setup();
        reg.add_file(&who(), &entry("F"), &[]).expect("add");
        let recipient = Recipient {
            name: "株式会社例".into(),
            representative: "代表".into(),
            address: "東京都".into(),
            contact: "担当".into(),
            corporate_number: None,
        };
        reg.add_recipient(&who(), &recipient).expect("recipient");
        let proposal = Proposal {
            recipient: "株式会社例".into(),
            file: "F".into(),
            people: 1000,
            method: "加工".into(),
            purpose: "統計".into(),
            use_from: "2027-01-01".into(),
            use_until: "2027-12-31".into(),
            safety_measures: "施錠".into(),
            columns: vec![ColumnGrant { name: "地方".into(), granularity: "地方".into(), level: None }],
            ..Default::default()
        };
        reg.open_call(&who(), "2026-11-27", "2026-12-31", &[], None).expect("call");
        let id = reg.propose(&who(), &proposal).expect("propose");
        let mut other = Registry::open(reg.path()).expect("open");
        // This handle reads the contract (received, one step) and prepares its step ...
        let read = reg.contract(id).expect("read").expect("contract");
        // ... the other handle makes a step meanwhile ...
        other.advance(&who(), id, State::CorrectionsRequested, Some("補正"), &FeeBasis::default()).expect("advance");
        let before = log.entries().expect("entries").len();
        // ... and the first step, checked inside its transaction, is refused.
        let err = reg
            .change_from(&[Guard::contract(&read)], &who(), "contract-withdrawn", "contract 1", |tx| {
                tx.execute("UPDATE contracts SET state = 'withdrawn' WHERE id = ?1", [id]).map_err(reg_err)?;
                Ok(((), vec![("contracts", id.to_string())]))
            })
            .expect_err("stale");
        assert!(err.to_string().contains("changed while this step was prepared"), "{err}");
        assert_eq!(log.entries().expect("entries").len(), before, "a refused step is not audited");
        let now = other.contract(id).expect("read").expect("contract");
        assert_eq!((now.state, now.history.len()), (State::CorrectionsRequested, 2));
        // The same for a release: registered under the contract once it allows provision is
        // covered by the run; here a guard on a release that does not exist refuses.
        let err = reg
            .change_from(
                &[Guard::Release { release_id: "r-1".into(), status: "published".into(), provisions: 0 }],
                &who(),
                "release-provide",
                "r-1",
                |_| Ok(((), vec![])),
            )
            .expect_err("no release");
        assert!(err.to_string().contains("release r-1 is gone"), "{err}");
        assert_eq!(reg.verify(&log.entries().expect("entries")).expect("verify"), Vec::<String>::new());
    }

    fn reg_err(e: rusqlite::Error) -> RegistryError {
        refuse::storage(e.to_string())
    }

    #[test]
    fn export_writes_every_row_as_json_lines() {
        let (_dir, mut reg, _log) = setup();
        reg.add_file(&who(), &entry("F"), &[]).expect("add");
        let mut out = Vec::new();
        let n = reg.export(&mut out).expect("export");
        let text = String::from_utf8(out).expect("utf8");
        assert_eq!(text.lines().count() as u64, n);
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).expect("json line");
            assert!(v["table"].is_string() && v["row"].is_object());
        }
        assert!(text.contains("\"table\":\"files\"") && text.contains("住民基本台帳事務"));
    }

    fn people_of(path: &Path, name: &str) -> i64 {
        let c = Connection::open(path).expect("open");
        c.query_row("SELECT people FROM files WHERE name = ?1", [name], |r| r.get(0)).expect("people")
    }

    /// Review (issue 28): a trigger added with `sqlite3` changes no row, so the full check passed
    /// and sealed the registry; the trigger then rewrote every later change's rows before their
    /// hashes were taken, and those changes were sealed as tokumei's own.
    #[test]
    fn a_trigger_or_view_added_outside_tokumei_is_refused() {
        let (_dir, mut reg, _log) = setup();
        reg.add_file(&who(), &entry("F"), &[]).expect("add");
        let path = reg.path().to_path_buf();
        drop(reg);
        let evil = Connection::open(&path).expect("open");
        evil.execute_batch(
            "CREATE TRIGGER evil AFTER INSERT ON files BEGIN UPDATE files SET people = 1 WHERE id = NEW.id; END",
        )
        .expect("trigger");
        drop(evil);
        match Registry::open(&path) {
            Err(RegistryError::Tampered { problems, .. }) => {
                assert!(problems.iter().any(|p| p.contains("trigger evil")), "{problems:?}")
            }
            Ok(mut reg) => {
                let _ = reg.add_file(&who(), &entry("G"), &[]);
                panic!(
                    "a registry with a trigger was proved; file G was recorded with {} people",
                    people_of(&path, "G")
                );
            }
            Err(other) => panic!("{other:?}"),
        }
        let evil = Connection::open(&path).expect("open");
        evil.execute_batch("DROP TRIGGER evil; CREATE VIEW v AS SELECT 1").expect("view");
        drop(evil);
        assert!(matches!(Registry::open(&path), Err(RegistryError::Tampered { .. })), "a view is refused too");
    }

    /// Review (issue 28): the seal hashed the file *by its path*, while the connection kept the
    /// file it had opened. A registry file replaced (rename over it) while tokumei held the
    /// registry open was fully checked through the old file and sealed with the new file's hash:
    /// the next act found the replacement "sealed".
    #[test]
    fn a_registry_file_replaced_while_open_is_never_sealed() {
        let (dir, mut reg, _log) = setup();
        reg.add_file(&who(), &entry("F"), &[]).expect("add");
        let path = reg.path().to_path_buf();
        // A copy of the file as sealed, edited, put in place of the registry.
        let forged = dir.path().join("forged.sqlite");
        std::fs::copy(&path, &forged).expect("copy");
        let c = Connection::open(&forged).expect("open");
        c.execute("UPDATE files SET people = 5 WHERE name = 'F'", []).expect("edit");
        drop(c);
        std::fs::rename(&forged, &path).expect("replace");
        // The handle still open acts (a long run registering its release).
        let acted = reg.add_file(&who(), &entry("G"), &[]);
        drop(reg);
        assert!(acted.is_err(), "a change on a registry whose file was replaced is refused");
        match Registry::open(&path) {
            Err(RegistryError::Tampered { .. }) => {}
            Ok(_) => panic!("the replaced file was proved (sealed) with {} people in F", people_of(&path, "F")),
            Err(other) => panic!("{other:?}"),
        }
    }

    /// Review (issue 28): between a change's commit (or the full check's end) and its seal,
    /// another connection could commit an edit; the seal then hashed the file with that edit in
    /// it, and the next act found it "sealed".
    #[test]
    fn an_edit_committed_between_a_commit_and_its_seal_is_not_sealed() {
        let (_dir, mut reg, log) = setup();
        reg.add_file(&who(), &entry("F"), &[]).expect("add");
        let path = reg.path().to_path_buf();
        // What the change read just before its commit.
        let version = reg.data_version().expect("version");
        let other = Connection::open(&path).expect("open");
        other.execute("UPDATE files SET people = 5 WHERE name = 'F'", []).expect("edit");
        drop(other);
        let sealed = reg.write_seal(&log, COMMITTED, None, Some(version)).expect("seal");
        assert!(sealed.record.details.get("file_sha256").is_none(), "{:?}", sealed.record.details);
        drop(reg);
        assert!(matches!(Registry::open(&path), Err(RegistryError::Tampered { .. })));
    }

    /// Review (issue 28): `tokumei audit rotate` starts a new log that continues the old one;
    /// the registry's changes and seals are in the archive, and every act must not be refused.
    #[test]
    fn a_registry_is_usable_after_its_audit_log_is_rotated() {
        let (_dir, mut reg, log) = setup();
        reg.add_file(&who(), &entry("F"), &[]).expect("add");
        let path = reg.path().to_path_buf();
        drop(reg);
        log.rotate("officer", "2026-11-28T00:00:00Z", "yearly").expect("rotate");
        let mut reg = Registry::open(&path).expect("proved after a rotation");
        reg.add_file(&who(), &entry("G"), &[]).expect("a change after a rotation");
        drop(reg);
        // The seal is in the new log now; a VACUUM makes the full check run across both logs.
        Connection::open(&path).expect("open").execute_batch("VACUUM").expect("vacuum");
        let mut reg = Registry::open(&path).expect("full check across the rotation");
        reg.add_file(&who(), &entry("H"), &[]).expect("a change");
        assert_eq!(reg.check_all().expect("check"), Vec::<String>::new());
    }

    /// Review (issue 28): a registry made by a tokumei whose schema was at version 1 gets the
    /// meta keys of migrations 3 and 5 (`code_digest_key`, `subject_key`) from the migrations,
    /// not from a change: the upgraded registry must still prove (and act).
    #[test]
    fn a_registry_made_at_schema_version_1_proves_after_its_upgrade() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("old.sqlite");
        let log = dir.path().join("audit.log");
        std::fs::File::create(&path).expect("file");
        {
            let mut reg = Registry::connect(&path).expect("connect");
            reg.conn.execute_batch(schema::MIGRATIONS[0]).expect("v1");
            reg.conn.execute_batch("PRAGMA user_version = 1").expect("version");
            JsonlLog::new(&log).start("officer", "2026-11-27T10:00:00Z", None).expect("log");
            reg.change(&who(), "init", "見本市", |tx| {
                tx.execute_batch(
                    "INSERT INTO meta (key, value) VALUES ('registry_id', 'old1'), ('audit_log', 'audit.log');
                     INSERT INTO profile VALUES (1, '見本市', '131016', 'public_body', 'municipality', 0, 0, 0, 30, 30, 90, 1000, 1000, 365, '[]', 5, 0);",
                )
                .expect("init");
                Ok(((), vec![("profile", "1".into()), ("meta", "registry_id".into()), ("meta", "audit_log".into())]))
            })
            .expect("init change");
        }
        let mut reg = Registry::open(&path).expect("an upgraded registry proves");
        reg.add_file(&who(), &entry("F"), &[]).expect("and acts");
        assert_eq!(reg.check_all().expect("check"), Vec::<String>::new());
    }

    /// Review (issue 28), known and not fixed: the chain is unkeyed, so whoever can write the log
    /// can append a well-formed seal of an edited file (here written with the library, as a
    /// ten-line script would) and the next act takes it as sealed. Needs a key outside the
    /// output folder (or a signed head) to fix.
    #[test]
    #[ignore = "known limitation: an unkeyed audit chain lets a forged seal through (docs/registry.md)"]
    fn a_forged_seal_appended_to_the_log_is_refused() {
        let (_dir, mut reg, log) = setup();
        reg.add_file(&who(), &entry("F"), &[]).expect("add");
        let path = reg.path().to_path_buf();
        drop(reg);
        let c = Connection::open(&path).expect("open");
        c.execute("UPDATE files SET people = 5", []).expect("edit");
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).expect("checkpoint");
        drop(c);
        let id = Registry::open_unproved(&path).expect("open").id().expect("id");
        let _ = std::fs::remove_file(format!("{}-wal", path.display()));
        let mut details = Map::new();
        details.insert("registry".into(), Value::String(id));
        details.insert("file_sha256".into(), Value::String(tokumei_audit::sys::sha256_file(&path).expect("sha")));
        log.append(Record {
            time: "2026-11-27T10:00:00Z".into(),
            operator: "tokumei".into(),
            action: "registry-verified".into(),
            status: "ok".into(),
            details,
            ..Default::default()
        })
        .expect("forged");
        assert!(matches!(Registry::open(&path), Err(RegistryError::Tampered { .. })));
    }

    /// Review (issue 28): a reset that reports success must leave a registry that proves: the
    /// problems it accepted (here a journal row edited outside tokumei) are not found again.
    #[test]
    fn a_reset_accepting_an_edited_journal_row_leaves_a_usable_registry() {
        let (_dir, mut reg, _log) = setup();
        reg.add_file(&who(), &entry("F"), &[]).expect("add");
        let path = reg.path().to_path_buf();
        drop(reg);
        Connection::open(&path)
            .expect("open")
            .execute("UPDATE changes SET subject = 'X' WHERE id = 2", [])
            .expect("edit");
        assert!(matches!(Registry::open(&path), Err(RegistryError::Tampered { .. })));
        let mut reg = Registry::open_unproved(&path).expect("open");
        match reg.reset(&who(), "journal row 2 reviewed by the officer; contents confirmed") {
            Ok(_) => {
                drop(reg);
                let reg = Registry::open(&path).expect("a reset that succeeded leaves a usable registry");
                assert_eq!(reg.check_all().expect("check"), Vec::<String>::new(), "and one that verifies");
            }
            Err(e) => assert!(matches!(e, RegistryError::Refused(_)), "{e:?}"),
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
