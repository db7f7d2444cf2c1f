//! Licensed recipients, their proposals and contracts (法112-120), moving through the legal
//! workflow as a checked state machine: every transition is one audited change with who and
//! when, and a wrong one is refused.

use crate::deadline::{date, day_number};
use crate::refuse;
use crate::{Guard, Registry, RegistryError, Who};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tokumei_jp::Date;

/// A licensed business that may propose and receive anonymised data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// Business name.
    pub name: String,
    /// Representative (代表者).
    pub representative: String,
    /// Address.
    pub address: String,
    /// Contact (person, telephone, mail).
    pub contact: String,
    /// 法人番号 (13 digits, any width or spacing; its check digit is verified), when the business
    /// has one: the same number is the same business whatever the name it is registered under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corporate_number: Option<String>,
}

/// A registered recipient that a name or a 法人番号 matches: the same business.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecipientMatch {
    /// Its registry id.
    pub id: i64,
    /// Its registered name.
    pub name: String,
    /// `name` (the same normalised name) or `corporate_number` (the same 法人番号).
    pub by: &'static str,
    /// The day its 法120 bar ends, when it is barred on the day asked about.
    pub barred_until: Option<String>,
}

impl RecipientMatch {
    /// How the match reads in a refusal: the recipient's name and id, how it matched, its bar.
    pub fn describe(&self) -> String {
        format!(
            "registered recipient `{}` (id {}, the same {}){}",
            self.name,
            self.id,
            if self.by == "name" { "name once normalised" } else { "法人番号" },
            self.barred_until
                .as_ref()
                .map(|u| format!(", barred until {u} (法120: a contract of the business was cancelled)"))
                .unwrap_or_default()
        )
    }
}

/// One output column of a proposal and the granularity asked for (e.g. address "地方").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnGrant {
    /// Output column of the release.
    pub name: String,
    /// Granularity in words (the hierarchy level's name, e.g. `地方`, `10歳階級`).
    pub granularity: String,
    /// The finest generalisation level the release may use (the rules' `level`; a higher level
    /// is coarser). Without it the column may be released at any level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u32>,
}

/// A released column as a job's rules would write it: its output name and its generalisation
/// level (0 when not generalised; for a searched column, the lowest level the search may pick).
#[derive(Debug, Clone)]
pub struct ReleasedColumn {
    /// Output column name.
    pub name: String,
    /// Generalisation level.
    pub level: u32,
}

/// What a proposal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalKind {
    /// 法112: anonymised data to be made from a file open to proposals, in response to a call
    /// (法111).
    #[default]
    Article112,
    /// 法118条1項前段: a business's proposal to use anonymised data already made (a release
    /// entered in the ファイル簿 under 法117), within the period for such proposals.
    Article118,
    /// 法118条1項後段: a contractor changing the business it uses its anonymised data for.
    ChangeOfUse,
}

impl ProposalKind {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalKind::Article112 => "article112",
            ProposalKind::Article118 => "article118",
            ProposalKind::ChangeOfUse => "change_of_use",
        }
    }

    fn parse(s: &str) -> Option<ProposalKind> {
        [ProposalKind::Article112, ProposalKind::Article118, ProposalKind::ChangeOfUse]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// The article the proposal is made under, in words.
    pub fn label(self) -> &'static str {
        match self {
            ProposalKind::Article112 => "法112条 (作成の提案)",
            ProposalKind::Article118 => "法118条1項前段 (作成済みの匿名加工情報の利用の提案)",
            ProposalKind::ChangeOfUse => "法118条1項後段 (契約者の事業の変更)",
        }
    }

    /// The review items (法114条1項) the reviewer states for this kind.
    pub fn review_items(self) -> &'static [&'static str] {
        match self {
            ProposalKind::Article112 => REVIEW_ITEMS,
            _ => REUSE_REVIEW_ITEMS,
        }
    }
}

/// A proposal (法112条2項 items), as written in a proposal file (TOML). A 法118 proposal (kind
/// `article118`, naming the created `release`; or `change_of_use`, naming the `contract` whose
/// business changes) takes the file, people, method and columns of the data already made.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    /// What is proposed (default `article112`).
    #[serde(default)]
    pub kind: ProposalKind,
    /// The proposing business (a registered recipient's name).
    pub recipient: String,
    /// The personal-information file asked for (a 法118 proposal: that of the data made).
    #[serde(default)]
    pub file: String,
    /// Number of people asked for (a 法118 proposal: those of the data made).
    #[serde(default)]
    pub people: i64,
    /// Processing method (加工の方法; a 法118 proposal: that of the data made).
    #[serde(default)]
    pub method: String,
    /// Purpose and business the data are used for.
    pub purpose: String,
    /// First day of the use period (YYYY-MM-DD).
    pub use_from: String,
    /// Last day of the use period (YYYY-MM-DD).
    pub use_until: String,
    /// Safety measures (安全管理措置).
    pub safety_measures: String,
    /// The columns and their granularity (a 法118 proposal: those of the data made).
    #[serde(rename = "column", default)]
    pub columns: Vec<ColumnGrant>,
    /// `article118`: the release (created anonymised data) the proposal is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// `change_of_use`: the contract whose business changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<i64>,
}

/// One check of a review, with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// What is checked (e.g. `法113条` or `法114条1項3号`).
    pub item: String,
    /// Whether it is met.
    pub ok: bool,
    /// The evidence or reasoning.
    pub evidence: String,
}

/// A review (審査): the reviewer's checks of 法113 and 法114条1項, as written in a review file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// Who reviewed.
    pub reviewer: String,
    /// The reviewer's checks.
    #[serde(rename = "check")]
    pub checks: Vec<Check>,
}

/// Most hours of creation work one contract or release may record.
pub const MAX_HOURS: i64 = 100_000;

/// Review items the reviewer must state for a 法112 proposal, each with its evidence, in the
/// statute's order (法114条1項): 1号 the proposer is not disqualified (法113: 欠格事由), 2号 the
/// people (at least 1,000 by the Rules, at most the file's), 3号 the processing method meets
/// 法116条1項, 4号 new industry or a vital economy or rich life, 5号 the use period, 6号 purpose,
/// method and safety measures adequate, 7号 other criteria.
pub const REVIEW_ITEMS: &[&str] = &[
    "法114条1項1号",
    "法114条1項2号",
    "法114条1項3号",
    "法114条1項4号",
    "法114条1項5号",
    "法114条1項6号",
    "法114条1項7号",
];

/// Review items of a 法118 proposal (a third party's, or a contractor's change of use): 法118条2項
/// applies 法114条1項 with only 1号 and 4号 to 7号 (the data, their people and method, exist).
pub const REUSE_REVIEW_ITEMS: &[&str] =
    &["法114条1項1号", "法114条1項4号", "法114条1項5号", "法114条1項6号", "法114条1項7号"];

/// What the fee of a contract is computed from, given at `fee_paid` (法119).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FeeBasis {
    /// 法112 contract: staff hours of creation work; a part of an hour counts as an hour (the
    /// cabinet order's "1時間までごとに").
    pub hours: Option<f64>,
    /// 法112 contract: what the body pays a contractor it entrusts the creation to (yen; the
    /// cabinet order's 委託を受けた者に対して支払う額), added to the fee.
    pub contractor_cost_yen: Option<i64>,
    /// 法118 contract: the fee (yen; 法119条4項, the ordinance's amount) when the profile sets none.
    pub fee_yen: Option<i64>,
}

/// Most yen a contractor's cost or an entered fee may be.
pub const MAX_YEN: i64 = 10_000_000_000;

/// Hours of creation work as typed (`3`, `2.5`): a non-negative number of at most [`MAX_HOURS`].
pub fn parse_hours(s: &str) -> Result<f64, RegistryError> {
    let t = s.trim();
    let h: f64 = t
        .parse()
        .ok()
        .filter(|h: &f64| h.is_finite() && t.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| {
            refuse::value(format!(
                "hours `{}` is not a number such as 3 or 2.5",
                t.chars().take(20).collect::<String>()
            ))
        })?;
    if !(0.0..=MAX_HOURS as f64).contains(&h) {
        return Err(refuse::value(format!("hours must be between 0 and {MAX_HOURS}")));
    }
    Ok(h)
}

/// Where a proposal or contract stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Proposal received.
    Received,
    /// Corrections requested from the proposer (補正).
    CorrectionsRequested,
    /// Reviewed (法113, 法114条1項), every check recorded.
    Reviewed,
    /// Notified fit (法114条2項).
    Fit,
    /// Notified not fit, with reasons (法114条3項). Final.
    NotFit,
    /// Fee paid (法119).
    FeePaid,
    /// Contract concluded (法115).
    Contracted,
    /// The anonymised data were created.
    Created,
    /// Provided to the recipient.
    Provided,
    /// ファイル簿 updated (法117), by hand, as older registries recorded it: the entry is now made
    /// when a release is published (no contract reaches this state any more).
    RegisterUpdated,
    /// Use period ended.
    UseEnded,
    /// Return or deletion confirmed. Final.
    Closed,
    /// The contractor proposed a change of its business (法118条1項後段): under review as its own
    /// proposal; back to where it was when that is not fit or withdrawn, use ended when the new
    /// contract is concluded.
    ChangeOfUse,
    /// Contract cancelled (法120): the business is barred for two years. Final.
    Cancelled,
    /// Proposal withdrawn before a decision. Final.
    Withdrawn,
}

