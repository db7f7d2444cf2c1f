//! `tokumei incident ...`: leak incidents from discovery to the Commission reports and the
//! notices to the people. The registry keeps the facts (every version), the assessment and the
//! timeline, every step audited; this module finds what the scope holds (the items, with what the
//! rules say of them, and the people, read from the registered source extracts, a filter run by
//! DataFusion) and writes the documents: the report (JSON and a Japanese document) and the
//! notices (a CSV for mail merge and one letter per person), owner-only, atomically, under the
//! registry's `incidents/<id>/` folder unless `--out` says.

use crate::registry_cmd::{ChangeArgs, ViewArgs, json_out, reg_fail, today, who};
use crate::request_cmd::{esc, place_of, refused, usage, write_private};
use crate::{Failure, fail};
use clap::Subcommand;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use tokumei_documents::html::{kv_table, page};
use tokumei_engine::ExitCode;
use tokumei_registry::{IncidentEntry, Item, Notice, Registry, ScopeFound, StoredIncident};

/// Incident commands.
#[derive(Subcommand)]
pub enum IncidentCommand {
    /// Open an incident from its intake file (TOML: title, discovered, discovered_by, kind,
    /// suspected, cause, causes, unauthorised_access, unlawful_purpose,
    /// no_unlawful_purpose_reason, encrypted (with encryption_basis), my_number, contractor, [scope] release | file (+
    /// where, columns, deleted_items), [report]; see docs/incidents.md). The people are counted
    /// from the scope; the triggers (法68/26 and 番号法), the regime and the report due dates are
    /// printed.
    Open {
        /// The intake file.
        entry: PathBuf,
        /// For a pseudonymised release: the job that made it, whose managed key finds exactly
        /// the people in it (repeatable). Without it, the per-subject index's people (those the
        /// release was made from, suppressed records included) or a count of pseudonyms.
        #[arg(long)]
        job: Vec<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record new facts (a TOML file with the keys that changed): the scope is read again and
    /// the assessment and due dates follow; earlier facts stay in the timeline.
    Update {
        /// The incident's number.
        id: i64,
        /// The file of changed facts.
        entry: PathBuf,
        /// For a pseudonymised release: the job that made it (as for `open`).
        #[arg(long)]
        job: Vec<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Incidents with what is due: the next report and its date, overdue ones flagged, people
    /// still to notify.
    List {
        #[command(flatten)]
        view: ViewArgs,
        /// Closed incidents too.
        #[arg(long)]
        all: bool,
        /// Only those with a report overdue.
        #[arg(long)]
        overdue: bool,
    },
    /// One incident: facts, scope, triggers, due dates, notices, timeline.
    Show {
        /// The incident's number.
        id: i64,
        #[command(flatten)]
        view: ViewArgs,
    },
    /// Write the Commission report draft (every field of 規則44条 / 8条) as JSON and as a
    /// Japanese document, and, when 特定個人情報 make it due, the My Number report draft
    /// (番号法29条の4, its own items) beside it; for a contract incident (an anonymised
    /// release), its record instead.
    Report {
        /// The incident's number.
        id: i64,
        /// `preliminary` (速報) or `final` (確報).
        #[arg(long, value_parser = ["preliminary", "final"])]
        stage: String,
        /// Folder for the documents (default: incidents/<id> beside the registry).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record a report's filing with the Commission.
    Filed {
        /// The incident's number.
        id: i64,
        /// `preliminary` or `final`.
        #[arg(long)]
        stage: String,
        /// The day it was filed (default: today).
        #[arg(long)]
        date: Option<String>,
        /// The Commission's reference (受付番号) or how it was filed.
        #[arg(long)]
        reference: String,
        /// The document filed (its SHA-256 is recorded).
        #[arg(long)]
        document: Option<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Write the notices to the people affected: a CSV for mail merge and one letter per person
    /// (規則45条 / 10条 items), from the registered sources' records.
    Notices {
        /// The incident's number.
        id: i64,
        /// Source column with the person's name (default: the source's registered name column).
        #[arg(long)]
        name_column: Option<String>,
        /// Source column with the postal address.
        #[arg(long)]
        address_column: Option<String>,
        /// Folder for the notices (default: incidents/<id>/notices beside the registry).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record notices sent: to the people given, or `--all` still waiting.
    Notify {
        /// The incident's number.
        id: i64,
        /// Subject identifiers (repeatable).
        #[arg(long = "subject", required_unless_present = "all")]
        subjects: Vec<String>,
        /// Everyone without a notice or exception yet.
        #[arg(long, conflicts_with = "subjects")]
        all: bool,
        /// `mail`, `phone`, `email`, `hand` or `other`.
        #[arg(long)]
        method: String,
        /// When (YYYY-MM-DD, or YYYY-MM-DDTHH:MM; a phone call records the time).
        #[arg(long)]
        at: String,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record that people are not notified, with the ground (法68条2項ただし書): `impossible`
    /// (with the substitute measure: --announcement and --desk) or `nondisclosable` (the data
    /// contain 不開示情報, 法78条1項).
    Except {
        /// The incident's number.
        id: i64,
        /// Subject identifiers (repeatable).
        #[arg(long = "subject", required_unless_present = "all")]
        subjects: Vec<String>,
        /// Everyone without a notice or exception yet.
        #[arg(long, conflicts_with = "subjects")]
        all: bool,
        /// `impossible` or `nondisclosable`.
        #[arg(long)]
        ground: String,
        /// Why the ground applies.
        #[arg(long)]
        note: String,
        /// `impossible`: the public announcement made (e.g. 市ホームページ 2027-06-01 掲載).
        #[arg(long)]
        announcement: Option<String>,
        /// `impossible`: the enquiry desk set up (e.g. 市民課 03-0000-0000).
        #[arg(long)]
        desk: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Close an incident: its reports filed and every person notified or excepted.
    Close {
        /// The incident's number.
        id: i64,
        /// Why (e.g. 確報提出済み、全員に通知済み).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        change: ChangeArgs,
    },
}

fn get(reg: &Registry, id: i64) -> Result<StoredIncident, Failure> {
    reg.incident(id).map_err(reg_fail)?.ok_or_else(|| refused(format!("no incident {id} in the registry")))
}

fn out_dir(reg: &Registry, id: i64, out: Option<PathBuf>) -> PathBuf {
    out.unwrap_or_else(|| tokumei_audit::sys::parent_of(reg.path()).join("incidents").join(id.to_string()))
}

/// What the rules allowed for a file say of its columns (input and output names): legal
/// category, financial role, identification code. Rule files changed since they were allowed
/// are not read.
fn rule_marks(reg: &Registry, file: &str) -> Result<(BTreeMap<String, Item>, BTreeSet<String>), Failure> {
    let mut marks = BTreeMap::new();
    let mut removed = BTreeSet::new();
    let Some(f) = reg.file(file).map_err(reg_fail)? else { return Ok((marks, removed)) };
    if f.rules.is_empty() {
        eprintln!(
            "warning: file `{file}` has no rule file allowed: its items cannot be classified (taken as possibly 要配慮)"
        );
    }
    for r in &f.rules {
        let path = Path::new(&r.path);
        // Rules that cannot be read, or changed since they were allowed, are not used: their
        // items stay unclassified (taken as possibly 要配慮), and the officer is told.
        let Ok(src) = std::fs::read_to_string(path) else {
            eprintln!(
                "warning: rules {} (allowed for `{file}`) cannot be read: the items they would classify are taken as possibly 要配慮",
                r.path
            );
            continue;
        };
        if sha(src.as_bytes()) != r.sha256 {
            eprintln!(
                "warning: rules {} changed since they were allowed for `{file}`: not used; the items they would classify are taken as possibly 要配慮 (allow the current rules with `tokumei file allow-rules`)",
                r.path
            );
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

/// Find what the scope holds: items, records, people (and their identifiers when known).
fn find_scope(reg: &Registry, e: &IncidentEntry, jobs: &[PathBuf]) -> Result<(ScopeFound, Vec<String>), Failure> {
    let s = &e.scope;
    if let Some(release_id) = &s.release {
        let r = reg
            .release(release_id)
            .map_err(reg_fail)?
            .ok_or_else(|| refused(format!("`[scope] release`: no release {release_id} in the registry")))?;
        let provisions: Vec<serde_json::Value> = reg
            .provisions(None)
            .map_err(reg_fail)?
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
            Some(f) => rule_marks(reg, f)?,
            None => Default::default(),
        };
        // The release's own report says what its rules marked (any release, internal ones too).
        let report = r
            .release
            .outputs
            .iter()
            .find(|o| o.name == "report.json")
            .and_then(|o| std::fs::read_to_string(dir.join(&o.name)).ok())
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
        for c in report.as_ref().and_then(|v| v["columns"].as_array()).into_iter().flatten() {
            let Some(out) = c["output"].as_str() else { continue };
            let e = marks.entry(out.to_string()).or_insert_with(|| item(&BTreeMap::new(), out));
            if let Some(k) = c["special_care"].as_str() {
                e.special_care = Some(k.to_string());
            }
            e.financial |= c["role"] == "financial";
            // 番号法2条8項: a code that stands for a 個人番号 (its pseudonym) is a 個人番号 too, so
            // an output made from a 個人番号 column is one whatever it is named.
            e.my_number |= c["name"].as_str().is_some_and(tokumei_registry::is_my_number_column);
        }
        let chosen: Vec<String> = if s.columns.is_empty() { columns.clone() } else { s.columns.clone() };
        if let Some(bad) = chosen.iter().find(|c| !columns.is_empty() && !columns.contains(c)) {
            return Err(refused(format!("`[scope] columns`: the release has no column `{bad}`")));
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
        let mut subjects = Vec::new();
        let mut basis_found = None;
        if !anonymised {
            let exact = pseudonymised_people(reg, &r, jobs)?;
            if let Some(found) = exact {
                subjects = found;
                basis_found = Some("仮名（管理された鍵で照合）で特定した本人".to_string());
            } else {
                let codes = reg.release_subject_codes(release_id).map_err(reg_fail)?;
                if !codes.is_empty() {
                    for src in reg.sources().map_err(reg_fail)? {
                        let found =
                            tokumei_engine::incident::scope_records(&place_of(&src)?, &src.subject_column, None)?;
                        for subject in found.subjects {
                            if codes.contains(&reg.subject_digest(&subject).map_err(reg_fail)?) {
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
        let scope = ScopeFound {
            kind: "release".into(),
            release_id: Some(release_id.clone()),
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
        return Ok((scope, subjects));
    }
    let file = s.file.as_deref().ok_or_else(|| usage("`[scope]` names a release or a file"))?;
    if reg.file(file).map_err(reg_fail)?.is_none() {
        return Err(refused(format!("`[scope] file`: no file `{file}` in the registry")));
    }
    let sources: Vec<_> = reg.sources().map_err(reg_fail)?.into_iter().filter(|x| x.file == file).collect();
    if sources.is_empty() {
        return Err(refused(format!(
            "file `{file}` has no registered source extract: register it with `tokumei file add-source` so the people can be counted"
        )));
    }
    let (marks, removed) = rule_marks(reg, file)?;
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
            return Err(refused(format!("`[scope] columns`: the file's sources have no column `{bad}`")));
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
        return Err(refused(format!(
            "`[scope]`: no record of file `{file}` is selected{}: check the condition (a typo selects no one; SQL's NOT LIKE and <> also leave out blank values)",
            if s.filter.is_some() { " by `where`" } else { "" }
        )));
    }
    let items: Vec<Item> = chosen.iter().map(|c| item(&marks, c)).collect();
    let unclassified: Vec<String> = chosen.iter().filter(|c| !marks.contains_key(*c)).cloned().collect();
    let subjects: Vec<String> = subjects.into_iter().collect();
    if blank > 0 {
        eprintln!(
            "warning: {blank} selected records have no subject identifier: each is counted as a person, and none can be sent a notice"
        );
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
    r: &tokumei_registry::StoredRelease,
    jobs: &[PathBuf],
) -> Result<Option<Vec<String>>, Failure> {
    let dir = PathBuf::from(&r.release.release_dir);
    let made_with = r
        .release
        .outputs
        .iter()
        .find(|o| o.name.ends_with("report.json"))
        .and_then(|o| std::fs::read_to_string(dir.join(&o.name)).ok())
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["key_id"].as_str().map(String::from));
    let clock = crate::job::Clock::now()?;
    for job in jobs {
        let job = tokumei_rules::load_job(job).map_err(|d| fail(ExitCode::Config, anyhow::anyhow!("{d}")))?;
        let prepared = tokumei_engine::prepare(&job, clock.run_unix).map_err(|e| Failure::from(e.error))?;
        if prepared.plan.rules_sha256 != r.release.rules_sha256 || prepared.facts.key_id != made_with {
            continue;
        }
        let Some(parquet) = r.release.outputs.iter().find(|o| o.name.ends_with(".parquet")) else { continue };
        let mut people = Vec::new();
        let mut in_release: Option<(String, std::collections::HashSet<String>)> = None;
        for src in reg.sources().map_err(reg_fail)? {
            let found = tokumei_engine::incident::scope_records(&place_of(&src)?, &src.subject_column, None)?;
            for subject in found.subjects {
                let Some((column, code)) = prepared.subject_code(&subject).map_err(Failure::from)? else {
                    return Err(usage(format!(
                        "{}: its subject column is not pseudonymised with a managed key",
                        job.path.display()
                    )));
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

fn print_assessment(i: &StoredIncident) {
    let a = &i.assessment;
    say!("  regime         {}", a.regime_label);
    if let Some(n) = &a.event_note {
        say!("  event          {} — {n}", a.event);
    }
    say!("  people         {} ({})", i.scope.people, i.scope.basis);
    for t in &a.triggers {
        say!("  trigger {}      {} {} — {}", t.code, if t.fired { "FIRED" } else { "no   " }, t.name, t.why);
    }
    for t in &a.my_number_triggers {
        say!("  番号法 2条{}号  {} {} — {}", t.code, if t.fired { "FIRED" } else { "no   " }, t.name, t.why);
    }
    if let Some(x) = &a.exemption {
        say!("  exempt         {x}");
    }
    let law = if a.regime == "article26" { "法26条" } else { "法68条" };
    if a.reports_due() {
        if !a.report_required {
            say!("  {law}          no trigger of {law} fired: its report is not required (the My Number report is)");
        }
        if a.my_number_report {
            say!(
                "  My Number      特定個人情報: the report under 番号法29条の4第1項 is required{} (its own draft: `incident report`)",
                if a.report_required { " as well" } else { "" }
            );
        }
        say!(
            "  reports due    速報 {} / 確報 {}{}",
            i.preliminary_due.as_deref().unwrap_or("-"),
            i.final_due.as_deref().unwrap_or("-"),
            if a.unlawful_purpose() { " (60 days: unlawful purpose)" } else { "" }
        );
        if let Some(c) = &a.counting {
            say!("  counting       {} ({})", c.describe(), c.code);
        }
        say!(
            "  notices        {} people to notify ({})",
            i.notices.people,
            match (a.report_required, a.my_number_report) {
                (true, true) => format!("{law}2項, 番号法29条の4第2項"),
                (true, false) => format!("{law}2項"),
                _ => "番号法29条の4第2項".into(),
            }
        );
    } else if a.regime == "contract" {
        say!("  no report to the Commission: a contract incident. To consider:");
        for m in &a.contract_measures {
            say!("    - {m}");
        }
    } else {
        say!("  no report to the Commission is required (no trigger fired, or exempt): keep this record");
    }
}

fn report_html(v: &serde_json::Value) -> String {
    // 法68 speaks of 保有個人情報, 法26 of 個人データ.
    let data = if v["regime_code"] == "article68" { "保有個人情報" } else { "個人データ" };
    let (item_label, people_label) = (
        format!("2 漏えい等が発生し、又は発生したおそれがある{data}の項目"),
        format!("3 漏えい等が発生し、又は発生したおそれがある{data}に係る本人の数"),
    );
    let s = words;
    let triggers = numbered(&v["triggers"], "");
    let rows = [
        ("報告者", format!("{}（{}）", s(&v["reporter"]["body"]), s(&v["reporter"]["actor"]))),
        (
            "区分",
            format!(
                "{}{}",
                s(&v["regime"]),
                if v["required"] == false { "（報告対象事態に該当しない: 任意の報告）" } else { "" }
            ),
        ),
        ("報告の種別", s(&v["stage_ja"])),
        (
            "発覚日（職員が知った日時）",
            format!("{}（{}）", s(&v["known"]["discovered"]), s(&v["known"]["discovered_by"])),
        ),
        ("1 概要", outline(v)),
        (item_label.as_str(), s(&v["items"])),
        (people_label.as_str(), format!("{} 人（{}）", s(&v["people"]), s(&v["people_basis"]))),
        ("4 原因", cause(v)),
        ("5 二次被害又はそのおそれの有無及びその内容", s(&v["secondary_harm"])),
        ("6 本人への対応の実施状況", s(&v["actions_towards_people"])),
        ("7 公表の実施状況", s(&v["public_announcement"])),
        ("8 再発防止のための措置", s(&v["prevention"])),
        ("9 その他参考となる事項", s(&v["other"])),
        ("報告対象となる事態", if triggers.is_empty() { "（該当なし）".into() } else { triggers.join(" / ") }),
        ("委託先", s(&v["outline"]["contractor"])),
        ("報告期限の計算", s(&v["counting"])),
    ];
    let rows: Vec<(&str, String)> = rows.iter().map(|(k, v)| (*k, v.clone())).collect();
    let mut body = kv_table(&rows);
    if v["my_number_report"] == true {
        body.push_str(&format!(
            "<p class=\"note\">特定個人情報を含むため、番号法第29条の4第1項に基づく報告も必要です（下書き: mynumber_report_{}.html）。</p>",
            esc(&s(&v["stage"]))
        ));
    }
    body.push_str(&format!(
        "<p class=\"note\">報告期限: {}。この文書は tokumei が登録簿の記録から作成した下書きです。提出前に内容を確認してください。</p>",
        esc(&s(&v["due"]))
    ));
    page(&format!("漏えい等報告書（{}）", s(&v["stage_ja"])), &body)
}

/// A draft's value in words (empty text: 未記入, null: なし, a list joined).
fn words(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) if s.is_empty() => "（未記入）".to_string(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "（なし）".into(),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map(String::from).unwrap_or_else(|| x.to_string()))
            .collect::<Vec<_>>()
            .join("、"),
        other => other.to_string(),
    }
}

/// Item 1 (概要): title, the event as the law names it (and why, when it differs from the
/// intake's kind), the summary.
fn outline(v: &serde_json::Value) -> String {
    let note = v["outline"]["event_note"].as_str().map(|n| format!("（{n}）")).unwrap_or_default();
    format!("{} — {}{note}。{}", words(&v["title"]), words(&v["outline"]["kind"]), words(&v["outline"]["summary"]))
}

/// Item 4 (原因): the text, the causes classified, the officer's reason why no unlawful purpose is
/// suspected when one was recorded.
fn cause(v: &serde_json::Value) -> String {
    let causes = v["outline"]["causes"].as_array().filter(|a| !a.is_empty()).map(|_| words(&v["outline"]["causes"]));
    format!(
        "{}{}{}",
        words(&v["cause"]),
        causes.map(|c| format!("（分類: {c}）")).unwrap_or_default(),
        v["no_unlawful_purpose_reason"]
            .as_str()
            .map(|r| format!("。不正の目的が疑われない理由（担当者の記録）: {r}"))
            .unwrap_or_default()
    )
}

/// The fired items of a draft's list (`code`, `name`, `why` each) as `{prefix}N号 name（why）`.
fn numbered(list: &serde_json::Value, prefix: &str) -> Vec<String> {
    let s = words;
    list.as_array()
        .into_iter()
        .flatten()
        .map(|t| format!("{prefix}{}号 {}（{}）", s(&t["code"]), s(&t["name"]), s(&t["why"])))
        .collect()
}

/// The My Number report draft as a Japanese document (番号法29条の4第1項, 報告規則3条の項目).
fn my_number_html(v: &serde_json::Value) -> String {
    let s = words;
    let events = numbered(&v["events"], "第2条第");
    let rows: Vec<(&str, String)> = vec![
        ("報告者", format!("{}（{}）", s(&v["reporter"]["body"]), s(&v["reporter"]["role"]))),
        ("根拠", format!("{}、{}", s(&v["law"]), s(&v["rule"]))),
        ("報告の種別", s(&v["stage_ja"])),
        (
            "発覚日（職員が知った日時）",
            format!("{}（{}）", s(&v["known"]["discovered"]), s(&v["known"]["discovered_by"])),
        ),
        ("1 概要", outline(v)),
        ("2 特定個人情報の項目", s(&v["items"])),
        ("3 特定個人情報に係る本人の数", format!("{} 人（{}）", s(&v["people"]), s(&v["people_basis"]))),
        ("4 原因", cause(v)),
        ("5 二次被害又はそのおそれの有無及びその内容", s(&v["secondary_harm"])),
        ("6 本人への対応の実施状況", s(&v["actions_towards_people"])),
        ("7 公表の実施状況", s(&v["public_announcement"])),
        ("8 再発防止のための措置", s(&v["prevention"])),
        ("9 その他参考となる事項", s(&v["other"])),
        ("報告対象となる事態（規則第2条）", if events.is_empty() { "（該当なし）".into() } else { events.join(" / ") }),
        ("個人情報保護法による報告", format!("{}（{}）", s(&v["appi_report"]["note"]), s(&v["appi_report"]["regime"]))),
        ("委託先", s(&v["outline"]["contractor"])),
        ("報告期限の計算", s(&v["counting"])),
    ];
    let mut body = kv_table(&rows);
    body.push_str(&format!(
        "<p class=\"note\">報告期限: {}。本人への通知も必要です（番号法第29条の4第2項）。この文書は tokumei が登録簿の記録から作成した下書きです。提出前に内容を確認してください。</p>",
        esc(&s(&v["due"]))
    ));
    page(&format!("特定個人情報の漏えい等に関する報告書（{}）", s(&v["stage_ja"])), &body)
}

fn contract_record_html(i: &StoredIncident) -> String {
    let rows: Vec<(&str, String)> = vec![
        ("区分", i.assessment.regime_label.clone()),
        ("事案", i.facts.title.clone()),
        ("発覚日", format!("{}（{}）", i.facts.discovered, i.facts.discovered_by)),
        ("リリース", i.scope.release_id.clone().unwrap_or_default()),
        ("提供先", i.scope.recipient.clone().unwrap_or_default()),
        ("契約", i.scope.contract_id.map(|c| c.to_string()).unwrap_or_default()),
        (
            "提供記録",
            i.scope
                .provisions
                .iter()
                .map(|p| {
                    format!(
                        "{} {} {}",
                        p["date"].as_str().unwrap_or(""),
                        p["medium"].as_str().unwrap_or(""),
                        p["receipt"].as_str().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join(" / "),
        ),
        ("記録の件数", i.scope.records.to_string()),
        ("原因", i.facts.cause.clone()),
        ("検討すべき措置", i.assessment.contract_measures.join(" / ")),
    ];
    page("匿名加工情報の漏えい事案の記録（契約事案）", &kv_table(&rows))
}

/// What each person is told (規則45条 / 10条: outline, items, cause, secondary harm, other).
fn notice_fields(i: &StoredIncident) -> [(&'static str, String); 5] {
    let f = &i.facts;
    let items: Vec<&str> = i.scope.items.iter().map(|it| it.name.as_str()).collect();
    [
        (
            "概要",
            format!(
                "{}（{}）{}",
                f.title,
                i.event(),
                if f.report.summary.is_empty() { String::new() } else { format!("。{}", f.report.summary) }
            ),
        ),
        ("漏えい等が発生し、又は発生したおそれがある個人情報の項目", items.join("、")),
        ("原因", f.cause.clone()),
        (
            "二次被害又はそのおそれの有無及びその内容",
            if f.report.secondary_harm.is_empty() {
                "現在確認中です".into()
            } else {
                f.report.secondary_harm.clone()
            },
        ),
        (
            "その他参考となる事項",
            if f.report.other.is_empty() {
                "ご不明な点は下記の窓口までお問い合わせください".into()
            } else {
                f.report.other.clone()
            },
        ),
    ]
}

/// The letter to one person.
fn notice_letter(body: &str, i: &StoredIncident, name: &str) -> String {
    let event = i.event();
    let fields = notice_fields(i);
    let rows: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, v.clone())).collect();
    page(
        "個人情報の漏えい等に関するお知らせ",
        &format!(
            "<p>{} 様</p><p>{}が取り扱う個人情報について、次のとおり{}が{}ことをお知らせします。ご迷惑とご心配をおかけし、深くお詫び申し上げます。</p>{}<p class=\"right\">{}</p>",
            esc(name),
            esc(body),
            event.trim_end_matches("のおそれ"),
            if event.ends_with("のおそれ") { "発生したおそれがある" } else { "発生した" },
            kv_table(&rows),
            esc(body)
        ),
    )
}

/// Run an incident command.
pub fn incident(command: IncidentCommand) -> Result<(), Failure> {
    match command {
        IncidentCommand::Open { entry, job, change: ChangeArgs { registry, operator } } => {
            let e = IncidentEntry::load(&entry).map_err(reg_fail)?;
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let (scope, subjects) = find_scope(&reg, &e, &job)?;
            let id = reg.open_incident(&who(operator)?, &e, &scope, &subjects, &today()?).map_err(reg_fail)?;
            let i = get(&reg, id)?;
            say!("opened incident {id}: {} ({}), discovered {}", e.title, i.event(), e.discovered);
            print_assessment(&i);
            Ok(())
        }
        IncidentCommand::Update { id, entry, job, change: ChangeArgs { registry, operator } } => {
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let old = get(&reg, id)?;
            let e = old.facts.updated(&entry).map_err(reg_fail)?;
            let (scope, subjects) = find_scope(&reg, &e, &job)?;
            reg.update_incident(&who(operator)?, (id, old.steps), &e, &scope, &subjects, &today()?)
                .map_err(reg_fail)?;
            let i = get(&reg, id)?;
            say!("updated incident {id}");
            print_assessment(&i);
            Ok(())
        }
        IncidentCommand::List { view: ViewArgs { registry, json }, all, overdue } => {
            let reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let today = today()?;
            let list: Vec<StoredIncident> = reg
                .incidents()
                .map_err(reg_fail)?
                .into_iter()
                .filter(|i| all || i.status == "open")
                .filter(|i| !overdue || i.overdue(&today))
                .collect();
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|i| {
                        let next = i.next_due();
                        serde_json::json!({
                            "id": i.id, "status": i.status, "title": i.facts.title, "regime": i.assessment.regime,
                            "discovered": i.facts.discovered_day(), "people": i.scope.people,
                            "report_required": i.assessment.report_required,
                            "triggers": i.assessment.triggers.iter().filter(|t| t.fired).map(|t| &t.code).collect::<Vec<_>>(),
                            "preliminary_due": i.preliminary_due, "final_due": i.final_due,
                            "preliminary_filed": i.preliminary_filed, "final_filed": i.final_filed,
                            "next_due": next.as_ref().map(|n| n.0), "next_due_date": next.as_ref().map(|n| n.1.clone()),
                            "days_left": next.as_ref().and_then(|n| tokumei_registry::deadline::days_between(&today, &n.1)),
                            "my_number_report": i.assessment.my_number_report,
                            "overdue": i.overdue(&today), "notices_pending": if i.assessment.reports_due() { i.notices.pending() } else { 0 },
                        })
                    })
                    .collect();
                return json_out(&rows);
            }
            say!(
                "{:<4} {:<10} {:<10} {:>7}  {:<22} {:>5}  flag",
                "id",
                "regime",
                "found",
                "people",
                "next due",
                "left"
            );
            for i in &list {
                let next = i.next_due();
                let left = next.as_ref().and_then(|n| tokumei_registry::deadline::days_between(&today, &n.1));
                let flag = if i.overdue(&today) {
                    "OVERDUE"
                } else if left.is_some_and(|l| l <= 2) {
                    "due soon"
                } else {
                    ""
                };
                let pending = if i.assessment.reports_due() && i.notices.pending() > 0 {
                    format!(" ({} to notify)", i.notices.pending())
                } else {
                    String::new()
                };
                say!(
                    "{:<4} {:<10} {:<10} {:>7}  {:<22} {:>5}  {flag}{pending}",
                    i.id,
                    i.assessment.regime,
                    i.facts.discovered_day(),
                    i.scope.people,
                    next.as_ref().map(|n| format!("{} {}", n.0, n.1)).unwrap_or_else(|| if i.status == "open" {
                        "-".into()
                    } else {
                        "closed".into()
                    }),
                    left.map(|l| l.to_string()).unwrap_or_else(|| "-".into()),
                );
            }
            if list.is_empty() {
                say!("no incident matches");
            }
            Ok(())
        }
        IncidentCommand::Show { id, view: ViewArgs { registry, json } } => {
            let reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let i = get(&reg, id)?;
            let events = reg.incident_events(id).map_err(reg_fail)?;
            if json {
                return json_out(
                    &serde_json::json!({"incident": i, "overdue": i.overdue(&today()?), "events": events}),
                );
            }
            say!("incident {id}: {} — {} ({})", i.facts.title, i.event(), i.status);
            say!("  discovered     {} by {}", i.facts.discovered, i.facts.discovered_by);
            say!("  cause          {}", i.facts.cause);
            let causes = i.facts.all_causes();
            if !causes.is_empty() {
                say!("  causes         {}", causes.iter().map(|c| c.label()).collect::<Vec<_>>().join("、"));
            }
            if let Some(r) = &i.facts.no_unlawful_purpose_reason {
                say!("  no unlawful purpose suspected: {r}");
            }
            say!(
                "  scope          {}",
                match (&i.scope.release_id, &i.scope.file) {
                    (Some(r), _) => format!(
                        "release {r}{}",
                        i.scope.recipient.as_ref().map(|x| format!(" (provided to {x})")).unwrap_or_default()
                    ),
                    (None, Some(f)) => format!(
                        "file {f}{}",
                        if i.scope.filter.is_some() { " (narrowed by the intake's `where`)" } else { "" }
                    ),
                    _ => "-".into(),
                }
            );
            say!("  items          {}", i.scope.items.iter().map(|x| x.name.as_str()).collect::<Vec<_>>().join(", "));
            print_assessment(&i);
            say!(
                "  filed          速報 {} / 確報 {}",
                i.preliminary_filed.as_deref().unwrap_or("-"),
                i.final_filed.as_deref().unwrap_or("-")
            );
            say!(
                "  notices        {} sent, {} excepted, {} pending",
                i.notices.sent,
                i.notices.excepted,
                i.notices.pending()
            );
            say!("  timeline");
            for ev in events {
                say!("    {} {:<18} {}", ev.time, ev.event, ev.operator);
            }
            Ok(())
        }
        IncidentCommand::Report { id, stage, out, change: ChangeArgs { registry, operator } } => {
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let i = get(&reg, id)?;
            let dir = out_dir(&reg, id, out);
            if i.assessment.regime == "contract" {
                let html = contract_record_html(&i);
                let path = dir.join("contract_incident.html");
                write_private(&path, html.as_bytes())?;
                let json = serde_json::to_vec_pretty(&i).map_err(|e| fail(ExitCode::Internal, e.into()))?;
                write_private(&dir.join("contract_incident.json"), &json)?;
                reg.incident_drafted(
                    &who(operator)?,
                    id,
                    "contract-record",
                    serde_json::json!({"sha256": sha(html.as_bytes())}),
                )
                .map_err(reg_fail)?;
                say!("incident {id} is a contract incident (a leaked anonymised release): no report to the Commission");
                say!("  record written to {}", path.display());
                return Ok(());
            }
            let a = &i.assessment;
            if !a.report_required {
                say!(
                    "note: {} for incident {id}; the {} draft is for a voluntary report",
                    if a.my_number_report {
                        "no trigger of 法68/法26 fired, but the My Number report (番号法29条の4) is required"
                    } else {
                        "no report is required (no trigger fired, or exempt)"
                    },
                    if a.regime == "article26" { "法26" } else { "法68" },
                );
            }
            let p = reg.profile().map_err(reg_fail)?;
            let v = tokumei_registry::report_draft(&p, &i, &stage);
            let json = serde_json::to_vec_pretty(&v).map_err(|e| fail(ExitCode::Internal, e.into()))?;
            let html = report_html(&v);
            let (jp, hp) = (dir.join(format!("report_{stage}.json")), dir.join(format!("report_{stage}.html")));
            write_private(&jp, &json)?;
            write_private(&hp, html.as_bytes())?;
            let mut digests = serde_json::json!({"json_sha256": sha(&json), "html_sha256": sha(html.as_bytes())});
            // The My Number report (番号法29条の4第1項), its own items, beside the 法68 one.
            let my_number = match tokumei_registry::my_number_draft(&p, &i, &stage) {
                Some(m) => {
                    let json = serde_json::to_vec_pretty(&m).map_err(|e| fail(ExitCode::Internal, e.into()))?;
                    let html = my_number_html(&m);
                    let paths = (
                        dir.join(format!("mynumber_report_{stage}.json")),
                        dir.join(format!("mynumber_report_{stage}.html")),
                    );
                    write_private(&paths.0, &json)?;
                    write_private(&paths.1, html.as_bytes())?;
                    digests["my_number"] =
                        serde_json::json!({"json_sha256": sha(&json), "html_sha256": sha(html.as_bytes())});
                    Some(paths)
                }
                None => None,
            };
            reg.incident_drafted(&who(operator)?, id, &format!("report-{stage}"), digests).map_err(reg_fail)?;
            say!("report ({stage}) for incident {id}: {} and {}", jp.display(), hp.display());
            if let Some((mj, mh)) = &my_number {
                say!(
                    "My Number report ({stage}, 番号法29条の4) for incident {id}: {} and {}",
                    mj.display(),
                    mh.display()
                );
            }
            if let Some(d) = v["due"].as_str() {
                say!(
                    "  due {d} ({}); record the filing with `tokumei incident filed {id} --stage {stage} --reference ...`",
                    v["counting"].as_str().unwrap_or("-")
                );
            }
            Ok(())
        }
        IncidentCommand::Filed { id, stage, date, reference, document, change: ChangeArgs { registry, operator } } => {
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let today = today()?;
            let date = date.unwrap_or_else(|| today.clone());
            let doc = match &document {
                Some(p) => Some(sha(&std::fs::read(p).map_err(|e| {
                    fail(ExitCode::Input, anyhow::Error::new(e).context(format!("cannot read {}", p.display())))
                })?)),
                None => None,
            };
            let filing =
                tokumei_registry::Filing { stage: stage.clone(), date: date.clone(), reference, document_sha256: doc };
            reg.file_report(&who(operator)?, id, &filing, &today).map_err(reg_fail)?;
            let i = get(&reg, id)?;
            let due = if stage == "preliminary" { &i.preliminary_due } else { &i.final_due };
            let late = due.as_deref().is_some_and(|d| date.as_str() > d);
            say!("incident {id}: {stage} report filed on {date}{}", if late { " (after its due date)" } else { "" });
            Ok(())
        }
        IncidentCommand::Notices {
            id,
            name_column,
            address_column,
            out,
            change: ChangeArgs { registry, operator },
        } => {
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let i = get(&reg, id)?;
            if i.assessment.regime == "contract" {
                return Err(refused(format!(
                    "incident {id} is a contract incident: no one is notified under 法68条2項"
                )));
            }
            let people = reg.incident_people(id).map_err(reg_fail)?;
            if people.is_empty() {
                return Err(refused(format!(
                    "incident {id}: the people are not known by identifier (a release without a per-subject index): narrow the scope to a registered file to write their notices"
                )));
            }
            let body = reg.profile().map_err(reg_fail)?.body;
            let wanted: BTreeSet<String> = people.iter().map(|(s, _)| s.clone()).collect();
            let file = i.scope.file.clone().unwrap_or_default();
            let sources: Vec<_> =
                reg.sources().map_err(reg_fail)?.into_iter().filter(|s| file.is_empty() || s.file == file).collect();
            if name_column.is_none() && sources.iter().all(|s| s.name_column.is_none()) {
                eprintln!(
                    "warning: no name column (the sources register none, and --name-column is not given): the letters are addressed to （氏名）"
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
                    tokumei_engine::lookup::check_columns(&place, &cols.iter().map(String::as_str).collect::<Vec<_>>())
                        .is_ok();
                if !header_ok {
                    continue;
                }
                let found = tokumei_engine::incident::people_columns(&place, &src.subject_column, &wanted, &cols)?;
                for (s, v) in found {
                    let mut it = v.into_iter();
                    let name = if name_col.is_some() { it.next().unwrap_or_default() } else { String::new() };
                    let addr = if address_column.is_some() { it.next().unwrap_or_default() } else { String::new() };
                    details.entry(s).or_insert((name, addr));
                }
            }
            let dir = out.unwrap_or_else(|| out_dir(&reg, id, None).join("notices"));
            // One line per person with every field of the notice, for mail merge.
            let fields = notice_fields(&i);
            let mut csv =
                String::from("\u{feff}subject,name,address,status,letter,outline,items,cause,secondary_harm,other\n");
            let common: Vec<String> = fields.iter().map(|(_, v)| tokumei_jp::csv_cell(v)).collect();
            let mut hashes = Vec::new();
            for (n, (subject, notice)) in people.iter().enumerate() {
                let (name, addr) = details.get(subject).cloned().unwrap_or_default();
                let letter = format!("{:06}.html", n + 1);
                let html = notice_letter(&body, &i, if name.is_empty() { "（氏名）" } else { &name });
                write_private(&dir.join(&letter), html.as_bytes())?;
                hashes.push(sha(html.as_bytes()));
                let status = match notice {
                    None => "pending",
                    Some(Notice::Sent { .. }) => "sent",
                    Some(Notice::Exception { .. }) => "exception",
                };
                csv.push_str(&format!(
                    "{},{},{},{status},{letter},{}\n",
                    tokumei_jp::csv_cell(subject),
                    tokumei_jp::csv_cell(&name),
                    tokumei_jp::csv_cell(&addr),
                    common.join(",")
                ));
            }
            write_private(&dir.join("notices.csv"), csv.as_bytes())?;
            reg.incident_drafted(
                &who(operator)?,
                id,
                "notices",
                serde_json::json!({"letters": people.len(), "csv_sha256": sha(csv.as_bytes())}),
            )
            .map_err(reg_fail)?;
            say!("notices for incident {id}: {} letters and notices.csv in {}", people.len(), dir.display());
            let missing = people.len() - details.len();
            if missing > 0 && !details.is_empty() {
                say!(
                    "  {missing} people not found in the sources' name/address columns: check the letters marked （氏名）"
                );
            }
            Ok(())
        }
        IncidentCommand::Notify { id, subjects, all, method, at, change: ChangeArgs { registry, operator } } => {
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let n = reg
                .record_notices(
                    &who(operator)?,
                    id,
                    (!all).then_some(subjects.as_slice()),
                    &Notice::Sent { method, at },
                    &today()?,
                )
                .map_err(reg_fail)?;
            let i = get(&reg, id)?;
            say!("incident {id}: {n} notice(s) recorded; {} people still to notify", i.notices.pending());
            Ok(())
        }
        IncidentCommand::Except {
            id,
            subjects,
            all,
            ground,
            note,
            announcement,
            desk,
            change: ChangeArgs { registry, operator },
        } => {
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let n = reg
                .record_notices(
                    &who(operator)?,
                    id,
                    (!all).then_some(subjects.as_slice()),
                    &Notice::Exception { ground, note, announcement, desk },
                    &today()?,
                )
                .map_err(reg_fail)?;
            let i = get(&reg, id)?;
            say!("incident {id}: {n} exception(s) recorded; {} people still to notify", i.notices.pending());
            Ok(())
        }
        IncidentCommand::Close { id, reason, change: ChangeArgs { registry, operator } } => {
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            reg.close_incident(&who(operator)?, id, &reason, &today()?).map_err(reg_fail)?;
            say!("incident {id} closed");
            Ok(())
        }
    }
}

fn sha(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
