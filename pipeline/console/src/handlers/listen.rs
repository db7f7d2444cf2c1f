//! The loopback listener: connections bounded in number and in time.

use crate::ConsoleError;
use axum::Router;
use std::sync::Arc;
use std::time::Duration;

/// Connections served at once; more wait to be accepted.
const CONNECTIONS: usize = 64;
/// A request's head must arrive within this (a client that trickles it is dropped).
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// No connection lives longer than this (a browser opens a new one).
const CONNECTION_LIFE: Duration = Duration::from_secs(300);

/// Serve connections until Ctrl-C: HTTP/1.1 by hyper, each connection bounded in time and their
/// number bounded, so that a local client holding sockets open cannot exhaust the console.
pub(super) async fn accept(listener: tokio::net::TcpListener, router: Router) -> Result<(), ConsoleError> {
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
