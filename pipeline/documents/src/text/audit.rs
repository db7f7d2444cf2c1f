//! What `tokumei audit` prints: what verifying finds as it goes, the head to file, the rotation.

use super::told::Told;
use std::path::Path;
use tokumei_audit::{Entry, Head};

/// A release's folder against its audit entry.
pub enum Disk<'a> {
    /// Exactly the recorded files.
    Matches,
    /// No folder.
    Absent,
    /// Something differs (what).
    Differs(&'a str),
}

/// The log's chain is intact.
pub fn log_intact(log: &Path, entries: usize, head: &Head) -> Told {
    Told::out(format!("audit log {}: {entries} entries, chain intact; head {head}\n", log.display()))
}

/// The log continues a previous one.
pub fn continues(previous: &Path, entries: usize) -> Told {
    Told::out(format!(
        "continues the previous log {} ({entries} good entries, its SHA-256 as recorded)\n",
        previous.display()
    ))
}

/// A release the log records (`published`: its `published` entry is there) and its folder now.
pub fn release(release_id: &str, entry: u64, (disk, published): (Disk, bool), dir: &Path) -> Told {
    let state = match (disk, published) {
        (Disk::Matches, true) => "published; its files match".to_string(),
        (Disk::Matches, false) => {
            "interrupted after publication (no `published` entry); its files are complete and match".into()
        }
        (Disk::Absent, false) => "interrupted before publication: never published".into(),
        (Disk::Absent, true) => format!("published; no longer at {}", dir.display()),
        (Disk::Differs(what), _) => format!("DIFFERS from its audit entry: {what}"),
    };
    Told::out(format!("release {release_id} (entry {entry}): {state}\n"))
}

/// A head file is signed but no public key was given (a note on stderr).
pub fn signed(file: &Path, key_id: Option<&str>) -> Told {
    let err = format!(
        "note: {} is signed ({}); pass --public-key to check its signature\n",
        file.display(),
        key_id.unwrap_or("unknown key")
    );
    Told { out: String::new(), err }
}

/// An anchor the log holds (in this log, or in a previous one).
pub fn held(head: &Head, from: &str, previous: Option<&Path>) -> Told {
    Told::out(match previous {
        None => format!("anchor {head} ({from}): held at entry {}\n", head.seq),
        Some(p) => format!("anchor {head} ({from}): held at entry {} of the previous log {}\n", head.seq, p.display()),
    })
}

/// `audit head`: the head on stdout, where it is and how to use it on stderr.
pub fn head(last: &Entry, log: &Path) -> Told {
    Told {
        out: format!("{}\n", last.head()),
        err: format!(
            "entry {} of {} ({}); file it outside the log: `tokumei audit verify --anchor {}` proves the log still holds it\n",
            last.seq,
            log.display(),
            last.record.time,
            last.head()
        ),
    }
}

/// `audit rotate`: the archive kept and the new log's first entry.
pub fn rotated(archive: &Path, log: &Path, first: &Entry) -> Told {
    let details = &first.record.details;
    Told::out(format!(
        "kept the previous log unchanged as {}\nstarted {} with entry 1 recording it ({}; previous head {})\n",
        archive.display(),
        log.display(),
        details["previous_state"].as_str().unwrap_or_default(),
        details["previous_head"].as_str().filter(|s| !s.is_empty()).unwrap_or("none")
    ))
}

/// `audit verify`'s problems (the log's, then the registry's) on stderr, and, when the registry
/// checked has none, that it matches the log.
pub fn problems(log: &[String], registry: Option<(&Path, &[String])>) -> Told {
    let mut t = Told { out: String::new(), err: log.iter().map(|p| format!("problem: {p}\n")).collect() };
    if let Some((path, problems)) = registry {
        t.err.extend(problems.iter().map(|p| format!("problem: registry: {p}\n")));
        if problems.is_empty() {
            t.out = format!("registry {}: every row, change and release matches the audit log\n", path.display());
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::Disk;

    #[test]
    fn a_release_s_state_says_what_its_folder_is() {
        let dir = std::path::Path::new("out/r1");
        assert_eq!(
            super::release("r1", 3, (Disk::Absent, true), dir).out,
            "release r1 (entry 3): published; no longer at out/r1\n"
        );
        assert!(
            super::release("r1", 3, (Disk::Differs("x"), false), dir)
                .out
                .ends_with("DIFFERS from its audit entry: x\n")
        );
        assert!(super::signed(dir, None).err.contains("(unknown key)"));
    }
}
