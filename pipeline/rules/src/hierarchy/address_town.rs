//! 住所 below the municipality: full address, 丁目 (小字, 地割), 町字, ward (政令市の区), 市区町村,
//! 都道府県, region (地方), `*`. For an extract of one city, where every level of `address` is one
//! value, this hierarchy keeps the area inside the city.

use super::{LabelContext, Levels};
use tokumei_jp::ParsedAddress;

/// The address hierarchy with levels below the municipality.
pub(super) struct AddressTown;

/// Level of the 町字 (the level an extract of one city is released at under k-anonymity).
pub const TOWN_LEVEL: u32 = 2;

impl Levels for AddressTown {
    fn name(&self) -> String {
        "address_town".into()
    }
    fn max_level(&self) -> u32 {
        7
    }
    fn describe(&self, level: u32) -> String {
        [
            "full address",
            "丁目 (or 小字, 地割)",
            "町字 (大字・町)",
            "市区町村 (a designated city's ward)",
            "都道府県+市区町村",
            "都道府県",
            "region (地方)",
        ][level as usize]
            .into()
    }
    fn describe_ja(&self, level: u32) -> String {
        [
            "住所全体",
            "丁目・小字まで",
            "町字（大字・町）まで",
            "市区町村（政令市は区）",
            "都道府県＋市区町村",
            "都道府県",
            "地方",
        ][level as usize]
            .into()
    }
    /// The address must read (prefecture, municipality of the built-in list, a 町字 that is a
    /// place name) at every level, so which rows are malformed never depends on the level.
    fn label(&self, v: &str, level: u32, _: &LabelContext) -> Result<String, &'static str> {
        let p = tokumei_jp::parse_address(v).map_err(|e| e.reason())?;
        Ok(label_of(v, &p, level))
    }
    fn labels(&self, level: u32) -> Option<Vec<String>> {
        match level {
            0..=4 => None,
            5 | 6 => Some(super::place_labels(level == 6)),
            _ => Some(vec!["*".into()]),
        }
    }
}

/// The label at `level` of address `v`, read as `p`.
fn label_of(v: &str, p: &ParsedAddress, level: u32) -> String {
    match level {
        0 => v.to_string(),
        1 => p.block_label(),
        2 => p.town_label(),
        3 => p.ward_label(),
        4 => p.municipality_label(),
        5 => p.prefecture().to_string(),
        6 => tokumei_jp::place::prefecture_code(p.prefecture())
            .and_then(tokumei_jp::place::region_of_prefecture)
            .unwrap_or("?")
            .to_string(),
        _ => "*".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> LabelContext {
        LabelContext { ty: crate::ValueType::String, reference: tokumei_jp::Date::new(2026, 4, 1).unwrap() }
    }

    #[test]
    fn every_level_of_real_addresses() {
        let l = |v: &str| (0..=7).map(|k| AddressTown.label(v, k, &cx()).unwrap()).collect::<Vec<_>>();
        assert_eq!(
            l("北海道札幌市中央区北1条西2丁目1-1"),
            [
                "北海道札幌市中央区北1条西2丁目1-1",
                "北海道札幌市中央区北一条西二丁目",
                "北海道札幌市中央区北一条西",
                "北海道札幌市中央区",
                "北海道札幌市",
                "北海道",
                "北海道地方",
                "*"
            ]
        );
        assert_eq!(
            l("京都府京都市中京区寺町通御池上る上本能寺前町488")[1..5],
            ["京都府京都市中京区上本能寺前町", "京都府京都市中京区上本能寺前町", "京都府京都市中京区", "京都府京都市"]
        );
        assert_eq!(l("茨城県つくば市大字上ノ室123番地")[2], "茨城県つくば市上ノ室");
        assert_eq!(l("東京都千代田区")[1..4], ["東京都千代田区", "東京都千代田区", "東京都千代田区"]);
        for bad in ["千代田区千代田1-1", "東京都", "東京都横浜市中区1", "東京都千代田区永田町山田様方"]
        {
            for k in 0..=7 {
                assert!(AddressTown.label(bad, k, &cx()).is_err(), "{bad} at {k}");
            }
        }
        assert_eq!(AddressTown.describe_ja(TOWN_LEVEL), "町字（大字・町）まで");
    }
}
