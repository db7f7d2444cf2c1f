//! What the CLI prints of residents' requests: the list with its deadlines, one request with its
//! timeline.

use crate::requests::{capacity_ja, copy_kind_ja};
use tokumei_registry::{CopyStatus, Event, StoredRequest};

/// A request as `request list` shows it: what is still to do and whether it is late.
pub struct Listed {
    /// The request.
    pub request: StoredRequest,
    /// Its internal copies not destroyed yet (an accepted erasure or stop of use).
    pub copies: usize,
    /// Not decided yet, or copies still to destroy.
    pub to_do: bool,
    /// Overdue (its decision, or its copies past the deadline).
    pub late: bool,
    /// Days left until the deadline.
    pub days_left: Option<i64>,
}

/// `request list --json`: a row per request.
pub fn list_json(list: &[Listed]) -> serde_json::Value {
    let rows: Vec<_> = list
        .iter()
        .map(|l| {
            let r = &l.request;
            serde_json::json!({
                "id": r.id, "kind": r.entry.kind.as_str(), "status": r.status, "received": r.entry.received,
                "deadline": r.deadline(), "days_left": l.days_left, "overdue": l.late,
                "extended": r.extension.is_some() || r.special.is_some(),
                "copies_to_destroy": l.copies,
                "part_by": r.special.as_ref().and_then(|e| e.part_by.clone()),
                "part_decided": r.special.as_ref().and_then(|e| e.part_decided.clone()),
            })
        })
        .collect();
    serde_json::Value::Array(rows)
}

/// `request list`: a line per request with its deadline, days left and flags.
pub fn list(list: &[Listed]) -> String {
    let mut out = String::new();
    let s = &mut out;
    put!(s, "{:<4} {:<11} {:<12} {:<10} {:<10} {:>5}  flag", "id", "kind", "status", "received", "deadline", "left");
    for l in list {
        let r = &l.request;
        let left = l.days_left.unwrap_or(0);
        let flag = if l.late {
            "OVERDUE"
        } else if l.to_do && left <= 7 {
            "due soon"
        } else {
            ""
        };
        let n = l.copies;
        put!(
            s,
            "{:<4} {:<11} {:<12} {:<10} {:<10} {:>5}  {flag}{}{}",
            r.id,
            r.entry.kind.as_str(),
            r.status,
            r.entry.received,
            r.deadline(),
            if l.to_do { left.to_string() } else { "-".into() },
            match &r.special {
                Some(e) if e.part_by.is_some() && e.part_decided.is_none() => " (法84: 相当の部分)",
                Some(_) => " (special extension)",
                None if r.extension.is_some() => " (extended)",
                None => "",
            },
            if n > 0 { format!(" ({n} internal copy(ies) to destroy)") } else { String::new() }
        );
    }
    if list.is_empty() {
        put!(s, "no request matches");
    }
    out
}

/// `request show --json`: the request, its deadline, copies and timeline.
pub fn show_json(r: &StoredRequest, events: &[Event], copies: &[CopyStatus], today: &str) -> serde_json::Value {
    let outstanding = copies.iter().filter(|c| !c.done).count();
    serde_json::json!({
        "request": r, "deadline": r.deadline(),
        "overdue": r.overdue(today) || outstanding > 0 && today > r.deadline().as_str(),
        "internal_copies": copies, "copies_to_destroy": outstanding, "events": events,
    })
}

/// `request show`: the request with its deadline, decision, internal copies and timeline.
pub fn show(r: &StoredRequest, events: &[Event], copies: &[CopyStatus], today: &str) -> String {
    let mut out = String::new();
    let s = &mut out;
    let outstanding = copies.iter().filter(|c| !c.done).count();
    put!(s, "request {}: {} ({}), {}", r.id, r.entry.kind.label(), r.entry.kind.as_str(), r.status);
    put!(s, "  requester      {} ({})", r.entry.requester, capacity_ja(r));
    put!(s, "  verified by    {}", r.entry.verification);
    put!(s, "  records asked  {}", r.entry.records);
    put!(
        s,
        "  person         {}",
        match (&r.subject, &r.matched) {
            (Some(_), Some(m)) => format!("matched ({}, {} candidate(s))", m.method, m.candidates),
            _ => "not matched yet".into(),
        }
    );
    put!(s, "  received       {} (defect days {})", r.entry.received, r.defect_days);
    put!(s, "  deadline       {}{}", r.deadline(), if r.overdue(today) { "  OVERDUE" } else { "" });
    if let Some(e) = &r.extension {
        put!(s, "  extended       to {} ({} days)", e.until, e.days);
    }
    if let Some(e) = &r.special {
        match (&e.part_by, &e.part_decided) {
            (Some(by), None) => {
                put!(s, "  special ext.   相当の部分 due {by} (not yet recorded), the rest by {}", e.until)
            }
            (Some(by), Some(done)) => {
                put!(s, "  special ext.   相当の部分 due {by}, decided {done}; the rest by {}", e.until)
            }
            _ => put!(s, "  special ext.   decision by {}", e.until),
        }
    }
    for a in &r.attestations {
        put!(
            s,
            "  attested       {} outside the registered sources: {} ({}, {})",
            if a.held { "records held" } else { "none held" },
            a.description,
            a.date,
            a.operator
        );
    }
    if let Some(d) = &r.decision {
        put!(s, "  decision       {} on {}{}", d.decision, d.date, if d.late { " (late)" } else { "" });
    }
    if let Some(c) = &r.carried_out {
        put!(s, "  carried out    {} by {}", c.date, c.method);
    }
    if !copies.is_empty() {
        put!(
            s,
            "  internal copies to erase or stop (保有個人情報): {} of {} still to destroy{}",
            outstanding,
            copies.len(),
            if outstanding > 0 && today > r.deadline().as_str() { "  OVERDUE" } else { "" }
        );
        for c in copies {
            let state = match (&c.destroyed, &c.replaced_by, c.abandoned) {
                (Some(d), _, _) => format!("destroyed {} by {} ({})", d.date, d.operator, d.how),
                (None, _, true) => "never published (abandoned)".into(),
                (None, Some(by), _) => format!("replaced by {by}; destruction not recorded"),
                (None, None, _) => "to replace and destroy".into(),
            };
            put!(
                s,
                "    {} ({}{}): {state}",
                c.copy.release_id,
                copy_kind_ja(&c.copy.mode),
                if c.copy.indexed { "" } else { ", may hold the person" }
            );
        }
    }
    put!(s, "  timeline:");
    for e in events {
        put!(s, "    {} {:<22} {}", e.time, e.event, e.operator);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_empty_list_says_so_under_its_header() {
        let text = super::list(&[]);
        assert!(text.starts_with("id   kind "));
        assert!(text.ends_with("no request matches\n"));
        assert_eq!(super::list_json(&[]), serde_json::json!([]));
    }
}
