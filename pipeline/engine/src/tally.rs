//! What pass 2 counts while it writes the release: each column's values (for the data
//! dictionary) and the classes over every column an attacker may know (the release risk).
//! Both see exactly the rows written, so the reports describe the release and nothing else.

use crate::EngineError;
use crate::transform::{BoundKind, Bounds, Generalize};
use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Date32Type, Int64Type};
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};

/// Categories listed in the data dictionary at most.
pub const MAX_CATEGORIES: usize = 60;

pub use tokumei_report::ValueSummary;

/// Tally of one column.
#[derive(Default)]
struct ColumnTally {
    counts: FxHashMap<String, u64>,
    /// Numbers (and dates, as days) counted by value, labelled once at the end: a label per
    /// row would cost a string per row.
    numbers: FxHashMap<i64, u64>,
    more: bool,
    nulls: u64,
    min: Option<i64>,
    max: Option<i64>,
}

fn date_text(days: i64) -> String {
    tokumei_jp::Date::from_days_since_epoch(days as i32).to_string()
}

impl ColumnTally {
    /// The tally of a dictionary column, from its values' counts over the written rows (no
    /// row is looked at again).
    fn from_dictionary(values: &[crate::cell::Cell], counts: &[u64], nulled: &[bool]) -> ColumnTally {
        use crate::cell::Cell;
        let mut t = ColumnTally::default();
        for ((v, n), gone) in values.iter().zip(counts).zip(nulled) {
            if *n == 0 {
                continue;
            }
            if *gone || *v == Cell::Null {
                t.nulls += n;
                continue;
            }
            match v {
                Cell::Int(i) => t.note_range(*i),
                Cell::Date(d) => t.note_range(i64::from(*d)),
                _ => {}
            }
            let label = match v {
                Cell::Bool(b) => b.to_string(),
                Cell::Date(d) => date_text(i64::from(*d)),
                other => other.label(),
            };
            if t.counts.len() < MAX_CATEGORIES || t.counts.contains_key(&label) {
                *t.counts.entry(label).or_insert(0) += n;
            } else {
                t.more = true;
            }
        }
        t
    }

    fn note_range(&mut self, v: i64) {
        self.min = Some(self.min.map_or(v, |m| m.min(v)));
        self.max = Some(self.max.map_or(v, |m| m.max(v)));
    }

    fn add(&mut self, a: &ArrayRef) {
        self.nulls += a.null_count() as u64;
        match a.data_type() {
            DataType::Int64 => {
                for v in a.as_primitive::<Int64Type>().iter().flatten() {
                    self.note_range(v);
                    self.count_number(v);
                }
            }
            DataType::Date32 => {
                for v in a.as_primitive::<Date32Type>().iter().flatten() {
                    self.note_range(i64::from(v));
                    self.count_number(i64::from(v));
                }
            }
            DataType::Boolean => {
                for v in a.as_boolean().iter().flatten() {
                    self.count(if v { "true" } else { "false" });
                }
            }
            _ => {
                if self.more {
                    return;
                }
                for v in a.as_string::<i32>().iter().flatten() {
                    self.count(v);
                    if self.more {
                        return;
                    }
                }
            }
        }
    }

    fn count_number(&mut self, v: i64) {
        if let Some(n) = self.numbers.get_mut(&v) {
            *n += 1;
        } else if self.numbers.len() < MAX_CATEGORIES {
            self.numbers.insert(v, 1);
        } else {
            self.more = true;
        }
    }

    fn count(&mut self, v: &str) {
        if let Some(n) = self.counts.get_mut(v) {
            *n += 1;
        } else if self.counts.len() < MAX_CATEGORIES {
            self.counts.insert(v.to_string(), 1);
        } else {
            self.more = true;
        }
    }

