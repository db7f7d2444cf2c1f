//! Recipients, calls for proposals and contracts: the list, and one contract with its next step.

use super::labels::state_label;
use super::releases::{release_head, release_row};
use super::{Page, csrf_field, err, kv, layout, version_field};
use crate::ctx::Ctx;
use crate::text::Lang;
use maud::{Markup, html};
use tokumei_registry::{Registry, State, StoredContract, StoredRelease};

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
                    // The registry words its own notes in English: in Japanese on the Japanese page.
                    @if let Some(n) = &t.note { " · " (if l == Lang::Ja { tokumei_documents::register::note_ja(n) } else { n.clone() }) }
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
