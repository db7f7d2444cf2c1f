//! The request stage as a source in front of an input (see [`crate::requests`]): excluded
//! subjects' records left out, corrections applied, batch by batch on the workers.

use super::{RawBatch, ReadStats, Source, Task};
use crate::EngineError;
use crate::requests::{RequestTally, RowRequests, Verdict};
use arrow::array::{Array, BooleanArray, StringArray};
use rustc_hash::FxHashSet;
use std::sync::Arc;

struct Shared {
    rows: Arc<RowRequests>,
    tally: RequestTally,
}

/// A source whose batches have passed the request stage.
pub struct Filtered {
    inner: Box<dyn Source>,
    shared: Arc<Shared>,
}

/// Put the stage `rows` in front of `source` (whose column `rows.subject` holds the subject
/// identifier); what it does is added to `tally`.
pub fn filter(source: Box<dyn Source>, rows: Arc<RowRequests>, tally: RequestTally) -> Box<dyn Source> {
    tally.add(|c, _| c.corrections_in_force += rows.in_force);
    let shared = Arc::new(Shared { rows, tally });
    Box::new(Filtered { inner: source, shared })
}

impl Source for Filtered {
    fn header(&self) -> &[String] {
        self.inner.header()
    }

    fn next_batch(&mut self) -> Result<Option<RawBatch>, EngineError> {
        match self.inner.next_batch()? {
            Some(b) => apply(&self.shared, b).map(Some),
            None => Ok(None),
        }
    }

    fn next_task(&mut self) -> Result<Option<Task>, EngineError> {
        let Some(task) = self.inner.next_task()? else { return Ok(None) };
        let shared = self.shared.clone();
        Ok(Some(Box::new(move || apply(&shared, task()?))))
    }

    fn stats(&self) -> ReadStats {
        self.inner.stats()
    }

    fn size(&self) -> Option<u64> {
        self.inner.size()
    }

    fn rows_hint(&self) -> Option<u64> {
        self.inner.rows_hint()
    }

    fn encoding(&self) -> Option<&'static str> {
        self.inner.encoding()
    }

    fn inputs(&self) -> Vec<super::InputFacts> {
        self.inner.inputs()
    }

    fn lineage(&self) -> Option<&super::lineage::QueryLineage> {
        self.inner.lineage()
    }

    fn identifier_values(&self) -> Option<Arc<super::lineage::IdentifierValues>> {
        self.inner.identifier_values()
    }
}

/// Leave out excluded records and apply corrections in one batch.
fn apply(s: &Shared, batch: RawBatch) -> Result<RawBatch, EngineError> {
    let n = batch.len();
    let mut keep = vec![true; n];
    let mut fixes: Vec<(usize, usize, &str)> = Vec::new();
    let mut excluded = 0u64;
    let mut seen: FxHashSet<String> = FxHashSet::default();
    let r = &s.rows;
    let quick = !r.binding();
    for (row, k) in keep.iter_mut().enumerate() {
        let Some(raw) = batch.value(row, r.subject) else { continue };
        if quick && !r.collect {
            break;
        }
        // Identifiers are mostly ASCII already in normal form: borrowed without work.
        let id = tokumei_jp::identifier_key(raw);
        match r.verdict(id.as_ref()) {
            Verdict::Excluded => {
                *k = false;
                excluded += 1;
                continue;
            }
            Verdict::Passed(list) => fixes.extend(list.iter().map(|(c, v)| (row, *c, v.as_str()))),
        }
        if r.collect && !seen.contains(id.as_ref()) {
            seen.insert(id.into_owned());
        }
    }
    s.tally.add(|c, subjects| {
        c.excluded_records += excluded;
        c.corrected_values += fixes.len() as u64;
        subjects.extend(seen);
    });
    if excluded == 0 && fixes.is_empty() {
        return Ok(batch);
    }
    Ok(rebuild(batch, &keep, &fixes))
}

