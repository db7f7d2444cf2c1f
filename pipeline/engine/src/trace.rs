//! Leak tracing: what a release is recognised by, and which release a file that turned up most
//! likely came from.
//!
//! At release time the registry keeps, per release, sorted keyed 64-bit digests (never a value,
//! never a pseudonym key) of
//! - its **record codes** (the per-release random codes of linking-code columns), value by
//!   value, whatever column they sit in;
//! - its **rows**: each row's multiset of values outside the code and bound columns, whole and
//!   without each one column (a copy with one column dropped still matches);
//! - when it was **fingerprinted**, the counts of its rows, classes, classes with each value of
//!   the fingerprint column, and classes with each rest of a row.
//!
//! A fingerprinted release (the run's fingerprint stage, `run/fingerprint.rs`, puts one column's values in a random order within
//! each k-anonymity class: every class keeps the same values, so k, l, t and every statistic per
//! class are unchanged) is recognised by its rows even without its code column: each row of a
//! copy is in the release by construction, while for a file not made from it (another release of
//! the same data, the same people de-identified elsewhere) how many of the release's rows equal
//! one of its rows is a draw from the hypergeometric law the random order defines, with a known
//! mean and variance. The test scores the file's rows against that law ([`compare`]).
//!
//! Digests are sampled by value (a digest is kept when it is 0 modulo the set's `sample`), so a
//! set holds at most about [`CAP`] of them whatever the release's size, and a copy is tested
//! on the same rows. Values compare in a canonical form (NFKC, trimmed, numbers and dates in
//! one notation), so a copy re-encoded as CSV (UTF-8 or CP932), with its columns reordered or
//! renamed, still matches.

use crate::EngineError;
use crate::ingest::{self, Source};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use std::borrow::Cow;
use std::hash::Hasher;
use std::path::Path;

/// Most digests kept per set (sampling keeps about this many).
pub const CAP: u64 = 50_000;

/// The fingerprint test's threshold: a file is taken to come from a release when a file not
/// made from it would show such evidence with probability at most 10^this.
pub const MIN_LOG10_P: f64 = -4.0;

/// The key of the digests, derived from the registry's code-digest key.
#[derive(Clone)]
pub struct TraceKey {
    k0: u64,
    k1: u64,
}

impl std::fmt::Debug for TraceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TraceKey(..)")
    }
}

impl TraceKey {
    /// The trace key of a registry whose code-digest key is `key`.
    pub fn derive(key: &[u8]) -> TraceKey {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(b"tokumei trace key v1\0");
        h.update(key);
        let d = h.finalize();
        let word = |i: usize| u64::from_le_bytes(d[i..i + 8].try_into().expect("8 bytes"));
        TraceKey { k0: word(0), k1: word(8) }
    }

    fn sip(&self, domain: u8, value: &str) -> u64 {
        let mut h = siphasher::sip::SipHasher13::new_with_keys(self.k0, self.k1);
        h.write_u8(domain);
        h.write(value.as_bytes());
        h.finish()
    }

    /// A value's digest as a record code.
    pub fn code(&self, value: &str) -> u64 {
        mix(self.sip(1, &canonical(value)))
    }

    /// A value's share of a row digest (missing values count as empty text).
    pub fn cell(&self, value: Option<&str>) -> u64 {
        self.sip(2, &canonical(value.unwrap_or("")))
    }
}

/// The digest of a row from the sum of its cells' shares.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A value in the form compared: NFKC, trimmed; `true`/`false` as `1`/`0`; a number in one
/// notation (`1.50`, `+1.5` and `1.5e0` are `1.5`; `3.0` is `3`); a date `YYYY/M/D` as
/// `YYYY-MM-DD`.
pub fn canonical(value: &str) -> Cow<'_, str> {
    let n = tokumei_jp::nfkc(value);
    let t = n.trim();
    // Booleans as the numbers other programs write them with (R, Stata, pandas `astype(int)`).
    if t.eq_ignore_ascii_case("true") {
        return Cow::Borrowed("1");
    }
    if t.eq_ignore_ascii_case("false") {
        return Cow::Borrowed("0");
    }
    if let Some(num) = number(t) {
        return Cow::Owned(num);
    }
    if let Some(d) = date(t) {
        return Cow::Owned(d);
    }
    if t.len() == value.len() && matches!(n, Cow::Borrowed(_)) {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(t.to_string())
    }
}

