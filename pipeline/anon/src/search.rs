//! Optimal full-domain generalisation search over the lattice.
//!
//! Nodes are visited in increasing order of a lower bound of the quality model (the model's
//! value if nothing were suppressed, which is separable per attribute and monotone up the
//! lattice; suppression can only add loss). The first node whose bound is not below the best
//! admissible value found ends the search: no later node can beat it, so the result is
//! optimal. Before a node is evaluated, pairwise bounds (records in classes smaller than k
//! when only two attributes are considered are certainly suppressed) and, for monotone
//! models, known inadmissible coarser nodes rule it out without touching its classes. A node
//! that must be evaluated is rolled up from the smallest cached finer node's class table. The
//! nodes one attribute alone rules out (every node not at or above one corner) are not
//! visited: the search runs on the lattice above that corner, from its class table.

use crate::AnonError;
use crate::hierarchy::Hierarchy;
use crate::lattice::Lattice;
use crate::models::{self, Class, ClassDistribution, Global, Model, Table};
use crate::pairs::PairBounds;
use crate::quality::{AdditiveBound, Context, Costs, Quality};
use crate::table::{self, ClassTable, Key, Layout, Steps};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::time::{Duration, Instant};

/// A quasi-identifier: level-0 codes per row and its hierarchy.
pub struct QiColumn<'a> {
    /// Name for reports.
    pub name: String,
    /// Level-0 code of each row (codes index `hierarchy.labels[0]`).
    pub codes: &'a [u32],
    /// The hierarchy.
    pub hierarchy: &'a Hierarchy,
    /// Lowest level the search may choose.
    pub min_level: u8,
    /// Highest level the search may choose.
    pub max_level: u8,
    /// Weight in the quality model.
    pub weight: f64,
}

/// A sensitive column: a code per row.
pub struct SensitiveColumn<'a> {
    /// Name for reports.
    pub name: String,
    /// Code of each row.
    pub codes: &'a [u32],
    /// Number of distinct codes.
    pub cardinality: usize,
    /// Rank of each code in the column's natural order (ordered t-closeness distance).
    pub rank: Option<Vec<u32>>,
    /// Value hierarchy over the codes (hierarchical t-closeness distance; takes precedence).
    pub tree: Option<crate::models::Tree>,
}

/// What to anonymise and how.
pub struct Problem<'a> {
    /// Quasi-identifiers.
    pub qi: Vec<QiColumn<'a>>,
    /// Sensitive columns (referred to by index in models).
    pub sensitive: Vec<SensitiveColumn<'a>>,
    /// Records: the rows, or the sum of `counts`.
    pub n: usize,
    /// An aggregated class table: each row stands for `counts[i]` records (a `GROUP BY` of the
    /// codes with `COUNT(*)`, as a distributed engine would give). `None`: a row per record.
    /// The search's result is the same either way.
    pub counts: Option<&'a [u32]>,
    /// Privacy models that every output class (or the table) must satisfy.
    pub models: Vec<Model>,
    /// Largest share of rows that may be suppressed.
    pub max_suppression: f64,
    /// Quality model minimised.
    pub quality: Quality,
}

impl Problem<'_> {
    /// Rows of the problem (records, or classes of an aggregated table).
    pub fn rows(&self) -> usize {
        self.counts.map_or(self.n, <[u32]>::len)
    }
}

/// Search limits.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// Largest lattice searched exhaustively (ARX refuses lattices above 100,000 nodes).
    pub max_nodes: usize,
    /// Time budget of the heuristic search on larger lattices.
    pub time_budget: Duration,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions { max_nodes: 100_000, time_budget: Duration::from_secs(30) }
    }
}

/// The outcome of one node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeEval {
    /// Levels.
    pub levels: Vec<u8>,
    /// Records suppressed.
    pub suppressed: u64,
    /// Classes kept.
    pub classes: u64,
    /// Quality model value (lower is better).
    pub quality: f64,
    /// Whether the models hold within the suppression limit.
    pub admissible: bool,
    /// The smallest kept class (records; 0 when every class is suppressed): the highest
    /// prosecutor risk of the node is its inverse.
    pub min_class: u64,
}

/// The search result.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    /// The best admissible node, if any node is admissible.
    pub best: Option<NodeEval>,
    /// Whether the result is proven optimal (exhaustive search).
    pub optimal: bool,
    /// A lower bound of the optimum's quality (equal to it when optimal).
    pub lower_bound: f64,
    /// Nodes in the lattice.
    pub nodes: usize,
    /// Nodes whose classes were computed.
    pub evaluated: usize,
    /// Nodes ruled out by bounds or monotonicity without computing classes.
    pub pruned: usize,
    /// Search time in milliseconds.
    pub ms: f64,
    /// The nodes evaluated (at most [`MAX_CANDIDATES`], the finest first), for a risk-utility map.
    pub candidates: Vec<NodeEval>,
    /// Nodes evaluated beyond those kept in `candidates`.
    pub candidates_left_off: usize,
}

/// The most evaluated nodes a search result keeps for its risk-utility map.
pub const MAX_CANDIDATES: usize = 2_000;

