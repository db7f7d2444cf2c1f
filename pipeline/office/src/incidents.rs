//! Leak incidents: what a scope holds (items, records, people) from the registered files and
//! releases, the report drafts and the letters to the people. Documents hold personal data: they
//! are written owner-only, atomically, under the registry's `incidents/` folder unless `out` says.

use crate::files::write_private;
use crate::requests::sha;
use crate::sources::{made_with, not_managed, place_of, prepare_job};
use crate::{Clock, OfficeError};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use tokumei_documents::incidents as docs;
use tokumei_registry::{IncidentEntry, Item, Registry, ScopeEntry, ScopeFound, StoredIncident, StoredRelease, Who};

/// An incident of the registry, or the refusal naming it.
pub fn get(reg: &Registry, id: i64) -> Result<StoredIncident, OfficeError> {
    reg.incident(id)?.ok_or_else(|| OfficeError::Refused(format!("no incident {id} in the registry")))
}

/// The folder an incident's documents go to (`incidents/<id>` beside the registry).
pub fn out_dir(reg: &Registry, id: i64, out: Option<PathBuf>) -> PathBuf {
    out.unwrap_or_else(|| tokumei_audit::sys::parent_of(reg.path()).join("incidents").join(id.to_string()))
}

/// What the rules allowed for a file say of its columns (input and output names): legal
/// category, financial role, identification code. Rule files changed since they were allowed
/// are not read.
fn rule_marks(
    reg: &Registry,
    file: &str,
    warnings: &mut Vec<String>,
) -> Result<(BTreeMap<String, Item>, BTreeSet<String>), OfficeError> {
    let mut marks = BTreeMap::new();
    let mut removed = BTreeSet::new();
    let Some(f) = reg.file(file)? else { return Ok((marks, removed)) };
    if f.rules.is_empty() {
        warnings.push(format!(
            "file `{file}` has no rule file allowed: its items cannot be classified (taken as possibly 要配慮)"
        ));
    }
    for r in &f.rules {
        let path = Path::new(&r.path);
        // Rules that cannot be read, or changed since they were allowed, are not used: their
        // items stay unclassified (taken as possibly 要配慮), and the officer is told.
        let Ok(src) = std::fs::read_to_string(path) else {
            warnings.push(format!(
                "rules {} (allowed for `{file}`) cannot be read: the items they would classify are taken as possibly 要配慮",
                r.path
            ));
            continue;
        };
        if sha(src.as_bytes()) != r.sha256 {
            warnings.push(format!(
                "rules {} changed since they were allowed for `{file}`: not used; the items they would classify are taken as possibly 要配慮 (allow the current rules with `tokumei file allow-rules`)",
                r.path
            ));
            continue;
        }
        let Ok(raw) = tokumei_rules::validate::parse_rules(path, &src) else { continue };
        for c in &raw.columns {
            let care =
                c.special_care.as_ref().and_then(|s| tokumei_rules::SpecialCare::parse(s.get_ref())).map(|k| match k {
                    tokumei_rules::SpecialCare::Sensitive => "要配慮".to_string(),
                    tokumei_rules::SpecialCare::Ordinance => "条例要配慮".to_string(),
                });
            let role = c.role.get_ref().as_str();
            let name = c.name.get_ref().clone();
            if matches!(c.action.get_ref().as_str(), "drop" | "pseudonymize" | "mask" | "scrub") {
                removed.insert(name.clone());
            }
            let item = Item {
                name: name.clone(),
                special_care: care,
                financial: role == "financial",
                my_number: tokumei_registry::is_my_number_column(&name),
            };
            for n in [Some(name), c.output.as_ref().map(|o| o.get_ref().clone())].into_iter().flatten() {
                let e = marks.entry(n.clone()).or_insert_with(|| Item { name: n.clone(), ..item.clone() });
                e.special_care = e.special_care.clone().or(item.special_care.clone());
                e.financial |= item.financial;
                e.my_number |= item.my_number;
            }
        }
    }
    Ok((marks, removed))
}

/// Whether a column's name says it holds what allows financial damage (accounts, cards, PINs).
fn financial_name(name: &str) -> bool {
    let n = name.to_lowercase();
    ["口座", "カード", "クレジット", "暗証", "account", "card", "iban", "pin"].iter().any(|w| n.contains(w))
}

