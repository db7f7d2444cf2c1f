//! Unnamed files of fixed-width words (row hashes, combination ids): nothing is left on disk if
//! the process dies; values are written and read at a word offset, little-endian, a bounded piece
//! at a time.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Words converted to bytes at once.
const IO_CHUNK: usize = 1 << 16;

/// A word of such a file.
pub(crate) trait Word: Copy {
    /// Its bytes.
    const BYTES: usize;
    /// Its little-endian bytes appended to `out`.
    fn put(self, out: &mut Vec<u8>);
    /// The word of `BYTES` little-endian bytes.
    fn get(bytes: &[u8]) -> Self;
}

impl Word for u32 {
    const BYTES: usize = 4;
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn get(bytes: &[u8]) -> Self {
        u32::from_le_bytes(bytes.try_into().unwrap_or([0; 4]))
    }
}

impl Word for u64 {
    const BYTES: usize = 8;
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn get(bytes: &[u8]) -> Self {
        u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]))
    }
}

/// A new unnamed file in `dir` (the system's temporary folder when `None`).
pub(crate) fn new_file(dir: Option<&Path>) -> std::io::Result<File> {
    match dir {
        Some(d) => tempfile::tempfile_in(d),
        None => tempfile::tempfile(),
    }
}

/// Write `values` at word offset `at` of `file`.
pub(crate) fn write_at<W: Word>(file: &File, values: &[W], at: u64) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(IO_CHUNK.min(values.len()) * W::BYTES);
    for (i, piece) in values.chunks(IO_CHUNK).enumerate() {
        bytes.clear();
        for v in piece {
            v.put(&mut bytes);
        }
        file.write_all_at(&bytes, (at + (i * IO_CHUNK) as u64) * W::BYTES as u64)?;
    }
    Ok(())
}

/// Append `n` words read from word offset `at` of `file` to `out`.
pub(crate) fn read_at<W: Word>(file: &File, at: u64, n: u64, out: &mut Vec<W>) -> std::io::Result<()> {
    let mut bytes = vec![0u8; (IO_CHUNK as u64).min(n) as usize * W::BYTES];
    let mut done = 0u64;
    while done < n {
        let k = (n - done).min(IO_CHUNK as u64) as usize;
        file.read_exact_at(&mut bytes[..k * W::BYTES], (at + done) * W::BYTES as u64)?;
        out.extend(bytes[..k * W::BYTES].chunks_exact(W::BYTES).map(W::get));
        done += k as u64;
    }
    Ok(())
}
