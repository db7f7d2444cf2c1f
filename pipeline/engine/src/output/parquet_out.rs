//! The release's Parquet writer. Parquet column chunks are independent, so each column is
//! encoded and compressed by whichever worker thread is free, batch after batch, with no
//! barrier between batches: a column that costs more (a column of codes) runs on one thread
//! while the others take the rest. The file is the same as a one-thread writer's: each column
//! sees its values in order, and row groups are appended in order.

use crate::error::{EngineError, output_err};
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowLeafColumn, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use std::collections::VecDeque;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// Rows per row group of a release.
const ROW_GROUP_ROWS: usize = 1 << 20;

/// Batches queued per column before [`ParquetOut::write`] waits for the workers: enough to
/// even out columns of unequal cost, few enough to keep memory bounded.
const QUEUED_BATCHES: usize = 4;

/// A Parquet writer that encodes and compresses columns on worker threads, writing the same file
/// as a one-thread writer: zstd, row groups of `ROW_GROUP_ROWS` rows, the Arrow schema with its
/// field metadata, and the release's key-value metadata.
pub struct ParquetOut {
    path: PathBuf,
    writer: SerializedFileWriter<BufWriter<File>>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    /// Row groups begun, and rows queued in the current one.
    row_groups: usize,
    group_rows: usize,
    /// Per column: the current row group's statistics, counted here (label columns).
    group_stats: Vec<Option<LabelStats>>,
    /// Those of the row groups ended and not yet appended, oldest first.
    stats: VecDeque<Vec<Option<LabelStats>>>,
    rows: usize,
}

/// What the writer and its workers share.
struct Shared {
    state: Mutex<State>,
    /// Signalled whenever a job is queued or done.
    changed: Condvar,
}

struct State {
    columns: Vec<Column>,
    /// The closed chunks of the row groups begun and not yet appended to the file, oldest
    /// first, by column.
    closed: VecDeque<Vec<Option<Box<ArrowColumnChunk>>>>,
    /// Row groups appended to the file (the first entry of `closed` is the next).
    appended: usize,
    /// The first error of a worker (until the writer reports it), and whether there was one:
    /// no more work is done.
    failed: Option<ParquetError>,
    halted: bool,
    stop: bool,
}

/// One column's work, done in order by one worker at a time.
struct Column {
    jobs: VecDeque<Job>,
    /// The writer of the column's current row group (taken by the worker encoding it).
    writer: Option<Box<ArrowColumnWriter>>,
    busy: bool,
    /// Batch leaves queued and not yet encoded.
    leaves: usize,
}

enum Job {
    /// The column's writer for the next row group.
    Begin(Box<ArrowColumnWriter>),
    Leaf(ArrowLeafColumn),
    /// Close the chunk of the row group with this number.
    Close(usize),
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.changed.wait(guard).unwrap_or_else(|e| e.into_inner())
    }
}

/// What the writer is told about some columns.
#[derive(Default, Clone, Copy)]
pub struct ColumnKinds<'a> {
    /// Columns of codes that are all but unique (pseudonyms): written plain, without a
    /// dictionary (which could never hold them) or minimum and maximum (meaningless for random
    /// codes, and a comparison per row to keep).
    pub codes: &'a [String],
    /// Text columns given as dictionary arrays of few values (labels): their minimum, maximum
    /// and nulls are counted from the keys, a few values per batch, instead of the Parquet
    /// encoder comparing the text of every row (chunk statistics only, no page index).
    pub labels: &'a [String],
}

/// A Parquet writer for `path` with the release's properties and `metadata`, encoding on
/// `threads` threads.
pub fn parquet_writer(
    path: &Path,
    schema: SchemaRef,
    metadata: Vec<(String, String)>,
    threads: usize,
    kinds: ColumnKinds,
) -> Result<ParquetOut, EngineError> {
    writer_with_groups(path, schema, metadata, threads, kinds, ROW_GROUP_ROWS)
}

