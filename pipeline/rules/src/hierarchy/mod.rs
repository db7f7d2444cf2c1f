//! Generalisation hierarchies, one file each: its levels, what each level is called (English
//! and Japanese), the label of a value at a level, which value types it takes and, for ordered
//! hierarchies, the range a label stands for. Rule validation, the transform, the optimal
//! search's code maps, the t-closeness value tree, the reports and the data dictionary all ask
//! the hierarchy through [`Levels`], so a hierarchy is described in one place.
//!
//! Level 0 is the (canonical) original value; the highest level is `*` (everything suppressed).

mod address;
mod address_town;
mod age;
mod bands;
mod bounds;
mod date;
mod file;
mod municipality_code;
mod postal_code;

pub use address_town::TOWN_LEVEL as ADDRESS_TOWN_LEVEL;
pub use age::Age;
pub use bands::Bands;
pub use bounds::{BoundKind, Bounds};
pub use file::CustomHierarchy;

use crate::plan::ValueType;

/// The built-in hierarchies' names in rule files.
pub const BUILT_IN: &[&str] = &["age", "date", "postal_code", "municipality_code", "address", "address_town", "bands"];

/// What labelling a value may depend on besides the value.
#[derive(Debug, Clone, Copy)]
pub struct LabelContext {
    /// The column's value type (an age hierarchy takes a birth date or an integer age).
    pub ty: ValueType,
    /// The job's reference date (ages are computed at it).
    pub reference: tokumei_jp::Date,
}

/// One hierarchy's behaviour.
pub trait Levels {
    /// Short name for reports, e.g. `age`.
    fn name(&self) -> String;
    /// Highest level (the `*` level).
    fn max_level(&self) -> u32;
    /// A level below the top, in English, e.g. `5-year bands, top-coded 90+`.
    fn describe(&self, level: u32) -> String;
    /// A level below the top, in Japanese.
    fn describe_ja(&self, level: u32) -> String;
    /// The value type of a column that does not name one.
    fn default_type(&self) -> ValueType {
        ValueType::String
    }
    /// Whether a column of type `ty` can use the hierarchy.
    fn accepts(&self, ty: ValueType) -> bool {
        ty == ValueType::String
    }
    /// The label of `value` (normalised and trimmed) at `level`, or why the value is malformed
    /// (never quoting it). A value must be well-formed at every level, `*` included.
    fn label(&self, value: &str, level: u32, cx: &LabelContext) -> Result<String, &'static str>;
    /// The label at `level` of a value that is trimmed but not NFKC-normalised, when the
    /// hierarchy can tell that normalising would not change it (e.g. an address's region
    /// depends only on a prefecture name, which NFKC leaves alone); `None`: normalise, then
    /// [`Levels::label`]. Never a different label than that path would give.
    fn label_unnormalised(&self, _value: &str, _level: u32, _cx: &LabelContext) -> Option<String> {
        None
    }
    /// The kind of range the labels stand for, if they are ordered.
    fn bound_kind(&self) -> Option<BoundKind> {
        None
    }
    /// Every label a value can have at `level`, when the hierarchy can list them (the `*`
    /// level always; the levels of prefectures and regions; every level of a file); `None`:
    /// they depend on the values (ages, addresses, codes).
    fn labels(&self, level: u32) -> Option<Vec<String>> {
        (level >= self.max_level()).then(|| vec!["*".to_string()])
    }
}

/// The prefectures' names, or the regions' (地方) with `?` (a prefecture of none): the labels
/// of the built-in place hierarchies' prefecture and region levels.
fn place_labels(regions: bool) -> Vec<String> {
    if regions {
        tokumei_jp::place::REGIONS.iter().map(|(n, _)| n.to_string()).chain(["?".to_string()]).collect()
    } else {
        tokumei_jp::place::PREFECTURES.iter().map(|n| n.to_string()).collect()
    }
}

