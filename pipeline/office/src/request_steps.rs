//! A request's steps as the CLI takes them: each opens the registry at `path`, records the step
//! made by `operator` at the run clock's time (a step's day defaults to today in Japan), and
//! returns what the officer is told. The documents a step writes are [`crate::requests`]'.

use crate::records::{today, who};
use crate::requests::{self, Candidate, Disclosed, Extended, get};
use crate::{Clock, OfficeError};
use std::path::{Path, PathBuf};
use tokumei_registry::{CarriedOut, Extension, Kind, Registry, RequestEntry, StoredRequest};

/// Open a request from its intake file; the request as stored.
pub fn open(path: &Path, entry: &Path, operator: &str) -> Result<StoredRequest, OfficeError> {
    let entry = RequestEntry::load(entry)?;
    let mut reg = Registry::open(path)?;
    let id = reg.open_request(&who(operator)?, &entry, &today()?)?;
    get(&reg, id)
}

/// Record days spent waiting for a defect to be fixed; the new due date.
pub fn defect(path: &Path, id: i64, days: i64, reason: &str, operator: &str) -> Result<String, OfficeError> {
    Ok(Registry::open(path)?.defect(&who(operator)?, id, days, reason)?)
}

/// The 相当の部分 decided (on `date`, default today): the day, whether it was after its date, and
/// the deadline of the rest.
pub fn part_decided(
    path: &Path,
    id: i64,
    note: &str,
    date: Option<String>,
    operator: &str,
) -> Result<(String, bool, String), OfficeError> {
    let today = today()?;
    let day = date.unwrap_or_else(|| today.clone());
    let mut reg = Registry::open(path)?;
    let late = reg.decide_part(&who(operator)?, id, note, &day, &today)?;
    Ok((day, late, get(&reg, id)?.deadline()))
}

/// Withhold an item on a ground (`None`: release it); the ground's citation while withheld.
pub fn withhold(
    path: &Path,
    id: i64,
    item: usize,
    ground: Option<&str>,
    note: &str,
    operator: &str,
) -> Result<Option<String>, OfficeError> {
    let mut reg = Registry::open(path)?;
    reg.withhold(&who(operator)?, id, item, ground, note)?;
    Ok(get(&reg, id)?.withheld.iter().find(|w| w.item == item).map(|w| w.citation()))
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
) -> Result<Vec<String>, OfficeError> {
    let today = today()?;
    let day = date.unwrap_or_else(|| today.clone());
    let mut reg = Registry::open(path)?;
    let d = reg.decide(&who(operator)?, id, decision, reason, ground, objection, &day, &today)?;
    requests::decided(&reg, id, &d, out)
}

/// Record a notice given (on `date`, default today); its day.
pub fn notice(
    path: &Path,
    id: i64,
    (kind, to): (&str, &str),
    date: Option<String>,
    operator: &str,
) -> Result<String, OfficeError> {
    let today = today()?;
    let day = date.unwrap_or_else(|| today.clone());
    Registry::open(path)?.notice(&who(operator)?, id, kind, to, &day, &today)?;
    Ok(day)
}

/// Close a request (on `date`, default today).
pub fn close(path: &Path, id: i64, reason: &str, date: Option<String>, operator: &str) -> Result<(), OfficeError> {
    let today = today()?;
    let day = date.unwrap_or_else(|| today.clone());
    Ok(Registry::open(path)?.close_request(&who(operator)?, id, reason, &day, &today)?)
}

/// Revoke an accepted correction (one column's, or all); the columns revoked.
pub fn revoke_correction(
    path: &Path,
    id: i64,
    column: Option<&str>,
    reason: &str,
    operator: &str,
) -> Result<Vec<String>, OfficeError> {
    Ok(Registry::open(path)?.revoke_correction(&who(operator)?, id, column, reason)?)
}

/// What `request match` did.
pub enum Matched {
    /// The candidates found (every record, and the people they are).
    Candidates(Vec<Candidate>, Vec<String>),
    /// The person chosen was recorded, among this many candidates.
    Chosen(usize),
}

