//! The measures themselves, on counted values: moments and type-7 quantiles of a weighted set of
//! numbers, the total variation distance of two distributions, Pearson's correlation from sums.

use tokumei_report::{Moments, QUANTILE_LEVELS};

/// Moments and quantiles of `values`, each `(value, count)`, in any order. A quantile with fewer
/// than `guard` records on either side of it is withheld (`guard` 0: none withheld). `None` when
/// nothing is counted.
pub(super) fn moments(values: &mut Vec<(f64, u64)>, guard: u64) -> Option<Moments> {
    values.retain(|(v, c)| *c > 0 && v.is_finite());
    values.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let n: u64 = values.iter().map(|(_, c)| c).sum();
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let mean = values.iter().map(|(v, c)| v * *c as f64).sum::<f64>() / nf;
    let ss: f64 = values.iter().map(|(v, c)| (v - mean) * (v - mean) * *c as f64).sum();
    let variance = if n > 1 { ss / (nf - 1.0) } else { 0.0 };
    let quantiles = QUANTILE_LEVELS.iter().map(|p| quantile(values, n, *p, guard)).collect();
    Some(Moments { count: n, mean, variance, quantiles, quantile_method: "exact".into() })
}

/// The type-7 quantile at `p` of sorted counted `values` of `n` records: `h = (n-1)p`, the
/// value at `floor(h)` plus the fraction of the way to the next. Withheld when fewer than `guard`
/// records lie below the lower one or above the upper one, or when either value is held by fewer
/// than `guard` records (it would be a few people's exact value).
fn quantile(values: &[(f64, u64)], n: u64, p: f64, guard: u64) -> Option<f64> {
    let h = (n - 1) as f64 * p;
    let (lo, hi) = (h.floor() as u64, h.ceil() as u64);
    if lo < guard || (n - 1 - hi) < guard {
        return None;
    }
    let ((a, held_a), (b, held_b)) = (at(values, lo), at(values, hi));
    if held_a < guard || held_b < guard {
        return None;
    }
    Some(a + (h - lo as f64) * (b - a))
}

/// The value of the record at sorted position `i` (0-based), and how many records hold it.
fn at(values: &[(f64, u64)], i: u64) -> (f64, u64) {
    let mut seen = 0u64;
    for (v, c) in values {
        seen += c;
        if i < seen {
            return (*v, *c);
        }
    }
    values.last().map_or((f64::NAN, 0), |v| *v)
}

/// Total variation distance of two count vectors over the same categories: half the sum of the
/// absolute differences of their shares. `None` when either is empty.
pub(crate) fn tvd(before: &[u64], after: &[u64]) -> Option<f64> {
    let (nb, na) = (before.iter().sum::<u64>() as f64, after.iter().sum::<u64>() as f64);
    if nb == 0.0 || na == 0.0 {
        return None;
    }
    let len = before.len().max(after.len());
    let share = |v: &[u64], i: usize, n: f64| v.get(i).map_or(0.0, |c| *c as f64 / n);
    Some(0.5 * (0..len).map(|i| (share(before, i, nb) - share(after, i, na)).abs()).sum::<f64>())
}

/// Sums of `m` variables over records, for Pearson's correlation.
#[derive(Debug, Clone)]
pub(super) struct CoSums {
    m: usize,
    n: f64,
    /// The first record's values: sums are taken of the differences from them (stable).
    shift: Option<Vec<f64>>,
    sum: Vec<f64>,
    /// Upper triangle, row-major, diagonal included.
    cross: Vec<f64>,
}

impl CoSums {
    /// Sums of `m` variables.
    pub fn new(m: usize) -> Self {
        CoSums { m, n: 0.0, shift: None, sum: vec![0.0; m], cross: vec![0.0; m * m] }
    }

    /// Add `w` records of values `x` (one record: `w` = 1).
    pub fn add(&mut self, x: &[f64], w: f64) {
        let shift = self.shift.get_or_insert_with(|| x.to_vec());
        self.n += w;
        for i in 0..self.m {
            let di = x[i] - shift[i];
            self.sum[i] += w * di;
            for j in i..self.m {
                self.cross[i * self.m + j] += w * di * (x[j] - shift[j]);
            }
        }
    }

