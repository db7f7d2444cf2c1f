//! The coordinator's queries on the cluster, as DataFusion plans over the input's parts that
//! call tokumei's functions ([`crate::functions`]): whether any person has several rows, the
//! class table, and the release's rows written as Parquet. A plan names the run's context
//! folder, the input's parts and its column names; never a key or a value.

use crate::ClusterError;
use crate::functions::{self, MARK};
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::{Column, DataFusionError};
use datafusion::logical_expr::{Expr, ScalarUDF, lit};
use datafusion::prelude::{DataFrame, SessionContext};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokumei_engine::EngineError;
use tokumei_engine::distributed::{Hit, RowScan, Shape};
use tokumei_engine::requests::RowRequests;
use tokumei_engine::run::aggregated::{ClassTable, Decided};
use tokumei_rules::{InputFormat, Job, Plan};

/// A session on the cluster for one run.
pub(crate) struct Session {
    rt: tokio::runtime::Runtime,
    ctx: SessionContext,
    /// The input's rows as read.
    raw: DataFrame,
    /// The rows the rules see: past the request stage, when one applies, else as read.
    input: DataFrame,
    /// The request stage's verdict on a row (`tokumei_request`), when one applies.
    verdict: Option<Expr>,
    dir: String,
    header: Vec<String>,
}

/// What the request stage did on the cluster: records left out, values corrected.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StageCounts {
    pub(crate) excluded_records: u64,
    pub(crate) corrected_values: u64,
}

/// A DataFusion error as the run reports it: tokumei's own (marked, value-free) with its class;
/// any other withheld (DataFusion's message can quote a value), save that it happened.
pub(crate) fn df_error(e: DataFusionError) -> ClusterError {
    let text = e.to_string();
    let Some(at) = text.find(MARK) else {
        return ClusterError::Cluster(
            "a query failed on the cluster (its message is withheld: it may quote a value of the input)".into(),
        );
    };
    let ours = marked_message(&text, at);
    let (class, message) = match ours.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        Some((c, m)) => (c.to_string(), m.to_string()),
        None => (String::new(), ours),
    };
    ClusterError::Engine(match class.as_str() {
        "config" => EngineError::Config(message),
        "input" => EngineError::Input { file: PathBuf::from("the cluster's input"), message },
        "key" => EngineError::Key(message),
        "privacy" => EngineError::Privacy(message),
        _ => EngineError::Internal(message),
    })
}

/// The message of tokumei's error marked at `at` in DataFusion's `text`: quoted (a Ballista
/// task's failure shows the error as Rust writes a string in debug form: escaped, ending at its
/// closing quote) or as it is (its lines to the end).
fn marked_message(text: &str, at: usize) -> String {
    let rest = &text[at + MARK.len()..];
    if !text[..at].ends_with('"') {
        return rest.trim_end().to_string();
    }
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('u') => {
                    let code: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                    out.extend(u32::from_str_radix(&code, 16).ok().and_then(char::from_u32));
                }
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    out
}

/// The column of each row's place in the release's order (dropped before the rows are written).
const ORDER: &str = "__tokumei_order";

