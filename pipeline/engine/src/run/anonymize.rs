//! Stage 4: the privacy models. The optimal search (when asked), classes over the k-anonymity key,
//! suppression of violating classes within the limit, t-closeness achieved, the average risk,
//! and rare-value cell suppression.

use super::encode::Encoded;
use super::layout::{OutColumn, Slot};
use super::perturbation::Perturbed;
use crate::cell::Cell;
use crate::error::EngineError;
use crate::people::People;
use crate::privacy::{self, ClassStats, Classes, Dictionary, Enforcement};
use crate::report::{LDiversity, ModelOutcome, TCloseness};
use std::time::Instant;
use tokumei_anon::Model;
use tokumei_anon::enforce::Verdict;
use tokumei_anon::models::{Global, Safer};
use tokumei_rules::{ColumnPlan, Plan, Role};

/// A sensitive column as the models see it.
struct Sensitive {
    /// Output name.
    name: String,
    /// Its dictionary.
    dict: usize,
    /// Whether any model reads it.
    read: bool,
    /// The hierarchy above its values, when generalised and read.
    tree: Option<tokumei_anon::models::Tree>,
}

/// One sensitive column's distinct (unit, value) rows: each row's class, value and unit.
type PersonValues = (Vec<u32>, Vec<u32>, Vec<u32>);

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
    pub models: Vec<ModelOutcome>,
    pub value_counts: Vec<Vec<u64>>,
    pub nulled: Vec<Vec<bool>>,
    pub cells_suppressed: Vec<u64>,
    /// Rare values of the non-key output columns (standard 4).
    pub rare: Vec<crate::standards::Rare>,
    /// The ends of the released ordered columns, with their `"auto"` codes (standard 4).
    pub ends: Vec<crate::tails::EndsCheck>,
    pub searched: Option<(crate::optimize::SearchReport, Vec<(usize, u32)>)>,
    pub privacy_ms: u64,
    pub rows_out: u64,
    /// Who the rows are, when some person has several (else every row is a person).
    pub people: Option<crate::people::People>,
    /// What was counted: people and rows, in, suppressed and out.
    pub counted: crate::people::PeopleCounts,
    /// What each perturbed column became.
    pub perturbed: Vec<tokumei_report::Perturbed>,
    /// Whether the perturbations' seed was fixed for a test.
    pub seed_fixed_for_test: bool,
    /// The perturbed numbers' input values (for the linkage risk).
    pub originals: Vec<crate::perturb::Original>,
    /// The released dictionary columns as every row was read (for the utility comparison).
    pub snapshot: crate::utility::Before,
    /// When the models counted combinations of codes: each row's combination. The dictionaries'
    /// codes, the snapshot's and the classes' `of_row` are then the combinations' (row `r`'s are
    /// at `combo_of_row[r]`), while the verdicts (`keep`) are each row's.
    pub combo_of_row: Option<Vec<u32>>,
    /// When the class table was counted elsewhere (a cluster): each combination's rows (the
    /// dictionaries' codes, the classes and `keep` are then the combinations').
    pub weights: Option<Vec<u32>>,
}

impl Anonymized {
    /// Every dictionary, the snapshot and the classes given one entry per row again (for a stage
    /// that rewrites a column row by row).
    pub(super) fn each_row(&mut self) {
        if let Some(ids) = self.combo_of_row.take() {
            for d in self.enc.layout.dicts.iter_mut() {
                d.codes = crate::combos::to_rows(&d.codes, &ids);
            }
            self.snapshot.expand(&ids);
            self.classes.of_row = crate::combos::to_rows(&self.classes.of_row, &ids);
        }
    }
}

