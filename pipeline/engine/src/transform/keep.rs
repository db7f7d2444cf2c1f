//! `keep`: the value as its declared type (after optional NFKC).

use super::{ColumnTransform, Values};
use crate::cell::{Cell, Malformed, arrow_type, typed};
use arrow::datatypes::DataType;
use tokumei_rules::{ColumnPlan, ValueType};

pub struct Keep {
    ty: ValueType,
    nfkc: bool,
    values: Option<Values>,
}

impl Keep {
    pub fn new(col: &ColumnPlan) -> Self {
        Keep { ty: col.ty, nfkc: col.nfkc, values: Values::of(col) }
    }
}

impl ColumnTransform for Keep {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokumei_rules::{Action, Role};

    /// A kept column's declared values are compared with the value as released (after NFKC
    /// when the column normalises); a missing value is no value; anything else is malformed.
    #[test]
    fn a_value_outside_the_declared_values_is_malformed() {
        let col = |nfkc: bool| ColumnPlan {
            nfkc,
            values: Some(vec!["なし".into(), "要介護１".into()]),
            ..super::super::test_column("要介護度", Role::Sensitive, Action::Keep)
        };
        let t = Keep::new(&col(true));
        assert_eq!(t.apply(Some("要介護1")), Ok(Cell::str("要介護1")));
        assert_eq!(t.apply(Some("要介護１")), Ok(Cell::str("要介護1")));
        assert_eq!(t.apply(Some("なし")), Ok(Cell::str("なし")));
        assert_eq!(t.apply(None), Ok(Cell::Null));
        let e = t.apply(Some("要介護6")).unwrap_err();
        assert!(e.0.contains("`values`") && !e.0.contains("要介護6"), "{e:?}");
        let raw = Keep::new(&col(false));
        assert!(raw.apply(Some("要介護1")).is_err() && raw.apply(Some("要介護１")).is_ok());
        let texts: std::collections::BTreeSet<&str> = t.values().unwrap().texts().collect();
        assert_eq!(texts, ["なし", "要介護1"].into_iter().collect());
    }
}
