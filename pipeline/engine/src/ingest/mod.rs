//! Ingest: stream the input as batches of text values, hashing its bytes on the way.

mod csv_source;
mod decode;
mod direct;
pub(crate) mod lineage;
mod parquet_source;
#[cfg(feature = "query")]
mod query;
pub(crate) mod requests;

pub use csv_source::CsvSource;
pub use parquet_source::ParquetSource;
#[cfg(feature = "query")]
pub use query::QuerySource;

use crate::EngineError;
use crate::error::Location;
use arrow::array::{Array, StringArray};
use std::sync::{Arc, Mutex};
use tokumei_rules::{Input, InputFormat, Job};

/// What was read of one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFacts {
    /// Its table name (`input` for a single unnamed input).
    pub name: String,
    /// The file.
    pub path: std::path::PathBuf,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// `csv` or `parquet`.
    pub format: &'static str,
    /// The text encoding used (CSV).
    pub encoding: Option<&'static str>,
    /// Data rows read.
    pub rows: u64,
}

/// Rows per batch.
pub const BATCH_ROWS: usize = 32 * 1024;

/// A batch of input rows as text.
pub enum RawBatch {
    /// CSV records, columnar: every field's text in one string, with the line each record
    /// starts on.
    Csv {
        /// The fields' text (cut only at ASCII bytes), one after the other, each followed by one
        /// separator byte (so a record without quotes is its line as it was read).
        text: String,
        /// Field `f` of record `r` starts at `bounds[i]` (`i = r * fields + f`) and ends one byte
        /// before `bounds[i + 1]`.
        bounds: Vec<u32>,
        /// Fields per record.
        fields: usize,
        /// Start line of each record.
        lines: Vec<u64>,
    },
    /// Columns of a Parquet batch cast to text.
    Arrow {
        /// One text array per input column.
        columns: Vec<StringArray>,
        /// 1-based number of the first row.
        first_row: u64,
    },
}

impl RawBatch {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            RawBatch::Csv { lines, .. } => lines.len(),
            RawBatch::Arrow { columns, .. } => columns.first().map_or(0, |c| c.len()),
        }
    }

    /// Value at (row, column); empty text is missing.
    pub fn value(&self, row: usize, col: usize) -> Option<&str> {
        let v = match self {
            RawBatch::Csv { text, bounds, fields, .. } => {
                if col >= *fields {
                    return None;
                }
                let i = row * fields + col;
                let (a, b) = (*bounds.get(i)? as usize, *bounds.get(i + 1)? as usize);
                text.get(a..b.checked_sub(1)?)
            }
            RawBatch::Arrow { columns, .. } => {
                let c = &columns[col];
                if c.is_null(row) { None } else { Some(c.value(row)) }
            }
        };
        v.filter(|s| !blank(s))
    }

    /// Where a row came from.
    pub fn location(&self, row: usize) -> Location {
        match self {
            RawBatch::Csv { lines, .. } => Location::Line(lines[row]),
            RawBatch::Arrow { first_row, .. } => Location::Row(first_row + row as u64),
        }
    }
}

/// Running SHA-256 and byte count of what has been read.
#[derive(Clone, Default)]
pub struct ReadStats(Arc<Mutex<(sha2::Sha256, u64)>>);

impl ReadStats {
    pub(crate) fn update(&self, bytes: &[u8]) {
        use sha2::Digest;
        let mut g = self.0.lock().expect("stats lock");
        g.0.update(bytes);
        g.1 += bytes.len() as u64;
    }
    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.0.lock().expect("stats lock").1
    }
    /// SHA-256 (hex) of everything read.
    pub fn sha256(&self) -> String {
        use sha2::Digest;
        hex::encode(self.0.lock().expect("stats lock").0.clone().finalize())
    }
}

/// The rest of the work on a batch (decoding and parsing), run on any thread.
pub type Task = Box<dyn FnOnce() -> Result<RawBatch, EngineError> + Send>;

