//! A request's steps as the CLI takes them: each opens the registry of its [`Change`] (a new
//! request: [`By`]), records the step made by its operator at the run clock's time (a step's day
//! defaults to today in Japan), and returns what the officer is told. The documents a step writes
//! are [`crate::requests`]'.

use crate::records::{By, Change, today, who};
use crate::requests::{self, Candidate, get};
use crate::values::day_or;
use crate::{Clock, OfficeError};
use std::path::{Path, PathBuf};
use tokumei_documents::text::{Told, request_steps as text};
use tokumei_jp::Date;
use tokumei_registry::{CarriedOut, Extension, Kind, Registry, RequestEntry};

/// Open a request from its intake file; its number and due date.
pub fn open(by: &By, entry: &Path) -> Result<Told, OfficeError> {
    let entry = RequestEntry::load(entry)?;
    let mut reg = Registry::open(&by.registry)?;
    let id = reg.open_request(&who(&by.operator)?, &entry, &today()?)?;
    Ok(text::opened(&get(&reg, id)?))
}

/// Record days spent waiting for a defect to be fixed; the new due date.
pub fn defect(on: &Change, days: i64, reason: &str) -> Result<Told, OfficeError> {
    Ok(text::defected(on.id, days, &on.open()?.defect(&on.who()?, on.id, days, reason)?))
}

/// The 相当の部分 decided (on `date`, default today): the day, whether it was after its date, and
/// the deadline of the rest.
pub fn part_decided(on: &Change, note: &str, date: Option<Date>) -> Result<Told, OfficeError> {
    let (today, id) = (today()?, on.id);
    let day = day_or(date, &today);
    let mut reg = on.open()?;
    let late = reg.decide_part(&on.who()?, id, note, &day, &today)?;
    Ok(text::part_decided(id, &day, late, &get(&reg, id)?.deadline()))
}

/// Withhold an item on a ground (`None`: release it); the ground's citation while withheld.
pub fn withhold(
    on: &Change,
    item: usize,
    (ground, release): (Option<&str>, bool),
    note: &str,
) -> Result<Told, OfficeError> {
    let (ground, id) = (if release { None } else { ground }, on.id);
    let mut reg = on.open()?;
    reg.withhold(&on.who()?, id, item, ground, note)?;
    let citation = get(&reg, id)?.withheld.iter().find(|w| w.item == item).map(|w| w.citation());
    Ok(text::withheld(id, item, citation.as_deref()))
}

/// What a decision is: the decision, its reason, a suspension's ground, a third party's
/// objection.
pub type Decided<'a> = (&'a str, &'a str, Option<&'a str>, bool);

/// Decide (on `date`, default today) and write the decision notice; what to tell the officer.
pub fn decide(
    on: &Change,
    (decision, reason, ground, objection): Decided,
    date: Option<Date>,
    out: Option<PathBuf>,
) -> Result<Told, OfficeError> {
    let (today, id) = (today()?, on.id);
    let day = day_or(date, &today);
    let mut reg = on.open()?;
    let d = reg.decide(&on.who()?, id, decision, reason, ground, objection, &day, &today)?;
    Ok(text::lines(&requests::decided(&reg, id, &d, out)?))
}

/// Record a notice given (on `date`, default today); its day.
pub fn notice(on: &Change, (kind, to): (&str, &str), date: Option<Date>) -> Result<Told, OfficeError> {
    let today = today()?;
    let day = day_or(date, &today);
    on.open()?.notice(&on.who()?, on.id, kind, to, &day, &today)?;
    Ok(text::noticed(on.id, kind, to, &day))
}

/// Close a request (on `date`, default today).
pub fn close(on: &Change, reason: &str, date: Option<Date>) -> Result<Told, OfficeError> {
    let today = today()?;
    let day = day_or(date, &today);
    on.open()?.close_request(&on.who()?, on.id, reason, &day, &today)?;
    Ok(text::closed(on.id))
}

