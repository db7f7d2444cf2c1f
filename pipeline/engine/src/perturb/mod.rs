//! The perturbation stage: techniques that need a whole column (or several) at once —
//! microaggregation, noise, swapping and PRAM — run after every row is read (pass 1)
//! and before the privacy models judge the released values. A perturbed column is
//! dictionary-encoded (a code per row); a technique rewrites each row's code and the dictionary.
//!
//! One file per technique implementing [`Technique`], listed once in [`technique`]. Randomness
//! comes from a per-release seed ([`Seed`]) that is never stored, written or logged; each
//! column (or `together` group) draws from its own ChaCha generator keyed from the seed and its
//! name, so a release does not depend on thread count or column order.

mod linkage;
mod microaggregate;
mod noise;
mod pram;
mod seed;
mod swap;

pub(crate) use linkage::linkage;
pub(crate) use seed::Seed;

use crate::cell::Cell;
use crate::error::EngineError;
use crate::privacy::Dictionary;
use rand_chacha::ChaCha20Rng;
use tokumei_report::Perturbed;
use tokumei_rules::{ColumnPlan, Perturbation, Plan, ValueType};

/// One perturbed column as a technique sees it: its rule and its dictionary.
pub(crate) struct Target<'a> {
    /// The column's rule.
    pub plan: &'a ColumnPlan,
    /// Its dictionary (values and a code per accepted row).
    pub dict: &'a mut Dictionary,
}

/// What a technique says of its run over a unit (one column, or a `together` group).
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Facts {
    /// How it ran (e.g. `mdav`), when it had a choice.
    pub method: Option<String>,
    /// Groups formed (microaggregation).
    pub groups: Option<u64>,
    /// The smallest group's records.
    pub smallest_group: Option<u64>,
    /// The fewest people in a group, when a person may have several rows.
    pub smallest_group_people: Option<u64>,
    /// Whether groups counted people (the rules' subject, a person with several rows).
    pub people_counted: bool,
    /// Per column of the unit: draws clamped to the bounds (noise).
    pub clamped: Vec<u64>,
    /// Per column of the unit: values set to null because too few records share their pattern
    /// of missing values to form a group.
    pub nulled: Vec<u64>,
    /// Per column of the unit: the bounds applied (`min`, `max`; none where unbounded), defaults
    /// filled in (noise).
    pub bounds: Vec<(Option<f64>, Option<f64>)>,
    /// What rank swapping did (swap).
    pub swap: Option<tokumei_report::Swapped>,
    /// What PRAM did (pram).
    pub pram: Option<tokumei_report::Randomised>,
}

/// Who each accepted row is, when a person may have several rows (the rules' `subject`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Persons {
    /// A dense person id per accepted row.
    pub of_row: Vec<u32>,
    /// Number of people.
    pub count: u32,
}

impl Persons {
    /// From the privacy models' view of the rows ([`crate::people::People`]): a row's person
    /// is its unit's person.
    pub fn of(p: &crate::people::People) -> Persons {
        let of_row = match &p.person_of_unit {
            Some(person) => p.of_row.iter().map(|u| person[*u as usize]).collect(),
            None => p.of_row.clone(),
        };
        Persons { of_row, count: p.count }
    }
}

/// What a technique may read besides its own columns.
pub(crate) struct Context<'a> {
    /// The rules.
    pub plan: &'a Plan,
    /// Who the rows are, when the rules declare a `subject` and a person has several rows;
    /// `None` when every row is a different person.
    pub persons: Option<&'a Persons>,
    /// With `within`: each accepted row's stratum, a dense id of the tuple of the `within`
    /// columns' values as their rules release them (at the rule's own level, before any
    /// search); records may only exchange with records of their stratum.
    pub strata: Option<&'a [u32]>,
}

/// A perturbative technique: rewrites the codes and dictionaries of the unit's columns.
pub(crate) trait Technique: Send + Sync {
    /// Perturb the unit's columns, drawing from `rng`. Never panics on any values; an error
    /// names the rule file and line, never a value.
    fn apply(&self, unit: &mut [Target], cx: &Context, rng: &mut ChaCha20Rng) -> Result<Facts, EngineError>;
}

