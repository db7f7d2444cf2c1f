//! Job files: which input, which rules, where outputs, keys and the audit log go.

use crate::diag::{Diagnostic, Diagnostics, from_toml_error};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    version: Spanned<i64>,
    name: Spanned<String>,
    reference_date: Option<Spanned<String>>,
    input: Spanned<RawInputs>,
    query: Option<Spanned<String>>,
    rules: RawRulesRef,
    output: Option<RawOutput>,
    keys: Option<RawKeys>,
    audit: Option<RawAudit>,
    actor: Option<Spanned<String>>,
    registry: Option<RawRegistry>,
    release: Option<RawRelease>,
    query_limits: Option<Spanned<RawQueryLimits>>,
}

pub use tokumei_words::Actor;

/// `[input]` (one file) or `[[input]]` (named tables for `query`).
#[derive(Debug)]
enum RawInputs {
    One(Box<RawInput>),
    Many(Vec<RawInput>),
}

// By hand rather than `#[serde(untagged)]`, which buffers the value and so loses the positions
// every error needs.
impl<'de> Deserialize<'de> for RawInputs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Inputs;
        impl<'de> serde::de::Visitor<'de> for Inputs {
            type Value = RawInputs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an [input] table or [[input]] tables")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawInputs, A::Error> {
                RawInput::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|i| RawInputs::One(Box::new(i)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<RawInputs, A::Error> {
                Vec::<RawInput>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(RawInputs::Many)
            }
        }
        d.deserialize_any(Inputs)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    name: Option<Spanned<String>>,
    path: String,
    format: Option<Spanned<String>>,
    encoding: Option<Spanned<String>>,
    delimiter: Option<Spanned<String>>,
    #[serde(rename = "where")]
    filter: Option<Spanned<String>>,
    persons: Option<bool>,
    types: Option<Spanned<std::collections::BTreeMap<Spanned<String>, Spanned<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRulesRef {
    path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    dir: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeys {
    pseudonym_key_file: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelease {
    sign_key: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    log: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQueryLimits {
    memory: Option<Spanned<String>>,
    spill: Option<Spanned<String>>,
    time: Option<Spanned<toml::Value>>,
    rows: Option<Spanned<i64>>,
    allow_recursive: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    path: Option<String>,
    contract: Option<Spanned<i64>>,
    internal_use: Option<Spanned<String>>,
}

/// What the job's release is for, when the job names it (`[registry]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobUse {
    /// Provided under this contract of the registry.
    Contract(i64),
    /// An internal use, with its purpose.
    Internal(String),
}

/// Input file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Delimited text.
    Csv,
    /// Apache Parquet.
    Parquet,
}

/// Text encoding of a CSV input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Detect: UTF-8 (BOM or valid UTF-8) else CP932.
    Auto,
    /// UTF-8, with or without BOM.
    Utf8,
    /// CP932 / Shift_JIS (Windows-31J).
    Cp932,
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Its table name in the job's `query` (`None` for a single input without one).
    pub name: Option<String>,
    /// The file.
    pub path: PathBuf,
    /// Its format.
    pub format: InputFormat,
    /// CSV encoding.
    pub encoding: Encoding,
    /// CSV delimiter byte.
    pub delimiter: u8,
    /// Whether its rows are people's records (`persons = false`: a reference table such as a
    /// code list, which residents' requests do not filter).
    pub persons: bool,
    /// The types its columns have in the job's SQL (`types = { 課税所得 = "integer" }`), in the
    /// order the job writes them; a column not listed is text.
    pub types: Vec<InputType>,
}

/// The type an input's column has in the job's SQL, as the input declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputType {
    /// The input column, as its header names it.
    pub column: String,
    /// Its type (the rules' names: `string`, `integer`, `date`, `boolean`).
    pub ty: crate::plan::ValueType,
    /// Where the column is named in the job file (1-based line and column of its key).
    pub at: (usize, usize),
}

/// What the rules see when it is not the single input as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// SQL over the named inputs (`query = "..."`): joins, filters, derived columns.
    Sql(String),
    /// A filter of the single input (`[input] where = "..."`), an SQL condition.
    Where(String),
}

impl Query {
    /// The SQL as written in the job.
    pub fn text(&self) -> &str {
        match self {
            Query::Sql(s) | Query::Where(s) => s,
        }
    }
}

