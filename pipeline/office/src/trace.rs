//! Tracing a file that turned up: which registered release it came from, and so which recipient
//! it was provided to, from what the registry keeps about each release (keyed digests of its
//! record codes and rows, and the counts its fingerprint test needs: `tokumei_engine::trace`),
//! never from keys.

use crate::OfficeError;
use std::path::Path;
use tokumei_engine::trace::{Evidence, Leaked, MarkSet, TraceKey};
use tokumei_registry::{Registry, Who};

/// One release compared.
#[derive(serde::Serialize)]
pub struct Candidate {
    /// The release.
    pub release_id: String,
    /// Its status in the registry.
    pub status: String,
    /// Its dataset.
    pub dataset: String,
    /// `anonymized` or `pseudonymized`.
    pub mode: String,
    /// The contract it was made under.
    pub contract_id: Option<i64>,
    /// The recipient (none: an internal use).
    pub recipient: Option<String>,
    /// Its provisions (recipient, date, medium, contract).
    pub provided: Vec<serde_json::Value>,
    /// Whether its rows carry a fingerprint.
    pub fingerprinted: bool,
    /// What the file shares with it.
    pub evidence: Evidence,
}

/// What a trace found.
pub struct Traced {
    /// The file as read.
    pub leaked: Leaked,
    /// Every release compared, the likeliest first.
    pub candidates: Vec<Candidate>,
    /// Releases registered without marks (not compared).
    pub unmarked: usize,
    /// `traced`, `likely`, `undetermined`, `not_traced` or `ambiguous`.
    pub verdict: &'static str,
    /// The release named (traced or likely): its index in `candidates`.
    pub named: Option<usize>,
    /// The chance of such evidence from a file not made from the release named (log10).
    pub log10_p: Option<f64>,
    /// The conclusion in words.
    pub conclusion: String,
}

impl Traced {
    /// The release named (traced or likely).
    pub fn named(&self) -> Option<&Candidate> {
        self.named.map(|i| &self.candidates[i])
    }
}

/// `tokumei trace`: open the registry at `path` and compare `file` (with `incident`, recorded in
/// its timeline by `operator`).
pub fn file(
    path: &Path,
    file: &Path,
    encoding: tokumei_rules::Encoding,
    incident: Option<i64>,
    operator: &str,
) -> Result<Traced, OfficeError> {
    let mut reg = Registry::open(path)?;
    let incident = match incident {
        Some(id) => Some((id, crate::records::who(operator)?)),
        None => None,
    };
    trace(&mut reg, file, encoding, incident)
}

/// `tokumei trace --json`: the file, the verdict, the release named and every candidate.
pub fn json(file: &Path, t: &Traced) -> serde_json::Value {
    let (leaked, named) = (&t.leaked, t.named());
    serde_json::json!({
        "file": file.display().to_string(),
        "format": leaked.format,
        "encoding": leaked.encoding,
        "rows": leaked.rows,
        "columns": leaked.columns.len(),
        "metadata_release_id": leaked.claims_release,
        "verdict": t.verdict,
        "release_id": named.map(|c| c.release_id.clone()),
        "recipient": named.and_then(|c| c.recipient.clone()),
        "confidence": t.log10_p.map(|p| 1.0 - 10f64.powf(p)),
        "log10_p": t.log10_p,
        "conclusion": t.conclusion,
        "releases_without_marks": t.unmarked,
        "candidates": t.candidates,
    })
}

/// `tokumei trace`'s text: the file, the conclusion, the releases with evidence.
pub fn text(file: &Path, t: &Traced) -> String {
    use tokumei_documents::text::trace::{Compared, Leaked, traced};
    let l = &t.leaked;
    let leaked = Leaked {
        rows: l.rows,
        columns: l.columns.len(),
        format: l.format,
        encoding: l.encoding,
        claim: l.claims_release.as_deref(),
    };
    let with_evidence = t.candidates.iter().filter(|c| c.evidence.codes_found + c.evidence.rows_found > 0);
    let compared: Vec<_> = with_evidence
        .take(10)
        .map(|c| Compared {
            matches: c.evidence.matches,
            status: &c.status,
            release_id: &c.release_id,
            recipient: c.recipient.as_deref(),
            summary: &c.evidence.summary,
        })
        .collect();
    traced(file, &leaked, &t.conclusion, &compared, t.unmarked)
}

/// Ok when the file was traced to a release, else [`OfficeError::NotTraced`] with the conclusion.
pub fn traced(t: Traced) -> Result<(), OfficeError> {
    if t.verdict == "traced" {
        return Ok(());
    }
    Err(OfficeError::NotTraced(t.conclusion))
}

