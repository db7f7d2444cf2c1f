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
            2 => pref.to_string(),
            3 => tokumei_jp::place::prefecture_code(pref)
                .and_then(tokumei_jp::place::region_of_prefecture)
                .unwrap_or("?")
                .to_string(),
            _ => "*".into(),
        })
    }
}
