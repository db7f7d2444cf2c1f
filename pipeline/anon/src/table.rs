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
    /// Bits of each quasi-identifier.
    pub qi_bits: Vec<u32>,
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
        let mut qi_bits = Vec::new();
        for c in qi_cards {
            let b = bits(*c);
            qi_offset.push(off);
            qi_mask.push(K::mask(b));
            qi_bits.push(b);
            off += b;
        }
        if off > K::BITS {
            return Err(AnonError::TooWide { bits: off, max: K::BITS });
        }
        Ok(Layout { qi_offset, qi_mask, qi_bits, sens_offset, sens_mask, sens_bits })
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
    let mut t = group(layout, qi, &vec![None; qi.len()], sens, rows, counts);
    t.levels = vec![0; qi.len()];
    t
}

/// Group rows into the class table of the node whose codes `up[a]` maps each quasi-identifier's
/// level-0 codes to (`None`: level 0); the table's `levels` are left to the caller.
pub fn group<K: Key>(
    layout: &Layout<K>,
    qi: &[&[u32]],
    up: &[Option<&[u32]>],
    sens: &[&[u32]],
    rows: usize,
    counts: Option<&[u32]>,
) -> ClassTable<K> {
    let mut map: FxHashMap<K, u32> = FxHashMap::default();
    // A quarter of the rows: a search's tables hold fewer classes than rows, and a table that
    // starts small stays in cache (one that needs more grows, amortised).
    map.reserve(rows.min(1 << 16) / 4);
    // Keys a block of rows at a time, column by column (a loop the compiler vectorises).
    let mut keys = vec![K::ZERO; rows.min(4096)];
    for start in (0..rows).step_by(4096) {
        let end = (start + 4096).min(rows);
        let keys = &mut keys[..end - start];
        keys.fill(K::ZERO);
        for ((codes, off), up) in qi.iter().zip(&layout.qi_offset).zip(up) {
            match up {
                None => keys.iter_mut().zip(&codes[start..end]).for_each(|(key, code)| {
                    *key = *key | (K::from_code(*code) << *off);
                }),
                Some(up) => keys.iter_mut().zip(&codes[start..end]).for_each(|(key, code)| {
                    *key = *key | (K::from_code(up[*code as usize]) << *off);
                }),
            }
        }
        for (codes, off) in sens.iter().zip(&layout.sens_offset) {
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
    ClassTable { levels: Vec::new(), entries }
}

/// `steps[a][from][to][code]`: code of quasi-identifier a at level `to` for its code at `from`.
pub type Steps = Vec<Vec<Vec<Vec<u32>>>>;

/// Reusable buffers of [`rollup`].
#[derive(Debug)]
pub struct Buffers<K> {
    map: FxHashMap<K, u32>,
    counts: Vec<u32>,
    /// Per dense cell, a source entry that falls in it.
    rep: Vec<u32>,
    index: Vec<u32>,
    /// Each entry's index and position (`index << 32 | position`), and its sorted copy.
    pairs: Vec<u64>,
    sorted: Vec<u64>,
}

impl<K> Default for Buffers<K> {
    fn default() -> Self {
        Buffers {
            map: FxHashMap::default(),
            counts: Vec::new(),
            rep: Vec::new(),
            index: Vec::new(),
            pairs: Vec::new(),
            sorted: Vec::new(),
        }
    }
}

/// How a roll-up counts its cells: in a dense array up to `dense` cells, else by sorting the
/// entries' indexes up to `sorted` cells, else in a hash map of keys.
#[derive(Debug, Clone, Copy)]
struct Limits {
    dense: usize,
    sorted: usize,
}

/// Largest number of cells counted in a dense array; up to 2^24 cells (two passes of a radix
/// sort) the entries' indexes are sorted instead, beyond that keys are hashed.
const LIMITS: Limits = Limits { dense: 1 << 16, sorted: 1 << 24 };

/// Bits a pass of [`radix_sort`] sorts at most.
const DIGIT: u32 = 12;

/// Roll `src` up to `to` (each level at least the source's): no row is touched. When the
/// tuples possible at `to` are few, they are counted in a dense array; when they fit in 32
/// bits, the entries are sorted by their tuple's index; only wider tuples are hashed.
pub fn rollup<K: Key>(
    src: &ClassTable<K>,
    to: &[u8],
    steps: &Steps,
    layout: &Layout<K>,
    buf: &mut Buffers<K>,
) -> ClassTable<K> {
    rollup_with(src, to, steps, layout, buf, LIMITS)
}

/// The codes a roll-up changes: a key's other bits (`keep`), and per changed attribute its
/// offset, mask and code map.
struct Remap<'s, K> {
    keep: K,
    maps: Vec<(u32, K, &'s [u32])>,
}

impl<K: Key> Remap<'_, K> {
    /// Every key of `entries` at the target levels, an attribute at a time over all entries (a
    /// tight loop per changed attribute).
    fn keys(&self, entries: &mut [(K, u32)]) {
        for (off, mask, step) in &self.maps {
            let (off, mask, step) = (*off, *mask, *step);
            let clear = !(mask << off);
            for (key, _) in entries.iter_mut() {
                let code = step.get(((*key >> off) & mask).low() as usize).copied().unwrap_or(0);
                *key = (*key & clear) | (K::from_code(code) << off);
            }
        }
    }

    /// `key` at the target levels.
    #[inline]
    fn key(&self, key: K) -> K {
        let mut k = key & self.keep;
        for (off, mask, step) in &self.maps {
            k = k | (K::from_code(step[((key >> *off) & *mask).low() as usize]) << *off);
        }
        k
    }
}

/// [`rollup`] counting its cells as `limits` say.
fn rollup_with<K: Key>(
    src: &ClassTable<K>,
    to: &[u8],
    steps: &Steps,
    layout: &Layout<K>,
    buf: &mut Buffers<K>,
    limits: Limits,
) -> ClassTable<K> {
    let maps: Vec<(u32, K, &[u32])> = (0..to.len())
        .filter(|a| to[*a] != src.levels[*a])
        .map(|a| (layout.qi_offset[a], layout.qi_mask[a], steps[a][src.levels[a] as usize][to[a] as usize].as_slice()))
        .collect();
    let keep = !maps.iter().fold(K::ZERO, |m, (off, mask, _)| m | (*mask << *off));
    let remap = Remap { keep, maps };
    // Cardinality of each quasi-identifier at its target level (the identity step's length).
    let cards: Vec<usize> = (0..to.len()).map(|a| steps[a][to[a] as usize][to[a] as usize].len().max(1)).collect();
    let sens_space = 1usize.checked_shl(layout.sens_bits).unwrap_or(usize::MAX);
    let space = cards.iter().try_fold(sens_space, |acc, c| acc.checked_mul(*c));
    let mut entries: Vec<(K, u32)> = match space {
        Some(space) if space <= limits.dense && space <= u32::MAX as usize => {
            dense(src, to, steps, &cards, sens_space, space, layout, &remap, buf)
        }
        Some(space)
            if space <= limits.sorted && space <= u32::MAX as usize && src.entries.len() <= u32::MAX as usize =>
        {
            sorted(src, to, steps, &cards, sens_space, space, layout, &remap, buf)
        }
        _ => {
            let map = &mut buf.map;
            map.clear();
            map.reserve(src.entries.len());
            for (key, count) in &src.entries {
                *map.entry(remap.key(*key)).or_insert(0) += count;
            }
            map.drain().collect()
        }
    };
    if layout.sens_bits > 0 {
        entries.sort_unstable_by_key(|e| e.0);
    }
    ClassTable { levels: to.to_vec(), entries }
}

/// The share of the dense index of [`dense`] of each value of a bit field of the source keys:
/// `(offset, mask, share)`. Per attribute, its source code's target code times its stride;
/// attributes with one value at the target level add nothing and are left out. Neighbouring
/// attributes whose bits together span fewer values than about half the source entries share
/// one field (one look-up instead of several per entry). A field of one attribute is its code
/// map times its stride, no longer than the attribute's codes at the source level (a code past
/// a look-up's end adds 0).
fn index_luts<K: Key>(
    src: &ClassTable<K>,
    to: &[u8],
    steps: &Steps,
    cards: &[usize],
    sens_space: usize,
    layout: &Layout<K>,
) -> Vec<(u32, K, Vec<u32>)> {
    // Widest field: at most as many values as entries (and at most 2^16).
    let widest = (usize::BITS - src.entries.len().leading_zeros()).saturating_sub(1).min(16);
    let mut luts: Vec<(u32, K, Vec<u32>)> = Vec::with_capacity(to.len());
    // The field being gathered: its offset and bits, and its attributes' (offset, mask, step,
    // stride).
    type Parts<'s> = Vec<(u32, usize, &'s [u32], u32)>;
    let mut field: Option<(u32, u32, Parts)> = None;
    let close = |field: (u32, u32, Parts), luts: &mut Vec<(u32, K, Vec<u32>)>| {
        let (off, bits, parts) = field;
        if let [(at, _, step, stride)] = parts[..]
            && at == off
        {
            // One attribute: its code map times its stride (codes past the map never occur).
            luts.push((off, K::mask(bits), step.iter().map(|c| c * stride).collect()));
            return;
        }
        // Built an attribute at a time: the shares of the field's lower bits, repeated once per
        // value of the next attribute's bits (and of any bits between) with its share added.
        let mut lut = vec![0u32];
        let mut width = 0;
        for (at, mask, step, stride) in &parts {
            let gap = at - off - width;
            let mut next = Vec::with_capacity(lut.len() << (gap as usize + mask.count_ones() as usize));
            for high in 0..=(mask << gap) | ((1 << gap) - 1) {
                // Values past an attribute's codes never occur; they add 0.
                let add = step.get(high >> gap).map_or(0, |c| c * stride);
                next.extend(lut.iter().map(|x| x + add));
            }
            lut = next;
            width = at - off + mask.count_ones();
        }
        debug_assert_eq!(width, bits);
        luts.push((off, K::mask(bits), lut));
    };
    let mut stride = sens_space;
    for a in 0..to.len() {
        if cards[a] > 1 {
            let step = steps[a][src.levels[a] as usize][to[a] as usize].as_slice();
            let (at, bits) = (layout.qi_offset[a], layout.qi_bits[a]);
            field = match field.take() {
                Some((off, _, mut parts)) if at + bits - off <= widest => {
                    parts.push((at, (1 << bits) - 1, step, stride as u32));
                    Some((off, at + bits - off, parts))
                }
                other => {
                    if let Some(f) = other {
                        close(f, &mut luts);
                    }
                    Some((at, bits, vec![(at, (1 << bits) - 1, step, stride as u32)]))
                }
            };
        }
        stride *= cards[a];
    }
    if let Some(f) = field {
        close(f, &mut luts);
    }
    luts
}

