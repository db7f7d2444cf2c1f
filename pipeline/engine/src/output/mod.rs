//! Output: Arrow builders for transformed cells, the Parquet writer and the row shuffle. Where the
//! files go and how they are published is the caller's (the `tokumei-release` crate).

mod parquet_out;

pub use parquet_out::{ColumnKinds, ParquetOut, parquet_writer};

use crate::cell::Cell;
use crate::error::{EngineError, ExitCode, io_err, output_err};
use arrow::array::RecordBatch;
use arrow::array::{ArrayRef, BooleanBuilder, Date32Builder, FixedSizeBinaryBuilder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::ipc::reader::FileReader;
use arrow::ipc::writer::FileWriter;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Builds one Arrow column from cells.
pub enum ColumnBuilder {
    /// Text.
    Str(StringBuilder),
    /// Whole numbers.
    Int(Int64Builder),
    /// Yes/no.
    Bool(BooleanBuilder),
    /// Dates.
    Date(Date32Builder),
    /// Codes of this many hex digits, kept as their bytes (an odd last digit in the high half
    /// of the last byte); [`hex_text`] gives back the text.
    Hex(FixedSizeBinaryBuilder, usize),
}

impl ColumnBuilder {
    /// A builder for `ty`.
    pub fn new(ty: &DataType, capacity: usize) -> Self {
        match ty {
            DataType::Int64 => ColumnBuilder::Int(Int64Builder::with_capacity(capacity)),
            DataType::Boolean => ColumnBuilder::Bool(BooleanBuilder::with_capacity(capacity)),
            DataType::Date32 => ColumnBuilder::Date(Date32Builder::with_capacity(capacity)),
            DataType::FixedSizeBinary(n) => ColumnBuilder::hex(2 * (*n).clamp(0, 32) as usize, capacity),
            _ => ColumnBuilder::Str(StringBuilder::with_capacity(capacity, capacity * 16)),
        }
    }

    /// A builder for `field`: codes of as many hex digits as its metadata
    /// [`HEX_DIGITS`] says, when it has it (a spilled pseudonym code's field).
    pub fn for_field(field: &arrow::datatypes::Field, capacity: usize) -> Self {
        match field.metadata().get(HEX_DIGITS).and_then(|d| d.parse::<usize>().ok()) {
            Some(digits) => ColumnBuilder::hex(digits, capacity),
            None => ColumnBuilder::new(field.data_type(), capacity),
        }
    }

    /// A builder of codes of `digits` hex digits (at most 64), as their bytes.
    fn hex(digits: usize, capacity: usize) -> Self {
        let digits = digits.min(64);
        ColumnBuilder::Hex(FixedSizeBinaryBuilder::with_capacity(capacity, digits.div_ceil(2) as i32), digits)
    }

    /// Append a cell; a cell of another type than the builder's is a bug.
    pub fn append(&mut self, cell: &Cell) -> Result<(), EngineError> {
        match (self, cell) {
            (ColumnBuilder::Str(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::Int(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::Bool(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::Date(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::Hex(b, _), Cell::Null) => b.append_null(),
            (ColumnBuilder::Hex(b, digits), Cell::Str(s)) => {
                let mut bytes = [0u8; 32];
                let bytes = hex_bytes(s, *digits, &mut bytes)
                    .ok_or_else(|| EngineError::Internal("a code is not the hex digits of its column".into()))?;
                b.append_value(bytes).map_err(|e| EngineError::Internal(e.to_string()))?
            }
            (ColumnBuilder::Str(b), Cell::Str(s)) => b.append_value(s),
            (ColumnBuilder::Int(b), Cell::Int(i)) => b.append_value(*i),
            (ColumnBuilder::Bool(b), Cell::Bool(v)) => b.append_value(*v),
            (ColumnBuilder::Date(b), Cell::Date(d)) => b.append_value(*d),
            _ => {
                return Err(EngineError::Internal("cell type does not match its column".into()));
            }
        }
        Ok(())
    }

    /// Finish the column.
    pub fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Str(b) => Arc::new(b.finish()),
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Date(b) => Arc::new(b.finish()),
            ColumnBuilder::Hex(b, _) => Arc::new(b.finish()),
        }
    }
}

/// Metadata of a spill field of codes of hex digits: how many digits ([`ColumnBuilder::for_field`]).
pub const HEX_DIGITS: &str = "tokumei.hex_digits";

/// The bytes of a code of `digits` lower-case hex digits (an odd last digit in the high half of
/// the last byte), written in `out`; `None` for any other text.
fn hex_bytes<'a>(code: &str, digits: usize, out: &'a mut [u8; 32]) -> Option<&'a [u8]> {
    let text = code.as_bytes();
    if text.len() != digits || digits > 2 * out.len() {
        return None;
    }
    let nibble = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        _ => None,
    };
    for (i, pair) in text.chunks(2).enumerate() {
        out[i] = nibble(pair[0])? << 4 | pair.get(1).map_or(Some(0), |d| nibble(*d))?;
    }
    Some(&out[..digits.div_ceil(2)])
}

