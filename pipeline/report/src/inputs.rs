//! What a run read, and how long it took.

use serde::{Deserialize, Serialize};

/// Hashes and paths of the run's inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputReport {
    /// Input file (for a query job: the job file with `(query)`).
    pub path: String,
    /// SHA-256 of its bytes (for a query job: of its inputs' SHA-256 hex digests in order).
    pub sha256: String,
    /// Format (`csv`, `parquet`, or `query`).
    pub format: String,
    /// Text encoding used (CSV).
    pub encoding: Option<String>,
    /// Its table name in the query, for each input of a query job.
    pub name: Option<String>,
    /// Data rows read, for each input of a query job.
    pub rows: Option<u64>,
}

/// Wall-clock time per stage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Ingest and transform.
    pub ingest_ms: u64,
    /// Privacy models.
    pub privacy_ms: u64,
    /// Writing the Parquet file.
    pub write_ms: u64,
    /// Whole run (creation time, recorded for fees).
    pub total_ms: u64,
}
