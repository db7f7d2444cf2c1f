//! `microaggregate`: records grouped by similar values, each value replaced by its group's mean
//! or median (sdcMicro `microaggregation`).
//!
//! One column is grouped exactly by sorting: groups of consecutive sorted records, each of at
//! least `group_size` records and fewer than twice that except where one value's records are
//! more; records with the same value are never split, so one input value gives one output value.
//! Columns of one `together` name are grouped jointly on their standardised values: by MDAV
//! (maximum distance to average vector, sdcMicro's default; exact, O(n²/k)) up to
//! [`MDAV_MAX_RECORDS`] records, or by the order of the records' projection on the first
//! principal component (sdcMicro's "pca") — `method` says which; `auto` picks MDAV where it
//! may. A record missing some of the columns is grouped with the records missing the same ones,
//! on the others; a set of records too small for one group has its values set to null.

use super::{Context, Facts, Target, Technique, row_numbers, write_codes, write_rows};
use crate::cell::Cell;
use crate::error::EngineError;
use rand_chacha::ChaCha20Rng;
use tokumei_rules::{Aggregate, MDAV_MAX_RECORDS, MicroMethod, Microaggregation};

/// The technique.
pub(crate) struct Microaggregate {
    m: Microaggregation,
}

impl Microaggregate {
    /// For the settings `m`.
    pub fn new(m: Microaggregation) -> Self {
        Microaggregate { m }
    }
}

impl Technique for Microaggregate {
    fn apply(&self, unit: &mut [Target], cx: &Context, _rng: &mut ChaCha20Rng) -> Result<Facts, EngineError> {
        let g = self.m.group_size as u64;
        if let [one] = unit {
            return Ok(univariate(one, g, self.m.aggregate));
        }
        let n = unit.first().map_or(0, |t| t.dict.codes.len());
        let method = match self.m.method {
            MicroMethod::Auto if n > MDAV_MAX_RECORDS => MicroMethod::Sort,
            MicroMethod::Auto => MicroMethod::Mdav,
            m => m,
        };
        if method == MicroMethod::Mdav && n > MDAV_MAX_RECORDS {
            let t = &unit[0].plan;
            return Err(EngineError::Config(format!(
                "{}:{}: `{}`: method = \"mdav\" takes at most {MDAV_MAX_RECORDS} records (its cost grows with their square), and there are {n}\n  hint: use method = \"sort\" (records ordered on the first principal component) or \"auto\"",
                cx.plan.rules_path.display(),
                t.line,
                t.name
            )));
        }
        Ok(multivariate(unit, g, self.m.aggregate, method))
    }
}

/// Sizes of consecutive runs (`counts`, each a run of equal values in sorted order) grouped so
/// that every group holds at least `g` records, closing a group as soon as it does; a last
/// group short of `g` is merged with the one before.
/// Returns each group's end (exclusive) in runs. Empty when the runs hold fewer than `g`.
pub(crate) fn group_runs(counts: &[u64], g: u64) -> Vec<usize> {
    let mut ends: Vec<usize> = Vec::new();
    let mut acc = 0u64;
    for (i, c) in counts.iter().enumerate() {
        acc += c;
        if acc >= g {
            ends.push(i + 1);
            acc = 0;
        }
    }
    if acc > 0 {
        // A remainder short of g joins the group before (greedy closes each group at its first
        // run reaching g, so no split of the two would leave g records on both sides).
        if ends.pop().is_none() {
            return Vec::new();
        }
        ends.push(counts.len());
    }
    ends
}

/// The mean or median of `values` each held `weights` times (weights > 0).
fn aggregate(values: &[f64], weights: &[u64], how: Aggregate) -> f64 {
    match how {
        Aggregate::Mean => {
            let total: u64 = weights.iter().sum();
            values.iter().zip(weights).map(|(v, w)| v * *w as f64).sum::<f64>() / total as f64
        }
        Aggregate::Median => {
            let mut pairs: Vec<(f64, u64)> = values.iter().copied().zip(weights.iter().copied()).collect();
            pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
            let total: u64 = pairs.iter().map(|p| p.1).sum();
            // The (lower and upper) middle records, averaged as R's median does.
            let at = |rank: u64| {
                let mut seen = 0u64;
                for (v, w) in &pairs {
                    seen += w;
                    if seen > rank {
                        return *v;
                    }
                }
                pairs.last().map_or(f64::NAN, |p| p.0)
            };
            (at((total - 1) / 2) + at(total / 2)) / 2.0
        }
    }
}

