//! The residual scan's memory: every row's identifier values (names, numbers, addresses and
//! e-mail addresses of its identifier columns) kept as keyed 64-bit hashes in unnamed files,
//! not as strings in memory, so a run holds no per-row state for the scan however many rows it
//! reads.
//!
//! Pass 1 turns each identifier value into keys ([`KeySink`]): a whole name (its parts joined,
//! and given name first) with where its parts meet, each surname and given name, each number of
//! [`scrub::MIN_IDENTIFIER_DIGITS`] digits or more, each whole address and e-mail address. The
//! keys go to files ([`KeySpill`]) under a key drawn for the run and never shown ([`KeyHasher`]
//! says what that guarantees against values made to collide). The released text is then read the other way round
//! ([`Scanner`]): every stretch of it that could be one of those values is hashed and looked up.
//! When every scanned column is a dictionary column (the usual case: generalised labels, kept
//! categories), only the keys of its distinct values' stretches are loaded back from the files,
//! a handful; a column released row by row (kept or scrubbed free text) loads them all.

use crate::scrub::{self, Compact, Found};
use rustc_hash::FxHashSet;
use std::io::{BufWriter, Seek, Write};
use tokumei_jp::names as jn;

/// Longest whole name (its parts joined, in characters) the scan looks for.
pub const MAX_WHOLE: usize = 60;

/// Longest whole name whose joins are kept (a longer one matches with a separator anywhere).
const MAX_JOINED: usize = 28;

/// Longest surname or given name (characters) the scan looks for.
const MAX_PART: usize = 28;

/// Longest address or e-mail address (bytes, normalised) the scan looks for.
const MAX_VALUE: usize = 512;

/// Longest identifier number (digits) the scan looks for, whole or inside a longer number.
const MAX_NUMBER: usize = 36;

const WHOLE: u8 = 1;
const PART: u8 = 2;
const NUMBER: u8 = 3;
const VALUE: u8 = 4;
/// An address's or e-mail address's first [`scrub::MIN_VALUE_CHARS`] characters, its payload
/// the whole value's length in bytes: a text read row by row hashes one head per character, not
/// every length at every character.
const HEAD: u8 = 5;

/// A whole name's payload: where its parts meet (bit i: between characters i-1 and i), whether
/// a part is one character, whether it is a short kana name.
const JOINS: u32 = (1 << 29) - 1;
const ONE_CHAR_PART: u32 = 1 << 29;
const SHORT_KANA: u32 = 1 << 30;
/// A whole name longer than [`MAX_JOINED`]: separators anywhere in it.
const LONG: u32 = 1 << 31;

/// A stretch of text's facts for a whole name's match (besides the gaps inside it, bit i: before
/// its character i, i < [`MAX_WHOLE`]): a kanji touches it, a letter of its own script touches
/// it before or after, and a particle or honorific follows it.
const GAPS: u64 = (1 << MAX_WHOLE) - 1;
const KANJI_TOUCHES: u64 = 1 << 60;
const SAME_BEFORE: u64 = 1 << 61;
const SAME_AFTER: u64 = 1 << 62;
const PARTICLE_AFTER: u64 = 1 << 63;

/// The run's key: 64-bit hashes of identifier values under a key drawn for the run.
///
/// The hash is foldhash (its `quality` form), seeded with 128 bits drawn for the run by
/// `rand::rng()` (a cryptographic generator the operating system seeds): a 64-bit seed expanded
/// into foldhash's shared seeds and a 64-bit per-hasher seed. It is not a cryptographic hash:
/// nothing proves that two values cannot be made to collide. What holds: every value's hash depends
/// on the seeds (no collision is known that holds whatever the seeds), on one machine the seeds
/// are never written anywhere (the keys themselves go only to unnamed files that vanish with the
/// process; a cluster's executors read the seed from an owner-only file of the run's context,
/// removed with it, and send back only the keys the scan wants) and no hash is shown to anyone,
/// so a person who writes values into an extract cannot see or try hashes to aim a collision. A
/// collision by chance between two given values has a probability of about 2^-64. In the scan's
/// look-up a collision is a false hit (the run stops); in the tables that keep a value from
/// being turned into keys twice (pass 1's `Once`) it would skip the later value's keys, a miss.
/// (SipHash-1-3 under a random 128-bit key, used before, makes the stronger claim of a
/// pseudorandom function; it cost more CPU: docs/benchmarks.md.)
#[derive(Clone)]
pub struct KeyHasher {
    seed: [u64; 2],
    per_hasher: u64,
    shared: foldhash::SharedSeed,
}

impl Default for KeyHasher {
    fn default() -> KeyHasher {
        use rand::RngExt;
        let mut seed = [0u64; 2];
        rand::rng().fill(&mut seed);
        KeyHasher::from_seed(seed)
    }
}

impl KeyHasher {
    /// A hasher under a new random seed.
    pub fn new() -> KeyHasher {
        KeyHasher::default()
    }

    /// The hasher of the 128-bit seed `seed` (one run's processes hash alike: the cluster's
    /// executors get the coordinator's seed in an owner-only file, never in a plan or a log).
    pub(crate) fn from_seed(seed: [u64; 2]) -> KeyHasher {
        KeyHasher { seed, per_hasher: seed[0], shared: foldhash::SharedSeed::from_u64(seed[1]) }
    }

    /// The seed (a secret of the run: for the cluster's context file only).
    pub(crate) fn seed(&self) -> [u64; 2] {
        self.seed
    }

    /// The hash of `value` under the run's key.
    #[inline]
    pub fn hash(&self, value: impl std::hash::Hash) -> u64 {
        use std::hash::Hasher;
        let mut h = foldhash::quality::FoldHasher::with_seed(self.per_hasher, &self.shared);
        value.hash(&mut h);
        h.finish()
    }

    #[inline]
    fn key(&self, kind: u8, s: &str) -> u64 {
        self.hash((kind, s))
    }
}

/// The lengths the keys have: how long a stretch of released text to hash.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub struct Lengths {
    /// Lengths of the whole names (characters, bit set).
    whole: u64,
    /// Lengths of the surnames and given names (characters, bit set).
    part: u32,
    /// Whether any number is known.
    numbers: bool,
    /// Byte lengths of the addresses and e-mail addresses (bit set).
    values: [u64; MAX_VALUE / 64],
}

impl Lengths {
    /// Every length a key can have (what the scan looks for when the keys are not known yet:
    /// the cluster's, whose keys are read after the released texts are known).
    pub fn all() -> Lengths {
        let mut values = [u64::MAX; MAX_VALUE / 64];
        values[0] &= !1;
        Lengths {
            whole: ((1u64 << (MAX_WHOLE + 1)) - 1) & !3,
            part: ((1u32 << (MAX_PART + 1)) - 1) & !1,
            numbers: true,
            values,
        }
    }

    /// Both sets' lengths.
    pub fn merge(&mut self, other: &Lengths) {
        self.whole |= other.whole;
        self.part |= other.part;
        self.numbers |= other.numbers;
        for (a, b) in self.values.iter_mut().zip(&other.values) {
            *a |= b;
        }
    }

    /// The lengths as lists (whole names, parts, values), read once per scanner rather than
    /// once per text.
    fn lists(&self) -> [Vec<usize>; 3] {
        let of = |set: u64| (0..64).filter(|l| set >> l & 1 == 1).collect();
        [
            of(self.whole),
            of(u64::from(self.part)),
            (0..MAX_VALUE).filter(|l| self.values[l / 64] >> (l % 64) & 1 == 1).collect(),
        ]
    }
}