fn writer_with_groups(
    path: &Path,
    schema: SchemaRef,
    metadata: Vec<(String, String)>,
    threads: usize,
    kinds: ColumnKinds,
    group_rows: usize,
) -> Result<ParquetOut, EngineError> {
    let file = File::create(path).map_err(|e| output_err(path, e))?;
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).expect("valid zstd level")))
        .set_max_row_group_row_count(Some(group_rows))
        .set_key_value_metadata(Some(metadata.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect()))
        .set_created_by(format!("tokumei {}", env!("CARGO_PKG_VERSION")));
    for c in kinds.codes {
        let col = parquet::schema::types::ColumnPath::from(c.as_str());
        props = props
            .set_column_dictionary_enabled(col.clone(), false)
            .set_column_statistics_enabled(col, EnabledStatistics::None);
    }
    let labels: Vec<bool> = schema.fields().iter().map(|f| kinds.labels.contains(f.name())).collect();
    for f in schema.fields().iter().filter(|f| kinds.labels.contains(f.name())) {
        props = props.set_column_statistics_enabled(f.name().as_str().into(), EnabledStatistics::None);
    }
    let props = props.build();
    let arrow = ArrowWriter::try_new(BufWriter::with_capacity(1 << 20, file), schema.clone(), Some(props))
        .map_err(|e| output_err(path, e))?;
    let (writer, factory) = arrow.into_serialized_writer().map_err(|e| output_err(path, e))?;
    let columns = writer.schema_descr().num_columns();
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            columns: (0..columns)
                .map(|_| Column { jobs: VecDeque::new(), writer: None, busy: false, leaves: 0 })
                .collect(),
            closed: VecDeque::new(),
            appended: 0,
            failed: None,
            halted: false,
            stop: false,
        }),
        changed: Condvar::new(),
    });
    let workers = (0..threads.clamp(1, columns.max(1)))
        .map(|_| {
            let shared = shared.clone();
            std::thread::spawn(move || work(&shared))
        })
        .collect();
    Ok(ParquetOut {
        path: path.to_path_buf(),
        writer,
        factory,
        schema,
        shared,
        workers,
        row_groups: 0,
        group_rows,
        rows: 0,
        group_stats: labels.iter().map(|l| l.then(LabelStats::default)).collect(),
        stats: VecDeque::new(),
    })
}

/// A worker: take the next job of a column no other worker holds (the column with the most
/// queued first), do it without the lock, hand back the result.
fn work(shared: &Shared) {
    let mut st = shared.lock();
    loop {
        if st.stop || st.halted {
            return;
        }
        let next = st
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.busy && !c.jobs.is_empty())
            .max_by_key(|(i, c)| (c.jobs.len(), std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        let Some(i) = next else {
            st = shared.wait(st);
            continue;
        };
        let column = &mut st.columns[i];
        let (job, writer) = (column.jobs.pop_front().expect("a queued job"), column.writer.take());
        if let Job::Begin(w) = job {
            column.writer = Some(w);
            continue;
        }
        column.busy = true;
        drop(st);
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(job, writer)))
            .unwrap_or_else(|_| Err(ParquetError::General("a Parquet encoding thread failed".into())));
        st = shared.lock();
        st.columns[i].busy = false;
        match done {
            Ok(Done::Written(w)) => {
                st.columns[i].writer = Some(w);
                st.columns[i].leaves -= 1;
            }
            Ok(Done::Closed(group, chunk)) => {
                let at = group.checked_sub(st.appended);
                if let Some(slot) = at.and_then(|at| st.closed.get_mut(at)).and_then(|g| g.get_mut(i)) {
                    *slot = Some(chunk);
                } else {
                    st.failed.get_or_insert(ParquetError::General("a row group was closed twice".into()));
                    st.halted = true;
                }
            }
            Err(e) => {
                st.failed.get_or_insert(e);
                st.halted = true;
            }
        }
        shared.changed.notify_all();
    }
}

