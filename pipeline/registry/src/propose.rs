//! Recording a received proposal: who may propose (法113, 法120), what each kind needs (a 法112
//! proposal answers a call for an open file, 法110-112; a 法118 proposal takes anonymised data
//! already made and entered in the ファイル簿, 法117-118), and the change that records it.

use crate::contracts::event;
use crate::deadline::{date, day_number};
use crate::refuse;
use crate::{Guard, Proposal, ProposalKind, Registry, RegistryError, State, StoredContract, Who};
use rusqlite::params;

/// What a proposal is recorded with, besides its own fields.
struct Links {
    /// The registered recipient.
    recipient: i64,
    /// The call it answers (法112).
    call: Option<i64>,
    /// The release it is for (法118, kind `article118`).
    release: Option<String>,
    /// The contract it is made from (法118).
    parent: Option<StoredContract>,
    /// A proposal entered after the day it was received: that day, and who entered it when.
    late: Option<String>,
}

impl Registry {
    /// Record a received proposal (state `received`). Refused when the recipient is unknown or
    /// barred (法113, 法120), or an item is missing or malformed; and by kind:
    /// - `article112`: when the file is not open to proposals (法110) or no call for proposals
    ///   for it is open today (法112条1項: a proposal is made in response to a call, 法111);
    /// - `article118`: when the release is not anonymised data published under a contract and
    ///   entered in the ファイル簿 (法117), or today is outside the period for 法118 proposals
    ///   entered there (法117条3号); the proposal takes the data as they are;
    /// - `change_of_use`: when the contract is not the recipient's, has no data entered in the
    ///   ファイル簿, is not in use, or already has a change under way. The contract moves to
    ///   `change_of_use` in the same change.
    pub fn propose(&mut self, who: &Who, p: &Proposal) -> Result<i64, RegistryError> {
        self.propose_received(who, p, None)
    }

    /// [`Registry::propose`] for a proposal received on `received` (YYYY-MM-DD, Japan) and
    /// entered later: the call it answers (法112) or the 法117条3号 period is the one open on the
    /// day it was received, which cannot be after today; the day of receipt and who entered it
    /// when are recorded in the proposal's timeline and the audit entry. `None`: received today.
    pub fn propose_received(&mut self, who: &Who, p: &Proposal, received: Option<&str>) -> Result<i64, RegistryError> {
        let today = crate::deadline::today_of(who)?;
        let day = match received {
            None => today.clone(),
            Some(d) if date(d).is_none() => {
                return Err(refuse::value(format!("proposal: --received {d} is not a date YYYY-MM-DD")));
            }
            Some(d) if d > today.as_str() => {
                return Err(refuse::value(format!(
                    "proposal: --received {d} is after today ({today}): a proposal is entered once received"
                )));
            }
            Some(d) => d.to_string(),
        };
        let recipient = self.proposing_recipient(&p.recipient, &today)?;
        let mut p = p.clone();
        let mut links = Links { recipient, call: None, release: None, parent: None, late: None };
        if day != today {
            links.late = Some(format!("received {day}, entered late on {today} by {}", who.operator));
        }
        match p.kind {
            ProposalKind::Article112 => links.call = Some(self.check_article112(&p, &day)?),
            ProposalKind::Article118 | ProposalKind::ChangeOfUse => {
                if !p.method.is_empty() || p.people != 0 || !p.columns.is_empty() {
                    return Err(refuse::law(
                        "proposal: a 法118 proposal takes the anonymised data as they were made: leave out `method`, `people` and `[[column]]`",
                    ));
                }
                let (base, entries) = if p.kind == ProposalKind::Article118 {
                    let (base, rid) = self.article118_base(&p)?;
                    links.release = Some(rid.clone());
                    (base, vec![rid])
                } else {
                    self.change_of_use_base(&p)?
                };
                let people = self.entered_for_reuse(&base, &entries, p.kind, &day)?;
                if !p.file.is_empty() && p.file != base.file {
                    return Err(refuse::value(format!(
                        "proposal: the data were made from file `{}`, not `{}`",
                        base.file, p.file
                    )));
                }
                p.file = base.file.clone();
                p.people = people.filter(|n| *n > 0).unwrap_or(base.proposal.people);
                p.method = base.proposal.method.clone();
                p.columns = base.proposal.columns.clone();
                links.parent = Some(base);
            }
        }
        check_terms(&p)?;
        self.record_proposal(who, &p, links)
    }

