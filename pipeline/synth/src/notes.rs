//! A long-term-care extract with notes written by staff, for measuring a notes scrubber: each
//! note embeds the extract's own names (the person, household members: whole names with and
//! without a space, one-character surnames and given names, kana), names the extract does not
//! hold (a doctor, a neighbour) with an honorific or kinship word, identifier numbers in every
//! width, separator and kanji numerals, phone numbers, addresses and dates, among ordinary care
//! words. Each note comes with its truth: the identifying pieces as written (with the text
//! around them, so a one-character name is told from the same character in a word) and the
//! ordinary words that must survive. The same seed always gives the same corpus.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Column names of the care extract, in file order.
pub const CARE_COLUMNS: [&str; 11] = [
    "被保険者番号",
    "宛名番号",
    "個人番号",
    "氏名",
    "氏名カナ",
    "電話番号",
    "住所",
    "性別",
    "年齢",
    "要介護度",
    "備考",
];

/// Surnames (kanji, kana): one-character ones among them.
const SURNAMES: &[(&str, &str)] = &[
    ("林", "ハヤシ"),
    ("森", "モリ"),
    ("原", "ハラ"),
    ("関", "セキ"),
    ("堀", "ホリ"),
    ("辻", "ツジ"),
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("佐々木", "ササキ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
];

/// Given names (kanji, kana): one-character ones among them.
const GIVEN: &[(&str, &str)] = &[
    ("修", "オサム"),
    ("光", "ヒカル"),
    ("茂", "シゲル"),
    ("清", "キヨシ"),
    ("誠", "マコト"),
    ("進", "ススム"),
    ("実", "ミノル"),
    ("勇", "イサム"),
    ("愛", "アイ"),
    ("葵", "アオイ"),
    ("太郎", "タロウ"),
    ("一郎", "イチロウ"),
    ("大輔", "ダイスケ"),
    ("直樹", "ナオキ"),
    ("花子", "ハナコ"),
    ("恵子", "ケイコ"),
    ("幸子", "サチコ"),
    ("由美", "ユミ"),
    ("和子", "カズコ"),
    ("美咲", "ミサキ"),
    ("明美", "アケミ"),
    ("節子", "セツコ"),
];

/// Names the extract never holds (doctors, neighbours, staff), all of the shipped list.
const OUTSIDERS: &[(&str, &str)] =
    &[("田中", "一郎"), ("斎藤", "健一"), ("石井", "裕子"), ("小川", "博"), ("前田", "久美子"), ("岡田", "誠")];

const KIN: &[&str] = &["長男", "次男", "長女", "次女", "妻", "夫", "孫", "嫁"];

/// Ordinary care words, several holding a character that is also a one-character name (光熱費,
/// 修理, 林業, 実家, 森林): none may be removed.
const WORDS: &[&str] = &[
    "訪問介護の利用継続",
    "通所リハビリを週3回",
    "光熱費の支払いに不安",
    "住宅改修で手すり修理を依頼",
    "若い頃は林業に従事",
    "正月は実家に帰省",
    "森林公園まで散歩",
    "要介護3に区分変更",
    "一人暮らしで食事は配食",
    "ヘルパーさんに買物を依頼",
    "デイサービスで入浴",
    "父親と同居",
    "本人は大丈夫と話す",
    "様子見とする",
    "同様の状態が続く",
    "利用者負担は1割",
    "月2回の受診に同行",
    "ケアマネさんと相談",
];

/// One note's truth.
#[derive(Debug, Clone, Default)]
pub struct NoteTruth {
    /// Identifying pieces of the extract, each as `(text around it, the piece)`: the piece must
    /// be gone from the scrubbed note, and so must the text around it as written.
    pub extract: Vec<(String, String)>,
    /// Names the extract does not hold, as `(text around it, the piece)`.
    pub outside: Vec<(String, String)>,
    /// Ordinary words that must survive as written.
    pub words: Vec<String>,
}

/// A generated care extract: records (header first) and each record's note truth.
pub struct CareNotes {
    /// Header and records, as text.
    pub rows: Vec<Vec<String>>,
    /// Each record's note truth (in record order, without the header).
    pub truth: Vec<NoteTruth>,
}

struct Person {
    surname: usize,
    given: usize,
    phone: String,
    my_number: String,
    insured: String,
}

fn digits(rng: &mut ChaCha8Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect()
}

const KANJI_DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/// A number as staff write it: plain, grouped by hyphens, the long-vowel mark or spaces,
/// full-width, or in kanji numerals.
fn written(rng: &mut ChaCha8Rng, d: &str) -> String {
    let group = |sep: &str| -> String {
        let cut = [3usize.min(d.len()), 7usize.min(d.len())];
        format!("{}{sep}{}{sep}{}", &d[..cut[0]], &d[cut[0]..cut[1]], &d[cut[1]..])
    };
    match rng.random_range(0..7) {
        0 => d.to_string(),
        1 => group("-"),
        2 => group("ー"),
        3 => group(" "),
        4 => d.chars().map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c)).collect(),
        5 => d.chars().map(|c| KANJI_DIGITS[(c as u8 - b'0') as usize]).collect(),
        _ => group("−"),
    }
}

