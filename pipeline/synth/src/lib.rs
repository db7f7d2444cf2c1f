//! Deterministic synthetic municipal extracts.
//!
//! [`resident_registry`] writes a 住民基本台帳 + tax + care extract with Japanese column
//! names, Japan's age pyramid, ~100 municipalities with a long tail, households, mixed ISO /
//! slash / 和暦 birth dates, some full-width postal codes, and free text that sometimes holds
//! a phone number. The same seed always gives the same bytes.

mod names;
pub mod notes;
mod places;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use tokumei_jp::{Date, my_number_check_digit};

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// Writing failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// Target file.
        path: std::path::PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

/// Text encoding of the generated CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 without BOM.
    Utf8,
    /// CP932 (Shift_JIS), as legacy municipal systems export.
    Cp932,
}

/// Column names of the resident-registry extract, in file order.
pub const COLUMNS: [&str; 17] = [
    "宛名番号",
    "個人番号",
    "氏名",
    "氏名カナ",
    "生年月日",
    "性別",
    "郵便番号",
    "住所",
    "市区町村コード",
    "世帯番号",
    "続柄",
    "電話番号",
    "課税所得",
    "国保加入",
    "要介護度",
    "障害者手帳",
    "備考",
];

/// The date ages are computed against when generating birth dates.
pub const REFERENCE_DATE: Date = Date { year: 2026, month: 4, day: 1 };

/// Japan's population by 5-year age band 0-4 .. 100-104 (hundred thousands, 2024-ish).
const PYRAMID: [u32; 21] = [42, 49, 53, 55, 62, 64, 65, 72, 80, 95, 94, 80, 74, 76, 92, 73, 60, 40, 20, 6, 1];

fn draw_age(rng: &mut ChaCha8Rng, min: u32) -> u32 {
    let first = (min / 5) as usize;
    let total: u32 = PYRAMID[first..].iter().sum();
    let mut x = rng.random_range(0..total);
    for (i, w) in PYRAMID[first..].iter().enumerate() {
        if x < *w {
            let band = (first + i) as u32 * 5;
            let age = band + rng.random_range(0..5);
            // A rare super-centenarian: an outlier the rules must top-code.
            if age >= 100 && rng.random_bool(0.05) {
                return age + rng.random_range(5..12);
            }
            return age.max(min);
        }
        x -= w;
    }
    min
}

fn birth_date(rng: &mut ChaCha8Rng, age: u32) -> Date {
    let last_birthday =
        Date::new(REFERENCE_DATE.year - age as i32, REFERENCE_DATE.month, REFERENCE_DATE.day).expect("valid reference");
    let days = last_birthday.days_since_epoch() - rng.random_range(0..365);
    Date::from_days_since_epoch(days)
}

fn format_date(rng: &mut ChaCha8Rng, d: Date) -> String {
    match rng.random_range(0..10) {
        0..=5 => d.to_string(),
        6 | 7 => format!("{}/{}/{}", d.year, d.month, d.day),
        _ => wareki(d),
    }
}

/// 和暦 form of a date, `元年` for an era's first year.
pub fn wareki(d: Date) -> String {
    let eras = [
        ("令和", Date { year: 2019, month: 5, day: 1 }),
        ("平成", Date { year: 1989, month: 1, day: 8 }),
        ("昭和", Date { year: 1926, month: 12, day: 25 }),
        ("大正", Date { year: 1912, month: 7, day: 30 }),
        ("明治", Date { year: 1868, month: 1, day: 25 }),
    ];
    for (name, start) in eras {
        if d >= start {
            let y = d.year - start.year + 1;
            let ys = if y == 1 { "元".to_string() } else { y.to_string() };
            return format!("{name}{ys}年{}月{}日", d.month, d.day);
        }
    }
    d.to_string()
}

