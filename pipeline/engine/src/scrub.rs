//! Free text judged by what is released.
//!
//! [`Scrubber`]: identifying descriptions inside a note or comment are replaced by a placeholder
//! naming what was there (［氏名］, ［電話番号］...), never kept. What is removed:
//! - the extract's own names (every row's, so family members named in a note go too): whole
//!   names with or without a space (林修, 林 修), every surname and given name of two characters
//!   or more wherever it stands, and one-character parts where the text says a name stands
//!   (林さん, 長男 修, 林［氏名］) or where a one-character surname meets a one-character given
//!   name (林修 of two people);
//! - names the extract does not hold, told by their context: a surname or given name of the
//!   shipped list ([`tokumei_jp::names`], IPADIC's 人名 entries) right before an honorific
//!   (様, さん, 氏, 先生 ...) or right after a kinship or role word (長男, 妻, 主治医 ...);
//! - the row's own identifier values, e-mail addresses, dates (Western and 和暦), postal codes,
//!   addresses from a prefecture on, and every number of 4 digits or more, replaced whole, in
//!   any width, with any separator (hyphens, ー, spaces) and in kanji numerals (五〇二二…).
//!
//! Text is NFKC-normalised first, and invisible characters (zero-width spaces and joiners, word
//! joiners, the BOM, soft hyphens, direction marks, variation selectors) are taken out, from the
//! released text too. The counts of what was replaced go to the report; the values
//! never do.
//!
//! The residual scan (its own module, `residual`): of every released text column (kept, scrubbed or free) for the
//! extract's own identifier values: whole names of its name columns (kanji and kana) and the
//! numbers of its identifier columns (個人番号, 被保険者番号, 宛名番号, 電話 ...) in any width and
//! with any separators. A hit fails the run; the scan's findings are what standard 1 reports.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use rustc_hash::{FxHashMap, FxHashSet};
use tokumei_jp::names as jn;

/// The name detector `tokumei init` drafts with: whether a column's values are person names
/// (full names, or the surnames or given names of a split name), and whether a column's name
/// says it holds one part of a split name (氏, 姓, 名).
pub use tokumei_jp::names::{NameColumn, is_split_name_column, person_name_column};

/// The kinds of identifying descriptions: (key, placeholder, English label, Japanese label).
pub const KINDS: [(&str, &str, &str, &str); 10] = [
    ("identifier", "［識別子］", "the row's own identifier values", "その行の識別子の値"),
    ("name", "［氏名］", "full names of the extract", "抽出データの氏名（姓名）"),
    ("name_part", "［氏名］", "surnames and given names of the extract", "抽出データの姓・名"),
    (
        "name_context",
        "［氏名］",
        "names told by an honorific or kinship word (shipped name list)",
        "敬称・続柄から判断した人名（同梱の人名リスト）",
    ),
    ("email", "［メール］", "e-mail addresses", "メールアドレス"),
    ("date", "［日付］", "dates", "日付"),
    ("postal_code", "［郵便番号］", "postal codes", "郵便番号"),
    ("phone", "［電話番号］", "phone numbers", "電話番号"),
    ("number", "［番号］", "numbers of 4 digits or more (マイナンバー, 被保険者番号, card, account)", "4桁以上の番号"),
    ("address", "［住所］", "addresses", "住所"),
];

const IDENTIFIER: usize = 0;
const NAME: usize = 1;
const NAME_PART: usize = 2;
const NAME_CONTEXT: usize = 3;
const EMAIL: usize = 4;
const DATE: usize = 5;
const POSTAL: usize = 6;
const PHONE: usize = 7;
const NUMBER: usize = 8;
const ADDRESS: usize = 9;

/// ASCII words shorter than this (in characters) are not names to scrub on their own (a
/// two-letter code is too common in text); Japanese name parts of two characters are.
const MIN_ASCII_WORD: usize = 4;

/// Digits from which a number in free text is replaced.
pub(crate) const MIN_DIGITS: usize = 4;

/// Digits from which a number written in groups (over commas, line breaks, spaced hyphens) is
/// replaced whole: no amount in a note reaches it, a phone number and a マイナンバー do.
const MIN_GROUPED_DIGITS: usize = 10;

/// Digits from which an identifier value is a number the residual scan looks for (shorter
/// ones are years, amounts and counts in any text).
pub const MIN_IDENTIFIER_DIGITS: usize = 6;

/// Digits from which an identifier number is also looked for inside a longer number.
pub(crate) const MIN_INNER_DIGITS: usize = 8;

/// The names of a file, collected while it is read: whole names (their parts in order) and
/// each part on its own.
#[derive(Default, Clone)]
pub struct NameSet {
    /// Whole names, parts joined by U+001F.
    whole: FxHashSet<String>,
    /// Surnames (the first part of a full name, or a 氏・姓 column's value).
    surnames: FxHashSet<String>,
    /// Given names (the last part of a full name, or a 名 column's value).
    given: FxHashSet<String>,
}

