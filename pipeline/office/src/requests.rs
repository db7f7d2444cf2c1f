//! Residents' requests: finding the person in the registered sources, the disclosure package,
//! and the notices a step writes (extension, decision). Documents hold the person's data: they
//! are written owner-only, atomically, under the registry's `requests/` folder unless `out` says.

use crate::files::write_private;
use crate::sources::{made_with, not_managed, place_of, prepare_job};
use crate::{Clock, OfficeError};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use tokumei_documents::disclosure::{self, Item};
use tokumei_documents::requests::{decision_documents, default_dir, extension_notice};
use tokumei_engine::lookup::{Found, Place};
use tokumei_registry::{Decision, Draft, Extension, Kind, Registry, StoredRequest, Who};

/// A request of the registry, or the refusal naming it.
pub fn get(reg: &Registry, id: i64) -> Result<StoredRequest, OfficeError> {
    reg.request(id)?.ok_or_else(|| OfficeError::Refused(format!("no request {id} in the registry")))
}

/// The folder a request's documents go to.
pub fn out_dir(reg: &Registry, id: i64, out: Option<PathBuf>) -> PathBuf {
    out.unwrap_or_else(|| default_dir(reg.path(), id))
}

/// Whether a file is in the request's scope (no `files`: every file).
fn in_scope(r: &StoredRequest, f: &str) -> bool {
    r.entry.files.is_empty() || r.entry.files.iter().any(|x| x == f)
}

/// The person's records: in the registered sources and the pseudonymised outputs.
pub struct Search {
    /// Every value found, numbered.
    pub items: Vec<Item>,
    /// Items withheld at first: other people's information in the person's records.
    pub others: Vec<usize>,
    /// The records found.
    pub records: usize,
    /// What was searched (each source and release, with its count).
    pub searched: Vec<serde_json::Value>,
}

/// Add the values of the records found as items; values a correction replaced are shown
/// corrected; items of `others` columns are listed in `withheld`.
fn add_found(
    items: &mut Vec<Item>,
    (file, source): (&str, &str),
    found: &[Found],
    corrections: &[(String, String)],
    others: &[String],
    withheld: &mut Vec<usize>,
) {
    for f in found {
        for (column, value) in &f.fields {
            let corrected = corrections.iter().rev().find(|(c, _)| c == column).map(|(_, v)| v);
            let value = match corrected {
                Some(v) => &format!("{v}（訂正済み。訂正前: {value}）"),
                None => value,
            };
            if value.trim().is_empty() {
                continue;
            }
            if others.contains(column) {
                withheld.push(items.len() + 1);
            }
            items.push(Item {
                item: items.len() + 1,
                file: file.to_string(),
                source: source.to_string(),
                location: f.location.clone(),
                column: column.clone(),
                value: value.clone(),
            });
        }
    }
}

/// Search the registered sources and the pseudonymised releases (with the jobs that made them)
/// for the person `subject`.
pub fn search(
    reg: &Registry,
    r: &StoredRequest,
    subject: &str,
    jobs: &[PathBuf],
    clock: &Clock,
) -> Result<Search, OfficeError> {
    let mut s = Search { items: Vec::new(), others: Vec::new(), records: 0, searched: Vec::new() };
    let raw_ids = search_sources(reg, r, subject, &mut s)?;
    search_pseudonymised(reg, &raw_ids, jobs, clock, &mut s)?;
    Ok(s)
}

/// The registered sources in the request's scope; returns the person's identifier as each
/// source writes it.
fn search_sources(
    reg: &Registry,
    r: &StoredRequest,
    subject: &str,
    s: &mut Search,
) -> Result<BTreeSet<String>, OfficeError> {
    let sources = reg.sources()?;
    let mut raw_ids: BTreeSet<String> = BTreeSet::from([subject.to_string()]);
    // Accepted corrections of this person: what the body holds now.
    let (_, in_force) = reg.corrections()?;
    let fixes = |file: &str| -> Vec<(String, String)> {
        in_force
            .iter()
            .filter(|c| c.subject == subject && c.file == file)
            .map(|c| (c.column.clone(), c.value.clone()))
            .collect()
    };
    let files: Vec<String> = reg.files()?.into_iter().map(|f| f.entry.name).filter(|n| in_scope(r, n)).collect();
    for f in &files {
        if !sources.iter().any(|s| &s.file == f) {
            return Err(OfficeError::Refused(format!(
                "file `{f}` has no registered source: record where its records are kept (`tokumei file add-source`) before answering, or narrow the request's `files`"
            )));
        }
    }
    for src in sources.iter().filter(|x| in_scope(r, &x.file)) {
        let found = tokumei_engine::lookup::by_identifier(&place_of(src)?, &src.subject_column, subject)?;
        s.records += found.len();
        s.searched.push(serde_json::json!({"file": src.file, "source": src.path, "records": found.len()}));
        // The identifier as the sources write it (`100599657.0` in a float column): a pseudonym
        // is made from the value as read, so each writing is looked for.
        for f in &found {
            raw_ids.extend(f.fields.iter().filter(|(c, _)| c == &src.subject_column).map(|(_, v)| v.clone()));
        }
        add_found(&mut s.items, (&src.file, &src.path), &found, &fixes(&src.file), &src.others_columns, &mut s.others);
    }
    Ok(raw_ids)
}