fn my_number(rng: &mut ChaCha8Rng) -> String {
    let mut d = [0u8; 11];
    for x in d.iter_mut() {
        *x = rng.random_range(0..10);
    }
    let c = my_number_check_digit(&d);
    d.iter().chain(std::iter::once(&c)).map(|x| char::from(b'0' + x)).collect()
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c),
            '-' => '－',
            _ => c,
        })
        .collect()
}

struct Person {
    age: u32,
    male: bool,
    relation: &'static str,
}

fn household(rng: &mut ChaCha8Rng) -> Vec<Person> {
    let size = match rng.random_range(0..100) {
        0..=37 => 1,
        38..=65 => 2,
        66..=81 => 3,
        82..=94 => 4,
        95..=98 => 5,
        _ => 6,
    };
    let head_age = draw_age(rng, 20);
    let head_male = rng.random_bool(0.7);
    let mut people = vec![Person { age: head_age, male: head_male, relation: "世帯主" }];
    if size >= 2 {
        let spouse_age = (head_age as i32 + rng.random_range(-5..=5)).clamp(18, 105) as u32;
        people.push(Person { age: spouse_age, male: !head_male, relation: if head_male { "妻" } else { "夫" } });
    }
    for _ in 2..size.min(5) {
        let gap = rng.random_range(22..40);
        let age = head_age.saturating_sub(gap);
        people.push(Person { age, male: rng.random_bool(0.51), relation: "子" });
    }
    if size >= 6 {
        let age = (head_age + rng.random_range(24..34)).min(108);
        people.push(Person { age, male: false, relation: "母" });
    }
    people
}

fn income(rng: &mut ChaCha8Rng, age: u32) -> u64 {
    if age < 18 || rng.random_bool(0.3) {
        return 0;
    }
    if rng.random_bool(0.0005) {
        return rng.random_range(50_000_000..400_000_000);
    }
    // Log-normal-ish around 3M yen: product of uniforms.
    let base: f64 = 3_000_000.0 * (0.3 + rng.random::<f64>() * 1.4) * (0.5 + rng.random::<f64>());
    let scale = if (30..65).contains(&age) { 1.2 } else { 0.6 };
    ((base * scale) as u64 / 1000) * 1000
}

fn care_level(rng: &mut ChaCha8Rng, age: u32) -> &'static str {
    let p = match age {
        0..=39 => 0.0,
        40..=64 => 0.004,
        65..=74 => 0.04,
        75..=84 => 0.18,
        _ => 0.55,
    };
    if !rng.random_bool(p) {
        return "なし";
    }
    ["要支援1", "要支援2", "要介護1", "要介護2", "要介護3", "要介護4", "要介護5"][rng.random_range(0..7)]
}

fn phone(rng: &mut ChaCha8Rng, mobile: bool, area: &str) -> String {
    if mobile {
        let p = ["090", "080", "070"][rng.random_range(0..3)];
        format!("{p}-{:04}-{:04}", rng.random_range(0..10000), rng.random_range(0..10000))
    } else {
        format!("{area}-{:03}-{:04}", rng.random_range(100..1000), rng.random_range(0..10000))
    }
}

/// Write `rows` rows of a synthetic resident-registry extract to `out` (atomically:
/// a temporary file renamed into place).
pub fn resident_registry(
    out: &std::path::Path,
    rows: u64,
    seed: u64,
    encoding: TextEncoding,
) -> Result<(), SynthError> {
    let io = |source| SynthError::Io { path: out.to_path_buf(), source };
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = dir.join(format!(".{}.tmp", out.file_name().and_then(|n| n.to_str()).unwrap_or("sample")));
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut sink = std::io::BufWriter::with_capacity(1 << 20, file);
        write_rows(&mut sink, rows, seed, encoding)?;
        sink.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, out)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Where generated records go: one extract, or three joined on 宛名番号.