/// A name as it is compared: NFKC, old and variant kanji as their common form (髙 as 高, 佐佐木
/// as 佐々木), hiragana as katakana (a kana name matches however a note spells it).
pub(crate) fn norm(v: &str) -> String {
    let v = tokumei_jp::nfkc(v.trim());
    let v = tokumei_jp::strip_invisible(&v);
    let v = jn::fold_variants(v.trim());
    let mut out = String::with_capacity(v.len());
    out.extend(v.chars().map(jn::to_katakana));
    out
}

/// A text as the scrubber reads and releases it: NFKC, invisible characters taken out (a
/// zero-width space, a word joiner or a variation selector inside a name hides it from a
/// matcher: [`tokumei_jp::is_invisible`]), old and variant kanji as their common form.
pub(crate) fn text_norm(t: &str) -> String {
    let t = tokumei_jp::nfkc(t);
    let t = tokumei_jp::strip_invisible(&t);
    jn::fold_variants(&t).into_owned()
}

/// `t` with hiragana as katakana: same byte offsets as `t`.
pub(crate) fn kana_copy(t: &str) -> String {
    t.chars().map(jn::to_katakana).collect()
}

/// Characters that may stand between the parts of a name in a note (林・修, 山田、太郎, a line
/// break, several spaces).
pub(crate) fn is_name_gap(c: char) -> bool {
    c.is_whitespace() || matches!(c, '・' | '、' | ',' | '.' | '-' | '‐' | '−' | '/' | '_' | '=' | '＝')
}

/// Hiragana words that follow a name written in hiragana (さくらが, はなこさん).
pub(crate) const AFTER_KANA_NAME: &[&str] = &[
    "さん",
    "ちゃん",
    "さま",
    "くん",
    "から",
    "より",
    "が",
    "は",
    "を",
    "に",
    "の",
    "と",
    "も",
    "へ",
    "で",
    "や",
    "よ",
    "ね",
];

/// Whether a kana name matched at `text[start..end]` stands as a word of its own: no letter of
/// its own script touches it (アイ is no name inside アイロン, さくら none inside さくらんぼ), but
/// a particle or honorific may follow a hiragana name (さくらが来所).
pub(crate) fn kana_word_alone(text: &str, start: usize, end: usize) -> bool {
    let (Some(first), Some(last)) = (text[start..end].chars().next(), text[start..end].chars().next_back()) else {
        return false;
    };
    let before = text[..start].chars().next_back();
    let after = &text[end..];
    let same =
        |a: char, b: char| (jn::is_katakana(a) && jn::is_katakana(b)) || (jn::is_hiragana(a) && jn::is_hiragana(b));
    if before.is_some_and(|b| same(b, first)) {
        return false;
    }
    match after.chars().next() {
        Some(a) if same(a, last) => jn::is_hiragana(a) && AFTER_KANA_NAME.iter().any(|p| after.starts_with(p)),
        _ => true,
    }
}

/// The whole name (its parts in order), surname and given name of a normalised full-name value
/// `v`: its space-separated words (the first a surname, the last a given name), or a kanji name
/// written without a space (林修) split where the shipped lists see a surname and a given name,
/// or one word of two characters or more as a whole name alone.
pub(crate) fn name_parts(v: &str, mut f: impl FnMut(Option<&[&str]>, Option<&str>, Option<&str>)) {
    let words: Vec<&str> = v.split(char::is_whitespace).filter(|w| !w.is_empty()).collect();
    match words.as_slice() {
        [] => {}
        [w] => {
            let split = w.chars().all(jn::is_kanji).then(|| {
                w.char_indices()
                    .map(|(i, _)| i)
                    .skip(1)
                    .find(|&i| jn::is_surname(&w[..i]) && jn::is_given_name(&w[i..]))
            });
            match split.flatten() {
                Some(i) => f(Some(&[&w[..i], &w[i..]]), Some(&w[..i]), Some(&w[i..])),
                None if w.chars().count() >= 2 => f(Some(&[w]), None, None),
                None => {}
            }
        }
        [first, .., last] => f(Some(&words), Some(first), Some(last)),
    }
}

impl NameSet {
    /// Add a full-name value: the whole name and each of its space-separated parts (the first a
    /// surname, the last a given name). A name written without a space (林修) is split where the
    /// shipped lists see a surname and a given name.
    pub fn add(&mut self, value: &str) {
        let v = norm(value);
        name_parts(&v, |whole, surname, given| {
            if let Some(w) = whole {
                self.whole.insert(w.join("\u{1F}"));
            }
            if let Some(p) = surname {
                self.surnames.insert(p.to_string());
            }
            if let Some(p) = given {
                self.given.insert(p.to_string());
            }
        });
    }

    /// Add one row's split name: a surname and a given name from their own columns.
    pub fn add_split(&mut self, surname: Option<&str>, given: Option<&str>) {
        let s = surname.map(norm).filter(|s| !s.is_empty());
        let g = given.map(norm).filter(|g| !g.is_empty());
        if let (Some(s), Some(g)) = (&s, &g) {
            self.whole.insert(format!("{s}\u{1F}{g}"));
        }
        if let Some(s) = s {
            self.surnames.insert(s);
        }
        if let Some(g) = g {
            self.given.insert(g);
        }
    }

