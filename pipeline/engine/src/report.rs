//! The report (`report.json`, `report.md`) and the data dictionary for business users.
//! Reports hold counts, hashes, column names and generalised category labels, never a
//! value of an identifier.

use crate::privacy::ClassStats;
use crate::standards::Standard;
use serde::Serialize;
use std::fmt::Write;

/// One column as the report and data dictionary describe it.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    /// Input column name.
    pub name: String,
    /// Role, as the rules give it.
    pub role: String,
    /// Role in the release: `quasi_identifier` for every column of the k-anonymity key (a
    /// surviving direct identifier is one), else the role. Also the Parquet field's
    /// `tokumei.role`.
    pub release_role: String,
    /// Names of the lower and upper bound columns written beside an ordered generalised column.
    pub bounds: Option<[String; 2]>,
    /// Action.
    pub action: String,
    /// Output column name, null when dropped.
    pub output: Option<String>,
    /// Output type (Parquet/Arrow).
    pub output_type: Option<String>,
    /// Granularity: what the action leaves, e.g. "age hierarchy, level 1: 5-year bands".
    pub detail: String,
    /// Generalisation level, when generalised.
    pub level: Option<u32>,
    /// Description from the rules.
    pub description: Option<String>,
    /// Cells set to null by rare-value suppression.
    pub cells_suppressed: Option<u64>,
    /// Distinct output values.
    pub distinct_values: Option<u64>,
    /// The categories of a generalised or categorical column (at most 60), for the data dictionary.
    pub categories: Option<Vec<String>>,
}

/// Distinct l-diversity of one sensitive column.
#[derive(Debug, Clone, Serialize)]
pub struct LDiversity {
    /// Output column.
    pub column: String,
    /// Required l, if any.
    pub required: Option<u32>,
    /// Smallest number of distinct values in any output class.
    pub achieved: u64,
}

/// t-closeness of one sensitive column.
#[derive(Debug, Clone, Serialize)]
pub struct TCloseness {
    /// Output column.
    pub column: String,
    /// Required t.
    pub t: f64,
    /// Largest distance of any output class from the reference distribution.
    pub achieved: f64,
    /// `equal` (categories), `ordered` (EMD over the value order) or `hierarchical` (EMD over
    /// the column's hierarchy).
    pub distance: String,
    /// The reference distribution (the input's, over accepted rows): `(value, share)` for the
    /// values in the release; values held only by suppressed records are one summed entry.
    pub reference: Vec<(String, f64)>,
}

/// Hashes and paths of the run's inputs.
#[derive(Debug, Clone, Serialize)]
pub struct InputReport {
    /// Input file.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Format.
    pub format: String,
    /// Text encoding used (CSV).
    pub encoding: Option<String>,
}

/// Wall-clock time per stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Ingest and transform.
    pub ingest_ms: u64,
    /// Privacy models.
    pub privacy_ms: u64,
    /// Writing the Parquet file.
    pub write_ms: u64,
    /// Whole run (creation time, recorded for fees).
    pub total_ms: u64,
}

