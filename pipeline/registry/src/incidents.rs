//! Leak incidents (漏えい等): a personal-data leak, loss or damage, confirmed or suspected, from
//! discovery to the reports to the Personal Information Protection Commission and the notices
//! to the people affected (法68 for public bodies, 法26 for businesses), or, for a leaked
//! anonymised release, a contract incident (法120/121: not personal information, no report).
//!
//! The officer states the facts (an intake file, updated as they change: every version is an
//! event, none is overwritten); the scope (a release, a registered file narrowed by a filter, or
//! a file's deleted items) gives the items and the people, computed from the data by the caller.
//! [`assess`] decides from both which triggers fire (規則43条 / 7条), whether an exemption
//! applies and so whether a report and notices are due, and when (速報 within the profile's 3-5
//! days, 確報 within 30 days, 60 with an unlawful purpose, from discovery).

use crate::deadline::{add_days, next_open_day};
use crate::files::{read_small, toml_message};
use crate::requests::{check_subject, normalize_subject, text};
use crate::timeline::INCIDENTS;
use crate::{Actor, Profile, Registry, RegistryError, Who};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use std::path::Path;

fn refused(m: impl Into<String>) -> RegistryError {
    RegistryError::Refused(m.into())
}

/// What happened to the data (規則43条 / 7条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// 漏えい: the data went to someone not entitled to it.
    #[serde(alias = "漏えい", alias = "漏洩")]
    Leak,
    /// 滅失: the data were lost.
    #[serde(alias = "滅失")]
    Loss,
    /// 毀損: the data were damaged (altered, encrypted by ransomware...).
    #[serde(alias = "毀損")]
    Damage,
}

impl EventKind {
    /// Its Japanese name.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Leak => "漏えい",
            EventKind::Loss => "滅失",
            EventKind::Damage => "毀損",
        }
    }
}

/// Which data an incident concerns, as the officer states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ScopeEntry {
    /// A registered release (its id).
    #[serde(default)]
    pub release: Option<String>,
    /// A registered file (its name): its registered source extracts.
    #[serde(default)]
    pub file: Option<String>,
    /// A SQL condition on the file's records (DataFusion syntax), e.g. `地区 = '北区'`.
    #[serde(default, rename = "where")]
    pub filter: Option<String>,
    /// The items (columns) concerned; empty: every column.
    #[serde(default)]
    pub columns: Vec<String>,
    /// The file's deleted items (削除情報等: a pseudonym key, removed identifiers) leaked, not its records.
    #[serde(default)]
    pub deleted_items: bool,
}

/// The parts of the Commission report only the officer can write (規則44条 / 8条 items).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReportText {
    /// 概要: what happened, in a few sentences.
    #[serde(default)]
    pub summary: String,
    /// 二次被害又はそのおそれの有無及びその内容.
    #[serde(default)]
    pub secondary_harm: String,
    /// 本人への対応の実施状況 (besides the notices tokumei records).
    #[serde(default)]
    pub actions: String,
    /// 公表の実施状況.
    #[serde(default)]
    pub announcement: String,
    /// 再発防止のための措置.
    #[serde(default)]
    pub prevention: String,
    /// その他参考となる事項.
    #[serde(default)]
    pub other: String,
}

/// An incident as written in its intake file (TOML) and updated since.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentEntry {
    /// A short title.
    pub title: String,
    /// When any staff member of the unit knew of it (YYYY-MM-DD, or YYYY-MM-DDTHH:MM): the
    /// deadlines run from this day, not from when the person who took the data knew.
    pub discovered: String,
    /// Who in the unit knew first (post or name).
    pub discovered_by: String,
    /// Leak, loss or damage.
    pub kind: EventKind,
    /// Suspected (おそれ), not confirmed.
    #[serde(default)]
    pub suspected: bool,
    /// The cause as known (unauthorised access, a lost medium, a misaddressed mail...).
    pub cause: String,
    /// Caused by unauthorised access (不正アクセス).
    #[serde(default)]
    pub unauthorised_access: bool,
    /// An unlawful purpose is suspected (不正の目的: theft, skimming, an insider selling data).
    #[serde(default)]
    pub unlawful_purpose: bool,
    /// The data were protected by strong encryption (高度な暗号化等) and the key did not leak.
    #[serde(default)]
    pub encrypted: bool,
    /// My Number data (特定個人情報) are involved (also found from the items).
    #[serde(default)]
    pub my_number: bool,
    /// A contractor (委託先) involved, by name.
    #[serde(default)]
    pub contractor: Option<String>,
    /// The officer's finding on 要配慮個人情報: `true` where the items cannot show it (paper files),
    /// `false` once items the rules could not classify have been reviewed and hold none.
    #[serde(default)]
    pub sensitive: Option<bool>,
    /// The officer's finding that misuse may cause financial damage, where the items cannot show it.
    #[serde(default)]
    pub financial: Option<bool>,
    /// Which data.
    #[serde(default)]
    pub scope: ScopeEntry,
    /// The report's free-text fields.
    #[serde(default)]
    pub report: ReportText,
}

impl IncidentEntry {
    /// Read an intake file (TOML).
    pub fn load(path: &Path) -> Result<IncidentEntry, RegistryError> {
        let err = |message: String| RegistryError::Entry { path: path.to_path_buf(), message };
        let text = read_small(path).map_err(err)?;
        toml::from_str(&text).map_err(|e| err(toml_message(&text, &e)))
    }

    /// These facts with the keys of an update file (TOML) replacing theirs (tables merged).
    pub fn updated(&self, path: &Path) -> Result<IncidentEntry, RegistryError> {
        let err = |message: String| RegistryError::Entry { path: path.to_path_buf(), message };
        let text = read_small(path).map_err(err)?;
        let update: toml::Table = toml::from_str(&text).map_err(|e| err(toml_message(&text, &e)))?;
        let mut base = toml::Table::try_from(self).map_err(|e| err(e.to_string()))?;
        for (k, v) in update {
            match (base.get_mut(&k), v) {
                (Some(toml::Value::Table(b)), toml::Value::Table(u)) => b.extend(u),
                (_, v) => {
                    base.insert(k, v);
                }
            }
        }
        toml::Value::Table(base).try_into().map_err(|e: toml::de::Error| err(e.message().to_string()))
    }

