//! `tokumei incident ...`: leak incidents from discovery to the Commission reports and the
//! notices to the people; the steps are `tokumei_office::incident_steps` (the documents they
//! write, owner-only, under the registry's `incidents/<id>/` folder unless `--out` says); this
//! module parses and prints.

use crate::args::{ChangeArgs, IncidentChange, ViewArgs, day, registry_word};
use crate::common::{Failure, tell, view_as};
use clap::{Subcommand, builder::PossibleValuesParser};
use std::path::PathBuf;
use tokumei_documents::text::incidents as text;
use tokumei_jp::Date;
use tokumei_office::{incident_steps as steps, views};
use tokumei_registry::Notice;

/// Incident commands.
#[derive(Subcommand)]
pub enum IncidentCommand {
    /// Open an incident from its intake file (TOML: title, discovered, discovered_by, kind,
    /// suspected, cause, causes, unauthorised_access, unlawful_purpose,
    /// no_unlawful_purpose_reason, encrypted (with encryption_basis), my_number, contractor, [scope] release | file (+
    /// where, columns, deleted_items), [report]; see docs/incidents.md). The people are counted
    /// from the scope; the triggers (法68/26 and 番号法), the regime and the report due dates are
    /// printed.
    Open {
        /// The intake file.
        entry: PathBuf,
        /// For a pseudonymised release: the job that made it, whose managed key finds exactly
        /// the people in it (repeatable). Without it, the per-subject index's people (those the
        /// release was made from, suppressed records included) or a count of pseudonyms.
        #[arg(long)]
        job: Vec<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record new facts (a TOML file with the keys that changed): the scope is read again and
    /// the assessment and due dates follow; earlier facts stay in the timeline.
    Update {
        #[command(flatten)]
        on: IncidentChange,
        /// The file of changed facts.
        entry: PathBuf,
        /// For a pseudonymised release: the job that made it (as for `open`).
        #[arg(long)]
        job: Vec<PathBuf>,
    },
    /// Incidents with what is due: the next report and its date, overdue ones flagged, people
    /// still to notify.
    List {
        #[command(flatten)]
        view: ViewArgs,
        /// Closed incidents too.
        #[arg(long)]
        all: bool,
        /// Only those with a report overdue.
        #[arg(long)]
        overdue: bool,
    },
    /// One incident: facts, scope, triggers, due dates, notices, timeline.
    Show {
        /// The incident's number.
        id: i64,
        #[command(flatten)]
        view: ViewArgs,
    },
    /// Write the Commission report draft (every field of 規則44条 / 8条) as JSON and as a
    /// Japanese document, and, when 特定個人情報 make it due, the My Number report draft
    /// (番号法29条の4, its own items) beside it; for a contract incident (an anonymised
    /// release), its record instead.
    Report {
        /// `preliminary` (速報) or `final` (確報).
        #[arg(long, value_parser = PossibleValuesParser::new(tokumei_registry::STAGES))]
        stage: String,
        /// Folder for the documents (default: incidents/<id> beside the registry).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        on: IncidentChange,
    },
    /// Record a report's filing with the Commission.
    Filed {
        /// `preliminary` or `final`.
        #[arg(long, value_parser = registry_word(tokumei_registry::STAGES))]
        stage: String,
        /// The day it was filed (default: today).
        #[arg(long, value_parser = day())]
        date: Option<Date>,
        /// The Commission's reference (受付番号) or how it was filed.
        #[arg(long)]
        reference: String,
        /// The document filed (its SHA-256 is recorded).
        #[arg(long)]
        document: Option<PathBuf>,
        #[command(flatten)]
        on: IncidentChange,
    },
    /// Write the notices to the people affected: a CSV for mail merge and one letter per person
    /// (規則45条 / 10条 items), from the registered sources' records.
    Notices {
        /// Source column with the person's name (default: the source's registered name column).
        #[arg(long)]
        name_column: Option<String>,
        /// Source column with the postal address.
        #[arg(long)]
        address_column: Option<String>,
        /// Folder for the notices (default: incidents/<id>/notices beside the registry).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        on: IncidentChange,
    },
    /// Record notices sent: to the people given, or `--all` still waiting.
    Notify {
        #[command(flatten)]
        whom: Whom,
        /// `mail`, `phone`, `email`, `hand` or `other`.
        #[arg(long, value_parser = registry_word(tokumei_registry::NOTICE_METHODS))]
        method: String,
        /// When (YYYY-MM-DD, or YYYY-MM-DDTHH:MM; a phone call records the time).
        #[arg(long)]
        at: String,
        #[command(flatten)]
        on: IncidentChange,
    },
    /// Record that people are not notified, with the ground (法68条2項ただし書): `impossible`
    /// (with the substitute measure: --announcement and --desk) or `nondisclosable` (the data
    /// contain 不開示情報, 法78条1項).
    Except {
        #[command(flatten)]
        whom: Whom,
        /// `impossible` or `nondisclosable`.
        #[arg(long, value_parser = registry_word(tokumei_registry::EXCEPTION_GROUNDS))]
        ground: String,
        /// Why the ground applies.
        #[arg(long)]
        note: String,
        /// `impossible`: the public announcement made (e.g. 市ホームページ 2027-06-01 掲載).
        #[arg(long)]
        announcement: Option<String>,
        /// `impossible`: the enquiry desk set up (e.g. 市民課 03-0000-0000).
        #[arg(long)]
        desk: Option<String>,
        #[command(flatten)]
        on: IncidentChange,
    },
    /// Close an incident: its reports filed and every person notified or excepted.
    Close {
        /// Why (e.g. 確報提出済み、全員に通知済み).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        on: IncidentChange,
    },
}

/// The people a notice or an exception is recorded for.
#[derive(clap::Args)]
pub struct Whom {
    /// Subject identifiers (repeatable).
    #[arg(long = "subject", required_unless_present = "all")]
    subjects: Vec<String>,
    /// Everyone without a notice or exception yet.
    #[arg(long, conflicts_with = "subjects")]
    all: bool,
}

/// Run an incident command.
pub fn incident(command: IncidentCommand) -> Result<(), Failure> {
    use IncidentCommand as C;
    match command {
        C::Open { entry, job, change: c } => tell(steps::open(&c.by(), (&entry, &job), &warn)?),
        C::Update { on, entry, job } => tell(steps::update(&on.into(), (&entry, &job), &warn)?),
        C::List { view: v, all, overdue } => {
            let listed = views::incidents(&v.registry.path, all, overdue)?;
            view_as(v.json, &listed, |(l, today)| text::list_json(l, today), |(l, today)| text::list(l, today))
        }
        C::Show { id, view: v } => {
            let (i, events) = views::incident(&v.registry.path, id)?;
            let today = if v.json { tokumei_office::records::today()? } else { String::new() };
            view_as(v.json, &(i, events), |(i, e)| text::show_json(i, e, &today), |(i, e)| text::show(i, e))
        }
        C::Report { on, stage, out } => tell(steps::report(&on.into(), &stage, out)?),
        C::Filed { on, stage, date, reference, document } => {
            tell(steps::filed(&on.into(), (stage, date, reference), document.as_deref())?)
        }
        C::Notices { on, name_column, address_column, out } => {
            tell(steps::notices(&on.into(), (name_column, address_column), out)?)
        }
        C::Notify { on, whom, method, at } => {
            tell(steps::record_notices(&on.into(), (&whom.subjects, whom.all), &Notice::Sent { method, at })?)
        }
        C::Except { on, whom, ground, note, announcement, desk } => {
            let exception = Notice::Exception { ground, note, announcement, desk };
            tell(steps::record_notices(&on.into(), (&whom.subjects, whom.all), &exception)?)
        }
        C::Close { on, reason } => tell(steps::close(&on.into(), &reason)?),
    }
}

/// A warning on stderr.
fn warn(w: &str) {
    eprintln!("warning: {w}");
}
