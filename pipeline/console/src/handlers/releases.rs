//! Releases: the list, one release, and its own report (sandboxed).

use super::{App, page};
use crate::ctx::Ctx;
use crate::pages;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub(super) async fn releases(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    page(app, ctx, |_, reg, ctx| pages::releases(reg, ctx).map(Some)).await
}

pub(super) async fn release(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<i64>,
) -> Response {
    page(app, ctx, move |_, reg, ctx| pages::release(reg, ctx, id)).await
}

/// A release's own report (report.html, or report.en.html in English), as written by the run,
/// sandboxed: its inline style may apply, nothing else.
pub(super) async fn release_report(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<i64>,
) -> Response {
    let lang = ctx.lang;
    let found = tokio::task::spawn_blocking(move || -> Result<Option<String>, String> {
        let reg = app.open().map_err(|e| e.to_string())?;
        let Some(r) = reg.releases().map_err(|e| e.to_string())?.into_iter().find(|r| r.id == id) else {
            return Ok(None);
        };
        if r.status != "published" {
            return Ok(None);
        }
        let dir = std::path::Path::new(&r.release.release_dir);
        let file = dir.join(lang.t("report.html", "report.en.html"));
        let file = if file.is_file() { file } else { dir.join("report.html") };
        match std::fs::metadata(&file) {
            Ok(m) if m.is_file() && m.len() < 32 << 20 => {
                std::fs::read_to_string(&file).map(Some).map_err(|e| format!("{}: {e}", file.display()))
            }
            _ => Ok(None),
        }
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    match found {
        Ok(Some(html)) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
                ),
            ],
            html,
        )
            .into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, pages::not_found(&ctx)).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, pages::failed(&ctx, &e)).into_response(),
    }
}
