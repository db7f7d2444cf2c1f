//! Class tables: distinct (quasi-identifier codes, sensitive codes) tuples with counts, packed
//! in an integer key (`u64`, or `u128` when the codes need more than 64 bits), and their
//! roll-up to coarser generalisation levels.

use crate::AnonError;
use rustc_hash::FxHashMap;
use std::ops::{BitAnd, BitOr, Not, Shl, Shr};

/// A packed tuple: sensitive codes in the low bits, quasi-identifier codes above them.
pub trait Key:
    Copy
    + Eq
    + Ord
    + std::hash::Hash
    + std::fmt::Debug
    + BitOr<Output = Self>
    + BitAnd<Output = Self>
    + Not<Output = Self>
    + Shl<u32, Output = Self>
    + Shr<u32, Output = Self>
{
    /// Bits in the key.
    const BITS: u32;
    /// Zero.
    const ZERO: Self;
    /// A code as a key.
    fn from_code(code: u32) -> Self;
    /// The low 32 bits.
    fn low(self) -> u32;
    /// `bits` low bits set.
    fn mask(bits: u32) -> Self;
}

macro_rules! key {
    ($t:ty) => {
        impl Key for $t {
            const BITS: u32 = <$t>::BITS;
            const ZERO: Self = 0;
            #[inline]
            fn from_code(code: u32) -> Self {
                code as $t
            }
            #[inline]
            fn low(self) -> u32 {
                self as u32
            }
            #[inline]
            fn mask(bits: u32) -> Self {
                if bits >= <$t>::BITS { <$t>::MAX } else { ((1 as $t) << bits) - 1 }
            }
        }
    };
}
key!(u64);
key!(u128);

/// Where each attribute sits in a [`Key`].
#[derive(Debug, Clone)]
pub struct Layout<K> {
    /// Bit offset of each quasi-identifier.
    pub qi_offset: Vec<u32>,
    /// Mask (unshifted) of each quasi-identifier.
    pub qi_mask: Vec<K>,
    /// Bit offset of each sensitive column.
    pub sens_offset: Vec<u32>,
    /// Mask (unshifted) of each sensitive column.
    pub sens_mask: Vec<K>,
    /// Bits used by sensitive columns (the quasi-identifier part is `key >> sens_bits`).
    pub sens_bits: u32,
}

fn bits(card: usize) -> u32 {
    (usize::BITS - card.saturating_sub(1).leading_zeros()).max(1)
}

/// Bits a tuple of these cardinalities needs.
pub fn bits_needed(qi_cards: &[usize], sens_cards: &[usize]) -> u32 {
    qi_cards.iter().chain(sens_cards).map(|c| bits(*c)).sum()
}

impl<K: Key> Layout<K> {
    /// A layout for quasi-identifiers and sensitive columns of these cardinalities.
    pub fn new(qi_cards: &[usize], sens_cards: &[usize]) -> Result<Self, AnonError> {
        let mut off = 0u32;
        let mut sens_offset = Vec::new();
        let mut sens_mask = Vec::new();
        for c in sens_cards {
            let b = bits(*c);
            sens_offset.push(off);
            sens_mask.push(K::mask(b));
            off += b;
        }
        let sens_bits = off;
        let mut qi_offset = Vec::new();
        let mut qi_mask = Vec::new();
        for c in qi_cards {
            let b = bits(*c);
            qi_offset.push(off);
            qi_mask.push(K::mask(b));
            off += b;
        }
        if off > K::BITS {
            return Err(AnonError::TooWide { bits: off, max: K::BITS });
        }
        Ok(Layout { qi_offset, qi_mask, sens_offset, sens_mask, sens_bits })
    }

    /// Code of quasi-identifier `a` in `key`.
    #[inline]
    pub fn qi(&self, key: K, a: usize) -> u32 {
        ((key >> self.qi_offset[a]) & self.qi_mask[a]).low()
    }

    /// Code of sensitive column `s` in `key`.
    #[inline]
    pub fn sens(&self, key: K, s: usize) -> u32 {
        ((key >> self.sens_offset[s]) & self.sens_mask[s]).low()
    }
}

/// The classes of one node: distinct tuples at `levels` with their counts, sorted by key when
/// there are sensitive columns (so one quasi-identifier class is one run).
#[derive(Debug, Clone)]
pub struct ClassTable<K> {
    /// Level of each quasi-identifier.
    pub levels: Vec<u8>,
    /// `(key, count)`, sorted by key so one quasi-identifier class is one run.
    pub entries: Vec<(K, u32)>,
}