/// The technique of a perturbation. This is the registry: adding one means one file and one
/// line here.
fn technique(p: &Perturbation) -> Result<Box<dyn Technique>, EngineError> {
    Ok(match p {
        Perturbation::Microaggregate(m) => Box::new(microaggregate::Microaggregate::new(m.clone())),
        Perturbation::Noise(n) => Box::new(noise::AddNoise::new(n.clone())),
        Perturbation::Swap(s) => Box::new(swap::RankSwap::new(s.clone())),
        Perturbation::Pram(r) => Box::new(pram::Pram::new(r.clone())),
    })
}

/// A perturbed number or date column's input values, kept for the linkage risk.
pub(crate) struct Original {
    /// Its dictionary.
    pub dict: usize,
    /// Each old code's value (days for dates; NaN: missing).
    pub values: Vec<f64>,
    /// Each row's old code.
    pub codes: Vec<u32>,
    /// The input's standard deviation.
    pub sd: f64,
    /// Its output name.
    pub output: String,
}

/// What the stage did: each perturbed column's report, in rule order, and the input values of
/// the perturbed number and date columns.
pub(crate) struct Done {
    /// The report's entries.
    pub perturbed: Vec<Perturbed>,
    /// The numbers before.
    pub originals: Vec<Original>,
}

/// A unit of the stage: the columns perturbed together, and how.
struct Unit {
    /// `(plan column, dictionary)` of each column, in rule order.
    columns: Vec<(usize, usize)>,
    technique: Box<dyn Technique>,
    /// What its generator is keyed with.
    label: String,
    /// The dictionaries of its `within` columns.
    within: Vec<usize>,
    /// Whether it groups records (and so must count people).
    groups: bool,
}

/// The perturbation stage of a run: the units, set up before any row is read.
pub(crate) struct Stage {
    units: Vec<Unit>,
}

impl Stage {
    /// The units of `plan`, given the dictionary of each global plan column (`(plan column,
    /// dictionary)`); a perturbed column without a dictionary is refused.
    pub fn new(plan: &Plan, globals: &[(usize, usize)]) -> Result<Stage, EngineError> {
        let mut units: Vec<Unit> = Vec::new();
        for (i, c) in plan.columns.iter().enumerate() {
            let Some(p) = c.perturbation() else { continue };
            let dict = globals.iter().find(|(pc, _)| *pc == i).map(|(_, d)| *d).ok_or_else(|| {
                EngineError::Internal(format!("perturbed column {} is not dictionary-encoded", c.name))
            })?;
            if let Some(t) = p.together()
                && let Some(u) = units.iter_mut().find(|u| u.label == format!("together\u{0}{t}"))
            {
                u.columns.push((i, dict));
                continue;
            }
            let label = match p.together() {
                Some(t) => format!("together\u{0}{t}"),
                None => format!("column\u{0}{}", c.name),
            };
            let within = within(plan, c, p, globals)?;
            let groups = matches!(p, Perturbation::Microaggregate(_));
            units.push(Unit { columns: vec![(i, dict)], technique: technique(p)?, label, within, groups });
        }
        Ok(Stage { units })
    }

    /// Whether nothing is perturbed.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// Whether a technique forms groups of records, which must hold enough people.
    pub fn groups_records(&self) -> bool {
        self.units.iter().any(|u| u.groups)
    }

