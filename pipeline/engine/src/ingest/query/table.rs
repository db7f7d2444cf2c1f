//! An input of a query job as a table DataFusion reads as it needs its rows: tokumei's own
//! decoder (line-precise errors, hashed as it is read, behind the request stage) gives batches
//! of text columns, only the columns the query uses. The file is read (and hashed) on one
//! thread at a time; each batch is decoded, parsed, its identifier values hashed and its
//! columns copied out on one of several threads, and the batches are accounted for and given
//! to the query in the order read (so errors are reported for the first line that has one). The columns the
//! job types (`types = { 課税所得 = "integer" }`) are parsed by tokumei's own parsers (full-width
//! digits, thousands commas, 和暦) into Int64, Date32 or Boolean columns, every value of every
//! row read, whether or not the query uses the column: a value that does not parse stops the
//! run, naming the file, line (or row) and column, never the value.
//!
//! Whatever reads a batch accounts for it (its rows counted, its identifier values hashed), so
//! an input the query stops reading early (a `LIMIT`, a join whose other side is empty) or
//! never reads is read to its end afterwards ([`InputState::finish`]): its SHA-256, row count
//! and identifier values are complete. A query that reads an input twice (a self-join, a
//! recursive query) reads its file twice; both reads must agree (SHA-256 and rows), else the
//! file changed while it was read and the run stops. A read that meets an error (a value that
//! does not parse, a line the decoder refuses) keeps it as the query's first input error under
//! its lock and ends there, so that whatever reads it next, the query or the reading to its end
//! after a `LIMIT`, stops with that error instead of going on from the batch after.

use super::super::lineage::{IdentifierValues, Keyer};
use super::super::{RawBatch, Source};
use crate::EngineError;
use crate::cell::Malformed;
use crate::requests::{Correction, RequestTally};
use arrow::array::{ArrayRef, BooleanArray, Date32Array, Int64Array, RecordBatch, RecordBatchOptions, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::stats::Precision;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Statistics, project_schema};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties, StatisticsArgs,
};
use rustc_hash::FxHashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokumei_rules::ValueType;

/// Reads of one input a query may make (a self-join reads it twice; a recursive query whose
/// recursive part reads it, once per step).
const MAX_READS: usize = 16;

/// The largest magnitude a typed `integer` value may have: 2^53 (9,007,199,254,740,992).
/// DataFusion's `SUM` and `+ - *` on 64-bit integers wrap silently past i64's range (2^63); so
/// bounded, a thousand values (2^10) sum exactly, and sums of municipal amounts stay far from
/// the range. A larger value is refused at its row.
const TYPED_INT_MAX: i64 = 1 << 53;

/// A typed `integer` value: [`crate::cell::parse_int`] within [`TYPED_INT_MAX`].
fn typed_int(v: &str) -> Result<i64, Malformed> {
    let n = crate::cell::parse_int(v)?;
    if n.unsigned_abs() > TYPED_INT_MAX.unsigned_abs() {
        return Err(Malformed::new(
            "is beyond ±2^53 (9,007,199,254,740,992), the largest whole number a typed column holds (the query's sums and arithmetic on 64-bit integers would wrap silently)",
        ));
    }
    Ok(n)
}

/// Batches a read may decode ahead of what the query has taken.
const AHEAD: usize = 2;

/// Lock `m`, whatever a panicking holder left (the data it guards is only counters and
/// sources, each left whole between batches).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The request stage in front of an input: its subject column, the excluded subjects (in
/// normal form) and the corrections.
pub(super) type RequestFilter = (usize, Arc<FxHashSet<String>>, Vec<Correction>);

/// How an input is opened again, for a further read of a query that reads it more than once.
pub(super) struct Opener {
    /// The input as the job gives it.
    pub input: tokumei_rules::Input,
    /// The request stage in front of it: its subject column, the excluded subjects and the
    /// corrections.
    pub filter: Option<RequestFilter>,
}

impl Opener {
    /// Put the request stage (if any) in front of `source`, counting in `tally`.
    pub fn wrap(&self, source: Box<dyn Source>, tally: &RequestTally) -> Box<dyn Source> {
        match &self.filter {
            Some((col, exclude, corrections)) => {
                let rows = crate::requests::RowRequests::new(
                    source.header(),
                    *col,
                    exclude.iter().cloned(),
                    corrections.clone(),
                    false,
                );
                super::super::requests::filter(source, Arc::new(rows), tally.clone())
            }
            None => source,
        }
    }
}

/// An input's identifier columns, and the values they feed.
pub(super) struct ValuesFeed {
    /// (input column, source number in `values`).
    pub columns: Vec<(usize, usize)>,
    pub keyer: Keyer,
    pub values: Arc<Mutex<IdentifierValues>>,
}

impl ValuesFeed {
    /// Hash the identifier values of `raw` (on the reading thread) and add them (to the spill
    /// file past a size: an error writing it is the run's).
    fn add(&self, raw: &RawBatch) -> Result<(), EngineError> {
        let mut hashes = Vec::with_capacity(raw.len() * self.columns.len());
        for &(col, id) in &self.columns {
            hashes.extend((0..raw.len()).filter_map(|row| self.keyer.hash(id, raw.value(row, col)?)));
        }
        lock(&self.values).extend(&hashes).map_err(|e| crate::error::output_err(&std::env::temp_dir(), e))
    }
}

