//! `tokumei call open|close|list`: calls for proposals (法111, 規則53), the use-cases in
//! `tokumei_office::calls`; this prints what they did.

use crate::args::{ChangeArgs, ViewArgs};
use crate::common::{Failure, json_out, tell};
use clap::Subcommand;
use tokumei_documents::text::register as text;
use tokumei_office::{calls, record_steps as steps};

/// Call-for-proposals commands.
#[derive(Subcommand)]
pub enum CallCommand {
    /// Open a call for proposals (法111): from --from (default today) to --to, 30 days or more
    /// (規則53: the last day at least 30 days after the first), for the files named with --file
    /// (default: every file open to proposals). 法112 proposals are accepted only while a call
    /// for their file is open.
    Open {
        /// First day proposals are received (YYYY-MM-DD, Japan; default today, never earlier).
        #[arg(long, value_parser = crate::args::day())]
        from: Option<tokumei_jp::Date>,
        /// Last day proposals are received (YYYY-MM-DD).
        #[arg(long, value_parser = crate::args::day())]
        to: tokumei_jp::Date,
        /// A file the call is for (repeatable; default: every file open to proposals).
        #[arg(long = "file")]
        files: Vec<String>,
        /// The public notice's reference (公示) or other note.
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Close a call: it receives no proposal from now on. A call closed before it ran 30 days
    /// does not count as the fiscal year's call.
    Close {
        /// Call id.
        id: i64,
        /// Why it is closed.
        #[arg(long)]
        note: String,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// List the calls, and whether this fiscal year's call is missing where calls are mandatory.
    List {
        #[command(flatten)]
        view: ViewArgs,
    },
}

/// Run a call command.
pub fn call(command: CallCommand) -> Result<(), Failure> {
    match command {
        CallCommand::Open { from, to, files, note, change: c } => {
            tell(steps::call_opened(&c.by(), (from, to), (&files, note.as_deref()))?)
        }
        CallCommand::Close { id, note, change: c } => tell(steps::call_closed(&c.on(id), &note)?),
        CallCommand::List { view: v } => {
            let found = calls::list(&v.registry.path)?;
            if v.json {
                return json_out(&text::calls_json(&found.calls, &found.today, &found.warnings));
            }
            tell(found.told())
        }
    }
}
