//! Stage 4: the privacy models. The optimal search (when asked), classes over the k-anonymity key,
//! suppression of violating classes within the limit, t-closeness achieved, the average risk,
//! and rare-value cell suppression.

use super::encode::Encoded;
use super::layout::Slot;
use crate::cell::Cell;
use crate::error::EngineError;
use crate::privacy::{self, ClassStats, Classes, Dictionary, Enforcement};
use crate::report::{LDiversity, TCloseness};
use std::time::Instant;
use tokumei_rules::Role;

/// What the privacy stage decided.
pub(super) struct Anonymized {
    pub enc: Encoded,
    pub original: ClassStats,
    pub before: ClassStats,
    pub after: ClassStats,
    pub classes: Classes,
    pub enforcement: Enforcement,
    pub l_diversity: Vec<LDiversity>,
    pub t_closeness: Vec<TCloseness>,
    pub value_counts: Vec<Vec<u64>>,
    pub nulled: Vec<Vec<bool>>,
    pub cells_suppressed: Vec<u64>,
    pub searched: Option<(crate::optimize::SearchReport, Vec<(usize, u32)>)>,
    pub privacy_ms: u64,
    pub rows_out: u64,
}

/// Apply the privacy models.
pub(super) fn anonymize(mut enc: Encoded) -> Result<Anonymized, EngineError> {
    let (rows_in, rejected) = (enc.rows_in, enc.rejected);
    let plan = &enc.layout.plan;
    let columns = &enc.layout.columns;
    let dicts = &mut enc.layout.dicts;
    // Privacy.
    let privacy_started = Instant::now();
    let n = (rows_in - rejected) as usize;
    let original = {
        let keys: Vec<(&[u32], usize)> = columns
            .iter()
            .filter(|c| plan.columns[c.plan].is_privacy_key())
            .filter_map(|c| match c.slot {
                Slot::Global(d) => Some((dicts[d].codes.as_slice(), dicts[d].len())),
                Slot::Local(_) => None,
            })
            .collect();
        privacy::stats(privacy::classes(&keys, n).sizes.iter().map(|s| *s as u64))
    };
    // Value hierarchies of generalised sensitive columns (hierarchical t-closeness distance).
    let mut trees: Vec<Option<tokumei_anon::models::Tree>> = vec![None; dicts.len()];
    if plan.privacy.t.is_some() {
        for c in columns.iter() {
            if let (Slot::Global(d), Some(g)) = (&c.slot, c.transform.generalizer())
                && plan.columns[c.plan].role == Role::Sensitive
            {
                trees[*d] = value_tree(&dicts[*d], g)?;
            }
        }
    }
    let searched = if plan.privacy.search {
        let cols: Vec<crate::optimize::SearchColumn> = columns
            .iter()
            .filter_map(|c| match c.slot {
                Slot::Global(d) => Some(crate::optimize::SearchColumn {
                    plan: c.plan,
                    dict: d,
                    generalizer: c.transform.generalizer(),
                }),
                Slot::Local(_) => None,
            })
            .collect();
        Some(crate::optimize::optimize(plan, &cols, dicts, &trees, n)?)
    } else {
        None
    };
    let dict_of = |plan_idx: usize| {
        columns.iter().find(|c| c.plan == plan_idx).and_then(|c| match c.slot {
            Slot::Global(d) => Some(d),
            Slot::Local(_) => None,
        })
    };
    let qi: Vec<usize> =
        plan.columns.iter().enumerate().filter(|(_, c)| c.is_privacy_key()).filter_map(|(i, _)| dict_of(i)).collect();
    let sens: Vec<(String, usize, Option<u32>)> = plan
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.role == Role::Sensitive && c.output.is_some())
        .filter_map(|(i, c)| dict_of(i).map(|d| (c.output.clone().unwrap_or_default(), d, c.l)))
        .collect();
    let qi_cols: Vec<(&[u32], usize)> = qi.iter().map(|d| (dicts[*d].codes.as_slice(), dicts[*d].len())).collect();
    let classes = privacy::classes(&qi_cols, n);
    let before = privacy::stats(classes.sizes.iter().map(|s| *s as u64));
    let distinct: Vec<Vec<u32>> =
        sens.iter().map(|(_, d, _)| privacy::distinct_per_class(&classes, &dicts[*d].codes)).collect();
    let sens_inputs: Vec<privacy::SensitiveInput> = sens
        .iter()
        .map(|(name, d, l)| privacy::SensitiveInput {
            name: name.clone(),
            codes: &dicts[*d].codes,
            cardinality: dicts[*d].len(),
            l: *l,
            rank: privacy::rank_of(&dicts[*d].values),
            tree: trees[*d].clone(),
        })
        .collect();
    let models = privacy::models_for(plan, &sens_inputs);
    let globals = privacy::globals(&sens_inputs, n);
    let simple =
        models.iter().all(|m| matches!(m, tokumei_anon::Model::KAnonymity(_) | tokumei_anon::Model::DistinctL { .. }));
    let l_models: Vec<(&str, u32, &[u32])> = sens
        .iter()
        .zip(&distinct)
        .filter_map(|((name, _, l), d)| l.map(|l| (name.as_str(), l, d.as_slice())))
        .collect();
    let enforcement = if simple {
        privacy::enforce(&classes, plan.privacy.k, &l_models)
    } else {
        privacy::enforce_models(&classes, &sens_inputs, &models, &globals)
    };
    let allowed = (plan.privacy.max_suppression * n as f64).floor() as u64;
    if enforcement.suppressed > allowed {
        let mut msg = format!(
            "privacy requirement not met: reaching k={}{} needs suppressing {} of {} rows ({:.2}%), above max_suppression {:.2}% ({} rows); {} classes are smaller than k",
            plan.privacy.k,
            if l_models.is_empty() { String::new() } else { " and l-diversity".to_string() },
            enforcement.suppressed,
            n,
            enforcement.suppressed as f64 * 100.0 / n.max(1) as f64,
            plan.privacy.max_suppression * 100.0,
            allowed,
            enforcement.classes_below_k
        );
        for c in &enforcement.causes {
            msg.push_str(&format!("\n  suppressed for {}: {} rows in {} classes", c.model, c.rows, c.classes));
        }
        // The quasi-identifier with the most distinct values is the first to generalise.
        let mut widest: Vec<(usize, &tokumei_rules::ColumnPlan)> = plan
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_privacy_key())
            .filter_map(|(i, c)| dict_of(i).map(|d| (dicts[d].len(), c)))
            .collect();
        widest.sort_by_key(|w| std::cmp::Reverse(w.0));
        for (distinct, c) in widest.iter().take(3) {
            msg.push_str(&format!(
                "\n  quasi-identifier {} ({}:{}): {distinct} distinct values at {}",
                c.name,
                plan.rules_path.display(),
                c.line,
                c.action.describe()
            ));
        }
        msg.push_str("\n  hint: generalise the quasi-identifier with the most distinct values further (raise its `level`, or use search = \"optimal\"), declare fewer quasi-identifiers, or raise max_suppression if policy allows");
        return Err(EngineError::Privacy(msg));
    }
    let mut kept_sizes = vec![0u64; classes.sizes.len()];
    for (c, keep) in classes.of_row.iter().zip(&enforcement.keep) {
        if *keep {
            kept_sizes[*c as usize] += 1;
        }
    }
    let after = privacy::stats(kept_sizes.iter().copied());
    let l_diversity: Vec<LDiversity> = sens
        .iter()
        .zip(&distinct)
        .map(|((name, _, l), d)| {
            let min = d.iter().zip(&kept_sizes).filter(|(_, s)| **s > 0).map(|(d, _)| *d as u64).min().unwrap_or(0);
            LDiversity { column: name.clone(), required: *l, achieved: min }
        })
        .collect();
    let rows_out = after.records;
    if rows_out == 0 {
        return Err(EngineError::Privacy(format!(
            "privacy requirement not met: every one of the {n} accepted rows would be suppressed, and a release needs at least one row\n  hint: generalise the quasi-identifiers further or lower k (k={} for {n} rows)",
            plan.privacy.k
        )));
    }
    // t-closeness achieved: the largest distance of any output class from the reference.
    let t_closeness: Vec<crate::report::TCloseness> = match plan.privacy.t {
        None => Vec::new(),
        Some(t) => sens_inputs
            .iter()
            .zip(&globals)
            .zip(&sens)
            .map(|((s, g), (_, d, _))| {
                let dists = privacy::distributions(&classes, s.codes);
                let mut scratch = Vec::new();
                let worst = dists
                    .iter()
                    .enumerate()
                    .filter(|(c, _)| kept_sizes[*c] > 0)
                    .map(|(c, d)| {
                        let cd = tokumei_anon::models::ClassDistribution { counts: d, size: classes.sizes[c] };
                        tokumei_anon::models::distance(&cd, g, &mut scratch)
                    })
                    .fold(0.0, f64::max);
                // Only values that are in the release are named; the share of values that only
                // suppressed records hold is reported as one sum.
                let mut in_release = vec![false; dicts[*d].len()];
                for (code, keep) in dicts[*d].codes.iter().zip(&enforcement.keep) {
                    if *keep {
                        in_release[*code as usize] = true;
                    }
                }
                let mut reference: Vec<(String, f64)> = Vec::new();
                let mut withheld = 0.0;
                for ((v, share), present) in dicts[*d].values.iter().zip(&g.share).zip(&in_release) {
                    if *present {
                        reference.push((v.label(), *share));
                    } else {
                        withheld += share;
                    }
                }
                if withheld > 0.0 {
                    reference.push(("(values of suppressed records only)".into(), withheld));
                }
                let distance = if g.tree.is_some() {
                    "hierarchical"
                } else if g.rank.is_some() {
                    "ordered"
                } else {
                    "equal"
                };
                crate::report::TCloseness {
                    column: s.name.clone(),
                    t,
                    achieved: worst,
                    distance: distance.into(),
                    reference,
                }
            })
            .collect(),
    };
    // Table-level models (the average risk) accept or refuse the kept table as a whole.
    for m in models.iter().filter(|m| m.is_table_level()) {
        if !m.table_satisfied(after.classes, after.records) {
            return Err(EngineError::Privacy(format!(
                "privacy requirement not met: {} does not hold: the average re-identification risk is {:.4}\n  hint: generalise quasi-identifiers further or use search = \"optimal\"",
                privacy::model_names(m, &[]).0,
                after.prosecutor_risk_avg
            )));
        }
    }

    // Rare-value suppression and per-column value counts over the kept rows.
    let mut value_counts: Vec<Vec<u64>> = dicts.iter().map(|d| vec![0u64; d.len()]).collect();
    for (d, counts) in dicts.iter().zip(value_counts.iter_mut()) {
        for (code, keep) in d.codes.iter().zip(&enforcement.keep) {
            if *keep {
                counts[*code as usize] += 1;
            }
        }
    }
    let mut nulled: Vec<Vec<bool>> = dicts.iter().map(|d| vec![false; d.len()]).collect();
    let mut cells_suppressed = vec![0u64; dicts.len()];
    for c in columns.iter() {
        if let (Slot::Global(d), Some(min)) = (&c.slot, c.transform.min_count()) {
            for (code, count) in value_counts[*d].iter().enumerate() {
                if *count > 0 && *count < min as u64 && dicts[*d].values[code] != Cell::Null {
                    nulled[*d][code] = true;
                    cells_suppressed[*d] += count;
                }
            }
        }
    }
    let privacy_ms = privacy_started.elapsed().as_millis() as u64;

    Ok(Anonymized {
        original,
        before,
        after,
        classes,
        enforcement,
        l_diversity,
        t_closeness,
        value_counts,
        nulled,
        cells_suppressed,
        searched,
        privacy_ms,
        rows_out,
        enc,
    })
}

/// The hierarchy above a generalised column's values: each code's labels at the levels above
/// its own, from one representative raw value per code.
fn value_tree(
    dict: &Dictionary,
    g: &crate::transform::Generalize,
) -> Result<Option<tokumei_anon::models::Tree>, EngineError> {
    let (lo, hi) = (g.level(), g.hierarchy().max_level());
    let Some(reps) = dict.representatives.as_ref() else { return Ok(None) };
    if hi <= lo {
        return Ok(None);
    }
    let mut labels = Vec::with_capacity(reps.len());
    for rep in reps {
        let mut chain = Vec::new();
        for level in lo + 1..=hi {
            chain.push(match rep {
                None => "\u{0}null".to_string(),
                Some(raw) => {
                    g.label_at(raw, level).map_err(|m| EngineError::Internal(format!("relabelling failed: {}", m.0)))?
                }
            });
        }
        labels.push(chain);
    }
    Ok(Some(tokumei_anon::models::Tree::from_labels(&labels)))
}
