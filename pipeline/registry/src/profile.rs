//! The municipality profile: who keeps the registry (its actor under the APPI) and the
//! parameters its ordinances set (施行条例, 法108): fees, request periods, 条例要配慮 items, the
//! people count from which a file needs a ファイル簿 entry. Read from a TOML file at `init`.

use crate::RegistryError;
use crate::refuse;
use rusqlite::{Transaction, params};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Who the keeper is under the APPI (the same word as a job's `actor`).
pub use tokumei_rules::Actor;

/// What kind of body a public body is (calls for proposals are mandatory for prefectures and
/// designated cities only, 2021 amendment 附則7条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    /// 都道府県.
    Prefecture,
    /// 指定都市.
    DesignatedCity,
    /// Other 市区町村.
    Municipality,
    /// Anything else (a national body, a business).
    Other,
}

impl BodyKind {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            BodyKind::Prefecture => "prefecture",
            BodyKind::DesignatedCity => "designated_city",
            BodyKind::Municipality => "municipality",
            BodyKind::Other => "other",
        }
    }

    fn parse(s: &str) -> Option<BodyKind> {
        [BodyKind::Prefecture, BodyKind::DesignatedCity, BodyKind::Municipality, BodyKind::Other]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A kind of 不開示情報 the ordinance adds to those of 法78条1項 (法78条2項: information that the
/// body's 情報公開条例 withholds, made 不開示 by the ordinance for consistency with it), usable as
/// the ground on which an item of a disclosure is withheld.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrdinanceGround {
    /// How officers name it (`--ground ID`): not a number, which names a 法78条1項 ground.
    pub id: String,
    /// The ordinance and article that define it (e.g. 見本市個人情報保護法施行条例第5条第1号).
    pub article: String,
    /// What information it covers, as the notice states it.
    pub description: String,
}

/// The profile (one per registry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Name of the body (e.g. 〇〇市).
    pub body: String,
    /// Its local government code (全国地方公共団体コード, 6 digits), if any.
    #[serde(default)]
    pub body_code: Option<String>,
    /// Its actor under the APPI.
    pub actor: Actor,
    /// What kind of body.
    pub body_kind: BodyKind,
    /// Whether calls for proposals are mandatory (default: for prefectures and designated
    /// cities; others may choose to hold them).
    #[serde(default)]
    pub proposals_mandatory: Option<bool>,
    /// Fee per contract, yen (法119条3項; the cabinet-order standard is 21,000).
    #[serde(default = "d_fee_base")]
    pub fee_base_yen: i64,
    /// Fee per hour (or part) of creation work, yen (standard 3,950).
    #[serde(default = "d_fee_hour")]
    pub fee_per_hour_yen: i64,
    /// Fee of a contract on a third party's 法118 proposal (anonymised data already made), yen
    /// (法119条4項: the ordinance's amount). None: entered at payment.
    #[serde(default)]
    pub fee_reuse_yen: Option<i64>,
    /// Fee of a contract on a contractor's change of use (法118条1項後段), yen (法119条4項: the
    /// ordinance's amount). None: entered at payment.
    #[serde(default)]
    pub fee_change_of_use_yen: Option<i64>,
    /// Days to decide a disclosure, correction or suspension request (法83条1項, 94条1項, 102条1項:
    /// 30; an ordinance may shorten them, never lengthen them).
    #[serde(default = "d_30")]
    pub request_days: i64,
    /// Days a decision may be extended by (法83条2項, 94条2項, 102条2項: up to 30).
    #[serde(default = "d_30")]
    pub extension_days: i64,
    /// Days after disclosure within which correction or suspension may be requested (法90条3項,
    /// 98条3項: 90, never fewer).
    #[serde(default = "d_90")]
    pub correction_window_days: i64,
    /// People count from which a file needs a ファイル簿 entry (1,000 by the cabinet order; an
    /// ordinance may lower it, never raise it).
    #[serde(default = "d_1000")]
    pub file_entry_threshold: i64,
    /// Fewest people a proposal may ask for (法114条1項2号: fixed at 1,000 by the Commission's
    /// Rules; kept for old profiles, any other value is refused).
    #[serde(default = "d_1000")]
    pub proposal_min_people: i64,
    /// Longest use period a contract may grant, days (the body's rule; default 3 years).
    #[serde(default = "d_use")]
    pub use_period_max_days: i64,
    /// Items the ordinance makes sensitive (条例要配慮個人情報).
    #[serde(default)]
    pub ordinance_sensitive: Vec<String>,
    /// Years records of provision are kept (the body's document rules; default 5).
    #[serde(default = "d_retention")]
    pub retention_years: i64,
    /// Whether a per-subject index of provisions is kept (personal information itself; off).
    #[serde(default)]
    pub subject_index: bool,
    /// Days between a disclosure decision and the disclosure when a third party objects (法86条3項:
    /// at least 2 weeks).
    #[serde(default = "d_14")]
    pub third_party_days: i64,
    /// Days after the decision notice within which the requester chooses the method (法87条4項: 30,
    /// never fewer).
    #[serde(default = "d_30")]
    pub method_days: i64,
    /// Fee for a disclosure request, yen (法89: set by ordinance; 0 = free). Correction and
    /// suspension requests are always free.
    #[serde(default)]
    pub disclosure_fee_yen: i64,
    /// Whether the body runs an opt-out policy: a resident's opt-out keeps them out of every
    /// later release provided to a recipient.
    #[serde(default)]
    pub opt_out: bool,
    /// Days the body is closed besides Saturdays, Sundays, national holidays (bundled) and 29
    /// December - 3 January (the ordinance's own), YYYY-MM-DD: a requester's period that ends on a
    /// closed day ends on the next open day (地方自治法4条の2第4項).
    #[serde(default)]
    pub closed_days: Vec<String>,
    /// The municipality-wide subject identifier (its column name, default 宛名番号) that every
    /// registered source's subject column and every run's `subject` column hold: requests name
    /// people by it. Never 個人番号.
    #[serde(default = "d_identifier")]
    pub subject_identifier: String,
    /// Days after discovery by which a leak's preliminary report (速報) is due (guidance: 3-5;
    /// default 5).
    #[serde(default = "d_5")]
    pub incident_preliminary_days: i64,
    /// Days after discovery by which the final report (確報) is due (規則: 30).
    #[serde(default = "d_30")]
    pub incident_final_days: i64,
    /// The same when an unlawful purpose is suspected (規則: 60).
    #[serde(default = "d_60")]
    pub incident_final_unlawful_days: i64,
    /// People count above which a leak is reportable (default: 100 for a public body, 1,000
    /// for a business or 法58条 body).
    #[serde(default)]
    pub leak_threshold: Option<i64>,
    /// How the days to a leak report are counted from the day the unit learned of it (default:
    /// that day is day 1, every calendar day counts, never moved later: the earliest reading).
    #[serde(default)]
    pub incident_counting: crate::IncidentCounting,
    /// The source of another counting (guidance, Q&A, the body's legal advice): required with
    /// one, refused without.
    #[serde(default)]
    pub incident_counting_source: Option<String>,
    /// Whether the ordinance counts the day a request is received as day 1 of the body's decision
    /// period (「受け付けた日から起算して」): the decision is due a day earlier. Default `false`:
    /// 民法140条 (the day after receipt is day 1), the Act's own reading.
    #[serde(default)]
    pub count_receipt_day: bool,
    /// 不開示情報 the ordinance adds (法78条2項), usable as grounds for withholding.
    #[serde(default)]
    pub ordinance_grounds: Vec<OrdinanceGround>,
}

