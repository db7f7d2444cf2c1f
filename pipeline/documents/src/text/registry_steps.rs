//! What the CLI prints after a change to the registry itself: created, exported, purged, reset,
//! verified.

use super::told::Told;
use std::path::Path;
use tokumei_registry::Purged;

/// `registry init`: the registry, its body and kind, and the log of its changes.
pub fn created(path: &Path, (body, actor): (&str, &str), audit_log: &Path) -> Told {
    Told::out(format!(
        "created registry {} for {body} ({actor}); its changes are audited in {}\n",
        path.display(),
        audit_log.display()
    ))
}

/// `registry export --out`: the rows written.
pub fn exported(n: u64, out: &Path) -> Told {
    Told::out(format!("exported {n} rows to {}\n", out.display()))
}

/// `registry purge-expired`: each contract removed (or that would be), or none.
pub fn purged(list: &[Purged], dry_run: bool) -> Told {
    let mut s = String::new();
    for p in list {
        put!(
            s,
            "{} contract {} ({}, retained until {}) with {} release record(s)",
            if dry_run { "would remove" } else { "removed" },
            p.contract_id,
            p.state,
            p.retained_until,
            p.releases.len()
        );
    }
    if list.is_empty() {
        put!(s, "no record has reached the end of its retention period");
    }
    Told::out(s)
}

/// `registry reset` of a registry that is gone: recorded in its log, its ids retired.
pub fn retired(path: &Path, audit_log: &Path, ids: usize) -> Told {
    Told::out(format!(
        "registry {}: recorded as gone in {} ({ids} registry id(s) retired); runs may run without it\n",
        path.display(),
        audit_log.display()
    ))
}

/// `registry reset`: the registry accepted with its problems (listed on stderr).
pub fn accepted(path: &Path, problems: &[String]) -> Told {
    Told {
        out: format!(
            "registry {}: reset recorded in its audit log ({} problem(s) accepted); the registry is in use again\n",
            path.display(),
            problems.len()
        ),
        err: problems.iter().map(|p| format!("accepted: {p}\n")).collect(),
    }
}

/// `registry verify`: its problems on stderr, or that every row and change matches the log.
pub fn verified(path: &Path, problems: &[String]) -> Told {
    let out = match problems.is_empty() {
        true => format!("registry {}: every row and change matches the audit log\n", path.display()),
        false => String::new(),
    };
    Told { out, err: problems.iter().map(|p| format!("problem: {p}\n")).collect() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nothing_purged_says_so_and_problems_accepted_go_to_stderr() {
        assert_eq!(super::purged(&[], true).out, "no record has reached the end of its retention period\n");
        let t = super::accepted(std::path::Path::new("r"), &["x".into()]);
        assert_eq!(t.err, "accepted: x\n");
        assert!(t.out.starts_with("registry r: reset recorded in its audit log (1 problem(s) accepted)"));
    }
}
