//! Privacy models over dictionary-encoded columns.
//!
//! Quasi-identifier and sensitive columns are held as one `u32` code per row
//! ([`Dictionary`]); equivalence classes are found by combining codes in mixed radix and
//! compacting to dense ids only when the radix would overflow, so counting allocates
//! nothing per row. This layout is also what the generalisation-lattice search builds on.

use crate::cell::Cell;
use rustc_hash::FxHashMap;
use tokumei_anon::Model;
use tokumei_anon::enforce::Verdict;

/// Distinct values of a column and one code per row.
#[derive(Default)]
pub struct Dictionary {
    index: FxHashMap<Cell, u32>,
    /// Distinct values; a code indexes this.
    pub values: Vec<Cell>,
    /// One code per accepted row.
    pub codes: Vec<u32>,
    /// One raw value per code (when a search needs the value's labels at other levels).
    pub representatives: Option<Vec<Option<Box<str>>>>,
}

impl Dictionary {
    /// A dictionary that keeps one raw value per code.
    pub fn with_representatives() -> Self {
        Dictionary { representatives: Some(Vec::new()), ..Default::default() }
    }

    /// The code of `cell` from raw value `raw`, adding it (and `raw` as its representative) if new.
    pub fn intern_raw(&mut self, cell: Cell, raw: Option<&str>) -> u32 {
        let code = self.intern(cell);
        if let Some(r) = self.representatives.as_mut()
            && code as usize == r.len()
        {
            r.push(raw.map(Into::into));
        }
        code
    }

    /// The code of `cell`, adding it if new.
    pub fn intern(&mut self, cell: Cell) -> u32 {
        if let Some(c) = self.index.get(&cell) {
            return *c;
        }
        let code = self.values.len() as u32;
        self.values.push(cell.clone());
        self.index.insert(cell, code);
        code
    }

    /// Replace every row's code and the values (local recoding: rows with one old code may get
    /// different new ones).
    pub fn recode_rows(&mut self, codes: Vec<u32>, values: Vec<Cell>) {
        self.codes = codes;
        self.values = values;
        self.index = self.values.iter().enumerate().map(|(i, v)| (v.clone(), i as u32)).collect();
        self.representatives = None;
    }

    /// Replace codes and values by a coarser coding: `up[old code]` is the new code.
    pub fn recode(&mut self, up: &[u32], values: Vec<Cell>) {
        for c in self.codes.iter_mut() {
            *c = up[*c as usize];
        }
        self.values = values;
        self.index = self.values.iter().enumerate().map(|(i, v)| (v.clone(), i as u32)).collect();
        self.representatives = None;
    }

    /// Number of distinct values.
    pub fn len(&self) -> usize {
        self.values.len()
    }
}

/// Equivalence classes: a dense class id per row and each class's size.
#[derive(Debug, Clone, PartialEq)]
pub struct Classes {
    /// Class id of each row.
    pub of_row: Vec<u32>,
    /// Size of each class.
    pub sizes: Vec<u32>,
}

/// Group `n` rows by the tuple of their codes in `columns` (each `(codes, cardinality)`).
pub fn classes(columns: &[(&[u32], usize)], n: usize) -> Classes {
    let (of_row, sizes) = tokumei_anon::risk::classes(columns, n);
    Classes { of_row, sizes }
}

/// Number of distinct codes of `codes` in each class.
pub fn distinct_per_class(classes: &Classes, codes: &[u32]) -> Vec<u32> {
    let mut seen: rustc_hash::FxHashSet<u64> = rustc_hash::FxHashSet::default();
    let mut distinct = vec![0u32; classes.sizes.len()];
    for (class, code) in classes.of_row.iter().zip(codes) {
        if seen.insert(((*class as u64) << 32) | *code as u64) {
            distinct[*class as usize] += 1;
        }
    }
    distinct
}

