//! Suppression bounds from one and two attributes, computed as the search asks for them.
//!
//! Records in classes smaller than k when only one or two quasi-identifiers are considered
//! are certainly suppressed at every node with those levels (more attributes only split the
//! classes further). A node whose single level or pair of levels suppresses more than the
//! limit is ruled out without computing its classes, and so is every finer node. The single
//! bounds come from each attribute's value counts; every node they leave is at or above one
//! corner node, whose class table the search and the pair bounds start from.
//!
//! The bound of a pair of levels is counted only when a node first needs it, and its answer
//! (over the limit or within it) fills a whole quadrant of the pair's level grid: the records
//! certainly suppressed only fall as either level rises (classes merge), so a pair of levels
//! over the limit puts every finer pair over it, and one within it puts every coarser pair
//! within it. Searches that evaluate few nodes (no suppression allowed) count few cells.

use crate::table::Steps;
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// What is known of one pair of levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Unknown,
    Over,
    Within,
}

/// A pair's distinct code pairs `(code a, code b, count)` at levels `(la, lb)`.
struct List {
    levels: (u8, u8),
    pairs: Vec<(u32, u32, u32)>,
}

/// One pair of attributes: its distinct code pairs with counts at levels counted so far (kept
/// when they shrink the table they were counted from) and what is known of each pair of levels.
struct Pair {
    a: usize,
    b: usize,
    lists: Vec<List>,
    /// `cells[(la - min_a) * cols + (lb - min_b)]`.
    cells: Vec<Cell>,
    cols: usize,
}

/// The pairwise bounds of one search (see the module documentation).
pub(crate) struct PairBounds {
    steps: Arc<Steps>,
    min: Vec<u8>,
    limit: u64,
    k: u32,
    /// Code of each attribute per row of a class table at levels `at`, and the records each
    /// row stands for.
    codes: Vec<Vec<u32>>,
    counts: Vec<u32>,
    at: Vec<u8>,
    /// Per attribute and level (from its minimum): whether the attribute alone suppresses
    /// more than the limit.
    singles: Vec<Vec<bool>>,
    pairs: Vec<Pair>,
    /// Code pairs held in `lists` (bounded by [`HELD`]).
    held: usize,
    counter: Counter,
}

/// Largest number of code pairs kept in the pairs' lists of coarser levels.
const HELD: usize = 8 << 20;

/// Largest dense matrix of pair counts (cells) before a hash map is used instead.
const DENSE_CELLS: usize = 1 << 20;

impl PairBounds {
    /// Bounds for k over a class table at levels `at` (at most the levels of any node asked
    /// about that `singles` does not rule out), given as its `codes` per attribute and
    /// `counts`, on the lattice between `min` and `max`; none when k is at most 1. `steps` maps
    /// codes between levels (`steps[a][from][to]`); `singles[a]` says per level from `min[a]`
    /// whether attribute a alone suppresses more than the limit.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        steps: Arc<Steps>,
        codes: Vec<Vec<u32>>,
        counts: Vec<u32>,
        at: Vec<u8>,
        singles: Vec<Vec<bool>>,
        min: &[u8],
        max: &[u8],
        k: u32,
        limit: u64,
    ) -> Self {
        let nq = steps.len();
        let mut pairs = Vec::new();
        if k > 1 {
            for a in 0..nq {
                for b in a + 1..nq {
                    let rows = (max[a] - min[a]) as usize + 1;
                    let cols = (max[b] - min[b]) as usize + 1;
                    pairs.push(Pair { a, b, lists: Vec::new(), cells: vec![Cell::Unknown; rows * cols], cols });
                }
            }
        }
        PairBounds {
            steps,
            min: min.to_vec(),
            limit,
            k,
            codes,
            counts,
            at,
            singles: if k > 1 { singles } else { Vec::new() },
            pairs,
            held: 0,
            counter: Counter::default(),
        }
    }

    /// Whether one attribute or a pair of attributes alone suppresses more than the limit at
    /// `levels` (then every finer node does too).
    pub(crate) fn rule_out(&mut self, levels: &[u8]) -> bool {
        let min = &self.min;
        if self.singles.iter().enumerate().any(|(a, s)| s.get((levels[a] - min[a]) as usize) == Some(&true)) {
            return true;
        }
        let cell =
            |p: &Pair, min: &[u8]| (levels[p.a] - min[p.a]) as usize * p.cols + (levels[p.b] - min[p.b]) as usize;
        if self.pairs.iter().any(|p| p.cells[cell(p, &self.min)] == Cell::Over) {
            return true;
        }
        for i in 0..self.pairs.len() {
            let c = cell(&self.pairs[i], &self.min);
            if self.pairs[i].cells[c] == Cell::Unknown && self.count(i, levels) {
                return true;
            }
        }
        false
    }

    /// Count pair `i` at `levels` from its smallest list at finer levels (or the class table
    /// when none is), record the answer in its quadrant, and return whether it is over the
    /// limit. A pair with one value at either level is its other attribute alone, which
    /// [`PairBounds::rule_out`] has found within the limit: it is not counted.
    fn count(&mut self, i: usize, levels: &[u8]) -> bool {
        let (a, b) = (self.pairs[i].a, self.pairs[i].b);
        let (la, lb) = (levels[a], levels[b]);
        let card = |x: usize, l: u8| self.steps[x][l as usize][l as usize].len();
        let (ca, cb) = (card(a, la), card(b, lb));
        let over = if ca <= 1 || cb <= 1 {
            false
        } else {
            let (ta, tb) = (self.at[a], self.at[b]);
            let (da, db) = (card(a, ta), card(b, tb));
            let rows = self.counts.len();
            if self.pairs[i].lists.is_empty() && da.saturating_mul(db) <= rows {
                // Few code pairs in the table: count them once, every level rolls up from them.
                let pairs = self.rows(a, b, ta, tb, da, db);
                self.held += pairs.len();
                self.pairs[i].lists.push(List { levels: (ta, tb), pairs });
            }
            let p = &self.pairs[i];
            let src = p.lists.iter().filter(|l| l.levels.0 <= la && l.levels.1 <= lb).min_by_key(|l| l.pairs.len());
            let (rolled, from) = match src {
                Some(src) => {
                    let sa = &self.steps[a][src.levels.0 as usize][la as usize];
                    let sb = &self.steps[b][src.levels.1 as usize][lb as usize];
                    (self.counter.roll(&src.pairs, sa, sb, ca, cb), src.pairs.len())
                }
                None => (self.rows(a, b, la, lb, ca, cb), rows),
            };
            let suppressed: u64 = rolled.iter().filter(|(_, _, c)| *c < self.k).map(|(_, _, c)| *c as u64).sum();
            if rolled.len() * 2 <= from && self.held + rolled.len() <= HELD {
                self.held += rolled.len();
                self.pairs[i].lists.push(List { levels: (la, lb), pairs: rolled });
            }
            suppressed > self.limit
        };
        let p = &mut self.pairs[i];
        let (ia, ib) = ((la - self.min[a]) as usize, (lb - self.min[b]) as usize);
        let rows = p.cells.len() / p.cols;
        let (r, c, mark) =
            if over { (0..=ia, 0..=ib, Cell::Over) } else { (ia..=rows - 1, ib..=p.cols - 1, Cell::Within) };
        for x in r {
            for y in c.clone() {
                p.cells[x * p.cols + y] = mark;
            }
        }
        over
    }
}