/// Everything the report says.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// tokumei version.
    pub tokumei_version: String,
    /// Release id (also in the Parquet metadata and audit log).
    pub release_id: String,
    /// Job name.
    pub job: String,
    /// Dataset name.
    pub dataset: String,
    /// `anonymized` or `pseudonymized`.
    pub mode: String,
    /// When the run started (UTC).
    pub created_at: String,
    /// Date at which ages were computed.
    pub reference_date: String,
    /// Input.
    pub input: InputReport,
    /// Rule file path.
    pub rules: String,
    /// SHA-256 of the rule file.
    pub rules_sha256: String,
    /// Key identifier (never key material).
    pub key_id: Option<String>,
    /// Required k.
    pub k: u32,
    /// Required l (distinct l-diversity), if any.
    pub l: Option<u32>,
    /// Largest share of rows that may be suppressed.
    pub max_suppression: f64,
    /// Output names of the quasi-identifiers.
    pub quasi_identifiers: Vec<String>,
    /// Output names of the sensitive columns.
    pub sensitive: Vec<String>,
    /// Data rows read.
    pub rows_in: u64,
    /// Rows left out for malformed values.
    pub rows_rejected: u64,
    /// Rejected rows per input column.
    pub rejected_by_column: Vec<(String, u64)>,
    /// Rows suppressed to reach k and l.
    pub suppressed: u64,
    /// Classes suppressed for size below k.
    pub classes_below_k: u64,
    /// Classes suppressed for l-diversity.
    pub classes_below_l: u64,
    /// Rows written.
    pub rows_out: u64,
    /// Smallest class in the output.
    pub k_achieved: u64,
    /// Required and achieved distinct l-diversity per sensitive column.
    pub l_diversity: Vec<LDiversity>,
    /// The l-diversity variant required (`distinct`, `entropy`, `recursive { c: .. }`).
    pub l_model: String,
    /// t-closeness per sensitive column, when required.
    pub t_closeness: Vec<TCloseness>,
    /// Largest average prosecutor risk allowed, if set.
    pub max_average_risk: Option<f64>,
    /// Classes of the input over the quasi-identifiers at the lowest levels the rules allow
    /// (the risk before de-identification when those are level 0).
    pub original: ClassStats,
    /// Classes at the applied levels before suppression.
    pub before: ClassStats,
    /// Classes in the output.
    pub after: ClassStats,
    /// Columns in rule order.
    pub columns: Vec<ColumnReport>,
    /// Processing standards with evidence.
    pub processing_standards: Vec<Standard>,
    /// Order of the output rows: `random per release` or `input order`.
    pub row_order: String,
    /// The generalisation search, when the rules ask for one.
    pub search: Option<crate::optimize::SearchReport>,
    /// The audit log's head (`entry:sha256`) when the release was made: the log must hold
    /// exactly this entry for as long as the release exists (`tokumei audit verify --anchor`).
    pub audit_head: Option<String>,
    /// Output Parquet file name.
    pub output_file: Option<String>,
    /// SHA-256 of the output file.
    pub output_sha256: Option<String>,
    /// Time taken.
    pub timings: Timings,
}

