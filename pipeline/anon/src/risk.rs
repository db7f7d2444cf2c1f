//! Re-identification risk of a table over chosen quasi-identifiers (works on any table).
//!
//! Prosecutor risk assumes the attacker knows the person is in the data: a record's risk is
//! 1 / its class size. Journalist risk assumes the data is a sample of a population of known
//! size: class sizes in the population are estimated by scaling up by the sampling fraction.
//! Marketer risk is the expected share of records re-identified when every record is
//! attacked. Without a population size the sample is taken as the population.

use rustc_hash::FxHashMap;
use serde::Serialize;

/// One bucket of the class-size histogram.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Bucket {
    /// Sizes covered, e.g. `5-9`.
    pub sizes: String,
    /// Classes.
    pub classes: u64,
    /// Records.
    pub records: u64,
}

/// How many records a combination of quasi-identifiers makes unique.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Combination {
    /// Column names.
    pub columns: Vec<String>,
    /// Distinct value combinations.
    pub distinct: u64,
    /// Records alone in their combination.
    pub unique_records: u64,
}

/// Risk measures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Risk {
    /// Records.
    pub records: u64,
    /// Equivalence classes.
    pub classes: u64,
    /// Smallest class.
    pub min_class_size: u64,
    /// Records alone in their class.
    pub sample_uniques: u64,
    /// Share of records alone in their class.
    pub sample_uniqueness: f64,
    /// Highest prosecutor risk (1 / smallest class).
    pub prosecutor_max: f64,
    /// Average prosecutor risk (classes / records).
    pub prosecutor_avg: f64,
    /// Share of records whose prosecutor risk exceeds `threshold`.
    pub prosecutor_records_at_risk: f64,
    /// The threshold used for records at risk.
    pub threshold: f64,
    /// Population size assumed (records when not given).
    pub population: u64,
    /// Highest journalist risk (1 / smallest estimated population class).
    pub journalist_max: f64,
    /// Average journalist risk over records.
    pub journalist_avg: f64,
    /// Marketer risk: expected share of records re-identified.
    pub marketer: f64,
    /// Class-size histogram.
    pub histogram: Vec<Bucket>,
    /// Combinations of quasi-identifiers and the uniques they make, most uniques first.
    pub combinations: Vec<Combination>,
    /// Smallest number of distinct values per class, per sensitive column.
    pub l_min: Vec<(String, u64)>,
}

const BUCKETS: &[(u64, u64)] =
    &[(1, 1), (2, 2), (3, 4), (5, 9), (10, 19), (20, 49), (50, 99), (100, 999), (1000, u64::MAX)];

/// Classes and records per class-size bucket (1, 2, 3-4, 5-9, ..., 1000+), empty buckets
/// included.
pub fn histogram(sizes: impl Iterator<Item = u64>) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = BUCKETS
        .iter()
        .map(|(lo, hi)| Bucket {
            sizes: if lo == hi {
                lo.to_string()
            } else if *hi == u64::MAX {
                format!("{lo}+")
            } else {
                format!("{lo}-{hi}")
            },
            classes: 0,
            records: 0,
        })
        .collect();
    for s in sizes.filter(|s| *s > 0) {
        if let Some(b) = BUCKETS.iter().position(|(lo, hi)| (*lo..=*hi).contains(&s)) {
            out[b].classes += 1;
            out[b].records += s;
        }
    }
    out
}

/// Replace each id by a dense one, in order of first appearance; returns how many there are.
/// Ids below `radix` (every id) are looked up in a table when it is small, else hashed.
fn compact(ids: &mut [u64], radix: u64) -> u64 {
    if radix <= DENSE_IDS.max(ids.len() as u64 / 4) && ids.iter().all(|id| *id < radix) {
        let mut table = vec![u32::MAX; radix as usize];
        let mut next = 0u32;
        for id in ids.iter_mut() {
            let slot = &mut table[*id as usize];
            if *slot == u32::MAX {
                *slot = next;
                next += 1;
            }
            *id = *slot as u64;
        }
        return next as u64;
    }
    let mut map: FxHashMap<u64, u32> = FxHashMap::default();
    for id in ids.iter_mut() {
        let next = map.len() as u32;
        *id = *map.entry(*id).or_insert(next) as u64;
    }
    map.len() as u64
}

/// Mixed-radix ids up to this many are compacted through a table instead of a hash map.
const DENSE_IDS: u64 = 1 << 16;

/// Group `n` rows by the tuple of their codes in `columns` (each `(codes, cardinality)`):
/// a dense class id per row and each class's size. Codes are combined in mixed radix and
/// compacted to dense ids only when the radix would overflow, so nothing is allocated per row.
pub fn classes(columns: &[(&[u32], usize)], n: usize) -> (Vec<u32>, Vec<u32>) {
    let mut ids = vec![0u64; n];
    let mut radix: u64 = 1;
    for (codes, card) in columns {
        let card = (*card).max(1) as u64;
        if radix.checked_mul(card).is_none_or(|r| r > (1 << 62)) {
            radix = compact(&mut ids, radix).max(1);
        }
        for (id, c) in ids.iter_mut().zip(codes.iter()) {
            *id = *id * card + *c as u64;
        }
        radix *= card;
    }
    let count = compact(&mut ids, radix) as usize;
    let mut sizes = vec![0u32; count];
    let of_row: Vec<u32> = ids
        .into_iter()
        .map(|id| {
            sizes[id as usize] += 1;
            id as u32
        })
        .collect();
    (of_row, sizes)
}