/// The types of an input's columns in the query, as the job declares them, and what a value
/// that does not parse is reported with.
#[derive(Debug)]
pub(super) struct Typing {
    /// The input file.
    pub file: std::path::PathBuf,
    /// Its table name.
    pub name: String,
    /// Its header.
    pub header: Vec<String>,
    /// Each column's declared type; `None`: text.
    pub types: Vec<Option<ValueType>>,
}

impl Typing {
    /// The Arrow type of input column `c` in the query.
    fn data_type(&self, c: usize) -> DataType {
        self.types.get(c).copied().flatten().map_or(DataType::Utf8, crate::cell::arrow_type)
    }

    /// The typed columns of `raw`, by input column (`None` for a text column): every value
    /// parsed, blanks null; the first that does not parse is an error at its line (or row) and
    /// column, without the value.
    fn parse(&self, raw: &RawBatch) -> Result<Vec<Option<ArrayRef>>, EngineError> {
        let mut out = Vec::with_capacity(self.types.len());
        for (c, ty) in self.types.iter().enumerate() {
            out.push(match ty {
                None | Some(ValueType::String) => None,
                Some(ty @ ValueType::Integer) => {
                    Some(Arc::new(Int64Array::from(self.values(raw, c, *ty, typed_int)?)) as ArrayRef)
                }
                Some(ty @ ValueType::Date) => Some(Arc::new(Date32Array::from(
                    self.values(raw, c, *ty, |v| crate::cell::parse_date(v).map(|d| d.days_since_epoch()))?,
                )) as ArrayRef),
                Some(ty @ ValueType::Boolean) => {
                    Some(Arc::new(BooleanArray::from(self.values(raw, c, *ty, crate::cell::parse_bool)?)) as ArrayRef)
                }
            });
        }
        Ok(out)
    }

    /// Column `c` of `raw` parsed as `ty` with `parse`.
    fn values<T>(
        &self,
        raw: &RawBatch,
        c: usize,
        ty: ValueType,
        parse: impl Fn(&str) -> Result<T, Malformed>,
    ) -> Result<Vec<Option<T>>, EngineError> {
        (0..raw.len())
            .map(|r| {
                raw.value(r, c).map(&parse).transpose().map_err(|Malformed(reason)| EngineError::Malformed {
                    file: self.file.clone(),
                    location: raw.location(r),
                    column: self.header[c].clone(),
                    reason: format!(
                        "{reason} (the job declares it `{}` in the `types` of input `{}`)",
                        ty.as_str(),
                        self.name
                    ),
                })
            })
            .collect()
    }
}

/// A batch of an input as read: its text, and its typed columns parsed.
struct Batch {
    raw: RawBatch,
    /// By input column: the parsed values of a typed column, `None` for a text column.
    typed: Vec<Option<ArrayRef>>,
}

/// One read of an input, from its first batch to its end.
struct Read {
    source: Box<dyn Source>,
    /// A batch read ahead (the first read's first batch, read when the table was made).
    ahead: Option<RawBatch>,
    rows: u64,
    /// Its rows so far, for the running row limit (the first read's).
    counted: Arc<AtomicU64>,
    /// Read to its end.
    end: bool,
    /// No longer read for the query (it is being read to its end for its hash and count).
    finishing: bool,
    /// Where its identifier values go (the first read only: a further read has the same).
    feed: Option<Arc<ValuesFeed>>,
    /// Its columns' types.
    typing: Arc<Typing>,
    /// Where its error goes (the query's first input error).
    error: FirstError,
    /// It met an error (kept in `error`): it gives no further batch, whoever reads it next.
    failed: bool,
    /// Batches handed to the scan's threads so far ([`Read::take`]); the next one whose turn it
    /// is to be accounted for, and those taken not yet accounted for; the next one whose turn it
    /// is to be given to the query (once accounted for: the query's pace never holds up the
    /// accounting, which [`InputState::finish`] waits for).
    taken: u64,
    turn: u64,
    in_flight: usize,
    sent: u64,
}

/// A read shared by the threads of a scan: the read under its lock, and what they wait on for
/// their batch's turn (batches are accounted for and given to the query in the order they were
/// read, whichever thread finished them).
pub(super) struct Shared {
    read: Mutex<Read>,
    turn: std::sync::Condvar,
}

impl Shared {
    fn new(read: Read) -> Arc<Shared> {
        Arc::new(Shared { read: Mutex::new(read), turn: std::sync::Condvar::new() })
    }

