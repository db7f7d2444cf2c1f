//! Tamper-evident audit log.
//!
//! Each entry records what was done (action, status, input/rules/output hashes, key id but
//! never key material, operator, time) and the SHA-256 of the entry before it, so editing,
//! removing or reordering any entry breaks the chain at that point. Entries are stored one
//! JSON object per line; the [`AuditStore`] trait is the seam through which the log moves
//! into the registry later.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// The hash that the first entry points back to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Errors of the audit log.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The log file could not be read or written.
    #[error("audit log {path}: {source}")]
    Io {
        /// Log file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The chain is broken.
    #[error("audit log {path}: entry {seq} (line {line}) is broken: {reason}")]
    Broken {
        /// Log file.
        path: PathBuf,
        /// 1-based line of the first broken entry.
        line: usize,
        /// Sequence number expected at that line.
        seq: u64,
        /// What does not match.
        reason: String,
    },
}

/// What an entry says, without its chain fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// UTC time, RFC 3339.
    pub time: String,
    /// Who ran it.
    pub operator: String,
    /// Command: `run`, `check`, ...
    pub action: String,
    /// `ok` or `failed`.
    pub status: String,
    /// Job file, if any.
    pub job: Option<String>,
    /// Dataset name.
    pub dataset: Option<String>,
    /// Release id of the output.
    pub release_id: Option<String>,
    /// Processing mode.
    pub mode: Option<String>,
    /// SHA-256 of the input file.
    pub input_sha256: Option<String>,
    /// SHA-256 of the rule file.
    pub rules_sha256: Option<String>,
    /// SHA-256 of each output file, `name=hash`.
    pub outputs: Vec<String>,
    /// Key identifier (a hash of the key, never the key).
    pub key_id: Option<String>,
    /// Error class and message when failed (never personal data).
    pub error: Option<String>,
    /// Counts and parameters (rows in/out, k...).
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// The chained body that is hashed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Body {
    seq: u64,
    prev: String,
    #[serde(flatten)]
    record: Record,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// 1-based sequence number.
    pub seq: u64,
    /// Hash of the previous entry ([`GENESIS`] for the first).
    pub prev: String,
    /// The record.
    pub record: Record,
    /// SHA-256 of this entry's body.
    pub hash: String,
}

/// Where audit entries are kept.
pub trait AuditStore {
    /// Append a record, chaining it to the last entry; returns the stored entry.
    fn append(&mut self, record: Record) -> Result<Entry, AuditError>;
    /// Recompute the whole chain; `Ok(n)` is the number of good entries.
    fn verify(&self) -> Result<u64, AuditError>;
}

/// A JSON-lines audit log file.
#[derive(Debug, Clone)]
pub struct JsonlLog {
    path: PathBuf,
}

fn body_hash(body: &Body) -> String {
    let json = serde_json::to_vec(body).expect("audit bodies serialise");
    hex::encode(Sha256::digest(&json))
}

fn line_of(body: &Body, hash: &str) -> String {
    let mut v = serde_json::to_value(body).expect("audit bodies serialise");
    v.as_object_mut().expect("object").insert("hash".into(), hash.into());
    serde_json::to_string(&v).expect("serialise")
}

impl JsonlLog {
    /// A log at `path` (created on first append).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JsonlLog { path: path.into() }
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: std::io::Error) -> AuditError {
        AuditError::Io { path: self.path.clone(), source }
    }

    /// Read and check every entry.
    pub fn entries(&self) -> Result<Vec<Entry>, AuditError> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io(e)),
        };
        let mut out = Vec::new();
        let mut prev = GENESIS.to_string();
        for (i, line) in BufReader::new(file).lines().enumerate() {
            let seq = i as u64 + 1;
            let broken = |reason: String| AuditError::Broken { path: self.path.clone(), line: i + 1, seq, reason };
            let line = line.map_err(|e| broken(format!("unreadable: {e}")))?;
            let mut value: serde_json::Value =
                serde_json::from_str(&line).map_err(|e| broken(format!("not a JSON entry ({e})")))?;
            let hash = value
                .as_object_mut()
                .and_then(|o| o.remove("hash"))
                .and_then(|h| h.as_str().map(str::to_string))
                .ok_or_else(|| broken("has no hash".into()))?;
            let body: Body = serde_json::from_value(value).map_err(|e| broken(format!("malformed entry ({e})")))?;
            if body.seq != seq {
                return Err(broken(format!("sequence number is {}, expected {seq}", body.seq)));
            }
            if body.prev != prev {
                return Err(broken("does not point to the entry before it".into()));
            }
            if body_hash(&body) != hash {
                return Err(broken("content does not match its hash".into()));
            }
            if line_of(&body, &hash) != line {
                return Err(broken("holds text outside its hashed content".into()));
            }
            prev = hash.clone();
            out.push(Entry { seq, prev: body.prev, record: body.record, hash });
        }
        Ok(out)
    }
}

