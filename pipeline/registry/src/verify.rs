//! The registry's proof against itself and its audit log ([`Registry::verify_logs`]): SQLite's
//! integrity and a schema with no trigger or view, every tracked row as its last change left
//! it, the per-subject index as registered, and every change with its audit entry and back.

use crate::seal;
use crate::{COMMITTED, LOST, Recorded, Registry, RegistryError, releases};
use rusqlite::OptionalExtension;
use serde_json::Value;

/// A change as the journal holds it: id, audit sequence number, audit hash, rows (JSON).
type Logged = (i64, Option<i64>, Option<String>, String);

/// What the journal holds: the last recorded hash of every tracked row, the changes, and each
/// change's action, time, operator and subject.
struct Journal {
    recorded: Recorded,
    changes: Vec<Logged>,
    said: std::collections::HashMap<i64, [String; 4]>,
}

impl Registry {
    /// [`Registry::verify`] against a log and the logs it continues (`tokumei audit rotate`),
    /// oldest first ([`crate::log_chain`]).
    pub fn verify_logs(&self, logs: &[&[tokumei_audit::Entry]]) -> Result<Vec<String>, RegistryError> {
        let mut problems = self.schema_problems()?;
        let Journal { recorded, changes, said: journal } = self.journal(&mut problems)?;
        problems.extend(self.row_problems(&recorded, |_| true)?);
        problems.extend(self.sequence_problems(&recorded)?);
        problems.extend(self.request_problems()?);
        problems.extend(self.copy_problems()?);
        problems.extend(self.incident_problems()?);
        problems.extend(self.subject_index_problems()?);
        problems.extend(self.log_problems(logs, &changes, &journal)?);
        Ok(problems)
    }