/// A stream of input batches.
pub trait Source: Send {
    /// Column names in input order.
    fn header(&self) -> &[String];
    /// The next batch, `None` at the end.
    fn next_batch(&mut self) -> Result<Option<RawBatch>, EngineError>;
    /// The next batch as a task that finishes it on any thread, `None` at the end. Tasks must
    /// be finished in order only when their results are used in order.
    fn next_task(&mut self) -> Result<Option<Task>, EngineError> {
        Ok(self.next_batch()?.map(|b| Box::new(move || Ok(b)) as Task))
    }
    /// Hash and progress of the bytes read.
    fn stats(&self) -> ReadStats;
    /// Total input size in bytes, if known.
    fn size(&self) -> Option<u64>;
    /// The rows the input holds, when its file says so up front (Parquet's metadata): an
    /// estimate for planning, not a count.
    #[cfg_attr(not(feature = "query"), allow(dead_code))] // read only by a query's planner
    fn rows_hint(&self) -> Option<u64> {
        None
    }
    /// Text encoding used (CSV), e.g. `CP932 (Shift_JIS)`.
    fn encoding(&self) -> Option<&'static str> {
        None
    }
    /// What was read of each input file, when the rows come from a query over several.
    fn inputs(&self) -> Vec<InputFacts> {
        Vec::new()
    }
    /// The lineage of the columns, when the rows come from a query.
    fn lineage(&self) -> Option<&lineage::QueryLineage> {
        None
    }
    /// Keyed hashes of the values of the inputs' identifier columns, when the rows come from a
    /// query opened with the rules' identifiers (the residual scan compares released values).
    fn identifier_values(&self) -> Option<Arc<lineage::IdentifierValues>> {
        None
    }
}

/// The error for a first line that names none of the columns expected: most likely a file without
/// a header line, whose first record would otherwise be quoted as column names. Its fields are
/// never shown (they may be a person's data).
pub fn not_a_header(file: &std::path::Path, fields: usize, expected: &str) -> EngineError {
    EngineError::Input {
        file: file.to_path_buf(),
        message: format!(
            "the first line does not look like a header: none of its {fields} fields names {expected} (its fields are not shown: they may be a person's data)\n  hint: tokumei needs a first line naming the columns; add one, or check the delimiter and encoding"
        ),
    }
}

/// Whether a header name looks like a person's data rather than a column's name: a number, code
/// or date (at least 4 digits and nothing but digits and separators, such as 宛名番号, a 個人番号, a
/// phone number, a postal code or `2003-11-10`), a date in any form tokumei reads (`H15.11.10`,
/// `平成15年11月10日`), a name with 7 or more digits, an e-mail address, or an address (a
/// prefecture and a number). A year heading like `2024年度` is a name. Such a name means the
/// file has no header line (its first record was read as one) and is never shown.
pub fn looks_like_data(name: &str) -> bool {
    let v = tokumei_jp::nfkc(name.trim());
    let v = v.as_ref();
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let separators_only = v.chars().all(|c| c.is_ascii_digit() || " -/.:,+()ー－―‐".contains(c));
    (digits >= 4 && separators_only)
        || digits >= 7
        || (digits > 0 && tokumei_jp::parse_date(v).is_some())
        || (v.contains('@') && v.contains('.') && !v.contains(' '))
        || (digits > 0 && tokumei_jp::prefecture_of_address(v).is_some())
        || tokumei_jp::is_valid_my_number(v)
}

/// The 1-based positions of the header names that [`looks_like_data`].
pub fn data_like_columns(header: &[String]) -> Vec<usize> {
    header.iter().enumerate().filter(|(_, n)| looks_like_data(n)).map(|(i, _)| i + 1).collect()
}

/// Positions as text: `3`, `1 and 4`, `1, 2 and 5` (at most ten listed).
pub fn positions(cols: &[usize]) -> String {
    let shown: Vec<String> = cols.iter().take(10).map(usize::to_string).collect();
    let more = if cols.len() > 10 { format!(" (and {} more)", cols.len() - 10) } else { String::new() };
    match shown.as_slice() {
        [] => String::new(),
        [one] => format!("{one}{more}"),
        [rest @ .., last] if more.is_empty() => format!("{} and {last}", rest.join(", ")),
        all => format!("{}{more}", all.join(", ")),
    }
}

/// Refuse a header with names that look like data (its first record read as a header): the
/// error names the positions, never the names. `hint` says what to do.
pub fn refuse_data_like_header(path: &std::path::Path, header: &[String], hint: &str) -> Result<(), EngineError> {
    let cols = data_like_columns(header);
    if cols.is_empty() {
        return Ok(());
    }
    Err(EngineError::Input {
        file: path.to_path_buf(),
        message: format!(
            "the first line does not look like a header: column{} {} of {} look{} like data, not names (not shown: they may be a person's data); the file seems to have no header line, so its first record was read as one\n  hint: {hint}",
            if cols.len() == 1 { "" } else { "s" },
            positions(&cols),
            header.len(),
            if cols.len() == 1 { "s" } else { "" },
        ),
    })
}

