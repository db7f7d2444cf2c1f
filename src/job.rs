//! `tokumei run` and `tokumei check`: the order of a run around the engine, so that the audit
//! log records every run and every release is complete or invisible:
//!
//! audit log intact (else exit 7) -> prepare (rules, input header, key) -> paths checked ->
//! output folder locked -> releases already there still anchored in the log -> stale staging
//! removed (audited) -> engine writes the staged release -> publish (entry, rename, entry).

use crate::{Failure, fail, operator};
use std::path::{Path, PathBuf};
use tokumei_audit::{JsonlLog, Record};
use tokumei_engine::ExitCode;
use tokumei_engine::RunError;
use tokumei_engine::run::{RunFacts, RunOptions, Target};
use tokumei_engine::{EngineError, Progress};
pub use tokumei_office::Clock;
use tokumei_release::{OutputDir, ReleaseError};

/// The audit log of a job file that could not be loaded: `../reports/audit.log` from it.
pub fn default_audit_log(job: &Path) -> PathBuf {
    job.parent().unwrap_or(Path::new(".")).join("..").join("reports").join("audit.log")
}

/// Exit code of a release-folder error.
fn release_failure(e: ReleaseError) -> Failure {
    let code = match &e {
        ReleaseError::Output { .. } => ExitCode::Output,
        ReleaseError::Audit(_) => ExitCode::Audit,
        ReleaseError::Paths(_) => ExitCode::Config,
        ReleaseError::Register(_) => ExitCode::Registry,
    };
    let error = match e {
        ReleaseError::Audit(a) => {
            anyhow::Error::new(a).context("the audit entry could not be written, so nothing was published")
        }
        other => anyhow::Error::new(other),
    };
    fail(code, error)
}

/// The job's audit log as a run finds it: intact with its entries, or not there yet (it is
/// started, its first entry recording the start, only once the run knows that nothing recorded
/// in an earlier log is missing). A broken, incomplete or emptied log refuses the run.
pub struct RunLog {
    log: JsonlLog,
    entries: Option<Vec<tokumei_audit::Entry>>,
    /// The output folder whose releases witness the log.
    out_root: PathBuf,
}

impl RunLog {
    /// Check the log at `path`; `out_root` is the output folder of the run.
    pub fn open(path: &Path, out_root: &Path) -> Result<RunLog, Failure> {
        let log = JsonlLog::new(path);
        let refuse = |e: tokumei_audit::AuditError| {
            fail(
                ExitCode::Audit,
                anyhow::anyhow!(
                    "{e}\n  hint: a broken log is evidence and is kept as it is; `tokumei audit verify` shows where it breaks, and `tokumei audit rotate --reason ...` starts a new log that records this one's final state"
                )
                .context("the run did not start"),
            )
        };
        if !log.exists().map_err(refuse)? {
            return Ok(RunLog { log, entries: None, out_root: out_root.to_path_buf() });
        }
        let entries = log.entries().map_err(refuse)?;
        if entries.is_empty() {
            return Err(refuse(tokumei_audit::AuditError::Invalid {
                path: path.to_path_buf(),
                reason: "is empty, but a log always begins with the entry that started it: it may have been emptied"
                    .into(),
            }));
        }
        Ok(RunLog { log, entries: Some(entries), out_root: out_root.to_path_buf() })
    }

    /// Read the entries again (another run may have appended since): under the output folder's
    /// lock they then include every release already in it.
    pub fn refresh(&mut self) -> Result<(), Failure> {
        *self = RunLog::open(self.log.path(), &self.out_root)?;
        Ok(())
    }

    /// The entries (none before the log is started).
    pub fn entries(&self) -> &[tokumei_audit::Entry] {
        self.entries.as_deref().unwrap_or_default()
    }

    /// Start the log if it does not exist yet; returns it. A missing log is not started anew
    /// while releases in the output folder witness an earlier one (it was deleted or moved).
    pub fn started(&mut self, operator: &str, clock: &Clock) -> Result<&JsonlLog, Failure> {
        if self.entries.is_none() {
            check_release_anchors(&self.log, &[], &self.out_root)?;
            let first = self
                .log
                .start(operator, &clock.entry_time(), clock.note())
                .map_err(|e| fail(ExitCode::Audit, e.into()))?;
            if let Some(first) = &first {
                eprintln!("note: started a new audit log {} (entry {})", shown(self.log.path()).display(), first.seq);
            }
            self.entries = Some(self.log.entries().map_err(|e| fail(ExitCode::Audit, e.into()))?);
        }
        Ok(&self.log)
    }
}