/// What a job's query may use (`[query_limits]`): DataFusion's memory and spill files, the time
/// it may take and the rows it may give, and whether `WITH RECURSIVE` is allowed. Exceeding a
/// limit fails the run (input error) with nothing written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryLimits {
    /// Bytes DataFusion's operators may hold in memory (joins, sorts, aggregates); sorts and
    /// aggregates spill to disk beyond it, other operators fail.
    pub memory: u64,
    /// Bytes of spill files the query may write (0: never spill).
    pub spill: u64,
    /// How long the query may take: planning it and waiting for its rows.
    pub time: std::time::Duration,
    /// Rows the query may give; `None`: 10 times the largest input's rows, at least
    /// [`QueryLimits::MIN_DEFAULT_ROWS`].
    pub rows: Option<u64>,
    /// Whether recursive common table expressions (`WITH RECURSIVE`) may run.
    pub allow_recursive: bool,
    /// Where each key is set in the job file (1-based line and column), by key name.
    pub set_at: Vec<(&'static str, (usize, usize))>,
}

impl QueryLimits {
    /// Default memory: 2 GiB.
    pub const DEFAULT_MEMORY: u64 = 2 << 30;
    /// Default spill files: 10 GiB.
    pub const DEFAULT_SPILL: u64 = 10 << 30;
    /// Default time: 30 minutes.
    pub const DEFAULT_TIME: std::time::Duration = std::time::Duration::from_secs(30 * 60);
    /// The default row limit is never below this.
    pub const MIN_DEFAULT_ROWS: u64 = 1_000_000;

    /// Where `key` is set in the job file, if it is.
    pub fn at(&self, key: &str) -> Option<(usize, usize)> {
        self.set_at.iter().find(|(k, _)| *k == key).map(|(_, at)| *at)
    }

    /// The row limit for inputs of which the largest has `largest_input` rows.
    pub fn row_limit(&self, largest_input: u64) -> u64 {
        self.rows.unwrap_or_else(|| largest_input.saturating_mul(10).max(Self::MIN_DEFAULT_ROWS))
    }
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            memory: Self::DEFAULT_MEMORY,
            spill: Self::DEFAULT_SPILL,
            time: Self::DEFAULT_TIME,
            rows: None,
            allow_recursive: false,
            set_at: Vec::new(),
        }
    }
}

/// A byte size as the job file writes it: a whole number with an optional unit `B`, `KiB`,
/// `MiB`, `GiB`, `TiB` (or `KB`, `MB`, `GB`, `TB`, also powers of 1024), e.g. `"2GiB"`.
pub fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = (&s[..split], s[split..].trim());
    let n: u64 = n.parse().ok()?;
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return None,
    };
    n.checked_mul(1u64 << shift)
}

/// A duration as the job file writes it: whole seconds, or a whole number with a unit `s`,
/// `m`, `h` (e.g. `"90s"`, `"10m"`, `"1h"`).
pub fn parse_duration(s: &str) -> Option<std::time::Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = (&s[..split], s[split..].trim());
    let n: u64 = n.parse().ok()?;
    let secs = match unit {
        "" | "s" | "sec" => n,
        "m" | "min" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        _ => return None,
    };
    Some(std::time::Duration::from_secs(secs))
}

/// A loaded job with paths resolved against the job file's folder.
#[derive(Debug, Clone)]
pub struct Job {
    /// Job file.
    pub path: PathBuf,
    /// Job name.
    pub name: String,
    /// Date at which ages are computed (ISO); `None` means the run date.
    pub reference_date: Option<String>,
    /// The inputs: one file, or several named tables that `query` joins.
    pub inputs: Vec<Input>,
    /// The query or filter whose result the rules see, if any.
    pub query: Option<Query>,
    /// Where the query's text starts in the job file: 1-based line and column.
    pub query_at: Option<(usize, usize)>,
    /// Rule file.
    pub rules: PathBuf,
    /// Output folder: releases go to `<output_dir>/<dataset>/<release id>/`.
    pub output_dir: PathBuf,
    /// Pseudonym key file (needed in pseudonymized mode).
    pub key_file: Option<PathBuf>,
    /// The officer's Ed25519 key that signs each release's manifest (`[release] sign_key`).
    pub sign_key: Option<PathBuf>,
    /// Audit log.
    pub audit_log: PathBuf,
    /// Who makes the data (`actor`, default `public_body`).
    pub actor: Actor,
    /// The registry (`[registry] path`), if the job names one.
    pub registry: Option<PathBuf>,
    /// What the release is for (`[registry] contract` or `internal_use`), if the job says.
    pub release_use: Option<JobUse>,
    /// What the job's query may use (`[query_limits]`).
    pub query_limits: QueryLimits,
}

