//! `tokumei incident ...`: leak incidents from discovery to the Commission reports and the
//! notices to the people. The registry keeps the facts (every version), the assessment and the
//! timeline, every step audited; `tokumei_office::incidents` finds what the scope holds (the
//! items, with what the rules say of them, and the people, read from the registered source
//! extracts, a filter run by DataFusion) and writes the documents of `tokumei_documents`: the
//! report (JSON and a Japanese document) and the notices (a CSV for mail merge and one letter per
//! person), owner-only, atomically, under the registry's `incidents/<id>/` folder unless `--out`
//! says. This module parses the arguments and prints.

use crate::args::{ChangeArgs, ViewArgs};
use crate::common::Failure;
use crate::common::show as show_text;
use crate::common::{json_out, operator as op, today};
use clap::Subcommand;
use std::path::PathBuf;
use tokumei_documents::incidents::assessment_lines;
use tokumei_documents::text::incidents as text;
use tokumei_office::incident_steps as steps;
use tokumei_office::{incidents, views};
use tokumei_registry::{Notice, StoredIncident};

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
        /// The incident's number.
        id: i64,
        /// The file of changed facts.
        entry: PathBuf,
        /// For a pseudonymised release: the job that made it (as for `open`).
        #[arg(long)]
        job: Vec<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
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
        /// The incident's number.
        id: i64,
        /// `preliminary` (速報) or `final` (確報).
        #[arg(long, value_parser = ["preliminary", "final"])]
        stage: String,
        /// Folder for the documents (default: incidents/<id> beside the registry).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record a report's filing with the Commission.
    Filed {
        /// The incident's number.
        id: i64,
        /// `preliminary` or `final`.
        #[arg(long)]
        stage: String,
        /// The day it was filed (default: today).
        #[arg(long)]
        date: Option<String>,
        /// The Commission's reference (受付番号) or how it was filed.
        #[arg(long)]
        reference: String,
        /// The document filed (its SHA-256 is recorded).
        #[arg(long)]
        document: Option<PathBuf>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Write the notices to the people affected: a CSV for mail merge and one letter per person
    /// (規則45条 / 10条 items), from the registered sources' records.
    Notices {
        /// The incident's number.
        id: i64,
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
        change: ChangeArgs,
    },
    /// Record notices sent: to the people given, or `--all` still waiting.
    Notify {
        /// The incident's number.
        id: i64,
        /// Subject identifiers (repeatable).
        #[arg(long = "subject", required_unless_present = "all")]
        subjects: Vec<String>,
        /// Everyone without a notice or exception yet.
        #[arg(long, conflicts_with = "subjects")]
        all: bool,
        /// `mail`, `phone`, `email`, `hand` or `other`.
        #[arg(long)]
        method: String,
        /// When (YYYY-MM-DD, or YYYY-MM-DDTHH:MM; a phone call records the time).
        #[arg(long)]
        at: String,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record that people are not notified, with the ground (法68条2項ただし書): `impossible`
    /// (with the substitute measure: --announcement and --desk) or `nondisclosable` (the data
    /// contain 不開示情報, 法78条1項).
    Except {
        /// The incident's number.
        id: i64,
        /// Subject identifiers (repeatable).
        #[arg(long = "subject", required_unless_present = "all")]
        subjects: Vec<String>,
        /// Everyone without a notice or exception yet.
        #[arg(long, conflicts_with = "subjects")]
        all: bool,
        /// `impossible` or `nondisclosable`.
        #[arg(long)]
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
        change: ChangeArgs,
    },
    /// Close an incident: its reports filed and every person notified or excepted.
    Close {
        /// The incident's number.
        id: i64,
        /// Why (e.g. 確報提出済み、全員に通知済み).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        change: ChangeArgs,
    },
}

/// Run an incident command.
pub fn incident(command: IncidentCommand) -> Result<(), Failure> {
    use IncidentCommand as C;
    match command {
        C::Open { entry, job, change: ChangeArgs { registry, operator } } => {
            let i = steps::open(&registry.path, (&entry, &job), &op(operator), &warn)?;
            say!("opened incident {}: {} ({}), discovered {}", i.id, i.facts.title, i.event(), i.facts.discovered);
            show_text(&assessment(&i));
            Ok(())
        }
        C::Update { id, entry, job, change: ChangeArgs { registry, operator } } => {
            let i = steps::update(&registry.path, id, (&entry, &job), &op(operator), &warn)?;
            say!("updated incident {id}");
            show_text(&assessment(&i));
            Ok(())
        }
        C::List { view: ViewArgs { registry, json }, all, overdue } => {
            let (list, today) = views::incidents(&registry.path, all, overdue)?;
            if json {
                return json_out(&text::list_json(&list, &today));
            }
            show_text(&text::list(&list, &today));
            Ok(())
        }
        C::Show { id, view: ViewArgs { registry, json } } => {
            let (i, events) = views::incident(&registry.path, id)?;
            if json {
                return json_out(&text::show_json(&i, &events, &today()?));
            }
            show_text(&text::show(&i, &events));
            Ok(())
        }
        C::Report { id, stage, out, change } => report(id, &stage, out, change),
        C::Filed { id, stage, date, reference, document, change: ChangeArgs { registry, operator } } => {
            let given = (stage.clone(), date, reference);
            let (date, late) = steps::filed(&registry.path, id, given, document.as_deref(), &op(operator))?;
            say!("incident {id}: {stage} report filed on {date}{}", if late { " (after its due date)" } else { "" });
            Ok(())
        }
        C::Notices { id, name_column, address_column, out, change: ChangeArgs { registry, operator } } => {
            let l = steps::notices(&registry.path, id, (name_column, address_column), out, &op(operator))?;
            for w in &l.warnings {
                warn(w);
            }
            say!("notices for incident {id}: {} letters and notices.csv in {}", l.letters, l.dir.display());
            let missing = l.letters - l.found;
            if missing > 0 && l.found > 0 {
                say!(
                    "  {missing} people not found in the sources' name/address columns: check the letters marked （氏名）"
                );
            }
            Ok(())
        }
        C::Notify { id, subjects, all, method, at, change: ChangeArgs { registry, operator } } => {
            let subjects = (!all).then_some(subjects.as_slice());
            let notice = Notice::Sent { method, at };
            let (n, pending) = steps::record_notices(&registry.path, id, subjects, &notice, &op(operator))?;
            say!("incident {id}: {n} notice(s) recorded; {pending} people still to notify");
            Ok(())
        }
        C::Except {
            id,
            subjects,
            all,
            ground,
            note,
            announcement,
            desk,
            change: ChangeArgs { registry, operator },
        } => {
            let exception = Notice::Exception { ground, note, announcement, desk };
            let subjects = (!all).then_some(subjects.as_slice());
            let (n, pending) = steps::record_notices(&registry.path, id, subjects, &exception, &op(operator))?;
            say!("incident {id}: {n} exception(s) recorded; {pending} people still to notify");
            Ok(())
        }
        C::Close { id, reason, change: ChangeArgs { registry, operator } } => {
            steps::close(&registry.path, id, &reason, &op(operator))?;
            say!("incident {id} closed");
            Ok(())
        }
    }
}

/// A warning on stderr.
fn warn(w: &str) {
    eprintln!("warning: {w}");
}

/// The assessment's lines, as `incident open`, `update` and `show` print them.
fn assessment(i: &StoredIncident) -> String {
    assessment_lines(i).iter().map(|l| format!("{l}\n")).collect()
}

fn report(
    id: i64,
    stage: &str,
    out: Option<PathBuf>,
    ChangeArgs { registry, operator }: ChangeArgs,
) -> Result<(), Failure> {
    let (i, paths, my_number, v) = match steps::report(&registry.path, id, stage, out, &op(operator))? {
        incidents::Reported::Contract { record } => {
            say!("incident {id} is a contract incident (a leaked anonymised release): no report to the Commission");
            say!("  record written to {}", record.display());
            return Ok(());
        }
        incidents::Reported::Report { incident, paths, my_number, draft } => (incident, paths, my_number, draft),
    };
    let a = &i.assessment;
    if !a.report_required {
        say!(
            "note: {} for incident {id}; the {} draft is for a voluntary report",
            if a.my_number_report {
                "no trigger of 法68/法26 fired, but the My Number report (番号法29条の4) is required"
            } else {
                "no report is required (no trigger fired, or exempt)"
            },
            if a.regime == "article26" { "法26" } else { "法68" },
        );
    }
    say!("report ({stage}) for incident {id}: {} and {}", paths.0.display(), paths.1.display());
    if let Some((mj, mh)) = &my_number {
        say!("My Number report ({stage}, 番号法29条の4) for incident {id}: {} and {}", mj.display(), mh.display());
    }
    if let Some(d) = v["due"].as_str() {
        say!(
            "  due {d} ({}); record the filing with `tokumei incident filed {id} --stage {stage} --reference ...`",
            v["counting"].as_str().unwrap_or("-")
        );
    }
    Ok(())
}
