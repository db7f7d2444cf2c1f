//! Before anything is read past the header or written: residents' requests from the registry
//! (opened once for the run), the prepared run, and the contract or internal use that allows it.

use super::contract::{self, ContractRun};
use super::log::Auditor;
use super::requests::{Requests, requests_stage};
use crate::{Clock, OfficeError};
use std::path::Path;
use tokumei_engine::run::RunFacts;
use tokumei_engine::{Prepared, RunError};
use tokumei_registry::Registry;

/// A run prepared and allowed, ready for the engine.
pub struct Ready {
    /// The prepared run.
    pub prepared: Prepared,
    /// What is known of it so far.
    pub facts: RunFacts,
    /// The residents' requests it applies, if a registry is found.
    pub requests: Option<Requests>,
    /// The registry, opened and proved once for the run (the requests' registry, which is the
    /// contract's or internal use's when there is one).
    pub registry: Option<Registry>,
    /// The linking-code (pseudonym) columns, whose code set the registry keeps a keyed digest of.
    pub code_columns: Vec<String>,
    /// The officer's key that signs the release's manifest, checked (set by the run).
    pub sign_key: Option<std::path::PathBuf>,
}

/// Prepare the run (here, or `elsewhere`) and check what allows it; a failure comes with what
/// is known of the run.
#[allow(clippy::too_many_arguments)]
pub fn ready(
    job: &tokumei_rules::Job,
    contract: Option<&ContractRun>,
    named_registry: Option<&Path>,
    out_root: &Path,
    clock: &Clock,
    auditor: &mut Auditor,
    elsewhere: Option<&dyn super::Elsewhere>,
) -> Result<Ready, (Box<RunFacts>, OfficeError)> {
    // Residents' requests: the registry's exclusions and corrections are the run's first stage.
    let (requests, registry) = match requests_stage(job, contract, named_registry, out_root, auditor.tell) {
        Ok(Some((r, reg))) => (Some(r), Some(reg)),
        Ok(None) => (None, None),
        Err(e) => return Err((Box::default(), e)),
    };
    let stage = requests.as_ref().map(|r| r.stage.clone());
    let prepared = match elsewhere {
        // Elsewhere the stage is checked against the rules here and applied by the cluster.
        Some(e) => e.prepare(job, clock.run_unix, stage),
        None => tokumei_engine::prepare_with_requests(job, clock.run_unix, stage),
    };
    let prepared = match prepared {
        Ok(p) => p,
        Err(RunError { error, facts }) => return Err((facts, error.into())),
    };
    let facts = prepared.facts.clone();
    let code_columns: Vec<String> = prepared
        .plan
        .output_columns()
        .filter(|c| matches!(c.action, tokumei_rules::Action::Pseudonymize { .. }))
        .filter_map(|c| c.output.clone())
        .collect();
    if let Some(c) = contract {
        // The requests' registry is the contract's: opened and proved above (an internal use
        // needs it; a release for a recipient needs a contract in it that allows it).
        let Some(reg) = registry.as_ref() else {
            return Err((Box::new(facts), OfficeError::Internal("the run's registry was not opened".into())));
        };
        if let Err(e) = allowed(c, reg, &prepared, job, clock, auditor) {
            return Err((Box::new(facts), e));
        }
    }
    if let Some(r) = &requests {
        let at = std::fs::canonicalize(&r.registry).unwrap_or_else(|_| r.registry.clone());
        auditor.detail("requests_registry", at.display().to_string().into());
        auditor.detail("requests_registry_id", r.registry_id.clone().into());
        auditor.detail("requests_registry_head", r.registry_head.clone().into());
    }
    Ok(Ready { prepared, facts, requests, registry, code_columns, sign_key: None })
}

/// A registered release's use: a replacement replaces a replaceable internal release by its
/// rule file (and managed key); a release for a recipient needs a contract that allows it.
/// Both are checked before anything is read past the header or written.
fn allowed(
    c: &ContractRun,
    reg: &Registry,
    prepared: &Prepared,
    job: &tokumei_rules::Job,
    clock: &Clock,
    auditor: &mut Auditor,
) -> Result<(), OfficeError> {
    if let Some(purpose) = &c.purpose {
        auditor.detail("internal_use", purpose.clone().into());
    }
    if let Some(rep) = &c.replaces {
        auditor.detail("replaces", rep.release_id.clone().into());
        contract::check_replacement(reg, &rep.release_id, prepared)?;
    }
    if let Some(id) = c.id {
        auditor.detail("contract", id.into());
        let allowed = contract::authorize(reg, id, &prepared.plan, job.actor, clock)?;
        auditor.detail("recipient", allowed.recipient.clone().into());
        auditor.detail("file", allowed.file.clone().into());
    }
    Ok(())
}
