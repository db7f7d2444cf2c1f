//! `tokumei request ...`: residents' requests from intake to decision, notice and disclosure.
//! The registry keeps the request and its timeline (every step audited); this module finds the
//! person's records and writes the documents: the disclosure package (JSON, CSV, a Japanese
//! HTML page that prints as the paper answer) and the notice drafts (開示決定通知書, 延長通知書,
//! 特例延長通知書...), each stating the appeal rights. Documents hold the person's data: they are
//! written owner-only, atomically, under the registry's `requests/` folder unless `--out` says.

use crate::registry_cmd::{ChangeArgs, ViewArgs, json_out, reg_fail, today, who};
use crate::{Failure, fail};
use clap::Subcommand;
use std::path::PathBuf;
use tokumei_documents::html::{kv_table, page};
use tokumei_engine::ExitCode;
use tokumei_engine::lookup::{Found, Place};
use tokumei_registry::{CarriedOut, Decision, Draft, Extension, Kind, Registry, RequestEntry, StoredRequest};

/// Request commands.
#[derive(Subcommand)]
pub enum RequestCommand {
    /// Open a request from its intake file (TOML: kind, received, requester, capacity,
    /// verification, records, subject or [match]...; docs/requests.md). Prints its number and due date.
    Open {
        /// The intake file.
        entry: PathBuf,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Requests with their deadlines: open ones (all with --all), overdue ones flagged.
    List {
        #[command(flatten)]
        view: ViewArgs,
        /// Only those due within this many days (e.g. `7d` or `7`; up to 3650), overdue ones
        /// included.
        #[arg(long, value_parser = crate::args::days_within)]
        due_within: Option<i64>,
        /// Only overdue ones.
        #[arg(long)]
        overdue: bool,
        /// Decided and closed requests too.
        #[arg(long)]
        all: bool,
    },
    /// One request with its timeline.
    Show {
        /// The request's number.
        id: i64,
        #[command(flatten)]
        view: ViewArgs,
    },
    /// Find the person in the registered files (by the identifier given, or by name and date of
    /// birth): every candidate is shown; `--choose` records the officer's choice.
    Match {
        /// The request's number.
        id: i64,
        /// The subject identifier of the candidate chosen.
        #[arg(long)]
        choose: Option<String>,
        /// Why this candidate (the officer's note).
        #[arg(long, default_value = "identity documents match the record")]
        note: String,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record days spent waiting for the requester to fix a defective request (補正): they are
    /// not counted, the due date moves.
    Defect {
        /// The request's number.
        id: i64,
        /// Days spent.
        #[arg(long)]
        days: i64,
        /// What was missing.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Extend the deadline (法83条2項, 94条2項, 102条2項: up to the profile's extension_days) or,
    /// with --special and --until, set a later date: for the rest of a very large disclosure
    /// (法84; the 相当の部分 is still due within the normal period), or for a correction (法95) or
    /// suspension (法103) that needs especially long; writes the notice.
    Extend {
        /// The request's number.
        id: i64,
        /// Days added.
        #[arg(long, conflicts_with_all = ["until", "special"])]
        days: Option<i64>,
        /// A special extension's date for the rest.
        #[arg(long, requires = "special")]
        until: Option<String>,
        /// A special extension (法84, 95, 103).
        #[arg(long)]
        special: bool,
        /// Why.
        #[arg(long)]
        reason: String,
        /// The day the notice is sent (default: today).
        #[arg(long)]
        notice_date: Option<String>,
        /// Folder for the notice (default: requests/<id> beside the registry).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Build the disclosure draft: every record of the person in the registered files and the
    /// pseudonymised outputs (anonymised releases are not personal information and are not part
    /// of it), with each file's purposes and regular recipients; items withheld so far are shown
    /// withheld. Written as JSON, CSV and a Japanese HTML document; its digest is registered.
    Disclose {
        /// The request's number.
        id: i64,
        /// A pseudonymised job whose registered releases are searched with its key (repeatable).
        #[arg(long)]
        job: Vec<PathBuf>,
        /// Folder for the package (default: requests/<id> beside the registry).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record that the 相当の部分 of a disclosure under a 法84 special extension was decided (it is
    /// due within the normal period; until recorded, its date is the request's deadline).
    PartDecided {
        /// The request's number.
        id: i64,
        /// What was decided (which records, with what result, the notice sent).
        #[arg(long)]
        note: String,
        /// The day (default: today).
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Attest the person's records outside the registered sources (paper files, other systems):
    /// `--held` they are kept there (a disclosure, correction or suspension may then be decided on
    /// them though the registered extracts hold nothing), or `--none` the other files were
    /// searched and hold none (needed for `not_held`, 法82条2項).
    Attest {
        /// The request's number.
        id: i64,
        /// Records of the person are kept outside the registered sources.
        #[arg(long, conflicts_with = "none", required_unless_present = "none")]
        held: bool,
        /// The body's other files were searched and hold none.
        #[arg(long)]
        none: bool,
        /// What and where (held), or what was searched (none), e.g. 市民課保管の紙の届出書綴り.
        #[arg(long)]
        description: String,
        /// The day (default: today).
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Withhold an item of the draft with its 法78条1項 ground (1-7) or a ground of the ordinance
    /// (法78条2項: the id of one of the profile's ordinance_grounds), or `--release` it again.
    Withhold {
        /// The request's number.
        id: i64,
        /// The item's number in the draft.
        #[arg(long)]
        item: usize,
        /// 法78条1項 number: 1 life/health of the requester, 2 another individual, 3 a
        /// corporation, 4 national security, 5 public safety, 6 deliberations, 7 the body's work;
        /// or the id of a ground of the ordinance (法78条2項, the profile's ordinance_grounds).
        #[arg(long, required_unless_present = "release")]
        ground: Option<String>,
        /// Disclose the item after all.
        #[arg(long)]
        release: bool,
        /// The officer's note (why the ground applies).
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Decide: a disclosure `full`, `partial`, `refused`, `existence_refused` or `not_held`; a
    /// correction or suspension `accepted` or `rejected`; an opt-out `accepted`. Writes the
    /// decision notice draft. An accepted suspension or opt-out excludes the subject from every
    /// later run (a stop of provision or opt-out: from every later release to a recipient).
    Decide {
        /// The request's number.
        id: i64,
        /// The decision.
        #[arg(long)]
        decision: String,
        /// Its reasons (required unless everything asked for is granted).
        #[arg(long, default_value = "")]
        reason: String,
        /// An accepted suspension: unlawful_holding, unlawful_use or unlawful_provision (法98条1項).
        #[arg(long)]
        ground: Option<String>,
        /// A third party objected to the disclosure (法86): it waits the profile's third_party_days.
        #[arg(long)]
        third_party_objection: bool,
        /// The day of the decision (default: today).
        #[arg(long)]
        date: Option<String>,
        /// Folder for the notice (default: requests/<id> beside the registry).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record a notice sent: `decision`, `extension` or `special_extension` to the requester,
    /// `correction_recipient` to a regular recipient of a corrected file (法97), or `third_party`
    /// to a third party who objected (法86条3項). A decision notice's day starts the requester's
    /// 30 days to choose the method (法87条4項).
    Notice {
        /// The request's number.
        id: i64,
        /// The notice.
        #[arg(long)]
        kind: String,
        /// To whom.
        #[arg(long)]
        to: String,
        /// The day it was given (delivered or handed over; default: today).
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record that the disclosure was carried out (the day starts the 90 days for correction
    /// and suspension).
    CarryOut {
        /// The request's number.
        id: i64,
        /// The day (default: today).
        #[arg(long)]
        date: Option<String>,
        /// The method (閲覧, 写しの交付, 電磁的記録の提供...).
        #[arg(long)]
        method: String,
        /// The day the requester chose the method.
        #[arg(long)]
        chosen: String,
        /// Why a method chosen after the period is accepted (正当な理由).
        #[arg(long)]
        late_reason: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Close a request (withdrawn, or done).
    Close {
        /// The request's number.
        id: i64,
        /// Why.
        #[arg(long)]
        reason: String,
        /// The day (default: today).
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Revoke an accepted correction (every value it put in force, or one column's), with its
    /// reason: later runs no longer apply it. Audited; the request's timeline records it.
    RevokeCorrection {
        /// The correction request's number.
        id: i64,
        /// Only the value of this column (default: every value of the request).
        #[arg(long)]
        column: Option<String>,
        /// Why (kept with the revocation).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        change: ChangeArgs,
    },
}

pub(crate) fn usage(m: impl std::fmt::Display) -> Failure {
    fail(ExitCode::Usage, anyhow::anyhow!("{m}"))
}

pub(crate) fn refused(m: impl std::fmt::Display) -> Failure {
    fail(ExitCode::Registry, anyhow::anyhow!("{m}"))
}

fn get(reg: &Registry, id: i64) -> Result<StoredRequest, Failure> {
    reg.request(id).map_err(reg_fail)?.ok_or_else(|| refused(format!("no request {id} in the registry")))
}

/// The folder a request's documents go to.
fn out_dir(reg: &Registry, id: i64, out: Option<PathBuf>) -> PathBuf {
    out.unwrap_or_else(|| tokumei_audit::sys::parent_of(reg.path()).join("requests").join(id.to_string()))
}

pub(crate) use tokumei_office::files::write_private;

/// HTML-escape (the one escaper: [`tokumei_words::escape`]).
pub(crate) fn esc(s: &str) -> String {
    tokumei_words::escape(s)
}

/// 教示: appeal rights every decision notice states.
fn appeal_rights(body: &str) -> String {
    format!(
        "<h2>教示</h2><p class=\"note\">1 この決定に不服がある場合は、行政不服審査法の規定により、この決定があったことを知った日の翌日から起算して3か月以内に、{b}の長に対して審査請求をすることができます。<br>\
         2 この決定の取消しを求める訴訟は、行政事件訴訟法の規定により、この決定があったことを知った日から6か月以内に、{b}を被告として提起することができます（審査請求をした場合は、その裁決があったことを知った日から6か月以内）。</p>",
        b = esc(body)
    )
}

fn capacity_ja(r: &StoredRequest) -> &'static str {
    match r.entry.capacity {
        tokumei_registry::Capacity::Person => "本人",
        tokumei_registry::Capacity::LegalRepresentative => "法定代理人",
        tokumei_registry::Capacity::Agent => "任意代理人",
    }
}

fn decision_ja(kind: Kind, d: &str) -> &'static str {
    match (kind, d) {
        (Kind::Disclosure, "full") => "全部を開示する",
        (Kind::Disclosure, "partial") => "一部を開示する",
        (Kind::Disclosure, "refused") => "全部を開示しない",
        (Kind::Disclosure, "existence_refused") => "保有個人情報の存否を明らかにしないで、開示請求を拒否する（法81条）",
        (Kind::Disclosure, "not_held") => "請求に係る保有個人情報を保有していないため、開示しない",
        (Kind::Correction, "accepted") => "訂正をする",
        (Kind::Correction, _) => "訂正をしない",
        (Kind::Suspension, "accepted") => "利用停止をする",
        (Kind::Suspension, _) => "利用停止をしない",
        (Kind::OptOut, _) => "以後の提供から除外する",
        _ => "-",
    }
}

fn notice_title(kind: Kind, d: &str) -> &'static str {
    match (kind, d) {
        (Kind::Disclosure, "full" | "partial") => "保有個人情報開示決定通知書",
        (Kind::Disclosure, _) => "保有個人情報の開示をしない旨の決定通知書",
        (Kind::Correction, "accepted") => "保有個人情報の訂正をする旨の決定通知書",
        (Kind::Correction, _) => "保有個人情報の訂正をしない旨の決定通知書",
        (Kind::Suspension, "accepted") => "保有個人情報の利用停止をする旨の決定通知書",
        (Kind::Suspension, _) => "保有個人情報の利用停止をしない旨の決定通知書",
        (Kind::OptOut, _) => "オプトアウトの申出の受付について（通知）",
    }
}

/// The decision notice draft.
fn decision_notice(
    body: &str,
    r: &StoredRequest,
    d: &Decision,
    method_days: i64,
    grounds: &[(usize, String)],
) -> String {
    let kind = r.entry.kind;
    let mut rows = vec![
        ("請求者", format!("{}（{}）", r.entry.requester, capacity_ja(r))),
        ("請求の種類", kind.label().to_string()),
        ("請求を受け付けた日", r.entry.received.clone()),
        ("請求に係る保有個人情報", r.entry.records.clone()),
        ("決定", decision_ja(kind, &d.decision).to_string()),
        ("決定日", d.date.clone()),
    ];
    if !d.reason.is_empty() {
        rows.push(("理由", d.reason.clone()));
    }
    if let Some(g) = &d.ground {
        rows.push((
            "根拠（法98条1項）",
            match g.as_str() {
                "unlawful_holding" => "法61条2項の規定に違反して保有されている（1号）".into(),
                "unlawful_use" => "法63条・64条・69条1項及び2項の規定に違反して取り扱われている（1号）".into(),
                _ => "法69条1項及び2項又は71条1項の規定に違反して提供されている（2号）".into(),
            },
        ));
    }
    let mut html =
        format!("<p class=\"right\">{}<br>{} 長</p><p>{} 様</p>", esc(&d.date), esc(body), esc(&r.entry.requester));
    html.push_str(&format!(
        "<p>{}付けで受け付けた{}について、次のとおり決定したので通知します。</p>",
        esc(&r.entry.received),
        kind.label()
    ));
    html.push_str(&kv_table(&rows));
    if !d.outside_records.is_empty() {
        html.push_str("<h2>登録された抽出データ以外で保有する記録</h2><p class=\"note\">紙の文書その他の電子計算機処理以外の方法で保有する記録を含みます（職員の確認による）。</p><ul>");
        for o in &d.outside_records {
            html.push_str(&format!("<li>{}</li>", esc(o)));
        }
        html.push_str("</ul>");
    }
    if kind == Kind::Disclosure && d.decision == "not_held" {
        html.push_str("<h2>探索の範囲</h2><p class=\"note\">登録された抽出データを検索したほか、紙の文書その他の保有する文書・システムについても次のとおり確認し、請求に係る保有個人情報を保有していないことを確認しました（法82条2項）。</p><ul>");
        for a in r.attestations.iter().filter(|a| !a.held) {
            html.push_str(&format!("<li>{}（{}）</li>", esc(&a.description), esc(&a.date)));
        }
        html.push_str("</ul>");
    }
    if !grounds.is_empty() {
        html.push_str("<h2>開示しない部分とその理由（法78条）</h2><table><tr><th>項目</th><th>根拠</th></tr>");
        for (item, g) in grounds {
            html.push_str(&format!("<tr><td>{item}</td><td>{}</td></tr>", esc(g)));
        }
        html.push_str("</table>");
    }
    if kind == Kind::Disclosure && matches!(d.decision.as_str(), "full" | "partial") {
        html.push_str(&format!(
            "<h2>開示の実施</h2><p>開示の実施方法（閲覧、写しの交付、電磁的記録の提供等）を、この通知があった日から{method_days}日以内に申し出てください（法87条3項・4項）。期間の末日が休日に当たるときは、その翌日（休日でない日）までとなります。手数料 {} 円。</p>",
            r.fee_yen
        ));
        if r.objection {
            html.push_str("<p>第三者から反対の意思が表示されたため、開示はこの決定の日との間に少なくとも2週間を置いて実施します（法86条3項）。</p>");
        }
    }
    if kind == Kind::Correction && d.decision == "accepted" && !d.recipients_to_notify.is_empty() {
        html.push_str(&format!(
            "<p>訂正の内容は、当該保有個人情報の提供先（{}）に通知します（法97条）。</p>",
            esc(&d.recipients_to_notify.join("、"))
        ));
    }
    if !d.internal_copies.is_empty() {
        html.push_str(&internal_copies_section(body, d));
    }
    // Only what went to recipients is 行政機関等匿名加工情報 (a body's internal releases are its
    // own 保有個人情報, listed above when the decision reaches them).
    let provided: Vec<_> = d.releases_before.iter().filter(|rel| rel.recipient.is_some()).collect();
    if matches!(kind, Kind::Suspension | Kind::OptOut) && !provided.is_empty() {
        html.push_str("<h2>決定前に提供された行政機関等匿名加工情報</h2><p class=\"note\">決定前に作成・提供された行政機関等匿名加工情報は個人情報ではなく、回収はしません。提供先は次のとおりです。</p><table><tr><th>作成物</th><th>作成日時</th><th>提供先</th></tr>");
        for rel in provided {
            html.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&rel.release_id),
                esc(&rel.time),
                esc(rel.recipient.as_deref().unwrap_or_default())
            ));
        }
        html.push_str("</table>");
    }
    if kind != Kind::OptOut {
        html.push_str(&appeal_rights(body));
    }
    page(notice_title(kind, &d.decision), &html)
}

/// The name of an internal copy's kind in a notice: a public body's pseudonymised data are
/// 仮名化した保有個人情報 (仮名加工情報 is a business's, 法41).
pub(crate) fn copy_kind_ja(mode: &str) -> &'static str {
    if mode == "pseudonymized" {
        "仮名化した保有個人情報"
    } else {
        "内部で保有する匿名化した情報（保有個人情報として扱う）"
    }
}

/// The notice's list of the body's internal copies that an accepted erasure or stop of use
/// reaches, and what is done with them.
fn internal_copies_section(body: &str, d: &Decision) -> String {
    let mut html = format!(
        "<h2>消去・利用停止の対象となる内部利用の情報</h2><p class=\"note\">{}が内部利用のために作成した次の情報は、仮名化等をしていても保有個人情報です。あなたの情報を除いたものに置き換え、元の情報を消去します（消去したときは記録します）。</p><table><tr><th>作成物</th><th>種類</th><th>利用目的</th><th>作成日時</th><th>あなたの情報</th></tr>",
        esc(body)
    );
    for c in &d.internal_copies {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.release_id),
            copy_kind_ja(&c.mode),
            esc(c.purpose.as_deref().unwrap_or("-")),
            esc(&c.time),
            if c.indexed { "含まれています" } else { "含まれている可能性があります" }
        ));
    }
    html.push_str("</table>");
    html
}

/// 延長通知書 / 特例延長通知書: of a disclosure (法83条2項 / 法84), a correction (法94条2項 / 法95)
/// or a suspension (法102条2項 / 法103).
fn extension_notice(body: &str, r: &StoredRequest, e: &Extension, special: bool) -> String {
    let (what, extension_article, special_article) = match r.entry.kind {
        Kind::Correction => ("訂正決定等", "法94条2項", "法95条"),
        Kind::Suspension => ("利用停止決定等", "法102条2項", "法103条"),
        _ => ("開示決定等", "法83条2項", "法84条"),
    };
    let title = if special {
        format!("{what}の期限の特例規定の適用について（通知）")
    } else {
        format!("{what}の期限の延長について（通知）")
    };
    let mut html =
        format!("<p class=\"right\">{}<br>{} 長</p><p>{} 様</p>", esc(&e.notice), esc(body), esc(&r.entry.requester));
    html.push_str(&format!(
        "<p>{}付けで受け付けた{}について、{}。</p>",
        esc(&r.entry.received),
        r.entry.kind.label(),
        match (special, r.entry.kind) {
            (true, Kind::Disclosure) => format!(
                "開示請求に係る保有個人情報が著しく大量であるため、{special_article}の規定により、次のとおり開示決定等を行います"
            ),
            (true, _) => format!(
                "{what}に特に長期間を要すると認められるため、{special_article}の規定により、次の期限までに{what}を行います"
            ),
            (false, _) => format!("{extension_article}の規定により、{what}の期限を次のとおり延長します"),
        }
    ));
    let rows: Vec<(&str, String)> = match (special, &e.part_by) {
        (true, Some(part_by)) => vec![
            ("本条を適用する理由", e.reason.clone()),
            ("相当の部分について開示決定等をする期限", part_by.clone()),
            ("残りの保有個人情報について開示決定等をする期限", e.until.clone()),
        ],
        (true, None) => vec![("本条を適用する理由", e.reason.clone()), ("決定等をする期限", e.until.clone())],
        (false, _) => {
            vec![("延長前の期限", r.due.clone()), ("延長後の期限", e.until.clone()), ("延長の理由", e.reason.clone())]
        }
    };
    html.push_str(&kv_table(&rows));
    page(&title, &html)
}

/// One item of a disclosure draft: a value of one record.
#[derive(serde::Serialize)]
struct Item {
    item: usize,
    file: String,
    source: String,
    location: String,
    column: String,
    value: String,
}

/// The person's records: in the registered sources and the pseudonymised outputs.
struct Search {
    items: Vec<Item>,
    /// Items withheld at first: other people's information in the person's records.
    others: Vec<usize>,
    records: usize,
    searched: Vec<serde_json::Value>,
}

pub(crate) fn place_of(s: &tokumei_registry::FileSource) -> Result<Place, Failure> {
    Ok(Place {
        path: PathBuf::from(&s.path),
        parquet: s.format == "parquet",
        encoding: crate::args::EncodingArg::parse(&s.encoding)
            .map(crate::args::EncodingArg::encoding)
            .ok_or_else(|| usage("--encoding must be auto, utf-8 or cp932"))?,
    })
}

/// Add the values of the records found as items; values a correction replaced are shown
/// corrected; items of `others` columns are listed in `withheld`.
fn add_found(
    items: &mut Vec<Item>,
    file: &str,
    source: &str,
    found: &[Found],
    corrections: &[(String, String)],
    others: &[String],
    withheld: &mut Vec<usize>,
) {
    for f in found {
        for (column, value) in &f.fields {
            let corrected = corrections.iter().rev().find(|(c, _)| c == column).map(|(_, v)| v);
            let value = match corrected {
                Some(v) => &format!("{v}（訂正済み。訂正前: {value}）"),
                None => value,
            };
            if value.trim().is_empty() {
                continue;
            }
            if others.contains(column) {
                withheld.push(items.len() + 1);
            }
            items.push(Item {
                item: items.len() + 1,
                file: file.to_string(),
                source: source.to_string(),
                location: f.location.clone(),
                column: column.clone(),
                value: value.clone(),
            });
        }
    }
}

fn search(reg: &Registry, r: &StoredRequest, subject: &str, jobs: &[PathBuf]) -> Result<Search, Failure> {
    let mut items = Vec::new();
    let mut others = Vec::new();
    let mut records = 0;
    let mut searched = Vec::new();
    let sources = reg.sources().map_err(reg_fail)?;
    let mut raw_ids: std::collections::BTreeSet<String> = std::collections::BTreeSet::from([subject.to_string()]);
    // Accepted corrections of this person: what the body holds now.
    let (_, in_force) = reg.corrections().map_err(reg_fail)?;
    let fixes = |file: &str| -> Vec<(String, String)> {
        in_force
            .iter()
            .filter(|c| c.subject == subject && c.file == file)
            .map(|c| (c.column.clone(), c.value.clone()))
            .collect()
    };
    let in_scope = |f: &str| r.entry.files.is_empty() || r.entry.files.iter().any(|x| x == f);
    let files: Vec<String> =
        reg.files().map_err(reg_fail)?.into_iter().map(|f| f.entry.name).filter(|n| in_scope(n)).collect();
    for f in &files {
        if !sources.iter().any(|s| &s.file == f) {
            return Err(refused(format!(
                "file `{f}` has no registered source: record where its records are kept (`tokumei file add-source`) before answering, or narrow the request's `files`"
            )));
        }
    }
    for s in sources.iter().filter(|s| in_scope(&s.file)) {
        let found =
            tokumei_engine::lookup::by_identifier(&place_of(s)?, &s.subject_column, subject).map_err(Failure::from)?;
        records += found.len();
        searched.push(serde_json::json!({"file": s.file, "source": s.path, "records": found.len()}));
        // The identifier as the sources write it (`100599657.0` in a float column): a pseudonym
        // is made from the value as read, so each writing is looked for.
        for f in &found {
            raw_ids.extend(f.fields.iter().filter(|(c, _)| c == &s.subject_column).map(|(_, v)| v.clone()));
        }
        add_found(&mut items, &s.file, &s.path, &found, &fixes(&s.file), &s.others_columns, &mut others);
    }
    // Pseudonymised outputs (personal information still): searched by the person's pseudonym,
    // made with the job's managed key; every such release must be searched.
    let pseudonymised: Vec<_> = reg
        .releases()
        .map_err(reg_fail)?
        .into_iter()
        .filter(|x| x.status == "published" && x.release.mode == "pseudonymized" && x.destroyed.is_none())
        .collect();
    let clock = crate::job::Clock::now()?;
    let mut covered = std::collections::HashSet::new();
    for job in jobs {
        let job = tokumei_rules::load_job(job).map_err(|d| fail(ExitCode::Config, anyhow::anyhow!("{d}")))?;
        let prepared = tokumei_engine::prepare(&job, clock.run_unix).map_err(|e| Failure::from(e.error))?;
        let key_id = prepared.facts.key_id.clone();
        let mut codes: Vec<(String, String)> = Vec::new();
        for raw in &raw_ids {
            match prepared.subject_code(raw).map_err(Failure::from)? {
                Some(c) if !codes.contains(&c) => codes.push(c),
                Some(_) => {}
                None => {
                    return Err(usage(format!(
                        "{}: its subject column is not pseudonymised with a managed key",
                        job.path.display()
                    )));
                }
            }
        }
        for rel in pseudonymised.iter().filter(|x| x.release.rules_sha256 == prepared.plan.rules_sha256) {
            let dir = PathBuf::from(&rel.release.release_dir);
            // The release's own report names the key it was made with.
            let report = rel.release.outputs.iter().find(|o| o.name.ends_with("report.json"));
            let made_with = report
                .and_then(|o| std::fs::read_to_string(dir.join(&o.name)).ok())
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v["key_id"].as_str().map(String::from));
            if made_with != key_id {
                continue;
            }
            for o in rel.release.outputs.iter().filter(|o| o.name.ends_with(".parquet")) {
                let place = Place { path: dir.join(&o.name), parquet: true, encoding: tokumei_rules::Encoding::Auto };
                let mut found = Vec::new();
                for (column, code) in &codes {
                    found.extend(tokumei_engine::lookup::by_identifier(&place, column, code).map_err(Failure::from)?);
                }
                records += found.len();
                let what = format!(
                    "仮名化した保有個人情報 {}（内部利用: {}）",
                    rel.release.release_id,
                    rel.release.purpose.as_deref().unwrap_or("-")
                );
                searched.push(serde_json::json!({"release": rel.release.release_id, "records": found.len()}));
                add_found(&mut items, &what, &o.name, &found, &[], &[], &mut others);
            }
            covered.insert(rel.release.release_id.clone());
        }
    }
    let missing: Vec<&str> =
        pseudonymised.iter().map(|x| x.release.release_id.as_str()).filter(|id| !covered.contains(*id)).collect();
    if !missing.is_empty() {
        return Err(refused(format!(
            "{} pseudonymised release(s) could not be searched without the job that made them: {}\n  hint: give each pseudonymised job with --job (its managed key makes the person's pseudonym)",
            missing.len(),
            missing.join(", ")
        )));
    }
    Ok(Search { items, others, records, searched })
}

fn package_html(
    profile: &tokumei_registry::Profile,
    body: &str,
    r: &StoredRequest,
    files: &[tokumei_registry::StoredFile],
    items: &[Item],
    today: &str,
) -> String {
    let withheld = |n: usize| r.withheld.iter().find(|w| w.item == n);
    let mut html = format!(
        "<p class=\"right\">{}<br>{}</p><p>{} 様</p><p>{}付けの開示請求について、{}が保有するあなたの個人情報を次のとおり開示します。匿名加工情報（行政機関等匿名加工情報）は個人情報ではないため、含まれません。</p>",
        esc(today),
        esc(body),
        esc(&r.entry.requester),
        esc(&r.entry.received),
        esc(body)
    );
    html.push_str("<h2>個人情報ファイル（利用目的と経常的提供先）</h2><table><tr><th>ファイル</th><th>利用目的</th><th>経常的提供先</th></tr>");
    for f in files {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.entry.name),
            esc(&f.entry.purpose),
            esc(&if f.entry.regular_recipients.is_empty() {
                "なし".into()
            } else {
                f.entry.regular_recipients.join("、")
            })
        ));
    }
    html.push_str("</table><h2>記録されている情報</h2>");
    if items.is_empty() {
        html.push_str("<p>登録された抽出データ（下記の探索範囲）には、請求に係る保有個人情報は見つかりませんでした。この探索は登録された抽出データに限られ、紙の文書その他のシステムで保有する記録は含みません（それらについての確認は決定通知書に記載します）。</p>");
    } else {
        html.push_str("<p class=\"note\">次の記録は、登録された抽出データから検索したものです。紙の文書その他のシステムで保有する記録は、職員が確認した場合に下記に記載します。</p>");
    }
    let outside: Vec<_> = r.attestations.iter().filter(|a| a.held).collect();
    if !outside.is_empty() {
        html.push_str("<h3>登録された抽出データ以外で保有する記録（職員の確認による）</h3><ul>");
        for a in outside {
            html.push_str(&format!("<li>{}</li>", esc(&a.description)));
        }
        html.push_str("</ul>");
    }
    let mut last = (String::new(), String::new());
    for it in items {
        if (it.file.clone(), it.location.clone()) != last {
            if !last.0.is_empty() {
                html.push_str("</table>");
            }
            html.push_str(&format!(
                "<h3>{}（{}）</h3><table><tr><th>番号</th><th>項目</th><th>内容</th></tr>",
                esc(&it.file),
                esc(&it.location)
            ));
            last = (it.file.clone(), it.location.clone());
        }
        match withheld(it.item) {
            Some(w) => html.push_str(&format!(
                "<tr class=\"withheld\"><td>{}</td><td>{}</td><td>不開示（{}）</td></tr>",
                it.item,
                esc(&it.column),
                esc(&w.ground_text(profile))
            )),
            None => html.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                it.item,
                esc(&it.column),
                esc(&it.value)
            )),
        }
    }
    if !last.0.is_empty() {
        html.push_str("</table>");
    }
    page("保有個人情報の開示", &html)
}