/// Find the person's candidates, or record the one chosen among them.
pub fn match_person(
    path: &Path,
    id: i64,
    choose: Option<&str>,
    note: &str,
    operator: &str,
) -> Result<Matched, OfficeError> {
    let mut reg = Registry::open(path)?;
    let r = get(&reg, id)?;
    let (candidates, ids) = requests::candidates(&reg, &r)?;
    match choose {
        None => Ok(Matched::Candidates(candidates, ids)),
        Some(chosen) => {
            requests::choose(&mut reg, &who(operator)?, &r, chosen, &ids, note)?;
            Ok(Matched::Chosen(ids.len()))
        }
    }
}

/// How a deadline is extended: days added, or a special extension's date.
pub enum Extend {
    /// Days added (法83条2項, 94条2項, 102条2項).
    Days(i64),
    /// A special extension (法84, 95, 103) to this date.
    Special(String),
}

/// Extend the deadline (the notice sent on `notice`, default today) and write the notice.
pub fn extend(
    path: &Path,
    id: i64,
    (how, reason, notice): (Extend, String, Option<String>),
    out: Option<PathBuf>,
    operator: &str,
) -> Result<Extended, OfficeError> {
    let today = today()?;
    let notice = notice.unwrap_or_else(|| today.clone());
    let (days, until, special) = match how {
        Extend::Days(days) => (days, String::new(), false),
        Extend::Special(until) => (0, until, true),
    };
    let ext = Extension { days, until, reason, notice, part_by: None, part_decided: None };
    let mut reg = Registry::open(path)?;
    requests::extend(&mut reg, &who(operator)?, (id, ext, special), &today, out)
}

/// Build the disclosure draft (searching the pseudonymised outputs of `jobs`).
pub fn disclose(
    path: &Path,
    id: i64,
    jobs: &[PathBuf],
    out: Option<PathBuf>,
    operator: &str,
) -> Result<Disclosed, OfficeError> {
    let mut reg = Registry::open(path)?;
    let clock = Clock::now()?;
    requests::disclose(&mut reg, &who(operator)?, (id, jobs, out), &today()?, &clock)
}

/// Attest records outside the registered sources (`held`), or that none are kept there (on
/// `date`, default today); whether the request is a disclosure.
pub fn attest(
    path: &Path,
    id: i64,
    (held, description): (bool, &str),
    date: Option<String>,
    operator: &str,
) -> Result<bool, OfficeError> {
    let today = today()?;
    let day = date.unwrap_or_else(|| today.clone());
    let mut reg = Registry::open(path)?;
    reg.attest(&who(operator)?, id, held, description, &day, &today)?;
    Ok(get(&reg, id)?.entry.kind == Kind::Disclosure)
}

/// A disclosure carried out: when and how, until when correction or suspension may be asked,
/// and a note when that day's count meets a holiday.
pub struct Carried {
    /// The day it was carried out.
    pub date: String,
    /// The method.
    pub method: String,
    /// The end of the window for correction or suspension.
    pub window_end: String,
    /// A note on the holidays counted.
    pub note: Option<String>,
}

/// Record a disclosure carried out (on `date`, default today) by `method`, chosen on `chosen`.
pub fn carry_out(
    path: &Path,
    id: i64,
    (date, method, chosen): (Option<String>, String, String),
    late_reason: Option<&str>,
    operator: &str,
) -> Result<Carried, OfficeError> {
    let today = today()?;
    let c = CarriedOut { date: date.unwrap_or_else(|| today.clone()), method, chosen };
    let mut reg = Registry::open(path)?;
    reg.carry_out(&who(operator)?, id, &c, late_reason, &today)?;
    let p = reg.profile()?;
    let window_end =
        tokumei_registry::deadline::window_end(&c.date, p.correction_window_days, &p.closed_days).unwrap_or_default();
    let note = tokumei_registry::deadline::holiday_note(&c.date, &window_end);
    Ok(Carried { date: c.date, method: c.method, window_end, note })
}
