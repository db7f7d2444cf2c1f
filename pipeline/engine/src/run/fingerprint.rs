//! The release's fingerprint for leak tracing: one column's values put in a random order within
//! each k-anonymity class of the kept rows. Every class keeps exactly its values of that column
//! (so k, l, t, every count per class and the rare-value suppression are unchanged); only which
//! row of the class carries which value changes, differently for every release, so a copy of
//! the release can be told from another release of the same data ([`crate::trace`]).

use super::anonymize::Anonymized;
use super::layout::Slot;
use crate::fenwick::Fenwick;
use crate::trace::Fingerprint;
use rand::RngExt;
use rand::seq::SliceRandom;
use rustc_hash::FxHashMap;
use tokumei_rules::{Mode, Role};

/// Reorder the fingerprint column, when the rules or the run ask for one; returns what was done.
pub(super) fn fingerprint(an: &mut Anonymized, provided: bool) -> Option<Fingerprint> {
    let layout = &an.enc.layout;
    let plan = &layout.plan;
    if !plan.fingerprint.unwrap_or(provided && plan.mode == Mode::Anonymized) {
        return None;
    }
    // Where a person has several rows, reordering values between rows would move a value from
    // one person to another (a value held by k people could end up held by fewer): such a
    // release is not fingerprinted; its per-release record codes still tell it apart.
    if an.people.is_some() {
        return None;
    }
    let layout = &an.enc.layout;
    let plan = &layout.plan;
    let columns = &layout.columns;
    let output = |ci: usize| plan.columns[columns[ci].plan].output.clone().unwrap_or_default();
    let keys: Vec<(usize, usize)> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| plan.columns[c.plan].is_privacy_key())
        .filter_map(|(ci, c)| match c.slot {
            Slot::Global(d) => Some((ci, d)),
            Slot::Local(_) => None,
        })
        .collect();
    if keys.len() != columns.iter().filter(|c| plan.columns[c.plan].is_privacy_key()).count() {
        return None;
    }
    let eligible = |ci: usize, d: usize| {
        let c = &plan.columns[columns[ci].plan];
        !c.is_privacy_key()
            && !matches!(c.role, Role::LinkingCode | Role::IdentificationCode | Role::DirectIdentifier)
            && layout.dicts[d].values.len() >= 2
            // Reordering one column of a jointly perturbed group would break its tuples (a
            // microaggregated pair shared by k records could become one record's).
            && c.perturbation().and_then(|p| p.together()).is_none()
    };
    let chosen = columns
        .iter()
        .enumerate()
        .filter_map(|(ci, c)| match c.slot {
            Slot::Global(d) if eligible(ci, d) => Some((ci, d)),
            _ => None,
        })
        // The column the rules name; else an insensitive one: reordering a sensitive column
        // would cut the tie of the values an analysis is made for to the rest of each row, and
        // only an officer may decide that (`fingerprint = "COLUMN"`; `tokumei init` drafts one).
        .filter(|(ci, _)| match &plan.fingerprint_column {
            Some(name) => *name == output(*ci),
            None => plan.columns[columns[*ci].plan].role == Role::Insensitive,
        })
        // The column whose values say the most (entropy over the kept rows): its order carries
        // the most of a fingerprint.
        .max_by(|(_, da), (_, db)| {
            entropy(&an.value_counts[*da])
                .partial_cmp(&entropy(&an.value_counts[*db]))
                .unwrap_or(std::cmp::Ordering::Equal)
        })?;
    let (carrier_ci, carrier) = chosen;
    let fingerprint =
        Fingerprint { column: output(carrier_ci), key_columns: keys.iter().map(|(ci, _)| output(*ci)).collect() };
    let key_dicts: Vec<usize> = keys.iter().map(|(_, d)| *d).collect();
    if !by_combination(an, &key_dicts, carrier) {
        // The permutation moves values between rows of a class: each row gets its own codes.
        an.each_row();
        by_row(an, &key_dicts, carrier);
    }
    Some(fingerprint)
}