/// Open the job's input: the file itself, or the result of the job's query over its inputs
/// (each input of a query behind the request stage, when one binds the run), with the values of
/// the inputs' `identifiers` kept as hashes for the residual scan.
pub fn open(
    job: &Job,
    requests: Option<(&crate::requests::RequestStage, &crate::requests::RequestTally)>,
    identifiers: &lineage::Identifiers,
) -> Result<Box<dyn Source>, EngineError> {
    match (&job.query, job.inputs.as_slice()) {
        (None, [input]) => open_input(input),
        (Some(_), _) => open_query(job, requests, Some(identifiers)),
        (None, _) => Err(EngineError::Internal("several inputs without a query".into())),
    }
}

/// Open one input file.
pub fn open_input(input: &Input) -> Result<Box<dyn Source>, EngineError> {
    Ok(match input.format {
        InputFormat::Csv => Box::new(CsvSource::open(&input.path, input.encoding, input.delimiter)?),
        InputFormat::Parquet => Box::new(ParquetSource::open(&input.path)?),
    })
}

/// The name errors give the rows the rules see: the input file, or the job file with
/// `(query)` when they come from a query.
pub fn source_file(job: &Job) -> std::path::PathBuf {
    match (&job.query, job.inputs.as_slice()) {
        (None, [input]) => input.path.clone(),
        _ => query_file(job),
    }
}

/// The name errors give the query's result: the job file with `(query)`.
pub fn query_file(job: &Job) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("{} (query)", job.path.display()))
}

/// Open the result of the job's query (or `where` filter) over its inputs, with the values of
/// the inputs' `identifiers` kept as hashes for the residual scan when given.
#[cfg(feature = "query")]
pub fn open_query(
    job: &Job,
    requests: Option<(&crate::requests::RequestStage, &crate::requests::RequestTally)>,
    identifiers: Option<&lineage::Identifiers>,
) -> Result<Box<dyn Source>, EngineError> {
    Ok(Box::new(QuerySource::open(job, requests, identifiers)?))
}

/// Without the `query` feature (DataFusion) no SQL runs: a job with a `query` or a `where`
/// filter is refused (exit 3), naming the feature.
#[cfg(not(feature = "query"))]
pub fn open_query(
    job: &Job,
    _requests: Option<(&crate::requests::RequestStage, &crate::requests::RequestTally)>,
    _identifiers: Option<&lineage::Identifiers>,
) -> Result<Box<dyn Source>, EngineError> {
    Err(EngineError::Config(no_query_feature(job)))
}

/// The refusal of a job's SQL by a build without the `query` feature.
#[cfg(not(feature = "query"))]
fn no_query_feature(job: &Job) -> String {
    let (what, key) = match job.query {
        Some(tokumei_rules::Query::Where(_)) => ("a `where` filter", "where"),
        _ => ("a `query`", "query"),
    };
    let at = job.query_at.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default();
    format!(
        "{}{at}: {key}: {what} is SQL, and this tokumei was built without the `query` feature (DataFusion), so it runs no SQL\n  hint: use a tokumei built with default features (or `--features query`)",
        job.path.display()
    )
}

/// Reject duplicate or empty column names.
/// Check a header line: it must name at least one of `expected` (else it is most likely a first
/// record, reported by [`not_a_header`] without its fields), and no name may be empty or repeated.
pub fn check_header(
    path: &std::path::Path,
    names: &[String],
    expected: &[&str],
    what: &str,
) -> Result<(), EngineError> {
    if !expected.is_empty() && !names.iter().any(|n| expected.contains(&n.as_str())) {
        return Err(not_a_header(path, names.len(), what));
    }
    // Names are not quoted: a file without a header makes its first record the "names".
    let mut seen = std::collections::HashMap::new();
    for (i, n) in names.iter().enumerate() {
        if n.trim().is_empty() {
            return Err(EngineError::Input {
                file: path.into(),
                message: format!("header column {} has no name", i + 1),
            });
        }
        if let Some(first) = seen.insert(n, i) {
            return Err(EngineError::Input {
                file: path.into(),
                message: format!("header columns {} and {} have the same name", first + 1, i + 1),
            });
        }
    }
    if names.is_empty() {
        return Err(EngineError::Input { file: path.into(), message: "has no header row".into() });
    }
    Ok(())
}