/// Run or check a job.
pub fn run_job(
    job_path: &Path,
    out: Option<PathBuf>,
    operator_name: Option<String>,
    dry_run: bool,
    contract: Option<ContractArg>,
    progress: &dyn Progress,
) -> Result<(), Failure> {
    let clock = Clock::now()?;
    let operator = operator(operator_name);
    let action = if dry_run { "check" } else { "run" };
    // The fields every entry of this run shares (the contract's, once it is known).
    let base = std::cell::RefCell::new(Record {
        time: String::new(),
        operator: operator.clone(),
        action: action.into(),
        status: "failed".into(),
        job: Some(job_path.display().to_string()),
        clock: clock.note(),
        ..Default::default()
    });
    let job = match tokumei_rules::load_job(job_path) {
        Ok(j) => j,
        Err(d) => {
            // Record the failure in the default log if that exists and is intact.
            let log = JsonlLog::new(default_audit_log(job_path));
            if log.head().is_ok() {
                let mut r = base.borrow().clone();
                r.time = clock.entry_time();
                r.error = Some(format!("config: {}", d.to_string().lines().next().unwrap_or_default()));
                let _ = log.append(r);
            }
            return Err(EngineError::Config(d.to_string()).into());
        }
    };
    let out_root = out.unwrap_or_else(|| job.output_dir.clone());
    // The command line's use, else the job's `[registry]`.
    let (cli_registry, cli_use, hours, replaces) = match contract {
        Some(c) => (c.registry, c.using, c.hours, c.replaces),
        None => (None, None, None, None),
    };
    let named_registry = cli_registry.clone();
    let using = cli_use.or_else(|| {
        job.release_use.clone().map(|u| match u {
            tokumei_rules::JobUse::Contract(id) => Use::Contract(id),
            tokumei_rules::JobUse::Internal(p) => Use::Internal(p),
        })
    });
    if hours.is_some() && using.is_none() {
        return Err(fail(
            ExitCode::Usage,
            anyhow::anyhow!(
                "--hours goes with a contract or an internal use (--contract, --internal-use or the job's [registry])"
            ),
        ));
    }
    let contract = using.map(|using| ContractRun {
        registry: cli_registry
            .or_else(|| job.registry.clone())
            .unwrap_or_else(|| job.output_dir.join("registry.sqlite")),
        id: match &using {
            Use::Contract(id) => Some(*id),
            Use::Internal(_) => None,
        },
        purpose: match using {
            Use::Internal(p) => Some(p),
            Use::Contract(_) => None,
        },
        hours,
        replaces,
    });
    let mut run_log = RunLog::open(&job.audit_log, &out_root)?;
    // Any failure from here on is audited (unless the log itself is what failed).
    let audit_failure = |run_log: &mut RunLog, facts: &RunFacts, f: Failure| -> Failure {
        if f.code == ExitCode::Audit {
            return f;
        }
        let log = match run_log.started(&operator, &clock) {
            Ok(log) => log,
            Err(e) => {
                return fail(
                    f.code,
                    f.error.context(format!("(and its audit entry could not be written: {:#})", e.error)),
                );
            }
        };
        let mut r = base.borrow().clone();
        r.time = clock.entry_time();
        fill(&mut r, facts);
        r.error = Some(format!("{}: {}", f.code.class(), format!("{:#}", f.error).lines().next().unwrap_or_default()));
        match log.append(r) {
            Ok(_) => f,
            Err(e) => fail(f.code, f.error.context(format!("(and its audit entry could not be written: {e})"))),
        }
    };
    let spill_memory = std::env::var("TOKUMEI_SPILL_MEMORY").ok().and_then(|t| t.trim().parse().ok());
    let provided = contract.as_ref().is_some_and(|c| c.id.is_some());
    let opts = RunOptions { now_unix: clock.run_unix, progress, threads: threads(), spill_memory, provided };
    // Residents' requests: the registry's exclusions and corrections are the run's first stage.
    let requests = match requests_stage(&job, contract.as_ref(), named_registry.as_deref(), &out_root) {
        Ok(r) => r,
        Err(f) => return Err(audit_failure(&mut run_log, &RunFacts::default(), f)),
    };
    let prepared =
        match tokumei_engine::prepare_with_requests(&job, clock.run_unix, requests.as_ref().map(|r| r.stage.clone())) {
            Ok(p) => p,
            Err(RunError { error, facts }) => return Err(audit_failure(&mut run_log, &facts, error.into())),
        };
    let mut facts = prepared.facts.clone();
    // The linking-code (pseudonym) columns, whose code set the registry keeps a keyed digest of.
    let code_columns: Vec<String> = prepared
        .plan
        .output_columns()
        .filter(|c| matches!(c.action, tokumei_rules::Action::Pseudonymize { .. }))
        .filter_map(|c| c.output.clone())
        .collect();
    if let Some(purpose) = contract.as_ref().and_then(|c| c.purpose.as_ref()) {
        base.borrow_mut().details.insert("internal_use".into(), purpose.clone().into());
    }
    // A replacement: of a replaceable internal release, by its rule file (and managed key).
    if let Some(ContractRun { registry, replaces: Some(rep), .. }) = &contract {
        base.borrow_mut().details.insert("replaces".into(), rep.release_id.clone().into());
        if let Err(f) = check_replacement(registry, &rep.release_id, &prepared) {
            return Err(audit_failure(&mut run_log, &facts, f));
        }
    }
    // An internal use needs its registry; a release for a recipient needs a contract that
    // allows it. Both are checked before anything is read past the header or written.
    if let Some(ContractRun { registry, id: None, .. }) = &contract
        && let Err(e) = tokumei_registry::Registry::open(registry)
    {
        return Err(audit_failure(&mut run_log, &facts, fail(ExitCode::Registry, e.into())));
    }
    if let Some(ContractRun { registry, id: Some(id), .. }) = &contract {
        base.borrow_mut().details.insert("contract".into(), (*id).into());
        match authorize(registry, *id, &prepared.plan, job.actor, &clock) {
            Ok(c) => {
                let details = &mut base.borrow_mut().details;
                details.insert("recipient".into(), c.recipient.clone().into());
                details.insert("file".into(), c.file.clone().into());
            }
            Err(f) => return Err(audit_failure(&mut run_log, &facts, f)),
        }
    }

    if let Some(r) = &requests {
        let at = std::fs::canonicalize(&r.registry).unwrap_or_else(|_| r.registry.clone());
        base.borrow_mut().details.insert("requests_registry".into(), at.display().to_string().into());
        base.borrow_mut().details.insert("requests_registry_id".into(), r.registry_id.clone().into());
        base.borrow_mut().details.insert("requests_registry_head".into(), r.registry_head.clone().into());
    }
    if dry_run {
        let outcome = match tokumei_engine::run(prepared, &opts, None) {
            Ok(o) => o,
            Err(RunError { error, facts }) => return Err(audit_failure(&mut run_log, &facts, error.into())),
        };
        facts = outcome.facts.clone();
        // What the run would decide, whether or not it would release: on stdout.
        for line in tokumei_engine::decisions::lines(&outcome.report) {
            say!("{line}");
        }
        if let Some(refused) = outcome.refused {
            say!("check failed: `tokumei run` would refuse this release; nothing was written");
            return Err(audit_failure(&mut run_log, &facts, refused.into()));
        }
        // The entries as they are now (a run may have published meanwhile).
        run_log.refresh()?;
        check_release_anchors(&run_log.log, run_log.entries(), &out_root)?;
        let log = run_log.started(&operator, &clock)?;
        let mut r = base.borrow().clone();
        r.time = clock.entry_time();
        r.status = "ok".into();
        fill(&mut r, &facts);
        details(&mut r, &outcome.report);
        log.append(r).map_err(|e| {
            fail(
                ExitCode::Audit,
                anyhow::Error::new(e).context("the check passed but its audit entry could not be written"),
            )
        })?;
        say!("check passed: {}; nothing was written", counts(&outcome.report, "would be "));
        return Ok(());
    }

    let dataset = prepared.plan.dataset.clone();
    let release_id = prepared.release_id.clone();
    let mut paths: Vec<(&str, &Path)> = job.inputs.iter().map(|i| ("input", i.path.as_path())).collect();
    paths.extend([("rule file", job.rules.as_path()), ("audit log", job.audit_log.as_path())]);
    if let Some(k) = &job.key_file {
        paths.push(("key file", k.as_path()));
    }
    if let Err(e) = tokumei_release::check_overlap(&out_root, &dataset, &paths) {
        // A log that does not exist yet is not started where the paths are refused.
        return Err(match run_log.entries {
            Some(_) => audit_failure(&mut run_log, &facts, release_failure(e)),
            None => release_failure(e),
        });
    }
    let out_dir = OutputDir::lock(&out_root, &mut || {
        eprintln!("waiting: another tokumei run holds the output folder {}", out_root.display())
    })
    .map_err(|e| audit_failure(&mut run_log, &facts, release_failure(e)))?;
    run_log.refresh()?;
    check_release_anchors(&run_log.log, run_log.entries(), out_dir.root())?;
    let log = run_log.started(&operator, &clock)?.clone();
    if let Err(e) = out_dir.remove_stale(&log, run_log.entries(), &operator, &clock.entry_time(), clock.note()) {
        return Err(audit_failure(&mut run_log, &facts, release_failure(e)));
    }
    if let Some(c) = &contract {
        settle_interrupted(&c.registry, out_dir.root(), &operator, &clock)
            .map_err(|f| audit_failure(&mut run_log, &facts, f))?;
    }
    let head = log.head().map_err(|e| fail(ExitCode::Audit, e.into()))?;
    let staging = match out_dir.stage(&dataset, &release_id) {
        Ok(s) => s,
        Err(e) => return Err(audit_failure(&mut run_log, &facts, release_failure(e))),
    };
    let (release_dir, tmp_dir) = (staging.release_dir(), staging.tmp_dir());
    let target = Target { release_dir: &release_dir, tmp_dir: &tmp_dir, audit_head: Some(head.to_string()) };
    let outcome = match tokumei_engine::run(prepared, &opts, Some(&target)) {
        Ok(o) => o,
        Err(RunError { error, facts }) => {
            drop(staging);
            return Err(audit_failure(&mut run_log, &facts, error.into()));
        }
    };
    facts = outcome.facts.clone();
    let mut record = base.borrow().clone();
    record.time = clock.entry_time();
    fill(&mut record, &facts);
    details(&mut record, &outcome.report);
    record.details.insert("audit_head".into(), head.to_string().into());
    let who = clock.who(operator.clone());
    let mut registry = match &contract {
        Some(c) => Some(
            tokumei_registry::Registry::open(&c.registry)
                .map_err(|e| audit_failure(&mut run_log, &facts, fail(ExitCode::Registry, e.into())))?,
        ),
        None => None,
    };
    let parquet_file = outcome.files.iter().find(|(n, _)| n.ends_with(".parquet")).map(|(n, _)| n.clone());
    let digest = match (registry.as_ref(), parquet_file.as_ref()) {
        (Some(reg), Some(parquet)) => {
            let key = reg
                .code_digest_key()
                .map_err(|e| audit_failure(&mut run_log, &facts, fail(ExitCode::Registry, e.into())))?;
            let (codes, d) = tokumei_engine::output::code_digest(&release_dir.join(parquet), &code_columns, &key)
                .map_err(|e| audit_failure(&mut run_log, &facts, e.into()))?;
            // What the release is recognised by when a copy turns up (leak tracing).
            let bounds: Vec<String> =
                outcome.report.columns.iter().filter_map(|c| c.bounds.clone()).flatten().collect();
            let marks = tokumei_engine::trace::release_marks(
                &release_dir.join(parquet),
                &code_columns,
                &bounds,
                outcome.report.fingerprint.as_ref(),
                &tokumei_engine::trace::TraceKey::derive(&key),
            )
            .map_err(|e| audit_failure(&mut run_log, &facts, e.into()))?;
            let marks: Vec<tokumei_registry::ReleaseMark> = marks
                .into_iter()
                .map(|m| tokumei_registry::ReleaseMark {
                    digests: m.blob(),
                    kind: m.kind,
                    columns: m.columns,
                    sample: m.sample,
                })
                .collect();
            Some((codes, d, marks))
        }
        _ => None,
    };
    // Under a contract the release is registered (`publishing`) between its audit entry and the
    // rename, so it is never visible without its row.
    let mut register = |entry: &tokumei_audit::Entry, dest: &Path, files: &[(String, String)]| -> Result<(), String> {
        let (Some(reg), Some(c)) = (registry.as_mut(), contract.as_ref()) else {
            // Not registered: still, no release that missed a request decided during the run.
            if let Some(q) = &requests {
                let reg = tokumei_registry::Registry::open(&q.registry).map_err(|e| e.to_string())?;
                let (exclusions, _) = reg.exclusions(true, None).map_err(|e| e.to_string())?;
                let (corrections, _) = reg.corrections().map_err(|e| e.to_string())?;
                if exclusions > q.exclusions_upto || corrections > q.corrections_upto {
                    return Err(
                        "a resident's request was decided while the run read its input: the release is not published; run again"
                            .into(),
                    );
                }
            }
            return Ok(());
        };
        let r = &outcome.report;
        let release = tokumei_registry::NewRelease {
            release_id: r.release_id.clone(),
            contract_id: c.id,
            dataset: r.dataset.clone(),
            mode: r.mode.clone(),
            release_dir: tokumei_release::resolve(dest).display().to_string(),
            input_sha256: r.input.sha256.clone(),
            rules_sha256: r.rules_sha256.clone(),
            outputs: files
                .iter()
                .map(|(name, sha256)| tokumei_registry::OutputFile { name: name.clone(), sha256: sha256.clone() })
                .collect(),
            rows: r.rows_out,
            // People by the rules' subject (法117条1号's summary), when the rules name one.
            people: r.people.subject.as_ref().map(|_| r.people.people_out),
            k_achieved: r.k_achieved,
            // The l the release had to meet: columns without a requirement do not count.
            l_achieved: r.l_diversity.iter().filter(|l| l.required.is_some()).map(|l| l.achieved).min(),
            audit_log: tokumei_release::resolve(log.path()).display().to_string(),
            audit_seq: entry.seq,
            audit_head: Some(head.to_string()),
            staff_hours: c.hours,
            code_columns: code_columns.clone(),
            codes: digest.as_ref().map_or(0, |d| d.0),
            code_digest: digest.as_ref().map(|d| d.1.clone()),
            purpose: c.purpose.clone(),
            subjects: outcome.subjects.clone(),
            exclusions_upto: requests.as_ref().map_or(0, |q| q.exclusions_upto),
            corrections_upto: requests.as_ref().map_or(0, |q| q.corrections_upto),
            excluded_records: r.requests.as_ref().map_or(0, |q| q.excluded_records),
            fingerprint: r.fingerprint.as_ref().and_then(|f| serde_json::to_value(f).ok()),
            marks: digest.as_ref().map(|d| d.2.clone()).unwrap_or_default(),
            replaces: c.replaces.as_ref().map(|x| x.release_id.clone()),
            replacement_note: c.replaces.as_ref().and_then(|x| x.input_changed.clone()),
        };
        reg.register_release(&who, &release).map(|_| ()).map_err(|e| format!("registering the release: {e}"))
    };
    let publication = match tokumei_release::publish_with(staging, &outcome.files, &log, record, &mut register) {
        Ok(p) => p,
        Err(e) => return Err(audit_failure(&mut run_log, &facts, release_failure(e))),
    };
    let mut settle_warning = None;
    if let Some(reg) = registry.as_mut()
        && let Err(e) = reg.settle_release(&who, &outcome.report.release_id, true)
    {
        settle_warning = Some(format!(
            "the release is published and registered, but still marked publishing in the registry ({e}); the next run on this output folder settles it"
        ));
    }
    say!("release {}: {}", outcome.report.release_id, counts(&outcome.report, ""));
    say!("  folder {}", shown(&publication.dir).display());
    for (name, _) in &publication.files {
        say!("  wrote {}", shown(&publication.dir.join(name)).display());
    }
    say!("  audit entry {} (log head before it: {head})", publication.publishing.seq);
    for w in publication.warnings.iter().chain(settle_warning.as_ref()) {
        eprintln!("warning: {w}");
    }
    if let Some(c) = &contract {
        match c.id {
            Some(id) => say!("  registered for contract {id} in {}", shown(&c.registry).display()),
            None => say!("  registered as an internal use in {}", shown(&c.registry).display()),
        }
        if let Some(rep) = &c.replaces {
            say!(
                "  replaces release {old} (without every person residents' requests excluded); destroy release {old} and every copy of it, then record it: tokumei release destroyed {old} --how ...",
                old = rep.release_id
            );
        }
    }
    Ok(())
}