fn item(marks: &BTreeMap<String, Item>, name: &str) -> Item {
    let mut i = marks.get(name).cloned().map(|i| Item { name: name.to_string(), ..i }).unwrap_or_else(|| Item {
        name: name.to_string(),
        special_care: None,
        financial: false,
        my_number: tokumei_registry::is_my_number_column(name),
    });
    i.financial |= financial_name(name);
    i
}

/// What an incident's scope holds, found in the registry and its files.
pub struct Scope {
    /// Items, records, people, and how they were counted.
    pub found: ScopeFound,
    /// The people's identifiers, when known.
    pub subjects: Vec<String>,
    /// What the officer is warned of (items that cannot be classified, people without an
    /// identifier).
    pub warnings: Vec<String>,
}

/// Find what the scope holds: items, records, people (and their identifiers when known).
pub fn find_scope(reg: &Registry, e: &IncidentEntry, jobs: &[PathBuf], clock: &Clock) -> Result<Scope, OfficeError> {
    let mut warnings = Vec::new();
    let (found, subjects) = match &e.scope.release {
        Some(release_id) => release_scope(reg, release_id, &e.scope, (jobs, clock), &mut warnings)?,
        None => file_scope(reg, &e.scope, &mut warnings)?,
    };
    Ok(Scope { found, subjects, warnings })
}

/// The scope of a release: its columns, what its rules and report marked, its people.
fn release_scope(
    reg: &Registry,
    release_id: &str,
    s: &ScopeEntry,
    jobs: (&[PathBuf], &Clock),
    warnings: &mut Vec<String>,
) -> Result<(ScopeFound, Vec<String>), OfficeError> {
    let r = reg
        .release(release_id)?
        .ok_or_else(|| OfficeError::Refused(format!("`[scope] release`: no release {release_id} in the registry")))?;
    let provisions: Vec<serde_json::Value> = reg
        .provisions(None)?
        .into_iter()
        .filter(|p| p.release_id == *release_id)
        .map(|p| serde_json::json!({"recipient": p.recipient, "contract_id": p.contract_id, "date": p.date, "medium": p.medium, "receipt": p.receipt}))
        .collect();
    // The release's columns, from its Parquet file's schema.
    let dir = PathBuf::from(&r.release.release_dir);
    let mut columns: Vec<String> = Vec::new();
    for o in r.release.outputs.iter().filter(|o| o.name.ends_with(".parquet")) {
        if let Ok(h) = tokumei_engine::incident::columns_of(&dir.join(&o.name)) {
            columns = h;
        }
    }
    let (mut marks, _removed) = match &r.file {
        Some(f) => rule_marks(reg, f, warnings)?,
        None => Default::default(),
    };
    // The release's own report says what its rules marked (any release, internal ones too).
    let report = r
        .release
        .outputs
        .iter()
        .find(|o| o.name == "report.json")
        .map(|o| tokumei_report::read_marks(&dir.join(&o.name)));
    let report = match report {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            warnings.push(format!(
                "release {release_id}: its report cannot be read ({e}): the marks its rules gave its columns are not known; items the allowed rules do not classify are taken as possibly 要配慮, and a code column made from 個人番号 cannot be told by its name"
            ));
            None
        }
        None => None,
    };
    for c in report.iter().flat_map(|m| &m.columns) {
        let Some(out) = c.output.as_deref() else { continue };
        let e = marks.entry(out.to_string()).or_insert_with(|| item(&BTreeMap::new(), out));
        if let Some(k) = &c.special_care {
            e.special_care = Some(k.clone());
        }
        e.financial |= c.role == "financial";
        // 番号法2条8項: a code that stands for a 個人番号 (its pseudonym) is a 個人番号 too, so
        // an output made from a 個人番号 column is one whatever it is named.
        e.my_number |= tokumei_registry::is_my_number_column(&c.name);
    }
    let chosen: Vec<String> = if s.columns.is_empty() { columns.clone() } else { s.columns.clone() };
    if let Some(bad) = chosen.iter().find(|c| !columns.is_empty() && !columns.contains(c)) {
        return Err(OfficeError::Refused(format!("`[scope] columns`: the release has no column `{bad}`")));
    }
    let items = chosen.iter().map(|c| item(&marks, c)).collect();
    let anonymised = r.release.mode == "anonymized";
    let (people, basis) = if !anonymised && r.release.codes > 0 {
        (r.release.codes, "仮名（符号）の異なり数".to_string())
    } else {
        (
            r.release.rows,
            if anonymised {
                "提供した記録の件数（匿名加工情報: 個人は特定されない）"
            } else {
                "記録の件数"
            }
            .to_string(),
        )
    };
    // The people: exactly, by their pseudonyms made with the job's managed key; else those
    // the per-subject index says the release was made from (suppressed records included).
    let (subjects, basis_found) = release_people(reg, &r, release_id, anonymised, jobs)?;
    let scope = ScopeFound {
        kind: "release".into(),
        release_id: Some(release_id.to_string()),
        release_mode: Some(r.release.mode.clone()),
        contract_id: r.release.contract_id,
        recipient: r.recipient.clone(),
        provisions,
        file: r.file.clone(),
        items,
        records: r.release.rows,
        people: if basis_found.is_none() { people } else { subjects.len() as u64 },
        basis: basis_found.unwrap_or(basis),
        ..Default::default()
    };
    Ok((scope, subjects))
}

