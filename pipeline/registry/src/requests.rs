//! Requests from residents (法76-103 for public bodies): disclosure (開示), correction (訂正) and
//! suspension of use, erasure or provision (利用停止), and a body's own opt-out policy. One row per
//! request carries its state; every step is also an event of its timeline. Deadlines come from
//! the profile ([`crate::deadline`]). An accepted suspension or opt-out puts the subject on the
//! exclusion list that every later run applies first; an accepted correction becomes an overlay
//! later runs apply to the records they read. 個人番号 is never a search key (番号法9条).

use crate::check::{bad_text, check_day, text};
use crate::deadline::{add_days, date, decision_due, method_end, window_end};
use crate::files::{read_small, toml_message};
use crate::refuse;
use crate::timeline::REQUESTS;
use crate::{Registry, RegistryError, Who};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The version of the corrections: the last correction's id plus the last revocation's id.
pub(crate) const CORRECTIONS_VERSION: &str =
    "SELECT (SELECT coalesce(max(id), 0) FROM corrections) + (SELECT coalesce(max(id), 0) FROM correction_revocations)";

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 開示請求 (法76).
    Disclosure,
    /// 訂正請求 (法90).
    Correction,
    /// 利用停止請求 (法98): stop of use, erasure or stop of provision.
    Suspension,
    /// The body's own opt-out policy (not a request under the Act).
    OptOut,
}

/// The notices a request records (`request notice --kind`).
pub const NOTICE_KINDS: [&str; 5] =
    ["decision", "extension", "special_extension", "correction_recipient", "third_party"];

impl Kind {
    /// Every kind of request.
    pub const ALL: [Kind; 4] = [Kind::Disclosure, Kind::Correction, Kind::Suspension, Kind::OptOut];

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Disclosure => "disclosure",
            Kind::Correction => "correction",
            Kind::Suspension => "suspension",
            Kind::OptOut => "opt_out",
        }
    }

    /// Its Japanese name.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Disclosure => "開示請求",
            Kind::Correction => "訂正請求",
            Kind::Suspension => "利用停止請求",
            Kind::OptOut => "オプトアウトの申出",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The decisions a request of this kind may end in.
    pub fn decisions(self) -> &'static [&'static str] {
        match self {
            Kind::Disclosure => &["full", "partial", "refused", "existence_refused", "not_held"],
            Kind::Correction | Kind::Suspension => &["accepted", "rejected"],
            Kind::OptOut => &["accepted"],
        }
    }
}

/// In whose name a request is made (法76条2項).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    /// The person (本人).
    #[serde(rename = "self")]
    Person,
    /// A legal representative of a minor or an adult ward (法定代理人).
    LegalRepresentative,
    /// An agent appointed by the person (任意代理人).
    Agent,
}

/// What a suspension asks for (法98条1項).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// 利用の停止 (1号).
    StopUse,
    /// 消去 (1号).
    Erase,
    /// 提供の停止 (2号).
    StopProvision,
}

impl Measure {
    /// Which runs an accepted request keeps the subject out of: `all`, or `provision` (runs
    /// whose release goes to a recipient under a contract).
    pub fn scope(self) -> &'static str {
        match self {
            Measure::StopUse | Measure::Erase => "all",
            Measure::StopProvision => "provision",
        }
    }
}

/// A person to find by name and date of birth, when the requester does not know their
/// subject identifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchBy {
    /// 氏名 as written on the identity document.
    pub name: String,
    /// 生年月日 (YYYY-MM-DD or 和暦).
    pub birth_date: String,
}

/// A correction asked for: the value an item of a file should have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionAsked {
    /// The registered file.
    pub file: String,
    /// The column (item) of its records.
    pub column: String,
    /// The correct value.
    pub value: String,
    /// Why (the requester's grounds).
    #[serde(default)]
    pub reason: String,
    /// The record is held outside the registered sources (a paper file, another system; `file`
    /// and `column` name it as kept there): accepted, it is corrected where it is kept, on an
    /// officer's attestation of the record ([`Registry::attest`]); later runs have nothing to apply.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outside: bool,
}

/// A request as written in an intake file (TOML).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestEntry {
    /// What it asks for.
    pub kind: Kind,
    /// The day it was received (YYYY-MM-DD).
    pub received: String,
    /// Who made it.
    pub requester: String,
    /// In what capacity.
    pub capacity: Capacity,
    /// How identity (and the capacity) was verified: the documents seen.
    pub verification: String,
    /// The records requested, as the requester described them.
    pub records: String,
    /// The registered files it concerns (empty: every registered file).
    #[serde(default)]
    pub files: Vec<String>,
    /// The person's subject identifier (e.g. 宛名番号), if known. Never a 個人番号.
    #[serde(default)]
    pub subject: Option<String>,
    /// The person's name and date of birth, to find them in the registered files.
    #[serde(default, rename = "match")]
    pub match_by: Option<MatchBy>,
    /// Fee charged, yen (a disclosure: the profile's fee unless given; others: none).
    #[serde(default)]
    pub fee_yen: Option<i64>,
    /// A correction or suspension: the disclosure request it follows.
    #[serde(default)]
    pub follows: Option<i64>,
    /// A correction or suspension after a disclosure not recorded here: the day it was carried out.
    #[serde(default)]
    pub disclosed_on: Option<String>,
    /// A suspension: what it asks for.
    #[serde(default)]
    pub measure: Option<Measure>,
    /// The requester's reasons (a suspension's: which unlawful holding, use or provision).
    #[serde(default)]
    pub reason: Option<String>,
    /// A correction: the values asked for.
    #[serde(default, rename = "correction")]
    pub corrections: Vec<CorrectionAsked>,
}

impl RequestEntry {
    /// Read an intake file (TOML). A field for a 個人番号 is refused by name.
    pub fn load(path: &Path) -> Result<RequestEntry, RegistryError> {
        let err = |message: String| RegistryError::Entry { path: path.to_path_buf(), message };
        let text = read_small(path).map_err(err)?;
        toml::from_str(&text).map_err(|e| {
            let m = toml_message(&text, &e);
            if ["my_number", "個人番号", "マイナンバー", "kojin_bango"].iter().any(|w| m.contains(w)) {
                err(format!("{m}\n  hint: 個人番号 is never a search key outside My Number work (番号法9条); give the subject identifier (e.g. 宛名番号) or the name and date of birth"))
            } else {
                err(m)
            }
        })
    }
}

/// The officer's choice of person, and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matched {
    /// `identifier` (given by the requester) or `name_and_birth_date`.
    pub method: String,
    /// Candidates shown to the officer.
    pub candidates: usize,
    /// Why this one (the officer's note).
    pub note: String,
}

/// An extension (法83条2項, 94条2項, 102条2項) or a special extension (法84 disclosure, 95
/// correction, 103 suspension).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extension {
    /// Days added (an extension), or 0 (a special extension).
    pub days: i64,
    /// The new deadline (a special extension: for the rest of the records, 法84; for the
    /// decision, 法95/103).
    pub until: String,
    /// Why.
    pub reason: String,
    /// The day the notice (延長通知書 / 特例延長通知書) was sent.
    pub notice: String,
    /// A 法84 special extension: the last day to decide the 相当の部分 (the normal period of 法83:
    /// the profile's `request_days` + `extension_days` from receipt, days of 補正 not counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_by: Option<String>,
    /// A 法84 special extension: the day the 相当の部分 was decided, once recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_decided: Option<String>,
}

/// An officer's attestation about the person's records outside the registered sources (paper
/// files, other systems): the registered extracts are not everything a body holds (法82条2項).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attestation {
    /// `true`: records of the person are held there (described); `false`: the body's other files
    /// were searched and hold none (what was searched, described).
    pub held: bool,
    /// What and where, or what was searched.
    pub description: String,
    /// The day of the attestation.
    pub date: String,
    /// The officer.
    pub operator: String,
}

/// The draft answer to a disclosure: what was found and its digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// SHA-256 of the draft's items (JSON).
    pub sha256: String,
    /// Items (numbered from 1).
    pub items: usize,
    /// Records found.
    pub records: usize,
    /// When it was made.
    pub made: String,
    /// Items withheld when the draft is made (other people's information in the person's
    /// records), until the officer releases them.
    #[serde(default)]
    pub withheld_first: Vec<usize>,
    /// The package last written from this draft ([`package_digest`] of the draft and the items
    /// withheld then): a decision and a disclosure need it current.
    #[serde(default)]
    pub package: Option<String>,
}

/// The digest of a disclosure package: its draft and the items withheld from it.
pub fn package_digest(draft_sha256: &str, withheld: &[Withheld]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(draft_sha256.as_bytes());
    h.update(b"\n");
    h.update(serde_json::to_string(withheld).unwrap_or_default().as_bytes());
    hex::encode(h.finalize())
}

impl StoredRequest {
    /// Whether the package written last is the draft with the items withheld now.
    pub fn package_current(&self) -> bool {
        self.draft
            .as_ref()
            .is_some_and(|d| d.package.as_deref() == Some(package_digest(&d.sha256, &self.withheld).as_str()))
    }
}

/// An item the officer withholds, with its ground (法78条1項 N号, or a ground of the ordinance,
/// 法78条2項).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Withheld {
    /// Item number of the draft.
    pub item: usize,
    /// 法78条1項 number (1-7), or 0 for a ground of the ordinance.
    pub ground: u8,
    /// A ground of the ordinance (法78条2項): its `id` in the profile's `ordinance_grounds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordinance: Option<String>,
    /// The officer's note.
    pub note: String,
}

impl Withheld {
    /// Its ground as cited in the documents: `法78条1項2号`, or `法78条2項（ID）`.
    pub fn citation(&self) -> String {
        match &self.ordinance {
            Some(id) => format!("法78条2項（{id}）"),
            None => format!("法78条1項{}号", self.ground),
        }
    }

    /// Its ground with what it covers: a 法78条1項 ground with its words, an ordinance ground with
    /// its article and description (from `profile`).
    pub fn ground_text(&self, profile: &crate::Profile) -> String {
        match &self.ordinance {
            Some(id) => match profile.ordinance_ground(id) {
                Some(g) => format!("法78条2項・{}（{}）", g.article, g.description),
                None => format!("法78条2項（{id}）"),
            },
            None => format!("法78条1項{}号（{}）", self.ground, GROUNDS[usize::from(self.ground.clamp(1, 7)) - 1]),
        }
    }
}

/// The 不開示情報 of 法78条1項, by number.
pub const GROUNDS: [&str; 7] = [
    "開示請求者の生命、健康、生活又は財産を害するおそれがある情報",
    "開示請求者以外の個人に関する情報",
    "法人等に関する情報",
    "国の安全等に関する情報",
    "公共の安全等に関する情報",
    "審議、検討等に関する情報",
    "事務又は事業に関する情報",
];

/// A decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// `full`, `partial`, `refused`, `existence_refused`, `not_held`, `accepted` or `rejected`.
    pub decision: String,
    /// Its reasons (required unless everything asked for is granted).
    pub reason: String,
    /// A suspension accepted: the unlawful holding, use or provision (法98条1項).
    pub ground: Option<String>,
    /// The day of the decision.
    pub date: String,
    /// Whether it came after the deadline.
    pub late: bool,
    /// A suspension: releases made before the decision that may hold the subject, with their
    /// recipients (anonymised data already provided is not recalled).
    pub releases_before: Vec<ReleaseBefore>,
    /// A correction accepted: the file's regular recipients to tell (法97).
    pub recipients_to_notify: Vec<String>,
    /// An erasure or stop of use accepted: the body's internal releases made before it that
    /// hold the person (still 保有個人情報), each to replace without them and destroy
    /// ([`crate::erasure`]).
    #[serde(default)]
    pub internal_copies: Vec<crate::InternalCopy>,
    /// Records of the person outside the registered sources that the decision covers, as the
    /// officer attested them (paper files, other systems).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outside_records: Vec<String>,
}

