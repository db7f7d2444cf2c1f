//! The JSON-lines log file: reading and checking the chain, starting, appending, rotating.

use crate::sys::{self, failpoint};
use crate::{ACTION_ROTATE, ACTION_START, AuditError, Entry, GENESIS, Head, Record};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The longest line an entry may take; a longer one is broken (and is not read into memory).
const MAX_LINE: u64 = 1 << 20;

/// The chained body that is hashed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Body {
    seq: u64,
    prev: String,
    #[serde(flatten)]
    record: Record,
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

/// Build the stored entry and its line (with the newline) for `record` after `prev`.
fn seal(seq: u64, prev: &str, record: Record) -> (Entry, String) {
    let body = Body { seq, prev: prev.to_string(), record };
    let hash = body_hash(&body);
    let mut line = line_of(&body, &hash);
    line.push('\n');
    (Entry { seq, prev: body.prev, record: body.record, hash }, line)
}

/// One line (without its newline) as a sealed entry: JSON, its hash over its body, and nothing
/// outside the hashed content. Its place in the chain is checked by the caller.
fn sealed_line(buf: &[u8]) -> Result<Entry, String> {
    let line = std::str::from_utf8(buf).map_err(|_| "not UTF-8 text".to_string())?;
    let mut value: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("not a JSON entry ({e})"))?;
    let hash = value
        .as_object_mut()
        .and_then(|o| o.remove("hash"))
        .and_then(|h| h.as_str().map(str::to_string))
        .ok_or("has no hash")?;
    let body: Body = serde_json::from_value(value).map_err(|e| format!("malformed entry ({e})"))?;
    if body_hash(&body) != hash {
        return Err("content does not match its hash".into());
    }
    if line_of(&body, &hash) != line {
        return Err("holds text outside its hashed content".into());
    }
    Ok(Entry { seq: body.seq, prev: body.prev, record: body.record, hash })
}

