//! `tokumei run` and `tokumei check`: the run is `tokumei_office::run` (its order and why, there);
//! this prints what it tells and what it returns.

use crate::args::OperatorArg;
use crate::common::Failure;
use std::path::{Path, PathBuf};
use tokumei_engine::report::Report;
use tokumei_office::run::{ContractArg, RunRequest, Tell, Use};

/// Notes on stderr; a check's decisions on stdout.
struct Printer;

impl Tell for Printer {
    fn note(&self, line: &str) {
        eprintln!("{line}");
    }

    fn decided(&self, report: &Report, refused: bool) {
        crate::common::print(tokumei_office::run::decided(report, refused));
    }
}

/// Arguments of `tokumei run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Job file (TOML).
    pub job: PathBuf,
    /// Output folder (default: the job's [output] dir).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Provide the release under this contract of the registry: refused, writing nothing,
    /// unless the contract allows it (state, use period, rule file, columns and levels).
    #[arg(long, conflicts_with = "internal_use")]
    pub contract: Option<i64>,
    /// Register the release in the registry as an internal use, for this purpose (no
    /// recipient; pseudonymised data may only ever be used internally).
    #[arg(long, value_parser = tokumei_office::values::words)]
    pub internal_use: Option<String>,
    /// Staff hours of creation work for this release (recorded for the fee, 法119; 0 to
    /// 100000).
    #[arg(long, value_parser = tokumei_office::values::hours)]
    pub hours: Option<f64>,
    /// The registry (default: registry.sqlite in the job's output folder, beside its
    /// releases and audit log).
    #[arg(long, env = "TOKUMEI_REGISTRY")]
    pub registry: Option<PathBuf>,
    /// The officer's Ed25519 key (`keygen --audit`) that signs the release's manifest
    /// (default: the job's [release] sign_key). Required under a contract.
    #[arg(long)]
    pub sign_key: Option<PathBuf>,
    /// Run the job on a DataFusion Ballista cluster whose scheduler is at df://HOST:PORT
    /// (`tokumei scheduler`, `tokumei executor`): the rows are read, counted and written there,
    /// the models run here. Needs a build with the `distributed` feature; a job using anything
    /// without a distributed form yet is refused (exit 3).
    #[arg(long, value_name = "df://HOST:PORT")]
    pub cluster: Option<String>,
    #[command(flatten)]
    pub operator: OperatorArg,
}

/// Arguments of `tokumei check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// Job file (TOML).
    pub job: PathBuf,
    /// The registry whose residents' requests the check applies (default: the job's, or
    /// registry.sqlite in its output folder).
    #[arg(long, env = "TOKUMEI_REGISTRY")]
    pub registry: Option<PathBuf>,
    #[command(flatten)]
    pub operator: OperatorArg,
}

/// `tokumei run`: under `contract` or for `internal_use` when given (else the job's use).
pub fn run_command(a: RunArgs) -> Result<(), Failure> {
    let using = Use::asked(a.contract, a.internal_use);
    let contract = Some(ContractArg { registry: a.registry, using, hours: a.hours, replaces: None });
    let elsewhere = match &a.cluster {
        Some(url) => Some(cluster(url)?),
        None => None,
    };
    let request = RunRequest {
        sign_key: a.sign_key,
        elsewhere,
        ..RunRequest::from_env(a.out, a.operator.name(), false, contract)
    };
    run_job(&a.job, request)
}

/// The cluster of `--cluster`.
#[cfg(feature = "distributed")]
fn cluster(url: &str) -> Result<std::sync::Arc<dyn tokumei_office::run::Elsewhere>, Failure> {
    crate::cluster_cmd::cluster(url)
}

/// Without the `distributed` feature, `--cluster` is refused (exit 3) naming the feature.
#[cfg(not(feature = "distributed"))]
fn cluster(_url: &str) -> Result<std::sync::Arc<dyn tokumei_office::run::Elsewhere>, Failure> {
    Err(crate::common::fail(
        tokumei_engine::ExitCode::Config,
        anyhow::anyhow!(
            "--cluster needs a tokumei built with the `distributed` feature (cargo build --features distributed)"
        ),
    ))
}

/// `tokumei check`: with the registry whose requests it applies, if named.
pub fn check_command(a: CheckArgs) -> Result<(), Failure> {
    let registry = a.registry.map(|r| ContractArg { registry: Some(r), using: None, hours: None, replaces: None });
    run_job(&a.job, RunRequest::from_env(None, a.operator.name(), true, registry))
}

/// Run or check a job as asked (progress bars on a terminal), and print what it did.
pub fn run_job(job_path: &Path, request: RunRequest) -> Result<(), Failure> {
    let done = tokumei_office::run::run(job_path, request, &crate::bars::Bars::new(), &Printer)?;
    crate::common::tell(tokumei_office::run::told(&done))
}
