//! People, not rows: the privacy models count the people a class holds, not its records.
//!
//! Municipal extracts often hold several records per person (one tax row per year, one claim
//! per service, a one-to-many join of a job's query). An attacker who knows one of a person's
//! records singles out a class of *people*, so k, l, t, the average risk, rare values and the
//! release risk count distinct people by the rules' `subject` column.
//!
//! When a person's records fall in several classes, the person is judged by the **set** of
//! classes their records have (the person's signature): people with equal signatures form one
//! class, and the class holds all their records. An attacker who knows any number of a
//! person's records (any subset of the signature) then still finds at least as many candidates
//! as the class has people. This is the person-level view of k-anonymity for data with several
//! records per individual (Gong et al., "Anonymizing 1:M microdata with high utility",
//! Knowledge-Based Systems 2017; Nergiz, Clifton & Nergiz, "Multirelational k-anonymity",
//! IEEE TKDE 2009), stricter than counting records.

use crate::privacy::Classes;
use rustc_hash::FxHashMap;

pub use tokumei_report::PeopleCounts;

/// The subject hash of a row with no subject value (never the hash of a value).
pub const NO_SUBJECT: u64 = 0;

/// The hash of one subject identifier (already normalised) under the run's random key `key`
/// (SipHash-1-3): never [`NO_SUBJECT`]. Past a bound the hashes go to an unnamed file in the
/// staging folder ([`crate::row_hashes`]); without the key, which lives in memory for the run
/// only, they cannot be tried against guessed identifiers. Collisions can only merge two people
/// into one, which makes every count smaller (safer), never larger.
pub fn subject_hash(key: &std::hash::RandomState, normalized: &str) -> u64 {
    std::hash::BuildHasher::hash_one(key, normalized).max(1)
}

/// Each row's person.
///
/// What links rows in the release (a released code, else the subject itself) is the *unit* an
/// attacker can follow: classes are made of units by the set of key values each has. What a
/// class counts is people: units whose subjects are one person (`A1` and `Ａ１`, one person
/// written two ways, released under two codes) count once.
#[derive(Debug, Clone, PartialEq)]
pub struct People {
    /// Dense unit id of each row.
    pub of_row: Vec<u32>,
    /// Number of units.
    pub units: u32,
    /// The person of each unit, when a person can have several units.
    pub person_of_unit: Option<Vec<u32>>,
    /// Number of people.
    pub count: u32,
    /// Most rows any one person has.
    pub max_rows: u32,
}

impl People {
    /// The person of unit `u`.
    fn person(&self, u: u32) -> u32 {
        self.person_of_unit.as_ref().map_or(u, |p| p[u as usize])
    }
}

/// How many people the rows are, and how many rows the busiest person has, from each row's
/// subject hash; rows without a subject ([`NO_SUBJECT`]) are each a person of their own. The
/// hashes are sorted in two halves on two threads and walked in merged order.
pub fn census(hashes: &[u64]) -> (u64, u64) {
    let mut sorted: Vec<u64> = hashes.iter().copied().filter(|h| *h != NO_SUBJECT).collect();
    let blank = (hashes.len() - sorted.len()) as u64;
    let mid = sorted.len() / 2;
    let (a, b) = sorted.split_at_mut(mid);
    if a.len() >= 1 << 16 {
        std::thread::scope(|scope| {
            scope.spawn(|| a.sort_unstable());
            b.sort_unstable();
        });
    } else {
        a.sort_unstable();
        b.sort_unstable();
    }
    let (a, b) = sorted.split_at(mid);
    let (mut i, mut j) = (0, 0);
    let mut runs = Runs::default();
    while i < a.len() || j < b.len() {
        let h = if j >= b.len() || (i < a.len() && a[i] <= b[j]) {
            i += 1;
            a[i - 1]
        } else {
            j += 1;
            b[j - 1]
        };
        runs.add(h);
    }
    runs.census(blank)
}

