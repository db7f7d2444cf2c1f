//! Local recoding by Mondrian-style multidimensional partitioning (LeFevre et al. 2006),
//! as an alternative to full-domain generalisation.
//!
//! Rows are split recursively at the median of the attribute with the widest spread while both
//! halves keep at least k records (and l distinct values of each sensitive column with a
//! distinct-l model). Each final partition then shows, for every attribute, its values'
//! lowest common level in the hierarchy, so the result is measured with the same quality model
//! as the global search. Attribute values are ordered so that hierarchy siblings are adjacent.

use crate::models::{self, Class, ClassDistribution, Global};
use crate::search::Problem;
use serde::Serialize;
use std::cmp::Ordering;

/// Outcome of the partitioning.
#[derive(Debug, Clone, Serialize)]
pub struct MondrianResult {
    /// Partitions (equivalence classes).
    pub partitions: u64,
    /// Smallest partition.
    pub min_size: u64,
    /// Records suppressed: those in groups that differ at the highest allowed levels and are too
    /// small for k (or l) on their own.
    pub suppressed: u64,
    /// Quality-model value of the local recoding.
    pub quality: f64,
    /// Time in milliseconds.
    pub ms: f64,
    /// Per row and attribute, the level shown (rows in input order).
    #[serde(skip)]
    pub levels: Vec<Vec<u8>>,
}

fn cmp_labels(a: &str, b: &str) -> Ordering {
    let num = |s: &str| s.trim_end_matches('+').split(['-', '~']).next().and_then(|x| x.trim().parse::<f64>().ok());
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.cmp(b)),
        _ => a.cmp(b),
    }
}

/// Partition the problem's rows: a cut is made only when both halves satisfy every per-class
/// privacy model (table-level models are left to the caller, who enforces every model on the
/// result).
pub fn mondrian(p: &Problem) -> MondrianResult {
    if let Some(counts) = p.counts {
        // Mondrian cuts between records: an aggregated class table is expanded into them.
        return expanded(p, counts);
    }
    let started = std::time::Instant::now();
    let nq = p.qi.len();
    let k = models::min_class_size(&p.models) as usize;
    let globals: Vec<Global> = p
        .sensitive
        .iter()
        .map(|s| Global::from_codes(s.codes, s.cardinality, s.rank.clone(), s.tree.clone()))
        .collect();
    let ranks = label_ranks(p);
    // Whether a set of rows, as one class, satisfies every per-class model.
    let mut scratch = Vec::new();
    let need = models::need_distributions(&p.models);
    let mut admissible = |rows: &[usize]| {
        let dists: Vec<Vec<(u32, u32)>> = p
            .sensitive
            .iter()
            .filter(|_| need)
            .map(|s| {
                let mut counts: rustc_hash::FxHashMap<u32, u32> = Default::default();
                for r in rows {
                    *counts.entry(s.codes[*r]).or_insert(0) += 1;
                }
                counts.into_iter().collect()
            })
            .collect();
        let size = rows.len() as u32;
        let dists: Vec<ClassDistribution> = dists.iter().map(|c| ClassDistribution { counts: c, size }).collect();
        models::violated(&p.models, &Class { size, dists: &dists, globals: &globals }, &mut scratch).is_none()
    };
    let mut levels = vec![vec![0u8; nq]; p.n];
    let costs = crate::search::costs(p);
    let mut sums = costs.sums();
    let mut partitions = 0u64;
    let mut min_size = u64::MAX;
    // Rows that differ at an attribute's highest allowed level can never share a class: start
    // from the groups of equal highest-level codes; groups that cannot reach k (or l) are
    // suppressed and shown at their highest levels.
    let groups = highest_level_groups(p);
    let mut stack = Vec::new();
    for g in groups {
        if g.len() >= k && admissible(&g) {
            stack.push(g);
        } else {
            costs.add_suppressed(&mut sums, g.len() as u64);
            for r in g {
                for (a, q) in p.qi.iter().enumerate() {
                    levels[r][a] = q.max_level;
                }
            }
        }
    }
    while let Some(mut rows) = stack.pop() {
        let split = if rows.len() >= 2 * k { split(&mut rows, k, p, &ranks, &mut admissible) } else { None };
        match split {
            Some(c) => {
                let right = rows.split_off(c);
                stack.push(rows);
                stack.push(right);
            }
            None => {
                // A final partition: each attribute at the lowest level where its values agree.
                let size = rows.len() as f64;
                partitions += 1;
                min_size = min_size.min(rows.len() as u64);
                let mut cells = Vec::with_capacity(nq);
                for (a, q) in p.qi.iter().enumerate() {
                    let h = q.hierarchy;
                    let first = q.codes[rows[0]] as usize;
                    let level = (q.min_level as usize..=q.max_level as usize)
                        .find(|l| rows.iter().all(|r| h.up[*l][q.codes[*r] as usize] == h.up[*l][first]))
                        .unwrap_or(q.max_level as usize);
                    cells.push((level, h.up[level][first] as usize));
                    for r in &rows {
                        levels[*r][a] = level as u8;
                    }
                }
                costs.add_class(&mut sums, size, cells.into_iter());
            }
        }
    }
    MondrianResult {
        partitions,
        min_size: if partitions == 0 { 0 } else { min_size },
        suppressed: sums.suppressed,
        quality: costs.value(&sums),
        ms: started.elapsed().as_secs_f64() * 1000.0,
        levels,
    }
}

