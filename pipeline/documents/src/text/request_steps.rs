//! What the CLI prints after a request's step: one message per step, rendered from plain values.

use super::told::Told;
use std::path::Path;
use tokumei_registry::StoredRequest;

/// `request open`: the number, kind and due date, and the next step while the person is unknown.
pub fn opened(r: &StoredRequest) -> Told {
    let mut s = String::new();
    put!(
        s,
        "opened request {} ({}), received {}, decision due {}",
        r.id,
        r.entry.kind.label(),
        r.entry.received,
        r.due
    );
    if r.subject.is_none() {
        put!(s, "  next: find the person with `tokumei request match {}`", r.id);
    }
    Told::out(s)
}

/// `request defect`: the days not counted and the new due date.
pub fn defected(id: i64, days: i64, due: &str) -> Told {
    Told::out(format!("request {id}: {days} day(s) not counted; decision now due {due}\n"))
}

/// `request part-decided`: the day (late or not) and the rest's deadline.
pub fn part_decided(id: i64, day: &str, late: bool, rest: &str) -> Told {
    let late = if late { " (after its date, 法84)" } else { "" };
    Told::out(format!("request {id}: the 相当の部分 decided on {day}{late}; the rest is due by {rest}\n"))
}

/// `request withhold`: the item withheld with its citation, or disclosed again.
pub fn withheld(id: i64, item: usize, citation: Option<&str>) -> Told {
    Told::out(match citation {
        Some(citation) => format!(
            "request {id}: item {item} withheld ({citation}); rebuild the package with `tokumei request disclose {id}`\n"
        ),
        None => format!("request {id}: item {item} disclosed\n"),
    })
}

/// Lines as one text, each ending in a newline.
pub fn lines(lines: &[String]) -> Told {
    Told::out(lines.iter().map(|l| format!("{l}\n")).collect())
}

/// `request notice`: the notice recorded.
pub fn noticed(id: i64, kind: &str, to: &str, day: &str) -> Told {
    Told::out(format!("request {id}: {kind} notice to {to} recorded ({day})\n"))
}

/// `request close`.
pub fn closed(id: i64) -> Told {
    Told::out(format!("request {id}: closed\n"))
}

/// `request revoke-correction`: the columns revoked.
pub fn revoked(id: i64, columns: &[String]) -> Told {
    Told::out(format!("request {id}: correction of {} revoked; later runs no longer apply it\n", columns.join(", ")))
}

/// A candidate record as `request match` shows it: subject, file, location and fields.
pub struct Candidate<'a> {
    /// The subject identifier.
    pub subject: &'a str,
    /// The personal-information file.
    pub file: &'a str,
    /// Where the record is.
    pub location: &'a str,
    /// Its columns and values.
    pub fields: &'a [(String, String)],
}

/// `request match` without `--choose`: every candidate (My Number columns not shown).
pub fn candidates(id: i64, candidates: &[Candidate], people: usize) -> Told {
    let mut s = String::new();
    put!(s, "{} candidate record(s), {} person(s):", candidates.len(), people);
    for c in candidates {
        put!(s, "  subject {}  {} {}", c.subject, c.file, c.location);
        for (col, v) in c.fields.iter().filter(|(col, _)| !tokumei_registry::is_my_number_column(col)) {
            put!(s, "      {col}: {v}");
        }
    }
    if people > 0 {
        put!(s, "record the person with `tokumei request match {id} --choose <subject> --note ...`");
    }
    Told::out(s)
}

/// `request match --choose`: the person recorded.
pub fn chosen(id: i64, shown: usize) -> Told {
    Told::out(format!("request {id}: person recorded ({shown} candidate(s) shown)\n"))
}

/// `request extend`: the new deadline (the 相当の部分's too for 法84) and the notice draft.
pub fn extended(id: i64, part_by: Option<&str>, until: &str, notice: &Path) -> Told {
    Told::out(match part_by {
        Some(by) => format!(
            "request {id}: the 相当の部分 is due by {by} (法84: within the normal period), the rest by {until}; notice draft {}\n",
            notice.display()
        ),
        None => format!("request {id}: deadline now {until}; notice draft {}\n", notice.display()),
    })
}

/// `request disclose`: records, items, withheld, digest and folder; a warning when cleared.
pub fn disclosed(
    id: i64,
    (records, items, withheld): (usize, usize, usize),
    sha256: &str,
    dir: &Path,
    cleared: bool,
) -> Told {
    let err = if cleared {
        "warning: the records changed since the last draft: the items withheld from it were cleared; withhold again\n"
    } else {
        ""
    };
    let out = format!(
        "request {id}: {records} record(s), {items} item(s), {withheld} withheld; draft {} written to {}\n",
        &sha256[..12],
        dir.display()
    );
    Told { out, err: err.into() }
}

/// `request attest`: what was attested (and, for a disclosure, to rebuild its package).
pub fn attested(id: i64, held: bool, disclosure: bool) -> Told {
    Told::out(if held && disclosure {
        format!(
            "request {id}: records outside the registered sources attested; rebuild the package (`tokumei request disclose {id}`) before deciding\n"
        )
    } else if held {
        format!("request {id}: records outside the registered sources attested\n")
    } else {
        format!("request {id}: the files outside the registered sources were searched and hold none (attested)\n")
    })
}

/// `request carry-out`: the day, the method and the window's end; a note on its holidays.
pub fn carried(id: i64, (date, method): (&str, &str), window_end: &str, note: Option<&str>) -> Told {
    let out = format!(
        "request {id}: disclosed on {date} by {method}; correction or suspension may be asked until {window_end}\n"
    );
    Told { out, err: note.map(|n| format!("note: {n}\n")).unwrap_or_default() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_step_tells_its_line_and_its_warnings_apart() {
        let t = super::disclosed(3, (2, 5, 1), "0123456789abcdef", std::path::Path::new("out"), true);
        assert_eq!(t.out, "request 3: 2 record(s), 5 item(s), 1 withheld; draft 0123456789ab written to out\n");
        assert!(t.err.starts_with("warning: the records changed"));
        assert_eq!(super::withheld(1, 2, None).out, "request 1: item 2 disclosed\n");
        let c = super::carried(1, ("2026-01-05", "閲覧"), "2026-04-06", Some("x"));
        assert_eq!(c.err, "note: x\n");
        assert_eq!(super::candidates(4, &[], 0).out, "0 candidate record(s), 0 person(s):\n");
    }
}
