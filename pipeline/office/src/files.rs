//! Writing the documents that hold personal data.

use crate::OfficeError;
use std::path::Path;

/// Write a document holding personal data: owner-only, atomically (a temporary file renamed;
/// [`tokumei_audit::sys::write_private`]).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), OfficeError> {
    tokumei_audit::sys::write_private(path, bytes)
        .map_err(|cause| OfficeError::Write { path: path.to_path_buf(), cause })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_private_document_is_owner_only_and_a_bad_folder_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b.html");
        write_private(&path, b"x").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
        let blocked = path.join("c.html");
        let e = write_private(&blocked, b"x").unwrap_err();
        assert!(e.to_string().contains("c.html"), "{e}");
    }
}
