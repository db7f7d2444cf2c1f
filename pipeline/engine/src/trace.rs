//! Leak tracing: what a release is recognised by, and which release a file that turned up most
//! likely came from.
//!
//! At release time the registry keeps, per release, sorted keyed 64-bit digests (never a value,
//! never a pseudonym key) of
//! - its **record codes** (the per-release random codes of linking-code columns), value by
//!   value, whatever column they sit in;
//! - its **rows**: each row's multiset of values outside the code and bound columns, whole and
//!   without each one column (a copy with one column dropped still matches);
//! - the rows of a **decoy**: the same data with the fingerprint column's values put in another
//!   random order within each class (an order the release did not use).
//!
//! A fingerprinted release ([`crate::run`] orders one column's values randomly within each
//! k-anonymity class: every class keeps the same values, so k, l, t and every statistic per
//! class are unchanged) is recognised by its rows even without its code column: a copy of it
//! matches its rows and misses its decoy; a file that only resembles it (the same people
//! de-identified another time, or the same population elsewhere) has no reason to prefer the
//! release over the decoy. The test is a sign test on the rows that tell the two apart.
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

/// A value in the form compared: NFKC, trimmed; `true`/`false` in lower case; a number in one
/// notation (`1.50`, `+1.5` and `1.5e0` are `1.5`; `3.0` is `3`); a date `YYYY/M/D` as
/// `YYYY-MM-DD`.
pub fn canonical(value: &str) -> Cow<'_, str> {
    let n = tokumei_jp::nfkc(value);
    let t = n.trim();
    if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false") {
        return Cow::Owned(t.to_ascii_lowercase());
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
    if x.fract() == 0.0 && x.abs() < 1e15 {
        Some(format!("{}", x as i64))
    } else {
        Some(format!("{x}"))
    }
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
    /// `codes`, `rows` or `decoy`.
    pub kind: String,
    /// The columns the digests cover: codes, the code columns; rows and decoy, the row columns,
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
            Some(out) => self.columns[..self.columns.len() - 2].iter().map(String::as_str).filter(|c| *c != out).collect(),
            None => self.columns.iter().map(String::as_str).collect(),
        }
    }

    /// The digests and counts as stored (12 bytes each: the digest, then the count, big-endian).
    pub fn blob(&self) -> Vec<u8> {
        self.digests.iter().zip(&self.counts).flat_map(|(d, c)| d.to_be_bytes().into_iter().chain(c.to_be_bytes())).collect()
    }

    /// A set from its stored form.
    pub fn from_blob(kind: String, columns: Vec<String>, sample: u64, blob: &[u8]) -> MarkSet {
        let (digests, counts) = blob
            .chunks_exact(12)
            .map(|c| {
                (u64::from_be_bytes(c[..8].try_into().expect("8 bytes")), u32::from_be_bytes(c[8..].try_into().expect("4 bytes")))
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

/// How a release was fingerprinted: the column whose values were put in a random order within
/// each class of the key columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Fingerprint {
    /// The column reordered.
    pub column: String,
    /// The k-anonymity key's output columns (the classes).
    pub key_columns: Vec<String>,
}

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
    })
}

/// The delimiter of a text table: the most frequent of `,`, tab, `;` and `|` on its first line.
fn sniff_delimiter(path: &Path) -> u8 {
    use std::io::Read;
    let mut buf = vec![0u8; 64 * 1024];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut buf)).unwrap_or(0);
    let line = buf[..n].split(|b| *b == b'\n').next().unwrap_or(&[]);
    [b',', b'\t', b';', b'|'].into_iter().max_by_key(|d| (line.iter().filter(|b| *b == d).count(), *d == b',')).unwrap_or(b',')
}

