//! Fitting: each released column coded (categories, or at most [`MAX_BINS`] quantile bins of a
//! numeric column; null a code of its own), the pairwise mutual information, the Chow-Liu tree
//! (the maximum spanning tree of the mutual information) and each child's distribution given its
//! parent's code.

use crate::error::EngineError;
use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Float64Type};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// At most this many quantile bins for a numeric column.
pub const MAX_BINS: usize = 20;

/// One released column, coded.
pub(crate) struct Coded {
    /// Numeric (binned) rather than categorical.
    pub numeric: bool,
    /// The structure code of each release row (a category, or a bin; null its own code).
    pub codes: Vec<u32>,
    /// How many codes.
    pub n_codes: usize,
    /// The exact value of each release row, as an id (equal ids, equal values).
    pub values: Vec<u32>,
    /// The release rows holding each code.
    pub rows_of: Vec<Vec<u32>>,
}

/// Whether a column is numeric (binned): integers, floats, decimals, dates and timestamps.
pub(crate) fn is_numeric(t: &DataType) -> bool {
    t.is_integer()
        || t.is_floating()
        || t.is_temporal()
        || matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..))
}

fn cast_err(e: arrow::error::ArrowError) -> EngineError {
    EngineError::Internal(format!("a released column cannot be read for fitting: {e}"))
}

/// Code one column of `n` rows.
pub(crate) fn code(array: &ArrayRef) -> Result<Coded, EngineError> {
    if is_numeric(array.data_type()) { code_numeric(array) } else { code_categorical(array) }
}

fn finish(numeric: bool, codes: Vec<u32>, n_codes: usize, values: Vec<u32>) -> Coded {
    let mut rows_of = vec![Vec::new(); n_codes];
    for (row, &c) in codes.iter().enumerate() {
        rows_of[c as usize].push(row as u32);
    }
    Coded { numeric, codes, n_codes, values, rows_of }
}

fn code_categorical(array: &ArrayRef) -> Result<Coded, EngineError> {
    let text = arrow::compute::cast(array, &DataType::Utf8).map_err(cast_err)?;
    let text = text.as_string::<i32>();
    let mut ids: BTreeMap<Option<&str>, u32> = BTreeMap::new();
    for r in 0..text.len() {
        ids.entry(if text.is_null(r) { None } else { Some(text.value(r)) }).or_insert(0);
    }
    for (i, v) in ids.values_mut().enumerate() {
        *v = i as u32;
    }
    let codes: Vec<u32> =
        (0..text.len()).map(|r| ids[&if text.is_null(r) { None } else { Some(text.value(r)) }]).collect();
    Ok(finish(false, codes.clone(), ids.len(), codes))
}

/// A numeric column's values as `f64` (dates and timestamps as their integer count), for
/// ordering only: sampled values are always taken from the release itself.
fn as_f64(array: &ArrayRef) -> Result<ArrayRef, EngineError> {
    let array = match array.data_type() {
        DataType::Date32 | DataType::Time32(_) => arrow::compute::cast(array, &DataType::Int32).map_err(cast_err)?,
        t if t.is_temporal() => arrow::compute::cast(array, &DataType::Int64).map_err(cast_err)?,
        _ => array.clone(),
    };
    arrow::compute::cast(&array, &DataType::Float64).map_err(cast_err)
}

fn code_numeric(array: &ArrayRef) -> Result<Coded, EngineError> {
    let f = as_f64(array)?;
    let f = f.as_primitive::<Float64Type>();
    let n = f.len();
    let mut order: Vec<u32> = (0..n as u32).filter(|&r| !f.is_null(r as usize)).collect();
    order.sort_by(|&a, &b| f.value(a as usize).total_cmp(&f.value(b as usize)));
    let non_null = order.len();
    // Distinct values in order, with their counts.
    let mut values = vec![0u32; n];
    let mut counts: Vec<u64> = Vec::new();
    for (i, &r) in order.iter().enumerate() {
        if i == 0 || f.value(r as usize).total_cmp(&f.value(order[i - 1] as usize)).is_ne() {
            counts.push(0);
        }
        values[r as usize] = (counts.len() - 1) as u32;
        *counts.last_mut().expect("pushed") += 1;
    }
    let bins = bin_edges(&counts, non_null as u64);
    let n_bins = bins.last().map_or(0, |b| *b as usize + 1);
    let null_code = n_bins as u32;
    let mut codes = vec![null_code; n];
    let null_value = counts.len() as u32;
    for r in 0..n {
        if f.is_null(r) {
            values[r] = null_value;
        } else {
            codes[r] = bins[values[r] as usize];
        }
    }
    let n_codes = if non_null < n { n_bins + 1 } else { n_bins };
    Ok(finish(true, codes, n_codes, values))
}

