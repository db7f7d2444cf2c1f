//! The optimal generalisation search inside a job: quasi-identifiers were encoded at their
//! lowest allowed level; their hierarchies become code maps (each code's labels at higher
//! levels come from one representative raw value, or from the ARX file's rows), the
//! search picks the levels, and the dictionaries are recoded to them in place.

use crate::EngineError;
use crate::cell::Cell;
use crate::privacy::Dictionary;
use crate::transform::Generalize;
use tokumei_anon::mondrian::MondrianResult;
use tokumei_anon::search::SearchOptions;
use tokumei_anon::{Hierarchy as CodeHierarchy, Model, Problem, QiColumn, SensitiveColumn};
use tokumei_rules::{Action, Hierarchy, LocalRecoding, Plan};

/// A dictionary-encoded column as the search sees it.
pub struct SearchColumn<'a> {
    /// Index in the plan.
    pub plan: usize,
    /// Index of its dictionary.
    pub dict: usize,
    /// Its generaliser, when generalised.
    pub generalizer: Option<&'a Generalize>,
}

/// A sensitive column as the search sees it.
pub struct SearchSensitive {
    /// Index of its dictionary.
    pub dict: usize,
    /// Whether any model reads it (a column no model reads enters the search as constant).
    pub read: bool,
    /// The hierarchy above its values, for hierarchical distances.
    pub tree: Option<tokumei_anon::models::Tree>,
}

use tokumei_report::LocalRecoding as LocalRecodingReport;
/// What the search did, for the report.
pub use tokumei_report::SearchReport;

const NULL: &str = "\u{0}null";

fn label(cell: &Cell) -> String {
    match cell {
        Cell::Null => NULL.into(),
        c => c.label(),
    }
}

fn cell_of(label: &str) -> Cell {
    if label == NULL { Cell::Null } else { Cell::str(label) }
}

