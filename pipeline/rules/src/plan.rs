//! The validated plan: the only form of the rules the engine accepts.

use crate::Hierarchy;
use crate::perturb::Perturbation;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Dataset processing mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 行政機関等匿名加工情報 / 匿名加工情報: no linkable code survives; per-release random keys.
    Anonymized,
    /// Pseudonymised: keyed HMAC pseudonyms with a managed key; internal use only. A public
    /// body's is 仮名化した保有個人情報 (still personal information it holds); 仮名加工情報 is a
    /// business's (法41).
    Pseudonymized,
}

impl Mode {
    /// Name as written in rule files.
    pub fn as_str(&self) -> &'static str {
        match self {
            Mode::Anonymized => "anonymized",
            Mode::Pseudonymized => "pseudonymized",
        }
    }
}

/// Role of a column, which decides the actions allowed on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Describes a person directly (氏名, 住所, 電話番号).
    DirectIdentifier,
    /// Legal identification code 個人識別符号 (マイナンバー, 被保険者番号).
    IdentificationCode,
    /// Code that links records (宛名番号, 世帯番号).
    LinkingCode,
    /// Quasi-identifier, part of the k-anonymity key.
    QuasiIdentifier,
    /// Sensitive attribute (要配慮個人情報), subject to l-diversity.
    Sensitive,
    /// Other attribute.
    Insensitive,
    /// A description whose misuse may cause financial damage (credit-card numbers, bank
    /// accounts with their logins; 規則31条3号): not a 個人識別符号, but always deleted.
    Financial,
}

/// All roles with their rule-file names.
pub const ROLES: &[(&str, Role)] = &[
    ("direct_identifier", Role::DirectIdentifier),
    ("identification_code", Role::IdentificationCode),
    ("linking_code", Role::LinkingCode),
    ("quasi_identifier", Role::QuasiIdentifier),
    ("sensitive", Role::Sensitive),
    ("insensitive", Role::Insensitive),
    ("financial", Role::Financial),
];

impl Role {
    /// Name as written in rule files.
    pub fn as_str(&self) -> &'static str {
        ROLES.iter().find(|(_, r)| r == self).map(|(n, _)| *n).unwrap_or("?")
    }
}

/// Type of the values of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Text.
    String,
    /// Whole number (commas and full-width digits accepted on input).
    Integer,
    /// Calendar date (ISO, slash, 和暦).
    Date,
    /// Yes/no (1/0, true/false, はい/いいえ, 有/無).
    Boolean,
}

/// All value types with their rule-file names.
pub const VALUE_TYPES: &[(&str, ValueType)] = &[
    ("string", ValueType::String),
    ("integer", ValueType::Integer),
    ("date", ValueType::Date),
    ("boolean", ValueType::Boolean),
];

impl ValueType {
    /// Name as written in rule files.
    pub fn as_str(&self) -> &'static str {
        VALUE_TYPES.iter().find(|(_, t)| t == self).map(|(n, _)| *n).unwrap_or("?")
    }

    /// Whether a run reads `value` as a value of this type, as it reads an input cell: a blank is
    /// a missing value (any type); an integer or a date must parse, a yes/no be one. The error
    /// says what the type expects, never quoting the value.
    pub fn check(&self, value: &str) -> Result<(), &'static str> {
        if value.trim().is_empty() {
            return Ok(());
        }
        match self {
            ValueType::String => Ok(()),
            ValueType::Integer => tokumei_jp::parse_int(value).map(|_| ()),
            ValueType::Date => {
                tokumei_jp::parse_date(value).map(|_| ()).ok_or("is not a valid date (ISO, slash or 和暦)")
            }
            ValueType::Boolean => tokumei_jp::parse_yes_no(value).map(|_| ()),
        }
    }
}

