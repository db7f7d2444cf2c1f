//! Internal copies an accepted erasure or stop of use reaches (法98条1項1号, 法100).
//!
//! A release a municipality made for its own use (`run --internal-use`) from a person's records
//! is still 保有個人情報: pseudonymised, it is 仮名化した保有個人情報 (never 仮名加工情報, which only a
//! business makes under 法41); anonymised but kept beside its sources, the body can still match it
//! back. An accepted 消去 or 利用停止 therefore lists, in its decision, every internal release made
//! before the decision that holds the person: proved by the per-subject index where the profile
//! keeps one (the subjects the run recorded, not the files its rules read), else every internal
//! release (each may hold them). Each listed copy is replaced without the people excluded
//! (`tokumei release replace`) and destroyed (`tokumei release destroyed`); the request stays to
//! do, and cannot be closed, until every listed copy is destroyed (or never appeared).

use crate::refuse;
use crate::releases::Destruction;
use crate::requests::StoredRequest;
// Which requests reach internal copies is the requests' word; its test lives with the copies.
#[cfg(test)]
use crate::requests::reaches_internal_copies;
use crate::{Registry, RegistryError};
use serde::{Deserialize, Serialize};

/// An internal release an accepted erasure or stop of use lists as holding the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InternalCopy {
    /// The release.
    pub release_id: String,
    /// When it was registered.
    pub time: String,
    /// `pseudonymized` (仮名化した保有個人情報) or `anonymized` (kept inside the body).
    pub mode: String,
    /// The internal use's purpose.
    pub purpose: Option<String>,
    /// `true` when the per-subject index records the person in it; `false` when nothing recorded
    /// says who it holds (no index, or a release that recorded no subject), so it may hold them.
    pub indexed: bool,
}

/// A listed copy and what was done with it.
#[derive(Debug, Clone, Serialize)]
pub struct CopyStatus {
    /// The copy as the decision listed it.
    #[serde(flatten)]
    pub copy: InternalCopy,
    /// The release that replaces it without the people excluded, if any.
    pub replaced_by: Option<String>,
    /// Its destruction, once recorded.
    pub destroyed: Option<Destruction>,
    /// The run that was registering it died before its folder appeared: there is no copy.
    pub abandoned: bool,
    /// Nothing left to do: destroyed, or never published.
    pub done: bool,
}

/// An accepted erasure or stop of use whose internal copies are not all destroyed yet.
#[derive(Debug, Clone, Serialize)]
pub struct ErasureToDo {
    /// The request.
    pub request_id: i64,
    /// By when (the request's deadline: the body stops the use when it decides, 法100, within
    /// the decision period of 法101; the earlier reading).
    pub due: String,
    /// The copies still to destroy.
    pub outstanding: Vec<String>,
}

impl ErasureToDo {
    /// Whether it is past its date on `today`.
    pub fn overdue(&self, today: &str) -> bool {
        today > self.due.as_str()
    }
}

impl Registry {
    /// The internal releases registered up to `before` (RFC 3339) and not destroyed that hold
    /// the subject: those whose per-subject index entries hold them; where nothing recorded says
    /// who a release holds (no index, or a release that recorded no subject), every one.
    pub(crate) fn internal_copies_holding(
        &self,
        subject: &str,
        before: &str,
    ) -> Result<Vec<InternalCopy>, RegistryError> {
        let index = self.profile()?.subject_index;
        let digest = if index { Some(self.subject_digest(subject)?) } else { None };
        let mut out = Vec::new();
        for rel in self.releases()? {
            if rel.release.contract_id.is_some()
                || rel.status == "abandoned"
                || rel.destroyed.is_some()
                || rel.time.as_str() > before
            {
                continue;
            }
            let id = &rel.release.release_id;
            let recorded: i64 = self
                .conn
                .query_row("SELECT subject_entries FROM releases WHERE release_id = ?1", [id], |q| q.get(0))
                .map_err(|e| self.db(e))?;
            let indexed = match &digest {
                Some(d) if recorded > 0 => {
                    let holds: i64 = self
                        .conn
                        .query_row(
                            "SELECT count(*) FROM subject_index WHERE code = ?1 AND release_id = ?2",
                            [d.as_str(), id.as_str()],
                            |q| q.get(0),
                        )
                        .map_err(|e| self.db(e))?;
                    if holds == 0 {
                        continue;
                    }
                    true
                }
                _ => false,
            };
            out.push(InternalCopy {
                release_id: id.clone(),
                time: rel.time.clone(),
                mode: rel.release.mode.clone(),
                purpose: rel.release.purpose.clone(),
                indexed,
            });
        }
        Ok(out)
    }

