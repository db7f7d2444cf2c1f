//! A release's manifest and its signature: what the recipient checks on their side, with no
//! registry and no audit log.
//!
//! `MANIFEST.json` lists every file of the folder but itself and its signature (name, size,
//! SHA-256) with what the release is ([`Manifest`]: release id, dataset, creation time, the audit
//! head it was made at, and the contract it is provided under). It is written into the staged
//! folder before the folder is sealed, so the release's `publishing` audit entry records its hash
//! too. `MANIFEST.sig` ([`SignatureFile`]) is an officer's Ed25519 signature (the key of
//! `tokumei keygen --audit`) over the manifest's bytes exactly, prefixed with [`SIGNED_PREFIX`]
//! so the signature of a manifest never verifies as that of another kind of document.
//! [`verify`] proves a folder against a public key: the manifest signed by it, every file listed
//! and unchanged, no file added.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tokumei_audit::sign::{self, SignError};
use tokumei_audit::sys;

/// The manifest's file name.
pub const MANIFEST: &str = "MANIFEST.json";
/// The signature's file name.
pub const SIGNATURE: &str = "MANIFEST.sig";
/// The manifest's format (a manifest of another format is refused).
pub const FORMAT: &str = "tokumei-release-manifest/1";
/// The signature file's format.
pub const SIGNATURE_FORMAT: &str = "tokumei-release-signature/1";
/// What the signed message starts with, before the manifest's bytes.
pub const SIGNED_PREFIX: &[u8] = b"tokumei-release-manifest v1\n";
/// Largest manifest read (a release holds a few dozen files).
const MAX_MANIFEST: u64 = 16 << 20;
/// Largest signature file read.
const MAX_SIGNATURE: u64 = 64 << 10;

/// One file of the release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Its name in the folder.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256 (64 lowercase hex digits).
    pub sha256: String,
}

/// What a release provided under a contract is for: the registry's contract, as it stood when
/// the release was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provision {
    /// The body that made and provides the data (the registry's profile).
    pub body: String,
    /// The contract's number in the registry.
    pub contract_id: i64,
    /// The recipient (licensed business).
    pub recipient: String,
    /// The personal-information file the data were made from.
    pub file: String,
    /// The purpose and business the data may be used for.
    pub purpose: String,
    /// First day of the use period (YYYY-MM-DD).
    pub use_from: String,
    /// Last day of the use period (YYYY-MM-DD).
    pub use_until: String,
}

/// The manifest of a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The release id.
    pub release_id: String,
    /// The dataset.
    pub dataset: String,
    /// When the release was made (UTC, RFC 3339).
    pub created_at: String,
    /// The audit log's head before the release's own entries (`<entry>:<sha256>`), as its
    /// report records it.
    pub audit_head: Option<String>,
    /// The tokumei version that made it.
    pub tokumei_version: String,
    /// The contract it is provided under, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provision: Option<Provision>,
    /// Every file of the folder but the manifest and its signature, by name.
    pub files: Vec<ManifestFile>,
}

/// `MANIFEST.sig`: who signed the manifest, and the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureFile {
    /// [`SIGNATURE_FORMAT`].
    pub format: String,
    /// Always `Ed25519`.
    pub algorithm: String,
    /// Id of the signing key (`a1:...`, as `tokumei audit head --sign-key` shows it).
    pub key_id: String,
    /// SHA-256 of the manifest's bytes (informative: the signature is what proves them).
    pub manifest_sha256: String,
    /// Ed25519 signature (hex) over [`SIGNED_PREFIX`] and the manifest's bytes.
    pub signature: String,
}

/// What a verified release is.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Its manifest.
    pub manifest: Manifest,
    /// The key that signed it.
    pub key_id: String,
}