    /// The registered recipient of a proposal, refused when it is unknown (naming a registered
    /// business it matches, if any) or barred from proposing (法113 disqualifications, 法120
    /// cancellation).
    fn proposing_recipient(&self, name: &str, today: &str) -> Result<i64, RegistryError> {
        let recipient = match self.recipient_id(name)? {
            Some(id) => id,
            None => {
                return Err(match self.recipient_matches(name, None, None, today)?.first() {
                    Some(m) => refuse::not_found(format!(
                        "recipient `{}` is not registered under that name; it matches {}: name the business as registered",
                        name,
                        m.describe()
                    )),
                    None => refuse::not_found(format!(
                        "recipient `{}` is not registered (add it with `tokumei recipient add`)",
                        name
                    )),
                });
            }
        };
        if let Some(bar) = self.bar_of(name, today)? {
            return Err(refuse::law(format!("proposal refused (法113, 法120): {bar}")));
        }
        Ok(recipient)
    }

    /// The checks of a 法112 proposal; returns the call it answers. The file is open to
    /// proposals (法110), a call for it is open on `today`, the day the proposal was received
    /// (法112条1項「募集に応じて」, 法111, 規則53),
    /// and the proposal states its method, people and columns.
    fn check_article112(&self, p: &Proposal, today: &str) -> Result<i64, RegistryError> {
        if p.release.is_some() || p.contract.is_some() {
            return Err(refuse::law(
                "proposal: `release` and `contract` belong to a 法118 proposal (kind = \"article118\" or \"change_of_use\")",
            ));
        }
        let file =
            self.file(&p.file)?.ok_or_else(|| refuse::not_found(format!("no file `{}` is registered", p.file)))?;
        if !file.entry.open_to_proposals {
            return Err(refuse::law(format!("file `{}` is not open to proposals (法110)", p.file)));
        }
        // 法112条1項「募集に応じて」: only in response to a call open today for the file.
        let call = self.call_receiving(&p.file, today)?.ok_or_else(|| {
            refuse::law(format!(
                "no call for proposals for file `{}` is open on the day the proposal was received ({today}): a 法112 proposal is made only in response to a call (法112条1項「募集に応じて」, 法111, 規則53); `tokumei call list` shows the calls, `tokumei call open` opens one",
                p.file
            ))
        })?;
        crate::check::text("method", &p.method).map_err(|e| refuse::within("proposal", e))?;
        if p.people <= 0 {
            return Err(refuse::value("proposal: `people` must be positive"));
        }
        if p.columns.is_empty() || p.columns.iter().any(|c| c.name.trim().is_empty() || c.granularity.trim().is_empty())
        {
            return Err(refuse::value("proposal: every `[[column]]` needs a `name` and a `granularity`"));
        }
        let mut seen = std::collections::HashSet::new();
        for c in &p.columns {
            if !seen.insert(c.name.as_str()) {
                return Err(refuse::duplicate(format!("proposal: column `{}` is listed twice", c.name)));
            }
        }
        Ok(call.id)
    }

    /// The contract a 法118 proposal (kind `article118`) is made from, and the release it is
    /// for: anonymised data published under a contract of another business (法118条1項前段).
    fn article118_base(&self, p: &Proposal) -> Result<(StoredContract, String), RegistryError> {
        if p.contract.is_some() {
            return Err(refuse::value("proposal: kind = \"article118\" names the `release`, not a `contract`"));
        }
        let rid = p.release.clone().ok_or_else(|| {
            refuse::value("proposal: kind = \"article118\" names the `release` (the anonymised data made) it is for")
        })?;
        let r = self
            .release(&rid)?
            .ok_or_else(|| refuse::not_found(format!("proposal: no release {rid} in the registry")))?;
        let cid = match (r.status.as_str(), r.release.contract_id, r.release.mode.as_str()) {
            ("published", Some(c), "anonymized") => c,
            _ => {
                return Err(refuse::law(format!(
                    "proposal: release {rid} is not anonymised data published under a contract (行政機関等匿名加工情報): no 法118 proposal for it"
                )));
            }
        };
        let base = self
            .contract(cid)?
            .ok_or_else(|| refuse::not_found(format!("proposal: release {rid}'s contract {cid} is gone")))?;
        if base.recipient == p.recipient {
            return Err(refuse::value(format!(
                "proposal: `{}` holds release {rid} under contract {cid}: a change of its business is proposed with kind = \"change_of_use\" and contract = {cid}",
                p.recipient
            )));
        }
        Ok((base, rid))
    }