enum Done {
    Written(Box<ArrowColumnWriter>),
    Closed(usize, Box<ArrowColumnChunk>),
}

fn run(job: Job, writer: Option<Box<ArrowColumnWriter>>) -> Result<Done, ParquetError> {
    let missing = || ParquetError::General("a column was written outside a row group".into());
    match job {
        Job::Begin(_) => Err(ParquetError::General("a row group begun twice".into())),
        Job::Leaf(leaf) => {
            let mut w = writer.ok_or_else(missing)?;
            w.write(&leaf)?;
            Ok(Done::Written(w))
        }
        Job::Close(at) => Ok(Done::Closed(at, Box::new(writer.ok_or_else(missing)?.close()?))),
    }
}

/// The minimum, maximum and nulls of a text column of one row group, counted batch by batch:
/// for a dictionary array from the keys (each distinct key's value compared once), for plain
/// text row by row. A column of another type gets no statistics.
#[derive(Default)]
struct LabelStats {
    min: Option<Vec<u8>>,
    max: Option<Vec<u8>>,
    nulls: u64,
    unknown: bool,
}

impl LabelStats {
    fn add(&mut self, array: &arrow::array::ArrayRef) {
        use arrow::array::{Array, DictionaryArray, StringArray};
        use arrow::datatypes::UInt32Type;
        if let Some(dict) = array.as_any().downcast_ref::<DictionaryArray<UInt32Type>>()
            && let Some(values) = dict.values().as_any().downcast_ref::<StringArray>()
        {
            let keys = dict.keys();
            if values.len() > keys.len() {
                // A dictionary larger than the batch (values that rarely repeat): each row's value.
                for (i, k) in keys.values().iter().enumerate() {
                    match (keys.is_valid(i), (*k as usize) < values.len()) {
                        (false, _) => self.nulls += 1,
                        (true, false) => self.unknown = true,
                        (true, true) if values.is_null(*k as usize) => self.nulls += 1,
                        (true, true) => self.value(values.value(*k as usize).as_bytes()),
                    }
                }
                return;
            }
            let mut counts = vec![0u64; values.len()];
            for (i, k) in keys.values().iter().enumerate() {
                if keys.is_valid(i) {
                    match counts.get_mut(*k as usize) {
                        Some(n) => *n += 1,
                        None => self.unknown = true, // not a valid array: no statistics
                    }
                } else {
                    self.nulls += 1;
                }
            }
            for (k, n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
                match values.is_valid(k) {
                    true => self.value(values.value(k).as_bytes()),
                    false => self.nulls += n,
                }
            }
        } else if let Some(text) = array.as_any().downcast_ref::<StringArray>() {
            self.nulls += text.null_count() as u64;
            for v in text.iter().flatten() {
                self.value(v.as_bytes());
            }
        } else {
            self.unknown = true;
        }
    }

    fn value(&mut self, v: &[u8]) {
        if self.min.as_deref().is_none_or(|m| v < m) {
            self.min = Some(v.to_vec());
        }
        if self.max.as_deref().is_none_or(|m| v > m) {
            self.max = Some(v.to_vec());
        }
    }

    /// The chunk's statistics, as the Parquet encoder writes them for text (none when a batch
    /// was of another type).
    fn statistics(&self) -> Option<parquet::file::statistics::Statistics> {
        let bytes = |v: &Option<Vec<u8>>| v.clone().map(parquet::data_type::ByteArray::from);
        (!self.unknown).then(|| {
            parquet::file::statistics::Statistics::byte_array(
                bytes(&self.min),
                bytes(&self.max),
                None,
                Some(self.nulls),
                false,
            )
        })
    }
}