/// A release made before a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseBefore {
    /// Its id.
    pub release_id: String,
    /// When it was made.
    pub time: String,
    /// Its recipient (`None`: an internal use).
    pub recipient: Option<String>,
    /// `true` when the per-subject index shows the subject in it; `false` when the body keeps no
    /// index and the release is listed because it may hold them.
    pub indexed: bool,
}

/// How a disclosure was carried out (法87).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarriedOut {
    /// The day.
    pub date: String,
    /// The method (閲覧, 写しの交付, 電磁的記録...).
    pub method: String,
    /// The day the requester chose it.
    pub chosen: String,
}

/// A request as stored.
#[derive(Debug, Clone, Serialize)]
pub struct StoredRequest {
    /// Its number.
    pub id: i64,
    /// `open`, `decided`, `carried_out` or `closed`.
    pub status: String,
    /// The intake.
    pub entry: RequestEntry,
    /// The subject identifier of the person, once matched.
    pub subject: Option<String>,
    /// How the person was matched.
    pub matched: Option<Matched>,
    /// Days spent fixing a defective request (not counted).
    pub defect_days: i64,
    /// The deadline before any extension.
    pub due: String,
    /// An extension.
    pub extension: Option<Extension>,
    /// A special extension.
    pub special: Option<Extension>,
    /// Fee, yen.
    pub fee_yen: i64,
    /// The disclosure draft.
    pub draft: Option<Draft>,
    /// Items withheld.
    pub withheld: Vec<Withheld>,
    /// The decision.
    pub decision: Option<Decision>,
    /// A third party objected (法86): disclosure waits the profile's `third_party_days`.
    pub objection: bool,
    /// How the disclosure was carried out.
    pub carried_out: Option<CarriedOut>,
    /// Why and when it was closed.
    pub closed: Option<String>,
    /// Last change.
    pub updated: String,
    /// Steps so far (events of its timeline): a step made on what was read refuses to apply if
    /// another step came in between.
    pub steps: i64,
    /// The officer's attestations about records outside the registered sources.
    pub attestations: Vec<Attestation>,
    /// An accepted erasure or stop of use decided before internal copies were tracked (schema
    /// version 8): its decision lists none, so the copies holding the person are found on read
    /// ([`Registry::copies_of`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub copies_untracked: bool,
}

impl StoredRequest {
    /// The deadline in force: under a 法84 special extension, the last day to decide the 相当の部分
    /// until it is recorded as decided, then the date for the rest; under a 法95/103 special
    /// extension its date; else the due date plus any extension.
    pub fn deadline(&self) -> String {
        if let Some(s) = &self.special {
            if let (Some(by), None) = (&s.part_by, &s.part_decided) {
                return by.clone();
            }
            return s.until.clone();
        }
        self.extension.as_ref().map_or_else(|| self.due.clone(), |e| e.until.clone())
    }

    /// Whether records of the person outside the registered sources are attested.
    pub fn held_outside(&self) -> bool {
        self.attestations.iter().any(|a| a.held)
    }

    /// Whether it still waits for a decision.
    pub fn pending(&self) -> bool {
        self.status == "open"
    }

    /// Whether it waits for a decision past its deadline on `today`.
    pub fn overdue(&self, today: &str) -> bool {
        self.pending() && today > self.deadline().as_str()
    }

    /// Days left to the deadline on `today` (negative when overdue).
    pub fn days_left(&self, today: &str) -> Option<i64> {
        crate::deadline::days_between(today, &self.deadline())
    }
}

/// An event of a request's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// When.
    pub time: String,
    /// Who.
    pub operator: String,
    /// What (`opened`, `matched`, `extended`, `decided`, `notice`...).
    pub event: String,
    /// Its details.
    pub detail: serde_json::Value,
}

/// A correction in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InForce {
    /// The registered file it corrects.
    pub file: String,
    /// Whose record.
    pub subject: String,
    /// The column.
    pub column: String,
    /// The correct value.
    pub value: String,
}

/// Where a registered file's records are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSource {
    /// The registered file.
    pub file: String,
    /// The extract (CSV or Parquet).
    pub path: String,
    /// `csv` or `parquet`.
    pub format: String,
    /// CSV encoding (`auto`, `utf-8`, `cp932`).
    pub encoding: String,
    /// The column holding the subject identifier.
    pub subject_column: String,
    /// The column holding the name, to find a person by name and date of birth.
    pub name_column: Option<String>,
    /// The column holding the date of birth.
    pub birth_column: Option<String>,
    /// Columns of a person's record that hold other people's information (e.g. 世帯主氏名): their
    /// items start withheld (法78条1項2号) in a disclosure draft until the officer releases them.
    #[serde(default)]
    pub others_columns: Vec<String>,
}

/// Whether a column name is a 個人番号 column: never a search key. Compared in any width and
/// case, with spaces of any width, underscores, hyphens, middle dots and invisible characters
/// ignored (`マイナンバー`, `ﾏｲﾅﾝﾊﾞｰ`, `個 人 番 号`, `ｍｙ＿ｎｕｍｂｅｒ`, `My Number`).
pub fn is_my_number_column(name: &str) -> bool {
    let n: String = tokumei_jp::nfkc(name)
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() && !matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}'))
        .collect();
    ["個人番号", "マイナンバー", "まいなんばー", "mynumber", "kojinbango", "kojinbangō", "individualnumber"]
        .iter()
        .any(|w| n.contains(w))
}

/// The type each input column of an allowed rule file is read as; the error says why the file
/// cannot tell (unreadable, changed since it was allowed, not valid rules).
fn rule_types(r: &crate::FileRules) -> Result<Vec<(String, tokumei_rules::ValueType)>, &'static str> {
    let path = Path::new(&r.path);
    let text = std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file() && m.len() <= 16 << 20)
        .and_then(|_| std::fs::read(path).ok())
        .ok_or("cannot be read")?;
    if hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&text)) != r.sha256 {
        return Err("have changed since they were allowed (another SHA-256)");
    }
    let text = String::from_utf8(text).map_err(|_| "are not UTF-8 text")?;
    tokumei_rules::column_types(path, &text).map_err(|_| "are not valid rules")
}

/// Why `value` does not fit `column` under these types (the reason and the type's name), if it
/// does not; a column the rules do not name fits anything.
fn misfit(
    types: &[(String, tokumei_rules::ValueType)],
    column: &str,
    value: &str,
) -> Option<(&'static str, &'static str)> {
    let (_, ty) = types.iter().find(|(n, _)| n == column)?;
    ty.check(value).err().map(|why| (why, ty.as_str()))
}

/// Refuse a request's subject that is written as a 個人番号 (12 digits of any width, spaced or
/// hyphenated, with a valid check digit): never a search key (番号法9条). The value is not quoted.
pub(crate) fn not_a_my_number(subject: &str) -> Result<(), RegistryError> {
    if tokumei_jp::looks_like_my_number(subject) {
        return Err(refuse::identifier(
            "the subject is written as a 個人番号 (12 digits with a valid check digit): 個人番号 is never a search key outside My Number work (番号法9条); give the subject identifier (e.g. 宛名番号) or `[match]` name and birth_date",
        ));
    }
    Ok(())
}

/// The normal form of a subject identifier ([`tokumei_jp::identifier_key`]: NFKC, no spaces or
/// invisible characters, ASCII letters upper-cased), as runs and look-ups compare it.
pub fn normalize_subject(s: &str) -> String {
    tokumei_jp::identifier_key(s).into_owned()
}

/// Whether an accepted request of this kind and measure reaches the body's internal copies:
/// a suspension asking for erasure or a stop of use (法98条1項1号), not a stop of provision.
pub(crate) fn reaches_internal_copies(kind: Kind, measure: Option<Measure>) -> bool {
    kind == Kind::Suspension && measure.unwrap_or(Measure::StopUse) != Measure::StopProvision
}

pub(crate) fn check_subject(s: &str) -> Result<(), RegistryError> {
    let n = normalize_subject(s);
    if n.is_empty() || n.chars().count() > 64 || bad_text(&n).is_some() {
        return Err(refuse::value("the subject identifier must be 1-64 characters without control characters"));
    }
    Ok(())
}

impl Registry {
    /// The keyed digest of a subject identifier (HMAC-SHA-256 with the registry's subject key):
    /// what the per-subject index stores.
    pub fn subject_digest(&self, subject: &str) -> Result<String, RegistryError> {
        use hmac::{KeyInit, Mac};
        let key = self.meta("subject_key")?.ok_or_else(|| self.err("has no subject key"))?;
        let key = hex::decode(key).map_err(|e| self.db(e))?;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(|e| self.db(e))?;
        mac.update(normalize_subject(subject).as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    /// Record where a registered file's records are kept.
    /// `holds_identifier` confirms that a subject column named otherwise than the profile's
    /// `subject_identifier` holds that identifier (requests find people by it in every file).
    pub fn add_source(&mut self, who: &Who, s: &FileSource, holds_identifier: bool) -> Result<i64, RegistryError> {
        let f =
            self.file(&s.file)?.ok_or_else(|| refuse::not_found(format!("no file `{}` in the registry", s.file)))?;
        if !["csv", "parquet"].contains(&s.format.as_str()) {
            return Err(refuse::value("a source is `csv` or `parquet`"));
        }
        for (what, c) in
            [("subject", Some(&s.subject_column)), ("name", s.name_column.as_ref()), ("birth", s.birth_column.as_ref())]
        {
            let Some(c) = c else { continue };
            text(&format!("{what} column"), c)?;
            if what == "subject" && is_my_number_column(c) {
                return Err(refuse::identifier(format!(
                    "`{c}` holds 個人番号, which is never a search key outside My Number work (番号法9条): name the subject identifier column (e.g. 宛名番号)"
                )));
            }
        }
        let identifier = self.profile()?.subject_identifier;
        if s.subject_column != identifier && !holds_identifier {
            return Err(refuse::value(format!(
                "subject column `{}` is not named `{identifier}`, the municipality's subject identifier by which requests find people in every file; if it holds {identifier}, confirm with --holds-subject-identifier (a column holding another number, such as a 被保険者番号, cannot be a source's subject column)",
                s.subject_column
            )));
        }
        text("path", &s.path)?;
        for c in &s.others_columns {
            text("others column", c)?;
        }
        if self.sources()?.iter().any(|o| o.file == s.file && o.path == s.path) {
            return Err(refuse::duplicate(format!("file `{}` already has the source {}", s.file, s.path)));
        }
        self.change(who, "file-add-source", &s.file, |tx| {
            tx.execute(
                "INSERT INTO file_sources (file_id, path, format, encoding, subject_column, name_column, birth_column,
                    others_columns, added)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    f.id,
                    s.path,
                    s.format,
                    s.encoding,
                    s.subject_column,
                    s.name_column,
                    s.birth_column,
                    serde_json::to_string(&s.others_columns).unwrap_or_else(|_| "[]".into()),
                    who.time
                ],
            )
            .map_err(|e| refuse::storage(format!("source: {e}")))?;
            let id = tx.last_insert_rowid();
            Ok((id, vec![("file_sources", id.to_string())]))
        })
    }