    /// Perturb every unit's columns with generators keyed from `seed`; returns what each column
    /// became, in rule order, and the numbers before.
    pub fn run(
        &self,
        plan: &Plan,
        dicts: &mut [Dictionary],
        seed: &Seed,
        persons: Option<&Persons>,
    ) -> Result<Done, EngineError> {
        let mut out: Vec<(usize, Perturbed)> = Vec::new();
        let mut originals: Vec<(usize, Original)> = Vec::new();
        for unit in &self.units {
            let before: Vec<(Vec<Cell>, Vec<u32>)> =
                unit.columns.iter().map(|(_, d)| (dicts[*d].values.clone(), dicts[*d].codes.clone())).collect();
            let mut rng = seed.rng(&unit.label);
            let strata = (!unit.within.is_empty()).then(|| {
                let cols: Vec<(&[u32], usize)> =
                    unit.within.iter().map(|d| (dicts[*d].codes.as_slice(), dicts[*d].len())).collect();
                let n = dicts[unit.columns[0].1].codes.len();
                crate::privacy::classes(&cols, n).of_row
            });
            let facts = {
                let cx = Context { plan, persons, strata: strata.as_deref() };
                let mut targets = targets(plan, &unit.columns, dicts)?;
                unit.technique.apply(&mut targets, &cx, &mut rng)?
            };
            for (j, ((pc, d), (values, codes))) in unit.columns.iter().zip(before).enumerate() {
                let c = &plan.columns[*pc];
                let change = Change::between((&values, &codes), &dicts[*d], c.ty);
                out.push((*pc, report(c, &facts, j, &change)));
                if matches!(c.ty, ValueType::Integer | ValueType::Date) {
                    let sd = change.sd.map_or(0.0, |s| s.0);
                    let (values, output) = (number_table(&values), c.output.clone().unwrap_or_default());
                    originals.push((*pc, Original { dict: *d, values, codes, sd, output }));
                }
            }
        }
        out.sort_by_key(|(pc, _)| *pc);
        originals.sort_by_key(|(pc, _)| *pc);
        Ok(Done {
            perturbed: out.into_iter().map(|(_, p)| p).collect(),
            originals: originals.into_iter().map(|(_, o)| o).collect(),
        })
    }
}

/// The dictionaries of the `within` columns of `c`'s perturbation `p` (validated to be other
/// released, counted, unperturbed columns of the rules).
fn within(
    plan: &Plan,
    c: &ColumnPlan,
    p: &Perturbation,
    globals: &[(usize, usize)],
) -> Result<Vec<usize>, EngineError> {
    p.within()
        .iter()
        .map(|name| {
            let i = plan.columns.iter().position(|o| &o.name == name);
            i.and_then(|i| globals.iter().find(|(pc, _)| *pc == i)).map(|(_, d)| *d).ok_or_else(|| {
                EngineError::Internal(format!("`within` column {name} of {} is not dictionary-encoded", c.name))
            })
        })
        .collect()
}

/// The targets of a unit's columns, in its order, borrowed from `dicts`.
fn targets<'a>(
    plan: &'a Plan,
    columns: &[(usize, usize)],
    dicts: &'a mut [Dictionary],
) -> Result<Vec<Target<'a>>, EngineError> {
    let mut slots: Vec<Option<&'a mut Dictionary>> = dicts.iter_mut().map(Some).collect();
    columns
        .iter()
        .map(|(pc, d)| {
            let dict = slots
                .get_mut(*d)
                .and_then(Option::take)
                .ok_or_else(|| EngineError::Internal("a dictionary perturbed twice in one unit".into()))?;
            Ok(Target { plan: &plan.columns[*pc], dict })
        })
        .collect()
}

/// How much a column changed, over its accepted records.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Change {
    /// Records with a value before.
    pub records: u64,
    /// Records whose value changed (a value set to null included).
    pub changed: u64,
    /// Mean absolute change of the records with a number (or date) before and after.
    pub mean_abs_change: Option<f64>,
    /// Standard deviation before and after (numbers and dates).
    pub sd: Option<(f64, f64)>,
}