impl ParquetOut {
    /// Queue a batch (split across row groups as needed); waits while the workers are
    /// `QUEUED_BATCHES` batches behind.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), EngineError> {
        let mut offset = 0;
        while offset < batch.num_rows() {
            let n = (self.group_rows - self.rows).min(batch.num_rows() - offset);
            self.queue(&batch.slice(offset, n))?;
            offset += n;
            if self.rows == self.group_rows {
                self.end_row_group()?;
            }
            self.append_closed(false)?;
        }
        Ok(())
    }

    fn err(&self, e: ParquetError) -> EngineError {
        output_err(&self.path, e)
    }

    /// Queue the leaves of `batch` (within one row group), beginning the row group if need be.
    fn queue(&mut self, batch: &RecordBatch) -> Result<(), EngineError> {
        // Everything checked before anything is queued, so a bad batch leaves no half-begun row
        // group behind.
        let mut leaves = Vec::with_capacity(batch.num_columns());
        for (field, array) in self.schema.fields().iter().zip(batch.columns()) {
            leaves.extend(compute_leaves(field, array).map_err(|e| self.err(e))?);
        }
        if batch.num_columns() != self.schema.fields().len() || leaves.is_empty() {
            return Err(EngineError::Internal("a batch's columns do not match the file's".into()));
        }
        let mut begin = Vec::new();
        if self.rows == 0 {
            begin = self.factory.create_column_writers(self.row_groups).map_err(|e| self.err(e))?;
        }
        for (st, array) in self.group_stats.iter_mut().zip(batch.columns()) {
            if let Some(st) = st {
                st.add(array);
            }
        }
        let shared = self.shared.clone();
        let mut st = shared.lock();
        if leaves.len() != st.columns.len() || (!begin.is_empty() && begin.len() != leaves.len()) {
            return Err(EngineError::Internal("a batch's columns do not match the file's".into()));
        }
        if !begin.is_empty() {
            let columns = st.columns.len();
            st.closed.push_back((0..columns).map(|_| None).collect());
            for (c, w) in st.columns.iter_mut().zip(begin) {
                c.jobs.push_back(Job::Begin(Box::new(w)));
            }
        }
        // Each column at most `QUEUED_BATCHES` behind: a slow column holds the others back
        // instead of their chunks piling up.
        while st.columns.iter().any(|c| c.leaves >= QUEUED_BATCHES) && !st.halted {
            st = shared.wait(st);
        }
        if st.halted {
            let e =
                st.failed.take().unwrap_or_else(|| ParquetError::General("the Parquet writer failed earlier".into()));
            return Err(self.err(e));
        }
        for (c, leaf) in st.columns.iter_mut().zip(leaves) {
            c.jobs.push_back(Job::Leaf(leaf));
            c.leaves += 1;
        }
        shared.changed.notify_all();
        drop(st);
        self.rows += batch.num_rows();
        Ok(())
    }

    /// Queue the closing of the current row group's chunks.
    fn end_row_group(&mut self) -> Result<(), EngineError> {
        let shared = self.shared.clone();
        let mut st = shared.lock();
        for c in st.columns.iter_mut() {
            c.jobs.push_back(Job::Close(self.row_groups));
        }
        shared.changed.notify_all();
        self.row_groups += 1;
        self.rows = 0;
        let fresh = self.group_stats.iter().map(|s| s.as_ref().map(|_| LabelStats::default())).collect();
        self.stats.push_back(std::mem::replace(&mut self.group_stats, fresh));
        Ok(())
    }

    /// Append the row groups whose chunks are all closed, oldest first; with `all`, wait for
    /// every row group begun.
    fn append_closed(&mut self, all: bool) -> Result<(), EngineError> {
        let shared = self.shared.clone();
        loop {
            let mut st = shared.lock();
            if st.halted {
                let e = st
                    .failed
                    .take()
                    .unwrap_or_else(|| ParquetError::General("the Parquet writer failed earlier".into()));
                return Err(self.err(e));
            }
            if st.closed.front().is_some_and(|g| g.iter().all(Option::is_some)) {
                let chunks = st.closed.pop_front().expect("checked");
                st.appended += 1;
                drop(st);
                let mut stats = self.stats.pop_front().unwrap_or_default();
                if stats.len() != chunks.len() {
                    stats.clear(); // a nested schema: fields and leaf columns differ (labels are flat text)
                }
                let path = &self.path;
                let mut row_group = self.writer.next_row_group().map_err(|e| output_err(path, e))?;
                for (i, mut chunk) in chunks.into_iter().flatten().enumerate() {
                    if let Some(statistics) = stats.get(i).and_then(|s| s.as_ref()).and_then(LabelStats::statistics) {
                        let close = chunk.close_mut();
                        close.metadata = close
                            .metadata
                            .clone()
                            .into_builder()
                            .set_statistics(statistics)
                            .build()
                            .map_err(|e| output_err(path, e))?;
                    }
                    chunk.append_to_row_group(&mut row_group).map_err(|e| output_err(path, e))?;
                }
                row_group.close().map_err(|e| output_err(path, e))?;
                continue;
            }
            if !all || st.closed.is_empty() {
                return Ok(());
            }
            drop(shared.wait(st));
        }
    }

    /// Write the last row group and the footer.
    pub fn close(mut self) -> Result<(), EngineError> {
        if self.rows > 0 {
            self.end_row_group()?;
        }
        self.append_closed(true)?;
        self.stop();
        self.writer.finish().map_err(|e| output_err(&self.path, e))?;
        Ok(())
    }

    fn stop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

