//! The report (`report.json`, `report.md`) and the data dictionary for business users.
//! Reports hold counts, hashes, column names and generalised category labels, never a value
//! of an identifier.
//!
//! The report's data types live in `tokumei-report` (no Arrow), where readers read them back;
//! they are re-exported here. This module renders them: the officer's report ([`officer`], one
//! function per section) and the data dictionary ([`dictionary`]).

mod changed;
mod dictionary;
mod officer;
mod words;

pub use dictionary::dictionary;
pub use officer::officer;
// The types a report is made of, nameable by its readers.
pub use tokumei_report::{
    AddedColumn, ClassStats, ColumnReport, Fingerprint, HistogramBucket, InputReport, LDiversity, LocalRecoding,
    ModelOutcome, PeopleCounts, Regime, ReleaseRisk, Report, ReportError, RequestCounts, SearchReport, Standard,
    SuppressionCause, TCloseness, Timings, ValueSummary, read,
};