/// The text of codes spilled as bytes ([`ColumnBuilder::Hex`]): each code's first `digits`
/// lower-case hex digits, null where the code is.
pub fn hex_text(codes: &ArrayRef, digits: usize) -> Result<ArrayRef, EngineError> {
    let codes = codes
        .as_any()
        .downcast_ref::<arrow::array::FixedSizeBinaryArray>()
        .ok_or_else(|| EngineError::Internal("spilled codes are not bytes".into()))?;
    let width = codes.value_length() as usize;
    if width > 32 || digits.div_ceil(2) != width {
        return Err(EngineError::Internal("spilled codes are not of their column's length".into()));
    }
    let rows = arrow::array::Array::len(codes);
    let mut text = StringBuilder::with_capacity(rows, rows * digits);
    let mut hex = [0u8; 64];
    for code in codes.iter() {
        match code {
            Some(bytes) => {
                // Cannot fail: `hex` has room for twice the bytes, and hex digits are ASCII.
                let _ = hex::encode_to_slice(bytes, &mut hex[..2 * width]);
                text.append_value(std::str::from_utf8(&hex[..digits]).unwrap_or_default());
            }
            None => text.append_null(),
        }
    }
    Ok(Arc::new(text.finish()))
}

/// Rows per shuffle bucket held in memory at once.
const SHUFFLE_BUCKET_ROWS: usize = 1 << 19;

/// An external shuffle: rows are scattered to random bucket files, then each bucket is read and
/// handed back in a random order. Memory holds one bucket; the order is made per release by a
/// cryptographic generator and never stored. (A random bucket per row, then a random order
/// within each bucket, is a uniformly random order of all rows.)
pub(crate) struct Shuffler {
    writers: Vec<FileWriter<BufWriter<File>>>,
    paths: Vec<PathBuf>,
    schema: SchemaRef,
    rng: rand::rngs::StdRng,
    dir: PathBuf,
    /// The bucket files' names start with this.
    prefix: String,
    /// Rows scattered.
    rows: usize,
}

impl Shuffler {
    /// Bucket files in `tmp_dir` for about `rows` rows of `schema`.
    pub(crate) fn new(tmp_dir: &Path, schema: &SchemaRef, rows: usize) -> Result<Self, EngineError> {
        Self::named(tmp_dir, schema, rows, "shuffle-".into())
    }

    fn named(tmp_dir: &Path, schema: &SchemaRef, rows: usize, prefix: String) -> Result<Self, EngineError> {
        let buckets = rows.div_ceil(SHUFFLE_BUCKET_ROWS).max(1);
        let mut writers = Vec::with_capacity(buckets);
        let mut paths = Vec::with_capacity(buckets);
        for b in 0..buckets {
            let p = tmp_dir.join(format!("{prefix}{b}.arrow"));
            let f = File::create(&p).map_err(|e| output_err(&p, e))?;
            writers.push(
                FileWriter::try_new(BufWriter::with_capacity(1 << 20, f), schema).map_err(|e| output_err(&p, e))?,
            );
            paths.push(p);
        }
        Ok(Shuffler {
            writers,
            paths,
            schema: schema.clone(),
            rng: rand::make_rng(),
            dir: tmp_dir.to_path_buf(),
            prefix,
            rows: 0,
        })
    }

