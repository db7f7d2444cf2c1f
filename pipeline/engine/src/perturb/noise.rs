//! `noise`: random noise added to each value (sdcMicro `addNoise`).
//!
//! Additive: value + e, e ~ N(0, (scale·sd)²), sd the column's standard deviation over the accepted
//! records; multiplicative: value·(1 + e), e ~ N(0, scale²). Columns of one `together` name get
//! correlated noise whose covariance is scale² times theirs (sdcMicro addNoise "correlated", its
//! noise = 100·scale²), so their correlations are kept in expectation. A noised value is rounded to
//! a multiple of `round` (half away from zero) and kept within `min`/`max`: a draw outside the
//! bounds is clamped to them, as sdcMicro users do after `addNoise` (amounts never negative when
//! the input has none, dates within the years 0001-9999; never a bound taken from the data). A
//! missing value stays missing.

use super::seed::normal;
use super::{Context, Facts, Moments, Target, Technique, row_numbers, write_rows};
use crate::error::EngineError;
use rand_chacha::ChaCha20Rng;
use tokumei_rules::{Noise, NoiseKind, Perturbation, ValueType};

/// The technique.
pub(crate) struct AddNoise {
    n: Noise,
}

impl AddNoise {
    /// For the settings `n`.
    pub fn new(n: Noise) -> Self {
        AddNoise { n }
    }
}

/// A column's bounds and rounding, from its own rule and its input values.
struct Bounds {
    lo: f64,
    hi: f64,
    round: f64,
}

impl Bounds {
    fn of(t: &Target, rows: &[f64]) -> Bounds {
        let n = match t.plan.perturbation() {
            Some(Perturbation::Noise(n)) => n,
            _ => return Bounds { lo: f64::NEG_INFINITY, hi: f64::INFINITY, round: 1.0 },
        };
        let lo = rows.iter().filter(|x| x.is_finite()).fold(f64::INFINITY, |a, x| a.min(*x));
        // Default bounds never come from one record's value (the input's earliest or latest date
        // would be released as a bound and in the report): amounts with no negative value stay
        // at 0 or above; dates stay within the years 0001-9999, the calendar tokumei writes.
        let date = t.plan.ty == ValueType::Date;
        let day = |y| tokumei_jp::Date::new(y, 1, 1).map_or(0.0, |d| f64::from(d.days_since_epoch()));
        let min = n.min.unwrap_or(if date {
            day(1)
        } else if lo >= 0.0 {
            0.0
        } else {
            f64::NEG_INFINITY
        });
        let max = n.max.unwrap_or(if date { day(10_000) - 1.0 } else { f64::INFINITY });
        Bounds { lo: min, hi: max.max(min), round: n.round }
    }

    /// `x` rounded and within the bounds; whether it was clamped.
    fn fit(&self, x: f64) -> (f64, bool) {
        let clamped = x < self.lo || x > self.hi;
        let y = x.clamp(self.lo, self.hi);
        let r = ((y / self.round).round() * self.round).clamp(self.lo, self.hi);
        (r, clamped)
    }
}

impl Technique for AddNoise {
    fn apply(&self, unit: &mut [Target], _cx: &Context, rng: &mut ChaCha20Rng) -> Result<Facts, EngineError> {
        let cols: Vec<Vec<f64>> = unit.iter().map(|t| row_numbers(t.dict)).collect();
        let bounds: Vec<Bounds> = unit.iter().zip(&cols).map(|(t, c)| Bounds::of(t, c)).collect();
        let noised = match (self.n.kind, cols.len()) {
            (NoiseKind::Multiplicative, _) => {
                cols.iter().map(|c| c.iter().map(|x| x * (1.0 + self.n.scale * normal(rng))).collect()).collect()
            }
            (NoiseKind::Additive, 1) => {
                let mut m = Moments::default();
                cols[0].iter().for_each(|x| m.add(*x));
                let sd = self.n.scale * m.sd();
                vec![cols[0].iter().map(|x| x + sd * normal(rng)).collect()]
            }
            (NoiseKind::Additive, _) => correlated(&cols, self.n.scale, rng),
        };
        let mut clamped = vec![0u64; unit.len()];
        for (j, (t, rows)) in unit.iter_mut().zip(noised).enumerate() {
            let fitted: Vec<f64> = rows
                .iter()
                .map(|x| {
                    if !x.is_finite() {
                        return f64::NAN;
                    }
                    let (y, c) = bounds[j].fit(*x);
                    clamped[j] += u64::from(c);
                    y
                })
                .collect();
            let ty = t.plan.ty;
            write_rows(t.dict, &fitted, ty);
        }
        let finite = |x: f64| x.is_finite().then_some(x);
        let bounds = bounds.iter().map(|b| (finite(b.lo), finite(b.hi))).collect();
        Ok(Facts { clamped, nulled: vec![0; unit.len()], bounds, ..Facts::default() })
    }
}