/// The people of a release: exactly, by their pseudonyms made with the job's managed key; else
/// those the per-subject index says the release was made from (suppressed records included).
/// With how they were found (`None`: not found, counted from the release).
fn release_people(
    reg: &Registry,
    r: &StoredRelease,
    release_id: &str,
    anonymised: bool,
    (jobs, clock): (&[PathBuf], &Clock),
) -> Result<(Vec<String>, Option<String>), OfficeError> {
    let mut subjects = Vec::new();
    let mut basis_found = None;
    if !anonymised {
        let exact = pseudonymised_people(reg, r, jobs, clock)?;
        if let Some(found) = exact {
            subjects = found;
            basis_found = Some("仮名（管理された鍵で照合）で特定した本人".to_string());
        } else {
            let codes = reg.release_subject_codes(release_id)?;
            if !codes.is_empty() {
                for src in reg.sources()? {
                    let found = tokumei_engine::incident::scope_records(&place_of(&src)?, &src.subject_column, None)?;
                    for subject in found.subjects {
                        if codes.contains(&reg.subject_digest(&subject)?) {
                            subjects.push(subject);
                        }
                    }
                }
                subjects.sort();
                subjects.dedup();
                basis_found = Some(
                    "個人別索引で特定した本人（リリースの作成に使った記録の本人: 抑制された記録の本人を含む上限。--job で正確に特定できる）"
                        .to_string(),
                );
            }
        }
    }
    Ok((subjects, basis_found))
}

