//! Jobs over several extracts, or a filtered one: each input is read with tokumei's own
//! decoding (line-precise errors, hashed as it is read) into a table of text columns, and the
//! job's SQL runs on DataFusion; the rules see its result as if it were one input.
//!
//! Only a `SELECT` runs: no DDL, no `COPY`/`INSERT`, no statements, and no table but the
//! job's inputs (URL tables are off), so a query can neither write nor read anything else.
//! Errors while planning name the query and the position; errors while running are reported
//! without DataFusion's message, which can quote a value.
//!
//! The query is bounded by the job's `[query_limits]`: DataFusion's memory pool (sorts and
//! aggregates spill to disk beyond it, up to the spill limit; other operators fail), the time
//! spent planning it and waiting for its rows, and the rows it may give (what tokumei holds of
//! them is outside DataFusion's pool: a join without a condition is stopped by the row limit).
//! `WITH RECURSIVE` is refused unless the job allows it. An input whose header names look like
//! data (a file without a header line) is refused before any SQL sees its names.

mod table;

use super::lineage::{self, IdentifierValues, Identifiers, QueryLineage, SourceColumn};
use super::{BATCH_ROWS, InputFacts, RawBatch, ReadStats, Source, query_file};
use crate::EngineError;
use crate::error::output_err;
use arrow::array::{AsArray, StringArray};
use arrow::datatypes::DataType;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use futures::StreamExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use table::{FirstError, InputState, InputTable, Opener, RequestFilter, Typing, ValuesFeed};
use tokumei_rules::{Job, Query, QueryLimits};

/// The result of a job's query, run to its end when it is opened and kept in the query's
/// temporary folder, read back as text batches.
pub struct QuerySource {
    header: Vec<String>,
    /// The result, as DataFusion gave it.
    result: arrow::ipc::reader::StreamReader<std::io::BufReader<std::fs::File>>,
    stats: ReadStats,
    next_row: u64,
    inputs: Vec<InputFacts>,
    file: PathBuf,
    /// The query's temporary folder (its spill files and its result), removed with the source.
    _dir: tempfile::TempDir,
    /// Where each result column's values come from.
    lineage: QueryLineage,
    /// The inputs' identifier values (keyed hashes), for the residual scan.
    values: Arc<IdentifierValues>,
}

/// The limits a running query is held to, and what it has used.
struct Bounds {
    limits: QueryLimits,
    /// The job file (limits are named with it).
    job: PathBuf,
    /// Rows it may give.
    rows: u64,
    /// Time spent planning and waiting for rows so far.
    spent: Duration,
}

/// Which limit a query exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    Memory,
    Spill,
    Time,
    Rows,
}

impl Bounds {
    /// The time left.
    fn left(&self) -> Duration {
        self.limits.time.saturating_sub(self.spent)
    }

    /// The error for an exceeded limit (an input error: the data made the query too large for
    /// its bounds), naming the limit and the job key that sets it.
    fn exceeded(&self, file: &std::path::Path, limit: Limit) -> EngineError {
        let l = &self.limits;
        let (key, what, value, hint) = match limit {
            Limit::Memory => (
                "memory",
                "memory limit",
                size(l.memory),
                "a join without a condition (CROSS JOIN, or ON that matches most pairs) multiplies rows: join on a key, or raise `memory`",
            ),
            Limit::Spill => (
                "spill",
                "spill limit (disk for sorts and aggregates beyond the memory limit)",
                size(l.spill),
                "sort or group fewer rows, or raise `spill` (or `memory`)",
            ),
            Limit::Time => (
                "time",
                "time limit",
                format!("{} s", l.time.as_secs()),
                "a join without a condition, or a recursive query, can run for ever: join on a key, or raise `time`",
            ),
            Limit::Rows => (
                "rows",
                "row limit",
                format!("{} rows", self.rows),
                "a join without a condition multiplies rows: join on a key, or raise `rows`",
            ),
        };
        let set = match l.at(key) {
            Some((line, col)) => format!("`[query_limits] {key}` at {}:{line}:{col}", self.job.display()),
            None => format!("the default; set `{key}` in the job's `[query_limits]`"),
        };
        EngineError::Input {
            file: file.to_path_buf(),
            message: format!(
                "the query exceeded its {what} of {value} ({set}) and was stopped; nothing is written\n  hint: {hint}"
            ),
        }
    }

