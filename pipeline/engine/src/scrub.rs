//! Scrubbing free text: identifying descriptions inside a note or comment are replaced by a
//! placeholder naming what was there (［氏名］, ［電話番号］...), never kept. What is removed:
//! names from the file's own name columns (every row's, so family members named in a note go too)
//! and a dictionary, the row's own identifier values, e-mail addresses, マイナンバー and other long
//! numbers, phone numbers, postal codes, addresses from a prefecture on, and dates (Western and
//! 和暦). Text is NFKC-normalised first, so full-width digits are caught. The counts of what was
//! replaced go to the report; the values never do.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use rustc_hash::FxHashSet;

/// The kinds of identifying descriptions, in the order they are looked for.
pub const KINDS: [(&str, &str, &str); 8] = [
    ("identifier", "［識別子］", "the row's own identifier values"),
    ("name", "［氏名］", "names"),
    ("email", "［メール］", "e-mail addresses"),
    ("date", "［日付］", "dates"),
    ("postal_code", "［郵便番号］", "postal codes"),
    ("phone", "［電話番号］", "phone numbers"),
    ("number", "［番号］", "long numbers (マイナンバー, card, account)"),
    ("address", "［住所］", "addresses"),
];

/// Words shorter than this (in characters) are not names to scrub when they are all ASCII (a
/// two-letter code is too common in text); Japanese names of two characters are kept.
const MIN_ASCII_WORD: usize = 4;

/// Collects the names of a file while it is read.
#[derive(Default)]
pub struct NameSet {
    words: FxHashSet<String>,
}

impl NameSet {
    /// Add a name value: the whole value and each of its space-separated words.
    pub fn add(&mut self, value: &str) {
        let v = tokumei_jp::nfkc(value.trim());
        for w in std::iter::once(v.as_ref()).chain(v.split(char::is_whitespace)) {
            let w = w.trim();
            if word_ok(w) && !self.words.contains(w) {
                self.words.insert(w.to_string());
            }
        }
    }

    /// Add every name of `other`.
    pub fn merge(&mut self, other: &NameSet) {
        for w in &other.words {
            if !self.words.contains(w) {
                self.words.insert(w.clone());
            }
        }
    }
}

fn word_ok(w: &str) -> bool {
    let n = w.chars().count();
    n >= 2 && (n >= MIN_ASCII_WORD || !w.is_ascii())
}

/// What was replaced in one text: counts per kind (indices of [`KINDS`]).
pub type Counts = [u64; KINDS.len()];

/// The scrubber of one job.
pub struct Scrubber {
    names: Option<AhoCorasick>,
    patterns: Vec<(usize, Regex)>,
}

impl Scrubber {
    /// A scrubber removing `names` (and the built-in patterns).
    pub fn new(names: NameSet, dictionary: &[String]) -> Scrubber {
        let mut words: Vec<String> = names.words.into_iter().collect();
        words.extend(dictionary.iter().map(|w| tokumei_jp::nfkc(w.trim()).into_owned()).filter(|w| word_ok(w)));
        words.sort_unstable();
        words.dedup();
        let names = (!words.is_empty()).then(|| {
            AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostLongest).build(&words).expect("names build")
        });
        let prefectures = tokumei_jp::PREFECTURES.join("|");
        let patterns = [
            (2, r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+".to_string()),
            (
                3,
                r"(?:(?:令和|平成|昭和|大正|明治)(?:元|\d{1,2})年(?:\d{1,2}月(?:\d{1,2}日)?)?|[RHSTMrhstm]\d{1,2}[./]\d{1,2}[./]\d{1,2}|\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})".to_string(),
            ),
            (5, r"\(?0\d{1,4}[-(). ]{0,2}\d{1,4}[-). ]{0,2}\d{3,4}\b|\b0\d{9,10}\b".to_string()),
            (4, r"〒\s*\d{3}-?\d{4}|\b\d{3}-\d{4}\b".to_string()),
            (6, r"\d(?:[- ]?\d){7,}".to_string()),
            (7, format!(r"(?:{prefectures})[^\s、。,;:（）()「」\[\]]{{0,40}}")),
        ];
        let patterns = patterns.into_iter().map(|(k, p)| (k, Regex::new(&p).expect("scrub pattern"))).collect();
        Scrubber { names, patterns }
    }

