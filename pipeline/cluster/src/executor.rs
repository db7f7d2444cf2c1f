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
    /// Folder in which the executor keeps its shuffle files, in a folder of its own
    /// (`tokumei-executor-<port>`: Ballista's clean-up empties it) (`None`: a temporary folder).
    pub work_dir: Option<std::path::PathBuf>,
    /// Seconds between heartbeats to the scheduler.
    pub heartbeat_seconds: u64,
    /// Memory the executor's tasks may hold before their sorts and aggregations spill to the
    /// work folder, in bytes, split evenly among its slots (`None`: 70% of the machine's or the
    /// container's memory, Ballista's default).
    pub memory_pool: Option<u64>,
    /// Seconds after which a job's shuffle files, untouched since, are removed by the executor
    /// itself (checked every 10 minutes; at least an hour): what a job whose scheduler never
    /// said it ended (a coordinator or scheduler that died) left on its disk.
    pub job_data_ttl_seconds: u64,
}

/// A size as given on the command line: bytes, or with a unit (`512MiB`, `2 GiB`, `1.5GB`);
/// at least 16 MiB.
pub fn memory_size(text: &str) -> Result<u64, String> {
    let size: bytesize::ByteSize =
        text.trim().parse().map_err(|_| format!("`{text}` is not a size (e.g. 512MiB, 2GiB or a number of bytes)"))?;
    match size.as_u64() {
        n if n < 16 << 20 => Err(format!("{text}: below 16 MiB, too little to run a task")),
        n => Ok(n),
    }
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
    // The executor's own folder inside the work folder: Ballista's clean-up removes every
    // folder in its work folder (those untouched for the TTL, and all of them when it stops),
    // so it gets one of its own, never the operator's folder or another executor's.
    let work_dir = match opts.work_dir {
        Some(d) => {
            let own = d.join(format!("tokumei-executor-{}", opts.bind.port()));
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(&own).map_err(|e| ClusterError::io(&own, e))?;
            Some(own.display().to_string())
        }
        None => None,
    };
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
        work_dir,
        executor_heartbeat_interval_seconds: opts.heartbeat_seconds.max(1),
        print_thread_info: false,
        override_function_registry: Some(Arc::new(registry)),
        memory_pool_size: opts.memory_pool,
        job_data_ttl_seconds: opts.job_data_ttl_seconds.max(3600),
        job_data_clean_up_interval_seconds: 600,
        ..ExecutorProcessConfig::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ClusterError::Internal(e.to_string()))?;
    rt.block_on(start_executor_process(Arc::new(config))).map_err(|e| ClusterError::Cluster(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_read_with_their_units_and_too_little_is_refused() {
        assert_eq!(memory_size("512MiB"), Ok(512 << 20));
        assert_eq!(memory_size("2 GiB"), Ok(2 << 30));
        assert_eq!(memory_size("1073741824"), Ok(1 << 30));
        assert!(memory_size("1KiB").unwrap_err().contains("below 16 MiB"));
        assert!(memory_size("much").unwrap_err().contains("not a size"));
        assert!(memory_size("").is_err());
    }
}
