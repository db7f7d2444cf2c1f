//! `tokumei registry`, `file`, `recipient`, `contract`, `release` and `subject`: the arguments,
//! one call per subcommand into `tokumei_office::records`, and what is printed.

use crate::args::{ChangeArgs, RegistryArg, ViewArgs};
use crate::common::{Failure, fail, json_out, show};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use tokumei_documents::text::register as text;
use tokumei_engine::ExitCode;
use tokumei_office::records::{self, contracts, files, recipients, releases, subjects};

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

/// Personal-information file commands.
#[derive(Subcommand)]
pub enum FileCommand {
    /// Register a 個人情報ファイル簿 entry from an entry file (TOML), with the rule files allowed for
    /// its releases.
    Add {
        /// Entry file (TOML; docs/registry.md lists the fields).
        entry: PathBuf,
        /// A rule file allowed for this file's releases (by content). Repeatable.
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Allow one more rule file for a registered file's releases.
    AllowRules {
        /// The file's name.
        name: String,
        /// The rule file.
        #[arg(long = "rules")]
        rules: PathBuf,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Show one registered file.
    Show {
        /// The file's name.
        name: String,
        #[command(flatten)]
        view: ViewArgs,
    },
    /// Record where a registered file's records are kept (a CSV or Parquet extract) and which
    /// column holds the subject identifier: disclosure requests search it. Repeatable per file.
    AddSource {
        /// The file's name.
        name: String,
        /// The extract.
        #[arg(long)]
        input: PathBuf,
        /// Its encoding (CSV; any case, `utf8`, `shift_jis` and `sjis` too; recorded as
        /// auto, utf-8 or cp932).
        #[arg(long, value_enum, ignore_case = true, default_value = "auto")]
        encoding: crate::args::EncodingArg,
        /// The column holding the subject identifier (e.g. 宛名番号; never 個人番号).
        #[arg(long)]
        subject_column: String,
        /// The column holding the name (to find a person by name and date of birth).
        #[arg(long)]
        name_column: Option<String>,
        /// The column holding the date of birth.
        #[arg(long)]
        birth_column: Option<String>,
        /// A column of a person's record holding other people's information (e.g. 世帯主氏名):
        /// withheld from disclosure drafts until the officer releases it. Repeatable.
        #[arg(long = "others-column")]
        others_columns: Vec<String>,
        /// Confirm that a subject column named otherwise holds the profile's subject identifier
        /// (宛名番号 by default).
        #[arg(long)]
        holds_subject_identifier: bool,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// List the registered files.
    List {
        #[command(flatten)]
        view: ViewArgs,
    },
    /// Set the office (name and address) that receives proposals for a file (法110条2号) and for
    /// the anonymised data made from it (法117条2号), and the days from creation during which
    /// 法118 proposals for those data may be made (法117条3号).
    SetProposals {
        /// The file's name.
        name: String,
        /// The office receiving proposals: its name and address.
        #[arg(long)]
        office: String,
        /// Days from the creation of anonymised data during which 法118 proposals may be made
        /// (default 365).
        #[arg(long)]
        reuse_period_days: Option<i64>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Write the publishable 個人情報ファイル簿 (法75): the items of 法74条1項, 法110 and 法117 of
    /// every file whose entry is published, as `file-book.html` and `file-book.csv` in a folder
    /// (never overwritten).
    Book {
        /// The folder to write to (made if missing).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        registry: RegistryArg,
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

/// Run a file command.
pub fn file(command: FileCommand) -> Result<(), Failure> {
    match command {
        FileCommand::Add { entry, rules, change: ChangeArgs { registry, operator } } => {
            let added = files::add(&registry.path, &entry, &rules, &crate::common::operator(operator))?;
            say!("registered file `{}` (#{}) with {} allowed rule file(s)", added.entry.name, added.id, added.rules);
            for w in added.entry.warnings() {
                eprintln!("warning: {w}");
            }
        }
        FileCommand::AllowRules { name, rules, change: ChangeArgs { registry, operator } } => {
            let rules = files::allow_rules(&registry.path, &name, &rules, &crate::common::operator(operator))?;
            say!("file `{name}`: rules {} allowed", rules.path);
        }
        FileCommand::AddSource {
            name,
            input,
            encoding,
            subject_column,
            name_column,
            birth_column,
            others_columns,
            holds_subject_identifier,
            change: ChangeArgs { registry, operator },
        } => {
            let given = files::NewSource {
                file: name.clone(),
                input,
                encoding: encoding.encoding(),
                encoding_word: encoding.as_str(),
                subject_column,
                name_column,
                birth_column,
                others_columns,
                holds_subject_identifier,
            };
            let source = files::add_source(&registry.path, given, &crate::common::operator(operator))?;
            say!("file `{name}`: records kept in {} ({})", source.path, source.format);
        }
        FileCommand::Show { name, view: ViewArgs { registry, json } } => {
            let (f, sources) = files::show(&registry.path, &name)?;
            if json {
                return json_out(&f);
            }
            show(&text::file(&f, &sources));
        }
        FileCommand::SetProposals { name, office, reuse_period_days, change: ChangeArgs { registry, operator } } => {
            files::set_proposals(
                &registry.path,
                &name,
                &office,
                reuse_period_days,
                &crate::common::operator(operator),
            )?;
            say!("file `{name}`: proposals to {} (法110条2号, 法117条2号)", office.trim());
        }
        FileCommand::Book { out, registry } => {
            let book = files::book(&registry.path, &out)?;
            say!(
                "wrote the ファイル簿 of {} file(s) to {} and {}{}",
                book.files,
                book.html.display(),
                book.csv.display(),
                if book.withheld > 0 {
                    format!(" ({} file(s) whose entry is withheld under 法75条3項 left out)", book.withheld)
                } else {
                    String::new()
                }
            );
        }
        FileCommand::List { view: ViewArgs { registry, json } } => {
            let files = files::list(&registry.path)?;
            if json {
                return json_out(&files);
            }
            show(&text::files(&files));
        }
    }
    Ok(())
}

/// Recipient commands.
#[derive(Subcommand)]
pub enum RecipientCommand {
    /// Register a licensed business from a recipient file (TOML: name, representative, address,
    /// contact).
    Add {
        /// Recipient file (TOML).
        entry: PathBuf,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// List the recipients (with the end of a 法120 bar).
    List {
        #[command(flatten)]
        view: ViewArgs,
    },
}

/// Proposal and contract commands.
#[derive(Subcommand)]
pub enum ContractCommand {
    /// Record a received proposal (法112条2項 items, from a proposal file): a 法112 proposal in
    /// response to an open call (法111), or a 法118 proposal (kind = "article118" for created data,
    /// "change_of_use" for a contractor's change of business).
    Propose {
        /// Proposal file (TOML).
        proposal: PathBuf,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record the review of a received proposal (法113, 法114条1項) from a review file.
    Review {
        /// Contract id.
        id: i64,
        /// Review file (TOML: reviewer and one [[check]] per item).
        #[arg(long)]
        review: PathBuf,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Move a contract to its next state (checked against the workflow).
    Advance {
        /// Contract id.
        id: i64,
        /// The next state, `-` and `_` alike (review, cancellation and a change of use have
        /// their own commands: `contract review`, `contract cancel`, `contract propose`).
        #[arg(long, value_parser = crate::args::state())]
        to: tokumei_registry::State,
        /// Reasons, receipts, references (required for not_fit, withdrawn, corrections_requested,
        /// cancelled).
        #[arg(long)]
        note: Option<String>,
        /// Staff hours of creation work, for the fee of a 法112 contract (with --to fee_paid; e.g.
        /// 2.5: every hour or part of an hour is billed, 法119条3項).
        #[arg(long)]
        hours: Option<String>,
        /// What the body pays a contractor it entrusts the creation to, yen: added to the fee of a
        /// 法112 contract (with --to fee_paid).
        #[arg(long)]
        contractor_cost: Option<i64>,
        /// The fee of a 法118 contract, yen (法119条4項: the ordinance's amount), where the profile
        /// sets none (with --to fee_paid).
        #[arg(long)]
        fee_yen: Option<i64>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Cancel a contract (法120: fraud, disqualification, serious breach); bars the business for
    /// two years.
    Cancel {
        /// Contract id.
        id: i64,
        /// The ground.
        #[arg(long)]
        note: String,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Show a contract with its review, notice and history.
    Show {
        /// Contract id.
        id: i64,
        #[command(flatten)]
        view: ViewArgs,
    },
    /// The contract's full record for the officer's files (proposal, review, notice, fee, every
    /// step, releases and provisions), as Markdown or JSON.
    Record {
        /// Contract id.
        id: i64,
        #[command(flatten)]
        view: ViewArgs,
    },
    /// List contracts.
    List {
        #[command(flatten)]
        view: ViewArgs,
    },
}

/// Run a recipient command.
pub fn recipient(command: RecipientCommand) -> Result<(), Failure> {
    match command {
        RecipientCommand::Add { entry, change: ChangeArgs { registry, operator } } => {
            let (r, id) = recipients::add(&registry.path, &entry, &crate::common::operator(operator))?;
            say!("registered recipient `{}` (#{id})", r.name);
        }
        RecipientCommand::List { view: ViewArgs { registry, json } } => {
            let list = recipients::list(&registry.path)?;
            if json {
                let v: Vec<serde_json::Value> = list
                    .iter()
                    .map(|(id, r, barred)| serde_json::json!({ "id": id, "recipient": r, "barred_until": barred }))
                    .collect();
                return json_out(&v);
            }
            show(&text::recipients(&list));
        }
    }
    Ok(())
}

/// Run a contract command.
pub fn contract(command: ContractCommand) -> Result<(), Failure> {
    use tokumei_documents::register::fee_words;
    match command {
        ContractCommand::Propose { proposal, change: ChangeArgs { registry, operator } } => {
            let contracts::Proposed { proposal: p, id, contract: c } =
                contracts::propose(&registry.path, &proposal, &crate::common::operator(operator))?;
            say!(
                "recorded proposal {id} of `{}` for file `{}` (received; {}{})",
                p.recipient,
                c.as_ref().map_or(p.file.as_str(), |c| c.file.as_str()),
                p.kind.label(),
                c.as_ref().and_then(|c| c.call_id).map(|n| format!(", in response to call {n}")).unwrap_or_default()
            );
            if p.kind == tokumei_registry::ProposalKind::ChangeOfUse {
                say!(
                    "  contract {} is under review for the change of use until this proposal is decided",
                    p.contract.unwrap_or(0)
                );
            }
        }
        ContractCommand::Review { id, review, change: ChangeArgs { registry, operator } } => {
            let (r, passed) = contracts::review(&registry.path, id, &review, &crate::common::operator(operator))?;
            say!(
                "contract {id} reviewed by {}: {}",
                r.reviewer,
                if passed {
                    "every check met (notify fit next)"
                } else {
                    "checks failed (notify not_fit with reasons)"
                }
            );
        }
        ContractCommand::Advance {
            id,
            to,
            note,
            hours,
            contractor_cost,
            fee_yen,
            change: ChangeArgs { registry, operator },
        } => {
            let step =
                contracts::Step { id, to, note: note.as_deref(), hours: hours.as_deref(), contractor_cost, fee_yen };
            let paid = contracts::advance(&registry.path, &step, &crate::common::operator(operator))?;
            say!("contract {id}: {}", to.as_str());
            if let Some(c) = paid {
                say!("  fee {} yen ({})", c.fee_yen.unwrap_or(0), fee_words(c.fee_basis.as_ref()));
            }
        }
        ContractCommand::Cancel { id, note, change: ChangeArgs { registry, operator } } => {
            contracts::cancel(&registry.path, id, &note, &crate::common::operator(operator))?;
            say!("contract {id}: cancelled (法120); the business may not receive data for two years");
        }
        ContractCommand::Show { id, view: ViewArgs { registry, json } } => {
            let c = contracts::show(&registry.path, id)?;
            if json {
                return json_out(&c);
            }
            show(&text::contract(&c));
        }
        ContractCommand::Record { id, view: ViewArgs { registry, json } } => {
            let rec = contracts::record(&registry.path, id)?;
            if json {
                return json_out(&rec);
            }
            say!("{}", tokumei_documents::register::record_markdown(&rec));
        }
        ContractCommand::List { view: ViewArgs { registry, json } } => {
            let list = contracts::list(&registry.path)?;
            if json {
                return json_out(&list);
            }
            show(&text::contracts(&list));
        }
    }
    Ok(())
}

/// Release commands.
#[derive(Subcommand)]
pub enum ReleaseCommand {
    /// List the registered releases (recipient, contract, rows, k / l, status).
    List {
        #[command(flatten)]
        view: ViewArgs,
    },
    /// Show one release with its files.
    Show {
        /// Release id.
        release_id: String,
        #[command(flatten)]
        view: ViewArgs,
    },
    /// Which registered release a Parquet file is (a copy found elsewhere, e.g. a leak): its
    /// code set's keyed digest compared with every release's.
    Identify {
        /// The Parquet file.
        file: PathBuf,
        #[command(flatten)]
        registry: RegistryArg,
    },
    /// Record that a published release was provided to its recipient (the contract moves to
    /// provided): the date, the medium and the recipient's receipt.
    Provide {
        /// Release id.
        release_id: String,
        /// Medium (e.g. `暗号化USBメモリ`, `手交`).
        #[arg(long)]
        medium: String,
        /// The recipient's receipt (受領書の番号等).
        #[arg(long)]
        receipt: String,
        /// Date of provision (YYYY-MM-DD; default: today by the run clock).
        #[arg(long)]
        date: Option<String>,
        /// A 法118 contract covering the release (default: the contract it was made under).
        #[arg(long)]
        contract: Option<i64>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Check that every published release's files still match the registry (all, or one).
    Verify {
        /// Release id (default: every published release).
        release_id: Option<String>,
        #[command(flatten)]
        registry: RegistryArg,
    },
    /// Replace an internal release (`run --internal-use`) without every person residents'
    /// requests excluded from every run (an accepted erasure or stop of use): the job that made
    /// it runs again (same rule file; pseudonymised: same managed key) into a new release folder
    /// beside it (the old one is never overwritten), published complete or not at all, and
    /// registered as replacing it. Then destroy the old one and record it (`release destroyed`).
    Replace {
        /// The internal release to replace.
        release_id: String,
        /// The job that made it.
        #[arg(long)]
        job: PathBuf,
        /// Output folder (default: the one that holds the release replaced).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Staff hours of the work (recorded with the release; 0 to 100000).
        #[arg(long, value_parser = crate::args::hours)]
        hours: Option<f64>,
        /// The input is no longer the one the release was made from (e.g. the extract was
        /// updated): why the records as they are now replace it. Without it such a replacement
        /// is refused.
        #[arg(long, value_parser = crate::args::words)]
        input_changed: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record that an internal release was destroyed (its folder, and every copy of it, is
    /// gone): when and how, audited. An accepted erasure that listed it is done with it.
    Destroyed {
        /// The internal release.
        release_id: String,
        /// How it was destroyed (e.g. `フォルダを完全消去し、複製がないことを確認`).
        #[arg(long)]
        how: String,
        /// The day (YYYY-MM-DD; default: today by the run clock).
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
}

/// Run a release command.
pub fn release(command: ReleaseCommand) -> Result<(), Failure> {
    match command {
        ReleaseCommand::List { view: ViewArgs { registry, json } } => {
            let list = releases::list(&registry.path)?;
            if json {
                return json_out(&list);
            }
            show(&text::releases(&list));
        }
        ReleaseCommand::Show { release_id, view: ViewArgs { registry, json } } => {
            let r = releases::show(&registry.path, &release_id)?;
            if json {
                return json_out(&r);
            }
            show(&text::release(&r));
        }
        ReleaseCommand::Replace {
            release_id,
            job,
            out,
            hours,
            input_changed,
            change: ChangeArgs { registry, operator },
        } => {
            let old = releases::replaceable(&registry.path, &release_id)?;
            // Beside the release it replaces: <out>/<dataset>/<release id>.
            let out = out
                .or_else(|| Path::new(&old.release.release_dir).parent().and_then(Path::parent).map(Path::to_path_buf));
            let purpose = old.release.purpose.clone().unwrap_or_else(|| "内部利用".into());
            let arg = crate::job::ContractArg {
                registry: Some(registry.path),
                using: Some(crate::job::Use::Internal(purpose)),
                hours,
                replaces: Some(crate::job::Replacing { release_id, input_changed }),
            };
            return crate::job::run_job(&job, out, operator, false, Some(arg), &crate::Bars::new());
        }
        ReleaseCommand::Destroyed { release_id, how, date, change: ChangeArgs { registry, operator } } => {
            let (day, to_do) =
                releases::destroyed(&registry.path, &release_id, &how, date, &crate::common::operator(operator))?;
            say!("recorded the destruction of release {release_id} on {day} ({how})");
            for t in to_do {
                say!(
                    "  request {}: {} internal copy(ies) still to destroy: {}",
                    t.request_id,
                    t.outstanding.len(),
                    t.outstanding.join(", ")
                );
            }
        }
        ReleaseCommand::Provide {
            release_id,
            medium,
            receipt,
            date,
            contract,
            change: ChangeArgs { registry, operator },
        } => {
            let given =
                releases::Provision { release_id: &release_id, medium: &medium, receipt: &receipt, date, contract };
            let day = releases::provide(&registry.path, given, &crate::common::operator(operator))?;
            say!("recorded the provision of release {release_id} on {day} ({medium})");
        }
        ReleaseCommand::Identify { file, registry } => {
            let r = releases::identify(&registry.path, &file)?;
            say!(
                "{} is release {} ({}), provided to {} under contract {}",
                file.display(),
                r.release.release_id,
                r.status,
                r.recipient.as_deref().unwrap_or("(internal)"),
                r.release.contract_id.map(|c| c.to_string()).unwrap_or_else(|| "-".into())
            );
        }
        ReleaseCommand::Verify { release_id, registry } => {
            let v = releases::verify(&registry.path, release_id.as_deref())?;
            if v.problems.is_empty() {
                say!("{} published release(s): every file matches the registry", v.checked);
                return Ok(());
            }
            for p in &v.problems {
                eprintln!("problem: {p}");
            }
            return Err(fail(ExitCode::Registry, anyhow::anyhow!("{} problem(s) found", v.problems.len())));
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