fn group(cols: &[&[u32]], n: usize) -> (Vec<u32>, Vec<u32>) {
    let with_cards: Vec<(&[u32], usize)> =
        cols.iter().map(|c| (*c, c.iter().copied().max().map_or(1, |m| m as usize + 1))).collect();
    classes(&with_cards, n)
}

/// Analyse `qi` (name, codes) and `sensitive` (name, codes) over `n` rows.
pub fn analyze(
    qi: &[(String, &[u32])],
    sensitive: &[(String, &[u32])],
    n: usize,
    population: Option<u64>,
    threshold: f64,
) -> Risk {
    let cols: Vec<&[u32]> = qi.iter().map(|(_, c)| *c).collect();
    let (of_row, sizes) = group(&cols, n);
    let records = n as u64;
    let classes = sizes.len() as u64;
    let min = sizes.iter().copied().min().unwrap_or(0) as u64;
    let uniques = sizes.iter().filter(|s| **s == 1).count() as u64;
    let at_risk: u64 = sizes.iter().filter(|s| 1.0 / **s as f64 > threshold).map(|s| *s as u64).sum();
    let pop = population.unwrap_or(records).max(records);
    let f = if pop == 0 { 1.0 } else { records as f64 / pop as f64 };
    let est = |s: u32| (s as f64 / f).max(s as f64);
    let journalist_max = sizes.iter().map(|s| 1.0 / est(*s)).fold(0.0, f64::max);
    let journalist_avg =
        if records == 0 { 0.0 } else { sizes.iter().map(|s| *s as f64 / est(*s)).sum::<f64>() / records as f64 };
    let mut histogram = histogram(sizes.iter().map(|s| *s as u64));
    histogram.retain(|b| b.classes > 0);
    // Every combination of up to 4 quasi-identifiers (all of them when there are at most 8).
    let m = qi.len();
    let max_size = if m <= 8 { m } else { 4 };
    let mut combinations = Vec::new();
    for mask in 1u32..(1u32 << m.min(20)) {
        let size = mask.count_ones() as usize;
        if size > max_size {
            continue;
        }
        let members: Vec<usize> = (0..m).filter(|a| mask & (1 << a) != 0).collect();
        let sub: Vec<&[u32]> = members.iter().map(|a| cols[*a]).collect();
        let (_, s) = group(&sub, n);
        combinations.push(Combination {
            columns: members.iter().map(|a| qi[*a].0.clone()).collect(),
            distinct: s.len() as u64,
            unique_records: s.iter().filter(|x| **x == 1).count() as u64,
        });
    }
    combinations.sort_by(|a, b| b.unique_records.cmp(&a.unique_records).then(a.columns.len().cmp(&b.columns.len())));
    let l_min = sensitive
        .iter()
        .map(|(name, codes)| {
            let mut seen: rustc_hash::FxHashSet<u64> = Default::default();
            let mut distinct = vec![0u64; sizes.len()];
            for (c, v) in of_row.iter().zip(codes.iter()) {
                if seen.insert(((*c as u64) << 32) | *v as u64) {
                    distinct[*c as usize] += 1;
                }
            }
            (name.clone(), distinct.into_iter().min().unwrap_or(0))
        })
        .collect();
    Risk {
        records,
        classes,
        min_class_size: min,
        sample_uniques: uniques,
        sample_uniqueness: if records == 0 { 0.0 } else { uniques as f64 / records as f64 },
        prosecutor_max: if min == 0 { 0.0 } else { 1.0 / min as f64 },
        prosecutor_avg: if records == 0 { 0.0 } else { classes as f64 / records as f64 },
        prosecutor_records_at_risk: if records == 0 { 0.0 } else { at_risk as f64 / records as f64 },
        threshold,
        population: pop,
        journalist_max,
        journalist_avg,
        marketer: journalist_avg,
        histogram,
        combinations,
        l_min,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The table and the hash map number ids alike: in order of first appearance.
        #[test]
        fn dense_and_hashed_compaction_agree(ids in proptest::collection::vec(0u64..300, 0..400)) {
            let radix = 300;
            let (mut dense, mut hashed) = (ids.clone(), ids.clone());
            let n = compact(&mut dense, radix);
            let m = compact(&mut hashed, u64::MAX);
            prop_assert_eq!(n, m);
            prop_assert_eq!(&dense, &hashed);
            // And an id the radix does not cover is hashed, not indexed out of the table.
            let mut wild = ids.clone();
            wild.push(10_000);
            let k = compact(&mut wild, radix);
            prop_assert_eq!(k, n + u64::from(!ids.contains(&10_000)));
        }
    }

    #[test]
    fn small_table() {
        // Classes: (0,0) x3, (0,1) x1, (1,1) x2.
        let a = [0u32, 0, 0, 0, 1, 1];
        let b = [0u32, 0, 0, 1, 1, 1];
        let s = [0u32, 1, 1, 0, 2, 2];
        let r = analyze(&[("a".into(), &a), ("b".into(), &b)], &[("s".into(), &s)], 6, None, 0.5);
        assert_eq!((r.classes, r.min_class_size, r.sample_uniques), (3, 1, 1));
        assert!((r.prosecutor_avg - 0.5).abs() < 1e-12);
        assert!((r.prosecutor_records_at_risk - 1.0 / 6.0).abs() < 1e-12);
        assert_eq!(r.l_min, vec![("s".to_string(), 1)]);
        assert_eq!(r.combinations[0].columns, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(r.combinations[0].unique_records, 1);
        // A population ten times the sample: journalist risk is a tenth.
        let p = analyze(&[("a".into(), &a), ("b".into(), &b)], &[], 6, Some(60), 0.5);
        assert!((p.journalist_max - 0.1).abs() < 1e-12);
    }
}
