//! `tokumei init`: a first rules file for an extract the project has never seen, drafted from the
//! data. Each column's role and action are guessed from its name and its values (マイナンバー by
//! its check digit, phone numbers, postal and municipality codes, addresses, dates, names, free
//! text, sex, amounts), with the evidence and counts as comments and every guess marked for
//! review. The draft never contains a value of the data: only column names, counts and shares.

use crate::EngineError;
use crate::ingest::lineage as names;
use crate::ingest::{CsvSource, ParquetSource, Source};
use crate::risk::TableInput;
use rustc_hash::{FxHashMap, FxHashSet};
use std::fmt::Write;
use tokumei_rules::InputFormat;

/// Distinct values counted exactly per column at most (beyond, the column is "high-cardinality").
const CAP: usize = 200_000;

/// What was seen in one column.
#[derive(Default)]
struct Profile {
    rows: u64,
    nulls: u64,
    counts: FxHashMap<String, u32>,
    overflow: bool,
    my_number: u64,
    digits: u64,
    phone: u64,
    postal: u64,
    municipality: u64,
    date: u64,
    integer: u64,
    boolean: u64,
    address: u64,
    /// Municipalities of the addresses (two at most: one says the extract is of one city).
    municipalities: FxHashSet<String>,
    email: u64,
    long_text: u64,
    chars: u64,
    /// The whole numbers seen (every one up to [`SAMPLE`], beyond that a uniform sample).
    ints: Vec<i64>,
    /// Whole numbers seen in all.
    ints_seen: u64,
    /// The sample's random state (fixed seed: the same file gives the same draft).
    rng: u64,
}

/// Whole numbers kept per column for percentiles: all of them up to this many, else a uniform
/// sample of this many (reservoir sampling).
const SAMPLE: usize = 2_000_000;

/// A percentile of a column's whole numbers, as the draft states it.
#[derive(Debug, Clone, PartialEq)]
struct Percentile {
    /// The cap drafted: the 99th percentile rounded up to two significant figures.
    cap: i64,
    /// Share of the values below the cap (what a `top` of this value leaves uncoded).
    below: f64,
    /// Values counted.
    values: u64,
    /// Whether the values are a uniform sample of them (a file of more than [`SAMPLE`]).
    sampled: bool,
}

/// `n` rounded up to two significant figures (39482 -> 40000, 30000 -> 30000, 7 -> 7).
fn round_up_2(n: i64) -> i64 {
    if n < 100 {
        return n;
    }
    let digits = n.ilog10() + 1;
    let mag = 10i64.pow(digits - 2);
    ((n - 1) / mag + 1).saturating_mul(mag)
}

fn is_phone(v: &str) -> bool {
    let digits: String = v.chars().filter(|c| c.is_ascii_digit()).collect();
    let ok_chars = v.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '(' | ')' | ' '));
    ok_chars && digits.starts_with('0') && (10..=11).contains(&digits.len())
}

impl Profile {
    fn add(&mut self, v: Option<&str>) {
        self.rows += 1;
        let Some(raw) = v else {
            self.nulls += 1;
            return;
        };
        let v = tokumei_jp::nfkc(raw.trim());
        let v = v.as_ref();
        if v.is_empty() {
            self.nulls += 1;
            return;
        }
        self.chars += v.chars().count() as u64;
        if !self.overflow {
            let full = self.counts.len() >= CAP;
            match self.counts.get_mut(v) {
                Some(n) => *n += 1,
                None if !full => {
                    self.counts.insert(v.to_string(), 1);
                }
                None => self.overflow = true,
            }
        }
        let all_digits = v.bytes().all(|b| b.is_ascii_digit());
        if all_digits {
            self.digits += 1;
        }
        if all_digits && v.len() == 12 && tokumei_jp::is_valid_my_number(v) {
            self.my_number += 1;
        }
        if is_phone(v) {
            self.phone += 1;
        }
        if (v.len() == 8 && v.as_bytes()[3] == b'-' || v.len() == 7 && all_digits)
            && tokumei_jp::normalize_postal_code(v).is_some()
        {
            self.postal += 1;
        }
        if all_digits && (v.len() == 5 || v.len() == 6) && tokumei_jp::is_valid_municipality_code(v) {
            self.municipality += 1;
        }
        if !all_digits && tokumei_jp::parse_date(v).is_some() {
            self.date += 1;
        }
        if let Ok(n) = crate::cell::parse_int(v) {
            self.integer += 1;
            self.note_int(n);
        }
        if crate::cell::parse_bool(v).is_ok() {
            self.boolean += 1;
        }
        if tokumei_jp::prefecture_of_address(v).is_some() && v.chars().count() > 4 {
            self.address += 1;
            if self.municipalities.len() < 2
                && let Ok(m) = tokumei_jp::address::parse_municipality(v)
            {
                self.municipalities.insert(m.label());
            }
        }
        if v.contains('@') && v.contains('.') && !v.contains(' ') {
            self.email += 1;
        }
        if v.chars().count() > 20 {
            self.long_text += 1;
        }
    }

    /// Keep a whole number for the percentiles: every one up to [`SAMPLE`], then a uniform
    /// sample (reservoir sampling: every value seen so far is kept with the same chance).
    fn note_int(&mut self, n: i64) {
        self.ints_seen += 1;
        if self.ints.len() < SAMPLE {
            self.ints.push(n);
            return;
        }
        if self.rng == 0 {
            self.rng = 0x9E37_79B9_7F4A_7C15;
        }
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        if let Some(s) = self.ints.get_mut((self.rng % self.ints_seen) as usize) {
            *s = n;
        }
    }

