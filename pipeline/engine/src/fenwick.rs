//! A Fenwick (binary indexed) tree of counts: the running sums a draw without replacement
//! needs, each step in O(log n) (rank swapping's free records, the fingerprint's values left in
//! a class).

/// Counts at positions `0..n`, with their prefix sums.
pub(crate) struct Fenwick {
    /// Node `i` (1-based) holds the sum of the `lowbit(i)` counts ending at position `i - 1`.
    tree: Vec<u64>,
}

impl Fenwick {
    /// Every one of `m` positions counted once.
    pub fn ones(m: usize) -> Fenwick {
        let tree = (0..=m).map(|i| (i & i.wrapping_neg()) as u64).collect();
        Fenwick { tree }
    }

    /// The counts `counts`, position by position.
    pub fn of(counts: &[u64]) -> Fenwick {
        let n = counts.len();
        let mut tree = vec![0u64; n + 1];
        for i in 1..=n {
            tree[i] += counts[i - 1];
            let parent = i + (i & i.wrapping_neg());
            if parent <= n {
                tree[parent] += tree[i];
            }
        }
        Fenwick { tree }
    }

    /// Take one from position `i` (whose count is not zero).
    pub fn remove(&mut self, i: usize) {
        let mut k = i + 1;
        while k < self.tree.len() {
            self.tree[k] -= 1;
            k += k & k.wrapping_neg();
        }
    }

    /// The counts at or below position `i`.
    pub fn prefix(&self, i: usize) -> u64 {
        let (mut k, mut s) = (i + 1, 0);
        while k > 0 {
            s += self.tree[k];
            k -= k & k.wrapping_neg();
        }
        s
    }

    /// The position holding the `r`-th unit counted (0-based; `r` below the total): the first
    /// position whose prefix sum exceeds `r`.
    pub fn kth(&self, mut r: u64) -> usize {
        let n = self.tree.len() - 1;
        let (mut pos, mut step) = (0usize, n.checked_ilog2().map_or(0, |l| 1usize << l));
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next] <= r {
                pos = next;
                r -= self.tree[next];
            }
            step >>= 1;
        }
        pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn ones_select_the_free_positions() {
        let mut f = Fenwick::ones(10);
        for i in [0, 3, 4, 9] {
            f.remove(i);
        }
        let free: Vec<usize> = (0..6).map(|r| f.kth(r)).collect();
        assert_eq!(free, vec![1, 2, 5, 6, 7, 8]);
        assert_eq!(f.prefix(4), 2);
        assert_eq!(f.prefix(9), 6);
    }

    /// Against the counts kept plainly: every rank's position and every prefix, as units are
    /// drawn out one by one until none is left.
    #[test]
    fn counts_drawn_to_the_end_agree_with_a_plain_scan() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for n in [1usize, 2, 3, 7, 8, 9, 33] {
            let mut counts: Vec<u64> = (0..n).map(|_| rng.random_range(0..4u64)).collect();
            let mut f = Fenwick::of(&counts);
            loop {
                let total: u64 = counts.iter().sum();
                for i in 0..n {
                    assert_eq!(f.prefix(i), counts[..=i].iter().sum::<u64>(), "n {n} prefix {i}");
                }
                for r in 0..total {
                    let plain = (0..n).find(|i| counts[..=*i].iter().sum::<u64>() > r).unwrap();
                    assert_eq!(f.kth(r), plain, "n {n} rank {r} of {counts:?}");
                }
                if total == 0 {
                    break;
                }
                let i = f.kth(rng.random_range(0..total));
                counts[i] -= 1;
                f.remove(i);
            }
        }
    }
}
