//! Signed heads: an officer's Ed25519 key signs a head so that a filed head cannot be replaced by
//! whoever rewrites the log. Verification needs only the public key.

use crate::Head;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Errors of signing keys and signatures. Never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// A key file could not be read or written.
    #[error("{path}: {message}")]
    KeyFile {
        /// Key file.
        path: std::path::PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The signature does not verify.
    #[error("{0}")]
    Invalid(String),
}

/// A head with its time, signed by an officer's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedHead {
    /// The log file the head was read from (informative; not signed).
    pub log: String,
    /// Entry number.
    pub seq: u64,
    /// Entry hash.
    pub hash: String,
    /// When the head was taken (UTC, RFC 3339).
    pub time: String,
    /// Id of the signing key (`a1:` + hash of the public key), when signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Ed25519 signature (hex) over the head and time, when signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl SignedHead {
    /// The head.
    pub fn head(&self) -> Head {
        Head { seq: self.seq, hash: self.hash.clone() }
    }

    fn message(&self) -> Vec<u8> {
        format!("tokumei audit head v1\n{}:{}\n{}\n", self.seq, self.hash, self.time).into_bytes()
    }
}

fn key_error(path: &Path, message: impl Into<String>) -> SignError {
    SignError::KeyFile { path: path.to_path_buf(), message: message.into() }
}

/// Printable id of a public key.
pub fn key_id(public: &VerifyingKey) -> String {
    let mut h = Sha256::new();
    h.update(b"tokumei audit key v1\0");
    h.update(public.as_bytes());
    format!("a1:{}", &hex::encode(h.finalize())[..16])
}

fn read_hex32(path: &Path, what: &str) -> Result<[u8; 32], SignError> {
    let meta = std::fs::metadata(path).map_err(|e| key_error(path, format!("cannot read {what}: {}", e.kind())))?;
    if !meta.is_file() || meta.len() > 4096 {
        return Err(key_error(path, format!("is not a {what} file")));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| key_error(path, format!("cannot read {what}: {}", e.kind())))?;
    let hex: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(hex).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()).ok_or_else(|| {
        key_error(path, format!("must hold a {what} as 64 hex digits (made by `tokumei keygen --audit`)"))
    })
}

/// Create a signing key at `secret` (owner-only, never overwritten) and its public key at
/// `public`. Returns the key id.
pub fn generate(secret: &Path, public: &Path) -> Result<String, SignError> {
    use rand::RngExt;
    use std::io::Write;
    for p in [secret, public] {
        if p.exists() {
            return Err(key_error(p, "exists; refusing to overwrite a key"));
        }
    }
    let mut seed = [0u8; 32];
    rand::rng().fill(&mut seed);
    let signing = SigningKey::from_bytes(&seed);
    let verifying = signing.verifying_key();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(secret).map_err(|e| key_error(secret, format!("cannot create: {}", e.kind())))?;
    f.write_all(format!("{}\n", hex::encode(seed)).as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| key_error(secret, format!("cannot write: {}", e.kind())))?;
    std::fs::write(public, format!("{}\n", hex::encode(verifying.as_bytes())))
        .map_err(|e| key_error(public, format!("cannot write: {}", e.kind())))?;
    Ok(key_id(&verifying))
}

/// The signing key in the secret key file: refused when others than its owner may read or
/// write it, or it is not a key `keygen --audit` made.
fn signing_key(secret: &Path) -> Result<SigningKey, SignError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(secret)
            && m.permissions().mode() & 0o077 != 0
        {
            return Err(key_error(secret, "is readable or writable by others: restrict it to its owner (chmod 600)"));
        }
    }
    Ok(SigningKey::from_bytes(&read_hex32(secret, "signing key")?))
}

/// The public key in a public key file.
fn public_key(public: &Path) -> Result<VerifyingKey, SignError> {
    VerifyingKey::from_bytes(&read_hex32(public, "public key")?)
        .map_err(|_| key_error(public, "is not an Ed25519 public key"))
}

/// Check that the secret key file is usable for signing (owner-only, a key), and return its id.
pub fn check_signing_key(secret: &Path) -> Result<String, SignError> {
    Ok(key_id(&signing_key(secret)?.verifying_key()))
}

/// The id of the key in a public key file.
pub fn public_key_id(public: &Path) -> Result<String, SignError> {
    Ok(key_id(&public_key(public)?))
}

/// Sign `message` with the secret key file: the key's id and the Ed25519 signature (hex).
/// Callers put a domain-separating prefix in `message` so a signature made for one kind of
/// document never verifies as another.
pub fn sign_bytes(secret: &Path, message: &[u8]) -> Result<(String, String), SignError> {
    let signing = signing_key(secret)?;
    Ok((key_id(&signing.verifying_key()), hex::encode(signing.sign(message).to_bytes())))
}