/// What is done to a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Removed from the output.
    Drop,
    /// Output unchanged (after parsing as the column's type and optional normalisation).
    Keep,
    /// Replaced by a fixed-length keyed HMAC-SHA-256 code.
    Pseudonymize {
        /// Output length in hex characters (16..=64).
        length: u32,
    },
    /// Replaced by its value at `level` of `hierarchy` (with a search: the level chosen
    /// between `level` and `max_level`).
    Generalize {
        /// The hierarchy.
        hierarchy: Hierarchy,
        /// The level applied; with a search, the lowest level allowed.
        level: u32,
        /// The highest level a search may choose (equal to `level` without a search).
        max_level: u32,
    },
    /// Characters replaced by `mask_char` except the first `keep_first`, last `keep_last`
    /// and any in `preserve`.
    Mask {
        /// Characters left at the start.
        keep_first: u32,
        /// Characters left at the end.
        keep_last: u32,
        /// Replacement character.
        mask_char: char,
        /// Characters never replaced.
        preserve: String,
    },
    /// Integers capped to `[bottom, top]`.
    TopBottomCode {
        /// Upper cap.
        top: Option<Cap>,
        /// Lower cap.
        bottom: Option<Cap>,
    },
    /// Values seen fewer than `min_count` times in the input become null.
    SuppressRare {
        /// Smallest count kept.
        min_count: u32,
    },
    /// Free text with identifying descriptions removed: names (from the file's own name
    /// columns and a dictionary), phone numbers, マイナンバー and other long numbers, postal codes,
    /// addresses, dates, e-mail addresses, and the row's own identifier values.
    Scrub {
        /// Input columns whose values (and their words) are names to remove.
        names_from: Vec<String>,
        /// Further words to remove (from the rule's `dictionary` file).
        dictionary: Vec<String>,
    },
    /// A perturbative technique over the whole column (microaggregation, noise, swapping,
    /// PRAM), applied after every row is read and before the privacy models judge the release.
    Perturb(Perturbation),
}

/// A top or bottom code of `top_bottom_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// This value.
    At(i64),
    /// Computed by the run from the released records: the k-th largest (top) or smallest
    /// (bottom) value, so that at least k people share each end (processing standard 4).
    Auto,
}

impl Cap {
    /// The value, when given.
    pub fn value(self) -> Option<i64> {
        match self {
            Cap::At(v) => Some(v),
            Cap::Auto => None,
        }
    }

    /// As written in rule files.
    pub fn text(self) -> String {
        match self {
            Cap::At(v) => v.to_string(),
            Cap::Auto => "auto".into(),
        }
    }
}

/// One action as rule files write it: its name, the options only it takes, and what it does.
/// Validation, the "did you mean" list and docs/rules.md's table of actions (held to it by a
/// test) all come from [`ACTION_DEFS`].
#[derive(Debug, Clone, Copy)]
pub struct ActionDef {
    /// Name in rule files.
    pub name: &'static str,
    /// Options that apply to it (beyond those of every column, [`COMMON_OPTIONS`]).
    pub options: &'static [&'static str],
    /// What it does, in a line.
    pub doc: &'static str,
}

/// Options every column may take, whatever its action (`l` only on sensitive columns).
pub const COMMON_OPTIONS: &[&str] =
    &["name", "role", "action", "output", "description", "type", "normalize", "l", "l_reason", "special_care"];

/// Every action.
pub const ACTION_DEFS: &[ActionDef] = &[
    ActionDef { name: "drop", options: &[], doc: "the column is removed" },
    ActionDef { name: "keep", options: &["values"], doc: "the value parsed as its type" },
    ActionDef { name: "pseudonymize", options: &["length", "with"], doc: "a keyed HMAC-SHA-256 code" },
    ActionDef {
        name: "generalize",
        options: &[
            "hierarchy",
            "hierarchy_file",
            "separator",
            "level",
            "bands",
            "top",
            "bottom",
            "min_level",
            "max_level",
            "weight",
        ],
        doc: "the value's label at a level of a hierarchy",
    },
    ActionDef {
        name: "mask",
        options: &["keep_first", "keep_last", "mask_char", "preserve"],
        doc: "characters replaced but a few",
    },
    ActionDef { name: "top_bottom_code", options: &["top", "bottom"], doc: "integers capped" },
    ActionDef { name: "suppress_rare", options: &["min_count", "values"], doc: "rare values set to null" },
    ActionDef {
        name: "scrub",
        options: &["names_from", "dictionary"],
        doc: "identifying descriptions removed from free text",
    },
    ActionDef {
        name: "microaggregate",
        options: &["group_size", "aggregate", "together", "method"],
        doc: "numbers or dates replaced by the mean (median) of a group of at least `group_size` records with similar values (sdcMicro microaggregation, MDAV)",
    },
    ActionDef {
        name: "noise",
        options: &["kind", "scale", "together", "round", "min", "max"],
        doc: "numbers or dates with random noise added, scaled to the column's spread (sdcMicro addNoise); draws outside `min`/`max` are clamped",
    },
    ActionDef {
        name: "swap",
        options: &["window", "within", "top", "bottom"],
        doc: "values exchanged between records of close rank (sdcMicro rankSwap): each value's count is kept exactly (after `top`/`bottom` coding)",
    },
    ActionDef {
        name: "pram",
        options: &["keep", "invariant", "within", "matrix_file"],
        doc: "categories changed at random by a transition matrix (sdcMicro pram; invariant PRAM keeps the distribution)",
    },
];