/// Generate `rows` care records with notes (households of one to three people sharing a
/// surname, so notes name members of the extract).
pub fn care_notes(rows: usize, seed: u64) -> CareNotes {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut people: Vec<Person> = Vec::with_capacity(rows);
    let mut household: Vec<usize> = Vec::with_capacity(rows);
    while people.len() < rows {
        let surname = rng.random_range(0..SURNAMES.len());
        let size = rng.random_range(1..=3).min(rows - people.len());
        let h = people.len();
        for _ in 0..size {
            let mut my = digits(&mut rng, 11);
            let b: Vec<u8> = my.bytes().map(|b| b - b'0').collect();
            let first: [u8; 11] = b.try_into().unwrap_or([0; 11]);
            my.push(char::from(b'0' + tokumei_jp::my_number_check_digit(&first)));
            people.push(Person {
                surname,
                given: rng.random_range(0..GIVEN.len()),
                phone: format!("0{}0{}", ["7", "8", "9"][rng.random_range(0..3)], digits(&mut rng, 8)),
                my_number: my,
                insured: format!("00{}", digits(&mut rng, 8)),
            });
            household.push(h);
        }
    }
    let mut out = vec![CARE_COLUMNS.iter().map(|c| c.to_string()).collect::<Vec<_>>()];
    let mut truth = Vec::with_capacity(rows);
    for (i, p) in people.iter().enumerate() {
        let (s, sk) = SURNAMES[p.surname];
        let (g, gk) = GIVEN[p.given];
        // A relative: another member of the household when there is one, else another record.
        let members: Vec<usize> = (household[i]..people.len()).take_while(|j| household[*j] == household[i]).collect();
        let r = members.iter().copied().find(|j| *j != i).unwrap_or((i + 7) % people.len());
        let (rs, rsk) = SURNAMES[people[r].surname];
        let (rg, rgk) = GIVEN[people[r].given];
        let kin = KIN[rng.random_range(0..KIN.len())];
        let mut t = NoteTruth::default();
        let mut parts: Vec<String> = Vec::new();
        let piece = |t: &mut NoteTruth, parts: &mut Vec<String>, text: String, secret: &str| {
            t.extract.push((text.clone(), secret.to_string()));
            parts.push(text);
        };
        for _ in 0..rng.random_range(2..=5) {
            match rng.random_range(0..16) {
                0 => piece(&mut t, &mut parts, format!("{kin} {rs}{rg} 様と同居"), &format!("{rs}{rg}")),
                1 => piece(&mut t, &mut parts, format!("{kin}{rg}が来所"), rg),
                2 => piece(&mut t, &mut parts, format!("{s}さん本人より電話"), s),
                3 => piece(&mut t, &mut parts, format!("{s} {g}様の件"), &format!("{s} {g}")),
                4 => piece(&mut t, &mut parts, format!("{kin}（{rsk} {rgk}）に連絡"), &format!("{rsk} {rgk}")),
                5 => {
                    let w = written(&mut rng, &p.my_number);
                    piece(&mut t, &mut parts, format!("旧個人番号 {w} を確認"), &w)
                }
                6 => {
                    let w = written(&mut rng, &p.insured);
                    piece(&mut t, &mut parts, format!("被保険者番号{w}で照会"), &w)
                }
                7 => {
                    let w = written(&mut rng, &people[r].phone);
                    piece(&mut t, &mut parts, format!("{kin}の連絡先{w}"), &w)
                }
                8 => piece(&mut t, &mut parts, format!("{rs}{rg}（{kin}）と面会"), &format!("{rs}{rg}")),
                9 => piece(&mut t, &mut parts, format!("{kin}の{rg}さんが付添"), rg),
                10 => piece(&mut t, &mut parts, format!("{gk}さんと呼ぶと反応あり"), gk),
                11 => {
                    let (os, og) = OUTSIDERS[rng.random_range(0..OUTSIDERS.len())];
                    let text = format!("主治医 {os}{og}先生より意見書");
                    t.outside.push((text.clone(), format!("{os}{og}")));
                    parts.push(text);
                }
                12 => {
                    let (os, _) = OUTSIDERS[rng.random_range(0..OUTSIDERS.len())];
                    let text = format!("隣人の{os}様が通報");
                    t.outside.push((text.clone(), os.to_string()));
                    parts.push(text);
                }
                13 => {
                    let d = format!(
                        "令和{}年{}月{}日",
                        rng.random_range(1..8),
                        rng.random_range(1..13),
                        rng.random_range(1..29)
                    );
                    piece(&mut t, &mut parts, format!("{d}に訪問"), &d)
                }
                14 => {
                    let a = format!(
                        "東京都八王子市元本郷町{}-{}-{}",
                        rng.random_range(1..5),
                        rng.random_range(1..30),
                        rng.random_range(1..20)
                    );
                    piece(&mut t, &mut parts, format!("転居先 {a}"), &a)
                }
                _ => {
                    let w = WORDS[rng.random_range(0..WORDS.len())];
                    if !t.words.iter().any(|x| x == w) {
                        t.words.push(w.to_string());
                        parts.push(w.to_string());
                    }
                }
            }
        }
        // Every note keeps two ordinary words at least.
        while t.words.len() < 2 {
            let w = WORDS[rng.random_range(0..WORDS.len())];
            if !t.words.iter().any(|x| x == w) {
                t.words.push(w.to_string());
                parts.push(w.to_string());
            }
        }
        let note = parts.join("。");
        out.push(vec![
            p.insured.clone(),
            format!("{:08}", 10_000_000 + i * 3),
            p.my_number.clone(),
            format!("{s}　{g}"),
            format!("{sk} {gk}"),
            p.phone.clone(),
            format!("東京都八王子市元本郷町{}-{}", 1 + i % 4, 1 + i % 29),
            if i % 2 == 0 { "男" } else { "女" }.to_string(),
            (65 + (i * 7) % 30).to_string(),
            format!("要介護{}", 1 + i % 5),
            note,
        ]);
        truth.push(t);
    }
    CareNotes { rows: out, truth }
}

