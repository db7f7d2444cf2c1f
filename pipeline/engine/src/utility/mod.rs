//! What the release changed, for its business user (issue 32): per released dictionary column,
//! the input's values (as the rules first code them, before perturbation, search and
//! suppression) against the released ones — moments, quantiles and the mean change of numbers
//! and dates, the total variation distance and changed share of categories, Pearson's
//! correlations of the numeric columns — and the risk-utility map ([`ru_map`]).
//!
//! The input side is a [`Before`]: each compared dictionary's values and row codes (one or two
//! bytes a row for most columns), taken when every row is read. Everything is counted per code
//! (exact quantiles from counts); the one pass over the records pairs each released record with
//! its input's code (records of one combination once, with their number: [`Gathered`]), and the
//! pairs are read in their codes' order, so every sum is the same however the records came.

pub(crate) mod measures;
pub(crate) mod ru_map;

use crate::cell::Cell;
use crate::privacy::Dictionary;
use crate::transform::Generalize;
use crate::transform::{BoundKind, Bounds};
use measures::{CoSums, moments};
use rustc_hash::FxHashMap;
use tokumei_report::{ColumnUtility, Correlation};

/// A released dictionary column to compare.
pub(crate) struct Compared<'a> {
    /// Output name.
    pub output: String,
    /// Its dictionary.
    pub dict: usize,
    /// Its generaliser, whose labels stand for ranges.
    pub generalizer: Option<&'a Generalize>,
}

/// The input side: each dictionary's values and row codes before anything changed them.
#[derive(Default)]
pub(crate) struct Before {
    /// Per dictionary: `(values, codes)`, or `None` when not kept.
    dicts: Vec<Option<(Vec<Cell>, Codes)>>,
}

impl Before {
    /// Keep the dictionaries `which` of `dicts` as they are now.
    pub fn take(dicts: &[Dictionary], which: &[usize]) -> Before {
        let dicts = (0..dicts.len())
            .map(|d| which.contains(&d).then(|| (dicts[d].values.clone(), Codes::of(&dicts[d].codes, dicts[d].len()))))
            .collect();
        Before { dicts }
    }

    /// Taken over combinations of codes (`crate::combos`): combinations appended, each with the
    /// input codes of combination `of[i]`.
    pub fn append(&mut self, of: &[u32]) {
        fn more<T: Copy>(v: &mut Vec<T>, of: &[u32]) {
            let add: Vec<T> = of.iter().map(|c| v[*c as usize]).collect();
            v.extend(add);
        }
        for (_, codes) in self.dicts.iter_mut().flatten() {
            match codes {
                Codes::U8(v) => more(v, of),
                Codes::U16(v) => more(v, of),
                Codes::U32(v) => more(v, of),
            }
        }
    }

    /// Taken over combinations of codes (`crate::combos`): each row's codes, `ids[r]` being row
    /// `r`'s combination.
    pub fn expand(&mut self, ids: &[u32]) {
        for (_, codes) in self.dicts.iter_mut().flatten() {
            *codes = match codes {
                Codes::U8(v) => Codes::U8(crate::combos::to_rows(v, ids)),
                Codes::U16(v) => Codes::U16(crate::combos::to_rows(v, ids)),
                Codes::U32(v) => Codes::U32(crate::combos::to_rows(v, ids)),
            };
        }
    }
}

/// Row codes in the narrowest width their dictionary allows: a byte per row for up to 256
/// values, two for up to 65,536 (most released columns), four beyond.
pub(crate) enum Codes {
    /// Up to 256 values.
    U8(Vec<u8>),
    /// Up to 65,536 values.
    U16(Vec<u16>),
    /// More.
    U32(Vec<u32>),
}

impl Codes {
    /// `codes` of a dictionary of `len` values.
    fn of(codes: &[u32], len: usize) -> Codes {
        if len <= 1 << 8 {
            Codes::U8(codes.iter().map(|c| *c as u8).collect())
        } else if len <= 1 << 16 {
            Codes::U16(codes.iter().map(|c| *c as u16).collect())
        } else {
            Codes::U32(codes.to_vec())
        }
    }