/// Compare a file with every registered release; with `incident`, record the result in that
/// incident's timeline.
pub fn trace(
    reg: &mut Registry,
    file: &Path,
    encoding: tokumei_rules::Encoding,
    incident: Option<(i64, Who)>,
) -> Result<Traced, OfficeError> {
    let key = TraceKey::derive(&reg.code_digest_key()?);
    let leaked = tokumei_engine::trace::read_leaked(file, encoding, &key)?;
    let (mut candidates, unmarked) = compare(reg, &leaked)?;
    candidates.sort_by(|a, b| {
        (b.evidence.matches, -b.evidence.log10_p, b.evidence.rows_found + b.evidence.codes_found)
            .partial_cmp(&(a.evidence.matches, -a.evidence.log10_p, a.evidence.rows_found + a.evidence.codes_found))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let (verdict, named, log10_p, conclusion) = verdict(&candidates);
    let traced = Traced { leaked, candidates, unmarked, verdict, named, log10_p, conclusion };
    if let Some((id, who)) = incident {
        let named = traced.named();
        let detail = serde_json::json!({
            "file_sha256": traced.leaked.sha256,
            "rows": traced.leaked.rows,
            "verdict": verdict,
            "release_id": named.map(|c| c.release_id.clone()),
            "recipient": named.and_then(|c| c.recipient.clone()),
            "log10_p": log10_p,
        });
        reg.incident_drafted(&who, id, "trace", detail)?;
    }
    Ok(traced)
}

/// The file against every release with marks; how many have none.
fn compare(reg: &Registry, leaked: &Leaked) -> Result<(Vec<Candidate>, usize), OfficeError> {
    let provisions = reg.provisions(None)?;
    let mut candidates = Vec::new();
    let mut unmarked = 0usize;
    for r in reg.releases()? {
        if r.status == "abandoned" {
            continue;
        }
        let marks: Vec<MarkSet> = reg
            .release_marks(&r.release.release_id)?
            .into_iter()
            .map(|m| MarkSet::from_blob(m.kind, m.columns, m.sample, &m.digests))
            .collect();
        if marks.is_empty() {
            unmarked += 1;
            continue;
        }
        let evidence = tokumei_engine::trace::compare(leaked, &marks);
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
    Ok((candidates, unmarked))
}

/// The verdict over the candidates (sorted): the release named (its index), log10 p, the
/// conclusion in words.
fn verdict(candidates: &[Candidate]) -> (&'static str, Option<usize>, Option<f64>, String) {
    let matching: Vec<usize> = (0..candidates.len()).filter(|&i| candidates[i].evidence.matches).collect();
    let resembling: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| {
            !c.evidence.matches
                && c.evidence.rows_tested >= 5
                && c.evidence.rows_found * 5 >= c.evidence.rows_tested * 4
        })
        .collect();
    let to_whom = |c: &Candidate| {
        c.recipient.as_ref().map(|r| format!(", provided to {r}")).unwrap_or_else(|| " (internal use)".into())
    };
    match matching.as_slice() {
        [one] => {
            let c = &candidates[*one];
            (
                "traced",
                Some(*one),
                Some(c.evidence.log10_p),
                format!(
                    "the file comes from release {}{} (confidence {}; chance of such evidence from a file not made from it: below 1 in 10^{:.0})",
                    c.release_id,
                    to_whom(c),
                    confidence(c.evidence.log10_p),
                    (-c.evidence.log10_p).min(300.0).floor()
                ),
            )
        }
        [] => match likely(candidates) {
            Some((i, z)) => {
                let c = &candidates[i];
                let p = -(z.powi(2) / 2.0) / std::f64::consts::LN_10;
                (
                    "likely",
                    Some(i),
                    Some(p),
                    format!(
                        "not conclusive: the file most likely comes from release {}{} (confidence {}, short of the 1 in 10,000 that tracing requires); more of the file's rows, or its record codes, would decide",
                        c.release_id,
                        to_whom(c),
                        confidence(p)
                    ),
                )
            }
            None if !resembling.is_empty() => (
                "undetermined",
                None,
                None,
                format!(
                    "not traced: most rows also occur in release(s) {}, but nothing singles one out (no record code of any, no release's fingerprint order: common combinations of values, another copy of the same data made without a fingerprint, or too few rows)",
                    resembling.iter().map(|c| c.release_id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ),
            None => ("not_traced", None, None, "not traced: the file matches no release of this registry".into()),
        },
        many => (
            "ambiguous",
            None,
            None,
            format!(
                "cannot tell between releases {}: each matches (the same record codes, or the same rows and fingerprint)",
                many.iter().map(|&i| candidates[i].release_id.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ),
    }
}

/// Short of proof, the fingerprint may still point to one release: named as the likely source,
/// not as traced, when its score is clear of chance (1 in 1,000) and of the others. Its index
/// and score.
fn likely(candidates: &[Candidate]) -> Option<(usize, f64)> {
    let z_of = |c: &Candidate| c.evidence.fingerprint_z.unwrap_or(f64::NEG_INFINITY);
    let mut by_z: Vec<usize> = (0..candidates.len())
        .filter(|&i| {
            let c = &candidates[i];
            c.evidence.fingerprint_z.is_some() && c.evidence.rows_found * 5 >= c.evidence.rows_tested * 4
        })
        .collect();
    by_z.sort_by(|&a, &b| z_of(&candidates[b]).partial_cmp(&z_of(&candidates[a])).unwrap_or(std::cmp::Ordering::Equal));
    match by_z.as_slice() {
        [first, rest @ ..] => {
            let z = z_of(&candidates[*first]);
            let clear = rest.first().is_none_or(|second| z - z_of(&candidates[*second]) >= 2.0);
            (z >= 3.09 && clear).then_some((*first, z))
        }
        [] => None,
    }
}

/// A confidence from log10 of the chance, as printed.
pub fn confidence(log10_p: f64) -> String {
    if log10_p < -6.0 {
        format!("> 1 - 10^{:.0}", log10_p.max(-300.0).ceil())
    } else {
        format!("{:.6}", 1.0 - 10f64.powf(log10_p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_is_written_as_a_power_of_ten_when_tiny() {
        assert_eq!(confidence(-12.0), "> 1 - 10^-12");
        assert_eq!(confidence(-1.0), "0.900000");
    }
}
