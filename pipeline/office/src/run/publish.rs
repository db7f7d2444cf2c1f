//! The release of a run: the output folder locked and its earlier releases still anchored, the
//! engine writing into staging, the release's marks for tracing, and publication (its entry,
//! its registration, the rename, its second entry).

use super::contract::{ContractRun, refused, settle_interrupted};
use super::log::{Auditor, RunLog};
use super::ready::Ready;
use super::requests::Requests;
use super::{RunDone, anchors, record};
use crate::OfficeError;
use std::path::{Path, PathBuf};
use tokumei_audit::{Entry, Head, JsonlLog};
use tokumei_engine::RunError;
use tokumei_engine::run::{RunOptions, RunOutcome, Target};
use tokumei_registry::{NewRelease, Registry, ReleaseMark};
use tokumei_release::{OutputDir, Publication, ReleaseError};

/// A published release, for the operator.
pub struct Published {
    /// The run's report.
    pub report: tokumei_engine::report::Report,
    /// The release as published: its folder, files, entries and warnings.
    pub publication: Publication,
    /// The log's head before the release's entries (recorded in the release).
    pub head: Head,
    /// Set when the release is published and registered but still marked `publishing`.
    pub settle_warning: Option<String>,
    /// Where it is registered: the contract's id (`None`: an internal use) and the registry.
    pub registered: Option<(Option<i64>, PathBuf)>,
    /// The internal release it replaces.
    pub replaces: Option<String>,
}

/// Exit code of a release-folder error, as the run reports it.
fn release_failure(e: ReleaseError) -> OfficeError {
    match e {
        ReleaseError::Audit(a) => {
            OfficeError::Audit(a).context("the audit entry could not be written, so nothing was published")
        }
        other => OfficeError::Release(other),
    }
}

