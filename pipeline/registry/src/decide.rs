//! Deciding a request: the checks of each decision (a disclosure's draft and package, 法82条2項;
//! an acceptance's subject and corrections; a suspension's ground, 法98条1項), what the decision
//! reaches (releases made before it, internal copies, recipients to tell, 法97), and the change
//! that records it (exclusions, corrections in force).

use crate::check::{check_day, text};
use crate::refuse;
use crate::requests::{Kind, Measure, reaches_internal_copies};
use crate::timeline::REQUESTS;
use crate::{Decision, Registry, RegistryError, ReleaseBefore, StoredRequest, Who};
use rusqlite::params;

impl Registry {
    /// Decide a request on `day`. A disclosure decided in full or in part needs its current draft
    /// (in part: items withheld) and records: in the registered sources, or attested outside them
    /// ([`Registry::attest`]); `not_held` needs a draft that found nothing and an attestation that
    /// the body's other files hold nothing either (法82条2項). An accepted suspension or opt-out
    /// puts the subject on the exclusion list, an accepted correction its values on the overlay,
    /// from this change on.
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        &mut self,
        who: &Who,
        id: i64,
        decision: &str,
        reason: &str,
        ground: Option<&str>,
        objection: bool,
        day: &str,
        today: &str,
    ) -> Result<Decision, RegistryError> {
        let r = self.pending_one(id)?;
        let kind = r.entry.kind;
        check_day(day, "the decision date", &r.entry.received, today)?;
        if !kind.decisions().contains(&decision) {
            return Err(refuse::value(format!(
                "a {} is decided as one of: {}",
                kind.as_str(),
                kind.decisions().join(", ")
            )));
        }
        let granted = matches!(decision, "full" | "accepted");
        if !granted || kind == Kind::OptOut {
            text("reason", reason)?;
        }
        if objection && kind != Kind::Disclosure {
            return Err(refuse::value("--third-party-objection is for a disclosure"));
        }
        if matches!(decision, "full" | "partial" | "not_held") {
            check_disclosure(&r, decision)?;
        }
        let accepted = decision == "accepted";
        self.check_acceptance(&r, accepted, day)?;
        let subject = decided_subject(&r, decision)?;
        let ground = suspension_ground(&r, accepted, ground)?;
        let late = day > r.deadline().as_str();
        // Releases made before the decision that may hold the subject (a suspension or opt-out).
        let releases_before = match &subject {
            Some(s) if matches!(kind, Kind::Suspension | Kind::OptOut) => self.releases_before(&r, s, who)?,
            _ => Vec::new(),
        };
        // Internal copies an accepted erasure or stop of use reaches (法98条1項1号).
        let internal_copies = match &subject {
            Some(s) if accepted && reaches_internal_copies(kind, r.entry.measure) => {
                self.internal_copies_holding(s, &who.time)?
            }
            _ => Vec::new(),
        };
        let recipients_to_notify =
            if kind == Kind::Correction && accepted { self.correction_recipients(&r)? } else { Vec::new() };
        let outside_records = if accepted || matches!(decision, "full" | "partial") {
            r.attestations.iter().filter(|a| a.held).map(|a| a.description.clone()).collect()
        } else {
            Vec::new()
        };
        let d = Decision {
            decision: decision.into(),
            reason: reason.into(),
            ground,
            date: day.into(),
            late,
            releases_before,
            recipients_to_notify,
            internal_copies,
            outside_records,
        };
        self.record_decision(who, &r, &d, objection, subject.as_deref())?;
        Ok(d)
    }

    /// The checks of an acceptance and of the decision's day: the subject is the one of the
    /// disclosure the request follows; an accepted correction asks for values the rules can
    /// read, and one of a record outside the registered sources rests on an attestation; the
    /// decision is not dated before the draft it decides on.
    fn check_acceptance(&self, r: &StoredRequest, accepted: bool, day: &str) -> Result<(), RegistryError> {
        let id = r.id;
        if let Some(s) = &r.subject {
            self.same_subject_as_followed(r, s)?;
        }
        if r.entry.kind == Kind::Correction && accepted {
            self.check_corrections(&r.entry.corrections)?;
            if r.entry.corrections.iter().any(|c| c.outside) && !r.held_outside() {
                return Err(refuse::state(format!(
                    "request {id}: a correction of a record outside the registered sources is accepted on an officer's attestation of the record (`tokumei request attest {id} --held --description ...`)"
                )));
            }
        }
        // A decision is not dated before the draft it decides on, nor before the last step.
        if let Some(d) = &r.draft
            && day < d.made.get(..10).unwrap_or_default()
        {
            return Err(refuse::value(format!(
                "the decision date {day} is before the draft it decides on ({})",
                &d.made[..10.min(d.made.len())]
            )));
        }
        Ok(())
    }

    /// Releases made before the decision (abandoned ones aside) that may hold `subject`: those
    /// of the request's files, and, with the subject index on, only those that index it.
    fn releases_before(
        &self,
        r: &StoredRequest,
        subject: &str,
        who: &Who,
    ) -> Result<Vec<ReleaseBefore>, RegistryError> {
        let s = subject;
        let p = self.profile()?;
        let mut releases_before = Vec::new();
        let indexed: Option<Vec<String>> = if p.subject_index {
            let digest = self.subject_digest(s)?;
            let mut stmt =
                self.conn.prepare("SELECT release_id FROM subject_index WHERE code = ?1").map_err(|e| self.db(e))?;
            let ids = stmt
                .query_map([digest], |r| r.get(0))
                .and_then(|rows| rows.collect::<Result<Vec<String>, _>>())
                .map_err(|e| self.db(e))?;
            Some(ids)
        } else {
            None
        };
        for rel in self.releases()? {
            if rel.status == "abandoned" || rel.time > who.time {
                continue;
            }
            if let (Some(f), false) = (&rel.file, r.entry.files.is_empty())
                && !r.entry.files.contains(f)
            {
                continue;
            }
            if indexed.as_ref().is_some_and(|ids| !ids.contains(&rel.release.release_id)) {
                continue;
            }
            releases_before.push(ReleaseBefore {
                release_id: rel.release.release_id.clone(),
                time: rel.time.clone(),
                recipient: rel.recipient.clone(),
                indexed: indexed.is_some(),
            });
        }
        Ok(releases_before)
    }

    /// The regular recipients of the files an accepted correction changes, each once: they are
    /// told of the correction (法97).
    fn correction_recipients(&self, r: &StoredRequest) -> Result<Vec<String>, RegistryError> {
        let mut recipients_to_notify = Vec::new();
        for c in &r.entry.corrections {
            if let Some(f) = self.file(&c.file)? {
                for rec in f.entry.regular_recipients {
                    if !recipients_to_notify.contains(&rec) {
                        recipients_to_notify.push(rec);
                    }
                }
            }
        }
        Ok(recipients_to_notify)
    }

    /// The change that records decision `d` of request `r`: an accepted suspension or opt-out
    /// puts `subject` on the exclusion list, an accepted correction its values on the overlay.
    fn record_decision(
        &mut self,
        who: &Who,
        r: &StoredRequest,
        d: &Decision,
        objection: bool,
        subject: Option<&str>,
    ) -> Result<(), RegistryError> {
        let (id, kind, day) = (r.id, r.entry.kind, d.date.as_str());
        let (decision, accepted, late) = (d.decision.as_str(), d.decision == "accepted", d.late);
        let decision_json = serde_json::to_string(d).map_err(|e| self.db(e))?;
        let scope = match kind {
            Kind::Suspension => r.entry.measure.map(Measure::scope),
            Kind::OptOut => Some("provision"),
            _ => None,
        };
        let detail = serde_json::json!({
            "decision": decision, "date": day, "late": late, "objection": objection,
            "releases_before": d.releases_before.len(), "internal_copies": d.internal_copies.len(),
        });
        self.change(who, "request-decide", &id.to_string(), |tx| {
            REQUESTS.unchanged(tx, id, r.steps)?;
            tx.execute(
                "UPDATE requests SET status = 'decided', decision = ?1, decided = ?2, objection = ?3, updated = ?4 WHERE id = ?5",
                params![decision_json, day, objection, who.time, id],
            )
            .map_err(|e| refuse::storage(format!("request {id}: {e}")))?;
            let mut touched = vec![("requests", id.to_string())];
            if let (true, Some(scope), Some(s)) = (accepted, scope, subject) {
                tx.execute(
                    "INSERT INTO exclusions (subject, scope, request_id, since) VALUES (?1, ?2, ?3, ?4)",
                    params![s, scope, id, who.time],
                )
                .map_err(|e| refuse::storage(format!("exclusion: {e}")))?;
                touched.push(("exclusions", tx.last_insert_rowid().to_string()));
            }
            if let (true, Kind::Correction, Some(s)) = (accepted, kind, subject) {
                for c in r.entry.corrections.iter().filter(|c| !c.outside) {
                    tx.execute(
                        "INSERT INTO corrections (request_id, file, subject, column_name, value, since) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![id, c.file, s, c.column, c.value, who.time],
                    )
                    .map_err(|e| refuse::storage(format!("correction: {e}")))?;
                    touched.push(("corrections", tx.last_insert_rowid().to_string()));
                }
            }
            let ev = REQUESTS.event(tx, id, who, "decided", detail)?;
            touched.push(("request_events", ev.to_string()));
            Ok(((), touched))
        })
    }
}