/// A column of the input by name (names are the extract's, often Japanese: never parsed).
fn column(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

/// tokumei's function `name`.
fn function(name: &str) -> Result<Arc<ScalarUDF>, ClusterError> {
    functions::all()
        .into_iter()
        .find(|f| f.name() == name)
        .ok_or_else(|| ClusterError::Internal(format!("no function {name}")))
}

impl Session {
    /// Connect to the scheduler at `url` and open the input's parts, behind the request stage
    /// `requests` when one applies (its data in the context folder `dir`).
    pub(crate) fn connect(
        url: &str,
        dir: &Path,
        job: &Job,
        parts: &[PathBuf],
        header: &[String],
        requests: Option<&RowRequests>,
    ) -> Result<Session, ClusterError> {
        use ballista::prelude::{SessionConfigExt, SessionContextExt};
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| ClusterError::Internal(e.to_string()))?;
        let input = job.inputs.first().ok_or_else(|| EngineError::Config("the job names no input".into()))?;
        let paths: Vec<String> = parts.iter().map(|p| absolute(p).display().to_string()).collect();
        let (ctx, df) = rt.block_on(async {
            let config = datafusion::prelude::SessionConfig::new_with_ballista()
                .with_ballista_job_name("tokumei run")
                .with_target_partitions(parts.len().clamp(2, 64))
                // One release file, as on one machine (the report names one file and its hash):
                // the sorted rows reach the writer as one stream, not dealt round-robin into parts.
                .set_usize("datafusion.execution.minimum_parallel_output_files", 1)
                .set_usize("datafusion.execution.soft_max_rows_per_output_file", usize::MAX);
            let state =
                datafusion::execution::SessionStateBuilder::new().with_default_features().with_config(config).build();
            let ctx = SessionContext::remote_with_state(url, state)
                .await
                .map_err(|e| ClusterError::Cluster(format!("cannot reach the scheduler at {url}: {e}")))?;
            for f in functions::all() {
                ctx.register_udf(f.as_ref().clone());
            }
            let df = match input.format {
                InputFormat::Csv => {
                    let schema =
                        Schema::new(header.iter().map(|h| Field::new(h, DataType::Utf8, true)).collect::<Vec<_>>());
                    let options = datafusion::prelude::CsvReadOptions::new()
                        .has_header(true)
                        .delimiter(input.delimiter)
                        .schema(&schema)
                        .newlines_in_values(true)
                        .file_extension("");
                    ctx.read_csv(paths, options).await
                }
                InputFormat::Parquet => {
                    ctx.read_parquet(paths, datafusion::prelude::ParquetReadOptions::default().file_extension("")).await
                }
            }
            .map_err(df_error)?;
            Ok::<_, ClusterError>((ctx, df))
        })?;
        let dir = absolute(dir).display().to_string();
        let (input, verdict) = match requests.filter(|r| r.binding()) {
            Some(r) => {
                let (input, verdict) = staged(&df, &dir, header, r)?;
                (input, Some(verdict))
            }
            None => (df.clone(), None),
        };
        Ok(Session { rt, ctx, raw: df, input, verdict, dir, header: header.to_vec() })
    }

    /// `tokumei_cell_<type>(context, plan column, input column[, lenient])`.
    fn cell(&self, plan_column: usize, input: usize, ty: &DataType, lenient: bool) -> Result<Expr, ClusterError> {
        let name = functions::typed_name("tokumei_cell", ty)
            .ok_or_else(|| ClusterError::Internal(format!("no cell function for {ty}")))?;
        let input = self.header.get(input).ok_or_else(|| ClusterError::Internal("no such input column".into()))?;
        let mut args = vec![lit(self.dir.clone()), lit(plan_column as i64), column(input)];
        if lenient {
            args.push(lit(true));
        }
        Ok(function(&name)?.call(args))
    }

    /// The global columns' cells of each row (`lenient`: a malformed value a null cell).
    fn cells(&self, shape: &Shape, lenient: bool) -> Result<Vec<Expr>, ClusterError> {
        shape.global.iter().map(|g| self.cell(g.plan, g.input, &g.ty, lenient)).collect()
    }

    /// Count the rows' people, and refuse when some person (the rules' subject, in the normal
    /// form people are counted by) has several rows: people are then counted row by row, which
    /// has no distributed form yet. With a request stage, the same read of the rows as read
    /// counts the rows it passes on and their people, the records it leaves out and the values it
    /// corrects. The rows are grouped by their keyed subject first (a grouped aggregate, spread
    /// over the executors by the key and spilled past their memory pool, where one distinct
    /// count would hold every subject in one task's memory), then those groups are counted.
    pub(crate) fn census(&self, shape: &Shape) -> Result<StageCounts, ClusterError> {
        use datafusion::functions_aggregate::{count::count, sum::sum};
        use datafusion::logical_expr::when;
        let Some(subject) = shape.subject else { return Ok(StageCounts::default()) };
        let name = self.header.get(subject).ok_or_else(|| ClusterError::Internal("no subject column".into()))?;
        let key = function("tokumei_subject")?.call(vec![lit(self.dir.clone()), column(name)]);
        let s = || column("s");
        let n = || column("n");
        let plan = || -> Result<DataFrame, DataFusionError> {
            // Per subject: its rows, and the values corrected in them; the records left out
            // are one group of their own (no subject: `s` null), never keyed.
            let (from, s_expr, corrected) = match &self.verdict {
                None => (&self.input, key.clone(), lit(0i64)),
                Some(v) => (
                    &self.raw,
                    when(v.clone().gt_eq(lit(0i64)), key.clone()).end()?,
                    when(v.clone().gt(lit(0i64)), v.clone()).otherwise(lit(0i64))?,
                ),
            };
            from.clone()
                .aggregate(vec![s_expr.alias("s")], vec![count(lit(1)).alias("n"), sum(corrected).alias("c")])?
                .aggregate(
                    vec![],
                    vec![
                        sum(when(s().is_not_null(), n()).end()?).alias("rows"),
                        count(s()).alias("people"),
                        sum(when(s().is_null(), n()).end()?).alias("excluded"),
                        sum(column("c")).alias("corrected"),
                    ],
                )
        };
        let batches = self.rt.block_on(async { plan().map_err(df_error)?.collect().await.map_err(df_error) })?;
        let Some(b) = batches.iter().find(|b| b.num_rows() > 0) else { return Ok(StageCounts::default()) };
        let (rows, people) = (int_at(b.column(0)), int_at(b.column(1)));
        let counts = StageCounts { excluded_records: int_at(b.column(2)), corrected_values: int_at(b.column(3)) };
        if rows != people {
            return Err(EngineError::Config(format!(
                "this job cannot run on the cluster: some people have several rows ({rows} rows are {people} people); counting people row by row has no distributed form yet: run it on one machine (without --cluster)"
            ))
            .into());
        }
        Ok(counts)
    }

    /// The class table: each combination of the global columns' cells with its rows (and one
    /// raw value of the columns the search labels from).
    pub(crate) fn class_table(&self, shape: &Shape, plan: &Plan) -> Result<ClassTable, ClusterError> {
        use datafusion::functions_aggregate::{count::count, min_max::min};
        let cells = self.cells(shape, false)?;
        let group: Vec<Expr> = cells.into_iter().enumerate().map(|(i, e)| e.alias(format!("g{i}"))).collect();
        let mut aggregates = vec![count(lit(1)).alias("rows")];
        if let Some(own) = self.own_check(plan)? {
            aggregates.push(count(own).alias("own"));
        }
        for (i, g) in shape.global.iter().enumerate().filter(|(_, g)| g.representative) {
            let name = self.header.get(g.input).ok_or_else(|| ClusterError::Internal("no such input column".into()))?;
            aggregates.push(min(column(name)).alias(format!("r{i}")));
        }
        let df = self.input.clone().aggregate(group, aggregates);
        let batches = self.rt.block_on(async { df.map_err(df_error)?.collect().await.map_err(df_error) })?;
        let schema = match batches.first() {
            Some(b) => b.schema(),
            None => {
                return Err(EngineError::Input {
                    file: PathBuf::from("the cluster's input"),
                    message: "no row".into(),
                }
                .into());
            }
        };
        let all =
            arrow::compute::concat_batches(&schema, &batches).map_err(|e| ClusterError::Internal(e.to_string()))?;
        table_of(shape, &all)
    }

    /// `tokumei_own(context, n, identifiers..., released texts...)`: the residual scan's check
    /// of each row's released text against its own identifier values, if any text is checked.
    fn own_check(&self, plan: &Plan) -> Result<Option<Expr>, ClusterError> {
        let own = tokumei_engine::distributed::OwnCheck::of(plan);
        if own.is_empty() {
            return Ok(None);
        }
        let ids = own.identifiers();
        let mut args = vec![lit(self.dir.clone()), lit(ids.len() as i64)];
        for i in ids {
            let name = self.header.get(i).ok_or_else(|| ClusterError::Internal("no such input column".into()))?;
            args.push(column(name));
        }
        for (p, i) in own.checked() {
            args.push(self.cell(p, i, &DataType::Utf8, false)?);
        }
        Ok(Some(function("tokumei_own")?.call(args)))
    }

    /// The residual scan's read of the rows: the keys of their identifier values that the scan
    /// wants (the request in the context folder), and, per name input whose values are names
    /// only if most are, whether they are. One pass: rows grouped by their wanted keys (nearly
    /// all rows have none), each group counting the values shaped like names.
    pub(crate) fn scan(&self, scan: &RowScan) -> Result<(Vec<Hit>, Vec<bool>), ClusterError> {
        use datafusion::functions_aggregate::{count::count, sum::sum};
        let input_column = |i: usize| -> Result<Expr, ClusterError> {
            let name = self.header.get(i).ok_or_else(|| ClusterError::Internal("no such input column".into()))?;
            Ok(column(name))
        };
        let args = std::iter::once(Ok(lit(self.dir.clone())))
            .chain(scan.inputs().iter().map(|i| input_column(*i)))
            .collect::<Result<Vec<_>, _>>()?;
        let hits = function("tokumei_scan")?.call(args).alias("hits");
        let detected = scan.detected();
        let mut aggregates = vec![count(lit(1)).alias("rows")];
        for (j, (_, input)) in detected.iter().enumerate() {
            let shaped = function("tokumei_shaped")?.call(vec![lit(self.dir.clone()), input_column(*input)?]);
            aggregates.push(count(shaped.clone()).alias(format!("p{j}")));
            aggregates.push(sum(shaped).alias(format!("s{j}")));
        }
        let df = self.input.clone().aggregate(vec![hits], aggregates);
        let batches = self.rt.block_on(async { df.map_err(df_error)?.collect().await.map_err(df_error) })?;
        let mut found = Vec::new();
        let mut counts = vec![(0u64, 0u64); detected.len()];
        for b in &batches {
            let hits = b.column(0).as_string_opt::<i32>().ok_or_else(|| ClusterError::Internal("hits".into()))?;
            for r in 0..b.num_rows() {
                if !hits.is_null(r) {
                    tokumei_engine::distributed::parse_hits(hits.value(r), &mut found)?;
                }
                for (j, (present, shaped)) in counts.iter_mut().enumerate() {
                    *present += int_in(b.column(2 + 2 * j), r);
                    *shaped += int_in(b.column(3 + 2 * j), r);
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        Ok((found, scan.told(&counts)))
    }

    /// Write the released rows as Parquet files into `out`: the rows of released combinations,
    /// each column as decided (a global column's released value looked up by the row's
    /// combination, a local one transformed from the row's input), in a random order, with the
    /// release's schema and metadata.
    pub(crate) fn write(
        &self,
        shape: &Shape,
        plan: &Plan,
        header: &[String],
        decided: &Decided,
        out: &Path,
    ) -> Result<(), ClusterError> {
        let cells = self.cells(shape, false)?;
        let with_context = |first: Vec<Expr>| first.into_iter().chain(cells.iter().cloned()).collect::<Vec<_>>();
        // The filter's cells are lenient: DataFusion pushes this filter below the request
        // stage and joins it to the stage's own with AND, whose right side it may evaluate on
        // every row, the records left out included (one machine never reads them). Every kept
        // row's cells were made strictly when the class table was counted, and are made strictly
        // again for its released values below.
        let lenient = std::iter::once(lit(self.dir.clone())).chain(self.cells(shape, true)?).collect();
        let kept = function("tokumei_kept")?.call(lenient);
        let order_args = std::iter::once(lit(self.dir.clone())).chain(header.iter().map(|h| column(h))).collect();
        let order = function("tokumei_order")?.call(order_args);
        let mut select = Vec::new();
        let mut value = 0i64;
        for (j, field) in decided.schema.fields().iter().enumerate() {
            let expr = match (decided.local.get(j).copied().flatten(), decided.by_combination.get(j)) {
                (Some(p), _) => {
                    let input = plan
                        .columns
                        .get(p)
                        .map(|c| c.input_index)
                        .ok_or_else(|| ClusterError::Internal("no such column".into()))?;
                    self.cell(p, input, field.data_type(), false)?
                }
                (None, Some(Some(_))) => {
                    let name = functions::typed_name("tokumei_released", field.data_type()).ok_or_else(|| {
                        ClusterError::Internal(format!("no release function for {}", field.data_type()))
                    })?;
                    value += 1;
                    function(&name)?.call(with_context(vec![lit(self.dir.clone()), lit(value - 1)]))
                }
                _ => return Err(ClusterError::Internal("a release column without its values".into())),
            };
            select.push(expr.alias_with_metadata(field.name(), Some(field.metadata().into())));
        }
        let mut options = datafusion::config::TableParquetOptions::default();
        options.global.compression = Some("zstd(1)".into());
        options.global.max_row_group_size = 1 << 20;
        options.key_value_metadata = decided.metadata.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
        let path = format!("{}/", absolute(out).display());
        // The released values are made before the rows are sorted (and shuffled between the
        // executors for it): what a shuffle file on an executor's disk holds is released values
        // and each row's place, not the input's.
        let names: Vec<Expr> = decided.schema.fields().iter().map(|f| column(f.name())).collect();
        select.push(order.alias(ORDER));
        let df = self
            .input
            .clone()
            .filter(kept)
            .and_then(|d| d.select(select))
            .and_then(|d| d.sort(vec![column(ORDER).sort(true, false)]))
            .and_then(|d| d.select(names));
        let write = datafusion::dataframe::DataFrameWriteOptions::new().with_single_file_output(false);
        self.rt.block_on(async {
            df.map_err(df_error)?.write_parquet(&path, write, Some(options)).await.map_err(df_error)
        })?;
        let _ = &self.ctx;
        Ok(())
    }
}

/// The rows past the request stage `r` (`tokumei_request`: excluded subjects' records left
/// out; `tokumei_corrected`: the corrected columns' values as corrected), with the same column
/// names; and the stage's verdict on a row, for its counts.
fn staged(raw: &DataFrame, dir: &str, header: &[String], r: &RowRequests) -> Result<(DataFrame, Expr), ClusterError> {
    let name = header.get(r.subject).ok_or_else(|| ClusterError::Internal("no subject column".into()))?;
    let subject = column(name);
    let verdict = function("tokumei_request")?.call(vec![lit(dir.to_string()), subject.clone()]);
    let corrected = r.corrected_columns();
    let mut select = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        select.push(match corrected.contains(&i) {
            true => function("tokumei_corrected")?
                .call(vec![lit(dir.to_string()), lit(i as i64), subject.clone(), column(h)])
                .alias(h),
            false => column(h),
        });
    }
    let input =
        raw.clone().filter(verdict.clone().gt_eq(lit(0i64))).and_then(|d| d.select(select)).map_err(df_error)?;
    Ok((input, verdict))
}

/// A path from the root (the executors do not share the coordinator's working folder).
fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// A count from the cluster (its first row).
fn int_at(a: &ArrayRef) -> u64 {
    int_in(a, 0)
}

/// A count from the cluster at `row` (0 when null).
fn int_in(a: &ArrayRef, row: usize) -> u64 {
    match a.data_type() {
        DataType::Int64 if row < a.len() && !a.is_null(row) => {
            a.as_primitive::<arrow::datatypes::Int64Type>().value(row).max(0) as u64
        }
        _ => 0,
    }
}

/// The class table from the cluster's grouped rows (`g<i>` cells, `rows`, `r<i>` raw values).
fn table_of(shape: &Shape, all: &RecordBatch) -> Result<ClassTable, ClusterError> {
    let schema = all.schema();
    let col = |name: &str| -> Result<ArrayRef, ClusterError> {
        let i = schema.index_of(name).map_err(|e| ClusterError::Internal(e.to_string()))?;
        Ok(all.column(i).clone())
    };
    let rows = col("rows")?;
    let rows =
        rows.as_primitive_opt::<arrow::datatypes::Int64Type>().ok_or_else(|| ClusterError::Internal("rows".into()))?;
    let weights: Vec<u32> = rows
        .values()
        .iter()
        .map(|n| {
            u32::try_from(*n).map_err(|_| EngineError::Input {
                file: PathBuf::from("the cluster's input"),
                message: "more than 2^32 rows share one combination of cells".into(),
            })
        })
        .collect::<Result<_, _>>()?;
    let mut columns = Vec::new();
    let mut representatives = Vec::new();
    for (i, g) in shape.global.iter().enumerate() {
        columns.push(col(&format!("g{i}"))?);
        representatives.push(match g.representative {
            true => Some(
                arrow::compute::cast(&col(&format!("r{i}"))?, &DataType::Utf8)
                    .map_err(|e| ClusterError::Internal(e.to_string()))?,
            ),
            false => None,
        });
    }
    Ok(ClassTable { columns, representatives, weights, input_sha256: String::new(), ingest_ms: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_marked_errors_are_shown() {
        let ours = DataFusionError::Execution(format!("{MARK}[input] a value of column `x` is malformed: not a date"));
        match df_error(ours) {
            ClusterError::Engine(EngineError::Input { message, .. }) => assert!(message.contains("column `x`")),
            other => panic!("{other:?}"),
        }
        // As a Ballista task's failure shows it: quoted, escaped, its hint kept, nothing after.
        let ballista = DataFusionError::Execution(format!(
            "Job failed: Task failed: DataFusionError(Shared(External(DataFusionError(Execution({:?})))))",
            format!("{MARK}[privacy] column `メモ` would release \"it\"\n  hint: drop `メモ`")
        ));
        match df_error(ballista) {
            ClusterError::Engine(EngineError::Privacy(m)) => {
                assert_eq!(m, "column `メモ` would release \"it\"\n  hint: drop `メモ`")
            }
            other => panic!("{other:?}"),
        }
        let theirs = DataFusionError::Execution("Csv error: value 山田太郎 is wrong".into());
        let shown = df_error(theirs).to_string();
        assert!(!shown.contains("山田"), "{shown}");
    }
}
