//! The generalisation lattice: one level per quasi-identifier, between a minimum and a maximum.

/// All transformations with `min[a] <= level[a] <= max[a]`, indexed in mixed radix.
#[derive(Debug, Clone)]
pub struct Lattice {
    /// Lowest level per attribute.
    pub min: Vec<u8>,
    /// Highest level per attribute.
    pub max: Vec<u8>,
    radix: Vec<usize>,
    stride: Vec<usize>,
    size: usize,
}

impl Lattice {
    /// A lattice; `None` if it would have more than `limit` nodes.
    pub fn new(min: Vec<u8>, max: Vec<u8>, limit: usize) -> Option<Self> {
        let radix: Vec<usize> = min.iter().zip(&max).map(|(lo, hi)| (*hi - *lo) as usize + 1).collect();
        let mut stride = vec![1usize; radix.len()];
        let mut size = 1usize;
        for i in (0..radix.len()).rev() {
            stride[i] = size;
            size = size.checked_mul(radix[i])?;
            if size > limit {
                return None;
            }
        }
        Some(Lattice { min, max, radix, stride, size })
    }

    /// Number of nodes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Levels of node `i`.
    pub fn levels(&self, i: usize, out: &mut [u8]) {
        for (a, o) in out.iter_mut().enumerate().take(self.radix.len()) {
            *o = self.min[a] + ((i / self.stride[a]) % self.radix[a]) as u8;
        }
    }

    /// Index of the node with these levels.
    pub fn index(&self, levels: &[u8]) -> usize {
        levels.iter().zip(&self.min).zip(&self.stride).map(|((l, m), s)| (*l - *m) as usize * s).sum()
    }

    /// Every node's levels, node after node (`size() x attributes` bytes), enumerated in index
    /// order without a division per node.
    pub fn all_levels(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size * self.radix.len());
        // From an iterator: a copy the compiler keeps inline (a slice of a few bytes is a call).
        self.each_node(|levels, _| out.extend(levels.iter().copied()));
        out
    }

    /// Call `f` with every node's levels in index order, and the first attribute whose level
    /// differs from the node before (0 for the first node): an odometer from the last attribute,
    /// which has stride 1.
    pub fn each_node(&self, mut f: impl FnMut(&[u8], usize)) {
        let n = self.radix.len();
        let mut cur = self.min.clone();
        let mut from = 0;
        for _ in 0..self.size {
            f(&cur, from);
            from = 0;
            for a in (0..n).rev() {
                if cur[a] < self.max[a] {
                    cur[a] += 1;
                    from = a;
                    break;
                }
                cur[a] = self.min[a];
            }
        }
    }

    /// Mark node `i` and every node below it (finer in all attributes) in `marks`.
    ///
    /// Those nodes are a box of levels, from the minimum to node `i`'s; the last attribute has
    /// stride 1, so the box is rows of consecutive indexes, each filled at once.
    pub fn mark_down(&self, i: usize, marks: &mut [bool]) {
        let Some(last) = self.radix.len().checked_sub(1) else {
            marks[i] = true;
            return;
        };
        let top: Vec<usize> = (0..last).map(|a| (i / self.stride[a]) % self.radix[a]).collect();
        let run = i % self.radix[last] + 1;
        // An odometer over the other attributes' digits; `start` is the row's first index.
        let (mut digits, mut start) = (vec![0usize; last], 0usize);
        loop {
            marks[start..start + run].fill(true);
            let mut a = last;
            loop {
                if a == 0 {
                    return;
                }
                a -= 1;
                if digits[a] < top[a] {
                    digits[a] += 1;
                    start += self.stride[a];
                    break;
                }
                start -= digits[a] * self.stride[a];
                digits[a] = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexing_and_marking() {
        let l = Lattice::new(vec![0, 1], vec![2, 3], 100).unwrap();
        assert_eq!(l.size(), 9);
        let mut lv = [0u8; 2];
        for i in 0..l.size() {
            l.levels(i, &mut lv);
            assert_eq!(l.index(&lv), i);
        }
        let mut marks = vec![false; 9];
        l.mark_down(l.index(&[1, 2]), &mut marks);
        assert_eq!(marks.iter().filter(|m| **m).count(), 4);
        assert!(Lattice::new(vec![0; 30], vec![3; 30], 100_000).is_none());
        let all = l.all_levels();
        for i in 0..l.size() {
            l.levels(i, &mut lv);
            assert_eq!(&all[i * 2..i * 2 + 2], &lv);
        }
    }

    /// Filling the box below a node marks what a walk down from it marks, on random lattices
    /// with marks made earlier.
    #[test]
    fn mark_down_equals_walking_down() {
        let walk = |l: &Lattice, i: usize, marks: &mut [bool]| {
            let mut stack = vec![i];
            while let Some(i) = stack.pop() {
                if std::mem::replace(&mut marks[i], true) {
                    continue;
                }
                let mut lv = vec![0u8; l.min.len()];
                l.levels(i, &mut lv);
                for a in 0..lv.len() {
                    if lv[a] > l.min[a] {
                        lv[a] -= 1;
                        stack.push(l.index(&lv));
                        lv[a] += 1;
                    }
                }
            }
        };
        let mut seed = 5u64;
        let mut next = |m: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize % m
        };
        for _ in 0..30 {
            let n = 1 + next(5);
            let min: Vec<u8> = (0..n).map(|_| next(2) as u8).collect();
            let max: Vec<u8> = min.iter().map(|m| m + next(4) as u8).collect();
            let l = Lattice::new(min, max, usize::MAX).unwrap();
            let (mut filled, mut walked) = (vec![false; l.size()], vec![false; l.size()]);
            for _ in 0..4 {
                let i = next(l.size());
                l.mark_down(i, &mut filled);
                walk(&l, i, &mut walked);
                assert_eq!(filled, walked);
            }
        }
    }
}
