//! The ranges the labels of ordered hierarchies stand for: `A-B`, `N+`, `<N`, `N`, dates and
//! date ranges, `*`.

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
pub(super) fn int_bounds(label: &str) -> Option<(Option<i64>, Option<i64>)> {
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
pub(super) fn date_bounds(label: &str) -> Option<(Option<i32>, Option<i32>)> {
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

/// The range `label` stands for under `kind`.
pub(super) fn of(kind: BoundKind, label: &str) -> Option<Bounds> {
    match kind {
        BoundKind::Int => int_bounds(label).map(|(a, b)| Bounds::Int(a, b)),
        BoundKind::Date => date_bounds(label).map(|(a, b)| Bounds::Date(a, b)),
    }
}
