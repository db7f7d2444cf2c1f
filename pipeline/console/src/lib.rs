//! The officer console: a local web page over the registry.
//!
//! `tokumei serve` starts it on 127.0.0.1 only and prints a one-time login address. The address
//! opens a session (an HttpOnly, SameSite=Strict cookie); every form carries the session's
//! token against cross-site requests and the version of the record it was drawn from, so that a
//! second browser tab acting on stale data is refused in the change's own transaction
//! ([`tokumei_registry::Seen`]). Pages are rendered on the server with compile-time checked
//! templates ([`maud`]); there is no script, and nothing is fetched from elsewhere (the style
//! sheet is embedded). Actions call the same registry methods as the CLI and are audited with
//! the operator; a page that shows a person's identifiers is audited as a view.

mod ctx;
mod documents;
mod handlers;
mod pages;
mod svg;
mod text;

pub use text::Lang;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokumei_registry::Who;

/// What can stop the console.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The port could not be bound on 127.0.0.1.
    #[error("cannot listen on 127.0.0.1:{port}: {cause}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// Why.
        cause: std::io::Error,
    },
    /// The registry could not be opened, or its start could not be audited.
    #[error(transparent)]
    Registry(#[from] tokumei_registry::RegistryError),
    /// The server failed.
    #[error("console: {0}")]
    Server(std::io::Error),
}

/// How to run the console.
#[derive(Debug, Clone)]
pub struct Config {
    /// The registry file.
    pub registry: PathBuf,
    /// The port on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// The language pages start in (each session may switch).
    pub lang: Lang,
    /// The operator recorded for the console's actions and views.
    pub operator: String,
}

/// What the console needs from the program that embeds it: the clock (the documents a step
/// writes come from `tokumei-documents`, as the CLI's do).
pub trait Hooks: Send + Sync + 'static {
    /// The operator and the time of a change (the CLI's clock, a test clock in tests).
    fn who(&self, operator: &str) -> Result<Who, String>;
    /// Today (YYYY-MM-DD) by the same clock.
    fn today(&self) -> Result<String, String>;
}

/// The console, once listening.
#[derive(Debug, Clone)]
pub struct Started {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The one-time login address (open it once; it starts the session).
    pub login_url: String,
}

/// Run the console until interrupted (Ctrl-C). `ready` is told the address and the login
/// address once the port is bound.
pub fn serve(config: Config, hooks: Arc<dyn Hooks>, ready: impl FnOnce(&Started)) -> Result<(), ConsoleError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .enable_time()
        .build()
        .map_err(ConsoleError::Server)?;
    runtime.block_on(handlers::run(config, hooks, ready))
}

/// House rules ([`tokumei_house`], docs/design.md): no module of this crate names one that names
/// it back, at any distance.
#[cfg(test)]
mod architecture {
    #[test]
    fn no_circle() {
        tokumei_house::assert_no_circle(env!("CARGO_MANIFEST_DIR"), &[]);
    }

    #[test]
    fn no_long_function() {
        tokumei_house::assert_no_long_function(env!("CARGO_MANIFEST_DIR"), 150);
    }
}
