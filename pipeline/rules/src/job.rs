//! Job files: which input, which rules, where outputs, keys and the audit log go.

use crate::diag::{Diagnostic, Diagnostics, from_toml_error};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    version: Spanned<i64>,
    name: Spanned<String>,
    reference_date: Option<Spanned<String>>,
    input: RawInput,
    rules: RawRulesRef,
    output: Option<RawOutput>,
    keys: Option<RawKeys>,
    audit: Option<RawAudit>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    path: String,
    format: Option<Spanned<String>>,
    encoding: Option<Spanned<String>>,
    delimiter: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRulesRef {
    path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    dir: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeys {
    pseudonym_key_file: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    log: Option<String>,
}

/// Input file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Delimited text.
    Csv,
    /// Apache Parquet.
    Parquet,
}

/// Text encoding of a CSV input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Detect: UTF-8 (BOM or valid UTF-8) else CP932.
    Auto,
    /// UTF-8, with or without BOM.
    Utf8,
    /// CP932 / Shift_JIS (Windows-31J).
    Cp932,
}

/// A loaded job with paths resolved against the job file's folder.
#[derive(Debug, Clone)]
pub struct Job {
    /// Job file.
    pub path: PathBuf,
    /// Job name.
    pub name: String,
    /// Date at which ages are computed (ISO); `None` means the run date.
    pub reference_date: Option<String>,
    /// Input file.
    pub input: PathBuf,
    /// Input format.
    pub format: InputFormat,
    /// CSV encoding.
    pub encoding: Encoding,
    /// CSV delimiter byte.
    pub delimiter: u8,
    /// Rule file.
    pub rules: PathBuf,
    /// Output folder: releases go to `<output_dir>/<dataset>/<release id>/`.
    pub output_dir: PathBuf,
    /// Pseudonym key file (needed in pseudonymized mode).
    pub key_file: Option<PathBuf>,
    /// Audit log.
    pub audit_log: PathBuf,
}

/// Read and check a job file.
pub fn load_job(path: &Path) -> Result<Job, Diagnostics> {
    let src =
        std::fs::read_to_string(path).map_err(|e| Diagnostic::file(path, format!("cannot read job file: {e}")))?;
    let raw: RawJob = toml::from_str(&src).map_err(|e| from_toml_error(path, &src, &e))?;
    let mut diags = Diagnostics::default();
    if *raw.version.get_ref() != 1 {
        diags.push(Diagnostic::at(
            path,
            &src,
            raw.version.span(),
            "unsupported job-file version (this tokumei reads version 1)",
        ));
    }
    if let Err(why) = crate::diag::check_path_name(raw.name.get_ref()) {
        diags.push(Diagnostic::at(path, &src, raw.name.span(), format!("job name {why}")));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = |p: &str| {
        if Path::new(p).is_absolute() { PathBuf::from(p) } else { base.join(p) }
    };
    let input = resolve(&raw.input.path);
    let format = match raw.input.format.as_ref().map(|f| f.get_ref().as_str()) {
        Some("csv") => InputFormat::Csv,
        Some("parquet") => InputFormat::Parquet,
        None if input.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) => InputFormat::Parquet,
        None => InputFormat::Csv,
        Some(_) => {
            let f = raw.input.format.as_ref().unwrap();
            diags.push(Diagnostic::at(path, &src, f.span(), "format must be `csv` or `parquet`"));
            InputFormat::Csv
        }
    };
    let encoding = match raw.input.encoding.as_ref().map(|e| e.get_ref().to_ascii_lowercase()) {
        None => Encoding::Auto,
        Some(e) => match e.as_str() {
            "auto" => Encoding::Auto,
            "utf-8" | "utf8" => Encoding::Utf8,
            "cp932" | "shift_jis" | "sjis" | "windows-31j" => Encoding::Cp932,
            _ => {
                let s = raw.input.encoding.as_ref().unwrap();
                diags.push(
                    Diagnostic::at(path, &src, s.span(), "unknown encoding")
                        .hint("use `auto`, `utf-8` or `cp932` (Shift_JIS)"),
                );
                Encoding::Auto
            }
        },
    };
    let delimiter = match raw.input.delimiter.as_ref() {
        None => b',',
        Some(d) if d.get_ref() == "\\t" || d.get_ref() == "\t" => b'\t',
        Some(d) if d.get_ref().len() == 1 && d.get_ref().is_ascii() => d.get_ref().as_bytes()[0],
        Some(d) => {
            diags.push(Diagnostic::at(path, &src, d.span(), "delimiter must be one ASCII character"));
            b','
        }
    };
    if let Some(r) = &raw.reference_date
        && !is_iso_date(r.get_ref())
    {
        diags.push(Diagnostic::at(path, &src, r.span(), "reference_date must be an ISO date like 2026-04-01"));
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let output_dir =
        raw.output.and_then(|o| o.dir).map(|d| resolve(&d)).unwrap_or_else(|| base.join("..").join("reports"));
    Ok(Job {
        path: path.to_path_buf(),
        name: raw.name.into_inner(),
        reference_date: raw.reference_date.map(Spanned::into_inner),
        input,
        format,
        encoding,
        delimiter,
        rules: resolve(&raw.rules.path),
        output_dir,
        key_file: raw.keys.and_then(|k| k.pseudonym_key_file).map(|k| resolve(&k)),
        audit_log: raw
            .audit
            .and_then(|a| a.log)
            .map(|l| resolve(&l))
            .unwrap_or_else(|| base.join("..").join("reports").join("audit.log")),
    })
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}
