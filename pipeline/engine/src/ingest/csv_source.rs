//! CSV input: strict decoding, RFC 4180 quoting (embedded newlines), fixed field count.
//!
//! One thread reads the file and cuts it into chunks of whole records with a quote-aware scan
//! (a newline inside a quoted field does not end a record); each chunk is then decoded and parsed
//! on its own, on any thread, into a columnar batch. Chunks start on known lines, so every error
//! still names its physical line. Both encodings keep `"`, `\n`, `,` and tab as single bytes that
//! never occur inside a multi-byte character, so raw bytes can be cut before decoding; with CP932
//! and a delimiter that may be the second byte of a character, the reader decodes first.

use super::decode::{DecodingReader, encoding_name, resolve};
use super::direct::{DirectRead, InputFile};
use super::{BATCH_ROWS, RawBatch, ReadStats, Source, Task};
use crate::EngineError;
use crate::error::{ExitCode, io_err};
use encoding_rs::{DecoderResult, Encoding as Enc, SHIFT_JIS, UTF_8};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokumei_rules::Encoding;

/// Bytes read from the file at a time, and the size a chunk grows to before it is cut.
const CHUNK_BYTES: usize = 4 << 20;

/// [`CHUNK_BYTES`], or in builds with debug assertions `TOKUMEI_TEST_CHUNK_BYTES` when set (a
/// test of a file of many batches without a file of many megabytes).
fn chunk_bytes() -> usize {
    #[cfg(debug_assertions)]
    if let Some(n) = std::env::var("TOKUMEI_TEST_CHUNK_BYTES").ok().and_then(|v| v.parse().ok()) {
        return n;
    }
    CHUNK_BYTES
}

/// A CSV file being read.
pub struct CsvSource {
    reader: Box<dyn Read + Send>,
    header: Vec<String>,
    stats: ReadStats,
    size: Option<u64>,
    used: &'static str,
    ctx: Arc<ChunkCtx>,
    /// Bytes read and not yet cut off as a chunk; `buf[0]` starts a record on line `line`.
    buf: Vec<u8>,
    line: u64,
    scanner: Scanner,
    /// Bytes read at a time, and the size a chunk grows to before it is cut.
    chunk_bytes: usize,
    eof: bool,
    done: bool,
}

/// What decoding and parsing a chunk needs.
struct ChunkCtx {
    path: PathBuf,
    /// Encoding of the raw bytes.
    enc: &'static Enc,
    /// The chunks are already UTF-8 with LF line ends (the reader decoded them).
    decoded: bool,
    /// Encoding as configured (for the hint of a decoding error).
    configured: Encoding,
    delimiter: u8,
    /// Fields per record (the header's), or 0 while reading the header.
    fields: usize,
}

/// Feeds every byte read to the running hash.
struct Hashing {
    file: InputFile,
    stats: ReadStats,
}

impl Read for Hashing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.stats.update(&buf[..n]);
        Ok(n)
    }
}

