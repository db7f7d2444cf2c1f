//! `tokumei scheduler`: a Ballista scheduler whose sessions know tokumei's functions (it plans
//! the coordinator's queries, which name them). Binds to loopback unless told otherwise.

use crate::ClusterError;
use std::net::SocketAddr;
use std::sync::Arc;

/// How to run the scheduler.
pub struct SchedulerOptions {
    /// Address to listen on (gRPC for the coordinator and the executors).
    pub bind: SocketAddr,
    /// Seconds without a heartbeat after which an executor is taken for dead (its tasks go to
    /// the others).
    pub executor_timeout_seconds: u64,
}

/// A session of the scheduler: Ballista's, with tokumei's functions.
fn session(
    config: datafusion::prelude::SessionConfig,
) -> datafusion::common::Result<datafusion::execution::SessionState> {
    use datafusion::execution::FunctionRegistry;
    let mut state = ballista_core::utils::default_session_builder(config)?;
    for f in crate::functions::all() {
        state.register_udf(f)?;
    }
    Ok(state)
}

/// Run the scheduler until the process is stopped.
pub fn run(opts: SchedulerOptions) -> Result<(), ClusterError> {
    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ClusterError::Internal(e.to_string()))?;
    rt.block_on(async move {
        let mut config = SchedulerConfig {
            bind_host: opts.bind.ip().to_string(),
            bind_port: opts.bind.port(),
            external_host: opts.bind.ip().to_string(),
            executor_timeout_seconds: opts.executor_timeout_seconds,
            expire_dead_executor_interval_seconds: opts.executor_timeout_seconds.clamp(1, 15),
            no_executors_grace_period_seconds: opts.executor_timeout_seconds,
            ..SchedulerConfig::default()
        }
        .with_override_session_builder(Arc::new(session));
        // Shuffle files (released values, cells, keyed hashes) leave the executors' disks soon after.
        config.finished_job_data_clean_up_interval_seconds = 5;
        let cluster =
            BallistaCluster::new_from_config(&config).await.map_err(|e| ClusterError::Cluster(e.to_string()))?;
        ballista_scheduler::scheduler_process::start_server(cluster, opts.bind, Arc::new(config))
            .await
            .map_err(|e| ClusterError::Cluster(e.to_string()))
    })
}
