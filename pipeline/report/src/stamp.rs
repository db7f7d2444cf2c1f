//! What names a release in its report, read without the rest: its id, the audit log's head
//! when it was made and the key it was made with. Whatever else a report holds (of any
//! version) is not looked at.

use serde::{Deserialize, Serialize};

/// A release's id, the audit log's head at its making and its key's identifier, as its
/// `report.json` gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseStamp {
    /// Release id (the release folder's name); empty when the report does not say (a folder is
    /// then no release of that name, but the head it records still witnesses the log).
    #[serde(default)]
    pub release_id: String,
    /// The audit log's head (`entry:sha256`) when the release was made, if recorded.
    #[serde(default)]
    pub audit_head: Option<String>,
    /// The identifier of the pseudonym key it was made with (never key material), if any.
    #[serde(default)]
    pub key_id: Option<String>,
}

/// What a release's rules marked of each column, as its `report.json` gives them: what an
/// incident's assessment needs (special-care items, financial items, My Number columns) from a
/// report of any version. A field a report does not have reads as not marked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMarks {
    /// The columns, in report order.
    #[serde(default)]
    pub columns: Vec<ColumnMark>,
}

/// One column's marks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMark {
    /// Input column name.
    #[serde(default)]
    pub name: String,
    /// Role, as the rules give it (`financial`, ...).
    #[serde(default)]
    pub role: String,
    /// Output column name, none when dropped.
    #[serde(default)]
    pub output: Option<String>,
    /// The item's legal category (`要配慮` / `条例要配慮`), when marked.
    #[serde(default)]
    pub special_care: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_reads_from_any_report_that_names_its_release() {
        let s: ReleaseStamp =
            serde_json::from_str(r#"{"tokumei_version": "0.1.0", "release_id": "ds-1", "audit_head": "3:ab", "k": 5}"#)
                .unwrap();
        assert_eq!(s, ReleaseStamp { release_id: "ds-1".into(), audit_head: Some("3:ab".into()), key_id: None });
        let s: ReleaseStamp = serde_json::from_str(r#"{"release_id": "ds-1"}"#).unwrap();
        assert_eq!(s.audit_head, None);
        // A report without its id still gives the head it recorded (a witness of the log).
        let s: ReleaseStamp = serde_json::from_str(r#"{"audit_head": "3:ab"}"#).unwrap();
        assert_eq!((s.release_id.as_str(), s.audit_head.as_deref()), ("", Some("3:ab")));
    }

    #[test]
    fn marks_read_from_a_report_of_any_version() {
        let m: ColumnMarks = serde_json::from_str(
            r#"{"release_id": "ds-1", "columns": [{"name": "病名", "role": "sensitive", "output": "病名", "special_care": "要配慮", "level": 2}, {"name": "氏名", "output": null}]}"#,
        )
        .unwrap();
        assert_eq!(m.columns.len(), 2);
        assert_eq!(m.columns[0].special_care.as_deref(), Some("要配慮"));
        assert_eq!((m.columns[1].output.as_deref(), m.columns[1].role.as_str()), (None, ""));
        let none: ColumnMarks = serde_json::from_str(r#"{"release_id": "ds-1"}"#).unwrap();
        assert!(none.columns.is_empty());
    }
}
