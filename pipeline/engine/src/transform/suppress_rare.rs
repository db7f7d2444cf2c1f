//! `suppress_rare`: the value as its type; values seen fewer than `min_count` times in the
//! output are replaced by null once all rows are counted.

use super::ColumnTransform;
use crate::cell::{Cell, Malformed, arrow_type, typed};
use arrow::datatypes::DataType;
use tokumei_rules::{ColumnPlan, ValueType};

pub struct SuppressRare {
    ty: ValueType,
    nfkc: bool,
    min_count: u32,
}

impl SuppressRare {
    pub fn new(col: &ColumnPlan, min_count: u32) -> Self {
        SuppressRare { ty: col.ty, nfkc: col.nfkc, min_count }
    }
}

impl ColumnTransform for SuppressRare {
    fn output_type(&self) -> DataType {
        arrow_type(self.ty)
    }
    fn apply(&self, value: Option<&str>) -> Result<Cell, Malformed> {
        value.map_or(Ok(Cell::Null), |v| typed(self.ty, v, self.nfkc))
    }
    fn min_count(&self) -> Option<u32> {
        Some(self.min_count)
    }
}
