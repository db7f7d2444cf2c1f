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
        let n = self.radix.len();
        let mut out = Vec::with_capacity(self.size * n);
        let mut cur = self.min.clone();
        for _ in 0..self.size {
            out.extend_from_slice(&cur);
            // The last attribute has stride 1: count up like an odometer from there.
            for a in (0..n).rev() {
                if cur[a] < self.max[a] {
                    cur[a] += 1;
                    break;
                }
                cur[a] = self.min[a];
            }
        }
        out
    }

    /// Mark node `i` and every node below it (finer in all attributes) in `marks`.
    pub fn mark_down(&self, i: usize, marks: &mut [bool]) {
        let mut stack = vec![i];
        while let Some(i) = stack.pop() {
            if marks[i] {
                continue;
            }
            marks[i] = true;
            for a in 0..self.radix.len() {
                if !(i / self.stride[a]).is_multiple_of(self.radix[a]) && !marks[i - self.stride[a]] {
                    stack.push(i - self.stride[a]);
                }
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
}
