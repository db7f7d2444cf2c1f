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
    let t = s.trim();
    let mut out: i64 = 0;
    let mut neg = false;
    let mut digits = 0;
    for (i, c) in t.chars().enumerate() {
        let d = match c {
            '0'..='9' => c as i64 - '0' as i64,
            '０'..='９' => c as i64 - '０' as i64,
            '-' | '－' | '−' if i == 0 => {
                neg = true;
                continue;
            }
            '+' if i == 0 => continue,
            ',' | '，' if digits > 0 => continue,
            _ => return Err(Malformed::new("is not a whole number")),
        };
        digits += 1;
        // Accumulated with its sign, so i64::MIN parses too.
        out = out
            .checked_mul(10)
            .and_then(|o| if neg { o.checked_sub(d) } else { o.checked_add(d) })
            .ok_or_else(|| Malformed::new("number is outside the 64-bit integer range"))?;
    }
    if digits == 0 {
        return Err(Malformed::new("is not a whole number"));
    }
    Ok(out)
}

/// Parse yes/no: 1/0, true/false, yes/no, はい/いいえ, 有/無, あり/なし.
pub fn parse_bool(s: &str) -> Result<bool, Malformed> {
    match tokumei_jp::nfkc(s.trim()).to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "はい" | "有" | "あり" | "加入" => Ok(true),
        "0" | "false" | "no" | "n" | "いいえ" | "無" | "なし" | "未加入" => Ok(false),
        _ => Err(Malformed::new("is not a yes/no value")),
    }
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