    /// The internal copies a request's decision listed, each with what was done with it.
    /// A decision recorded before internal copies were tracked
    /// ([`StoredRequest::copies_untracked`]) lists, fail safe, the copies holding the person now
    /// among those registered up to the end of its decision day.
    pub fn copies_of(&self, r: &StoredRequest) -> Result<Vec<CopyStatus>, RegistryError> {
        let Some(d) = &r.decision else { return Ok(Vec::new()) };
        let found;
        let listed = match (&r.subject, r.copies_untracked) {
            (Some(s), true) => {
                found = self.internal_copies_holding(s, &format!("{}T23:59:59Z", d.date))?;
                &found
            }
            _ => &d.internal_copies,
        };
        if listed.is_empty() {
            return Ok(Vec::new());
        }
        let releases = self.releases()?;
        Ok(listed
            .iter()
            .map(|c| {
                let rel = releases.iter().find(|x| x.release.release_id == c.release_id);
                let destroyed = rel.and_then(|x| x.destroyed.clone());
                // A row purged or gone is not a copy destroyed: it stays to do (fail closed).
                let abandoned = rel.is_some_and(|x| x.status == "abandoned");
                CopyStatus {
                    copy: c.clone(),
                    replaced_by: rel.and_then(|x| x.replaced_by.clone()),
                    done: destroyed.is_some() || abandoned,
                    destroyed,
                    abandoned,
                }
            })
            .collect())
    }

    /// Accepted erasures and stops of use whose listed internal copies are not all destroyed.
    pub fn erasures_to_do(&self) -> Result<Vec<ErasureToDo>, RegistryError> {
        let mut out = Vec::new();
        for r in self.requests()? {
            if r.status == "closed" {
                continue;
            }
            let outstanding: Vec<String> =
                self.copies_of(&r)?.into_iter().filter(|c| !c.done).map(|c| c.copy.release_id).collect();
            if !outstanding.is_empty() {
                out.push(ErasureToDo { request_id: r.id, due: r.deadline(), outstanding });
            }
        }
        Ok(out)
    }

    /// What `registry status` names for an officer's look: accepted erasures and stops of use
    /// decided before internal copies were tracked whose copies holding the person, found now, are
    /// not all destroyed (with the commands).
    pub fn erasure_upgrade_warnings(&self) -> Result<Vec<String>, RegistryError> {
        let mut out = Vec::new();
        for r in self.requests()?.into_iter().filter(|r| r.copies_untracked) {
            let left: Vec<String> =
                self.copies_of(&r)?.into_iter().filter(|c| !c.done).map(|c| c.copy.release_id).collect();
            if !left.is_empty() {
                out.push(format!(
                    "request {}: erasure accepted before internal copies were tracked: {} internal copy(ies) may hold the person ({}): replace each without them (`tokumei release replace ID --job JOB`) and record its destruction (`tokumei release destroyed ID --how ...`)",
                    r.id,
                    left.len(),
                    left.join(", ")
                ));
            }
        }
        Ok(out)
    }