    /// The day of discovery (YYYY-MM-DD).
    pub fn discovered_day(&self) -> &str {
        day_part(&self.discovered)
    }
}

/// An item (column) in the scope, with what the rules say of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Its name.
    pub name: String,
    /// `要配慮` or `条例要配慮` (the rules' `special_care`, or the profile's ordinance list).
    #[serde(default)]
    pub special_care: Option<String>,
    /// A description whose misuse may cause financial damage (the rules' role `financial`).
    #[serde(default)]
    pub financial: bool,
    /// A 個人番号 column.
    #[serde(default)]
    pub my_number: bool,
}

/// What the scope was found to hold (computed by the caller from the registry and the data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ScopeFound {
    /// `release`, `file` or `deleted_items`.
    pub kind: String,
    /// The release, for a release scope.
    #[serde(default)]
    pub release_id: Option<String>,
    /// Its mode (`anonymized` or `pseudonymized`).
    #[serde(default)]
    pub release_mode: Option<String>,
    /// Its contract and recipient, with the records of provision (date, medium).
    #[serde(default)]
    pub contract_id: Option<i64>,
    /// The recipient.
    #[serde(default)]
    pub recipient: Option<String>,
    /// The records of provision of the release.
    #[serde(default)]
    pub provisions: Vec<serde_json::Value>,
    /// The registered file.
    #[serde(default)]
    pub file: Option<String>,
    /// The filter applied to its records.
    #[serde(default)]
    pub filter: Option<String>,
    /// The source extracts read (path and SHA-256).
    #[serde(default)]
    pub sources: Vec<serde_json::Value>,
    /// The items concerned.
    pub items: Vec<Item>,
    /// Records concerned.
    pub records: u64,
    /// People concerned (distinct subjects).
    pub people: u64,
    /// How the people were counted.
    pub basis: String,
    /// Items no rule file could classify (missing, changed since allowed, or not covering them):
    /// taken as possibly 要配慮 until the officer reviews them.
    #[serde(default)]
    pub unclassified: Vec<String>,
    /// Records whose subject identifier is blank: each counted as a person.
    #[serde(default)]
    pub blank_subjects: u64,
}

/// One trigger of a report (規則43条 for public bodies, 7条 for businesses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    /// Its number in the rule (1-5) or `my_number`.
    pub code: String,
    /// What it is.
    pub name: String,
    /// Whether it holds.
    pub fired: bool,
    /// Why (or why not).
    pub why: String,
}

/// What the facts and the scope mean under the law.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// `article68` (public body), `article26` (business) or `contract` (a leaked anonymised release).
    pub regime: String,
    /// The regime in words.
    pub regime_label: String,
    /// Every trigger, fired or not.
    pub triggers: Vec<Trigger>,
    /// An exemption that applies, if any.
    pub exemption: Option<String>,
    /// Whether a report to the Commission and notices to the people are required.
    pub report_required: bool,
    /// Whether the My Number Act's own report (番号法29条の4) is also due.
    pub my_number_report: bool,
    /// Days to the preliminary and final reports, counted from discovery.
    pub preliminary_days: Option<i64>,
    /// Days to the final report.
    pub final_days: Option<i64>,
    /// For a contract incident: what the officer must consider.
    pub contract_measures: Vec<String>,
}