    /// Add every name of `other`.
    pub fn merge(&mut self, other: &NameSet) {
        for (mine, theirs) in
            [(&mut self.whole, &other.whole), (&mut self.surnames, &other.surnames), (&mut self.given, &other.given)]
        {
            for w in theirs {
                if !mine.contains(w) {
                    mine.insert(w.clone());
                }
            }
        }
    }

    /// Whole names known.
    pub fn whole_names(&self) -> usize {
        self.whole.len()
    }

    /// Whether no name is known.
    pub fn is_empty(&self) -> bool {
        self.whole.is_empty() && self.surnames.is_empty() && self.given.is_empty()
    }

    /// The spellings of each whole name a text may hold: parts joined with nothing and with one
    /// space.
    fn whole_variants(&self) -> impl Iterator<Item = String> + '_ {
        self.whole.iter().flat_map(|w| {
            let joined = w.replace('\u{1F}', "");
            let spaced = w.contains('\u{1F}').then(|| w.replace('\u{1F}', " "));
            std::iter::once(joined).chain(spaced)
        })
    }
}

/// The values of a column that may hold person names (a direct identifier whose header does not
/// say name: 世帯主, 主治医, 家族, 緊急連絡先, 代理人), collected while the file is read: those
/// shaped like a person name ([`tokumei_jp::names::name_shape`]), and how many of its present
/// values are. Its names count when most of its values are names ([`MaybeNames::names`]).
#[derive(Default, Clone)]
pub struct MaybeNames {
    present: u64,
    shaped: u64,
    names: NameSet,
}

impl MaybeNames {
    /// Add one value of the column (its names kept when `keep`, for the scrubber); whether it
    /// is shaped like a person name.
    pub fn add(&mut self, value: &str, keep: bool) -> bool {
        if value.trim().is_empty() {
            return false;
        }
        self.present += 1;
        let shaped = jn::name_shape(value).is_some();
        if shaped {
            self.shaped += 1;
            if keep {
                self.names.add(value);
            }
        }
        shaped
    }

    /// Add every value of `other`.
    pub fn merge(&mut self, other: &MaybeNames) {
        self.present += other.present;
        self.shaped += other.shaped;
        self.names.merge(&other.names);
    }

    /// The column's names, when at least 60% of its present values are shaped like person names
    /// (the share [`person_name_column`] asks of a column).
    pub fn names(&self) -> Option<&NameSet> {
        self.counts().then_some(&self.names)
    }

    /// Whether the column's values are names: at least 60% of its present values shaped like
    /// person names.
    pub fn counts(&self) -> bool {
        MaybeNames::names_by_counts(self.present, self.shaped)
    }

    /// Whether a column of `present` values, `shaped` of them shaped like person names, holds
    /// names ([`MaybeNames::counts`] from counts made elsewhere: a cluster's).
    pub fn names_by_counts(present: u64, shaped: u64) -> bool {
        shaped > 0 && shaped * 10 >= present * 6
    }
}

pub(crate) fn word_ok(w: &str) -> bool {
    let n = w.chars().count();
    n >= 2 && (n >= MIN_ASCII_WORD || !w.is_ascii())
}

/// Characters from which a whole address or e-mail address of an identifier column is looked
/// for in released text (a prefecture and a city alone are not a person's address).
pub(crate) const MIN_VALUE_CHARS: usize = 10;

/// [`each_lookup_value`]'s values, collected (the tests' form).
#[cfg(test)]
pub(crate) fn lookup_values(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    each_lookup_value(v, &mut |w| out.push(w.to_string()));
    out
}

/// The address or e-mail address `v` (normalised) is, to look for, handed to `f` in order: an
/// e-mail address whole, an address from its prefecture on (its words set apart by single
/// spaces) and also without its prefecture (東京都八王子市元本郷町4丁目18番11号 and
/// 八王子市元本郷町4丁目18番11号), each of [`MIN_VALUE_CHARS`] or more. Nothing is copied (this
/// runs on every address of an identifier column) unless the words are set apart otherwise than
/// by single ASCII spaces.
pub(crate) fn each_lookup_value(v: &str, f: &mut dyn FnMut(&str)) {
    let long = |s: &str| s.chars().count() >= MIN_VALUE_CHARS;
    if v.contains('@') && v.contains('.') && !v.contains(char::is_whitespace) {
        if long(v) {
            f(v);
        }
        return;
    }
    let Some(p) = tokumei_jp::prefecture_of_address(v) else { return };
    let whole = single_spaced(v);
    let rest = whole.trim_start().strip_prefix(p).map(str::trim_start).unwrap_or_default();
    for w in [&whole[..], rest] {
        if long(w) {
            f(w);
        }
    }
}

