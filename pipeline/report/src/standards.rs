//! The processing standards a release was held to, and the regime that sets them.

use serde::{Deserialize, Serialize};

/// One processing standard's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standard {
    /// Number in the regulation.
    pub id: u32,
    /// The provision, e.g. `規則62条1号（法116条1項）`.
    pub legal: String,
    /// What it requires (English).
    pub title: String,
    /// What it requires (Japanese).
    pub title_ja: String,
    /// Whether the release meets it.
    pub passed: bool,
    /// Why: one line per column or check (English).
    pub evidence: Vec<String>,
    /// Why (Japanese).
    pub evidence_ja: Vec<String>,
    /// How to meet it, when it fails (English).
    pub fix: Option<String>,
    /// How to meet it (Japanese).
    pub fix_ja: Option<String>,
}

/// What a release is in law, by who makes it and how: the data's name and the rule that sets
/// its processing standards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Regime {
    /// The data's name (Japanese), e.g. 行政機関等匿名加工情報.
    pub kind_ja: String,
    /// The data's name (English).
    pub kind_en: String,
    /// The provisions of its standards (Japanese), e.g. 法116条1項・規則62条.
    pub basis_ja: String,
    /// The provisions (English).
    pub basis_en: String,
    /// The rule whose items number the standards, e.g. 規則62条.
    pub rule: String,
}
