//! Day counting for residents' requests. A period of N days is counted from the day after the
//! starting day (民法140条, 初日不算入) and ends at the end of its last day, so its last day is the
//! starting day + N, across month ends and leap days alike. Days spent fixing a defective request
//! (補正) are not counted (法83条1項ただし書), an extension adds up to the ordinance's cap (法83条2項),
//! and a special extension (法84, 95, 103) replaces the deadline with a later date. A profile whose
//! ordinance counts the day of receipt as day 1 (「受け付けた日から起算して」: `count_receipt_day`)
//! ends the body's decision period a day earlier (received + N - 1); the requester's periods (the
//! method, 法87条4項; correction and suspension, 法90条3項・98条3項) are the Act's and always count
//! from the next day, which is also the later date, the one that protects the person.
//!
//! A body's own deadlines (deciding) run on calendar days and never move (the earlier date). A
//! requester's deadlines (the method, the 90 days for correction or suspension after a disclosure)
//! that end on a day the body is closed end on its next open day (地方自治法4条の2第4項): closed are
//! Saturdays, Sundays, Japan's national holidays with their 振替休日 and 国民の休日 (bundled data,
//! [`tokumei_jp::holidays`]; a date past the data's years has its holidays computed by the Act's
//! rules, never none: [`holiday_note`] says so), 29 December - 3 January and the profile's
//! `closed_days`.
//!
//! Every date here is a date in Japan (Asia/Tokyo, UTC+9; the profile names no other zone): a
//! municipality's deadlines, use periods, bars and "today" are Japan's civil dates, so from 00:00
//! to 08:59 JST "today" is the day after the UTC date. "Today" comes from the clock through
//! [`japan_today`] and a day taken from a stored RFC 3339 time (a change, a release) through
//! [`japan_day`]; both use `tokumei_jp::japan_date`, the one conversion of a clock to a date.
//! Where the zone of a date is unclear, the earlier deadline is the safe one.

use crate::refuse;
use crate::{RegistryError, Who};
use tokumei_jp::Date;

/// A date as the registry stores it, exactly `YYYY-MM-DD` ([`Date::from_iso`]).
pub(crate) fn date(s: &str) -> Option<Date> {
    Date::from_iso(s)
}

/// Whether `day` lies within `first ..= last`, compared as dates; `false` (fail closed) when
/// one of them is not a date `YYYY-MM-DD`.
pub(crate) fn within(day: &str, first: &str, last: &str) -> bool {
    match (date(day), date(first), date(last)) {
        (Some(d), Some(f), Some(l)) => f <= d && d <= l,
        _ => false,
    }
}

/// Days from 1970-01-01 (civil calendar).
pub(crate) fn day_number(d: Date) -> i64 {
    i64::from(d.days_since_epoch())
}

/// Today in Japan (`YYYY-MM-DD`) at `unix` seconds (the run clock: `TOKUMEI_NOW` or the system
/// clock). `None` for a clock outside the years 1-9999 in Japan.
pub fn japan_today(unix: i64) -> Option<String> {
    let d = tokumei_jp::japan_date(unix)?.to_string();
    date(&d).is_some().then_some(d)
}

/// The date in Japan (`YYYY-MM-DD`) of an RFC 3339 time such as a change's or a release's time
/// (`2026-11-26T15:30:00Z` is 2026-11-27). `None` if it is not such a time.
pub fn japan_day(time: &str) -> Option<String> {
    let d = tokumei_jp::japan_date_of_rfc3339(time)?.to_string();
    date(&d).is_some().then_some(d)
}

/// "Today" of a change: the date in Japan of its time (refused if the time is not RFC 3339).
pub(crate) fn today_of(who: &Who) -> Result<String, RegistryError> {
    japan_day(&who.time)
        .ok_or_else(|| refuse::value(format!("the time of the change ({}) is not an RFC 3339 time", who.time)))
}

/// The date in Japan of a stored time, for a check: refused (never guessed) if it is not an
/// RFC 3339 time.
pub(crate) fn stored_day(time: &str, what: &str) -> Result<String, RegistryError> {
    japan_day(time).ok_or_else(|| refuse::value(format!("{what}: its time ({time}) is not an RFC 3339 time")))
}