    /// Every registered source, by file.
    pub fn sources(&self) -> Result<Vec<FileSource>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT f.name, s.path, s.format, s.encoding, s.subject_column, s.name_column, s.birth_column,
                    s.others_columns
                 FROM file_sources s JOIN files f ON f.id = s.file_id ORDER BY f.name, s.id",
            )
            .map_err(|e| self.db(e))?;
        stmt.query_map([], |r| {
            Ok(FileSource {
                file: r.get(0)?,
                path: r.get(1)?,
                format: r.get(2)?,
                encoding: r.get(3)?,
                subject_column: r.get(4)?,
                name_column: r.get(5)?,
                birth_column: r.get(6)?,
                others_columns: serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or_default(),
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.db(e))
    }

    /// Open a request from its intake: checked, its deadline computed from the profile.
    pub fn open_request(&mut self, who: &Who, e: &RequestEntry, today: &str) -> Result<i64, RegistryError> {
        let p = self.profile()?;
        check_day(&e.received, "`received`", "1900-01-01", today)?;
        for (field, v) in [("requester", &e.requester), ("verification", &e.verification), ("records", &e.records)] {
            text(field, v)?;
        }
        for f in &e.files {
            if self.file(f)?.is_none() {
                return Err(refuse::not_found(format!("`files`: no file `{f}` in the registry")));
            }
        }
        if let Some(s) = &e.subject {
            check_subject(s)?;
            not_a_my_number(s)?;
        }
        if let Some(m) = &e.match_by {
            text("match.name", &m.name)?;
            match tokumei_jp::parse_date(&m.birth_date) {
                None => return Err(refuse::value("`match.birth_date` is not a date")),
                Some(b) if b.to_string() > e.received => {
                    return Err(refuse::value("`match.birth_date` is after the request was received"));
                }
                Some(_) => {}
            }
        }
        if e.subject.is_none() && e.match_by.is_none() {
            return Err(refuse::value("give the person's `subject` identifier or `[match]` name and birth_date"));
        }
        let fee = match e.kind {
            Kind::Disclosure => e.fee_yen.unwrap_or(p.disclosure_fee_yen),
            _ if e.fee_yen.unwrap_or(0) != 0 => {
                return Err(refuse::law(
                    "correction, suspension and opt-out requests are free (法89 charges disclosure only)",
                ));
            }
            _ => 0,
        };
        if !(0..=1_000_000).contains(&fee) {
            return Err(refuse::value("`fee_yen` must be between 0 and 1,000,000"));
        }
        match e.kind {
            Kind::Disclosure | Kind::OptOut => {
                if e.follows.is_some() || e.disclosed_on.is_some() || e.measure.is_some() || !e.corrections.is_empty() {
                    return Err(refuse::value(format!(
                        "a {} has no `follows`, `disclosed_on`, `measure` or `[[correction]]`",
                        e.kind.as_str()
                    )));
                }
                if e.kind == Kind::OptOut && !p.opt_out {
                    return Err(refuse::state("the profile runs no opt-out policy (`opt_out = false`)"));
                }
            }
            Kind::Correction | Kind::Suspension => {
                // Within 90 days (the profile's window) of the disclosure carried out (法90条3項, 法98条3項).
                let disclosed = match (e.follows, &e.disclosed_on) {
                    (Some(id), None) => {
                        let d = self
                            .request(id)?
                            .ok_or_else(|| refuse::not_found(format!("`follows`: no request {id}")))?;
                        if d.entry.kind != Kind::Disclosure {
                            return Err(refuse::value(format!("`follows`: request {id} is not a disclosure request")));
                        }
                        let c = d.carried_out.ok_or_else(|| {
                            refuse::state(format!("`follows`: the disclosure of request {id} has not been carried out"))
                        })?;
                        if let (Some(a), Some(b)) = (&d.subject, &e.subject)
                            && normalize_subject(a) != normalize_subject(b)
                        {
                            return Err(refuse::value(format!("`follows`: request {id} is about another subject")));
                        }
                        c.date
                    }
                    (None, Some(day)) => {
                        check_day(day, "`disclosed_on`", "1900-01-01", &e.received)?;
                        day.clone()
                    }
                    _ => {
                        return Err(refuse::value(
                            "a correction or suspension follows a disclosure: give `follows` (its request) or `disclosed_on`",
                        ));
                    }
                };
                let end = window_end(&disclosed, p.correction_window_days, &p.closed_days)
                    .ok_or_else(|| refuse::value("the disclosure date is out of range"))?;
                if e.received < disclosed {
                    return Err(refuse::value(format!(
                        "received {} is before the disclosure it follows ({disclosed})",
                        e.received
                    )));
                }
                if e.received > end {
                    return Err(refuse::law(format!(
                        "received {} is after {end}, the last day to ask within {} days of the disclosure on {disclosed}",
                        e.received, p.correction_window_days
                    )));
                }
                if e.kind == Kind::Correction {
                    if e.corrections.is_empty() || e.measure.is_some() {
                        return Err(refuse::value(
                            "a correction lists the values asked for as `[[correction]]`, no `measure`",
                        ));
                    }
                    self.check_corrections(&e.corrections)?;
                } else if e.measure.is_none() || !e.corrections.is_empty() {
                    return Err(refuse::value("a suspension names its `measure` (stop_use, erase or stop_provision)"));
                }
            }
        }
        let due = decision_due(&e.received, p.request_days, 0, p.count_receipt_day)
            .ok_or_else(|| refuse::value("`received` is out of range"))?;
        let entry = serde_json::to_string(e).map_err(|e| self.db(e))?;
        let subject = e.subject.as_deref().map(normalize_subject);
        let matched = subject.as_ref().map(|_| Matched {
            method: "identifier".into(),
            candidates: 0,
            note: "given by the requester; not yet confirmed against the files".into(),
        });
        let matched = matched.map(|m| serde_json::to_string(&m).unwrap_or_default());
        self.change(who, "request-open", e.kind.as_str(), |tx| {
            tx.execute(
                "INSERT INTO requests (kind, status, entry, subject, matched, received, due, fee_yen, updated)
                 VALUES (?1, 'open', ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![e.kind.as_str(), entry, subject, matched, e.received, due, fee, who.time],
            )
            .map_err(|e| refuse::storage(format!("request: {e}")))?;
            let id = tx.last_insert_rowid();
            let ev = REQUESTS.event(tx, id, who, "opened", serde_json::json!({"kind": e.kind.as_str(), "due": due}))?;
            Ok((id, vec![("requests", id.to_string()), ("request_events", ev.to_string())]))
        })
    }

    /// One request.
    pub fn request(&self, id: i64) -> Result<Option<StoredRequest>, RegistryError> {
        Ok(self.requests_where(Some(id))?.pop())
    }

    /// Every request, oldest first.
    pub fn requests(&self) -> Result<Vec<StoredRequest>, RegistryError> {
        self.requests_where(None)
    }

    fn requests_where(&self, id: Option<i64>) -> Result<Vec<StoredRequest>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, status, entry, subject, matched, defect_days, due, extension, special, fee_yen, draft,
                    withheld, decision, objection, carried_out, closed, updated, kind,
                    (SELECT count(*) FROM request_events e WHERE e.request_id = requests.id)
                 FROM requests WHERE ?1 IS NULL OR id = ?1 ORDER BY id",
            )
            .map_err(|e| self.db(e))?;
        let rows: Vec<_> = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    [r.get::<_, String>(2)?, r.get(6)?, r.get(11)?, r.get(16)?, r.get(17)?],
                    [
                        r.get::<_, Option<String>>(3)?,
                        r.get(4)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(10)?,
                        r.get(12)?,
                        r.get(14)?,
                        r.get(15)?,
                    ],
                    [r.get::<_, i64>(5)?, r.get(9)?, r.get(13)?, r.get(18)?],
                ))
            })
            .and_then(|rows| rows.collect::<Result<_, _>>())
            .map_err(|e| self.db(e))?;
        fn json<T: serde::de::DeserializeOwned>(s: &Option<String>) -> Option<T> {
            s.as_deref().and_then(|s| serde_json::from_str(s).ok())
        }
        let mut attested = self.attestations_of(id)?;
        rows.into_iter()
            .map(|(id, status, [entry, due, withheld, updated, kind], o, [defect_days, fee_yen, objection, steps])| {
                let entry: RequestEntry = serde_json::from_str(&entry).map_err(|e| self.db(e))?;
                if Kind::parse(&kind) != Some(entry.kind) {
                    return Err(self.err(&format!("request {id}: its kind disagrees with its intake")));
                }
                let [subject, matched, extension, special, draft, decision, carried_out, closed] = o;
                let decided: Option<Decision> = json(&decision);
                // A decision recorded before migration 8 has no `internal_copies` at all.
                let copies_untracked = decided.as_ref().is_some_and(|d| {
                    d.decision == "accepted"
                        && reaches_internal_copies(entry.kind, entry.measure)
                        && json::<serde_json::Value>(&decision).is_some_and(|v| v.get("internal_copies").is_none())
                });
                Ok(StoredRequest {
                    id,
                    status,
                    entry,
                    subject,
                    matched: json(&matched),
                    defect_days,
                    due,
                    extension: json(&extension),
                    special: json(&special),
                    fee_yen,
                    draft: json(&draft),
                    withheld: serde_json::from_str(&withheld).unwrap_or_default(),
                    decision: decided,
                    objection: objection != 0,
                    carried_out: json(&carried_out),
                    closed,
                    updated,
                    steps,
                    attestations: attested.remove(&id).unwrap_or_default(),
                    copies_untracked,
                })
            })
            .collect()
    }

    /// The attestations of request `id` (or of every request), from their timeline events.
    fn attestations_of(
        &self,
        id: Option<i64>,
    ) -> Result<std::collections::HashMap<i64, Vec<Attestation>>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT request_id, operator, detail FROM request_events
                 WHERE event = 'attest' AND (?1 IS NULL OR request_id = ?1) ORDER BY id",
            )
            .map_err(|e| self.db(e))?;
        let rows: Vec<(i64, String, String)> = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))?;
        let mut out: std::collections::HashMap<i64, Vec<Attestation>> = std::collections::HashMap::new();
        for (request, operator, detail) in rows {
            let d: serde_json::Value = serde_json::from_str(&detail).map_err(|e| self.db(e))?;
            let (Some(held), Some(description), Some(date)) =
                (d["held"].as_bool(), d["description"].as_str(), d["date"].as_str())
            else {
                return Err(self.err(&format!("request {request}: an attestation event is not readable")));
            };
            out.entry(request).or_default().push(Attestation {
                held,
                description: description.into(),
                date: date.into(),
                operator,
            });
        }
        Ok(out)
    }

    /// A request's timeline.
    pub fn request_events(&self, id: i64) -> Result<Vec<Event>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT time, operator, event, detail FROM request_events WHERE request_id = ?1 ORDER BY id")
            .map_err(|e| self.db(e))?;
        stmt.query_map([id], |r| {
            let detail: String = r.get(3)?;
            Ok(Event {
                time: r.get(0)?,
                operator: r.get(1)?,
                event: r.get(2)?,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.db(e))
    }

    fn open_one(&self, id: i64) -> Result<StoredRequest, RegistryError> {
        let r = self.request(id)?.ok_or_else(|| refuse::not_found(format!("no request {id} in the registry")))?;
        if r.status == "closed" {
            return Err(refuse::state(format!("request {id} is closed")));
        }
        Ok(r)
    }

    pub(crate) fn pending_one(&self, id: i64) -> Result<StoredRequest, RegistryError> {
        let r = self.open_one(id)?;
        if !r.pending() {
            return Err(refuse::state(format!("request {id} is already decided")));
        }
        Ok(r)
    }

    /// Update columns of a request and add an event, as one change.
    fn step(
        &mut self,
        who: &Who,
        step: (i64, i64),
        action: &str,
        sets: &[(&str, rusqlite::types::Value)],
        detail: serde_json::Value,
    ) -> Result<(), RegistryError> {
        self.timeline_step(&crate::timeline::REQUESTS, who, step, action, sets, detail)
    }

    /// Record the officer's choice of person among `candidates` shown (found by name and date of
    /// birth, or confirming the identifier given).
    pub fn match_subject(
        &mut self,
        who: &Who,
        id: i64,
        subject: &str,
        method: &str,
        candidates: usize,
        note: &str,
    ) -> Result<(), RegistryError> {
        let r = self.pending_one(id)?;
        check_subject(subject)?;
        not_a_my_number(subject)?;
        text("note", note)?;
        self.same_subject_as_followed(&r, subject)?;
        if r.draft.is_some() {
            return Err(refuse::duplicate(format!("request {id} already has a disclosure draft for its subject")));
        }
        let m = Matched { method: method.into(), candidates, note: note.into() };
        let detail = serde_json::json!({"method": method, "candidates": candidates});
        self.step(
            who,
            (id, r.steps),
            "request-match",
            &[
                ("subject", normalize_subject(subject).into()),
                ("matched", serde_json::to_string(&m).unwrap_or_default().into()),
            ],
            detail,
        )
    }

    /// The values a correction asks for: items of the file's entry, never an identifier (the
    /// sources' subject columns as registered now, the profile's identifier, a 個人番号).
    pub(crate) fn check_corrections(&self, corrections: &[CorrectionAsked]) -> Result<(), RegistryError> {
        let identifier = self.profile()?.subject_identifier;
        let sources = self.sources()?;
        for c in corrections {
            if c.outside {
                // Kept outside the registered sources: named as kept there, corrected there.
                text("correction.file", &c.file)?;
                text("correction.column", &c.column)?;
                if is_my_number_column(&c.column) || c.column == identifier {
                    return Err(refuse::identifier(format!(
                        "`[[correction]]`: `{}` identifies the person; an identifier is not corrected by a request",
                        c.column
                    )));
                }
                if c.value.chars().count() > 4000 || c.value.chars().any(char::is_control) {
                    return Err(refuse::value("`correction.value` is too long or holds control characters"));
                }
                continue;
            }
            let f = self
                .file(&c.file)?
                .ok_or_else(|| refuse::not_found(format!("`[[correction]]`: no file `{}` in the registry", c.file)))?;
            text("correction.column", &c.column)?;
            if !f.entry.items.contains(&c.column) {
                return Err(refuse::value(format!(
                    "`[[correction]]`: `{}` is not an item of file `{}` (its ファイル簿 items: {})",
                    c.column,
                    c.file,
                    f.entry.items.join(", ")
                )));
            }
            if c.column == identifier
                || sources.iter().any(|s| s.subject_column == c.column)
                || is_my_number_column(&c.column)
            {
                return Err(refuse::identifier(format!(
                    "`[[correction]]`: `{}` identifies the person; an identifier is not corrected by a request",
                    c.column
                )));
            }
            if c.value.chars().count() > 4000 || c.value.chars().any(char::is_control) {
                return Err(refuse::value("`correction.value` is too long or holds control characters"));
            }
            self.check_value_type(&f, &c.column, &c.value)?;
        }
        Ok(())
    }

    /// A corrected value must be one a run can read as the column's type in every rule file
    /// allowed for the file (a `生年月日` of `不明` on a date column would stop every later run of
    /// the file). A rule file that cannot be read, has changed since it was allowed or is not
    /// valid refuses the correction (its type cannot be known). The value is never quoted.
    fn check_value_type(&self, f: &crate::StoredFile, column: &str, value: &str) -> Result<(), RegistryError> {
        for r in &f.rules {
            let cannot = |why: &str| {
                refuse::state(format!(
                    "`[[correction]]`: the value for `{column}` cannot be checked against the rules {} allowed for file `{}`: they {why}\n  hint: restore the rule file, or allow the current one (`tokumei file allow-rules`)",
                    r.path, f.entry.name
                ))
            };
            let types = rule_types(r).map_err(cannot)?;
            if let Some((why, ty)) = misfit(&types, column, value) {
                return Err(refuse::value(format!(
                    "`[[correction]]`: the value for `{column}` of file `{}` {why}: the rules {} read `{column}` as {ty}, and a run could not read the corrected record",
                    f.entry.name, r.path
                )));
            }
        }
        Ok(())
    }

    /// Before rule file `rules` is allowed for file `file`: every correction in force for the
    /// file must fit the types those rules read its column as, else every later run under them
    /// would stop at the corrected record. The refusal names the request and the column (revoke
    /// the correction first), never the value.
    pub(crate) fn corrections_fit(&self, file: &str, rules: &crate::FileRules) -> Result<(), RegistryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT c.request_id, c.column_name, c.value FROM corrections c WHERE c.file = ?1
                 AND NOT EXISTS (SELECT 1 FROM correction_revocations v WHERE v.correction_id = c.id) ORDER BY c.id",
            )
            .map_err(|e| self.db(e))?;
        let in_force: Vec<(i64, String, String)> = stmt
            .query_map([file], |q| Ok((q.get(0)?, q.get(1)?, q.get(2)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))?;
        if in_force.is_empty() {
            return Ok(());
        }
        let types = rule_types(rules).map_err(|why| {
            refuse::state(format!(
                "file `{file}`: the rules {} cannot be checked against the corrections in force: they {why}",
                rules.path
            ))
        })?;
        for (request, column, value) in &in_force {
            if let Some((why, ty)) = misfit(&types, column, value) {
                return Err(refuse::state(format!(
                    "file `{file}`: the rules {} read `{column}` as {ty}, and the correction of `{column}` in force from request {request} {why}: a run under them could not read the corrected record\n  hint: revoke it first if it is wrong (`tokumei request revoke-correction {request} --column {column} --reason ...`)",
                    rules.path
                )));
            }
        }
        Ok(())
    }

    /// A correction or suspension that follows a disclosure is about the person that disclosure
    /// was about.
    pub(crate) fn same_subject_as_followed(&self, r: &StoredRequest, subject: &str) -> Result<(), RegistryError> {
        let Some(f) = r.entry.follows else { return Ok(()) };
        let d = self.request(f)?.ok_or_else(|| refuse::not_found(format!("`follows`: no request {f}")))?;
        if d.subject.as_deref().map(normalize_subject) != Some(normalize_subject(subject)) {
            return Err(refuse::value(format!(
                "request {}: follows the disclosure of request {f}, which is about another person",
                r.id
            )));
        }
        Ok(())
    }

    /// Days spent waiting for the requester to fix a defective request (補正): not counted.
    pub fn defect(&mut self, who: &Who, id: i64, days: i64, reason: &str) -> Result<String, RegistryError> {
        let r = self.pending_one(id)?;
        text("reason", reason)?;
        if !(1..=3650).contains(&days) {
            return Err(refuse::value("--days must be between 1 and 3650"));
        }
        let p = self.profile()?;
        let total = r.defect_days + days;
        if total > 3650 {
            return Err(refuse::value("days spent fixing a request add up to more than 3650: close it instead"));
        }
        let due = decision_due(&r.entry.received, p.request_days, total, p.count_receipt_day)
            .ok_or_else(|| refuse::value("out of range"))?;
        let shift = |e: &Option<Extension>| -> Option<String> {
            e.as_ref().and_then(|e| {
                let mut e = e.clone();
                if e.days > 0 {
                    e.until = add_days(&due, e.days)?;
                }
                serde_json::to_string(&e).ok()
            })
        };
        let extension = shift(&r.extension);
        // A 法84 special extension's 相当の部分 date moves with the days not counted.
        let special = r.special.as_ref().and_then(|e| {
            let mut e = e.clone();
            if e.part_by.is_some() {
                e.part_by = Some(self.part_by(&r.entry.received, total).ok()?);
            }
            serde_json::to_string(&e).ok()
        });
        self.step(
            who,
            (id, r.steps),
            "request-defect",
            &[
                ("defect_days", total.into()),
                ("due", due.clone().into()),
                ("extension", extension.into()),
                ("special", special.into()),
            ],
            serde_json::json!({"days": days, "reason": reason, "due": due}),
        )?;
        Ok(due)
    }

    /// Extend the deadline by `days` (up to the profile's `extension_days`, notice sent within the
    /// period: 法83条2項, 94条2項, 102条2項), or, `special`, set a later date: for the rest of a
    /// huge disclosure (法84: the 相当の部分 is still decided within the normal period, tracked as
    /// [`Extension::part_by`]), or for a correction or suspension that needs especially long
    /// (法95, 法103).
    pub fn extend(
        &mut self,
        who: &Who,
        id: i64,
        ext: Extension,
        special: bool,
        today: &str,
    ) -> Result<String, RegistryError> {
        let r = self.pending_one(id)?;
        let p = self.profile()?;
        text("reason", &ext.reason)?;
        check_day(&ext.notice, "the notice date", &r.entry.received, today)?;
        if ext.notice > r.due {
            return Err(refuse::law(format!(
                "the notice of an extension is sent within the period: {} is after the due date {}",
                ext.notice, r.due
            )));
        }
        if special {
            if r.entry.kind == Kind::OptOut {
                return Err(refuse::law(
                    "a special extension is for a disclosure of very many records (法84), or a correction (法95) or suspension (法103) that needs especially long",
                ));
            }
            if r.special.is_some() {
                return Err(refuse::duplicate(format!("request {id} already has a special extension")));
            }
            // 法84: the 相当の部分 within the normal period (30 + 30 days), the rest by --until.
            let part_by = match r.entry.kind {
                Kind::Disclosure => Some(self.part_by(&r.entry.received, r.defect_days)?),
                _ => None,
            };
            let after = part_by.iter().fold(r.deadline(), |a, b| a.max(b.clone()));
            let latest = add_days(&after, 366).ok_or_else(|| refuse::value("out of range"))?;
            if date(&ext.until).is_none() || ext.until <= after || ext.until > latest {
                return Err(refuse::law(format!(
                    "--until must be a date after {after}{} and within a year of it ({latest})",
                    if part_by.is_some() {
                        ", the last day to decide the 相当の部分 (法84: within the normal period)"
                    } else {
                        ", the deadline"
                    }
                )));
            }
            let e = Extension { days: 0, part_by, part_decided: None, ..ext };
            let until = e.until.clone();
            self.step(
                who,
                (id, r.steps),
                "request-special-extension",
                &[("special", serde_json::to_string(&e).unwrap_or_default().into())],
                serde_json::json!({"until": e.until, "reason": e.reason, "notice": e.notice, "part_by": e.part_by}),
            )?;
            return Ok(until);
        }
        if r.extension.is_some() || r.special.is_some() {
            return Err(refuse::state(format!("request {id} was already extended")));
        }
        if !(1..=p.extension_days).contains(&ext.days) {
            return Err(refuse::law(format!(
                "an extension is 1 to {} days (the profile's `extension_days`)",
                p.extension_days
            )));
        }
        let until = add_days(&r.due, ext.days).ok_or_else(|| refuse::value("out of range"))?;
        let e = Extension { until: until.clone(), part_by: None, part_decided: None, ..ext };
        self.step(
            who,
            (id, r.steps),
            "request-extend",
            &[("extension", serde_json::to_string(&e).unwrap_or_default().into())],
            serde_json::json!({"days": e.days, "until": until, "reason": e.reason, "notice": e.notice}),
        )?;
        Ok(until)
    }

    /// The last day to decide the 相当の部分 of a disclosure under 法84: the normal period of 法83
    /// (the profile's `request_days` + `extension_days`, 60 days at most) from receipt, days of
    /// 補正 not counted.
    fn part_by(&self, received: &str, defect_days: i64) -> Result<String, RegistryError> {
        let p = self.profile()?;
        decision_due(received, p.request_days + p.extension_days, defect_days, p.count_receipt_day)
            .ok_or_else(|| refuse::value("out of range"))
    }

    /// Record that the 相当の部分 of a disclosure under a 法84 special extension was decided on
    /// `day` (what was decided: `note`); until then its date is the request's deadline.
    pub fn decide_part(
        &mut self,
        who: &Who,
        id: i64,
        note: &str,
        day: &str,
        today: &str,
    ) -> Result<bool, RegistryError> {
        let r = self.pending_one(id)?;
        text("note", note)?;
        check_day(day, "the day the 相当の部分 was decided", &r.entry.received, today)?;
        let mut e = r
            .special
            .clone()
            .filter(|e| e.part_by.is_some())
            .ok_or_else(|| refuse::law(format!("request {id} has no special extension under 法84")))?;
        if e.part_decided.is_some() {
            return Err(refuse::duplicate(format!("request {id}: the 相当の部分 is already recorded as decided")));
        }
        let late = e.part_by.as_deref().is_some_and(|by| day > by);
        e.part_decided = Some(day.to_string());
        self.step(
            who,
            (id, r.steps),
            "request-part-decided",
            &[("special", serde_json::to_string(&e).unwrap_or_default().into())],
            serde_json::json!({"date": day, "note": note, "part_by": e.part_by, "late": late}),
        )?;
        Ok(late)
    }

    /// Record an officer's attestation about the person's records outside the registered
    /// sources (paper files, other systems), as a step of the request: `held`, the records kept
    /// there (described; a disclosure, correction or suspension may then be decided on them though
    /// the registered extracts hold nothing), or not `held`, the other files searched and holding
    /// none (needed for `not_held`: 法82条2項 means the body holds nothing at all). The package
    /// must be written again (it lists them).
    pub fn attest(
        &mut self,
        who: &Who,
        id: i64,
        held: bool,
        description: &str,
        day: &str,
        today: &str,
    ) -> Result<(), RegistryError> {
        let r = self.pending_one(id)?;
        if r.entry.kind == Kind::OptOut {
            return Err(refuse::state("an opt-out has no records to attest"));
        }
        text("description", description)?;
        check_day(day, "the attestation date", &r.entry.received, today)?;
        if held && r.attestations.iter().any(|a| !a.held) || !held && r.held_outside() {
            return Err(refuse::duplicate(format!(
                "request {id}: records outside the registered sources are attested {} already; an attestation is not withdrawn: close the request and open it again if it was wrong",
                if held { "as none" } else { "as held" }
            )));
        }
        let mut sets: Vec<(&str, rusqlite::types::Value)> = Vec::new();
        if let Some(d) = &r.draft {
            let mut d = d.clone();
            d.package = None;
            sets.push(("draft", serde_json::to_string(&d).unwrap_or_default().into()));
        }
        self.step(
            who,
            (id, r.steps),
            "request-attest",
            &sets,
            serde_json::json!({"held": held, "description": description, "date": day}),
        )
    }

    /// Record a disclosure draft (its digest and size). A draft with other items than the last
    /// one clears the items withheld from that one.
    pub fn record_draft(&mut self, who: &Who, id: i64, draft: &Draft) -> Result<bool, RegistryError> {
        let r = self.pending_one(id)?;
        if r.entry.kind != Kind::Disclosure {
            return Err(refuse::state(format!("request {id} is not a disclosure request")));
        }
        if r.subject.is_none() {
            return Err(refuse::state(format!("request {id}: match the person first (`tokumei request match`)")));
        }
        let same = r.draft.as_ref().is_some_and(|d| d.sha256 == draft.sha256);
        let mut draft = draft.clone();
        // The same items: the package written from them stays what it was.
        draft.package = if same { r.draft.as_ref().and_then(|d| d.package.clone()) } else { None };
        let mut sets: Vec<(&str, rusqlite::types::Value)> =
            vec![("draft", serde_json::to_string(&draft).unwrap_or_default().into())];
        if !same {
            let first: Vec<Withheld> = draft
                .withheld_first
                .iter()
                .filter(|i| (1..=draft.items).contains(*i))
                .map(|&item| Withheld {
                    item, ground: 2, ordinance: None, note: "他の個人の情報を含む項目".into()
                })
                .collect();
            sets.push(("withheld", serde_json::to_string(&first).unwrap_or_default().into()));
        }
        self.step(who, (id, r.steps),
            "request-draft",
            &sets,
            serde_json::json!({"sha256": draft.sha256, "items": draft.items, "records": draft.records, "withheld_cleared": !same && !r.withheld.is_empty()}),
        )?;
        Ok(!same && !r.withheld.is_empty())
    }

    /// Record that the package was written from the draft and the items withheld as read in
    /// `seen` (the request's steps then).
    pub fn record_package(&mut self, who: &Who, id: i64, seen: i64) -> Result<(), RegistryError> {
        let r = self.open_one(id)?;
        let mut d = r.draft.clone().ok_or_else(|| refuse::state(format!("request {id} has no draft")))?;
        let digest = package_digest(&d.sha256, &r.withheld);
        if d.package.as_deref() == Some(digest.as_str()) && r.steps == seen {
            return Ok(());
        }
        d.package = Some(digest.clone());
        self.step(
            who,
            (id, seen),
            "request-package",
            &[("draft", serde_json::to_string(&d).unwrap_or_default().into())],
            serde_json::json!({"package": digest, "withheld": r.withheld.len()}),
        )
    }

    /// Withhold an item of the draft on a ground of 法78条1項 (`1` to `7`) or of the ordinance
    /// (法78条2項: the `id` of one of the profile's `ordinance_grounds`), or release it again
    /// (`None`).
    pub fn withhold(
        &mut self,
        who: &Who,
        id: i64,
        item: usize,
        ground: Option<&str>,
        note: &str,
    ) -> Result<(), RegistryError> {
        let r = self.pending_one(id)?;
        let d = r
            .draft
            .as_ref()
            .ok_or_else(|| refuse::state(format!("request {id} has no draft (`tokumei request disclose`)")))?;
        if item == 0 || item > d.items {
            return Err(refuse::value(format!("the draft has items 1 to {}", d.items)));
        }
        let mut withheld: Vec<Withheld> = r.withheld.into_iter().filter(|w| w.item != item).collect();
        let mut cited = None;
        if let Some(g) = ground {
            let w = match g.trim().parse::<u8>() {
                Ok(n) if (1..=7).contains(&n) => Withheld { item, ground: n, ordinance: None, note: note.into() },
                Ok(_) => {
                    return Err(refuse::law("--ground is a number of 法78条1項, 1 to 7, or a ground of the ordinance"));
                }
                Err(_) => {
                    let p = self.profile()?;
                    let o = p.ordinance_ground(g.trim()).ok_or_else(|| {
                        let known: Vec<&str> = p.ordinance_grounds.iter().map(|o| o.id.as_str()).collect();
                        refuse::law(format!(
                            "--ground {g:?} is neither a number of 法78条1項 (1 to 7) nor a ground of the ordinance (法78条2項) in the profile's `ordinance_grounds`{}",
                            if known.is_empty() { " (it lists none)".to_string() } else { format!(": {}", known.join(", ")) }
                        ))
                    })?;
                    Withheld { item, ground: 0, ordinance: Some(o.id.clone()), note: note.into() }
                }
            };
            text("note", note)?;
            cited = Some(w.citation());
            withheld.push(w);
            withheld.sort_by_key(|w| w.item);
        }
        self.step(
            who,
            (id, r.steps),
            "request-withhold",
            &[("withheld", serde_json::to_string(&withheld).unwrap_or_default().into())],
            serde_json::json!({"item": item, "ground": cited, "note": note}),
        )
    }

    /// Record a notice sent (to the requester: `decision`, `extension`, `special_extension`; to a
    /// recipient of the file: `correction_recipient`, 法97; to a third party who objected:
    /// `third_party`, 法86条3項) on `day`. A decision notice's day starts the requester's 30 days
    /// to choose the method (法87条4項): record the day it was given (delivered or handed over).
    pub fn notice(
        &mut self,
        who: &Who,
        id: i64,
        kind: &str,
        to: &str,
        day: &str,
        today: &str,
    ) -> Result<(), RegistryError> {
        let r = self.request(id)?.ok_or_else(|| refuse::not_found(format!("no request {id} in the registry")))?;
        check_day(day, "the notice date", &r.entry.received, today)?;
        text("to", to)?;
        match kind {
            "decision" if r.decision.is_none() => return Err(refuse::state(format!("request {id} is not decided"))),
            "extension" if r.extension.is_none() => {
                return Err(refuse::state(format!("request {id} was not extended")));
            }
            "special_extension" if r.special.is_none() => {
                return Err(refuse::state(format!("request {id} has no special extension")));
            }
            "third_party" if !r.objection || r.decision.is_none() => {
                return Err(refuse::law(format!(
                    "request {id}: the third-party notice (法86条3項) follows a disclosure decided over a third party's objection"
                )));
            }
            "correction_recipient" => {
                let d = r.decision.as_ref().filter(|d| d.decision == "accepted" && r.entry.kind == Kind::Correction);
                let d = d.ok_or_else(|| refuse::state(format!("request {id} is not an accepted correction")))?;
                if !d.recipients_to_notify.iter().any(|x| x == to) {
                    return Err(refuse::value(format!(
                        "`{to}` is not a regular recipient of the corrected files ({})",
                        d.recipients_to_notify.join(", ")
                    )));
                }
            }
            "decision" | "extension" | "special_extension" | "third_party" => {}
            _ => {
                return Err(refuse::value(
                    "a notice is decision, extension, special_extension, correction_recipient or third_party",
                ));
            }
        }
        self.step(who, (id, r.steps), "request-notice", &[], serde_json::json!({"notice": kind, "to": to, "date": day}))
    }

    /// Record that a disclosure was carried out on `day` by `method`, chosen on `chosen` (within
    /// the profile's `method_days` of the decision notice, 法87条4項: counted from the day after
    /// the notice recorded last, moved to the next open day; no notice recorded: the period has
    /// not started). After a third party's objection, not before `third_party_days` full days
    /// have passed since the decision (法86条3項).
    pub fn carry_out(
        &mut self,
        who: &Who,
        id: i64,
        c: &CarriedOut,
        late_reason: Option<&str>,
        today: &str,
    ) -> Result<(), RegistryError> {
        let r = self.open_one(id)?;
        let p = self.profile()?;
        let d = r.decision.as_ref().filter(|d| matches!(d.decision.as_str(), "full" | "partial"));
        let d =
            d.ok_or_else(|| refuse::state(format!("request {id} has no decision to disclose (full or partial)")))?;
        if r.carried_out.is_some() {
            return Err(refuse::state(format!("request {id} was already carried out")));
        }
        if !r.package_current() {
            return Err(refuse::stale(format!(
                "request {id}: the package on file is not the one decided: rebuild it (`tokumei request disclose {id}`)"
            )));
        }
        text("method", &c.method)?;
        check_day(&c.chosen, "the day the method was chosen", &d.date, today)?;
        check_day(&c.date, "the disclosure date", &c.chosen, today)?;
        if let Some(notice) = self.decision_notice_day(id)? {
            let end =
                method_end(&notice, p.method_days, &p.closed_days).ok_or_else(|| refuse::value("out of range"))?;
            if c.chosen > end && late_reason.is_none_or(|s| s.trim().is_empty()) {
                return Err(refuse::law(format!(
                    "the method was chosen after {end}, the last day of the {} days from the decision notice of {notice} (法87条4項): give --late-reason (正当な理由)",
                    p.method_days
                )));
            }
        }
        if r.objection {
            // At least N full days between the decision and the disclosure (法86条3項: 間に少なくとも2週間).
            let earliest = add_days(&d.date, p.third_party_days + 1).ok_or_else(|| refuse::value("out of range"))?;
            if c.date < earliest {
                return Err(refuse::law(format!(
                    "a third party objected: at least {} days lie between the decision and the disclosure (法86条3項): not before {earliest}",
                    p.third_party_days
                )));
            }
        }
        self.step(
            who,
            (id, r.steps),
            "request-carry-out",
            &[
                ("status", "carried_out".to_string().into()),
                ("carried_out", serde_json::to_string(c).unwrap_or_default().into()),
            ],
            serde_json::json!({"date": c.date, "method": c.method, "chosen": c.chosen, "late_reason": late_reason}),
        )
    }

    /// The day of the last decision notice recorded for request `id` (法87条4項 counts from it).
    pub fn decision_notice_day(&self, id: i64) -> Result<Option<String>, RegistryError> {
        Ok(self
            .request_events(id)?
            .iter()
            .filter(|e| e.event == "notice" && e.detail["notice"] == "decision")
            .filter_map(|e| e.detail["date"].as_str().map(String::from))
            .max())
    }

    /// Close a request: withdrawn before its decision, or done after it.
    pub fn close_request(
        &mut self,
        who: &Who,
        id: i64,
        reason: &str,
        day: &str,
        today: &str,
    ) -> Result<(), RegistryError> {
        let r = self.open_one(id)?;
        text("reason", reason)?;
        check_day(day, "the closing date", &r.entry.received, today)?;
        self.copies_done(&r)?;
        self.step(
            who,
            (id, r.steps),
            "request-close",
            &[("status", "closed".to_string().into()), ("closed", format!("{day}: {reason}").into())],
            serde_json::json!({"date": day, "reason": reason, "was": r.status}),
        )
    }

    /// The subjects a run leaves out: scope `all`, and `provision` too when the release goes to
    /// a recipient; of requests about every file, or about one of `files` (the registered files
    /// the run reads; `None`: not known, every exclusion applies). Returns (last exclusion id,
    /// subjects).
    pub fn exclusions(&self, provision: bool, files: Option<&[String]>) -> Result<(i64, Vec<String>), RegistryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT e.subject, q.entry FROM exclusions e JOIN requests q ON q.id = e.request_id
                 WHERE e.scope = 'all' OR ?1 ORDER BY e.id",
            )
            .map_err(|e| self.db(e))?;
        let rows: Vec<(String, String)> = stmt
            .query_map([provision], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))?;
        let mut subjects = Vec::new();
        for (subject, entry) in rows {
            let entry: RequestEntry = serde_json::from_str(&entry).map_err(|e| self.db(e))?;
            let applies = entry.files.is_empty() || files.is_none_or(|run| entry.files.iter().any(|f| run.contains(f)));
            if applies {
                subjects.push(subject);
            }
        }
        let upto = self
            .conn
            .query_row("SELECT coalesce(max(id), 0) FROM exclusions", [], |r| r.get(0))
            .map_err(|e| self.db(e))?;
        Ok((upto, subjects))
    }

    /// Which request excluded a subject, and since when (the proof the registry keeps).
    pub fn exclusion_of(&self, subject: &str) -> Result<Vec<(i64, String, String)>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT request_id, scope, since FROM exclusions WHERE subject = ?1 ORDER BY id")
            .map_err(|e| self.db(e))?;
        stmt.query_map([normalize_subject(subject)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))
    }

    /// The corrections in force (accepted and not revoked), oldest first (a later one wins), and
    /// the version of the corrections: the last correction's id plus the last revocation's id
    /// (it grows with every correction and every revocation, so a run can tell that one came in
    /// while it read its input).
    pub fn corrections(&self) -> Result<(i64, Vec<InForce>), RegistryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT c.id, c.file, c.subject, c.column_name, c.value FROM corrections c
                 WHERE NOT EXISTS (SELECT 1 FROM correction_revocations v WHERE v.correction_id = c.id)
                 ORDER BY c.id",
            )
            .map_err(|e| self.db(e))?;
        let rows: Vec<(i64, InForce)> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, InForce { file: r.get(1)?, subject: r.get(2)?, column: r.get(3)?, value: r.get(4)? }))
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))?;
        let version = self.conn.query_row(CORRECTIONS_VERSION, [], |r| r.get(0)).map_err(|e| self.db(e))?;
        Ok((version, rows.into_iter().map(|(_, c)| c).collect()))
    }

    /// Revoke what an accepted correction request put in force (every value, or only that of
    /// `column`), with its reason, as one audited change that is also a step of the request's
    /// timeline: later runs no longer apply the values revoked (a release made before keeps
    /// them), and a later disclosure shows what the source holds. The correction rows stay,
    /// each with its revocation. Returns the columns revoked.
    pub fn revoke_correction(
        &mut self,
        who: &Who,
        id: i64,
        column: Option<&str>,
        reason: &str,
    ) -> Result<Vec<String>, RegistryError> {
        let r = self.request(id)?.ok_or_else(|| refuse::not_found(format!("no request {id} in the registry")))?;
        if r.entry.kind != Kind::Correction || r.decision.as_ref().is_none_or(|d| d.decision != "accepted") {
            return Err(refuse::state(format!(
                "request {id} is not an accepted correction: there is nothing to revoke"
            )));
        }
        text("reason", reason)?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT c.id, c.column_name FROM corrections c WHERE c.request_id = ?1
                 AND NOT EXISTS (SELECT 1 FROM correction_revocations v WHERE v.correction_id = c.id) ORDER BY c.id",
            )
            .map_err(|e| self.db(e))?;
        let in_force: Vec<(i64, String)> = stmt
            .query_map([id], |q| Ok((q.get(0)?, q.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))?;
        drop(stmt);
        let revoked: Vec<(i64, String)> = in_force.into_iter().filter(|(_, c)| column.is_none_or(|w| w == c)).collect();
        if revoked.is_empty() {
            return Err(refuse::state(match column {
                Some(c) => {
                    format!("request {id} has no correction of `{c}` in force (revoked already, or never asked)")
                }
                None => format!("request {id} has no correction in force (revoked already)"),
            }));
        }
        let columns: Vec<String> = revoked.iter().map(|(_, c)| c.clone()).collect();
        let detail = serde_json::json!({"columns": columns, "reason": reason});
        self.change(who, "request-revoke-correction", &id.to_string(), |tx| {
            REQUESTS.unchanged(tx, id, r.steps)?;
            let mut touched = vec![("requests", id.to_string())];
            for (cid, _) in &revoked {
                tx.execute(
                    "INSERT INTO correction_revocations (correction_id, request_id, reason, time, operator)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![cid, id, reason, who.time, who.operator],
                )
                .map_err(|e| refuse::storage(format!("request {id}: {e}")))?;
                touched.push(("correction_revocations", tx.last_insert_rowid().to_string()));
            }
            tx.execute("UPDATE requests SET updated = ?1 WHERE id = ?2", params![who.time, id])
                .map_err(|e| refuse::storage(format!("request {id}: {e}")))?;
            let ev = REQUESTS.event(tx, id, who, "correction-revoked", detail)?;
            touched.push(("request_events", ev.to_string()));
            Ok(((), touched))
        })?;
        Ok(columns)
    }
}

