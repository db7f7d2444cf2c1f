//! Leak incidents (漏えい等): a personal-data leak, loss or damage, confirmed or suspected, from
//! discovery to the reports to the Personal Information Protection Commission and the notices
//! to the people affected (法68 for public bodies, 法26 for businesses; for 特定個人情報 also
//! 番号法29条の4 with its own report), or, for a leaked anonymised release, a contract incident
//! (法120/121: not personal information, no report).
//!
//! The officer states the facts (an intake file, updated as they change: every version is an
//! event, none is overwritten); the scope (a release, a registered file narrowed by a filter, or
//! a file's deleted items) gives the items and the people, computed from the data by the caller.
//! [`assess`] decides from both which triggers fire (規則43条 / 7条, and 番号法の報告規則2条), whether
//! an exemption applies and so whether reports and notices are due, and when (速報 within the
//! profile's 3-5 days, 確報 within 30 days, 60 with an unlawful purpose, the day of learning
//! counted as day 1 unless the profile records another reading with its source).
//!
//! Where the law or the guidance leaves a reading open, the one that protects the person is
//! taken: a cause that is the guidance's example of an unlawful purpose (unauthorised access,
//! theft, staff taking data out) fires trigger 3 unless the officer records why none is suspected;
//! a medium lost outside the body's control is a 漏えいのおそれ, not only a 滅失; any unencrypted
//! 特定個人情報 is taken as handled in a 個人番号利用事務 system (報告規則2条1号).

use crate::check::text;
use crate::deadline::{add_days, next_open_day};
use crate::files::{read_small, toml_message};
use crate::refuse;
use crate::requests::{check_subject, normalize_subject};
use crate::timeline::INCIDENTS;
use crate::{Actor, Profile, Registry, RegistryError, Who};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use std::path::Path;

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

/// What caused the event, as the officer classifies it (`causes = [...]` in the intake; English
/// or Japanese words; an unknown word is an error). The free-text `cause` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// 不正アクセス (hacking, an intrusion into a system): the guidance's example of trigger 3.
    #[serde(alias = "不正アクセス", alias = "hacking", alias = "ハッキング", alias = "unauthorized_access")]
    UnauthorisedAccess,
    /// マルウェア・ランサムウェア (an attack by malicious software): trigger 3.
    #[serde(alias = "マルウェア", alias = "ランサムウェア", alias = "ウイルス感染", alias = "ransomware")]
    Malware,
    /// 盗難 (a device, medium or document stolen): trigger 3, and the data left the body's control.
    #[serde(alias = "盗難", alias = "窃取", alias = "stolen")]
    Theft,
    /// 持ち出し (従業者による不正な持出し: staff took data out): trigger 3, data outside control.
    #[serde(
        alias = "持ち出し",
        alias = "持出し",
        alias = "不正な持出し",
        alias = "不正な持ち出し",
        alias = "従業者による不正な持出し",
        alias = "従業者による不正な持ち出し",
        alias = "taking_data_out",
        alias = "insider"
    )]
    TakingOut,
    /// 詐欺・なりすまし (data handed to someone posing as entitled): trigger 3.
    #[serde(alias = "詐欺", alias = "なりすまし", alias = "impersonation")]
    Fraud,
    /// 紛失・置き忘れ (a medium or document lost where others may find it: outside the office,
    /// or anywhere not known to be under the body's control): a 漏えいのおそれ.
    #[serde(alias = "紛失", alias = "置き忘れ", alias = "庁外での紛失", alias = "lost", alias = "lost_outside")]
    Lost,
    /// 庁内での紛失 (lost inside premises no outsider can enter): a 滅失 when no copy remains.
    #[serde(alias = "庁内での紛失", alias = "lost_inside")]
    LostOnPremises,
    /// 誤送付・誤送信・誤交付 (sent or handed to the wrong person).
    #[serde(alias = "誤送付", alias = "誤送信", alias = "誤交付", alias = "誤配布", alias = "misaddressed")]
    Misdelivery,
    /// 誤公開・設定誤り (made viewable by mistake: a web page, a shared folder, a setting).
    #[serde(alias = "誤公開", alias = "誤掲載", alias = "設定誤り", alias = "misconfiguration")]
    Exposure,
    /// 誤廃棄・誤消去 (destroyed or erased by mistake).
    #[serde(alias = "誤廃棄", alias = "誤消去", alias = "disposal")]
    MistakenDisposal,
    /// システム障害 (a failure of a system or medium).
    #[serde(alias = "システム障害", alias = "障害", alias = "failure")]
    SystemFailure,
    /// その他.
    #[serde(alias = "その他")]
    Other,
}

impl Cause {
    /// Its Japanese name.
    pub fn label(self) -> &'static str {
        match self {
            Cause::UnauthorisedAccess => "不正アクセス",
            Cause::Malware => "マルウェア・ランサムウェア",
            Cause::Theft => "盗難",
            Cause::TakingOut => "従業者等による持ち出し",
            Cause::Fraud => "詐欺・なりすまし",
            Cause::Lost => "紛失・置き忘れ",
            Cause::LostOnPremises => "庁内での紛失",
            Cause::Misdelivery => "誤送付・誤送信",
            Cause::Exposure => "誤公開・設定誤り",
            Cause::MistakenDisposal => "誤廃棄・誤消去",
            Cause::SystemFailure => "システム障害",
            Cause::Other => "その他",
        }
    }

    /// Whether the guidance gives this cause as an example of an event made with an unlawful
    /// purpose (規則43条3号 / 7条3号: 不正アクセス, 盗難, 従業者による持出し, ransomware, fraud).
    pub fn suggests_unlawful_purpose(self) -> bool {
        matches!(self, Cause::UnauthorisedAccess | Cause::Malware | Cause::Theft | Cause::TakingOut | Cause::Fraud)
    }

    /// Whether the data left the body's control (a lost, stolen or taken-out medium): the event is
    /// a leak, suspected at least, whatever else it is.
    pub fn outside_control(self) -> bool {
        matches!(self, Cause::Lost | Cause::Theft | Cause::TakingOut)
    }
}

/// Words of a free-text cause that the guidance's examples of an unlawful purpose use
/// (不正アクセス, 盗難, 持出し, ransomware...): a cause described so fires trigger 3 even when
/// `causes` does not classify it (fail safe), unless the officer records why none is suspected.
const UNLAWFUL_WORDS: &[&str] = &[
    "不正アクセス",
    "不正ログイン",
    "ハッキング",
    "盗難",
    "盗まれ",
    "窃取",
    "窃盗",
    "持ち出",
    "持出",
    "ランサムウェア",
    "マルウェア",
    "ウイルス",
    "ウィルス",
    "なりすまし",
    "詐欺",
    "hack",
    "theft",
    "stolen",
    "ransomware",
    "malware",
    "unauthorised access",
    "unauthorized access",
    "exfiltrat",
];

