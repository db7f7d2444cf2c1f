//! `tokumei audit verify | head | rotate`.

use crate::job::Clock;
use crate::{Failure, fail};
use std::path::{Path, PathBuf};
use tokumei_audit::anchor::{self, Found};
use tokumei_audit::sign::{self, SignedHead};
use tokumei_audit::{Entry, Head, JsonlLog};
use tokumei_engine::ExitCode;
use tokumei_release::DiskState;

/// Which audit log a command reads: `--log FILE` or the one a job names.
#[derive(clap::Args)]
pub struct LogArg {
    /// Audit log file.
    #[arg(long, default_value = "reports/audit.log", conflicts_with = "job")]
    pub log: PathBuf,
    /// Take the audit log (and, for verify, the releases) named by this job file instead.
    #[arg(long)]
    pub job: Option<PathBuf>,
}

impl LogArg {
    /// The log, and the job that names it.
    pub fn resolve(&self) -> Result<(PathBuf, Option<tokumei_rules::Job>), Failure> {
        match &self.job {
            Some(j) => {
                let job = tokumei_rules::load_job(j).map_err(|d| fail(ExitCode::Config, anyhow::anyhow!("{d}")))?;
                Ok((job.audit_log.clone(), Some(job)))
            }
            None => Ok((self.log.clone(), None)),
        }
    }
}

/// `tokumei audit verify`, with `--registry`: the registry checked first (its problems listed),
/// then the log (the job's output folder among the releases when it has any).
pub fn verify_all(
    log: &LogArg,
    anchors: &[String],
    mut releases: Vec<PathBuf>,
    public_key: Option<&Path>,
    registry: Option<&Path>,
) -> Result<(), Failure> {
    let registry_problems = match registry {
        Some(path) => {
            let reg =
                tokumei_registry::Registry::open_unproved(path).map_err(|e| fail(ExitCode::Registry, e.into()))?;
            Some((path, crate::registry_cmd::verify(&reg)?))
        }
        None => None,
    };
    let (path, job) = log.resolve()?;
    if let Some(job) = job
        && job.output_dir.exists()
        && !tokumei_release::find_releases(&job.output_dir).is_empty()
    {
        releases.push(job.output_dir);
    }
    let verified = verify(&path, anchors, &releases, public_key);
    if let Some((registry, problems)) = registry_problems {
        for p in &problems {
            eprintln!("problem: registry: {p}");
        }
        if verified.is_ok() && !problems.is_empty() {
            return Err(fail(
                ExitCode::Registry,
                anyhow::anyhow!("registry {}: {} problem(s) found", registry.display(), problems.len()),
            ));
        }
        if problems.is_empty() {
            say!("registry {}: every row, change and release matches the audit log", registry.display());
        }
    }
    verified
}

/// A log and the logs it continues (followed through rotation entries, each archive checked
/// against the hash its successor recorded), newest first, each with its intact entries. A
/// missing or changed archive is a problem.
fn log_chain(log: &JsonlLog, entries: Vec<Entry>, problems: &mut Vec<String>) -> Vec<(JsonlLog, Vec<Entry>)> {
    let mut chain = vec![(log.clone(), entries)];
    while chain.len() < 1000 {
        let (current, entries) = chain.last().expect("non-empty");
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
fn read_anchor(arg: &str, public_key: Option<&Path>, problems: &mut Vec<String>) -> Result<Anchor, Failure> {
    if let Ok(head) = arg.parse::<Head>() {
        return Ok(Anchor { head, from: "the command line".into() });
    }
    let path = Path::new(arg);
    let usage = |m: String| fail(ExitCode::Usage, anyhow::anyhow!("--anchor {arg}: {m}"));
    if !path.exists() {
        return Err(usage("neither a head (`<entry>:<sha256>`) nor an existing file or folder".into()));
    }
    let from = path.display().to_string();
    if path.is_dir() {
        let report = path.join("report.json");
        return read_anchor_json(&report, public_key, problems).map(|head| Anchor { head, from });
    }
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
        let value = tokumei_engine::output::parquet_key_value(path, "tokumei.audit_head")
            .map_err(|e| usage(e.to_string()))?
            .ok_or_else(|| usage("this Parquet file carries no tokumei.audit_head".into()))?;
        let head = value.parse::<Head>().map_err(|m| usage(format!("tokumei.audit_head: {m}")))?;
        return Ok(Anchor { head, from });
    }
    read_anchor_json(path, public_key, problems).map(|head| Anchor { head, from })
}

fn read_anchor_json(path: &Path, public_key: Option<&Path>, problems: &mut Vec<String>) -> Result<Head, Failure> {
    let usage = |m: String| fail(ExitCode::Usage, anyhow::anyhow!("--anchor {}: {m}", path.display()));
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
            (None, true) => eprintln!(
                "note: {} is signed ({}); pass --public-key to check its signature",
                path.display(),
                signed.key_id.as_deref().unwrap_or("unknown key")
            ),
            (None, false) => {}
        }
        return Ok(signed.head());
    }
    if public_key.is_some() && value.get("audit_head").is_none() {
        problems.push(format!("anchor {}: not a signed head", path.display()));
    }
    anchor::from_json(&value).ok_or_else(|| usage("holds no audit head (`audit_head`, or `seq` and `hash`)".into()))
}

