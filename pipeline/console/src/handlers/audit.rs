//! The audit page (on a registry opened unproved: it shows what the check finds).

use super::{App, render_page};
use crate::ctx::Ctx;
use crate::pages;
use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use std::sync::Arc;

pub(super) async fn audit(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    render_page(app, ctx, true, |_, reg, ctx| pages::audit(reg, ctx).map(Some)).await
}
