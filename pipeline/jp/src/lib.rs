//! Japanese identifier, date and place-name helpers for tokumei.
//!
//! Pure functions with no I/O: 和暦 and Gregorian date parsing, マイナンバー and
//! 地方公共団体コード check digits, 郵便番号 normalisation, prefecture look-ups, addresses read
//! into prefecture, municipality, 町字, 丁目 and 番地 (with a built-in list of municipalities) and
//! NFKC normalisation; Japan's national holidays (bundled data, [`holidays`]); the neutralised
//! cells of the CSV files tokumei writes. Every parser returns `None` on malformed input and never
//! panics.

pub mod address;
pub mod business;
pub mod csv;
pub mod date;
pub mod holidays;
pub mod ids;
pub mod names;
pub mod place;
pub mod text;

pub use address::{AddressError, Municipality, ParsedAddress, municipality_of_address, parse_address};
pub use business::{business_name_key, corporate_number, is_valid_corporate_number};
pub use csv::{csv_cell, defuse_formula};
pub use date::{Date, japan_date, japan_date_of_rfc3339, parse_date};
pub use holidays::{Holiday, holiday, holiday_years, holidays_published};
pub use ids::{
    corporate_check_digit, is_valid_municipality_code, is_valid_my_number, municipality_check_digit,
    my_number_check_digit, normalize_postal_code,
};
pub use place::{PREFECTURES, prefecture_name, prefecture_of_address};

use unicode_normalization::UnicodeNormalization;

/// Parse a whole number: ASCII or full-width digits, optional sign, thousands commas (ASCII or
/// full-width) grouping the digits properly: 1 to 3 digits, then groups of exactly 3
/// (`1,200,000`; not `1,5`, `12,34`, `1,,2` or `1,`). The error says why, never quoting the
/// value.
pub fn parse_int(s: &str) -> Result<i64, &'static str> {
    let t = s.trim();
    let mut out: i64 = 0;
    let mut neg = false;
    let mut digits = 0;
    // Digits since the last comma, and whether a comma was met.
    let (mut group, mut grouped) = (0usize, false);
    for (i, c) in t.chars().enumerate() {
        let d = match c {
            '0'..='9' => c as i64 - '0' as i64,
            '０'..='９' => c as i64 - '０' as i64,
            '-' | '－' | '−' if i == 0 => {
                neg = true;
                continue;
            }
            '+' if i == 0 => continue,
            ',' | '，' => {
                let whole = if grouped { group == 3 } else { (1..=3).contains(&group) };
                if !whole {
                    return Err("is not a whole number (its thousands commas do not group 3 digits)");
                }
                (group, grouped) = (0, true);
                continue;
            }
            _ => return Err("is not a whole number"),
        };
        digits += 1;
        group += 1;
        // Accumulated with its sign, so i64::MIN parses too.
        out = out
            .checked_mul(10)
            .and_then(|o| if neg { o.checked_sub(d) } else { o.checked_add(d) })
            .ok_or("number is outside the 64-bit integer range")?;
    }
    if digits == 0 {
        return Err("is not a whole number");
    }
    if grouped && group != 3 {
        return Err("is not a whole number (its thousands commas do not group 3 digits)");
    }
    Ok(out)
}

/// NFKC-normalise a value; text NFKC leaves as it is (ASCII, kana, kanji: [`nfkc_stable`]) is
/// returned borrowed after one pass of range checks, without the Unicode tables.
pub fn nfkc(value: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::{IsNormalized, is_nfkc_quick};
    if value.is_ascii() || value.chars().all(nfkc_stable) {
        return std::borrow::Cow::Borrowed(value);
    }
    // Text made of those and of the ideographic space and full-width ASCII (山田　太郎, ＡＢ１２),
    // which NFKC maps one to one into ASCII, mapped without the tables.
    // (A loop into a string of the text's length: collecting grew it a character at a time.)
    let mut mapped = String::with_capacity(value.len());
    if value.chars().all(|c| nfkc_simple(c).map(|m| mapped.push(m)).is_some()) {
        return std::borrow::Cow::Owned(mapped);
    }
    if is_nfkc_quick(value.chars()) == IsNormalized::Yes {
        std::borrow::Cow::Borrowed(value)
    } else {
        std::borrow::Cow::Owned(value.nfkc().collect())
    }
}

