//! The dashboard: what is due and overdue, with counts.

use super::labels::{days_text, request_kind, stage_label, urgency};
use super::{Page, err, layout};
use crate::ctx::Ctx;
use crate::text::Lang;
use maud::html;
use tokumei_registry::Registry;
use tokumei_registry::deadline::days_between;

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

/// What is due, soonest first, and the dashboard's counts: overdue, open requests, open
/// incidents, people to notify, contracts in use, records to purge, published releases, contracts.
fn due_items(reg: &Registry, ctx: &Ctx, problems: &mut Vec<String>) -> Result<(Vec<Due>, [u64; 8]), String> {
    let l = ctx.lang;
    let today = ctx.today.as_str();
    let mut due = Vec::new();
    let open_requests = requests_due(reg, l, problems, &mut due);
    let (open_incidents, to_notify) = incidents_due(reg, l, problems, &mut due);
    let (in_use, purges, contracts) = contracts_due(reg, l, today, problems, &mut due);
    due.sort_by(|a, b| a.date.cmp(&b.date).then(a.what.cmp(&b.what)));
    let overdue = due.iter().filter(|d| d.date.as_str() < today).count() as u64;
    let releases =
        read(problems, l.t("リリース", "releases"), reg.releases()).iter().filter(|r| r.status == "published").count()
            as u64;
    Ok((due, [overdue, open_requests, open_incidents, to_notify, in_use, purges, releases, contracts]))
}

/// Open requests and accepted erasures still to carry out; the number of open requests.
fn requests_due(reg: &Registry, l: Lang, problems: &mut Vec<String>, due: &mut Vec<Due>) -> u64 {
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
    open_requests
}

/// The next report of each open incident; the open incidents and the people still to notify.
fn incidents_due(reg: &Registry, l: Lang, problems: &mut Vec<String>, due: &mut Vec<Due>) -> (u64, u64) {
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
    (open_incidents, to_notify)
}

/// Use periods ending within 60 days, a missing call for proposals, records past retention; the
/// contracts in use, the records to purge and all contracts.
fn contracts_due(
    reg: &Registry,
    l: Lang,
    today: &str,
    problems: &mut Vec<String>,
    due: &mut Vec<Due>,
) -> (u64, u64, u64) {
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
    (in_use, purges.len() as u64, contracts.len() as u64)
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
