//! The pages, rendered from the registry (maud: compile-time checked, every value escaped).
//! No page names a person except a request's and an incident's people page, which the server
//! audits before it renders them.

use crate::ctx::Ctx;
use crate::svg::{self, Series};
use crate::text::Lang;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use std::collections::BTreeMap;
use tokumei_audit::JsonlLog;
use tokumei_registry::deadline::{days_between, japan_day};
use tokumei_registry::{Actor, Registry, State, StoredContract, StoredIncident, StoredRelease, StoredRequest};
use tokumei_report::{ClassStats, Report};

type Page = Result<Markup, String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

const NAV: [(&str, &str, &str); 6] = [
    ("/", "期限と状況", "Due"),
    ("/releases", "リリース", "Releases"),
    ("/contracts", "提案者・契約", "Contracts"),
    ("/requests", "開示等請求", "Requests"),
    ("/incidents", "漏えい等事案", "Incidents"),
    ("/audit", "監査ログ", "Audit"),
];

fn head(lang: Lang, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " — tokumei" }
            link rel="stylesheet" href="/static/console.css";
            meta name="description" content=(lang.t("tokumei 担当者コンソール", "tokumei officer console"));
        }
    }
}

/// The frame of every signed-in page.
fn layout(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    let l = ctx.lang;
    let section =
        NAV.iter().rev().find(|(p, _, _)| *p == "/" && ctx.path == "/" || *p != "/" && ctx.path.starts_with(p));
    html! {
        (DOCTYPE)
        html lang=(l.code()) {
            (head(l, title))
            body {
                header {
                    a.brand href="/" { "tokumei " span { "匿名" } }
                    nav {
                        @for (path, ja, en) in NAV {
                            @let here = section.is_some_and(|(p, _, _)| *p == path);
                            a href=(path) aria-current=[here.then_some("page")] { (l.t(ja, en)) }
                        }
                    }
                    div.who {
                        a href=(format!("/lang?to={}&back={}", l.t("en", "ja"), ctx.path)) lang=(l.t("en", "ja")) { (l.t("English", "日本語")) }
                        span { (ctx.operator) }
                        form method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(ctx.csrf);
                            button.link type="submit" { (l.t("終了", "Sign out")) }
                        }
                    }
                }
                main {
                    @if let Some(f) = &ctx.flash {
                        div class=(if f.ok { "flash ok" } else { "flash bad" }) role="status" id="flash" {
                            @for line in &f.lines { p { (line) } }
                        }
                    }
                    h1 { (title) }
                    (body)
                }
                footer { (l.t("本日", "Today")) " " (ctx.today) " · " (l.t("127.0.0.1 のみで待ち受け", "listening on 127.0.0.1 only")) }
            }
        }
    }
}

fn bare(lang: Lang, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(lang, title))
            body { main.narrow { h1 { (title) } (body) } }
        }
    }
}

/// No session (or it ended).
pub(crate) fn signed_out(lang: Lang, status: StatusCode) -> Response {
    let page = bare(
        lang,
        lang.t("ログインしてください", "Sign in"),
        html! {
            p { (lang.t(
                "`tokumei serve` が起動時に表示したログイン用アドレスを開いてください（一度だけ使えます）。新しいアドレスが必要なときは tokumei serve を起動し直してください。",
                "Open the login address `tokumei serve` printed when it started (it works once). For a new one, start tokumei serve again."
            )) }
        },
    );
    (status, page).into_response()
}

/// A wrong or used login token.
pub(crate) fn login_refused(lang: Lang) -> Response {
    let page = bare(
        lang,
        lang.t("ログインできません", "Cannot sign in"),
        html! {
            p { (lang.t(
                "このログイン用アドレスは使用済みか、正しくありません。tokumei serve を起動し直すと新しいアドレスが表示されます。",
                "This login address was already used or is wrong. Start tokumei serve again for a new one."
            )) }
        },
    );
    (StatusCode::FORBIDDEN, page).into_response()
}

/// Nothing here.
pub(crate) fn not_found(ctx: &Ctx) -> Markup {
    layout(
        ctx,
        ctx.lang.t("見つかりません", "Not found"),
        html! { p { a href="/" { (ctx.lang.t("期限と状況へ", "Back to what is due")) } } },
    )
}

/// A page that could not be made.
pub(crate) fn failed(ctx: &Ctx, e: &str) -> Markup {
    layout(ctx, ctx.lang.t("表示できません", "Cannot show this page"), html! { div.flash.bad { p { (e) } } })
}

/// A contract state in words.
pub(crate) fn state_label(l: Lang, s: State) -> &'static str {
    match s {
        State::Received => l.t("提案受付", "proposal received"),
        State::CorrectionsRequested => l.t("補正依頼中", "corrections requested"),
        State::Reviewed => l.t("審査済み", "reviewed"),
        State::Fit => l.t("適合通知済み", "notified fit"),
        State::NotFit => l.t("不適合通知済み", "notified not fit"),
        State::FeePaid => l.t("手数料納付済み", "fee paid"),
        State::Contracted => l.t("契約締結済み", "contracted"),
        State::Created => l.t("作成済み", "created"),
        State::Provided => l.t("提供済み", "provided"),
        State::RegisterUpdated => l.t("ファイル簿更新済み（旧）", "register updated (older registries)"),
        State::UseEnded => l.t("利用期間終了", "use ended"),
        State::Closed => l.t("返還・消去確認済み", "closed"),
        State::ChangeOfUse => l.t("事業の変更を審査中（法118条）", "change of business under review (法118)"),
        State::Cancelled => l.t("契約解除", "cancelled"),
        State::Withdrawn => l.t("取下げ", "withdrawn"),
    }
}

/// An incident report's stage in words.
pub(crate) fn stage_label(l: Lang, stage: &str) -> &'static str {
    match stage {
        "preliminary" => l.t("速報", "preliminary report"),
        "final" => l.t("確報", "final report"),
        _ => l.t("報告", "report"),
    }
}

/// A release's kind in words. A public body's pseudonymised output is still personal
/// information it holds (仮名化した保有個人情報): 仮名加工情報 is a business's (法41).
fn mode_label(l: Lang, mode: &str, actor: Actor) -> &'static str {
    match (mode, actor) {
        ("anonymized", _) => l.t("匿名加工情報", "anonymised"),
        ("pseudonymized", Actor::PublicBody) => {
            l.t("仮名化した保有個人情報", "pseudonymised personal information (held by the body)")
        }
        ("pseudonymized", _) => l.t("仮名加工情報", "pseudonymised (仮名加工情報)"),
        _ => l.t("その他", "other"),
    }
}

fn request_kind(l: Lang, r: &StoredRequest) -> &'static str {
    use tokumei_registry::Kind as K;
    match (l, r.entry.kind) {
        (Lang::Ja, k) => k.label(),
        (Lang::En, K::Disclosure) => "disclosure",
        (Lang::En, K::Correction) => "correction",
        (Lang::En, K::Suspension) => "suspension of use",
        (Lang::En, K::OptOut) => "opt-out",
    }
}

