//! What every command shares: its failure (an error with its exit code), the operator, the run
//! clock's who and today, and how a result is printed (text as rendered, or pretty JSON).

use tokumei_engine::{EngineError, ExitCode};
use tokumei_office::OfficeError;

/// An error with its exit code.
pub struct Failure {
    pub(crate) code: ExitCode,
    pub(crate) error: anyhow::Error,
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        Failure { code: e.exit_code(), error: e.into() }
    }
}

impl From<OfficeError> for Failure {
    fn from(e: OfficeError) -> Self {
        Failure { code: e.exit_code(), error: e.into() }
    }
}

/// A failure with this exit code.
pub fn fail(code: ExitCode, error: anyhow::Error) -> Failure {
    Failure { code, error }
}

/// Print a value as pretty JSON.
pub fn json_out(v: &impl serde::Serialize) -> Result<(), Failure> {
    show(serde_json::to_string_pretty(v).map_err(|e| fail(ExitCode::Internal, e.into()))? + "\n");
    Ok(())
}

/// Print rendered text (or bytes) as it is (each line ends in a newline); a closed stdout is not
/// an error.
pub fn show(text: impl AsRef<[u8]>) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_ref());
}

/// Print what a step tells: its stderr lines, then its text on stdout.
pub fn tell(told: tokumei_documents::text::Told) -> Result<(), Failure> {
    print(told);
    Ok(())
}

/// Print what a check found, then fail when it found problems.
pub fn checked(check: impl tokumei_office::records::Checked) -> Result<(), Failure> {
    print(check.told());
    Ok(check.result()?)
}

/// Print a message: its stderr lines, then its text on stdout.
pub fn print(told: tokumei_documents::text::Told) {
    eprint!("{}", told.err);
    show(&told.out);
}

/// Print a reading command's result: as pretty JSON with `--json`, else as rendered text.
pub fn view<'a, T: serde::Serialize>(
    json: bool,
    value: &'a T,
    text: impl FnOnce(&'a T) -> String,
) -> Result<(), Failure> {
    view_as(json, value, |v| v, text)
}

/// [`view`], with the JSON shaped by `j`.
pub fn view_as<'a, T, J: serde::Serialize>(
    json: bool,
    value: &'a T,
    j: impl FnOnce(&'a T) -> J,
    text: impl FnOnce(&'a T) -> String,
) -> Result<(), Failure> {
    if json {
        return json_out(&j(value));
    }
    show(text(value));
    Ok(())
}