impl PairBounds {
    /// The distinct code pairs of attributes a and b at levels `la` and `lb` (cardinalities
    /// `ca`, `cb`) with their records, counted from the class table.
    fn rows(&mut self, a: usize, b: usize, la: u8, lb: u8, ca: usize, cb: usize) -> Vec<(u32, u32, u32)> {
        let sa = &self.steps[a][self.at[a] as usize][la as usize];
        let sb = &self.steps[b][self.at[b] as usize][lb as usize];
        let triples = self.codes[a]
            .iter()
            .zip(&self.codes[b])
            .zip(&self.counts)
            .map(|((x, y), c)| (sa[*x as usize], sb[*y as usize], *c));
        self.counter.count(triples, self.counts.len(), ca, cb)
    }
}

/// Counts code pairs into a dense matrix (cells touched are listed and reset, so the matrix is
/// cleared once) or, when the matrix would be too large, a hash map.
#[derive(Default)]
struct Counter {
    dense: Vec<u32>,
    touched: Vec<u32>,
    sparse: FxHashMap<u64, u32>,
}

impl Counter {
    /// `pairs` mapped by `sa` and `sb` (to cardinalities `ca`, `cb`), counted again.
    fn roll(
        &mut self,
        pairs: &[(u32, u32, u32)],
        sa: &[u32],
        sb: &[u32],
        ca: usize,
        cb: usize,
    ) -> Vec<(u32, u32, u32)> {
        let triples = pairs.iter().map(|(x, y, c)| (sa[*x as usize], sb[*y as usize], *c));
        self.count(triples, pairs.len(), ca, cb)
    }