/// The covariance matrix of the columns over the records that have both of each pair.
fn covariance(cols: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let p = cols.len();
    let mut cov = vec![vec![0.0; p]; p];
    for a in 0..p {
        for b in a..p {
            let pairs: Vec<(f64, f64)> = cols[a]
                .iter()
                .zip(&cols[b])
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(|(x, y)| (*x, *y))
                .collect();
            let n = pairs.len() as f64;
            let c = if n < 2.0 {
                0.0
            } else {
                let (ma, mb) = (pairs.iter().map(|p| p.0).sum::<f64>() / n, pairs.iter().map(|p| p.1).sum::<f64>() / n);
                pairs.iter().map(|(x, y)| (x - ma) * (y - mb)).sum::<f64>() / (n - 1.0)
            };
            cov[a][b] = c;
            cov[b][a] = c;
        }
    }
    cov
}

/// The lower Cholesky factor of a positive semi-definite matrix (a pivot at or below zero, as
/// of a constant column or perfectly correlated ones, gives a zero column).
pub(crate) fn cholesky(m: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let p = m.len();
    let mut l = vec![vec![0.0; p]; p];
    for i in 0..p {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = m[i][i] - s;
                l[i][j] = if d > 1e-12 * m[i][i].abs().max(1e-300) { d.sqrt() } else { 0.0 };
            } else if l[j][j] > 0.0 {
                l[i][j] = (m[i][j] - s) / l[j][j];
            }
        }
    }
    l
}