/// Apply the privacy models.
pub(super) fn anonymize(p: Perturbed) -> Result<Anonymized, EngineError> {
    let Perturbed { mut enc, columns: perturbed, seed_fixed_for_test, originals, before: mut snapshot, people } = p;
    let (rows_in, rejected) = (enc.rows_in, enc.rejected);
    let privacy_started = Instant::now();
    let n = (rows_in - rejected) as usize;
    let models = enc.layout.plan.models().map_err(|errors| {
        let what: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.key, e.message)).collect();
        EngineError::Internal(format!("privacy models of a validated plan: {}", what.join("; ")))
    })?;
    // Whether any model counts (k >= 2, or any other model).
    let counting = models.iter().any(|m| m.kind() != tokumei_anon::models::KAnonymity::KIND || m.required() >= 2.0);
    // The perturbation stage may have worked out the people already.
    let people = match people {
        Some(known) => known,
        None => people_of(&enc, counting)?,
    };
    // The hashes are not needed again: freed before pass 2.
    (enc.subjects, enc.units, enc.implied) = Default::default();
    let combos = combinations(&mut enc, people.as_ref(), &mut snapshot, n)?;
    // What the models count: the combinations (weighted by their rows), or the rows.
    let (weights, units) = (combos.as_ref().map(|c| c.weights()), combos.as_ref().map_or(n, |c| c.len()));
    let plan = &enc.layout.plan;
    let columns = &enc.layout.columns;
    let dicts = &mut enc.layout.dicts;
    let n_people = people.as_ref().map_or(n, |p| p.count as usize);
    // `"auto"` codes of the key's and the sensitive top/bottom-coded columns: over every
    // accepted row, before the classes are made of them and the models judge them (a code
    // applied after l-diversity could merge the values that make a class diverse).
    let mut autos = super::outliers::auto_caps(plan, columns, dicts, before_models, None, people.as_ref(), weights)?;
    // The classes over the key before the search recodes anything (the same classes as below
    // when nothing is searched, so then counted once).
    let mut unsearched = Some(of_people(key_classes(plan, columns, dicts, units, weights), people.as_ref()));
    let original = privacy::stats(unsearched.as_ref().map_or(&[][..], |c| &c.0.sizes[..]).iter().map(|s| *s as u64));
    let sensitive = sensitive_columns(plan, columns, dicts, &models)?;
    let searched = match plan.privacy.search {
        true => Some(search(plan, columns, dicts, &sensitive, &models, (n, weights), people.as_ref())?),
        false => None,
    };
    let (classes, spread) = match unsearched.take() {
        Some(c) if searched.is_none() => c,
        _ => of_people(key_classes(plan, columns, dicts, units, weights), people.as_ref()),
    };
    let before = privacy::stats(classes.sizes.iter().map(|s| *s as u64));
    let sensitive_names: Vec<String> = sensitive.iter().map(|s| s.name.clone()).collect();
    let (verdict, globals) = judge(&classes, &sensitive, dicts, &models, people.as_ref(), weights);
    let mut enforcement = Enforcement::new(&classes, &verdict, &models, &sensitive_names);
    enforcement.suppressed = weights.map_or(enforcement.suppressed, |w| weighed(&enforcement.keep, w));
    // People removed: a person written two ways (two released codes) may be in two classes.
    if let Some(p) = &people {
        enforcement.people_suppressed = u64::from(p.count) - crate::people::kept(p, &enforcement.keep);
    }
    // The limit is a share of the people (of the rows, when each is one person).
    let allowed = (plan.privacy.max_suppression * n_people as f64).floor() as u64;
    if enforcement.people_suppressed > allowed {
        let over = OverLimit { n, n_people, allowed, spread, searched: searched.is_some() };
        return Err(over_limit(plan, columns, dicts, &models, &sensitive_names, &enforcement, people.as_ref(), &over));
    }
    // Each kept class's size: its people (its rows, when each is one person).
    let kept_sizes: Vec<u64> = classes
        .sizes
        .iter()
        .zip(&verdict.violated)
        .map(|(size, v)| if v.is_none() { u64::from(*size) } else { 0 })
        .collect();
    let after = privacy::stats(kept_sizes.iter().copied());
    let l_diversity = l_diversity(plan, &sensitive, &classes, dicts, &kept_sizes);
    let rows_out = n as u64 - enforcement.suppressed;
    if rows_out == 0 {
        return Err(EngineError::Privacy(format!(
            "privacy requirement not met: every one of the {n} accepted rows would be suppressed, and a release needs at least one row\n  hint: generalise the quasi-identifiers further or lower k (k={} for {n} rows)",
            plan.privacy.k
        )));
    }
    // Table-level models (the average risk) accept or refuse the kept table as a whole.
    if let Some(i) = verdict.table_failures.first() {
        return Err(table_failure(&models[*i], verdict.achieved[*i], &sensitive_names));
    }
    let t_closeness = t_closeness(&models, &sensitive, &globals, dicts, &verdict, &enforcement.keep);
    let model_outcomes = model_outcomes(&models, &sensitive_names, &enforcement, &verdict);

    // `"auto"` codes of the other top/bottom-coded columns: over the released rows.
    autos.extend(super::outliers::auto_caps(
        plan,
        columns,
        dicts,
        |c| !before_models(c),
        Some(&enforcement.keep),
        people.as_ref(),
        weights,
    )?);
    let Cells { value_counts, nulled, cells_suppressed, rare } =
        cells(plan, columns, dicts, &enforcement.keep, people.as_ref(), weights);
    // The ends of every released ordered column (standard 4 from the data).
    let released = super::outliers::Released {
        value_counts: &value_counts,
        nulled: &nulled,
        keep: &enforcement.keep,
        people: people.as_ref(),
        weights,
    };
    let ends = super::outliers::ends(plan, columns, dicts, &released, &autos);
    let privacy_ms = privacy_started.elapsed().as_millis() as u64;
    let people_out = match &people {
        Some(p) => crate::people::kept(p, &enforcement.keep),
        None => rows_out,
    };
    let counted = crate::people::PeopleCounts {
        subject: plan.subject.clone(),
        rows_in: n as u64,
        people_in: n_people as u64,
        max_rows_per_person: people.as_ref().map_or(1, |p| u64::from(p.max_rows)),
        people_in_several_classes: spread,
        rows_suppressed: enforcement.suppressed,
        people_suppressed: enforcement.people_suppressed,
        rows_out,
        people_out,
        checked: match counting {
            true => enc.layout.implied.iter().map(|(_, c)| plan.columns[*c].name.clone()).collect(),
            false => Vec::new(),
        },
    };
    let (classes, combo_of_row, weights) = rows_back(combos, classes, &mut enforcement.keep)?;
    Ok(Anonymized {
        rare,
        ends,
        original,
        before,
        after,
        classes,
        enforcement,
        l_diversity,
        t_closeness,
        models: model_outcomes,
        value_counts,
        nulled,
        cells_suppressed,
        searched,
        privacy_ms,
        rows_out,
        people,
        counted,
        perturbed,
        seed_fixed_for_test,
        originals,
        snapshot,
        combo_of_row,
        weights,
        enc,
    })
}

