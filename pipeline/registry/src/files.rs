//! Personal-information files: 個人情報ファイル簿 entries (法75, items of 法74条1項), whether each
//! is open to proposals (法110) with the three conditions of 法60条3項, and the rule files
//! allowed for its releases.

use crate::check::bad_text;
use crate::refuse;
use crate::{Registry, RegistryError, Who};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A ファイル簿 entry, as written in an entry file (TOML) and stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// 個人情報ファイルの名称.
    pub name: String,
    /// 担当する組織 (the unit in charge).
    pub unit: String,
    /// 利用目的.
    pub purpose: String,
    /// 記録項目 (items recorded).
    pub items: Vec<String>,
    /// 記録範囲 (range of people recorded).
    pub people_range: String,
    /// 収集方法 (how the information is collected).
    pub collection_method: String,
    /// Whether 要配慮個人情報 is recorded.
    pub sensitive: bool,
    /// Whether 条例要配慮個人情報 is recorded (municipalities).
    #[serde(default)]
    pub ordinance_sensitive: bool,
    /// 経常的提供先 (regular recipients).
    #[serde(default)]
    pub regular_recipients: Vec<String>,
    /// The office that receives disclosure, correction and suspension requests.
    pub request_office: String,
    /// Special procedures under other laws, if any.
    #[serde(default)]
    pub other_law_procedures: Option<String>,
    /// `computer` (電算処理ファイル) or `manual` (マニュアル処理ファイル).
    pub kind: FileKind,
    /// Number of people recorded (from a count of the file).
    pub people: i64,
    /// 法60条3項1号: the entry is published in the ファイル簿 (not withheld under 法75条2項/3項).
    #[serde(default)]
    pub published: bool,
    /// 法60条3項2号: a disclosure request for the file would be granted at least in part.
    #[serde(default)]
    pub disclosable: bool,
    /// 法60条3項3号: anonymised data can be made from it without hindering the body's work.
    #[serde(default)]
    pub processable: bool,
    /// 法110: open to proposals (shown in the ファイル簿 as a file proposals may name).
    #[serde(default)]
    pub open_to_proposals: bool,
    /// 法110条2号 and 法117条2号: the office (name and address) that receives proposals for the
    /// file and for the anonymised data made from it. Required when the file is open to proposals.
    #[serde(default)]
    pub proposal_office: Option<String>,
    /// 法117条3号: the days, from the creation of anonymised data from the file, during which
    /// 法118 proposals for them may be made (default [`DEFAULT_REUSE_DAYS`]).
    #[serde(default)]
    pub reuse_period_days: Option<i64>,
}

/// People from which a file has a ファイル簿 entry under the statute (法74条2項9号, 法75) and so
/// may be open to proposals (法60条3項1号); an ordinance's ledger of smaller files (法75条5項) does
/// not make them eligible. Fixed by the statute, not by the profile.
pub const ELIGIBLE_PEOPLE: i64 = 1_000;

/// Days from a release's creation during which 法118 proposals for it may be made, when the
/// file's entry sets none (the tool's default; docs/registry.md).
pub const DEFAULT_REUSE_DAYS: i64 = 365;

/// How a file is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// 電算処理ファイル.
    Computer,
    /// マニュアル処理ファイル.
    Manual,
}

impl FileKind {
    fn as_str(self) -> &'static str {
        match self {
            FileKind::Computer => "computer",
            FileKind::Manual => "manual",
        }
    }
}

/// A stored file with its id, the rule files allowed for it and the anonymised data made from
/// it (法117).
#[derive(Debug, Clone, Serialize)]
pub struct StoredFile {
    /// Registry id.
    pub id: i64,
    /// The entry.
    #[serde(flatten)]
    pub entry: FileEntry,
    /// Rule files allowed for its releases.
    pub rules: Vec<FileRules>,
    /// Anonymised data made from it (法117 register items).
    pub created_anonymised: Vec<serde_json::Value>,
    /// When it was added.
    pub added: String,
}

/// A rule file allowed for a file's releases, by content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileRules {
    /// The path given when it was allowed.
    pub path: String,
    /// SHA-256 of its content: a changed file is a different rule file.
    pub sha256: String,
}

