//! Licensed recipients, their proposals and contracts (法112-120), moving through the legal
//! workflow as a checked state machine: every transition is one audited change with who and
//! when, and a wrong one is refused.

use crate::{Guard, Registry, RegistryError, Who};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use std::path::Path;

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

/// A proposal (法112条2項 items), as written in a proposal file (TOML).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    /// The proposing business (a registered recipient's name).
    pub recipient: String,
    /// The personal-information file asked for.
    pub file: String,
    /// Number of people asked for.
    pub people: i64,
    /// Processing method (加工の方法).
    pub method: String,
    /// Purpose and business the data are used for.
    pub purpose: String,
    /// First day of the use period (YYYY-MM-DD).
    pub use_from: String,
    /// Last day of the use period (YYYY-MM-DD).
    pub use_until: String,
    /// Safety measures (安全管理措置).
    pub safety_measures: String,
    /// The columns and their granularity.
    #[serde(rename = "column")]
    pub columns: Vec<ColumnGrant>,
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

/// Review items the reviewer must state, each with its evidence.
pub const REVIEW_ITEMS: &[&str] = &[
    "法113条",
    "法114条1項1号",
    "法114条1項2号",
    "法114条1項3号",
    "法114条1項4号",
    "法114条1項5号",
    "法114条1項6号",
    "法114条1項7号",
];

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
    /// ファイル簿 updated (法117).
    RegisterUpdated,
    /// Use period ended.
    UseEnded,
    /// Return or deletion confirmed. Final.
    Closed,
    /// A change of use asked for, under review (法118).
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
    /// carry checks and reasons); cancellation too (it bars the business).
    pub fn next(self) -> &'static [State] {
        use State::*;
        match self {
            Received => &[CorrectionsRequested, Withdrawn],
            CorrectionsRequested => &[Received, Withdrawn],
            Reviewed => &[Fit, NotFit, Withdrawn],
            Fit => &[FeePaid, Withdrawn],
            FeePaid => &[Contracted],
            Contracted => &[Created, ChangeOfUse, Cancelled],
            Created => &[Provided, ChangeOfUse, Cancelled],
            Provided => &[RegisterUpdated, ChangeOfUse, Cancelled],
            RegisterUpdated => &[UseEnded, ChangeOfUse, Cancelled],
            UseEnded => &[Closed, Cancelled],
            ChangeOfUse => &[Contracted, Cancelled],
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

/// A calendar date `YYYY-MM-DD` as (year, month, day), checked.
pub(crate) fn date(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = s[0..4].parse().ok()?;
    let m: u32 = s[5..7].parse().ok()?;
    let d: u32 = s[8..10].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    (1..=12).contains(&m).then_some(())?;
    (1..=days[m as usize - 1]).contains(&d).then_some((y, m, d))
}

/// Days from 1970-01-01 (civil calendar).
pub(crate) fn day_number((y, m, d): (i32, u32, u32)) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The day two years after `today` (a 29 February becomes the 28th).
fn two_years_after(today: &str) -> String {
    match date(today) {
        Some((y, m, d)) => {
            let d = if m == 2 && d == 29 { 28 } else { d };
            format!("{:04}-{m:02}-{d:02}", y + 2)
        }
        None => today.to_string(),
    }
}

fn refused(m: impl Into<String>) -> RegistryError {
    RegistryError::Refused(m.into())
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
                return Err(refused(format!("recipient: `{field}` is empty")));
            }
        }
        for (field, v) in [("name", &r.name), ("representative", &r.representative)] {
            if let Some(bad) = crate::files::bad_text(v) {
                return Err(refused(format!("recipient: `{field}` {bad}")));
            }
        }
        let number = match r.corporate_number.as_deref() {
            None => None,
            Some(n) => Some(tokumei_jp::corporate_number(n).ok_or_else(|| {
                refused(
                    "recipient: `corporate_number` is not a 法人番号 (13 digits whose first is the check digit of the other 12)",
                )
            })?),
        };
        if self.recipient_id(&r.name)?.is_some() {
            return Err(refused(format!("recipient `{}` is already registered", r.name)));
        }
        let today = crate::deadline::today_of(who)?;
        if let Some(m) = self.recipient_matches(&r.name, number.as_deref(), None, &today)?.first() {
            return Err(refused(format!(
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
            .map_err(|e| refused(format!("recipient `{}`: {e}", r.name)))?;
            let id = tx.last_insert_rowid();
            let mut touched = vec![("recipients", id.to_string())];
            if let Some(n) = &number {
                tx.execute(
                    "INSERT INTO recipient_numbers (recipient_id, corporate_number) VALUES (?1, ?2)",
                    params![id, n],
                )
                .map_err(|e| refused(format!("recipient `{}`: 法人番号: {e}", r.name)))?;
                touched.push(("recipient_numbers", id.to_string()));
            }
            Ok((id, touched))
        })
    }

    fn recipient_id(&self, name: &str) -> Result<Option<i64>, RegistryError> {
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

    /// Record a received proposal (state `received`). Refused when the file is not open to
    /// proposals, the recipient is unknown, or an item is missing or malformed.
    pub fn propose(&mut self, who: &Who, p: &Proposal) -> Result<i64, RegistryError> {
        let today = crate::deadline::today_of(who)?;
        let recipient = match self.recipient_id(&p.recipient)? {
            Some(id) => id,
            None => {
                return Err(match self.recipient_matches(&p.recipient, None, None, &today)?.first() {
                    Some(m) => refused(format!(
                        "recipient `{}` is not registered under that name; it matches {}: name the business as registered",
                        p.recipient,
                        m.describe()
                    )),
                    None => refused(format!(
                        "recipient `{}` is not registered (add it with `tokumei recipient add`)",
                        p.recipient
                    )),
                });
            }
        };
        if let Some(bar) = self.bar_of(&p.recipient, &today)? {
            return Err(refused(format!("proposal refused (法113, 法120): {bar}")));
        }
        let file = self.file(&p.file)?.ok_or_else(|| refused(format!("no file `{}` is registered", p.file)))?;
        if !file.entry.open_to_proposals {
            return Err(refused(format!("file `{}` is not open to proposals (法110)", p.file)));
        }
        for (field, v) in [("method", &p.method), ("purpose", &p.purpose), ("safety_measures", &p.safety_measures)] {
            crate::requests::text(field, v).map_err(|e| refused(format!("proposal: {e}")))?;
        }
        let (Some(from), Some(until)) = (date(&p.use_from), date(&p.use_until)) else {
            return Err(refused("proposal: `use_from` and `use_until` must be dates YYYY-MM-DD"));
        };
        if day_number(until) < day_number(from) {
            return Err(refused("proposal: the use period ends before it starts"));
        }
        if p.people <= 0 {
            return Err(refused("proposal: `people` must be positive"));
        }
        if p.columns.is_empty() || p.columns.iter().any(|c| c.name.trim().is_empty() || c.granularity.trim().is_empty())
        {
            return Err(refused("proposal: every `[[column]]` needs a `name` and a `granularity`"));
        }
        let mut seen = std::collections::HashSet::new();
        for c in &p.columns {
            if !seen.insert(c.name.as_str()) {
                return Err(refused(format!("proposal: column `{}` is listed twice", c.name)));
            }
        }
        let columns = serde_json::to_string(&p.columns).map_err(|e| self.db(e))?;
        self.change(who, "contract-propose", &format!("{} / {}", p.recipient, p.file), |tx| {
            tx.execute(
                "INSERT INTO contracts (recipient_id, file_id, state, people, method, purpose, use_from, use_until,
                    safety_measures, columns, received, updated)
                 VALUES (?1, ?2, 'received', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                params![
                    recipient,
                    file.id,
                    p.people,
                    p.method,
                    p.purpose,
                    p.use_from,
                    p.use_until,
                    p.safety_measures,
                    columns,
                    who.time
                ],
            )
            .map_err(|e| refused(format!("proposal: {e}")))?;
            let id = tx.last_insert_rowid();
            let ev = event(tx, id, None, State::Received, who, None)?;
            Ok((id, vec![("contracts", id.to_string()), ("contract_events", ev.to_string())]))
        })
    }

    /// Record the review of a received proposal: the reviewer's checks of every item of
    /// [`REVIEW_ITEMS`], plus the checks the registry computes itself (法113 with 法120: a
    /// cancellation within two years; 法114条1項: people within the rule minimum and the
    /// file's count, use period within the rule maximum). Returns whether every check passed.
    pub fn review(&mut self, who: &Who, id: i64, review: &Review) -> Result<bool, RegistryError> {
        let c = self.contract(id)?.ok_or_else(|| refused(format!("no contract {id}")))?;
        if c.state != State::Received {
            return Err(refused(format!(
                "contract {id} is {}; only a received proposal is reviewed",
                c.state.as_str()
            )));
        }
        if review.reviewer.trim().is_empty() {
            return Err(refused("review: `reviewer` is empty"));
        }
        for ch in &review.checks {
            if !REVIEW_ITEMS.contains(&ch.item.as_str()) {
                return Err(refused(format!(
                    "review: unknown item `{}` (the items are {})",
                    ch.item,
                    REVIEW_ITEMS.join(", ")
                )));
            }
        }
        for item in REVIEW_ITEMS {
            match review.checks.iter().find(|ch| ch.item == *item) {
                None => return Err(refused(format!("review: no check of {item} (every item needs one)"))),
                Some(ch) if ch.evidence.trim().is_empty() => {
                    return Err(refused(format!("review: the check of {item} gives no evidence")));
                }
                Some(_) => {}
            }
        }
        let profile = self.profile()?;
        let file = self.file(&c.file)?.ok_or_else(|| refused(format!("file `{}` is gone", c.file)))?;
        // "Today" is the date in Japan of the change (deadline.rs: deadlines are Japan's dates).
        let today = crate::deadline::today_of(who)?;
        // Its own bar, or that of the same business registered under another spelling.
        let barred = self.bar_of(&c.recipient, &today)?;
        let days = match (date(&c.proposal.use_from), date(&c.proposal.use_until)) {
            (Some(a), Some(b)) => day_number(b) - day_number(a) + 1,
            _ => i64::MAX,
        };
        let mut computed = vec![
            Check {
                item: "法113条 (法120: no cancellation within 2 years)".into(),
                ok: barred.is_none(),
                evidence: match &barred {
                    Some(b) => format!("a contract of the business was cancelled: {b}"),
                    None => "no cancelled contract of the business (under any spelling of its name, or its 法人番号) within 2 years in the registry".into(),
                },
            },
            Check {
                item: "法114条1項 (people within the rule minimum and the file)".into(),
                ok: c.proposal.people >= profile.proposal_min_people && c.proposal.people <= file.entry.people,
                evidence: format!(
                    "{} people asked; the rule minimum is {}, the file records {}",
                    c.proposal.people, profile.proposal_min_people, file.entry.people
                ),
            },
            Check {
                item: "法114条1項 (use period within the rule maximum)".into(),
                ok: days <= profile.use_period_max_days,
                evidence: format!("{days} days asked; the maximum is {}", profile.use_period_max_days),
            },
        ];
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
            .map_err(|e| refused(format!("contract {id}: {e}")))?;
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
    /// payment (法119: base + hours of creation work), cancellation (法120) barring the
    /// business for two years. `note` is kept with the transition (reasons, receipts...).
    pub fn advance(
        &mut self,
        who: &Who,
        id: i64,
        to: State,
        note: Option<&str>,
        hours: Option<i64>,
    ) -> Result<(), RegistryError> {
        if matches!(to, State::Created | State::Provided) {
            return Err(refused(format!(
                "contract {id}: {} is reached by {}, not by hand",
                to.as_str(),
                if to == State::Created {
                    "a run that publishes a release under the contract (`tokumei run JOB --contract ID`)"
                } else {
                    "recording a provision (`tokumei release provide RELEASE --medium ... --receipt ...`)"
                }
            )));
        }
        let c = self.contract(id)?.ok_or_else(|| refused(format!("no contract {id}")))?;
        if !c.state.next().contains(&to) {
            let allowed: Vec<&str> = c.state.next().iter().map(|s| s.as_str()).collect();
            return Err(refused(format!(
                "contract {id} is {}: it cannot move to {} (allowed: {})",
                c.state.as_str(),
                to.as_str(),
                if allowed.is_empty() { "none, it is final".to_string() } else { allowed.join(", ") }
            )));
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if let Some(n) = note {
            crate::requests::text("note", n)?;
        }
        let passed = c.review.as_ref().and_then(|r| r["passed"].as_bool()).unwrap_or(false);
        // A bar that came after the review (the same business's contract cancelled meanwhile).
        if matches!(to, State::Fit | State::Contracted)
            && let Some(bar) = self.bar_of(&c.recipient, &crate::deadline::today_of(who)?)?
        {
            return Err(refused(format!("contract {id} cannot move to {} (法113, 法120): {bar}", to.as_str())));
        }
        let mut notice = None;
        let mut fee = None;
        // 法117: the ファイル簿 entry of the file lists the anonymised data made from it.
        let mut register: Option<(i64, String)> = None;
        if to == State::RegisterUpdated {
            let file = self.file(&c.file)?.ok_or_else(|| refused(format!("file `{}` is gone", c.file)))?;
            let releases: Vec<_> = self
                .releases()?
                .into_iter()
                .filter(|r| r.release.contract_id == Some(id) && r.status == "published")
                .collect();
            if releases.is_empty() {
                return Err(refused(format!("contract {id} has no published release to enter in the file register")));
            }
            let mut created = file.created_anonymised.clone();
            created.push(serde_json::json!({
                "contract": id,
                "recipient": c.recipient,
                "releases": releases.iter().map(|r| r.release.release_id.clone()).collect::<Vec<_>>(),
                "people": releases.iter().map(|r| r.release.rows).max(),
                "items": c.proposal.columns.iter().map(|g| format!("{}（{}）", g.name, g.granularity)).collect::<Vec<_>>(),
                "use_period": format!("{} .. {}", c.proposal.use_from, c.proposal.use_until),
                "entered": who.time,
            }));
            register = Some((file.id, serde_json::Value::Array(created).to_string()));
        }
        match to {
            State::Fit if !passed => {
                return Err(refused(format!(
                    "contract {id}: its review did not pass every check; notify not_fit with reasons"
                )));
            }
            State::Fit => {
                notice = Some(serde_json::json!({ "decision": "fit", "article": "法114条2項", "note": note }))
            }
            State::NotFit => {
                let reasons = note.ok_or_else(|| refused("a not-fit notice states its reasons (--note)"))?;
                notice =
                    Some(serde_json::json!({ "decision": "not_fit", "article": "法114条3項", "reasons": reasons }));
            }
            State::FeePaid => {
                let h = hours.ok_or_else(|| {
                    refused("the fee depends on the hours of creation work: give --hours (法119; 0 if none)")
                })?;
                if !(0..=MAX_HOURS).contains(&h) {
                    return Err(refused(format!("--hours must be between 0 and {MAX_HOURS}")));
                }
                let p = self.profile()?;
                fee = Some(
                    p.fee_per_hour_yen
                        .checked_mul(h)
                        .and_then(|x| x.checked_add(p.fee_base_yen))
                        .ok_or_else(|| refused("the fee is beyond any reasonable amount"))?,
                );
            }
            State::Cancelled | State::Withdrawn | State::CorrectionsRequested | State::ChangeOfUse
                if note.is_none() =>
            {
                return Err(refused(format!("moving to {} needs its reason (--note)", to.as_str())));
            }
            _ => {}
        }
        // "Today" is the date in Japan of the change (deadline.rs: deadlines are Japan's dates).
        let today = crate::deadline::today_of(who)?;
        // Re-read inside the transaction: the step starts from the state (and version) read above,
        // so two steps at once (two officers, two processes) end with one done and one refused.
        let guard = [Guard::contract(&c)];
        let action = format!("contract-{}", to.as_str().replace('_', "-"));
        self.change_from(&guard, who, &action, &format!("contract {id}"), |tx| {
            tx.execute(
                "UPDATE contracts SET state = ?1, updated = ?2 WHERE id = ?3",
                params![to.as_str(), who.time, id],
            )
            .map_err(|e| refused(format!("contract {id}: {e}")))?;
            if let Some(n) = &notice {
                tx.execute("UPDATE contracts SET notice = ?1 WHERE id = ?2", params![n.to_string(), id])
                    .map_err(|e| refused(format!("contract {id}: {e}")))?;
            }
            if let Some(f) = fee {
                tx.execute("UPDATE contracts SET fee_yen = ?1 WHERE id = ?2", params![f, id])
                    .map_err(|e| refused(format!("contract {id}: {e}")))?;
            }
            let mut touched = vec![("contracts", id.to_string())];
            if let Some((file_id, created)) = &register {
                tx.execute("UPDATE files SET created_anonymised = ?1 WHERE id = ?2", params![created, file_id])
                    .map_err(|e| refused(format!("file register: {e}")))?;
                touched.push(("files", file_id.to_string()));
            }
            if to == State::Cancelled {
                let until = two_years_after(&today);
                tx.execute("UPDATE recipients SET barred_until = ?1 WHERE name = ?2", params![until, c.recipient])
                    .map_err(|e| refused(format!("recipient: {e}")))?;
                let rid: i64 = tx
                    .query_row("SELECT id FROM recipients WHERE name = ?1", [&c.recipient], |r| r.get(0))
                    .map_err(|e| refused(format!("recipient: {e}")))?;
                touched.push(("recipients", rid.to_string()));
            }
            let ev = event(tx, id, Some(c.state), to, who, note)?;
            touched.push(("contract_events", ev.to_string()));
            Ok(((), touched))
        })
    }

    /// A contract with its proposal, review, notice and history.
    pub fn contract(&self, id: i64) -> Result<Option<StoredContract>, RegistryError> {
        let row = self
            .conn
            .query_row(
                "SELECT r.name, f.name, c.state, c.people, c.method, c.purpose, c.use_from, c.use_until,
                    c.safety_measures, c.columns, c.review, c.notice, c.fee_yen
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
        Ok(Some(StoredContract {
            id,
            state: State::parse(&state).ok_or_else(|| self.err(&format!("contract {id}: unknown state {state}")))?,
            proposal: Proposal {
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
    /// is in a state that allows provision (contracted, created, provided, register updated;
    /// never cancelled or ended), today is within its use period, the job is anonymised (a
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
        let c = self.contract(id)?.ok_or_else(|| refused(format!("no contract {id} in the registry")))?;
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
        let file = self.file(&c.file)?.ok_or_else(|| refused(format!("file `{}` is gone", c.file)))?;
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
            Err(refused(format!("contract {id} does not allow this release: {}", problems.join("; "))))
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
    .map_err(|e| refused(format!("contract {id}: {e}")))?;
    Ok(tx.last_insert_rowid())
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
            "name = \"F\"\nunit = \"市民課\"\npurpose = \"p\"\nitems = [\"性別\"]\npeople_range = \"r\"\ncollection_method = \"c\"\nsensitive = false\nordinance_sensitive = false\nregular_recipients = []\nrequest_office = \"o\"\nkind = \"computer\"\npeople = 120000\npublished = true\ndisclosable = true\nprocessable = true\nopen_to_proposals = true\n",
        )
        .expect("file");
        reg.add_file(&w, &file, &[]).expect("file");
        reg.add_recipient(&w, &recipient("株式会社見本データ分析", Some("7000012050002"))).expect("recipient");
        let id = reg.propose(&w, &proposal("株式会社見本データ分析")).expect("propose");
        let review = Review {
            reviewer: "審査員".into(),
            checks: REVIEW_ITEMS
                .iter()
                .map(|i| Check { item: i.to_string(), ok: true, evidence: "確認".into() })
                .collect(),
        };
        assert!(reg.review(&w, id, &review).expect("review"));
        reg.advance(&w, id, State::Fit, None, None).expect("fit");
        reg.advance(&w, id, State::FeePaid, None, Some(0)).expect("fee");
        reg.advance(&w, id, State::Contracted, None, None).expect("contracted");
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
        reg.advance(&w, 1, State::Cancelled, Some("契約違反"), None).expect("cancel");
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
        assert!(reg.advance(&later, early, State::Fit, None, None).is_err());
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
        let mut seen = vec![State::Received, State::Reviewed]; // review has its own command
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
}