    fn finish(self, ty: &DataType, g: Option<&Generalize>) -> ValueSummary {
        let label = |v: i64| if *ty == DataType::Date32 { date_text(v) } else { v.to_string() };
        let mut cats: Vec<(String, u64)> =
            self.counts.into_iter().chain(self.numbers.into_iter().map(|(v, n)| (label(v), n))).collect();
        // Natural order: by the range a label stands for, by number, by date, else by text in
        // natural order.
        let key = |l: &str| -> (u8, i64, i64) {
            match g.and_then(|g| g.bounds_of(l)) {
                Some(Bounds::Int(lo, hi)) => (0, lo.unwrap_or(i64::MIN), hi.unwrap_or(i64::MAX)),
                Some(Bounds::Date(lo, hi)) => (0, lo.map_or(i64::MIN, i64::from), hi.map_or(i64::MAX, i64::from)),
                None => match l.parse::<i64>() {
                    Ok(n) => (0, n, n),
                    Err(_) => (1, 0, 0),
                },
            }
        };
        // Text by its numbers' values (第1段階 … 第13段階, 1割 … 3割), not character by character.
        cats.sort_by(|a, b| key(&a.0).cmp(&key(&b.0)).then_with(|| crate::natural::cmp(&a.0, &b.0)));
        let (min, max) = match (ty, g.and_then(Generalize::bound_kind)) {
            (DataType::Int64, _) => (self.min.map(|v| v.to_string()), self.max.map(|v| v.to_string())),
            (DataType::Date32, _) => (self.min.map(date_text), self.max.map(date_text)),
            (_, Some(BoundKind::Int | BoundKind::Date)) if !self.more => {
                (cats.first().map(|c| c.0.clone()), cats.last().map(|c| c.0.clone()))
            }
            _ => (None, None),
        };
        let distinct = cats.len() as u64;
        ValueSummary {
            categories: (!self.more).then_some(cats),
            distinct,
            more: self.more,
            min,
            max,
            nulls: self.nulls,
        }
    }
}

pub use tokumei_report::{AddedColumn, ReleaseRisk};

/// Everything pass 2 counts.
pub struct Tally {
    columns: Vec<ColumnTally>,
    /// Columns already tallied from their dictionaries (not counted row by row).
    preset: Vec<bool>,
    /// What scrubbing replaced, per column (index in the engine's columns).
    scrubbed: Vec<(usize, crate::scrub::Counts)>,
    /// What the residual scan found, per column (index in the engine's columns).
    found: Vec<(usize, crate::scrub::Found)>,
    /// Indices (in the written columns) of attacker-known columns outside the key.
    outside: Vec<usize>,
    /// Which of them are known by their dictionary code (nothing kept per row).
    by_code: Vec<bool>,
    /// The written rows' numbers, in written order.
    rows: Vec<u32>,
    /// Per outside column not known by code: each written row's value hash.
    hashes: Vec<Vec<u64>>,
}

fn hash_value(a: &ArrayRef, i: usize) -> u64 {
    let mut h = FxHasher::default();
    if a.is_null(i) {
        u64::MAX.hash(&mut h);
        return h.finish();
    }
    match a.data_type() {
        DataType::Int64 => a.as_primitive::<Int64Type>().value(i).hash(&mut h),
        DataType::Date32 => a.as_primitive::<Date32Type>().value(i).hash(&mut h),
        DataType::Boolean => a.as_boolean().value(i).hash(&mut h),
        _ => a.as_string::<i32>().value(i).hash(&mut h),
    }
    h.finish()
}

impl Tally {
    /// A tally of `n` written columns; `outside` are the attacker-known ones outside the key,
    /// `by_code` which of them [`Tally::risk`] reads by dictionary code instead of a hash per
    /// row; `rows` the rows to be written (room is made for them at once).
    pub fn new(n: usize, outside: Vec<usize>, by_code: Vec<bool>, rows: usize) -> Tally {
        let hashes = by_code.iter().map(|c| if *c { Vec::new() } else { Vec::with_capacity(rows) }).collect();
        Tally {
            columns: (0..n).map(|_| ColumnTally::default()).collect(),
            preset: vec![false; n],
            scrubbed: Vec::new(),
            found: Vec::new(),
            outside,
            by_code,
            rows: Vec::with_capacity(rows),
            hashes,
        }
    }

