//! Lineage of a job's query: which input columns' values flow into each column of its result,
//! read from DataFusion's logical plan, so that an identifier renamed by the query
//! (`r.氏名 AS 障害者手帳`) keeps its role whatever its new name.
//!
//! A column reference passes its values on, and so does everything that copies or computes
//! from them: aliases, casts, scalar functions (`substr`, `concat`, `coalesce`, ...), the
//! results (`THEN`, `ELSE`) of a `CASE`, arithmetic, value-keeping aggregates (`min`, `max`,
//! `first_value`, `string_agg`, ...), a scalar subquery's result, the columns of a `UNION` by
//! position. What only tests a column passes nothing: `WHERE`, `JOIN ... ON`, `GROUP BY`
//! keys that are not selected, `CASE` conditions, comparisons, `IS NULL`, `LIKE`, `IN`,
//! `EXISTS`, `count`, `row_number` and a few measuring functions (`length`, `starts_with`).
//! An expression or plan node of any other kind passes every column it refers to (fail
//! closed).
//!
//! Identifiers are the input columns whose name has an identifier role in the rules or looks
//! like one ([`IDENTIFIER_NAMES`]); [`check`] refuses a rule that releases their values under
//! a weaker role, and [`IdentifierValues`] holds a keyed hash of every value of them for the
//! residual scan of the released values.

use crate::EngineError;
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;
use tokumei_rules::{Action, Job, Plan, Role};

#[cfg(feature = "query")]
mod walk;
#[cfg(feature = "query")]
pub use walk::lineage;

/// An input table's column.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceColumn {
    /// The input's table name.
    pub table: String,
    /// The column's name in that input.
    pub column: String,
}

impl std::fmt::Display for SourceColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.table, self.column)
    }
}

/// The input columns whose values flow into one column.
pub type Sources = BTreeSet<SourceColumn>;

/// Each column of a query's result with the input columns whose values flow into it.
#[derive(Debug, Clone, Default)]
pub struct QueryLineage {
    /// Result columns in order: name and sources.
    pub columns: Vec<(String, Sources)>,
}

/// Words that make a column name an identifier's, by role (strongest first): the one list
/// `tokumei init` guesses roles from and the query's lineage marks identifiers by. Matched
/// case-insensitively anywhere in the name.
pub const IDENTIFIER_NAMES: &[(Role, &[&str])] = &[
    (Role::IdentificationCode, MY_NUMBER_NAMES),
    (Role::IdentificationCode, IDENTIFICATION_CODE_NAMES),
    (Role::DirectIdentifier, PHONE_NAMES),
    (Role::DirectIdentifier, MAIL_NAMES),
    (Role::DirectIdentifier, PERSON_NAME_NAMES),
    (Role::DirectIdentifier, ADDRESS_NAMES),
    (Role::LinkingCode, LINKING_CODE_NAMES),
];

/// Names of マイナンバー (個人番号) columns.
pub const MY_NUMBER_NAMES: &[&str] = &["個人番号", "マイナンバー", "mynumber"];
/// Names of other identification codes (個人識別符号).
pub const IDENTIFICATION_CODE_NAMES: &[&str] =
    &["被保険者番号", "保険者番号", "被保険者記号", "証番号", "住民票コード", "旅券", "免許", "基礎年金番号"];
/// Names of phone and fax numbers.
pub const PHONE_NAMES: &[&str] = &["電話", "tel", "携帯", "phone", "fax", "連絡先"];
/// Names of e-mail addresses.
pub const MAIL_NAMES: &[&str] = &["メール", "mail"];
/// Names of people's names.
pub const PERSON_NAME_NAMES: &[&str] = &["氏名", "名前", "カナ", "かな", "name"];
/// Names of addresses.
pub const ADDRESS_NAMES: &[&str] = &["住所", "所在地", "address"];
/// Names of linking codes (only used for lineage: `tokumei init` tells them by their values).
pub const LINKING_CODE_NAMES: &[&str] = &["宛名番号", "宛名コード", "世帯番号"];

/// Names of the numbers that stand for one person (a person's 個人番号, 宛名番号, 被保険者番号,
/// a resident or patient id): without a `subject`, such a column must not repeat a value.
pub const PERSON_NUMBER_NAMES: &[&str] = &[
    "個人番号",
    "マイナンバー",
    "宛名",
    "住民票コード",
    "被保険者番号",
    "住民番号",
    "個人id",
    "個人コード",
    "person",
    "resident",
    "subject",
    "mynumber",
    "my_number",
    "patient",
];

