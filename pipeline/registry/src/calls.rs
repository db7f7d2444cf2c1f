//! Calls for proposals (提案の募集, 法111, 規則53): a body opens, at least once every fiscal year
//! (毎年度), a call of 30 days or more for the files open to proposals; a 法112 proposal is made
//! only in response to one (法112条1項「募集に応じて」). Calls are mandatory for prefectures and
//! designated cities (2021 amendment 附則7条), optional for other municipalities.
//!
//! Readings the tool takes (docs/registry.md): a call's period is counted so that it is 30 days
//! under every counting — its last day at least 30 days after its first (民法140条 excludes the
//! first day when the call opens during a day) — and the year is the fiscal year (April to March,
//! 規則53「毎年度」), counted by the day a call opens. A call closed early counts as the year's
//! call only if it was still open 30 days.

use crate::deadline::date;
use crate::refuse;
use crate::{Registry, RegistryError, Who};
use rusqlite::params;
use serde::Serialize;

/// Fewest days between a call's first and last day (規則53: a period of 30 days or more, counted
/// without its first day: so the last day is at least the first + 30).
pub const MIN_CALL_DAYS: i64 = 30;

/// A call for proposals.
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    /// Registry id.
    pub id: i64,
    /// First day proposals are received (YYYY-MM-DD, Japan).
    pub open_from: String,
    /// Last day proposals are received.
    pub open_until: String,
    /// The files the call is for (each open to proposals when it was opened).
    pub files: Vec<String>,
    /// A note (the public notice's reference, 公示).
    pub note: Option<String>,
    /// When it was recorded (RFC 3339).
    pub opened: String,
    /// Who recorded it.
    pub operator: String,
    /// When it was closed by hand (RFC 3339), if it was.
    pub closed: Option<String>,
    /// The day it was closed (Japan), if it was.
    pub closed_on: Option<String>,
    /// Why it was closed.
    pub close_note: Option<String>,
}

impl Call {
    /// The last day it received (or receives) proposals: its last day, or the day it was closed.
    pub fn last_day(&self) -> &str {
        match &self.closed_on {
            Some(c) if c.as_str() < self.open_until.as_str() => c,
            _ => &self.open_until,
        }
    }

    /// Whether a proposal received on `day` answers it (open that day and not closed before).
    pub fn receives_on(&self, day: &str) -> bool {
        self.closed.is_none() && crate::deadline::within(day, &self.open_from, &self.open_until)
    }

    /// Whether it ran the statutory 30 days (規則53), closed early or not.
    pub fn ran_full_period(&self) -> bool {
        crate::deadline::days_between(&self.open_from, self.last_day()).is_some_and(|d| d >= MIN_CALL_DAYS)
    }

    /// `open`, `ended` or `closed` on `today`.
    pub fn status(&self, today: &str) -> &'static str {
        if self.closed.is_some() {
            "closed"
        } else if today > self.open_until.as_str() {
            "ended"
        } else if today < self.open_from.as_str() {
            "announced"
        } else {
            "open"
        }
    }
}

/// The fiscal year (年度, April to March) of a day: `2027-03-31` is in fiscal year 2026, with its
/// first and last day.
pub fn fiscal_year(day: &str) -> Option<(i32, String, String)> {
    let tokumei_jp::Date { year: y, month: m, .. } = date(day)?;
    let fy = if m >= 4 { y } else { y - 1 };
    Some((fy, format!("{fy:04}-04-01"), format!("{:04}-03-31", fy + 1)))
}

