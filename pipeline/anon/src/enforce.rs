//! The fixed-level path's question to the privacy models: given one transformation's
//! equivalence classes, which to suppress, and what the kept table achieves. The search asks
//! the same [`violated`] about each class of each node it evaluates.

use crate::models::{Achieved, Class, ClassDistribution, Global, Model, Table, need_distributions, violated};

/// The models' verdict on a table's classes.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// For each class, the index of the first model it violates (it is suppressed), if any.
    pub violated: Vec<Option<usize>>,
    /// Each model's measure over the kept table (`None` when nothing is kept or the value is
    /// not finite).
    pub achieved: Vec<Option<f64>>,
    /// The kept table.
    pub kept: Table,
    /// Indices of the table-level models the kept table fails.
    pub table_failures: Vec<usize>,
}

/// Judge the classes given by `of_row` (a class id per row) and `sizes` (each class's size),
/// with `sensitive[i]` the codes per row of sensitive column `i` and `globals[i]` its table-wide
/// distribution.
pub fn judge(of_row: &[u32], sizes: &[u32], sensitive: &[&[u32]], globals: &[Global], models: &[Model]) -> Verdict {
    let columns: Vec<(&[u32], &[u32])> = sensitive.iter().map(|codes| (of_row, *codes)).collect();
    judge_columns(sizes, &columns, globals, models)
}

/// [`judge`] with each sensitive column counted over its own rows: `sensitive[i]` is (the class
/// of each row, the code of each row) of column `i` (when a class counts people with several
/// rows each, each person's distinct values of that column).
pub fn judge_columns(sizes: &[u32], sensitive: &[(&[u32], &[u32])], globals: &[Global], models: &[Model]) -> Verdict {
    judge_weighted(sizes, sensitive, None, globals, models)
}

/// [`judge_columns`] with each row standing for `weights[i]` records when given (a table of
/// combinations of codes with their rows: `sizes` are then the classes' records, the sums of
/// their rows' weights). The verdict is the one of the table with each row repeated.
pub fn judge_weighted(
    sizes: &[u32],
    sensitive: &[(&[u32], &[u32])],
    weights: Option<&[u32]>,
    globals: &[Global],
    models: &[Model],
) -> Verdict {
    let dists: Vec<Vec<Vec<(u32, u32)>>> = if need_distributions(models) {
        sensitive.iter().map(|(of_row, codes)| weighted_distributions(of_row, sizes.len(), codes, weights)).collect()
    } else {
        Vec::new()
    };
    let mut scratch = Vec::new();
    let mut achieved = Achieved::new(models);
    let mut kept = Table { classes: 0, records: 0 };
    let mut verdicts = Vec::with_capacity(sizes.len());
    let mut class_dists: Vec<ClassDistribution> = Vec::with_capacity(dists.len());
    for (c, size) in sizes.iter().enumerate() {
        class_dists.clear();
        // A distribution's size is what it counts: the class's rows, or, when a class counts
        // people with several rows each, each person's distinct values.
        class_dists.extend(
            dists.iter().map(|per| ClassDistribution { counts: &per[c], size: per[c].iter().map(|(_, n)| n).sum() }),
        );
        let class = Class { size: *size, dists: &class_dists, globals };
        let v = if *size == 0 { None } else { violated(models, &class, &mut scratch) };
        if v.is_none() && *size > 0 {
            kept.classes += 1;
            kept.records += *size as u64;
            achieved.add(models, &class, &mut scratch);
        }
        verdicts.push(v);
    }
    let table_failures = models.iter().enumerate().filter(|(_, m)| !m.table_satisfied(&kept)).map(|(i, _)| i).collect();
    let achieved = if kept.records == 0 { vec![None; models.len()] } else { achieved.finish(models, &kept) };
    Verdict { violated: verdicts, achieved, kept, table_failures }
}

/// Per class, the `(code, count)` distribution of `codes` (by code). Counted in a table of
/// classes by codes when that is small next to the rows, else by sorting (class, code) pairs.
pub fn distributions(of_row: &[u32], classes: usize, codes: &[u32]) -> Vec<Vec<(u32, u32)>> {
    weighted_distributions(of_row, classes, codes, None)
}

