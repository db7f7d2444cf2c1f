//! Where the person's records are read: the registered source extracts, and the pseudonymised
//! releases (searched by the pseudonyms a job's managed key makes).

use crate::{Clock, OfficeError};
use std::path::{Path, PathBuf};
use tokumei_engine::Prepared;
use tokumei_engine::lookup::Place;
use tokumei_registry::{FileSource, StoredRelease};

/// A registered source extract as the engine reads it.
pub fn place_of(s: &FileSource) -> Result<Place, OfficeError> {
    Ok(Place {
        path: PathBuf::from(&s.path),
        parquet: s.format == "parquet",
        encoding: encoding(&s.encoding)
            .ok_or_else(|| OfficeError::Usage("--encoding must be auto, utf-8 or cp932".into()))?,
    })
}

/// A recorded encoding (any case), by the words of `--encoding`.
pub fn encoding(word: &str) -> Option<tokumei_rules::Encoding> {
    match word.to_ascii_lowercase().as_str() {
        "auto" => Some(tokumei_rules::Encoding::Auto),
        "utf-8" | "utf8" => Some(tokumei_rules::Encoding::Utf8),
        "cp932" | "shift_jis" | "sjis" => Some(tokumei_rules::Encoding::Cp932),
        _ => None,
    }
}

/// A job prepared (rules, key) by the run clock, to make a person's pseudonyms with.
pub fn prepare_job(path: &Path, clock: &Clock) -> Result<(tokumei_rules::Job, Prepared), OfficeError> {
    let job = tokumei_rules::load_job(path).map_err(|d| OfficeError::Config(d.to_string()))?;
    let prepared = tokumei_engine::prepare(&job, clock.run_unix).map_err(|e| OfficeError::Engine(e.error))?;
    Ok((job, prepared))
}

/// The key a release was made with, as its own report names it.
pub fn made_with(r: &StoredRelease) -> Option<String> {
    let dir = PathBuf::from(&r.release.release_dir);
    let report = r.release.outputs.iter().find(|o| o.name == "report.json")?;
    tokumei_report::read_stamp(&dir.join(&report.name)).ok()?.key_id
}

/// The refusal of a job whose subject column is not pseudonymised with a managed key.
pub fn not_managed(job: &tokumei_rules::Job) -> OfficeError {
    OfficeError::Usage(format!("{}: its subject column is not pseudonymised with a managed key", job.path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_encoding_is_read_by_the_words_of_the_option() {
        assert_eq!(encoding("UTF-8"), Some(tokumei_rules::Encoding::Utf8));
        assert_eq!(encoding("sjis"), Some(tokumei_rules::Encoding::Cp932));
        assert_eq!(encoding("auto"), Some(tokumei_rules::Encoding::Auto));
        assert_eq!(encoding("latin1"), None);
    }
}