/// Words that hold a word of the lists above by chance and name nothing of a person
/// (`hotel_stay` holds `tel`, `filename` holds `name`, pandas' `Unnamed: 0` holds `name`): taken
/// out of a column name before it is matched, so that `hotel_tel` still holds `tel`.
pub const NOT_IDENTIFIER_WORDS: &[&str] = &[
    "hotel",
    "motel",
    "hostel",
    "intel",
    "satellite",
    "filename",
    "hostname",
    "pathname",
    "basename",
    "dirname",
    "tablename",
    "sheetname",
    "unnamed",
    "rename",
];

/// The first word of `words` that `name` holds (case-insensitively), once the words of
/// [`NOT_IDENTIFIER_WORDS`] are taken out of it.
pub fn name_has<'a>(name: &str, words: &[&'a str]) -> Option<&'a str> {
    let mut lower = name.to_lowercase();
    for harmless in NOT_IDENTIFIER_WORDS {
        if lower.contains(harmless) {
            lower = lower.replace(harmless, " ");
        }
    }
    words.iter().copied().find(|w| lower.contains(&w.to_lowercase()))
}

/// How strongly a role binds its values: what must be done to a column holding them. A rule
/// whose role ranks lower than its source's releases the values under weaker actions.
fn rank(role: Role) -> u8 {
    match role {
        Role::IdentificationCode | Role::Financial => 3,
        Role::DirectIdentifier => 2,
        Role::LinkingCode => 1,
        Role::QuasiIdentifier | Role::Sensitive | Role::Insensitive => 0,
    }
}

/// Why an input column is an identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The rules' column of that name has the role (at this line of the rule file).
    Rule(usize),
    /// Its name holds this word.
    Name(&'static str),
}

/// The identifier roles input columns have by name: from the rules' columns of that name and
/// the name patterns; the strongest wins.
#[derive(Debug, Clone, Default)]
pub struct Identifiers {
    rules: HashMap<String, (Role, usize)>,
}

impl Identifiers {
    /// The roles the rule file `path` (text `src`) gives column names. Rules that do not parse
    /// give none here (their validation reports them).
    pub fn from_rules(path: &std::path::Path, src: &str) -> Identifiers {
        let mut rules = HashMap::new();
        if let Ok(raw) = tokumei_rules::parse_rules(path, src) {
            for c in &raw.columns {
                let role = tokumei_rules::ROLES.iter().find(|(n, _)| n == c.role.get_ref()).map(|(_, r)| *r);
                if let Some(role) = role.filter(|r| rank(*r) > 0) {
                    let line = tokumei_rules::diag::line_col(src, c.name.span().start).0;
                    rules.insert(c.name.get_ref().clone(), (role, line));
                }
            }
        }
        Identifiers { rules }
    }

    /// The identifier role of an input column named `column`, and why; `None` when it is none.
    pub fn role(&self, column: &str) -> Option<(Role, Why)> {
        let by_name =
            IDENTIFIER_NAMES.iter().find_map(|(role, words)| name_has(column, words).map(|w| (*role, Why::Name(w))));
        let by_rule = self.rules.get(column).map(|(r, line)| (*r, Why::Rule(*line)));
        match (by_rule, by_name) {
            (Some(r), Some(n)) if rank(n.0) > rank(r.0) => Some(n),
            (Some(r), _) => Some(r),
            (None, n) => n,
        }
    }
}

