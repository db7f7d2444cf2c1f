//! Age in completed years (from a birth date at the job's reference date, or an integer age),
//! top-coded at `top` (`90+`), then bands of the given widths, then `*`.

use super::{BoundKind, LabelContext, Levels};
use crate::plan::ValueType;

/// The age hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Age {
    /// Band width per level above 0, each a multiple of the previous.
    pub bands: Vec<u32>,
    /// Ages at or above this are one value `top+`.
    pub top: u32,
}

impl Levels for Age {
    fn name(&self) -> String {
        "age".into()
    }
    fn max_level(&self) -> u32 {
        self.bands.len() as u32 + 1
    }
    fn describe(&self, level: u32) -> String {
        let top = self.top;
        match level {
            0 => format!("age in years, top-coded {top}+"),
            l => format!("{}-year bands, top-coded {top}+", self.bands[l as usize - 1]),
        }
    }
    fn describe_ja(&self, level: u32) -> String {
        let top = self.top;
        match level {
            0 => format!("年齢（1歳刻み、{top}歳以上は一括）"),
            l => format!("{}歳階級（{top}歳以上は一括）", self.bands[l as usize - 1]),
        }
    }
    fn default_type(&self) -> ValueType {
        ValueType::Date
    }
    fn accepts(&self, ty: ValueType) -> bool {
        matches!(ty, ValueType::Date | ValueType::Integer)
    }
    fn label(&self, v: &str, level: u32, cx: &LabelContext) -> Result<String, &'static str> {
        let age = match cx.ty {
            ValueType::Integer => tokumei_jp::parse_int(v)?,
            _ => {
                let born = tokumei_jp::parse_date(v).ok_or(super::date::NOT_A_DATE)?;
                let age = born.age_on(cx.reference);
                if age < 0 {
                    return Err("birth date is after the reference date");
                }
                age as i64
            }
        };
        if !(0..=150).contains(&age) {
            return Err("age is outside 0..=150");
        }
        if level >= self.max_level() {
            return Ok("*".into());
        }
        let top = self.top as i64;
        if age >= top {
            return Ok(format!("{top}+"));
        }
        if level == 0 {
            return Ok(age.to_string());
        }
        let w = self.bands[level as usize - 1] as i64;
        let lo = age / w * w;
        let hi = (lo + w - 1).min(top - 1);
        Ok(format!("{lo}-{hi}"))
    }
    fn bound_kind(&self) -> Option<BoundKind> {
        Some(BoundKind::Int)
    }
}
