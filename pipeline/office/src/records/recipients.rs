//! Recipients: the licensed businesses that receive anonymised data.

use super::who;
use crate::OfficeError;
use std::path::Path;
use tokumei_registry::{Recipient, Registry};

/// Register a business from a recipient file (TOML); it and its id.
pub fn add(path: &Path, entry: &Path, operator: &str) -> Result<(Recipient, i64), OfficeError> {
    let r = Recipient::load(entry)?;
    let mut reg = Registry::open(path)?;
    let id = reg.add_recipient(&who(operator)?, &r)?;
    Ok((r, id))
}

/// The recipients: id, entry, and the end of a 法120 bar.
pub fn list(path: &Path) -> Result<Vec<(i64, Recipient, Option<String>)>, OfficeError> {
    Ok(Registry::open(path)?.recipients()?)
}