/// The combinations of codes that stand for the rows (`crate::combos`), when pass 1 kept them,
/// unless people have several rows: those are counted row by row, so the rows get their codes
/// back first.
fn combinations(
    enc: &mut Encoded,
    people: Option<&People>,
    snapshot: &mut crate::utility::Before,
    n: usize,
) -> Result<Option<crate::combos::Combos>, EngineError> {
    let mut combos = enc.combos.take();
    if people.is_some()
        && let Some(c) = combos.take()
    {
        to_rows(&c, &mut enc.layout.dicts, snapshot)?;
    }
    // Tests of the binary see which path a job took (builds with debug assertions only).
    #[cfg(debug_assertions)]
    if std::env::var_os("TOKUMEI_TEST_COMBOS").is_some() {
        match &combos {
            Some(c) => eprintln!("test: the models count combinations ({} of {n} rows)", c.len()),
            None => eprintln!("test: the models count rows ({n} rows)"),
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = n;
    Ok(combos)
}

/// Each row's combination, or each combination's rows (see [`rows_back`]).
type RowsBack = Option<Vec<u32>>;

/// Each row's verdict (`keep`) from its combination's, when the models counted combinations;
/// returns the classes (still the combinations'), each row's combination and, for a class table
/// counted elsewhere, each combination's rows.
fn rows_back(
    combos: Option<crate::combos::Combos>,
    classes: Classes,
    keep: &mut Vec<bool>,
) -> Result<(Classes, RowsBack, RowsBack), EngineError> {
    let Some(c) = combos else { return Ok((classes, None, None)) };
    // Counted elsewhere (a cluster): the verdicts stay the combinations', which the rows'
    // writer (the cluster) looks each row's up in.
    if c.is_aggregated() {
        return Ok((classes, None, Some(c.weights().to_vec())));
    }
    let ids = c.ids().map_err(|e| crate::error::output_err(&c.folder(), e))?;
    *keep = crate::combos::to_rows(keep, &ids);
    Ok((classes, Some(ids), None))
}

/// The rows of the combinations not kept: the sum of their weights.
fn weighed(keep: &[bool], weights: &[u32]) -> u64 {
    keep.iter().zip(weights).filter(|(k, _)| !**k).map(|(_, w)| u64::from(*w)).sum()
}

/// Every dictionary and the snapshot of the input's codes given one code per row again, from
/// the rows' combination ids read back in row order (returned).
fn to_rows(
    combos: &crate::combos::Combos,
    dicts: &mut [Dictionary],
    snapshot: &mut crate::utility::Before,
) -> Result<Vec<u32>, EngineError> {
    let ids = combos.ids().map_err(|e| crate::error::output_err(&combos.folder(), e))?;
    for d in dicts.iter_mut() {
        d.codes = crate::combos::to_rows(&d.codes, &ids);
    }
    snapshot.expand(&ids);
    Ok(ids)
}

/// Whether a column's `"auto"` codes are decided before the models judge (the key's and the
/// sensitive columns'), rather than over the released rows.
fn before_models(c: &ColumnPlan) -> bool {
    c.is_privacy_key() || c.role == Role::Sensitive
}

/// Classes of people: a person's rows all go to the class of the set of key values the
/// person has (rows are people when no one has several).
fn of_people(rows: Classes, people: Option<&People>) -> (Classes, u64) {
    match people {
        Some(p) => crate::people::classes(&rows, p),
        None => (rows, 0),
    }
}

/// The dictionary of the output column made from plan column `plan_idx`, when global.
fn dict_of(columns: &[OutColumn], plan_idx: usize) -> Option<usize> {
    columns.iter().find(|c| c.plan == plan_idx).and_then(|c| match c.slot {
        Slot::Global(d) => Some(d),
        Slot::Local(_) => None,
    })
}

/// The classes over the k-anonymity key's current codes of `n` rows, or combinations of codes
/// each standing for `weights[i]` rows (the classes' sizes are then their rows).
fn key_classes(plan: &Plan, columns: &[OutColumn], dicts: &[Dictionary], n: usize, weights: Option<&[u32]>) -> Classes {
    let qi_cols: Vec<(&[u32], usize)> = plan
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_privacy_key())
        .filter_map(|(i, _)| dict_of(columns, i))
        .map(|d| (dicts[d].codes.as_slice(), dicts[d].len()))
        .collect();
    let mut classes = privacy::classes(&qi_cols, n);
    if let Some(w) = weights {
        classes.sizes.iter_mut().for_each(|s| *s = 0);
        for (c, w) in classes.of_row.iter().zip(w) {
            classes.sizes[*c as usize] += *w;
        }
    }
    classes
}

/// The sensitive columns, in the order the models refer to them (`Plan::sensitive`).
fn sensitive_columns(
    plan: &Plan,
    columns: &[OutColumn],
    dicts: &[Dictionary],
    models: &[Model],
) -> Result<Vec<Sensitive>, EngineError> {
    let mut sensitive: Vec<Sensitive> = Vec::new();
    for (i, c) in plan.columns.iter().enumerate().filter(|(_, c)| c.role == Role::Sensitive && c.output.is_some()) {
        let dict = dict_of(columns, i)
            .ok_or_else(|| EngineError::Internal(format!("sensitive column {} is not dictionary-encoded", c.name)))?;
        let read = models.iter().any(|m| m.column() == Some(sensitive.len()));
        // The value hierarchy above a generalised sensitive column (hierarchical distance).
        let tree = match columns.iter().find(|o| o.plan == i).and_then(|o| o.transform.generalizer()) {
            Some(g) if read => value_tree(&dicts[dict], g)?,
            _ => None,
        };
        sensitive.push(Sensitive { name: c.output.clone().unwrap_or_default(), dict, read, tree });
    }
    Ok(sensitive)
}

/// The optimal search over the global columns' levels (recoding their dictionaries).
fn search(
    plan: &Plan,
    columns: &[OutColumn],
    dicts: &mut [Dictionary],
    sensitive: &[Sensitive],
    models: &[Model],
    (n, weights): (usize, Option<&[u32]>),
    people: Option<&People>,
) -> Result<(crate::optimize::SearchReport, Vec<(usize, u32)>), EngineError> {
    let cols: Vec<crate::optimize::SearchColumn> = columns
        .iter()
        .filter_map(|c| match c.slot {
            Slot::Global(d) => {
                Some(crate::optimize::SearchColumn { plan: c.plan, dict: d, generalizer: c.transform.generalizer() })
            }
            Slot::Local(_) => None,
        })
        .collect();
    let sens: Vec<crate::optimize::SearchSensitive> = sensitive
        .iter()
        .map(|s| crate::optimize::SearchSensitive { dict: s.dict, read: s.read, tree: s.tree.clone() })
        .collect();
    // With several rows per person, the search counts each person once in each class of
    // key values they have (one row stands for each); the levels it picks are then judged
    // below by people, as every fixed level is.
    let standing = match people {
        Some(p) => {
            if plan.privacy.local_recoding == tokumei_rules::LocalRecoding::Apply {
                return Err(EngineError::Config(format!(
                    "{}: local recoding (Mondrian) counts records, and {} people here have several rows each (at most {}): it cannot count people\n  hint: remove `local_recoding`; the global search counts people",
                    plan.rules_path.display(),
                    p.count,
                    p.max_rows
                )));
            }
            let key: Vec<&[u32]> = cols
                .iter()
                .filter(|c| plan.columns[c.plan].is_privacy_key())
                .map(|c| dicts[c.dict].codes.as_slice())
                .collect();
            Some(crate::people::distinct_rows(p, &key))
        }
        None => None,
    };
    crate::optimize::optimize(plan, &cols, dicts, &sens, models, (n, weights), standing.as_deref())
}

/// The models' verdict on the classes, with each sensitive column's distribution over the
/// accepted rows (the reference of t-closeness and β-likeness).
fn judge(
    classes: &Classes,
    sensitive: &[Sensitive],
    dicts: &[Dictionary],
    models: &[Model],
    people: Option<&People>,
    weights: Option<&[u32]>,
) -> (Verdict, Vec<Global>) {
    // With several rows per person, each of a person's distinct sensitive values counts once.
    let all_codes: Vec<&[u32]> = sensitive.iter().map(|s| dicts[s.dict].codes.as_slice()).collect();
    // (Each column on its own: a person's value of one column counts once whatever the others.)
    let distinct: Option<Vec<PersonValues>> = people.map(|p| {
        all_codes
            .iter()
            .map(|c| {
                let rows = crate::people::distinct_rows(p, &[c]);
                let of_row = rows.iter().map(|r| classes.of_row[*r as usize]).collect();
                let codes = rows.iter().map(|r| c[*r as usize]).collect();
                let units = rows.iter().map(|r| p.of_row[*r as usize]).collect();
                (of_row, codes, units)
            })
            .collect()
    });
    let judged: Vec<(&[u32], &[u32])> = match &distinct {
        Some(columns) => columns.iter().map(|(of_row, codes, _)| (of_row.as_slice(), codes.as_slice())).collect(),
        None => all_codes.iter().map(|c| (classes.of_row.as_slice(), *c)).collect(),
    };
    let globals: Vec<Global> = sensitive
        .iter()
        .zip(judged.iter().map(|(_, codes)| *codes))
        .map(|(s, codes)| {
            let d = &dicts[s.dict];
            Global::from_counted_codes(codes, weights, d.len().max(1), privacy::rank_of(&d.values), s.tree.clone())
        })
        .collect();
    let mut verdict = tokumei_anon::enforce::judge_weighted(&classes.sizes, &judged, weights, &globals, models);
    // With several rows per person, a class in which every person holds one value of a
    // sensitive column discloses it, however many other values some of them hold: such a class
    // fails that column's l-diversity (distinct values count people's values, not rows').
    if let (Some(p), Some(columns)) = (people, &distinct) {
        for (i, m) in models.iter().enumerate() {
            let (Some(col), true) = (m.column(), m.kind().contains("l_diversity") && m.required() >= 2.0) else {
                continue;
            };
            let (of_row, codes, units) = &columns[col];
            for class in crate::people::disclosed(p, of_row, codes, units, &classes.sizes) {
                if verdict.violated[class as usize].is_none() {
                    verdict.violated[class as usize] = Some(i);
                }
            }
        }
    }
    (verdict, globals)
}

/// The counts a refusal over the suppression limit reports.
struct OverLimit {
    /// Accepted rows.
    n: usize,
    /// Their people (rows, when each is one person).
    n_people: usize,
    /// The people the limit allows to suppress.
    allowed: u64,
    /// People with rows in more than one class.
    spread: u64,
    /// Whether the levels came from the search.
    searched: bool,
}

/// The refusal when reaching the models needs suppressing more than `max_suppression`: what
/// each model suppressed and the quasi-identifiers to generalise first.
#[allow(clippy::too_many_arguments)]
fn over_limit(
    plan: &Plan,
    columns: &[OutColumn],
    dicts: &[Dictionary],
    models: &[Model],
    sensitive_names: &[String],
    enforcement: &Enforcement,
    people: Option<&People>,
    over: &OverLimit,
) -> EngineError {
    let OverLimit { n, n_people, allowed, spread, searched } = *over;
    let mut goals = vec![format!("k={}", plan.privacy.k)];
    goals.extend(
        models
            .iter()
            .filter(|m| !m.is_table_level() && m.kind() != tokumei_anon::models::KAnonymity::KIND)
            .map(|m| m.names(sensitive_names).en),
    );
    let unit = if people.is_some() { "people" } else { "rows" };
    let mut msg = format!(
        "privacy requirement not met: reaching {} needs suppressing {} of {} {unit} ({:.2}%), above max_suppression {:.2}% ({} {unit}); {} classes are smaller than k",
        goals.join(" and "),
        enforcement.people_suppressed,
        n_people,
        enforcement.people_suppressed as f64 * 100.0 / n_people.max(1) as f64,
        plan.privacy.max_suppression * 100.0,
        allowed,
        enforcement.classes_below_k
    );
    if let Some(p) = people {
        msg.push_str(&format!(
            "\n  classes count people, not rows: {} rows are {} people (at most {} rows each, by `{}`); {spread} people have rows in more than one class and are judged by the set of their key values",
            n,
            p.count,
            p.max_rows,
            plan.subject.as_deref().unwrap_or("?")
        ));
    }
    for c in &enforcement.causes {
        msg.push_str(&format!("\n  suppressed for {}: {} {unit} in {} classes", c.model, c.rows, c.classes));
    }
    // The quasi-identifier with the most distinct values is the first to generalise.
    let mut widest: Vec<(usize, &ColumnPlan)> = plan
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_privacy_key())
        .filter_map(|(i, c)| dict_of(columns, i).map(|d| (dicts[d].len(), c)))
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
    msg.push_str(if searched {
        "\n  hint: the search's levels were judged by people and suppress too many: allow higher `max_level` values, declare fewer quasi-identifiers, or raise max_suppression if policy allows"
    } else {
        "\n  hint: generalise the quasi-identifier with the most distinct values further (raise its `level`, or use search = \"optimal\"), declare fewer quasi-identifiers, or raise max_suppression if policy allows"
    });
    EngineError::Privacy(msg)
}