    /// Send each row of `rb` to a random bucket (one `take` per batch, then a slice per bucket).
    pub(crate) fn scatter(&mut self, rb: &RecordBatch) -> Result<(), EngineError> {
        use rand::RngExt;
        let n = self.writers.len();
        self.rows += rb.num_rows();
        let bucket: Vec<u32> = (0..rb.num_rows()).map(|_| self.rng.random_range(0..n as u32)).collect();
        let mut starts = vec![0usize; n + 1];
        for b in &bucket {
            starts[*b as usize + 1] += 1;
        }
        for b in 0..n {
            starts[b + 1] += starts[b];
        }
        let mut next = starts.clone();
        let mut order = vec![0u32; rb.num_rows()];
        for (i, b) in bucket.iter().enumerate() {
            order[next[*b as usize]] = i as u32;
            next[*b as usize] += 1;
        }
        let grouped = arrow::compute::take_record_batch(rb, &arrow::array::UInt32Array::from(order))
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        for b in 0..n {
            if starts[b + 1] > starts[b] {
                let part = grouped.slice(starts[b], starts[b + 1] - starts[b]);
                self.writers[b].write(&part).map_err(|e| output_err(&self.paths[b], e))?;
            }
        }
        Ok(())
    }

    /// Read the buckets back one at a time and call `each` with the bucket and a random order of
    /// its rows, in chunks of at most `chunk` rows.
    pub(crate) fn gather(
        self,
        chunk: usize,
        mut each: impl FnMut(&RecordBatch, &arrow::array::UInt32Array) -> Result<(), EngineError>,
    ) -> Result<(), EngineError> {
        self.gather_with(chunk, &mut each)
    }

    #[allow(clippy::type_complexity)]
    fn gather_with(
        mut self,
        chunk: usize,
        each: &mut dyn FnMut(&RecordBatch, &arrow::array::UInt32Array) -> Result<(), EngineError>,
    ) -> Result<(), EngineError> {
        use rand::seq::SliceRandom;
        let bytes = self.finish()?;
        let row_bytes = (bytes / self.rows.max(1) as u64).max(1);
        for (b, p) in self.paths.iter().enumerate() {
            // A bucket far above its share (the rows were more than expected when the buckets
            // were made) is scattered again, streamed, into buckets of its own: memory holds one
            // bucket of about the intended size, whatever the estimate was.
            let rows = std::fs::metadata(p).map_err(|e| output_err(p, e))?.len() / row_bytes;
            if rows > 2 * SHUFFLE_BUCKET_ROWS as u64 {
                let mut sub = Shuffler::named(&self.dir, &self.schema, rows as usize, format!("{}{b}-", self.prefix))?;
                // Streamed unbuffered: the reader seeks to every batch (see `read_ipc`).
                let f = File::open(p).map_err(|e| output_err(p, e))?;
                let reader = FileReader::try_new(f, None).map_err(|e| output_err(p, e))?;
                for rb in reader {
                    sub.scatter(&rb.map_err(|e| output_err(p, e))?)?;
                }
                let _ = std::fs::remove_file(p);
                sub.gather_with(chunk, each)?;
                continue;
            }
            let all = arrow::compute::concat_batches(&self.schema, &read_ipc(p)?)
                .map_err(|e| EngineError::Internal(e.to_string()))?;
            let mut order: Vec<u32> = (0..all.num_rows() as u32).collect();
            order.shuffle(&mut self.rng);
            for part in order.chunks(chunk.max(1)) {
                each(&all, &arrow::array::UInt32Array::from(part.to_vec()))?;
            }
            let _ = std::fs::remove_file(p);
        }
        Ok(())
    }

    /// Close the bucket files; returns their size in bytes.
    pub(crate) fn finish(&mut self) -> Result<u64, EngineError> {
        for (w, p) in self.writers.iter_mut().zip(&self.paths) {
            w.finish().map_err(|e| output_err(p, e))?;
        }
        self.writers.clear();
        let mut bytes = 0;
        for p in &self.paths {
            bytes += std::fs::metadata(p).map_err(|e| output_err(p, e))?.len();
        }
        Ok(bytes)
    }

    /// Every bucket's batches, read back into memory (the buckets' order is the scatter's).
    pub(crate) fn into_batches(mut self) -> Result<Vec<RecordBatch>, EngineError> {
        self.finish()?;
        let mut out = Vec::new();
        for p in &self.paths {
            out.extend(read_ipc(p)?);
            let _ = std::fs::remove_file(p);
        }
        Ok(out)
    }
}

