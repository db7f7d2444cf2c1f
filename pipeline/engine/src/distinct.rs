//! Values gathered from a stream of repeats (hashes and keys read back from a file) held each
//! once as they come: sorted and deduplicated whenever they have doubled since the last time, so
//! memory follows the distinct values, not the stream.

/// Distinct values gathered in any order.
pub(crate) struct Distinct<T> {
    all: Vec<T>,
    /// How many there were after the last deduplication.
    deduped: usize,
}

impl<T: Ord> Distinct<T> {
    /// None yet.
    pub(crate) fn new() -> Distinct<T> {
        Distinct { all: Vec::new(), deduped: 0 }
    }

    /// Add one value (its repeats are dropped now or later).
    #[inline]
    pub(crate) fn push(&mut self, value: T) {
        self.all.push(value);
        if self.all.len() >= 2 * self.deduped + (1 << 20) {
            self.all.sort_unstable();
            self.all.dedup();
            self.deduped = self.all.len();
        }
    }

    /// Every value once, sorted.
    pub(crate) fn into_sorted(mut self) -> Vec<T> {
        self.all.sort_unstable();
        self.all.dedup();
        self.all
    }
}

#[cfg(test)]
mod tests {
    /// Values pushed past several deduplications (a million that come once and never again,
    /// then many repeats of a few) come out as the sorted distinct values.
    #[test]
    fn values_come_out_each_once_sorted() {
        let mut d = super::Distinct::new();
        let once = (0..1_100_000u64).map(|i| (i * 7_919) % 1_100_009 + 1_000);
        let values: Vec<u64> = once.chain((0..3_000_000u64).map(|i| (i * 31) % 1_000)).collect();
        for v in &values {
            d.push(*v);
        }
        let mut expected = values;
        expected.sort_unstable();
        expected.dedup();
        assert_eq!(d.into_sorted(), expected);
    }
}
