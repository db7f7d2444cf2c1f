//! `tokumei executor` and `tokumei scheduler` (feature `distributed`): a Ballista executor with
//! tokumei's functions registered, and a scheduler that plans with them. Both bind to loopback
//! unless told otherwise; `tokumei run --cluster df://HOST:PORT` runs a job on them.

use crate::common::{Failure, fail};
use std::net::SocketAddr;
use tokumei_engine::ExitCode;

/// Arguments of `tokumei executor`.
#[derive(clap::Args)]
pub struct ExecutorArgs {
    /// The scheduler's address (HOST:PORT).
    #[arg(long)]
    pub scheduler: SocketAddr,
    /// Address to serve shuffle data on (Arrow Flight); the next port is its gRPC port.
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub bind: SocketAddr,
    /// Tasks run at once (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub slots: usize,
    /// Folder for shuffle files, kept in a folder of the executor's own inside it
    /// (`tokumei-executor-<port>`, emptied when the executor stops) (default: a temporary folder).
    #[arg(long)]
    pub work_dir: Option<std::path::PathBuf>,
    /// Seconds between heartbeats to the scheduler.
    #[arg(long, default_value_t = 5)]
    pub heartbeat: u64,
    /// Memory the executor's tasks may hold before sorts and aggregations spill to the work
    /// folder, split evenly among its slots (`512MiB`, `4GiB`; default: 70% of the machine's or
    /// the container's memory).
    #[arg(long, value_parser = tokumei_cluster::executor::memory_size)]
    pub memory_pool: Option<u64>,
    /// Hours after which a job's shuffle files, untouched since, are removed by the executor
    /// (what a job whose coordinator or scheduler died left behind); at least 1.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_job_data_hours: u64,
}

/// Arguments of `tokumei scheduler`.
#[derive(clap::Args)]
pub struct SchedulerArgs {
    /// Address to listen on (the coordinator's `--cluster df://HOST:PORT` and the executors'
    /// `--scheduler`).
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub bind: SocketAddr,
    /// Seconds without a heartbeat after which an executor is taken for dead and its tasks are
    /// given to the others.
    #[arg(long, default_value_t = 30)]
    pub executor_timeout: u64,
}

/// A failure of the cluster's side as the run's error class.
fn failure(e: tokumei_cluster::ClusterError) -> Failure {
    let e = e.into_engine();
    fail(e.exit_code(), e.into())
}

/// `tokumei executor`: runs until stopped.
pub fn executor(a: ExecutorArgs) -> Result<(), Failure> {
    let opts = tokumei_cluster::executor::ExecutorOptions {
        scheduler: a.scheduler,
        bind: a.bind,
        slots: a.slots,
        work_dir: a.work_dir,
        heartbeat_seconds: a.heartbeat,
        memory_pool: a.memory_pool,
        job_data_ttl_seconds: a.keep_job_data_hours.saturating_mul(3600),
    };
    tokumei_cluster::executor::run(opts).map_err(failure)
}

/// `tokumei scheduler`: runs until stopped.
pub fn scheduler(a: SchedulerArgs) -> Result<(), Failure> {
    let opts =
        tokumei_cluster::scheduler::SchedulerOptions { bind: a.bind, executor_timeout_seconds: a.executor_timeout };
    tokumei_cluster::scheduler::run(opts).map_err(failure)
}

/// The cluster of `--cluster df://HOST:PORT`.
pub fn cluster(url: &str) -> Result<std::sync::Arc<dyn tokumei_office::run::Elsewhere>, Failure> {
    match tokumei_cluster::Cluster::new(url) {
        Ok(c) => Ok(std::sync::Arc::new(c)),
        Err(e) => Err(fail(ExitCode::Usage, e.into_engine().into())),
    }
}