/// The batches of an Arrow IPC file, read unbuffered: Arrow's reader seeks to every batch and
/// reads it whole, and a seek empties a `BufReader`, so over a buffered file each of a bucket's
/// many small batches (a slice of every scattered batch) read a whole buffer again.
pub(crate) fn read_ipc(p: &Path) -> Result<Vec<RecordBatch>, EngineError> {
    let f = File::open(p).map_err(|e| output_err(p, e))?;
    let reader = FileReader::try_new(f, None).map_err(|e| output_err(p, e))?;
    reader.collect::<Result<_, _>>().map_err(|e| output_err(p, e))
}

/// SHA-256 (hex) of a file.
pub fn sha256_file(path: &Path) -> Result<String, EngineError> {
    use sha2::{Digest, Sha256};
    let mut f = File::open(path).map_err(|e| output_err(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = std::io::Read::read(&mut f, &mut buf).map_err(|e| output_err(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// A key-value entry of a Parquet file's metadata (e.g. `tokumei.audit_head` of a release).
pub fn parquet_key_value(path: &Path, key: &str) -> Result<Option<String>, EngineError> {
    let input_err = |message: String| EngineError::Input { file: path.to_path_buf(), message };
    let file = File::open(path).map_err(io_err(ExitCode::Input, path, "cannot open"))?;
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(file)
        .map_err(|_| input_err("is not a readable Parquet file".into()))?;
    use parquet::file::reader::FileReader as _;
    Ok(reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == key).and_then(|k| k.value.clone())))
}

/// The distinct values of each of `columns` in a Parquet file (nulls left out), sorted.
pub fn distinct_values(path: &Path, columns: &[String]) -> Result<Vec<Vec<String>>, EngineError> {
    use arrow::array::{Array, AsArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let input_err = |message: String| EngineError::Input { file: path.to_path_buf(), message };
    let file = File::open(path).map_err(io_err(ExitCode::Input, path, "cannot open"))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|_| input_err("is not a readable Parquet file".into()))?;
    let schema = builder.parquet_schema().clone();
    let mut indices = Vec::new();
    for c in columns {
        let i = (0..schema.num_columns())
            .find(|i| schema.column(*i).name() == c)
            .ok_or_else(|| input_err(format!("has no column `{c}`")))?;
        indices.push(i);
    }
    let mask = parquet::arrow::ProjectionMask::leaves(&schema, indices.iter().copied());
    let reader =
        builder.with_projection(mask).build().map_err(|_| input_err("is not a readable Parquet file".into()))?;
    let mut sets: Vec<std::collections::BTreeSet<String>> = vec![Default::default(); columns.len()];
    for batch in reader {
        let batch = batch.map_err(|_| input_err("cannot be read".into()))?;
        for (j, name) in columns.iter().enumerate() {
            let col = batch.column_by_name(name).ok_or_else(|| input_err(format!("has no column `{name}`")))?;
            let col = arrow::compute::cast(col, &DataType::Utf8).map_err(|e| input_err(e.to_string()))?;
            let text = col.as_string::<i32>();
            for i in 0..text.len() {
                if text.is_valid(i) {
                    sets[j].insert(text.value(i).to_string());
                }
            }
        }
    }
    Ok(sets.into_iter().map(|s| s.into_iter().collect()).collect())
}

/// The keyed digest of the code set of a release's linking-code `columns` in a Parquet file:
/// HMAC-SHA-256 under `key` of each column's name and its distinct values, sorted. Returns the
/// number of distinct codes and the digest (hex). The same file, or a copy, gives the same
/// digest; without the key nothing can be learnt from it.
pub fn code_digest(path: &Path, columns: &[String], key: &[u8]) -> Result<(u64, String), EngineError> {
    use hmac::{KeyInit, Mac};
    let sets = distinct_values(path, columns)?;
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key)
        .map_err(|_| EngineError::Internal("digest key".into()))?;
    let mut count = 0u64;
    for (name, set) in columns.iter().zip(&sets) {
        mac.update(name.as_bytes());
        mac.update(&[0]);
        for v in set {
            mac.update(v.as_bytes());
            mac.update(&[0x1e]);
            count += 1;
        }
        mac.update(&[0x1d]);
    }
    Ok((count, hex::encode(mac.finalize().into_bytes())))
}

#[cfg(test)]
mod shuffle_tests {
    use super::*;
    use arrow::array::{AsArray, UInt32Array};
    use arrow::datatypes::{Field, Schema, UInt32Type};

    /// Buckets made for far fewer rows than come are scattered again when gathered: every row
    /// comes back once, and no bucket handed out is much above its intended size.
    #[test]
    fn an_underestimated_shuffle_splits_its_buckets_and_keeps_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new("row", DataType::UInt32, false)]));
        let mut sh = Shuffler::new(dir.path(), &schema, 1).unwrap();
        let rows = 3 * SHUFFLE_BUCKET_ROWS as u32 + 17;
        for start in (0..rows).step_by(100_000) {
            let col = UInt32Array::from_iter_values(start..(start + 100_000).min(rows));
            sh.scatter(&RecordBatch::try_new(schema.clone(), vec![Arc::new(col)]).unwrap()).unwrap();
        }
        let mut seen = vec![false; rows as usize];
        let mut largest = 0;
        sh.gather(1000, |bucket, order| {
            largest = largest.max(bucket.num_rows());
            let col = bucket.column(0).as_primitive::<UInt32Type>();
            for i in order.values() {
                let r = col.value(*i as usize) as usize;
                assert!(!seen[r], "row {r} twice");
                seen[r] = true;
            }
            Ok(())
        })
        .unwrap();
        assert!(seen.iter().all(|s| *s), "a row was lost");
        assert!(largest <= 2 * SHUFFLE_BUCKET_ROWS, "a bucket of {largest} rows was held");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "bucket files left behind");
    }
}