/// Search the levels and recode the quasi-identifier dictionaries to them. Returns the report
/// and each plan column's chosen level. With `standing`, the search counts only those rows
/// (one per person and class of key values: the search then counts people), and every row is
/// recoded to the levels it picks. With `counts` (and no `standing`), the dictionaries' codes
/// are combinations', each standing for `counts[i]` of the `n` rows.
pub fn optimize(
    plan: &Plan,
    cols: &[SearchColumn],
    dicts: &mut [Dictionary],
    sensitive: &[SearchSensitive],
    models: &[Model],
    (n, counts): (usize, Option<&[u32]>),
    standing: Option<&[u32]>,
) -> Result<(SearchReport, Vec<(usize, u32)>), EngineError> {
    let counts = counts.filter(|_| standing.is_none());
    // The codes the search counts: every row's, or the standing rows' only.
    let owned: Vec<Vec<u32>> = match standing {
        Some(rows) => dicts.iter().map(|d| rows.iter().map(|r| d.codes[*r as usize]).collect()).collect(),
        None => Vec::new(),
    };
    let n = standing.map_or(n, <[u32]>::len);
    let codes_of = |d: usize| -> &[u32] { if standing.is_some() { &owned[d] } else { &dicts[d].codes } };
    let internal = |e: tokumei_anon::AnonError| search_error(plan, e);
    let qs = key_columns(plan, cols, dicts)?;
    // Columns no model reads enter as one constant value, so the search spends nothing on them.
    let constant = vec![0u32; counts.map_or(n, <[u32]>::len)];
    let sensitive_columns: Vec<SensitiveColumn> = sensitive
        .iter()
        .map(|s| {
            let d = &dicts[s.dict];
            if s.read {
                SensitiveColumn {
                    name: String::new(),
                    codes: codes_of(s.dict),
                    cardinality: d.len().max(1),
                    rank: crate::privacy::rank_of(&d.values),
                    tree: s.tree.clone(),
                }
            } else {
                SensitiveColumn { name: String::new(), codes: &constant, cardinality: 1, rank: None, tree: None }
            }
        })
        .collect();
    let result = {
        let qi = qs
            .iter()
            .map(|q| QiColumn {
                name: plan.columns[q.plan].name.clone(),
                codes: codes_of(q.dict),
                hierarchy: &q.hierarchy,
                min_level: 0,
                max_level: (q.max - q.min) as u8,
                weight: plan.columns[q.plan].weight,
            })
            .collect();
        let problem = Problem {
            qi,
            sensitive: sensitive_columns,
            n,
            counts,
            models: models.to_vec(),
            max_suppression: plan.privacy.max_suppression,
            quality: plan.privacy.quality,
        };
        let local =
            (plan.privacy.local_recoding != LocalRecoding::None).then(|| tokumei_anon::mondrian::mondrian(&problem));
        (tokumei_anon::search(&problem, &SearchOptions::default()).map_err(internal)?, local)
    };
    let (result, local_recoding) = result;
    // The global optimum's level per quasi-identifier, as plan levels.
    let global_levels: Vec<(usize, u32)> = result
        .best
        .as_ref()
        .map(|b| qs.iter().zip(&b.levels).map(|(q, l)| (q.plan, q.min + *l as u32)).collect())
        .unwrap_or_default();
    let report = |levels: Vec<(usize, u32)>, local: Option<&MondrianResult>, applied: &str| SearchReport {
        quality_model: plan.privacy.quality.name().into(),
        quality: result.best.as_ref().map_or(f64::NAN, |b| b.quality),
        optimal: result.optimal,
        lower_bound: result.lower_bound,
        nodes: result.nodes,
        evaluated: result.evaluated,
        pruned: result.pruned,
        ms: result.ms,
        levels: levels.iter().map(|(p, l)| (plan.columns[*p].name.clone(), *l)).collect(),
        local_recoding: local.map(LocalRecodingReport::from),
        applied: applied.into(),
        candidates: candidates(&result, n as u64),
        candidates_left_off: result.candidates_left_off as u64,
    };
    if plan.privacy.local_recoding == LocalRecoding::Apply {
        let m = local_recoding.as_ref().expect("run when applied");
        if m.partitions == 0 {
            return Err(EngineError::Privacy(format!(
                "privacy requirement not met: local recoding cannot form any class of k={} records",
                plan.privacy.k
            )));
        }
        recode_local(&qs, dicts, m);
        return Ok((report(global_levels, local_recoding.as_ref(), "local"), Vec::new()));
    }
    let Some(best) = result.best.clone() else {
        return Err(EngineError::Privacy(format!(
            "privacy requirement not met: no generalisation of the quasi-identifiers reaches k={} within max_suppression {:.2}%\n  hint: allow higher max_level values, fewer quasi-identifiers, or a higher max_suppression if policy allows",
            plan.privacy.k,
            plan.privacy.max_suppression * 100.0
        )));
    };
    for (q, level) in qs.iter().zip(&best.levels) {
        if !q.searched {
            continue;
        }
        let l = *level as usize;
        let values: Vec<Cell> = q.hierarchy.labels[l].iter().map(|s| cell_of(s)).collect();
        dicts[q.dict].recode(&q.hierarchy.up[l], values);
    }
    Ok((report(global_levels.clone(), local_recoding.as_ref(), "global"), global_levels))
}

/// The evaluated nodes as risk-utility points: raw quality in `loss` (normalised later), the
/// prosecutor risks over the records the search counted, the best node chosen.
fn candidates(result: &tokumei_anon::search::SearchResult, n: u64) -> Vec<tokumei_report::RuPoint> {
    result
        .candidates
        .iter()
        .map(|c| {
            let kept = n.saturating_sub(c.suppressed);
            tokumei_report::RuPoint {
                levels: c.levels.iter().map(|l| u32::from(*l)).collect(),
                loss: c.quality,
                risk_max: if c.min_class == 0 { 0.0 } else { 1.0 / c.min_class as f64 },
                risk_avg: if kept == 0 { 0.0 } else { c.classes as f64 / kept as f64 },
                suppressed: c.suppressed,
                feasible: c.admissible,
                chosen: result.best.as_ref().is_some_and(|b| b.levels == c.levels),
            }
        })
        .collect()
}