fn status_label(l: Lang, s: &str) -> &'static str {
    match s {
        "open" => l.t("対応中", "open"),
        "decided" => l.t("決定済み", "decided"),
        "carried_out" => l.t("実施済み", "carried out"),
        "closed" => l.t("終了", "closed"),
        "published" => l.t("公開済み", "published"),
        "publishing" => l.t("作成中（未確定）", "publishing (unsettled)"),
        "abandoned" => l.t("中止", "abandoned"),
        _ => l.t("不明", "unknown"),
    }
}

/// How far a date is: overdue, due soon, or later.
fn urgency(today: &str, due: &str) -> (&'static str, i64) {
    let days = days_between(today, due).unwrap_or(0);
    (
        if days < 0 {
            "overdue"
        } else if days <= 7 {
            "soon"
        } else {
            "later"
        },
        days,
    )
}

fn days_text(l: Lang, days: i64) -> String {
    match (l, days) {
        (Lang::Ja, d) if d < 0 => format!("{}日超過", -d),
        (Lang::Ja, 0) => "本日".into(),
        (Lang::Ja, d) => format!("あと{d}日"),
        (Lang::En, d) if d < 0 => format!("{} days overdue", -d),
        (Lang::En, 0) => "today".into(),
        (Lang::En, d) => format!("{d} days left"),
    }
}

/// One thing due.
struct Due {
    what: String,
    link: String,
    date: String,
}

/// A part of the registry, or nothing and a problem said (a row edited outside tokumei must
/// not hide everything else that is due).
fn read<T>(problems: &mut Vec<String>, what: &str, r: Result<Vec<T>, tokumei_registry::RegistryError>) -> Vec<T> {
    r.unwrap_or_else(|e| {
        problems.push(format!("{what}: {e}"));
        Vec::new()
    })
}

fn due_items(reg: &Registry, ctx: &Ctx, problems: &mut Vec<String>) -> Result<(Vec<Due>, [u64; 8]), String> {
    let l = ctx.lang;
    let today = ctx.today.as_str();
    let mut due = Vec::new();
    let requests = read(problems, l.t("請求", "requests"), reg.requests());
    let open_requests = requests.iter().filter(|r| r.pending()).count() as u64;
    for r in requests.iter().filter(|r| r.pending()) {
        due.push(Due {
            what: format!("{} {} · {}", l.t("請求", "Request"), r.id, request_kind(l, r)),
            link: format!("/requests/{}", r.id),
            date: r.deadline(),
        });
    }
    // Accepted erasures and stops of use whose internal copies are not all destroyed.
    for t in read(problems, l.t("内部利用の情報の消去", "internal copies to erase"), reg.erasures_to_do()) {
        due.push(Due {
            what: format!(
                "{} {} · {} ({})",
                l.t("請求", "Request"),
                t.request_id,
                l.t("内部利用の保有個人情報の置換え・消去", "replace and destroy internal copies"),
                t.outstanding.len()
            ),
            link: format!("/requests/{}", t.request_id),
            date: t.due,
        });
    }
    let incidents = read(problems, l.t("事案", "incidents"), reg.incidents());
    let open_incidents = incidents.iter().filter(|i| i.status == "open").count() as u64;
    let mut to_notify = 0;
    for i in incidents.iter().filter(|i| i.status == "open") {
        to_notify += i.notices.pending();
        if let Some((stage, date)) = i.next_due() {
            due.push(Due {
                what: format!("{} {} · {}", l.t("事案", "Incident"), i.id, stage_label(l, stage)),
                link: format!("/incidents/{}", i.id),
                date,
            });
        }
    }
    let contracts = read(problems, l.t("契約", "contracts"), reg.contracts());
    let mut in_use = 0;
    for c in &contracts {
        if c.state.allows_provision() {
            in_use += 1;
            if days_between(today, &c.proposal.use_until).is_some_and(|d| d <= 60) {
                due.push(Due {
                    what: format!(
                        "{} {} · {} ({})",
                        l.t("契約", "Contract"),
                        c.id,
                        l.t("利用期間の終了", "use period ends"),
                        c.recipient
                    ),
                    link: format!("/contracts/{}", c.id),
                    date: c.proposal.use_until.clone(),
                });
            }
        }
    }
    // 法111, 規則53: a body that must call for proposals calls every fiscal year (by 31 March).
    let calls = read(problems, l.t("提案の募集", "calls for proposals"), reg.call_warnings(today));
    if !calls.is_empty()
        && let Some((_, _, last)) = tokumei_registry::fiscal_year(today)
    {
        due.push(Due {
            what: format!(
                "{} ({})",
                l.t(
                    "提案の募集（法111条・規則53条）：今年度の募集がまだありません（tokumei call open）",
                    "call for proposals (法111, 規則53): none opened this fiscal year yet (tokumei call open)"
                ),
                calls.len()
            ),
            link: "/contracts".into(),
            date: last,
        });
    }
    let purges = read(problems, l.t("保存期間", "retention"), reg.expired(today));
    for p in &purges {
        due.push(Due {
            what: format!(
                "{} {} · {}",
                l.t("契約", "Contract"),
                p.contract_id,
                l.t(
                    "保存期間満了：記録の削除（tokumei registry purge-expired）",
                    "retention ended: purge its records (tokumei registry purge-expired)"
                )
            ),
            link: format!("/contracts/{}", p.contract_id),
            date: p.retained_until.clone(),
        });
    }
    due.sort_by(|a, b| a.date.cmp(&b.date).then(a.what.cmp(&b.what)));
    let overdue = due.iter().filter(|d| d.date.as_str() < today).count() as u64;
    let releases =
        read(problems, l.t("リリース", "releases"), reg.releases()).iter().filter(|r| r.status == "published").count()
            as u64;
    Ok((
        due,
        [
            overdue,
            open_requests,
            open_incidents,
            to_notify,
            in_use,
            purges.len() as u64,
            releases,
            contracts.len() as u64,
        ],
    ))
}