/// The request stage a run applies, and the registry it came from.
pub struct Requests {
    /// The registry.
    pub registry: PathBuf,
    /// Its id.
    pub registry_id: String,
    /// The head of its audit log when the run proved it (`seq:hash`): later runs check that
    /// the registry's log still holds it.
    pub registry_head: String,
    /// What to apply.
    pub stage: tokumei_engine::requests::RequestStage,
    /// The last exclusion in force.
    pub exclusions_upto: i64,
    /// The last correction in force.
    pub corrections_upto: i64,
}

/// The registry whose requests a run applies: the contract's or internal use's, else the one
/// named (`--registry`, `TOKUMEI_REGISTRY`), else the job's `[registry] path`, else
/// `registry.sqlite` in the run's output folder (`--out`) or the job's, if one exists (`None`,
/// with a note: there is no registry). Exclusions of scope `provision` apply to releases for a
/// recipient.
fn requests_stage(
    job: &tokumei_rules::Job,
    contract: Option<&ContractRun>,
    named: Option<&Path>,
    out_root: &Path,
) -> Result<Option<Requests>, Failure> {
    let found =
        [out_root, job.output_dir.as_path()].map(|d| d.join("registry.sqlite")).into_iter().find(|p| p.exists());
    let path = match (contract, named, &job.registry, found) {
        (Some(c), _, _, _) => c.registry.clone(),
        (None, Some(p), _, _) => p.to_path_buf(),
        (None, None, Some(p), _) => p.clone(),
        (None, None, None, Some(p)) => p,
        (None, None, None, None) => {
            // A registry this output's runs or this log relied on is gone: nothing runs until
            // it is restored or an officer records its retirement (`registry reset`).
            if let Some(missing) = missing_registry(&job.audit_log)? {
                return Err(fail(
                    ExitCode::Registry,
                    anyhow::anyhow!(
                        "{missing}, but no registry is found: the run would apply no resident's request (suspensions, erasures, corrections); nothing was done\n  hint: restore the registry (with its audit log) from a backup, or record why it is gone with `tokumei registry reset --registry PATH --reason ...`"
                    ),
                ));
            }
            eprintln!(
                "note: no registry (--registry, the job's [registry] or registry.sqlite in the output folder): residents' requests (suspensions, opt-outs, corrections) are not applied to this run"
            );
            return Ok(None);
        }
    };
    let refused = |e: tokumei_registry::RegistryError| fail(ExitCode::Registry, e.into());
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    if let Some(other) = [out_root, job.output_dir.as_path()]
        .map(|d| d.join("registry.sqlite"))
        .into_iter()
        .find(|p| p.exists() && canonical(p) != canonical(&path))
    {
        return Err(fail(
            ExitCode::Registry,
            anyhow::anyhow!(
                "the run uses registry {}, but the output folder holds another, {}: its residents' requests would not be applied to releases published beside it\n  hint: use the registry of the output folder, or another output folder",
                path.display(),
                other.display()
            ),
        ));
    }
    // Opening proves the registry: every list a run honours is as tokumei's changes left it.
    let reg = tokumei_registry::Registry::open(&path).map_err(refused)?;
    // It must be the registry the run's log records at that place, not another one put there
    // (a registry proves against its own audit log, which may be kept anywhere).
    let registry_id = reg.id().map_err(refused)?;
    if let Some(other) = registry_recorded_at(&job.audit_log, &path, &registry_id)? {
        return Err(fail(
            ExitCode::Registry,
            anyhow::anyhow!(
                "registry {}: {other}, but the file there is another registry ({registry_id}): nothing was done\n  hint: put the registry back (with its audit log), or record why it is gone with `tokumei registry reset --registry PATH --reason ...` before using another one there",
                path.display()
            ),
        ));
    }
    // Its audit log must still hold the head an earlier run relied on: a registry restored
    // with its own log from a backup proves against that log, but lacks what came since (an
    // erasure decided after the backup).
    let registry_log = JsonlLog::new(reg.audit_log().map_err(refused)?);
    let registry_head = registry_log
        .tail_until(|_| true)
        .map_err(|e| fail(ExitCode::Registry, e.into()))?
        .last()
        .map(|e| e.head().to_string())
        .unwrap_or_default();
    if let Some((seq, head)) = registry_head_relied_on(&job.audit_log, &registry_id)? {
        let scan = registry_log.scan().map_err(|e| fail(ExitCode::Registry, e.into()))?;
        if let Err(reason) = tokumei_audit::anchor::check(&registry_log, &scan.entries, &head) {
            return Err(fail(
                ExitCode::Registry,
                anyhow::anyhow!(
                    "registry {}: audit entry {seq} of {} records that a run relied on entry {} of the registry's audit log {}, which no longer holds it ({reason}): the registry and its log were put back to an earlier state (changes made since, such as an erasure, would not be applied); nothing was done\n  hint: restore the registry's audit log (and the registry) as they were, or investigate with `tokumei registry verify`",
                    path.display(),
                    job.audit_log.display(),
                    head.seq,
                    registry_log.path().display()
                ),
            ));
        }
    }
    let provision = contract.is_some_and(|c| c.id.is_some());
    // The registered files this run reads: those whose sources are its inputs, and a contract's.
    let sources = reg.sources().map_err(refused)?;
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    let files_of = |input: &Path| -> Vec<String> {
        sources.iter().filter(|s| same(Path::new(&s.path), input)).map(|s| s.file.clone()).collect()
    };
    let mut run_files: Vec<String> = job.inputs.iter().flat_map(|i| files_of(&i.path)).collect();
    let contract_file = match contract.and_then(|c| c.id) {
        Some(id) => reg.contract(id).map_err(refused)?.map(|c| c.file),
        None => None,
    };
    run_files.extend(contract_file);
    // Unknown files (inputs registered nowhere): every exclusion applies; and to a replacement
    // of an internal copy, which an erasure listed whatever files its request named.
    let known =
        contract.is_none_or(|c| c.replaces.is_none()) && job.inputs.iter().all(|i| !files_of(&i.path).is_empty());
    let (exclusions_upto, exclude) =
        reg.exclusions(provision, known.then_some(run_files.as_slice())).map_err(refused)?;
    // Corrections apply to the inputs that are sources of the file they correct.
    let (corrections_upto, in_force) = reg.corrections().map_err(refused)?;
    let corrections = job
        .inputs
        .iter()
        .map(|i| {
            let files = files_of(&i.path);
            let list = in_force
                .iter()
                .filter(|c| files.contains(&c.file))
                .map(|c| (c.subject.clone(), c.column.clone(), c.value.clone()))
                .collect();
            (i.path.clone(), list)
        })
        .collect();
    let profile = reg.profile().map_err(refused)?;
    let collect_subjects = contract.is_some() && profile.subject_index;
    let input_subjects = job
        .inputs
        .iter()
        .filter_map(|i| {
            sources
                .iter()
                .find(|s| same(Path::new(&s.path), &i.path))
                .map(|s| (i.path.clone(), s.subject_column.clone()))
        })
        .collect();
    Ok(Some(Requests {
        registry: path,
        registry_id,
        registry_head,
        stage: tokumei_engine::requests::RequestStage {
            identifier: profile.subject_identifier,
            exclude: exclude.into_iter().collect(),
            corrections,
            collect_subjects,
            input_subjects,
        },
        exclusions_upto,
        corrections_upto,
    }))
}

