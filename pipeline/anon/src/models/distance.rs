//! The distribution of a sensitive column in a class and in the whole table, and the distances
//! between them that t-closeness and related models use.

/// Distribution of one sensitive column within a class: `(code, count)` pairs.
pub struct ClassDistribution<'a> {
    /// Pairs with count > 0.
    pub counts: &'a [(u32, u32)],
    /// Class size.
    pub size: u32,
}

/// The table-wide distribution of a sensitive column, for t-closeness, with what the distances
/// need precomputed so that a class's distance costs time in its own distinct values, not the
/// column's.
#[derive(Debug, Clone)]
pub struct Global {
    /// Share of each code.
    pub share: Vec<f64>,
    /// Rank of each code in the column's order, if ordered.
    pub rank: Option<Vec<u32>>,
    /// The value hierarchy, for the hierarchical distance.
    pub tree: Option<Tree>,
    /// Ordered: `cum[i]`, the share of codes ranked `<= i`.
    cum: Vec<f64>,
    /// Ordered: `cum_prefix[i]`, the sum of `cum[..i]`.
    cum_prefix: Vec<f64>,
    /// Hierarchical: `subtree[j][node]`, the share of the leaves under a node at height `j + 1`.
    subtree: Vec<Vec<f64>>,
}

impl Global {
    /// The distribution of `codes` (each below `cardinality`) over the table, with the column's
    /// order or value tree.
    pub fn from_codes(codes: &[u32], cardinality: usize, rank: Option<Vec<u32>>, tree: Option<Tree>) -> Global {
        Global::from_counted_codes(codes, None, cardinality, rank, tree)
    }

    /// As [`Global::from_codes`], each row standing for `counts[i]` records when given.
    pub fn from_counted_codes(
        codes: &[u32],
        counts: Option<&[u32]>,
        cardinality: usize,
        rank: Option<Vec<u32>>,
        tree: Option<Tree>,
    ) -> Global {
        let mut share = vec![0.0; cardinality.max(1)];
        let mut n = 0.0;
        for (i, c) in codes.iter().enumerate() {
            let w = counts.map_or(1.0, |k| k[i] as f64);
            share[*c as usize] += w;
            n += w;
        }
        let n = if n > 0.0 { n } else { 1.0 };
        share.iter_mut().for_each(|x| *x /= n);
        Global::new(share, rank, tree)
    }

    /// The reference distribution `share` (by code), with the column's order or value tree.
    pub fn new(share: Vec<f64>, rank: Option<Vec<u32>>, tree: Option<Tree>) -> Global {
        let (mut cum, mut cum_prefix) = (Vec::new(), Vec::new());
        if let Some(rank) = &rank {
            let mut by_rank = vec![0.0; share.len()];
            for (code, q) in share.iter().enumerate() {
                by_rank[rank[code] as usize] += q;
            }
            let mut c = 0.0;
            cum = by_rank
                .iter()
                .map(|q| {
                    c += q;
                    c
                })
                .collect();
            cum_prefix.push(0.0);
            let mut sum = 0.0;
            for g in &cum {
                sum += g;
                cum_prefix.push(sum);
            }
        }
        let subtree = match &tree {
            None => Vec::new(),
            Some(t) => {
                let mut st: Vec<Vec<f64>> = t.nodes.iter().map(|k| vec![0.0; *k]).collect();
                for (code, q) in share.iter().enumerate() {
                    for (j, node) in t.ancestors[code].iter().enumerate() {
                        st[j][*node as usize] += q;
                    }
                }
                st
            }
        };
        Global { share, rank, tree, cum, cum_prefix, subtree }
    }
}

/// A value hierarchy over the codes of a sensitive column: `ancestors[code][j]` is the
/// code's ancestor node at height `j + 1` (the last is the root), node ids per height.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    /// Ancestors of each leaf, from its parent up to the root.
    pub ancestors: Vec<Vec<u32>>,
    /// Number of nodes at each height above the leaves.
    pub nodes: Vec<usize>,
}

