//! Parquet input: every column cast to text so one code path handles both formats.

use super::{BATCH_ROWS, RawBatch, ReadStats, Source, check_header};
use crate::EngineError;
use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A Parquet file being read.
pub struct ParquetSource {
    path: PathBuf,
    reader: ParquetRecordBatchReader,
    header: Vec<String>,
    stats: ReadStats,
    size: Option<u64>,
    next_row: u64,
}

impl ParquetSource {
    /// Open `path`; its bytes are hashed up front.
    pub fn open(path: &Path) -> Result<Self, EngineError> {
        let err = |message: String| EngineError::Input { file: path.to_path_buf(), message };
        let stats = ReadStats::default();
        let mut f = std::fs::File::open(path).map_err(|e| err(format!("cannot open: {}", e.kind())))?;
        let size = f.metadata().ok().map(|m| m.len());
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).map_err(|e| err(format!("cannot read: {}", e.kind())))?;
            if n == 0 {
                break;
            }
            stats.update(&buf[..n]);
        }
        let file = std::fs::File::open(path).map_err(|e| err(format!("cannot open: {}", e.kind())))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| err(format!("is not a readable Parquet file ({e})")))?;
        let header: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
        check_header(path, &header)?;
        let reader =
            builder.with_batch_size(BATCH_ROWS).build().map_err(|e| err(format!("cannot read Parquet ({e})")))?;
        Ok(ParquetSource { path: path.to_path_buf(), reader, header, stats, size, next_row: 1 })
    }
}

impl Source for ParquetSource {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_batch(&mut self) -> Result<Option<RawBatch>, EngineError> {
        let err = |message: String| EngineError::Input { file: self.path.clone(), message };
        let Some(batch) = self.reader.next() else {
            return Ok(None);
        };
        let batch = batch.map_err(|e| err(format!("row {}: cannot decode ({e})", self.next_row)))?;
        let mut columns = Vec::with_capacity(batch.num_columns());
        for (i, col) in batch.columns().iter().enumerate() {
            let text = arrow::compute::cast(col, &DataType::Utf8)
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
}