/// `s` as literal text in Markdown (a table cell or a line): characters that start markup are
/// backslash-escaped (`![img](url)`, `[link]`, `*`, `_`, backticks, `|`, `#`...), `<`, `>` and
/// `&` become entities (no HTML tag or entity survives), line breaks become `↵` and other control
/// characters `�`, and a leading `=`, `+`, `-` or `@` is escaped so no spreadsheet formula is
/// pasted on. Every value from rules or data goes through it.
pub fn md(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for (i, c) in s.chars().enumerate() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '!' | '|' | '~' | '"' => {
                o.push('\\');
                o.push(c);
            }
            '=' | '+' | '-' | '@' if i == 0 => {
                o.push('\\');
                o.push(c);
            }
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => o.push('↵'),
            c if c.is_control() => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

fn pct(n: u64, d: u64) -> String {
    if d == 0 { "0%".into() } else { format!("{:.2}%", n as f64 * 100.0 / d as f64) }
}

fn stats_table(s: &ClassStats, out: &mut String) {
    let _ = writeln!(out, "| measure | value |\n|---|---|");
    let _ = writeln!(out, "| records | {} |", s.records);
    let _ = writeln!(out, "| equivalence classes | {} |", s.classes);
    let _ = writeln!(out, "| smallest class (k) | {} |", s.min_class_size);
    let _ = writeln!(out, "| mean class size | {:.2} |", s.mean_class_size);
    let _ = writeln!(out, "| records unique on the quasi-identifiers | {} |", s.unique_records);
    let _ = writeln!(out, "| highest re-identification risk (prosecutor) | {:.4} |", s.prosecutor_risk_max);
    let _ = writeln!(out, "| average re-identification risk (prosecutor) | {:.4} |", s.prosecutor_risk_avg);
    let _ = writeln!(out, "\n| class size | classes | records |\n|---|---|---|");
    for b in s.histogram.iter().filter(|b| b.classes > 0) {
        let _ = writeln!(out, "| {} | {} | {} |", b.sizes, b.classes, b.records);
    }
}

impl Report {
    /// The human-readable report for the compliance officer (every value escaped by [`md`]).
    pub fn to_markdown(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "# De-identification report: {}\n", md(&self.dataset));
        let _ = writeln!(o, "| | |\n|---|---|");
        let mode = if self.mode == "anonymized" {
            "anonymized (匿名加工情報)"
        } else {
            "pseudonymized (仮名加工情報)"
        };
        for (k, v) in [
            ("release id", md(&self.release_id)),
            ("job", md(&self.job)),
            ("mode", mode.into()),
            ("created", self.created_at.clone()),
            ("reference date for ages", self.reference_date.clone()),
            (
                "input",
                format!(
                    "{} ({}{})",
                    md(&self.input.path),
                    self.input.format,
                    self.input.encoding.as_ref().map(|e| format!(", {e}")).unwrap_or_default()
                ),
            ),
            ("input SHA-256", format!("`{}`", self.input.sha256)),
            ("rules", md(&self.rules)),
            ("rules SHA-256", format!("`{}`", self.rules_sha256)),
            ("pseudonym key", self.key_id.as_deref().map(md).unwrap_or_else(|| "none used".into())),
            ("output", self.output_file.as_deref().map(md).unwrap_or_else(|| "none (check only)".into())),
            ("row order", self.row_order.clone()),
            ("output SHA-256", self.output_sha256.as_ref().map(|h| format!("`{h}`")).unwrap_or_default()),
            (
                "audit log head at creation",
                self.audit_head
                    .as_ref()
                    .map(|h| format!("`{h}` (keep it: `tokumei audit verify --anchor` proves the log still holds it)"))
                    .unwrap_or_default(),
            ),
            ("time taken", format!("{:.2} s", self.timings.total_ms as f64 / 1000.0)),
        ] {
            let _ = writeln!(o, "| {k} | {v} |");
        }
        let _ = writeln!(o, "\n## Rows\n\n| | rows | share |\n|---|---|---|");
        let _ = writeln!(o, "| read | {} | 100% |", self.rows_in);
        let _ = writeln!(
            o,
            "| rejected (malformed values) | {} | {} |",
            self.rows_rejected,
            pct(self.rows_rejected, self.rows_in)
        );
        let _ = writeln!(o, "| suppressed (privacy) | {} | {} |", self.suppressed, pct(self.suppressed, self.rows_in));
        let _ = writeln!(o, "| written | {} | {} |", self.rows_out, pct(self.rows_out, self.rows_in));
        for (c, n) in &self.rejected_by_column {
            let _ = writeln!(o, "\nRejected because of column {}: {n} rows.", md(c));
        }
        let _ = writeln!(o, "\n## Privacy models\n");
        let _ = writeln!(
            o,
            "- k-anonymity over {}: required k = {}, achieved k = {} ({} classes below k suppressed)",
            self.quasi_identifiers.iter().map(|q| md(q)).collect::<Vec<_>>().join(", "),
            self.k,
            self.k_achieved,
            self.classes_below_k
        );
        for l in &self.l_diversity {
            let req = l.required.map_or("not required".to_string(), |r| format!("required l = {r}"));
            let _ = writeln!(o, "- distinct l-diversity of {}: {req}, achieved l = {}", md(&l.column), l.achieved);
        }
        let _ = writeln!(o, "- l-diversity variant: {}", self.l_model);
        for t in &self.t_closeness {
            let kind = format!("{} distance", t.distance);
            let _ = writeln!(
                o,
                "- t-closeness of {} ({kind}): required t = {}, achieved t = {:.4}",
                md(&t.column),
                t.t,
                t.achieved
            );
        }
        if let Some(r) = self.max_average_risk {
            let _ = writeln!(
                o,
                "- average re-identification risk: at most {r}, achieved {:.4}",
                self.after.prosecutor_risk_avg
            );
        }
        let _ = writeln!(o, "- classes suppressed for l-diversity or t-closeness: {}", self.classes_below_l);
        let _ = writeln!(
            o,
            "- suppression limit: {} of rows; used {}",
            pct((self.max_suppression * 10000.0) as u64, 10000),
            pct(self.suppressed, self.rows_in)
        );
        if let Some(sr) = &self.search {
            let _ = writeln!(o, "\n### Generalisation search\n");
            let _ = writeln!(
                o,
                "{} search minimising {}: {:.6} (lower bound {:.6}); {} lattice nodes, {} evaluated, {} ruled out by bounds, {:.1} ms.\n",
                if sr.optimal { "Optimal" } else { "Best-effort (not proven optimal)" },
                sr.quality_model,
                sr.quality,
                sr.lower_bound,
                sr.nodes,
                sr.evaluated,
                sr.pruned,
                sr.ms
            );
            let _ = writeln!(o, "| column | level |\n|---|---|");
            for (c, l) in &sr.levels {
                let _ = writeln!(o, "| {} | {l} |", md(c));
            }
            if let Some(m) = &sr.local_recoding {
                let how = if sr.applied == "local" {
                    "Applied to the output: Mondrian local recoding (each class shows its own levels; the table above is the global optimum, for comparison)"
                } else {
                    "For comparison, Mondrian local recoding of the same data (k and distinct l only; not applied)"
                };
                let _ = writeln!(
                    o,
                    "\n{how}: {} partitions, smallest {}, {} suppressed, {} {:.6} (global optimum {:.6}), {:.1} ms.",
                    m.partitions, m.min_size, m.suppressed, sr.quality_model, m.quality, sr.quality, m.ms
                );
            }
        }
        let _ = writeln!(o, "\n### Input, at the lowest levels the rules allow\n");
        stats_table(&self.original, &mut o);
        let _ = writeln!(o, "\n### Generalised, before suppression\n");
        stats_table(&self.before, &mut o);
        let _ = writeln!(o, "\n### Output\n");
        stats_table(&self.after, &mut o);
        let _ = writeln!(o, "\n## Processing standards\n");
        for s in &self.processing_standards {
            let _ = writeln!(o, "{}. **{}** — {}", s.id, if s.passed { "PASS" } else { "FAIL" }, s.title);
            for e in &s.evidence {
                let _ = writeln!(o, "   - {}", md(e));
            }
        }
        let _ = writeln!(o, "\n## Columns\n\n| column | role | action | output | granularity |\n|---|---|---|---|---|");
        for c in &self.columns {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                md(&c.name),
                c.role,
                c.action,
                c.output.as_deref().map(md).unwrap_or_else(|| "(deleted)".into()),
                md(&c.detail)
            );
        }
        let _ = writeln!(
            o,
            "\n## Timings\n\n| stage | ms |\n|---|---|\n| ingest and transform | {} |\n| privacy | {} |\n| write | {} |\n| total | {} |",
            self.timings.ingest_ms, self.timings.privacy_ms, self.timings.write_ms, self.timings.total_ms
        );
        o
    }

    /// The data dictionary for the business user.
    pub fn data_dictionary(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "# Data dictionary: {}\n", md(&self.dataset));
        let _ = writeln!(
            o,
            "Release {}, {} rows, {} data.",
            md(&self.release_id),
            self.rows_out,
            if self.mode == "anonymized" {
                "anonymized (匿名加工情報)"
            } else {
                "pseudonymized (仮名加工情報)"
            }
        );
        let _ = writeln!(
            o,
            "Every combination of the quasi-identifiers ({}) is shared by at least {} records.",
            self.quasi_identifiers.iter().map(|q| md(q)).collect::<Vec<_>>().join(", "),
            self.k_achieved
        );
        let order =
            if self.row_order == "input order" { "the input's order" } else { "a random order made for this release" };
        let _ = writeln!(o, "Rows are in {order}.");
        let _ = writeln!(
            o,
            "Re-identifying any person, or combining this data with other data to do so, is prohibited by the contract and by law.\n"
        );
        let _ = writeln!(o, "| column | type | meaning | processing | values |\n|---|---|---|---|---|");
        for c in self.columns.iter().filter(|c| c.output.is_some()) {
            let values = match &c.categories {
                Some(v) => v.iter().map(|x| md(x)).collect::<Vec<_>>().join(", "),
                None => c.distinct_values.map(|d| format!("{d} distinct values")).unwrap_or_default(),
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                md(c.output.as_deref().unwrap_or_default()),
                c.output_type.as_deref().unwrap_or_default(),
                md(c.description.as_deref().unwrap_or(&c.name)),
                md(&c.detail),
                values
            );
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::md;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a value holds, its escaped form opens no tag, breaks no line and splits no
        /// table cell.
        #[test]
        fn escaped_values_are_inert(s in any::<String>()) {
            let e = md(&s);
            prop_assert!(!e.contains('<') && !e.contains('>') && !e.contains('\n') && !e.contains('\r'));
            prop_assert_eq!(e.replace("\\|", "").matches('|').count(), 0);
            prop_assert!(!e.chars().any(|c| c.is_control()));
        }
    }

    #[test]
    fn values_are_literal_text_in_markdown() {
        assert_eq!(md("<script>alert(1)</script>"), "&lt;script&gt;alert\\(1\\)&lt;/script&gt;");
        assert_eq!(md("![x](http://e.example/x.png)"), "\\!\\[x\\]\\(http://e.example/x.png\\)");
        assert_eq!(md("=HYPERLINK(\"http://x\")"), "\\=HYPERLINK\\(\\\"http://x\\\"\\)");
        assert_eq!(md("a|b\nc\r\u{7}"), "a\\|b↵c↵\u{FFFD}");
        assert_eq!(md("35-39"), "35-39");
        assert_eq!(md("-5"), "\\-5");
        assert_eq!(md("東京都 *強調* _x_ `code` #1"), "東京都 \\*強調\\* \\_x\\_ \\`code\\` \\#1");
    }
}
