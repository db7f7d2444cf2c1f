//! tokumei engine: ingest -> transform -> privacy -> output, with a report.
//!
//! Data flows one way. [`ingest`] streams the input as batches of text values;
//! [`transform`] turns each column's values into output cells (one transform per file,
//! listed in [`transform::build`]); columns whose values must be counted over the whole
//! dataset (quasi-identifiers, sensitive attributes, rare-value suppression) are
//! dictionary-encoded into compact integer codes ([`privacy::Dictionary`]) while the other
//! columns are spilled to a temporary Arrow IPC file; [`perturb`] rewrites whole columns
//! (microaggregation, noise) before [`privacy`] finds the equivalence
//! classes and enforces k-anonymity and l-diversity, counting people, not rows ([`people`]); [`output`] writes Parquet into the folder
//! the caller stages, and [`report`] says what was done. Publishing is the caller's.

pub(crate) mod cell;
pub(crate) mod combos;
pub mod decisions;
pub(crate) mod distinct;
pub mod distributed;
pub mod draft;
pub mod error;
pub(crate) mod fenwick;
pub mod incident;
pub(crate) mod ingest;
pub mod keys;
pub mod lookup;
pub(crate) mod natural;
pub(crate) mod optimize;
pub mod output;
pub(crate) mod people;
pub(crate) mod perturb;
pub(crate) mod privacy;
pub mod progress;
pub mod pseudo;
pub(crate) mod render;
pub mod report;
pub mod requests;
pub mod residual;
pub mod risk;
pub(crate) mod row_hashes;
pub mod run;
pub(crate) mod scatter;
pub mod scrub;
pub(crate) mod standards;
pub mod tails;
pub(crate) mod tally;
pub mod trace;
pub(crate) mod transform;
pub(crate) mod utility;
pub(crate) mod word_file;

pub use error::{EngineError, ExitCode, Location};
pub use progress::{NoProgress, Progress};
pub use run::{Prepared, RunError, RunOptions, RunOutcome, Target, prepare, prepare_with_requests, run};

/// House rules ([`tokumei_house`], docs/design.md): no module of this crate names one that names
/// it back, at any distance.
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