/// Each sensitive column's l-diversity achieved: the fewest distinct values of a kept class.
fn l_diversity(
    plan: &Plan,
    sensitive: &[Sensitive],
    classes: &Classes,
    dicts: &[Dictionary],
    kept_sizes: &[u64],
) -> Vec<LDiversity> {
    plan.sensitive()
        .iter()
        .zip(sensitive)
        .map(|(c, s)| {
            let distinct = privacy::distinct_per_class(classes, &dicts[s.dict].codes);
            let min =
                distinct.iter().zip(kept_sizes).filter(|(_, s)| **s > 0).map(|(d, _)| *d as u64).min().unwrap_or(0);
            LDiversity { column: s.name.clone(), required: c.l, achieved: min }
        })
        .collect()
}

/// The refusal when a table-level model (the average risk) does not hold on the kept table.
fn table_failure(m: &Model, achieved: Option<f64>, sensitive_names: &[String]) -> EngineError {
    EngineError::Privacy(format!(
        "privacy requirement not met: {} does not hold: the kept table's value is {:.4}, {} {:.4}\n  hint: generalise quasi-identifiers further or use search = \"optimal\"",
        m.names(sensitive_names).en,
        achieved.unwrap_or(f64::NAN),
        match m.safer() {
            Safer::Higher => "below the required",
            Safer::Lower => "above the allowed",
        },
        m.required()
    ))
}

