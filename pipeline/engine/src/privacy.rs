//! Privacy models over dictionary-encoded columns.
//!
//! Quasi-identifier and sensitive columns are held as one `u32` code per row
//! ([`Dictionary`]); equivalence classes are found by combining codes in mixed radix and
//! compacting to dense ids only when the radix would overflow, so counting allocates
//! nothing per row. This layout is also what the generalisation-lattice search builds on.

use crate::cell::Cell;
use rustc_hash::FxHashMap;

/// Distinct values of a column and one code per row.
#[derive(Default)]
pub struct Dictionary {
    index: FxHashMap<Cell, u32>,
    /// Distinct values; a code indexes this.
    pub values: Vec<Cell>,
    /// One code per accepted row.
    pub codes: Vec<u32>,
    /// Raw input text -> code, so repeated raw values skip parsing and transforming.
    raw: FxHashMap<Box<str>, u32>,
    /// One raw value per code (when a search needs the value's labels at other levels).
    pub representatives: Option<Vec<Option<Box<str>>>>,
}

/// Largest raw-value cache per column; beyond it values are transformed every time.
const RAW_CACHE_LIMIT: usize = 1 << 20;

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

    /// Cached code of a raw value.
    pub fn cached(&self, raw: &str) -> Option<u32> {
        self.raw.get(raw).copied()
    }

    /// Remember the code of a raw value.
    pub fn remember(&mut self, raw: &str, code: u32) {
        if self.raw.len() < RAW_CACHE_LIMIT {
            self.raw.insert(raw.into(), code);
        }
    }

    /// Drop the raw cache (it may hold identifying text) once ingest is over.
    pub fn forget_raw(&mut self) {
        self.raw = FxHashMap::default();
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

    /// Whether no value was seen.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
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

/// Result of enforcing k-anonymity and l-diversity by suppressing whole classes.
#[derive(Debug, Clone)]
pub struct Enforcement {
    /// Whether each row is kept.
    pub keep: Vec<bool>,
    /// Rows suppressed.
    pub suppressed: u64,
    /// Classes suppressed for being smaller than k.
    pub classes_below_k: u64,
    /// Classes suppressed for too few distinct sensitive values.
    pub classes_below_l: u64,
    /// Why classes were suppressed: the first model each violated, in the order k, then each
    /// sensitive column's models.
    pub causes: Vec<SuppressionCause>,
}

/// Classes and rows suppressed because of one privacy model.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct SuppressionCause {
    /// The model, in English (e.g. `distinct l-diversity of 障害者手帳, l=2`).
    pub model: String,
    /// The model, in Japanese.
    pub model_ja: String,
    /// Classes suppressed for it.
    pub classes: u64,
    /// Rows in them.
    pub rows: u64,
}

/// English and Japanese names of a model, with the sensitive column's name.
pub fn model_names(m: &tokumei_anon::Model, sens: &[String]) -> (String, String) {
    use tokumei_anon::Model;
    let col = |c: &usize| sens.get(*c).cloned().unwrap_or_default();
    match m {
        Model::KAnonymity(k) => (format!("k-anonymity, k={k}"), format!("k-匿名性（k={k}）")),
        Model::DistinctL { column, l } => (
            format!("distinct l-diversity of {}, l={l}", col(column)),
            format!("{}のl-多様性（distinct、l={l}）", col(column)),
        ),
        Model::EntropyL { column, l } => (
            format!("entropy l-diversity of {}, l={l}", col(column)),
            format!("{}のl-多様性（エントロピー、l={l}）", col(column)),
        ),
        Model::RecursiveCL { column, c, l } => (
            format!("recursive (c,l)-diversity of {}, c={c}, l={l}", col(column)),
            format!("{}の再帰的(c,l)-多様性（c={c}、l={l}）", col(column)),
        ),
        Model::TCloseness { column, t } => {
            (format!("t-closeness of {}, t={t}", col(column)), format!("{}のt-近接性（t={t}）", col(column)))
        }
        Model::AverageRisk(r) => (format!("average risk at most {r}"), format!("平均再識別リスク {r} 以下")),
    }
}

