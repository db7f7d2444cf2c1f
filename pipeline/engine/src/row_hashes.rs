//! One 64-bit hash per accepted row (the subject's, a released code's, a column's that may name a
//! person), held in memory up to a bound and past it in unnamed files (nothing left on disk if
//! the process dies); a released code's hashes only from the first batch in which some differ from
//! the subject's ([`Units`]). Past the bound the hashes are written by partition, the partition of
//! their top 8 bits, in blocks, with each row's partition (one byte) in a second file: counting the
//! distinct hashes ([`RowHashes::census`]) then reads each partition and counts it in memory (two
//! threads; a partition too large for memory, one person's many rows, from sorted runs merged from
//! disk), so a file of 100M rows is counted in about 100 MiB with each hash written once; only when
//! the hashes repeat (some person has several rows) are they read back whole, in row order, by
//! following the rows' partitions ([`RowHashes::load`]), because the models then need every
//! row's person.

use crate::people::{NO_SUBJECT, Runs};
use crate::word_file::{new_file, read_at, write_at};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Hashes held in memory before they go to a file (32 MiB).
const IN_MEMORY: usize = 1 << 22;

/// The counting's measure (64 MiB of hashes): a partition is counted in memory up to a quarter
/// of this; a larger one is sorted in runs of half.
const RUN: usize = 1 << 23;

/// The top bits of a hash that name its partition: a row's partition is one byte. 256
/// partitions hold about 400K hashes each at 100M rows; past about 500M rows they outgrow their
/// in-memory bound and are counted from sorted runs (slower, same counts).
const PART_BITS: u32 = 8;
const _: () = assert!(PART_BITS == 8, "a row's partition is one byte");

/// How many partitions there are.
const PARTS: usize = 1 << PART_BITS;

/// Hashes of one partition gathered before they are written (16 KiB; 4 MiB for all, held as
/// long as the hashes are).
const BLOCK: usize = 1 << 11;

/// Rows' partitions read at once when the hashes are read back in row order (1 MiB).
const TAGS_READ: usize = 1 << 20;

/// Hashes read at once from each sorted run while merging (512 KiB).
const MERGE_READ: usize = 1 << 16;

/// The hashes of the rows, in row order.
#[derive(Default)]
pub(crate) struct RowHashes {
    /// Where the files go (the system's temporary folder when `None`).
    dir: Option<PathBuf>,
    /// The hashes not yet written (all of them while they fit).
    tail: Vec<u64>,
    /// The hashes written, by partition, before `tail`.
    written: Option<Partitioned>,
    /// Hashes kept in memory before they are written (tests set them small).
    in_memory: usize,
    /// Hashes sorted at once when counting (a partition is counted in memory up to a quarter).
    run_len: usize,
    /// Hashes of a partition written at once ([`BLOCK`]; tests set it small).
    block: usize,
}

/// Hashes written by partition: each partition's blocks in order and its hashes not yet in a
/// block, and each row's partition in row order.
struct Partitioned {
    /// The partitions' blocks.
    file: File,
    /// Per partition: its blocks in `file`, in row order.
    blocks: Vec<Vec<Block>>,
    /// Per partition: its latest hashes, not yet written (fewer than `block`).
    buffers: Vec<Vec<u64>>,
    /// Hashes of a partition written at once.
    block: usize,
    /// The next free word of `file`.
    next: u64,
    /// Each row's partition, one byte a row.
    tags: File,
    /// Rows written (the bytes of `tags`).
    rows: u64,
    /// Rows without a subject ([`NO_SUBJECT`]) among them: in their partition, left out when it
    /// is counted.
    blank: u64,
}

impl Partitioned {
    /// No rows yet, written `block` hashes of a partition at a time; the files go in `dir`.
    fn new(dir: Option<&Path>, block: usize) -> std::io::Result<Partitioned> {
        let block = block.max(1);
        Ok(Partitioned {
            file: new_file(dir)?,
            blocks: (0..PARTS).map(|_| Vec::new()).collect(),
            buffers: (0..PARTS).map(|_| Vec::with_capacity(block)).collect(),
            block,
            next: 0,
            tags: new_file(dir)?,
            rows: 0,
            blank: 0,
        })
    }

    /// Append the hashes of the next rows.
    fn add(&mut self, hashes: &[u64]) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        // The rows' partitions (a byte a row: 4 MiB for the 4M rows held in memory, let go
        // when written).
        let mut tags: Vec<u8> = Vec::with_capacity(hashes.len());
        for &h in hashes {
            let p = part_of(h);
            tags.push(p as u8);
            self.blank += u64::from(h == NO_SUBJECT);
            let buffer = &mut self.buffers[p];
            buffer.push(h);
            if buffer.len() == self.block {
                write_at(&self.file, buffer, self.next)?;
                self.blocks[p].push(Block { at: self.next, len: self.block as u64 });
                self.next += self.block as u64;
                buffer.clear();
            }
        }
        self.tags.write_all_at(&tags, self.rows)?;
        self.rows += hashes.len() as u64;
        Ok(())
    }
}

