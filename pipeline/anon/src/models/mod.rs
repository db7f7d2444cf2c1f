//! Privacy models: what each one means, in one file each.
//!
//! Two kinds, as in ARX: a [`ClassModel`] judges one equivalence class (k-anonymity,
//! l-diversity, t-closeness, β-likeness; a violating class is suppressed), a [`TableModel`]
//! judges the kept table as a whole (the average re-identification risk; it suppresses nothing,
//! it accepts or refuses). The search, the fixed-level path ([`crate::enforce`]) and Mondrian
//! all ask [`violated`] about a class, so a model means the same everywhere.
//!
//! A model is configured from `[privacy]` keys of the rule file. [`MODELS`] lists every model's
//! definition (its keys, documentation and constructor): adding a model is one file here plus
//! one line in that list; rule validation, the docs table and the reports follow from it.

mod average_risk;
mod beta_likeness;
mod distance;
mod k_anonymity;
mod l_diversity;
mod t_closeness;

pub use average_risk::AverageRisk;
pub use beta_likeness::BetaLikeness;
pub use distance::{ClassDistribution, Global, Tree, distance};
pub use k_anonymity::KAnonymity;
pub use l_diversity::{DistinctL, EntropyL, RecursiveCL};
pub use t_closeness::TCloseness;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Every model's definition, in the order the reports list them.
pub const MODELS: &[ModelDef] =
    &[k_anonymity::DEF, l_diversity::DEF, t_closeness::DEF, beta_likeness::DEF, average_risk::DEF];

/// A model's name for readers, in English and Japanese, with its parameters and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// English, e.g. `distinct l-diversity of 障害者手帳, l=2`.
    pub en: String,
    /// Japanese, e.g. `障害者手帳のl-多様性（異なり値、l=2）`.
    pub ja: String,
}

/// One equivalence class as the per-class models see it.
pub struct Class<'a> {
    /// Records in the class.
    pub size: u32,
    /// The distribution of each sensitive column in the class (indexed like the problem's).
    pub dists: &'a [ClassDistribution<'a>],
    /// The distribution of each sensitive column in the whole table.
    pub globals: &'a [Global],
}

/// The kept table as the table-level models see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Table {
    /// Equivalence classes kept.
    pub classes: u64,
    /// Records kept.
    pub records: u64,
}

/// Which way a model's measure is safer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safer {
    /// A higher value is safer (k, l): the table's value is the smallest over its classes.
    Higher,
    /// A lower value is safer (t, β, risk): the table's value is the largest over its classes.
    Lower,
}

/// A model judged on each equivalence class (ARX's `PrivacyCriterion`).
pub trait ClassModel: fmt::Debug + Send + Sync {
    /// Stable name for reports and JSON, e.g. `k_anonymity`, `entropy_l_diversity`.
    fn kind(&self) -> &'static str;
    /// The model for readers; `sensitive` holds the sensitive columns' names.
    fn names(&self, sensitive: &[String]) -> Names;
    /// The sensitive column the model reads, if any.
    fn column(&self) -> Option<usize> {
        None
    }
    /// The size every satisfying class has at least (k; 1 when the model says nothing of size).
    fn min_size(&self) -> u32 {
        1
    }
    /// Whether a class satisfying the model always yields satisfying classes when merged with
    /// another satisfying class and when its records are only generalised further, so that an
    /// inadmissible node makes every finer node inadmissible.
    fn monotone(&self) -> bool {
        false
    }
    /// Whether the class satisfies the model.
    fn satisfied(&self, class: &Class, scratch: &mut Vec<f64>) -> bool;
    /// The class's value of the model's measure (its size for k, its distance for t, ...).
    fn measure(&self, class: &Class, scratch: &mut Vec<f64>) -> f64;
    /// Which way the measure is safer.
    fn safer(&self) -> Safer;
    /// The required value of the measure, for reports.
    fn required(&self) -> f64;
}