impl CsvSource {
    /// Open `path`, detect or apply the encoding and read the header.
    pub fn open(path: &Path, encoding: Encoding, delimiter: u8) -> Result<Self, EngineError> {
        let input_err = |message: String| EngineError::Input { file: path.to_path_buf(), message };
        if matches!(delimiter, b'"' | b'\n' | b'\r') || !delimiter.is_ascii() {
            return Err(EngineError::Config(
                "the delimiter must be an ASCII character other than a quote or line break".into(),
            ));
        }
        let mut file = File::open(path).map_err(io_err(ExitCode::Input, path, "cannot open"))?;
        let size = file.metadata().ok().map(|m| m.len());
        let mut prefix = vec![0u8; 1 << 20];
        let mut n = 0;
        loop {
            let r = file.read(&mut prefix[n..]).map_err(io_err(ExitCode::Input, path, "cannot read"))?;
            n += r;
            if r == 0 || n == prefix.len() {
                break;
            }
        }
        prefix.truncate(n);
        if n == 0 {
            return Err(input_err("is empty".into()));
        }
        let enc = resolve(encoding, &prefix);
        let stats = ReadStats::default();
        let mode = DirectRead::from_env().map_err(EngineError::Config)?;
        let file = InputFile::new(file, size.map(|s| s.saturating_sub(n as u64)), mode);
        // A CP932 trail byte may equal a delimiter from 0x40 up: cut such files after decoding.
        let decoded = enc == SHIFT_JIS && delimiter >= 0x40;
        let (reader, buf): (Box<dyn Read + Send>, Vec<u8>) = if decoded {
            (Box::new(DecodingReader::new(file, prefix, enc, stats.clone())), Vec::new())
        } else {
            stats.update(&prefix);
            if enc == UTF_8 && prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
                prefix.drain(..3);
            }
            (Box::new(Hashing { file, stats: stats.clone() }), prefix)
        };
        let ctx = ChunkCtx { path: path.to_path_buf(), enc, decoded, configured: encoding, delimiter, fields: 0 };
        let mut source = CsvSource {
            reader,
            header: Vec::new(),
            stats,
            size,
            used: encoding_name(enc),
            ctx: Arc::new(ctx),
            buf,
            line: 1,
            scanner: Scanner::new(delimiter),
            chunk_bytes: chunk_bytes(),
            eof: false,
            done: false,
        };
        source.read_header()?;
        Ok(source)
    }

    /// Read the header: the first record that is not an empty line.
    fn read_header(&mut self) -> Result<(), EngineError> {
        loop {
            let Some((chunk, first, last)) = self.cut(1)? else {
                self.header = Vec::new();
                return Ok(());
            };
            let batch = parse_chunk(chunk, &self.ctx, first, last)?;
            if let RawBatch::Csv { text, bounds, .. } = &batch
                && bounds.len() > 1
            {
                let fields = bounds.len() - 1;
                self.header = (0..fields)
                    .map(|i| {
                        let (a, b) = (bounds[i] as usize, (bounds[i + 1] as usize).saturating_sub(1));
                        text.get(a..b).unwrap_or_default().trim().to_string()
                    })
                    .collect();
                // The data's chunks are parsed against the header's field count.
                let ctx = ChunkCtx {
                    path: self.ctx.path.clone(),
                    enc: self.ctx.enc,
                    decoded: self.ctx.decoded,
                    configured: self.ctx.configured,
                    delimiter: self.ctx.delimiter,
                    fields,
                };
                self.ctx = Arc::new(ctx);
                return Ok(());
            }
            if last {
                return Ok(());
            }
        }
    }

    /// Cut the next chunk of whole records: at least `records` records or `CHUNK_BYTES` bytes
    /// (whichever comes first), or the rest of the file. Returns the bytes, the line they start
    /// on and whether they are the last.
    fn cut(&mut self, records: usize) -> Result<Option<(Vec<u8>, u64, bool)>, EngineError> {
        if self.done {
            return Ok(None);
        }
        let (mut end, mut found) = (None, 0usize);
        loop {
            while let Some(b) = self.scanner.next_boundary(&self.buf) {
                end = Some(b);
                found += 1;
                if found >= records || b >= self.chunk_bytes {
                    break;
                }
            }
            if end.is_some_and(|e| found >= records || e >= self.chunk_bytes) || self.eof {
                break;
            }
            self.fill()?;
        }
        let (chunk, last, newlines) = match end {
            // At the end of the file the data's last chunk takes the rest, cut or not.
            Some(e) if !(self.eof && records == usize::MAX) => {
                // The rest goes to a buffer with room for the next read, so it is copied once.
                let mut rest = Vec::with_capacity(self.buf.len() - e + self.chunk_bytes);
                rest.extend_from_slice(&self.buf[e..]);
                self.buf.truncate(e);
                let newlines = self.scanner.newlines_at_end;
                self.scanner.cut(e);
                (std::mem::replace(&mut self.buf, rest), false, newlines)
            }
            _ => {
                self.done = true;
                let chunk = std::mem::take(&mut self.buf);
                let newlines = count_newlines(&chunk);
                (chunk, true, newlines)
            }
        };
        if chunk.is_empty() && last {
            return Ok(None);
        }
        let first = self.line;
        self.line += newlines;
        Ok(Some((chunk, first, last)))
    }

    /// Read more bytes into the buffer.
    fn fill(&mut self) -> Result<(), EngineError> {
        let (start, want) = (self.buf.len(), self.chunk_bytes);
        self.buf.resize(start + want, 0);
        let mut n = 0;
        while n < want {
            match self.reader.read(&mut self.buf[start + n..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(r) => n += r,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(start + n);
                    return Err(read_error(&self.ctx, e));
                }
            }
        }
        self.buf.truncate(start + n);
        Ok(())
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// The hint on a decoding error: where the encoding came from.
fn encoding_hint(configured: Encoding) -> &'static str {
    match configured {
        Encoding::Auto => " (detected from the start of the file; set `encoding` in the job's [input])",
        _ => " (set by the job's [input] encoding; try `auto`)",
    }
}

/// An error while reading: a decoding error of the reader (CP932 decoded before cutting) with
/// its line, or an I/O error.
fn read_error(ctx: &ChunkCtx, e: std::io::Error) -> EngineError {
    let message = match e.get_ref().and_then(|i| i.downcast_ref::<super::decode::DecodeError>()) {
        Some(d) => format!("{d}{}", encoding_hint(ctx.configured)),
        None => format!("cannot read: {e}"),
    };
    EngineError::Input { file: ctx.path.clone(), message }
}

/// Where a quote-aware scan stands: csv_core's record boundaries (RFC 4180, `""` inside quotes,
/// a quote that opens a field only at its start) found with a byte search for quotes and line
/// feeds (a quote opens a field when it comes first in a record or right after a delimiter).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scan {
    /// At the start of a record.
    RecordStart,
    /// Inside a record, not inside quotes.
    Unquoted,
    /// Inside quotes.
    Quoted,
    /// Just after a quote inside quotes: `""` or the field's closing quote.
    Closing,
}

/// Finds the ends of records in a growing buffer, counting line feeds as it goes.
struct Scanner {
    state: Scan,
    /// Scanned up to here.
    pos: usize,
    delimiter: u8,
    /// Line feeds in the buffer before `pos`, and before the last record end returned.
    newlines: u64,
    newlines_at_end: u64,
}

impl Scanner {
    fn new(delimiter: u8) -> Self {
        Scanner { state: Scan::RecordStart, pos: 0, delimiter, newlines: 0, newlines_at_end: 0 }
    }

