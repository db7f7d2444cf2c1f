//! Dates: ISO (`1985-03-12`), slash (`1985/3/12`), compact (`19850312`) and 和暦
//! (`昭和60年3月12日`, `令和元年5月1日`, `S60.3.12`), with full-width digits accepted.
//!
//! And the date in Japan: deadlines, use periods, bars and "today" are Japan's civil dates
//! (Asia/Tokyo), never UTC dates. [`japan_date`] is the one place a date is taken from a clock
//! (Unix seconds) and [`japan_date_of_rfc3339`] the one place it is taken from a stored time.

/// A calendar date (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year, e.g. 1985.
    pub year: i32,
    /// Month 1..=12.
    pub month: u32,
    /// Day 1..=31.
    pub day: u32,
}

/// Japanese eras: name, one-letter abbreviation, first day (year, month, day).
const ERAS: &[(&str, char, (i32, u32, u32))] = &[
    ("令和", 'R', (2019, 5, 1)),
    ("平成", 'H', (1989, 1, 8)),
    ("昭和", 'S', (1926, 12, 25)),
    ("大正", 'T', (1912, 7, 30)),
    ("明治", 'M', (1868, 1, 25)),
];

impl Date {
    /// Build a date if it exists in the calendar.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// The date written exactly `YYYY-MM-DD` (four-digit year 0000-9999), as the registry
    /// stores dates; `None` for any other form or a day not in the calendar. Wider input
    /// (slashes, 和暦, full-width digits) is [`parse_date`]'s.
    pub fn from_iso(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
            return None;
        }
        Date::new(s[0..4].parse().ok()?, s[5..7].parse().ok()?, s[8..10].parse().ok()?)
    }

    /// Days since 1970-01-01 (negative before), as Arrow `Date32` stores them.
    pub fn days_since_epoch(&self) -> i32 {
        // Howard Hinnant's days_from_civil.
        let y = if self.month <= 2 { self.year - 1 } else { self.year } as i64;
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = self.month as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        (era * 146097 + doe - 719468) as i32
    }

    /// The date `days` days after 1970-01-01.
    pub fn from_days_since_epoch(days: i32) -> Date {
        let z = days as i64 + 719468;
        let era = if z >= 0 { z } else { z - 146096 } / 146097;
        let doe = z - era * 146097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        Date { year: (if m <= 2 { y + 1 } else { y }) as i32, month: m, day: d }
    }

    /// Completed years of age on `on` for someone born on `self` (negative if not yet born).
    pub fn age_on(&self, on: Date) -> i32 {
        let mut age = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) {
            age -= 1;
        }
        age
    }
}

/// Japan's offset from UTC in seconds. Japan Standard Time (Asia/Tokyo) is UTC+9 and has had no
/// daylight saving time since 1951, so this fixed offset gives Japan's civil time for every
/// clock tokumei accepts (1970 onwards).
pub const JAPAN_UTC_OFFSET_SECONDS: i64 = 9 * 3600;

/// The civil date in Japan at `unix` seconds since 1970-01-01T00:00:00Z. From 00:00 to 08:59
/// JST it is the day after the UTC date (e.g. 2027-12-31T15:30:00Z is 2028-01-01 in Japan).
/// `None` only for a clock millions of years away.
pub fn japan_date(unix: i64) -> Option<Date> {
    let days = unix.checked_add(JAPAN_UTC_OFFSET_SECONDS)?.div_euclid(86_400);
    Some(Date::from_days_since_epoch(i32::try_from(days).ok()?))
}