fn number(t: &str) -> Option<String> {
    let b = t.as_bytes();
    let body = b.strip_prefix(b"+").or_else(|| b.strip_prefix(b"-")).unwrap_or(b);
    let (mant, exp) = match body.iter().position(|c| *c == b'e' || *c == b'E') {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits = mant.iter().filter(|c| c.is_ascii_digit()).count();
    let dots = mant.iter().filter(|c| **c == b'.').count();
    if digits == 0 || dots > 1 || digits + dots != mant.len() {
        return None;
    }
    if let Some(e) = exp {
        let e = e.strip_prefix(b"+").or_else(|| e.strip_prefix(b"-")).unwrap_or(e);
        if e.is_empty() || !e.iter().all(u8::is_ascii_digit) {
            return None;
        }
    }
    let x: f64 = t.parse().ok()?;
    if !x.is_finite() {
        return None;
    }
    if x.fract() == 0.0 && x.abs() < 1e15 { Some(format!("{}", x as i64)) } else { Some(format!("{x}")) }
}

fn date(t: &str) -> Option<String> {
    let parts: Vec<&str> = t.split(['-', '/', '.']).collect();
    let [y, m, d] = parts.as_slice() else { return None };
    let ok = |s: &str, lo: usize, hi: usize| (lo..=hi).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_digit());
    if !(ok(y, 4, 4) && ok(m, 1, 2) && ok(d, 1, 2)) {
        return None;
    }
    let (m, d): (u32, u32) = (m.parse().ok()?, d.parse().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| format!("{y}-{m:02}-{d:02}"))
}

/// A column name as matched: NFKC, trimmed.
pub fn column_name(name: &str) -> String {
    tokumei_jp::nfkc(name).trim().to_string()
}

/// One set of a release's marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkSet {
    /// `codes`, `rows`, or a fingerprint set (`fp_class`, `fp_class_value`, `fp_tuple`, `fp_class_rest`).
    pub kind: String,
    /// The columns the digests cover: codes, the code columns; rows and fingerprint sets, the row columns,
    /// followed by `-` and the column left out for a set without one.
    pub columns: Vec<String>,
    /// Digests kept are those 0 modulo this.
    pub sample: u64,
    /// Sorted, distinct.
    pub digests: Vec<u64>,
    /// How many rows (or values) have each digest.
    pub counts: Vec<u32>,
}

impl MarkSet {
    fn count(&self, d: u64) -> u32 {
        self.digests.binary_search(&d).map_or(0, |i| self.counts[i])
    }

    /// The column left out of a row set, if any.
    pub fn left_out(&self) -> Option<&str> {
        match self.columns.as_slice() {
            [.., marker, last] if marker == "-" => Some(last),
            _ => None,
        }
    }

    /// The columns whose values make up the digests.
    pub fn used_columns(&self) -> Vec<&str> {
        match self.left_out() {
            Some(out) => {
                self.columns[..self.columns.len() - 2].iter().map(String::as_str).filter(|c| *c != out).collect()
            }
            None => self.columns.iter().map(String::as_str).collect(),
        }
    }

    /// The digests and counts as stored (12 bytes each: the digest, then the count, big-endian).
    pub fn blob(&self) -> Vec<u8> {
        self.digests
            .iter()
            .zip(&self.counts)
            .flat_map(|(d, c)| d.to_be_bytes().into_iter().chain(c.to_be_bytes()))
            .collect()
    }

    /// A set from its stored form.
    pub fn from_blob(kind: String, columns: Vec<String>, sample: u64, blob: &[u8]) -> MarkSet {
        let (digests, counts) = blob
            .chunks_exact(12)
            .map(|c| {
                (
                    u64::from_be_bytes(c[..8].try_into().expect("8 bytes")),
                    u32::from_be_bytes(c[8..].try_into().expect("4 bytes")),
                )
            })
            .unzip();
        MarkSet { kind, columns, sample: sample.max(1), digests, counts }
    }

    fn from_digests(kind: &str, columns: Vec<String>, sample: u64, mut all: Vec<u64>) -> MarkSet {
        all.sort_unstable();
        let (mut digests, mut counts) = (Vec::new(), Vec::new());
        for d in all {
            if digests.last() == Some(&d) {
                *counts.last_mut().expect("a count per digest") += 1u32;
            } else {
                digests.push(d);
                counts.push(1);
            }
        }
        MarkSet { kind: kind.into(), columns, sample, digests, counts }
    }
}

pub use tokumei_report::Fingerprint;

fn sample_for(n: u64) -> u64 {
    n.div_ceil(CAP).max(1)
}

