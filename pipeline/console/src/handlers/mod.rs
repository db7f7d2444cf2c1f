//! The server: the routes, and the two ways a handler uses the registry (a page, read off the
//! async threads; an action, checked against the session and the version the page showed).
//! The loopback listener is in `listen`, the login, sessions and guards in `session`, and the
//! handlers one file per resource, beside the pages of the same name.

mod audit;
mod contracts;
mod home;
mod incidents;
mod listen;
mod releases;
mod requests;
mod session;

use crate::ctx::{Ctx, Flash};
use crate::pages;
use crate::{Config, ConsoleError, Hooks, Started};
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use maud::Markup;
use session::{Session, plain, same, token};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokumei_audit::{JsonlLog, Record};
use tokumei_registry::{Registry, RegistryError, Seen, Who};

/// The style sheet, embedded.
const CSS: &str = include_str!("../console.css");

/// What every request shares: the configuration, the program's hooks, the one-time login token
/// (until used), the sessions, and the Host and Origin values this listener answers to.
pub(crate) struct App {
    config: Config,
    hooks: Arc<dyn Hooks>,
    login: Mutex<Option<String>>,
    sessions: Mutex<HashMap<String, Session>>,
    hosts: Vec<String>,
    origins: Vec<String>,
}

impl App {
    fn who(&self) -> Result<Who, String> {
        self.hooks.who(&self.config.operator)
    }

    /// Append an entry of the console's own (start, login, a view of a person's data) to the
    /// registry's audit log.
    fn audit(&self, reg: &Registry, action: &str, what: &str) -> Result<(), String> {
        let who = self.who()?;
        let log = reg.audit_log().map_err(|e| e.to_string())?;
        let mut details = serde_json::Map::new();
        details.insert("registry_id".into(), reg.id().map_err(|e| e.to_string())?.into());
        details.insert("what".into(), what.into());
        JsonlLog::new(log)
            .append(Record {
                time: who.time,
                operator: who.operator,
                action: action.into(),
                status: "ok".into(),
                details,
                clock: who.clock,
                ..Default::default()
            })
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// The registry, proved before anything is shown or done with it.
    fn open(&self) -> Result<Registry, RegistryError> {
        Registry::open(&self.config.registry)
    }

    /// The registry unproved: only for the audit page, which shows what its check finds.
    fn open_to_check(&self) -> Result<Registry, String> {
        Registry::open_unproved(&self.config.registry).map_err(|e| e.to_string())
    }
}

/// Open the registry, audit the start, bind 127.0.0.1, tell `ready`, and serve the routes.
pub(crate) async fn run(
    config: Config,
    hooks: Arc<dyn Hooks>,
    ready: impl FnOnce(&Started),
) -> Result<(), ConsoleError> {
    // The registry must open (and the start is audited) before anything listens. It is proved
    // before each page and action; a registry that fails its proof still opens its audit page.
    let reg = Registry::open_unproved(&config.registry)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
        .await
        .map_err(|cause| ConsoleError::Bind { port: config.port, cause })?;
    let addr = listener.local_addr().map_err(ConsoleError::Server)?;
    let login = token();
    let port = addr.port();
    let app = Arc::new(App {
        hosts: vec![format!("127.0.0.1:{port}"), format!("localhost:{port}")],
        origins: vec![format!("http://127.0.0.1:{port}"), format!("http://localhost:{port}")],
        config,
        hooks,
        login: Mutex::new(Some(login.clone())),
        sessions: Mutex::new(HashMap::new()),
    });
    app.audit(&reg, "console-start", &format!("listening on {addr} (loopback only)"))
        .map_err(|e| ConsoleError::Server(std::io::Error::other(e)))?;
    drop(reg);
    ready(&Started { addr, login_url: format!("http://{addr}/login?token={login}") });
    let router = Router::new()
        .route("/", get(home::dashboard))
        .route("/releases", get(releases::releases))
        .route("/releases/{id}", get(releases::release))
        .route("/releases/{id}/report", get(releases::release_report))
        .route("/contracts", get(contracts::contracts))
        .route("/contracts/{id}", get(contracts::contract))
        .route("/contracts/{id}/advance", post(contracts::contract_advance))
        .route("/requests", get(requests::requests))
        .route("/requests/{id}", get(requests::request))
        .route("/requests/{id}/decide", post(requests::request_decide))
        .route("/incidents", get(incidents::incidents))
        .route("/incidents/{id}", get(incidents::incident))
        .route("/incidents/{id}/people", get(incidents::incident_people))
        .route("/incidents/{id}/filed", post(incidents::incident_filed))
        .route("/audit", get(audit::audit))
        .route("/lang", get(session::lang))
        .route("/logout", post(session::logout))
        .route("/login", get(session::login_page))
        .route("/static/console.css", get(css))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(app.clone(), session::guard))
        .with_state(app);
    listen::accept(listener, router).await
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

async fn not_found(Extension(ctx): Extension<Ctx>) -> Response {
    (StatusCode::NOT_FOUND, pages::not_found(&ctx)).into_response()
}

/// A page from the registry, rendered off the async threads.
async fn page(
    app: Arc<App>,
    ctx: Ctx,
    render: impl FnOnce(&App, &Registry, &Ctx) -> Result<Option<Markup>, String> + Send + 'static,
) -> Response {
    render_page(app, ctx, false, render).await
}

/// [`page`], on a registry proved first unless `to_check` (the audit page).
async fn render_page(
    app: Arc<App>,
    ctx: Ctx,
    to_check: bool,
    render: impl FnOnce(&App, &Registry, &Ctx) -> Result<Option<Markup>, String> + Send + 'static,
) -> Response {
    let c = ctx.clone();
    // A registry that fails its proof shows nothing of its contents: 409, with what was found
    // (the audit page, opened unproved, lists it all).
    let out = tokio::task::spawn_blocking(move || {
        let reg = if to_check {
            app.open_to_check().map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e))?
        } else {
            app.open().map_err(|e| (failed_status(&e), e.to_string()))?
        };
        render(&app, &reg, &c).map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e))
    })
    .await
    .unwrap_or_else(|e| Err((StatusCode::INTERNAL_SERVER_ERROR, e.to_string())));
    match out {
        Ok(Some(m)) => m.into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, pages::not_found(&ctx)).into_response(),
        Err((status, e)) => (status, pages::failed(&ctx, &e)).into_response(),
    }
}

