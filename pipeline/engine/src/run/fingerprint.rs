//! The release's fingerprint for leak tracing: one column's values put in a random order within
//! each k-anonymity class of the kept rows. Every class keeps exactly its values of that column
//! (so k, l, t, every count per class and the rare-value suppression are unchanged); only which
//! row of the class carries which value changes, differently for every release, so a copy of
//! the release can be told from another release of the same data ([`crate::trace`]).

use super::anonymize::Anonymized;
use super::layout::Slot;
use crate::trace::Fingerprint;
use rand::seq::SliceRandom;
use tokumei_rules::{Mode, Role};

/// Reorder the fingerprint column, when the rules or the run ask for one; returns what was done.
pub(super) fn fingerprint(an: &mut Anonymized, provided: bool) -> Option<Fingerprint> {
    let layout = &mut an.enc.layout;
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
    // The permutation moves values between rows of a class: each row gets its own codes first.
    an.each_row();
    let layout = &mut an.enc.layout;
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
    let n = layout.dicts[carrier].codes.len();
    let key_cols: Vec<(&[u32], usize)> =
        keys.iter().map(|(_, d)| (layout.dicts[*d].codes.as_slice(), layout.dicts[*d].len())).collect();
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
    Some(Fingerprint { column: output(carrier_ci), key_columns: keys.iter().map(|(ci, _)| output(*ci)).collect() })
}

/// Shannon entropy (bits) of a column's value counts.
fn entropy(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return 0.0;
    }
    counts.iter().filter(|c| **c > 0).map(|c| *c as f64 / total as f64).map(|p| -p * p.log2()).sum()
}
