//! A run whose release is registered: under a contract (authorized before anything is read past
//! the header), for an internal use, or replacing an internal release; and the releases an
//! interrupted run left `publishing`.

use super::{ContractArg, Replacing, Tell, Use};
use crate::{Clock, OfficeError};
use std::path::{Path, PathBuf};
use tokumei_registry::{Registry, StoredContract};

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

impl ContractRun {
    /// The command line's use, else the job's `[registry]`; and the registry named on the
    /// command line.
    pub fn of(
        job: &tokumei_rules::Job,
        arg: Option<ContractArg>,
    ) -> Result<(Option<ContractRun>, Option<PathBuf>), OfficeError> {
        let (cli_registry, cli_use, hours, replaces) = match arg {
            Some(c) => (c.registry, c.using, c.hours, c.replaces),
            None => (None, None, None, None),
        };
        let named = cli_registry.clone();
        let using = cli_use.or_else(|| {
            job.release_use.clone().map(|u| match u {
                tokumei_rules::JobUse::Contract(id) => Use::Contract(id),
                tokumei_rules::JobUse::Internal(p) => Use::Internal(p),
            })
        });
        if hours.is_some() && using.is_none() {
            return Err(OfficeError::Usage(
                "--hours goes with a contract or an internal use (--contract, --internal-use or the job's [registry])"
                    .into(),
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
        Ok((contract, named))
    }
}

/// A registry error as the run reports it: the registry's fault (exit 9) whatever its cause
/// (its audit log, its entries), with its whole message.
pub fn refused(e: tokumei_registry::RegistryError) -> OfficeError {
    OfficeError::registry(&e)
}

/// Refuse a replacement before anything is read past the header or written: the release is a
/// replaceable internal release (published, neither replaced nor destroyed) made by this job's
/// rule file in its mode, and pseudonymised data with this job's managed key (its people keep
/// their pseudonyms). The registry checks it again when the replacement is registered.
pub fn check_replacement(reg: &Registry, old: &str, prepared: &tokumei_engine::Prepared) -> Result<(), OfficeError> {
    let o = reg.replaceable(old).map_err(refused)?;
    if o.release.rules_sha256 != prepared.plan.rules_sha256 || o.release.mode != prepared.plan.mode.as_str() {
        return Err(OfficeError::Refused(format!(
            "release {old} was made by another rule file or mode ({}, rules {}): replace it with the job that made it",
            o.release.mode,
            o.release.rules_sha256.get(..12).unwrap_or_default()
        )));
    }
    if o.release.mode == "pseudonymized" {
        let dir = Path::new(&o.release.release_dir);
        let made_with = crate::sources::made_with(&o);
        match made_with {
            None => {
                return Err(OfficeError::Refused(format!(
                    "release {old}: its report (report.json in {}) cannot be read, so the key it was made with is not known: nothing was done",
                    dir.display()
                )));
            }
            Some(k) if Some(&k) != prepared.facts.key_id.as_ref() => {
                return Err(OfficeError::Refused(format!(
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
pub fn settle_interrupted(
    reg: &mut Registry,
    root: &Path,
    operator: &str,
    clock: &Clock,
    tell: &dyn Tell,
) -> Result<(), OfficeError> {
    let root = tokumei_release::resolve(root);
    for r in reg.unsettled_under(&root).map_err(refused)? {
        let complete = r.check_files().is_empty();
        let who = clock.who(operator.to_string());
        reg.settle_release(&who, &r.release.release_id, complete).map_err(refused)?;
        tell.note(&format!(
            "note: release {} was left publishing by an interrupted run; registered now as {}",
            r.release.release_id,
            if complete { "published" } else { "abandoned" }
        ));
    }
    Ok(())
}

/// Check that contract `id` of the registry allows the release the plan would make (today in
/// Japan by the run clock).
pub fn authorize(
    reg: &Registry,
    id: i64,
    plan: &tokumei_rules::Plan,
    actor: tokumei_rules::Actor,
    clock: &Clock,
) -> Result<StoredContract, OfficeError> {
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
