//! `generalize`: a value replaced by its label at a level of a hierarchy (built-in or an
//! ARX-format file). Level 0 is the canonical original; the top level is `*`.

use super::{ColumnTransform, Context, normalized};
use crate::cell::{Cell, Malformed};
use arrow::datatypes::DataType;
use tokumei_jp::Date;
use tokumei_rules::hierarchy::LabelContext;
pub use tokumei_rules::hierarchy::{BoundKind, Bounds};
use tokumei_rules::{ColumnPlan, Hierarchy, ValueType};

/// A hierarchy bound to a column's type and the job's reference date.
pub struct Generalize {
    hierarchy: Hierarchy,
    level: u32,
    ty: ValueType,
    nfkc: bool,
    reference: Date,
}

impl Generalize {
    /// For a column plan.
    pub fn new(col: &ColumnPlan, hierarchy: Hierarchy, level: u32, cx: &Context) -> Self {
        Generalize { hierarchy, level, ty: col.ty, nfkc: col.nfkc, reference: cx.reference_date }
    }

    /// The context labels depend on besides the value.
    fn label_context(&self) -> LabelContext {
        LabelContext { ty: self.ty, reference: self.reference }
    }

    /// The label of `value` at `level`.
    pub fn label_at(&self, value: &str, level: u32) -> Result<String, Malformed> {
        if self.nfkc
            && let Some(label) = self.hierarchy.label_unnormalised(value.trim(), level, &self.label_context())
        {
            return Ok(label);
        }
        let v = normalized(self.nfkc, value);
        self.hierarchy.label(v.trim(), level, &self.label_context()).map_err(Malformed::new)
    }

    /// The hierarchy over the values present: for each code's representative raw value (`None`
    /// for a missing value, labelled `null_label`), its labels at levels `from..=to`.
    pub fn rows(
        &self,
        representatives: &[Option<Box<str>>],
        from: u32,
        to: u32,
        null_label: &str,
    ) -> Result<Vec<Vec<String>>, Malformed> {
        let normalized: Vec<Option<std::borrow::Cow<str>>> =
            representatives.iter().map(|r| r.as_deref().map(|v| normalized(self.nfkc, v))).collect();
        self.hierarchy
            .rows(normalized.iter().map(|v| v.as_deref().map(str::trim)), from, to, null_label, &self.label_context())
            .map_err(Malformed::new)
    }
}

impl ColumnTransform for Generalize {
    fn output_type(&self) -> DataType {
        DataType::Utf8
    }
    fn apply(&self, value: Option<&str>) -> Result<Cell, Malformed> {
        match value {
            None => Ok(Cell::Null),
            Some(v) => self.label_at(v, self.level).map(Cell::str),
        }
    }
    fn generalizer(&self) -> Option<&Generalize> {
        Some(self)
    }
}

impl Generalize {
    /// The kind of range this hierarchy's labels stand for, if they are ordered: ages and bands
    /// (numbers), dates, and hierarchy files whose labels at every level are numbers, ranges
    /// `A-B`, `N+`, `<N` or `*`.
    pub fn bound_kind(&self) -> Option<BoundKind> {
        self.hierarchy.bound_kind()
    }

    /// The range `label` stands for (`None` if it is not one of this hierarchy's labels).
    pub fn bounds_of(&self, label: &str) -> Option<Bounds> {
        self.hierarchy.bounds_of(label)
    }

    /// The hierarchy.
    pub fn hierarchy(&self) -> &Hierarchy {
        &self.hierarchy
    }

