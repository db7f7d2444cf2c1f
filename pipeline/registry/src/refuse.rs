//! A refusal, typed by whose fault it is and which rule it follows: the CLI and the console
//! tell a legal refusal (a bar, a period, a state that does not fit) from a value to correct,
//! from a stale view, and from a registry whose SQL refused a write. The text is the one the
//! officer reads; the kind is for programs.

use crate::RegistryError;
use std::fmt;

/// Whose fault a refusal is, and which kind of rule refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalKind {
    /// No such record (id, file, recipient, release...).
    NotFound,
    /// The act does not fit the record's state (a closed call, a cancelled contract, a release
    /// not published).
    State,
    /// The record changed since it was read or shown: look at it again.
    Stale,
    /// A statutory or contractual limit (an article of the Act, a bar, a use period, a deadline).
    Law,
    /// A value given is missing, malformed or out of range.
    Value,
    /// The thing is recorded already.
    Duplicate,
    /// My Number (個人番号) or another identifier where it is not allowed.
    Identifier,
    /// The registry's database refused a read or a write inside a change (a constraint, a lock).
    Storage,
}

impl RefusalKind {
    /// The kind's name, as a program may show it (`not_found`, `law`...).
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalKind::NotFound => "not_found",
            RefusalKind::State => "state",
            RefusalKind::Stale => "stale",
            RefusalKind::Law => "law",
            RefusalKind::Value => "value",
            RefusalKind::Duplicate => "duplicate",
            RefusalKind::Identifier => "identifier",
            RefusalKind::Storage => "storage",
        }
    }

    /// Whether the officer can act on it (correct a value, pick another record, wait for a
    /// state, look again); `false` for [`RefusalKind::Storage`], a registry that failed.
    pub fn is_officers(self) -> bool {
        self != RefusalKind::Storage
    }
}

/// A request the registry refuses: its kind and the text the officer reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Whose fault, which rule.
    pub kind: RefusalKind,
    message: String,
}

impl Refusal {
    /// A refusal of `kind` saying `message`.
    pub fn new(kind: RefusalKind, message: impl Into<String>) -> Refusal {
        Refusal { kind, message: message.into() }
    }

    /// The text the officer reads.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn of(kind: RefusalKind, m: impl Into<String>) -> RegistryError {
    RegistryError::Refused(Refusal::new(kind, m))
}

/// No such record.
pub(crate) fn not_found(m: impl Into<String>) -> RegistryError {
    of(RefusalKind::NotFound, m)
}

/// The act does not fit the record's state.
pub(crate) fn state(m: impl Into<String>) -> RegistryError {
    of(RefusalKind::State, m)
}

/// The record changed since it was read.
pub(crate) fn stale(m: impl Into<String>) -> RegistryError {
    of(RefusalKind::Stale, m)
}

/// A statutory or contractual limit.
pub(crate) fn law(m: impl Into<String>) -> RegistryError {
    of(RefusalKind::Law, m)
}

/// A value missing, malformed or out of range.
pub(crate) fn value(m: impl Into<String>) -> RegistryError {
    of(RefusalKind::Value, m)
}

/// Recorded already.
pub(crate) fn duplicate(m: impl Into<String>) -> RegistryError {
    of(RefusalKind::Duplicate, m)
}

/// An identifier where it is not allowed.
pub(crate) fn identifier(m: impl Into<String>) -> RegistryError {
    of(RefusalKind::Identifier, m)
}

/// The database refused a read or a write inside a change.
pub(crate) fn storage(m: impl Into<String>) -> RegistryError {
    of(RefusalKind::Storage, m)
}

/// `e` with `prefix: ` before its text, of the same kind when it is a refusal (a value refused
/// by a shared check, named by the record it is about); other errors pass unchanged.
pub(crate) fn within(prefix: &str, e: RegistryError) -> RegistryError {
    match e {
        RegistryError::Refused(r) => of(r.kind, format!("{prefix}: {}", r.message)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_reads_as_its_message_and_keeps_its_kind() {
        let e = law("proposal refused (法113): bar");
        assert_eq!(e.to_string(), "proposal refused (法113): bar");
        assert_eq!(e.refusal().map(|r| r.kind), Some(RefusalKind::Law));
        let e = within("proposal", value("`method` is empty"));
        assert_eq!(e.to_string(), "proposal: `method` is empty");
        assert_eq!(e.refusal().map(|r| r.kind), Some(RefusalKind::Value));
        assert!(!RefusalKind::Storage.is_officers() && RefusalKind::Stale.is_officers());
    }

    #[test]
    fn other_errors_are_no_refusal() {
        let e = RegistryError::Missing("r.sqlite".into());
        assert!(e.refusal().is_none());
        assert!(matches!(within("x", e), RegistryError::Missing(_)));
    }
}
