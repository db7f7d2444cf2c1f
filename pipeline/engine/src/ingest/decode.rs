//! Strict streaming text decoding (UTF-8 or CP932) into UTF-8, counting lines so that an
//! undecodable byte sequence is reported with its line, never its bytes.

use super::ReadStats;
use encoding_rs::{DecoderResult, Encoding as Enc, SHIFT_JIS, UTF_8};
use std::io::{self, Read};
use tokumei_rules::Encoding;

/// An undecodable byte sequence at a line.
#[derive(Debug)]
pub struct DecodeError {
    /// 1-based line.
    pub line: u64,
    /// Encoding that was expected.
    pub encoding: &'static str,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: bytes are not valid {}", self.line, self.encoding)
    }
}

impl std::error::Error for DecodeError {}

/// Pick the encoding from the first bytes: a UTF-8 BOM or valid UTF-8 means UTF-8, valid CP932
/// means CP932. Bytes valid in neither (a file with a bad byte) are read in the encoding that
/// explains more of them, so the error names the bad byte's line in the file's real encoding:
/// UTF-8 text with one broken character is not reported as "line 1: not valid CP932".
pub fn detect_encoding(prefix: &[u8]) -> &'static Enc {
    if prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return UTF_8;
    }
    let utf8_ok_to = match std::str::from_utf8(prefix) {
        Ok(_) => return UTF_8,
        Err(e) if e.error_len().is_none() => return UTF_8, // cut inside a character at the end
        Err(e) => e.valid_up_to(),
    };
    let mut decoder = SHIFT_JIS.new_decoder_without_bom_handling();
    let mut out = vec![0u8; prefix.len() * 3 + 16];
    let (res, read, _) = decoder.decode_to_utf8_without_replacement(prefix, &mut out, false);
    let cp932_ok_to = match res {
        DecoderResult::Malformed(bad, _) => read.saturating_sub(bad as usize),
        _ => return SHIFT_JIS,
    };
    // Multi-byte UTF-8 before the first error is strong evidence for UTF-8.
    let utf8_text = prefix[..utf8_ok_to].iter().any(|b| *b >= 0x80);
    if utf8_text || utf8_ok_to > cp932_ok_to { UTF_8 } else { SHIFT_JIS }
}

/// Resolve the configured encoding against the first bytes.
pub fn resolve(encoding: Encoding, prefix: &[u8]) -> &'static Enc {
    match encoding {
        Encoding::Auto => detect_encoding(prefix),
        Encoding::Utf8 => UTF_8,
        Encoding::Cp932 => SHIFT_JIS,
    }
}

/// Reads raw bytes, feeds the stats, decodes strictly.
pub struct DecodingReader<R> {
    inner: R,
    stats: ReadStats,
    decoder: encoding_rs::Decoder,
    name: &'static str,
    input: Vec<u8>,
    in_pos: usize,
    in_len: usize,
    eof: bool,
    out: Vec<u8>,
    out_pos: usize,
    out_len: usize,
    lines: u64,
    done: bool,
    decoded: Vec<u8>,
    carry_cr: bool,
    ends_with_newline: bool,
}

