//! Parquet input: every column cast to text so one code path handles both formats.

use super::{BATCH_ROWS, RawBatch, ReadStats, Source};
use crate::EngineError;
use crate::error::{ExitCode, io_err};
use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Run `f`, turning a panic inside the Parquet decoder into an error message.
fn contain<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err("is corrupt (the Parquet decoder rejected its metadata)".into()))
}

/// A Parquet file being read.
pub struct ParquetSource {
    path: PathBuf,
    reader: ParquetRecordBatchReader,
    header: Vec<String>,
    stats: ReadStats,
    size: Option<u64>,
    /// The rows its metadata gives.
    #[cfg_attr(not(feature = "query"), allow(dead_code))] // read only by a query's planner
    rows: Option<u64>,
    next_row: u64,
}

impl ParquetSource {
    /// Open `path`; its bytes are hashed up front.
    pub fn open(path: &Path) -> Result<Self, EngineError> {
        let err = |message: String| EngineError::Input { file: path.to_path_buf(), message };
        let stats = ReadStats::default();
        let mut f = std::fs::File::open(path).map_err(io_err(ExitCode::Input, path, "cannot open"))?;
        let size = f.metadata().ok().map(|m| m.len());
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).map_err(io_err(ExitCode::Input, path, "cannot read"))?;
            if n == 0 {
                break;
            }
            stats.update(&buf[..n]);
        }
        let file = std::fs::File::open(path).map_err(io_err(ExitCode::Input, path, "cannot open"))?;
        // The Parquet decoder asserts on some corrupted files: a panic there is a bad input.
        let opened = contain(|| {
            let builder = ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| format!("is not a readable Parquet file ({e})"))?;
            let header: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
            let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).ok();
            let reader =
                builder.with_batch_size(BATCH_ROWS).build().map_err(|e| format!("cannot read Parquet ({e})"))?;
            Ok((header, reader, rows))
        });
        let (header, reader, rows) = opened.map_err(err)?;
        Ok(ParquetSource { path: path.to_path_buf(), reader, header, stats, size, rows, next_row: 1 })
    }
}

/// The first row of a binary column whose bytes are not UTF-8.
fn first_invalid_utf8(col: &dyn Array) -> Option<usize> {
    let check = |i: usize, bytes: &[u8]| (!col.is_null(i) && std::str::from_utf8(bytes).is_err()).then_some(i);
    match col.data_type() {
        DataType::Binary => {
            let a = col.as_binary::<i32>();
            (0..a.len()).find_map(|i| check(i, a.value(i)))
        }
        DataType::LargeBinary => {
            let a = col.as_binary::<i64>();
            (0..a.len()).find_map(|i| check(i, a.value(i)))
        }
        DataType::BinaryView => {
            let a = col.as_binary_view();
            (0..a.len()).find_map(|i| check(i, a.value(i)))
        }
        DataType::FixedSizeBinary(_) => {
            let a = col.as_fixed_size_binary();
            (0..a.len()).find_map(|i| check(i, a.value(i)))
        }
        _ => None,
    }
}

impl Source for ParquetSource {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_batch(&mut self) -> Result<Option<RawBatch>, EngineError> {
        let err = |message: String| EngineError::Input { file: self.path.clone(), message };
        let reader = &mut self.reader;
        let next = contain(|| Ok(reader.next())).map_err(|m| err(format!("row {}: {m}", self.next_row)))?;
        let Some(batch) = next else {
            return Ok(None);
        };
        let batch = batch.map_err(|e| err(format!("row {}: cannot decode ({e})", self.next_row)))?;
        let mut columns = Vec::with_capacity(batch.num_columns());
        for (i, col) in batch.columns().iter().enumerate() {
            // Bytes must be UTF-8 text: an undecodable value is an input error at its row, never
            // a silent null.
            if let Some(row) = first_invalid_utf8(col.as_ref()) {
                return Err(err(format!(
                    "row {}, column `{}`: bytes are not valid UTF-8 text",
                    self.next_row + row as u64,
                    self.header[i]
                )));
            }
            let opts = arrow::compute::CastOptions { safe: false, ..Default::default() };
            let text = arrow::compute::cast_with_options(col, &DataType::Utf8, &opts)
                .map_err(|_| err(format!("column `{}` has a type that cannot be read as text", self.header[i])))?;
            columns.push(text.as_string::<i32>().clone());
        }
        let first_row = self.next_row;
        self.next_row += batch.num_rows() as u64;
        let _ = columns.first().map(|c| c.len());
        Ok(Some(RawBatch::Arrow { columns, first_row }))
    }

    fn stats(&self) -> ReadStats {
        self.stats.clone()
    }

    fn size(&self) -> Option<u64> {
        self.size
    }

    fn rows_hint(&self) -> Option<u64> {
        self.rows
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    use proptest::prelude::*;
    use std::sync::Arc;

    fn valid_file() -> Vec<u8> {
        let a: ArrayRef = Arc::new(StringArray::from(vec![Some("東京都"), None, Some("x")]));
        let b: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3]));
        let batch = RecordBatch::try_from_iter([("a", a), ("b", b)]).unwrap();
        let mut buf = Vec::new();
        let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        buf
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Corrupted Parquet gives batches or an input error, never a panic.
        #[test]
        fn parquet_ingest_never_panics(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), cut in any::<prop::sample::Index>(), truncate in any::<bool>()) {
            let mut bytes = valid_file();
            for (i, b) in flips {
                let i = i.index(bytes.len());
                bytes[i] = b;
            }
            if truncate {
                bytes.truncate(cut.index(bytes.len()));
            }
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("f.parquet");
            std::fs::write(&p, &bytes).unwrap();
            if let Ok(mut s) = ParquetSource::open(&p) {
                while let Ok(Some(batch)) = s.next_batch() {
                    let _ = batch.len();
                }
            }
        }
    }
}
