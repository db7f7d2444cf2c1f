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
    /// The pair that last ruled a node out.
    last_over: usize,
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
            last_over: 0,
        }
    }

    /// Whether one attribute or a pair of attributes alone suppresses more than the limit at
    /// `levels` (then every finer node does too).
    pub(crate) fn rule_out(&mut self, levels: &[u8]) -> bool {
        let min = &self.min;
        if self.singles.iter().enumerate().any(|(a, s)| s.get((levels[a] - min[a]) as usize) == Some(&true)) {
            return true;
        }
        // The pair that ruled out the last node is looked at first (neighbouring nodes are often
        // ruled out by the same pair).
        let cell = |p: &Pair| p.cells[(levels[p.a] - min[p.a]) as usize * p.cols + (levels[p.b] - min[p.b]) as usize];
        if self.pairs.get(self.last_over).is_some_and(|p| cell(p) == Cell::Over) {
            return true;
        }
        // One look at every pair: over the limit ends it; the unknown ones are counted after
        // (none is counted when a known one is over).
        let (mut unknown, mut first) = (0usize, usize::MAX);
        for (i, p) in self.pairs.iter().enumerate() {
            match cell(p) {
                Cell::Over => {
                    self.last_over = i;
                    return true;
                }
                Cell::Unknown => {
                    unknown += 1;
                    first = first.min(i);
                }
                Cell::Within => {}
            }
        }
        if unknown == 0 {
            return false;
        }
        for i in first..self.pairs.len() {
            let p = &self.pairs[i];
            let c = (levels[p.a] - self.min[p.a]) as usize * p.cols + (levels[p.b] - self.min[p.b]) as usize;
            if p.cells[c] == Cell::Unknown && self.count(i, levels) {
                self.last_over = i;
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
                self.table_lists(a, b);
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
    /// The lists of pair (a, b) at the table's levels, and with them those of every other pair
    /// of the attributes counted with it in one pass over the table: attributes join {a, b}
    /// one at a time (the one with the most pairs not counted yet) while the cube of their code
    /// tuples has no more cells than the table has rows, up to [`CUBE_ATTRIBUTES`]; every pair's
    /// list is then read off the cube ([`read_back`]).
    fn table_lists(&mut self, a: usize, b: usize) {
        let card = |x: usize| self.steps[x][self.at[x] as usize][self.at[x] as usize].len();
        let rows = self.counts.len();
        let index = |pairs: &[Pair], x: usize, y: usize| {
            let (x, y) = (x.min(y), x.max(y));
            pairs.iter().position(|p| p.a == x && p.b == y).expect("every pair of attributes has bounds")
        };
        let empty = |x: usize, y: usize| self.pairs[index(&self.pairs, x, y)].lists.is_empty();
        let mut set = vec![a, b];
        let mut cells = card(a) * card(b);
        // A cube's cells are numbered in 32 bits.
        let most = rows.min(u32::MAX as usize);
        while set.len() < CUBE_ATTRIBUTES {
            let next = (0..self.codes.len())
                .filter(|c| !set.contains(c) && card(*c) > 1 && cells.saturating_mul(card(*c)) <= most)
                .map(|c| (set.iter().filter(|s| empty(**s, c)).count(), c))
                .filter(|(new, _)| *new > 0)
                .max_by_key(|(new, c)| (*new, std::cmp::Reverse(*c)));
            let Some((_, c)) = next else { break };
            set.push(c);
            cells *= card(c);
        }
        if set.len() == 2 {
            let pairs = self.rows(a, b, self.at[a], self.at[b], card(a), card(b));
            self.held += pairs.len();
            let i = index(&self.pairs, a, b);
            self.pairs[i].lists.push(List { levels: (self.at[a], self.at[b]), pairs });
            return;
        }
        // The widest attribute innermost: the cube is read back a run of its codes at a time.
        set.sort_by_key(|x| (card(*x), *x));
        let dims: Vec<usize> = set.iter().map(|x| card(*x)).collect();
        let columns: Vec<&[u32]> = set.iter().map(|x| self.codes[*x].as_slice()).collect();
        let cube = self.counter.cube(&columns, &dims, &self.counts);
        let grids = read_back(cube, &dims);
        for j in 1..set.len() {
            for i in 0..j {
                let (x, y) = (set[i], set[j]);
                let p = index(&self.pairs, x, y);
                let (cells, asked) = (dims[i] * dims[j], (x.min(y), x.max(y)) == (a.min(b), a.max(b)));
                // The pairs counted along with the asked one are kept within [`HELD`] (a pair
                // left out is counted when it is asked for).
                if !self.pairs[p].lists.is_empty() || (!asked && self.held + cells > HELD) {
                    continue;
                }
                // Put the pair's first attribute (the lower index) first.
                let (cols, swap) = (dims[j], x > y);
                let grid = &grids[j * (j - 1) / 2 + i];
                let mut pairs: Vec<(u32, u32, u32)> = Vec::with_capacity(grid.len());
                pairs.extend(grid.iter().enumerate().filter(|(_, n)| **n > 0).map(|(g, n)| {
                    let (u, v) = ((g / cols) as u32, (g % cols) as u32);
                    if swap { (v, u, *n) } else { (u, v, *n) }
                }));
                self.held += pairs.len();
                let levels = if swap { (self.at[y], self.at[x]) } else { (self.at[x], self.at[y]) };
                self.pairs[p].lists.push(List { levels, pairs });
            }
        }
    }

    /// The distinct code pairs of attributes a and b at levels `la` and `lb` (cardinalities
    /// `ca`, `cb`) with their records, counted from the class table.
    fn rows(&mut self, a: usize, b: usize, la: u8, lb: u8, ca: usize, cb: usize) -> Vec<(u32, u32, u32)> {
        if (la, lb) == (self.at[a], self.at[b]) {
            // The table's own levels: its codes as they are.
            let triples = self.codes[a].iter().zip(&self.codes[b]).zip(&self.counts).map(|((x, y), c)| (*x, *y, *c));
            return self.counter.count(triples, self.counts.len(), ca, cb);
        }
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
    /// Each row's cell in [`Counter::cube`].
    cells: Vec<u32>,
    sparse: FxHashMap<u64, u32>,
}

impl Counter {
    /// The records of each code tuple of `columns` (cardinalities `dims`) with `counts`, in a
    /// cube of their cells (the last column's codes innermost); [`read_back`] clears it.
    fn cube(&mut self, columns: &[&[u32]], dims: &[usize], counts: &[u32]) -> &mut [u32] {
        let cells = dims.iter().product();
        if self.dense.len() < cells {
            self.dense.resize(cells, 0);
        }
        // Each row's cell, a column at a time (loops the compiler vectorises).
        let cell = &mut self.cells;
        cell.clear();
        cell.extend_from_slice(columns[0]);
        for (column, d) in columns[1..].iter().zip(&dims[1..]) {
            for (i, code) in cell.iter_mut().zip(*column) {
                *i = *i * *d as u32 + code;
            }
        }
        let dense = &mut self.dense[..cells];
        for (i, c) in cell.iter().zip(counts) {
            dense[*i as usize] += c;
        }
        dense
    }

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
            // No more cells than inputs: count, then read the matrix back. Four partial counts
            // per cell (an input in four to each), so that runs into one cell do not wait on
            // one counter.
            if self.dense.len() < 4 * cells {
                self.dense.resize(4 * cells, 0);
            }
            let dense = &mut self.dense[..4 * cells];
            for (j, (x, y, c)) in triples.enumerate() {
                dense[4 * (x as usize * cb + y as usize) + (j & 3)] += c;
            }
            let mut out = Vec::with_capacity(cells);
            for (i, part) in dense.chunks_exact_mut(4).enumerate() {
                let c: u32 = part.iter().sum();
                if c > 0 {
                    part.fill(0);
                    out.push(((i / cb) as u32, (i % cb) as u32, c));
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

/// The counts of every pair of a cube's dimensions (`dims`, the last innermost), each pair
/// (i, j) with i < j at `grids[j * (j - 1) / 2 + i]`, indexed `code_i * dims[j] + code_j`; the
/// cube is left cleared. The pairs with the innermost dimension are added up a run of its codes
/// at a time; the cube summed over it (one dimension fewer) gives the other pairs the same way.
fn read_back(cube: &mut [u32], dims: &[usize]) -> Vec<Vec<u32>> {
    let n = dims.len();
    let mut grids: Vec<Vec<u32>> = Vec::with_capacity(n * (n - 1) / 2);
    for j in 1..n {
        for i in 0..j {
            grids.push(vec![0; dims[i] * dims[j]]);
        }
    }
    let mut marginal: Vec<u32> = Vec::new();
    for last in (1..n).rev() {
        let dl = dims[last];
        let mut summed = vec![0u32; dims[..last].iter().product()];
        let source: &mut [u32] = if last == n - 1 { &mut *cube } else { &mut marginal };
        // The codes of the dimensions before `last` of the run at hand (an odometer).
        let mut codes = vec![0usize; last];
        for (run, sum) in source.chunks_exact_mut(dl).zip(summed.iter_mut()) {
            for (i, code) in codes.iter().enumerate() {
                let row = &mut grids[last * (last - 1) / 2 + i][code * dl..(code + 1) * dl];
                for (r, c) in row.iter_mut().zip(run.iter()) {
                    *r += *c;
                }
            }
            *sum = run.iter().sum();
            run.fill(0);
            for d in (0..last).rev() {
                codes[d] += 1;
                if codes[d] < dims[d] {
                    break;
                }
                codes[d] = 0;
            }
        }
        marginal = summed;
    }
    grids
}

/// Most attributes counted together in one pass over the class table by
/// [`PairBounds::table_lists`].
const CUBE_ATTRIBUTES: usize = 5;

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
            // Four attributes with domains of 2..40 values (2..8 in one round in three, so that
            // code triples are fewer than the rows) and three or four levels.
            let domains: Vec<u32> = (0..4).map(|_| 2 + next(if round % 3 == 0 { 7 } else { 39 }) as u32).collect();
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

    /// A pass over the table for several pairs gives each pair the list counting it alone gives,
    /// at the table's levels (which differ between attributes, so a pair stored the wrong way
    /// round shows), the asked pair always among them, and cubes of up to five attributes occur.
    #[test]
    fn lists_from_cubes_equal_counting_each_pair() {
        let mut seed = 11u64;
        let mut next = |m: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let mut widest = 0;
        for _ in 0..20 {
            let n = 6;
            let domains: Vec<usize> = (0..n).map(|_| 2 + next(5) as usize).collect();
            let rows = 200 + next(800) as usize;
            let codes: Vec<Vec<u32>> =
                domains.iter().map(|d| (0..rows).map(|_| next(*d as u64) as u32).collect()).collect();
            let counts: Vec<u32> = (0..rows).map(|_| 1 + next(3) as u32).collect();
            // Three levels of identity steps; the table at a level of its own per attribute.
            let steps: Steps = domains
                .iter()
                .map(|d| (0..3).map(|_| (0..3).map(|_| (0..*d as u32).collect()).collect()).collect())
                .collect();
            let at: Vec<u8> = (0..n).map(|a| (a % 3) as u8).collect();
            let (min, max) = (vec![0u8; n], vec![2u8; n]);
            let singles = vec![vec![false; 3]; n];
            let mut bounds = PairBounds::new(Arc::new(steps), codes, counts, at.clone(), singles, &min, &max, 3, 0);
            for _ in 0..4 {
                let a = next(n as u64) as usize;
                let b = (a + 1 + next(n as u64 - 1) as usize) % n;
                let (a, b) = (a.min(b), a.max(b));
                let i = bounds.pairs.iter().position(|p| (p.a, p.b) == (a, b)).unwrap();
                if !bounds.pairs[i].lists.is_empty() {
                    continue; // the search counts a pair's table lists once
                }
                let before: usize = bounds.pairs.iter().map(|p| p.lists.len()).sum();
                bounds.table_lists(a, b);
                let made = bounds.pairs.iter().map(|p| p.lists.len()).sum::<usize>() - before;
                assert!(!bounds.pairs[i].lists.is_empty(), "pair {a}, {b} not counted");
                widest = widest.max(made);
            }
            for i in 0..bounds.pairs.len() {
                let (a, b) = (bounds.pairs[i].a, bounds.pairs[i].b);
                for list in std::mem::take(&mut bounds.pairs[i].lists) {
                    assert_eq!(list.levels, (at[a], at[b]));
                    let mut got = list.pairs;
                    let mut expected = bounds.rows(a, b, at[a], at[b], domains[a], domains[b]);
                    got.sort_unstable();
                    expected.sort_unstable();
                    assert_eq!(got, expected, "pair {a}, {b}");
                }
            }
        }
        // Ten pairs at once: a cube of five attributes, every pair of them new.
        assert_eq!(widest, 10);
    }
}
