//! Releases in the registry. A run registers its release as `publishing` (after its audit
//! entry, before its folder appears) and marks it `published` once the folder is in place, so
//! no release is ever visible without its row; an interrupted publication is settled by the
//! next run on the same output folder (`published` if the folder is there and matches, else
//! `abandoned`), each step audited.

use crate::refuse;
use crate::{Guard, Registry, RegistryError, Who};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One file of a release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputFile {
    /// File name in the release folder.
    pub name: String,
    /// Its SHA-256.
    pub sha256: String,
}

/// What a run registers about its release.
#[derive(Debug, Clone, Serialize)]
pub struct NewRelease {
    /// Release id (the folder's name).
    pub release_id: String,
    /// Contract it is provided under (`None`: internal use).
    pub contract_id: Option<i64>,
    /// Dataset.
    pub dataset: String,
    /// `anonymized` or `pseudonymized`.
    pub mode: String,
    /// Absolute path of the release folder (once published).
    pub release_dir: String,
    /// SHA-256 of the input (of the inputs' digests for a query job).
    pub input_sha256: String,
    /// SHA-256 of the rule file.
    pub rules_sha256: String,
    /// Every file with its SHA-256.
    pub outputs: Vec<OutputFile>,
    /// Rows released.
    pub rows: u64,
    /// People released, counted by the subject identifier (the rules' `subject`) when the run
    /// knows it; `None`: not counted (the ファイル簿 then counts rows, and says so).
    #[serde(default)]
    pub people: Option<u64>,
    /// Smallest class achieved.
    pub k_achieved: u64,
    /// Smallest distinct l achieved over the sensitive columns, if any.
    pub l_achieved: Option<u64>,
    /// The audit log of the run (absolute path).
    pub audit_log: String,
    /// The audit entry (`publishing`) that records the release.
    pub audit_seq: u64,
    /// The audit log's head the release carries.
    pub audit_head: Option<String>,
    /// Staff hours of creation work entered by the operator (for the fee).
    pub staff_hours: Option<f64>,
    /// The linking-code columns (pseudonyms) of the release.
    pub code_columns: Vec<String>,
    /// Distinct codes in them.
    pub codes: u64,
    /// Keyed digest of the code set ([`Registry::code_digest_key`]): recognises the release and
    /// shows two releases' code sets differ, without keeping a code.
    pub code_digest: Option<String>,
    /// The purpose of an internal use (no contract).
    pub purpose: Option<String>,
    /// The subject identifiers of the records the release was made from, for the per-subject
    /// index (kept, as keyed digests, only where the profile enables it; never stored as given).
    #[serde(skip)]
    pub subjects: Vec<String>,
    /// The last exclusion (suspension, opt-out) the run applied.
    pub exclusions_upto: i64,
    /// The last correction the run applied.
    pub corrections_upto: i64,
    /// Records the run left out because of requests.
    pub excluded_records: u64,
    /// The fingerprint the run gave the release (JSON: the column reordered within classes).
    pub fingerprint: Option<serde_json::Value>,
    /// What the release is recognised by when a copy turns up (keyed digests; never a value).
    #[serde(skip)]
    pub marks: Vec<ReleaseMark>,
    /// The internal release this one replaces without the people residents' requests excluded
    /// (`tokumei release replace`).
    pub replaces: Option<String>,
    /// A replacement made from another input than the release it replaces: why.
    pub replacement_note: Option<String>,
}

/// The recorded destruction of an internal release (who, when, how).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Destruction {
    /// The day it was destroyed (YYYY-MM-DD, Japan).
    pub date: String,
    /// How (e.g. `フォルダを完全消去し、複製がないことを確認`).
    pub how: String,
    /// Who recorded it.
    pub operator: String,
    /// When it was recorded.
    pub time: String,
}

/// One set of a release's marks (see `tokumei_engine::trace`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseMark {
    /// `codes`, `rows`, or a fingerprint set (`fp_class`, `fp_class_value`, `fp_tuple`, `fp_class_rest`).
    pub kind: String,
    /// The columns covered (JSON list).
    pub columns: Vec<String>,
    /// Digests kept are 0 modulo this.
    pub sample: u64,
    /// Sorted digests with their counts, 12 bytes each (digest, count), big-endian.
    pub digests: Vec<u8>,
}

/// A registered release.
#[derive(Debug, Clone, Serialize)]
pub struct StoredRelease {
    /// Registry id.
    pub id: i64,
    /// `publishing`, `published` or `abandoned`.
    pub status: String,
    /// Recipient's name, under a contract.
    pub recipient: Option<String>,
    /// File's name, under a contract.
    pub file: Option<String>,
    /// Who registered it.
    pub operator: String,
    /// When.
    pub time: String,
    /// What was registered.
    #[serde(flatten)]
    pub release: NewRelease,
    /// The release that replaces this one (published or still publishing), if any.
    pub replaced_by: Option<String>,
    /// Its destruction, once recorded: its folder is gone and its files are no longer checked.
    pub destroyed: Option<Destruction>,
}

