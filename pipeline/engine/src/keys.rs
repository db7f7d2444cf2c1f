//! Pseudonym keys: a per-release random key that is never stored (anonymized mode) or a
//! managed key file (pseudonymized mode). Key material never appears in any message.

use crate::EngineError;
use rand::RngExt;
use sha2::{Digest, Sha256};
use std::path::Path;

/// A 32-byte HMAC key. `Debug` prints `[redacted]`.
pub struct Key {
    bytes: [u8; 32],
    /// Printable identifier: a hash of the key (managed keys) or `ephemeral`.
    pub id: String,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key {{ id: {}, bytes: [redacted] }}", self.id)
    }
}

impl Key {
    /// Key bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// A fresh random key that exists only for this release.
    pub fn ephemeral() -> Key {
        let mut bytes = [0u8; 32];
        rand::rng().fill(&mut bytes);
        Key { bytes, id: "ephemeral (per-release random key, never stored)".into() }
    }

    /// Load a key file: at least 64 hex characters (32 bytes); whitespace ignored.
    /// The file must be a regular file (a pipe or device is refused before it is opened), owner
    /// only where permissions exist, and hold a key that looks random (at least 16 distinct byte
    /// values): an all-zero or patterned key gives codes anyone can recompute.
    pub fn load(path: &Path) -> Result<Key, EngineError> {
        let refuse = |why: &str| EngineError::Key(format!("key file {}: {why}", path.display()));
        let unreadable = crate::error::io_err(crate::ExitCode::Key, path, "cannot read key file");
        let meta = std::fs::metadata(path).map_err(&unreadable)?;
        if !meta.is_file() {
            return Err(refuse("is not a regular file"));
        }
        if meta.len() > 4096 {
            return Err(refuse("is too large to be a key file"));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(refuse(
                    "is readable or writable by others than its owner; restrict it (chmod 600) and consider the key exposed",
                ));
            }
        }
        let text = std::fs::read_to_string(path).map_err(&unreadable)?;
        let hex: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let decoded = hex::decode(&hex)
            .ok()
            .filter(|b| b.len() >= 32)
            .ok_or_else(|| refuse("must hold at least 32 bytes as hex (create one with `tokumei keygen`)"))?;
        let distinct = decoded.iter().collect::<std::collections::HashSet<_>>().len();
        if distinct < 16 {
            return Err(refuse(
                "does not hold a random key (too few distinct bytes, e.g. all zeros): create one with `tokumei keygen`",
            ));
        }
        let bytes: [u8; 32] = Sha256::digest(&decoded).into();
        Ok(Key { bytes, id: key_id(&bytes) })
    }

    /// Write a new random key file (owner-only permissions where supported).
    pub fn generate(path: &Path) -> Result<String, EngineError> {
        let mut raw = [0u8; 32];
        rand::rng().fill(&mut raw);
        if path.exists() {
            return Err(EngineError::Key(format!("{} exists; refusing to overwrite a key", path.display())));
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        use std::io::Write;
        let mut f =
            opts.open(path).map_err(crate::error::io_err(crate::ExitCode::Key, path, "cannot create key file"))?;
        f.write_all(format!("{}\n", hex::encode(raw)).as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(crate::error::io_err(crate::ExitCode::Key, path, "cannot write key file"))?;
        let bytes: [u8; 32] = Sha256::digest(raw).into();
        Ok(key_id(&bytes))
    }
}

/// Identifier of a key: domain-separated hash, safe to print.
fn key_id(bytes: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(b"tokumei key id v1\0");
    h.update(bytes);
    format!("k1:{}", &hex::encode(h.finalize())[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str, mode: u32) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        let _ = mode;
        p
    }

    #[test]
    fn key_files_must_be_private_regular_and_random() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.key");
        Key::generate(&good).unwrap();
        assert!(Key::load(&good).is_ok());
        let text = std::fs::read_to_string(&good).unwrap();
        let cases = [
            write(dir.path(), "shared.key", &text, 0o644),
            write(dir.path(), "zero.key", &"00".repeat(32), 0o600),
            write(dir.path(), "pattern.key", &"0102".repeat(16), 0o600),
            write(dir.path(), "short.key", &text[..40], 0o600),
            dir.path().to_path_buf(),
        ];
        for p in cases {
            match Key::load(&p) {
                Err(EngineError::Key(m)) => assert!(!m.contains(text.trim()), "{m}"),
                other => panic!("{p:?}: {other:?}"),
            }
        }
    }
}
