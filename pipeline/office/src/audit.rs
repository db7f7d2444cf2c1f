//! `tokumei audit verify | head | rotate`: the log's chain, the releases it records and the heads
//! kept outside it; its head for an officer to file; a new log continuing a broken one.

use crate::{Clock, OfficeError};
use std::path::{Path, PathBuf};
use tokumei_audit::anchor::{self, Found};
use tokumei_audit::sign::{self, SignedHead};
use tokumei_audit::{AuditError, Entry, Head, JsonlLog};
use tokumei_documents::text::Told;
use tokumei_release::{DiskState, LoggedRelease};

/// What verifying finds as it goes, in order (the binary prints each as it comes).
pub enum Verifying<'a> {
    /// The log's chain is intact: its entries and head.
    Log {
        /// Its entries.
        entries: usize,
        /// Its head.
        head: &'a Head,
    },
    /// It continues a previous log (its SHA-256 as recorded), with this many good entries.
    Continues {
        /// The previous log.
        log: &'a Path,
        /// Its good entries.
        entries: usize,
    },
    /// A release the log records, and its folder now (a differing one is also a problem).
    Release(&'a LoggedRelease),
    /// A head file is signed but no public key was given to check it.
    Signed {
        /// The head file.
        file: &'a Path,
        /// The key it names.
        key_id: Option<&'a str>,
    },
    /// An anchor the log holds (`None`: in this log; else in that previous log).
    Held {
        /// The head.
        head: &'a Head,
        /// Where it came from.
        from: &'a str,
        /// The previous log holding it, if not this one.
        previous: Option<&'a Path>,
    },
}

impl Verifying<'_> {
    /// What the binary prints of it, for the log at `log`.
    pub fn told(&self, log: &Path) -> Told {
        use tokumei_documents::text::audit::{self as text, Disk};
        match self {
            Verifying::Log { entries, head } => text::log_intact(log, *entries, head),
            Verifying::Continues { log, entries } => text::continues(log, *entries),
            Verifying::Release(r) => {
                let disk = match &r.state {
                    DiskState::Matches => Disk::Matches,
                    DiskState::Absent => Disk::Absent,
                    DiskState::Differs(what) => Disk::Differs(what),
                };
                text::release(&r.release_id, r.entry, (disk, r.published), &r.dir)
            }
            Verifying::Signed { file, key_id } => text::signed(file, *key_id),
            Verifying::Held { head, from, previous } => text::held(head, from, *previous),
        }
    }
}

/// A log and the logs it continues (followed through rotation entries, each archive checked
/// against the hash its successor recorded), newest first, each with its intact entries. A
/// missing or changed archive is a problem.
fn log_chain(log: &JsonlLog, entries: Vec<Entry>, problems: &mut Vec<String>) -> Vec<(JsonlLog, Vec<Entry>)> {
    let mut chain = vec![(log.clone(), entries)];
    while chain.len() < 1000 {
        let Some((current, entries)) = chain.last() else { break };
        match anchor::previous(current, entries) {
            None => break,
            Some(Err(e)) => {
                problems.push(e);
                break;
            }
            Some(Ok(previous)) => match previous.scan() {
                Ok(scan) => chain.push((previous, scan.entries)),
                Err(e) => {
                    problems.push(e.to_string());
                    break;
                }
            },
        }
    }
    chain
}

/// Where an anchor came from and what it says.
struct Anchor {
    head: Head,
    from: String,
}