/// Check that no rule releases an identifier's values under a weaker role: every column of
/// the query's result whose values come from an identifier input column (other than the
/// column of the same name, which the rules cover as such) must be dropped or have a role at
/// least as strong (whose allowed actions then apply). All violations are reported, at the
/// line of the query that makes the column.
pub fn check(job: &Job, plan: &Plan, lineage: &QueryLineage, ids: &Identifiers) -> Result<(), EngineError> {
    let sql = job.query.as_ref().map(|q| q.text()).unwrap_or_default();
    let rules = plan.rules_path.display();
    let mut problems = Vec::new();
    for (output, sources) in &lineage.columns {
        let Some(rule) = plan.columns.iter().find(|c| &c.name == output) else { continue };
        if rule.action == Action::Drop {
            continue;
        }
        for source in sources.iter().filter(|s| &s.column != output) {
            let Some((role, why)) = ids.role(&source.column) else { continue };
            if rank(rule.role) >= rank(role) {
                continue;
            }
            let why = match why {
                Why::Rule(line) => format!("the rules' column `{}` at {rules}:{line}", source.column),
                Why::Name(word) => format!("its name holds `{word}`"),
            };
            let (line, col) = job_position(job, sql_position(sql, output).unwrap_or((1, 1)));
            problems.push(format!(
                "{}:{line}:{col}: query: column `{output}` takes the values of `{source}`, which has role `{}` ({why}), but its rule ({rules}:{}) gives it role `{}` with action `{}`\n  hint: drop `{output}`, give it role `{}` (and an action that role allows), or change the query so that `{source}` only tests rows (`WHERE`, `JOIN ... ON`, `CASE WHEN ... THEN 'x'`) instead of passing its values on",
                job.path.display(),
                role.as_str(),
                rule.line,
                rule.role.as_str(),
                rule.action.name(),
                role.as_str(),
            ));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(EngineError::Config(problems.join("\n"))) }
}

/// Check that no typed input column (an input's `types`, other than `string`) gives its values
/// to an identifier of the result: the rules' `subject`, `identifier` (the column residents'
/// requests match the rows by) or a column whose rule has a role above the quasi-identifiers'
/// (an identification code, a financial, a direct identifier, a linking code), whatever the
/// action. A typed value is rewritten (`000101` becomes `101`), so pseudonyms, the people
/// counted, requests and the residual scan would see another value than the input's. A column
/// the query only tests (`WHERE`, `JOIN ... ON`) passes nothing and may be typed. All
/// violations are reported, at the column's entry in the input's `types`.
pub fn check_types(
    job: &Job,
    plan: &Plan,
    lineage: &QueryLineage,
    identifier: Option<&str>,
) -> Result<(), EngineError> {
    let rules = plan.rules_path.display();
    let mut problems = Vec::new();
    for input in &job.inputs {
        let table = input.name.clone().unwrap_or_else(|| "input".into());
        for t in input.types.iter().filter(|t| t.ty != tokumei_rules::ValueType::String) {
            let source = SourceColumn { table: table.clone(), column: t.column.clone() };
            for (output, _) in lineage.columns.iter().filter(|(_, sources)| sources.contains(&source)) {
                let rule = plan.columns.iter().find(|c| &c.name == output);
                let what = if plan.subject.as_deref() == Some(output.as_str()) {
                    "the rules' `subject`, the person the rows are counted by".to_string()
                } else if identifier == Some(output.as_str()) {
                    "the subject identifier residents' requests match the rows by".to_string()
                } else if let Some(rule) = rule.filter(|r| rank(r.role) > 0) {
                    format!("an identifier (role `{}` at {rules}:{})", rule.role.as_str(), rule.line)
                } else {
                    continue;
                };
                problems.push(format!(
                    "{}:{}:{}: column `{}` of input `{table}` is typed `{}`, and the query gives its values to column `{output}`, which is {what}: an identifier is read as text (a typed value loses its writing, leading zeros and all)\n  hint: remove it from `types`, or have the query only compare it (`WHERE`, `JOIN ... ON`) rather than pass it on",
                    job.path.display(),
                    t.at.0,
                    t.at.1,
                    t.column,
                    t.ty.as_str(),
                ));
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(EngineError::Config(problems.join("\n"))) }
}

/// Where in the SQL (1-based line and column) the result column `output` is made: its alias
/// (`AS output`), else `None`.
fn sql_position(sql: &str, output: &str) -> Option<(usize, usize)> {
    let pattern = format!(r#"(?i)\bAS\s+"?{}"?(?:[^\w"]|$)"#, regex::escape(output));
    let at = regex::Regex::new(&pattern).ok()?.find(sql)?.start();
    let before = &sql[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, col))
}

/// The position in the job file of line `l`, column `c` of its query.
fn job_position(job: &Job, (l, c): (usize, usize)) -> (usize, usize) {
    match job.query_at {
        Some((line, col)) if l == 1 => (line, col + c - 1),
        Some((line, _)) => (line + l - 1, c),
        None => (1, 1),
    }
}

/// Keyed hashes of every value of the inputs' identifier columns (normalised as identifiers
/// are compared: [`tokumei_jp::identifier_key`]), for the residual scan of a query job's
/// released values. Holds no value, only hashes under a key made for the run.
pub struct IdentifierValues {
    hasher: std::hash::RandomState,
    /// The identifier input columns, by their number in the hashes.
    pub sources: Vec<(SourceColumn, Role)>,
    /// `hash << 6 | source` (sources past 63 share 63), sorted once finished (empty once
    /// spilled).
    hashes: Vec<u64>,
    /// Past [`SPILL_AT`] hashes, all of them in an unnamed file (nothing left if the process
    /// dies), read back by [`IdentifierValues::restrict`].
    spill: Option<std::fs::File>,
    /// The hashes read back from the spill: those of the released values only, or all.
    loaded: std::sync::OnceLock<Vec<u64>>,
}

/// Hashes held in memory before they go to the spill file (64 MiB).
const SPILL_AT: usize = 1 << 23;

/// The keyed hash of one [`IdentifierValues`], usable on any thread.
#[derive(Clone)]
pub struct Keyer(std::hash::RandomState);

impl Keyer {
    /// The stored form of `value` of source `source`, or `None` for a value too short to tell
    /// a person ([`value_key`]).
    #[cfg_attr(not(feature = "query"), allow(dead_code))] // filled only by a query's inputs
    pub fn hash(&self, source: usize, value: &str) -> Option<u64> {
        let key = value_key(value)?;
        let h = self.0.hash_one(&*key) << SOURCE_BITS;
        Some(h | source.min((1 << SOURCE_BITS) - 1) as u64)
    }
}

/// Bits of a stored hash that number its source.
const SOURCE_BITS: u32 = 6;

impl Default for IdentifierValues {
    fn default() -> Self {
        IdentifierValues {
            hasher: std::hash::RandomState::new(),
            sources: Vec::new(),
            hashes: Vec::new(),
            spill: None,
            loaded: std::sync::OnceLock::new(),
        }
    }
}

/// The form in which a released value and an identifier's value are compared
/// ([`tokumei_jp::identifier_key`]: NFKC, full-width and half-width alike, spaces and hyphens
/// dropped), or `None` for one too short to tell a person: fewer than 2 characters, or only
/// digits and fewer than [`MIN_DIGITS`].
pub fn value_key(value: &str) -> Option<std::borrow::Cow<'_, str>> {
    let key = tokumei_jp::identifier_key(value);
    let chars = key.chars().count();
    let digits = key.bytes().all(|b| b.is_ascii_digit());
    (chars >= 2 && !(digits && chars < MIN_DIGITS)).then_some(key)
}

/// Fewest digits a number needs to be compared: amounts, counts, dates' parts and postal codes
/// (7 digits, which amounts of yen collide with) are not; マイナンバー (12), phone numbers (10-11),
/// 宛名番号 and 世帯番号 (8 and more) are.
pub const MIN_DIGITS: usize = 8;

impl IdentifierValues {
    /// Number a new identifier source column.
    #[cfg_attr(not(feature = "query"), allow(dead_code))] // filled only by a query's inputs
    pub fn add_source(&mut self, source: SourceColumn, role: Role) -> usize {
        self.sources.push((source, role));
        self.sources.len() - 1
    }

    /// Add a value of source `source`.
    #[cfg(test)]
    pub fn add(&mut self, source: usize, value: &str) {
        if let Some(h) = self.keyer().hash(source, value) {
            self.hashes.push(h);
        }
    }

    /// The keyed hash these values are stored under, for hashing values away from them (on the
    /// threads that read the inputs) before [`IdentifierValues::extend`] adds them.
    #[cfg_attr(not(feature = "query"), allow(dead_code))] // filled only by a query's inputs
    pub fn keyer(&self) -> Keyer {
        Keyer(self.hasher.clone())
    }

    /// Make room for `more` hashes at once (room not yet written takes no memory; growing by
    /// doubling would copy the hashes and hold both copies for a moment).
    #[cfg_attr(not(feature = "query"), allow(dead_code))] // filled only by a query's inputs
    pub fn reserve(&mut self, more: usize) {
        // A hint: at most 2 GiB of room, and none if the memory cannot be had.
        let _ = self.hashes.try_reserve(more.min(SPILL_AT));
    }

    /// Add hashes made by this values' [`Keyer`].
    #[cfg_attr(not(feature = "query"), allow(dead_code))] // filled only by a query's inputs
    pub fn extend(&mut self, hashes: &[u64]) -> std::io::Result<()> {
        self.hashes.extend_from_slice(hashes);
        if self.hashes.len() >= SPILL_AT {
            self.spill_hashes()?;
        }
        Ok(())
    }

    /// Write the hashes in memory to the spill file.
    fn spill_hashes(&mut self) -> std::io::Result<()> {
        use std::io::Write;
        let file = match &mut self.spill {
            Some(f) => f,
            slot => slot.insert(tempfile::tempfile()?),
        };
        let mut w = std::io::BufWriter::with_capacity(1 << 20, &*file);
        for h in &self.hashes {
            w.write_all(&h.to_le_bytes())?;
        }
        w.flush()?;
        self.hashes.clear();
        Ok(())
    }

    /// Sort the hashes once every value is added (or spill the last of them).
    #[cfg_attr(not(feature = "query"), allow(dead_code))] // filled only by a query's inputs
    pub fn finish(&mut self) -> std::io::Result<()> {
        if self.spill.is_some() {
            self.spill_hashes()?;
            self.hashes = Vec::new();
            return Ok(());
        }
        self.hashes.sort_unstable();
        self.hashes.dedup();
        self.hashes.shrink_to_fit();
        Ok(())
    }

    /// Whether there is nothing to compare with.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty() && self.spill.is_none()
    }

    /// The hash `released` values are kept under in `keep` for [`IdentifierValues::restrict`].
    pub fn released_key(&self, value: &str) -> Option<u64> {
        value_key(value).map(|k| (self.hasher.hash_one(&*k) << SOURCE_BITS) >> SOURCE_BITS)
    }

    /// Read the spilled hashes back into memory (nothing to do when none were spilled): those
    /// whose [`IdentifierValues::released_key`] is in `keep`, or all of them. Done once; a second
    /// call keeps the first's.
    pub fn restrict(&self, keep: Option<&rustc_hash::FxHashSet<u64>>) -> std::io::Result<()> {
        use std::io::{Read, Seek};
        let Some(file) = &self.spill else { return Ok(()) };
        if self.loaded.get().is_some() {
            return Ok(());
        }
        let mut f = file;
        f.rewind()?;
        let mut r = std::io::BufReader::with_capacity(1 << 20, f);
        let (mut all, mut buf) = (crate::distinct::Distinct::new(), [0u8; 8]);
        loop {
            match r.read_exact(&mut buf) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(e),
            }
            let h = u64::from_le_bytes(buf);
            if keep.is_none_or(|k| k.contains(&(h >> SOURCE_BITS))) {
                all.push(h);
            }
        }
        let mut all = all.into_sorted();
        all.shrink_to_fit();
        let _ = self.loaded.set(all);
        Ok(())
    }

    /// The sources a result column named `output` is not checked against: the input columns of
    /// its own name, whose values its rule covers as they are.
    pub fn exempt(&self, output: &str) -> u64 {
        let overflow = self.sources.len() > 1 << SOURCE_BITS;
        self.sources
            .iter()
            .enumerate()
            .filter(|(i, (s, _))| s.column == output && !(overflow && *i >= (1 << SOURCE_BITS) - 1))
            .fold(0, |m, (i, _)| m | 1 << i.min((1 << SOURCE_BITS) - 1))
    }

    /// The source column (one of them) that has `value`, other than those in `exempt`.
    pub fn find(&self, value: &str, exempt: u64) -> Option<&SourceColumn> {
        let key = value_key(value)?;
        let h = self.hasher.hash_one(&*key) << SOURCE_BITS;
        let hashes = self.loaded.get().unwrap_or(&self.hashes);
        let from = hashes.partition_point(|x| *x < h);
        hashes[from..]
            .iter()
            .take_while(|x| *x >> SOURCE_BITS == h >> SOURCE_BITS)
            .map(|x| (x & ((1 << SOURCE_BITS) - 1)) as usize)
            .find(|s| exempt & (1 << s) == 0)
            .map(|s| &self.sources[s].0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_their_words_but_not_words_that_hold_them_by_chance() {
        for (name, words, word) in [
            ("hotel_stay", PHONE_NAMES, None),
            ("Hotel", PHONE_NAMES, None),
            ("hotel_tel", PHONE_NAMES, Some("tel")),
            ("tel_no", PHONE_NAMES, Some("tel")),
            ("TELNO", PHONE_NAMES, Some("tel")),
            ("mobilephone", PHONE_NAMES, Some("phone")),
            ("連絡先", PHONE_NAMES, Some("連絡先")),
            ("filename", PERSON_NAME_NAMES, None),
            ("Unnamed: 0", PERSON_NAME_NAMES, None),
            ("filename_kana", PERSON_NAME_NAMES, None),
            ("lastname", PERSON_NAME_NAMES, Some("name")),
            ("username", PERSON_NAME_NAMES, Some("name")),
            ("file_owner_name", PERSON_NAME_NAMES, Some("name")),
            ("email", MAIL_NAMES, Some("mail")),
            ("個人ID", PERSON_NUMBER_NAMES, Some("個人id")),
        ] {
            assert_eq!(name_has(name, words), word, "{name}");
        }
    }

    #[test]
    fn identifier_roles_by_rule_and_name() {
        let rules = "version = 1\ndataset = \"d\"\nmode = \"anonymized\"\n[[column]]\nname = \"整理番号\"\nrole = \"identification_code\"\naction = \"drop\"\n[[column]]\nname = \"氏名\"\nrole = \"insensitive\"\naction = \"keep\"\n";
        let ids = Identifiers::from_rules(std::path::Path::new("r.toml"), rules);
        assert_eq!(ids.role("整理番号"), Some((Role::IdentificationCode, Why::Rule(5))));
        // A weaker rule does not take away what the name says.
        assert_eq!(ids.role("氏名"), Some((Role::DirectIdentifier, Why::Name("氏名"))));
        assert_eq!(ids.role("Phone_No"), Some((Role::DirectIdentifier, Why::Name("phone"))));
        assert_eq!(ids.role("宛名番号"), Some((Role::LinkingCode, Why::Name("宛名番号"))));
        assert_eq!(ids.role("障害者手帳"), None);
    }

    #[test]
    fn identifier_values_are_found_normalised_and_short_ones_skipped() {
        let mut v = IdentifierValues::default();
        let name = v.add_source(SourceColumn { table: "r".into(), column: "氏名".into() }, Role::DirectIdentifier);
        let code = v.add_source(SourceColumn { table: "r".into(), column: "宛名番号".into() }, Role::LinkingCode);
        v.add(name, "石井　葵");
        v.add(name, "葵");
        v.add(code, "100599657");
        v.add(code, "5371336");
        v.finish().unwrap();
        assert_eq!(v.find("石井 葵", 0).map(|s| s.column.as_str()), Some("氏名"));
        assert_eq!(v.find("ｲｼｲ", 0), None);
        assert_eq!(v.find("１００５９９６５７", 0).map(|s| s.column.as_str()), Some("宛名番号"));
        assert_eq!(v.find("葵", 0), None, "one character tells no one");
        assert_eq!(v.find("537-1336", 0), None, "7 digits: postal codes and amounts alike");
        assert_eq!(v.find("100599657", v.exempt("宛名番号")), None, "its own column's rule covers it");
        assert_eq!(v.find("石井葵", v.exempt("宛名番号")).map(|s| s.column.as_str()), Some("氏名"));
    }

    /// Past its size the values go to a file: read back whole, or only those of the released
    /// values, they find what the values in memory find.
    #[test]
    fn spilled_values_are_read_back_whole_or_for_the_released_values() {
        for keep_some in [false, true] {
            let mut v = IdentifierValues::default();
            let name = v.add_source(SourceColumn { table: "r".into(), column: "氏名".into() }, Role::DirectIdentifier);
            let code = v.add_source(SourceColumn { table: "r".into(), column: "宛名番号".into() }, Role::LinkingCode);
            v.add(name, "石井　葵");
            v.spill_hashes().unwrap();
            v.add(code, "100599657");
            v.add(code, "200599657");
            v.finish().unwrap();
            assert!(!v.is_empty());
            let released = ["石井 葵", "１００５９９６５７", "なし"];
            let keep: rustc_hash::FxHashSet<u64> = released.iter().filter_map(|r| v.released_key(r)).collect();
            v.restrict(keep_some.then_some(&keep)).unwrap();
            assert_eq!(v.find("石井 葵", 0).map(|s| s.column.as_str()), Some("氏名"));
            assert_eq!(v.find("１００５９９６５７", 0).map(|s| s.column.as_str()), Some("宛名番号"));
            assert_eq!(v.find("なし", 0), None);
            // Not among the released values: read back only when every value is.
            assert_eq!(v.find("200599657", 0).is_some(), !keep_some);
        }
    }

    #[test]
    fn the_line_of_an_alias() {
        assert_eq!(sql_position("SELECT a,\n  r.氏名 AS 障害者手帳,\n  b", "障害者手帳"), Some((2, 8)));
        assert_eq!(sql_position("SELECT x AS \"氏名\"", "氏名"), Some((1, 10)));
        assert_eq!(sql_position("SELECT x AS 氏名カナ", "氏名"), None);
    }
}