/// At most [`MAX_CANDIDATES`] of `nodes`, in lattice order (fewest levels first, then by
/// levels), and how many were left off.
fn candidates(nodes: impl Iterator<Item = NodeEval>) -> (Vec<NodeEval>, usize) {
    let mut all: Vec<NodeEval> = nodes.collect();
    all.sort_unstable_by(|a, b| {
        let sum = |n: &NodeEval| n.levels.iter().map(|l| u32::from(*l)).sum::<u32>();
        sum(a).cmp(&sum(b)).then_with(|| a.levels.cmp(&b.levels))
    });
    let left = all.len().saturating_sub(MAX_CANDIDATES);
    all.truncate(MAX_CANDIDATES);
    (all, left)
}

/// The quality model's costs over a problem.
pub fn costs(p: &Problem) -> Costs {
    let attributes: Vec<(&[u32], &Hierarchy, f64)> = p.qi.iter().map(|q| (q.codes, q.hierarchy, q.weight)).collect();
    Costs::new(p.quality, Context::new(p.n, &attributes, p.counts))
}

/// Prepared state shared by the search and single-node evaluation.
pub struct Engine<'p, 'a, K> {
    p: &'p Problem<'a>,
    layout: Layout<K>,
    steps: std::sync::Arc<Steps>,
    globals: Vec<Global>,
    costs: std::sync::Arc<Costs>,
    base: ClassTable<K>,
    k: u32,
    /// Whether judging a class needs its sensitive distributions.
    judge_distributions: bool,
    limit: u64,
    scratch: Scratch<K>,
    buffers: table::Buffers<K>,
    /// Per attribute and level, the attribute's cost sum over every record ([`Costs::separable`]).
    separable: Vec<Vec<f64>>,
}

struct Scratch<K> {
    /// The kept and the suppressed classes of the node evaluated: a key and the records.
    classes: [Vec<(K, f64)>; 2],
    counts: Vec<Vec<u32>>,
    touched: Vec<Vec<u32>>,
    pairs: Vec<Vec<(u32, u32)>>,
    emd: Vec<f64>,
}

impl<'p, 'a, K: Key> Engine<'p, 'a, K> {
    /// Encode the problem (one pass over the rows).
    pub fn new(p: &'p Problem<'a>) -> Result<Self, AnonError> {
        let mut eng = Self::prepare(p)?;
        eng.base = eng.group(&vec![0; p.qi.len()]);
        Ok(eng)
    }

    /// The class table at `levels`, grouped from the rows.
    fn group(&self, levels: &[u8]) -> ClassTable<K> {
        let p = self.p;
        let qi_codes: Vec<&[u32]> = p.qi.iter().map(|q| q.codes).collect();
        let up: Vec<Option<&[u32]>> =
            (0..p.qi.len()).map(|a| (levels[a] > 0).then(|| self.steps[a][0][levels[a] as usize].as_slice())).collect();
        let sens_codes: Vec<&[u32]> = p.sensitive.iter().map(|s| s.codes).collect();
        let mut t = table::group(&self.layout, &qi_codes, &up, &sens_codes, p.rows(), p.counts);
        t.levels = levels.to_vec();
        t
    }

    /// Everything [`Engine::new`] prepares but the level-0 class table (left empty).
    fn prepare(p: &'p Problem<'a>) -> Result<Self, AnonError> {
        for q in &p.qi {
            if q.codes.len() != p.rows() || q.max_level as usize > q.hierarchy.max_level() || q.min_level > q.max_level
            {
                return Err(AnonError::Problem(format!("quasi-identifier {} has inconsistent rows or levels", q.name)));
            }
        }
        if let Some(counts) = p.counts
            && counts.iter().map(|c| *c as u64).sum::<u64>() != p.n as u64
        {
            return Err(AnonError::Problem("the counts of the class table do not sum to its records".into()));
        }
        for s in &p.sensitive {
            if s.codes.len() != p.rows() {
                return Err(AnonError::Problem(format!(
                    "sensitive column {} has {} rows, expected {}",
                    s.name,
                    s.codes.len(),
                    p.rows()
                )));
            }
        }
        let qi_cards: Vec<usize> = p.qi.iter().map(|q| q.hierarchy.domain()).collect();
        let sens_cards: Vec<usize> = p.sensitive.iter().map(|s| s.cardinality).collect();
        let layout = Layout::new(&qi_cards, &sens_cards)?;
        let steps: Steps = p.qi.iter().map(|q| q.hierarchy.steps()).collect();
        let globals = p
            .sensitive
            .iter()
            .map(|s| Global::from_counted_codes(s.codes, p.counts, s.cardinality, s.rank.clone(), s.tree.clone()))
            .collect();
        let base = ClassTable { levels: Vec::new(), entries: Vec::new() };
        let k = models::min_class_size(&p.models);
        let judge_distributions = models::need_distributions(&p.models);
        let limit = (p.max_suppression * p.n as f64 + 1e-9).floor() as u64;
        let scratch = Scratch {
            classes: [Vec::new(), Vec::new()],
            counts: sens_cards.iter().map(|c| vec![0; *c]).collect(),
            touched: sens_cards.iter().map(|_| Vec::new()).collect(),
            pairs: sens_cards.iter().map(|_| Vec::new()).collect(),
            emd: Vec::new(),
        };
        let costs = std::sync::Arc::new(costs(p));
        let separable = costs.separable();
        Ok(Engine {
            p,
            layout,
            steps: std::sync::Arc::new(steps),
            globals,
            costs,
            base,
            k,
            judge_distributions,
            limit,
            scratch,
            buffers: table::Buffers::default(),
            separable,
        })
    }