    /// Row `r`'s code.
    fn get(&self, r: usize) -> Option<u32> {
        match self {
            Codes::U8(v) => v.get(r).map(|c| u32::from(*c)),
            Codes::U16(v) => v.get(r).map(|c| u32::from(*c)),
            Codes::U32(v) => v.get(r).copied(),
        }
    }
}

/// What the run released, for the comparison.
pub(crate) struct Released<'a> {
    /// The dictionaries after perturbation, search and fingerprint.
    pub dicts: &'a [Dictionary],
    /// Rows kept.
    pub keep: &'a [bool],
    /// Per dictionary: codes set to null by cell suppression.
    pub nulled: &'a [Vec<bool>],
    /// Required k (at least 1): a quantile of the input with fewer records beyond it is
    /// withheld, so the input's minimum and maximum never are shown.
    pub k: u64,
    /// Each row's combination, when the dictionaries' codes (and the input's) are combinations'.
    pub combo_of_row: Option<&'a [u32]>,
    /// Each entry's rows, when the entries are combinations counted elsewhere (a cluster's class
    /// table: no rows here, each combination counts as its rows).
    pub weights: Option<&'a [u32]>,
}

impl Released<'_> {
    /// Where row `r`'s codes are.
    fn at(&self, r: usize) -> usize {
        self.combo_of_row.map_or(r, |ids| ids[r] as usize)
    }

    /// How many records entry `r` stands for.
    fn weight(&self, r: usize) -> u64 {
        self.weights.map_or(1, |w| w.get(r).map_or(0, |x| u64::from(*x)))
    }
}

/// The rows of a release whose codes are combinations' ([`Released::combo_of_row`]), gathered:
/// each (combination, kept or not) once with its rows, for a [`Released`] that compares as the
/// rows do (the counts exactly, the correlations to rounding: docs/benchmarks.md) and reads
/// thousands of entries, not every row, on the one thread that writes the report.
struct Gathered {
    combos: Vec<u32>,
    keep: Vec<bool>,
    weights: Vec<u32>,
}

impl Gathered {
    /// Gather the rows (`keep`: whether each row is released; a row past its end is not);
    /// `None` when one entry would stand for more rows than its weight holds (4,294,967,295).
    fn of(combo_of_row: &[u32], keep: &[bool]) -> Option<Gathered> {
        let combos = combo_of_row.iter().max().map_or(0, |m| *m as usize + 1);
        let (mut kept, mut withheld) = (vec![0u64; combos], vec![0u64; combos]);
        for (r, c) in combo_of_row.iter().enumerate() {
            let n = if keep.get(r).copied().unwrap_or(false) { &mut kept } else { &mut withheld };
            n[*c as usize] += 1;
        }
        let mut g = Gathered { combos: Vec::new(), keep: Vec::new(), weights: Vec::new() };
        for (c, (k, w)) in kept.iter().zip(&withheld).enumerate() {
            for (rows, released) in [(*k, true), (*w, false)] {
                if rows > 0 {
                    g.combos.push(c as u32);
                    g.keep.push(released);
                    g.weights.push(u32::try_from(rows).ok()?);
                }
            }
        }
        Some(g)
    }

    /// The release as these entries: `rel`'s dictionaries, null cells and k.
    fn released<'a>(&'a self, rel: &Released<'a>) -> Released<'a> {
        Released {
            dicts: rel.dicts,
            keep: &self.keep,
            nulled: rel.nulled,
            k: rel.k,
            combo_of_row: Some(&self.combos),
            weights: Some(&self.weights),
        }
    }
}

