//! `tokumei trace FILE`: which registered release a file that turned up came from, and so which
//! recipient it was provided to, from what the registry keeps about each release (keyed digests
//! of its record codes and rows, and of a decoy: `tokumei_engine::trace`), never from keys.

use crate::registry_cmd::{RegistryArg, json_out, reg_fail};
use crate::{Failure, fail};
use std::path::PathBuf;
use tokumei_engine::ExitCode;
use tokumei_engine::trace::{Evidence, MarkSet, TraceKey};
use tokumei_registry::Registry;

/// Arguments of `tokumei trace`.
#[derive(clap::Args)]
pub struct TraceArgs {
    /// The file (Parquet, or CSV in UTF-8 or CP932): a whole release or any part of it, its
    /// rows and columns in any order.
    file: PathBuf,
    #[command(flatten)]
    registry: RegistryArg,
    /// CSV encoding: auto, utf-8, cp932.
    #[arg(long, default_value = "auto")]
    encoding: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// One release compared.
#[derive(serde::Serialize)]
struct Candidate {
    release_id: String,
    status: String,
    dataset: String,
    mode: String,
    contract_id: Option<i64>,
    recipient: Option<String>,
    provided: Vec<serde_json::Value>,
    fingerprinted: bool,
    evidence: Evidence,
}

/// Run `tokumei trace`.
pub fn trace(args: TraceArgs) -> Result<(), Failure> {
    let encoding = crate::parse_encoding(&args.encoding)?;
    let reg = Registry::open(&args.registry.path).map_err(reg_fail)?;
    let key = TraceKey::derive(&reg.code_digest_key().map_err(reg_fail)?);
    let leaked = tokumei_engine::trace::read_leaked(&args.file, encoding, &key).map_err(|e| fail(e.exit_code(), e.into()))?;
    let provisions = reg.provisions(None).map_err(reg_fail)?;
    let mut candidates = Vec::new();
    let mut unmarked = 0usize;
    for r in reg.releases().map_err(reg_fail)? {
        if r.status == "abandoned" {
            continue;
        }
        let marks: Vec<MarkSet> = reg
            .release_marks(&r.release.release_id)
            .map_err(reg_fail)?
            .into_iter()
            .map(|m| MarkSet::from_blob(m.kind, m.columns, m.sample, &m.digests))
            .collect();
        if marks.is_empty() {
            unmarked += 1;
            continue;
        }
        let evidence = tokumei_engine::trace::compare(&leaked, &marks);
        candidates.push(Candidate {
            provided: provisions
                .iter()
                .filter(|p| p.release_id == r.release.release_id)
                .map(|p| serde_json::json!({"recipient": p.recipient, "date": p.date, "medium": p.medium, "contract_id": p.contract_id}))
                .collect(),
            release_id: r.release.release_id,
            status: r.status,
            dataset: r.release.dataset,
            mode: r.release.mode,
            contract_id: r.release.contract_id,
            recipient: r.recipient,
            fingerprinted: r.release.fingerprint.is_some(),
            evidence,
        });
    }
    candidates.sort_by(|a, b| {
        (b.evidence.matches, -b.evidence.log10_p, b.evidence.rows_found + b.evidence.codes_found)
            .partial_cmp(&(a.evidence.matches, -a.evidence.log10_p, a.evidence.rows_found + a.evidence.codes_found))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let matching: Vec<&Candidate> = candidates.iter().filter(|c| c.evidence.matches).collect();
    let resembling: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| !c.evidence.matches && c.evidence.rows_tested >= 5 && c.evidence.rows_found * 5 >= c.evidence.rows_tested * 4)
        .collect();
    let (verdict, conclusion) = match matching.as_slice() {
        [one] => (
            "traced",
            format!(
                "the file comes from release {}{} (confidence {}; chance of such evidence from any other file: 1 in 10^{:.0})",
                one.release_id,
                one.recipient.as_ref().map(|r| format!(", provided to {r}")).unwrap_or_else(|| " (internal use)".into()),
                confidence(one.evidence.log10_p),
                -one.evidence.log10_p
            ),
        ),
        [] if !resembling.is_empty() => (
            "undetermined",
            format!(
                "not traced: most rows also occur in release(s) {}, but nothing singles one out (no record code of any, no release's fingerprint order: common combinations of values, another copy of the same data made without a fingerprint, or too few rows)",
                resembling.iter().map(|c| c.release_id.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ),
        [] => ("not_traced", "not traced: the file matches no release of this registry".into()),
        many => (
            "ambiguous",
            format!(
                "cannot tell between releases {}: each matches (the same record codes, or the same rows and fingerprint)",
                many.iter().map(|c| c.release_id.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ),
    };
    let claim = leaked.claims_release.clone();
    if args.json {
        return json_out(&serde_json::json!({
            "file": args.file.display().to_string(),
            "format": leaked.format,
            "encoding": leaked.encoding,
            "rows": leaked.rows,
            "columns": leaked.columns.len(),
            "metadata_release_id": claim,
            "verdict": verdict,
            "release_id": (verdict == "traced").then(|| matching[0].release_id.clone()),
            "recipient": if verdict == "traced" { matching[0].recipient.clone() } else { None },
            "confidence": (verdict == "traced").then(|| 1.0 - 10f64.powf(matching[0].evidence.log10_p)),
            "log10_p": (verdict == "traced").then(|| matching[0].evidence.log10_p),
            "conclusion": conclusion,
            "releases_without_marks": unmarked,
            "candidates": candidates,
        }));
    }
    say!("{}: {} rows, {} columns ({}{})", args.file.display(), leaked.rows, leaked.columns.len(), leaked.format, leaked.encoding.map(|e| format!(", {e}")).unwrap_or_default());
    if let Some(c) = &claim {
        say!("  its Parquet metadata names release {c} (a claim only: checked against the content below)");
    }
    say!("{conclusion}");
    for c in candidates.iter().filter(|c| c.evidence.codes_found + c.evidence.rows_found > 0).take(10) {
        say!(
            "  {} {:<10} {}{}: {}",
            if c.evidence.matches { "*" } else { " " },
            c.status,
            c.release_id,
            c.recipient.as_ref().map(|r| format!(" → {r}")).unwrap_or_default(),
            c.evidence.summary
        );
    }
    if unmarked > 0 {
        say!("  ({unmarked} release(s) registered before tokumei kept release marks could not be compared)");
    }
    if verdict == "traced" {
        return Ok(());
    }
    Err(fail(ExitCode::NotTraced, anyhow::anyhow!("{conclusion}")))
}

fn confidence(log10_p: f64) -> String {
    if log10_p < -6.0 { format!("> 1 - 10^{:.0}", log10_p.ceil()) } else { format!("{:.6}", 1.0 - 10f64.powf(log10_p)) }
}
