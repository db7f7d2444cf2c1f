//! `tokumei run` and `tokumei check`: the order of a run around the engine, so that the audit
//! log records every run and every release is complete or invisible:
//!
//! audit log intact (else exit 7) -> residents' requests and the registry (opened once) ->
//! prepare (rules, input header, key) -> the contract or internal use allows it -> paths
//! checked -> output folder locked -> releases already there still anchored in the log -> stale
//! staging removed (audited) -> engine writes the staged release -> publish (entry, register,
//! rename, entry). The binary prints what the run returns.

mod anchors;
mod contract;
mod log;
mod manifest;
mod publish;
mod ready;
mod record;
mod requests;

use crate::{Clock, OfficeError};
use contract::ContractRun;
use log::{Auditor, RunLog};
use std::path::{Path, PathBuf};
use tokumei_audit::JsonlLog;
use tokumei_engine::report::Report;
use tokumei_engine::run::RunOptions;
use tokumei_engine::{EngineError, Progress, RunError};

pub use publish::Published;

/// The audit log of a job file that could not be loaded: `../reports/audit.log` from it.
pub fn default_audit_log(job: &Path) -> PathBuf {
    job.parent().unwrap_or(Path::new(".")).join("..").join("reports").join("audit.log")
}

/// What a registered release is for: a contract's recipient, or an internal use.
#[derive(Clone)]
pub enum Use {
    /// Provided under this contract.
    Contract(i64),
    /// An internal use, with its purpose.
    Internal(String),
}

impl Use {
    /// The use asked for on the command line: under a contract, else for an internal purpose.
    pub fn asked(contract: Option<i64>, internal_use: Option<String>) -> Option<Use> {
        contract.map(Use::Contract).or(internal_use.map(Use::Internal))
    }
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

/// A run or check as the operator asked for it.
pub struct RunRequest {
    /// Output folder (`None`: the job's).
    pub out: Option<PathBuf>,
    /// Who runs it (recorded in the audit log).
    pub operator: String,
    /// A check: everything a run decides, nothing written but its audit entry.
    pub dry_run: bool,
    /// The use and registry asked for on the command line.
    pub contract: Option<ContractArg>,
    /// Threads that transform rows (0: one per core).
    pub threads: usize,
    /// Memory above which pass 1 spills (`None`: the engine's default).
    pub spill_memory: Option<u64>,
    /// The officer's key that signs the release's manifest (`None`: the job's `[release]
    /// sign_key`, if any). Required for a release provided under a contract.
    pub sign_key: Option<PathBuf>,
    /// Where the rows are read and written when not on this machine (a cluster: `tokumei run
    /// --cluster`); `None`: the engine on this machine.
    pub elsewhere: Option<std::sync::Arc<dyn Elsewhere>>,
}

/// A run whose rows are read, transformed and written elsewhere (a DataFusion Ballista cluster:
/// `tokumei-cluster`, issue 34). The office's order is unchanged around it: the audit log,
/// the lock, the staging folder, the audit entry before publication; the rows' work goes to it
/// instead of the engine on this machine.
pub trait Elsewhere: Send + Sync {
    /// Prepare the run: the input's header read where the rows are, the rules validated against
    /// it, residents' `requests` checked against them (to be applied where the rows are), the
    /// key and release id chosen (nothing read past the header).
    fn prepare(
        &self,
        job: &tokumei_rules::Job,
        now_unix: i64,
        requests: Option<tokumei_engine::requests::RequestStage>,
    ) -> Result<tokumei_engine::Prepared, RunError>;
    /// Why the prepared run cannot run there (something without a distributed form), if it
    /// cannot: asked before anything is read or written.
    fn refusal(&self, prepared: &tokumei_engine::Prepared, provided: bool) -> Option<String>;
    /// Run it into `target` (the staging folder), as `tokumei_engine::run` does on one machine.
    fn run(
        &self,
        prepared: tokumei_engine::Prepared,
        opts: &RunOptions,
        target: &tokumei_engine::Target,
    ) -> Result<tokumei_engine::RunOutcome, RunError>;
}

impl RunRequest {
    /// A run (or a check, `dry_run`) as asked, with the machine's settings from the environment:
    /// `TOKUMEI_THREADS` (threads that transform rows; unset or not a number: one per core) and
    /// `TOKUMEI_SPILL_MEMORY` (bytes of spill that pass 2 holds in memory, streaming a larger one;
    /// unset: the engine's default).
    pub fn from_env(out: Option<PathBuf>, operator: String, dry_run: bool, contract: Option<ContractArg>) -> Self {
        let threads = env_number("TOKUMEI_THREADS").unwrap_or(0);
        let spill_memory = env_number("TOKUMEI_SPILL_MEMORY");
        RunRequest { out, operator, dry_run, contract, threads, spill_memory, sign_key: None, elsewhere: None }
    }
}

/// A number set in the environment, if it is one.
fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|t| t.trim().parse().ok())
}

