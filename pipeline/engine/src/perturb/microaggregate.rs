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

use super::{Context, Facts, Persons, Target, Technique, cell_of_int, int_of, row_numbers, write_codes, write_ints};
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
            return Ok(univariate(one, g, self.m.aggregate, cx.persons));
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
        Ok(multivariate(unit, g, self.m.aggregate, method, cx.persons))
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

/// A record's position: a row of the column, or an index into a pattern's records.
pub(crate) trait Row: Copy {
    /// As an index.
    fn at(self) -> usize;
}

impl Row for u32 {
    fn at(self) -> usize {
        self as usize
    }
}

impl Row for usize {
    fn at(self) -> usize {
        self
    }
}

/// The people of a group being formed: how many, and how many records the busiest holds.
/// Its tallies are reused group after group (a stamp per person says which group counted it).
struct Tally<'a> {
    person: &'a [u32],
    stamp: Vec<u32>,
    held: Vec<u32>,
    id: u32,
    people: u64,
    records: u64,
    most: u32,
}

impl<'a> Tally<'a> {
    /// For records whose person is `person[record]`, of `count` people.
    fn new(person: &'a [u32], count: u32) -> Self {
        let n = count as usize;
        Tally { person, stamp: vec![0; n], held: vec![0; n], id: 0, people: 0, records: 0, most: 0 }
    }

    /// Start a new group.
    fn open(&mut self) {
        self.id += 1;
        (self.people, self.records, self.most) = (0, 0, 0);
    }

    /// Add the records `rows` to the group.
    fn add<R: Row>(&mut self, rows: &[R]) {
        for r in rows {
            let p = self.person[r.at()] as usize;
            if self.stamp[p] != self.id {
                self.stamp[p] = self.id;
                self.held[p] = 0;
                self.people += 1;
            }
            self.held[p] += 1;
            self.most = self.most.max(self.held[p]);
            self.records += 1;
        }
    }

    /// Whether the group may close: at least `g` people, and no person holding more than half
    /// of its records (so its value is never mostly one person's).
    fn enough(&self, g: u64) -> bool {
        self.people >= g && 2 * u64::from(self.most) <= self.records
    }
}

/// Units of records (`units`, in order: runs of one value, or groups formed on the records)
/// grouped so that every group holds at least `g` **people**, and no person more than half of
/// its records, closing a group as soon as it does; the rest joins the groups before it until
/// it does too. Returns each group's end (exclusive) in units and its people; empty when all the
/// units together fall short.
pub(crate) fn group_people<R: Row>(units: &[&[R]], person: &[u32], count: u32, g: u64) -> Vec<(usize, u64)> {
    let mut tally = Tally::new(person, count);
    let mut groups: Vec<(usize, u64)> = Vec::new();
    tally.open();
    let mut open_from = 0usize;
    for (i, u) in units.iter().enumerate() {
        tally.add(u);
        if tally.enough(g) {
            groups.push((i + 1, tally.people));
            tally.open();
            open_from = i + 1;
        }
    }
    if open_from < units.len() {
        // Each earlier group already has enough, so taking them back one by one ends.
        loop {
            let Some((end, _)) = groups.pop() else { return Vec::new() };
            let start = groups.last().map_or(0, |g| g.0);
            units[start..end].iter().for_each(|u| tally.add(u));
            if tally.enough(g) {
                break;
            }
        }
        groups.push((units.len(), tally.people));
    }
    groups
}