    /// Refuse to close a request while an internal copy its decision listed is not destroyed.
    pub(crate) fn copies_done(&self, r: &StoredRequest) -> Result<(), RegistryError> {
        let left: Vec<String> = self.copies_of(r)?.into_iter().filter(|c| !c.done).map(|c| c.copy.release_id).collect();
        if left.is_empty() {
            return Ok(());
        }
        Err(refuse::state(format!(
            "request {}: {} internal copy(ies) holding the person are not destroyed yet ({}): replace each without the person (`tokumei release replace ID --job JOB`) and record its destruction (`tokumei release destroyed ID --how ...`) before closing",
            r.id,
            left.len(),
            left.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Measure, NewRelease, Registry, RequestEntry, Who};

    fn who() -> Who {
        Who { operator: "officer".into(), time: "2026-11-27T10:00:00Z".into(), clock: None }
    }

    fn setup(index: bool) -> (tempfile::TempDir, Registry) {
        let dir = tempfile::tempdir().expect("tempdir");
        let profile: crate::Profile = toml::from_str(&format!(
            "body = \"見本市\"\nactor = \"public_body\"\nbody_kind = \"municipality\"\nsubject_index = {index}\n"
        ))
        .expect("profile");
        let reg = Registry::create(&dir.path().join("r.sqlite"), &profile, &dir.path().join("audit.log"), &who())
            .expect("create");
        (dir, reg)
    }

    /// An internal pseudonymised release made from `subjects`, its folder made under `dir`.
    fn internal(dir: &tempfile::TempDir, id: &str, subjects: &[&str], upto: i64) -> NewRelease {
        let folder = dir.path().join("out").join("d").join(id);
        std::fs::create_dir_all(&folder).expect("folder");
        NewRelease {
            release_id: id.into(),
            contract_id: None,
            dataset: "d".into(),
            mode: "pseudonymized".into(),
            release_dir: folder.display().to_string(),
            input_sha256: "in".into(),
            rules_sha256: "rules".into(),
            outputs: vec![],
            rows: subjects.len() as u64,
            people: Some(subjects.len() as u64),
            k_achieved: 1,
            l_achieved: None,
            audit_log: dir.path().join("audit.log").display().to_string(),
            audit_seq: 1,
            audit_head: None,
            staff_hours: None,
            code_columns: vec![],
            codes: 0,
            code_digest: None,
            purpose: Some("需要推計".into()),
            subjects: subjects.iter().map(|s| s.to_string()).collect(),
            exclusions_upto: upto,
            corrections_upto: 0,
            excluded_records: 0,
            fingerprint: None,
            marks: vec![],
            replaces: None,
            replacement_note: None,
        }
    }

    fn publish(reg: &mut Registry, r: &NewRelease) {
        reg.register_release(&who(), r).expect("register");
        reg.settle_release(&who(), &r.release_id, true).expect("settle");
    }

    /// An erasure (消去, 法98条1項1号) of `subject`, accepted.
    fn erase(reg: &mut Registry, subject: &str) -> i64 {
        let e = RequestEntry {
            measure: Some(Measure::Erase),
            reason: Some("目的外の保有".into()),
            ..crate::requests::tests::entry(crate::Kind::Suspension, subject)
        };
        let id = reg.open_request(&who(), &e, "2026-11-27").expect("open");
        reg.decide(&who(), id, "accepted", "", Some("unlawful_holding"), false, "2026-11-27", "2026-11-27")
            .expect("decide");
        id
    }

    fn problems(dir: &tempfile::TempDir, reg: &Registry) -> Vec<String> {
        let entries = tokumei_audit::JsonlLog::new(dir.path().join("audit.log")).entries().expect("log");
        reg.verify(&entries).expect("verify")
    }

    /// 法98条1項1号 with 法100: an accepted erasure lists the internal copies (仮名化した保有個人情報)
    /// that hold the person by what the runs recorded, and stays to do until each is destroyed;
    /// a replacement must not hold the person, and is made once.
    #[test]
    fn an_erasure_lists_the_internal_copies_holding_the_person_until_each_is_destroyed_art98() {
        let (dir, mut reg) = setup(true);
        publish(&mut reg, &internal(&dir, "a", &["1001", "1002"], 0));
        publish(&mut reg, &internal(&dir, "b", &["1003"], 0));
        let id = erase(&mut reg, "１００１");
        let r = reg.request(id).unwrap().unwrap();
        let d = r.decision.as_ref().unwrap();
        // Only the release the index shows the person in.
        assert_eq!(d.internal_copies.len(), 1, "{:?}", d.internal_copies);
        assert_eq!(d.internal_copies[0].release_id, "a");
        assert!(d.internal_copies[0].indexed);
        let todo = reg.erasures_to_do().unwrap();
        assert_eq!((todo[0].request_id, todo[0].outstanding.clone()), (id, vec!["a".to_string()]));
        assert_eq!(todo[0].due, r.deadline());
        let e = reg.close_request(&who(), id, "完了", "2026-11-27", "2026-11-27").unwrap_err();
        assert!(e.to_string().contains("not destroyed"), "{e}");

        // A replacement still holding the person is refused; one without them is recorded.
        let mut c = internal(&dir, "c", &["1001", "1002"], 1);
        c.replaces = Some("a".into());
        let e = reg.register_release(&who(), &c).unwrap_err();
        assert!(e.to_string().contains("excluded"), "{e}");
        let mut c = internal(&dir, "c", &["1002"], 1);
        c.replaces = Some("a".into());
        publish(&mut reg, &c);
        assert_eq!(reg.release("a").unwrap().unwrap().replaced_by.as_deref(), Some("c"));
        assert_eq!(reg.release("c").unwrap().unwrap().release.replaces.as_deref(), Some("a"));
        let mut again = internal(&dir, "c2", &["1002"], 1);
        again.replaces = Some("a".into());
        assert!(reg.register_release(&who(), &again).is_err(), "replaced once");
        // Other rules, or another input without its reason, replace nothing.
        let mut other = internal(&dir, "c3", &["1003"], 1);
        other.replaces = Some("b".into());
        other.rules_sha256 = "other".into();
        assert!(reg.register_release(&who(), &other).is_err());
        other.rules_sha256 = "rules".into();
        other.input_sha256 = "newer".into();
        assert!(reg.register_release(&who(), &other).unwrap_err().to_string().contains("--input-changed"));
        // Still to do: the replacement erased nothing.
        assert_eq!(reg.erasures_to_do().unwrap().len(), 1);

        // The destruction: refused while the folder is there, then recorded once.
        let e = reg.record_destruction(&who(), "a", "2026-11-27", "2026-11-27", "完全消去").unwrap_err();
        assert!(e.to_string().contains("still there"), "{e}");
        std::fs::remove_dir_all(dir.path().join("out/d/a")).unwrap();
        assert!(reg.record_destruction(&who(), "a", "2026-11-28", "2026-11-27", "完全消去").is_err(), "future");
        reg.record_destruction(&who(), "a", "2026-11-27", "2026-11-27", "完全消去").unwrap();
        assert!(reg.record_destruction(&who(), "a", "2026-11-27", "2026-11-27", "完全消去").is_err(), "twice");
        let a = reg.release("a").unwrap().unwrap();
        assert_eq!(a.destroyed.as_ref().map(|d| d.how.as_str()), Some("完全消去"));
        assert!(a.check_files().is_empty(), "a destroyed release's files are not checked");
        assert!(reg.erasures_to_do().unwrap().is_empty());
        let copies = reg.copies_of(&reg.request(id).unwrap().unwrap()).unwrap();
        assert!(copies[0].done && copies[0].replaced_by.as_deref() == Some("c"));
        reg.close_request(&who(), id, "完了", "2026-11-27", "2026-11-27").unwrap();
        // A later erasure lists the replacement when it holds the person, never the destroyed copy.
        let later = erase(&mut reg, "1002");
        let d = reg.request(later).unwrap().unwrap().decision.unwrap();
        let ids: Vec<&str> = d.internal_copies.iter().map(|c| c.release_id.as_str()).collect();
        assert_eq!(ids, ["c"]);
        assert_eq!(problems(&dir, &reg), Vec::<String>::new());

        // The tables are proved as every tracked table is: a destruction deleted outside tokumei
        // is found.
        reg.conn.execute("DELETE FROM release_destructions", []).unwrap();
        let found = problems(&dir, &reg);
        assert!(found.iter().any(|p| p.contains("release_destructions row 1")), "{found:?}");
    }

    /// 法98条1項1号 on an upgraded registry (fail safe): an erasure accepted before migration 8
    /// recorded no `internal_copies` at all; it lists, on read, the internal copies holding the
    /// person, stays to do until each is destroyed, and `registry status` names it.
    #[test]
    fn an_erasure_accepted_before_copies_were_tracked_lists_them_on_read_art98() {
        let (dir, mut reg) = setup(true);
        publish(&mut reg, &internal(&dir, "a", &["1001", "1002"], 0));
        publish(&mut reg, &internal(&dir, "b", &["1003"], 0));
        let id = erase(&mut reg, "1001");
        assert!(!reg.request(id).unwrap().unwrap().copies_untracked, "a decision now records its copies");
        assert!(reg.erasure_upgrade_warnings().unwrap().is_empty());
        // The decision as tokumei recorded it before migration 8: no `internal_copies` key.
        let raw: String =
            reg.conn.query_row("SELECT decision FROM requests WHERE id = ?1", [id], |r| r.get(0)).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&raw).unwrap();
        v.as_object_mut().unwrap().remove("internal_copies");
        reg.conn
            .execute("UPDATE requests SET decision = ?1 WHERE id = ?2", rusqlite::params![v.to_string(), id])
            .unwrap();
        let r = reg.request(id).unwrap().unwrap();
        assert!(r.copies_untracked && r.decision.as_ref().unwrap().internal_copies.is_empty());
        let listed: Vec<String> = reg.copies_of(&r).unwrap().into_iter().map(|c| c.copy.release_id).collect();
        assert_eq!(listed, ["a"]);
        assert_eq!(reg.erasures_to_do().unwrap()[0].outstanding, ["a"]);
        let w = reg.erasure_upgrade_warnings().unwrap();
        assert!(
            w.len() == 1
                && w[0].contains(&format!("request {id}: erasure accepted before internal copies were tracked"))
                && w[0].contains("(a)"),
            "{w:?}"
        );
        assert!(reg.close_request(&who(), id, "完了", "2026-11-27", "2026-11-27").is_err());
    }

    /// Fail safe: without a per-subject index nothing recorded says who a release holds, so an
    /// accepted erasure lists every internal release (each may hold the person); a stop of
    /// provision (法98条1項2号) lists none; a recipient's release is never an internal copy.
    #[test]
    fn without_an_index_every_internal_release_may_hold_the_person() {
        let (dir, mut reg) = setup(false);
        publish(&mut reg, &internal(&dir, "a", &["1001"], 0));
        publish(&mut reg, &internal(&dir, "b", &["1003"], 0));
        let id = erase(&mut reg, "1001");
        let d = reg.request(id).unwrap().unwrap().decision.unwrap();
        let listed: Vec<(&str, bool)> = d.internal_copies.iter().map(|c| (c.release_id.as_str(), c.indexed)).collect();
        assert_eq!(listed, [("a", false), ("b", false)]);
        // Destroyed copies are not listed by a later decision; a contract release is not destroyed here.
        std::fs::remove_dir_all(dir.path().join("out/d/b")).unwrap();
        reg.record_destruction(&who(), "b", "2026-11-27", "2026-11-27", "完全消去").unwrap();
        let next = erase(&mut reg, "1003");
        let d = reg.request(next).unwrap().unwrap().decision.unwrap();
        assert_eq!(d.internal_copies.iter().map(|c| c.release_id.as_str()).collect::<Vec<_>>(), ["a"]);
        assert!(!super::reaches_internal_copies(crate::Kind::Suspension, Some(Measure::StopProvision)));
        assert!(!super::reaches_internal_copies(crate::Kind::OptOut, None));
        assert!(super::reaches_internal_copies(crate::Kind::Suspension, None), "stop of use by default");
    }
}