/// Mondrian over an aggregated class table, expanded into its records (`counts[i]` of row i).
fn expanded(p: &Problem, counts: &[u32]) -> MondrianResult {
    let expand = |codes: &[u32]| -> Vec<u32> {
        codes.iter().zip(counts).flat_map(|(c, k)| std::iter::repeat_n(*c, *k as usize)).collect()
    };
    let qi: Vec<Vec<u32>> = p.qi.iter().map(|q| expand(q.codes)).collect();
    let sens: Vec<Vec<u32>> = p.sensitive.iter().map(|s| expand(s.codes)).collect();
    let records = Problem {
        qi: p.qi.iter().zip(&qi).map(|(q, codes)| crate::QiColumn { name: q.name.clone(), codes, ..*q }).collect(),
        sensitive: p
            .sensitive
            .iter()
            .zip(&sens)
            .map(|(s, codes)| crate::SensitiveColumn {
                name: s.name.clone(),
                codes,
                cardinality: s.cardinality,
                rank: s.rank.clone(),
                tree: s.tree.clone(),
            })
            .collect(),
        n: p.n,
        counts: None,
        models: p.models.clone(),
        max_suppression: p.max_suppression,
        quality: p.quality,
    };
    mondrian(&records)
}

/// Rank of each level-0 code of each attribute: order by labels from the top level down (so
/// hierarchy siblings are adjacent).
fn label_ranks(p: &Problem) -> Vec<Vec<u32>> {
    p.qi.iter()
        .map(|q| {
            let h = q.hierarchy;
            let mut order: Vec<usize> = (0..h.domain()).collect();
            order.sort_by(|x, y| {
                for l in (0..h.levels()).rev() {
                    let o = cmp_labels(&h.labels[l][h.up[l][*x] as usize], &h.labels[l][h.up[l][*y] as usize]);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                Ordering::Equal
            });
            let mut rank = vec![0u32; h.domain()];
            for (r, c) in order.into_iter().enumerate() {
                rank[c] = r as u32;
            }
            rank
        })
        .collect()
}

/// The rows grouped by their codes at every attribute's highest allowed level, in the order of
/// their first rows.
fn highest_level_groups(p: &Problem) -> Vec<Vec<usize>> {
    let mut groups: rustc_hash::FxHashMap<Vec<u32>, Vec<usize>> = Default::default();
    for r in 0..p.n {
        let key = p.qi.iter().map(|q| q.hierarchy.up[q.max_level as usize][q.codes[r] as usize]).collect();
        groups.entry(key).or_default().push(r);
    }
    let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
    groups.sort_unstable_by_key(|g| g[0]);
    groups
}

/// Where to cut `rows` (sorted by the attribute cut): by the attribute with the widest spread
/// first, at the boundary between values nearest its median, where both halves keep k records
/// and are admissible; `None` when no attribute can be cut.
fn split(
    rows: &mut [usize],
    k: usize,
    p: &Problem,
    ranks: &[Vec<u32>],
    admissible: &mut impl FnMut(&[usize]) -> bool,
) -> Option<usize> {
    let nq = p.qi.len();
    let mut attrs: Vec<(f64, usize)> = (0..nq)
        .map(|a| {
            let (lo, hi) = rows.iter().fold((u32::MAX, 0), |(lo, hi), r| {
                let x = ranks[a][p.qi[a].codes[*r] as usize];
                (lo.min(x), hi.max(x))
            });
            ((hi - lo) as f64 / p.qi[a].hierarchy.domain().max(1) as f64, a)
        })
        .filter(|(spread, _)| *spread > 0.0)
        .collect();
    attrs.sort_by(|x, y| y.0.total_cmp(&x.0));
    for (_, a) in attrs {
        rows.sort_unstable_by_key(|r| ranks[a][p.qi[a].codes[*r] as usize]);
        let key = |i: usize| ranks[a][p.qi[a].codes[rows[i]] as usize];
        let mid = rows.len() / 2;
        // Move the cut to the nearest boundary between different values.
        let mut cut = None;
        for d in 0..rows.len() {
            for c in [mid.saturating_sub(d), mid + d] {
                if c > 0 && c < rows.len() && key(c - 1) != key(c) {
                    cut = Some(c);
                    break;
                }
            }
            if cut.is_some() {
                break;
            }
        }
        if let Some(c) = cut
            && c >= k
            && rows.len() - c >= k
            && admissible(&rows[..c])
            && admissible(&rows[c..])
        {
            return Some(c);
        }
    }
    None
}