fn d_5() -> i64 {
    5
}
fn d_60() -> i64 {
    60
}

fn d_identifier() -> String {
    "宛名番号".into()
}

fn d_14() -> i64 {
    14
}

fn d_fee_base() -> i64 {
    21_000
}
fn d_fee_hour() -> i64 {
    3_950
}
fn d_30() -> i64 {
    30
}
fn d_90() -> i64 {
    90
}
fn d_1000() -> i64 {
    1_000
}
fn d_use() -> i64 {
    3 * 365
}
fn d_retention() -> i64 {
    5
}

impl Profile {
    /// Read a profile file (TOML).
    pub fn load(path: &Path) -> Result<Profile, RegistryError> {
        let err = |message: String| RegistryError::Entry { path: path.to_path_buf(), message };
        let text = crate::files::read_small(path).map_err(err)?;
        let p: Profile = toml::from_str(&text).map_err(|e| err(crate::files::toml_message(&text, &e)))?;
        p.check().map_err(|e| err(e.to_string()))?;
        Ok(p)
    }

    /// Whether calls for proposals are mandatory for this body.
    pub fn proposals_mandatory(&self) -> bool {
        self.proposals_mandatory.unwrap_or(matches!(self.body_kind, BodyKind::Prefecture | BodyKind::DesignatedCity))
    }

