//! Numbers inside Japanese text, however they are written: ASCII or full-width digits, kanji
//! numerals (〇一二三四五六七八九, 零), and separators between the digits (hyphens of every
//! kind, the long-vowel mark used as one in `070ー8502ー3722`, spaces, dots, slashes, brackets).

/// The value of a digit: `0`-`9`, full-width `０`-`９`, or a kanji numeral (〇 零 一 … 九).
pub fn digit_value(c: char) -> Option<u8> {
    Some(match c {
        '0'..='9' => c as u8 - b'0',
        '０'..='９' => (c as u32 - '０' as u32) as u8,
        '〇' | '零' => 0,
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// Whether `c` may stand between the digits of one number: hyphens and dashes of every width
/// and kind, the long-vowel mark (ー, ｰ), the middle dot, spaces, dots, slashes and brackets.
pub fn is_number_separator(c: char) -> bool {
    matches!(
        c,
        '-' | '‐'
            | '‑'
            | '‒'
            | '–'
            | '—'
            | '―'
            | '−'
            | '－'
            | 'ー'
            | 'ｰ'
            | '～'
            | '~'
            | '・'
            | '･'
            | ' '
            | '\u{3000}'
            | '\t'
            | '.'
            | '．'
            | '/'
            | '／'
            | '('
            | ')'
            | '（'
            | '）'
    )
}

/// One number of a text: where it is (bytes, from its first digit to its last) and its digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitRun {
    /// Byte offset of the first digit.
    pub start: usize,
    /// Byte offset just after the last digit.
    pub end: usize,
    /// The digits, as ASCII.
    pub digits: String,
}

/// Every number of `text`: maximal runs of digits (see [`digit_value`]) in which at most two
/// separators ([`is_number_separator`]) stand between two digits. A run of kanji numerals
/// alone counts only from two numerals on (一 alone is a word: 一人, 一度).
pub fn digit_runs(text: &str) -> Vec<DigitRun> {
    runs_with(text, 2, &is_number_separator)
}

/// Whether `c` may stand between the groups of a number written as a list or across lines
/// (`123,456,789,018`, `1234、5678`, a line break, `03_1234_5678`), besides
/// [`is_number_separator`].
pub fn is_group_separator(c: char) -> bool {
    is_number_separator(c) || matches!(c, ',' | '，' | '、' | '\n' | '\r' | '_' | '＿')
}

/// Every number of `text` read wide: as [`digit_runs`], with up to three separators between two
/// digits (`03 - 1234 - 5678`) and the group separators of [`is_group_separator`]. A number
/// split into groups this way is still one number (a マイナンバー written `123,456,789,018`).
pub fn digit_runs_wide(text: &str) -> Vec<DigitRun> {
    runs_with(text, 3, &is_group_separator)
}

fn runs_with(text: &str, max_separators: usize, separator: &dyn Fn(char) -> bool) -> Vec<DigitRun> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let Some(d) = digit_value(chars[i].1) else {
            i += 1;
            continue;
        };
        let start = chars[i].0;
        let mut digits = String::new();
        digits.push((b'0' + d) as char);
        let mut kanji_only = !chars[i].1.is_ascii_digit() && !('０'..='９').contains(&chars[i].1);
        let mut last = i;
        let mut j = i + 1;
        while j < chars.len() {
            if let Some(d) = digit_value(chars[j].1) {
                digits.push((b'0' + d) as char);
                kanji_only &= !chars[j].1.is_ascii_digit() && !('０'..='９').contains(&chars[j].1);
                last = j;
                j += 1;
                continue;
            }
            // Up to `max_separators` separators, then a digit.
            let mut k = j;
            while k < chars.len() && k - j < max_separators && separator(chars[k].1) {
                k += 1;
            }
            if k > j && k < chars.len() && digit_value(chars[k].1).is_some() {
                j = k;
                continue;
            }
            break;
        }
        let end = chars[last].0 + chars[last].1.len_utf8();
        if !(kanji_only && digits.len() < 2) {
            out.push(DigitRun { start, end, digits });
        }
        i = last + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(t: &str) -> Vec<String> {
        digit_runs(t).into_iter().map(|r| r.digits).collect()
    }

    #[test]
    fn numbers_are_read_in_any_width_separator_and_numeral() {
        assert_eq!(runs("電話070ー8502ー3722まで"), ["07085023722"]);
        assert_eq!(runs("番号五〇二二三〇九二四三〇四"), ["502230924304"]);
        assert_eq!(runs("ＴＥＬ ０９０－１２３４－５６７８"), ["09012345678"]);
        assert_eq!(runs("旧個人番号 5994 3123 4567"), ["599431234567"]);
        assert_eq!(runs("(03)1234‐5678"), ["0312345678"]);
        assert_eq!(runs("一人暮らし、週3回"), ["3"]);
        assert_eq!(runs("a 1 ,2"), ["1", "2"]);
        let wide = |t: &str| digit_runs_wide(t).into_iter().map(|r| r.digits).collect::<Vec<_>>();
        assert_eq!(wide("番号 123,456,789,018 です"), ["123456789018"]);
        assert_eq!(wide("１２３、４５６、７８９、０１８"), ["123456789018"]);
        assert_eq!(wide("03 - 1234 - 5678"), ["0312345678"]);
        assert_eq!(wide("1234\n5678\r\n9018"), ["123456789018"]);
        assert_eq!(wide("a 1 , , , 2"), ["1", "2"]);
        let r = &digit_runs("被保険者 0001234567 の件")[0];
        assert_eq!(&"被保険者 0001234567 の件"[r.start..r.end], "0001234567");
    }
}