/// `num / den` (den > 0) rounded half away from zero, within i64.
fn halve(num: i128, den: i128) -> i64 {
    let (q, r) = (num / den, num % den);
    let q = if 2 * r.abs() >= den { q + num.signum() } else { q };
    q.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// The mean or median of the records' values `xs` (reordered), exactly; `None` without any.
fn aggregate_each(xs: &mut [i64], how: Aggregate) -> Option<i64> {
    let n = xs.len();
    if n == 0 {
        return None;
    }
    Some(match how {
        Aggregate::Mean => halve(xs.iter().map(|x| i128::from(*x)).sum(), n as i128),
        Aggregate::Median => {
            let (below, upper, _) = xs.select_nth_unstable(n / 2);
            let upper = *upper;
            let lower = if n.is_multiple_of(2) { below.iter().copied().max().unwrap_or(upper) } else { upper };
            halve(i128::from(lower) + i128::from(upper), 2)
        }
    })
}

/// The mean or median of whole numbers `values` each held `weights` times (weights > 0),
/// exactly (sums in 128 bits), rounded half away from zero.
fn aggregate(values: &[i64], weights: &[u64], how: Aggregate) -> i64 {
    match how {
        Aggregate::Mean => {
            let total: u64 = weights.iter().sum();
            let sum: i128 = values.iter().zip(weights).map(|(v, w)| i128::from(*v) * i128::from(*w)).sum();
            halve(sum, i128::from(total.max(1)))
        }
        Aggregate::Median => {
            let mut pairs: Vec<(i64, u64)> = values.iter().copied().zip(weights.iter().copied()).collect();
            pairs.sort_unstable();
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
                pairs.last().map_or(0, |p| p.0)
            };
            halve(i128::from(at(total.saturating_sub(1) / 2)) + i128::from(at(total / 2)), 2)
        }
    }
}

/// The rows of each code, in row order (codes with no row hold none).
fn rows_by_code(codes: &[u32], counts: &[u64]) -> (Vec<usize>, Vec<u32>) {
    let mut start = Vec::with_capacity(counts.len() + 1);
    start.push(0usize);
    for c in counts {
        start.push(start.last().copied().unwrap_or(0) + *c as usize);
    }
    let mut next = start.clone();
    let mut rows = vec![0u32; codes.len()];
    for (r, c) in codes.iter().enumerate() {
        rows[next[*c as usize]] = r as u32;
        next[*c as usize] += 1;
    }
    (start, rows)
}

/// One column, exactly: its distinct values sorted with their counts, grouped in runs (of
/// records, or of people when a person may have several records).
fn univariate(t: &mut Target, g: u64, how: Aggregate, persons: Option<&Persons>) -> Facts {
    let ty = t.plan.ty;
    let mut counts = vec![0u64; t.dict.values.len()];
    for c in &t.dict.codes {
        counts[*c as usize] += 1;
    }
    let table: Vec<Option<i64>> = t.dict.values.iter().map(int_of).collect();
    let mut order: Vec<usize> = (0..table.len()).filter(|i| table[*i].is_some() && counts[*i] > 0).collect();
    order.sort_by_key(|i| table[*i]);
    let groups: Vec<(usize, Option<u64>)> = match persons {
        None => group_runs(&order.iter().map(|i| counts[*i]).collect::<Vec<_>>(), g)
            .into_iter()
            .map(|e| (e, None))
            .collect(),
        Some(p) => {
            let (start, rows) = rows_by_code(&t.dict.codes, &counts);
            let units: Vec<&[u32]> = order.iter().map(|c| &rows[start[*c]..start[*c + 1]]).collect();
            group_people(&units, &p.of_row, p.count, g).into_iter().map(|(e, n)| (e, Some(n))).collect()
        }
    };
    let mut new: Vec<Cell> = t.dict.values.clone();
    let mut facts = Facts {
        method: Some("sort (univariate, exact)".into()),
        people_counted: persons.is_some(),
        ..Facts::default()
    };
    let (mut start, mut smallest, mut fewest) = (0usize, u64::MAX, u64::MAX);
    for (end, people) in &groups {
        let codes = &order[start..*end];
        let values: Vec<i64> = codes.iter().filter_map(|c| table[*c]).collect();
        let weights: Vec<u64> = codes.iter().map(|c| counts[*c]).collect();
        let cell = cell_of_int(aggregate(&values, &weights, how), ty);
        for c in codes {
            new[*c] = cell.clone();
        }
        smallest = smallest.min(weights.iter().sum());
        fewest = fewest.min(people.unwrap_or(u64::MAX));
        start = *end;
    }
    // Too few records (or people) for one group: their values are withheld.
    let mut nulled = 0u64;
    if groups.is_empty() {
        for c in &order {
            new[*c] = Cell::Null;
            nulled += counts[*c];
        }
    }
    write_codes(t.dict, new);
    facts.groups = Some(groups.len() as u64);
    facts.smallest_group = (smallest != u64::MAX).then_some(smallest);
    facts.smallest_group_people = (fewest != u64::MAX).then_some(fewest);
    facts.nulled = vec![nulled];
    facts
}