fn open_table(path: &Path, encoding: tokumei_rules::Encoding) -> Result<Box<dyn Source>, EngineError> {
    let parquet = std::fs::File::open(path)
        .ok()
        .and_then(|mut f| {
            use std::io::Read;
            let mut magic = [0u8; 4];
            f.read_exact(&mut magic).ok().map(|_| magic == *b"PAR1")
        })
        .unwrap_or(false);
    let delimiter = if parquet { b',' } else { sniff_delimiter(path) };
    ingest::open_input(&tokumei_rules::Input {
        name: None,
        path: path.to_path_buf(),
        format: if parquet { tokumei_rules::InputFormat::Parquet } else { tokumei_rules::InputFormat::Csv },
        encoding,
        delimiter,
        persons: true,
        types: Vec::new(),
    })
}

/// The delimiter of a text table: the most frequent of `,`, tab, `;` and `|` on its first line.
fn sniff_delimiter(path: &Path) -> u8 {
    use std::io::Read;
    let mut buf = vec![0u8; 64 * 1024];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut buf)).unwrap_or(0);
    let line = buf[..n].split(|b| *b == b'\n').next().unwrap_or(&[]);
    [b',', b'\t', b';', b'|']
        .into_iter()
        .max_by_key(|d| (line.iter().filter(|b| *b == d).count(), *d == b','))
        .unwrap_or(b',')
}

/// Domain tags of the fingerprint digests (so a class's digest never equals a row's).
const CLASS: u64 = 0x9e37_79b9_7f4a_7c15;
const CLASS_VALUE: u64 = 0xc2b2_ae3d_27d4_eb4f;
const CLASS_REST: u64 = 0x1656_67b1_9e37_79f9;

/// The columns of a row set: all row columns, or all but one (`…, "-", left out`).
fn set_columns(row_names: &[String], left_out: Option<usize>) -> Vec<String> {
    match left_out {
        None => row_names.to_vec(),
        Some(j) => [row_names.to_vec(), vec!["-".into(), row_names[j].clone()]].concat(),
    }
}