/// The scope of a registered file (or its deleted items): its sources' records, narrowed by
/// the intake's condition.
fn file_scope(
    reg: &Registry,
    s: &ScopeEntry,
    warnings: &mut Vec<String>,
) -> Result<(ScopeFound, Vec<String>), OfficeError> {
    let file = s.file.as_deref().ok_or_else(|| OfficeError::Usage("`[scope]` names a release or a file".into()))?;
    if reg.file(file)?.is_none() {
        return Err(OfficeError::Refused(format!("`[scope] file`: no file `{file}` in the registry")));
    }
    let sources: Vec<_> = reg.sources()?.into_iter().filter(|x| x.file == file).collect();
    if sources.is_empty() {
        return Err(OfficeError::Refused(format!(
            "file `{file}` has no registered source extract: register it with `tokumei file add-source` so the people can be counted"
        )));
    }
    let (marks, removed) = rule_marks(reg, file, warnings)?;
    let mut subjects = BTreeSet::new();
    let mut records = 0;
    let mut header: Vec<String> = Vec::new();
    let mut found_sources = Vec::new();
    let mut blank = 0;
    for src in &sources {
        let found = tokumei_engine::incident::scope_records(&place_of(src)?, &src.subject_column, s.filter.as_deref())?;
        records += found.records;
        blank += found.blank;
        subjects.extend(found.subjects);
        for h in found.header {
            if !header.contains(&h) {
                header.push(h);
            }
        }
        found_sources.push(serde_json::json!({"path": src.path, "sha256": found.sha256, "records": found.records}));
    }
    let chosen: Vec<String> = if !s.columns.is_empty() {
        if let Some(bad) = s.columns.iter().find(|c| !header.contains(c)) {
            return Err(OfficeError::Refused(format!("`[scope] columns`: the file's sources have no column `{bad}`")));
        }
        s.columns.clone()
    } else if s.deleted_items {
        // 削除情報等: the items the rules delete or replace (identifiers, codes and their keys).
        let deleted: Vec<String> = header.iter().filter(|h| removed.contains(*h)).cloned().collect();
        if deleted.is_empty() { header.clone() } else { deleted }
    } else {
        header.clone()
    };
    if records == 0 {
        return Err(OfficeError::Refused(format!(
            "`[scope]`: no record of file `{file}` is selected{}: check the condition (a typo selects no one; SQL's NOT LIKE and <> also leave out blank values)",
            if s.filter.is_some() { " by `where`" } else { "" }
        )));
    }
    let items: Vec<Item> = chosen.iter().map(|c| item(&marks, c)).collect();
    let unclassified: Vec<String> = chosen.iter().filter(|c| !marks.contains_key(*c)).cloned().collect();
    let subjects: Vec<String> = subjects.into_iter().collect();
    if blank > 0 {
        warnings.push(format!(
            "{blank} selected records have no subject identifier: each is counted as a person, and none can be sent a notice"
        ));
    }
    let scope = ScopeFound {
        kind: if s.deleted_items { "deleted_items".into() } else { "file".into() },
        file: Some(file.to_string()),
        filter: s.filter.clone(),
        sources: found_sources,
        items,
        records,
        people: subjects.len() as u64 + blank,
        unclassified,
        blank_subjects: blank,
        // The filter is not repeated here: it may name a person's values.
        basis: format!(
            "登録された抽出ファイルの{}の異なり数{}{}",
            sources[0].subject_column,
            if s.filter.is_some() { "（条件で絞り込んだ記録）" } else { "" },
            if blank > 0 {
                format!("、識別番号のない記録{blank}件を各1人として加算")
            } else {
                String::new()
            }
        ),
        ..Default::default()
    };
    Ok((scope, subjects))
}

/// The people of a pseudonymised release, found exactly: every registered source's subjects
/// pseudonymised with a given job's managed key and looked for among the release's codes. `None`
/// when no job given made the release (same rules and key).
fn pseudonymised_people(
    reg: &Registry,
    r: &StoredRelease,
    jobs: &[PathBuf],
    clock: &Clock,
) -> Result<Option<Vec<String>>, OfficeError> {
    let dir = PathBuf::from(&r.release.release_dir);
    let made_with = made_with(r);
    for job in jobs {
        let (job, prepared) = prepare_job(job, clock)?;
        if prepared.plan.rules_sha256 != r.release.rules_sha256 || prepared.facts.key_id != made_with {
            continue;
        }
        let Some(parquet) = r.release.outputs.iter().find(|o| o.name.ends_with(".parquet")) else { continue };
        let mut people = Vec::new();
        let mut in_release: Option<(String, std::collections::HashSet<String>)> = None;
        for src in reg.sources()? {
            let found = tokumei_engine::incident::scope_records(&place_of(&src)?, &src.subject_column, None)?;
            for subject in found.subjects {
                let Some((column, code)) = prepared.subject_code(&subject)? else {
                    return Err(not_managed(&job));
                };
                if in_release.as_ref().is_none_or(|(c, _)| *c != column) {
                    let values = tokumei_engine::output::distinct_values(
                        &dir.join(&parquet.name),
                        std::slice::from_ref(&column),
                    )?;
                    in_release = Some((column.clone(), values.into_iter().flatten().collect()));
                }
                if in_release.as_ref().is_some_and(|(_, set)| set.contains(&code)) {
                    people.push(subject);
                }
            }
        }
        people.sort();
        people.dedup();
        return Ok(Some(people));
    }
    Ok(None)
}

