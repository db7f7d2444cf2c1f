//! Processing standard 4 from the data, in the privacy stage: `top`/`bottom = "auto"` of
//! `top_bottom_code` computed from the records (people) it codes, and the two ends of every
//! released ordered column counted over the released records ([`crate::tails`]).

use super::layout::{OutColumn, Slot};
use crate::cell::Cell;
use crate::error::EngineError;
use crate::people::People;
use crate::privacy::Dictionary;
use crate::tails::{self, End, EndsCheck, Ranked};
use crate::transform::Bounds;
use tokumei_rules::hierarchy::Hierarchy;
use tokumei_rules::{Action, Cap, ColumnPlan, Plan};

/// The `"auto"` ends of a top/bottom-coded column.
fn autos(c: &ColumnPlan) -> Vec<End> {
    match c.action {
        Action::TopBottomCode { top, bottom } => [(top, End::Top), (bottom, End::Bottom)]
            .into_iter()
            .filter(|(cap, _)| *cap == Some(Cap::Auto))
            .map(|(_, end)| end)
            .collect(),
        _ => Vec::new(),
    }
}

/// Per rank of `rank`, the people whose largest and smallest value it is among the kept rows
/// (rows, when each is a person).
fn extremes(
    people: Option<&People>,
    (codes, weights): (&[u32], Option<&[u32]>),
    keep: Option<&[bool]>,
    rank: &[u32],
    ranks: usize,
) -> (Vec<u64>, Vec<u64>) {
    match people {
        Some(p) => match keep {
            Some(keep) => crate::people::extremes(p, codes, keep, rank, ranks),
            None => crate::people::extremes(p, codes, &vec![true; codes.len()], rank, ranks),
        },
        None => {
            let mut n = vec![0u64; ranks];
            for (i, c) in codes.iter().enumerate() {
                let r = rank[*c as usize];
                if r != u32::MAX && keep.is_none_or(|k| k[i]) {
                    n[r as usize] += weights.map_or(1, |w| u64::from(w[i]));
                }
            }
            (n.clone(), n)
        }
    }
}

/// Compute the `"auto"` codes of the top/bottom-coded columns among `which` (plan columns) over
/// the kept rows (every accepted row when `keep` is `None`), and code the dictionaries with them.
/// With `weights`, the dictionaries' codes are combinations', each standing for that many rows.
/// Returns `(plan column, end, code)` of each.
pub(super) fn auto_caps(
    plan: &Plan,
    columns: &[OutColumn],
    dicts: &mut [Dictionary],
    which: impl Fn(&ColumnPlan) -> bool,
    keep: Option<&[bool]>,
    people: Option<&People>,
    weights: Option<&[u32]>,
) -> Result<Vec<(usize, End, i64)>, EngineError> {
    let k = u64::from(plan.privacy.k);
    let mut out = Vec::new();
    for c in columns {
        let p = &plan.columns[c.plan];
        let ends = autos(p);
        let Slot::Global(d) = c.slot else { continue };
        if ends.is_empty() || !which(p) {
            continue;
        }
        let dict = &mut dicts[d];
        // The values in ascending order; rank per code.
        let mut order: Vec<(i64, u32)> = dict
            .values
            .iter()
            .enumerate()
            .filter_map(|(code, v)| match v {
                Cell::Int(n) => Some((*n, code as u32)),
                _ => None,
            })
            .collect();
        order.sort_unstable();
        let mut rank = vec![u32::MAX; dict.len()];
        let mut distinct: Vec<i64> = Vec::new();
        for (v, code) in &order {
            if distinct.last() != Some(v) {
                distinct.push(*v);
            }
            rank[*code as usize] = (distinct.len() - 1) as u32;
        }
        let (top, bottom) = extremes(people, (&dict.codes, weights), keep, &rank, distinct.len());
        let held: Vec<(i64, u64, u64)> =
            distinct.iter().zip(top.iter().zip(&bottom)).map(|(v, (t, b))| (*v, *t, *b)).collect();
        let (mut hi, mut lo) = (i64::MAX, i64::MIN);
        for end in ends {
            let Some(code) = tails::cap(&held, k, end) else {
                return Err(EngineError::Privacy(format!(
                    "{}:{}: `{}`: {} = \"auto\" needs at least k={k} people holding a value, and the released records hold fewer: no code keeps k people at that end (processing standard 4, 規則62条4号)\n  hint: drop the column, or generalise it",
                    plan.rules_path.display(),
                    p.line,
                    p.name,
                    end.key()
                )));
            };
            match end {
                End::Top => hi = code,
                End::Bottom => lo = code,
            }
            out.push((c.plan, end, code));
        }
        // Code every value beyond the computed ends as the end (a value may merge with another).
        let mut values: Vec<Cell> = Vec::new();
        let mut index: rustc_hash::FxHashMap<Cell, u32> = Default::default();
        let up: Vec<u32> = dict
            .values
            .iter()
            .map(|v| {
                let coded = match v {
                    Cell::Int(n) => Cell::Int((*n).clamp(lo, hi.max(lo))),
                    other => other.clone(),
                };
                *index.entry(coded.clone()).or_insert_with(|| {
                    values.push(coded);
                    (values.len() - 1) as u32
                })
            })
            .collect();
        dict.recode(&up, values);
    }
    Ok(out)
}