/// [`rollup`] into a dense array indexed by the mixed-radix tuple (sensitive part lowest).
/// Each cell's key is its representative source entry's, remapped (all keys an attribute at a
/// time).
#[allow(clippy::too_many_arguments)]
fn dense<K: Key>(
    src: &ClassTable<K>,
    to: &[u8],
    steps: &Steps,
    cards: &[usize],
    sens_space: usize,
    space: usize,
    layout: &Layout<K>,
    remap: &Remap<K>,
    buf: &mut Buffers<K>,
) -> Vec<(K, u32)> {
    entry_indexes(src, to, steps, cards, sens_space, layout, &mut buf.index);
    let (index, counts, rep) = (&buf.index, &mut buf.counts, &mut buf.rep);
    if rep.len() < space {
        rep.resize(space, 0);
    }
    if space <= src.entries.len() {
        // Few cells for the entries: four partial counts per cell (an entry in four to each,
        // so that runs into one cell do not wait on one counter), then every cell read back.
        if counts.len() < 4 * space {
            counts.resize(4 * space, 0);
        }
        for (j, (idx, (_, count))) in index.iter().zip(&src.entries).enumerate() {
            counts[4 * *idx as usize + (j & 3)] += count;
            rep[*idx as usize] = j as u32;
        }
        let mut out = Vec::with_capacity(space);
        for (cell, part) in counts[..4 * space].chunks_exact_mut(4).enumerate() {
            let c: u32 = part.iter().sum();
            if c > 0 {
                part.fill(0);
                out.push((src.entries[rep[cell] as usize].0, c));
            }
        }
        remap.keys(&mut out);
        return out;
    }
    if counts.len() < space {
        counts.resize(space, 0);
    }
    // Without a branch per entry: every entry counts in its cell and claims it; the last to
    // claim a cell reads it back (and clears it) in a second pass.
    for (j, (idx, (_, count))) in index.iter().zip(&src.entries).enumerate() {
        counts[*idx as usize] += count;
        rep[*idx as usize] = j as u32;
    }
    let mut out = Vec::with_capacity(src.entries.len());
    for (j, idx) in index.iter().enumerate() {
        if rep[*idx as usize] == j as u32 {
            out.push((src.entries[j].0, std::mem::take(&mut counts[*idx as usize])));
        }
    }
    remap.keys(&mut out);
    out
}

