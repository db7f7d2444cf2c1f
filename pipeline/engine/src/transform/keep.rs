//! `keep`: the value as its declared type (after optional NFKC).

use super::ColumnTransform;
use crate::cell::{Cell, Malformed, arrow_type, typed};
use arrow::datatypes::DataType;
use tokumei_rules::{ColumnPlan, ValueType};

pub struct Keep {
    ty: ValueType,
    nfkc: bool,
}

impl Keep {
    pub fn new(col: &ColumnPlan) -> Self {
        Keep { ty: col.ty, nfkc: col.nfkc }
    }
}

impl ColumnTransform for Keep {
    fn output_type(&self) -> DataType {
        arrow_type(self.ty)
    }
    fn apply(&self, value: Option<&str>) -> Result<Cell, Malformed> {
        value.map_or(Ok(Cell::Null), |v| typed(self.ty, v, self.nfkc))
    }
}