/// The batch with only the kept rows and the corrected values.
fn rebuild(batch: RawBatch, keep: &[bool], fixes: &[(usize, usize, &str)]) -> RawBatch {
    let fix = |row: usize, col: usize| fixes.iter().rev().find(|(r, c, _)| *r == row && *c == col).map(|f| f.2);
    match batch {
        RawBatch::Csv { ref text, ref bounds, fields, ref lines } => {
            let mut out = String::with_capacity(text.len());
            let mut new_bounds = Vec::with_capacity(bounds.len());
            let mut new_lines = Vec::with_capacity(lines.len());
            for (row, line) in lines.iter().enumerate() {
                if !keep[row] {
                    continue;
                }
                new_lines.push(*line);
                for col in 0..fields {
                    let i = row * fields + col;
                    new_bounds.push(out.len() as u32);
                    match fix(row, col) {
                        Some(v) => out.push_str(v),
                        None => {
                            let (a, b) = (bounds[i] as usize, bounds[i + 1] as usize - 1);
                            out.push_str(&text[a..b]);
                        }
                    }
                    out.push(','); // the separator after each field
                }
            }
            new_bounds.push(out.len() as u32);
            RawBatch::Csv { text: out, bounds: new_bounds, fields, lines: new_lines }
        }
        RawBatch::Arrow { columns, first_row } => {
            let mask = BooleanArray::from(keep.to_vec());
            let columns = columns
                .into_iter()
                .enumerate()
                .map(|(col, a)| {
                    let a = if fixes.iter().any(|f| f.1 == col) {
                        (0..a.len())
                            .map(|row| fix(row, col).or_else(|| (!a.is_null(row)).then(|| a.value(row))))
                            .collect::<StringArray>()
                    } else {
                        a
                    };
                    match arrow::compute::filter(&a, &mask) {
                        Ok(f) => f.as_any().downcast_ref::<StringArray>().cloned().unwrap_or(a),
                        Err(_) => a,
                    }
                })
                .collect();
            RawBatch::Arrow { columns, first_row }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(rows: &[[&str; 3]]) -> RawBatch {
        let mut text = String::new();
        let mut bounds = vec![];
        for r in rows {
            for f in r {
                bounds.push(text.len() as u32);
                text.push_str(f);
                text.push(',');
            }
        }
        bounds.push(text.len() as u32);
        RawBatch::Csv { text, bounds, fields: 3, lines: (2..2 + rows.len() as u64).collect() }
    }

    fn shared(exclude: &[&str], corrections: &[(&str, usize, &str)], collect: bool) -> Shared {
        let header: Vec<String> = (0..3).map(|i| format!("c{i}")).collect();
        let corrections =
            corrections.iter().map(|(s, c, v)| (s.to_string(), header[*c].clone(), v.to_string())).collect();
        let rows = RowRequests::new(&header, 0, exclude.iter().map(|s| s.to_string()), corrections, collect);
        Shared { rows: Arc::new(rows), tally: RequestTally::default() }
    }

    #[test]
    fn excluded_records_are_left_out_and_corrections_applied() {
        let s = shared(&["002"], &[("003", 2, "新住所")], true);
        // A full-width identifier is the same subject.
        let b =
            apply(&s, csv(&[["001", "a", "x"], ["００２", "b", "y"], ["003", "c", "z"], ["002", "d", "w"]])).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!((b.value(0, 0), b.value(1, 0), b.value(1, 2)), (Some("001"), Some("003"), Some("新住所")));
        assert_eq!(b.location(1).to_string(), crate::error::Location::Line(4).to_string());
        let c = s.tally.counts();
        assert_eq!((c.excluded_records, c.corrected_values), (2, 1));
        assert_eq!(s.tally.subjects(), ["001", "003"]);
    }

    #[test]
    fn arrow_batches_too() {
        let s = shared(&["2"], &[("1", 1, "fixed")], false);
        let cols = vec![StringArray::from(vec!["1", "2", "3"]), StringArray::from(vec![Some("p"), None, Some("r")])];
        let b = apply(&s, RawBatch::Arrow { columns: cols, first_row: 1 }).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!((b.value(0, 1), b.value(1, 1)), (Some("fixed"), Some("r")));
    }
}
