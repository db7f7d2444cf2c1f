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
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, JoinType};
use datafusion::logical_expr::{BinaryExpr, Distinct, Expr, LogicalPlan, Operator, WindowFunctionDefinition};
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;
use tokumei_rules::{Action, Job, Plan, Role};

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
pub const PHONE_NAMES: &[&str] = &["電話", "tel", "携帯", "phone", "fax"];
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

/// The first word of `words` that `name` holds (case-insensitively).
pub fn name_has<'a>(name: &str, words: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_lowercase();
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

/// The lineage of `plan`'s result columns.
pub fn lineage(plan: &LogicalPlan) -> QueryLineage {
    let sources = Walker::default().plan(plan, &[]);
    QueryLineage { columns: plan.schema().fields().iter().map(|f| f.name().clone()).zip(sources).collect() }
}

/// The schema and lineage of an enclosing query, where a subquery's outer references point.
type Scope<'a> = (&'a DFSchema, &'a [Sources]);

#[derive(Default)]
struct Walker {
    /// The lineage of each recursive CTE's work table while its recursive term is walked.
    ctes: HashMap<String, Vec<Sources>>,
}

/// Scalar functions that test or measure their arguments without passing their text on.
const TESTING_FUNCTIONS: &[&str] = &[
    "length",
    "char_length",
    "character_length",
    "octet_length",
    "bit_length",
    "starts_with",
    "ends_with",
    "regexp_like",
    "isnan",
    "iszero",
];

/// Aggregate and window functions that count rows or number them.
const COUNTING_FUNCTIONS: &[&str] =
    &["count", "approx_distinct", "grouping", "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile"];

fn union(sets: impl IntoIterator<Item = Sources>) -> Sources {
    sets.into_iter().flatten().collect()
}

impl Walker {
    /// One set of sources per column of `plan`'s schema.
    fn plan(&mut self, plan: &LogicalPlan, outer: &[Scope]) -> Vec<Sources> {
        let width = plan.schema().fields().len();
        let result = self.node(plan, outer);
        match result {
            Some(r) if r.len() == width => r,
            // A node of another kind or shape: every column takes every input's sources.
            _ => {
                let all = union(plan.inputs().into_iter().flat_map(|p| self.plan(p, outer)));
                let all = union([all, self.exprs_all(plan, outer)]);
                vec![all; width]
            }
        }
    }

    /// Every source the expressions of `plan` refer to (for nodes walked conservatively).
    fn exprs_all(&mut self, plan: &LogicalPlan, outer: &[Scope]) -> Sources {
        let inputs = plan.inputs();
        let Some(input) = inputs.first() else { return Sources::new() };
        let lineage = self.plan(input, outer);
        union(plan.expressions().iter().map(|e| self.expr(e, input.schema(), &lineage, outer)))
    }

