//! Command-line values parsed where they are declared: clap refuses a bad value before any
//! command runs and `--help` lists the choices. Where a library owns the words (contract states,
//! request decisions, incident stages, encodings, console languages), the parser lists and parses
//! them through the library. A value the registry refuses exits as its refusal did before it was
//! parsed here ([`Refused`]: exit 9), any other as a usage error (exit 2).

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::error::{ContextKind, ContextValue};
use std::path::PathBuf;
use tokumei_engine::ExitCode;
use tokumei_office::records::{self, By, Change};
use tokumei_office::{sources, values};

/// Which registry a command uses.
#[derive(clap::Args)]
pub struct RegistryArg {
    /// Registry file (SQLite).
    #[arg(long = "registry", env = "TOKUMEI_REGISTRY", default_value = "reports/registry.sqlite")]
    pub path: PathBuf,
}

/// The registry a reading command uses, and how it prints.
#[derive(clap::Args)]
pub struct ViewArgs {
    #[command(flatten)]
    pub registry: RegistryArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Who makes a change (recorded in the audit log).
#[derive(clap::Args)]
pub struct OperatorArg {
    /// Operator recorded in the audit log.
    #[arg(long, env = "TOKUMEI_OPERATOR")]
    pub operator: Option<String>,
}

impl OperatorArg {
    /// The operator named, else `$USER`, else `unknown`.
    pub fn name(self) -> String {
        records::operator(self.operator)
    }
}

/// The registry a change goes to, and who makes it.
#[derive(clap::Args)]
pub struct ChangeArgs {
    #[command(flatten)]
    pub registry: RegistryArg,
    #[command(flatten)]
    pub operator: OperatorArg,
}

impl ChangeArgs {
    /// Who makes the change, and where, as the office takes it.
    pub fn by(self) -> By {
        By { registry: self.registry.path, operator: self.operator.name() }
    }

    /// The change to record `id`, as the office takes it.
    pub fn on(self, id: i64) -> Change {
        Change { registry: self.registry.path, id, operator: self.operator.name() }
    }
}

/// A change to one request.
#[derive(clap::Args)]
pub struct RequestChange {
    /// The request's number.
    pub id: i64,
    #[command(flatten)]
    pub change: ChangeArgs,
}

impl From<RequestChange> for Change {
    fn from(r: RequestChange) -> Change {
        r.change.on(r.id)
    }
}

/// A change to one incident.
#[derive(clap::Args)]
pub struct IncidentChange {
    /// The incident's number.
    pub id: i64,
    #[command(flatten)]
    pub change: ChangeArgs,
}

impl From<IncidentChange> for Change {
    fn from(i: IncidentChange) -> Change {
        i.change.on(i.id)
    }
}

/// `tokumei pseudo` arguments.
#[derive(clap::Args)]
pub struct PseudoArgs {
    /// The release folder (`<out>/<dataset>/<release id>`); it must match its audit entry.
    pub release: PathBuf,
    /// Synthetic rows to make (1 to 100000000).
    #[arg(long, value_parser = tokumei_office::pseudo::rows)]
    pub rows: u64,
    /// Output folder: must not exist; written complete or not at all.
    #[arg(long)]
    pub out: PathBuf,
    /// The audit log the release's job used (its entry is checked; the generation is appended).
    #[arg(long, default_value = "reports/audit.log", conflicts_with = "job")]
    pub log: PathBuf,
    /// Take the audit log named by this job file instead.
    #[arg(long)]
    pub job: Option<PathBuf>,
    #[command(flatten)]
    pub operator: OperatorArg,
}

/// A value parser whose refusal exits with the registry's code (9), as the registry's refusal
/// of the same value did.
#[derive(Clone)]
pub struct Refused<P>(P);

impl<P: TypedValueParser> TypedValueParser for Refused<P> {
    type Value = P::Value;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        self.0.parse_ref(cmd, arg, value).map_err(|mut e| {
            e.insert(ContextKind::Custom, ContextValue::Number(ExitCode::Registry.code() as isize));
            e
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        self.0.possible_values()
    }
}

/// The exit code a refused value carries ([`Refused`]), if it carries one.
pub fn exit_code(e: &clap::Error) -> Option<i32> {
    match e.get(ContextKind::Custom) {
        Some(ContextValue::Number(code)) => i32::try_from(*code).ok(),
        _ => None,
    }
}

/// One of the registry's words (`--decision`, `--kind`, `--method`...), refused as the registry
/// refuses another.
pub fn registry_word(words: impl IntoIterator<Item = &'static str>) -> Refused<PossibleValuesParser> {
    Refused(PossibleValuesParser::new(words))
}

/// A day (`YYYY-MM-DD`), refused as the registry refuses a malformed one.
pub fn day() -> Refused<impl TypedValueParser<Value = tokumei_jp::Date>> {
    Refused(values::day)
}

/// Hours of creation work as the registry reads them (`contract advance --hours`), refused as the
/// registry refuses them; the text goes on as typed.
pub fn registry_hours() -> Refused<impl TypedValueParser<Value = String>> {
    Refused(|s: &str| tokumei_registry::parse_hours(s).map(|_| s.to_string()).map_err(|e| e.to_string()))
}

/// A contract state (`--to`): the registry's words, `-` or `_` alike.
pub fn state() -> impl TypedValueParser<Value = tokumei_registry::State> {
    let words = tokumei_registry::State::ALL.map(|s| {
        let word = s.as_str();
        let dashed = word.replace('_', "-");
        let value = PossibleValue::new(word);
        // Built once per process (clap takes `'static` words without its `string` feature).
        if dashed == word { value } else { value.alias(&*Box::leak(dashed.into_boxed_str())) }
    });
    PossibleValuesParser::new(words).map(|s| tokumei_registry::State::parse(&s).expect("a listed state parses"))
}

/// A CSV encoding (`--encoding`): the office's words, each with the others typed for it.
pub fn encoding() -> impl TypedValueParser<Value = tokumei_rules::Encoding> {
    let words = sources::ENCODINGS.map(|e| PossibleValue::new(e.word).aliases(e.also.iter().copied()).help(e.help));
    PossibleValuesParser::new(words).map(|s| sources::encoding(&s).expect("a listed encoding parses"))
}

/// A console language (`--lang`): the console's codes.
pub fn lang() -> impl TypedValueParser<Value = tokumei_console::Lang> {
    use tokumei_console::Lang;
    PossibleValuesParser::new([Lang::Ja, Lang::En].map(Lang::code))
        .map(|s| Lang::parse(&s).expect("a listed language parses"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contract_state_is_a_choice_in_either_spelling() {
        let cmd = clap::Command::new("t");
        let arg = clap::Arg::new("to");
        let parser = state();
        for s in tokumei_registry::State::ALL {
            let dashed = s.as_str().replace('_', "-");
            for typed in [s.as_str(), dashed.as_str()] {
                assert_eq!(parser.parse_ref(&cmd, Some(&arg), typed.as_ref()).ok(), Some(s), "{typed}");
            }
        }
        assert!(parser.parse_ref(&cmd, Some(&arg), "nope".as_ref()).is_err());
    }

    #[test]
    fn a_value_the_registry_refuses_carries_its_exit_code() {
        let cmd = clap::Command::new("t");
        let e = day().parse_ref(&cmd, None, "2027/04/01".as_ref()).unwrap_err();
        assert_eq!(exit_code(&e), Some(ExitCode::Registry.code()));
        let e = state().parse_ref(&cmd, None, "nope".as_ref()).unwrap_err();
        assert_eq!(exit_code(&e), None);
    }
}