/// Compute the marks of a release from its Parquet file: its record codes (`code_columns`), its
/// rows over every other column but `skip` (bounds, which only repeat labels), whole and without
/// each one column, and, when it was fingerprinted, the rows of a decoy.
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
    let codes: Vec<usize> = (0..header.len()).filter(|i| code_columns.iter().any(|c| column_name(c) == header[*i])).collect();
    let rows_cols: Vec<usize> = (0..header.len())
        .filter(|i| !codes.contains(i) && !skip.iter().any(|c| column_name(c) == header[*i]))
        .collect();
    let find = |name: &str| header.iter().position(|h| *h == column_name(name));
    let fp = fingerprint.and_then(|f| {
        let carrier = find(&f.column)?;
        let keys: Vec<usize> = f.key_columns.iter().map(|k| find(k)).collect::<Option<_>>()?;
        rows_cols.contains(&carrier).then_some((carrier, keys))
    });
    // Pass 1: count the rows; with a fingerprint, each row's class and fingerprint share.
    let mut n = 0u64;
    let mut classes: Vec<u64> = Vec::new();
    let mut carrier: Vec<u64> = Vec::new();
    while let Some(batch) = source.next_batch()? {
        n += batch.len() as u64;
        if let Some((c, keys)) = &fp {
            for r in 0..batch.len() {
                let mut class = 0u64;
                for (j, k) in keys.iter().enumerate() {
                    class = class.wrapping_add(mix(key.cell(batch.value(r, *k)) ^ (j as u64)));
                }
                classes.push(class);
                carrier.push(key.cell(batch.value(r, *c)));
            }
        }
    }
    // The decoy: the fingerprint column's shares in another random order within each class.
    let decoy: Vec<u64> = if fp.is_some() {
        use rand::seq::SliceRandom;
        let mut by_class: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
        for (i, c) in classes.iter().enumerate() {
            by_class.entry(*c).or_default().push(i);
        }
        let mut out = carrier.clone();
        let mut rng = rand::rng();
        for rows in by_class.values() {
            let mut vals: Vec<u64> = rows.iter().map(|i| carrier[*i]).collect();
            vals.shuffle(&mut rng);
            for (i, v) in rows.iter().zip(vals) {
                out[*i] = v;
            }
        }
        out
    } else {
        Vec::new()
    };
    drop(classes);
    let row_names: Vec<String> = rows_cols.iter().map(|i| header[*i].clone()).collect();
    let loo = rows_cols.len() >= 3;
    let s_rows = sample_for(n);
    let s_codes = sample_for(n * codes.len() as u64);
    let sets_per = 1 + if loo { rows_cols.len() } else { 0 };
    let mut real: Vec<Vec<u64>> = vec![Vec::new(); sets_per];
    let mut fake: Vec<Vec<u64>> = vec![Vec::new(); if fp.is_some() { sets_per } else { 0 }];
    let mut code_set: Vec<u64> = Vec::new();
    // Pass 2: the digests.
    let mut source = open()?;
    let mut row = 0usize;
    let mut shares = vec![0u64; rows_cols.len()];
    let keep = |d: u64, s: u64| d % s == 0;
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
                row += 1;
                continue;
            }
            let mut sum = 0u64;
            for (j, c) in rows_cols.iter().enumerate() {
                shares[j] = key.cell(batch.value(r, *c));
                sum = sum.wrapping_add(shares[j]);
            }
            let push = |sets: &mut [Vec<u64>], sum: u64, shares: &[u64]| {
                let d = mix(sum);
                if keep(d, s_rows) {
                    sets[0].push(d);
                }
                if loo {
                    for (j, s) in shares.iter().enumerate() {
                        let d = mix(sum.wrapping_sub(*s));
                        if keep(d, s_rows) {
                            sets[1 + j].push(d);
                        }
                    }
                }
            };
            push(&mut real, sum, &shares);
            if let Some((c, _)) = &fp {
                let j = rows_cols.iter().position(|x| x == c).expect("carrier is a row column");
                let mut alt = shares.clone();
                alt[j] = decoy[row];
                let alt_sum = sum.wrapping_sub(shares[j]).wrapping_add(alt[j]);
                push(&mut fake, alt_sum, &alt);
            }
            row += 1;
        }
    }
    let mut marks = Vec::new();
    if !codes.is_empty() {
        let columns = codes.iter().map(|i| header[*i].clone()).collect();
        marks.push(MarkSet::from_digests("codes", columns, s_codes, code_set));
    }
    let names = |j: usize| -> Vec<String> {
        if j == 0 { row_names.clone() } else { [row_names.clone(), vec!["-".into(), row_names[j - 1].clone()]].concat() }
    };
    if !rows_cols.is_empty() {
        for (kind, sets) in [("rows", real), ("decoy", fake)] {
            for (j, set) in sets.into_iter().enumerate() {
                marks.push(MarkSet::from_digests(kind, names(j), s_rows, set));
            }
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
    /// Each column's distinct values as code digests.
    code_digests: Vec<FxHashSet<u64>>,
    /// Each row's cell shares.
    shares: Vec<Vec<u64>>,
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
            let mut row = Vec::with_capacity(columns.len());
            for (c, set) in code_digests.iter_mut().enumerate() {
                let v = batch.value(r, c);
                if let Some(v) = v {
                    set.insert(key.code(v));
                }
                row.push(key.cell(v));
            }
            shares.push(row);
            rows += 1;
        }
    }
    let format = if source.encoding().is_some() { "csv" } else { "parquet" };
    let claims_release = (format == "parquet").then(|| parquet_release_id(path)).flatten();
    Ok(Leaked { columns, rows, format, encoding: source.encoding(), claims_release, code_digests, shares })
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
    /// Rows more frequent in the release than in its decoy.
    pub rows_favour_release: u64,
    /// Rows more frequent in the decoy than in the release.
    pub rows_favour_decoy: u64,
    /// The fingerprint test's statistic: the log-likelihood ratio of release over decoy,
    /// self-normalised (about normal with mean 0 for a file not made from the release).
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
            let tested: Vec<&u64> = set.iter().filter(|d| *d % codes.sample == 0).collect();
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
    // Rows: the release's columns by name (all, or all but one); else, names changed, the
    // file's columns but its code columns, by their values alone.
    let row_sets: Vec<&MarkSet> = marks.iter().filter(|m| m.kind == "rows").collect();
    let by_name = |names: &[&str]| -> Option<Vec<usize>> {
        names.iter().map(|n| leaked.columns.iter().position(|c| c == n)).collect()
    };
    let rest: Vec<usize> = (0..leaked.columns.len()).filter(|c| !code_cols.contains(c)).collect();
    let choice = row_sets
        .iter()
        .filter_map(|m| by_name(&m.used_columns()).map(|cols| (*m, cols, "by name")))
        .max_by_key(|(m, _, _)| m.left_out().is_none())
        .or_else(|| {
            row_sets
                .iter()
                .find(|m| m.left_out().is_none() && m.used_columns().len() == rest.len() && !rest.is_empty())
                .map(|m| (*m, rest.clone(), "by values (column names differ)"))
        });
    let mut z = None;
    match choice {
        None => ev.rows_compared = "not compared: the file lacks more than one of the release's columns".into(),
        Some((set, cols, how)) => {
            let decoy = marks.iter().find(|m| m.kind == "decoy" && m.columns == set.columns);
            ev.rows_compared = format!(
                "{} columns {how}{}",
                cols.len(),
                set.left_out().map(|c| format!(", without `{c}`")).unwrap_or_default()
            );
            let (mut sum, mut squares) = (0f64, 0f64);
            for row in &leaked.shares {
                let d = mix(cols.iter().fold(0u64, |a, c| a.wrapping_add(row[*c])));
                if d % set.sample != 0 {
                    continue;
                }
                ev.rows_tested += 1;
                let r = set.count(d);
                ev.rows_found += (r > 0) as u64;
                if let Some(decoy) = decoy {
                    // How much likelier the row is under the release's order than the decoy's.
                    let f = decoy.count(d);
                    let x = ((r as f64 + 0.5) / (f as f64 + 0.5)).ln();
                    sum += x;
                    squares += x * x;
                    ev.rows_favour_release += (r > f) as u64;
                    ev.rows_favour_decoy += (f > r) as u64;
                }
            }
            if decoy.is_some() {
                z = Some(if squares > 0.0 { sum / squares.sqrt() } else { 0.0 });
            }
        }
    }
    ev.fingerprint_z = z;
    let coverage = if ev.rows_tested > 0 { ev.rows_found as f64 / ev.rows_tested as f64 } else { 0.0 };
    // Under "not made from this release", the release and its decoy are two random orders alike:
    // each row's log-ratio is as likely negative as positive, and P(z >= u) <= exp(-u^2 / 2).
    let rows_p = z.map(|z| if z > 0.0 { -(z * z / 2.0) / std::f64::consts::LN_10 } else { 0.0 });
    if let Some(p) = rows_p
        && ev.rows_tested >= 5
        && coverage >= 0.8
        && p <= -6.0
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
                    "; fingerprint: {} rows likelier in its order, {} in its decoy's (z = {z:.1})",
                    ev.rows_favour_release, ev.rows_favour_decoy
                ),
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
        for (a, b) in [("1.50", "1.5"), ("+3", "3.0"), ("1e2", "100"), (" ＡＢＣ ", "ABC"), ("TRUE", "true"), ("2020/1/2", "2020-01-02")] {
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
    fn left_out_columns() {
        let m = MarkSet::from_digests("rows", ["a", "b", "c", "-", "b"].map(String::from).to_vec(), 1, vec![]);
        assert_eq!(m.left_out(), Some("b"));
        assert_eq!(m.used_columns(), vec!["a", "c"]);
    }
}