    /// Scrub `text`; `row_ids` are the row's own identifier values. Returns the text and what
    /// was replaced.
    pub fn scrub(&self, text: &str, row_ids: &[&str]) -> (String, Counts) {
        let mut counts: Counts = [0; KINDS.len()];
        let mut s = tokumei_jp::nfkc(text).into_owned();
        for id in row_ids.iter().map(|i| tokumei_jp::nfkc(i.trim())).filter(|i| i.chars().count() >= 3) {
            let n = s.matches(id.as_ref()).count() as u64;
            if n > 0 {
                s = s.replace(id.as_ref(), KINDS[0].1);
                counts[0] += n;
            }
        }
        if let Some(ac) = &self.names {
            let mut out = String::with_capacity(s.len());
            let mut last = 0;
            for m in ac.find_iter(&s) {
                out.push_str(&s[last..m.start()]);
                out.push_str(KINDS[1].1);
                counts[1] += 1;
                last = m.end();
            }
            out.push_str(&s[last..]);
            s = out;
        }
        for (k, re) in &self.patterns {
            let n = re.find_iter(&s).count() as u64;
            if n > 0 {
                s = re.replace_all(&s, KINDS[*k].1).into_owned();
                counts[*k] += n;
            }
        }
        (s, counts)
    }

    /// Whether `text` (already scrubbed) still holds a row identifier or a name: the residual
    /// check that fails a run rather than release one.
    pub fn residual(&self, text: &str, row_ids: &[&str]) -> Option<&'static str> {
        if row_ids
            .iter()
            .map(|i| tokumei_jp::nfkc(i.trim()))
            .any(|i| i.chars().count() >= 3 && text.contains(i.as_ref()))
        {
            return Some("an identifier value of its row");
        }
        if self.names.as_ref().is_some_and(|ac| ac.is_match(text)) {
            return Some("a name");
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrubber() -> Scrubber {
        let mut names = NameSet::default();
        names.add("山田 太郎");
        names.add("鈴木　花子");
        names.add("Li Wei");
        Scrubber::new(names, &["佐藤".to_string()])
    }

    #[test]
    fn identifying_descriptions_are_replaced_and_counted() {
        let s = scrubber();
        let (out, counts) = s.scrub(
            "山田太郎さん（TEL 090-1234-5678、〒100-0001 東京都千代田区千代田1-1）は昭和60年3月12日生。マイナンバー１２３４５６７８９０１８、花子さんと佐藤さんに連絡。mail: taro@example.jp 宛名 00012345",
            &["00012345"],
        );
        for gone in [
            "山田",
            "太郎",
            "090",
            "1234-5678",
            "100-0001",
            "千代田",
            "昭和60年",
            "123456789018",
            "１２３",
            "花子",
            "佐藤",
            "taro@",
            "00012345",
        ] {
            assert!(!out.contains(gone), "{gone} left in {out}");
        }
        assert!(out.contains("［電話番号］") && out.contains("［住所］") && out.contains("［日付］"), "{out}");
        assert!(counts.iter().sum::<u64>() >= 8, "{counts:?}");
        assert_eq!(s.residual(&out, &["00012345"]), None);
        assert_eq!(s.residual("鈴木です", &[]), Some("a name"));
        // Ordinary text stays.
        let (out, counts) = s.scrub("要介護2、週3回の訪問", &[]);
        assert_eq!(out, "要介護2、週3回の訪問");
        assert_eq!(counts.iter().sum::<u64>(), 0);
    }

    #[test]
    fn short_ascii_words_are_not_names() {
        let mut names = NameSet::default();
        names.add("Li Wei");
        assert!(names.words.contains("Li Wei") && !names.words.contains("Li"));
    }
}