/// All action names as written in rule files.
pub fn action_names() -> impl Iterator<Item = &'static str> + Clone {
    ACTION_DEFS.iter().map(|a| a.name)
}

impl Action {
    /// Name as written in rule files.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Drop => "drop",
            Action::Keep => "keep",
            Action::Pseudonymize { .. } => "pseudonymize",
            Action::Generalize { .. } => "generalize",
            Action::Mask { .. } => "mask",
            Action::TopBottomCode { .. } => "top_bottom_code",
            Action::SuppressRare { .. } => "suppress_rare",
            Action::Scrub { .. } => "scrub",
            Action::Perturb(p) => p.name(),
        }
    }

    /// Human description in Japanese; `chosen` is the level a search chose, if any.
    pub fn describe_ja(&self, chosen: Option<u32>) -> String {
        match self {
            Action::Drop => "削除".into(),
            Action::Keep => "そのまま出力".into(),
            Action::Pseudonymize { length } => {
                format!("鍵付きハッシュ（HMAC-SHA-256）の{length}桁の符号に置換")
            }
            Action::Generalize { hierarchy, level, max_level } => match chosen {
                Some(l) if max_level > level => format!(
                    "一般化：{}（探索がレベル{level}〜{max_level}から選んだレベル{l}）",
                    hierarchy.describe_level_ja(l)
                ),
                _ if max_level > level => format!("一般化：探索がレベル{level}〜{max_level}から選ぶ"),
                _ => format!("一般化：{}（レベル{level}）", hierarchy.describe_level_ja(*level)),
            },
            Action::Mask { keep_first, keep_last, .. } => {
                format!("マスキング（先頭{keep_first}文字と末尾{keep_last}文字以外を伏せ字）")
            }
            Action::TopBottomCode { top, bottom } => {
                let ja = |c: &Option<Cap>| match c {
                    None => "なし".to_string(),
                    Some(Cap::Auto) => "自動（k人以上が共有する値）".into(),
                    Some(Cap::At(v)) => v.to_string(),
                };
                format!("トップ・ボトムコーディング（上限{}、下限{}）", ja(top), ja(bottom))
            }
            Action::SuppressRare { min_count } => format!("出現数が{min_count}未満の値を欠損に（セル秘匿）"),
            Action::Scrub { .. } => {
                "自由記述から氏名・電話番号・番号・郵便番号・住所・日付・メールアドレス等を除去".into()
            }
            Action::Perturb(p) => p.describe_ja(),
        }
    }

    /// Human description in English; `chosen` is the level a search chose, if any.
    pub fn describe_chosen(&self, chosen: Option<u32>) -> String {
        match (self, chosen) {
            (Action::Generalize { hierarchy, level, max_level }, Some(l)) if max_level > level => format!(
                "{} hierarchy, level {l} (chosen by the search from levels {level} to {max_level}): {}",
                hierarchy.name(),
                hierarchy.describe_level(l)
            ),
            _ => self.describe(),
        }
    }

    /// Human description for reports ("level 2: year").
    pub fn describe(&self) -> String {
        match self {
            Action::Drop => "deleted".into(),
            Action::Keep => "kept".into(),
            Action::Pseudonymize { length } => {
                format!("HMAC-SHA-256 code, {length} hex characters")
            }
            Action::Generalize { hierarchy, level, max_level } if max_level > level => {
                format!("{} hierarchy, level chosen by the search from levels {level} to {max_level}", hierarchy.name())
            }
            Action::Generalize { hierarchy, level, .. } => {
                format!("{} hierarchy, level {level}: {}", hierarchy.name(), hierarchy.describe_level(*level))
            }
            Action::Mask { keep_first, keep_last, .. } => {
                format!("masked except first {keep_first} and last {keep_last} characters")
            }
            Action::TopBottomCode { top, bottom } => {
                let en = |c: &Option<Cap>| match c {
                    None => "none".to_string(),
                    Some(Cap::Auto) => "auto (a value k people share)".into(),
                    Some(Cap::At(v)) => v.to_string(),
                };
                format!("top code {}, bottom code {}", en(top), en(bottom))
            }
            Action::SuppressRare { min_count } => {
                format!("values seen fewer than {min_count} times suppressed")
            }
            Action::Scrub { .. } => {
                "free text with names, phone numbers, long numbers, postal codes, addresses, dates and e-mail addresses removed".into()
            }
            Action::Perturb(p) => p.describe(),
        }
    }
}