/// Compute the marks of a release from its Parquet file: its record codes (`code_columns`), its
/// rows over every other column but `skip` (bounds, which only repeat labels), whole and without
/// each one column, and, when it was fingerprinted, the counts the fingerprint test needs: of
/// each row, each class, each class and fingerprint value, each class and rest of the row.
pub fn release_marks(
    parquet: &Path,
    code_columns: &[String],
    skip: &[String],
    fingerprint: Option<&Fingerprint>,
    key: &TraceKey,
) -> Result<Vec<MarkSet>, EngineError> {
    let open = || open_table(parquet, tokumei_rules::Encoding::Auto);
    let mut source = open()?;
    let header: Vec<String> = source.header().iter().map(|h| column_name(h)).collect();
    let codes: Vec<usize> =
        (0..header.len()).filter(|i| code_columns.iter().any(|c| column_name(c) == header[*i])).collect();
    let rows_cols: Vec<usize> = (0..header.len())
        .filter(|i| !codes.contains(i) && !skip.iter().any(|c| column_name(c) == header[*i]))
        .collect();
    let row_names: Vec<String> = rows_cols.iter().map(|i| header[*i].clone()).collect();
    // The fingerprint's columns as positions among the row columns.
    let fp: Option<(usize, Vec<usize>)> = fingerprint.and_then(|f| {
        let at = |name: &str| row_names.iter().position(|h| *h == column_name(name));
        let carrier = at(&f.column)?;
        let keys: Vec<usize> = f.key_columns.iter().map(|k| at(k)).collect::<Option<_>>()?;
        (!keys.contains(&carrier)).then_some((carrier, keys))
    });
    let mut n = 0u64;
    while let Some(batch) = source.next_batch()? {
        n += batch.len() as u64;
    }
    let loo = rows_cols.len() >= 3;
    let s_rows = sample_for(n);
    let s_codes = sample_for(n * codes.len() as u64);
    let mut rows: Vec<Vec<u64>> = vec![Vec::new(); 1 + if loo { rows_cols.len() } else { 0 }];
    let mut code_set: Vec<u64> = Vec::new();
    // Fingerprint variants: the whole row, and without each column outside the key and the
    // fingerprint column; kept for the classes whose digest the sampling keeps.
    let variants: Vec<Option<usize>> = match &fp {
        None => Vec::new(),
        Some((c, keys)) => std::iter::once(None)
            .chain((0..rows_cols.len()).filter(|j| j != c && !keys.contains(j)).map(Some))
            .collect(),
    };
    // Each row column's values (as code digests), to match a copy's renamed columns by value.
    let mut column_values: Vec<FxHashSet<u64>> = vec![FxHashSet::default(); rows_cols.len()];
    let s_values = sample_for(n / 8);
    let mut fp_tuple: Vec<Vec<u64>> = vec![Vec::new(); variants.len()];
    let mut fp_rest: Vec<Vec<u64>> = vec![Vec::new(); variants.len()];
    let (mut fp_class, mut fp_value) = (Vec::new(), Vec::new());
    let mut source = open()?;
    let mut shares = vec![0u64; rows_cols.len()];
    let keep = |d: u64, s: u64| d.is_multiple_of(s);
    while let Some(batch) = source.next_batch()? {
        for r in 0..batch.len() {
            for c in &codes {
                if let Some(v) = batch.value(r, *c) {
                    let d = key.code(v);
                    if keep(d, s_codes) {
                        code_set.push(d);
                    }
                }
            }
            if rows_cols.is_empty() {
                continue;
            }
            let mut sum = 0u64;
            for (j, c) in rows_cols.iter().enumerate() {
                let v = batch.value(r, *c);
                shares[j] = key.cell(v);
                sum = sum.wrapping_add(shares[j]);
                if let Some(v) = v {
                    let d = key.code(v);
                    if keep(d, s_values) && column_values[j].len() < CAP as usize {
                        column_values[j].insert(d);
                    }
                }
            }
            let d = mix(sum);
            if keep(d, s_rows) {
                rows[0].push(d);
            }
            if loo {
                for (j, sh) in shares.iter().enumerate() {
                    let d = mix(sum.wrapping_sub(*sh));
                    if keep(d, s_rows) {
                        rows[1 + j].push(d);
                    }
                }
            }
            if let Some((c, keys)) = &fp {
                let class_sum = keys.iter().fold(0u64, |a, k| a.wrapping_add(shares[*k]));
                let class = mix(class_sum ^ CLASS);
                if !keep(class, s_rows) {
                    continue;
                }
                fp_class.push(class);
                fp_value.push(mix(class_sum.wrapping_add(shares[*c]) ^ CLASS_VALUE));
                for (v, left_out) in variants.iter().enumerate() {
                    let out = left_out.map_or(0, |j| shares[j]);
                    fp_tuple[v].push(mix(sum.wrapping_sub(out)));
                    fp_rest[v].push(mix(sum.wrapping_sub(out).wrapping_sub(shares[*c]) ^ CLASS_REST));
                }
            }
        }
    }
    let mut marks = Vec::new();
    if !codes.is_empty() {
        let columns = codes.iter().map(|i| header[*i].clone()).collect();
        marks.push(MarkSet::from_digests("codes", columns, s_codes, code_set));
    }
    if !rows_cols.is_empty() {
        for (j, set) in rows.into_iter().enumerate() {
            marks.push(MarkSet::from_digests("rows", set_columns(&row_names, j.checked_sub(1)), s_rows, set));
        }
        for (name, values) in row_names.iter().zip(column_values) {
            marks.push(MarkSet::from_digests("column", vec![name.clone()], s_values, values.into_iter().collect()));
        }
    }
    if let Some((c, keys)) = &fp {
        // The class columns, then `|`, then the fingerprint column.
        let fp_cols: Vec<String> =
            keys.iter().map(|k| row_names[*k].clone()).chain(["|".to_string(), row_names[*c].clone()]).collect();
        marks.push(MarkSet::from_digests("fp_class", fp_cols.clone(), s_rows, fp_class));
        marks.push(MarkSet::from_digests("fp_class_value", fp_cols, s_rows, fp_value));
        for ((left_out, t), r) in variants.iter().zip(fp_tuple).zip(fp_rest) {
            let cols = set_columns(&row_names, *left_out);
            marks.push(MarkSet::from_digests("fp_tuple", cols.clone(), s_rows, t));
            marks.push(MarkSet::from_digests("fp_class_rest", cols, s_rows, r));
        }
    }
    Ok(marks)
}

/// A file that turned up, read for tracing.
pub struct Leaked {
    /// Its column names (as matched).
    pub columns: Vec<String>,
    /// Rows read.
    pub rows: u64,
    /// `parquet` or `csv`.
    pub format: &'static str,
    /// The text encoding (CSV).
    pub encoding: Option<&'static str>,
    /// The release id its Parquet metadata names, if any (a claim, not evidence by itself).
    pub claims_release: Option<String>,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Each column's distinct values as code digests.
    code_digests: Vec<FxHashSet<u64>>,
    /// Each row's cell shares, row after row (8 bytes per cell).
    shares: Vec<u64>,
}