/// The checks of a disclosure decided `full`, `partial` or `not_held`: on the current draft
/// and package, with the items withheld that `partial` needs and `full` excludes, and, for
/// `not_held`, an attestation that the body's other files hold nothing either (法82条2項).
fn check_disclosure(r: &StoredRequest, decision: &str) -> Result<(), RegistryError> {
    let (id, outside) = (r.id, r.held_outside());
    let d = r.draft.as_ref().ok_or_else(|| {
        refuse::state(format!("request {id}: make the disclosure draft first (`tokumei request disclose {id}`)"))
    })?;
    if decision != "not_held" && !r.package_current() {
        return Err(refuse::state(format!(
            "request {id}: the package was not written since the items withheld or the records attested last changed: rebuild it (`tokumei request disclose {id}`) and review it first"
        )));
    }
    match decision {
        "full" if !r.withheld.is_empty() => {
            return Err(refuse::state(format!("{} items are withheld: the decision is `partial`", r.withheld.len())));
        }
        // Records attested outside the registered sources may be withheld in part: the
        // reasons say which parts, on which grounds.
        "partial" if r.withheld.is_empty() && !outside => {
            return Err(refuse::state("no item is withheld (`tokumei request withhold`): the decision is `full`"));
        }
        "full" | "partial" if d.items == 0 && !outside => {
            return Err(refuse::value(format!(
                "the draft found no record of the person in the registered sources; if the body holds records of them elsewhere (paper files, other systems), attest them (`tokumei request attest {id} --held --description ...`) and decide on them; else the decision is `not_held`"
            )));
        }
        "not_held" if d.items > 0 => {
            return Err(refuse::value(format!("the draft holds {} items: the person's information is held", d.items)));
        }
        "not_held" if outside => {
            return Err(refuse::state(
                "records of the person are attested outside the registered sources: the information is held",
            ));
        }
        // 法82条2項: "not held" is the body's whole holding, not the registered extracts.
        "not_held" if r.attestations.is_empty() => {
            return Err(refuse::value(format!(
                "the draft searched the registered sources only; `not_held` means the body holds nothing, paper files and other systems included (法82条2項): attest that they were searched (`tokumei request attest {id} --none --description ...`), or attest the records found there (`--held`)"
            )));
        }
        _ => {}
    }
    Ok(())
}