/// One validated column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnPlan {
    /// Input column name.
    pub name: String,
    /// Position in the input.
    pub input_index: usize,
    /// Role.
    pub role: Role,
    /// Type of input values.
    pub ty: ValueType,
    /// Apply NFKC before anything else.
    pub nfkc: bool,
    /// Action.
    pub action: Action,
    /// Output column name, `None` when dropped.
    pub output: Option<String>,
    /// Description for the data dictionary.
    pub description: Option<String>,
    /// Distinct l-diversity required of this sensitive column (column `l`, else `[privacy] l`).
    pub l: Option<u32>,
    /// Why the column's `l` waives or lowers `[privacy] l` (the rules must say).
    pub l_reason: Option<String>,
    /// Weight in the search's quality model.
    pub weight: f64,
    /// Line of the column's rule in the rule file (1-based; 0 when unknown), for messages.
    pub line: usize,
    /// Further input columns read with this one (`with` of a composite pseudonym), by position.
    pub extra_inputs: Vec<usize>,
    /// The item's legal category for leak incidents (要配慮 / 条例要配慮), if the rules mark one.
    pub special_care: Option<SpecialCare>,
    /// Every value a text column may hold, as the rules list them (`values` of `keep` and
    /// `suppress_rare`): a value outside the list is malformed. `None`: any value.
    pub values: Option<Vec<String>>,
}

/// A legal category of personal information that makes a leak reportable whatever its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SpecialCare {
    /// 要配慮個人情報 (法2条3項: race, creed, social status, medical history, criminal record...).
    #[serde(rename = "要配慮")]
    Sensitive,
    /// 条例要配慮個人情報 (法60条5項: defined by the municipality's ordinance).
    #[serde(rename = "条例要配慮")]
    Ordinance,
}

impl SpecialCare {
    /// Parse the rule-file word (`要配慮`, `条例要配慮`, or `sensitive`, `ordinance`).
    pub fn parse(s: &str) -> Option<SpecialCare> {
        match s.trim() {
            "要配慮" | "要配慮個人情報" | "sensitive" => Some(SpecialCare::Sensitive),
            "条例要配慮" | "条例要配慮個人情報" | "ordinance" => Some(SpecialCare::Ordinance),
            _ => None,
        }
    }

    /// Its Japanese name.
    pub fn label(self) -> &'static str {
        match self {
            SpecialCare::Sensitive => "要配慮個人情報",
            SpecialCare::Ordinance => "条例要配慮個人情報",
        }
    }
}

impl ColumnPlan {
    /// Whether the column's values are dictionary-encoded over the whole dataset: those that
    /// must be counted (privacy key, sensitive attribute, rare-value suppression, and kept
    /// categories, whose rare values standard 4 suppresses, and top/bottom-coded numbers, whose
    /// ends standard 4 counts in the release), and generalised ones, whose few labels repeat on
    /// every row (a code per row instead of the label's text in the spill).
    pub fn is_global(&self) -> bool {
        self.is_privacy_key()
            || (self.output.is_some()
                && (self.role == Role::Sensitive
                    || matches!(
                        self.action,
                        Action::SuppressRare { .. }
                            | Action::Generalize { .. }
                            | Action::Keep
                            | Action::TopBottomCode { .. }
                            | Action::Perturb(_)
                    )))
    }

