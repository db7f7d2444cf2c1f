//! Personal-information files (個人情報ファイル): register an entry with the rule files allowed
//! for its releases, where its records are kept, where proposals go, and the publishable
//! ファイル簿.

use super::{today, who};
use crate::OfficeError;
use std::path::{Path, PathBuf};
use tokumei_registry::{FileEntry, FileRules, FileSource, Registry, StoredFile};

/// A file registered by [`add`].
pub struct Added {
    /// Its entry.
    pub entry: FileEntry,
    /// Its id.
    pub id: i64,
    /// The rule files allowed.
    pub rules: usize,
}

/// Register a 個人情報ファイル簿 entry from an entry file (TOML), with the rule files allowed for
/// its releases.
pub fn add(path: &Path, entry: &Path, rules: &[PathBuf], operator: &str) -> Result<Added, OfficeError> {
    let entry = FileEntry::load(entry)?;
    let rules = rules.iter().map(|p| rules_of(p)).collect::<Result<Vec<_>, _>>()?;
    let mut reg = Registry::open(path)?;
    let id = reg.add_file(&who(operator)?, &entry, &rules)?;
    Ok(Added { entry, id, rules: rules.len() })
}

/// Allow one more rule file for a registered file's releases; the rules as recorded.
pub fn allow_rules(path: &Path, name: &str, rules: &Path, operator: &str) -> Result<FileRules, OfficeError> {
    let rules = rules_of(rules)?;
    let mut reg = Registry::open(path)?;
    reg.allow_rules(&who(operator)?, name, &rules)?;
    Ok(rules)
}