/// The dashboard: what is due and overdue, with counts.
pub(crate) fn dashboard(reg: &Registry, ctx: &Ctx) -> Page {
    let l = ctx.lang;
    let mut problems = Vec::new();
    let (due, [overdue, requests, incidents, to_notify, in_use, purges, releases, _]) =
        due_items(reg, ctx, &mut problems)?;
    let profile = reg.profile().map_err(err)?;
    let body = html! {
        p.lead { (profile.body) " · " (l.t("登録簿", "registry")) " " code { (reg.path().display()) } }
        @if !problems.is_empty() {
            div.verdict.bad #unreadable {
                p { (l.t("登録簿の一部を読めません（tokumei の外で変更された可能性があります。監査ログのページで検証してください）：", "Part of the registry cannot be read (it may have been edited outside tokumei; check it on the audit page):")) }
                ul { @for p in &problems { li { (p) } } }
            }
        }
        div.cards {
            a.card.bad[overdue > 0] href="#due" { strong #count-overdue { (overdue) } span { (l.t("期限超過", "overdue")) } }
            a.card href="/requests" { strong #count-requests { (requests) } span { (l.t("対応中の請求", "open requests")) } }
            a.card href="/incidents" { strong #count-incidents { (incidents) } span { (l.t("対応中の事案", "open incidents")) } }
            a.card href="/incidents" { strong { (to_notify) } span { (l.t("未通知の本人", "people to notify")) } }
            a.card href="/contracts" { strong { (in_use) } span { (l.t("利用中の契約", "contracts in use")) } }
            a.card href="#due" { strong { (purges) } span { (l.t("削除すべき記録", "records to purge")) } }
            a.card href="/releases" { strong { (releases) } span { (l.t("公開済みリリース", "published releases")) } }
        }
        h2 #due { (l.t("期限", "What is due")) }
        @if due.is_empty() {
            p.empty { (l.t("期限のあるものはありません。", "Nothing is due.")) }
        } @else {
            table.due {
                thead { tr { th { (l.t("期限", "Due")) } th { (l.t("残り", "When")) } th { (l.t("内容", "What")) } } }
                tbody {
                    @for d in &due {
                        @let (class, days) = urgency(&ctx.today, &d.date);
                        tr class=(class) {
                            td { (d.date) }
                            td { (days_text(l, days)) }
                            td { a href=(d.link) { (d.what) } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(ctx, l.t("期限と状況", "What is due"), body))
}

fn release_row(l: Lang, r: &StoredRelease, actor: Actor) -> Markup {
    html! {
        tr {
            td { a href=(format!("/releases/{}", r.id)) { (r.release.release_id) } }
            td { (mode_label(l, &r.release.mode, actor)) }
            td { @match &r.recipient { Some(n) => (n), None => (l.t("内部利用", "internal use")) } }
            td { @if let Some(c) = r.release.contract_id { a href=(format!("/contracts/{c}")) { (c) } } }
            // Made on: the date in Japan of the release's time (the registry's dates are Japan's).
            td { (japan_day(&r.time).unwrap_or_else(|| r.time.clone())) }
            td.num { (r.release.rows) }
            td.num { (r.release.k_achieved) }
            td.num { @if let Some(lv) = r.release.l_achieved { (lv) } @else { "—" } }
            td { (status_label(l, &r.status)) @if r.destroyed.is_some() { " · " (l.t("消去済み", "destroyed")) } }
        }
    }
}

fn release_head(l: Lang) -> Markup {
    html! {
        thead { tr {
            th { (l.t("リリース", "Release")) } th { (l.t("種類", "Kind")) } th { (l.t("提供先", "Recipient")) }
            th { (l.t("契約", "Contract")) } th { (l.t("作成日", "Date")) } th { (l.t("行数", "Rows")) }
            th { "k" } th { "l" } th { (l.t("状態", "Status")) }
        } }
    }
}

/// Every release.
pub(crate) fn releases(reg: &Registry, ctx: &Ctx) -> Page {
    let l = ctx.lang;
    let mut all = reg.releases().map_err(err)?;
    let actor = reg.profile().map_err(err)?.actor;
    all.sort_by(|a, b| b.time.cmp(&a.time));
    let body = html! {
        @if all.is_empty() { p.empty { (l.t("リリースはまだありません。", "No release yet.")) } }
        @else {
            table { (release_head(l)) tbody { @for r in &all { (release_row(l, r, actor)) } } }
        }
    };
    Ok(layout(ctx, l.t("リリース", "Releases"), body))
}

fn kv(rows: Vec<(&str, Markup)>) -> Markup {
    html! { table.kv { tbody { @for (k, v) in rows { tr { th { (k) } td { (v) } } } } } }
}

/// The report.json of a published release, if readable as a report.
fn report_of(r: &StoredRelease) -> Option<Report> {
    tokumei_report::read(&std::path::Path::new(&r.release.release_dir).join("report.json")).ok()
}

/// A number of a report as its JSON gives it (`null` for none).
fn json_number(v: Option<f64>) -> String {
    serde_json::to_string(&v).unwrap_or_default()
}

fn histogram(l: Lang, report: &Report) -> Option<Markup> {
    let bands =
        |s: &ClassStats| -> Vec<(String, u64)> { s.histogram.iter().map(|b| (b.sizes.clone(), b.records)).collect() };
    let after = bands(&report.after);
    let before = bands(&report.before);
    let labels: Vec<String> = after.iter().map(|(s, _)| s.clone()).collect();
    let value = |set: &[(String, u64)], label: &str| set.iter().find(|(s, _)| s == label).map_or(0, |(_, v)| *v);
    Some(svg::bars(
        l.t("同値クラスの大きさ別のレコード数", "Records by the size of their class"),
        &labels,
        &[
            Series {
                name: l.t("加工前", "before"),
                class: "a",
                values: labels.iter().map(|s| value(&before, s)).collect(),
            },
            Series {
                name: l.t("リリース", "released"), class: "b", values: after.iter().map(|(_, v)| *v).collect()
            },
        ],
    ))
}

/// One release: what it is, its checks against the audit log and its files, its class sizes
/// and privacy models, and its full report.
pub(crate) fn release(reg: &Registry, ctx: &Ctx, id: i64) -> Result<Option<Markup>, String> {
    let l = ctx.lang;
    let Some(r) = reg.releases().map_err(err)?.into_iter().find(|r| r.id == id) else {
        return Ok(None);
    };
    let mut problems = Vec::new();
    if r.status != "abandoned" {
        match JsonlLog::new(&r.release.audit_log).scan() {
            Ok(scan) => problems.extend(r.check_entry(&scan.entries)),
            Err(e) => problems.push(format!("audit log: {e}")),
        }
        if r.status == "published" {
            problems.extend(r.check_files());
        }
    }
    let report = (r.status == "published").then(|| report_of(&r)).flatten();
    let actor = reg.profile().map_err(err)?.actor;
    let rel = &r.release;
    let body = html! {
        @if problems.is_empty() {
            p.verdict.ok #verify { (l.t("検証：監査ログの記録とファイルのハッシュが一致しています。", "Verified: its audit entry and its files' hashes match.")) }
        } @else {
            div.verdict.bad #verify {
                p { (l.t("検証で問題が見つかりました：", "Verification found problems:")) }
                ul { @for p in &problems { li { (p) } } }
            }
        }
        (kv(vec![
            (l.t("リリースID", "Release id"), html! { code { (rel.release_id) } }),
            (l.t("種類", "Kind"), html! { (mode_label(l, &rel.mode, actor)) }),
            (l.t("データセット", "Dataset"), html! { (rel.dataset) }),
            (l.t("提供先", "Recipient"), html! { @match &r.recipient { Some(n) => (n), None => (l.t("内部利用", "internal use")) } }),
            (l.t("契約", "Contract"), html! { @if let Some(c) = rel.contract_id { a href=(format!("/contracts/{c}")) { (c) } } @else { "—" } }),
            (l.t("作成", "Made"), html! { (r.time) " · " (r.operator) }),
            (l.t("行数", "Rows"), html! { (rel.rows) }),
            (l.t("達成した k", "k achieved"), html! { (rel.k_achieved) }),
            (l.t("達成した l", "l achieved"), html! { @if let Some(v) = rel.l_achieved { (v) } @else { "—" } }),
            (l.t("状態", "Status"), html! { (status_label(l, &r.status)) }),
            (l.t("置換え", "Replacement"), html! {
                @if let Some(old) = &rel.replaces { (l.t("次を置き換え：", "replaces ")) code { (old) } br; }
                @if let Some(by) = &r.replaced_by { (l.t("次に置き換えられた：", "replaced by ")) code { (by) } }
                @if rel.replaces.is_none() && r.replaced_by.is_none() { "—" }
            }),
            (l.t("消去", "Destroyed"), html! { @if let Some(d) = &r.destroyed { (d.date) " · " (d.how) " · " (d.operator) } @else { "—" } }),
            (l.t("監査ログ", "Audit entry"), html! { (rel.audit_seq) " · " code { (rel.audit_log) } }),
            (l.t("ファイル", "Files"), html! { @for f in &rel.outputs { code { (f.name) } " " small { (f.sha256.get(..16).unwrap_or(&f.sha256)) "…" } br; } }),
        ]))
        @if let Some(rep) = &report {
            h2 { (l.t("同値クラスの大きさ", "Class sizes")) }
            @if let Some(chart) = histogram(l, rep) { figure #histogram { (chart) figcaption { (l.t(
                "準識別子の組合せが同じレコードの集まり（同値クラス）の大きさ別に、レコード数を示します。小さいクラスほど再識別のリスクが高くなります。",
                "Records by the size of the class (records sharing every quasi-identifier) they fall in: the smaller the class, the higher the risk of re-identification."
            )) } } }
            @if !rep.models.is_empty() {
                h2 { (l.t("プライバシーモデル", "Privacy models")) }
                table {
                    thead { tr { th { (l.t("モデル", "Model")) } th { (l.t("要件", "Required")) } th { (l.t("達成", "Achieved")) } th { (l.t("抑制した行", "Rows suppressed")) } } }
                    tbody { @for m in &rep.models {
                        tr {
                            td { (l.t(&m.name_ja, &m.name)) }
                            td.num { (json_number(Some(m.required))) }
                            td.num { (json_number(m.achieved)) }
                            td.num { (m.rows_suppressed) }
                        }
                    } }
                }
            }
            p { a.button href=(format!("/releases/{id}/report")) { (l.t("作成報告書の全文", "The full report")) } }
        }
    };
    Ok(Some(layout(ctx, &format!("{} {}", l.t("リリース", "Release"), rel.release_id), body)))
}

/// Recipients and their contracts.
pub(crate) fn contracts(reg: &Registry, ctx: &Ctx) -> Page {
    let l = ctx.lang;
    let recipients = reg.recipients().map_err(err)?;
    let contracts = reg.contracts().map_err(err)?;
    let calls = reg.calls().map_err(err)?;
    let call_warnings = reg.call_warnings(&ctx.today).map_err(err)?;
    let body = html! {
        h2 { (l.t("提案者（事業者）", "Recipients")) }
        @if recipients.is_empty() { p.empty { (l.t("登録された事業者はありません。", "No recipient registered.")) } }
        @else {
            table {
                thead { tr { th { (l.t("名称", "Name")) } th { (l.t("契約", "Contracts")) } th { (l.t("欠格", "Barred")) } } }
                tbody { @for (_, r, barred) in &recipients {
                    tr {
                        td { (r.name) }
                        td.num { (contracts.iter().filter(|c| c.recipient == r.name).count()) }
                        td { @match barred { Some(d) if d.as_str() >= ctx.today.as_str() => span.badge.bad { (l.t("解除により ", "until ")) (d) (l.t(" まで", "")) }, _ => "—" } }
                    }
                } }
            }
        }
        h2 { (l.t("提案の募集（法111条）", "Calls for proposals (法111)")) }
        @for w in &call_warnings { div.flash.bad { p { (w) } } }
        @if calls.is_empty() { p.empty { (l.t("募集の記録はありません（tokumei call open）。", "No call recorded (tokumei call open).")) } }
        @else {
            table {
                thead { tr { th { "ID" } th { (l.t("期間", "Period")) } th { (l.t("状態", "Status")) } th { (l.t("ファイル", "Files")) } th { (l.t("備考", "Note")) } } }
                tbody { @for c in &calls {
                    tr {
                        td { (c.id) }
                        td { (c.open_from) " – " (c.open_until) @if let Some(d) = &c.closed_on { " (" (l.t("終了 ", "closed ")) (d) ")" } }
                        td { (match c.status(&ctx.today) {
                            "open" => l.t("募集中", "open"),
                            "announced" => l.t("開始前", "not yet open"),
                            "ended" => l.t("終了", "ended"),
                            _ => l.t("打切り", "closed"),
                        }) }
                        td { (c.files.join("、")) }
                        td { (c.note.as_deref().unwrap_or("—")) }
                    }
                } }
            }
        }
        h2 { (l.t("提案と契約", "Proposals and contracts")) }
        @if contracts.is_empty() { p.empty { (l.t("提案はまだありません。", "No proposal yet.")) } }
        @else {
            table {
                thead { tr { th { "ID" } th { (l.t("提案者", "Recipient")) } th { (l.t("ファイル", "File")) } th { (l.t("状態", "State")) } th { (l.t("利用期間", "Use period")) } th { (l.t("手数料", "Fee")) } } }
                tbody { @for c in &contracts {
                    tr {
                        td { a href=(format!("/contracts/{}", c.id)) { (c.id) } @if c.kind != tokumei_registry::ProposalKind::Article112 { " " span.badge { "法118" } } }
                        td { (c.recipient) }
                        td { (c.file) }
                        td { (state_label(l, c.state)) }
                        td { (c.proposal.use_from) " – " (c.proposal.use_until) }
                        td.num { @if let Some(f) = c.fee_yen { (f) (l.t("円", " yen")) } @else { "—" } }
                    }
                } }
            }
        }
    };
    Ok(layout(ctx, l.t("提案者・契約", "Recipients and contracts"), body))
}

fn version_field(n: i64) -> Markup {
    html! { input type="hidden" name="version" value=(n); }
}

fn csrf_field(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf); }
}

/// A contract with its workflow history, provisions and releases, and the next step.
pub(crate) fn contract(reg: &Registry, ctx: &Ctx, id: i64) -> Result<Option<Markup>, String> {
    let l = ctx.lang;
    let Some(c): Option<StoredContract> = reg.contract(id).map_err(err)? else {
        return Ok(None);
    };
    let provisions = reg.provisions(Some(id)).map_err(err)?;
    let releases: Vec<StoredRelease> =
        reg.releases().map_err(err)?.into_iter().filter(|r| r.release.contract_id == Some(id)).collect();
    let next: Vec<State> = c.state.next().iter().copied().filter(|s| *s != State::Cancelled).collect();
    let p = &c.proposal;
    let kind = match c.kind {
        tokumei_registry::ProposalKind::Article112 => l.t("法112条の提案（作成）", "法112 proposal (creation)"),
        tokumei_registry::ProposalKind::Article118 => {
            l.t("法118条の提案（作成済みの情報の利用）", "法118 proposal (data already made)")
        }
        tokumei_registry::ProposalKind::ChangeOfUse => {
            l.t("法118条の提案（契約者の事業の変更）", "法118 proposal (the contractor's change of business)")
        }
    };
    let fee_basis = c.fee_basis.as_ref().map(|b| match b["article"].as_str() {
        Some("法119条3項") => format!(
            "法119条3項: {} + {} × {} ({} h) + {}",
            b["base_yen"], b["per_hour_yen"], b["hours_billed"], b["hours"], b["contractor_cost_yen"]
        ),
        Some(a) => format!("{a}: {}", b["amount_yen"]),
        None => String::new(),
    });
    let body = html! {
        p.lead { span.badge { (state_label(l, c.state)) } }
        (kv(vec![
            (l.t("種別", "Kind"), html! {
                (kind)
                @if let Some(r) = &p.release { " · " (l.t("リリース ", "release ")) (r) }
                @if let Some(pid) = c.parent_id { " · " a href=(format!("/contracts/{pid}")) { (l.t("元の契約 ", "contract ")) (pid) } }
                @if let Some(call) = c.call_id { " · " (l.t("募集 ", "call ")) (call) }
            }),
            (l.t("提案者", "Recipient"), html! { (c.recipient) }),
            (l.t("ファイル", "File"), html! { (c.file) }),
            (l.t("人数", "People"), html! { (p.people) }),
            (l.t("利用目的", "Purpose"), html! { (p.purpose) }),
            (l.t("加工の方法", "Processing"), html! { (p.method) }),
            (l.t("利用期間", "Use period"), html! { (p.use_from) " – " (p.use_until) }),
            (l.t("安全管理措置", "Safety measures"), html! { (p.safety_measures) }),
            (l.t("項目", "Columns"), html! { @for g in &p.columns { (g.name) "（" (g.granularity) "） " } }),
            (l.t("手数料", "Fee"), html! {
                @if let Some(f) = c.fee_yen { (f) (l.t("円", " yen")) @if let Some(b) = &fee_basis { " （" (b) "）" } } @else { "—" }
            }),
        ]))
        @if !next.is_empty() {
            h2 { (l.t("次の手続", "Next step")) }
            form.action method="post" action=(format!("/contracts/{id}/advance")) #advance {
                (csrf_field(ctx)) (version_field(c.history.len() as i64))
                label { (l.t("次の状態", "Move to")) " "
                    select name="to" { @for s in &next { option value=(s.as_str()) { (state_label(l, *s)) } } }
                }
                @if next.contains(&State::FeePaid) && c.kind == tokumei_registry::ProposalKind::Article112 {
                    label { (l.t("作成作業時間（1時間未満の端数は1時間、法119条3項）", "Hours of work (a part of an hour counts as an hour, 法119条3項)")) " " input type="number" name="hours" min="0" step="0.25"; }
                    label { (l.t("作成の委託費（円）", "Contractor's cost (yen)")) " " input type="number" name="contractor_cost" min="0"; }
                }
                @if next.contains(&State::FeePaid) && c.kind != tokumei_registry::ProposalKind::Article112 {
                    label { (l.t("手数料（円、法119条4項: プロファイルに額がない場合）", "Fee (yen, 法119条4項: where the profile sets none)")) " " input type="number" name="fee_yen" min="0"; }
                }
                label.wide { (l.t("メモ（理由・受領番号など）", "Note (reasons, receipts, references)")) " " input type="text" name="note"; }
                button type="submit" { (l.t("記録する", "Record")) }
            }
            p.hint { (l.t("審査・通知・解除はコマンドで行います（tokumei contract review / cancel）。", "Review, notices and cancellation are made with the CLI (tokumei contract review / cancel).")) }
        }
        h2 { (l.t("経過", "History")) }
        ol.timeline {
            @for t in &c.history {
                li {
                    time { (t.time) } " "
                    strong { (State::parse(&t.to).map_or(t.to.as_str(), |s| state_label(l, s))) }
                    " · " (t.operator)
                    @if let Some(n) = &t.note { " · " (n) }
                }
            }
        }
        h2 { (l.t("提供の記録", "Records of provision")) }
        @if provisions.is_empty() { p.empty { (l.t("提供の記録はありません。", "Nothing provided yet.")) } }
        @else {
            table {
                thead { tr { th { (l.t("リリース", "Release")) } th { (l.t("提供日", "Date")) } th { (l.t("媒体", "Medium")) } th { (l.t("受領", "Receipt")) } } }
                tbody { @for pr in &provisions { tr { td { (pr.release_id) } td { (pr.date) } td { (pr.medium) } td { (pr.receipt) } } } }
            }
        }
        @if !releases.is_empty() {
            h2 { (l.t("この契約のリリース", "Releases under this contract")) }
            @let actor = reg.profile().map(|p| p.actor).unwrap_or_default();
            table { (release_head(l)) tbody { @for r in &releases { (release_row(l, r, actor)) } } }
        }
    };
    Ok(Some(layout(ctx, &format!("{} {id}", l.t("契約", "Contract")), body)))
}

