//! Stage 5: the report, each column described, and the processing standards; a failed standard
//! stops an anonymized run here, before anything is written.

use super::anonymize::Anonymized;
use super::layout::{OutColumn, Slot};
use super::{RunOptions, rfc3339};
use crate::cell::Cell;
use crate::error::EngineError;
use crate::privacy::Dictionary;
use crate::report::{ColumnReport, InputReport, Report, Timings};
use crate::standards::{self, Achieved};
use arrow::datatypes::DataType;
use tokumei_rules::{Action, Mode, Role};

/// The anonymized data with its report.
pub(super) struct Assembled {
    pub an: Anonymized,
    pub report: Report,
    /// The failed processing standard that refuses an anonymized release, if any.
    pub refused: Option<EngineError>,
}

/// Build the report and check the processing standards.
pub(super) fn assemble(an: Anonymized, opts: &RunOptions) -> Result<Assembled, EngineError> {
    let enc = &an.enc;
    let layout = &enc.layout;
    let (plan, columns, dicts, job) = (&layout.plan, &layout.columns, &layout.dicts, &layout.job);
    let (key, reference_date, release_id) = (&layout.key, &layout.reference_date, &layout.release_id);
    let (rows_in, rejected, rejected_by_column, rejected_reasons) =
        (enc.rows_in, enc.rejected, &enc.rejected_by_column, &enc.rejected_reasons);
    let (searched, after, enforcement, l_diversity, rows_out) =
        (&an.searched, &an.after, &an.enforcement, &an.l_diversity, an.rows_out);
    let (value_counts, nulled, cells_suppressed) = (&an.value_counts, &an.nulled, &an.cells_suppressed);
    let chosen: &[(usize, u32)] = searched.as_ref().map_or(&[], |(_, levels)| levels.as_slice());
    let perturbed = released_sharing(&an.perturbed, plan, columns, dicts, (value_counts, nulled));
    let achieved = Achieved {
        k: after.min_class_size,
        l: l_diversity.clone(),
        models: &an.models,
        suppressed: enforcement.suppressed,
        rows_out,
        people: Some(&an.counted),
        chosen,
        rare: &an.rare,
        ends: &an.ends,
        perturbed: &perturbed,
    };
    let processing_standards = standards::evaluate(plan, &achieved, job.actor);

    let counts = ValueCounts { counts: value_counts, nulled, cells_suppressed };
    let mut col_reports = column_reports(plan, columns, dicts, &counts, searched.as_ref());
    auto_details(plan, &an.ends, &mut col_reports);

    let report = Report {
        tokumei_version: env!("CARGO_PKG_VERSION").into(),
        release_id: release_id.clone(),
        job: job.name.clone(),
        dataset: plan.dataset.clone(),
        mode: plan.mode.to_string(),
        actor: job.actor.as_str().into(),
        regime: standards::regime(job.actor, plan.mode),
        created_at: rfc3339(opts.now_unix),
        reference_date: reference_date.to_string(),
        input: input_report(job, enc),
        inputs: enc.inputs.iter().map(read_input).collect(),
        query: job.query.as_ref().map(|q| q.text().to_string()),
        rules: job.rules.display().to_string(),
        rules_sha256: plan.rules_sha256.clone(),
        key_id: key.as_ref().map(|k| k.id.clone()),
        k: plan.privacy.k,
        l: plan.privacy.l,
        max_suppression: plan.privacy.max_suppression,
        quasi_identifiers: plan.quasi_identifiers().iter().filter_map(|c| c.output.clone()).collect(),
        sensitive: plan.sensitive().iter().filter_map(|c| c.output.clone()).collect(),
        rows_in,
        rows_rejected: rejected,
        requests: None,
        rejected_by_column: plan
            .columns
            .iter()
            .zip(rejected_by_column)
            .filter(|(_, n)| **n > 0)
            .map(|(c, n)| (c.name.clone(), *n))
            .collect(),
        rejected_reasons: rejected_reasons
            .iter()
            .map(|((c, reason), n)| (plan.columns[*c].name.clone(), reason.clone(), *n))
            .collect(),
        suppressed: enforcement.suppressed,
        classes_below_k: enforcement.classes_below_k,
        classes_below_l: enforcement.classes_below_l,
        rows_out,
        people: an.counted.clone(),
        k_achieved: after.min_class_size,
        l_diversity: l_diversity.clone(),
        l_model: plan.privacy.l_model(),
        t_closeness: an.t_closeness.clone(),
        max_average_risk: plan.privacy.number("max_average_risk"),
        original: an.original.clone(),
        before: an.before.clone(),
        after: after.clone(),
        columns: col_reports,
        processing_standards,
        search: searched.as_ref().map(|(r, _)| r.clone()),
        utility: None,
        perturbed,
        seed_fixed_for_test: an.seed_fixed_for_test,
        fingerprint: None,
        row_order: if plan.shuffle { "random per release".into() } else { "input order".into() },
        release_risk: None,
        models: an.models.clone(),
        suppression_causes: enforcement.causes.clone(),
        audit_head: None,
        output_file: None,
        output_sha256: None,
        timings: Timings { ingest_ms: enc.ingest_ms, privacy_ms: an.privacy_ms, write_ms: 0, total_ms: 0 },
    };
    let refused = match report.processing_standards.iter().find(|s| !s.passed) {
        Some(failed) if plan.mode == Mode::Anonymized => Some(EngineError::Privacy(format!(
            "processing standard {} ({}) not met: {}\n  {}\n  hint: {}",
            failed.id,
            failed.legal,
            failed.title,
            failed.evidence.join("\n  "),
            failed.fix.as_deref().unwrap_or_default()
        ))),
        _ => None,
    };
    // A seed fixed for a test (debug builds only) is known: a release made with it could be
    // undone, so it never goes to a recipient.
    let refused = refused.or_else(|| {
        (an.seed_fixed_for_test && opts.provided).then(|| {
            EngineError::Key(
                "the perturbation seed was fixed by TOKUMEI_TEST_SEED (a test path of debug builds): a release provided to a recipient needs a per-release seed nobody knows\n  hint: unset TOKUMEI_TEST_SEED".into(),
            )
        })
    });

    Ok(Assembled { an, report, refused })
}

