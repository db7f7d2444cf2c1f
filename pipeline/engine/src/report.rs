//! The report (`report.json`, `report.md`) and the data dictionary for business users.
//! Reports hold counts, hashes, column names and generalised category labels, never a
//! value of an identifier.

// The types a report is made of, nameable by its readers.
pub use crate::optimize::SearchReport;
pub use crate::privacy::{ClassStats, LDiversity, ModelOutcome, SuppressionCause};
use crate::render::{Block, Doc, Lang};
pub use crate::standards::Standard;
pub use crate::tally::ReleaseRisk;
use serde::Serialize;

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
    /// The same in Japanese.
    pub detail_ja: String,
    /// Generalisation level, when generalised.
    pub level: Option<u32>,
    /// Description from the rules.
    pub description: Option<String>,
    /// The item's legal category (`要配慮` / `条例要配慮`) when the rules mark one: a leak of a
    /// file holding it is reportable whatever its size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_care: Option<String>,
    /// Cells set to null by rare-value suppression.
    pub cells_suppressed: Option<u64>,
    /// Distinct output values.
    pub distinct_values: Option<u64>,
    /// The categories of a generalised or categorical column (at most 60), for the data dictionary.
    pub categories: Option<Vec<String>>,
    /// The column's values in the release (counted while it was written).
    pub values: Option<crate::tally::ValueSummary>,
    /// For a scrubbed free-text column: what was replaced, `(kind, count)` (never a value).
    pub scrubbed: Option<Vec<(String, u64)>>,
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
    /// Input file (for a query job: the job file with `(query)`).
    pub path: String,
    /// SHA-256 of its bytes (for a query job: of its inputs' SHA-256 hex digests in order).
    pub sha256: String,
    /// Format (`csv`, `parquet`, or `query`).
    pub format: String,
    /// Text encoding used (CSV).
    pub encoding: Option<String>,
    /// Its table name in the query, for each input of a query job.
    pub name: Option<String>,
    /// Data rows read, for each input of a query job.
    pub rows: Option<u64>,
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

pub use crate::people::PeopleCounts;

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
    /// Who made it (`public_body`, `business`, `article58`; the job's `actor`).
    pub actor: String,
    /// What the release is in law and which rule sets its standards.
    pub regime: crate::standards::Regime,
    /// When the run started (UTC).
    pub created_at: String,
    /// Date at which ages were computed.
    pub reference_date: String,
    /// Input: the file, or the query's result.
    pub input: InputReport,
    /// Each input file of a query job, with its hash and rows.
    pub inputs: Vec<InputReport>,
    /// The query or filter (`[input] where`) the rules saw the result of, as written.
    pub query: Option<String>,
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
    /// Residents' requests the run applied first (records excluded, values corrected), when it
    /// ran with a registry; never who.
    pub requests: Option<crate::requests::RequestCounts>,
    /// Rejected rows per input column.
    pub rejected_by_column: Vec<(String, u64)>,
    /// Rejected rows per input column and reason (`column`, `reason`, rows); never a value.
    pub rejected_reasons: Vec<(String, String, u64)>,
    /// Rows suppressed to reach k and l.
    pub suppressed: u64,
    /// Classes suppressed for size below k.
    pub classes_below_k: u64,
    /// Classes suppressed for l-diversity.
    pub classes_below_l: u64,
    /// Rows written.
    pub rows_out: u64,
    /// People and rows: what the privacy models counted (classes count people).
    pub people: PeopleCounts,
    /// Smallest class in the output.
    pub k_achieved: u64,
    /// Required and achieved distinct l-diversity per sensitive column.
    pub l_diversity: Vec<LDiversity>,
    /// The l-diversity variant required: `distinct`, `entropy` or `recursive (c=...)`.
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
    /// The release's fingerprint for leak tracing: the column whose values were put in a
    /// random order within each class, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<crate::trace::Fingerprint>,
    /// The generalisation search, when the rules ask for one.
    pub search: Option<crate::optimize::SearchReport>,
    /// How re-identifiable the release is for an attacker who knows every released column
    /// except the sensitive ones (computed while writing; none for `check`).
    pub release_risk: Option<crate::tally::ReleaseRisk>,
    /// Every privacy model the rules ask for, with its required and achieved values.
    pub models: Vec<ModelOutcome>,
    /// Why rows were suppressed, per privacy model.
    pub suppression_causes: Vec<crate::privacy::SuppressionCause>,
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

fn pct(n: u64, d: u64) -> String {
    if d == 0 { "0%".into() } else { format!("{:.2}%", n as f64 * 100.0 / d as f64) }
}