/// Errors of writing a manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// A file could not be read or written.
    #[error("{path}: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// The folder holds something that is not a regular file, or a manifest already.
    #[error("{0}")]
    Folder(String),
    /// The signing key is not usable.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// Why a release is not verified. Every message names the file; none holds a value of the data.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The public key file is not usable.
    #[error(transparent)]
    Key(SignError),
    /// The public key file lies inside the folder it is to prove: a key shipped with the data
    /// proves nothing (whoever changed the data could have made the key too).
    #[error(
        "the public key {} lies inside the release folder {}: a key that comes with the data proves nothing; use the public key the provider gave you apart from the data",
        shown(&key.display().to_string()),
        shown(&folder.display().to_string())
    )]
    KeyInFolder {
        /// The key file as given.
        key: PathBuf,
        /// The folder as given.
        folder: PathBuf,
    },
    /// The folder cannot be read.
    #[error("{}: not a readable release folder ({cause})", shown(&folder.display().to_string()))]
    Folder {
        /// The folder.
        folder: PathBuf,
        /// Why.
        cause: String,
    },
    /// No manifest.
    #[error("{MANIFEST} is missing: this folder is not a release tokumei made, or its manifest was removed")]
    ManifestMissing,
    /// The manifest is not a manifest.
    #[error("{MANIFEST} is garbled: {0}")]
    ManifestGarbled(String),
    /// No signature.
    #[error("{SIGNATURE} is missing: the manifest is not signed, so nothing proves who made this release")]
    SignatureMissing,
    /// The signature file is not one.
    #[error("{SIGNATURE} is garbled: {0}")]
    SignatureGarbled(String),
    /// Signed by another key than the one given.
    #[error("{SIGNATURE}: the manifest was signed by key {signed_by}, not by the given public key {given}")]
    WrongKey {
        /// The key the signature file names (not proven by anything: [`shown`]).
        signed_by: String,
        /// The given key.
        given: String,
    },
    /// The signature does not verify: the manifest (or signature) changed after signing.
    #[error("{MANIFEST} does not match its signature by key {key}: it was changed after it was signed")]
    BadSignature {
        /// The given key.
        key: String,
    },
    /// The files do not match the manifest.
    #[error("{}", problems.join("\n"))]
    Files {
        /// One line per file.
        problems: Vec<String>,
    },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ManifestError + '_ {
    move |cause| ManifestError::Io { path: path.to_path_buf(), cause }
}

impl Manifest {
    /// Read a manifest from its bytes: a JSON object of [`FORMAT`] whose file names are plain
    /// names (no folder, no `..`), each listed once, with 64-hex-digit hashes. Never panics.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let m: Manifest =
            serde_json::from_slice(bytes).map_err(|e| format!("not a manifest ({})", shown(&e.to_string())))?;
        if m.format != FORMAT {
            return Err(format!("format `{}` is not {FORMAT}: made by another version of tokumei?", shown(&m.format)));
        }
        let mut names: Vec<&str> = Vec::with_capacity(m.files.len());
        for f in &m.files {
            if !is_plain_name(&f.name) {
                return Err(format!("it lists `{}`, which is not a file name in the folder", shown(&f.name)));
            }
            if f.name == MANIFEST || f.name == SIGNATURE {
                return Err(format!("it lists {}, which it cannot cover", f.name));
            }
            if f.sha256.len() != 64 || !f.sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                return Err(format!("the SHA-256 of {} is not 64 hex digits", shown(&f.name)));
            }
            names.push(&f.name);
        }
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("it lists {} twice", shown(w[0])));
        }
        Ok(m)
    }

    /// The manifest as written: pretty JSON, ending in a newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = serde_json::to_vec_pretty(self).unwrap_or_default();
        b.push(b'\n');
        b
    }
}

/// A name of one file in a folder: not empty, no separator, not `.` or `..`, no control character.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !name.chars().any(|c| c.is_control())
}

/// A text read from a folder that is not verified (a file name, a field of the manifest or its
/// signature, a parser's message quoting them), made safe to print: every control character
/// (ANSI escape sequences included), line or paragraph separator and invisible formatting or
/// bidirectional-override character (U+202A-U+202E, U+2066-U+2069 and the like) is shown as
/// `\u{XXXX}`, and a backslash as `\\`, so such a text cannot move the cursor, erase or reorder
/// what a terminal shows. Every other character (Japanese included) is kept.
pub fn shown(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        let hidden = c.is_control()
            || matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}')
            || matches!(c, '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}');
        if c == '\\' {
            o.push_str("\\\\");
        } else if hidden {
            o.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            o.push(c);
        }
    }
    o
}

/// What [`write`] records besides the files.
#[derive(Debug, Clone)]
pub struct ManifestHead {
    /// The release id.
    pub release_id: String,
    /// The dataset.
    pub dataset: String,
    /// When the release was made.
    pub created_at: String,
    /// The audit head before the release's entries.
    pub audit_head: Option<String>,
    /// The contract it is provided under.
    pub provision: Option<Provision>,
}