/// Read and check a job file.
pub fn load_job(path: &Path) -> Result<Job, Diagnostics> {
    let src =
        std::fs::read_to_string(path).map_err(|e| Diagnostic::file(path, format!("cannot read job file: {e}")))?;
    let raw: RawJob = toml::from_str(&src).map_err(|e| from_toml_error(path, &src, &e))?;
    let mut diags = Diagnostics::default();
    if *raw.version.get_ref() != 1 {
        diags.push(Diagnostic::at(
            path,
            &src,
            raw.version.span(),
            "unsupported job-file version (this tokumei reads version 1)",
        ));
    }
    if let Err(why) = crate::diag::check_path_name(raw.name.get_ref()) {
        diags.push(Diagnostic::at(path, &src, raw.name.span(), format!("job name {why}")));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = |p: &str| {
        if Path::new(p).is_absolute() { PathBuf::from(p) } else { base.join(p) }
    };
    let raw_inputs: Vec<&RawInput> = match raw.input.get_ref() {
        RawInputs::One(i) => vec![&**i],
        RawInputs::Many(v) => v.iter().collect(),
    };
    let mut inputs = Vec::with_capacity(raw_inputs.len());
    for ri in &raw_inputs {
        inputs.push(input(path, &src, ri, &resolve, &mut diags));
    }
    check_inputs(path, &src, &raw, &raw_inputs, inputs.is_empty(), &mut diags);
    let filters: Vec<&Spanned<String>> = raw_inputs.iter().filter_map(|i| i.filter.as_ref()).collect();
    let query = match (&raw.query, filters.first()) {
        (Some(q), _) => Some(Query::Sql(q.get_ref().clone())),
        (None, Some(f)) => Some(Query::Where(f.get_ref().clone())),
        (None, None) => None,
    };
    let query_at = raw.query.as_ref().or(filters.first().copied()).map(|q| text_start(&src, q.span().start));
    if query.is_none()
        && let Some(types) = raw_inputs.iter().find_map(|i| i.types.as_ref())
    {
        diags.push(
            Diagnostic::at(
                path,
                &src,
                types.span(),
                "`types` type an input's columns for the job's SQL, and this job has no `query` or `where`",
            )
            .hint("remove `types`: the rules' `type` of each column says how a single input is read"),
        );
    }
    if let Some(r) = &raw.reference_date
        && !is_iso_date(r.get_ref())
    {
        diags.push(Diagnostic::at(path, &src, r.span(), "reference_date must be an ISO date like 2026-04-01"));
    }
    let actor = actor(path, &src, &raw, &mut diags);
    let release_use = release_use(path, &src, &raw, &mut diags);
    let query_limits = match &raw.query_limits {
        None => QueryLimits::default(),
        Some(l) => {
            if query.is_none() {
                diags.push(
                    Diagnostic::at(
                        path,
                        &src,
                        l.span(),
                        "`[query_limits]` bound a job's `query` or `[input] where`, and this job has neither",
                    )
                    .hint("remove the table, or add the query"),
                );
            }
            query_limits(path, &src, l.get_ref(), &mut diags)
        }
    };
    if !diags.is_empty() {
        return Err(diags);
    }
    let output_dir =
        raw.output.and_then(|o| o.dir).map(|d| resolve(&d)).unwrap_or_else(|| base.join("..").join("reports"));
    Ok(Job {
        path: path.to_path_buf(),
        name: raw.name.into_inner(),
        reference_date: raw.reference_date.map(Spanned::into_inner),
        inputs,
        query,
        query_at,
        rules: resolve(&raw.rules.path),
        output_dir,
        key_file: raw.keys.and_then(|k| k.pseudonym_key_file).map(|k| resolve(&k)),
        sign_key: raw.release.and_then(|r| r.sign_key).map(|k| resolve(&k)),
        audit_log: raw
            .audit
            .and_then(|a| a.log)
            .map(|l| resolve(&l))
            .unwrap_or_else(|| base.join("..").join("reports").join("audit.log")),
        actor,
        registry: raw.registry.as_ref().and_then(|r| r.path.as_ref()).map(|p| resolve(p.as_str())),
        release_use,
        query_limits,
    })
}

/// The inputs as the job names them: each named as a table (when there are several or a
/// query), several joined by a `query`, `where` only on a single input, no empty SQL.
fn check_inputs(
    path: &Path,
    src: &str,
    raw: &RawJob,
    raw_inputs: &[&RawInput],
    no_inputs: bool,
    diags: &mut Diagnostics,
) {
    let at = |diags: &mut Diagnostics, span: std::ops::Range<usize>, msg: &str, hint: &str| {
        diags.push(Diagnostic::at(path, src, span, msg.to_string()).hint(hint.to_string()));
    };
    if no_inputs {
        at(diags, raw.input.span(), "a job needs at least one input", "add `[input]` with `path = ...`");
    }
    let several = raw_inputs.len() > 1;
    let filters: Vec<&Spanned<String>> = raw_inputs.iter().filter_map(|i| i.filter.as_ref()).collect();
    let mut names = std::collections::HashSet::new();
    for ri in raw_inputs {
        match &ri.name {
            Some(n) if !is_table_name(n.get_ref()) => at(
                diags,
                n.span(),
                "an input's name must be a table name: letters (Japanese too), digits and `_`, not starting with a digit",
                "e.g. name = \"住基\" or name = \"tax\"",
            ),
            Some(n) if !names.insert(n.get_ref().clone()) => {
                at(diags, n.span(), "two inputs have this name", "give each input its own name")
            }
            None if several || raw.query.is_some() => at(
                diags,
                raw.input.span(),
                "every input needs a `name` when the job has several inputs or a `query`",
                "name each `[[input]]`, e.g. name = \"住基\", and use that name in the query",
            ),
            _ => {}
        }
    }
    if several && raw.query.is_none() {
        at(
            diags,
            raw.input.span(),
            "several inputs need a `query` that joins them into the one table the rules cover",
            "add query = \"SELECT ... FROM 住基 JOIN 税 USING (宛名番号)\"",
        );
    }
    if let Some(f) = filters.first()
        && (several || raw.query.is_some())
    {
        at(diags, f.span(), "`where` applies to a single input without a `query`", "put the condition in the query");
    }
    for text in filters.iter().copied().chain(raw.query.as_ref()) {
        if text.get_ref().trim().is_empty() {
            at(diags, text.span(), "empty SQL", "write the query or condition, or remove the key");
        }
    }
}

/// Who releases (`actor`): a public body unless the job says otherwise.
fn actor(path: &Path, src: &str, raw: &RawJob, diags: &mut Diagnostics) -> Actor {
    match &raw.actor {
        None => Actor::PublicBody,
        Some(a) => match Actor::parse(a.get_ref()) {
            Some(a) => a,
            None => {
                let words: Vec<&str> = Actor::ALL.iter().map(|a| a.as_str()).collect();
                diags.push(Diagnostic::at(
                    path,
                    src,
                    a.span(),
                    format!(
                        "unknown actor; actors are {} (行政機関等, 個人情報取扱事業者, 法58条法人)",
                        words.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", ")
                    ),
                ));
                Actor::PublicBody
            }
        },
    }
}