    fn lock(&self) -> MutexGuard<'_, Read> {
        lock(&self.read)
    }

    /// The read's lock once `ready` holds of it.
    fn wait(&self, ready: impl Fn(&Read) -> bool) -> MutexGuard<'_, Read> {
        self.turn.wait_while(self.lock(), |r| !ready(r)).unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A batch taken from a read, to be finished away from its lock: parsed already (the read's
/// first batch) or its parse still to run.
enum Pending {
    Batch(RawBatch),
    Task(super::super::Task),
}

/// What a scan's thread takes from a read ([`Read::take`]): the batch's number in the order
/// read, the batch, and what finishing it needs.
struct Taken {
    seq: u64,
    pending: Pending,
    feed: Option<Arc<ValuesFeed>>,
    typing: Arc<Typing>,
}

/// How long [`InputState::finish`] waits for a scan's threads to give back their batches once
/// the query has ended (they end at their next batch: the query no longer takes any).
const FINISH_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// A read that met an error: the error itself is the query's first input error
/// ([`FirstError`]), kept when it was met, under the read's lock.
#[derive(Debug, Clone, Copy)]
struct ReadFailed;

impl Read {
    /// The next batch to finish on a scan's thread (its number in the read's order, and what
    /// its thread needs to finish it), `None` at the end or once the read is being finished.
    /// An error reading it ends the read, but only in its turn: it is taken as a batch whose
    /// finishing gives the error, so that a batch taken before it, with an earlier line's
    /// error, is accounted for first.
    fn take(&mut self) -> Result<Option<Taken>, ReadFailed> {
        if self.failed {
            return Err(ReadFailed);
        }
        if self.finishing {
            return Ok(None);
        }
        let pending = match self.ahead.take() {
            Some(b) => Pending::Batch(b),
            None if self.end => return Ok(None),
            None => match self.source.next_task() {
                Ok(Some(task)) => Pending::Task(task),
                Ok(None) => {
                    self.end = true;
                    return Ok(None);
                }
                // An error reading the next batch (a Parquet row, a CP932 file decoded as it is
                // read) ends the read in its turn: a batch taken before it may hold an earlier
                // line's error, which is the one reported.
                Err(e) => {
                    self.end = true;
                    Pending::Task(Box::new(move || Err(e)))
                }
            },
        };
        let seq = self.taken;
        self.taken += 1;
        self.in_flight += 1;
        Ok(Some(Taken { seq, pending, feed: self.feed.clone(), typing: self.typing.clone() }))
    }

    /// End the read with `e`, kept as the query's first input error.
    fn fail(&mut self, e: EngineError) -> ReadFailed {
        self.failed = true;
        self.end = true;
        self.ahead = None;
        keep_first(&self.error, e);
        ReadFailed
    }

    /// Account for a finished batch of `rows` rows in its turn, or end the read with its error.
    fn account(&mut self, finished: Result<usize, EngineError>) -> Result<(), ReadFailed> {
        if self.failed {
            return Err(ReadFailed);
        }
        match finished {
            Ok(rows) => {
                self.count(rows);
                Ok(())
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// The next batch, accounted for: its rows counted, its identifier values kept, its typed
    /// columns parsed (every value, whether the query reads the column or not). An error is
    /// kept as the query's input error at once and is sticky: the read ends with it, so that a
    /// later reader (the query's scan, or [`InputState::finish`] after a `LIMIT`) cannot carry
    /// on past the batch that failed.
    fn next(&mut self) -> Result<Option<Batch>, ReadFailed> {
        if self.failed {
            return Err(ReadFailed);
        }
        self.read_next().map_err(|e| self.fail(e))
    }

    /// [`Read::next`], its error returned.
    fn read_next(&mut self) -> Result<Option<Batch>, EngineError> {
        let batch = match self.ahead.take() {
            Some(b) => Some(b),
            None if self.end => None,
            None => self.source.next_batch()?,
        };
        let Some(raw) = batch else {
            self.end = true;
            return Ok(None);
        };
        self.count(raw.len());
        finish_batch(Pending::Batch(raw), self.feed.as_deref(), &self.typing).map(Some)
    }

    /// Count a batch of `rows` rows read.
    fn count(&mut self, rows: usize) {
        self.rows += rows as u64;
        self.counted.store(self.rows, Ordering::Relaxed);
    }
}

/// Finish a taken batch away from its read's lock: its parse run, its identifier values hashed,
/// its typed columns parsed ([`Read::read_next`] calls it under the lock).
fn finish_batch(pending: Pending, feed: Option<&ValuesFeed>, typing: &Typing) -> Result<Batch, EngineError> {
    let raw = match pending {
        Pending::Batch(b) => b,
        Pending::Task(task) => task()?,
    };
    if let Some(feed) = feed {
        feed.add(&raw)?;
    }
    let typed = typing.parse(&raw)?;
    Ok(Batch { raw, typed })
}

/// A batch a scan's thread took, through its two turns: accounted for (its rows counted, or its
/// error made the read's), then given to the query, each in the order read. Dropped before
/// both have passed (the thread unwinding), it ends the read with an error and passes them, so
/// that neither the batches after it nor [`InputState::finish`] wait for it for ever.
struct Turn<'a> {
    shared: &'a Shared,
    seq: u64,
    /// Turns passed: 0, 1 (accounted for) or 2 (given to the query, or not to be).
    passed: u8,
}

impl Turn<'_> {
    /// In this batch's turn, account for it as `finished` (its rows, or its error) and pass the
    /// turn: whether the read still stands.
    fn account(&mut self, finished: Result<usize, EngineError>) -> Result<(), ReadFailed> {
        let seq = self.seq;
        let mut r = self.shared.wait(|r| r.turn == seq);
        let accounted = r.account(finished);
        r.turn += 1;
        r.in_flight -= 1;
        self.passed = 1;
        drop(r);
        self.shared.turn.notify_all();
        accounted
    }

    /// In this batch's turn to be given to the query, run `send` (whether the query took it),
    /// and pass the turn.
    fn send(mut self, send: impl FnOnce() -> bool) -> bool {
        self.pass_send(send)
    }

    /// Wait for the turn to be given to the query, run `send`, and pass the turn.
    fn pass_send(&mut self, send: impl FnOnce() -> bool) -> bool {
        let seq = self.seq;
        drop(self.shared.wait(|r| r.sent == seq));
        let taken = send();
        self.shared.lock().sent += 1;
        self.passed = 2;
        self.shared.turn.notify_all();
        taken
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if self.passed == 0 {
            let lost = EngineError::Internal("a batch of a query input was lost while it was read".into());
            let _ = self.account(Err(lost));
        }
        if self.passed == 1 {
            self.pass_send(|| false);
        }
    }
}

/// The first input error any read met (DataFusion is given an error without it, and the query
/// reports this one instead).
pub(super) type FirstError = Arc<Mutex<Option<EngineError>>>;

/// An input of a query: its reads, and what is needed to open another.
pub(super) struct InputState {
    /// Its table name.
    pub name: String,
    opener: Opener,
    header: Vec<String>,
    typing: Arc<Typing>,
    /// Every read so far; the first is made with the table.
    reads: Mutex<Vec<Arc<Shared>>>,
    /// Reads handed to the query so far.
    started: Mutex<usize>,
    /// Its estimated rows (for planning and the running row limit).
    estimate: u64,
    /// The rows its first read has read.
    counted: Arc<AtomicU64>,
    error: FirstError,
}

impl InputState {
    /// The rows read so far by its first read, or its estimate if more.
    pub fn rows_so_far(&self) -> u64 {
        self.counted.load(Ordering::Relaxed).max(self.estimate)
    }

    /// Its estimated rows.
    pub fn estimate(&self) -> u64 {
        self.estimate
    }

    /// A read for the query: the first, then a new one for each further scan.
    fn start(&self) -> Result<Arc<Shared>, EngineError> {
        let mut started = lock(&self.started);
        let mut reads = lock(&self.reads);
        if let Some(read) = reads.get(*started) {
            *started += 1;
            return Ok(read.clone());
        }
        if reads.len() >= MAX_READS {
            return Err(EngineError::Input {
                file: self.opener.input.path.clone(),
                message: format!(
                    "the query reads this input more than {MAX_READS} times (each time from the file, to its end): refused; nothing is written\n  hint: a recursive query whose recursive part reads an input reads it once per step: join the input outside the recursive part"
                ),
            });
        }
        let source = super::super::open_input(&self.opener.input)?;
        if source.header() != self.header.as_slice() {
            return Err(changed(&self.opener.input.path));
        }
        // Its exclusions were counted by the first read.
        let source = self.opener.wrap(source, &RequestTally::default());
        let read = Shared::new(Read {
            source,
            ahead: None,
            rows: 0,
            counted: Arc::default(),
            end: false,
            finishing: false,
            feed: None,
            typing: self.typing.clone(),
            error: self.error.clone(),
            failed: false,
            taken: 0,
            turn: 0,
            in_flight: 0,
            sent: 0,
        });
        reads.push(read.clone());
        *started += 1;
        Ok(read)
    }

    /// Read every read to its end (what the query did not read is read now, counted and
    /// hashed): the input's rows and SHA-256, the same for every read. A read that met an
    /// error, now or while the query read it, gives the query's first input error.
    pub fn finish(&self) -> Result<(u64, String), EngineError> {
        let reads: Vec<_> = lock(&self.reads).clone();
        let mut facts: Option<(u64, String)> = None;
        for read in reads {
            let mut r = read.lock();
            r.finishing = true;
            // Batches a scan's thread still holds are accounted for before the rest is read
            // (the query has ended: its threads take no more and give theirs back).
            let (guard, waited) = read
                .turn
                .wait_timeout_while(r, FINISH_WAIT, |r| r.in_flight > 0)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            r = guard;
            if waited.timed_out() {
                return Err(EngineError::Internal(format!("a read of input {} did not end with its query", self.name)));
            }
            loop {
                match r.next() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(ReadFailed) => return Err(self.failure()),
                }
            }
            let read = (r.rows, r.source.stats().sha256());
            match &facts {
                Some(first) if *first != read => return Err(changed(&self.opener.input.path)),
                Some(_) => {}
                None => facts = Some(read),
            }
        }
        facts.ok_or_else(|| EngineError::Internal(format!("input {} was never opened", self.name)))
    }

    /// The error a failed read kept: the query's first input error.
    fn failure(&self) -> EngineError {
        lock(&self.error)
            .take()
            .unwrap_or_else(|| EngineError::Internal(format!("a read of input {} failed without its error", self.name)))
    }

    /// Its text encoding (CSV).
    pub fn encoding(&self) -> Option<&'static str> {
        lock(&self.reads).first().and_then(|r| r.lock().source.encoding())
    }
}

