//! The report itself: everything a run says about its release.

use crate::{
    ClassStats, ColumnReport, Fingerprint, InputReport, LDiversity, ModelOutcome, PeopleCounts, Perturbed, Regime,
    ReleaseRisk, RequestCounts, SearchReport, Standard, SuppressionCause, TCloseness, Timings,
};
use serde::{Deserialize, Serialize};
use tokumei_words::Lang;

/// Everything the report says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub regime: Regime,
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
    #[serde(deserialize_with = "crate::float::or_nan")]
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
    pub requests: Option<RequestCounts>,
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
    pub fingerprint: Option<Fingerprint>,
    /// The perturbed columns (microaggregation, noise, swapping, PRAM), in rule order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub perturbed: Vec<Perturbed>,
    /// Whether the perturbations' random seed was fixed for a test (`TOKUMEI_TEST_SEED`, debug
    /// builds only): such a release is not fit to provide.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub seed_fixed_for_test: bool,
    /// The generalisation search, when the rules ask for one.
    pub search: Option<SearchReport>,
    /// What the release changed per column, and the risk-utility map (none for `check`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utility: Option<crate::Utility>,
    /// How re-identifiable the release is for an attacker who knows every released column
    /// except the sensitive ones (computed while writing; none for `check`).
    pub release_risk: Option<ReleaseRisk>,
    /// Every privacy model the rules ask for, with its required and achieved values.
    pub models: Vec<ModelOutcome>,
    /// Why rows were suppressed, per privacy model.
    pub suppression_causes: Vec<SuppressionCause>,
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
}