/// `v`'s words joined by single ASCII spaces (`v.split_whitespace()` joined with " "): `v` itself
/// when it already is so.
fn single_spaced(v: &str) -> std::borrow::Cow<'_, str> {
    let mut after_space = true; // at the start, a space would be leading
    let mut kept = true;
    for c in v.chars() {
        if c.is_whitespace() {
            if c != ' ' || after_space {
                kept = false;
                break;
            }
            after_space = true;
        } else {
            after_space = false;
        }
    }
    if kept && (!after_space || v.is_empty()) {
        std::borrow::Cow::Borrowed(v)
    } else {
        std::borrow::Cow::Owned(v.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

/// `f` of `t` as [`text_norm`] makes it, without copying a text it leaves as it is.
#[cfg(test)]
pub(crate) fn with_text_norm<R>(t: &str, f: impl FnOnce(&str) -> R) -> R {
    with_nfkc_text_norm(&tokumei_jp::nfkc(t), f)
}

/// [`with_text_norm`] of a text already NFKC (NFKC again would leave it as it is).
pub(crate) fn with_nfkc_text_norm<R>(t: &str, f: impl FnOnce(&str) -> R) -> R {
    let t = tokumei_jp::strip_invisible(t);
    f(&jn::fold_variants(&t))
}

/// What was replaced in one text: counts per kind (indices of [`KINDS`]).
pub type Counts = [u64; KINDS.len()];

/// How a name pattern matched.
#[derive(Clone, Copy, PartialEq)]
enum Pat {
    Whole,
    Part,
    /// A part in kana (a whole name of less than 5 kana too): matched only as a word of its own
    /// ([`kana_word_alone`]).
    KanaPart,
    /// A whole name in kana of less than 5 letters, matched as [`Pat::KanaPart`].
    KanaWhole,
}

/// The scrubber of one job.
pub struct Scrubber {
    names: Option<AhoCorasick>,
    pats: Vec<Pat>,
    /// Parts of the extract's names (every length), for the context rules.
    parts: FxHashSet<String>,
    single_surnames: FxHashSet<char>,
    single_given: FxHashSet<char>,
    email: Regex,
    date: Regex,
    postal: Regex,
    address: Regex,
}

/// Placeholder of a name.
const NAME_MARK: &str = "［氏名］";

/// Two-character words of the shipped lists that follow a kinship word as words, not names.
const NOT_NAMES_AFTER_KINSHIP: &[&str] = &["健康", "民生", "一人", "二人", "方"];

impl Scrubber {
    /// A scrubber removing the extract's `names`, the rules' `dictionary` words (and the
    /// built-in patterns).
    pub fn new(names: &NameSet, dictionary: &[String]) -> Scrubber {
        let mut pats: FxHashMap<String, Pat> = FxHashMap::default();
        for w in names.whole_variants() {
            let n = w.chars().count();
            if n >= 2 {
                let kana = n < 5 && w.chars().all(|c| jn::is_katakana(c) || c == ' ');
                pats.insert(w, if kana { Pat::KanaWhole } else { Pat::Whole });
            }
        }
        for p in names.surnames.iter().chain(&names.given).chain(dictionary) {
            let p = norm(p);
            if !word_ok(&p) || pats.contains_key(&p) {
                continue;
            }
            let kana = p.chars().all(jn::is_katakana);
            pats.insert(p, if kana { Pat::KanaPart } else { Pat::Part });
        }
        let mut list: Vec<(String, Pat)> = pats.into_iter().collect();
        list.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let ac = (!list.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(list.iter().map(|(w, _)| w))
                .expect("names build")
        });
        let single = |set: &FxHashSet<String>| -> FxHashSet<char> {
            set.iter()
                .filter(|p| p.chars().count() == 1)
                .filter_map(|p| p.chars().next())
                .filter(|c| jn::is_kanji(*c))
                .collect()
        };
        let prefectures = tokumei_jp::PREFECTURES.join("|");
        Scrubber {
            names: ac,
            pats: list.into_iter().map(|(_, p)| p).collect(),
            parts: names.surnames.iter().chain(&names.given).cloned().collect(),
            single_surnames: single(&names.surnames),
            single_given: single(&names.given),
            email: Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+").expect("email pattern"),
            date: Regex::new(
                r"(?:(?:令和|平成|昭和|大正|明治)(?:元|\d{1,2})年(?:\d{1,2}月(?:\d{1,2}日)?)?|[RHSTMrhstm]\d{1,2}[./]\d{1,2}[./]\d{1,2}|\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})",
            )
            .expect("date pattern"),
            postal: Regex::new(r"〒\s*\d{3}\s*[-ー−‐]?\s*\d{4}").expect("postal pattern"),
            address: Regex::new(&format!(r"(?:{prefectures})[^\s、。,;:（）()「」\[\]]{{0,40}}"))
                .expect("address pattern"),
        }
    }

    /// Scrub `text`; `row_ids` are the row's own identifier values. Returns the text and what
    /// was replaced.
    pub fn scrub(&self, text: &str, row_ids: &[&str]) -> (String, Counts) {
        let mut counts: Counts = [0; KINDS.len()];
        let mut s = text_norm(text);
        for id in row_ids.iter().map(|i| tokumei_jp::nfkc(i.trim())).filter(|i| i.chars().count() >= 3) {
            let n = s.matches(id.as_ref()).count() as u64;
            if n > 0 {
                s = s.replace(id.as_ref(), KINDS[IDENTIFIER].1);
                counts[IDENTIFIER] += n;
            }
        }
        for (kind, re) in [(EMAIL, &self.email), (DATE, &self.date), (POSTAL, &self.postal)] {
            // A date or postal code is no part of a longer number (`0000-12-3456` is a
            // 被保険者番号, not the date 0000-12-34 and 56).
            let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
            let found: Vec<(usize, usize)> = re
                .find_iter(&s)
                .filter(|m| !digit(s[..m.start()].chars().next_back()) && !digit(s[m.end()..].chars().next()))
                .map(|m| (m.start(), m.end()))
                .collect();
            if !found.is_empty() {
                let mut out = String::with_capacity(s.len());
                let mut last = 0;
                for (a, b) in &found {
                    out.push_str(&s[last..*a]);
                    out.push_str(KINDS[kind].1);
                    last = *b;
                }
                out.push_str(&s[last..]);
                s = out;
                counts[kind] += found.len() as u64;
            }
        }
        s = self.extract_names(&s, &mut counts);
        s = self.context_names(&s, &mut counts);
        s = numbers(&s, &mut counts);
        let n = self.address.find_iter(&s).count() as u64;
        if n > 0 {
            s = self.address.replace_all(&s, KINDS[ADDRESS].1).into_owned();
            counts[ADDRESS] += n;
        }
        (s, counts)
    }

    /// The extract's whole names and name parts of two characters or more (kana names in
    /// either script: the names are kept in katakana and looked for in a katakana copy of the
    /// text, which has the text's byte offsets).
    fn extract_names(&self, s: &str, counts: &mut Counts) -> String {
        let Some(ac) = &self.names else { return s.to_string() };
        let k = kana_copy(s);
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        for m in ac.find_iter(&k) {
            let pat = self.pats[m.pattern().as_usize()];
            if matches!(pat, Pat::KanaPart | Pat::KanaWhole) && !kana_word_alone(s, m.start(), m.end()) {
                continue;
            }
            out.push_str(&s[last..m.start()]);
            out.push_str(NAME_MARK);
            counts[if matches!(pat, Pat::Whole | Pat::KanaWhole) { NAME } else { NAME_PART }] += 1;
            last = m.end();
        }
        out.push_str(&s[last..]);
        out
    }

    /// Whether `w` may be a name where the context says a name stands: a part of the extract's
    /// names, a name of the shipped lists (one character only as a run of its own, and from the
    /// lists only before an honorific), or a surname and a given name written together.
    fn name_like(&self, w: &str, whole_run: bool, lists_single: bool) -> bool {
        let n = w.chars().count();
        if n == 0 {
            return false;
        }
        if n == 1 {
            let c = w.chars().next().unwrap_or(' ');
            let extract = self.single_surnames.contains(&c) || self.single_given.contains(&c);
            return whole_run && (extract || (lists_single && (jn::is_surname(w) || jn::is_given_name(w))));
        }
        if jn::KINSHIP.contains(&w) || NOT_NAMES_AFTER_KINSHIP.contains(&w) {
            return false;
        }
        self.parts.contains(&norm(w))
            || jn::is_surname(w)
            || jn::is_given_name(w)
            || (w.chars().all(jn::is_kanji) && jn::splits_into_full_name(w, &|p| self.parts.contains(&norm(p))))
    }

    /// Names told by their context: before an honorific, after a kinship or role word, next to
    /// a name already removed, and a one-character surname meeting a one-character given name.
    fn context_names(&self, s: &str, counts: &mut Counts) -> String {
        let cs: Vec<(usize, char)> = s.char_indices().collect();
        let at = |i: usize| cs.get(i).map(|c| c.1);
        let byte = |i: usize| cs.get(i).map_or(s.len(), |c| c.0);
        let starts = |i: usize, w: &str| s[byte(i)..].starts_with(w);
        // Spans (char start, char end, kind) to replace.
        let mut spans: Vec<(usize, usize, usize)> = Vec::new();
        let mut i = 0;
        while i < cs.len() {
            // Before an honorific: the longest name-like end of the run of name characters.
            if let Some(h) = jn::HONORIFICS.iter().find(|h| starts(i, h)) {
                let next = at(i + h.chars().count());
                let word = (*h == "様" && next.is_some_and(|c| "子式態相々".contains(c)))
                    || (*h == "氏" && next == Some('名'));
                let mut end = i;
                if end > 0 && at(end - 1) == Some(' ') {
                    end -= 1;
                }
                let mut start = end;
                while start > 0 && end - start < 10 && at(start - 1).is_some_and(jn::is_name_char) {
                    start -= 1;
                }
                let run: String = cs[start..end].iter().map(|c| c.1).collect();
                let stop = jn::NOT_NAMES_BEFORE_HONORIFIC.iter().any(|w| run.ends_with(w));
                if !word && !stop && !run.is_empty() {
                    let len = end - start;
                    if let Some(k) = (1..=len.min(8)).rev().find(|k| {
                        let w: String = cs[end - k..end].iter().map(|c| c.1).collect();
                        self.name_like(&w, *k == len, true)
                    }) {
                        spans.push((end - k, end, NAME_CONTEXT));
                    }
                }
            }
            // After a kinship or role word: the longest name-like start of the next run.
            if let Some(k) = jn::KINSHIP.iter().filter(|k| starts(i, k)).max_by_key(|k| k.len()) {
                let mut start = i + k.chars().count();
                let mut seps = 0;
                while seps < 2 && at(start).is_some_and(|c| " ・:：「(（、の".contains(c)) {
                    start += 1;
                    seps += 1;
                }
                let mut end = start;
                while end < cs.len() && end - start < 10 && at(end).is_some_and(jn::is_name_char) {
                    end += 1;
                }
                let len = end - start;
                if let Some(n) = (1..=len.min(8)).rev().find(|n| {
                    let w: String = cs[start..start + n].iter().map(|c| c.1).collect();
                    self.name_like(&w, *n == len, false)
                }) {
                    spans.push((start, start + n, NAME_CONTEXT));
                }
                i += k.chars().count();
                continue;
            }
            i += 1;
        }
        // One-character parts of the extract next to a removed name, or meeting each other.
        let mark: Vec<char> = NAME_MARK.chars().collect();
        let mark_at =
            |i: usize| i + mark.len() <= cs.len() && cs[i..i + mark.len()].iter().map(|c| c.1).eq(mark.iter().copied());
        let free_before = |i: usize| i == 0 || !at(i - 1).is_some_and(jn::is_name_char);
        let free_after = |i: usize| !at(i).is_some_and(jn::is_kanji);
        // Up to two characters between the parts of a name (林 修, 林・修, 林、修, a line break).
        let skip_gap = |i: usize| {
            let mut j = i;
            while j < i + 2 && at(j).is_some_and(is_name_gap) {
                j += 1;
            }
            j
        };
        let before_mark = |e: usize| e >= mark.len() && mark_at(e - mark.len());
        for (i, &(_, c)) in cs.iter().enumerate() {
            // A one-character surname after a removed given name (浩二岸: a name written given
            // name first).
            if self.single_surnames.contains(&c) && free_after(i + 1) && i > 0 {
                let mut e = i;
                while e > 0 && i - e < 2 && at(e - 1).is_some_and(is_name_gap) {
                    e -= 1;
                }
                if before_mark(e) {
                    spans.push((i, i + 1, NAME_PART));
                    continue;
                }
            }
            if self.single_surnames.contains(&c) && free_before(i) {
                let j = skip_gap(i + 1);
                if mark_at(j) {
                    spans.push((i, i + 1, NAME_PART));
                    continue;
                }
                if at(j).is_some_and(|g| self.single_given.contains(&g)) && free_after(j + 1) {
                    spans.push((i, j + 1, NAME));
                    continue;
                }
            }
            if self.single_given.contains(&c) && free_after(i + 1) && i > 0 {
                let mut e = i;
                while e > 0 && i - e < 2 && at(e - 1).is_some_and(is_name_gap) {
                    e -= 1;
                }
                if before_mark(e) {
                    spans.push((i, i + 1, NAME_PART));
                }
            }
        }
        if spans.is_empty() {
            return s.to_string();
        }
        spans.sort_unstable();
        let mut out = String::with_capacity(s.len());
        let mut last = 0; // char index
        for (a, b, kind) in spans {
            if a < last {
                continue; // overlaps a span already replaced
            }
            out.push_str(&s[byte(last)..byte(a)]);
            out.push_str(NAME_MARK);
            counts[kind] += 1;
            last = b;
        }
        out.push_str(&s[byte(last)..]);
        out
    }
}

/// Every number of [`MIN_DIGITS`] digits or more replaced whole: a phone number (0 and 10 or
/// 11 digits) by ［電話番号］, a postal code written `NNN-NNNN` by ［郵便番号］, any other by
/// ［番号］. (A postal pattern of its own would take `123-4567` out of `090-123-4567` and leave
/// `090`.)
fn numbers(s: &str, counts: &mut Counts) -> String {
    // A number written in groups over commas, a line break or spaced hyphens (`123,456,789,018`,
    // `03 - 1234 - 5678`) is one number when it has [`MIN_GROUPED_DIGITS`] digits or more (an
    // amount such as `12,000` stays); the rest as read plainly.
    let wide: Vec<_> =
        tokumei_jp::text::digit_runs_wide(s).into_iter().filter(|r| r.digits.len() >= MIN_GROUPED_DIGITS).collect();
    let mut runs: Vec<_> = tokumei_jp::text::digit_runs(s)
        .into_iter()
        .filter(|r| {
            // Inside a wide run already (the wide runs are in order and apart): one look-up, so a
            // note of many numbers costs no more than its length.
            let at = wide.partition_point(|w| w.end < r.end);
            r.digits.len() >= MIN_DIGITS && !wide.get(at).is_some_and(|w| w.start <= r.start && r.end <= w.end)
        })
        .collect();
    runs.extend(wide);
    if runs.is_empty() {
        return s.to_string();
    }
    runs.sort_unstable_by_key(|r| r.start);
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for r in runs {
        if r.start < last {
            continue;
        }
        out.push_str(&s[last..r.start]);
        let phone = r.digits.starts_with('0') && (10..=11).contains(&r.digits.len());
        let postal = r.digits.len() == 7 && s[r.start..r.end].len() == 8 && s.as_bytes()[r.start + 3] == b'-';
        let kind = if phone {
            PHONE
        } else if postal {
            POSTAL
        } else {
            NUMBER
        };
        out.push_str(KINDS[kind].1);
        counts[kind] += 1;
        last = r.end;
    }
    out.push_str(&s[last..]);
    out
}

/// What the residual scan found in one released column: rows holding each kind of the
/// extract's identifier values. Never a value.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Found {
    /// Released texts scanned.
    pub scanned: u64,
    /// Rows holding a whole name of the extract's name columns.
    pub full_names: u64,
    /// Rows holding a number of an identifier column.
    pub numbers: u64,
    /// Rows holding one of their own identifier values.
    pub row_ids: u64,
    /// Rows holding a whole address or e-mail address of an identifier column.
    pub values: u64,
    /// The identifier columns whose addresses or e-mail addresses were found.
    pub value_sources: Vec<u32>,
    /// Rows holding a surname or given name of the extract's names on its own (two characters
    /// or more; a kana one as a word of its own). Information, not a failure: a part alone may
    /// be an ordinary word or another person's name (a scrubbed column has them removed first).
    pub name_parts: u64,
    /// The identifier columns whose numbers were found (indices the caller named).
    pub sources: Vec<u32>,
    /// Rows whose text could hold an identifier number or address of a kind the run made no
    /// keys of ([`crate::residual::Kinds`]: it was told no released text could): not checked,
    /// so the run stops.
    pub unchecked: u64,
}

