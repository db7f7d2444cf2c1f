//! `tokumei`: de-identify municipal personal data into Parquet for licensed business users.
//!
//! Argument parsing, dispatch (one call into `tokumei_office` per command), printing and progress
//! bars; the exit code is the error's class (docs/cli.md).

mod args;
mod audit_cmd;
mod bars;
mod call_cmd;
#[cfg(feature = "distributed")]
mod cluster_cmd;
mod common;
mod contract_cmd;
mod file_cmd;
mod incident_cmd;
mod init_cmd;
mod job;
mod pseudo_cmd;
mod received_cmd;
mod registry_cmd;
mod release_cmd;
mod request_cmd;
mod serve_cmd;
mod trace_cmd;

use clap::{Parser, Subcommand};
use common::Failure;
use tokumei_documents::text::cli::ENVIRONMENT;
use tokumei_engine::ExitCode;

/// mimalloc: pass 1 and 2 allocate and free many buffers of a few MB (chunks, batches) on
/// several threads, which the system allocator returns to the kernel and faults back in. Built
/// without transparent huge pages (`no_thp`): memory it returned and touched again was cleared
/// 2 MB at a time by the kernel (a quarter of a 10M-row run's CPU on a VM).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// De-identify municipal personal data into Parquet (anonymised: 行政機関等匿名加工情報 /
/// 匿名加工情報; pseudonymised: 仮名化した保有個人情報 for a public body, 仮名加工情報 for a business),
/// with a report and a tamper-evident audit trail. Runs fully offline.
#[derive(Parser)]
#[command(name = "tokumei", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a job: ingest, de-identify, enforce privacy models, write Parquet + report.
    Run(job::RunArgs),
    /// Validate a job's rules against its input and check the privacy models; writes nothing.
    Check(job::CheckArgs),
    /// Draft a rules file for a new extract from its data: every column's role and action
    /// guessed from its name and values, marked for review (no value of the data is written).
    Init(init_cmd::InitArgs),
    /// Generate synthetic sample data.
    Sample(init_cmd::SampleArgs),
    /// Audit log commands.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCommand),
    /// The registry: the municipality's profile, its personal-information files, recipients,
    /// contracts and releases (one SQLite file; every change audited).
    #[command(subcommand)]
    Registry(registry_cmd::RegistryCommand),
    /// Personal-information files (個人情報ファイル簿 entries) in the registry.
    #[command(subcommand)]
    File(file_cmd::FileCommand),
    /// Licensed business recipients in the registry.
    #[command(subcommand)]
    Recipient(contract_cmd::RecipientCommand),
    /// Proposals and contracts (法112-120) in the registry, through their checked workflow.
    #[command(subcommand)]
    Contract(contract_cmd::ContractCommand),
    /// Calls for proposals (法111, 規則53): open, close, list; 法112 proposals answer an open call.
    #[command(subcommand)]
    Call(call_cmd::CallCommand),
    /// Releases registered in the registry (under contracts, and internal uses): list, show,
    /// provide, verify; replace an internal release without the people erased and record the
    /// destruction of the old one.
    #[command(subcommand)]
    Release(release_cmd::ReleaseCommand),
    /// Residents' requests: disclosure, correction, suspension of use, opt-out; deadlines,
    /// decisions, notices and the disclosure package.
    #[command(subcommand)]
    Request(request_cmd::RequestCommand),
    /// Leak incidents (漏えい・滅失・毀損): triggers, report deadlines, the Commission report,
    /// notices to the people; a leaked anonymised release as a contract incident.
    #[command(subcommand)]
    Incident(incident_cmd::IncidentCommand),
    /// Name the registered release (and recipient) a file that turned up came from: a whole
    /// release or any part of it, re-encoded or with its rows and columns in any order. Exit 10
    /// when it cannot be traced to a single release.
    Trace(trace_cmd::TraceArgs),
    /// The officer console: a local web page over the registry (what is due, releases,
    /// contracts, requests, incidents, the audit log), on 127.0.0.1 only, with a one-time
    /// login address printed at start.
    Serve(serve_cmd::ServeArgs),
    /// The per-subject index (where the profile keeps one) and the exclusions of a person.
    #[command(subcommand)]
    Subject(registry_cmd::SubjectCommand),
    /// Pseudo-data (疑似データ) from a release: synthetic records fitted to its marginal and
    /// pairwise distributions (a Chow-Liu tree), marked synthetic in metadata and dictionary.
    Pseudo(args::PseudoArgs),
    /// Re-identification risk of any CSV or Parquet table over chosen quasi-identifiers.
    Risk(init_cmd::RiskArgs),
    /// The recipient's check of a release folder with the body's public key alone (no registry,
    /// no audit log): every file listed in its signed manifest and unchanged, none added; prints
    /// what the release is for. Exit 11 when it is not verified.
    VerifyRelease(received_cmd::VerifyReleaseArgs),
    /// Create a new random pseudonym key file (for pseudonymized mode), or with --audit an
    /// officer's Ed25519 key pair for signing audit heads (FILE and FILE.pub).
    Keygen(init_cmd::KeygenArgs),
    /// A Ballista executor with tokumei's functions registered, for `run --cluster` (built with
    /// the `distributed` feature). Serves on loopback unless --bind says otherwise.
    #[cfg(feature = "distributed")]
    Executor(cluster_cmd::ExecutorArgs),
    /// A Ballista scheduler that plans with tokumei's functions, for `run --cluster` and the
    /// executors (built with the `distributed` feature). Listens on loopback unless --bind says
    /// otherwise.
    #[cfg(feature = "distributed")]
    Scheduler(cluster_cmd::SchedulerArgs),
}