/// Several columns jointly: per pattern of missing values, the records grouped on the columns
/// they have (standardised over the records that have each), each group's values aggregated.
/// When a person may have several records, groups short of `g` people are merged with their
/// neighbours in the order of their centres on the first principal component.
fn multivariate(unit: &mut [Target], g: u64, how: Aggregate, method: MicroMethod, persons: Option<&Persons>) -> Facts {
    let p = unit.len();
    let cols: Vec<Vec<f64>> = unit.iter().map(|t| row_numbers(t.dict)).collect();
    let tables: Vec<Vec<Option<i64>>> = unit.iter().map(|t| t.dict.values.iter().map(int_of).collect()).collect();
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
    // Each row's group (`NONE`: none, its values withheld) and each group's value per column
    // (`p` a group, flat).
    const NONE: u32 = u32::MAX;
    let mut group_of: Vec<u32> = vec![NONE; n];
    let mut values: Vec<Option<i64>> = Vec::new();
    let mut xs: Vec<i64> = Vec::new();
    let mut facts = Facts {
        method: Some(match method {
            MicroMethod::Sort => "sort (first principal component)".into(),
            _ => "mdav".into(),
        }),
        nulled: vec![0; p],
        people_counted: persons.is_some(),
        ..Facts::default()
    };
    let (mut smallest, mut fewest) = (u64::MAX, u64::MAX);
    for (mask, rows) in patterns {
        let present: Vec<usize> = (0..p).filter(|j| mask & (1 << j) != 0).collect();
        let points: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| present.iter().map(|j| (cols[*j][*r as usize] - scale[*j].0) / scale[*j].1).collect())
            .collect();
        // Groups of indices into the pattern's rows.
        let found: Vec<Vec<usize>> = match (rows.len() as u64) < g {
            true => Vec::new(),
            false if method == MicroMethod::Sort => by_projection(&points, g),
            false => mdav(&points, g as usize),
        };
        let found: Vec<(Vec<usize>, Option<u64>)> = match persons {
            None => found.into_iter().map(|grp| (grp, None)).collect(),
            Some(who) => by_people(found, &points, &rows, method, who, g),
        };
        if found.is_empty() {
            for j in &present {
                facts.nulled[*j] += rows.len() as u64;
            }
            continue;
        }
        for (grp, people) in &found {
            let id = (values.len() / p) as u32;
            smallest = smallest.min(grp.len() as u64);
            fewest = fewest.min(people.unwrap_or(u64::MAX));
            for (j, t) in unit.iter().enumerate() {
                xs.clear();
                if present.contains(&j) {
                    xs.extend(grp.iter().filter_map(|i| tables[j][t.dict.codes[rows[*i] as usize] as usize]));
                }
                values.push(aggregate_each(&mut xs, how));
            }
            grp.iter().for_each(|i| group_of[rows[*i] as usize] = id);
        }
    }
    for (j, t) in unit.iter_mut().enumerate() {
        let ty = t.plan.ty;
        let rows = group_of.iter().map(|grp| if *grp == NONE { None } else { values[*grp as usize * p + j] });
        write_ints(t.dict, rows, ty);
    }
    facts.groups = Some((values.len() / p) as u64);
    facts.smallest_group = (smallest != u64::MAX).then_some(smallest);
    facts.smallest_group_people = (fewest != u64::MAX).then_some(fewest);
    facts
}