impl Registry {
    /// Requests against what their decisions put in force: every accepted suspension or opt-out
    /// has its exclusion of its subject, every accepted correction its values, and every
    /// exclusion and correction an accepted request that made it.
    pub(crate) fn request_problems(&self) -> Result<Vec<String>, RegistryError> {
        let mut problems = Vec::new();
        let mut stmt =
            self.conn.prepare("SELECT request_id, subject FROM exclusions ORDER BY id").map_err(|e| self.db(e))?;
        let exclusions: Vec<(i64, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))?;
        let mut stmt = self
            .conn
            .prepare("SELECT request_id, subject, column_name, value FROM corrections ORDER BY id")
            .map_err(|e| self.db(e))?;
        let corrections: Vec<(i64, String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))?;
        let requests = self.requests()?;
        for r in &requests {
            let accepted = r.decision.as_ref().is_some_and(|d| d.decision == "accepted");
            let subject = r.subject.clone().unwrap_or_default();
            match r.entry.kind {
                // (A suspension accepted on records attested outside the registered sources, without
                // a subject identifier, has no exclusion.)
                Kind::Suspension | Kind::OptOut
                    if accepted
                        && r.subject.is_some()
                        && !exclusions.iter().any(|(id, s)| *id == r.id && *s == subject) =>
                {
                    problems.push(format!("request {}: accepted, but its exclusion is missing", r.id));
                }
                Kind::Correction if accepted => {
                    let made = corrections.iter().filter(|c| c.0 == r.id && c.1 == subject).count();
                    // Values kept outside the registered sources are corrected where they are kept.
                    let asked = r.entry.corrections.iter().filter(|a| !a.outside).count();
                    let same = r
                        .entry
                        .corrections
                        .iter()
                        .filter(|a| !a.outside)
                        .all(|a| corrections.iter().any(|c| c.0 == r.id && c.2 == a.column && c.3 == a.value));
                    if made != asked || !same {
                        problems.push(format!("request {}: accepted, but its corrections differ from it", r.id));
                    }
                }
                _ => {}
            }
        }
        let accepted_by = |id: i64| {
            requests
                .iter()
                .find(|r| r.id == id)
                .filter(|r| r.decision.as_ref().is_some_and(|d| d.decision == "accepted"))
        };
        for (id, s) in &exclusions {
            let ok = accepted_by(*id).is_some_and(|r| {
                matches!(r.entry.kind, Kind::Suspension | Kind::OptOut) && r.subject.as_deref() == Some(s.as_str())
            });
            if !ok {
                problems.push(format!("an exclusion names request {id}, which did not accept it"));
            }
        }
        for (id, s, _, _) in &corrections {
            let ok = accepted_by(*id)
                .is_some_and(|r| r.entry.kind == Kind::Correction && r.subject.as_deref() == Some(s.as_str()));
            if !ok {
                problems.push(format!("a correction names request {id}, which did not accept it"));
            }
        }
        // Every revocation revokes a correction of the accepted request it names.
        let mut stmt = self
            .conn
            .prepare(
                "SELECT v.id, v.request_id, c.request_id FROM correction_revocations v
                 LEFT JOIN corrections c ON c.id = v.correction_id ORDER BY v.id",
            )
            .map_err(|e| self.db(e))?;
        let revocations: Vec<(i64, i64, Option<i64>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))?;
        for (v, request, of) in revocations {
            let ok = of == Some(request) && accepted_by(request).is_some_and(|r| r.entry.kind == Kind::Correction);
            if !ok {
                problems.push(format!(
                    "revocation {v} names request {request}, whose accepted correction it does not revoke"
                ));
            }
        }
        Ok(problems)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn who() -> Who {
        Who { operator: "officer".into(), time: "2026-11-27T10:00:00Z".into(), clock: None }
    }

    fn setup() -> (tempfile::TempDir, Registry) {
        let dir = tempfile::tempdir().expect("tempdir");
        let profile: crate::Profile = toml::from_str(
            "body = \"見本市\"\nactor = \"public_body\"\nbody_kind = \"municipality\"\nopt_out = true\n",
        )
        .expect("profile");
        let reg = Registry::create(&dir.path().join("r.sqlite"), &profile, &dir.path().join("audit.log"), &who())
            .expect("create");
        (dir, reg)
    }

    pub(crate) fn entry(kind: Kind, subject: &str) -> RequestEntry {
        RequestEntry {
            kind,
            received: "2026-11-20".into(),
            requester: "本人".into(),
            capacity: Capacity::Person,
            verification: "運転免許証".into(),
            records: "全て".into(),
            files: vec![],
            subject: Some(subject.into()),
            match_by: None,
            fee_yen: None,
            follows: None,
            disclosed_on: (kind == Kind::Suspension).then(|| "2026-11-01".into()),
            measure: (kind == Kind::Suspension).then_some(Measure::StopProvision),
            reason: None,
            corrections: vec![],
        }
    }

    /// The bundled rules copied to the temporary folder (edited by `edit`), allowed for a new
    /// file `F` whose items include 生年月日, 性別 and 住所.
    fn with_file(dir: &tempfile::TempDir, reg: &mut Registry, edit: impl Fn(String) -> String) -> FileRules {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/resident_registry.toml"))
            .expect("rules");
        let rules = rules_file(dir, "rules.toml", &edit(text));
        let mut file: crate::FileEntry = toml::from_str(
            "name = \"F\"\nunit = \"市民課\"\npurpose = \"p\"\nitems = [\"生年月日\", \"性別\", \"住所\"]\npeople_range = \"r\"\ncollection_method = \"c\"\nsensitive = false\nordinance_sensitive = false\nregular_recipients = []\nrequest_office = \"o\"\nkind = \"computer\"\npeople = 100\npublished = true\ndisclosable = true\nprocessable = true\nopen_to_proposals = false\n",
        )
        .expect("file");
        file.open_to_proposals = false;
        reg.add_file(&who(), &file, std::slice::from_ref(&rules)).expect("file");
        rules
    }

    fn rules_file(dir: &tempfile::TempDir, name: &str, text: &str) -> FileRules {
        use sha2::Digest;
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        FileRules { path: path.display().to_string(), sha256: hex::encode(sha2::Sha256::digest(text.as_bytes())) }
    }

    fn correction(subject: &str, column: &str, value: &str) -> RequestEntry {
        RequestEntry {
            disclosed_on: Some("2026-11-01".into()),
            corrections: vec![CorrectionAsked {
                file: "F".into(),
                column: column.into(),
                value: value.into(),
                reason: "届出の誤り".into(),
                outside: false,
            }],
            ..entry(Kind::Correction, subject)
        }
    }

    use crate::FileRules;

    #[test]
    fn a_correction_s_value_must_be_readable_as_its_column_s_type() {
        let (d, mut reg) = setup();
        let rules = with_file(&d, &mut reg, |t| t);
        // 生年月日 is a date in the rules (age hierarchy): 不明 would stop every later run.
        for bad in ["不明", "1980-02-30", "S55.13.01"] {
            let e =
                reg.open_request(&who(), &correction("1", "生年月日", bad), "2026-11-27").expect_err(bad).to_string();
            assert!(e.contains("`生年月日`") && e.contains("date"), "{e}");
            assert!(!e.contains(bad), "the value is never quoted: {e}");
        }
        for good in ["1980-02-29", "昭和55年1月2日", "１９８０／０１／０２", ""] {
            reg.open_request(&who(), &correction("1", "生年月日", good), "2026-11-27").expect(good);
        }
        // At the decision, against the rules allowed then: 性別 read as a yes/no now.
        let id = reg.open_request(&who(), &correction("2", "性別", "不明"), "2026-11-27").expect("string column");
        let text = std::fs::read_to_string(&rules.path).expect("rules");
        let strict =
            rules_file(&d, "strict.toml", &text.replace("name = \"性別\"\n", "name = \"性別\"\ntype = \"boolean\"\n"));
        reg.allow_rules(&who(), "F", &strict).expect("allow");
        let e = reg.decide(&who(), id, "accepted", "", None, false, "2026-11-27", "2026-11-27").expect_err("decide");
        assert!(e.to_string().contains("`性別`") && e.to_string().contains("boolean"), "{e}");
        assert!(reg.corrections().expect("corrections").1.is_empty());
        // A rule file changed since it was allowed: its types cannot be known, the decision waits.
        let id = reg.open_request(&who(), &correction("3", "住所", "見本市1-1"), "2026-11-27").expect("open");
        std::fs::write(&rules.path, text + "\n# edited\n").expect("edit");
        let e = reg.decide(&who(), id, "accepted", "", None, false, "2026-11-27", "2026-11-27").expect_err("changed");
        assert!(e.to_string().contains("have changed since they were allowed"), "{e}");
    }

    #[test]
    fn an_accepted_correction_is_revoked_with_its_reason_and_no_longer_applied() {
        let (d, mut reg) = setup();
        let rules = with_file(&d, &mut reg, |t| t);
        let text = std::fs::read_to_string(&rules.path).expect("rules");
        let strict =
            rules_file(&d, "strict.toml", &text.replace("name = \"性別\"\n", "name = \"性別\"\ntype = \"boolean\"\n"));
        let mut e = correction("1", "住所", "見本市1-1");
        e.corrections.push(CorrectionAsked {
            file: "F".into(),
            column: "性別".into(),
            value: "女".into(),
            reason: String::new(),
            outside: false,
        });
        let id = reg.open_request(&who(), &e, "2026-11-27").expect("open");
        let o = reg.open_request(&who(), &entry(Kind::Disclosure, "9"), "2026-11-27").expect("open");
        let e = reg.revoke_correction(&who(), id, None, "誤り").expect_err("not decided").to_string();
        assert!(e.contains("not an accepted correction"), "{e}");
        reg.decide(&who(), id, "accepted", "", None, false, "2026-11-27", "2026-11-27").expect("decide");
        let (v1, in_force) = reg.corrections().expect("corrections");
        assert_eq!(in_force.len(), 2);
        // Rules that would read a correction in force as another type are not allowed while it is.
        let e = reg.allow_rules(&who(), "F", &strict).expect_err("misfit").to_string();
        assert!(e.contains(&format!("request {id}")) && e.contains("`性別`") && e.contains("boolean"), "{e}");
        assert!(!e.contains('女'), "the value is never quoted: {e}");
        assert!(reg.revoke_correction(&who(), o, None, "誤り").is_err(), "a disclosure has no correction");
        assert!(reg.revoke_correction(&who(), id, None, " ").is_err(), "a revocation states its reason");
        assert_eq!(reg.revoke_correction(&who(), id, Some("性別"), "本人確認の誤り").expect("revoke"), ["性別"]);
        let (v2, in_force) = reg.corrections().expect("corrections");
        assert!(v2 > v1, "a revocation moves the corrections' version");
        assert_eq!(in_force.iter().map(|c| c.column.as_str()).collect::<Vec<_>>(), ["住所"]);
        reg.allow_rules(&who(), "F", &strict).expect("the revoked value no longer counts");
        assert!(reg.revoke_correction(&who(), id, Some("性別"), "再度").is_err(), "revoked once");
        assert_eq!(reg.revoke_correction(&who(), id, None, "申出の撤回").expect("revoke"), ["住所"]);
        assert!(reg.corrections().expect("corrections").1.is_empty());
        let events = reg.request_events(id).expect("events");
        let revoked: Vec<_> = events.iter().filter(|e| e.event == "correction-revoked").collect();
        assert_eq!(revoked.len(), 2);
        assert_eq!(revoked[0].detail["reason"], "本人確認の誤り");
        assert_eq!(reg.check_all().expect("check"), Vec::<String>::new(), "audited changes");
        // A revocation deleted by hand would bring the correction back: nothing acts on the
        // registry then (a run opens it proved).
        reg.conn.execute("DELETE FROM correction_revocations WHERE id = 2", []).expect("tamper");
        match Registry::open(reg.path()) {
            Err(RegistryError::Tampered { problems, .. }) => {
                assert!(problems.iter().any(|p| p.contains("correction_revocations row 2")), "{problems:?}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_subject_written_as_a_my_number_is_refused_and_my_number_columns_are_known_in_any_width() {
        let (_d, mut reg) = setup();
        for mn in [
            "123456789018",
            "１２３４５６７８９０１８",
            "1234 5678 9018",
            "1234-5678-9018",
            "１２３４　５６７８　９０１８",
        ] {
            let e = reg.open_request(&who(), &entry(Kind::Disclosure, mn), "2026-11-27").expect_err(mn).to_string();
            assert!(e.contains("個人番号") && e.contains("番号法9条"), "{e}");
            assert!(!e.contains("9018"), "the value is never quoted: {e}");
        }
        // Twelve digits without a valid check digit are a subject identifier like any other.
        let id = reg.open_request(&who(), &entry(Kind::Disclosure, "123456789010"), "2026-11-27").expect("open");
        let e = reg.match_subject(&who(), id, "1234 5678 9018", "identifier", 1, "本人確認").expect_err("match");
        assert!(e.to_string().contains("番号法9条"), "{e}");
        for name in [
            "個人番号",
            "マイナンバー",
            "ﾏｲﾅﾝﾊﾞｰ",
            "個 人 番 号",
            "個　人　番　号",
            "ｍｙ＿ｎｕｍｂｅｒ",
            "My Number",
            "MY-NUMBER",
            "本人の個人番号",
            "マイ・ナンバー",
            "kojin_bango",
            "個\u{200B}人番号",
        ] {
            assert!(is_my_number_column(name), "{name}");
        }
        for name in ["宛名番号", "世帯番号", "被保険者番号", "番号"] {
            assert!(!is_my_number_column(name), "{name}");
        }
    }

    #[test]
    fn a_step_on_a_stale_read_is_refused() {
        let (_d, mut reg) = setup();
        let id = reg.open_request(&who(), &entry(Kind::Disclosure, "1"), "2026-11-27").unwrap();
        let stale = reg.request(id).unwrap().unwrap();
        reg.defect(&who(), id, 3, "記載漏れ").unwrap();
        // Another officer's step came in between: a step prepared on the old read is refused.
        let e = reg.step(&who(), (id, stale.steps), "request-close", &[], serde_json::json!({})).unwrap_err();
        assert!(e.to_string().contains("changed while"), "{e}");
        assert_eq!(reg.request(id).unwrap().unwrap().due, "2026-12-23");
    }

    #[test]
    fn exclusions_by_scope_and_identifier_writing() {
        let (_d, mut reg) = setup();
        // A stop of provision (scope provision) and an opt-out of another subject, written full-width.
        let s = reg.open_request(&who(), &entry(Kind::Suspension, "１２３"), "2026-11-27").unwrap();
        reg.decide(&who(), s, "accepted", "", Some("unlawful_provision"), false, "2026-11-27", "2026-11-27").unwrap();
        let o = reg.open_request(&who(), &entry(Kind::OptOut, " 456\u{200B}"), "2026-11-27").unwrap();
        reg.decide(&who(), o, "accepted", "方針", None, false, "2026-11-27", "2026-11-27").unwrap();
        assert_eq!(reg.exclusions(false, None).unwrap(), (2, vec![]));
        assert_eq!(reg.exclusions(true, None).unwrap(), (2, vec!["123".to_string(), "456".to_string()]));
        assert_eq!(reg.exclusion_of("123").unwrap()[0].0, s);
        // Decided once only; a stop of provision is not an unlawful use.
        assert!(reg.decide(&who(), s, "rejected", "x", None, false, "2026-11-27", "2026-11-27").is_err());
        let t = reg.open_request(&who(), &entry(Kind::Suspension, "789"), "2026-11-27").unwrap();
        assert!(
            reg.decide(&who(), t, "accepted", "", Some("unlawful_use"), false, "2026-11-27", "2026-11-27").is_err()
        );
    }

    fn setup_with(extra: &str) -> (tempfile::TempDir, Registry) {
        let dir = tempfile::tempdir().expect("tempdir");
        let profile: crate::Profile = toml::from_str(&format!(
            "body = \"見本市\"\nactor = \"public_body\"\nbody_kind = \"municipality\"\n{extra}"
        ))
        .expect("profile");
        let reg = Registry::create(&dir.path().join("r.sqlite"), &profile, &dir.path().join("audit.log"), &who())
            .expect("create");
        (dir, reg)
    }

    /// A disclosure with its draft of `items` items and the package written from it.
    fn drafted(reg: &mut Registry, items: usize) -> i64 {
        let id = reg.open_request(&who(), &entry(Kind::Disclosure, "100"), "2026-11-27").expect("open");
        let draft = Draft {
            sha256: format!("draft-{items}"),
            items,
            records: items.min(1),
            made: "2026-11-27".into(),
            withheld_first: vec![],
            package: None,
        };
        reg.record_draft(&who(), id, &draft).expect("draft");
        packaged(reg, id);
        id
    }

    fn packaged(reg: &mut Registry, id: i64) {
        let steps = reg.request(id).expect("read").expect("request").steps;
        reg.record_package(&who(), id, steps).expect("package");
    }

    fn decide(reg: &mut Registry, id: i64, decision: &str, ground: Option<&str>) -> Result<Decision, RegistryError> {
        reg.decide(&who(), id, decision, "理由", ground, false, "2026-11-27", "2026-11-27")
    }

    /// 法82条2項: "not held" is the body's whole holding. The registered extracts finding nothing
    /// do not force it: the officer attests what else was searched, or the records found there.
    #[test]
    fn not_held_needs_the_other_files_searched_82_2() {
        let (_d, mut reg) = setup();
        let id = drafted(&mut reg, 0);
        let e = decide(&mut reg, id, "not_held", None).expect_err("registered sources only").to_string();
        assert!(e.contains("法82条2項") && e.contains("attest"), "{e}");
        let e = decide(&mut reg, id, "full", None).expect_err("nothing attested").to_string();
        assert!(e.contains("registered sources") && e.contains("--held"), "{e}");
        reg.attest(&who(), id, false, "市民課の紙の届出書綴り及び税務システムを確認", "2026-11-27", "2026-11-27")
            .expect("attest");
        let e = reg.attest(&who(), id, true, "x", "2026-11-27", "2026-11-27").expect_err("contradiction");
        assert!(e.to_string().contains("already"), "{e}");
        assert_eq!(decide(&mut reg, id, "not_held", None).expect("not held").decision, "not_held");
        assert_eq!(reg.request_events(id).expect("events").iter().filter(|e| e.event == "attest").count(), 1);
        assert_eq!(reg.check_all().expect("check"), Vec::<String>::new());
    }

    /// Item 3 of issue 29: a full or partial disclosure on records kept outside the registered
    /// sources (paper files, other systems), as the officer attests them.
    #[test]
    fn a_disclosure_may_be_decided_on_records_attested_outside_the_registered_sources() {
        let (_d, mut reg) = setup();
        let id = drafted(&mut reg, 0);
        reg.attest(&who(), id, true, "市民課保管の紙の転入届（2019年）", "2026-11-27", "2026-11-27").expect("attest");
        // The package must list them: written again first.
        let e = decide(&mut reg, id, "full", None).expect_err("stale package").to_string();
        assert!(e.contains("rebuild"), "{e}");
        packaged(&mut reg, id);
        let e = decide(&mut reg, id, "not_held", None).expect_err("held").to_string();
        assert!(e.contains("held"), "{e}");
        let d = decide(&mut reg, id, "partial", None).expect("partial on the attested records");
        assert_eq!(d.outside_records, ["市民課保管の紙の転入届（2019年）"]);
        let r = reg.request(id).expect("read").expect("request");
        assert!(r.held_outside() && r.attestations[0].operator == "officer");
        assert_eq!(reg.check_all().expect("check"), Vec::<String>::new());
    }

    /// A suspension or a correction of records kept only outside the registered sources: accepted
    /// on the attestation, without a subject identifier to exclude; nothing for runs to apply.
    #[test]
    fn a_suspension_or_correction_of_records_kept_outside_is_accepted_on_the_attestation() {
        let (_d, mut reg) = setup();
        let mut e = entry(Kind::Suspension, "1");
        e.subject = None;
        e.match_by = Some(MatchBy { name: "見本太郎".into(), birth_date: "1980-01-02".into() });
        let id = reg.open_request(&who(), &e, "2026-11-27").expect("open");
        let err = decide(&mut reg, id, "accepted", Some("unlawful_provision")).expect_err("no subject").to_string();
        assert!(err.contains("match the person"), "{err}");
        reg.attest(&who(), id, true, "福祉課の紙台帳", "2026-11-27", "2026-11-27").expect("attest");
        let d = decide(&mut reg, id, "accepted", Some("unlawful_provision")).expect("accepted");
        assert_eq!(d.outside_records, ["福祉課の紙台帳"]);
        assert!(reg.exclusions(true, None).expect("exclusions").1.is_empty());
        // A correction of a value kept on paper: on the attestation only.
        let mut c = correction("2", "住所", "見本市2-2");
        c.corrections[0].file = "紙の住民票綴り".into();
        c.corrections[0].outside = true;
        let id = reg.open_request(&who(), &c, "2026-11-27").expect("open");
        let err = decide(&mut reg, id, "accepted", None).expect_err("not attested").to_string();
        assert!(err.contains("attest"), "{err}");
        reg.attest(&who(), id, true, "市民課の紙の住民票綴り", "2026-11-27", "2026-11-27").expect("attest");
        decide(&mut reg, id, "accepted", None).expect("accepted");
        assert!(reg.corrections().expect("corrections").1.is_empty(), "corrected where it is kept");
        assert_eq!(reg.check_all().expect("check"), Vec::<String>::new());
    }

    /// 法84: the 相当の部分 is decided within the normal period (30 + 30 days): its date is the
    /// deadline (and makes the request overdue) until it is recorded as decided.
    #[test]
    fn a_special_extension_under_84_tracks_the_date_of_the_substantial_part() {
        let (_d, mut reg) = setup();
        let id = reg.open_request(&who(), &entry(Kind::Disclosure, "1"), "2026-11-27").expect("open");
        let ext = |until: &str| Extension {
            days: 0,
            until: until.into(),
            reason: "著しく大量".into(),
            notice: "2026-11-27".into(),
            part_by: None,
            part_decided: None,
        };
        // Received 2026-11-20: the normal period ends 2027-01-19; the rest must come after it.
        let e = reg.extend(&who(), id, ext("2027-01-10"), true, "2026-11-27").expect_err("too early").to_string();
        assert!(e.contains("2027-01-19") && e.contains("相当の部分"), "{e}");
        reg.extend(&who(), id, ext("2027-03-31"), true, "2026-11-27").expect("special");
        let r = reg.request(id).expect("read").expect("request");
        assert_eq!(r.special.as_ref().and_then(|s| s.part_by.as_deref()), Some("2027-01-19"));
        assert_eq!(r.deadline(), "2027-01-19");
        assert!(r.overdue("2027-01-20") && !r.overdue("2027-01-19"));
        assert!(
            !reg.decide_part(&who(), id, "住民基本台帳ファイル分を開示決定", "2027-01-18", "2027-01-18").expect("part")
        );
        let r = reg.request(id).expect("read").expect("request");
        assert_eq!(r.deadline(), "2027-03-31");
        assert!(!r.overdue("2027-01-20"));
        assert!(reg.decide_part(&who(), id, "again", "2027-01-18", "2027-01-18").is_err(), "recorded once");
        // Days of 補正 move the 相当の部分's date with the due date.
        let id = reg.open_request(&who(), &entry(Kind::Disclosure, "2"), "2026-11-27").expect("open");
        reg.extend(&who(), id, ext("2027-03-31"), true, "2026-11-27").expect("special");
        reg.defect(&who(), id, 5, "記載漏れ").expect("defect");
        assert_eq!(reg.request(id).expect("read").expect("request").deadline(), "2027-01-24");
    }

    /// 法95 (correction) and 法103 (suspension): special extensions with their date, notice
    /// within the normal period; an opt-out has none.
    #[test]
    fn corrections_and_suspensions_have_special_extensions_95_103() {
        let (_d, mut reg) = setup();
        let ext = Extension {
            days: 0,
            until: "2027-02-26".into(),
            reason: "調査に特に長期間を要する".into(),
            notice: "2026-11-27".into(),
            part_by: None,
            part_decided: None,
        };
        for kind in [Kind::Correction, Kind::Suspension] {
            let e = if kind == Kind::Correction {
                let mut c = correction("1", "住所", "x");
                c.corrections[0].outside = true;
                c
            } else {
                entry(kind, "1")
            };
            let id = reg.open_request(&who(), &e, "2026-11-27").unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            reg.extend(&who(), id, ext.clone(), true, "2026-11-27").expect("special");
            let r = reg.request(id).expect("read").expect("request");
            assert_eq!((r.deadline(), r.special.and_then(|s| s.part_by)), ("2027-02-26".to_string(), None));
        }
        let o = reg.open_request(&who(), &entry(Kind::OptOut, "1"), "2026-11-27").expect("open");
        assert!(reg.extend(&who(), o, ext.clone(), true, "2026-11-27").is_err());
        // The notice is sent within the normal period (法95: 法94条1項の期間内).
        let id = reg.open_request(&who(), &entry(Kind::Suspension, "3"), "2026-11-27").expect("open");
        let late = Extension { notice: "2026-12-21".into(), ..ext };
        assert!(
            reg.extend(&who(), id, late, true, "2026-12-21")
                .expect_err("late")
                .to_string()
                .contains("within the period")
        );
    }

    /// 法78条2項: an item withheld on a ground the ordinance adds, cited with its article.
    #[test]
    fn an_item_is_withheld_on_a_ground_of_the_ordinance_78_2() {
        let (_d, mut reg) = setup_with(
            "[[ordinance_grounds]]\nid = \"条例5条1号\"\narticle = \"見本市個人情報保護法施行条例第5条第1号\"\ndescription = \"情報公開条例第7条第6号に規定する情報\"\n",
        );
        let id = drafted(&mut reg, 2);
        reg.withhold(&who(), id, 1, Some("条例5条1号"), "監査に関する情報").expect("ordinance ground");
        reg.withhold(&who(), id, 2, Some("2"), "世帯員").expect("法78条1項2号");
        let e = reg.withhold(&who(), id, 2, Some("条例9条"), "x").expect_err("unknown").to_string();
        assert!(e.contains("条例5条1号") && e.contains("法78条2項"), "{e}");
        assert!(reg.withhold(&who(), id, 2, Some("8"), "x").is_err());
        let r = reg.request(id).expect("read").expect("request");
        assert_eq!(r.withheld[0].citation(), "法78条2項（条例5条1号）");
        assert_eq!(r.withheld[1].citation(), "法78条1項2号");
        let p = reg.profile().expect("profile");
        assert!(r.withheld[0].ground_text(&p).contains("見本市個人情報保護法施行条例第5条第1号"));
        packaged(&mut reg, id);
        decide(&mut reg, id, "partial", None).expect("partial");
    }

    /// 法87条4項: the 30 days to choose the method run from the decision notice (the day after
    /// it), not from the decision, and end on an open day.
    #[test]
    fn the_method_period_runs_from_the_decision_notice_87_4() {
        let (_d, mut reg) = setup();
        let id = drafted(&mut reg, 1);
        decide(&mut reg, id, "full", None).expect("full");
        // Decided 2026-11-27, the notice given on 2026-12-01: 30 days end on 2026-12-31, closed
        // (年末年始): the last day is 2027-01-04.
        reg.notice(&who(), id, "decision", "本人", "2026-12-01", "2026-12-01").expect("notice");
        assert_eq!(reg.decision_notice_day(id).expect("day").as_deref(), Some("2026-12-01"));
        let carried =
            |chosen: &str| CarriedOut { date: chosen.into(), method: "写しの交付".into(), chosen: chosen.into() };
        let e = reg.carry_out(&who(), id, &carried("2027-01-05"), None, "2027-01-05").expect_err("late").to_string();
        assert!(e.contains("2027-01-04") && e.contains("法87条4項"), "{e}");
        reg.carry_out(&who(), id, &carried("2027-01-04"), None, "2027-01-04").expect("within the period");
    }

    /// 法86条3項: a third party who objected is told at once; the notice needs the objection.
    #[test]
    fn the_third_party_notice_follows_a_decision_over_an_objection_86_3() {
        let (_d, mut reg) = setup();
        let id = drafted(&mut reg, 1);
        reg.decide(&who(), id, "full", "", None, true, "2026-11-27", "2026-11-27").expect("decide");
        reg.notice(&who(), id, "third_party", "株式会社例", "2026-11-27", "2026-11-27").expect("third party");
        let other = drafted(&mut reg, 1);
        decide(&mut reg, other, "full", None).expect("decide");
        assert!(reg.notice(&who(), other, "third_party", "株式会社例", "2026-11-27", "2026-11-27").is_err());
    }

    /// A profile whose ordinance counts the day of receipt (「起算して」) makes every request due a
    /// day earlier.
    #[test]
    fn the_receipt_day_is_day_one_where_the_ordinance_says_so() {
        let (_d, mut reg) = setup_with("count_receipt_day = true\n");
        let id = reg.open_request(&who(), &entry(Kind::Disclosure, "1"), "2026-11-27").expect("open");
        assert_eq!(reg.request(id).expect("read").expect("request").due, "2026-12-19");
        let (_d, mut reg) = setup();
        let id = reg.open_request(&who(), &entry(Kind::Disclosure, "1"), "2026-11-27").expect("open");
        assert_eq!(reg.request(id).expect("read").expect("request").due, "2026-12-20");
    }
}
