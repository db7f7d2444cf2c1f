//! Japanese identifier, date and place-name helpers for tokumei.
//!
//! Pure functions with no I/O: 和暦 and Gregorian date parsing, マイナンバー and
//! 地方公共団体コード check digits, 郵便番号 normalisation, prefecture look-ups and
//! NFKC normalisation. Every parser returns `None` on malformed input and never panics.

pub mod date;
pub mod ids;
pub mod place;

pub use date::{Date, parse_date};
pub use ids::{
    is_valid_municipality_code, is_valid_my_number, municipality_check_digit, my_number_check_digit,
    normalize_postal_code,
};
pub use place::{PREFECTURES, municipality_of_address, prefecture_name, prefecture_of_address};

use unicode_normalization::UnicodeNormalization;

/// NFKC-normalise a value; ASCII input is returned borrowed without work.
pub fn nfkc(value: &str) -> std::borrow::Cow<'_, str> {
    if value.is_ascii() { std::borrow::Cow::Borrowed(value) } else { std::borrow::Cow::Owned(value.nfkc().collect()) }
}
