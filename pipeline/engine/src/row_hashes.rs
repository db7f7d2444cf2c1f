//! One 64-bit hash per accepted row (the subject's, a released code's, a column's that may name a
//! person), held in memory up to a bound and past it in an unnamed file (nothing left on disk if
//! the process dies); a released code's hashes only from the first batch in which some differ from
//! the subject's ([`Units`]). Counting the distinct hashes ([`RowHashes::census`]) partitions them by
//! their top bits into a second unnamed file and counts each partition in memory (two threads;
//! a partition too large for memory, one person's many rows, from sorted runs merged from disk),
//! so a file of 100M rows is counted in about 70 MiB; only when the hashes repeat (some person
//! has several rows) are they read back whole ([`RowHashes::load`]), because the models then
//! need every row's person.

use crate::people::{NO_SUBJECT, Runs};
use crate::word_file::{new_file, read_at, write_at};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Hashes held in memory before they go to a file (32 MiB).
const IN_MEMORY: usize = 1 << 22;

/// The counting's measure (64 MiB of hashes): a partition is expected to hold an eighth of this
/// and is counted in memory up to a quarter ([`Bounds`]); a larger one is sorted in runs of half.
const RUN: usize = 1 << 23;

/// Most top bits that name a partition (1,024 partitions, their buffers 32 MiB on each thread).
/// Past about a billion hashes the partitions outgrow memory and are counted from runs.
const MAX_BITS: u32 = 10;
const _: () = assert!(MAX_BITS <= 56, "a partition's top bits and the next 8 fit in a hash");

/// Hashes of one partition gathered before they are written (32 KiB).
const BLOCK: usize = 1 << 12;

/// Hashes read at once while partitioning (8 MiB).
const SCATTER_READ: usize = 1 << 20;

/// Hashes read at once from each sorted run while merging (512 KiB).
const MERGE_READ: usize = 1 << 16;

/// The hashes of the rows, in row order.
#[derive(Default)]
pub(crate) struct RowHashes {
    /// Where the file goes (the system's temporary folder when `None`).
    dir: Option<PathBuf>,
    /// The hashes not yet written (all of them while they fit).
    tail: Vec<u64>,
    /// The hashes written, in order, before `tail`.
    file: Option<File>,
    written: u64,
    /// Hashes kept in memory before the file is started, and sorted at once when counting
    /// (tests set them small).
    in_memory: usize,
    run_len: usize,
}

impl RowHashes {
    /// Hashes whose file, if they need one, goes in `dir`.
    pub(crate) fn new(dir: Option<&Path>) -> RowHashes {
        // Tests of the binary set the bounds small with TOKUMEI_TEST_ROW_HASHES (builds with
        // debug assertions only) so that a small file takes the way of a large one.
        #[cfg(debug_assertions)]
        let (in_memory, run_len) = match std::env::var("TOKUMEI_TEST_ROW_HASHES").ok().and_then(|v| v.parse().ok()) {
            Some(n) => (n, n),
            None => (IN_MEMORY, RUN),
        };
        #[cfg(not(debug_assertions))]
        let (in_memory, run_len) = (IN_MEMORY, RUN);
        RowHashes { dir: dir.map(Path::to_path_buf), in_memory, run_len, ..Default::default() }
    }

    /// Number of hashes.
    pub(crate) fn len(&self) -> u64 {
        self.written + self.tail.len() as u64
    }

    /// The folder of its files (for an error).
    pub(crate) fn folder(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(std::env::temp_dir)
    }

    /// Append the hashes of the next rows.
    pub(crate) fn extend(&mut self, mut hashes: &[u64]) -> std::io::Result<()> {
        let bound = self.in_memory.max(1);
        while !hashes.is_empty() {
            // Room for the bound at once: a vector that doubles could hold twice the bound.
            if self.tail.capacity() < bound {
                self.tail.reserve_exact(bound - self.tail.len());
            }
            let take = (bound - self.tail.len()).min(hashes.len());
            self.tail.extend_from_slice(&hashes[..take]);
            hashes = &hashes[take..];
            if self.tail.len() == bound {
                let file = match &mut self.file {
                    Some(f) => f,
                    slot => slot.insert(new_file(self.dir.as_deref())?),
                };
                write_at(file, &self.tail, self.written)?;
                self.written += self.tail.len() as u64;
                self.tail.clear();
            }
        }
        Ok(())
    }

