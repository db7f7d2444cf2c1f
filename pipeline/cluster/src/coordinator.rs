//! The coordinator's side of `tokumei run --cluster`: an `Elsewhere` for the office's run, so
//! the audit log, the lock, the staging folder and publication are the office's, as on one
//! machine. The rows are read, counted and written by the cluster ([`crate::query`]); the models
//! and the report are the engine's, run here on the class table the cluster returns.

use crate::query::Session;
use crate::{ClusterError, context, input};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tokumei_engine::distributed::{RowScan, Shape, refusal};
use tokumei_engine::run::aggregated::{self, Decided};
use tokumei_engine::run::{Prepared, RunError, RunFacts, RunOptions, RunOutcome, Target};

/// A Ballista cluster to run jobs on: its scheduler's address (`df://HOST:PORT`).
pub struct Cluster {
    url: String,
}

impl Cluster {
    /// The cluster whose scheduler is at `url` (`df://HOST:PORT`).
    pub fn new(url: &str) -> Result<Cluster, ClusterError> {
        let rest = url.strip_prefix("df://").ok_or_else(|| {
            ClusterError::Engine(tokumei_engine::EngineError::Config(format!(
                "--cluster {url}: the scheduler's address is df://HOST:PORT"
            )))
        })?;
        if rest.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()).is_none() {
            return Err(tokumei_engine::EngineError::Config(format!("--cluster {url}: no port")).into());
        }
        Ok(Cluster { url: url.to_string() })
    }
}

/// The run's context folder on the cluster, removed (with its keys) when the run ends.
struct ContextDir(PathBuf);

impl Drop for ContextDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A failure with what is known of the run.
fn failed(e: ClusterError, facts: &RunFacts) -> RunError {
    RunError { error: e.into_engine(), facts: Box::new(facts.clone()) }
}

impl tokumei_office::run::Elsewhere for Cluster {
    fn prepare(
        &self,
        job: &tokumei_rules::Job,
        now_unix: i64,
        requests: Option<tokumei_engine::requests::RequestStage>,
    ) -> Result<Prepared, RunError> {
        let header = input::parts(job).and_then(|parts| input::header(job, &parts));
        let header = header.map_err(|e| failed(e, &RunFacts::default()))?;
        tokumei_engine::run::prepare_elsewhere(job, header, now_unix, requests)
    }

    fn refusal(&self, prepared: &Prepared, provided: bool) -> Option<String> {
        refusal(prepared, provided)
    }

    fn run(&self, prepared: Prepared, opts: &RunOptions, target: &Target) -> Result<RunOutcome, RunError> {
        let mut facts = prepared.facts.clone();
        match self.run_with(prepared, opts, target, &mut facts) {
            Ok(outcome) => Ok(outcome),
            Err(Stop::Cluster(e)) => Err(failed(e, &facts)),
            Err(Stop::Run(e)) => Err(e),
        }
    }
}

/// Why a run stopped: on the cluster's side, or in the engine's stages (with their facts).
enum Stop {
    Cluster(ClusterError),
    Run(RunError),
}

impl From<ClusterError> for Stop {
    fn from(e: ClusterError) -> Self {
        Stop::Cluster(e)
    }
}

