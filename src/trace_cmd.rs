//! `tokumei trace FILE`: which registered release a file that turned up came from, and so which
//! recipient it was provided to, from what the registry keeps about each release (keyed digests
//! of its record codes and rows, and the counts its fingerprint test needs: `tokumei_engine::trace`), never from keys.

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
    let encoding = args.encoding.encoding();
    let reg = Registry::open(&args.registry.path).map_err(reg_fail)?;
    let key = TraceKey::derive(&reg.code_digest_key().map_err(reg_fail)?);
    let leaked =
        tokumei_engine::trace::read_leaked(&args.file, encoding, &key).map_err(|e| fail(e.exit_code(), e.into()))?;
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
        .filter(|c| {
            !c.evidence.matches
                && c.evidence.rows_tested >= 5
                && c.evidence.rows_found * 5 >= c.evidence.rows_tested * 4
        })
        .collect();
    // Short of proof, the fingerprint may still point to one release: named as the likely
    // source, not as traced, when its score is clear of chance (1 in 1,000) and of the others.
    let z_of = |c: &Candidate| c.evidence.fingerprint_z.unwrap_or(f64::NEG_INFINITY);
    let mut by_z: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.evidence.fingerprint_z.is_some() && c.evidence.rows_found * 5 >= c.evidence.rows_tested * 4)
        .collect();
    by_z.sort_by(|a, b| z_of(b).partial_cmp(&z_of(a)).unwrap_or(std::cmp::Ordering::Equal));
    let likely = match by_z.as_slice() {
        [first, rest @ ..]
            if z_of(first) >= 3.09 && rest.first().is_none_or(|second| z_of(first) - z_of(second) >= 2.0) =>
        {
            Some(*first)
        }
        _ => None,
    };
    let to_whom = |c: &Candidate| {
        c.recipient.as_ref().map(|r| format!(", provided to {r}")).unwrap_or_else(|| " (internal use)".into())
    };
    let (verdict, named, log10_p, conclusion): (&str, Option<&Candidate>, Option<f64>, String) = match matching
        .as_slice()
    {
        [one] => (
            "traced",
            Some(*one),
            Some(one.evidence.log10_p),
            format!(
                "the file comes from release {}{} (confidence {}; chance of such evidence from a file not made from it: below 1 in 10^{:.0})",
                one.release_id,
                to_whom(one),
                confidence(one.evidence.log10_p),
                (-one.evidence.log10_p).min(300.0).floor()
            ),
        ),
        [] if likely.is_some() => {
            let c = likely.expect("checked");
            let p = -(z_of(c).powi(2) / 2.0) / std::f64::consts::LN_10;
            (
                "likely",
                Some(c),
                Some(p),
                format!(
                    "not conclusive: the file most likely comes from release {}{} (confidence {}, short of the 1 in 10,000 that tracing requires); more of the file's rows, or its record codes, would decide",
                    c.release_id,
                    to_whom(c),
                    confidence(p)
                ),
            )
        }
        [] if !resembling.is_empty() => (
            "undetermined",
            None,
            None,
            format!(
                "not traced: most rows also occur in release(s) {}, but nothing singles one out (no record code of any, no release's fingerprint order: common combinations of values, another copy of the same data made without a fingerprint, or too few rows)",
                resembling.iter().map(|c| c.release_id.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ),
        [] => ("not_traced", None, None, "not traced: the file matches no release of this registry".into()),
        many => (
            "ambiguous",
            None,
            None,
            format!(
                "cannot tell between releases {}: each matches (the same record codes, or the same rows and fingerprint)",
                many.iter().map(|c| c.release_id.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ),
    };
    let claim = leaked.claims_release.clone();
    if let Some(id) = args.incident {
        let mut reg = reg;
        let detail = serde_json::json!({
            "file_sha256": leaked.sha256,
            "rows": leaked.rows,
            "verdict": verdict,
            "release_id": named.map(|c| c.release_id.clone()),
            "recipient": named.and_then(|c| c.recipient.clone()),
            "log10_p": log10_p,
        });
        reg.incident_drafted(&crate::registry_cmd::who(args.operator.clone())?, id, "trace", detail)
            .map_err(reg_fail)?;
    }
    if args.json {
        json_out(&serde_json::json!({
            "file": args.file.display().to_string(),
            "format": leaked.format,
            "encoding": leaked.encoding,
            "rows": leaked.rows,
            "columns": leaked.columns.len(),
            "metadata_release_id": claim,
            "verdict": verdict,
            "release_id": named.map(|c| c.release_id.clone()),
            "recipient": named.and_then(|c| c.recipient.clone()),
            "confidence": log10_p.map(|p| 1.0 - 10f64.powf(p)),
            "log10_p": log10_p,
            "conclusion": conclusion,
            "releases_without_marks": unmarked,
            "candidates": candidates,
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
    }
    if verdict == "traced" {
        return Ok(());
    }
    Err(fail(ExitCode::NotTraced, anyhow::anyhow!("{conclusion}")))
}

fn confidence(log10_p: f64) -> String {
    if log10_p < -6.0 {
        format!("> 1 - 10^{:.0}", log10_p.max(-300.0).ceil())
    } else {
        format!("{:.6}", 1.0 - 10f64.powf(log10_p))
    }
}