    /// The contract whose business a `change_of_use` proposal changes, and its published
    /// releases: the contractor's own (法118条1項後段), in use, with no other change under way.
    fn change_of_use_base(&self, p: &Proposal) -> Result<(StoredContract, Vec<String>), RegistryError> {
        if p.release.is_some() {
            return Err(refuse::value(
                "proposal: kind = \"change_of_use\" names the `contract` whose business changes, not a `release`",
            ));
        }
        let cid = p.contract.ok_or_else(|| {
            refuse::value("proposal: kind = \"change_of_use\" names the `contract` whose business changes")
        })?;
        let base = self.contract(cid)?.ok_or_else(|| refuse::not_found(format!("proposal: no contract {cid}")))?;
        if base.recipient != p.recipient {
            return Err(refuse::law(format!(
                "proposal: contract {cid} is `{}`'s: only its contractor proposes a change of its business (法118条1項後段)",
                base.recipient
            )));
        }
        if !(base.state.allows_provision() || base.state == State::ChangeOfUse) {
            return Err(refuse::state(format!(
                "proposal: contract {cid} is {}: a change of use is proposed under a contract in use",
                base.state.as_str()
            )));
        }
        if let Some(open) = self.contracts()?.into_iter().find(|o| {
            o.kind == ProposalKind::ChangeOfUse
                && o.parent_id == Some(cid)
                && matches!(
                    o.state,
                    State::Received | State::CorrectionsRequested | State::Reviewed | State::Fit | State::FeePaid
                )
        }) {
            return Err(refuse::duplicate(format!(
                "proposal: a change of use of contract {cid} is already under way (contract {}, {})",
                open.id,
                open.state.as_str()
            )));
        }
        let releases: Vec<String> = self
            .releases()?
            .into_iter()
            .filter(|r| r.release.contract_id == Some(cid) && r.status == "published")
            .map(|r| r.release.release_id)
            .collect();
        Ok((base, releases))
    }

    /// 法117: the data of `entries` are entered in the ファイル簿 of `base`'s file, and today is
    /// within the period for 法118 proposals entered there (法117条3号); returns the people the
    /// entry open today states, if it does.
    fn entered_for_reuse(
        &self,
        base: &StoredContract,
        entries: &[String],
        kind: ProposalKind,
        today: &str,
    ) -> Result<Option<i64>, RegistryError> {
        let file = self
            .file(&base.file)?
            .ok_or_else(|| refuse::not_found(format!("proposal: file `{}` is gone", base.file)))?;
        // Entries made on creation name their `release`; those an older registry made by hand
        // (`register_updated`) list `releases` and record no period: theirs is counted from
        // the day they were entered, for the file's period (docs/registry.md).
        let named = |e: &serde_json::Value, r: &str| {
            e["release"].as_str() == Some(r)
                || e["releases"].as_array().is_some_and(|a| a.iter().any(|x| x.as_str() == Some(r)))
        };
        let days = file.entry.reuse_days();
        let entered: Vec<(&serde_json::Value, String, String)> = file
            .created_anonymised
            .iter()
            .filter(|e| entries.iter().any(|r| named(e, r)))
            .map(|e| {
                let from = e["proposals_from"]
                    .as_str()
                    .map(String::from)
                    .or_else(|| e["entered"].as_str().and_then(crate::deadline::japan_day))
                    .unwrap_or_default();
                let until = e["proposals_until"]
                    .as_str()
                    .map(String::from)
                    .or_else(|| crate::deadline::add_days(&from, days - 1))
                    .unwrap_or_default();
                (e, from, until)
            })
            .collect();
        if entered.is_empty() {
            return Err(refuse::law(format!(
                "proposal: no anonymised data of contract {} are entered in the ファイル簿 of `{}` (法117): a 法118 proposal is for data already made{}",
                base.id,
                base.file,
                if kind == ProposalKind::ChangeOfUse {
                    "; a change of business before any data are made is a new 法112 proposal"
                } else {
                    ""
                }
            )));
        }
        let open = entered.iter().find(|(_, from, until)| crate::deadline::within(today, from, until));
        let Some((open, _, _)) = open else {
            let periods: Vec<String> = entered.iter().map(|(_, from, until)| format!("{from} .. {until}")).collect();
            return Err(refuse::law(format!(
                "proposal: the day it was received ({today}) is outside the period for 法118 proposals entered in the ファイル簿 (法117条3号: {})",
                periods.join(", ")
            )));
        };
        Ok(open["people"].as_i64())
    }