    /// The limit an error of DataFusion's reports having exceeded, if any (its message is
    /// read, never shown).
    fn limit_of(e: &DataFusionError) -> Option<Limit> {
        let text = e.to_string();
        if text.contains("spilling process has exceeded the allowable limit") {
            Some(Limit::Spill)
        } else if matches!(e.find_root(), DataFusionError::ResourcesExhausted(_))
            || text.contains("Resources exhausted")
        {
            Some(Limit::Memory)
        } else {
            None
        }
    }
}

/// Bytes as `64 MiB`, `2 GiB` (whole units when exact), else in bytes.
fn size(bytes: u64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

/// The prefix of a query's spill folder in the temporary folder, before the process id.
const SPILL_PREFIX: &str = "tokumei-spill-";

/// DataFusion's runtime for a job's query, and its temporary folder: a memory pool of the
/// job's size (fair between the operators that can spill, sorts and aggregates among them), and
/// a folder of the temporary folder (`TMPDIR`) that the source owns and removes, for the query's
/// result and its spill files up to the spill limit (none when the limit is 0).
fn runtime_env(limits: &QueryLimits) -> Result<(Arc<RuntimeEnv>, tempfile::TempDir), EngineError> {
    let memory = usize::try_from(limits.memory).unwrap_or(usize::MAX);
    let pool = TrackConsumersPool::new(FairSpillPool::new(memory), std::num::NonZeroUsize::new(5).expect("5 > 0"));
    remove_stale_spill_folders();
    // Owner-only (its files hold people's records); the process id lets a later run remove
    // what a killed one left.
    let dir = tempfile::Builder::new()
        .prefix(&format!("{SPILL_PREFIX}{}-", std::process::id()))
        .tempdir()
        .map_err(|e| EngineError::Internal(format!("cannot make the query's temporary folder: {e}")))?;
    let disk = if limits.spill == 0 {
        DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled)
    } else {
        DiskManagerBuilder::default()
            .with_mode(DiskManagerMode::Directories(vec![dir.path().to_path_buf()]))
            .with_max_temp_directory_size(limits.spill)
    };
    let env = RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(pool))
        .with_disk_manager_builder(disk)
        .build_arc()
        .map_err(|e| EngineError::Internal(format!("query runtime: {e}")))?;
    Ok((env, dir))
}