/// Revoke an accepted correction (one column's, or all); the columns revoked.
pub fn revoke_correction(on: &Change, column: Option<&str>, reason: &str) -> Result<Told, OfficeError> {
    Ok(text::revoked(on.id, &on.open()?.revoke_correction(&on.who()?, on.id, column, reason)?))
}

/// Find the person's candidates, or record the one chosen among them.
pub fn match_person(on: &Change, choose: Option<&str>, note: &str) -> Result<Told, OfficeError> {
    let (mut reg, id) = (on.open()?, on.id);
    let r = get(&reg, id)?;
    let (candidates, ids) = requests::candidates(&reg, &r)?;
    match choose {
        None => Ok(text::candidates(id, &candidates.iter().map(shown).collect::<Vec<_>>(), ids.len())),
        Some(chosen) => {
            requests::choose(&mut reg, &on.who()?, &r, chosen, &ids, note)?;
            Ok(text::chosen(id, ids.len()))
        }
    }
}

/// A candidate as plain values to show.
fn shown(c: &Candidate) -> text::Candidate<'_> {
    text::Candidate { subject: &c.subject, file: &c.file, location: &c.found.location, fields: &c.found.fields }
}

/// How a deadline is extended: days added, or a special extension's date (with `special`).
pub type Extend = (Option<i64>, Option<Date>, bool);

/// Extend the deadline (the notice sent on `notice`, default today) and write the notice.
pub fn extend(
    on: &Change,
    (how, reason, notice): (Extend, String, Option<Date>),
    out: Option<PathBuf>,
) -> Result<Told, OfficeError> {
    let (days, until, special) = match how {
        (Some(days), None, false) => (days, String::new(), false),
        (None, Some(until), true) => (0, until.to_string(), true),
        _ => return Err(OfficeError::Usage("give --days N, or --special --until DATE".into())),
    };
    let today = today()?;
    let notice = day_or(notice, &today);
    let ext = Extension { days, until, reason, notice, part_by: None, part_decided: None };
    let mut reg = on.open()?;
    let done = requests::extend(&mut reg, &on.who()?, (on.id, ext, special), &today, out)?;
    Ok(text::extended(on.id, done.extension.part_by.as_deref(), &done.until, &done.notice))
}

/// Build the disclosure draft (searching the pseudonymised outputs of `jobs`).
pub fn disclose(on: &Change, jobs: &[PathBuf], out: Option<PathBuf>) -> Result<Told, OfficeError> {
    let mut reg = on.open()?;
    let clock = Clock::now()?;
    let d = requests::disclose(&mut reg, &on.who()?, (on.id, jobs, out), &today()?, &clock)?;
    Ok(text::disclosed(on.id, (d.records, d.items, d.withheld), &d.sha256, &d.dir, d.cleared))
}

/// Attest records outside the registered sources (`held`), or that none are kept there (on
/// `date`, default today); whether the request is a disclosure.
pub fn attest(on: &Change, (held, description): (bool, &str), date: Option<Date>) -> Result<Told, OfficeError> {
    let (today, id) = (today()?, on.id);
    let day = day_or(date, &today);
    let mut reg = on.open()?;
    reg.attest(&on.who()?, id, held, description, &day, &today)?;
    Ok(text::attested(id, held, get(&reg, id)?.entry.kind == Kind::Disclosure))
}

/// Record a disclosure carried out (on `date`, default today) by `method`, chosen on `chosen`.
pub fn carry_out(
    on: &Change,
    (date, method, chosen): (Option<Date>, String, Date),
    late_reason: Option<&str>,
) -> Result<Told, OfficeError> {
    let (today, id) = (today()?, on.id);
    let c = CarriedOut { date: day_or(date, &today), method, chosen: chosen.to_string() };
    let mut reg = on.open()?;
    reg.carry_out(&on.who()?, id, &c, late_reason, &today)?;
    let p = reg.profile()?;
    let window_end =
        tokumei_registry::deadline::window_end(&c.date, p.correction_window_days, &p.closed_days).unwrap_or_default();
    let note = tokumei_registry::deadline::holiday_note(&c.date, &window_end);
    Ok(text::carried(id, (&c.date, &c.method), &window_end, note.as_deref()))
}
