//! What a run decided (or, for `tokumei check`, would decide), as lines for the terminal: the
//! level of every generalised column, what was suppressed and why, the codes computed by
//! `"auto"`, the release-risk warning and each processing standard with its evidence. Made
//! from the run's [`Report`], so a check and a run say the same.

use crate::render::Lang;
use crate::report::Report;

/// The decisions in `report`, one line each (English, with the standards' legal provisions).
pub fn lines(report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let unit = if report.people.subject.is_some() { "people" } else { "records" };
    // Levels of the generalised columns (chosen by the search, or fixed by the rules).
    let generalised: Vec<_> =
        report.columns.iter().filter(|c| c.output.is_some() && c.action == "generalize").collect();
    if !generalised.is_empty() {
        out.push(match &report.search {
            Some(s) if s.applied == "local" => "levels (local recoding: each class at its own level):".to_string(),
            Some(s) => format!(
                "levels (chosen by the {} search, {} {:.6}):",
                if s.optimal { "optimal" } else { "best-effort" },
                s.quality_model,
                s.quality
            ),
            None => "levels (fixed by the rules):".to_string(),
        });
        for c in generalised {
            out.push(format!("  {} -> {}: {}", c.name, c.output.as_deref().unwrap_or_default(), c.detail));
        }
    }
    // Suppression: records (people), by cause, and cells.
    let p = &report.people;
    out.push(match report.people.subject.is_some() {
        true => format!(
            "suppressed: {} people ({} records) of {}, limit {:.2}%",
            p.people_suppressed,
            report.suppressed,
            p.people_in,
            report.max_suppression * 100.0
        ),
        false => format!(
            "suppressed: {} records of {}, limit {:.2}%",
            report.suppressed,
            report.rows_in - report.rows_rejected,
            report.max_suppression * 100.0
        ),
    });
    for c in &report.suppression_causes {
        out.push(format!("  for {}: {} classes, {} {unit}", c.model, c.classes, c.rows));
    }
    for c in report.columns.iter().filter(|c| c.cells_suppressed.is_some_and(|n| n > 0)) {
        out.push(format!(
            "  {}: {} cells set to null as rare values",
            c.output.as_deref().unwrap_or(&c.name),
            c.cells_suppressed.unwrap_or(0)
        ));
    }
    // Perturbed columns: what changed, how; the linkage risk of the perturbed numbers.
    for p in &report.perturbed {
        let mut line = format!(
            "perturbed: {} -> {}: {} ({} of {} records changed",
            p.column, p.output, p.technique, p.records_changed, p.records
        );
        if let Some(m) = p.mean_abs_change {
            line.push_str(&format!(", mean absolute change {m:.2}"));
        }
        if let (Some(g), Some(s)) = (p.groups, p.smallest_group) {
            line.push_str(&format!(", {g} groups, smallest {s}"));
            if let Some(n) = p.smallest_group_people {
                line.push_str(&format!(" ({n} people at fewest)"));
            }
        }
        if let Some(m) = &p.method {
            line.push_str(&format!(", {m}"));
        }
        if let Some(s) = &p.swap {
            line.push_str(&format!(", {} strata, {} records unswapped", s.strata, s.unswapped));
        }
        if let Some(r) = &p.pram {
            line.push_str(&format!(", {}, largest share change {:.2} pt", r.form, r.largest_share_change * 100.0));
        }
        line.push(')');
        out.push(line);
    }
    if report.seed_fixed_for_test {
        out.push("perturbation: seed fixed for a test (TOKUMEI_TEST_SEED): not a release to provide".into());
    }
    if let Some(l) = report.release_risk.as_ref().and_then(|r| r.linkage.as_ref()) {
        out.push(format!(
            "record linkage of the perturbed numbers ({}): {:.2}% of {} records link to their own{}",
            l.columns.join(", "),
            l.share * 100.0,
            l.sampled,
            if l.estimate { " (estimate from a random sample)" } else { "" }
        ));
    }
    if let Some(f) = &report.fingerprint {
        out.push(format!(
            "fingerprint: `{}` in a random order within each class (name another with `fingerprint = \"COLUMN\"`)",
            f.column
        ));
    }
    if let Some(w) = report.release_risk_warning(Lang::En) {
        out.push(format!("warning: release risk: {w}"));
    }
    // The processing standards, each with its evidence; the fix of a failed one.
    let failed = report.processing_standards.iter().filter(|s| !s.passed).count();
    out.push(format!(
        "processing standards ({}): {}",
        report.regime.basis_en,
        if failed == 0 { "all met".to_string() } else { format!("{failed} NOT met") }
    ));
    for s in &report.processing_standards {
        out.push(format!("  {} {} ({}): {}", if s.passed { "met    " } else { "NOT met" }, s.id, s.legal, s.title));
        for e in &s.evidence {
            out.push(format!("      {e}"));
        }
        if let Some(fix) = &s.fix {
            out.push(format!("      fix: {fix}"));
        }
    }
    out
}