/// Group rows into the level-0 class table.
pub fn base<K: Key>(
    layout: &Layout<K>,
    qi: &[&[u32]],
    sens: &[&[u32]],
    rows: usize,
    counts: Option<&[u32]>,
) -> ClassTable<K> {
    let mut map: FxHashMap<K, u32> = FxHashMap::default();
    map.reserve(rows.min(1 << 16));
    // Keys a block of rows at a time, column by column (a loop the compiler vectorises).
    let mut keys = vec![K::ZERO; rows.min(4096)];
    for start in (0..rows).step_by(4096) {
        let end = (start + 4096).min(rows);
        let keys = &mut keys[..end - start];
        keys.fill(K::ZERO);
        let columns = qi.iter().zip(&layout.qi_offset).chain(sens.iter().zip(&layout.sens_offset));
        for (codes, off) in columns {
            for (key, code) in keys.iter_mut().zip(&codes[start..end]) {
                *key = *key | (K::from_code(*code) << *off);
            }
        }
        match counts {
            None => keys.iter().for_each(|key| *map.entry(*key).or_insert(0) += 1),
            Some(c) => keys.iter().zip(&c[start..end]).for_each(|(key, c)| *map.entry(*key).or_insert(0) += c),
        }
    }
    let mut entries: Vec<(K, u32)> = map.into_iter().collect();
    if layout.sens_bits > 0 {
        entries.sort_unstable_by_key(|e| e.0);
    }
    ClassTable { levels: vec![0; qi.len()], entries }
}

/// `steps[a][from][to][code]`: code of quasi-identifier a at level `to` for its code at `from`.
pub type Steps = Vec<Vec<Vec<Vec<u32>>>>;

/// Reusable buffers of [`rollup`].
#[derive(Debug)]
pub struct Buffers<K> {
    map: FxHashMap<K, u32>,
    counts: Vec<u32>,
    touched: Vec<u32>,
}

impl<K> Default for Buffers<K> {
    fn default() -> Self {
        Buffers { map: FxHashMap::default(), counts: Vec::new(), touched: Vec::new() }
    }
}

/// Largest number of cells counted in a dense array instead of a hash map.
const DENSE_CELLS: usize = 1 << 16;

/// Roll `src` up to `to` (each level at least the source's): no row is touched. When the
/// tuples possible at `to` are few, they are counted in a dense array (no hashing).
pub fn rollup<K: Key>(
    src: &ClassTable<K>,
    to: &[u8],
    steps: &Steps,
    layout: &Layout<K>,
    buf: &mut Buffers<K>,
) -> ClassTable<K> {
    rollup_with(src, to, steps, layout, buf, DENSE_CELLS)
}

/// [`rollup`] counting densely up to `dense_cells` cells.
fn rollup_with<K: Key>(
    src: &ClassTable<K>,
    to: &[u8],
    steps: &Steps,
    layout: &Layout<K>,
    buf: &mut Buffers<K>,
    dense_cells: usize,
) -> ClassTable<K> {
    let changed: Vec<(usize, &[u32])> = (0..to.len())
        .filter(|a| to[*a] != src.levels[*a])
        .map(|a| (a, steps[a][src.levels[a] as usize][to[a] as usize].as_slice()))
        .collect();
    // Cardinality of each quasi-identifier at its target level (the identity step's length).
    let cards: Vec<usize> = (0..to.len()).map(|a| steps[a][to[a] as usize][to[a] as usize].len().max(1)).collect();
    let sens_space = 1usize.checked_shl(layout.sens_bits).unwrap_or(usize::MAX);
    let space = cards.iter().try_fold(sens_space, |acc, c| acc.checked_mul(*c));
    let mut entries: Vec<(K, u32)> = match space {
        Some(space) if space <= dense_cells && space <= u32::MAX as usize => {
            dense(src, to, &changed, &cards, sens_space, space, layout, buf)
        }
        _ => {
            let map = &mut buf.map;
            map.clear();
            map.reserve(src.entries.len());
            for (key, count) in &src.entries {
                let mut k = *key;
                for (a, step) in &changed {
                    let off = layout.qi_offset[*a];
                    let code = ((k >> off) & layout.qi_mask[*a]).low() as usize;
                    k = (k & !(layout.qi_mask[*a] << off)) | (K::from_code(step[code]) << off);
                }
                *map.entry(k).or_insert(0) += count;
            }
            map.drain().collect()
        }
    };
    if layout.sens_bits > 0 {
        entries.sort_unstable_by_key(|e| e.0);
    }
    ClassTable { levels: to.to_vec(), entries }
}