impl Change {
    /// The change from `before` (values, codes) to `after`.
    fn between((values, codes): (&[Cell], &[u32]), after: &Dictionary, ty: ValueType) -> Change {
        let numeric = matches!(ty, ValueType::Integer | ValueType::Date);
        let (old, new) = (number_table(values), number_table(&after.values));
        let mut c = Change::default();
        let (mut abs, mut both) = (0.0f64, 0u64);
        let (mut sb, mut sa) = (Moments::default(), Moments::default());
        for (o, n) in codes.iter().zip(&after.codes) {
            let (vo, vn) = (&values[*o as usize], &after.values[*n as usize]);
            if *vo == Cell::Null {
                continue;
            }
            c.records += 1;
            if vo != vn {
                c.changed += 1;
            }
            let (xo, xn) = (old[*o as usize], new[*n as usize]);
            if xo.is_finite() && xn.is_finite() {
                abs += (xn - xo).abs();
                both += 1;
            }
            sb.add(xo);
            sa.add(xn);
        }
        if numeric {
            c.mean_abs_change = (both > 0).then(|| abs / both as f64);
            c.sd = Some((sb.sd(), sa.sd()));
        }
        c
    }
}

/// Running mean and variance (Welford), NaN ignored.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Moments {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Moments {
    /// Add a value (NaN is skipped).
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }
    /// The mean (0 without values).
    pub fn mean(&self) -> f64 {
        self.mean
    }
    /// The sample standard deviation (n - 1; 0 below two values), as R's `sd`.
    pub fn sd(&self) -> f64 {
        if self.n < 2 { 0.0 } else { (self.m2 / (self.n - 1) as f64).sqrt() }
    }
}

/// Each code's value as a number (days for dates), NaN for a missing or non-numeric value.
pub(crate) fn number_table(values: &[Cell]) -> Vec<f64> {
    values
        .iter()
        .map(|v| match v {
            Cell::Int(n) => *n as f64,
            Cell::Date(d) => f64::from(*d),
            _ => f64::NAN,
        })
        .collect()
}

/// Each row's value as a number (NaN: missing).
pub(crate) fn row_numbers(dict: &Dictionary) -> Vec<f64> {
    let table = number_table(&dict.values);
    dict.codes.iter().map(|c| table[*c as usize]).collect()
}

/// A number as a cell of type `ty`: rounded half away from zero (integers, dates), NaN a null.
pub(crate) fn cell_of(x: f64, ty: ValueType) -> Cell {
    if !x.is_finite() {
        return Cell::Null;
    }
    match ty {
        ValueType::Date => Cell::Date(x.round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32),
        _ => Cell::Int(x.round().clamp(i64::MIN as f64, i64::MAX as f64) as i64),
    }
}

/// Replace every row's value by `rows` (NaN: missing), compacting the dictionary: no value that
/// no row holds is left in it.
pub(crate) fn write_rows(dict: &mut Dictionary, rows: &[f64], ty: ValueType) {
    write_ints(dict, rows.iter().map(|x| int_of(&cell_of(*x, ty))), ty);
}

/// A cell's whole number (days for dates); `None` for a missing or non-numeric value.
pub(crate) fn int_of(cell: &Cell) -> Option<i64> {
    match cell {
        Cell::Int(n) => Some(*n),
        Cell::Date(d) => Some(i64::from(*d)),
        _ => None,
    }
}

/// A whole number (days for dates) as a cell of type `ty`.
pub(crate) fn cell_of_int(n: i64, ty: ValueType) -> Cell {
    match ty {
        ValueType::Date => Cell::Date(n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32),
        _ => Cell::Int(n),
    }
}

/// Replace every row's value by `rows` (whole numbers, days for dates; `None`: missing),
/// compacting the dictionary. Values are told apart by their whole number, so the look-up holds
/// 12 bytes per distinct value, not a cell.
pub(crate) fn write_ints(dict: &mut Dictionary, rows: impl Iterator<Item = Option<i64>>, ty: ValueType) {
    let mut index: rustc_hash::FxHashMap<i64, u32> = Default::default();
    let mut values: Vec<Cell> = Vec::new();
    let mut null: Option<u32> = None;
    let codes: Vec<u32> = rows
        .map(|x| match x {
            None => *null.get_or_insert_with(|| {
                values.push(Cell::Null);
                (values.len() - 1) as u32
            }),
            Some(n) => *index.entry(n).or_insert_with(|| {
                values.push(cell_of_int(n, ty));
                (values.len() - 1) as u32
            }),
        })
        .collect();
    drop(index);
    dict.recode_rows(codes, values);
}

