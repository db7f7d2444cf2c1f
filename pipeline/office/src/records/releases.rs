//! Releases as the registry records them: list and show, identify a copy found elsewhere,
//! record a provision or a destruction, verify the published folders.

use super::{today, who};
use crate::OfficeError;
use std::path::Path;
use tokumei_documents::text::Told;
use tokumei_registry::{ErasureToDo, Registry, StoredRelease};

/// Every registered release.
pub fn list(path: &Path) -> Result<Vec<StoredRelease>, OfficeError> {
    Ok(Registry::open(path)?.releases()?)
}

/// One release with its files.
pub fn show(path: &Path, release_id: &str) -> Result<StoredRelease, OfficeError> {
    Registry::open(path)?
        .release(release_id)?
        .ok_or_else(|| OfficeError::Refused(format!("no release {release_id} in the registry")))
}

/// An internal release that may be replaced (`release replace`).
pub fn replaceable(path: &Path, release_id: &str) -> Result<StoredRelease, OfficeError> {
    Ok(Registry::open(path)?.replaceable(release_id)?)
}

/// How `release replace` runs: the output folder (default: beside the release it replaces,
/// `<out>/<dataset>/<release id>`) and the internal use it registers, with the old release's
/// purpose (default 内部利用).
pub fn replacing(
    path: &Path,
    (release_id, input_changed): (String, Option<String>),
    out: Option<std::path::PathBuf>,
    hours: Option<f64>,
) -> Result<(Option<std::path::PathBuf>, crate::run::ContractArg), OfficeError> {
    use crate::run::{ContractArg, Replacing, Use};
    let old = replaceable(path, &release_id)?;
    let out =
        out.or_else(|| Path::new(&old.release.release_dir).parent().and_then(Path::parent).map(Path::to_path_buf));
    let purpose = old.release.purpose.clone().unwrap_or_else(|| "内部利用".into());
    let replaces = Some(Replacing { release_id, input_changed });
    Ok((out, ContractArg { registry: Some(path.to_path_buf()), using: Some(Use::Internal(purpose)), hours, replaces }))
}

/// Which registered release a Parquet file is: its code set's keyed digest compared with every
/// release's (whole releases only).
pub fn identify(path: &Path, file: &Path) -> Result<StoredRelease, OfficeError> {
    let reg = Registry::open(path)?;
    let key = reg.code_digest_key()?;
    let mut digests: std::collections::HashMap<Vec<String>, Option<String>> = Default::default();
    for r in reg.releases()? {
        let (Some(d), false) = (&r.release.code_digest, r.release.code_columns.is_empty()) else { continue };
        let mine = digests.entry(r.release.code_columns.clone()).or_insert_with(|| {
            tokumei_engine::output::code_digest(file, &r.release.code_columns, &key).ok().map(|x| x.1)
        });
        if mine.as_ref() == Some(d) {
            return Ok(r);
        }
    }
    Err(OfficeError::Refused(format!(
        "{}: its codes match no registered release (whole releases only)",
        file.display()
    )))
}

/// A provision, as given.
pub struct Provision<'a> {
    /// The release provided.
    pub release_id: &'a str,
    /// The medium.
    pub medium: &'a str,
    /// The recipient's receipt.
    pub receipt: &'a str,
    /// The day (default: today by the run clock).
    pub date: Option<tokumei_jp::Date>,
    /// A 法118 contract covering the release (default: the contract it was made under).
    pub contract: Option<i64>,
}

/// Record that a published release was provided to its recipient; the day recorded.
pub fn provide(path: &Path, p: Provision, operator: &str) -> Result<String, OfficeError> {
    let who = who(operator)?;
    let today = today()?;
    let day = crate::values::day_or(p.date, &today);
    let mut reg = Registry::open(path)?;
    reg.provide_under(&who, p.release_id, p.contract, &day, &today, p.medium, p.receipt)?;
    Ok(day)
}

/// Record that an internal release was destroyed (default day: today); the day recorded and
/// the accepted erasures still waiting for copies to be destroyed.
pub fn destroyed(
    path: &Path,
    release_id: &str,
    how: &str,
    date: Option<tokumei_jp::Date>,
    operator: &str,
) -> Result<(String, Vec<ErasureToDo>), OfficeError> {
    let who = who(operator)?;
    let today = today()?;
    let day = crate::values::day_or(date, &today);
    let mut reg = Registry::open(path)?;
    reg.record_destruction(&who, release_id, &day, &today, how)?;
    Ok((day, reg.erasures_to_do()?))
}

/// What [`verify`] found.
pub struct Verified {
    /// Published releases whose files were checked.
    pub checked: usize,
    /// What does not match.
    pub problems: Vec<String>,
}

/// Check that every published release's files (or one release's) still match the registry.
pub fn verify(path: &Path, release_id: Option<&str>) -> Result<Verified, OfficeError> {
    let reg = Registry::open(path)?;
    let list: Vec<_> =
        reg.releases()?.into_iter().filter(|r| release_id.is_none_or(|id| id == r.release.release_id)).collect();
    if let Some(id) = release_id
        && list.is_empty()
    {
        return Err(OfficeError::Refused(format!("no release {id} in the registry")));
    }
    let mut problems = Vec::new();
    let mut checked = 0;
    for r in &list {
        match r.status.as_str() {
            // Its folder is gone on purpose (`release destroyed`).
            "published" if r.destroyed.is_some() => {}
            "published" => {
                problems.extend(r.check_files());
                checked += 1;
            }
            "publishing" => problems.push(format!(
                "release {}: still publishing (a run in progress, or interrupted: the next run on its output folder settles it)",
                r.release.release_id
            )),
            _ => {}
        }
    }
    Ok(Verified { checked, problems })
}

impl super::Checked for Verified {
    /// The problems, or that every file matches.
    fn told(&self) -> Told {
        tokumei_documents::text::release_steps::verified(self.checked, &self.problems)
    }

    /// A refusal when a file does not match.
    fn result(self) -> Result<(), OfficeError> {
        match self.problems.len() {
            0 => Ok(()),
            n => Err(OfficeError::Refused(format!("{n} problem(s) found"))),
        }
    }
}
