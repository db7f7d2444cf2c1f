//! What a cluster's residual scan asks of the executors ([`ScanRequest`]): the run's hasher
//! seed, a check that their build makes the same keys, and the keys of the released texts'
//! stretches; made on the coordinator once the models decided (`super::aggregated`), read by
//! the executors (`crate::distributed::RowScan`).

use crate::error::EngineError;
use crate::residual::KeyHasher;

/// What the executors look for: the run's hasher seed, a check of the keys the coordinator's
/// build makes, and the keys wanted, sorted. (Its `Debug` shows no seed.)
#[derive(Clone, PartialEq)]
pub struct ScanRequest {
    /// The hasher's 128-bit seed (a secret of the run).
    pub(crate) seed: [u64; 2],
    /// [`check_of`] under the seed, as the coordinator's build computes it.
    pub(crate) check: u64,
    /// The keys of the released texts' stretches, sorted.
    pub(crate) wanted: Vec<u64>,
}

impl std::fmt::Debug for ScanRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanRequest").field("wanted", &self.wanted.len()).finish_non_exhaustive()
    }
}

/// Identifier values of every kind the scan turns into keys (whole names in kanji, kana and
/// letters, given name first, split names, parts with separators, numbers in full-width digits
/// and with separators, an address, an e-mail address): their keys under a seed fold into
/// [`ScanRequest`]'s check, which an executor whose build makes other keys (another version
/// of tokumei, of its hash or of its normal forms, another platform) fails to reproduce.
const CHECK_VALUES: [&str; 8] = [
    "山田 太郎",
    "ハヤシ　オサム",
    "RODRIGUEZ HERNANDEZ MARIA GUADALUPE",
    "マリア・ガルシア",
    "５９９４-３１２３-４５６７",
    "03-1234-5678",
    "東京都千代田区千代田1-1 千代田ハイツ101",
    "taro.yamada@example.jp",
];

/// The check of a hasher's keys: [`CHECK_VALUES`] turned into keys (names, a split name,
/// numbers and values) folded with arithmetic that is the same on every platform.
pub(crate) fn check_of(hasher: &KeyHasher) -> u64 {
    let (mut keys, mut lens, mut scratch) = (Vec::new(), crate::residual::Lengths::default(), String::new());
    let mut sink = crate::residual::KeySink {
        hasher,
        keys: &mut keys,
        lens: &mut lens,
        heads: false,
        scratch: &mut scratch,
        kinds: crate::residual::Kinds::ALL,
    };
    for v in &CHECK_VALUES[..4] {
        sink.name(v);
    }
    sink.split(Some("森"), Some("光"));
    for (i, v) in CHECK_VALUES[4..].iter().enumerate() {
        sink.number(v, i as u32);
    }
    keys.sort_unstable();
    keys.iter().fold(keys.len() as u64, |acc, (k, p)| {
        (acc.rotate_left(7) ^ k).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(*p)
    })
}

/// Most keys a request may want (the scan of a released column of many distinct texts, such as
/// kept free text, has no distributed form yet: its keys would not fit the executors' memory).
pub const MAX_WANTED: usize = 1 << 22;

impl ScanRequest {
    /// The request for the released `texts` under `hasher`; `None` when they have more than
    /// [`MAX_WANTED`] stretch keys.
    pub(crate) fn new<'t>(hasher: &KeyHasher, texts: impl IntoIterator<Item = &'t str>) -> Option<ScanRequest> {
        let wanted = crate::residual::Scanner::wanted(hasher, texts, MAX_WANTED)?;
        Some(ScanRequest { seed: hasher.seed(), check: check_of(hasher), wanted })
    }

    /// The request as bytes (little-endian: the two seed words, the check, then the keys).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.seed.iter().chain([&self.check]).chain(&self.wanted).flat_map(|w| w.to_le_bytes()).collect()
    }

    /// The request from [`ScanRequest::to_bytes`]'s bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<ScanRequest, EngineError> {
        if !bytes.len().is_multiple_of(8) || bytes.len() < 24 {
            return Err(EngineError::Internal("the residual scan's request is truncated".into()));
        }
        let words: Vec<u64> =
            bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
        let wanted = words[3..].to_vec();
        if !wanted.is_sorted() {
            return Err(EngineError::Internal("the residual scan's request is not sorted".into()));
        }
        Ok(ScanRequest { seed: [words[0], words[1]], check: words[2], wanted })
    }
}

/// A key the executors found among the wanted: (origin, key, payload). Origin 0: a key that
/// counts; origin i + 1: a key of name input i, which counts when that column's values turn out
/// to be names.
pub type Hit = (u32, u64, u32);
