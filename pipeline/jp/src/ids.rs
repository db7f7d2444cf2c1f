//! Check digits of Japanese identifiers.

/// Check digit of a マイナンバー (個人番号) from its first 11 digits.
/// Weights 6,5,4,3,2,7,6,5,4,3,2; r = sum mod 11; check = 0 if r <= 1 else 11 - r.
pub fn my_number_check_digit(first11: &[u8; 11]) -> u8 {
    const W: [u32; 11] = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = first11.iter().zip(W).map(|(d, w)| *d as u32 * w).sum();
    let r = sum % 11;
    if r <= 1 { 0 } else { (11 - r) as u8 }
}

/// Whether `s` is 12 ASCII digits with a valid マイナンバー check digit.
pub fn is_valid_my_number(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 12 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut first = [0u8; 11];
    for (i, d) in b[..11].iter().enumerate() {
        first[i] = d - b'0';
    }
    my_number_check_digit(&first) == b[11] - b'0'
}

/// Check digit of a 法人番号 (its first digit) from its 12-digit base number (基礎番号), as the
/// 法人番号の指定等に関する省令 第2条 sets it: 9 - ((Σ Pn × Qn) mod 9), Pn the n-th digit counted
/// from the lowest, Qn 1 when n is odd and 2 when n is even. Always 1 to 9.
pub fn corporate_check_digit(base: &[u8; 12]) -> u8 {
    let sum: u32 = base.iter().rev().enumerate().map(|(i, d)| *d as u32 * if i % 2 == 0 { 1 } else { 2 }).sum();
    (9 - sum % 9) as u8
}

/// Check digit of a 6-digit 地方公共団体コード (JIS X 0402) from its first 5 digits:
/// weights 6,5,4,3,2; the last digit of 11 - (sum mod 11).
pub fn municipality_check_digit(first5: &[u8; 5]) -> u8 {
    const W: [u32; 5] = [6, 5, 4, 3, 2];
    let sum: u32 = first5.iter().zip(W).map(|(d, w)| *d as u32 * w).sum();
    ((11 - sum % 11) % 10) as u8
}

/// Whether `s` is a 5-digit code or a 6-digit code with a valid check digit, with a
/// prefecture part 01..=47.
pub fn is_valid_municipality_code(s: &str) -> bool {
    let b = s.as_bytes();
    if !(b.len() == 5 || b.len() == 6) || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let pref = (b[0] - b'0') * 10 + (b[1] - b'0');
    if !(1..=47).contains(&pref) {
        return false;
    }
    if b.len() == 6 {
        let mut first = [0u8; 5];
        for (i, d) in b[..5].iter().enumerate() {
            first[i] = d - b'0';
        }
        return municipality_check_digit(&first) == b[5] - b'0';
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn my_number_examples_from_domain_brief() {
        for ok in ["123456789018", "111111111118", "983205673214"] {
            assert!(is_valid_my_number(ok), "{ok}");
        }
        for bad in ["983205673210", "12345678901", "12345678901a", ""] {
            assert!(!is_valid_my_number(bad), "{bad}");
        }
    }

    #[test]
    fn municipality_codes() {
        assert!(is_valid_municipality_code("131016")); // 千代田区
        assert!(is_valid_municipality_code("011002")); // 札幌市
        assert!(is_valid_municipality_code("13101"));
        assert!(!is_valid_municipality_code("131017"));
        assert!(!is_valid_municipality_code("48101"));
        assert!(!is_valid_municipality_code("1310"));
    }
}

/// Normalise a 郵便番号 (`1234567`, `123-4567`, full-width, optional `〒`) to its 7 digits.
pub fn normalize_postal_code(s: &str) -> Option<String> {
    let mut digits = String::with_capacity(7);
    let mut dashes = 0;
    for c in s.trim().trim_start_matches('〒').chars() {
        match c {
            '0'..='9' => digits.push(c),
            '０'..='９' => digits.push(char::from_u32(c as u32 - '０' as u32 + '0' as u32)?),
            '-' | '－' | '‐' | 'ー' | '−' if digits.len() == 3 => dashes += 1,
            _ => return None,
        }
    }
    (digits.len() == 7 && dashes <= 1).then_some(digits)
}

#[cfg(test)]
mod postal_tests {
    use super::*;

    #[test]
    fn postal() {
        assert_eq!(normalize_postal_code("100-0001").as_deref(), Some("1000001"));
        assert_eq!(normalize_postal_code("１００－０００１").as_deref(), Some("1000001"));
        assert_eq!(normalize_postal_code("〒1000001").as_deref(), Some("1000001"));
        assert_eq!(normalize_postal_code("10-00001"), None);
        assert_eq!(normalize_postal_code("100-000"), None);
        assert_eq!(normalize_postal_code("100--0001"), None);
    }
}