    fn node(&mut self, plan: &LogicalPlan, outer: &[Scope]) -> Option<Vec<Sources>> {
        Some(match plan {
            LogicalPlan::TableScan(scan) => {
                let table = scan.table_name.table().to_string();
                if let Some(work) = self.ctes.get(&table) {
                    return Some(work.clone());
                }
                scan.projected_schema
                    .fields()
                    .iter()
                    .map(|f| Sources::from([SourceColumn { table: table.clone(), column: f.name().clone() }]))
                    .collect()
            }
            LogicalPlan::Projection(p) => {
                let input = self.plan(&p.input, outer);
                p.expr.iter().map(|e| self.expr(e, p.input.schema(), &input, outer)).collect()
            }
            LogicalPlan::Filter(f) => self.plan(&f.input, outer),
            LogicalPlan::Sort(s) => self.plan(&s.input, outer),
            LogicalPlan::Limit(l) => self.plan(&l.input, outer),
            LogicalPlan::Repartition(r) => self.plan(&r.input, outer),
            LogicalPlan::SubqueryAlias(a) => self.plan(&a.input, outer),
            LogicalPlan::Subquery(s) => self.plan(&s.subquery, outer),
            LogicalPlan::Distinct(Distinct::All(input)) => self.plan(input, outer),
            LogicalPlan::Distinct(Distinct::On(d)) => {
                let input = self.plan(&d.input, outer);
                d.select_expr.iter().map(|e| self.expr(e, d.input.schema(), &input, outer)).collect()
            }
            LogicalPlan::Window(w) => {
                let mut columns = self.plan(&w.input, outer);
                let input = columns.clone();
                columns.extend(w.window_expr.iter().map(|e| self.expr(e, w.input.schema(), &input, outer)));
                columns
            }
            LogicalPlan::Aggregate(a) => {
                let input = self.plan(&a.input, outer);
                let groups = datafusion::logical_expr::utils::grouping_set_to_exprlist(&a.group_expr).ok()?;
                let mut columns: Vec<Sources> =
                    groups.iter().map(|e| self.expr(e, a.input.schema(), &input, outer)).collect();
                if matches!(a.group_expr.as_slice(), [Expr::GroupingSet(_)]) {
                    columns.push(Sources::new()); // the grouping id
                }
                columns.extend(a.aggr_expr.iter().map(|e| self.expr(e, a.input.schema(), &input, outer)));
                columns
            }
            LogicalPlan::Join(j) => {
                let (left, right) = (self.plan(&j.left, outer), self.plan(&j.right, outer));
                match j.join_type {
                    JoinType::Inner | JoinType::Left | JoinType::Right | JoinType::Full => {
                        left.into_iter().chain(right).collect()
                    }
                    JoinType::LeftSemi | JoinType::LeftAnti => left,
                    JoinType::RightSemi | JoinType::RightAnti => right,
                    JoinType::LeftMark => left.into_iter().chain([Sources::new()]).collect(),
                    JoinType::RightMark => right.into_iter().chain([Sources::new()]).collect(),
                }
            }
            LogicalPlan::Union(u) => {
                let mut columns = vec![Sources::new(); u.schema.fields().len()];
                for input in &u.inputs {
                    for (c, s) in columns.iter_mut().zip(self.plan(input, outer)) {
                        c.extend(s);
                    }
                }
                columns
            }
            LogicalPlan::RecursiveQuery(q) => {
                let mut columns = self.plan(&q.static_term, outer);
                // The recursive term reads its own result: walk it until no column gains a
                // source (sources only grow, and there are finitely many).
                loop {
                    self.ctes.insert(q.name.clone(), columns.clone());
                    let next = self.plan(&q.recursive_term, outer);
                    self.ctes.remove(&q.name);
                    let grown: Vec<Sources> =
                        columns.iter().zip(&next).map(|(a, b)| union([a.clone(), b.clone()])).collect();
                    if grown == columns || next.len() != columns.len() {
                        break;
                    }
                    columns = grown;
                }
                columns
            }
            LogicalPlan::Unnest(u) => {
                let input = self.plan(&u.input, outer);
                u.dependency_indices.iter().map(|i| input.get(*i).cloned()).collect::<Option<Vec<_>>>()?
            }
            LogicalPlan::Values(v) => vec![Sources::new(); v.schema.fields().len()],
            LogicalPlan::EmptyRelation(e) => vec![Sources::new(); e.schema.fields().len()],
            _ => return None,
        })
    }

