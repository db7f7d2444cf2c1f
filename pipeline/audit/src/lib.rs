//! Tamper-evident audit log.
//!
//! Each entry records what was done (action, status, input/rules/output hashes, key id but never
//! key material, operator, time) and the SHA-256 of the entry before it, so editing, removing or
//! reordering any entry breaks the chain at that point. Entries are stored one JSON object per
//! line ([`JsonlLog`]).
//!
//! A chain that only its own file defines can be rewritten whole by whoever can write the file.
//! [`Head`]s (entry number and hash) kept outside the log anchor it: every release carries the
//! head at its creation, `tokumei audit head` prints one for an officer to file elsewhere
//! (optionally signed with Ed25519, [`sign`]), and [`anchor::check`] proves that the log still
//! holds exactly that entry at that position, which no rewrite, deletion, truncation or restart
//! can fake without finding a SHA-256 preimage.

pub mod anchor;
mod log;
pub mod sign;
pub mod sys;

pub use log::{JsonlLog, Scan};

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The hash that the first entry points back to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Action of the entry that starts a new log.
pub const ACTION_START: &str = "audit-start";
/// Action of the entry that starts a log continuing a previous one (`tokumei audit rotate`).
pub const ACTION_ROTATE: &str = "audit-rotate";

/// Errors of the audit log.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The log file could not be read or written.
    #[error("audit log {path}: {cause}")]
    Io {
        /// Log file.
        path: PathBuf,
        /// Cause (shown in the message, so not chained again).
        cause: std::io::Error,
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
    /// The log is not what it should be (missing, empty, not a regular file).
    #[error("audit log {path}: {reason}")]
    Invalid {
        /// Log file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An anchor (a head kept outside the log) is not in the log.
    #[error("{0}")]
    Anchor(String),
}

/// What an entry says, without its chain fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// UTC time, RFC 3339 (the system clock; never before the previous entry's time).
    pub time: String,
    /// Who ran it.
    pub operator: String,
    /// Command: `run`, `check`, `cleanup`, `audit-start`, `audit-rotate`, ...
    pub action: String,
    /// `ok`, `failed`, or for releases `publishing` then `published`.
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
    /// Folder of the release (relative to the log's folder when inside it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_dir: Option<String>,
    /// Notes on the clock: a run clock set by `TOKUMEI_NOW`, or a system clock found behind the
    /// previous entry (the entry's time is then raised to the previous one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
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

impl Entry {
    /// This entry as a head.
    pub fn head(&self) -> Head {
        Head { seq: self.seq, hash: self.hash.clone() }
    }
}

/// A position in a log: entry number and its hash. `seq:hash` as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Entry number (0 with [`GENESIS`] for an empty log).
    pub seq: u64,
    /// The entry's hash.
    pub hash: String,
}

impl std::fmt::Display for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for Head {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (seq, hash) = s.trim().split_once(':').ok_or("a head is written `<entry number>:<sha256 hex>`")?;
        let seq: u64 = seq.parse().map_err(|_| "the entry number of a head must be a whole number")?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            return Err("the hash of a head must be 64 lowercase hex digits".into());
        }
        if seq == 0 {
            return Err("entry numbers start at 1".into());
        }
        Ok(Head { seq, hash: hash.to_string() })
    }
}

/// A record for tests: action `run`, status `ok`, at second `i` of 2026-11-26.
#[cfg(test)]
pub(crate) fn test_record(i: u32) -> Record {
    Record {
        time: format!("2026-11-26T00:00:{i:02}Z"),
        operator: "op".into(),
        action: "run".into(),
        status: "ok".into(),
        ..Default::default()
    }
}

/// House rules ([`tokumei_house`], docs/design.md): no module of this crate names one that names
/// it back, at any distance.
#[cfg(test)]
mod architecture {
    #[test]
    fn no_circle() {
        tokumei_house::assert_no_circle(env!("CARGO_MANIFEST_DIR"), &[]);
    }

    #[test]
    fn no_long_function() {
        tokumei_house::assert_no_long_function(env!("CARGO_MANIFEST_DIR"), 150);
    }
}
