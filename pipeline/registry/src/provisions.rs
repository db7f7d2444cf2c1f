//! Records of provision (which release went to which recipient, when, on what medium, with
//! what receipt), the full record of a contract for the officer's files, and the purge of
//! records whose retention period has ended.

use crate::deadline::{date, day_number};
use crate::refuse;
use crate::{Guard, Registry, RegistryError, State, Who};
use rusqlite::params;
use serde::Serialize;

/// A record of provision.
#[derive(Debug, Clone, Serialize)]
pub struct Provision {
    /// The release provided.
    pub release_id: String,
    /// Under which contract.
    pub contract_id: i64,
    /// To whom.
    pub recipient: String,
    /// The items and their granularity (from the contract).
    pub items: serde_json::Value,
    /// Date of provision (YYYY-MM-DD).
    pub date: String,
    /// Medium (e.g. 暗号化USBメモリ, 手交).
    pub medium: String,
    /// The recipient's receipt (受領書の番号等).
    pub receipt: String,
    /// Who recorded it.
    pub operator: String,
}

/// What a purge removed.
#[derive(Debug, Clone, Serialize)]
pub struct Purged {
    /// Contract id.
    pub contract_id: i64,
    /// Its final state.
    pub state: String,
    /// The day its retention ended.
    pub retained_until: String,
    /// Releases whose records went with it.
    pub releases: Vec<String>,
}

impl Registry {
    /// Record that a published release was provided to its contract's recipient (date, medium,
    /// receipt); the contract moves from `created` to `provided`.
    pub fn provide(
        &mut self,
        who: &Who,
        release_id: &str,
        day: &str,
        today: &str,
        medium: &str,
        receipt: &str,
    ) -> Result<i64, RegistryError> {
        self.provide_under(who, release_id, None, day, today, medium, receipt)
    }

    /// [`Registry::provide`] under contract `contract` (default: the one the release was made
    /// under): a 法118 contract provides the data already made that it covers (its `release`, or
    /// the releases of the contract whose business changed) and moves from `contracted` to
    /// `provided`.
    #[allow(clippy::too_many_arguments)]
    pub fn provide_under(
        &mut self,
        who: &Who,
        release_id: &str,
        contract: Option<i64>,
        day: &str,
        today: &str,
        medium: &str,
        receipt: &str,
    ) -> Result<i64, RegistryError> {
        let r = self
            .release(release_id)?
            .ok_or_else(|| refuse::not_found(format!("no release {release_id} in the registry")))?;
        if r.status != "published" {
            return Err(refuse::state(format!(
                "release {release_id} is {}; only a published release is provided",
                r.status
            )));
        }
        let made_under =
            r.release.contract_id.ok_or_else(|| refuse::state(format!("release {release_id} has no contract")))?;
        let cid = contract.unwrap_or(made_under);
        let c = self.contract(cid)?.ok_or_else(|| refuse::not_found(format!("no contract {cid}")))?;
        if cid != made_under {
            let covers = match c.kind {
                crate::ProposalKind::Article118 => c.proposal.release.as_deref() == Some(release_id),
                crate::ProposalKind::ChangeOfUse => c.parent_id == Some(made_under),
                crate::ProposalKind::Article112 => false,
            };
            if !covers {
                return Err(refuse::law(format!(
                    "release {release_id} was made under contract {made_under}; contract {cid} does not cover it (only a 法118 contract for these data does)"
                )));
            }
        }
        if !c.state.allows_provision() {
            return Err(refuse::state(format!(
                "contract {cid} is {}: nothing may be provided under it",
                c.state.as_str()
            )));
        }
        if date(day).is_none() {
            return Err(refuse::value("--date must be a date YYYY-MM-DD"));
        }

        // The release's creation as a date in Japan, as `day` and `today` are.
        let made = crate::deadline::stored_day(&r.time, &format!("release {release_id}"))?;
        if !crate::deadline::within(day, &made, today) {
            return Err(refuse::value(format!(
                "{day} is not between the release's creation ({made}) and today ({today})"
            )));
        }
        if self.provisions(Some(cid))?.iter().any(|p| {
            p.release_id == release_id && p.date == day && p.medium == medium.trim() && p.receipt == receipt.trim()
        }) {
            return Err(refuse::duplicate(format!("this provision of release {release_id} is already recorded")));
        }
        if !crate::deadline::within(day, &c.proposal.use_from, &c.proposal.use_until) {
            return Err(refuse::law(format!(
                "{day} is outside contract {cid}'s use period {} .. {}",
                c.proposal.use_from, c.proposal.use_until
            )));
        }
        if medium.trim().is_empty() || receipt.trim().is_empty() {
            return Err(refuse::value("a provision states its medium and the recipient's receipt"));
        }
        crate::check::text("medium", medium)?;
        crate::check::text("receipt", receipt)?;
        let items = serde_json::to_string(&c.proposal.columns).map_err(|e| self.db(e))?;
        // Re-read inside the transaction: the release and its contract as read above (two
        // provisions of one release at once: one is recorded, the other refused).
        let provided = self.provisions(None)?.iter().filter(|p| p.release_id == release_id).count() as i64;
        let guards = [
            Guard::contract(&c),
            Guard::Release { release_id: release_id.to_string(), status: r.status.clone(), provisions: provided },
        ];
        self.change_from(&guards, who, "release-provide", release_id, |tx| {
            tx.execute(
                "INSERT INTO provisions (release_id, contract_id, recipient, items, date, medium, receipt, operator, time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![release_id, cid, c.recipient, items, day, medium, receipt, who.operator, who.time],
            )
            .map_err(|e| refuse::storage(format!("provision: {e}")))?;
            let id = tx.last_insert_rowid();
            let mut touched = vec![("provisions", id.to_string())];
            // A 法118 contract's data exist when it is concluded: provided from `contracted`.
            if c.state == State::Created
                || (c.state == State::Contracted && c.kind != crate::ProposalKind::Article112)
            {
                tx.execute("UPDATE contracts SET state = 'provided', updated = ?1 WHERE id = ?2", params![who.time, cid])
                    .map_err(|e| refuse::storage(format!("contract {cid}: {e}")))?;
                let note = format!("release {release_id} on {day} ({medium}; receipt {receipt})");
                let ev = crate::contracts::event(tx, cid, Some(c.state), State::Provided, who, Some(&note))?;
                touched.push(("contracts", cid.to_string()));
                touched.push(("contract_events", ev.to_string()));
            }
            Ok((id, touched))
        })
    }