/// Decide the triggers, exemptions and deadlines (pure: the same facts, the same answer).
pub fn assess(profile: &Profile, e: &IncidentEntry, scope: &ScopeFound) -> Assessment {
    let public = profile.actor == Actor::PublicBody;
    let threshold = profile.leak_threshold.unwrap_or(if public { 100 } else { 1000 });
    // Only data provided to a recipient under a contract (法115) is a contract incident: an
    // anonymised file the body keeps for itself can be matched back to its sources, so it is
    // still personal information to the body.
    let provided_anonymised =
        scope.kind == "release" && scope.release_mode.as_deref() == Some("anonymized") && scope.contract_id.is_some();
    if provided_anonymised {
        return Assessment {
            regime: "contract".into(),
            regime_label: if public {
                "行政機関等匿名加工情報の漏えい: 保有個人情報ではなく法68条の報告対象外。法121条2項（安全管理措置）と契約（法115条・120条）の事案".into()
            } else {
                "匿名加工情報の漏えい: 個人データではなく法26条の報告対象外。法43条以下と契約の事案".into()
            },
            triggers: Vec::new(),
            exemption: None,
            report_required: false,
            my_number_report: false,
            preliminary_days: None,
            final_days: None,
            contract_measures: vec![
                format!(
                    "提供先{}に事実関係と原因を確認し、報告を求める（契約の報告条項）",
                    scope.recipient.as_deref().map(|r| format!("「{r}」")).unwrap_or_default()
                ),
                "提供先の契約違反（安全管理措置・第三者提供・識別行為の禁止）の有無を審査し、法120条による契約の解除を検討する".into(),
                "解除した場合、その提供先は2年間提案できない（法113条）".into(),
                "流出したデータの回収・削除と削除の証明を求める".into(),
                "作成方法・削除情報等の安全管理（法121条2項）に問題がなかったか確認する".into(),
            ],
        };
    }
    let names = |f: &dyn Fn(&Item) -> bool| -> Vec<String> {
        scope.items.iter().filter(|i| f(i)).map(|i| i.name.clone()).collect()
    };
    let sensitive = names(&|i| i.special_care.as_deref() == Some("要配慮"));
    let ordinance =
        names(&|i| i.special_care.as_deref() == Some("条例要配慮") || profile.ordinance_sensitive.contains(&i.name));
    let financial = names(&|i| i.financial);
    let my_number_items = names(&|i| i.my_number);
    let deleted = scope.kind == "deleted_items";
    let listed = |v: &[String]| v.join("、");
    let mut triggers = vec![
        Trigger {
            code: "1".into(),
            name: "要配慮個人情報が含まれる".into(),
            // Items no rule file classifies count as possibly 要配慮 until reviewed (fail closed).
            fired: !sensitive.is_empty()
                || e.sensitive == Some(true)
                || (!scope.unclassified.is_empty() && e.sensitive != Some(false)),
            why: match (sensitive.is_empty(), e.sensitive) {
                (false, _) => format!("要配慮の項目: {}", listed(&sensitive)),
                (true, Some(true)) => "担当者の認定（項目からは判別できない要配慮個人情報）".into(),
                (true, None) if !scope.unclassified.is_empty() => format!(
                    "区分を確認できない項目（許可されたルールがない、変更された、又は項目を含まない）: {}。要配慮として扱う（確認後、sensitive = false で更新）",
                    listed(&scope.unclassified)
                ),
                (true, Some(false)) if !scope.unclassified.is_empty() => {
                    format!("担当者が確認: 区分不明の項目（{}）に要配慮個人情報なし", listed(&scope.unclassified))
                }
                _ => "要配慮と記された項目なし".into(),
            },
        },
        Trigger {
            code: "2".into(),
            name: "不正に利用されることにより財産的被害が生じるおそれ".into(),
            fired: !financial.is_empty() || e.financial == Some(true),
            why: match (financial.is_empty(), e.financial) {
                (false, _) => format!("財産的被害のおそれのある項目: {}", listed(&financial)),
                (true, Some(true)) => "担当者の認定".into(),
                _ => "該当する項目なし".into(),
            },
        },
        Trigger {
            code: "3".into(),
            name: "不正の目的をもって行われたおそれがある".into(),
            fired: e.unlawful_purpose,
            why: if e.unlawful_purpose {
                format!("不正の目的が疑われる（原因: {}）", e.cause)
            } else if e.unauthorised_access {
                "不正アクセスによるが、不正の目的は認定されていない（認定すれば該当）".into()
            } else {
                "不正の目的は疑われていない".into()
            },
        },
        Trigger {
            code: "4".into(),
            name: format!("本人の数が{threshold}人を超える"),
            fired: scope.people > threshold as u64,
            why: format!("本人の数 {} 人（{}）", scope.people, scope.basis),
        },
    ];
    if public {
        triggers.push(Trigger {
            code: "5".into(),
            name: "条例要配慮個人情報が含まれる".into(),
            fired: !ordinance.is_empty(),
            why: if ordinance.is_empty() {
                "条例要配慮と記された項目なし".into()
            } else {
                format!("条例要配慮の項目: {}", listed(&ordinance))
            },
        });
    }
    let fired = triggers.iter().any(|t| t.fired);
    let pseudonymised = scope.kind == "release" && scope.release_mode.as_deref() == Some("pseudonymized");
    let exemption = if e.encrypted {
        Some("高度な暗号化その他の個人の権利利益を保護するために必要な措置が講じられている（報告・通知の対象外。鍵も漏えいした場合は対象）".into())
    } else if pseudonymised && profile.actor == Actor::Business {
        Some("仮名加工情報である個人データ（法41条9項により法26条は適用されない）".into())
    } else {
        None
    };
    let my_number = e.my_number || !my_number_items.is_empty();
    let my_number_report = my_number
        && !e.encrypted
        && (e.unlawful_purpose || e.unauthorised_access || scope.people > 100 || e.kind == EventKind::Leak && deleted);
    let report_required = fired && exemption.is_none();
    Assessment {
        regime: if public { "article68".into() } else { "article26".into() },
        regime_label: if public {
            format!(
                "保有個人情報の{}等（法68条）{}",
                e.kind.label(),
                if pseudonymised { "。仮名化した保有個人情報にも報告の免除はない" } else { "" }
            )
        } else {
            format!("個人データの{}等（法26条）", e.kind.label())
        },
        triggers,
        exemption,
        report_required,
        my_number_report,
        preliminary_days: report_required.then_some(profile.incident_preliminary_days),
        final_days: report_required.then_some(if e.unlawful_purpose {
            profile.incident_final_unlawful_days
        } else {
            profile.incident_final_days
        }),
        contract_measures: Vec::new(),
    }
}

/// The report due dates from discovery: the preliminary one the profile's days after (calendar
/// days: 速報 is due "promptly"), the final one after 30 (60) days counted from the day after
/// discovery, moved to the next open day (weekends, 29 Dec - 3 Jan, the profile's closed days).
pub fn due_dates(profile: &Profile, discovered: &str, a: &Assessment) -> (Option<String>, Option<String>) {
    let pre = a.preliminary_days.and_then(|d| add_days(discovered, d));
    let fin = a.final_days.and_then(|d| add_days(discovered, d)).and_then(|d| next_open_day(&d, &profile.closed_days));
    (pre, fin)
}

/// A report filed with the Commission.
#[derive(Debug, Clone)]
pub struct Filing {
    /// `preliminary` or `final`.
    pub stage: String,
    /// The day it was filed.
    pub date: String,
    /// The Commission's reference or how it was filed.
    pub reference: String,
    /// SHA-256 of the document filed, if given.
    pub document_sha256: Option<String>,
}

/// How a person was (or could not be) notified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Notice {
    /// Sent: by what means, when.
    Sent {
        /// `mail`, `phone`, `email`, `hand` or `other`.
        method: String,
        /// When (YYYY-MM-DD or YYYY-MM-DDTHH:MM).
        at: String,
    },
    /// Not sent, with its ground (法68条2項ただし書).
    Exception {
        /// `impossible` (notice impossible, a substitute measure taken) or `nondisclosable`
        /// (the data contain 不開示情報, 法78条1項).
        ground: String,
        /// Why the ground applies.
        note: String,
        /// `impossible`: the public announcement made (where, when).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        announcement: Option<String>,
        /// `impossible`: the enquiry desk set up (who, how to reach it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        desk: Option<String>,
    },
}

/// A registered incident.
#[derive(Debug, Clone, Serialize)]
pub struct StoredIncident {
    /// Its number.
    pub id: i64,
    /// `open` or `closed`.
    pub status: String,
    /// The facts as they stand.
    pub facts: IncidentEntry,
    /// What the scope holds.
    pub scope: ScopeFound,
    /// The assessment.
    pub assessment: Assessment,
    /// The preliminary report's due date.
    pub preliminary_due: Option<String>,
    /// The final report's due date.
    pub final_due: Option<String>,
    /// When the preliminary report was filed.
    pub preliminary_filed: Option<String>,
    /// When the final report was filed.
    pub final_filed: Option<String>,
    /// Why and when it was closed.
    pub closed: Option<String>,
    /// People notified, excepted, still to notify.
    pub notices: NoticeCounts,
    /// Events so far (a step made on a stale read is refused).
    pub steps: i64,
}