/// Groups formed on records (`found`, indices into a pattern's `rows`) regrouped so that each
/// holds at least `g` people: in the order of their centres' projection on the first principal
/// component of the pattern's `points` (the order they already have when sorted on it),
/// neighbours merged ([`group_people`]). Each group with its people; empty when the pattern's
/// people are too few.
fn by_people(
    found: Vec<Vec<usize>>,
    points: &[Vec<f64>],
    rows: &[u32],
    method: MicroMethod,
    who: &Persons,
    g: u64,
) -> Vec<(Vec<usize>, Option<u64>)> {
    let mut found = found;
    if method != MicroMethod::Sort && found.len() > 1 {
        let v = first_component(points);
        let centre = |grp: &Vec<usize>| {
            grp.iter().map(|i| points[*i].iter().zip(&v).map(|(x, y)| x * y).sum::<f64>()).sum::<f64>()
                / grp.len() as f64
        };
        let mut keyed: Vec<(f64, Vec<usize>)> = found.into_iter().map(|grp| (centre(&grp), grp)).collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        found = keyed.into_iter().map(|(_, grp)| grp).collect();
    }
    let person: Vec<u32> = rows.iter().map(|r| who.of_row[*r as usize]).collect();
    let units: Vec<&[usize]> = found.iter().map(Vec::as_slice).collect();
    let mut out = Vec::new();
    let mut start = 0usize;
    for (end, people) in group_people(&units, &person, who.count, g) {
        out.push((found[start..end].concat(), Some(people)));
        start = end;
    }
    out
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

    fn persons(of_row: &[u32]) -> Persons {
        Persons { of_row: of_row.to_vec(), count: of_row.iter().max().map_or(0, |m| m + 1) }
    }

    #[test]
    fn people_groups_hold_g_people_and_no_person_over_half() {
        // Four units; person 0 holds every record of the first two.
        let units: Vec<Vec<u32>> = vec![vec![0, 1, 2], vec![3], vec![4], vec![5, 6]];
        let who = persons(&[0, 0, 0, 0, 1, 2, 3]);
        let slices: Vec<&[u32]> = units.iter().map(Vec::as_slice).collect();
        // Person 0 holds 4 records: a group needs 4 others at least; there are 3, so one group
        // can never be formed without 0 holding over half (4 of 7).
        assert!(group_people(&slices, &who.of_row, who.count, 3).is_empty());
        let who = persons(&[0, 0, 1, 2, 3, 4, 5]);
        assert_eq!(group_people(&slices, &who.of_row, who.count, 3), vec![(2, 3), (4, 3)]);
        // The rest joins the group before it until it has enough.
        let units: Vec<Vec<u32>> = vec![vec![0], vec![1], vec![2], vec![3, 4, 5]];
        let slices: Vec<&[u32]> = units.iter().map(Vec::as_slice).collect();
        let who = persons(&[0, 1, 2, 3, 3, 3]);
        assert_eq!(group_people(&slices, &who.of_row, who.count, 3), vec![(4, 4)], "3 of 6 records is not over half");
        let who = persons(&[0, 1, 2, 3, 3, 3, 3]);
        let units: Vec<Vec<u32>> = vec![vec![0], vec![1], vec![2], vec![3, 4, 5, 6]];
        let slices: Vec<&[u32]> = units.iter().map(Vec::as_slice).collect();
        assert!(group_people(&slices, &who.of_row, who.count, 3).is_empty(), "4 of 7 records are one person's");
    }

    /// The review's case: a person with `group_size` identical records formed a group alone and
    /// their value was released as it is. With the rules' subject, groups count people.
    #[test]
    fn a_person_with_many_records_never_forms_a_group_alone() {
        let xs: Vec<Option<i64>> = [900, 900, 900, 10, 20, 30, 40, 50, 60].iter().map(|v| Some(*v)).collect();
        let (by_records, _) = applied("action = \"microaggregate\"\ngroup_size = 3", &xs, None);
        assert_eq!(by_records[0], Some(900), "without a subject, three records are a group");
        let who = persons(&[0, 0, 0, 1, 2, 3, 4, 5, 6]);
        let (out, facts) = applied_to("action = \"microaggregate\"\ngroup_size = 3", &xs, None, Some(&who));
        assert_ne!(out[0], Some(900), "{out:?}");
        // Every released value: at least 3 people, none holding over half of its records.
        let mut by_value: std::collections::HashMap<i64, Vec<u32>> = Default::default();
        for (v, p) in out.iter().zip(&who.of_row) {
            by_value.entry(v.unwrap()).or_default().push(*p);
        }
        for (v, ps) in &by_value {
            let mut people = ps.clone();
            people.sort();
            people.dedup();
            assert!(people.len() >= 3, "{v}: {ps:?}");
            let most = people.iter().map(|p| ps.iter().filter(|q| *q == p).count()).max().unwrap();
            assert!(2 * most <= ps.len(), "{v}: {ps:?}");
        }
        assert!(facts.smallest_group_people.unwrap() >= 3);
    }

    #[test]
    fn joint_groups_count_people_too() {
        let plan = plan_with("action = \"microaggregate\"\ngroup_size = 3\ntogether = \"g\"");
        // Person 0 has 3 identical records far from everyone; 6 other people.
        let xs: Vec<Option<i64>> = [1000, 1000, 1000, 1, 2, 3, 4, 5, 6].iter().map(|v| Some(*v)).collect();
        let ys: Vec<Option<i64>> = [500, 500, 500, 1, 1, 2, 2, 3, 3].iter().map(|v| Some(*v)).collect();
        let who = persons(&[0, 0, 0, 1, 2, 3, 4, 5, 6]);
        for method in ["mdav", "sort"] {
            let plan_m = plan_with(&format!(
                "action = \"microaggregate\"\ngroup_size = 3\ntogether = \"g\"\nmethod = \"{method}\""
            ));
            let stage = Stage::new(&plan_m, &[(0, 0), (1, 1)]).unwrap();
            let (mut a, mut b) = (dict_of(&xs), dict_of(&ys));
            let mut t =
                [Target { plan: &plan_m.columns[0], dict: &mut a }, Target { plan: &plan_m.columns[1], dict: &mut b }];
            let cx = Context { plan: &plan, persons: Some(&who), strata: None };
            let facts = stage.units[0].technique.apply(&mut t, &cx, &mut rng()).unwrap();
            let (ra, rb) = (rows_of(&a), rows_of(&b));
            assert_ne!((ra[0], rb[0]), (Some(1000), Some(500)), "{method}");
            let mut by_tuple: std::collections::HashMap<(Option<i64>, Option<i64>), Vec<u32>> = Default::default();
            for r in 0..xs.len() {
                by_tuple.entry((ra[r], rb[r])).or_default().push(who.of_row[r]);
            }
            for (v, ps) in &by_tuple {
                let mut people = ps.clone();
                people.sort();
                people.dedup();
                assert!(people.len() >= 3, "{method} {v:?}: {ps:?}");
                let most = people.iter().map(|p| ps.iter().filter(|q| *q == p).count()).max().unwrap();
                assert!(2 * most <= ps.len(), "{method} {v:?}: one person holds over half: {ps:?}");
            }
            assert!(facts.smallest_group_people.unwrap() >= 3, "{method}");
        }
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
        assert_eq!(aggregate(&[1, 2, 10, 20], &[1, 1, 1, 1], Aggregate::Median), 6);
        assert_eq!(aggregate(&[1, 2, 10], &[1, 3, 1], Aggregate::Median), 2);
        assert_eq!(aggregate(&[1, 2, 10, 21], &[1, 1, 1, 1], Aggregate::Median), 6, "6.5 half away from zero");
        assert_eq!(aggregate(&[-1, -2], &[1, 1], Aggregate::Median), -2, "-1.5 half away from zero");
        assert_eq!(aggregate(&[1, 3], &[1, 3], Aggregate::Mean), 3, "2.5 rounds away from zero");
        assert_eq!(aggregate(&[1, 2], &[2, 1], Aggregate::Mean), 1, "1.33 rounds down");
    }

    /// Beyond 2^53 a double cannot hold every whole number: group means are exact all the same.
    #[test]
    fn means_of_large_numbers_are_exact() {
        let big = 1i64 << 60;
        assert_eq!(aggregate(&[big + 1, big + 2, big + 6], &[1, 1, 1], Aggregate::Mean), big + 3);
        assert_eq!(aggregate(&[i64::MAX, i64::MAX - 2], &[1, 1], Aggregate::Mean), i64::MAX - 1);
        assert_eq!(aggregate(&[i64::MIN, i64::MIN + 2], &[1, 1], Aggregate::Median), i64::MIN + 1);
        let (out, _) = applied(
            "action = \"microaggregate\"\ngroup_size = 3",
            &[Some(big + 1), Some(big + 2), Some(big + 6)],
            None,
        );
        assert_eq!(out, vec![Some(big + 3); 3]);
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