/// The last twelve months up to `today` (YYYY-MM), oldest first.
fn months(today: &str) -> Vec<String> {
    let (y, m) =
        (today.get(..4).and_then(|y| y.parse::<i32>().ok()), today.get(5..7).and_then(|m| m.parse::<i32>().ok()));
    let (Some(y), Some(m)) = (y, m) else { return Vec::new() };
    let now = y * 12 + (m - 1);
    (0..12).rev().map(|back| now - back).map(|n| format!("{:04}-{:02}", n / 12, n % 12 + 1)).collect()
}

/// Requests: a chart per month and the list (no names: those are on a request's own page).
pub(crate) fn requests(reg: &Registry, ctx: &Ctx) -> Page {
    let l = ctx.lang;
    let mut all = reg.requests().map_err(err)?;
    all.sort_by_key(|r| std::cmp::Reverse(r.id));
    // Decided, but internal copies still to replace and destroy: still to do by the deadline.
    let copies: Vec<i64> = reg.erasures_to_do().map_err(err)?.iter().map(|t| t.request_id).collect();
    let labels = months(&ctx.today);
    let mut per: BTreeMap<&str, [u64; 2]> = BTreeMap::new();
    for r in &all {
        if let Some(m) = r.entry.received.get(..7) {
            per.entry(m).or_default()[usize::from(r.entry.kind != tokumei_registry::Kind::Disclosure)] += 1;
        }
    }
    let series = [
        Series {
            name: l.t("開示請求", "disclosure"),
            class: "a",
            values: labels.iter().map(|m| per.get(m.as_str()).map_or(0, |v| v[0])).collect(),
        },
        Series {
            name: l.t("訂正・利用停止等", "correction, suspension"),
            class: "b",
            values: labels.iter().map(|m| per.get(m.as_str()).map_or(0, |v| v[1])).collect(),
        },
    ];
    let short: Vec<String> = labels.iter().map(|m| m.get(2..).unwrap_or(m).to_string()).collect();
    let body = html! {
        figure #per-month {
            (svg::bars(l.t("月別の受付件数（直近12か月）", "Requests received per month (last 12 months)"), &short, &series))
            figcaption { (l.t("月別の受付件数（直近12か月）", "Requests received per month (last 12 months)")) }
        }
        @if all.is_empty() { p.empty { (l.t("請求はまだありません。", "No request yet.")) } }
        @else {
            table {
                thead { tr { th { "ID" } th { (l.t("種類", "Kind")) } th { (l.t("受付日", "Received")) } th { (l.t("状態", "Status")) } th { (l.t("決定期限", "Deadline")) } th { (l.t("残り", "When")) } } }
                tbody { @for r in &all {
                    @let (class, days) = urgency(&ctx.today, &r.deadline());
                    @let to_do = r.pending() || copies.contains(&r.id);
                    tr class=[to_do.then_some(class)] {
                        td { a href=(format!("/requests/{}", r.id)) { (r.id) } }
                        td { (request_kind(l, r)) }
                        td { (r.entry.received) }
                        td {
                            (status_label(l, &r.status))
                            @if copies.contains(&r.id) { " · " (l.t("内部利用の情報の置換え・消去待ち", "internal copies to destroy")) }
                        }
                        td { (r.deadline()) }
                        td { @if to_do { (days_text(l, days)) } @else { "—" } }
                    }
                } }
            }
        }
    };
    Ok(layout(ctx, l.t("開示等請求", "Requests"), body))
}

