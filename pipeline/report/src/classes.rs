//! Classes over the quasi-identifiers and the privacy models judged on them.

use serde::{Deserialize, Serialize};

/// Class-size statistics and re-identification risk of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassStats {
    /// What the classes hold: people, counted by the rules' `subject` (rows, when each person
    /// has one).
    pub records: u64,
    /// Equivalence classes.
    pub classes: u64,
    /// Smallest class (the k achieved); 0 for an empty table.
    pub min_class_size: u64,
    /// Largest class.
    pub max_class_size: u64,
    /// Mean class size.
    #[serde(deserialize_with = "crate::float::or_nan")]
    pub mean_class_size: f64,
    /// Records (people) alone in their class (sample uniques).
    pub unique_records: u64,
    /// Highest prosecutor re-identification risk, 1 / smallest class.
    #[serde(deserialize_with = "crate::float::or_nan")]
    pub prosecutor_risk_max: f64,
    /// Average prosecutor risk, classes / records.
    #[serde(deserialize_with = "crate::float::or_nan")]
    pub prosecutor_risk_avg: f64,
    /// Classes and records per class-size bucket.
    pub histogram: Vec<HistogramBucket>,
}

/// One bucket of the class-size histogram.
pub use tokumei_anon::risk::Bucket as HistogramBucket;

/// Classes and rows suppressed because of one privacy model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuppressionCause {
    /// The model, in English (e.g. `distinct l-diversity of 障害者手帳, l=2`).
    pub model: String,
    /// The model, in Japanese.
    pub model_ja: String,
    /// Classes suppressed for it.
    pub classes: u64,
    /// People in them (rows, when each row is a person).
    pub rows: u64,
}

/// One privacy model the rules ask for and what the release achieves under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelOutcome {
    /// Stable kind, e.g. `k_anonymity`, `entropy_l_diversity`, `t_closeness`, `beta_likeness`,
    /// `average_risk`.
    pub model: String,
    /// The model with its parameters, in English.
    pub name: String,
    /// The model with its parameters, in Japanese.
    pub name_ja: String,
    /// The sensitive column it reads, if any.
    pub column: Option<String>,
    /// The required value of its measure (k, l, c, t, β, the largest average risk).
    #[serde(deserialize_with = "crate::float::or_nan")]
    pub required: f64,
    /// The release's value of the measure: the smallest over its classes when higher is safer,
    /// the largest when lower is safer (the table's value for table-level models).
    pub achieved: Option<f64>,
    /// Which way the measure is safer: `higher` or `lower`.
    pub safer: String,
    /// Equivalence classes suppressed because they violated this model first.
    pub classes_suppressed: u64,
    /// Records in them: people, when the rules' `subject` counts people.
    pub rows_suppressed: u64,
}

impl ModelOutcome {
    /// Whether the achieved value meets the required one.
    pub fn met(&self) -> bool {
        const SLACK: f64 = 1e-9;
        match (self.achieved, self.safer.as_str()) {
            (Some(a), "higher") => a + SLACK >= self.required,
            (Some(a), _) => a <= self.required + SLACK,
            (None, _) => false,
        }
    }

    /// The achieved value for readers: whole numbers as such, others to four places.
    pub fn achieved_text(&self) -> String {
        match self.achieved {
            None => "-".into(),
            Some(a) if a.fract() == 0.0 && a.abs() < 1e15 => format!("{a:.0}"),
            Some(a) => format!("{a:.4}"),
        }
    }
}

/// Distinct l-diversity of one sensitive column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LDiversity {
    /// Output column.
    pub column: String,
    /// Required l, if any.
    pub required: Option<u32>,
    /// Smallest number of distinct values in any output class.
    pub achieved: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(required: f64, achieved: Option<f64>, safer: &str) -> ModelOutcome {
        ModelOutcome {
            model: "k_anonymity".into(),
            name: "k".into(),
            name_ja: "k".into(),
            column: None,
            required,
            achieved,
            safer: safer.into(),
            classes_suppressed: 0,
            rows_suppressed: 0,
        }
    }

    #[test]
    fn a_model_is_met_in_its_safer_direction() {
        assert!(model(5.0, Some(5.0), "higher").met());
        assert!(!model(5.0, Some(4.0), "higher").met());
        assert!(model(0.2, Some(0.1), "lower").met());
        assert!(!model(0.2, Some(0.3), "lower").met());
        assert!(!model(0.2, None, "lower").met());
    }

    #[test]
    fn achieved_text_shows_whole_numbers_whole() {
        assert_eq!(model(5.0, Some(7.0), "higher").achieved_text(), "7");
        assert_eq!(model(0.2, Some(0.12345), "lower").achieved_text(), "0.1235");
        assert_eq!(model(0.2, None, "lower").achieved_text(), "-");
    }
}