/// One column, exactly: its distinct values sorted with their counts, grouped in runs.
fn univariate(t: &mut Target, g: u64, how: Aggregate) -> Facts {
    let ty = t.plan.ty;
    let mut counts = vec![0u64; t.dict.values.len()];
    for c in &t.dict.codes {
        counts[*c as usize] += 1;
    }
    let table = super::number_table(&t.dict.values);
    let mut order: Vec<usize> = (0..table.len()).filter(|i| table[*i].is_finite() && counts[*i] > 0).collect();
    order.sort_by(|a, b| table[*a].total_cmp(&table[*b]));
    let run_counts: Vec<u64> = order.iter().map(|i| counts[*i]).collect();
    let ends = group_runs(&run_counts, g);
    let mut new: Vec<Cell> = t.dict.values.clone();
    let mut facts = Facts { method: Some("sort (univariate, exact)".into()), ..Facts::default() };
    let (mut start, mut smallest) = (0usize, u64::MAX);
    for end in &ends {
        let codes = &order[start..*end];
        let values: Vec<f64> = codes.iter().map(|c| table[*c]).collect();
        let weights: Vec<u64> = codes.iter().map(|c| counts[*c]).collect();
        let cell = super::cell_of(aggregate(&values, &weights, how), ty);
        for c in codes {
            new[*c] = cell.clone();
        }
        smallest = smallest.min(weights.iter().sum());
        start = *end;
    }
    // Too few records for one group: their values are withheld.
    let mut nulled = 0u64;
    if ends.is_empty() {
        for c in &order {
            new[*c] = Cell::Null;
            nulled += counts[*c];
        }
    }
    write_codes(t.dict, new);
    facts.groups = Some(ends.len() as u64);
    facts.smallest_group = (smallest != u64::MAX).then_some(smallest);
    facts.nulled = vec![nulled];
    facts
}

/// Several columns jointly: per pattern of missing values, the records grouped on the columns
/// they have (standardised over the records that have each), each group's values aggregated.
fn multivariate(unit: &mut [Target], g: u64, how: Aggregate, method: MicroMethod) -> Facts {
    let p = unit.len();
    let cols: Vec<Vec<f64>> = unit.iter().map(|t| row_numbers(t.dict)).collect();
    let n = cols.first().map_or(0, Vec::len);
    let scale: Vec<(f64, f64)> = cols
        .iter()
        .map(|c| {
            let mut m = super::Moments::default();
            c.iter().for_each(|x| m.add(*x));
            (m.mean(), if m.sd() > 0.0 { m.sd() } else { 1.0 })
        })
        .collect();
    // Rows by pattern of present columns (a bit per column).
    let mut patterns: std::collections::BTreeMap<u64, Vec<u32>> = Default::default();
    #[allow(clippy::needless_range_loop)] // a row across the columns
    for r in 0..n {
        let mask = (0..p).filter(|j| cols[*j][r].is_finite()).fold(0u64, |m, j| m | (1 << j));
        if mask != 0 {
            patterns.entry(mask).or_default().push(r as u32);
        }
    }
    let mut out: Vec<Vec<f64>> = cols.clone();
    let mut facts = Facts {
        method: Some(match method {
            MicroMethod::Sort => "sort (first principal component)".into(),
            _ => "mdav".into(),
        }),
        nulled: vec![0; p],
        ..Facts::default()
    };
    let (mut groups, mut smallest) = (0u64, u64::MAX);
    for (mask, rows) in patterns {
        let present: Vec<usize> = (0..p).filter(|j| mask & (1 << j) != 0).collect();
        if (rows.len() as u64) < g {
            for j in &present {
                for r in &rows {
                    out[*j][*r as usize] = f64::NAN;
                }
                facts.nulled[*j] += rows.len() as u64;
            }
            continue;
        }
        let points: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| present.iter().map(|j| (cols[*j][*r as usize] - scale[*j].0) / scale[*j].1).collect())
            .collect();
        let found = match method {
            MicroMethod::Sort => by_projection(&points, g),
            _ => mdav(&points, g as usize),
        };
        for group in &found {
            groups += 1;
            smallest = smallest.min(group.len() as u64);
            for j in &present {
                let values: Vec<f64> = group.iter().map(|i| cols[*j][rows[*i] as usize]).collect();
                let v = aggregate(&values, &vec![1; values.len()], how);
                for i in group {
                    out[*j][rows[*i] as usize] = v;
                }
            }
        }
    }
    for (t, rows) in unit.iter_mut().zip(&out) {
        let ty = t.plan.ty;
        write_rows(t.dict, rows, ty);
    }
    facts.groups = Some(groups);
    facts.smallest_group = (smallest != u64::MAX).then_some(smallest);
    facts
}