    /// The sources of the values of expression `e` over an input of `schema` whose columns
    /// have sources `input`.
    fn expr(&mut self, e: &Expr, schema: &DFSchema, input: &[Sources], outer: &[Scope]) -> Sources {
        let go = |w: &mut Walker, e: &Expr| w.expr(e, schema, input, outer);
        match e {
            Expr::Column(c) => match schema.maybe_index_of_column(c) {
                Some(i) => input.get(i).cloned().unwrap_or_else(|| union(input.iter().cloned())),
                None => union(input.iter().cloned()),
            },
            Expr::OuterReferenceColumn(_, c) => {
                for (schema, lineage) in outer.iter().rev() {
                    if let Some(i) = schema.maybe_index_of_column(c) {
                        return lineage.get(i).cloned().unwrap_or_default();
                    }
                }
                union(outer.iter().flat_map(|(_, l)| l.iter().cloned()))
            }
            Expr::Alias(a) => go(self, &a.expr),
            Expr::Cast(c) => go(self, &c.expr),
            Expr::TryCast(c) => go(self, &c.expr),
            Expr::Negative(x) => go(self, x),
            Expr::Unnest(u) => go(self, &u.expr),
            Expr::Literal(..) | Expr::ScalarVariable(..) | Expr::Placeholder(_) => Sources::new(),
            // Tests: a truth value, not the values tested.
            Expr::Not(_)
            | Expr::IsNull(_)
            | Expr::IsNotNull(_)
            | Expr::IsTrue(_)
            | Expr::IsFalse(_)
            | Expr::IsUnknown(_)
            | Expr::IsNotTrue(_)
            | Expr::IsNotFalse(_)
            | Expr::IsNotUnknown(_)
            | Expr::Like(_)
            | Expr::SimilarTo(_)
            | Expr::Between(_)
            | Expr::InList(_)
            | Expr::Exists(_)
            | Expr::InSubquery(_)
            | Expr::SetComparison(_) => Sources::new(),
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                if tests(op) {
                    Sources::new()
                } else {
                    union([go(self, left), go(self, right)])
                }
            }
            Expr::Case(c) => {
                let results = c.when_then_expr.iter().map(|(_, then)| then.as_ref()).chain(c.else_expr.as_deref());
                union(results.map(|r| go(self, r)))
            }
            Expr::ScalarFunction(f) if TESTING_FUNCTIONS.contains(&f.func.name()) => Sources::new(),
            Expr::ScalarFunction(f) => union(f.args.iter().map(|a| go(self, a))),
            Expr::AggregateFunction(f) if COUNTING_FUNCTIONS.contains(&f.func.name()) => Sources::new(),
            Expr::AggregateFunction(f) => union(f.params.args.iter().map(|a| go(self, a))),
            Expr::WindowFunction(w) => {
                let name = match &w.fun {
                    WindowFunctionDefinition::AggregateUDF(f) => f.name(),
                    WindowFunctionDefinition::WindowUDF(f) => f.name(),
                };
                if COUNTING_FUNCTIONS.contains(&name) {
                    Sources::new()
                } else {
                    union(w.params.args.iter().map(|a| go(self, a)))
                }
            }
            Expr::ScalarSubquery(s) => {
                let mut scopes = outer.to_vec();
                scopes.push((schema, input));
                self.plan(&s.subquery, &scopes).into_iter().next().unwrap_or_default()
            }
            // Any other kind: every column it refers to (fail closed).
            other => {
                let mut all = Sources::new();
                let _ = other.apply_children(|child| {
                    all.extend(go(self, child));
                    Ok(TreeNodeRecursion::Continue)
                });
                all
            }
        }
    }
}

/// Whether a binary operator's result is a truth value (a comparison or logic), not a value
/// computed from its operands.
fn tests(op: &Operator) -> bool {
    use Operator::*;
    matches!(
        op,
        Eq | NotEq
            | Lt
            | LtEq
            | Gt
            | GtEq
            | And
            | Or
            | IsDistinctFrom
            | IsNotDistinctFrom
            | RegexMatch
            | RegexIMatch
            | RegexNotMatch
            | RegexNotIMatch
            | LikeMatch
            | ILikeMatch
            | NotLikeMatch
            | NotILikeMatch
            | AtArrow
            | ArrowAt
    )
}

/// Keyed hashes of every value of the inputs' identifier columns (normalised as identifiers
/// are compared: [`tokumei_jp::identifier_key`]), for the residual scan of a query job's
/// released values. Holds no value, only hashes under a key made for the run.
pub struct IdentifierValues {
    hasher: std::hash::RandomState,
    /// The identifier input columns, by their number in the hashes.
    pub sources: Vec<(SourceColumn, Role)>,
    /// `hash << 6 | source` (sources past 63 share 63), sorted.
    hashes: Vec<u64>,
}