/// A quasi-identifier as the search sees it: its hierarchy (level j = plan level min + j).
struct Q {
    plan: usize,
    dict: usize,
    min: u32,
    max: u32,
    hierarchy: CodeHierarchy,
    searched: bool,
}

/// Hierarchies and codes per quasi-identifier.
fn key_columns(plan: &Plan, cols: &[SearchColumn], dicts: &[Dictionary]) -> Result<Vec<Q>, EngineError> {
    let internal = |e: tokumei_anon::AnonError| search_error(plan, e);
    let mut qs: Vec<Q> = Vec::new();
    for c in cols.iter().filter(|c| plan.columns[c.plan].is_privacy_key()) {
        let col = &plan.columns[c.plan];
        let d = &dicts[c.dict];
        let labels0: Vec<String> = d.values.iter().map(label).collect();
        let (min, max) = match &col.action {
            Action::Generalize { level, max_level, .. } => (*level, *max_level),
            _ => (0, 0),
        };
        let hierarchy = match (&col.action, c.generalizer) {
            (Action::Generalize { hierarchy: Hierarchy::Custom(h), .. }, _) if max > min => {
                // The file's rows are the domain, as in ARX, whatever the lowest level; codes
                // cover only the values present.
                CodeHierarchy::from_rows_at(&col.name, &h.rows, min as usize, max as usize, &labels0, Some(NULL))
                    .map_err(|e| EngineError::Internal(format!("generalisation search: {e}")))?
            }
            (Action::Generalize { .. }, Some(g)) if max > min => {
                let reps = d
                    .representatives
                    .as_ref()
                    .ok_or_else(|| EngineError::Internal("no representatives kept".into()))?;
                // Level `min` is the codes' own labels; the levels above come from each code's
                // representative raw value.
                let above = g
                    .rows(reps, min + 1, max, NULL)
                    .map_err(|m| EngineError::Internal(format!("relabelling failed: {}", m.0)))?;
                let rows: Vec<Vec<String>> =
                    labels0.iter().zip(above).map(|(l0, up)| std::iter::once(l0.clone()).chain(up).collect()).collect();
                CodeHierarchy::from_rows(&col.name, &rows).map_err(internal)?
            }
            _ => CodeHierarchy::from_fn(&col.name, &labels0, 1, |v, _| v.to_string()).map_err(internal)?,
        };
        qs.push(Q { plan: c.plan, dict: c.dict, min, max, hierarchy, searched: max > min });
    }
    Ok(qs)
}

/// Local recoding applied: each row shows each quasi-identifier at its partition's level;
/// equal labels share a code.
fn recode_local(qs: &[Q], dicts: &mut [Dictionary], m: &tokumei_anon::mondrian::MondrianResult) {
    for (qi, q) in qs.iter().enumerate() {
        if q.max == q.min {
            continue;
        }
        let src: Vec<u32> = dicts[q.dict].codes.clone();
        let mut index: rustc_hash::FxHashMap<&str, u32> = Default::default();
        let mut values = Vec::new();
        let codes: Vec<u32> = src
            .iter()
            .zip(&m.levels)
            .map(|(c, lv)| {
                let l = lv[qi] as usize;
                let label = q.hierarchy.labels[l][q.hierarchy.up[l][*c as usize] as usize].as_str();
                *index.entry(label).or_insert_with(|| {
                    values.push(cell_of(label));
                    values.len() as u32 - 1
                })
            })
            .collect();
        dicts[q.dict].recode_rows(codes, values);
    }
}

/// The engine's error for a failed search: a limit of the rules as written (too many distinct
/// values to search at once) is the rule writer's to change; anything else is internal.
fn search_error(plan: &Plan, e: tokumei_anon::AnonError) -> EngineError {
    match e {
        tokumei_anon::AnonError::TooWide { .. } => EngineError::Config(format!(
            "{}: the optimal search cannot encode these quasi-identifiers: {e}\n  hint: raise the `min_level` of the quasi-identifiers with the most distinct values, or declare fewer quasi-identifiers",
            plan.rules_path.display()
        )),
        e => EngineError::Internal(format!("generalisation search: {e}")),
    }
}