fn dist2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The centroid of the points `live` holds.
fn centroid(points: &[Vec<f64>], live: &[usize]) -> Vec<f64> {
    let dim = points.first().map_or(0, Vec::len);
    let mut c = vec![0.0; dim];
    for i in live {
        for (s, x) in c.iter_mut().zip(&points[*i]) {
            *s += x;
        }
    }
    c.iter_mut().for_each(|s| *s /= live.len().max(1) as f64);
    c
}

/// The live point farthest from `from` (the first on ties).
fn farthest(points: &[Vec<f64>], live: &[usize], from: &[f64]) -> usize {
    let mut best = (f64::NEG_INFINITY, live[0]);
    for i in live {
        let d = dist2(&points[*i], from);
        if d > best.0 {
            best = (d, *i);
        }
    }
    best.1
}

/// Take the `k` live points nearest to point `r` (itself included) out of `live`.
fn take_nearest(points: &[Vec<f64>], live: &mut Vec<usize>, r: usize, k: usize) -> Vec<usize> {
    let from = points[r].clone();
    let mut by: Vec<(f64, usize)> = live.iter().map(|i| (dist2(&points[*i], &from), *i)).collect();
    let k = k.min(by.len());
    if k < by.len() {
        by.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    }
    let group: Vec<usize> = by[..k].iter().map(|(_, i)| *i).collect();
    let mut taken = vec![false; points.len()];
    group.iter().for_each(|i| taken[*i] = true);
    live.retain(|i| !taken[*i]);
    group
}

/// MDAV (Domingo-Ferrer and Mateo-Sanz; sdcMicro's `mdav`): while 3k or more records are left,
/// the record r farthest from their centroid and s farthest from r each take their k nearest
/// records; with 2k to 3k-1 left, r takes its k nearest and the rest is a group; fewer than 2k
/// form the last group.
pub(crate) fn mdav(points: &[Vec<f64>], k: usize) -> Vec<Vec<usize>> {
    let mut live: Vec<usize> = (0..points.len()).collect();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    while live.len() >= 3 * k {
        let c = centroid(points, &live);
        let r = farthest(points, &live, &c);
        let s = farthest(points, &live, &points[r].clone());
        groups.push(take_nearest(points, &mut live, r, k));
        groups.push(take_nearest(points, &mut live, s, k));
    }
    if live.len() >= 2 * k {
        let c = centroid(points, &live);
        let r = farthest(points, &live, &c);
        groups.push(take_nearest(points, &mut live, r, k));
    }
    if !live.is_empty() {
        groups.push(live);
    }
    groups
}

/// The first principal component of the (standardised) points: power iteration on their
/// covariance matrix.
fn first_component(points: &[Vec<f64>]) -> Vec<f64> {
    let dim = points.first().map_or(0, Vec::len);
    let all: Vec<usize> = (0..points.len()).collect();
    let mean = centroid(points, &all);
    let mut cov = vec![vec![0.0; dim]; dim];
    for p in points {
        for a in 0..dim {
            for b in 0..dim {
                cov[a][b] += (p[a] - mean[a]) * (p[b] - mean[b]);
            }
        }
    }
    let mut v: Vec<f64> = (0..dim).map(|i| 1.0 + i as f64 * 1e-3).collect();
    for _ in 0..200 {
        let next: Vec<f64> = (0..dim).map(|a| (0..dim).map(|b| cov[a][b] * v[b]).sum()).collect();
        let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            break;
        }
        v = next.into_iter().map(|x| x / norm).collect();
    }
    v
}