    fn present(&self) -> u64 {
        self.rows - self.nulls
    }

    /// Share of present values that `n` of them are.
    fn share(&self, n: u64) -> f64 {
        if self.present() == 0 { 0.0 } else { n as f64 / self.present() as f64 }
    }

    fn distinct(&self) -> String {
        if self.overflow { format!("more than {CAP}") } else { self.counts.len().to_string() }
    }

    /// Records whose value no other record has.
    fn unique(&self) -> Option<u64> {
        (!self.overflow).then(|| self.counts.values().filter(|n| **n == 1).count() as u64)
    }

    fn unique_ratio(&self) -> f64 {
        match self.unique() {
            Some(u) => self.share(u),
            None => 1.0,
        }
    }

    /// The 99th percentile of the whole numbers (nearest rank: the smallest value that at least
    /// 99% of the values are at or below), rounded up to two significant figures, with the share
    /// of the values below that cap.
    fn cap(&self) -> Option<Percentile> {
        if self.ints.is_empty() {
            return None;
        }
        let mut v = self.ints.clone();
        v.sort_unstable();
        let rank = (v.len() * 99).div_ceil(100).max(1);
        let p99 = v[rank - 1];
        let cap = round_up_2(p99.max(1));
        let below = v.partition_point(|x| *x < cap) as f64 / v.len() as f64;
        Some(Percentile { cap, below, values: self.ints_seen, sampled: self.ints_seen > v.len() as u64 })
    }
}

/// One column's guess.
#[derive(Debug, Clone, PartialEq)]
pub struct Guess {
    /// Input column.
    pub column: String,
    /// Guessed role.
    pub role: &'static str,
    /// Guessed action and its options (TOML lines).
    pub rule: Vec<String>,
    /// Why.
    pub evidence: String,
    /// Distinct values (text, may be "more than ...").
    pub distinct: String,
    /// Share of records unique on this column alone.
    pub unique_share: f64,
    /// Whether it is a suggested quasi-identifier.
    pub quasi: bool,
}

/// A drafted rules file.
pub struct Draft {
    /// The TOML text.
    pub toml: String,
    /// The guesses, in column order.
    pub guesses: Vec<Guess>,
    /// Rows read.
    pub rows: u64,
    /// Share of records unique on the suggested quasi-identifiers taken together (raw values).
    pub unique_on_quasi: Option<f64>,
    /// The column drafted as the rules' `subject` (one person's number, never a household's).
    pub subject: Option<String>,
    /// The column drafted as the fingerprint for leak tracing (an insensitive column outside
    /// the key), for the officer to review.
    pub fingerprint: Option<String>,
}

fn name_has(name: &str, words: &[&str]) -> bool {
    names::name_has(name, words).is_some()
}

/// Whether a number names several people (a household's, a family's, an insurer's number or a
/// symbol shared by a family): never the subject, never coded as a person's code.
fn shared_number(name: &str) -> bool {
    let name = name.to_lowercase();
    ["世帯", "household", "family", "家族", "記号"].iter().any(|w| name.contains(w))
        || (name.contains("保険者") && !name.contains("被保険者"))
}

/// A column's role and rule, guessed from its name and its values' profile: the first kind
/// it matches, in order (identifiers, places, dates, codes, numbers, text).
fn guess(name: &str, p: &Profile) -> Guess {
    guess_identifiers(name, p)
        .or_else(|| guess_places(name, p))
        .or_else(|| guess_dates(name, p))
        .or_else(|| guess_codes(name, p))
        .or_else(|| guess_numbers(name, p))
        .unwrap_or_else(|| guess_text(name, p))
}

/// A share as a whole percentage.
fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// Whether most (90%) of the present values are of a kind counted `n` times.
fn most(p: &Profile, n: u64) -> bool {
    p.present() > 0 && p.share(n) >= 0.9
}

/// A guess for column `name`.
fn guess_as(name: &str, p: &Profile, role: &'static str, rule: &[&str], evidence: String, quasi: bool) -> Guess {
    Guess {
        column: name.to_string(),
        role,
        rule: rule.iter().map(|s| s.to_string()).collect(),
        evidence,
        distinct: p.distinct(),
        unique_share: p.unique_ratio(),
        quasi,
    }
}

