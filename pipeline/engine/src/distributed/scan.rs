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
use crate::run::encode::{Once, RowKeys, row_scan_keys};
use crate::run::layout::{NameInput, name_inputs, number_inputs};
use crate::run::scan_request::{Hit, ScanRequest, check_of};
use arrow::array::{Array, Int64Array, StringArray, StringBuilder};
use tokumei_rules::Plan;

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
    /// The scan of `plan`'s rows for `request`; refused when this build turns identifier values
    /// into other keys than the coordinator's did (the request's check): its keys could match
    /// nothing, and a name in the released text would go unseen.
    pub fn new(plan: &Plan, request: &ScanRequest) -> Result<RowScan, EngineError> {
        let hasher = KeyHasher::from_seed(request.seed);
        if check_of(&hasher) != request.check {
            return Err(EngineError::Config(format!(
                "this node (tokumei {}) turns identifier values into other keys than the coordinator's build: the residual scan cannot run; run the coordinator and every executor from the same tokumei build on the same platform",
                env!("CARGO_PKG_VERSION")
            )));
        }
        Ok(RowScan { hasher, wanted: request.wanted.iter().copied().collect(), ..RowScan::columns(plan) })
    }

    /// The scan's columns without the keys (what the coordinator needs to ask for them).
    pub fn columns(plan: &Plan) -> RowScan {
        let (names, numbers) = (name_inputs(plan), number_inputs(plan));
        let mut inputs: Vec<usize> = names.iter().map(|n| n.input).chain(numbers.iter().map(|n| n.0)).collect();
        inputs.sort_unstable();
        inputs.dedup();
        RowScan { hasher: KeyHasher::new(), wanted: Default::default(), names, numbers, inputs }
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
    pub fn hits(&self, values: &[StringArray], rows: usize) -> Result<StringArray, EngineError> {
        if values.len() != self.inputs.len() || values.iter().any(|v| v.len() != rows) {
            return Err(EngineError::Internal("the residual scan's columns do not match its inputs".into()));
        }
        let mut at = vec![usize::MAX; self.inputs.iter().max().map_or(0, |m| m + 1)];
        for (j, &i) in self.inputs.iter().enumerate() {
            at[i] = j;
        }
        let (mut once, mut scratch, mut lens) = (Once::default(), String::new(), Default::default());
        let mut keys: Vec<Vec<(u64, u32)>> = vec![Vec::new(); self.names.len() + 1];
        let mut found: Vec<Hit> = Vec::new();
        let mut out = StringBuilder::with_capacity(rows, 0);
        for row in 0..rows {
            let value = |i: usize| {
                let v = values.get(*at.get(i)?)?;
                (!v.is_null(row)).then(|| v.value(row)).filter(|s| !s.chars().all(char::is_whitespace))
            };
            keys.iter_mut().for_each(Vec::clear);
            let shaped = |i: usize| {
                self.names
                    .get(i)
                    .and_then(|n| value(n.input))
                    .is_some_and(|v| tokumei_jp::names::name_shape(v).is_some())
            };
            let sink = RowKeys {
                hasher: &self.hasher,
                keys: &mut keys,
                lens: &mut lens,
                heads: false,
                scratch: &mut scratch,
                kinds: crate::residual::Kinds::ALL,
            };
            row_scan_keys(value, (&self.names, &self.numbers), &shaped, &mut once, sink);
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
        let r = ScanRequest { seed: [7, u64::MAX], check: 3, wanted: vec![1, 5, 9, u64::MAX] };
        assert_eq!(ScanRequest::from_bytes(&r.to_bytes()).unwrap(), r);
        let bytes = r.to_bytes();
        assert!(ScanRequest::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(ScanRequest::from_bytes(&bytes[..16]).is_err());
        let unsorted = ScanRequest { seed: [0, 0], check: 0, wanted: vec![9, 1] };
        assert!(ScanRequest::from_bytes(&unsorted.to_bytes()).is_err());
        // Its Debug shows no seed.
        assert!(!format!("{r:?}").contains("18446744073709551615"), "{r:?}");
    }

    /// An executor whose keys differ from the coordinator's (here: a check made under another
    /// seed stands for another build) refuses to scan; the same build accepts.
    #[test]
    fn an_executor_that_makes_other_keys_refuses_to_scan() {
        let plan = tokumei_rules::validate_rules(
            std::path::Path::new("r.toml"),
            "version = 1\ndataset = \"d\"\nmode = \"anonymized\"\nsubject = \"id\"\n[privacy]\nk = 2\nmax_suppression = 0.0\n[[column]]\nname = \"id\"\nrole = \"identification_code\"\naction = \"drop\"\n[[column]]\nname = \"氏名\"\nrole = \"direct_identifier\"\naction = \"drop\"\n[[column]]\nname = \"sex\"\nrole = \"quasi_identifier\"\naction = \"keep\"\n",
            &["id".into(), "氏名".into(), "sex".into()],
        )
        .unwrap();
        let hasher = KeyHasher::new();
        let request = ScanRequest::new(&hasher, ["山田太郎様"]).unwrap();
        let scan = RowScan::new(&plan, &request).unwrap();
        // The row whose name is in the text is found, the other not.
        let ids = StringArray::from(vec!["1", "2"]);
        let names = StringArray::from(vec!["山田 太郎", "鈴木 花子"]);
        let hits = scan.hits(&[ids, names], 2).unwrap();
        assert!(!hits.is_null(0) && hits.is_null(1), "{hits:?}");
        let other = ScanRequest { check: check_of(&KeyHasher::new()), ..request.clone() };
        assert!(RowScan::new(&plan, &other).is_err());
        // Values of no row: an empty answer, not an error.
        assert_eq!(
            scan.hits(&[StringArray::from(Vec::<&str>::new()), StringArray::from(Vec::<&str>::new())], 0)
                .unwrap()
                .len(),
            0
        );
        // Too many texts: no request.
        let many: Vec<String> = (0..20_000).map(|i| format!("{i:06}番地の長い自由記述の文章です{i}")).collect();
        assert!(ScanRequest::new(&hasher, many.iter().map(String::as_str)).is_none());
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