impl Registry {
    /// Open a call for proposals (法111) from `from` to `until` (dates in Japan) for `files` (every
    /// file open to proposals when empty). Refused when the period is shorter than 30 days
    /// (規則53: the last day at least 30 days after the first), when it starts before today (a
    /// call is recorded before or when it opens, never back-dated), or when a file is not open to
    /// proposals or names no office receiving them (法110条2号).
    pub fn open_call(
        &mut self,
        who: &Who,
        from: &str,
        until: &str,
        files: &[String],
        note: Option<&str>,
    ) -> Result<i64, RegistryError> {
        let today = crate::deadline::today_of(who)?;
        if date(from).is_none() || date(until).is_none() {
            return Err(refuse::value("a call's --from and --to are dates YYYY-MM-DD"));
        }
        if date(from) < date(&today) {
            return Err(refuse::law(format!(
                "a call cannot start before today ({today}): it is recorded before or when it opens (法111: by public notice)"
            )));
        }
        let days = crate::deadline::days_between(from, until).unwrap_or(-1);
        if days < MIN_CALL_DAYS {
            return Err(refuse::law(format!(
                "a call from {from} to {until} is shorter than 規則53 allows: its last day must be at least {MIN_CALL_DAYS} days after its first (counted without the first day, 民法140条), i.e. {} or later",
                crate::deadline::add_days(from, MIN_CALL_DAYS).unwrap_or_default()
            )));
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if let Some(n) = note {
            crate::check::text("note", n)?;
        }
        let open: Vec<crate::StoredFile> = self.files()?.into_iter().filter(|f| f.entry.open_to_proposals).collect();
        let chosen: Vec<&crate::StoredFile> = if files.is_empty() {
            if open.is_empty() {
                return Err(refuse::state("no file is open to proposals (法110): a call names the files it is for"));
            }
            open.iter().collect()
        } else {
            let mut out = Vec::new();
            for name in files {
                let f = open.iter().find(|f| &f.entry.name == name).ok_or_else(|| {
                    refuse::law(format!("file `{name}` is not registered as open to proposals (法110): no call for it"))
                })?;
                if !out.iter().any(|o: &&crate::StoredFile| o.id == f.id) {
                    out.push(f);
                }
            }
            out
        };
        for f in &chosen {
            if f.entry.proposal_office.as_deref().is_none_or(|o| o.trim().is_empty()) {
                return Err(refuse::law(format!(
                    "file `{}` names no office receiving proposals (法110条2号): set it with `tokumei file set-proposals {} --office ...`",
                    f.entry.name, f.entry.name
                )));
            }
        }
        let names: Vec<String> = chosen.iter().map(|f| f.entry.name.clone()).collect();
        let list = serde_json::to_string(&names).map_err(|e| self.db(e))?;
        self.change(who, "call-open", &format!("call {from} .. {until}"), |tx| {
            tx.execute(
                "INSERT INTO calls (open_from, open_until, files, note, opened, operator) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![from, until, list, note, who.time, who.operator],
            )
            .map_err(|e| refuse::storage(format!("call: {e}")))?;
            let id = tx.last_insert_rowid();
            Ok((id, vec![("calls", id.to_string())]))
        })
    }

    /// Close call `id` (it receives no proposal from now on). A call closed before it ran 30 days
    /// does not count as the year's call (規則53); the reason is recorded.
    pub fn close_call(&mut self, who: &Who, id: i64, note: &str) -> Result<Call, RegistryError> {
        crate::check::text("note", note)?;
        let call = self.call(id)?.ok_or_else(|| refuse::not_found(format!("no call {id} in the registry")))?;
        if call.closed.is_some() {
            return Err(refuse::state(format!("call {id} is already closed")));
        }
        let today = crate::deadline::today_of(who)?;
        self.change(who, "call-close", &format!("call {id}"), |tx| {
            let n = tx
                .execute(
                    "UPDATE calls SET closed = ?1, closed_on = ?2, close_note = ?3 WHERE id = ?4 AND closed IS NULL",
                    params![who.time, today, note.trim(), id],
                )
                .map_err(|e| refuse::storage(format!("call {id}: {e}")))?;
            if n != 1 {
                return Err(refuse::stale(format!("call {id} was closed while this step was prepared")));
            }
            Ok(((), vec![("calls", id.to_string())]))
        })?;
        self.call(id)?.ok_or_else(|| refuse::not_found(format!("call {id} is gone")))
    }

    /// A call by id.
    pub fn call(&self, id: i64) -> Result<Option<Call>, RegistryError> {
        Ok(self.calls()?.into_iter().find(|c| c.id == id))
    }

    /// Every call, oldest first.
    pub fn calls(&self) -> Result<Vec<Call>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, open_from, open_until, files, note, opened, operator, closed, closed_on, close_note
                 FROM calls ORDER BY id",
            )
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Call {
                    id: r.get(0)?,
                    open_from: r.get(1)?,
                    open_until: r.get(2)?,
                    files: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
                    note: r.get(4)?,
                    opened: r.get(5)?,
                    operator: r.get(6)?,
                    closed: r.get(7)?,
                    closed_on: r.get(8)?,
                    close_note: r.get(9)?,
                })
            })
            .map_err(|e| self.db(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.db(e))
    }

    /// The call that a 法112 proposal for `file` received on `day` answers, if any.
    pub fn call_receiving(&self, file: &str, day: &str) -> Result<Option<Call>, RegistryError> {
        Ok(self.calls()?.into_iter().find(|c| c.receives_on(day) && c.files.iter().any(|f| f == file)))
    }

    /// What the officer must be told about calls on `today`: for a body for which calls are
    /// mandatory (法111 with 附則7条: prefectures and designated cities), every file open to
    /// proposals for which no call that ran (or runs) 30 days opened in the current fiscal year
    /// (規則53「毎年度」). Empty when nothing is missing or calls are optional.
    pub fn call_warnings(&self, today: &str) -> Result<Vec<String>, RegistryError> {
        if !self.profile()?.proposals_mandatory() {
            return Ok(Vec::new());
        }
        let Some((fy, first, last)) = fiscal_year(today) else {
            return Err(refuse::value(format!("{today} is not a date")));
        };
        let calls = self.calls()?;
        let mut out = Vec::new();
        for f in self.files()?.into_iter().filter(|f| f.entry.open_to_proposals) {
            let called = calls.iter().any(|c| {
                c.open_from.as_str() >= first.as_str()
                    && c.open_from.as_str() <= last.as_str()
                    && c.ran_full_period()
                    && c.files.contains(&f.entry.name)
            });
            if !called {
                out.push(format!(
                    "file `{}`: no call for proposals of 30 days or more opened in fiscal year {fy} ({first} .. {last}); calls are mandatory for this body at least once every fiscal year (法111, 規則53, 2021 amendment 附則7条): open one with `tokumei call open`",
                    f.entry.name
                ));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fiscal_year_runs_from_april_to_march() {
        assert_eq!(fiscal_year("2027-03-31").map(|f| f.0), Some(2026));
        assert_eq!(fiscal_year("2027-04-01"), Some((2027, "2027-04-01".into(), "2028-03-31".into())));
        assert!(fiscal_year("2027-02-30").is_none());
    }

    fn call(from: &str, until: &str, closed_on: Option<&str>) -> Call {
        Call {
            id: 1,
            open_from: from.into(),
            open_until: until.into(),
            files: vec!["F".into()],
            note: None,
            opened: "t".into(),
            operator: "o".into(),
            closed: closed_on.map(|_| "t".into()),
            closed_on: closed_on.map(Into::into),
            close_note: None,
        }
    }

    /// 規則53: a call runs 30 days or more; one closed before that does not count.
    #[test]
    fn a_call_closed_early_did_not_run_its_30_days_rule_53() {
        assert!(call("2027-05-01", "2027-05-31", None).ran_full_period());
        assert!(!call("2027-05-01", "2027-05-30", None).ran_full_period());
        assert!(!call("2027-05-01", "2027-06-30", Some("2027-05-10")).ran_full_period());
        let c = call("2027-05-01", "2027-06-30", Some("2027-05-10"));
        assert!(!c.receives_on("2027-05-11") && !c.receives_on("2027-05-05"), "a closed call receives nothing");
        let c = call("2027-05-01", "2027-05-31", None);
        assert!(c.receives_on("2027-05-01") && c.receives_on("2027-05-31") && !c.receives_on("2027-06-01"));
        assert_eq!(c.status("2027-04-30"), "announced");
    }
}
