//! The input's parts as the coordinator sees them: which files (a folder of parts, a glob of
//! parts or one file), the header they share, and a hash of what they hold. The cluster reads
//! their rows; the coordinator reads each part's first line and hashes the parts' bytes (a
//! stream, never rows in memory; a cluster whose parts the coordinator cannot see needs the
//! executors to hash them: not built).

use crate::ClusterError;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use tokumei_engine::EngineError;
use tokumei_rules::{InputFormat, Job};

/// The input's parts, in name order.
pub(crate) fn parts(job: &Job) -> Result<Vec<PathBuf>, ClusterError> {
    let input = job.inputs.first().ok_or_else(|| EngineError::Config("the job names no input".into()))?;
    let path = &input.path;
    let ext = match input.format {
        InputFormat::Csv => "csv",
        InputFormat::Parquet => "parquet",
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let mut out: Vec<PathBuf> = if path.is_dir() {
        files_in(path, &|n: &str| n.to_ascii_lowercase().ends_with(&format!(".{ext}")))?
    } else if name.contains(['*', '?']) {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        files_in(dir, &|n: &str| glob_match(name.as_bytes(), n.as_bytes()))?
    } else {
        vec![path.clone()]
    };
    out.sort();
    if out.is_empty() {
        return Err(EngineError::Input { file: path.clone(), message: format!("no .{ext} part found") }.into());
    }
    Ok(out)
}

/// The regular files of `dir` whose names `keep`.
fn files_in(dir: &Path, keep: &dyn Fn(&str) -> bool) -> Result<Vec<PathBuf>, ClusterError> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| ClusterError::io(dir, e))? {
        let e = e.map_err(|e| ClusterError::io(dir, e))?;
        let name = e.file_name();
        let Some(n) = name.to_str() else { continue };
        if !n.starts_with('.') && keep(n) && e.file_type().map_err(|x| ClusterError::io(&e.path(), x))?.is_file() {
            out.push(e.path());
        }
    }
    Ok(out)
}

/// Whether `name` matches `pattern` (`*`: any run of characters, `?`: one byte).
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob_match(&pattern[1..], name) || (!name.is_empty() && glob_match(pattern, &name[1..])),
        (Some(b'?'), Some(_)) => glob_match(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => glob_match(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// The column names every part starts with (a CSV part's first line, strictly UTF-8, a BOM
/// dropped; a Parquet part's schema, text columns only). Parts that differ are refused.
pub(crate) fn header(job: &Job, parts: &[PathBuf]) -> Result<Vec<String>, ClusterError> {
    let input = job.inputs.first().ok_or_else(|| EngineError::Config("the job names no input".into()))?;
    let mut first: Option<Vec<String>> = None;
    for p in parts {
        let h = match input.format {
            InputFormat::Csv => csv_header(p, input.delimiter)?,
            InputFormat::Parquet => parquet_header(p)?,
        };
        match &first {
            None => first = Some(h),
            Some(f) if *f != h => {
                return Err(EngineError::Input {
                    file: p.clone(),
                    message: "its columns differ from the first part's".into(),
                }
                .into());
            }
            Some(_) => {}
        }
    }
    first.ok_or_else(|| ClusterError::Internal("no part".into()))
}

fn csv_header(p: &Path, delimiter: u8) -> Result<Vec<String>, ClusterError> {
    let f = std::fs::File::open(p).map_err(|e| ClusterError::io(p, e))?;
    let mut line = Vec::new();
    std::io::BufReader::new(f).read_until(b'\n', &mut line).map_err(|e| ClusterError::io(p, e))?;
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&line);
    let text = std::str::from_utf8(line)
        .map_err(|_| EngineError::Input { file: p.to_path_buf(), message: "the first line is not UTF-8".into() })?;
    let text = text.trim_end_matches(['\n', '\r']);
    let mut r = csv::ReaderBuilder::new().has_headers(false).delimiter(delimiter).from_reader(text.as_bytes());
    let rec = r
        .records()
        .next()
        .transpose()
        .map_err(|_| EngineError::Input { file: p.to_path_buf(), message: "the first line is not a header".into() })?
        .ok_or_else(|| EngineError::Input { file: p.to_path_buf(), message: "the part is empty".into() })?;
    // Names trimmed, as one machine reads a header (the rows are read by position).
    Ok(rec.iter().map(|n| n.trim().to_string()).collect())
}

fn parquet_header(p: &Path) -> Result<Vec<String>, ClusterError> {
    use arrow::datatypes::DataType;
    let f = std::fs::File::open(p).map_err(|e| ClusterError::io(p, e))?;
    let b = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
        .map_err(|_| EngineError::Input { file: p.to_path_buf(), message: "not a Parquet file".into() })?;
    let mut out = Vec::new();
    for field in b.schema().fields() {
        if !matches!(field.data_type(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) {
            return Err(EngineError::Config(format!(
                "{}: column `{}` is not text; a Parquet input with other columns has no distributed form yet",
                p.display(),
                field.name()
            ))
            .into());
        }
        out.push(field.name().clone());
    }
    Ok(out)
}

/// The SHA-256 of the parts: of the lines `name<TAB>bytes<TAB>sha256` of each part, in name
/// order (each part's own hash streamed from its bytes).
pub(crate) fn sha256(parts: &[PathBuf]) -> Result<String, ClusterError> {
    use sha2::Digest;
    let mut all = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    for p in parts {
        let mut f = std::fs::File::open(p).map_err(|e| ClusterError::io(p, e))?;
        let (mut h, mut n) = (sha2::Sha256::new(), 0u64);
        loop {
            let k = f.read(&mut buf).map_err(|e| ClusterError::io(p, e))?;
            if k == 0 {
                break;
            }
            h.update(&buf[..k]);
            n += k as u64;
        }
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        all.update(format!("{name}\t{n}\t{}\n", hex::encode(h.finalize())).as_bytes());
    }
    Ok(hex::encode(all.finalize()))
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match(b"part-*.csv", b"part-0001.csv"));
        assert!(glob_match(b"*", b"x"));
        assert!(glob_match(b"p?.csv", b"p1.csv"));
        assert!(!glob_match(b"part-*.csv", b"part-0001.parquet"));
        assert!(!glob_match(b"p?.csv", b"p12.csv"));
    }
}