/// Counts of the people's notices.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NoticeCounts {
    /// People recorded.
    pub people: u64,
    /// Notices sent.
    pub sent: u64,
    /// Exceptions recorded.
    pub excepted: u64,
}

impl NoticeCounts {
    /// People still to notify.
    pub fn pending(&self) -> u64 {
        self.people - self.sent - self.excepted
    }
}

impl StoredIncident {
    /// What is due next and when: (`preliminary` or `final`, the date), if anything.
    pub fn next_due(&self) -> Option<(&'static str, String)> {
        if self.status != "open" {
            return None;
        }
        match (&self.preliminary_due, &self.preliminary_filed, &self.final_due, &self.final_filed) {
            (Some(d), None, _, _) => Some(("preliminary", d.clone())),
            (_, _, Some(d), None) => Some(("final", d.clone())),
            _ => None,
        }
    }

    /// Whether a report is overdue on `today`.
    pub fn overdue(&self, today: &str) -> bool {
        self.next_due().is_some_and(|(_, d)| today > d.as_str())
    }
}

impl Registry {
    /// Open an incident: the facts, the scope as found (`subjects`: the people, when known by
    /// identifier) and the assessment.
    pub fn open_incident(
        &mut self,
        who: &Who,
        e: &IncidentEntry,
        scope: &ScopeFound,
        subjects: &[String],
        today: &str,
    ) -> Result<i64, RegistryError> {
        check_facts(e, today)?;
        let p = self.profile()?;
        let a = assess(&p, e, scope);
        let (pre, fin) = due_dates(&p, e.discovered_day(), &a);
        let subjects = checked_subjects(subjects)?;
        let (facts, scope_json, a_json) = (json(e)?, json(scope)?, json(&a)?);
        self.change(who, "incident-open", e.kind.label(), |tx| {
            tx.execute(
                "INSERT INTO incidents (regime, status, facts, scope, people, assessment, discovered, preliminary_due,
                    final_due, people_digest, updated) VALUES (?1, 'open', ?2, ?3, ?4, ?5, ?6, ?7, ?8, '', ?9)",
                params![a.regime, facts, scope_json, scope.people as i64, a_json, e.discovered_day(), pre, fin, who.time],
            )
            .map_err(|e| refused(format!("incident: {e}")))?;
            let id = tx.last_insert_rowid();
            let mut stmt = tx
                .prepare("INSERT INTO incident_people (incident_id, subject) VALUES (?1, ?2)")
                .map_err(|e| refused(format!("incident people: {e}")))?;
            for s in &subjects {
                stmt.execute(params![id, s]).map_err(|e| refused(format!("incident people: {e}")))?;
            }
            seal_people(tx, id)?;
            let mut touched = vec![("incidents", id.to_string())];
            let ev = INCIDENTS.event(tx,
                id,
                who,
                "opened",
                serde_json::json!({"facts": e, "people": scope.people, "regime": a.regime, "report_required": a.report_required,
                    "triggers": a.triggers.iter().filter(|t| t.fired).map(|t| &t.code).collect::<Vec<_>>(),
                    "preliminary_due": pre, "final_due": fin}),
            )?;
            touched.push(("incident_events", ev.to_string()));
            Ok((id, touched))
        })
    }

    /// Record new facts (and the scope found again): the assessment and due dates follow; the
    /// previous facts stay in the timeline. People no longer in scope keep their notice records.
    pub fn update_incident(
        &mut self,
        who: &Who,
        (id, seen): (i64, i64),
        e: &IncidentEntry,
        scope: &ScopeFound,
        subjects: &[String],
        today: &str,
    ) -> Result<Assessment, RegistryError> {
        let old = self.open_incident_one(id)?;
        check_facts(e, today)?;
        if old.preliminary_filed.is_some() && e.discovered_day() != old.facts.discovered_day() {
            return Err(refused(format!(
                "incident {id}: the preliminary report was filed with discovery on {}; a different date is a correction to report to the Commission, not an update",
                old.facts.discovered_day()
            )));
        }
        let p = self.profile()?;
        let a = assess(&p, e, scope);
        let (pre, mut fin) = due_dates(&p, e.discovered_day(), &a);
        // Once a preliminary report is filed, the Commission is owed a final one, even when the
        // facts later show the case was not reportable (it says so).
        if old.preliminary_filed.is_some() && fin.is_none() {
            fin = old.final_due.clone();
        }
        let pre = if old.preliminary_filed.is_some() { old.preliminary_due.clone() } else { pre };
        let subjects = checked_subjects(subjects)?;
        let (facts, scope_json, a_json) = (json(e)?, json(scope)?, json(&a)?);
        self.change(who, "incident-update", &id.to_string(), |tx| {
            INCIDENTS.unchanged(tx, id, seen)?;
            tx.execute(
                "UPDATE incidents SET regime = ?1, facts = ?2, scope = ?3, people = ?4, assessment = ?5, discovered = ?6,
                    preliminary_due = ?7, final_due = ?8, updated = ?9 WHERE id = ?10",
                params![a.regime, facts, scope_json, scope.people as i64, a_json, e.discovered_day(), pre, fin, who.time, id],
            )
            .map_err(|e| refused(format!("incident {id}: {e}")))?;
            // People the scope no longer holds and not yet notified are not affected after all;
            // those notified or excepted stay (what was done stays on record).
            let before: i64 = tx
                .query_row("SELECT count(*) FROM incident_people WHERE incident_id = ?1", [id], |r| r.get(0))
                .map_err(|e| refused(format!("incident people: {e}")))?;
            tx.execute("CREATE TEMP TABLE IF NOT EXISTS scope_now (subject TEXT PRIMARY KEY)", [])
                .and_then(|_| tx.execute("DELETE FROM scope_now", []))
                .map_err(|e| refused(format!("incident people: {e}")))?;
            {
                let mut now = tx
                    .prepare("INSERT OR IGNORE INTO scope_now (subject) VALUES (?1)")
                    .map_err(|e| refused(format!("incident people: {e}")))?;
                for s in &subjects {
                    now.execute([s]).map_err(|e| refused(format!("incident people: {e}")))?;
                }
            }
            let dropped = tx
                .execute(
                    "DELETE FROM incident_people WHERE incident_id = ?1 AND notice IS NULL
                     AND subject NOT IN (SELECT subject FROM scope_now)",
                    [id],
                )
                .map_err(|e| refused(format!("incident people: {e}")))?;
            let mut stmt = tx
                .prepare("INSERT OR IGNORE INTO incident_people (incident_id, subject) VALUES (?1, ?2)")
                .map_err(|e| refused(format!("incident people: {e}")))?;
            for s in &subjects {
                stmt.execute(params![id, s]).map_err(|e| refused(format!("incident people: {e}")))?;
            }
            tx.execute("DROP TABLE IF EXISTS scope_now", []).map_err(|e| refused(format!("incident people: {e}")))?;
            seal_people(tx, id)?;
            let after: i64 = tx
                .query_row("SELECT count(*) FROM incident_people WHERE incident_id = ?1", [id], |r| r.get(0))
                .map_err(|e| refused(format!("incident people: {e}")))?;
            let mut touched = vec![("incidents", id.to_string())];
            let ev = INCIDENTS.event(tx,
                id,
                who,
                "updated",
                serde_json::json!({"facts": e, "people": scope.people, "people_recorded": {"before": before, "after": after, "no_longer_affected": dropped},
                    "regime": a.regime, "report_required": a.report_required,
                    "triggers": a.triggers.iter().filter(|t| t.fired).map(|t| &t.code).collect::<Vec<_>>(),
                    "preliminary_due": pre, "final_due": fin}),
            )?;
            touched.push(("incident_events", ev.to_string()));
            Ok((a.clone(), touched))
        })
    }

    /// Record a report's filing with the Commission.
    pub fn file_report(&mut self, who: &Who, id: i64, f: &Filing, today: &str) -> Result<(), RegistryError> {
        let (stage, date, reference, document_sha256) =
            (f.stage.as_str(), f.date.as_str(), f.reference.as_str(), f.document_sha256.as_deref());
        let i = self.open_incident_one(id)?;
        let final_owed = f.stage == "final" && i.preliminary_filed.is_some();
        if !(i.assessment.report_required || final_owed) {
            return Err(refused(format!(
                "incident {id}: no report to the Commission is required ({}); record a voluntary report as an update's note",
                if i.assessment.regime == "contract" { "a contract incident" } else { "no trigger fired, or exempt" }
            )));
        }
        crate::requests::check_day(date, "--date", i.facts.discovered_day(), today)?;
        text("--reference", reference)?;
        let col = match stage {
            "preliminary" if i.preliminary_filed.is_some() => {
                return Err(refused(format!("incident {id}: the preliminary report was filed already")));
            }
            "preliminary" => "preliminary_filed",
            "final" if i.preliminary_filed.is_none() => {
                return Err(refused(format!(
                    "incident {id}: file the preliminary report first (the same day is fine, when everything is known)"
                )));
            }
            "final" if i.final_filed.is_some() => {
                return Err(refused(format!("incident {id}: the final report was filed already")));
            }
            "final" if i.preliminary_filed.as_deref().is_some_and(|p| date < p) => {
                return Err(refused(format!(
                    "incident {id}: the final report cannot be filed before the preliminary one"
                )));
            }
            "final" => "final_filed",
            other => return Err(refused(format!("--stage is preliminary or final, not {other}"))),
        };
        let late = match stage {
            "preliminary" => i.preliminary_due.as_deref().is_some_and(|d| date > d),
            _ => i.final_due.as_deref().is_some_and(|d| date > d),
        };
        self.incident_step(
            who,
            (id, i.steps),
            "incident-filed",
            &[(col, date.to_string().into())],
            serde_json::json!({"stage": stage, "date": date, "reference": reference, "late": late, "document_sha256": document_sha256}),
        )
    }

    /// Record in the timeline that a report or notice document was drafted (`what`, with its
    /// digests), or, `what = "trace"`, what tracing a file found.
    pub fn incident_drafted(
        &mut self,
        who: &Who,
        id: i64,
        what: &str,
        detail: serde_json::Value,
    ) -> Result<(), RegistryError> {
        let i = self.incident(id)?.ok_or_else(|| refused(format!("no incident {id}")))?;
        let action = if what == "trace" { "incident-traced" } else { "incident-drafted" };
        self.incident_step(who, (id, i.steps), action, &[], serde_json::json!({"what": what, "detail": detail}))
    }

    /// Record a notice sent to each of `subjects`, or an exception with its ground.
    pub fn record_notices(
        &mut self,
        who: &Who,
        id: i64,
        subjects: Option<&[String]>,
        notice: &Notice,
        today: &str,
    ) -> Result<u64, RegistryError> {
        let i = self.open_incident_one(id)?;
        if i.assessment.regime == "contract" {
            return Err(refused(format!(
                "incident {id} is a contract incident (an anonymised release): no one is notified under 法68条2項"
            )));
        }
        match notice {
            Notice::Sent { method, at } => {
                if !["mail", "phone", "email", "hand", "other"].contains(&method.as_str()) {
                    return Err(refused("--method is mail, phone, email, hand or other"));
                }
                let day = day_part(at);
                crate::requests::check_day(day, "--at", i.facts.discovered_day(), today)?;
                if at.len() > 10 && !at.get(10..).is_some_and(valid_time) {
                    return Err(refused("--at is YYYY-MM-DD or YYYY-MM-DDTHH:MM"));
                }
                if method == "phone" && at.len() <= 10 {
                    return Err(refused("a notice by phone records the time too: --at YYYY-MM-DDTHH:MM"));
                }
            }
            Notice::Exception { ground, note, announcement, desk } => {
                text("--note", note)?;
                for (field, v) in [("--announcement", announcement), ("--desk", desk)] {
                    if let Some(v) = v {
                        text(field, v)?;
                    }
                }
                match ground.as_str() {
                    "impossible" if announcement.is_none() || desk.is_none() => {
                        return Err(refused(
                            "notice impossible: the substitute measure is a public announcement and an enquiry desk (法68条2項ただし書): give both, --announcement and --desk",
                        ));
                    }
                    "nondisclosable" if i.assessment.regime != "article68" => {
                        return Err(refused(
                            "the 不開示情報 ground (法68条2項2号) is a public body's: a business may only use `impossible` with substitute measures (法26条2項ただし書)",
                        ));
                    }
                    "nondisclosable" if announcement.is_some() || desk.is_some() => {
                        return Err(refused("--announcement and --desk go with --ground impossible"));
                    }
                    "impossible" | "nondisclosable" => {}
                    other => return Err(refused(format!("--ground is impossible or nondisclosable, not {other}"))),
                }
            }
        }
        let people = self.incident_people(id)?;
        let chosen: Vec<String> = match subjects {
            None => people.iter().filter(|(_, n)| n.is_none()).map(|(s, _)| s.clone()).collect(),
            Some(list) => {
                let mut out = Vec::new();
                for s in list {
                    let n = normalize_subject(s);
                    match people.iter().find(|(p, _)| *p == n) {
                        None => {
                            return Err(refused(format!(
                                "incident {id}: subject {} is not among the people affected",
                                n.chars().take(4).collect::<String>() + "…"
                            )));
                        }
                        Some((_, Some(_))) => {
                            return Err(refused(format!(
                                "incident {id}: a notice or exception is already recorded for one of the subjects given"
                            )));
                        }
                        Some((p, None)) => out.push(p.clone()),
                    }
                }
                out
            }
        };
        if chosen.is_empty() {
            return Err(refused(format!("incident {id}: no one left to record a notice for")));
        }
        let text_json = serde_json::to_string(notice).map_err(|e| self.db(e))?;
        let n = chosen.len() as u64;
        let kind = match notice {
            Notice::Sent { .. } => "notified",
            Notice::Exception { .. } => "notice-exception",
        };
        self.change(who, &format!("incident-{kind}"), &id.to_string(), |tx| {
            INCIDENTS.unchanged(tx, id, i.steps)?;
            let mut touched = Vec::new();
            let mut stmt = tx
                .prepare("UPDATE incident_people SET notice = ?1 WHERE incident_id = ?2 AND subject = ?3")
                .map_err(|e| refused(format!("incident {id}: {e}")))?;
            for s in &chosen {
                stmt.execute(params![text_json, id, s]).map_err(|e| refused(format!("incident {id}: {e}")))?;
            }
            tx.execute("UPDATE incidents SET updated = ?1 WHERE id = ?2", params![who.time, id])
                .map_err(|e| refused(format!("incident {id}: {e}")))?;
            seal_people(tx, id)?;
            touched.push(("incidents", id.to_string()));
            let ev = INCIDENTS.event(tx, id, who, kind, serde_json::json!({"people": n, "notice": notice}))?;
            touched.push(("incident_events", ev.to_string()));
            Ok((n, touched))
        })
    }

    /// Close an incident: every report due filed and every person notified or excepted.
    pub fn close_incident(&mut self, who: &Who, id: i64, reason: &str, today: &str) -> Result<(), RegistryError> {
        let i = self.open_incident_one(id)?;
        text("--reason", reason)?;
        if i.preliminary_filed.is_some() && i.final_filed.is_none() {
            return Err(refused(format!(
                "incident {id}: the preliminary report was filed: file the final report (stating the outcome) before closing"
            )));
        }
        if i.assessment.report_required {
            if i.final_filed.is_none() {
                return Err(refused(format!("incident {id}: the final report has not been filed")));
            }
            if i.notices.pending() > 0 {
                return Err(refused(format!(
                    "incident {id}: {} people have neither a notice nor an exception recorded",
                    i.notices.pending()
                )));
            }
        }
        self.incident_step(
            who,
            (id, i.steps),
            "incident-closed",
            &[("status", "closed".to_string().into()), ("closed", format!("{today}: {reason}").into())],
            serde_json::json!({"reason": reason}),
        )
    }

    /// One incident.
    pub fn incident(&self, id: i64) -> Result<Option<StoredIncident>, RegistryError> {
        Ok(self.incidents_where(Some(id))?.pop())
    }

    /// Every incident, oldest first.
    pub fn incidents(&self) -> Result<Vec<StoredIncident>, RegistryError> {
        self.incidents_where(None)
    }

    /// The people of an incident with their notice, if any.
    pub fn incident_people(&self, id: i64) -> Result<Vec<(String, Option<Notice>)>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT subject, notice FROM incident_people WHERE incident_id = ?1 ORDER BY subject")
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.db(e))?;
        rows.into_iter()
            .map(|(s, n)| Ok((s, n.map(|n| serde_json::from_str(&n)).transpose().map_err(|e| self.db(e))?)))
            .collect()
    }

    /// An incident's timeline.
    pub fn incident_events(&self, id: i64) -> Result<Vec<crate::Event>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT time, operator, event, detail FROM incident_events WHERE incident_id = ?1 ORDER BY id")
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map([id], |r| {
                Ok(crate::Event {
                    time: r.get(0)?,
                    operator: r.get(1)?,
                    event: r.get(2)?,
                    detail: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or(serde_json::Value::Null),
                })
            })
            .map_err(|e| self.db(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.db(e))
    }

    fn open_incident_one(&self, id: i64) -> Result<StoredIncident, RegistryError> {
        let i = self.incident(id)?.ok_or_else(|| refused(format!("no incident {id}")))?;
        if i.status != "open" {
            return Err(refused(format!("incident {id} is closed")));
        }
        Ok(i)
    }

    fn incidents_where(&self, id: Option<i64>) -> Result<Vec<StoredIncident>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT i.id, i.status, i.facts, i.scope, i.assessment, i.preliminary_due, i.final_due,
                    i.preliminary_filed, i.final_filed, i.closed,
                    (SELECT count(*) FROM incident_events e WHERE e.incident_id = i.id),
                    (SELECT count(*) FROM incident_people p WHERE p.incident_id = i.id),
                    (SELECT count(*) FROM incident_people p WHERE p.incident_id = i.id AND p.notice LIKE '{\"status\":\"sent\"%'),
                    (SELECT count(*) FROM incident_people p WHERE p.incident_id = i.id AND p.notice LIKE '{\"status\":\"exception\"%')
                 FROM incidents i WHERE ?1 IS NULL OR i.id = ?1 ORDER BY i.id",
            )
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    [r.get::<_, String>(2)?, r.get(3)?, r.get(4)?],
                    [r.get::<_, Option<String>>(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?],
                    [r.get::<_, i64>(10)?, r.get(11)?, r.get(12)?, r.get(13)?],
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.db(e))?;
        rows.into_iter()
            .map(
                |(
                    id,
                    status,
                    [facts, scope, assessment],
                    [pd, fd, pf, ff, closed],
                    [steps, people, sent, excepted],
                )| {
                    Ok(StoredIncident {
                        id,
                        status,
                        facts: serde_json::from_str(&facts).map_err(|e| self.db(e))?,
                        scope: serde_json::from_str(&scope).map_err(|e| self.db(e))?,
                        assessment: serde_json::from_str(&assessment).map_err(|e| self.db(e))?,
                        preliminary_due: pd,
                        final_due: fd,
                        preliminary_filed: pf,
                        final_filed: ff,
                        closed,
                        notices: NoticeCounts { people: people as u64, sent: sent as u64, excepted: excepted as u64 },
                        steps,
                    })
                },
            )
            .collect()
    }

    fn incident_step(
        &mut self,
        who: &Who,
        step: (i64, i64),
        action: &str,
        sets: &[(&str, rusqlite::types::Value)],
        detail: serde_json::Value,
    ) -> Result<(), RegistryError> {
        self.timeline_step(&crate::timeline::INCIDENTS, who, step, action, sets, detail)
    }
}

