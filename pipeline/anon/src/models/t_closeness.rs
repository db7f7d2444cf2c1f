//! t-closeness: the distribution of a sensitive column in every class is within t of its
//! distribution in the whole table (equal, ordered or hierarchical earth mover's distance,
//! see [`super::distance`]).

use super::{Class, ClassModel, Key, Model, ModelDef, Names, Safer, Settings, ValueKind, distance};

/// The definition: `[privacy] t`, for every sensitive column.
pub(super) const DEF: ModelDef = ModelDef {
    name: "t-closeness",
    applies_to: "every sensitive column kept in the output",
    keys: &[Key {
        name: "t",
        kind: ValueKind::Share,
        doc: "t-closeness of every sensitive column: the distribution of its values in each class is within t of its distribution in the whole input. The distance is hierarchical (the earth mover's distance over the column's hierarchy, so moving between sibling values costs less) for a sensitive column with `action = \"generalize\"` (use `level = 0` to keep values as they are), ordered (EMD over the value order) for integer and date columns, and equal (variational) otherwise; the report states which, and prints the reference distribution",
    }],
    build,
};

fn build(s: &Settings) -> Result<Vec<Model>, super::SettingError> {
    Ok(match s.number("t") {
        None => Vec::new(),
        Some(t) => (0..s.sensitive.len()).map(|column| Model::class(TCloseness { column, t })).collect(),
    })
}

/// The distance between each class's distribution of the column and the table's is at most t.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TCloseness {
    /// Sensitive column.
    pub column: usize,
    /// t.
    pub t: f64,
}

impl TCloseness {
    /// The model's kind in reports.
    pub const KIND: &'static str = "t_closeness";
}

impl ClassModel for TCloseness {
    fn kind(&self) -> &'static str {
        Self::KIND
    }
    fn names(&self, sensitive: &[String]) -> Names {
        let col = sensitive.get(self.column).map_or("", String::as_str);
        Names {
            en: format!("t-closeness of {col}, t={}", self.t), ja: format!("{col}のt-近接性（t={}）", self.t)
        }
    }
    fn column(&self) -> Option<usize> {
        Some(self.column)
    }
    fn satisfied(&self, class: &Class, scratch: &mut Vec<f64>) -> bool {
        self.measure(class, scratch) <= self.t + 1e-12
    }
    fn measure(&self, class: &Class, scratch: &mut Vec<f64>) -> f64 {
        distance(&class.dists[self.column], &class.globals[self.column], scratch)
    }
    fn safer(&self) -> Safer {
        Safer::Lower
    }
    fn required(&self) -> f64 {
        self.t
    }
}