/// Unix seconds of an RFC 3339 time: `YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z` or an
/// offset `+HH:MM` / `-HH:MM` (`t`, `z` and a space for `T` accepted). `None` for anything else,
/// a time without a zone included (its instant is unknown).
pub fn unix_of_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || !b.is_ascii() || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date =
        Date::new(i32::try_from(num(0..4)?).ok()?, u32::try_from(num(5..7)?).ok()?, u32::try_from(num(8..10)?).ok()?)?;
    let (h, m, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let o = rest.as_bytes();
            if o.len() != 6 || o[3] != b':' {
                return None;
            }
            let sign = match o[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (oh, om) = (num(s.len() - 5..s.len() - 3)?, num(s.len() - 2..s.len())?);
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(i64::from(date.days_since_epoch()) * 86_400 + h * 3600 + m * 60 + sec - offset)
}

/// The civil date in Japan of an RFC 3339 time (a journal time `2026-11-26T15:30:00Z` is
/// 2026-11-27 in Japan). `None` if it is not an RFC 3339 time with a zone.
pub fn japan_date_of_rfc3339(s: &str) -> Option<Date> {
    japan_date(unix_of_rfc3339(s)?)
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in a month of a (proleptic Gregorian) year.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Map full-width digits and common separators to ASCII; other characters unchanged.
fn fold_width(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        '－' | '‐' | 'ー' | '−' => '-',
        '／' => '/',
        '．' => '.',
        'Ｒ' | 'ｒ' | 'r' => 'R',
        'Ｈ' | 'ｈ' | 'h' => 'H',
        'Ｓ' | 'ｓ' | 's' => 'S',
        'Ｔ' | 'ｔ' | 't' => 'T',
        'Ｍ' | 'ｍ' | 'm' => 'M',
        '　' => ' ',
        _ => c,
    }
}

/// The last year a parsed date may have: four digits, as ISO writes years (`令和8000年` would be
/// year 10018, which no date column holds).
pub const MAX_YEAR: i32 = 9999;

/// Parse a date in any supported form. Returns `None` for anything malformed,
/// including impossible dates, 和暦 years outside their era and years past [`MAX_YEAR`].
///
/// A Gregorian date may be followed (after `T` or a space) by a time of day, `H:MM` or
/// `H:MM:SS` with an optional fraction of a second, then an optional zone (`Z` or `+HH:MM`):
/// the time is dropped, but a time with a zone is an instant, whose date is Japan's
/// (`2024-05-31T15:00:00Z` is 2024-06-01 in Japan). Anything else after the date is malformed.
pub fn parse_date(input: &str) -> Option<Date> {
    parse_any(input).filter(|d| d.year <= MAX_YEAR)
}

/// [`parse_date`] without its bound on the year.
fn parse_any(input: &str) -> Option<Date> {
    let folded: String = input.trim().chars().map(fold_width).collect();
    let s = folded.as_str();
    if s.is_empty() {
        return None;
    }
    for (name, letter, start) in ERAS {
        if let Some(rest) = s.strip_prefix(name) {
            return parse_era_kanji(rest, *start);
        }
        if let Some(rest) = s.strip_prefix(*letter) {
            return parse_era_letter(rest, *start);
        }
    }
    parse_gregorian(s)
}

fn era_date(start: (i32, u32, u32), era_year: i32, month: u32, day: u32) -> Option<Date> {
    if era_year < 1 {
        return None;
    }
    let d = Date::new(start.0 + era_year - 1, month, day)?;
    let first = Date::new(start.0, start.1, start.2)?;
    if d < first {
        return None;
    }
    // The era must not have ended: check the next era's start.
    if let Some(pos) = ERAS.iter().position(|e| e.2 == start)
        && pos > 0
    {
        let n = ERAS[pos - 1].2;
        if d >= Date::new(n.0, n.1, n.2)? {
            return None;
        }
    }
    Some(d)
}

/// `60年3月12日`, `元年5月1日`.
fn parse_era_kanji(rest: &str, start: (i32, u32, u32)) -> Option<Date> {
    let rest = rest.trim_start();
    let (year, rest) = if let Some(r) = rest.strip_prefix('元') { (1, r) } else { take_number(rest)? };
    let rest = rest.strip_prefix('年')?;
    let (month, rest) = take_number(rest.trim_start())?;
    let rest = rest.strip_prefix('月')?;
    let (day, rest) = take_number(rest.trim_start())?;
    let rest = rest.strip_prefix('日')?;
    if !rest.trim().is_empty() {
        return None;
    }
    era_date(start, year, month as u32, day as u32)
}

/// `60.3.12`, `60/03/12`, `60-3-12`.
fn parse_era_letter(rest: &str, start: (i32, u32, u32)) -> Option<Date> {
    let parts: Vec<&str> = rest.split(['.', '/', '-']).collect();
    if parts.len() != 3 {
        return None;
    }
    let y = whole_number(parts[0])?;
    let m = whole_number(parts[1])?;
    let d = whole_number(parts[2])?;
    era_date(start, y, m as u32, d as u32)
}

fn parse_gregorian(s: &str) -> Option<Date> {
    // 1985年3月12日
    if let Some((y, rest)) = take_number(s)
        && let Some(rest) = rest.strip_prefix('年')
    {
        let (m, rest) = take_number(rest)?;
        let rest = rest.strip_prefix('月')?;
        let (d, rest) = take_number(rest)?;
        let rest = rest.strip_prefix('日')?;
        if !rest.is_empty() {
            return None;
        }
        return Date::new(y, m as u32, d as u32);
    }
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        let y = s[0..4].parse().ok()?;
        let m = s[4..6].parse().ok()?;
        let d = s[6..8].parse().ok()?;
        return Date::new(y, m, d);
    }
    // A time of day may follow: 1985-03-12T00:00:00, "1985/3/12 9:00", 2024-05-31T15:00:00Z.
    let (date_part, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(time_of_day(t)?)),
        None => (s, None),
    };
    let sep = if date_part.contains('-') { '-' } else { '/' };
    let parts: Vec<&str> = date_part.split(sep).collect();
    if parts.len() != 3 || parts[0].len() != 4 {
        return None;
    }
    let date = Date::new(whole_number(parts[0])?, whole_number(parts[1])? as u32, whole_number(parts[2])? as u32)?;
    match time {
        // An instant: its date in Japan.
        Some((seconds, Some(offset))) => {
            japan_date(i64::from(date.days_since_epoch()) * 86_400 + i64::from(seconds) - i64::from(offset))
        }
        _ => Some(date),
    }
}