/// Which kinds of identifier values besides names pass 1 turns into keys: numbers and
/// addresses (with e-mail addresses). A number is found only in a text with a run of
/// [`scrub::MIN_IDENTIFIER_DIGITS`] digits, an address only in a text of
/// [`scrub::MIN_VALUE_CHARS`] characters; when every text a run can release is known before it
/// reads a row (the scanned columns' declared `values` and hierarchy labels) and none has one,
/// that kind's keys are not made at all. The scan then counts any text that could hold one
/// anyway as unchecked ([`scrub::Found::unchecked`]): the run stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kinds {
    /// Identifier numbers.
    pub numbers: bool,
    /// Addresses and e-mail addresses.
    pub values: bool,
}

impl Kinds {
    /// Every kind (the texts are not known before the rows).
    pub const ALL: Kinds = Kinds { numbers: true, values: true };

    /// No kind but names.
    pub const NONE: Kinds = Kinds { numbers: false, values: false };

    /// Whether every kind of `other` is one of these.
    pub fn covers(self, other: Kinds) -> bool {
        (self.numbers || !other.numbers) && (self.values || !other.values)
    }

    /// The kinds the scan could find in the text `t` (normalised as the scan reads it).
    fn of_text(t: &str) -> Kinds {
        let long =
            |runs: Vec<tokumei_jp::text::DigitRun>| runs.iter().any(|r| r.digits.len() >= scrub::MIN_IDENTIFIER_DIGITS);
        Kinds {
            numbers: long(tokumei_jp::text::digit_runs(t)) || long(tokumei_jp::text::digit_runs_wide(t)),
            values: t.chars().nth(scrub::MIN_VALUE_CHARS - 1).is_some(),
        }
    }

    /// The kinds the scan could find in any of `texts` (as released): the kinds pass 1 must
    /// make keys of when these are every text the run can release.
    pub fn needed<'t>(texts: impl IntoIterator<Item = &'t str>) -> Kinds {
        let mut k = Kinds::NONE;
        for t in texts {
            let of = Kinds::of_text(&scrub::text_norm(t));
            k = Kinds { numbers: k.numbers || of.numbers, values: k.values || of.values };
        }
        k
    }
}

/// Where the keys of one batch go: (key, payload) pairs and the lengths they have.
pub struct KeySink<'a> {
    /// The run's hasher.
    pub hasher: &'a KeyHasher,
    /// The keys.
    pub keys: &'a mut Vec<(u64, u32)>,
    /// Their lengths.
    pub lens: &'a mut Lengths,
    /// Whether addresses' heads are kept too (a text is scanned row by row).
    pub heads: bool,
    /// Room for a value's pieces (a number's digits, a name's parts joined), reused from value
    /// to value (what it holds on the way in is never read).
    pub scratch: &'a mut String,
    /// The kinds of values besides names whose keys are made.
    pub kinds: Kinds,
}

impl KeySink<'_> {
    /// The keys of a full-name value: its whole name and parts, as [`scrub::NameSet::add`] reads
    /// them.
    pub fn name(&mut self, value: &str) {
        let v = scrub::norm(value);
        scrub::name_parts(&v, |whole, surname, given| {
            if let Some(w) = whole {
                self.whole(w);
            }
            for p in surname.into_iter().chain(given) {
                self.part(p);
            }
        });
    }

    /// The keys of a row's split name (a surname and a given name from their own columns).
    pub fn split(&mut self, surname: Option<&str>, given: Option<&str>) {
        let s = surname.map(scrub::norm).filter(|s| !s.is_empty());
        let g = given.map(scrub::norm).filter(|g| !g.is_empty());
        if let (Some(s), Some(g)) = (&s, &g) {
            self.whole(&[s, g]);
        }
        for p in s.iter().chain(&g) {
            self.part(p);
        }
    }

    /// A whole name, given name first too (浩二岸, 浩二 岸) when that cannot be an ordinary word.
    fn whole(&mut self, parts: &[&str]) {
        if parts.len() == 1 && parts[0].chars().count() < 2 {
            return;
        }
        let reversed = match parts {
            [a, b] if a.chars().count() + b.chars().count() >= 3 => Some([*b, *a]),
            _ => None,
        };
        for parts in std::iter::once(parts).chain(reversed.as_ref().map(|r| &r[..])) {
            // A part holding a separator (マリア・ガルシア, De-La) is parts too: the scan reads
            // text without separators. The pieces are joined in the scratch room.
            let mut pieces =
                parts.iter().flat_map(|p| p.split(scrub::is_name_gap)).filter(|p| !p.is_empty()).peekable();
            let joined = &mut *self.scratch;
            joined.clear();
            let (mut n, mut payload) = (0, 0);
            while let Some(p) = pieces.next() {
                let chars = p.chars().count();
                joined.push_str(p);
                n += chars;
                if chars == 1 {
                    payload |= ONE_CHAR_PART;
                }
                if pieces.peek().is_some() && n <= MAX_JOINED {
                    payload |= 1 << n;
                }
            }
            if !(2..=MAX_WHOLE).contains(&n) {
                continue;
            }
            if n > MAX_JOINED {
                payload |= LONG;
            }
            if n < 5 && joined.chars().all(jn::is_katakana) {
                payload |= SHORT_KANA;
            }
            self.keys.push((self.hasher.key(WHOLE, joined), payload));
            self.lens.whole |= 1u64 << n;
        }
    }

    fn part(&mut self, p: &str) {
        let n = p.chars().count();
        if !scrub::word_ok(p) || n > MAX_PART {
            return;
        }
        self.keys.push((self.hasher.key(PART, p), p.chars().all(jn::is_katakana) as u32));
        self.lens.part |= 1u32 << n;
    }

    /// The keys of an identifier value of column `source` (an index the caller names): when the
    /// value is a number (its digits at least 60% of its characters besides spaces and
    /// separators), each run of [`scrub::MIN_IDENTIFIER_DIGITS`] digits or more; otherwise a
    /// whole address or e-mail address.
    pub fn number(&mut self, value: &str, source: u32) {
        if self.kinds == Kinds::NONE {
            return;
        }
        let v = tokumei_jp::nfkc(value.trim());
        let is_other = |c: char| !c.is_whitespace() && !tokumei_jp::text::is_number_separator(c);
        // The characters besides spaces and separators, once counted.
        let mut counted = None;
        if !v.is_ascii() {
            // An address (most text not ASCII) is told in one pass without its runs: every
            // digit of any writing counts, at least the digits of its runs, and still too few.
            let (mut most, mut others) = (0, 0);
            for c in v.chars() {
                most += usize::from(tokumei_jp::text::digit_value(c).is_some());
                others += usize::from(is_other(c));
            }
            if most == 0 || most * 10 < others * 6 {
                self.values(&v, source);
                return;
            }
            counted = Some(others);
        }
        // The numbers' keys are made as the runs come and taken back if the value turns out to
        // be an address (its runs are mostly too short to make keys).
        let mark = self.keys.len();
        let (mut digits, mut numbers) = (0, false);
        let (hasher, keys, made) = (self.hasher, &mut *self.keys, self.kinds.numbers);
        tokumei_jp::text::each_digit_run(&v, self.scratch, &mut |_, _, run| {
            digits += run.len();
            if made && (scrub::MIN_IDENTIFIER_DIGITS..=MAX_NUMBER).contains(&run.len()) {
                keys.push((hasher.key(NUMBER, run), source));
                numbers = true;
            }
        });
        // The characters besides spaces and separators are counted only when the digits are
        // fewer than 60% of all bytes (which the others never outnumber).
        let others = || counted.unwrap_or_else(|| v.chars().filter(|c| is_other(*c)).count());
        if digits == 0 || (digits * 10 < v.len() * 6 && digits * 10 < others() * 6) {
            self.keys.truncate(mark);
            self.values(&v, source);
            return;
        }
        self.lens.numbers |= numbers;
    }

    /// The keys of an address or e-mail address `v` (NFKC) of column `source`.
    fn values(&mut self, v: &str, source: u32) {
        if !self.kinds.values {
            return;
        }
        let (hasher, keys, lens, heads) = (self.hasher, &mut *self.keys, &mut *self.lens, self.heads);
        scrub::with_nfkc_text_norm(v.trim(), |t| {
            scrub::each_lookup_value(t, &mut |w| {
                // A longer value is looked for by its first bytes (finding them finds it).
                let mut end = w.len().min(MAX_VALUE - 1);
                while !w.is_char_boundary(end) {
                    end -= 1;
                }
                let w = &w[..end];
                keys.push((hasher.key(VALUE, w), source));
                lens.values[w.len() / 64] |= 1 << (w.len() % 64);
                if heads {
                    let head = w.char_indices().nth(scrub::MIN_VALUE_CHARS).map_or(w.len(), |(i, _)| i);
                    keys.push((hasher.key(HEAD, &w[..head]), w.len() as u32));
                }
            })
        });
    }
}