/// Each entry's index in the mixed-radix tuple space of [`dense`], an attribute field at a
/// time over all entries (a tight loop per field), into `index`.
fn entry_indexes<K: Key>(
    src: &ClassTable<K>,
    to: &[u8],
    steps: &Steps,
    cards: &[usize],
    sens_space: usize,
    layout: &Layout<K>,
    index: &mut Vec<u32>,
) {
    let luts = index_luts(src, to, steps, cards, sens_space, layout);
    let sens_mask = K::mask(layout.sens_bits);
    index.clear();
    index.extend(src.entries.iter().map(|(key, _)| (*key & sens_mask).low()));
    for (off, mask, lut) in &luts {
        let (off, mask, lut) = (*off, *mask, lut.as_slice());
        for (idx, (key, _)) in index.iter_mut().zip(&src.entries) {
            *idx += lut.get(((*key >> off) & mask).low() as usize).copied().unwrap_or(0);
        }
    }
}

/// [`rollup`] by sorting the entries by their index in the tuple space of [`dense`] (a radix
/// sort of the index's bits), then adding up each run of equal indexes. The
/// classes come out in index order, which is key order.
#[allow(clippy::too_many_arguments)]
fn sorted<K: Key>(
    src: &ClassTable<K>,
    to: &[u8],
    steps: &Steps,
    cards: &[usize],
    sens_space: usize,
    space: usize,
    layout: &Layout<K>,
    remap: &Remap<K>,
    buf: &mut Buffers<K>,
) -> Vec<(K, u32)> {
    entry_indexes(src, to, steps, cards, sens_space, layout, &mut buf.index);
    let (pairs, sorted) = (&mut buf.pairs, &mut buf.sorted);
    pairs.clear();
    pairs.extend(buf.index.iter().enumerate().map(|(j, idx)| (u64::from(*idx) << 32) | j as u64));
    let bits = usize::BITS - (space - 1).leading_zeros();
    radix_sort(pairs, sorted, 32, bits);
    let mut out = Vec::with_capacity(pairs.len() / 2 + 1);
    let mut i = 0;
    while i < pairs.len() {
        let idx = pairs[i] >> 32;
        let first = pairs[i] as u32 as usize;
        let mut count = 0u32;
        while i < pairs.len() && pairs[i] >> 32 == idx {
            count += src.entries[pairs[i] as u32 as usize].1;
            i += 1;
        }
        out.push((src.entries[first].0, count));
    }
    remap.keys(&mut out);
    out
}