/// What NFKC makes of `c` whatever stands around it, when that is one character NFKC leaves as
/// it is ([`nfkc_stable`]): `c` itself, or ASCII for the ideographic space U+3000 and the
/// full-width forms of ASCII U+FF01-U+FF5E.
fn nfkc_simple(c: char) -> Option<char> {
    match c {
        c if nfkc_stable(c) => Some(c),
        '\u{3000}' => Some(' '),
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
        _ => None,
    }
}

/// Whether NFKC leaves `c` as it is whatever stands around it: ASCII, hiragana ぁ-ゖ, katakana
/// ァ-ヺ and ー・, 々、。 and the CJK unified ideographs U+4E00-U+9FFF. None of them has a
/// compatibility decomposition that changes it or a combining class, and no two of them compose
/// (the voiced marks U+3099-U+309C, which do, are not among them).
fn nfkc_stable(c: char) -> bool {
    c.is_ascii()
        || matches!(c, '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FC}' | '\u{4E00}'..='\u{9FFF}' | '々' | '、' | '。')
}

/// Whether `c` is a character that shows nothing but can split a word for a matcher: zero-width
/// spaces and joiners (U+200B-U+200D), word joiners and invisible operators (U+2060-U+2064), the
/// byte-order mark U+FEFF, the soft hyphen U+00AD, the combining grapheme joiner U+034F,
/// direction marks and embeddings (U+200E-U+200F, U+202A-U+202E, U+2066-U+2069, U+061C), the
/// Mongolian vowel separator U+180E and variation selectors (U+FE00-U+FE0F, U+E0100-U+E01EF).
/// NFKC keeps every one of them.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}'
            | '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{E0100}'..='\u{E01EF}'
    )
}

/// The first bytes of the invisible characters' UTF-8 (U+00AD, U+034F, U+061C, U+180E,
/// U+2000-U+2FFF, U+FE00-U+FEFF, U+E0100-U+E01EF); none is a continuation byte, so text without
/// them (ASCII, kana, kanji) has no invisible character and is told so without decoding it.
const INVISIBLE_LEADS: [u8; 7] = [0xC2, 0xCD, 0xD8, 0xE1, 0xE2, 0xEF, 0xF3];

/// [`INVISIBLE_LEADS`] as a table of every byte (one look-up a byte).
const INVISIBLE_LEAD: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < INVISIBLE_LEADS.len() {
        t[INVISIBLE_LEADS[i] as usize] = true;
        i += 1;
    }
    t
};

/// `value` without its invisible characters ([`is_invisible`]); returned borrowed when it has none.
pub fn strip_invisible(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.bytes().any(|b| INVISIBLE_LEAD[usize::from(b)]) || !value.chars().any(is_invisible) {
        std::borrow::Cow::Borrowed(value)
    } else {
        std::borrow::Cow::Owned(value.chars().filter(|c| !is_invisible(*c)).collect())
    }
}

/// The form in which two writings of one identifier (宛名番号, a code) compare equal: NFKC
/// (full-width digits and letters), a number stored as a float (`123.0`) as its digits, then only
/// its letters and digits (spaces, hyphens, invisible and combining characters, fillers dropped),
/// ASCII letters upper-cased. Identifiers already in that form are returned borrowed.
pub fn identifier_key(value: &str) -> std::borrow::Cow<'_, str> {
    if value.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) {
        return std::borrow::Cow::Borrowed(value);
    }
    let n = nfkc(value);
    let n = n.trim();
    // A number identifier stored in a float column reads `100599657.0`.
    let n = match n.split_once('.') {
        Some((whole, frac))
            if !whole.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && !frac.is_empty()
                && frac.bytes().all(|b| b == b'0') =>
        {
            whole
        }
        _ => n,
    };
    std::borrow::Cow::Owned(n.chars().filter(|c| kept(*c)).map(|c| c.to_ascii_uppercase()).collect())
}

/// Whether `value` is a マイナンバー (個人番号) however it is written: 12 digits of any width, with
/// spaces, hyphens or invisible characters between them (or as a float, `123456789018.0`), whose
/// last digit is the check digit of the others.
pub fn looks_like_my_number(value: &str) -> bool {
    is_valid_my_number(&identifier_key(value))
}

/// Yes/no as data write it: 1/0, true/false, yes/no, y/n, はい/いいえ, 有/無, あり/なし, 加入/未加入
/// (any width, any case, surrounding spaces ignored). The error says why, never quoting the value.
pub fn parse_yes_no(s: &str) -> Result<bool, &'static str> {
    match nfkc(s.trim()).to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "はい" | "有" | "あり" | "加入" => Ok(true),
        "0" | "false" | "no" | "n" | "いいえ" | "無" | "なし" | "未加入" => Ok(false),
        _ => Err("is not a yes/no value"),
    }
}