/// Write `MANIFEST.json` into the staged release folder `dir` over every file in it (`known`:
/// hashes the writer took, by name; others are computed), and, with `sign_key`, `MANIFEST.sig`.
/// Returns the manifest and the signing key's id.
pub fn write(
    dir: &Path,
    head: ManifestHead,
    known: &[(String, String)],
    sign_key: Option<&Path>,
) -> Result<(Manifest, Option<String>), ManifestError> {
    // The key first: a key that cannot sign leaves nothing written.
    if let Some(k) = sign_key {
        sign::check_signing_key(k)?;
    }
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io(dir))? {
        let e = e.map_err(io(dir))?;
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name == MANIFEST || name == SIGNATURE {
            return Err(ManifestError::Folder(format!("{} already holds {name}", dir.display())));
        }
        let meta = std::fs::symlink_metadata(&path).map_err(io(&path))?;
        if !meta.is_file() || !is_plain_name(&name) {
            return Err(ManifestError::Folder(format!("{} is not a regular file", path.display())));
        }
        let sha256 = match known.iter().find(|(n, _)| *n == name) {
            Some((_, h)) => h.clone(),
            None => sys::sha256_file(&path).map_err(io(&path))?,
        };
        files.push(ManifestFile { name, size: meta.len(), sha256 });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    let manifest = Manifest {
        format: FORMAT.into(),
        release_id: head.release_id,
        dataset: head.dataset,
        created_at: head.created_at,
        audit_head: head.audit_head,
        tokumei_version: env!("CARGO_PKG_VERSION").into(),
        provision: head.provision,
        files,
    };
    let bytes = manifest.to_bytes();
    let path = dir.join(MANIFEST);
    std::fs::write(&path, &bytes).map_err(io(&path))?;
    let Some(key) = sign_key else { return Ok((manifest, None)) };
    let (key_id, signature) = sign::sign_bytes(key, &signed_message(&bytes))?;
    let sig = SignatureFile {
        format: SIGNATURE_FORMAT.into(),
        algorithm: "Ed25519".into(),
        key_id: key_id.clone(),
        manifest_sha256: sha256_hex(&bytes),
        signature,
    };
    let mut sig_bytes = serde_json::to_vec_pretty(&sig).unwrap_or_default();
    sig_bytes.push(b'\n');
    let path = dir.join(SIGNATURE);
    std::fs::write(&path, &sig_bytes).map_err(io(&path))?;
    Ok((manifest, Some(key_id)))
}

fn signed_message(manifest: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(SIGNED_PREFIX.len() + manifest.len());
    m.extend_from_slice(SIGNED_PREFIX);
    m.extend_from_slice(manifest);
    m
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// Read a small file whole, or `None` when it is not there.
fn read_small(path: &Path, max: u64) -> Result<Option<Vec<u8>>, String> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot be read ({})", e.kind())),
    };
    if !meta.is_file() {
        return Err("is not a regular file".into());
    }
    if meta.len() > max {
        return Err(format!("is {} bytes, more than any tokumei writes", meta.len()));
    }
    std::fs::read(path).map(Some).map_err(|e| format!("cannot be read ({})", e.kind()))
}

/// Read a signature file from its bytes. Never panics.
pub fn parse_signature(bytes: &[u8]) -> Result<SignatureFile, String> {
    let s: SignatureFile =
        serde_json::from_slice(bytes).map_err(|e| format!("not a signature ({})", shown(&e.to_string())))?;
    if s.format != SIGNATURE_FORMAT || s.algorithm != "Ed25519" {
        return Err(format!(
            "format `{}` / algorithm `{}` is not {SIGNATURE_FORMAT} / Ed25519",
            shown(&s.format),
            shown(&s.algorithm)
        ));
    }
    Ok(s)
}