fn real_main(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Run(args) => job::run_command(args),
        Command::Check(args) => job::check_command(args),
        Command::Init(args) => init_cmd::init(args),
        Command::Sample(args) => init_cmd::sample(args),
        Command::Audit(command) => audit_cmd::audit(command),
        Command::Registry(command) => registry_cmd::registry(command),
        Command::File(command) => file_cmd::file(command),
        Command::Recipient(command) => contract_cmd::recipient(command),
        Command::Contract(command) => contract_cmd::contract(command),
        Command::Call(command) => call_cmd::call(command),
        Command::Release(command) => release_cmd::release(command),
        Command::Subject(command) => registry_cmd::subject(command),
        Command::Request(command) => request_cmd::request(command),
        Command::Trace(args) => trace_cmd::trace(args),
        Command::Serve(args) => serve_cmd::serve(args),
        Command::Incident(command) => incident_cmd::incident(command),
        Command::Pseudo(args) => pseudo_cmd::pseudo(args),
        Command::Risk(args) => init_cmd::risk(args),
        Command::Keygen(args) => init_cmd::keygen(args),
        Command::VerifyRelease(args) => received_cmd::verify_release(args),
        #[cfg(feature = "distributed")]
        Command::Executor(args) => cluster_cmd::executor(args),
        #[cfg(feature = "distributed")]
        Command::Scheduler(args) => cluster_cmd::scheduler(args),
    }
}

fn main() {
    // The Parquet decoder asserts on some corrupted files; tokumei contains those panics and
    // reports an input error, so print one plain line instead of a panic message.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.location().is_some_and(|l| l.file().contains("/parquet-")) {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr().lock(), "warning: the Parquet library stopped on malformed data");
        } else {
            default_hook(info);
        }
    }));
    let command = <Cli as clap::CommandFactory>::command().after_help(format!("{}\n{ENVIRONMENT}", ExitCode::help()));
    let parsed = command.try_get_matches().and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        // A value the registry refuses exits with its code, as before it was parsed here.
        Err(e) => match args::exit_code(&e) {
            Some(code) => {
                let _ = e.print();
                std::process::exit(code);
            }
            None => e.exit(),
        },
    };
    // The registry's own entries (seals, lost changes) keep the run clock too.
    tokumei_registry::use_clock(tokumei_office::clock::registry_who);
    if let Err(f) = real_main(cli) {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), "error: {:#}", f.error);
        std::process::exit(f.code.code());
    }
}

/// House rules ([`tokumei_house`], docs/design.md): no module of the binary names one that names
/// it back, at any distance.
#[cfg(test)]
mod architecture {
    #[test]
    fn no_circle() {
        tokumei_house::assert_no_circle(env!("CARGO_MANIFEST_DIR"), &[]);
    }

    #[test]
    fn no_long_function() {
        tokumei_house::assert_no_long_function(env!("CARGO_MANIFEST_DIR"), 150);
    }
}
