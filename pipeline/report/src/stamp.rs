//! What names a release in its report, read without the rest: its id, the audit log's head
//! when it was made and the key it was made with. Whatever else a report holds (of any
//! version) is not looked at.

use serde::{Deserialize, Serialize};

/// A release's id, the audit log's head at its making and its key's identifier, as its
/// `report.json` gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseStamp {
    /// Release id (the release folder's name).
    pub release_id: String,
    /// The audit log's head (`entry:sha256`) when the release was made, if recorded.
    #[serde(default)]
    pub audit_head: Option<String>,
    /// The identifier of the pseudonym key it was made with (never key material), if any.
    #[serde(default)]
    pub key_id: Option<String>,
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
        assert!(serde_json::from_str::<ReleaseStamp>("{}").is_err());
    }
}
