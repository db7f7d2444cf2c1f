//! Japan's national holidays (国民の祝日に関する法律): the days a municipality is closed besides
//! weekends and 29 December - 3 January (地方自治法4条の2, and each body's 休日条例).
//!
//! The holidays are **data**: `data/holidays.csv`, the Cabinet Office's list (内閣府「国民の祝日
//! について」, `syukujitsu.csv`) for the years its `years:` line names, embedded at build time.
//! That list is the one source of truth inside its range: it holds the 祝日 (法2条), the 振替休日
//! (法3条2項) and 国民の休日 (法3条3項), and the one-off days other laws made holidays (2019's
//! accession, the days moved for the Olympics in 2020 and 2021).
//!
//! A date outside the list's range is **never** taken as having no holidays: its holidays are
//! computed by the Act's current rules (fixed dates, the Monday holidays, 春分の日 and 秋分の日 by
//! the standard formula valid for 1980-2099, then 振替休日 and 国民の休日) and marked
//! [`Source::Computed`], so that a caller can say the date rests on a computation (the Cabinet
//! Office fixes the equinox days each February for the next year, and a law may move a holiday,
//! as in 2019-2021): extend the list to make it published data.

use crate::Date;
use std::sync::OnceLock;

/// Where a holiday comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The Cabinet Office's list bundled with tokumei (`data/holidays.csv`).
    Published,
    /// Computed by the Act's current rules: the date is outside the bundled list's years.
    Computed,
}

/// A holiday: its name as the Cabinet Office writes it (`休日` for a 振替休日 or a 国民の休日)
/// and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    /// The name (`勤労感謝の日`, `休日`...).
    pub name: String,
    /// Published or computed.
    pub source: Source,
}

/// The bundled list (UTF-8 CSV with `#` comment lines, a `# years: FIRST-LAST` line, a header
/// and `YYYY/M/D,name` rows).
pub const HOLIDAYS_CSV: &str = include_str!("../data/holidays.csv");

#[derive(Debug)]
struct List {
    first: i32,
    last: i32,
    days: Vec<(Date, String)>,
}

/// Parse the bundled list; `Err` says which line is wrong (a test proves the bundled file parses).
fn parse(text: &str) -> Result<List, String> {
    let mut years = None;
    let mut days: Vec<(Date, String)> = Vec::new();
    let mut header = false;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if let Some(c) = line.strip_prefix('#') {
            if let Some(r) = c.trim().strip_prefix("years:") {
                let (a, b) = r.trim().split_once('-').ok_or(format!("line {}: `years: FIRST-LAST`", n + 1))?;
                let (a, b) = (a.trim().parse::<i32>(), b.trim().parse::<i32>());
                match (a, b) {
                    (Ok(a), Ok(b)) if a <= b => years = Some((a, b)),
                    _ => return Err(format!("line {}: `years: FIRST-LAST`", n + 1)),
                }
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        if !header {
            header = true;
            continue;
        }
        let (d, name) = line.split_once(',').ok_or(format!("line {}: no comma", n + 1))?;
        let mut p = d.split('/').map(|x| x.trim().parse::<u32>());
        let date = match (p.next(), p.next(), p.next(), p.next()) {
            (Some(Ok(y)), Some(Ok(m)), Some(Ok(d)), None) => i32::try_from(y).ok().and_then(|y| Date::new(y, m, d)),
            _ => None,
        }
        .ok_or(format!("line {}: not a date Y/M/D", n + 1))?;
        if name.trim().is_empty() {
            return Err(format!("line {}: no name", n + 1));
        }
        if days.last().is_some_and(|(last, _)| *last >= date) {
            return Err(format!("line {}: dates are not in order", n + 1));
        }
        days.push((date, name.trim().to_string()));
    }
    let (first, last) = years.ok_or("no `# years: FIRST-LAST` line")?;
    if let Some((d, _)) = days.iter().find(|(d, _)| d.year < first || d.year > last) {
        return Err(format!("{}-{:02}-{:02} is outside the years {first}-{last}", d.year, d.month, d.day));
    }
    Ok(List { first, last, days })
}

fn list() -> &'static List {
    static LIST: OnceLock<List> = OnceLock::new();
    // The bundled file is checked by this crate's tests; were it ever unreadable, no year would
    // be published and every holiday would be computed by the rules (never none).
    LIST.get_or_init(|| parse(HOLIDAYS_CSV).unwrap_or(List { first: 1, last: 0, days: Vec::new() }))
}

