//! `tokumei init`, `sample`, `keygen` and `risk`: the tools around a job, each a library call
//! and what it prints.

use crate::common::{Failure, tell, view};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use std::path::PathBuf;
use tokumei_documents::text::Told;
use tokumei_office::sample;

/// How a CSV is read: its encoding and delimiter.
#[derive(clap::Args)]
pub struct CsvArgs {
    /// CSV encoding (any case; `utf8`, `shift_jis` and `sjis` too).
    #[arg(long, ignore_case = true, default_value = "auto", value_parser = crate::args::encoding())]
    pub encoding: tokumei_rules::Encoding,
    /// CSV delimiter: one ASCII character other than a quote or a line break.
    #[arg(long, default_value = ",", value_parser = tokumei_office::values::delimiter)]
    pub delimiter: u8,
}

impl CsvArgs {
    /// The table at `path`, read so.
    fn table(self, path: &std::path::Path) -> tokumei_engine::risk::TableInput<'_> {
        tokumei_engine::risk::TableInput { path, format: None, encoding: self.encoding, delimiter: self.delimiter }
    }
}

/// Arguments of `tokumei init`.
#[derive(clap::Args)]
pub struct InitArgs {
    /// The extract (CSV or Parquet).
    pub extract: PathBuf,
    /// Rules file to write (an existing file is kept unless --force); without it the draft
    /// goes to stdout and the summary to stderr.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Dataset name (default: the extract's file name).
    #[arg(long)]
    pub dataset: Option<String>,
    #[command(flatten)]
    pub csv: CsvArgs,
    /// Replace an existing rules file.
    #[arg(long)]
    pub force: bool,
    /// The CSV has no header line: name the columns column_1, column_2, ... and read the
    /// first line as data (without it, a first line that looks like data is refused).
    #[arg(long)]
    pub no_header: bool,
}

/// Arguments of `tokumei sample`.
#[derive(clap::Args)]
pub struct SampleArgs {
    /// Kind of extract.
    #[arg(value_parser = PossibleValuesParser::new(sample::KINDS.map(|(k, help)| PossibleValue::new(k).help(help))))]
    pub kind: String,
    /// Number of rows.
    #[arg(long, default_value_t = 10_000)]
    pub rows: u64,
    /// Random seed (same seed, same bytes).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Text encoding.
    #[arg(long, default_value = "cp932", value_parser = sample_encoding())]
    pub encoding: tokumei_synth::TextEncoding,
    /// Output CSV file, or folder for resident-extracts (existing files are kept unless --force).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `tokumei risk`.
#[derive(clap::Args)]
pub struct RiskArgs {
    /// Table (CSV or Parquet).
    pub file: PathBuf,
    /// Quasi-identifier columns, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub qi: Vec<String>,
    /// Sensitive columns, comma-separated (distinct l per class is reported).
    #[arg(long, value_delimiter = ',')]
    pub sensitive: Vec<String>,
    /// Population size the table is a sample of (journalist and marketer risk).
    #[arg(long)]
    pub population: Option<u64>,
    /// Prosecutor risk above which a record counts as at risk.
    #[arg(long, default_value_t = 0.2)]
    pub threshold: f64,
    #[command(flatten)]
    pub csv: CsvArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `tokumei keygen`.
#[derive(clap::Args)]
pub struct KeygenArgs {
    /// Key file to create (never overwritten).
    #[arg(long)]
    pub out: PathBuf,
    /// Make an audit signing key pair instead of a pseudonym key.
    #[arg(long)]
    pub audit: bool,
}

/// A sample's text encoding (`sample --encoding`): the office's words.
fn sample_encoding() -> impl TypedValueParser<Value = tokumei_synth::TextEncoding> {
    let words = sample::ENCODINGS.map(|(_, word, help)| PossibleValue::new(word).help(help));
    PossibleValuesParser::new(words)
        .map(|w| sample::ENCODINGS.into_iter().find(|e| e.1 == w).expect("a listed encoding").0)
}

/// `tokumei init`: draft a rules file; the summary goes where the draft does not.
pub fn init(a: InitArgs) -> Result<(), Failure> {
    let (input, out) = (a.csv.table(&a.extract), a.out.as_deref());
    let draft = tokumei_office::init::draft_rules(&input, a.dataset, out, a.force, a.no_header)?;
    tell(tokumei_office::init::told(&draft, out))
}

/// `tokumei sample`: resident extracts (three files in a folder) or one resident-registry file.
pub fn sample(a: SampleArgs) -> Result<(), Failure> {
    tell(Told::out(sample::sample(&a.kind, &a.out, (a.rows, a.seed), a.encoding, a.force)?))
}

/// `tokumei keygen`: a pseudonym key, or with `audit` an officer's signing key pair.
pub fn keygen(KeygenArgs { out, audit }: KeygenArgs) -> Result<(), Failure> {
    tell(Told::out(tokumei_office::init::keygen(&out, audit)?))
}

/// `tokumei risk`: the risk of a table over chosen quasi-identifiers, as text or JSON.
pub fn risk(a: RiskArgs) -> Result<(), Failure> {
    let input = a.csv.table(&a.file);
    let r = tokumei_engine::risk::risk_of_file(&input, &a.qi, &a.sensitive, a.population, a.threshold)?;
    view(a.json, &r, tokumei_documents::text::risk::table)
}
