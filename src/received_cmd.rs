//! `tokumei verify-release`: the recipient's check of a release folder (no registry, no log).

use crate::common::{Failure, tell};
use std::path::PathBuf;

/// Arguments of `tokumei verify-release`.
#[derive(clap::Args)]
pub struct VerifyReleaseArgs {
    /// The release folder as received.
    pub folder: PathBuf,
    /// The body's public key (the `.pub` file of `tokumei keygen --audit`), received apart from
    /// the data.
    #[arg(long)]
    pub public_key: PathBuf,
}

/// Verify the folder and print what the release is for; exit 11 naming each file otherwise.
pub fn verify_release(a: VerifyReleaseArgs) -> Result<(), Failure> {
    tell(tokumei_office::received::verify_release(&a.folder, &a.public_key)?)
}