/// The distinct values of a sorted stream and its longest run of one value.
#[derive(Default)]
pub(crate) struct Runs {
    distinct: u64,
    longest: u64,
    run: u64,
    last: Option<u64>,
}

impl Runs {
    /// The next value, in sorted order.
    pub(crate) fn add(&mut self, h: u64) {
        if self.last != Some(h) {
            self.distinct += 1;
            self.run = 0;
            self.last = Some(h);
        }
        self.run += 1;
        self.longest = self.longest.max(self.run);
    }

    /// The counts of a sorted stream followed by `higher`, one of values all greater (the
    /// stream's last value and run are `higher`'s, or this one's when `higher` is empty).
    pub(crate) fn then(self, higher: Runs) -> Runs {
        if higher.last.is_none() {
            return self;
        }
        Runs { distinct: self.distinct + higher.distinct, longest: self.longest.max(higher.longest), ..higher }
    }

    /// People and the most rows of one, with `blank` rows each a person of their own.
    pub(crate) fn census(&self, blank: u64) -> (u64, u64) {
        (self.distinct + blank, self.longest.max(u64::from(blank > 0)))
    }
}

/// Dense ids of hashes in order of first appearance; [`NO_SUBJECT`] rows each get their own.
fn dense(hashes: &[u64], expected: usize) -> (Vec<u32>, u32) {
    let mut ids: FxHashMap<u64, u32> = FxHashMap::default();
    ids.reserve(expected);
    let mut next = 0u32;
    let of_row = hashes
        .iter()
        .map(|h| {
            if *h == NO_SUBJECT {
                next += 1;
                return next - 1;
            }
            *ids.entry(*h).or_insert_with(|| {
                next += 1;
                next - 1
            })
        })
        .collect();
    (of_row, next)
}

/// [`from_census`] counting the hashes first.
#[cfg(test)]
pub fn from_hashes(hashes: &[u64], units: &[u64]) -> Option<People> {
    from_census(hashes, units, census(hashes))
}

/// The people of the rows from each row's subject hash (and the hashes' [`census`]) and, when
/// the subject is released as a code, each row's hash of the code's value (`units`, else
/// empty, as when every row's equals its subject hash: the units are then the subjects);
/// `None` when every row is a different person and a different unit (then rows are
/// people and nothing changes).
pub fn from_census(hashes: &[u64], units: &[u64], (count, max_rows): (u64, u64)) -> Option<People> {
    debug_assert!(units.is_empty() || units.len() == hashes.len());
    // Rows with one code value have one subject (the code's normalisation is never coarser
    // than the subject's), so when the subjects are all different the codes are too.
    if count == hashes.len() as u64 {
        return None;
    }
    let unit_count = if units.is_empty() { count } else { census(units).0 };
    let (person_of_row, count) = dense(hashes, count as usize);
    if units.is_empty() {
        return Some(People {
            of_row: person_of_row,
            units: count,
            person_of_unit: None,
            count,
            max_rows: max_rows as u32,
        });
    }
    // A unit's rows have one code value, so one subject: its person is any row's.
    let (of_row, n_units) = dense(units, unit_count as usize);
    let mut person_of_unit = vec![u32::MAX; n_units as usize];
    for (u, p) in of_row.iter().zip(&person_of_row) {
        let slot = &mut person_of_unit[*u as usize];
        // Two people under one code (a code's normalisation is coarser than the subject's):
        // the code links them, so they count as one (the first), which is safer.
        if *slot == u32::MAX {
            *slot = *p;
        }
    }
    Some(People { of_row, units: n_units, person_of_unit: Some(person_of_unit), count, max_rows: max_rows as u32 })
}

