//! `tokumei file`: personal-information files (個人情報ファイル簿 entries), their rules, sources and
//! the published book; one call per subcommand into `tokumei_office::records::files`.

use crate::args::{ChangeArgs, RegistryArg, ViewArgs};
use crate::common::{Failure, tell, view, view_as};
use clap::Subcommand;
use std::path::PathBuf;
use tokumei_documents::text::register as text;
use tokumei_office::record_steps as steps;
use tokumei_office::records::{By, files};

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
    AddSource(AddSource),
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

/// Where a registered file's records are kept (`file add-source`).
#[derive(clap::Args)]
pub struct AddSource {
    /// The file's name.
    pub name: String,
    /// The extract.
    #[arg(long)]
    pub input: PathBuf,
    /// Its encoding (CSV; any case, `utf8`, `shift_jis` and `sjis` too; recorded as
    /// auto, utf-8 or cp932).
    #[arg(long, ignore_case = true, default_value = "auto", value_parser = crate::args::encoding())]
    pub encoding: tokumei_rules::Encoding,
    /// The column holding the subject identifier (e.g. 宛名番号; never 個人番号).
    #[arg(long)]
    pub subject_column: String,
    /// The column holding the name (to find a person by name and date of birth).
    #[arg(long)]
    pub name_column: Option<String>,
    /// The column holding the date of birth.
    #[arg(long)]
    pub birth_column: Option<String>,
    /// A column of a person's record holding other people's information (e.g. 世帯主氏名):
    /// withheld from disclosure drafts until the officer releases it. Repeatable.
    #[arg(long = "others-column")]
    pub others_columns: Vec<String>,
    /// Confirm that a subject column named otherwise holds the profile's subject identifier
    /// (宛名番号 by default).
    #[arg(long)]
    pub holds_subject_identifier: bool,
    #[command(flatten)]
    pub change: ChangeArgs,
}

impl AddSource {
    /// Who adds the source, and the source as the office takes it.
    fn source(self) -> (By, files::NewSource) {
        let source = files::NewSource {
            file: self.name,
            input: self.input,
            encoding: self.encoding,
            encoding_word: tokumei_office::sources::encoding_word(self.encoding),
            subject_column: self.subject_column,
            name_column: self.name_column,
            birth_column: self.birth_column,
            others_columns: self.others_columns,
            holds_subject_identifier: self.holds_subject_identifier,
        };
        (self.change.by(), source)
    }
}

/// Run a file command.
pub fn file(command: FileCommand) -> Result<(), Failure> {
    use FileCommand as C;
    match command {
        C::Add { entry, rules, change: c } => tell(steps::file_added(&c.by(), &entry, &rules)?),
        C::AllowRules { name, rules, change: c } => tell(steps::rules_allowed(&c.by(), &name, &rules)?),
        C::AddSource(a) => {
            let (by, source) = a.source();
            tell(steps::source_added(&by, source)?)
        }
        C::Show { name, view: v } => {
            view_as(v.json, &files::show(&v.registry.path, &name)?, |(f, _)| f, |(f, sources)| text::file(f, sources))
        }
        C::SetProposals { name, office, reuse_period_days: days, change: c } => {
            tell(steps::proposals_set(&c.by(), &name, (&office, days))?)
        }
        C::Book { out, registry } => tell(steps::book_written(&registry.path, &out)?),
        C::List { view: v } => view(v.json, &files::list(&v.registry.path)?, |l| text::files(l)),
    }
}