/// A source that has a header and no rows: a run whose rows are read elsewhere (a cluster) is
/// prepared with it (its rules validated against the header, its key and release id chosen).
pub(crate) struct HeaderOnly {
    header: Vec<String>,
}

impl HeaderOnly {
    /// The input's column names.
    pub(crate) fn new(header: Vec<String>) -> HeaderOnly {
        HeaderOnly { header }
    }
}

impl Source for HeaderOnly {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_batch(&mut self) -> Result<Option<RawBatch>, EngineError> {
        Ok(None)
    }

    fn stats(&self) -> ReadStats {
        ReadStats::default()
    }

    fn size(&self) -> Option<u64> {
        None
    }
}

/// Whether `s` holds only white space (`s.trim().is_empty()`), read once from its start: a
/// value's first character settles it (this runs on every value a job reads).
#[inline]
fn blank(s: &str) -> bool {
    // Told by the first character for most values: no character past U+3000 (the ideographic
    // space) is white space, nor is printable ASCII.
    match s.chars().next() {
        None => true,
        Some(c) if c > '\u{3000}' || ('!'..='~').contains(&c) => false,
        Some(_) => s.chars().all(char::is_whitespace),
    }
}

#[cfg(test)]
mod value_tests {
    /// [`super::blank`] is `trim().is_empty()` on every text of up to four characters from
    /// ASCII and Unicode white space, letters and a kanji.
    #[test]
    fn blank_is_trimmed_empty() {
        const ALPHABET: [char; 12] =
            [' ', '\t', '\n', '\u{3000}', '\u{85}', '\u{A0}', 'a', '葵', '\u{1C}', '\u{3001}', '\u{2FFF}', '~'];
        let mut blanks = 0;
        for len in 0..=4u32 {
            for mut n in 0..ALPHABET.len().pow(len) {
                let mut t = String::new();
                for _ in 0..len {
                    t.push(ALPHABET[n % ALPHABET.len()]);
                    n /= ALPHABET.len();
                }
                assert_eq!(super::blank(&t), t.trim().is_empty(), "{t:?}");
                blanks += usize::from(super::blank(&t));
            }
        }
        assert_eq!(blanks, (0..=4).map(|l| 6usize.pow(l)).sum::<usize>());
        // The first character decides as `trim` does, for every character (the fast path's
        // claim: nothing past U+3000 is white space) alone and before a letter.
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            for t in [c.to_string(), format!("{c}a")] {
                assert_eq!(super::blank(&t), t.trim().is_empty(), "{c:?}");
            }
        }
    }
}

#[cfg(test)]
mod header_tests {
    use super::*;

    #[test]
    fn data_like_names_are_told_from_column_names() {
        for data in [
            "100599657",
            "486970362258",
            "２００３－１１－１０",
            "2003/11/10",
            "H15.11.10",
            "平成15年11月10日",
            "06-300-5675",
            "090 1234 5678",
            "537-1336",
            "1,234,567",
            "a@example.jp",
            "大阪府大阪市新町1丁目3番9号",
            "TEL09012345678",
        ] {
            assert!(looks_like_data(data), "{data}");
        }
        for name in ["宛名番号", "個人番号", "生年月日", "2024年度", "R6課税所得", "col1", "住所", "東京都", "", "123"]
        {
            assert!(!looks_like_data(name), "{name}");
        }
        let header: Vec<String> = ["宛名番号", "100599657", "石井　葵", "2003-11-10"].map(String::from).to_vec();
        assert_eq!(data_like_columns(&header), [2, 4]);
        assert_eq!(positions(&[3]), "3");
        assert_eq!(positions(&[1, 2, 5]), "1, 2 and 5");
        assert_eq!(positions(&(1..=12).collect::<Vec<_>>()), "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 (and 2 more)");
        let e = refuse_data_like_header(std::path::Path::new("r.csv"), &header, "add one").unwrap_err().to_string();
        assert!(e.starts_with("r.csv: ") && e.contains("columns 2 and 4 of 4 look like data"), "{e}");
        assert!(!e.contains("100599657") && !e.contains("2003") && !e.contains("石井"), "{e}");
    }
}