impl Found {
    /// Whether anything was found.
    pub fn any(&self) -> bool {
        self.full_names + self.numbers + self.row_ids + self.values + self.unchecked > 0
    }

    /// Add `other`, each of its rows counted `times`.
    pub fn add(&mut self, other: &Found, times: u64) {
        self.scanned += other.scanned * times;
        self.full_names += other.full_names * times;
        self.numbers += other.numbers * times;
        self.row_ids += other.row_ids * times;
        self.name_parts += other.name_parts * times;
        self.values += other.values * times;
        self.unchecked += other.unchecked * times;
        for s in &other.value_sources {
            if !self.value_sources.contains(s) {
                self.value_sources.push(*s);
            }
        }
        for s in &other.sources {
            if !self.sources.contains(s) {
                self.sources.push(*s);
            }
        }
    }
}

/// A text as the scan reads it: [`text_norm`], hiragana as katakana, and the characters that may
/// stand between the parts of a name ([`is_name_gap`]) taken out, each character remembering
/// whether some stood before it and what it was.
pub(crate) struct Compact {
    pub(crate) text: String,
    /// For each character of `text`: its byte offset, whether a gap was taken out before it, and
    /// the character as written (hiragana stays hiragana).
    pub(crate) chars: Vec<(usize, bool, char)>,
}

