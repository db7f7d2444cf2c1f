//! `generalize`: a value replaced by its label at a level of a hierarchy (built-in or an
//! ARX-format file). Level 0 is the canonical original; the top level is `*`.

use super::{ColumnTransform, Context, normalized};
use crate::cell::{Cell, Malformed, parse_date, parse_int};
use arrow::datatypes::DataType;
use tokumei_jp::Date;
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

    /// The label of `value` at `level`.
    pub fn label_at(&self, value: &str, level: u32) -> Result<String, Malformed> {
        let v = normalized(self.nfkc, value);
        let v = v.trim();
        let max = self.hierarchy.max_level();
        let top_level = level >= max;
        match &self.hierarchy {
            Hierarchy::Age { bands, top } => {
                let age = match self.ty {
                    ValueType::Integer => parse_int(v)?,
                    _ => {
                        let born = parse_date(v)?;
                        let age = born.age_on(self.reference);
                        if age < 0 {
                            return Err(Malformed::new("birth date is after the reference date"));
                        }
                        age as i64
                    }
                };
                if !(0..=150).contains(&age) {
                    return Err(Malformed::new("age is outside 0..=150"));
                }
                if top_level {
                    return Ok("*".into());
                }
                let top = *top as i64;
                if age >= top {
                    return Ok(format!("{top}+"));
                }
                if level == 0 {
                    return Ok(age.to_string());
                }
                let w = bands[level as usize - 1] as i64;
                let lo = age / w * w;
                let hi = (lo + w - 1).min(top - 1);
                Ok(format!("{lo}-{hi}"))
            }
            Hierarchy::Date => {
                let d = parse_date(v)?;
                Ok(match level {
                    0 => d.to_string(),
                    1 => format!("{:04}-{:02}", d.year, d.month),
                    2 => format!("{:04}", d.year),
                    3 => {
                        let lo = d.year.div_euclid(5) * 5;
                        format!("{lo}-{}", lo + 4)
                    }
                    4 => {
                        let lo = d.year.div_euclid(10) * 10;
                        format!("{lo}-{}", lo + 9)
                    }
                    _ => "*".into(),
                })
            }
            Hierarchy::PostalCode => {
                let p = tokumei_jp::normalize_postal_code(v)
                    .ok_or_else(|| Malformed::new("is not a 7-digit postal code"))?;
                Ok(match level {
                    0 => format!("{}-{}", &p[..3], &p[3..]),
                    1 => p[..3].to_string(),
                    _ => "*".into(),
                })
            }
            Hierarchy::MunicipalityCode => {
                if !tokumei_jp::is_valid_municipality_code(v) {
                    return Err(Malformed::new("is not a valid 地方公共団体コード (5 digits, or 6 with check digit)"));
                }
                let pref: u32 = v[..2].parse().map_err(|_| Malformed::new("bad prefecture part"))?;
                Ok(match level {
                    0 => v[..5].to_string(),
                    1 => tokumei_jp::place::prefecture_name(pref).unwrap_or("?").to_string(),
                    2 => tokumei_jp::place::region_of_prefecture(pref).unwrap_or("?").to_string(),
                    _ => "*".into(),
                })
            }
            Hierarchy::Address => {
                let pref = tokumei_jp::prefecture_of_address(v)
                    .ok_or_else(|| Malformed::new("address does not start with a prefecture"))?;
                Ok(match level {
                    0 => v.to_string(),
                    1 => tokumei_jp::municipality_of_address(v)
                        .ok_or_else(|| Malformed::new("address has no recognisable 市区町村"))?,
                    2 => pref.to_string(),
                    3 => tokumei_jp::place::prefecture_code(pref)
                        .and_then(tokumei_jp::place::region_of_prefecture)
                        .unwrap_or("?")
                        .to_string(),
                    _ => "*".into(),
                })
            }
            Hierarchy::Bands { widths, top, bottom } => {
                let n = parse_int(v)?;
                if top_level {
                    return Ok("*".into());
                }
                if let Some(t) = top
                    && n >= *t
                {
                    return Ok(format!("{t}+"));
                }
                if let Some(b) = bottom
                    && n < *b
                {
                    return Ok(format!("<{b}"));
                }
                if level == 0 {
                    return Ok(n.to_string());
                }
                // In i128, so bands at the ends of the i64 range neither overflow nor wrap; a band
                // is cut at the range's ends.
                let w = i128::from(widths[level as usize - 1]);
                let lo = i128::from(n).div_euclid(w) * w;
                let mut hi = lo + w - 1;
                if let Some(t) = top {
                    hi = hi.min(i128::from(*t) - 1);
                }
                let (lo, hi) = (lo.max(i128::from(i64::MIN)), hi.min(i128::from(i64::MAX)));
                Ok(format!("{lo}-{hi}"))
            }
            Hierarchy::Custom(h) => {
                let row = h.lookup(v).ok_or_else(|| Malformed::new("value is not in the hierarchy file"))?;
                Ok(row[level as usize].clone())
            }
        }
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

/// The range a label of an ordered hierarchy stands for; `None` bounds are open (`90+` has no
/// upper bound, `*` none at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bounds {
    /// Whole numbers.
    Int(Option<i64>, Option<i64>),
    /// Dates, as days since 1970-01-01.
    Date(Option<i32>, Option<i32>),
}

/// The type of a hierarchy's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundKind {
    /// Whole numbers (ages, bands, numeric hierarchy files).
    Int,
    /// Dates (the date hierarchy).
    Date,
}

