//! Contracts: the list, one contract, and its next step.

use super::{App, act, page};
use crate::ctx::Ctx;
use crate::pages;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;
use tokumei_registry::Seen;

pub(super) async fn contracts(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    page(app, ctx, |_, reg, ctx| pages::contracts(reg, ctx).map(Some)).await
}

pub(super) async fn contract(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<i64>,
) -> Response {
    page(app, ctx, move |_, reg, ctx| pages::contract(reg, ctx, id)).await
}

#[derive(Deserialize)]
pub(super) struct AdvanceForm {
    csrf: String,
    version: i64,
    to: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    contractor_cost: String,
    #[serde(default)]
    fee_yen: String,
}

pub(super) async fn contract_advance(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<i64>,
    Form(f): Form<AdvanceForm>,
) -> Response {
    let lang = ctx.lang;
    act(app, ctx, &f.csrf, format!("/contracts/{id}"), Seen::Contract(id, f.version), move |_, reg, who, _| {
        let to = tokumei_registry::State::parse(&f.to)
            .filter(|s| *s != tokumei_registry::State::Cancelled)
            .ok_or_else(|| format!("unknown state `{}`", f.to))?;
        let yen = |what: &str, v: &str| -> Result<Option<i64>, String> {
            match v.trim() {
                "" => Ok(None),
                y => y.parse::<i64>().map(Some).map_err(|_| format!("{what} `{y}` is not a whole number of yen")),
            }
        };
        let fee = tokumei_registry::FeeBasis {
            hours: match f.hours.trim() {
                "" => None,
                h => Some(tokumei_registry::parse_hours(h)?),
            },
            contractor_cost_yen: yen("contractor cost", &f.contractor_cost)?,
            fee_yen: yen("fee", &f.fee_yen)?,
        };
        let note = Some(f.note.trim()).filter(|n| !n.is_empty());
        reg.advance(who, id, to, note, &fee)?;
        Ok(vec![format!("{} {id}: {}", lang.t("契約", "contract"), pages::state_label(lang, to))])
    })
    .await
}
