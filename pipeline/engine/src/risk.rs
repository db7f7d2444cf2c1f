//! `tokumei risk`: re-identification risk of any CSV or Parquet table, not only tokumei's.

use crate::EngineError;
use crate::ingest::{CsvSource, ParquetSource, Source};
use rustc_hash::FxHashMap;
use std::path::Path;
use tokumei_anon::risk::{Risk, analyze};
use tokumei_rules::{Encoding, InputFormat};

/// How to read the table.
pub struct TableInput<'a> {
    /// File.
    pub path: &'a Path,
    /// Format (default: from the extension).
    pub format: Option<InputFormat>,
    /// CSV encoding.
    pub encoding: Encoding,
    /// CSV delimiter.
    pub delimiter: u8,
}

/// Read the named columns and analyse their risk.
pub fn risk_of_file(
    input: &TableInput,
    qi: &[String],
    sensitive: &[String],
    population: Option<u64>,
    threshold: f64,
) -> Result<Risk, EngineError> {
    let format = input.format.unwrap_or(if input.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
        InputFormat::Parquet
    } else {
        InputFormat::Csv
    });
    let mut source: Box<dyn Source> = match format {
        InputFormat::Csv => Box::new(CsvSource::open(input.path, input.encoding, input.delimiter)?),
        InputFormat::Parquet => Box::new(ParquetSource::open(input.path)?),
    };
    if qi.is_empty() {
        return Err(EngineError::Config("name at least one quasi-identifier with --qi".into()));
    }
    let header = source.header().to_vec();
    let named: Vec<&str> = qi.iter().chain(sensitive).map(String::as_str).collect();
    crate::ingest::check_header(input.path, &header, &named, "a column given with --qi or --sensitive")?;
    let index = |name: &String| -> Result<usize, EngineError> {
        header.iter().position(|h| h == name).ok_or_else(|| {
            let hint = tokumei_rules::diag::did_you_mean(name, header.iter().map(String::as_str))
                .map(|h| format!("\n  hint: {h}"))
                .unwrap_or_default();
            EngineError::Config(format!("{}: column `{name}` is not in the file{hint}", input.path.display()))
        })
    };
    let cols: Vec<usize> = qi.iter().chain(sensitive).map(index).collect::<Result<_, _>>()?;
    let mut dicts: Vec<FxHashMap<String, u32>> = vec![FxHashMap::default(); cols.len()];
    let mut codes: Vec<Vec<u32>> = vec![Vec::new(); cols.len()];
    while let Some(batch) = source.next_batch()? {
        for row in 0..batch.len() {
            for (j, c) in cols.iter().enumerate() {
                let v = batch.value(row, *c).map(|v| tokumei_jp::nfkc(v.trim()).into_owned()).unwrap_or_default();
                let next = dicts[j].len() as u32;
                let code = *dicts[j].entry(v).or_insert(next);
                codes[j].push(code);
            }
        }
    }
    let n = codes.first().map_or(0, Vec::len);
    let q: Vec<(String, &[u32])> = qi.iter().zip(&codes).map(|(n, c)| (n.clone(), c.as_slice())).collect();
    let s: Vec<(String, &[u32])> =
        sensitive.iter().zip(&codes[qi.len()..]).map(|(n, c)| (n.clone(), c.as_slice())).collect();
    Ok(analyze(&q, &s, n, population, threshold))
}