impl Tree {
    /// Build from each code's labels at the levels above it (`labels[code][j]`, the last
    /// level being the root); equal labels at one level are one node.
    pub fn from_labels(labels: &[Vec<String>]) -> Tree {
        let height = labels.first().map_or(0, Vec::len);
        let mut ids: Vec<rustc_hash::FxHashMap<&str, u32>> = vec![Default::default(); height];
        let ancestors = labels
            .iter()
            .map(|chain| {
                chain
                    .iter()
                    .enumerate()
                    .map(|(j, l)| {
                        let next = ids[j].len() as u32;
                        *ids[j].entry(l.as_str()).or_insert(next)
                    })
                    .collect()
            })
            .collect();
        Tree { ancestors, nodes: ids.iter().map(|m| m.len()).collect() }
    }
}

/// Distance of a class distribution from the global one: hierarchical EMD if the column has a
/// value hierarchy, ordered EMD if it has an order, else equal (variational) distance.
pub fn distance(d: &ClassDistribution, g: &Global, scratch: &mut Vec<f64>) -> f64 {
    let n = d.size as f64;
    if let Some(tree) = &g.tree {
        return hierarchical(d, g, tree);
    }
    match &g.rank {
        None => {
            let mut inside = 0.0;
            let mut covered = 0.0;
            for (code, c) in d.counts {
                let q = g.share[*code as usize];
                inside += (*c as f64 / n - q).abs();
                covered += q;
            }
            0.5 * (inside + (1.0 - covered).max(0.0))
        }
        Some(rank) => ordered(d, g, rank, scratch),
    }
}

/// Ordered EMD: `sum over ranks i < m - 1 of |P(<= i) - Q(<= i)| / (m - 1)`. The class's
/// cumulative share is constant between its own values, and the reference's is non-decreasing,
/// so each such stretch is summed from prefix sums after one binary search: time in the class's
/// distinct values (times log m), not in the column's.
fn ordered(d: &ClassDistribution, g: &Global, rank: &[u32], scratch: &mut Vec<f64>) -> f64 {
    let m = g.share.len();
    if m <= 1 {
        return 0.0;
    }
    let n = d.size as f64;
    // (rank, share) of the class's values, by rank; packed into the f64 scratch as pairs.
    let mut pts: Vec<(u32, f64)> = d.counts.iter().map(|(code, c)| (rank[*code as usize], *c as f64 / n)).collect();
    pts.sort_unstable_by_key(|p| p.0);
    scratch.clear();
    let last = m - 1; // ranks 0..last are summed
    let stretch = |a: usize, b: usize, c: f64| -> f64 {
        if a >= b {
            return 0.0;
        }
        // First rank in [a, b) whose reference cumulative reaches c.
        let t = a + g.cum[a..b].partition_point(|x| *x < c);
        let below = c * (t - a) as f64 - (g.cum_prefix[t] - g.cum_prefix[a]);
        let above = (g.cum_prefix[b] - g.cum_prefix[t]) - c * (b - t) as f64;
        below + above
    };
    let mut total = 0.0;
    let mut at = 0usize;
    let mut c = 0.0;
    for (r, p) in pts {
        let r = (r as usize).min(last);
        total += stretch(at, r, c);
        at = at.max(r);
        c += p;
    }
    total += stretch(at, last, c);
    total / last as f64
}