/// Read an anchor: `N:hash`, a head file (`tokumei audit head --json`, signed or not), a
/// release's `report.json`, a release folder, or a release's Parquet file.
fn read_anchor(
    arg: &str,
    public_key: Option<&Path>,
    problems: &mut Vec<String>,
    tell: &mut dyn FnMut(Verifying),
) -> Result<Anchor, OfficeError> {
    if let Ok(head) = arg.parse::<Head>() {
        return Ok(Anchor { head, from: "the command line".into() });
    }
    let path = Path::new(arg);
    let usage = |m: String| OfficeError::Usage(format!("--anchor {arg}: {m}"));
    if !path.exists() {
        return Err(usage("neither a head (`<entry>:<sha256>`) nor an existing file or folder".into()));
    }
    let from = path.display().to_string();
    if path.is_dir() {
        let report = path.join("report.json");
        return read_anchor_json(&report, public_key, problems, tell).map(|head| Anchor { head, from });
    }
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
        let value = tokumei_engine::output::parquet_key_value(path, "tokumei.audit_head")
            .map_err(|e| usage(e.to_string()))?
            .ok_or_else(|| usage("this Parquet file carries no tokumei.audit_head".into()))?;
        let head = value.parse::<Head>().map_err(|m| usage(format!("tokumei.audit_head: {m}")))?;
        return Ok(Anchor { head, from });
    }
    read_anchor_json(path, public_key, problems, tell).map(|head| Anchor { head, from })
}

fn read_anchor_json(
    path: &Path,
    public_key: Option<&Path>,
    problems: &mut Vec<String>,
    tell: &mut dyn FnMut(Verifying),
) -> Result<Head, OfficeError> {
    let usage = |m: String| OfficeError::Usage(format!("--anchor {}: {m}", path.display()));
    let meta = std::fs::metadata(path).map_err(|e| usage(format!("cannot read ({})", e.kind())))?;
    if !meta.is_file() || meta.len() > 64 << 20 {
        return Err(usage("is not a head file, report.json, release folder or Parquet file".into()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| usage(format!("cannot read ({})", e.kind())))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|_| usage("is not JSON (a head file or report.json)".into()))?;
    if let Ok(signed) = serde_json::from_value::<SignedHead>(value.clone()) {
        match (public_key, signed.signature.is_some()) {
            (Some(pk), _) => {
                if let Err(e) = sign::verify(pk, &signed) {
                    problems.push(format!("anchor {}: {e}", path.display()));
                }
            }
            (None, true) => tell(Verifying::Signed { file: path, key_id: signed.key_id.as_deref() }),
            (None, false) => {}
        }
        return Ok(signed.head());
    }
    // A release's report.json, read as a report (its stamp), else a head without its signature.
    let recorded =
        serde_json::from_value::<tokumei_report::ReleaseStamp>(value.clone()).ok().and_then(|s| s.audit_head);
    if public_key.is_some() && recorded.is_none() {
        problems.push(format!("anchor {}: not a signed head", path.display()));
    }
    let no_head = || usage("holds no audit head (`audit_head`, or `seq` and `hash`)".into());
    match recorded {
        Some(head) => head.parse::<Head>().map_err(|_| no_head()),
        None => anchor::from_json(&value).ok_or_else(no_head),
    }
}

/// The audit log a command reads: `log`, or the one the job file `job` names (with the job).
pub fn log_of(log: &Path, job: Option<&Path>) -> Result<(PathBuf, Option<tokumei_rules::Job>), OfficeError> {
    match job {
        Some(j) => {
            let job = tokumei_rules::load_job(j).map_err(|d| OfficeError::Config(d.to_string()))?;
            Ok((job.audit_log.clone(), Some(job)))
        }
        None => Ok((log.to_path_buf(), None)),
    }
}

/// What `audit verify` is asked to check.
pub struct VerifyAll<'a> {
    /// The audit log (`--log`).
    pub log: &'a Path,
    /// A job naming the log instead (its output folder is checked too when it holds releases).
    pub job: Option<&'a Path>,
    /// Heads kept outside the log (`--anchor`).
    pub anchors: &'a [String],
    /// Release folders to check (`--releases`).
    pub releases: Vec<PathBuf>,
    /// The officer's public key signed head files must verify with.
    pub public_key: Option<&'a Path>,
    /// A registry to check against the log too.
    pub registry: Option<&'a Path>,
}

/// What `audit verify` found: the log's problems (or why it could not be checked) and the
/// registry's.
pub struct VerifiedAll {
    /// The log checked.
    pub log_path: PathBuf,
    /// The log's problems, or why it could not be checked.
    pub log: Result<Vec<String>, OfficeError>,
    /// The registry checked, with its problems.
    pub registry: Option<crate::records::registry::Verified>,
}