/// A table of class statistics and its chart; `people` when classes count people.
fn stats_blocks(lang: Lang, title: &str, s: &ClassStats, people: bool, out: &mut Vec<Block>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    let (records, unique, by_size, unit) = match people {
        true => (
            t("人数", "people"),
            t("準識別子で一意な人", "people unique on the quasi-identifiers"),
            t("クラスの大きさ別の人数", "people by class size"),
            t("人", "people"),
        ),
        false => (
            t("レコード数", "records"),
            t("準識別子で一意なレコード", "records unique on the quasi-identifiers"),
            t("クラスの大きさ別のレコード数", "records by class size"),
            t("レコード", "records"),
        ),
    };
    out.push(Block::Sub(title.to_string()));
    out.push(Block::Table {
        head: vec![t("指標", "measure"), t("値", "value")],
        rows: vec![
            vec![records, s.records.to_string()],
            vec![t("同値クラス数", "equivalence classes"), s.classes.to_string()],
            vec![t("最小クラスの大きさ（k）", "smallest class (k)"), s.min_class_size.to_string()],
            vec![t("平均クラスの大きさ", "mean class size"), format!("{:.2}", s.mean_class_size)],
            vec![unique, s.unique_records.to_string()],
            vec![
                t("最大再識別リスク（検察官モデル）", "highest re-identification risk (prosecutor)"),
                format!("{:.4}", s.prosecutor_risk_max),
            ],
            vec![
                t("平均再識別リスク（検察官モデル）", "average re-identification risk (prosecutor)"),
                format!("{:.4}", s.prosecutor_risk_avg),
            ],
        ],
    });
    out.push(Block::Bars {
        title: format!("{by_size}: {title}"),
        bars: s.histogram.iter().map(|b| (b.sizes.clone(), b.records)).collect(),
        unit,
    });
}

impl Report {
    /// The warning when an attacker who knows every released column but the sensitive ones
    /// finds people in classes below k (the release risk), in `lang`; `None` otherwise.
    pub fn release_risk_warning(&self, lang: Lang) -> Option<String> {
        let r = self.release_risk.as_ref()?;
        if r.k >= u64::from(self.k) || r.k == 0 {
            return None;
        }
        let worst: Vec<String> = r
            .by_column
            .iter()
            .filter(|c| c.records_below_k > 0)
            .take(5)
            .map(|c| format!("{} ({})", c.column, c.records_below_k))
            .collect();
        Some(if lang == Lang::Ja {
            format!(
                "公開される列（要配慮の列を除く）を全て知る者に対しては、{}人が一意になり、{}人がk={}未満のクラスに入ります。原因となる列：{}。これらの列を一般化するか準識別子として扱うことを検討してください。",
                r.unique_records,
                r.records_below_k,
                self.k,
                worst.join("、")
            )
        } else {
            format!(
                "An attacker who knows every released column except the sensitive ones finds {} people unique and {} in classes below k={}. Columns that cause it: {}. Generalise them or declare them quasi-identifiers.",
                r.unique_records,
                r.records_below_k,
                self.k,
                worst.join(", ")
            )
        })
    }

