//! Incidents (leaks and the like): the list, one incident with its filing form, and its people
//! (an audited view).

use super::labels::{stage_label, status_label};
use super::timeline::{Details, events};
use super::{Page, csrf_field, err, kv, layout, version_field};
use crate::ctx::Ctx;
use crate::text::Lang;
use maud::{Markup, html};
use tokumei_registry::{Registry, StoredIncident};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::timeline::detail_text;

    #[test]
    fn an_incident_timeline_shows_plain_values_of_known_keys_only() {
        let d = serde_json::json!({"facts": {"scope": {"where": "宛名番号 = '100599658'"}}, "people": 3, "stage": "final", "what": {"x": 1}});
        let t = detail_text(&d, INCIDENT_DETAILS);
        assert_eq!(t, "stage: final · people: 3");
        assert!(detail_text(&d, Details::All).contains("100599658"));
    }
}
