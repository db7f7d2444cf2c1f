//! `tokumei request ...`: residents' requests from intake to decision, notice and disclosure; the
//! steps are `tokumei_office::request_steps` (the documents they write, owner-only, under the
//! registry's `requests/` folder unless `--out` says); this module parses and prints.

use crate::args::{ChangeArgs, RequestChange, ViewArgs, day, registry_word};
use crate::common::{Failure, tell, view_as};
use clap::Subcommand;
use std::path::PathBuf;
use tokumei_documents::text::requests as text;
use tokumei_jp::Date;
use tokumei_office::request_steps as steps;
use tokumei_office::views::{self, RequestView};

/// Request commands.
#[derive(Subcommand)]
pub enum RequestCommand {
    /// Open a request from its intake file (TOML: kind, received, requester, capacity,
    /// verification, records, subject or [match]...; docs/requests.md). Prints its number and due date.
    Open {
        /// The intake file.
        entry: PathBuf,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Requests with their deadlines: open ones (all with --all), overdue ones flagged.
    List {
        #[command(flatten)]
        view: ViewArgs,
        /// Only those due within this many days (e.g. `7d` or `7`; up to 3650), overdue ones
        /// included.
        #[arg(long, value_parser = tokumei_office::values::days_within)]
        due_within: Option<i64>,
        /// Only overdue ones.
        #[arg(long)]
        overdue: bool,
        /// Decided and closed requests too.
        #[arg(long)]
        all: bool,
    },
    /// One request with its timeline.
    Show {
        /// The request's number.
        id: i64,
        #[command(flatten)]
        view: ViewArgs,
    },
    /// Find the person in the registered files (by the identifier given, or by name and date of
    /// birth): every candidate is shown; `--choose` records the officer's choice.
    Match {
        /// The subject identifier of the candidate chosen.
        #[arg(long)]
        choose: Option<String>,
        /// Why this candidate (the officer's note).
        #[arg(long, default_value = "identity documents match the record")]
        note: String,
        #[command(flatten)]
        on: RequestChange,
    },
    /// Record days spent waiting for the requester to fix a defective request (補正): they are
    /// not counted, the due date moves.
    Defect {
        /// Days spent.
        #[arg(long)]
        days: i64,
        /// What was missing.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        on: RequestChange,
    },
    /// Extend the deadline (法83条2項, 94条2項, 102条2項: up to the profile's extension_days) or,
    /// with --special and --until, set a later date: for the rest of a very large disclosure
    /// (法84; the 相当の部分 is still due within the normal period), or for a correction (法95) or
    /// suspension (法103) that needs especially long; writes the notice.
    Extend {
        /// Days added.
        #[arg(long, conflicts_with_all = ["until", "special"])]
        days: Option<i64>,
        /// A special extension's date for the rest.
        #[arg(long, requires = "special", value_parser = day())]
        until: Option<Date>,
        /// A special extension (法84, 95, 103).
        #[arg(long)]
        special: bool,
        /// Why.
        #[arg(long)]
        reason: String,
        /// The day the notice is sent (default: today).
        #[arg(long, value_parser = day())]
        notice_date: Option<Date>,
        /// Folder for the notice (default: requests/<id> beside the registry).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        on: RequestChange,
    },
    /// Build the disclosure draft: every record of the person in the registered files and the
    /// pseudonymised outputs (anonymised releases are not personal information and are not part
    /// of it), with each file's purposes and regular recipients; items withheld so far are shown
    /// withheld. Written as JSON, CSV and a Japanese HTML document; its digest is registered.
    Disclose {
        /// A pseudonymised job whose registered releases are searched with its key (repeatable).
        #[arg(long)]
        job: Vec<PathBuf>,
        /// Folder for the package (default: requests/<id> beside the registry).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        on: RequestChange,
    },
    /// Record that the 相当の部分 of a disclosure under a 法84 special extension was decided (it is
    /// due within the normal period; until recorded, its date is the request's deadline).
    PartDecided {
        /// What was decided (which records, with what result, the notice sent).
        #[arg(long)]
        note: String,
        /// The day (default: today).
        #[arg(long, value_parser = day())]
        date: Option<Date>,
        #[command(flatten)]
        on: RequestChange,
    },
    /// Attest the person's records outside the registered sources (paper files, other systems):
    /// `--held` they are kept there (a disclosure, correction or suspension may then be decided on
    /// them though the registered extracts hold nothing), or `--none` the other files were
    /// searched and hold none (needed for `not_held`, 法82条2項).
    Attest {
        /// Records of the person are kept outside the registered sources.
        #[arg(long, conflicts_with = "none", required_unless_present = "none")]
        held: bool,
        /// The body's other files were searched and hold none.
        #[arg(long)]
        none: bool,
        /// What and where (held), or what was searched (none), e.g. 市民課保管の紙の届出書綴り.
        #[arg(long)]
        description: String,
        /// The day (default: today).
        #[arg(long, value_parser = day())]
        date: Option<Date>,
        #[command(flatten)]
        on: RequestChange,
    },
    /// Withhold an item of the draft with its 法78条1項 ground (1-7) or a ground of the ordinance
    /// (法78条2項: the id of one of the profile's ordinance_grounds), or `--release` it again.
    Withhold {
        /// The item's number in the draft.
        #[arg(long)]
        item: usize,
        /// 法78条1項 number: 1 life/health of the requester, 2 another individual, 3 a
        /// corporation, 4 national security, 5 public safety, 6 deliberations, 7 the body's work;
        /// or the id of a ground of the ordinance (法78条2項, the profile's ordinance_grounds).
        #[arg(long, required_unless_present = "release")]
        ground: Option<String>,
        /// Disclose the item after all.
        #[arg(long)]
        release: bool,
        /// The officer's note (why the ground applies).
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        on: RequestChange,
    },
    /// Decide: a disclosure `full`, `partial`, `refused`, `existence_refused` or `not_held`; a
    /// correction or suspension `accepted` or `rejected`; an opt-out `accepted`. Writes the
    /// decision notice draft. An accepted suspension or opt-out excludes the subject from every
    /// later run (a stop of provision or opt-out: from every later release to a recipient).
    Decide {
        /// The decision.
        #[arg(long, value_parser = registry_word(tokumei_office::values::decisions()))]
        decision: String,
        /// Its reasons (required unless everything asked for is granted).
        #[arg(long, default_value = "")]
        reason: String,
        /// An accepted suspension: unlawful_holding, unlawful_use or unlawful_provision (法98条1項).
        #[arg(long, value_parser = registry_word(tokumei_registry::SUSPENSION_GROUNDS))]
        ground: Option<String>,
        /// A third party objected to the disclosure (法86): it waits the profile's third_party_days.
        #[arg(long)]
        third_party_objection: bool,
        /// The day of the decision (default: today).
        #[arg(long, value_parser = day())]
        date: Option<Date>,
        /// Folder for the notice (default: requests/<id> beside the registry).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        on: RequestChange,
    },
    /// Record a notice sent: `decision`, `extension` or `special_extension` to the requester,
    /// `correction_recipient` to a regular recipient of a corrected file (法97), or `third_party`
    /// to a third party who objected (法86条3項). A decision notice's day starts the requester's
    /// 30 days to choose the method (法87条4項).
    Notice {
        /// The notice.
        #[arg(long, value_parser = registry_word(tokumei_registry::NOTICE_KINDS))]
        kind: String,
        /// To whom.
        #[arg(long)]
        to: String,
        /// The day it was given (delivered or handed over; default: today).
        #[arg(long, value_parser = day())]
        date: Option<Date>,
        #[command(flatten)]
        on: RequestChange,
    },
    /// Record that the disclosure was carried out (the day starts the 90 days for correction
    /// and suspension).
    CarryOut {
        /// The day (default: today).
        #[arg(long, value_parser = day())]
        date: Option<Date>,
        /// The method (閲覧, 写しの交付, 電磁的記録の提供...).
        #[arg(long)]
        method: String,
        /// The day the requester chose the method.
        #[arg(long, value_parser = day())]
        chosen: Date,
        /// Why a method chosen after the period is accepted (正当な理由).
        #[arg(long)]
        late_reason: Option<String>,
        #[command(flatten)]
        on: RequestChange,
    },
    /// Close a request (withdrawn, or done).
    Close {
        /// Why.
        #[arg(long)]
        reason: String,
        /// The day (default: today).
        #[arg(long, value_parser = day())]
        date: Option<Date>,
        #[command(flatten)]
        on: RequestChange,
    },
    /// Revoke an accepted correction (every value it put in force, or one column's), with its
    /// reason: later runs no longer apply it. Audited; the request's timeline records it.
    #[command(mut_arg("id", |a| a.help("The correction request's number")))]
    RevokeCorrection {
        /// Only the value of this column (default: every value of the request).
        #[arg(long)]
        column: Option<String>,
        /// Why (kept with the revocation).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        on: RequestChange,
    },
}

/// Run a request command.
pub fn request(command: RequestCommand) -> Result<(), Failure> {
    use RequestCommand as C;
    match command {
        C::Open { entry, change: c } => tell(steps::open(&c.by(), &entry)?),
        C::List { view: v, due_within, overdue, all } => {
            let list = views::requests(&v.registry.path, views::RequestFilter { due_within, overdue, all })?;
            view_as(v.json, &list, |l| text::list_json(l), |l| text::list(l))
        }
        C::Show { id, view: v } => {
            view_as(v.json, &views::request(&v.registry.path, id)?, RequestView::json, RequestView::text)
        }
        C::Match { on, choose, note } => tell(steps::match_person(&on.into(), choose.as_deref(), &note)?),
        C::Defect { on, days, reason } => tell(steps::defect(&on.into(), days, &reason)?),
        C::Extend { on, days, until, special, reason, notice_date, out } => {
            tell(steps::extend(&on.into(), ((days, until, special), reason, notice_date), out)?)
        }
        C::Disclose { on, job, out } => tell(steps::disclose(&on.into(), &job, out)?),
        C::PartDecided { on, note, date } => tell(steps::part_decided(&on.into(), &note, date)?),
        C::Attest { on, held, none: _, description, date } => {
            tell(steps::attest(&on.into(), (held, &description), date)?)
        }
        C::Withhold { on, item, ground, release, note } => {
            tell(steps::withhold(&on.into(), item, (ground.as_deref(), release), &note)?)
        }
        C::Decide { on, decision, reason, ground, third_party_objection: tp, date, out } => {
            tell(steps::decide(&on.into(), (&decision, &reason, ground.as_deref(), tp), date, out)?)
        }
        C::Notice { on, kind, to, date } => tell(steps::notice(&on.into(), (&kind, &to), date)?),
        C::CarryOut { on, date, method, chosen, late_reason } => {
            tell(steps::carry_out(&on.into(), (date, method, chosen), late_reason.as_deref())?)
        }
        C::Close { on, reason, date } => tell(steps::close(&on.into(), &reason, date)?),
        C::RevokeCorrection { on, column, reason } => {
            tell(steps::revoke_correction(&on.into(), column.as_deref(), &reason)?)
        }
    }
}
