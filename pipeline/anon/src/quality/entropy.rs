//! Non-uniform entropy: the information lost about each original value, -log2 P(original |
//! generalised) summed over records and attributes (suppressed: P = freq(original) / N), over
//! its value when everything is suppressed.

use super::{Context, Measure, Sums};

/// Non-uniform entropy.
pub(super) struct NonUniformEntropy;

impl Measure for NonUniformEntropy {
    fn name(&self) -> &'static str {
        "entropy"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["non_uniform_entropy"]
    }
    fn doc(&self) -> &'static str {
        "non-uniform entropy: the information lost about each original value, -log2 P(original | generalised), over records and attributes"
    }
    /// log2 of the generalised value's frequency; with the base this gives -log2 P(original |
    /// generalised) summed over records.
    fn cell(&self, cx: &Context, a: usize, level: usize, code: usize) -> f64 {
        let f = cx.attributes[a].freq[level][code];
        if f > 0 { (f as f64).log2() } else { 0.0 }
    }
    fn suppressed_cell(&self, cx: &Context, _: usize) -> f64 {
        cx.n.max(1.0).log2()
    }
    fn value(&self, s: &Sums, cx: &Context) -> f64 {
        let top = cx.n * cx.n.max(1.0).log2();
        let (mut lost, mut most) = (0.0, 0.0);
        for (at, cells) in cx.attributes.iter().zip(&s.cells) {
            lost += at.weight * (at.log_freq0 + cells);
            most += at.weight * (at.log_freq0 + top);
        }
        if most > 0.0 { (lost / most).max(0.0) } else { 0.0 }
    }
}
