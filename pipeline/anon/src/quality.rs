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
    /// Non-uniform entropy: the information lost about each original value, -log2 P(original |
    /// generalised) summed over records and attributes (suppressed: P = freq(original) / N),
    /// over its value when everything is suppressed.
    NonUniformEntropy,
}

impl Quality {
    /// Every measure with its name in rule files and reports.
    pub const ALL: [(&'static str, Quality); 4] = [
        ("loss", Quality::Loss),
        ("precision", Quality::Precision),
        ("discernibility", Quality::Discernibility),
        ("entropy", Quality::NonUniformEntropy),
    ];

    /// Parse a name (`non_uniform_entropy` is also accepted for `entropy`).
    pub fn parse(s: &str) -> Option<Quality> {
        let s = if s == "non_uniform_entropy" { "entropy" } else { s };
        Quality::ALL.iter().find(|(n, _)| *n == s).map(|(_, q)| *q)
    }

    /// The name in rule files and reports.
    pub fn name(self) -> &'static str {
        Quality::ALL.iter().find(|(_, q)| *q == self).map_or("loss", |(n, _)| n)
    }
}

/// Per-attribute sums of one node: the input to every quality model.
#[derive(Debug, Clone, Default)]
pub struct Sums {
    /// Sum over records of the generalised value's share (suppressed: 1), per attribute.
    pub share: Vec<f64>,
    /// Sum over records of level/max level (suppressed: 1), per attribute.
    pub height: Vec<f64>,
    /// Sum over records of log2 of the generalised value's frequency (suppressed: log2 N), per
    /// attribute.
    pub log_freq: Vec<f64>,
    /// Sum of squared sizes of kept classes.
    pub squares: f64,
    /// Suppressed records.
    pub suppressed: u64,
}

/// Per-attribute constants the quality models need.
#[derive(Debug, Clone, Default)]
pub struct Constants {
    /// Domain size of each attribute.
    pub domains: Vec<usize>,
    /// Weight of each attribute.
    pub weights: Vec<f64>,
    /// -sum over records of log2 freq(original value), per attribute.
    pub entropy_base: Vec<f64>,
}

/// The value of `q` for node sums over `n` records.
pub fn value(q: Quality, s: &Sums, k: &Constants, n: f64) -> f64 {
    let (domains, weights) = (&k.domains, &k.weights);
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
        Quality::NonUniformEntropy => {
            let top = n * n.max(1.0).log2();
            let (mut lost, mut most) = (0.0, 0.0);
            for (a, w) in weights.iter().enumerate() {
                lost += w * (k.entropy_base[a] + s.log_freq[a]);
                most += w * (k.entropy_base[a] + top);
            }
            if most > 0.0 { (lost / most).max(0.0) } else { 0.0 }
        }
    }
}