/// Correlated additive noise: each record's noise vector is L·z, z standard normal and L·Lᵀ =
/// scale² times the columns' covariance; a missing value stays missing.
fn correlated(cols: &[Vec<f64>], scale: f64, rng: &mut ChaCha20Rng) -> Vec<Vec<f64>> {
    let p = cols.len();
    let cov: Vec<Vec<f64>> =
        covariance(cols).into_iter().map(|r| r.into_iter().map(|c| c * scale * scale).collect()).collect();
    let l = cholesky(&cov);
    let n = cols.first().map_or(0, Vec::len);
    let mut out: Vec<Vec<f64>> = cols.to_vec();
    let mut z = vec![0.0; p];
    #[allow(clippy::needless_range_loop)] // a row across the columns
    for r in 0..n {
        z.iter_mut().for_each(|x| *x = normal(rng));
        for a in 0..p {
            let e: f64 = (0..=a).map(|b| l[a][b] * z[b]).sum();
            out[a][r] += e;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Stage, Target};
    use super::*;

    fn noisy(
        action: &str,
        xs: &[Option<i64>],
        ys: &[Option<i64>],
        joint: bool,
    ) -> (Vec<Option<i64>>, Vec<Option<i64>>, Facts) {
        let plan = plan_with(action);
        let stage = Stage::new(&plan, &[(0, 0), (1, 1)]).unwrap_or_else(|e| panic!("{e}"));
        let (mut a, mut b) = (dict_of(xs), dict_of(ys));
        let facts = if joint {
            let mut t =
                [Target { plan: &plan.columns[0], dict: &mut a }, Target { plan: &plan.columns[1], dict: &mut b }];
            stage.units[0].technique.apply(&mut t, &context(&plan), &mut rng()).unwrap()
        } else {
            let mut t = [Target { plan: &plan.columns[0], dict: &mut a }];
            stage.units[0].technique.apply(&mut t, &context(&plan), &mut rng()).unwrap()
        };
        (rows_of(&a), rows_of(&b), facts)
    }

    fn sd(v: &[f64]) -> f64 {
        let mut m = Moments::default();
        v.iter().for_each(|x| m.add(*x));
        m.sd()
    }

    #[test]
    fn additive_noise_has_the_configured_variance() {
        let xs: Vec<Option<i64>> = (0..100_000).map(|i| Some(1_000_000 + (i * 7919 % 100_000))).collect();
        let (out, _, facts) = noisy("action = \"noise\"\nscale = 0.5", &xs, &[], false);
        let diff: Vec<f64> = xs.iter().zip(&out).map(|(a, b)| (b.unwrap() - a.unwrap()) as f64).collect();
        let want = 0.5 * sd(&xs.iter().map(|x| x.unwrap() as f64).collect::<Vec<_>>());
        assert!((sd(&diff) / want - 1.0).abs() < 0.01, "{} vs {want}", sd(&diff));
        assert!((diff.iter().sum::<f64>() / diff.len() as f64).abs() < want * 0.01);
        assert_eq!(facts.clamped, vec![0]);
    }

    #[test]
    fn bounds_and_rounding_are_respected() {
        let xs: Vec<Option<i64>> = (0..10_000).map(|i| if i % 10 == 0 { None } else { Some(i % 50) }).collect();
        let (out, _, facts) = noisy("action = \"noise\"\nscale = 2\nround = 5\nmax = 60", &xs, &[], false);
        assert!(out.iter().flatten().all(|v| (0..=60).contains(v) && v % 5 == 0), "{:?}", &out[..20]);
        assert!(out.iter().zip(&xs).all(|(o, x)| o.is_none() == x.is_none()), "missing stays missing");
        assert!(facts.clamped[0] > 0, "a draw below 0 is clamped: no negative value where the input has none");
        // Multiplicative: e ~ N(0, scale²).
        let xs: Vec<Option<i64>> = (0..100_000).map(|_| Some(1000)).collect();
        let (out, _, _) = noisy("action = \"noise\"\nkind = \"multiplicative\"\nscale = 0.1", &xs, &[], false);
        let ratio: Vec<f64> = out.iter().map(|v| v.unwrap() as f64 / 1000.0 - 1.0).collect();
        assert!((sd(&ratio) - 0.1).abs() < 0.002, "{}", sd(&ratio));
    }

    #[test]
    fn correlated_noise_keeps_the_covariance_ratio() {
        let xs: Vec<Option<i64>> = (0..100_000).map(|i| Some((i * 7919 % 10_007) * 10)).collect();
        let ys: Vec<Option<i64>> =
            xs.iter().enumerate().map(|(i, x)| Some(x.unwrap() * 2 + (i as i64 * 31 % 1000))).collect();
        let (a, b, _) = noisy("action = \"noise\"\nscale = 0.3\ntogether = \"g\"\nmin = -1000000000", &xs, &ys, true);
        let dx: Vec<f64> = xs.iter().zip(&a).map(|(x, o)| (o.unwrap() - x.unwrap()) as f64).collect();
        let dy: Vec<f64> = ys.iter().zip(&b).map(|(y, o)| (o.unwrap() - y.unwrap()) as f64).collect();
        let f = |v: &[Option<i64>]| v.iter().map(|x| x.unwrap() as f64).collect::<Vec<f64>>();
        let cov = covariance(&[f(&xs), f(&ys)]);
        let ncov = covariance(&[dx.clone(), dy.clone()]);
        for (i, j) in [(0, 0), (0, 1), (1, 1)] {
            let ratio = ncov[i][j] / cov[i][j];
            assert!((ratio - 0.09).abs() < 0.09 * 0.03, "({i},{j}): {ratio}");
        }
    }

    #[test]
    fn cholesky_of_a_known_matrix() {
        let l = cholesky(&[vec![4.0, 2.0], vec![2.0, 5.0]]);
        assert_eq!(l, vec![vec![2.0, 0.0], vec![1.0, 2.0]]);
        let l = cholesky(&[vec![1.0, 1.0], vec![1.0, 1.0]]);
        assert_eq!(l, vec![vec![1.0, 0.0], vec![1.0, 0.0]], "perfectly correlated: semi-definite");
    }
}
