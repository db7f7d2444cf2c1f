//! Discernibility: the sum of squared class sizes plus N per suppressed record, over N².

use super::{Context, Measure, Sums};

/// Discernibility.
pub(super) struct Discernibility;

impl Measure for Discernibility {
    fn name(&self) -> &'static str {
        "discernibility"
    }
    fn doc(&self) -> &'static str {
        "how many records each record is indistinguishable from: the sum of squared class sizes, a suppressed record counting N, over N²"
    }
    fn value(&self, s: &Sums, cx: &Context) -> f64 {
        (s.squares + s.suppressed as f64 * cx.n) / (cx.n * cx.n).max(f64::MIN_POSITIVE)
    }
}
