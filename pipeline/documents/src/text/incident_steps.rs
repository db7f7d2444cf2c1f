//! What the CLI prints after an incident's step: one message per step, rendered from plain values.

use super::told::Told;
use crate::incidents::assessment_lines;
use std::path::Path;
use tokumei_registry::StoredIncident;

/// `incident open`: the incident's number, title, event and discovery, then its assessment.
pub fn opened(i: &StoredIncident) -> Told {
    let mut s = String::new();
    put!(s, "opened incident {}: {} ({}), discovered {}", i.id, i.facts.title, i.event(), i.facts.discovered);
    Told::out(s + &assessment(i))
}

/// `incident update`: the incident updated, then its assessment.
pub fn updated(i: &StoredIncident) -> Told {
    Told::out(format!("updated incident {}\n", i.id) + &assessment(i))
}

/// The assessment's lines, as `incident open`, `update` and `show` print them.
fn assessment(i: &StoredIncident) -> String {
    assessment_lines(i).iter().map(|l| format!("{l}\n")).collect()
}

/// `incident filed`: the report filed, late or not.
pub fn filed(id: i64, stage: &str, date: &str, late: bool) -> Told {
    Told::out(format!(
        "incident {id}: {stage} report filed on {date}{}\n",
        if late { " (after its due date)" } else { "" }
    ))
}

/// `incident notices`: the letters written (found: how many people's name and address were found),
/// the warnings of the search on stderr.
pub fn notices(id: i64, (letters, found): (usize, usize), dir: &Path, warnings: &[String]) -> Told {
    let mut s = String::new();
    put!(s, "notices for incident {id}: {letters} letters and notices.csv in {}", dir.display());
    let missing = letters - found;
    if missing > 0 && found > 0 {
        put!(s, "  {missing} people not found in the sources' name/address columns: check the letters marked （氏名）");
    }
    Told { out: s, err: warnings.iter().map(|w| format!("warning: {w}\n")).collect() }
}

/// `incident notify` / `except`: how many recorded (`what`: notice or exception), how many still
/// to notify.
pub fn recorded(id: i64, what: &str, n: u64, pending: u64) -> Told {
    Told::out(format!("incident {id}: {n} {what}(s) recorded; {pending} people still to notify\n"))
}

/// `incident close`.
pub fn closed(id: i64) -> Told {
    Told::out(format!("incident {id} closed\n"))
}

/// `incident report` of a contract incident: its record, no report.
pub fn contract_record(id: i64, record: &Path) -> Told {
    let mut s = String::new();
    put!(s, "incident {id} is a contract incident (a leaked anonymised release): no report to the Commission");
    put!(s, "  record written to {}", record.display());
    Told::out(s)
}

/// `incident report`: a note when no report is required, the drafts written, the due date.
pub fn reported(
    i: &StoredIncident,
    stage: &str,
    (paths, my_number): (&(std::path::PathBuf, std::path::PathBuf), Option<&(std::path::PathBuf, std::path::PathBuf)>),
    draft: &serde_json::Value,
) -> Told {
    let (id, a, mut s) = (i.id, &i.assessment, String::new());
    if !a.report_required {
        put!(
            s,
            "note: {} for incident {id}; the {} draft is for a voluntary report",
            if a.my_number_report {
                "no trigger of 法68/法26 fired, but the My Number report (番号法29条の4) is required"
            } else {
                "no report is required (no trigger fired, or exempt)"
            },
            if a.regime == "article26" { "法26" } else { "法68" },
        );
    }
    put!(s, "report ({stage}) for incident {id}: {} and {}", paths.0.display(), paths.1.display());
    if let Some((mj, mh)) = my_number {
        put!(s, "My Number report ({stage}, 番号法29条の4) for incident {id}: {} and {}", mj.display(), mh.display());
    }
    if let Some(d) = draft["due"].as_str() {
        put!(
            s,
            "  due {d} ({}); record the filing with `tokumei incident filed {id} --stage {stage} --reference ...`",
            draft["counting"].as_str().unwrap_or("-")
        );
    }
    Told::out(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn notices_tell_the_letters_and_warn_apart() {
        let t = super::notices(2, (3, 1), std::path::Path::new("d"), &["w".into()]);
        assert_eq!(t.err, "warning: w\n");
        assert!(t.out.starts_with("notices for incident 2: 3 letters and notices.csv in d\n  2 people not found"));
        assert_eq!(
            super::recorded(2, "notice", 1, 0).out,
            "incident 2: 1 notice(s) recorded; 0 people still to notify\n"
        );
        assert_eq!(super::closed(5).out, "incident 5 closed\n");
    }
}