/// The date of day number `n` (days since 1970-01-01), `YYYY-MM-DD` for years 0-9999.
pub fn from_day_number(n: i64) -> String {
    // Beyond i32 days (±5.8 million years) saturates; no such date is `YYYY-MM-DD`.
    let n = i32::try_from(n).unwrap_or(if n < 0 { i32::MIN } else { i32::MAX });
    Date::from_days_since_epoch(n).to_string()
}

/// `day` + `n` days (`None` if `day` is not a date YYYY-MM-DD or the result leaves years 1-9999).
pub fn add_days(day: &str, n: i64) -> Option<String> {
    let out = day_number(date(day)?).checked_add(n)?;
    let d = from_day_number(out);
    date(&d).is_some().then_some(d)
}

/// Days from `a` to `b` (negative when `b` is earlier).
pub fn days_between(a: &str, b: &str) -> Option<i64> {
    Some(day_number(date(b)?) - day_number(date(a)?))
}

/// The last day of a period of `days` days counted from the day after `start`.
pub fn period_end(start: &str, days: i64) -> Option<String> {
    add_days(start, days)
}

/// Whether the body is closed on `day`: Saturday, Sunday, a national holiday (with 振替休日 and
/// 国民の休日), 29 December - 3 January, or listed in the profile's `closed_days`.
pub fn is_closed(day: &str, closed_days: &[String]) -> bool {
    let Some(ymd @ Date { month: m, day: d, .. }) = date(day) else { return false };
    // 1970-01-01 was a Thursday (0 = Sunday).
    let weekday = (day_number(ymd) + 4).rem_euclid(7);
    weekday == 0
        || weekday == 6
        || (m == 12 && d >= 29)
        || (m == 1 && d <= 3)
        || tokumei_jp::holiday(ymd).is_some()
        || closed_days.iter().any(|c| c == day)
}

/// The national holiday on `day`, if any (its name as the Cabinet Office writes it).
pub fn holiday_name(day: &str) -> Option<String> {
    tokumei_jp::holiday(date(day)?).map(|h| h.name)
}

/// A note when the national holidays between `from` and `to` (inclusive) are not all from the
/// bundled Cabinet Office list but computed by the Act's rules (the dates are past the list's
/// years): a date resting on them should be checked, and the list extended.
pub fn holiday_note(from: &str, to: &str) -> Option<String> {
    let (first, last) = tokumei_jp::holiday_years();
    let year = |s: &str| date(s).map(|d| d.year);
    let (a, b) = (year(from)?, year(to)?);
    let outside: Vec<i32> = (a..=b).filter(|y| !(first..=last).contains(y)).collect();
    let (x, y) = (outside.first()?, outside.last()?);
    Some(format!(
        "the national holidays of {} are computed by the rules of 国民の祝日に関する法律: the bundled Cabinet Office list (pipeline/jp/data/holidays.csv) covers {first}-{last}; check the date against the published list and extend the file",
        if x == y { x.to_string() } else { format!("{x}-{y}") }
    ))
}

/// `day`, or the next day the body is open.
pub fn next_open_day(day: &str, closed_days: &[String]) -> Option<String> {
    let mut d = day.to_string();
    for _ in 0..366 {
        if !is_closed(&d, closed_days) {
            return Some(d);
        }
        d = add_days(&d, 1)?;
    }
    None
}

/// The last day to decide a request received on `received`, with `defect_days` spent on fixing it:
/// received + N (+ defect days), or a day earlier when the ordinance counts the day of receipt as
/// day 1 (`count_receipt_day`, 「起算して」).
pub fn decision_due(received: &str, request_days: i64, defect_days: i64, count_receipt_day: bool) -> Option<String> {
    period_end(received, request_days.checked_add(defect_days)?.checked_sub(i64::from(count_receipt_day))?)
}

/// The last day to choose the method of disclosure (法87条4項: within N days of the day the
/// decision notice was given, counted from the next day, 民法140条), moved to the next open day.
pub fn method_end(notice: &str, method_days: i64, closed_days: &[String]) -> Option<String> {
    next_open_day(&period_end(notice, method_days)?, closed_days)
}