    /// The next record end in `buf` after `pos` (just after its newline), or `None` when the
    /// bytes scanned so far end inside a record.
    fn next_boundary(&mut self, buf: &[u8]) -> Option<usize> {
        while self.pos < buf.len() {
            let i = self.pos;
            match self.state {
                Scan::Quoted => match memchr::memchr(b'"', &buf[i..]) {
                    Some(j) => {
                        self.newlines += count_newlines(&buf[i..i + j]);
                        self.pos = i + j + 1;
                        self.state = Scan::Closing;
                    }
                    None => {
                        self.newlines += count_newlines(&buf[i..]);
                        self.pos = buf.len();
                    }
                },
                Scan::Closing if buf[i] == b'"' => {
                    self.pos = i + 1;
                    self.state = Scan::Quoted;
                }
                Scan::Closing => self.state = Scan::Unquoted,
                Scan::RecordStart | Scan::Unquoted => match memchr::memchr2(b'"', b'\n', &buf[i..]) {
                    Some(j) if buf[i + j] == b'\n' => {
                        self.pos = i + j + 1;
                        self.newlines += 1;
                        self.newlines_at_end = self.newlines;
                        self.state = Scan::RecordStart;
                        return Some(self.pos);
                    }
                    Some(j) => {
                        let q = i + j;
                        let opens =
                            (self.state == Scan::RecordStart && j == 0) || (q > 0 && buf[q - 1] == self.delimiter);
                        self.pos = q + 1;
                        self.state = if opens { Scan::Quoted } else { Scan::Unquoted };
                    }
                    None => {
                        self.pos = buf.len();
                        self.state = Scan::Unquoted;
                    }
                },
            }
        }
        None
    }

    /// The buffer was cut at the last record end returned: what remains starts there.
    fn cut(&mut self, at: usize) {
        self.pos -= at;
        self.newlines -= self.newlines_at_end;
        self.newlines_at_end = 0;
    }
}

/// Decode and parse one chunk of whole records starting on line `first`.
fn parse_chunk(mut chunk: Vec<u8>, ctx: &ChunkCtx, first: u64, last: bool) -> Result<RawBatch, EngineError> {
    // CR and LF are single bytes in both encodings (never a CP932 trail byte), so line ends are
    // made LF before decoding; chunks the reader decoded have LF line ends already.
    if !ctx.decoded && memchr::memchr(b'\r', &chunk).is_some() {
        crlf_to_lf(&mut chunk);
    }
    if last && !chunk.is_empty() && chunk.last() != Some(&b'\n') {
        chunk.push(b'\n'); // every record ends the same way
    }
    let bad = |line: u64| EngineError::Input {
        file: ctx.path.clone(),
        message: format!(
            "line {line}: bytes are not valid {}{}",
            encoding_name(ctx.enc),
            encoding_hint(ctx.configured)
        ),
    };
    let batch = |text: String, bounds: Vec<u32>, lines: Vec<u64>| {
        let fields = if ctx.fields > 0 { ctx.fields } else { bounds.len() - 1 };
        RawBatch::Csv { text, bounds, fields, lines }
    };
    if ctx.decoded || ctx.enc == UTF_8 {
        let Ok(text) = simdutf8::basic::from_utf8(&chunk) else {
            let valid = std::str::from_utf8(&chunk).err().map_or(chunk.len(), |e| e.valid_up_to());
            return Err(bad(first + count_newlines(&chunk[..valid])));
        };
        let (out, bounds, lines) = parse_records(text, ctx, first)?;
        return Ok(batch(out.unwrap_or_else(|| text.to_owned()), bounds, lines));
    }
    // Decoded into this thread's scratch text, sized for the worst case once, then copied at
    // its own size: a fresh buffer per chunk of the worst-case size touched new memory (the
    // kernel clearing its pages) every time.
    DECODED.with_borrow_mut(|text| {
        text.clear();
        let mut decoder = ctx.enc.new_decoder_without_bom_handling();
        let cap = decoder.max_utf8_buffer_length_without_replacement(chunk.len()).unwrap_or(chunk.len() * 3 + 16);
        text.reserve(cap);
        let (res, _) = decoder.decode_to_string_without_replacement(&chunk, text, true);
        if res != DecoderResult::InputEmpty {
            return Err(bad(first + count_newlines(text.as_bytes())));
        }
        let (out, bounds, lines) = parse_records(text, ctx, first)?;
        Ok(batch(out.unwrap_or_else(|| text.as_str().to_owned()), bounds, lines))
    })
}

