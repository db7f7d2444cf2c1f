//! Residents' requests, the run's first stage: the registry whose exclusions and corrections the
//! run applies (proved, and the one the run's log records at that place), and what it applies.

use super::Tell;
use super::contract::{ContractRun, refused};
use crate::OfficeError;
use std::path::{Path, PathBuf};
use tokumei_audit::JsonlLog;
use tokumei_registry::Registry;

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
/// recipient. Returns the registry opened (and proved): the run's one connection to it.
pub fn requests_stage(
    job: &tokumei_rules::Job,
    contract: Option<&ContractRun>,
    named: Option<&Path>,
    out_root: &Path,
    tell: &dyn Tell,
) -> Result<Option<(Requests, Registry)>, OfficeError> {
    let Some(path) = registry_path(job, contract, named, out_root, tell)? else { return Ok(None) };
    // Opening proves the registry: every list a run honours is as tokumei's changes left it.
    let reg = Registry::open(&path).map_err(refused)?;
    // It must be the registry the run's log records at that place, not another one put there
    // (a registry proves against its own audit log, which may be kept anywhere).
    let registry_id = reg.id().map_err(refused)?;
    if let Some(other) = registry_recorded_at(&job.audit_log, &path, &registry_id)? {
        return Err(OfficeError::Refused(format!(
            "registry {}: {other}, but the file there is another registry ({registry_id}): nothing was done\n  hint: put the registry back (with its audit log), or record why it is gone with `tokumei registry reset --registry PATH --reason ...` before using another one there",
            path.display()
        )));
    }
    the_registry_relied_on(&job.audit_log, &path, &registry_id)?;
    let registry_head = still_holds_what_runs_relied_on(&reg, &path, &job.audit_log, &registry_id)?;
    let (stage, exclusions_upto, corrections_upto) = stage(&reg, job, contract)?;
    let requests = Requests { registry: path, registry_id, registry_head, stage, exclusions_upto, corrections_upto };
    Ok(Some((requests, reg)))
}

/// Which registry the run applies (`None`: there is none, noted), refusing one that is not the
/// output folder's, and a run without one where the log says one was relied on.
fn registry_path(
    job: &tokumei_rules::Job,
    contract: Option<&ContractRun>,
    named: Option<&Path>,
    out_root: &Path,
    tell: &dyn Tell,
) -> Result<Option<PathBuf>, OfficeError> {
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
            if let Some(missing) = missing_registry(&job.audit_log, None)? {
                return Err(OfficeError::Refused(format!(
                    "{missing}, but no registry is found: the run would apply no resident's request (suspensions, erasures, corrections); nothing was done\n  hint: restore the registry (with its audit log) from a backup, or record why it is gone with `tokumei registry reset --registry PATH --reason ...`"
                )));
            }
            tell.note(
                "note: no registry (--registry, the job's [registry] or registry.sqlite in the output folder): residents' requests (suspensions, opt-outs, corrections) are not applied to this run",
            );
            return Ok(None);
        }
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    if let Some(other) = [out_root, job.output_dir.as_path()]
        .map(|d| d.join("registry.sqlite"))
        .into_iter()
        .find(|p| p.exists() && canonical(p) != canonical(&path))
    {
        return Err(OfficeError::Refused(format!(
            "the run uses registry {}, but the output folder holds another, {}: its residents' requests would not be applied to releases published beside it\n  hint: use the registry of the output folder, or another output folder",
            path.display(),
            other.display()
        )));
    }
    Ok(Some(path))
}

/// The head of the registry's audit log now; refused when that log no longer holds the head an
/// earlier run relied on: a registry restored with its own log from a backup proves against
/// that log, but lacks what came since (an erasure decided after the backup).
fn still_holds_what_runs_relied_on(
    reg: &Registry,
    path: &Path,
    run_log: &Path,
    registry_id: &str,
) -> Result<String, OfficeError> {
    let registry_log = JsonlLog::new(reg.audit_log().map_err(refused)?);
    let registry_head = registry_log
        .tail_until(|_| true)
        .map_err(|e| OfficeError::registry(&e))?
        .last()
        .map(|e| e.head().to_string())
        .unwrap_or_default();
    if let Some((seq, head)) = registry_head_relied_on(run_log, registry_id)? {
        let scan = registry_log.scan().map_err(|e| OfficeError::registry(&e))?;
        if let Err(reason) = tokumei_audit::anchor::check(&registry_log, &scan.entries, &head) {
            return Err(OfficeError::Refused(format!(
                "registry {}: audit entry {seq} of {} records that a run relied on entry {} of the registry's audit log {}, which no longer holds it ({reason}): the registry and its log were put back to an earlier state (changes made since, such as an erasure, would not be applied); nothing was done\n  hint: restore the registry's audit log (and the registry) as they were, or investigate with `tokumei registry verify`",
                path.display(),
                run_log.display(),
                head.seq,
                registry_log.path().display()
            )));
        }
    }
    Ok(registry_head)
}

/// What the run applies: the exclusions for its files (every one where an input is registered
/// nowhere), the corrections of its inputs' files, and whether it collects its subjects.
fn stage(
    reg: &Registry,
    job: &tokumei_rules::Job,
    contract: Option<&ContractRun>,
) -> Result<(tokumei_engine::requests::RequestStage, i64, i64), OfficeError> {
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
    let stage = tokumei_engine::requests::RequestStage {
        identifier: profile.subject_identifier,
        exclude: exclude.into_iter().collect(),
        corrections,
        collect_subjects,
        input_subjects,
    };
    Ok((stage, exclusions_upto, corrections_upto))
}