/// Prove the release folder `dir` with the public key file `public`: its manifest signed by that
/// key, every file it lists present with its size and SHA-256, and no other file.
pub fn verify(dir: &Path, public: &Path) -> Result<Verified, VerifyError> {
    if key_is_inside(dir, public) {
        return Err(VerifyError::KeyInFolder { key: public.into(), folder: dir.into() });
    }
    let given = sign::public_key_id(public).map_err(VerifyError::Key)?;
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(VerifyError::Folder { folder: dir.into(), cause: "not a folder".into() }),
        Err(e) => return Err(VerifyError::Folder { folder: dir.into(), cause: format!("{}", e.kind()) }),
    }
    let bytes = read_small(&dir.join(MANIFEST), MAX_MANIFEST)
        .map_err(VerifyError::ManifestGarbled)?
        .ok_or(VerifyError::ManifestMissing)?;
    let manifest = Manifest::parse(&bytes).map_err(VerifyError::ManifestGarbled)?;
    let sig_bytes = read_small(&dir.join(SIGNATURE), MAX_SIGNATURE)
        .map_err(VerifyError::SignatureGarbled)?
        .ok_or(VerifyError::SignatureMissing)?;
    let sig = parse_signature(&sig_bytes).map_err(VerifyError::SignatureGarbled)?;
    if sig.key_id != given {
        return Err(VerifyError::WrongKey { signed_by: shown(&sig.key_id), given });
    }
    match sign::verify_bytes(public, &signed_message(&bytes), &sig.signature) {
        Ok(_) => {}
        Err(SignError::Invalid(_)) => return Err(VerifyError::BadSignature { key: given }),
        Err(e) => return Err(VerifyError::Key(e)),
    }
    let problems = check_files(dir, &manifest.files)?;
    if !problems.is_empty() {
        return Err(VerifyError::Files { problems });
    }
    Ok(Verified { manifest, key_id: given })
}

/// Whether the key file `public` lies in the folder `dir` or below it: by their canonical paths
/// (symbolic links resolved), and by the key's own name in its canonical folder (a link in the
/// folder to a key elsewhere). `false` when the key is not there or either cannot be resolved
/// (the key or the folder is then refused as unreadable).
fn key_is_inside(dir: &Path, public: &Path) -> bool {
    let Ok(dir) = std::fs::canonicalize(dir) else { return false };
    if std::fs::symlink_metadata(public).is_err() {
        return false;
    }
    let parent = match public.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let by_name = match (std::fs::canonicalize(parent), public.file_name()) {
        (Ok(p), Some(n)) => Some(p.join(n)),
        _ => None,
    };
    [by_name, std::fs::canonicalize(public).ok()].into_iter().flatten().any(|k| k.starts_with(&dir))
}

/// What differs between the folder and the manifest's files: one line per file, empty when they
/// match.
fn check_files(dir: &Path, files: &[ManifestFile]) -> Result<Vec<String>, VerifyError> {
    let folder_err = |e: std::io::Error| VerifyError::Folder { folder: dir.into(), cause: format!("{}", e.kind()) };
    let mut present = Vec::new();
    for e in std::fs::read_dir(dir).map_err(folder_err)? {
        present.push(e.map_err(folder_err)?.file_name().to_string_lossy().into_owned());
    }
    present.sort();
    let unlisted: Vec<&String> =
        present.iter().filter(|n| *n != MANIFEST && *n != SIGNATURE && !files.iter().any(|f| &f.name == *n)).collect();
    let mut problems = Vec::new();
    let mut missing = Vec::new();
    for f in files {
        let (path, name) = (dir.join(&f.name), shown(&f.name));
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(_) => {
                missing.push(f);
                continue;
            }
        };
        if !meta.is_file() {
            problems.push(format!("{name}: is not a regular file"));
        } else if meta.len() != f.size {
            problems.push(format!("{name}: changed (its size is {} bytes, the manifest says {})", meta.len(), f.size));
        } else {
            match sys::sha256_file(&path) {
                Ok(h) if h == f.sha256 => {}
                Ok(_) => problems.push(format!("{name}: changed (its SHA-256 differs from the manifest's)")),
                Err(e) => problems.push(format!("{name}: cannot be read ({})", e.kind())),
            }
        }
    }
    let mut renamed_to = Vec::new();
    for f in missing {
        // A listed file gone and an unlisted one of its size and hash: the same file renamed.
        let twin = unlisted.iter().find(|n| {
            let p = dir.join(n.as_str());
            std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file() && m.len() == f.size)
                && sys::sha256_file(&p).is_ok_and(|h| h == f.sha256)
        });
        let name = shown(&f.name);
        match twin {
            Some(n) => {
                problems.push(format!("{name}: renamed to {} (the manifest lists it as {name})", shown(n)));
                renamed_to.push(n.as_str());
            }
            None => problems.push(format!("{name}: missing (the manifest lists it)")),
        }
    }
    for n in unlisted.iter().filter(|n| !renamed_to.contains(&n.as_str())) {
        problems.push(format!("{}: added (the manifest does not list it)", shown(n)));
    }
    Ok(problems)
}

#[cfg(test)]
mod tests;