thread_local! {
    /// A thread's text decoded from CP932, reused chunk after chunk.
    static DECODED: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Turn every CRLF into LF in place, so line numbers count one way for every file. The text
/// between CRs moves in long runs.
fn crlf_to_lf(text: &mut Vec<u8>) {
    let (mut w, mut from) = (0usize, 0usize);
    for r in memchr::memchr_iter(b'\r', text.as_slice()).collect::<Vec<_>>() {
        if text.get(r + 1) == Some(&b'\n') {
            text.copy_within(from..r, w);
            w += r - from;
            from = r + 1;
        }
    }
    let len = text.len();
    text.copy_within(from..len, w);
    text.truncate(w + len - from);
}

/// Bit `i` is set when `block[i]` is the delimiter, a line feed or a quote: the bytes the
/// parser stops at. (Written so that the compiler turns it into vector compares.)
fn special_bits(block: &[u8; 64], delimiter: u8) -> u64 {
    let mut hit = [0u8; 64];
    for (h, &b) in hit.iter_mut().zip(block) {
        *h = u8::from((b == delimiter) | (b == b'\n') | (b == b'"'));
    }
    let mut bits = 0u64;
    for (k, eight) in hit.chunks_exact(8).enumerate() {
        let v = u64::from_le_bytes(eight.try_into().expect("eight bytes"));
        // Moves the low bit of each of the eight bytes into the top byte, in order.
        bits |= (v.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
    }
    bits
}

/// The positions of the delimiters, line feeds and quotes of a text, in order, found 64 bytes
/// at a time.
struct Specials<'a> {
    bytes: &'a [u8],
    delimiter: u8,
    /// Start of the current block.
    base: usize,
    /// The current block's specials not yet returned.
    bits: u64,
}

impl<'a> Specials<'a> {
    fn new(bytes: &'a [u8], delimiter: u8) -> Self {
        let mut s = Specials { bytes, delimiter, base: 0, bits: 0 };
        s.load();
        s
    }

    fn load(&mut self) {
        let rest = self.bytes.get(self.base..).unwrap_or_default();
        self.bits = match rest.first_chunk::<64>() {
            Some(block) => special_bits(block, self.delimiter),
            None => {
                let mut block = [0u8; 64];
                block[..rest.len()].copy_from_slice(rest);
                special_bits(&block, self.delimiter) & ((1u64 << rest.len()) - 1)
            }
        };
    }

    /// The next special byte's position.
    fn next(&mut self) -> Option<usize> {
        loop {
            if self.bits != 0 {
                let i = self.bits.trailing_zeros() as usize;
                self.bits &= self.bits - 1;
                return Some(self.base + i);
            }
            self.base += 64;
            if self.base >= self.bytes.len() {
                return None;
            }
            self.load();
        }
    }
}

/// Where the parser stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    /// Before a record: empty lines are skipped.
    Record,
    /// In a field that is not quoted (or at its start).
    Field,
    /// Inside quotes; the text since `copied` is not yet in the output.
    Quoted,
    /// After a field's closing quote: more text of the field, not quoted.
    Tail,
}

/// Parse the records of `text` (LF line ends, ends with a newline) the way csv_core reads them
/// (RFC 4180: a quote opens a field only at its start, `""` inside quotes is a quote, text after
/// a closing quote belongs to the field), into the batch's text and bounds: each field followed
/// by one separator byte (see [`RawBatch::Csv`]). Records without quotes are that already, so
/// the text is copied in long runs, and not at all when every record is plain (`None`: the
/// batch's text is `text`). Empty lines and lines of spaces are skipped; a record with another
/// field count than the header's is an error at its line.
#[allow(clippy::type_complexity)]
fn parse_records(text: &str, ctx: &ChunkCtx, first: u64) -> Result<(Option<String>, Vec<u32>, Vec<u64>), EngineError> {
    let bytes = text.as_bytes();
    let mut p = Parser {
        text,
        ctx,
        out: String::new(),
        pending: 0,
        bounds: Vec::with_capacity(BATCH_ROWS * ctx.fields.max(1) + 1),
        lines: Vec::with_capacity(BATCH_ROWS),
        line: first,
        rec_start: 0,
        rec_line: first,
        rec_bounds: 0,
        rec_out: 0,
        quoted_field: false,
    };
    let mut specials = Specials::new(bytes, ctx.delimiter);
    let (mut at, mut start, mut copied) = (At::Record, 0usize, 0usize);
    while let Some(i) = specials.next() {
        let b = bytes[i];
        if at == At::Record {
            if b == b'\n' && i == start {
                // An empty line: left out of the batch's text.
                p.flush(start);
                p.pending = i + 1;
                p.line += 1;
                start = i + 1;
                continue;
            }
            p.begin_record(start);
            p.begin_field(start)?;
            at = At::Field;
        }
        match at {
            At::Record => {}
            At::Field if b == b'"' => {
                if i == start {
                    // An opening quote: the field's text goes to the output unquoted.
                    p.flush(start);
                    p.quoted_field = true;
                    copied = i + 1;
                    at = At::Quoted;
                }
            }
            At::Field => {
                if b == ctx.delimiter {
                    start = i + 1;
                    p.begin_field(start)?;
                } else {
                    p.line += 1;
                    p.end_record(i, &text[start..i])?;
                    start = i + 1;
                    at = At::Record;
                }
            }
            At::Quoted => match b {
                b'"' if bytes.get(i + 1) == Some(&b'"') => {
                    p.out.push_str(&text[copied..=i]);
                    copied = i + 2;
                    specials.next(); // the second quote
                }
                b'"' => {
                    p.out.push_str(&text[copied..i]);
                    copied = i + 1;
                    at = At::Tail;
                }
                b'\n' => p.line += 1,
                _ => {}
            },
            At::Tail if b == b'"' => {}
            At::Tail => {
                p.out.push_str(&text[copied..i]);
                p.out.push(b as char);
                p.pending = i + 1;
                if b == ctx.delimiter {
                    start = i + 1;
                    p.begin_field(start)?;
                    at = At::Field;
                } else {
                    p.line += 1;
                    p.end_record(i, "")?;
                    start = i + 1;
                    at = At::Record;
                }
            }
        }
    }
    // The end of the text inside a record (only when it does not end with a newline, or a
    // quote is left open): the record ends there.
    let end = text.len();
    match at {
        At::Record if start < end => {
            p.begin_record(start);
            p.begin_field(start)?;
            p.flush(end);
            p.out.push('\n');
            p.pending = end;
            p.end_record(end, &text[start..end])?;
        }
        At::Record => {}
        At::Field => {
            p.flush(end);
            p.out.push('\n');
            p.pending = end;
            p.end_record(end, &text[start..end])?;
        }
        At::Quoted | At::Tail => {
            p.out.push_str(&text[copied..end]);
            p.out.push('\n');
            p.pending = end;
            p.end_record(end, "")?;
        }
    }
    let plain = p.out.is_empty() && p.pending == 0;
    if !plain {
        p.flush(end);
    }
    let total = p.bound(if plain { end } else { p.out.len() })?;
    p.bounds.push(total);
    Ok(((!plain).then_some(p.out), p.bounds, p.lines))
}

