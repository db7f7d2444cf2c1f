//! The residual scan on a cluster. One machine turns every row's identifier values into keyed
//! hashes in pass 1 and, once the models decided, looks up every stretch of the released text
//! (`crate::residual`). On a cluster the order is turned round, as the released text is known
//! only on the coordinator and only after the class table was counted:
//!
//! 1. the coordinator hashes every stretch of the released dictionary columns' values that could
//!    be an identifier value of any length ([`ScanRequest`]: the keys wanted, under a hasher
//!    seeded for the run);
//! 2. each executor turns its rows' identifier values into keys exactly as pass 1 does
//!    ([`RowScan::hits`]) and returns only those among the wanted (a handful: none, when nothing
//!    is found), and, per column whose values are names only if most are, how many of its values
//!    are shaped like names ([`RowScan::shaped`]);
//! 3. the coordinator judges the released text with the keys returned
//!    (`crate::run::aggregated::judge`), as one machine does with every key of pass 1: a key
//!    that is not wanted cannot match any stretch of these texts, so the findings are the same.
//!
//! The seed travels to the executors in an owner-only file of the run's context (like the
//! pseudonym key), never in a plan; what the executors return are keyed hashes, no value.

use crate::error::EngineError;
use crate::residual::KeyHasher;
use crate::run::encode::{Once, row_scan_keys};
use crate::run::layout::{NameInput, name_inputs, number_inputs};
use arrow::array::{Array, Int64Array, StringArray, StringBuilder};
use tokumei_rules::Plan;

/// What the executors look for: the run's hasher seed and the keys wanted, sorted.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanRequest {
    /// The hasher's 128-bit seed (a secret of the run).
    pub seed: [u64; 2],
    /// The keys of the released texts' stretches, sorted.
    pub wanted: Vec<u64>,
}

impl ScanRequest {
    /// The request as bytes (little-endian: the two seed words, then the keys).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.seed.iter().chain(&self.wanted).flat_map(|w| w.to_le_bytes()).collect()
    }

    /// The request from [`ScanRequest::to_bytes`]'s bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<ScanRequest, EngineError> {
        if !bytes.len().is_multiple_of(8) || bytes.len() < 16 {
            return Err(EngineError::Internal("the residual scan's request is truncated".into()));
        }
        let words: Vec<u64> =
            bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
        let wanted = words[2..].to_vec();
        if !wanted.is_sorted() {
            return Err(EngineError::Internal("the residual scan's request is not sorted".into()));
        }
        Ok(ScanRequest { seed: [words[0], words[1]], wanted })
    }
}

/// A key the executors found among the wanted: (origin, key, payload). Origin 0: a key that
/// counts; origin i + 1: a key of name input i, which counts when that column's values turn out
/// to be names.
pub type Hit = (u32, u64, u32);

/// An executor's half of the scan for one job.
pub struct RowScan {
    hasher: KeyHasher,
    wanted: rustc_hash::FxHashSet<u64>,
    names: Vec<NameInput>,
    numbers: Vec<(usize, u32)>,
    /// The input columns read, in the order [`RowScan::hits`] takes their values.
    inputs: Vec<usize>,
}

impl RowScan {
    /// The scan of `plan`'s rows for `request`.
    pub fn new(plan: &Plan, request: &ScanRequest) -> RowScan {
        let (names, numbers) = (name_inputs(plan), number_inputs(plan));
        let mut inputs: Vec<usize> = names.iter().map(|n| n.input).chain(numbers.iter().map(|n| n.0)).collect();
        inputs.sort_unstable();
        inputs.dedup();
        RowScan {
            hasher: KeyHasher::from_seed(request.seed),
            wanted: request.wanted.iter().copied().collect(),
            names,
            numbers,
            inputs,
        }
    }

    /// The input columns (indices in the input's header) whose values [`RowScan::hits`] takes,
    /// in that order.
    pub fn inputs(&self) -> &[usize] {
        &self.inputs
    }

    /// The name inputs whose values are names only if most of them are shaped like names: their
    /// input columns, in the order of a hit's origin (origin i + 1: the i-th name input, which
    /// [`RowScan::told`] maps).
    pub fn detected(&self) -> Vec<(usize, usize)> {
        self.names.iter().enumerate().filter(|(_, n)| n.detect).map(|(i, n)| (i, n.input)).collect()
    }

    /// Per name input, whether its keys count, from the counts of each of [`RowScan::detected`]
    /// (values present, values shaped like names): the others' always do.
    pub fn told(&self, counts: &[(u64, u64)]) -> Vec<bool> {
        let mut told = vec![true; self.names.len()];
        for ((i, _), (present, shaped)) in self.detected().into_iter().zip(counts) {
            told[i] = crate::scrub::MaybeNames::names_by_counts(*present, *shaped);
        }
        told
    }

