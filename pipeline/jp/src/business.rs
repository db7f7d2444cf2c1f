//! Businesses: the 法人番号 (corporate number) and the form in which two writings of a business
//! name compare equal.

use crate::ids::corporate_check_digit;

/// The 13 digits of a 法人番号 written in any width, with spaces, hyphens or other separators
/// (`7000012050002`, `７０００ー０１２０−５０００２`), if its check digit (the first digit) is
/// right; `None` otherwise (never the value in an error: callers say what is wrong).
pub fn corporate_number(s: &str) -> Option<String> {
    let key = crate::identifier_key(s);
    is_valid_corporate_number(&key).then(|| key.into_owned())
}

/// Whether `s` is 13 ASCII digits whose first digit is the check digit of the other 12.
pub fn is_valid_corporate_number(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 13 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut base = [0u8; 12];
    for (i, d) in b[1..].iter().enumerate() {
        base[i] = d - b'0';
    }
    corporate_check_digit(&base) == b[0] - b'0'
}

/// Legal forms (法人格) as written in full, each with its abbreviations, after NFKC and with
/// spaces removed (`（株）` and `㈱` read `(株)`, `㍿` reads `株式会社`). Longer forms come first
/// where one contains another (`一般社団法人` before `社団法人`).
const LEGAL_FORMS: &[&[&str]] = &[
    &["株式会社", "株式會社", "(株)", "(株式)"],
    &["特例有限会社", "有限会社", "(有)"],
    &["合同会社", "(同)", "(合)"],
    &["合名会社", "(名)"],
    &["合資会社", "(資)"],
    &["一般社団法人", "(一社)", "(一般社)"],
    &["一般財団法人", "(一財)", "(一般財)"],
    &["公益社団法人", "(公社)"],
    &["公益財団法人", "(公財)"],
    &["特定非営利活動法人", "npo法人", "(特非)", "(npo)"],
    &["社会福祉法人", "(福)", "(社福)"],
    &["医療法人社団", "医療法人財団", "医療法人", "(医)"],
    &["学校法人", "(学)"],
    &["宗教法人", "(宗)"],
    &["地方独立行政法人", "(地独)"],
    &["独立行政法人", "(独)"],
    &["国立大学法人", "(国大)"],
    &["有限責任事業組合", "(責)"],
    &["事業協同組合", "協同組合", "(協)"],
    &["企業組合", "(企)"],
    &["弁護士法人", "(弁)"],
    &["税理士法人", "(税)"],
    &["司法書士法人", "(司)"],
    &["行政書士法人", "(行)"],
    &["監査法人", "(監)"],
    &["社団法人", "(社)"],
    &["財団法人", "(財)"],
];

/// English legal forms at the end of a name (after NFKC, lower case, spaces removed).
const ENGLISH_FORMS: &[&str] = &[
    ",co.,ltd.",
    "co.,ltd.",
    "co.,ltd",
    "co.ltd.",
    "co.ltd",
    ",ltd.",
    "ltd.",
    ",inc.",
    "inc.",
    "corporation",
    "corp.",
    "k.k.",
    "g.k.",
    ",llc",
    "llc",
];

/// The form in which two writings of one business's name compare equal, to find a business
/// registered again under another spelling: NFKC (full-width letters and digits, `㈱`, `㍿`),
/// lower case, every legal form (`株式会社`, `（株）`, `有限会社`, `一般社団法人`, `（一社）`...,
/// and `Co., Ltd.`, `Inc.` at the end) removed wherever it stands (前株 and 後株 alike, and a
/// change of legal form, e.g. 有限会社 to 株式会社, still matches), then only letters and digits
/// kept (spaces of any width, punctuation, middle dots and invisible characters dropped). A
/// name that is nothing but a legal form keeps its letters and digits. Never panics.
pub fn business_name_key(name: &str) -> String {
    let n = crate::nfkc(name);
    let mut s: String = n.chars().filter(|c| !c.is_whitespace() && !invisible(*c)).collect::<String>().to_lowercase();
    // `㈱` is `(株)`; a full-width `（株）` is too after NFKC. Brackets of other shapes alike.
    s = s.replace(['[', '【', '［', '〔', '「'], "(").replace([']', '】', '］', '〕', '」'], ")");
    let whole = alnum(&s);
    for forms in LEGAL_FORMS {
        for f in *forms {
            if s.contains(f) {
                s = s.replace(f, " ");
            }
        }
    }
    let mut t = s.trim_end().to_string();
    loop {
        let before = t.len();
        for f in ENGLISH_FORMS {
            if let Some(rest) = t.strip_suffix(f) {
                t = rest.trim_end().to_string();
            }
        }
        if t.len() == before {
            break;
        }
    }
    let key = alnum(&t);
    if key.is_empty() { whole } else { key }
}

/// Letters and digits only (fillers that Unicode counts as letters dropped).
fn alnum(s: &str) -> String {
    s.chars().filter(|c| crate::kept(*c)).collect()
}

/// Characters that show nothing (format characters, variation selectors, the Braille blank).
fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{FE00}'..='\u{FE0F}' | '\u{2800}' | '\u{00AD}' | '\u{034F}' | '\u{180E}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_corporate_numbers_have_their_check_digit() {
        // 国税庁, and two numbers as published on the 法人番号公表サイト.
        for ok in ["7000012050002", "4011001098993", "2120901007402"] {
            assert!(is_valid_corporate_number(ok), "{ok}");
            assert_eq!(corporate_number(ok).as_deref(), Some(ok));
        }
        assert_eq!(corporate_number("７０００ ０１２０ ５０００２").as_deref(), Some("7000012050002"));
        assert_eq!(corporate_number("7-0000-1205-0002").as_deref(), Some("7000012050002"));
        assert_eq!(corporate_number("\u{200B}7000012050002 ").as_deref(), Some("7000012050002"));
        // One digit wrong, two swapped, too short or long, letters, a 0 check digit.
        for bad in [
            "7000012050003",
            "6000012050002",
            "7000021050002",
            "700001205000",
            "70000120500021",
            "7000O12050002",
            "0000000000000",
            "",
        ] {
            assert!(corporate_number(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn writings_of_one_business_name_compare_equal() {
        let key = business_name_key("株式会社見本データ分析");
        assert_eq!(key, "見本データ分析");
        for v in [
            "（株）見本データ分析",
            "(株)見本データ分析",
            "㈱見本データ分析",
            "㍿見本データ分析",
            "見本データ分析株式会社",
            "見本データ分析㈱",
            "見本データ分析（株）",
            "株式会社　見本　データ　分析",
            "株式会社 見本・データ分析",
            "株式会社見本データ分析\u{200B}",
            "有限会社見本データ分析",
            "見本データ分析（有）",
            "合同会社見本データ分析",
            "見本データ分析 Co., Ltd.",
            "【株】見本データ分析",
        ] {
            assert_eq!(business_name_key(v), key, "{v}");
        }
        assert_eq!(business_name_key("一般社団法人 見本協会"), business_name_key("（一社）見本協会"));
        assert_eq!(business_name_key("一般社団法人 見本協会"), "見本協会");
        assert_eq!(business_name_key("ＡＢＣ株式会社"), business_name_key("abc Inc."));
        assert_ne!(business_name_key("株式会社見本データ分析"), business_name_key("株式会社見本データ解析"));
        // A name that is only a legal form keeps it.
        assert_eq!(business_name_key("株式会社"), "株式会社");
        assert_eq!(business_name_key(""), "");
    }
}