trait Emit {
    /// One record of [`COLUMNS`].
    fn record(&mut self, fields: [&str; 17]) -> std::io::Result<()>;
    /// Write out what is buffered when it is large (`force`: always).
    fn flush(&mut self, force: bool) -> std::io::Result<()>;
}

/// One extract with every column.
struct Joined<'a, W: Write> {
    csv: csv::Writer<Vec<u8>>,
    sink: &'a mut W,
    encoding: TextEncoding,
}

impl<W: Write> Emit for Joined<'_, W> {
    fn record(&mut self, fields: [&str; 17]) -> std::io::Result<()> {
        self.csv.write_record(fields.map(tokumei_jp::defuse_formula).iter().map(|c| c.as_bytes()))?;
        Ok(())
    }
    fn flush(&mut self, force: bool) -> std::io::Result<()> {
        if force || self.csv.get_ref().len() > (1 << 20) {
            flush(&mut self.csv, self.sink, self.encoding)?;
        }
        Ok(())
    }
}

/// The columns of the resident extract of [`resident_extracts`] (indices into [`COLUMNS`]).
const RESIDENT: [usize; 15] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 16];

/// Three extracts as three systems export them: the resident registry (everyone), the tax
/// system (residents with a taxable income), long-term care (certified residents only).
struct Split<'a, W: Write> {
    csv: [csv::Writer<Vec<u8>>; 3],
    sinks: [&'a mut W; 3],
    encoding: TextEncoding,
}

impl<W: Write> Emit for Split<'_, W> {
    fn record(&mut self, f: [&str; 17]) -> std::io::Result<()> {
        // A spreadsheet shows every cell, never runs one (as every CSV tokumei writes).
        let f = f.map(tokumei_jp::defuse_formula);
        let f: [&str; 17] = std::array::from_fn(|i| f[i].as_ref());
        self.csv[0].write_record(RESIDENT.iter().map(|i| f[*i]))?;
        if f[12] != "0" {
            self.csv[1].write_record([f[0], f[12]])?;
        }
        if f[14] != "なし" {
            self.csv[2].write_record([f[0], f[14]])?;
        }
        Ok(())
    }
    fn flush(&mut self, force: bool) -> std::io::Result<()> {
        for (csv, sink) in self.csv.iter_mut().zip(self.sinks.iter_mut()) {
            if force || csv.get_ref().len() > (1 << 20) {
                flush(csv, *sink, self.encoding)?;
            }
        }
        Ok(())
    }
}

/// The file names [`resident_extracts`] writes.
pub const EXTRACTS: [&str; 3] = ["resident.csv", "tax.csv", "care.csv"];

/// Write the records [`resident_registry`] would write for `rows` and `seed` as three extracts
/// into `dir` ([`EXTRACTS`]): `resident.csv` (every column but 課税所得 and 要介護度), `tax.csv`
/// (宛名番号, 課税所得, for residents with an income) and `care.csv` (宛名番号, 要介護度, for
/// certified residents). Joined on 宛名番号 with absent values as 0 and なし they are the single
/// extract's rows. Each file is made beside its target and renamed into place.
pub fn resident_extracts(
    dir: &std::path::Path,
    rows: u64,
    seed: u64,
    encoding: TextEncoding,
) -> Result<(), SynthError> {
    let io = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| SynthError::Io { path: path.clone(), source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let paths: Vec<std::path::PathBuf> = EXTRACTS.iter().map(|n| dir.join(n)).collect();
    let tmps: Vec<std::path::PathBuf> = EXTRACTS.iter().map(|n| dir.join(format!(".{n}.tmp"))).collect();
    let result = (|| {
        let mut files = Vec::new();
        for t in &tmps {
            files.push(std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(t)?));
        }
        let [a, b, c] = &mut files[..] else { unreachable!("three files") };
        let mut header = [new_writer(Vec::new()), new_writer(Vec::new()), new_writer(Vec::new())];
        header[0].write_record(RESIDENT.iter().map(|i| COLUMNS[*i]))?;
        header[1].write_record([COLUMNS[0], COLUMNS[12]])?;
        header[2].write_record([COLUMNS[0], COLUMNS[14]])?;
        let mut split = Split { csv: header, sinks: [a, b, c], encoding };
        generate(&mut split, rows, seed)?;
        for f in files {
            f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        }
        for (t, p) in tmps.iter().zip(&paths) {
            std::fs::rename(t, p)?;
        }
        Ok(())
    })();
    if result.is_err() {
        for t in &tmps {
            let _ = std::fs::remove_file(t);
        }
    }
    result.map_err(io(dir))
}

