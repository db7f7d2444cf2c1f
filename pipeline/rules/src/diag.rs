//! Diagnostics: `path:line:col: message` with an optional hint.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem found in a job or rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File the problem is in.
    pub file: PathBuf,
    /// 1-based line, 0 when the problem has no position (e.g. a missing section).
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
    /// What is wrong. Never contains a data value.
    pub message: String,
    /// How to fix it, e.g. "did you mean `生年月日`?".
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at a byte span of `source`.
    pub fn at(file: &Path, source: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let (line, col) = line_col(source, span.start);
        Diagnostic { file: file.to_path_buf(), line, col, message: message.into(), hint: None }
    }

    /// A diagnostic about a whole file.
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        Diagnostic { file: file.to_path_buf(), line: 0, col: 0, message: message.into(), hint: None }
    }

    /// Attach a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}: {}", self.file.display(), self.line, self.col, self.message)?;
        } else {
            write!(f, "{}: {}", self.file.display(), self.message)?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// All problems found; validation fails when this is not empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Record a problem.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        if self.0.len() > 1 {
            write!(f, "\n{} problems found", self.0.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

/// 1-based line and character column of byte `offset` in `source`.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let mut start = offset;
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    let before = &source[..start];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The closest candidate to `name`, if close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::normalized_damerau_levenshtein(name, c), c))
        .filter(|(score, _)| *score >= 0.5)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Words rule writers reach for, with the name tokumei uses: `delete` means `drop`, and so on.
const SYNONYMS: &[(&str, &str)] = &[
    ("delete", "drop"),
    ("remove", "drop"),
    ("erase", "drop"),
    ("exclude", "drop"),
    ("omit", "drop"),
    ("hash", "pseudonymize"),
    ("hmac", "pseudonymize"),
    ("pseudonymise", "pseudonymize"),
    ("tokenize", "pseudonymize"),
    ("encrypt", "pseudonymize"),
    ("generalise", "generalize"),
    ("band", "generalize"),
    ("bucket", "generalize"),
    ("redact", "mask"),
    ("cap", "top_bottom_code"),
    ("clip", "top_bottom_code"),
    ("topcode", "top_bottom_code"),
    ("retain", "keep"),
    ("pass", "keep"),
    ("anonymise", "anonymized"),
    ("anonymize", "anonymized"),
    ("anonymous", "anonymized"),
    ("pseudonymous", "pseudonymized"),
    ("qi", "quasi_identifier"),
    ("quasi", "quasi_identifier"),
    ("identifier", "direct_identifier"),
    ("id", "linking_code"),
    ("sensitive_attribute", "sensitive"),
    ("lvl", "level"),
];

/// The closest candidate to `name`: a known synonym, or a likely typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if let Some((_, to)) =
        SYNONYMS.iter().find(|(from, to)| *from == lower && candidates.clone().into_iter().any(|c| c == *to))
    {
        return Some(format!("did you mean `{to}`?"));
    }
    did_you_mean(name, candidates)
}

/// A TOML parse error as a diagnostic with its position. An unknown key gets a "did you mean"
/// from the keys allowed there.
pub fn from_toml_error(file: &Path, source: &str, e: &toml::de::Error) -> Diagnostic {
    let span = e.span().unwrap_or(0..0);
    let msg = e.message().trim().to_string();
    let hint = unknown_field(&msg).and_then(|(field, allowed)| {
        suggest(field, allowed.iter().copied()).or_else(|| {
            Some(format!(
                "keys allowed here: {}",
                allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
            ))
        })
    });
    let mut d = Diagnostic::at(file, source, span, msg);
    d.hint = hint;
    if e.span().is_none() {
        d.line = 0;
    }
    d
}

/// `unknown field `x`, expected one of `a`, `b``: the field and the keys allowed.
fn unknown_field(msg: &str) -> Option<(&str, Vec<&str>)> {
    let rest = msg.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let allowed: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    (!allowed.is_empty()).then_some((field, allowed))
}

/// Why `name` cannot name a folder or file that tokumei writes (a dataset, a job), if it cannot:
/// it must be 1-64 characters, start with a letter, digit or `_`, and hold only letters, digits
/// (any script), `_`, `-` and `.`; no `..`, path separators or control characters.
pub fn path_name_problem(name: &str) -> Option<&'static str> {
    let mut chars = name.chars();
    let first = chars.next()?;
    if name.chars().count() > 64 {
        return Some("is longer than 64 characters");
    }
    if !(first.is_alphanumeric() || first == '_') {
        return Some("must start with a letter, a digit or `_`");
    }
    if !name.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Some("may hold only letters, digits, `_`, `-` and `.` (it names a folder)");
    }
    if name.contains("..") {
        return Some("must not contain `..`");
    }
    None
}

/// [`path_name_problem`], with an empty name a problem too.
pub fn check_path_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("must not be empty");
    }
    path_name_problem(name).map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("生年\n月日", 7), (2, 1));
    }

    proptest::proptest! {
        /// An accepted name is one plain path component that is not hidden.
        #[test]
        fn accepted_names_are_plain_components(s in proptest::prelude::any::<String>()) {
            if check_path_name(&s).is_ok() {
                let p = std::path::Path::new(&s);
                proptest::prop_assert_eq!(p.components().count(), 1);
                proptest::prop_assert!(matches!(p.components().next(), Some(std::path::Component::Normal(_))));
                proptest::prop_assert!(!s.starts_with('.') && !s.contains('/') && !s.contains('\\'));
            }
        }
    }

    #[test]
    fn names_used_in_paths() {
        for ok in ["resident_registry", "国保_2026", "adult", "a.b-c", "_x"] {
            assert_eq!(check_path_name(ok), Ok(()), "{ok}");
        }
        for bad in ["", "..", ".hidden", "a/b", "a\\b", "../x", "x..y", "a b", "-x", "a\u{0}", &"x".repeat(65)] {
            assert!(check_path_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unknown_keys_and_synonyms_get_suggestions() {
        let src = "version = 1\n[x]\nlevle = 1\n";
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct X {
            level: Option<i64>,
            name: Option<String>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Top {
            version: i64,
            x: X,
        }
        let e = toml::from_str::<Top>(src).unwrap_err();
        let d = from_toml_error(Path::new("r.toml"), src, &e);
        assert_eq!(d.hint.as_deref(), Some("did you mean `level`?"), "{d}");
        assert_eq!(d.line, 3);
        assert_eq!(suggest("delete", ["drop", "keep", "mask"]).as_deref(), Some("did you mean `drop`?"));
        assert_eq!(suggest("Hash", ["drop", "pseudonymize"]).as_deref(), Some("did you mean `pseudonymize`?"));
        assert_eq!(suggest("xyzzy", ["drop", "keep"]), None);
    }

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("genralize", ["generalize", "drop"]).as_deref(), Some("did you mean `generalize`?"));
        assert_eq!(did_you_mean("zzz", ["generalize", "drop"]), None);
        assert_eq!(did_you_mean("生年月", ["生年月日", "性別"]).as_deref(), Some("did you mean `生年月日`?"));
    }
}
