//! 郵便番号: 7 digits (`100-0001`), first 3 digits, `*`.

use super::{LabelContext, Levels};

/// The postal-code hierarchy.
pub(super) struct PostalCode;

impl Levels for PostalCode {
    fn name(&self) -> String {
        "postal_code".into()
    }
    fn max_level(&self) -> u32 {
        2
    }
    fn describe(&self, level: u32) -> String {
        ["7 digits", "first 3 digits"][level as usize].into()
    }
    fn describe_ja(&self, level: u32) -> String {
        ["郵便番号7桁", "郵便番号上3桁"][level as usize].into()
    }
    fn label(&self, v: &str, level: u32, _: &LabelContext) -> Result<String, &'static str> {
        let p = tokumei_jp::normalize_postal_code(v).ok_or("is not a 7-digit postal code")?;
        Ok(match level {
            0 => format!("{}-{}", &p[..3], &p[3..]),
            1 => p[..3].to_string(),
            _ => "*".into(),
        })
    }
    fn labels(&self, level: u32) -> Option<Vec<String>> {
        match level {
            0 => None,
            1 => Some((0..1000).map(|n| format!("{n:03}")).collect()),
            _ => Some(vec!["*".into()]),
        }
    }
}