/// An entry's time is never before the previous entry's.
fn in_time(last: Option<&Entry>, entry: &Entry) -> Result<(), String> {
    if let (Some(last), Some(now)) =
        (last.and_then(|l| comparable_time(&l.record.time)), comparable_time(&entry.record.time))
        && now < last
    {
        return Err(format!("its time {now} is before the previous entry's {last}"));
    }
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SSZ` times compare as text; anything else is not compared.
fn comparable_time(t: &str) -> Option<&str> {
    let b = t.as_bytes();
    (b.len() == 20 && b[10] == b'T' && b[19] == b'Z').then_some(t)
}

/// What reading a log found: the entries up to the first broken one, and that break.
#[derive(Debug)]
pub struct Scan {
    /// Good entries, in order.
    pub entries: Vec<Entry>,
    /// The first broken entry, if any (nothing after it is read).
    pub broken: Option<AuditError>,
}

/// A JSON-lines audit log file.
#[derive(Debug, Clone)]
pub struct JsonlLog {
    path: PathBuf,
}

impl JsonlLog {
    /// A log at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JsonlLog { path: path.into() }
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: std::io::Error) -> AuditError {
        AuditError::Io { path: self.path.clone(), cause: source }
    }

    fn invalid(&self, reason: impl Into<String>) -> AuditError {
        AuditError::Invalid { path: self.path.clone(), reason: reason.into() }
    }

    /// Whether the log file exists (a path that exists but is not a regular file is an error).
    pub fn exists(&self) -> Result<bool, AuditError> {
        match std::fs::metadata(&self.path) {
            Ok(m) if m.is_file() => Ok(true),
            Ok(_) => Err(self.invalid("is not a regular file")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.io(e)),
        }
    }

    /// Read the entries up to the first broken one, without failing on the break.
    pub fn scan(&self) -> Result<Scan, AuditError> {
        if !self.exists()? {
            return Err(self.invalid("does not exist"));
        }
        let file = File::open(&self.path).map_err(|e| self.io(e))?;
        self.scan_from(file)
    }

    fn scan_from(&self, file: impl Read) -> Result<Scan, AuditError> {
        let mut reader = BufReader::new(file);
        let mut entries: Vec<Entry> = Vec::new();
        let mut prev = GENESIS.to_string();
        let mut buf = Vec::new();
        let mut line_no = 0usize;
        loop {
            buf.clear();
            let n = reader.by_ref().take(MAX_LINE + 1).read_until(b'\n', &mut buf).map_err(|e| self.io(e))?;
            if n == 0 {
                break;
            }
            line_no += 1;
            let seq = line_no as u64;
            let broken = |reason: String| AuditError::Broken { path: self.path.clone(), line: line_no, seq, reason };
            match self.entry_of(&mut buf, seq, &prev, entries.last()) {
                Ok(entry) => {
                    prev = entry.hash.clone();
                    entries.push(entry);
                }
                Err(reason) => return Ok(Scan { entries, broken: Some(broken(reason)) }),
            }
        }
        Ok(Scan { entries, broken: None })
    }

    /// Check one line (with its newline) as entry `seq` after `prev`.
    fn entry_of(&self, buf: &mut Vec<u8>, seq: u64, prev: &str, last: Option<&Entry>) -> Result<Entry, String> {
        if buf.last() != Some(&b'\n') {
            return Err(if buf.len() as u64 > MAX_LINE {
                format!("longer than {MAX_LINE} bytes")
            } else {
                "incomplete: the last line has no end, a write was cut off (crash or full disk)".into()
            });
        }
        buf.pop();
        let entry = sealed_line(buf)?;
        if entry.seq != seq {
            return Err(format!("sequence number is {}, expected {seq}", entry.seq));
        }
        if entry.prev != prev {
            return Err("does not point to the entry before it".into());
        }
        in_time(last, &entry)?;
        Ok(entry)
    }

    /// The newest entries, read back from the end of the log until `stop` accepts one (that
    /// one included; the whole log when none does), oldest first. Each line read is checked
    /// as [`JsonlLog::scan`] checks it (its hash, its place in the chain, its time), so a
    /// torn or edited tail is found; the part of the log before the entries read is not
    /// read (a full check is [`JsonlLog::verify`]). The cost is that of the entries read,
    /// whatever the length of the log. A missing or empty log, or a break among the entries
    /// read, is an error (the break as [`JsonlLog::scan`] reports it).
    pub fn tail_until(&self, stop: impl FnMut(&Entry) -> bool) -> Result<Vec<Entry>, AuditError> {
        if !self.exists()? {
            return Err(self.invalid("does not exist"));
        }
        let file = File::open(&self.path).map_err(|e| self.io(e))?;
        self.tail_of(&file, stop)
    }

    fn tail_of(&self, file: &File, mut stop: impl FnMut(&Entry) -> bool) -> Result<Vec<Entry>, AuditError> {
        use std::os::unix::fs::FileExt;
        let len = file.metadata().map_err(|e| self.io(e))?.len();
        if len == 0 {
            return Err(self.empty());
        }
        // Any problem: the full scan names it exactly (line and reason).
        let exact = |file: &File| -> AuditError {
            let mut f = file;
            let scanned = f.seek(SeekFrom::Start(0)).map_err(|e| self.io(e)).and_then(|_| self.scan_from(f));
            match scanned {
                Ok(Scan { broken: Some(b), .. }) => b,
                Ok(Scan { broken: None, .. }) => self.invalid("changed while it was read"),
                Err(e) => e,
            }
        };
        let mut newest_first: Vec<Entry> = Vec::new();
        // Bytes before `end` not yet taken into lines; `pending` holds the bytes of the line
        // being assembled (read back to front, in chunks).
        let mut end = len;
        let mut pending: Vec<u8> = Vec::new();
        let mut last_byte = [0u8; 1];
        file.read_exact_at(&mut last_byte, len - 1).map_err(|e| self.io(e))?;
        if last_byte[0] != b'\n' {
            return Err(exact(file));
        }
        end -= 1;
        const CHUNK: u64 = 1 << 16;
        loop {
            // Find the start of the line that ends at `end` (exclusive).
            let start = loop {
                if let Some(pos) = pending.iter().rposition(|&b| b == b'\n') {
                    break Some(pos);
                }
                if end == 0 {
                    break None;
                }
                if pending.len() as u64 > MAX_LINE {
                    return Err(exact(file));
                }
                let take = CHUNK.min(end);
                let mut chunk = vec![0u8; take as usize];
                file.read_exact_at(&mut chunk, end - take).map_err(|e| self.io(e))?;
                end -= take;
                chunk.extend_from_slice(&pending);
                pending = chunk;
            };
            let line: Vec<u8> = match start {
                Some(pos) => {
                    let line = pending[pos + 1..].to_vec();
                    pending.truncate(pos);
                    line
                }
                None => std::mem::take(&mut pending),
            };
            let entry = match sealed_line(&line) {
                Ok(e) => e,
                Err(_) => return Err(exact(file)),
            };
            if let Some(newer) = newest_first.last()
                && (entry.seq.checked_add(1) != Some(newer.seq)
                    || newer.prev != entry.hash
                    || in_time(Some(&entry), newer).is_err())
            {
                return Err(exact(file));
            }
            let first = start.is_none() && end == 0;
            if first && (entry.seq != 1 || entry.prev != GENESIS) {
                return Err(exact(file));
            }
            let done = stop(&entry) || first;
            newest_first.push(entry);
            if done {
                break;
            }
        }
        newest_first.reverse();
        Ok(newest_first)
    }

    /// Read and check every entry; the first broken one is an error. A missing log has none.
    pub fn entries(&self) -> Result<Vec<Entry>, AuditError> {
        if !self.exists()? {
            return Ok(Vec::new());
        }
        let scan = self.scan()?;
        match scan.broken {
            Some(e) => Err(e),
            None => Ok(scan.entries),
        }
    }

    /// Recompute the whole chain; `Ok(n)` is the number of good entries.
    pub fn verify(&self) -> Result<u64, AuditError> {
        self.entries().map(|e| e.len() as u64)
    }

    /// The last entry of an intact, non-empty log.
    pub fn head(&self) -> Result<Head, AuditError> {
        if !self.exists()? {
            return Err(self.invalid("does not exist"));
        }
        let entries = self.entries()?;
        entries.last().map(Entry::head).ok_or_else(|| self.empty())
    }

    fn empty(&self) -> AuditError {
        self.invalid(
            "is empty, but a log always begins with the entry that started it: it may have been emptied; keep it as evidence and start a new log with `tokumei audit rotate`",
        )
    }

    /// Start the log if it does not exist: its first entry records the start. Returns that entry
    /// when this call created the log. The file appears whole or not at all.
    pub fn start(&self, operator: &str, time: &str, clock: Option<String>) -> Result<Option<Entry>, AuditError> {
        if self.exists()? {
            return Ok(None);
        }
        std::fs::create_dir_all(sys::parent_of(&self.path)).map_err(|e| self.io(e))?;
        let record = Record {
            time: time.to_string(),
            operator: operator.to_string(),
            action: ACTION_START.into(),
            status: "ok".into(),
            clock,
            ..Default::default()
        };
        let (entry, line) = seal(1, GENESIS, record);
        failpoint::hit("audit-start").map_err(|e| self.io(e))?;
        let created = sys::create_new_atomic(&self.path, line.as_bytes()).map_err(|e| self.io(e))?;
        Ok(created.then_some(entry))
    }

    /// Append a record after the last entry, under an exclusive lock, and sync it to disk. The
    /// log must exist and its last entry be whole and sealed: nothing is ever glued to a torn or
    /// edited last line (the break stays as evidence). Only the end of the log is read, so an
    /// append costs the same at any length; the whole chain is checked where it is relied on. A failed write is cut back off, so the log stays intact.
    /// The entry's time is never before the previous entry's: a clock behind it is raised and
    /// noted in [`Record::clock`].
    pub fn append(&self, mut record: Record) -> Result<Entry, AuditError> {
        if !self.exists()? {
            return Err(self.invalid("does not exist"));
        }
        let lock = sys::lock_exclusive(&self.path, false, &mut || {}).map_err(|e| self.io(e))?;
        let mut file = lock.file();
        // The last entry, checked with its line ending: nothing is glued to a torn line. (The
        // whole chain is checked where it is relied on: at every run, `audit verify`, the
        // registry's full check.)
        let tail = self.tail_of(file, |_| true)?;
        let last = tail.last().ok_or_else(|| self.empty())?;
        if let (Some(then), Some(now)) = (comparable_time(&last.record.time), comparable_time(&record.time))
            && now < then
        {
            let note = format!("system clock {now} was behind the previous entry; time raised to {then}");
            record.clock = Some(match record.clock.take() {
                Some(c) => format!("{c}; {note}"),
                None => note,
            });
            record.time = then.to_string();
        }
        let next = last.seq.checked_add(1).ok_or_else(|| self.invalid("its last entry's number cannot be followed"))?;
        let (entry, line) = seal(next, &last.hash, record);
        let len = file.seek(SeekFrom::End(0)).map_err(|e| self.io(e))?;
        let write = |mut file: &File| -> std::io::Result<()> {
            if let Some(action) = failpoint::action("audit-append") {
                if action == failpoint::Action::Abort {
                    std::process::abort();
                }
                // A full disk takes part of the line, then fails.
                file.write_all(&line.as_bytes()[..line.len() / 2])?;
                return Err(failpoint::error(action));
            }
            if failpoint::action("audit-append-torn").is_some() {
                // Power lost in the middle of the line.
                file.write_all(&line.as_bytes()[..line.len() / 2])?;
                file.sync_all()?;
                std::process::abort();
            }
            file.write_all(line.as_bytes())?;
            file.sync_all()
        };
        if let Err(e) = write(file) {
            // Cut the partial line back off so the log stays intact.
            let _ = file.set_len(len).and_then(|_| file.sync_all());
            return Err(self.io(e));
        }
        Ok(entry)
    }

    /// Close this log and start a new one at the same path whose first entry records the old
    /// log's archived name, its SHA-256, its last good entry and whether it was intact. The old
    /// file is kept unchanged under `<name>.<time>`. Works on a broken log: a broken log is
    /// evidence and is never repaired. Returns the archive's path and the new first entry.
    pub fn rotate(&self, operator: &str, time: &str, reason: &str) -> Result<(PathBuf, Entry), AuditError> {
        if !self.exists()? {
            return Err(self.invalid("does not exist: there is nothing to rotate"));
        }
        let lock = sys::lock_exclusive(&self.path, false, &mut || {}).map_err(|e| self.io(e))?;
        let mut file = lock.file();
        file.seek(SeekFrom::Start(0)).map_err(|e| self.io(e))?;
        let scan = self.scan_from(file)?;
        let old_sha = sys::sha256_file(&self.path).map_err(|e| self.io(e))?;
        let last = scan.entries.last();
        let mut time = time.to_string();
        if let Some(then) = last.and_then(|l| comparable_time(&l.record.time))
            && comparable_time(&time).is_some_and(|now| now < then)
        {
            time = then.to_string();
        }
        let dir = sys::parent_of(&self.path);
        let name = self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let stamp: String = time.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        let mut details = serde_json::Map::new();
        details.insert("reason".into(), reason.into());
        details.insert("previous_sha256".into(), old_sha.into());
        details.insert("previous_entries".into(), (scan.entries.len() as u64).into());
        details.insert("previous_head".into(), last.map(|l| l.head().to_string().into()).unwrap_or_default());
        details.insert(
            "previous_state".into(),
            match &scan.broken {
                None => "intact".to_string(),
                Some(AuditError::Broken { line, reason, .. }) => format!("broken at line {line}: {reason}"),
                Some(e) => format!("broken: {e}"),
            }
            .into(),
        );
        // Link the old file under its archive name (a second name for the same bytes; never
        // replacing anything), then put the new log in place with one rename.
        let mut archive = dir.join(format!("{name}.{stamp}"));
        let mut n = 1;
        loop {
            match std::fs::hard_link(&self.path, &archive) {
                Ok(()) => break,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    n += 1;
                    archive = dir.join(format!("{name}.{stamp}-{n}"));
                }
                Err(e) => return Err(self.io(e)),
            }
        }
        let archive_name = archive.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        details.insert("previous_log".into(), archive_name.into());
        let record = Record {
            time,
            operator: operator.to_string(),
            action: ACTION_ROTATE.into(),
            status: "ok".into(),
            details,
            ..Default::default()
        };
        let (entry, line) = seal(1, GENESIS, record);
        sys::replace_atomic(&self.path, line.as_bytes()).map_err(|e| self.io(e))?;
        drop(lock);
        Ok((archive, entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_record as rec;

    fn log_with(dir: &Path, n: u32) -> JsonlLog {
        let log = JsonlLog::new(dir.join("a/audit.log"));
        log.start("op", "2026-11-26T00:00:00Z", None).unwrap().unwrap();
        for i in 0..n {
            log.append(rec(i)).unwrap();
        }
        log
    }

    #[test]
    fn chain_starts_appends_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_with(dir.path(), 5);
        assert_eq!(log.verify().unwrap(), 6);
        let entries = log.entries().unwrap();
        assert_eq!(entries[0].prev, GENESIS);
        assert_eq!(entries[0].record.action, ACTION_START);
        assert_eq!(entries[3].prev, entries[2].hash);
        assert_eq!(log.head().unwrap(), entries[5].head());
        // Starting again does nothing.
        assert!(log.start("op", "2026-11-27T00:00:00Z", None).unwrap().is_none());
        assert_eq!(log.verify().unwrap(), 6);
    }

    #[test]
    fn append_needs_an_existing_intact_log() {
        let dir = tempfile::tempdir().unwrap();
        let missing = JsonlLog::new(dir.path().join("none.log"));
        assert!(matches!(missing.append(rec(0)), Err(AuditError::Invalid { .. })));
        std::fs::write(dir.path().join("empty.log"), "").unwrap();
        let empty = JsonlLog::new(dir.path().join("empty.log"));
        assert!(matches!(empty.append(rec(0)), Err(AuditError::Invalid { .. })));
        assert!(matches!(empty.head(), Err(AuditError::Invalid { .. })));
        // A torn last line: nothing is glued to it, the log is left as it is.
        let log = log_with(dir.path(), 2);
        let mut bytes = std::fs::read(log.path()).unwrap();
        bytes.extend_from_slice(b"{\"seq\":4,\"prev\":");
        std::fs::write(log.path(), &bytes).unwrap();
        match log.append(rec(3)) {
            Err(AuditError::Broken { line: 4, reason, .. }) => assert!(reason.contains("incomplete"), "{reason}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(std::fs::read(log.path()).unwrap(), bytes);
    }

    #[test]
    fn times_never_go_backwards() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_with(dir.path(), 3);
        let e = log.append(Record { time: "2020-01-01T00:00:00Z".into(), ..rec(0) }).unwrap();
        assert_eq!(e.record.time, "2026-11-26T00:00:02Z");
        assert!(e.record.clock.as_deref().unwrap().contains("behind"));
        assert_eq!(log.verify().unwrap(), 5);
        // A forged entry dated before its predecessor is broken even with a correct hash.
        let text = std::fs::read_to_string(log.path()).unwrap();
        let last = log.entries().unwrap().pop().unwrap();
        let mut rec_back = last.record.clone();
        rec_back.time = "2020-01-01T00:00:00Z".into();
        rec_back.clock = None;
        let (_, line) = seal(6, &last.hash, rec_back);
        std::fs::write(log.path(), text + &line).unwrap();
        match log.verify() {
            Err(AuditError::Broken { seq: 6, reason, .. }) => assert!(reason.contains("before"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rotation_keeps_the_old_log_and_links_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_with(dir.path(), 2);
        let before = std::fs::read(log.path()).unwrap();
        let head = log.head().unwrap();
        // Break it, then rotate.
        let mut broken = before.clone();
        broken.extend_from_slice(b"garbage\n");
        std::fs::write(log.path(), &broken).unwrap();
        let (archive, first) = log.rotate("officer", "2026-11-27T00:00:00Z", "disk failure").unwrap();
        assert_eq!(std::fs::read(&archive).unwrap(), broken);
        assert_eq!(first.record.action, ACTION_ROTATE);
        assert_eq!(first.record.details["previous_head"], head.to_string());
        assert!(first.record.details["previous_state"].as_str().unwrap().starts_with("broken"));
        assert_eq!(log.verify().unwrap(), 1);
        // A time before the rotation entry is raised to it.
        let e = log.append(rec(59)).unwrap();
        assert_eq!((e.seq, e.record.time.as_str()), (2, "2026-11-27T00:00:00Z"));
    }

    #[test]
    fn tampering_is_found_at_exactly_that_entry() {
        for target in 0..4usize {
            for kind in 0..4 {
                let dir = tempfile::tempdir().unwrap();
                let log = log_with(dir.path(), 3);
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
                    Err(AuditError::Broken { line, .. }) => assert_eq!(line, target + 1, "kind {kind}"),
                    other => {
                        // Removing the last entry leaves a valid shorter chain (anchors find that).
                        assert!(kind == 1 && target == 3, "kind {kind} target {target}: {other:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_fifo_or_folder_is_not_a_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = JsonlLog::new(dir.path());
        assert!(matches!(log.verify(), Err(AuditError::Invalid { .. })));
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

            let log = JsonlLog::new(dir.path().join("good.log"));
            log.start("o", "t", None).unwrap();
            for i in 0..3 {
                log.append(Record { time: format!("t{i}"), operator: "o".into(), action: "run".into(), status: "ok".into(), ..Default::default() }).unwrap();
            }
            let mut bytes = std::fs::read(log.path()).unwrap();
            let i = pos.index(bytes.len());
            if bytes[i] != byte {
                bytes[i] = byte;
                std::fs::write(log.path(), &bytes).unwrap();
                prop_assert!(log.verify().is_err());
            }
        }
    }
}

#[cfg(test)]
mod tail_tests {
    use super::*;
    use crate::test_record as rec;

    #[test]
    fn the_tail_is_read_back_to_the_entry_asked_for_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let log = JsonlLog::new(dir.path().join("audit.log"));
        log.start("op", "2026-11-26T00:00:00Z", None).unwrap();
        for i in 0..300 {
            // Long lines: the reader crosses its chunks.
            let mut r = rec(i);
            r.details.insert("pad".into(), "x".repeat((i as usize * 37) % 900).into());
            log.append(r).unwrap();
        }
        let all = log.entries().unwrap();
        let tail = log.tail_until(|e| e.seq == 250).unwrap();
        assert_eq!(tail, all[249..].to_vec());
        assert_eq!(log.tail_until(|_| false).unwrap(), all, "no stop: the whole log, from its start");
        assert_eq!(log.tail_until(|_| true).unwrap(), all[300..].to_vec());
        // An edited entry among those read is found, with its line, as the scan finds it.
        let text = std::fs::read_to_string(log.path()).unwrap();
        let edited = text.replacen("\"seq\":290", "\"seq\":291", 1);
        std::fs::write(log.path(), &edited).unwrap();
        match log.tail_until(|e| e.seq == 280) {
            Err(AuditError::Broken { line: 290, .. }) => {}
            other => panic!("{other:?}"),
        }
        // Not read (before the stop), not found: that is the full check's job.
        std::fs::write(log.path(), text.replacen("\"seq\":20,", "\"seq\":21,", 1)).unwrap();
        assert_eq!(log.tail_until(|e| e.seq == 280).unwrap().len(), 22);
        assert!(log.verify().is_err());
    }

    /// Review (issue 28): hostile logs give the scan's exact break, never a panic nor "changed
    /// while it was read".
    #[test]
    fn hostile_tails_are_reported_as_the_scan_reports_them() {
        let dir = tempfile::tempdir().unwrap();
        let log = JsonlLog::new(dir.path().join("audit.log"));
        log.start("op", "2026-11-26T00:00:00Z", None).unwrap();
        log.append(rec(1)).unwrap();
        let good = std::fs::read(log.path()).unwrap();
        let one_line = good[..good.iter().position(|&b| b == b'\n').unwrap() + 1].to_vec();
        let crlf: Vec<u8> = String::from_utf8(good.clone()).unwrap().replace('\n', "\r\n").into_bytes();
        let mut long = good.clone();
        long.extend(vec![b'x'; (MAX_LINE as usize) + 10]);
        long.push(b'\n');
        let mut long_valid_prefix = vec![b'{'; (MAX_LINE as usize) * 2];
        long_valid_prefix.push(b'\n');
        long_valid_prefix.extend(&good);
        let cases: Vec<(&str, Vec<u8>, bool)> = vec![
            ("one line", one_line, true),
            ("empty line at the end", [good.clone(), b"\n".to_vec()].concat(), false),
            ("empty line in the middle", [one_line_of(&good), b"\n".to_vec(), rest_of(&good)].concat(), false),
            ("only a newline", b"\n".to_vec(), false),
            ("CRLF", crlf, false),
            ("a line over the limit", long, false),
            ("a long garbage line before the entries", long_valid_prefix, false),
            ("garbage", b"\xff\xfe garbage \x00\n".to_vec(), false),
            ("no final newline", good[..good.len() - 1].to_vec(), false),
        ];
        for (what, bytes, ok) in cases {
            std::fs::write(log.path(), &bytes).unwrap();
            let tail = log.tail_until(|_| false);
            let scan = log.scan().unwrap();
            match (&tail, ok) {
                (Ok(t), true) => assert_eq!(t, &scan.entries, "{what}"),
                (Err(AuditError::Broken { .. }), false) => assert!(scan.broken.is_some(), "{what}"),
                (Err(AuditError::Invalid { reason, .. }), false) => {
                    assert!(!reason.contains("changed while"), "{what}: {reason}")
                }
                other => panic!("{what}: {other:?}"),
            }
            // The stop at the newest entry reads only the last line: the same verdict on it.
            let last = log.tail_until(|_| true);
            assert_eq!(
                last.is_ok(),
                ok || what.contains("middle") || what.contains("before the entries"),
                "{what}: {last:?}"
            );
        }
    }

    fn one_line_of(b: &[u8]) -> Vec<u8> {
        b[..b.iter().position(|&c| c == b'\n').unwrap() + 1].to_vec()
    }

    fn rest_of(b: &[u8]) -> Vec<u8> {
        b[b.iter().position(|&c| c == b'\n').unwrap() + 1..].to_vec()
    }

    /// Review (issue 28): a well-formed line numbered u64::MAX (its hash recomputed) neither
    /// panics the tail reader nor an append.
    #[test]
    fn the_largest_sequence_number_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let log = JsonlLog::new(dir.path().join("audit.log"));
        let first = log.start("op", "2026-11-26T00:00:00Z", None).unwrap().unwrap();
        let (max, line2) = seal(u64::MAX, &first.hash, rec(1));
        let (_, line3) = seal(5, &max.hash, rec(2));
        let mut text = std::fs::read_to_string(log.path()).unwrap();
        text.push_str(&line2);
        std::fs::write(log.path(), &text).unwrap();
        assert!(log.append(rec(3)).is_err(), "nothing follows entry u64::MAX");
        text.push_str(&line3);
        std::fs::write(log.path(), &text).unwrap();
        assert!(log.tail_until(|_| false).is_err());
    }
}