/// Sort `v` stably by its bits `from..from + bits` (least significant digit first, in passes
/// of at most [`DIGIT`] bits), using `tmp` as the second buffer.
fn radix_sort(v: &mut [u64], tmp: &mut Vec<u64>, from: u32, bits: u32) {
    let passes = bits.div_ceil(DIGIT).max(1);
    let width = bits.div_ceil(passes).max(1);
    let mask = (1u64 << width) - 1;
    if tmp.len() < v.len() {
        tmp.resize(v.len(), 0);
    }
    let mut starts = vec![0usize; 1 << width];
    let n = v.len();
    let (mut a, mut b) = (&mut v[..], &mut tmp[..n]);
    for pass in 0..passes {
        let shift = from + pass * width;
        starts.fill(0);
        for x in a.iter() {
            starts[((x >> shift) & mask) as usize] += 1;
        }
        let mut sum = 0;
        for s in starts.iter_mut() {
            (*s, sum) = (sum, sum + *s);
        }
        for x in a.iter() {
            let d = ((x >> shift) & mask) as usize;
            b[starts[d]] = *x;
            starts[d] += 1;
        }
        std::mem::swap(&mut a, &mut b);
    }
    if passes % 2 == 1 {
        v.copy_from_slice(&tmp[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DENSE: Limits = Limits { dense: usize::MAX, sorted: 0 };
    const SORTED: Limits = Limits { dense: 0, sorted: usize::MAX };
    const HASHED: Limits = Limits { dense: 0, sorted: 0 };

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
                let from_base_dense = rollup_with(&base, &to, &st, &layout, &mut buf, DENSE);
                let from_base_hashed = rollup_with(&base, &to, &st, &layout, &mut buf, HASHED);
                let from_base_sorted = rollup_with(&base, &to, &st, &layout, &mut buf, SORTED);
                assert_eq!(from_base_dense.entries, from_base_hashed.entries, "{to:?}");
                assert_eq!(from_base_sorted.entries, from_base_hashed.entries, "{to:?}");
                // Through an intermediate node.
                let mid: Vec<u8> = to.iter().map(|l| l.saturating_sub(1)).collect();
                let m = rollup_with(&base, &mid, &st, &layout, &mut buf, HASHED);
                let via = rollup_with(&m, &to, &st, &layout, &mut buf, DENSE);
                assert_eq!(via.entries, from_base_hashed.entries, "{to:?} via {mid:?}");
                assert_eq!(via.entries.iter().map(|e| e.1).sum::<u32>(), total);
            }
        }
    }

    /// Roll-ups from tables of many entries (fields of several attributes share a look-up, few
    /// cells for many entries count in partial counters, many cells are claimed by entries,
    /// entries sorted by index)
    /// equal the rows grouped straight at the target levels, with and without a sensitive
    /// column, dense or hashed, from the rows' table or an intermediate one.
    #[test]
    fn rollups_equal_grouping_the_rows() {
        let mut seed = 9u64;
        let mut next = |m: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 33) as usize % m) as u32
        };
        for round in 0..8 {
            let domains: Vec<usize> = (0..5).map(|_| 2 + next(40) as usize).collect();
            let sens: &[usize] = if round % 2 == 0 { &[] } else { &[3] };
            let layout = Layout::<u64>::new(&domains, sens).unwrap();
            let st: Steps = domains.iter().map(|d| steps(*d)).collect();
            let rows = 3000 + next(5000) as usize;
            // Skewed codes: many rows share a few values.
            let qi: Vec<Vec<u32>> =
                domains.iter().map(|d| (0..rows).map(|_| next(*d) % (1 + next(*d))).collect()).collect();
            let sv: Vec<Vec<u32>> = sens.iter().map(|c| (0..rows).map(|_| next(*c)).collect()).collect();
            let qi_refs: Vec<&[u32]> = qi.iter().map(Vec::as_slice).collect();
            let sv_refs: Vec<&[u32]> = sv.iter().map(Vec::as_slice).collect();
            let sorted = |mut t: ClassTable<u64>| {
                t.entries.sort_unstable();
                t.entries
            };
            let base = base(&layout, &qi_refs, &sv_refs, rows, None);
            let mut buf = Buffers::default();
            for _ in 0..12 {
                let to: Vec<u8> = (0..5).map(|_| next(3) as u8).collect();
                let up: Vec<Option<&[u32]>> = (0..5).map(|a| Some(st[a][0][to[a] as usize].as_slice())).collect();
                let expected = sorted(group(&layout, &qi_refs, &up, &sv_refs, rows, None));
                let dense = rollup_with(&base, &to, &st, &layout, &mut buf, DENSE);
                assert_eq!(dense.levels, to);
                assert_eq!(sorted(dense), expected, "dense {to:?}");
                assert_eq!(sorted(rollup_with(&base, &to, &st, &layout, &mut buf, HASHED)), expected, "hashed {to:?}");
                let by_index = rollup_with(&base, &to, &st, &layout, &mut buf, SORTED);
                // Sorted by index is sorted by key.
                assert!(by_index.entries.is_sorted_by_key(|e| e.0), "sorted {to:?}");
                assert_eq!(sorted(by_index), expected, "sorted {to:?}");
                let mid: Vec<u8> = to.iter().map(|l| l.saturating_sub(1)).collect();
                let m = rollup_with(&base, &mid, &st, &layout, &mut buf, HASHED);
                let via = rollup_with(&m, &to, &st, &layout, &mut buf, DENSE);
                assert_eq!(sorted(via), expected, "{to:?} via {mid:?}");
                let m = rollup_with(&base, &mid, &st, &layout, &mut buf, SORTED);
                let via = rollup_with(&m, &to, &st, &layout, &mut buf, SORTED);
                assert_eq!(sorted(via), expected, "{to:?} sorted via {mid:?}");
            }
        }
    }
}