/// [`distributions`] with each row counted `weights[i]` times when given.
pub fn weighted_distributions(
    of_row: &[u32],
    classes: usize,
    codes: &[u32],
    weights: Option<&[u32]>,
) -> Vec<Vec<(u32, u32)>> {
    let weight = |i: usize| weights.map_or(1, |w| w[i]);
    let values = codes.iter().copied().max().map_or(0, |m| m as usize + 1);
    let cells = classes.saturating_mul(values);
    if cells <= (of_row.len() / 2).max(1 << 16) && of_row.iter().all(|c| (*c as usize) < classes) {
        let mut counts = vec![0u32; cells];
        for (i, (c, v)) in of_row.iter().zip(codes).enumerate() {
            counts[*c as usize * values + *v as usize] += weight(i);
        }
        return counts
            .chunks(values.max(1))
            .take(classes)
            .map(|row| row.iter().enumerate().filter(|(_, n)| **n > 0).map(|(v, n)| (v as u32, *n)).collect())
            .chain(std::iter::repeat_with(Vec::new))
            .take(classes)
            .collect();
    }
    sorted_distributions(of_row, classes, codes, weights)
}

fn sorted_distributions(
    of_row: &[u32],
    classes: usize,
    codes: &[u32],
    weights: Option<&[u32]>,
) -> Vec<Vec<(u32, u32)>> {
    let mut pairs: Vec<(u64, u32)> = of_row
        .iter()
        .zip(codes)
        .enumerate()
        .map(|(i, (c, v))| (((*c as u64) << 32) | *v as u64, weights.map_or(1, |w| w[i])))
        .collect();
    pairs.sort_unstable();
    let mut out: Vec<Vec<(u32, u32)>> = vec![Vec::new(); classes];
    let mut i = 0;
    while i < pairs.len() {
        let mut j = i;
        let mut count = 0u32;
        while j < pairs.len() && pairs[j].0 == pairs[i].0 {
            count += pairs[j].1;
            j += 1;
        }
        out[(pairs[i].0 >> 32) as usize].push((pairs[i].0 as u32, count));
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Counting in a table and sorting pairs give the same distributions.
        #[test]
        fn counted_and_sorted_distributions_agree(
            rows in proptest::collection::vec((0u32..20, 0u32..12), 0..500),
            extra in 0usize..3,
        ) {
            let of_row: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let codes: Vec<u32> = rows.iter().map(|r| r.1).collect();
            let classes = of_row.iter().max().map_or(0, |m| *m as usize + 1) + extra;
            prop_assert_eq!(
                distributions(&of_row, classes, &codes),
                sorted_distributions(&of_row, classes, &codes, None)
            );
        }

        /// Rows counted with weights give the distributions of the rows repeated.
        #[test]
        fn weighted_distributions_are_those_of_the_rows_repeated(
            rows in proptest::collection::vec((0u32..20, 0u32..12, 1u32..5), 0..300),
        ) {
            let of_row: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let codes: Vec<u32> = rows.iter().map(|r| r.1).collect();
            let weights: Vec<u32> = rows.iter().map(|r| r.2).collect();
            let repeated: Vec<(u32, u32)> =
                rows.iter().flat_map(|r| std::iter::repeat_n((r.0, r.1), r.2 as usize)).collect();
            let (rep_rows, rep_codes): (Vec<u32>, Vec<u32>) = repeated.into_iter().unzip();
            let classes = of_row.iter().max().map_or(0, |m| *m as usize + 1);
            let expected = distributions(&rep_rows, classes, &rep_codes);
            prop_assert_eq!(&weighted_distributions(&of_row, classes, &codes, Some(&weights)), &expected);
            prop_assert_eq!(&sorted_distributions(&of_row, classes, &codes, Some(&weights)), &expected);
        }
    }
    use crate::models::{DistinctL, TCloseness};

    #[test]
    fn suppresses_violating_classes_and_measures_the_rest() {
        // Classes 0 (3 rows, values 0,1,0), 1 (3 rows, all 2), 2 (1 row).
        let of_row = [0, 0, 0, 1, 1, 1, 2];
        let sizes = [3, 3, 1];
        let sens = [0u32, 1, 0, 2, 2, 2, 1];
        let models = vec![Model::k_anonymity(2), Model::class(DistinctL { column: 0, l: 2 })];
        let g = [Global::from_codes(&sens, 3, None, None)];
        let v = judge(&of_row, &sizes, &[&sens], &g, &models);
        assert_eq!(v.violated, vec![None, Some(1), Some(0)]);
        assert_eq!(v.kept, Table { classes: 1, records: 3 });
        assert_eq!(v.achieved, vec![Some(3.0), Some(2.0)]);
        // A t so small that every class fails: nothing kept, nothing achieved.
        let models = vec![Model::k_anonymity(1), Model::class(TCloseness { column: 0, t: 0.01 })];
        let v = judge(&of_row, &sizes, &[&sens], &g, &models);
        assert!(v.violated.iter().all(|x| *x == Some(1)));
        assert_eq!(v.achieved, vec![None, None]);
    }
}