    /// The level-0 class table.
    pub fn base(&self) -> &ClassTable<K> {
        &self.base
    }

    /// Roll a class table up to `levels`.
    pub fn rollup(&mut self, src: &ClassTable<K>, levels: &[u8]) -> ClassTable<K> {
        table::rollup(src, levels, &self.steps, &self.layout, &mut self.buffers)
    }

    /// Evaluate a node from its class table: suppress violating classes, check the limit and
    /// table-level models, compute the quality model.
    ///
    /// The per-attribute cost sums run over the fewer of the kept and the suppressed classes:
    /// the kept classes' sum is the whole input's (the separable table) less the suppressed
    /// classes'. They are added in the table's order (which, without a sensitive column, is the
    /// order its roll-up left), so the same classes in another order may give a quality that
    /// differs in its last bits; with nothing suppressed the quality is the separable table's.
    pub fn evaluate(&mut self, t: &ClassTable<K>) -> NodeEval {
        let p = self.p;
        let mut sums = self.costs.sums();
        let (mut classes, mut suppressed, mut min_class) = (0u64, 0u64, u64::MAX);
        // Each class's key and records, kept or suppressed.
        let [mut kept, mut dropped] = std::mem::take(&mut self.scratch.classes);
        kept.clear();
        dropped.clear();
        let mut i = 0;
        let e = &t.entries;
        while i < e.len() {
            let qkey = e[i].0 >> self.layout.sens_bits;
            let mut j = i + 1;
            let mut size = e[i].1;
            while j < e.len() && (e[j].0 >> self.layout.sens_bits) == qkey {
                size += e[j].1;
                j += 1;
            }
            if size >= self.k && self.class_ok(i..j, size, &t.entries) {
                classes += 1;
                min_class = min_class.min(u64::from(size));
                sums.squares += f64::from(size) * f64::from(size);
                kept.push((e[i].0, f64::from(size)));
            } else {
                suppressed += u64::from(size);
                dropped.push((e[i].0, f64::from(size)));
            }
            i = j;
        }
        let from_kept = kept.len() <= dropped.len();
        let list = if from_kept { &kept } else { &dropped };
        for (a, cell) in sums.cells.iter_mut().enumerate() {
            let level = t.levels[a] as usize;
            let (costs, off, mask) = (&self.costs.cell[a][level], self.layout.qi_offset[a], self.layout.qi_mask[a]);
            let cost = |(key, size): &(K, f64)| size * costs[((*key >> off) & mask).low() as usize];
            // Four partial sums, so that the additions do not wait on one another.
            let mut part = [0.0f64; 4];
            let quads = list.chunks_exact(4);
            let rest: f64 = quads.remainder().iter().map(cost).sum();
            for q in quads {
                for (s, c) in part.iter_mut().zip(q) {
                    *s += cost(c);
                }
            }
            let sum = (part[0] + part[1]) + (part[2] + part[3]) + rest;
            *cell = if from_kept { sum } else { self.separable[a][level] - sum };
        }
        self.scratch.classes = [kept, dropped];
        self.costs.add_suppressed(&mut sums, suppressed);
        let kept = p.n as u64 - sums.suppressed;
        let table = Table { classes, records: kept };
        let admissible = sums.suppressed <= self.limit && p.models.iter().all(|m| m.table_satisfied(&table));
        NodeEval {
            levels: t.levels.clone(),
            suppressed: sums.suppressed,
            classes,
            quality: self.costs.value(&sums),
            admissible,
            min_class: if classes == 0 { 0 } else { min_class },
        }
    }

    /// Whether the class made of `entries[range]` (one quasi-identifier tuple, `size` records)
    /// satisfies every per-class model.
    fn class_ok(&mut self, range: std::ops::Range<usize>, size: u32, entries: &[(K, u32)]) -> bool {
        let s = &mut self.scratch;
        if !self.judge_distributions {
            let class = Class { size, dists: &[], globals: &self.globals };
            return models::violated(&self.p.models, &class, &mut s.emd).is_none();
        }
        for c in 0..self.p.sensitive.len() {
            s.pairs[c].clear();
            for (key, count) in &entries[range.clone()] {
                let code = self.layout.sens(*key, c);
                if s.counts[c][code as usize] == 0 {
                    s.touched[c].push(code);
                }
                s.counts[c][code as usize] += count;
            }
            for code in s.touched[c].drain(..) {
                s.pairs[c].push((code, s.counts[c][code as usize]));
                s.counts[c][code as usize] = 0;
            }
        }
        let dists: Vec<ClassDistribution> = s.pairs.iter().map(|p| ClassDistribution { counts: p, size }).collect();
        let class = Class { size, dists: &dists, globals: &self.globals };
        models::violated(&self.p.models, &class, &mut s.emd).is_none()
    }
}

