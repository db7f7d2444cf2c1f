//! Residents' requests as a run applies them, first: records of subjects excluded by an accepted
//! suspension of use or an opt-out are left out before anything else reads them, and accepted
//! corrections are applied to the records read (an overlay: the source files are not changed).
//! The stage counts what it did (never who) and, when asked, collects the subject identifiers of
//! the records it passed on, for the registry's per-subject index. The filtering itself is a
//! source in front of each input (`ingest::requests`).

use rustc_hash::{FxHashMap, FxHashSet};
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

/// The request stage for one input's rows: which subjects' records are left out and which of
/// their values are corrected, by subject in normal form. The same lookup runs in front of an
/// input on one machine (`ingest::requests`) and on a cluster's executors, so both leave out and
/// correct the same records. Its `Debug` names no subject and no value.
#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct RowRequests {
    /// The input column holding the subject identifier.
    pub subject: usize,
    exclude: FxHashSet<String>,
    /// subject -> [(input column, value)], one per column (a later correction wins).
    corrections: FxHashMap<String, Vec<(usize, String)>>,
    /// Collect the subject identifiers of the records passed on.
    pub collect: bool,
    /// Corrections in force for this input (those of columns it has).
    pub in_force: u64,
}

/// What the stage does with one record.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict<'a> {
    /// Left out (its subject's use is suspended, or they opted out).
    Excluded,
    /// Passed on with these (input column, value) corrections (often none).
    Passed(&'a [(usize, String)]),
}

impl std::fmt::Debug for RowRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowRequests")
            .field("subject", &self.subject)
            .field("excluded", &self.exclude.len())
            .field("corrected_subjects", &self.corrections.len())
            .field("collect", &self.collect)
            .finish()
    }
}

impl RowRequests {
    /// The stage for an input whose column names are `header` and whose column `subject` holds
    /// the subject identifier: `exclude` left out, `corrections` applied (a correction of a
    /// column the input does not have is not for it; the identifier itself is never rewritten:
    /// that would move a record to another person).
    pub fn new(
        header: &[String],
        subject: usize,
        exclude: impl IntoIterator<Item = String>,
        corrections: Vec<Correction>,
        collect: bool,
    ) -> RowRequests {
        let exclude = exclude.into_iter().map(|s| normalize_subject(&s)).collect();
        let mut by_subject: FxHashMap<String, Vec<(usize, String)>> = FxHashMap::default();
        let mut in_force = 0;
        for (s, column, value) in corrections {
            let Some(i) = header.iter().position(|h| h == &column).filter(|i| *i != subject) else { continue };
            in_force += 1;
            let list = by_subject.entry(normalize_subject(&s)).or_default();
            list.retain(|(c, _)| *c != i);
            list.push((i, value));
        }
        RowRequests { subject, exclude, corrections: by_subject, collect, in_force }
    }

    /// What happens to a record of `subject` (in normal form, or keyed as [`RowRequests::keyed`]
    /// keyed the stage).
    pub fn verdict(&self, subject: &str) -> Verdict<'_> {
        if self.exclude.contains(subject) {
            return Verdict::Excluded;
        }
        Verdict::Passed(self.corrections.get(subject).map_or(&[], Vec::as_slice))
    }

    /// Whether any record can be left out or corrected.
    pub fn binding(&self) -> bool {
        !self.exclude.is_empty() || !self.corrections.is_empty()
    }

    /// The input columns some correction rewrites, in order.
    pub fn corrected_columns(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.corrections.values().flatten().map(|(c, _)| *c).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The same stage with every subject replaced by `key(subject)` (a keyed hash: the file a
    /// cluster's executors read then names none of the people who asked); look records up by
    /// the same key of their subject.
    pub fn keyed(&self, key: impl Fn(&str) -> String) -> RowRequests {
        RowRequests {
            subject: self.subject,
            exclude: self.exclude.iter().map(|s| key(s)).collect(),
            corrections: self.corrections.iter().map(|(s, l)| (key(s), l.clone())).collect(),
            collect: self.collect,
            in_force: self.in_force,
        }
    }
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

    /// Add records left out and values corrected elsewhere (a cluster's count of its rows).
    pub fn add_elsewhere(&self, excluded_records: u64, corrected_values: u64) {
        self.add(|c, _| {
            c.excluded_records += excluded_records;
            c.corrected_values += corrected_values;
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<String> {
        ["宛名番号", "性別", "住所"].iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_stage_leaves_out_corrects_and_never_rewrites_the_identifier() {
        let fix = |s: &str, c: &str, v: &str| (s.to_string(), c.to_string(), v.to_string());
        let corrections = vec![
            fix("0001", "性別", "男"),
            fix("0001", "性別", "女"),       // a later correction of the same column wins
            fix("0001", "宛名番号", "9999"), // the identifier is never rewritten
            fix("0001", "電話番号", "0"),    // a column this input does not have
            fix("０００２", "住所", "新住所"),
        ];
        let r = RowRequests::new(&header(), 0, ["０００３".to_string()], corrections, false);
        assert_eq!(r.in_force, 3);
        assert_eq!(r.verdict("0003"), Verdict::Excluded, "subjects in normal form");
        assert_eq!(r.verdict("0001"), Verdict::Passed(&[(1, "女".to_string())]));
        assert_eq!(r.verdict("0002"), Verdict::Passed(&[(2, "新住所".to_string())]));
        assert_eq!(r.verdict("0004"), Verdict::Passed(&[]));
        assert_eq!(r.corrected_columns(), [1, 2]);
        assert!(r.binding() && !RowRequests::new(&header(), 0, [], vec![], true).binding());
        // Keyed: looked up by the key of the subject; the clear subject no longer matches.
        let k = r.keyed(|s| format!("k:{s}"));
        assert_eq!(k.verdict("k:0003"), Verdict::Excluded);
        assert_eq!(k.verdict("0003"), Verdict::Passed(&[]));
        assert_eq!(k.verdict("k:0002"), Verdict::Passed(&[(2, "新住所".to_string())]));
        // Its Debug names no subject and no value.
        let shown = format!("{r:?}");
        assert!(!shown.contains("000") && !shown.contains("住所") && !shown.contains('女'), "{shown}");
    }
}
