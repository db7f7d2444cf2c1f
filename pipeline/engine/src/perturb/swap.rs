//! `swap`: rank swapping (sdcMicro `rankSwap`, after Moore 1996).
//!
//! The records with a value are ranked by it (numbers and dates by value, text in natural order
//! — numbers inside a label by value, so 要介護2 before 要介護10 — false before true; records of
//! equal value in a random order). Going up the ranks, each record
//! not yet swapped exchanges its value with a record chosen uniformly among the records not yet
//! swapped whose rank is above its own by at most the window: `window` percent of the records
//! (of the stratum, with `within`), at least one record. A record with no such partner is left
//! as it is. Every value moves to another record of the same stratum, so the column's values
//! are a permutation of the input's: the distribution is kept exactly, in every stratum too.
//! A missing value stays missing and no value is swapped into it.

use super::{Context, Facts, Target, Technique};
use crate::cell::Cell;
use crate::error::EngineError;
use crate::fenwick::Fenwick;
use rand::RngExt;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha20Rng;
use tokumei_report::Swapped;
use tokumei_rules::Swap;

/// The technique.
pub(crate) struct RankSwap {
    s: Swap,
}

impl RankSwap {
    /// For the settings `s`.
    pub fn new(s: Swap) -> Self {
        RankSwap { s }
    }
}

impl Technique for RankSwap {
    fn apply(&self, unit: &mut [Target], cx: &Context, rng: &mut ChaCha20Rng) -> Result<Facts, EngineError> {
        let [t] = unit else {
            return Err(EngineError::Internal("swap perturbs one column at a time".into()));
        };
        let (top_coded, bottom_coded) = code_ends(t.dict, (self.s.bottom, self.s.top), t.plan.ty);
        let rank = value_ranks(&t.dict.values);
        let strata = Strata::of(&t.dict.codes, &rank, cx.strata);
        let mut facts = Swapped { strata: strata.count() as u64, top_coded, bottom_coded, ..Swapped::default() };
        let mut distance = 0u64;
        for s in 0..strata.count() {
            let rows = strata.rows(s);
            if rows.len() == 1 {
                facts.strata_alone += 1;
                facts.unswapped += 1;
                continue;
            }
            // Ranked by value, records of equal value in a random order.
            let mut ranked = rows.to_vec();
            ranked.shuffle(rng);
            ranked.sort_by_key(|r| rank[t.dict.codes[*r as usize] as usize]);
            let window = window_of(self.s.window, ranked.len());
            for (i, j) in pairs(ranked.len(), window, rng) {
                match j {
                    Some(j) => {
                        t.dict.codes.swap(ranked[i] as usize, ranked[j] as usize);
                        facts.swapped += 2;
                        distance += 2 * (j - i) as u64;
                        facts.max_rank_distance = facts.max_rank_distance.max((j - i) as u64);
                    }
                    None => facts.unswapped += 1,
                }
            }
        }
        facts.mean_rank_distance = if facts.swapped > 0 { distance as f64 / facts.swapped as f64 } else { 0.0 };
        Ok(Facts { swap: Some(facts), nulled: vec![0], ..Facts::default() })
    }
}

/// Set the values above `top` to `top` and those below `bottom` to `bottom` (numbers; days for
/// dates), before swapping; returns the records top and bottom coded.
pub(super) fn code_ends(
    dict: &mut crate::privacy::Dictionary,
    (bottom, top): (Option<f64>, Option<f64>),
    ty: tokumei_rules::ValueType,
) -> (u64, u64) {
    if top.is_none() && bottom.is_none() {
        return (0, 0);
    }
    let table = super::number_table(&dict.values);
    // Per code: 1 above top, 2 below bottom, 0 kept.
    let end: Vec<u8> = table
        .iter()
        .map(|x| match (top, bottom) {
            (Some(t), _) if x.is_finite() && *x > t => 1,
            (_, Some(b)) if x.is_finite() && *x < b => 2,
            _ => 0,
        })
        .collect();
    let (mut high, mut low) = (0u64, 0u64);
    for c in &dict.codes {
        match end[*c as usize] {
            1 => high += 1,
            2 => low += 1,
            _ => {}
        }
    }
    if high + low > 0 {
        let new: Vec<Cell> = dict
            .values
            .iter()
            .zip(&end)
            .map(|(v, e)| match (e, top, bottom) {
                (1, Some(t), _) => super::cell_of(t, ty),
                (2, _, Some(b)) => super::cell_of(b, ty),
                _ => v.clone(),
            })
            .collect();
        super::write_codes(dict, new);
    }
    (high, low)
}

/// The most ranks a swap spans among `m` records: `percent` of them, rounded down, at least one.
pub(super) fn window_of(percent: f64, m: usize) -> usize {
    ((percent / 100.0 * m as f64).floor() as usize).max(1)
}