    /// The report for the compliance officer, in `lang`: what was done, why records were
    /// suppressed, each processing standard with its legal provision, and the risk that remains.
    pub fn officer(&self, lang: Lang) -> Doc {
        let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
        let ja = lang == Lang::Ja;
        let anonymized = self.mode == "anonymized";
        let mut b: Vec<Block> = Vec::new();
        b.push(Block::Title(if anonymized {
            format!(
                "{}：{}",
                t(&format!("{} 作成報告書", self.regime.kind_ja), "De-identification report"),
                self.dataset
            )
        } else {
            format!("{}：{}", t("仮名化データ 作成報告書", "Pseudonymisation report"), self.dataset)
        }));
        let failed: Vec<&Standard> = self.processing_standards.iter().filter(|s| !s.passed).collect();
        let p = &self.people;
        let counted_people = p.subject.is_some();
        // Where no k is required (pseudonymised data, k = 1) no sentence claims one.
        let shared = match (self.k > 1, ja) {
            (false, _) => String::new(),
            (true, true) => format!(
                "準識別子の組合せはどれも{}{}以上に共通します（要求 k={}）。",
                self.k_achieved,
                if counted_people { "人" } else { "件" },
                self.k
            ),
            (true, false) => format!(
                " Every combination of the quasi-identifiers is shared by at least {} {} (k={} required).",
                self.k_achieved,
                if counted_people { "people" } else { "records" },
                self.k
            ),
        };
        b.push(Block::Para(if ja {
            format!(
                "入力{}件のうち、不正な値の{}件を除外し、プライバシー保護のため{}件を秘匿して、{}件を出力しました{}。{shared}加工基準（{}）：{}。",
                self.rows_in,
                self.rows_rejected,
                self.suppressed,
                self.rows_out,
                if counted_people {
                    format!("（人数では{}人のうち{}人を秘匿、{}人を出力）", p.people_in, p.people_suppressed, p.people_out)
                } else {
                    String::new()
                },
                self.regime.basis_ja,
                if failed.is_empty() { "全て適合" } else { "不適合あり" }
            )
        } else {
            format!(
                "Of {} input rows, {} were left out for malformed values and {} suppressed for privacy; {} were written{}.{shared} Processing standards ({}): {}.",
                self.rows_in,
                self.rows_rejected,
                self.suppressed,
                self.rows_out,
                if counted_people {
                    format!(" (of {} people, {} suppressed and {} written)", p.people_in, p.people_suppressed, p.people_out)
                } else {
                    String::new()
                },
                self.regime.basis_en,
                if failed.is_empty() { "all met" } else { "NOT all met" }
            )
        }));
        if let Some(w) = self.release_risk_warning(lang) {
            b.push(Block::Warn(w));
        }

        b.push(Block::Heading(t("概要", "Summary")));
        let mode = if anonymized {
            t(&format!("匿名加工（{}）", self.regime.kind_ja), &format!("anonymized: {}", self.regime.kind_en))
        } else {
            t(
                &format!("仮名化（鍵を管理する仮名コード）：{}", self.regime.kind_ja),
                &format!("pseudonymized (managed-key codes): {}", self.regime.kind_en),
            )
        };
        let mut rows = vec![
            vec![t("リリースID", "release id"), self.release_id.clone()],
            vec![t("ジョブ", "job"), self.job.clone()],
            vec![t("加工の区分", "mode"), mode],
            vec![t("作成日時（UTC）", "created (UTC)"), self.created_at.clone()],
            vec![t("年齢の基準日", "reference date for ages"), self.reference_date.clone()],
            vec![
                t("入力", "input"),
                if ja {
                    format!(
                        "{}（{}{}）",
                        self.input.path,
                        match self.input.format.as_str() {
                            "csv" => "CSV",
                            "parquet" => "Parquet",
                            "query" => "問合せ",
                            other => other,
                        },
                        self.input
                            .encoding
                            .as_ref()
                            .map(|e| format!(
                                "、{}",
                                e.replace(", detected", "、自動判定").replace(", as configured", "、設定による")
                            ))
                            .unwrap_or_default()
                    )
                } else {
                    format!(
                        "{} ({}{})",
                        self.input.path,
                        self.input.format,
                        self.input.encoding.as_ref().map(|e| format!(", {e}")).unwrap_or_default()
                    )
                },
            ],
            vec![t("入力のSHA-256", "input SHA-256"), self.input.sha256.clone()],
            vec![t("ルール", "rules"), self.rules.clone()],
            vec![t("ルールのSHA-256", "rules SHA-256"), self.rules_sha256.clone()],
            vec![
                t("仮名化の鍵", "pseudonym key"),
                match &self.key_id {
                    Some(k) if ja && k.starts_with("ephemeral") => "このリリースだけの乱数の鍵（保存しない）".into(),
                    Some(k) => k.clone(),
                    None => t("使用しない", "none used"),
                },
            ],
            vec![
                t("出力ファイル", "output file"),
                self.output_file.clone().unwrap_or_else(|| t("なし（検査のみ）", "none (check only)")),
            ],
            vec![t("出力のSHA-256", "output SHA-256"), self.output_sha256.clone().unwrap_or_default()],
            vec![
                t("行の順序", "row order"),
                if self.row_order == "input order" {
                    t("入力の順序", "input order")
                } else {
                    t("リリースごとの無作為な順序", "random per release")
                },
            ],
        ];
        if let Some(f) = &self.fingerprint {
            rows.push(vec![
                t("追跡用の指紋", "fingerprint for leak tracing"),
                t(
                    &format!("「{}」の値を等価クラス内で無作為に並べ替え（クラスごとの値の構成は不変）", f.column),
                    &format!(
                        "values of `{}` put in a random order within each class (each class keeps its values)",
                        f.column
                    ),
                ),
            ]);
        }
        if let Some(h) = &self.audit_head {
            rows.push(vec![
                t("作成時の監査ログの先頭", "audit log head at creation"),
                format!(
                    "{h} {}",
                    t(
                        "（控えておくこと：tokumei audit verify --anchor で、ログがこの記録を今も保持していることを証明できる）",
                        "(keep it: `tokumei audit verify --anchor` proves the log still holds it)"
                    )
                ),
            ]);
        }
        rows.push(vec![
            t("処理時間", "time taken"),
            format!("{:.2} {}", self.timings.total_ms as f64 / 1000.0, t("秒", "s")),
        ]);
        b.push(Block::Table { head: vec![t("項目", "item"), t("内容", "value")], rows });
        if !self.inputs.is_empty() {
            b.push(Block::Sub(t("入力ファイル（問合せで結合）", "Input files (joined by the query)")));
            b.push(Block::Table {
                head: vec![t("表", "table"), t("ファイル", "file"), t("行数", "rows"), "SHA-256".into()],
                rows: self
                    .inputs
                    .iter()
                    .map(|i| {
                        vec![
                            i.name.clone().unwrap_or_default(),
                            format!("{} ({})", i.path, i.format),
                            i.rows.map(|r| r.to_string()).unwrap_or_default(),
                            i.sha256.clone(),
                        ]
                    })
                    .collect(),
            });
        }
        if let Some(q) = &self.query {
            b.push(Block::Para(format!(
                "{}{}",
                t("ルールが対象とした問合せ（SQL）：", "The query (SQL) whose result the rules covered: "),
                q.split_whitespace().collect::<Vec<_>>().join(" ")
            )));
        }

        b.push(Block::Heading(t("件数", "Rows")));
        b.push(Block::Table {
            head: vec![t("", ""), t("件数", "rows"), t("割合", "share")],
            rows: vec![
                vec![t("入力", "read"), self.rows_in.to_string(), "100%".into()],
                vec![
                    t("不正な値で除外", "rejected (malformed values)"),
                    self.rows_rejected.to_string(),
                    pct(self.rows_rejected, self.rows_in),
                ],
                vec![
                    t("プライバシー保護のため秘匿", "suppressed (privacy)"),
                    self.suppressed.to_string(),
                    pct(self.suppressed, self.rows_in),
                ],
                vec![t("出力", "written"), self.rows_out.to_string(), pct(self.rows_out, self.rows_in)],
            ],
        });
        let p = &self.people;
        b.push(Block::Table {
            head: vec![t("", ""), t("人数", "people"), t("件数", "rows"), t("割合（人数）", "share (people)")],
            rows: vec![
                vec![t("入力（除外後）", "accepted"), p.people_in.to_string(), p.rows_in.to_string(), "100%".into()],
                vec![
                    t("プライバシー保護のため秘匿", "suppressed (privacy)"),
                    p.people_suppressed.to_string(),
                    p.rows_suppressed.to_string(),
                    pct(p.people_suppressed, p.people_in),
                ],
                vec![
                    t("出力", "written"),
                    p.people_out.to_string(),
                    p.rows_out.to_string(),
                    pct(p.people_out, p.people_in),
                ],
            ],
        });
        b.push(Block::Para(match (&p.subject, ja) {
            (Some(s), true) => format!(
                "同値クラスの大きさ（k）、l、t、平均リスク、希少値、公開リスクはレコード数ではなく人数（`{s}` の異なる値）で数えています。1人あたり最大{}件、複数のクラスにまたがる{}人はその人の準識別子の値の組の集合で判定し、秘匿は人単位（その人の全レコード）で行いました。",
                p.max_rows_per_person, p.people_in_several_classes
            ),
            (Some(s), false) => format!(
                "Class sizes (k), l, t, the average risk, rare values and the release risk count people (distinct values of `{s}`), not rows. A person has at most {} rows; people whose rows fall in several classes ({} here) are judged by the set of their key values, and suppression removes people (all of their rows).",
                p.max_rows_per_person, p.people_in_several_classes
            ),
            (None, true) if p.checked.is_empty() => "規則に `subject`（本人を示す列）の宣言がないため、1行を1人として数えています。本人を示す列がなく、1人が複数の行を持たないことは確認できません。".into(),
            (None, false) if p.checked.is_empty() => "The rules declare no `subject` (the column that names a person), so each row counts as one person. No column names a person, so that each person has one row could not be checked.".into(),
            (None, true) => format!("規則に `subject`（本人を示す列）の宣言がないため、1行を1人として数えています（本人を示しうる列 {} に重複がないことを確認済み）。", p.checked.join("、")),
            (None, false) => format!("The rules declare no `subject` (the column that names a person), so each row counts as one person (the columns that may name a person, {}, repeat no value).", p.checked.join(", ")),
        }));
        if let Some(r) = &self.requests {
            b.push(Block::Para(if ja {
                format!(
                    "住民からの請求（利用停止・オプトアウト、訂正）を最初に適用しました：請求により{}件の記録を入力前に除外し（除外リスト{}件）、訂正{}件（有効な訂正{}件）を反映しました。対象者は記載しません。",
                    r.excluded_records, r.exclusions_in_force, r.corrected_values, r.corrections_in_force
                )
            } else {
                format!(
                    "Residents' requests were applied first: {} records were left out by requests (exclusion list of {}) before the rows above were read, and {} values were corrected ({} corrections in force). Who they concern is not stated.",
                    r.excluded_records, r.exclusions_in_force, r.corrected_values, r.corrections_in_force
                )
            }));
        }
        if !self.rejected_reasons.is_empty() {
            b.push(Block::Sub(t("除外した理由", "Why rows were rejected")));
            b.push(Block::Table {
                head: vec![t("列", "column"), t("理由", "reason"), t("件数", "rows")],
                rows: self.rejected_reasons.iter().map(|(c, r, n)| vec![c.clone(), r.clone(), n.to_string()]).collect(),
            });
        }
        b.push(Block::Sub(t("秘匿した理由", "Why records were suppressed")));
        if self.suppression_causes.is_empty() {
            b.push(Block::Para(t("秘匿したレコードはありません。", "No record was suppressed.")));
        } else {
            b.push(Block::Para(t(
                "各クラスは、最初に満たさなかったプライバシーモデル（k-匿名性、次に要配慮の列ごとのモデル）の行に数えています。",
                "Each suppressed class is counted under the first privacy model it failed (k-anonymity first, then each sensitive column's models).",
            )));
            b.push(Block::Table {
                head: vec![
                    t("モデル", "model"),
                    t("クラス数", "classes"),
                    if self.people.subject.is_some() { t("人数", "people") } else { t("レコード数", "records") },
                ],
                rows: self
                    .suppression_causes
                    .iter()
                    .map(|c| {
                        vec![
                            if ja { c.model_ja.clone() } else { c.model.clone() },
                            c.classes.to_string(),
                            c.rows.to_string(),
                        ]
                    })
                    .collect(),
            });
        }
        let cells: Vec<Vec<String>> = self
            .columns
            .iter()
            .filter_map(|c| c.cells_suppressed.filter(|n| *n > 0).map(|n| vec![c.name.clone(), n.to_string()]))
            .collect();
        if !cells.is_empty() {
            b.push(Block::Para(t(
                "まれな値を欠損にしたセル（セル秘匿）：",
                "Cells set to null as rare values (cell suppression):",
            )));
            b.push(Block::Table { head: vec![t("列", "column"), t("セル数", "cells")], rows: cells });
        }
        let scrubbed: Vec<Vec<String>> = self
            .columns
            .iter()
            .filter_map(|c| c.scrubbed.as_ref().map(|s| (c, s)))
            .flat_map(|(c, s)| {
                s.iter().map(move |(kind, n)| {
                    let label = crate::scrub::KINDS
                        .iter()
                        .find(|k| k.0 == kind)
                        .map(|k| if ja { k.3.to_string() } else { k.2.to_string() })
                        .unwrap_or_else(|| kind.clone());
                    vec![c.name.clone(), label, n.to_string()]
                })
            })
            .collect();
        if self.columns.iter().any(|c| c.scrubbed.is_some()) {
            b.push(Block::Sub(t("自由記述から除去した記述", "Identifying descriptions removed from free text")));
            if scrubbed.is_empty() {
                b.push(Block::Para(t("除去したものはありません。", "Nothing was removed.")));
            } else {
                b.push(Block::Table {
                    head: vec![t("列", "column"), t("種類", "kind"), t("件数", "count")],
                    rows: scrubbed,
                });
            }
        }

        b.push(Block::Heading(t(
            &format!("加工基準（{}）", self.regime.basis_ja),
            &format!("Processing standards ({})", self.regime.basis_en),
        )));
        for s in &self.processing_standards {
            b.push(Block::Check {
                ok: s.passed,
                status: if s.passed { t("適合", "PASS") } else { t("不適合", "FAIL") },
                title: if ja {
                    format!("{}：{}", s.legal, s.title_ja)
                } else {
                    format!("{} ({}): {}", s.id, s.legal, s.title)
                },
                items: if ja { s.evidence_ja.clone() } else { s.evidence.clone() },
                fix: if ja { s.fix_ja.clone() } else { s.fix.clone() },
            });
        }

        b.push(Block::Heading(t("列ごとの処理", "Columns")));
        b.push(Block::Table {
            head: vec![
                t("列", "column"),
                t("役割", "role"),
                t("処理", "action"),
                t("出力列", "output"),
                t("粒度", "granularity"),
            ],
            rows: self
                .columns
                .iter()
                .map(|c| {
                    vec![
                        c.name.clone(),
                        if ja { role_ja(&c.role).to_string() } else { c.role.clone() },
                        if ja { action_ja(&c.action).to_string() } else { c.action.clone() },
                        c.output.clone().unwrap_or_else(|| t("（削除）", "(deleted)")),
                        if ja { c.detail_ja.clone() } else { c.detail.clone() },
                    ]
                })
                .collect(),
        });

        b.push(Block::Heading(t("プライバシーモデル", "Privacy models")));
        let mut models: Vec<String> = Vec::new();
        // No k-anonymity line where no k is required (k = 1: pseudonymised data).
        for m in self.models.iter().filter(|m| m.model != "k_anonymity" || self.k > 1) {
            let detail = match m.model.as_str() {
                "k_anonymity" => Some(if ja {
                    format!("準識別子：{}", self.quasi_identifiers.join("、"))
                } else {
                    format!("over {}", self.quasi_identifiers.join(", "))
                }),
                "t_closeness" => self.t_closeness.iter().find(|t| Some(&t.column) == m.column.as_ref()).map(|t| {
                    if ja {
                        match t.distance.as_str() {
                            "ordered" => "順序距離",
                            "hierarchical" => "階層距離",
                            _ => "等距離",
                        }
                        .to_string()
                    } else {
                        format!("{} distance", t.distance)
                    }
                }),
                _ => None,
            };
            let suppressed = (m.classes_suppressed > 0).then(|| match (ja, counted_people) {
                (true, true) => {
                    format!("、これにより秘匿したクラス {}（{}人）", m.classes_suppressed, m.rows_suppressed)
                }
                (true, false) => {
                    format!("、これにより秘匿したクラス {}（{}件）", m.classes_suppressed, m.rows_suppressed)
                }
                (false, true) => {
                    format!("; {} classes ({} people) suppressed for it", m.classes_suppressed, m.rows_suppressed)
                }
                (false, false) => {
                    format!("; {} classes ({} records) suppressed for it", m.classes_suppressed, m.rows_suppressed)
                }
            });
            models.push(if ja {
                format!(
                    "{}{}：{} {}、達成 {}{}",
                    m.name_ja,
                    detail.map(|d| format!("（{d}）")).unwrap_or_default(),
                    if m.safer == "higher" { "要求" } else { "上限" },
                    m.required,
                    m.achieved_text(),
                    suppressed.unwrap_or_default()
                )
            } else {
                format!(
                    "{}{}: {} {}, achieved {}{}",
                    m.name,
                    detail.map(|d| format!(" ({d})")).unwrap_or_default(),
                    if m.safer == "higher" { "required" } else { "at most" },
                    m.required,
                    m.achieved_text(),
                    suppressed.unwrap_or_default()
                )
            });
        }
        for l in self.l_diversity.iter().filter(|l| !self.models.iter().any(|m| m.column.as_ref() == Some(&l.column))) {
            models.push(if ja {
                format!("{}：要配慮の列、モデルの要求なし（達成 l={}）", l.column, l.achieved)
            } else {
                format!("{}: sensitive, no model required (achieved distinct l={})", l.column, l.achieved)
            });
        }
        models.push(if ja {
            format!(
                "秘匿の上限：{}、使用 {}",
                pct((self.max_suppression * 10000.0) as u64, 10000),
                if counted_people {
                    format!("{}（人数）", pct(p.people_suppressed, p.people_in))
                } else {
                    pct(self.suppressed, self.rows_in)
                }
            )
        } else {
            format!(
                "suppression limit: {}; used {}",
                pct((self.max_suppression * 10000.0) as u64, 10000),
                if counted_people {
                    format!("{} (of the people)", pct(p.people_suppressed, p.people_in))
                } else {
                    pct(self.suppressed, self.rows_in)
                }
            )
        });
        b.push(Block::List(models));
        if let Some(sr) = &self.search {
            b.push(Block::Sub(t("一般化レベルの探索", "Generalisation search")));
            b.push(Block::Para(if ja {
                format!(
                    "{}：{}を最小化（{:.6}、下界 {:.6}）。格子の{}ノード中{}を評価、{}を枝刈り、{:.1}ミリ秒。",
                    if sr.optimal { "最適解" } else { "最善努力（最適性は未証明）" },
                    quality_ja(&sr.quality_model),
                    sr.quality,
                    sr.lower_bound,
                    sr.nodes,
                    sr.evaluated,
                    sr.pruned,
                    sr.ms
                )
            } else {
                format!(
                    "{} search minimising {}: {:.6} (lower bound {:.6}); {} lattice nodes, {} evaluated, {} ruled out by bounds, {:.1} ms.",
                    if sr.optimal { "Optimal" } else { "Best-effort (not proven optimal)" },
                    sr.quality_model,
                    sr.quality,
                    sr.lower_bound,
                    sr.nodes,
                    sr.evaluated,
                    sr.pruned,
                    sr.ms
                )
            }));
            b.push(Block::Table {
                head: vec![t("列", "column"), t("選ばれたレベル", "chosen level")],
                rows: sr.levels.iter().map(|(c, l)| vec![c.clone(), l.to_string()]).collect(),
            });
            if let Some(m) = &sr.local_recoding {
                b.push(Block::Para(if ja {
                    format!(
                        "{}：{}区画、最小 {}、秘匿 {}、{} {:.6}（全域最適 {:.6}）、{:.1}ミリ秒。",
                        if sr.applied == "local" {
                            "出力に適用：モンドリアン法による局所再符号化"
                        } else {
                            "比較のみ：モンドリアン法による局所再符号化"
                        },
                        m.partitions,
                        m.min_size,
                        m.suppressed,
                        quality_ja(&sr.quality_model),
                        m.quality,
                        sr.quality,
                        m.ms
                    )
                } else {
                    format!(
                        "{}: {} partitions, smallest {}, {} suppressed, {} {:.6} (global optimum {:.6}), {:.1} ms.",
                        if sr.applied == "local" {
                            "Applied to the output: Mondrian local recoding"
                        } else {
                            "For comparison only: Mondrian local recoding"
                        },
                        m.partitions,
                        m.min_size,
                        m.suppressed,
                        sr.quality_model,
                        m.quality,
                        sr.quality,
                        m.ms
                    )
                }));
            }
        }

        b.push(Block::Heading(t("再識別リスク", "Re-identification risk")));
        // The input at the lowest allowed levels equals the table before suppression when no
        // search moved a level: shown once.
        if self.search.is_some() {
            stats_blocks(
                lang,
                &t("入力（ルールが許す最も細かいレベル）", "Input, at the lowest levels the rules allow"),
                &self.original,
                counted_people,
                &mut b,
            );
        }
        stats_blocks(
            lang,
            &t("一般化後・秘匿前", "Generalised, before suppression"),
            &self.before,
            counted_people,
            &mut b,
        );
        stats_blocks(lang, &t("出力", "Output"), &self.after, counted_people, &mut b);
        if let Some(r) = &self.release_risk {
            b.push(Block::Sub(t(
                "公開される全ての列を知る者に対するリスク",
                "Risk for an attacker who knows every released column",
            )));
            let below = match (self.k > 1, ja) {
                (false, _) => String::new(),
                (true, true) => format!("、k={}未満のクラスのレコード {}", self.k, r.records_below_k),
                (true, false) => format!(", {} records in classes below k={}", r.records_below_k, self.k),
            };
            b.push(Block::Para(if ja {
                format!(
                    "要配慮の列とレコード符号を除く公開列（{}）を全て知る者を想定：最小クラス {}、同値クラス {}、一意なレコード {}{below}。",
                    r.columns.join("、"), r.k, r.classes, r.unique_records
                )
            } else {
                format!(
                    "Assuming an attacker knows every released column except the sensitive ones and record codes ({}): smallest class {}, {} classes, {} unique records{below}.",
                    r.columns.join(", "), r.k, r.classes, r.unique_records
                )
            }));
            if r.by_column.is_empty() {
                b.push(Block::Para(t(
                    "k-匿名性の対象外の公開列はありません。",
                    "No released column lies outside the k-anonymity key.",
                )));
            } else {
                b.push(Block::Table {
                    head: vec![
                        t("準識別子に加える列", "column added to the quasi-identifiers"),
                        t("最小クラス", "smallest class"),
                        t("一意になる人", "people made unique"),
                        t("k未満になる人", "people below k"),
                    ],
                    rows: r
                        .by_column
                        .iter()
                        .map(|c| {
                            vec![
                                c.column.clone(),
                                c.k.to_string(),
                                c.unique_records.to_string(),
                                c.records_below_k.to_string(),
                            ]
                        })
                        .collect(),
                });
            }
        }
        b.push(Block::Heading(t("処理時間", "Timings")));
        b.push(Block::Table {
            head: vec![t("段階", "stage"), t("ミリ秒", "ms")],
            rows: vec![
                vec![t("読込と変換", "ingest and transform"), self.timings.ingest_ms.to_string()],
                vec![t("プライバシー", "privacy"), self.timings.privacy_ms.to_string()],
                vec![t("書出し", "write"), self.timings.write_ms.to_string()],
                vec![t("合計", "total"), self.timings.total_ms.to_string()],
            ],
        });
        Doc { lang, blocks: b }
    }