/// The drafts written by `report`.
pub enum Reported {
    /// A contract incident (a leaked anonymised release): its record, no report.
    Contract {
        /// Where the record is.
        record: PathBuf,
    },
    /// The report drafts of a stage.
    Report {
        /// The incident as stored.
        incident: Box<StoredIncident>,
        /// The 法68/法26 draft (JSON, HTML).
        paths: (PathBuf, PathBuf),
        /// The My Number draft (JSON, HTML), when required.
        my_number: Option<(PathBuf, PathBuf)>,
        /// The draft as data (its due date and counting).
        draft: serde_json::Value,
    },
}

/// Write an incident's report drafts of a stage (`preliminary` or `final`), or a contract
/// incident's record; the drafting is recorded with the documents' digests.
pub fn report(
    reg: &mut Registry,
    who: &Who,
    id: i64,
    stage: &str,
    out: Option<PathBuf>,
) -> Result<Reported, OfficeError> {
    let i = get(reg, id)?;
    let dir = out_dir(reg, id, out);
    if i.assessment.regime == "contract" {
        let html = docs::contract_record_html(&i);
        let path = dir.join("contract_incident.html");
        write_private(&path, html.as_bytes())?;
        write_private(&dir.join("contract_incident.json"), &pretty(&i)?)?;
        reg.incident_drafted(who, id, "contract-record", serde_json::json!({"sha256": sha(html.as_bytes())}))?;
        return Ok(Reported::Contract { record: path });
    }
    let p = reg.profile()?;
    let v = tokumei_registry::report_draft(&p, &i, stage);
    let (paths, mut digests) = write_draft(&dir, &format!("report_{stage}"), &v, docs::report_html(&v))?;
    // The My Number report (番号法29条の4第1項), its own items, beside the 法68 one.
    let my_number = match tokumei_registry::my_number_draft(&p, &i, stage) {
        Some(m) => {
            let (paths, d) = write_draft(&dir, &format!("mynumber_report_{stage}"), &m, docs::my_number_html(&m))?;
            digests["my_number"] = d;
            Some(paths)
        }
        None => None,
    };
    reg.incident_drafted(who, id, &format!("report-{stage}"), digests)?;
    Ok(Reported::Report { incident: Box::new(i), paths, my_number, draft: v })
}

/// A draft as `name.json` and `name.html` in `dir`; their paths and digests.
fn write_draft(
    dir: &Path,
    name: &str,
    v: &serde_json::Value,
    html: String,
) -> Result<((PathBuf, PathBuf), serde_json::Value), OfficeError> {
    let json = pretty(v)?;
    let paths = (dir.join(format!("{name}.json")), dir.join(format!("{name}.html")));
    write_private(&paths.0, &json)?;
    write_private(&paths.1, html.as_bytes())?;
    Ok((paths, serde_json::json!({"json_sha256": sha(&json), "html_sha256": sha(html.as_bytes())})))
}

fn pretty(v: &impl serde::Serialize) -> Result<Vec<u8>, OfficeError> {
    serde_json::to_vec_pretty(v).map_err(|e| OfficeError::Internal(e.to_string()))
}

/// Record a report filed; whether it was filed after its due date.
pub fn filed(
    reg: &mut Registry,
    who: &Who,
    id: i64,
    filing: &tokumei_registry::Filing,
    today: &str,
) -> Result<bool, OfficeError> {
    reg.file_report(who, id, filing, today)?;
    let i = get(reg, id)?;
    let due = if filing.stage == "preliminary" { &i.preliminary_due } else { &i.final_due };
    Ok(due.as_deref().is_some_and(|d| filing.date.as_str() > d))
}

/// The digest of a filed document, read from its file.
pub fn document_digest(path: &Path) -> Result<String, OfficeError> {
    let bytes = std::fs::read(path).map_err(|e| OfficeError::Input(format!("cannot read {}: {e}", path.display())))?;
    Ok(sha(&bytes))
}

/// The letters written by `notices`.
pub struct Letters {
    /// The folder of the letters and `notices.csv`.
    pub dir: PathBuf,
    /// How many letters.
    pub letters: usize,
    /// How many people were found in the sources' name and address columns.
    pub found: usize,
    /// What the officer is warned of.
    pub warnings: Vec<String>,
}

