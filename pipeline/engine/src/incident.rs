//! The records a leak incident concerns: the people in a registered source extract, all of them
//! or those a SQL condition selects (run by DataFusion over the extract read with tokumei's own
//! decoding), and, for the notices, the columns of each affected person's records.

use crate::EngineError;
use crate::ingest::{self, Source};
use crate::lookup::Place;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// What the scope selects in one source.
#[derive(Debug, Clone)]
pub struct ScopeRecords {
    /// The source's columns.
    pub header: Vec<String>,
    /// Records selected.
    pub records: u64,
    /// Distinct subject identifiers (normal form) of those records.
    pub subjects: BTreeSet<String>,
    /// Records selected whose subject identifier is blank.
    pub blank: u64,
    /// SHA-256 of the source's bytes.
    pub sha256: String,
}

fn input(place: &Place) -> tokumei_rules::Input {
    tokumei_rules::Input {
        name: None,
        path: place.path.clone(),
        format: if place.parquet { tokumei_rules::InputFormat::Parquet } else { tokumei_rules::InputFormat::Csv },
        encoding: place.encoding,
        delimiter: b',',
        persons: true,
        types: Vec::new(),
    }
}

/// Open a source, narrowed by `filter` (a SQL condition) when given.
fn open(place: &Place, filter: Option<&str>) -> Result<Box<dyn Source>, EngineError> {
    match filter {
        None => ingest::open_input(&input(place)),
        Some(cond) => {
            let job = tokumei_rules::Job {
                path: PathBuf::from("incident scope `where`"),
                name: "incident-scope".into(),
                reference_date: None,
                inputs: vec![input(place)],
                query: Some(tokumei_rules::Query::Where(cond.to_string())),
                query_at: None,
                rules: PathBuf::new(),
                output_dir: PathBuf::new(),
                key_file: None,
                audit_log: PathBuf::new(),
                actor: Default::default(),
                registry: None,
                release_use: None,
                query_limits: Default::default(),
                sign_key: None,
            };
            ingest::open_query(&job, None, None)
        }
    }
}

/// The records of `place` that `filter` selects (all without one), and their people by the
/// identifier in `subject_column`.
pub fn scope_records(place: &Place, subject_column: &str, filter: Option<&str>) -> Result<ScopeRecords, EngineError> {
    let mut source = open(place, filter)?;
    let header = source.header().to_vec();
    let col = header.iter().position(|h| h == subject_column).ok_or_else(|| EngineError::Input {
        file: place.path.clone(),
        message: format!("has no column `{subject_column}` (the subject identifier)"),
    })?;
    let mut subjects = BTreeSet::new();
    let (mut records, mut blank) = (0u64, 0u64);
    while let Some(batch) = source.next_batch()? {
        for r in 0..batch.len() {
            records += 1;
            match batch.value(r, col).map(crate::requests::normalize_subject).filter(|s| !s.is_empty()) {
                Some(s) => {
                    subjects.insert(s);
                }
                None => blank += 1,
            }
        }
    }
    let sha256 = match source.inputs().first() {
        Some(i) => i.sha256.clone(),
        None => source.stats().sha256(),
    };
    Ok(ScopeRecords { header, records, subjects, blank, sha256 })
}

/// For each of `subjects` found in `place`, the values of `columns` on its first record.
pub fn people_columns(
    place: &Place,
    subject_column: &str,
    subjects: &BTreeSet<String>,
    columns: &[String],
) -> Result<BTreeMap<String, Vec<String>>, EngineError> {
    let mut source = open(place, None)?;
    let header = source.header().to_vec();
    let find = |c: &str| {
        header
            .iter()
            .position(|h| h == c)
            .ok_or_else(|| EngineError::Input { file: place.path.clone(), message: format!("has no column `{c}`") })
    };
    let id = find(subject_column)?;
    let cols: Vec<usize> = columns.iter().map(|c| find(c)).collect::<Result<_, _>>()?;
    let mut out = BTreeMap::new();
    while let Some(batch) = source.next_batch()? {
        for r in 0..batch.len() {
            let Some(v) = batch.value(r, id) else { continue };
            let s = crate::requests::normalize_subject(v);
            if subjects.contains(&s) && !out.contains_key(&s) {
                out.insert(s, cols.iter().map(|c| batch.value(r, *c).unwrap_or_default().to_string()).collect());
            }
        }
    }
    Ok(out)
}

/// The column names of a table (Parquet, or CSV by its header line).
pub fn columns_of(path: &std::path::Path) -> Result<Vec<String>, EngineError> {
    let parquet = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    let place = Place { path: path.to_path_buf(), parquet, encoding: tokumei_rules::Encoding::Auto };
    Ok(open(&place, None)?.header().to_vec())
}