impl Leaked {
    fn rows(&self) -> impl Iterator<Item = &[u64]> {
        self.shares.chunks_exact(self.columns.len().max(1))
    }
}

/// Read a file that turned up (Parquet, or CSV in UTF-8 or CP932 with `,`, tab, `;` or `|`).
pub fn read_leaked(path: &Path, encoding: tokumei_rules::Encoding, key: &TraceKey) -> Result<Leaked, EngineError> {
    let mut source = open_table(path, encoding)?;
    let columns: Vec<String> = source.header().iter().map(|h| column_name(h)).collect();
    let mut code_digests = vec![FxHashSet::default(); columns.len()];
    let mut shares = Vec::new();
    let mut rows = 0u64;
    while let Some(batch) = source.next_batch()? {
        for r in 0..batch.len() {
            for (c, set) in code_digests.iter_mut().enumerate() {
                let v = batch.value(r, c);
                if let Some(v) = v {
                    set.insert(key.code(v));
                }
                shares.push(key.cell(v));
            }
            rows += 1;
        }
    }
    let format = if source.encoding().is_some() { "csv" } else { "parquet" };
    let claims_release = (format == "parquet").then(|| parquet_release_id(path)).flatten();
    let sha256 = source.stats().sha256();
    Ok(Leaked { columns, rows, format, encoding: source.encoding(), claims_release, sha256, code_digests, shares })
}

fn parquet_release_id(path: &Path) -> Option<String> {
    let f = std::fs::File::open(path).ok()?;
    let b = std::panic::catch_unwind(|| parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f))
        .ok()?
        .ok()?;
    let kv = b.metadata().file_metadata().key_value_metadata()?;
    let v = kv.iter().find(|kv| kv.key == "tokumei.release_id")?.value.clone()?;
    Some(v.chars().filter(|c| !c.is_control()).take(80).collect())
}

/// What a file shows about one release.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Evidence {
    /// Columns of the file whose values are this release's record codes.
    pub code_columns: Vec<String>,
    /// Code values tested (sampled) and found among the release's codes.
    pub codes_tested: u64,
    /// Of which found.
    pub codes_found: u64,
    /// How the file's rows were compared: the release's columns used, or why not.
    pub rows_compared: String,
    /// Rows tested (sampled).
    pub rows_tested: u64,
    /// Rows found in the release.
    pub rows_found: u64,
    /// Rows (sampled) the fingerprint test used.
    pub fingerprint_rows: u64,
    /// The fingerprint test's standard score: how much more often the file's rows are in the
    /// release than a random order within each class would put them there (about standard
    /// normal for a file not made from the release).
    pub fingerprint_z: Option<f64>,
    /// Probability of evidence this strong from a file not made from this release (smaller is
    /// stronger), log10.
    pub log10_p: f64,
    /// Whether the evidence points to this release.
    pub matches: bool,
    /// In words.
    pub summary: String,
}