/// The state of [`parse_records`] that outlives one byte.
struct Parser<'a> {
    text: &'a str,
    ctx: &'a ChunkCtx,
    /// The batch's text so far, except `text[pending..]`, which is copied as it is when a record
    /// that is not plain (or the end) comes.
    out: String,
    pending: usize,
    bounds: Vec<u32>,
    lines: Vec<u64>,
    /// The line of the next byte.
    line: u64,
    /// The current record: where it starts in `text`, its line, its first bound and where it
    /// starts in the output.
    rec_start: usize,
    rec_line: u64,
    rec_bounds: usize,
    rec_out: usize,
    /// Whether the current record's last field was quoted.
    quoted_field: bool,
}

impl Parser<'_> {
    /// Copy `text[pending..to]` to the output.
    fn flush(&mut self, to: usize) {
        if self.out.capacity() == 0 {
            // The output is never longer than the text and its final newline: one allocation.
            self.out.reserve(self.text.len() + 1);
        }
        if to > self.pending {
            self.out.push_str(&self.text[self.pending..to]);
            self.pending = to;
        }
    }

    /// The output position of `text[at]` (at or after `pending`).
    fn out_pos(&self, at: usize) -> usize {
        self.out.len() + at - self.pending
    }

    /// A bound, or the error of a record too long for one.
    fn bound(&self, at: usize) -> Result<u32, EngineError> {
        u32::try_from(at).map_err(|_| EngineError::Input {
            file: self.ctx.path.clone(),
            message: format!("line {}: a record longer than 4 GiB", self.rec_line),
        })
    }

    fn begin_record(&mut self, start: usize) {
        self.rec_start = start;
        self.rec_line = self.line;
        self.rec_bounds = self.bounds.len();
        self.rec_out = self.out_pos(start);
    }

    fn begin_field(&mut self, start: usize) -> Result<(), EngineError> {
        self.quoted_field = false;
        let b = self.bound(self.out_pos(start))?;
        self.bounds.push(b);
        Ok(())
    }

    /// The record ends at the line feed at `nl` (its text written up to there); `plain_last` is
    /// its last field's text when that field was not quoted.
    fn end_record(&mut self, nl: usize, plain_last: &str) -> Result<(), EngineError> {
        let fields = self.bounds.len() - self.rec_bounds;
        let expected = self.ctx.fields;
        if expected > 0 && fields == 1 {
            let only = if self.quoted_field {
                let from = self.bounds[self.rec_bounds] as usize;
                self.out.get(from..self.out.len().saturating_sub(1)).unwrap_or_default()
            } else {
                plain_last
            };
            if only.bytes().all(|b| b.is_ascii_whitespace()) {
                // A line of spaces: left out.
                if self.pending <= self.rec_start {
                    self.flush(self.rec_start);
                } else {
                    self.out.truncate(self.rec_out);
                }
                self.pending = nl + 1;
                self.bounds.truncate(self.rec_bounds);
                return Ok(());
            }
        }
        if expected > 0 && fields != expected {
            let message = format!("line {}: has {fields} fields, the header has {expected}", self.rec_line);
            return Err(EngineError::Input { file: self.ctx.path.clone(), message });
        }
        self.lines.push(self.rec_line);
        Ok(())
    }
}

impl Source for CsvSource {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_batch(&mut self) -> Result<Option<RawBatch>, EngineError> {
        match self.next_task()? {
            Some(task) => task().map(Some),
            None => Ok(None),
        }
    }

