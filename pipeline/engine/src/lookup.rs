//! Finding one person's records in a source file or a pseudonymised output, for a disclosure
//! request: by subject identifier (or pseudonym), or, to find candidates, by name and date of
//! birth. CSV is read with tokumei's own decoding (UTF-8 or CP932, line-precise); Parquet is read
//! in two phases, the predicate pushed into the scan: only the identifier column is decoded to
//! find the matching rows, then only those rows (a row selection) are decoded in full.
//! Identifiers compare in normal form (NFKC, trimmed), so full-width digits match.

use crate::EngineError;
use crate::error::{ExitCode, io_err};
use crate::ingest;
use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReaderBuilder, RowSelection, RowSelector};
use std::path::{Path, PathBuf};

/// Where to look.
#[derive(Debug, Clone)]
pub struct Place {
    /// The file.
    pub path: PathBuf,
    /// `true`: Parquet; `false`: CSV.
    pub parquet: bool,
    /// CSV encoding.
    pub encoding: tokumei_rules::Encoding,
}

/// A record found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Found {
    /// Where it is: `line N` (CSV) or `row N` (Parquet).
    pub location: String,
    /// Every column with its value (missing values as empty text).
    pub fields: Vec<(String, String)>,
}

/// What to match.
enum Want<'a> {
    Id { column: &'a str, value: String },
    NameBirth { name_column: &'a str, birth_column: &'a str, name: String, birth: tokumei_jp::Date },
}

/// A name in the form compared: NFKC, without any spaces.
fn name_form(s: &str) -> String {
    tokumei_jp::nfkc(s).chars().filter(|c| !c.is_whitespace()).collect()
}

fn id_form(s: &str) -> String {
    tokumei_jp::identifier_key(s).into_owned()
}

impl Want<'_> {
    fn columns(&self) -> Vec<&str> {
        match self {
            Want::Id { column, .. } => vec![column],
            Want::NameBirth { name_column, birth_column, .. } => vec![name_column, birth_column],
        }
    }

    /// Whether a row matches, given the values of [`Want::columns`].
    fn matches(&self, values: &[Option<&str>]) -> bool {
        match self {
            Want::Id { value, .. } => values[0].is_some_and(|v| tokumei_jp::identifier_key(v) == value.as_str()),
            Want::NameBirth { name, birth, .. } => {
                values[0].is_some_and(|v| name_form(v) == *name)
                    && values[1].and_then(tokumei_jp::parse_date).is_some_and(|d| d == *birth)
            }
        }
    }
}

/// The records of `place` whose `column` holds `value` (compared in normal form).
pub fn by_identifier(place: &Place, column: &str, value: &str) -> Result<Vec<Found>, EngineError> {
    find(place, &Want::Id { column, value: id_form(value) })
}

/// The records of `place` whose name and date of birth are those given (names compared without
/// spaces after NFKC; dates in any form tokumei reads, 和暦 included).
pub fn by_name_and_birth(
    place: &Place,
    name_column: &str,
    birth_column: &str,
    name: &str,
    birth: &str,
) -> Result<Vec<Found>, EngineError> {
    let birth = tokumei_jp::parse_date(birth)
        .ok_or_else(|| EngineError::Config("the date of birth to match is not a date".into()))?;
    find(place, &Want::NameBirth { name_column, birth_column, name: name_form(name), birth })
}

/// Check that `place` can be read and has the `columns` (only its header is read).
pub fn check_columns(place: &Place, columns: &[&str]) -> Result<(), EngineError> {
    let header: Vec<String> = if place.parquet {
        let f = std::fs::File::open(&place.path).map_err(io_err(ExitCode::Input, &place.path, "cannot open"))?;
        let b = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ParquetRecordBatchReaderBuilder::try_new(f)))
            .map_err(|_| EngineError::Input { file: place.path.clone(), message: "is corrupt".into() })?
            .map_err(|e| EngineError::Input {
                file: place.path.clone(),
                message: format!("is not a readable Parquet file ({e})"),
            })?;
        b.schema().fields().iter().map(|f| f.name().clone()).collect()
    } else {
        ingest::open_input(&csv_input(place))?.header().to_vec()
    };
    match columns.iter().find(|c| !header.iter().any(|h| h == *c)) {
        Some(c) => Err(missing_column(&place.path, c)),
        None => Ok(()),
    }
}

/// A CSV place as an input tokumei's reader opens.
fn csv_input(place: &Place) -> tokumei_rules::Input {
    tokumei_rules::Input {
        name: None,
        path: place.path.clone(),
        format: tokumei_rules::InputFormat::Csv,
        encoding: place.encoding,
        delimiter: b',',
        persons: true,
        types: Vec::new(),
    }
}

fn missing_column(path: &Path, c: &str) -> EngineError {
    EngineError::Input { file: path.to_path_buf(), message: format!("has no column `{c}`") }
}

fn find(place: &Place, want: &Want) -> Result<Vec<Found>, EngineError> {
    if place.parquet { find_parquet(place, want) } else { find_csv(place, want) }
}