/// Compare a file with one release's marks.
pub fn compare(leaked: &Leaked, marks: &[MarkSet]) -> Evidence {
    let mut ev = Evidence::default();
    let mut code_cols: Vec<usize> = Vec::new();
    // Codes: a column most of whose (sampled) values are the release's codes.
    if let Some(codes) = marks.iter().find(|m| m.kind == "codes") {
        for (c, set) in leaked.code_digests.iter().enumerate() {
            let tested: Vec<&u64> = set.iter().filter(|d| d.is_multiple_of(codes.sample)).collect();
            let found = tested.iter().filter(|d| codes.count(***d) > 0).count() as u64;
            if found >= 3 && found * 2 >= tested.len() as u64 {
                code_cols.push(c);
                ev.code_columns.push(leaked.columns[c].clone());
                ev.codes_tested += tested.len() as u64;
                ev.codes_found += found;
            }
        }
        if ev.codes_found > 0 {
            // A random 64-bit digest is among the release's by chance with probability
            // entries / 2^64: the Poisson tail, in log10.
            let lambda = ev.codes_tested as f64 * codes.digests.len() as f64 / 2f64.powi(64);
            let k = ev.codes_found as f64;
            let lg: f64 = (1..=ev.codes_found).map(|i| (i as f64).log10()).sum();
            ev.log10_p = (k * lambda.log10() - lg).min(0.0);
            ev.matches = true;
        }
    }
    // Rows: each of the release's row columns is found in the file by name, else by its values
    // (a renamed column); the projection compared is the one (whole, or without one column)
    // in which most of the file's rows are found (a column reformatted is left out).
    let mapping = map_columns(leaked, marks, &code_cols);
    let row_sets: Vec<&MarkSet> = marks.iter().filter(|m| m.kind == "rows").collect();
    let mut best: Option<(&MarkSet, u64, u64, String)> = None;
    for set in &row_sets {
        let Some(cols) = set.used_columns().iter().map(|n| mapping.get(*n).copied()).collect::<Option<Vec<usize>>>()
        else {
            continue;
        };
        let (mut tested, mut found) = (0u64, 0u64);
        for row in leaked.rows() {
            let d = mix(cols.iter().fold(0u64, |a, c| a.wrapping_add(row[*c])));
            if d.is_multiple_of(set.sample) {
                tested += 1;
                found += (set.count(d) > 0) as u64;
            }
        }
        let rate = |f: u64, t: u64| if t == 0 { 0.0 } else { f as f64 / t as f64 };
        let better = best.as_ref().is_none_or(|(b, bt, bf, _)| {
            (rate(found, tested), set.left_out().is_none()) > (rate(*bf, *bt), b.left_out().is_none())
        });
        if better && tested > 0 {
            let renamed = cols.iter().zip(set.used_columns()).filter(|(c, n)| leaked.columns[**c] != **n).count();
            let how = if renamed > 0 { format!(" ({renamed} found by their values)") } else { String::new() };
            best = Some((set, tested, found, how));
        }
    }
    match &best {
        None => ev.rows_compared = "not compared: the file lacks more than one of the release's columns".into(),
        Some((set, tested, found, how)) => {
            ev.rows_compared = format!(
                "{} columns{how}{}",
                set.used_columns().len(),
                set.left_out().map(|c| format!(", without `{c}`")).unwrap_or_default()
            );
            ev.rows_tested = *tested;
            ev.rows_found = *found;
        }
    }
    let z = fingerprint_test(leaked, marks, &mapping, &mut ev);
    ev.fingerprint_z = z;
    let coverage = if ev.rows_tested > 0 { ev.rows_found as f64 / ev.rows_tested as f64 } else { 0.0 };
    // A standard score; P(z >= u) is taken as exp(-u^2 / 2), the normal tail's bound.
    let rows_p = z.map(|z| if z > 0.0 { -(z * z / 2.0) / std::f64::consts::LN_10 } else { 0.0 });
    if let Some(p) = rows_p
        && ev.fingerprint_rows >= 5
        && (ev.rows_tested == 0 || coverage >= 0.8)
        && p <= MIN_LOG10_P
    {
        ev.matches = true;
        ev.log10_p = ev.log10_p.min(p);
    }
    let mut parts = Vec::new();
    if ev.codes_found > 0 {
        parts.push(format!(
            "{} of {} sampled values of {} are this release's record codes",
            ev.codes_found,
            ev.codes_tested,
            ev.code_columns.join(", ")
        ));
    }
    if ev.rows_tested > 0 {
        parts.push(format!(
            "{} of {} sampled rows are rows of this release ({:.0}%){}",
            ev.rows_found,
            ev.rows_tested,
            coverage * 100.0,
            match z {
                Some(z) => format!(
                    "; fingerprint: {} rows compared, {} (z = {z:.1})",
                    ev.fingerprint_rows,
                    if ev.matches && ev.codes_found == 0 || z >= (-MIN_LOG10_P * 2.0 * std::f64::consts::LN_10).sqrt() {
                        "in the release far more often than its random order would put them"
                    } else {
                        "no more often in the release than its random order would put them"
                    }
                ),
                None if marks.iter().any(|m| m.kind == "fp_class") => {
                    " (its fingerprint could not be compared: the file lacks the class columns, the fingerprint column or more than one other)".into()
                }
                None => " (the release has no fingerprint: its rows cannot be told from another copy of the same data)".into(),
            }
        ));
    }
    ev.summary = if parts.is_empty() { "nothing of this release found".into() } else { parts.join("; ") };
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_agree_across_writers() {
        for (a, b) in [
            ("1.50", "1.5"),
            ("+3", "3.0"),
            ("1e2", "100"),
            (" ＡＢＣ ", "ABC"),
            ("TRUE", "1"),
            ("false", "0.0"),
            ("2020/1/2", "2020-01-02"),
        ] {
            assert_eq!(canonical(a), canonical(b), "{a} vs {b}");
        }
        for (a, b) in [("35-39", "35-40"), ("0x10", "16"), ("1.2.3", "123"), ("abc", "ABC")] {
            assert_ne!(canonical(a), canonical(b), "{a} vs {b}");
        }
        assert_eq!(canonical("35-39"), "35-39");
    }

    #[test]
    fn blobs_round_trip() {
        let m = MarkSet::from_digests("rows", vec!["a".into()], 3, vec![42, 1, u64::MAX, 42]);
        assert_eq!(m.digests, vec![1, 42, u64::MAX]);
        assert_eq!(m.counts, vec![1, 2, 1]);
        assert_eq!(MarkSet::from_blob("rows".into(), vec!["a".into()], 3, &m.blob()), m);
    }

    #[test]
    fn hypergeometric_moments() {
        let mut lf = LogFactorials::default();
        // n = 4, a = 2, b = 2: c = 0, 1, 2 with 1/6, 4/6, 1/6.
        let (m, v) = lf.log_count_moments(4, 2, 2).unwrap();
        let xs = [0.5f64.ln(), 1.5f64.ln(), 2.5f64.ln()];
        let want = (xs[0] + 4.0 * xs[1] + xs[2]) / 6.0;
        assert!((m - want).abs() < 1e-12);
        let want_v = (xs[0].powi(2) + 4.0 * xs[1].powi(2) + xs[2].powi(2)) / 6.0 - want * want;
        assert!((v - want_v).abs() < 1e-12);
        // Every row has the value: c is b for sure, no variance.
        assert_eq!(lf.log_count_moments(5, 5, 3).unwrap().1, 0.0);
    }

    #[test]
    fn left_out_columns() {
        let m = MarkSet::from_digests("rows", ["a", "b", "c", "-", "b"].map(String::from).to_vec(), 1, vec![]);
        assert_eq!(m.left_out(), Some("b"));
        assert_eq!(m.used_columns(), vec!["a", "c"]);
    }
}

