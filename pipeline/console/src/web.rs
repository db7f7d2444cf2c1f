//! The server: loopback listener, one-time login, sessions, cross-site and stale-tab guards,
//! security headers, and the routes.

use crate::ctx::{Ctx, Flash};
use crate::pages;
use crate::text::Lang;
use crate::{Config, ConsoleError, Hooks, Started};
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use maud::Markup;
use rand::RngExt;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokumei_audit::{JsonlLog, Record};
use tokumei_registry::{Registry, RegistryError, Seen, Who};

/// The session cookie's name.
const COOKIE: &str = "tokumei_session";
/// A session unused this long ends.
const IDLE: Duration = Duration::from_secs(8 * 3600);
/// The style sheet, embedded.
const CSS: &str = include_str!("console.css");
/// Every page's policy: nothing but this origin's style sheet, no script at all.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

struct Session {
    csrf: String,
    lang: Lang,
    last: Instant,
    flash: Option<Flash>,
}

pub(crate) struct App {
    config: Config,
    hooks: Arc<dyn Hooks>,
    login: Mutex<Option<String>>,
    sessions: Mutex<HashMap<String, Session>>,
    hosts: Vec<String>,
    origins: Vec<String>,
}

fn token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
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
        .route("/", get(dashboard))
        .route("/releases", get(releases))
        .route("/releases/{id}", get(release))
        .route("/releases/{id}/report", get(release_report))
        .route("/contracts", get(contracts))
        .route("/contracts/{id}", get(contract))
        .route("/contracts/{id}/advance", post(contract_advance))
        .route("/requests", get(requests))
        .route("/requests/{id}", get(request))
        .route("/requests/{id}/decide", post(request_decide))
        .route("/incidents", get(incidents))
        .route("/incidents/{id}", get(incident))
        .route("/incidents/{id}/people", get(incident_people))
        .route("/incidents/{id}/filed", post(incident_filed))
        .route("/audit", get(audit))
        .route("/lang", get(lang))
        .route("/logout", post(logout))
        .route("/login", get(login_page))
        .route("/static/console.css", get(css))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app);
    accept(listener, router).await
}

/// Connections served at once; more wait to be accepted.
const CONNECTIONS: usize = 64;
/// A request's head must arrive within this (a client that trickles it is dropped).
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// No connection lives longer than this (a browser opens a new one).
const CONNECTION_LIFE: Duration = Duration::from_secs(300);

/// Serve connections until Ctrl-C: HTTP/1.1 by hyper, each connection bounded in time and their
/// number bounded, so that a local client holding sockets open cannot exhaust the console.
async fn accept(listener: tokio::net::TcpListener, router: Router) -> Result<(), ConsoleError> {
    let slots = Arc::new(tokio::sync::Semaphore::new(CONNECTIONS));
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            _ = &mut stop => return Ok(()),
            p = slots.clone().acquire_owned() => p.map_err(|e| ConsoleError::Server(std::io::Error::other(e)))?,
        };
        let (stream, _) = tokio::select! {
            _ = &mut stop => return Ok(()),
            s = listener.accept() => match s {
                Ok(s) => s,
                // A failed accept (e.g. out of file descriptors) is not the end of the console.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let _ = tokio::time::timeout(CONNECTION_LIFE, conn).await;
            drop(permit);
        });
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        v.split(';').find_map(|kv| {
            let (k, val) = kv.trim().split_once('=')?;
            (k == name).then(|| val.to_string())
        })
    })
}

fn secure(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn plain(status: StatusCode, text: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text.to_string()).into_response()
}

