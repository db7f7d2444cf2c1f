//! What the release changed, column by column, for its business user (sdcMicro's information
//! loss), and the risk-utility map of the settings tried. Aggregates only: counts, means,
//! variances, quantiles and distances of whole columns, never one record's value.

use serde::{Deserialize, Serialize};

/// What de-identification changed in the released columns, and the R-U map.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Utility {
    /// One entry per released column that could be compared (dictionary-encoded columns:
    /// generalised, coded, perturbed, categorical), in rule order.
    pub columns: Vec<ColumnUtility>,
    /// Released columns that were not compared, with why (`(output, reason)`).
    pub not_compared: Vec<(String, String)>,
    /// Pearson correlations of the numeric and date columns, before and after, when there are
    /// at least two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation: Option<Correlation>,
    /// The risk-utility map.
    pub ru_map: RuMap,
}

/// The quantile levels reported (1, 5, 25, 50, 75, 95 and 99 %).
pub const QUANTILE_LEVELS: [f64; 7] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

/// One released column, before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnUtility {
    /// Output column.
    pub column: String,
    /// `numeric`, `date` (numbers in days since 1970-01-01) or `categorical`.
    pub kind: String,
    /// How the values were read, in English (e.g. ranges taken at their midpoint).
    pub basis: String,
    /// The same in Japanese.
    pub basis_ja: String,
    /// Accepted input records with a value.
    pub records: u64,
    /// Released records with a value.
    pub released: u64,
    /// Input records with a value whose record was suppressed.
    pub records_suppressed: u64,
    /// Released records whose cell was set to null (rare-value cell suppression).
    pub cells_suppressed: u64,
    /// The input's values (numbers and dates): moments and quantiles. A quantile with fewer
    /// than k records beyond it is withheld (`None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Moments>,
    /// The released values (numbers and dates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Moments>,
    /// Mean absolute change of a released record's value (numbers; days for dates), over the
    /// released records with a value before and after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_abs_change: Option<f64>,
    /// Total variation distance between the input's distribution (at the released level of
    /// generalisation) and the released one (categorical columns), 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tvd: Option<f64>,
    /// Share of the released records with a value whose released category differs from their
    /// input's at the released level (categorical columns: PRAM, swapping).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_share: Option<f64>,
}

/// Moments and quantiles of a numeric column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    /// Values counted.
    pub count: u64,
    /// Mean.
    pub mean: f64,
    /// Sample variance (n - 1, as R's `var`); 0 for fewer than two values.
    pub variance: f64,
    /// The quantiles at [`QUANTILE_LEVELS`] (type 7, as R's `quantile` and numpy's default),
    /// `None` when withheld.
    pub quantiles: Vec<Option<f64>>,
    /// `exact` (counted per distinct value) or how they were estimated.
    pub quantile_method: String,
}

/// Pearson correlations of the numeric columns over the released records with every one of
/// them present before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correlation {
    /// Output columns, in order of the matrices' rows.
    pub columns: Vec<String>,
    /// Records the correlations are computed over.
    pub records: u64,
    /// Before (row-major; `None` where a column is constant).
    pub before: Vec<Vec<Option<f64>>>,
    /// After.
    pub after: Vec<Vec<Option<f64>>>,
    /// Largest absolute change of one correlation.
    pub largest_change: f64,
}

/// Re-identification risk against information loss, per setting tried.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuMap {
    /// What the x axis measures (`quality model <name>, relative to the largest candidate`, or
    /// `mean column loss` without a search).
    pub loss_measure: String,
    /// The settings of this run: the search's evaluated nodes (at most 2,000) or the one applied.
    pub points: Vec<RuPoint>,
    /// Nodes evaluated but not listed.
    pub left_off: u64,
    /// Earlier releases of the dataset found in the output folder.
    pub earlier: Vec<EarlierRelease>,
    /// This release's mean column loss (every run measures it, with or without a search: the
    /// measure earlier releases are compared by).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_loss: Option<f64>,
    /// This release's highest and average prosecutor risk (its released classes), beside
    /// `release_loss`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_risk: Option<(f64, f64)>,
}

/// One setting: its loss and risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuPoint {
    /// The quasi-identifiers' levels (empty without a search).
    pub levels: Vec<u32>,
    /// Information loss, 0 to 1.
    pub loss: f64,
    /// Highest prosecutor risk (1 / smallest class); 0 when nothing is kept.
    pub risk_max: f64,
    /// Average prosecutor risk (classes / records kept).
    pub risk_avg: f64,
    /// Records suppressed.
    pub suppressed: u64,
    /// Whether the privacy models hold within the suppression limit.
    pub feasible: bool,
    /// Whether this is the setting released.
    pub chosen: bool,
}

/// An earlier release of the same dataset, as its report gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarlierRelease {
    /// Its release id.
    pub release_id: String,
    /// When it was made.
    pub created_at: String,
    /// Its mean column loss (`None` for a release made before it was recorded).
    pub loss: Option<f64>,
    /// Its highest prosecutor risk.
    pub risk_max: f64,
    /// Its average prosecutor risk.
    pub risk_avg: f64,
}