/// `x` to 12 significant digits: a decimal that `report.json` writes and reads back exactly
/// (serde_json parses up to 15 digits with a power of ten up to 22 exactly).
fn sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let e = 11 - x.abs().log10().floor() as i32;
    match e {
        0..=22 => (x * 10f64.powi(e)).round() / 10f64.powi(e),
        -22..=-1 => (x / 10f64.powi(-e)).round() * 10f64.powi(-e),
        _ => x,
    }
}

/// `u` with every fraction to 12 significant digits, so the report reads back equal to itself.
pub(crate) fn rounded(mut u: tokumei_report::Utility) -> tokumei_report::Utility {
    let opt = |x: &mut Option<f64>| *x = x.map(sig);
    for c in &mut u.columns {
        for m in [&mut c.before, &mut c.after].into_iter().flatten() {
            (m.mean, m.variance) = (sig(m.mean), sig(m.variance));
            m.quantiles.iter_mut().for_each(opt);
        }
        [&mut c.mean_abs_change, &mut c.tvd, &mut c.changed_share].into_iter().for_each(opt);
    }
    if let Some(c) = &mut u.correlation {
        c.before.iter_mut().chain(c.after.iter_mut()).flatten().for_each(opt);
        c.largest_change = sig(c.largest_change);
    }
    for p in &mut u.ru_map.points {
        (p.loss, p.risk_max, p.risk_avg) = (sig(p.loss), sig(p.risk_max), sig(p.risk_avg));
    }
    opt(&mut u.ru_map.release_loss);
    u.ru_map.release_risk = u.ru_map.release_risk.map(|(a, b)| (sig(a), sig(b)));
    for e in &mut u.ru_map.earlier {
        opt(&mut e.loss);
        (e.risk_max, e.risk_avg) = (sig(e.risk_max), sig(e.risk_avg));
    }
    u
}

/// A numeric column: output name, each input code's number, each released code's number, its
/// dictionary.
type Numeric = (String, Vec<Option<f64>>, Vec<Option<f64>>, usize);

/// Per-column comparison and the correlations of the numeric ones. Rows of combinations are
/// read by combination ([`Gathered`]), each with its rows kept and withheld.
pub(crate) fn compare(cols: &[Compared], before: &Before, rel: &Released) -> (Vec<ColumnUtility>, Option<Correlation>) {
    let gathered = match (rel.combo_of_row, rel.weights) {
        (Some(combos), None) => Gathered::of(combos, rel.keep),
        _ => None,
    };
    match &gathered {
        Some(g) => compare_entries(cols, before, &g.released(rel)),
        None => compare_entries(cols, before, rel),
    }
}

/// [`compare`] over `rel`'s entries as they are (rows, or combinations with their weights).
fn compare_entries(cols: &[Compared], before: &Before, rel: &Released) -> (Vec<ColumnUtility>, Option<Correlation>) {
    let mut out = Vec::new();
    let mut numeric: Vec<Numeric> = Vec::new();
    for c in cols {
        let Some(Some((bvals, bcodes))) = before.dicts.get(c.dict) else { continue };
        let d = &rel.dicts[c.dict];
        let nulled = rel.nulled.get(c.dict).map_or(&[][..], Vec::as_slice);
        let bnum: Option<Vec<Option<f64>>> = bvals.iter().map(|v| number(v, c.generalizer)).collect();
        let anum: Option<Vec<Option<f64>>> = d.values.iter().map(|v| number(v, c.generalizer)).collect();
        let counts = Counts::of((bcodes, &d.codes), rel, nulled, bvals.len(), d.values.len());
        match (bnum, anum) {
            (Some(b), Some(a)) => {
                let u = numeric_column(c, bvals, &b, &a, &counts, rel.k);
                numeric.push((c.output.clone(), b, a, c.dict));
                out.push(u);
            }
            _ => out.push(categorical_column(c, bvals, &d.values, &counts)),
        }
    }
    let correlation = correlation(&numeric, before, rel);
    (out, correlation)
}