/// The years the bundled list covers (first, last).
pub fn holiday_years() -> (i32, i32) {
    let l = list();
    (l.first, l.last)
}

/// Whether `date`'s holidays come from the bundled list (else they are computed by the rules).
pub fn holidays_published(date: Date) -> bool {
    let l = list();
    (l.first..=l.last).contains(&date.year)
}

/// The holiday on `date`, if it is one: from the bundled list within its years, else computed by
/// the Act's current rules ([`Source::Computed`]).
pub fn holiday(date: Date) -> Option<Holiday> {
    if holidays_published(date) {
        let l = list();
        return l
            .days
            .binary_search_by(|(d, _)| d.cmp(&date))
            .ok()
            .map(|i| Holiday { name: l.days[i].1.clone(), source: Source::Published });
    }
    computed(date).map(|name| Holiday { name: name.to_string(), source: Source::Computed })
}

/// 0 = Sunday .. 6 = Saturday.
fn weekday(d: Date) -> i32 {
    (d.days_since_epoch() + 4).rem_euclid(7)
}

/// The `n`th Monday of a month (n from 1).
fn nth_monday(year: i32, month: u32, n: u32) -> u32 {
    let first = Date { year, month, day: 1 };
    let to_monday = (8 - weekday(first)).rem_euclid(7) as u32;
    1 + to_monday + 7 * (n - 1)
}

/// 春分の日 and 秋分の日 by the standard formula (valid for 1980-2099; used beyond it too, the
/// nearest rule there is).
fn equinoxes(year: i32) -> (u32, u32) {
    let y = f64::from(year - 1980);
    let leap = f64::from((year - 1980).div_euclid(4));
    let spring = (20.8431 + 0.242_194 * y - leap).floor();
    let autumn = (23.2488 + 0.242_194 * y - leap).floor();
    (spring.clamp(19.0, 22.0) as u32, autumn.clamp(21.0, 24.0) as u32)
}

/// A 祝日 (法2条) by the current rules.
fn statutory(d: Date) -> Option<&'static str> {
    let (spring, autumn) = equinoxes(d.year);
    Some(match (d.month, d.day) {
        (1, 1) => "元日",
        (1, x) if x == nth_monday(d.year, 1, 2) => "成人の日",
        (2, 11) => "建国記念の日",
        (2, 23) => "天皇誕生日",
        (3, x) if x == spring => "春分の日",
        (4, 29) => "昭和の日",
        (5, 3) => "憲法記念日",
        (5, 4) => "みどりの日",
        (5, 5) => "こどもの日",
        (7, x) if x == nth_monday(d.year, 7, 3) => "海の日",
        (8, 11) => "山の日",
        (9, x) if x == nth_monday(d.year, 9, 3) => "敬老の日",
        (9, x) if x == autumn => "秋分の日",
        (10, x) if x == nth_monday(d.year, 10, 2) => "スポーツの日",
        (11, 3) => "文化の日",
        (11, 23) => "勤労感謝の日",
        _ => return None,
    })
}

fn shift(d: Date, days: i32) -> Date {
    Date::from_days_since_epoch(d.days_since_epoch() + days)
}

