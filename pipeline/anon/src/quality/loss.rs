//! ARX's "Loss": per attribute the normalised sum of the generalised values' domain shares (a
//! suppressed record counts 1), aggregated by a weighted geometric mean with +1.

use super::{Additive, Context, Measure, Sums};

/// ARX's "Loss".
pub(super) struct Loss;

impl Measure for Loss {
    fn name(&self) -> &'static str {
        "loss"
    }
    fn doc(&self) -> &'static str {
        "ARX's \"Loss\": the share of each attribute's domain a generalised value covers, averaged over records, a suppressed record counting 1"
    }
    fn cell(&self, cx: &Context, a: usize, level: usize, code: usize) -> f64 {
        cx.attributes[a].share[level][code]
    }
    fn suppressed_cell(&self, _: &Context, _: usize) -> f64 {
        1.0
    }
    fn value(&self, s: &Sums, cx: &Context) -> f64 {
        let mut log = 0.0;
        for (a, sa) in s.cells.iter().enumerate() {
            log += term(cx, a, *sa);
        }
        finish(log)
    }
    fn additive_bound(&self) -> Option<Additive> {
        Some(Additive { term, finish })
    }
}

/// Attribute `a`'s weighted log of (1 + its normalised loss) for the sum `sa`.
fn term(cx: &Context, a: usize, sa: f64) -> f64 {
    let at = &cx.attributes[a];
    let n = cx.n;
    let lo = n / at.loss_domain as f64;
    let la = if n - lo > 0.0 { ((sa - lo) / (n - lo)).max(0.0) } else { 0.0 };
    at.weight / cx.weight_sum() * (1.0 + la).ln()
}

/// The weighted geometric mean minus one, from the sum of the terms.
fn finish(log: f64) -> f64 {
    log.exp() - 1.0
}