fn write_rows(sink: &mut impl Write, rows: u64, seed: u64, encoding: TextEncoding) -> std::io::Result<()> {
    let mut csv = new_writer(Vec::with_capacity(1 << 21));
    csv.write_record(COLUMNS)?;
    generate(&mut Joined { csv, sink, encoding }, rows, seed)
}

fn generate(out: &mut impl Emit, rows: u64, seed: u64) -> std::io::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let munis = places::municipalities();
    let total_weight: f64 = munis.iter().map(|m| m.weight).sum();
    let mut written = 0u64;
    let mut household_no = 0u64;
    let mut atena = 100_000_000u64 + rng.random_range(0..1_000_000);
    while written < rows {
        household_no += 1;
        let mut x = rng.random::<f64>() * total_weight;
        let muni = munis
            .iter()
            .find(|m| {
                x -= m.weight;
                x < 0.0
            })
            .unwrap_or(&munis[0]);
        let people = household(&mut rng);
        let (surname, surname_kana) = names::SURNAMES[rng.random_range(0..names::SURNAMES.len())];
        let postal = format!("{:03}-{:04}", muni.postal3, rng.random_range(0..10000));
        let town = names::TOWNS[rng.random_range(0..names::TOWNS.len())];
        let address = format!(
            "{}{}{}{}丁目{}番{}号",
            tokumei_jp::PREFECTURES[muni.pref - 1],
            muni.name,
            town,
            rng.random_range(1..6),
            rng.random_range(1..30),
            rng.random_range(1..20)
        );
        let home_phone = phone(&mut rng, false, muni.area_code);
        let setai = format!("{:08}", 10_000_000 + household_no * 7 % 90_000_000);
        for p in people {
            if written >= rows {
                break;
            }
            written += 1;
            atena += rng.random_range(1..4);
            let (given, given_kana) = if p.male {
                names::MALE[rng.random_range(0..names::MALE.len())]
            } else {
                names::FEMALE[rng.random_range(0..names::FEMALE.len())]
            };
            let born = birth_date(&mut rng, p.age);
            let postal_field = if rng.random_bool(0.1) { full_width(&postal) } else { postal.clone() };
            let tel = if p.age >= 15 && rng.random_bool(0.6) { phone(&mut rng, true, "") } else { home_phone.clone() };
            let kokuho = if p.age >= 75 {
                false
            } else if p.age >= 65 {
                rng.random_bool(0.8)
            } else {
                rng.random_bool(0.22)
            };
            let techo = match rng.random_range(0..1000) {
                0..=39 => "身体",
                40..=49 => "療育",
                50..=69 => "精神",
                _ => "なし",
            };
            let note = match rng.random_range(0..100) {
                0..=84 => String::new(),
                85..=89 => "転入".into(),
                90..=92 => format!("連絡先 {}", phone(&mut rng, true, "")),
                93..=95 => "郵送物返戻あり".into(),
                96..=97 => "世帯分離".into(),
                _ => "代理人, 要確認\n次回更新時".into(),
            };
            out.record([
                atena.to_string().as_str(),
                &my_number(&mut rng),
                &format!("{surname}　{given}"),
                &format!("{surname_kana}　{given_kana}"),
                &format_date(&mut rng, born),
                if p.male { "男" } else { "女" },
                &postal_field,
                &address,
                &muni.code6(),
                &setai,
                p.relation,
                &tel,
                &income(&mut rng, p.age).to_string(),
                if kokuho { "1" } else { "0" },
                care_level(&mut rng, p.age),
                techo,
                &note,
            ])?;
        }
        out.flush(false)?;
    }
    out.flush(true)
}