/// The key width a problem needs: `u64` when its codes fit, else `u128`.
fn wide(p: &Problem) -> Result<bool, AnonError> {
    let qi: Vec<usize> = p.qi.iter().map(|q| q.hierarchy.domain()).collect();
    let sens: Vec<usize> = p.sensitive.iter().map(|s| s.cardinality).collect();
    match table::bits_needed(&qi, &sens) {
        b if b <= 64 => Ok(false),
        b if b <= 128 => Ok(true),
        b => Err(AnonError::TooWide { bits: b, max: 128 }),
    }
}

/// Find the admissible transformation with the least quality-model value.
pub fn search(p: &Problem, opts: &SearchOptions) -> Result<SearchResult, AnonError> {
    if wide(p)? { search_with::<u128>(p, opts) } else { search_with::<u64>(p, opts) }
}

fn search_with<K: Key>(p: &Problem, opts: &SearchOptions) -> Result<SearchResult, AnonError> {
    let started = Instant::now();
    let mut eng = Engine::<K>::prepare(p)?;
    let min: Vec<u8> = p.qi.iter().map(|q| q.min_level).collect();
    let max: Vec<u8> = p.qi.iter().map(|q| q.max_level).collect();
    let nq = p.qi.len();
    let separable = eng.separable.clone();
    let costs = eng.costs.clone();
    let additive = costs.additive_bound(&separable);
    // The bound at a node, from the tabulated terms when the measure's bound is additive (equal
    // to the bit, see `Costs::additive_bound`).
    let lower = |levels: &[u8]| match &additive {
        Some(add) => add.at(levels),
        None => costs.lower_bound(&separable, levels),
    };
    let Some(full) = Lattice::new(min.clone(), max.clone(), opts.max_nodes) else {
        eng.base = eng.group(&min);
        return heuristic(&mut eng, &min, &max, &lower, opts, started);
    };
    let singles: Vec<Vec<bool>> = (0..nq)
        .map(|a| {
            let freq = &costs.context.attributes[a].freq;
            let over =
                |l: u8| freq[l as usize].iter().filter(|f| **f > 0 && **f < eng.k as u64).sum::<u64>() > eng.limit;
            (min[a]..=max[a]).map(over).collect()
        })
        .collect();
    // Every node not ruled out by one attribute alone is at or above this corner: the search
    // runs on the lattice above it (the nodes below count as pruned), and the cache and the
    // pair bounds start from the class table there, grouped from the rows.
    let corner: Vec<u8> =
        (0..nq).map(|a| min[a] + singles[a].iter().position(|over| !over).unwrap_or(0) as u8).collect();
    let lattice = Lattice::new(corner.clone(), max.clone(), usize::MAX).expect("no larger than the full lattice");
    let size = lattice.size();
    let mut levels = vec![0u8; nq];
    let mut sums = crate::quality::Sums::default();
    let (all_levels, bounds) = match &additive {
        Some(add) => additive_bounds(&lattice, add),
        None => {
            let all_levels = lattice.all_levels();
            let bounds = (0..size)
                .map(|i| costs.lower_bound_in(&separable, &all_levels[i * nq..(i + 1) * nq], &mut sums))
                .collect();
            (all_levels, bounds)
        }
    };
    let node = |i: usize| &all_levels[i * nq..(i + 1) * nq];
    let order = by_bound(&bounds);
    let monotone = p.models.iter().all(Model::monotone);
    let mut inadmissible = vec![false; size];
    let base_min = eng.group(&corner);
    let mut pairs = {
        let (entries, layout) = (&base_min.entries, &eng.layout);
        let codes = (0..nq)
            .map(|a| {
                let (off, mask) = (layout.qi_offset[a], layout.qi_mask[a]);
                entries.iter().map(|(key, _)| ((*key >> off) & mask).low()).collect()
            })
            .collect();
        let counts = entries.iter().map(|(_, c)| *c).collect();
        PairBounds::new(eng.steps.clone(), codes, counts, corner.clone(), singles, &min, &max, eng.k, eng.limit)
    };
    let mut cache = Cache::new(base_min);
    let mut best: Option<NodeEval> = None;
    let (mut evaluated, mut pruned) = (0usize, full.size() - size);
    let mut optimal = true;
    for (step, i) in order.iter().map(|o| *o as usize).enumerate() {
        let lb = bounds[i];
        if best.as_ref().is_some_and(|b| lb >= b.quality) {
            break;
        }
        if step % 64 == 0 && started.elapsed() > opts.time_budget && best.is_some() {
            optimal = false;
            break;
        }
        if inadmissible[i] {
            pruned += 1;
            continue;
        }
        levels.copy_from_slice(node(i));
        // No need to mark the nodes below: the pair bounds only grow down the lattice.
        if pairs.rule_out(&levels) {
            pruned += 1;
            continue;
        }
        if monotone {
            // Find the highest inadmissible node on a greedy path up from this one: if there
            // is one, its whole down-closure (this node included) is inadmissible.
            let highest = probe_path(
                &mut eng,
                &lattice,
                &levels,
                &max,
                &lower,
                &mut pairs,
                &mut cache,
                &mut inadmissible,
                &mut evaluated,
            );
            if let Some(y) = highest {
                lattice.mark_down(y, &mut inadmissible);
                if inadmissible[i] {
                    pruned += 1;
                    continue;
                }
            }
        }
        let ev = evaluate_cached(&mut eng, &levels, &mut cache, &mut evaluated);
        if !ev.admissible {
            if monotone {
                lattice.mark_down(i, &mut inadmissible);
            }
            continue;
        }
        if best.as_ref().is_none_or(|b| ev.quality < b.quality) {
            best = Some(ev);
        }
    }
    let lower_bound = if optimal {
        best.as_ref().map_or(f64::INFINITY, |b| b.quality)
    } else {
        order.first().map_or(0.0, |o| bounds[*o as usize])
    };
    let (candidates, candidates_left_off) = candidates(cache.evaluated.into_values());
    Ok(SearchResult {
        best,
        optimal,
        lower_bound,
        nodes: full.size(),
        evaluated,
        pruned,
        ms: started.elapsed().as_secs_f64() * 1000.0,
        candidates,
        candidates_left_off,
    })
}