/// Pseudonymised outputs (personal information still): searched by the person's pseudonym,
/// made with the job's managed key; every such release must be searched.
fn search_pseudonymised(
    reg: &Registry,
    raw_ids: &BTreeSet<String>,
    jobs: &[PathBuf],
    clock: &Clock,
    s: &mut Search,
) -> Result<(), OfficeError> {
    let pseudonymised: Vec<_> = reg
        .releases()?
        .into_iter()
        .filter(|x| x.status == "published" && x.release.mode == "pseudonymized" && x.destroyed.is_none())
        .collect();
    let mut covered = HashSet::new();
    for job in jobs {
        let (job, prepared) = prepare_job(job, clock)?;
        let key_id = prepared.facts.key_id.clone();
        let mut codes: Vec<(String, String)> = Vec::new();
        for raw in raw_ids {
            match prepared.subject_code(raw)? {
                Some(c) if !codes.contains(&c) => codes.push(c),
                Some(_) => {}
                None => return Err(not_managed(&job)),
            }
        }
        for rel in pseudonymised.iter().filter(|x| x.release.rules_sha256 == prepared.plan.rules_sha256) {
            if made_with(rel) != key_id {
                continue;
            }
            let dir = PathBuf::from(&rel.release.release_dir);
            for o in rel.release.outputs.iter().filter(|o| o.name.ends_with(".parquet")) {
                let place = Place { path: dir.join(&o.name), parquet: true, encoding: tokumei_rules::Encoding::Auto };
                let mut found = Vec::new();
                for (column, code) in &codes {
                    found.extend(tokumei_engine::lookup::by_identifier(&place, column, code)?);
                }
                s.records += found.len();
                let what = format!(
                    "仮名化した保有個人情報 {}（内部利用: {}）",
                    rel.release.release_id,
                    rel.release.purpose.as_deref().unwrap_or("-")
                );
                s.searched.push(serde_json::json!({"release": rel.release.release_id, "records": found.len()}));
                add_found(&mut s.items, (&what, &o.name), &found, &[], &[], &mut s.others);
            }
            covered.insert(rel.release.release_id.clone());
        }
    }
    let missing: Vec<&str> =
        pseudonymised.iter().map(|x| x.release.release_id.as_str()).filter(|id| !covered.contains(*id)).collect();
    if !missing.is_empty() {
        return Err(OfficeError::Refused(format!(
            "{} pseudonymised release(s) could not be searched without the job that made them: {}\n  hint: give each pseudonymised job with --job (its managed key makes the person's pseudonym)",
            missing.len(),
            missing.join(", ")
        )));
    }
    Ok(())
}

/// One candidate record of the person: its subject identifier, the record, its file.
pub struct Candidate {
    /// The subject identifier as the source writes it.
    pub subject: String,
    /// The record.
    pub found: Found,
    /// The personal-information file.
    pub file: String,
}