/// Replace each code's value by `new[code]`, compacting the dictionary.
pub(crate) fn write_codes(dict: &mut Dictionary, new: Vec<Cell>) {
    let mut index: rustc_hash::FxHashMap<Cell, u32> = Default::default();
    let mut values: Vec<Cell> = Vec::new();
    let mut up: Vec<u32> = new
        .into_iter()
        .map(|cell| {
            *index.entry(cell.clone()).or_insert_with(|| {
                values.push(cell);
                (values.len() - 1) as u32
            })
        })
        .collect();
    // Codes no row holds are dropped too.
    let mut used = vec![false; values.len()];
    for c in &dict.codes {
        used[up[*c as usize] as usize] = true;
    }
    if used.iter().any(|u| !u) {
        let mut renumber = vec![u32::MAX; values.len()];
        let mut kept: Vec<Cell> = Vec::new();
        for (i, v) in values.into_iter().enumerate() {
            if used[i] {
                renumber[i] = kept.len() as u32;
                kept.push(v);
            }
        }
        for u in up.iter_mut() {
            *u = renumber[*u as usize];
        }
        values = kept;
        // Codes of unused old values now point nowhere; no row holds them.
        for u in up.iter_mut() {
            if *u == u32::MAX {
                *u = 0;
            }
        }
    }
    dict.recode(&up, values);
}