/// A check's decisions as the operator is told them (stdout), and, when `refused`, that the run
/// would refuse the release.
pub fn decided(report: &Report, refused: bool) -> tokumei_documents::text::Told {
    let mut out: String = tokumei_engine::decisions::lines(report).into_iter().map(|l| l + "\n").collect();
    if refused {
        out.push_str("check failed: `tokumei run` would refuse this release; nothing was written\n");
    }
    tokumei_documents::text::Told::out(out)
}

/// What a run tells the operator while it goes, before it returns (the binary prints it).
pub trait Tell {
    /// A note for the operator (a whole line: `note: ...`, `waiting: ...`).
    fn note(&self, line: &str);
    /// A check's decisions, as soon as the engine made them: `refused` when `tokumei run`
    /// would refuse the release (the check then fails).
    fn decided(&self, report: &Report, refused: bool);
}

/// What a run did.
pub enum RunDone {
    /// A check passed (its audit entry written; nothing else).
    Checked(Box<Report>),
    /// A release was published.
    Published(Box<Published>),
}

/// Run or check a job.
pub fn run(job_path: &Path, req: RunRequest, progress: &dyn Progress, tell: &dyn Tell) -> Result<RunDone, OfficeError> {
    let clock = Clock::now()?;
    let action = if req.dry_run { "check" } else { "run" };
    let mut auditor = Auditor::new(&req.operator, action, job_path, &clock, tell);
    let job = match tokumei_rules::load_job(job_path) {
        Ok(j) => j,
        Err(d) => {
            // Record the failure in the default log if that exists and is intact.
            let log = JsonlLog::new(default_audit_log(job_path));
            if log.head().is_ok() {
                let mut r = auditor.record();
                r.error = Some(format!("config: {}", d.to_string().lines().next().unwrap_or_default()));
                let _ = log.append(r);
            }
            return Err(EngineError::Config(d.to_string()).into());
        }
    };
    let out_root = req.out.clone().unwrap_or_else(|| job.output_dir.clone());
    let (contract, named_registry) = ContractRun::of(&job, req.contract)?;
    let mut run_log = RunLog::open(&job.audit_log, &out_root)?;
    // Any failure from here on is audited (unless the log itself is what failed).
    let provided = contract.as_ref().is_some_and(|c| c.id.is_some());
    let opts = RunOptions {
        now_unix: clock.run_unix,
        progress,
        threads: req.threads,
        spill_memory: req.spill_memory,
        provided,
    };
    let elsewhere = req.elsewhere.as_deref();
    let mut ready =
        ready::ready(&job, contract.as_ref(), named_registry.as_deref(), &out_root, &clock, &mut auditor, elsewhere)
            .map_err(|(facts, e)| auditor.fail(&mut run_log, &facts, e))?;
    // A run elsewhere that needs what has no distributed form yet is refused before anything
    // is read past the header or written (a job error, exit 3).
    if let Some(why) = elsewhere.and_then(|e| e.refusal(&ready.prepared, provided)) {
        let error = EngineError::Config(format!("this job cannot run on the cluster: {why}"));
        return Err(auditor.fail(&mut run_log, &ready.facts.clone(), error.into()));
    }
    if req.dry_run && elsewhere.is_some() {
        let error = EngineError::Config("a check on a cluster is not built: run `tokumei check` on one machine".into());
        return Err(auditor.fail(&mut run_log, &ready.facts.clone(), error.into()));
    }
    if req.dry_run {
        return check(ready, &opts, &out_root, &mut run_log, &auditor, tell);
    }
    // The signing key before anything is read past the header: none for a provided release, or
    // one that cannot sign, refuses the run.
    ready.sign_key = manifest::signing_key(req.sign_key, &job, provided)
        .map_err(|e| auditor.fail(&mut run_log, &ready.facts.clone(), e))?;
    publish::publish(&job, ready, contract.as_ref(), &opts, &out_root, &mut run_log, &auditor, elsewhere)
}