/// Display name of an encoding.
pub fn encoding_name(enc: &'static Enc) -> &'static str {
    if enc == UTF_8 { "UTF-8" } else { "CP932 (Shift_JIS)" }
}

impl<R: Read> DecodingReader<R> {
    /// Wrap `inner`; `prefix` holds bytes already read from it.
    pub fn new(inner: R, prefix: Vec<u8>, enc: &'static Enc, stats: ReadStats) -> Self {
        stats.update(&prefix);
        let in_len = prefix.len();
        let mut input = prefix;
        input.resize(in_len.max(256 * 1024), 0);
        DecodingReader {
            inner,
            stats,
            decoder: if enc == UTF_8 {
                enc.new_decoder_with_bom_removal()
            } else {
                enc.new_decoder_without_bom_handling()
            },
            name: encoding_name(enc),
            input,
            in_pos: 0,
            in_len,
            eof: false,
            out: vec![0; 512 * 1024 + 2],
            out_pos: 0,
            out_len: 0,
            lines: 0,
            done: false,
            decoded: vec![0; 512 * 1024],
            carry_cr: false,
            ends_with_newline: true,
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        while self.out_pos == self.out_len && !self.done {
            if self.in_pos == self.in_len && !self.eof {
                let n = self.inner.read(&mut self.input)?;
                self.stats.update(&self.input[..n]);
                self.in_pos = 0;
                self.in_len = n;
                self.eof = n == 0;
            }
            let last = self.eof;
            let (res, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.in_pos..self.in_len],
                &mut self.decoded,
                last,
            );
            self.in_pos += read;
            self.out_pos = 0;
            self.out_len = normalize_newlines(&self.decoded[..written], &mut self.out, &mut self.carry_cr, last);
            if self.out_len > 0 {
                self.ends_with_newline = self.out[self.out_len - 1] == b'\n';
            }
            if last && matches!(res, DecoderResult::InputEmpty) && !self.ends_with_newline {
                // Terminate the last record so every record ends the same way.
                self.out[self.out_len] = b'\n';
                self.out_len += 1;
                self.ends_with_newline = true;
            }
            let newlines = self.out[..self.out_len].iter().filter(|b| **b == b'\n').count() as u64;
            match res {
                DecoderResult::Malformed(_, _) => {
                    let err = DecodeError { line: self.lines + newlines + 1, encoding: self.name };
                    return Err(io::Error::new(io::ErrorKind::InvalidData, err));
                }
                DecoderResult::InputEmpty if last => self.done = true,
                _ => {}
            }
            self.lines += newlines;
        }
        Ok(())
    }
}

/// Copy `src` to `dst` with every CRLF turned into LF, so line numbers count one way for
/// every file. A CR at the end of `src` is held back until the next chunk shows what follows.
fn normalize_newlines(src: &[u8], dst: &mut [u8], carry_cr: &mut bool, last: bool) -> usize {
    let mut n = 0;
    let mut pending = std::mem::take(carry_cr);
    for (i, &b) in src.iter().enumerate() {
        if pending {
            pending = false;
            if b != b'\n' {
                dst[n] = b'\r';
                n += 1;
            }
        }
        if b == b'\r' {
            if i + 1 < src.len() {
                if src[i + 1] == b'\n' {
                    continue;
                }
            } else {
                pending = true;
                continue;
            }
        }
        dst[n] = b;
        n += 1;
    }
    if pending {
        if last {
            // A CR that ends the file ends its last line: written as LF, so the text holds no
            // CRLF once the reader terminates the last record.
            dst[n] = b'\n';
            n += 1;
        } else {
            *carry_cr = true;
        }
    }
    n
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.fill()?;
        let n = buf.len().min(self.out_len - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], enc: &'static Enc) -> io::Result<String> {
        let mut r = DecodingReader::new(bytes, Vec::new(), enc, ReadStats::default());
        let mut s = String::new();
        r.read_to_string(&mut s)?;
        Ok(s)
    }

    #[test]
    fn detects_and_decodes() {
        let (sjis, _, _) = SHIFT_JIS.encode("氏名,住所\n山田,東京都\n");
        assert_eq!(detect_encoding(&sjis), SHIFT_JIS);
        assert_eq!(decode_all(&sjis, SHIFT_JIS).unwrap(), "氏名,住所\n山田,東京都\n");
        let bom = [&[0xEF, 0xBB, 0xBF][..], "a,b\n".as_bytes()].concat();
        assert_eq!(detect_encoding(&bom), UTF_8);
        assert_eq!(decode_all(&bom, UTF_8).unwrap(), "a,b\n");
    }

    proptest::proptest! {
        /// Detection and strict decoding of any bytes give text or an error with a line, never a
        /// panic.
        #[test]
        fn any_bytes_decode_or_fail_cleanly(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let enc = detect_encoding(&bytes);
            match decode_all(&bytes, enc) {
                Ok(text) => proptest::prop_assert!(!text.contains("\r\n")),
                Err(e) => {
                    let inner = e.into_inner().unwrap().downcast::<DecodeError>().unwrap();
                    proptest::prop_assert!(inner.line >= 1);
                }
            }
        }
    }

    #[test]
    fn a_bad_byte_is_blamed_on_the_files_real_encoding() {
        // UTF-8 with Japanese text and one broken byte deep in it: still UTF-8.
        let mut utf8 = "氏名,住所\n山田,東京都\n".repeat(50).into_bytes();
        utf8.insert(400, 0xFF);
        assert_eq!(detect_encoding(&utf8), UTF_8);
        let err = decode_all(&utf8, detect_encoding(&utf8)).unwrap_err();
        let inner = err.into_inner().unwrap().downcast::<DecodeError>().unwrap();
        assert!(inner.line > 1 && inner.encoding == "UTF-8", "{inner}");
        // CP932 with one broken byte deep in it: still CP932.
        let text = "氏名,住所\n山田,東京都\n".repeat(50);
        let mut sjis = SHIFT_JIS.encode(&text).0.into_owned();
        sjis.insert(300, 0xFF);
        assert_eq!(detect_encoding(&sjis), SHIFT_JIS);
        // ASCII then a byte neither reads: the legacy default, CP932.
        assert_eq!(detect_encoding(b"a,b\n1,2\n\xff\xff"), SHIFT_JIS);
    }

    #[test]
    fn crlf_becomes_lf_across_chunks() {
        let mut out = vec![0u8; 16];
        let mut carry = false;
        let n = normalize_newlines(b"a\r\nb\r", &mut out, &mut carry, false);
        assert_eq!(&out[..n], b"a\nb");
        assert!(carry);
        let n = normalize_newlines(b"\nc\rd", &mut out, &mut carry, true);
        assert_eq!(&out[..n], b"\nc\rd");
        assert_eq!(decode_all(b"x\r\ny\r\n", UTF_8).unwrap(), "x\ny\n");
        assert_eq!(decode_all(b"x\ry\r", UTF_8).unwrap(), "x\ry\n", "a CR ending the file ends its line");
    }

    #[test]
    fn reports_line_of_bad_bytes() {
        let (sjis, _, _) = SHIFT_JIS.encode("a\nb\n山田\n");
        let err = decode_all(&sjis, UTF_8).unwrap_err();
        let inner = err.into_inner().unwrap().downcast::<DecodeError>().unwrap();
        assert_eq!(inner.line, 3);
    }
}