    /// Every hash, in row order.
    pub(crate) fn load(&self) -> std::io::Result<Vec<u64>> {
        let mut all = Vec::with_capacity(self.len() as usize);
        self.append_to(&mut all)?;
        Ok(all)
    }

    /// Every hash, in row order, appended to `all`.
    fn append_to(&self, all: &mut Vec<u64>) -> std::io::Result<()> {
        if let Some(f) = &self.file {
            read_at(f, 0, self.written, all)?;
        }
        all.extend_from_slice(&self.tail);
        Ok(())
    }

    /// How many people the hashes are and the most rows one person has, as
    /// [`crate::people::census`] counts them ([`NO_SUBJECT`] rows each a person of their own).
    /// Hashes past the memory bound are counted in partitions: one pass (two threads, each over
    /// half the rows) writes each hash to the partition of its top bits; each partition, about
    /// a million hashes, is then read, spread by its next 8 bits and sorted in cache-sized
    /// pieces (two threads taking partitions in turn). A partition that outgrows its bound (a
    /// person with very many rows) is counted from sorted runs merged from disk instead.
    pub(crate) fn census(&self) -> std::io::Result<(u64, u64)> {
        let Some(f) = &self.file else { return Ok(crate::people::census(&self.tail)) };
        let bounds = Bounds::of(self.len(), self.run_len);
        let parts_file = new_file(self.dir.as_deref())?;
        let next = AtomicU64::new(0);
        let half = self.written / 2;
        let (low, high) = std::thread::scope(|scope| {
            let high = scope.spawn(|| scatter(f, half..self.written, &self.tail, &parts_file, &next, bounds.bits));
            (scatter(f, 0..half, &[], &parts_file, &next, bounds.bits), high.join())
        });
        let (low, high) = (low?, high.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?);
        let blank = low.blank + high.blank;
        let parts: Vec<Vec<Block>> = low
            .blocks
            .into_iter()
            .zip(high.blocks)
            .map(|(mut a, b)| {
                a.extend(b);
                a
            })
            .collect();
        Ok(self.count_parts(&parts_file, &parts, bounds)?.census(blank))
    }

    /// The distinct values of every partition of `parts_file`: two threads take the partitions
    /// in turn, and their counts are joined in partition order (every value of a partition is
    /// below every value of the next).
    fn count_parts(&self, parts_file: &File, parts: &[Vec<Block>], bounds: Bounds) -> std::io::Result<Runs> {
        let taken = AtomicUsize::new(0);
        let count = || -> std::io::Result<Vec<(usize, Runs)>> {
            let (mut values, mut spread, mut done) = (Vec::new(), Vec::new(), Vec::new());
            loop {
                let i = taken.fetch_add(1, Ordering::Relaxed);
                let Some(blocks) = parts.get(i) else { return Ok(done) };
                let len: u64 = blocks.iter().map(|b| b.len).sum();
                let runs = match len <= bounds.part as u64 {
                    true => count_in_memory(parts_file, blocks, &mut values, &mut spread, bounds.bits),
                    false => {
                        // The in-memory pieces are let go while the runs are sorted.
                        (values, spread) = (Vec::new(), Vec::new());
                        self.count_from_runs(parts_file, blocks)
                    }
                };
                match runs {
                    Ok(runs) => done.push((i, runs)),
                    Err(e) => {
                        // The other thread stops at its next partition.
                        taken.store(parts.len(), Ordering::Relaxed);
                        return Err(e);
                    }
                }
            }
        };
        let (a, b) = std::thread::scope(|scope| {
            let b = scope.spawn(count);
            (count(), b.join())
        });
        let mut counted = a?;
        counted.extend(b.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?);
        counted.sort_unstable_by_key(|(i, _)| *i);
        Ok(counted.into_iter().fold(Runs::default(), |all, (_, runs)| all.then(runs)))
    }

