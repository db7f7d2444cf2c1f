//! The run's audit log: checked before the run starts, started only when nothing recorded in an
//! earlier log is missing, and the entry of a failed run.

use super::Tell;
use super::anchors::check_release_anchors;
use crate::{Clock, OfficeError};
use std::path::{Path, PathBuf};
use tokumei_audit::{AuditError, Entry, JsonlLog, Record};
use tokumei_engine::ExitCode;
use tokumei_engine::run::RunFacts;

/// The job's audit log as a run finds it: intact with its entries, or not there yet (it is
/// started, its first entry recording the start, only once the run knows that nothing recorded
/// in an earlier log is missing). A broken, incomplete or emptied log refuses the run.
pub struct RunLog {
    log: JsonlLog,
    entries: Option<Vec<Entry>>,
    /// The output folder whose releases witness the log.
    out_root: PathBuf,
}

impl RunLog {
    /// Check the log at `path`; `out_root` is the output folder of the run.
    pub fn open(path: &Path, out_root: &Path) -> Result<RunLog, OfficeError> {
        let log = JsonlLog::new(path);
        let refuse = |e: AuditError| {
            OfficeError::Audit(AuditError::Anchor(format!(
                "{e}\n  hint: a broken log is evidence and is kept as it is; `tokumei audit verify` shows where it breaks, and `tokumei audit rotate --reason ...` starts a new log that records this one's final state"
            )))
            .context("the run did not start")
        };
        if !log.exists().map_err(refuse)? {
            return Ok(RunLog { log, entries: None, out_root: out_root.to_path_buf() });
        }
        let entries = log.entries().map_err(refuse)?;
        if entries.is_empty() {
            return Err(refuse(AuditError::Invalid {
                path: path.to_path_buf(),
                reason: "is empty, but a log always begins with the entry that started it: it may have been emptied"
                    .into(),
            }));
        }
        Ok(RunLog { log, entries: Some(entries), out_root: out_root.to_path_buf() })
    }

    /// Read the entries again (another run may have appended since): under the output folder's
    /// lock they then include every release already in it.
    pub fn refresh(&mut self) -> Result<(), OfficeError> {
        *self = RunLog::open(self.log.path(), &self.out_root)?;
        Ok(())
    }

    /// The log (started or not).
    pub fn log(&self) -> &JsonlLog {
        &self.log
    }

    /// Whether the log exists (it had entries when last read).
    pub fn exists(&self) -> bool {
        self.entries.is_some()
    }

    /// The entries (none before the log is started).
    pub fn entries(&self) -> &[Entry] {
        self.entries.as_deref().unwrap_or_default()
    }

    /// Start the log if it does not exist yet; returns it. A missing log is not started anew
    /// while releases in the output folder witness an earlier one (it was deleted or moved).
    pub fn started(&mut self, by: &Auditor) -> Result<&JsonlLog, OfficeError> {
        if self.entries.is_none() {
            check_release_anchors(&self.log, &[], &self.out_root)?;
            let first = self.log.start(&by.base.operator, &by.clock.entry_time(), by.clock.note())?;
            if let Some(first) = &first {
                by.tell.note(&format!(
                    "note: started a new audit log {} (entry {})",
                    super::shown(self.log.path()).display(),
                    first.seq
                ));
            }
            self.entries = Some(self.log.entries()?);
        }
        Ok(&self.log)
    }
}

/// Who writes the run's entries: the fields every entry of the run shares (the contract's,
/// once it is known), the clock and where notes go.
pub struct Auditor<'a> {
    /// The shared fields.
    pub base: Record,
    /// The run clock.
    pub clock: &'a Clock,
    /// Where notes go.
    pub tell: &'a dyn Tell,
}

impl<'a> Auditor<'a> {
    /// The entries of `operator`'s `action` (`run`, `check`) on the job at `job`.
    pub fn new(operator: &str, action: &str, job: &Path, clock: &'a Clock, tell: &'a dyn Tell) -> Auditor<'a> {
        let base = Record {
            time: String::new(),
            operator: operator.to_string(),
            action: action.into(),
            status: "failed".into(),
            job: Some(job.display().to_string()),
            clock: clock.note(),
            ..Default::default()
        };
        Auditor { base, clock, tell }
    }

    /// A new entry of the run, timed now (status `failed` until said otherwise).
    pub fn record(&self) -> Record {
        let mut r = self.base.clone();
        r.time = self.clock.entry_time();
        r
    }

    /// Note a detail every later entry of the run carries.
    pub fn detail(&mut self, key: &str, value: serde_json::Value) {
        self.base.details.insert(key.into(), value);
    }

    /// Audit a failure with what is known of the run (unless the log itself is what failed);
    /// returns the failure, saying so if its entry could not be written.
    pub fn fail(&self, run_log: &mut RunLog, facts: &RunFacts, f: OfficeError) -> OfficeError {
        let code = f.exit_code();
        if code == ExitCode::Audit {
            return f;
        }
        let log = match run_log.started(self) {
            Ok(log) => log,
            Err(e) => return f.context(format!("(and its audit entry could not be written: {})", e.chain())),
        };
        let mut r = self.record();
        super::record::fill(&mut r, facts);
        r.error = Some(format!("{}: {}", code.class(), f.chain().lines().next().unwrap_or_default()));
        match log.append(r) {
            Ok(_) => f,
            Err(e) => f.context(format!("(and its audit entry could not be written: {e})")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_log_waits_to_be_started_and_an_emptied_one_refuses_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let log = RunLog::open(&path, dir.path()).unwrap();
        assert!(!log.exists());
        assert!(log.entries().is_empty());
        std::fs::write(&path, b"").unwrap();
        let e = RunLog::open(&path, dir.path()).err().unwrap();
        assert_eq!(e.exit_code(), ExitCode::Audit);
        assert!(e.chain().starts_with("the run did not start: audit log "), "{}", e.chain());
        assert!(e.chain().contains("it may have been emptied"), "{}", e.chain());
    }
}