/// t-closeness: the reference distribution, with the values in the release named.
fn t_closeness(
    models: &[Model],
    sensitive: &[Sensitive],
    globals: &[Global],
    dicts: &[Dictionary],
    verdict: &Verdict,
    keep: &[bool],
) -> Vec<TCloseness> {
    let mut t_closeness: Vec<TCloseness> = Vec::new();
    for (i, m) in models.iter().enumerate().filter(|(_, m)| m.kind() == tokumei_anon::models::TCloseness::KIND) {
        let Some(col) = m.column() else { continue };
        let (s, g) = (&sensitive[col], &globals[col]);
        let dict = &dicts[s.dict];
        // Only values that are in the release are named; the share of values that only
        // suppressed records hold is reported as one sum.
        let mut in_release = vec![false; dict.len()];
        for (code, keep) in dict.codes.iter().zip(keep) {
            if *keep {
                in_release[*code as usize] = true;
            }
        }
        let mut reference: Vec<(String, f64)> = Vec::new();
        let mut withheld = 0.0;
        for ((v, share), present) in dict.values.iter().zip(&g.share).zip(&in_release) {
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
        t_closeness.push(TCloseness {
            column: s.name.clone(),
            t: m.required(),
            achieved: verdict.achieved[i].unwrap_or(0.0),
            distance: distance.into(),
            reference,
        });
    }
    t_closeness
}

/// Each model's outcome as the report shows it.
fn model_outcomes(
    models: &[Model],
    sensitive_names: &[String],
    enforcement: &Enforcement,
    verdict: &Verdict,
) -> Vec<ModelOutcome> {
    models
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let names = m.names(sensitive_names);
            let (classes_suppressed, rows_suppressed) = enforcement.per_model[i];
            ModelOutcome {
                model: m.kind().into(),
                name: names.en,
                name_ja: names.ja,
                column: m.column().map(|c| sensitive_names[c].clone()),
                required: m.required(),
                achieved: verdict.achieved[i],
                safer: match m.safer() {
                    Safer::Higher => "higher".into(),
                    Safer::Lower => "lower".into(),
                },
                classes_suppressed,
                rows_suppressed,
            }
        })
        .collect()
}