/// Which rows the privacy models keep, and why the others were suppressed.
#[derive(Debug, Clone)]
pub struct Enforcement {
    /// Whether each row is kept.
    pub keep: Vec<bool>,
    /// Rows suppressed.
    pub suppressed: u64,
    /// What the suppressed classes held by their sizes: people (rows, when each row is a
    /// person).
    pub people_suppressed: u64,
    /// Classes suppressed for k-anonymity (their first violated model).
    pub classes_below_k: u64,
    /// Classes suppressed for another per-class model (l-diversity, t-closeness, ...).
    pub classes_below_l: u64,
    /// Why classes were suppressed: the first model each violated, in the models' order.
    pub causes: Vec<SuppressionCause>,
    /// Per model, the classes and the people (rows, when each row is a person) suppressed for it.
    pub per_model: Vec<(u64, u64)>,
}

impl Enforcement {
    /// The rows to keep under `verdict` on `classes`; `sensitive` names the sensitive columns.
    pub fn new(classes: &Classes, verdict: &Verdict, models: &[Model], sensitive: &[String]) -> Enforcement {
        let mut per_model = vec![(0u64, 0u64); models.len()];
        let mut causes: Vec<SuppressionCause> = Vec::new();
        let (mut below_k, mut below_other, mut people_suppressed) = (0, 0, 0u64);
        for (v, size) in verdict.violated.iter().zip(&classes.sizes) {
            let Some(m) = v else { continue };
            per_model[*m].0 += 1;
            per_model[*m].1 += *size as u64;
            people_suppressed += *size as u64;
            if models[*m].kind() == tokumei_anon::models::KAnonymity::KIND {
                below_k += 1;
            } else {
                below_other += 1;
            }
        }
        for (m, (classes, rows)) in models.iter().zip(&per_model) {
            if *classes > 0 {
                let names = m.names(sensitive);
                causes.push(SuppressionCause { model: names.en, model_ja: names.ja, classes: *classes, rows: *rows });
            }
        }
        let keep: Vec<bool> = classes.of_row.iter().map(|c| verdict.violated[*c as usize].is_none()).collect();
        let suppressed = keep.iter().filter(|k| !**k).count() as u64;
        Enforcement {
            keep,
            suppressed,
            people_suppressed,
            classes_below_k: below_k,
            classes_below_l: below_other,
            causes,
            per_model,
        }
    }
}

pub use tokumei_report::{ClassStats, LDiversity, ModelOutcome, SuppressionCause};

/// Statistics over classes of the given sizes (zero sizes ignored).
pub fn stats(sizes: impl Iterator<Item = u64>) -> ClassStats {
    let sizes: Vec<u64> = sizes.filter(|s| *s > 0).collect();
    let mut s = ClassStats {
        records: 0,
        classes: 0,
        min_class_size: u64::MAX,
        max_class_size: 0,
        mean_class_size: 0.0,
        unique_records: 0,
        prosecutor_risk_max: 0.0,
        prosecutor_risk_avg: 0.0,
        histogram: tokumei_anon::risk::histogram(sizes.iter().copied()),
    };
    for size in sizes {
        s.records += size;
        s.classes += 1;
        s.min_class_size = s.min_class_size.min(size);
        s.max_class_size = s.max_class_size.max(size);
        if size == 1 {
            s.unique_records += 1;
        }
    }
    if s.classes == 0 {
        s.min_class_size = 0;
    } else {
        s.mean_class_size = s.records as f64 / s.classes as f64;
        s.prosecutor_risk_max = 1.0 / s.min_class_size as f64;
        s.prosecutor_risk_avg = s.classes as f64 / s.records as f64;
    }
    s
}