    /// Each row's wanted keys (`values`: the columns of [`RowScan::inputs`], in order), written
    /// as text (`origin:key:payload` in hex, sorted, joined by `,`), null for a row with none.
    pub fn hits(&self, values: &[StringArray]) -> Result<StringArray, EngineError> {
        if values.len() != self.inputs.len() {
            return Err(EngineError::Internal("the residual scan's columns do not match its inputs".into()));
        }
        let rows = values.first().map_or(0, |v| v.len());
        let mut at = vec![usize::MAX; self.inputs.iter().max().map_or(0, |m| m + 1)];
        for (j, &i) in self.inputs.iter().enumerate() {
            at[i] = j;
        }
        let (mut once, mut scratch) = (Once::default(), String::new());
        let mut keys: Vec<Vec<(u64, u32)>> = vec![Vec::new(); self.names.len() + 1];
        let mut found: Vec<Hit> = Vec::new();
        let mut out = StringBuilder::with_capacity(rows, 0);
        for row in 0..rows {
            let value = |i: usize| {
                let v = values.get(*at.get(i)?)?;
                (!v.is_null(row)).then(|| v.value(row)).filter(|s| !s.chars().all(char::is_whitespace))
            };
            keys.iter_mut().for_each(Vec::clear);
            row_scan_keys(value, (&self.names, &self.numbers), &mut once, &self.hasher, &mut keys, &mut scratch);
            found.clear();
            for (origin, k) in keys.iter().enumerate() {
                found.extend(
                    k.iter().filter(|(key, _)| self.wanted.contains(key)).map(|&(key, p)| (origin as u32, key, p)),
                );
            }
            match found.is_empty() {
                true => out.append_null(),
                false => {
                    found.sort_unstable();
                    found.dedup();
                    let text: Vec<String> = found.iter().map(|(o, k, p)| format!("{o:x}:{k:x}:{p:x}")).collect();
                    out.append_value(text.join(","));
                }
            }
        }
        Ok(out.finish())
    }

    /// Per value of a name input whose values are names only if most are: 1 when shaped like a
    /// person name, 0 when not, null when missing or blank (as pass 1 counts them).
    pub fn shaped(values: &StringArray) -> Int64Array {
        values
            .iter()
            .map(|v| {
                let v = v.filter(|s| !s.chars().all(char::is_whitespace))?;
                Some(tokumei_jp::names::name_shape(v).is_some() as i64)
            })
            .collect()
    }
}

/// The hits of one row's text ([`RowScan::hits`]'s form), added to `out`.
pub fn parse_hits(text: &str, out: &mut Vec<Hit>) -> Result<(), EngineError> {
    let bad = || EngineError::Internal("the cluster returned a malformed residual-scan hit".into());
    for h in text.split(',') {
        let mut parts = h.split(':');
        let mut next = || parts.next().ok_or_else(bad);
        let (o, k, p) = (next()?, next()?, next()?);
        if parts.next().is_some() {
            return Err(bad());
        }
        let o = u32::from_str_radix(o, 16).map_err(|_| bad())?;
        let k = u64::from_str_radix(k, 16).map_err(|_| bad())?;
        let p = u32::from_str_radix(p, 16).map_err(|_| bad())?;
        out.push((o, k, p));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_back_as_written_and_a_damaged_one_is_refused() {
        let r = ScanRequest { seed: [7, u64::MAX], wanted: vec![1, 5, 9, u64::MAX] };
        assert_eq!(ScanRequest::from_bytes(&r.to_bytes()).unwrap(), r);
        let bytes = r.to_bytes();
        assert!(ScanRequest::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(ScanRequest::from_bytes(&bytes[..8]).is_err());
        let unsorted = ScanRequest { seed: [0, 0], wanted: vec![9, 1] };
        assert!(ScanRequest::from_bytes(&unsorted.to_bytes()).is_err());
    }

    #[test]
    fn hits_read_back_as_written_and_anything_else_is_an_error_never_a_panic() {
        let mut out = Vec::new();
        parse_hits("0:ff:1,3:1234567890abcdef:0", &mut out).unwrap();
        assert_eq!(out, vec![(0, 0xff, 1), (3, 0x1234_5678_90ab_cdef, 0)]);
        for bad in ["", ":", "0:1", "x:1:2", "0:1:2,", "0:1:2:3", "0:11111111111111111:0", "-1:1:1", "0:1:ffffffffff"] {
            assert!(parse_hits(bad, &mut Vec::new()).is_err(), "{bad}");
        }
    }

    #[test]
    fn name_shapes_are_counted_as_pass_1_counts_them() {
        let values = StringArray::from(vec![Some("山田 太郎"), Some("  "), None, Some("0120-000-000"), Some("")]);
        let shaped = RowScan::shaped(&values);
        let got: Vec<Option<i64>> = shaped.iter().collect();
        assert_eq!(got, vec![Some(1), None, None, Some(0), None]);
    }
}
