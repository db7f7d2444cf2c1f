//! The audit log: its head, its check against the registry, and its latest entries.

use super::{Page, err, kv, layout};
use crate::ctx::Ctx;
use maud::html;
use tokumei_audit::JsonlLog;
use tokumei_registry::Registry;

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