    /// The perturbative technique applied to the column, if any.
    pub fn perturbation(&self) -> Option<&Perturbation> {
        match &self.action {
            Action::Perturb(p) if self.output.is_some() => Some(p),
            _ => None,
        }
    }

    /// Whether the column is part of the k-anonymity key: a quasi-identifier, or a direct
    /// identifier that survives in part (generalised or masked), which is then at least as
    /// identifying as a quasi-identifier.
    pub fn is_privacy_key(&self) -> bool {
        self.output.is_some()
            && matches!(self.role, Role::QuasiIdentifier | Role::DirectIdentifier)
            && !matches!(self.action, Action::Scrub { .. })
    }
}

/// What to do with rows holding malformed values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OnMalformed {
    /// Stop with an error naming file, line and column.
    Error,
    /// Leave the row out and count it, failing when more than `max_rejected` are rejected.
    Reject {
        /// Largest share of input rows that may be rejected.
        max_rejected: f64,
    },
}

/// A `[privacy]` key of the rules themselves; the privacy models' own keys (`t`, `l_model`,
/// `beta`, ...) are defined with each model in [`tokumei_anon::models::MODELS`].
#[derive(Debug, Clone, Copy)]
pub struct PrivacyKey {
    /// The key as written.
    pub name: &'static str,
    /// Whether anonymized rules must set it.
    pub required: bool,
    /// What it means, for docs/rules.md.
    pub doc: &'static str,
}

/// The rules' own `[privacy]` keys.
pub const PRIVACY_KEYS: &[PrivacyKey] = &[
    PrivacyKey {
        name: "k",
        required: true,
        doc: "every combination of quasi-identifier values in the output is shared by at least k records (anonymized mode needs k >= 2)",
    },
    PrivacyKey {
        name: "l",
        required: false,
        doc: "l-diversity: every such class holds at least l different values of each sensitive column (a column's own `l` overrides it); `l_model` says which form",
    },
    PrivacyKey {
        name: "max_suppression",
        required: true,
        doc: "largest share of rows that may be suppressed to meet the privacy models; if more would be needed the job fails with exit 5 and writes nothing",
    },
    PrivacyKey {
        name: "search",
        required: false,
        doc: "`none` (default): each generalised column uses its `level`; `optimal`: tokumei chooses every generalised column's level between `min_level` and `max_level` (below)",
    },
    PrivacyKey {
        name: "quality",
        required: false,
        doc: "with `search = \"optimal\"`, the information loss minimised (the measures follow)",
    },
    PrivacyKey {
        name: "local_recoding",
        required: false,
        doc: "with the search: `compare` also partitions the data by Mondrian local recoding (cutting only where both halves meet every per-class model) and reports its information loss next to the global optimum, the output staying the global optimum; `apply` writes the local recoding instead (each class shows its quasi-identifiers at the lowest level where its values agree, so one column mixes levels, e.g. `23` and `20-29`); every privacy model is then enforced on the result as usual",
    },
];

/// Every `[privacy]` key with its meaning, in the order docs/rules.md lists them: the sizes
/// (k, l, the suppression limit), then each privacy model's keys, then the search's.
/// The quality key's meaning lists every measure with its own documentation.
pub fn privacy_key_docs() -> Vec<(&'static str, String)> {
    let (sizes, search) = PRIVACY_KEYS.split_at(3);
    let doc = |k: &PrivacyKey| match k.name {
        "quality" => {
            let measures: Vec<String> = tokumei_anon::Quality::all()
                .enumerate()
                .map(|(i, q)| {
                    format!("`{}`{}: {}", q.name(), if i == 0 { " (default)" } else { "" }, q.measure().doc())
                })
                .collect();
            format!("with `search = \"optimal\"`, the information loss minimised: {}", measures.join("; "))
        }
        _ => k.doc.to_string(),
    };
    sizes
        .iter()
        .map(|k| (k.name, doc(k)))
        .chain(tokumei_anon::models::MODELS.iter().flat_map(|d| d.keys.iter().map(|k| (k.name, k.doc.to_string()))))
        .chain(search.iter().map(|k| (k.name, doc(k))))
        .collect()
}

