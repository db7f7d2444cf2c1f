//! `tokumei recipient` and `tokumei contract`: licensed businesses, their proposals and contracts
//! (法112-120); one call per subcommand into `tokumei_office::records`.

use crate::args::{ChangeArgs, ViewArgs};
use crate::common::{Failure, tell, view, view_as};
use clap::Subcommand;
use std::path::PathBuf;
use tokumei_documents::register::record_markdown;
use tokumei_documents::text::register as text;
use tokumei_office::record_steps as steps;
use tokumei_office::records::{contracts, recipients};

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

/// Run a recipient command.
pub fn recipient(command: RecipientCommand) -> Result<(), Failure> {
    match command {
        RecipientCommand::Add { entry, change: c } => tell(steps::recipient_added(&c.by(), &entry)?),
        RecipientCommand::List { view: v } => {
            view_as(v.json, &recipients::list(&v.registry.path)?, |l| text::recipients_json(l), |l| text::recipients(l))
        }
    }
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
        /// The day the proposal was received (YYYY-MM-DD, Japan), when it is entered later: the
        /// call (法112) or 法117条3号 period open that day applies; never after today. Recorded
        /// with who entered it when.
        #[arg(long)]
        received: Option<String>,
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
        #[arg(long, value_parser = crate::args::registry_hours())]
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

/// Run a contract command.
pub fn contract(command: ContractCommand) -> Result<(), Failure> {
    use ContractCommand as C;
    match command {
        C::Propose { proposal, received, change: c } => tell(steps::proposed(&c.by(), &proposal, received.as_deref())?),
        C::Review { id, review, change: c } => tell(steps::reviewed(&c.on(id), &review)?),
        C::Advance { id, to, note, hours, contractor_cost, fee_yen, change: c } => {
            let step =
                contracts::Step { id, to, note: note.as_deref(), hours: hours.as_deref(), contractor_cost, fee_yen };
            tell(steps::advanced(&c.by(), &step)?)
        }
        C::Cancel { id, note, change: c } => tell(steps::cancelled(&c.on(id), &note)?),
        C::Show { id, view: v } => view(v.json, &contracts::show(&v.registry.path, id)?, text::contract),
        C::Record { id, view: v } => {
            view(v.json, &contracts::record(&v.registry.path, id)?, |r| record_markdown(r) + "\n")
        }
        C::List { view: v } => view(v.json, &contracts::list(&v.registry.path)?, |l| text::contracts(l)),
    }
}