/// `A-B`, `N+`, `<N`, `N` or `*` as a range of whole numbers.
fn int_bounds(label: &str) -> Option<(Option<i64>, Option<i64>)> {
    if label == "*" {
        return Some((None, None));
    }
    if let Some(n) = label.strip_suffix('+') {
        return Some((Some(n.parse().ok()?), None));
    }
    if let Some(n) = label.strip_prefix('<') {
        return Some((None, Some(n.parse::<i64>().ok()?.checked_sub(1)?)));
    }
    if let Ok(n) = label.parse::<i64>() {
        return Some((Some(n), Some(n)));
    }
    // The range's `-` follows a digit (a leading `-` or one after `-` is a sign).
    let b = label.as_bytes();
    let at = (1..b.len()).find(|&i| b[i] == b'-' && b[i - 1].is_ascii_digit())?;
    let (lo, hi) = (label[..at].parse::<i64>().ok()?, label[at + 1..].parse::<i64>().ok()?);
    (lo <= hi).then_some((Some(lo), Some(hi)))
}

/// `YYYY-MM-DD`, `YYYY-MM`, `YYYY`, `YYYY-YYYY` or `*` as a range of dates.
fn date_bounds(label: &str) -> Option<(Option<i32>, Option<i32>)> {
    let day = |y: i32, m: u32, d: u32| tokumei_jp::Date::new(y, m, d).map(|d| d.days_since_epoch());
    let year = |s: &str| (s.len() == 4).then(|| s.parse::<i32>().ok()).flatten();
    let parts: Vec<&str> = label.split('-').collect();
    match parts.as_slice() {
        ["*"] => Some((None, None)),
        [y] => {
            let y = year(y)?;
            Some((day(y, 1, 1), day(y, 12, 31)))
        }
        [a, b] if a.len() == 4 && b.len() == 4 => Some((day(year(a)?, 1, 1), day(year(b)?, 12, 31))),
        [y, m] => {
            let (y, m) = (year(y)?, m.parse::<u32>().ok()?);
            Some((day(y, m, 1), day(y, m, tokumei_jp::date::days_in_month(y, m))))
        }
        [y, m, d] => {
            let d = day(year(y)?, m.parse().ok()?, d.parse().ok()?)?;
            Some((Some(d), Some(d)))
        }
        _ => None,
    }
}

impl Generalize {
    /// The kind of range this hierarchy's labels stand for, if they are ordered: ages and bands
    /// (numbers), dates, and hierarchy files whose labels at every level are numbers, ranges
    /// `A-B`, `N+`, `<N` or `*`.
    pub fn bound_kind(&self) -> Option<BoundKind> {
        match &self.hierarchy {
            Hierarchy::Age { .. } | Hierarchy::Bands { .. } => Some(BoundKind::Int),
            Hierarchy::Date => Some(BoundKind::Date),
            Hierarchy::Custom(h) => h.rows.iter().flatten().all(|l| int_bounds(l).is_some()).then_some(BoundKind::Int),
            _ => None,
        }
    }

    /// The range `label` stands for (`None` if it is not one of this hierarchy's labels).
    pub fn bounds_of(&self, label: &str) -> Option<Bounds> {
        match self.bound_kind()? {
            BoundKind::Int => int_bounds(label).map(|(a, b)| Bounds::Int(a, b)),
            BoundKind::Date => date_bounds(label).map(|(a, b)| Bounds::Date(a, b)),
        }
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
        let a = g(Hierarchy::Age { bands: vec![5, 10, 20], top: 90 }, ValueType::Date);
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
            let b = g(Hierarchy::Bands { widths: vec![10, 100, 1000], top: Some(1_000_000), bottom: Some(-50) }, ValueType::Integer);
            let label = b.label_at(&n.to_string(), level.min(4)).unwrap();
            match b.bounds_of(&label) {
                Some(Bounds::Int(lo, hi)) => proptest::prop_assert!(lo.is_none_or(|lo| lo <= n) && hi.is_none_or(|hi| n <= hi), "{label}"),
                other => proptest::prop_assert!(false, "{label}: {other:?}"),
            }
            let a = g(Hierarchy::Age { bands: vec![5, 10, 20], top: 90 }, ValueType::Integer);
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
        let g = g(Hierarchy::Bands { widths: vec![10, 1000], top: None, bottom: None }, ValueType::Integer);
        assert_eq!(g.label_at(&i64::MAX.to_string(), 1).unwrap(), "9223372036854775800-9223372036854775807");
        assert_eq!(g.label_at(&(i64::MAX - 3).to_string(), 2).unwrap(), "9223372036854775000-9223372036854775807");
        assert_eq!(g.label_at(&i64::MIN.to_string(), 1).unwrap(), "-9223372036854775808--9223372036854775801");
        assert_eq!(g.label_at("-1", 1).unwrap(), "-10--1");
    }

    #[test]
    fn numeric_bands_and_dates() {
        let b = g(
            Hierarchy::Bands { widths: vec![1_000_000, 5_000_000], top: Some(20_000_000), bottom: Some(0) },
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
        let col = ColumnPlan {
            name: "c".into(),
            input_index: 0,
            role: Role::QuasiIdentifier,
            ty: ValueType::String,
            nfkc: true,
            action: Action::Drop,
            output: Some("c".into()),
            description: None,
            l: None,
            weight: 1.0,
            line: 0,
            extra_inputs: Vec::new(),
        };
        let cx = Context { reference_date: Date::new(2026, 1, 1).unwrap(), key: None };
        let t = Generalize::new(&col, Hierarchy::Custom(h), 1, &cx);
        assert_eq!(t.apply(Some("b")), Ok(Cell::str("x")));
        assert!(t.apply(Some("z")).is_err());
    }
}