/// SHA-256 of an incident's people and their notices, in subject order.
fn people_digest(conn: &rusqlite::Connection, id: i64) -> rusqlite::Result<String> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let mut stmt =
        conn.prepare("SELECT subject, notice FROM incident_people WHERE incident_id = ?1 ORDER BY subject")?;
    let mut rows = stmt.query([id])?;
    while let Some(r) = rows.next()? {
        h.update(r.get::<_, String>(0)?.as_bytes());
        h.update(b"\t");
        h.update(r.get::<_, Option<String>>(1)?.unwrap_or_default().as_bytes());
        h.update(b"\n");
    }
    Ok(hex::encode(h.finalize()))
}

/// Record the digest of an incident's people in its (journaled) row.
fn seal_people(tx: &rusqlite::Transaction, id: i64) -> Result<(), RegistryError> {
    let d = people_digest(tx, id).map_err(|e| refused(format!("incident {id}: {e}")))?;
    tx.execute("UPDATE incidents SET people_digest = ?1 WHERE id = ?2", params![d, id])
        .map_err(|e| refused(format!("incident {id}: {e}")))?;
    Ok(())
}

impl Registry {
    /// Incidents whose people (or notices) differ from the digest their row carries, and people
    /// of no incident: rows added, edited or deleted outside tokumei.
    pub(crate) fn incident_problems(&self) -> Result<Vec<String>, RegistryError> {
        let mut problems = Vec::new();
        let mut stmt =
            self.conn.prepare("SELECT id, people_digest FROM incidents ORDER BY id").map_err(|e| self.db(e))?;
        let rows: Vec<(i64, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))?;
        for (id, recorded) in rows {
            if people_digest(&self.conn, id).map_err(|e| self.db(e))? != recorded {
                problems.push(format!(
                    "incident {id}: its people or their notices differ from what its last change recorded (edited outside tokumei)"
                ));
            }
        }
        let orphans: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM incident_people p WHERE NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = p.incident_id)",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.db(e))?;
        if orphans > 0 {
            problems.push(format!("incident_people: {orphans} rows of no incident (added outside tokumei)"));
        }
        Ok(problems)
    }
}