/// The numeric range of a released value for ordering (days for dates), `None` when it is no
/// ordered value.
fn range_of(v: &Cell, c: &OutColumn) -> Option<(i64, i64)> {
    match v {
        Cell::Int(n) => Some((*n, *n)),
        Cell::Date(d) => Some((i64::from(*d), i64::from(*d))),
        Cell::Str(s) => match c.transform.generalizer()?.bounds_of(s)? {
            Bounds::Int(lo, hi) => Some((lo.unwrap_or(i64::MIN), hi.unwrap_or(i64::MAX))),
            Bounds::Date(lo, hi) => Some((lo.map_or(i64::MIN, i64::from), hi.map_or(i64::MAX, i64::from))),
        },
        _ => None,
    }
}

/// What each released count of an ordered dictionary column says about its ends.
pub(super) struct Released<'a> {
    /// Rows each code of each dictionary has among the kept rows.
    pub value_counts: &'a [Vec<u64>],
    /// Codes set to null by suppression.
    pub nulled: &'a [Vec<bool>],
    /// Rows kept.
    pub keep: &'a [bool],
    /// Who the rows are.
    pub people: Option<&'a People>,
    /// The rows each code stands for, when the codes are combinations'.
    pub weights: Option<&'a [u32]>,
}

/// The ends of every released ordered column (anonymized mode, k >= 2), counted over the
/// released values.
pub(super) fn ends(
    plan: &Plan,
    columns: &[OutColumn],
    dicts: &[Dictionary],
    released: &Released,
    autos: &[(usize, End, i64)],
) -> Vec<EndsCheck> {
    let k = u64::from(plan.privacy.k);
    let mut out = Vec::new();
    if plan.mode != tokumei_rules::Mode::Anonymized || k < 2 {
        return out;
    }
    for c in columns {
        let p = &plan.columns[c.plan];
        let (Slot::Global(d), Some(output)) = (&c.slot, &p.output) else { continue };
        let dict = &dicts[*d];
        // Released values with their range, in ascending order (equal values one rank).
        let mut order: Vec<((i64, i64), String, u32)> = dict
            .values
            .iter()
            .enumerate()
            .filter(|(code, v)| {
                released.value_counts[*d][*code] > 0 && !released.nulled[*d][*code] && **v != Cell::Null
            })
            .filter_map(|(code, v)| range_of(v, c).map(|r| (r, v.label(), code as u32)))
            .collect();
        if order.is_empty() {
            continue;
        }
        order.sort();
        let mut rank = vec![u32::MAX; dict.len()];
        let mut ranked: Vec<Ranked> = Vec::new();
        for ((lo, hi), label, code) in &order {
            if ranked.last().is_none_or(|r| r.label != *label) {
                ranked.push(Ranked {
                    label: label.clone(),
                    lo: Some(*lo).filter(|v| *v != i64::MIN),
                    hi: Some(*hi).filter(|v| *v != i64::MAX),
                    records: 0,
                    top_people: 0,
                    bottom_people: 0,
                });
            }
            let r = ranked.len() - 1;
            rank[*code as usize] = r as u32;
            ranked[r].records += released.value_counts[*d][*code as usize];
        }
        let codes = (dict.codes.as_slice(), released.weights);
        let (top, bottom) = extremes(released.people, codes, Some(released.keep), &rank, ranked.len());
        for ((r, t), b) in ranked.iter_mut().zip(top).zip(bottom) {
            (r.top_people, r.bottom_people) = (t, b);
        }
        let mut found = tails::tails(&ranked, k);
        for t in found.iter_mut() {
            t.fix = t.kth.as_ref().and_then(|kth| fix(p, &ranked, kth, t.end));
        }
        let (top_held, bottom_held) = tails::held(&ranked);
        out.push(EndsCheck {
            column: p.name.clone(),
            output: output.clone(),
            top_held,
            bottom_held,
            tails: found,
            auto: autos.iter().filter(|(i, _, _)| *i == c.plan).map(|(_, e, v)| (*e, *v)).collect(),
        });
    }
    out
}

