//! Subjects' keyed hashes, shared by the coordinator (the request stage's file) and the
//! executors (`tokumei_subject`, `tokumei_request`).

/// Subjects' keyed hashes: HMAC-SHA-256 under a key (the release's order key), domain-separated
/// from the row order's, the first 16 bytes in hex.
pub(crate) struct SubjectKeyer(hmac::Hmac<sha2::Sha256>);

impl SubjectKeyer {
    /// Hashes under `key`.
    pub(crate) fn new(key: &[u8; 32]) -> SubjectKeyer {
        use hmac::{KeyInit, Mac};
        let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(b"subject\0");
        SubjectKeyer(mac)
    }

    /// The keyed hash of `subject`.
    pub(crate) fn key(&self, subject: &str) -> String {
        use hmac::Mac;
        let mut mac = self.0.clone();
        mac.update(subject.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}