    /// Refuse a profile the law or common sense rules out.
    pub fn check(&self) -> Result<(), RegistryError> {
        let deny = |kind: fn(String) -> RegistryError, m: &str| Err(kind(format!("profile: {m}")));
        if self.body.trim().is_empty() {
            return deny(refuse::value, "`body` is empty");
        }
        if let Some(code) = &self.body_code
            && !(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()))
        {
            return deny(refuse::value, "`body_code` must be the 6-digit local government code");
        }
        if self.proposals_mandatory == Some(false)
            && matches!(self.body_kind, BodyKind::Prefecture | BodyKind::DesignatedCity)
        {
            return deny(refuse::law, "calls for proposals are mandatory for prefectures and designated cities");
        }
        if self.actor != Actor::PublicBody && self.body_kind != BodyKind::Other {
            return deny(refuse::law, "a business or 法58条 body has `body_kind = \"other\"`");
        }
        if let Some(bad) = crate::check::bad_text(&self.body) {
            return deny(refuse::value, &format!("`body` {bad}"));
        }
        self.statutory_limits()?;
        for (name, v, min, max) in [
            ("fee_base_yen", self.fee_base_yen, 0, 1_000_000_000),
            ("fee_per_hour_yen", self.fee_per_hour_yen, 0, 10_000_000),
            ("fee_reuse_yen", self.fee_reuse_yen.unwrap_or(0), 0, 1_000_000_000),
            ("fee_change_of_use_yen", self.fee_change_of_use_yen.unwrap_or(0), 0, 1_000_000_000),
            ("request_days", self.request_days, 1, 3_650),
            ("extension_days", self.extension_days, 0, 3_650),
            ("correction_window_days", self.correction_window_days, 1, 3_650),
            ("file_entry_threshold", self.file_entry_threshold, 1, 1_000_000_000),
            ("proposal_min_people", self.proposal_min_people, 1, 1_000_000_000),
            ("use_period_max_days", self.use_period_max_days, 1, 36_500),
            ("retention_years", self.retention_years, 1, 100),
            ("third_party_days", self.third_party_days, 0, 365),
            ("method_days", self.method_days, 1, 365),
            ("disclosure_fee_yen", self.disclosure_fee_yen, 0, 1_000_000),
            ("incident_preliminary_days", self.incident_preliminary_days, 3, 5),
            // The statute's numbers may be tightened by the body, never loosened.
            ("incident_final_days", self.incident_final_days, 1, 30),
            ("incident_final_unlawful_days", self.incident_final_unlawful_days, 1, 60),
            (
                "leak_threshold",
                self.leak_threshold.unwrap_or(1),
                1,
                if self.actor == Actor::PublicBody { 100 } else { 1_000 },
            ),
        ] {
            if !(min..=max).contains(&v) {
                return deny(refuse::value, &format!("`{name}` must be between {min} and {max}"));
            }
        }
        if self.subject_identifier.trim().is_empty()
            || crate::check::bad_text(&self.subject_identifier).is_some()
            || crate::requests::is_my_number_column(&self.subject_identifier)
        {
            return deny(
                refuse::identifier,
                "`subject_identifier` names the column of the municipality's subject identifier (e.g. 宛名番号), never 個人番号",
            );
        }
        // A reading of the leak report deadlines other than the earliest needs its source.
        match (self.incident_counting == crate::IncidentCounting::default(), &self.incident_counting_source) {
            (false, None) => {
                return deny(
                    refuse::value,
                    &format!(
                        "`incident_counting = \"{}\"` needs `incident_counting_source`: where that reading of the deadlines comes from",
                        self.incident_counting.as_str()
                    ),
                );
            }
            (true, Some(_)) => {
                return deny(
                    refuse::value,
                    "`incident_counting_source` goes with an `incident_counting` other than the default (learned_day_one)",
                );
            }
            (false, Some(src)) if src.trim().is_empty() || crate::check::bad_text(src).is_some() => {
                return deny(refuse::value, "`incident_counting_source` is empty or holds control characters");
            }
            _ => {}
        }
        if self.closed_days.len() > 10_000 {
            return deny(refuse::value, "`closed_days` lists more than 10,000 days");
        }
        if let Some(bad) = self.closed_days.iter().find(|d| crate::deadline::date(d).is_none()) {
            return deny(
                refuse::value,
                &format!("`closed_days`: {:?} is not a date YYYY-MM-DD", bad.chars().take(20).collect::<String>()),
            );
        }
        if self.ordinance_grounds.len() > 100 {
            return deny(refuse::value, "`ordinance_grounds` lists more than 100 grounds");
        }
        for (i, g) in self.ordinance_grounds.iter().enumerate() {
            let at = format!("`ordinance_grounds` {}", i + 1);
            for (field, v, max) in
                [("id", &g.id, 40), ("article", &g.article, 200), ("description", &g.description, 1000)]
            {
                if v.trim().is_empty() || v.chars().count() > max || crate::check::bad_text(v).is_some() {
                    return deny(
                        refuse::value,
                        &format!("{at}: `{field}` must be 1 to {max} characters without control characters"),
                    );
                }
            }
            if g.id.trim().parse::<i64>().is_ok() {
                return deny(
                    refuse::value,
                    &format!(
                        "{at}: `id` {:?} is a number, which names a ground of 法78条1項: give the ordinance's ground a name (e.g. 条例5条1号)",
                        g.id
                    ),
                );
            }
            if self.ordinance_grounds[..i].iter().any(|o| o.id == g.id) {
                return deny(refuse::duplicate, &format!("{at}: `id` {:?} is given twice", g.id));
            }
        }
        Ok(())
    }

    /// The limits the Act and its Rules set, which an ordinance may tighten and never loosen: the
    /// first value beyond them is refused, naming the field and the article.
    fn statutory_limits(&self) -> Result<(), RegistryError> {
        match self.law_problems().into_iter().next() {
            Some(m) => Err(refuse::law(format!("profile: {m}"))),
            None => Ok(()),
        }
    }

    /// Every value of the profile beyond a limit of the Act or its Rules, each naming the field,
    /// the limit and the article (a profile stored before these limits were checked may hold one:
    /// [`Profile::within_law`] then applies the limit).
    pub fn law_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut limit = |bad: bool, m: String| {
            if bad {
                out.push(m);
            }
        };
        limit(
            self.request_days > 30,
            format!(
                "`request_days` = {}: the body decides within 30 days (法83条1項; correction 法94条1項, suspension 法102条1項); an ordinance may shorten the period, never lengthen it",
                self.request_days
            ),
        );
        limit(
            self.extension_days > 30,
            format!(
                "`extension_days` = {}: an extension is at most 30 days (法83条2項; correction 法94条2項, suspension 法102条2項); an ordinance may shorten it, never lengthen it",
                self.extension_days
            ),
        );
        limit(
            self.third_party_days < 14,
            format!(
                "`third_party_days` = {}: at least 2 weeks (14 days) lie between the decision and the disclosure when a third party objects (法86条3項)",
                self.third_party_days
            ),
        );
        limit(
            self.method_days < 30,
            format!(
                "`method_days` = {}: the requester has 30 days from the decision notice to choose the method (法87条4項); an ordinance may not shorten them",
                self.method_days
            ),
        );
        limit(
            self.correction_window_days < 90,
            format!(
                "`correction_window_days` = {}: correction and suspension may be asked within 90 days of the disclosure (法90条3項, 法98条3項); an ordinance may not shorten them",
                self.correction_window_days
            ),
        );
        limit(
            self.proposal_min_people != 1_000,
            format!(
                "`proposal_min_people` = {}: the fewest people a proposal may ask for is fixed at 1,000 by the Commission's Rules (法114条1項2号); leave the field out",
                self.proposal_min_people
            ),
        );
        limit(
            self.file_entry_threshold > 1_000,
            format!(
                "`file_entry_threshold` = {}: a file of 1,000 people or more needs its ファイル簿 entry (法75条, 法74条2項9号 and the cabinet order); an ordinance may lower the threshold, never raise it",
                self.file_entry_threshold
            ),
        );
        out
    }

    /// The profile with every value beyond the Act's limits brought to the limit (the reading that
    /// protects the person: the shorter period for the body, the longer one for the requester,
    /// 1,000 people for a proposal), for a profile stored before the limits were checked.
    pub fn within_law(mut self) -> Profile {
        self.request_days = self.request_days.min(30);
        self.extension_days = self.extension_days.min(30);
        self.third_party_days = self.third_party_days.max(14);
        self.method_days = self.method_days.max(30);
        self.correction_window_days = self.correction_window_days.max(90);
        self.proposal_min_people = 1_000;
        self.file_entry_threshold = self.file_entry_threshold.min(1_000);
        self
    }

    /// The ordinance ground named `id` (法78条2項).
    pub fn ordinance_ground(&self, id: &str) -> Option<&OrdinanceGround> {
        self.ordinance_grounds.iter().find(|g| g.id == id)
    }

    pub(crate) fn insert(&self, tx: &Transaction) -> Result<(), RegistryError> {
        tx.execute(
            "INSERT INTO profile (id, body, body_code, actor, body_kind, proposals_mandatory, fee_base_yen,
                fee_per_hour_yen, request_days, extension_days, correction_window_days, file_entry_threshold,
                proposal_min_people, use_period_max_days, ordinance_sensitive, retention_years, subject_index,
                third_party_days, method_days, disclosure_fee_yen, opt_out, closed_days, subject_identifier)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
            params![
                self.body,
                self.body_code,
                self.actor.as_str(),
                self.body_kind.as_str(),
                self.proposals_mandatory(),
                self.fee_base_yen,
                self.fee_per_hour_yen,
                self.request_days,
                self.extension_days,
                self.correction_window_days,
                self.file_entry_threshold,
                self.proposal_min_people,
                self.use_period_max_days,
                serde_json::to_string(&self.ordinance_sensitive).unwrap_or_else(|_| "[]".into()),
                self.retention_years,
                self.subject_index,
                self.third_party_days,
                self.method_days,
                self.disclosure_fee_yen,
                self.opt_out,
                serde_json::to_string(&self.closed_days).unwrap_or_else(|_| "[]".into()),
                self.subject_identifier,
            ],
        )
        .map_err(|e| refuse::storage(format!("profile: {e}")))?;
        tx.execute(
            "UPDATE profile SET count_receipt_day = ?1, ordinance_grounds = ?2 WHERE id = 1",
            params![
                self.count_receipt_day,
                serde_json::to_string(&self.ordinance_grounds).unwrap_or_else(|_| "[]".into())
            ],
        )
        .map_err(|e| refuse::storage(format!("profile: {e}")))?;
        tx.execute(
            "UPDATE profile SET incident_preliminary_days = ?1, incident_final_days = ?2,
                incident_final_unlawful_days = ?3, leak_threshold = ?4 WHERE id = 1",
            params![
                self.incident_preliminary_days,
                self.incident_final_days,
                self.incident_final_unlawful_days,
                self.leak_threshold
            ],
        )
        .map_err(|e| refuse::storage(format!("profile: {e}")))?;
        tx.execute(
            "UPDATE profile SET incident_counting = ?1, incident_counting_source = ?2 WHERE id = 1",
            params![self.incident_counting.as_str(), self.incident_counting_source],
        )
        .map_err(|e| refuse::storage(format!("profile: {e}")))?;
        tx.execute(
            "UPDATE profile SET fee_reuse_yen = ?1, fee_change_of_use_yen = ?2 WHERE id = 1",
            params![self.fee_reuse_yen, self.fee_change_of_use_yen],
        )
        .map_err(|e| refuse::storage(format!("profile: {e}")))?;
        Ok(())
    }
}

