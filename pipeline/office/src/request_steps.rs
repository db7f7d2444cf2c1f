//! A request's steps as the CLI takes them: each opens the registry at `path`, records the step
//! made by `operator` at the run clock's time (a step's day defaults to today in Japan), and
//! returns what the officer is told. The documents a step writes are [`crate::requests`]'.

use crate::records::{today, who};
use crate::requests::{self, Candidate, get};
use crate::{Clock, OfficeError};
use std::path::{Path, PathBuf};
use tokumei_documents::text::{Told, request_steps as text};
use tokumei_registry::{CarriedOut, Extension, Kind, Registry, RequestEntry};

/// Open a request from its intake file; its number and due date.
pub fn open(path: &Path, entry: &Path, operator: &str) -> Result<Told, OfficeError> {
    let entry = RequestEntry::load(entry)?;
    let mut reg = Registry::open(path)?;
    let id = reg.open_request(&who(operator)?, &entry, &today()?)?;
    Ok(text::opened(&get(&reg, id)?))
}

/// Record days spent waiting for a defect to be fixed; the new due date.
pub fn defect(path: &Path, id: i64, days: i64, reason: &str, operator: &str) -> Result<Told, OfficeError> {
    Ok(text::defected(id, days, &Registry::open(path)?.defect(&who(operator)?, id, days, reason)?))
}

/// The 相当の部分 decided (on `date`, default today): the day, whether it was after its date, and
/// the deadline of the rest.
pub fn part_decided(
    path: &Path,
    id: i64,
    note: &str,
    date: Option<String>,
    operator: &str,
) -> Result<Told, OfficeError> {
    let today = today()?;
    let day = date.unwrap_or_else(|| today.clone());
    let mut reg = Registry::open(path)?;
    let late = reg.decide_part(&who(operator)?, id, note, &day, &today)?;
    Ok(text::part_decided(id, &day, late, &get(&reg, id)?.deadline()))
}

/// Withhold an item on a ground (`None`: release it); the ground's citation while withheld.
pub fn withhold(
    path: &Path,
    id: i64,
    item: usize,
    (ground, release): (Option<&str>, bool),
    note: &str,
    operator: &str,
) -> Result<Told, OfficeError> {
    let ground = if release { None } else { ground };
    let mut reg = Registry::open(path)?;
    reg.withhold(&who(operator)?, id, item, ground, note)?;
    let citation = get(&reg, id)?.withheld.iter().find(|w| w.item == item).map(|w| w.citation());
    Ok(text::withheld(id, item, citation.as_deref()))
}

/// What a decision is: the decision, its reason, a suspension's ground, a third party's
/// objection.
pub type Decided<'a> = (&'a str, &'a str, Option<&'a str>, bool);

/// Decide (on `date`, default today) and write the decision notice; what to tell the officer.
pub fn decide(
    path: &Path,
    id: i64,
    (decision, reason, ground, objection): Decided,
    date: Option<String>,
    out: Option<PathBuf>,
    operator: &str,
) -> Result<Told, OfficeError> {
    let today = today()?;
    let day = date.unwrap_or_else(|| today.clone());
    let mut reg = Registry::open(path)?;
    let d = reg.decide(&who(operator)?, id, decision, reason, ground, objection, &day, &today)?;
    Ok(text::lines(&requests::decided(&reg, id, &d, out)?))
}

/// Record a notice given (on `date`, default today); its day.
pub fn notice(
    path: &Path,
    id: i64,
    (kind, to): (&str, &str),
    date: Option<String>,
    operator: &str,
) -> Result<Told, OfficeError> {
    let today = today()?;
    let day = date.unwrap_or_else(|| today.clone());
    Registry::open(path)?.notice(&who(operator)?, id, kind, to, &day, &today)?;
    Ok(text::noticed(id, kind, to, &day))
}

/// Close a request (on `date`, default today).
pub fn close(path: &Path, id: i64, reason: &str, date: Option<String>, operator: &str) -> Result<Told, OfficeError> {
    let today = today()?;
    let day = date.unwrap_or_else(|| today.clone());
    Registry::open(path)?.close_request(&who(operator)?, id, reason, &day, &today)?;
    Ok(text::closed(id))
}

