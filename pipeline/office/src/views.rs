//! What the reading screens of requests and incidents show, read from the registry: the lists
//! (filtered, judged on today by the run clock) and one request or incident with its timeline.

use crate::OfficeError;
use crate::records::today;
use std::path::Path;
use tokumei_documents::text::requests::Listed;
use tokumei_registry::{CopyStatus, Event, Registry, StoredIncident, StoredRequest};

/// Which requests `request list` shows.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestFilter {
    /// Only those due within this many days (overdue ones included).
    pub due_within: Option<i64>,
    /// Only overdue ones.
    pub overdue: bool,
    /// Decided and closed ones too.
    pub all: bool,
}

/// The requests a filter keeps: open ones (all with `all`) and those whose accepted erasure
/// still has internal copies to destroy, judged on today.
pub fn requests(path: &Path, filter: RequestFilter) -> Result<Vec<Listed>, OfficeError> {
    let reg = Registry::open(path)?;
    let today = today()?;
    // Accepted erasures whose internal copies are not all destroyed are still to do.
    let todo = reg.erasures_to_do()?;
    let list = reg.requests()?.into_iter().map(|r| {
        let copies = todo.iter().find(|t| t.request_id == r.id).map_or(0, |t| t.outstanding.len());
        let to_do = r.pending() || copies > 0;
        let late = r.overdue(&today) || copies > 0 && today > r.deadline();
        let days_left = r.days_left(&today);
        Listed { request: r, copies, to_do, late, days_left }
    });
    Ok(list.filter(|l| keeps(filter, l)).collect())
}

/// Whether `request list` shows a request.
fn keeps(f: RequestFilter, l: &Listed) -> bool {
    (f.all || l.to_do)
        && (!f.overdue || l.late)
        && f.due_within.is_none_or(|w| l.to_do && l.days_left.is_some_and(|d| d <= w))
}

/// One request as `request show` shows it.
pub struct RequestView {
    /// The request.
    pub request: StoredRequest,
    /// Its timeline.
    pub events: Vec<Event>,
    /// Its internal copies to erase or stop (an accepted erasure or stop of use).
    pub copies: Vec<CopyStatus>,
    /// Today in Japan by the run clock.
    pub today: String,
}

impl RequestView {
    /// `request show --json`.
    pub fn json(&self) -> serde_json::Value {
        tokumei_documents::text::requests::show_json(&self.request, &self.events, &self.copies, &self.today)
    }

    /// `request show`.
    pub fn text(&self) -> String {
        tokumei_documents::text::requests::show(&self.request, &self.events, &self.copies, &self.today)
    }
}

/// A request with its timeline and internal copies.
pub fn request(path: &Path, id: i64) -> Result<RequestView, OfficeError> {
    let reg = Registry::open(path)?;
    let request = crate::requests::get(&reg, id)?;
    let events = reg.request_events(id)?;
    let today = today()?;
    let copies = reg.copies_of(&request)?;
    Ok(RequestView { request, events, copies, today })
}

/// The incidents `incident list` shows (open ones, all with `all`; only overdue ones with
/// `overdue`), and today in Japan by the run clock.
pub fn incidents(path: &Path, all: bool, overdue: bool) -> Result<(Vec<StoredIncident>, String), OfficeError> {
    let reg = Registry::open(path)?;
    let today = today()?;
    let list = reg
        .incidents()?
        .into_iter()
        .filter(|i| all || i.status == "open")
        .filter(|i| !overdue || i.overdue(&today))
        .collect();
    Ok((list, today))
}

/// An incident with its timeline.
pub fn incident(path: &Path, id: i64) -> Result<(StoredIncident, Vec<Event>), OfficeError> {
    let reg = Registry::open(path)?;
    let i = crate::incidents::get(&reg, id)?;
    let events = reg.incident_events(id)?;
    Ok((i, events))
}