    /// The change that records proposal `p` (state `received`); a `change_of_use` moves the
    /// contract whose business changes to `change_of_use` with it (法118条1項後段).
    fn record_proposal(&mut self, who: &Who, p: &Proposal, links: Links) -> Result<i64, RegistryError> {
        let Links { recipient, call: call_id, release: release_id, parent, late } = links;
        let file =
            self.file(&p.file)?.ok_or_else(|| refuse::not_found(format!("no file `{}` is registered", p.file)))?;
        let columns = serde_json::to_string(&p.columns).map_err(|e| self.db(e))?;
        let guards: Vec<Guard> =
            parent.iter().filter(|_| p.kind == ProposalKind::ChangeOfUse).map(Guard::contract).collect();
        let parent_id = parent.as_ref().map(|c| c.id);
        let subject = match (p.kind, parent_id) {
            (ProposalKind::Article112, _) => format!("{} / {}", p.recipient, p.file),
            (kind, Some(cid)) => format!("{} / {} ({} of contract {cid})", p.recipient, p.file, kind.as_str()),
            (kind, None) => format!("{} / {} ({})", p.recipient, p.file, kind.as_str()),
        };
        let subject = match &late {
            Some(l) => format!("{subject}; {l}"),
            None => subject,
        };
        self.change_from(&guards, who, "contract-propose", &subject, |tx| {
            tx.execute(
                "INSERT INTO contracts (recipient_id, file_id, state, people, method, purpose, use_from, use_until,
                    safety_measures, columns, received, updated, kind, parent_id, release_id, call_id)
                 VALUES (?1, ?2, 'received', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, ?13, ?14)",
                params![
                    recipient,
                    file.id,
                    p.people,
                    p.method,
                    p.purpose,
                    p.use_from,
                    p.use_until,
                    p.safety_measures,
                    columns,
                    who.time,
                    p.kind.as_str(),
                    parent_id,
                    release_id,
                    call_id
                ],
            )
            .map_err(|e| refuse::storage(format!("proposal: {e}")))?;
            let id = tx.last_insert_rowid();
            let note = match (call_id.map(|c| format!("in response to call {c} (法111)")), &late) {
                (Some(c), Some(l)) => Some(format!("{c}; {l}")),
                (c, l) => c.or(l.clone()),
            };
            let ev = event(tx, id, None, State::Received, who, note.as_deref())?;
            let mut touched = vec![("contracts", id.to_string()), ("contract_events", ev.to_string())];
            // 法118条1項後段: the contract whose business changes is under review with it.
            if let Some(base) = parent.as_ref().filter(|_| p.kind == ProposalKind::ChangeOfUse)
                && base.state != State::ChangeOfUse
            {
                tx.execute(
                    "UPDATE contracts SET state = 'change_of_use', updated = ?1 WHERE id = ?2",
                    params![who.time, base.id],
                )
                .map_err(|e| refuse::storage(format!("contract {}: {e}", base.id)))?;
                let note = format!("change of business proposed: contract {id} (法118条1項後段)");
                let ev = event(tx, base.id, Some(base.state), State::ChangeOfUse, who, Some(&note))?;
                touched.push(("contracts", base.id.to_string()));
                touched.push(("contract_events", ev.to_string()));
            }
            Ok((id, touched))
        })
    }
}

/// The terms every proposal states: its purpose and safety measures (free text), and a use
/// period that is two dates in order.
fn check_terms(p: &Proposal) -> Result<(), RegistryError> {
    for (field, v) in [("purpose", &p.purpose), ("safety_measures", &p.safety_measures)] {
        crate::check::text(field, v).map_err(|e| refuse::within("proposal", e))?;
    }
    let (Some(from), Some(until)) = (date(&p.use_from), date(&p.use_until)) else {
        return Err(refuse::value("proposal: `use_from` and `use_until` must be dates YYYY-MM-DD"));
    };
    if day_number(until) < day_number(from) {
        return Err(refuse::value("proposal: the use period ends before it starts"));
    }
    Ok(())
}