/// [`rollup`] into a dense array indexed by the mixed-radix tuple (sensitive part lowest).
#[allow(clippy::too_many_arguments)]
fn dense<K: Key>(
    src: &ClassTable<K>,
    to: &[u8],
    changed: &[(usize, &[u32])],
    cards: &[usize],
    sens_space: usize,
    space: usize,
    layout: &Layout<K>,
    buf: &mut Buffers<K>,
) -> Vec<(K, u32)> {
    let nq = to.len();
    // Per attribute: source code -> its share of the dense index (mapped code x stride).
    // Attributes with one value at the target level add nothing and are skipped.
    let mut luts: Vec<(u32, K, Vec<u32>)> = Vec::with_capacity(nq);
    let mut stride = sens_space;
    for a in 0..nq {
        if cards[a] > 1 {
            let step = changed.iter().find(|(c, _)| *c == a).map(|(_, s)| *s);
            let from = src.levels[a] as usize;
            let n = step.map_or(cards[a], <[u32]>::len);
            debug_assert!(step.is_some() || from == to[a] as usize);
            let lut = (0..n).map(|c| step.map_or(c as u32, |s| s[c]) * stride as u32).collect();
            luts.push((layout.qi_offset[a], layout.qi_mask[a], lut));
        }
        stride *= cards[a];
    }
    let sens_mask = K::mask(layout.sens_bits);
    if buf.counts.len() < space {
        buf.counts.resize(space, 0);
    }
    let (counts, touched) = (&mut buf.counts, &mut buf.touched);
    touched.clear();
    for (key, count) in &src.entries {
        let mut idx = (*key & sens_mask).low();
        for (off, mask, lut) in &luts {
            idx += lut[((*key >> *off) & *mask).low() as usize];
        }
        let slot = &mut counts[idx as usize];
        if *slot == 0 {
            touched.push(idx);
        }
        *slot += count;
    }
    touched
        .iter()
        .map(|i| {
            let i = *i as usize;
            let c = std::mem::take(&mut counts[i]);
            let mut key = K::from_code((i % sens_space) as u32);
            let mut rest = i / sens_space;
            for (card, off) in cards.iter().zip(&layout.qi_offset) {
                key = key | (K::from_code((rest % card) as u32) << *off);
                rest /= card;
            }
            (key, c)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steps of a hierarchy over `d` codes: level 1 = code / 3, level 2 = one value.
    fn steps(d: usize) -> Vec<Vec<Vec<u32>>> {
        let up = [(0..d as u32).collect::<Vec<_>>(), (0..d as u32).map(|c| c / 3).collect(), vec![0; d]];
        (0..3)
            .map(|from| {
                (0..3)
                    .map(|to| {
                        if to < from {
                            return Vec::new();
                        }
                        let card = up[from].iter().max().map_or(0, |m| *m as usize + 1);
                        let mut m = vec![0u32; card];
                        for c in 0..d {
                            m[up[from][c] as usize] = up[to][c];
                        }
                        m
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn dense_and_hashed_rollups_agree() {
        let domains = [7usize, 10, 4];
        let sens_card = 5usize;
        let layout = Layout::<u64>::new(&domains, &[sens_card]).unwrap();
        let st: Steps = domains.iter().map(|d| steps(*d)).collect();
        let mut seed = 42u64;
        let mut next = |m: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 33) as usize % m) as u32
        };
        let rows = 500;
        let qi: Vec<Vec<u32>> = domains.iter().map(|d| (0..rows).map(|_| next(*d)).collect()).collect();
        let sens: Vec<u32> = (0..rows).map(|_| next(sens_card)).collect();
        let qi_refs: Vec<&[u32]> = qi.iter().map(Vec::as_slice).collect();
        let counts: Vec<u32> = (0..rows).map(|_| next(4) + 1).collect();
        for counted in [None, Some(counts.as_slice())] {
            let base = base(&layout, &qi_refs, &[&sens], rows, counted);
            let total: u32 = base.entries.iter().map(|e| e.1).sum();
            assert_eq!(total as usize, counted.map_or(rows, |c| c.iter().map(|c| *c as usize).sum()));
            let mut buf = Buffers::default();
            for to in [[0u8, 0, 0], [1, 0, 2], [2, 2, 2], [1, 1, 1], [0, 2, 1]] {
                let from_base_dense = rollup_with(&base, &to, &st, &layout, &mut buf, usize::MAX);
                let from_base_hashed = rollup_with(&base, &to, &st, &layout, &mut buf, 0);
                assert_eq!(from_base_dense.entries, from_base_hashed.entries, "{to:?}");
                // Through an intermediate node.
                let mid: Vec<u8> = to.iter().map(|l| l.saturating_sub(1)).collect();
                let m = rollup_with(&base, &mid, &st, &layout, &mut buf, 0);
                let via = rollup_with(&m, &to, &st, &layout, &mut buf, usize::MAX);
                assert_eq!(via.entries, from_base_hashed.entries, "{to:?} via {mid:?}");
                assert_eq!(via.entries.iter().map(|e| e.1).sum::<u32>(), total);
            }
        }
    }
}