    /// The data dictionary for the business user, in Japanese and English: every column with
    /// its type, meaning, processing and values in natural order.
    pub fn dictionary(&self) -> Doc {
        let mut b: Vec<Block> = Vec::new();
        b.push(Block::Title(format!("データ辞書 / Data dictionary：{}", self.dataset)));
        b.push(Block::Para(format!(
            "リリース {}、{}行、{}。/ Release {}, {} rows, {}.",
            self.release_id, self.rows_out, self.regime.kind_ja, self.release_id, self.rows_out, self.regime.kind_en,
        )));
        let people = match (self.people.subject.is_some(), self.k > 1) {
            (true, false) => Some(format!(
                "1人が複数の行を持ちます（{}人、{}行）。/ A person may have several rows ({} people, {} rows).",
                self.people.people_out, self.rows_out, self.people.people_out, self.rows_out
            )),
            // No k is required (pseudonymised data): no sentence claims one.
            (false, false) => None,
            (true, true) => Some(format!(
                "1人が複数の行を持ちます（{}人、{}行）。準識別子（{}）の組合せはどれも{}人以上に共通します（行数ではなく人数）。/ A person may have several rows ({} people, {} rows). Every combination of the quasi-identifiers ({}) is shared by at least {} people (people, not rows).",
                self.people.people_out,
                self.rows_out,
                self.quasi_identifiers.join("、"),
                self.k_achieved,
                self.people.people_out,
                self.rows_out,
                self.quasi_identifiers.join(", "),
                self.k_achieved
            )),
            (false, true) => Some(format!(
                "準識別子（{}）の組合せはどれも{}件以上に共通します。/ Every combination of the quasi-identifiers ({}) is shared by at least {} records.",
                self.quasi_identifiers.join("、"),
                self.k_achieved,
                self.quasi_identifiers.join(", "),
                self.k_achieved
            )),
        };
        if let Some(p) = people {
            b.push(Block::Para(p));
        }
        b.push(Block::Para(if self.row_order == "input order" {
            "行は入力の順序です。/ Rows are in the input's order.".into()
        } else {
            "行はこのリリースのために作った無作為な順序です。/ Rows are in a random order made for this release.".into()
        }));
        if let Some(f) = &self.fingerprint {
            b.push(Block::Para(format!(
                "このリリースには追跡用の指紋があります：準識別子が同じ行（等価クラス）の中で「{c}」の値を無作為に並べ替えています。クラスごとの「{c}」の値の構成、件数、k・l・t は変わりませんが、同じクラス内での「{c}」と他の列との行単位の組合せは分析に使えません。/ This release carries a fingerprint for leak tracing: within each class (rows sharing the quasi-identifiers) the values of `{c}` are in a random order. Each class keeps exactly its values of `{c}` (counts, k, l and t are unchanged), but within a class the pairing of `{c}` with the other columns row by row is not meaningful.",
                c = f.column
            )));
        }
        b.push(Block::Para(
            "帯や範囲の列には、並べ替えと絞込みのための下限（_min）と上限（_max）の数値列があります（空欄は上限・下限なし）。/ Banded and range columns come with numeric lower (_min) and upper (_max) bound columns for sorting and filtering (empty where a band is open).".into(),
        ));
        b.push(Block::Para(
            "本データにより特定の個人を識別すること、又は他の情報と照合して識別しようとすることは、契約及び法律（個人情報保護法45条）により禁止されています。/ Re-identifying any person, or combining this data with other data to do so, is prohibited by the contract and by law (APPI art. 45).".into(),
        ));
        let mut rows = Vec::new();
        for c in self.columns.iter().filter(|c| c.output.is_some()) {
            let out = c.output.clone().unwrap_or_default();
            let values = describe_values(c);
            rows.push(vec![
                out.clone(),
                c.output_type.clone().unwrap_or_default(),
                c.description.clone().unwrap_or_else(|| c.name.clone()),
                format!("{} / {}", c.detail_ja, c.detail),
                role_both(&c.release_role),
                values,
            ]);
            if let Some([lo, hi]) = &c.bounds {
                for (bound, ja, en) in [(lo, "下限", "lower bound"), (hi, "上限", "upper bound")] {
                    rows.push(vec![
                        bound.clone(),
                        "int64 / date".into(),
                        format!("{out}の{ja} / {en} of {out}"),
                        "—".into(),
                        role_both(&c.release_role),
                        String::new(),
                    ]);
                }
            }
        }
        b.push(Block::Table {
            head: vec![
                "列 / column".into(),
                "型 / type".into(),
                "意味 / meaning".into(),
                "加工 / processing".into(),
                "役割 / role".into(),
                "値 / values".into(),
            ],
            rows,
        });
        Doc { lang: Lang::Ja, blocks: b }
    }
}