/// Ranks of a dictionary's values when they are ordered (integers, dates): for ordered
/// t-closeness distance.
pub fn rank_of(values: &[Cell]) -> Option<Vec<u32>> {
    if !values.iter().any(|v| matches!(v, Cell::Int(_) | Cell::Date(_))) {
        return None;
    }
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| values[*a].cmp(&values[*b]));
    let mut rank = vec![0u32; values.len()];
    for (r, i) in order.into_iter().enumerate() {
        rank[i] = r as u32;
    }
    Some(rank)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// Naive reference: group rows by their full tuple in a HashMap.
    fn naive(rows: &[Vec<u32>], k: u32) -> (Vec<u32>, Vec<bool>) {
        let mut count: HashMap<&Vec<u32>, u32> = HashMap::new();
        for r in rows {
            *count.entry(r).or_default() += 1;
        }
        let mut sizes: Vec<u32> = count.values().copied().collect();
        sizes.sort();
        let keep = rows.iter().map(|r| count[r] >= k).collect();
        (sizes, keep)
    }

    proptest! {
        #[test]
        fn classes_agree_with_naive(
            cards in proptest::collection::vec(1usize..6, 0..5),
            n in 0usize..300,
            k in 1u32..6,
            seed in any::<u64>(),
        ) {
            let mut x = seed | 1;
            let mut next = || { x ^= x << 13; x ^= x >> 7; x ^= x << 17; x };
            let cols: Vec<Vec<u32>> = cards.iter().map(|c| (0..n).map(|_| (next() % *c as u64) as u32).collect()).collect();
            let rows: Vec<Vec<u32>> = (0..n).map(|i| cols.iter().map(|c| c[i]).collect()).collect();
            let input: Vec<(&[u32], usize)> = cols.iter().zip(&cards).map(|(c, k)| (c.as_slice(), *k)).collect();
            let cl = classes(&input, n);
            let mut sizes = cl.sizes.clone();
            sizes.sort();
            let (ref_sizes, ref_keep) = naive(&rows, k);
            if n > 0 { prop_assert_eq!(sizes, ref_sizes); }
            let models = [Model::k_anonymity(k)];
            let v = tokumei_anon::enforce::judge(&cl.of_row, &cl.sizes, &[], &[], &models);
            let e = Enforcement::new(&cl, &v, &models, &[]);
            prop_assert_eq!(e.keep, ref_keep);
        }
    }

    #[test]
    fn compaction_when_radix_overflows() {
        let n = 1000;
        let cols: Vec<Vec<u32>> = (0..6).map(|j| (0..n).map(|i| ((i * (j + 7)) % 1000) as u32).collect()).collect();
        let input: Vec<(&[u32], usize)> = cols.iter().map(|c| (c.as_slice(), 3_000_000usize)).collect();
        let cl = classes(&input, n);
        assert_eq!(cl.sizes.len(), 1000);
    }

    #[test]
    fn l_diversity_suppresses_homogeneous_classes() {
        let cl = Classes { of_row: vec![0, 0, 0, 1, 1, 1], sizes: vec![3, 3] };
        let sens = [0u32, 1, 0, 2, 2, 2];
        let d = distinct_per_class(&cl, &sens);
        assert_eq!(d, vec![2, 1]);
        let models = [Model::k_anonymity(2), Model::class(tokumei_anon::models::DistinctL { column: 0, l: 2 })];
        let g = [tokumei_anon::models::Global::from_codes(&sens, 3, None, None)];
        let v = tokumei_anon::enforce::judge(&cl.of_row, &cl.sizes, &[&sens], &g, &models);
        let e = Enforcement::new(&cl, &v, &models, &["s".to_string()]);
        assert_eq!(e.keep, vec![true, true, true, false, false, false]);
        assert_eq!((e.classes_below_k, e.classes_below_l), (0, 1));
        assert_eq!(e.causes.len(), 1);
        assert_eq!((e.causes[0].classes, e.causes[0].rows), (1, 3));
        assert!(e.causes[0].model.contains("l-diversity of s"));
    }

    #[test]
    fn stats_of_sizes() {
        let s = stats([1u64, 5, 5, 12].into_iter());
        assert_eq!(s.records, 23);
        assert_eq!(s.min_class_size, 1);
        assert_eq!(s.unique_records, 1);
        assert!((s.prosecutor_risk_avg - 4.0 / 23.0).abs() < 1e-12);
    }
}