impl Cluster {
    /// The run: the context handed to the executors, the class table counted, the models run
    /// here, the release written by the cluster, the documents written here.
    fn run_with(
        &self,
        prepared: Prepared,
        opts: &RunOptions,
        target: &Target,
        facts: &mut RunFacts,
    ) -> Result<RunOutcome, Stop> {
        let started = Instant::now();
        if let Some(why) = refusal(&prepared, opts.provided) {
            let e = tokumei_engine::EngineError::Config(format!("this job cannot run on the cluster: {why}"));
            return Err(ClusterError::Engine(e).into());
        }
        let job = prepared.job().clone();
        let parts = input::parts(&job)?;
        let header = input::header(&job, &parts)?;
        // The rules, the request stage's columns and the plans are positions in the header read
        // when the run was prepared: parts changed since (columns renamed or moved) are refused.
        if header != prepared.header() {
            return Err(ClusterError::Engine(tokumei_engine::EngineError::Input {
                file: job.inputs.first().map(|i| i.path.clone()).unwrap_or_default(),
                message: "the parts' columns changed while the run was prepared: nothing was read".into(),
            })
            .into());
        }
        let dir = ContextDir(target.tmp_dir.join("cluster"));
        context::write(&dir.0, &prepared, &header)?;
        let shape = Shape::of(&prepared.plan);
        let plan = prepared.plan.clone();
        let input_sha256 = input::sha256(&parts)?;
        facts.input_sha256 = Some(input_sha256.clone());
        let session = Session::connect(&self.url, &dir.0, &job, &parts, &header, prepared.row_requests())?;
        let tally = prepared.request_tally().cloned();
        opts.progress.stage("reading and counting on the cluster", None);
        let stage = session.census(&shape)?;
        if let Some(t) = &tally {
            t.add_elsewhere(stage.excluded_records, stage.corrected_values);
        }
        let mut table = session.class_table(&shape, &plan)?;
        table.input_sha256 = input_sha256;
        table.ingest_ms = started.elapsed().as_millis() as u64;
        opts.progress.finish();
        let ingest_ms = table.ingest_ms;
        let key_columns = table.columns.clone();
        let mut decided = aggregated::decide(prepared, table, opts, target).map_err(Stop::Run)?;
        if let Some(request) = decided.scan.clone() {
            opts.progress.stage("residual scan on the cluster", None);
            context::write_scan(&dir.0, &request)?;
            let (hits, told) = session.scan(&RowScan::columns(&plan))?;
            aggregated::judge(&mut decided, &hits, &told).map_err(ClusterError::Engine)?;
            opts.progress.finish();
        }
        if !decided.judged() {
            return Err(ClusterError::Internal(
                "the release would be written before its residual scan was judged".into(),
            )
            .into());
        }
        let written_at = Instant::now();
        opts.progress.stage("writing on the cluster", None);
        let files = write_release(&session, &dir.0, &shape, &plan, &header, &decided, &key_columns, target)?;
        opts.progress.finish();
        let mut report = decided.report;
        report.requests = tally.as_ref().map(|t| t.counts());
        report.audit_head = target.audit_head.clone();
        report.output_file = files.first().map(|(n, _)| n.clone());
        report.output_sha256 = files.first().map(|(_, h)| h.clone());
        report.timings.ingest_ms = ingest_ms;
        report.timings.write_ms = written_at.elapsed().as_millis() as u64;
        report.timings.total_ms = started.elapsed().as_millis() as u64;
        let docs = aggregated::write_documents(&report, target).map_err(ClusterError::Engine)?;
        let files: Vec<(String, String)> = files.into_iter().chain(docs).collect();
        facts.outputs = files.iter().map(|(n, h)| format!("{n}={h}")).collect();
        drop(dir);
        Ok(RunOutcome { report, files, facts: facts.clone(), subjects: Vec::new(), refused: None })
    }
}

/// The released rows written by the cluster into the release folder: the released
/// combinations handed to the executors, the rows written as Parquet parts in the staging
/// folder's temporaries, then moved into the release folder as `<dataset>.parquet` once it is
/// the only file and holds exactly the kept rows. Its name and SHA-256.
#[allow(clippy::too_many_arguments)]
fn write_release(
    session: &Session,
    dir: &Path,
    shape: &Shape,
    plan: &tokumei_rules::Plan,
    header: &[String],
    decided: &Decided,
    key_columns: &[arrow::array::ArrayRef],
    target: &Target,
) -> Result<Vec<(String, String)>, ClusterError> {
    let keep = arrow::array::BooleanArray::from(decided.keep.clone());
    let filter = |a: &arrow::array::ArrayRef| arrow::compute::filter(a.as_ref(), &keep);
    let key: Vec<_> = key_columns.iter().map(filter).collect::<Result<_, _>>().map_err(internal)?;
    let values: Vec<_> =
        decided.by_combination.iter().flatten().map(filter).collect::<Result<_, _>>().map_err(internal)?;
    context::write_released(dir, &key, &values)?;
    let out = target.tmp_dir.join("cluster-out");
    std::fs::create_dir_all(&out).map_err(|e| ClusterError::io(&out, e))?;
    session.write(shape, plan, header, decided, &out)?;
    let written: Vec<PathBuf> = std::fs::read_dir(&out)
        .map_err(|e| ClusterError::io(&out, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    if written.len() != 1 {
        return Err(ClusterError::Cluster(format!(
            "the cluster wrote {} release files where one was asked: nothing is published",
            written.len()
        )));
    }
    // Fail closed on what the file holds: a write task run twice (an executor declared dead
    // while it still wrote) adds a second copy of its rows under new names, a part changed
    // under the run can lose rows. Nothing is published unless the file holds exactly the rows
    // the models kept.
    let rows = parquet_rows(&written)?;
    if rows != decided.report.rows_out {
        return Err(ClusterError::Cluster(format!(
            "the cluster wrote {rows} rows where the models kept {}: nothing is published",
            decided.report.rows_out
        )));
    }
    let name = format!("{}.parquet", plan.dataset);
    let to = target.release_dir.join(&name);
    std::fs::rename(&written[0], &to).map_err(|e| ClusterError::io(&to, e))?;
    Ok(vec![(name, tokumei_engine::output::sha256_file(&to)?)])
}

/// The rows of the Parquet files `paths`, from their footers.
fn parquet_rows(paths: &[PathBuf]) -> Result<u64, ClusterError> {
    use parquet::file::reader::FileReader;
    let mut rows = 0u64;
    for p in paths {
        let f = std::fs::File::open(p).map_err(|e| ClusterError::io(p, e))?;
        let reader = parquet::file::reader::SerializedFileReader::new(f)
            .map_err(|e| ClusterError::Cluster(format!("the written release cannot be read: {e}")))?;
        rows += reader.metadata().file_metadata().num_rows().max(0) as u64;
    }
    Ok(rows)
}

fn internal(e: arrow::error::ArrowError) -> ClusterError {
    ClusterError::Internal(e.to_string())
}
