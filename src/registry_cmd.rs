//! `tokumei registry`, `file`, `recipient`, `contract`, `release` and `subject`: the arguments,
//! one call per subcommand into `tokumei_office::records`, and what is printed.

use crate::{Failure, fail};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use tokumei_engine::ExitCode;
use tokumei_office::records::{self, contracts, files, recipients, releases, subjects};
use tokumei_registry::{RegistryError, StoredContract, StoredFile, StoredRelease, Who};

/// Which registry a command uses.
#[derive(clap::Args)]
pub struct RegistryArg {
    /// Registry file (SQLite).
    #[arg(long = "registry", env = "TOKUMEI_REGISTRY", default_value = "reports/registry.sqlite")]
    pub path: PathBuf,
}

/// The registry a reading command uses, and how it prints.
#[derive(clap::Args)]
pub struct ViewArgs {
    #[command(flatten)]
    pub(crate) registry: RegistryArg,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The registry a change goes to, and who makes it.
#[derive(clap::Args)]
pub struct ChangeArgs {
    #[command(flatten)]
    pub(crate) registry: RegistryArg,
    /// Operator recorded in the audit log.
    #[arg(long, env = "TOKUMEI_OPERATOR")]
    pub(crate) operator: Option<String>,
}

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

/// A registry error with its exit code: a broken audit log, a bad entry file, else the registry.
pub(crate) fn reg_fail(e: RegistryError) -> Failure {
    tokumei_office::OfficeError::Registry(e).into()
}

/// Who makes a registry change, and when: the run clock (`TOKUMEI_NOW` when set, so a test clock
/// sets the journal times too).
pub(crate) fn who(operator: Option<String>) -> Result<Who, Failure> {
    Ok(records::who(&crate::operator(operator))?)
}

/// Today (YYYY-MM-DD) by the run clock (`TOKUMEI_NOW` in tests), as a date in Japan.
pub(crate) fn today() -> Result<String, Failure> {
    Ok(records::today()?)
}

/// Print a value as pretty JSON.
pub(crate) fn json_out(v: &impl serde::Serialize) -> Result<(), Failure> {
    say!("{}", serde_json::to_string_pretty(v).map_err(|e| fail(ExitCode::Internal, e.into()))?);
    Ok(())
}

/// Run a registry command.
pub fn registry(command: RegistryCommand) -> Result<(), Failure> {
    match command {
        RegistryCommand::Init { registry, profile, audit_log, operator } => {
            let made = records::registry::init(&registry.path, &profile, audit_log, &crate::operator(operator))?;
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
            print_status(&s);
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
            let list = records::registry::purge_expired(&registry.path, dry_run, &crate::operator(operator))?;
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
            match records::registry::reset(&registry.path, &reason, audit_log, &crate::operator(operator))? {
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

/// What `registry status` prints.
fn print_status(s: &records::registry::Status) {
    let (status, profile) = (&s.status, &s.profile);
    say!("registry        {}", status.path);
    say!("schema version  {}", status.schema_version);
    say!("body            {} ({}, {})", profile.body, profile.actor.label(), profile.body_kind.as_str());
    say!(
        "proposals       {}",
        if profile.proposals_mandatory() { "calls mandatory (at least yearly)" } else { "calls optional" }
    );
    say!("audit log       {}", status.audit_log);
    for (table, n) in &status.tables {
        say!("  {table:<14}{n:>8} rows");
    }
    if let Some(c) = &status.last_change {
        say!(
            "last change     #{} {} `{}` by {} at {} (audit entry {})",
            c.id,
            c.action,
            c.subject,
            c.operator,
            c.time,
            c.audit_seq.unwrap_or(0)
        );
    }
    for t in &s.erasures_to_do {
        say!(
            "warning: request {}: {} internal copy(ies) holding a person whose erasure or stop of use was accepted are not destroyed ({}), due {}{}",
            t.request_id,
            t.outstanding.len(),
            t.outstanding.join(", "),
            t.due,
            if t.overdue(&s.today) { " OVERDUE" } else { "" }
        );
    }
    for w in &s.warnings {
        say!("warning: {w}");
    }
}

/// The registry's problems against its audit log (a broken log is an audit failure).
pub fn verify(reg: &tokumei_registry::Registry) -> Result<Vec<String>, Failure> {
    Ok(records::registry::verify(reg)?)
}

/// What `file show` prints of a file.
fn print_file(f: &StoredFile) {
    let e = &f.entry;
    let yes = |b: bool| if b { "yes" } else { "no" };
    say!("{} (#{}, added {})", e.name, f.id, f.added);
    say!("  unit                 {}", e.unit);
    say!("  purpose              {}", e.purpose);
    say!("  items                {}", e.items.join(", "));
    say!("  people recorded      {} ({})", e.people, e.people_range);
    say!("  collection           {}", e.collection_method);
    say!("  要配慮 / 条例要配慮   {} / {}", yes(e.sensitive), yes(e.ordinance_sensitive));
    say!(
        "  regular recipients   {}",
        if e.regular_recipients.is_empty() { "-".into() } else { e.regular_recipients.join(", ") }
    );
    say!("  requests to          {}", e.request_office);
    if let Some(o) = &e.other_law_procedures {
        say!("  other laws           {o}");
    }
    say!(
        "  法60条3項 1/2/3号     {} / {} / {}; open to proposals: {}",
        yes(e.published),
        yes(e.disclosable),
        yes(e.processable),
        yes(e.open_to_proposals)
    );
    if e.open_to_proposals {
        say!(
            "  proposals to         {} (法110条2号)",
            e.proposal_office.as_deref().unwrap_or("(not set: `tokumei file set-proposals`)")
        );
        say!("  法118 proposals      {} days from creation (法117条3号)", e.reuse_days());
    }
    for r in &f.rules {
        say!("  rules                {} (sha256 {})", r.path, &r.sha256[..16.min(r.sha256.len())]);
    }
    // 法117: the anonymised data made from the file, entered on creation.
    for c in &f.created_anonymised {
        let s = |k: &str| c[k].as_str().unwrap_or("-").to_string();
        let items: Vec<&str> =
            c["items"].as_array().map(|a| a.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
        say!(
            "  anonymised data      {} (contract {}, created {}): {} people{}; items {}",
            c["release"].as_str().or_else(|| c["releases"][0].as_str()).unwrap_or("-"),
            c["contract"],
            c["created"]
                .as_str()
                .map(String::from)
                .or_else(|| c["entered"].as_str().map(String::from))
                .unwrap_or_default(),
            c["people"],
            if s("people_counted_by").starts_with("rows") { " (counted as rows)" } else { "" },
            items.join(", ")
        );
        say!(
            "                       法118 proposals to {} from {} to {} (法117条2号・3号)",
            s("proposal_office"),
            s("proposals_from"),
            s("proposals_until")
        );
    }
    for w in e.warnings() {
        say!("  warning              {w}");
    }
}

/// Run a file command.
pub fn file(command: FileCommand) -> Result<(), Failure> {
    match command {
        FileCommand::Add { entry, rules, change: ChangeArgs { registry, operator } } => {
            let added = files::add(&registry.path, &entry, &rules, &crate::operator(operator))?;
            say!("registered file `{}` (#{}) with {} allowed rule file(s)", added.entry.name, added.id, added.rules);
            for w in added.entry.warnings() {
                eprintln!("warning: {w}");
            }
        }
        FileCommand::AllowRules { name, rules, change: ChangeArgs { registry, operator } } => {
            let rules = files::allow_rules(&registry.path, &name, &rules, &crate::operator(operator))?;
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
            let source = files::add_source(&registry.path, given, &crate::operator(operator))?;
            say!("file `{name}`: records kept in {} ({})", source.path, source.format);
        }
        FileCommand::Show { name, view: ViewArgs { registry, json } } => {
            let (f, sources) = files::show(&registry.path, &name)?;
            if json {
                return json_out(&f);
            }
            print_file(&f);
            for s in &sources {
                say!("  records kept in      {} ({}, subject column {})", s.path, s.format, s.subject_column);
            }
        }
        FileCommand::SetProposals { name, office, reuse_period_days, change: ChangeArgs { registry, operator } } => {
            files::set_proposals(&registry.path, &name, &office, reuse_period_days, &crate::operator(operator))?;
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
            say!("{:<4} {:<28} {:>10}  {:<9} rules", "id", "name", "people", "proposals");
            for f in &files {
                say!(
                    "{:<4} {:<28} {:>10}  {:<9} {}",
                    f.id,
                    f.entry.name,
                    f.entry.people,
                    if f.entry.open_to_proposals { "open" } else { "closed" },
                    f.rules.len()
                );
            }
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
            let (r, id) = recipients::add(&registry.path, &entry, &crate::operator(operator))?;
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
            for (id, r, barred) in &list {
                let bar = barred.as_ref().map(|b| format!("  (法120: barred until {b})")).unwrap_or_default();
                let number = r.corporate_number.as_ref().map(|n| format!("  法人番号 {n}")).unwrap_or_default();
                say!("{id:<4} {}{number}  {}{bar}", r.name, r.contact);
            }
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
                contracts::propose(&registry.path, &proposal, &crate::operator(operator))?;
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
            let (r, passed) = contracts::review(&registry.path, id, &review, &crate::operator(operator))?;
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
            let paid = contracts::advance(&registry.path, &step, &crate::operator(operator))?;
            say!("contract {id}: {}", to.as_str());
            if let Some(c) = paid {
                say!("  fee {} yen ({})", c.fee_yen.unwrap_or(0), fee_words(c.fee_basis.as_ref()));
            }
        }
        ContractCommand::Cancel { id, note, change: ChangeArgs { registry, operator } } => {
            contracts::cancel(&registry.path, id, &note, &crate::operator(operator))?;
            say!("contract {id}: cancelled (法120); the business may not receive data for two years");
        }
        ContractCommand::Show { id, view: ViewArgs { registry, json } } => {
            let c = contracts::show(&registry.path, id)?;
            if json {
                return json_out(&c);
            }
            print_contract(&c);
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
            for c in &list {
                say!(
                    "{:<4} {:<18} {:<13} {} / {}  use {}..{}",
                    c.id,
                    c.state.as_str(),
                    c.kind.as_str(),
                    c.recipient,
                    c.file,
                    c.proposal.use_from,
                    c.proposal.use_until
                );
            }
        }
    }
    Ok(())
}

/// What `contract show` prints.
fn print_contract(c: &StoredContract) {
    say!("contract {} — {} / {} — {}", c.id, c.recipient, c.file, c.state.as_str());
    say!("  kind        {}", c.kind.label());
    if let Some(r) = &c.proposal.release {
        say!("  data        release {r} (made under contract {})", c.parent_id.unwrap_or(0));
    } else if let Some(p) = c.parent_id {
        say!("  changes     contract {p} (its business)");
    }
    if let Some(call) = c.call_id {
        say!("  call        {call} (法111)");
    }
    say!("  people      {}", c.proposal.people);
    say!("  purpose     {}", c.proposal.purpose);
    say!("  use period  {} .. {}", c.proposal.use_from, c.proposal.use_until);
    for col in &c.proposal.columns {
        say!("  column      {} ({})", col.name, col.granularity);
    }
    if let Some(f) = c.fee_yen {
        say!("  fee         {f} yen ({})", tokumei_documents::register::fee_words(c.fee_basis.as_ref()));
    }
    for t in &c.history {
        say!(
            "  {}  {} -> {}  by {}{}",
            t.time,
            t.from.as_deref().unwrap_or("-"),
            t.to,
            t.operator,
            t.note.as_ref().map(|n| format!(": {n}")).unwrap_or_default()
        );
    }
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
            print_release_list(&list);
        }
        ReleaseCommand::Show { release_id, view: ViewArgs { registry, json } } => {
            let r = releases::show(&registry.path, &release_id)?;
            if json {
                return json_out(&r);
            }
            print_release(&r);
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
                releases::destroyed(&registry.path, &release_id, &how, date, &crate::operator(operator))?;
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
            let day = releases::provide(&registry.path, given, &crate::operator(operator))?;
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

/// What `release list` prints: a line per release.
fn print_release_list(list: &[StoredRelease]) {
    for r in list {
        say!(
            "{:<46} {:<10} contract {:<4} {:<24} rows {:>9}  k {:>3}  l {}{}",
            r.release.release_id,
            r.status,
            r.release.contract_id.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
            r.recipient.as_deref().unwrap_or("(internal)"),
            r.release.rows,
            r.release.k_achieved,
            r.release.l_achieved.map(|l| l.to_string()).unwrap_or_else(|| "-".into()),
            copy_note(r)
        );
    }
}

/// What `release show` prints.
fn print_release(r: &StoredRelease) {
    say!("release {} ({})", r.release.release_id, r.status);
    say!("  recipient   {}", r.recipient.as_deref().unwrap_or("(internal)"));
    say!("  contract    {}", r.release.contract_id.map(|c| c.to_string()).unwrap_or_else(|| "-".into()));
    say!("  file        {}", r.file.as_deref().unwrap_or("-"));
    say!("  folder      {}", r.release.release_dir);
    say!(
        "  rows        {} (k {}, l {})",
        r.release.rows,
        r.release.k_achieved,
        r.release.l_achieved.map(|l| l.to_string()).unwrap_or_else(|| "-".into())
    );
    say!("  audit entry {} (head {})", r.release.audit_seq, r.release.audit_head.as_deref().unwrap_or("-"));
    if let Some(p) = &r.release.purpose {
        say!("  internal    {p}");
    }
    if let Some(old) = &r.release.replaces {
        say!(
            "  replaces    {old}{}",
            r.release.replacement_note.as_ref().map(|n| format!(" (another input: {n})")).unwrap_or_default()
        );
    }
    if let Some(by) = &r.replaced_by {
        say!("  replaced by {by}");
    }
    if let Some(d) = &r.destroyed {
        say!("  destroyed   {} by {} ({}), recorded {}", d.date, d.operator, d.how, d.time);
    }
    for f in &r.release.outputs {
        say!("  file        {}  {}", f.sha256, f.name);
    }
}

/// What `release list` adds to a release's line: what replaced it, its destruction.
fn copy_note(r: &StoredRelease) -> String {
    match (&r.destroyed, &r.replaced_by) {
        (Some(d), _) => format!("  destroyed {}", d.date),
        (None, Some(by)) => format!("  replaced by {by} (destruction not recorded)"),
        _ => String::new(),
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
        /// Operator recorded in the audit log.
        #[arg(long, env = "TOKUMEI_OPERATOR")]
        operator: Option<String>,
    },
}

/// Run a subject command.
pub fn subject(command: SubjectCommand) -> Result<(), Failure> {
    let SubjectCommand::Provisions { subject, view: ViewArgs { registry, json }, operator } = command;
    let found = subjects::provisions(&registry.path, &subject, &crate::operator(operator))?;
    if json {
        let excluded: Vec<_> = found
            .excluded
            .iter()
            .map(|(r, scope, since)| serde_json::json!({"request": r, "scope": scope, "since": since}))
            .collect();
        return json_out(&serde_json::json!({"releases": found.releases, "excluded": excluded}));
    }
    match &found.releases {
        None => say!(
            "registry {}: the profile keeps no per-subject index (`subject_index = false`): which releases hold the person is not recorded",
            registry.path.display()
        ),
        Some(f) if f.is_empty() => say!("no registered release was made from this subject's records"),
        Some(_) => {}
    }
    for r in found.releases.iter().flatten() {
        say!(
            "{}  {}  {} rows  {}{}",
            r.release.release_id,
            r.time,
            r.release.rows,
            match (&r.recipient, &r.release.purpose) {
                (Some(rec), _) => format!("provided to {rec}"),
                (None, p) => format!("internal use: {}", p.as_deref().unwrap_or("-")),
            },
            copy_note(r)
        );
    }
    for (r, scope, since) in &found.excluded {
        say!(
            "excluded by request {r} since {since} from {}",
            if scope == "all" { "every later run" } else { "every later release to a recipient" }
        );
    }
    Ok(())
}
