//! `tokumei release`: the registered releases (list, show, provide, identify, verify, replace,
//! destroyed); one call per subcommand into `tokumei_office::records::releases`.

use crate::args::{ChangeArgs, RegistryArg, ViewArgs};
use crate::common::{Failure, fail, json_out, show};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use tokumei_documents::text::register as text;
use tokumei_engine::ExitCode;
use tokumei_office::records::releases;

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
            return crate::job::run_job(&job, out, operator, false, Some(arg), &crate::bars::Bars::new());
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