/// After a decision (the CLI's and the console's): the decision notice draft written beside the
/// registry (or in `out`); what to tell the officer.
pub(crate) fn decision_documents(
    reg: &Registry,
    id: i64,
    d: &tokumei_registry::Decision,
    out: Option<PathBuf>,
) -> Result<Vec<String>, Failure> {
    let r = get(reg, id)?;
    let profile = reg.profile().map_err(reg_fail)?;
    let grounds: Vec<(usize, String)> = r
        .withheld
        .iter()
        .map(|w| {
            (
                w.item,
                format!(
                    "{}{}",
                    w.ground_text(&profile),
                    if w.note.is_empty() { String::new() } else { format!("：{}", w.note) }
                ),
            )
        })
        .collect();
    let path = out_dir(reg, id, out).join("notice-decision.html");
    write_private(&path, decision_notice(&profile.body, &r, d, profile.method_days, &grounds).as_bytes())?;
    let mut lines = vec![
        format!(
            "request {id}: decided `{}` on {}{}",
            d.decision,
            d.date,
            if d.late { " (after the deadline)" } else { "" }
        ),
        format!("  notice draft {}", path.display()),
    ];
    if !d.releases_before.is_empty() {
        lines.push(format!("  {} release(s) made before the decision (listed in the notice)", d.releases_before.len()));
    }
    if !d.internal_copies.is_empty() {
        lines.push(format!(
            "  {} internal release(s) hold the person (still 保有個人情報) and are to erase or stop: replace each without the person and destroy it, by {}:",
            d.internal_copies.len(),
            r.deadline()
        ));
        for c in &d.internal_copies {
            lines.push(format!(
                "    {} ({}{}): tokumei release replace {} --job JOB; then tokumei release destroyed {} --how ...",
                c.release_id,
                copy_kind_ja(&c.mode),
                if c.indexed { "" } else { "; may hold the person: no per-subject index" },
                c.release_id,
                c.release_id
            ));
        }
    }
    if r.objection && matches!(d.decision.as_str(), "full" | "partial") {
        lines.push(format!(
            "  tell the third party who objected at once, in writing: the decision, its reasons and the day of disclosure (法86条3項), then record it: tokumei request notice {id} --kind third_party --to NAME"
        ));
    }
    if !d.outside_records.is_empty() {
        lines.push(format!(
            "  {} record(s) outside the registered sources are covered (as attested; listed in the notice)",
            d.outside_records.len()
        ));
    }
    for rec in &d.recipients_to_notify {
        lines.push(format!(
            "  tell {rec} of the correction (法97), then record it: tokumei request notice {id} --kind correction_recipient --to {rec}"
        ));
    }
    Ok(lines)
}