/// Read a small regular file (an entry, profile, proposal or review file) as text.
pub(crate) fn read_small(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read ({})", e.kind()))?;
    if !meta.is_file() {
        return Err("is not a regular file".into());
    }
    if meta.len() > 1 << 20 {
        return Err("is larger than 1 MiB".into());
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read ({})", e.kind()))
}

/// A TOML error with its line and column.
pub(crate) fn toml_message(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("{line}:{col}: {}", e.message())
        }
        None => e.message().to_string(),
    }
}

impl FileEntry {
    /// Read an entry file (TOML).
    pub fn load(path: &Path) -> Result<FileEntry, RegistryError> {
        let err = |message: String| RegistryError::Entry { path: path.to_path_buf(), message };
        let text = read_small(path).map_err(err)?;
        toml::from_str(&text).map_err(|e| err(toml_message(&text, &e)))
    }

    /// Refuse an entry the law rules out for this keeper.
    fn check(&self, profile: &crate::Profile) -> Result<(), RegistryError> {
        let deny = |kind: fn(String) -> RegistryError, m: String| Err(kind(format!("file `{}`: {m}", self.name)));
        for (field, v) in [
            ("name", &self.name),
            ("unit", &self.unit),
            ("purpose", &self.purpose),
            ("people_range", &self.people_range),
            ("collection_method", &self.collection_method),
            ("request_office", &self.request_office),
        ] {
            if v.trim().is_empty() {
                return deny(refuse::value, format!("`{field}` is empty"));
            }
        }
        if let Some(bad) = bad_text(&self.name) {
            return deny(refuse::value, format!("`name` {bad}"));
        }
        if self.items.is_empty() || self.items.iter().any(|i| i.trim().is_empty()) {
            return deny(refuse::value, "`items` must list every item recorded, none empty".into());
        }
        if self.people < 0 {
            return deny(refuse::value, "`people` cannot be negative".into());
        }
        if let Some(o) = &self.proposal_office {
            crate::check::text("proposal_office", o)
                .map_err(|e| refuse::within(&format!("file `{}`", self.name), e))?;
        }
        if let Some(d) = self.reuse_period_days
            && !(1..=36_500).contains(&d)
        {
            return deny(refuse::value, "`reuse_period_days` must be between 1 and 36500".into());
        }
        if self.open_to_proposals {
            if profile.actor != crate::Actor::PublicBody {
                return deny(
                    refuse::law,
                    format!(
                        "only a public body (行政機関等) opens files to proposals for 行政機関等匿名加工情報; this registry's actor is {}",
                        profile.actor.label()
                    ),
                );
            }
            for (ok, item, what) in [
                (self.published, 1, "its ファイル簿 entry is published (`published = true`)"),
                (
                    self.disclosable,
                    2,
                    "a disclosure request for it would be granted at least in part (`disclosable = true`)",
                ),
                (
                    self.processable,
                    3,
                    "anonymised data can be made without hindering the body's work (`processable = true`)",
                ),
            ] {
                if !ok {
                    return deny(
                        refuse::law,
                        format!("cannot be open to proposals: 法60条3項{item}号 requires that {what}"),
                    );
                }
            }
            if self.proposal_office.as_deref().is_none_or(|o| o.trim().is_empty()) {
                return deny(refuse::law,
                    "is open to proposals: its ファイル簿 entry names the office (name and address) that receives them (法110条2号): set `proposal_office`".into(),
                );
            }
        }
        Ok(())
    }

    /// What the officer should know about the entry (never a refusal): a file of fewer than
    /// 1,000 people opened to proposals has no statutory ファイル簿 entry (法74条2項9号) and no
    /// proposal for it can meet 法114条1項2号.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.open_to_proposals && self.people < ELIGIBLE_PEOPLE {
            out.push(format!(
                "file `{}` is open to proposals but records {} people, fewer than {ELIGIBLE_PEOPLE}: a file that small has no ファイル簿 entry under the statute (法74条2項9号, 法75; an ordinance's ledger does not count), so it does not meet 法60条3項1号, and no proposal for it can meet 法114条1項2号 (at least {ELIGIBLE_PEOPLE} people)",
                self.name, self.people
            ));
        }
        out
    }

    /// The period for 法118 proposals (法117条3号), in days from creation.
    pub fn reuse_days(&self) -> i64 {
        self.reuse_period_days.unwrap_or(DEFAULT_REUSE_DAYS)
    }
}