/// Bytes of one key in a file: the key and its payload, little-endian.
const RECORD: usize = 12;

/// The keys of pass 1, written to unnamed files as they come (nothing is left on disk if the
/// process dies): file 0 for the keys that always count, file i + 1 for those of name input i,
/// which count only when that column turns out to hold names. A key is written as often as it
/// comes (pass 1's `Once` keeps a value it still remembers from making its keys again); loading
/// drops the repeats. (A table of the last keys written, 8 MB, kept one key in
/// ten from the files for a cache miss on every key: it cost more than the writes it saved.)
pub struct KeySpill {
    dir: Option<std::path::PathBuf>,
    files: Vec<Option<BufWriter<std::fs::File>>>,
    lens: Lengths,
}

impl KeySpill {
    /// A spill writing its files in `dir` (the system's temporary folder when `None`).
    pub fn new(dir: Option<&std::path::Path>) -> KeySpill {
        KeySpill { dir: dir.map(|d| d.to_path_buf()), files: Vec::new(), lens: Lengths::default() }
    }

    /// Add the keys of file `origin`, with their lengths.
    pub fn add(&mut self, origin: usize, keys: &[(u64, u32)], lens: &Lengths) -> std::io::Result<()> {
        self.lens.merge(lens);
        if keys.is_empty() {
            return Ok(());
        }
        if self.files.len() <= origin {
            self.files.resize_with(origin + 1, || None);
        }
        let file = match &mut self.files[origin] {
            Some(f) => f,
            slot => {
                let f = match &self.dir {
                    Some(d) => tempfile::tempfile_in(d)?,
                    None => tempfile::tempfile()?,
                };
                slot.insert(BufWriter::with_capacity(1 << 20, f))
            }
        };
        for &(key, payload) in keys {
            let mut rec = [0u8; RECORD];
            rec[..8].copy_from_slice(&key.to_le_bytes());
            rec[8..].copy_from_slice(&payload.to_le_bytes());
            file.write_all(&rec)?;
        }
        Ok(())
    }

    /// Add the keys of one batch: `keys[origin]` those of file `origin`.
    pub fn add_all(&mut self, keys: &[Vec<(u64, u32)>], lens: &Lengths) -> std::io::Result<()> {
        self.lens.merge(lens);
        for (origin, k) in keys.iter().enumerate() {
            self.add(origin, k, &Lengths::default())?;
        }
        Ok(())
    }

    /// The files, written out and ready to be read.
    pub fn finish(self) -> std::io::Result<KeyFiles> {
        let mut files = Vec::with_capacity(self.files.len());
        for f in self.files {
            files.push(match f {
                Some(w) => {
                    let mut f = w.into_inner().map_err(|e| e.into_error())?;
                    f.rewind()?;
                    Some(f)
                }
                None => None,
            });
        }
        Ok(KeyFiles { files, lens: self.lens })
    }
}

/// The keys of pass 1 on disk.
#[derive(Default)]
pub struct KeyFiles {
    files: Vec<Option<std::fs::File>>,
    lens: Lengths,
}

impl KeyFiles {
    /// Read the keys of file 0 and of the files `counts` says count (file i + 1 counts when
    /// `counts(i)`), only those in `keep` when given, sorted. With a `keep` of at most
    /// [`HALVES_KEEP`] keys the records are read on two threads, half of them each (each holds
    /// only its kept keys, so little is held twice); otherwise on one (every key, or many, are
    /// held, and two halves could each hold a repeated key).
    fn load(&self, counts: &dyn Fn(usize) -> bool, keep: Option<&FxHashSet<u64>>) -> std::io::Result<Vec<(u64, u32)>> {
        let mut ranges: Vec<Records> = Vec::new();
        for (origin, f) in self.files.iter().enumerate() {
            let Some(f) = f else { continue };
            if origin > 0 && !counts(origin - 1) {
                continue;
            }
            ranges.push((f, 0, f.metadata()?.len() / RECORD as u64));
        }
        let keep = match keep {
            Some(k) if k.len() <= HALVES_KEEP => k,
            _ => return read_records(&ranges, keep),
        };
        let (first, second) = halves(&ranges);
        let (mine, theirs) = std::thread::scope(|scope| {
            let theirs = scope.spawn(|| read_records(&second, Some(keep)));
            (read_records(&first, Some(keep)), theirs.join())
        });
        let theirs = theirs.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        let mut all = Vec::with_capacity(mine.as_ref().map_or(0, Vec::len) + theirs.len());
        all.extend(mine?);
        all.extend(theirs);
        all.sort_unstable();
        all.dedup();
        Ok(all)
    }
}

/// Most keys of a [`KeyFiles::load`] filter for its records to be read in two halves.
const HALVES_KEEP: usize = 1 << 16;

/// Records `start..end` (in records) of a file of keys.
type Records<'f> = (&'f std::fs::File, u64, u64);

/// `ranges` cut in two with as many records in each (a file's records may be cut).
fn halves<'f>(ranges: &[Records<'f>]) -> (Vec<Records<'f>>, Vec<Records<'f>>) {
    let mut left = ranges.iter().map(|r| r.2 - r.1).sum::<u64>() / 2;
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for &(f, start, end) in ranges {
        let cut = start + left.min(end - start);
        left -= cut - start;
        if cut > start {
            first.push((f, start, cut));
        }
        if end > cut {
            second.push((f, cut, end));
        }
    }
    (first, second)
}

/// The keys of the records of `ranges` (only those in `keep` when given), sorted, each once.
fn read_records(ranges: &[Records], keep: Option<&FxHashSet<u64>>) -> std::io::Result<Vec<(u64, u32)>> {
    use std::os::unix::fs::FileExt;
    // Keys written again (a value that came back after pass 1 forgot it, a name part or an
    // address's head that several values share) are dropped as they come.
    let mut all = crate::distinct::Distinct::new();
    let mut buf = vec![0u8; RECORD * (1 << 16)];
    for &(f, start, end) in ranges {
        let mut at = start;
        while at < end {
            let n = (end - at).min((buf.len() / RECORD) as u64);
            let bytes = &mut buf[..n as usize * RECORD];
            f.read_exact_at(bytes, at * RECORD as u64)?;
            at += n;
            for rec in bytes.chunks_exact(RECORD) {
                let key = u64::from_le_bytes(rec[..8].try_into().expect("8 bytes"));
                if keep.is_none_or(|k| k.contains(&key)) {
                    all.push((key, u32::from_le_bytes(rec[8..].try_into().expect("4 bytes"))));
                }
            }
        }
    }
    Ok(all.into_sorted())
}

/// Bits of a key that number its bucket in a scanner's directory.
const DIR_BITS: u32 = 16;

/// Most keys of the released texts' stretches gathered to load only those: past it, every key is
/// loaded (a kept free-text column of many distinct values).
const KEEP_LIMIT: usize = 1 << 22;

