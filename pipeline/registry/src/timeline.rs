//! What requests and incidents share: a row updated by each step, an append-only event per step
//! (the timeline), and a guard against a step prepared on a stale read (another officer's step
//! came in between: the number of events is the row's version).

use crate::refuse;
use crate::{Registry, RegistryError, Who};
use rusqlite::params;

/// A kind of record with a timeline.
pub(crate) struct Timeline {
    /// The table of the records.
    pub table: &'static str,
    /// The table of their events.
    pub events: &'static str,
    /// The events' column naming the record.
    pub key: &'static str,
    /// The record's name in messages and in the CLI (`request`, `incident`).
    pub noun: &'static str,
}

/// Residents' requests.
pub(crate) const REQUESTS: Timeline =
    Timeline { table: "requests", events: "request_events", key: "request_id", noun: "request" };
/// Leak incidents.
pub(crate) const INCIDENTS: Timeline =
    Timeline { table: "incidents", events: "incident_events", key: "incident_id", noun: "incident" };

impl Timeline {
    /// Refuse a step prepared on a read of record `id` that another step has since changed.
    pub fn unchanged(&self, tx: &rusqlite::Transaction, id: i64, seen: i64) -> Result<(), RegistryError> {
        let now: i64 = tx
            .query_row(&format!("SELECT count(*) FROM {} WHERE {} = ?1", self.events, self.key), [id], |r| r.get(0))
            .map_err(|e| refuse::storage(format!("{} {id}: {e}", self.noun)))?;
        if now != seen {
            return Err(refuse::stale(format!(
                "{n} {id} changed while this step was prepared (another step was recorded): look at it again (`tokumei {n} show {id}`)",
                n = self.noun
            )));
        }
        Ok(())
    }

    /// Add an event to record `id`'s timeline; returns the event's id.
    pub fn event(
        &self,
        tx: &rusqlite::Transaction,
        id: i64,
        who: &Who,
        name: &str,
        detail: serde_json::Value,
    ) -> Result<i64, RegistryError> {
        tx.execute(
            &format!(
                "INSERT INTO {} ({}, time, operator, event, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                self.events, self.key
            ),
            params![id, who.time, who.operator, name, detail.to_string()],
        )
        .map_err(|e| refuse::storage(format!("{} {id}: {e}", self.noun)))?;
        Ok(tx.last_insert_rowid())
    }
}

impl Registry {
    /// One step of a record with a timeline, as one change: columns `sets` of record `id`
    /// updated (and `updated`), an event `action` without its `<noun>-` prefix, refused if
    /// another step came since the record was read with `seen` events.
    pub(crate) fn timeline_step(
        &mut self,
        tl: &Timeline,
        who: &Who,
        (id, seen): (i64, i64),
        action: &str,
        sets: &[(&str, rusqlite::types::Value)],
        detail: serde_json::Value,
    ) -> Result<(), RegistryError> {
        let mut sql = format!("UPDATE {} SET updated = ?1", tl.table);
        let mut values: Vec<rusqlite::types::Value> = vec![who.time.clone().into()];
        for (col, v) in sets {
            values.push(v.clone());
            sql.push_str(&format!(", {col} = ?{}", values.len()));
        }
        values.push(id.into());
        sql.push_str(&format!(" WHERE id = ?{}", values.len()));
        let event_name = action.trim_start_matches(tl.noun).trim_start_matches('-').to_string();
        self.change(who, action, &id.to_string(), |tx| {
            tl.unchanged(tx, id, seen)?;
            tx.execute(&sql, rusqlite::params_from_iter(values.iter()))
                .map_err(|e| refuse::storage(format!("{} {id}: {e}", tl.noun)))?;
            let ev = tl.event(tx, id, who, &event_name, detail)?;
            Ok(((), vec![(tl.table, id.to_string()), (tl.events, ev.to_string())]))
        })
    }
}
