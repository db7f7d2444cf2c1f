//! Quality models (information loss): lower is better.

use serde::Serialize;

/// Which information-loss measure the search minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Quality {
    /// ARX "Loss": per attribute the normalised sum of generalised values' domain shares
    /// (a suppressed record counts 1), aggregated by a weighted geometric mean with +1.
    Loss,
    /// Height-based precision: generalisation level / maximum level, averaged over records
    /// and attributes (a suppressed record counts 1).
    Precision,
    /// Discernibility: sum of squared class sizes plus N per suppressed record, over N^2.
    Discernibility,
}

impl Quality {
    /// Parse a name.
    pub fn parse(s: &str) -> Option<Quality> {
        match s {
            "loss" => Some(Quality::Loss),
            "precision" => Some(Quality::Precision),
            "discernibility" => Some(Quality::Discernibility),
            _ => None,
        }
    }
}

/// Per-attribute sums of one node: the input to every quality model.
#[derive(Debug, Clone, Default)]
pub struct Sums {
    /// Sum over records of the generalised value's share (suppressed: 1), per attribute.
    pub share: Vec<f64>,
    /// Sum over records of level/max level (suppressed: 1), per attribute.
    pub height: Vec<f64>,
    /// Sum of squared sizes of kept classes.
    pub squares: f64,
    /// Suppressed records.
    pub suppressed: u64,
}

/// The value of `q` for node sums. `domains[a]` is attribute a's domain size, `weights` the
/// attribute weights, `n` the number of records.
pub fn value(q: Quality, s: &Sums, domains: &[usize], weights: &[f64], n: f64) -> f64 {
    let wsum: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    match q {
        Quality::Loss => {
            let mut log = 0.0;
            for (a, sa) in s.share.iter().enumerate() {
                let d = domains[a] as f64;
                let lo = n / d;
                let la = if n - lo > 0.0 { ((sa - lo) / (n - lo)).max(0.0) } else { 0.0 };
                log += weights[a] / wsum * (1.0 + la).ln();
            }
            log.exp() - 1.0
        }
        Quality::Precision => {
            s.height.iter().zip(weights).map(|(h, w)| h * w).sum::<f64>() / (n * wsum).max(f64::MIN_POSITIVE)
        }
        Quality::Discernibility => (s.squares + s.suppressed as f64 * n) / (n * n).max(f64::MIN_POSITIVE),
    }
}