/// Counts of one column: per input code (all accepted rows, and those in kept rows), per
/// released code (kept rows, cells not nulled), and the released records' (input, released)
/// pairs.
struct Counts {
    before: Vec<u64>,
    before_suppressed: Vec<u64>,
    after: Vec<u64>,
    cells_suppressed: u64,
    /// (input code, released code) and the records with them, in the codes' order.
    pairs: Vec<((u32, u32), u64)>,
}

impl Counts {
    fn of((bcodes, acodes): (&Codes, &[u32]), rel: &Released, nulled: &[bool], nb: usize, na: usize) -> Counts {
        let mut c = Counts {
            before: vec![0; nb],
            before_suppressed: vec![0; nb],
            after: vec![0; na],
            cells_suppressed: 0,
            pairs: Vec::new(),
        };
        let mut pairs: FxHashMap<(u32, u32), u64> = FxHashMap::default();
        // Before and after are counted over the same records, those released with the cell: a
        // "before" over more records would let a reader subtract the two and learn what the
        // suppressed records held.
        let rows = rel.combo_of_row.map_or(acodes.len(), <[u32]>::len);
        for r in 0..rows {
            let (Some(a), Some(b)) = (acodes.get(rel.at(r)), bcodes.get(rel.at(r))) else { break };
            let w = rel.weight(r);
            if !rel.keep.get(r).copied().unwrap_or(false) {
                c.before_suppressed[b as usize] += w;
                continue;
            }
            if nulled.get(*a as usize).copied().unwrap_or(false) {
                c.cells_suppressed += w;
                continue;
            }
            c.before[b as usize] += w;
            c.after[*a as usize] += w;
            *pairs.entry((b, *a)).or_default() += w;
        }
        c.pairs = pairs.into_iter().collect();
        c.pairs.sort_unstable();
        c
    }
}

/// A cell as a number: whole numbers and dates (days) as they are, a generalised range at its
/// midpoint (an open end at its one bound); `Some(None)` for a missing value, `None` when the
/// cell is no number.
fn number(v: &Cell, g: Option<&Generalize>) -> Option<Option<f64>> {
    match v {
        Cell::Null => Some(None),
        Cell::Int(n) => Some(Some(*n as f64)),
        Cell::Date(d) => Some(Some(f64::from(*d))),
        Cell::Str(s) => {
            let (lo, hi) = match g?.bounds_of(s)? {
                Bounds::Int(lo, hi) => (lo.map(|x| x as f64), hi.map(|x| x as f64)),
                Bounds::Date(lo, hi) => (lo.map(f64::from), hi.map(f64::from)),
            };
            Some(match (lo, hi) {
                (Some(a), Some(b)) => Some((a + b) / 2.0),
                (Some(a), None) | (None, Some(a)) => Some(a),
                (None, None) => None,
            })
        }
        Cell::Bool(_) => None,
    }
}

fn is_date(values: &[Cell]) -> bool {
    values.iter().any(|v| matches!(v, Cell::Date(_)))
}