/// The values of a column for the dictionary: categories in natural order, or a count and range.
fn describe_values(c: &ColumnReport) -> String {
    let Some(v) = &c.values else { return String::new() };
    let mut s = match &v.categories {
        Some(cats) if c.role != "linking_code" => cats.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>().join(", "),
        _ => {
            let mut s = if c.role == "linking_code" {
                format!("{}種類以上の符号（1レコードに1つ）/ codes, one per record", v.distinct)
            } else {
                format!("{}種類以上の値 / more than {} distinct values", v.distinct, v.distinct)
            };
            if let (Some(lo), Some(hi)) = (&v.min, &v.max) {
                s.push_str(&format!("; {lo} 〜 {hi}"));
            }
            s
        }
    };
    if v.nulls > 0 {
        s.push_str(&format!("; 空欄 / empty: {}", v.nulls));
    }
    s
}

/// A rule file's action, in Japanese (the Japanese report names no rule keyword).
fn action_ja(action: &str) -> &'static str {
    match action {
        "drop" => "削除",
        "keep" => "そのまま出力",
        "pseudonymize" => "符号に置換",
        "generalize" => "一般化",
        "mask" => "マスキング",
        "top_bottom_code" => "トップ・ボトムコーディング",
        "suppress_rare" => "まれな値の秘匿",
        "scrub" => "自由記述から識別情報を除去",
        _ => "その他の処理",
    }
}

/// A quality model of the search, in Japanese.
fn quality_ja(model: &str) -> &'static str {
    match model {
        "loss" => "情報損失",
        "discernibility" => "識別性",
        "entropy" => "非一様エントロピー",
        "precision" => "精度損失",
        _ => "情報損失の指標",
    }
}

fn role_ja(role: &str) -> &'static str {
    match role {
        "direct_identifier" => "直接識別子",
        "identification_code" => "個人識別符号",
        "linking_code" => "連結符号",
        "quasi_identifier" => "準識別子",
        "sensitive" => "要配慮",
        "financial" => "財産的被害のおそれ",
        _ => "その他",
    }
}

fn role_both(role: &str) -> String {
    format!("{} / {role}", role_ja(role))
}
