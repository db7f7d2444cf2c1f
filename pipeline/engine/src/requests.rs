//! Residents' requests as a run applies them, first: records of subjects excluded by an accepted
//! suspension of use or an opt-out are left out before anything else reads them, and accepted
//! corrections are applied to the records read (an overlay: the source files are not changed).
//! The stage counts what it did (never who) and, when asked, collects the subject identifiers of
//! the records it passed on, for the registry's per-subject index. The filtering itself is a
//! source in front of each input (`ingest::requests`).

use rustc_hash::FxHashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// What the registry asks a run to apply.
#[derive(Debug, Default, Clone)]
pub struct RequestStage {
    /// The column name of the municipality's subject identifier (the profile's, e.g. 宛名番号):
    /// the rules' `subject` column, and the column of each input of a query job.
    pub identifier: String,
    /// Subject identifiers whose records are left out.
    pub exclude: FxHashSet<String>,
    /// Accepted corrections per input file, in order; a later one wins.
    pub corrections: Vec<(PathBuf, Vec<Correction>)>,
    /// Collect the subject identifiers of the records passed on.
    pub collect_subjects: bool,
    /// Inputs registered as a file's source whose identifier column has another name.
    pub input_subjects: Vec<(PathBuf, String)>,
}

impl RequestStage {
    /// Whether there is anything to honour (exclusions or corrections).
    pub fn binding(&self) -> bool {
        !self.exclude.is_empty() || self.corrections.iter().any(|(_, l)| !l.is_empty())
    }

    /// The column of the input file `path` that holds the subject identifier.
    pub fn subject_column_for(&self, path: &std::path::Path) -> &str {
        self.input_subjects.iter().find(|(p, _)| p == path).map_or(self.identifier.as_str(), |(_, c)| c.as_str())
    }

    /// The corrections for the input file `path`.
    pub fn corrections_for(&self, path: &std::path::Path) -> Vec<Correction> {
        self.corrections.iter().filter(|(p, _)| p == path).flat_map(|(_, l)| l.iter().cloned()).collect()
    }
}

/// A correction: (subject, column, value).
pub type Correction = (String, String, String);

pub use tokumei_report::RequestCounts;

/// The normal form of a subject identifier (as the registry keeps it).
pub fn normalize_subject(s: &str) -> String {
    tokumei_jp::identifier_key(s).into_owned()
}

/// What the stage did, shared by the filters of a run's inputs and read after the run.
#[derive(Clone, Default)]
pub struct RequestTally(Arc<Mutex<(RequestCounts, FxHashSet<String>)>>);

impl RequestTally {
    /// Add to the counts and the subjects seen.
    pub(crate) fn add(&self, f: impl FnOnce(&mut RequestCounts, &mut FxHashSet<String>)) {
        if let Ok(mut t) = self.0.lock() {
            let (c, s) = &mut *t;
            f(c, s);
        }
    }

    /// The counts.
    pub fn counts(&self) -> RequestCounts {
        self.0.lock().map(|t| t.0.clone()).unwrap_or_default()
    }

    /// The distinct subject identifiers passed on (when collected), sorted.
    pub fn subjects(&self) -> Vec<String> {
        let mut v: Vec<String> = self.0.lock().map(|t| t.1.iter().cloned().collect()).unwrap_or_default();
        v.sort_unstable();
        v
    }
}