/// What a timeline shows of an event's details: everything (a page audited as a view), or only
/// the plain values under these keys (an incident's facts can name a person, e.g. in the `where`
/// that found its records).
#[derive(Clone, Copy)]
enum Details {
    All,
    Only(&'static [&'static str]),
}

/// An incident's event details safe to show without naming anyone.
const INCIDENT_DETAILS: Details = Details::Only(&[
    "stage",
    "date",
    "reference",
    "late",
    "people",
    "regime",
    "report_required",
    "my_number_report",
    "reason",
    "what",
    "notice",
]);

fn detail_text(detail: &serde_json::Value, show: Details) -> String {
    match show {
        Details::All => detail.to_string(),
        Details::Only(keys) => detail
            .as_object()
            .map(|o| {
                keys.iter()
                    .filter_map(|k| {
                        let v = o.get(*k)?;
                        let text = match v {
                            serde_json::Value::String(s) => s.clone(),
                            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => v.to_string(),
                            _ => return None,
                        };
                        Some(format!("{k}: {text}"))
                    })
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
            .unwrap_or_default(),
    }
}

fn events(evs: &[tokumei_registry::Event], show: Details) -> Markup {
    html! {
        ol.timeline {
            @for e in evs {
                @let detail = detail_text(&e.detail, show);
                li {
                    time { (e.time) } " " strong { (e.event) } " · " (e.operator)
                    @if !detail.is_empty() && detail != "{}" { br; small.detail { (detail) } }
                }
            }
        }
    }
}

/// One request, with the requester and the person (an audited view), its timeline and the
/// decision form.
pub(crate) fn request(reg: &Registry, ctx: &Ctx, id: i64) -> Result<Option<Markup>, String> {
    let l = ctx.lang;
    let Some(r) = reg.request(id).map_err(err)? else { return Ok(None) };
    let evs = reg.request_events(id).map_err(err)?;
    let copies = reg.copies_of(&r).map_err(err)?;
    let actor = reg.profile().map_err(err)?.actor;
    let e = &r.entry;
    let (class, days) = urgency(&ctx.today, &r.deadline());
    let word = |v: serde_json::Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    let body = html! {
        p.notice { (l.t("このページは本人を特定できる情報を含みます。表示は監査ログに記録されました。", "This page names a person: this view was recorded in the audit log.")) }
        p.lead {
            span.badge { (status_label(l, &r.status)) } " "
            @if r.pending() { span class=(format!("badge {class}")) { (l.t("決定期限 ", "deadline ")) (r.deadline()) " · " (days_text(l, days)) } }
        }
        (kv(vec![
            (l.t("種類", "Kind"), html! { (request_kind(l, &r)) }),
            (l.t("受付日", "Received"), html! { (e.received) }),
            (l.t("請求者", "Requester"), html! { (e.requester) }),
            (l.t("資格", "Capacity"), html! { (word(serde_json::to_value(e.capacity).unwrap_or_default())) }),
            (l.t("本人確認", "Identity verified by"), html! { (e.verification) }),
            (l.t("請求の内容", "Records asked for"), html! { (e.records) }),
            (l.t("対象ファイル", "Files"), html! { @if e.files.is_empty() { (l.t("登録された全ファイル", "every registered file")) } @else { (e.files.join(", ")) } }),
            (l.t("本人の識別子", "Subject"), html! { @if let Some(s) = &r.subject { code { (s) } } @else { "—" } }),
            (l.t("手数料", "Fee"), html! { (r.fee_yen) (l.t("円", " yen")) }),
            (l.t("決定", "Decision"), html! { @if let Some(d) = &r.decision { (d.decision) " (" (d.date) ") " (d.reason) } @else { "—" } }),
            (l.t("特例延長", "Special extension"), html! {
                @match &r.special {
                    Some(x) => {
                        @if let Some(by) = &x.part_by {
                            (l.t("相当の部分 ", "the 相当の部分 by ")) (by)
                            @if let Some(done) = &x.part_decided { (l.t("（決定済み ", " (decided ")) (done) (l.t("）", ")")) }
                            (l.t("、残り ", "; the rest by ")) (x.until) " (法84)"
                        } @else {
                            (x.until) @if e.kind == tokumei_registry::Kind::Correction { " (法95)" } @else { " (法103)" }
                        }
                    }
                    None => { "—" }
                }
            }),
            (l.t("抽出データ以外の記録", "Records outside the registered sources"), html! {
                @if r.attestations.is_empty() { "—" }
                @for a in &r.attestations {
                    (if a.held { l.t("保有: ", "held: ") } else { l.t("なし（確認済み）: ", "none (searched): ") }) (a.description) " (" (a.date) ") "
                }
            }),
        ]))
        @if !copies.is_empty() {
            h2 #copies { (l.t("消去・利用停止の対象となる内部利用の情報", "Internal copies to erase or stop")) }
            p.hint { (l.t(
                "内部利用のために作成した情報（仮名化した保有個人情報等）は保有個人情報です。本人を除いたものに置き換え（tokumei release replace）、元の情報を消去して記録する（tokumei release destroyed）まで、この請求は完了しません。",
                "Releases made for the body's own use (pseudonymised: still personal information it holds) are replaced without the person (tokumei release replace) and destroyed (tokumei release destroyed); the request is not done until each is destroyed."
            )) }
            table {
                thead { tr { th { (l.t("リリース", "Release")) } th { (l.t("種類", "Kind")) } th { (l.t("本人の情報", "The person")) } th { (l.t("状況", "State")) } } }
                tbody { @for c in &copies {
                    tr class=[(!c.done).then_some(class)] {
                        td { code { (c.copy.release_id) } }
                        td { (mode_label(l, &c.copy.mode, actor)) }
                        td { @if c.copy.indexed { (l.t("含まれている（索引で確認）", "held (per-subject index)")) } @else { (l.t("含まれている可能性（索引なし）", "may be held (no index)")) } }
                        td {
                            @if let Some(d) = &c.destroyed { (l.t("消去済み ", "destroyed ")) (d.date) " · " (d.how) }
                            @else if c.abandoned { (l.t("作成中止（存在しない）", "never published")) }
                            @else if let Some(by) = &c.replaced_by { (l.t("置換え済み（", "replaced by ")) code { (by) } (l.t("）・消去の記録待ち", "; destruction not recorded")) }
                            @else { (l.t("置換え・消去が必要", "to replace and destroy")) " · " (l.t("期限 ", "due ")) (r.deadline()) }
                        }
                    }
                } }
            }
        }
        @if r.pending() {
            h2 { (l.t("決定", "Decide")) }
            form.action method="post" action=(format!("/requests/{id}/decide")) #decide {
                (csrf_field(ctx)) (version_field(r.steps))
                label { (l.t("決定", "Decision")) " "
                    select name="decision" { @for d in e.kind.decisions() { option value=(d) { (d) } } }
                }
                label { (l.t("決定日", "Date")) " " input type="date" name="date" value=(ctx.today); }
                @if e.kind == tokumei_registry::Kind::Suspension {
                    label { (l.t("理由（利用停止を認める場合）", "Ground (an accepted suspension)")) " "
                        select name="ground" {
                            option value="" { "—" }
                            option value="unlawful_holding" { (l.t("違法な保有", "unlawful holding")) }
                            option value="unlawful_use" { (l.t("違法な利用", "unlawful use")) }
                            option value="unlawful_provision" { (l.t("違法な提供", "unlawful provision")) }
                        }
                    }
                }
                @if e.kind == tokumei_registry::Kind::Disclosure {
                    label { input type="checkbox" name="objection" value="1"; " " (l.t("第三者の反対意見書あり（法86条）", "a third party objected (art. 86)")) }
                }
                label.wide { (l.t("理由（全部を認める場合を除き必須）", "Reasons (required unless all is granted)")) " " textarea name="reason" rows="3" {} }
                button type="submit" { (l.t("決定を記録する", "Record the decision")) }
            }
        }
        h2 { (l.t("経過", "Timeline")) }
        (events(&evs, Details::All))
    };
    Ok(Some(layout(ctx, &format!("{} {id}", l.t("請求", "Request")), body)))
}

fn incident_due(l: Lang, i: &StoredIncident) -> Markup {
    html! {
        @match i.next_due() {
            Some((stage, date)) => { (stage_label(l, stage)) " " (date) }
            None => { "—" }
        }
    }
}

/// Incidents.
pub(crate) fn incidents(reg: &Registry, ctx: &Ctx) -> Page {
    let l = ctx.lang;
    let mut all = reg.incidents().map_err(err)?;
    all.sort_by_key(|r| std::cmp::Reverse(r.id));
    let body = html! {
        @if all.is_empty() { p.empty { (l.t("事案はありません。", "No incident.")) } }
        @else {
            table {
                thead { tr { th { "ID" } th { (l.t("件名", "Title")) } th { (l.t("発覚日", "Discovered")) } th { (l.t("区分", "Regime")) } th { (l.t("人数", "People")) } th { (l.t("次の期限", "Next due")) } th { (l.t("状態", "Status")) } } }
                tbody { @for i in &all {
                    tr class=[i.overdue(&ctx.today).then_some("overdue")] {
                        td { a href=(format!("/incidents/{}", i.id)) { (i.id) } }
                        td { (i.facts.title) }
                        td { (i.facts.discovered) }
                        td { (i.assessment.regime_label) }
                        td.num { (i.scope.people) }
                        td { (incident_due(l, i)) }
                        td { (status_label(l, &i.status)) }
                    }
                } }
            }
        }
    };
    Ok(layout(ctx, l.t("漏えい等事案", "Incidents"), body))
}

/// One incident: facts, assessment, deadlines, notices, timeline and the filing form (no
/// person named: the people are on their own, audited page).
pub(crate) fn incident(reg: &Registry, ctx: &Ctx, id: i64) -> Result<Option<Markup>, String> {
    let l = ctx.lang;
    let Some(i) = reg.incident(id).map_err(err)? else { return Ok(None) };
    let evs = reg.incident_events(id).map_err(err)?;
    let f = &i.facts;
    let a = &i.assessment;
    let stages: Vec<&str> =
        [("preliminary", &i.preliminary_due, &i.preliminary_filed), ("final", &i.final_due, &i.final_filed)]
            .into_iter()
            .filter(|(_, due, filed)| due.is_some() && filed.is_none())
            .map(|(s, _, _)| s)
            .collect();
    let body = html! {
        p.lead {
            span.badge { (status_label(l, &i.status)) } " "
            @if a.report_required { span.badge.bad { (l.t("個人情報保護委員会への報告と本人通知が必要", "report to the Commission and notices to the people required")) } }
            @if a.my_number_report { " " span.badge.bad { (l.t("番号法29条の4による報告と本人通知が必要", "My Number Act report (art. 29-4) and notices required")) } }
            @if !a.reports_due() { span.badge { (l.t("報告義務なし", "no report required")) } }
        }
        (kv(vec![
            (l.t("件名", "Title"), html! { (f.title) }),
            (l.t("発覚", "Discovered"), html! { (f.discovered) " · " (f.discovered_by) }),
            (l.t("事態", "Event"), html! { (i.event()) @if let Some(n) = &a.event_note { br; small { (n) } } }),
            (l.t("原因", "Cause"), html! {
                (f.cause)
                @let causes = f.all_causes();
                @if !causes.is_empty() { " (" @for (n, c) in causes.iter().enumerate() { @if n > 0 { "、" } (c.label()) } ")" }
                @if let Some(r) = &f.no_unlawful_purpose_reason { br; small { (l.t("不正の目的が疑われない理由（記録）: ", "Why no unlawful purpose is suspected (recorded): ")) (r) } }
            }),
            (l.t("区分", "Regime"), html! { (a.regime_label) }),
            (l.t("範囲", "Scope"), html! { (i.scope.kind) @if let Some(r) = &i.scope.release_id { " · " (r) } @if let Some(file) = &i.scope.file { " · " (file) } }),
            (l.t("項目", "Items"), html! { @for it in &i.scope.items { (it.name) @if let Some(s) = &it.special_care { "（" (s) "）" } " " } }),
            (l.t("件数・人数", "Records, people"), html! { (i.scope.records) " / " (i.scope.people) " (" (i.scope.basis) ")" }),
            (l.t("速報期限", "Preliminary due"), html! { (i.preliminary_due.as_deref().unwrap_or("—")) @if let Some(d) = &i.preliminary_filed { " · " (l.t("提出 ", "filed ")) (d) } }),
            (l.t("確報期限", "Final due"), html! { (i.final_due.as_deref().unwrap_or("—")) @if let Some(d) = &i.final_filed { " · " (l.t("提出 ", "filed ")) (d) } }),
            (l.t("期限の計算", "Counting"), html! { @if let Some(c) = &a.counting { (c.describe()) } @else { "—" } }),
            (l.t("本人への通知", "Notices"), html! {
                (i.notices.sent) (l.t(" 通知済み / ", " sent / ")) (i.notices.excepted) (l.t(" 例外 / ", " excepted / ")) (i.notices.pending()) (l.t(" 未通知", " to notify"))
                " · " a href=(format!("/incidents/{id}/people")) { (l.t("本人の一覧（閲覧は記録されます）", "the people (the view is recorded)")) }
            }),
        ]))
        h2 { (l.t("報告の要否", "Triggers")) }
        table {
            thead { tr { th { (l.t("号", "No.")) } th { (l.t("事由", "Trigger")) } th { (l.t("該当", "Holds")) } th { (l.t("理由", "Why")) } } }
            tbody { @for t in &a.triggers {
                tr class=[t.fired.then_some("fired")] { td { (t.code) } td { (t.name) } td { (if t.fired { "✔" } else { "—" }) } td { (t.why) } }
            } }
        }
        @if let Some(x) = &a.exemption { p { strong { (l.t("適用除外：", "Exemption: ")) } (x) } }
        @if !a.my_number_triggers.is_empty() {
            h2 { (l.t("番号法29条の4による報告（特定個人情報）", "My Number Act report (art. 29-4, 特定個人情報)")) }
            @if a.my_number_report {
                p.notice { (l.t(
                    "個人情報保護委員会への報告（番号法29条の4第1項）と本人への通知（同条2項）が必要です。報告書の下書き（mynumber_report_速報・確報）は tokumei incident report が法68条の報告書と並べて作成します。",
                    "A report to the Commission (art. 29-4(1)) and notices to the people (art. 29-4(2)) are required. `tokumei incident report` drafts it (mynumber_report_<stage>) beside the art. 68 report."
                )) }
            }
            table {
                thead { tr { th { (l.t("規則2条", "Rule art. 2")) } th { (l.t("事態", "Event")) } th { (l.t("該当", "Holds")) } th { (l.t("理由", "Why")) } } }
                tbody { @for t in &a.my_number_triggers {
                    tr class=[t.fired.then_some("fired")] { td { (t.code) (l.t("号", "")) } td { (t.name) } td { (if t.fired { "✔" } else { "—" }) } td { (t.why) } }
                } }
            }
        }
        @if !a.contract_measures.is_empty() { ul { @for m in &a.contract_measures { li { (m) } } } }
        @if i.status == "open" && !stages.is_empty() {
            h2 { (l.t("報告の提出を記録", "Record a report's filing")) }
            form.action method="post" action=(format!("/incidents/{id}/filed")) #filed {
                (csrf_field(ctx)) (version_field(i.steps))
                label { (l.t("報告", "Report")) " " select name="stage" { @for s in &stages { option value=(s) { (stage_label(l, s)) } } } }
                label { (l.t("提出日", "Date")) " " input type="date" name="date" value=(ctx.today); }
                label.wide { (l.t("受付番号・提出方法", "The Commission's reference or how it was filed")) " " input type="text" name="reference" required; }
                button type="submit" { (l.t("提出を記録する", "Record the filing")) }
            }
        }
        h2 { (l.t("経過", "Timeline")) }
        (events(&evs, INCIDENT_DETAILS))
    };
    Ok(Some(layout(ctx, &format!("{} {id}", l.t("事案", "Incident")), body)))
}

