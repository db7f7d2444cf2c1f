//! Sessions: the one-time login, the guard every request passes (loopback Host, this origin, a
//! live session), the security headers, the language switch and signing out.

use super::App;
use crate::ctx::{Ctx, Flash};
use crate::pages;
use crate::text::Lang;
use axum::Extension;
use axum::extract::{Form, Query, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngExt;
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The session cookie's name.
const COOKIE: &str = "tokumei_session";
/// A session unused this long ends.
const IDLE: Duration = Duration::from_secs(8 * 3600);
/// Every page's policy: nothing but this origin's style sheet, no script at all.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// A signed-in browser: its form token, its language, when it was last used, and the outcome of
/// its last action (shown once).
pub(super) struct Session {
    csrf: String,
    lang: Lang,
    last: Instant,
    pub(super) flash: Option<Flash>,
}

/// A random token (32 bytes, hex): the login, a session's key, a form's token.
pub(super) fn token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Two tokens equal, compared in constant time.
pub(super) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

pub(super) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        v.split(';').find_map(|kv| {
            let (k, val) = kv.trim().split_once('=')?;
            (k == name).then(|| val.to_string())
        })
    })
}

pub(super) fn secure(mut resp: Response) -> Response {
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

pub(super) fn plain(status: StatusCode, text: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text.to_string()).into_response()
}

/// Every request: the Host must be this loopback address (no DNS rebinding), a change must come
/// from this origin, and every page but the login needs a live session.
pub(super) async fn guard(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
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
pub(super) struct LoginQuery {
    token: Option<String>,
}

/// The one-time login: the token printed at start opens one session, once.
pub(super) async fn login_page(State(app): State<Arc<App>>, Query(q): Query<LoginQuery>) -> Response {
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

#[derive(Deserialize)]
pub(super) struct LangQuery {
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

pub(super) async fn lang(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<LangQuery>,
) -> Response {
    if let Some(l) = Lang::parse(&q.to)
        && let Some(s) = app.sessions.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&ctx.session)
    {
        s.lang = l;
    }
    Redirect::to(local(&q.back)).into_response()
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    csrf: String,
}

pub(super) async fn logout(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<TokenForm>,
) -> Response {
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

#[cfg(test)]
mod tests {
    use super::*;

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