const ALL: [State; 15] = [
    State::Received,
    State::CorrectionsRequested,
    State::Reviewed,
    State::Fit,
    State::NotFit,
    State::FeePaid,
    State::Contracted,
    State::Created,
    State::Provided,
    State::RegisterUpdated,
    State::UseEnded,
    State::Closed,
    State::ChangeOfUse,
    State::Cancelled,
    State::Withdrawn,
];

impl State {
    /// Every state, in workflow order (the CLI lists them as `--to`'s choices).
    pub const ALL: [State; 15] = ALL;

    /// The stored word (also the CLI's).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::CorrectionsRequested => "corrections_requested",
            State::Reviewed => "reviewed",
            State::Fit => "fit",
            State::NotFit => "not_fit",
            State::FeePaid => "fee_paid",
            State::Contracted => "contracted",
            State::Created => "created",
            State::Provided => "provided",
            State::RegisterUpdated => "register_updated",
            State::UseEnded => "use_ended",
            State::Closed => "closed",
            State::ChangeOfUse => "change_of_use",
            State::Cancelled => "cancelled",
            State::Withdrawn => "withdrawn",
        }
    }

    /// Parse a stored or typed state (`-` and `_` alike).
    pub fn parse(s: &str) -> Option<State> {
        let s = s.replace('-', "_");
        ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The states this one may move to. Review and notices have their own commands (they
    /// carry checks and reasons); cancellation too (it bars the business). A change of use is a
    /// proposal of its own (法118): the contract enters and leaves `change_of_use` with it.
    pub fn next(self) -> &'static [State] {
        use State::*;
        match self {
            Received => &[CorrectionsRequested, Withdrawn],
            CorrectionsRequested => &[Received, Withdrawn],
            Reviewed => &[Fit, NotFit, Withdrawn],
            Fit => &[FeePaid, Withdrawn],
            FeePaid => &[Contracted],
            Contracted => &[Created, Provided, UseEnded, Cancelled],
            Created => &[Provided, UseEnded, Cancelled],
            Provided => &[UseEnded, Cancelled],
            RegisterUpdated => &[UseEnded, Cancelled],
            UseEnded => &[Closed, Cancelled],
            ChangeOfUse => &[Cancelled],
            NotFit | Closed | Cancelled | Withdrawn => &[],
        }
    }

    /// Whether data may be created and provided under a contract in this state.
    pub fn allows_provision(self) -> bool {
        matches!(self, State::Contracted | State::Created | State::Provided | State::RegisterUpdated)
    }
}

/// A stored contract with its history.
#[derive(Debug, Clone, Serialize)]
pub struct StoredContract {
    /// Registry id.
    pub id: i64,
    /// Recipient's name.
    pub recipient: String,
    /// File's name.
    pub file: String,
    /// Where it stands.
    pub state: State,
    /// The proposal's items.
    pub proposal: Proposal,
    /// The review, when made.
    pub review: Option<serde_json::Value>,
    /// The fit / not-fit notice, when made.
    pub notice: Option<serde_json::Value>,
    /// Fee (yen), when computed at payment.
    pub fee_yen: Option<i64>,
    /// What the fee was computed from (法119): the article, hours given and billed, the
    /// contractor's cost, or a 法118 contract's amount and where it came from.
    pub fee_basis: Option<serde_json::Value>,
    /// What was proposed (法112, 法118, change of use).
    pub kind: ProposalKind,
    /// A 法118 proposal: the contract the data were made under (`article118`) or whose business
    /// changes (`change_of_use`).
    pub parent_id: Option<i64>,
    /// A 法112 proposal: the call (法111) it answered.
    pub call_id: Option<i64>,
    /// Every transition, in order.
    pub history: Vec<Transition>,
}

/// One step of a contract's workflow.
#[derive(Debug, Clone, Serialize)]
pub struct Transition {
    /// The state it left (`None` for the proposal's receipt).
    pub from: Option<String>,
    /// The state it reached.
    pub to: String,
    /// When (RFC 3339).
    pub time: String,
    /// Who.
    pub operator: String,
    /// Reasons, receipts, references.
    pub note: Option<String>,
}

pub(crate) fn load_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, RegistryError> {
    let err = |message: String| RegistryError::Entry { path: path.to_path_buf(), message };
    let text = crate::files::read_small(path).map_err(err)?;
    toml::from_str(&text).map_err(|e| err(crate::files::toml_message(&text, &e)))
}

impl Recipient {
    /// Read a recipient file (TOML).
    pub fn load(path: &Path) -> Result<Recipient, RegistryError> {
        load_toml(path)
    }
}

impl Proposal {
    /// Read a proposal file (TOML).
    pub fn load(path: &Path) -> Result<Proposal, RegistryError> {
        load_toml(path)
    }
}

impl Review {
    /// Read a review file (TOML).
    pub fn load(path: &Path) -> Result<Review, RegistryError> {
        load_toml(path)
    }
}

/// The day two years after `today` (a 29 February becomes the 28th).
fn two_years_after(today: &str) -> String {
    match date(today) {
        Some(Date { year: y, month: m, day: d }) => {
            let d = if m == 2 && d == 29 { 28 } else { d };
            format!("{:04}-{m:02}-{d:02}", y + 2)
        }
        None => today.to_string(),
    }
}

impl Registry {
    /// Register a licensed business. Refused when it is already registered under another
    /// spelling: the same name once normalised ([`tokumei_jp::business_name_key`]: width, spaces,
    /// legal forms such as 株式会社 / （株） / ㈱ before or after the name) or the same 法人番号,
    /// naming the recipient it matches (and its 法120 bar, if barred). A 法人番号 must have its
    /// check digit.
    pub fn add_recipient(&mut self, who: &Who, r: &Recipient) -> Result<i64, RegistryError> {
        for (field, v) in
            [("name", &r.name), ("representative", &r.representative), ("address", &r.address), ("contact", &r.contact)]
        {
            if v.trim().is_empty() {
                return Err(refuse::value(format!("recipient: `{field}` is empty")));
            }
        }
        for (field, v) in [("name", &r.name), ("representative", &r.representative)] {
            if let Some(bad) = crate::check::bad_text(v) {
                return Err(refuse::value(format!("recipient: `{field}` {bad}")));
            }
        }
        let number = match r.corporate_number.as_deref() {
            None => None,
            Some(n) => Some(tokumei_jp::corporate_number(n).ok_or_else(|| {
                refuse::value(
                    "recipient: `corporate_number` is not a 法人番号 (13 digits whose first is the check digit of the other 12)",
                )
            })?),
        };
        if self.recipient_id(&r.name)?.is_some() {
            return Err(refuse::duplicate(format!("recipient `{}` is already registered", r.name)));
        }
        let today = crate::deadline::today_of(who)?;
        if let Some(m) = self.recipient_matches(&r.name, number.as_deref(), None, &today)?.first() {
            return Err(refuse::duplicate(format!(
                "recipient `{}` matches {}: a business is registered once (propose under its registered name)",
                r.name,
                m.describe()
            )));
        }
        self.change(who, "recipient-add", &r.name, |tx| {
            tx.execute(
                "INSERT INTO recipients (name, representative, address, contact, added) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![r.name, r.representative, r.address, r.contact, who.time],
            )
            .map_err(|e| refuse::storage(format!("recipient `{}`: {e}", r.name)))?;
            let id = tx.last_insert_rowid();
            let mut touched = vec![("recipients", id.to_string())];
            if let Some(n) = &number {
                tx.execute(
                    "INSERT INTO recipient_numbers (recipient_id, corporate_number) VALUES (?1, ?2)",
                    params![id, n],
                )
                .map_err(|e| refuse::storage(format!("recipient `{}`: 法人番号: {e}", r.name)))?;
                touched.push(("recipient_numbers", id.to_string()));
            }
            Ok((id, touched))
        })
    }

    pub(crate) fn recipient_id(&self, name: &str) -> Result<Option<i64>, RegistryError> {
        self.conn
            .query_row("SELECT id FROM recipients WHERE name = ?1", [name], |r| r.get(0))
            .optional()
            .map_err(|e| self.db(e))
    }

    /// The registered recipients that `name` or the 法人番号 `number` (its 13 digits) match, other
    /// than recipient `except`: the same name once normalised ([`tokumei_jp::business_name_key`])
    /// or the same 法人番号. Each says whether it is barred on `today` (YYYY-MM-DD). Barred ones
    /// first.
    pub fn recipient_matches(
        &self,
        name: &str,
        number: Option<&str>,
        except: Option<i64>,
        today: &str,
    ) -> Result<Vec<RecipientMatch>, RegistryError> {
        let key = tokumei_jp::business_name_key(name);
        let mut found = Vec::new();
        for (id, r, barred) in self.recipients()? {
            if Some(id) == except {
                continue;
            }
            let by = if number.is_some() && r.corporate_number.as_deref() == number {
                "corporate_number"
            } else if !key.is_empty() && tokumei_jp::business_name_key(&r.name) == key {
                "name"
            } else {
                continue;
            };
            let barred_until = barred.filter(|u| u.as_str() > today);
            found.push(RecipientMatch { id, name: r.name, by, barred_until });
        }
        found.sort_by_key(|m| m.barred_until.is_none());
        Ok(found)
    }