/// What the release is for: `[registry] contract` (a positive id) or `internal_use` (its
/// purpose), not both.
fn release_use(path: &Path, src: &str, raw: &RawJob, diags: &mut Diagnostics) -> Option<JobUse> {
    match raw.registry.as_ref().map(|r| (&r.contract, &r.internal_use)) {
        Some((Some(c), Some(_))) => {
            diags.push(Diagnostic::at(path, src, c.span(), "name either `contract` or `internal_use`, not both"));
            None
        }
        Some((Some(c), None)) if *c.get_ref() <= 0 => {
            diags.push(Diagnostic::at(path, src, c.span(), "a contract id is a positive number"));
            None
        }
        Some((Some(c), None)) => Some(JobUse::Contract(*c.get_ref())),
        Some((None, Some(u))) if u.get_ref().trim().is_empty() => {
            diags.push(Diagnostic::at(path, src, u.span(), "`internal_use` states the purpose"));
            None
        }
        Some((None, Some(u))) => Some(JobUse::Internal(u.get_ref().trim().to_string())),
        _ => None,
    }
}

/// The `[query_limits]` table's settings, each checked at its position.
fn query_limits(path: &Path, src: &str, raw: &RawQueryLimits, diags: &mut Diagnostics) -> QueryLimits {
    let mut set_at = Vec::new();
    let mut at = |key: &'static str, span: std::ops::Range<usize>| {
        set_at.push((key, crate::diag::line_col(src, span.start)));
    };
    let bytes =
        |value: &Spanned<String>, diags: &mut Diagnostics, key: &str, min: u64| match parse_bytes(value.get_ref()) {
            Some(n) if n >= min => Some(n),
            Some(_) => {
                diags.push(Diagnostic::at(path, src, value.span(), format!("`{key}` is too small: at least 1MiB")));
                None
            }
            None => {
                diags.push(
                    Diagnostic::at(path, src, value.span(), format!("`{key}` is a size: a whole number with a unit"))
                        .hint("e.g. \"512MiB\" or \"2GiB\""),
                );
                None
            }
        };
    let mut memory = None;
    if let Some(m) = &raw.memory {
        at("memory", m.span());
        memory = bytes(m, diags, "memory", 1 << 20);
    }
    let mut spill = None;
    if let Some(s) = &raw.spill {
        at("spill", s.span());
        // 0 is allowed: never spill.
        spill = match parse_bytes(s.get_ref()) {
            Some(0) => Some(0),
            _ => bytes(s, diags, "spill", 1 << 20),
        };
    }
    let mut time = None;
    if let Some(t) = &raw.time {
        at("time", t.span());
        let parsed = match t.get_ref() {
            toml::Value::Integer(n) => u64::try_from(*n).ok().map(std::time::Duration::from_secs),
            toml::Value::String(s) => parse_duration(s),
            _ => None,
        };
        match parsed {
            Some(d) if !d.is_zero() => time = Some(d),
            _ => diags.push(
                Diagnostic::at(
                    path,
                    src,
                    t.span(),
                    "`time` is a positive number of seconds, or a number with a unit `s`, `m` or `h`",
                )
                .hint("e.g. time = 600 or time = \"10m\""),
            ),
        }
    }
    let mut rows = None;
    if let Some(r) = &raw.rows {
        at("rows", r.span());
        match u64::try_from(*r.get_ref()) {
            Ok(n) if n > 0 => rows = Some(n),
            _ => diags.push(Diagnostic::at(path, src, r.span(), "`rows` is a positive number of rows")),
        }
    }
    if let Some(a) = &raw.allow_recursive {
        at("allow_recursive", a.span());
    }
    QueryLimits {
        memory: memory.unwrap_or(QueryLimits::DEFAULT_MEMORY),
        spill: spill.unwrap_or(QueryLimits::DEFAULT_SPILL),
        time: time.unwrap_or(QueryLimits::DEFAULT_TIME),
        rows,
        allow_recursive: raw.allow_recursive.as_ref().is_some_and(|a| *a.get_ref()),
        set_at,
    }
}