    fn next_task(&mut self) -> Result<Option<Task>, EngineError> {
        let Some((chunk, first, last)) = self.cut(usize::MAX)? else { return Ok(None) };
        let ctx = self.ctx.clone();
        Ok(Some(Box::new(move || parse_chunk(chunk, &ctx, first, last))))
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

    /// The parser this module had before (csv_core's DFA, fields unquoted into a new text with
    /// contiguous bounds): the reference the parser is held to.
    ///
    /// Parse the records of `text` (UTF-8, LF line ends, ends with a newline) into a columnar batch.
    /// Empty lines and lines of spaces are skipped; a record with another field count than the
    /// header's is an error at its line.
    fn csv_core_records(text: &[u8], ctx: &ChunkCtx, first: u64) -> Result<RawBatch, EngineError> {
        let mut reader = csv_core::ReaderBuilder::new()
            .delimiter(ctx.delimiter)
            .terminator(csv_core::Terminator::Any(b'\n'))
            .build();
        // Unquoting only removes bytes: the fields fit in the text's length.
        let mut out = vec![0u8; text.len() + 1];
        let mut ends = vec![0usize; ctx.fields.max(1) + 1];
        let mut bounds: Vec<u32> = Vec::with_capacity(BATCH_ROWS * ctx.fields.max(1) + 1);
        bounds.push(0);
        let mut lines = Vec::with_capacity(BATCH_ROWS);
        let (mut pos, mut out_len, mut nends, mut line) = (0usize, 0usize, 0usize, first);
        let mut record_start = 0usize;
        loop {
            let (res, nin, nout, nend) = reader.read_record(&text[pos..], &mut out[out_len..], &mut ends[nends..]);
            pos += nin;
            out_len += nout;
            nends += nend;
            match res {
                // The next call passes no input: the end of the chunk.
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull => {
                    return Err(EngineError::Internal("CSV output buffer full".into()));
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let n = ends.len();
                    ends.resize(n * 2, 0);
                }
                csv_core::ReadRecordResult::Record => {
                    let span = &text[record_start..pos];
                    record_start = pos;
                    let rec = Parsed { span, ends: &ends[..nends], out: &out[..out_len] };
                    push_record(ctx, rec, &mut line, &mut bounds, &mut lines, &mut out_len)?;
                    nends = 0;
                }
                csv_core::ReadRecordResult::End => break,
            }
        }
        out.truncate(out_len);
        // UTF-8 in, only ASCII quotes and delimiters taken out: UTF-8 out, checked once here (not
        // field by field) so the batch holds a `String`.
        let text = simdutf8::basic::from_utf8(&out)
            .map_err(|_| EngineError::Internal("parsed CSV fields are not UTF-8".into()))?
            .to_owned();
        let fields = if ctx.fields > 0 { ctx.fields } else { bounds.len() - 1 };
        Ok(RawBatch::Csv { text, bounds, fields, lines })
    }

    /// One record as parsed: its bytes in the text, its field ends (relative to where its output
    /// began) and the output so far.
    struct Parsed<'a> {
        span: &'a [u8],
        ends: &'a [usize],
        out: &'a [u8],
    }

    /// Add one parsed record to the batch, or skip it when it is one field of spaces. While reading
    /// the header (no field count yet) every field is taken.
    fn push_record(
        ctx: &ChunkCtx,
        rec: Parsed,
        line: &mut u64,
        bounds: &mut Vec<u32>,
        lines: &mut Vec<u64>,
        out_len: &mut usize,
    ) -> Result<(), EngineError> {
        // Empty lines before the record were skipped by the parser: it starts after them.
        let blank = rec.span.iter().take_while(|b| **b == b'\n').count() as u64;
        let start = *line + blank;
        *line += count_newlines(rec.span);
        let base = *bounds.last().unwrap_or(&0) as usize;
        if ctx.fields > 0 && rec.ends.len() == 1 && rec.out[base..].iter().all(|b| b.is_ascii_whitespace()) {
            *out_len = base; // a line of spaces
            return Ok(());
        }
        if ctx.fields > 0 && rec.ends.len() != ctx.fields {
            let message = format!("line {start}: has {} fields, the header has {}", rec.ends.len(), ctx.fields);
            return Err(EngineError::Input { file: ctx.path.clone(), message });
        }
        for e in rec.ends {
            let end = u32::try_from(base + e).map_err(|_| EngineError::Input {
                file: ctx.path.clone(),
                message: format!("line {start}: a record longer than 4 GiB"),
            })?;
            bounds.push(end);
        }
        lines.push(start);
        Ok(())
    }

    /// The records' lines and all their fields (empty ones too), or the error's message. `gap`
    /// is the bytes between a field's end and the next field's start: 1 for the parser (a
    /// separator), 0 for the reference.
    #[allow(clippy::type_complexity)]
    fn records(batch: Result<RawBatch, EngineError>, gap: usize) -> Result<(Vec<u64>, Vec<String>), String> {
        let batch = batch.map_err(|e| e.to_string())?;
        let RawBatch::Csv { text, bounds, lines, .. } = &batch else { panic!() };
        let fields = bounds.windows(2).map(|w| text[w[0] as usize..w[1] as usize - gap].to_string()).collect();
        Ok((lines.clone(), fields))
    }

    fn ctx(fields: usize, delimiter: u8) -> ChunkCtx {
        ChunkCtx {
            path: PathBuf::from("t.csv"),
            enc: UTF_8,
            decoded: false,
            configured: Encoding::Utf8,
            delimiter,
            fields,
        }
    }