/// Privacy models enforced on the output.
#[derive(Debug, Clone, PartialEq)]
pub struct Privacy {
    /// k of k-anonymity.
    pub k: u32,
    /// The l of every sensitive column without its own.
    pub l: Option<u32>,
    /// Largest share of rows that may be suppressed.
    pub max_suppression: f64,
    /// Search the generalisation levels (`search = "optimal"`).
    pub search: bool,
    /// Information-loss measure the search minimises.
    pub quality: tokumei_anon::Quality,
    /// Mondrian local recoding: none, compared in the report, or applied to the output.
    pub local_recoding: LocalRecoding,
    /// The privacy models' keys that are set, validated against each key's kind.
    pub model_settings: BTreeMap<String, tokumei_anon::models::Value>,
}

impl Privacy {
    /// A number-valued model key, e.g. `t`.
    pub fn number(&self, key: &str) -> Option<f64> {
        match self.model_settings.get(key) {
            Some(tokumei_anon::models::Value::Number(x)) => Some(*x),
            _ => None,
        }
    }

    /// The l-diversity form for reports: `distinct`, `entropy` or `recursive (c=...)`.
    pub fn l_model(&self) -> String {
        match (self.model_settings.get("l_model"), self.number("c")) {
            (Some(m), Some(c)) if m.to_string() == "recursive" => format!("recursive (c={c})"),
            (Some(m), _) => m.to_string(),
            (None, _) => "distinct".into(),
        }
    }
}

/// What to do with Mondrian local recoding (needs `search = "optimal"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalRecoding {
    /// Not run.
    None,
    /// Run and reported next to the global optimum; the output uses the global optimum.
    Compare,
    /// Applied to the output (each class at its own levels); the global optimum is reported.
    Apply,
}

/// A validated rule set bound to one input's columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Rule file.
    pub rules_path: PathBuf,
    /// SHA-256 of the rule file's bytes, or, when it names files (hierarchy files,
    /// dictionaries), of its bytes and theirs ([`crate::rules_digest`]).
    pub rules_sha256: String,
    /// Dataset name.
    pub dataset: String,
    /// Description.
    pub description: Option<String>,
    /// Mode.
    pub mode: Mode,
    /// Subject identifier column (input name).
    pub subject: Option<String>,
    /// Malformed-row policy.
    pub on_malformed: OnMalformed,
    /// Write rows in a random order per release, so row order links nothing (neighbours in the
    /// input, e.g. one household, are not neighbours in the output).
    pub shuffle: bool,
    /// Fingerprint the release (a column reordered within classes, for leak tracing): `None`
    /// leaves it to the run (releases under a contract, anonymized mode).
    pub fingerprint: Option<bool>,
    /// The output column the fingerprint reorders (default: chosen by the run).
    pub fingerprint_column: Option<String>,
    /// Privacy models.
    pub privacy: Privacy,
    /// Columns in rule-file order (also the output order).
    pub columns: Vec<ColumnPlan>,
}

impl Plan {
    /// Columns that appear in the output.
    pub fn output_columns(&self) -> impl Iterator<Item = &ColumnPlan> {
        self.columns.iter().filter(|c| c.output.is_some())
    }
    /// Columns in the k-anonymity key (see [`ColumnPlan::is_privacy_key`]).
    pub fn quasi_identifiers(&self) -> Vec<&ColumnPlan> {
        self.columns.iter().filter(|c| c.is_privacy_key()).collect()
    }
    /// Output columns that are sensitive.
    pub fn sensitive(&self) -> Vec<&ColumnPlan> {
        self.output_columns().filter(|c| c.role == Role::Sensitive).collect()
    }

    /// The privacy models the rules ask for; sensitive columns are referred to by their index
    /// in [`Plan::sensitive`].
    pub fn models(&self) -> Result<Vec<tokumei_anon::Model>, Vec<tokumei_anon::models::SettingError>> {
        let sensitive: Vec<tokumei_anon::models::Sensitive> = self
            .sensitive()
            .iter()
            .map(|c| tokumei_anon::models::Sensitive { name: c.output.clone().unwrap_or_default(), l: c.l })
            .collect();
        tokumei_anon::models::build(&tokumei_anon::models::Settings {
            values: &self.privacy.model_settings,
            k: self.privacy.k,
            sensitive: &sensitive,
        })
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