/// Every node's levels (as [`Lattice::all_levels`]) and its additive bound, enumerated in index
/// order: the sums of the terms of the attributes before each one are kept, so a node costs the
/// attributes that changed from the node before it (the last, mostly), each sum added in
/// attribute order from 0 as [`AdditiveBound::at`] adds them (the same bits).
fn additive_bounds(lattice: &Lattice, add: &AdditiveBound) -> (Vec<u8>, Vec<f64>) {
    let n = lattice.min.len();
    let mut levels = Vec::with_capacity(lattice.size() * n);
    let mut bounds = Vec::with_capacity(lattice.size());
    // `prefix[a]`: the sum of the terms of attributes 0..a at the node at hand.
    let mut prefix = vec![0.0f64; n + 1];
    lattice.each_node(|node, from| {
        for a in from..n {
            prefix[a + 1] = prefix[a] + add.terms[a][node[a] as usize];
        }
        // From an iterator: a copy the compiler keeps inline (a slice of a few bytes is a call).
        levels.extend(node.iter().copied());
        bounds.push((add.finish)(prefix[n]));
    });
    (levels, bounds)
}

/// Node indexes in increasing order of their bounds (the order of `f64::total_cmp`), ties by
/// index: each bound's bits as an unsigned integer above its index, distributed by their top
/// bits into at most [`ORDER_BUCKETS`] runs of the keys' range, each run then sorted on its own
/// (a run holds a few nodes: a sort of small slices, in cache, instead of one of them all).
fn by_bound(bounds: &[f64]) -> Vec<u32> {
    let keys: Vec<u128> = bounds
        .iter()
        .zip(0u32..)
        .map(|(b, i)| {
            // f64::total_cmp's order as unsigned integers.
            let bits = b.to_bits() as i64;
            let key = (bits ^ (((bits >> 63) as u64) >> 1) as i64) as u64 ^ (1 << 63);
            (u128::from(key) << 64) | u128::from(i)
        })
        .collect();
    let top = |k: &u128| (k >> 64) as u64;
    let (lo, hi) = keys.iter().fold((u64::MAX, 0), |(lo, hi), k| (lo.min(top(k)), hi.max(top(k))));
    let span = hi.saturating_sub(lo);
    let shift = (u64::BITS - span.leading_zeros()).saturating_sub(ORDER_BUCKETS.trailing_zeros());
    let bucket = |k: &u128| ((top(k) - lo) >> shift) as usize;
    let runs = if keys.is_empty() { 0 } else { (span >> shift) as usize + 1 };
    // `start[r]`: where run r begins in the sorted keys.
    let mut start = vec![0usize; runs + 1];
    for k in &keys {
        start[bucket(k) + 1] += 1;
    }
    for r in 1..=runs {
        start[r] += start[r - 1];
    }
    let mut sorted = vec![0u128; keys.len()];
    let mut fill = start.clone();
    for k in &keys {
        let r = bucket(k);
        sorted[fill[r]] = *k;
        fill[r] += 1;
    }
    for r in 0..runs {
        sorted[start[r]..start[r + 1]].sort_unstable();
    }
    sorted.into_iter().map(|k| k as u32).collect()
}

/// Most runs [`by_bound`] distributes the nodes into (a power of two).
const ORDER_BUCKETS: u32 = 1024;

/// Largest number of class-table entries kept in the roll-up cache.
const CACHE_ENTRIES: usize = 32 << 20;

/// Most class tables kept in the roll-up cache (each evaluation looks through them all).
const MAX_TABLES: usize = 4096;