/// `tokumei check`: the run without its release; its decisions told as soon as they are made.
fn check(
    ready: ready::Ready,
    opts: &RunOptions,
    out_root: &Path,
    run_log: &mut RunLog,
    auditor: &Auditor,
    tell: &dyn Tell,
) -> Result<RunDone, OfficeError> {
    let outcome = match tokumei_engine::run(ready.prepared, opts, None) {
        Ok(o) => o,
        Err(RunError { error, facts }) => return Err(auditor.fail(run_log, &facts, error.into())),
    };
    let facts = outcome.facts.clone();
    // What the run would decide, whether or not it would release.
    tell.decided(&outcome.report, outcome.refused.is_some());
    if let Some(refused) = outcome.refused {
        return Err(auditor.fail(run_log, &facts, refused.into()));
    }
    // The entries as they are now (a run may have published meanwhile).
    run_log.refresh()?;
    anchors::check_release_anchors(run_log.log(), run_log.entries(), out_root)?;
    let log = run_log.started(auditor)?;
    let mut r = auditor.record();
    r.status = "ok".into();
    record::fill(&mut r, &facts);
    record::details(&mut r, &outcome.report);
    log.append(r)
        .map_err(|e| OfficeError::Audit(e).context("the check passed but its audit entry could not be written"))?;
    Ok(RunDone::Checked(Box::new(outcome.report)))
}

/// What a run tells the officer: a check passed, or the release published (its files, entry,
/// registration; warnings on stderr).
pub fn told(done: &RunDone) -> tokumei_documents::text::Told {
    use tokumei_documents::text::run as text;
    let p = match done {
        RunDone::Checked(report) => return text::checked(report),
        RunDone::Published(p) => p,
    };
    let publication = &p.publication;
    text::published(&text::Shown {
        report: &p.report,
        dir: shown(&publication.dir),
        files: publication.files.iter().map(|(name, _)| shown(&publication.dir.join(name))).collect(),
        entry: (publication.publishing.seq, p.head.to_string()),
        warnings: publication.warnings.iter().chain(p.settle_warning.as_ref()).map(String::as_str).collect(),
        registered: p.registered.as_ref().map(|(id, registry)| (*id, shown(registry))),
        replaces: p.replaces.as_deref(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_shown_without_its_detours() {
        assert_eq!(shown(Path::new("samples/../reports/x")), PathBuf::from("reports/x"));
        assert_eq!(shown(Path::new("./a/./b")), PathBuf::from("a/b"));
        assert_eq!(shown(Path::new("../a")), PathBuf::from("../a"));
        assert_eq!(shown(Path::new(".")), PathBuf::from("."));
    }

    #[test]
    fn a_job_that_cannot_load_logs_beside_its_reports() {
        assert_eq!(default_audit_log(Path::new("jobs/a.toml")), Path::new("jobs/../reports/audit.log"));
    }
}
