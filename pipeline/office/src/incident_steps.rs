//! An incident's steps as the CLI takes them: each opens the registry of its [`Change`] (a new
//! incident: [`By`]) and records the step made by its operator at the run clock's time, returning
//! what the officer is told. What the scope holds and the documents a step writes are
//! [`crate::incidents`]'.

use crate::incidents::{self, Reported, Scope, get};
use crate::records::{By, Change, today, who};
use crate::{Clock, OfficeError};
use std::path::{Path, PathBuf};
use tokumei_documents::text::{Told, incident_steps as text};
use tokumei_jp::Date;
use tokumei_registry::{Filing, IncidentEntry, Notice, Registry};

/// What the scope of `e` holds, each warning told to `warn` as it is found.
fn scope(reg: &Registry, e: &IncidentEntry, jobs: &[PathBuf], warn: &dyn Fn(&str)) -> Result<Scope, OfficeError> {
    let scope = incidents::find_scope(reg, e, jobs, &Clock::now()?)?;
    for w in &scope.warnings {
        warn(w);
    }
    Ok(scope)
}

/// Open an incident from its intake file (its scope searched in the registered sources and the
/// outputs of `jobs`); the incident as stored.
pub fn open(by: &By, (entry, jobs): (&Path, &[PathBuf]), warn: &dyn Fn(&str)) -> Result<Told, OfficeError> {
    let e = IncidentEntry::load(entry)?;
    let mut reg = Registry::open(&by.registry)?;
    let scope = scope(&reg, &e, jobs, warn)?;
    let id = reg.open_incident(&who(&by.operator)?, &e, &scope.found, &scope.subjects, &today()?)?;
    Ok(text::opened(&get(&reg, id)?))
}

/// Update an incident's facts from an intake file (its scope searched again); the incident as
/// stored.
pub fn update(on: &Change, (entry, jobs): (&Path, &[PathBuf]), warn: &dyn Fn(&str)) -> Result<Told, OfficeError> {
    let (mut reg, id) = (on.open()?, on.id);
    let old = get(&reg, id)?;
    let e = old.facts.updated(entry)?;
    let scope = scope(&reg, &e, jobs, warn)?;
    reg.update_incident(&on.who()?, (id, old.steps), &e, &scope.found, &scope.subjects, &today()?)?;
    Ok(text::updated(&get(&reg, id)?))
}

/// Record a report filed (`stage`, on `date` or today, the Commission's `reference`) with the
/// digest of the document filed; the day, and whether it was after its due date.
pub fn filed(
    on: &Change,
    (stage, date, reference): (String, Option<Date>, String),
    document: Option<&Path>,
) -> Result<Told, OfficeError> {
    let (mut reg, id) = (on.open()?, on.id);
    let today = today()?;
    let date = crate::values::day_or(date, &today);
    let doc = document.map(incidents::document_digest).transpose()?;
    let filing = Filing { stage: stage.clone(), date: date.clone(), reference, document_sha256: doc };
    let late = incidents::filed(&mut reg, &on.who()?, id, &filing, &today)?;
    Ok(text::filed(id, &stage, &date, late))
}

/// Write the notices to the people (the name and address read from these columns).
pub fn notices(
    on: &Change,
    columns: (Option<String>, Option<String>),
    out: Option<PathBuf>,
) -> Result<Told, OfficeError> {
    let mut reg = on.open()?;
    let l = incidents::notices(&mut reg, &on.who()?, on.id, columns, out)?;
    Ok(text::notices(on.id, (l.letters, l.found), &l.dir, &l.warnings))
}

/// Record notices sent or excepted (`subjects`, or everyone unless `all` is false); how many,
/// and how many people are still to notify.
pub fn record_notices(on: &Change, (subjects, all): (&[String], bool), notice: &Notice) -> Result<Told, OfficeError> {
    let subjects = (!all).then_some(subjects);
    let mut reg = on.open()?;
    let n = reg.record_notices(&on.who()?, on.id, subjects, notice, &today()?)?;
    let what = if matches!(notice, Notice::Sent { .. }) { "notice" } else { "exception" };
    Ok(text::recorded(on.id, what, n, get(&reg, on.id)?.notices.pending()))
}

/// Close an incident.
pub fn close(on: &Change, reason: &str) -> Result<Told, OfficeError> {
    on.open()?.close_incident(&on.who()?, on.id, reason, &today()?)?;
    Ok(text::closed(on.id))
}

/// Write the report of `stage` (and the My Number report where required).
pub fn report(on: &Change, stage: &str, out: Option<PathBuf>) -> Result<Told, OfficeError> {
    let mut reg = on.open()?;
    let who = on.who()?;
    Ok(match incidents::report(&mut reg, &who, on.id, stage, out)? {
        Reported::Contract { record } => text::contract_record(on.id, &record),
        Reported::Report { incident, paths, my_number, draft } => {
            text::reported(&incident, stage, (&paths, my_number.as_ref()), &draft)
        }
    })
}
