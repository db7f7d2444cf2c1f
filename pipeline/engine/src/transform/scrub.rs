//! `scrub`: free text whose identifying descriptions are removed. Pass 1 keeps the text (the
//! names of the whole file are not known yet); pass 2 scrubs it with every name of the file
//! ([`crate::scrub::Scrubber`]) before it is written.

use super::ColumnTransform;
use crate::cell::{Cell, Malformed};
use arrow::datatypes::DataType;

/// The scrub transform.
pub struct Scrub;

impl ColumnTransform for Scrub {
    fn output_type(&self) -> DataType {
        DataType::Utf8
    }
    fn apply(&self, value: Option<&str>) -> Result<Cell, Malformed> {
        Ok(match value {
            None => Cell::Null,
            Some(v) => Cell::str(tokumei_jp::nfkc(v).as_ref()),
        })
    }
    fn is_scrub(&self) -> bool {
        true
    }
}