impl Registry {
    /// Register a release as `publishing` (call after its audit entry, before its folder is
    /// renamed into place). Under a contract, the contract moves to `created` if it was
    /// `contracted` (the data now exist).
    pub fn register_release(&mut self, who: &Who, r: &NewRelease) -> Result<i64, RegistryError> {
        let (recipient, file) = self.release_holder(r)?;
        // A replacement of an internal release: what it replaces, and whether from the same input.
        let replacing = match &r.replaces {
            Some(old) => Some(self.check_replacement(r, old)?),
            None => None,
        };
        let subject_codes = self.subject_codes(r)?;
        self.check_no_one_excluded(r, &subject_codes)?;
        self.check_codes_unlinked(r)?;
        let outputs = serde_json::to_string(&r.outputs).map_err(|e| self.db(e))?;
        // People, by the subject identifier: as the run counted them, else the distinct subjects
        // it collected; never guessed from rows.
        let people = r.people.or_else(|| {
            (!r.subjects.is_empty()).then(|| {
                r.subjects.iter().map(|s| crate::normalize_subject(s)).collect::<std::collections::HashSet<_>>().len()
                    as u64
            })
        });
        // Re-read inside the transaction: the contract still allows provision (not cancelled or
        // ended while the run made its release).
        let guards: Vec<Guard> = r.contract_id.map(Guard::Provision).into_iter().collect();
        self.change_from(&guards, who, "release-register", &r.release_id, |tx| {
            // A request decided while the run read its input: the release did not honour it.
            requests_honoured(tx, r)?;
            tx.execute(
                "INSERT INTO releases (release_id, status, contract_id, recipient, file, dataset, mode, release_dir,
                    input_sha256, rules_sha256, outputs, rows, k_achieved, l_achieved, audit_log, audit_seq,
                    audit_head, staff_hours, code_columns, codes, code_digest, operator, time, purpose,
                    subject_entries, subject_digest, exclusions_upto, corrections_upto, excluded_records, fingerprint,
                    people)
                 VALUES (?1, 'publishing', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                    ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)",
                params![
                    r.release_id,
                    r.contract_id,
                    recipient,
                    file,
                    r.dataset,
                    r.mode,
                    r.release_dir,
                    r.input_sha256,
                    r.rules_sha256,
                    outputs,
                    r.rows as i64,
                    r.k_achieved as i64,
                    r.l_achieved.map(|l| l as i64),
                    r.audit_log,
                    r.audit_seq as i64,
                    r.audit_head,
                    r.staff_hours,
                    serde_json::to_string(&r.code_columns).unwrap_or_default(),
                    r.codes as i64,
                    r.code_digest,
                    who.operator,
                    who.time,
                    r.purpose,
                    subject_codes.len() as i64,
                    subject_digest(subject_codes.iter().map(String::as_str)),
                    r.exclusions_upto,
                    r.corrections_upto,
                    r.excluded_records as i64,
                    r.fingerprint.as_ref().map(|f| f.to_string()),
                    people.map(|p| p as i64)
                ],
            )
            .map_err(|e| refuse::storage(format!("release {}: {e}", r.release_id)))?;
            let id = tx.last_insert_rowid();
            let mut stmt = tx
                .prepare("INSERT OR IGNORE INTO subject_index (code, release_id) VALUES (?1, ?2)")
                .map_err(|e| refuse::storage(format!("subject index: {e}")))?;
            for code in &subject_codes {
                stmt.execute(params![code, r.release_id])
                    .map_err(|e| refuse::storage(format!("subject index: {e}")))?;
            }
            let mut touched = vec![("releases", id.to_string())];
            if let (Some(old), Some(same_input)) = (&r.replaces, replacing) {
                touched.push(("release_replacements", record_replacement(tx, who, r, old, same_input)?));
            }
            touched.extend(record_marks(tx, r)?);
            Ok((id, touched))
        })
    }

    /// The recipient and file of a release: those of its contract, which allows provision and
    /// is a 法112 contract (a 法118 contract covers data already made); an internal release
    /// states its purpose instead.
    fn release_holder(&self, r: &NewRelease) -> Result<(Option<String>, Option<String>), RegistryError> {
        Ok(match r.contract_id {
            Some(id) => {
                let c = self.contract(id)?.ok_or_else(|| refuse::not_found(format!("no contract {id}")))?;
                if !c.state.allows_provision() {
                    return Err(refuse::state(format!(
                        "contract {id} is {}: no release may be registered under it",
                        c.state.as_str()
                    )));
                }
                if c.kind != crate::ProposalKind::Article112 {
                    return Err(refuse::state(format!(
                        "contract {id} is a 法118 contract: it covers anonymised data already made, nothing is made under it"
                    )));
                }
                (Some(c.recipient), Some(c.file))
            }
            None if r.purpose.as_deref().is_none_or(|p| p.trim().is_empty()) => {
                return Err(refuse::value(format!("release {}: an internal use states its purpose", r.release_id)));
            }
            None => (None, None),
        })
    }

    /// The release's people as codes of the per-subject index (sorted, once each), when the
    /// profile keeps the index.
    fn subject_codes(&self, r: &NewRelease) -> Result<Vec<String>, RegistryError> {
        Ok(if self.profile()?.subject_index {
            let mut d = r.subjects.iter().map(|s| self.subject_digest(s)).collect::<Result<Vec<_>, _>>()?;
            d.sort_unstable();
            d.dedup();
            d
        } else {
            Vec::new()
        })
    }

    /// A replacement holds no one excluded from every run: with the per-subject index, this is
    /// proved from what the run recorded (the run applied every such exclusion, whatever files
    /// its request named).
    fn check_no_one_excluded(&self, r: &NewRelease, subject_codes: &[String]) -> Result<(), RegistryError> {
        if r.replaces.is_some() && !subject_codes.is_empty() {
            let (_, excluded) = self.exclusions(false, None)?;
            for subject in excluded {
                if subject_codes.binary_search(&self.subject_digest(&subject)?).is_ok() {
                    return Err(refuse::value(format!(
                        "release {}: it holds a person excluded by a resident's request, so it replaces nothing: run `tokumei release replace` again",
                        r.release_id
                    )));
                }
            }
        }
        Ok(())
    }

    /// Codes never link two releases: a release whose codes digest is another's is refused,
    /// unless it replaces that one (or what it replaced) with its managed key, or both are the
    /// body's pseudonymised internal releases made with that key (one code per person across
    /// them, by design).
    fn check_codes_unlinked(&self, r: &NewRelease) -> Result<(), RegistryError> {
        let lineage = match &r.replaces {
            Some(old) => self.lineage(old)?,
            None => Vec::new(),
        };
        let same_key_allowed = |o: &StoredRelease| {
            lineage.contains(&o.release.release_id)
                || (r.replaces.is_some()
                    && r.mode == "pseudonymized"
                    && o.release.mode == "pseudonymized"
                    && o.release.contract_id.is_none())
        };
        if let Some(d) = r.code_digest.as_ref().filter(|_| r.codes > 0)
            && let Some(other) =
                self.releases()?.into_iter().find(|o| o.release.code_digest.as_ref() == Some(d) && !same_key_allowed(o))
        {
            return Err(refuse::duplicate(format!(
                "release {} has the same codes as release {}: codes must never link two releases",
                r.release_id, other.release.release_id
            )));
        }
        Ok(())
    }

    /// An internal release that a replacement may replace: registered, published, for no
    /// recipient (a recipient's copy is returned or deleted under its contract), neither replaced
    /// (by a release not abandoned) nor destroyed.
    pub fn replaceable(&self, release_id: &str) -> Result<StoredRelease, RegistryError> {
        let old = self
            .release(release_id)?
            .ok_or_else(|| refuse::not_found(format!("no release {release_id} in the registry")))?;
        if let Some(c) = old.release.contract_id {
            return Err(refuse::law(format!(
                "release {release_id} was made under contract {c}: only an internal release is replaced (a recipient's copy is returned or deleted under its contract, 法115・120)"
            )));
        }
        if old.status != "published" {
            return Err(refuse::state(format!(
                "release {release_id} is {}: only a published release is replaced",
                old.status
            )));
        }
        if let Some(d) = &old.destroyed {
            return Err(refuse::state(format!(
                "release {release_id} was destroyed on {}: there is nothing to replace",
                d.date
            )));
        }
        if let Some(by) = &old.replaced_by {
            return Err(refuse::state(format!(
                "release {release_id} is already replaced by release {by}: replace that one, or record the destruction of {release_id} (`tokumei release destroyed {release_id} --how ...`)"
            )));
        }
        Ok(old)
    }

    /// Check a release registered as the replacement of `old`: the same kind of internal release
    /// made with the same rule file. Returns whether it was made from the same input (another
    /// input needs its reason, `replacement_note`).
    fn check_replacement(&self, r: &NewRelease, old: &str) -> Result<bool, RegistryError> {
        let o = self.replaceable(old)?;
        if r.contract_id.is_some() {
            return Err(refuse::value(format!(
                "release {}: a replacement of an internal release is internal too",
                r.release_id
            )));
        }
        if r.mode != o.release.mode || r.rules_sha256 != o.release.rules_sha256 {
            return Err(refuse::value(format!(
                "release {}: a replacement of release {old} is made by the same rule file in the same mode ({}, rules {}), this one by {} rules {}",
                r.release_id,
                o.release.mode,
                &o.release.rules_sha256[..12.min(o.release.rules_sha256.len())],
                r.mode,
                &r.rules_sha256[..12.min(r.rules_sha256.len())]
            )));
        }
        let same_input = r.input_sha256 == o.release.input_sha256;
        match r.replacement_note.as_deref() {
            Some(note) => crate::check::text("the reason for another input", note)?,
            None if !same_input => {
                return Err(refuse::value(format!(
                    "release {}: its input differs from the one release {old} was made from (SHA-256 {} then, {} now): a replacement holds the same records without the people excluded; give the reason with --input-changed to replace it with the records as they are now",
                    r.release_id,
                    &o.release.input_sha256[..12.min(o.release.input_sha256.len())],
                    &r.input_sha256[..12.min(r.input_sha256.len())]
                )));
            }
            None => {}
        }
        Ok(same_input)
    }

    /// A release and the releases it replaced, back to the first.
    fn lineage(&self, release_id: &str) -> Result<Vec<String>, RegistryError> {
        let mut chain = vec![release_id.to_string()];
        while chain.len() < 10_000 {
            let before: Option<String> = self
                .conn
                .query_row(
                    "SELECT old_release FROM release_replacements WHERE new_release = ?1",
                    [chain.last().map(String::as_str).unwrap_or_default()],
                    |q| q.get(0),
                )
                .optional()
                .map_err(|e| self.db(e))?;
            match before {
                Some(b) if !chain.contains(&b) => chain.push(b),
                _ => break,
            }
        }
        Ok(chain)
    }

    /// Record that an internal release was destroyed on `day` (between its creation and
    /// `today`), and how, once its folder is gone: audited as `release-destroyed`. A destroyed
    /// release's files are no longer checked; an accepted erasure that listed it is done with it.
    pub fn record_destruction(
        &mut self,
        who: &Who,
        release_id: &str,
        day: &str,
        today: &str,
        how: &str,
    ) -> Result<(), RegistryError> {
        let r = self
            .release(release_id)?
            .ok_or_else(|| refuse::not_found(format!("no release {release_id} in the registry")))?;
        if let Some(c) = r.release.contract_id {
            return Err(refuse::law(format!(
                "release {release_id} was made under contract {c}: a recipient's copy is returned or deleted under its contract (法115・120), not recorded here"
            )));
        }
        if r.status != "published" {
            return Err(refuse::state(format!(
                "release {release_id} is {}: only a published release is destroyed",
                r.status
            )));
        }
        if let Some(d) = &r.destroyed {
            return Err(refuse::duplicate(format!(
                "release {release_id}: its destruction was recorded already ({})",
                d.date
            )));
        }
        crate::check::text("how", how)?;
        let made = crate::deadline::stored_day(&r.time, &format!("release {release_id}"))?;
        crate::check::check_day(day, "the day of destruction", &made, today)?;
        let dir = Path::new(&r.release.release_dir);
        if std::fs::symlink_metadata(dir).is_ok() {
            return Err(refuse::state(format!(
                "release {release_id}: its folder {} is still there: destroy it (and every copy of it) first, then record how",
                dir.display()
            )));
        }
        let guard = [Guard::Release { release_id: release_id.to_string(), status: r.status.clone(), provisions: 0 }];
        self.change_from(&guard, who, "release-destroyed", release_id, |tx| {
            tx.execute(
                "INSERT INTO release_destructions (release_id, date, how, time, operator) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![release_id, day, how, who.time, who.operator],
            )
            .map_err(|e| refuse::storage(format!("release {release_id}: {e}")))?;
            Ok(((), vec![("release_destructions", tx.last_insert_rowid().to_string())]))
        })
    }

    /// Replacements and destructions against the releases they name: each names registered
    /// internal releases (a replacement: the same kind, made after the release it replaces).
    pub(crate) fn copy_problems(&self) -> Result<Vec<String>, RegistryError> {
        let mut problems = Vec::new();
        let releases = self.releases()?;
        let find = |id: &str| releases.iter().find(|r| r.release.release_id == id);
        let mut stmt = self
            .conn
            .prepare("SELECT id, old_release, new_release FROM release_replacements ORDER BY id")
            .map_err(|e| self.db(e))?;
        let rows: Vec<(i64, String, String)> = stmt
            .query_map([], |q| Ok((q.get(0)?, q.get(1)?, q.get(2)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))?;
        for (id, old, new) in rows {
            match (find(&old), find(&new)) {
                (Some(o), Some(n))
                    if o.release.contract_id.is_none()
                        && n.release.contract_id.is_none()
                        && o.release.rules_sha256 == n.release.rules_sha256
                        && o.time <= n.time => {}
                _ => problems.push(format!(
                    "replacement {id}: release {new} replacing {old} is not an internal release made after it by the same rules"
                )),
            }
        }
        let mut stmt =
            self.conn.prepare("SELECT id, release_id FROM release_destructions ORDER BY id").map_err(|e| self.db(e))?;
        let rows: Vec<(i64, String)> = stmt
            .query_map([], |q| Ok((q.get(0)?, q.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))?;
        for (id, release) in rows {
            if find(&release).is_none_or(|r| r.release.contract_id.is_some()) {
                problems.push(format!("destruction {id}: names release {release}, which is not an internal release"));
            }
        }
        Ok(problems)
    }

    /// The marks of a release (empty for a release made before tokumei kept them).
    pub fn release_marks(&self, release_id: &str) -> Result<Vec<ReleaseMark>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT kind, columns, sample, digests FROM release_marks WHERE release_id = ?1 ORDER BY kind, columns",
            )
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map([release_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, Vec<u8>>(3)?))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.db(e))?;
        rows.into_iter()
            .map(|(kind, columns, sample, digests)| {
                Ok(ReleaseMark {
                    kind,
                    columns: serde_json::from_str(&columns).map_err(|e| self.db(e))?,
                    sample: sample.max(1) as u64,
                    digests,
                })
            })
            .collect()
    }

    /// The releases made from records of the subject with identifier `subject`, from the
    /// per-subject index (`None` when the profile keeps no index).
    pub fn subject_releases(&self, subject: &str) -> Result<Option<Vec<StoredRelease>>, RegistryError> {
        if !self.profile()?.subject_index {
            return Ok(None);
        }
        let code = self.subject_digest(subject)?;
        let mut stmt = self
            .conn
            .prepare("SELECT release_id FROM subject_index WHERE code = ?1 ORDER BY release_id")
            .map_err(|e| self.db(e))?;
        let ids: Vec<String> = stmt
            .query_map([&code], |r| r.get(0))
            .map_err(|e| self.db(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.db(e))?;
        Ok(Some(self.releases()?.into_iter().filter(|r| ids.contains(&r.release.release_id)).collect()))
    }

    /// The per-subject index's digests of a release's subjects ([`Registry::subject_digest`]).
    pub fn release_subject_codes(&self, release_id: &str) -> Result<std::collections::BTreeSet<String>, RegistryError> {
        let mut stmt =
            self.conn.prepare("SELECT code FROM subject_index WHERE release_id = ?1").map_err(|e| self.db(e))?;
        let codes = stmt
            .query_map([release_id], |r| r.get(0))
            .map_err(|e| self.db(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.db(e))?;
        Ok(codes)
    }

    /// Settle a registered release: `published` once its folder is in place, `abandoned` when
    /// it never appeared. A release published under a contract is entered in its file's
    /// ファイル簿 in the same change (法117: its summary — people and items —, the office receiving
    /// 法118 proposals and the period for them).
    pub fn settle_release(&mut self, who: &Who, release_id: &str, published: bool) -> Result<(), RegistryError> {
        let row: Option<(i64, String, Option<i64>)> = self
            .conn
            .query_row("SELECT id, status, contract_id FROM releases WHERE release_id = ?1", [release_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
            .map_err(|e| self.db(e))?;
        let Some((id, status, contract)) = row else {
            return Err(refuse::not_found(format!("no release {release_id} in the registry")));
        };
        if status != "publishing" {
            return Err(refuse::state(format!("release {release_id} is already {status}")));
        }
        let to = if published { "published" } else { "abandoned" };
        // Re-read inside the transaction: still publishing (settled once).
        let guard = [Guard::Release { release_id: release_id.to_string(), status, provisions: 0 }];
        self.change_from(&guard, who, &format!("release-{to}"), release_id, |tx| {
            tx.execute("UPDATE releases SET status = ?1 WHERE id = ?2", params![to, id])
                .map_err(|e| refuse::storage(format!("release {release_id}: {e}")))?;
            let mut touched = vec![("releases", id.to_string())];
            // The contract's state as it is now, inside the transaction.
            let contract_state = match contract {
                Some(cid) if published => tx
                    .query_row("SELECT state FROM contracts WHERE id = ?1", [cid], |q| q.get::<_, String>(0))
                    .optional()
                    .map_err(|e| refuse::storage(format!("contract {cid}: {e}")))?
                    .and_then(|s| crate::State::parse(&s))
                    .map(|s| (cid, s)),
                _ => None,
            };
            // 法117: the file's ファイル簿 entry lists the anonymised data, on creation.
            if let Some((cid, _)) = contract_state {
                touched.push(("files", enter_created(tx, cid, release_id, who)?.to_string()));
            }
            // The data now exist under the contract (規則: 作成).
            if let Some((cid, crate::State::Contracted)) = contract_state {
                tx.execute(
                    "UPDATE contracts SET state = 'created', updated = ?1 WHERE id = ?2",
                    params![who.time, cid],
                )
                .map_err(|e| refuse::storage(format!("contract {cid}: {e}")))?;
                let note = format!("release {release_id}");
                let ev = crate::contracts::event(
                    tx,
                    cid,
                    Some(crate::State::Contracted),
                    crate::State::Created,
                    who,
                    Some(&note),
                )?;
                touched.push(("contracts", cid.to_string()));
                touched.push(("contract_events", ev.to_string()));
            }
            Ok(((), touched))
        })
    }

    /// Releases still `publishing` whose folder lies under `root` (an interrupted publication
    /// on that output folder).
    pub fn unsettled_under(&self, root: &Path) -> Result<Vec<StoredRelease>, RegistryError> {
        Ok(self
            .releases()?
            .into_iter()
            .filter(|r| r.status == "publishing" && Path::new(&r.release.release_dir).starts_with(root))
            .collect())
    }

    /// The key of the code-set digests (hex), made with the registry.
    pub fn code_digest_key(&self) -> Result<Vec<u8>, RegistryError> {
        let hex_key = self.meta("code_digest_key")?.ok_or_else(|| self.err("has no code digest key"))?;
        hex::decode(hex_key).map_err(|e| self.db(e))
    }

    /// A release by id.
    pub fn release(&self, release_id: &str) -> Result<Option<StoredRelease>, RegistryError> {
        Ok(self.releases()?.into_iter().find(|r| r.release.release_id == release_id))
    }

    /// Every release, oldest first.
    pub fn releases(&self) -> Result<Vec<StoredRelease>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT releases.id, status, contract_id, recipient, file, dataset, mode, release_dir, input_sha256,
                    rules_sha256, outputs, rows, k_achieved, l_achieved, audit_seq, audit_head, staff_hours,
                    releases.operator, releases.time, releases.release_id, audit_log, code_columns, codes, code_digest,
                    purpose, exclusions_upto, corrections_upto, excluded_records, fingerprint,
                    (SELECT p.old_release FROM release_replacements p WHERE p.new_release = releases.release_id),
                    (SELECT p.note FROM release_replacements p WHERE p.new_release = releases.release_id),
                    (SELECT p.new_release FROM release_replacements p JOIN releases n ON n.release_id = p.new_release
                     WHERE p.old_release = releases.release_id AND n.status != 'abandoned' ORDER BY p.id DESC LIMIT 1),
                    d.date, d.how, d.operator, d.time, releases.people
                 FROM releases LEFT JOIN release_destructions d ON d.release_id = releases.release_id
                 ORDER BY releases.id",
            )
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map([], |r| {
                let outputs: String = r.get(10)?;
                Ok(StoredRelease {
                    id: r.get(0)?,
                    status: r.get(1)?,
                    recipient: r.get(3)?,
                    file: r.get(4)?,
                    operator: r.get(17)?,
                    time: r.get(18)?,
                    release: NewRelease {
                        release_id: r.get(19)?,
                        contract_id: r.get(2)?,
                        dataset: r.get(5)?,
                        mode: r.get(6)?,
                        release_dir: r.get(7)?,
                        input_sha256: r.get(8)?,
                        rules_sha256: r.get(9)?,
                        outputs: serde_json::from_str(&outputs).unwrap_or_default(),
                        rows: r.get::<_, i64>(11)? as u64,
                        people: r.get::<_, Option<i64>>(36)?.map(|p| p as u64),
                        k_achieved: r.get::<_, i64>(12)? as u64,
                        l_achieved: r.get::<_, Option<i64>>(13)?.map(|l| l as u64),
                        audit_log: r.get(20)?,
                        audit_seq: r.get::<_, i64>(14)? as u64,
                        audit_head: r.get(15)?,
                        staff_hours: r.get(16)?,
                        code_columns: serde_json::from_str(&r.get::<_, String>(21)?).unwrap_or_default(),
                        codes: r.get::<_, i64>(22)? as u64,
                        code_digest: r.get(23)?,
                        purpose: r.get(24)?,
                        subjects: Vec::new(),
                        exclusions_upto: r.get(25)?,
                        corrections_upto: r.get(26)?,
                        excluded_records: r.get::<_, i64>(27)? as u64,
                        fingerprint: r.get::<_, Option<String>>(28)?.and_then(|f| serde_json::from_str(&f).ok()),
                        marks: Vec::new(),
                        replaces: r.get(29)?,
                        replacement_note: r.get(30)?,
                    },
                    replaced_by: r.get(31)?,
                    destroyed: match r.get::<_, Option<String>>(32)? {
                        Some(date) => {
                            Some(Destruction { date, how: r.get(33)?, operator: r.get(34)?, time: r.get(35)? })
                        }
                        None => None,
                    },
                })
            })
            .map_err(|e| self.db(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.db(e))
    }
}

/// Enter release `release_id`, published under contract `cid`, in its file's ファイル簿 (法117),
/// inside the change that publishes it: 1号 the summary (規則: the people and the items of the
/// anonymised data), 2号 the office receiving 法118 proposals (the file's proposal office, 法110条2号)
/// and 3号 the period for them (from the day of creation, the file's `reuse_period_days`, the
/// creation day counted as the first). Returns the file's id. An entry already made for the
/// release is kept as it is.
fn enter_created(tx: &rusqlite::Transaction, cid: i64, release_id: &str, who: &Who) -> Result<i64, RegistryError> {
    let refused = |m: String| refuse::storage(format!("ファイル簿 (法117): {m}"));
    let (file_id, columns): (i64, String) = tx
        .query_row("SELECT file_id, columns FROM contracts WHERE id = ?1", [cid], |q| Ok((q.get(0)?, q.get(1)?)))
        .map_err(|e| refused(format!("contract {cid}: {e}")))?;
    let (created, office, days): (String, Option<String>, Option<i64>) = tx
        .query_row(
            "SELECT created_anonymised, proposal_office, reuse_period_days FROM files WHERE id = ?1",
            [file_id],
            |q| Ok((q.get(0)?, q.get(1)?, q.get(2)?)),
        )
        .map_err(|e| refused(format!("file {file_id}: {e}")))?;
    let (rows, people): (i64, Option<i64>) = tx
        .query_row("SELECT rows, people FROM releases WHERE release_id = ?1", [release_id], |q| {
            Ok((q.get(0)?, q.get(1)?))
        })
        .map_err(|e| refused(format!("release {release_id}: {e}")))?;
    let identifier: String = tx
        .query_row("SELECT subject_identifier FROM profile WHERE id = 1", [], |q| q.get(0))
        .map_err(|e| refused(format!("profile: {e}")))?;
    let mut list: Vec<serde_json::Value> = serde_json::from_str(&created).unwrap_or_default();
    if list.iter().any(|e| e["release"].as_str() == Some(release_id)) {
        return Ok(file_id);
    }
    let grants: Vec<crate::ColumnGrant> = serde_json::from_str(&columns).unwrap_or_default();
    let day = crate::deadline::today_of(who)?;
    let days = days.unwrap_or(crate::files::DEFAULT_REUSE_DAYS);
    let until = crate::deadline::add_days(&day, days - 1).unwrap_or_else(|| day.clone());
    list.push(serde_json::json!({
        "release": release_id,
        "contract": cid,
        "created": day,
        "people": people.unwrap_or(rows),
        "people_counted_by": match people {
            Some(_) => format!("subject identifier ({identifier})"),
            None => "rows (the rules declare no subject column: each row counted as one person)".to_string(),
        },
        "items": grants.iter().map(|g| format!("{}（{}）", g.name, g.granularity)).collect::<Vec<_>>(),
        "proposal_office": office,
        "proposals_from": day,
        "proposals_until": until,
        "entered": who.time,
    }));
    tx.execute(
        "UPDATE files SET created_anonymised = ?1 WHERE id = ?2",
        params![serde_json::Value::Array(list).to_string(), file_id],
    )
    .map_err(|e| refused(format!("file {file_id}: {e}")))?;
    Ok(file_id)
}

/// SHA-256 of a release's subject-index codes, sorted, one per line: the registration keeps it
/// so that an index edited afterwards is found.
pub(crate) fn subject_digest<'a>(codes: impl Iterator<Item = &'a str>) -> String {
    use sha2::Digest;
    let mut sorted: Vec<&str> = codes.collect();
    sorted.sort_unstable();
    let mut h = sha2::Sha256::new();
    for c in sorted {
        h.update(c.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

impl StoredRelease {
    /// Problems of this release's row against its audit entry (`entries`: the run's log): the
    /// entry must be its `publishing` entry, with the same release, contract and files.
    pub fn check_entry(&self, entries: &[tokumei_audit::Entry]) -> Vec<String> {
        let id = &self.release.release_id;
        let Some(e) = entries.iter().find(|e| e.seq == self.release.audit_seq) else {
            return vec![format!(
                "release {id}: its audit entry {} is not in {}",
                self.release.audit_seq, self.release.audit_log
            )];
        };
        let outputs: Vec<String> = self.release.outputs.iter().map(|f| format!("{}={}", f.name, f.sha256)).collect();
        let contract = e.record.details.get("contract").and_then(serde_json::Value::as_i64);
        if e.record.status != "publishing"
            || e.record.release_id.as_deref() != Some(id.as_str())
            || e.record.outputs != outputs
            || contract != self.release.contract_id
        {
            return vec![format!(
                "release {id}: its row does not match audit entry {} (release, files or contract differ)",
                e.seq
            )];
        }
        Vec::new()
    }

    /// Problems of a published release's folder against its row: a file missing, changed
    /// (SHA-256) or added. Empty: the files still match.
    /// A release whose destruction is recorded has no files to check.
    pub fn check_files(&self) -> Vec<String> {
        if self.destroyed.is_some() {
            return Vec::new();
        }
        let dir = Path::new(&self.release.release_dir);
        let mut problems = Vec::new();
        if !dir.is_dir() {
            return vec![format!("release {}: its folder {} is missing", self.release.release_id, dir.display())];
        }
        for f in &self.release.outputs {
            let path = dir.join(&f.name);
            if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
                problems.push(format!("release {}: {} is not a regular file", self.release.release_id, f.name));
                continue;
            }
            match tokumei_audit::sys::sha256_file(&path) {
                Ok(h) if h == f.sha256 => {}
                Ok(_) => problems.push(format!("release {}: {} was changed", self.release.release_id, f.name)),
                Err(e) => problems.push(format!(
                    "release {}: {} cannot be read ({})",
                    self.release.release_id,
                    f.name,
                    e.kind()
                )),
            }
        }
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if !self.release.outputs.iter().any(|f| f.name == name) {
                    problems.push(format!("release {}: {name} was added", self.release.release_id));
                }
            }
        }
        problems
    }
}

/// Inside the registration: no resident's request was decided while the run read its input
/// (the release would not honour it).
fn requests_honoured(tx: &rusqlite::Transaction, r: &NewRelease) -> Result<(), RegistryError> {
    let (exclusions, corrections): (i64, i64) = tx
        .query_row(
            &format!(
                "SELECT (SELECT coalesce(max(id), 0) FROM exclusions), ({})",
                crate::requests::CORRECTIONS_VERSION
            ),
            [],
            |q| Ok((q.get(0)?, q.get(1)?)),
        )
        .map_err(|e| refuse::storage(format!("release {}: {e}", r.release_id)))?;
    if exclusions > r.exclusions_upto || corrections > r.corrections_upto {
        return Err(refuse::stale(format!(
            "release {}: a resident's request was decided while the run read its input (exclusion {exclusions}, correction {corrections}; the run applied up to {} and {}): it is not published; run again",
            r.release_id, r.exclusions_upto, r.corrections_upto
        )));
    }
    Ok(())
}

/// Inside the registration of a replacement: the release it replaces is still published, not
/// replaced or destroyed meanwhile; the replacement is recorded (its row's key returned).
fn record_replacement(
    tx: &rusqlite::Transaction,
    who: &Who,
    r: &NewRelease,
    old: &str,
    same_input: bool,
) -> Result<String, RegistryError> {
    // Inside the transaction: not replaced or destroyed meanwhile.
    let (others, destroyed, status): (i64, i64, Option<String>) = tx
        .query_row(
            "SELECT (SELECT count(*) FROM release_replacements p JOIN releases n ON n.release_id = p.new_release
                     WHERE p.old_release = ?1 AND n.status != 'abandoned' AND n.release_id != ?2),
                    (SELECT count(*) FROM release_destructions WHERE release_id = ?1),
                    (SELECT status FROM releases WHERE release_id = ?1)",
            params![old, r.release_id],
            |q| Ok((q.get(0)?, q.get(1)?, q.get(2)?)),
        )
        .map_err(|e| refuse::storage(format!("release {old}: {e}")))?;
    if others > 0 || destroyed > 0 || status.as_deref() != Some("published") {
        return Err(refuse::stale(format!(
            "release {old} was replaced, destroyed or settled otherwise while this replacement was made: it is not published; look at it again (`tokumei release show {old}`)"
        )));
    }
    tx.execute(
        "INSERT INTO release_replacements (old_release, new_release, same_input, note, time, operator)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![old, r.release_id, same_input, r.replacement_note, who.time, who.operator],
    )
    .map_err(|e| refuse::storage(format!("replacement of release {old}: {e}")))?;
    Ok(tx.last_insert_rowid().to_string())
}

/// The release's marks, recorded; returns the rows touched.
fn record_marks(tx: &rusqlite::Transaction, r: &NewRelease) -> Result<Vec<(&'static str, String)>, RegistryError> {
    let mut touched = Vec::new();
    for m in &r.marks {
        let columns = serde_json::to_string(&m.columns).unwrap_or_default();
        tx.execute(
            "INSERT INTO release_marks (release_id, kind, columns, sample, entries, digests) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![r.release_id, m.kind, columns, m.sample as i64, (m.digests.len() / 12) as i64, m.digests],
        )
        .map_err(|e| refuse::storage(format!("release marks: {e}")))?;
        touched.push(("release_marks", format!("{}/{}/{columns}", r.release_id, m.kind)));
    }
    Ok(touched)
}