/// The residual scan of released text against the keys of pass 1.
pub struct Scanner {
    hasher: KeyHasher,
    lens: Lengths,
    /// (key, payload), sorted.
    index: Vec<(u64, u32)>,
    /// Where the keys of each value of their top [`DIR_BITS`] bits start in `index` (one cache
    /// miss a look-up, not a binary search over every key).
    dir: Vec<u32>,
    /// Whether every key is loaded, addresses' heads with them: texts come row by row.
    heads: bool,
    /// [`Lengths::lists`] of `lens`.
    lists: [Vec<usize>; 3],
    /// The kinds of values besides names pass 1 made keys of.
    made: Kinds,
}

/// What a stretch of released text is looked up as.
#[derive(Clone, Copy, PartialEq)]
enum What {
    Whole,
    Part,
    Number,
    Value,
}

impl Scanner {
    /// A scanner for released `texts` (every text of the columns scanned, when they are all
    /// known now; `None`: texts come row by row, every key is loaded). `counts(i)`: whether
    /// the keys of name input i count; `heads`: whether pass 1 kept addresses' heads
    /// ([`KeySink::heads`]).
    pub fn new(
        hasher: KeyHasher,
        files: &KeyFiles,
        counts: &dyn Fn(usize) -> bool,
        texts: Option<&mut dyn Iterator<Item = &str>>,
        heads: bool,
    ) -> std::io::Result<Scanner> {
        let s = Scanner {
            hasher,
            lens: files.lens,
            index: Vec::new(),
            dir: Vec::new(),
            heads,
            lists: files.lens.lists(),
            made: Kinds::ALL,
        };
        let keep = texts.and_then(|texts| {
            let mut keep = FxHashSet::default();
            for t in texts {
                let t = scrub::text_norm(t);
                for what in [What::Whole, What::Part, What::Number, What::Value] {
                    s.stretches(&t, what, false, &mut |key, _| {
                        keep.insert(key);
                        keep.len() > KEEP_LIMIT
                    });
                }
                if keep.len() > KEEP_LIMIT {
                    return None;
                }
            }
            Some(keep)
        });
        let index = files.load(counts, keep.as_ref())?;
        // Only the stretches' keys were loaded: addresses are looked up at every length.
        let heads = heads && keep.is_none();
        Ok(Scanner { heads, ..s }.indexed(index))
    }

    /// A scanner over the given full names and identifier values (each with its column's
    /// number), kept in memory: for a caller with few values (a check of a few texts).
    pub fn of_values<'v>(
        names: impl IntoIterator<Item = &'v str>,
        numbers: impl IntoIterator<Item = (&'v str, u32)>,
    ) -> Scanner {
        let hasher = KeyHasher::new();
        let (mut keys, mut lens, mut scratch) = (Vec::new(), Lengths::default(), String::new());
        let mut sink = KeySink {
            hasher: &hasher,
            keys: &mut keys,
            lens: &mut lens,
            heads: true,
            scratch: &mut scratch,
            kinds: Kinds::ALL,
        };
        for n in names {
            sink.name(n);
        }
        for (v, source) in numbers {
            sink.number(v, source);
        }
        Scanner::of(hasher, keys, lens)
    }

    /// The keys of every stretch of `texts` that could be an identifier value of any length
    /// ([`Lengths::all`]), sorted: the keys a row's values can match in these texts (the
    /// cluster's executors keep only those of their rows' keys).
    /// `None` when there are more than `limit` of them.
    pub fn wanted<'t>(hasher: &KeyHasher, texts: impl IntoIterator<Item = &'t str>, limit: usize) -> Option<Vec<u64>> {
        let lens = Lengths::all();
        let s = Scanner {
            hasher: hasher.clone(),
            lens,
            index: Vec::new(),
            dir: Vec::new(),
            heads: false,
            lists: lens.lists(),
            made: Kinds::ALL,
        };
        let mut keep = FxHashSet::default();
        for t in texts {
            let t = scrub::text_norm(t);
            for what in [What::Whole, What::Part, What::Number, What::Value] {
                let full = s.stretches(&t, what, false, &mut |key, _| {
                    keep.insert(key);
                    keep.len() > limit
                });
                if full {
                    return None;
                }
            }
        }
        let mut keep: Vec<u64> = keep.into_iter().collect();
        keep.sort_unstable();
        Some(keep)
    }

    /// A scanner over `keys` (a row's keys that [`Scanner::wanted`] kept, gathered from
    /// wherever they were made), looking at every length: it finds in the texts `wanted` was
    /// given what a scanner over every key of the rows finds.
    pub fn of_keys(hasher: KeyHasher, keys: Vec<(u64, u32)>) -> Scanner {
        let mut s = Scanner::of(hasher, keys, Lengths::all());
        s.heads = false;
        s
    }

    fn of(hasher: KeyHasher, keys: Vec<(u64, u32)>, lens: Lengths) -> Scanner {
        let mut index = keys;
        index.sort_unstable();
        index.dedup();
        let lists = lens.lists();
        Scanner { hasher, lens, index: Vec::new(), dir: Vec::new(), heads: true, lists, made: Kinds::ALL }
            .indexed(index)
    }

    /// The scanner of keys pass 1 made of the kinds `made` only ([`KeySink::kinds`]): a text
    /// that could hold a value of another kind is counted unchecked.
    pub fn made(self, made: Kinds) -> Scanner {
        Scanner { made, ..self }
    }

    fn payloads(&self, key: u64) -> impl Iterator<Item = u32> + '_ {
        let top = (key >> (64 - DIR_BITS)) as usize;
        let bucket = &self.index[self.dir[top] as usize..self.dir[top + 1] as usize];
        let at = bucket.partition_point(|e| e.0 < key);
        bucket[at..].iter().take_while(move |e| e.0 == key).map(|e| e.1)
    }

    /// The scanner over `index` (sorted), with its directory.
    fn indexed(mut self, index: Vec<(u64, u32)>) -> Scanner {
        let mut dir = vec![0u32; (1 << DIR_BITS) + 1];
        for e in &index {
            dir[(e.0 >> (64 - DIR_BITS)) as usize + 1] += 1;
        }
        for i in 1..dir.len() {
            dir[i] += dir[i - 1];
        }
        self.index = index;
        self.dir = dir;
        self
    }

    /// Call `f` with the key of each stretch of `t` (normalised) that could be a `what`, and
    /// how to tell its facts, until `f` says stop; whether it did. `heads`: addresses are looked
    /// up by their heads (needs every key loaded) rather than at every length.
    fn stretches(&self, t: &str, what: What, heads: bool, f: &mut dyn FnMut(u64, &dyn Fn() -> u64) -> bool) -> bool {
        match what {
            What::Whole if self.lens.whole != 0 => {
                let lens = &self.lists[0];
                let c = Compact::new(t);
                let n = c.chars.len();
                let byte = |i: usize| c.chars.get(i).map_or(c.text.len(), |x| x.0);
                for a in 0..n {
                    for &l in lens.iter().filter(|l| a + **l <= n) {
                        let b = a + l;
                        let facts = || whole_facts(&c, a, b);
                        if f(self.hasher.key(WHOLE, &c.text[byte(a)..byte(b)]), &facts) {
                            return true;
                        }
                    }
                }
                false
            }
            What::Part if self.lens.part != 0 => {
                let lens = &self.lists[1];
                let k = scrub::kana_copy(t);
                let starts: Vec<usize> = t.char_indices().map(|(i, _)| i).chain(std::iter::once(t.len())).collect();
                for a in 0..starts.len() {
                    for &l in lens.iter().filter(|l| a + **l < starts.len()) {
                        let (s, e) = (starts[a], starts[a + l]);
                        let alone = || scrub::kana_word_alone(t, s, e) as u64;
                        if f(self.hasher.key(PART, &k[s..e]), &alone) {
                            return true;
                        }
                    }
                }
                false
            }
            What::Number if self.lens.numbers => {
                let runs = tokumei_jp::text::digit_runs(t);
                for r in runs.iter().chain(&tokumei_jp::text::digit_runs_wide(t)) {
                    let d = &r.digits;
                    if d.len() < scrub::MIN_IDENTIFIER_DIGITS {
                        continue;
                    }
                    if d.len() <= MAX_NUMBER && f(self.hasher.key(NUMBER, d), &|| 0) {
                        return true;
                    }
                    for l in scrub::MIN_INNER_DIGITS..d.len().min(MAX_NUMBER + 1) {
                        for a in 0..=d.len() - l {
                            if f(self.hasher.key(NUMBER, &d[a..a + l]), &|| 0) {
                                return true;
                            }
                        }
                    }
                }
                false
            }
            What::Value if heads => {
                let starts: Vec<usize> = t.char_indices().map(|(i, _)| i).chain(std::iter::once(t.len())).collect();
                for w in starts.windows(scrub::MIN_VALUE_CHARS + 1) {
                    let (a, b) = (w[0], w[scrub::MIN_VALUE_CHARS]);
                    for l in self.payloads(self.hasher.key(HEAD, &t[a..b])) {
                        let e = a + l as usize;
                        if e <= t.len() && t.is_char_boundary(e) && f(self.hasher.key(VALUE, &t[a..e]), &|| 0) {
                            return true;
                        }
                    }
                }
                false
            }
            What::Value => {
                let lens = &self.lists[2];
                if lens.is_empty() {
                    return false;
                }
                for (a, _) in t.char_indices() {
                    for &l in lens {
                        if a + l <= t.len()
                            && t.is_char_boundary(a + l)
                            && f(self.hasher.key(VALUE, &t[a..a + l]), &|| 0)
                        {
                            return true;
                        }
                    }
                }
                false
            }
            _ => false,
        }
    }

    /// Scan one released text (`row_ids`: the row's own identifier values, when known); the
    /// findings are added to `found`. Names are looked for however their parts are set apart
    /// (a space, several, ・, 、, a line break) and in either kana script; numbers however their
    /// groups are set apart (commas, line breaks, spaced hyphens).
    pub fn scan(&self, text: &str, row_ids: &[&str], found: &mut Found) {
        found.scanned += 1;
        let t = scrub::text_norm(text);
        if self.made != Kinds::ALL && !self.made.covers(Kinds::of_text(&t)) {
            found.unchecked += 1;
        }
        let heads = self.heads;
        let whole =
            self.stretches(&t, What::Whole, heads, &mut |key, facts| self.payloads(key).any(|p| is_name(p, facts())));
        if whole {
            found.full_names += 1;
        }
        // A part in kana (payload 1) counts only as a word of its own.
        let part =
            self.stretches(&t, What::Part, heads, &mut |key, alone| self.payloads(key).any(|p| p == 0 || alone() == 1));
        if part {
            found.name_parts += 1;
        }
        for (what, rows, sources) in [
            (What::Number, &mut found.numbers, &mut found.sources),
            (What::Value, &mut found.values, &mut found.value_sources),
        ] {
            // The identifier column of the first number (address) found.
            let mut source = None;
            self.stretches(&t, what, heads, &mut |key, _| {
                source = self.payloads(key).next();
                source.is_some()
            });
            if let Some(s) = source {
                *rows += 1;
                if !sources.contains(&s) {
                    sources.push(s);
                }
            }
        }
        if row_ids
            .iter()
            .map(|i| tokumei_jp::nfkc(i.trim()))
            .any(|i| i.chars().count() >= scrub::MIN_DIGITS && t.contains(i.as_ref()))
        {
            found.row_ids += 1;
        }
    }
}