/// The partition of hash `h`: its top [`PART_BITS`] bits.
fn part_of(h: u64) -> usize {
    (h >> (64 - PART_BITS)) as usize
}

impl RowHashes {
    /// Hashes whose files, if they need them, go in `dir`.
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
        RowHashes { dir: dir.map(Path::to_path_buf), in_memory, run_len, block: BLOCK, ..Default::default() }
    }

    /// Number of hashes.
    pub(crate) fn len(&self) -> u64 {
        self.written.as_ref().map_or(0, |w| w.rows) + self.tail.len() as u64
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
                let written = match &mut self.written {
                    Some(w) => w,
                    slot => slot.insert(Partitioned::new(self.dir.as_deref(), self.block)?),
                };
                written.add(&self.tail)?;
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

    /// Every hash, in row order, appended to `all`: the written rows' by following each row's
    /// partition through that partition's blocks (read a block at a time), then the tail.
    fn append_to(&self, all: &mut Vec<u64>) -> std::io::Result<()> {
        if let Some(w) = &self.written {
            use std::os::unix::fs::FileExt;
            let mut readers: Vec<PartReader> =
                w.blocks.iter().zip(&w.buffers).map(|(b, t)| PartReader::new(b, t)).collect();
            let mut tags = vec![0u8; TAGS_READ];
            let mut at = 0u64;
            while at < w.rows {
                let n = (w.rows - at).min(TAGS_READ as u64) as usize;
                w.tags.read_exact_at(&mut tags[..n], at)?;
                for &t in &tags[..n] {
                    // 256 readers: any byte names one.
                    all.push(readers[t as usize].next(&w.file)?);
                }
                at += n as u64;
            }
            debug_assert!(readers.iter_mut().all(|r| r.is_done()), "hashes left that no row took");
        }
        all.extend_from_slice(&self.tail);
        Ok(())
    }

    /// How many people the hashes are and the most rows one person has, as
    /// [`crate::people::census`] counts them ([`NO_SUBJECT`] rows each a person of their own).
    /// Written hashes are counted partition by partition (two threads taking partitions in
    /// turn): each, about 400K hashes at 100M rows, is read with its hashes still in memory,
    /// spread by its next 8 bits and sorted in cache-sized pieces. A partition that outgrows its
    /// bound (a person with very many rows) is counted from sorted runs merged from disk instead.
    pub(crate) fn census(&self) -> std::io::Result<(u64, u64)> {
        let Some(w) = &self.written else { return Ok(crate::people::census(&self.tail)) };
        // Each partition's unwritten hashes and the tail's, laid out by partition in one vector
        // of exactly their number.
        let mut starts = [0usize; PARTS + 1];
        for (p, buffer) in w.buffers.iter().enumerate() {
            starts[p + 1] = buffer.len();
        }
        let mut tail_blank = 0;
        for &h in &self.tail {
            starts[part_of(h) + 1] += 1;
            tail_blank += u64::from(h == NO_SUBJECT);
        }
        for p in 0..PARTS {
            starts[p + 1] += starts[p];
        }
        let mut in_memory = vec![0u64; starts[PARTS]];
        let mut at = starts;
        for (p, buffer) in w.buffers.iter().enumerate() {
            in_memory[at[p]..at[p] + buffer.len()].copy_from_slice(buffer);
            at[p] += buffer.len();
        }
        for &h in &self.tail {
            in_memory[at[part_of(h)]] = h;
            at[part_of(h)] += 1;
        }
        let blank = w.blank + tail_blank;
        let parts: Vec<Part> = (0..PARTS)
            .map(|p| Part {
                blocks: &w.blocks[p],
                extra: &in_memory[starts[p]..starts[p + 1]],
                // Blank rows are all in partition 0 ([`NO_SUBJECT`] is 0).
                blank: if p == part_of(NO_SUBJECT) { blank } else { 0 },
            })
            .collect();
        Ok(self.count_parts(&w.file, &parts)?.census(blank))
    }

    /// The distinct values of every partition: two threads take the partitions in turn, and
    /// their counts are joined in partition order (every value of a partition is below every
    /// value of the next).
    fn count_parts(&self, file: &File, parts: &[Part]) -> std::io::Result<Runs> {
        let taken = AtomicUsize::new(0);
        let bound = (self.run_len / 4).max(1) as u64;
        let count = || -> std::io::Result<Vec<(usize, Runs)>> {
            let (mut values, mut spread, mut done) = (Vec::new(), Vec::new(), Vec::new());
            loop {
                let i = taken.fetch_add(1, Ordering::Relaxed);
                let Some(part) = parts.get(i) else { return Ok(done) };
                let runs = match part.len() <= bound {
                    true => count_in_memory(file, part, &mut values, &mut spread),
                    false => {
                        // The in-memory pieces are let go while the runs are sorted.
                        (values, spread) = (Vec::new(), Vec::new());
                        self.count_from_runs(file, part)
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
    fn count_from_runs(&self, file: &File, part: &Part) -> std::io::Result<Runs> {
        let cut = (self.run_len / 2).max(1);
        let mut runs: Vec<(u64, u64)> = Vec::new();
        let mut runs_file: Option<File> = None;
        let mut out = 0u64;
        // The blocks, then the hashes in memory a block's worth at a time: at most a run and a
        // block in memory.
        let piece = self.block.max(1);
        let mut values: Vec<u64> = Vec::with_capacity(cut + piece);
        let mut block: Vec<u64> = Vec::with_capacity(piece);
        let pieces = part.blocks.len() + part.extra.len().div_ceil(piece);
        for i in 0..pieces {
            match part.blocks.get(i) {
                Some(b) => {
                    block.clear();
                    read_at(file, b.at, b.len, &mut block)?;
                    values.extend(block.iter().filter(|h| **h != NO_SUBJECT));
                }
                None => {
                    let from = (i - part.blocks.len()) * piece;
                    let extra = &part.extra[from..(from + piece).min(part.extra.len())];
                    values.extend(extra.iter().filter(|h| **h != NO_SUBJECT));
                }
            }
            let last = i + 1 == pieces;
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

    /// Keep `n` hashes in memory before writing, and sort `run_len` at once (tests).
    #[cfg(test)]
    fn with_memory(mut self, n: usize, run_len: usize) -> RowHashes {
        self.in_memory = n;
        self.run_len = run_len;
        self
    }

    /// Write `block` hashes of a partition at once (tests).
    #[cfg(test)]
    fn with_block(mut self, block: usize) -> RowHashes {
        self.block = block;
        self
    }
}

/// A partition's hashes: its blocks in the file, then those still in memory.
struct Part<'a> {
    /// Its blocks in the partitions' file.
    blocks: &'a [Block],
    /// Its hashes not written.
    extra: &'a [u64],
    /// How many of its hashes are blank rows (left out when counting).
    blank: u64,
}

impl Part<'_> {
    /// Its hashes other than blank rows.
    fn len(&self) -> u64 {
        (self.blocks.iter().map(|b| b.len).sum::<u64>() + self.extra.len() as u64).saturating_sub(self.blank)
    }
}

/// A piece of a partition in the partitions' file: `len` hashes at word `at`.
struct Block {
    /// Its first word in the file.
    at: u64,
    /// Its hashes.
    len: u64,
}

/// One partition's hashes read back in order, a block at a time, then its unwritten ones.
struct PartReader<'a> {
    /// Its blocks not read yet.
    blocks: std::slice::Iter<'a, Block>,
    /// Its unwritten hashes, until they are taken.
    unwritten: Option<&'a [u64]>,
    /// The hashes being handed out, and the next one's place.
    buf: Vec<u64>,
    pos: usize,
}

impl<'a> PartReader<'a> {
    /// At the first of `blocks`, then of `unwritten`.
    fn new(blocks: &'a [Block], unwritten: &'a [u64]) -> PartReader<'a> {
        PartReader { blocks: blocks.iter(), unwritten: Some(unwritten), buf: Vec::new(), pos: 0 }
    }

    /// Whether every hash was handed out.
    fn is_done(&mut self) -> bool {
        self.pos == self.buf.len() && self.blocks.len() == 0 && self.unwritten.is_none_or(|u| u.is_empty())
    }

    /// The partition's next hash (read from `file` when its block is used up).
    fn next(&mut self, file: &File) -> std::io::Result<u64> {
        while self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            if let Some(b) = self.blocks.next() {
                read_at(file, b.at, b.len, &mut self.buf)?;
            } else if let Some(unwritten) = self.unwritten.take() {
                self.buf.extend_from_slice(unwritten);
            } else {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "row hashes: a row's partition has no hash left",
                ));
            }
        }
        self.pos += 1;
        Ok(self.buf[self.pos - 1])
    }
}