/// The error for an input whose reads differ.
fn changed(path: &std::path::Path) -> EngineError {
    EngineError::Input {
        file: path.to_path_buf(),
        message: "changed while the query read it (the query reads it twice, and the two reads differ); nothing is written\n  hint: run again once nothing writes the file".into(),
    }
}

/// An input as a DataFusion table of nullable columns, text unless the job types them (blank
/// values are null, as everywhere in tokumei).
#[derive(Debug)]
pub(super) struct InputTable {
    state: Arc<InputState>,
    schema: SchemaRef,
    /// Mean bytes of each column's values in the first batch.
    widths: Vec<usize>,
}

impl std::fmt::Debug for InputState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "input {}", self.name)
    }
}

impl InputTable {
    /// The table of `source` (the input's first read, checked and behind its request stage),
    /// its columns typed by `typing`, its first batch read now for the estimates the planner
    /// needs (which side of a join to hold), its identifier values fed to `feed`; errors of any
    /// read go to `error`.
    pub fn new(
        opener: Opener,
        mut source: Box<dyn Source>,
        typing: Typing,
        feed: Option<Arc<ValuesFeed>>,
        error: FirstError,
    ) -> Result<(InputTable, Arc<InputState>), EngineError> {
        let header = source.header().to_vec();
        if typing.header != header {
            return Err(EngineError::Internal(format!("the types of input {} are not of its header", typing.name)));
        }
        let schema = Arc::new(Schema::new(
            header.iter().enumerate().map(|(c, h)| Field::new(h, typing.data_type(c), true)).collect::<Vec<_>>(),
        ));
        let ahead = source.next_batch()?;
        let first = ahead.as_ref().map_or(0, RawBatch::len);
        let widths: Vec<usize> = (0..header.len())
            .map(|c| match typing.data_type(c).primitive_width() {
                Some(width) => width,
                None => {
                    let bytes: usize =
                        ahead.as_ref().map_or(0, |b| (0..b.len()).map(|r| b.value(r, c).map_or(0, str::len)).sum());
                    bytes / first.max(1)
                }
            })
            .collect();
        let (read_bytes, size) = (source.stats().bytes(), source.size());
        let estimate = match (source.rows_hint(), size) {
            (Some(rows), _) => rows,
            (None, Some(size)) if read_bytes > 0 && read_bytes < size => {
                (first as u128 * size as u128 / read_bytes as u128).try_into().unwrap_or(u64::MAX)
            }
            _ => first as u64,
        };
        let counted = Arc::new(AtomicU64::new(0));
        let typing = Arc::new(typing);
        let read = Read {
            source,
            ahead,
            rows: 0,
            counted: counted.clone(),
            end: false,
            finishing: false,
            feed,
            typing: typing.clone(),
            error: error.clone(),
            failed: false,
            taken: 0,
            turn: 0,
            in_flight: 0,
            sent: 0,
        };
        let state = Arc::new(InputState {
            name: typing.name.clone(),
            opener,
            header,
            typing,
            reads: Mutex::new(vec![Shared::new(read)]),
            started: Mutex::new(0),
            estimate,
            counted,
            error,
        });
        Ok((InputTable { state: state.clone(), schema, widths }, state))
    }
}