/// Where each of the release's row columns is in the file: by name, else, for the columns
/// whose name is not there, the file's column (not a code column, not taken) most of whose
/// (sampled) values are that column's values in the release.
fn map_columns(leaked: &Leaked, marks: &[MarkSet], code_cols: &[usize]) -> FxHashMap<String, usize> {
    let mut mapping: FxHashMap<String, usize> = FxHashMap::default();
    let columns: Vec<&MarkSet> = marks.iter().filter(|m| m.kind == "column").collect();
    let mut taken: FxHashSet<usize> = code_cols.iter().copied().collect();
    for m in &columns {
        if let Some(i) = leaked.columns.iter().position(|c| *c == m.columns[0]) {
            mapping.insert(m.columns[0].clone(), i);
            taken.insert(i);
        }
    }
    // By values: best overlap first, each file column used once.
    let mut candidates: Vec<(f64, String, usize)> = Vec::new();
    for m in columns.iter().filter(|m| !mapping.contains_key(&m.columns[0])) {
        for (i, set) in leaked.code_digests.iter().enumerate().filter(|(i, _)| !taken.contains(i)) {
            let tested: Vec<&u64> = set.iter().filter(|d| d.is_multiple_of(m.sample)).collect();
            if tested.is_empty() {
                continue;
            }
            let found = tested.iter().filter(|d| m.count(***d) > 0).count();
            let score = found as f64 / tested.len() as f64;
            if score >= 0.8 {
                candidates.push((score, m.columns[0].clone(), i));
            }
        }
    }
    candidates.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    for (_, name, i) in candidates {
        if !mapping.contains_key(&name) && taken.insert(i) {
            mapping.insert(name, i);
        }
    }
    mapping
}

