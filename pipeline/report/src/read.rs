//! Reading a release's `report.json` back, typed.

use crate::{ColumnMarks, ReleaseStamp, Report};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// The largest `report.json` read (a report is a few hundred kilobytes at most).
const MAX_BYTES: u64 = 64 << 20;

/// Why a report could not be read. Never quotes the file's content.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReportError {
    /// The file could not be opened or read.
    #[error("{}: cannot be read ({kind})", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        kind: std::io::ErrorKind,
    },
    /// Not a regular file, or larger than any report.
    #[error("{}: not a report (not a regular file of at most 64 MiB)", path.display())]
    NotAReport {
        /// The file.
        path: PathBuf,
    },
    /// Not the JSON of a report (a field missing or of another type, or not JSON).
    #[error("{}: not a tokumei report (line {line}, column {column})", path.display())]
    Json {
        /// The file (empty when read from text).
        path: PathBuf,
        /// Line of the first problem.
        line: usize,
        /// Column of the first problem.
        column: usize,
    },
}

/// The report in `path`: a release's `report.json`, or a release folder holding one.
///
/// Written again, it gives the same bytes, except that a fraction may come back one unit in
/// its last place off (serde_json parses fractions fast, not correctly rounded, unless its
/// `float_roundtrip` feature is on); a count, a name or a text is always read exactly.
pub fn read(path: &Path) -> Result<Report, ReportError> {
    read_as(path)
}

/// The release id and audit head of the report in `path` (a `report.json` or a release folder),
/// whatever else it holds.
pub fn read_stamp(path: &Path) -> Result<ReleaseStamp, ReportError> {
    read_as(path)
}

/// What the rules marked of each column of the report in `path`, whatever else it holds.
/// Read column by column: a column whose fields are missing or of another type (an older or
/// damaged report) keeps what it has readable, so one bad column never hides the marks of the
/// others (an incident's assessment relies on them).
pub fn read_marks(path: &Path) -> Result<ColumnMarks, ReportError> {
    let value: serde_json::Value = read_as(path)?;
    let text = |c: &serde_json::Value, k: &str| c.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let columns = value.get("columns").and_then(|c| c.as_array()).map(Vec::as_slice).unwrap_or_default();
    Ok(ColumnMarks {
        columns: columns
            .iter()
            .map(|c| crate::ColumnMark {
                name: text(c, "name").unwrap_or_default(),
                role: text(c, "role").unwrap_or_default(),
                output: text(c, "output"),
                special_care: text(c, "special_care"),
            })
            .collect(),
    })
}

fn read_as<T: DeserializeOwned>(path: &Path) -> Result<T, ReportError> {
    let path = if path.is_dir() { path.join("report.json") } else { path.to_path_buf() };
    let io = |e: std::io::Error| ReportError::Io { path: path.clone(), kind: e.kind() };
    let meta = std::fs::metadata(&path).map_err(io)?;
    if !meta.is_file() || meta.len() > MAX_BYTES {
        return Err(ReportError::NotAReport { path });
    }
    let text = std::fs::read_to_string(&path).map_err(io)?;
    parse(&text).map_err(|e| match e {
        ReportError::Json { line, column, .. } => ReportError::Json { path, line, column },
        other => other,
    })
}

/// The report in `text`, the content of a `report.json`.
pub fn from_json(text: &str) -> Result<Report, ReportError> {
    parse(text)
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, ReportError> {
    serde_json::from_str(text).map_err(|e| ReportError::Json {
        path: PathBuf::new(),
        line: e.line(),
        column: e.column(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_unreadable_column_never_hides_the_marks_of_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("report.json");
        let text = r#"{"release_id": "r", "columns": [{"name": null, "role": 3, "output": "a"}, {"name": "個人番号", "role": "financial", "output": "b", "special_care": "要配慮"}, {"name": "x", "name": "y"}]}"#;
        std::fs::write(&p, text).unwrap();
        let m = read_marks(&p).unwrap();
        assert_eq!(m.columns.len(), 3);
        assert_eq!((m.columns[0].name.as_str(), m.columns[0].output.as_deref()), ("", Some("a")));
        assert_eq!(
            (m.columns[1].name.as_str(), m.columns[1].role.as_str(), m.columns[1].special_care.as_deref()),
            ("個人番号", "financial", Some("要配慮"))
        );
        std::fs::write(&p, "not json").unwrap();
        assert!(read_marks(&p).is_err());
    }

    #[test]
    fn what_is_not_a_report_is_refused_without_quoting_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("report.json");
        std::fs::write(&p, r#"{"release_id": "secret-looking-value"}"#).unwrap();
        let e = read(&p).unwrap_err();
        assert!(matches!(e, ReportError::Json { .. }), "{e:?}");
        assert!(!e.to_string().contains("secret-looking-value"), "{e}");
        assert!(matches!(read(&dir.path().join("none.json")), Err(ReportError::Io { .. })));
        // A folder is read through its report.json.
        assert!(matches!(read(dir.path()), Err(ReportError::Json { .. })));
        assert!(matches!(from_json("not json"), Err(ReportError::Json { .. })));
    }
}