/// The report's entry for column `j` of a unit.
fn report(c: &ColumnPlan, facts: &Facts, j: usize, change: &Change) -> Perturbed {
    let p = c.perturbation().expect("a perturbed column");
    let mut settings = p.settings();
    // The bounds as applied, defaults included (dates as dates).
    if let Some((lo, hi)) = facts.bounds.get(j) {
        settings.retain(|(k, _)| k != "min" && k != "max");
        for (key, v) in [("min", lo), ("max", hi)] {
            if let Some(x) = v {
                settings.push((key.into(), cell_of(*x, c.ty).label()));
            }
        }
    }
    // Top and bottom codes of a swapped date column as dates.
    if c.ty == ValueType::Date
        && let Perturbation::Swap(s) = p
    {
        for (key, v) in [("top", s.top), ("bottom", s.bottom)] {
            if let (Some(x), Some(slot)) = (v, settings.iter_mut().find(|(k, _)| k == key)) {
                slot.1 = cell_of(x, c.ty).label();
            }
        }
    }
    Perturbed {
        column: c.name.clone(),
        output: c.output.clone().unwrap_or_default(),
        technique: p.name().into(),
        settings,
        description: match facts.people_counted {
            true => format!(
                "{}; groups count people (the rules' subject), no person holding over half of a group's records",
                p.describe()
            ),
            false => p.describe(),
        },
        description_ja: match facts.people_counted {
            true => format!(
                "{}。グループは人数（subject）で数え、一人がグループのレコードの半数を超えない",
                p.describe_ja()
            ),
            false => p.describe_ja(),
        },
        method: facts.method.clone(),
        records: change.records,
        records_changed: change.changed,
        mean_abs_change: change.mean_abs_change,
        sd_before: change.sd.map(|s| s.0),
        sd_after: change.sd.map(|s| s.1),
        groups: facts.groups,
        smallest_group: facts.smallest_group,
        smallest_group_people: facts.smallest_group_people,
        smallest_released: None,
        clamped: facts.clamped.get(j).copied(),
        nulled: facts.nulled.get(j).copied().unwrap_or(0),
        swap: facts.swap.clone(),
        pram: facts.pram.clone(),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the techniques' tests.
    use super::*;

    /// A dictionary of `rows` (None: missing) as integers.
    pub fn dict_of(rows: &[Option<i64>]) -> Dictionary {
        let mut d = Dictionary::default();
        for r in rows {
            let code = d.intern(r.map_or(Cell::Null, Cell::Int));
            d.codes.push(code);
        }
        d
    }

    /// Each row's value.
    pub fn rows_of(d: &Dictionary) -> Vec<Option<i64>> {
        d.codes
            .iter()
            .map(|c| match d.values[*c as usize] {
                Cell::Int(n) => Some(n),
                _ => None,
            })
            .collect()
    }

    /// A rule of `action` (TOML lines) on an integer column `x`.
    pub fn plan_with(action: &str) -> Plan {
        let src = format!(
            "version = 1\ndataset = \"t\"\nmode = \"anonymized\"\n[privacy]\nk = 3\nmax_suppression = 0.1\n[[column]]\nname = \"x\"\nrole = \"insensitive\"\ntype = \"integer\"\n{action}\n[[column]]\nname = \"y\"\nrole = \"insensitive\"\ntype = \"integer\"\n{action}\n"
        );
        tokumei_rules::validate_rules(std::path::Path::new("r.toml"), &src, &["x".into(), "y".into()])
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The context of a unit without `within`.
    pub fn context(plan: &Plan) -> Context<'_> {
        Context { plan, persons: None, strata: None }
    }

    /// A fixed generator.
    pub fn rng() -> ChaCha20Rng {
        Seed::fixed([7u8; 32]).rng("test")
    }

    /// The technique of `action` applied to column `x` holding `xs` (with `strata`, if any), by
    /// the fixed generator: each row's value after, and what it did.
    pub fn applied(action: &str, xs: &[Option<i64>], strata: Option<&[u32]>) -> (Vec<Option<i64>>, Facts) {
        applied_to(action, xs, strata, None)
    }

    /// As [`applied`], with each row's person.
    pub fn applied_to(
        action: &str,
        xs: &[Option<i64>],
        strata: Option<&[u32]>,
        persons: Option<&Persons>,
    ) -> (Vec<Option<i64>>, Facts) {
        let plan = plan_with(action);
        let stage = Stage::new(&plan, &[(0, 0), (1, 1)]).unwrap_or_else(|e| panic!("{e}"));
        let mut d = dict_of(xs);
        let mut t = [Target { plan: &plan.columns[0], dict: &mut d }];
        let cx = Context { plan: &plan, persons, strata };
        let facts = stage.units[0].technique.apply(&mut t, &cx, &mut rng()).unwrap_or_else(|e| panic!("{e}"));
        (rows_of(&d), facts)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn write_codes_compacts_the_dictionary() {
        let mut d = dict_of(&[Some(1), Some(2), None, Some(3)]);
        write_codes(&mut d, vec![Cell::Int(5), Cell::Int(5), Cell::Null, Cell::Int(9)]);
        assert_eq!(rows_of(&d), vec![Some(5), Some(5), None, Some(9)]);
        assert_eq!(d.values.len(), 3);
        let mut d = dict_of(&[Some(1), Some(1)]);
        d.values.push(Cell::Int(4));
        write_codes(&mut d, vec![Cell::Int(2), Cell::Int(3)]);
        assert_eq!(d.values, vec![Cell::Int(2)], "a value no row holds is not kept");
    }

    #[test]
    fn change_counts_records_and_the_mean_absolute_change() {
        let before = dict_of(&[Some(1), Some(2), None, Some(3)]);
        let mut after = dict_of(&[Some(1), Some(2), None, Some(3)]);
        write_rows(&mut after, &[1.0, 4.0, f64::NAN, 2.0], ValueType::Integer);
        let c = Change::between((&before.values, &before.codes), &after, ValueType::Integer);
        assert_eq!((c.records, c.changed), (3, 2));
        assert_eq!(c.mean_abs_change, Some(1.0));
    }

    #[test]
    fn every_perturbation_has_its_technique() {
        for action in ["action = \"swap\"", "action = \"pram\""] {
            let plan = plan_with(action);
            assert_eq!(Stage::new(&plan, &[(0, 0), (1, 1)]).map(|s| s.units.len()).ok(), Some(2), "{action}");
        }
    }
}
