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

/// [`digit_runs`] without allocating: `f(start, end, digits)` for each number of `text` in
/// order, its digits (ASCII) written into `buf`, which is cleared before each (one buffer reused
/// across values: this runs on every identifier value of a job).
pub fn each_digit_run(text: &str, buf: &mut String, f: &mut dyn FnMut(usize, usize, &str)) {
    each_run(text, 2, &is_number_separator, buf, f)
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
    let mut out = Vec::new();
    let mut buf = String::new();
    each_run(text, max_separators, separator, &mut buf, &mut |start, end, digits| {
        out.push(DigitRun { start, end, digits: digits.to_string() })
    });
    out
}

/// The runs of [`runs_with`], each handed to `f` with its digits in `buf`.
fn each_run(
    text: &str,
    max_separators: usize,
    separator: &dyn Fn(char) -> bool,
    buf: &mut String,
    f: &mut dyn FnMut(usize, usize, &str),
) {
    if text.is_ascii() {
        return runs_ascii(text.as_bytes(), max_separators, separator, buf, f);
    }
    // One pass over the characters (no copy of them: this runs on every identifier value of a
    // job), looking ahead through a clone of the iterator.
    let written_as_digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
    let mut it = text.char_indices();
    while let Some((start, c)) = it.next() {
        let Some(d) = digit_value(c) else { continue };
        let digits = &mut *buf;
        digits.clear();
        digits.push((b'0' + d) as char);
        let mut kanji_only = !written_as_digit(c);
        let mut end = start + c.len_utf8();
        loop {
            let mut look = it.clone();
            let Some((at, next)) = look.next() else { break };
            if let Some(d) = digit_value(next) {
                digits.push((b'0' + d) as char);
                kanji_only &= !written_as_digit(next);
                end = at + next.len_utf8();
                it = look;
                continue;
            }
            // Up to `max_separators` separators, then a digit.
            let mut seps = 0;
            let mut after = it.clone();
            while seps < max_separators {
                let mut step = after.clone();
                match step.next() {
                    Some((_, s)) if separator(s) => {
                        after = step;
                        seps += 1;
                    }
                    _ => break,
                }
            }
            if seps > 0 && after.clone().next().is_some_and(|(_, c)| digit_value(c).is_some()) {
                it = after;
                continue;
            }
            break;
        }
        if !(kanji_only && digits.len() < 2) {
            f(start, end, digits);
        }
    }
}

/// [`each_run`] over ASCII text, byte by byte (most identifier values: a telephone number, an
/// individual number, a postal code): the digits are `0`-`9` only, so no run is of kanji
/// numerals alone.
fn runs_ascii(
    text: &[u8],
    max_separators: usize,
    separator: &dyn Fn(char) -> bool,
    buf: &mut String,
    f: &mut dyn FnMut(usize, usize, &str),
) {
    let mut i = 0;
    while i < text.len() {
        if !text[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        buf.clear();
        loop {
            // `text[i]` is a digit of the run.
            buf.push(text[i] as char);
            let mut next = i + 1;
            if next < text.len() && !text[next].is_ascii_digit() {
                // Up to `max_separators` separators, then a digit.
                let mut seps = 0;
                while seps < max_separators && next < text.len() && separator(text[next] as char) {
                    next += 1;
                    seps += 1;
                }
                if seps == 0 || next >= text.len() || !text[next].is_ascii_digit() {
                    break;
                }
            }
            if next >= text.len() {
                break;
            }
            i = next;
        }
        f(start, i + 1, buf);
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ASCII path finds what the general scan over the characters finds, on every ASCII
    /// text of up to six characters from digits, separators of both readings and letters, and
    /// on longer random ones.
    #[test]
    fn the_ascii_scan_equals_the_scan_over_characters() {
        const ALPHABET: [u8; 9] = [b'1', b'0', b'-', b' ', b',', b'a', b'.', b'_', b'\n'];
        let check = |t: &str| {
            assert_eq!(runs_with(t, 2, &is_number_separator), runs_by_index(t, 2, &is_number_separator), "{t:?}");
            assert_eq!(runs_with(t, 3, &is_group_separator), runs_by_index(t, 3, &is_group_separator), "{t:?}");
        };
        each_text(&ALPHABET.map(char::from), 6, 40, check);
    }

    /// The earlier form of [`runs_with`] (over a vector of the characters), the reference.
    fn runs_by_index(text: &str, max_separators: usize, separator: &dyn Fn(char) -> bool) -> Vec<DigitRun> {
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

    fn runs(t: &str) -> Vec<String> {
        digit_runs(t).into_iter().map(|r| r.digits).collect()
    }

    /// The one-pass scan finds what the scan over a vector of the characters found: every text of
    /// up to five characters from digits of each writing, separators of each kind and letters,
    /// and longer random ones, both ways of reading separators; [`each_digit_run`], with one
    /// buffer kept across every text, hands out the same runs.
    #[test]
    fn the_one_pass_scan_equals_the_indexed_scan() {
        const ALPHABET: [char; 10] = ['1', '２', '三', '一', '-', ' ', ',', 'a', '、', '〇'];
        let buf = std::cell::RefCell::new(String::from("9"));
        let check = |t: &str| {
            let mut each = Vec::new();
            each_digit_run(t, &mut buf.borrow_mut(), &mut |start, end, digits| {
                each.push(DigitRun { start, end, digits: digits.to_string() })
            });
            assert_eq!(each, runs_by_index(t, 2, &is_number_separator), "{t:?}");
            assert_eq!(digit_runs(t), runs_by_index(t, 2, &is_number_separator), "{t:?}");
            assert_eq!(digit_runs_wide(t), runs_by_index(t, 3, &is_group_separator), "{t:?}");
        };
        each_text(&ALPHABET, 5, 24, check);
    }

    /// Call `check` on every text of up to `all_to` characters from `alphabet`, then on 20,000
    /// random ones of up to `random_to` characters (a fixed xorshift sequence).
    fn each_text(alphabet: &[char], all_to: u32, random_to: u64, check: impl Fn(&str)) {
        let mut text = String::new();
        for len in 0..=all_to {
            for mut n in 0..alphabet.len().pow(len) {
                text.clear();
                for _ in 0..len {
                    text.push(alphabet[n % alphabet.len()]);
                    n /= alphabet.len();
                }
                check(&text);
            }
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            text.clear();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut bits = state;
            for _ in 0..(bits % random_to) {
                bits = bits.rotate_right(5) ^ state.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                text.push(alphabet[(bits % alphabet.len() as u64) as usize]);
            }
            check(&text);
        }
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
