//! One 64-bit hash per accepted row (the subject's, a released code's, a column's that may name a
//! person), held in memory up to a bound and past it in an unnamed file (nothing left on disk if
//! the process dies). Counting the distinct hashes ([`RowHashes::census`]) sorts bounded runs
//! and merges them from the file (the lower and upper half of the values on two threads), so a
//! file of 100M rows is counted in about 64 MiB (one run and bounded buffers); only when
//! the hashes repeat (some person has several rows) are they read back whole
//! ([`RowHashes::load`]), because the models then need every row's person.

use crate::people::{NO_SUBJECT, Runs};
use crate::word_file::{new_file, read_at, write_at};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Hashes held in memory before they go to a file (32 MiB).
const IN_MEMORY: usize = 1 << 22;

/// Hashes sorted at once when counting from the file (64 MiB).
const RUN: usize = 1 << 23;

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
        if let Some(f) = &self.file {
            read_at(f, 0, self.written, &mut all)?;
        }
        all.extend_from_slice(&self.tail);
        Ok(all)
    }

    /// How many people the hashes are and the most rows one person has, as
    /// [`crate::people::census`] counts them ([`NO_SUBJECT`] rows each a person of their own).
    pub(crate) fn census(&self) -> std::io::Result<(u64, u64)> {
        let Some(f) = &self.file else { return Ok(crate::people::census(&self.tail)) };
        // Sorted runs, written to a second unnamed file: each read of `run_len` hashes is
        // sorted in two halves on two threads, in place, and each half is a run.
        let runs_file = new_file(self.dir.as_deref())?;
        let mut runs: Vec<(u64, u64)> = Vec::new();
        let (mut blank, mut at, mut out) = (0u64, 0u64, 0u64);
        let run_len = self.run_len.max(1);
        let mut values: Vec<u64> = Vec::with_capacity(run_len.min(self.len() as usize));
        let mut sorted_runs = |values: &mut Vec<u64>| -> std::io::Result<()> {
            let before = values.len();
            values.retain(|h| *h != NO_SUBJECT);
            blank += (before - values.len()) as u64;
            let mid = values.len() / 2;
            let (a, b) = values.split_at_mut(mid);
            std::thread::scope(|scope| {
                scope.spawn(|| a.sort_unstable());
                b.sort_unstable();
            });
            for half in [&*a, &*b] {
                write_at(&runs_file, half, out)?;
                runs.push((out, half.len() as u64));
                out += half.len() as u64;
            }
            values.clear();
            Ok(())
        };
        while at < self.written {
            let n = (self.written - at).min(run_len as u64);
            read_at(f, at, n, &mut values)?;
            sorted_runs(&mut values)?;
            at += n;
        }
        values.extend_from_slice(&self.tail);
        sorted_runs(&mut values)?;
        drop(values);
        Ok(merge_count(&runs_file, &runs)?.census(blank))
    }

    /// Keep `n` hashes in memory before writing (tests).
    #[cfg(test)]
    fn with_memory(mut self, n: usize, run_len: usize) -> RowHashes {
        self.in_memory = n;
        self.run_len = run_len;
        self
    }
}

/// The distinct values of the sorted runs `(start, len)` of `file`, merged, and the longest run
/// of one value: the values below 2^63 on one thread and the others on a second (a value is in
/// one half, so the halves' counts add up).
fn merge_count(file: &File, runs: &[(u64, u64)]) -> std::io::Result<Runs> {
    let (mut low, mut high) = (Vec::with_capacity(runs.len()), Vec::with_capacity(runs.len()));
    for &(start, len) in runs {
        let cut = first_at_least(file, start, len, 1 << 63)?;
        low.push((start, cut));
        high.push((start + cut, len - cut));
    }
    let (low, high) = std::thread::scope(|scope| {
        let high = scope.spawn(|| merge_runs(file, &high));
        (merge_runs(file, &low), high.join())
    });
    let high = high.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    Ok(low?.then(high))
}

/// How many values of the sorted run `(start, len)` of `file` are less than `value`.
fn first_at_least(file: &File, start: u64, len: u64, value: u64) -> std::io::Result<u64> {
    let (mut lo, mut hi) = (0, len);
    let mut word = Vec::with_capacity(1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        word.clear();
        read_at::<u64>(file, start + mid, 1, &mut word)?;
        match word[0] < value {
            true => lo = mid + 1,
            false => hi = mid,
        }
    }
    Ok(lo)
}

/// [`merge_count`] of some runs, on one thread.
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

    /// Hashes with repeats, blanks and a long run of one person, from a seed.
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
                    _ => x,
                }
            })
            .collect()
    }

    #[test]
    fn census_from_the_file_equals_census_in_memory() {
        let cases =
            [(0, 4, 3, 1), (1, 4, 3, 2), (10, 4, 3, 3), (1000, 7, 50, 4), (100_003, 1000, 7001, 5), (5000, 5000, 9, 6)];
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

    /// Values on both sides of the halves' cut (2^63), each repeated across runs and over the
    /// cut's neighbours, are counted once, with the longest run of one value whole.
    #[test]
    fn census_counts_each_value_once_across_the_halves() {
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
}