    #[test]
    fn crlf_becomes_lf_and_lone_crs_stay() {
        for (text, want) in [
            ("a\r\nb\r\n", "a\nb\n"),
            ("\r\n\r\n", "\n\n"),
            ("a\rb\r", "a\rb\r"),
            ("\r\r\n\r", "\r\n\r"),
            ("", ""),
            ("氏\r\n名", "氏\n名"),
        ] {
            let mut bytes = text.as_bytes().to_vec();
            crlf_to_lf(&mut bytes);
            assert_eq!(String::from_utf8(bytes).unwrap(), want, "{text:?}");
        }
    }

    #[test]
    fn special_bits_mark_delimiters_line_feeds_and_quotes_in_order() {
        let mut block = [b'x'; 64];
        for (i, b) in block.iter_mut().enumerate() {
            *b = [b'a', b';', b'\n', b'"', 0xE3, b',', 0][i * 7 % 7 + i % 7];
        }
        let want =
            block.iter().enumerate().fold(0u64, |m, (i, b)| m | (u64::from(matches!(b, b';' | b'\n' | b'"')) << i));
        assert_eq!(special_bits(&block, b';'), want);
        assert_eq!(special_bits(&[b'"'; 64], b','), u64::MAX);
        assert_eq!(special_bits(&[b'a'; 64], b','), 0);
        let mut one = [b'a'; 64];
        one[63] = b',';
        assert_eq!(special_bits(&one, b','), 1 << 63);
    }

