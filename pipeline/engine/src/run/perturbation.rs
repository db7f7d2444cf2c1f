//! Stage 3b: the perturbations ([`crate::perturb`]), after every row is read and before the
//! privacy models judge the released values.

use super::encode::Encoded;
use crate::error::EngineError;
use crate::perturb::Seed;

/// The encoded data with its perturbed columns rewritten.
pub(super) struct Perturbed {
    pub enc: Encoded,
    /// What each perturbed column became, in rule order.
    pub columns: Vec<tokumei_report::Perturbed>,
    /// Whether the seed was fixed for a test (`TOKUMEI_TEST_SEED`, debug builds only).
    pub seed_fixed_for_test: bool,
    /// The perturbed numbers' input values (for the linkage risk).
    pub originals: Vec<crate::perturb::Original>,
    /// The released dictionary columns as every row was read (for the utility comparison).
    pub before: crate::utility::Before,
}

/// Run the perturbation stage: a per-release seed (never stored) when anything is perturbed.
pub(super) fn perturb(mut enc: Encoded) -> Result<Perturbed, EngineError> {
    let layout = &mut enc.layout;
    let before = crate::utility::Before::take(&layout.dicts, &released_dicts(layout));
    if layout.perturb.is_empty() {
        return Ok(Perturbed { enc, columns: Vec::new(), seed_fixed_for_test: false, originals: Vec::new(), before });
    }
    let seed = Seed::for_release()?;
    // Groups of records count people when a person may have several rows.
    let persons = match layout.person.is_some() && layout.perturb.groups_records() {
        true => crate::people::from_hashes(&enc.subjects, &enc.units).map(|p| crate::perturb::Persons::of(&p)),
        false => None,
    };
    let done = layout.perturb.run(&layout.plan, &mut layout.dicts, &seed, persons.as_ref())?;
    let fixed = seed.fixed_for_test;
    Ok(Perturbed { enc, columns: done.perturbed, seed_fixed_for_test: fixed, originals: done.originals, before })
}

/// The dictionaries of the released columns.
pub(super) fn released_dicts(layout: &super::layout::Layout) -> Vec<usize> {
    layout
        .columns
        .iter()
        .filter(|c| layout.plan.columns[c.plan].output.is_some())
        .filter_map(|c| match c.slot {
            super::layout::Slot::Global(d) => Some(d),
            super::layout::Slot::Local(_) => None,
        })
        .collect()
}