    /// The scrub counts of engine column `ci`, to add to.
    pub fn scrubbed(&mut self, ci: usize) -> &mut crate::scrub::Counts {
        let at = match self.scrubbed.iter().position(|(c, _)| *c == ci) {
            Some(at) => at,
            None => {
                self.scrubbed.push((ci, Default::default()));
                self.scrubbed.len() - 1
            }
        };
        &mut self.scrubbed[at].1
    }

    /// What the residual scan found in engine column `ci`, to add to.
    pub fn found(&mut self, ci: usize) -> &mut crate::scrub::Found {
        let at = match self.found.iter().position(|(c, _)| *c == ci) {
            Some(i) => i,
            None => {
                self.found.push((ci, Default::default()));
                self.found.len() - 1
            }
        };
        &mut self.found[at].1
    }

    /// What the residual scan found, per engine column, in column order.
    pub fn found_counts(&self) -> Vec<(usize, crate::scrub::Found)> {
        let mut f = self.found.clone();
        f.sort_by_key(|(c, _)| *c);
        f
    }

    /// What scrubbing replaced, per engine column.
    pub fn scrub_counts(&self) -> Vec<(usize, crate::scrub::Counts)> {
        self.scrubbed.clone()
    }

    /// Tally written column `col` from its dictionary: its values, their counts over the
    /// written rows, and which codes were set to null.
    pub fn preset(&mut self, col: usize, values: &[crate::cell::Cell], counts: &[u64], nulled: &[bool]) {
        self.columns[col] = ColumnTally::from_dictionary(values, counts, nulled);
        self.preset[col] = true;
    }

    /// Count one batch of written rows: `arrays[i]` is written column i, `rows` the number of
    /// each row (as [`Tally::risk`] is given them).
    pub fn add(&mut self, arrays: &[ArrayRef], rows: &[u32]) {
        for ((t, a), preset) in self.columns.iter_mut().zip(arrays).zip(&self.preset) {
            if !preset {
                t.add(a);
            }
        }
        if !self.outside.is_empty() {
            self.rows.extend_from_slice(rows); // only the release risk reads them
        }
        for ((h, j), by_code) in self.hashes.iter_mut().zip(&self.outside).zip(&self.by_code) {
            if !by_code {
                let a = &arrays[*j];
                h.extend((0..a.len()).map(|i| hash_value(a, i)));
            }
        }
    }

    /// The value summary of each written column (types and generalisers by column).
    pub fn summaries(&mut self, types: &[DataType], gens: &[Option<&Generalize>]) -> Vec<ValueSummary> {
        std::mem::take(&mut self.columns)
            .into_iter()
            .zip(types.iter().zip(gens))
            .map(|(t, (ty, g))| t.finish(ty, *g))
            .collect()
    }