/// The kept rows' values: per-column value counts, the values nulled, the cells suppressed
/// and the rare values found.
struct Cells {
    value_counts: Vec<Vec<u64>>,
    nulled: Vec<Vec<bool>>,
    cells_suppressed: Vec<u64>,
    rare: Vec<crate::standards::Rare>,
}

/// Rare-value suppression and per-column value counts over the kept rows.
fn cells(
    plan: &Plan,
    columns: &[OutColumn],
    dicts: &[Dictionary],
    keep: &[bool],
    people: Option<&People>,
    weights: Option<&[u32]>,
) -> Cells {
    let mut value_counts: Vec<Vec<u64>> = dicts.iter().map(|d| vec![0u64; d.len()]).collect();
    for (d, counts) in dicts.iter().zip(value_counts.iter_mut()) {
        for (i, (code, keep)) in d.codes.iter().zip(keep).enumerate() {
            if *keep {
                counts[*code as usize] += weights.map_or(1, |w| u64::from(w[i]));
            }
        }
    }
    // What rare values are judged by: the people holding each value (its rows, when each is
    // one person).
    let holders: Vec<Vec<u64>> = match people {
        Some(p) => dicts.iter().map(|d| crate::people::value_people(p, &d.codes, keep, d.len())).collect(),
        None => value_counts.clone(),
    };
    let mut nulled: Vec<Vec<bool>> = dicts.iter().map(|d| vec![false; d.len()]).collect();
    let mut cells_suppressed = vec![0u64; dicts.len()];
    for c in columns.iter() {
        if let (Slot::Global(d), Some(min)) = (&c.slot, c.transform.min_count()) {
            for (code, count) in holders[*d].iter().enumerate() {
                if *count > 0 && *count < min as u64 && dicts[*d].values[code] != Cell::Null {
                    nulled[*d][code] = true;
                    cells_suppressed[*d] += value_counts[*d][code];
                }
            }
        }
    }
    let mut cells = Cells { value_counts, nulled, cells_suppressed, rare: Vec::new() };
    if plan.mode == tokumei_rules::Mode::Anonymized && plan.privacy.k >= 2 {
        cells.rare = rare_values(plan, columns, dicts, &holders, &mut cells);
    }
    cells
}