/// A time of day `H:MM`, `HH:MM:SS` (a fraction of a second allowed after the seconds), then an
/// optional zone `Z` or `+HH:MM` / `-HH:MM`: its seconds since midnight and its zone's offset
/// in seconds (`None`: no zone). `None` for anything else.
fn time_of_day(t: &str) -> Option<(u32, Option<i32>)> {
    let zone_at = t.find(['Z', 'z', '+', '-']).unwrap_or(t.len());
    let (clock, zone) = t.split_at(zone_at);
    let two = |s: &str| (s.len() == 2).then_some(()).and_then(|_| whole_number(s)).map(|n| n as u32);
    let mut parts = clock.split(':');
    let hour = parts.next().filter(|h| !h.is_empty() && h.len() <= 2).and_then(whole_number)? as u32;
    let minute = two(parts.next()?)?;
    let second = match parts.next() {
        None => 0,
        Some(sec) => {
            let (whole, fraction) = sec.split_once('.').unwrap_or((sec, "0"));
            if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            two(whole)?
        }
    };
    if parts.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset = match zone {
        "" => None,
        "Z" | "z" => Some(0),
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (h, m) = zone[1..].split_once(':')?;
            let (h, m) = (two(h)?, two(m)?);
            if h > 23 || m > 59 {
                return None;
            }
            Some(sign * (h * 3600 + m * 60) as i32)
        }
    };
    Some((hour * 3600 + minute * 60 + second, offset))
}

/// Leading ASCII digits (at most 4) as a number, and the rest.
fn take_number(s: &str) -> Option<(i32, &str)> {
    let end = s.bytes().take_while(|b| b.is_ascii_digit()).count();
    if end == 0 || end > 4 {
        return None;
    }
    Some((s[..end].parse().ok()?, &s[end..]))
}