/// The facts of the stretch `a..b` of `c` a whole name's match depends on: where separators
/// were taken out inside it (bit i: before its character i) and what touches it.
fn whole_facts(c: &Compact, a: usize, b: usize) -> u64 {
    let n = c.chars.len();
    let kanji_at = |q: usize| c.chars.get(q).is_some_and(|x| jn::is_kanji(x.2));
    let same =
        |x: char, y: char| (jn::is_katakana(x) && jn::is_katakana(y)) || (jn::is_hiragana(x) && jn::is_hiragana(y));
    let mut facts = 0;
    for q in a + 1..b {
        if c.chars[q].1 {
            facts |= 1 << (q - a);
        }
    }
    if (a > 0 && !c.chars[a].1 && kanji_at(a - 1)) || (b < n && !c.chars[b].1 && kanji_at(b)) {
        facts |= KANJI_TOUCHES;
    }
    if a > 0 && !c.chars[a].1 && same(c.chars[a - 1].2, c.chars[a].2) {
        facts |= SAME_BEFORE;
    }
    if b < n && !c.chars[b].1 && same(c.chars[b].2, c.chars[b - 1].2) {
        facts |= SAME_AFTER;
        let rest: String = c.chars[b..].iter().take(3).map(|x| x.2).collect();
        if jn::is_hiragana(c.chars[b].2) && scrub::AFTER_KANA_NAME.iter().any(|w| rest.starts_with(w)) {
            facts |= PARTICLE_AFTER;
        }
    }
    facts
}