/// A rule file as the registry allows it: its path and the digest a run records (the rule
/// file's bytes and the hierarchy files and dictionaries it names).
pub fn rules_of(path: &Path) -> Result<FileRules, OfficeError> {
    let bad = |m: String| OfficeError::Config(format!("--rules {}: {m}", path.display()));
    let meta = std::fs::metadata(path).map_err(|e| bad(format!("cannot read ({})", e.kind())))?;
    if !meta.is_file() || meta.len() > 16 << 20 {
        return Err(bad("is not a rule file (a regular file of at most 16 MiB)".into()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read ({})", e.kind())))?;
    // Allowing the rules allows exactly those files' contents.
    let sha = tokumei_rules::rules_digest(path, &text).map_err(|d| OfficeError::Config(d.to_string()))?;
    Ok(FileRules { path: path.display().to_string(), sha256: sha })
}

/// Where a registered file's records are kept, as given.
pub struct NewSource {
    /// The file's name.
    pub file: String,
    /// The extract (CSV, or Parquet by its extension).
    pub input: PathBuf,
    /// Its encoding (CSV).
    pub encoding: tokumei_rules::Encoding,
    /// The encoding as the registry records it (`auto`, `utf-8`, `cp932`).
    pub encoding_word: &'static str,
    /// The column holding the subject identifier.
    pub subject_column: String,
    /// The column holding the name.
    pub name_column: Option<String>,
    /// The column holding the date of birth.
    pub birth_column: Option<String>,
    /// Columns holding other people's information.
    pub others_columns: Vec<String>,
    /// The officer confirms that a subject column named otherwise holds the subject identifier.
    pub holds_subject_identifier: bool,
}

/// Record where a registered file's records are kept (its header checked now); the source as
/// recorded (its path absolute: requests are answered from any folder).
pub fn add_source(path: &Path, s: NewSource, operator: &str) -> Result<FileSource, OfficeError> {
    if s.name_column.is_some() != s.birth_column.is_some() {
        return Err(OfficeError::Usage("--name-column and --birth-column go together".into()));
    }
    let format = match s.input.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("parquet") => "parquet",
        _ => "csv",
    };
    let input = std::path::absolute(&s.input).map_err(|e| OfficeError::Usage(e.to_string()))?;
    let place =
        tokumei_engine::lookup::Place { path: input.clone(), parquet: format == "parquet", encoding: s.encoding };
    let columns: Vec<&str> = [Some(&s.subject_column), s.name_column.as_ref(), s.birth_column.as_ref()]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    tokumei_engine::lookup::check_columns(&place, &columns)?;
    let source = FileSource {
        file: s.file,
        path: input.display().to_string(),
        format: format.into(),
        encoding: s.encoding_word.into(),
        subject_column: s.subject_column,
        name_column: s.name_column,
        birth_column: s.birth_column,
        others_columns: s.others_columns,
    };
    let mut reg = Registry::open(path)?;
    reg.add_source(&who(operator)?, &source, s.holds_subject_identifier)?;
    Ok(source)
}

/// One registered file and where its records are kept.
pub fn show(path: &Path, name: &str) -> Result<(StoredFile, Vec<FileSource>), OfficeError> {
    let reg = Registry::open(path)?;
    let f = reg.file(name)?.ok_or_else(|| OfficeError::Refused(format!("no file `{name}` is registered")))?;
    let sources = reg.sources()?.into_iter().filter(|s| s.file == f.entry.name).collect();
    Ok((f, sources))
}

/// The registered files.
pub fn list(path: &Path) -> Result<Vec<StoredFile>, OfficeError> {
    Ok(Registry::open(path)?.files()?)
}

/// Set the office that receives proposals for a file and the days from creation during which
/// 法118 proposals may be made.
pub fn set_proposals(
    path: &Path,
    name: &str,
    office: &str,
    reuse_period_days: Option<i64>,
    operator: &str,
) -> Result<(), OfficeError> {
    let mut reg = Registry::open(path)?;
    reg.set_proposals(&who(operator)?, name, office, reuse_period_days)?;
    Ok(())
}

/// The ファイル簿 written by [`book`].
pub struct Book {
    /// Files entered.
    pub files: usize,
    /// Files whose entry is withheld (法75条3項), left out.
    pub withheld: usize,
    /// The HTML file.
    pub html: PathBuf,
    /// The CSV file.
    pub csv: PathBuf,
}

/// Write the publishable ファイル簿 as `file-book.html` and `file-book.csv` in `out` (made if
/// missing; neither is ever overwritten).
pub fn book(path: &Path, out: &Path) -> Result<Book, OfficeError> {
    let reg = Registry::open(path)?;
    let book = reg.file_book(&today()?)?;
    let (html, csv) = (out.join("file-book.html"), out.join("file-book.csv"));
    let exists =
        |p: &Path| OfficeError::Output(format!("{} exists (the ファイル簿 is never overwritten)", p.display()));
    for p in [&html, &csv] {
        if p.exists() {
            return Err(exists(p));
        }
    }
    std::fs::create_dir_all(out).map_err(|e| OfficeError::Output(format!("cannot make {}: {e}", out.display())))?;
    for (p, text) in [(&html, &book.html), (&csv, &book.csv)] {
        let made = tokumei_audit::sys::create_new_atomic(p, text.as_bytes())
            .map_err(|cause| OfficeError::Write { path: p.clone(), cause })?;
        if !made {
            return Err(exists(p));
        }
    }
    Ok(Book { files: book.files, withheld: book.withheld, html, csv })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_file_that_is_missing_or_a_folder_is_a_config_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        for p in [dir.path().join("none.toml"), dir.path().to_path_buf()] {
            let e = rules_of(&p).unwrap_err();
            assert!(matches!(e, OfficeError::Config(_)), "{e}");
            assert!(e.to_string().starts_with(&format!("--rules {}: ", p.display())), "{e}");
        }
    }

    #[test]
    fn a_name_column_goes_with_a_birth_column() {
        let s = NewSource {
            file: "f".into(),
            input: "x.csv".into(),
            encoding: tokumei_rules::Encoding::Auto,
            encoding_word: "auto",
            subject_column: "宛名番号".into(),
            name_column: Some("氏名".into()),
            birth_column: None,
            others_columns: vec![],
            holds_subject_identifier: false,
        };
        let e = add_source(Path::new("none.sqlite"), s, "tester").unwrap_err();
        assert!(matches!(e, OfficeError::Usage(_)), "{e}");
    }
}