/// Groups of consecutive points ordered by their projection on the first principal component;
/// points with equal projections (equal values) are never split.
pub(crate) fn by_projection(points: &[Vec<f64>], g: u64) -> Vec<Vec<usize>> {
    let v = first_component(points);
    let proj: Vec<f64> = points.iter().map(|p| p.iter().zip(&v).map(|(x, y)| x * y).sum()).collect();
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|a, b| proj[*a].total_cmp(&proj[*b]).then(a.cmp(b)));
    // Runs of equal projections.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, r) in order.iter().enumerate() {
        match runs.last_mut() {
            Some((_, end)) if proj[order[*end - 1]] == proj[*r] => *end = i + 1,
            _ => runs.push((i, i + 1)),
        }
    }
    let counts: Vec<u64> = runs.iter().map(|(s, e)| (e - s) as u64).collect();
    let ends = group_runs(&counts, g);
    let mut groups = Vec::new();
    let mut start = 0usize;
    for end in ends {
        let (from, to) = (runs[start].0, runs[end - 1].1);
        groups.push(order[from..to].to_vec());
        start = end;
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Stage, Target};
    use super::*;

    #[test]
    fn runs_make_groups_of_at_least_g_and_under_2g_where_values_allow() {
        assert_eq!(group_runs(&[1, 1, 1, 1, 1, 1, 1], 3), vec![3, 7], "the remainder joins the last group");
        assert_eq!(group_runs(&[1; 9], 3), vec![3, 6, 9]);
        assert_eq!(group_runs(&[1, 1], 3), Vec::<usize>::new(), "too few records for a group");
        assert_eq!(group_runs(&[1, 10, 1], 3), vec![3], "a value's records are never split");
        assert_eq!(group_runs(&[1, 3, 1, 1], 3), vec![4]);
        for counts in [vec![1u64; 100], vec![3, 1, 2, 5, 1, 1, 1, 7, 2, 2], vec![1, 2, 1, 2, 1, 2, 1]] {
            for g in 2..6 {
                let ends = group_runs(&counts, g);
                let mut start = 0;
                for e in &ends {
                    let size: u64 = counts[start..*e].iter().sum();
                    assert!(size >= g, "{counts:?} g={g}: {ends:?}");
                    start = *e;
                }
                assert_eq!(start, counts.len());
            }
        }
    }

    #[test]
    fn one_column_same_value_same_output_groups_of_at_least_the_size() {
        let values: Vec<Option<i64>> =
            [5, 1, 9, 5, 2, 8, 5, 3, 100, 7].iter().map(|v| Some(*v)).chain([None]).collect();
        let (out, facts) = applied("action = \"microaggregate\"\ngroup_size = 3", &values, None);
        assert_eq!(out[10], None, "a missing value stays missing");
        // Same input value, same output.
        assert_eq!(out[0], out[3]);
        assert_eq!(out[0], out[6]);
        let mut shared: std::collections::HashMap<i64, usize> = Default::default();
        out.iter().flatten().for_each(|v| *shared.entry(*v).or_default() += 1);
        assert!(shared.values().all(|n| *n >= 3), "{out:?}");
        // Sorted: 1 2 3 | 5 5 5 | 7 8 9 100 -> means 2, 5, 31.
        assert_eq!(out[1], Some(2));
        assert_eq!(out[8], Some(31));
        assert_eq!((facts.groups, facts.smallest_group), (Some(3), Some(3)));
    }

    #[test]
    fn mdav_is_refused_above_its_limit_naming_sort() {
        let plan = plan_with("action = \"microaggregate\"\ntogether = \"g\"\nmethod = \"mdav\"");
        let stage = Stage::new(&plan, &[(0, 0), (1, 1)]).unwrap();
        let rows: Vec<Option<i64>> = (0..MDAV_MAX_RECORDS as i64 + 1).map(Some).collect();
        let (mut a, mut b) = (dict_of(&rows), dict_of(&rows));
        let mut t = [Target { plan: &plan.columns[0], dict: &mut a }, Target { plan: &plan.columns[1], dict: &mut b }];
        let e = stage.units[0].technique.apply(&mut t, &context(&plan), &mut rng()).expect_err("refused");
        assert!(e.to_string().contains("r.toml:8: `x`: method = \"mdav\" takes at most 200000 records"), "{e}");
        assert!(e.to_string().contains("use method = \"sort\""), "{e}");
    }

    #[test]
    fn medians_are_r_medians() {
        assert_eq!(aggregate(&[1.0, 2.0, 10.0, 20.0], &[1, 1, 1, 1], Aggregate::Median), 6.0);
        assert_eq!(aggregate(&[1.0, 2.0, 10.0], &[1, 3, 1], Aggregate::Median), 2.0);
        assert_eq!(aggregate(&[1.0, 3.0], &[1, 3], Aggregate::Mean), 2.5);
    }

    /// MDAV on a small known example: two far clusters of three points each, and a middle pair.
    #[test]
    fn mdav_on_a_small_known_example() {
        let pts: Vec<Vec<f64>> = [
            [0.0, 0.0],
            [0.1, 0.0],
            [0.0, 0.1],
            [10.0, 10.0],
            [10.1, 10.0],
            [10.0, 10.1],
            [5.0, 5.0],
            [5.1, 5.0],
            [5.0, 5.1],
        ]
        .iter()
        .map(|p| p.to_vec())
        .collect();
        let mut groups: Vec<Vec<usize>> = mdav(&pts, 3)
            .into_iter()
            .map(|mut g| {
                g.sort();
                g
            })
            .collect();
        groups.sort();
        assert_eq!(groups, vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8]]);
        // 3k to 2k: one group taken around the farthest record, the rest a group.
        let g = mdav(&pts[..7], 3);
        assert_eq!(g.len(), 2);
        assert!(g.iter().all(|g| g.len() >= 3));
    }

    #[test]
    fn joint_microaggregation_groups_tuples() {
        let plan = plan_with("action = \"microaggregate\"\ngroup_size = 3\ntogether = \"g\"");
        let stage = Stage::new(&plan, &[(0, 0), (1, 1)]).unwrap();
        assert_eq!(stage.units.len(), 1);
        let xs: Vec<Option<i64>> = (0..20).map(|i| Some(i * 3 % 17)).collect();
        let ys: Vec<Option<i64>> = (0..20).map(|i| if i == 4 { None } else { Some(i * 7 % 11) }).collect();
        for method in ["mdav", "sort"] {
            let plan = plan_with(&format!(
                "action = \"microaggregate\"\ngroup_size = 3\ntogether = \"g\"\nmethod = \"{method}\""
            ));
            let stage = Stage::new(&plan, &[(0, 0), (1, 1)]).unwrap();
            let (mut a, mut b) = (dict_of(&xs), dict_of(&ys));
            let mut t =
                [Target { plan: &plan.columns[0], dict: &mut a }, Target { plan: &plan.columns[1], dict: &mut b }];
            let facts = stage.units[0].technique.apply(&mut t, &context(&plan), &mut rng()).unwrap();
            let (ra, rb) = (rows_of(&a), rows_of(&b));
            assert_eq!(rb[4], None);
            assert_eq!(facts.nulled, vec![1, 0], "row 4 alone lacks y: too few for a group");
            assert_eq!(ra[4], None);
            let mut shared: std::collections::HashMap<(Option<i64>, Option<i64>), usize> = Default::default();
            ra.iter()
                .zip(&rb)
                .filter(|(x, y)| x.is_some() || y.is_some())
                .for_each(|(x, y)| *shared.entry((*x, *y)).or_default() += 1);
            assert!(shared.values().all(|n| *n >= 3), "{method}: {shared:?}");
            assert!(facts.smallest_group.unwrap() >= 3);
        }
    }
}
