//! The report's utility section ([`crate::utility`]): what the release changed per released
//! dictionary column, the correlations, and the risk-utility map with the earlier releases of
//! the dataset in the output folder.

use super::anonymize::Anonymized;
use super::layout::Slot;
use crate::report::Report;
use crate::utility::{Compared, Released, compare, ru_map};
use tokumei_report::Utility;

/// The utility section of `report`, from the run's dictionaries before and after; earlier
/// releases are looked for in the output folder holding `release_dir` (the caller stages a
/// release in `<out>/.staging-<id>/release`): the nearest of its parents with a folder of the
/// dataset.
pub(super) fn utility(an: &Anonymized, report: &Report, release_dir: &std::path::Path) -> Utility {
    let layout = &an.enc.layout;
    let plan = &layout.plan;
    let mut cols = Vec::new();
    let mut not_compared = Vec::new();
    for c in &layout.columns {
        let Some(output) = plan.columns[c.plan].output.clone() else { continue };
        match c.slot {
            Slot::Global(d) => cols.push(Compared { output, dict: d, generalizer: c.transform.generalizer() }),
            Slot::Local(_) => not_compared.push((
                output,
                "written record by record as kept, coded or pseudonymised (not dictionary-encoded): not compared"
                    .to_string(),
            )),
        }
    }
    let rel = Released {
        dicts: &layout.dicts,
        keep: &an.enforcement.keep,
        nulled: &an.nulled,
        k: u64::from(plan.privacy.k).max(1),
        combo_of_row: an.combo_of_row.as_deref(),
        weights: an.weights.as_deref(),
    };
    let (columns, correlation) = compare(&cols, &an.snapshot, &rel);
    let mut map = ru_map::points(report.search.as_ref(), &report.after, &columns);
    let dataset = report.dataset.as_str();
    if let Some(out) = release_dir.ancestors().skip(1).take(3).find(|a| a.join(dataset).is_dir()) {
        map.earlier = ru_map::earlier(out, &report.dataset, &report.release_id);
    }
    crate::utility::rounded(Utility { columns, not_compared, correlation, ru_map: map })
}