/// When the run's audit log (and the logs it continues) records another registry than `id` at
/// `path` (created there, or applied there by an earlier run) that was not retired since: what
/// it records.
fn registry_recorded_at(log: &Path, path: &Path, id: &str) -> Result<Option<String>, Failure> {
    let log = JsonlLog::new(log);
    if !log.exists().map_err(|e| fail(ExitCode::Audit, e.into()))? {
        return Ok(None);
    }
    let (logs, _) = tokumei_registry::log_chain(&log).map_err(|e| fail(ExitCode::Registry, e.into()))?;
    let entries: Vec<tokumei_audit::Entry> = logs.into_iter().flatten().collect();
    let text = |e: &tokumei_audit::Entry, k: &str| e.record.details.get(k).and_then(|v| v.as_str()).map(String::from);
    let places: Vec<String> = [std::path::absolute(path).ok(), std::fs::canonicalize(path).ok()]
        .into_iter()
        .flatten()
        .map(|p| p.display().to_string())
        .collect();
    let retired: std::collections::BTreeSet<String> = entries
        .iter()
        .filter(|e| e.record.action == tokumei_registry::RETIRED)
        .filter_map(|e| text(e, "registry"))
        .collect();
    for e in entries.iter().rev() {
        // The place retired after every record of it: whatever is there now is new.
        if e.record.action == tokumei_registry::RETIRED
            && [text(e, "path"), text(e, "canonical_path")].into_iter().flatten().any(|p| places.contains(&p))
        {
            return Ok(None);
        }
        let (at, was, what) = match (text(e, "requests_registry"), e.record.action.as_str()) {
            (Some(p), _) => match text(e, "requests_registry_id") {
                Some(r) => (p, r, "applied the residents' requests of"),
                None => continue,
            },
            (None, "registry-committed") => match (text(e, "path"), text(e, "registry")) {
                (Some(p), Some(r)) => (p, r, "records the creation of"),
                _ => continue,
            },
            _ => continue,
        };
        if !places.contains(&at) || retired.contains(&was) {
            continue;
        }
        // The newest record of that place decides.
        return Ok((was != id).then(|| format!("audit entry {} {what} registry {was} there", e.seq)));
    }
    Ok(None)
}