/// A model judged on the kept table as a whole (ARX's `SampleBasedCriterion`): it suppresses
/// nothing, it accepts or refuses.
pub trait TableModel: fmt::Debug + Send + Sync {
    /// Stable name for reports and JSON, e.g. `average_risk`.
    fn kind(&self) -> &'static str;
    /// The model for readers.
    fn names(&self) -> Names;
    /// Whether the kept table satisfies the model.
    fn satisfied(&self, table: &Table) -> bool;
    /// The table's value of the model's measure.
    fn measure(&self, table: &Table) -> f64;
    /// Which way the measure is safer.
    fn safer(&self) -> Safer;
    /// The required value of the measure, for reports.
    fn required(&self) -> f64;
}

/// A privacy model of either kind.
#[derive(Debug, Clone)]
pub enum Model {
    /// Judged per class.
    Class(Arc<dyn ClassModel>),
    /// Judged on the kept table.
    Table(Arc<dyn TableModel>),
}

impl Model {
    /// A per-class model.
    pub fn class(m: impl ClassModel + 'static) -> Model {
        Model::Class(Arc::new(m))
    }

    /// A table-level model.
    pub fn table(m: impl TableModel + 'static) -> Model {
        Model::Table(Arc::new(m))
    }

    /// k-anonymity.
    pub fn k_anonymity(k: u32) -> Model {
        Model::class(KAnonymity { k })
    }

    /// Stable name for reports and JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Model::Class(m) => m.kind(),
            Model::Table(m) => m.kind(),
        }
    }

    /// The model for readers; `sensitive` holds the sensitive columns' names.
    pub fn names(&self, sensitive: &[String]) -> Names {
        match self {
            Model::Class(m) => m.names(sensitive),
            Model::Table(m) => m.names(),
        }
    }

    /// Whether the model is about the whole table rather than each class.
    pub fn is_table_level(&self) -> bool {
        matches!(self, Model::Table(_))
    }

    /// See [`ClassModel::monotone`]; table-level models are not.
    pub fn monotone(&self) -> bool {
        match self {
            Model::Class(m) => m.monotone(),
            Model::Table(_) => false,
        }
    }

    /// The sensitive column the model reads, if any.
    pub fn column(&self) -> Option<usize> {
        match self {
            Model::Class(m) => m.column(),
            Model::Table(_) => None,
        }
    }

    /// See [`ClassModel::min_size`]; 1 for table-level models.
    pub fn min_size(&self) -> u32 {
        match self {
            Model::Class(m) => m.min_size(),
            Model::Table(_) => 1,
        }
    }

    /// Which way the measure is safer.
    pub fn safer(&self) -> Safer {
        match self {
            Model::Class(m) => m.safer(),
            Model::Table(m) => m.safer(),
        }
    }

    /// The required value of the measure.
    pub fn required(&self) -> f64 {
        match self {
            Model::Class(m) => m.required(),
            Model::Table(m) => m.required(),
        }
    }

    /// For a table-level model, whether the kept table meets it (`true` for per-class models,
    /// which [`violated`] judges).
    pub fn table_satisfied(&self, table: &Table) -> bool {
        match self {
            Model::Class(_) => true,
            Model::Table(m) => m.satisfied(table),
        }
    }
}

/// The largest `min_size` of the models: the k every kept class has.
pub fn min_class_size(models: &[Model]) -> u32 {
    models.iter().map(Model::min_size).max().unwrap_or(1)
}

/// Whether judging a class needs its sensitive distributions (some per-class model reads more
/// than the class size).
pub fn need_distributions(models: &[Model]) -> bool {
    models.iter().any(|m| matches!(m, Model::Class(c) if c.column().is_some()))
}

/// The index in `models` of the first per-class model the class violates, if any: the one
/// judgement of a class that the search, the fixed-level path and Mondrian share.
pub fn violated(models: &[Model], class: &Class, scratch: &mut Vec<f64>) -> Option<usize> {
    models.iter().position(|m| match m {
        Model::Class(c) => !c.satisfied(class, scratch),
        Model::Table(_) => false,
    })
}

/// The table's value of each model's measure over the kept classes: the least safe class's
/// value for per-class models, the table's for table-level ones.
pub struct Achieved {
    values: Vec<Option<f64>>,
}

impl Achieved {
    /// Nothing seen yet.
    pub fn new(models: &[Model]) -> Achieved {
        Achieved { values: vec![None; models.len()] }
    }

