//! Stage 1: the input opened, the rules validated against its header, the key loaded and the
//! release id chosen. Nothing is read or written yet.

use super::{RunError, RunFacts, rfc3339};
use crate::error::EngineError;
use crate::error::{ExitCode, io_err};
use crate::ingest;
use crate::keys::Key;
use crate::requests::{RequestStage, RequestTally, RowRequests};
use std::sync::Arc;
use tokumei_jp::Date;
use tokumei_rules::{Action, Job, Mode};

/// A job made ready to run: input opened, rules validated against its header, key loaded,
/// release id chosen. Nothing has been read or written yet.
pub struct Prepared {
    pub(super) job: Job,
    pub(super) source: Box<dyn ingest::Source>,
    /// The validated rules.
    pub plan: tokumei_rules::Plan,
    pub(super) key: Option<Arc<Key>>,
    pub(super) reference_date: Date,
    /// Id of the release this run would make: `<dataset>-<UTC stamp>-<random>`.
    pub release_id: String,
    /// What is known of the run so far (for its audit entry).
    pub facts: RunFacts,
    /// The request stage in front of the input, once applied.
    pub(super) requests: Option<crate::requests::RequestTally>,
    /// The request stage on the rows the rules see, when one applies.
    pub(super) row_requests: Option<Arc<RowRequests>>,
    /// Hashes of the values of a query's identifier input columns (the residual scan).
    pub(super) identifier_values: Option<Arc<ingest::lineage::IdentifierValues>>,
}

/// Open the input, validate the rules against its header, load the key and choose the release id.
pub fn prepare(job: &Job, now_unix: i64) -> Result<Prepared, RunError> {
    prepare_with_requests(job, now_unix, None)
}

/// [`prepare`], with residents' requests as the run's first stage: excluded subjects' records
/// left out and corrections applied, on each input of a query job (by the identifier column) and
/// on the rows the rules see (by their `subject` column, which must be that identifier while
/// exclusions or corrections are in force).
pub fn prepare_with_requests(job: &Job, now_unix: i64, requests: Option<RequestStage>) -> Result<Prepared, RunError> {
    let mut facts = RunFacts::default();
    match prepare_with(job, now_unix, requests, &mut facts) {
        Ok(p) => Ok(Prepared { facts, ..p }),
        Err(error) => Err(RunError { error, facts: Box::new(facts) }),
    }
}

fn prepare_with(
    job: &Job,
    now_unix: i64,
    requests: Option<RequestStage>,
    facts: &mut RunFacts,
) -> Result<Prepared, EngineError> {
    let tally = tally_for(requests.as_ref());
    // The rules' identifier roles by name, for a query's lineage and residual scan (rules that
    // cannot be read or parsed give none here: their validation below reports them).
    let identifiers = std::fs::read_to_string(&job.rules)
        .map(|src| ingest::lineage::Identifiers::from_rules(&job.rules, &src))
        .unwrap_or_default();
    let source = ingest::open(job, requests.as_ref().zip(tally.as_ref()), &identifiers)?;
    prepare_from(job, now_unix, requests, tally, source, &identifiers, facts)
}

/// A run whose rows are read elsewhere (a cluster, `crate::distributed`): the rules validated
/// against `header` (the input's column names), the key and the release id, with no input opened
/// here; residents' `requests` (if any) checked against the rules and the header as on one
/// machine, for the cluster to apply ([`Prepared::row_requests`]).
pub fn prepare_elsewhere(
    job: &Job,
    header: Vec<String>,
    now_unix: i64,
    requests: Option<RequestStage>,
) -> Result<Prepared, RunError> {
    let mut facts = RunFacts::default();
    let source: Box<dyn ingest::Source> = Box::new(ingest::HeaderOnly::new(header));
    let identifiers = ingest::lineage::Identifiers::default();
    let tally = tally_for(requests.as_ref());
    match prepare_from(job, now_unix, requests, tally, source, &identifiers, &mut facts) {
        Ok(p) => Ok(Prepared { facts, ..p }),
        Err(error) => Err(RunError { error, facts: Box::new(facts) }),
    }
}

