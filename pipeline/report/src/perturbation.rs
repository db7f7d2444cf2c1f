//! The perturbed columns: what each technique did and how much it changed (aggregates only).

use serde::{Deserialize, Serialize};

/// One column perturbed by microaggregation, noise, swapping or PRAM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Perturbed {
    /// Input column.
    pub column: String,
    /// Output column.
    pub output: String,
    /// The action: `microaggregate`, `noise`, `swap`, `pram`.
    pub technique: String,
    /// Its settings as the run applied them (defaults filled in), `(option, value)`.
    pub settings: Vec<(String, String)>,
    /// What it does, in English.
    pub description: String,
    /// What it does, in Japanese.
    pub description_ja: String,
    /// How it ran, where it had a choice (e.g. `mdav`, `sort (first principal component)`).
    pub method: Option<String>,
    /// Accepted records with a value.
    pub records: u64,
    /// Of those, the records whose value changed.
    pub records_changed: u64,
    /// Mean absolute change of a record's value (numbers; days for dates).
    pub mean_abs_change: Option<f64>,
    /// Standard deviation of the column before perturbation (over the accepted records).
    pub sd_before: Option<f64>,
    /// Standard deviation after.
    pub sd_after: Option<f64>,
    /// Groups formed (microaggregation), over the accepted records.
    pub groups: Option<u64>,
    /// Records of the smallest group.
    pub smallest_group: Option<u64>,
    /// The fewest people in a group, when a person may have several records (the rules'
    /// `subject`): groups are then formed to hold enough people, not records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smallest_group_people: Option<u64>,
    /// The fewest released records sharing a released value (after suppression).
    pub smallest_released: Option<u64>,
    /// Draws clamped to the bounds (noise).
    pub clamped: Option<u64>,
    /// Values set to null: too few records with their pattern of missing values to form a group.
    pub nulled: u64,
    /// What rank swapping did (swap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap: Option<Swapped>,
    /// What PRAM did (pram).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pram: Option<Randomised>,
}

/// What rank swapping did (sdcMicro `rankSwap`), over the records with a value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Swapped {
    /// Strata: 1 without `within`, else the records' distinct tuples of the `within` columns.
    pub strata: u64,
    /// Strata of one record, left as they are.
    pub strata_alone: u64,
    /// Records left unswapped: alone in their stratum, or with no unswapped record within the
    /// window above them.
    pub unswapped: u64,
    /// Records swapped (each with one partner; partners of equal value change nothing).
    pub swapped: u64,
    /// Mean absolute distance in ranks (records of the stratum) between swapped partners.
    pub mean_rank_distance: f64,
    /// The largest distance in ranks between swapped partners.
    pub max_rank_distance: u64,
    /// Records whose value was above `top` and became it before swapping.
    #[serde(default)]
    pub top_coded: u64,
    /// Records whose value was below `bottom` and became it before swapping.
    #[serde(default)]
    pub bottom_coded: u64,
}

/// What PRAM did, over the records with a value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Randomised {
    /// How: `invariant` (keep form, exact), `keep`, `matrix`, `matrix, invariant`.
    pub form: String,
    /// The probability of keeping a category (keep forms).
    pub keep: Option<f64>,
    /// The categories (labels), in their order.
    pub categories: Vec<String>,
    /// Each category's share of the records with a value before (the marginal π).
    pub marginal: Vec<f64>,
    /// Each category's share after.
    pub released: Vec<f64>,
    /// The transition matrix applied, rows `from` and columns `to` in the order of
    /// `categories` (a stated matrix; with `invariant`, R = P·Q on the whole column's marginal);
    /// empty for the keep forms, whose matrix follows from `keep` and the marginal.
    pub matrix: Vec<Vec<f64>>,
    /// Whether the released marginal is the input's exactly (else in expectation, or not kept).
    pub marginal_exact: bool,
    /// The largest absolute change of a category's share (0 when exact).
    pub largest_share_change: f64,
    /// Strata (1 without `within`).
    pub strata: u64,
    /// The share of the records with a category expected to get another one (over the strata;
    /// the records that did are `records_changed`); `None` in reports made before it was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_changed: Option<f64>,
}

/// The distance-based record-linkage risk of the perturbed numeric columns (sdcMicro `dRisk`):
/// the share of records whose nearest released record is their own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkageRisk {
    /// The output columns taken together (standardised by the input's standard deviation).
    pub columns: Vec<String>,
    /// Released records.
    pub records: u64,
    /// Records looked at: all of them, or a random sample.
    pub sampled: u64,
    /// Whether it is an estimate from a sample.
    pub estimate: bool,
    /// Of the records looked at, those whose nearest released record is their own, a record
    /// counting 1/m when its own is one of m equally near (an attacker choosing among them).
    pub linked: f64,
    /// `linked / sampled`.
    pub share: f64,
}
