//! Stage 3b: the perturbations ([`crate::perturb`]), after every row is read and before the
//! privacy models judge the released values.

use super::encode::Encoded;
use crate::error::EngineError;
use crate::perturb::{Persons, Seed};

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
    /// Who the rows are, when this stage had to know (`Some`; the models reuse it).
    pub people: Option<Option<crate::people::People>>,
}

/// Run the perturbation stage: a per-release seed (never stored) when anything is perturbed.
pub(super) fn perturb(mut enc: Encoded) -> Result<Perturbed, EngineError> {
    let before = crate::utility::Before::take(&enc.layout.dicts, &released_dicts(&enc.layout));
    if enc.layout.perturb.is_empty() {
        return Ok(Perturbed {
            enc,
            columns: Vec::new(),
            seed_fixed_for_test: false,
            originals: Vec::new(),
            before,
            people: None,
        });
    }
    let seed = Seed::for_release()?;
    // Groups of records must hold people, not one person's rows: with a subject the people are
    // worked out here (and kept for the models); without one, rows that repeat a person are
    // refused, as the models refuse them when they count.
    let people = match enc.layout.perturb.groups_records() {
        true if enc.layout.person.is_some() => Some(super::anonymize::people_of(&enc, true)?),
        true => {
            super::anonymize::refuse_repeats(&enc)?;
            None
        }
        false => None,
    };
    let persons = people.as_ref().and_then(|p| p.as_ref().map(Persons::of));
    let rows = enc.layout.dicts.first().map_or(0, |d| d.codes.len());
    if let Some(p) = &persons
        && enc.layout.dicts.iter().any(|d| d.codes.len() != p.of_row.len())
    {
        return Err(EngineError::Internal(format!(
            "the people of {} rows do not match the {rows} rows of the columns",
            p.of_row.len()
        )));
    }
    let layout = &mut enc.layout;
    let done = layout.perturb.run(&layout.plan, &mut layout.dicts, &seed, persons.as_ref())?;
    let fixed = seed.fixed_for_test;
    Ok(Perturbed {
        enc,
        columns: done.perturbed,
        seed_fixed_for_test: fixed,
        originals: done.originals,
        before,
        people,
    })
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