/// [`prepare_with`] once the input is open.
fn prepare_from(
    job: &Job,
    now_unix: i64,
    requests: Option<RequestStage>,
    tally: Option<RequestTally>,
    source: Box<dyn ingest::Source>,
    identifiers: &ingest::lineage::Identifiers,
    facts: &mut RunFacts,
) -> Result<Prepared, EngineError> {
    let rules_src =
        std::fs::read_to_string(&job.rules).map_err(io_err(ExitCode::Config, &job.rules, "cannot read rule file"))?;
    // A first line naming no rule column is data, not a header: say so without quoting it.
    let named: Vec<String> = tokumei_rules::parse_rules(&job.rules, &rules_src)
        .map(|raw| raw.columns.iter().map(|c| c.name.get_ref().clone()).collect())
        .unwrap_or_default();
    let named: Vec<&str> = named.iter().map(String::as_str).collect();
    ingest::check_header(&ingest::source_file(job), source.header(), &named, "a column of the rules")?;
    let plan = tokumei_rules::validate_rules(&job.rules, &rules_src, source.header())
        .map_err(|d| EngineError::Config(d.to_string()))?;
    // A query's result columns keep the identifier roles of the input columns they copy.
    if let Some(lineage) = source.lineage() {
        ingest::lineage::check(job, &plan, lineage, identifiers)?;
        // And a typed input column's values reach no identifier of the result.
        ingest::lineage::check_types(job, &plan, lineage, requests.as_ref().map(|r| r.identifier.as_str()))?;
    }
    let identifier_values = source.identifier_values();
    facts.dataset = Some(plan.dataset.clone());
    facts.mode = Some(plan.mode.to_string());
    facts.rules_sha256 = Some(plan.rules_sha256.clone());

    // Ages are counted on the run's date in Japan (a resident turns a year older at midnight
    // JST, not at 09:00), unless the job names its reference date.
    let reference_date = match &job.reference_date {
        Some(s) => tokumei_jp::parse_date(s)
            .ok_or_else(|| EngineError::Config(format!("{}: reference_date is not a date", job.path.display())))?,
        None => tokumei_jp::japan_date(now_unix)
            .ok_or_else(|| EngineError::Config("the run clock is out of range".to_string()))?,
    };

    let needs_key = plan.columns.iter().any(|c| matches!(c.action, Action::Pseudonymize { .. }));
    let key = match (needs_key, plan.mode) {
        (false, _) => None,
        (true, Mode::Anonymized) => Some(Arc::new(Key::ephemeral())),
        (true, Mode::Pseudonymized) => {
            let path = job.key_file.as_ref().ok_or_else(|| {
                EngineError::Key(format!(
                    "{}: pseudonymized mode needs a managed key: add [keys] pseudonym_key_file to the job (create one with `tokumei keygen`)",
                    job.path.display()
                ))
            })?;
            Some(Arc::new(Key::load(path)?))
        }
    };
    facts.key_id = key.as_ref().map(|k| k.id.clone());

    let mut rand_tag = [0u8; 4];
    rand::RngExt::fill(&mut rand::rng(), &mut rand_tag);
    let stamp: String = rfc3339(now_unix).chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let release_id = format!("{}-{}-{}", plan.dataset, stamp, hex::encode(rand_tag));
    facts.release_id = Some(release_id.clone());
    let row_requests = match (requests, &tally) {
        (Some(stage), Some(_)) => row_requests(job, &plan, source.header(), stage)?.map(Arc::new),
        _ => None,
    };
    let source = match (&row_requests, &tally) {
        (Some(rows), Some(tally)) => ingest::requests::filter(source, rows.clone(), tally.clone()),
        _ => source,
    };
    Ok(Prepared {
        job: job.clone(),
        source,
        plan,
        key,
        reference_date,
        release_id,
        facts: RunFacts::default(),
        requests: tally,
        row_requests,
        identifier_values,
    })
}

