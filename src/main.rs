//! `tokumei`: de-identify municipal personal data into Parquet for licensed business users.
//!
//! Thin glue over the `pipeline/` crates: argument parsing, progress bars, the audit entry of
//! every run and the mapping of error classes to exit codes.

/// `println!` that never panics: a closed stdout (e.g. piped into `head`) is not an error.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

mod bench;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tokumei_audit::{AuditStore, JsonlLog, Record};
use tokumei_engine::run::{RunFacts, RunOptions, rfc3339};
use tokumei_engine::{EngineError, Progress};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  internal error (a bug in tokumei)
  2  usage error (bad command-line arguments)
  3  job or rule file invalid (every problem listed with file:line:col)
  4  input data error: unreadable file, wrong encoding, malformed value, too many rejected rows
  5  privacy requirement not met (k / l / suppression limit, processing standard); no output written
  6  key file missing or invalid
  7  audit log broken (`audit verify` names the first broken entry)
  8  output could not be written

Environment:
  TOKUMEI_OPERATOR  operator name recorded in the audit log (default: $USER)
  TOKUMEI_NOW       run clock as Unix seconds, for reproducible runs";

/// De-identify municipal personal data (匿名加工情報 / 仮名加工情報) into Parquet, with a
/// report and a tamper-evident audit trail. Runs fully offline.
#[derive(Parser)]
#[command(name = "tokumei", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a job: ingest, de-identify, enforce privacy models, write Parquet + report.
    Run {
        /// Job file (TOML).
        job: PathBuf,
        /// Output folder (default: the job's [output] dir).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Operator recorded in the audit log.
        #[arg(long, env = "TOKUMEI_OPERATOR")]
        operator: Option<String>,
    },
    /// Validate a job's rules against its input and check the privacy models; writes nothing.
    Check {
        /// Job file (TOML).
        job: PathBuf,
        /// Operator recorded in the audit log.
        #[arg(long, env = "TOKUMEI_OPERATOR")]
        operator: Option<String>,
    },
    /// Generate synthetic sample data.
    Sample {
        /// Kind of extract.
        kind: SampleKind,
        /// Number of rows.
        #[arg(long, default_value_t = 10_000)]
        rows: u64,
        /// Random seed (same seed, same bytes).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Text encoding.
        #[arg(long, value_enum, default_value_t = TextEncoding::Cp932)]
        encoding: TextEncoding,
        /// Output CSV file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Audit log commands.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Re-identification risk of any CSV or Parquet table over chosen quasi-identifiers.
    Risk {
        /// Table (CSV or Parquet).
        file: PathBuf,
        /// Quasi-identifier columns, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        qi: Vec<String>,
        /// Sensitive columns, comma-separated (distinct l per class is reported).
        #[arg(long, value_delimiter = ',')]
        sensitive: Vec<String>,
        /// Population size the table is a sample of (journalist and marketer risk).
        #[arg(long)]
        population: Option<u64>,
        /// Prosecutor risk above which a record counts as at risk.
        #[arg(long, default_value_t = 0.2)]
        threshold: f64,
        /// CSV encoding: auto, utf-8, cp932.
        #[arg(long, default_value = "auto")]
        encoding: String,
        /// CSV delimiter.
        #[arg(long, default_value = ",")]
        delimiter: char,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Create a new random pseudonym key file (for pseudonymized mode).
    Keygen {
        /// Key file to create (never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// Benchmarks (see docs/benchmarks.md).
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Throughput and peak memory of the sample job on generated resident-registry extracts.
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
        #[arg(long, default_value = "../shared/data/adult")]
        data: PathBuf,
        /// Repetitions; the fastest search time is reported.
        #[arg(long, default_value_t = 5)]
        repeat: u32,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; names the first broken entry (exit 7).
    Verify {
        /// Audit log file.
        #[arg(long, default_value = "reports/audit.log", conflicts_with = "job")]
        log: PathBuf,
        /// Take the audit log named by this job file instead.
        #[arg(long)]
        job: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum SampleKind {
    /// 住民基本台帳 + tax + care extract.
    ResidentRegistry,
}

#[derive(Clone, Copy, ValueEnum)]
enum TextEncoding {
    /// UTF-8.
    #[value(name = "utf-8")]
    Utf8,
    /// CP932 / Shift_JIS.
    Cp932,
}

/// Progress bars on stderr, drawn only when it is a terminal.
struct Bars {
    bar: Mutex<Option<ProgressBar>>,
    visible: bool,
}

impl Bars {
    fn new() -> Self {
        Bars { bar: Mutex::new(None), visible: std::io::stderr().is_terminal() }
    }
}

impl Progress for Bars {
    fn stage(&self, name: &str, total: Option<u64>) {
        if !self.visible {
            return;
        }
        let bar = match total {
            Some(t) => ProgressBar::new(t),
            None => ProgressBar::new_spinner(),
        };
        bar.set_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{msg:28} [{bar:40}] {percent:>3}% {elapsed_precise} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(name.to_string());
        *self.bar.lock().expect("bar lock") = Some(bar);
    }
    fn set(&self, done: u64) {
        if let Some(b) = self.bar.lock().expect("bar lock").as_ref() {
            b.set_position(done);
        }
    }
    fn finish(&self) {
        if let Some(b) = self.bar.lock().expect("bar lock").take() {
            b.finish_and_clear();
        }
    }
}

fn now_unix() -> i64 {
    if let Some(t) = std::env::var("TOKUMEI_NOW").ok().and_then(|v| v.parse().ok()) {
        return t;
    }
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn operator(given: Option<String>) -> String {
    given.or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "unknown".into())
}

/// An error with its exit code.
struct Failure {
    code: i32,
    error: anyhow::Error,
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        Failure { code: e.exit_code(), error: e.into() }
    }
}

fn fail(code: i32, error: anyhow::Error) -> Failure {
    Failure { code, error }
}

fn default_audit_log(job: &Path) -> PathBuf {
    job.parent().unwrap_or(Path::new(".")).join("..").join("reports").join("audit.log")
}

fn run_job(job_path: &Path, out: Option<PathBuf>, operator_name: Option<String>, dry_run: bool) -> Result<(), Failure> {
    let now = now_unix();
    let action = if dry_run { "check" } else { "run" };
    let mut facts = RunFacts::default();
    let job = tokumei_rules::load_job(job_path).map_err(|d| EngineError::Config(d.to_string()));
    let audit_path = job.as_ref().map(|j| j.audit_log.clone()).unwrap_or_else(|_| default_audit_log(job_path));
    let bars = Bars::new();
    let result = job.and_then(|job| {
        let opts = RunOptions { out_dir: out, now_unix: now, progress: &bars, dry_run };
        tokumei_engine::run(&job, &opts, &mut facts)
    });
    let mut record = Record {
        time: rfc3339(now),
        operator: operator(operator_name),
        action: action.into(),
        status: if result.is_ok() { "ok" } else { "failed" }.into(),
        job: Some(job_path.display().to_string()),
        dataset: facts.dataset.clone(),
        release_id: facts.release_id.clone(),
        mode: facts.mode.clone(),
        input_sha256: facts.input_sha256.clone(),
        rules_sha256: facts.rules_sha256.clone(),
        outputs: facts.outputs.clone(),
        key_id: facts.key_id.clone(),
        error: result
            .as_ref()
            .err()
            .map(|e| format!("{}: {}", e.class(), e.to_string().lines().next().unwrap_or_default())),
        details: Default::default(),
    };
    if let Ok(outcome) = &result {
        let r = &outcome.report;
        for (k, v) in [
            ("rows_in", r.rows_in),
            ("rows_rejected", r.rows_rejected),
            ("suppressed", r.suppressed),
            ("rows_out", r.rows_out),
            ("k", r.k as u64),
            ("k_achieved", r.k_achieved),
            ("creation_ms", r.timings.total_ms),
        ] {
            record.details.insert(k.into(), v.into());
        }
    }
    let audit = JsonlLog::new(&audit_path).append(record);
    let outcome = result?;
    audit.map_err(|e| {
        fail(8, anyhow::Error::new(e).context("the run succeeded but its audit entry could not be written"))
    })?;
    let r = &outcome.report;
    if dry_run {
        say!(
            "check passed: {} rows read, {} rejected, {} would be suppressed, {} would be written; k={} achieved (required {})",
            r.rows_in,
            r.rows_rejected,
            r.suppressed,
            r.rows_out,
            r.k_achieved,
            r.k
        );
    } else {
        say!(
            "release {}: {} rows read, {} rejected, {} suppressed, {} written; k={} achieved (required {})",
            r.release_id,
            r.rows_in,
            r.rows_rejected,
            r.suppressed,
            r.rows_out,
            r.k_achieved,
            r.k
        );
        for f in &outcome.files {
            say!("  wrote {}", f.display());
        }
    }
    Ok(())
}

fn print_risk(r: &tokumei_anon::risk::Risk) {
    say!("records                     {}", r.records);
    say!("equivalence classes         {}", r.classes);
    say!("smallest class (k)          {}", r.min_class_size);
    say!("sample uniques              {} ({:.2}%)", r.sample_uniques, r.sample_uniqueness * 100.0);
    say!("prosecutor risk  highest    {:.4}", r.prosecutor_max);
    say!("                 average    {:.4}", r.prosecutor_avg);
    say!("                 at risk    {:.2}% of records above {}", r.prosecutor_records_at_risk * 100.0, r.threshold);
    say!("journalist risk  highest    {:.4} (population {})", r.journalist_max, r.population);
    say!("                 average    {:.4}", r.journalist_avg);
    say!("marketer risk               {:.4}", r.marketer);
    for (s, l) in &r.l_min {
        say!("distinct l of {s:<14}{l}");
    }
    say!("\nclass size   classes   records");
    for b in &r.histogram {
        say!("{:<12} {:>8} {:>9}", b.sizes, b.classes, b.records);
    }
    say!("\ncombinations making records unique (most first)");
    for c in r.combinations.iter().filter(|c| c.unique_records > 0).take(15) {
        say!("{:>9} uniques  {:>9} distinct  {}", c.unique_records, c.distinct, c.columns.join(", "));
    }
}

fn real_main(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Run { job, out, operator } => run_job(&job, out, operator, false),
        Command::Check { job, operator } => run_job(&job, None, operator, true),
        Command::Sample { kind: SampleKind::ResidentRegistry, rows, seed, encoding, out } => {
            let enc = match encoding {
                TextEncoding::Utf8 => tokumei_synth::TextEncoding::Utf8,
                TextEncoding::Cp932 => tokumei_synth::TextEncoding::Cp932,
            };
            tokumei_synth::resident_registry(&out, rows, seed, enc).map_err(|e| fail(8, e.into()))?;
            say!("wrote {rows} rows to {}", out.display());
            Ok(())
        }
        Command::Audit { command: AuditCommand::Verify { log, job } } => {
            let log = match job {
                Some(j) => tokumei_rules::load_job(&j).map_err(|d| fail(3, anyhow::anyhow!("{d}")))?.audit_log,
                None => log,
            };
            if !log.exists() {
                return Err(fail(7, anyhow::anyhow!("audit log {} does not exist", log.display())));
            }
            let n = JsonlLog::new(&log).verify().map_err(|e| fail(7, e.into()))?;
            say!("audit log {}: {n} entries, chain intact", log.display());
            Ok(())
        }
        Command::Risk { file, qi, sensitive, population, threshold, encoding, delimiter, json } => {
            let encoding = match encoding.to_ascii_lowercase().as_str() {
                "auto" => tokumei_rules::Encoding::Auto,
                "utf-8" | "utf8" => tokumei_rules::Encoding::Utf8,
                "cp932" | "shift_jis" | "sjis" => tokumei_rules::Encoding::Cp932,
                _ => return Err(fail(2, anyhow::anyhow!("--encoding must be auto, utf-8 or cp932"))),
            };
            if !delimiter.is_ascii() {
                return Err(fail(2, anyhow::anyhow!("--delimiter must be one ASCII character")));
            }
            let input =
                tokumei_engine::risk::TableInput { path: &file, format: None, encoding, delimiter: delimiter as u8 };
            let r = tokumei_engine::risk::risk_of_file(&input, &qi, &sensitive, population, threshold)?;
            if json {
                say!("{}", serde_json::to_string_pretty(&r).map_err(|e| fail(1, e.into()))?);
            } else {
                print_risk(&r);
            }
            Ok(())
        }
        Command::Keygen { out } => {
            let id = tokumei_engine::keys::Key::generate(&out)?;
            say!("wrote key {} to {} (keep it apart from the data; it is never printed)", id, out.display());
            Ok(())
        }
        Command::Bench { command: BenchCommand::Resident { rows, dir, rules } } => {
            bench::run(&rows, &dir, &rules).context("benchmark failed").map_err(|e| fail(1, e))
        }
        Command::Bench { command: BenchCommand::Adult { data, repeat } } => {
            bench::adult(&data, repeat).context("benchmark failed").map_err(|e| fail(1, e))
        }
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
    let cli = Cli::parse();
    if let Err(f) = real_main(cli) {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), "error: {:#}", f.error);
        std::process::exit(f.code);
    }
}
