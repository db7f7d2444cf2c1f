//! `tokumei trace FILE`: which registered release a file that turned up came from, and so which
//! recipient it was provided to, from what the registry keeps about each release (keyed digests
//! of its record codes and rows, and the counts its fingerprint test needs), never from keys:
//! `tokumei_office::trace` compares, this module prints.

use crate::args::RegistryArg;
use crate::common::Failure;
use crate::common::{json_out, reg_fail};
use std::path::PathBuf;
use tokumei_office::OfficeError;
use tokumei_office::trace::trace as compare;
use tokumei_registry::Registry;

/// Arguments of `tokumei trace`.
#[derive(clap::Args)]
pub struct TraceArgs {
    /// The file (Parquet, or CSV in UTF-8 or CP932): a whole release or any part of it, its
    /// rows and columns in any order.
    file: PathBuf,
    #[command(flatten)]
    registry: RegistryArg,
    /// CSV encoding (any case; `utf8`, `shift_jis` and `sjis` too).
    #[arg(long, default_value = "auto")]
    encoding: crate::args::EncodingArg,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Record the result in this incident's timeline (the file's SHA-256, the verdict, the
    /// release and recipient named).
    #[arg(long)]
    incident: Option<i64>,
    /// Operator recorded in the audit log (with --incident).
    #[arg(long, env = "TOKUMEI_OPERATOR")]
    operator: Option<String>,
}

/// Run `tokumei trace`.
pub fn trace(args: TraceArgs) -> Result<(), Failure> {
    let mut reg = Registry::open(&args.registry.path).map_err(reg_fail)?;
    let incident = match args.incident {
        Some(id) => Some((id, crate::common::who(args.operator.clone())?)),
        None => None,
    };
    let t = compare(&mut reg, &args.file, args.encoding.encoding(), incident)?;
    let (leaked, named) = (&t.leaked, t.named());
    let claim = leaked.claims_release.clone();
    if args.json {
        json_out(&serde_json::json!({
            "file": args.file.display().to_string(),
            "format": leaked.format,
            "encoding": leaked.encoding,
            "rows": leaked.rows,
            "columns": leaked.columns.len(),
            "metadata_release_id": claim,
            "verdict": t.verdict,
            "release_id": named.map(|c| c.release_id.clone()),
            "recipient": named.and_then(|c| c.recipient.clone()),
            "confidence": t.log10_p.map(|p| 1.0 - 10f64.powf(p)),
            "log10_p": t.log10_p,
            "conclusion": t.conclusion,
            "releases_without_marks": t.unmarked,
            "candidates": t.candidates,
        }))?;
    } else {
        say!(
            "{}: {} rows, {} columns ({}{})",
            args.file.display(),
            leaked.rows,
            leaked.columns.len(),
            leaked.format,
            leaked.encoding.map(|e| format!(", {e}")).unwrap_or_default()
        );
        if let Some(c) = &claim {
            say!("  its Parquet metadata names release {c} (a claim only: checked against the content below)");
        }
        say!("{}", t.conclusion);
        for c in t.candidates.iter().filter(|c| c.evidence.codes_found + c.evidence.rows_found > 0).take(10) {
            say!(
                "  {} {:<10} {}{}: {}",
                if c.evidence.matches { "*" } else { " " },
                c.status,
                c.release_id,
                c.recipient.as_ref().map(|r| format!(" → {r}")).unwrap_or_default(),
                c.evidence.summary
            );
        }
        if t.unmarked > 0 {
            say!("  ({} release(s) registered before tokumei kept release marks could not be compared)", t.unmarked);
        }
    }
    if t.verdict == "traced" {
        return Ok(());
    }
    Err(OfficeError::NotTraced(t.conclusion).into())
}
