//! What the CLI prints of leak incidents: the list with the next report due, one incident with
//! its assessment and timeline.

use crate::incidents::assessment_lines;
use tokumei_registry::{Event, StoredIncident};

/// `incident list --json`: a row per incident, judged on `today`.
pub fn list_json(list: &[StoredIncident], today: &str) -> serde_json::Value {
    let rows: Vec<_> = list
        .iter()
        .map(|i| {
            let next = i.next_due();
            serde_json::json!({
                "id": i.id, "status": i.status, "title": i.facts.title, "regime": i.assessment.regime,
                "discovered": i.facts.discovered_day(), "people": i.scope.people,
                "report_required": i.assessment.report_required,
                "triggers": i.assessment.triggers.iter().filter(|t| t.fired).map(|t| &t.code).collect::<Vec<_>>(),
                "preliminary_due": i.preliminary_due, "final_due": i.final_due,
                "preliminary_filed": i.preliminary_filed, "final_filed": i.final_filed,
                "next_due": next.as_ref().map(|n| n.0), "next_due_date": next.as_ref().map(|n| n.1.clone()),
                "days_left": next.as_ref().and_then(|n| tokumei_registry::deadline::days_between(today, &n.1)),
                "my_number_report": i.assessment.my_number_report, "reassessed": i.reassessed.is_some(),
                "overdue": i.overdue(today), "notices_pending": if i.assessment.reports_due() { i.notices.pending() } else { 0 },
            })
        })
        .collect();
    serde_json::Value::Array(rows)
}

/// `incident list`: a line per incident with its next report due and flags, judged on `today`.
pub fn list(list: &[StoredIncident], today: &str) -> String {
    let mut out = String::new();
    let s = &mut out;
    put!(s, "{:<4} {:<10} {:<10} {:>7}  {:<22} {:>5}  flag", "id", "regime", "found", "people", "next due", "left");
    for i in list {
        let next = i.next_due();
        let left = next.as_ref().and_then(|n| tokumei_registry::deadline::days_between(today, &n.1));
        let flag = if i.overdue(today) {
            "OVERDUE"
        } else if left.is_some_and(|l| l <= 2) {
            "due soon"
        } else {
            ""
        };
        let mut pending = if i.assessment.reports_due() && i.notices.pending() > 0 {
            format!(" ({} to notify)", i.notices.pending())
        } else {
            String::new()
        };
        if i.reassessed.is_some() {
            pending.push_str(" (re-assessed under the current rules: see `registry status`)");
        }
        put!(
            s,
            "{:<4} {:<10} {:<10} {:>7}  {:<22} {:>5}  {flag}{pending}",
            i.id,
            i.assessment.regime,
            i.facts.discovered_day(),
            i.scope.people,
            next.as_ref().map(|n| format!("{} {}", n.0, n.1)).unwrap_or_else(|| if i.status == "open" {
                "-".into()
            } else {
                "closed".into()
            }),
            left.map(|l| l.to_string()).unwrap_or_else(|| "-".into()),
        );
    }
    if list.is_empty() {
        put!(s, "no incident matches");
    }
    out
}

/// `incident show --json`: the incident, whether it is overdue, its timeline.
pub fn show_json(i: &StoredIncident, events: &[Event], today: &str) -> serde_json::Value {
    serde_json::json!({"incident": i, "overdue": i.overdue(today), "events": events})
}

/// `incident show`: the facts, the scope, the assessment, what was filed and notified, the
/// timeline.
pub fn show(i: &StoredIncident, events: &[Event]) -> String {
    let mut out = String::new();
    let s = &mut out;
    put!(s, "incident {}: {} — {} ({})", i.id, i.facts.title, i.event(), i.status);
    put!(s, "  discovered     {} by {}", i.facts.discovered, i.facts.discovered_by);
    put!(s, "  cause          {}", i.facts.cause);
    let causes = i.facts.all_causes();
    if !causes.is_empty() {
        put!(s, "  causes         {}", causes.iter().map(|c| c.label()).collect::<Vec<_>>().join("、"));
    }
    if let Some(r) = &i.facts.no_unlawful_purpose_reason {
        put!(s, "  no unlawful purpose suspected: {r}");
    }
    put!(
        s,
        "  scope          {}",
        match (&i.scope.release_id, &i.scope.file) {
            (Some(r), _) => format!(
                "release {r}{}",
                i.scope.recipient.as_ref().map(|x| format!(" (provided to {x})")).unwrap_or_default()
            ),
            (None, Some(f)) =>
                format!("file {f}{}", if i.scope.filter.is_some() { " (narrowed by the intake's `where`)" } else { "" }),
            _ => "-".into(),
        }
    );
    put!(s, "  items          {}", i.scope.items.iter().map(|x| x.name.as_str()).collect::<Vec<_>>().join(", "));
    if let Some(n) = &i.reassessed {
        put!(s, "  NOTE           {n}");
    }
    for line in assessment_lines(i) {
        put!(s, "{line}");
    }
    put!(
        s,
        "  filed          速報 {} / 確報 {}",
        i.preliminary_filed.as_deref().unwrap_or("-"),
        i.final_filed.as_deref().unwrap_or("-")
    );
    put!(
        s,
        "  notices        {} sent, {} excepted, {} pending",
        i.notices.sent,
        i.notices.excepted,
        i.notices.pending()
    );
    put!(s, "  timeline");
    for ev in events {
        put!(s, "    {} {:<18} {}", ev.time, ev.event, ev.operator);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_empty_list_says_so_under_its_header() {
        let text = super::list(&[], "2027-04-01");
        assert!(text.starts_with("id   regime "));
        assert!(text.ends_with("no incident matches\n"));
        assert_eq!(super::list_json(&[], "2027-04-01"), serde_json::json!([]));
    }
}
