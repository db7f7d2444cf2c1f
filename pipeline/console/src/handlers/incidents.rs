//! Incidents: the list, one incident, its people (an audited view), and a report's filing.

use super::{App, act, page};
use crate::ctx::Ctx;
use crate::pages;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;
use tokumei_registry::Seen;

pub(super) async fn incidents(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    page(app, ctx, |_, reg, ctx| pages::incidents(reg, ctx).map(Some)).await
}

pub(super) async fn incident(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<i64>,
) -> Response {
    page(app, ctx, move |_, reg, ctx| pages::incident(reg, ctx, id)).await
}

/// The people of an incident, by identifier: audited before shown.
pub(super) async fn incident_people(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<i64>,
) -> Response {
    page(app, ctx, move |app, reg, ctx| {
        if reg.incident(id).map_err(|e| e.to_string())?.is_none() {
            return Ok(None);
        }
        app.audit(reg, "console-view", &format!("incident {id} people"))?;
        pages::incident_people(reg, ctx, id)
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct FiledForm {
    csrf: String,
    version: i64,
    stage: String,
    #[serde(default)]
    date: String,
    reference: String,
}

pub(super) async fn incident_filed(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<i64>,
    Form(f): Form<FiledForm>,
) -> Response {
    let lang = ctx.lang;
    act(app, ctx, &f.csrf, format!("/incidents/{id}"), Seen::Incident(id, f.version), move |_, reg, who, today| {
        let date = if f.date.trim().is_empty() { today.to_string() } else { f.date.trim().to_string() };
        let filing = tokumei_registry::Filing {
            stage: f.stage.clone(),
            date: date.clone(),
            reference: f.reference.trim().to_string(),
            document_sha256: None,
        };
        reg.file_report(who, id, &filing, today)?;
        Ok(vec![format!("{} {id}: {} ({date})", lang.t("事案", "incident"), pages::stage_label(lang, &f.stage))])
    })
    .await
}