/// The last day a requester may ask for correction or suspension after a disclosure carried out
/// on `disclosed` (moved to the next open day).
pub fn window_end(disclosed: &str, window_days: i64, closed_days: &[String]) -> Option<String> {
    next_open_day(&period_end(disclosed, window_days)?, closed_days)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_day_is_within_a_period_as_a_date_and_never_when_one_is_no_date() {
        use super::within;
        assert!(within("2027-01-01", "2026-12-31", "2027-01-01"));
        assert!(within("2026-12-31", "2026-12-31", "2026-12-31"));
        assert!(!within("2027-01-02", "2026-12-31", "2027-01-01"));
        assert!(!within("2026-12-30", "2026-12-31", "2027-01-01"));
        assert!(!within("2027-1-1", "2026-12-31", "2027-12-31"), "text that sorts inside is no date");
        assert!(!within("2027-01-01", "", "2027-12-31"));
    }

    use super::*;

    #[test]
    fn today_and_stored_days_are_japans_dates() {
        // 2027-12-31T15:30:00Z is 00:30 JST on 1 January 2028; 14:30Z is 23:30 JST on the 31st.
        assert_eq!(japan_today(1_830_267_000).unwrap(), "2028-01-01");
        assert_eq!(japan_today(1_830_263_400).unwrap(), "2027-12-31");
        assert_eq!(japan_day("2027-12-31T15:30:00Z").unwrap(), "2028-01-01");
        assert_eq!(japan_day("2027-12-31T14:30:00Z").unwrap(), "2027-12-31");
        assert_eq!(japan_day("2028-01-01T00:30:00+09:00").unwrap(), "2028-01-01");
        assert_eq!(japan_day("2027-12-31"), None);
        // The end of 9999 in UTC is already 10000 in Japan: no date the registry holds.
        assert_eq!(japan_today(253_402_300_799), None);
        assert_eq!(japan_today(253_402_268_399).unwrap(), "9999-12-31");
        let who = |t: &str| Who { operator: "o".into(), time: t.into(), clock: None };
        assert_eq!(today_of(&who("2026-11-26T15:00:00Z")).unwrap(), "2026-11-27");
        assert!(today_of(&who("yesterday")).is_err());
        // A request received at 00:30 JST counts from that day.
        assert_eq!(decision_due(&japan_day("2026-11-26T15:30:00Z").unwrap(), 30, 0, false).unwrap(), "2026-12-27");
    }

    #[test]
    fn day_numbers_round_trip() {
        for n in [-719_468, -1, 0, 1, 59, 60, 11_016, 20_000, 2_932_896] {
            assert_eq!(day_number(date(&from_day_number(n)).unwrap()), n, "{n}");
        }
        assert_eq!(from_day_number(0), "1970-01-01");
    }

    #[test]
    fn thirty_days_from_the_day_after_receipt() {
        // Received on 2 November: day 1 is 3 November, day 30 is 2 December.
        assert_eq!(decision_due("2026-11-02", 30, 0, false).unwrap(), "2026-12-02");
        // Month ends: 31 January + 30 days, in a common and in a leap year.
        assert_eq!(decision_due("2027-01-31", 30, 0, false).unwrap(), "2027-03-02");
        assert_eq!(decision_due("2028-01-31", 30, 0, false).unwrap(), "2028-03-01");
        assert_eq!(decision_due("2028-02-29", 30, 0, false).unwrap(), "2028-03-30");
        assert_eq!(decision_due("2026-12-15", 30, 0, false).unwrap(), "2027-01-14");
        // 2100 is not a leap year.
        assert_eq!(decision_due("2100-02-01", 30, 0, false).unwrap(), "2100-03-03");
        // Days spent fixing the request are not counted; an extension adds to the deadline.
        assert_eq!(decision_due("2026-11-02", 30, 5, false).unwrap(), "2026-12-07");
        assert_eq!(add_days(&decision_due("2026-11-02", 30, 5, false).unwrap(), 30).unwrap(), "2027-01-06");
        // An ordinance's shorter period.
        assert_eq!(decision_due("2026-02-20", 14, 0, false).unwrap(), "2026-03-06");
        assert!(decision_due("9999-12-20", 30, 0, false).is_none());
        assert!(decision_due("2026-02-30", 30, 0, false).is_none());
    }

    #[test]
    fn a_requesters_period_ending_on_a_closed_day_ends_on_the_next_open_day() {
        // 2026-11-28 is a Saturday.
        assert!(is_closed("2026-11-28", &[]) && is_closed("2026-11-29", &[]) && !is_closed("2026-11-30", &[]));
        assert_eq!(next_open_day("2026-11-28", &[]).unwrap(), "2026-11-30");
        // 年末年始: 29 December to 3 January (2027-01-04 is a Monday).
        assert_eq!(next_open_day("2026-12-29", &[]).unwrap(), "2027-01-04");
        // A day of the ordinance's own, listed by the profile (a Tuesday).
        let closed = vec!["2026-11-24".to_string()];
        assert_eq!(next_open_day("2026-11-24", &closed).unwrap(), "2026-11-25");
        // 90 days after a disclosure on 2026-08-31 is 2026-11-29 (Sunday): 30 November.
        assert_eq!(window_end("2026-08-31", 90, &[]).unwrap(), "2026-11-30");
        assert_eq!(days_between("2028-02-28", "2028-03-01"), Some(2));
    }

    /// 地方自治法4条の2第4項 with the national holidays (国民の祝日に関する法律) as closed days.
    #[test]
    fn a_requesters_period_ending_on_a_national_holiday_moves_to_the_next_open_day() {
        // 勤労感謝の日 (2026-11-23, a Monday) without any profile day.
        assert!(is_closed("2026-11-23", &[]));
        assert_eq!(holiday_name("2026-11-23").as_deref(), Some("勤労感謝の日"));
        assert_eq!(next_open_day("2026-11-23", &[]).unwrap(), "2026-11-24");
        // 90 days after a disclosure on 2026-08-25 end on 勤労感謝の日: 24 November (法90条3項).
        assert_eq!(window_end("2026-08-25", 90, &[]).unwrap(), "2026-11-24");
        // 振替休日 (法3条2項): 春分の日 2027-03-21 is a Sunday, the 22nd is closed too.
        assert!(is_closed("2027-03-22", &[]));
        assert_eq!(next_open_day("2027-03-20", &[]).unwrap(), "2027-03-23");
        // 国民の休日 (法3条3項): 2026-09-22 between 敬老の日 and 秋分の日.
        assert_eq!(next_open_day("2026-09-19", &[]).unwrap(), "2026-09-24");
        // Golden Week 2026: 3 May (Sunday) to 6 May (振替休日).
        assert_eq!(next_open_day("2026-05-02", &[]).unwrap(), "2026-05-07");
        // The body's own deadline never moves: a decision due on a holiday stays due that day.
        assert_eq!(decision_due("2026-10-24", 30, 0, false).unwrap(), "2026-11-23");
    }

    /// 法87条4項: the 30 days to choose the method count from the day after the notice, and a
    /// last day on a closed day moves to the next open day.
    #[test]
    fn the_method_period_counts_from_the_notice_and_moves_past_closed_days() {
        assert_eq!(method_end("2026-11-02", 30, &[]).unwrap(), "2026-12-02");
        // 2026-10-24 + 30 = 2026-11-23, 勤労感謝の日.
        assert_eq!(method_end("2026-10-24", 30, &[]).unwrap(), "2026-11-24");
        // 2026-11-29 + 30 = 2026-12-29, 年末年始: 4 January.
        assert_eq!(method_end("2026-11-29", 30, &[]).unwrap(), "2027-01-04");
    }

    /// An ordinance that counts the day of receipt (「起算して」) ends the decision period a day
    /// earlier; the statute's reading (民法140条) is the default.
    #[test]
    fn an_ordinance_counting_the_receipt_day_ends_the_decision_period_a_day_earlier() {
        assert_eq!(decision_due("2026-11-02", 30, 0, true).unwrap(), "2026-12-01");
        assert_eq!(decision_due("2026-11-02", 14, 0, true).unwrap(), "2026-11-15");
        assert_eq!(decision_due("2026-11-02", 30, 5, true).unwrap(), "2026-12-06");
        assert_eq!(decision_due("2026-11-02", 30, 0, false).unwrap(), "2026-12-02");
    }

    #[test]
    fn dates_past_the_holiday_list_are_noted() {
        let (first, last) = tokumei_jp::holiday_years();
        assert_eq!(holiday_note(&format!("{first}-01-05"), &format!("{last}-12-01")), None);
        let note = holiday_note(&format!("{last}-12-01"), &format!("{}-03-01", last + 1)).expect("a note");
        assert!(note.contains("computed") && note.contains("holidays.csv"), "{note}");
        // Past the list the holidays are computed, never none: 勤労感謝の日 is closed.
        assert!(is_closed(&format!("{}-11-23", last + 1), &[]));
    }
}