/// The quantile bin of each distinct value (in order, with `counts`): at most [`MAX_BINS`] bins
/// of about equal counts; a value is never split between bins.
pub(crate) fn bin_edges(counts: &[u64], total: u64) -> Vec<u32> {
    let bins = MAX_BINS.min(counts.len()).max(1) as u64;
    let mut out = Vec::with_capacity(counts.len());
    let (mut cum, mut bin) = (0u64, 0u64);
    for &c in counts {
        out.push(bin as u32);
        cum += c;
        if bin + 1 < bins && cum * bins >= (bin + 1) * total {
            bin += 1;
        }
    }
    out
}

/// The joint counts of two code vectors.
pub(crate) fn joint(a: &[u32], b: &[u32]) -> FxHashMap<(u32, u32), u64> {
    let mut m: FxHashMap<(u32, u32), u64> = FxHashMap::default();
    for (&x, &y) in a.iter().zip(b) {
        *m.entry((x, y)).or_insert(0) += 1;
    }
    m
}

fn counts(a: &[u32]) -> FxHashMap<u32, u64> {
    let mut m: FxHashMap<u32, u64> = FxHashMap::default();
    for &x in a {
        *m.entry(x).or_insert(0) += 1;
    }
    m
}

/// The mutual information (bits) of two code vectors of the same length, from their empirical
/// joint distribution.
pub fn mutual_information(a: &[u32], b: &[u32]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0.0;
    }
    let (pa, pb) = (counts(&a[..n]), counts(&b[..n]));
    let nf = n as f64;
    let mut mi = 0.0;
    for ((x, y), c) in joint(&a[..n], &b[..n]) {
        let pxy = c as f64 / nf;
        let (px, py) = (pa[&x] as f64 / nf, pb[&y] as f64 / nf);
        mi += pxy * (pxy / (px * py)).log2();
    }
    mi.max(0.0)
}

/// The Chow-Liu tree of `m` columns given their pairwise mutual information `mi[i][j]`: the
/// maximum spanning tree (Prim's, from column 0; ties to the lower column), as `(parent,
/// child)` edges in an order where every parent comes before its children.
pub fn chow_liu(mi: &[Vec<f64>]) -> Vec<(usize, usize)> {
    let m = mi.len();
    let mut in_tree = vec![false; m];
    let mut best: Vec<(f64, usize)> = vec![(f64::NEG_INFINITY, 0); m];
    let mut edges = Vec::with_capacity(m.saturating_sub(1));
    if m == 0 {
        return edges;
    }
    in_tree[0] = true;
    for j in 1..m {
        best[j] = (mi[0][j], 0);
    }
    for _ in 1..m {
        let mut pick: Option<usize> = None;
        for j in 0..m {
            if !in_tree[j] && pick.is_none_or(|p| best[j].0 > best[p].0) {
                pick = Some(j);
            }
        }
        let Some(c) = pick else { break };
        in_tree[c] = true;
        edges.push((best[c].1, c));
        for j in 0..m {
            if !in_tree[j] && mi[c][j] > best[j].0 {
                best[j] = (mi[c][j], c);
            }
        }
    }
    edges
}

/// A distribution over codes, for drawing: the codes and their inclusive cumulative counts.
#[derive(Clone)]
pub(crate) struct Dist {
    codes: Vec<u32>,
    cum: Vec<u64>,
}

impl Dist {
    /// From counts per code (codes in ascending order).
    pub fn from_counts(counts: impl IntoIterator<Item = (u32, u64)>) -> Dist {
        let mut pairs: Vec<(u32, u64)> = counts.into_iter().filter(|(_, c)| *c > 0).collect();
        pairs.sort_unstable();
        let mut cum = Vec::with_capacity(pairs.len());
        let mut total = 0;
        for (_, c) in &pairs {
            total += c;
            cum.push(total);
        }
        Dist { codes: pairs.into_iter().map(|(c, _)| c).collect(), cum }
    }

    /// Draw a code with a uniform integer generator.
    pub fn draw(&self, rng: &mut impl rand::Rng) -> u32 {
        use rand::RngExt;
        let total = *self.cum.last().expect("a distribution of a non-empty release");
        let u = rng.random_range(0..total);
        self.codes[self.cum.partition_point(|&c| c <= u)]
    }
}

