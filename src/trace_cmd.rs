//! `tokumei trace FILE`: which registered release a file that turned up came from, and so which
//! recipient it was provided to, from what the registry keeps about each release (keyed digests
//! of its record codes and rows, and the counts its fingerprint test needs), never from keys:
//! `tokumei_office::trace` compares, this module prints.

use crate::args::RegistryArg;
use crate::common::{Failure, view_as};
use std::path::PathBuf;
use tokumei_office::{records::operator, trace};

/// Arguments of `tokumei trace`.
#[derive(clap::Args)]
pub struct TraceArgs {
    /// The file (Parquet, or CSV in UTF-8 or CP932): a whole release or any part of it, its
    /// rows and columns in any order.
    file: PathBuf,
    #[command(flatten)]
    registry: RegistryArg,
    /// CSV encoding (any case; `utf8`, `shift_jis` and `sjis` too).
    #[arg(long, default_value = "auto", value_parser = crate::args::encoding())]
    encoding: tokumei_rules::Encoding,
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
pub fn trace(a: TraceArgs) -> Result<(), Failure> {
    let t = trace::file(&a.registry.path, &a.file, a.encoding, a.incident, &operator(a.operator))?;
    view_as(a.json, &t, |t| trace::json(&a.file, t), |t| trace::text(&a.file, t))?;
    Ok(trace::traced(t)?)
}
