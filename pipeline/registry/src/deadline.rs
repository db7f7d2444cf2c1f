//! Day counting for residents' requests. A period of N days is counted from the day after the
//! starting day (民法140条, 初日不算入) and ends at the end of its last day, so its last day is the
//! starting day + N, across month ends and leap days alike. Days spent fixing a defective request
//! (補正) are not counted (法83条1項ただし書), an extension adds up to the ordinance's cap (法83条2項),
//! and a special extension (法84) replaces the deadline with a later date.
//!
//! A body's own deadlines (deciding) run on calendar days. A requester's deadlines (the 90 days for
//! correction or suspension after a disclosure) that end on a day the body is closed end on its next
//! open day (地方自治法4条の2第4項): closed are Saturdays, Sundays, 29 December - 3 January and the
//! profile's `closed_days`.
//!
//! Every date here is a date in Japan (Asia/Tokyo, UTC+9; the profile names no other zone): a
//! municipality's deadlines, use periods, bars and "today" are Japan's civil dates, so from 00:00
//! to 08:59 JST "today" is the day after the UTC date. "Today" comes from the clock through
//! [`japan_today`] and a day taken from a stored RFC 3339 time (a change, a release) through
//! [`japan_day`]; both use `tokumei_jp::japan_date`, the one conversion of a clock to a date.
//! Where the zone of a date is unclear, the earlier deadline is the safe one.

use crate::contracts::{date, day_number};
use crate::{RegistryError, Who};

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
        .ok_or_else(|| RegistryError::Refused(format!("the time of the change ({}) is not an RFC 3339 time", who.time)))
}

/// The date in Japan of a stored time, for a check: refused (never guessed) if it is not an
/// RFC 3339 time.
pub(crate) fn stored_day(time: &str, what: &str) -> Result<String, RegistryError> {
    japan_day(time).ok_or_else(|| RegistryError::Refused(format!("{what}: its time ({time}) is not an RFC 3339 time")))
}

/// The date of day number `n` (days since 1970-01-01).
pub fn from_day_number(n: i64) -> String {
    let z = n + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
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

/// Whether the body is closed on `day`: Saturday, Sunday, 29 December - 3 January, or listed.
pub fn is_closed(day: &str, closed_days: &[String]) -> bool {
    let Some(ymd @ (_, m, d)) = date(day) else { return false };
    // 1970-01-01 was a Thursday (0 = Sunday).
    let weekday = (day_number(ymd) + 4).rem_euclid(7);
    weekday == 0 || weekday == 6 || (m == 12 && d >= 29) || (m == 1 && d <= 3) || closed_days.iter().any(|c| c == day)
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

/// The last day to decide a request received on `received`, with `defect_days` spent on fixing it.
pub fn decision_due(received: &str, request_days: i64, defect_days: i64) -> Option<String> {
    period_end(received, request_days.checked_add(defect_days)?)
}

/// The last day a requester may ask for correction or suspension after a disclosure carried out
/// on `disclosed` (moved to the next open day).
pub fn window_end(disclosed: &str, window_days: i64, closed_days: &[String]) -> Option<String> {
    next_open_day(&period_end(disclosed, window_days)?, closed_days)
}

#[cfg(test)]
mod tests {
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
        assert_eq!(decision_due(&japan_day("2026-11-26T15:30:00Z").unwrap(), 30, 0).unwrap(), "2026-12-27");
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
        assert_eq!(decision_due("2026-11-02", 30, 0).unwrap(), "2026-12-02");
        // Month ends: 31 January + 30 days, in a common and in a leap year.
        assert_eq!(decision_due("2027-01-31", 30, 0).unwrap(), "2027-03-02");
        assert_eq!(decision_due("2028-01-31", 30, 0).unwrap(), "2028-03-01");
        assert_eq!(decision_due("2028-02-29", 30, 0).unwrap(), "2028-03-30");
        assert_eq!(decision_due("2026-12-15", 30, 0).unwrap(), "2027-01-14");
        // 2100 is not a leap year.
        assert_eq!(decision_due("2100-02-01", 30, 0).unwrap(), "2100-03-03");
        // Days spent fixing the request are not counted; an extension adds to the deadline.
        assert_eq!(decision_due("2026-11-02", 30, 5).unwrap(), "2026-12-07");
        assert_eq!(add_days(&decision_due("2026-11-02", 30, 5).unwrap(), 30).unwrap(), "2027-01-06");
        // An ordinance's shorter period.
        assert_eq!(decision_due("2026-02-20", 14, 0).unwrap(), "2026-03-06");
        assert!(decision_due("9999-12-20", 30, 0).is_none());
        assert!(decision_due("2026-02-30", 30, 0).is_none());
    }

    #[test]
    fn a_requesters_period_ending_on_a_closed_day_ends_on_the_next_open_day() {
        // 2026-11-28 is a Saturday.
        assert!(is_closed("2026-11-28", &[]) && is_closed("2026-11-29", &[]) && !is_closed("2026-11-30", &[]));
        assert_eq!(next_open_day("2026-11-28", &[]).unwrap(), "2026-11-30");
        // 年末年始: 29 December to 3 January (2027-01-04 is a Monday).
        assert_eq!(next_open_day("2026-12-29", &[]).unwrap(), "2027-01-04");
        // A holiday listed by the profile (勤労感謝の日 2026-11-23, a Monday).
        let closed = vec!["2026-11-23".to_string()];
        assert_eq!(next_open_day("2026-11-23", &closed).unwrap(), "2026-11-24");
        // 90 days after a disclosure on 2026-08-31 is 2026-11-29 (Sunday): 30 November.
        assert_eq!(window_end("2026-08-31", 90, &[]).unwrap(), "2026-11-30");
        assert_eq!(days_between("2028-02-28", "2028-03-01"), Some(2));
    }
}