/// Identifiers: a My Number or another identification code, a financial number, a phone
/// number, an e-mail address, a person's name.
fn guess_identifiers(name: &str, p: &Profile) -> Option<Guess> {
    if most(p, p.my_number) || name_has(name, names::MY_NUMBER_NAMES) {
        return Some(guess_as(
            name,
            p,
            "identification_code",
            &["action = \"drop\""],
            format!("{} of values are 12 digits with a valid マイナンバー check digit", pct(p.share(p.my_number))),
            false,
        ));
    }
    if name_has(name, names::IDENTIFICATION_CODE_NAMES) {
        return Some(guess_as(
            name,
            p,
            "identification_code",
            &["action = \"drop\""],
            "the name says it is an identification code (個人識別符号)".into(),
            false,
        ));
    }
    if name_has(name, &["カード番号", "クレジット", "口座番号", "口座", "暗証", "card", "account", "iban"])
    {
        return Some(guess_as(
            name,
            p,
            "financial",
            &["action = \"drop\""],
            "the name says its misuse could cause financial damage (card or bank account; 規則31条3号)".into(),
            false,
        ));
    }
    if most(p, p.phone) || name_has(name, names::PHONE_NAMES) {
        return Some(guess_as(
            name,
            p,
            "direct_identifier",
            &["action = \"drop\""],
            format!("{} of values look like phone numbers", pct(p.share(p.phone))),
            false,
        ));
    }
    if most(p, p.email) || name_has(name, names::MAIL_NAMES) {
        return Some(guess_as(
            name,
            p,
            "direct_identifier",
            &["action = \"drop\""],
            format!("{} of values look like e-mail addresses", pct(p.share(p.email))),
            false,
        ));
    }
    if name_has(name, names::PERSON_NAME_NAMES) {
        return Some(guess_as(
            name,
            p,
            "direct_identifier",
            &["action = \"drop\""],
            "the name says it holds names".into(),
            false,
        ));
    }
    if let Some(evidence) = person_names(name, p) {
        return Some(guess_as(name, p, "direct_identifier", &["action = \"drop\""], evidence, false));
    }
    None
}

/// Whether a column's name says it holds an amount, a count or a rate (給付額, 負担金, 保険料,
/// 医療費, 件数, 所得（円）): its 5-digit values are sums that happen to read as 地方公共団体コード
/// (30000 has a valid prefecture number), never codes.
fn names_an_amount(name: &str) -> bool {
    let n = tokumei_jp::nfkc(name.trim()).to_lowercase();
    // Without a unit in brackets at the end: 所得(円) is 所得.
    let core = match n.rfind(['(', '[']) {
        Some(i) if n.ends_with([')', ']']) && i > 0 => n[..i].trim_end().to_string(),
        _ => n.clone(),
    };
    let ends = ["額", "金", "料", "費", "価", "円", "代", "賃", "数", "量", "高", "点", "率", "割合", "所得", "収入"];
    ends.iter().any(|e| core.ends_with(e))
        || ["金額", "amount", "fee", "cost", "price", "yen", "income", "salary", "total"].iter().any(|w| n.contains(w))
}

/// Places: an address (within one municipality or not), a postal code, a municipality code.
fn guess_places(name: &str, p: &Profile) -> Option<Guess> {
    if most(p, p.address) && p.municipalities.len() == 1 {
        // One city: every level of `address` would be one value; keep the area inside it.
        return Some(guess_as(
            name,
            p,
            "direct_identifier",
            &[
                "action = \"generalize\"",
                "hierarchy = \"address_town\"",
                &format!("level = {}", tokumei_rules::hierarchy::ADDRESS_TOWN_LEVEL),
                &format!("output = \"{name}_町字\""),
            ],
            format!(
                "{} of values start with a prefecture, all in one municipality: generalised below it (level 1 丁目, 2 町字, 3 区, 4 市区町村), the search picks the level",
                pct(p.share(p.address))
            ),
            true,
        ));
    }
    if most(p, p.address) || name_has(name, names::ADDRESS_NAMES) {
        return Some(guess_as(
            name,
            p,
            "direct_identifier",
            &["action = \"generalize\"", "hierarchy = \"address\"", "level = 1", &format!("output = \"{name}_地域\"")],
            format!(
                "{} of values start with a prefecture: generalised (level 1 市区町村, 2 都道府県, 3 地方), the search picks the level",
                pct(p.share(p.address))
            ),
            true,
        ));
    }
    if most(p, p.postal) || name_has(name, &["郵便", "postal", "zip"]) {
        return Some(guess_as(
            name,
            p,
            "direct_identifier",
            &["action = \"drop\""],
            format!(
                "{} of values are postal codes (or generalise with hierarchy = \"postal_code\", level = 1, as a quasi-identifier)",
                pct(p.share(p.postal))
            ),
            false,
        ));
    }
    if name_has(name, &["市区町村コード", "団体コード"]) || (most(p, p.municipality) && !names_an_amount(name))
    {
        return Some(guess_as(
            name,
            p,
            "quasi_identifier",
            &["action = \"generalize\"", "hierarchy = \"municipality_code\"", "level = 0"],
            format!(
                "{} of values are valid 地方公共団体コード: generalised (1 都道府県, 2 地方), the search picks the level",
                pct(p.share(p.municipality))
            ),
            true,
        ));
    }
    None
}

/// Dates: a birth date (released as an age) or another date.
fn guess_dates(name: &str, p: &Profile) -> Option<Guess> {
    if most(p, p.date) {
        if name_has(name, &["生年月日", "誕生", "birth"]) {
            return Some(guess_as(
                name,
                p,
                "quasi_identifier",
                &[
                    "action = \"generalize\"",
                    "hierarchy = \"age\"",
                    "bands = [5, 10, 20]",
                    "top = 90",
                    "level = 1",
                    &format!("output = \"{name}_年齢\""),
                ],
                format!(
                    "{} of values are dates and the name says birth date: age in 5-year bands at the finest (exact ages are not drafted; 10, 20-year bands, 90+), the search picks the level",
                    pct(p.share(p.date))
                ),
                true,
            ));
        }
        return Some(guess_as(
            name,
            p,
            "quasi_identifier",
            &["action = \"generalize\"", "hierarchy = \"date\"", "level = 0"],
            format!(
                "{} of values are dates: generalised (month, year, 5 years, decade), the search picks the level",
                pct(p.share(p.date))
            ),
            true,
        ));
    }
    None
}

