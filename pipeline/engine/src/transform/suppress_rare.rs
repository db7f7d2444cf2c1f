//! `suppress_rare`: the value as `keep` gives it; values seen fewer than `min_count` times in
//! the output are replaced by null once all rows are counted.

use super::keep::Keep;
use super::{ColumnTransform, Values};
use crate::cell::{Cell, Malformed};
use arrow::datatypes::DataType;
use tokumei_rules::ColumnPlan;

pub struct SuppressRare {
    keep: Keep,
    min_count: u32,
}

impl SuppressRare {
    pub fn new(col: &ColumnPlan, min_count: u32) -> Self {
        SuppressRare { keep: Keep::new(col), min_count }
    }
}

impl ColumnTransform for SuppressRare {
    fn output_type(&self) -> DataType {
        self.keep.output_type()
    }
    fn apply(&self, value: Option<&str>) -> Result<Cell, Malformed> {
        self.keep.apply(value)
    }
    fn min_count(&self) -> Option<u32> {
        Some(self.min_count)
    }
    fn values(&self) -> Option<&Values> {
        self.keep.values()
    }
}
