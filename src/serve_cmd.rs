//! `tokumei serve`: the officer console over the registry, on 127.0.0.1 only.

use crate::args::RegistryArg;
use crate::common::{Failure, fail, print};
use std::sync::Arc;
use tokumei_console::{Config, ConsoleError, Hooks, Lang};
use tokumei_documents::text::cli::console_started;
use tokumei_engine::ExitCode;
use tokumei_office::records;
use tokumei_registry::Who;

/// Arguments of `tokumei serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    registry: RegistryArg,
    /// Port on 127.0.0.1 (0: any free port). Nothing is served to other machines.
    #[arg(long, default_value_t = 8470)]
    port: u16,
    /// Language the pages start in: `ja` or `en` (each session may switch).
    #[arg(long, default_value = "ja", value_parser = crate::args::lang())]
    lang: Lang,
    /// Operator recorded in the audit log for the console's actions and views.
    #[arg(long, env = "TOKUMEI_OPERATOR")]
    operator: Option<String>,
}

/// The CLI's clock, for the console.
struct Cli;

impl Hooks for Cli {
    fn who(&self, operator: &str) -> Result<Who, String> {
        records::who(operator).map_err(|e| e.chain())
    }

    fn today(&self) -> Result<String, String> {
        records::today().map_err(|e| e.chain())
    }
}

/// Run the console until Ctrl-C.
pub fn serve(args: ServeArgs) -> Result<(), Failure> {
    let ServeArgs { registry, port, lang, operator } = args;
    let config = Config { registry: registry.path, port, lang, operator: records::operator(operator) };
    tokumei_console::serve(config, Arc::new(Cli), |started| {
        print(console_started(&started.addr.to_string(), &started.login_url));
    })
    .map_err(|e| match e {
        ConsoleError::Registry(r) => tokumei_office::OfficeError::Registry(r).into(),
        ConsoleError::Bind { .. } => fail(ExitCode::Usage, e.into()),
        ConsoleError::Server(_) => fail(ExitCode::Registry, e.into()),
    })
}
