//! Where the person's records are read: the registered source extracts, and the pseudonymised
//! releases (searched by the pseudonyms a job's managed key makes).

use crate::{Clock, OfficeError};
use std::path::{Path, PathBuf};
use tokumei_engine::Prepared;
use tokumei_engine::lookup::Place;
use tokumei_registry::{FileSource, StoredRelease};
use tokumei_rules::Encoding;

/// A registered source extract as the engine reads it.
pub fn place_of(s: &FileSource) -> Result<Place, OfficeError> {
    Ok(Place {
        path: PathBuf::from(&s.path),
        parquet: s.format == "parquet",
        encoding: encoding(&s.encoding)
            .ok_or_else(|| OfficeError::Usage("--encoding must be auto, utf-8 or cp932".into()))?,
    })
}

/// A CSV encoding's words (`--encoding`, and a source's recorded encoding).
pub struct EncodingWords {
    /// The encoding.
    pub encoding: Encoding,
    /// The word recorded for it.
    pub word: &'static str,
    /// Other words typed for it.
    pub also: &'static [&'static str],
    /// What it is.
    pub help: &'static str,
}

/// Every CSV encoding with its words.
pub const ENCODINGS: [EncodingWords; 3] = [
    EncodingWords {
        encoding: Encoding::Auto,
        word: "auto",
        also: &[],
        help: "Detect: UTF-8 (BOM or valid UTF-8) else CP932",
    },
    EncodingWords { encoding: Encoding::Utf8, word: "utf-8", also: &["utf8"], help: "UTF-8, with or without BOM" },
    EncodingWords { encoding: Encoding::Cp932, word: "cp932", also: &["shift_jis", "sjis"], help: "CP932 / Shift_JIS" },
];

/// A recorded or typed encoding (any case), by the words of `--encoding`.
pub fn encoding(word: &str) -> Option<Encoding> {
    let is = |w: &str| w.eq_ignore_ascii_case(word);
    ENCODINGS.iter().find(|e| is(e.word) || e.also.iter().any(|a| is(a))).map(|e| e.encoding)
}

/// The word recorded for an encoding.
pub fn encoding_word(encoding: Encoding) -> &'static str {
    ENCODINGS.iter().find(|e| e.encoding == encoding).map_or("auto", |e| e.word)
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

    #[test]
    fn encodings_take_the_words_typed_before() {
        for (typed, word) in [
            ("auto", "auto"),
            ("AUTO", "auto"),
            ("utf-8", "utf-8"),
            ("UTF8", "utf-8"),
            ("cp932", "cp932"),
            ("Shift_JIS", "cp932"),
            ("sjis", "cp932"),
        ] {
            assert_eq!(encoding(typed).map(encoding_word), Some(word), "{typed}");
        }
        assert_eq!(encoding(""), None);
    }
}