    fn count(
        &mut self,
        triples: impl Iterator<Item = (u32, u32, u32)>,
        len: usize,
        ca: usize,
        cb: usize,
    ) -> Vec<(u32, u32, u32)> {
        let cells = ca.saturating_mul(cb);
        if cells <= len {
            // No more cells than inputs: count, then read the matrix back.
            if self.dense.len() < cells {
                self.dense.resize(cells, 0);
            }
            let dense = &mut self.dense[..cells];
            for (x, y, c) in triples {
                dense[x as usize * cb + y as usize] += c;
            }
            let mut out = Vec::new();
            for (i, c) in dense.iter_mut().enumerate() {
                if *c > 0 {
                    out.push(((i / cb) as u32, (i % cb) as u32, std::mem::take(c)));
                }
            }
            out
        } else if cells <= DENSE_CELLS.max(4 * len) && cells <= u32::MAX as usize {
            if self.dense.len() < cells {
                self.dense.resize(cells, 0);
            }
            let (dense, touched) = (&mut self.dense, &mut self.touched);
            touched.clear();
            for (x, y, c) in triples {
                let i = x as usize * cb + y as usize;
                if dense[i] == 0 {
                    touched.push(i as u32);
                }
                dense[i] += c;
            }
            touched
                .iter()
                .map(|i| {
                    let c = std::mem::take(&mut dense[*i as usize]);
                    (*i / cb as u32, *i % cb as u32, c)
                })
                .collect()
        } else {
            let sparse = &mut self.sparse;
            sparse.clear();
            for (x, y, c) in triples {
                *sparse.entry(((x as u64) << 32) | y as u64).or_insert(0) += c;
            }
            sparse.iter().map(|(key, c)| ((key >> 32) as u32, *key as u32, *c)).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hierarchy::Hierarchy;

    /// Whether some attribute or pair of attributes alone suppresses more than `limit` at
    /// `levels`, counted from the rows (the reference).
    fn brute(codes: &[Vec<u32>], hs: &[Hierarchy], levels: &[u8], k: u32, limit: u64) -> bool {
        let (n, rows) = (codes.len(), codes[0].len());
        let over = |attrs: &[usize]| {
            let mut classes: FxHashMap<Vec<u32>, u32> = FxHashMap::default();
            (0..rows).for_each(|r| {
                let key: Vec<u32> =
                    attrs.iter().map(|a| hs[*a].up[levels[*a] as usize][codes[*a][r] as usize]).collect();
                *classes.entry(key).or_insert(0) += 1;
            });
            classes.values().filter(|c| **c < k).map(|c| *c as u64).sum::<u64>() > limit
        };
        (0..n).any(|a| over(&[a])) || (0..n).any(|a| (a + 1..n).any(|b| over(&[a, b])))
    }

    #[test]
    fn lazy_bounds_equal_counting_every_pair() {
        let mut seed = 7u64;
        let mut next = |m: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        for round in 0..12 {
            // Four attributes with domains of 2..40 values and three or four levels.
            let domains: Vec<u32> = (0..4).map(|_| 2 + next(39) as u32).collect();
            let hs: Vec<Hierarchy> = domains
                .iter()
                .enumerate()
                .map(|(a, d)| {
                    let depth = 3 + (a % 2);
                    let rows: Vec<Vec<String>> = (0..*d)
                        .map(|v| {
                            (0..depth)
                                .map(|l| if l + 1 == depth { "*".into() } else { (v >> (2 * l)).to_string() })
                                .collect()
                        })
                        .collect();
                    Hierarchy::from_rows(&format!("h{a}"), &rows).unwrap()
                })
                .collect();
            let rows = 50 + next(300) as usize;
            let skew = |d: u32, x: u64| ((x * x) % d as u64) as u32; // some values rare
            let codes: Vec<Vec<u32>> =
                domains.iter().map(|d| (0..rows).map(|_| skew(*d, next(1000))).collect()).collect();
            let (k, limit) = (2 + next(4) as u32, next(3) * next(20));
            let min = vec![0u8; 4];
            let max: Vec<u8> = hs.iter().map(|h| h.max_level() as u8).collect();
            let steps: Steps = hs.iter().map(Hierarchy::steps).collect();
            let singles: Vec<Vec<bool>> = (0..4)
                .map(|a| {
                    (0..=max[a])
                        .map(|l| {
                            let mut f = vec![0u32; hs[a].labels[l as usize].len()];
                            codes[a].iter().for_each(|c| f[hs[a].up[l as usize][*c as usize] as usize] += 1);
                            f.iter().filter(|c| **c > 0 && **c < k).map(|c| *c as u64).sum::<u64>() > limit
                        })
                        .collect()
                })
                .collect();
            // Start from the level-0 rows in even rounds, from the singles' corner in odd ones.
            let at: Vec<u8> = (0..4)
                .map(|a| if round % 2 == 0 { 0 } else { singles[a].iter().position(|o| !o).unwrap_or(0) as u8 })
                .collect();
            let table: Vec<Vec<u32>> =
                (0..4).map(|a| codes[a].iter().map(|c| hs[a].up[at[a] as usize][*c as usize]).collect()).collect();
            let ones = vec![1u32; rows];
            let mut bounds = PairBounds::new(Arc::new(steps), table, ones, at, singles, &min, &max, k, limit);
            let lattice = crate::Lattice::new(min.clone(), max.clone(), usize::MAX).unwrap();
            let mut nodes: Vec<usize> = (0..lattice.size()).collect();
            for i in (1..nodes.len()).rev() {
                nodes.swap(i, next(i as u64 + 1) as usize);
            }
            let mut levels = vec![0u8; 4];
            for i in nodes {
                lattice.levels(i, &mut levels);
                assert_eq!(bounds.rule_out(&levels), brute(&codes, &hs, &levels, k, limit), "round {round} {levels:?}");
            }
        }
    }
}