/// Bits of a stored hash that number its source.
const SOURCE_BITS: u32 = 6;

impl Default for IdentifierValues {
    fn default() -> Self {
        IdentifierValues { hasher: std::hash::RandomState::new(), sources: Vec::new(), hashes: Vec::new() }
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
    pub fn add_source(&mut self, source: SourceColumn, role: Role) -> usize {
        self.sources.push((source, role));
        self.sources.len() - 1
    }

    /// Add a value of source `source`.
    pub fn add(&mut self, source: usize, value: &str) {
        if let Some(key) = value_key(value) {
            let h = self.hasher.hash_one(&*key) << SOURCE_BITS;
            self.hashes.push(h | source.min((1 << SOURCE_BITS) - 1) as u64);
        }
    }

    /// Sort the hashes once every value is added.
    pub fn finish(&mut self) {
        self.hashes.sort_unstable();
        self.hashes.dedup();
    }

    /// Whether there is nothing to compare with.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
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
        let from = self.hashes.partition_point(|x| *x < h);
        self.hashes[from..]
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
    use arrow::array::{RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::datasource::MemTable;
    use datafusion::prelude::SessionContext;
    use std::sync::Arc;

    /// The lineage of `sql` over tables `r(宛名番号, 氏名, 性別)` and `t(宛名番号, 所得)`, as
    /// `column: table.column, ...` strings.
    fn lineage_of(sql: &str) -> Vec<String> {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let ctx = SessionContext::new();
            for (name, cols) in [("r", vec!["宛名番号", "氏名", "性別"]), ("t", vec!["宛名番号", "所得"])]
            {
                let schema = Arc::new(Schema::new(
                    cols.iter().map(|c| Field::new(*c, DataType::Utf8, true)).collect::<Vec<_>>(),
                ));
                let columns: Vec<arrow::array::ArrayRef> =
                    cols.iter().map(|_| Arc::new(StringArray::from(vec!["1"])) as arrow::array::ArrayRef).collect();
                let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
                ctx.register_table(name, Arc::new(MemTable::try_new(schema, vec![vec![batch]]).unwrap())).unwrap();
            }
            let frame = ctx.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            lineage(frame.logical_plan())
                .columns
                .iter()
                .map(|(c, s)| format!("{c}: {}", s.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")))
                .collect()
        })
    }

    #[test]
    fn columns_and_what_copies_them_pass_values() {
        assert_eq!(lineage_of("SELECT * FROM r"), ["宛名番号: r.宛名番号", "氏名: r.氏名", "性別: r.性別"]);
        assert_eq!(lineage_of("SELECT '-' AS 氏名, x.氏名 AS 障害者手帳 FROM r x"), ["氏名: ", "障害者手帳: r.氏名"]);
        for expr in [
            "substr(氏名, 1, 2)",
            "concat('a', 氏名)",
            "'a' || 氏名",
            "coalesce(NULL, 氏名)",
            "nvl(氏名, 'x')",
            "CAST(氏名 AS VARCHAR)",
            "upper(replace(氏名, 'a', 'b'))",
            "regexp_replace(氏名, 'a', 'b')",
            "CASE WHEN 性別 = '男' THEN 氏名 ELSE 'x' END",
            "CASE WHEN 性別 = '男' THEN 'x' ELSE 氏名 END",
            "left(氏名, 1)",
            "(SELECT max(s.氏名) FROM r s WHERE s.宛名番号 = r.宛名番号)",
        ] {
            assert_eq!(lineage_of(&format!("SELECT {expr} AS x FROM r")), ["x: r.氏名"], "{expr}");
        }
    }

    #[test]
    fn tests_of_a_column_pass_nothing() {
        for expr in [
            "CASE WHEN 氏名 IS NULL THEN 'x' ELSE 'y' END",
            "CASE 氏名 WHEN 'a' THEN 'x' END",
            "氏名 = 'a'",
            "氏名 LIKE 'a%'",
            "氏名 IN ('a', 'b')",
            "length(氏名)",
            "'x'",
            "EXISTS (SELECT 1 FROM t WHERE t.宛名番号 = r.宛名番号)",
        ] {
            assert_eq!(lineage_of(&format!("SELECT {expr} AS x FROM r")), ["x: "], "{expr}");
        }
        assert_eq!(
            lineage_of("SELECT 性別 FROM r JOIN t ON t.宛名番号 = r.宛名番号 WHERE r.氏名 <> '' ORDER BY r.氏名"),
            ["性別: r.性別"]
        );
        assert_eq!(
            lineage_of("SELECT 性別, count(氏名) AS n, count(DISTINCT 氏名) AS d FROM r GROUP BY 性別"),
            ["性別: r.性別", "n: ", "d: "]
        );
        assert_eq!(lineage_of("SELECT row_number() OVER (ORDER BY 氏名) AS n FROM r"), ["n: "]);
    }

    #[test]
    fn aggregates_joins_unions_and_subqueries() {
        assert_eq!(
            lineage_of("SELECT 性別, max(氏名) AS m, string_agg(氏名, ',') AS s FROM r GROUP BY 性別"),
            ["性別: r.性別", "m: r.氏名", "s: r.氏名"]
        );
        assert_eq!(
            lineage_of("SELECT r.*, t.所得 FROM r LEFT JOIN t ON t.宛名番号 = r.宛名番号"),
            ["宛名番号: r.宛名番号", "氏名: r.氏名", "性別: r.性別", "所得: t.所得"]
        );
        assert_eq!(lineage_of("SELECT 性別 AS x FROM r UNION ALL SELECT 所得 FROM t"), ["x: r.性別, t.所得"]);
        assert_eq!(
            lineage_of("WITH n AS (SELECT 氏名 AS a, 性別 FROM r) SELECT a AS b, 性別 FROM (SELECT * FROM n) q"),
            ["b: r.氏名", "性別: r.性別"]
        );
        assert_eq!(
            lineage_of("SELECT DISTINCT 氏名 AS x FROM r WHERE 宛名番号 IN (SELECT 宛名番号 FROM t)"),
            ["x: r.氏名"]
        );
        assert_eq!(lineage_of("SELECT first_value(氏名) OVER (PARTITION BY 性別) AS x FROM r"), ["x: r.氏名"]);
        // A self-join passes the joined side's values like any other.
        assert_eq!(lineage_of("SELECT b.氏名 AS x FROM r a JOIN r b ON a.宛名番号 = b.宛名番号"), ["x: r.氏名"]);
        assert_eq!(
            lineage_of(
                "WITH RECURSIVE c(n, x, y) AS (SELECT 1, '' AS a, '' AS b UNION ALL SELECT c.n + 1, c.y, r.氏名 FROM c JOIN r ON c.n < 3) SELECT x FROM c"
            ),
            ["x: r.氏名"]
        );
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
        v.finish();
        assert_eq!(v.find("石井 葵", 0).map(|s| s.column.as_str()), Some("氏名"));
        assert_eq!(v.find("ｲｼｲ", 0), None);
        assert_eq!(v.find("１００５９９６５７", 0).map(|s| s.column.as_str()), Some("宛名番号"));
        assert_eq!(v.find("葵", 0), None, "one character tells no one");
        assert_eq!(v.find("537-1336", 0), None, "7 digits: postal codes and amounts alike");
        assert_eq!(v.find("100599657", v.exempt("宛名番号")), None, "its own column's rule covers it");
        assert_eq!(v.find("石井葵", v.exempt("宛名番号")).map(|s| s.column.as_str()), Some("氏名"));
    }

    #[test]
    fn the_line_of_an_alias() {
        assert_eq!(sql_position("SELECT a,\n  r.氏名 AS 障害者手帳,\n  b", "障害者手帳"), Some((2, 8)));
        assert_eq!(sql_position("SELECT x AS \"氏名\"", "氏名"), Some((1, 10)));
        assert_eq!(sql_position("SELECT x AS 氏名カナ", "氏名"), None);
    }
}
