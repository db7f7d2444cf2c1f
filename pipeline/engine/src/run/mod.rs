//! A job end to end, as a short list of stages, each a function in its own module returning a
//! named struct:
//!
//! [`prepare`] (rules validated against the input's header, key, release id) ->
//! [`layout::layout`] (a transform per output column, dictionaries, the spill) ->
//! [`encode::encode`] (pass 1: every row read and transformed) ->
//! [`perturbation::perturb`] (microaggregation, noise: whole columns rewritten) ->
//! [`anonymize::anonymize`] (search, privacy models, suppression) ->
//! [`assemble::assemble`] (the report and the processing standards) ->
//! [`stage::stage`] (pass 2: the release's files, in the caller's staging folder).
//!
//! The caller publishes the staged release (after its audit entry).

pub mod aggregated;
mod anonymize;
mod assemble;
mod changed;
pub(crate) mod encode;
mod fingerprint;
pub(crate) mod layout;
mod outliers;
mod perturbation;
mod prepare;
#[cfg(test)]
mod report_json;
pub(crate) mod scan_request;
mod stage;

pub use prepare::{Prepared, prepare, prepare_elsewhere, prepare_with_requests};

use crate::error::EngineError;
use crate::progress::Progress;
use crate::report::Report;
use std::time::Instant;
use tokumei_jp::Date;

/// How to run a job.
pub struct RunOptions<'a> {
    /// The run's clock: seconds since the Unix epoch (injectable for reproducible runs).
    pub now_unix: i64,
    /// Progress receiver.
    pub progress: &'a dyn Progress,
    /// Threads that transform rows (0: one per core). The release does not depend on it.
    pub threads: usize,
    /// Largest spill (bytes) that pass 2 holds in memory rather than shuffling through bucket
    /// files (`None`: 64 MiB). The release does not depend on it.
    pub spill_memory: Option<u64>,
    /// Whether the release goes to a recipient: in anonymized mode it is then fingerprinted for
    /// leak tracing unless the rules say `fingerprint = false`.
    pub provided: bool,
}

impl RunOptions<'_> {
    /// The threads that transform rows: `threads`, or one per core when it is 0.
    pub(crate) fn workers(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

/// Where a run writes its release: files into `release_dir`, temporaries into `tmp_dir` (both
/// inside one staging folder that the caller publishes or removes).
pub struct Target<'a> {
    /// Folder for the release's files (Parquet, reports, data dictionary).
    pub release_dir: &'a std::path::Path,
    /// Folder for temporary files (spill, shuffle buckets); may be emptied by the caller after.
    pub tmp_dir: &'a std::path::Path,
    /// The audit log's head when the release is made (`seq:hash`), recorded in the report and
    /// the Parquet metadata so that every release witnesses the log.
    pub audit_head: Option<String>,
}

/// What is known about a run, filled in as it goes so a failed run can be audited too.
#[derive(Debug, Default, Clone)]
pub struct RunFacts {
    /// Dataset name.
    pub dataset: Option<String>,
    /// Mode.
    pub mode: Option<String>,
    /// Release id.
    pub release_id: Option<String>,
    /// Input hash.
    pub input_sha256: Option<String>,
    /// Rules hash.
    pub rules_sha256: Option<String>,
    /// Key id.
    pub key_id: Option<String>,
    /// `name=sha256` of each output file.
    pub outputs: Vec<String>,
}

/// A finished run.
#[derive(Debug)]
pub struct RunOutcome {
    /// The report (also written as files when there is a target).
    pub report: Report,
    /// Files written into the target's release folder: name and SHA-256.
    pub files: Vec<(String, String)>,
    /// What is known of the run (for its audit entry).
    pub facts: RunFacts,
    /// Subject identifiers of the records the release was made from, when the request stage
    /// collected them (for the registry's per-subject index); never written anywhere by the engine.
    pub subjects: Vec<String>,
    /// Without a target (`tokumei check`): why a run would refuse this release (a processing
    /// standard not met), with the report of everything it would have decided. A run with a
    /// target returns this as its error instead, before anything is written.
    pub refused: Option<EngineError>,
}

/// A failed run: the error, and what was known of the run when it failed (so a failed run is
/// audited with its dataset, release id and hashes).
#[derive(Debug)]
pub struct RunError {
    /// What went wrong.
    pub error: EngineError,
    /// What was known.
    pub facts: Box<RunFacts>,
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds.
pub fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let d = Date::from_days_since_epoch(days as i32);
    format!("{}T{:02}:{:02}:{:02}Z", d, secs / 3600, secs / 60 % 60, secs % 60)
}

/// Run a prepared job: read and transform every row, enforce the privacy models, and, with a
/// target, write the release's files into it. Without a target (`tokumei check`) the same
/// stages run and decide the same (levels, suppression, standards, the release risk, the
/// residual scans of pass 2), but no release, report or data dictionary is written: the spill of
/// pass 1 goes to a private temporary folder (owner-only, under `TMPDIR`) removed at the end,
/// and a failed processing standard is returned in [`RunOutcome::refused`] with the report.
pub fn run(prepared: Prepared, opts: &RunOptions, target: Option<&Target>) -> Result<RunOutcome, RunError> {
    let mut facts = prepared.facts.clone();
    match stages(prepared, opts, target, &mut facts) {
        Ok(outcome) => Ok(RunOutcome { facts, ..outcome }),
        Err(error) => Err(RunError { error, facts: Box::new(facts) }),
    }
}

/// The stages, in order.
fn stages(
    prepared: Prepared,
    opts: &RunOptions,
    target: Option<&Target>,
    facts: &mut RunFacts,
) -> Result<RunOutcome, EngineError> {
    let started = Instant::now();
    let requests = prepared.requests.clone();
    // A check's pass 1 spills where no one else looks, and nothing of it is kept.
    let scratch = match target {
        Some(_) => None,
        None => Some(
            tempfile::Builder::new()
                .prefix("tokumei-check-")
                .tempdir()
                .map_err(|e| crate::error::output_err(&std::env::temp_dir(), e))?,
        ),
    };
    let checked = scratch.as_ref().map(|d| Target { release_dir: d.path(), tmp_dir: d.path(), audit_head: None });
    let (target, dry) = match (target, &checked) {
        (Some(t), _) => (t, false),
        (None, Some(t)) => (t, true),
        (None, None) => return Err(EngineError::Internal("a check without its temporary folder".into())),
    };
    let layout = layout::layout(prepared)?;
    let encoded = encode::encode(layout, opts, Some(target), facts, started)?;
    let perturbed = perturbation::perturb(encoded)?;
    let anonymized = anonymize::anonymize(perturbed)?;
    let mut assembled = assemble::assemble(anonymized, opts)?;
    // A run stops here, before anything is written; a check goes on to show the rest.
    let refused = match (assembled.refused.take(), dry) {
        (Some(e), false) => return Err(e),
        (refused, _) => refused,
    };
    assembled.report.requests = requests.as_ref().map(|r| r.counts());
    let subjects = requests.map(|r| r.subjects()).unwrap_or_default();
    assembled.report.fingerprint = fingerprint::fingerprint(&mut assembled.an, opts.provided);
    let outcome = stage::stage(assembled, opts, target, facts, started, dry)?;
    drop(scratch);
    Ok(RunOutcome { subjects, refused, ..outcome })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
    }
}