#[cfg(test)]
mod hex_tests {
    use super::*;
    use arrow::array::{Array, AsArray};

    /// Codes of every allowed length (odd ones too) spilled as bytes come back as the same
    /// text, nulls as nulls, in half the bytes.
    #[test]
    fn codes_spilled_as_bytes_are_written_back_as_the_same_text() {
        let digest: String = (0..64).map(|i| char::from(b"0123456789abcdef"[(i * 7 + 3) % 16])).collect();
        for digits in 1..=64usize {
            let width = digits.div_ceil(2);
            let field = arrow::datatypes::Field::new("c", DataType::FixedSizeBinary(width as i32), true)
                .with_metadata([(HEX_DIGITS.to_string(), digits.to_string())].into());
            let mut b = ColumnBuilder::for_field(&field, 3);
            let codes = [Some(&digest[..digits]), None, Some(&digest[64 - digits..])];
            for c in codes {
                b.append(&c.map_or(Cell::Null, Cell::str)).unwrap();
            }
            let spilled = b.finish();
            assert_eq!(spilled.as_fixed_size_binary().value_length() as usize, width);
            let text = hex_text(&spilled, digits).unwrap();
            let text = text.as_string::<i32>();
            let back: Vec<Option<&str>> = text.iter().collect();
            assert_eq!(back, codes, "{digits} digits");
            assert_eq!(text.null_count(), 1);
        }
    }

    /// Anything but a code of the column's lower-case hex digits is refused, never spilled wrong.
    #[test]
    fn text_that_is_not_the_column_s_code_is_refused() {
        let field = arrow::datatypes::Field::new("c", DataType::FixedSizeBinary(8), true)
            .with_metadata([(HEX_DIGITS.to_string(), "15".to_string())].into());
        let mut b = ColumnBuilder::for_field(&field, 1);
        for bad in ["0123456789ABCDE", "0123456789abcdg", "0123456789abcd", "0123456789abcdef", "０１２３４"] {
            assert!(b.append(&Cell::str(bad)).is_err(), "{bad}");
        }
        assert!(b.append(&Cell::Int(7)).is_err());
        // Without the metadata, a field of eight bytes holds codes of sixteen digits only.
        let mut even = ColumnBuilder::new(&DataType::FixedSizeBinary(8), 1);
        assert!(even.append(&Cell::str("0123456789abcde")).is_err());
        even.append(&Cell::str("0123456789abcdef")).unwrap();
        // Fifteen digits fill eight bytes, the last digit in the high half.
        b.append(&Cell::str("0123456789abcde")).unwrap();
        let spilled = b.finish();
        assert_eq!(spilled.as_fixed_size_binary().value(0), [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xe0]);
        assert!(hex_text(&spilled, 17).is_err(), "a length the bytes cannot hold");
        assert!(hex_text(&(Arc::new(arrow::array::StringArray::from(vec!["ab"])) as ArrayRef), 2).is_err());
    }
}