    /// Take a kept class into account.
    pub fn add(&mut self, models: &[Model], class: &Class, scratch: &mut Vec<f64>) {
        for (m, v) in models.iter().zip(self.values.iter_mut()) {
            if let Model::Class(c) = m {
                let x = c.measure(class, scratch);
                *v = Some(match (*v, c.safer()) {
                    (None, _) => x,
                    (Some(y), Safer::Higher) => y.min(x),
                    (Some(y), Safer::Lower) => y.max(x),
                });
            }
        }
    }

    /// The values, with the table-level models measured on `table`.
    pub fn finish(self, models: &[Model], table: &Table) -> Vec<Option<f64>> {
        models
            .iter()
            .zip(self.values)
            .map(|(m, v)| match m {
                Model::Class(_) => v.filter(|x| x.is_finite()),
                Model::Table(t) => Some(t.measure(table)).filter(|x| x.is_finite()),
            })
            .collect()
    }
}

/// What a `[privacy]` key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A number above 0 and at most 1.
    Share,
    /// A positive finite number.
    Positive,
    /// One of these words.
    Choice(&'static [&'static str]),
}

/// A `[privacy]` key that a model reads.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// The key as written in the rule file.
    pub name: &'static str,
    /// What it holds.
    pub kind: ValueKind,
    /// What it means, for docs/rules.md.
    pub doc: &'static str,
}

/// A validated `[privacy]` value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number.
    Number(f64),
    /// A word from a choice.
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(x) => write!(f, "{x}"),
            Value::Text(s) => f.write_str(s),
        }
    }
}

/// A sensitive column as the model definitions see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sensitive {
    /// Output name.
    pub name: String,
    /// The column's l (its own or `[privacy] l`), if it needs l-diversity.
    pub l: Option<u32>,
}

/// What the model definitions build from: the model keys of `[privacy]` (validated against
/// their [`ValueKind`]), k, and the sensitive columns.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    /// The model keys present, by name.
    pub values: &'a BTreeMap<String, Value>,
    /// k of k-anonymity.
    pub k: u32,
    /// Sensitive output columns, in the order models refer to them.
    pub sensitive: &'a [Sensitive],
}

impl Settings<'_> {
    /// A number key's value.
    pub fn number(&self, key: &str) -> Option<f64> {
        match self.values.get(key) {
            Some(Value::Number(x)) => Some(*x),
            _ => None,
        }
    }

    /// A word key's value.
    pub fn text(&self, key: &str) -> Option<&str> {
        match self.values.get(key) {
            Some(Value::Text(s)) => Some(s),
            _ => None,
        }
    }
}

/// A problem with the model keys, reported at `key`'s position in the rule file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct SettingError {
    /// The key to blame.
    pub key: &'static str,
    /// What is wrong.
    pub message: String,
}

/// One model (or family of models sharing keys): its keys, documentation and constructor.
pub struct ModelDef {
    /// Name, e.g. `l-diversity`.
    pub name: &'static str,
    /// The `[privacy]` keys it reads.
    pub keys: &'static [Key],
    /// What it applies to, for the error when its keys are set but it applies to nothing,
    /// e.g. `every sensitive column kept in the output`.
    pub applies_to: &'static str,
    /// The models the settings ask for (none when its keys are absent), or why the keys do not
    /// make sense together.
    pub build: fn(&Settings) -> Result<Vec<Model>, SettingError>,
}

/// The key of `name` in any model definition.
pub fn key(name: &str) -> Option<&'static Key> {
    MODELS.iter().flat_map(|d| d.keys.iter()).find(|k| k.name == name)
}