fn numeric_column(
    c: &Compared,
    bvals: &[Cell],
    b: &[Option<f64>],
    a: &[Option<f64>],
    counts: &Counts,
    k: u64,
) -> ColumnUtility {
    let ranges = c.generalizer.is_some();
    let date = is_date(bvals) || c.generalizer.and_then(Generalize::bound_kind).is_some_and(|k| k == BoundKind::Date);
    let weighted = |vals: &[Option<f64>], n: &[u64]| -> Vec<(f64, u64)> {
        vals.iter().zip(n).filter_map(|(v, c)| v.map(|v| (v, *c))).collect()
    };
    let present =
        |vals: &[Option<f64>], n: &[u64]| vals.iter().zip(n).filter(|(v, _)| v.is_some()).map(|(_, c)| c).sum::<u64>();
    let (mut change, mut paired, mut changed, mut largest) = (0.0f64, 0u64, 0u64, 0.0f64);
    for ((bc, ac), n) in &counts.pairs {
        if let (Some(x), Some(y)) = (b[*bc as usize], a[*ac as usize]) {
            change += (x - y).abs() * *n as f64;
            paired += n;
            if x != y {
                changed += n;
                largest = largest.max((x - y).abs());
            }
        }
    }
    // The input's figures and the change are withheld when the change is one of a few records'
    // (fewer than k changed, or one record's change over half of all): the difference of the
    // before and after figures would tell what those records held (e.g. a top-coded income).
    let concentrated = changed > 0 && (changed < k.max(2) || largest > 0.5 * change);
    let (basis, basis_ja) = match ranges {
        true => (
            "input at the rule's own level, released at the level applied; ranges at their midpoint (an open end at its bound)",
            "入力は規則の水準、公開は適用した水準の値。範囲はその中点（上端・下端のない範囲はその端の値）",
        ),
        false => ("input values as parsed; released values as written", "入力は読み取った値、公開は書き出した値"),
    };
    ColumnUtility {
        column: c.output.clone(),
        kind: if date { "date" } else { "numeric" }.into(),
        basis: basis.into(),
        basis_ja: basis_ja.into(),
        records: present(b, &counts.before),
        released: present(a, &counts.after),
        records_suppressed: present(b, &counts.before_suppressed),
        cells_suppressed: counts.cells_suppressed,
        before: if concentrated { None } else { moments(&mut weighted(b, &counts.before), k) },
        after: moments(&mut weighted(a, &counts.after), 0),
        mean_abs_change: (paired > 0 && !concentrated).then(|| change / paired as f64),
        tvd: None,
        changed_share: None,
    }
}

fn categorical_column(c: &Compared, bvals: &[Cell], avals: &[Cell], counts: &Counts) -> ColumnUtility {
    // Each input code at the released level: the released value equal to it, else the released
    // value most of its released records have (its generalisation); none when no record of it
    // was released (then it counts apart, as a category the release lacks).
    let index: FxHashMap<&Cell, u32> = avals.iter().enumerate().map(|(i, v)| (v, i as u32)).collect();
    let mut best: Vec<Option<(u64, u32)>> = vec![None; bvals.len()];
    for ((bc, ac), n) in &counts.pairs {
        let slot = &mut best[*bc as usize];
        if slot.is_none_or(|(m, a)| *n > m || (*n == m && *ac < a)) {
            *slot = Some((*n, *ac));
        }
    }
    let level: Vec<Option<u32>> =
        (0..bvals.len()).map(|i| index.get(&bvals[i]).copied().or(best[i].map(|(_, a)| a))).collect();
    let null_code = index.get(&Cell::Null).copied();
    let mut before_at = vec![0u64; avals.len() + 1];
    let mut records = 0u64;
    for (i, n) in counts.before.iter().enumerate() {
        if bvals[i] == Cell::Null {
            continue;
        }
        records += n;
        match level[i] {
            Some(a) if Some(a) != null_code => before_at[a as usize] += n,
            _ => before_at[avals.len()] += n,
        }
    }
    let mut after_at = counts.after.clone();
    if let Some(nc) = null_code {
        after_at[nc as usize] = 0;
    }
    after_at.push(0);
    let (mut changed, mut paired) = (0u64, 0u64);
    for ((bc, ac), n) in &counts.pairs {
        if bvals[*bc as usize] == Cell::Null || Some(*ac) == null_code {
            continue;
        }
        paired += n;
        if level[*bc as usize] != Some(*ac) {
            changed += n;
        }
    }
    let suppressed: u64 =
        (0..bvals.len()).filter(|i| bvals[*i] != Cell::Null).map(|i| counts.before_suppressed[i]).sum();
    ColumnUtility {
        column: c.output.clone(),
        kind: "categorical".into(),
        basis: "input categories mapped to the released level of generalisation".into(),
        basis_ja: "入力のカテゴリを公開した一般化の水準に揃えて比較".into(),
        records,
        released: after_at.iter().sum(),
        records_suppressed: suppressed,
        cells_suppressed: counts.cells_suppressed,
        before: None,
        after: None,
        mean_abs_change: None,
        tvd: measures::tvd(&before_at, &after_at),
        changed_share: (paired > 0).then(|| changed as f64 / paired as f64),
    }
}

