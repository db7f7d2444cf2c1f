//! 住所: full address, 都道府県+市区町村, 都道府県, region (地方), `*`.

use super::{LabelContext, Levels};

/// The address hierarchy.
pub(super) struct Address;

impl Levels for Address {
    fn name(&self) -> String {
        "address".into()
    }
    fn max_level(&self) -> u32 {
        4
    }
    fn describe(&self, level: u32) -> String {
        ["full address", "都道府県+市区町村", "都道府県", "region (地方)"][level as usize].into()
    }
    fn describe_ja(&self, level: u32) -> String {
        ["住所全体", "都道府県＋市区町村", "都道府県", "地方"][level as usize].into()
    }
    fn label(&self, v: &str, level: u32, _: &LabelContext) -> Result<String, &'static str> {
        let pref = tokumei_jp::prefecture_of_address(v).ok_or("address does not start with a prefecture")?;
        Ok(match level {
            0 => v.to_string(),
            1 => tokumei_jp::municipality_of_address(v).ok_or("address has no recognisable 市区町村")?,
            _ => of_prefecture(pref, level),
        })
    }
    /// From the prefecture level up, the label is the prefecture's: when the raw value starts
    /// with a prefecture name, NFKC cannot change it (the names are NFKC-stable ideographs that
    /// nothing after them combines with), so the address is not normalised at all.
    fn label_unnormalised(&self, v: &str, level: u32, _: &LabelContext) -> Option<String> {
        if level < 2 {
            return None;
        }
        tokumei_jp::prefecture_of_address(v).map(|pref| of_prefecture(pref, level))
    }
    fn labels(&self, level: u32) -> Option<Vec<String>> {
        match level {
            0 | 1 => None,
            2 | 3 => Some(super::place_labels(level == 3)),
            _ => Some(vec!["*".into()]),
        }
    }
}

/// The label at `level` (2 or more) of an address in prefecture `pref`.
fn of_prefecture(pref: &str, level: u32) -> String {
    match level {
        2 => pref.to_string(),
        3 => tokumei_jp::place::prefecture_code(pref)
            .and_then(tokumei_jp::place::region_of_prefecture)
            .unwrap_or("?")
            .to_string(),
        _ => "*".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hierarchy::Levels;

    proptest::proptest! {
        /// The shortcut gives the label of the normalised value whenever it answers.
        #[test]
        fn labels_without_normalising_are_those_of_the_normalised_value(
            p in 0usize..47,
            lead in "[ 　\u{00A0}\u{3000}]{0,2}",
            tail in "[0-9０-９ａ-ｚ一-龥ｱ-ﾝﾞﾟ\u{0301}\u{3099}\u{309A}\u{FF70}㍻㈱①－ー 　-]{0,10}",
            odd in proptest::option::of("[\u{F900}-\u{F90F}ｱ-ﾝ０-９\u{0301}]"),
            level in 0u32..5,
        ) {
            let cx = LabelContext { ty: tokumei_rules_value_type(), reference: tokumei_jp::Date::new(2026, 4, 1).unwrap() };
            let name = tokumei_jp::place::PREFECTURES[p];
            let raw = format!("{lead}{}{name}{tail}", odd.unwrap_or_default());
            let normalised = tokumei_jp::nfkc(&raw);
            let full = Address.label(normalised.trim(), level, &cx);
            if let Some(fast) = Address.label_unnormalised(raw.trim(), level, &cx) {
                proptest::prop_assert_eq!(Ok(fast), full, "{:?} at level {}", raw, level);
            }
        }
    }

    fn tokumei_rules_value_type() -> crate::ValueType {
        crate::ValueType::String
    }
}
