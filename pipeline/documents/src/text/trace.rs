//! What `tokumei trace` prints: the file compared, the conclusion and the candidates with evidence.

use std::path::Path;

/// The file compared: its rows, columns, format and encoding, and the release its metadata claims.
pub struct Leaked<'a> {
    /// Rows read.
    pub rows: u64,
    /// Columns read.
    pub columns: usize,
    /// `csv` or `parquet`.
    pub format: &'a str,
    /// The CSV's encoding.
    pub encoding: Option<&'a str>,
    /// The release named by its Parquet metadata.
    pub claim: Option<&'a str>,
}

/// A release compared: whether its evidence matches, its status, id, recipient and evidence.
pub struct Compared<'a> {
    /// The evidence matches.
    pub matches: bool,
    /// The release's status.
    pub status: &'a str,
    /// The release.
    pub release_id: &'a str,
    /// Its recipient.
    pub recipient: Option<&'a str>,
    /// The evidence in a sentence.
    pub summary: &'a str,
}

/// The trace's lines: the file, its claim, the conclusion, up to ten releases with evidence and
/// how many could not be compared.
pub fn traced(file: &Path, l: &Leaked, conclusion: &str, candidates: &[Compared], unmarked: usize) -> String {
    let mut s = String::new();
    let encoding = l.encoding.map(|e| format!(", {e}")).unwrap_or_default();
    put!(s, "{}: {} rows, {} columns ({}{encoding})", file.display(), l.rows, l.columns, l.format);
    if let Some(c) = &l.claim {
        put!(s, "  its Parquet metadata names release {c} (a claim only: checked against the content below)");
    }
    put!(s, "{conclusion}");
    for c in candidates.iter().take(10) {
        let to = c.recipient.map(|r| format!(" → {r}")).unwrap_or_default();
        put!(s, "  {} {:<10} {}{to}: {}", if c.matches { "*" } else { " " }, c.status, c.release_id, c.summary);
    }
    if unmarked > 0 {
        put!(s, "  ({unmarked} release(s) registered before tokumei kept release marks could not be compared)");
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_trace_shows_its_file_conclusion_and_matches() {
        let l = super::Leaked { rows: 3, columns: 2, format: "csv", encoding: Some("utf-8"), claim: None };
        let c =
            super::Compared { matches: true, status: "active", release_id: "r1", recipient: Some("A"), summary: "x" };
        let s = super::traced(std::path::Path::new("f.csv"), &l, "traced", &[c], 1);
        assert_eq!(s.lines().next(), Some("f.csv: 3 rows, 2 columns (csv, utf-8)"));
        assert!(s.contains("  * active     r1 → A: x\n"));
        assert!(s.ends_with("could not be compared)\n"));
    }
}