/// Pearson's correlations of the numeric columns (at least two), before and after, over the
/// released records with every one of them present on both sides.
fn correlation(numeric: &[Numeric], before: &Before, rel: &Released) -> Option<Correlation> {
    if numeric.len() < 2 {
        return None;
    }
    let m = numeric.len();
    let (mut sb, mut sa) = (CoSums::new(m), CoSums::new(m));
    let (mut xb, mut xa) = (vec![0.0; m], vec![0.0; m]);
    let codes: Vec<(Option<&Codes>, &[u32], &[bool])> = numeric
        .iter()
        .map(|(_, _, _, d)| {
            let b = before.dicts[*d].as_ref().map(|(_, c)| c);
            (b, rel.dicts[*d].codes.as_slice(), rel.nulled.get(*d).map_or(&[][..], Vec::as_slice))
        })
        .collect();
    'rows: for (r, kept) in rel.keep.iter().enumerate() {
        if !kept {
            continue;
        }
        for (j, (_, bn, an, _)) in numeric.iter().enumerate() {
            let (bc, ac, nulled) = codes[j];
            let (Some(b), Some(a)) = (bc.and_then(|c| c.get(rel.at(r))), ac.get(rel.at(r))) else { continue 'rows };
            if nulled.get(*a as usize).copied().unwrap_or(false) {
                continue 'rows;
            }
            match (bn[b as usize], an[*a as usize]) {
                (Some(x), Some(y)) => (xb[j], xa[j]) = (x, y),
                _ => continue 'rows,
            }
        }
        let w = rel.weight(r) as f64;
        sb.add(&xb, w);
        sa.add(&xa, w);
    }
    let (before_m, after_m) = (sb.matrix(), sa.matrix());
    let largest_change = before_m
        .iter()
        .flatten()
        .zip(after_m.iter().flatten())
        .filter_map(|(x, y)| Some((x.as_ref()? - y.as_ref()?).abs()))
        .fold(0.0f64, f64::max);
    Some(Correlation {
        columns: numeric.iter().map(|n| n.0.clone()).collect(),
        records: sb.records(),
        before: before_m,
        after: after_m,
        largest_change,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_kept_in_the_narrowest_width_and_read_back_equal() {
        for len in [2usize, 256, 257, 65_536, 65_537] {
            let codes: Vec<u32> = (0..1000u32).map(|i| (i * 7919) % len as u32).collect();
            let kept = Codes::of(&codes, len);
            let width = match kept {
                Codes::U8(_) => 1,
                Codes::U16(_) => 2,
                Codes::U32(_) => 4,
            };
            assert_eq!(
                width,
                if len <= 256 {
                    1
                } else if len <= 65_536 {
                    2
                } else {
                    4
                },
                "{len}"
            );
            assert!(codes.iter().enumerate().all(|(r, c)| kept.get(r) == Some(*c)), "{len}");
            assert_eq!(kept.get(codes.len()), None);
        }
    }

    use super::*;

    fn dict(values: Vec<Cell>, codes: Vec<u32>) -> Dictionary {
        let mut d = Dictionary::default();
        for v in &values {
            d.intern(v.clone());
        }
        d.codes = codes;
        d
    }

    #[test]
    fn a_column_compared_against_a_hand_computation() {
        // Numbers 10, 20, 30, 40 noised to 12, 20, 28, 40; the last record suppressed.
        let b = dict(vec![Cell::Int(10), Cell::Int(20), Cell::Int(30), Cell::Int(40)], vec![0, 1, 2, 3]);
        let a = dict(vec![Cell::Int(12), Cell::Int(20), Cell::Int(28), Cell::Int(40)], vec![0, 1, 2, 3]);
        // Categories x, y, x, y; PRAM changed the first to y.
        let cb = dict(vec![Cell::str("x"), Cell::str("y")], vec![0, 1, 0, 1]);
        let ca = dict(vec![Cell::str("x"), Cell::str("y")], vec![1, 1, 0, 1]);
        let before = Before::take(&[b, cb], &[0, 1]);
        let dicts = [a, ca];
        let keep = [true, true, true, false];
        let nulled = vec![vec![false; 4], vec![false; 2]];
        let rel = Released { dicts: &dicts, keep: &keep, nulled: &nulled, k: 0, combo_of_row: None, weights: None };
        let cols = [
            Compared { output: "n".into(), dict: 0, generalizer: None },
            Compared { output: "c".into(), dict: 1, generalizer: None },
        ];
        let (u, corr) = compare(&cols, &before, &rel);
        // Before and after count the same (released) records: the suppressed one only counted.
        assert_eq!((u[0].records, u[0].released, u[0].records_suppressed), (3, 3, 1));
        assert_eq!(u[0].before.as_ref().unwrap().mean, 20.0);
        assert_eq!(u[0].after.as_ref().unwrap().mean, 20.0);
        // |10-12| + 0 + |30-28| over 3 released records.
        assert!((u[0].mean_abs_change.unwrap() - 4.0 / 3.0).abs() < 1e-12);
        // Before (the 3 released): x 2/3, y 1/3; after: x 1/3, y 2/3 -> TVD 1/3; 1 of 3 changed.
        assert!((u[1].tvd.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert!((u[1].changed_share.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert!(corr.is_none(), "one numeric column has no correlation matrix");
        // With k = 3, two records changed are too few: the input's figures and the change are
        // withheld (before minus after would tell what those two held).
        let rel = Released { k: 3, ..rel };
        let (u, _) = compare(&cols, &before, &rel);
        assert!(u[0].before.is_none() && u[0].mean_abs_change.is_none() && u[0].after.is_some());
    }

    /// A cluster's class table (each combination once, with its rows) compares as its rows do.
    #[test]
    fn combinations_weighed_by_their_rows_compare_as_the_rows() {
        let num = |v: &[i64]| v.iter().map(|x| Cell::Int(*x)).collect::<Vec<_>>();
        // Rows: (10, 1), (20, 2), (20, 2), (30, 5), (30, 5), (30, 5), (40, 1) released as
        // (10, 1), (20, 2), (20, 2), (30, 4), (30, 4), (30, 4), suppressed.
        let rows = |c: &[u32]| c.to_vec();
        let (b0, b1) = (num(&[10, 20, 30, 40]), num(&[1, 2, 5]));
        let (a0, a1) = (num(&[10, 20, 30, 40]), num(&[1, 2, 4]));
        let by_row = (rows(&[0, 1, 1, 2, 2, 2, 3]), rows(&[0, 1, 1, 2, 2, 2, 0]));
        let by_combo = (rows(&[0, 1, 2, 3]), rows(&[0, 1, 2, 0]));
        let compared = |codes: &(Vec<u32>, Vec<u32>), keep: &[bool], weights: Option<&[u32]>| {
            let before = Before::take(&[dict(b0.clone(), codes.0.clone()), dict(b1.clone(), codes.1.clone())], &[0, 1]);
            let dicts = [dict(a0.clone(), codes.0.clone()), dict(a1.clone(), codes.1.clone())];
            let nulled = vec![vec![false; 4], vec![false; 3]];
            let rel = Released { dicts: &dicts, keep, nulled: &nulled, k: 2, combo_of_row: None, weights };
            let cols = [
                Compared { output: "a".into(), dict: 0, generalizer: None },
                Compared { output: "b".into(), dict: 1, generalizer: None },
            ];
            compare(&cols, &before, &rel)
        };
        let (u_rows, c_rows) = compared(&by_row, &[true, true, true, true, true, true, false], None);
        let (u_combos, c_combos) = compared(&by_combo, &[true, true, true, false], Some(&[1, 2, 3, 1]));
        assert_eq!(u_combos, u_rows);
        assert_eq!((u_rows[0].records, u_rows[0].records_suppressed), (6, 1));
        let (c_rows, c_combos) = (c_rows.unwrap(), c_combos.unwrap());
        for (x, y) in c_rows.after.iter().flatten().zip(c_combos.after.iter().flatten()) {
            assert!((x.unwrap_or(9.0) - y.unwrap_or(9.0)).abs() < 1e-12, "{x:?} {y:?}");
        }
    }

    /// Rows gathered by combination and kept or not compare as the rows: a combination with
    /// rows kept and rows withheld (a resident's request), one with every row withheld.
    #[test]
    fn rows_gathered_by_combination_compare_as_the_rows() {
        let num = |v: &[i64]| v.iter().map(|x| Cell::Int(*x)).collect::<Vec<_>>();
        // Combinations (input codes = released codes of two columns): 0 (10, 1), 1 (20, 2),
        // 2 (30, 5) released as (30, 4), 3 (40, 1).
        let (b0, b1) = (num(&[10, 20, 30, 40]), num(&[1, 2, 5]));
        let (a0, a1) = (num(&[10, 20, 30, 40]), num(&[1, 2, 4]));
        let codes = (vec![0, 1, 2, 3], vec![0, 1, 2, 0]);
        let combo_of_row = [2, 0, 1, 1, 2, 2, 3, 1, 2, 0, 3];
        let keep = [true, true, true, false, true, true, false, true, false, true];
        let before = Before::take(&[dict(b0.clone(), codes.0.clone()), dict(b1.clone(), codes.1.clone())], &[0, 1]);
        let dicts = [dict(a0.clone(), codes.0.clone()), dict(a1.clone(), codes.1.clone())];
        let nulled = vec![vec![false; 4], vec![false; 3]];
        let cols = [
            Compared { output: "a".into(), dict: 0, generalizer: None },
            Compared { output: "b".into(), dict: 1, generalizer: None },
        ];
        let rows = Released {
            dicts: &dicts,
            keep: &keep,
            nulled: &nulled,
            k: 2,
            combo_of_row: Some(&combo_of_row),
            weights: None,
        };
        let gathered = Gathered::of(&combo_of_row, &keep).expect("few rows");
        assert_eq!(gathered.weights.iter().sum::<u32>() as usize, combo_of_row.len());
        assert!(gathered.weights.len() < combo_of_row.len());
        let (u_rows, c_rows) = compare_entries(&cols, &before, &rows);
        let (u_gathered, c_gathered) = compare(&cols, &before, &rows);
        assert_eq!(u_gathered, u_rows);
        assert_eq!((u_rows[0].records, u_rows[0].records_suppressed), (7, 4));
        let (c_rows, c_gathered) = (c_rows.unwrap(), c_gathered.unwrap());
        assert_eq!(c_rows.records, c_gathered.records);
        for (m_rows, m_gathered) in [(&c_rows.before, &c_gathered.before), (&c_rows.after, &c_gathered.after)] {
            for (x, y) in m_rows.iter().flatten().zip(m_gathered.iter().flatten()) {
                assert_eq!(x.is_some(), y.is_some());
                assert!((x.unwrap_or(9.0) - y.unwrap_or(9.0)).abs() < 1e-12, "{x:?} {y:?}");
            }
        }
    }

    #[test]
    fn fractions_are_written_to_twelve_digits_and_read_back_exactly() {
        for x in [1.0 / 3.0, 2.0f64.sqrt() * 1e13, -0.987654321987654, 123456.0, 7.5e-9] {
            let r = sig(x);
            assert!((r - x).abs() <= 1e-11 * x.abs(), "{x} -> {r}");
            let back: f64 = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
            assert_eq!(back.to_bits(), r.to_bits(), "{r}");
        }
        assert_eq!(sig(0.0), 0.0);
    }
}