fn find_csv(place: &Place, want: &Want) -> Result<Vec<Found>, EngineError> {
    let mut source = ingest::open_input(&csv_input(place))?;
    let header = source.header().to_vec();
    let cols: Vec<usize> = want
        .columns()
        .iter()
        .map(|c| header.iter().position(|h| h == c).ok_or_else(|| missing_column(&place.path, c)))
        .collect::<Result<_, _>>()?;
    let mut found = Vec::new();
    while let Some(batch) = source.next_batch()? {
        for row in 0..batch.len() {
            let values: Vec<Option<&str>> = cols.iter().map(|c| batch.value(row, *c)).collect();
            if want.matches(&values) {
                found.push(Found {
                    location: batch.location(row).to_string(),
                    fields: header
                        .iter()
                        .enumerate()
                        .map(|(i, h)| (h.clone(), batch.value(row, i).unwrap_or_default().to_string()))
                        .collect(),
                });
            }
        }
    }
    Ok(found)
}

/// Text of every value of a column (`None` for a type that has no text form).
fn as_text(col: &dyn Array) -> Option<arrow::array::StringArray> {
    let cast = match col.data_type() {
        DataType::Utf8 => return Some(col.as_string::<i32>().clone()),
        DataType::Dictionary(_, _) | DataType::LargeUtf8 | DataType::Utf8View => {
            arrow::compute::cast(col, &DataType::Utf8).ok()?
        }
        _ => arrow::compute::cast(col, &DataType::Utf8).ok()?,
    };
    Some(cast.as_string::<i32>().clone())
}

fn find_parquet(place: &Place, want: &Want) -> Result<Vec<Found>, EngineError> {
    let path = &place.path;
    let err = |e: String| EngineError::Input { file: path.clone(), message: e };
    let open = || -> Result<ParquetRecordBatchReaderBuilder<std::fs::File>, EngineError> {
        let f = std::fs::File::open(path).map_err(io_err(ExitCode::Input, path, "cannot open"))?;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ParquetRecordBatchReaderBuilder::try_new(f)))
            .map_err(|_| err("is corrupt (the Parquet decoder rejected its metadata)".into()))?
            .map_err(|e| err(format!("is not a readable Parquet file ({e})")))
    };
    // Phase 1: only the columns of the predicate.
    let builder = open()?;
    let header: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    let roots: Vec<usize> = want
        .columns()
        .iter()
        .map(|c| header.iter().position(|h| h == c).ok_or_else(|| missing_column(path, c)))
        .collect::<Result<_, _>>()?;
    let total: usize = builder.metadata().file_metadata().num_rows().try_into().unwrap_or(0);
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots.iter().copied());
    let reader = builder.with_projection(mask).build().map_err(|e| err(format!("cannot read Parquet ({e})")))?;
    // In the projection the columns keep their file order.
    let mut order: Vec<usize> = roots.clone();
    order.sort_unstable();
    let pos: Vec<usize> = roots.iter().map(|r| order.iter().position(|o| o == r).unwrap_or(0)).collect();
    let mut rows: Vec<usize> = Vec::new();
    let mut base = 0usize;
    for batch in reader {
        let batch = batch.map_err(|e| err(format!("cannot read Parquet ({e})")))?;
        let texts: Vec<arrow::array::StringArray> = pos
            .iter()
            .map(|p| {
                as_text(batch.column(*p).as_ref()).ok_or_else(|| err("an identifier column has no text form".into()))
            })
            .collect::<Result<_, _>>()?;
        for r in 0..batch.num_rows() {
            let values: Vec<Option<&str>> =
                texts.iter().map(|t| (!t.is_null(r)).then(|| t.value(r)).filter(|v| !v.trim().is_empty())).collect();
            if want.matches(&values) {
                rows.push(base + r);
            }
        }
        base += batch.num_rows();
    }
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // Phase 2: only the matching rows, every column.
    let mut selectors = Vec::new();
    let mut at = 0usize;
    for &r in &rows {
        if r > at {
            selectors.push(RowSelector::skip(r - at));
        }
        selectors.push(RowSelector::select(1));
        at = r + 1;
    }
    if total > at {
        selectors.push(RowSelector::skip(total - at));
    }
    let reader = open()?
        .with_row_selection(RowSelection::from(selectors))
        .build()
        .map_err(|e| err(format!("cannot read Parquet ({e})")))?;
    let mut found = Vec::new();
    let mut next = rows.iter();
    for batch in reader {
        let batch = batch.map_err(|e| err(format!("cannot read Parquet ({e})")))?;
        let texts: Vec<Option<arrow::array::StringArray>> =
            batch.columns().iter().map(|c| as_text(c.as_ref())).collect();
        for r in 0..batch.num_rows() {
            let row = next.next().copied().unwrap_or_default();
            found.push(Found {
                location: crate::Location::Row(row as u64 + 1).to_string(),
                fields: header
                    .iter()
                    .zip(&texts)
                    .map(|(h, t)| {
                        let v = match t {
                            Some(t) if !t.is_null(r) => t.value(r).to_string(),
                            Some(_) => String::new(),
                            None => "(a value of a type without text form)".to_string(),
                        };
                        (h.clone(), v)
                    })
                    .collect(),
            });
        }
    }
    Ok(found)
}