/// Every candidate from every source in scope: by the identifier given, or by name and birth
/// date; and the distinct people among them (normal form).
pub fn candidates(reg: &Registry, r: &StoredRequest) -> Result<(Vec<Candidate>, Vec<String>), OfficeError> {
    let mut candidates = Vec::new();
    for s in reg.sources()?.into_iter().filter(|s| in_scope(r, &s.file)) {
        let place = place_of(&s)?;
        let found = match (&r.entry.subject, &r.entry.match_by, &s.name_column, &s.birth_column) {
            (Some(id), _, _, _) => tokumei_engine::lookup::by_identifier(&place, &s.subject_column, id),
            (None, Some(m), Some(n), Some(b)) => {
                tokumei_engine::lookup::by_name_and_birth(&place, n, b, &m.name, &m.birth_date)
            }
            _ => continue,
        }?;
        for f in found {
            let sid = f.fields.iter().find(|(c, _)| c == &s.subject_column).map(|(_, v)| v.clone()).unwrap_or_default();
            candidates.push(Candidate { subject: sid, found: f, file: s.file.clone() });
        }
    }
    let mut ids: Vec<String> = candidates.iter().map(|c| tokumei_registry::normalize_subject(&c.subject)).collect();
    ids.sort();
    ids.dedup();
    Ok((candidates, ids))
}

/// Record the officer's choice of the person among the candidates `ids` (or, for a person whose
/// records are kept only outside the registered sources, as attested).
pub fn choose(
    reg: &mut Registry,
    who: &Who,
    r: &StoredRequest,
    chosen: &str,
    ids: &[String],
    note: &str,
) -> Result<(), OfficeError> {
    let id = r.id;
    let chosen = tokumei_registry::normalize_subject(chosen);
    // A person whose records are kept only outside the registered sources (paper files, other
    // systems) is identified from those records, as attested.
    let attested = !ids.contains(&chosen) && r.held_outside();
    if !ids.contains(&chosen) && !attested {
        return Err(OfficeError::Refused(format!(
            "request {id}: `{chosen}` is not among the {} candidate(s) found in the registered sources\n  hint: if the person's records are kept outside them (paper files, other systems), attest them first (`tokumei request attest {id} --held --description ...`)",
            ids.len()
        )));
    }
    let method = if attested {
        "attested_outside"
    } else if r.entry.subject.is_some() {
        "identifier"
    } else {
        "name_and_birth_date"
    };
    reg.match_subject(who, id, &chosen, method, ids.len(), note)?;
    Ok(())
}

/// An extension recorded and its notice written.
pub struct Extended {
    /// The new deadline (of the rest, for a 法84 special extension).
    pub until: String,
    /// The extension as recorded.
    pub extension: Extension,
    /// Where its notice draft is.
    pub notice: PathBuf,
}

/// Extend a request's deadline (`special`: 法84, 95, 103) and write its notice.
pub fn extend(
    reg: &mut Registry,
    who: &Who,
    (id, ext, special): (i64, Extension, bool),
    today: &str,
    out: Option<PathBuf>,
) -> Result<Extended, OfficeError> {
    let until = reg.extend(who, id, ext, special, today)?;
    let r = get(reg, id)?;
    let body = reg.profile()?.body;
    let e = if special { r.special.clone() } else { r.extension.clone() };
    let e = e.ok_or_else(|| OfficeError::Refused("the extension was not recorded".into()))?;
    let name = if special { "notice-special-extension.html" } else { "notice-extension.html" };
    let notice = out_dir(reg, id, out).join(name);
    write_private(&notice, extension_notice(&body, &r, &e, special).as_bytes())?;
    Ok(Extended { until, extension: e, notice })
}

/// A disclosure package written.
pub struct Disclosed {
    /// The records found.
    pub records: usize,
    /// The items of the package.
    pub items: usize,
    /// The items withheld.
    pub withheld: usize,
    /// The draft's digest (of its items and those withheld at first).
    pub sha256: String,
    /// Where the package is.
    pub dir: PathBuf,
    /// The records changed since the last draft: the items withheld from it were cleared.
    pub cleared: bool,
}

