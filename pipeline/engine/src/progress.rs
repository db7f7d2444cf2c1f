//! Progress reporting seam; the CLI draws bars, the engine only reports.

/// Receives progress of long stages.
pub trait Progress: Sync {
    /// A new stage starts; `total` is its size in bytes or rows, if known.
    fn stage(&self, name: &str, total: Option<u64>);
    /// The current stage advanced to `done`.
    fn set(&self, done: u64);
    /// The current stage finished.
    fn finish(&self);
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn stage(&self, _: &str, _: Option<u64>) {}
    fn set(&self, _: u64) {}
    fn finish(&self) {}
}