/// The perturbed columns with the fewest released records sharing a released value of each
/// (counted after suppression).
fn released_sharing(
    perturbed: &[tokumei_report::Perturbed],
    plan: &tokumei_rules::Plan,
    columns: &[OutColumn],
    dicts: &[Dictionary],
    (counts, nulled): (&[Vec<u64>], &[Vec<bool>]),
) -> Vec<tokumei_report::Perturbed> {
    let mut out = perturbed.to_vec();
    for p in out.iter_mut() {
        let Some(i) = plan.columns.iter().position(|c| c.name == p.column) else { continue };
        let Some(Slot::Global(d)) = columns.iter().find(|c| c.plan == i).map(|c| &c.slot) else { continue };
        p.smallest_released = counts[*d]
            .iter()
            .zip(&nulled[*d])
            .enumerate()
            .filter(|(code, (n, gone))| **n > 0 && !**gone && dicts[*d].values[*code] != Cell::Null)
            .map(|(_, (n, _))| *n)
            .min();
    }
    out
}

/// `"auto"` codes are stated with the values the run computed.
fn auto_details(plan: &tokumei_rules::Plan, ends: &[crate::tails::EndsCheck], col_reports: &mut [ColumnReport]) {
    for e in ends.iter().filter(|e| !e.auto.is_empty()) {
        let Some(i) = plan.columns.iter().position(|c| c.name == e.column) else { continue };
        let Action::TopBottomCode { top, bottom } = plan.columns[i].action else { continue };
        let computed = |cap: Option<tokumei_rules::Cap>, end: crate::tails::End| match cap {
            Some(tokumei_rules::Cap::Auto) => {
                e.auto.iter().find(|(x, _)| *x == end).map(|(_, v)| tokumei_rules::Cap::At(*v))
            }
            other => other,
        };
        let coded = Action::TopBottomCode {
            top: computed(top, crate::tails::End::Top),
            bottom: computed(bottom, crate::tails::End::Bottom),
        };
        let k = plan.privacy.k;
        col_reports[i].detail =
            format!("{} (\"auto\": computed so that at least {k} people share each coded end)", coded.describe());
        col_reports[i].detail_ja =
            format!("{}（自動で決定した値：コード化した両端をそれぞれ{k}人以上が共有する）", coded.describe_ja(None));
    }
}

/// The report's input: the one file read, or the query job.
fn input_report(job: &tokumei_rules::Job, enc: &super::encode::Encoded) -> InputReport {
    match job.inputs.as_slice() {
        [input] if job.query.is_none() => InputReport {
            path: input.path.display().to_string(),
            sha256: enc.input_sha256.clone(),
            format: format!("{:?}", input.format).to_lowercase(),
            encoding: enc.encoding_used.map(|e| {
                let how = if input.encoding == tokumei_rules::Encoding::Auto { "detected" } else { "as configured" };
                format!("{e}, {how}")
            }),
            name: None,
            rows: None,
        },
        _ => InputReport {
            path: job.path.display().to_string(),
            sha256: enc.input_sha256.clone(),
            format: "query".into(),
            encoding: None,
            name: None,
            rows: None,
        },
    }
}