/// Codes and categories by name: a record number, a household's number, sex, health or welfare information.
fn guess_codes(name: &str, p: &Profile) -> Option<Guess> {
    let unique = p.unique_ratio();
    // A household's number is never a person's code (nor the rules' subject): it is dropped below.
    if unique >= 0.95 && !shared_number(name) && name_has(name, &["番号", "id", "コード", "no", "宛名"]) {
        return Some(guess_as(
            name,
            p,
            "linking_code",
            &["action = \"pseudonymize\"", "length = 16"],
            format!("{} of records have a value of their own, and the name says it is a record number", pct(unique)),
            false,
        ));
    }
    if name_has(name, &["世帯"]) {
        return Some(guess_as(
            name,
            p,
            "linking_code",
            &["action = \"drop\""],
            "household numbers link the members of a household".into(),
            false,
        ));
    }
    if name_has(name, &["性別", "sex", "gender", "男女"]) {
        return Some(guess_as(
            name,
            p,
            "quasi_identifier",
            &["action = \"keep\""],
            format!("{} distinct values; the name says sex", p.distinct()),
            true,
        ));
    }
    if name_has(name, &["介護", "障害", "病", "疾病", "診断", "健康", "生活保護", "医療", "障がい"])
    {
        return Some(guess_as(
            name,
            p,
            "sensitive",
            &["action = \"keep\""],
            "the name says it is health or welfare information (要配慮個人情報)".into(),
            false,
        ));
    }
    None
}

/// Numbers: whole numbers (an age, or banded and top-coded), yes/no values.
fn guess_numbers(name: &str, p: &Profile) -> Option<Guess> {
    if most(p, p.integer) && !most(p, p.boolean) {
        if name_has(name, &["年齢", "age"]) {
            return Some(guess_as(name, p,
                "quasi_identifier",
                &["type = \"integer\"", "action = \"generalize\"", "hierarchy = \"age\"", "level = 1"],
                "whole numbers and the name says age: 5-year bands at the finest (exact ages are not drafted; 10, 20-year bands, 90+), the search picks the level".into(),
                true,
            ));
        }
        let pc = p.cap().unwrap_or(Percentile { cap: 1, below: 0.0, values: 0, sampled: false });
        let cap = pc.cap;
        let band = (cap / 10).max(1);
        return Some(guess_as(
            name,
            p,
            "insensitive",
            &[
                "type = \"integer\"",
                "action = \"generalize\"",
                "hierarchy = \"bands\"",
                &format!("bands = [{band}]"),
                &format!("top = {cap}"),
                "bottom = 0",
                "level = 1",
            ],
            format!(
                "whole numbers: bands of {band}, top-coded at {cap}, the 99th percentile of {} values{} rounded up to two significant figures: {:.1}% of the values are below it, so outliers are coded (standard 4; `tokumei check` counts the released ends, or write top = \"auto\" with action = \"top_bottom_code\")",
                pc.values,
                if pc.sampled { format!(" (estimated from a uniform sample of {SAMPLE})") } else { String::new() },
                pc.below * 100.0
            ),
            false,
        ));
    }
    if most(p, p.boolean) {
        return Some(guess_as(
            name,
            p,
            "insensitive",
            &["type = \"boolean\"", "action = \"keep\""],
            format!("{} of values are yes/no", pct(p.share(p.boolean))),
            false,
        ));
    }
    None
}

/// Free text by name or by its length and uniqueness, else an insensitive column to review.
fn guess_text(name: &str, p: &Profile) -> Guess {
    let unique = p.unique_ratio();
    if name_has(name, &["備考", "メモ", "コメント", "特記", "自由記述", "note", "comment", "remark", "memo"])
    {
        return guess_as(
            name,
            p,
            "direct_identifier",
            &["action = \"drop\""],
            "the name says it is free text, which may name people: drop it, or keep its words with action = \"scrub\""
                .into(),
            false,
        );
    }
    let avg = if p.present() == 0 { 0.0 } else { p.chars as f64 / p.present() as f64 };
    if avg > 15.0 || p.share(p.long_text) > 0.2 || (unique > 0.5 && p.present() > 20) {
        return guess_as(
            name,
            p,
            "direct_identifier",
            &["action = \"drop\""],
            format!(
                "free text or near-unique values (average {avg:.0} characters, {} unique): drop it, or scrub it with action = \"scrub\"",
                pct(unique)
            ),
            false,
        );
    }
    guess_as(
        name,
        p,
        "insensitive",
        &["action = \"keep\""],
        format!("{} distinct values; if an attacker could know it, make it a quasi_identifier", p.distinct()),
        false,
    )
}

