//! Pseudo-data (疑似データ): synthetic records drawn from a release's own distributions, none of
//! them a person's.
//!
//! [`fit`] codes each released column (categories; numeric columns in at most 20 quantile bins;
//! null a code of its own), computes the pairwise mutual information and keeps its maximum
//! spanning tree (Chow-Liu); [`sample`] draws the tree's root from its marginal and each child
//! given its parent's code (from the child's marginal where fewer than k release records hold
//! that code), then takes each value from a release record of the drawn code, so no value appears
//! that the release did not hold. Record codes are left out; a band's `_min`/`_max` bound columns
//! follow their band. The randomness is the per-run seed of the perturbations
//! (`TOKUMEI_TEST_SEED` in debug builds only).

pub mod fit;
mod sample;

pub use fit::{chow_liu, mutual_information};

use crate::ExitCode;
use crate::error::{EngineError, io_err};
use arrow::array::ArrayRef;
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Serialize;
use std::path::Path;

/// The most synthetic rows one run makes.
pub const MAX_ROWS: u64 = 100_000_000;

/// What to generate.
pub struct PseudoAsk<'a> {
    /// The release's Parquet file.
    pub release: &'a Path,
    /// The release's k (a parent code held by fewer records draws the child's marginal).
    pub k: u64,
    /// Synthetic rows to make (1 to [`MAX_ROWS`]).
    pub rows: u64,
    /// The Parquet file to write (its folder exists; the file must not).
    pub out: &'a Path,
    /// Key-value metadata of the file written.
    pub metadata: Vec<(String, String)>,
}

/// A column of the synthetic file.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnFit {
    /// Column name.
    pub name: String,
    /// `categorical`, `numeric` (binned), or `bound` (follows its band column).
    pub kind: &'static str,
    /// Codes (categories, or bins; null one of its own) in the release.
    pub codes: usize,
    /// The column it is drawn given (its tree parent, or the band a bound follows); none for
    /// the root.
    pub given: Option<String>,
    /// Total variation distance between the release's and the synthetic marginal (over the
    /// codes).
    pub tvd: f64,
}

/// A pair of columns the tree keeps.
#[derive(Debug, Clone, Serialize)]
pub struct KeptPair {
    /// Parent.
    pub parent: String,
    /// Child.
    pub child: String,
    /// Mutual information in the release (bits).
    pub mutual_information: f64,
    /// Total variation distance between the release's and the synthetic joint distribution.
    pub tvd: f64,
}

/// A pair of columns the tree does not keep.
#[derive(Debug, Clone, Serialize)]
pub struct OtherPair {
    /// First column.
    pub a: String,
    /// Second column.
    pub b: String,
    /// Mutual information in the release (bits).
    pub mutual_information: f64,
    /// Cramér's V in the release.
    pub cramers_v_release: f64,
    /// Cramér's V in the synthetic data.
    pub cramers_v_synthetic: f64,
}

/// A released column not generated, and why.
#[derive(Debug, Clone, Serialize)]
pub struct LeftOut {
    /// Column name.
    pub name: String,
    /// Why (in English; the dictionary says it in Japanese too).
    pub why: &'static str,
}

/// What was generated and how well it fits.
#[derive(Debug, Clone, Serialize)]
pub struct PseudoFit {
    /// Records in the release.
    pub release_rows: u64,
    /// Synthetic records made.
    pub rows: u64,
    /// The k of the rare-parent rule.
    pub k: u64,
    /// The seed was fixed for a test (`TOKUMEI_TEST_SEED`, debug builds).
    pub seed_fixed_for_test: bool,
    /// Columns of the synthetic file, in the release's order.
    pub columns: Vec<ColumnFit>,
    /// The tree's root.
    pub root: String,
    /// Pairs the tree keeps.
    pub kept: Vec<KeptPair>,
    /// Pairs it does not.
    pub not_kept: Vec<OtherPair>,
    /// Released columns left out.
    pub left_out: Vec<LeftOut>,
    /// Synthetic records identical (in every generated column) to some release record.
    pub identical: u64,
}

/// The release's columns read whole.
pub(crate) struct Release {
    pub schema: SchemaRef,
    pub columns: Vec<ArrayRef>,
    pub rows: usize,
}

fn read(path: &Path) -> Result<Release, EngineError> {
    let bad = || EngineError::Input { file: path.to_path_buf(), message: "is not a readable Parquet file".into() };
    let file = std::fs::File::open(path).map_err(io_err(ExitCode::Input, path, "cannot open"))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|_| bad())?;
    let schema = builder.schema().clone();
    let reader = builder.build().map_err(|_| bad())?;
    let mut batches = Vec::new();
    for b in reader {
        batches.push(b.map_err(|_| bad())?);
    }
    let rows = batches.iter().map(|b| b.num_rows()).sum();
    let mut columns = Vec::with_capacity(schema.fields().len());
    for i in 0..schema.fields().len() {
        let parts: Vec<&dyn arrow::array::Array> = batches.iter().map(|b| b.column(i).as_ref()).collect();
        let whole = if parts.is_empty() {
            arrow::array::new_empty_array(schema.field(i).data_type())
        } else {
            arrow::compute::concat(&parts).map_err(|_| bad())?
        };
        columns.push(whole);
    }
    Ok(Release { schema, columns, rows })
}

/// Fit the release's Parquet file and write `ask.rows` synthetic records to `ask.out`.
/// Refuses an unreadable file or an empty release (exit 4); a row count out of range is refused
/// as a configuration error (the command refuses it first, as a usage error).
pub fn generate(ask: PseudoAsk) -> Result<PseudoFit, EngineError> {
    if ask.rows == 0 || ask.rows > MAX_ROWS {
        return Err(EngineError::Config(format!("--rows must be from 1 to {MAX_ROWS}")));
    }
    let release = read(ask.release)?;
    if release.rows == 0 {
        return Err(EngineError::Input {
            file: ask.release.to_path_buf(),
            message: "holds no records: nothing to fit".into(),
        });
    }
    if release.rows > u32::MAX as usize {
        return Err(EngineError::Input {
            file: ask.release.to_path_buf(),
            message: format!("holds more than {} records, more than pseudo-data generation takes", u32::MAX),
        });
    }
    let seed = crate::perturb::Seed::for_release()?;
    sample::run(&release, &ask, &seed)
}
