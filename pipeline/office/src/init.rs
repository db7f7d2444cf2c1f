//! `tokumei init`: a rules file drafted from an extract (every guess marked for review), written
//! where asked (never over an existing file unless forced).

use crate::OfficeError;
use std::path::Path;
use tokumei_engine::draft::Draft;
use tokumei_engine::risk::TableInput;

/// The dataset name drafted from an extract's file name: its letters, digits, `_` and `-`
/// (others as `_`), prefixed `d_` where it would not start with a letter, digit or `_`.
pub fn dataset_name(extract: &Path) -> String {
    let stem = extract.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let clean: String =
        stem.chars().map(|c| if c.is_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect();
    if clean.is_empty() || !clean.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        format!("d_{clean}")
    } else {
        clean
    }
}

/// Draft the rules of `input` for `dataset` (default: from the extract's name) and write them
/// to `out` if given (refused if it exists, unless `force`).
pub fn draft_rules(
    input: &TableInput,
    dataset: Option<String>,
    out: Option<&Path>,
    force: bool,
    no_header: bool,
) -> Result<Draft, OfficeError> {
    let dataset = dataset.unwrap_or_else(|| dataset_name(input.path));
    if let Err(why) = tokumei_rules::diag::check_path_name(&dataset) {
        return Err(OfficeError::Usage(format!("--dataset {why}")));
    }
    if let Some(out) = out
        && !force
        && std::fs::symlink_metadata(out).is_ok()
    {
        return Err(OfficeError::Output(format!("{} exists; pass --force to replace it", out.display())));
    }
    let draft = tokumei_engine::draft::draft(input, &dataset, no_header)?;
    if let Some(out) = out {
        let write = if force {
            tokumei_audit::sys::replace_atomic(out, draft.toml.as_bytes())
        } else {
            tokumei_audit::sys::create_new_atomic(out, draft.toml.as_bytes()).and_then(|made| {
                if made { Ok(()) } else { Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "exists")) }
            })
        };
        write.map_err(|cause| OfficeError::Write { path: out.to_path_buf(), cause })?;
    }
    Ok(draft)
}

/// `tokumei init`'s message: with `out`, the summary on stdout; else the draft on stdout and the
/// summary on stderr.
pub fn told(draft: &Draft, out: Option<&Path>) -> tokumei_documents::text::Told {
    use tokumei_documents::text::init::{Guess, drafted};
    let guesses: Vec<_> = draft
        .guesses
        .iter()
        .map(|g| Guess {
            column: &g.column,
            role: g.role,
            distinct: &g.distinct,
            unique_share: g.unique_share,
            evidence: &g.evidence,
            quasi: g.quasi,
        })
        .collect();
    let named = (draft.subject.as_deref(), draft.fingerprint.as_deref());
    let summary: String =
        drafted(out, draft.rows, &guesses, named, draft.unique_on_quasi).iter().map(|l| format!("{l}\n")).collect();
    match out {
        Some(_) => tokumei_documents::text::Told::out(summary),
        None => tokumei_documents::text::Told { out: format!("{}\n", draft.toml), err: summary },
    }
}

/// `tokumei keygen`: a pseudonym key at `out`, or with `audit` an officer's signing key pair
/// (`out` and `out.pub`); what was written.
pub fn keygen(out: &Path, audit: bool) -> Result<String, OfficeError> {
    use tokumei_documents::text::init as text;
    if audit {
        let public = std::path::PathBuf::from(format!("{}.pub", out.display()));
        let id = tokumei_audit::sign::generate(out, &public)?;
        return Ok(text::signing_key_written(&id, out, &public));
    }
    Ok(text::key_written(&tokumei_engine::keys::Key::generate(out)?, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dataset_is_named_after_its_extract() {
        assert_eq!(dataset_name(Path::new("data/住民 2024.csv")), "住民_2024");
        assert_eq!(dataset_name(Path::new("-x.csv")), "d_-x");
        assert_eq!(dataset_name(Path::new("")), "d_");
    }
}