impl Registry {
    /// Add a ファイル簿 entry, with the rule files allowed for it (path and content hash).
    pub fn add_file(&mut self, who: &Who, entry: &FileEntry, rules: &[FileRules]) -> Result<i64, RegistryError> {
        let profile = self.profile()?;
        entry.check(&profile)?;
        if self.file(&entry.name)?.is_some() {
            return Err(refuse::duplicate(format!("file `{}` is already registered", entry.name)));
        }
        let name = entry.name.clone();
        self.change(who, "file-add", &name, |tx| {
            tx.execute(
                "INSERT INTO files (name, body, unit, purpose, items, people_range, collection_method, sensitive,
                    ordinance_sensitive, regular_recipients, request_office, other_law_procedures, kind, people,
                    published, disclosable, processable, open_to_proposals, created_anonymised, added,
                    proposal_office, reuse_period_days)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, '[]', ?19, ?20, ?21)",
                params![
                    entry.name,
                    profile.body,
                    entry.unit,
                    entry.purpose,
                    serde_json::to_string(&entry.items).unwrap_or_default(),
                    entry.people_range,
                    entry.collection_method,
                    entry.sensitive,
                    entry.ordinance_sensitive,
                    serde_json::to_string(&entry.regular_recipients).unwrap_or_default(),
                    entry.request_office,
                    entry.other_law_procedures,
                    entry.kind.as_str(),
                    entry.people,
                    entry.published,
                    entry.disclosable,
                    entry.processable,
                    entry.open_to_proposals,
                    who.time,
                    entry.proposal_office.as_deref().map(str::trim),
                    entry.reuse_period_days,
                ],
            )
            .map_err(|e| refuse::storage(format!("file `{}`: {e}", entry.name)))?;
            let id = tx.last_insert_rowid();
            let mut touched = vec![("files", id.to_string())];
            for r in rules {
                tx.execute(
                    "INSERT OR IGNORE INTO file_rules (file_id, rules_path, rules_sha256, added) VALUES (?1, ?2, ?3, ?4)",
                    params![id, r.path, r.sha256, who.time],
                )
                .map_err(|e| refuse::storage(format!("file `{}`: rules {}: {e}", entry.name, r.path)))?;
                touched.push(("file_rules", format!("{id}/{}", r.sha256)));
            }
            Ok((id, touched))
        })
    }

    /// Allow one more rule file for a registered file's releases. Refused while a correction in
    /// force for the file has a value those rules could not read as its column's type.
    pub fn allow_rules(&mut self, who: &Who, file: &str, rules: &FileRules) -> Result<(), RegistryError> {
        let stored = self.file(file)?.ok_or_else(|| refuse::not_found(format!("no file `{file}` is registered")))?;
        if stored.rules.iter().any(|r| r.sha256 == rules.sha256) {
            return Err(refuse::duplicate(format!("file `{file}`: these rules ({}) are already allowed", rules.path)));
        }
        self.corrections_fit(file, rules)?;
        self.change(who, "file-allow-rules", file, |tx| {
            tx.execute(
                "INSERT INTO file_rules (file_id, rules_path, rules_sha256, added) VALUES (?1, ?2, ?3, ?4)",
                params![stored.id, rules.path, rules.sha256, who.time],
            )
            .map_err(|e| refuse::storage(format!("file `{file}`: {e}")))?;
            Ok(((), vec![("file_rules", format!("{}/{}", stored.id, rules.sha256))]))
        })
    }

    /// Set the office receiving proposals for a registered file (法110条2号, 法117条2号) and, if
    /// given, the days during which 法118 proposals for anonymised data made from it may be made
    /// (法117条3号). One audited change; the file's entry is otherwise unchanged.
    pub fn set_proposals(
        &mut self,
        who: &Who,
        file: &str,
        office: &str,
        reuse_period_days: Option<i64>,
    ) -> Result<(), RegistryError> {
        let stored = self.file(file)?.ok_or_else(|| refuse::not_found(format!("no file `{file}` is registered")))?;
        let mut entry = stored.entry.clone();
        entry.proposal_office = Some(office.trim().to_string());
        if reuse_period_days.is_some() {
            entry.reuse_period_days = reuse_period_days;
        }
        entry.check(&self.profile()?)?;
        if entry.proposal_office.as_deref().is_none_or(str::is_empty) {
            return Err(refuse::value(format!("file `{file}`: --office is empty")));
        }
        self.change(who, "file-set-proposals", file, |tx| {
            tx.execute(
                "UPDATE files SET proposal_office = ?1, reuse_period_days = ?2 WHERE id = ?3",
                params![entry.proposal_office, entry.reuse_period_days, stored.id],
            )
            .map_err(|e| refuse::storage(format!("file `{file}`: {e}")))?;
            Ok(((), vec![("files", stored.id.to_string())]))
        })
    }

    /// A registered file by name.
    pub fn file(&self, name: &str) -> Result<Option<StoredFile>, RegistryError> {
        let id: Option<i64> = self
            .conn
            .query_row("SELECT id FROM files WHERE name = ?1", [name], |r| r.get(0))
            .optional()
            .map_err(|e| self.db(e))?;
        match id {
            Some(id) => self.file_by_id(id).map(Some),
            None => Ok(None),
        }
    }

    /// Every registered file, by name.
    pub fn files(&self) -> Result<Vec<StoredFile>, RegistryError> {
        let mut stmt = self.conn.prepare("SELECT id FROM files ORDER BY name").map_err(|e| self.db(e))?;
        let ids: Vec<i64> = stmt
            .query_map([], |r| r.get(0))
            .map_err(|e| self.db(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.db(e))?;
        ids.into_iter().map(|id| self.file_by_id(id)).collect()
    }

    fn file_by_id(&self, id: i64) -> Result<StoredFile, RegistryError> {
        let json = |s: String| serde_json::from_str::<serde_json::Value>(&s).unwrap_or(serde_json::Value::Null);
        let strings = |v: serde_json::Value| -> Vec<String> {
            v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect()).unwrap_or_default()
        };
        let (entry, created, added) = self
            .conn
            .query_row(
                "SELECT name, unit, purpose, items, people_range, collection_method, sensitive, ordinance_sensitive,
                    regular_recipients, request_office, other_law_procedures, kind, people, published, disclosable,
                    processable, open_to_proposals, created_anonymised, added, proposal_office, reuse_period_days
                 FROM files WHERE id = ?1",
                [id],
                |r| {
                    let kind: String = r.get(11)?;
                    Ok((
                        FileEntry {
                            name: r.get(0)?,
                            unit: r.get(1)?,
                            purpose: r.get(2)?,
                            items: strings(json(r.get(3)?)),
                            people_range: r.get(4)?,
                            collection_method: r.get(5)?,
                            sensitive: r.get(6)?,
                            ordinance_sensitive: r.get(7)?,
                            regular_recipients: strings(json(r.get(8)?)),
                            request_office: r.get(9)?,
                            other_law_procedures: r.get(10)?,
                            kind: if kind == "manual" { FileKind::Manual } else { FileKind::Computer },
                            people: r.get(12)?,
                            published: r.get(13)?,
                            disclosable: r.get(14)?,
                            processable: r.get(15)?,
                            open_to_proposals: r.get(16)?,
                            proposal_office: r.get(19)?,
                            reuse_period_days: r.get(20)?,
                        },
                        json(r.get(17)?),
                        r.get::<_, String>(18)?,
                    ))
                },
            )
            .map_err(|e| self.db(e))?;
        let mut stmt = self
            .conn
            .prepare("SELECT rules_path, rules_sha256 FROM file_rules WHERE file_id = ?1 ORDER BY added, rules_path")
            .map_err(|e| self.db(e))?;
        let rules = stmt
            .query_map([id], |r| Ok(FileRules { path: r.get(0)?, sha256: r.get(1)? }))
            .map_err(|e| self.db(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.db(e))?;
        Ok(StoredFile { id, entry, rules, created_anonymised: created.as_array().cloned().unwrap_or_default(), added })
    }
}
