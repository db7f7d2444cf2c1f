//! Distance-based record linkage (sdcMicro `dRisk`-like): for the perturbed numeric columns
//! taken together, each standardised by the input's standard deviation, the share of released
//! records whose nearest released record (Euclidean) to their own input values is their own. An
//! attacker holding a person's true values and choosing at random among equally near released
//! records links them with probability 1/m when m records tie: that is what a record counts.
//!
//! One column: exact over every released record (sorted, two binary searches per record).
//! Several: exact nearest neighbours over every released record, for every record up to
//! [`SAMPLE`] records and for a random sample of [`SAMPLE`] above (an estimate, said so with the
//! sample's size); the search walks outward from the record's place in the order of the first
//! column and stops as soon as a nearer record is found or the first column alone is farther
//! than its own, so it stays fast on millions of rows.

use super::Original;
use crate::privacy::Dictionary;
use rand::seq::SliceRandom;
use tokumei_report::LinkageRisk;

/// Records looked at, at most.
pub(crate) const SAMPLE: usize = 10_000;

/// The linkage risk of the kept rows (`keep`) over the perturbed numeric columns `originals`
/// (released values from their dictionaries now), named `names`; `None` without such columns
/// or records.
pub(crate) fn linkage(
    originals: &[Original],
    dicts: &[Dictionary],
    keep: &[bool],
    names: Vec<String>,
) -> Option<LinkageRisk> {
    if originals.is_empty() {
        return None;
    }
    let p = originals.len();
    let released: Vec<Vec<f64>> = originals.iter().map(|o| super::number_table(&dicts[o.dict].values)).collect();
    // Rows kept with every value before and after, standardised: (input point, released point).
    let mut xs: Vec<f64> = Vec::new();
    let mut ys: Vec<f64> = Vec::new();
    'rows: for (row, kept) in keep.iter().enumerate() {
        if !kept {
            continue;
        }
        let start = xs.len();
        for (j, o) in originals.iter().enumerate() {
            let (x, y) = (o.values[o.codes[row] as usize], released[j][dicts[o.dict].codes[row] as usize]);
            if !(x.is_finite() && y.is_finite()) {
                xs.truncate(start);
                ys.truncate(start);
                continue 'rows;
            }
            let sd = if o.sd > 0.0 { o.sd } else { 1.0 };
            xs.push(x / sd);
            ys.push(y / sd);
        }
    }
    let n = xs.len() / p;
    if n == 0 {
        return None;
    }
    let (credit, sampled) = if p == 1 { (one_column(&xs, &ys), n) } else { several(&xs, &ys, p) };
    Some(LinkageRisk {
        columns: names,
        records: n as u64,
        sampled: sampled as u64,
        estimate: sampled < n,
        linked: credit,
        share: credit / sampled as f64,
    })
}

/// One column, exactly: each record's credit (1/m when its own released value is among the m
/// nearest, 0 when another is nearer), summed.
fn one_column(xs: &[f64], ys: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = ys.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut credit = 0.0;
    for (x, y) in xs.iter().zip(ys) {
        let d = (y - x).abs();
        let (lo, hi) = (x - d, x + d);
        // Strictly nearer: in (lo, hi); as near: exactly lo or hi.
        let inner_from = sorted.partition_point(|v| *v <= lo);
        let inner_to = sorted.partition_point(|v| *v < hi);
        if d > 0.0 && inner_to > inner_from {
            continue;
        }
        let ties = if d == 0.0 {
            sorted.partition_point(|v| *v <= *x) - sorted.partition_point(|v| *v < *x)
        } else {
            (sorted.partition_point(|v| *v <= lo) - sorted.partition_point(|v| *v < lo))
                + (sorted.partition_point(|v| *v <= hi) - sorted.partition_point(|v| *v < hi))
        };
        credit += 1.0 / ties.max(1) as f64;
    }
    credit
}

fn dist2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Several columns: the summed credit of the records looked at (all, or a random sample of
/// [`SAMPLE`]), and how many were looked at.
fn several(xs: &[f64], ys: &[f64], p: usize) -> (f64, usize) {
    let n = xs.len() / p;
    let point = |v: &[f64], i: usize| -> Vec<f64> { v[i * p..(i + 1) * p].to_vec() };
    // Released records in the order of their first column.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| ys[a * p].total_cmp(&ys[b * p]));
    let first: Vec<f64> = order.iter().map(|i| ys[i * p]).collect();
    let mut look: Vec<usize> = (0..n).collect();
    if n > SAMPLE {
        look.shuffle(&mut rand::rng());
        look.truncate(SAMPLE);
    }
    let mut credit = 0.0;
    for &i in &look {
        let (x, own) = (point(xs, i), point(ys, i));
        let d_own = dist2(&x, &own);
        let reach = d_own.sqrt();
        let at = first.partition_point(|v| *v < x[0]);
        let (mut ties, mut nearer) = (0usize, false);
        // Outward from the record's place, upwards then downwards, each while the first column
        // alone is within reach (it is sorted) and no nearer record is found.
        for range in [&mut (at..n) as &mut dyn Iterator<Item = usize>, &mut (0..at).rev()] {
            for k in range {
                if (first[k] - x[0]).abs() > reach {
                    break;
                }
                let d = dist2(&x, &ys[order[k] * p..(order[k] + 1) * p]);
                if d < d_own {
                    nearer = true;
                    break;
                }
                ties += usize::from(d == d_own);
            }
            if nearer {
                break;
            }
        }
        if !nearer {
            credit += 1.0 / ties.max(1) as f64;
        }
    }
    (credit, look.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_column_counts_own_nearest_with_ties_shared() {
        // Record 0 stays nearest to itself; records 1 and 2 share a value (1/2 each); record 3's
        // released value is farther than record 2's.
        let xs = [0.0, 10.0, 11.0, 20.0];
        let ys = [0.5, 10.5, 10.5, 30.0];
        let c = one_column(&xs, &ys);
        assert_eq!(c, 1.0 + 0.5 + 0.5 + 0.0);
    }

    #[test]
    fn several_columns_agree_with_brute_force() {
        let p = 2;
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for i in 0..500 {
            let (a, b) = ((i * 37 % 101) as f64, (i * 53 % 97) as f64);
            xs.extend([a, b]);
            ys.extend([a + ((i * 7 % 5) as f64 - 2.0) * 0.7, b + ((i * 3 % 7) as f64 - 3.0) * 0.5]);
        }
        let (got, looked) = several(&xs, &ys, p);
        assert_eq!(looked, 500);
        let n = 500;
        let mut want = 0.0;
        for i in 0..n {
            let x = &xs[i * p..i * p + p];
            let own = dist2(x, &ys[i * p..i * p + p]);
            let ds: Vec<f64> = (0..n).map(|j| dist2(x, &ys[j * p..j * p + p])).collect();
            if ds.iter().all(|d| *d >= own) {
                want += 1.0 / ds.iter().filter(|d| **d == own).count() as f64;
            }
        }
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        let one: Vec<f64> = (0..n).map(|i| xs[i * p]).collect();
        let oy: Vec<f64> = (0..n).map(|i| ys[i * p]).collect();
        let mut w1 = 0.0;
        for i in 0..n {
            let own = (oy[i] - one[i]).abs();
            let ds: Vec<f64> = oy.iter().map(|y| (y - one[i]).abs()).collect();
            if ds.iter().all(|d| *d >= own) {
                w1 += 1.0 / ds.iter().filter(|d| **d == own).count() as f64;
            }
        }
        assert!((one_column(&one, &oy) - w1).abs() < 1e-9);
    }
}
