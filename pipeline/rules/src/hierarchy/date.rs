//! Dates: day, month, year, 5-year, decade, `*`.

use super::{BoundKind, LabelContext, Levels};
use crate::plan::ValueType;

/// Why a value is not a date.
pub(super) const NOT_A_DATE: &str = "is not a valid date (ISO, slash or 和暦)";

/// The date hierarchy.
pub(super) struct Dates;

const EN: [&str; 5] = ["day", "month", "year", "5 years", "decade"];
const JA: [&str; 5] = ["日", "年月", "年", "5年単位", "10年単位"];

impl Levels for Dates {
    fn name(&self) -> String {
        "date".into()
    }
    fn max_level(&self) -> u32 {
        5
    }
    fn describe(&self, level: u32) -> String {
        EN[level as usize].into()
    }
    fn describe_ja(&self, level: u32) -> String {
        JA[level as usize].into()
    }
    fn default_type(&self) -> ValueType {
        ValueType::Date
    }
    fn accepts(&self, ty: ValueType) -> bool {
        ty == ValueType::Date
    }
    fn label(&self, v: &str, level: u32, _: &LabelContext) -> Result<String, &'static str> {
        let d = tokumei_jp::parse_date(v).ok_or(NOT_A_DATE)?;
        Ok(match level {
            0 => d.to_string(),
            1 => format!("{:04}-{:02}", d.year, d.month),
            2 => format!("{:04}", d.year),
            3 => {
                let lo = d.year.div_euclid(5) * 5;
                format!("{lo}-{}", lo + 4)
            }
            4 => {
                let lo = d.year.div_euclid(10) * 10;
                format!("{lo}-{}", lo + 9)
            }
            _ => "*".into(),
        })
    }
    fn bound_kind(&self) -> Option<BoundKind> {
        Some(BoundKind::Date)
    }
}
