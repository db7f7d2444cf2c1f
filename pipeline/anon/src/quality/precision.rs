//! Height-based precision: generalisation level / maximum level, averaged over records and
//! attributes (a suppressed record counts 1).

use super::{Context, Measure, Sums};

/// Height-based precision.
pub(super) struct Precision;

impl Measure for Precision {
    fn name(&self) -> &'static str {
        "precision"
    }
    fn doc(&self) -> &'static str {
        "height-based: each attribute's level over its hierarchy's height, averaged over records, a suppressed record counting 1"
    }
    fn cell(&self, cx: &Context, a: usize, level: usize, _: usize) -> f64 {
        level as f64 / cx.attributes[a].max_level.max(1) as f64
    }
    fn suppressed_cell(&self, _: &Context, _: usize) -> f64 {
        1.0
    }
    fn value(&self, s: &Sums, cx: &Context) -> f64 {
        let weighted: f64 = s.cells.iter().zip(&cx.attributes).map(|(h, at)| h * at.weight).sum();
        weighted / (cx.n * cx.weight_sum()).max(f64::MIN_POSITIVE)
    }
}
