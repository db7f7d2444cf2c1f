//! Checks of the text and dates an officer enters, shared by every kind of record: a name fit
//! to identify a record, a free-text field, a day of a record's life. They name no record
//! kind, so every module may use them and they use none.

use crate::RegistryError;
use crate::deadline::date;
use crate::refuse;

/// Why a name is unfit to identify a record (surrounding spaces, control or bidirectional
/// characters that make two names look alike), if it is.
pub(crate) fn bad_text(s: &str) -> Option<&'static str> {
    if s.trim() != s {
        return Some("has spaces around it");
    }
    if s.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    }) {
        return Some("holds control or invisible characters");
    }
    None
}

/// Check a day of a request's life: a date, not before `not_before` and not after `today`.
pub(crate) fn check_day(day: &str, what: &str, not_before: &str, today: &str) -> Result<(), RegistryError> {
    if date(day).is_none() {
        return Err(refuse::value(format!("{what} must be a date YYYY-MM-DD")));
    }
    if !crate::deadline::within(day, not_before, today) {
        return Err(refuse::value(format!("{what} {day} is not between {not_before} and today ({today})")));
    }
    Ok(())
}

/// Check a free-text field: not empty, at most 4,000 characters, no control characters but
/// line breaks.
pub(crate) fn text(field: &str, v: &str) -> Result<(), RegistryError> {
    if v.trim().is_empty() {
        return Err(refuse::value(format!("`{field}` is empty")));
    }
    if v.chars().count() > 4000 {
        return Err(refuse::value(format!("`{field}` is longer than 4,000 characters")));
    }
    if v.chars().any(|c| c.is_control() && c != '\n') {
        return Err(refuse::value(format!("`{field}` holds control characters")));
    }
    Ok(())
}