    /// Records added.
    pub fn records(&self) -> u64 {
        self.n as u64
    }

    /// The correlation matrix (`None` where a variable is constant, or fewer than two records).
    pub fn matrix(&self) -> Vec<Vec<Option<f64>>> {
        let m = self.m;
        let cov = |i: usize, j: usize| {
            let (a, b) = (i.min(j), i.max(j));
            self.cross[a * m + b] - self.sum[a] * self.sum[b] / self.n
        };
        (0..m)
            .map(|i| {
                (0..m)
                    .map(|j| {
                        let d = (cov(i, i) * cov(j, j)).sqrt();
                        (self.n >= 2.0 && d > 0.0 && d.is_finite()).then(|| (cov(i, j) / d).clamp(-1.0, 1.0))
                    })
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_and_quantiles_match_a_hand_computation() {
        // 1, 2, 2, 3, 10: mean 18/5 = 3.6, ss = 6.76+2.56+2.56+0.36+41.16 = 53.2, var 13.3.
        let mut v = vec![(2.0, 2), (10.0, 1), (1.0, 1), (3.0, 1)];
        let m = moments(&mut v, 0).unwrap();
        assert_eq!(m.count, 5);
        assert!((m.mean - 3.6).abs() < 1e-12);
        assert!((m.variance - 13.3).abs() < 1e-12);
        // Type 7: h = 4p. p=.25 -> h=1: 2. p=.5 -> 2. p=.75 -> h=3: 3. p=.95 -> h=3.8: 3+.8*7 = 8.6.
        assert_eq!(m.quantiles[2], Some(2.0));
        assert_eq!(m.quantiles[3], Some(2.0));
        assert_eq!(m.quantiles[4], Some(3.0));
        assert!((m.quantiles[5].unwrap() - 8.6).abs() < 1e-12);
        // p=.01 -> h=.04: 1 + .04*(2-1) = 1.04.
        assert!((m.quantiles[0].unwrap() - 1.04).abs() < 1e-12);
        // With k=2 the 1% quantile (no record below it) is withheld; the median is not.
        let g = moments(&mut v, 2).unwrap();
        assert_eq!((g.quantiles[0], g.quantiles[6], g.quantiles[3]), (None, None, Some(2.0)));
        // The 75% quantile is 3, which one record holds: withheld with k=2 (one person's value).
        assert_eq!(g.quantiles[4], None);
        assert!(moments(&mut Vec::new(), 0).is_none());
        let one = moments(&mut vec![(4.0, 1)], 0).unwrap();
        assert_eq!((one.variance, one.quantiles[3]), (0.0, Some(4.0)));
    }

    #[test]
    fn total_variation_distance_is_half_the_absolute_differences() {
        // (.5, .5, 0) against (.25, .25, .5): (.25 + .25 + .5) / 2 = .5.
        assert!((tvd(&[2, 2, 0], &[1, 1, 2]).unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(tvd(&[3, 1], &[6, 2]), Some(0.0));
        assert_eq!(tvd(&[1], &[0]), None);
    }

    #[test]
    fn pearson_matches_a_hand_computation() {
        // x = 1,2,3; y = 2,4,7: mean y 13/3; cov = (-1)(-7/3) + 0 + (1)(8/3) = 5 (over n-1: 2.5),
        // var x = 2, var y = 49/9+1/9+64/9 = 114/9; r = 5 / sqrt(2 * 114/9) = 5 / 5.0332 = .99340.
        let mut s = CoSums::new(3);
        for r in [[1.0, 2.0, 5.0], [2.0, 4.0, 5.0], [3.0, 7.0, 5.0]] {
            s.add(&r, 1.0);
        }
        let m = s.matrix();
        assert!((m[0][1].unwrap() - 5.0 / (2.0f64 * 114.0 / 9.0).sqrt()).abs() < 1e-12);
        assert_eq!(m[0][1], m[1][0]);
        assert!((m[0][0].unwrap() - 1.0).abs() < 1e-12);
        assert_eq!((m[0][2], m[2][2]), (None, None), "a constant has no correlation");
        assert_eq!(s.records(), 3);
    }
}