/// Remove the spill folders of queries whose process no longer runs (killed before it could
/// remove them): on Linux, where `/proc` tells. Folders of running processes are left alone.
fn remove_stale_spill_folders() {
    if !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(SPILL_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        // `DirEntry::metadata` does not follow a symbolic link.
        let folder = entry.metadata().is_ok_and(|m| m.is_dir());
        if folder && pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Input header names that look like data, and what messages say instead of each.
type Hidden = Vec<(String, String)>;

/// `message` with every header name of `hidden` (as DataFusion quotes it, or bare) replaced by
/// its position: DataFusion's schema errors list and suggest column names, which for a file
/// without a header line are a person's values.
fn sanitize(message: &str, hidden: &Hidden) -> String {
    let mut hidden: Vec<&(String, String)> = hidden.iter().filter(|(n, _)| !n.is_empty()).collect();
    hidden.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    let mut out = message.to_string();
    for (name, instead) in hidden {
        let quoted = name.replace('"', "\"\"");
        for form in [format!("\"{quoted}\""), format!("'{name}'"), name.clone()] {
            out = out.replace(&form, instead);
        }
    }
    out
}

/// Where the keyword `RECURSIVE` is in `sql`, as DataFusion writes positions (`at Line: L,
/// Column: C`), when it follows `WITH`.
fn recursive_at(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    let mut from = 0;
    while let Some(i) = upper[from..].find("RECURSIVE").map(|i| i + from) {
        let before = upper[..i].trim_end();
        let word_ends = !upper[i + 9..].starts_with(|c: char| c.is_alphanumeric() || c == '_');
        if before.ends_with("WITH") && word_ends {
            let line = sql[..i].matches('\n').count() + 1;
            let col = sql[..i].rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            return Some(format!(" at Line: {line}, Column: {col}"));
        }
        from = i + 9;
    }
    None
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

/// The job error for a planning error: names that look like data hidden, and a recursive query
/// the job does not allow refused with tokumei's own message.
fn plan_error(job: &Job, what: &str, e: &DataFusionError, hidden: &Hidden) -> EngineError {
    let message = sanitize(&planning_message(e), hidden);
    if message.contains("Recursive CTEs are not enabled") {
        let at = recursive_at(job.query.as_ref().map_or("", |q| q.text())).unwrap_or_default();
        let e =
            config(job, what, format!("`WITH RECURSIVE` is not allowed: a recursive query can run without end{at}"));
        return EngineError::Config(format!(
            "{e}\n  hint: set `allow_recursive = true` in the job's `[query_limits]` if the query needs it (its time, memory and row limits still bound it)"
        ));
    }
    if ["DDL not supported", "DML not supported", "Statement not supported"].iter().any(|m| message.contains(m)) {
        return config(
            job,
            what,
            format!("only a SELECT query is allowed: it may not create, change or write tables or files ({message})"),
        );
    }
    config(job, what, message)
}

/// What every input of a query job is read with.
struct Reading<'a> {
    job: &'a Job,
    /// Residents' requests, with their tally.
    requests: Option<(&'a crate::requests::RequestStage, &'a crate::requests::RequestTally)>,
    /// The excluded subjects, in normal form.
    exclude: Option<Arc<rustc_hash::FxHashSet<String>>>,
    /// The identifier columns whose values are kept for the residual scan.
    identifiers: Option<&'a Identifiers>,
    /// The inputs' identifier values (keyed hashes), filled as the inputs are read.
    values: Arc<Mutex<IdentifierValues>>,
    /// The first error reading an input met.
    error: FirstError,
}

impl Reading<'_> {
    /// Open one input as a table registered in `ctx` under its name, read as the query asks
    /// for its rows: its header checked (names that look like data are `hidden` from
    /// messages), its identifier values kept as it is read.
    fn register(
        &self,
        ctx: &SessionContext,
        input: &tokumei_rules::Input,
        hidden: &mut Hidden,
    ) -> Result<Arc<InputState>, EngineError> {
        let name = input.name.clone().unwrap_or_else(|| "input".into());
        let source = super::open_input(input)?;
        // A file without a header line: its first record would be the columns' names, which
        // SQL errors quote. Refused before any SQL sees them.
        super::refuse_data_like_header(
            &input.path,
            source.header(),
            "a query needs each input's first line to name its columns: add that line to the file (or check the delimiter and encoding)",
        )?;
        super::check_header(&input.path, source.header(), &[], "")?;
        for (i, n) in source.header().iter().enumerate() {
            if super::looks_like_data(n) {
                hidden.push((
                    n.clone(),
                    format!("column {} of input {name} (its header looks like data, not shown)", i + 1),
                ));
            }
        }
        let filter = self.request_filter(input, &name, source.header())?;
        let opener = Opener { input: input.clone(), filter };
        let source = match self.requests {
            Some((_, tally)) => opener.wrap(source, tally),
            None => source,
        };
        // The input's identifier columns, numbered among all inputs'.
        let feed = self.identifiers.and_then(|ids| {
            let mut values = self.values.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let columns: Vec<(usize, usize)> = source
                .header()
                .iter()
                .enumerate()
                .filter_map(|(i, h)| {
                    let (role, _) = ids.role(h)?;
                    Some((i, values.add_source(SourceColumn { table: name.clone(), column: h.clone() }, role)))
                })
                .collect();
            (!columns.is_empty())
                .then(|| Arc::new(ValuesFeed { columns, keyer: values.keyer(), values: self.values.clone() }))
        });
        let id_columns = feed.as_ref().map_or(0, |f| f.columns.len());
        let typing = self.typing(input, &name, source.header())?;
        let (table, state) = InputTable::new(opener, source, typing, feed, self.error.clone())?;
        if id_columns > 0 {
            // Room for its values at once, with a sixteenth to spare for the estimate.
            let rows = usize::try_from(state.estimate()).unwrap_or(0);
            let more = rows.saturating_add(rows / 16).saturating_mul(id_columns);
            self.values.lock().unwrap_or_else(std::sync::PoisonError::into_inner).reserve(more);
        }
        ctx.register_table(name.as_str(), Arc::new(table))
            .map_err(|e| config(self.job, "input name", planning_message(&e)))?;
        Ok(state)
    }

    /// The types of `input`'s columns (`header`) in the query, as the job declares them: each
    /// declared column must be in the header, and an identifier column stays text (its leading
    /// zeros and its writing are what pseudonyms, joins and the residual scan compare): one the
    /// rules or its name make an identifier ([`Identifiers::role`]), a person's number by its
    /// name ([`lineage::PERSON_NUMBER_NAMES`]) and the input's subject column for residents'
    /// requests. Where a typed column's values go is checked once the query's lineage is known
    /// ([`lineage::check_types`]).
    fn typing(&self, input: &tokumei_rules::Input, name: &str, header: &[String]) -> Result<Typing, EngineError> {
        let mut types = vec![None; header.len()];
        let by_name = Identifiers::default();
        let ids = self.identifiers.unwrap_or(&by_name);
        let subject = self.requests.map(|(stage, _)| stage.subject_column_for(&input.path));
        for t in &input.types {
            let at = format!("{}:{}:{}", self.job.path.display(), t.at.0, t.at.1);
            let Some(c) = header.iter().position(|h| *h == t.column) else {
                return Err(EngineError::Config(format!(
                    "{at}: input `{name}` has no column `{}` to type\n  hint: `types` name columns as the input's header names them",
                    t.column
                )));
            };
            if t.ty != tokumei_rules::ValueType::String
                && let Some(what) = identifier_kind(ids, &t.column, subject)
            {
                return Err(EngineError::Config(format!(
                    "{at}: column `{}` of input `{name}` is {what}: it is read as text, not as `{}`\n  hint: remove it from `types`; its values are codes whose writing (leading zeros) pseudonyms, joins and the residual scan compare",
                    t.column,
                    t.ty.as_str()
                )));
            }
            types[c] = Some(t.ty).filter(|ty| *ty != tokumei_rules::ValueType::String);
        }
        Ok(Typing { file: input.path.clone(), name: name.to_string(), header: header.to_vec(), types })
    }

    /// Residents' requests apply to each table of people before the query reads it (an
    /// aggregate over an input must not see an excluded person either): the input's subject
    /// column, exclusions and corrections, or a refusal when it holds people but cannot be
    /// filtered.
    fn request_filter(
        &self,
        input: &tokumei_rules::Input,
        name: &str,
        header: &[String],
    ) -> Result<Option<RequestFilter>, EngineError> {
        if let Some((stage, _)) = self.requests.filter(|(s, _)| s.binding())
            && !input.persons
            && (header.iter().any(|h| h == stage.subject_column_for(&input.path))
                || stage.input_subjects.iter().any(|(p, _)| p == &input.path))
        {
            return Err(EngineError::Config(format!(
                "{}: input `{name}` is declared `persons = false` but holds people's records (it has the subject identifier column, or is a registered source): residents' requests apply to it",
                self.job.path.display()
            )));
        }
        if let (Some((stage, _)), Some(exclude)) = (self.requests.filter(|(s, _)| s.binding()), &self.exclude)
            && input.persons
        {
            let subject = stage.subject_column_for(&input.path);
            let Some(col) = header.iter().position(|h| h == subject) else {
                return Err(EngineError::Config(format!(
                    "{}: input `{name}` has no column `{subject}` (the subject identifier): residents' requests cannot be applied to it\n  hint: register the extract as its file's source (`tokumei file add-source`) naming its identifier column, add the column, or declare `persons = false` for a table that holds no one's records (a code list)",
                    self.job.path.display(),
                )));
            };
            return Ok(Some((col, exclude.clone(), stage.corrections_for(&input.path))));
        }
        Ok(None)
    }
}

/// What makes the input column `column` an identifier that must stay text, if anything: its
/// role (`ids`), a person's number's name, or being `subject`, the column residents' requests
/// match the input's records by.
fn identifier_kind(ids: &Identifiers, column: &str, subject: Option<&str>) -> Option<String> {
    if let Some((role, _)) = ids.role(column) {
        return Some(format!("an identifier (role `{}`)", role.as_str()));
    }
    if let Some(word) = lineage::name_has(column, lineage::PERSON_NUMBER_NAMES) {
        return Some(format!("a person's number (its name holds `{word}`)"));
    }
    (subject == Some(column)).then(|| "the subject identifier residents' requests match its records by".to_string())
}

/// What is known of an input once it is read to its end: its rows and SHA-256 (added to
/// `stats`, in the job's order of inputs).
fn input_facts(input: &tokumei_rules::Input, state: &InputState, stats: &ReadStats) -> Result<InputFacts, EngineError> {
    let (rows, sha256) = state.finish()?;
    stats.update(sha256.as_bytes());
    Ok(InputFacts {
        name: state.name.clone(),
        path: input.path.clone(),
        sha256,
        format: match input.format {
            tokumei_rules::InputFormat::Csv => "csv",
            tokumei_rules::InputFormat::Parquet => "parquet",
        },
        encoding: state.encoding(),
        rows,
    })
}

/// Where a drained query's result is kept until the rules read it.
const RESULT_FILE: &str = "result.arrow";

/// The query's result, from the first row to the last, written to `out` (Arrow IPC), within
/// the row limit (the largest input's rows read so far, or its estimate, until every input is
/// read; checked again on the full counts after). Returns the rows.
async fn drain(
    mut stream: SendableRecordBatchStream,
    out: &std::path::Path,
    states: &[Arc<InputState>],
    bounds: &mut Bounds,
    file: &std::path::Path,
) -> Result<u64, EngineError> {
    let f = std::fs::File::create(out).map_err(|e| output_err(out, e))?;
    let mut writer =
        arrow::ipc::writer::StreamWriter::try_new(std::io::BufWriter::with_capacity(1 << 20, f), &stream.schema())
            .map_err(|e| output_err(out, e))?;
    let mut rows = 0u64;
    while let Some(batch) = stream.next().await {
        // DataFusion's message may quote a value (a failed cast, say): it is withheld.
        let batch = batch.map_err(|e| running_error(&e, bounds, file, rows + 1))?;
        rows += batch.num_rows() as u64;
        if rows > bounds.rows {
            let largest = states.iter().map(|s| s.rows_so_far()).max().unwrap_or(0);
            bounds.rows = bounds.limits.row_limit(largest);
            if rows > bounds.rows {
                return Err(bounds.exceeded(file, Limit::Rows));
            }
        }
        writer.write(&batch).map_err(|e| output_err(out, e))?;
    }
    writer.finish().map_err(|e| output_err(out, e))?;
    Ok(rows)
}

/// The error for a query that failed while running: an exceeded limit, or a failure whose
/// message is withheld (it may quote a value).
fn running_error(e: &DataFusionError, bounds: &Bounds, file: &std::path::Path, row: u64) -> EngineError {
    match Bounds::limit_of(e) {
        Some(limit) => bounds.exceeded(file, limit),
        None => EngineError::Input {
            file: file.to_path_buf(),
            message: format!(
                "the query failed while running, near output row {row} ({}; its message is withheld because it may quote a value)\n  hint: check the casts and functions in the query",
                kind(e)
            ),
        },
    }
}

/// The job's query planned and run to its end: its result's lineage and rows.
fn plan_and_drain(
    job: &Job,
    ctx: &SessionContext,
    runtime: &tokio::runtime::Runtime,
    hidden: &Hidden,
    (states, bounds, out): (&[Arc<InputState>], &mut Bounds, &std::path::Path),
) -> Result<(QueryLineage, u64), EngineError> {
    let query = job.query.as_ref().ok_or_else(|| EngineError::Internal("a query source without a query".into()))?;
    let options = SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false);
    let file = query_file(job);
    let started = Instant::now();
    let left = bounds.left();
    let b = &mut *bounds;
    let ran = runtime.block_on(async {
        tokio::time::timeout(left, async {
            let frame = match query {
                Query::Sql(sql) => {
                    ctx.sql_with_options(sql, options).await.map_err(|e| plan_error(job, "query", &e, hidden))?
                }
                Query::Where(cond) => {
                    let first = states.first().map_or("input", |s| s.name.as_str());
                    let frame = ctx.table(first).await.map_err(|e| plan_error(job, "input", &e, hidden))?;
                    let expr = frame.parse_sql_expr(cond).map_err(|e| plan_error(job, "[input] where", &e, hidden))?;
                    frame.filter(expr).map_err(|e| plan_error(job, "[input] where", &e, hidden))?
                }
            };
            let lineage = lineage::lineage(frame.logical_plan());
            let stream = frame.execute_stream().await.map_err(|e| match Bounds::limit_of(&e) {
                Some(limit) => b.exceeded(&file, limit),
                None => plan_error(job, "query", &e, hidden),
            })?;
            let rows = drain(stream, out, states, &mut *b, &file).await?;
            Ok::<_, EngineError>((lineage, rows))
        })
        .await
    });
    bounds.spent += started.elapsed();
    ran.unwrap_or_else(|_| Err(bounds.exceeded(&file, Limit::Time)))
}

