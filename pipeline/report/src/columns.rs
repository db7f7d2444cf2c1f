//! Each column as the report and the data dictionary describe it.

use serde::{Deserialize, Serialize};

/// One column as the report and data dictionary describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnReport {
    /// Input column name.
    pub name: String,
    /// Role, as the rules give it.
    pub role: String,
    /// Role in the release: `quasi_identifier` for every column of the k-anonymity key (a
    /// surviving direct identifier is one), else the role. Also the Parquet field's
    /// `tokumei.role`.
    pub release_role: String,
    /// Names of the lower and upper bound columns written beside an ordered generalised column.
    pub bounds: Option<[String; 2]>,
    /// Action.
    pub action: String,
    /// Output column name, null when dropped.
    pub output: Option<String>,
    /// Output type (Parquet/Arrow).
    pub output_type: Option<String>,
    /// Granularity: what the action leaves, e.g. "age hierarchy, level 1: 5-year bands".
    pub detail: String,
    /// The same in Japanese.
    pub detail_ja: String,
    /// Generalisation level, when generalised.
    pub level: Option<u32>,
    /// Description from the rules.
    pub description: Option<String>,
    /// The item's legal category (`要配慮` / `条例要配慮`) when the rules mark one: a leak of a
    /// file holding it is reportable whatever its size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_care: Option<String>,
    /// Cells set to null by rare-value suppression.
    pub cells_suppressed: Option<u64>,
    /// Distinct output values.
    pub distinct_values: Option<u64>,
    /// The categories of a generalised or categorical column (at most 60), for the data dictionary.
    pub categories: Option<Vec<String>>,
    /// The column's values in the release (counted while it was written).
    pub values: Option<ValueSummary>,
    /// For a scrubbed free-text column: what was replaced, `(kind, count)` (never a value).
    pub scrubbed: Option<Vec<(String, u64)>>,
}

/// The values of one output column in the release.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ValueSummary {
    /// Distinct non-null values, when there are at most the engine's limit of categories (60):
    /// in natural order (numbers and ranges by value, dates by date), with their counts.
    pub categories: Option<Vec<(String, u64)>>,
    /// Distinct non-null values (exact up to the limit of categories, else a lower bound).
    pub distinct: u64,
    /// Whether there are more distinct values than listed.
    pub more: bool,
    /// Smallest value (numbers, dates, or the lowest bound of ranges).
    pub min: Option<String>,
    /// Largest value.
    pub max: Option<String>,
    /// Null (missing or suppressed) cells.
    pub nulls: u64,
}

/// t-closeness of one sensitive column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TCloseness {
    /// Output column.
    pub column: String,
    /// Required t.
    #[serde(deserialize_with = "crate::float::or_nan")]
    pub t: f64,
    /// Largest distance of any output class from the reference distribution.
    #[serde(deserialize_with = "crate::float::or_nan")]
    pub achieved: f64,
    /// `equal` (categories), `ordered` (EMD over the value order) or `hierarchical` (EMD over
    /// the column's hierarchy).
    pub distance: String,
    /// The reference distribution (the input's, over accepted rows): `(value, share)` for the
    /// values in the release; values held only by suppressed records are one summed entry.
    pub reference: Vec<(String, f64)>,
}