/// Rare values (特異な記述等, standard 4) in the output columns outside the k-anonymity key:
/// an insensitive categorical value held by fewer than k released records is suppressed
/// (set to null), like the records of a class below k; a sensitive one is reported with
/// the model that protects it.
fn rare_values(
    plan: &Plan,
    columns: &[OutColumn],
    dicts: &[Dictionary],
    holders: &[Vec<u64>],
    cells: &mut Cells,
) -> Vec<crate::standards::Rare> {
    let mut rare = Vec::new();
    let k = u64::from(plan.privacy.k);
    let Cells { value_counts, nulled, cells_suppressed, .. } = cells;
    for c in columns.iter() {
        let p = &plan.columns[c.plan];
        let Slot::Global(d) = c.slot else { continue };
        // Top/bottom-coded numbers keep their exact middle values: their ends are judged
        // below, over the released values.
        if p.output.is_none()
            || p.is_privacy_key()
            || c.transform.min_count().is_some()
            || matches!(p.action, tokumei_rules::Action::TopBottomCode { .. })
            || p.perturbation().is_some()
        {
            continue;
        }
        let mut values = 0u64;
        let mut cells = 0u64;
        for (code, count) in holders[d].iter().enumerate() {
            if *count > 0 && *count < k && dicts[d].values[code] != Cell::Null && !nulled[d][code] {
                values += 1;
                cells += value_counts[d][code];
                if p.role != Role::Sensitive {
                    nulled[d][code] = true;
                }
            }
        }
        if p.role != Role::Sensitive {
            cells_suppressed[d] += cells;
        }
        rare.push(crate::standards::Rare {
            column: p.name.clone(),
            sensitive: p.role == Role::Sensitive,
            values,
            cells,
            l: p.l,
        });
    }
    rare
}

