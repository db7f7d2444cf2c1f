//! Jobs over several extracts, or a filtered one: each input is read with tokumei's own
//! decoding (line-precise errors, hashed as it is read) into a table of text columns, and the
//! job's SQL runs on DataFusion; the rules see its result as if it were one input.
//!
//! Only a `SELECT` runs: no DDL, no `COPY`/`INSERT`, no statements, and no table but the
//! job's inputs (URL tables are off), so a query can neither write nor read anything else.
//! Errors while planning name the query and the position; errors while running are reported
//! without DataFusion's message, which can quote a value.

use super::lineage::{self, IdentifierValues, Identifiers, QueryLineage, SourceColumn};
use super::{BATCH_ROWS, RawBatch, ReadStats, Source};
use crate::EngineError;
use arrow::array::{ArrayRef, AsArray, RecordBatch, StringArray, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use futures::StreamExt;
use std::path::PathBuf;
use std::sync::Arc;
use tokumei_rules::{Job, Query};

/// What was read of one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFacts {
    /// Its table name (`input` for a single unnamed input).
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// `csv` or `parquet`.
    pub format: &'static str,
    /// The text encoding used (CSV).
    pub encoding: Option<&'static str>,
    /// Data rows read.
    pub rows: u64,
}

/// The result of a job's query, streamed as text batches.
pub struct QuerySource {
    header: Vec<String>,
    runtime: tokio::runtime::Runtime,
    stream: SendableRecordBatchStream,
    stats: ReadStats,
    next_row: u64,
    inputs: Vec<InputFacts>,
    file: PathBuf,
    lineage: QueryLineage,
    values: Arc<IdentifierValues>,
}

/// The name errors give the query's result: the job file with `(query)`.
pub fn query_file(job: &Job) -> PathBuf {
    PathBuf::from(format!("{} (query)", job.path.display()))
}

/// A job error about the query (exit 3), at the position in the job file of the query's own
/// `at Line: L, Column: C`, if the message gives one.
fn config(job: &Job, what: &str, message: impl std::fmt::Display) -> EngineError {
    let message = message.to_string();
    let position = message.rfind(" at Line: ").and_then(|i| {
        let (l, c) = message[i + " at Line: ".len()..].split_once(", Column: ")?;
        let (l, c): (usize, usize) = (l.trim().parse().ok()?, c.trim().parse().ok()?);
        Some((i, l, c))
    });
    match (position, job.query_at) {
        (Some((i, l, c)), Some((line, col))) => {
            let (file_line, file_col) = if l == 1 { (line, col + c - 1) } else { (line + l - 1, c) };
            EngineError::Config(format!(
                "{}:{file_line}:{file_col}: {what}: {} (line {l}, column {c} of the SQL)",
                job.path.display(),
                &message[..i]
            ))
        }
        _ => EngineError::Config(format!("{}: {what}: {message}", job.path.display())),
    }
}

/// DataFusion's message for an error made while parsing or planning: it names identifiers and
/// positions, never a row's value.
fn planning_message(e: &DataFusionError) -> String {
    match e.find_root() {
        DataFusionError::SQL(p, _) => match p.as_ref() {
            datafusion::sql::sqlparser::parser::ParserError::ParserError(m)
            | datafusion::sql::sqlparser::parser::ParserError::TokenizerError(m) => m.clone(),
            other => other.to_string(),
        },
        other => other.strip_backtrace(),
    }
}

