//! The recipient's side: `tokumei verify-release` proves a release folder with the body's public
//! key alone (no registry, no audit log) and says what the release is for.

use crate::{Clock, OfficeError};
use std::path::Path;
use tokumei_documents::text::{Told, received};
use tokumei_release::manifest::{self, VerifyError};

/// Verify the release folder `dir` with the public key file `public`: every file listed in its
/// manifest and unchanged, none added, the manifest signed by that key. A public key that cannot
/// be read is a key error (exit 6); a key inside the folder, and anything else found, is
/// [`OfficeError::Unverified`] (exit 11), naming each file. A genuine release whose contract's
/// use period ended before today in Japan (the run clock: `TOKUMEI_NOW` when set) is verified
/// with a warning: verification proves integrity and origin, and a recipient checks what it is
/// to delete or return after the period too.
pub fn verify_release(dir: &Path, public: &Path) -> Result<Told, OfficeError> {
    let today = Clock::now()?.today_in_japan()?;
    match manifest::verify(dir, public) {
        Ok(v) => Ok(received::verified(&v, &today)),
        Err(VerifyError::Key(e)) => Err(OfficeError::Sign(e)),
        Err(e) => {
            let problems: Vec<String> = e.to_string().lines().map(|l| format!("  {l}")).collect();
            Err(OfficeError::Unverified(format!(
                "{}\n{}",
                received::refused(&manifest::shown(&dir.display().to_string())),
                problems.join("\n")
            )))
        }
    }
}
