//! Output cells and typed parsing of input text.

use arrow::datatypes::DataType;

/// One transformed value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cell {
    /// Missing.
    Null,
    /// Text.
    Str(Box<str>),
    /// Whole number.
    Int(i64),
    /// Yes/no.
    Bool(bool),
    /// Days since 1970-01-01.
    Date(i32),
}

impl Cell {
    /// Text cell.
    pub fn str(s: impl Into<Box<str>>) -> Cell {
        Cell::Str(s.into())
    }

    /// Text form for reports and dictionaries (dates ISO).
    pub fn label(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Str(s) => s.to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Date(d) => tokumei_jp::Date::from_days_since_epoch(*d).to_string(),
        }
    }
}

/// Why a value was rejected; never holds the value itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

impl Malformed {
    /// A reason.
    pub fn new(reason: impl Into<String>) -> Self {
        Malformed(reason.into())
    }
}

/// Parse a whole number: ASCII or full-width digits, optional sign, thousands commas.
pub fn parse_int(s: &str) -> Result<i64, Malformed> {
    tokumei_jp::parse_int(s).map_err(Malformed::new)
}

/// Parse yes/no: 1/0, true/false, yes/no, はい/いいえ, 有/無, あり/なし.
pub fn parse_bool(s: &str) -> Result<bool, Malformed> {
    tokumei_jp::parse_yes_no(s).map_err(Malformed::new)
}

/// Parse a date (ISO, slash, compact, 和暦).
pub fn parse_date(s: &str) -> Result<tokumei_jp::Date, Malformed> {
    tokumei_jp::parse_date(s).ok_or_else(|| Malformed::new("is not a valid date (ISO, slash or 和暦)"))
}

/// Arrow type of a value type.
pub fn arrow_type(ty: tokumei_rules::ValueType) -> DataType {
    match ty {
        tokumei_rules::ValueType::String => DataType::Utf8,
        tokumei_rules::ValueType::Integer => DataType::Int64,
        tokumei_rules::ValueType::Date => DataType::Date32,
        tokumei_rules::ValueType::Boolean => DataType::Boolean,
    }
}

/// Parse text as a typed cell.
pub fn typed(ty: tokumei_rules::ValueType, s: &str, nfkc: bool) -> Result<Cell, Malformed> {
    use tokumei_rules::ValueType as T;
    Ok(match ty {
        T::String => Cell::str(if nfkc { tokumei_jp::nfkc(s) } else { s.into() }),
        T::Integer => Cell::Int(parse_int(s)?),
        T::Date => Cell::Date(parse_date(s)?.days_since_epoch()),
        T::Boolean => Cell::Bool(parse_bool(s)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints() {
        assert_eq!(parse_int("1,234,000"), Ok(1_234_000));
        assert_eq!(parse_int("１２３"), Ok(123));
        assert_eq!(parse_int("-5"), Ok(-5));
        assert!(parse_int("").is_err());
        assert!(parse_int(",1").is_err());
        assert!(parse_int("12a").is_err());
        assert!(parse_int("99999999999999999999").is_err());
    }

    #[test]
    fn bools() {
        assert_eq!(parse_bool("はい"), Ok(true));
        assert_eq!(parse_bool("０"), Ok(false));
        assert!(parse_bool("maybe").is_err());
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every i64 round-trips, with or without full-width digits; anything else is an error,
        /// never a panic or a wrapped value.
        #[test]
        fn integers_round_trip(n in any::<i64>(), wide in any::<bool>(), junk in ".{0,24}") {
            let text = n.to_string();
            let text = if wide {
                text.chars().map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap() } else { c }).collect()
            } else {
                text
            };
            prop_assert_eq!(parse_int(&text), Ok(n));
            let _ = parse_int(&junk);
        }
    }
}