/// The people of an incident with their notice (an audited view).
pub(crate) fn incident_people(reg: &Registry, ctx: &Ctx, id: i64) -> Result<Option<Markup>, String> {
    let l = ctx.lang;
    let people = reg.incident_people(id).map_err(err)?;
    let body = html! {
        p.notice { (l.t("このページは本人の識別子を含みます。表示は監査ログに記録されました。", "This page names people: this view was recorded in the audit log.")) }
        p { a href=(format!("/incidents/{id}")) { (l.t("事案へ戻る", "Back to the incident")) } }
        table {
            thead { tr { th { (l.t("本人の識別子", "Subject")) } th { (l.t("通知", "Notice")) } } }
            tbody { @for (subject, notice) in &people {
                tr {
                    td { code { (subject) } }
                    td { @match notice {
                        Some(tokumei_registry::Notice::Sent { method, at }) => { (l.t("通知済み ", "sent ")) (method) " " (at) }
                        Some(tokumei_registry::Notice::Exception { ground, .. }) => { (l.t("例外 ", "exception ")) (ground) }
                        None => { (l.t("未通知", "to notify")) }
                    } }
                }
            } }
        }
    };
    Ok(Some(layout(ctx, &format!("{} {id} · {}", l.t("事案", "Incident"), l.t("本人", "people")), body)))
}

