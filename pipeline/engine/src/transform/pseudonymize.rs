//! `pseudonymize`: fixed-length HMAC-SHA-256 code of the (NFKC-normalised) value.
//! In anonymized mode the key is random per release and never stored, so codes link
//! records within one release only; in pseudonymized mode the managed key keeps one code
//! per person across releases. A composite code (`with`) codes its parts length-prefixed
//! (`<bytes>:<part>` each, normalised part by part): parts joined by a separator, as earlier
//! releases of tokumei did, gave ('X\u{1F}Y', 'Z') and ('X', 'Y\u{1F}Z') one code, so composite
//! codes of a managed key made by those releases differ from the codes made now (docs/rules.md).

use super::{ColumnTransform, Context, normalized};
use crate::cell::{Cell, Malformed};
use arrow::datatypes::DataType;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokumei_rules::ColumnPlan;

pub struct Pseudonymize {
    /// HMAC with the key already absorbed; cloned per value.
    keyed: Hmac<Sha256>,
    length: usize,
    nfkc: bool,
}

impl Pseudonymize {
    pub fn new(col: &ColumnPlan, length: u32, cx: &Context) -> Self {
        let key = cx.key.as_ref().expect("the run provides a key whenever a column is pseudonymized");
        let mut keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(key.bytes()).expect("HMAC takes any key length");
        // Domain separation per column: the same value in two columns gets unrelated codes.
        keyed.update(col.name.as_bytes());
        keyed.update(&[0]);
        // A composite value (`with`) arrives with each part already normalised and
        // length-prefixed: it is coded as it is.
        Pseudonymize { keyed, length: length as usize, nfkc: col.nfkc && col.extra_inputs.is_empty() }
    }
}

impl ColumnTransform for Pseudonymize {
    fn output_type(&self) -> DataType {
        DataType::Utf8
    }
    fn apply(&self, value: Option<&str>) -> Result<Cell, Malformed> {
        let Some(v) = value else {
            return Ok(Cell::Null);
        };
        let v = normalized(self.nfkc, v);
        let mut mac = self.keyed.clone();
        mac.update(v.trim().as_bytes());
        let digest: [u8; 32] = mac.finalize().into_bytes().into();
        let mut hex = [0u8; 64];
        Ok(Cell::str(hex_prefix(&digest, self.length, &mut hex)))
    }
    fn hex_digits(&self) -> Option<usize> {
        Some(self.length.min(64)).filter(|n| *n > 0)
    }
}

/// The first `length` (at most 64) hex digits of `digest`, written in `out`: only the bytes they
/// show are encoded.
fn hex_prefix<'a>(digest: &[u8; 32], length: usize, out: &'a mut [u8; 64]) -> &'a str {
    let n = length.min(64);
    let bytes = n.div_ceil(2);
    // Neither can fail: `out` has room for twice the bytes, and hex digits are ASCII.
    let _ = hex::encode_to_slice(&digest[..bytes], &mut out[..2 * bytes]);
    std::str::from_utf8(&out[..n]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    /// Every length's code is that many of the digest's lower-case hex digits.
    #[test]
    fn the_code_is_the_digest_s_hex_cut_to_its_length() {
        let digest: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ 0xa5);
        let full = hex::encode(digest);
        for length in 0..=70 {
            let mut out = [0u8; 64];
            assert_eq!(super::hex_prefix(&digest, length, &mut out), &full[..length.min(64)], "{length}");
        }
    }
}
