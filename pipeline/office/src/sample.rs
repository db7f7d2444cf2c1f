//! `tokumei sample`: synthetic extracts, never over an existing file unless forced, each made
//! beside its target and renamed into place.

use crate::OfficeError;
use crate::error::chain;
use std::path::Path;
use tokumei_synth::TextEncoding;

/// The kinds of sample extract (`tokumei sample KIND`), each with what it is.
pub const KINDS: [(&str, &str); 2] = [
    ("resident-registry", "住民基本台帳 + tax + care extract"),
    (
        "resident-extracts",
        "The same records as three extracts joined on 宛名番号 (resident.csv, tax.csv, care.csv in the folder --out), as the registry, tax and care systems export them",
    ),
];

/// A sample's text encodings, each with its word and what it is.
pub const ENCODINGS: [(TextEncoding, &str, &str); 2] =
    [(TextEncoding::Utf8, "utf-8", "UTF-8"), (TextEncoding::Cp932, "cp932", "CP932 / Shift_JIS")];

/// Write a sample extract of `kind` (one of [`KINDS`]) to `out`; what was written.
pub fn sample(
    kind: &str,
    out: &Path,
    (rows, seed): (u64, u64),
    enc: TextEncoding,
    force: bool,
) -> Result<String, OfficeError> {
    match kind {
        "resident-extracts" => resident_extracts(out, rows, seed, enc, force),
        "resident-registry" => resident_registry(out, rows, seed, enc, force),
        other => Err(OfficeError::Usage(format!("no sample kind `{other}`"))),
    }
}

/// Refuse to replace `path` unless `force`.
fn keep(path: &Path, force: bool) -> Result<(), OfficeError> {
    if !force && std::fs::symlink_metadata(path).is_ok() {
        return Err(OfficeError::Output(format!("{} exists; pass --force to replace it", path.display())));
    }
    Ok(())
}

/// The same records as three extracts in the folder `out` ([`tokumei_synth::EXTRACTS`]); what
/// was written.
pub fn resident_extracts(
    out: &Path,
    rows: u64,
    seed: u64,
    enc: TextEncoding,
    force: bool,
) -> Result<String, OfficeError> {
    for name in tokumei_synth::EXTRACTS {
        keep(&out.join(name), force)?;
    }
    tokumei_synth::resident_extracts(out, rows, seed, enc).map_err(|e| OfficeError::Output(chain(&e)))?;
    Ok(tokumei_documents::text::init::sampled_extracts(rows, &tokumei_synth::EXTRACTS, out))
}

/// A resident-registry extract (住民基本台帳 + tax + care) at `out`; what was written.
pub fn resident_registry(
    out: &Path,
    rows: u64,
    seed: u64,
    enc: TextEncoding,
    force: bool,
) -> Result<String, OfficeError> {
    keep(out, force)?;
    // Made beside its target and renamed into place: never a half-written file.
    let dir = tokumei_audit::sys::parent_of(out);
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.new-{}", tokumei_audit::sys::random_tag()));
    let made = match tokumei_synth::resident_registry(&tmp, rows, seed, enc) {
        Err(e) => Err(OfficeError::Output(chain(&e))),
        Ok(()) => if force { std::fs::rename(&tmp, out) } else { std::fs::hard_link(&tmp, out) }
            .map_err(|cause| OfficeError::Output(chain(&cause))),
    };
    let _ = std::fs::remove_file(&tmp);
    made.map_err(|e| e.context(format!("cannot write {}", out.display())))?;
    Ok(tokumei_documents::text::init::sampled_registry(rows, out))
}