/// `tokumei audit verify`.
pub fn verify(
    log_path: &Path,
    anchors: &[String],
    releases: &[PathBuf],
    public_key: Option<&Path>,
) -> Result<(), Failure> {
    let log = JsonlLog::new(log_path);
    if !log.exists().map_err(|e| fail(ExitCode::Audit, e.into()))? {
        return Err(fail(ExitCode::Audit, anyhow::anyhow!("audit log {} does not exist", log_path.display())));
    }
    let entries = log.entries().map_err(|e| fail(ExitCode::Audit, e.into()))?;
    let Some(head) = entries.last().map(Entry::head) else {
        return Err(fail(
            ExitCode::Audit,
            anyhow::anyhow!(
                "audit log {} is empty, but a log always begins with the entry that started it: it may have been emptied",
                log_path.display()
            ),
        ));
    };
    say!("audit log {}: {} entries, chain intact; head {head}", log_path.display(), entries.len());
    let mut problems: Vec<String> = Vec::new();
    let chain = log_chain(&log, entries.clone(), &mut problems);
    for (previous, es) in chain.iter().skip(1) {
        say!(
            "continues the previous log {} ({} good entries, its SHA-256 as recorded)",
            previous.path().display(),
            es.len()
        );
    }

    for r in chain.iter().flat_map(|(l, es)| tokumei_release::check_logged(l, es)) {
        let state = match (&r.state, r.published) {
            (DiskState::Matches, true) => "published; its files match".to_string(),
            (DiskState::Matches, false) => {
                "interrupted after publication (no `published` entry); its files are complete and match".into()
            }
            (DiskState::Absent, false) => "interrupted before publication: never published".into(),
            (DiskState::Absent, true) => format!("published; no longer at {}", r.dir.display()),
            (DiskState::Differs(what), _) => {
                problems.push(format!("release {} ({}): {what}", r.release_id, r.dir.display()));
                format!("DIFFERS from its audit entry: {what}")
            }
        };
        say!("release {} (entry {}): {state}", r.release_id, r.entry);
    }

    let mut all: Vec<Anchor> = Vec::new();
    for a in anchors {
        all.push(read_anchor(a, public_key, &mut problems)?);
    }
    for dir in releases {
        let found = tokumei_release::find_releases(dir);
        if found.is_empty() {
            return Err(fail(
                ExitCode::Usage,
                anyhow::anyhow!("--releases {}: no release folder there", dir.display()),
            ));
        }
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
            match f.report.as_ref().and_then(anchor::from_json) {
                Some(head) => all.push(Anchor { head, from: f.dir.join("report.json").display().to_string() }),
                None => {
                    problems.push(format!("release folder {}: its report.json carries no audit head", f.dir.display()))
                }
            }
        }
    }
    for a in &all {
        match anchor::check(&log, &entries, &a.head) {
            Ok(Found::Here) => say!("anchor {} ({}): held at entry {}", a.head, a.from, a.head.seq),
            Ok(Found::Previous(p)) => {
                say!("anchor {} ({}): held at entry {} of the previous log {}", a.head, a.from, a.head.seq, p.display())
            }
            Err(reason) => problems.push(format!("anchor {} ({}): {reason}", a.head, a.from)),
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    for p in &problems {
        eprintln!("problem: {p}");
    }
    Err(fail(
        ExitCode::Audit,
        anyhow::anyhow!("audit log {}: {} problem(s) found (listed above)", log_path.display(), problems.len()),
    ))
}

/// `tokumei audit head`.
pub fn head(log_path: &Path, sign_key: Option<&Path>, json: bool) -> Result<(), Failure> {
    let log = JsonlLog::new(log_path);
    let entries = log.entries().map_err(|e| fail(ExitCode::Audit, e.into()))?;
    let last = entries.last().ok_or_else(|| {
        fail(ExitCode::Audit, anyhow::anyhow!("audit log {} does not exist or is empty", log_path.display()))
    })?;
    let time = Clock::now()?.entry_time();
    let signed = match sign_key {
        Some(k) => sign::sign(k, &log_path.display().to_string(), &last.head(), &time)
            .map_err(|e| fail(ExitCode::Key, e.into()))?,
        None => SignedHead {
            log: log_path.display().to_string(),
            seq: last.seq,
            hash: last.hash.clone(),
            time,
            key_id: None,
            signature: None,
        },
    };
    if json || sign_key.is_some() {
        say!("{}", serde_json::to_string(&signed).map_err(|e| fail(ExitCode::Internal, e.into()))?);
    } else {
        say!("{}", last.head());
        eprintln!(
            "entry {} of {} ({}); file it outside the log: `tokumei audit verify --anchor {}` proves the log still holds it",
            last.seq,
            log_path.display(),
            last.record.time,
            last.head()
        );
    }
    Ok(())
}

/// `tokumei audit rotate`.
pub fn rotate(log_path: &Path, reason: &str, operator: &str) -> Result<(), Failure> {
    if reason.trim().is_empty() {
        return Err(fail(ExitCode::Usage, anyhow::anyhow!("--reason must say why the log is rotated")));
    }
    let log = JsonlLog::new(log_path);
    let (archive, first) =
        log.rotate(operator, &Clock::now()?.entry_time(), reason).map_err(|e| fail(ExitCode::Audit, e.into()))?;
    say!("kept the previous log unchanged as {}", archive.display());
    say!(
        "started {} with entry 1 recording it ({}; previous head {})",
        log_path.display(),
        first.record.details["previous_state"].as_str().unwrap_or_default(),
        first.record.details["previous_head"].as_str().filter(|s| !s.is_empty()).unwrap_or("none")
    );
    Ok(())
}