/// The newest head of registry `id`'s audit log that a run recorded in `log` (and the logs it
/// continues) when it applied that registry's requests, with the run's entry.
fn registry_head_relied_on(log: &Path, id: &str) -> Result<Option<(u64, tokumei_audit::Head)>, Failure> {
    let log = JsonlLog::new(log);
    if !log.exists().map_err(|e| fail(ExitCode::Audit, e.into()))? {
        return Ok(None);
    }
    let (logs, _) = tokumei_registry::log_chain(&log).map_err(|e| fail(ExitCode::Registry, e.into()))?;
    let text = |e: &tokumei_audit::Entry, k: &str| e.record.details.get(k).and_then(|v| v.as_str()).map(String::from);
    Ok(logs.iter().flatten().rev().find_map(|e| {
        if text(e, "requests_registry_id").as_deref() != Some(id) {
            return None;
        }
        text(e, "requests_registry_head").and_then(|h| h.parse().ok()).map(|h| (e.seq, h))
    }))
}

/// A registry the audit log says this output relies on, now missing and not retired: one
/// created with this log (its path recorded), or one an earlier run applied requests from.
fn missing_registry(log: &Path) -> Result<Option<String>, Failure> {
    let log = JsonlLog::new(log);
    if !log.exists().map_err(|e| fail(ExitCode::Audit, e.into()))? {
        return Ok(None);
    }
    // The log and the logs it continues (`tokumei audit rotate`): a rotation does not make the
    // output forget the registry it relied on. (Breaks are the run's anchor check's to report.)
    let (logs, _) = tokumei_registry::log_chain(&log).map_err(|e| fail(ExitCode::Registry, e.into()))?;
    let entries: Vec<tokumei_audit::Entry> = logs.into_iter().flatten().collect();
    let text = |e: &tokumei_audit::Entry, k: &str| e.record.details.get(k).and_then(|v| v.as_str()).map(String::from);
    // Retirements seen so far, reading back from the newest entry: a retirement covers the
    // registries recorded before it, never one created or used at the same place afterwards.
    let mut retired_since: std::collections::BTreeSet<String> = Default::default();
    for e in entries.iter().rev() {
        if e.record.action == tokumei_registry::RETIRED {
            retired_since
                .extend([text(e, "registry"), text(e, "path"), text(e, "canonical_path")].into_iter().flatten());
            continue;
        }
        let (path, id, what) = match (text(e, "requests_registry"), e.record.action.as_str()) {
            (Some(p), _) => (p, text(e, "requests_registry_id"), "applied the residents' requests of"),
            (None, "registry-committed") => match text(e, "path") {
                Some(p) => (p, text(e, "registry"), "records the creation of"),
                None => continue,
            },
            _ => continue,
        };
        if Path::new(&path).is_absolute()
            && !retired_since.contains(&path)
            && !id.is_some_and(|id| retired_since.contains(&id))
            && !Path::new(&path).exists()
        {
            return Ok(Some(format!("audit entry {} {what} registry {path}", e.seq)));
        }
    }
    Ok(None)
}

