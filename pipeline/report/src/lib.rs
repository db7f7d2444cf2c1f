//! The report of a tokumei release (`report.json`): the data types it is made of, as the engine
//! writes them and as every reader (the console, release checks, the command line) reads them
//! back, typed, with [`read`]. No Arrow: a reader of reports builds without the engine.
//!
//! A report holds counts, hashes, column names and generalised category labels, never a value
//! of an identifier.

mod classes;
mod columns;
mod float;
mod inputs;
mod people;
mod perturbation;
mod read;
mod release_risk;
mod report;
mod search;
mod stamp;
mod standards;
mod utility;

pub use classes::{ClassStats, HistogramBucket, LDiversity, ModelOutcome, SuppressionCause};
pub use columns::{ColumnReport, TCloseness, ValueSummary};
pub use inputs::{InputReport, Timings};
pub use people::{PeopleCounts, RequestCounts};
pub use perturbation::{LinkageRisk, Perturbed, Randomised, Swapped};
pub use read::{ReportError, from_json, read, read_marks, read_stamp};
pub use release_risk::{AddedColumn, ReleaseRisk};
pub use report::Report;
pub use search::{Fingerprint, LocalRecoding, SearchReport};
pub use stamp::{ColumnMark, ColumnMarks, ReleaseStamp};
pub use standards::{Regime, Standard};
pub use utility::{ColumnUtility, Correlation, EarlierRelease, Moments, QUANTILE_LEVELS, RuMap, RuPoint, Utility};

#[cfg(test)]
mod architecture {
    #[test]
    fn no_circle() {
        tokumei_house::assert_no_circle(env!("CARGO_MANIFEST_DIR"), &[]);
    }

    #[test]
    fn no_long_function() {
        tokumei_house::assert_no_long_function(env!("CARGO_MANIFEST_DIR"), 150);
    }
}