/// Who the rows are: `None` when every row is a different person. When the rules declare no
/// `subject` and a model counts, data in which a column that may name a person repeats a value
/// are refused: the models would count rows.
pub(super) fn people_of(enc: &Encoded, counting: bool) -> Result<Option<crate::people::People>, EngineError> {
    let layout = &enc.layout;
    if layout.person.is_some() {
        // Counted from disk first: only when some person has several rows are the rows'
        // hashes read back (the models then need each row's person).
        let census = enc.subjects.census().map_err(|e| crate::error::output_err(&enc.subjects.folder(), e))?;
        if census.0 == enc.subjects.len() {
            return Ok(None);
        }
        let subjects = enc.subjects.load().map_err(|e| crate::error::output_err(&enc.subjects.folder(), e))?;
        let units = enc.units.load(&subjects).map_err(|e| crate::error::output_err(&enc.units.folder(), e))?;
        return Ok(crate::people::from_census(&subjects, &units, census));
    }
    if !counting {
        return Ok(None);
    }
    refuse_repeats(enc)?;
    Ok(None)
}

/// Without a declared subject: refused when a column that may name a person repeats a value
/// (the rows are then not people).
pub(super) fn refuse_repeats(enc: &Encoded) -> Result<(), EngineError> {
    let layout = &enc.layout;
    for ((_, plan_col), hashes) in layout.implied.iter().zip(&enc.implied) {
        let (people, max_rows) = hashes.census().map_err(|e| crate::error::output_err(&hashes.folder(), e))?;
        if people < hashes.len() {
            let c = &layout.plan.columns[*plan_col];
            return Err(EngineError::Config(format!(
                "{}:{}: `{}` ({}) repeats: {} rows are {} people (at most {} rows each), but the rules declare no `subject`, so the privacy models (and microaggregation's groups) would count rows, not people\n  hint: add `subject = \"{}\"` (or the column that names a person) to the rules, so that k and every other model count people",
                layout.plan.rules_path.display(),
                c.line,
                c.name,
                c.role.as_str(),
                hashes.len(),
                people,
                max_rows,
                c.name
            )));
        }
    }
    Ok(())
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
    let labels = g
        .rows(reps, lo + 1, hi, "\u{0}null")
        .map_err(|m| EngineError::Internal(format!("relabelling failed: {}", m.0)))?;
    Ok(Some(tokumei_anon::models::Tree::from_labels(&labels)))
}
