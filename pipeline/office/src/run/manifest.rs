//! The staged release's last files, written after the engine and before the folder is sealed
//! (so the `publishing` audit entry covers them): the recipient's sheet of a release provided
//! under a contract, and the manifest, signed with the officer's key when one is given.
//!
//! A release provided under a contract is never made unsigned: without a signing key the run is
//! refused before anything is read past the header ([`signing_key`]).

use crate::OfficeError;
use std::path::{Path, PathBuf};
use tokumei_engine::EngineError;
use tokumei_engine::run::RunOutcome;
use tokumei_registry::Registry;
use tokumei_release::manifest::{self, ManifestError, ManifestHead, Provision};

/// The key that signs the release's manifest: the command line's, else the job's
/// `[release] sign_key`. Checked now (owner-only, a key `keygen --audit` made); a release
/// `provided` under a contract without one is refused (exit 6).
pub fn signing_key(
    given: Option<PathBuf>,
    job: &tokumei_rules::Job,
    provided: bool,
) -> Result<Option<PathBuf>, OfficeError> {
    match given.or_else(|| job.sign_key.clone()) {
        Some(k) => {
            tokumei_audit::sign::check_signing_key(&k)?;
            Ok(Some(k))
        }
        None if provided => Err(OfficeError::Engine(EngineError::Key(
            "a release provided under a contract is signed, so that its recipient can prove it came unchanged from the body (`tokumei verify-release`): give the officer's key with --sign-key FILE or the job's [release] sign_key (made by `tokumei keygen --audit FILE`); nothing was written".into(),
        ))),
        None => Ok(None),
    }
}

fn manifest_failure(e: ManifestError) -> OfficeError {
    match e {
        ManifestError::Io { path, cause } => OfficeError::Write { path, cause },
        ManifestError::Folder(m) => OfficeError::Output(m),
        ManifestError::Sign(s) => OfficeError::Sign(s),
    }
}

/// Write the sheet (under a contract) and the manifest into the staged `release_dir`; returns the
/// signing key's id, if signed.
pub fn finish(
    release_dir: &Path,
    outcome: &RunOutcome,
    audit_head: String,
    contract: Option<(&Registry, i64)>,
    sign_key: Option<&Path>,
) -> Result<Option<String>, OfficeError> {
    let report = &outcome.report;
    let provision = match contract {
        Some((reg, id)) => Some(sheet(release_dir, outcome, reg, id)?),
        None => None,
    };
    let head = ManifestHead {
        release_id: report.release_id.clone(),
        dataset: report.dataset.clone(),
        created_at: report.created_at.clone(),
        audit_head: Some(audit_head),
        provision,
    };
    let (_, key_id) = manifest::write(release_dir, head, &outcome.files, sign_key).map_err(manifest_failure)?;
    Ok(key_id)
}

/// Write the recipient's sheet of contract `id` into the staged folder; returns what the manifest
/// records of the provision.
fn sheet(release_dir: &Path, outcome: &RunOutcome, reg: &Registry, id: i64) -> Result<Provision, OfficeError> {
    let refused = super::contract::refused;
    let c = reg.contract(id).map_err(refused)?.ok_or_else(|| OfficeError::Refused(format!("no contract {id}")))?;
    let body = reg.profile().map_err(refused)?.body;
    let contact = reg.file(&c.file).map_err(refused)?.and_then(|f| f.entry.proposal_office);
    let report = &outcome.report;
    let parquet = outcome.files.iter().find(|(n, _)| n.ends_with(".parquet")).map(|(n, _)| n.clone());
    let provision = Provision {
        body,
        contract_id: id,
        recipient: c.recipient,
        file: c.file,
        purpose: c.proposal.purpose,
        use_from: c.proposal.use_from,
        use_until: c.proposal.use_until,
    };
    let terms = tokumei_documents::terms::Terms {
        provision,
        safety_measures: c.proposal.safety_measures,
        contact: contact.filter(|o| !o.trim().is_empty()),
        dataset: report.dataset.clone(),
        release_id: report.release_id.clone(),
        parquet: parquet.unwrap_or_else(|| format!("{}.parquet", report.dataset)),
        banded: report.columns.iter().filter_map(|col| Some((col.output.clone()?, col.bounds.clone()?))).collect(),
    };
    for (name, text) in tokumei_documents::terms::sheets(&terms) {
        let path = release_dir.join(name);
        std::fs::write(&path, text).map_err(|cause| OfficeError::Write { path, cause })?;
    }
    Ok(terms.provision)
}