/// The subject a decision applies to: a granted decision needs the person matched, unless it
/// is on records attested outside the registered sources only (and, for a correction, only
/// values kept there).
fn decided_subject(r: &StoredRequest, decision: &str) -> Result<Option<String>, RegistryError> {
    let (id, kind, outside) = (r.id, r.entry.kind, r.held_outside());
    let accepted = decision == "accepted";
    // Without a subject identifier, only a decision on records attested outside the
    // registered sources (and, for a correction, only values kept there) can be granted.
    let on_outside_only = outside
        && match kind {
            Kind::Correction => r.entry.corrections.iter().all(|c| c.outside),
            Kind::Suspension | Kind::Disclosure => true,
            Kind::OptOut => false,
        };
    Ok(match (&r.subject, accepted || matches!(decision, "full" | "partial")) {
        (Some(s), _) => Some(s.clone()),
        (None, true) if on_outside_only => None,
        (None, true) => {
            return Err(refuse::state(format!("request {id}: match the person first (`tokumei request match`)")));
        }
        (None, false) => None,
    })
}

/// The grounds of an accepted suspension (法98条1項): 1号 unlawful holding or use, 2号 unlawful
/// provision.
pub const SUSPENSION_GROUNDS: [&str; 3] = ["unlawful_holding", "unlawful_use", "unlawful_provision"];

/// The ground of an accepted suspension, which must support the measure asked for (法98条1項:
/// 1号 stop of use or erasure for unlawful holding or use, 2号 stop of provision for unlawful
/// provision); no other decision takes a ground.
fn suspension_ground(r: &StoredRequest, accepted: bool, ground: Option<&str>) -> Result<Option<String>, RegistryError> {
    let kind = r.entry.kind;
    Ok(match (kind, accepted) {
        (Kind::Suspension, true) => {
            let g = ground.ok_or_else(|| {
                refuse::value("an accepted suspension states its ground (法98条1項): --ground unlawful_holding, unlawful_use or unlawful_provision")
            })?;
            let measure = r.entry.measure.unwrap_or(Measure::StopUse);
            let fits = match g {
                "unlawful_holding" | "unlawful_use" => measure != Measure::StopProvision,
                "unlawful_provision" => measure == Measure::StopProvision,
                _ => return Err(refuse::value("--ground is unlawful_holding, unlawful_use or unlawful_provision")),
            };
            if !fits {
                return Err(refuse::law(format!(
                    "ground {g} does not support the measure asked for (法98条1項: 1号 stop of use or erasure for unlawful holding or use, 2号 stop of provision for unlawful provision)"
                )));
            }
            Some(g.to_string())
        }
        (_, _) if ground.is_some() => return Err(refuse::value("--ground is for an accepted suspension")),
        _ => None,
    })
}
