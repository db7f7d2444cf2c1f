//! File-system helpers that the audit log and release publication share: exclusive locks that
//! survive a lock file being replaced, directory syncs, atomic no-replace creation, and the
//! test-only failpoints that let the integration tests crash or fail a run at a chosen step.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// An exclusive lock on a file, held until dropped (or the process dies: the kernel releases it,
/// so a `kill -9` never leaves a lock behind).
#[derive(Debug)]
pub struct Locked {
    file: File,
}

impl Locked {
    /// The locked file.
    pub fn file(&self) -> &File {
        &self.file
    }
}

/// Whether two open files / paths name the same inode.
#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    true
}

/// Lock `path` exclusively, creating it when `create` is set. Blocks while another process holds
/// it, calling `waiting` once first. After the lock is taken, the path must still name the file
/// that was locked: a holder may have renamed or removed it (rotation, clean-up), in which case
/// the lock is taken again on what the path names now.
pub fn lock_exclusive(path: &Path, create: bool, waiting: &mut dyn FnMut()) -> io::Result<Locked> {
    let mut told = false;
    loop {
        let file = OpenOptions::new().read(true).write(true).create(create).truncate(false).open(path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                if !told {
                    waiting();
                    told = true;
                }
                file.lock()?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        let held = file.metadata()?;
        match std::fs::metadata(path) {
            Ok(now) if same_file(&held, &now) => return Ok(Locked { file }),
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if create {
                    continue;
                }
                return Err(e);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Make a directory's entries durable (a rename or a new file in it survives a power cut).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// The folder that holds `path` ("." for a bare file name).
pub fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A new temporary name in `path`'s folder (hidden, unique).
pub fn temp_beside(path: &Path) -> std::path::PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent_of(path).join(format!(".{name}.new-{}", random_tag()))
}

/// Create `path` (which must not exist) with `bytes`, synced to disk.
fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Create `path` with `bytes`, atomically and only if it does not exist: the bytes are written to
/// a temporary file in the same folder, synced, and linked to `path` (a hard link never replaces).
/// Returns `false` when `path` already existed.
pub fn create_new_atomic(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    use std::io::Write;
    let dir = parent_of(path);
    let tmp = temp_beside(path);
    let result = (|| {
        write_synced(&tmp, bytes)?;
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            // File systems without hard links: fall back to exclusive creation.
            Err(_) => {
                let mut f = match OpenOptions::new().write(true).create_new(true).open(path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
                    Err(e) => return Err(e),
                };
                f.write_all(bytes)?;
                f.sync_all()?;
                Ok(true)
            }
        }
    })();
    let _ = std::fs::remove_file(&tmp);
    if matches!(result, Ok(true)) {
        sync_dir(dir)?;
    }
    result
}

/// Replace `path` with `bytes` atomically (temporary file, sync, rename over).
pub fn replace_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_of(path);
    let tmp = temp_beside(path);
    let result = (|| {
        write_synced(&tmp, bytes)?;
        std::fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Write a document holding personal data: its folder created, the file owner-only (0600),
/// atomically (a temporary file, synced, renamed over).
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = parent_of(path);
    std::fs::create_dir_all(dir)?;
    let tmp = temp_beside(path);
    let written = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A short random hex tag for temporary names (from the process id, the time and a counter:
/// unique enough for names that are also created exclusively).
pub fn random_tag() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut h = sha2::Sha256::new();
    use sha2::Digest;
    h.update(nanos.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(n.to_le_bytes());
    hex::encode(&h.finalize()[..6])
}

/// SHA-256 (hex) of a file, streamed.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Test-only failpoints.
///
/// `TOKUMEI_FAILPOINT=<point>:<action>[,<point>:<action>...]` makes the named step crash
/// (`abort`: the process dies at once, as with `kill -9`: no clean-up runs, buffered data is
/// lost) or fail with a simulated full disk (`enospc`) or read-only file system (`erofs`). The
/// integration tests use it to check that every crash and write failure leaves either no release
/// or a complete one with its audit entry. Unset in normal use; it cannot make a run succeed.
pub mod failpoint {
    use std::io;

    /// What a failpoint does.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Action {
        /// Die at once.
        Abort,
        /// Fail with "no space left on device".
        NoSpace,
        /// Fail with "read-only file system".
        ReadOnly,
        /// Wait (up to a minute) until the file `TOKUMEI_FAILPOINT_GO` names exists, then go on:
        /// lets a test act while a run stands at this point. The file `TOKUMEI_FAILPOINT_AT`
        /// names, if set, is created when the point is reached (the test knows when to act).
        Wait,
    }

    /// The action set for `point`, if any.
    pub fn action(point: &str) -> Option<Action> {
        let spec = std::env::var("TOKUMEI_FAILPOINT").ok()?;
        spec.split(',').find_map(|item| {
            let (p, a) = item.trim().split_once(':')?;
            if p != point {
                return None;
            }
            match a {
                "abort" => Some(Action::Abort),
                "enospc" => Some(Action::NoSpace),
                "erofs" => Some(Action::ReadOnly),
                "wait" => Some(Action::Wait),
                _ => None,
            }
        })
    }

    /// The error a failpoint action simulates.
    pub fn error(action: Action) -> io::Error {
        match action {
            Action::NoSpace => io::Error::new(io::ErrorKind::StorageFull, "No space left on device (simulated)"),
            _ => io::Error::new(io::ErrorKind::ReadOnlyFilesystem, "Read-only file system (simulated)"),
        }
    }

    /// Crash or fail here when the failpoint is set.
    pub fn hit(point: &str) -> io::Result<()> {
        match action(point) {
            None => Ok(()),
            Some(Action::Abort) => std::process::abort(),
            Some(Action::Wait) => {
                if let Some(at) = std::env::var_os("TOKUMEI_FAILPOINT_AT") {
                    std::fs::write(at, b"")?;
                }
                let go = std::env::var_os("TOKUMEI_FAILPOINT_GO").map(std::path::PathBuf::from);
                for _ in 0..1200 {
                    if go.as_ref().is_none_or(|g| g.exists()) {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Ok(())
            }
            Some(a) => Err(error(a)),
        }
    }
}