/// A generalisation hierarchy as the rules configure it.
#[derive(Debug, Clone, PartialEq)]
pub enum Hierarchy {
    /// Age in completed years, top-coded, then bands, then `*`.
    Age(Age),
    /// Dates: day, month, year, 5-year, decade, `*`.
    Date,
    /// 郵便番号: 7 digits, first 3 digits, `*`.
    PostalCode,
    /// 市区町村コード: 5-digit code, prefecture, region (地方), `*`.
    MunicipalityCode,
    /// 住所: full, 都道府県+市区町村, 都道府県, region (地方), `*`.
    Address,
    /// 住所 below the municipality: full, 丁目, 町字, ward, 市区町村, 都道府県, region, `*`.
    AddressTown,
    /// Integers: exact (top/bottom coded), then bands, then `*`.
    Bands(Bands),
    /// ARX-format hierarchy file.
    Custom(CustomHierarchy),
}

impl Hierarchy {
    /// The hierarchy's behaviour.
    pub fn levels(&self) -> &dyn Levels {
        match self {
            Hierarchy::Age(h) => h,
            Hierarchy::Date => &date::Dates,
            Hierarchy::PostalCode => &postal_code::PostalCode,
            Hierarchy::MunicipalityCode => &municipality_code::MunicipalityCode,
            Hierarchy::Address => &address::Address,
            Hierarchy::AddressTown => &address_town::AddressTown,
            Hierarchy::Bands(h) => h,
            Hierarchy::Custom(h) => h,
        }
    }

    /// A built-in hierarchy without options by its rule-file name.
    pub fn plain(name: &str) -> Option<Hierarchy> {
        match name {
            "date" => Some(Hierarchy::Date),
            "postal_code" => Some(Hierarchy::PostalCode),
            "municipality_code" => Some(Hierarchy::MunicipalityCode),
            "address" => Some(Hierarchy::Address),
            "address_town" => Some(Hierarchy::AddressTown),
            _ => None,
        }
    }

    /// Highest level (the `*` level).
    pub fn max_level(&self) -> u32 {
        self.levels().max_level()
    }

    /// Short name for reports.
    pub fn name(&self) -> String {
        self.levels().name()
    }

    /// Human description of a level, e.g. `5-year bands, top-coded 90+`.
    pub fn describe_level(&self, level: u32) -> String {
        if level >= self.max_level() { "suppressed (*)".into() } else { self.levels().describe(level) }
    }

    /// A level in Japanese, e.g. `10歳階級（90歳以上は一括）`.
    pub fn describe_level_ja(&self, level: u32) -> String {
        if level >= self.max_level() { "全て秘匿（*）".into() } else { self.levels().describe_ja(level) }
    }