fn json(v: &impl Serialize) -> Result<String, RegistryError> {
    serde_json::to_string(v).map_err(|e| refused(e.to_string()))
}

/// The `YYYY-MM-DD` of `YYYY-MM-DD[THH:MM]` (the whole text when it has no ASCII date: then it
/// fails the date check rather than being cut inside a character).
fn day_part(s: &str) -> &str {
    s.get(..10).filter(|d| d.is_ascii()).unwrap_or(s)
}

fn valid_time(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 6
        && b[0] == b'T'
        && b[3] == b':'
        && t[1..3].parse::<u32>().is_ok_and(|h| h < 24)
        && t[4..6].parse::<u32>().is_ok_and(|m| m < 60)
}

fn check_facts(e: &IncidentEntry, today: &str) -> Result<(), RegistryError> {
    for (field, v) in [("title", &e.title), ("discovered_by", &e.discovered_by), ("cause", &e.cause)] {
        text(field, v)?;
    }
    let day = e.discovered_day();
    crate::requests::check_day(day, "`discovered`", "1900-01-01", today)?;
    if e.discovered.len() > 10 && !e.discovered.get(10..).is_some_and(valid_time) {
        return Err(refused("`discovered` is YYYY-MM-DD or YYYY-MM-DDTHH:MM"));
    }
    for (field, v) in [
        ("report.summary", &e.report.summary),
        ("report.secondary_harm", &e.report.secondary_harm),
        ("report.actions", &e.report.actions),
        ("report.announcement", &e.report.announcement),
        ("report.prevention", &e.report.prevention),
        ("report.other", &e.report.other),
    ] {
        if !v.is_empty() {
            text(field, v)?;
        }
    }
    let s = &e.scope;
    let scopes = [s.release.is_some(), s.file.is_some()].iter().filter(|b| **b).count();
    if scopes != 1 {
        return Err(refused(
            "`[scope]` names one `release` or one `file` (with `where`, `columns`, `deleted_items` as needed)",
        ));
    }
    if s.release.is_some() && (s.filter.is_some() || s.deleted_items) {
        return Err(refused("`[scope]`: `where` and `deleted_items` go with a `file`, not a `release`"));
    }
    Ok(())
}