fn tally(causes: &mut Vec<SuppressionCause>, names: (String, String), rows: u64) {
    match causes.iter_mut().find(|c| c.model == names.0) {
        Some(c) => {
            c.classes += 1;
            c.rows += rows;
        }
        None => causes.push(SuppressionCause { model: names.0, model_ja: names.1, classes: 1, rows }),
    }
}

/// Suppress every class smaller than `k` or with fewer than `l` distinct values in a
/// sensitive column; `sensitive` holds each column's required l and distinct counts per class.
pub fn enforce(classes: &Classes, k: u32, sensitive: &[(&str, u32, &[u32])]) -> Enforcement {
    let mut bad = vec![false; classes.sizes.len()];
    let mut causes = Vec::new();
    let mut below_k = 0;
    for (c, size) in classes.sizes.iter().enumerate() {
        if *size < k {
            bad[c] = true;
            below_k += 1;
            tally(&mut causes, model_names(&tokumei_anon::Model::KAnonymity(k), &[]), *size as u64);
        }
    }
    let mut below_l = 0;
    for (name, l, distinct) in sensitive {
        let names = model_names(&tokumei_anon::Model::DistinctL { column: 0, l: *l }, &[name.to_string()]);
        for (c, d) in distinct.iter().enumerate() {
            if *d < *l && !bad[c] {
                bad[c] = true;
                below_l += 1;
                tally(&mut causes, names.clone(), classes.sizes[c] as u64);
            }
        }
    }
    let keep: Vec<bool> = classes.of_row.iter().map(|c| !bad[*c as usize]).collect();
    let suppressed = keep.iter().filter(|k| !**k).count() as u64;
    Enforcement { keep, suppressed, classes_below_k: below_k, classes_below_l: below_l, causes }
}

/// Distinct l-diversity of one sensitive column.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LDiversity {
    /// Output column.
    pub column: String,
    /// Required l, if any.
    pub required: Option<u32>,
    /// Smallest number of distinct values in any output class.
    pub achieved: u64,
}

/// Class-size statistics and re-identification risk of a table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClassStats {
    /// Rows counted.
    pub records: u64,
    /// Equivalence classes.
    pub classes: u64,
    /// Smallest class (the k achieved); 0 for an empty table.
    pub min_class_size: u64,
    /// Largest class.
    pub max_class_size: u64,
    /// Mean class size.
    pub mean_class_size: f64,
    /// Records alone in their class (sample uniques).
    pub unique_records: u64,
    /// Highest prosecutor re-identification risk, 1 / smallest class.
    pub prosecutor_risk_max: f64,
    /// Average prosecutor risk, classes / records.
    pub prosecutor_risk_avg: f64,
    /// Classes and records per class-size bucket.
    pub histogram: Vec<HistogramBucket>,
}

/// One bucket of the class-size histogram.
pub use tokumei_anon::risk::Bucket as HistogramBucket;

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

/// A sensitive column as the privacy models see it.
pub struct SensitiveInput<'a> {
    /// Output name.
    pub name: String,
    /// Code per row.
    pub codes: &'a [u32],
    /// Distinct codes.
    pub cardinality: usize,
    /// Required l.
    pub l: Option<u32>,
    /// Rank of each code for ordered t-closeness (integer and date columns).
    pub rank: Option<Vec<u32>>,
    /// Value hierarchy for hierarchical t-closeness (generalised sensitive columns).
    pub tree: Option<tokumei_anon::models::Tree>,
}

