//! The per-release random seed of the perturbations: 32 bytes from the operating system, never
//! stored, written or logged (as the per-release pseudonym key), so a release cannot be undone or
//! remade by running it again. Each column (or `together` group) draws from a ChaCha20
//! generator seeded with HMAC-SHA-256(seed, its name).
//!
//! Tests fix the seed with `TOKUMEI_TEST_SEED` (64 hex characters), honoured only in builds with
//! debug assertions; a release build ignores it.

use crate::error::EngineError;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::Sha256;

/// The environment variable that fixes the seed in test builds.
pub(crate) const TEST_SEED_VAR: &str = "TOKUMEI_TEST_SEED";

/// A 32-byte seed. `Debug` prints `[redacted]`.
pub(crate) struct Seed {
    bytes: [u8; 32],
    /// Whether it was fixed for a test (`TOKUMEI_TEST_SEED`, debug builds only).
    pub fixed_for_test: bool,
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Seed {{ fixed_for_test: {}, bytes: [redacted] }}", self.fixed_for_test)
    }
}

impl Seed {
    /// A fresh seed from the operating system, or, in a debug build, the test seed of
    /// `TOKUMEI_TEST_SEED` (a malformed one is refused, without quoting it).
    pub fn for_release() -> Result<Seed, EngineError> {
        if cfg!(debug_assertions)
            && let Some(text) = std::env::var_os(TEST_SEED_VAR)
        {
            let bytes: Option<[u8; 32]> =
                text.to_str().and_then(|t| hex::decode(t.trim()).ok()).and_then(|b| b.try_into().ok());
            return match bytes {
                Some(bytes) => Ok(Seed { bytes, fixed_for_test: true }),
                None => Err(EngineError::Config(format!("{TEST_SEED_VAR} must be 64 hexadecimal characters"))),
            };
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill(&mut bytes);
        Ok(Seed { bytes, fixed_for_test: false })
    }

    /// A given seed (tests).
    #[cfg(test)]
    pub fn fixed(bytes: [u8; 32]) -> Seed {
        Seed { bytes, fixed_for_test: true }
    }

    /// The generator of a column or group named `label`.
    pub fn rng(&self, label: &str) -> ChaCha20Rng {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.bytes).expect("HMAC takes any key length");
        mac.update(b"tokumei-perturb-1\0");
        mac.update(label.as_bytes());
        let seed: [u8; 32] = mac.finalize().into_bytes().into();
        ChaCha20Rng::from_seed(seed)
    }
}

/// A standard normal draw (Box-Muller; one of the pair, so each draw takes two uniforms).
pub(crate) fn normal(rng: &mut ChaCha20Rng) -> f64 {
    // u1 in (0, 1]: ln is finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_depend_on_the_seed_and_the_name_only() {
        let a = Seed::fixed([1; 32]);
        let (mut x, mut y) = (a.rng("column\0a"), a.rng("column\0a"));
        assert_eq!(normal(&mut x), normal(&mut y));
        let mut z = a.rng("column\0b");
        let mut w = Seed::fixed([2; 32]).rng("column\0a");
        let first = normal(&mut a.rng("column\0a"));
        assert_ne!(first, normal(&mut z));
        assert_ne!(first, normal(&mut w));
        assert!(!format!("{a:?}").contains('1'), "the seed is never printed");
    }

    #[test]
    fn normal_draws_have_mean_0_and_variance_1() {
        let mut rng = Seed::fixed([3; 32]).rng("t");
        let mut m = super::super::Moments::default();
        for _ in 0..100_000 {
            m.add(normal(&mut rng));
        }
        assert!(m.mean().abs() < 0.01 && (m.sd() - 1.0).abs() < 0.01, "{} {}", m.mean(), m.sd());
    }
}