/// Why a column holds person names, if it does: its name says it is one part of a split name
/// (氏, 名, 姓), or its values look like person names ([`crate::scrub::person_name_column`]: a
/// column of doctors' full names is one of identifying descriptions however it is named).
fn person_names(name: &str, p: &Profile) -> Option<String> {
    use crate::scrub::NameColumn;
    if crate::scrub::is_split_name_column(name) {
        return Some(
            "the name says it holds one part of a split name (氏・姓・名): with the other part it is a full name"
                .into(),
        );
    }
    let kind = crate::scrub::person_name_column(p.counts.iter().map(|(v, n)| (v.as_str(), u64::from(*n))))?;
    let what = match kind {
        NameColumn::FullNames => "full names",
        NameColumn::Surnames => "surnames",
        NameColumn::GivenNames => "given names",
    };
    Some(format!(
        "its values look like person names ({what}, by the shipped name list): an identifying description whatever the column is called"
    ))
}

/// Draft a rules file for the table at `input`. Its first line must name the columns (a line
/// whose names look like data is refused, naming their positions only), unless `no_header`:
/// then the columns are named `column_1`, `column_2`, ... and the first line is data.
pub fn draft(input: &TableInput, dataset: &str, no_header: bool) -> Result<Draft, EngineError> {
    let format = input.format.unwrap_or(if input.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
        InputFormat::Parquet
    } else {
        InputFormat::Csv
    });
    let open = || -> Result<Box<dyn Source>, EngineError> {
        Ok(match format {
            InputFormat::Csv => Box::new(CsvSource::open(input.path, input.encoding, input.delimiter)?),
            InputFormat::Parquet => Box::new(ParquetSource::open(input.path)?),
        })
    };
    if no_header && format == InputFormat::Parquet {
        return Err(EngineError::Input {
            file: input.path.to_path_buf(),
            message: "is a Parquet file, whose columns have names: --no-header is for CSV files".into(),
        });
    }
    let mut source = open()?;
    // Without a header line, the "names" the source read are the first record.
    let (header, first): (Vec<String>, Option<Vec<String>>) = if no_header {
        let first = source.header().to_vec();
        ((1..=first.len()).map(|i| format!("column_{i}")).collect(), Some(first))
    } else {
        (source.header().to_vec(), None)
    };
    if first.is_none() {
        crate::ingest::refuse_data_like_header(
            input.path,
            &header,
            "the file seems to have no header line: add a first line naming the columns, or pass --no-header to name them column_1, column_2, ... and read the first line as data",
        )?;
    }
    crate::ingest::check_header(input.path, &header, &[], "")?;
    let (profiles, rows) = profile(source.as_mut(), header.len(), first.as_deref())?;
    if rows == 0 {
        return Err(EngineError::Input { file: input.path.to_path_buf(), message: "has no data rows".into() });
    }
    let guesses: Vec<Guess> = header.iter().zip(&profiles).map(|(n, p)| guess(n, p)).collect();
    let subject = subject_of(&guesses);
    let fingerprint = fingerprint_of(&guesses, &profiles);
    drop(profiles);
    // Uniqueness on the suggested quasi-identifiers together, at their raw values (the draft's
    // generalisation lowers it; `tokumei check` measures that): a second pass, one hash per row.
    let quasi: Vec<usize> = guesses.iter().enumerate().filter(|(_, g)| g.quasi).map(|(i, _)| i).collect();
    let unique_on_quasi = match quasi.is_empty() {
        true => None,
        false => Some(unique_on(open()?.as_mut(), &quasi, first.as_deref())? as f64 / rows as f64),
    };
    let mut used: FxHashSet<String> = header.iter().cloned().collect();
    let mut t = String::new();
    let drafted = Drafted { rows, unique_on_quasi, subject: subject.as_deref(), fingerprint: fingerprint.as_deref() };
    write_head(&mut t, input, dataset, no_header, &guesses, &drafted);
    write_columns(&mut t, &guesses, &mut used);
    Ok(Draft { toml: t, guesses, rows, unique_on_quasi, subject, fingerprint })
}

/// Read every row into one profile per column (the `first` row too, when the header line was
/// data): the profiles and the rows read.
fn profile(
    source: &mut dyn Source,
    columns: usize,
    first: Option<&[String]>,
) -> Result<(Vec<Profile>, u64), EngineError> {
    let mut profiles: Vec<Profile> = (0..columns).map(|_| Profile::default()).collect();
    let mut rows = 0u64;
    if let Some(first) = first {
        rows += 1;
        for (p, v) in profiles.iter_mut().zip(first) {
            p.add(Some(v.as_str()));
        }
    }
    while let Some(batch) = source.next_batch()? {
        for row in 0..batch.len() {
            rows += 1;
            for (c, p) in profiles.iter_mut().enumerate() {
                p.add(batch.value(row, c));
            }
        }
    }
    Ok((profiles, rows))
}

/// The records unique on the `quasi` columns together, at their raw values: a second pass, one
/// hash per row (the `first` row too, when the header line was data).
fn unique_on(source: &mut dyn Source, quasi: &[usize], first: Option<&[String]>) -> Result<usize, EngineError> {
    use std::hash::{Hash, Hasher};
    let mut counts: FxHashMap<u64, u32> = FxHashMap::default();
    if let Some(first) = first {
        let mut h = rustc_hash::FxHasher::default();
        for q in quasi {
            Some(first[*q].as_str())
                .filter(|v| !v.is_empty())
                .map(|s| tokumei_jp::nfkc(s.trim()).into_owned())
                .hash(&mut h);
        }
        *counts.entry(h.finish()).or_insert(0) += 1;
    }
    while let Some(batch) = source.next_batch()? {
        for row in 0..batch.len() {
            let mut h = rustc_hash::FxHasher::default();
            for q in quasi {
                batch.value(row, *q).map(|s| tokumei_jp::nfkc(s.trim()).into_owned()).hash(&mut h);
            }
            *counts.entry(h.finish()).or_insert(0) += 1;
        }
    }
    Ok(counts.values().filter(|n| **n == 1).count())
}

