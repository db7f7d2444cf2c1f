//! The pages, rendered from the registry (maud: compile-time checked, every value escaped).
//! No page names a person except a request's and an incident's people page, which the server
//! audits before it renders them.

mod audit;
mod contracts;
mod home;
mod incidents;
mod labels;
mod releases;
mod requests;
mod timeline;

pub(crate) use audit::audit;
pub(crate) use contracts::{contract, contracts};
pub(crate) use home::dashboard;
pub(crate) use incidents::{incident, incident_people, incidents};
pub(crate) use labels::{stage_label, state_label};
pub(crate) use releases::{release, releases};
pub(crate) use requests::{request, requests};

use crate::ctx::Ctx;
use crate::text::Lang;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

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

fn kv(rows: Vec<(&str, Markup)>) -> Markup {
    html! { table.kv { tbody { @for (k, v) in rows { tr { th { (k) } td { (v) } } } } } }
}

fn version_field(n: i64) -> Markup {
    html! { input type="hidden" name="version" value=(n); }
}

fn csrf_field(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf); }
}
