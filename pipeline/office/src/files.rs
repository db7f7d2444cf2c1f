//! Writing the documents that hold personal data.

use crate::OfficeError;
use std::path::Path;

/// Write a document holding personal data: owner-only, atomically (a temporary file renamed).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), OfficeError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let err = |cause: std::io::Error| OfficeError::Write { path: path.to_path_buf(), cause };
    let dir = tokumei_audit::sys::parent_of(path);
    std::fs::create_dir_all(dir).map_err(err)?;
    let tmp = tokumei_audit::sys::temp_beside(path);
    let written = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        tokumei_audit::sys::sync_dir(dir)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(err)
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