/// A holiday by the current rules: a 祝日; a 振替休日 (法3条2項: the first day after a 祝日 on a
/// Sunday that is not a 祝日); a 国民の休日 (法3条3項: a day between two 祝日).
fn computed(d: Date) -> Option<&'static str> {
    if let Some(name) = statutory(d) {
        return Some(name);
    }
    // 振替休日: going back over 祝日, the run of them started on or after a Sunday 祝日.
    let mut back = shift(d, -1);
    while statutory(back).is_some() {
        if weekday(back) == 0 {
            return Some("休日");
        }
        back = shift(back, -1);
    }
    if statutory(shift(d, -1)).is_some() && statutory(shift(d, 1)).is_some() {
        return Some("休日");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::new(y, m, day).unwrap()
    }

    #[test]
    fn the_bundled_list_parses_and_covers_its_years() {
        let l = parse(HOLIDAYS_CSV).expect("the bundled holidays.csv");
        assert_eq!((l.first, l.last), holiday_years());
        assert!(l.first <= 2016 && l.last >= 2027, "{}-{}", l.first, l.last);
        // Every year of the range has its fixed-date 祝日 (a year left out would silently have
        // none).
        for y in l.first..=l.last {
            for (m, day) in [(1, 1), (2, 11), (4, 29), (5, 3), (5, 5), (11, 3), (11, 23)] {
                assert!(l.days.iter().any(|(x, _)| *x == d(y, m, day)), "{y}-{m}-{day} missing");
            }
            let n = l.days.iter().filter(|(x, _)| x.year == y).count();
            assert!((15..=23).contains(&n), "{y}: {n} holidays");
        }
    }

    #[test]
    fn a_bad_list_is_an_error_naming_its_line() {
        assert!(parse("# years: 2026-2026\nh,n\n2026/2/30,x\n").unwrap_err().contains("line 3"));
        assert!(parse("# years: 2026-2026\nh,n\n2026/5/5,a\n2026/5/4,b\n").unwrap_err().contains("order"));
        assert!(parse("h,n\n2026/5/5,a\n").unwrap_err().contains("years"));
        assert!(parse("# years: 2026-2026\nh,n\n2027/1/1,a\n").unwrap_err().contains("outside"));
    }

    #[test]
    fn published_holidays_with_their_substitute_and_sandwiched_days() {
        // 勤労感謝の日.
        assert_eq!(holiday(d(2026, 11, 23)).unwrap().name, "勤労感謝の日");
        assert_eq!(holiday(d(2026, 11, 23)).unwrap().source, Source::Published);
        // 振替休日 (法3条2項): 2027-03-21 春分の日 is a Sunday, the 22nd is a holiday.
        assert_eq!(holiday(d(2027, 3, 22)).unwrap().name, "休日");
        // 国民の休日 (法3条3項): 2026-09-22, between 敬老の日 and 秋分の日.
        assert_eq!(holiday(d(2026, 9, 22)).unwrap().name, "休日");
        // 2019's accession and the Olympic moves: published, not by the rules.
        assert!(holiday(d(2019, 5, 1)).is_some() && holiday(d(2019, 10, 22)).is_some());
        assert!(holiday(d(2021, 7, 23)).is_some() && holiday(d(2021, 8, 9)).is_some());
        assert!(holiday(d(2021, 10, 11)).is_none(), "スポーツの日 moved to 23 July in 2021");
        assert!(holiday(d(2026, 11, 24)).is_none() && holiday(d(2026, 12, 23)).is_none());
    }

    #[test]
    fn the_rules_give_the_published_days_of_ordinary_years() {
        // The computation agrees with the list for years no special law changed.
        for y in [2022, 2023, 2024, 2025, 2026, 2027] {
            let mut day = d(y, 1, 1);
            while day.year == y {
                assert_eq!(
                    computed(day).is_some(),
                    holiday(day).is_some(),
                    "{}-{:02}-{:02}",
                    day.year,
                    day.month,
                    day.day
                );
                day = shift(day, 1);
            }
        }
    }

    #[test]
    fn a_date_past_the_list_is_computed_never_holiday_free() {
        let (_, last) = holiday_years();
        let after = last + 1;
        let h = holiday(d(after, 11, 23)).expect("勤労感謝の日 is a holiday every year");
        assert_eq!(h.source, Source::Computed);
        assert!(!holidays_published(d(after, 1, 1)));
        // Years beyond the list (as the Cabinet Office will publish them: equinoxes, 振替休日,
        // 国民の休日).
        for (y, m, day) in [
            (2028, 3, 20),
            (2028, 9, 22),
            (2029, 9, 24),
            (2030, 8, 12),
            (2031, 2, 24),
            (2032, 9, 21),
            (2033, 3, 21),
            (2037, 9, 22),
            (2049, 9, 21),
        ] {
            assert!(holiday(d(y, m, day)).is_some(), "{y}-{m}-{day}");
        }
        for (y, m, day) in [(2028, 9, 23), (2032, 9, 23), (2028, 3, 21)] {
            assert!(holiday(d(y, m, day)).is_none(), "{y}-{m}-{day}");
        }
    }
}
