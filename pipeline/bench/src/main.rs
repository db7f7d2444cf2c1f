//! `tokumei-bench`: throughput on generated extracts and the ARX comparison on Adult and cup. Run from the
//! repository root with a release build: `cargo run --release -p tokumei-bench -- adult`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Benchmarks for tokumei (see docs/benchmarks.md).
#[derive(Parser)]
#[command(name = "tokumei-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Throughput and peak memory of a rule file on generated resident-registry extracts.
    Resident {
        /// Rows to generate and process, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = [1_000_000u64, 10_000_000])]
        rows: Vec<u64>,
        /// Working folder for generated data and outputs.
        #[arg(long, default_value = "target/bench")]
        dir: PathBuf,
        /// Rule file to run (rules/resident_registry_search.toml runs the optimal search).
        #[arg(long, default_value = "rules/resident_registry.toml")]
        rules: PathBuf,
    },
    /// The six ARX comparison configurations on Adult: one JSON line each.
    Adult {
        /// Folder with adult.csv and adult_hierarchy_*.csv.
        #[arg(long, default_value = "samples/adult")]
        data: PathBuf,
        #[command(flatten)]
        configs: Configs,
    },
    /// The same configurations on ARX's KDD Cup 98 benchmark data ("cup"; not shipped, see
    /// docs/benchmarks.md for where it comes from).
    Cup {
        /// Folder with cup.csv and cup_hierarchy_*.csv.
        #[arg(long)]
        data: PathBuf,
        #[command(flatten)]
        configs: Configs,
    },
    /// What proving the registry before every act costs, on registries of many changes.
    Registry {
        /// Changes to build the registry with, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = [1_000u64, 10_000, 100_000])]
        changes: Vec<u64>,
        /// Working folder (a RAM disk makes building quick; the timings are of the checks).
        #[arg(long, default_value = "target/bench/registry")]
        dir: PathBuf,
    },
}

/// Which searches an ARX comparison runs.
#[derive(clap::Args)]
struct Configs {
    /// Values of k, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [2u32, 5, 10])]
    k: Vec<u32>,
    /// Suppression limits (shares of the records), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [0.0f64, 0.02])]
    suppression: Vec<f64>,
    /// Repetitions; the fastest and the median search time are reported.
    #[arg(long, default_value_t = 5)]
    repeat: u32,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Resident { rows, dir, rules } => tokumei_bench::drivers::run(&rows, &dir, &rules),
        Command::Adult { data, configs: c } => {
            tokumei_bench::drivers::arx_configs(&tokumei_bench::arx::ADULT_SET, &data, &c.k, &c.suppression, c.repeat)
        }
        Command::Cup { data, configs: c } => {
            tokumei_bench::drivers::arx_configs(&tokumei_bench::arx::CUP_SET, &data, &c.k, &c.suppression, c.repeat)
        }
        Command::Registry { changes, dir } => {
            for n in changes {
                tokumei_bench::registry::run(n, &dir, std::path::Path::new("samples/registry"))?;
            }
            Ok(())
        }
    }
}