/// The privacy models a plan asks for; sensitive columns are indexed as in `sens`.
pub fn models_for(plan: &tokumei_rules::Plan, sens: &[SensitiveInput]) -> Vec<tokumei_anon::Model> {
    use tokumei_anon::Model;
    use tokumei_rules::LModel;
    let mut models = vec![Model::KAnonymity(plan.privacy.k)];
    for (i, s) in sens.iter().enumerate() {
        if let Some(l) = s.l {
            models.push(match plan.privacy.l_model {
                LModel::Distinct => Model::DistinctL { column: i, l },
                LModel::Entropy => Model::EntropyL { column: i, l: l as f64 },
                LModel::Recursive { c } => Model::RecursiveCL { column: i, c, l },
            });
        }
        if let Some(t) = plan.privacy.t {
            models.push(Model::TCloseness { column: i, t });
        }
    }
    if let Some(r) = plan.privacy.max_average_risk {
        models.push(Model::AverageRisk(r));
    }
    models
}

/// The distribution of each sensitive column over all rows (t-closeness reference).
pub fn globals(sens: &[SensitiveInput], n: usize) -> Vec<tokumei_anon::models::Global> {
    sens.iter()
        .map(|s| {
            let mut share = vec![0.0; s.cardinality.max(1)];
            for c in s.codes {
                share[*c as usize] += 1.0;
            }
            share.iter_mut().for_each(|x| *x /= n.max(1) as f64);
            tokumei_anon::models::Global::new(share, s.rank.clone(), s.tree.clone())
        })
        .collect()
}

/// Per class and sensitive column, the `(code, count)` distribution.
pub fn distributions(classes: &Classes, codes: &[u32]) -> Vec<Vec<(u32, u32)>> {
    let mut pairs: Vec<u64> = classes.of_row.iter().zip(codes).map(|(c, v)| ((*c as u64) << 32) | *v as u64).collect();
    pairs.sort_unstable();
    let mut out: Vec<Vec<(u32, u32)>> = vec![Vec::new(); classes.sizes.len()];
    let mut i = 0;
    while i < pairs.len() {
        let mut j = i;
        while j < pairs.len() && pairs[j] == pairs[i] {
            j += 1;
        }
        out[(pairs[i] >> 32) as usize].push((pairs[i] as u32, (j - i) as u32));
        i = j;
    }
    out
}

/// Suppress every class that violates a per-class model (k, any l-diversity, t-closeness).
pub fn enforce_models(
    classes: &Classes,
    sens: &[SensitiveInput],
    models: &[tokumei_anon::Model],
    globals: &[tokumei_anon::models::Global],
) -> Enforcement {
    use tokumei_anon::Model;
    use tokumei_anon::models::{ClassDistribution, class_satisfies};
    let dists: Vec<Vec<Vec<(u32, u32)>>> = sens.iter().map(|s| distributions(classes, s.codes)).collect();
    let mut scratch = Vec::new();
    let mut bad = vec![false; classes.sizes.len()];
    let mut causes = Vec::new();
    let names: Vec<String> = sens.iter().map(|s| s.name.clone()).collect();
    let (mut below_k, mut below_other) = (0u64, 0u64);
    for (c, size) in classes.sizes.iter().enumerate() {
        let d: Vec<ClassDistribution> =
            dists.iter().map(|per| ClassDistribution { counts: &per[c], size: *size }).collect();
        for m in models {
            if m.is_table_level() || class_satisfies(m, *size, &d, globals, &mut scratch) {
                continue;
            }
            bad[c] = true;
            if matches!(m, Model::KAnonymity(_)) {
                below_k += 1;
            } else {
                below_other += 1;
            }
            tally(&mut causes, model_names(m, &names), *size as u64);
            break;
        }
    }
    let keep: Vec<bool> = classes.of_row.iter().map(|c| !bad[*c as usize]).collect();
    let suppressed = keep.iter().filter(|k| !**k).count() as u64;
    Enforcement { keep, suppressed, classes_below_k: below_k, classes_below_l: below_other, causes }
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
            let e = enforce(&cl, k, &[]);
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
        let e = enforce(&cl, 2, &[("s", 2, &d)]);
        assert_eq!(e.keep, vec![true, true, true, false, false, false]);
        assert_eq!(e.classes_below_l, 1);
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
