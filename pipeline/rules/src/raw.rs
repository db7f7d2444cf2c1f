//! Raw TOML structures exactly as written; unknown keys are rejected by serde.

use serde::Deserialize;
use toml::Spanned;

/// A rule file (`rules/*.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRules {
    /// Rule-file format version; must be 1.
    pub version: Spanned<i64>,
    /// Dataset name, used for output file names and reports.
    pub dataset: Spanned<String>,
    /// Free-text description for the report.
    pub description: Option<String>,
    /// `anonymized` (匿名加工情報) or `pseudonymized` (a public body's 仮名化した保有個人情報, a
    /// business's 仮名加工情報).
    pub mode: Spanned<String>,
    /// Column holding the subject identifier (e.g. 宛名番号): the seam for requests and
    /// provision records. Never output as is.
    pub subject: Option<Spanned<String>>,
    /// `error` (default) or `reject` rows with malformed values.
    pub on_malformed: Option<Spanned<String>>,
    /// Largest share of input rows that may be rejected (default 0.01).
    pub max_rejected: Option<Spanned<f64>>,
    /// Write rows in a random order made per release (default: true when anonymized).
    pub shuffle: Option<Spanned<bool>>,
    /// Fingerprint the release for leak tracing: `true`, `false`, or the output column to
    /// reorder within classes (default: releases under a contract, anonymized mode).
    pub fingerprint: Option<Spanned<toml::Value>>,
    /// Privacy models enforced on the output.
    pub privacy: Option<Spanned<RawPrivacy>>,
    /// One entry per input column.
    #[serde(default, rename = "column")]
    pub columns: Vec<RawColumn>,
}

/// `[privacy]` section: each key with its position, checked against the rules' own keys
/// ([`crate::plan::PRIVACY_KEYS`]) and the privacy models' keys
/// ([`tokumei_anon::models::MODELS`]) during validation.
pub type RawPrivacy = std::collections::BTreeMap<Spanned<String>, Spanned<toml::Value>>;

/// A top or bottom code as written: a whole number, or a word (only `"auto"` is valid, and
/// only for `top_bottom_code`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum RawCap {
    /// A whole number.
    Int(i64),
    /// A word, e.g. `"auto"`.
    Word(String),
}

/// `[[column]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawColumn {
    /// Input column name.
    pub name: Spanned<String>,
    /// Role of the column.
    pub role: Spanned<String>,
    /// Action applied to it.
    pub action: Spanned<String>,
    /// Output column name (defaults to `name`).
    pub output: Option<Spanned<String>>,
    /// Description for the data dictionary.
    pub description: Option<String>,
    /// Value type: string, integer, date, boolean.
    #[serde(rename = "type")]
    pub ty: Option<Spanned<String>>,
    /// `nfkc` or `none`.
    pub normalize: Option<Spanned<String>>,
    /// Built-in hierarchy name (generalize).
    pub hierarchy: Option<Spanned<String>>,
    /// ARX-format hierarchy CSV, relative to the rule file (generalize).
    pub hierarchy_file: Option<Spanned<String>>,
    /// Separator of `hierarchy_file` (default `;`).
    pub separator: Option<Spanned<String>>,
    /// Generalisation level (generalize).
    pub level: Option<Spanned<i64>>,
    /// Band widths, one per level above 0 (age and numeric bands).
    pub bands: Option<Spanned<Vec<i64>>>,
    /// Top code: values at or above it are coded as it (age `90+`, numeric caps); `"auto"`
    /// for `top_bottom_code` (computed from the data so that k people share the top value).
    pub top: Option<Spanned<RawCap>>,
    /// Bottom code: values at or below it are coded as it (`"auto"` as for `top`).
    pub bottom: Option<Spanned<RawCap>>,
    /// Pseudonym length in hex characters (pseudonymize).
    pub length: Option<Spanned<i64>>,
    /// Characters left visible at the start (mask).
    pub keep_first: Option<Spanned<i64>>,
    /// Characters left visible at the end (mask).
    pub keep_last: Option<Spanned<i64>>,
    /// Mask character (mask, default `*`).
    pub mask_char: Option<Spanned<String>>,
    /// Characters never masked, e.g. `-` (mask).
    pub preserve: Option<Spanned<String>>,
    /// Smallest count a value needs to be kept (suppress_rare).
    pub min_count: Option<Spanned<i64>>,
    /// Distinct l-diversity for this sensitive column, overriding `[privacy] l`.
    pub l: Option<Spanned<i64>>,
    /// Why this column's `l` is lower than `[privacy] l` (required then; shown in the report).
    pub l_reason: Option<Spanned<String>>,
    /// Lowest level the search may choose (generalize, with `search = "optimal"`).
    pub min_level: Option<Spanned<i64>>,
    /// Highest level the search may choose.
    pub max_level: Option<Spanned<i64>>,
    /// Weight of this quasi-identifier in the quality model (default 1).
    pub weight: Option<Spanned<f64>>,
    /// Further input columns coded together with this one as one identifier (pseudonymize).
    pub with: Option<Spanned<Vec<String>>>,
    /// Input columns whose values are names to remove from free text (scrub).
    pub names_from: Option<Spanned<Vec<String>>>,
    /// A file of further names or words to remove, one per line, relative to the rule file (scrub).
    pub dictionary: Option<Spanned<String>>,
    /// Records per group of microaggregation (microaggregate; default: `[privacy] k`, else 3).
    pub group_size: Option<Spanned<i64>>,
    /// What a group's records get: `mean` (default) or `median` (microaggregate).
    pub aggregate: Option<Spanned<String>>,
    /// Columns of the same `together` name are perturbed jointly (microaggregate, noise).
    pub together: Option<Spanned<String>>,
    /// How records are grouped: `auto`, `mdav` or `sort` (microaggregate).
    pub method: Option<Spanned<String>>,
    /// `additive` (default) or `multiplicative` (noise).
    pub kind: Option<Spanned<String>>,
    /// Size of the noise: a share of the column's standard deviation (additive) or the noise's
    /// standard deviation as a share of the value (multiplicative).
    pub scale: Option<Spanned<toml::Value>>,
    /// A noised value is rounded to a multiple of this (noise; default 1 for integers, dates).
    pub round: Option<Spanned<toml::Value>>,
    /// Smallest value a noised value may take (noise; a date for date columns).
    pub min: Option<Spanned<toml::Value>>,
    /// Largest value a noised value may take (noise; a date for date columns).
    pub max: Option<Spanned<toml::Value>>,
    /// Percent of the records whose ranks a swap may span (swap; default 5).
    pub window: Option<Spanned<toml::Value>>,
    /// Other columns whose released values bound a swap or PRAM to records sharing them.
    pub within: Option<Spanned<Vec<String>>>,
    /// Probability a record keeps its category (pram; default 0.8).
    pub keep: Option<Spanned<toml::Value>>,
    /// Whether PRAM keeps the column's distribution (pram; default true).
    pub invariant: Option<Spanned<bool>>,
    /// A stated transition matrix (`from,to,p` CSV, relative to the rule file) (pram).
    pub matrix_file: Option<Spanned<String>>,
    /// The item's legal category, for leak incidents: `要配慮` (要配慮個人情報, 法2条3項) or
    /// `条例要配慮` (条例要配慮個人情報, 法60条5項).
    pub special_care: Option<Spanned<String>>,
    /// Every value the column may hold (keep, suppress_rare on text): any other is malformed.
    pub values: Option<Spanned<Vec<String>>>,
}
