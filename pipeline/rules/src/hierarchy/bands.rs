//! Integers: the exact value (top/bottom coded), then bands of the given widths, then `*`.

use super::{BoundKind, LabelContext, Levels};
use crate::plan::ValueType;

/// The bands hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bands {
    /// Band width per level above 0.
    pub widths: Vec<i64>,
    /// Values at or above this become one band `top+`.
    pub top: Option<i64>,
    /// Values below this become one band `<bottom`.
    pub bottom: Option<i64>,
}

impl Levels for Bands {
    fn name(&self) -> String {
        "bands".into()
    }
    fn max_level(&self) -> u32 {
        self.widths.len() as u32 + 1
    }
    fn describe(&self, level: u32) -> String {
        let mut s = match level {
            0 => "exact value".to_string(),
            l => format!("bands of {}", self.widths[l as usize - 1]),
        };
        if let Some(t) = self.top {
            s.push_str(&format!(", top-coded {t}+"));
        }
        if let Some(b) = self.bottom {
            s.push_str(&format!(", bottom-coded <{b}"));
        }
        s
    }
    fn describe_ja(&self, level: u32) -> String {
        let mut s = match level {
            0 => "値そのもの".to_string(),
            l => format!("幅{}の区間", self.widths[l as usize - 1]),
        };
        if let Some(t) = self.top {
            s.push_str(&format!("、{t}以上は一括"));
        }
        if let Some(b) = self.bottom {
            s.push_str(&format!("、{b}未満は一括"));
        }
        s
    }
    fn default_type(&self) -> ValueType {
        ValueType::Integer
    }
    fn accepts(&self, ty: ValueType) -> bool {
        ty == ValueType::Integer
    }
    fn label(&self, v: &str, level: u32, _: &LabelContext) -> Result<String, &'static str> {
        let n = tokumei_jp::parse_int(v)?;
        if level >= self.max_level() {
            return Ok("*".into());
        }
        if let Some(t) = self.top
            && n >= t
        {
            return Ok(format!("{t}+"));
        }
        if let Some(b) = self.bottom
            && n < b
        {
            return Ok(format!("<{b}"));
        }
        if level == 0 {
            return Ok(n.to_string());
        }
        // In i128, so bands at the ends of the i64 range neither overflow nor wrap; a band is
        // cut at the range's ends.
        let w = i128::from(self.widths[level as usize - 1]);
        let lo = i128::from(n).div_euclid(w) * w;
        let mut hi = lo + w - 1;
        if let Some(t) = self.top {
            hi = hi.min(i128::from(t) - 1);
        }
        let (lo, hi) = (lo.max(i128::from(i64::MIN)), hi.min(i128::from(i64::MAX)));
        Ok(format!("{lo}-{hi}"))
    }
    fn bound_kind(&self) -> Option<BoundKind> {
        Some(BoundKind::Int)
    }
}
