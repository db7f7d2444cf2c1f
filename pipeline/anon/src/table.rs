//! Class tables: distinct (quasi-identifier codes, sensitive codes) tuples with counts, packed
//! in a `u64` key, and their roll-up to coarser generalisation levels.

use crate::AnonError;
use rustc_hash::FxHashMap;

/// Packed tuple: sensitive codes in the low bits, quasi-identifier codes above them.
pub type Key = u64;

/// Where each attribute sits in a [`Key`].
#[derive(Debug, Clone)]
pub struct Layout {
    /// Bit offset of each quasi-identifier.
    pub qi_offset: Vec<u32>,
    /// Mask (unshifted) of each quasi-identifier.
    pub qi_mask: Vec<u64>,
    /// Bit offset of each sensitive column.
    pub sens_offset: Vec<u32>,
    /// Mask (unshifted) of each sensitive column.
    pub sens_mask: Vec<u64>,
    /// Bits used by sensitive columns (the quasi-identifier part is `key >> sens_bits`).
    pub sens_bits: u32,
}

fn bits(card: usize) -> u32 {
    (usize::BITS - card.saturating_sub(1).leading_zeros()).max(1)
}

impl Layout {
    /// A layout for quasi-identifiers and sensitive columns of these cardinalities.
    pub fn new(qi_cards: &[usize], sens_cards: &[usize]) -> Result<Self, AnonError> {
        let mut off = 0u32;
        let mut sens_offset = Vec::new();
        let mut sens_mask = Vec::new();
        for c in sens_cards {
            let b = bits(*c);
            sens_offset.push(off);
            sens_mask.push((1u64 << b) - 1);
            off += b;
        }
        let sens_bits = off;
        let mut qi_offset = Vec::new();
        let mut qi_mask = Vec::new();
        for c in qi_cards {
            let b = bits(*c);
            qi_offset.push(off);
            qi_mask.push((1u64 << b) - 1);
            off += b;
        }
        if off > 64 {
            return Err(AnonError::Problem(format!(
                "the quasi-identifiers and sensitive columns need {off} bits per tuple; at most 64 are supported (generalise a column to a coarser minimum level)"
            )));
        }
        Ok(Layout { qi_offset, qi_mask, sens_offset, sens_mask, sens_bits })
    }

    /// Code of quasi-identifier `a` in `key`.
    #[inline]
    pub fn qi(&self, key: Key, a: usize) -> u32 {
        ((key >> self.qi_offset[a]) & self.qi_mask[a]) as u32
    }

    /// Code of sensitive column `s` in `key`.
    #[inline]
    pub fn sens(&self, key: Key, s: usize) -> u32 {
        ((key >> self.sens_offset[s]) & self.sens_mask[s]) as u32
    }
}

/// The classes of one node: distinct tuples at `levels` with their counts, sorted by key when
/// there are sensitive columns (so one quasi-identifier class is one run).
#[derive(Debug, Clone)]
pub struct ClassTable {
    /// Level of each quasi-identifier.
    pub levels: Vec<u8>,
    /// `(key, count)`, sorted by key so one quasi-identifier class is one run.
    pub entries: Vec<(Key, u32)>,
}

/// Group rows into the level-0 class table.
pub fn base(layout: &Layout, qi: &[&[u32]], sens: &[&[u32]], n: usize) -> ClassTable {
    let mut map: FxHashMap<Key, u32> = FxHashMap::default();
    for row in 0..n {
        let mut key: Key = 0;
        for (a, codes) in qi.iter().enumerate() {
            key |= (codes[row] as u64) << layout.qi_offset[a];
        }
        for (s, codes) in sens.iter().enumerate() {
            key |= (codes[row] as u64) << layout.sens_offset[s];
        }
        *map.entry(key).or_insert(0) += 1;
    }
    let mut entries: Vec<(Key, u32)> = map.into_iter().collect();
    if layout.sens_bits > 0 {
        entries.sort_unstable_by_key(|e| e.0);
    }
    ClassTable { levels: vec![0; qi.len()], entries }
}

/// `steps[a][from][to][code]`: code of quasi-identifier a at level `to` for its code at `from`.
pub type Steps = Vec<Vec<Vec<Vec<u32>>>>;

/// Roll `src` up to `to` (each level at least the source's): no row is touched.
pub fn rollup(
    src: &ClassTable,
    to: &[u8],
    steps: &Steps,
    layout: &Layout,
    map: &mut FxHashMap<Key, u32>,
) -> ClassTable {
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
            let code = ((k >> off) & layout.qi_mask[*a]) as usize;
            k = (k & !(layout.qi_mask[*a] << off)) | ((step[code] as u64) << off);
        }
        *map.entry(k).or_insert(0) += count;
    }
    let mut entries: Vec<(Key, u32)> = map.drain().collect();
    if layout.sens_bits > 0 {
        entries.sort_unstable_by_key(|e| e.0);
    }
    ClassTable { levels: to.to_vec(), entries }
}