/// The fingerprint row by row: the carrier's codes of each class's kept rows shuffled.
fn by_row(an: &mut Anonymized, keys: &[usize], carrier: usize) {
    let layout = &mut an.enc.layout;
    let n = layout.dicts[carrier].codes.len();
    let key_cols: Vec<(&[u32], usize)> =
        keys.iter().map(|d| (layout.dicts[*d].codes.as_slice(), layout.dicts[*d].len())).collect();
    let classes = crate::privacy::classes(&key_cols, n);
    // Kept rows of each class, then a random permutation of the carrier's codes among them.
    let mut start = vec![0usize; classes.sizes.len() + 1];
    for (row, c) in classes.of_row.iter().enumerate() {
        if an.enforcement.keep[row] {
            start[*c as usize + 1] += 1;
        }
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let mut fill = start.clone();
    let mut rows = vec![0usize; start[start.len() - 1]];
    for (row, c) in classes.of_row.iter().enumerate() {
        if an.enforcement.keep[row] {
            rows[fill[*c as usize]] = row;
            fill[*c as usize] += 1;
        }
    }
    let codes = &mut layout.dicts[carrier].codes;
    let mut rng = rand::rng();
    let mut vals = Vec::new();
    for w in start.windows(2) {
        let class = &rows[w[0]..w[1]];
        if class.len() < 2 {
            continue;
        }
        vals.clear();
        vals.extend(class.iter().map(|r| codes[*r]));
        vals.shuffle(&mut rng);
        for (r, v) in class.iter().zip(&vals) {
            codes[*r] = *v;
        }
    }
}

/// The fingerprint over the combination table (`crate::combos`), without giving every
/// dictionary one code per row: each kept row of a class draws its carrier value without
/// replacement from the values its class's kept rows hold (drawn one by one, the values end in
/// a uniformly random order among the rows, as a shuffle puts them), and takes the id of its
/// combination with that value instead of its own; such a combination is added once per
/// (combination, value) drawn. `false` (nothing done) when the rows are not combinations, or
/// when the combinations added could outnumber a quarter of the rows (each costs what a row
/// would): the caller then works row by row.
fn by_combination(an: &mut Anonymized, keys: &[usize], carrier: usize) -> bool {
    let Some(ids) = an.combo_of_row.as_mut() else { return false };
    let dicts = &an.enc.layout.dicts;
    let m = dicts[carrier].codes.len();
    let key_cols: Vec<(&[u32], usize)> = keys.iter().map(|d| (dicts[*d].codes.as_slice(), dicts[*d].len())).collect();
    let class_of = crate::privacy::classes(&key_cols, m).of_row;
    let keep = &an.enforcement.keep;
    let mut kept = vec![0u64; m];
    for (id, _) in ids.iter().zip(keep).filter(|(_, k)| **k) {
        kept[*id as usize] += 1;
    }
    // Each class's distinct carrier codes with their kept rows, classes in order.
    let carried = &dicts[carrier].codes;
    let mut held: Vec<(u32, u32, u64)> =
        (0..m).filter(|c| kept[*c] > 0).map(|c| (class_of[c], carried[c], kept[c])).collect();
    held.sort_unstable();
    held.dedup_by(|b, a| {
        let same = (a.0, a.1) == (b.0, b.1);
        if same {
            a.2 += b.2;
        }
        same
    });
    let classes = class_of.iter().max().map_or(0, |c| *c as usize + 1);
    let mut start = vec![0usize; classes + 1];
    for (class, _, _) in &held {
        start[*class as usize + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    // At most one combination added per (combination, value of its class) and per row drawn.
    let values_of = |c: usize| (start[class_of[c] as usize + 1] - start[class_of[c] as usize]) as u64;
    let bound: u64 = (0..m).filter(|c| values_of(*c) > 1).map(|c| kept[c].min(values_of(c))).sum();
    if bound > added_bound(ids.len()) {
        return false;
    }
    // A tree only for a class with several values (the others keep theirs).
    let mut left: Vec<Option<(Fenwick, u64)>> = start
        .windows(2)
        .map(|w| {
            let counts: Vec<u64> = held[w[0]..w[1]].iter().map(|h| h.2).collect();
            (counts.len() > 1).then(|| (Fenwick::of(&counts), counts.iter().sum()))
        })
        .collect();
    let mut rng = rand::rng();
    let mut made: FxHashMap<(u32, u32), u32> = FxHashMap::default();
    let mut added: Vec<(u32, u32)> = Vec::new();
    for (id, _) in ids.iter_mut().zip(keep).filter(|(_, k)| **k) {
        let c = *id as usize;
        let class = class_of[c] as usize;
        let Some((tree, total)) = left[class].as_mut() else { continue };
        let at = tree.kth(rng.random_range(0..*total));
        tree.remove(at);
        *total -= 1;
        let value = held[start[class] + at].1;
        if value != carried[c] {
            *id = *made.entry((*id, value)).or_insert_with(|| {
                added.push((*id, value));
                (m + added.len() - 1) as u32
            });
        }
    }
    add_combinations(an, &added, carrier);
    #[cfg(debug_assertions)]
    if std::env::var_os("TOKUMEI_TEST_COMBOS").is_some() {
        eprintln!("test: the fingerprint drew over {m} combinations ({} added)", added.len());
    }
    true
}

/// The most combinations a fingerprint may add over `rows` rows (a quarter of them, or 65,536),
/// or in builds with debug assertions `TOKUMEI_TEST_FINGERPRINT_BOUND` when set.
fn added_bound(rows: usize) -> u64 {
    #[cfg(debug_assertions)]
    if let Some(n) = std::env::var("TOKUMEI_TEST_FINGERPRINT_BOUND").ok().and_then(|v| v.parse().ok()) {
        return n;
    }
    (rows as u64 / 4).max(1 << 16)
}

/// Combinations `(of, value)` appended after the others: combination `of`'s codes, its class
/// and its input codes, with the carrier's code `value`.
fn add_combinations(an: &mut Anonymized, added: &[(u32, u32)], carrier: usize) {
    let of: Vec<u32> = added.iter().map(|a| a.0).collect();
    for (d, dict) in an.enc.layout.dicts.iter_mut().enumerate() {
        let more: Vec<u32> = match d == carrier {
            true => added.iter().map(|a| a.1).collect(),
            false => of.iter().map(|c| dict.codes[*c as usize]).collect(),
        };
        dict.codes.extend(more);
    }
    let classes = &mut an.classes.of_row;
    let more: Vec<u32> = of.iter().map(|c| classes[*c as usize]).collect();
    classes.extend(more);
    an.snapshot.append(&of);
}

/// Shannon entropy (bits) of a column's value counts.
fn entropy(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return 0.0;
    }
    counts.iter().filter(|c| **c > 0).map(|c| *c as f64 / total as f64).map(|p| -p * p.log2()).sum()
}