impl Drop for ParquetOut {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, DictionaryArray, Int64Array, StringArray, UInt32Array};
    use arrow::datatypes::{DataType, Field, Schema, UInt32Type};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    fn batches(seed: u64) -> (SchemaRef, Vec<RecordBatch>) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("label", DataType::Utf8, true),
            Field::new("code", DataType::Utf8, false),
            Field::new("n", DataType::Int64, true),
        ]));
        let mut s = seed;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let values: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), Some("bb"), None, Some("ccc")]));
        let mut out = Vec::new();
        for _ in 0..12 {
            let len = (next() % 700) as usize;
            let keys = UInt32Array::from_iter_values((0..len).map(|_| (next() % 4) as u32));
            let keys = UInt32Array::new(
                keys.values().clone(),
                Some(keys.values().iter().map(|k| *k != 2).collect::<Vec<_>>().into()),
            );
            let label: ArrayRef = Arc::new(DictionaryArray::<UInt32Type>::try_new(keys, values.clone()).unwrap());
            let code: ArrayRef = Arc::new(StringArray::from_iter_values((0..len).map(|_| format!("{:016x}", next()))));
            let n: ArrayRef = Arc::new(Int64Array::from_iter((0..len).map(|_| {
                let v = next();
                (v % 5 != 0).then_some(v as i64 % 1000)
            })));
            let fields: Vec<Field> = schema
                .fields()
                .iter()
                .zip([&label, &code, &n])
                .map(|(f, a)| f.as_ref().clone().with_data_type(a.data_type().clone()))
                .collect();
            out.push(RecordBatch::try_new(Arc::new(Schema::new(fields)), vec![label, code, n]).unwrap());
        }
        (schema, out)
    }

    fn write(dir: &Path, name: &str, threads: usize, group_rows: usize, seed: u64) -> PathBuf {
        write_with(
            dir,
            name,
            threads,
            group_rows,
            seed,
            ColumnKinds { codes: &["code".into()], labels: &["label".into()] },
        )
    }

    fn write_with(dir: &Path, name: &str, threads: usize, group_rows: usize, seed: u64, kinds: ColumnKinds) -> PathBuf {
        let (schema, batches) = batches(seed);
        let path = dir.join(name);
        let mut w =
            writer_with_groups(&path, schema, vec![("k".into(), "v".into())], threads, kinds, group_rows).unwrap();
        for b in &batches {
            w.write(b).unwrap();
        }
        w.close().unwrap();
        path
    }

    /// Whatever the number of threads, and with row groups cut inside batches, the file holds
    /// every row in order and is byte for byte the one-thread writer's.
    #[test]
    fn every_thread_count_writes_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        for seed in [1u64, 7, 99] {
            let one = write(dir.path(), "one.parquet", 1, 1000, seed);
            let (schema, batches) = batches(seed);
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&one).unwrap()).unwrap();
            assert_eq!(reader.metadata().num_row_groups(), rows.div_ceil(1000));
            let read: Vec<RecordBatch> = reader.build().unwrap().map(|b| b.unwrap()).collect();
            let read = arrow::compute::concat_batches(&read[0].schema(), &read).unwrap();
            let cast: Vec<RecordBatch> = batches
                .iter()
                .map(|b| {
                    let cols = b
                        .columns()
                        .iter()
                        .zip(schema.fields())
                        .map(|(c, f)| arrow::compute::cast(c, f.data_type()).unwrap())
                        .collect();
                    RecordBatch::try_new(schema.clone(), cols).unwrap()
                })
                .collect();
            let expected = arrow::compute::concat_batches(&schema, &cast).unwrap();
            assert_eq!(read.columns(), expected.columns());
            // The label column's statistics, counted from its keys, are the encoder's.
            let kinds = ColumnKinds { codes: &["code".into()], labels: &[] };
            let encoder = write_with(dir.path(), "encoder.parquet", 2, 1000, seed, kinds);
            let stats = |p: &Path| -> Vec<Option<parquet::file::statistics::Statistics>> {
                let r = ParquetRecordBatchReaderBuilder::try_new(File::open(p).unwrap()).unwrap();
                r.metadata().row_groups().iter().map(|g| g.column(0).statistics().cloned()).collect()
            };
            let ours = stats(&one);
            assert!(ours.iter().all(|s| s.as_ref().is_some_and(|s| s.null_count_opt().is_some_and(|n| n > 0))));
            assert_eq!(ours, stats(&encoder));
            for threads in [2, 3, 8] {
                let many = write(dir.path(), "many.parquet", threads, 1000, seed);
                assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&many).unwrap(), "{threads} threads");
            }
        }
    }

    /// A dictionary larger or smaller than the batch, or plain text: the same statistics.
    #[test]
    fn label_statistics_do_not_depend_on_the_arrays_shape() {
        let values: Vec<Option<String>> =
            (0..1000).map(|i| if i % 7 == 3 { None } else { Some(format!("v{:03}", (i * 37) % 1000)) }).collect();
        let values: ArrayRef = Arc::new(StringArray::from(values));
        for keys in [vec![Some(5u32), None, Some(3), Some(999), Some(5)], (0..3000).map(|i| Some(i % 1000)).collect()] {
            let keys = UInt32Array::from(keys);
            let dict: ArrayRef = Arc::new(DictionaryArray::<UInt32Type>::try_new(keys, values.clone()).unwrap());
            let plain = arrow::compute::cast(&dict, &DataType::Utf8).unwrap();
            let (mut a, mut b) = (LabelStats::default(), LabelStats::default());
            a.add(&dict);
            b.add(&plain);
            assert_eq!(a.statistics(), b.statistics());
            assert!(a.statistics().is_some_and(|s| s.null_count_opt().is_some_and(|n| n > 0)));
        }
    }

    /// A batch whose columns do not match the file's is an error, not a hang or a panic, and
    /// dropping a writer midway stops its threads.
    #[test]
    fn a_bad_batch_is_an_error_and_a_dropped_writer_stops() {
        let dir = tempfile::tempdir().unwrap();
        let (schema, batches) = batches(3);
        let mut w =
            writer_with_groups(&dir.path().join("x.parquet"), schema, vec![], 2, ColumnKinds::default(), 100).unwrap();
        w.write(&batches[0]).unwrap();
        let other = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)])),
            vec![Arc::new(Int64Array::from(vec![1i64]))],
        )
        .unwrap();
        assert!(w.write(&other).is_err());
        drop(w);
    }
}