    /// The distinct values of a partition too large for memory (a person with very many rows):
    /// sorted runs of half a run's hashes (both threads at once hold one run's) written to an
    /// unnamed file and merged; a partition of one run is walked in memory.
    fn count_from_runs(&self, parts_file: &File, blocks: &[Block]) -> std::io::Result<Runs> {
        let cut = (self.run_len / 2).max(1);
        let mut runs: Vec<(u64, u64)> = Vec::new();
        let mut runs_file: Option<File> = None;
        let mut out = 0u64;
        let mut values: Vec<u64> = Vec::with_capacity(cut + BLOCK);
        for (i, b) in blocks.iter().enumerate() {
            read_at(parts_file, b.at, b.len, &mut values)?;
            let last = i + 1 == blocks.len();
            if values.len() >= cut || (last && !runs.is_empty()) {
                values.sort_unstable();
                let file = match &mut runs_file {
                    Some(f) => f,
                    slot => slot.insert(new_file(self.dir.as_deref())?),
                };
                write_at(file, &values, out)?;
                runs.push((out, values.len() as u64));
                out += values.len() as u64;
                values.clear();
            }
        }
        let Some(file) = runs_file else {
            values.sort_unstable();
            let mut counted = Runs::default();
            values.iter().for_each(|h| counted.add(*h));
            return Ok(counted);
        };
        drop(values);
        merge_runs(&file, &runs)
    }

    /// Keep `n` hashes in memory before writing (tests).
    #[cfg(test)]
    fn with_memory(mut self, n: usize, run_len: usize) -> RowHashes {
        self.in_memory = n;
        self.run_len = run_len;
        self
    }
}

/// Each row's hash of its released code's value (when the subject is released as a code),
/// beside the rows' subject hashes. A row's two hashes are equal when its identifier is written
/// as the registry keeps it (ASCII digits or capitals, no space: the code's normalisation then
/// changes nothing either), so the units are kept only from the first batch in which some row's
/// differ: the rows before it take their subject hashes, and when every row's are equal none
/// are kept ([`crate::people::from_census`] then takes the subjects as the units).
#[derive(Default)]
pub(crate) struct Units {
    /// The rows before the first kept unit (their units are their subjects).
    from: u64,
    /// The units from row `from` on.
    kept: RowHashes,
}

impl Units {
    /// No units yet; their file, if they need one, goes in `dir`.
    pub(crate) fn new(dir: Option<&Path>) -> Units {
        Units { from: 0, kept: RowHashes::new(dir) }
    }

    /// Append the subject hashes of a batch's rows to `subjects` and their unit hashes (empty
    /// when no code is released) here.
    pub(crate) fn extend(
        &mut self,
        subjects: &mut RowHashes,
        batch_subjects: &[u64],
        batch_units: &[u64],
    ) -> std::io::Result<()> {
        debug_assert!(batch_units.is_empty() || batch_units.len() == batch_subjects.len());
        if !batch_units.is_empty() && (self.kept.len() > 0 || batch_units != batch_subjects) {
            if self.kept.len() == 0 {
                self.from = subjects.len();
            }
            self.kept.extend(batch_units)?;
        }
        subjects.extend(batch_subjects)
    }

    /// Every row's unit hash, given every row's subject hash (`subjects`, in row order): empty
    /// when none was kept.
    pub(crate) fn load(&self, subjects: &[u64]) -> std::io::Result<Vec<u64>> {
        if self.kept.len() == 0 {
            return Ok(Vec::new());
        }
        let from = (self.from as usize).min(subjects.len());
        let mut all = Vec::with_capacity(from + self.kept.len() as usize);
        all.extend_from_slice(&subjects[..from]);
        self.kept.append_to(&mut all)?;
        Ok(all)
    }

    /// The folder of its files (for an error).
    pub(crate) fn folder(&self) -> PathBuf {
        self.kept.folder()
    }
}

/// How the hashes are partitioned.
#[derive(Clone, Copy)]
struct Bounds {
    /// The hash's top bits that name its partition.
    bits: u32,
    /// Most hashes of a partition counted in memory.
    part: usize,
}

impl Bounds {
    /// For `len` hashes, with `run_len` hashes sorted at once: partitions expected to hold an
    /// eighth of a run (at most [`MAX_BITS`] bits), counted in memory up to a quarter of one
    /// (with the piece it is spread into, half a run on each of two threads).
    fn of(len: u64, run_len: usize) -> Bounds {
        let expected = (run_len as u64 / 8).max(1);
        let mut bits = 1;
        while bits < MAX_BITS && len >> bits > expected {
            bits += 1;
        }
        Bounds { bits, part: (run_len / 4).max(1) }
    }
}

