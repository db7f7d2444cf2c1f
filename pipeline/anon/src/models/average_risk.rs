//! Average re-identification risk: the kept table's average prosecutor risk (classes /
//! records) is at most a threshold. A table-level model: it suppresses nothing.

use super::{Key, Model, ModelDef, Names, Safer, Settings, Table, TableModel, ValueKind};

/// The definition: `[privacy] max_average_risk`.
pub(super) const DEF: ModelDef = ModelDef {
    name: "average risk",
    applies_to: "the kept table",
    keys: &[Key {
        name: "max_average_risk",
        kind: ValueKind::Share,
        doc: "the average prosecutor re-identification risk of the output (classes / records) may not exceed this",
    }],
    build,
};

fn build(s: &Settings) -> Result<Vec<Model>, super::SettingError> {
    Ok(s.number("max_average_risk").map(|r| Model::table(AverageRisk { max: r })).into_iter().collect())
}

/// The average prosecutor risk, classes / records, is at most `max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AverageRisk {
    /// The largest average risk allowed.
    pub max: f64,
}

impl TableModel for AverageRisk {
    fn kind(&self) -> &'static str {
        "average_risk"
    }
    fn names(&self) -> Names {
        Names {
            en: format!("average risk at most {}", self.max), ja: format!("平均再識別リスク {} 以下", self.max)
        }
    }
    fn satisfied(&self, t: &Table) -> bool {
        t.records == 0 || self.measure(t) <= self.max + 1e-12
    }
    fn measure(&self, t: &Table) -> f64 {
        if t.records == 0 { 0.0 } else { t.classes as f64 / t.records as f64 }
    }
    fn safer(&self) -> Safer {
        Safer::Lower
    }
    fn required(&self) -> f64 {
        self.max
    }
}
