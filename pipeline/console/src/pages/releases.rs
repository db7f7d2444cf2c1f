//! Releases: the list, and one release with its checks, class sizes and privacy models.

use super::labels::{mode_label, status_label};
use super::{Page, err, kv, layout};
use crate::ctx::Ctx;
use crate::svg::{self, Series};
use crate::text::Lang;
use maud::{Markup, html};
use tokumei_audit::JsonlLog;
use tokumei_registry::deadline::japan_day;
use tokumei_registry::{Actor, Registry, StoredRelease};
use tokumei_report::{ClassStats, Report};

pub(super) fn release_row(l: Lang, r: &StoredRelease, actor: Actor) -> Markup {
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

pub(super) fn release_head(l: Lang) -> Markup {
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
