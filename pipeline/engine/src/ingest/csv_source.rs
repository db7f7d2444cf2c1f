//! CSV input: strict decoding, RFC 4180 quoting (embedded newlines), fixed field count.

use super::decode::{DecodeError, DecodingReader, encoding_name, resolve};
use super::{BATCH_ROWS, RawBatch, ReadStats, Source};
use crate::EngineError;
use crate::error::{ExitCode, io_err};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use tokumei_rules::Encoding;

/// A CSV file being read.
pub struct CsvSource {
    path: PathBuf,
    reader: csv::Reader<DecodingReader<File>>,
    header: Vec<String>,
    stats: ReadStats,
    size: Option<u64>,
    done: bool,
    encoding: Encoding,
    used: &'static str,
}

impl CsvSource {
    /// Open `path`, detect or apply the encoding and read the header.
    pub fn open(path: &Path, encoding: Encoding, delimiter: u8) -> Result<Self, EngineError> {
        let input_err = |message: String| EngineError::Input { file: path.to_path_buf(), message };
        let mut file = File::open(path).map_err(io_err(ExitCode::Input, path, "cannot open"))?;
        let size = file.metadata().ok().map(|m| m.len());
        let mut prefix = vec![0u8; 1 << 20];
        let mut n = 0;
        loop {
            let r = file.read(&mut prefix[n..]).map_err(io_err(ExitCode::Input, path, "cannot read"))?;
            if r == 0 || n + r == prefix.len() {
                n += r;
                break;
            }
            n += r;
        }
        prefix.truncate(n);
        let enc = resolve(encoding, &prefix);
        let used = encoding_name(enc);
        let stats = ReadStats::default();
        let decoded = DecodingReader::new(file, prefix, enc, stats.clone());
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            // The decoder turned CRLF into LF, so LF alone ends a record and line counts are exact.
            .terminator(csv::Terminator::Any(b'\n'))
            .buffer_capacity(1 << 20)
            .from_reader(decoded);
        let header = reader.headers().map_err(|e| csv_error(path, e, encoding))?;
        let header: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
        if n == 0 {
            return Err(input_err("is empty".into()));
        }
        Ok(CsvSource { path: path.to_path_buf(), reader, header, stats, size, done: false, encoding, used })
    }
}

fn csv_error(path: &Path, e: csv::Error, configured: Encoding) -> EngineError {
    let line = e.position().map(|p| p.line());
    let message = match e.into_kind() {
        csv::ErrorKind::Io(io) => {
            let hint = match configured {
                Encoding::Auto => " (detected from the start of the file; set `encoding` in the job's [input])",
                _ => " (set by the job's [input] encoding; try `auto`)",
            };
            match io.into_inner().map(|i| i.downcast::<DecodeError>()) {
                Some(Ok(d)) => format!("{d}{hint}"),
                Some(Err(other)) => format!("cannot read: {other}"),
                None => "cannot read".into(),
            }
        }
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("line {}: has {len} fields, the header has {expected_len}", line.unwrap_or(0))
        }
        csv::ErrorKind::Utf8 { .. } => {
            format!("line {}: text is not valid UTF-8", line.unwrap_or(0))
        }
        _ => format!("line {}: malformed CSV", line.unwrap_or(0)),
    };
    EngineError::Input { file: path.to_path_buf(), message }
}

impl Source for CsvSource {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_batch(&mut self) -> Result<Option<RawBatch>, EngineError> {
        if self.done {
            return Ok(None);
        }
        let mut records = Vec::with_capacity(BATCH_ROWS);
        let mut lines = Vec::with_capacity(BATCH_ROWS);
        let mut rec = csv::StringRecord::new();
        while records.len() < BATCH_ROWS {
            match self.reader.read_record(&mut rec) {
                Ok(true) => {
                    // The start position lags behind blank lines the reader skipped; the end
                    // position does not: the record began its own newlines + 1 lines earlier.
                    let reported = rec.position().map_or(0, |p| p.line());
                    let inner: u64 = rec.iter().map(|f| f.bytes().filter(|b| *b == b'\n').count() as u64).sum();
                    let line = reported.max(self.reader.position().line().saturating_sub(inner + 1));
                    if rec.len() == 1 && rec[0].trim().is_empty() {
                        continue; // a blank line
                    }
                    if rec.len() != self.header.len() {
                        let message =
                            format!("line {line}: has {} fields, the header has {}", rec.len(), self.header.len());
                        return Err(EngineError::Input { file: self.path.clone(), message });
                    }
                    lines.push(line);
                    records.push(std::mem::replace(&mut rec, csv::StringRecord::with_capacity(256, self.header.len())));
                }
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(e) => return Err(csv_error(&self.path, e, self.encoding)),
            }
        }
        Ok((!records.is_empty()).then_some(RawBatch::Csv { records, lines }))
    }

    fn stats(&self) -> ReadStats {
        self.stats.clone()
    }

    fn size(&self) -> Option<u64> {
        self.size
    }

    fn encoding(&self) -> Option<&'static str> {
        Some(self.used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(text: &str) -> Vec<u64> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, text).unwrap();
        let mut s = CsvSource::open(&p, Encoding::Auto, b',').unwrap();
        let mut out = Vec::new();
        while let Some(RawBatch::Csv { lines, .. }) = s.next_batch().unwrap() {
            out.extend(lines);
        }
        out
    }

    #[test]
    fn record_lines_are_physical_start_lines() {
        assert_eq!(lines_of("a,b\r\n1,2\r\n3,4\r\n"), vec![2, 3]);
        assert_eq!(lines_of("a,b\n1,2\n\n\n\"3\n3\",4\n5,6\n7,8"), vec![2, 5, 7, 8]);
        assert_eq!(lines_of("a,b\r\n\"x\r\ny\",2\r\n\r\n3,4\r\n"), vec![2, 5]);
        assert_eq!(lines_of("a,b\r\n1,2\r\n\r\n3,4"), vec![2, 4]);
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Arbitrary bytes in any encoding give batches or an input error, never a panic.
        #[test]
        fn csv_ingest_never_panics(body in proptest::collection::vec(prop_oneof![Just(b','), Just(b'"'), Just(b'\n'), Just(b'\r'), any::<u8>()], 0..600), enc in 0usize..3) {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("f.csv");
            let mut bytes = b"a,b,c\n".to_vec();
            bytes.extend(body);
            std::fs::write(&p, &bytes).unwrap();
            let encoding = [Encoding::Auto, Encoding::Utf8, Encoding::Cp932][enc];
            if let Ok(mut s) = CsvSource::open(&p, encoding, b',') {
                while let Ok(Some(batch)) = s.next_batch() {
                    for row in 0..batch.len() {
                        for col in 0..3 {
                            let _ = batch.value(row, col);
                        }
                    }
                }
            }
        }
    }
}