fn whole_number(s: &str) -> Option<i32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<Date> {
        Date::new(y, m, day)
    }

    #[test]
    fn iso_dates_exactly() {
        assert_eq!(Date::from_iso("2028-02-29"), d(2028, 2, 29));
        assert_eq!(Date::from_iso("0000-01-01"), d(0, 1, 1));
        for bad in [
            "2027-02-29",
            "2027-13-01",
            "2027-1-01",
            "2027/01/01",
            "+202-01-01",
            "2027-+1-01",
            " 2027-01-01",
            "２０２７-01-01",
        ] {
            assert_eq!(Date::from_iso(bad), None, "{bad}");
        }
        for n in [-719_468, -1, 0, 59, 60, 2_932_896] {
            assert_eq!(Date::from_days_since_epoch(n).days_since_epoch(), n);
        }
    }

    #[test]
    fn parses_all_forms() {
        assert_eq!(parse_date("1985-03-12"), d(1985, 3, 12));
        assert_eq!(parse_date("1985/3/12"), d(1985, 3, 12));
        assert_eq!(parse_date("19850312"), d(1985, 3, 12));
        assert_eq!(parse_date("１９８５－０３－１２"), d(1985, 3, 12));
        assert_eq!(parse_date("1985年3月12日"), d(1985, 3, 12));
        assert_eq!(parse_date("令和2年1月24日"), d(2020, 1, 24));
        assert_eq!(parse_date("令和元年5月1日"), d(2019, 5, 1));
        assert_eq!(parse_date("平成元年1月8日"), d(1989, 1, 8));
        assert_eq!(parse_date("昭和64年1月7日"), d(1989, 1, 7));
        assert_eq!(parse_date("大正元年7月30日"), d(1912, 7, 30));
        assert_eq!(parse_date("明治45年7月29日"), d(1912, 7, 29));
        assert_eq!(parse_date("S60.3.12"), d(1985, 3, 12));
        assert_eq!(parse_date("Ｈ３１．４．３０"), d(2019, 4, 30));
        assert_eq!(parse_date("1985-03-12T10:00:00"), d(1985, 3, 12));
    }

    #[test]
    fn a_time_of_day_may_follow_a_date_and_a_zoned_one_gives_japan_s_date() {
        for (text, date) in [
            ("2024-06-01 00:00", d(2024, 6, 1)),
            ("2024/6/1 9:00", d(2024, 6, 1)),
            ("2024-06-01T23:59:59", d(2024, 6, 1)),
            ("2024-06-01T23:59:59.123456", d(2024, 6, 1)),
            ("2024-06-01t10:00:00", d(2024, 6, 1)),
            ("２０２４－０６－０１　１０:００", d(2024, 6, 1)),
            // Instants: Japan's date (UTC+9).
            ("2024-05-31T15:00:00Z", d(2024, 6, 1)),
            ("2024-05-31T14:59:59.999Z", d(2024, 5, 31)),
            ("2024-06-01T00:00:00+09:00", d(2024, 6, 1)),
            ("2024-05-31T10:00:00-05:00", d(2024, 6, 1)),
            ("2024-06-01T08:59:59+09:00", d(2024, 6, 1)),
            ("2024-12-31T15:00:00Z", d(2025, 1, 1)),
        ] {
            assert_eq!(parse_date(text), date, "{text}");
        }
        for bad in [
            "2024-06-01 不明",
            "2024-06-01test",
            "2024-06-01T",
            "2024-06-01T24:00",
            "2024-06-01T10:60",
            "2024-06-01T10",
            "2024-06-01T10:00:00.",
            "2024-06-01T10:00:00+0900",
            "2024-06-01T10:00:00+09",
            "2024-06-01T10:00:00Zx",
            "2024-06-01T10:00:00:00",
            "2024-06-01T100:00",
            "2024-06-01 10:0",
            "2024-06-01 午前10:00",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn years_stop_at_9999() {
        assert_eq!(parse_date("9999-12-31"), d(9999, 12, 31));
        assert_eq!(parse_date("令和7981年12月31日"), d(9999, 12, 31));
        for bad in ["令和7982年1月1日", "令和8000年1月1日", "R9999.1.1", "9999-12-31T15:00:00Z"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "1985-02-30",
            "1985-13-01",
            "昭和65年1月1日",
            "平成元年1月7日",
            "令和0年1月1日",
            "abc",
            "85-3-12",
            "1985/3",
            "19850230",
            "令和2年1月24",
            "S60.3",
            "明治1年1月1日",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn epoch_days_round_trip() {
        for days in [-40000, -1, 0, 1, 11_000, 20_000, 60_000] {
            let date = Date::from_days_since_epoch(days);
            assert_eq!(date.days_since_epoch(), days);
        }
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
    }

    #[test]
    fn age() {
        let born = Date::new(1985, 3, 12).unwrap();
        assert_eq!(born.age_on(Date::new(2026, 3, 11).unwrap()), 40);
        assert_eq!(born.age_on(Date::new(2026, 3, 12).unwrap()), 41);
    }

    #[test]
    fn the_date_in_japan_turns_at_midnight_jst_not_utc() {
        // 2027-12-31T14:30:00Z is 23:30 JST on the 31st; an hour later it is 00:30 JST on the 1st,
        // while the UTC date is still the 31st.
        let d = |s: &str| parse_date(s);
        assert_eq!(japan_date(1_830_263_400), d("2027-12-31"));
        assert_eq!(japan_date(1_830_267_000), d("2028-01-01"));
        // The turn is at 15:00 UTC exactly.
        assert_eq!(japan_date(1_830_265_199), d("2027-12-31"));
        assert_eq!(japan_date(1_830_265_200), d("2028-01-01"));
        // From 09:00 JST the dates agree; the epoch is 09:00 JST on 1970-01-01.
        assert_eq!(japan_date(0), d("1970-01-01"));
        assert_eq!(japan_date(-32_400), d("1970-01-01"));
        assert_eq!(japan_date(-32_401), d("1969-12-31"));
        // A leap day and the last second tokumei's clock accepts.
        assert_eq!(japan_date(1_835_362_800), d("2028-02-29"));
        assert_eq!(japan_date(253_402_300_799), Date::new(10_000, 1, 1));
        assert_eq!(japan_date(i64::MAX), None);
        assert_eq!(japan_date(i64::MIN), None);
    }

    #[test]
    fn stored_times_give_their_japanese_date() {
        assert_eq!(unix_of_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_of_rfc3339("2027-12-31T15:30:00Z"), Some(1_830_267_000));
        assert_eq!(unix_of_rfc3339("2028-01-01T00:30:00+09:00"), Some(1_830_267_000));
        assert_eq!(unix_of_rfc3339("2027-12-31t10:30:00.123-05:00"), Some(1_830_267_000));
        assert_eq!(japan_date_of_rfc3339("2027-12-31T15:30:00Z"), Date::new(2028, 1, 1));
        assert_eq!(japan_date_of_rfc3339("2027-12-31T14:59:59Z"), Date::new(2027, 12, 31));
        assert_eq!(japan_date_of_rfc3339("2028-01-01T00:30:00+09:00"), Date::new(2028, 1, 1));
        for bad in [
            "",
            "2027-12-31",
            "2027-12-31T15:30:00",
            "2027-12-31T15:30Z",
            "2027-02-30T00:00:00Z",
            "2027-12-31T24:00:00Z",
            "2027-12-31T15:30:00+0900",
            "2027-12-31T15:30:00.Z",
            "２０２７-12-31T15:30:00Z",
            "2027-12-31T15:30:00Zx",
        ] {
            assert_eq!(unix_of_rfc3339(bad), None, "{bad}");
        }
    }
}