/// Every request: the Host must be this loopback address (no DNS rebinding), a change must come
/// from this origin, and every page but the login needs a live session.
async fn guard(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !app.hosts.iter().any(|h| h == host) {
        return secure(plain(StatusCode::MISDIRECTED_REQUEST, "tokumei serve answers on 127.0.0.1 only"));
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        // Browsers send Origin with every POST; a form posted from another site is refused here
        // and again by the session's token.
        let origin = req.headers().get(header::ORIGIN).and_then(|h| h.to_str().ok());
        if origin.is_some_and(|o| !app.origins.iter().any(|x| x == o)) {
            return secure(plain(StatusCode::FORBIDDEN, "cross-site request refused"));
        }
    }
    // A page of another site — or of another port on this machine, which browsers count as the
    // same site and send the cookie to — may not make the console do anything, not even record
    // a view: only this origin's own pages, or the officer typing or clicking an address.
    let fetched_from = req.headers().get("sec-fetch-site").and_then(|h| h.to_str().ok());
    if fetched_from.is_some_and(|f| f != "same-origin" && f != "none") {
        return secure(plain(StatusCode::FORBIDDEN, "requests from other sites are refused"));
    }
    let path = req.uri().path().to_string();
    if path == "/login" || path == "/static/console.css" {
        return secure(next.run(req).await);
    }
    let Some(id) = cookie(req.headers(), COOKIE) else {
        return secure(pages::signed_out(app.config.lang, StatusCode::UNAUTHORIZED));
    };
    // The outcome of an action is shown once, by the page the browser goes to next.
    let shows_flash = req.method() == Method::GET && path != "/favicon.ico";
    let ctx = {
        let mut sessions = app.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, s| s.last.elapsed() < IDLE);
        let Some((key, s)) = sessions.iter_mut().find(|(k, _)| same(k, &id)) else {
            drop(sessions);
            return secure(pages::signed_out(app.config.lang, StatusCode::UNAUTHORIZED));
        };
        s.last = Instant::now();
        Ctx {
            lang: s.lang,
            csrf: s.csrf.clone(),
            operator: app.config.operator.clone(),
            today: String::new(),
            flash: if shows_flash { s.flash.take() } else { None },
            path: path.clone(),
            session: key.clone(),
        }
    };
    let today = match app.hooks.today() {
        Ok(t) => t,
        Err(e) => return secure(plain(StatusCode::INTERNAL_SERVER_ERROR, &e)),
    };
    req.extensions_mut().insert(Ctx { today, ..ctx });
    secure(next.run(req).await)
}

#[derive(Deserialize)]
struct LoginQuery {
    token: Option<String>,
}

