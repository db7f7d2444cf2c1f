//! Values typed on the command line and checked before any command runs (clap calls these
//! parsers from `value_parser`): a delimiter, hours of work, a purpose in words, days, a day,
//! and the decisions a request may end in.

use tokumei_jp::Date;

/// `--delimiter`: one ASCII character other than a quote or a line break.
pub fn delimiter(s: &str) -> Result<u8, String> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii() && !matches!(c, '"' | '\r' | '\n') => Ok(c as u8),
        _ => Err("--delimiter must be one ASCII character other than a quote or a line break".into()),
    }
}

/// `--hours` of staff work: a number from 0 to 100000.
pub fn hours(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|h| h.is_finite() && (0.0..=100_000.0).contains(h))
        .ok_or_else(|| "--hours must be a number of hours from 0 to 100000".into())
}

/// A purpose or reason stated in words: not blank, no control characters.
pub fn words(s: &str) -> Result<String, String> {
    if s.trim().is_empty() || s.chars().any(char::is_control) {
        Err("state it in words".into())
    } else {
        Ok(s.to_string())
    }
}

/// `--due-within`: a number of days from 0 to 3650, e.g. `7d` or `7`.
pub fn days_within(s: &str) -> Result<i64, String> {
    s.trim()
        .trim_end_matches('d')
        .parse::<i64>()
        .ok()
        .filter(|d| (0..=3650).contains(d))
        .ok_or_else(|| "--due-within is a number of days, e.g. 7d".into())
}

/// A day as the registry keeps it: exactly `YYYY-MM-DD`, a day of the calendar.
pub fn day(s: &str) -> Result<Date, String> {
    Date::from_iso(s).ok_or_else(|| "a date is YYYY-MM-DD (e.g. 2027-04-01)".into())
}

/// A day given, else `today`, as the registry keeps it.
pub fn day_or(day: Option<Date>, today: &str) -> String {
    day.map_or_else(|| today.to_string(), |d| d.to_string())
}

/// Every decision a request may end in, in the registry's words (which of them a request may
/// take depends on its kind: the registry checks).
pub fn decisions() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = Vec::new();
    for d in tokumei_registry::Kind::ALL.into_iter().flat_map(tokumei_registry::Kind::decisions) {
        if !all.contains(d) {
            all.push(d);
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_hours_and_days() {
        assert_eq!(delimiter(";"), Ok(b';'));
        assert_eq!(delimiter("\t"), Ok(b'\t'));
        for bad in ["\"", "\n", "\r", "、", ";;", ""] {
            assert!(delimiter(bad).is_err(), "{bad:?}");
        }
        assert_eq!(hours("2.5"), Ok(2.5));
        for bad in ["-1", "100001", "NaN", "inf", "x"] {
            assert!(hours(bad).is_err(), "{bad}");
        }
        assert_eq!(days_within("7d"), Ok(7));
        assert_eq!(days_within(" 7 "), Ok(7));
        assert!(days_within("3651").is_err());
        assert!(words(" ").is_err() && words("a\nb").is_err() && words("統計").is_ok());
    }

    #[test]
    fn days_are_the_registry_s_and_every_decision_is_listed_once() {
        assert_eq!(day("2027-02-28").map(|d| d.to_string()), Ok("2027-02-28".into()));
        for bad in ["2027-02-29", "2027/02/28", "令和9年2月28日", "20270228", ""] {
            assert!(day(bad).is_err(), "{bad}");
        }
        assert_eq!(day_or(None, "2027-01-04"), "2027-01-04");
        let all = decisions();
        assert_eq!(all, ["full", "partial", "refused", "existence_refused", "not_held", "accepted", "rejected"]);
    }
}