/// A piece of a partition in the partitions' file: `len` hashes at word `at`.
struct Block {
    at: u64,
    len: u64,
}

/// One thread's share of the partitioning: each partition's blocks, and the blank rows.
struct Scattered {
    blocks: Vec<Vec<Block>>,
    blank: u64,
}

/// Each hash of words `range` of `file`, then of `tail`, written to the partition of its top
/// `bits` bits: a partition's hashes gather in a buffer of [`BLOCK`] words, written to `out` at
/// the next free word (`next`, shared with the other thread) when full. Blank rows
/// ([`NO_SUBJECT`]) are counted, not written.
fn scatter(
    file: &File,
    range: std::ops::Range<u64>,
    tail: &[u64],
    out: &File,
    next: &AtomicU64,
    bits: u32,
) -> std::io::Result<Scattered> {
    let parts = 1usize << bits;
    let mut buffers: Vec<Vec<u64>> = (0..parts).map(|_| Vec::with_capacity(BLOCK)).collect();
    let mut done = Scattered { blocks: (0..parts).map(|_| Vec::new()).collect(), blank: 0 };
    let flush = |buffer: &mut Vec<u64>, blocks: &mut Vec<Block>| -> std::io::Result<()> {
        let len = buffer.len() as u64;
        let at = next.fetch_add(len, Ordering::Relaxed);
        write_at(out, buffer, at)?;
        blocks.push(Block { at, len });
        buffer.clear();
        Ok(())
    };
    let mut spread = |values: &[u64], done: &mut Scattered| -> std::io::Result<()> {
        for &h in values {
            if h == NO_SUBJECT {
                done.blank += 1;
                continue;
            }
            let p = (h >> (64 - bits)) as usize;
            buffers[p].push(h);
            if buffers[p].len() == BLOCK {
                flush(&mut buffers[p], &mut done.blocks[p])?;
            }
        }
        Ok(())
    };
    let mut values: Vec<u64> = Vec::with_capacity(SCATTER_READ);
    let mut at = range.start;
    while at < range.end {
        let n = (range.end - at).min(SCATTER_READ as u64);
        values.clear();
        read_at(file, at, n, &mut values)?;
        spread(&values, &mut done)?;
        at += n;
    }
    spread(tail, &mut done)?;
    for (buffer, blocks) in buffers.iter_mut().zip(done.blocks.iter_mut()) {
        if !buffer.is_empty() {
            flush(buffer, blocks)?;
        }
    }
    Ok(done)
}

/// The distinct values of a partition (hashes sharing their top `bits` bits) that fits in
/// memory: read into `values`, spread by the next 8 bits into `spread` (256 pieces of a few
/// thousand hashes, each sorted in cache) and walked in order.
fn count_in_memory(
    file: &File,
    blocks: &[Block],
    values: &mut Vec<u64>,
    spread: &mut Vec<u64>,
    bits: u32,
) -> std::io::Result<Runs> {
    values.clear();
    values.reserve_exact(blocks.iter().map(|b| b.len as usize).sum());
    for b in blocks {
        read_at(file, b.at, b.len, values)?;
    }
    let shift = 64 - bits - 8;
    let piece = |h: u64| ((h >> shift) & 0xff) as usize;
    let mut starts = [0usize; 257];
    for &h in values.iter() {
        starts[piece(h) + 1] += 1;
    }
    for i in 0..256 {
        starts[i + 1] += starts[i];
    }
    let mut at = starts;
    spread.clear();
    spread.reserve_exact(values.len());
    spread.resize(values.len(), 0);
    for &h in values.iter() {
        let p = piece(h);
        spread[at[p]] = h;
        at[p] += 1;
    }
    let mut runs = Runs::default();
    for w in starts.windows(2) {
        let sorted = &mut spread[w[0]..w[1]];
        sorted.sort_unstable();
        for &h in sorted.iter() {
            runs.add(h);
        }
    }
    Ok(runs)
}