/// The one-time login: the token printed at start opens one session, once.
async fn login_page(State(app): State<Arc<App>>, Query(q): Query<LoginQuery>) -> Response {
    let given = q.token.unwrap_or_default();
    let ok = {
        let mut login = app.login.lock().unwrap_or_else(|p| p.into_inner());
        match login.as_deref() {
            Some(t) if same(t, &given) => {
                *login = None;
                true
            }
            _ => false,
        }
    };
    if !ok {
        return pages::login_refused(app.config.lang);
    }
    let id = token();
    app.sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.clone(), Session { csrf: token(), lang: app.config.lang, last: Instant::now(), flash: None });
    let a = app.clone();
    let audited = tokio::task::spawn_blocking(move || {
        a.open_to_check().and_then(|reg| a.audit(&reg, "console-login", "session opened"))
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    if let Err(e) = audited {
        app.sessions.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        return plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("the login could not be audited: {e}"));
    }
    let mut resp = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/")) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
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

async fn dashboard(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    page(app, ctx, |_, reg, ctx| pages::dashboard(reg, ctx).map(Some)).await
}

async fn releases(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    page(app, ctx, |_, reg, ctx| pages::releases(reg, ctx).map(Some)).await
}

async fn release(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>, Path(id): Path<i64>) -> Response {
    page(app, ctx, move |_, reg, ctx| pages::release(reg, ctx, id)).await
}

/// A release's own report (report.html, or report.en.html in English), as written by the run,
/// sandboxed: its inline style may apply, nothing else.
async fn release_report(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>, Path(id): Path<i64>) -> Response {
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

async fn contracts(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    page(app, ctx, |_, reg, ctx| pages::contracts(reg, ctx).map(Some)).await
}

async fn contract(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>, Path(id): Path<i64>) -> Response {
    page(app, ctx, move |_, reg, ctx| pages::contract(reg, ctx, id)).await
}

async fn requests(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    page(app, ctx, |_, reg, ctx| pages::requests(reg, ctx).map(Some)).await
}

/// A request names its requester and the person: the view is audited before it is shown.
async fn request(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>, Path(id): Path<i64>) -> Response {
    page(app, ctx, move |app, reg, ctx| {
        if reg.request(id).map_err(|e| e.to_string())?.is_none() {
            return Ok(None);
        }
        app.audit(reg, "console-view", &format!("request {id}"))?;
        pages::request(reg, ctx, id)
    })
    .await
}

async fn incidents(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    page(app, ctx, |_, reg, ctx| pages::incidents(reg, ctx).map(Some)).await
}

async fn incident(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>, Path(id): Path<i64>) -> Response {
    page(app, ctx, move |_, reg, ctx| pages::incident(reg, ctx, id)).await
}

/// The people of an incident, by identifier: audited before shown.
async fn incident_people(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>, Path(id): Path<i64>) -> Response {
    page(app, ctx, move |app, reg, ctx| {
        if reg.incident(id).map_err(|e| e.to_string())?.is_none() {
            return Ok(None);
        }
        app.audit(reg, "console-view", &format!("incident {id} people"))?;
        pages::incident_people(reg, ctx, id)
    })
    .await
}

async fn audit(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>) -> Response {
    render_page(app, ctx, true, |_, reg, ctx| pages::audit(reg, ctx).map(Some)).await
}

#[derive(Deserialize)]
struct LangQuery {
    to: String,
    #[serde(default)]
    back: String,
}

/// A path of this console to go back to (never another site).
fn local(back: &str) -> &str {
    // Printable ASCII only: a browser drops tabs and line breaks from a URL, so `/\t/host`
    // would become `//host`.
    let ok = back.starts_with('/')
        && !back.starts_with("//")
        && back.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
        && !back.contains("://");
    if ok { back } else { "/" }
}

async fn lang(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>, Query(q): Query<LangQuery>) -> Response {
    if let Some(l) = Lang::parse(&q.to)
        && let Some(s) = app.sessions.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&ctx.session)
    {
        s.lang = l;
    }
    Redirect::to(local(&q.back)).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    csrf: String,
}

async fn logout(State(app): State<Arc<App>>, Extension(ctx): Extension<Ctx>, Form(f): Form<TokenForm>) -> Response {
    if !same(&f.csrf, &ctx.csrf) {
        return plain(StatusCode::FORBIDDEN, "the form's token is not this session's");
    }
    app.sessions.lock().unwrap_or_else(|p| p.into_inner()).remove(&ctx.session);
    let mut resp = pages::signed_out(ctx.lang, StatusCode::OK);
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("tokumei_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    resp
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

#[derive(Deserialize)]
struct AdvanceForm {
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

async fn contract_advance(
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

#[derive(Deserialize)]
struct DecideForm {
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

async fn request_decide(
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

#[derive(Deserialize)]
struct FiledForm {
    csrf: String,
    version: i64,
    stage: String,
    #[serde(default)]
    date: String,
    reference: String,
}

async fn incident_filed(
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

    #[test]
    fn back_links_stay_on_this_console() {
        assert_eq!(local("/requests/3"), "/requests/3");
        for bad in
            ["//evil.example/", "https://evil.example/", "/\\evil", "", "requests", "/\t/evil.example", "/\n", "/ /x"]
        {
            assert_eq!(local(bad), "/", "{bad}");
        }
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; tokumei_session=abc; b=2"));
        assert_eq!(cookie(&h, COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "tokumei"), None);
    }

    #[test]
    fn tokens_are_random_and_long() {
        let (a, b) = (token(), token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same(&a, &a.clone()) && !same(&a, &b) && !same(&a, &a[..10]));
    }
}
