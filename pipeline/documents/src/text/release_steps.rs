//! What the CLI prints after a step of a release: destroyed, provided, identified.

use super::told::Told;
use std::path::Path;
use tokumei_registry::{ErasureToDo, StoredRelease};

/// `release destroyed`: the destruction recorded, and the copies requests still wait for.
pub fn destroyed(release_id: &str, (day, how): (&str, &str), to_do: &[ErasureToDo]) -> Told {
    let mut s = format!("recorded the destruction of release {release_id} on {day} ({how})\n");
    for t in to_do {
        let n = t.outstanding.len();
        put!(s, "  request {}: {n} internal copy(ies) still to destroy: {}", t.request_id, t.outstanding.join(", "));
    }
    Told::out(s)
}

/// `release provide`.
pub fn provided(release_id: &str, day: &str, medium: &str) -> Told {
    Told::out(format!("recorded the provision of release {release_id} on {day} ({medium})\n"))
}

/// `release identify`: the release a file is, its status, recipient and contract.
pub fn identified(file: &Path, r: &StoredRelease) -> Told {
    Told::out(format!(
        "{} is release {} ({}), provided to {} under contract {}\n",
        file.display(),
        r.release.release_id,
        r.status,
        r.recipient.as_deref().unwrap_or("(internal)"),
        r.release.contract_id.map(|c| c.to_string()).unwrap_or_else(|| "-".into())
    ))
}

/// `release verify`: its problems on stderr, or that every file of the releases checked matches.
pub fn verified(checked: usize, problems: &[String]) -> Told {
    let out = match problems.is_empty() {
        true => format!("{checked} published release(s): every file matches the registry\n"),
        false => String::new(),
    };
    Told { out, err: problems.iter().map(|p| format!("problem: {p}\n")).collect() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_destruction_without_copies_waiting_is_one_line() {
        let t = super::destroyed("r1", ("2026-01-01", "shredded"), &[]);
        assert_eq!(t.out, "recorded the destruction of release r1 on 2026-01-01 (shredded)\n");
        assert_eq!(super::provided("r1", "d", "USB").out, "recorded the provision of release r1 on d (USB)\n");
    }
}
