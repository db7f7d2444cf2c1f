//! k-anonymity: every class holds at least k records.

use super::{Class, ClassModel, Model, ModelDef, Names, Safer, Settings};

/// The definition: built from `[privacy] k`, which the rule file always has.
pub(super) const DEF: ModelDef =
    ModelDef { name: "k-anonymity", keys: &[], applies_to: "every equivalence class", build };

fn build(s: &Settings) -> Result<Vec<Model>, super::SettingError> {
    Ok(vec![Model::k_anonymity(s.k)])
}

/// Every class holds at least `k` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KAnonymity {
    /// k.
    pub k: u32,
}

impl KAnonymity {
    /// The model's kind in reports.
    pub const KIND: &'static str = "k_anonymity";
}

impl ClassModel for KAnonymity {
    fn kind(&self) -> &'static str {
        Self::KIND
    }
    fn names(&self, _: &[String]) -> Names {
        Names { en: format!("k-anonymity, k={}", self.k), ja: format!("k-匿名性（k={}）", self.k) }
    }
    fn min_size(&self) -> u32 {
        self.k
    }
    fn monotone(&self) -> bool {
        true
    }
    fn satisfied(&self, class: &Class, _: &mut Vec<f64>) -> bool {
        class.size >= self.k
    }
    fn measure(&self, class: &Class, _: &mut Vec<f64>) -> f64 {
        class.size as f64
    }
    fn safer(&self) -> Safer {
        Safer::Higher
    }
    fn required(&self) -> f64 {
        self.k as f64
    }
}
