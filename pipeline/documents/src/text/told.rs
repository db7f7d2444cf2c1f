//! What a step tells the officer: the text for stdout and the lines for stderr (warnings, notes).

/// A step's message: `out` for stdout, `err` for stderr (every line ending in a newline).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Told {
    /// What stdout shows.
    pub out: String,
    /// What stderr shows (warnings, notes).
    pub err: String,
}

impl Told {
    /// Only text for stdout.
    pub fn out(out: String) -> Told {
        Told { out, err: String::new() }
    }
}
