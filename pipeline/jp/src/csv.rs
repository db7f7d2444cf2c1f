//! Cells of the CSV files tokumei writes for people to open in a spreadsheet (a disclosure's
//! items, an incident's notices, generated sample extracts): a value is shown, never run.

use std::borrow::Cow;

/// First characters that make a spreadsheet read a cell as a formula (or, tab and carriage
/// return, hide one): `=`, `+`, `-`, `@`, tab, CR, and their full-width forms `＝＋－＠`, which a
/// Japanese spreadsheet may read as the ASCII ones.
pub const FORMULA_STARTS: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

/// `value` as a spreadsheet shows it and never evaluates it: a value that begins with one of
/// [`FORMULA_STARTS`] gets a leading apostrophe (`=HYPERLINK(...)` becomes `'=HYPERLINK(...)`,
/// `-5` becomes `'-5`, which a spreadsheet still shows as -5 text); any other value is unchanged.
pub fn defuse_formula(value: &str) -> Cow<'_, str> {
    if value.starts_with(FORMULA_STARTS) { Cow::Owned(format!("'{value}")) } else { Cow::Borrowed(value) }
}

/// One field of a CSV line: [`defuse_formula`], then quoted (RFC 4180: inner quotes doubled)
/// when it holds a comma, a quote or a line break.
pub fn csv_cell(value: &str) -> String {
    let v = defuse_formula(value);
    if v.contains([',', '"', '\n', '\r']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v.into_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_fields_quoted() {
        assert_eq!(csv_cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        for v in ["+1", "-5", "@SUM(A1)", "\tx", "\rx", "＝1+1", "＋1", "－1", "＠x"] {
            assert!(csv_cell(v).trim_start_matches('"').starts_with('\''), "{v}");
        }
        assert_eq!(csv_cell("東京都新宿区1-2-3"), "東京都新宿区1-2-3");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("5"), "5");
        assert_eq!(csv_cell(""), "");
        assert!(matches!(defuse_formula("plain"), Cow::Borrowed(_)));
    }
}
