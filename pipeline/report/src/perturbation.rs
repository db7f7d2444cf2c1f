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
    /// The fewest released records sharing a released value (after suppression).
    pub smallest_released: Option<u64>,
    /// Draws clamped to the bounds (noise).
    pub clamped: Option<u64>,
    /// Values set to null: too few records with their pattern of missing values to form a group.
    pub nulled: u64,
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
