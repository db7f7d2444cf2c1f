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
    pub fn load(path: &Path) -> Result<Key, EngineError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| EngineError::Key(format!("cannot read key file {}: {}", path.display(), e.kind())))?;
        let hex: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let decoded = hex::decode(&hex).ok().filter(|b| b.len() >= 32).ok_or_else(|| {
            EngineError::Key(format!(
                "key file {} must hold at least 32 bytes as hex (create one with `tokumei keygen`)",
                path.display()
            ))
        })?;
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
        let mut f = opts.open(path).map_err(|e| EngineError::Key(format!("cannot create {}: {e}", path.display())))?;
        f.write_all(format!("{}\n", hex::encode(raw)).as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|e| EngineError::Key(format!("cannot write {}: {e}", path.display())))?;
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