#[async_trait::async_trait]
impl TableProvider for InputTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let columns: Vec<usize> = projection.cloned().unwrap_or_else(|| (0..self.schema.fields().len()).collect());
        let schema = project_schema(&self.schema, Some(&columns))?;
        let rows = usize::try_from(self.state.estimate).unwrap_or(usize::MAX);
        let width: usize = columns.iter().map(|&c| self.widths[c] + 8).sum();
        let mut stats = Statistics::new_unknown(&schema);
        stats.num_rows = Precision::Inexact(rows);
        stats.total_byte_size = Precision::Inexact(rows.saturating_mul(width));
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Ok(Arc::new(InputScan { state: self.state.clone(), columns, schema, properties, stats: Arc::new(stats) }))
    }
}

/// Threads that finish a scan's batches: the machine's cores, at most four.
fn finishers() -> usize {
    // Tests run four whatever the machine, so that batches are finished out of order.
    if cfg!(test) {
        return 4;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4)
}

/// A scan of an input: one partition, its batches read on one thread and finished on
/// [`finishers`] threads, given to the query in the order read.
#[derive(Debug)]
struct InputScan {
    state: Arc<InputState>,
    /// The input columns it gives, in order.
    columns: Vec<usize>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    stats: Arc<Statistics>,
}

impl DisplayAs for InputScan {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "InputScan: {}, {} of {} columns", self.state.name, self.columns.len(), self.state.header.len())
    }
}

impl ExecutionPlan for InputScan {
    fn name(&self) -> &str {
        "InputScan"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, _children: Vec<Arc<dyn ExecutionPlan>>) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn statistics_from_inputs(&self, _inputs: &[Arc<Statistics>], _args: &StatisticsArgs) -> DfResult<Arc<Statistics>> {
        Ok(self.stats.clone())
    }

    fn execute(&self, partition: usize, _context: Arc<TaskContext>) -> DfResult<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!("input scan partition {partition} of 1")));
        }
        let error = self.state.error.clone();
        let read = self.state.start().map_err(|e| failed(&error, e))?;
        let mut builder = RecordBatchReceiverStreamBuilder::new(self.schema.clone(), AHEAD);
        // The read itself (and its SHA-256) stays one; its batches are parsed, hashed and
        // copied out on several threads, and given to the query in the order read.
        for _ in 0..finishers() {
            let (read, columns, schema) = (read.clone(), self.columns.clone(), self.schema.clone());
            let tx = builder.tx();
            builder.spawn_blocking(move || {
                loop {
                    let taken = read.lock().take();
                    let Taken { seq, pending, feed, typing } = match taken {
                        Ok(Some(t)) => t,
                        Ok(None) => return Ok(()),
                        Err(ReadFailed) => return Err(withheld()),
                    };
                    let mut turn = Turn { shared: &read, seq, passed: 0 };
                    let finished = finish_batch(pending, feed.as_deref(), &typing)
                        .and_then(|b| Ok((b.raw.len(), record_batch(&b, &columns, &schema)?)));
                    let (rows, finished) = match finished {
                        Ok((rows, batch)) => (Ok(rows), Some(batch)),
                        Err(e) => (Err(e), None),
                    };
                    let batch = match (turn.account(rows), finished) {
                        (Ok(()), Some(batch)) => batch,
                        _ => {
                            turn.send(|| false);
                            return Err(withheld());
                        }
                    };
                    if !turn.send(|| tx.blocking_send(Ok(batch)).is_ok()) {
                        return Ok(()); // the query needs no more
                    }
                }
            });
        }
        Ok(builder.build())
    }
}

/// Keep `e` as the query's input error (the first one), and give DataFusion an error that
/// says nothing of it.
fn failed(first: &FirstError, e: EngineError) -> DataFusionError {
    keep_first(first, e);
    withheld()
}

