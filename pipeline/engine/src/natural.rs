//! Natural order of labels for the data dictionary: numbers inside a label compare by value, so
//! 第1段階 … 第9段階, 第10段階 … 第13段階 and 1割, 2割, 3割 list in that order (not as text, where
//! 第10段階 comes before 第2段階). ASCII and full-width digits and kanji numerals (〇一二…十百千万)
//! are numbers; the rest compares as text.

use std::cmp::Ordering;

/// One run of a label: a number, or text.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Part<'a> {
    /// A number (numbers sort before text at the same place).
    Number(u128),
    /// Text.
    Text(&'a str),
}

fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => kanji_digit(c),
    }
}

fn kanji_digit(c: char) -> Option<u32> {
    "〇一二三四五六七八九".chars().position(|k| k == c).map(|p| p as u32).or((c == '零').then_some(0))
}

fn kanji_unit(c: char) -> Option<u128> {
    match c {
        '十' => Some(10),
        '百' => Some(100),
        '千' => Some(1000),
        '万' => Some(10_000),
        _ => None,
    }
}

fn is_number_char(c: char) -> bool {
    digit(c).is_some() || kanji_unit(c).is_some()
}

/// The value of a run of digits or kanji numerals (`十三` 13, `二〇二三` 2023, `1２` 12).
fn value(run: &str) -> u128 {
    if !run.chars().any(|c| kanji_unit(c).is_some()) {
        return run.chars().filter_map(digit).fold(0u128, |n, d| n.saturating_mul(10).saturating_add(u128::from(d)));
    }
    // 三千二百十五, 十三, 二万五千: units multiply the digit before them (one when none).
    let (mut total, mut section, mut pending) = (0u128, 0u128, None::<u128>);
    for c in run.chars() {
        match (digit(c), kanji_unit(c)) {
            (Some(d), _) => pending = Some(pending.unwrap_or(0).saturating_mul(10).saturating_add(u128::from(d))),
            (_, Some(10_000)) => {
                total = total.saturating_add(section.saturating_add(pending.take().unwrap_or(0)).max(1) * 10_000);
                section = 0;
            }
            (_, Some(unit)) => section = section.saturating_add(pending.take().unwrap_or(1).saturating_mul(unit)),
            _ => {}
        }
    }
    total.saturating_add(section).saturating_add(pending.unwrap_or(0))
}

fn parts(s: &str) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut number: Option<bool> = None;
    for (i, c) in s.char_indices() {
        let is_num = is_number_char(c);
        match number {
            Some(n) if n != is_num => {
                let run = &s[start..i];
                out.push(if n { Part::Number(value(run)) } else { Part::Text(run) });
                start = i;
            }
            _ => {}
        }
        number = Some(is_num);
    }
    if let Some(n) = number {
        let run = &s[start..];
        out.push(if n { Part::Number(value(run)) } else { Part::Text(run) });
    }
    out
}

/// Compare two labels in natural order (then as text, so that distinct labels never tie).
pub fn cmp(a: &str, b: &str) -> Ordering {
    parts(a).cmp(&parts(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(v: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| cmp(a, b));
        v
    }

    /// 保険料段階 and 負担割合 list in their own order, not as text.
    #[test]
    fn stages_and_shares_in_natural_order() {
        let stages: Vec<String> = (1..=13).map(|i| format!("第{i}段階")).collect();
        let mut shuffled: Vec<&str> = stages.iter().map(String::as_str).rev().collect();
        shuffled.swap(2, 7);
        assert_eq!(sorted(&shuffled), stages);
        assert_eq!(sorted(&["3割", "1割", "2割"]), ["1割", "2割", "3割"]);
        assert_eq!(
            sorted(&["第十段階", "第二段階", "第一段階", "第十三段階"]),
            ["第一段階", "第二段階", "第十段階", "第十三段階"]
        );
        assert_eq!(
            sorted(&["要介護5", "要介護1", "要支援2", "要支援1", "なし"]),
            ["なし", "要介護1", "要介護5", "要支援1", "要支援2"]
        );
        assert_eq!(sorted(&["第１２段階", "第2段階"]), ["第2段階", "第１２段階"]);
    }

    #[test]
    fn kanji_numerals_have_their_values() {
        for (k, v) in
            [("十三", 13), ("二〇二三", 2023), ("三千二百十五", 3215), ("二万五千", 25_000), ("百", 100), ("１２", 12)]
        {
            assert_eq!(value(k), v, "{k}");
        }
    }
}
