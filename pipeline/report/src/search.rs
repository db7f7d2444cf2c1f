//! What the generalisation search did, and the release's fingerprint for leak tracing.

use serde::{Deserialize, Serialize};

/// What the search did, for the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchReport {
    /// Quality model minimised.
    pub quality_model: String,
    /// Its value at the chosen transformation.
    #[serde(deserialize_with = "crate::float::or_nan")]
    pub quality: f64,
    /// Whether the result is proven optimal.
    pub optimal: bool,
    /// A lower bound of the optimum.
    #[serde(deserialize_with = "crate::float::or_nan")]
    pub lower_bound: f64,
    /// Lattice nodes.
    pub nodes: usize,
    /// Nodes whose classes were computed.
    pub evaluated: usize,
    /// Nodes ruled out without computing classes.
    pub pruned: usize,
    /// Search time.
    #[serde(deserialize_with = "crate::float::or_nan")]
    pub ms: f64,
    /// `(input column, chosen level)` for every quasi-identifier.
    pub levels: Vec<(String, u32)>,
    /// Mondrian local recoding on the same data (`local_recoding = "compare"` or `"apply"`).
    pub local_recoding: Option<LocalRecoding>,
    /// What the output uses: `global` (the search's levels) or `local` (Mondrian's).
    pub applied: String,
    /// The nodes the search evaluated, as risk-utility points with their raw quality in `loss`
    /// (the report lists them, normalised, in its utility section; not written here).
    #[serde(skip)]
    pub candidates: Vec<crate::RuPoint>,
    /// Nodes evaluated beyond those in `candidates` (not written).
    #[serde(skip)]
    pub candidates_left_off: u64,
}

/// Mondrian local recoding, as the report gives it: its outcome without the levels of each row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalRecoding {
    /// Partitions (equivalence classes).
    pub partitions: u64,
    /// Smallest partition.
    pub min_size: u64,
    /// Records suppressed: those in groups that differ at the highest allowed levels and are too
    /// small for k (or l) on their own.
    pub suppressed: u64,
    /// Quality-model value of the local recoding.
    #[serde(deserialize_with = "crate::float::or_nan")]
    pub quality: f64,
    /// Time in milliseconds.
    #[serde(deserialize_with = "crate::float::or_nan")]
    pub ms: f64,
}

impl From<&tokumei_anon::mondrian::MondrianResult> for LocalRecoding {
    fn from(m: &tokumei_anon::mondrian::MondrianResult) -> Self {
        LocalRecoding {
            partitions: m.partitions,
            min_size: m.min_size,
            suppressed: m.suppressed,
            quality: m.quality,
            ms: m.ms,
        }
    }
}

/// How a release was fingerprinted: the column whose values were put in a random order within
/// each class of the key columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The column reordered.
    pub column: String,
    /// The k-anonymity key's output columns (the classes).
    pub key_columns: Vec<String>,
}