impl Compact {
    pub(crate) fn new(t: &str) -> Compact {
        let mut text = String::with_capacity(t.len());
        let mut chars = Vec::with_capacity(t.len() / 2);
        let mut gap = false;
        for c in t.chars() {
            if is_name_gap(c) {
                gap = true;
                continue;
            }
            chars.push((text.len(), gap, c));
            text.push(jn::to_katakana(c));
            gap = false;
        }
        Compact { text, chars }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> NameSet {
        let mut names = NameSet::default();
        for n in ["山田 太郎", "鈴木　花子", "Li Wei", "林 修", "森 光", "ハヤシ オサム", "佐藤 アイ"]
        {
            names.add(n);
        }
        names
    }

    fn scrubber() -> Scrubber {
        Scrubber::new(&names(), &["佐藤".to_string()])
    }

    /// The earlier [`lookup_values`] (a copy of each value, the words always split and joined
    /// again), the reference.
    fn lookup_values_by_copy(v: &str) -> Vec<String> {
        let long = |s: &str| s.chars().count() >= MIN_VALUE_CHARS;
        if v.contains('@') && v.contains('.') && !v.contains(char::is_whitespace) {
            return if long(v) { vec![v.to_string()] } else { Vec::new() };
        }
        let Some(p) = tokumei_jp::prefecture_of_address(v) else { return Vec::new() };
        let whole: String = v.split_whitespace().collect::<Vec<_>>().join(" ");
        let rest = whole.trim_start().strip_prefix(p).map(str::trim_start).unwrap_or_default().to_string();
        [whole, rest].into_iter().filter(|s| long(s)).collect()
    }

    /// Every text of up to four pieces, then 20,000 random ones of up to twelve (a fixed
    /// xorshift sequence), made of prefectures, places, digits, spaces of every kind, `@` and
    /// dots, each given to `check`.
    fn each_address(check: &mut dyn FnMut(&str)) {
        const PIECES: [&str; 14] =
            ["東京都", "北海道", "千代田区", "千代田", "1", "-", "丁目", " ", "\u{3000}", "\t", "  ", "@", ".", "a"];
        let mut text = String::new();
        for len in 0..=4u32 {
            for mut n in 0..PIECES.len().pow(len) {
                text.clear();
                for _ in 0..len {
                    text.push_str(PIECES[n % PIECES.len()]);
                    n /= PIECES.len();
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
            for _ in 0..bits % 13 {
                bits = bits.rotate_right(7) ^ state.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                text.push_str(PIECES[(bits % PIECES.len() as u64) as usize]);
            }
            check(&text);
        }
    }

    /// The values handed out without copies are the values the earlier copying form gave, and
    /// [`with_text_norm`] sees what [`text_norm`] makes, on every text of [`each_address`] (and
    /// [`with_nfkc_text_norm`] on the text NFKC and trimmed).
    #[test]
    fn lookup_values_without_copies_equal_the_copied_ones() {
        let mut addresses = 0;
        each_address(&mut |t| {
            let mut each = Vec::new();
            each_lookup_value(t, &mut |w| each.push(w.to_string()));
            let reference = lookup_values_by_copy(t);
            addresses += usize::from(!reference.is_empty());
            assert_eq!(each, reference, "{t:?}");
            assert_eq!(lookup_values(t), reference, "{t:?}");
            assert_eq!(with_text_norm(t, str::to_string), text_norm(t), "{t:?}");
            // What the residual scan hands it: the value NFKC, then trimmed.
            let n = tokumei_jp::nfkc(t);
            assert_eq!(with_nfkc_text_norm(n.trim(), str::to_string), text_norm(n.trim()), "{t:?}");
        });
        // The inputs hold addresses and e-mail addresses, not only texts that give none.
        assert!(addresses > 1_000, "{addresses}");
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
        // Ordinary text stays.
        let (out, counts) = s.scrub("要介護2、週3回の訪問", &[]);
        assert_eq!(out, "要介護2、週3回の訪問");
        assert_eq!(counts.iter().sum::<u64>(), 0);
    }

    /// Point 1 of issue 30: one-character surname and given name written together, and
    /// one-character parts where the text says a name stands.
    #[test]
    fn one_character_names_go_where_a_name_stands() {
        let s = scrubber();
        for (text, gone) in [
            ("長男 林修 様と同居", "林修"),
            ("林修様と同居", "林修"),
            ("林さんが来所", "林"),
            ("長男 修 が来所", "修"),
            ("長男修が来所", "修"),
            ("森光と面会", "森光"),
        ] {
            let (out, _) = s.scrub(text, &[]);
            assert!(!out.contains(gone), "{gone} left in {out}");
            assert!(out.contains(NAME_MARK), "{out}");
        }
        // A one-character name part alone in ordinary words stays.
        for text in ["林業の仕事", "修理を依頼", "光熱費の相談", "森林公園に散歩", "父親と同居"]
        {
            assert_eq!(s.scrub(text, &[]).0, text);
        }
        // Katakana parts only as words of their own.
        assert_eq!(s.scrub("アイロンがけ", &[]).0, "アイロンがけ");
        assert!(!s.scrub("アイさんに連絡", &[]).0.contains("アイ"));
        assert!(!s.scrub("ハヤシ オサム様", &[]).0.contains("ハヤシ"));
    }

    #[test]
    fn names_the_extract_does_not_hold_go_by_their_context() {
        let s = Scrubber::new(&NameSet::default(), &[]);
        for (text, gone) in [
            ("主治医 田中一郎先生より", "田中"),
            ("隣人の高橋様が通報", "高橋"),
            ("妻 恵子が介護", "恵子"),
            ("長女の明美さん", "明美"),
            ("渡辺さんより電話", "渡辺"),
        ] {
            let (out, c) = s.scrub(text, &[]);
            assert!(!out.contains(gone), "{gone} left in {out}");
            assert!(c[NAME_CONTEXT] > 0);
        }
        for text in ["お客様対応", "奥さんと同居", "ヘルパーさん訪問", "同様の状態", "様子見", "妻が同居", "本人様子見"]
        {
            assert_eq!(s.scrub(text, &[]).0, text);
        }
    }

    /// Point 1 of issue 30: a 12-digit number is replaced whole, not its tail as a phone number.
    #[test]
    fn numbers_are_replaced_whole_in_any_form() {
        let s = scrubber();
        for text in [
            "旧個人番号 599431234567 電話",
            "番号五〇二二三〇九二四三〇四",
            "070ー8502ー3722",
            "被保険者 0001 2345 67",
            "ＴＥＬ０３－１２３４－５６７８",
        ] {
            let (out, _) = s.scrub(text, &[]);
            assert!(!out.chars().any(|c| c.is_ascii_digit()), "{out}");
            assert!(!out.contains('〇') && !out.contains('五'), "{out}");
        }
        let (out, c) = s.scrub("旧個人番号 599431234567", &[]);
        assert_eq!(out, "旧個人番号 ［番号］");
        assert_eq!(c[NUMBER], 1);
        let (out, c) = s.scrub("070ー8502ー3722", &[]);
        assert_eq!(out, "［電話番号］");
        assert_eq!(c[PHONE], 1);
    }

    #[test]
    fn split_names_make_whole_names() {
        let mut n = NameSet::default();
        n.add_split(Some("林"), Some("修"));
        n.add("田中一郎");
        let s = Scrubber::new(&n, &[]);
        assert!(!s.scrub("田中さんと一郎", &[]).0.contains("田中"));
        assert!(!s.scrub("一郎が来所", &[]).0.contains("一郎"));
    }
}