    /// The label of `value` (normalised and trimmed) at `level`.
    pub fn label(&self, value: &str, level: u32, cx: &LabelContext) -> Result<String, &'static str> {
        self.levels().label(value, level, cx)
    }

    /// [`Levels::label_unnormalised`]: the label of a trimmed value that needs no NFKC first.
    pub fn label_unnormalised(&self, value: &str, level: u32, cx: &LabelContext) -> Option<String> {
        self.levels().label_unnormalised(value, level, cx)
    }

    /// The kind of range the labels stand for, if they are ordered.
    pub fn bound_kind(&self) -> Option<BoundKind> {
        self.levels().bound_kind()
    }

    /// [`Levels::labels`]: every label at `level`, when the hierarchy lists them.
    pub fn labels(&self, level: u32) -> Option<Vec<String>> {
        self.levels().labels(level)
    }

    /// The range `label` stands for (`None` if the hierarchy is not ordered or the label is
    /// not one of its labels).
    pub fn bounds_of(&self, label: &str) -> Option<Bounds> {
        bounds::of(self.bound_kind()?, label)
    }

    /// One row per value, its labels at levels `from..=to`: the hierarchy over the values
    /// present, from one raw value per code (`None`: a missing value, labelled `null_label`).
    pub fn rows<'a>(
        &self,
        values: impl IntoIterator<Item = Option<&'a str>>,
        from: u32,
        to: u32,
        null_label: &str,
        cx: &LabelContext,
    ) -> Result<Vec<Vec<String>>, &'static str> {
        values
            .into_iter()
            .map(|raw| {
                (from..=to)
                    .map(|level| match raw {
                        None => Ok(null_label.to_string()),
                        Some(v) => self.label(v, level, cx),
                    })
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every built-in hierarchy labels valid values at every level, `*` at the top, with
    /// fewer (or as many) distinct labels at each level up, and names every level.
    #[test]
    fn every_built_in_is_a_hierarchy_of_its_values() {
        let cx = |ty| LabelContext { ty, reference: tokumei_jp::Date::new(2026, 4, 1).unwrap() };
        let cases: Vec<(Hierarchy, ValueType, Vec<&str>)> = vec![
            (
                Hierarchy::Age(Age { bands: vec![5, 10, 20], top: 90 }),
                ValueType::Date,
                vec!["1985-04-01", "1990-12-31", "1930-01-01", "2020-02-29"],
            ),
            (Hierarchy::Age(Age { bands: vec![10], top: 80 }), ValueType::Integer, vec!["0", "17", "79", "95"]),
            (Hierarchy::Date, ValueType::Date, vec!["2001-01-01", "2001-05-31", "1999-12-31", "令和2年3月4日"]),
            (Hierarchy::PostalCode, ValueType::String, vec!["100-0001", "1000002", "7600001"]),
            (Hierarchy::MunicipalityCode, ValueType::String, vec!["13101", "131016", "37201"]),
            (Hierarchy::Address, ValueType::String, vec!["東京都千代田区千代田1-1", "香川県高松市番町1-1"]),
            (
                Hierarchy::AddressTown,
                ValueType::String,
                vec![
                    "東京都千代田区永田町1-7-1",
                    "東京都千代田区永田町二丁目3",
                    "東京都千代田区千代田1-1",
                    "北海道札幌市中央区北一条西二丁目",
                    "北海道札幌市北区北七条西5丁目",
                    "京都府京都市中京区寺町通御池上る上本能寺前町488",
                    "茨城県つくば市大字上ノ室123番地",
                    "香川県高松市番町1-1",
                ],
            ),
            (
                Hierarchy::Bands(Bands { widths: vec![10, 100], top: Some(500), bottom: Some(0) }),
                ValueType::Integer,
                vec!["-5", "0", "15", "250", "999"],
            ),
        ];
        for (h, ty, values) in cases {
            assert!(h.levels().accepts(ty), "{}", h.name());
            let max = h.max_level();
            let rows = h.rows(values.iter().map(|v| Some(*v)), 0, max, "null", &cx(ty)).unwrap();
            let mut distinct_before = usize::MAX;
            for level in 0..=max as usize {
                let labels: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[level].as_str()).collect();
                assert!(labels.len() <= distinct_before, "{} level {level}", h.name());
                distinct_before = labels.len();
                assert!(!h.describe_level(level as u32).is_empty() && !h.describe_level_ja(level as u32).is_empty());
            }
            assert!(rows.iter().all(|r| r[max as usize] == "*"), "{}", h.name());
            // Where the hierarchy lists a level's labels, every value's label is among them.
            for level in 0..=max {
                if let Some(listed) = h.labels(level) {
                    for r in &rows {
                        assert!(
                            listed.contains(&r[level as usize]),
                            "{} level {level}: {}",
                            h.name(),
                            r[level as usize]
                        );
                    }
                }
            }
            assert!(h.labels(max).is_some() && h.labels(0).is_none(), "{}", h.name());
            // A label stands for a range holding its value, where the hierarchy is ordered.
            if h.bound_kind().is_some() {
                for r in &rows {
                    for label in r {
                        assert!(h.bounds_of(label).is_some(), "{}: {label}", h.name());
                    }
                }
            }
            assert!(h.rows([None], 0, max, "null", &cx(ty)).unwrap()[0].iter().all(|l| l == "null"));
        }
    }
}
