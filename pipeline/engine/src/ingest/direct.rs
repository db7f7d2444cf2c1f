//! Reading an input larger than the page cache could hold past the cache (`O_DIRECT`, Linux).
//!
//! An input read once from start to end gains nothing from the page cache; when it is larger
//! than half the machine's memory it cannot stay there anyway, and reading it through the cache
//! costs the kernel a page allocated, copied and later reclaimed for every 4 KiB (at 100M rows,
//! 19 GB: seconds of system time), and evicts what the run itself reads back soon (its spill and
//! the shuffle's buckets). Such an input is read in aligned blocks straight from the disk. A file
//! system that refuses the flag, or a direct read the kernel turns down later (`EINVAL`,
//! `EOPNOTSUPP`), falls back to reading through the cache from where the file is: the bytes read
//! are the same either way. Where direct reads are slow (a network file system without
//! read-ahead), `TOKUMEI_DIRECT_READ=never` turns them off.

use std::fs::File;
use std::io::{self, Read};

/// Bytes per direct read: a multiple of any logical block size (512 B to 4 KiB).
const BLOCK_READ: usize = 4 << 20;
/// Alignment of the buffer a direct read fills.
const ALIGN: usize = 4096;

/// A file read through an aligned buffer with `O_DIRECT`, or as it is.
pub(super) struct InputFile {
    file: File,
    /// Direct reads in use (cleared for good when the kernel refuses one).
    direct: bool,
    /// `ALIGN + BLOCK_READ` bytes; the block read starts at `at`, aligned.
    buf: Vec<u8>,
    at: usize,
    /// The block's bytes not yet handed out: `buf[at + pos..at + end]`.
    pos: usize,
    end: usize,
    /// Tests: the next direct read is refused as a file system would refuse it.
    #[cfg(test)]
    refuse_next: bool,
}

/// When an input is read past the page cache (`TOKUMEI_DIRECT_READ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DirectRead {
    /// When the rest of the file is larger than half the memory (the default).
    Auto,
    /// Whenever the file system allows it.
    Always,
    /// Never.
    Never,
}

impl DirectRead {
    /// The setting of `TOKUMEI_DIRECT_READ` (`auto`, `always`, `never`; unset: `auto`); any
    /// other value is refused, naming the variable.
    pub(super) fn from_env() -> Result<DirectRead, String> {
        match std::env::var("TOKUMEI_DIRECT_READ").as_deref() {
            Err(std::env::VarError::NotPresent) | Ok("auto") => Ok(DirectRead::Auto),
            Ok("always") => Ok(DirectRead::Always),
            Ok("never") => Ok(DirectRead::Never),
            Ok(_) | Err(std::env::VarError::NotUnicode(_)) => {
                Err("TOKUMEI_DIRECT_READ must be `auto`, `always` or `never`".into())
            }
        }
    }
}

impl InputFile {
    /// `file`, read past the page cache as `mode` says (`Auto`: when `size`, the bytes still to
    /// read, is more than half the memory) where the file system allows it and the file's
    /// offset is aligned; otherwise read as it is.
    pub(super) fn new(file: File, size: Option<u64>, mode: DirectRead) -> InputFile {
        let wanted = match mode {
            DirectRead::Auto => size.is_some_and(|s| s > memory() / 2),
            DirectRead::Always => true,
            DirectRead::Never => false,
        };
        let direct = wanted && set_direct(&file, true);
        let (buf, at) = if direct { aligned() } else { (Vec::new(), 0) };
        #[cfg(test)]
        return InputFile { file, direct, buf, at, pos: 0, end: 0, refuse_next: false };
        #[cfg(not(test))]
        InputFile { file, direct, buf, at, pos: 0, end: 0 }
    }

    /// Whether the file is read past the page cache.
    #[cfg(test)]
    pub(super) fn is_direct(&self) -> bool {
        self.direct
    }

    /// Read the next block into the aligned buffer; a refused direct read is read again
    /// through the cache.
    fn refill(&mut self) -> io::Result<()> {
        let block = &mut self.buf[self.at..self.at + BLOCK_READ];
        let n = loop {
            #[cfg(test)]
            let read = match std::mem::take(&mut self.refuse_next) {
                true => Err(io::Error::from_raw_os_error(EINVAL)),
                false => self.file.read(block),
            };
            #[cfg(not(test))]
            let read = self.file.read(block);
            match read {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // EINVAL: an unaligned offset after a short read, or a file system that took
                // the flag and refuses the read; EOPNOTSUPP: some FUSE file systems. A refused
                // read has not moved the offset: read on through the cache.
                Err(e) if self.direct && e.raw_os_error().is_some_and(|c| c == EINVAL || c == EOPNOTSUPP) => {
                    set_direct(&self.file, false);
                    self.direct = false;
                }
                Err(e) => return Err(e),
            }
        };
        (self.pos, self.end) = (0, n);
        Ok(())
    }
}