/// Words of a free-text cause that say a medium was lost or left somewhere (紛失, 置き忘れ...).
const LOST_WORDS: &[&str] = &["紛失", "置き忘れ", "置忘れ", "所在不明", "行方不明", "lost", "misplaced"];

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
    /// The causes, classified (`causes = ["theft"]`; see [`Cause`]).
    #[serde(default)]
    pub causes: Vec<Cause>,
    /// Caused by unauthorised access (不正アクセス): the same as `causes = ["unauthorised_access"]`.
    #[serde(default)]
    pub unauthorised_access: bool,
    /// An unlawful purpose is suspected (不正の目的: theft, skimming, an insider selling data).
    #[serde(default)]
    pub unlawful_purpose: bool,
    /// The officer's recorded reason why no unlawful purpose is suspected although the cause is
    /// one the guidance gives as its example (unauthorised access, theft, staff taking data out):
    /// without it such a cause fires trigger 3. Kept in the facts (journaled) and printed in the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_unlawful_purpose_reason: Option<String>,
    /// The data were protected by strong encryption (高度な暗号化等) and the key did not leak.
    #[serde(default)]
    pub encrypted: bool,
    /// What the encryption was and why its key did not leak: required with `encrypted = true`,
    /// which exempts from every report and notice (kept in the facts and printed with the exemption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_basis: Option<String>,
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
        let mut e: IncidentEntry =
            toml::Value::Table(base).try_into().map_err(|e: toml::de::Error| err(e.message().to_string()))?;
        // `no_unlawful_purpose_reason = ""` withdraws a reason recorded before.
        if e.no_unlawful_purpose_reason.as_deref().is_some_and(|r| r.trim().is_empty()) {
            e.no_unlawful_purpose_reason = None;
        }
        // `encryption_basis = ""` withdraws a basis (with `encrypted = false`).
        if e.encryption_basis.as_deref().is_some_and(|r| r.trim().is_empty()) {
            e.encryption_basis = None;
        }
        Ok(e)
    }

    /// Every cause classified: `causes`, and `unauthorised_access = true`.
    pub fn all_causes(&self) -> Vec<Cause> {
        let mut out = self.causes.clone();
        if self.unauthorised_access && !out.contains(&Cause::UnauthorisedAccess) {
            out.insert(0, Cause::UnauthorisedAccess);
        }
        out
    }

    /// What in the causes is the guidance's example of an unlawful purpose (classified causes,
    /// and words of the free-text cause such as 不正アクセス, 盗難, 持出し), in words.
    pub fn unlawful_signs(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .all_causes()
            .into_iter()
            .filter(|c| c.suggests_unlawful_purpose())
            .map(|c| c.label().to_string())
            .collect();
        let text = self.cause.to_lowercase();
        for w in UNLAWFUL_WORDS.iter().filter(|w| text.contains(*w)) {
            out.push(format!("原因の記述「{w}」"));
        }
        out
    }

    /// Whether the data may have left the body's control: a classified cause says so (lost,
    /// stolen, taken out), or the free-text cause speaks of a lost medium and no cause says it was
    /// lost on the premises.
    pub fn outside_control(&self) -> bool {
        let causes = self.all_causes();
        if causes.iter().any(|c| c.outside_control()) {
            return true;
        }
        let text = self.cause.to_lowercase();
        !causes.contains(&Cause::LostOnPremises)
            && (LOST_WORDS.iter().any(|w| text.contains(*w))
                || ["盗難", "盗まれ", "持ち出", "持出"].iter().any(|w| text.contains(*w)))
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
    /// Whether the My Number Act's own report (番号法29条の4第1項) is due, beside or without the
    /// 法68 / 法26 one, with its notices to the people (同条2項).
    pub my_number_report: bool,
    /// The subparagraphs of the My Number report rule (特定個人情報の漏えい等に関する報告等に関する
    /// 規則2条) and whether each holds; empty when no 特定個人情報 is involved.
    #[serde(default)]
    pub my_number_triggers: Vec<Trigger>,
    /// The event as the law names it (漏えい, 滅失, 毀損, with のおそれ): a medium lost outside the
    /// body's control is a 漏えいのおそれ whatever kind the intake says.
    #[serde(default)]
    pub event: String,
    /// Why the event differs from the intake's kind, if it does.
    #[serde(default)]
    pub event_note: Option<String>,
    /// How the report due dates were counted (the profile's reading, with its source).
    #[serde(default)]
    pub counting: Option<CountingUsed>,
    /// Days to the preliminary and final reports, counted from discovery.
    pub preliminary_days: Option<i64>,
    /// Days to the final report.
    pub final_days: Option<i64>,
    /// For a contract incident: what the officer must consider.
    pub contract_measures: Vec<String>,
}

impl Assessment {
    /// Whether any report to the Commission (and notices to the people) is due: the 法68 / 法26
    /// report, the My Number report (番号法29条の4), or both.
    pub fn reports_due(&self) -> bool {
        self.report_required || self.my_number_report
    }

    /// Whether trigger 3 (an unlawful purpose) holds: the final report is due in 60 days.
    pub fn unlawful_purpose(&self) -> bool {
        self.triggers.iter().any(|t| t.code == "3" && t.fired)
    }
}

/// How the days to a report are counted from the day the unit learned of the incident (profile
/// `incident_counting`). The Rules say "知った日から30日以内"; readings of the guidance count the day
/// of learning as day 1 with weekends and holidays included, so the default is that, the earliest
/// date. Another reading needs its source recorded in the profile (`incident_counting_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IncidentCounting {
    /// The day of learning is day 1, every calendar day counts, a last day on a closed day stays:
    /// due = learned + N - 1 (the default, the earliest reading).
    #[default]
    LearnedDayOne,
    /// The day of learning is day 1; a last day on a closed day moves to the next open day.
    LearnedDayOneNextOpenDay,
    /// Counted from the day after learning (民法140条, 初日不算入): due = learned + N.
    DayAfter,
    /// From the day after learning, a last day on a closed day moved to the next open day.
    DayAfterNextOpenDay,
}

impl IncidentCounting {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentCounting::LearnedDayOne => "learned_day_one",
            IncidentCounting::LearnedDayOneNextOpenDay => "learned_day_one_next_open_day",
            IncidentCounting::DayAfter => "day_after",
            IncidentCounting::DayAfterNextOpenDay => "day_after_next_open_day",
        }
    }

    /// The counting a stored word names.
    pub fn parse(s: &str) -> Option<IncidentCounting> {
        [
            IncidentCounting::LearnedDayOne,
            IncidentCounting::LearnedDayOneNextOpenDay,
            IncidentCounting::DayAfter,
            IncidentCounting::DayAfterNextOpenDay,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    /// The counting in words (Japanese, for the reports).
    pub fn label(self) -> &'static str {
        match self {
            IncidentCounting::LearnedDayOne => {
                "知った日を1日目として暦日で数え（土日・祝日・閉庁日を含む）、期限が閉庁日でも繰り下げない（最も早い読み方）"
            }
            IncidentCounting::LearnedDayOneNextOpenDay => {
                "知った日を1日目として暦日で数え、期限が閉庁日に当たるときは翌開庁日"
            }
            IncidentCounting::DayAfter => "知った日の翌日から起算し（初日不算入）、期限が閉庁日でも繰り下げない",
            IncidentCounting::DayAfterNextOpenDay => {
                "知った日の翌日から起算し（初日不算入）、期限が閉庁日に当たるときは翌開庁日"
            }
        }
    }

    /// The last day of `days` days from `learned` (`None` outside the calendar).
    pub fn due(self, learned: &str, days: i64, closed_days: &[String]) -> Option<String> {
        let last = match self {
            IncidentCounting::LearnedDayOne | IncidentCounting::LearnedDayOneNextOpenDay => {
                add_days(learned, days.checked_sub(1)?)?
            }
            IncidentCounting::DayAfter | IncidentCounting::DayAfterNextOpenDay => add_days(learned, days)?,
        };
        match self {
            IncidentCounting::LearnedDayOneNextOpenDay | IncidentCounting::DayAfterNextOpenDay => {
                next_open_day(&last, closed_days)
            }
            _ => Some(last),
        }
    }
}