    /// Every record of provision (of one contract, or all).
    pub fn provisions(&self, contract: Option<i64>) -> Result<Vec<Provision>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT release_id, contract_id, recipient, items, date, medium, receipt, operator FROM provisions
                 WHERE ?1 IS NULL OR contract_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map([contract], |r| {
                Ok(Provision {
                    release_id: r.get(0)?,
                    contract_id: r.get(1)?,
                    recipient: r.get(2)?,
                    items: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or(serde_json::Value::Null),
                    date: r.get(4)?,
                    medium: r.get(5)?,
                    receipt: r.get(6)?,
                    operator: r.get(7)?,
                })
            })
            .map_err(|e| self.db(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.db(e))
    }

    /// The full record of a contract for the officer's files: the recipient, the proposal,
    /// review and notice, the fee, every transition, its releases and their provisions.
    pub fn contract_record(&self, id: i64) -> Result<serde_json::Value, RegistryError> {
        let c = self.contract(id)?.ok_or_else(|| refuse::not_found(format!("no contract {id}")))?;
        let recipient = self.recipients()?.into_iter().find(|(_, r, _)| r.name == c.recipient).map(|(_, r, _)| r);
        // Its own releases, or (a 法118 contract) the data already made that it covers.
        let releases: Vec<_> = self
            .releases()?
            .into_iter()
            .filter(|r| match c.kind {
                crate::ProposalKind::Article112 => r.release.contract_id == Some(id),
                crate::ProposalKind::Article118 => c.proposal.release.as_deref() == Some(r.release.release_id.as_str()),
                crate::ProposalKind::ChangeOfUse => {
                    r.release.contract_id.is_some() && r.release.contract_id == c.parent_id
                }
            })
            .collect();
        let call = match c.call_id {
            Some(n) => self.call(n)?,
            None => None,
        };
        let profile = self.profile()?;
        Ok(serde_json::json!({
            "body": profile.body,
            "actor": profile.actor.label(),
            "contract": c,
            "kind": c.kind.label(),
            "call": call,
            "recipient": recipient,
            "releases": releases,
            "provisions": self.provisions(Some(id))?,
            "retention_years": profile.retention_years,
        }))
    }

