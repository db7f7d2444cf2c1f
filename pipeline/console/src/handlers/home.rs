//! The dashboard.

use super::{App, page};
use crate::ctx::Ctx;
use crate::pages;
use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use std::sync::Arc;

pub(super) async fn dashboard(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    page(app, ctx, |_, reg, ctx| pages::dashboard(reg, ctx).map(Some)).await
}