/// One input's settings.
fn input(path: &Path, src: &str, raw: &RawInput, resolve: &dyn Fn(&str) -> PathBuf, diags: &mut Diagnostics) -> Input {
    let file = resolve(&raw.path);
    let format = match raw.format.as_ref().map(|f| f.get_ref().as_str()) {
        Some("csv") => InputFormat::Csv,
        Some("parquet") => InputFormat::Parquet,
        None if file.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) => InputFormat::Parquet,
        None => InputFormat::Csv,
        Some(_) => {
            let f = raw.format.as_ref().unwrap();
            diags.push(Diagnostic::at(path, src, f.span(), "format must be `csv` or `parquet`"));
            InputFormat::Csv
        }
    };
    let encoding = match raw.encoding.as_ref().map(|e| e.get_ref().to_ascii_lowercase()) {
        None => Encoding::Auto,
        Some(e) => match e.as_str() {
            "auto" => Encoding::Auto,
            "utf-8" | "utf8" => Encoding::Utf8,
            "cp932" | "shift_jis" | "sjis" | "windows-31j" => Encoding::Cp932,
            _ => {
                let s = raw.encoding.as_ref().unwrap();
                diags.push(
                    Diagnostic::at(path, src, s.span(), "unknown encoding")
                        .hint("use `auto`, `utf-8` or `cp932` (Shift_JIS)"),
                );
                Encoding::Auto
            }
        },
    };
    let delimiter = match raw.delimiter.as_ref() {
        None => b',',
        Some(d) if d.get_ref() == "\\t" || d.get_ref() == "\t" => b'\t',
        Some(d)
            if d.get_ref().len() == 1
                && d.get_ref().is_ascii()
                && !matches!(d.get_ref().as_str(), "\"" | "\r" | "\n") =>
        {
            d.get_ref().as_bytes()[0]
        }
        Some(d) => {
            diags.push(Diagnostic::at(
                path,
                src,
                d.span(),
                "delimiter must be one ASCII character other than a quote or a line break",
            ));
            b','
        }
    };
    Input {
        name: raw.name.as_ref().map(|n| n.get_ref().clone()),
        path: file,
        format,
        encoding,
        delimiter,
        persons: raw.persons.unwrap_or(true),
        types: input_types(path, src, raw, diags),
    }
}