/// The fingerprint test. Within each class the release put its fingerprint column's values in
/// a random order, so for a file not made from it the number of the release's rows equal to a
/// row of the file, c, is a hypergeometric draw: the class's n rows, of which a have the row's
/// fingerprint value and b the rest of its values, c of the b getting one of the a values. For
/// a file made from it, each of its rows is there by construction. The score sums, over the
/// file's distinct rows, ln(c + 1/2) against its exact mean and variance under that draw.
fn fingerprint_test(
    leaked: &Leaked,
    marks: &[MarkSet],
    mapping: &FxHashMap<String, usize>,
    ev: &mut Evidence,
) -> Option<f64> {
    let class = marks.iter().find(|m| m.kind == "fp_class")?;
    let value = marks.iter().find(|m| m.kind == "fp_class_value")?;
    let split = class.columns.iter().position(|c| c == "|")?;
    let find = |n: &String| mapping.get(n).copied();
    let keys: Vec<usize> = class.columns[..split].iter().map(find).collect::<Option<_>>()?;
    let carrier = find(class.columns.get(split + 1)?)?;
    // The whole row, or the row without one column outside the key and the fingerprint
    // column: the one in which most of the file's rows are found.
    let mut variants: Vec<(&MarkSet, &MarkSet, Vec<usize>, f64)> = Vec::new();
    for m in marks.iter().filter(|m| m.kind == "fp_tuple") {
        let Some(cols) = m.used_columns().iter().map(|n| mapping.get(*n).copied()).collect::<Option<Vec<usize>>>()
        else {
            continue;
        };
        let Some(rest) = marks.iter().find(|r| r.kind == "fp_class_rest" && r.columns == m.columns) else { continue };
        let (mut tested, mut found) = (0u64, 0u64);
        for row in leaked.rows() {
            let k = mix(keys.iter().fold(0u64, |a, k| a.wrapping_add(row[*k])) ^ CLASS);
            if k.is_multiple_of(class.sample) {
                tested += 1;
                found += (m.count(mix(cols.iter().fold(0u64, |a, c| a.wrapping_add(row[*c])))) > 0) as u64;
            }
        }
        let whole = if m.left_out().is_none() { 1e-9 } else { 0.0 };
        let rate = if tested == 0 { 0.0 } else { found as f64 / tested as f64 } + whole;
        variants.push((m, rest, cols, rate));
    }
    let (tuple, rest, cols, _) =
        variants.into_iter().max_by(|a, b| a.3.partial_cmp(&b.3).unwrap_or(std::cmp::Ordering::Equal))?;
    let mut seen: FxHashMap<u64, (u64, u64, u64, u64)> = FxHashMap::default();
    for row in leaked.rows() {
        let class_sum = keys.iter().fold(0u64, |a, k| a.wrapping_add(row[*k]));
        let k = mix(class_sum ^ CLASS);
        if !k.is_multiple_of(class.sample) {
            continue;
        }
        let sum = cols.iter().fold(0u64, |a, c| a.wrapping_add(row[*c]));
        let t = mix(sum);
        let e = seen.entry(t).or_insert((
            k,
            mix(class_sum.wrapping_add(row[carrier]) ^ CLASS_VALUE),
            mix(sum.wrapping_sub(row[carrier]) ^ CLASS_REST),
            0,
        ));
        e.3 += 1;
    }
    let mut lf = LogFactorials::default();
    let (mut score, mut variance) = (0f64, 0f64);
    for (t, (k, kv, kr, m)) in seen {
        let (n, a, b) = (class.count(k) as u64, value.count(kv) as u64, rest.count(kr) as u64);
        if n == 0 || a == 0 || b == 0 {
            continue; // not a class, value or rest of this release: coverage says so
        }
        let Some((mean, var)) = lf.log_count_moments(n, a, b) else { continue };
        ev.fingerprint_rows += m;
        let c = tuple.count(t) as f64;
        score += m as f64 * ((c + 0.5).ln() - mean);
        variance += (m * m) as f64 * var;
    }
    Some(if variance > 0.0 { score / variance.sqrt() } else { 0.0 })
}

/// ln k! for k up to what was asked.
#[derive(Default)]
struct LogFactorials(Vec<f64>);

impl LogFactorials {
    fn get(&mut self, k: u64) -> f64 {
        let k = k as usize;
        if self.0.is_empty() {
            self.0.push(0.0);
        }
        while self.0.len() <= k {
            let i = self.0.len();
            let next = self.0[i - 1] + (i as f64).ln();
            self.0.push(next);
        }
        self.0[k]
    }

    fn ln_choose(&mut self, n: u64, k: u64) -> f64 {
        self.get(n) - self.get(k) - self.get(n - k)
    }

    /// Mean and variance of ln(c + 1/2) for c hypergeometric: b draws from n of which a marked.
    fn log_count_moments(&mut self, n: u64, a: u64, b: u64) -> Option<(f64, f64)> {
        if a > n || b > n || n > 50_000_000 {
            return None;
        }
        let (lo, hi) = ((a + b).saturating_sub(n), a.min(b));
        let total = self.ln_choose(n, b);
        let (mut m1, mut m2, mut mass) = (0f64, 0f64, 0f64);
        for c in lo..=hi {
            let p = (self.ln_choose(a, c) + self.ln_choose(n - a, b - c) - total).exp();
            let x = (c as f64 + 0.5).ln();
            mass += p;
            m1 += p * x;
            m2 += p * x * x;
        }
        if mass <= 0.0 {
            return None;
        }
        let (m1, m2) = (m1 / mass, m2 / mass);
        Some((m1, (m2 - m1 * m1).max(0.0)))
    }
}
