//! `tokumei registry init|status|export|verify` and `tokumei file add|allow-rules|show|list`.

use crate::job::Clock;
use crate::{Failure, fail};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use tokumei_engine::ExitCode;
use tokumei_registry::{FileEntry, FileRules, Profile, Registry, RegistryError, StoredFile, Who};

/// Which registry a command uses.
#[derive(clap::Args)]
pub struct RegistryArg {
    /// Registry file (SQLite).
    #[arg(long = "registry", env = "TOKUMEI_REGISTRY", default_value = "reports/registry.sqlite")]
    pub path: PathBuf,
}

/// The registry a reading command uses, and how it prints.
#[derive(clap::Args)]
pub struct ViewArgs {
    #[command(flatten)]
    pub(crate) registry: RegistryArg,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The registry a change goes to, and who makes it.
#[derive(clap::Args)]
pub struct ChangeArgs {
    #[command(flatten)]
    pub(crate) registry: RegistryArg,
    /// Operator recorded in the audit log.
    #[arg(long, env = "TOKUMEI_OPERATOR")]
    pub(crate) operator: Option<String>,
}

/// Registry commands.
#[derive(Subcommand)]
pub enum RegistryCommand {
    /// Create the registry (owner-only, never over an existing file) with the municipality's
    /// profile; its changes go to the audit log named here.
    Init {
        #[command(flatten)]
        registry: RegistryArg,
        /// Profile (TOML): body, actor, body_kind and the ordinance's parameters (docs/registry.md).
        #[arg(long)]
        profile: PathBuf,
        /// Audit log the registry's changes go to (default: audit.log beside the registry).
        #[arg(long)]
        audit_log: Option<PathBuf>,
        /// Operator recorded in the audit log.
        #[arg(long, env = "TOKUMEI_OPERATOR")]
        operator: Option<String>,
    },
    /// Schema version, rows per table, the last change.
    Status {
        #[command(flatten)]
        view: ViewArgs,
    },
    /// Every row of every table as JSON Lines, for the officer's records.
    Export {
        #[command(flatten)]
        registry: RegistryArg,
        /// File to write (never overwritten; default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Remove the records of contracts whose retention period (the profile's `retention_years`
    /// from their final step) has ended, each removal audited.
    PurgeExpired {
        #[command(flatten)]
        registry: RegistryArg,
        /// List what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Operator recorded in the audit log.
        #[arg(long, env = "TOKUMEI_OPERATOR")]
        operator: Option<String>,
    },
    /// Check the registry against itself and its audit log: rows edited outside tokumei, changes
    /// without their audit entry, audit entries whose change is missing.
    Verify {
        #[command(flatten)]
        registry: RegistryArg,
    },
    /// Accept, with its reason, a registry that fails its check (restored from a backup older
    /// than its audit log, rows edited outside tokumei that an officer reviewed): one audited
    /// change that records every row as it is now and every problem it accepts. Until then
    /// nothing acts on the registry (exit 9).
    Reset {
        #[command(flatten)]
        registry: RegistryArg,
        /// Why (what happened, what was checked, who decided): recorded in the audit log.
        #[arg(long)]
        reason: String,
        /// For a registry that is gone: the audit log that records it (default: `audit.log`
        /// beside where the registry was).
        #[arg(long)]
        audit_log: Option<PathBuf>,
        /// Operator recorded in the audit log.
        #[arg(long, env = "TOKUMEI_OPERATOR")]
        operator: Option<String>,
    },
}

/// Personal-information file commands.
#[derive(Subcommand)]
pub enum FileCommand {
    /// Register a 個人情報ファイル簿 entry from an entry file (TOML), with the rule files allowed for
    /// its releases.
    Add {
        /// Entry file (TOML; docs/registry.md lists the fields).
        entry: PathBuf,
        /// A rule file allowed for this file's releases (by content). Repeatable.
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Allow one more rule file for a registered file's releases.
    AllowRules {
        /// The file's name.
        name: String,
        /// The rule file.
        #[arg(long = "rules")]
        rules: PathBuf,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Show one registered file.
    Show {
        /// The file's name.
        name: String,
        #[command(flatten)]
        view: ViewArgs,
    },
    /// Record where a registered file's records are kept (a CSV or Parquet extract) and which
    /// column holds the subject identifier: disclosure requests search it. Repeatable per file.
    AddSource {
        /// The file's name.
        name: String,
        /// The extract.
        #[arg(long)]
        input: PathBuf,
        /// Its encoding (CSV; any case, `utf8`, `shift_jis` and `sjis` too; recorded as
        /// auto, utf-8 or cp932).
        #[arg(long, value_enum, ignore_case = true, default_value = "auto")]
        encoding: crate::args::EncodingArg,
        /// The column holding the subject identifier (e.g. 宛名番号; never 個人番号).
        #[arg(long)]
        subject_column: String,
        /// The column holding the name (to find a person by name and date of birth).
        #[arg(long)]
        name_column: Option<String>,
        /// The column holding the date of birth.
        #[arg(long)]
        birth_column: Option<String>,
        /// A column of a person's record holding other people's information (e.g. 世帯主氏名):
        /// withheld from disclosure drafts until the officer releases it. Repeatable.
        #[arg(long = "others-column")]
        others_columns: Vec<String>,
        /// Confirm that a subject column named otherwise holds the profile's subject identifier
        /// (宛名番号 by default).
        #[arg(long)]
        holds_subject_identifier: bool,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// List the registered files.
    List {
        #[command(flatten)]
        view: ViewArgs,
    },
    /// Set the office (name and address) that receives proposals for a file (法110条2号) and for
    /// the anonymised data made from it (法117条2号), and the days from creation during which
    /// 法118 proposals for those data may be made (法117条3号).
    SetProposals {
        /// The file's name.
        name: String,
        /// The office receiving proposals: its name and address.
        #[arg(long)]
        office: String,
        /// Days from the creation of anonymised data during which 法118 proposals may be made
        /// (default 365).
        #[arg(long)]
        reuse_period_days: Option<i64>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Write the publishable 個人情報ファイル簿 (法75): the items of 法74条1項, 法110 and 法117 of
    /// every file whose entry is published, as `file-book.html` and `file-book.csv` in a folder
    /// (never overwritten).
    Book {
        /// The folder to write to (made if missing).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        registry: RegistryArg,
    },
}

pub(crate) fn reg_fail(e: RegistryError) -> Failure {
    let code = match &e {
        RegistryError::Audit(_) => ExitCode::Audit,
        RegistryError::Entry { .. } => ExitCode::Config,
        _ => ExitCode::Registry,
    };
    fail(code, e.into())
}

/// Who makes a registry change, and when: the run clock (`TOKUMEI_NOW` when set, so a test clock
/// sets the journal times too).
pub(crate) fn who(operator: Option<String>) -> Result<Who, Failure> {
    Ok(Clock::now()?.who(crate::operator(operator)))
}

/// Today (YYYY-MM-DD) by the run clock (`TOKUMEI_NOW` in tests), as a date in Japan.
pub(crate) fn today() -> Result<String, Failure> {
    Ok(Clock::now()?.today_in_japan()?)
}

/// A contract state in Japanese (the record's words; the registry keeps its own).
fn state_ja(state: &str) -> String {
    match state {
        "received" => "提案受付",
        "corrections_requested" => "補正依頼",
        "reviewed" => "審査済み",
        "fit" => "適合の通知",
        "not_fit" => "不適合の通知",
        "fee_paid" => "手数料納付",
        "contracted" => "契約締結",
        "created" => "作成",
        "provided" => "提供",
        "register_updated" => "ファイル簿更新",
        "use_ended" => "利用終了",
        "closed" => "完了",
        "change_of_use" => "利用の変更",
        "cancelled" => "契約解除",
        "withdrawn" => "取下げ",
        "-" => "-",
        other => return format!("その他の状態（{other}）"),
    }
    .to_string()
}

/// A release's status in Japanese.
fn release_status_ja(status: &str) -> String {
    match status {
        "publishing" => "公開処理中",
        "published" => "作成済み",
        "abandoned" => "中断（未公開）",
        other => return format!("その他の状態（{other}）"),
    }
    .to_string()
}

/// The numbers in `text`, in order.
fn numbers(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_digit()).filter(|n| !n.is_empty()).map(String::from).collect()
}

/// The item and evidence of a check the registry computed, in Japanese (the reviewer's own
/// checks are the reviewer's words).
fn check_ja(item: &str, evidence: &str) -> (String, String) {
    let n = numbers(evidence);
    match item {
        "法114条1項1号 (法113条5号, 法120: no cancellation within 2 years)" => (
            "法114条1項1号（法113条5号: 法120条により契約を解除されて2年を経過しない者でないこと）".into(),
            match evidence.strip_prefix("a contract of the business was cancelled: ") {
                Some(why) => format!("当該事業者の契約が解除されている（{}）", barred_ja(why)),
                None => "過去2年以内に解除された当該事業者の契約は登録簿にない（名称の表記違い・法人番号による同一事業者を含む）".into(),
            },
        ),
        "法114条1項2号 (people: at least the Rules' minimum, at most the file's)" => (
            "法114条1項2号（提案に係る本人の数が規則の下限以上かつファイルの記録人数以下）".into(),
            match n.as_slice() {
                [asked, min, file] => format!("提案の本人の数 {asked}人、規則の下限 {min}人、ファイルの記録人数 {file}人"),
                _ => evidence.to_string(),
            },
        ),
        "法114条1項5号 (use period within the body's maximum)" => (
            "法114条1項5号（利用期間が本市の定める上限以内）".into(),
            match n.as_slice() {
                [asked, max] => format!("提案の利用期間 {asked}日、上限 {max}日"),
                _ => evidence.to_string(),
            },
        ),
        // The words of registries made before the review items followed the statute's numbering.
        "法113条 (法120: no cancellation within 2 years)" => (
            "法113条（法120条により契約を解除されて2年を経過しない者でないこと）".into(),
            match evidence.strip_prefix("a contract of the business was cancelled: ") {
                Some(why) => format!("当該事業者の契約が解除されている（{}）", barred_ja(why)),
                None => "過去2年以内に解除された当該事業者の契約は登録簿にない（名称の表記違い・法人番号による同一事業者を含む）".into(),
            },
        ),
        "法114条1項 (people within the rule minimum and the file)" => (
            "法114条1項（提案に係る本人の数が規則の下限以上かつファイルの記録人数以下）".into(),
            match n.as_slice() {
                [asked, min, file] => format!("提案の本人の数 {asked}人、規則の下限 {min}人、ファイルの記録人数 {file}人"),
                _ => evidence.to_string(),
            },
        ),
        "法114条1項 (use period within the rule maximum)" => (
            "法114条1項（利用期間が規則の上限以内）".into(),
            match n.as_slice() {
                [asked, max] => format!("提案の利用期間 {asked}日、上限 {max}日"),
                _ => evidence.to_string(),
            },
        ),
        _ => (item.to_string(), evidence.to_string()),
    }
}

/// A bar (法120) as the registry words it, in Japanese.
fn barred_ja(why: &str) -> String {
    // `recipient `NAME` (id N) is barred until DATE (法120: ...)`
    match (why.split_once(" is barred until "), why.find('`'), why.rfind('`')) {
        (Some((_, rest)), Some(a), Some(b)) if b > a => {
            let until = rest.split(' ').next().unwrap_or_default();
            format!("提供先「{}」は{until}まで提案できない（法120条による解除）", &why[a + 1..b])
        }
        _ => "法120条による解除".into(),
    }
}

/// A transition's note as the registry words it, in Japanese (an officer's own note as it is).
fn note_ja(note: &str) -> String {
    if let Some(rest) = note.strip_prefix("reviewed by ") {
        return match rest.rsplit_once(": ") {
            Some((who, "every check met")) => format!("審査者 {who}：全ての項目に適合"),
            Some((who, _)) => format!("審査者 {who}：適合しない項目あり"),
            None => format!("審査者 {rest}"),
        };
    }
    // The notes of proposals answering a call and of a contractor's change of business.
    if let Some(call) = note.strip_prefix("in response to call ").and_then(|r| r.strip_suffix(" (法111)")) {
        return format!("提案の募集 {call} に応じた提案（法111条）");
    }
    if let Some(id) =
        note.strip_prefix("change of business proposed: contract ").and_then(|r| r.strip_suffix(" (法118条1項後段)"))
    {
        return format!("事業の変更の提案（契約 {id}、法118条1項後段）");
    }
    if let Some(id) = note
        .strip_prefix("the business changed: the data are used under contract ")
        .and_then(|r| r.strip_suffix(" from now on (法118条1項後段)"))
    {
        return format!("事業の変更により、以後は契約 {id} により利用（法118条1項後段）");
    }
    if let Some(rest) = note.strip_prefix("the change of business (contract ") {
        if let Some(id) = rest.strip_suffix(") was notified not fit: the contract continues as before") {
            return format!("事業の変更の提案（契約 {id}）は不適合と通知された：従前の契約が継続");
        }
        if let Some(id) = rest.strip_suffix(") was withdrawn: the contract continues as before") {
            return format!("事業の変更の提案（契約 {id}）は取り下げられた：従前の契約が継続");
        }
    }
    if let Some(rest) = note.strip_prefix("release ") {
        // `release ID on DAY (MEDIUM; receipt RECEIPT)`, or `release ID`.
        return match rest.split_once(" on ") {
            Some((id, rest)) => match rest.split_once(" (").and_then(|(day, r)| Some((day, r.strip_suffix(')')?))) {
                Some((day, inner)) => match inner.rsplit_once("; receipt ") {
                    Some((medium, receipt)) => format!("リリース {id} を {day} に{medium}で提供（受領 {receipt}）"),
                    None => format!("リリース {id} を {day} に提供（{inner}）"),
                },
                None => format!("リリース {id}（{rest}）"),
            },
            None => format!("リリース {rest}"),
        };
    }
    note.to_string()
}

/// A contract's record as a Japanese Markdown document (提供記録): every word the tool adds is
/// Japanese (states, statuses, the checks it computed, its notes); what people wrote is theirs.
fn record_markdown(rec: &serde_json::Value) -> String {
    let c = &rec["contract"];
    let s = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".into(),
        other => other.to_string(),
    };
    let mut out = String::new();
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    line(format!("# 行政機関等匿名加工情報の提供記録（契約 {}）", s(&c["id"])));
    line(String::new());
    line(format!("- 作成・提供者: {}（{}）", s(&rec["body"]), s(&rec["actor"])));
    line(format!(
        "- 提供先: {}（代表者 {}、{}、連絡先 {}）",
        s(&c["recipient"]),
        s(&rec["recipient"]["representative"]),
        s(&rec["recipient"]["address"]),
        s(&rec["recipient"]["contact"])
    ));
    line(format!("- 提案の種別: {}", s(&rec["kind"])));
    if !rec["call"].is_null() {
        line(format!(
            "- 提案の募集（法111条）: 募集 {}（{} ～ {}）",
            s(&rec["call"]["id"]),
            s(&rec["call"]["open_from"]),
            s(&rec["call"]["open_until"])
        ));
    }
    if !c["parent_id"].is_null() {
        line(format!("- 元の契約: {}", s(&c["parent_id"])));
    }
    line(format!("- 個人情報ファイル: {}", s(&c["file"])));
    line(format!("- 状態: {}", state_ja(&s(&c["state"]))));
    line(format!("- 本人の数: {}", s(&c["proposal"]["people"])));
    line(format!("- 利用目的: {}", s(&c["proposal"]["purpose"])));
    line(format!("- 加工の方法: {}", s(&c["proposal"]["method"])));
    line(format!("- 利用期間: {} ～ {}", s(&c["proposal"]["use_from"]), s(&c["proposal"]["use_until"])));
    line(format!("- 安全管理措置: {}", s(&c["proposal"]["safety_measures"])));
    line(format!("- 手数料: {} 円（{}）", s(&c["fee_yen"]), fee_words(Some(&c["fee_basis"]).filter(|b| !b.is_null()))));
    line(format!("- 保存期間: {} 年", s(&rec["retention_years"])));
    line(String::new());
    line("## 提供する項目と粒度".into());
    line(String::new());
    for col in c["proposal"]["column"].as_array().into_iter().flatten() {
        line(format!("- {}: {}", s(&col["name"]), s(&col["granularity"])));
    }
    line(String::new());
    line("## 審査".into());
    line(String::new());
    line(format!("審査者: {}", s(&c["review"]["reviewer"])));
    line(String::new());
    for ch in c["review"]["checks"].as_array().into_iter().flatten() {
        let ok = if ch["ok"].as_bool() == Some(true) { "適合" } else { "不適合" };
        let (item, evidence) = check_ja(&s(&ch["item"]), &s(&ch["evidence"]));
        line(format!("- {item} — {ok}: {evidence}"));
    }
    if !c["notice"].is_null() {
        line(String::new());
        let decision = match s(&c["notice"]["decision"]).as_str() {
            "fit" => "適合".to_string(),
            "not_fit" => "不適合".to_string(),
            other => other.to_string(),
        };
        line(format!("通知: {decision}（{}）", s(&c["notice"]["article"])));
    }
    line(String::new());
    line("## 経過".into());
    line(String::new());
    for t in c["history"].as_array().into_iter().flatten() {
        let note = if t["note"].is_null() { String::new() } else { format!(" — {}", note_ja(&s(&t["note"]))) };
        line(format!(
            "- {} {} → {}（{}）{note}",
            s(&t["time"]),
            state_ja(&s(&t["from"])),
            state_ja(&s(&t["to"])),
            s(&t["operator"])
        ));
    }
    line(String::new());
    line("## 作成した匿名加工情報と提供".into());
    line(String::new());
    for r in rec["releases"].as_array().into_iter().flatten() {
        line(format!(
            "- {}（{}）: {} 行、k = {}、監査記録 {}",
            s(&r["release_id"]),
            release_status_ja(&s(&r["status"])),
            s(&r["rows"]),
            s(&r["k_achieved"]),
            s(&r["audit_seq"])
        ));
    }
    for p in rec["provisions"].as_array().into_iter().flatten() {
        line(format!(
            "- 提供 {}: {} を {} で提供、受領 {}（記録者 {}）",
            s(&p["date"]),
            s(&p["release_id"]),
            s(&p["medium"]),
            s(&p["receipt"]),
            s(&p["operator"])
        ));
    }
    out
}

/// What a fee was computed from, in words (法119).
fn fee_words(basis: Option<&serde_json::Value>) -> String {
    let Some(b) = basis else { return "-".into() };
    let n = |k: &str| b[k].as_i64().unwrap_or(0);
    match b["article"].as_str() {
        Some("法119条3項") => format!(
            "法119条3項: {} + {} × {} 時間（{} 時間の作業、1時間未満の端数は1時間） + 委託費 {}",
            n("base_yen"),
            n("per_hour_yen"),
            n("hours_billed"),
            b["hours"],
            n("contractor_cost_yen")
        ),
        Some("法119条4項") => format!(
            "法119条4項: {}（{}）",
            n("amount_yen"),
            if b["source"] == "profile" { "条例の額（プロファイル）" } else { "条例の額（入力）" }
        ),
        _ => "-".into(),
    }
}

pub(crate) fn json_out(v: &impl serde::Serialize) -> Result<(), Failure> {
    say!("{}", serde_json::to_string_pretty(v).map_err(|e| fail(ExitCode::Internal, e.into()))?);
    Ok(())
}

/// Run a registry command.
pub fn registry(command: RegistryCommand) -> Result<(), Failure> {
    match command {
        RegistryCommand::Init { registry, profile, audit_log, operator } => {
            let profile = Profile::load(&profile).map_err(reg_fail)?;
            let log = audit_log.unwrap_or_else(|| tokumei_audit::sys::parent_of(&registry.path).join("audit.log"));
            // Stored absolute: later commands may run from another folder.
            let log = std::path::absolute(&log).map_err(|e| fail(ExitCode::Usage, e.into()))?;
            let who = who(operator)?;
            let reg = Registry::create(&registry.path, &profile, &log, &who).map_err(reg_fail)?;
            say!(
                "created registry {} for {} ({}); its changes are audited in {}",
                reg.path().display(),
                profile.body,
                profile.actor.label(),
                log.display()
            );
            Ok(())
        }
        RegistryCommand::Status { view: ViewArgs { registry, json } } => {
            let reg = Registry::open_unproved(&registry.path).map_err(reg_fail)?;
            let status = reg.status().map_err(reg_fail)?;
            let profile = reg.profile().map_err(reg_fail)?;
            // Accepted erasures whose internal copies are not all destroyed (read as the file is:
            // `status` shows a registry that fails its proof too).
            let erasures = reg.erasures_to_do().map_err(reg_fail)?;
            let mut warnings = request_warnings(&reg)?;
            // 法111, 規則53: a body for which calls are mandatory calls every fiscal year.
            warnings.extend(reg.call_warnings(&today()?).map_err(reg_fail)?);
            for f in reg.files().map_err(reg_fail)? {
                warnings.extend(f.entry.warnings());
            }
            if json {
                return json_out(&serde_json::json!({
                    "status": status, "profile": profile, "erasures_to_do": erasures, "warnings": warnings
                }));
            }
            say!("registry        {}", status.path);
            say!("schema version  {}", status.schema_version);
            say!("body            {} ({}, {})", profile.body, profile.actor.label(), profile.body_kind.as_str());
            say!(
                "proposals       {}",
                if profile.proposals_mandatory() { "calls mandatory (at least yearly)" } else { "calls optional" }
            );
            say!("audit log       {}", status.audit_log);
            for (table, n) in &status.tables {
                say!("  {table:<14}{n:>8} rows");
            }
            if let Some(c) = &status.last_change {
                say!(
                    "last change     #{} {} `{}` by {} at {} (audit entry {})",
                    c.id,
                    c.action,
                    c.subject,
                    c.operator,
                    c.time,
                    c.audit_seq.unwrap_or(0)
                );
            }
            let today = today()?;
            for t in &erasures {
                say!(
                    "warning: request {}: {} internal copy(ies) holding a person whose erasure or stop of use was accepted are not destroyed ({}), due {}{}",
                    t.request_id,
                    t.outstanding.len(),
                    t.outstanding.join(", "),
                    t.due,
                    if t.overdue(&today) { " OVERDUE" } else { "" }
                );
            }
            for w in &warnings {
                say!("warning: {w}");
            }
            Ok(())
        }
        RegistryCommand::Export { registry, out } => {
            let reg = Registry::open_unproved(&registry.path).map_err(reg_fail)?;
            match out {
                None => {
                    let mut buf = Vec::new();
                    reg.export(&mut buf).map_err(reg_fail)?;
                    // A closed stdout (piped into `head`) is not an error.
                    use std::io::Write as _;
                    let _ = std::io::stdout().lock().write_all(&buf);
                }
                Some(out) => {
                    let mut buf = Vec::new();
                    let n = reg.export(&mut buf).map_err(reg_fail)?;
                    let made = tokumei_audit::sys::create_new_atomic(&out, &buf).map_err(|e| {
                        fail(ExitCode::Output, anyhow::Error::new(e).context(format!("cannot write {}", out.display())))
                    })?;
                    if !made {
                        return Err(fail(
                            ExitCode::Output,
                            anyhow::anyhow!("{} exists (an export is never overwritten)", out.display()),
                        ));
                    }
                    say!("exported {n} rows to {}", out.display());
                }
            }
            Ok(())
        }
        RegistryCommand::PurgeExpired { registry, dry_run, operator } => {
            let who = who(operator)?;
            let today = today()?;
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let list = if dry_run { reg.expired(&today) } else { reg.purge_expired(&who, &today) }.map_err(reg_fail)?;
            for p in &list {
                say!(
                    "{} contract {} ({}, retained until {}) with {} release record(s)",
                    if dry_run { "would remove" } else { "removed" },
                    p.contract_id,
                    p.state,
                    p.retained_until,
                    p.releases.len()
                );
            }
            if list.is_empty() {
                say!("no record has reached the end of its retention period");
            }
            Ok(())
        }
        RegistryCommand::Reset { registry, reason, audit_log, operator } => {
            let who = who(operator)?;
            if !registry.path.exists() {
                // Gone for good: its retirement is recorded in the log beside where it was.
                let log = audit_log.unwrap_or_else(|| tokumei_audit::sys::parent_of(&registry.path).join("audit.log"));
                let ids = tokumei_registry::retire(&log, &registry.path, &who, &reason).map_err(reg_fail)?;
                say!(
                    "registry {}: recorded as gone in {} ({} registry id(s) retired); runs may run without it",
                    registry.path.display(),
                    log.display(),
                    ids.len()
                );
                return Ok(());
            }
            let mut reg = Registry::open_unproved(&registry.path).map_err(reg_fail)?;
            let accepted = reg.reset(&who, &reason).map_err(reg_fail)?;
            for p in &accepted {
                eprintln!("accepted: {p}");
            }
            say!(
                "registry {}: reset recorded in its audit log ({} problem(s) accepted); the registry is in use again",
                reg.path().display(),
                accepted.len()
            );
            Ok(())
        }
        RegistryCommand::Verify { registry } => {
            let reg = Registry::open_unproved(&registry.path).map_err(reg_fail)?;
            let problems = verify(&reg)?;
            if problems.is_empty() {
                say!("registry {}: every row and change matches the audit log", reg.path().display());
                return Ok(());
            }
            for p in &problems {
                eprintln!("problem: {p}");
            }
            Err(fail(
                ExitCode::Registry,
                anyhow::anyhow!("registry {}: {} problem(s) found", reg.path().display(), problems.len()),
            ))
        }
    }
}

/// The registry's problems against its audit log (a broken log is an audit failure).
pub fn verify(reg: &Registry) -> Result<Vec<String>, Failure> {
    reg.check_all().map_err(reg_fail)
}

fn rules_of(path: &Path) -> Result<FileRules, Failure> {
    let bad = |m: String| fail(ExitCode::Config, anyhow::anyhow!("--rules {}: {m}", path.display()));
    let meta = std::fs::metadata(path).map_err(|e| bad(format!("cannot read ({})", e.kind())))?;
    if !meta.is_file() || meta.len() > 16 << 20 {
        return Err(bad("is not a rule file (a regular file of at most 16 MiB)".into()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read ({})", e.kind())))?;
    // The digest a run records: the rule file's bytes and the hierarchy files and dictionaries it
    // names, so that allowing the rules allows exactly those files' contents.
    let sha = tokumei_rules::rules_digest(path, &text).map_err(|d| fail(ExitCode::Config, anyhow::anyhow!("{d}")))?;
    Ok(FileRules { path: path.display().to_string(), sha256: sha })
}

fn print_file(f: &StoredFile) {
    let e = &f.entry;
    let yes = |b: bool| if b { "yes" } else { "no" };
    say!("{} (#{}, added {})", e.name, f.id, f.added);
    say!("  unit                 {}", e.unit);
    say!("  purpose              {}", e.purpose);
    say!("  items                {}", e.items.join(", "));
    say!("  people recorded      {} ({})", e.people, e.people_range);
    say!("  collection           {}", e.collection_method);
    say!("  要配慮 / 条例要配慮   {} / {}", yes(e.sensitive), yes(e.ordinance_sensitive));
    say!(
        "  regular recipients   {}",
        if e.regular_recipients.is_empty() { "-".into() } else { e.regular_recipients.join(", ") }
    );
    say!("  requests to          {}", e.request_office);
    if let Some(o) = &e.other_law_procedures {
        say!("  other laws           {o}");
    }
    say!(
        "  法60条3項 1/2/3号     {} / {} / {}; open to proposals: {}",
        yes(e.published),
        yes(e.disclosable),
        yes(e.processable),
        yes(e.open_to_proposals)
    );
    if e.open_to_proposals {
        say!(
            "  proposals to         {} (法110条2号)",
            e.proposal_office.as_deref().unwrap_or("(not set: `tokumei file set-proposals`)")
        );
        say!("  法118 proposals      {} days from creation (法117条3号)", e.reuse_days());
    }
    for r in &f.rules {
        say!("  rules                {} (sha256 {})", r.path, &r.sha256[..16.min(r.sha256.len())]);
    }
    // 法117: the anonymised data made from the file, entered on creation.
    for c in &f.created_anonymised {
        let s = |k: &str| c[k].as_str().unwrap_or("-").to_string();
        let items: Vec<&str> =
            c["items"].as_array().map(|a| a.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
        say!(
            "  anonymised data      {} (contract {}, created {}): {} people{}; items {}",
            c["release"].as_str().or_else(|| c["releases"][0].as_str()).unwrap_or("-"),
            c["contract"],
            c["created"]
                .as_str()
                .map(String::from)
                .or_else(|| c["entered"].as_str().map(String::from))
                .unwrap_or_default(),
            c["people"],
            if s("people_counted_by").starts_with("rows") { " (counted as rows)" } else { "" },
            items.join(", ")
        );
        say!(
            "                       法118 proposals to {} from {} to {} (法117条2号・3号)",
            s("proposal_office"),
            s("proposals_from"),
            s("proposals_until")
        );
    }
    for w in e.warnings() {
        say!("  warning              {w}");
    }
}

/// Run a file command.
pub fn file(command: FileCommand) -> Result<(), Failure> {
    match command {
        FileCommand::Add { entry, rules, change: ChangeArgs { registry, operator } } => {
            let entry = FileEntry::load(&entry).map_err(reg_fail)?;
            let rules = rules.iter().map(|p| rules_of(p)).collect::<Result<Vec<_>, _>>()?;
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let id = reg.add_file(&who(operator)?, &entry, &rules).map_err(reg_fail)?;
            say!("registered file `{}` (#{id}) with {} allowed rule file(s)", entry.name, rules.len());
            for w in entry.warnings() {
                eprintln!("warning: {w}");
            }
            Ok(())
        }
        FileCommand::AllowRules { name, rules, change: ChangeArgs { registry, operator } } => {
            let rules = rules_of(&rules)?;
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            reg.allow_rules(&who(operator)?, &name, &rules).map_err(reg_fail)?;
            say!("file `{name}`: rules {} allowed", rules.path);
            Ok(())
        }
        FileCommand::AddSource {
            name,
            input,
            encoding,
            subject_column,
            name_column,
            birth_column,
            others_columns,
            holds_subject_identifier,
            change: ChangeArgs { registry, operator },
        } => {
            if name_column.is_some() != birth_column.is_some() {
                return Err(fail(ExitCode::Usage, anyhow::anyhow!("--name-column and --birth-column go together")));
            }
            let format = match input.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
                Some("parquet") => "parquet",
                _ => "csv",
            };
            // Stored absolute: requests are answered from any folder. The header is checked now.
            let path = std::path::absolute(&input).map_err(|e| fail(ExitCode::Usage, e.into()))?;
            let place = tokumei_engine::lookup::Place {
                path: path.clone(),
                parquet: format == "parquet",
                encoding: encoding.encoding(),
            };
            let columns: Vec<&str> = [Some(&subject_column), name_column.as_ref(), birth_column.as_ref()]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            tokumei_engine::lookup::check_columns(&place, &columns).map_err(Failure::from)?;
            let source = tokumei_registry::FileSource {
                file: name.clone(),
                path: path.display().to_string(),
                format: format.into(),
                encoding: encoding.as_str().into(),
                subject_column,
                name_column,
                birth_column,
                others_columns,
            };
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            reg.add_source(&who(operator)?, &source, holds_subject_identifier).map_err(reg_fail)?;
            say!("file `{name}`: records kept in {} ({format})", path.display());
            Ok(())
        }
        FileCommand::Show { name, view: ViewArgs { registry, json } } => {
            let reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let f = reg
                .file(&name)
                .map_err(reg_fail)?
                .ok_or_else(|| fail(ExitCode::Registry, anyhow::anyhow!("no file `{name}` is registered")))?;
            if json {
                return json_out(&f);
            }
            print_file(&f);
            for s in reg.sources().map_err(reg_fail)?.iter().filter(|s| s.file == f.entry.name) {
                say!("  records kept in      {} ({}, subject column {})", s.path, s.format, s.subject_column);
            }
            Ok(())
        }
        FileCommand::SetProposals { name, office, reuse_period_days, change: ChangeArgs { registry, operator } } => {
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            reg.set_proposals(&who(operator)?, &name, &office, reuse_period_days).map_err(reg_fail)?;
            say!("file `{name}`: proposals to {} (法110条2号, 法117条2号)", office.trim());
            Ok(())
        }
        FileCommand::Book { out, registry } => {
            let reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let book = reg.file_book(&today()?).map_err(reg_fail)?;
            let (html, csv) = (out.join("file-book.html"), out.join("file-book.csv"));
            let output = |e: anyhow::Error| fail(ExitCode::Output, e);
            for p in [&html, &csv] {
                if p.exists() {
                    return Err(output(anyhow::anyhow!(
                        "{} exists (the ファイル簿 is never overwritten)",
                        p.display()
                    )));
                }
            }
            std::fs::create_dir_all(&out)
                .map_err(|e| output(anyhow::Error::new(e).context(format!("cannot make {}", out.display()))))?;
            for (p, text) in [(&html, &book.html), (&csv, &book.csv)] {
                let made = tokumei_audit::sys::create_new_atomic(p, text.as_bytes())
                    .map_err(|e| output(anyhow::Error::new(e).context(format!("cannot write {}", p.display()))))?;
                if !made {
                    return Err(output(anyhow::anyhow!(
                        "{} exists (the ファイル簿 is never overwritten)",
                        p.display()
                    )));
                }
            }
            say!(
                "wrote the ファイル簿 of {} file(s) to {} and {}{}",
                book.files,
                html.display(),
                csv.display(),
                if book.withheld > 0 {
                    format!(" ({} file(s) whose entry is withheld under 法75条3項 left out)", book.withheld)
                } else {
                    String::new()
                }
            );
            Ok(())
        }
        FileCommand::List { view: ViewArgs { registry, json } } => {
            let reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let files = reg.files().map_err(reg_fail)?;
            if json {
                return json_out(&files);
            }
            say!("{:<4} {:<28} {:>10}  {:<9} rules", "id", "name", "people", "proposals");
            for f in &files {
                say!(
                    "{:<4} {:<28} {:>10}  {:<9} {}",
                    f.id,
                    f.entry.name,
                    f.entry.people,
                    if f.entry.open_to_proposals { "open" } else { "closed" },
                    f.rules.len()
                );
            }
            Ok(())
        }
    }
}

/// Recipient commands.
#[derive(Subcommand)]
pub enum RecipientCommand {
    /// Register a licensed business from a recipient file (TOML: name, representative, address,
    /// contact).
    Add {
        /// Recipient file (TOML).
        entry: PathBuf,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// List the recipients (with the end of a 法120 bar).
    List {
        #[command(flatten)]
        view: ViewArgs,
    },
}

/// Proposal and contract commands.
#[derive(Subcommand)]
pub enum ContractCommand {
    /// Record a received proposal (法112条2項 items, from a proposal file): a 法112 proposal in
    /// response to an open call (法111), or a 法118 proposal (kind = "article118" for created data,
    /// "change_of_use" for a contractor's change of business).
    Propose {
        /// Proposal file (TOML).
        proposal: PathBuf,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record the review of a received proposal (法113, 法114条1項) from a review file.
    Review {
        /// Contract id.
        id: i64,
        /// Review file (TOML: reviewer and one [[check]] per item).
        #[arg(long)]
        review: PathBuf,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Move a contract to its next state (checked against the workflow).
    Advance {
        /// Contract id.
        id: i64,
        /// The next state, `-` and `_` alike (review, cancellation and a change of use have
        /// their own commands: `contract review`, `contract cancel`, `contract propose`).
        #[arg(long, value_parser = crate::args::state())]
        to: tokumei_registry::State,
        /// Reasons, receipts, references (required for not_fit, withdrawn, corrections_requested,
        /// cancelled).
        #[arg(long)]
        note: Option<String>,
        /// Staff hours of creation work, for the fee of a 法112 contract (with --to fee_paid; e.g.
        /// 2.5: every hour or part of an hour is billed, 法119条3項).
        #[arg(long)]
        hours: Option<String>,
        /// What the body pays a contractor it entrusts the creation to, yen: added to the fee of a
        /// 法112 contract (with --to fee_paid).
        #[arg(long)]
        contractor_cost: Option<i64>,
        /// The fee of a 法118 contract, yen (法119条4項: the ordinance's amount), where the profile
        /// sets none (with --to fee_paid).
        #[arg(long)]
        fee_yen: Option<i64>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Cancel a contract (法120: fraud, disqualification, serious breach); bars the business for
    /// two years.
    Cancel {
        /// Contract id.
        id: i64,
        /// The ground.
        #[arg(long)]
        note: String,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Show a contract with its review, notice and history.
    Show {
        /// Contract id.
        id: i64,
        #[command(flatten)]
        view: ViewArgs,
    },
    /// The contract's full record for the officer's files (proposal, review, notice, fee, every
    /// step, releases and provisions), as Markdown or JSON.
    Record {
        /// Contract id.
        id: i64,
        #[command(flatten)]
        view: ViewArgs,
    },
    /// List contracts.
    List {
        #[command(flatten)]
        view: ViewArgs,
    },
}

/// Run a recipient command.
pub fn recipient(command: RecipientCommand) -> Result<(), Failure> {
    match command {
        RecipientCommand::Add { entry, change: ChangeArgs { registry, operator } } => {
            let r = tokumei_registry::Recipient::load(&entry).map_err(reg_fail)?;
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let id = reg.add_recipient(&who(operator)?, &r).map_err(reg_fail)?;
            say!("registered recipient `{}` (#{id})", r.name);
            Ok(())
        }
        RecipientCommand::List { view: ViewArgs { registry, json } } => {
            let reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let list = reg.recipients().map_err(reg_fail)?;
            if json {
                let v: Vec<serde_json::Value> = list
                    .iter()
                    .map(|(id, r, barred)| serde_json::json!({ "id": id, "recipient": r, "barred_until": barred }))
                    .collect();
                return json_out(&v);
            }
            for (id, r, barred) in &list {
                let bar = barred.as_ref().map(|b| format!("  (法120: barred until {b})")).unwrap_or_default();
                let number = r.corporate_number.as_ref().map(|n| format!("  法人番号 {n}")).unwrap_or_default();
                say!("{id:<4} {}{number}  {}{bar}", r.name, r.contact);
            }
            Ok(())
        }
    }
}

/// Run a contract command.
pub fn contract(command: ContractCommand) -> Result<(), Failure> {
    match command {
        ContractCommand::Propose { proposal, change: ChangeArgs { registry, operator } } => {
            let p = tokumei_registry::Proposal::load(&proposal).map_err(reg_fail)?;
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let id = reg.propose(&who(operator)?, &p).map_err(reg_fail)?;
            let c = reg.contract(id).map_err(reg_fail)?;
            say!(
                "recorded proposal {id} of `{}` for file `{}` (received; {}{})",
                p.recipient,
                c.as_ref().map_or(p.file.as_str(), |c| c.file.as_str()),
                p.kind.label(),
                c.as_ref().and_then(|c| c.call_id).map(|n| format!(", in response to call {n}")).unwrap_or_default()
            );
            if p.kind == tokumei_registry::ProposalKind::ChangeOfUse {
                say!(
                    "  contract {} is under review for the change of use until this proposal is decided",
                    p.contract.unwrap_or(0)
                );
            }
            Ok(())
        }
        ContractCommand::Review { id, review, change: ChangeArgs { registry, operator } } => {
            let r = tokumei_registry::Review::load(&review).map_err(reg_fail)?;
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let passed = reg.review(&who(operator)?, id, &r).map_err(reg_fail)?;
            say!(
                "contract {id} reviewed by {}: {}",
                r.reviewer,
                if passed {
                    "every check met (notify fit next)"
                } else {
                    "checks failed (notify not_fit with reasons)"
                }
            );
            Ok(())
        }
        ContractCommand::Advance {
            id,
            to,
            note,
            hours,
            contractor_cost,
            fee_yen,
            change: ChangeArgs { registry, operator },
        } => {
            let fee = tokumei_registry::FeeBasis {
                hours: hours.as_deref().map(tokumei_registry::parse_hours).transpose().map_err(reg_fail)?,
                contractor_cost_yen: contractor_cost,
                fee_yen,
            };
            if to == tokumei_registry::State::Cancelled {
                return Err(fail(
                    ExitCode::Usage,
                    anyhow::anyhow!("cancel with `tokumei contract cancel ID --note GROUND`"),
                ));
            }
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            reg.advance(&who(operator)?, id, to, note.as_deref(), &fee).map_err(reg_fail)?;
            say!("contract {id}: {}", to.as_str());
            if to == tokumei_registry::State::FeePaid
                && let Some(c) = reg.contract(id).map_err(reg_fail)?
            {
                say!("  fee {} yen ({})", c.fee_yen.unwrap_or(0), fee_words(c.fee_basis.as_ref()));
            }
            Ok(())
        }
        ContractCommand::Cancel { id, note, change: ChangeArgs { registry, operator } } => {
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            reg.advance(&who(operator)?, id, tokumei_registry::State::Cancelled, Some(&note), &Default::default())
                .map_err(reg_fail)?;
            say!("contract {id}: cancelled (法120); the business may not receive data for two years");
            Ok(())
        }
        ContractCommand::Show { id, view: ViewArgs { registry, json } } => {
            let reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let c = reg
                .contract(id)
                .map_err(reg_fail)?
                .ok_or_else(|| fail(ExitCode::Registry, anyhow::anyhow!("no contract {id}")))?;
            if json {
                return json_out(&c);
            }
            say!("contract {} — {} / {} — {}", c.id, c.recipient, c.file, c.state.as_str());
            say!("  kind        {}", c.kind.label());
            if let Some(r) = &c.proposal.release {
                say!("  data        release {r} (made under contract {})", c.parent_id.unwrap_or(0));
            } else if let Some(p) = c.parent_id {
                say!("  changes     contract {p} (its business)");
            }
            if let Some(call) = c.call_id {
                say!("  call        {call} (法111)");
            }
            say!("  people      {}", c.proposal.people);
            say!("  purpose     {}", c.proposal.purpose);
            say!("  use period  {} .. {}", c.proposal.use_from, c.proposal.use_until);
            for col in &c.proposal.columns {
                say!("  column      {} ({})", col.name, col.granularity);
            }
            if let Some(f) = c.fee_yen {
                say!("  fee         {f} yen ({})", fee_words(c.fee_basis.as_ref()));
            }
            for t in &c.history {
                say!(
                    "  {}  {} -> {}  by {}{}",
                    t.time,
                    t.from.as_deref().unwrap_or("-"),
                    t.to,
                    t.operator,
                    t.note.as_ref().map(|n| format!(": {n}")).unwrap_or_default()
                );
            }
            Ok(())
        }
        ContractCommand::Record { id, view: ViewArgs { registry, json } } => {
            let reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let rec = reg.contract_record(id).map_err(reg_fail)?;
            if json {
                return json_out(&rec);
            }
            say!("{}", record_markdown(&rec));
            Ok(())
        }
        ContractCommand::List { view: ViewArgs { registry, json } } => {
            let reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let list = reg.contracts().map_err(reg_fail)?;
            if json {
                return json_out(&list);
            }
            for c in &list {
                say!(
                    "{:<4} {:<18} {:<13} {} / {}  use {}..{}",
                    c.id,
                    c.state.as_str(),
                    c.kind.as_str(),
                    c.recipient,
                    c.file,
                    c.proposal.use_from,
                    c.proposal.use_until
                );
            }
            Ok(())
        }
    }
}

/// Release commands.
#[derive(Subcommand)]
pub enum ReleaseCommand {
    /// List the registered releases (recipient, contract, rows, k / l, status).
    List {
        #[command(flatten)]
        view: ViewArgs,
    },
    /// Show one release with its files.
    Show {
        /// Release id.
        release_id: String,
        #[command(flatten)]
        view: ViewArgs,
    },
    /// Which registered release a Parquet file is (a copy found elsewhere, e.g. a leak): its
    /// code set's keyed digest compared with every release's.
    Identify {
        /// The Parquet file.
        file: PathBuf,
        #[command(flatten)]
        registry: RegistryArg,
    },
    /// Record that a published release was provided to its recipient (the contract moves to
    /// provided): the date, the medium and the recipient's receipt.
    Provide {
        /// Release id.
        release_id: String,
        /// Medium (e.g. `暗号化USBメモリ`, `手交`).
        #[arg(long)]
        medium: String,
        /// The recipient's receipt (受領書の番号等).
        #[arg(long)]
        receipt: String,
        /// Date of provision (YYYY-MM-DD; default: today by the run clock).
        #[arg(long)]
        date: Option<String>,
        /// A 法118 contract covering the release (default: the contract it was made under).
        #[arg(long)]
        contract: Option<i64>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Check that every published release's files still match the registry (all, or one).
    Verify {
        /// Release id (default: every published release).
        release_id: Option<String>,
        #[command(flatten)]
        registry: RegistryArg,
    },
    /// Replace an internal release (`run --internal-use`) without every person residents'
    /// requests excluded from every run (an accepted erasure or stop of use): the job that made
    /// it runs again (same rule file; pseudonymised: same managed key) into a new release folder
    /// beside it (the old one is never overwritten), published complete or not at all, and
    /// registered as replacing it. Then destroy the old one and record it (`release destroyed`).
    Replace {
        /// The internal release to replace.
        release_id: String,
        /// The job that made it.
        #[arg(long)]
        job: PathBuf,
        /// Output folder (default: the one that holds the release replaced).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Staff hours of the work (recorded with the release; 0 to 100000).
        #[arg(long, value_parser = crate::args::hours)]
        hours: Option<f64>,
        /// The input is no longer the one the release was made from (e.g. the extract was
        /// updated): why the records as they are now replace it. Without it such a replacement
        /// is refused.
        #[arg(long, value_parser = crate::args::words)]
        input_changed: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record that an internal release was destroyed (its folder, and every copy of it, is
    /// gone): when and how, audited. An accepted erasure that listed it is done with it.
    Destroyed {
        /// The internal release.
        release_id: String,
        /// How it was destroyed (e.g. `フォルダを完全消去し、複製がないことを確認`).
        #[arg(long)]
        how: String,
        /// The day (YYYY-MM-DD; default: today by the run clock).
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
}

/// Run a release command.
pub fn release(command: ReleaseCommand) -> Result<(), Failure> {
    match command {
        ReleaseCommand::List { view: ViewArgs { registry, json } } => {
            let reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let list = reg.releases().map_err(reg_fail)?;
            if json {
                return json_out(&list);
            }
            for r in &list {
                say!(
                    "{:<46} {:<10} contract {:<4} {:<24} rows {:>9}  k {:>3}  l {}{}",
                    r.release.release_id,
                    r.status,
                    r.release.contract_id.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                    r.recipient.as_deref().unwrap_or("(internal)"),
                    r.release.rows,
                    r.release.k_achieved,
                    r.release.l_achieved.map(|l| l.to_string()).unwrap_or_else(|| "-".into()),
                    copy_note(r)
                );
            }
            Ok(())
        }
        ReleaseCommand::Show { release_id, view: ViewArgs { registry, json } } => {
            let reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let r = reg
                .release(&release_id)
                .map_err(reg_fail)?
                .ok_or_else(|| fail(ExitCode::Registry, anyhow::anyhow!("no release {release_id} in the registry")))?;
            if json {
                return json_out(&r);
            }
            say!("release {} ({})", r.release.release_id, r.status);
            say!("  recipient   {}", r.recipient.as_deref().unwrap_or("(internal)"));
            say!("  contract    {}", r.release.contract_id.map(|c| c.to_string()).unwrap_or_else(|| "-".into()));
            say!("  file        {}", r.file.as_deref().unwrap_or("-"));
            say!("  folder      {}", r.release.release_dir);
            say!(
                "  rows        {} (k {}, l {})",
                r.release.rows,
                r.release.k_achieved,
                r.release.l_achieved.map(|l| l.to_string()).unwrap_or_else(|| "-".into())
            );
            say!("  audit entry {} (head {})", r.release.audit_seq, r.release.audit_head.as_deref().unwrap_or("-"));
            if let Some(p) = &r.release.purpose {
                say!("  internal    {p}");
            }
            if let Some(old) = &r.release.replaces {
                say!(
                    "  replaces    {old}{}",
                    r.release.replacement_note.as_ref().map(|n| format!(" (another input: {n})")).unwrap_or_default()
                );
            }
            if let Some(by) = &r.replaced_by {
                say!("  replaced by {by}");
            }
            if let Some(d) = &r.destroyed {
                say!("  destroyed   {} by {} ({}), recorded {}", d.date, d.operator, d.how, d.time);
            }
            for f in &r.release.outputs {
                say!("  file        {}  {}", f.sha256, f.name);
            }
            Ok(())
        }
        ReleaseCommand::Replace {
            release_id,
            job,
            out,
            hours,
            input_changed,
            change: ChangeArgs { registry, operator },
        } => {
            let old = {
                let reg = Registry::open(&registry.path).map_err(reg_fail)?;
                reg.replaceable(&release_id).map_err(reg_fail)?
            };
            // Beside the release it replaces: <out>/<dataset>/<release id>.
            let out = out
                .or_else(|| Path::new(&old.release.release_dir).parent().and_then(Path::parent).map(Path::to_path_buf));
            let purpose = old.release.purpose.clone().unwrap_or_else(|| "内部利用".into());
            let arg = crate::job::ContractArg {
                registry: Some(registry.path),
                using: Some(crate::job::Use::Internal(purpose)),
                hours,
                replaces: Some(crate::job::Replacing { release_id, input_changed }),
            };
            crate::job::run_job(&job, out, operator, false, Some(arg), &crate::Bars::new())
        }
        ReleaseCommand::Destroyed { release_id, how, date, change: ChangeArgs { registry, operator } } => {
            let who = who(operator)?;
            let today = today()?;
            let day = date.unwrap_or_else(|| today.clone());
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            reg.record_destruction(&who, &release_id, &day, &today, &how).map_err(reg_fail)?;
            say!("recorded the destruction of release {release_id} on {day} ({how})");
            for t in reg.erasures_to_do().map_err(reg_fail)? {
                say!(
                    "  request {}: {} internal copy(ies) still to destroy: {}",
                    t.request_id,
                    t.outstanding.len(),
                    t.outstanding.join(", ")
                );
            }
            Ok(())
        }
        ReleaseCommand::Provide {
            release_id,
            medium,
            receipt,
            date,
            contract,
            change: ChangeArgs { registry, operator },
        } => {
            let who = who(operator)?;
            let today = today()?;
            let day = date.unwrap_or_else(|| today.clone());
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            reg.provide_under(&who, &release_id, contract, &day, &today, &medium, &receipt).map_err(reg_fail)?;
            say!("recorded the provision of release {release_id} on {day} ({medium})");
            Ok(())
        }
        ReleaseCommand::Identify { file, registry } => {
            let reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let key = reg.code_digest_key().map_err(reg_fail)?;
            let releases = reg.releases().map_err(reg_fail)?;
            let mut digests: std::collections::HashMap<Vec<String>, Option<String>> = Default::default();
            for r in &releases {
                let (Some(d), false) = (&r.release.code_digest, r.release.code_columns.is_empty()) else { continue };
                let mine = digests.entry(r.release.code_columns.clone()).or_insert_with(|| {
                    tokumei_engine::output::code_digest(&file, &r.release.code_columns, &key).ok().map(|x| x.1)
                });
                if mine.as_ref() == Some(d) {
                    say!(
                        "{} is release {} ({}), provided to {} under contract {}",
                        file.display(),
                        r.release.release_id,
                        r.status,
                        r.recipient.as_deref().unwrap_or("(internal)"),
                        r.release.contract_id.map(|c| c.to_string()).unwrap_or_else(|| "-".into())
                    );
                    return Ok(());
                }
            }
            Err(fail(
                ExitCode::Registry,
                anyhow::anyhow!("{}: its codes match no registered release (whole releases only)", file.display()),
            ))
        }
        ReleaseCommand::Verify { release_id, registry } => {
            let reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let list: Vec<_> = reg
                .releases()
                .map_err(reg_fail)?
                .into_iter()
                .filter(|r| release_id.as_ref().is_none_or(|id| *id == r.release.release_id))
                .collect();
            if let Some(id) = &release_id
                && list.is_empty()
            {
                return Err(fail(ExitCode::Registry, anyhow::anyhow!("no release {id} in the registry")));
            }
            let mut problems = Vec::new();
            let mut checked = 0;
            for r in &list {
                match r.status.as_str() {
                    // Its folder is gone on purpose (`release destroyed`).
                    "published" if r.destroyed.is_some() => {}
                    "published" => {
                        problems.extend(r.check_files());
                        checked += 1;
                    }
                    "publishing" => problems.push(format!(
                        "release {}: still publishing (a run in progress, or interrupted: the next run on its output folder settles it)",
                        r.release.release_id
                    )),
                    _ => {}
                }
            }
            if problems.is_empty() {
                say!("{checked} published release(s): every file matches the registry");
                return Ok(());
            }
            for p in &problems {
                eprintln!("problem: {p}");
            }
            Err(fail(ExitCode::Registry, anyhow::anyhow!("{} problem(s) found", problems.len())))
        }
    }
}

/// What `release list` adds to a release's line: what replaced it, its destruction.
fn copy_note(r: &tokumei_registry::StoredRelease) -> String {
    match (&r.destroyed, &r.replaced_by) {
        (Some(d), _) => format!("  destroyed {}", d.date),
        (None, Some(by)) => format!("  replaced by {by} (destruction not recorded)"),
        _ => String::new(),
    }
}

/// Per-subject commands.
#[derive(Subcommand)]
pub enum SubjectCommand {
    /// Which registered releases were made from this person's records, from the per-subject
    /// index (kept only where the profile enables it: keyed digests of subject identifiers), and
    /// which requests excluded them from later runs since when. The look-up is audited; the
    /// identifier is not written anywhere.
    Provisions {
        /// The subject's identifier (the rules' `subject` column, e.g. 宛名番号; never 個人番号).
        subject: String,
        #[command(flatten)]
        view: ViewArgs,
        /// Operator recorded in the audit log.
        #[arg(long, env = "TOKUMEI_OPERATOR")]
        operator: Option<String>,
    },
}

/// Run a subject command.
pub fn subject(command: SubjectCommand) -> Result<(), Failure> {
    let SubjectCommand::Provisions { subject, view: ViewArgs { registry, json }, operator } = command;
    let path = registry.path;
    let reg = Registry::open(&path).map_err(reg_fail)?;
    let found = reg.subject_releases(&subject).map_err(reg_fail)?;
    let excluded = reg.exclusion_of(&subject).map_err(reg_fail)?;
    // The look-up of a person is itself recorded (without the identifier).
    let who = who(operator)?;
    let mut details = serde_json::Map::new();
    details.insert("registry".into(), reg.id().map_err(reg_fail)?.into());
    if let Some(found) = &found {
        details.insert("releases_found".into(), (found.len() as u64).into());
    }
    tokumei_audit::JsonlLog::new(reg.audit_log().map_err(reg_fail)?)
        .append(tokumei_audit::Record {
            time: who.time.clone(),
            operator: who.operator.clone(),
            action: "subject-provisions".into(),
            status: "ok".into(),
            details,
            clock: who.clock.clone(),
            ..Default::default()
        })
        .map_err(|e| fail(ExitCode::Audit, e.into()))?;
    if json {
        let excluded: Vec<_> = excluded
            .iter()
            .map(|(r, scope, since)| serde_json::json!({"request": r, "scope": scope, "since": since}))
            .collect();
        return json_out(&serde_json::json!({"releases": found, "excluded": excluded}));
    }
    match &found {
        None => say!(
            "registry {}: the profile keeps no per-subject index (`subject_index = false`): which releases hold the person is not recorded",
            path.display()
        ),
        Some(f) if f.is_empty() => say!("no registered release was made from this subject's records"),
        Some(_) => {}
    }
    for r in found.iter().flatten() {
        say!(
            "{}  {}  {} rows  {}{}",
            r.release.release_id,
            r.time,
            r.release.rows,
            match (&r.recipient, &r.release.purpose) {
                (Some(rec), _) => format!("provided to {rec}"),
                (None, p) => format!("internal use: {}", p.as_deref().unwrap_or("-")),
            },
            copy_note(r)
        );
    }
    for (r, scope, since) in &excluded {
        say!(
            "excluded by request {r} since {since} from {}",
            if scope == "all" { "every later run" } else { "every later release to a recipient" }
        );
    }
    Ok(())
}

/// What `registry status` warns of for requests: stored profile values beyond the Act's limits
/// (used at the limit), and a national-holiday list that ends before next year.
fn request_warnings(reg: &Registry) -> Result<Vec<String>, Failure> {
    let mut out: Vec<String> = reg
        .profile_law_problems()
        .map_err(reg_fail)?
        .into_iter()
        .map(|p| format!("the stored profile sets {p}; the limit is used"))
        .collect();
    let today = today()?;
    let next = tokumei_registry::deadline::add_days(&today, 366).unwrap_or_else(|| today.clone());
    if let Some(note) = tokumei_registry::deadline::holiday_note(&today, &next) {
        out.push(note);
    }
    Ok(out)
}