fn checked_subjects(subjects: &[String]) -> Result<Vec<String>, RegistryError> {
    let mut out: Vec<String> = Vec::with_capacity(subjects.len());
    for s in subjects {
        check_subject(s)?;
        out.push(normalize_subject(s));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(actor: Actor) -> Profile {
        let kind = if actor == Actor::PublicBody { "municipality" } else { "other" };
        toml::from_str(&format!("body = \"見本市\"\nactor = \"{}\"\nbody_kind = \"{kind}\"\n", actor.as_str())).unwrap()
    }

    fn entry() -> IncidentEntry {
        toml::from_str(
            "title = \"USBメモリの紛失\"\ndiscovered = \"2026-04-01\"\ndiscovered_by = \"税務課\"\nkind = \"loss\"\ncause = \"紛失\"\n[scope]\nfile = \"住民基本台帳ファイル\"\n",
        )
        .unwrap()
    }

    fn scope(people: u64, items: &[(&str, Option<&str>, bool)]) -> ScopeFound {
        ScopeFound {
            kind: "file".into(),
            items: items
                .iter()
                .map(|(n, c, f)| Item {
                    name: n.to_string(),
                    special_care: c.map(String::from),
                    financial: *f,
                    my_number: false,
                })
                .collect(),
            records: people,
            people,
            basis: "test".into(),
            ..Default::default()
        }
    }

    fn fired(a: &Assessment) -> Vec<&str> {
        a.triggers.iter().filter(|t| t.fired).map(|t| t.code.as_str()).collect()
    }

    #[test]
    fn head_count_thresholds_by_actor() {
        let (public, business) = (profile(Actor::PublicBody), profile(Actor::Business));
        let e = entry();
        assert!(!assess(&public, &e, &scope(100, &[])).report_required);
        assert_eq!(fired(&assess(&public, &e, &scope(101, &[]))), vec!["4"]);
        assert!(!assess(&business, &e, &scope(1000, &[])).report_required);
        assert_eq!(fired(&assess(&business, &e, &scope(1001, &[]))), vec!["4"]);
        // Businesses have no ordinance trigger.
        assert!(assess(&business, &e, &scope(1, &[])).triggers.iter().all(|t| t.code != "5"));
        let mut lowered = public.clone();
        lowered.leak_threshold = Some(10);
        assert!(assess(&lowered, &e, &scope(11, &[])).report_required);
    }

    #[test]
    fn each_trigger_and_the_exemptions() {
        let p = profile(Actor::PublicBody);
        let mut e = entry();
        assert_eq!(fired(&assess(&p, &e, &scope(3, &[("病歴", Some("要配慮"), false)]))), vec!["1"]);
        assert_eq!(fired(&assess(&p, &e, &scope(3, &[("口座番号", None, true)]))), vec!["2"]);
        assert_eq!(fired(&assess(&p, &e, &scope(3, &[("生活保護", Some("条例要配慮"), false)]))), vec!["5"]);
        let mut ord = p.clone();
        ord.ordinance_sensitive = vec!["生活保護".into()];
        assert_eq!(fired(&assess(&ord, &e, &scope(3, &[("生活保護", None, false)]))), vec!["5"]);
        e.unlawful_purpose = true;
        let a = assess(&p, &e, &scope(3, &[]));
        assert_eq!(fired(&a), vec!["3"]);
        assert_eq!((a.preliminary_days, a.final_days), (Some(5), Some(60)));
        e.unlawful_purpose = false;
        e.unauthorised_access = true;
        assert!(!assess(&p, &e, &scope(3, &[])).report_required);
        // Strong encryption exempts; a public body's pseudonymised data never are.
        e.encrypted = true;
        let a = assess(&p, &e, &scope(500, &[]));
        assert!(a.exemption.is_some() && !a.report_required && fired(&a) == vec!["4"]);
        e.encrypted = false;
        let mut pseudo = scope(500, &[]);
        pseudo.kind = "release".into();
        pseudo.release_mode = Some("pseudonymized".into());
        let a = assess(&p, &e, &pseudo);
        assert!(a.report_required && a.exemption.is_none() && a.regime == "article68");
        let b = assess(&profile(Actor::Business), &e, &ScopeFound { people: 5000, ..pseudo.clone() });
        assert!(!b.report_required && b.exemption.is_some() && b.regime == "article26");
        // A leaked anonymised release provided under a contract is a contract incident; one the
        // body kept for itself is still personal information to it.
        pseudo.release_mode = Some("anonymized".into());
        let internal = assess(&p, &e, &ScopeFound { people: 5000, ..pseudo.clone() });
        assert_eq!(internal.regime, "article68");
        pseudo.contract_id = Some(1);
        let c = assess(&p, &e, &ScopeFound { people: 5000, ..pseudo });
        assert_eq!(c.regime, "contract");
        assert!(!c.report_required && c.triggers.is_empty() && !c.contract_measures.is_empty());
    }

    #[test]
    fn deadlines_from_discovery() {
        let p = profile(Actor::PublicBody);
        let mut e = entry();
        // 2026-04-01 (Wednesday): 速報 +5 = 04-06; 確報 +30 = 05-01 (Friday).
        let a = assess(&p, &e, &scope(101, &[]));
        assert_eq!(due_dates(&p, "2026-04-01", &a), (Some("2026-04-06".into()), Some("2026-05-01".into())));
        // +30 lands on Saturday 2026-05-02 -> past the national holidays of 3-6 May -> 05-07.
        assert_eq!(due_dates(&p, "2026-04-02", &a).1.as_deref(), Some("2026-05-07"));
        // 60 days with an unlawful purpose; over the new year.
        e.unlawful_purpose = true;
        let a = assess(&p, &e, &scope(1, &[]));
        assert_eq!(due_dates(&p, "2026-11-01", &a).1.as_deref(), Some("2027-01-04"));
        // No report, no dates.
        e.unlawful_purpose = false;
        assert_eq!(due_dates(&p, "2026-04-01", &assess(&p, &e, &scope(1, &[]))), (None, None));
    }

    #[test]
    fn japanese_kinds_and_the_preliminary_days_range() {
        let e: IncidentEntry = toml::from_str(
            "title = \"t\"\ndiscovered = \"2026-04-01\"\ndiscovered_by = \"x\"\nkind = \"滅失\"\ncause = \"c\"\n[scope]\nfile = \"f\"\n",
        )
        .unwrap();
        assert_eq!(e.kind, EventKind::Loss);
        let mut p = profile(Actor::PublicBody);
        for (days, ok) in [(2, false), (3, true), (5, true), (6, false)] {
            p.incident_preliminary_days = days;
            assert_eq!(p.check().is_ok(), ok, "{days}");
        }
    }

    #[test]
    fn updates_merge_tables() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("u.toml");
        std::fs::write(&f, "unlawful_purpose = true\n[report]\nprevention = \"暗号化の徹底\"\n").unwrap();
        let mut e = entry();
        e.report.summary = "概要".into();
        let u = e.updated(&f).unwrap();
        assert!(u.unlawful_purpose);
        assert_eq!((u.report.summary.as_str(), u.report.prevention.as_str()), ("概要", "暗号化の徹底"));
        assert_eq!(u.scope, e.scope);
        std::fs::write(&f, "colour = 1\n").unwrap();
        assert!(e.updated(&f).is_err());
    }
}
