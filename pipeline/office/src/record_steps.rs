//! The steps on the registry's records as the CLI takes them (recipients, proposals and
//! contracts, calls, personal-information files, releases): each makes the change through
//! [`crate::records`] or [`crate::calls`], made by the operator named ([`By`]) at the run clock's
//! time, and returns what the officer is told.

use crate::OfficeError;
use crate::records::{By, Change, contracts, files, recipients, releases, who};
use std::path::{Path, PathBuf};
use tokumei_documents::text::{Told, contract_steps, file_steps, release_steps};
use tokumei_jp::Date;

/// Register a licensed business from a recipient file.
pub fn recipient_added(by: &By, entry: &Path) -> Result<Told, OfficeError> {
    let (r, id) = recipients::add(&by.registry, entry, &by.operator)?;
    Ok(contract_steps::recipient_added(&r.name, id))
}

/// Record a received proposal from a proposal file (received on `received`, default today).
pub fn proposed(by: &By, proposal: &Path, received: Option<&str>) -> Result<Told, OfficeError> {
    let p = contracts::propose(&by.registry, proposal, &by.operator, received)?;
    Ok(contract_steps::proposed(p.id, &p.proposal, p.contract.as_ref()))
}

/// Record the review of a proposal from a review file.
pub fn reviewed(on: &Change, review: &Path) -> Result<Told, OfficeError> {
    let (r, passed) = contracts::review(&on.registry, on.id, review, &on.operator)?;
    Ok(contract_steps::reviewed(on.id, &r.reviewer, passed))
}

/// Move a contract to its next state (the fee shown when it is paid).
pub fn advanced(by: &By, step: &contracts::Step) -> Result<Told, OfficeError> {
    let paid = contracts::advance(&by.registry, step, &by.operator)?;
    Ok(contract_steps::advanced(step.id, step.to.as_str(), paid.as_ref()))
}

/// Cancel a contract (法120) on its ground.
pub fn cancelled(on: &Change, note: &str) -> Result<Told, OfficeError> {
    contracts::cancel(&on.registry, on.id, note, &on.operator)?;
    Ok(contract_steps::cancelled(on.id))
}

/// Open a call for proposals from `from` (default today) to `to`, for `files` (default: every
/// file open to proposals).
pub fn call_opened(
    by: &By,
    days: (Option<Date>, Date),
    (files, note): (&[String], Option<&str>),
) -> Result<Told, OfficeError> {
    Ok(contract_steps::call_opened(&crate::calls::open(&by.registry, &who(&by.operator)?, days, files, note)?))
}

/// Close a call for proposals.
pub fn call_closed(on: &Change, note: &str) -> Result<Told, OfficeError> {
    Ok(contract_steps::call_closed(&crate::calls::close(&on.registry, &on.who()?, on.id, note)?))
}

/// Register a 個人情報ファイル簿 entry with the rule files allowed for its releases.
pub fn file_added(by: &By, entry: &Path, rules: &[PathBuf]) -> Result<Told, OfficeError> {
    let added = files::add(&by.registry, entry, rules, &by.operator)?;
    Ok(file_steps::added(&added.entry, added.id, added.rules))
}

/// Allow one more rule file for a registered file's releases.
pub fn rules_allowed(by: &By, name: &str, rules: &Path) -> Result<Told, OfficeError> {
    Ok(file_steps::rules_allowed(name, &files::allow_rules(&by.registry, name, rules, &by.operator)?.path))
}

/// Record where a registered file's records are kept.
pub fn source_added(by: &By, source: files::NewSource) -> Result<Told, OfficeError> {
    let name = source.file.clone();
    let added = files::add_source(&by.registry, source, &by.operator)?;
    Ok(file_steps::source_added(&name, &added.path, &added.format))
}

/// Set the office receiving proposals for a file, and the days 法118 proposals may be made.
pub fn proposals_set(
    by: &By,
    name: &str,
    (office, reuse_period_days): (&str, Option<i64>),
) -> Result<Told, OfficeError> {
    files::set_proposals(&by.registry, name, office, reuse_period_days, &by.operator)?;
    Ok(file_steps::proposals_set(name, office))
}

/// Write the publishable ファイル簿 into the folder `out`.
pub fn book_written(path: &Path, out: &Path) -> Result<Told, OfficeError> {
    let book = files::book(path, out)?;
    Ok(file_steps::book_written(book.files, (&book.html, &book.csv), book.withheld))
}

/// Record that a published release was provided to its recipient.
pub fn provided(by: &By, given: releases::Provision) -> Result<Told, OfficeError> {
    let (release_id, medium) = (given.release_id, given.medium);
    Ok(release_steps::provided(release_id, &releases::provide(&by.registry, given, &by.operator)?, medium))
}

/// Record that an internal release was destroyed, how, on `date` (default today).
pub fn destroyed(by: &By, release_id: &str, (how, date): (&str, Option<Date>)) -> Result<Told, OfficeError> {
    let (day, to_do) = releases::destroyed(&by.registry, release_id, how, date, &by.operator)?;
    Ok(release_steps::destroyed(release_id, (&day, how), &to_do))
}

/// Which registered release a Parquet file is.
pub fn identified(path: &Path, file: &Path) -> Result<Told, OfficeError> {
    Ok(release_steps::identified(file, &releases::identify(path, file)?))
}