/// What the draft's head states: the rows read, the uniqueness on the suggested key, the
/// subject and the fingerprint drafted.
struct Drafted<'a> {
    rows: u64,
    unique_on_quasi: Option<f64>,
    subject: Option<&'a str>,
    fingerprint: Option<&'a str>,
}

/// The draft's head: what it was made from and what to review, the dataset, its subject and
/// fingerprint, the privacy table.
fn write_head(
    t: &mut String,
    input: &TableInput,
    dataset: &str,
    no_header: bool,
    guesses: &[Guess],
    drafted: &Drafted,
) {
    let _ = writeln!(
        t,
        "# DRAFT rules made by `tokumei init` from {} ({} rows{}).",
        // A comment ends at a line break: none may come from the file's name.
        input
            .path
            .file_name()
            .map(|f| f.to_string_lossy().chars().map(|c| if c.is_control() { '?' } else { c }).collect::<String>())
            .unwrap_or_default(),
        drafted.rows,
        if no_header { ", no header line: columns named by position" } else { "" }
    );
    let _ = writeln!(t, "# Every role and action below is a guess from the column's name and values: REVIEW each one.");
    let _ =
        writeln!(t, "# Decide which columns an attacker could know (quasi-identifiers), which are 要配慮 (sensitive),");
    let _ =
        writeln!(t, "# and check the result with `tokumei check JOB.toml` before the first run. No value of the data");
    let _ = writeln!(t, "# is written here, only column names, counts and shares.");
    if let Some(u) = drafted.unique_on_quasi {
        let _ = writeln!(
            t,
            "# The suggested quasi-identifiers make {:.1}% of records unique at their raw values; the generalisation below lowers that.",
            u * 100.0
        );
    }
    let _ = writeln!(t, "version = 1\ndataset = \"{dataset}\"\nmode = \"anonymized\"");
    match drafted.subject {
        Some(s) => {
            let _ = writeln!(
                t,
                "# REVIEW: the column that names one person (k and every model count people by it); never a household's number"
            );
            let _ = writeln!(t, "subject = \"{}\"", toml_str(s));
        }
        None => {
            let _ = writeln!(
                t,
                "# REVIEW: no column was recognised as one person's number: if a person may have several rows, add\n# subject = \"COLUMN\" naming it (a person's number such as 宛名番号, never a household's such as 世帯番号)"
            );
        }
    }
    match drafted.fingerprint {
        Some(f) => {
            let _ = writeln!(
                t,
                "# REVIEW: releases are fingerprinted for leak tracing by putting this column's values in a random order within\n# each class (each class keeps its values; the row-by-row pairing of this column with the others is lost).\n# Drafted among the insensitive columns outside the key: name another, or write fingerprint = false (then\n# releases are told apart by their record codes only)."
            );
            let _ = writeln!(t, "fingerprint = \"{}\"", toml_str(f));
        }
        None => {
            let _ = writeln!(
                t,
                "# REVIEW: no insensitive column outside the key to fingerprint releases with (leak tracing): the run reorders\n# none unless you name one with fingerprint = \"COLUMN\""
            );
        }
    }
    let _ = writeln!(
        t,
        "\n# REVIEW: k, l and the suppression limit are the municipality's policy (no statute fixes them)."
    );
    let _ = writeln!(t, "# The optimal search chooses each quasi-identifier's level from its min_level up.");
    let _ = writeln!(t, "[privacy]\nk = 5\nmax_suppression = 0.05\nsearch = \"optimal\"");
    if guesses.iter().any(|g| g.role == "sensitive") {
        let _ = writeln!(
            t,
            "# l = 2  # distinct l-diversity of the sensitive columns: set it, or a column's own `l`, after review"
        );
    }
}

/// One `[[column]]` table per column, with its evidence to review; made-up output names that
/// clash with one in `used` are left out.
fn write_columns(t: &mut String, guesses: &[Guess], used: &mut FxHashSet<String>) {
    for g in guesses {
        let _ = writeln!(
            t,
            "\n# REVIEW: {} ({} distinct, {:.1}% of records unique on it alone)",
            g.evidence,
            g.distinct,
            g.unique_share * 100.0
        );
        let _ = writeln!(t, "[[column]]\nname = \"{}\"\nrole = \"{}\"", toml_str(&g.column), g.role);
        for line in &g.rule {
            // With the search, a quasi-identifier's level is a lower bound the search starts from.
            if g.quasi
                && let Some(l) = line.strip_prefix("level = ")
            {
                let _ = writeln!(t, "min_level = {l}");
                continue;
            }
            // Output names made up here must not clash with input names.
            if let Some(out) = line.strip_prefix("output = \"").and_then(|l| l.strip_suffix('"')) {
                if !used.insert(out.to_string()) {
                    continue;
                }
                let _ = writeln!(t, "output = \"{}\"", toml_str(out));
                continue;
            }
            let _ = writeln!(t, "{line}");
        }
    }
}