/// Keep `e` as the query's input error unless one is kept already.
fn keep_first(first: &FirstError, e: EngineError) {
    let mut slot = lock(first);
    if slot.is_none() {
        *slot = Some(e);
    }
}

/// What DataFusion is told of an input error (the query reports the input's own).
fn withheld() -> DataFusionError {
    DataFusionError::Execution("an input of the query could not be read".into())
}

/// The `columns` of a batch as a record batch of nullable columns: its typed columns as parsed,
/// the others as text (blank values are null).
fn record_batch(batch: &Batch, columns: &[usize], schema: &SchemaRef) -> Result<RecordBatch, EngineError> {
    let raw = &batch.raw;
    let arrays: Vec<ArrayRef> = columns
        .iter()
        .map(|&c| match batch.typed.get(c) {
            Some(Some(typed)) => typed.clone(),
            _ => {
                // Sized once for the column's text: grown as it filled, it was copied into fresh
                // memory several times a batch (names and addresses are long).
                let bytes: usize = (0..raw.len()).map(|r| raw.value(r, c).map_or(0, str::len)).sum();
                let mut b = StringBuilder::with_capacity(raw.len(), bytes);
                for r in 0..raw.len() {
                    b.append_option(raw.value(r, c));
                }
                Arc::new(b.finish()) as ArrayRef
            }
        })
        .collect();
    let options = RecordBatchOptions::new().with_row_count(Some(raw.len()));
    RecordBatch::try_new_with_options(schema.clone(), arrays, &options)
        .map_err(|e| EngineError::Internal(format!("input batch: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, StringArray};
    use arrow::datatypes::{Date32Type, Int64Type};

    /// A typing of the columns `header` with `types`, for input `税` of `tax.csv`.
    fn typing(header: &[&str], types: &[Option<ValueType>]) -> Typing {
        Typing {
            file: "tax.csv".into(),
            name: "税".into(),
            header: header.iter().map(|h| h.to_string()).collect(),
            types: types.to_vec(),
        }
    }

    /// A CSV batch of `records` (one field each per column), the first on line 2.
    fn csv_batch(records: &[&[&str]]) -> RawBatch {
        let fields = records.first().map_or(0, |r| r.len());
        let (mut text, mut bounds) = (String::new(), vec![0u32]);
        for record in records {
            for field in *record {
                text.push_str(field);
                text.push(',');
                bounds.push(u32::try_from(text.len()).unwrap());
            }
        }
        let lines = (0..records.len() as u64).map(|r| r + 2).collect();
        RawBatch::Csv { text, bounds, fields, lines }
    }

    #[test]
    fn typed_columns_are_parsed_by_tokumei_s_parsers_and_blanks_are_null() {
        let t = typing(
            &["宛名番号", "課税所得", "生年月日", "国保加入"],
            &[None, Some(ValueType::Integer), Some(ValueType::Date), Some(ValueType::Boolean)],
        );
        let raw = csv_batch(&[
            &["0012", "1,200,000", "昭和60年4月1日", "はい"],
            &["0013", "１５０００００", "H2.3.4", "0"],
            &["0014", " ", "2001/2/3", "false"],
            &["0015", "-5", "", ""],
        ]);
        let typed = t.parse(&raw).unwrap();
        assert!(typed[0].is_none(), "an undeclared column stays text");
        let ints = typed[1].as_ref().unwrap().as_primitive::<Int64Type>();
        assert_eq!(ints.iter().collect::<Vec<_>>(), [Some(1_200_000), Some(1_500_000), None, Some(-5)]);
        let dates = typed[2].as_ref().unwrap().as_primitive::<Date32Type>();
        let iso: Vec<Option<String>> =
            dates.iter().map(|d| d.map(|d| tokumei_jp::Date::from_days_since_epoch(d).to_string())).collect();
        assert_eq!(iso, [Some("1985-04-01".into()), Some("1990-03-04".into()), Some("2001-02-03".into()), None]);
        let yes = typed[3].as_ref().unwrap().as_boolean();
        assert_eq!(yes.iter().collect::<Vec<_>>(), [Some(true), Some(false), Some(false), None]);
        // The record batch the query reads: the typed columns as parsed, the others as text.
        let schema = Arc::new(Schema::new(vec![
            Field::new("宛名番号", t.data_type(0), true),
            Field::new("課税所得", t.data_type(1), true),
        ]));
        assert_eq!((schema.field(0).data_type(), schema.field(1).data_type()), (&DataType::Utf8, &DataType::Int64));
        let batch = record_batch(&Batch { raw, typed }, &[0, 1], &schema).unwrap();
        assert_eq!(batch.column(0).as_string::<i32>().value(0), "0012", "text keeps its writing");
        assert_eq!(batch.column(1).as_primitive::<Int64Type>().value(1), 1_500_000);
    }

    #[test]
    fn a_value_that_does_not_parse_is_named_by_line_and_column_never_quoted() {
        let t = typing(&["宛名番号", "課税所得"], &[None, Some(ValueType::Integer)]);
        let raw = csv_batch(&[&["0012", "1,200,000"], &["0013", "十二万円"]]);
        let e = t.parse(&raw).unwrap_err();
        assert!(matches!(e, EngineError::Malformed { .. }), "{e:?}");
        let text = e.to_string();
        assert!(text.starts_with("tax.csv: line 3, column `課税所得`: is not a whole number"), "{text}");
        assert!(text.contains("`integer`") && text.contains("input `税`") && !text.contains("十二万"), "{text}");
        // A Parquet input's rows are numbered.
        let t = typing(&["生年月日"], &[Some(ValueType::Date)]);
        let raw = RawBatch::Arrow {
            columns: vec![StringArray::from(vec![Some("2001-02-03"), None, Some("2001-02-30")])],
            first_row: 40,
        };
        let text = t.parse(&raw).unwrap_err().to_string();
        assert!(text.starts_with("tax.csv: row 42, column `生年月日`: is not a valid date"), "{text}");
        assert!(!text.contains("2001-02-30"), "{text}");
        // An integer past ±2^53 (the query's sums would wrap in i64), at its line, unquoted.
        let t = typing(&["課税所得"], &[Some(ValueType::Integer)]);
        let raw = csv_batch(&[&["9007199254740992"], &["-9,007,199,254,740,992"], &["9007199254740993"]]);
        let text = t.parse(&raw).unwrap_err().to_string();
        assert!(text.starts_with("tax.csv: line 4, column `課税所得`: is beyond ±2^53"), "{text}");
        assert!(!text.contains("9007199254740993"), "{text}");
        let raw = csv_batch(&[&["9007199254740992"], &["-9,007,199,254,740,992"]]);
        let ints = t.parse(&raw).unwrap().remove(0).unwrap();
        assert_eq!(ints.as_primitive::<Int64Type>().values(), &[1 << 53, -(1 << 53)]);
        let t = typing(&["国保加入"], &[Some(ValueType::Boolean)]);
        let text = t.parse(&csv_batch(&[&["たぶん"]])).unwrap_err().to_string();
        assert!(text.contains("line 2, column `国保加入`") && !text.contains("たぶん"), "{text}");
    }

    /// A CSV input `tax.csv` in `dir` of `text`, opened as the table `税` with `types`.
    fn tax_table(dir: &std::path::Path, text: &str, types: Vec<Option<ValueType>>) -> (InputTable, Arc<InputState>) {
        table_of(dir, text.as_bytes(), (tokumei_rules::Encoding::Utf8, b','), types)
    }

    /// The table of a file `tax.csv` of `bytes` in `encoding`, fields split at `delimiter`.
    fn table_of(
        dir: &std::path::Path,
        bytes: &[u8],
        (encoding, delimiter): (tokumei_rules::Encoding, u8),
        types: Vec<Option<ValueType>>,
    ) -> (InputTable, Arc<InputState>) {
        let path = dir.join("tax.csv");
        std::fs::write(&path, bytes).unwrap();
        let input = tokumei_rules::Input {
            name: Some("税".into()),
            path: path.clone(),
            format: tokumei_rules::InputFormat::Csv,
            encoding,
            delimiter,
            persons: true,
            types: Vec::new(),
        };
        let source = super::super::super::open_input(&input).unwrap();
        let typing = Typing { file: path, name: "税".into(), header: source.header().to_vec(), types };
        let opener = Opener { input, filter: None };
        InputTable::new(opener, source, typing, None, FirstError::default()).unwrap()
    }

    #[test]
    fn a_read_that_failed_stays_failed_and_finishing_gives_its_error() {
        // Two batches (the decoder cuts at 4 MiB): the second holds a value that does not parse.
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("宛名番号,課税所得,備考\n");
        let pad = "x".repeat(60);
        for i in 0..100_000 {
            let amount = if i == 90_000 { "12x".to_string() } else { i.to_string() };
            text.push_str(&format!("{i:06},{amount},{pad}\n"));
        }
        let (_table, state) = tax_table(dir.path(), &text, vec![None, Some(ValueType::Integer), None]);
        let read = state.start().unwrap();
        assert!(matches!(read.lock().next(), Ok(Some(_))), "the first batch parses");
        assert!(read.lock().next().is_err(), "the second does not");
        // Whoever reads it next (the query's scan, or finishing after a LIMIT) meets the error
        // again, never the batch after it.
        assert!(read.lock().next().is_err(), "the error is sticky");
        let e = state.finish().unwrap_err().to_string();
        assert!(e.contains("tax.csv: line 90002, column `課税所得`: is not a whole number"), "{e}");
        assert!(!e.contains("12x"), "{e}");
    }

    /// `rows` rows of (宛名番号, 課税所得, padding) split at `,`, 宛名番号 numbered from 0
    /// (several 4 MiB batches); 課税所得 does not parse at the rows in `bad`. Past `short` rows
    /// the padding is long: the batches there hold few rows and are finished far sooner than
    /// those before.
    fn numbered(rows: usize, bad: &[usize], short: usize) -> String {
        let mut text = String::from("宛名番号,課税所得,備考\n");
        let (none, long) = (String::new(), "x".repeat(1000));
        for i in 0..rows {
            let amount = if bad.contains(&i) { "12x".to_string() } else { i.to_string() };
            let pad = if i < short { &none } else { &long };
            text.push_str(&format!("{i:07},{amount},{pad}\n"));
        }
        text
    }

    /// Run `sql` over `table` as `税` on two threads.
    fn query(table: InputTable, sql: &str) -> DfResult<Vec<RecordBatch>> {
        let ctx = datafusion::prelude::SessionContext::new_with_config(
            datafusion::prelude::SessionConfig::new().with_target_partitions(2),
        );
        ctx.register_table("税", Arc::new(table)).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let out = runtime.block_on(async { ctx.sql(sql).await?.collect().await });
        runtime.shutdown_background();
        out
    }

    #[test]
    fn a_scan_finished_on_several_threads_gives_its_rows_in_the_order_read() {
        let dir = tempfile::tempdir().unwrap();
        // Four batches of many short rows, then about ten of a few long ones: a thread that
        // takes one of the latter finishes it before the thread holding a former one.
        let rows = 1_040_000;
        let text = numbered(rows, &[], 1_000_000);
        let (table, state) = tax_table(dir.path(), &text, vec![None, Some(ValueType::Integer), None]);
        let batches = query(table, "SELECT 宛名番号, 課税所得 FROM 税").unwrap();
        let (mut next, mut seen) = (0usize, 0usize);
        for b in &batches {
            let (ids, amounts) = (b.column(0).as_string::<i32>(), b.column(1).as_primitive::<Int64Type>());
            for r in 0..b.num_rows() {
                assert_eq!(ids.value(r), format!("{next:07}"), "row {seen} out of order");
                assert_eq!(amounts.value(r), next as i64);
                next += 1;
                seen += 1;
            }
        }
        assert_eq!(seen, rows);
        assert_eq!(state.finish().unwrap().0, rows as u64, "every row counted once");
    }

    #[test]
    fn a_query_that_stops_early_leaves_every_row_counted() {
        let dir = tempfile::tempdir().unwrap();
        let rows = 400_000;
        let (table, state) =
            tax_table(dir.path(), &numbered(rows, &[], 300_000), vec![None, Some(ValueType::Integer), None]);
        let batches = query(table, "SELECT 宛名番号 FROM 税 LIMIT 3").unwrap();
        let ids: Vec<&str> = batches.iter().flat_map(|b| b.column(0).as_string::<i32>().iter().flatten()).collect();
        assert_eq!(ids, ["0000000", "0000001", "0000002"], "the first rows read");
        // What the query left is read now: every row counted once (batches its threads held
        // when it stopped are not lost nor counted twice).
        assert_eq!(state.finish().unwrap().0, rows as u64);
    }

    #[test]
    fn of_two_bad_values_in_different_batches_the_first_read_is_reported() {
        for _ in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            // Bad values in the second batch and in the third (both of many rows, taken at
            // once by two threads): whichever finishes first, the error is the earlier line's.
            let text = numbered(600_000, &[300_000, 530_000], 600_000);
            let (table, state) = tax_table(dir.path(), &text, vec![None, Some(ValueType::Integer), None]);
            assert!(query(table, "SELECT COUNT(*) FROM 税").is_err());
            let e = state.finish().unwrap_err().to_string();
            assert!(e.contains("tax.csv: line 300002, column `課税所得`"), "{e}");
        }
    }

    #[test]
    fn a_batch_that_cannot_be_read_does_not_hide_an_earlier_line_s_error() {
        // CP932 split at `|` (a byte CP932 may use inside a character) is decoded as it is read
        // (4 MiB ahead of the batch cut): bytes that are not CP932 on line 1000002 fail the
        // taking of a later batch while the thread that took the second is still parsing the
        // value of line 300002 that is no number.
        for _ in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            let mut bytes = encoding_rs::SHIFT_JIS.encode("宛名番号|課税所得|備考\n").0.into_owned();
            for i in 0..1_100_000usize {
                let amount = if i == 300_000 { "12x".to_string() } else { i.to_string() };
                bytes.extend_from_slice(format!("{i:07}|{amount}|").as_bytes());
                if i == 1_000_000 {
                    bytes.extend_from_slice(&[0x81, 0x20]); // a lead byte without its trail
                }
                bytes.push(b'\n');
            }
            let types = vec![None, Some(ValueType::Integer), None];
            let (table, state) = table_of(dir.path(), &bytes, (tokumei_rules::Encoding::Cp932, b'|'), types);
            assert!(query(table, "SELECT COUNT(*) FROM 税").is_err());
            let e = state.finish().unwrap_err().to_string();
            assert!(e.contains("tax.csv: line 300002, column `課税所得`"), "{e}");
        }
    }

    #[test]
    fn sql_over_a_typed_input_compares_and_sums_numbers_and_dates() {
        let dir = tempfile::tempdir().unwrap();
        let text = "宛名番号,課税所得,賦課日\n1,\"1,200,000\",令和6年6月1日\n2,999000,2024-05-31\n3,１５０００００,R6.6.2\n4,,\n";
        let types = vec![None, Some(ValueType::Integer), Some(ValueType::Date)];
        let (table, _state) = tax_table(dir.path(), text, types);
        let types: Vec<DataType> = table.schema().fields().iter().map(|f| f.data_type().clone()).collect();
        assert_eq!(types, [DataType::Utf8, DataType::Int64, DataType::Date32]);
        let ctx = datafusion::prelude::SessionContext::new();
        ctx.register_table("税", Arc::new(table)).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let batches = runtime
            .block_on(async {
                ctx.sql(
                    "SELECT COUNT(*) AS n, SUM(課税所得) AS total, MAX(賦課日) AS last FROM 税 \
                     WHERE 課税所得 > 1000000 AND 賦課日 >= DATE '2024-06-01'",
                )
                .await?
                .collect()
                .await
            })
            .unwrap();
        let b = &batches[0];
        assert_eq!(b.column(0).as_primitive::<Int64Type>().value(0), 2, "999000 is below 1000000 as a number");
        assert_eq!(b.column(1).as_primitive::<Int64Type>().value(0), 2_700_000);
        let last = b.column(2).as_primitive::<Date32Type>().value(0);
        assert_eq!(tokumei_jp::Date::from_days_since_epoch(last).to_string(), "2024-06-02");
        runtime.shutdown_background();
    }
}