/// Class tables kept for roll-ups, and every node evaluated so far.
struct Cache<K> {
    /// Class tables, the search's minimum node first.
    tables: Vec<ClassTable<K>>,
    /// Evaluations by levels (a node met again on another path is not recomputed).
    evaluated: FxHashMap<Vec<u8>, NodeEval>,
    /// The meet (lowest level per attribute) of the nodes rolled up from the first table.
    hub: Option<Vec<u8>>,
    /// The last hub table rolled up (its index in `tables`) and the nodes rolled up from it.
    last_hub: Option<(usize, u32)>,
    /// Nodes rolled up from the first table since the last hub table was made.
    direct: u32,
}

impl<K> Cache<K> {
    /// A cache holding the search's first class table (the corner's).
    fn new(first: ClassTable<K>) -> Self {
        Cache { tables: vec![first], evaluated: FxHashMap::default(), hub: None, last_hub: None, direct: 0 }
    }

    /// Whether a node that only the first table is below is worth a hub table at the meet of
    /// the nodes rolled from there: a hub costs a few roll-ups of the first table (its classes
    /// are many), so one is made again only when the last one served other nodes than the one
    /// it was made for, or [`DIRECT`] nodes have been rolled from the first table since.
    fn hub_pays(&self) -> bool {
        self.last_hub.is_none_or(|(_, uses)| uses > 1) || self.direct >= DIRECT
    }
}

/// Nodes rolled up from the first table after a hub table that served one node, before another
/// hub is made.
const DIRECT: u32 = 3;

/// Evaluate a node, rolling it up from the smallest cached finer node, and cache its table;
/// `evaluated` counts the nodes computed (not those found in the cache).
fn evaluate_cached<K: Key>(
    eng: &mut Engine<K>,
    levels: &[u8],
    cache: &mut Cache<K>,
    evaluated: &mut usize,
) -> NodeEval {
    if let Some(ev) = cache.evaluated.get(levels) {
        return ev.clone();
    }
    *evaluated += 1;
    let below = |t: &ClassTable<K>, levels: &[u8]| t.levels.iter().zip(levels).all(|(s, d)| s <= d);
    let smallest = |tables: &[ClassTable<K>], levels: &[u8]| {
        (0..tables.len())
            .filter(|i| below(&tables[*i], levels))
            .min_by_key(|i| tables[*i].entries.len())
            .expect("the cache's first table is below every node that is not ruled out")
    };
    let mut src = smallest(&cache.tables, levels);
    if src == 0 {
        // Nodes rolled up from the first (largest) table: roll it once to the meet of them all,
        // and later nodes above that meet start from its smaller table.
        let hub: Vec<u8> = match &cache.hub {
            Some(h) => h.iter().zip(levels).map(|(a, b)| *a.min(b)).collect(),
            None => levels.to_vec(),
        };
        if hub != levels && hub != cache.tables[0].levels && cache.tables.len() < MAX_TABLES && cache.hub_pays() {
            let t = table::rollup(&cache.tables[0], &hub, &eng.steps, &eng.layout, &mut eng.buffers);
            cache.tables.push(t);
            src = cache.tables.len() - 1;
            (cache.last_hub, cache.direct) = (Some((src, 0)), 0);
        } else {
            cache.direct += 1;
        }
        cache.hub = Some(hub);
    }
    if let Some((hub, uses)) = &mut cache.last_hub
        && *hub == src
    {
        *uses += 1;
    }
    let t = table::rollup(&cache.tables[src], levels, &eng.steps, &eng.layout, &mut eng.buffers);
    let ev = eng.evaluate(&t);
    cache.evaluated.insert(levels.to_vec(), ev.clone());
    let held: usize = cache.tables.iter().map(|t| t.entries.len()).sum();
    if held + t.entries.len() <= CACHE_ENTRIES
        && t.entries.len() < cache.tables[0].entries.len()
        && cache.tables.len() < MAX_TABLES
    {
        cache.tables.push(t);
    }
    ev
}