/// The classes of people: every row takes the class of its person's signature (the set of
/// row classes the person's rows have), and a class's size is the number of its people.
/// Returns the classes and the number of people whose rows fall in more than one row class.
pub fn classes(rows: &Classes, people: &People) -> (Classes, u64) {
    // (person, row class) pairs, sorted: each person's classes in one run.
    let mut pairs: Vec<u64> =
        people.of_row.iter().zip(&rows.of_row).map(|(p, c)| (u64::from(*p) << 32) | u64::from(*c)).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut single: Vec<u32> = vec![u32::MAX; rows.sizes.len()];
    let mut several: FxHashMap<Vec<u32>, u32> = FxHashMap::default();
    let mut sizes: Vec<u32> = Vec::new();
    let mut class_of_person = vec![u32::MAX; people.units as usize];
    let mut spread = 0u64;
    let mut i = 0;
    while i < pairs.len() {
        let person = (pairs[i] >> 32) as u32;
        let mut j = i;
        while j < pairs.len() && (pairs[j] >> 32) as u32 == person {
            j += 1;
        }
        let id = if j - i == 1 {
            let c = pairs[i] as u32 as usize;
            if single[c] == u32::MAX {
                single[c] = sizes.len() as u32;
                sizes.push(0);
            }
            single[c]
        } else {
            spread += 1;
            let signature: Vec<u32> = pairs[i..j].iter().map(|p| *p as u32).collect();
            let next = sizes.len() as u32;
            let id = *several.entry(signature).or_insert(next);
            if id == next {
                sizes.push(0);
            }
            id
        };
        sizes[id as usize] += 1;
        class_of_person[person as usize] = id;
        i = j;
    }
    // A class counts people: units of one person count once.
    if people.person_of_unit.is_some() {
        let mut pairs: Vec<u64> = (0..people.units)
            .map(|u| (u64::from(class_of_person[u as usize]) << 32) | u64::from(people.person(u)))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        sizes.iter_mut().for_each(|s| *s = 0);
        for p in pairs {
            sizes[(p >> 32) as usize] += 1;
        }
    }
    let of_row = people.of_row.iter().map(|p| class_of_person[*p as usize]).collect();
    (Classes { of_row, sizes }, spread)
}

/// One row for each distinct (person, codes) combination: the first row of each, in row
/// order. What a distribution counts when each of a person's values counts once.
pub fn distinct_rows(people: &People, codes: &[&[u32]]) -> Vec<u32> {
    let mut seen: rustc_hash::FxHashSet<(u32, Vec<u32>)> = Default::default();
    let mut rows = Vec::new();
    for (r, p) in people.of_row.iter().enumerate() {
        let key: Vec<u32> = codes.iter().map(|c| c[r]).collect();
        if seen.insert((*p, key)) {
            rows.push(r as u32);
        }
    }
    rows
}

/// Distinct people holding each code (of `cardinality`) among the kept rows.
pub fn value_people(people: &People, codes: &[u32], keep: &[bool], cardinality: usize) -> Vec<u64> {
    let mut pairs: Vec<u64> = people
        .of_row
        .iter()
        .zip(codes)
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|((u, c), _)| (u64::from(*c) << 32) | u64::from(people.person(*u)))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut counts = vec![0u64; cardinality];
    for p in pairs {
        counts[(p >> 32) as usize] += 1;
    }
    counts
}

/// For an ordered column: per rank, the people whose largest ranked value among the kept rows
/// has that rank, and those whose smallest has it (`rank[code]`, `u32::MAX` for a code that is
/// no value: null or suppressed). A person's rows count once at each end.
pub fn extremes(people: &People, codes: &[u32], keep: &[bool], rank: &[u32], ranks: usize) -> (Vec<u64>, Vec<u64>) {
    let mut largest = vec![u32::MAX; people.count as usize];
    let mut smallest = vec![u32::MAX; people.count as usize];
    for ((u, c), k) in people.of_row.iter().zip(codes).zip(keep) {
        let r = rank[*c as usize];
        if !*k || r == u32::MAX {
            continue;
        }
        let p = people.person(*u) as usize;
        if largest[p] == u32::MAX || r > largest[p] {
            largest[p] = r;
        }
        if r < smallest[p] {
            smallest[p] = r;
        }
    }
    let count = |of: &[u32]| {
        let mut n = vec![0u64; ranks];
        for r in of.iter().filter(|r| **r != u32::MAX) {
            n[*r as usize] += 1;
        }
        n
    };
    (count(&largest), count(&smallest))
}