/// Check an Ed25519 signature (hex) of `message` with the public key file; returns the key's id.
/// [`SignError::Invalid`] when the signature is not 64 bytes of hex or does not verify.
pub fn verify_bytes(public: &Path, message: &[u8], signature: &str) -> Result<String, SignError> {
    let key = public_key(public)?;
    let sig = hex::decode(signature.trim())
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
        .ok_or_else(|| SignError::Invalid("the signature is not 64 bytes of hex".into()))?;
    let id = key_id(&key);
    key.verify(message, &sig)
        .map_err(|_| SignError::Invalid(format!("the signature does not verify with public key {id}")))?;
    Ok(id)
}

/// Sign `head` taken at `time` with the secret key file.
pub fn sign(secret: &Path, log: &str, head: &Head, time: &str) -> Result<SignedHead, SignError> {
    let signing = signing_key(secret)?;
    let mut signed = SignedHead {
        log: log.to_string(),
        seq: head.seq,
        hash: head.hash.clone(),
        time: time.to_string(),
        key_id: Some(key_id(&signing.verifying_key())),
        signature: None,
    };
    signed.signature = Some(hex::encode(signing.sign(&signed.message()).to_bytes()));
    Ok(signed)
}

/// Check a signed head against the public key file.
pub fn verify(public: &Path, signed: &SignedHead) -> Result<(), SignError> {
    let key = public_key(public)?;
    let sig = signed
        .signature
        .as_deref()
        .ok_or_else(|| SignError::Invalid(format!("head {}:{} is not signed", signed.seq, signed.hash)))?;
    let sig = hex::decode(sig)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
        .ok_or_else(|| SignError::Invalid("the signature is not 64 bytes of hex".into()))?;
    key.verify(&signed.message(), &sig).map_err(|_| {
        SignError::Invalid(format!(
            "the signature of head {}:{} does not verify with public key {}: the head or its time was changed, or another key signed it",
            signed.seq,
            signed.hash,
            key_id(&key)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_heads_verify_and_changes_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let (sk, pk) = (dir.path().join("officer.key"), dir.path().join("officer.pub"));
        let id = generate(&sk, &pk).unwrap();
        assert!(generate(&sk, &pk).is_err());
        let head = Head { seq: 7, hash: "b".repeat(64) };
        let s = sign(&sk, "audit.log", &head, "2026-11-27T00:00:00Z").unwrap();
        assert_eq!(s.key_id.as_deref(), Some(id.as_str()));
        verify(&pk, &s).unwrap();
        let secret = std::fs::read_to_string(&sk).unwrap();
        assert!(!serde_json::to_string(&s).unwrap().contains(secret.trim()));
        for forged in [
            SignedHead { seq: 8, ..s.clone() },
            SignedHead { hash: "c".repeat(64), ..s.clone() },
            SignedHead { time: "2026-11-28T00:00:00Z".into(), ..s.clone() },
            SignedHead { signature: None, ..s.clone() },
        ] {
            assert!(verify(&pk, &forged).is_err());
        }
        let (sk2, pk2) = (dir.path().join("other.key"), dir.path().join("other.pub"));
        generate(&sk2, &pk2).unwrap();
        assert!(verify(&pk2, &s).is_err());
    }

    #[test]
    fn signed_bytes_verify_with_their_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let (sk, pk) = (dir.path().join("officer.key"), dir.path().join("officer.pub"));
        let id = generate(&sk, &pk).unwrap();
        assert_eq!(check_signing_key(&sk).unwrap(), id);
        assert_eq!(public_key_id(&pk).unwrap(), id);
        let (signed_by, sig) = sign_bytes(&sk, b"message").unwrap();
        assert_eq!(signed_by, id);
        assert_eq!(verify_bytes(&pk, b"message", &sig).unwrap(), id);
        assert!(matches!(verify_bytes(&pk, b"messagf", &sig), Err(SignError::Invalid(_))));
        assert!(matches!(verify_bytes(&pk, b"message", "zz"), Err(SignError::Invalid(_))));
        assert!(matches!(verify_bytes(&pk, b"message", &sig[..64]), Err(SignError::Invalid(_))));
        let (sk2, pk2) = (dir.path().join("other.key"), dir.path().join("other.pub"));
        generate(&sk2, &pk2).unwrap();
        assert!(matches!(verify_bytes(&pk2, b"message", &sig), Err(SignError::Invalid(_))));
        assert!(verify_bytes(&sk, b"message", &sig).is_err(), "the secret key is no public key of this one");
    }
}