/// The distinct values of the sorted runs `(start, len)` of `file`, merged, and the longest run
/// of one value.
fn merge_runs(file: &File, runs: &[(u64, u64)]) -> std::io::Result<Runs> {
    struct Cursor {
        next: u64,
        end: u64,
        buf: Vec<u64>,
        pos: usize,
    }
    let refill = |c: &mut Cursor| -> std::io::Result<()> {
        let n = (c.end - c.next).min(MERGE_READ as u64);
        c.buf.clear();
        read_at(file, c.next, n, &mut c.buf)?;
        c.pos = 0;
        c.next += n;
        Ok(())
    };
    let mut cursors: Vec<Cursor> = Vec::with_capacity(runs.len());
    let mut heap = BinaryHeap::with_capacity(runs.len());
    for (i, (start, len)) in runs.iter().enumerate() {
        let mut c = Cursor { next: *start, end: start + len, buf: Vec::new(), pos: 0 };
        refill(&mut c)?;
        if let Some(v) = c.buf.first() {
            heap.push(Reverse((*v, i)));
        }
        cursors.push(c);
    }
    let mut counted = Runs::default();
    // The smallest value's run gives its next value in place (one sift down), or leaves.
    while let Some(mut top) = heap.peek_mut() {
        let Reverse((h, i)) = *top;
        counted.add(h);
        let c = &mut cursors[i];
        c.pos += 1;
        if c.pos == c.buf.len() && c.next < c.end {
            refill(c)?;
        }
        match c.buf.get(c.pos) {
            Some(v) => *top = Reverse((*v, i)),
            None => {
                std::collections::binary_heap::PeekMut::pop(top);
            }
        }
    }
    Ok(counted)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hashes with repeats (small values, and large ones spread over every partition), blanks
    /// and a long run of one person, from a seed.
    fn hashes(n: usize, seed: u64) -> Vec<u64> {
        let mut x = seed | 1;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                match x % 10 {
                    0 => NO_SUBJECT,
                    1 => 42,
                    2 => (i as u64 / 3) + 100,
                    3 | 4 => (i as u64 % (n as u64 / 7 + 1)).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
                    _ => x,
                }
            })
            .collect()
    }

    #[test]
    fn census_from_the_file_equals_census_in_memory() {
        let cases = [
            (0, 4, 3, 1),
            (1, 4, 3, 2),
            (10, 4, 3, 3),
            (1000, 7, 50, 4),
            (100_003, 1000, 7001, 5),
            (5000, 5000, 9, 6),
            (3, 1, 1, 7),
        ];
        for (n, memory, run_len, seed) in cases {
            let all = hashes(n, seed);
            let mut spilled = RowHashes::new(None).with_memory(memory, run_len);
            for part in all.chunks(97) {
                spilled.extend(part).expect("write");
            }
            assert_eq!(spilled.len(), n as u64);
            assert_eq!(spilled.census().expect("census"), crate::people::census(&all), "n={n} memory={memory}");
            assert_eq!(spilled.load().expect("load"), all, "n={n}");
        }
    }

    /// Values on both sides of a partitions' boundary (2^63), each repeated across runs and over
    /// the boundary's neighbours, are counted once, with the longest run of one value whole.
    #[test]
    fn census_counts_each_value_once_across_partitions() {
        let mid = 1u64 << 63;
        let mut all: Vec<u64> = Vec::new();
        for i in 0..40_000u64 {
            all.push(match i % 5 {
                0 => mid - 1,
                1 => mid,
                2 => mid + 1 + i % 7,
                3 => i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
                _ => mid + (i % 3),
            });
        }
        all.extend(std::iter::repeat_n(mid, 9_000));
        let mut spilled = RowHashes::new(None).with_memory(1 << 10, 5_000);
        for part in all.chunks(999) {
            spilled.extend(part).expect("write");
        }
        let census = spilled.census().expect("census");
        assert_eq!(census, crate::people::census(&all));
        // mid - 1, mid + 0..=7 and the 8,000 others: mid itself the longest run.
        assert_eq!(census, (1 + 8 + 8_000, 8_000 + 2_667 + 9_000));
    }

    #[test]
    fn census_merges_many_runs() {
        // More sorted runs than one: every value repeated across runs is counted once.
        let all: Vec<u64> = (0..(1u64 << 18) * 2 + 5).map(|i| (i % 10_007) + 1).collect();
        let mut spilled = RowHashes::new(None).with_memory(1 << 14, 1 << 17);
        for part in all.chunks(1 << 12) {
            spilled.extend(part).expect("write");
        }
        // 524,293 values over 10,007: each 52 times, 3,929 of them 53 times.
        assert_eq!(spilled.census().expect("census"), (10_007, 53));
    }

    /// The partitions are as many as keep the expected share at an eighth of a run (at most
    /// 2^MAX_BITS), and one is counted in memory up to a quarter of a run.
    #[test]
    fn bounds_follow_the_rows_and_the_run() {
        let of = |len: u64, run: usize| {
            let b = Bounds::of(len, run);
            (b.bits, b.part)
        };
        assert_eq!(of(100_000_000, RUN), (7, 1 << 21));
        assert_eq!(of(10_000_000, RUN), (4, 1 << 21));
        assert_eq!(of(1 << 21, RUN), (1, 1 << 21));
        assert_eq!(of((1 << 20) << 3, RUN), (3, 1 << 21));
        assert_eq!(of(((1 << 20) << 3) + 8, RUN), (4, 1 << 21));
        assert_eq!(of(1 << 40, RUN), (MAX_BITS, 1 << 21));
        assert_eq!(of(10, 0), (3, 1));
        assert_eq!(of(10, 1), (3, 1));
    }

    /// A partition counted in memory and from runs (several, one, or none written) gives the
    /// same counts as [`crate::people::census`].
    #[test]
    fn a_partition_counts_alike_in_memory_and_from_runs() {
        let bits = 3;
        // Values of one partition (top 3 bits 0b101), with repeats far apart and a long run.
        let all: Vec<u64> =
            hashes(30_000, 11).into_iter().filter(|h| *h != NO_SUBJECT).map(|h| (0b101 << 61) | (h >> bits)).collect();
        let file = new_file(None).expect("file");
        write_at(&file, &all, 0).expect("write");
        let blocks: Vec<Block> = (0..all.len())
            .step_by(BLOCK / 4)
            .map(|at| Block { at: at as u64, len: (all.len() - at).min(BLOCK / 4) as u64 })
            .collect();
        let expected = crate::people::census(&all);
        let (mut values, mut spread) = (Vec::new(), Vec::new());
        let counted = count_in_memory(&file, &blocks, &mut values, &mut spread, bits).expect("count");
        assert_eq!(counted.census(0), expected);
        for run_len in [2, 3_001, 20_000, 100_000] {
            let hashes = RowHashes::new(None).with_memory(1, run_len);
            let counted = hashes.count_from_runs(&file, &blocks).expect("count");
            assert_eq!(counted.census(0), expected, "run_len={run_len}");
        }
    }

    /// Units equal to the subjects are not kept; from the first batch where some row's differ,
    /// every row's are, the earlier rows' taken from the subjects (in memory and from a file).
    #[test]
    fn units_are_kept_from_the_first_batch_that_differs() {
        let batch = |i: u64| -> Vec<u64> { (i * 10..i * 10 + 7).collect() };
        for (memory, first) in [(1, 4), (3, 4), (1000, 4), (2, 0), (1000, 0)] {
            let mut subjects = RowHashes::new(None).with_memory(memory, 8);
            let mut units = Units { from: 0, kept: RowHashes::new(None).with_memory(memory, 8) };
            let mut all_units: Vec<u64> = Vec::new();
            for i in 0..7 {
                let mut these = batch(i);
                if i == first {
                    these[5] += 1000;
                }
                // An empty batch among the others changes nothing.
                units.extend(&mut subjects, &[], &[]).expect("extend");
                units.extend(&mut subjects, &batch(i), &these).expect("extend");
                all_units.extend(these);
                if i < first {
                    assert_eq!(units.kept.len(), 0, "memory={memory}");
                }
            }
            let all_subjects = subjects.load().expect("load");
            assert_eq!(all_subjects, (0..7).flat_map(batch).collect::<Vec<_>>(), "memory={memory}");
            assert_eq!(units.load(&all_subjects).expect("load"), all_units, "memory={memory} first={first}");
            assert_eq!(units.kept.len(), (7 - first) * 7);
        }
        // Every row's equal, or no code released: no units.
        for code in [true, false] {
            let (mut subjects, mut units) = (RowHashes::new(None).with_memory(2, 8), Units::new(None));
            for i in 0..5 {
                let these = if code { batch(i) } else { Vec::new() };
                units.extend(&mut subjects, &batch(i), &these).expect("extend");
            }
            assert_eq!(subjects.len(), 35);
            assert_eq!(units.load(&subjects.load().expect("load")).expect("load"), Vec::<u64>::new());
        }
    }
}