impl Read for InputFile {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if !self.direct && self.pos == self.end {
            return self.file.read(out);
        }
        if self.pos == self.end {
            self.refill()?;
        }
        let n = (self.end - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.buf[self.at + self.pos..self.at + self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A buffer of `ALIGN + BLOCK_READ` bytes and the offset in it where an aligned block starts.
fn aligned() -> (Vec<u8>, usize) {
    let buf = vec![0u8; ALIGN + BLOCK_READ];
    let at = buf.as_ptr().align_offset(ALIGN).min(ALIGN);
    (buf, at)
}

#[cfg(target_os = "linux")]
const EINVAL: i32 = rustix::io::Errno::INVAL.raw_os_error();
#[cfg(target_os = "linux")]
const EOPNOTSUPP: i32 = rustix::io::Errno::OPNOTSUPP.raw_os_error();
#[cfg(not(target_os = "linux"))]
const EINVAL: i32 = 22;
#[cfg(not(target_os = "linux"))]
const EOPNOTSUPP: i32 = 95;

/// The memory the page cache could hold for this process, in bytes: the machine's
/// (`/proc/meminfo`), or the lowest limit of its control group and the groups above it where
/// that is lower (a container's or a service's page cache is charged to them). `u64::MAX` where
/// it is not known: never direct.
#[cfg(target_os = "linux")]
fn memory() -> u64 {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let mut limits = Vec::new();
    // cgroup v2: the process's group (`0::/path`), then each group above it up to the root.
    let own = read("/proc/self/cgroup").unwrap_or_default();
    if let Some(path) = own.lines().find_map(|l| l.strip_prefix("0::")) {
        let root = std::path::Path::new("/sys/fs/cgroup");
        let mut dir = root.join(path.trim().trim_start_matches('/'));
        while dir.starts_with(root) {
            limits.extend(std::fs::read_to_string(dir.join("memory.max")).ok());
            if dir == root || !dir.pop() {
                break;
            }
        }
    }
    // cgroup v1: the memory controller's limit as the process sees it.
    limits.extend(read("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
    memory_from(&read("/proc/meminfo").unwrap_or_default(), &limits)
}

/// [`memory`] from the text of `/proc/meminfo` and of the limits found (`max`, or bytes):
/// `MemTotal` (kB), lowered to the lowest limit; `u64::MAX` without `MemTotal`.
#[cfg(any(target_os = "linux", test))]
fn memory_from(meminfo: &str, limits: &[String]) -> u64 {
    let machine = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
        .map(|kib| kib.saturating_mul(1024));
    let Some(machine) = machine else { return u64::MAX };
    limits.iter().filter_map(|l| l.trim().parse::<u64>().ok()).fold(machine, u64::min)
}

#[cfg(not(target_os = "linux"))]
fn memory() -> u64 {
    u64::MAX
}

/// Turn direct reads of `file` on or off; whether they are now on. On only when the file's
/// offset is aligned (a direct read from anywhere else is refused).
#[cfg(target_os = "linux")]
fn set_direct(file: &File, on: bool) -> bool {
    use rustix::fs::{OFlags, SeekFrom, fcntl_getfl, fcntl_setfl, seek};
    let aligned = seek(file, SeekFrom::Current(0)).is_ok_and(|at| at.is_multiple_of(ALIGN as u64));
    let Ok(flags) = fcntl_getfl(file) else { return false };
    let wanted = match on && aligned {
        true => flags | OFlags::DIRECT,
        false => flags - OFlags::DIRECT,
    };
    fcntl_setfl(file, wanted).is_ok() && on && aligned
}

#[cfg(not(target_os = "linux"))]
fn set_direct(_file: &File, _on: bool) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::{DirectRead, InputFile};
    use std::io::{Read, Write};

    /// Bytes of a file of `len` bytes, each from its offset by a hash (a misplaced stretch of
    /// any length shows).
    fn content(len: usize) -> Vec<u8> {
        (0..len as u64).map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8).collect()
    }

    /// A folder on the disk the test binary is on (the target folder), not on a tmpfs.
    fn on_disk() -> tempfile::TempDir {
        let exe = std::env::current_exe().unwrap();
        tempfile::tempdir_in(exe.parent().unwrap()).unwrap()
    }

    /// A file of `want`'s bytes, opened to be read past the cache; `None` (the test says so)
    /// where the file system refuses the flag.
    fn direct_file(dir: &tempfile::TempDir, want: &[u8]) -> Option<InputFile> {
        let path = dir.path().join("input");
        std::fs::File::create(&path).unwrap().write_all(want).unwrap();
        let input = InputFile::new(std::fs::File::open(&path).unwrap(), None, DirectRead::Always);
        if !input.is_direct() {
            eprintln!("the target folder's file system refuses direct reads: not tested here");
            return None;
        }
        Some(input)
    }

    /// Every byte of the file, in order, whatever the sizes asked for, read directly: the reads
    /// stay direct to the end (an unaligned buffer or length would be refused and fall back).
    #[test]
    fn a_direct_read_gives_the_file_s_bytes_in_any_read_sizes() {
        let dir = on_disk();
        let block = super::BLOCK_READ;
        for len in [0, 1, 4095, 4096, 4097, block - 1, block, block + 12_345, 3 * block] {
            let want = content(len);
            for ask in [1usize, 4096, 100_003, 8 << 20] {
                let Some(mut input) = direct_file(&dir, &want) else { return };
                // Byte by byte only over the first block and a little (it is slow).
                let cap = if ask == 1 { len.min(block + 5000) } else { len };
                let (mut got, mut buf) = (Vec::new(), vec![0u8; ask]);
                while got.len() < cap || ask > 1 {
                    let n = input.read(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
                assert!(input.is_direct(), "{len} bytes read {ask} at a time fell back");
                assert_eq!(got.len(), cap, "{len} bytes read {ask} at a time");
                assert!(got == want[..cap], "{len} bytes read {ask} at a time");
            }
        }
    }

    /// A direct read the kernel refuses part way (`EINVAL`, as after a short read or from a
    /// file system that took the flag) goes on through the cache from where the file is: the
    /// block before is handed out whole, nothing is read twice.
    #[test]
    fn a_refused_direct_read_goes_on_through_the_cache() {
        let dir = on_disk();
        let want = content(2 * super::BLOCK_READ + 777);
        let Some(mut input) = direct_file(&dir, &want) else { return };
        let mut first = vec![0u8; 1000];
        input.read_exact(&mut first).unwrap();
        assert!(input.is_direct());
        input.refuse_next = true;
        let mut rest = Vec::new();
        input.read_to_end(&mut rest).unwrap();
        assert!(!input.is_direct());
        assert_eq!(rest.len(), want.len() - 1000);
        assert!(rest == want[1000..]);
    }

    /// A file whose offset is not aligned when it is handed over is read as it is, from there.
    #[test]
    fn an_unaligned_offset_reads_through_the_cache_from_there() {
        use std::io::Seek;
        let dir = on_disk();
        let want = content(50_000);
        let path = dir.path().join("input");
        std::fs::File::create(&path).unwrap().write_all(&want).unwrap();
        let mut file = std::fs::File::open(&path).unwrap();
        file.seek(std::io::SeekFrom::Start(1000)).unwrap();
        let mut input = InputFile::new(file, None, DirectRead::Always);
        assert!(!input.is_direct());
        let mut got = Vec::new();
        input.read_to_end(&mut got).unwrap();
        assert!(got == want[1000..]);
    }

    /// `auto` reads directly only what is larger than half the memory; `never` never.
    #[test]
    fn only_a_file_larger_than_half_the_memory_is_read_past_the_cache() {
        let dir = on_disk();
        let path = dir.path().join("input");
        std::fs::File::create(&path).unwrap().write_all(&content(10_000)).unwrap();
        let open = || std::fs::File::open(&path).unwrap();
        assert!(!InputFile::new(open(), Some(10_000), DirectRead::Auto).is_direct());
        assert!(!InputFile::new(open(), None, DirectRead::Auto).is_direct());
        assert!(!InputFile::new(open(), Some(u64::MAX), DirectRead::Never).is_direct());
        if InputFile::new(open(), None, DirectRead::Always).is_direct() {
            assert!(InputFile::new(open(), Some(u64::MAX), DirectRead::Auto).is_direct());
            let half = super::memory() / 2;
            assert!(!InputFile::new(open(), Some(half), DirectRead::Auto).is_direct());
            assert!(InputFile::new(open(), Some(half + 1), DirectRead::Auto).is_direct());
        }
    }

    /// The memory is `MemTotal` in bytes, lowered to the lowest control-group limit; `max` and
    /// text that is no number are no limit; without `MemTotal`, unknown.
    #[test]
    fn the_memory_is_the_machine_s_or_the_lowest_group_limit() {
        let meminfo = "MemFree:  1000 kB\nMemTotal:       24684 kB\nSwapTotal: 0 kB\n";
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(super::memory_from(meminfo, &[]), 24684 * 1024);
        assert_eq!(super::memory_from(meminfo, &l(&["max\n"])), 24684 * 1024);
        assert_eq!(super::memory_from(meminfo, &l(&["max\n", "4096000\n", "8192000"])), 4_096_000);
        assert_eq!(super::memory_from(meminfo, &l(&["999999999999"])), 24684 * 1024);
        assert_eq!(super::memory_from(meminfo, &l(&["garbled"])), 24684 * 1024);
        assert_eq!(super::memory_from("MemTotal: 12", &l(&["4096"])), u64::MAX);
        assert_eq!(super::memory_from("", &[]), u64::MAX);
        assert!(super::memory() > 0);
    }
}
