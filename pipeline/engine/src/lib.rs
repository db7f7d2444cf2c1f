//! tokumei engine: ingest -> transform -> privacy -> output, with a report.
//!
//! Data flows one way. [`ingest`] streams the input as batches of text values;
//! [`transform`] turns each column's values into output cells (one transform per file,
//! listed in [`transform::build`]); columns whose values must be counted over the whole
//! dataset (quasi-identifiers, sensitive attributes, rare-value suppression) are
//! dictionary-encoded into compact integer codes ([`privacy::Dictionary`]) while the other
//! columns are spilled to a temporary Arrow IPC file; [`privacy`] finds the equivalence
//! classes and enforces k-anonymity and l-diversity; [`output`] writes Parquet into the folder
//! the caller stages, and [`report`] says what was done. Publishing is the caller's.

pub(crate) mod cell;
pub mod draft;
pub mod error;
pub(crate) mod ingest;
pub mod keys;
pub mod optimize;
pub mod output;
pub mod privacy;
pub mod progress;
pub mod render;
pub mod report;
pub mod risk;
pub mod run;
pub(crate) mod scrub;
pub mod standards;
pub mod tally;
pub(crate) mod transform;

pub use error::{EngineError, ExitCode, Location};
pub use progress::{NoProgress, Progress};
pub use run::{Prepared, RunError, RunOptions, RunOutcome, Target, prepare, run};