/// The answer to a registry that failed (not a refusal): 409 when it fails its proof (edited
/// outside tokumei: nothing is shown or done until it is restored or reset), 500 otherwise.
fn failed_status(e: &RegistryError) -> StatusCode {
    match e {
        RegistryError::Tampered { .. } => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Why a step was not made.
#[derive(Debug)]
enum NotDone {
    /// Refused (a legal limit, a state, a value, a stale form...): said on the page the
    /// officer returns to, as the CLI says it.
    Refused(String),
    /// The registry failed or fails its proof: its own answer, as a page's.
    Failed(StatusCode, String),
}

impl From<String> for NotDone {
    fn from(m: String) -> Self {
        NotDone::Refused(m)
    }
}

impl From<RegistryError> for NotDone {
    fn from(e: RegistryError) -> Self {
        match e.kind() {
            Some(k) if k.is_officers() => NotDone::Refused(e.to_string()),
            _ => NotDone::Failed(failed_status(&e), e.to_string()),
        }
    }
}

/// A change: the session's token checked, the registry opened for this change alone and told
/// the version the page showed, the step made by `apply` (the CLI's registry call), and the
/// outcome shown on the page the officer returns to.
async fn act(
    app: Arc<App>,
    ctx: Ctx,
    csrf: &str,
    back: String,
    seen: Seen,
    apply: impl FnOnce(&App, &mut Registry, &Who, &str) -> Result<Vec<String>, NotDone> + Send + 'static,
) -> Response {
    if !same(csrf, &ctx.csrf) {
        return plain(StatusCode::FORBIDDEN, "the form's token is not this session's: reload the page");
    }
    let today = ctx.today.clone();
    let a = app.clone();
    let out = tokio::task::spawn_blocking(move || {
        let mut reg = a.open()?;
        let who = a.who()?;
        reg.expect(seen)?;
        apply(&a, &mut reg, &who, &today)
    })
    .await
    .unwrap_or_else(|e| Err(NotDone::Refused(e.to_string())));
    let flash = match out {
        Ok(lines) => Flash { ok: true, lines },
        Err(NotDone::Refused(e)) => Flash { ok: false, lines: vec![e] },
        Err(NotDone::Failed(status, e)) => return (status, pages::failed(&ctx, &e)).into_response(),
    };
    if let Some(s) = app.sessions.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&ctx.session) {
        s.flash = Some(flash);
    }
    Redirect::to(&back).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_said_and_a_failed_registry_answers_on_its_own() {
        use tokumei_registry::{Refusal, RefusalKind};
        let refused = RegistryError::Refused(Refusal::new(RefusalKind::Law, "contract 1 cannot move (法113)"));
        assert!(matches!(NotDone::from(refused), NotDone::Refused(m) if m == "contract 1 cannot move (法113)"));
        let stale = RegistryError::Refused(Refusal::new(RefusalKind::Stale, "changed since it was shown"));
        assert!(matches!(NotDone::from(stale), NotDone::Refused(_)));
        let tampered = RegistryError::Tampered { path: "r.sqlite".into(), problems: vec!["contracts row 1".into()] };
        assert!(matches!(NotDone::from(tampered), NotDone::Failed(StatusCode::CONFLICT, _)));
        let sql = RegistryError::Refused(Refusal::new(RefusalKind::Storage, "contract 1: database is locked"));
        assert!(matches!(NotDone::from(sql), NotDone::Failed(StatusCode::INTERNAL_SERVER_ERROR, _)));
    }
}
