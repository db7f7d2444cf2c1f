//! `tokumei audit verify | head | rotate`: the checks are `tokumei_office::audit`; this prints
//! what they find.

use crate::args::OperatorArg;
use crate::common::{Failure, checked, print, tell};
use std::path::PathBuf;
use tokumei_office::audit;

/// Which audit log a command reads: `--log FILE` or the one a job names.
#[derive(clap::Args)]
pub struct LogArg {
    /// Audit log file.
    #[arg(long, default_value = "reports/audit.log", conflicts_with = "job")]
    pub log: PathBuf,
    /// Take the audit log (and, for verify, the releases) named by this job file instead.
    #[arg(long)]
    pub job: Option<PathBuf>,
}

impl LogArg {
    /// The log's path.
    fn path(&self) -> Result<PathBuf, Failure> {
        Ok(audit::log_of(&self.log, self.job.as_deref())?.0)
    }
}

/// Audit log commands.
#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain (naming the first broken entry), check every logged release's
    /// folder against its entry, and prove that the log still holds each anchor.
    Verify {
        #[command(flatten)]
        log: LogArg,
        /// A head kept outside the log: `<entry>:<sha256>`, a head file (`audit head --json`),
        /// a release folder, its report.json or its Parquet file. Repeatable.
        #[arg(long = "anchor", value_name = "HEAD|FILE")]
        anchors: Vec<String>,
        /// Release folders to check (an output folder, a dataset folder or one release): each
        /// must have its entry and match it, and its audit head is an anchor. Repeatable;
        /// `--job` adds the job's output folder.
        #[arg(long = "releases", value_name = "DIR")]
        releases: Vec<PathBuf>,
        /// Officer's public key (`keygen --audit` made FILE.pub): signed head files must verify.
        #[arg(long)]
        public_key: Option<PathBuf>,
        /// Also check this registry: every row and change against the log, every release's row
        /// against its entry and its files.
        #[arg(long)]
        registry: Option<PathBuf>,
    },
    /// Print the log's head (`<entry>:<sha256>`) for an officer to file outside the log.
    Head {
        #[command(flatten)]
        log: LogArg,
        /// Sign the head with this Ed25519 key (`keygen --audit`); prints a JSON head file.
        #[arg(long)]
        sign_key: Option<PathBuf>,
        /// Print a JSON head file (for `verify --anchor FILE`).
        #[arg(long)]
        json: bool,
    },
    /// Keep the current log unchanged under a new name and start a new log whose first entry
    /// records it (its SHA-256, final head and whether it was intact). The only way to continue
    /// after a broken log.
    Rotate {
        #[command(flatten)]
        log: LogArg,
        /// Why (recorded in the new log's first entry).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        operator: OperatorArg,
    },
}

/// Run an audit command.
pub fn audit(command: AuditCommand) -> Result<(), Failure> {
    match command {
        AuditCommand::Verify { log, anchors, releases, public_key, registry } => {
            let (public_key, registry) = (public_key.as_deref(), registry.as_deref());
            let asked = audit::VerifyAll {
                log: &log.log,
                job: log.job.as_deref(),
                anchors: &anchors,
                releases,
                public_key,
                registry,
            };
            checked(audit::verify_all(asked, &mut print)?)
        }
        AuditCommand::Head { log, sign_key, json } => tell(audit::head_told(&log.path()?, sign_key.as_deref(), json)?),
        AuditCommand::Rotate { log, reason, operator } => {
            tell(audit::rotated(&log.path()?, &reason, &operator.name())?)
        }
    }
}
