//! What a run on a cluster cannot do yet: each has no distributed form, so the run is refused
//! with the reason before anything runs (a refusal is a job error, exit 3, as a SQL job in a
//! build without the `query` feature). Checked twice: by the caller before the cluster reads
//! anything ([`refusal`]) and on the laid-out run before the models
//! (`run::aggregated`, `layout_refusal`).

use crate::run::Prepared;
use tokumei_rules::{Action, Encoding, LocalRecoding, Mode, OnMalformed};

/// Why the prepared job cannot run on a cluster, if it cannot; `provided`: the release goes to a
/// recipient under a contract (and would be fingerprinted).
pub fn refusal(prepared: &Prepared, provided: bool) -> Option<String> {
    let (job, plan) = (prepared.job(), &prepared.plan);
    let no =
        |what: &str| Some(format!("{what} has no distributed form yet: run it on one machine (without --cluster)"));
    if job.query.is_some() || job.inputs.len() != 1 {
        return no("a job over several inputs (a `query`)");
    }
    let input = &job.inputs[0];
    if input.format == tokumei_rules::InputFormat::Csv && input.encoding != Encoding::Utf8 {
        return no("a CSV input not declared `encoding = \"utf-8\"` (CP932 or detected)");
    }
    if !input.types.is_empty() {
        return no("an input's `types`");
    }
    if plan.mode == Mode::Pseudonymized {
        return no("pseudonymized mode (a managed key, the per-subject index)");
    }
    if plan.on_malformed != OnMalformed::Error {
        return no("`on_malformed = \"reject\"` (rejected rows are counted row by row)");
    }
    if provided || plan.fingerprint == Some(true) {
        return no("a fingerprinted release (provided under a contract, or `fingerprint = true`)");
    }
    if plan.privacy.local_recoding != LocalRecoding::None {
        return no("local recoding (Mondrian)");
    }
    for c in &plan.columns {
        if matches!(c.action, Action::Perturb(_)) {
            return no(&format!("perturbation (column {})", c.name));
        }
        if matches!(c.action, Action::Scrub { .. }) {
            return no(&format!("scrubbing free text (column {})", c.name));
        }
        if !c.extra_inputs.is_empty() {
            return no(&format!("a value made of several input columns (column {})", c.name));
        }
    }
    // The residual scan: a released dictionary column's values are scanned on the cluster
    // (`super::scan`) and checked against their own row's identifiers (`super::own`); a text
    // released row by row (not dictionary-coded) has no distributed form yet.
    let cx = crate::transform::Context { reference_date: tokumei_jp::Date::from_days_since_epoch(0), key: None };
    let scanned: Vec<&str> = plan
        .columns
        .iter()
        .filter(|c| c.output.is_some() && !matches!(c.action, Action::Drop | Action::Pseudonymize { .. }))
        .filter(|c| {
            let ty = crate::transform::build(c, &cx).map(|t| t.output_type());
            // (A released text checked against its own row's identifiers is checked on the
            // cluster, `super::own`, when it is dictionary-coded.)
            (ty.is_some_and(|t| crate::run::layout::is_scanned(c, &t)) || crate::run::layout::is_checked(c))
                && !c.is_global()
        })
        .map(|c| c.name.as_str())
        .collect();
    if !scanned.is_empty() {
        return no(&format!("the residual scan of text released row by row (columns {})", scanned.join(", ")));
    }
    if prepared.row_requests().is_some_and(|r| r.collect) {
        return no("the registry's per-subject index of the people in a release (its profile's `subject_index`)");
    }
    if plan.subject.is_none() {
        return no("a job without a `subject` (the columns that may name a person are checked row by row)");
    }
    None
}