/// Run a request command.
pub fn request(command: RequestCommand) -> Result<(), Failure> {
    match command {
        RequestCommand::Open { entry, change: ChangeArgs { registry, operator } } => {
            let entry = RequestEntry::load(&entry).map_err(reg_fail)?;
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let id = reg.open_request(&who(operator)?, &entry, &today()?).map_err(reg_fail)?;
            let r = get(&reg, id)?;
            say!("opened request {id} ({}), received {}, decision due {}", entry.kind.label(), r.entry.received, r.due);
            if r.subject.is_none() {
                say!("  next: find the person with `tokumei request match {id}`");
            }
            Ok(())
        }
        RequestCommand::List { view: ViewArgs { registry, json }, due_within, overdue, all } => {
            let within = due_within;
            let reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let today = today()?;
            // Accepted erasures whose internal copies are not all destroyed are still to do.
            let todo = reg.erasures_to_do().map_err(reg_fail)?;
            let copies =
                |r: &StoredRequest| todo.iter().find(|t| t.request_id == r.id).map_or(0, |t| t.outstanding.len());
            let to_do = |r: &StoredRequest| r.pending() || copies(r) > 0;
            let late = |r: &StoredRequest| r.overdue(&today) || copies(r) > 0 && today > r.deadline();
            let list: Vec<StoredRequest> = reg
                .requests()
                .map_err(reg_fail)?
                .into_iter()
                .filter(|r| all || to_do(r))
                .filter(|r| !overdue || late(r))
                .filter(|r| within.is_none_or(|w| to_do(r) && r.days_left(&today).is_some_and(|d| d <= w)))
                .collect();
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.id, "kind": r.entry.kind.as_str(), "status": r.status, "received": r.entry.received,
                            "deadline": r.deadline(), "days_left": r.days_left(&today), "overdue": late(r),
                            "extended": r.extension.is_some() || r.special.is_some(),
                            "copies_to_destroy": copies(r),
                            "part_by": r.special.as_ref().and_then(|e| e.part_by.clone()),
                            "part_decided": r.special.as_ref().and_then(|e| e.part_decided.clone()),
                        })
                    })
                    .collect();
                return json_out(&rows);
            }
            say!(
                "{:<4} {:<11} {:<12} {:<10} {:<10} {:>5}  flag",
                "id",
                "kind",
                "status",
                "received",
                "deadline",
                "left"
            );
            for r in &list {
                let left = r.days_left(&today).unwrap_or(0);
                let flag = if late(r) {
                    "OVERDUE"
                } else if to_do(r) && left <= 7 {
                    "due soon"
                } else {
                    ""
                };
                let n = copies(r);
                say!(
                    "{:<4} {:<11} {:<12} {:<10} {:<10} {:>5}  {flag}{}{}",
                    r.id,
                    r.entry.kind.as_str(),
                    r.status,
                    r.entry.received,
                    r.deadline(),
                    if to_do(r) { left.to_string() } else { "-".into() },
                    match &r.special {
                        Some(e) if e.part_by.is_some() && e.part_decided.is_none() => " (法84: 相当の部分)",
                        Some(_) => " (special extension)",
                        None if r.extension.is_some() => " (extended)",
                        None => "",
                    },
                    if n > 0 { format!(" ({n} internal copy(ies) to destroy)") } else { String::new() }
                );
            }
            if list.is_empty() {
                say!("no request matches");
            }
            Ok(())
        }
        RequestCommand::Show { id, view: ViewArgs { registry, json } } => {
            let reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let r = get(&reg, id)?;
            let events = reg.request_events(id).map_err(reg_fail)?;
            let today = today()?;
            let copies = reg.copies_of(&r).map_err(reg_fail)?;
            let outstanding = copies.iter().filter(|c| !c.done).count();
            if json {
                return json_out(&serde_json::json!({
                    "request": r, "deadline": r.deadline(),
                    "overdue": r.overdue(&today) || outstanding > 0 && today > r.deadline(),
                    "internal_copies": copies, "copies_to_destroy": outstanding, "events": events,
                }));
            }
            say!("request {id}: {} ({}), {}", r.entry.kind.label(), r.entry.kind.as_str(), r.status);
            say!("  requester      {} ({})", r.entry.requester, capacity_ja(&r));
            say!("  verified by    {}", r.entry.verification);
            say!("  records asked  {}", r.entry.records);
            say!(
                "  person         {}",
                match (&r.subject, &r.matched) {
                    (Some(_), Some(m)) => format!("matched ({}, {} candidate(s))", m.method, m.candidates),
                    _ => "not matched yet".into(),
                }
            );
            say!("  received       {} (defect days {})", r.entry.received, r.defect_days);
            say!("  deadline       {}{}", r.deadline(), if r.overdue(&today) { "  OVERDUE" } else { "" });
            if let Some(e) = &r.extension {
                say!("  extended       to {} ({} days)", e.until, e.days);
            }
            if let Some(e) = &r.special {
                match (&e.part_by, &e.part_decided) {
                    (Some(by), None) => {
                        say!("  special ext.   相当の部分 due {by} (not yet recorded), the rest by {}", e.until)
                    }
                    (Some(by), Some(done)) => {
                        say!("  special ext.   相当の部分 due {by}, decided {done}; the rest by {}", e.until)
                    }
                    _ => say!("  special ext.   decision by {}", e.until),
                }
            }
            for a in &r.attestations {
                say!(
                    "  attested       {} outside the registered sources: {} ({}, {})",
                    if a.held { "records held" } else { "none held" },
                    a.description,
                    a.date,
                    a.operator
                );
            }
            if let Some(d) = &r.decision {
                say!("  decision       {} on {}{}", d.decision, d.date, if d.late { " (late)" } else { "" });
            }
            if let Some(c) = &r.carried_out {
                say!("  carried out    {} by {}", c.date, c.method);
            }
            if !copies.is_empty() {
                say!(
                    "  internal copies to erase or stop (保有個人情報): {} of {} still to destroy{}",
                    outstanding,
                    copies.len(),
                    if outstanding > 0 && today > r.deadline() { "  OVERDUE" } else { "" }
                );
                for c in &copies {
                    let state = match (&c.destroyed, &c.replaced_by, c.abandoned) {
                        (Some(d), _, _) => format!("destroyed {} by {} ({})", d.date, d.operator, d.how),
                        (None, _, true) => "never published (abandoned)".into(),
                        (None, Some(by), _) => format!("replaced by {by}; destruction not recorded"),
                        (None, None, _) => "to replace and destroy".into(),
                    };
                    say!(
                        "    {} ({}{}): {state}",
                        c.copy.release_id,
                        copy_kind_ja(&c.copy.mode),
                        if c.copy.indexed { "" } else { ", may hold the person" }
                    );
                }
            }
            say!("  timeline:");
            for e in &events {
                say!("    {} {:<22} {}", e.time, e.event, e.operator);
            }
            Ok(())
        }
        RequestCommand::Match { id, choose, note, change: ChangeArgs { registry, operator } } => {
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let r = get(&reg, id)?;
            // Every candidate from every source: by the identifier given, or by name and birth date.
            let mut candidates: Vec<(String, Found, String)> = Vec::new();
            let in_scope = |f: &str| r.entry.files.is_empty() || r.entry.files.iter().any(|x| x == f);
            for s in reg.sources().map_err(reg_fail)?.into_iter().filter(|s| in_scope(&s.file)) {
                let place = place_of(&s)?;
                let found = match (&r.entry.subject, &r.entry.match_by, &s.name_column, &s.birth_column) {
                    (Some(id), _, _, _) => tokumei_engine::lookup::by_identifier(&place, &s.subject_column, id),
                    (None, Some(m), Some(n), Some(b)) => {
                        tokumei_engine::lookup::by_name_and_birth(&place, n, b, &m.name, &m.birth_date)
                    }
                    _ => continue,
                }
                .map_err(Failure::from)?;
                for f in found {
                    let sid = f
                        .fields
                        .iter()
                        .find(|(c, _)| c == &s.subject_column)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    candidates.push((sid, f, s.file.clone()));
                }
            }
            let mut ids: Vec<String> = candidates.iter().map(|c| tokumei_registry::normalize_subject(&c.0)).collect();
            ids.sort();
            ids.dedup();
            match choose {
                None => {
                    say!("{} candidate record(s), {} person(s):", candidates.len(), ids.len());
                    for (sid, f, file) in &candidates {
                        say!("  subject {sid}  {file} {}", f.location);
                        for (c, v) in f.fields.iter().filter(|(c, _)| !tokumei_registry::is_my_number_column(c)) {
                            say!("      {c}: {v}");
                        }
                    }
                    if !ids.is_empty() {
                        say!("record the person with `tokumei request match {id} --choose <subject> --note ...`");
                    }
                    Ok(())
                }
                Some(chosen) => {
                    let chosen = tokumei_registry::normalize_subject(&chosen);
                    // A person whose records are kept only outside the registered sources (paper
                    // files, other systems) is identified from those records, as attested.
                    let attested = !ids.contains(&chosen) && r.held_outside();
                    if !ids.contains(&chosen) && !attested {
                        return Err(refused(format!(
                            "request {id}: `{chosen}` is not among the {} candidate(s) found in the registered sources\n  hint: if the person's records are kept outside them (paper files, other systems), attest them first (`tokumei request attest {id} --held --description ...`)",
                            ids.len()
                        )));
                    }
                    let method = if attested {
                        "attested_outside"
                    } else if r.entry.subject.is_some() {
                        "identifier"
                    } else {
                        "name_and_birth_date"
                    };
                    reg.match_subject(&who(operator)?, id, &chosen, method, ids.len(), &note).map_err(reg_fail)?;
                    say!("request {id}: person recorded ({} candidate(s) shown)", ids.len());
                    Ok(())
                }
            }
        }
        RequestCommand::Defect { id, days, reason, change: ChangeArgs { registry, operator } } => {
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let due = reg.defect(&who(operator)?, id, days, &reason).map_err(reg_fail)?;
            say!("request {id}: {days} day(s) not counted; decision now due {due}");
            Ok(())
        }
        RequestCommand::Extend {
            id,
            days,
            until,
            special,
            reason,
            notice_date,
            out,
            change: ChangeArgs { registry, operator },
        } => {
            let today = today()?;
            let notice = notice_date.unwrap_or_else(|| today.clone());
            let ext = match (days, until, special) {
                (Some(days), None, false) => {
                    Extension { days, until: String::new(), reason, notice, part_by: None, part_decided: None }
                }
                (None, Some(until), true) => {
                    Extension { days: 0, until, reason, notice, part_by: None, part_decided: None }
                }
                _ => return Err(usage("give --days N, or --special --until DATE")),
            };
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let until = reg.extend(&who(operator)?, id, ext, special, &today).map_err(reg_fail)?;
            let r = get(&reg, id)?;
            let body = reg.profile().map_err(reg_fail)?.body;
            let e = if special { r.special.clone() } else { r.extension.clone() };
            let e = e.ok_or_else(|| refused("the extension was not recorded"))?;
            let dir = out_dir(&reg, id, out);
            let name = if special { "notice-special-extension.html" } else { "notice-extension.html" };
            write_private(&dir.join(name), extension_notice(&body, &r, &e, special).as_bytes())?;
            match &e.part_by {
                Some(by) => say!(
                    "request {id}: the 相当の部分 is due by {by} (法84: within the normal period), the rest by {until}; notice draft {}",
                    dir.join(name).display()
                ),
                None => say!("request {id}: deadline now {until}; notice draft {}", dir.join(name).display()),
            }
            Ok(())
        }
        RequestCommand::Disclose { id, job, out, change: ChangeArgs { registry, operator } } => {
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let r = get(&reg, id)?;
            if r.entry.kind != Kind::Disclosure {
                return Err(refused(format!("request {id} is not a disclosure request")));
            }
            let subject = r.subject.clone().ok_or_else(|| {
                refused(format!("request {id}: match the person first (`tokumei request match {id}`)"))
            })?;
            let found = search(&reg, &r, &subject, &job)?;
            // The digest covers the items and which of them start withheld.
            let items_json =
                serde_json::to_vec(&(&found.items, &found.others)).map_err(|e| fail(ExitCode::Internal, e.into()))?;
            let sha256 = {
                use sha2::Digest;
                hex::encode(sha2::Sha256::digest(&items_json))
            };
            let who = who(operator)?;
            let draft = Draft {
                sha256: sha256.clone(),
                items: found.items.len(),
                records: found.records,
                made: today()?,
                withheld_first: found.others.clone(),
                package: None,
            };
            if r.pending() {
                let cleared = reg.record_draft(&who, id, &draft).map_err(reg_fail)?;
                if cleared {
                    eprintln!(
                        "warning: the records changed since the last draft: the items withheld from it were cleared; withhold again"
                    );
                }
            } else if r.draft.as_ref().is_none_or(|d| d.sha256 != sha256) {
                return Err(refused(format!(
                    "request {id} is decided and the records differ from its decided draft: the package is not rewritten"
                )));
            }
            let r = get(&reg, id)?;
            let profile = reg.profile().map_err(reg_fail)?;
            let in_scope = |f: &str| r.entry.files.is_empty() || r.entry.files.iter().any(|x| x == f);
            let files: Vec<_> =
                reg.files().map_err(reg_fail)?.into_iter().filter(|f| in_scope(&f.entry.name)).collect();
            let withheld = |n: usize| r.withheld.iter().find(|w| w.item == n);
            let items: Vec<serde_json::Value> = found
                .items
                .iter()
                .map(|it| match withheld(it.item) {
                    Some(w) => serde_json::json!({"item": it.item, "file": it.file, "source": it.source, "location": it.location,
                        "column": it.column, "withheld": w.citation()}),
                    None => serde_json::json!({"item": it.item, "file": it.file, "source": it.source, "location": it.location,
                        "column": it.column, "value": it.value}),
                })
                .collect();
            let doc = serde_json::json!({
                "request": id, "body": profile.body, "made": who.time, "draft_sha256": sha256,
                "status": r.status, "decision": r.decision.as_ref().map(|d| d.decision.clone()),
                "files": files.iter().map(|f| serde_json::json!({"name": f.entry.name, "purpose": f.entry.purpose,
                    "regular_recipients": f.entry.regular_recipients, "request_office": f.entry.request_office})).collect::<Vec<_>>(),
                "searched": found.searched,
                "search_scope": "registered sources only: records the body keeps elsewhere (paper files, other systems) are those the officer attested",
                "attested_outside": r.attestations,
                "records": found.records,
                "items": items,
                "withheld": r.withheld,
                "note": "Anonymised releases (行政機関等匿名加工情報) are not personal information and are not part of the answer.",
            });
            let dir = out_dir(&reg, id, out);
            let json = serde_json::to_vec_pretty(&doc).map_err(|e| fail(ExitCode::Internal, e.into()))?;
            write_private(&dir.join("disclosure.json"), &json)?;
            let mut csv = String::from("item,file,source,location,column,value,withheld\n");
            for it in &found.items {
                let (v, w) = match withheld(it.item) {
                    Some(w) => (String::new(), w.citation()),
                    None => (it.value.clone(), String::new()),
                };
                csv.push_str(&format!(
                    "{},{},{},{},{},{},{}\n",
                    it.item,
                    tokumei_jp::csv_cell(&it.file),
                    tokumei_jp::csv_cell(&it.source),
                    tokumei_jp::csv_cell(&it.location),
                    tokumei_jp::csv_cell(&it.column),
                    tokumei_jp::csv_cell(&v),
                    tokumei_jp::csv_cell(&w)
                ));
            }
            write_private(&dir.join("disclosure.csv"), csv.as_bytes())?;
            let today = today()?;
            write_private(
                &dir.join("disclosure.html"),
                package_html(&profile, &profile.body, &r, &files, &found.items, &today).as_bytes(),
            )?;
            // The package on file now: the draft with the items withheld as read above.
            reg.record_package(&who, id, r.steps).map_err(reg_fail)?;
            say!(
                "request {id}: {} record(s), {} item(s), {} withheld; draft {} written to {}",
                found.records,
                found.items.len(),
                r.withheld.len(),
                &sha256[..12],
                dir.display()
            );
            Ok(())
        }
        RequestCommand::PartDecided { id, note, date, change: ChangeArgs { registry, operator } } => {
            let today = today()?;
            let day = date.unwrap_or_else(|| today.clone());
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let late = reg.decide_part(&who(operator)?, id, &note, &day, &today).map_err(reg_fail)?;
            let r = get(&reg, id)?;
            say!(
                "request {id}: the 相当の部分 decided on {day}{}; the rest is due by {}",
                if late { " (after its date, 法84)" } else { "" },
                r.deadline()
            );
            Ok(())
        }
        RequestCommand::Attest { id, held, none: _, description, date, change: ChangeArgs { registry, operator } } => {
            let today = today()?;
            let day = date.unwrap_or_else(|| today.clone());
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            reg.attest(&who(operator)?, id, held, &description, &day, &today).map_err(reg_fail)?;
            let disclosure = get(&reg, id)?.entry.kind == Kind::Disclosure;
            if held && disclosure {
                say!(
                    "request {id}: records outside the registered sources attested; rebuild the package (`tokumei request disclose {id}`) before deciding"
                );
            } else if held {
                say!("request {id}: records outside the registered sources attested");
            } else {
                say!("request {id}: the files outside the registered sources were searched and hold none (attested)");
            }
            Ok(())
        }
        RequestCommand::Withhold { id, item, ground, release, note, change: ChangeArgs { registry, operator } } => {
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let ground = if release { None } else { ground };
            reg.withhold(&who(operator)?, id, item, ground.as_deref(), &note).map_err(reg_fail)?;
            let r = get(&reg, id)?;
            match r.withheld.iter().find(|w| w.item == item) {
                Some(w) => say!(
                    "request {id}: item {item} withheld ({}); rebuild the package with `tokumei request disclose {id}`",
                    w.citation()
                ),
                None => say!("request {id}: item {item} disclosed"),
            }
            Ok(())
        }
        RequestCommand::Decide {
            id,
            decision,
            reason,
            ground,
            third_party_objection,
            date,
            out,
            change: ChangeArgs { registry, operator },
        } => {
            let today = today()?;
            let day = date.unwrap_or_else(|| today.clone());
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let d = reg
                .decide(&who(operator)?, id, &decision, &reason, ground.as_deref(), third_party_objection, &day, &today)
                .map_err(reg_fail)?;
            for line in decision_documents(&reg, id, &d, out)? {
                say!("{line}");
            }
            Ok(())
        }
        RequestCommand::Notice { id, kind, to, date, change: ChangeArgs { registry, operator } } => {
            let today = today()?;
            let day = date.unwrap_or_else(|| today.clone());
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            reg.notice(&who(operator)?, id, &kind, &to, &day, &today).map_err(reg_fail)?;
            say!("request {id}: {kind} notice to {to} recorded ({day})");
            Ok(())
        }
        RequestCommand::CarryOut {
            id,
            date,
            method,
            chosen,
            late_reason,
            change: ChangeArgs { registry, operator },
        } => {
            let today = today()?;
            let c = CarriedOut { date: date.unwrap_or_else(|| today.clone()), method, chosen };
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            reg.carry_out(&who(operator)?, id, &c, late_reason.as_deref(), &today).map_err(reg_fail)?;
            let p = reg.profile().map_err(reg_fail)?;
            let end = tokumei_registry::deadline::window_end(&c.date, p.correction_window_days, &p.closed_days)
                .unwrap_or_default();
            say!(
                "request {id}: disclosed on {} by {}; correction or suspension may be asked until {end}",
                c.date,
                c.method
            );
            if let Some(note) = tokumei_registry::deadline::holiday_note(&c.date, &end) {
                eprintln!("note: {note}");
            }
            Ok(())
        }
        RequestCommand::Close { id, reason, date, change: ChangeArgs { registry, operator } } => {
            let today = today()?;
            let day = date.unwrap_or_else(|| today.clone());
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            reg.close_request(&who(operator)?, id, &reason, &day, &today).map_err(reg_fail)?;
            say!("request {id}: closed");
            Ok(())
        }
        RequestCommand::RevokeCorrection { id, column, reason, change: ChangeArgs { registry, operator } } => {
            let mut reg = Registry::open(&registry.path).map_err(reg_fail)?;
            let columns = reg.revoke_correction(&who(operator)?, id, column.as_deref(), &reason).map_err(reg_fail)?;
            say!("request {id}: correction of {} revoked; later runs no longer apply it", columns.join(", "));
            Ok(())
        }
    }
}