/// Each code's rank among the dictionary's values in their order (text in natural order:
/// numbers inside a label by value, so 第2段階 before 第10段階); `u32::MAX` for missing.
pub(super) fn value_ranks(values: &[Cell]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..values.len()).filter(|i| values[*i] != Cell::Null).collect();
    order.sort_by(|a, b| match (&values[*a], &values[*b]) {
        (Cell::Str(x), Cell::Str(y)) => crate::natural::cmp(x, y),
        (x, y) => x.cmp(y),
    });
    let mut rank = vec![u32::MAX; values.len()];
    for (r, code) in order.into_iter().enumerate() {
        rank[code] = r as u32;
    }
    rank
}

/// The pairs of rank swapping over `m` ranked records: going up, each record not yet swapped
/// with the one chosen uniformly among the records not yet swapped at most `window` ranks above
/// it (`None`: there is none). Every record appears once, as the first or the second of a pair.
pub(super) fn pairs(m: usize, window: usize, rng: &mut ChaCha20Rng) -> Vec<(usize, Option<usize>)> {
    let mut free = Fenwick::ones(m);
    let mut taken = vec![false; m];
    let mut out = Vec::with_capacity(m / 2 + 1);
    for i in 0..m {
        if taken[i] {
            continue;
        }
        taken[i] = true;
        free.remove(i);
        // Every record at or below i is taken: the free records up to i + window are those
        // above i within the window.
        let hi = (i + window).min(m - 1);
        let count = free.prefix(hi);
        if count == 0 {
            out.push((i, None));
            continue;
        }
        // Drawn as a `usize` range, as before the tree was shared (the same draws for a seed).
        let j = free.kth(rng.random_range(0..count as usize) as u64);
        taken[j] = true;
        free.remove(j);
        out.push((i, Some(j)));
    }
    out
}

/// The rows with a value, grouped by stratum (one stratum without `within`), each stratum's
/// rows in input order.
pub(super) struct Strata {
    rows: Vec<u32>,
    ends: Vec<usize>,
}

impl Strata {
    /// Of the rows of `codes` whose code ranks (`rank` not `u32::MAX`), by `strata`.
    pub fn of(codes: &[u32], rank: &[u32], strata: Option<&[u32]>) -> Strata {
        let valued = |r: usize| rank[codes[r] as usize] != u32::MAX;
        let Some(of_row) = strata else {
            let rows: Vec<u32> = (0..codes.len()).filter(|r| valued(*r)).map(|r| r as u32).collect();
            let ends = if rows.is_empty() { Vec::new() } else { vec![rows.len()] };
            return Strata { rows, ends };
        };
        let count = of_row.iter().map(|s| *s as usize + 1).max().unwrap_or(0);
        let mut sizes = vec![0usize; count];
        for (r, s) in of_row.iter().enumerate() {
            if valued(r) {
                sizes[*s as usize] += 1;
            }
        }
        // Strata without a valued record are skipped: `slot` maps a stratum to its place.
        let mut slot = vec![usize::MAX; count];
        let (mut ends, mut at) = (Vec::new(), Vec::new());
        let mut total = 0usize;
        for (s, n) in sizes.iter().enumerate().filter(|(_, n)| **n > 0) {
            slot[s] = ends.len();
            at.push(total);
            total += n;
            ends.push(total);
        }
        let mut rows = vec![0u32; total];
        for (r, s) in of_row.iter().enumerate() {
            if valued(r) {
                let k = slot[*s as usize];
                rows[at[k]] = r as u32;
                at[k] += 1;
            }
        }
        Strata { rows, ends }
    }

    /// Strata with a valued record.
    pub fn count(&self) -> usize {
        self.ends.len()
    }