/// Hierarchical EMD (Li et al.): at each node, the mass that must move between its children,
/// `min(extra above, extra below)`, weighted by the node's height. A node no value of the class
/// falls under only lacks mass, so costs nothing: only the nodes above the class's values are
/// visited, with the reference's subtree shares precomputed.
fn hierarchical(d: &ClassDistribution, g: &Global, tree: &Tree) -> f64 {
    let h = tree.nodes.len();
    if h == 0 {
        return 0.0;
    }
    let n = d.size as f64;
    // Items of the current height: (a leaf below, class share, reference share, node id).
    let mut items: Vec<(u32, f64, f64, u32)> =
        d.counts.iter().map(|(code, c)| (*code, *c as f64 / n, g.share[*code as usize], *code)).collect();
    let mut cost = 0.0;
    for j in 0..h {
        for it in items.iter_mut() {
            it.3 = tree.ancestors[it.0 as usize][j];
        }
        items.sort_unstable_by_key(|it| it.3);
        let mut next = Vec::with_capacity(items.len());
        let mut i = 0;
        while i < items.len() {
            let node = items[i].3;
            let (mut mass, mut covered, mut pos, mut neg) = (0.0, 0.0, 0.0, 0.0);
            let mut k = i;
            while k < items.len() && items[k].3 == node {
                let extra = items[k].1 - items[k].2;
                if extra > 0.0 {
                    pos += extra;
                } else {
                    neg -= extra;
                }
                mass += items[k].1;
                covered += items[k].2;
                k += 1;
            }
            let q = g.subtree[j][node as usize];
            // Children without class mass lack their whole reference share.
            neg += (q - covered).max(0.0);
            cost += (j + 1) as f64 / h as f64 * pos.min(neg);
            next.push((items[i].0, mass, q, node));
            i = k;
        }
        items = next;
    }
    cost
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The straightforward distances, over every value of the column: the reference the
    /// near-linear ones are checked against.
    fn reference(d: &ClassDistribution, g: &Global) -> f64 {
        let mut scratch = Vec::new();
        if let Some(tree) = &g.tree {
            return hierarchical_reference(d, g, tree, &mut scratch);
        }
        let Some(rank) = &g.rank else { return distance(d, g, &mut scratch) };
        let m = g.share.len();
        if m <= 1 {
            return 0.0;
        }
        let n = d.size as f64;
        let mut by_rank = vec![0.0; m];
        for (code, q) in g.share.iter().enumerate() {
            by_rank[rank[code] as usize] -= q;
        }
        for (code, c) in d.counts {
            by_rank[rank[*code as usize] as usize] += *c as f64 / n;
        }
        let (mut cum, mut total) = (0.0, 0.0);
        for x in by_rank.iter().take(m - 1) {
            cum += x;
            total += f64::abs(cum);
        }
        total / (m - 1) as f64
    }

    #[allow(dead_code)]
    /// Hierarchical EMD (Li et al. 2007): for each inner node at height h of a tree of height H,
    /// (h / H) * min(positive, negative) extra mass of its children, summed.
    fn hierarchical_reference(d: &ClassDistribution, g: &Global, tree: &Tree, scratch: &mut Vec<f64>) -> f64 {
        let h = tree.nodes.len();
        if h == 0 {
            return 0.0;
        }
        let n = d.size as f64;
        let leaves = g.share.len();
        // scratch layout: leaf extras, then per height: extra, positive, negative per node.
        let total: usize = leaves + tree.nodes.iter().map(|k| 3 * k).sum::<usize>();
        scratch.clear();
        scratch.resize(total, 0.0);
        for (code, q) in g.share.iter().enumerate() {
            scratch[code] = -q;
        }
        for (code, c) in d.counts {
            scratch[*code as usize] += *c as f64 / n;
        }
        let mut offsets = Vec::with_capacity(h);
        let mut off = leaves;
        for k in &tree.nodes {
            offsets.push(off);
            off += 3 * k;
        }
        // Height 1 from the leaves.
        for code in 0..leaves {
            let e = scratch[code];
            let node = tree.ancestors[code][0] as usize;
            let base = offsets[0] + 3 * node;
            scratch[base] += e;
            if e > 0.0 {
                scratch[base + 1] += e;
            } else {
                scratch[base + 2] -= e;
            }
        }
        // Each higher node sums its children (the nodes one height below), found through any leaf.
        for j in 1..h {
            let mut seen = vec![false; tree.nodes[j - 1]];
            for code in 0..leaves {
                let child = tree.ancestors[code][j - 1] as usize;
                if std::mem::replace(&mut seen[child], true) {
                    continue;
                }
                let e = scratch[offsets[j - 1] + 3 * child];
                let base = offsets[j] + 3 * tree.ancestors[code][j] as usize;
                scratch[base] += e;
                if e > 0.0 {
                    scratch[base + 1] += e;
                } else {
                    scratch[base + 2] -= e;
                }
            }
        }
        let mut cost = 0.0;
        for (j, (off, count)) in offsets.iter().zip(&tree.nodes).enumerate() {
            for node in 0..*count {
                let base = off + 3 * node;
                cost += (j + 1) as f64 / h as f64 * scratch[base + 1].min(scratch[base + 2]);
            }
        }
        cost
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// The near-linear ordered and hierarchical distances equal the straightforward ones.
        #[test]
        fn fast_distances_equal_the_reference(
            weights in proptest::collection::vec(1u32..20, 2..40),
            picks in proptest::collection::vec((0usize..40, 1u32..9), 1..12),
            perm_seed in 0u64..1000,
            fanout in 2usize..5,
        ) {
            let m = weights.len();
            let total: u32 = weights.iter().sum();
            let share: Vec<f64> = weights.iter().map(|w| *w as f64 / total as f64).collect();
            // A rank order that is not the code order.
            let mut rank: Vec<u32> = (0..m as u32).collect();
            rank.sort_by_key(|r| (*r as u64).wrapping_mul(perm_seed * 2 + 1) % 97);
            let mut counts: Vec<(u32, u32)> = Vec::new();
            for (code, c) in picks {
                let code = (code % m) as u32;
                match counts.iter_mut().find(|(k, _)| *k == code) {
                    Some(e) => e.1 += c,
                    None => counts.push((code, c)),
                }
            }
            let size = counts.iter().map(|c| c.1).sum();
            let d = ClassDistribution { counts: &counts, size };
            let mut s = Vec::new();
            let go = Global::new(share.clone(), Some(rank), None);
            proptest::prop_assert!((distance(&d, &go, &mut s) - reference(&d, &go)).abs() < 1e-9);
            let labels: Vec<Vec<String>> = (0..m)
                .map(|c| vec![format!("a{}", c / fanout), format!("b{}", c / (fanout * fanout)), "*".to_string()])
                .collect();
            let gt = Global::new(share, None, Some(Tree::from_labels(&labels)));
            proptest::prop_assert!((distance(&d, &gt, &mut s) - reference(&d, &gt)).abs() < 1e-9);
        }
    }

    #[test]
    fn hierarchical_distance_by_hand() {
        // Leaves a, b under x; c under y; root *. Class (0.6, 0.3, 0.1) vs global (0.5, 0.3, 0.2):
        // extras +0.1, 0, -0.1. Node x: pos 0.1, neg 0 -> 0; node y: 0; root: children x (+0.1),
        // y (-0.1) -> min 0.1 at height 2 of 2: cost 0.1.
        let labels: Vec<Vec<String>> =
            [["x", "*"], ["x", "*"], ["y", "*"]].iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect();
        let tree = Tree::from_labels(&labels);
        assert_eq!(tree.nodes, vec![2, 1]);
        let g = Global::new(vec![0.5, 0.3, 0.2], None, Some(tree));
        let counts = [(0u32, 6u32), (1, 3), (2, 1)];
        let d = ClassDistribution { counts: &counts, size: 10 };
        let mut s = Vec::new();
        assert!((distance(&d, &g, &mut s) - 0.1).abs() < 1e-12);
        // Moving mass between siblings a and b costs only height 1 of 2: (0.4, 0.4, 0.2) -> 0.05.
        let counts = [(0u32, 4u32), (1, 4), (2, 2)];
        let d = ClassDistribution { counts: &counts, size: 10 };
        assert!((distance(&d, &g, &mut s) - 0.05).abs() < 1e-12);
    }
}