/// `audit verify`: the registry checked first (when asked), then the log, the job's output
/// folder among the releases when it holds any; what the log's check finds is told as it goes.
pub fn verify_all(a: VerifyAll, tell: &mut dyn FnMut(Told)) -> Result<VerifiedAll, OfficeError> {
    let registry = match a.registry {
        Some(path) => {
            let reg = tokumei_registry::Registry::open_unproved(path).map_err(|e| OfficeError::registry(&e))?;
            let problems = crate::records::registry::verify(&reg)?;
            Some(crate::records::registry::Verified { path: path.to_path_buf(), problems })
        }
        None => None,
    };
    let (log_path, job) = log_of(a.log, a.job)?;
    let mut releases = a.releases;
    if let Some(job) = job
        && job.output_dir.exists()
        && !tokumei_release::find_releases(&job.output_dir).is_empty()
    {
        releases.push(job.output_dir);
    }
    let log = verify(&log_path, a.anchors, &releases, a.public_key, &mut |v| tell(v.told(&log_path)));
    Ok(VerifiedAll { log_path, log, registry })
}

impl crate::records::Checked for VerifiedAll {
    /// The problems found (the log's, then the registry's), or that the registry matches.
    fn told(&self) -> Told {
        let log = self.log.as_deref().unwrap_or_default();
        tokumei_documents::text::audit::problems(log, self.registry.as_ref().map(|r| (&*r.path, &*r.problems)))
    }

    /// The failure: the log's first, then the registry's.
    fn result(self) -> Result<(), OfficeError> {
        match self.log?.len() {
            0 => self.registry.map_or(Ok(()), |r| r.result()),
            n => Err(problems_found(&self.log_path, n)),
        }
    }
}

/// Verify the log at `log_path`: its chain (and the logs it continues), every release it
/// records, the `anchors` and the release folders `releases` (each with its entry, its head an
/// anchor). Tells what it finds as it goes; returns the problems found (none: all is well).
pub fn verify(
    log_path: &Path,
    anchors: &[String],
    releases: &[PathBuf],
    public_key: Option<&Path>,
    tell: &mut dyn FnMut(Verifying),
) -> Result<Vec<String>, OfficeError> {
    let log = JsonlLog::new(log_path);
    if !log.exists()? {
        return Err(refused(format!("audit log {} does not exist", log_path.display())));
    }
    let entries = log.entries()?;
    let Some(head) = entries.last().map(Entry::head) else {
        return Err(refused(format!(
            "audit log {} is empty, but a log always begins with the entry that started it: it may have been emptied",
            log_path.display()
        )));
    };
    tell(Verifying::Log { entries: entries.len(), head: &head });
    let mut problems: Vec<String> = Vec::new();
    let chain = log_chain(&log, entries.clone(), &mut problems);
    for (previous, es) in chain.iter().skip(1) {
        tell(Verifying::Continues { log: previous.path(), entries: es.len() });
    }
    for r in chain.iter().flat_map(|(l, es)| tokumei_release::check_logged(l, es)) {
        if let DiskState::Differs(what) = &r.state {
            problems.push(format!("release {} ({}): {what}", r.release_id, r.dir.display()));
        }
        tell(Verifying::Release(&r));
    }
    let mut all: Vec<Anchor> = Vec::new();
    for a in anchors {
        all.push(read_anchor(a, public_key, &mut problems, tell)?);
    }
    for dir in releases {
        all.extend(release_anchors(dir, &chain, &mut problems)?);
    }
    for a in &all {
        match anchor::check(&log, &entries, &a.head) {
            Ok(Found::Here) => tell(Verifying::Held { head: &a.head, from: &a.from, previous: None }),
            Ok(Found::Previous(p)) => tell(Verifying::Held { head: &a.head, from: &a.from, previous: Some(&p) }),
            Err(reason) => problems.push(format!("anchor {} ({}): {reason}", a.head, a.from)),
        }
    }
    Ok(problems)
}

