//! The release risk: classes over every column an attacker may know.

use serde::{Deserialize, Serialize};

/// How re-identifiable the release is for an attacker who knows every released column except
/// the sensitive ones and the record codes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReleaseRisk {
    /// The columns such an attacker may know.
    pub columns: Vec<String>,
    /// Those outside the k-anonymity key (the ones that can break it).
    pub outside_key: Vec<String>,
    /// Smallest class over all of them.
    pub k: u64,
    /// Classes over all of them.
    pub classes: u64,
    /// Records alone in their class.
    pub unique_records: u64,
    /// Records in classes smaller than the required k.
    pub records_below_k: u64,
    /// Each column outside the key added alone to the key: what it does.
    pub by_column: Vec<AddedColumn>,
    /// Distance-based record linkage over the perturbed numeric columns, when there are any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkage: Option<crate::LinkageRisk>,
}

/// One column outside the k-anonymity key, added to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddedColumn {
    /// Output column.
    pub column: String,
    /// Smallest class over the key and this column.
    pub k: u64,
    /// Records it makes unique.
    pub unique_records: u64,
    /// Records it puts in classes smaller than the required k.
    pub records_below_k: u64,
}
