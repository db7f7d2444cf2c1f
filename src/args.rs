//! Command-line values parsed where they are declared: clap rejects a bad value before any
//! command runs (exit 2, usage) and `--help` lists the choices. Where a library owns the words
//! (contract states, console languages), the parser lists and parses them through the library.

use clap::ValueEnum;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use std::path::PathBuf;

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

/// The registry a change goes to, and who makes it.
#[derive(clap::Args)]
pub struct ChangeArgs {
    #[command(flatten)]
    pub registry: RegistryArg,
    /// Operator recorded in the audit log.
    #[arg(long, env = "TOKUMEI_OPERATOR")]
    pub operator: Option<String>,
}

/// A CSV's text encoding, as typed (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum EncodingArg {
    /// Detect: UTF-8 (BOM or valid UTF-8) else CP932.
    Auto,
    /// UTF-8, with or without BOM.
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    /// CP932 / Shift_JIS.
    #[value(alias = "shift_jis", alias = "sjis")]
    Cp932,
}

impl EncodingArg {
    /// The reader's encoding.
    pub fn encoding(self) -> tokumei_rules::Encoding {
        match self {
            EncodingArg::Auto => tokumei_rules::Encoding::Auto,
            EncodingArg::Utf8 => tokumei_rules::Encoding::Utf8,
            EncodingArg::Cp932 => tokumei_rules::Encoding::Cp932,
        }
    }

    /// The word recorded (the registry keeps a source's encoding as text).
    pub fn as_str(self) -> &'static str {
        match self {
            EncodingArg::Auto => "auto",
            EncodingArg::Utf8 => "utf-8",
            EncodingArg::Cp932 => "cp932",
        }
    }

    /// A recorded or typed word (any case), through the same words as `--encoding` (the
    /// registry's recorded words are read by `tokumei_office::sources::encoding`, held to these
    /// by a test).
    #[cfg(test)]
    pub fn parse(s: &str) -> Option<EncodingArg> {
        <EncodingArg as ValueEnum>::from_str(s, true).ok()
    }
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
    fn encodings_take_the_words_typed_before() {
        for (typed, word) in [
            ("auto", "auto"),
            ("AUTO", "auto"),
            ("utf-8", "utf-8"),
            ("UTF8", "utf-8"),
            ("cp932", "cp932"),
            ("Shift_JIS", "cp932"),
            ("sjis", "cp932"),
        ] {
            assert_eq!(EncodingArg::parse(typed).map(EncodingArg::as_str), Some(word), "{typed}");
        }
        assert_eq!(EncodingArg::parse("latin1"), None);
    }

    #[test]
    fn a_recorded_encoding_is_read_by_the_words_of_the_option() {
        for typed in ["auto", "AUTO", "utf-8", "UTF8", "cp932", "Shift_JIS", "sjis", "latin1", ""] {
            let office = tokumei_office::sources::encoding(typed);
            assert_eq!(EncodingArg::parse(typed).map(EncodingArg::encoding), office, "{typed}");
        }
    }

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
}