    /// The rows of stratum `s`.
    pub fn rows(&self, s: usize) -> &[u32] {
        let start = if s == 0 { 0 } else { self.ends[s - 1] };
        &self.rows[start..self.ends[s]]
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn swapped(action: &str, xs: &[Option<i64>], strata: Option<&[u32]>) -> (Vec<Option<i64>>, Swapped) {
        let (rows, facts) = applied(action, xs, strata);
        (rows, facts.swap.expect("swap facts"))
    }

    fn sorted(v: &[Option<i64>]) -> Vec<Option<i64>> {
        let mut v = v.to_vec();
        v.sort();
        v
    }

    /// Distinct values 0..n in a scrambled order: a value is its own rank.
    fn scrambled(n: i64) -> Vec<Option<i64>> {
        (0..n).map(|i| Some(i * 7919 % n)).collect()
    }

    #[test]
    fn the_column_is_a_permutation_and_the_window_is_respected() {
        let n = 20_000;
        let mut xs = scrambled(n);
        xs[5] = None;
        let (out, facts) = swapped("action = \"swap\"\nwindow = 2", &xs, None);
        assert_eq!(sorted(&out), sorted(&xs), "the values are a permutation of the input's");
        assert_eq!(out[5], None, "a missing value stays missing");
        let w = (0.02 * (n - 1) as f64).floor() as i64;
        let mut vals: Vec<i64> = xs.iter().flatten().copied().collect();
        vals.sort();
        let rank = |v: i64| vals.binary_search(&v).unwrap() as i64;
        let mut abs = 0i64;
        for (a, b) in xs.iter().zip(&out) {
            if let (Some(a), Some(b)) = (a, b) {
                let d = (rank(*a) - rank(*b)).abs();
                assert!(d <= w, "{a} -> {b}: {d} ranks, beyond the window {w}");
                abs += d;
            }
        }
        let changed = xs.iter().zip(&out).filter(|(a, b)| a != b).count() as u64;
        assert_eq!(changed, facts.swapped, "distinct values: every swapped record changes");
        assert!(facts.unswapped < 10 && facts.swapped + facts.unswapped == (n - 1) as u64, "{facts:?}");
        assert!(facts.max_rank_distance <= w as u64);
        // Uniform in the window, among the records still free: about w / 2 on average.
        assert!(facts.mean_rank_distance > 0.3 * w as f64, "{facts:?}");
        assert!((abs as f64 / facts.swapped as f64 - facts.mean_rank_distance).abs() < 1e-9);
    }

    #[test]
    fn strata_are_never_crossed_and_a_stratum_of_one_is_left() {
        let n = 3_001usize;
        let xs = scrambled(n as i64);
        // Three strata by row, and a last row alone in its own.
        let strata: Vec<u32> = (0..n).map(|r| if r == n - 1 { 3 } else { (r % 3) as u32 }).collect();
        let (out, facts) = swapped("action = \"swap\"\nwindow = 10", &xs, Some(&strata));
        for s in 0..4u32 {
            let before: Vec<Option<i64>> = (0..n).filter(|r| strata[*r] == s).map(|r| xs[r]).collect();
            let after: Vec<Option<i64>> = (0..n).filter(|r| strata[*r] == s).map(|r| out[r]).collect();
            assert_eq!(sorted(&before), sorted(&after), "stratum {s} keeps its values exactly");
        }
        assert_eq!(out[n - 1], xs[n - 1]);
        assert_eq!((facts.strata, facts.strata_alone), (4, 1));
        // The window is 10% of the stratum's 1000 records, in the stratum's ranks.
        for s in 0..3u32 {
            let mut vals: Vec<i64> = (0..n).filter(|r| strata[*r] == s).map(|r| xs[r].unwrap()).collect();
            vals.sort();
            let rank = |v: i64| vals.binary_search(&v).unwrap() as i64;
            for r in (0..n).filter(|r| strata[*r] == s) {
                assert!((rank(xs[r].unwrap()) - rank(out[r].unwrap())).abs() <= 100);
            }
        }
    }

    #[test]
    fn text_ranks_by_its_order_and_tiny_windows_swap_neighbours() {
        assert_eq!(window_of(5.0, 10), 1, "at least one record");
        assert_eq!(window_of(5.0, 1000), 50);
        let values = vec![Cell::str("b"), Cell::Null, Cell::str("a"), Cell::str("c")];
        assert_eq!(value_ranks(&values), vec![1, u32::MAX, 0, 2]);
        let values = vec![Cell::str("第10段階"), Cell::str("第2段階"), Cell::str("第1段階")];
        assert_eq!(value_ranks(&values), vec![2, 1, 0], "numbers inside labels by value");
        let mut rng = rng();
        for m in [0usize, 1, 2, 3, 10, 257] {
            let p = pairs(m, 1, &mut rng);
            let mut seen = vec![0; m];
            for (i, j) in &p {
                seen[*i] += 1;
                if let Some(j) = j {
                    assert_eq!(*j, i + 1, "window 1: the next rank");
                    seen[*j] += 1;
                }
            }
            assert!(seen.iter().all(|s| *s == 1), "m = {m}: every record once");
        }
    }

    #[test]
    fn top_and_bottom_codes_apply_before_swapping() {
        let mut xs: Vec<Option<i64>> = (1..=100).map(Some).collect();
        xs[3] = None;
        let (out, facts) = swapped("action = \"swap\"\nwindow = 10\ntop = 90\nbottom = 5", &xs, None);
        let coded: Vec<Option<i64>> = xs.iter().map(|x| x.map(|v| v.clamp(5, 90))).collect();
        assert_eq!(sorted(&out), sorted(&coded), "the released column is a permutation of the coded input");
        assert_eq!((facts.top_coded, facts.bottom_coded), (10, 3), "101-91 above, 1, 2, 3 below (4 missing)");
        assert_eq!(out[3], None);
        assert_eq!(out.iter().flatten().filter(|v| **v == 90).count(), 11, "the top code is shared");
        let (out, facts) = swapped("action = \"swap\"\ntop = 1000", &xs, None);
        assert_eq!(sorted(&out), sorted(&xs));
        assert_eq!((facts.top_coded, facts.bottom_coded), (0, 0));
    }
}
