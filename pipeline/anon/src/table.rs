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
    for row in 0..rows {
        let mut key = K::ZERO;
        for (a, codes) in qi.iter().enumerate() {
            key = key | (K::from_code(codes[row]) << layout.qi_offset[a]);
        }
        for (s, codes) in sens.iter().enumerate() {
            key = key | (K::from_code(codes[row]) << layout.sens_offset[s]);
        }
        *map.entry(key).or_insert(0) += counts.map_or(1, |k| k[row]);
    }
    let mut entries: Vec<(K, u32)> = map.into_iter().collect();
    if layout.sens_bits > 0 {
        entries.sort_unstable_by_key(|e| e.0);
    }
    ClassTable { levels: vec![0; qi.len()], entries }
}

/// `steps[a][from][to][code]`: code of quasi-identifier a at level `to` for its code at `from`.
pub type Steps = Vec<Vec<Vec<Vec<u32>>>>;

/// Roll `src` up to `to` (each level at least the source's): no row is touched.
pub fn rollup<K: Key>(
    src: &ClassTable<K>,
    to: &[u8],
    steps: &Steps,
    layout: &Layout<K>,
    map: &mut FxHashMap<K, u32>,
) -> ClassTable<K> {
    let changed: Vec<(usize, &[u32])> = (0..to.len())
        .filter(|a| to[*a] != src.levels[*a])
        .map(|a| (a, steps[a][src.levels[a] as usize][to[a] as usize].as_slice()))
        .collect();
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
    let mut entries: Vec<(K, u32)> = map.drain().collect();
    if layout.sens_bits > 0 {
        entries.sort_unstable_by_key(|e| e.0);
    }
    ClassTable { levels: to.to_vec(), entries }
}