/// An input's `types`: each a type name of the rules, in the order the job writes them.
fn input_types(path: &Path, src: &str, raw: &RawInput, diags: &mut Diagnostics) -> Vec<InputType> {
    let Some(types) = &raw.types else { return Vec::new() };
    let mut out: Vec<(usize, InputType)> = Vec::with_capacity(types.get_ref().len());
    for (column, ty) in types.get_ref() {
        let (at, column) = (column.span().start, column.get_ref());
        match crate::plan::VALUE_TYPES.iter().find(|(n, _)| n == ty.get_ref()) {
            Some((_, t)) => {
                out.push((at, InputType { column: column.clone(), ty: *t, at: crate::diag::line_col(src, at) }))
            }
            None => {
                let names: Vec<String> = crate::plan::VALUE_TYPES.iter().map(|(n, _)| format!("`{n}`")).collect();
                diags.push(
                    Diagnostic::at(path, src, ty.span(), format!("unknown type of input column `{column}`"))
                        .hint(format!("the types are those of the rules: {}", names.join(", "))),
                );
            }
        }
    }
    out.sort_by_key(|(at, _)| *at);
    out.into_iter().map(|(_, t)| t).collect()
}

/// The 1-based line and column where a string value's text starts, given the offset of its
/// opening quote: after `"""` or `\'\'\'` a newline right after the quotes is not part of the text.
fn text_start(src: &str, quote: usize) -> (usize, usize) {
    let rest = &src[quote.min(src.len())..];
    let open = if rest.starts_with("\"\"\"") || rest.starts_with("'''") { 3 } else { 1 };
    let mut at = (quote + open).min(src.len());
    if open == 3 {
        if src[at..].starts_with("\r\n") {
            at += 2;
        } else if src[at..].starts_with('\n') {
            at += 1;
        }
    }
    let before = &src[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Whether `s` can name a table in a query: letters (any script), digits and `_`, not
/// starting with a digit.
fn is_table_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ValueType;

    #[test]
    fn sizes_and_durations_parse_with_their_units() {
        assert_eq!(parse_bytes("2GiB"), Some(2 << 30));
        assert_eq!(parse_bytes("512 MiB"), Some(512 << 20));
        assert_eq!(parse_bytes("64mb"), Some(64 << 20));
        assert_eq!(parse_bytes("1048576"), Some(1 << 20));
        assert_eq!(parse_bytes("0"), Some(0));
        for bad in ["", "GiB", "-1GiB", "1.5GiB", "2 GB extra", "99999999999TiB"] {
            assert_eq!(parse_bytes(bad), None, "{bad}");
        }
        assert_eq!(parse_duration("90"), Some(std::time::Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Some(std::time::Duration::from_secs(600)));
        assert_eq!(parse_duration("2h"), Some(std::time::Duration::from_secs(7200)));
        for bad in ["", "m", "1.5m", "10d", "-3s"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    fn load(text: &str) -> Result<Job, Diagnostics> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.job.toml");
        std::fs::write(&p, text).unwrap();
        load_job(&p)
    }

    const HEAD: &str = "version = 1\nname = \"j\"\nquery = \"SELECT * FROM a\"\n[[input]]\nname = \"a\"\npath = \"a.csv\"\n[rules]\npath = \"r.toml\"\n";

    #[test]
    fn query_limits_default_and_are_read_with_their_positions() {
        let job = load(HEAD).unwrap();
        assert_eq!(job.query_limits, QueryLimits::default());
        assert_eq!(job.query_limits.row_limit(10), QueryLimits::MIN_DEFAULT_ROWS);
        assert_eq!(job.query_limits.row_limit(1_000_000), 10_000_000);
        let job = load(&format!(
            "{HEAD}[query_limits]\nmemory = \"64MiB\"\nspill = \"0\"\ntime = \"2m\"\nrows = 5000\nallow_recursive = true\n"
        ))
        .unwrap();
        let l = &job.query_limits;
        assert_eq!(
            (l.memory, l.spill, l.time.as_secs(), l.rows, l.allow_recursive),
            (64 << 20, 0, 120, Some(5000), true)
        );
        assert_eq!(l.at("memory"), Some((10, 10)));
        assert_eq!(l.at("time"), Some((12, 8)));
        assert_eq!(load(&format!("{HEAD}[query_limits]\ntime = 5\n")).unwrap().query_limits.time.as_secs(), 5);
    }

    #[test]
    fn input_types_are_read_in_order_with_their_positions_and_unknown_names_refused() {
        let typed = |types: &str| HEAD.replace("[rules]", &format!("types = {{ {types} }}\n[rules]"));
        let job = load(&typed(
            "\"課税所得\" = \"integer\", \"賦課日\" = \"date\", \"国保\" = \"boolean\", \"備考\" = \"string\"",
        ))
        .unwrap();
        let types: Vec<(&str, ValueType)> = job.inputs[0].types.iter().map(|t| (t.column.as_str(), t.ty)).collect();
        assert_eq!(
            types,
            [
                ("課税所得", ValueType::Integer),
                ("賦課日", ValueType::Date),
                ("国保", ValueType::Boolean),
                ("備考", ValueType::String)
            ]
        );
        assert_eq!(job.inputs[0].types[0].at, (7, 11), "at its key");
        let table = load(&HEAD.replace("[rules]", "[input.types]\n\"課税所得\" = \"integer\"\n[rules]")).unwrap();
        assert_eq!(table.inputs[0].types[0].at, (8, 1));
        let e = load(&typed("\"課税所得\" = \"decimal\"")).unwrap_err().to_string();
        assert!(e.contains("j.job.toml:7:20: unknown type of input column `課税所得`"), "{e}");
        assert!(e.contains("`string`, `integer`, `date`, `boolean`"), "{e}");
        let single = "version = 1\nname = \"j\"\n[input]\npath = \"a.csv\"\ntypes = { \"x\" = \"integer\" }\n[rules]\npath = \"r.toml\"\n";
        let e = load(single).unwrap_err().to_string();
        assert!(e.contains("j.job.toml:5:9: `types` type an input's columns for the job's SQL"), "{e}");
        assert!(load(&single.replace("[rules]", "where = \"x > 1\"\n[rules]")).is_ok());
    }

    #[test]
    fn bad_query_limits_are_job_errors_at_their_key() {
        for (table, expected) in [
            ("memory = \"lots\"", "j.job.toml:10:10: `memory` is a size"),
            ("memory = \"1KiB\"", "j.job.toml:10:10: `memory` is too small"),
            ("time = 0", "j.job.toml:10:8: `time` is a positive number of seconds"),
            ("time = \"1 fortnight\"", "j.job.toml:10:8: `time` is a positive number"),
            ("rows = -1", "j.job.toml:10:8: `rows` is a positive number"),
            ("memroy = \"1GiB\"", "memroy"),
        ] {
            let e = load(&format!("{HEAD}[query_limits]\n{table}\n")).unwrap_err().to_string();
            assert!(e.contains(expected), "{table}: {e}");
        }
        let single = "version = 1\nname = \"j\"\n[input]\npath = \"a.csv\"\n[rules]\npath = \"r.toml\"\n[query_limits]\ntime = 5\n";
        let e = load(single).unwrap_err().to_string();
        assert!(e.contains("`[query_limits]` bound a job's `query`"), "{e}");
    }
}