impl QuerySource {
    /// Plan the job's query over its inputs and run it, each input read as the query asks for
    /// its rows (and what it leaves read after), with the lineage of its result's columns. With
    /// `identifiers`, the values of the inputs' identifier columns are kept as keyed hashes for
    /// the residual scan ([`Source::identifier_values`]). The result is kept in the query's
    /// temporary folder until it is read; every input's rows and SHA-256 are known once this
    /// returns.
    pub fn open(
        job: &Job,
        requests: Option<(&crate::requests::RequestStage, &crate::requests::RequestTally)>,
        identifiers: Option<&Identifiers>,
    ) -> Result<QuerySource, EngineError> {
        let exclude = requests.map(|(r, _)| {
            std::sync::Arc::new(
                r.exclude.iter().map(|s| crate::requests::normalize_subject(s)).collect::<rustc_hash::FxHashSet<_>>(),
            )
        });
        let stats = ReadStats::default();
        let limits = &job.query_limits;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut session = SessionConfig::new().with_batch_size(BATCH_ROWS).with_target_partitions(cores);
        session.options_mut().execution.enable_recursive_ctes = limits.allow_recursive;
        let (env, dir) = runtime_env(limits)?;
        let ctx = SessionContext::new_with_config_rt(session, env);
        let mut hidden: Hidden = Vec::new();
        let values = Arc::new(Mutex::new(IdentifierValues::default()));
        let reading =
            Reading { job, requests, exclude, identifiers, values: values.clone(), error: FirstError::default() };
        let mut states = Vec::with_capacity(job.inputs.len());
        for input in &job.inputs {
            states.push(reading.register(&ctx, input, &mut hidden)?);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cores)
            .enable_all()
            .build()
            .map_err(|e| EngineError::Internal(format!("query runtime: {e}")))?;
        let largest = states.iter().map(|s| s.rows_so_far()).max().unwrap_or(0);
        let mut bounds = Bounds {
            limits: limits.clone(),
            job: job.path.clone(),
            rows: limits.row_limit(largest),
            spent: Duration::ZERO,
        };
        let out = dir.path().join(RESULT_FILE);
        let ran = plan_and_drain(job, &ctx, &runtime, &hidden, (&states, &mut bounds, &out));
        // The query's tasks may still be reading ahead: they stop at their next batch.
        runtime.shutdown_background();
        // An input's own error (its file, line and column) rather than what it made of the query.
        let first_error = reading.error.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(e) = first_error {
            return Err(e);
        }
        let (lineage, rows) = ran?;
        let mut inputs = Vec::with_capacity(job.inputs.len());
        for (input, state) in job.inputs.iter().zip(&states) {
            inputs.push(input_facts(input, state, &stats)?);
        }
        // An error a scan met as the query ended (reading ahead past a `LIMIT`), kept after the
        // check above: the run stops all the same.
        if let Some(e) = reading.error.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            return Err(e);
        }
        let file = query_file(job);
        let largest = inputs.iter().map(|i| i.rows).max().unwrap_or(0);
        bounds.rows = limits.row_limit(largest);
        if rows > bounds.rows {
            return Err(bounds.exceeded(&file, Limit::Rows));
        }
        drop((states, ctx, reading));
        let mut values = std::mem::take(&mut *values.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        values.finish().map_err(|e| output_err(&std::env::temp_dir(), e))?;
        let result = std::fs::File::open(&out).map_err(|e| output_err(&out, e))?;
        let result =
            arrow::ipc::reader::StreamReader::try_new(std::io::BufReader::with_capacity(1 << 20, result), None)
                .map_err(|e| output_err(&out, e))?;
        let header: Vec<String> = result.schema().fields().iter().map(|f| f.name().clone()).collect();
        Ok(QuerySource {
            header,
            result,
            stats,
            next_row: 1,
            inputs,
            file,
            _dir: dir,
            lineage,
            values: Arc::new(values),
        })
    }
}