/// What a registered release is for: a contract's recipient, or an internal use.
#[derive(Clone)]
pub enum Use {
    /// Provided under this contract.
    Contract(i64),
    /// An internal use, with its purpose.
    Internal(String),
}

/// `run --contract` / `--internal-use`: the use, its registry if named, and the staff hours.
pub struct ContractArg {
    /// The registry file (`None`: `registry.sqlite` in the job's output folder).
    pub registry: Option<PathBuf>,
    /// What the release is for (`None`: what the job's `[registry]` says, if anything).
    pub using: Option<Use>,
    /// Staff hours of creation work entered by the operator (for the fee).
    pub hours: Option<f64>,
    /// `release replace`: the internal release this run's release replaces.
    pub replaces: Option<Replacing>,
}

/// The internal release a run replaces without the people residents' requests excluded
/// (`tokumei release replace`), and why its input may differ.
#[derive(Clone)]
pub struct Replacing {
    /// The release replaced.
    pub release_id: String,
    /// Why a changed input replaces it (the records as they are now).
    pub input_changed: Option<String>,
}

/// A run whose release is registered.
pub struct ContractRun {
    /// The registry file.
    pub registry: PathBuf,
    /// The contract's id (`None`: an internal use).
    pub id: Option<i64>,
    /// The internal use's purpose.
    pub purpose: Option<String>,
    /// Staff hours of creation work entered by the operator (for the fee).
    pub hours: Option<f64>,
    /// The internal release it replaces.
    pub replaces: Option<Replacing>,
}

