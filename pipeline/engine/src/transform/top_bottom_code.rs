//! `top_bottom_code`: integers capped to `[bottom, top]` (outliers, processing standard 4).

use super::ColumnTransform;
use crate::cell::{Cell, Malformed, parse_int};
use arrow::datatypes::DataType;

pub struct TopBottomCode {
    top: Option<i64>,
    bottom: Option<i64>,
}

impl TopBottomCode {
    pub fn new(top: Option<i64>, bottom: Option<i64>) -> Self {
        TopBottomCode { top, bottom }
    }
}

impl ColumnTransform for TopBottomCode {
    fn output_type(&self) -> DataType {
        DataType::Int64
    }
    fn apply(&self, value: Option<&str>) -> Result<Cell, Malformed> {
        let Some(v) = value else {
            return Ok(Cell::Null);
        };
        let mut n = parse_int(v)?;
        if let Some(t) = self.top {
            n = n.min(t);
        }
        if let Some(b) = self.bottom {
            n = n.max(b);
        }
        Ok(Cell::Int(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps() {
        let t = TopBottomCode::new(Some(100), Some(0));
        assert_eq!(t.apply(Some("150")), Ok(Cell::Int(100)));
        assert_eq!(t.apply(Some("-3")), Ok(Cell::Int(0)));
        assert_eq!(t.apply(Some("42")), Ok(Cell::Int(42)));
        assert_eq!(t.apply(None), Ok(Cell::Null));
        assert!(t.apply(Some("x")).is_err());
    }
}