/// The subject drafted: a person's number, never a number several people share (a household's,
/// a family's, an insurer's); a linking code before an identification code, and one named like
/// a person's number (宛名番号, 被保険者番号, ...) before others.
fn subject_of(guesses: &[Guess]) -> Option<String> {
    guesses
        .iter()
        .filter(|g| matches!(g.role, "linking_code" | "identification_code") && !shared_number(&g.column))
        .filter(|g| g.role == "linking_code" || name_has(&g.column, names::PERSON_NUMBER_NAMES))
        .min_by_key(|g| (!name_has(&g.column, names::PERSON_NUMBER_NAMES), g.role != "linking_code"))
        .map(|g| g.column.clone())
}

/// The fingerprint drafted: among the insensitive columns outside the key that the run keeps
/// whole (kept or banded: its own name is its output), the one whose values say the most.
fn fingerprint_of(guesses: &[Guess], profiles: &[Profile]) -> Option<String> {
    let entropy = |p: &Profile| -> f64 {
        if p.overflow {
            return f64::INFINITY;
        }
        let n: u64 = p.counts.values().map(|c| u64::from(*c)).sum();
        p.counts.values().map(|c| f64::from(*c) / n.max(1) as f64).map(|q| -q * q.log2()).sum()
    };
    guesses
        .iter()
        .zip(profiles)
        .filter(|(g, p)| {
            g.role == "insensitive"
                && !g.quasi
                && !g.rule.iter().any(|l| l.starts_with("output"))
                && g.rule.iter().any(|l| l == "action = \"keep\"" || l == "action = \"generalize\"")
                && p.counts.len() >= 2
        })
        .max_by(|(_, a), (_, b)| entropy(a).partial_cmp(&entropy(b)).unwrap_or(std::cmp::Ordering::Equal))
        .map(|(g, _)| g.column.clone())
}