/// Refuse a replacement before anything is read past the header or written: the release is a
/// replaceable internal release (published, neither replaced nor destroyed) made by this job's
/// rule file in its mode, and pseudonymised data with this job's managed key (its people keep
/// their pseudonyms). The registry checks it again when the replacement is registered.
fn check_replacement(registry: &Path, old: &str, prepared: &tokumei_engine::Prepared) -> Result<(), Failure> {
    let refused = |m: String| fail(ExitCode::Registry, anyhow::anyhow!("{m}"));
    let reg = tokumei_registry::Registry::open(registry).map_err(|e| fail(ExitCode::Registry, e.into()))?;
    let o = reg.replaceable(old).map_err(|e| fail(ExitCode::Registry, e.into()))?;
    if o.release.rules_sha256 != prepared.plan.rules_sha256 || o.release.mode != prepared.plan.mode.as_str() {
        return Err(refused(format!(
            "release {old} was made by another rule file or mode ({}, rules {}): replace it with the job that made it",
            o.release.mode,
            o.release.rules_sha256.get(..12).unwrap_or_default()
        )));
    }
    if o.release.mode == "pseudonymized" {
        let dir = Path::new(&o.release.release_dir);
        let made_with = o
            .release
            .outputs
            .iter()
            .find(|f| f.name == "report.json")
            .and_then(|f| std::fs::read_to_string(dir.join(&f.name)).ok())
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["key_id"].as_str().map(String::from));
        match made_with {
            None => {
                return Err(refused(format!(
                    "release {old}: its report (report.json in {}) cannot be read, so the key it was made with is not known: nothing was done",
                    dir.display()
                )));
            }
            Some(k) if Some(&k) != prepared.facts.key_id.as_ref() => {
                return Err(refused(format!(
                    "release {old} was made with another managed key: its replacement would give its people other pseudonyms; use the job and key that made it"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Settle the releases of `root` that a run left `publishing` in the registry (it died between
/// registering and confirming): `published` if the folder is in place and its files match,
/// else `abandoned`. Runs under the output folder's lock, so no run is publishing there now.
fn settle_interrupted(registry: &Path, root: &Path, operator: &str, clock: &Clock) -> Result<(), Failure> {
    let refused = |e: tokumei_registry::RegistryError| fail(ExitCode::Registry, e.into());
    let mut reg = tokumei_registry::Registry::open(registry).map_err(refused)?;
    let root = tokumei_release::resolve(root);
    for r in reg.unsettled_under(&root).map_err(refused)? {
        let complete = r.check_files().is_empty();
        let who = clock.who(operator.to_string());
        reg.settle_release(&who, &r.release.release_id, complete).map_err(refused)?;
        eprintln!(
            "note: release {} was left publishing by an interrupted run; registered now as {}",
            r.release.release_id,
            if complete { "published" } else { "abandoned" }
        );
    }
    Ok(())
}

/// Check that contract `id` of the registry allows the release the plan would make (today in
/// Japan by the run clock).
fn authorize(
    registry: &Path,
    id: i64,
    plan: &tokumei_rules::Plan,
    actor: tokumei_rules::Actor,
    clock: &Clock,
) -> Result<tokumei_registry::StoredContract, Failure> {
    let refused = |e: tokumei_registry::RegistryError| fail(ExitCode::Registry, e.into());
    let reg = tokumei_registry::Registry::open(registry).map_err(refused)?;
    let columns: Vec<tokumei_registry::ReleasedColumn> = plan
        .output_columns()
        .map(|c| tokumei_registry::ReleasedColumn {
            name: c.output.clone().unwrap_or_default(),
            level: match &c.action {
                tokumei_rules::Action::Generalize { level, .. } => *level,
                _ => 0,
            },
        })
        .collect();
    // The use period is in Japan's dates: the run's date is today in Japan.
    let today = clock.today_in_japan()?;
    reg.authorize(id, &today, actor, plan.mode == tokumei_rules::Mode::Pseudonymized, &plan.rules_sha256, &columns)
        .map_err(refused)
}

/// A path as a person reads it: `samples/../reports/x` shown as `reports/x` (for display only;
/// the files are opened by the path as given).
pub fn shown(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if matches!(out.components().next_back(), Some(std::path::Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() { PathBuf::from(".") } else { out }
}

/// Refuse to run when a release already in `dir` (a dataset folder, or an output folder with
/// dataset folders) recorded a log head that the log no longer holds: the log was rewritten,
/// truncated, emptied, deleted or replaced since.
fn check_release_anchors(log: &JsonlLog, entries: &[tokumei_audit::Entry], dir: &Path) -> Result<(), Failure> {
    let dataset_dir = dir;
    let releases: Vec<_> = tokumei_release::find_releases(dir)
        .into_iter()
        .filter(|r| r.report.as_ref().and_then(tokumei_audit::anchor::from_json).is_some())
        .collect();
    if entries.is_empty() && !releases.is_empty() {
        return Err(fail(
            ExitCode::Audit,
            anyhow::anyhow!(
                "audit log {} does not exist, but the releases in {} were recorded in a log: a missing log is not started anew while releases witness the old one\n  hint: restore the log, or keep the releases apart and use another output folder",
                log.path().display(),
                dataset_dir.display()
            )
            .context("the run did not start"),
        ));
    }
    for release in &releases {
        let Some(head) = release.report.as_ref().and_then(tokumei_audit::anchor::from_json) else { continue };
        if let Err(reason) = tokumei_audit::anchor::check(log, entries, &head) {
            return Err(fail(
                ExitCode::Audit,
                anyhow::anyhow!(
                    "audit log {} does not hold entry {} recorded by release {}: {reason}\n  hint: the log is kept as it is; investigate with `tokumei audit verify --log {} --releases {}`",
                    log.path().display(),
                    head.seq,
                    release.dir.display(),
                    log.path().display(),
                    dataset_dir.display()
                )
                .context("the run did not start"),
            ));
        }
    }
    // A release's head is the log's head before its own entries: the newest entries cut off the
    // end of the log (the chain still consistent) leave every head in place. Each release
    // folder must also have its `publishing` entry, as `audit verify --releases` requires.
    if entries.is_empty() {
        return Ok(());
    }
    let logged = logged_releases(log, entries).map_err(|reason| {
        fail(
            ExitCode::Audit,
            anyhow::anyhow!("audit log {}: {reason}", log.path().display()).context("the run did not start"),
        )
    })?;
    for release in tokumei_release::find_releases(dir) {
        if !logged.contains(&release.release_id) {
            return Err(fail(
                ExitCode::Audit,
                anyhow::anyhow!(
                    "audit log {} has no `publishing` entry for release {} ({}): its entries were removed from the log (cut off its end, or the log was replaced), or the release was not made by a run recorded there\n  hint: the log is kept as it is; investigate with `tokumei audit verify --log {} --releases {}`",
                    log.path().display(),
                    release.release_id,
                    release.dir.display(),
                    log.path().display(),
                    dataset_dir.display()
                )
                .context("the run did not start"),
            ));
        }
    }
    Ok(())
}

/// The release ids of every `publishing` entry in the log and in the logs it continues
/// (`tokumei audit rotate`, each archive checked against its recorded SHA-256).
fn logged_releases(
    log: &JsonlLog,
    entries: &[tokumei_audit::Entry],
) -> Result<std::collections::HashSet<String>, String> {
    let publishing = |es: &[tokumei_audit::Entry]| -> Vec<String> {
        es.iter().filter(|e| e.record.status == "publishing").filter_map(|e| e.record.release_id.clone()).collect()
    };
    let mut ids: std::collections::HashSet<String> = publishing(entries).into_iter().collect();
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

/// `N rows read, N rejected, N [would be ]suppressed, N [would be ]written (people ...); k=N achieved
/// (required N)` (the k part only where a k is required).
fn counts(r: &tokumei_engine::report::Report, would: &str) -> String {
    let excluded = match &r.requests {
        Some(q) if q.excluded_records > 0 || q.corrected_values > 0 => format!(
            " ({} more left out and {} values corrected by residents' requests)",
            q.excluded_records, q.corrected_values
        ),
        _ => String::new(),
    };
    let people = match &r.people.subject {
        Some(_) => format!(
            " (people{}: {} accepted, {} {would}suppressed, {} {would}written)",
            if r.k > 1 { ", by which k counts" } else { "" },
            r.people.people_in,
            r.people.people_suppressed,
            r.people.people_out
        ),
        None => String::new(),
    };
    // No k is required of pseudonymised data (k = 1): no line claims one.
    let k = match r.k {
        0 | 1 => String::new(),
        k => format!("; k={} achieved (required {k})", r.k_achieved),
    };
    format!(
        "{} rows read{excluded}, {} rejected, {} {would}suppressed, {} {would}written{people}{k}",
        r.rows_in, r.rows_rejected, r.suppressed, r.rows_out
    )
}

fn fill(r: &mut Record, facts: &RunFacts) {
    r.dataset = facts.dataset.clone();
    r.release_id = facts.release_id.clone();
    r.mode = facts.mode.clone();
    r.input_sha256 = facts.input_sha256.clone();
    r.rules_sha256 = facts.rules_sha256.clone();
    r.outputs = facts.outputs.clone();
    r.key_id = facts.key_id.clone();
}

fn details(record: &mut Record, r: &tokumei_engine::report::Report) {
    for (k, v) in [
        ("rows_in", r.rows_in),
        ("rows_rejected", r.rows_rejected),
        ("suppressed", r.suppressed),
        ("rows_out", r.rows_out),
        ("people_in", r.people.people_in),
        ("people_suppressed", r.people.people_suppressed),
        ("people_out", r.people.people_out),
        ("k", r.k as u64),
        ("k_achieved", r.k_achieved),
        ("creation_ms", r.timings.total_ms),
    ] {
        record.details.insert(k.into(), v.into());
    }
    // A query job: each input's hash and rows, and the query as written.
    if !r.inputs.is_empty() {
        let inputs: Vec<serde_json::Value> = r
            .inputs
            .iter()
            .map(|i| serde_json::json!({"name": i.name, "path": i.path, "sha256": i.sha256, "rows": i.rows}))
            .collect();
        record.details.insert("inputs".into(), inputs.into());
    }
    if let Some(q) = &r.query {
        record.details.insert("query".into(), q.clone().into());
    }
    if let Some(q) = &r.requests {
        record.details.insert("excluded_by_requests".into(), q.excluded_records.into());
        record.details.insert("corrected_by_requests".into(), q.corrected_values.into());
    }
}

/// Threads that transform rows: `TOKUMEI_THREADS` (a positive number), else one per core.
fn threads() -> usize {
    std::env::var("TOKUMEI_THREADS").ok().and_then(|t| t.trim().parse().ok()).unwrap_or(0)
}