impl AuditStore for JsonlLog {
    fn append(&mut self, record: Record) -> Result<Entry, AuditError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        }
        let mut file =
            OpenOptions::new().create(true).append(true).read(true).open(&self.path).map_err(|e| self.io(e))?;
        file.lock().map_err(|e| self.io(e))?;
        // Chain from the last line as it is now (under the lock).
        let (seq, prev) = {
            let reader = BufReader::new(File::open(&self.path).map_err(|e| self.io(e))?);
            let mut last: Option<String> = None;
            let mut n = 0u64;
            for line in reader.lines() {
                let line = line.map_err(|e| self.io(e))?;
                if !line.trim().is_empty() {
                    n += 1;
                    last = Some(line);
                }
            }
            let prev = match last {
                None => GENESIS.to_string(),
                Some(l) => serde_json::from_str::<serde_json::Value>(&l)
                    .ok()
                    .and_then(|v| v.get("hash").and_then(|h| h.as_str()).map(str::to_string))
                    .unwrap_or_else(|| hex::encode(Sha256::digest(l.as_bytes()))),
            };
            (n + 1, prev)
        };
        let body = Body { seq, prev, record };
        let hash = body_hash(&body);
        let mut line = line_of(&body, &hash);
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(|e| self.io(e))?;
        file.sync_all().map_err(|e| self.io(e))?;
        Ok(Entry { seq, prev: body.prev, record: body.record, hash })
    }

    fn verify(&self) -> Result<u64, AuditError> {
        self.entries().map(|e| e.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: u32) -> Record {
        Record {
            time: format!("2026-11-26T00:00:{i:02}Z"),
            operator: "op".into(),
            action: "run".into(),
            status: "ok".into(),
            ..Default::default()
        }
    }

    #[test]
    fn chain_appends_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = JsonlLog::new(dir.path().join("a/audit.log"));
        for i in 0..5 {
            let e = log.append(rec(i)).unwrap();
            assert_eq!(e.seq, i as u64 + 1);
        }
        assert_eq!(log.verify().unwrap(), 5);
        let entries = log.entries().unwrap();
        assert_eq!(entries[0].prev, GENESIS);
        assert_eq!(entries[3].prev, entries[2].hash);
    }

    #[test]
    fn tampering_is_found_at_exactly_that_entry() {
        for target in 0..4usize {
            for kind in 0..4 {
                let dir = tempfile::tempdir().unwrap();
                let mut log = JsonlLog::new(dir.path().join("audit.log"));
                for i in 0..4 {
                    log.append(rec(i)).unwrap();
                }
                let text = std::fs::read_to_string(log.path()).unwrap();
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                match kind {
                    0 => lines[target] = lines[target].replace("\"op\"", "\"mallory\""),
                    1 => {
                        lines.remove(target);
                    }
                    2 => lines[target] = lines[target].replace("\"ok\"", "\"failed\""),
                    _ => lines[target] = lines[target].replacen('{', "{\"extra\":1,", 1),
                }
                std::fs::write(log.path(), lines.join("\n") + "\n").unwrap();
                match log.verify() {
                    Err(AuditError::Broken { line, .. }) => {
                        assert_eq!(line, target + 1, "kind {kind}")
                    }
                    other => {
                        // Removing the last entry leaves a valid shorter chain.
                        assert!(kind == 1 && target == 3, "kind {kind} target {target}: {other:?}");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Verification of arbitrary bytes reports a broken entry or succeeds; it never panics,
        /// and any single-byte change to a valid log is caught.
        #[test]
        fn verify_never_panics_and_catches_flips(garbage in proptest::collection::vec(any::<u8>(), 0..400), pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("audit.log");
            std::fs::write(&path, &garbage).unwrap();
            let _ = JsonlLog::new(&path).verify();

            let mut log = JsonlLog::new(dir.path().join("good.log"));
            for i in 0..3 {
                log.append(Record { time: format!("t{i}"), operator: "o".into(), action: "run".into(), status: "ok".into(), ..Default::default() }).unwrap();
            }
            let mut bytes = std::fs::read(log.path()).unwrap();
            let i = pos.index(bytes.len());
            if bytes[i] != byte && bytes[i] != b'\n' && byte != b'\n' {
                bytes[i] = byte;
                std::fs::write(log.path(), &bytes).unwrap();
                prop_assert!(log.verify().is_err());
            }
        }
    }
}