/// Revoke an accepted correction (one column's, or all); the columns revoked.
pub fn revoke_correction(
    path: &Path,
    id: i64,
    column: Option<&str>,
    reason: &str,
    operator: &str,
) -> Result<Told, OfficeError> {
    Ok(text::revoked(id, &Registry::open(path)?.revoke_correction(&who(operator)?, id, column, reason)?))
}

/// Find the person's candidates, or record the one chosen among them.
pub fn match_person(
    path: &Path,
    id: i64,
    choose: Option<&str>,
    note: &str,
    operator: &str,
) -> Result<Told, OfficeError> {
    let mut reg = Registry::open(path)?;
    let r = get(&reg, id)?;
    let (candidates, ids) = requests::candidates(&reg, &r)?;
    match choose {
        None => Ok(text::candidates(id, &candidates.iter().map(shown).collect::<Vec<_>>(), ids.len())),
        Some(chosen) => {
            requests::choose(&mut reg, &who(operator)?, &r, chosen, &ids, note)?;
            Ok(text::chosen(id, ids.len()))
        }
    }
}

/// A candidate as plain values to show.
fn shown(c: &Candidate) -> text::Candidate<'_> {
    text::Candidate { subject: &c.subject, file: &c.file, location: &c.found.location, fields: &c.found.fields }
}

/// How a deadline is extended: days added, or a special extension's date (with `special`).
pub type Extend = (Option<i64>, Option<String>, bool);

/// Extend the deadline (the notice sent on `notice`, default today) and write the notice.
pub fn extend(
    path: &Path,
    id: i64,
    (how, reason, notice): (Extend, String, Option<String>),
    out: Option<PathBuf>,
    operator: &str,
) -> Result<Told, OfficeError> {
    let (days, until, special) = match how {
        (Some(days), None, false) => (days, String::new(), false),
        (None, Some(until), true) => (0, until, true),
        _ => return Err(OfficeError::Usage("give --days N, or --special --until DATE".into())),
    };
    let today = today()?;
    let notice = notice.unwrap_or_else(|| today.clone());
    let ext = Extension { days, until, reason, notice, part_by: None, part_decided: None };
    let mut reg = Registry::open(path)?;
    let done = requests::extend(&mut reg, &who(operator)?, (id, ext, special), &today, out)?;
    Ok(text::extended(id, done.extension.part_by.as_deref(), &done.until, &done.notice))
}

/// Build the disclosure draft (searching the pseudonymised outputs of `jobs`).
pub fn disclose(
    path: &Path,
    id: i64,
    jobs: &[PathBuf],
    out: Option<PathBuf>,
    operator: &str,
) -> Result<Told, OfficeError> {
    let mut reg = Registry::open(path)?;
    let clock = Clock::now()?;
    let d = requests::disclose(&mut reg, &who(operator)?, (id, jobs, out), &today()?, &clock)?;
    Ok(text::disclosed(id, (d.records, d.items, d.withheld), &d.sha256, &d.dir, d.cleared))
}

/// Attest records outside the registered sources (`held`), or that none are kept there (on
/// `date`, default today); whether the request is a disclosure.
pub fn attest(
    path: &Path,
    id: i64,
    (held, description): (bool, &str),
    date: Option<String>,
    operator: &str,
) -> Result<Told, OfficeError> {
    let today = today()?;
    let day = date.unwrap_or_else(|| today.clone());
    let mut reg = Registry::open(path)?;
    reg.attest(&who(operator)?, id, held, description, &day, &today)?;
    Ok(text::attested(id, held, get(&reg, id)?.entry.kind == Kind::Disclosure))
}

/// Record a disclosure carried out (on `date`, default today) by `method`, chosen on `chosen`.
pub fn carry_out(
    path: &Path,
    id: i64,
    (date, method, chosen): (Option<String>, String, String),
    late_reason: Option<&str>,
    operator: &str,
) -> Result<Told, OfficeError> {
    let today = today()?;
    let c = CarriedOut { date: date.unwrap_or_else(|| today.clone()), method, chosen };
    let mut reg = Registry::open(path)?;
    reg.carry_out(&who(operator)?, id, &c, late_reason, &today)?;
    let p = reg.profile()?;
    let window_end =
        tokumei_registry::deadline::window_end(&c.date, p.correction_window_days, &p.closed_days).unwrap_or_default();
    let note = tokumei_registry::deadline::holiday_note(&c.date, &window_end);
    Ok(text::carried(id, (&c.date, &c.method), &window_end, note.as_deref()))
}