/// Publish the run's release (made by the engine here, or `elsewhere`).
#[allow(clippy::too_many_arguments)]
pub fn publish(
    job: &tokumei_rules::Job,
    mut ready: Ready,
    contract: Option<&ContractRun>,
    opts: &RunOptions,
    out_root: &Path,
    run_log: &mut RunLog,
    auditor: &Auditor,
    elsewhere: Option<&dyn super::Elsewhere>,
) -> Result<RunDone, OfficeError> {
    let facts = ready.facts.clone();
    let dataset = ready.prepared.plan.dataset.clone();
    let release_id = ready.prepared.release_id.clone();
    let mut paths: Vec<(&str, &Path)> = job.inputs.iter().map(|i| ("input", i.path.as_path())).collect();
    paths.extend([("rule file", job.rules.as_path()), ("audit log", job.audit_log.as_path())]);
    if let Some(k) = &job.key_file {
        paths.push(("key file", k.as_path()));
    }
    if let Some(k) = &ready.sign_key {
        paths.push(("signing key", k.as_path()));
    }
    if let Err(e) = tokumei_release::check_overlap(out_root, &dataset, &paths) {
        // A log that does not exist yet is not started where the paths are refused.
        return Err(match run_log.exists() {
            true => auditor.fail(run_log, &facts, release_failure(e)),
            false => release_failure(e),
        });
    }
    let mut waiting =
        || auditor.tell.note(&format!("waiting: another tokumei run holds the output folder {}", out_root.display()));
    let out_dir =
        OutputDir::lock(out_root, &mut waiting).map_err(|e| auditor.fail(run_log, &facts, release_failure(e)))?;
    run_log.refresh()?;
    anchors::check_release_anchors(run_log.log(), run_log.entries(), out_dir.root())?;
    let log = run_log.started(auditor)?.clone();
    let (operator, clock) = (&auditor.base.operator, auditor.clock);
    if let Err(e) = out_dir.remove_stale(&log, run_log.entries(), operator, &clock.entry_time(), clock.note()) {
        return Err(auditor.fail(run_log, &facts, release_failure(e)));
    }
    // The run's connection is not held while the engine runs (see `release`).
    drop(ready.registry.take());
    if let Some(c) = contract {
        // Proved afresh under the lock: waiting for it may have taken as long as another run,
        // during which the registry may have changed.
        let mut reg = Registry::open(&c.registry).map_err(|e| auditor.fail(run_log, &facts, refused(e)))?;
        settle_interrupted(&mut reg, out_dir.root(), operator, clock, auditor.tell)
            .map_err(|f| auditor.fail(run_log, &facts, f))?;
    }
    let head = log.head()?;
    let staging = match out_dir.stage(&dataset, &release_id) {
        Ok(s) => s,
        Err(e) => return Err(auditor.fail(run_log, &facts, release_failure(e))),
    };
    let (release_dir, tmp_dir) = (staging.release_dir(), staging.tmp_dir());
    let target = Target { release_dir: &release_dir, tmp_dir: &tmp_dir, audit_head: Some(head.to_string()) };
    let ran = match elsewhere {
        Some(e) => e.run(ready.prepared, opts, &target),
        None => tokumei_engine::run(ready.prepared, opts, Some(&target)),
    };
    let outcome = match ran {
        Ok(o) => o,
        Err(RunError { error, facts }) => {
            drop(staging);
            return Err(auditor.fail(run_log, &facts, error.into()));
        }
    };
    let facts = outcome.facts.clone();
    let mut entry = auditor.record();
    record::fill(&mut entry, &facts);
    record::details(&mut entry, &outcome.report);
    entry.details.insert("audit_head".into(), head.to_string().into());
    // Registering proves the registry afresh: the engine may have run for hours, during which
    // officers changed it (a request decided, a contract ended); the registry checks those
    // against what the run applied.
    let mut registry = match contract {
        Some(c) => Some(Registry::open(&c.registry).map_err(|e| auditor.fail(run_log, &facts, refused(e)))?),
        None => None,
    };
    // The sheet and the manifest, inside the folder before it is sealed.
    let provided = registry.as_ref().zip(contract.and_then(|c| c.id));
    let signed_by =
        super::manifest::finish(&release_dir, &outcome, head.to_string(), provided, ready.sign_key.as_deref())
            .map_err(|e| auditor.fail(run_log, &facts, e))?;
    if let Some(key_id) = signed_by {
        entry.details.insert("manifest_signed_by".into(), key_id.into());
    }
    let marks = marks(registry.as_ref(), &outcome, &release_dir, &ready.code_columns)
        .map_err(|e| auditor.fail(run_log, &facts, e))?;
    let at = Registering {
        outcome: &outcome,
        requests: ready.requests.as_ref(),
        log: &log,
        head: &head,
        code_columns: &ready.code_columns,
        marks,
    };
    let who = clock.who(operator.clone());
    let mut register = |entry: &Entry, dest: &Path, files: &[(String, String)]| -> Result<(), String> {
        match (registry.as_mut(), contract) {
            (Some(reg), Some(c)) => reg
                .register_release(&who, &at.release(c, entry, dest, files))
                .map(|_| ())
                .map_err(|e| format!("registering the release: {e}")),
            _ => at.no_request_decided_since(),
        }
    };
    let publication = match tokumei_release::publish_with(staging, &outcome.files, &log, entry, &mut register) {
        Ok(p) => p,
        Err(e) => return Err(auditor.fail(run_log, &facts, release_failure(e))),
    };
    let mut settle_warning = None;
    if let Some(reg) = registry.as_mut()
        && let Err(e) = reg.settle_release(&who, &outcome.report.release_id, true)
    {
        settle_warning = Some(format!(
            "the release is published and registered, but still marked publishing in the registry ({e}); the next run on this output folder settles it"
        ));
    }
    Ok(RunDone::Published(Box::new(Published {
        report: outcome.report,
        publication,
        head,
        settle_warning,
        registered: contract.map(|c| (c.id, c.registry.clone())),
        replaces: contract.and_then(|c| c.replaces.as_ref()).map(|r| r.release_id.clone()),
    })))
}