/// Whether a character counts in an identifier: a letter or digit, not a filler that looks blank
/// (Hangul fillers are letters to Unicode). ASCII, kana and the CJK unified ideographs (the
/// characters of Japanese names and addresses) are answered by their ranges: Unicode's letter
/// tables, searched for every other character, were a twentieth of a query job's reading
/// (`kept_answers_as_unicode_does` holds the ranges to the tables for every character).
#[inline]
fn kept(c: char) -> bool {
    match c {
        '0'..='9' | 'A'..='Z' | 'a'..='z' => true,
        '\0'..='\u{7F}' => false,
        '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | '\u{30FC}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}' => true,
        _ => c.is_alphanumeric() && !matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}'),
    }
}

#[cfg(test)]
mod identifier_tests {
    /// The ranges [`super::kept`] answers without Unicode's tables agree with them on every
    /// character (and a broken range would not).
    #[test]
    fn kept_answers_as_unicode_does() {
        let reference =
            |c: char| c.is_alphanumeric() && !matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}');
        let mut checked = 0u32;
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(super::kept(c), reference(c), "U+{:04X}", c as u32);
            checked += 1;
        }
        assert_eq!(checked, 0x110000 - 0x800, "every scalar value");
        // What the ranges leave out is answered by the tables: the ideographic space, ・ and
        // the Hangul filler are not kept; 々 and ー are.
        assert!(!super::kept('\u{3000}') && !super::kept('・') && !super::kept('\u{3164}'));
        assert!(super::kept('々') && super::kept('ー') && super::kept('ｱ'));
    }

    #[test]
    fn writings_of_one_identifier_compare_equal() {
        for v in ["100599658", " 100599658 ", "１００５９９６５８", "100599658\u{200B}", "\u{FEFF}100 599 658"]
        {
            assert_eq!(super::identifier_key(v), "100599658", "{v:?}");
        }
        assert_eq!(super::identifier_key("ab-12"), "AB12");
        assert_eq!(super::identifier_key("100599658.0"), "100599658");
        assert_eq!(super::identifier_key("ＡＢ－１２"), "AB12");
        // Invisible, combining, variation, tag and filler characters do not count.
        for c in [
            '\u{180E}',
            '\u{034F}',
            '\u{FE0F}',
            '\u{061C}',
            '\u{E0001}',
            '\u{115F}',
            '\u{3164}',
            '\u{2800}',
            '\u{FFF9}',
        ] {
            assert_eq!(super::identifier_key(&format!("100599658{c}")), "100599658", "{:?}", c);
        }
        assert!(matches!(super::identifier_key("AB12"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn a_my_number_is_known_however_written() {
        for v in [
            "123456789018",
            "１２３４５６７８９０１８",
            "1234 5678 9018",
            "1234-5678-9018",
            "１２３４－５６７８－９０１８",
            "1234\u{3000}5678\u{200B}9018",
            "123456789018.0",
        ] {
            assert!(super::looks_like_my_number(v), "{v}");
        }
        for v in ["123456789010", "12345678901", "1234567890180", "A1234", ""] {
            assert!(!super::looks_like_my_number(v), "{v}");
        }
    }
}

#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// No parser panics on any text; what they accept is well-formed.
        #[test]
        fn parsers_never_panic(s in "\\PC{0,24}", t in "[0-9０-９年月日元令和平成昭和大正明治RHSTM./ -]{0,16}") {
            for input in [&s, &t] {
                if let Some(d) = crate::parse_date(input) {
                    prop_assert!(crate::Date::new(d.year, d.month, d.day).is_some());
                }
                if let Some(p) = crate::normalize_postal_code(input) {
                    prop_assert_eq!(p.len(), 7);
                }
                let _ = crate::municipality_of_address(input);
                let _ = crate::parse_address(input);
                let _ = crate::is_valid_municipality_code(input);
                let _ = crate::is_valid_my_number(input);
                let _ = crate::nfkc(input);
                let _ = crate::looks_like_my_number(input);
                let _ = crate::corporate_number(input);
                let _ = crate::business_name_key(input);
                let _ = crate::parse_yes_no(input);
            }
        }
    }
}

/// House rules ([`tokumei_house`], docs/design.md): no module of this crate names one that names
/// it back, at any distance.
#[cfg(test)]
mod architecture {
    #[test]
    fn no_circle() {
        tokumei_house::assert_no_circle(env!("CARGO_MANIFEST_DIR"), &[]);
    }

    #[test]
    fn no_long_function() {
        tokumei_house::assert_no_long_function(env!("CARGO_MANIFEST_DIR"), 150);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every invisible character's UTF-8 starts with one of [`super::INVISIBLE_LEADS`], and
    /// [`super::strip_invisible`] takes it out of a text of kanji around it.
    #[test]
    fn every_invisible_character_starts_with_a_byte_the_filter_knows() {
        let mut invisible = 0;
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32).filter(|c| super::is_invisible(*c)) {
            let mut b = [0u8; 4];
            assert!(super::INVISIBLE_LEADS.contains(&c.encode_utf8(&mut b).as_bytes()[0]), "{c:?}");
            assert_eq!(super::strip_invisible(&format!("山{c}田")), "山田", "{c:?}");
            invisible += 1;
        }
        assert_eq!(invisible, 5 + 5 + 1 + 1 + 1 + 1 + 1 + 5 + 4 + 16 + 240);
    }

    #[test]
    fn text_taken_as_stable_is_what_nfkc_makes_of_it() {
        use unicode_normalization::UnicodeNormalization;
        let stable: Vec<char> = (0u32..0x11_0000).filter_map(char::from_u32).filter(|c| nfkc_stable(*c)).collect();
        for c in &stable {
            let one = c.to_string();
            assert_eq!(one.nfkc().collect::<String>(), one, "U+{:04X}", *c as u32);
        }
        // Any two in a row (composition pairs a character with the one after it), sampled.
        let mut x = 0x9E37_79B9u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let text: String = (0..3).map(|i| stable[((x >> (i * 20)) as usize) % stable.len()]).collect();
            assert_eq!(text.nfkc().collect::<String>(), text);
        }
        // The voiced marks compose with kana: never taken as stable.
        for c in ['\u{3099}', '\u{309A}', '\u{309B}', '\u{309C}', '\u{3000}', 'ｱ', '１', '㈱'] {
            assert!(!nfkc_stable(c), "U+{:04X}", c as u32);
        }
        assert_eq!(nfkc("か\u{3099}"), "が");
        // The one-to-one mappings: each alone, and sampled runs of three with stable text.
        let simple: Vec<char> =
            (0u32..0x11_0000).filter_map(char::from_u32).filter(|c| nfkc_simple(*c).is_some()).collect();
        for c in &simple {
            let one = c.to_string();
            assert_eq!(nfkc(&one), one.nfkc().collect::<String>(), "U+{:04X}", *c as u32);
        }
        assert_eq!(simple.len(), stable.len() + 1 + 0x5E);
        let mapped: Vec<char> = simple.iter().copied().filter(|c| !nfkc_stable(*c)).collect();
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Half the characters from the mapped ones, half stable.
            let pick = |r: u64| match r & 1 {
                0 => mapped[(r >> 1) as usize % mapped.len()],
                _ => stable[(r >> 1) as usize % stable.len()],
            };
            let text: String = (0..3).map(|i| pick(x >> (i * 20))).collect();
            assert_eq!(nfkc(&text), text.nfkc().collect::<String>(), "{text:?}");
        }
        assert_eq!(nfkc("山田　ｱｲ"), "山田 アイ");
    }

    #[test]
    fn whole_numbers_with_their_thousands_commas_grouped_by_three() {
        for (text, n) in [
            ("1,200,000", 1_200_000),
            ("12,345", 12_345),
            ("123,456", 123_456),
            ("1，２００，０００", 1_200_000),
            ("-1,000", -1_000),
            ("+999", 999),
            ("0", 0),
            ("１５０００００", 1_500_000),
            (" 42 ", 42),
            ("-9,223,372,036,854,775,808", i64::MIN),
        ] {
            assert_eq!(parse_int(text), Ok(n), "{text}");
        }
        for bad in
            ["1,5", "12,34", "1,,2", "1,", ",1", "1234,567", "1,2345", "1,000,00", "-,100", "1,000,", "", "-", ","]
        {
            assert!(parse_int(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_int("1,5"), Err("is not a whole number (its thousands commas do not group 3 digits)"));
    }
}
