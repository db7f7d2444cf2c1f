//! The walk of DataFusion's logical plan that finds each result column's sources (the
//! `query` feature): see the parent module for what passes values and what only tests them.

use super::{QueryLineage, SourceColumn, Sources};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, JoinType};
use datafusion::logical_expr::{BinaryExpr, Distinct, Expr, LogicalPlan, Operator, WindowFunctionDefinition};
use std::collections::HashMap;

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
}