/// The request stage on the rows the rules see: by the rules' `subject` column, which must be
/// the identifier the registry's requests name while any exclusion or correction is in force.
/// A single input gets its corrections here; a query's inputs got theirs before the query.
/// `None` when there is nothing to do (no `subject` column, and nothing in force).
fn row_requests(
    job: &Job,
    plan: &tokumei_rules::Plan,
    header: &[String],
    stage: RequestStage,
) -> Result<Option<RowRequests>, EngineError> {
    let Some(subject) = plan.subject.as_ref() else {
        if !stage.binding() {
            return Ok(None);
        }
        return Err(EngineError::Config(format!(
            "{}: the registry holds {} exclusions and corrections from residents' requests, but the rules name no `subject` column to apply them by\n  hint: add `subject = \"{}\"` to the rules",
            plan.rules_path.display(),
            stage.exclude.len() + stage.corrections.iter().map(|(_, l)| l.len()).sum::<usize>(),
            stage.identifier
        )));
    };
    let own = match (&job.query, job.inputs.as_slice()) {
        (None, [input]) => stage.subject_column_for(&input.path) == subject,
        _ => false,
    };
    if stage.binding() && subject != &stage.identifier && !own {
        return Err(EngineError::Config(format!(
            "{}: the rules' subject column `{subject}` is not the municipality's subject identifier `{}`, by which residents' requests (exclusions, corrections) are applied\n  hint: name the column `{}` in the extract or in the job's query (`... AS {}`), or set the registry profile's `subject_identifier`",
            plan.rules_path.display(),
            stage.identifier,
            stage.identifier,
            stage.identifier
        )));
    }
    let index = header
        .iter()
        .position(|h| h == subject)
        .ok_or_else(|| EngineError::Config(format!("subject column `{subject}` is not in the input")))?;
    let corrections = match (&job.query, job.inputs.as_slice()) {
        (None, [input]) => stage.corrections_for(&input.path),
        _ => Vec::new(),
    };
    Ok(Some(RowRequests::new(header, index, stage.exclude, corrections, stage.collect_subjects)))
}

/// A run's tally of the request stage, with the exclusions in force.
fn tally_for(requests: Option<&RequestStage>) -> Option<RequestTally> {
    requests.map(|r| {
        let t = RequestTally::default();
        t.add(|c, _| c.exclusions_in_force = r.exclude.len() as u64);
        t
    })
}

impl Prepared {
    /// The input's column names the rules were validated against.
    pub fn header(&self) -> &[String] {
        self.source.header()
    }

    /// The job.
    pub fn job(&self) -> &Job {
        &self.job
    }

    /// The run's pseudonym key, if a column is pseudonymised: for a run whose rows are
    /// transformed elsewhere, which hands it to its executors in an owner-only file (never in a
    /// plan or a log) and removes it after the run. Its bytes are never printed (`Debug`).
    pub fn key(&self) -> Option<&Arc<Key>> {
        self.key.as_ref()
    }

    /// The request stage on the rows the rules see (excluded subjects, corrections), when
    /// residents' requests apply to the run: for a run whose rows are read elsewhere.
    pub fn row_requests(&self) -> Option<&RowRequests> {
        self.row_requests.as_deref()
    }

    /// What the request stage did (its counts), when residents' requests apply to the run: a
    /// run whose rows are read elsewhere adds the counts its cluster returns.
    pub fn request_tally(&self) -> Option<&RequestTally> {
        self.requests.as_ref()
    }

    /// The date ages are computed at.
    pub fn reference_date(&self) -> Date {
        self.reference_date
    }

    /// The pseudonym a pseudonymized job gives `value` in its subject column (`subject` of
    /// the rules), with the job's managed key: how a person is found in a per-subject index
    /// without the registry keeping the identifier. `None` when the subject column is not
    /// pseudonymised or there is no managed key (anonymized mode: keys are never kept).
    pub fn subject_code(&self, value: &str) -> Result<Option<(String, String)>, EngineError> {
        if self.plan.mode != Mode::Pseudonymized {
            return Ok(None);
        }
        let Some(subject) = &self.plan.subject else { return Ok(None) };
        let Some(col) = self.plan.columns.iter().find(|c| &c.name == subject) else { return Ok(None) };
        if !matches!(col.action, Action::Pseudonymize { .. }) || !col.extra_inputs.is_empty() {
            return Ok(None);
        }
        let cx = crate::transform::Context { reference_date: self.reference_date, key: self.key.clone() };
        let Some(t) = crate::transform::build(col, &cx) else { return Ok(None) };
        let cell = t.apply(Some(value)).map_err(|m| EngineError::Config(format!("subject `{subject}`: {}", m.0)))?;
        Ok(Some((col.output.clone().unwrap_or_default(), cell.label())))
    }
}