/// Write the letter to each person of an incident and the mail-merge list (`notices.csv`),
/// with the names and addresses found in the sources.
pub fn notices(
    reg: &mut Registry,
    who: &Who,
    id: i64,
    (name_column, address_column): (Option<String>, Option<String>),
    out: Option<PathBuf>,
) -> Result<Letters, OfficeError> {
    let i = get(reg, id)?;
    if i.assessment.regime == "contract" {
        return Err(OfficeError::Refused(format!(
            "incident {id} is a contract incident: no one is notified under 法68条2項"
        )));
    }
    let people = reg.incident_people(id)?;
    if people.is_empty() {
        return Err(OfficeError::Refused(format!(
            "incident {id}: the people are not known by identifier (a release without a per-subject index): narrow the scope to a registered file to write their notices"
        )));
    }
    let body = reg.profile()?.body;
    let wanted: BTreeSet<String> = people.iter().map(|(s, _)| s.clone()).collect();
    let mut warnings = Vec::new();
    let details = names_and_addresses(reg, &i, &wanted, (name_column, address_column), &mut warnings)?;
    let dir = out.unwrap_or_else(|| out_dir(reg, id, None).join("notices"));
    let mut lines = Vec::new();
    for (n, (subject, notice)) in people.iter().enumerate() {
        let (name, address) = details.get(subject).cloned().unwrap_or_default();
        let letter = format!("{:06}.html", n + 1);
        let html = docs::notice_letter(&body, &i, if name.is_empty() { "（氏名）" } else { &name });
        write_private(&dir.join(&letter), html.as_bytes())?;
        lines.push(docs::NoticeLine { subject, name, address, notice, letter });
    }
    let csv = docs::notices_csv(&i, &lines);
    write_private(&dir.join("notices.csv"), csv.as_bytes())?;
    reg.incident_drafted(
        who,
        id,
        "notices",
        serde_json::json!({"letters": people.len(), "csv_sha256": sha(csv.as_bytes())}),
    )?;
    Ok(Letters { dir, letters: people.len(), found: details.len(), warnings })
}

/// The people's names and addresses in the sources of the incident's file (every source for a
/// release), by the columns given or those the sources register.
fn names_and_addresses(
    reg: &Registry,
    i: &StoredIncident,
    wanted: &BTreeSet<String>,
    (name_column, address_column): (Option<String>, Option<String>),
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<String, (String, String)>, OfficeError> {
    let file = i.scope.file.clone().unwrap_or_default();
    let sources: Vec<_> = reg.sources()?.into_iter().filter(|s| file.is_empty() || s.file == file).collect();
    if name_column.is_none() && sources.iter().all(|s| s.name_column.is_none()) {
        warnings.push(
            "no name column (the sources register none, and --name-column is not given): the letters are addressed to （氏名）"
                .to_string(),
        );
    }
    let mut details: BTreeMap<String, (String, String)> = BTreeMap::new();
    for src in &sources {
        let name_col = name_column.clone().or_else(|| src.name_column.clone());
        let cols: Vec<String> = [name_col.clone(), address_column.clone()].into_iter().flatten().collect();
        if cols.is_empty() {
            continue;
        }
        let place = place_of(src)?;
        let header_ok =
            tokumei_engine::lookup::check_columns(&place, &cols.iter().map(String::as_str).collect::<Vec<_>>()).is_ok();
        if !header_ok {
            continue;
        }
        let found = tokumei_engine::incident::people_columns(&place, &src.subject_column, wanted, &cols)?;
        for (s, v) in found {
            let mut it = v.into_iter();
            let name = if name_col.is_some() { it.next().unwrap_or_default() } else { String::new() };
            let addr = if address_column.is_some() { it.next().unwrap_or_default() } else { String::new() };
            details.entry(s).or_insert((name, addr));
        }
    }
    Ok(details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_named_for_money_is_financial_and_a_my_number_column_is_one() {
        let marks = BTreeMap::new();
        assert!(item(&marks, "口座番号").financial);
        assert!(item(&marks, "card_no").financial);
        assert!(!item(&marks, "氏名").financial);
        assert!(item(&marks, "個人番号").my_number);
    }
}
