//! What `tokumei run` and `tokumei check` print: the counts of a run, a check passed, the release
//! published with its files, entry and registration.

use super::told::Told;
use std::path::PathBuf;
use tokumei_report::Report;

/// A published release as plain values to show (paths already shortened for display).
pub struct Shown<'a> {
    /// The run's report.
    pub report: &'a Report,
    /// The release's folder.
    pub dir: PathBuf,
    /// Every file written.
    pub files: Vec<PathBuf>,
    /// The `publishing` entry's sequence number and the log's head before it.
    pub entry: (u64, String),
    /// Warnings (after publication, or when it could not be settled).
    pub warnings: Vec<&'a str>,
    /// The contract (`None`: an internal use) and the registry it is registered in.
    pub registered: Option<(Option<i64>, PathBuf)>,
    /// The internal release it replaces.
    pub replaces: Option<&'a str>,
}

/// `check passed: ...`.
pub fn checked(report: &Report) -> Told {
    Told::out(format!("check passed: {}; nothing was written\n", counts(report, "would be ")))
}

/// What a published run prints: the release, its files and entry; warnings on stderr.
pub fn published(p: &Shown) -> Told {
    let mut s = String::new();
    put!(s, "release {}: {}", p.report.release_id, counts(p.report, ""));
    put!(s, "  folder {}", p.dir.display());
    for f in &p.files {
        put!(s, "  wrote {}", f.display());
    }
    put!(s, "  audit entry {} (log head before it: {})", p.entry.0, p.entry.1);
    if let Some((id, registry)) = &p.registered {
        match id {
            Some(id) => put!(s, "  registered for contract {id} in {}", registry.display()),
            None => put!(s, "  registered as an internal use in {}", registry.display()),
        }
        if let Some(old) = &p.replaces {
            put!(
                s,
                "  replaces release {old} (without every person residents' requests excluded); destroy release {old} and every copy of it, then record it: tokumei release destroyed {old} --how ..."
            );
        }
    }
    Told { out: s, err: p.warnings.iter().map(|w| format!("warning: {w}\n")).collect() }
}

/// `N rows read, N rejected, N [would be ]suppressed, N [would be ]written (people ...); k=N achieved
/// (required N)` (the k part only where a k is required).
pub fn counts(r: &Report, would: &str) -> String {
    let excluded = match &r.requests {
        Some(q) if q.excluded_records > 0 || q.corrected_values > 0 => format!(
            " ({} more left out and {} values corrected by residents' requests)",
            q.excluded_records, q.corrected_values
        ),
        _ => String::new(),
    };
    let people = match &r.people.subject {
        Some(_) => format!(
            " (people{}: {} accepted, {} {would}suppressed, {} {would}written)",
            if r.k > 1 { ", by which k counts" } else { "" },
            r.people.people_in,
            r.people.people_suppressed,
            r.people.people_out
        ),
        None => String::new(),
    };
    // No k is required of pseudonymised data (k = 1): no line claims one.
    let k = match r.k {
        0 | 1 => String::new(),
        k => format!("; k={} achieved (required {k})", r.k_achieved),
    };
    format!(
        "{} rows read{excluded}, {} rejected, {} {would}suppressed, {} {would}written{people}{k}",
        r.rows_in, r.rows_rejected, r.suppressed, r.rows_out
    )
}
