//! `tokumei audit verify | head | rotate`: the checks are `tokumei_office::audit`; this prints
//! what they find.

use crate::common::{Failure, fail, tell};
use std::path::{Path, PathBuf};
use tokumei_documents::text::audit as text;
use tokumei_engine::ExitCode;
use tokumei_office::audit::Verifying;

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
    /// The log, and the job that names it.
    pub fn resolve(&self) -> Result<(PathBuf, Option<tokumei_rules::Job>), Failure> {
        match &self.job {
            Some(j) => {
                let job = tokumei_rules::load_job(j).map_err(|d| fail(ExitCode::Config, anyhow::anyhow!("{d}")))?;
                Ok((job.audit_log.clone(), Some(job)))
            }
            None => Ok((self.log.clone(), None)),
        }
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
        /// Operator recorded in the audit log.
        #[arg(long, env = "TOKUMEI_OPERATOR")]
        operator: Option<String>,
    },
}

/// Run an audit command.
pub fn audit(command: AuditCommand) -> Result<(), Failure> {
    match command {
        AuditCommand::Verify { log, anchors, releases, public_key, registry } => {
            verify_all(&log, &anchors, releases, public_key.as_deref(), registry.as_deref())
        }
        AuditCommand::Head { log, sign_key, json } => head(&log.resolve()?.0, sign_key.as_deref(), json),
        AuditCommand::Rotate { log, reason, operator } => {
            rotate(&log.resolve()?.0, &reason, &crate::common::operator(operator))
        }
    }
}

/// `tokumei audit verify`, with `--registry`: the registry checked first (its problems listed),
/// then the log (the job's output folder among the releases when it has any).
pub fn verify_all(
    log: &LogArg,
    anchors: &[String],
    mut releases: Vec<PathBuf>,
    public_key: Option<&Path>,
    registry: Option<&Path>,
) -> Result<(), Failure> {
    let registry_problems = match registry {
        Some(path) => {
            let reg =
                tokumei_registry::Registry::open_unproved(path).map_err(|e| fail(ExitCode::Registry, e.into()))?;
            Some((path, tokumei_office::records::registry::verify(&reg)?))
        }
        None => None,
    };
    let (path, job) = log.resolve()?;
    if let Some(job) = job
        && job.output_dir.exists()
        && !tokumei_release::find_releases(&job.output_dir).is_empty()
    {
        releases.push(job.output_dir);
    }
    let verified = verify(&path, anchors, &releases, public_key);
    if let Some((registry, problems)) = registry_problems {
        for p in &problems {
            eprintln!("problem: registry: {p}");
        }
        if verified.is_ok() && !problems.is_empty() {
            return Err(fail(
                ExitCode::Registry,
                anyhow::anyhow!("registry {}: {} problem(s) found", registry.display(), problems.len()),
            ));
        }
        if problems.is_empty() {
            say!("registry {}: every row, change and release matches the audit log", registry.display());
        }
    }
    verified
}

/// `tokumei audit verify`: what it finds on stdout as it goes, its problems on stderr.
fn verify(log_path: &Path, anchors: &[String], releases: &[PathBuf], public_key: Option<&Path>) -> Result<(), Failure> {
    let mut print = |found: Verifying| crate::common::print(found.told(log_path));
    let problems = tokumei_office::audit::verify(log_path, anchors, releases, public_key, &mut print)?;
    if problems.is_empty() {
        return Ok(());
    }
    for p in &problems {
        eprintln!("problem: {p}");
    }
    Err(tokumei_office::audit::problems_found(log_path, problems.len()).into())
}

/// `tokumei audit head`.
pub fn head(log_path: &Path, sign_key: Option<&Path>, json: bool) -> Result<(), Failure> {
    let (last, signed) = tokumei_office::audit::head(log_path, sign_key)?;
    if json || sign_key.is_some() {
        say!("{}", serde_json::to_string(&signed).map_err(|e| fail(ExitCode::Internal, e.into()))?);
        return Ok(());
    }
    tell(text::head(&last, log_path))
}

/// `tokumei audit rotate`.
pub fn rotate(log_path: &Path, reason: &str, operator: &str) -> Result<(), Failure> {
    let (archive, first) = tokumei_office::audit::rotate(log_path, reason, operator)?;
    tell(text::rotated(&archive, log_path, &first))
}