/// The classes in which one value is held by every person of the class (an attacker who knows
/// someone is in the class learns it, however many other values some of them hold): from each
/// distinct (unit, value) row's class, value and unit, and each class's people.
pub fn disclosed(people: &People, of_row: &[u32], codes: &[u32], units: &[u32], sizes: &[u32]) -> Vec<u32> {
    let mut triples: Vec<(u32, u32, u32)> =
        of_row.iter().zip(codes).zip(units).map(|((c, v), u)| (*c, *v, people.person(*u))).collect();
    triples.sort_unstable();
    triples.dedup();
    let mut out = Vec::new();
    let mut i = 0;
    while i < triples.len() {
        let (class, value, _) = triples[i];
        let mut j = i;
        while j < triples.len() && triples[j].0 == class && triples[j].1 == value {
            j += 1;
        }
        let size = sizes[class as usize] as usize;
        if size > 0 && j - i == size && out.last() != Some(&class) {
            out.push(class);
        }
        i = j;
    }
    out
}

/// Distinct people among the kept rows.
pub fn kept(people: &People, keep: &[bool]) -> u64 {
    let mut seen = vec![false; people.count as usize];
    let mut n = 0u64;
    for (u, k) in people.of_row.iter().zip(keep) {
        if *k && !std::mem::replace(&mut seen[people.person(*u) as usize], true) {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_what_the_release_links_and_classes_count_their_people() {
        // Person 1 written two ways (two codes, one in each class); person 2 one code in both
        // classes; persons 3, 4 in class 2.
        let subjects = [1, 1, 2, 2, 3, 4];
        let units = [10, 11, 20, 20, 30, 40];
        let p = from_hashes(&subjects, &units).expect("units differ from rows");
        assert_eq!((p.units, p.count), (5, 4));
        let rows = Classes { of_row: vec![0, 1, 0, 1, 2, 2], sizes: vec![2, 2, 2] };
        let (c, spread) = classes(&rows, &p);
        // Units: 10 {0}, 11 {1}, 20 {0,1}, 30 {2}, 40 {2}: person 2 alone in {0,1}, person 1's
        // units alone in {0} and {1}, persons 3 and 4 in {2}.
        assert_eq!(spread, 1);
        let size_of_row: Vec<u32> = c.of_row.iter().map(|k| c.sizes[*k as usize]).collect();
        assert_eq!(size_of_row, vec![1, 1, 1, 1, 2, 2]);
        // Two units of one person in one class count once.
        let rows = Classes { of_row: vec![0, 0, 1, 1, 1, 1], sizes: vec![2, 4] };
        let (c, _) = classes(&rows, &p);
        assert_eq!(c.sizes[c.of_row[0] as usize], 1, "units 10 and 11 are one person");
        assert_eq!(kept(&p, &[true; 6]), 4);
        assert_eq!(value_people(&p, &[0, 0, 0, 0, 1, 1], &[true; 6], 2), vec![2, 2]);
    }

    fn people(of: &[u64]) -> People {
        from_hashes(&of.iter().map(|h| h + 1).collect::<Vec<_>>(), &[]).expect("several rows per person")
    }

    /// A person's rows count once at each end of an ordered column: at their largest value for
    /// the top, at their smallest for the bottom; suppressed rows and unranked codes not at all.
    #[test]
    fn each_person_counts_once_at_each_end() {
        // Person 0: ranks 0 and 2; person 1: rank 2 twice; person 2: rank 1 (and a suppressed
        // row at rank 0); person 3: only a null (code 3, unranked).
        let p = people(&[0, 0, 1, 1, 2, 2, 3]);
        let codes = [0, 2, 2, 2, 1, 0, 3];
        let keep = [true, true, true, true, true, false, true];
        let rank = [0, 1, 2, u32::MAX];
        let (top, bottom) = extremes(&p, &codes, &keep, &rank, 3);
        assert_eq!(top, vec![0, 1, 2]);
        assert_eq!(bottom, vec![1, 1, 1]);
    }

    #[test]
    fn one_row_per_person_changes_nothing() {
        assert_eq!(from_hashes(&[5, 6, 7, NO_SUBJECT, NO_SUBJECT], &[]), None);
        assert_eq!(from_hashes(&[5, 6, 7], &[15, 16, 17]), None);
        assert_eq!(census(&[5, 6, 5, NO_SUBJECT]), (3, 2));
        // The two-thread path agrees with a plain count.
        let many: Vec<u64> = (0..200_000u64).map(|i| (i * 7919) % 150_001 + 1).collect();
        let mut plain = many.clone();
        plain.sort_unstable();
        plain.dedup();
        assert_eq!(census(&many).0, plain.len() as u64);
    }

    #[test]
    fn classes_count_people_and_follow_signatures() {
        // Persons 0..4; person 0 has rows in classes 0 and 1, the others one class each.
        let p = people(&[0, 0, 1, 1, 1, 2, 3, 3]);
        assert_eq!((p.count, p.max_rows), (4, 3));
        let rows = Classes { of_row: vec![0, 1, 0, 0, 0, 0, 1, 1], sizes: vec![5, 3] };
        let (c, spread) = classes(&rows, &p);
        assert_eq!(spread, 1);
        // Person 0 alone in signature {0,1}; persons 1, 2 in {0}; person 3 in {1}.
        let person_class: Vec<u32> = (0..4).map(|q| c.of_row[p.of_row.iter().position(|x| *x == q).unwrap()]).collect();
        assert_eq!(c.sizes[person_class[0] as usize], 1);
        assert_eq!(c.sizes[person_class[1] as usize], 2);
        assert_eq!(person_class[1], person_class[2]);
        assert_eq!(c.sizes[person_class[3] as usize], 1);
        assert_eq!(c.sizes.iter().sum::<u32>(), 4);
        // Every row of a person is in the person's class.
        for (r, q) in p.of_row.iter().enumerate() {
            assert_eq!(c.of_row[r], person_class[*q as usize]);
        }
    }

    #[test]
    fn values_and_kept_count_people() {
        let p = people(&[0, 0, 0, 1, 2]);
        let codes = [1u32, 1, 0, 1, 0];
        assert_eq!(value_people(&p, &codes, &[true; 5], 2), vec![2, 2]);
        assert_eq!(value_people(&p, &codes, &[false, false, false, true, true], 2), vec![1, 1]);
        assert_eq!(kept(&p, &[true, true, false, false, true]), 2);
        assert_eq!(distinct_rows(&p, &[&codes]), vec![0, 2, 3, 4]);
    }

    #[test]
    fn a_value_every_person_of_a_class_holds_is_disclosed() {
        // Class 0: person 0 (HIV, flu), person 1 (HIV): both hold HIV. Class 1: person 2 (HIV),
        // person 3 (flu).
        let p = people(&[0, 0, 1, 2, 3]);
        let rows = [0u32, 1, 2, 3, 4];
        let of_row: Vec<u32> = vec![0, 0, 0, 1, 1];
        let codes = [7u32, 8, 7, 7, 8];
        let units: Vec<u32> = rows.iter().map(|r| p.of_row[*r as usize]).collect();
        assert_eq!(disclosed(&p, &of_row, &codes, &units, &[2, 2]), vec![0]);
    }
}