/// The code digest and the marks of a registered release: the number of codes and their keyed
/// digest, and what the release is recognised by when a copy turns up (leak tracing).
type Marks = Option<(u64, String, Vec<ReleaseMark>)>;

/// The marks of the staged release, when it is registered and has a Parquet file.
fn marks(
    registry: Option<&Registry>,
    outcome: &RunOutcome,
    release_dir: &Path,
    code_columns: &[String],
) -> Result<Marks, OfficeError> {
    let parquet_file = outcome.files.iter().find(|(n, _)| n.ends_with(".parquet")).map(|(n, _)| n.clone());
    let (Some(reg), Some(parquet)) = (registry, parquet_file) else { return Ok(None) };
    let key = reg.code_digest_key().map_err(refused)?;
    let (codes, d) = tokumei_engine::output::code_digest(&release_dir.join(&parquet), code_columns, &key)?;
    // What the release is recognised by when a copy turns up (leak tracing).
    let bounds: Vec<String> = outcome.report.columns.iter().filter_map(|c| c.bounds.clone()).flatten().collect();
    let marks = tokumei_engine::trace::release_marks(
        &release_dir.join(&parquet),
        code_columns,
        &bounds,
        outcome.report.fingerprint.as_ref(),
        &tokumei_engine::trace::TraceKey::derive(&key),
    )?;
    let marks = marks
        .into_iter()
        .map(|m| ReleaseMark { digests: m.blob(), kind: m.kind, columns: m.columns, sample: m.sample })
        .collect();
    Ok(Some((codes, d, marks)))
}

/// What registering the release needs, between its audit entry and the rename (so it is never
/// visible without its row).
struct Registering<'a> {
    outcome: &'a RunOutcome,
    requests: Option<&'a Requests>,
    log: &'a JsonlLog,
    head: &'a Head,
    code_columns: &'a [String],
    marks: Marks,
}

impl Registering<'_> {
    /// Not registered: still, no release that missed a request decided during the run (the
    /// registry proved afresh, as the engine ran meanwhile).
    fn no_request_decided_since(&self) -> Result<(), String> {
        let Some(q) = self.requests else { return Ok(()) };
        let reg = Registry::open(&q.registry).map_err(|e| e.to_string())?;
        let (exclusions, _) = reg.exclusions(true, None).map_err(|e| e.to_string())?;
        let (corrections, _) = reg.corrections().map_err(|e| e.to_string())?;
        if exclusions > q.exclusions_upto || corrections > q.corrections_upto {
            return Err(
                "a resident's request was decided while the run read its input: the release is not published; run again"
                    .into(),
            );
        }
        Ok(())
    }

    /// The registry's row of the release published at `dest` with `files`.
    fn release(&self, c: &ContractRun, entry: &Entry, dest: &Path, files: &[(String, String)]) -> NewRelease {
        let r = &self.outcome.report;
        let requests = self.requests;
        let marks = self.marks.as_ref();
        NewRelease {
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
            audit_log: tokumei_release::resolve(self.log.path()).display().to_string(),
            audit_seq: entry.seq,
            audit_head: Some(self.head.to_string()),
            staff_hours: c.hours,
            code_columns: self.code_columns.to_vec(),
            codes: marks.map_or(0, |d| d.0),
            code_digest: marks.map(|d| d.1.clone()),
            purpose: c.purpose.clone(),
            subjects: self.outcome.subjects.clone(),
            exclusions_upto: requests.map_or(0, |q| q.exclusions_upto),
            corrections_upto: requests.map_or(0, |q| q.corrections_upto),
            excluded_records: r.requests.as_ref().map_or(0, |q| q.excluded_records),
            fingerprint: r.fingerprint.as_ref().and_then(|f| serde_json::to_value(f).ok()),
            marks: marks.map(|d| d.2.clone()).unwrap_or_default(),
            replaces: c.replaces.as_ref().map(|x| x.release_id.clone()),
            replacement_note: c.replaces.as_ref().and_then(|x| x.input_changed.clone()),
        }
    }
}