    /// The release risk; `names` of all written attacker-known columns, `outside_names` of
    /// those outside the key (in the order given to [`Tally::new`]); `class_of_row` each row's
    /// k-anonymity class and `code_of(c, row)` the value of outside column `c` known by code
    /// (equal for equal written values, nulls included).
    pub fn risk(
        &self,
        names: Vec<String>,
        outside_names: Vec<String>,
        k_required: u32,
        class_of_row: &[u32],
        code_of: &(dyn Fn(usize, u32) -> u64 + Sync),
        person_of_row: Option<&[u32]>,
    ) -> Result<ReleaseRisk, EngineError> {
        let n = self.rows.len();
        let out_of_step = self.hashes.iter().zip(&self.by_code).any(|(h, c)| !c && h.len() != n);
        if out_of_step || self.rows.iter().any(|r| *r as usize >= class_of_row.len()) {
            return Err(EngineError::Internal("release-risk tally out of step".into()));
        }
        // The written rows by row number (their written order is random): the class and the
        // codes are then read in order, not one cache miss per row and column.
        let mut position = vec![u32::MAX; class_of_row.len()];
        for (i, row) in self.rows.iter().enumerate() {
            position[*row as usize] = i as u32;
        }
        let mut in_order: Vec<(u32, u32)> = Vec::with_capacity(n);
        in_order.extend(position.iter().enumerate().filter(|(_, i)| **i != u32::MAX).map(|(row, i)| (row as u32, *i)));
        drop(position);
        if in_order.len() != n {
            return Err(EngineError::Internal("a row written twice".into()));
        }
        let value_of = |c: usize, row: u32, i: u32| -> u64 {
            if self.by_code[c] { code_of(c, row) } else { self.hashes[c][i as usize] }
        };
        Ok(release_risk(names, outside_names, k_required, class_of_row, in_order.into_iter(), &value_of, person_of_row))
    }
}

/// The release risk over the written rows `rows` (row number and place in the written order,
/// in row order): classes over each row's k-anonymity class (`class_of_row`) and the known
/// values of the columns outside the key (`value_of(c, row, place)`: equal for equal written
/// values), all of them and each one alone. Classes are counted in one pass over the rows (a
/// hash table per grouping; there are far fewer classes than rows). With `person_of_row`
/// (several rows per person), classes count people: each person is known by the set of the
/// combinations their rows have.
pub fn release_risk(
    names: Vec<String>,
    outside_names: Vec<String>,
    k_required: u32,
    class_of_row: &[u32],
    rows: impl Iterator<Item = (u32, u32)>,
    value_of: &dyn Fn(usize, u32, u32) -> u64,
    person_of_row: Option<&[u32]>,
) -> ReleaseRisk {
    let cx = (names, outside_names, k_required);
    release_risk_weighted(cx, class_of_row, rows, value_of, person_of_row, &|_| 1)
}

