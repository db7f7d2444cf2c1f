//! `tokumei pseudo`: pseudo-data (疑似データ) from a release; the use-case is
//! `tokumei_office::pseudo`.

use crate::args::OperatorArg;
use crate::common::{Failure, tell};
use std::path::PathBuf;
use tokumei_office::pseudo;

/// `tokumei pseudo` arguments.
#[derive(clap::Args)]
pub struct PseudoArgs {
    /// The release folder (`<out>/<dataset>/<release id>`); it must match its audit entry.
    pub release: PathBuf,
    /// Synthetic rows to make (1 to 100000000).
    #[arg(long, value_parser = pseudo::rows)]
    pub rows: u64,
    /// Output folder: must not exist; written complete or not at all.
    #[arg(long)]
    pub out: PathBuf,
    /// The audit log the release's job used (its entry is checked; the generation is appended).
    #[arg(long, default_value = "reports/audit.log", conflicts_with = "job")]
    pub log: PathBuf,
    /// Take the audit log named by this job file instead.
    #[arg(long)]
    pub job: Option<PathBuf>,
    #[command(flatten)]
    pub operator: OperatorArg,
}

/// Run `tokumei pseudo`.
pub fn pseudo(a: PseudoArgs) -> Result<(), Failure> {
    let ask = pseudo::PseudoAsk {
        release: &a.release,
        rows: a.rows,
        out: &a.out,
        log: &a.log,
        job: a.job.as_deref(),
        operator: a.operator.name(),
    };
    tell(pseudo::pseudo(ask)?)
}