    /// The level applied by `apply`.
    pub fn level(&self) -> u32 {
        self.level
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokumei_rules::{Action, Role};

    fn g(h: Hierarchy, ty: ValueType) -> Generalize {
        Generalize { hierarchy: h, level: 0, ty, nfkc: true, reference: Date::new(2026, 4, 1).unwrap() }
    }

    #[test]
    fn age_bands_with_top_code() {
        let a = g(Hierarchy::Age(tokumei_rules::hierarchy::Age { bands: vec![5, 10, 20], top: 90 }), ValueType::Date);
        assert_eq!(a.label_at("1985-04-01", 0).unwrap(), "41");
        assert_eq!(a.label_at("昭和60年4月2日", 0).unwrap(), "40");
        assert_eq!(a.label_at("1985-04-01", 1).unwrap(), "40-44");
        assert_eq!(a.label_at("1985-04-01", 3).unwrap(), "40-59");
        assert_eq!(a.label_at("1910-01-01", 1).unwrap(), "90+");
        assert_eq!(a.label_at("1940-01-01", 3).unwrap(), "80-89");
        assert_eq!(a.label_at("1985-04-01", 4).unwrap(), "*");
        assert!(a.label_at("2030-01-01", 1).is_err());
        assert!(a.label_at("1985-02-30", 1).is_err());
    }

    #[test]
    fn places() {
        let p = g(Hierarchy::PostalCode, ValueType::String);
        assert_eq!(p.label_at("１００－０００１", 1).unwrap(), "100");
        assert!(p.label_at("100-001", 1).is_err());
        let m = g(Hierarchy::MunicipalityCode, ValueType::String);
        assert_eq!(m.label_at("131016", 1).unwrap(), "東京都");
        assert_eq!(m.label_at("131016", 0).unwrap(), "13101");
        assert!(m.label_at("131017", 0).is_err());
        let a = g(Hierarchy::Address, ValueType::String);
        assert_eq!(a.label_at("東京都千代田区千代田１－１", 1).unwrap(), "東京都千代田区");
        assert_eq!(a.label_at("東京都千代田区千代田1-1", 2).unwrap(), "東京都");
        assert_eq!(a.label_at("香川県高松市番町1-1", 3).unwrap(), "四国地方");
        assert_eq!(m.label_at("131016", 2).unwrap(), "関東地方");
        assert!(a.label_at("千代田区千代田1-1", 2).is_err());
    }

    proptest::proptest! {
        /// Every label's range holds the value it was made from, at every level.
        #[test]
        fn labels_stand_for_ranges_that_hold_their_values(n in proptest::prelude::any::<i64>(), age in 0i64..=150, days in -25_000i32..25_000, level in 0u32..5) {
            let b = g(Hierarchy::Bands(tokumei_rules::hierarchy::Bands { widths: vec![10, 100, 1000], top: Some(1_000_000), bottom: Some(-50) }), ValueType::Integer);
            let label = b.label_at(&n.to_string(), level.min(4)).unwrap();
            match b.bounds_of(&label) {
                Some(Bounds::Int(lo, hi)) => proptest::prop_assert!(lo.is_none_or(|lo| lo <= n) && hi.is_none_or(|hi| n <= hi), "{label}"),
                other => proptest::prop_assert!(false, "{label}: {other:?}"),
            }
            let a = g(Hierarchy::Age(tokumei_rules::hierarchy::Age { bands: vec![5, 10, 20], top: 90 }), ValueType::Integer);
            let label = a.label_at(&age.to_string(), level).unwrap();
            match a.bounds_of(&label) {
                Some(Bounds::Int(lo, hi)) => proptest::prop_assert!(lo.is_none_or(|lo| lo <= age) && hi.is_none_or(|hi| age <= hi), "{label}"),
                other => proptest::prop_assert!(false, "{label}: {other:?}"),
            }
            let d = g(Hierarchy::Date, ValueType::Date);
            let date = Date::from_days_since_epoch(days);
            let label = d.label_at(&date.to_string(), level).unwrap();
            match d.bounds_of(&label) {
                Some(Bounds::Date(lo, hi)) => proptest::prop_assert!(lo.is_none_or(|lo| lo <= days) && hi.is_none_or(|hi| days <= hi), "{label}"),
                other => proptest::prop_assert!(false, "{label}: {other:?}"),
            }
        }
    }

    #[test]
    fn bands_at_the_ends_of_the_integer_range_do_not_wrap() {
        let g = g(
            Hierarchy::Bands(tokumei_rules::hierarchy::Bands { widths: vec![10, 1000], top: None, bottom: None }),
            ValueType::Integer,
        );
        assert_eq!(g.label_at(&i64::MAX.to_string(), 1).unwrap(), "9223372036854775800-9223372036854775807");
        assert_eq!(g.label_at(&(i64::MAX - 3).to_string(), 2).unwrap(), "9223372036854775000-9223372036854775807");
        assert_eq!(g.label_at(&i64::MIN.to_string(), 1).unwrap(), "-9223372036854775808--9223372036854775801");
        assert_eq!(g.label_at("-1", 1).unwrap(), "-10--1");
    }

    #[test]
    fn numeric_bands_and_dates() {
        let b = g(
            Hierarchy::Bands(tokumei_rules::hierarchy::Bands {
                widths: vec![1_000_000, 5_000_000],
                top: Some(20_000_000),
                bottom: Some(0),
            }),
            ValueType::Integer,
        );
        assert_eq!(b.label_at("3,456,000", 1).unwrap(), "3000000-3999999");
        assert_eq!(b.label_at("123456789", 1).unwrap(), "20000000+");
        assert_eq!(b.label_at("-5", 1).unwrap(), "<0");
        assert_eq!(b.label_at("17000000", 2).unwrap(), "15000000-19999999");
        let d = g(Hierarchy::Date, ValueType::Date);
        assert_eq!(d.label_at("令和2年1月24日", 1).unwrap(), "2020-01");
        assert_eq!(d.label_at("1987-06-01", 3).unwrap(), "1985-1989");
        assert_eq!(d.label_at("1987-06-01", 4).unwrap(), "1980-1989");
    }

    #[test]
    fn custom_file() {
        let h = tokumei_rules::CustomHierarchy::parse(std::path::Path::new("h"), "a;x;*\nb;x;*\n", ';').unwrap();
        let col = super::super::test_column("c", Role::QuasiIdentifier, Action::Drop);
        let cx = Context { reference_date: Date::new(2026, 1, 1).unwrap(), key: None };
        let t = Generalize::new(&col, Hierarchy::Custom(h), 1, &cx);
        assert_eq!(t.apply(Some("b")), Ok(Cell::str("x")));
        assert!(t.apply(Some("z")).is_err());
    }
}