/// The rule that closes an end at the k-th value `kth`, for the column's action.
fn fix(c: &ColumnPlan, ranked: &[Ranked], kth: &str, end: End) -> Option<String> {
    let r = ranked.iter().find(|r| r.label == kth)?;
    match (&c.action, end) {
        (Action::TopBottomCode { .. }, End::Top) => Some(format!("top = {}", r.lo?)),
        (Action::TopBottomCode { .. }, End::Bottom) => Some(format!("bottom = {}", r.hi?)),
        (Action::Keep, _) if c.ty == tokumei_rules::ValueType::Integer => Some(format!(
            "action = \"top_bottom_code\", {} = {}",
            end.key(),
            if end == End::Top { r.lo? } else { r.hi? }
        )),
        // Bands: `top+` holds the values at or above top, `<bottom` those below bottom.
        (Action::Generalize { hierarchy: Hierarchy::Bands(_), .. }, End::Top) => Some(format!("top = {}", r.lo?)),
        (Action::Generalize { hierarchy: Hierarchy::Bands(_), .. }, End::Bottom) => {
            Some(format!("bottom = {}", r.hi?.checked_add(1)?))
        }
        (Action::Generalize { hierarchy: Hierarchy::Age(_), .. }, End::Top) => Some(format!("top = {}", r.lo?)),
        // Noise: draws beyond `max` (`min`) are clamped to it, so the clamped records share it.
        (Action::Perturb(tokumei_rules::Perturbation::Noise(_)), End::Top) => Some(format!("max = {}", r.label)),
        (Action::Perturb(tokumei_rules::Perturbation::Noise(_)), End::Bottom) => Some(format!("min = {}", r.label)),
        // Swap: values beyond `top` (`bottom`) are set to it before swapping, so they share it.
        (Action::Perturb(tokumei_rules::Perturbation::Swap(_)), _) if c.ty == tokumei_rules::ValueType::Integer => {
            Some(format!("{} = {}", end.key(), r.label))
        }
        (Action::Perturb(tokumei_rules::Perturbation::Swap(_)), _) if c.ty == tokumei_rules::ValueType::Date => {
            Some(format!("{} = \"{}\"", end.key(), r.label))
        }
        _ => None,
    }
}