/// The counting an incident's due dates were computed with, as recorded in its assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountingUsed {
    /// The profile's word (`learned_day_one`...).
    pub code: String,
    /// In words.
    pub label: String,
    /// The source the profile records for a reading other than the default.
    #[serde(default)]
    pub source: Option<String>,
}

impl CountingUsed {
    /// The profile's counting.
    pub fn of(profile: &Profile) -> CountingUsed {
        let c = profile.incident_counting;
        CountingUsed {
            code: c.as_str().into(),
            label: c.label().into(),
            source: profile.incident_counting_source.clone(),
        }
    }

    /// One line for a report: the reading and its source.
    pub fn describe(&self) -> String {
        match &self.source {
            Some(s) => format!("{}（出典: {s}）", self.label),
            None => self.label.clone(),
        }
    }
}

/// The event as the law names it, and why it differs from the intake's kind: a medium lost,
/// stolen or taken out is outside the body's control, so its data may be seen by others: a
/// 漏えいのおそれ, not (only) a 滅失 (fail safe; the guidance's 滅失 is data lost within the body).
fn assessed_event(e: &IncidentEntry) -> (String, Option<String>) {
    let plain = format!("{}{}", e.kind.label(), if e.suspected { "のおそれ" } else { "" });
    if e.kind == EventKind::Loss && e.outside_control() {
        return (
            "漏えいのおそれ".into(),
            Some(format!(
                "{}と記載されたが、媒体等が本機関の管理の及ばない場所で紛失・盗難・持出しにあったため、第三者に閲覧されるおそれがある漏えい（おそれ）として扱う（庁内での紛失に限る場合は causes = [\"lost_on_premises\"]）",
                e.kind.label()
            )),
        );
    }
    (plain, None)
}

/// Decide the triggers, exemptions and deadlines (pure: the same facts, the same answer).
pub fn assess(profile: &Profile, e: &IncidentEntry, scope: &ScopeFound) -> Assessment {
    let public = profile.actor == Actor::PublicBody;
    // Only data provided to a recipient under a contract (法115) is a contract incident: an
    // anonymised file the body keeps for itself can be matched back to its sources, so it is
    // still personal information to the body.
    let provided_anonymised =
        scope.kind == "release" && scope.release_mode.as_deref() == Some("anonymized") && scope.contract_id.is_some();
    if provided_anonymised {
        return contract_assessment(public, e, scope);
    }
    let triggers = triggers(profile, e, scope);
    let my_number_items: Vec<String> = scope.items.iter().filter(|i| i.my_number).map(|i| i.name.clone()).collect();
    let fired = triggers.iter().any(|t| t.fired);
    let pseudonymised = scope.kind == "release" && scope.release_mode.as_deref() == Some("pseudonymized");
    let exemption = exemption(profile, e, pseudonymised);
    let unlawful = triggers.iter().any(|t| t.code == "3" && t.fired);
    let my_number_triggers = my_number_triggers(e, scope, &my_number_items, unlawful);
    // 報告規則2条: the encryption exemption (1号's parenthesis, "以下同じ") covers every subparagraph.
    let my_number_report = !e.encrypted && my_number_triggers.iter().any(|t| t.fired);
    let report_required = fired && exemption.is_none();
    let due = report_required || my_number_report;
    let (event, event_note) = assessed_event(e);
    Assessment {
        regime: if public { "article68".into() } else { "article26".into() },
        regime_label: if public {
            format!(
                "保有個人情報の{}等（法68条）{}",
                event.trim_end_matches("のおそれ"),
                if pseudonymised { "。仮名化した保有個人情報にも報告の免除はない" } else { "" }
            )
        } else {
            format!("個人データの{}等（法26条）", event.trim_end_matches("のおそれ"))
        },
        triggers,
        exemption,
        report_required,
        my_number_report,
        my_number_triggers,
        event,
        event_note,
        counting: due.then(|| CountingUsed::of(profile)),
        preliminary_days: due.then_some(profile.incident_preliminary_days),
        // 60 days with an unlawful purpose (規則8条2項 / 番号法の報告規則: its 2号 events).
        final_days: due.then_some(if unlawful {
            profile.incident_final_unlawful_days
        } else {
            profile.incident_final_days
        }),
        contract_measures: Vec::new(),
    }
}

/// The assessment of a contract incident: anonymised data provided under a contract are not
/// personal information to the body (no report under 法68条 or 法26条); the contract's measures
/// (法115, 法120, 法113, 法121条2項) apply.
fn contract_assessment(public: bool, e: &IncidentEntry, scope: &ScopeFound) -> Assessment {
    Assessment {
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
        my_number_triggers: Vec::new(),
        event: assessed_event(e).0,
        event_note: None,
        counting: None,
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
    }
}

