//! `tokumei registry` (create, status, export, purge, reset, verify) and `tokumei subject`: the
//! arguments, one call per subcommand into `tokumei_office::records`, and what is printed.

use crate::args::{RegistryArg, ViewArgs};
use crate::common::{Failure, fail, json_out, show};
use clap::Subcommand;
use std::path::PathBuf;
use tokumei_documents::text::register as text;
use tokumei_engine::ExitCode;
use tokumei_office::records::{self, subjects};

/// Registry commands.
#[derive(Subcommand)]
pub enum RegistryCommand {
    /// Create the registry (owner-only, never over an existing file) with the municipality's
    /// profile; its changes go to the audit log named here.
    Init {
        #[command(flatten)]
        registry: RegistryArg,
        /// Profile (TOML): body, actor, body_kind and the ordinance's parameters (docs/registry.md).
        #[arg(long)]
        profile: PathBuf,
        /// Audit log the registry's changes go to (default: audit.log beside the registry).
        #[arg(long)]
        audit_log: Option<PathBuf>,
        /// Operator recorded in the audit log.
        #[arg(long, env = "TOKUMEI_OPERATOR")]
        operator: Option<String>,
    },
    /// Schema version, rows per table, the last change.
    Status {
        #[command(flatten)]
        view: ViewArgs,
    },
    /// Every row of every table as JSON Lines, for the officer's records.
    Export {
        #[command(flatten)]
        registry: RegistryArg,
        /// File to write (never overwritten; default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Remove the records of contracts whose retention period (the profile's `retention_years`
    /// from their final step) has ended, each removal audited.
    PurgeExpired {
        #[command(flatten)]
        registry: RegistryArg,
        /// List what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Operator recorded in the audit log.
        #[arg(long, env = "TOKUMEI_OPERATOR")]
        operator: Option<String>,
    },
    /// Check the registry against itself and its audit log: rows edited outside tokumei, changes
    /// without their audit entry, audit entries whose change is missing.
    Verify {
        #[command(flatten)]
        registry: RegistryArg,
    },
    /// Accept, with its reason, a registry that fails its check (restored from a backup older
    /// than its audit log, rows edited outside tokumei that an officer reviewed): one audited
    /// change that records every row as it is now and every problem it accepts. Until then
    /// nothing acts on the registry (exit 9).
    Reset {
        #[command(flatten)]
        registry: RegistryArg,
        /// Why (what happened, what was checked, who decided): recorded in the audit log.
        #[arg(long)]
        reason: String,
        /// For a registry that is gone: the audit log that records it (default: `audit.log`
        /// beside where the registry was).
        #[arg(long)]
        audit_log: Option<PathBuf>,
        /// Operator recorded in the audit log.
        #[arg(long, env = "TOKUMEI_OPERATOR")]
        operator: Option<String>,
    },
}

/// Run a registry command.
pub fn registry(command: RegistryCommand) -> Result<(), Failure> {
    match command {
        RegistryCommand::Init { registry, profile, audit_log, operator } => {
            let made =
                records::registry::init(&registry.path, &profile, audit_log, &crate::common::operator(operator))?;
            say!(
                "created registry {} for {} ({}); its changes are audited in {}",
                made.path.display(),
                made.body,
                made.actor,
                made.audit_log.display()
            );
        }
        RegistryCommand::Status { view: ViewArgs { registry, json } } => {
            let s = records::registry::status(&registry.path)?;
            if json {
                return json_out(&serde_json::json!({
                    "status": s.status, "profile": s.profile, "erasures_to_do": s.erasures_to_do, "warnings": s.warnings
                }));
            }
            show(&text::status(&s));
        }
        RegistryCommand::Export { registry, out: None } => {
            let buf = records::registry::export(&registry.path)?;
            // A closed stdout (piped into `head`) is not an error.
            use std::io::Write as _;
            let _ = std::io::stdout().lock().write_all(&buf);
        }
        RegistryCommand::Export { registry, out: Some(out) } => {
            let n = records::registry::export_to(&registry.path, &out)?;
            say!("exported {n} rows to {}", out.display());
        }
        RegistryCommand::PurgeExpired { registry, dry_run, operator } => {
            let list = records::registry::purge_expired(&registry.path, dry_run, &crate::common::operator(operator))?;
            for p in &list {
                say!(
                    "{} contract {} ({}, retained until {}) with {} release record(s)",
                    if dry_run { "would remove" } else { "removed" },
                    p.contract_id,
                    p.state,
                    p.retained_until,
                    p.releases.len()
                );
            }
            if list.is_empty() {
                say!("no record has reached the end of its retention period");
            }
        }
        RegistryCommand::Reset { registry, reason, audit_log, operator } => {
            use records::registry::Reset;
            match records::registry::reset(&registry.path, &reason, audit_log, &crate::common::operator(operator))? {
                Reset::Retired { audit_log, ids } => say!(
                    "registry {}: recorded as gone in {} ({} registry id(s) retired); runs may run without it",
                    registry.path.display(),
                    audit_log.display(),
                    ids.len()
                ),
                Reset::Accepted { path, problems } => {
                    for p in &problems {
                        eprintln!("accepted: {p}");
                    }
                    say!(
                        "registry {}: reset recorded in its audit log ({} problem(s) accepted); the registry is in use again",
                        path.display(),
                        problems.len()
                    );
                }
            }
        }
        RegistryCommand::Verify { registry } => {
            let (path, problems) = records::registry::verify_at(&registry.path)?;
            if problems.is_empty() {
                say!("registry {}: every row and change matches the audit log", path.display());
                return Ok(());
            }
            for p in &problems {
                eprintln!("problem: {p}");
            }
            return Err(fail(
                ExitCode::Registry,
                anyhow::anyhow!("registry {}: {} problem(s) found", path.display(), problems.len()),
            ));
        }
    }
    Ok(())
}

/// Per-subject commands.
#[derive(Subcommand)]
pub enum SubjectCommand {
    /// Which registered releases were made from this person's records, from the per-subject
    /// index (kept only where the profile enables it: keyed digests of subject identifiers), and
    /// which requests excluded them from later runs since when. The look-up is audited; the
    /// identifier is not written anywhere.
    Provisions {
        /// The subject's identifier (the rules' `subject` column, e.g. 宛名番号; never 個人番号).
        subject: String,
        #[command(flatten)]
        view: ViewArgs,
        /// Operator recorded in the audit log.
        #[arg(long, env = "TOKUMEI_OPERATOR")]
        operator: Option<String>,
    },
}

/// Run a subject command.
pub fn subject(command: SubjectCommand) -> Result<(), Failure> {
    let SubjectCommand::Provisions { subject, view: ViewArgs { registry, json }, operator } = command;
    let found = subjects::provisions(&registry.path, &subject, &crate::common::operator(operator))?;
    if json {
        let excluded: Vec<_> = found
            .excluded
            .iter()
            .map(|(r, scope, since)| serde_json::json!({"request": r, "scope": scope, "since": since}))
            .collect();
        return json_out(&serde_json::json!({"releases": found.releases, "excluded": excluded}));
    }
    show(&text::provisions(&found, &registry.path));
    Ok(())
}