    /// SQLite's integrity check, and the schema's triggers and views: it has none. One added
    /// outside tokumei changes no row, but would rewrite the rows of every later change before
    /// their hashes are taken.
    fn schema_problems(&self) -> Result<Vec<String>, RegistryError> {
        let mut problems = Vec::new();
        let integrity: String =
            self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|e| self.db(e))?;
        if integrity != "ok" {
            problems.push(format!("SQLite integrity check: {integrity}"));
        }
        let mut stmt = self
            .conn
            .prepare("SELECT type, name FROM sqlite_schema WHERE type IN ('trigger', 'view') ORDER BY type, name")
            .map_err(|e| self.db(e))?;
        let extra = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.db(e))?;
        for (kind, name) in extra {
            problems.push(format!("schema: {kind} {name} was added outside tokumei (the registry has none)"));
        }
        Ok(problems)
    }

    /// The journal of changes; a change whose list of rows is unreadable is a problem.
    fn journal(&self, problems: &mut Vec<String>) -> Result<Journal, RegistryError> {
        let mut recorded: Recorded = Default::default();
        let mut changes: Vec<Logged> = Vec::new();
        let mut journal: std::collections::HashMap<i64, [String; 4]> = Default::default();
        let mut stmt = self
            .conn
            .prepare("SELECT id, audit_seq, audit_hash, rows, action, time, operator, subject FROM changes ORDER BY id")
            .map_err(|e| self.db(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.db(e))?;
        while let Some(r) = rows.next().map_err(|e| self.db(e))? {
            let id: i64 = r.get(0).map_err(|e| self.db(e))?;
            let text: String = r.get(3).map_err(|e| self.db(e))?;
            let list: Vec<Value> = serde_json::from_str(&text).unwrap_or_default();
            for row in list {
                let (Some(t), Some(k)) = (row["table"].as_str(), row["key"].as_str()) else {
                    problems.push(format!("change {id}: its list of rows is unreadable"));
                    continue;
                };
                recorded.insert((t.to_string(), k.to_string()), (row["sha256"].as_str().map(String::from), id));
            }
            journal.insert(
                id,
                [
                    r.get(4).map_err(|e| self.db(e))?,
                    r.get(5).map_err(|e| self.db(e))?,
                    r.get(6).map_err(|e| self.db(e))?,
                    r.get(7).map_err(|e| self.db(e))?,
                ],
            );
            changes.push((id, r.get(1).map_err(|e| self.db(e))?, r.get(2).map_err(|e| self.db(e))?, text));
        }
        Ok(Journal { recorded, changes, said: journal })
    }

    /// The per-subject index holds, per release, the entries its registration counted, and
    /// names no release that is not registered.
    fn subject_index_problems(&self) -> Result<Vec<String>, RegistryError> {
        let mut problems = Vec::new();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.release_id, r.subject_entries, (SELECT count(*) FROM subject_index s WHERE s.release_id = r.release_id)
                 FROM releases r",
            )
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))
            .map_err(|e| self.db(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.db(e))?;
        for (id, want, have) in rows {
            if want != have {
                problems.push(format!("subject index of release {id}: {have} entries, registered with {want}"));
                continue;
            }
            let registered: Option<String> = self
                .conn
                .query_row("SELECT subject_digest FROM releases WHERE release_id = ?1", [&id], |r| r.get(0))
                .map_err(|e| self.db(e))?;
            let mut codes =
                self.conn.prepare("SELECT code FROM subject_index WHERE release_id = ?1").map_err(|e| self.db(e))?;
            let codes: Vec<String> = codes
                .query_map([&id], |r| r.get(0))
                .map_err(|e| self.db(e))?
                .collect::<Result<_, _>>()
                .map_err(|e| self.db(e))?;
            if registered.as_deref() != Some(releases::subject_digest(codes.iter().map(String::as_str)).as_str()) {
                problems.push(format!("subject index of release {id}: its entries differ from those registered"));
            }
        }
        let orphans: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM subject_index s WHERE NOT EXISTS (SELECT 1 FROM releases r WHERE r.release_id = s.release_id)",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.db(e))?;
        if orphans > 0 {
            problems.push(format!("subject index: {orphans} entries name no registered release"));
        }
        Ok(problems)
    }

    /// Every change with its audit entry (same hash, who, when and what), and every audit
    /// entry of this registry with its change, unless a reset accepted its loss.
    fn log_problems(
        &self,
        logs: &[&[tokumei_audit::Entry]],
        changes: &[Logged],
        journal: &std::collections::HashMap<i64, [String; 4]>,
    ) -> Result<Vec<String>, RegistryError> {
        let mut problems = Vec::new();
        let me = self.id()?;
        // Entries are placed by (log, seq): the logs a rotated log continues come first, and
        // sequence numbers start again in each log. A change's entry is found by its hash.
        let placed: Vec<(usize, &tokumei_audit::Entry)> =
            logs.iter().enumerate().flat_map(|(i, l)| l.iter().map(move |e| (i, e))).collect();
        let newest = logs.len().saturating_sub(1);
        let by_hash: std::collections::HashMap<&str, (usize, &tokumei_audit::Entry)> =
            placed.iter().map(|(i, e)| (e.hash.as_str(), (*i, *e))).collect();
        let by_seq: std::collections::HashMap<(usize, u64), &tokumei_audit::Entry> =
            placed.iter().map(|(i, e)| ((*i, e.seq), *e)).collect();
        let mut logged = std::collections::BTreeSet::new();
        for (id, seq, hash, rows) in changes {
            let found = hash
                .as_deref()
                .and_then(|h| by_hash.get(h))
                .filter(|(_, e)| Some(e.seq as i64) == *seq)
                .copied()
                .or_else(|| seq.and_then(|s| by_seq.get(&(newest, s as u64)).map(|e| (newest, *e))));
            match found {
                None => problems.push(format!("change {id}: its audit entry {} is not in the log", seq.unwrap_or(0))),
                Some((at, e)) => {
                    let d = &e.record.details;
                    let rows_logged = d.get("rows").map(Value::to_string);
                    // Who, when and what, as the entry says.
                    let same_journal = journal.get(id).is_some_and(|[action, time, operator, subject]| {
                        e.record.action == format!("registry-{action}")
                            && e.record.time == *time
                            && e.record.operator == *operator
                            && d.get("subject").and_then(Value::as_str) == Some(subject.as_str())
                    });
                    if !same_journal
                        || Some(&e.hash) != hash.as_ref()
                        || d.get("registry").and_then(Value::as_str) != Some(me.as_str())
                        || d.get("change").and_then(Value::as_i64) != Some(*id)
                        || rows_logged.as_deref() != Some(rows.as_str())
                    {
                        problems.push(format!("change {id}: does not match audit entry {}", e.seq));
                    }
                    logged.insert((at, e.seq));
                }
            }
        }
        let is_mine = |e: &tokumei_audit::Entry| e.record.details.get("registry").and_then(Value::as_str) == Some(&me);
        // A confirmation or a loss names an entry of its own log, or of the log before it when
        // the log was rotated between the change and its confirmation.
        let refer = |at: usize, seq: u64| -> (usize, u64) {
            let change_here = by_seq.get(&(at, seq)).is_some_and(|e| {
                is_mine(e) && e.record.action.starts_with("registry-") && !seal::bookkeeping(&e.record.action)
            });
            if change_here || at == 0 { (at, seq) } else { (at - 1, seq) }
        };
        let referred = |action: &str, key: &str| -> std::collections::BTreeSet<(usize, u64)> {
            placed
                .iter()
                .filter(|(_, e)| is_mine(e) && e.record.action == action)
                .filter_map(|(i, e)| e.record.details.get(key).and_then(Value::as_u64).map(|s| refer(*i, s)))
                .collect()
        };
        let recorded_lost = referred(LOST, "lost_entry");
        let confirmed = referred(COMMITTED, "entry");
        // An officer's reset accepts the changes lost before it.
        let reset_hash: Option<String> = self
            .conn
            .query_row(
                "SELECT audit_hash FROM changes WHERE action = ?1 ORDER BY id DESC LIMIT 1",
                [seal::RESET_ACTION],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.db(e))?
            .flatten();
        let reset_at: (usize, u64) =
            reset_hash.as_deref().and_then(|h| by_hash.get(h)).map_or((0, 0), |(i, e)| (*i, e.seq));
        for (at, seq) in confirmed.intersection(&recorded_lost).filter(|p| **p >= reset_at) {
            let log = if *at == newest { String::new() } else { " (in a log rotated since)".to_string() };
            problems.push(format!(
                "audit entry {seq}{log}: its change was confirmed committed, then recorded as lost: it was removed from the registry"
            ));
        }
        for (at, e) in &placed {
            let d = &e.record.details;
            let here = (*at, e.seq);
            if e.record.action.starts_with("registry-")
                && !seal::bookkeeping(&e.record.action)
                && is_mine(e)
                && !logged.contains(&here)
                && here >= reset_at
                && (confirmed.contains(&here) || !recorded_lost.contains(&here))
            {
                let log = if *at == newest { String::new() } else { " (in a log rotated since)".to_string() };
                problems.push(format!(
                    "audit entry {}{log} records registry change {} that the registry does not have (lost before its commit, or removed)",
                    e.seq,
                    d.get("change").map(Value::to_string).unwrap_or_default()
                ));
            }
        }
        Ok(problems)
    }
}