impl QuerySource {
    /// Read every input and plan the job's query over them, with the lineage of its result's
    /// columns. With `identifiers`, the values of the inputs' identifier columns are kept as
    /// keyed hashes for the residual scan ([`Source::identifier_values`]).
    pub fn open(
        job: &Job,
        requests: Option<(&crate::requests::RequestStage, &crate::requests::RequestTally)>,
        identifiers: Option<&Identifiers>,
    ) -> Result<QuerySource, EngineError> {
        let mut values = IdentifierValues::default();
        let exclude = requests.map(|(r, _)| {
            std::sync::Arc::new(
                r.exclude.iter().map(|s| crate::requests::normalize_subject(s)).collect::<rustc_hash::FxHashSet<_>>(),
            )
        });
        let query = job.query.as_ref().ok_or_else(|| EngineError::Internal("a query source without a query".into()))?;
        let stats = ReadStats::default();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let session = SessionConfig::new().with_batch_size(BATCH_ROWS).with_target_partitions(cores);
        let ctx = SessionContext::new_with_config(session);
        let mut inputs = Vec::with_capacity(job.inputs.len());
        for input in &job.inputs {
            let name = input.name.clone().unwrap_or_else(|| "input".into());
            let mut source = super::open_input(input)?;
            super::check_header(&input.path, source.header(), &[], "")?;
            // Residents' requests apply to each table of people before the query reads it (an
            // aggregate over an input must not see an excluded person either).
            if let Some((stage, _)) = requests.filter(|(s, _)| s.binding())
                && !input.persons
                && (source.header().iter().any(|h| h == stage.subject_column_for(&input.path))
                    || stage.input_subjects.iter().any(|(p, _)| p == &input.path))
            {
                return Err(EngineError::Config(format!(
                    "{}: input `{name}` is declared `persons = false` but holds people's records (it has the subject identifier column, or is a registered source): residents' requests apply to it",
                    job.path.display()
                )));
            }
            if let (Some((stage, tally)), Some(exclude)) = (requests.filter(|(s, _)| s.binding()), &exclude)
                && input.persons
            {
                let subject = stage.subject_column_for(&input.path);
                let Some(col) = source.header().iter().position(|h| h == subject) else {
                    return Err(EngineError::Config(format!(
                        "{}: input `{name}` has no column `{subject}` (the subject identifier): residents' requests cannot be applied to it\n  hint: register the extract as its file's source (`tokumei file add-source`) naming its identifier column, add the column, or declare `persons = false` for a table that holds no one's records (a code list)",
                        job.path.display(),
                    )));
                };
                source = super::requests::filter(
                    source,
                    col,
                    exclude.clone(),
                    stage.corrections_for(&input.path),
                    false,
                    tally.clone(),
                );
            }
            let schema = Arc::new(Schema::new(
                source.header().iter().map(|h| Field::new(h, DataType::Utf8, true)).collect::<Vec<_>>(),
            ));
            // The input's identifier columns, numbered among all inputs'.
            let id_columns: Vec<(usize, usize)> = match identifiers {
                Some(ids) => source
                    .header()
                    .iter()
                    .enumerate()
                    .filter_map(|(i, h)| {
                        let (role, _) = ids.role(h)?;
                        Some((i, values.add_source(SourceColumn { table: name.clone(), column: h.clone() }, role)))
                    })
                    .collect(),
                None => Vec::new(),
            };
            let mut batches = Vec::new();
            let mut rows = 0u64;
            while let Some(raw) = source.next_batch()? {
                rows += raw.len() as u64;
                for &(col, id) in &id_columns {
                    for row in 0..raw.len() {
                        if let Some(v) = raw.value(row, col) {
                            values.add(id, v);
                        }
                    }
                }
                batches.push(to_record_batch(&raw, &schema)?);
            }
            let table = datafusion::datasource::MemTable::try_new(schema, vec![batches])
                .map_err(|e| EngineError::Internal(format!("input table {name}: {e}")))?;
            ctx.register_table(name.as_str(), Arc::new(table))
                .map_err(|e| config(job, "input name", planning_message(&e)))?;
            let read = source.stats();
            stats.update(read.sha256().as_bytes());
            inputs.push(InputFacts {
                name,
                path: input.path.clone(),
                sha256: read.sha256(),
                format: match input.format {
                    tokumei_rules::InputFormat::Csv => "csv",
                    tokumei_rules::InputFormat::Parquet => "parquet",
                },
                encoding: source.encoding(),
                rows,
            });
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cores)
            .enable_all()
            .build()
            .map_err(|e| EngineError::Internal(format!("query runtime: {e}")))?;
        let options = SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false);
        let stream = runtime.block_on(async {
            let frame = match query {
                Query::Sql(sql) => ctx.sql_with_options(sql, options).await.map_err(|e| {
                    let message = planning_message(&e);
                    if ["DDL not supported", "DML not supported", "Statement not supported"].iter().any(|m| message.contains(m)) {
                        config(job, "query", format!("only a SELECT query is allowed: it may not create, change or write tables or files ({message})"))
                    } else {
                        config(job, "query", message)
                    }
                })?,
                Query::Where(cond) => {
                    let frame = ctx.table(inputs[0].name.as_str()).await.map_err(|e| config(job, "input", e))?;
                    let expr = frame
                        .parse_sql_expr(cond)
                        .map_err(|e| config(job, "[input] where", planning_message(&e)))?;
                    frame.filter(expr).map_err(|e| config(job, "[input] where", planning_message(&e)))?
                }
            };
            let lineage = lineage::lineage(frame.logical_plan());
            let stream = frame.execute_stream().await.map_err(|e| config(job, "query", planning_message(&e)))?;
            Ok::<_, EngineError>((lineage, stream))
        })?;
        let (lineage, stream) = stream;
        values.finish();
        let header: Vec<String> = stream.schema().fields().iter().map(|f| f.name().clone()).collect();
        Ok(QuerySource {
            header,
            runtime,
            stream,
            stats,
            next_row: 1,
            inputs,
            file: query_file(job),
            lineage,
            values: Arc::new(values),
        })
    }
}

