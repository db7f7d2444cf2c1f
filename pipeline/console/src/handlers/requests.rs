//! Requests: the list, one request (an audited view), and its decision (with its notice draft).

use super::{App, act, page};
use crate::ctx::Ctx;
use crate::pages;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;
use tokumei_registry::Seen;

pub(super) async fn requests(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    page(app, ctx, |_, reg, ctx| pages::requests(reg, ctx).map(Some)).await
}

/// A request names its requester and the person: the view is audited before it is shown.
pub(super) async fn request(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<i64>,
) -> Response {
    page(app, ctx, move |app, reg, ctx| {
        if reg.request(id).map_err(|e| e.to_string())?.is_none() {
            return Ok(None);
        }
        app.audit(reg, "console-view", &format!("request {id}"))?;
        pages::request(reg, ctx, id)
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct DecideForm {
    csrf: String,
    version: i64,
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    ground: String,
    #[serde(default)]
    objection: Option<String>,
    #[serde(default)]
    date: String,
}

pub(super) async fn request_decide(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<i64>,
    Form(f): Form<DecideForm>,
) -> Response {
    let lang = ctx.lang;
    act(app, ctx, &f.csrf, format!("/requests/{id}"), Seen::Request(id, f.version), move |_app, reg, who, today| {
        let day = if f.date.trim().is_empty() { today.to_string() } else { f.date.trim().to_string() };
        let ground = Some(f.ground.trim()).filter(|g| !g.is_empty());
        let d = reg.decide(who, id, &f.decision, &f.reason, ground, f.objection.is_some(), &day, today)?;
        let mut lines = vec![format!(
            "{} {id}: {} `{}` ({}){}",
            lang.t("請求", "request"),
            lang.t("決定", "decided"),
            d.decision,
            d.date,
            if d.late { lang.t("（期限後）", " (after the deadline)") } else { "" }
        )];
        // The decision is committed: a notice that cannot be written is said, not turned into a
        // failure of the step.
        match crate::documents::decided(reg, id, &d) {
            Ok(more) => lines.extend(more),
            Err(e) => lines.push(format!(
                "{}{e}",
                lang.t(
                    "決定は記録されましたが、決定通知書の案を書けませんでした：",
                    "The decision is recorded, but its notice draft could not be written: "
                )
            )),
        }
        Ok(lines)
    })
    .await
}