/// A string for inside TOML double quotes (a basic string): backslashes, quotes and control
/// characters escaped, so any header name gives valid TOML.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Header names with quotes, backslashes, line breaks and other control characters still
    /// give a draft that is valid TOML and names each column exactly.
    #[test]
    fn any_header_name_gives_valid_toml() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd\nname.csv");
        let names = ["we\"ird", "back\\slash", "new\nline", "bell\u{7}", "tab\there", "del\u{7f}", "'single'", "住所"];
        let mut csv = names.iter().map(|n| format!("\"{}\"", n.replace('"', "\"\""))).collect::<Vec<_>>().join(",");
        csv.push('\n');
        for i in 0..50 {
            csv.push_str(&format!("a{i},b,c,d,e,f,g,東京都新宿区西新宿{i}\n"));
        }
        std::fs::write(&path, csv).unwrap();
        let input = TableInput { path: &path, format: None, encoding: tokumei_rules::Encoding::Utf8, delimiter: b',' };
        let d = draft(&input, "odd", false).unwrap();
        let parsed: toml::Table = toml::from_str(&d.toml).unwrap_or_else(|e| panic!("{e}\n{}", d.toml));
        let columns: Vec<&str> =
            parsed["column"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(columns, names);
        let outputs: Vec<&str> =
            parsed["column"].as_array().unwrap().iter().filter_map(|c| c.get("output")?.as_str()).collect();
        // Every address is in one municipality: drafted at 町字 level (hierarchy address_town).
        assert_eq!(outputs, ["住所_町字"]);
        assert_eq!(toml_str("a\u{1}\u{1f}b"), "a\\u0001\\u001Fb");
    }

    #[test]
    fn amounts_are_told_by_their_name() {
        for n in ["給付額", "負担額", "利用者負担金", "保険料", "医療費", "所得（円）", "件数", "Amount"]
        {
            assert!(names_an_amount(n), "{n}");
        }
        for n in ["市区町村コード", "団体コード", "地区", "住所", "コード"] {
            assert!(!names_an_amount(n), "{n}");
        }
    }

    #[test]
    fn caps_round_up_to_two_significant_figures() {
        for (n, up) in [(39_482, 40_000), (30_000, 30_000), (1_509_855, 1_600_000), (7, 7), (100, 100), (101, 110)] {
            assert_eq!(round_up_2(n), up, "{n}");
        }
    }

    /// The drafted cap is the 99th percentile (nearest rank) rounded up, and the share of values
    /// below it is what it is: not a rounded-down value that 12.5% of the records exceed.
    #[test]
    fn the_cap_is_the_99th_percentile_rounded_up_and_its_share_is_stated() {
        let mut p = Profile::default();
        // 1..=1000 plus 8 large values: p99 (nearest rank of 1008) is 998.
        for v in (1..=1000).chain([39_482, 50_000, 60_000, 70_000, 80_000, 90_000, 95_000, 99_000]) {
            p.add(Some(&v.to_string()));
        }
        let pc = p.cap().unwrap();
        assert_eq!((pc.cap, pc.values, pc.sampled), (1000, 1008, false));
        assert!((pc.below - 999.0 / 1008.0).abs() < 1e-9, "{}", pc.below);
        // 87.5% at 10000 and the rest above 30000: the cap is above them all but 1%.
        let mut p = Profile::default();
        for i in 0..8000 {
            p.add(Some(if i % 8 == 7 { "39482" } else { "10000" }));
        }
        let pc = p.cap().unwrap();
        assert_eq!(pc.cap, 40_000);
        assert_eq!(pc.below, 1.0);
    }

    /// A file of more whole numbers than the sample holds is sampled uniformly, and says so.
    #[test]
    fn large_columns_are_sampled_uniformly() {
        let mut p = Profile::default();
        let n = SAMPLE as u64 + 500_000;
        for i in 0..n {
            p.note_int(i as i64);
        }
        let pc = p.cap().unwrap();
        assert!(pc.sampled && pc.values == n);
        // The true 99th percentile is about 0.99 n: the sample's is within 1%.
        let truth = (n as f64 * 0.99) as i64;
        assert!((pc.cap - round_up_2(truth)).abs() <= round_up_2(truth) / 100, "{} vs {truth}", pc.cap);
    }

    /// 法 (the brief's 3.): the models count people by the subject, so a household's number is
    /// never drafted as the subject, nor coded as a person's code; ages are drafted in bands, the
    /// fingerprint among insensitive columns outside the key, each marked for review.
    #[test]
    fn the_draft_never_takes_a_household_as_the_subject_nor_exact_ages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("care.csv");
        let mut csv = String::from("世帯番号,宛名番号,年齢,生年月日,保険料段階,給付額,要介護度\n");
        for i in 0..400 {
            csv.push_str(&format!(
                "{},{},{},19{:02}-0{}-1{},第{}段階,{},要介護{}\n",
                900_000 + i,
                100_000 + i,
                40 + i % 50,
                30 + i % 60,
                1 + i % 9,
                i % 9,
                1 + i % 13,
                (i * 7919) % 100_000,
                1 + i % 5
            ));
        }
        std::fs::write(&path, csv).unwrap();
        let input = TableInput { path: &path, format: None, encoding: tokumei_rules::Encoding::Utf8, delimiter: b',' };
        let d = draft(&input, "care", false).unwrap();
        assert_eq!(d.subject.as_deref(), Some("宛名番号"), "{}", d.toml);
        let household = d.guesses.iter().find(|g| g.column == "世帯番号").unwrap();
        assert_eq!(
            (household.role, household.rule.as_slice()),
            ("linking_code", &["action = \"drop\"".to_string()][..])
        );
        assert!(d.toml.contains("subject = \"宛名番号\""), "{}", d.toml);
        for age in ["年齢", "生年月日"] {
            let g = d.guesses.iter().find(|g| g.column == age).unwrap();
            assert!(g.rule.contains(&"level = 1".to_string()), "{age}: {:?}", g.rule);
        }
        assert!(!d.toml.contains("min_level = 0"), "no exact age is drafted:\n{}", d.toml);
        assert_eq!(d.fingerprint.as_deref(), Some("給付額"), "{}", d.toml);
        assert!(d.toml.contains("fingerprint = \"給付額\""), "{}", d.toml);
        let amount = d.guesses.iter().find(|g| g.column == "給付額").unwrap();
        assert!(amount.evidence.contains("99th percentile of 400 values"), "{}", amount.evidence);
        // The draft is valid rules for this extract.
        let header: Vec<String> =
            ["世帯番号", "宛名番号", "年齢", "生年月日", "保険料段階", "給付額", "要介護度"].map(String::from).to_vec();
        tokumei_rules::validate_rules(&dir.path().join("r.toml"), &d.toml, &header).unwrap();
        // Only a household number: no subject, and the draft says how to name one.
        let path = dir.path().join("h.csv");
        let mut csv = String::from("世帯番号,性別\n");
        for i in 0..100 {
            csv.push_str(&format!("{},{}\n", 500 + i, if i % 2 == 0 { "男" } else { "女" }));
        }
        std::fs::write(&path, csv).unwrap();
        let input = TableInput { path: &path, format: None, encoding: tokumei_rules::Encoding::Utf8, delimiter: b',' };
        let d = draft(&input, "h", false).unwrap();
        assert_eq!(d.subject, None);
        assert!(!d.toml.contains("\nsubject =") && d.toml.contains("# subject = \"COLUMN\""), "{}", d.toml);
    }

    /// A first line that looks like a record is refused by position; with `no_header` it is
    /// the first row of data and the columns are named by position.
    #[test]
    fn a_record_as_header_is_refused_or_read_as_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        let mut csv = String::new();
        for i in 0..40 {
            csv.push_str(&format!("{},佐藤　{i},090-1234-{:04},女\n", 123_456 + i, i));
        }
        std::fs::write(&path, &csv).unwrap();
        let input = TableInput { path: &path, format: None, encoding: tokumei_rules::Encoding::Utf8, delimiter: b',' };
        let e = draft(&input, "x", false).err().unwrap().to_string();
        assert!(e.contains("columns 1 and 3 of 4 look like data") && e.contains("--no-header"), "{e}");
        assert!(!e.contains("123456") && !e.contains("佐藤") && !e.contains("090"), "{e}");
        let d = draft(&input, "x", true).unwrap();
        assert_eq!(d.rows, 40);
        let names: Vec<&str> = d.guesses.iter().map(|g| g.column.as_str()).collect();
        assert_eq!(names, ["column_1", "column_2", "column_3", "column_4"]);
        assert_eq!(d.guesses[2].role, "direct_identifier", "phone numbers, the first line's included");
        // (An amount column's cap is a rounded percentile, not a value.)
        assert!(!d.toml.contains("123456") && !d.toml.contains("佐藤") && !d.toml.contains("090-1234"), "{}", d.toml);
    }
}