/// Build the disclosure draft of a request and write its package (JSON, CSV, HTML); its digest
/// is registered. A decided request's package is rewritten only from the same records.
pub fn disclose(
    reg: &mut Registry,
    who: &Who,
    (id, jobs, out): (i64, &[PathBuf], Option<PathBuf>),
    today: &str,
    clock: &Clock,
) -> Result<Disclosed, OfficeError> {
    let r = get(reg, id)?;
    if r.entry.kind != Kind::Disclosure {
        return Err(OfficeError::Refused(format!("request {id} is not a disclosure request")));
    }
    let subject = r.subject.clone().ok_or_else(|| {
        OfficeError::Refused(format!("request {id}: match the person first (`tokumei request match {id}`)"))
    })?;
    let found = search(reg, &r, &subject, jobs, clock)?;
    // The digest covers the items and which of them start withheld.
    let items_json =
        serde_json::to_vec(&(&found.items, &found.others)).map_err(|e| OfficeError::Internal(e.to_string()))?;
    let sha256 = sha(&items_json);
    let draft = Draft {
        sha256: sha256.clone(),
        items: found.items.len(),
        records: found.records,
        made: today.to_string(),
        withheld_first: found.others.clone(),
        package: None,
    };
    let mut cleared = false;
    if r.pending() {
        cleared = reg.record_draft(who, id, &draft)?;
    } else if r.draft.as_ref().is_none_or(|d| d.sha256 != sha256) {
        return Err(OfficeError::Refused(format!(
            "request {id} is decided and the records differ from its decided draft: the package is not rewritten"
        )));
    }
    let r = get(reg, id)?;
    let dir = out_dir(reg, id, out);
    // The new draft is committed: if its package cannot be written, the officer still learns
    // that the items withheld from the last draft were cleared.
    const CLEARED: &str = "the records changed since the last draft: the items withheld from it were cleared (withhold again); and the package";
    let said = |e: OfficeError| if cleared { e.context(CLEARED) } else { e };
    write_package(reg, who, &r, &found, &sha256, &dir, today).map_err(said)?;
    // The package on file now: the draft with the items withheld as read above.
    reg.record_package(who, id, r.steps).map_err(|e| said(e.into()))?;
    Ok(Disclosed { records: found.records, items: found.items.len(), withheld: r.withheld.len(), sha256, dir, cleared })
}

/// The package's three files in `dir`.
fn write_package(
    reg: &Registry,
    who: &Who,
    r: &StoredRequest,
    found: &Search,
    sha256: &str,
    dir: &Path,
    today: &str,
) -> Result<(), OfficeError> {
    let profile = reg.profile()?;
    let files: Vec<_> = reg.files()?.into_iter().filter(|f| in_scope(r, &f.entry.name)).collect();
    let doc = serde_json::json!({
        "request": r.id, "body": profile.body, "made": who.time, "draft_sha256": sha256,
        "status": r.status, "decision": r.decision.as_ref().map(|d| d.decision.clone()),
        "files": files.iter().map(|f| serde_json::json!({"name": f.entry.name, "purpose": f.entry.purpose,
            "regular_recipients": f.entry.regular_recipients, "request_office": f.entry.request_office})).collect::<Vec<_>>(),
        "searched": found.searched,
        "search_scope": "registered sources only: records the body keeps elsewhere (paper files, other systems) are those the officer attested",
        "attested_outside": r.attestations,
        "records": found.records,
        "items": disclosure::items_json(r, &found.items),
        "withheld": r.withheld,
        "note": "Anonymised releases (行政機関等匿名加工情報) are not personal information and are not part of the answer.",
    });
    let json = serde_json::to_vec_pretty(&doc).map_err(|e| OfficeError::Internal(e.to_string()))?;
    write_private(&dir.join("disclosure.json"), &json)?;
    write_private(&dir.join("disclosure.csv"), disclosure::items_csv(r, &found.items).as_bytes())?;
    let html = disclosure::package_html(&profile, &profile.body, r, &files, &found.items, today);
    write_private(&dir.join("disclosure.html"), html.as_bytes())
}

/// After a decision (the CLI's): the decision notice draft written beside the registry (or in
/// `out`); what to tell the officer.
pub fn decided(reg: &Registry, id: i64, d: &Decision, out: Option<PathBuf>) -> Result<Vec<String>, OfficeError> {
    let r = get(reg, id)?;
    let profile = reg.profile()?;
    let docs = decision_documents(&profile, &r, d, &out_dir(reg, id, out));
    write_private(&docs.path, docs.html.as_bytes())?;
    Ok(docs.lines)
}

/// SHA-256 in hex.
pub(crate) fn sha(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrected_value_shows_what_it_replaced_and_others_start_withheld() {
        let found = vec![Found {
            location: "row 2".into(),
            fields: vec![("name".into(), "A".into()), ("phone".into(), "1".into()), ("blank".into(), " ".into())],
        }];
        let (mut items, mut withheld) = (Vec::new(), Vec::new());
        let fixes = [("name".to_string(), "B".to_string())];
        add_found(&mut items, ("f", "s.csv"), &found, &fixes, &["phone".to_string()], &mut withheld);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].value, "B（訂正済み。訂正前: A）");
        assert_eq!(withheld, vec![2]);
    }
}