    /// The 法120 bar that keeps registered recipient `name` from a new proposal on `today`: its
    /// own, or that of a recipient it matches (the same business under another spelling or the
    /// same 法人番号). `None`: not barred.
    pub fn bar_of(&self, name: &str, today: &str) -> Result<Option<String>, RegistryError> {
        let list = self.recipients()?;
        let Some((id, me, own)) = list.iter().find(|(_, r, _)| r.name == name) else {
            return Ok(None);
        };
        if let Some(u) = own.as_ref().filter(|u| u.as_str() > today) {
            return Ok(Some(format!(
                "recipient `{name}` (id {id}) is barred until {u} (法120: a contract of the business was cancelled)"
            )));
        }
        let barred = self.recipient_matches(name, me.corporate_number.as_deref(), Some(*id), today)?;
        Ok(barred
            .into_iter()
            .find(|m| m.barred_until.is_some())
            .map(|m| format!("recipient `{name}` (id {id}) is the business of {}", m.describe())))
    }

    /// Every recipient with the day its bar ends, if barred (法120: two years from a cancellation).
    pub fn recipients(&self) -> Result<Vec<(i64, Recipient, Option<String>)>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.id, r.name, r.representative, r.address, r.contact, r.barred_until, n.corporate_number
                 FROM recipients r LEFT JOIN recipient_numbers n ON n.recipient_id = r.id ORDER BY r.name",
            )
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    Recipient {
                        name: r.get(1)?,
                        representative: r.get(2)?,
                        address: r.get(3)?,
                        contact: r.get(4)?,
                        corporate_number: r.get(6)?,
                    },
                    r.get(5)?,
                ))
            })
            .map_err(|e| self.db(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.db(e))
    }

    /// Record the review of a received proposal: the reviewer's checks of every item of
    /// [`REVIEW_ITEMS`] (a 法118 proposal: [`REUSE_REVIEW_ITEMS`], 法118条2項), plus the checks the
    /// registry computes itself (1号 with 法113条5号 and 法120: no cancellation within two years;
    /// 2号 (法112 only): people at least 1,000 and at most the file's count; 5号: use period within
    /// the body's maximum). Returns whether every check passed.
    pub fn review(&mut self, who: &Who, id: i64, review: &Review) -> Result<bool, RegistryError> {
        let c = self.contract(id)?.ok_or_else(|| refuse::not_found(format!("no contract {id}")))?;
        if c.state != State::Received {
            return Err(refuse::state(format!(
                "contract {id} is {}; only a received proposal is reviewed",
                c.state.as_str()
            )));
        }
        if review.reviewer.trim().is_empty() {
            return Err(refuse::value("review: `reviewer` is empty"));
        }
        let items = c.kind.review_items();
        for ch in &review.checks {
            if ch.item.starts_with("法113") {
                return Err(refuse::law(format!(
                    "review: item `{}`: the disqualifications of 法113条 are reviewed as 法114条1項1号; number the items as the statute does (1号 欠格事由, 2号 people, 3号 method, 4号 new industry, 5号 use period, 6号 purpose, method and safety measures, 7号 other)",
                    ch.item
                )));
            }
            if REVIEW_ITEMS.contains(&ch.item.as_str()) && !items.contains(&ch.item.as_str()) {
                return Err(refuse::law(format!(
                    "review: item `{}` does not apply to a 法118 proposal (法118条2項 applies 法114条1項1号 and 4号 to 7号 only: the data, their people and method, exist): the items are {}",
                    ch.item,
                    items.join(", ")
                )));
            }
            if !items.contains(&ch.item.as_str()) {
                return Err(refuse::value(format!(
                    "review: unknown item `{}` (the items are {})",
                    ch.item,
                    items.join(", ")
                )));
            }
            if review.checks.iter().filter(|o| o.item == ch.item).count() > 1 {
                return Err(refuse::duplicate(format!("review: item `{}` is checked twice", ch.item)));
            }
        }
        for item in items {
            match review.checks.iter().find(|ch| ch.item == *item) {
                None => return Err(refuse::value(format!("review: no check of {item} (every item needs one)"))),
                Some(ch) if ch.evidence.trim().is_empty() => {
                    return Err(refuse::value(format!("review: the check of {item} gives no evidence")));
                }
                Some(_) => {}
            }
        }
        let profile = self.profile()?;
        let file = self.file(&c.file)?.ok_or_else(|| refuse::not_found(format!("file `{}` is gone", c.file)))?;
        // "Today" is the date in Japan of the change (deadline.rs: deadlines are Japan's dates).
        let today = crate::deadline::today_of(who)?;
        // Its own bar, or that of the same business registered under another spelling.
        let barred = self.bar_of(&c.recipient, &today)?;
        let days = match (date(&c.proposal.use_from), date(&c.proposal.use_until)) {
            (Some(a), Some(b)) => day_number(b) - day_number(a) + 1,
            _ => i64::MAX,
        };
        // The Rules fix the minimum at 1,000 people: a profile never lowers it.
        let min_people = profile.proposal_min_people.max(crate::files::ELIGIBLE_PEOPLE);
        let mut computed = vec![Check {
            item: "法114条1項1号 (法113条5号, 法120: no cancellation within 2 years)".into(),
            ok: barred.is_none(),
            evidence: match &barred {
                Some(b) => format!("a contract of the business was cancelled: {b}"),
                None => "no cancelled contract of the business (under any spelling of its name, or its 法人番号) within 2 years in the registry".into(),
            },
        }];
        if c.kind == ProposalKind::Article112 {
            computed.push(Check {
                item: "法114条1項2号 (people: at least the Rules' minimum, at most the file's)".into(),
                ok: c.proposal.people >= min_people && c.proposal.people <= file.entry.people,
                evidence: format!(
                    "{} people asked; the Rules' minimum is {min_people}, the file records {}",
                    c.proposal.people, file.entry.people
                ),
            });
        }
        computed.push(Check {
            item: "法114条1項5号 (use period within the body's maximum)".into(),
            ok: days <= profile.use_period_max_days,
            evidence: format!("{days} days asked; the maximum is {}", profile.use_period_max_days),
        });
        computed.extend(review.checks.iter().cloned());
        let passed = computed.iter().all(|ch| ch.ok);
        let record = serde_json::json!({ "reviewer": review.reviewer, "checks": computed, "passed": passed });
        // Re-read inside the transaction: still the received proposal this review was made on.
        let guard = [Guard::contract(&c)];
        self.change_from(&guard, who, "contract-review", &format!("contract {id}"), |tx| {
            tx.execute(
                "UPDATE contracts SET state = 'reviewed', review = ?1, updated = ?2 WHERE id = ?3",
                params![record.to_string(), who.time, id],
            )
            .map_err(|e| refuse::storage(format!("contract {id}: {e}")))?;
            let note = format!(
                "reviewed by {}: {}",
                review.reviewer,
                if passed { "every check met" } else { "checks failed" }
            );
            let ev = event(tx, id, Some(State::Received), State::Reviewed, who, Some(&note))?;
            Ok((passed, vec![("contracts", id.to_string()), ("contract_events", ev.to_string())]))
        })
    }

    /// Move a contract to `to`, checked against the state machine and the law: a fit notice
    /// only after a review whose every check passed, a not-fit notice with reasons, the fee at
    /// payment (法119: `fee` gives what it is computed from), cancellation (法120) barring the
    /// business for two years. `note` is kept with the transition (reasons, receipts...).
    ///
    /// A change of use (法118条1項後段) is never a step of its own: it is proposed
    /// ([`Registry::propose`], kind `change_of_use`) and goes through review, notice, fee and a new
    /// contract. When that proposal is notified not fit or withdrawn, the contract it changes goes
    /// back to where it was; when it is concluded, the contract it changes ends its use (both in
    /// the same change).
    pub fn advance(
        &mut self,
        who: &Who,
        id: i64,
        to: State,
        note: Option<&str>,
        fee: &FeeBasis,
    ) -> Result<(), RegistryError> {
        not_by_hand(id, to)?;
        let c = self.contract(id)?.ok_or_else(|| refuse::not_found(format!("no contract {id}")))?;
        self.check_transition(&c, to)?;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if let Some(n) = note {
            crate::check::text("note", n)?;
        }
        let StepTerms { notice, fee_yen, basis } = self.step_terms(who, &c, to, note, fee)?;
        let parent_step = self.parent_step(&c, to)?;
        // "Today" is the date in Japan of the change (deadline.rs: deadlines are Japan's dates).
        let today = crate::deadline::today_of(who)?;
        // Re-read inside the transaction: the step starts from the state (and version) read above,
        // so two steps at once (two officers, two processes) end with one done and one refused.
        let mut guards = vec![Guard::contract(&c)];
        guards.extend(parent_step.iter().map(|(p, _, _)| Guard::contract(p)));
        let action = format!("contract-{}", to.as_str().replace('_', "-"));
        self.change_from(&guards, who, &action, &format!("contract {id}"), |tx| {
            tx.execute(
                "UPDATE contracts SET state = ?1, updated = ?2 WHERE id = ?3",
                params![to.as_str(), who.time, id],
            )
            .map_err(|e| refuse::storage(format!("contract {id}: {e}")))?;
            if let Some(n) = &notice {
                tx.execute("UPDATE contracts SET notice = ?1 WHERE id = ?2", params![n.to_string(), id])
                    .map_err(|e| refuse::storage(format!("contract {id}: {e}")))?;
            }
            if let (Some(f), Some(b)) = (fee_yen, &basis) {
                tx.execute(
                    "UPDATE contracts SET fee_yen = ?1, fee_basis = ?2 WHERE id = ?3",
                    params![f, b.to_string(), id],
                )
                .map_err(|e| refuse::storage(format!("contract {id}: {e}")))?;
            }
            let mut touched = vec![("contracts", id.to_string())];
            if to == State::Cancelled {
                let until = two_years_after(&today);
                tx.execute("UPDATE recipients SET barred_until = ?1 WHERE name = ?2", params![until, c.recipient])
                    .map_err(|e| refuse::storage(format!("recipient: {e}")))?;
                let rid: i64 = tx
                    .query_row("SELECT id FROM recipients WHERE name = ?1", [&c.recipient], |r| r.get(0))
                    .map_err(|e| refuse::storage(format!("recipient: {e}")))?;
                touched.push(("recipients", rid.to_string()));
            }
            let ev = event(tx, id, Some(c.state), to, who, note)?;
            touched.push(("contract_events", ev.to_string()));
            if let Some((parent, back, why)) = &parent_step {
                tx.execute(
                    "UPDATE contracts SET state = ?1, updated = ?2 WHERE id = ?3",
                    params![back.as_str(), who.time, parent.id],
                )
                .map_err(|e| refuse::storage(format!("contract {}: {e}", parent.id)))?;
                let ev = event(tx, parent.id, Some(State::ChangeOfUse), *back, who, Some(why))?;
                touched.push(("contracts", parent.id.to_string()));
                touched.push(("contract_events", ev.to_string()));
            }
            Ok(((), touched))
        })
    }

    /// The state machine: `to` is a next state of the contract's, else refused with the states
    /// allowed (and, under a change of business, how it comes back).
    fn check_transition(&self, c: &StoredContract, to: State) -> Result<(), RegistryError> {
        let id = c.id;
        if !c.state.next().contains(&to) {
            let allowed: Vec<&str> = c.state.next().iter().map(|s| s.as_str()).collect();
            let why = if c.state == State::ChangeOfUse {
                let child = self
                    .contracts()?
                    .into_iter()
                    .filter(|o| o.kind == ProposalKind::ChangeOfUse && o.parent_id == Some(id))
                    .map(|o| o.id)
                    .max();
                format!(
                    " (a change of business is under review{}: it comes back from change_of_use when that proposal is notified not fit or withdrawn, and ends its use when the new contract is concluded)",
                    child.map(|c| format!(" as contract {c}")).unwrap_or_default()
                )
            } else {
                String::new()
            };
            return Err(refuse::state(format!(
                "contract {id} is {}: it cannot move to {} (allowed: {}){why}",
                c.state.as_str(),
                to.as_str(),
                if allowed.is_empty() { "none, it is final".to_string() } else { allowed.join(", ") }
            )));
        }
        Ok(())
    }

    /// What a step records besides the state: a fit notice only after a review whose every check
    /// passed (法114条2項), a not-fit notice with its reasons (法114条3項), the fee at payment
    /// (法119) with its basis; a reason for a cancellation, withdrawal or request for
    /// corrections; and no fit notice or contract for a business barred since its review (法113,
    /// 法120).
    fn step_terms(
        &self,
        who: &Who,
        c: &StoredContract,
        to: State,
        note: Option<&str>,
        fee: &FeeBasis,
    ) -> Result<StepTerms, RegistryError> {
        let id = c.id;
        if to != State::FeePaid && *fee != FeeBasis::default() {
            return Err(refuse::value(
                "the fee's basis (--hours, --contractor-cost, --fee-yen) goes with the step to fee_paid",
            ));
        }
        let passed = c.review.as_ref().and_then(|r| r["passed"].as_bool()).unwrap_or(false);
        // A bar that came after the review (the same business's contract cancelled meanwhile).
        if matches!(to, State::Fit | State::Contracted)
            && let Some(bar) = self.bar_of(&c.recipient, &crate::deadline::today_of(who)?)?
        {
            return Err(refuse::law(format!("contract {id} cannot move to {} (法113, 法120): {bar}", to.as_str())));
        }
        let mut notice = None;
        let mut fee_yen = None;
        let mut basis = None;
        match to {
            State::Fit if !passed => {
                return Err(refuse::law(format!(
                    "contract {id}: its review did not pass every check; notify not_fit with reasons"
                )));
            }
            State::Fit => {
                notice = Some(serde_json::json!({ "decision": "fit", "article": "法114条2項", "note": note }))
            }
            State::NotFit => {
                let reasons = note.ok_or_else(|| refuse::value("a not-fit notice states its reasons (--note)"))?;
                notice =
                    Some(serde_json::json!({ "decision": "not_fit", "article": "法114条3項", "reasons": reasons }));
            }
            State::FeePaid => {
                let (amount, b) = self.fee(c, fee)?;
                fee_yen = Some(amount);
                basis = Some(b);
            }
            State::Cancelled | State::Withdrawn | State::CorrectionsRequested if note.is_none() => {
                return Err(refuse::value(format!("moving to {} needs its reason (--note)", to.as_str())));
            }
            _ => {}
        }
        Ok(StepTerms { notice, fee_yen, basis })
    }

    /// The contract whose business a change-of-use proposal changes, the state it moves to and
    /// why: back where it was when the change is notified not fit or withdrawn, its use ended
    /// when the new contract is concluded (法118条1項後段).
    fn parent_step(
        &self,
        c: &StoredContract,
        to: State,
    ) -> Result<Option<(StoredContract, State, String)>, RegistryError> {
        let id = c.id;
        let mut parent_step: Option<(StoredContract, State, String)> = None;
        if c.kind == ProposalKind::ChangeOfUse
            && matches!(to, State::NotFit | State::Withdrawn | State::Contracted)
            && let Some(pid) = c.parent_id
            && let Some(parent) = self.contract(pid)?
            && parent.state == State::ChangeOfUse
        {
            let (back, why) = if to == State::Contracted {
                (
                    State::UseEnded,
                    format!("the business changed: the data are used under contract {id} from now on (法118条1項後段)"),
                )
            } else {
                let before = parent
                    .history
                    .iter()
                    .rev()
                    .find(|t| t.to == State::ChangeOfUse.as_str())
                    .and_then(|t| t.from.as_deref())
                    .and_then(State::parse)
                    .filter(|s| s.allows_provision())
                    .unwrap_or(State::Contracted);
                (
                    before,
                    format!(
                        "the change of business (contract {id}) was {}: the contract continues as before",
                        if to == State::NotFit { "notified not fit" } else { "withdrawn" }
                    ),
                )
            };
            parent_step = Some((parent, back, why));
        }
        Ok(parent_step)
    }

    /// The fee of contract `c` at payment (法119) and what it was computed from:
    /// - a 法112 contract (法119条3項, the ordinance's amounts with the cabinet order's as the
    ///   standard): `fee_base_yen` + `fee_per_hour_yen` for every hour or part of an hour of
    ///   creation work (hours rounded up) + what the body pays a contractor it entrusts the
    ///   creation to;
    /// - a 法118 contract (法119条4項): the profile's `fee_reuse_yen` (a third party's) or
    ///   `fee_change_of_use_yen` (a contractor's change of use), or, where the profile sets none,
    ///   the amount the officer enters (the ordinance's).
    fn fee(&self, c: &StoredContract, fee: &FeeBasis) -> Result<(i64, serde_json::Value), RegistryError> {
        let p = self.profile()?;
        let yen = |what: &str, v: Option<i64>| -> Result<Option<i64>, RegistryError> {
            match v {
                Some(y) if !(0..=MAX_YEN).contains(&y) => {
                    Err(refuse::value(format!("{what} must be between 0 and {MAX_YEN} yen")))
                }
                other => Ok(other),
            }
        };
        if c.kind == ProposalKind::Article112 {
            if fee.fee_yen.is_some() {
                return Err(refuse::value(
                    "the fee of a 法112 contract is computed (法119条3項): give --hours and, if the creation is entrusted, --contractor-cost",
                ));
            }
            let h = fee.hours.ok_or_else(|| {
                refuse::value("the fee depends on the hours of creation work: give --hours (法119条3項; 0 if none)")
            })?;
            if !h.is_finite() || !(0.0..=MAX_HOURS as f64).contains(&h) {
                return Err(refuse::value(format!("--hours must be between 0 and {MAX_HOURS}")));
            }
            // "1時間までごとに": every hour or part of an hour is billed as an hour.
            let billed = h.ceil() as i64;
            let contractor = yen("--contractor-cost", fee.contractor_cost_yen)?.unwrap_or(0);
            let amount = p
                .fee_per_hour_yen
                .checked_mul(billed)
                .and_then(|x| x.checked_add(p.fee_base_yen))
                .and_then(|x| x.checked_add(contractor))
                .ok_or_else(|| refuse::value("the fee is beyond any reasonable amount"))?;
            return Ok((
                amount,
                serde_json::json!({
                    "article": "法119条3項",
                    "base_yen": p.fee_base_yen,
                    "hours": h,
                    "hours_billed": billed,
                    "per_hour_yen": p.fee_per_hour_yen,
                    "contractor_cost_yen": contractor,
                }),
            ));
        }
        if fee.hours.is_some() || fee.contractor_cost_yen.is_some() {
            return Err(refuse::law(
                "a 法118 contract's fee is the ordinance's amount (法119条4項): the data exist, so no --hours or --contractor-cost",
            ));
        }
        let (field, set) = match c.kind {
            ProposalKind::ChangeOfUse => ("fee_change_of_use_yen", p.fee_change_of_use_yen),
            _ => ("fee_reuse_yen", p.fee_reuse_yen),
        };
        let entered = yen("--fee-yen", fee.fee_yen)?;
        let (amount, source) = match (set, entered) {
            (Some(a), None) => (a, "profile"),
            (Some(a), Some(e)) if a == e => (a, "profile"),
            (Some(a), Some(e)) => {
                return Err(refuse::law(format!(
                    "the profile sets this fee at {a} yen (`{field}`, 法119条4項): --fee-yen {e} differs"
                )));
            }
            (None, Some(e)) => (e, "entered"),
            (None, None) => {
                return Err(refuse::value(format!(
                    "the profile sets no fee for this 法118 contract (`{field}`, 法119条4項): give the ordinance's amount with --fee-yen"
                )));
            }
        };
        Ok((
            amount,
            serde_json::json!({ "article": "法119条4項", "kind": c.kind.as_str(), "amount_yen": amount, "source": source }),
        ))
    }

    /// A contract with its proposal, review, notice and history.
    pub fn contract(&self, id: i64) -> Result<Option<StoredContract>, RegistryError> {
        let row = self
            .conn
            .query_row(
                "SELECT r.name, f.name, c.state, c.people, c.method, c.purpose, c.use_from, c.use_until,
                    c.safety_measures, c.columns, c.review, c.notice, c.fee_yen, c.kind, c.parent_id, c.release_id,
                    c.call_id, c.fee_basis
                 FROM contracts c JOIN recipients r ON r.id = c.recipient_id JOIN files f ON f.id = c.file_id
                 WHERE c.id = ?1",
                [id],
                |r| {
                    Ok((
                        [r.get::<_, String>(0)?, r.get(1)?, r.get(2)?],
                        r.get::<_, i64>(3)?,
                        [r.get::<_, String>(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?],
                        [r.get::<_, Option<String>>(10)?, r.get(11)?],
                        r.get::<_, Option<i64>>(12)?,
                        (r.get::<_, String>(13)?, r.get::<_, Option<i64>>(14)?, r.get::<_, Option<String>>(15)?),
                        (r.get::<_, Option<i64>>(16)?, r.get::<_, Option<String>>(17)?),
                    ))
                },
            )
            .optional()
            .map_err(|e| self.db(e))?;
        let Some((
            [recipient, file, state],
            people,
            [method, purpose, use_from, use_until, safety, columns],
            [review, notice],
            fee_yen,
            (kind, parent_id, release_id),
            (call_id, fee_basis),
        )) = row
        else {
            return Ok(None);
        };
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok());
        let mut stmt = self
            .conn
            .prepare("SELECT from_state, to_state, time, operator, note FROM contract_events WHERE contract_id = ?1 ORDER BY id")
            .map_err(|e| self.db(e))?;
        let history = stmt
            .query_map([id], |r| {
                Ok(Transition { from: r.get(0)?, to: r.get(1)?, time: r.get(2)?, operator: r.get(3)?, note: r.get(4)? })
            })
            .map_err(|e| self.db(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.db(e))?;
        let kind =
            ProposalKind::parse(&kind).ok_or_else(|| self.err(&format!("contract {id}: unknown kind {kind}")))?;
        Ok(Some(StoredContract {
            id,
            state: State::parse(&state).ok_or_else(|| self.err(&format!("contract {id}: unknown state {state}")))?,
            proposal: Proposal {
                kind,
                release: release_id,
                contract: parent_id.filter(|_| kind == ProposalKind::ChangeOfUse),
                recipient: recipient.clone(),
                file: file.clone(),
                people,
                method,
                purpose,
                use_from,
                use_until,
                safety_measures: safety,
                columns: serde_json::from_str(&columns).map_err(|e| self.db(e))?,
            },
            recipient,
            file,
            review: json(review),
            notice: json(notice),
            fee_yen,
            fee_basis: json(fee_basis),
            kind,
            parent_id,
            call_id,
            history,
        }))
    }

    /// Every contract, newest first.
    pub fn contracts(&self) -> Result<Vec<StoredContract>, RegistryError> {
        let mut stmt = self.conn.prepare("SELECT id FROM contracts ORDER BY id DESC").map_err(|e| self.db(e))?;
        let ids: Vec<i64> = stmt
            .query_map([], |r| r.get(0))
            .map_err(|e| self.db(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.db(e))?;
        ids.into_iter().filter_map(|id| self.contract(id).transpose()).collect()
    }
}

impl Registry {
    /// Whether a run may provide data under contract `id` today (`YYYY-MM-DD`): the contract
    /// is a 法112 contract in a state that allows provision (contracted, created, provided,
    /// register updated; never cancelled or ended), its file names the office that receives
    /// proposals (法117条2号), today is within its use period, the job is anonymised (a
    /// pseudonymised output is still personal information and is never provided), its rule file
    /// is one allowed for the contract's file, and every released column is one the contract
    /// lists, at its level or coarser. Returns the contract; the refusal names every problem.
    pub fn authorize(
        &self,
        id: i64,
        today: &str,
        actor: crate::Actor,
        pseudonymized: bool,
        rules_sha256: &str,
        columns: &[ReleasedColumn],
    ) -> Result<StoredContract, RegistryError> {
        let c = self.contract(id)?.ok_or_else(|| refuse::not_found(format!("no contract {id} in the registry")))?;
        let mut problems = Vec::new();
        let keeper = self.profile()?.actor;
        if actor != keeper {
            problems.push(format!(
                "the job's actor is {} ({}), the registry's keeper is {} ({}): set `actor = \"{}\"` in the job",
                actor.as_str(),
                actor.label(),
                keeper.as_str(),
                keeper.label(),
                keeper.as_str()
            ));
        }
        if !c.state.allows_provision() {
            problems.push(format!(
                "it is {} (data are provided only under a concluded contract that is neither cancelled nor ended)",
                c.state.as_str()
            ));
        }
        if today < c.proposal.use_from.as_str() || today > c.proposal.use_until.as_str() {
            problems.push(format!(
                "today ({today}) is outside its use period {} .. {}",
                c.proposal.use_from, c.proposal.use_until
            ));
        }
        if pseudonymized {
            problems.push(
                "the job is pseudonymized: pseudonymised data are still personal information and are never provided to a recipient (internal use only)".into(),
            );
        }
        let file = self.file(&c.file)?.ok_or_else(|| refuse::not_found(format!("file `{}` is gone", c.file)))?;
        if c.kind != ProposalKind::Article112 {
            problems.push(format!(
                "it is a 法118 contract ({}): it covers anonymised data already made, nothing is made under it; provide {} with `tokumei release provide RELEASE --contract {id}`",
                c.kind.as_str(),
                c.proposal
                    .release
                    .as_deref()
                    .map(|r| format!("release {r}"))
                    .unwrap_or_else(|| format!("the releases of contract {}", c.parent_id.unwrap_or(0)))
            ));
        }
        // 法117: the release is entered in the file's ファイル簿 on creation, with the office that
        // receives 法118 proposals for it; without one the entry cannot be made.
        if file.entry.proposal_office.as_deref().is_none_or(|o| o.trim().is_empty()) {
            problems.push(format!(
                "file `{}` names no office receiving proposals (法110条2号, 法117条2号), which its ファイル簿 entry of the data made must state: set it with `tokumei file set-proposals`",
                c.file
            ));
        }
        if !file.rules.iter().any(|r| r.sha256 == rules_sha256) {
            problems.push(format!(
                "the job's rule file (sha256 {}) is not one allowed for file `{}` (`tokumei file allow-rules`)",
                &rules_sha256[..16.min(rules_sha256.len())],
                c.file
            ));
        }
        for col in columns {
            match c.proposal.columns.iter().find(|g| g.name == col.name) {
                None => {
                    problems.push(format!("the rules release column `{}`, which the contract does not list", col.name))
                }
                Some(g) => {
                    if let Some(min) = g.level
                        && col.level < min
                    {
                        problems.push(format!(
                            "the rules release `{}` at level {}, finer than the contract allows ({}: level {min} or coarser)",
                            col.name, col.level, g.granularity
                        ));
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(c)
        } else {
            Err(refuse::law(format!("contract {id} does not allow this release: {}", problems.join("; "))))
        }
    }
}

/// Record a transition; returns the event's id.
pub(crate) fn event(
    tx: &Transaction,
    id: i64,
    from: Option<State>,
    to: State,
    who: &Who,
    note: Option<&str>,
) -> Result<i64, RegistryError> {
    tx.execute(
        "INSERT INTO contract_events (contract_id, from_state, to_state, time, operator, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, from.map(State::as_str), to.as_str(), who.time, who.operator, note],
    )
    .map_err(|e| refuse::storage(format!("contract {id}: {e}")))?;
    Ok(tx.last_insert_rowid())
}

/// What a contract's step records besides its state.
struct StepTerms {
    /// The notice of a review's outcome (法114条2項, 3項).
    notice: Option<serde_json::Value>,
    /// The fee at payment (法119).
    fee_yen: Option<i64>,
    /// What the fee was computed from.
    basis: Option<serde_json::Value>,
}

/// States no officer moves a contract to: `created` and `provided` are reached by a run and a
/// provision, a change of use is a proposal of its own (法118条1項後段), and the ファイル簿 is
/// updated on creation (法117).
fn not_by_hand(id: i64, to: State) -> Result<(), RegistryError> {
    if matches!(to, State::Created | State::Provided) {
        return Err(refuse::state(format!(
            "contract {id}: {} is reached by {}, not by hand",
            to.as_str(),
            if to == State::Created {
                "a run that publishes a release under the contract (`tokumei run JOB --contract ID`)"
            } else {
                "recording a provision (`tokumei release provide RELEASE --medium ... --receipt ...`)"
            }
        )));
    }
    if to == State::ChangeOfUse {
        return Err(refuse::law(format!(
            "contract {id}: a change of use is a proposal of its own (法118条1項後段: review of 法114条1項1号 and 4号-7号, notice, fee under 法119条4項, a new contract): record it with `tokumei contract propose FILE` (kind = \"change_of_use\", contract = {id})"
        )));
    }
    if to == State::RegisterUpdated {
        return Err(refuse::law(format!(
            "contract {id}: the ファイル簿 is updated on creation (法117), in the change that publishes a release under the contract; there is no step to take by hand (`tokumei file show FILE` shows the entry)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_and_the_two_year_bar() {
        assert_eq!(day_number(date("1970-01-01").unwrap()), 0);
        assert_eq!(day_number(date("2000-03-01").unwrap()) - day_number(date("2000-02-28").unwrap()), 2);
        assert_eq!(day_number(date("2100-03-01").unwrap()) - day_number(date("2100-02-28").unwrap()), 1);
        assert!(date("2027-02-29").is_none() && date("2028-02-29").is_some() && date("2027-13-01").is_none());
        assert_eq!(two_years_after("2028-02-29"), "2030-02-28");
        assert_eq!(two_years_after("2026-11-27"), "2028-11-27");
    }

    fn who(time: &str) -> Who {
        Who { operator: "officer".into(), time: time.into(), clock: None }
    }

    fn recipient(name: &str, number: Option<&str>) -> Recipient {
        Recipient {
            name: name.into(),
            representative: "代表取締役 見本 太郎".into(),
            address: "東京都千代田区見本町1-2-3".into(),
            contact: "03-0000-0000".into(),
            corporate_number: number.map(Into::into),
        }
    }

    /// A registry with an open file, recipient `株式会社見本データ分析` (法人番号 7000012050002)
    /// under contract 1, concluded.
    fn contracted() -> (tempfile::TempDir, Registry) {
        let dir = tempfile::tempdir().expect("tempdir");
        let profile: crate::Profile =
            toml::from_str("body = \"見本市\"\nactor = \"public_body\"\nbody_kind = \"municipality\"\n")
                .expect("profile");
        let w = who("2026-11-27T10:00:00Z");
        let mut reg = Registry::create(&dir.path().join("r.sqlite"), &profile, &dir.path().join("audit.log"), &w)
            .expect("create");
        let file: crate::FileEntry = toml::from_str(
            "name = \"F\"\nunit = \"市民課\"\npurpose = \"p\"\nitems = [\"性別\"]\npeople_range = \"r\"\ncollection_method = \"c\"\nsensitive = false\nordinance_sensitive = false\nregular_recipients = []\nrequest_office = \"o\"\nkind = \"computer\"\npeople = 120000\npublished = true\ndisclosable = true\nprocessable = true\nopen_to_proposals = true\nproposal_office = \"企画課\"\n",
        )
        .expect("file");
        reg.add_file(&w, &file, &[]).expect("file");
        reg.add_recipient(&w, &recipient("株式会社見本データ分析", Some("7000012050002"))).expect("recipient");
        reg.open_call(&w, "2026-11-27", "2099-12-31", &[], Some("公示第1号")).expect("call");
        let id = reg.propose(&w, &proposal("株式会社見本データ分析")).expect("propose");
        let review = Review {
            reviewer: "審査員".into(),
            checks: REVIEW_ITEMS
                .iter()
                .map(|i| Check { item: i.to_string(), ok: true, evidence: "確認".into() })
                .collect(),
        };
        assert!(reg.review(&w, id, &review).expect("review"));
        reg.advance(&w, id, State::Fit, None, &FeeBasis::default()).expect("fit");
        reg.advance(&w, id, State::FeePaid, None, &FeeBasis { hours: Some(0.0), ..Default::default() }).expect("fee");
        reg.advance(&w, id, State::Contracted, None, &FeeBasis::default()).expect("contracted");
        (dir, reg)
    }

    fn proposal(recipient: &str) -> Proposal {
        Proposal {
            recipient: recipient.into(),
            file: "F".into(),
            people: 5000,
            method: "k-匿名化".into(),
            purpose: "統計".into(),
            use_from: "2027-01-01".into(),
            use_until: "2027-12-31".into(),
            safety_measures: "施錠".into(),
            columns: vec![ColumnGrant { name: "性別".into(), granularity: "そのまま".into(), level: None }],
            ..Default::default()
        }
    }

    #[test]
    fn a_business_registered_again_under_another_spelling_is_refused_with_the_match_named() {
        let (_d, mut reg) = contracted();
        let w = who("2026-11-28T10:00:00Z");
        for (name, number, by) in [
            ("（株）見本データ分析", None, "name once normalised"),
            ("見本データ分析㈱", None, "name once normalised"),
            ("見本　データ　分析　株式会社", None, "name once normalised"),
            ("有限会社見本データ分析", None, "name once normalised"),
            ("株式会社ミホン", Some("７０００－０１２０－５０００２"), "法人番号"),
        ] {
            let e = reg.add_recipient(&w, &recipient(name, number)).expect_err(name).to_string();
            assert!(e.contains("`株式会社見本データ分析` (id 1") && e.contains(by), "{name}: {e}");
            assert!(!e.contains("barred"), "{e}");
        }
        // A 法人番号 with a wrong check digit, in any width.
        let e = reg.add_recipient(&w, &recipient("株式会社別会社", Some("8000012050002"))).expect_err("check digit");
        assert!(e.to_string().contains("check digit"), "{e}");
        // Another business is registered, with or without its number.
        reg.add_recipient(&w, &recipient("株式会社別会社", Some("4011001098993"))).expect("another business");
        reg.add_recipient(&w, &recipient("見本解析合同会社", None)).expect("another business");
        let list = reg.recipients().expect("list");
        assert_eq!(
            list.iter().find(|(id, _, _)| *id == 2).and_then(|(_, r, _)| r.corporate_number.clone()).as_deref(),
            Some("4011001098993")
        );
        // A proposal names a business as registered: another spelling names the registered one.
        let e = reg.propose(&w, &proposal("㈱見本データ分析")).expect_err("spelling").to_string();
        assert!(e.contains("not registered under that name") && e.contains("`株式会社見本データ分析` (id 1"), "{e}");
    }

    #[test]
    fn a_barred_business_cannot_come_back_under_another_name_or_its_number() {
        let (_d, mut reg) = contracted();
        // A proposal received before the cancellation, from the same business registered (in an
        // older registry) under another spelling: inserted as an older tokumei could have.
        let w = who("2026-11-28T10:00:00Z");
        reg.change(&w, "recipient-add", "legacy", |tx| {
            tx.execute(
                "INSERT INTO recipients (name, representative, address, contact, added) VALUES ('見本データ分析 株式会社', 'r', 'a', 'c', 'x')",
                [],
            )
            .expect("legacy row");
            Ok(((), vec![("recipients", tx.last_insert_rowid().to_string())]))
        })
        .expect("legacy change");
        let early = reg.propose(&w, &proposal("見本データ分析 株式会社")).expect("propose");
        reg.advance(&w, 1, State::Cancelled, Some("契約違反"), &FeeBasis::default()).expect("cancel");
        let later = who("2027-03-01T10:00:00Z");
        for (name, number) in [("見本データ分析（株）", None), ("株式会社ミホン", Some("7000012050002"))]
        {
            let e = reg.add_recipient(&later, &recipient(name, number)).expect_err(name).to_string();
            assert!(e.contains("(id 1") && e.contains("barred until 2028-11-28"), "{name}: {e}");
        }
        // The business itself and its other spelling are refused a new proposal.
        for name in ["株式会社見本データ分析", "見本データ分析 株式会社"] {
            let e = reg.propose(&later, &proposal(name)).expect_err(name).to_string();
            assert!(e.contains("法120") && e.contains("barred until 2028-11-28"), "{name}: {e}");
        }
        // The proposal received before fails its review's 法113 check, and is never fit.
        let review = Review {
            reviewer: "審査員".into(),
            checks: REVIEW_ITEMS
                .iter()
                .map(|i| Check { item: i.to_string(), ok: true, evidence: "確認".into() })
                .collect(),
        };
        assert!(!reg.review(&later, early, &review).expect("review"));
        assert!(reg.advance(&later, early, State::Fit, None, &FeeBasis::default()).is_err());
        // Two years on, the bar is over.
        let free = who("2028-11-28T10:00:00Z");
        assert!(reg.bar_of("株式会社見本データ分析", "2028-11-28").expect("bar").is_none());
        reg.propose(&free, &proposal("株式会社見本データ分析")).expect("proposal after the bar");
    }

    #[test]
    fn final_states_lead_nowhere_and_every_state_is_reachable() {
        for s in [State::NotFit, State::Closed, State::Cancelled, State::Withdrawn] {
            assert!(s.next().is_empty());
        }
        // Review has its own command; a change of use is entered by its proposal (法118);
        // register_updated is kept for contracts that older registries moved there by hand.
        let mut seen = vec![State::Received, State::Reviewed, State::ChangeOfUse, State::RegisterUpdated];
        let mut i = 0;
        while i < seen.len() {
            for n in seen[i].next() {
                if !seen.contains(n) {
                    seen.push(*n);
                }
            }
            i += 1;
        }
        assert_eq!(seen.len(), ALL.len());
        for s in ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
    }

    fn none() -> FeeBasis {
        FeeBasis::default()
    }

    fn passing(items: &[&str]) -> Review {
        Review {
            reviewer: "審査員".into(),
            checks: items.iter().map(|i| Check { item: i.to_string(), ok: true, evidence: "確認".into() }).collect(),
        }
    }

    /// Publish release `id` under contract `cid` as a run would (registered, then settled).
    fn publish(reg: &mut Registry, w: &Who, cid: i64, id: &str, people: Option<u64>) {
        let r = crate::NewRelease {
            release_id: id.into(),
            contract_id: Some(cid),
            dataset: "d".into(),
            mode: "anonymized".into(),
            release_dir: format!("/nowhere/{id}"),
            input_sha256: "00".repeat(32),
            rules_sha256: "11".repeat(32),
            outputs: vec![],
            rows: 5200,
            people,
            k_achieved: 5,
            l_achieved: None,
            audit_log: "/nowhere/audit.log".into(),
            audit_seq: 1,
            audit_head: None,
            staff_hours: Some(2.5),
            code_columns: vec![],
            codes: 0,
            code_digest: None,
            purpose: None,
            subjects: vec![],
            exclusions_upto: 0,
            corrections_upto: 0,
            excluded_records: 0,
            fingerprint: None,
            marks: vec![],
            replaces: None,
            replacement_note: None,
        };
        reg.register_release(w, &r).expect("register");
        reg.settle_release(w, id, true).expect("settle");
    }

    /// 法112条1項「募集に応じて」: no proposal without a call open for its file that day; 規則53: a
    /// call of fewer than 30 days (the last day at least 30 days after the first) is refused, and
    /// a call is never back-dated.
    #[test]
    fn a_112_proposal_answers_an_open_call_of_30_days_or_more_article_111_rule_53() {
        let (_d, mut reg) = contracted();
        let w = who("2026-11-28T10:00:00Z");
        // Today is 2026-11-28 in Japan.
        let e = reg.open_call(&w, "2026-11-27", "2027-01-31", &[], None).expect_err("back-dated").to_string();
        assert!(e.contains("cannot start before today"), "{e}");
        let e = reg.open_call(&w, "2026-12-01", "2026-12-30", &[], None).expect_err("29 days").to_string();
        assert!(e.contains("規則53") && e.contains("2026-12-31 or later"), "{e}");
        let e = reg.open_call(&w, "2026-12-01", "2027-01-31", &["G".into()], None).expect_err("file").to_string();
        assert!(e.contains("not registered as open to proposals"), "{e}");
        // The contract helper's call (2026-11-27 .. 2099) closed: proposals are refused.
        reg.close_call(&w, 1, "公示の誤りのため取消し").expect("close");
        let e = reg.propose(&w, &proposal("株式会社見本データ分析")).expect_err("no call").to_string();
        assert!(e.contains("募集に応じて") && e.contains("2026-11-28"), "{e}");
        // A call that opens later: not yet open.
        let id = reg.open_call(&w, "2026-12-01", "2026-12-31", &[], Some("公示第2号")).expect("call of 30 days");
        assert!(reg.propose(&w, &proposal("株式会社見本データ分析")).is_err(), "the call is not open yet");
        let later = who("2026-12-31T14:00:00Z"); // 2026-12-31 23:00 JST: the last day
        let c = reg.propose(&later, &proposal("株式会社見本データ分析")).expect("in response to the call");
        assert_eq!(reg.contract(c).expect("read").expect("contract").call_id, Some(id));
        let after = who("2026-12-31T15:00:00Z"); // 2027-01-01 00:00 JST
        assert!(reg.propose(&after, &proposal("株式会社見本データ分析")).is_err(), "the call has ended");
        assert_eq!(reg.check_all().expect("check").iter().filter(|p| !p.contains("release")).count(), 0);
    }

    /// 法111 with 附則7条 and 規則53「毎年度」: a prefecture is warned for every file open to
    /// proposals without a call of 30 days or more opened in the current fiscal year.
    #[test]
    fn a_body_that_must_call_is_warned_without_a_call_this_fiscal_year_article_111() {
        let dir = tempfile::tempdir().expect("tempdir");
        let profile: crate::Profile =
            toml::from_str("body = \"見本県\"\nactor = \"public_body\"\nbody_kind = \"prefecture\"\n")
                .expect("profile");
        let w = who("2027-03-01T01:00:00Z");
        let mut reg =
            Registry::create(&dir.path().join("r.sqlite"), &profile, &dir.path().join("a.log"), &w).expect("create");
        let file: crate::FileEntry = toml::from_str(
            "name = \"F\"\nunit = \"u\"\npurpose = \"p\"\nitems = [\"性別\"]\npeople_range = \"r\"\ncollection_method = \"c\"\nsensitive = false\nrequest_office = \"o\"\nkind = \"computer\"\npeople = 5000\npublished = true\ndisclosable = true\nprocessable = true\nopen_to_proposals = true\nproposal_office = \"企画課\"\n",
        )
        .expect("file");
        reg.add_file(&w, &file, &[]).expect("file");
        assert_eq!(reg.call_warnings("2027-03-01").expect("warn").len(), 1);
        reg.open_call(&w, "2027-03-01", "2027-03-31", &[], None).expect("call");
        assert!(reg.call_warnings("2027-03-15").expect("warn").is_empty(), "called in fiscal year 2026");
        // April: a new fiscal year, and the March call does not count for it.
        let w = reg.call_warnings("2027-04-01").expect("warn");
        assert!(w.len() == 1 && w[0].contains("fiscal year 2027"), "{w:?}");
        // A call closed before its 30 days does not count either.
        let april = who("2027-04-01T01:00:00Z");
        let id = reg.open_call(&april, "2027-04-01", "2027-05-31", &[], None).expect("call");
        assert!(reg.call_warnings("2027-04-02").expect("warn").is_empty());
        let soon = who("2027-04-10T01:00:00Z");
        reg.close_call(&soon, id, "対象ファイルの誤り").expect("close");
        assert_eq!(reg.call_warnings("2027-04-10").expect("warn").len(), 1);
        // A municipality that need not call is not warned.
        let (_d, reg) = contracted();
        assert!(reg.call_warnings("2030-01-01").expect("warn").is_empty());
    }

    /// 法114条1項 in the statute's order: 1号 is the disqualifications of 法113 (no separate
    /// 法113 item), and a 法118 review has only 1号 and 4号-7号 (法118条2項).
    #[test]
    fn review_items_follow_article_114_1_and_article_118_2() {
        let (_d, mut reg) = contracted();
        let w = who("2026-11-28T10:00:00Z");
        let id = reg.propose(&w, &proposal("株式会社見本データ分析")).expect("propose");
        let mut old = passing(REVIEW_ITEMS);
        old.checks.insert(0, Check { item: "法113条".into(), ok: true, evidence: "確認".into() });
        let e = reg.review(&w, id, &old).expect_err("old numbering").to_string();
        assert!(e.contains("法114条1項1号") && e.contains("1号 欠格事由"), "{e}");
        assert!(reg.review(&w, id, &passing(REUSE_REVIEW_ITEMS)).is_err(), "2号 and 3号 are missing");
        assert!(reg.review(&w, id, &passing(REVIEW_ITEMS)).expect("review"));
        let c = reg.contract(id).expect("read").expect("contract");
        let items: Vec<&str> = c.review.as_ref().expect("review")["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .filter_map(|ch| ch["item"].as_str())
            .collect();
        assert!(items[0].starts_with("法114条1項1号") && items[1].starts_with("法114条1項2号"), "{items:?}");
        assert!(items[2].starts_with("法114条1項5号"), "{items:?}");
    }

    /// 法119条3項 (令: 1時間までごとに): a part of an hour is billed as an hour, and what the body
    /// pays a contractor it entrusts the creation to is added.
    #[test]
    fn the_fee_bills_every_part_of_an_hour_and_adds_the_contractors_cost_article_119_3() {
        let (_d, mut reg) = contracted();
        let w = who("2026-11-28T10:00:00Z");
        let id = reg.propose(&w, &proposal("株式会社見本データ分析")).expect("propose");
        assert!(reg.review(&w, id, &passing(REVIEW_ITEMS)).expect("review"));
        reg.advance(&w, id, State::Fit, None, &none()).expect("fit");
        for bad in ["-1", "abc", "NaN", "inf", "1e3", "100001"] {
            assert!(parse_hours(bad).is_err(), "{bad}");
        }
        let fee = FeeBasis {
            hours: Some(parse_hours("2.25").expect("hours")),
            contractor_cost_yen: Some(50_000),
            fee_yen: None,
        };
        let e = reg.advance(&w, id, State::FeePaid, None, &FeeBasis { fee_yen: Some(1), ..fee }).expect_err("fee_yen");
        assert!(e.to_string().contains("computed"), "{e}");
        assert!(reg.advance(&w, id, State::FeePaid, None, &FeeBasis { contractor_cost_yen: Some(-1), ..fee }).is_err());
        reg.advance(&w, id, State::FeePaid, None, &fee).expect("fee");
        let c = reg.contract(id).expect("read").expect("contract");
        assert_eq!(c.fee_yen, Some(21_000 + 3 * 3_950 + 50_000));
        let b = c.fee_basis.expect("basis");
        assert_eq!((b["hours_billed"].as_i64(), b["contractor_cost_yen"].as_i64()), (Some(3), Some(50_000)));
        assert_eq!(b["article"], "法119条3項");
        // The fee's basis goes with the payment only.
        assert!(reg.advance(&w, id, State::Contracted, None, &fee).is_err());
    }

    /// 法118条1項後段: a contractor's change of business is a proposal of its own, reviewed under
    /// 1号 and 4号-7号, notified, paid for (法119条4項) and concluded as a new contract; the
    /// contract it changes cannot simply go back to `contracted` with a note.
    #[test]
    fn a_change_of_use_goes_through_review_notice_fee_and_a_new_contract_article_118() {
        let (_d, mut reg) = contracted();
        let w = who("2027-01-10T01:00:00Z");
        // The old shortcut is refused.
        let e = reg.advance(&w, 1, State::ChangeOfUse, Some("事業変更"), &none()).expect_err("by hand").to_string();
        assert!(e.contains("contract propose") && e.contains("change_of_use"), "{e}");
        let change = Proposal {
            kind: ProposalKind::ChangeOfUse,
            recipient: "株式会社見本データ分析".into(),
            contract: Some(1),
            purpose: "別事業".into(),
            use_from: "2027-02-01".into(),
            use_until: "2027-12-31".into(),
            safety_measures: "施錠".into(),
            ..Default::default()
        };
        // Before any data are made, a change of business is a new 法112 proposal.
        let e = reg.propose(&w, &change).expect_err("no data").to_string();
        assert!(e.contains("法117") && e.contains("new 法112 proposal"), "{e}");
        publish(&mut reg, &w, 1, "r-1", Some(4800));
        let c1 = reg.contract(1).expect("read").expect("contract");
        assert_eq!(c1.state, State::Created);
        // Another business cannot change this contract's use.
        reg.add_recipient(&w, &recipient("見本リサーチ合同会社", None)).expect("recipient");
        let e = reg
            .propose(&w, &Proposal { recipient: "見本リサーチ合同会社".into(), ..change.clone() })
            .expect_err("not its contract")
            .to_string();
        assert!(e.contains("only its contractor"), "{e}");
        let child = reg.propose(&w, &change).expect("change of use proposed");
        let c = reg.contract(child).expect("read").expect("contract");
        assert_eq!((c.kind, c.parent_id, c.proposal.people), (ProposalKind::ChangeOfUse, Some(1), 4800));
        assert_eq!(c.proposal.columns, proposal("x").columns, "the data's columns");
        assert_eq!(reg.contract(1).expect("read").expect("contract").state, State::ChangeOfUse);
        assert!(reg.propose(&w, &change).expect_err("twice").to_string().contains("already under way"));
        // The contract under change cannot go back by hand.
        let e = reg.advance(&w, 1, State::Contracted, Some("変更なし"), &none()).expect_err("shortcut").to_string();
        assert!(e.contains(&format!("contract {child}")), "{e}");
        // Review: 1号, 4号-7号 only.
        let e = reg.review(&w, child, &passing(REVIEW_ITEMS)).expect_err("2号").to_string();
        assert!(e.contains("does not apply to a 法118 proposal"), "{e}");
        assert!(reg.review(&w, child, &passing(REUSE_REVIEW_ITEMS)).expect("review"));
        // Not fit: the contract continues as it was.
        reg.advance(&w, child, State::NotFit, Some("法114条1項4号に適合しない"), &none()).expect("not fit");
        let c1 = reg.contract(1).expect("read").expect("contract");
        assert_eq!(c1.state, State::Created, "back where it was");
        // Proposed again, fit, paid under 法119条4項 and concluded: the old contract's use ends.
        let child = reg.propose(&w, &change).expect("again");
        assert!(reg.review(&w, child, &passing(REUSE_REVIEW_ITEMS)).expect("review"));
        reg.advance(&w, child, State::Fit, None, &none()).expect("fit");
        let e = reg.advance(&w, child, State::FeePaid, None, &none()).expect_err("no amount").to_string();
        assert!(e.contains("fee_change_of_use_yen") && e.contains("法119条4項"), "{e}");
        let hours = FeeBasis { hours: Some(1.0), ..none() };
        assert!(reg.advance(&w, child, State::FeePaid, None, &hours).is_err(), "no hours for data already made");
        reg.advance(&w, child, State::FeePaid, None, &FeeBasis { fee_yen: Some(12_600), ..none() }).expect("fee");
        let c = reg.contract(child).expect("read").expect("contract");
        assert_eq!(
            (c.fee_yen, c.fee_basis.as_ref().map(|b| b["article"].clone())),
            (Some(12_600), Some("法119条4項".into()))
        );
        reg.advance(&w, child, State::Contracted, None, &none()).expect("contracted");
        assert_eq!(reg.contract(1).expect("read").expect("contract").state, State::UseEnded);
        // Nothing is made under a 法118 contract.
        let e = reg
            .authorize(child, "2027-03-01", crate::Actor::PublicBody, false, &"11".repeat(32), &[])
            .expect_err("no run")
            .to_string();
        assert!(e.contains("法118 contract"), "{e}");
        // The old contract stays until the new one's records go.
        assert_eq!(reg.check_all().expect("check").iter().filter(|p| !p.contains("release r-1")).count(), 0);
    }

    /// 法117: a release published under a contract is entered in the file's ファイル簿 in the
    /// change that publishes it (people by the subject identifier, items, the office and the
    /// period for 法118 proposals); 法118条1項前段: a third party proposes on it within that period,
    /// without a call.
    #[test]
    fn creation_enters_the_file_book_and_a_third_party_proposes_within_its_period_article_117_118() {
        let (_d, mut reg) = contracted();
        let w = who("2027-01-10T01:00:00Z");
        publish(&mut reg, &w, 1, "r-1", Some(4800));
        publish(&mut reg, &w, 1, "r-2", None);
        let f = reg.file("F").expect("read").expect("file");
        assert_eq!(f.created_anonymised.len(), 2);
        let e = &f.created_anonymised[0];
        assert_eq!((e["release"].as_str(), e["people"].as_i64()), (Some("r-1"), Some(4800)));
        assert!(e["people_counted_by"].as_str().unwrap_or("").contains("宛名番号"), "{e}");
        assert_eq!(
            (e["proposals_from"].as_str(), e["proposals_until"].as_str()),
            (Some("2027-01-10"), Some("2028-01-09"))
        );
        assert_eq!(e["proposal_office"], "企画課");
        assert_eq!(e["items"][0], "性別（そのまま）");
        assert!(f.created_anonymised[1]["people_counted_by"].as_str().unwrap_or("").starts_with("rows"));
        // The entry was made in the publishing change: the journal's row of the file is its.
        let changes: i64 = reg
            .conn
            .query_row(
                "SELECT count(*) FROM changes WHERE action = 'release-published' AND rows LIKE '%\"files\"%'",
                [],
                |r| r.get(0),
            )
            .expect("changes");
        assert_eq!(changes, 2);
        // Not by hand any more.
        let e = reg.advance(&w, 1, State::RegisterUpdated, None, &none()).expect_err("by hand").to_string();
        assert!(e.contains("on creation"), "{e}");
        // A third party's 法118 proposal: no call needed (the helper's call is closed).
        reg.close_call(&w, 1, "募集期間の終了").expect("close");
        reg.add_recipient(&w, &recipient("見本リサーチ合同会社", None)).expect("recipient");
        let reuse = Proposal {
            kind: ProposalKind::Article118,
            recipient: "見本リサーチ合同会社".into(),
            release: Some("r-1".into()),
            purpose: "需要分析".into(),
            use_from: "2027-02-01".into(),
            use_until: "2027-07-31".into(),
            safety_measures: "施錠".into(),
            ..Default::default()
        };
        let e = reg
            .propose(&w, &Proposal { columns: proposal("x").columns, ..reuse.clone() })
            .expect_err("columns")
            .to_string();
        assert!(e.contains("as they were made"), "{e}");
        let e = reg
            .propose(&w, &Proposal { recipient: "株式会社見本データ分析".into(), ..reuse.clone() })
            .expect_err("its own")
            .to_string();
        assert!(e.contains("change_of_use"), "{e}");
        let id = reg.propose(&w, &reuse).expect("法118 proposal");
        let c = reg.contract(id).expect("read").expect("contract");
        assert_eq!(
            (c.kind, c.parent_id, c.file.as_str(), c.proposal.people),
            (ProposalKind::Article118, Some(1), "F", 4800)
        );
        // Outside the period entered (法117条3号): refused.
        let late = who("2028-01-10T01:00:00Z");
        let e = reg.propose(&late, &reuse).expect_err("period").to_string();
        assert!(e.contains("法117条3号") && e.contains("2027-01-10 .. 2028-01-09"), "{e}");
        // Reviewed, paid under 法119条4項, concluded and provided the data made.
        assert!(reg.review(&w, id, &passing(REUSE_REVIEW_ITEMS)).expect("review"));
        reg.advance(&w, id, State::Fit, None, &none()).expect("fit");
        reg.advance(&w, id, State::FeePaid, None, &FeeBasis { fee_yen: Some(21_000), ..none() }).expect("fee");
        reg.advance(&w, id, State::Contracted, None, &none()).expect("contracted");
        let p = who("2027-02-01T01:00:00Z");
        assert!(
            reg.provide_under(&p, "r-2", Some(id), "2027-02-01", "2027-02-01", "手交", "受領書").is_err(),
            "r-2 is not its"
        );
        reg.provide_under(&p, "r-1", Some(id), "2027-02-01", "2027-02-01", "手交", "受領書 第2号").expect("provide");
        assert_eq!(reg.contract(id).expect("read").expect("contract").state, State::Provided);
        let rec = reg.contract_record(id).expect("record");
        assert_eq!(rec["releases"][0]["release_id"], "r-1");
    }
}
