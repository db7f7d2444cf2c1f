//! `mask`: every character replaced by the mask character except the first `keep_first`,
//! the last `keep_last` and those in `preserve` (e.g. `090-****-****`).

use super::{ColumnTransform, normalized};
use crate::cell::{Cell, Malformed};
use arrow::datatypes::DataType;
use tokumei_rules::{Action, ColumnPlan};

pub struct Mask {
    keep_first: usize,
    keep_last: usize,
    mask_char: char,
    preserve: Vec<char>,
    nfkc: bool,
}

impl Mask {
    pub fn new(col: &ColumnPlan) -> Self {
        let Action::Mask { keep_first, keep_last, mask_char, preserve } = &col.action else {
            unreachable!("registry passes mask plans only")
        };
        Mask {
            keep_first: *keep_first as usize,
            keep_last: *keep_last as usize,
            mask_char: *mask_char,
            preserve: preserve.chars().collect(),
            nfkc: col.nfkc,
        }
    }
}

impl ColumnTransform for Mask {
    fn output_type(&self) -> DataType {
        DataType::Utf8
    }
    fn apply(&self, value: Option<&str>) -> Result<Cell, Malformed> {
        let Some(v) = value else {
            return Ok(Cell::Null);
        };
        let v = normalized(self.nfkc, v);
        let n = v.chars().count();
        let out: String = v
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i < self.keep_first || i + self.keep_last >= n || self.preserve.contains(&c) {
                    c
                } else {
                    self.mask_char
                }
            })
            .collect();
        Ok(Cell::str(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokumei_rules::Role;

    #[test]
    fn masks_phone() {
        let mask = Action::Mask { keep_first: 3, keep_last: 0, mask_char: '*', preserve: "-".into() };
        let col = super::super::test_column("電話番号", Role::DirectIdentifier, mask);
        let m = Mask::new(&col);
        assert_eq!(m.apply(Some("090-1234-5678")), Ok(Cell::str("090-****-****")));
        assert_eq!(m.apply(Some("０９０－１２３４－５６７８")), Ok(Cell::str("090-****-****")));
    }
}