/// What was read of one input file of a query job.
fn read_input(i: &crate::ingest::InputFacts) -> InputReport {
    InputReport {
        path: i.path.display().to_string(),
        sha256: i.sha256.clone(),
        format: i.format.into(),
        encoding: i.encoding.map(str::to_string),
        name: Some(i.name.clone()),
        rows: Some(i.rows),
    }
}

/// Value counts over the output rows of each dictionary-encoded column.
struct ValueCounts<'a> {
    counts: &'a [Vec<u64>],
    nulled: &'a [Vec<bool>],
    cells_suppressed: &'a [u64],
}

/// Each column as the report and the data dictionary describe it.
fn column_reports(
    plan: &tokumei_rules::Plan,
    columns: &[OutColumn],
    dicts: &[Dictionary],
    counts: &ValueCounts,
    searched: Option<&(crate::optimize::SearchReport, Vec<(usize, u32)>)>,
) -> Vec<ColumnReport> {
    plan.columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let oc = columns.iter().find(|o| o.plan == i);
            let global = oc.and_then(|o| match o.slot {
                Slot::Global(d) => Some(d),
                Slot::Local(_) => None,
            });
            let categorical =
                matches!(c.action, Action::Generalize { .. }) || c.is_privacy_key() || c.role == Role::Sensitive;
            let categories = global.filter(|_| categorical).and_then(|d| {
                let mut present: Vec<String> = dicts[d]
                    .values
                    .iter()
                    .enumerate()
                    .filter(|(code, v)| counts.counts[d][*code] > 0 && !counts.nulled[d][*code] && **v != Cell::Null)
                    .map(|(_, v)| v.label())
                    .collect();
                present.sort_by(|a, b| crate::natural::cmp(a, b));
                (present.len() <= 60).then_some(present)
            });
            let chosen = searched.and_then(|(_, levels)| levels.iter().find(|(p, _)| *p == i).map(|(_, l)| *l));
            let local = searched.is_some_and(|(r, _)| r.applied == "local");
            let (detail, detail_ja, level) = match (&c.action, chosen) {
                (Action::Generalize { hierarchy, level: lo, max_level: hi, .. }, _) if local && hi > lo => (
                    format!(
                        "{} hierarchy, local recoding: each class at its own level from {lo} to {hi}",
                        hierarchy.name()
                    ),
                    format!("一般化（局所再符号化）：クラスごとにレベル{lo}〜{hi}のいずれか"),
                    None,
                ),
                (Action::Generalize { .. }, Some(l)) => {
                    (c.action.describe_chosen(Some(l)), c.action.describe_ja(Some(l)), Some(l))
                }
                (Action::Generalize { level, .. }, _) => {
                    (c.action.describe(), c.action.describe_ja(None), Some(*level))
                }
                _ => (c.action.describe(), c.action.describe_ja(None), None),
            };
            let bounds = oc
                .and_then(|o| o.transform.generalizer())
                .and_then(|g| g.bound_kind())
                .and(c.output.as_ref())
                .map(|out| [format!("{out}_min"), format!("{out}_max")]);
            ColumnReport {
                name: c.name.clone(),
                role: c.role.as_str().into(),
                release_role: if c.is_privacy_key() { "quasi_identifier".into() } else { c.role.as_str().into() },
                bounds,
                action: c.action.name().into(),
                output: c.output.clone(),
                output_type: oc.map(|o| type_name(&o.transform.output_type())),
                detail,
                detail_ja,
                level,
                description: c.description.clone(),
                special_care: c.special_care.map(|k| match k {
                    tokumei_rules::SpecialCare::Sensitive => "要配慮".to_string(),
                    tokumei_rules::SpecialCare::Ordinance => "条例要配慮".to_string(),
                }),
                cells_suppressed: global
                    .filter(|d| matches!(c.action, Action::SuppressRare { .. }) || counts.cells_suppressed[*d] > 0)
                    .map(|d| counts.cells_suppressed[d]),
                distinct_values: global.map(|d| {
                    counts.counts[d].iter().enumerate().filter(|(code, n)| **n > 0 && !counts.nulled[d][*code]).count()
                        as u64
                }),
                categories,
                values: None,
                scrubbed: None,
            }
        })
        .collect()
}

fn type_name(t: &DataType) -> String {
    match t {
        DataType::Utf8 => "string".into(),
        DataType::Int64 => "int64".into(),
        DataType::Date32 => "date".into(),
        DataType::Boolean => "boolean".into(),
        other => other.to_string(),
    }
}
