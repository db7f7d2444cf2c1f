//! `tokumei registry` (create, status, export, purge, reset, verify) and `tokumei subject`: the
//! arguments, one call per subcommand into `tokumei_office::records`, and what is printed.

use crate::args::{ChangeArgs, OperatorArg, RegistryArg, ViewArgs};
use crate::common::{Failure, checked, tell, view_as};
use clap::Subcommand;
use std::path::PathBuf;
use tokumei_documents::text::{register as text, registry_steps};
use tokumei_office::records::{self, subjects};

/// Registry commands.
#[derive(Subcommand)]
pub enum RegistryCommand {
    /// Create the registry (owner-only, never over an existing file) with the municipality's
    /// profile; its changes go to the audit log named here.
    Init {
        /// Profile (TOML): body, actor, body_kind and the ordinance's parameters (docs/registry.md).
        #[arg(long)]
        profile: PathBuf,
        /// Audit log the registry's changes go to (default: audit.log beside the registry).
        #[arg(long)]
        audit_log: Option<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
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
        /// List what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        change: ChangeArgs,
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
        /// Why (what happened, what was checked, who decided): recorded in the audit log.
        #[arg(long)]
        reason: String,
        /// For a registry that is gone: the audit log that records it (default: `audit.log`
        /// beside where the registry was).
        #[arg(long)]
        audit_log: Option<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
    },
}

/// Run a registry command.
pub fn registry(command: RegistryCommand) -> Result<(), Failure> {
    use records::registry as r;
    match command {
        RegistryCommand::Init { profile, audit_log, change: c } => {
            tell(r::init(&c.registry.path, &profile, audit_log, &c.operator.name())?.told())
        }
        RegistryCommand::Status { view: v } => {
            view_as(v.json, &r::status(&v.registry.path)?, text::status_json, text::status)
        }
        RegistryCommand::Export { registry, out } => tell(r::exported(&registry.path, out.as_deref())?),
        RegistryCommand::PurgeExpired { dry_run, change: c } => {
            tell(registry_steps::purged(&r::purge_expired(&c.registry.path, dry_run, &c.operator.name())?, dry_run))
        }
        RegistryCommand::Reset { reason, audit_log, change: c } => {
            tell(r::reset(&c.registry.path, &reason, audit_log, &c.operator.name())?.told(&c.registry.path))
        }
        RegistryCommand::Verify { registry } => checked(r::verified(&registry.path)?),
    }
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
        #[command(flatten)]
        operator: OperatorArg,
    },
}

/// Run a subject command.
pub fn subject(command: SubjectCommand) -> Result<(), Failure> {
    let SubjectCommand::Provisions { subject, view: ViewArgs { registry, json }, operator } = command;
    let found = subjects::provisions(&registry.path, &subject, &operator.name())?;
    view_as(json, &found, text::provisions_json, |f| text::provisions(f, &registry.path))
}