/// When the run's audit log (and the logs it continues) records another registry than `id` at
/// `path` (created there, or applied there by an earlier run) that was not retired since: what
/// it records.
fn registry_recorded_at(log: &Path, path: &Path, id: &str) -> Result<Option<String>, OfficeError> {
    let log = JsonlLog::new(log);
    if !log.exists().map_err(OfficeError::Audit)? {
        return Ok(None);
    }
    let (logs, _) = tokumei_registry::log_chain(&log).map_err(refused)?;
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
fn registry_head_relied_on(log: &Path, id: &str) -> Result<Option<(u64, tokumei_audit::Head)>, OfficeError> {
    let log = JsonlLog::new(log);
    if !log.exists().map_err(OfficeError::Audit)? {
        return Ok(None);
    }
    let (logs, _) = tokumei_registry::log_chain(&log).map_err(refused)?;
    let text = |e: &tokumei_audit::Entry, k: &str| e.record.details.get(k).and_then(|v| v.as_str()).map(String::from);
    Ok(logs.iter().flatten().rev().find_map(|e| {
        if text(e, "requests_registry_id").as_deref() != Some(id) {
            return None;
        }
        text(e, "requests_registry_head").and_then(|h| h.parse().ok()).map(|h| (e.seq, h))
    }))
}

/// What a run's entry records of the registry whose requests it applied.
const APPLIED: &str = "applied the residents' requests of";

/// A registry the audit log records as relied on, not retired since.
struct Relied {
    /// The entry recording it.
    seq: u64,
    /// Where it was.
    path: String,
    /// Its id, when recorded.
    id: Option<String>,
    /// What the entry records.
    what: &'static str,
}

/// The registries the audit log says this output relies on, newest first, not retired since:
/// one created with this log (its path recorded), or one an earlier run applied requests from.
fn relied_on(log: &Path) -> Result<Vec<Relied>, OfficeError> {
    let log = JsonlLog::new(log);
    if !log.exists().map_err(OfficeError::Audit)? {
        return Ok(Vec::new());
    }
    // The log and the logs it continues (`tokumei audit rotate`): a rotation does not make the
    // output forget the registry it relied on. (Breaks are the run's anchor check's to report.)
    let (logs, _) = tokumei_registry::log_chain(&log).map_err(refused)?;
    let entries: Vec<tokumei_audit::Entry> = logs.into_iter().flatten().collect();
    let text = |e: &tokumei_audit::Entry, k: &str| e.record.details.get(k).and_then(|v| v.as_str()).map(String::from);
    // Retirements seen so far, reading back from the newest entry: a retirement covers the
    // registries recorded before it, never one created or used at the same place afterwards.
    let mut retired_since: std::collections::BTreeSet<String> = Default::default();
    let mut out = Vec::new();
    for e in entries.iter().rev() {
        if e.record.action == tokumei_registry::RETIRED {
            retired_since
                .extend([text(e, "registry"), text(e, "path"), text(e, "canonical_path")].into_iter().flatten());
            continue;
        }
        let (path, id, what) = match (text(e, "requests_registry"), e.record.action.as_str()) {
            (Some(p), _) => (p, text(e, "requests_registry_id"), APPLIED),
            (None, "registry-committed") => match text(e, "path") {
                Some(p) => (p, text(e, "registry"), "records the creation of"),
                None => continue,
            },
            _ => continue,
        };
        if Path::new(&path).is_absolute()
            && !retired_since.contains(&path)
            && !id.as_ref().is_some_and(|id| retired_since.contains(id))
        {
            out.push(Relied { seq: e.seq, path, id, what });
        }
    }
    Ok(out)
}

/// A registry the audit log says this output relies on, now missing and not retired (one whose
/// id is `found`, the registry the run was given, is not missing: it was moved there).
fn missing_registry(log: &Path, found: Option<&str>) -> Result<Option<String>, OfficeError> {
    Ok(relied_on(log)?
        .into_iter()
        .find(|r| !Path::new(&r.path).exists() && (found.is_none() || r.id.as_deref() != found))
        .map(|r| format!("audit entry {} {} registry {}", r.seq, r.what, r.path)))
}

/// Refused unless the registry given to the run (`id`, at `path`, however it was chosen) is the
/// one the run's audit log records as relied on: none the log records may be missing, and
/// the newest whose requests a run applied must be this one. Another registry named instead
/// would drop the residents' requests the output relied on (a suspension, an erasure).
fn the_registry_relied_on(log: &Path, path: &Path, id: &str) -> Result<(), OfficeError> {
    let hint = "hint: restore the registry (with its audit log) from a backup and use it, or record why it is no longer used with `tokumei registry reset --registry PATH --reason ...` (PATH: where the log records it)";
    if let Some(missing) = missing_registry(log, Some(id))? {
        return Err(OfficeError::Refused(format!(
            "{missing}, which is missing; the run was given registry {} ({id}) instead: its requests would replace the ones the output relied on; nothing was done\n  {hint}",
            path.display()
        )));
    }
    // The registry in use: the newest whose requests a run applied (creating another registry
    // with the same log does not put it in use).
    let in_use = relied_on(log)?.into_iter().find(|r| r.what == APPLIED);
    if let Some(r) = in_use.filter(|r| r.id.as_deref().is_some_and(|was| was != id)) {
        return Err(OfficeError::Refused(format!(
            "audit entry {} {} registry {} ({}), but the run was given another registry, {} ({id}): the residents' requests the output relied on would not be applied; nothing was done\n  {hint}",
            r.seq,
            r.what,
            r.path,
            r.id.unwrap_or_default(),
            path.display()
        )));
    }
    Ok(())
}