/// [`release_risk`] where each of `rows` stands for `weight_of(row)` records with its values (a
/// combination of a class table counted elsewhere; weights apply without `person_of_row`).
pub fn release_risk_weighted(
    (names, outside_names, k_required): (Vec<String>, Vec<String>, u32),
    class_of_row: &[u32],
    rows: impl Iterator<Item = (u32, u32)>,
    value_of: &dyn Fn(usize, u32, u32) -> u64,
    person_of_row: Option<&[u32]>,
    weight_of: &dyn Fn(u32) -> u32,
) -> ReleaseRisk {
    let outside = outside_names.len();
    // Grouping 0: the class and every outside column; grouping 1 + c: the class and column c.
    // (Counts are u64, sums of weights that cannot wrap; an entry of (u64, u64) takes the same
    // 16 bytes as (u64, u32).)
    let mut counts: Vec<FxHashMap<u64, u64>> = vec![FxHashMap::default(); 1 + outside];
    // With people: (person, combination) per grouping, counted by person below.
    let mut pairs: Vec<Vec<(u32, u64)>> = vec![Vec::new(); if person_of_row.is_some() { 1 + outside } else { 0 }];
    for (row, i) in rows {
        let class = class_of_row[row as usize];
        let person = person_of_row.map(|p| p[row as usize]);
        let weight = u64::from(weight_of(row));
        let mut all = FxHasher::default();
        class.hash(&mut all);
        for (c, count) in counts[1..].iter_mut().enumerate() {
            let v = value_of(c, row, i);
            v.hash(&mut all);
            let mut one = FxHasher::default();
            class.hash(&mut one);
            v.hash(&mut one);
            match person {
                Some(p) => pairs[1 + c].push((p, one.finish())),
                None => *count.entry(one.finish()).or_insert(0) += weight,
            }
        }
        match person {
            Some(p) => pairs[0].push((p, all.finish())),
            None => *counts[0].entry(all.finish()).or_insert(0) += weight,
        }
    }
    for (count, mut pairs) in counts.iter_mut().zip(pairs) {
        pairs.sort_unstable();
        pairs.dedup();
        let mut i = 0;
        while i < pairs.len() {
            let mut signature = FxHasher::default();
            let mut j = i;
            while j < pairs.len() && pairs[j].0 == pairs[i].0 {
                pairs[j].1.hash(&mut signature);
                j += 1;
            }
            *count.entry(signature.finish()).or_insert(0) += 1;
            i = j;
        }
    }
    // The smallest class, the classes, the records alone in theirs, the records in classes
    // smaller than k.
    let summary = |m: &FxHashMap<u64, u64>| -> (u64, u64, u64, u64) {
        let (mut k, mut uniques, mut below) = (u64::MAX, 0u64, 0u64);
        for &size in m.values() {
            k = k.min(size);
            uniques += u64::from(size == 1);
            if size < u64::from(k_required) {
                below += size;
            }
        }
        (if m.is_empty() { 0 } else { k }, m.len() as u64, uniques, below)
    };
    let (k, classes, unique_records, records_below_k) = summary(&counts[0]);
    let mut by_column: Vec<AddedColumn> = outside_names
        .iter()
        .zip(&counts[1..])
        .map(|(name, m)| {
            let (k, _, u, b) = summary(m);
            AddedColumn { column: name.clone(), k, unique_records: u, records_below_k: b }
        })
        .collect();
    by_column.sort_by(|a, b| b.records_below_k.cmp(&a.records_below_k).then(a.column.cmp(&b.column)));
    ReleaseRisk {
        columns: names,
        outside_key: outside_names,
        k,
        classes,
        unique_records,
        records_below_k,
        by_column,
        linkage: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of (class, outside value); the release risk over them, by rows or by `people`.
    fn risk(rows: &[(u32, u64)], people: Option<&[u32]>) -> ReleaseRisk {
        let class_of_row: Vec<u32> = rows.iter().map(|r| r.0).collect();
        let value = |_: usize, row: u32, _: u32| rows[row as usize].1;
        release_risk(
            vec!["q".into(), "v".into()],
            vec!["v".into()],
            2,
            &class_of_row,
            (0..rows.len() as u32).map(|r| (r, r)),
            &value,
            people,
        )
    }

    #[test]
    fn the_release_risk_counts_people_by_the_set_of_their_combinations() {
        // Person 0 has three rows of (0, 7); person 1 one row of (0, 7); person 2 rows (0, 7)
        // and (0, 8): alone in the set {(0,7), (0,8)}.
        let rows = [(0, 7), (0, 7), (0, 7), (0, 7), (0, 7), (0, 8)];
        let by_rows = risk(&rows, None);
        assert_eq!((by_rows.k, by_rows.unique_records), (1, 1));
        assert_eq!(by_rows.records_below_k, 1);
        let people = [0, 0, 0, 1, 2, 2];
        let by_people = risk(&rows, Some(&people));
        // {(0,7)}: persons 0 and 1; {(0,7),(0,8)}: person 2.
        assert_eq!((by_people.k, by_people.classes, by_people.unique_records), (1, 2, 1));
        assert_eq!(by_people.records_below_k, 1);
        // The (0, 7) combination of four rows is two people, not five.
        let same = [(0, 7), (0, 7), (0, 7), (0, 7), (0, 7)];
        let r = risk(&same, Some(&[0, 0, 0, 0, 1]));
        assert_eq!((r.k, r.classes), (2, 1));
        let r = risk(&same, Some(&[0, 0, 0, 0, 0]));
        assert_eq!((r.k, r.unique_records, r.records_below_k), (1, 1, 1));
    }
}