impl crate::Registry {
    /// The profile, with every value beyond a limit of the Act brought to the limit
    /// ([`Profile::within_law`]; [`crate::Registry::profile_law_problems`] lists them).
    pub fn profile(&self) -> Result<Profile, RegistryError> {
        Ok(self.stored_profile()?.within_law())
    }

    /// The values of the stored profile beyond a limit of the Act (a registry made before the
    /// limits were checked): each is used at the limit; `registry status` warns of them.
    pub fn profile_law_problems(&self) -> Result<Vec<String>, RegistryError> {
        Ok(self.stored_profile()?.law_problems())
    }

    /// The profile as stored.
    fn stored_profile(&self) -> Result<Profile, RegistryError> {
        let row = self
            .conn
            .query_row(
                "SELECT body, body_code, actor, body_kind, proposals_mandatory, fee_base_yen, fee_per_hour_yen,
                    request_days, extension_days, correction_window_days, file_entry_threshold,
                    proposal_min_people, use_period_max_days, ordinance_sensitive, retention_years, subject_index,
                    third_party_days, method_days, disclosure_fee_yen, opt_out, closed_days, subject_identifier
                 FROM profile WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, bool>(4)?,
                        [r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?],
                        r.get::<_, String>(13)?,
                        r.get::<_, i64>(14)?,
                        r.get::<_, bool>(15)?,
                        [r.get::<_, i64>(16)?, r.get(17)?, r.get(18)?],
                        r.get::<_, bool>(19)?,
                        [r.get::<_, String>(20)?, r.get(21)?],
                    ))
                },
            )
            .map_err(|e| self.db(e))?;
        let (body, body_code, actor, kind, mandatory, n, sensitive, retention_years, subject_index, m, opt_out, texts) =
            row;
        let [closed, subject_identifier] = texts;
        let (incident_preliminary_days, incident_final_days, incident_final_unlawful_days, leak_threshold) = self
            .conn
            .query_row(
                "SELECT incident_preliminary_days, incident_final_days, incident_final_unlawful_days, leak_threshold
                 FROM profile WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .map_err(|e| self.db(e))?;
        let (counting, incident_counting_source): (String, Option<String>) = self
            .conn
            .query_row("SELECT incident_counting, incident_counting_source FROM profile WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(|e| self.db(e))?;
        let incident_counting =
            crate::IncidentCounting::parse(&counting).ok_or_else(|| self.err("profile: unknown incident_counting"))?;
        let (count_receipt_day, grounds): (bool, String) = self
            .conn
            .query_row("SELECT count_receipt_day, ordinance_grounds FROM profile WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(|e| self.db(e))?;
        let [third_party_days, method_days, disclosure_fee_yen] = m;
        let (fee_reuse_yen, fee_change_of_use_yen) = self
            .conn
            .query_row("SELECT fee_reuse_yen, fee_change_of_use_yen FROM profile WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(|e| self.db(e))?;
        let [
            fee_base_yen,
            fee_per_hour_yen,
            request_days,
            extension_days,
            correction_window_days,
            file_entry_threshold,
            proposal_min_people,
            use_period_max_days,
        ]: [i64; 8] = n;
        Ok(Profile {
            body,
            body_code,
            actor: Actor::parse(&actor).ok_or_else(|| self.err("profile: unknown actor"))?,
            body_kind: BodyKind::parse(&kind).ok_or_else(|| self.err("profile: unknown body kind"))?,
            proposals_mandatory: Some(mandatory),
            fee_base_yen,
            fee_per_hour_yen,
            fee_reuse_yen,
            fee_change_of_use_yen,
            request_days,
            extension_days,
            correction_window_days,
            file_entry_threshold,
            proposal_min_people,
            use_period_max_days,
            ordinance_sensitive: serde_json::from_str(&sensitive).map_err(|e| self.db(e))?,
            retention_years,
            subject_index,
            third_party_days,
            method_days,
            disclosure_fee_yen,
            opt_out,
            closed_days: serde_json::from_str(&closed).map_err(|e| self.db(e))?,
            subject_identifier,
            incident_preliminary_days,
            incident_final_days,
            incident_final_unlawful_days,
            leak_threshold,
            incident_counting,
            incident_counting_source,
            count_receipt_day,
            ordinance_grounds: serde_json::from_str(&grounds).map_err(|e| self.db(e))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Profile {
        toml::from_str("body = \"見本市\"\nactor = \"public_body\"\nbody_kind = \"municipality\"\n").expect("profile")
    }

    fn refusal(extra: &str) -> String {
        let p: Profile = toml::from_str(&format!(
            "body = \"見本市\"\nactor = \"public_body\"\nbody_kind = \"municipality\"\n{extra}"
        ))
        .expect("parses");
        p.check().expect_err(extra).to_string()
    }

    /// The statute's periods may be shortened by an ordinance where the body acts, never
    /// lengthened, and never shortened where the requester acts (法83, 86条3項, 87条4項, 90条3項,
    /// 98条3項; 法114条1項2号 fixes 1,000 people).
    #[test]
    fn limits_of_the_act_are_refused_naming_the_field_and_the_article() {
        for (extra, field, article) in [
            ("request_days = 45", "request_days", "法83条1項"),
            ("extension_days = 60", "extension_days", "法83条2項"),
            ("third_party_days = 0", "third_party_days", "法86条3項"),
            ("third_party_days = 13", "third_party_days", "法86条3項"),
            ("method_days = 10", "method_days", "法87条4項"),
            ("correction_window_days = 30", "correction_window_days", "法90条3項"),
            ("proposal_min_people = 10", "proposal_min_people", "法114条1項2号"),
            ("proposal_min_people = 2000", "proposal_min_people", "1,000"),
            ("file_entry_threshold = 5000", "file_entry_threshold", "法75条"),
        ] {
            let e = refusal(extra);
            assert!(e.contains(&format!("`{field}`")) && e.contains(article), "{extra}: {e}");
        }
        // Within the limits: a shorter decision period, a lower ファイル簿 threshold, a longer
        // window for the requester.
        for ok in [
            "request_days = 14\nextension_days = 14",
            "file_entry_threshold = 100",
            "method_days = 60\ncorrection_window_days = 120\nthird_party_days = 21",
            "proposal_min_people = 1000",
        ] {
            let p: Profile = toml::from_str(&format!(
                "body = \"見本市\"\nactor = \"public_body\"\nbody_kind = \"municipality\"\n{ok}"
            ))
            .expect("parses");
            p.check().expect(ok);
        }
    }

    #[test]
    fn a_stored_profile_beyond_the_limits_is_used_at_the_limits() {
        let mut p = base();
        p.request_days = 45;
        p.extension_days = 60;
        p.third_party_days = 0;
        p.method_days = 10;
        p.correction_window_days = 30;
        p.proposal_min_people = 10;
        p.file_entry_threshold = 5000;
        assert_eq!(p.law_problems().len(), 7);
        let q = p.within_law();
        assert_eq!(
            (q.request_days, q.extension_days, q.third_party_days, q.method_days, q.correction_window_days),
            (30, 30, 14, 30, 90)
        );
        assert_eq!((q.proposal_min_people, q.file_entry_threshold), (1000, 1000));
        assert!(q.law_problems().is_empty());
    }

    /// 法78条2項: the ordinance's grounds are named, cite their article and are not numbers.
    #[test]
    fn ordinance_grounds_are_checked() {
        let g = |id: &str, article: &str| {
            format!(
                "[[ordinance_grounds]]\nid = \"{id}\"\narticle = \"{article}\"\ndescription = \"事務の適正な遂行に支障を及ぼすおそれがある情報\"\n"
            )
        };
        let p: Profile = toml::from_str(&format!(
            "body = \"見本市\"\nactor = \"public_body\"\nbody_kind = \"municipality\"\n{}",
            g("条例5条1号", "見本市個人情報保護法施行条例第5条第1号")
        ))
        .expect("parses");
        p.check().expect("a ground");
        assert_eq!(
            p.ordinance_ground("条例5条1号").map(|g| g.article.as_str()),
            Some("見本市個人情報保護法施行条例第5条第1号")
        );
        assert!(refusal(&g("2", "第5条")).contains("is a number"));
        assert!(refusal(&g("A", " ")).contains("`article`"));
        assert!(refusal(&format!("{}{}", g("A", "第5条"), g("A", "第6条"))).contains("twice"));
    }
}