/// The audit log: its head, its check against the registry, and its latest entries.
pub(crate) fn audit(reg: &Registry, ctx: &Ctx) -> Page {
    let l = ctx.lang;
    let log = JsonlLog::new(reg.audit_log().map_err(err)?);
    let scan = log.scan().map_err(err)?;
    let problems = reg.check_all().map_err(err)?;
    let head = scan.entries.last().map(|e| e.head().to_string());
    let body = html! {
        @if problems.is_empty() {
            p.verdict.ok #verify { (l.t("検証：登録簿の全ての行・変更・リリースが監査ログと一致しています。", "Verified: every row, change and release of the registry matches the audit log.")) }
        } @else {
            div.verdict.bad #verify {
                p { (l.t("検証で問題が見つかりました：", "Verification found problems:")) }
                ul { @for p in &problems { li { (p) } } }
            }
        }
        (kv(vec![
            (l.t("監査ログ", "Log"), html! { code { (log.path().display()) } }),
            (l.t("記録数", "Entries"), html! { (scan.entries.len()) }),
            (l.t("先頭（ヘッド）", "Head"), html! { code #head { (head.unwrap_or_default()) } }),
        ]))
        p.hint { (l.t(
            "ヘッドを外部に控えておくと、後からログ全体が差し替えられても検出できます（tokumei audit head）。",
            "Keep the head somewhere else: a log replaced as a whole is then detected (tokumei audit head)."
        )) }
        h2 { (l.t("最近の記録", "Latest entries")) }
        table {
            thead { tr { th { "#" } th { (l.t("時刻", "Time")) } th { (l.t("担当者", "Operator")) } th { (l.t("操作", "Action")) } th { (l.t("結果", "Status")) } } }
            tbody { @for e in scan.entries.iter().rev().take(40) {
                tr { td.num { (e.seq) } td { (e.record.time) } td { (e.record.operator) } td { code { (e.record.action) } } td { (e.record.status) } }
            } }
        }
    };
    Ok(layout(ctx, l.t("監査ログ", "Audit log"), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_months_end_this_month() {
        let m = months("2027-02-15");
        assert_eq!(m.len(), 12);
        assert_eq!(m.first().map(String::as_str), Some("2026-03"));
        assert_eq!(m.last().map(String::as_str), Some("2027-02"));
        assert!(months("bad").is_empty());
    }

    #[test]
    fn an_incident_timeline_shows_plain_values_of_known_keys_only() {
        let d = serde_json::json!({"facts": {"scope": {"where": "宛名番号 = '100599658'"}}, "people": 3, "stage": "final", "what": {"x": 1}});
        let t = detail_text(&d, INCIDENT_DETAILS);
        assert_eq!(t, "stage: final · people: 3");
        assert!(detail_text(&d, Details::All).contains("100599658"));
    }

    #[test]
    fn urgency_by_days() {
        assert_eq!(urgency("2027-01-10", "2027-01-09"), ("overdue", -1));
        assert_eq!(urgency("2027-01-10", "2027-01-17"), ("soon", 7));
        assert_eq!(urgency("2027-01-10", "2027-02-17").0, "later");
    }
}
