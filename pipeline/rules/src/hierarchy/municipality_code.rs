//! 市区町村コード (地方公共団体コード): 5-digit code, prefecture, region (地方), `*`.

use super::{LabelContext, Levels};

/// The municipality-code hierarchy.
pub(super) struct MunicipalityCode;

impl Levels for MunicipalityCode {
    fn name(&self) -> String {
        "municipality_code".into()
    }
    fn max_level(&self) -> u32 {
        3
    }
    fn describe(&self, level: u32) -> String {
        ["municipality code", "prefecture", "region (地方)"][level as usize].into()
    }
    fn describe_ja(&self, level: u32) -> String {
        ["市区町村コード", "都道府県", "地方"][level as usize].into()
    }
    fn label(&self, v: &str, level: u32, _: &LabelContext) -> Result<String, &'static str> {
        if !tokumei_jp::is_valid_municipality_code(v) {
            return Err("is not a valid 地方公共団体コード (5 digits, or 6 with check digit)");
        }
        let pref: u32 = v[..2].parse().map_err(|_| "bad prefecture part")?;
        Ok(match level {
            0 => v[..5].to_string(),
            1 => tokumei_jp::place::prefecture_name(pref).unwrap_or("?").to_string(),
            2 => tokumei_jp::place::region_of_prefecture(pref).unwrap_or("?").to_string(),
            _ => "*".into(),
        })
    }
    fn labels(&self, level: u32) -> Option<Vec<String>> {
        match level {
            0 => None,
            1 => Some(super::place_labels(false).into_iter().chain(["?".to_string()]).collect()),
            2 => Some(super::place_labels(true)),
            _ => Some(vec!["*".into()]),
        }
    }
}