/// The release folders in `dir` checked against their entries; their heads as anchors.
fn release_anchors(
    dir: &Path,
    chain: &[(JsonlLog, Vec<Entry>)],
    problems: &mut Vec<String>,
) -> Result<Vec<Anchor>, OfficeError> {
    let found = tokumei_release::find_releases(dir);
    if found.is_empty() {
        return Err(OfficeError::Usage(format!("--releases {}: no release folder there", dir.display())));
    }
    let mut anchors = Vec::new();
    for f in found {
        let entry = chain.iter().find_map(|(_, es)| f.entry(es));
        match entry {
            None => problems.push(format!(
                "release folder {} has no `publishing` entry in the log: it was not made by a run recorded here, or its entry was removed",
                f.dir.display()
            )),
            Some(e) => match f.state(e) {
                DiskState::Matches => {}
                DiskState::Differs(what) => problems.push(format!("release folder {}: {what}", f.dir.display())),
                DiskState::Absent => {}
            },
        }
        match f.audit_head() {
            Some(head) => anchors.push(Anchor { head, from: f.dir.join("report.json").display().to_string() }),
            None => problems.push(format!("release folder {}: its report.json carries no audit head", f.dir.display())),
        }
    }
    Ok(anchors)
}

/// The refusal of a log that verify found problems in (listed before it).
pub fn problems_found(log_path: &Path, problems: usize) -> OfficeError {
    refused(format!("audit log {}: {problems} problem(s) found (listed above)", log_path.display()))
}

/// An audit refusal (exit 7) with this message.
fn refused(message: String) -> OfficeError {
    OfficeError::Audit(AuditError::Anchor(message))
}

/// The log's last entry and its head as a head file, signed with `sign_key` if given.
pub fn head(log_path: &Path, sign_key: Option<&Path>) -> Result<(Entry, SignedHead), OfficeError> {
    let log = JsonlLog::new(log_path);
    let entries = log.entries()?;
    let last = entries
        .last()
        .cloned()
        .ok_or_else(|| refused(format!("audit log {} does not exist or is empty", log_path.display())))?;
    let time = Clock::now()?.entry_time();
    let signed = match sign_key {
        Some(k) => sign::sign(k, &log_path.display().to_string(), &last.head(), &time)?,
        None => SignedHead {
            log: log_path.display().to_string(),
            seq: last.seq,
            hash: last.hash.clone(),
            time,
            key_id: None,
            signature: None,
        },
    };
    Ok((last, signed))
}

/// `audit head`: the head for an officer to file, or (with `json`, or signed with `sign_key`) the
/// head file as one line of JSON.
pub fn head_told(log_path: &Path, sign_key: Option<&Path>, json: bool) -> Result<Told, OfficeError> {
    let (last, signed) = head(log_path, sign_key)?;
    if json || sign_key.is_some() {
        let line = serde_json::to_string(&signed).map_err(|e| OfficeError::Internal(e.to_string()))?;
        return Ok(Told::out(line + "\n"));
    }
    Ok(tokumei_documents::text::audit::head(&last, log_path))
}

/// `audit rotate`: the log kept under a new name and a new one started (see [`rotate`]).
pub fn rotated(log_path: &Path, reason: &str, operator: &str) -> Result<Told, OfficeError> {
    let (archive, first) = rotate(log_path, reason, operator)?;
    Ok(tokumei_documents::text::audit::rotated(&archive, log_path, &first))
}

/// Keep the log unchanged under a new name and start a new one recording it, for `reason`:
/// the archive's path and the new log's first entry.
pub fn rotate(log_path: &Path, reason: &str, operator: &str) -> Result<(PathBuf, Entry), OfficeError> {
    if reason.trim().is_empty() {
        return Err(OfficeError::Usage("--reason must say why the log is rotated".into()));
    }
    let log = JsonlLog::new(log_path);
    Ok(log.rotate(operator, &Clock::now()?.entry_time(), reason)?)
}