/// Whether a whole name of payload `p` is the stretch of text with `facts`: separators taken
/// out only where its parts meet; a name with a one-character part written apart touches no
/// other kanji (林・修 is a name, 竹林、修繕 is not); a short kana name touches no letter of its
/// own script (but a particle may follow a hiragana one).
fn is_name(p: u32, facts: u64) -> bool {
    let gaps = facts & GAPS;
    if p & LONG == 0 && gaps & !u64::from(p & JOINS) != 0 {
        return false;
    }
    if gaps != 0 && p & ONE_CHAR_PART != 0 && facts & KANJI_TOUCHES != 0 {
        return false;
    }
    if p & SHORT_KANA != 0 {
        if facts & SAME_BEFORE != 0 {
            return false;
        }
        if facts & SAME_AFTER != 0 {
            return facts & PARTICLE_AFTER != 0;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Keys {
        hasher: KeyHasher,
        keys: Vec<(u64, u32)>,
        lens: Lengths,
        scratch: String,
    }

    impl Keys {
        fn new() -> Keys {
            Keys { hasher: KeyHasher::new(), keys: Vec::new(), lens: Lengths::default(), scratch: String::new() }
        }

        fn sink(&mut self) -> KeySink<'_> {
            KeySink {
                hasher: &self.hasher,
                keys: &mut self.keys,
                lens: &mut self.lens,
                heads: true,
                scratch: &mut self.scratch,
                kinds: Kinds::ALL,
            }
        }

        fn extract() -> Keys {
            let mut k = Keys::new();
            for n in ["山田 太郎", "鈴木　花子", "Li Wei", "林 修", "森 光", "ハヤシ オサム", "佐藤 アイ"]
            {
                k.sink().name(n);
            }
            k.sink().number("599431234567", 3);
            k.sink().number("03-1234-5678", 7);
            k.sink().number("1234", 9); // too short to look for
            k.sink().number("東京都千代田区千代田1-1", 8); // an address
            k
        }

        fn scanner(self) -> Scanner {
            Scanner::of(self.hasher, self.keys, self.lens)
        }
    }

    /// The kinds a text can hold: a number needs a run of six digits (however grouped, in any
    /// width), an address ten characters; a name neither.
    #[test]
    fn kinds_are_those_a_text_can_hold() {
        let none = Kinds::NONE;
        let only = |numbers, values| Kinds { numbers, values };
        for (texts, want) in [
            (&["男", "女", "要介護5", "関東地方", "*", "?"][..], none),
            (&["12345", "九州・沖縄地方"], none),
            (&["123456"], only(true, false)),
            (&["１２３４５６"], only(true, false)),
            (&["12 34 56"], only(true, false)),
            (&["番号12-3456"], only(true, false)),
            (&["あいうえおかきくけ"], none),
            (&["あいうえおかきくけこ"], only(false, true)),
            (&["要介護1", "東京都千代田区千代田"], only(false, true)),
            (&["旧番号 1234-5678-9012"], only(true, true)),
        ] {
            assert_eq!(Kinds::needed(texts.iter().copied()), want, "{texts:?}");
        }
    }

    /// Without a kind, no key of it is made (names still are), and a scanner told so counts a
    /// text that could hold one as unchecked, whatever the text; with every kind it finds them.
    #[test]
    fn kinds_not_made_are_not_looked_for_and_texts_that_need_them_are_unchecked() {
        let make = |kinds: Kinds| {
            let mut k = Keys::new();
            let mut sink = k.sink();
            sink.kinds = kinds;
            sink.name("山田 太郎");
            sink.number("599431234567", 3);
            sink.number("東京都千代田区千代田1-1", 8);
            k
        };
        let numbers_only = Kinds { numbers: true, values: false };
        let names = make(Kinds::NONE).keys.len();
        assert_eq!(names, make(Kinds::ALL).keys.iter().filter(|k| k.1 != 3 && k.1 != 8 && k.1 < 20).count());
        // The number's key; the address's whole and without its prefecture, with their heads.
        for (kinds, more) in [(Kinds::ALL, 5), (numbers_only, 1), (Kinds::NONE, 0)] {
            let k = make(kinds);
            assert_eq!(k.keys.len(), names + more, "{kinds:?}");
            let scan = k.scanner().made(kinds);
            // Each text with what it holds and the kinds it could hold (sixteen characters
            // could be an address too).
            for (text, numbers, values, could) in [
                ("旧番号 599431234567", 1, 0, (true, true)),
                ("東京都千代田区千代田1-1に転居", 0, u64::from(kinds.values), (false, true)),
                ("山田太郎", 0, 0, (false, false)),
                ("要介護1", 0, 0, (false, false)),
            ] {
                let unchecked = u64::from((could.0 && !kinds.numbers) || (could.1 && !kinds.values));
                let f = found(&scan, text);
                let numbers = numbers * u64::from(kinds.numbers);
                assert_eq!((f.numbers, f.values, f.unchecked), (numbers, values, unchecked), "{kinds:?} {text}");
                assert_eq!(f.full_names, u64::from(text == "山田太郎"));
                assert_eq!(f.any(), numbers + values + unchecked + f.full_names > 0);
            }
        }
    }

    /// The earlier [`KeySink::number`] (every run's digits collected, the value normalised
    /// again and copied), the reference.
    fn number_by_copy(k: &mut Keys, value: &str, source: u32, heads: bool) {
        let v = tokumei_jp::nfkc(value.trim());
        let runs = tokumei_jp::text::digit_runs(&v);
        let digits: usize = runs.iter().map(|r| r.digits.len()).sum();
        let others = v.chars().filter(|c| !c.is_whitespace() && !tokumei_jp::text::is_number_separator(*c)).count();
        if digits == 0 || digits * 10 < others * 6 {
            for w in scrub::lookup_values(&scrub::text_norm(v.trim())) {
                let mut end = w.len().min(MAX_VALUE - 1);
                while !w.is_char_boundary(end) {
                    end -= 1;
                }
                let w = &w[..end];
                k.keys.push((k.hasher.key(VALUE, w), source));
                k.lens.values[w.len() / 64] |= 1 << (w.len() % 64);
                if heads {
                    let head: String = w.chars().take(scrub::MIN_VALUE_CHARS).collect();
                    k.keys.push((k.hasher.key(HEAD, &head), w.len() as u32));
                }
            }
            return;
        }
        for r in runs.iter().filter(|r| (scrub::MIN_IDENTIFIER_DIGITS..=MAX_NUMBER).contains(&r.digits.len())) {
            k.keys.push((k.hasher.key(NUMBER, &r.digits), source));
            k.lens.numbers = true;
        }
    }

    /// [`KeySink::number`] makes the keys and lengths the earlier form made, in the same order,
    /// with and without addresses' heads: every value of up to three pieces of numbers (in each
    /// writing), separators, addresses, e-mail addresses and letters, then 20,000 random ones of
    /// up to fourteen pieces, one sink (and its digits' room) kept across all of them.
    #[test]
    fn number_keys_equal_those_of_the_earlier_form() {
        const PIECES: [&str; 20] = [
            "1",
            "２",
            "三",
            "〇",
            "-",
            "ー",
            " ",
            "\u{3000}",
            "東京都",
            "千代田区",
            "丁目",
            "@",
            ".",
            "a",
            "0120",
            "599431234567",
            "（",
            ")",
            "番",
            "\u{200B}",
        ];
        for heads in [false, true] {
            let (mut new, mut old) = (Keys::new(), Keys::new());
            old.hasher = new.hasher.clone();
            let (mut numbers, mut values) = (0, 0);
            let mut check = |t: &str| {
                let (before_new, before_old) = (new.keys.len(), old.keys.len());
                let mut sink = new.sink();
                sink.heads = heads;
                sink.number(t, 7);
                number_by_copy(&mut old, t, 7, heads);
                assert_eq!(new.keys[before_new..], old.keys[before_old..], "{t:?}");
                assert_eq!(new.lens, old.lens, "{t:?}");
                let made = &old.keys[before_old..];
                numbers += usize::from(made.iter().any(|k| k.1 == 7) && old.lens.numbers && !t.contains("東京都"));
                values += usize::from(t.contains("東京都") && !made.is_empty());
            };
            let mut text = String::new();
            for len in 0..=3u32 {
                for mut n in 0..PIECES.len().pow(len) {
                    text.clear();
                    for _ in 0..len {
                        text.push_str(PIECES[n % PIECES.len()]);
                        n /= PIECES.len();
                    }
                    check(&text);
                }
            }
            let mut state = 0x2545_f491_4f6c_dd1du64;
            for _ in 0..20_000 {
                text.clear();
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let mut bits = state;
                for _ in 0..bits % 15 {
                    bits = bits.rotate_right(7) ^ state.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    text.push_str(PIECES[(bits % PIECES.len() as u64) as usize]);
                }
                check(&text);
            }
            // Both kinds of keys were made, not only values that give none.
            assert!(numbers > 1_000 && values > 1_000, "{numbers} {values}");
        }
    }

    /// The earlier [`KeySink::whole`] (the pieces collected and joined into new strings), the
    /// reference.
    fn whole_by_copy(k: &mut Keys, parts: &[&str]) {
        if parts.len() == 1 && parts[0].chars().count() < 2 {
            return;
        }
        let reversed = match parts {
            [a, b] if a.chars().count() + b.chars().count() >= 3 => Some([*b, *a]),
            _ => None,
        };
        for parts in std::iter::once(parts).chain(reversed.as_ref().map(|r| &r[..])) {
            let pieces: Vec<&str> =
                parts.iter().flat_map(|p| p.split(scrub::is_name_gap)).filter(|p| !p.is_empty()).collect();
            let joined = pieces.concat();
            let n = joined.chars().count();
            if !(2..=MAX_WHOLE).contains(&n) {
                continue;
            }
            let mut payload = if n > MAX_JOINED { LONG } else { 0 };
            let mut at = 0;
            for p in &pieces[..pieces.len() - 1] {
                at += p.chars().count();
                if at <= MAX_JOINED {
                    payload |= 1 << at;
                }
            }
            if pieces.iter().any(|p| p.chars().count() == 1) {
                payload |= ONE_CHAR_PART;
            }
            if n < 5 && joined.chars().all(jn::is_katakana) {
                payload |= SHORT_KANA;
            }
            k.keys.push((k.hasher.key(WHOLE, &joined), payload));
            k.lens.whole |= 1u64 << n;
        }
    }

    /// [`KeySink::whole`] makes the keys the earlier form made, in the same order, for the
    /// parts of a whole name of one to three parts: every choice of up to two pieces per part
    /// among names of each script, separators and long romanised names, then 20,000 random ones
    /// of up to seven pieces per part, one sink (and its scratch room) kept across all of them.
    #[test]
    fn whole_name_keys_equal_those_of_the_earlier_form() {
        const PIECES: [&str; 12] =
            ["山田", "林", "修", "ア", "イ", "マリア", "・", " ", "-", "Li", "RODRIGUEZ", "ガルシア"];
        let (mut new, mut old) = (Keys::new(), Keys::new());
        old.hasher = new.hasher.clone();
        let mut made = [0; 3];
        let mut check = |parts: &[String]| {
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            let before = new.keys.len();
            new.sink().whole(&parts);
            whole_by_copy(&mut old, &parts);
            assert_eq!(new.keys, old.keys, "{parts:?}");
            assert_eq!(new.lens, old.lens, "{parts:?}");
            for k in &new.keys[before..] {
                made[usize::from(k.1 & LONG != 0) + usize::from(k.1 & JOINS != 0)] += 1;
            }
        };
        let piece = |n: usize| PIECES[n % PIECES.len()].to_string();
        for a in 0..PIECES.len() * (PIECES.len() + 1) {
            let first = piece(a) + &if a >= PIECES.len() { piece(a / PIECES.len() - 1) } else { String::new() };
            check(std::slice::from_ref(&first));
            for b in 0..PIECES.len() {
                check(&[first.clone(), piece(b)]);
            }
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut bits = state;
            let parts: Vec<String> = (0..1 + state % 3)
                .map(|_| {
                    (0..bits % 8)
                        .map(|_| {
                            bits = bits.rotate_right(7) ^ state.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                            piece(bits as usize)
                        })
                        .collect()
                })
                .collect();
            check(&parts);
        }
        // Names with joins, without and past MAX_JOINED were all made.
        assert!(made.iter().all(|m| *m > 100), "{made:?}");
    }

    fn found(scan: &Scanner, t: &str) -> Found {
        let mut f = Found::default();
        scan.scan(t, &[], &mut f);
        f
    }

    #[test]
    fn the_scan_finds_whole_names_and_numbers_of_the_extract() {
        let scan = Keys::extract().scanner();
        assert_eq!(found(&scan, "長男 林修 様と同居").full_names, 1);
        assert_eq!(found(&scan, "山田 太郎").full_names, 1);
        assert_eq!(found(&scan, "山田・太郎").full_names, 1);
        assert_eq!(found(&scan, "太郎 山田").full_names, 1);
        assert_eq!(found(&scan, "ハヤシ オサム").full_names, 1);
        assert_eq!(found(&scan, "はやし おさむ").full_names, 1);
        assert_eq!(found(&scan, "林業の仕事").full_names, 0);
        // A one-character part written apart touches no other kanji.
        assert_eq!(found(&scan, "林・修").full_names, 1);
        assert_eq!(found(&scan, "竹林、修繕").full_names, 0);
        // Separators only where the parts meet.
        assert_eq!(found(&scan, "山・田太郎").full_names, 0);
        assert_eq!(found(&scan, "佐藤アイ").full_names, 1);
        assert_eq!(found(&scan, "番号五九九四三一二三四五六七").numbers, 1);
        assert_eq!(found(&scan, "旧番号 5994-3123-4567 あり").sources, vec![3]);
        assert_eq!(found(&scan, "（０３）１２３４ー５６７８").sources, vec![7]);
        assert_eq!(found(&scan, "x99599431234567").numbers, 1);
        assert_eq!(found(&scan, "1234 2024").numbers, 0);
        assert!(!found(&scan, "［氏名］［番号］").any());
        // A whole address of an identifier column, with or without its prefecture.
        assert_eq!(found(&scan, "住所は千代田区千代田1-1です").values, 1);
        assert_eq!(found(&scan, "東京都千代田区千代田1-1").value_sources, vec![8]);
        assert_eq!(found(&scan, "東京都千代田区に転居").values, 0);
        // Parts alone are counted, kana ones only as words.
        assert_eq!(found(&scan, "山田さん").name_parts, 1);
        assert_eq!(found(&scan, "アイロンがけ").name_parts, 0);
        assert_eq!(found(&scan, "アイさん").name_parts, 1);
    }

    /// Hostile review: a long romanised name, a katakana name with ・ inside one part, and an
    /// address of more than 512 bytes are found.
    #[test]
    fn long_names_names_with_separators_and_long_addresses_are_found() {
        let mut k = Keys::new();
        k.sink().name("RODRIGUEZ HERNANDEZ MARIA GUADALUPE");
        k.sink().name("マリア・ガルシア");
        let long = format!("東京都千代田区千代田1-1{}", "あ".repeat(200));
        k.sink().number(&long, 4);
        let scan = k.scanner();
        assert_eq!(found(&scan, "RODRIGUEZ HERNANDEZ MARIA GUADALUPE 様来所").full_names, 1);
        assert_eq!(found(&scan, "RODRIGUEZHERNANDEZ・MARIA GUADALUPE").full_names, 1);
        assert_eq!(found(&scan, "マリア・ガルシアさん").full_names, 1);
        assert_eq!(found(&scan, "マリア ガルシア").full_names, 1);
        assert_eq!(found(&scan, &format!("住所 {long} です")).value_sources, vec![4]);
        assert_eq!(found(&scan, "東京都千代田区千代田1-1").values, 0);
    }

    #[test]
    fn split_names_make_whole_names() {
        let mut k = Keys::new();
        k.sink().split(Some("林"), Some("修"));
        k.sink().name("田中一郎");
        let scan = k.scanner();
        let mut f = Found::default();
        scan.scan("林 修", &[], &mut f);
        scan.scan("田中一郎", &[], &mut f);
        scan.scan("一郎田中", &[], &mut f);
        assert_eq!(f.full_names, 3);
        // A short kana name is a word of its own (a particle may follow a hiragana one).
        let mut k = Keys::new();
        k.sink().name("アイ ミカ");
        let scan = k.scanner();
        assert_eq!(found(&scan, "アイミカ").full_names, 1);
        assert_eq!(found(&scan, "アイミカン").full_names, 0);
        assert_eq!(found(&scan, "あいみかが来所").full_names, 1);
    }

    /// The keys written to files and read back, all of them or only those of the texts to
    /// scan, find what the keys in memory find; the keys of a name input that holds no names
    /// do not count.
    #[test]
    fn keys_read_back_from_their_files_find_the_same() {
        let k = Keys::extract();
        let mut spill = KeySpill::new(None);
        spill.add(0, &k.keys, &k.lens).unwrap();
        let mut told = Keys { hasher: k.hasher.clone(), ..Keys::new() };
        told.sink().name("高橋 一郎");
        spill.add(1, &told.keys, &told.lens).unwrap();
        // Written twice: kept once.
        spill.add(0, &k.keys, &k.lens).unwrap();
        let texts = ["長男 林修 様と同居", "旧番号 5994-3123-4567 あり", "千代田区千代田1-1", "高橋一郎", "なし"];
        let memory = k.scanner();
        for told_counts in [false, true] {
            let files = spill_copy(&mut spill);
            let all = Scanner::new(memory.hasher.clone(), &files, &|_| told_counts, None, true).unwrap();
            let files = spill_copy(&mut spill);
            let mut it = texts.iter().copied();
            let some = Scanner::new(memory.hasher.clone(), &files, &|_| told_counts, Some(&mut it), true).unwrap();
            assert!(some.index.len() < all.index.len());
            for t in texts {
                let (a, b, m) = (found(&all, t), found(&some, t), found(&memory, t));
                assert_eq!((a.full_names, a.numbers, a.values), (b.full_names, b.numbers, b.values), "{t}");
                if t == "高橋一郎" {
                    assert_eq!(a.full_names, told_counts as u64);
                } else {
                    assert_eq!((a.full_names, a.numbers, a.values), (m.full_names, m.numbers, m.values), "{t}");
                }
            }
        }
    }

    /// Keys read back on two threads (half of the records each, a file cut between them) are
    /// the keys read on one, and those in memory: each once, sorted, none lost or doubled at a
    /// cut or at a file's ends (every record there is the only one of its key), a file that
    /// does not count left out even when the filter holds its keys; a filter too large for
    /// halves reads the same.
    #[test]
    fn keys_read_in_halves_are_those_read_whole() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut unique = |n: usize| -> Vec<(u64, u32)> {
            (0..n)
                .map(|i| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state, (i % 3) as u32)
                })
                .collect()
        };
        let first = unique(20_001);
        // Written again (kept once), and the same keys with another payload (kept apart).
        let again = first[5_000..5_500].to_vec();
        let other: Vec<(u64, u32)> = first[6_000..6_500].iter().map(|&(k, p)| (k, p + 7)).collect();
        let writes = [
            (0, first),
            (0, again),
            (0, other),
            (1, unique(5_000)),
            (2, unique(7)),
            (0, unique(3)),
            (3, unique(10_000)),
        ];
        let mut spill = KeySpill::new(None);
        let (mut counted, mut left_out) = (Vec::new(), Vec::new());
        for (origin, keys) in &writes {
            spill.add(*origin, keys, &Lengths::default()).unwrap();
            match origin {
                2 => left_out.extend(keys.iter().map(|k| k.0)),
                _ => counted.extend(keys.iter().copied()),
            }
        }
        counted.sort_unstable();
        counted.dedup();
        assert_eq!(counted.len(), 20_001 + 500 + 5_000 + 3 + 10_000);
        let files = spill.finish().unwrap();
        let counts = |i: usize| i != 1; // file 2 (name input 1) does not count
        assert_eq!(files.load(&counts, None).unwrap(), counted);
        let mut every: FxHashSet<u64> = counted.iter().map(|k| k.0).collect();
        every.extend(&left_out);
        assert!(every.len() <= HALVES_KEEP);
        assert_eq!(files.load(&counts, Some(&every)).unwrap(), counted);
        let some: FxHashSet<u64> = every.iter().copied().filter(|k| k % 3 == 0).collect();
        let expected: Vec<(u64, u32)> = counted.iter().filter(|k| some.contains(&k.0)).copied().collect();
        assert!(!expected.is_empty() && expected.len() < counted.len());
        assert_eq!(files.load(&counts, Some(&some)).unwrap(), expected);
        // Past HALVES_KEEP keys the filter reads on one thread: the same keys.
        let mut large = every.clone();
        large.extend((0..HALVES_KEEP as u64).map(|k| k.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
        assert!(large.len() > HALVES_KEEP);
        assert_eq!(files.load(&counts, Some(&large)).unwrap(), counted);
    }

    /// Two halves hold every record once, in order, with as many in each (one more in the
    /// second when the count is odd), empty ranges dropped.
    #[test]
    fn halves_cut_the_records_in_two() {
        let files: Vec<std::fs::File> = (0..4).map(|_| tempfile::tempfile().unwrap()).collect();
        for lens in [vec![], vec![0], vec![1], vec![3, 0, 4], vec![10], vec![1, 1, 1], vec![5, 2], vec![0, 7, 0, 1]] {
            let ranges: Vec<Records> = lens.iter().zip(&files).map(|(n, f)| (f, 0, *n)).collect();
            let (first, second) = halves(&ranges);
            let total: u64 = lens.iter().sum();
            let size = |h: &[Records]| h.iter().map(|r| r.2 - r.1).sum::<u64>();
            assert_eq!((size(&first), size(&second)), (total / 2, total - total / 2), "{lens:?}");
            let mut records = Vec::new();
            for (f, start, end) in first.iter().chain(&second) {
                assert!(start < end, "{lens:?}");
                let file = files.iter().position(|x| std::ptr::eq(x, *f)).unwrap();
                records.extend((*start..*end).map(|r| (file, r)));
            }
            let all: Vec<(usize, u64)> =
                lens.iter().enumerate().flat_map(|(i, n)| (0..*n).map(move |r| (i, r))).collect();
            assert_eq!(records, all, "{lens:?}");
        }
    }

    /// A spill's files as a second reader sees them (the test reads one spill twice).
    fn spill_copy(spill: &mut KeySpill) -> KeyFiles {
        let mut files = Vec::new();
        for f in &mut spill.files {
            files.push(f.as_mut().map(|w| {
                w.flush().unwrap();
                let mut f = w.get_ref().try_clone().unwrap();
                f.rewind().unwrap();
                f
            }));
        }
        KeyFiles { files, lens: spill.lens }
    }

    /// The cluster's order (the released texts' stretches hashed first, the rows' keys kept only
    /// when wanted, a scanner over those at every length) finds in those texts exactly what one
    /// machine's scanner over every key of the rows, loaded for the same texts, finds.
    #[test]
    fn keys_kept_for_the_released_texts_find_what_every_key_finds() {
        let hasher = KeyHasher::new();
        let (mut keys, mut lens, mut scratch) = (Vec::new(), Lengths::default(), String::new());
        let mut sink = KeySink {
            hasher: &hasher,
            keys: &mut keys,
            lens: &mut lens,
            heads: false,
            scratch: &mut scratch,
            kinds: Kinds::ALL,
        };
        for n in ["山田 太郎", "鈴木　花子", "Li Wei", "林 修", "ハヤシ オサム", "佐藤 アイ", "マリア・ガルシア"]
        {
            sink.name(n);
        }
        sink.split(Some("森"), Some("光"));
        sink.number("599431234567", 3);
        sink.number("03-1234-5678", 7);
        sink.number("東京都千代田区千代田1-1", 8);
        sink.number("taro.yamada@example.jp", 9);
        const PIECES: [&str; 22] = [
            "山田",
            "太郎",
            " ",
            "・",
            "様",
            "林",
            "修",
            "5994",
            "31234567",
            "03-1234-",
            "5678",
            "千代田区千代田1-1",
            "東京都",
            "ハヤシ",
            "オサム",
            "さん",
            "の",
            "x",
            "森光",
            "マリア",
            "ガルシア",
            "taro.yamada@example.jp",
        ];
        let mut texts = Vec::new();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..3_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut bits = state;
            let n = 1 + bits % 6;
            let text: String = (0..n)
                .map(|_| {
                    bits = bits.rotate_right(11) ^ state.wrapping_mul(0x2545_f491_4f6c_dd1d);
                    PIECES[bits as usize % PIECES.len()]
                })
                .collect();
            texts.push(text);
        }
        // One machine: every key to the spill, loaded back for the texts.
        let mut spill = KeySpill::new(None);
        spill.add(0, &keys, &lens).unwrap();
        let files = spill.finish().unwrap();
        let mut all = texts.iter().map(String::as_str);
        let one = Scanner::new(hasher.clone(), &files, &|_| true, Some(&mut all), false).unwrap();
        // The cluster: the wanted keys first, then only the rows' keys among them.
        let wanted: FxHashSet<u64> =
            Scanner::wanted(&hasher, texts.iter().map(String::as_str), usize::MAX).unwrap().into_iter().collect();
        let kept: Vec<(u64, u32)> = keys.iter().filter(|(k, _)| wanted.contains(k)).copied().collect();
        assert!(kept.len() < keys.len(), "some keys are not wanted");
        let cluster = Scanner::of_keys(hasher.clone(), kept);
        let mut any = [0usize; 4];
        for t in &texts {
            let (a, b) = (found(&one, t), found(&cluster, t));
            assert_eq!(a, b, "{t}");
            for (n, hit) in any.iter_mut().zip([a.full_names, a.name_parts, a.numbers, a.values]) {
                *n += (hit > 0) as usize;
            }
        }
        // Every kind of finding was made (the texts hold names, parts, numbers and addresses).
        assert!(any.iter().all(|n| *n > 20), "{any:?}");
    }
}
