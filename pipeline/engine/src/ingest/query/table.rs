//! An input of a query job as a table DataFusion reads as it needs its rows: tokumei's own
//! decoder (line-precise errors, hashed as it is read, behind the request stage) gives batches
//! of text columns, only the columns the query uses, on a thread of their own.
//!
//! Whatever reads a batch accounts for it (its rows counted, its identifier values hashed), so
//! an input the query stops reading early (a `LIMIT`, a join whose other side is empty) or
//! never reads is read to its end afterwards ([`InputState::finish`]): its SHA-256, row count
//! and identifier values are complete. A query that reads an input twice (a self-join, a
//! recursive query) reads its file twice; both reads must agree (SHA-256 and rows), else the
//! file changed while it was read and the run stops.

use super::super::lineage::{IdentifierValues, Keyer};
use super::super::{RawBatch, Source};
use crate::EngineError;
use crate::requests::{Correction, RequestTally};
use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions, StringBuilder};
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

/// Reads of one input a query may make (a self-join reads it twice; a recursive query whose
/// recursive part reads it, once per step).
const MAX_READS: usize = 16;

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
                super::super::requests::filter(source, *col, exclude.clone(), corrections.clone(), false, tally.clone())
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
}

impl Read {
    /// The next batch, accounted for: its rows counted, its identifier values kept.
    fn next(&mut self) -> Result<Option<RawBatch>, EngineError> {
        let batch = match self.ahead.take() {
            Some(b) => Some(b),
            None if self.end => None,
            None => self.source.next_batch()?,
        };
        match &batch {
            Some(b) => {
                self.rows += b.len() as u64;
                self.counted.store(self.rows, Ordering::Relaxed);
                if let Some(feed) = &self.feed {
                    feed.add(b)?;
                }
            }
            None => self.end = true,
        }
        Ok(batch)
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
    /// Every read so far; the first is made with the table.
    reads: Mutex<Vec<Arc<Mutex<Read>>>>,
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
    fn start(&self) -> Result<Arc<Mutex<Read>>, EngineError> {
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
        let read = Arc::new(Mutex::new(Read {
            source,
            ahead: None,
            rows: 0,
            counted: Arc::default(),
            end: false,
            finishing: false,
            feed: None,
        }));
        reads.push(read.clone());
        *started += 1;
        Ok(read)
    }

    /// Read every read to its end (what the query did not read is read now, counted and
    /// hashed): the input's rows and SHA-256, the same for every read.
    pub fn finish(&self) -> Result<(u64, String), EngineError> {
        let reads: Vec<_> = lock(&self.reads).clone();
        let mut facts: Option<(u64, String)> = None;
        for read in reads {
            let mut r = lock(&read);
            r.finishing = true;
            while r.next()?.is_some() {}
            let read = (r.rows, r.source.stats().sha256());
            match &facts {
                Some(first) if *first != read => return Err(changed(&self.opener.input.path)),
                Some(_) => {}
                None => facts = Some(read),
            }
        }
        facts.ok_or_else(|| EngineError::Internal(format!("input {} was never opened", self.name)))
    }

    /// Its text encoding (CSV).
    pub fn encoding(&self) -> Option<&'static str> {
        lock(&self.reads).first().and_then(|r| lock(r).source.encoding())
    }
}

/// The error for an input whose reads differ.
fn changed(path: &std::path::Path) -> EngineError {
    EngineError::Input {
        file: path.to_path_buf(),
        message: "changed while the query read it (the query reads it twice, and the two reads differ); nothing is written\n  hint: run again once nothing writes the file".into(),
    }
}

/// An input as a DataFusion table of nullable text columns (blank values are null, as
/// everywhere in tokumei).
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
    /// its first batch read now for the estimates the planner needs (which side of a join to
    /// hold), its identifier values fed to `feed`; errors of any read go to `error`.
    pub fn new(
        name: String,
        opener: Opener,
        mut source: Box<dyn Source>,
        feed: Option<Arc<ValuesFeed>>,
        error: FirstError,
    ) -> Result<(InputTable, Arc<InputState>), EngineError> {
        let header = source.header().to_vec();
        let schema =
            Arc::new(Schema::new(header.iter().map(|h| Field::new(h, DataType::Utf8, true)).collect::<Vec<_>>()));
        let ahead = source.next_batch()?;
        let first = ahead.as_ref().map_or(0, RawBatch::len);
        let widths: Vec<usize> = (0..header.len())
            .map(|c| {
                let bytes: usize =
                    ahead.as_ref().map_or(0, |b| (0..b.len()).map(|r| b.value(r, c).map_or(0, str::len)).sum());
                bytes / first.max(1)
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
        let read = Read { source, ahead, rows: 0, counted: counted.clone(), end: false, finishing: false, feed };
        let state = Arc::new(InputState {
            name,
            opener,
            header,
            reads: Mutex::new(vec![Arc::new(Mutex::new(read))]),
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

/// A scan of an input: one partition, its batches read on a thread of their own.
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
        let (columns, schema) = (self.columns.clone(), self.schema.clone());
        let mut builder = RecordBatchReceiverStreamBuilder::new(schema.clone(), AHEAD);
        let tx = builder.tx();
        builder.spawn_blocking(move || {
            loop {
                let next = {
                    let mut r = lock(&read);
                    if r.finishing {
                        return Ok(());
                    }
                    r.next()
                };
                match next {
                    Ok(Some(raw)) => {
                        let batch = record_batch(&raw, &columns, &schema).map_err(|e| failed(&error, e))?;
                        if tx.blocking_send(Ok(batch)).is_err() {
                            return Ok(()); // the query needs no more
                        }
                    }
                    Ok(None) => return Ok(()),
                    Err(e) => return Err(failed(&error, e)),
                }
            }
        });
        Ok(builder.build())
    }
}

/// Keep `e` as the query's input error (the first one), and give DataFusion an error that
/// says nothing of it.
fn failed(first: &FirstError, e: EngineError) -> DataFusionError {
    let mut slot = lock(first);
    if slot.is_none() {
        *slot = Some(e);
    }
    DataFusionError::Execution("an input of the query could not be read".into())
}

/// The `columns` of a batch of text values as a record batch of nullable text columns (blank
/// values are null).
fn record_batch(raw: &RawBatch, columns: &[usize], schema: &SchemaRef) -> Result<RecordBatch, EngineError> {
    let arrays: Vec<ArrayRef> = columns
        .iter()
        .map(|&c| {
            let mut b = StringBuilder::with_capacity(raw.len(), raw.len() * 8);
            for r in 0..raw.len() {
                b.append_option(raw.value(r, c));
            }
            Arc::new(b.finish()) as ArrayRef
        })
        .collect();
    let options = RecordBatchOptions::new().with_row_count(Some(raw.len()));
    RecordBatch::try_new_with_options(schema.clone(), arrays, &options)
        .map_err(|e| EngineError::Internal(format!("input batch: {e}")))
}