/// The report triggers, each with why it fired or not: 要配慮個人情報 (1), a risk of financial
/// harm (2), an unlawful purpose (3), more people than the threshold (4), and for a public body
/// 条例要配慮個人情報 (5). Items no rule file classifies count as possibly 要配慮 (fail closed).
fn triggers(profile: &Profile, e: &IncidentEntry, scope: &ScopeFound) -> Vec<Trigger> {
    let public = profile.actor == Actor::PublicBody;
    let threshold = profile.leak_threshold.unwrap_or(if public { 100 } else { 1000 });
    let names = |f: &dyn Fn(&Item) -> bool| -> Vec<String> {
        scope.items.iter().filter(|i| f(i)).map(|i| i.name.clone()).collect()
    };
    let sensitive = names(&|i| i.special_care.as_deref() == Some("要配慮"));
    let ordinance =
        names(&|i| i.special_care.as_deref() == Some("条例要配慮") || profile.ordinance_sensitive.contains(&i.name));
    let financial = names(&|i| i.financial);
    let listed = |v: &[String]| v.join("、");
    let signs = e.unlawful_signs();
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
            // Unauthorised access, theft and staff taking data out are the guidance's examples of
            // an unlawful purpose: they fire unless the officer records why none is suspected.
            fired: e.unlawful_purpose || (!signs.is_empty() && e.no_unlawful_purpose_reason.is_none()),
            why: match (&e.no_unlawful_purpose_reason, signs.is_empty()) {
                _ if e.unlawful_purpose => format!("不正の目的が疑われる（担当者の認定。原因: {}）", e.cause),
                (None, false) => format!(
                    "{}: 個人情報保護委員会のガイドラインが不正の目的のおそれの例とする原因のため該当として扱う（不正の目的が疑われない理由を no_unlawful_purpose_reason に記録すれば非該当）",
                    listed(&signs)
                ),
                (Some(r), false) => {
                    format!("{}によるが、不正の目的は疑われない（担当者が記録した理由: {r}）", listed(&signs))
                }
                _ => "不正の目的は疑われていない".into(),
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
    triggers
}

/// Why no report or notice is due despite a trigger, if so: high-grade encryption (the key not
/// leaked), or, for a business, pseudonymised personal data (法41条9項: 法26条 does not apply).
fn exemption(profile: &Profile, e: &IncidentEntry, pseudonymised: bool) -> Option<String> {
    if e.encrypted {
        Some(format!(
            "高度な暗号化その他の個人の権利利益を保護するために必要な措置が講じられている（報告・通知の対象外。鍵も漏えいした場合は対象）{}",
            e.encryption_basis.as_deref().map(|b| format!("。担当者が記録した根拠: {b}")).unwrap_or_default()
        ))
    } else if pseudonymised && profile.actor == Actor::Business {
        Some("仮名加工情報である個人データ（法41条9項により法26条は適用されない）".into())
    } else {
        None
    }
}

/// The subparagraphs of the My Number report rule (特定個人情報の漏えい等に関する報告等に関する
/// 規則2条) for an incident involving 特定個人情報 (empty otherwise). Fail safe: the tool cannot see
/// in which system the data were handled, so 1号 (特定個人情報 in the 情報提供ネットワークシステム, a
/// 個人番号利用事務 system, a public body's 個人番号関係事務 system or its contractor's: イ-ニ) is
/// taken to hold for every 漏えい, 滅失 or 毀損 of them, whatever the number of people.
fn my_number_triggers(e: &IncidentEntry, scope: &ScopeFound, items: &[String], unlawful: bool) -> Vec<Trigger> {
    if !e.my_number && items.is_empty() {
        return Vec::new();
    }
    let found = if items.is_empty() {
        "担当者の認定（my_number = true）".to_string()
    } else {
        format!("個人番号の項目: {}", items.join("、"))
    };
    vec![
        Trigger {
            code: "1".into(),
            name: "個人番号利用事務等の情報システムで管理される特定個人情報の漏えい等（本人の数を問わない）".into(),
            fired: true,
            why: format!(
                "{found}。情報提供ネットワークシステム・個人番号利用事務の情報システム等（規則2条1号イ～ニ）で管理される特定個人情報として扱う（紙媒体への出力等を含め、安全側の読み方）"
            ),
        },
        Trigger {
            code: "2".into(),
            name: "不正の目的をもって行われたおそれがある特定個人情報の漏えい等".into(),
            fired: unlawful,
            why: if unlawful {
                "個人情報保護法の報告対象事態3号（不正の目的）と同じ事実".into()
            } else {
                "不正の目的のおそれなし".into()
            },
        },
        Trigger {
            code: "4".into(),
            name: "漏えい等が発生した特定個人情報に係る本人の数が100人を超える".into(),
            fired: scope.people > 100,
            why: format!("本人の数 {} 人（{}）", scope.people, scope.basis),
        },
    ]
}

/// The report due dates from discovery, counted as the profile says ([`IncidentCounting`]; by
/// default the day of learning is day 1 and a last day on a closed day is not moved): the
/// preliminary one after the profile's 3-5 days (速報 is due "promptly"), the final one after 30
/// (60) days. The same dates serve the 法68 / 法26 report and the My Number report.
pub fn due_dates(profile: &Profile, discovered: &str, a: &Assessment) -> (Option<String>, Option<String>) {
    let c = profile.incident_counting;
    let pre = a.preliminary_days.and_then(|d| c.due(discovered, d, &profile.closed_days));
    let fin = a.final_days.and_then(|d| c.due(discovered, d, &profile.closed_days));
    (pre, fin)
}

/// The items of a scope in words, each with what marks it (要配慮, financial, 個人番号).
fn item_words(i: &StoredIncident) -> Vec<String> {
    i.scope
        .items
        .iter()
        .map(|it| {
            let mut s = it.name.clone();
            if let Some(c) = &it.special_care {
                s.push_str(&format!("（{c}）"));
            }
            if it.financial {
                s.push_str("（財産的被害のおそれ）");
            }
            if it.my_number {
                s.push_str("（個人番号）");
            }
            s
        })
        .collect()
}

/// The fields both report drafts share (the nine items of 規則44条 / 8条 and of the My Number
/// report rule's 3条 are the same in substance): reporter, when known, outline, items, people,
/// cause, secondary harm, actions towards the people, announcement, prevention, other, due dates.
fn common_draft(p: &Profile, i: &StoredIncident, stage: &str) -> serde_json::Value {
    let f = &i.facts;
    let notified = format!(
        "本人{}人のうち通知済み{}人、通知の例外{}人、未通知{}人",
        i.notices.people,
        i.notices.sent,
        i.notices.excepted,
        i.notices.pending()
    );
    serde_json::json!({
        "stage": stage,
        "stage_ja": if stage == "preliminary" { "速報" } else { "確報" },
        "incident": i.id,
        "title": f.title,
        "known": {"discovered": f.discovered, "discovered_by": f.discovered_by},
        "outline": {
            "summary": f.report.summary,
            "kind": i.event(),
            "event_note": i.assessment.event_note,
            "unauthorised_access": f.all_causes().contains(&Cause::UnauthorisedAccess),
            "causes": f.all_causes().iter().map(|c| c.label()).collect::<Vec<_>>(),
            "contractor": f.contractor,
        },
        "items": item_words(i),
        "people": i.scope.people,
        "people_basis": i.scope.basis,
        "records": i.scope.records,
        "cause": f.cause,
        "no_unlawful_purpose_reason": f.no_unlawful_purpose_reason,
        "secondary_harm": f.report.secondary_harm,
        "actions_towards_people": if f.report.actions.is_empty() { notified.clone() } else { format!("{}（{notified}）", f.report.actions) },
        "public_announcement": f.report.announcement,
        "prevention": f.report.prevention,
        "other": f.report.other,
        "exemption": i.assessment.exemption,
        "due": if stage == "preliminary" { &i.preliminary_due } else { &i.final_due },
        "counting": i.assessment.counting.as_ref().map(|c| c.describe()),
        "filed": {"preliminary": i.preliminary_filed, "final": i.final_filed},
        "scope": {"kind": i.scope.kind, "file": i.scope.file, "release_id": i.scope.release_id, "filtered": i.scope.filter.is_some(), "sources": i.scope.sources},
        "body": p.body,
    })
}

/// The Commission report draft under 法68 (public body) or 法26 (business): every field of
/// 規則44条 / 8条, the triggers that fired, the due date and how it was counted. `required` says
/// whether the report is due (a draft of one not due is a voluntary report). The condition that
/// selected the records is not repeated (it may name a person's values).
pub fn report_draft(p: &Profile, i: &StoredIncident, stage: &str) -> serde_json::Value {
    let mut v = common_draft(p, i, stage);
    let extra = serde_json::json!({
        "reporter": {"body": p.body, "body_code": p.body_code, "actor": match p.actor {
            Actor::PublicBody => "行政機関等（地方公共団体）",
            Actor::Business => "個人情報取扱事業者",
            Actor::Article58 => "法58条の法人",
        }},
        "regime": i.assessment.regime_label,
        "regime_code": i.assessment.regime,
        "required": i.assessment.report_required,
        "triggers": i.assessment.triggers.iter().filter(|t| t.fired).map(|t| serde_json::json!({"code": t.code, "name": t.name, "why": t.why})).collect::<Vec<_>>(),
        "my_number_report": i.assessment.my_number_report,
    });
    if let (Some(o), serde_json::Value::Object(x)) = (v.as_object_mut(), extra) {
        o.extend(x);
    }
    v
}

/// The My Number report draft (番号法29条の4第1項, 特定個人情報の漏えい等に関する報告等に関する規則):
/// its own items (3条1項: 概要, 特定個人情報の項目, 本人の数, 原因, 二次被害, 本人への対応, 公表,
/// 再発防止, その他), the subparagraphs of 2条 that hold, the due date (3条2項: 30 days, 60 for
/// 2号) and how it was counted. `None` when no My Number report is due.
pub fn my_number_draft(p: &Profile, i: &StoredIncident, stage: &str) -> Option<serde_json::Value> {
    if !i.assessment.my_number_report {
        return None;
    }
    let mut v = common_draft(p, i, stage);
    let extra = serde_json::json!({
        "law": "行政手続における特定の個人を識別するための番号の利用等に関する法律第29条の4第1項",
        "rule": "特定個人情報の漏えい等に関する報告等に関する規則",
        "reporter": {"body": p.body, "body_code": p.body_code, "role": match p.actor {
            Actor::PublicBody => "個人番号利用事務等実施者（地方公共団体）",
            _ => "個人番号利用事務等実施者",
        }},
        "events": i.assessment.my_number_triggers.iter().filter(|t| t.fired).map(|t| serde_json::json!({"code": t.code, "name": t.name, "why": t.why})).collect::<Vec<_>>(),
        "appi_report": {
            "required": i.assessment.report_required,
            "regime": i.assessment.regime_label,
            "note": if i.assessment.report_required {
                "個人情報保護法による報告（別紙）と併せて提出する"
            } else {
                "個人情報保護法による報告の対象事態には該当しない（番号法による報告のみ）"
            },
        },
    });
    if let (Some(o), serde_json::Value::Object(x)) = (v.as_object_mut(), extra) {
        o.extend(x);
    }
    Some(v)
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

/// The reports of an incident to the Commission: 速報 and 確報.
pub const STAGES: [&str; 2] = ["preliminary", "final"];

/// How a notice to a person is sent.
pub const NOTICE_METHODS: [&str; 5] = ["mail", "phone", "email", "hand", "other"];

/// Why a person is not notified (法68条2項ただし書): notice impossible (a substitute measure
/// taken), or the data contain 不開示情報.
pub const EXCEPTION_GROUNDS: [&str; 2] = ["impossible", "nondisclosable"];

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
    /// Set when the stored assessment of this open incident predates the current rules (no
    /// 番号法29条の4 checks, no recorded counting): the assessment and dates shown are the current
    /// law's, computed on read (the earlier of each stored and new date), and this says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reassessed: Option<String>,
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
    /// The event as the law names it (漏えい, 滅失, 毀損, with のおそれ), as assessed: a medium lost
    /// outside the body's control is a 漏えいのおそれ. An incident assessed before the assessment
    /// recorded it: the intake's kind.
    pub fn event(&self) -> String {
        if self.assessment.event.is_empty() {
            format!("{}{}", self.facts.kind.label(), if self.facts.suspected { "のおそれ" } else { "" })
        } else {
            self.assessment.event.clone()
        }
    }

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
            .map_err(|e| refuse::storage(format!("incident: {e}")))?;
            let id = tx.last_insert_rowid();
            let mut stmt = tx
                .prepare("INSERT INTO incident_people (incident_id, subject) VALUES (?1, ?2)")
                .map_err(|e| refuse::storage(format!("incident people: {e}")))?;
            for s in &subjects {
                stmt.execute(params![id, s]).map_err(|e| refuse::storage(format!("incident people: {e}")))?;
            }
            seal_people(tx, id)?;
            let mut touched = vec![("incidents", id.to_string())];
            let ev = INCIDENTS.event(tx,
                id,
                who,
                "opened",
                serde_json::json!({"facts": e, "people": scope.people, "regime": a.regime, "report_required": a.report_required, "my_number_report": a.my_number_report,
                    "no_unlawful_purpose_reason": e.no_unlawful_purpose_reason, "counting": a.counting,
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
            return Err(refuse::state(format!(
                "incident {id}: the preliminary report was filed with discovery on {}; a different date is a correction to report to the Commission, not an update",
                old.facts.discovered_day()
            )));
        }
        // The report days run from the day the unit learned of it (規則44条「知った日から」): an
        // update may find that day was earlier, never move it later (the due dates would move
        // later with it).
        if e.discovered_day() > old.facts.discovered_day() {
            return Err(refuse::law(format!(
                "incident {id}: it was recorded as learned on {}; an update may set an earlier day, never a later one (the report due dates count from it and would move later)",
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
            .map_err(|e| refuse::storage(format!("incident {id}: {e}")))?;
            // People the scope no longer holds and not yet notified are not affected after all;
            // those notified or excepted stay (what was done stays on record).
            let before: i64 = tx
                .query_row("SELECT count(*) FROM incident_people WHERE incident_id = ?1", [id], |r| r.get(0))
                .map_err(|e| refuse::storage(format!("incident people: {e}")))?;
            tx.execute("CREATE TEMP TABLE IF NOT EXISTS scope_now (subject TEXT PRIMARY KEY)", [])
                .and_then(|_| tx.execute("DELETE FROM scope_now", []))
                .map_err(|e| refuse::storage(format!("incident people: {e}")))?;
            {
                let mut now = tx
                    .prepare("INSERT OR IGNORE INTO scope_now (subject) VALUES (?1)")
                    .map_err(|e| refuse::storage(format!("incident people: {e}")))?;
                for s in &subjects {
                    now.execute([s]).map_err(|e| refuse::storage(format!("incident people: {e}")))?;
                }
            }
            let dropped = tx
                .execute(
                    "DELETE FROM incident_people WHERE incident_id = ?1 AND notice IS NULL
                     AND subject NOT IN (SELECT subject FROM scope_now)",
                    [id],
                )
                .map_err(|e| refuse::storage(format!("incident people: {e}")))?;
            let mut stmt = tx
                .prepare("INSERT OR IGNORE INTO incident_people (incident_id, subject) VALUES (?1, ?2)")
                .map_err(|e| refuse::storage(format!("incident people: {e}")))?;
            for s in &subjects {
                stmt.execute(params![id, s]).map_err(|e| refuse::storage(format!("incident people: {e}")))?;
            }
            tx.execute("DROP TABLE IF EXISTS scope_now", []).map_err(|e| refuse::storage(format!("incident people: {e}")))?;
            seal_people(tx, id)?;
            let after: i64 = tx
                .query_row("SELECT count(*) FROM incident_people WHERE incident_id = ?1", [id], |r| r.get(0))
                .map_err(|e| refuse::storage(format!("incident people: {e}")))?;
            let mut touched = vec![("incidents", id.to_string())];
            let ev = INCIDENTS.event(tx,
                id,
                who,
                "updated",
                serde_json::json!({"facts": e, "people": scope.people, "people_recorded": {"before": before, "after": after, "no_longer_affected": dropped},
                    "regime": a.regime, "report_required": a.report_required, "my_number_report": a.my_number_report,
                    "no_unlawful_purpose_reason": e.no_unlawful_purpose_reason, "counting": a.counting,
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
        if !(i.assessment.reports_due() || final_owed) {
            return Err(refuse::law(format!(
                "incident {id}: no report to the Commission is required ({}); record a voluntary report as an update's note",
                if i.assessment.regime == "contract" { "a contract incident" } else { "no trigger fired, or exempt" }
            )));
        }
        // One filing covers the reports due: the Commission receives the 法68 / 法26 report and
        // the My Number report (番号法29条の4) together; the event names which.
        let reports: Vec<&str> = [
            (i.assessment.report_required || !i.assessment.my_number_report, i.assessment.regime.as_str()),
            (i.assessment.my_number_report, "my_number"),
        ]
        .into_iter()
        .filter(|(due, _)| *due)
        .map(|(_, r)| r)
        .collect();
        crate::check::check_day(date, "--date", i.facts.discovered_day(), today)?;
        text("--reference", reference)?;
        let col = match stage {
            "preliminary" if i.preliminary_filed.is_some() => {
                return Err(refuse::state(format!("incident {id}: the preliminary report was filed already")));
            }
            "preliminary" => "preliminary_filed",
            "final" if i.preliminary_filed.is_none() => {
                return Err(refuse::state(format!(
                    "incident {id}: file the preliminary report first (the same day is fine, when everything is known)"
                )));
            }
            "final" if i.final_filed.is_some() => {
                return Err(refuse::state(format!("incident {id}: the final report was filed already")));
            }
            "final" if i.preliminary_filed.as_deref().is_some_and(|p| date < p) => {
                return Err(refuse::state(format!(
                    "incident {id}: the final report cannot be filed before the preliminary one"
                )));
            }
            "final" => "final_filed",
            other => return Err(refuse::value(format!("--stage is preliminary or final, not {other}"))),
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
            serde_json::json!({"stage": stage, "date": date, "reference": reference, "late": late, "document_sha256": document_sha256, "reports": reports}),
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
        let i = self.incident(id)?.ok_or_else(|| refuse::not_found(format!("no incident {id}")))?;
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
            return Err(refuse::law(format!(
                "incident {id} is a contract incident (an anonymised release): no one is notified under 法68条2項"
            )));
        }
        match notice {
            Notice::Sent { method, at } => {
                if !NOTICE_METHODS.contains(&method.as_str()) {
                    return Err(refuse::value("--method is mail, phone, email, hand or other"));
                }
                let day = day_part(at);
                crate::check::check_day(day, "--at", i.facts.discovered_day(), today)?;
                if at.len() > 10 && !at.get(10..).is_some_and(valid_time) {
                    return Err(refuse::value("--at is YYYY-MM-DD or YYYY-MM-DDTHH:MM"));
                }
                if method == "phone" && at.len() <= 10 {
                    return Err(refuse::value("a notice by phone records the time too: --at YYYY-MM-DDTHH:MM"));
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
                        return Err(refuse::value(
                            "notice impossible: the substitute measure is a public announcement and an enquiry desk (法68条2項ただし書): give both, --announcement and --desk",
                        ));
                    }
                    "nondisclosable" if i.assessment.regime != "article68" => {
                        return Err(refuse::law(
                            "the 不開示情報 ground (法68条2項2号) is a public body's: a business may only use `impossible` with substitute measures (法26条2項ただし書)",
                        ));
                    }
                    "nondisclosable" if announcement.is_some() || desk.is_some() => {
                        return Err(refuse::value("--announcement and --desk go with --ground impossible"));
                    }
                    "impossible" | "nondisclosable" => {}
                    other => {
                        return Err(refuse::value(format!("--ground is impossible or nondisclosable, not {other}")));
                    }
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
                            return Err(refuse::not_found(format!(
                                "incident {id}: subject {} is not among the people affected",
                                n.chars().take(4).collect::<String>() + "…"
                            )));
                        }
                        Some((_, Some(_))) => {
                            return Err(refuse::duplicate(format!(
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
            return Err(refuse::state(format!("incident {id}: no one left to record a notice for")));
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
                .map_err(|e| refuse::storage(format!("incident {id}: {e}")))?;
            for s in &chosen {
                stmt.execute(params![text_json, id, s]).map_err(|e| refuse::storage(format!("incident {id}: {e}")))?;
            }
            tx.execute("UPDATE incidents SET updated = ?1 WHERE id = ?2", params![who.time, id])
                .map_err(|e| refuse::storage(format!("incident {id}: {e}")))?;
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
            return Err(refuse::state(format!(
                "incident {id}: the preliminary report was filed: file the final report (stating the outcome) before closing"
            )));
        }
        if i.assessment.reports_due() {
            if i.final_filed.is_none() {
                return Err(refuse::state(format!("incident {id}: the final report has not been filed")));
            }
            if i.notices.pending() > 0 {
                return Err(refuse::state(format!(
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
        let i = self.incident(id)?.ok_or_else(|| refuse::not_found(format!("no incident {id}")))?;
        if i.status != "open" {
            return Err(refuse::state(format!("incident {id} is closed")));
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
        // Read only when an incident needs re-assessing.
        let mut profile: Option<Profile> = None;
        rows.into_iter()
            .map(
                |(
                    id,
                    status,
                    [facts, scope, assessment],
                    [pd, fd, pf, ff, closed],
                    [steps, people, sent, excepted],
                )| {
                    let i = StoredIncident {
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
                        reassessed: None,
                    };
                    if i.status != "open" || !assessed_before_rules(&assessment) {
                        return Ok(i);
                    }
                    let p = match &profile {
                        Some(p) => p,
                        None => profile.insert(self.profile()?),
                    };
                    Ok(reassessed(p, i))
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

/// Whether a stored assessment predates the rules of 番号法29条の4 and of the report counting
/// (規則44条): every assessment since records `my_number_triggers` and `counting`, empty or null
/// when they do not apply. A row that cannot be read as an object counts as old (fail safe).
fn assessed_before_rules(raw: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(raw)
        .ok()
        .and_then(|v| v.as_object().map(|o| !o.contains_key("counting") || !o.contains_key("my_number_triggers")))
        .unwrap_or(true)
}

/// An open incident assessed before the current rules, assessed again under them on read
/// (fail safe: an upgraded registry never shows the old, laxer assessment): the current
/// assessment, and for each due date the earlier of the stored one and the new one (a filed
/// preliminary report keeps its date). Recorded by the next `incident update`.
fn reassessed(p: &Profile, mut i: StoredIncident) -> StoredIncident {
    let a = assess(p, &i.facts, &i.scope);
    let (pre, fin) = due_dates(p, i.facts.discovered_day(), &a);
    let earlier = |old: Option<String>, new: Option<String>| match (old, new) {
        (Some(o), Some(n)) => Some(o.min(n)),
        (o, n) => n.or(o),
    };
    if i.preliminary_filed.is_none() {
        i.preliminary_due = earlier(i.preliminary_due.take(), pre);
    }
    i.final_due = earlier(i.final_due.take(), fin);
    i.reassessed = Some(format!(
        "assessed before 番号法29条の4 checks and the recorded counting of 規則44条: re-assessed under the current rules (My Number report {}, dates counted {}); record it with `tokumei incident update {} FILE`",
        if a.my_number_report { "required" } else { "not required" },
        a.counting.as_ref().map_or_else(|| "-".to_string(), |c| c.code.clone()),
        i.id
    ));
    i.assessment = a;
    i
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
    let d = people_digest(tx, id).map_err(|e| refuse::storage(format!("incident {id}: {e}")))?;
    tx.execute("UPDATE incidents SET people_digest = ?1 WHERE id = ?2", params![d, id])
        .map_err(|e| refuse::storage(format!("incident {id}: {e}")))?;
    Ok(())
}

impl Registry {
    /// What `registry status` names for an officer's look: open incidents whose stored
    /// assessment predates the current rules (shown re-assessed, [`StoredIncident::reassessed`]).
    pub fn incident_upgrade_warnings(&self) -> Result<Vec<String>, RegistryError> {
        Ok(self
            .incidents()?
            .into_iter()
            .filter_map(|i| i.reassessed.as_ref().map(|n| format!("incident {}: {n}", i.id)))
            .collect())
    }

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
    serde_json::to_string(v).map_err(|e| refuse::storage(e.to_string()))
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
    crate::check::check_day(day, "`discovered`", "1900-01-01", today)?;
    if e.discovered.len() > 10 && !e.discovered.get(10..).is_some_and(valid_time) {
        return Err(refuse::value("`discovered` is YYYY-MM-DD or YYYY-MM-DDTHH:MM"));
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
    if let Some(r) = &e.no_unlawful_purpose_reason {
        text("no_unlawful_purpose_reason", r)?;
        // A reason turns trigger 3 off (規則43条3号): one that says nothing (zero-width or
        // formatting characters, punctuation only) is no reason.
        if !r.chars().any(char::is_alphanumeric) {
            return Err(refuse::value(
                "`no_unlawful_purpose_reason` states no reason (no letter or digit): write why no unlawful purpose is suspected, or leave it out",
            ));
        }
        if e.unlawful_purpose {
            return Err(refuse::value(
                "`unlawful_purpose = true` and `no_unlawful_purpose_reason` contradict each other: withdraw the reason with `no_unlawful_purpose_reason = \"\"`",
            ));
        }
    }
    // The encryption exemption lifts every report and notice (規則43条1号's parenthesis; 報告規則
    // 2条1号): it is claimed with its basis (the encryption, where the key was, why it did not leak).
    match (&e.encrypted, &e.encryption_basis) {
        (true, None) => {
            return Err(refuse::value(
                "`encrypted = true` exempts from every report and notice: state its basis in `encryption_basis` (the encryption used, where the key was kept, why the key did not leak)",
            ));
        }
        (true, Some(b)) => {
            text("encryption_basis", b)?;
            if !b.chars().any(char::is_alphanumeric) {
                return Err(refuse::value("`encryption_basis` states no basis (no letter or digit)"));
            }
        }
        (false, Some(_)) => {
            return Err(refuse::value("`encryption_basis` goes with `encrypted = true`"));
        }
        (false, None) => {}
    }
    let s = &e.scope;
    let scopes = [s.release.is_some(), s.file.is_some()].iter().filter(|b| **b).count();
    if scopes != 1 {
        return Err(refuse::value(
            "`[scope]` names one `release` or one `file` (with `where`, `columns`, `deleted_items` as needed)",
        ));
    }
    if s.release.is_some() && (s.filter.is_some() || s.deleted_items) {
        return Err(refuse::value("`[scope]`: `where` and `deleted_items` go with a `file`, not a `release`"));
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
        // Unauthorised access is the guidance's example of an unlawful purpose (規則43条3号):
        // trigger 3 and 60 days, unless the officer records why none is suspected.
        e.unauthorised_access = true;
        let a = assess(&p, &e, &scope(3, &[]));
        assert_eq!((fired(&a), a.final_days), (vec!["3"], Some(60)));
        e.no_unlawful_purpose_reason = Some("職員の誤操作によるアクセス権限外の閲覧で、外部への送信はない".into());
        assert!(!assess(&p, &e, &scope(3, &[])).report_required);
        e.unauthorised_access = false;
        e.no_unlawful_purpose_reason = None;
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

    /// 規則44条 (8条): 速報 promptly (guidance 3-5 days), 確報 "知った日から30日以内" (60). The
    /// earliest reading counts the day of learning as day 1 with weekends and holidays, and never
    /// moves a last day later: due = learned + N - 1.
    #[test]
    fn deadlines_count_the_day_of_learning_as_day_one_rule_44() {
        let p = profile(Actor::PublicBody);
        let mut e = entry();
        // 2026-04-01 (Wednesday): 速報 day 5 = 04-05 (a Sunday: not moved); 確報 day 30 = 04-30.
        let a = assess(&p, &e, &scope(101, &[]));
        assert_eq!(due_dates(&p, "2026-04-01", &a), (Some("2026-04-05".into()), Some("2026-04-30".into())));
        assert_eq!(a.counting.as_ref().map(|c| c.code.as_str()), Some("learned_day_one"));
        // Day 30 on Saturday 2026-05-02 stays Saturday (never moved later).
        assert_eq!(due_dates(&p, "2026-04-03", &a).1.as_deref(), Some("2026-05-02"));
        // 60 days with an unlawful purpose: day 60 is 2026-12-30, inside the new-year closure: kept.
        e.unlawful_purpose = true;
        let a = assess(&p, &e, &scope(1, &[]));
        assert_eq!(due_dates(&p, "2026-11-01", &a).1.as_deref(), Some("2026-12-30"));
        // No report, no dates, no counting.
        e.unlawful_purpose = false;
        let none = assess(&p, &e, &scope(1, &[]));
        assert_eq!((due_dates(&p, "2026-04-01", &none), none.counting), ((None, None), None));
    }

    /// A profile may take another reading of the deadlines (e.g. 民法140条's 初日不算入, or a last
    /// day moved to the next open day) only with its source recorded, and the assessment says
    /// which reading gave the dates.
    #[test]
    fn another_counting_needs_its_source_and_is_recorded() {
        let mut p = profile(Actor::PublicBody);
        let e = entry();
        p.incident_counting = IncidentCounting::DayAfterNextOpenDay;
        assert!(p.check().is_err(), "a counting without its source");
        p.incident_counting_source = Some("  ".into());
        assert!(p.check().is_err(), "an empty source");
        p.incident_counting_source = Some("法務担当課の見解（2027年4月）".into());
        p.check().unwrap();
        let a = assess(&p, &e, &scope(101, &[]));
        // The old counting: from the day after, day 30 on Saturday 05-02 -> past the holidays of 3-6 May -> 05-07.
        assert_eq!(due_dates(&p, "2026-04-02", &a), (Some("2026-04-07".into()), Some("2026-05-07".into())));
        let c = a.counting.clone().unwrap();
        assert_eq!(c.code, "day_after_next_open_day");
        assert!(c.describe().contains("法務担当課の見解"), "{}", c.describe());
        p.incident_counting = IncidentCounting::LearnedDayOneNextOpenDay;
        assert_eq!(due_dates(&p, "2026-04-03", &a).1.as_deref(), Some("2026-05-07"));
        p.incident_counting = IncidentCounting::DayAfter;
        assert_eq!(due_dates(&p, "2026-04-02", &a).1.as_deref(), Some("2026-05-02"));
        // A source without another counting is refused too.
        p.incident_counting = IncidentCounting::LearnedDayOne;
        assert!(p.check().is_err(), "a source for the default reading");
        let parsed: Result<Profile, _> = toml::from_str(
            "body = \"見本市\"\nactor = \"public_body\"\nbody_kind = \"municipality\"\nincident_counting = \"someday\"\n",
        );
        assert!(parsed.is_err(), "an unknown counting");
    }

    fn my_number_scope(people: u64) -> ScopeFound {
        let mut s = scope(people, &[("氏名", None, false), ("住所", None, false), ("個人番号", None, false)]);
        s.items[2].my_number = true;
        s
    }

    /// 番号法29条の4 and 特定個人情報の漏えい等に関する報告等に関する規則2条1号: any unencrypted leak
    /// of 特定個人情報 is reportable whatever the number of people; 2号 (unlawful purpose) and 4号
    /// (more than 100 people) are listed too; the encryption exemption covers them all.
    #[test]
    fn my_number_leaks_are_reportable_whatever_the_head_count_bangou_29_4() {
        let p = profile(Actor::PublicBody);
        let mut e = entry();
        e.kind = EventKind::Leak;
        let a = assess(&p, &e, &my_number_scope(15));
        assert!(a.my_number_report && !a.report_required && a.reports_due());
        let codes: Vec<&str> = a.my_number_triggers.iter().filter(|t| t.fired).map(|t| t.code.as_str()).collect();
        assert_eq!(codes, vec!["1"]);
        assert_eq!((a.preliminary_days, a.final_days), (Some(5), Some(30)));
        assert_eq!(due_dates(&p, "2026-04-01", &a), (Some("2026-04-05".into()), Some("2026-04-30".into())));
        // Also a loss or damage, and one found by the officer's statement alone.
        e.kind = EventKind::Damage;
        e.my_number = true;
        assert!(assess(&p, &e, &scope(1, &[])).my_number_report);
        // 2号 with an unlawful purpose (60 days), 4号 above 100 people.
        e.causes = vec![Cause::Theft];
        let a = assess(&p, &e, &my_number_scope(101));
        let codes: Vec<&str> = a.my_number_triggers.iter().filter(|t| t.fired).map(|t| t.code.as_str()).collect();
        assert_eq!((codes, a.final_days), (vec!["1", "2", "4"], Some(60)));
        // Strong encryption (key not leaked) exempts every subparagraph.
        e.encrypted = true;
        let a = assess(&p, &e, &my_number_scope(500));
        assert!(!a.my_number_report && !a.reports_due());
        // No 個人番号: no My Number assessment at all.
        e.encrypted = false;
        e.my_number = false;
        assert!(assess(&p, &e, &scope(15, &[])).my_number_triggers.is_empty());
    }

    /// 規則43条3号 (7条3号): unauthorised access, theft and staff taking data out are the
    /// guidance's examples of an unlawful purpose; Japanese and English words; unknown ones refused.
    #[test]
    fn hacking_theft_and_taking_out_fire_trigger_3_rule_43_3() {
        let p = profile(Actor::PublicBody);
        for word in [
            "不正アクセス",
            "unauthorised_access",
            "盗難",
            "theft",
            "持ち出し",
            "従業者による不正な持出し",
            "taking_out",
            "ランサムウェア",
        ] {
            let e: IncidentEntry = toml::from_str(&format!(
                "title = \"t\"\ndiscovered = \"2026-04-01\"\ndiscovered_by = \"x\"\nkind = \"漏えい\"\ncause = \"c\"\ncauses = [\"{word}\"]\n[scope]\nfile = \"f\"\n"
            ))
            .unwrap_or_else(|err| panic!("{word}: {err}"));
            let a = assess(&p, &e, &scope(15, &[]));
            assert_eq!((fired(&a), a.final_days), (vec!["3"], Some(60)), "{word}");
        }
        let bad: Result<IncidentEntry, _> = toml::from_str(
            "title = \"t\"\ndiscovered = \"2026-04-01\"\ndiscovered_by = \"x\"\nkind = \"leak\"\ncause = \"c\"\ncauses = [\"宇宙線\"]\n[scope]\nfile = \"f\"\n",
        );
        assert!(bad.is_err(), "an unknown cause");
        // A cause only described in words fires too (fail safe).
        let mut e = entry();
        e.kind = EventKind::Leak;
        e.cause = "外部からの不正アクセスにより住民情報が閲覧された".into();
        let a = assess(&p, &e, &scope(15, &[]));
        assert_eq!(fired(&a), vec!["3"]);
        assert!(a.triggers[2].why.contains("不正アクセス"), "{}", a.triggers[2].why);
        // Misaddressed mail is not.
        e.cause = "封入誤り".into();
        e.causes = vec![Cause::Misdelivery];
        assert!(fired(&assess(&p, &e, &scope(15, &[]))).is_empty());
        // The officer's reason: not trigger 3, and the reason is in the assessment.
        e.causes = vec![Cause::Theft];
        e.no_unlawful_purpose_reason = Some("車上荒らしで鞄ごと盗まれ、翌日に未開封で発見された".into());
        let a = assess(&p, &e, &scope(15, &[]));
        assert!(fired(&a).is_empty() && a.triggers[2].why.contains("未開封で発見"));
        // The reason and a suspected unlawful purpose contradict each other.
        e.unlawful_purpose = true;
        assert!(check_facts(&e, "2026-04-02").is_err());
        e.unlawful_purpose = false;
        check_facts(&e, "2026-04-02").unwrap();
    }

    /// A medium lost outside the body's control is a 漏えい (おそれ), not a 滅失 (the guidance's
    /// 滅失 is data lost inside the body); one lost on the premises stays a 滅失.
    #[test]
    fn a_medium_lost_outside_the_office_is_a_suspected_leak() {
        let p = profile(Actor::PublicBody);
        let mut e = entry();
        e.cause = "職員が庁外の会議に持参したUSBメモリを紛失した".into();
        let a = assess(&p, &e, &scope(3, &[]));
        assert_eq!(a.event, "漏えいのおそれ");
        assert!(a.event_note.is_some() && a.regime_label.contains("漏えい"), "{}", a.regime_label);
        e.causes = vec![Cause::LostOnPremises];
        assert_eq!(assess(&p, &e, &scope(3, &[])).event, "滅失");
        e.causes = vec![Cause::Lost, Cause::LostOnPremises];
        assert_eq!(assess(&p, &e, &scope(3, &[])).event, "漏えいのおそれ");
        e.cause = "誤って廃棄".into();
        e.causes = vec![Cause::MistakenDisposal];
        assert_eq!(assess(&p, &e, &scope(3, &[])).event, "滅失");
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
        // A reason recorded, then withdrawn with an empty one.
        std::fs::write(&f, "no_unlawful_purpose_reason = \"理由\"\ncauses = [\"盗難\"]\n").unwrap();
        let u = e.updated(&f).unwrap();
        assert_eq!((u.no_unlawful_purpose_reason.as_deref(), u.causes.as_slice()), (Some("理由"), &[Cause::Theft][..]));
        std::fs::write(&f, "no_unlawful_purpose_reason = \"\"\n").unwrap();
        assert_eq!(u.updated(&f).unwrap().no_unlawful_purpose_reason, None);
    }
}
