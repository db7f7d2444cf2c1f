//! What `tokumei init`, `sample` and `keygen` print: the rules drafted with every guess, the
//! sample written, the key made.

use std::path::Path;

/// A column's guess as the draft's summary shows it.
pub struct Guess<'a> {
    /// The column.
    pub column: &'a str,
    /// Its role guessed.
    pub role: &'a str,
    /// Its distinct values (as counted).
    pub distinct: &'a str,
    /// The share of records unique on it.
    pub unique_share: f64,
    /// Why.
    pub evidence: &'a str,
    /// A suggested quasi-identifier.
    pub quasi: bool,
}

/// The draft's summary: where it went, every guess, the subject, the fingerprint, the share
/// unique on the quasi-identifiers, the next step.
pub fn drafted(
    out: Option<&Path>,
    rows: u64,
    guesses: &[Guess],
    (subject, fingerprint): (Option<&str>, Option<&str>),
    unique_on_quasi: Option<f64>,
) -> Vec<String> {
    let mut lines = vec![match out {
        Some(out) => format!("drafted {} from {rows} rows; review every guess before use:", out.display()),
        None => format!("drafted rules from {rows} rows; review every guess before use:"),
    }];
    lines.push(format!("{:<20} {:<20} {:>12} {:>8}  evidence", "column", "role", "distinct", "unique"));
    for g in guesses {
        let share = g.unique_share * 100.0;
        lines.push(format!("{:<20} {:<20} {:>12} {share:>7.1}%  {}", g.column, g.role, g.distinct, g.evidence));
    }
    lines.push(match subject {
        Some(s) => format!("subject (the models count people by it): {s}"),
        None => {
            "subject: no column recognised as one person's number; name one if a person may have several rows".into()
        }
    });
    lines.push(match fingerprint {
        Some(f) => format!("fingerprint for leak tracing (its values reordered within classes): {f}"),
        None => "fingerprint for leak tracing: none drafted (no insensitive column outside the key)".into(),
    });
    if let Some(u) = unique_on_quasi {
        lines.push(format!(
            "suggested quasi-identifiers: {}; {:.1}% of records unique on them at raw values (the drafted generalisation lowers it)",
            guesses.iter().filter(|g| g.quasi).map(|g| g.column).collect::<Vec<_>>().join(", "),
            u * 100.0
        ));
    }
    lines.push("next: write a job file naming the extract and these rules, and run `tokumei check JOB.toml`".into());
    lines
}

/// `tokumei sample resident-extracts`.
pub fn sampled_extracts(rows: u64, names: &[&str], out: &Path) -> String {
    format!("wrote {rows} residents as {} in {}\n", names.join(", "), out.display())
}

/// `tokumei sample resident-registry`.
pub fn sampled_registry(rows: u64, out: &Path) -> String {
    format!("wrote {rows} rows to {}\n", out.display())
}

/// `tokumei keygen`: the pseudonym key written.
pub fn key_written(id: &str, out: &Path) -> String {
    format!("wrote key {id} to {} (keep it apart from the data; it is never printed)\n", out.display())
}

/// `tokumei keygen --audit`: the signing key pair written.
pub fn signing_key_written(id: &str, out: &Path, public: &Path) -> String {
    format!(
        "wrote audit signing key {id} to {} (owner-only; never printed) and its public key to {}\n",
        out.display(),
        public.display()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_draft_without_subject_or_quasi_says_so_and_ends_with_the_next_step() {
        let g =
            super::Guess { column: "age", role: "quasi", distinct: "3", unique_share: 0.5, evidence: "e", quasi: true };
        let lines = super::drafted(None, 9, &[g], (None, None), Some(0.25));
        assert_eq!(lines[0], "drafted rules from 9 rows; review every guess before use:");
        assert!(lines[2].ends_with("   50.0%  e"), "{}", lines[2]);
        assert!(lines[3].starts_with("subject: no column"));
        assert!(lines[5].starts_with("suggested quasi-identifiers: age; 25.0%"));
        assert!(lines[6].starts_with("next: "));
    }
}