impl CareNotes {
    /// The records as UTF-8 CSV (header first); a cell a spreadsheet would take as a formula is
    /// shown as text (as every CSV tokumei writes: [`tokumei_jp::defuse_formula`]).
    pub fn csv(&self) -> String {
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        for r in &self.rows {
            let _ = w.write_record(r.iter().map(|c| tokumei_jp::defuse_formula(c).into_owned()));
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_is_deterministic_and_holds_its_pieces() {
        let a = care_notes(200, 7);
        let b = care_notes(200, 7);
        assert_eq!(a.rows, b.rows);
        assert_eq!(a.rows.len(), 201);
        for (row, t) in a.rows[1..].iter().zip(&a.truth) {
            for (text, piece) in &t.extract {
                assert!(row[10].contains(text.as_str()) && text.contains(piece.as_str()));
            }
            assert!(t.words.len() >= 2);
        }
        // One-character surname with one-character given name, written together, occurs.
        fn one(l: &'static [(&'static str, &'static str)]) -> Vec<&'static str> {
            l.iter().map(|p| p.0).filter(|w| w.chars().count() == 1).collect()
        }
        let pairs: Vec<String> =
            one(SURNAMES).iter().flat_map(|s| one(GIVEN).into_iter().map(move |g| format!("{s}{g}"))).collect();
        assert!(a.rows[1..].iter().any(|r| pairs.iter().any(|p| r[10].contains(p.as_str()))));
        assert!(a.csv().lines().count() > 200);
    }
}