fn new_writer(buf: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(buf)
}

fn flush(csv: &mut csv::Writer<Vec<u8>>, sink: &mut impl Write, encoding: TextEncoding) -> std::io::Result<()> {
    let full = std::mem::replace(csv, new_writer(Vec::new()));
    let mut utf8 = full.into_inner().map_err(|e| e.into_error())?;
    match encoding {
        TextEncoding::Utf8 => sink.write_all(&utf8)?,
        TextEncoding::Cp932 => {
            let text = std::str::from_utf8(&utf8).map_err(std::io::Error::other)?;
            let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
            if unmappable {
                return Err(std::io::Error::other("a generated value has no CP932 form"));
            }
            sink.write_all(&bytes)?;
        }
    }
    utf8.clear();
    *csv = new_writer(utf8);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_valid() {
        let dir = std::env::temp_dir().join(format!("tokumei-synth-{}", std::process::id()));
        let a = dir.join("a.csv");
        let b = dir.join("b.csv");
        resident_registry(&a, 500, 7, TextEncoding::Cp932).unwrap();
        resident_registry(&b, 500, 7, TextEncoding::Cp932).unwrap();
        let bytes = std::fs::read(&a).unwrap();
        assert_eq!(bytes, std::fs::read(&b).unwrap());
        let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
        assert!(!bad);
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let mut n = 0;
        for rec in r.records() {
            let rec = rec.unwrap();
            assert_eq!(rec.len(), 17);
            assert!(tokumei_jp::is_valid_my_number(&rec[1]));
            assert!(tokumei_jp::parse_date(&rec[4]).is_some(), "{}", &rec[4]);
            assert!(tokumei_jp::is_valid_municipality_code(&rec[8]));
            assert!(tokumei_jp::normalize_postal_code(&rec[6]).is_some());
            assert!(tokumei_jp::municipality_of_address(&rec[7]).is_some(), "{}", &rec[7]);
            n += 1;
        }
        assert_eq!(n, 500);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn extracts_joined_are_the_single_extract() {
        let dir = std::env::temp_dir().join(format!("tokumei-synth-split-{}", std::process::id()));
        let single = dir.join("single.csv");
        resident_registry(&single, 700, 11, TextEncoding::Utf8).unwrap();
        resident_extracts(&dir, 700, 11, TextEncoding::Utf8).unwrap();
        let read = |name: &str| -> Vec<csv::StringRecord> {
            csv::Reader::from_path(dir.join(name)).unwrap().records().map(Result::unwrap).collect()
        };
        let by_id = |rows: Vec<csv::StringRecord>| -> std::collections::HashMap<String, String> {
            rows.into_iter().map(|r| (r[0].to_string(), r[1].to_string())).collect()
        };
        let (tax, care) = (by_id(read("tax.csv")), by_id(read("care.csv")));
        assert!(!tax.is_empty() && !care.is_empty());
        let resident = read("resident.csv");
        let expected = read("single.csv");
        assert_eq!(resident.len(), expected.len());
        for (r, e) in resident.iter().zip(&expected) {
            let mut joined: Vec<String> = vec![String::new(); 17];
            for (field, i) in r.iter().zip(RESIDENT) {
                joined[i] = field.to_string();
            }
            joined[12] = tax.get(&r[0]).cloned().unwrap_or_else(|| "0".into());
            joined[14] = care.get(&r[0]).cloned().unwrap_or_else(|| "なし".into());
            assert_eq!(joined, e.iter().collect::<Vec<_>>());
        }
        std::fs::remove_dir_all(dir).unwrap();
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