/// A child's distribution for each of its parent's codes: `None` where the parent's code is held
/// by fewer than `k` release records (the child's marginal is drawn instead).
pub(crate) fn conditionals(parent: &Coded, child: &Coded, k: u64) -> Vec<Option<Dist>> {
    let mut by_parent: Vec<FxHashMap<u32, u64>> = vec![FxHashMap::default(); parent.n_codes];
    for (&p, &c) in parent.codes.iter().zip(&child.codes) {
        *by_parent[p as usize].entry(c).or_insert(0) += 1;
    }
    by_parent
        .into_iter()
        .map(|m| {
            let held: u64 = m.values().sum();
            (held >= k && held > 0).then(|| Dist::from_counts(m))
        })
        .collect()
}

/// A column's marginal distribution.
pub(crate) fn marginal(c: &Coded) -> Dist {
    Dist::from_counts(c.rows_of.iter().enumerate().map(|(i, r)| (i as u32, r.len() as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain A -> B -> C: B copies A 90% of the time, C copies B 90% of the time; A and C
    /// are then less dependent than either is with B.
    #[test]
    fn a_chain_recovers_its_edges() {
        let n = 10_000u32;
        let mut state = 12345u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as u32
        };
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..n {
            let x = next() % 4;
            let y = if next() % 10 < 9 { x } else { next() % 4 };
            let z = if next() % 10 < 9 { y } else { next() % 4 };
            a.push(x);
            b.push(y);
            c.push(z);
        }
        let cols = [&a, &b, &c];
        let mi: Vec<Vec<f64>> = (0..3)
            .map(|i| (0..3).map(|j| if i == j { 0.0 } else { mutual_information(cols[i], cols[j]) }).collect())
            .collect();
        assert!(mi[0][2] < mi[0][1] && mi[0][2] < mi[1][2], "{mi:?}");
        let mut edges: Vec<(usize, usize)> = chow_liu(&mi).into_iter().map(|(p, c)| (p.min(c), p.max(c))).collect();
        edges.sort();
        assert_eq!(edges, vec![(0, 1), (1, 2)]);
        // The same chain given in another column order is found the same way.
        let cols = [&c, &a, &b];
        let mi: Vec<Vec<f64>> = (0..3)
            .map(|i| (0..3).map(|j| if i == j { 0.0 } else { mutual_information(cols[i], cols[j]) }).collect())
            .collect();
        let mut edges: Vec<(usize, usize)> = chow_liu(&mi).into_iter().map(|(p, c)| (p.min(c), p.max(c))).collect();
        edges.sort();
        assert_eq!(edges, vec![(0, 2), (1, 2)]);
    }

    #[test]
    fn mutual_information_of_known_distributions() {
        // Identical fair bits: 1 bit. Independent ones: 0. A constant: 0.
        let a = [0, 1, 0, 1, 0, 1, 0, 1];
        assert!((mutual_information(&a, &a) - 1.0).abs() < 1e-12);
        let b = [0, 0, 1, 1, 0, 0, 1, 1];
        assert!(mutual_information(&a, &b).abs() < 1e-12);
        assert_eq!(mutual_information(&a, &[3; 8]), 0.0);
        // Four equally likely values copied: 2 bits; one determined by the other's parity: 1 bit.
        let c = [0, 1, 2, 3, 0, 1, 2, 3];
        assert!((mutual_information(&c, &c) - 2.0).abs() < 1e-12);
        assert!((mutual_information(&c, &a) - 1.0).abs() < 1e-12);
        assert_eq!(mutual_information(&[], &[]), 0.0);
    }

    #[test]
    fn bins_hold_about_equal_counts_and_never_split_a_value() {
        // 100 distinct values once each: 20 bins of 5.
        let bins = bin_edges(&[1; 100], 100);
        assert_eq!(bins.iter().copied().max(), Some(19));
        for b in 0..20 {
            assert_eq!(bins.iter().filter(|&&x| x == b).count(), 5);
        }
        // Three values, one heavy: it closes the first bin, the last value has one of its own.
        assert_eq!(bin_edges(&[1, 98, 1], 100), vec![0, 0, 1]);
        assert_eq!(bin_edges(&[5], 5), vec![0]);
    }

    #[test]
    fn a_rare_parent_code_draws_from_the_marginal() {
        let parent = finish(false, vec![0, 0, 0, 0, 0, 1], 2, vec![0, 0, 0, 0, 0, 1]);
        let child = finish(false, vec![0, 1, 0, 1, 0, 1], 2, vec![0, 1, 0, 1, 0, 1]);
        let d = conditionals(&parent, &child, 5);
        assert!(d[0].is_some() && d[1].is_none());
    }
}
