//! Stage 1: the input opened, the rules validated against its header, the key loaded and the
//! release id chosen. Nothing is read or written yet.

use super::{RunError, RunFacts, rfc3339};
use crate::error::EngineError;
use crate::error::{ExitCode, io_err};
use crate::ingest;
use crate::keys::Key;
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
}

/// Open the input, validate the rules against its header, load the key and choose the release id.
pub fn prepare(job: &Job, now_unix: i64) -> Result<Prepared, RunError> {
    let mut facts = RunFacts::default();
    match prepare_with(job, now_unix, &mut facts) {
        Ok(p) => Ok(Prepared { facts, ..p }),
        Err(error) => Err(RunError { error, facts: Box::new(facts) }),
    }
}

fn prepare_with(job: &Job, now_unix: i64, facts: &mut RunFacts) -> Result<Prepared, EngineError> {
    let source = ingest::open(job)?;
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
    facts.dataset = Some(plan.dataset.clone());
    facts.mode = Some(plan.mode.to_string());
    facts.rules_sha256 = Some(plan.rules_sha256.clone());

    let today = Date::from_days_since_epoch(now_unix.div_euclid(86_400) as i32);
    let reference_date = match &job.reference_date {
        Some(s) => tokumei_jp::parse_date(s)
            .ok_or_else(|| EngineError::Config(format!("{}: reference_date is not a date", job.path.display())))?,
        None => today,
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
    Ok(Prepared {
        job: job.clone(),
        source,
        plan,
        key,
        reference_date,
        release_id,
        facts: RunFacts::default(),
        requests: None,
    })
}

impl Prepared {
    /// Put residents' requests in front of the input (the run's first stage): excluded subjects'
    /// records left out, corrections applied, subjects collected. Exclusions or corrections need
    /// the rules' `subject` column; without one the run is refused (it could not honour them).
    pub fn apply_requests(self, stage: crate::requests::RequestStage) -> Result<Prepared, EngineError> {
        let subject = match &self.plan.subject {
            Some(s) => s.clone(),
            None if stage.exclude.is_empty() && stage.corrections.is_empty() => {
                return Ok(Prepared { requests: Some(crate::requests::RequestTally::nothing()), ..self });
            }
            None => {
                return Err(EngineError::Config(format!(
                    "{}: the registry holds {} exclusions and {} corrections from residents' requests, but the rules name no `subject` column to apply them by\n  hint: add `subject = \"<the subject identifier column, e.g. 宛名番号>\"` to the rules",
                    self.plan.rules_path.display(),
                    stage.exclude.len(),
                    stage.corrections.len()
                )));
            }
        };
        let index = self
            .source
            .header()
            .iter()
            .position(|h| h == &subject)
            .ok_or_else(|| EngineError::Config(format!("subject column `{subject}` is not in the input")))?;
        let (source, tally) = crate::requests::filter(self.source, index, stage);
        Ok(Prepared { source, requests: Some(tally), ..self })
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