/// A batch of text values as a record batch of nullable text columns (blank values are null,
/// as everywhere in tokumei).
fn to_record_batch(raw: &RawBatch, schema: &Arc<Schema>) -> Result<RecordBatch, EngineError> {
    let columns: Vec<ArrayRef> = (0..schema.fields().len())
        .map(|c| {
            let mut b = StringBuilder::with_capacity(raw.len(), raw.len() * 8);
            for r in 0..raw.len() {
                b.append_option(raw.value(r, c));
            }
            Arc::new(b.finish()) as ArrayRef
        })
        .collect();
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| EngineError::Internal(format!("input batch: {e}")))
}

impl Source for QuerySource {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_batch(&mut self) -> Result<Option<RawBatch>, EngineError> {
        let next = self.runtime.block_on(self.stream.next());
        let Some(batch) = next else { return Ok(None) };
        // DataFusion's message may quote a value (a failed cast, say): it is withheld.
        let batch = batch.map_err(|e| EngineError::Input {
            file: self.file.clone(),
            message: format!(
                "the query failed while running, near output row {} ({}; its message is withheld because it may quote a value)\n  hint: check the casts and functions in the query",
                self.next_row,
                kind(&e)
            ),
        })?;
        let mut columns: Vec<StringArray> = Vec::with_capacity(batch.num_columns());
        for (i, col) in batch.columns().iter().enumerate() {
            let text = match col.data_type() {
                DataType::Utf8 => col.clone(),
                _ => arrow::compute::cast(col, &DataType::Utf8).map_err(|_| {
                    EngineError::Config(format!(
                        "{}: query column `{}` has a type ({}) that cannot be read as text",
                        self.file.display(),
                        self.header[i],
                        col.data_type()
                    ))
                })?,
            };
            columns.push(text.as_string::<i32>().clone());
        }
        let first_row = self.next_row;
        self.next_row += batch.num_rows() as u64;
        Ok(Some(RawBatch::Arrow { columns, first_row }))
    }

    fn stats(&self) -> ReadStats {
        self.stats.clone()
    }

    fn size(&self) -> Option<u64> {
        None
    }

    fn inputs(&self) -> Vec<InputFacts> {
        self.inputs.clone()
    }

    fn lineage(&self) -> Option<&QueryLineage> {
        Some(&self.lineage)
    }

    fn identifier_values(&self) -> Option<Arc<IdentifierValues>> {
        Some(self.values.clone())
    }
}

/// The kind of a DataFusion error, without its message.
fn kind(e: &DataFusionError) -> &'static str {
    match e {
        DataFusionError::ArrowError(..) => "an Arrow computation failed",
        DataFusionError::ResourcesExhausted(_) => "resources exhausted",
        DataFusionError::Execution(_) => "an execution error",
        DataFusionError::External(_) => "an external error",
        _ => "an error",
    }
}