/// Every model the settings ask for, in [`MODELS`] order; every problem with the keys.
pub fn build(settings: &Settings) -> Result<Vec<Model>, Vec<SettingError>> {
    let (mut models, mut errors) = (Vec::new(), Vec::new());
    for def in MODELS {
        match (def.build)(settings) {
            // Keys that configure nothing are a mistake in the rules, not a setting to ignore.
            Ok(m) if m.is_empty() => {
                if let Some(key) = def.keys.iter().find(|k| settings.values.contains_key(k.name)) {
                    errors.push(SettingError {
                        key: key.name,
                        message: format!(
                            "`{}` has no effect: {} applies to {}, and these rules have none",
                            key.name, def.name, def.applies_to
                        ),
                    });
                }
            }
            Ok(m) => models.extend(m),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(models) } else { Err(errors) }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A class from `(code, count)` pairs of one sensitive column.
    pub fn judge(m: &Model, counts: &[(u32, u32)], global: &Global) -> (bool, f64) {
        let size = counts.iter().map(|c| c.1).sum();
        let dists = [ClassDistribution { counts, size }];
        let globals = std::slice::from_ref(global);
        let class = Class { size, dists: &dists, globals };
        let mut s = Vec::new();
        match m {
            Model::Class(c) => (c.satisfied(&class, &mut s), c.measure(&class, &mut s)),
            Model::Table(_) => unreachable!("per-class models only"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for d in MODELS {
            for k in d.keys {
                assert!(seen.insert(k.name), "key {} defined twice", k.name);
                assert!(!k.doc.is_empty());
            }
        }
    }

    #[test]
    fn build_without_keys_asks_for_k_only() {
        let values = BTreeMap::new();
        let sens = [Sensitive { name: "s".into(), l: None }];
        let m = build(&Settings { values: &values, k: 5, sensitive: &sens }).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].kind(), "k_anonymity");
        assert_eq!(min_class_size(&m), 5);
        assert!(!need_distributions(&m));
    }

    #[test]
    fn violated_names_the_first_model() {
        let values: BTreeMap<String, Value> = [("t".to_string(), Value::Number(0.05))].into();
        let sens = [Sensitive { name: "s".into(), l: Some(2) }];
        let models = build(&Settings { values: &values, k: 2, sensitive: &sens }).unwrap();
        let kinds: Vec<&str> = models.iter().map(Model::kind).collect();
        assert_eq!(kinds, ["k_anonymity", "distinct_l_diversity", "t_closeness"]);
        let g = [Global::new(vec![0.5, 0.5], None, None)];
        let mut s = Vec::new();
        // One value only: size 3 >= k, but l fails first.
        let counts = [(0u32, 3u32)];
        let d = [ClassDistribution { counts: &counts, size: 3 }];
        assert_eq!(violated(&models, &Class { size: 3, dists: &d, globals: &g }, &mut s), Some(1));
        let counts = [(0u32, 1u32)];
        let d = [ClassDistribution { counts: &counts, size: 1 }];
        assert_eq!(violated(&models, &Class { size: 1, dists: &d, globals: &g }, &mut s), Some(0));
        let counts = [(0u32, 2u32), (1, 2)];
        let d = [ClassDistribution { counts: &counts, size: 4 }];
        assert_eq!(violated(&models, &Class { size: 4, dists: &d, globals: &g }, &mut s), None);
    }

    #[test]
    fn keys_that_configure_nothing_are_refused() {
        // t, β and the l form without a sensitive column (or without any l) would do nothing.
        for (key, value, sens) in [
            ("t", Value::Number(0.2), vec![]),
            ("beta", Value::Number(1.0), vec![]),
            ("l_model", Value::Text("entropy".into()), vec![Sensitive { name: "s".into(), l: None }]),
        ] {
            let values: BTreeMap<String, Value> = [(key.to_string(), value)].into();
            let errors = build(&Settings { values: &values, k: 2, sensitive: &sens }).unwrap_err();
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].key, key);
            assert!(errors[0].message.contains("has no effect"), "{}", errors[0].message);
        }
        // With a column to apply to, the same keys build their models.
        let values: BTreeMap<String, Value> =
            [("t".to_string(), Value::Number(0.2)), ("beta".to_string(), Value::Number(1.0))].into();
        let sens = [Sensitive { name: "s".into(), l: None }];
        let kinds: Vec<&str> =
            build(&Settings { values: &values, k: 2, sensitive: &sens }).unwrap().iter().map(Model::kind).collect();
        assert_eq!(kinds, ["k_anonymity", "t_closeness", "beta_likeness"]);
    }
}