/// The distinct values of a partition (hashes sharing their top [`PART_BITS`] bits) that fits
/// in memory, blank rows left out: read into `values`, spread by the next 8 bits into `spread`
/// (256 pieces of a few thousand hashes, each sorted in cache) and walked in order.
fn count_in_memory(file: &File, part: &Part, values: &mut Vec<u64>, spread: &mut Vec<u64>) -> std::io::Result<Runs> {
    values.clear();
    values.reserve_exact(part.len() as usize);
    // Blank rows (partition 0 only) left out as they are read: there may be many.
    let mut block: Vec<u64> = Vec::new();
    for b in part.blocks {
        block.clear();
        read_at(file, b.at, b.len, &mut block)?;
        values.extend(block.iter().filter(|h| **h != NO_SUBJECT));
    }
    values.extend(part.extra.iter().filter(|h| **h != NO_SUBJECT));
    let shift = 64 - PART_BITS - 8;
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
            // Blocks of a few hashes: every partition written in many blocks, with some unwritten.
            for block in [3, BLOCK] {
                let mut spilled = RowHashes::new(None).with_memory(memory, run_len).with_block(block);
                for part in all.chunks(97) {
                    spilled.extend(part).expect("write");
                }
                assert_eq!(spilled.len(), n as u64);
                let at = format!("n={n} memory={memory} block={block}");
                assert_eq!(spilled.census().expect("census"), crate::people::census(&all), "{at}");
                assert_eq!(spilled.load().expect("load"), all, "{at}");
            }
        }
    }

    /// Rows without a subject are each a person, whether written, in a partition's unwritten
    /// hashes or in the tail.
    #[test]
    fn blank_rows_are_people_wherever_they_are_kept() {
        let all = [5, NO_SUBJECT, 5, NO_SUBJECT, 7, NO_SUBJECT, NO_SUBJECT];
        for memory in [1, 2, 3, 4, 6, 100] {
            let mut spilled = RowHashes::new(None).with_memory(memory, 8);
            spilled.extend(&all).expect("write");
            assert_eq!(spilled.census().expect("census"), (6, 2), "memory={memory}");
            assert_eq!(spilled.load().expect("load"), all, "memory={memory}");
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
        assert_eq!(spilled.load().expect("load"), all);
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

    /// A partition counted in memory and from runs (several, one, or none written), its hashes
    /// in blocks and still in memory, gives the same counts as [`crate::people::census`] of its
    /// hashes other than blanks (counted apart).
    #[test]
    fn a_partition_counts_alike_in_memory_and_from_runs() {
        for top in [0u64, 0b1010_0101] {
            // Values of one partition, with repeats far apart, a long run and (partition 0) blanks.
            let all: Vec<u64> = hashes(30_000, 11)
                .into_iter()
                .map(|h| if h == NO_SUBJECT { h } else { (top << (64 - PART_BITS)) | (h >> PART_BITS) })
                .filter(|h| *h != NO_SUBJECT || top == 0)
                .collect();
            assert!(all.iter().all(|h| part_of(*h) == top as usize));
            let (on_disk, in_memory) = all.split_at(all.len() * 9 / 10 + 1);
            let file = new_file(None).expect("file");
            write_at(&file, on_disk, 0).expect("write");
            let blocks: Vec<Block> = (0..on_disk.len())
                .step_by(BLOCK / 4)
                .map(|at| Block { at: at as u64, len: (on_disk.len() - at).min(BLOCK / 4) as u64 })
                .collect();
            let blank = all.iter().filter(|h| **h == NO_SUBJECT).count() as u64;
            let part = Part { blocks: &blocks, extra: in_memory, blank };
            assert_eq!(part.len(), all.len() as u64 - blank);
            let named: Vec<u64> = all.iter().copied().filter(|h| *h != NO_SUBJECT).collect();
            assert_eq!(named.len() < all.len(), top == 0);
            let expected = crate::people::census(&named);
            let (mut values, mut spread) = (Vec::new(), Vec::new());
            let counted = count_in_memory(&file, &part, &mut values, &mut spread).expect("count");
            assert_eq!(counted.census(0), expected, "top={top}");
            for run_len in [2, 3_001, 20_000, 100_000] {
                let hashes = RowHashes::new(None).with_memory(1, run_len);
                let counted = hashes.count_from_runs(&file, &part).expect("count");
                assert_eq!(counted.census(0), expected, "top={top} run_len={run_len}");
            }
        }
    }

    /// Rows read back follow their partitions: a partition used up before its rows are is an
    /// error, not a hash made up.
    #[test]
    fn rows_beyond_their_partition_s_hashes_are_an_error() {
        let blocks = [Block { at: 0, len: 2 }];
        let file = new_file(None).expect("file");
        write_at(&file, &[7u64, 8], 0).expect("write");
        let mut reader = PartReader::new(&blocks, &[9]);
        let read: Vec<u64> = (0..3).map(|_| reader.next(&file).expect("next")).collect();
        assert_eq!(read, [7, 8, 9]);
        assert!(reader.is_done());
        assert!(reader.next(&file).is_err());
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
