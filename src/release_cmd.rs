//! `tokumei release`: the registered releases (list, show, provide, identify, verify, replace,
//! destroyed); one call per subcommand into `tokumei_office::records::releases`.

use crate::args::{ChangeArgs, RegistryArg, ViewArgs};
use crate::common::{Failure, checked, tell, view};
use clap::Subcommand;
use std::path::PathBuf;
use tokumei_documents::text::register as text;
use tokumei_office::{record_steps as steps, records::releases, run::RunRequest};

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
        #[arg(long, value_parser = crate::args::day())]
        date: Option<tokumei_jp::Date>,
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
        #[arg(long, value_parser = tokumei_office::values::hours)]
        hours: Option<f64>,
        /// The input is no longer the one the release was made from (e.g. the extract was
        /// updated): why the records as they are now replace it. Without it such a replacement
        /// is refused.
        #[arg(long, value_parser = tokumei_office::values::words)]
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
        #[arg(long, value_parser = crate::args::day())]
        date: Option<tokumei_jp::Date>,
        #[command(flatten)]
        change: ChangeArgs,
    },
}

/// Run a release command.
pub fn release(command: ReleaseCommand) -> Result<(), Failure> {
    use ReleaseCommand as C;
    match command {
        C::List { view: v } => view(v.json, &releases::list(&v.registry.path)?, |l| text::releases(l)),
        C::Show { release_id, view: v } => view(v.json, &releases::show(&v.registry.path, &release_id)?, text::release),
        C::Replace { release_id, job, out, hours, input_changed, change: c } => {
            let (out, arg) = releases::replacing(&c.registry.path, (release_id, input_changed), out, hours)?;
            crate::job::run_job(&job, RunRequest::from_env(out, c.operator.name(), false, Some(arg)))
        }
        C::Destroyed { release_id, how, date, change: c } => {
            tell(steps::destroyed(&c.by(), &release_id, (&how, date))?)
        }
        C::Provide { release_id, medium, receipt, date, contract, change: c } => {
            let given =
                releases::Provision { release_id: &release_id, medium: &medium, receipt: &receipt, date, contract };
            tell(steps::provided(&c.by(), given)?)
        }
        C::Identify { file, registry } => tell(steps::identified(&registry.path, &file)?),
        C::Verify { release_id, registry } => checked(releases::verify(&registry.path, release_id.as_deref())?),
    }
}
