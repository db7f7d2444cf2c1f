//! People and rows, and the residents' requests a run applied: counts, never who.

use serde::{Deserialize, Serialize};

/// People and rows, in, suppressed and out. The privacy models count people by the rules'
/// `subject`: with one row per person the two counts are equal.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PeopleCounts {
    /// The column that names a person (the rules' `subject`), if declared.
    pub subject: Option<String>,
    /// Rows the models were given (read less rejected).
    pub rows_in: u64,
    /// People among them.
    pub people_in: u64,
    /// Most rows any one person has.
    pub max_rows_per_person: u64,
    /// People whose rows fall in more than one class of key values (each judged by the set of
    /// the key values they have).
    pub people_in_several_classes: u64,
    /// Rows suppressed.
    pub rows_suppressed: u64,
    /// People suppressed (all of each one's rows).
    pub people_suppressed: u64,
    /// Rows written.
    pub rows_out: u64,
    /// People written.
    pub people_out: u64,
    /// Without a `subject`: the columns that may name a person, checked to repeat no value.
    pub checked: Vec<String>,
}

/// What the residents' requests did to a run.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    /// Subjects on the exclusion list the run applied.
    pub exclusions_in_force: u64,
    /// Records left out because of requests.
    pub excluded_records: u64,
    /// Corrections in force for the run's inputs.
    pub corrections_in_force: u64,
    /// Values replaced by corrections.
    pub corrected_values: u64,
}
