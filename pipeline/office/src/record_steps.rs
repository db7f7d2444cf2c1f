//! The steps on the registry's records as the CLI takes them (recipients, proposals and
//! contracts, calls, personal-information files, releases): each makes the change through
//! [`crate::records`] or [`crate::calls`], made by the operator named at the run clock's time, and
//! returns what the officer is told.

use crate::OfficeError;
use crate::records::{Change, contracts, files, recipients, releases, who};
use std::path::{Path, PathBuf};
use tokumei_documents::text::{Told, contract_steps, file_steps, release_steps};
use tokumei_jp::Date;

/// Register a licensed business from a recipient file.
pub fn recipient_added(path: &Path, entry: &Path, operator: &str) -> Result<Told, OfficeError> {
    let (r, id) = recipients::add(path, entry, operator)?;
    Ok(contract_steps::recipient_added(&r.name, id))
}

/// Record a received proposal from a proposal file.
pub fn proposed(path: &Path, proposal: &Path, operator: &str) -> Result<Told, OfficeError> {
    let p = contracts::propose(path, proposal, operator)?;
    Ok(contract_steps::proposed(p.id, &p.proposal, p.contract.as_ref()))
}

/// Record the review of a proposal from a review file.
pub fn reviewed(on: &Change, review: &Path) -> Result<Told, OfficeError> {
    let (r, passed) = contracts::review(&on.registry, on.id, review, &on.operator)?;
    Ok(contract_steps::reviewed(on.id, &r.reviewer, passed))
}

/// Move a contract to its next state (the fee shown when it is paid).
pub fn advanced(path: &Path, step: &contracts::Step, operator: &str) -> Result<Told, OfficeError> {
    let paid = contracts::advance(path, step, operator)?;
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
    path: &Path,
    days: (Option<Date>, Date),
    (files, note): (&[String], Option<&str>),
    operator: &str,
) -> Result<Told, OfficeError> {
    Ok(contract_steps::call_opened(&crate::calls::open(path, &who(operator)?, days, files, note)?))
}

/// Close a call for proposals.
pub fn call_closed(on: &Change, note: &str) -> Result<Told, OfficeError> {
    Ok(contract_steps::call_closed(&crate::calls::close(&on.registry, &on.who()?, on.id, note)?))
}

/// Register a 個人情報ファイル簿 entry with the rule files allowed for its releases.
pub fn file_added(path: &Path, entry: &Path, rules: &[PathBuf], operator: &str) -> Result<Told, OfficeError> {
    let added = files::add(path, entry, rules, operator)?;
    Ok(file_steps::added(&added.entry, added.id, added.rules))
}

/// Allow one more rule file for a registered file's releases.
pub fn rules_allowed(path: &Path, name: &str, rules: &Path, operator: &str) -> Result<Told, OfficeError> {
    Ok(file_steps::rules_allowed(name, &files::allow_rules(path, name, rules, operator)?.path))
}

/// Record where a registered file's records are kept.
pub fn source_added(path: &Path, source: files::NewSource, operator: &str) -> Result<Told, OfficeError> {
    let name = source.file.clone();
    let added = files::add_source(path, source, operator)?;
    Ok(file_steps::source_added(&name, &added.path, &added.format))
}

/// Set the office receiving proposals for a file, and the days 法118 proposals may be made.
pub fn proposals_set(
    path: &Path,
    name: &str,
    (office, reuse_period_days): (&str, Option<i64>),
    operator: &str,
) -> Result<Told, OfficeError> {
    files::set_proposals(path, name, office, reuse_period_days, operator)?;
    Ok(file_steps::proposals_set(name, office))
}

/// Write the publishable ファイル簿 into the folder `out`.
pub fn book_written(path: &Path, out: &Path) -> Result<Told, OfficeError> {
    let book = files::book(path, out)?;
    Ok(file_steps::book_written(book.files, (&book.html, &book.csv), book.withheld))
}

/// Record that a published release was provided to its recipient.
pub fn provided(path: &Path, given: releases::Provision, operator: &str) -> Result<Told, OfficeError> {
    let (release_id, medium) = (given.release_id, given.medium);
    Ok(release_steps::provided(release_id, &releases::provide(path, given, operator)?, medium))
}

/// Record that an internal release was destroyed, how, on `date` (default today).
pub fn destroyed(
    path: &Path,
    release_id: &str,
    (how, date): (&str, Option<Date>),
    operator: &str,
) -> Result<Told, OfficeError> {
    let (day, to_do) = releases::destroyed(path, release_id, how, date, operator)?;
    Ok(release_steps::destroyed(release_id, (&day, how), &to_do))
}

/// Which registered release a Parquet file is.
pub fn identified(path: &Path, file: &Path) -> Result<Told, OfficeError> {
    Ok(release_steps::identified(file, &releases::identify(path, file)?))
}
