//! `suppress_rare`: the value as its type; values seen fewer than `min_count` times in the
//! output are replaced by null once all rows are counted.

use super::{ColumnTransform, Values};
use crate::cell::{Cell, Malformed, arrow_type, typed};
use arrow::datatypes::DataType;
use tokumei_rules::{ColumnPlan, ValueType};

pub struct SuppressRare {
    ty: ValueType,
    nfkc: bool,
    values: Option<Values>,
    min_count: u32,
}

impl SuppressRare {
    pub fn new(col: &ColumnPlan, min_count: u32) -> Self {
        SuppressRare { ty: col.ty, nfkc: col.nfkc, values: Values::of(col), min_count }
    }
}

impl ColumnTransform for SuppressRare {
    fn output_type(&self) -> DataType {
        arrow_type(self.ty)
    }
    fn apply(&self, value: Option<&str>) -> Result<Cell, Malformed> {
        let cell = value.map_or(Ok(Cell::Null), |v| typed(self.ty, v, self.nfkc))?;
        match &self.values {
            Some(values) => values.check(cell),
            None => Ok(cell),
        }
    }
    fn values(&self) -> Option<&Values> {
        self.values.as_ref()
    }
    fn min_count(&self) -> Option<u32> {
        Some(self.min_count)
    }
}
