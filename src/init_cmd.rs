//! `tokumei init`, `sample`, `keygen` and `risk`: the tools around a job, each a library call
//! and what it prints.

use crate::common::{Failure, fail, json_out, show};
use std::path::{Path, PathBuf};
use tokumei_engine::ExitCode;
use tokumei_engine::risk::TableInput;

/// `tokumei init`: draft a rules file; the summary goes where the draft does not.
pub fn init(
    input: &TableInput,
    dataset: Option<String>,
    out: Option<&Path>,
    force: bool,
    no_header: bool,
) -> Result<(), Failure> {
    let draft = tokumei_office::init::draft_rules(input, dataset, out, force, no_header)?;
    let mut lines = Vec::new();
    match out {
        Some(out) => {
            lines.push(format!("drafted {} from {} rows; review every guess before use:", out.display(), draft.rows))
        }
        None => {
            say!("{}", draft.toml);
            lines.push(format!("drafted rules from {} rows; review every guess before use:", draft.rows));
        }
    }
    lines.push(format!("{:<20} {:<20} {:>12} {:>8}  evidence", "column", "role", "distinct", "unique"));
    for g in &draft.guesses {
        lines.push(format!(
            "{:<20} {:<20} {:>12} {:>7.1}%  {}",
            g.column,
            g.role,
            g.distinct,
            g.unique_share * 100.0,
            g.evidence
        ));
    }
    lines.push(match &draft.subject {
        Some(s) => format!("subject (the models count people by it): {s}"),
        None => {
            "subject: no column recognised as one person's number; name one if a person may have several rows".into()
        }
    });
    lines.push(match &draft.fingerprint {
        Some(f) => format!("fingerprint for leak tracing (its values reordered within classes): {f}"),
        None => "fingerprint for leak tracing: none drafted (no insensitive column outside the key)".into(),
    });
    if let Some(u) = draft.unique_on_quasi {
        lines.push(format!(
            "suggested quasi-identifiers: {}; {:.1}% of records unique on them at raw values (the drafted generalisation lowers it)",
            draft.guesses.iter().filter(|g| g.quasi).map(|g| g.column.as_str()).collect::<Vec<_>>().join(", "),
            u * 100.0
        ));
    }
    lines.push("next: write a job file naming the extract and these rules, and run `tokumei check JOB.toml`".into());
    for l in lines {
        if out.is_some() {
            say!("{l}");
        } else {
            eprintln!("{l}");
        }
    }
    Ok(())
}

/// `tokumei sample resident-extracts`.
pub fn sample_extracts(
    out: &Path,
    rows: u64,
    seed: u64,
    enc: tokumei_synth::TextEncoding,
    force: bool,
) -> Result<(), Failure> {
    tokumei_office::sample::resident_extracts(out, rows, seed, enc, force)?;
    say!("wrote {rows} residents as {} in {}", tokumei_synth::EXTRACTS.join(", "), out.display());
    Ok(())
}

/// `tokumei sample resident-registry`.
pub fn sample_registry(
    out: &Path,
    rows: u64,
    seed: u64,
    enc: tokumei_synth::TextEncoding,
    force: bool,
) -> Result<(), Failure> {
    tokumei_office::sample::resident_registry(out, rows, seed, enc, force)?;
    say!("wrote {rows} rows to {}", out.display());
    Ok(())
}

/// `tokumei keygen`: a pseudonym key, or with `audit` an officer's signing key pair.
pub fn keygen(out: &Path, audit: bool) -> Result<(), Failure> {
    if audit {
        let public = PathBuf::from(format!("{}.pub", out.display()));
        let id = tokumei_audit::sign::generate(out, &public).map_err(|e| fail(ExitCode::Key, e.into()))?;
        say!(
            "wrote audit signing key {id} to {} (owner-only; never printed) and its public key to {}",
            out.display(),
            public.display()
        );
    } else {
        let id = tokumei_engine::keys::Key::generate(out)?;
        say!("wrote key {} to {} (keep it apart from the data; it is never printed)", id, out.display());
    }
    Ok(())
}

/// `tokumei risk`: the risk of a table over chosen quasi-identifiers, as text or JSON.
pub fn risk(
    input: &TableInput,
    qi: &[String],
    sensitive: &[String],
    population: Option<u64>,
    threshold: f64,
    json: bool,
) -> Result<(), Failure> {
    let r = tokumei_engine::risk::risk_of_file(input, qi, sensitive, population, threshold)?;
    if json {
        return json_out(&r);
    }
    show(&tokumei_documents::text::risk::table(&r));
    Ok(())
}
