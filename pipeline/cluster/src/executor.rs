//! `tokumei executor`: a Ballista executor with tokumei's functions registered, so the plans the
//! scheduler hands it can call them. It serves its shuffle data on loopback unless told
//! otherwise; it reads a run's context (rules, keys) from the folder the plans name, which must
//! be reachable from it (the same machine, or shared storage).

use crate::ClusterError;
use std::net::SocketAddr;
use std::sync::Arc;

/// How to run an executor.
pub struct ExecutorOptions {
    /// The scheduler's address.
    pub scheduler: SocketAddr,
    /// Address to serve shuffle data on (Arrow Flight); its gRPC port is the next one.
    pub bind: SocketAddr,
    /// Tasks run at once (0: one per core).
    pub slots: usize,
    /// Folder for shuffle files (`None`: a temporary folder).
    pub work_dir: Option<std::path::PathBuf>,
    /// Seconds between heartbeats to the scheduler.
    pub heartbeat_seconds: u64,
}

/// Run an executor until the process is stopped.
pub fn run(opts: ExecutorOptions) -> Result<(), ClusterError> {
    use ballista_core::registry::BallistaFunctionRegistry;
    use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
    let mut registry = BallistaFunctionRegistry::default();
    for f in crate::functions::all() {
        registry.scalar_functions.insert(f.name().to_string(), f);
    }
    let grpc_port =
        opts.bind.port().checked_add(1).ok_or_else(|| ClusterError::Internal("port out of range".into()))?;
    let config = ExecutorProcessConfig {
        bind_host: opts.bind.ip().to_string(),
        external_host: Some(opts.bind.ip().to_string()),
        port: opts.bind.port(),
        grpc_port,
        scheduler_host: opts.scheduler.ip().to_string(),
        scheduler_port: opts.scheduler.port(),
        scheduler_connect_timeout_seconds: 30,
        vcores: match opts.slots {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        },
        work_dir: opts.work_dir.map(|d| d.display().to_string()),
        executor_heartbeat_interval_seconds: opts.heartbeat_seconds.max(1),
        print_thread_info: false,
        override_function_registry: Some(Arc::new(registry)),
        ..ExecutorProcessConfig::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ClusterError::Internal(e.to_string()))?;
    rt.block_on(start_executor_process(Arc::new(config))).map_err(|e| ClusterError::Cluster(e.to_string()))
}