impl Source for QuerySource {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_batch(&mut self) -> Result<Option<RawBatch>, EngineError> {
        let Some(batch) = self.result.next() else { return Ok(None) };
        let batch = batch.map_err(|e| {
            EngineError::Internal(format!("cannot read the query's result back from its temporary folder: {e}"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_look_like_data_are_replaced_in_messages() {
        let hidden: Hidden = vec![
            ("100599657".into(), "column 1 of input 住基 (hidden)".into()),
            ("2003-11-10".into(), "column 5 of input 住基 (hidden)".into()),
        ];
        let m = "Schema error: No field named r.\"宛名番号\". Did you mean 'r.\"100599657\"'?\nValid fields are r.\"100599657\", r.\"2003-11-10\", r.性別.";
        let s = sanitize(m, &hidden);
        assert!(!s.contains("100599657") && !s.contains("2003-11-10"), "{s}");
        assert!(
            s.contains("r.column 1 of input 住基 (hidden)") && s.contains("r.性別") && s.contains("宛名番号"),
            "{s}"
        );
        assert_eq!(sanitize("No field named 2003-11-10", &hidden), "No field named column 5 of input 住基 (hidden)");
    }

    #[test]
    fn recursive_is_found_where_it_is_written() {
        assert_eq!(recursive_at("WITH RECURSIVE t AS (SELECT 1)").as_deref(), Some(" at Line: 1, Column: 6"));
        assert_eq!(
            recursive_at("SELECT 'recursive' AS x\nwith\n  recursive n(i) AS (SELECT 1)").as_deref(),
            Some(" at Line: 3, Column: 3")
        );
        assert_eq!(recursive_at("SELECT recursive_flag FROM t"), None);
    }

    #[test]
    fn sizes_are_written_in_whole_units() {
        assert_eq!(size(64 << 20), "64 MiB");
        assert_eq!(size(2 << 30), "2 GiB");
        assert_eq!(size(1536), "1536 bytes");
    }
}
