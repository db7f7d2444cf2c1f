//! Requests (disclosure, correction, suspension): a chart per month and the list, and one
//! request with the person (an audited view) and the decision form.

use super::labels::{days_text, mode_label, request_kind, status_label, urgency};
use super::timeline::{Details, events};
use super::{Page, csrf_field, err, kv, layout, version_field};
use crate::ctx::Ctx;
use crate::svg::{self, Series};
use maud::{Markup, html};
use std::collections::BTreeMap;
use tokumei_registry::Registry;

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
}