/// From `start`, climb one level at a time (always the attribute whose bound grows least)
/// to the top, and binary-search that path for its highest inadmissible node (admissibility
/// is monotone along it). Returns that node's index, or `None` if `start` is admissible.
#[allow(clippy::too_many_arguments)]
fn probe_path<K: Key>(
    eng: &mut Engine<K>,
    lattice: &Lattice,
    start: &[u8],
    max: &[u8],
    lower: &dyn Fn(&[u8]) -> f64,
    pairs: &mut PairBounds,
    cache: &mut Cache<K>,
    inadmissible: &mut [bool],
    evaluated: &mut usize,
) -> Option<usize> {
    let mut path = vec![start.to_vec()];
    let mut cur = start.to_vec();
    loop {
        let mut step: Option<(f64, usize)> = None;
        for a in 0..cur.len() {
            if cur[a] < max[a] {
                cur[a] += 1;
                let lb = lower(&cur);
                cur[a] -= 1;
                if step.is_none_or(|s| lb < s.0) {
                    step = Some((lb, a));
                }
            }
        }
        let Some((_, a)) = step else { break };
        cur[a] += 1;
        path.push(cur.clone());
    }
    // Invariant: path[..lo] inadmissible or unknown-below-known; find the first admissible.
    let (mut lo, mut hi) = (0usize, path.len()); // first admissible index lies in [lo, hi]
    let mut highest_bad: Option<usize> = None;
    while lo < hi {
        let mid = (lo + hi) / 2;
        let idx = lattice.index(&path[mid]);
        let bad = if inadmissible[idx] || pairs.rule_out(&path[mid]) {
            true
        } else if mid == 0 {
            // Do not evaluate the (expensive) start node here; the caller does if needed.
            hi = 0;
            break;
        } else {
            let ev = evaluate_cached(eng, &path[mid], cache, evaluated);
            !ev.admissible
        };
        if bad {
            highest_bad = Some(mid);
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let _ = hi;
    highest_bad.map(|m| lattice.index(&path[m]))
}

/// Best effort on a lattice too large to enumerate: from the top node, repeatedly lower the
/// one attribute whose finer level stays admissible with the least quality value, within the
/// time budget. Reports the gap to the bound of the minimum node.
fn heuristic<K: Key>(
    eng: &mut Engine<K>,
    min: &[u8],
    max: &[u8],
    lower: &dyn Fn(&[u8]) -> f64,
    opts: &SearchOptions,
    started: Instant,
) -> Result<SearchResult, AnonError> {
    let base = eng.base.clone();
    let mut current = max.to_vec();
    let top = eng.rollup(&base, &current);
    let mut best = eng.evaluate(&top);
    let mut evaluated = 1;
    let mut seen: Vec<NodeEval> = vec![best.clone()];
    let result = |best: Option<NodeEval>, evaluated: usize, seen: Vec<NodeEval>| {
        let (candidates, _) = candidates(seen.into_iter());
        let candidates_left_off = evaluated.saturating_sub(candidates.len());
        SearchResult {
            best,
            optimal: false,
            lower_bound: lower(min),
            nodes: lattice_size(min, max),
            evaluated,
            pruned: 0,
            ms: started.elapsed().as_secs_f64() * 1000.0,
            candidates,
            candidates_left_off,
        }
    };
    if !best.admissible {
        return Ok(result(None, evaluated, seen));
    }
    loop {
        let mut step: Option<NodeEval> = None;
        for a in 0..current.len() {
            if current[a] == min[a] || started.elapsed() > opts.time_budget {
                continue;
            }
            let mut next = current.clone();
            next[a] -= 1;
            let t = eng.rollup(&base, &next);
            let ev = eng.evaluate(&t);
            evaluated += 1;
            if seen.len() <= MAX_CANDIDATES {
                seen.push(ev.clone());
            }
            if ev.admissible && step.as_ref().is_none_or(|s| ev.quality < s.quality) {
                step = Some(ev);
            }
        }
        match step {
            Some(s) if s.quality < best.quality => {
                current = s.levels.clone();
                best = s;
            }
            _ => break,
        }
    }
    Ok(result(Some(best), evaluated, seen))
}

/// Number of nodes between `min` and `max` (saturating).
fn lattice_size(min: &[u8], max: &[u8]) -> usize {
    min.iter().zip(max).fold(1usize, |acc, (lo, hi)| acc.saturating_mul((*hi - *lo) as usize + 1))
}

/// Evaluate every node from the base table (the brute-force reference for tests).
pub fn evaluate_all(p: &Problem) -> Result<Vec<NodeEval>, AnonError> {
    if wide(p)? { evaluate_all_with::<u128>(p) } else { evaluate_all_with::<u64>(p) }
}

fn evaluate_all_with<K: Key>(p: &Problem) -> Result<Vec<NodeEval>, AnonError> {
    let mut eng = Engine::<K>::new(p)?;
    let min: Vec<u8> = p.qi.iter().map(|q| q.min_level).collect();
    let max: Vec<u8> = p.qi.iter().map(|q| q.max_level).collect();
    let lattice = Lattice::new(min, max, usize::MAX).ok_or_else(|| AnonError::Problem("lattice too large".into()))?;
    let base = eng.base.clone();
    let mut levels = vec![0u8; p.qi.len()];
    Ok((0..lattice.size())
        .map(|i| {
            lattice.levels(i, &mut levels);
            let t = eng.rollup(&base, &levels);
            eng.evaluate(&t)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The odometer's levels are the lattice's, and each bound has the bits of summing the
    /// node's terms from the first attribute (`AdditiveBound::at`), on lattices of one to six
    /// attributes with terms of very different sizes (where the order of additions shows).
    #[test]
    fn additive_bounds_equal_summing_each_node() {
        let mut seed = 5u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            seed >> 11
        };
        for n in 1..=6 {
            let min: Vec<u8> = (0..n).map(|_| (next() % 2) as u8).collect();
            let max: Vec<u8> = min.iter().map(|m| m + (next() % 4) as u8).collect();
            let terms: Vec<Vec<f64>> = max
                .iter()
                .map(|m| (0..=*m).map(|_| (next() % 1000) as f64 * 10f64.powi((next() % 30) as i32 - 15)).collect())
                .collect();
            let add = AdditiveBound { terms, finish: |x| x.exp() - 1.0 };
            let lattice = Lattice::new(min.clone(), max.clone(), usize::MAX).unwrap();
            let (levels, bounds) = additive_bounds(&lattice, &add);
            assert_eq!(levels, lattice.all_levels());
            assert_eq!(bounds.len(), lattice.size());
            for (i, b) in bounds.iter().enumerate() {
                assert_eq!(b.to_bits(), add.at(&levels[i * n..(i + 1) * n]).to_bits(), "node {i} of {n} attributes");
            }
        }
    }

    #[test]
    fn nodes_are_ordered_like_total_cmp_then_index() {
        let mut seed = 3u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            seed >> 11
        };
        // Ties, both zeros, negative values, infinities and values a few bits apart.
        let mut bounds = vec![0.0, -0.0, 1.0, 1.0, f64::INFINITY, -2.5, 0.5, f64::NEG_INFINITY, 1e-300, 0.5];
        bounds
            .extend((0..2000).map(|i| if i % 3 == 0 { (next() % 7) as f64 / 4.0 } else { next() as f64 / 1e9 - 3e9 }));
        let mut expected: Vec<(f64, usize)> = bounds.iter().copied().zip(0..).collect();
        expected.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        let order = by_bound(&bounds);
        assert_eq!(
            order.iter().map(|i| *i as usize).collect::<Vec<_>>(),
            expected.iter().map(|e| e.1).collect::<Vec<_>>()
        );
    }

    /// A node's quality from the fewer of its kept and suppressed classes equals summing every
    /// kept class's costs (the direct way), on random problems with and without a sensitive
    /// column, for nodes that keep most classes and nodes that suppress most.
    #[test]
    fn evaluation_equals_summing_the_kept_classes() {
        let mut seed = 21u64;
        let mut next = |m: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let hierarchy = |d: u32| {
            let rows: Vec<Vec<String>> =
                (0..d).map(|v| vec![v.to_string(), (v / 3).to_string(), "*".to_string()]).collect();
            Hierarchy::from_rows("h", &rows).unwrap()
        };
        for round in 0..24 {
            let hs: Vec<Hierarchy> = (0..3).map(|_| hierarchy(2 + next(12) as u32)).collect();
            let n = 40 + next(400) as usize;
            let codes: Vec<Vec<u32>> =
                hs.iter().map(|h| (0..n).map(|_| next(h.domain() as u64) as u32).collect()).collect();
            let sens: Vec<u32> = (0..n).map(|_| next(3) as u32).collect();
            let k = 1 + next(6) as u32;
            let mut models = vec![Model::k_anonymity(k)];
            if round % 3 == 1 {
                models.push(Model::class(crate::models::DistinctL { column: 0, l: 2 }));
            }
            let p = Problem {
                qi: (0..3)
                    .map(|a| QiColumn {
                        name: format!("q{a}"),
                        codes: &codes[a],
                        hierarchy: &hs[a],
                        min_level: 0,
                        max_level: 2,
                        weight: 1.0 + a as f64,
                    })
                    .collect(),
                sensitive: if round % 3 == 0 {
                    vec![]
                } else {
                    vec![SensitiveColumn { name: "s".into(), codes: &sens, cardinality: 3, rank: None, tree: None }]
                },
                n,
                counts: None,
                models,
                max_suppression: 0.1,
                quality: [Quality::LOSS, Quality::PRECISION, Quality::DISCERNIBILITY, Quality::NON_UNIFORM_ENTROPY]
                    [round % 4],
            };
            let mut eng = Engine::<u64>::new(&p).unwrap();
            let base = eng.base().clone();
            for _ in 0..6 {
                let levels: Vec<u8> = (0..3).map(|_| next(3) as u8).collect();
                let t = eng.rollup(&base, &levels);
                let ev = eng.evaluate(&t);
                // The direct way: every kept class's costs added, then the suppressed records.
                let mut sums = eng.costs.sums();
                let (mut i, mut suppressed) = (0, 0u64);
                while i < t.entries.len() {
                    let q = t.entries[i].0 >> eng.layout.sens_bits;
                    let j = i + t.entries[i..].iter().take_while(|e| e.0 >> eng.layout.sens_bits == q).count();
                    let size: u32 = t.entries[i..j].iter().map(|e| e.1).sum();
                    if eng.class_ok(i..j, size, &t.entries) {
                        let cells = (0..3).map(|a| (levels[a] as usize, eng.layout.qi(t.entries[i].0, a) as usize));
                        eng.costs.add_class(&mut sums, f64::from(size), cells);
                    } else {
                        suppressed += u64::from(size);
                    }
                    i = j;
                }
                eng.costs.add_suppressed(&mut sums, suppressed);
                assert_eq!(ev.suppressed, suppressed, "round {round} {levels:?}");
                let direct = eng.costs.value(&sums);
                assert!(
                    (ev.quality - direct).abs() <= 1e-9 * direct.abs().max(1.0),
                    "round {round} {levels:?}: {} vs {direct}",
                    ev.quality
                );
            }
        }
    }
}