    #[test]
    fn plain_records_keep_their_text_and_others_are_rewritten() {
        let c = ctx(2, b',');
        let (out, bounds, lines) = parse_records("a,b\nc,d\n", &c, 2).unwrap();
        assert!(out.is_none(), "plain records are the batch's text as read");
        assert_eq!((bounds, lines), (vec![0, 2, 4, 6, 8], vec![2, 3]));
        let (out, bounds, lines) = parse_records("a,\"b\"\"\n\"\n\n  \nc,d\n", &c, 2).unwrap();
        assert_eq!(out.as_deref(), Some("a,b\"\n\nc,d\n"));
        assert_eq!((bounds, lines), (vec![0, 2, 6, 8, 10], vec![2, 6]));
    }

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
        assert_eq!(lines_of("\n\na,b\n1,2\n"), vec![4]);
        assert_eq!(lines_of("a,b\n1,2\n  \n3,4\n"), vec![2, 4]);
    }

    /// Header and (line, fields) of each record.
    type Read = Result<(Vec<String>, Vec<(u64, Vec<String>)>), ()>;

    /// Records as the `csv` crate reads the whole text in one go: the reference the chunked
    /// reader must match.
    fn reference(text: &str, delimiter: u8) -> Read {
        // As tokumei always has: the last record ends with a newline.
        let mut text = text.replace("\r\n", "\n");
        if !text.ends_with('\n') {
            text.push('\n');
        }
        let mut r = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(std::io::Cursor::new(text.into_bytes()));
        let header: Vec<String> = r.headers().map_err(|_| ())?.iter().map(|h| h.trim().to_string()).collect();
        let mut rows = Vec::new();
        let mut rec = csv::StringRecord::new();
        while r.read_record(&mut rec).map_err(|_| ())? {
            if rec.len() == 1 && rec[0].trim().is_empty() {
                continue;
            }
            if rec.len() != header.len() {
                return Err(());
            }
            let reported = rec.position().map_or(0, |p| p.line());
            let inner: u64 = rec.iter().map(|f| f.bytes().filter(|b| *b == b'\n').count() as u64).sum();
            let line = reported.max(r.position().line().saturating_sub(inner + 1));
            rows.push((line, rec.iter().map(str::to_string).collect()));
        }
        Ok((header, rows))
    }

    fn chunked(bytes: &[u8], delimiter: u8, chunk_bytes: usize) -> Read {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, bytes).unwrap();
        let mut s = CsvSource::open(&p, Encoding::Utf8, delimiter).map_err(|_| ())?;
        s.chunk_bytes = chunk_bytes;
        let header = s.header().to_vec();
        let mut rows = Vec::new();
        while let Some(batch) = s.next_batch().map_err(|_| ())? {
            let RawBatch::Csv { text, bounds, fields, lines } = &batch else { panic!() };
            for (r, line) in lines.iter().enumerate() {
                let row = (0..*fields)
                    .map(|c| text[bounds[r * fields + c] as usize..bounds[r * fields + c + 1] as usize - 1].to_string())
                    .collect();
                rows.push((*line, row));
            }
        }
        Ok((header, rows))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The parser reads every text as the csv_core reader it replaced: the same records,
        /// fields and lines, or the same error.
        #[test]
        fn the_parser_reads_like_csv_core(
            body in proptest::collection::vec(proptest::prop_oneof![
                proptest::prelude::Just("\"".to_string()), proptest::prelude::Just("\"\"".to_string()),
                proptest::prelude::Just(",".to_string()), proptest::prelude::Just(";".to_string()),
                proptest::prelude::Just("\n".to_string()), proptest::prelude::Just("\r".to_string()),
                proptest::prelude::Just(" ".to_string()), proptest::prelude::Just("\t".to_string()),
                proptest::prelude::Just("　".to_string()), "[a-c氏]{1,70}"], 0..120),
            fields in 0usize..4,
            delimiter in proptest::prop_oneof![proptest::prelude::Just(b','), proptest::prelude::Just(b';')],
            newline_at_end in proptest::bool::ANY,
        ) {
            let mut text = body.concat();
            if newline_at_end && !text.ends_with('\n') {
                text.push('\n');
            }
            let c = ctx(fields, delimiter);
            let got = parse_records(&text, &c, 7).map(|(out, bounds, lines)| {
                let fields = if fields > 0 { fields } else { bounds.len() - 1 };
                RawBatch::Csv { text: out.unwrap_or_else(|| text.clone()), bounds, fields, lines }
            });
            let want = csv_core_records(text.as_bytes(), &c, 7);
            proptest::prop_assert_eq!(records(got, 1), records(want, 0));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// The chunked, columnar reader reads exactly what a sequential CSV reader reads: the same
        /// fields and start lines, or an error where it fails.
        #[test]
        fn chunks_read_like_one_sequential_reader(
            body in proptest::collection::vec(proptest::prop_oneof![
                proptest::prelude::Just("\"".to_string()), proptest::prelude::Just(",".to_string()),
                proptest::prelude::Just("\n".to_string()), proptest::prelude::Just("\r\n".to_string()),
                proptest::prelude::Just(" ".to_string()), "[a-c氏]{1,3}"], 0..80),
            delimiter in proptest::prop_oneof![proptest::prelude::Just(b','), proptest::prelude::Just(b';')],
            chunk_bytes in 1usize..24,
        ) {
            let text = format!("a,b,c\n{}", body.concat()).replace(',', &(delimiter as char).to_string());
            let want = reference(&text, delimiter);
            // Tiny chunks: records are cut at every possible place.
            let got = chunked(text.as_bytes(), delimiter, chunk_bytes);
            if let Ok(want) = &want {
                let mut got = got.expect("the sequential reader read it");
                // The sequential reader's line of a record left open by a quote at the end of
                // the file lags behind the empty lines before it; the chunked one's does not.
                // (Left open: an odd number of quotes, or a last field that swallowed the final
                // newline, as `a, ",,"` does: the first quote is text, the last one opens.)
                let open_at_end = text.matches('"').count() % 2 == 1
                    || want.1.last().is_some_and(|(_, f)| f.last().is_some_and(|v| v.ends_with('\n')));
                if open_at_end
                    && let (Some(g), Some(w)) = (got.1.last_mut(), want.1.last())
                {
                    proptest::prop_assert!(g.0 >= w.0);
                    g.0 = w.0;
                }
                proptest::prop_assert_eq!(&got, want);
            } else {
                proptest::prop_assert!(got.is_err());
            }
        }
    }

    #[test]
    fn records_cross_chunk_boundaries() {
        // Long quoted fields with newlines and `""` spanning the reader's blocks.
        let mut text = String::from("id,note\n");
        for i in 0..40_000 {
            text.push_str(&format!("{i},\"a \"\"q\"\"\nb {}\"\n", "x".repeat(i % 300)));
        }
        let (header, rows) = chunked(text.as_bytes(), b',', CHUNK_BYTES).unwrap();
        assert_eq!(header, ["id", "note"]);
        assert_eq!(rows.len(), 40_000);
        for (i, (line, row)) in rows.iter().enumerate() {
            assert_eq!(*line, 2 + 2 * i as u64);
            assert_eq!(row[0], i.to_string());
            assert_eq!(row[1], format!("a \"q\"\nb {}", "x".repeat(i % 300)));
        }
    }

    #[test]
    fn cp932_with_a_trail_byte_delimiter_is_decoded_before_cutting() {
        // `表` is 0x95 0x5C in CP932; with `\` as delimiter the raw bytes would split inside it.
        let text = "a\\b\n表\\\"x\"\n";
        let (bytes, _, _) = SHIFT_JIS.encode(text);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, &bytes).unwrap();
        let mut s = CsvSource::open(&p, Encoding::Cp932, b'\\').unwrap();
        let b = s.next_batch().unwrap().unwrap();
        assert_eq!(b.value(0, 0), Some("表"));
        assert_eq!(b.value(0, 1), Some("x"));
    }

    #[test]
    fn bad_bytes_are_reported_at_their_line_in_any_chunk() {
        let mut text = "a,b\n".to_string();
        for i in 0..200_000 {
            text.push_str(&format!("{i},氏名\n"));
        }
        let mut bytes = text.into_bytes();
        let at = bytes.len() - 10;
        bytes[at] = 0xFF;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, &bytes).unwrap();
        let mut s = CsvSource::open(&p, Encoding::Utf8, b',').unwrap();
        let err = loop {
            match s.next_batch() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("no error"),
                Err(e) => break e.to_string(),
            }
        };
        assert!(err.contains("line 200001: bytes are not valid UTF-8"), "{err}");
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
        fn csv_ingest_never_panics(body in proptest::collection::vec(prop_oneof![Just(b','), Just(b'"'), Just(b'\n'), Just(b'\r'), any::<u8>()], 0..600), enc in 0usize..3, delim in prop_oneof![Just(b','), Just(b'|')]) {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("f.csv");
            let mut bytes = b"a,b,c\n".to_vec();
            bytes.extend(body);
            std::fs::write(&p, &bytes).unwrap();
            let encoding = [Encoding::Auto, Encoding::Utf8, Encoding::Cp932][enc];
            if let Ok(mut s) = CsvSource::open(&p, encoding, delim) {
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