    /// Contracts in a final state (closed, cancelled, not fit, withdrawn) whose retention period
    /// (`retention_years` of the profile from their last step) ended before `today`.
    pub fn expired(&self, today: &str) -> Result<Vec<Purged>, RegistryError> {
        let years = self.profile()?.retention_years;
        let mut out = Vec::new();
        let all = self.contracts()?;
        for c in all.iter().cloned() {
            if !c.state.next().is_empty() {
                continue;
            }
            // A 法118 contract still names this one (its data, or its change of business):
            // kept until that one's records go.
            if all.iter().any(|o| o.parent_id == Some(c.id)) {
                continue;
            }
            // The last step's date in Japan; a time that is no RFC 3339 time purges nothing.
            let Some(last) = c.history.last().and_then(|t| crate::deadline::japan_day(&t.time)) else {
                continue;
            };
            let Some(tokumei_jp::Date { year: y, month: m, day: d }) = date(&last) else { continue };
            let d = if m == 2 && d == 29 { 28 } else { d };
            let until = format!("{:04}-{m:02}-{d:02}", i64::from(y) + years);
            if date(&until).is_some_and(|u| day_number(u) < date(today).map_or(i64::MIN, day_number)) {
                let releases = self
                    .releases()?
                    .into_iter()
                    .filter(|r| r.release.contract_id == Some(c.id))
                    .map(|r| r.release.release_id)
                    .collect();
                out.push(Purged { contract_id: c.id, state: c.state.as_str().into(), retained_until: until, releases });
            }
        }
        Ok(out)
    }

    /// Remove the records of every contract whose retention ended before `today` (its
    /// provisions, releases, transitions and the contract), one audited change per contract.
    pub fn purge_expired(&mut self, who: &Who, today: &str) -> Result<Vec<Purged>, RegistryError> {
        let expired = self.expired(today)?;
        for p in &expired {
            let cid = p.contract_id;
            let ids = |sql: &str| -> Result<Vec<i64>, RegistryError> {
                let mut stmt = self.conn.prepare(sql).map_err(|e| self.db(e))?;
                let rows = stmt.query_map([cid], |r| r.get(0)).map_err(|e| self.db(e))?;
                rows.collect::<Result<Vec<i64>, _>>().map_err(|e| self.db(e))
            };
            let provisions = ids("SELECT id FROM provisions WHERE contract_id = ?1")?;
            let releases = ids("SELECT id FROM releases WHERE contract_id = ?1")?;
            let events = ids("SELECT id FROM contract_events WHERE contract_id = ?1")?;
            let marks: Vec<String> = {
                let mut stmt = self
                    .conn
                    .prepare(
                        "SELECT m.release_id || '/' || m.kind || '/' || m.columns FROM release_marks m
                         JOIN releases r ON r.release_id = m.release_id WHERE r.contract_id = ?1",
                    )
                    .map_err(|e| self.db(e))?;
                let rows = stmt.query_map([cid], |r| r.get(0)).map_err(|e| self.db(e))?;
                rows.collect::<Result<Vec<String>, _>>().map_err(|e| self.db(e))?
            };
            let state =
                crate::State::parse(&p.state).ok_or_else(|| refuse::value(format!("contract {cid}: unknown state")))?;
            let guard = [Guard::Contract { id: cid, state, steps: events.len() as i64 }];
            self.change_from(
                &guard,
                who,
                "purge-expired",
                &format!("contract {cid} (retained until {})", p.retained_until),
                |tx| {
                    let del = |sql: &str| tx.execute(sql, [cid]).map_err(|e| refuse::storage(format!("purge: {e}")));
                    del("DELETE FROM provisions WHERE contract_id = ?1")?;
                    // A purged release can no longer be traced: its marks go with it.
                    del("DELETE FROM release_marks WHERE release_id IN (SELECT release_id FROM releases WHERE contract_id = ?1)")?;
                    del("DELETE FROM releases WHERE contract_id = ?1")?;
                    del("DELETE FROM contract_events WHERE contract_id = ?1")?;
                    del("DELETE FROM contracts WHERE id = ?1")?;
                    let mut touched: Vec<(&'static str, String)> = Vec::new();
                    touched.extend(provisions.iter().map(|i| ("provisions", i.to_string())));
                    touched.extend(releases.iter().map(|i| ("releases", i.to_string())));
                    touched.extend(marks.iter().map(|k| ("release_marks", k.clone())));
                    touched.extend(events.iter().map(|i| ("contract_events", i.to_string())));
                    touched.push(("contracts", cid.to_string()));
                    Ok(((), touched))
                },
            )?;
        }
        Ok(expired)
    }
}
