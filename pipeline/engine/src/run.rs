//! A job end to end: ingest -> transform -> privacy -> output.

use crate::cell::Cell;
use crate::error::{EngineError, output_err};
use crate::ingest::{self, RawBatch};
use crate::keys::Key;
use crate::output::{ColumnBuilder, Shuffler, parquet_writer, sha256_file};
use crate::privacy::{self, Dictionary};
use crate::progress::Progress;
use crate::render::Lang;
use crate::report::{ColumnReport, InputReport, LDiversity, Report, Timings};
use crate::standards::{self, Achieved};
use crate::tally::Tally;
use crate::transform::{self, BoundKind, Bounds, ColumnTransform, Context};
use arrow::array::{ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::ipc::reader::FileReader;
use arrow::ipc::writer::FileWriter;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::sync::Arc;
use std::time::Instant;
use tokumei_jp::Date;
use tokumei_rules::{Action, Job, Mode, OnMalformed, Role};

/// How to run a job.
pub struct RunOptions<'a> {
    /// The run's clock: seconds since the Unix epoch (injectable for reproducible runs).
    pub now_unix: i64,
    /// Progress receiver.
    pub progress: &'a dyn Progress,
}

/// Where a run writes its release: files into `release_dir`, temporaries into `tmp_dir` (both
/// inside one staging folder that the caller publishes or removes).
pub struct Target<'a> {
    /// Folder for the release's files (Parquet, reports, data dictionary).
    pub release_dir: &'a std::path::Path,
    /// Folder for temporary files (spill, shuffle buckets); may be emptied by the caller after.
    pub tmp_dir: &'a std::path::Path,
    /// The audit log's head when the release is made (`seq:hash`), recorded in the report and
    /// the Parquet metadata so that every release witnesses the log.
    pub audit_head: Option<String>,
}

/// What is known about a run, filled in as it goes so a failed run can be audited too.
#[derive(Debug, Default, Clone)]
pub struct RunFacts {
    /// Dataset name.
    pub dataset: Option<String>,
    /// Mode.
    pub mode: Option<String>,
    /// Release id.
    pub release_id: Option<String>,
    /// Input hash.
    pub input_sha256: Option<String>,
    /// Rules hash.
    pub rules_sha256: Option<String>,
    /// Key id.
    pub key_id: Option<String>,
    /// `name=sha256` of each output file.
    pub outputs: Vec<String>,
}

/// A finished run.
#[derive(Debug)]
pub struct RunOutcome {
    /// The report (also written as files when there is a target).
    pub report: Report,
    /// Files written into the target's release folder: name and SHA-256.
    pub files: Vec<(String, String)>,
}

/// A job made ready to run: input opened, rules validated against its header, key loaded,
/// release id chosen. Nothing has been read or written yet.
pub struct Prepared {
    job: Job,
    source: Box<dyn ingest::Source>,
    /// The validated rules.
    pub plan: tokumei_rules::Plan,
    key: Option<Arc<Key>>,
    reference_date: Date,
    /// Id of the release this run would make: `<dataset>-<UTC stamp>-<random>`.
    pub release_id: String,
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds.
pub fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let d = Date::from_days_since_epoch(days as i32);
    format!("{}T{:02}:{:02}:{:02}Z", d, secs / 3600, secs / 60 % 60, secs % 60)
}

enum Slot {
    Global(usize),
    Local(usize),
}

struct OutColumn {
    plan: usize,
    input: usize,
    /// Further inputs coded together with `input` (a composite pseudonym).
    extra: Vec<usize>,
    transform: Box<dyn ColumnTransform>,
    slot: Slot,
}

/// Open the input, validate the rules against its header, load the key and choose the release id.
pub fn prepare(job: &Job, now_unix: i64, facts: &mut RunFacts) -> Result<Prepared, EngineError> {
    let source = ingest::open(job)?;
    let rules_src = std::fs::read_to_string(&job.rules)
        .map_err(|e| EngineError::Config(format!("{}: cannot read rule file: {}", job.rules.display(), e.kind())))?;
    // A first line naming no rule column is data, not a header: say so without quoting it.
    let named: Vec<String> = tokumei_rules::parse_rules(&job.rules, &rules_src)
        .map(|raw| raw.columns.iter().map(|c| c.name.get_ref().clone()).collect())
        .unwrap_or_default();
    let named: Vec<&str> = named.iter().map(String::as_str).collect();
    ingest::check_header(&job.input, source.header(), &named, "a column of the rules")?;
    let plan = tokumei_rules::validate_rules(&job.rules, &rules_src, source.header())
        .map_err(|d| EngineError::Config(d.to_string()))?;
    facts.dataset = Some(plan.dataset.clone());
    facts.mode = Some(plan.mode.to_string());
    facts.rules_sha256 = Some(plan.rules_sha256.clone());

    let today = Date::from_days_since_epoch(now_unix.div_euclid(86_400) as i32);
    let reference_date = match &job.reference_date {
        Some(s) => tokumei_jp::parse_date(s)
            .ok_or_else(|| EngineError::Config(format!("{}: reference_date is not a date", job.path.display())))?,
        None => today,
    };

    let needs_key = plan.columns.iter().any(|c| matches!(c.action, Action::Pseudonymize { .. }));
    let key = match (needs_key, plan.mode) {
        (false, _) => None,
        (true, Mode::Anonymized) => Some(Arc::new(Key::ephemeral())),
        (true, Mode::Pseudonymized) => {
            let path = job.key_file.as_ref().ok_or_else(|| {
                EngineError::Key(format!(
                    "{}: pseudonymized mode needs a managed key: add [keys] pseudonym_key_file to the job (create one with `tokumei keygen`)",
                    job.path.display()
                ))
            })?;
            Some(Arc::new(Key::load(path)?))
        }
    };
    facts.key_id = key.as_ref().map(|k| k.id.clone());

    let mut rand_tag = [0u8; 4];
    rand::RngExt::fill(&mut rand::rng(), &mut rand_tag);
    let stamp: String = rfc3339(now_unix).chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let release_id = format!("{}-{}-{}", plan.dataset, stamp, hex::encode(rand_tag));
    facts.release_id = Some(release_id.clone());
    Ok(Prepared { job: job.clone(), source, plan, key, reference_date, release_id })
}

/// Run a prepared job: read and transform every row, enforce the privacy models, and, with a
/// target, write the release's files into it. Without a target (`tokumei check`) nothing is
/// written.
pub fn run(
    prepared: Prepared,
    opts: &RunOptions,
    target: Option<&Target>,
    facts: &mut RunFacts,
) -> Result<RunOutcome, EngineError> {
    let started = Instant::now();
    let Prepared { job, source, plan, key, reference_date, release_id } = prepared;
    let job = &job;
    let cx = Context { reference_date, key: key.clone() };
    let mut columns: Vec<OutColumn> = Vec::new();
    let mut dicts: Vec<Dictionary> = Vec::new();
    let mut spill_fields: Vec<Field> = Vec::new();
    for (i, c) in plan.columns.iter().enumerate() {
        let Some(t) = transform::build(c, &cx) else {
            continue;
        };
        let slot = if c.is_global() {
            let searched = plan.privacy.search
                && matches!(c.action, Action::Generalize { level, max_level, .. } if max_level > level);
            let tree_needed = c.role == Role::Sensitive && matches!(c.action, Action::Generalize { .. });
            dicts.push(if searched || tree_needed {
                Dictionary::with_representatives()
            } else {
                Dictionary::default()
            });
            Slot::Global(dicts.len() - 1)
        } else {
            spill_fields.push(Field::new(c.output.clone().unwrap_or_default(), t.output_type(), true));
            Slot::Local(spill_fields.len() - 1)
        };
        columns.push(OutColumn { plan: i, input: c.input_index, extra: c.extra_inputs.clone(), transform: t, slot });
    }

    // Free text to scrub: the names of the whole file are collected in pass 1 (from each scrub
    // column's `names_from`, by default the direct identifiers named like 氏名/名前/カナ/name),
    // and each row's identifier values travel with the text in the spill.
    let identifier_inputs: Vec<usize> = plan
        .columns
        .iter()
        .filter(|c| {
            matches!(c.role, Role::DirectIdentifier | Role::IdentificationCode | Role::LinkingCode)
                && !matches!(c.action, Action::Scrub { .. })
        })
        .map(|c| c.input_index)
        .collect();
    let mut name_inputs: Vec<usize> = Vec::new();
    let mut dictionary: Vec<String> = Vec::new();
    let scrubbing = plan.columns.iter().any(|c| matches!(c.action, Action::Scrub { .. }));
    for c in &plan.columns {
        if let Action::Scrub { names_from, dictionary: words } = &c.action {
            dictionary.extend(words.iter().cloned());
            if names_from.is_empty() {
                name_inputs.extend(
                    plan.columns
                        .iter()
                        .filter(|d| d.role == Role::DirectIdentifier && !matches!(d.action, Action::Scrub { .. }))
                        .filter(|d| {
                            ["氏名", "名前", "カナ", "かな", "name", "Name", "NAME"].iter().any(|n| d.name.contains(n))
                        })
                        .map(|d| d.input_index),
                );
            } else {
                name_inputs.extend(
                    names_from.iter().filter_map(|n| plan.columns.iter().find(|d| &d.name == n).map(|d| d.input_index)),
                );
            }
        }
    }
    name_inputs.sort_unstable();
    name_inputs.dedup();
    let mut name_set = crate::scrub::NameSet::default();
    let row_ids_slot = scrubbing.then(|| {
        spill_fields.push(Field::new("\u{0}row_ids", DataType::Utf8, true));
        spill_fields.len() - 1
    });
    // String outputs whose cells are checked for the row's identifier values (residual scan).
    let checked: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            let p = &plan.columns[c.plan];
            matches!(p.action, Action::Keep | Action::Mask { .. })
                && p.ty == tokumei_rules::ValueType::String
                && !matches!(p.role, Role::DirectIdentifier | Role::IdentificationCode | Role::LinkingCode)
        })
        .map(|(i, _)| i)
        .collect();

    // Bound columns (`<output>_min`, `<output>_max`) must not collide with another output.
    let mut names: std::collections::HashSet<String> = plan.output_columns().filter_map(|c| c.output.clone()).collect();
    for c in &columns {
        if c.transform.generalizer().and_then(|g| g.bound_kind()).is_some() {
            let out = plan.columns[c.plan].output.clone().unwrap_or_default();
            for bound in [format!("{out}_min"), format!("{out}_max")] {
                if !names.insert(bound.clone()) {
                    return Err(EngineError::Config(format!(
                        "{}:{}: output column `{bound}` (a bound of `{out}`, written so the release sorts and filters) collides with another output column\n  hint: rename one of them with `output = \"...\"`",
                        plan.rules_path.display(),
                        plan.columns[c.plan].line
                    )));
                }
            }
        }
    }
    let spill_path = target.map(|t| t.tmp_dir.join("spill.arrow"));

    // Pass 1: ingest and transform; local columns go to the spill file.
    let spill_schema: SchemaRef = Arc::new(Schema::new(spill_fields.clone()));
    let mut spill = match &spill_path {
        Some(p) if !spill_fields.is_empty() => {
            let f = File::create(p).map_err(|e| output_err(p)(e.to_string()))?;
            Some(
                FileWriter::try_new(BufWriter::with_capacity(1 << 20, f), &spill_schema)
                    .map_err(|e| output_err(p)(e.to_string()))?,
            )
        }
        _ => None,
    };
    let spill_err =
        |e: arrow::error::ArrowError| output_err(spill_path.as_deref().unwrap_or(job.input.as_path()))(e.to_string());
    let mut batch_lens: Vec<usize> = Vec::new();
    let stats = source.stats();
    let encoding_used = source.encoding();
    opts.progress.stage("reading and transforming", source.size());
    let batches = ingest::read_ahead(source);
    let mut rows_in = 0u64;
    let mut rejected = 0u64;
    let mut rejected_by_column = vec![0u64; plan.columns.len()];
    // (plan column, reason) -> rows: why rows were left out, never with a value.
    let mut rejected_reasons: Vec<((usize, String), u64)> = Vec::new();
    let mut first_rejection: Option<String> = None;
    let mut codes = vec![0u32; dicts.len()];
    let mut cells = vec![Cell::Null; spill_fields.len()];
    for batch in batches {
        let batch = batch?;
        let mut builders: Vec<ColumnBuilder> =
            spill_fields.iter().map(|f| ColumnBuilder::new(f.data_type(), batch.len())).collect();
        let mut accepted = 0usize;
        for row in 0..batch.len() {
            rows_in += 1;
            match transform_row(&batch, row, &columns, &mut dicts, &mut codes, &mut cells) {
                Ok(()) => {
                    for i in &name_inputs {
                        if let Some(v) = batch.value(row, *i) {
                            name_set.add(v);
                        }
                    }
                    if let Some(j) = row_ids_slot {
                        let ids: Vec<&str> = identifier_inputs.iter().filter_map(|i| batch.value(row, *i)).collect();
                        cells[j] = Cell::str(ids.join("\u{1F}").as_str());
                    }
                    if let Some(found) =
                        residual(&batch, row, &columns, &checked, &identifier_inputs, &dicts, &codes, &cells)
                    {
                        let c = &plan.columns[columns[found.0].plan];
                        let id = &plan
                            .columns
                            .iter()
                            .find(|p| p.input_index == found.1)
                            .map(|p| p.name.clone())
                            .unwrap_or_default();
                        return Err(EngineError::Privacy(format!(
                            "{}: {}: column `{}` would release the value of identifier column `{id}` (the value is not shown)\n  hint: drop, mask or scrub `{}`, or check its role",
                            job.input.display(),
                            batch.location(row),
                            c.name,
                            c.name
                        )));
                    }
                    for (d, code) in dicts.iter_mut().zip(&codes) {
                        d.codes.push(*code);
                    }
                    for (b, cell) in builders.iter_mut().zip(cells.iter_mut()) {
                        b.append(cell)?;
                        *cell = Cell::Null;
                    }
                    accepted += 1;
                }
                Err((col, reason)) => {
                    let c = &plan.columns[columns[col].plan];
                    let err = EngineError::Malformed {
                        file: job.input.clone(),
                        location: batch.location(row),
                        column: c.name.clone(),
                        reason: reason.0.clone(),
                    };
                    match plan.on_malformed {
                        OnMalformed::Error => return Err(err),
                        OnMalformed::Reject { .. } => {
                            rejected += 1;
                            rejected_by_column[columns[col].plan] += 1;
                            let key = (columns[col].plan, reason.0);
                            match rejected_reasons.iter_mut().find(|(k, _)| *k == key) {
                                Some((_, n)) => *n += 1,
                                None => rejected_reasons.push((key, 1)),
                            }
                            first_rejection.get_or_insert_with(|| err.to_string());
                        }
                    }
                }
            }
        }
        if let Some(w) = spill.as_mut() {
            let arrays: Vec<ArrayRef> = builders.iter_mut().map(ColumnBuilder::finish).collect();
            let rb =
                RecordBatch::try_new(spill_schema.clone(), arrays).map_err(|e| EngineError::Internal(e.to_string()))?;
            w.write(&rb).map_err(spill_err)?;
        }
        batch_lens.push(accepted);
        opts.progress.set(stats.bytes());
    }
    opts.progress.finish();
    if let Some(mut w) = spill.take() {
        w.finish().map_err(spill_err)?;
    }
    for d in dicts.iter_mut() {
        d.forget_raw();
    }
    facts.input_sha256 = Some(stats.sha256());
    if let OnMalformed::Reject { max_rejected } = plan.on_malformed
        && rejected as f64 > max_rejected * rows_in as f64
    {
        return Err(EngineError::TooManyRejected {
            file: job.input.clone(),
            rejected,
            rows: rows_in,
            max: max_rejected,
            first: first_rejection.unwrap_or_default(),
        });
    }
    if rows_in == 0 {
        return Err(EngineError::Input {
            file: job.input.clone(),
            message: "has no data rows (a release needs at least one)".into(),
        });
    }
    let ingest_ms = started.elapsed().as_millis() as u64;

    // Privacy.
    let privacy_started = Instant::now();
    let n = (rows_in - rejected) as usize;
    let original = {
        let keys: Vec<(&[u32], usize)> = columns
            .iter()
            .filter(|c| plan.columns[c.plan].is_privacy_key())
            .filter_map(|c| match c.slot {
                Slot::Global(d) => Some((dicts[d].codes.as_slice(), dicts[d].len())),
                Slot::Local(_) => None,
            })
            .collect();
        privacy::stats(privacy::classes(&keys, n).sizes.iter().map(|s| *s as u64))
    };
    // Value hierarchies of generalised sensitive columns (hierarchical t-closeness distance).
    let mut trees: Vec<Option<tokumei_anon::models::Tree>> = vec![None; dicts.len()];
    if plan.privacy.t.is_some() {
        for c in &columns {
            if let (Slot::Global(d), Some(g)) = (&c.slot, c.transform.generalizer())
                && plan.columns[c.plan].role == Role::Sensitive
            {
                trees[*d] = value_tree(&dicts[*d], g)?;
            }
        }
    }
    let searched = if plan.privacy.search {
        let cols: Vec<crate::optimize::SearchColumn> = columns
            .iter()
            .filter_map(|c| match c.slot {
                Slot::Global(d) => Some(crate::optimize::SearchColumn {
                    plan: c.plan,
                    dict: d,
                    generalizer: c.transform.generalizer(),
                }),
                Slot::Local(_) => None,
            })
            .collect();
        Some(crate::optimize::optimize(&plan, &cols, &mut dicts, &trees, n)?)
    } else {
        None
    };
    let dict_of = |plan_idx: usize| {
        columns.iter().find(|c| c.plan == plan_idx).and_then(|c| match c.slot {
            Slot::Global(d) => Some(d),
            Slot::Local(_) => None,
        })
    };
    let qi: Vec<usize> =
        plan.columns.iter().enumerate().filter(|(_, c)| c.is_privacy_key()).filter_map(|(i, _)| dict_of(i)).collect();
    let sens: Vec<(String, usize, Option<u32>)> = plan
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.role == Role::Sensitive && c.output.is_some())
        .filter_map(|(i, c)| dict_of(i).map(|d| (c.output.clone().unwrap_or_default(), d, c.l)))
        .collect();
    let qi_cols: Vec<(&[u32], usize)> = qi.iter().map(|d| (dicts[*d].codes.as_slice(), dicts[*d].len())).collect();
    let classes = privacy::classes(&qi_cols, n);
    let before = privacy::stats(classes.sizes.iter().map(|s| *s as u64));
    let distinct: Vec<Vec<u32>> =
        sens.iter().map(|(_, d, _)| privacy::distinct_per_class(&classes, &dicts[*d].codes)).collect();
    let sens_inputs: Vec<privacy::SensitiveInput> = sens
        .iter()
        .map(|(name, d, l)| privacy::SensitiveInput {
            name: name.clone(),
            codes: &dicts[*d].codes,
            cardinality: dicts[*d].len(),
            l: *l,
            rank: rank_of(&dicts[*d].values),
            tree: trees[*d].clone(),
        })
        .collect();
    let models = privacy::models_for(&plan, &sens_inputs);
    let globals = privacy::globals(&sens_inputs, n);
    let simple =
        models.iter().all(|m| matches!(m, tokumei_anon::Model::KAnonymity(_) | tokumei_anon::Model::DistinctL { .. }));
    let l_models: Vec<(&str, u32, &[u32])> = sens
        .iter()
        .zip(&distinct)
        .filter_map(|((name, _, l), d)| l.map(|l| (name.as_str(), l, d.as_slice())))
        .collect();
    let enforcement = if simple {
        privacy::enforce(&classes, plan.privacy.k, &l_models)
    } else {
        privacy::enforce_models(&classes, &sens_inputs, &models, &globals)
    };
    let allowed = (plan.privacy.max_suppression * n as f64).floor() as u64;
    if enforcement.suppressed > allowed {
        let mut msg = format!(
            "privacy requirement not met: reaching k={}{} needs suppressing {} of {} rows ({:.2}%), above max_suppression {:.2}% ({} rows); {} classes are smaller than k",
            plan.privacy.k,
            if l_models.is_empty() { String::new() } else { " and l-diversity".to_string() },
            enforcement.suppressed,
            n,
            enforcement.suppressed as f64 * 100.0 / n.max(1) as f64,
            plan.privacy.max_suppression * 100.0,
            allowed,
            enforcement.classes_below_k
        );
        for c in &enforcement.causes {
            msg.push_str(&format!("\n  suppressed for {}: {} rows in {} classes", c.model, c.rows, c.classes));
        }
        // The quasi-identifier with the most distinct values is the first to generalise.
        let mut widest: Vec<(usize, &tokumei_rules::ColumnPlan)> = plan
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_privacy_key())
            .filter_map(|(i, c)| dict_of(i).map(|d| (dicts[d].len(), c)))
            .collect();
        widest.sort_by_key(|w| std::cmp::Reverse(w.0));
        for (distinct, c) in widest.iter().take(3) {
            msg.push_str(&format!(
                "\n  quasi-identifier {} ({}:{}): {distinct} distinct values at {}",
                c.name,
                plan.rules_path.display(),
                c.line,
                c.action.describe()
            ));
        }
        msg.push_str("\n  hint: generalise the quasi-identifier with the most distinct values further (raise its `level`, or use search = \"optimal\"), declare fewer quasi-identifiers, or raise max_suppression if policy allows");
        return Err(EngineError::Privacy(msg));
    }
    let mut kept_sizes = vec![0u64; classes.sizes.len()];
    for (c, keep) in classes.of_row.iter().zip(&enforcement.keep) {
        if *keep {
            kept_sizes[*c as usize] += 1;
        }
    }
    let after = privacy::stats(kept_sizes.iter().copied());
    let l_diversity: Vec<LDiversity> = sens
        .iter()
        .zip(&distinct)
        .map(|((name, _, l), d)| {
            let min = d.iter().zip(&kept_sizes).filter(|(_, s)| **s > 0).map(|(d, _)| *d as u64).min().unwrap_or(0);
            LDiversity { column: name.clone(), required: *l, achieved: min }
        })
        .collect();
    let rows_out = after.records;
    if rows_out == 0 {
        return Err(EngineError::Privacy(format!(
            "privacy requirement not met: every one of the {n} accepted rows would be suppressed, and a release needs at least one row\n  hint: generalise the quasi-identifiers further or lower k (k={} for {n} rows)",
            plan.privacy.k
        )));
    }
    // t-closeness achieved: the largest distance of any output class from the reference.
    let t_closeness: Vec<crate::report::TCloseness> = match plan.privacy.t {
        None => Vec::new(),
        Some(t) => sens_inputs
            .iter()
            .zip(&globals)
            .zip(&sens)
            .map(|((s, g), (_, d, _))| {
                let dists = privacy::distributions(&classes, s.codes);
                let mut scratch = Vec::new();
                let worst = dists
                    .iter()
                    .enumerate()
                    .filter(|(c, _)| kept_sizes[*c] > 0)
                    .map(|(c, d)| {
                        let cd = tokumei_anon::models::ClassDistribution { counts: d, size: classes.sizes[c] };
                        tokumei_anon::models::distance(&cd, g, &mut scratch)
                    })
                    .fold(0.0, f64::max);
                // Only values that are in the release are named; the share of values that only
                // suppressed records hold is reported as one sum.
                let mut in_release = vec![false; dicts[*d].len()];
                for (code, keep) in dicts[*d].codes.iter().zip(&enforcement.keep) {
                    if *keep {
                        in_release[*code as usize] = true;
                    }
                }
                let mut reference: Vec<(String, f64)> = Vec::new();
                let mut withheld = 0.0;
                for ((v, share), present) in dicts[*d].values.iter().zip(&g.share).zip(&in_release) {
                    if *present {
                        reference.push((v.label(), *share));
                    } else {
                        withheld += share;
                    }
                }
                if withheld > 0.0 {
                    reference.push(("(values of suppressed records only)".into(), withheld));
                }
                let distance = if g.tree.is_some() {
                    "hierarchical"
                } else if g.rank.is_some() {
                    "ordered"
                } else {
                    "equal"
                };
                crate::report::TCloseness {
                    column: s.name.clone(),
                    t,
                    achieved: worst,
                    distance: distance.into(),
                    reference,
                }
            })
            .collect(),
    };
    if let Some(r) = plan.privacy.max_average_risk
        && rows_out > 0
        && after.prosecutor_risk_avg > r + 1e-12
    {
        return Err(EngineError::Privacy(format!(
            "privacy requirement not met: the average re-identification risk is {:.4}, above max_average_risk {r}\n  hint: generalise quasi-identifiers further or use search = \"optimal\"",
            after.prosecutor_risk_avg
        )));
    }

    // Rare-value suppression and per-column value counts over the kept rows.
    let mut value_counts: Vec<Vec<u64>> = dicts.iter().map(|d| vec![0u64; d.len()]).collect();
    for (d, counts) in dicts.iter().zip(value_counts.iter_mut()) {
        for (code, keep) in d.codes.iter().zip(&enforcement.keep) {
            if *keep {
                counts[*code as usize] += 1;
            }
        }
    }
    let mut nulled: Vec<Vec<bool>> = dicts.iter().map(|d| vec![false; d.len()]).collect();
    let mut cells_suppressed = vec![0u64; dicts.len()];
    for c in &columns {
        if let (Slot::Global(d), Some(min)) = (&c.slot, c.transform.min_count()) {
            for (code, count) in value_counts[*d].iter().enumerate() {
                if *count > 0 && *count < min as u64 && dicts[*d].values[code] != Cell::Null {
                    nulled[*d][code] = true;
                    cells_suppressed[*d] += count;
                }
            }
        }
    }
    let privacy_ms = privacy_started.elapsed().as_millis() as u64;

    let chosen: &[(usize, u32)] = searched.as_ref().map_or(&[], |(_, levels)| levels.as_slice());
    let achieved = Achieved {
        k: after.min_class_size,
        l: l_diversity.clone(),
        suppressed: enforcement.suppressed,
        rows_out,
        chosen,
    };
    let processing_standards = standards::evaluate(&plan, &achieved);

    let counts = ValueCounts { counts: &value_counts, nulled: &nulled, cells_suppressed: &cells_suppressed };
    let col_reports = column_reports(&plan, &columns, &dicts, &counts, searched.as_ref());

    let mut report = Report {
        tokumei_version: env!("CARGO_PKG_VERSION").into(),
        release_id: release_id.clone(),
        job: job.name.clone(),
        dataset: plan.dataset.clone(),
        mode: plan.mode.to_string(),
        created_at: rfc3339(opts.now_unix),
        reference_date: reference_date.to_string(),
        input: InputReport {
            path: job.input.display().to_string(),
            sha256: stats.sha256(),
            format: format!("{:?}", job.format).to_lowercase(),
            encoding: encoding_used.map(|e| {
                let how = if job.encoding == tokumei_rules::Encoding::Auto { "detected" } else { "as configured" };
                format!("{e}, {how}")
            }),
        },
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
        rejected_by_column: plan
            .columns
            .iter()
            .zip(&rejected_by_column)
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
        k_achieved: after.min_class_size,
        l_diversity,
        l_model: plan.privacy.l_model.describe(),
        t_closeness,
        max_average_risk: plan.privacy.max_average_risk,
        original,
        before,
        after,
        columns: col_reports,
        processing_standards,
        search: searched.as_ref().map(|(r, _)| r.clone()),
        row_order: if plan.shuffle { "random per release".into() } else { "input order".into() },
        release_risk: None,
        suppression_causes: enforcement.causes.clone(),
        audit_head: None,
        output_file: None,
        output_sha256: None,
        timings: Timings { ingest_ms, privacy_ms, write_ms: 0, total_ms: 0 },
    };
    if let Some(failed) = report.processing_standards.iter().find(|s| !s.passed)
        && plan.mode == Mode::Anonymized
    {
        return Err(EngineError::Privacy(format!(
            "processing standard {} ({}) not met: {}\n  {}\n  hint: {}",
            failed.id,
            failed.legal,
            failed.title,
            failed.evidence.join("\n  "),
            failed.fix.as_deref().unwrap_or_default()
        )));
    }

    let Some(target) = target else {
        report.timings.total_ms = started.elapsed().as_millis() as u64;
        return Ok(RunOutcome { report, files: Vec::new() });
    };
    report.audit_head = target.audit_head.clone();

    // Pass 2: write the Parquet file.
    let write_started = Instant::now();
    // Each field says what it means and how it was processed (Arrow field metadata).
    // Ordered generalised columns get numeric (or date) bounds beside their labels, so the
    // release sorts and filters: `年齢階級` "35-39" has `年齢階級_min` 35 and `年齢階級_max` 39.
    let mut out_fields: Vec<Field> = Vec::new();
    let mut bound_kinds: Vec<Option<BoundKind>> = Vec::new();
    for c in &columns {
        let col = &report.columns[c.plan];
        let name = plan.columns[c.plan].output.clone().unwrap_or_default();
        let mut meta = std::collections::HashMap::from([
            ("tokumei.role".to_string(), col.release_role.clone()),
            ("tokumei.processing".to_string(), col.detail.clone()),
        ]);
        if col.release_role != col.role {
            meta.insert("tokumei.input_role".into(), col.role.clone());
        }
        if let Some(d) = &col.description {
            meta.insert("tokumei.description".into(), d.clone());
        }
        out_fields.push(Field::new(&name, c.transform.output_type(), true).with_metadata(meta));
        let kind = c.transform.generalizer().and_then(|g| g.bound_kind());
        bound_kinds.push(kind);
        if let (Some(kind), Some([lo, hi])) = (kind, &col.bounds) {
            let ty = match kind {
                BoundKind::Int => DataType::Int64,
                BoundKind::Date => DataType::Date32,
            };
            for (bound, which) in [(lo, "lower"), (hi, "upper")] {
                let meta = std::collections::HashMap::from([
                    ("tokumei.role".to_string(), col.release_role.clone()),
                    ("tokumei.bound_of".to_string(), name.clone()),
                    ("tokumei.processing".to_string(), format!("{which} bound of {name} (empty when open)")),
                ]);
                out_fields.push(Field::new(bound, ty.clone(), true).with_metadata(meta));
            }
        }
    }
    let out_schema: SchemaRef = Arc::new(Schema::new(out_fields));
    let parquet_name = format!("{}.parquet", plan.dataset);
    let parquet_path = target.release_dir.join(&parquet_name);
    let metadata = vec![
        ("tokumei.release_id".to_string(), release_id.clone()),
        ("tokumei.dataset".into(), plan.dataset.clone()),
        ("tokumei.mode".into(), plan.mode.to_string()),
        ("tokumei.rules_sha256".into(), plan.rules_sha256.clone()),
        ("tokumei.k".into(), plan.privacy.k.to_string()),
        ("tokumei.l".into(), plan.privacy.l.map(|l| l.to_string()).unwrap_or_default()),
        ("tokumei.quasi_identifiers".into(), serde_json::to_string(&report.quasi_identifiers).unwrap_or_default()),
        ("tokumei.sensitive".into(), serde_json::to_string(&report.sensitive).unwrap_or_default()),
        ("tokumei.created_at".into(), report.created_at.clone()),
        ("tokumei.version".into(), env!("CARGO_PKG_VERSION").into()),
    ];
    let metadata = match &target.audit_head {
        Some(h) => metadata.into_iter().chain([("tokumei.audit_head".to_string(), h.clone())]).collect(),
        None => metadata,
    };
    // Written columns (labels and bounds) and what pass 2 counts over them: every column's
    // values, and the classes over every column an attacker may know (all but the sensitive
    // ones, record codes and bounds, which only repeat their labels).
    let mut written: Vec<(usize, bool)> = Vec::new(); // (index in `columns`, is a bound)
    for (ci, kind) in bound_kinds.iter().enumerate() {
        written.push((ci, false));
        if kind.is_some() && report.columns[columns[ci].plan].bounds.is_some() {
            written.push((ci, true));
            written.push((ci, true));
        }
    }
    let known = |ci: usize| {
        let c = &plan.columns[columns[ci].plan];
        !matches!(c.role, Role::Sensitive | Role::LinkingCode)
    };
    let outside: Vec<usize> = written
        .iter()
        .enumerate()
        .filter(|(_, (ci, bound))| !bound && known(*ci) && !plan.columns[columns[*ci].plan].is_privacy_key())
        .map(|(w, _)| w)
        .collect();
    let out_name = |ci: usize| plan.columns[columns[ci].plan].output.clone().unwrap_or_default();
    let known_names: Vec<String> =
        written.iter().filter(|(ci, bound)| !bound && known(*ci)).map(|(ci, _)| out_name(*ci)).collect();
    let outside_names: Vec<String> = outside.iter().map(|w| out_name(written[*w].0)).collect();
    let mut tally = Tally::new(written.len(), outside);
    let scrubber = scrubbing.then(|| crate::scrub::Scrubber::new(std::mem::take(&mut name_set), &dictionary));
    let encoded = Encoded {
        scrubber: scrubber.as_ref(),
        row_ids: row_ids_slot,
        columns: &columns,
        bounds: &bound_kinds,
        dicts: &dicts,
        nulled: &nulled,
        keep: &enforcement.keep,
        class_of_row: &classes.of_row,
        batch_lens: &batch_lens,
        spilled: !spill_fields.is_empty(),
    };
    write_parquet(
        &parquet_path,
        out_schema.clone(),
        metadata,
        &encoded,
        &mut tally,
        target.tmp_dir,
        plan.shuffle,
        rows_out as usize,
        opts.progress,
    )?;
    let types: Vec<DataType> = out_schema.fields().iter().map(|f| f.data_type().clone()).collect();
    let gens: Vec<Option<&crate::transform::Generalize>> =
        written.iter().map(|(ci, bound)| if *bound { None } else { columns[*ci].transform.generalizer() }).collect();
    for ((ci, bound), summary) in written.iter().zip(tally.summaries(&types, &gens)) {
        if !bound {
            report.columns[columns[*ci].plan].values = Some(summary);
        }
    }
    report.release_risk = Some(tally.risk(known_names, outside_names, plan.privacy.k)?);
    for (ci, counts) in tally.scrub_counts() {
        report.columns[columns[ci].plan].scrubbed = Some(
            crate::scrub::KINDS
                .iter()
                .zip(counts)
                .filter(|(_, n)| *n > 0)
                .map(|((k, _, _), n)| (k.to_string(), n))
                .collect(),
        );
    }
    let output_sha = sha256_file(&parquet_path)?;
    report.output_file = Some(parquet_name.clone());
    report.output_sha256 = Some(output_sha.clone());
    report.timings.write_ms = write_started.elapsed().as_millis() as u64;
    report.timings.total_ms = started.elapsed().as_millis() as u64;

    let json = serde_json::to_string_pretty(&report).map_err(|e| EngineError::Internal(e.to_string()))?;
    let write = |name: &str, text: &str| {
        let p = target.release_dir.join(name);
        std::fs::write(&p, text).map_err(|e| output_err(&p)(e.to_string()))
    };
    write("report.json", &json)?;
    let (ja, en, dict) = (report.officer(Lang::Ja), report.officer(Lang::En), report.dictionary());
    let docs = [
        ("report.md", ja.markdown()),
        ("report.html", ja.html()),
        ("report.en.md", en.markdown()),
        ("report.en.html", en.html()),
        ("data_dictionary.md", dict.markdown()),
        ("data_dictionary.html", dict.html()),
    ];
    for (name, text) in &docs {
        write(name, text)?;
    }
    let mut files = Vec::new();
    for name in std::iter::once("report.json").chain(docs.iter().map(|(n, _)| *n)) {
        files.push((name.to_string(), sha256_file(&target.release_dir.join(name))?));
    }
    files.push((parquet_name, output_sha));
    facts.outputs = files.iter().map(|(n, h)| format!("{n}={h}")).collect();
    Ok(RunOutcome { report, files })
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
                present.sort();
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
                cells_suppressed: global
                    .filter(|_| matches!(c.action, Action::SuppressRare { .. }))
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

/// The encoded release: what pass 2 needs to write the kept rows.
struct Encoded<'a> {
    /// The scrubber of free-text columns, and the spill column of each row's identifiers.
    scrubber: Option<&'a crate::scrub::Scrubber>,
    row_ids: Option<usize>,
    /// The k-anonymity class of each accepted row.
    class_of_row: &'a [u32],
    columns: &'a [OutColumn],
    /// The kind of bounds written after each column, if any.
    bounds: &'a [Option<BoundKind>],
    dicts: &'a [Dictionary],
    nulled: &'a [Vec<bool>],
    keep: &'a [bool],
    batch_lens: &'a [usize],
    spilled: bool,
}

/// Pass 2: read the spill back batch by batch, keep the rows the privacy models allow, decode the
/// dictionary columns and write Parquet, through the shuffle when asked.
#[allow(clippy::too_many_arguments)]
fn write_parquet(
    path: &std::path::Path,
    out_schema: SchemaRef,
    metadata: Vec<(String, String)>,
    enc: &Encoded,
    tally: &mut Tally,
    tmp_dir: &std::path::Path,
    shuffle: bool,
    rows_out: usize,
    progress: &dyn Progress,
) -> Result<(), EngineError> {
    let mut writer = parquet_writer(path, out_schema.clone(), metadata)?;
    let werr = output_err(path);
    // Shuffled output: rows go to random buckets on disk, then each bucket is permuted in memory.
    let mut shuffler = if shuffle { Some(Shuffler::new(tmp_dir, &out_schema, rows_out)?) } else { None };
    let mut spill_reader = if !enc.spilled {
        None
    } else {
        let p = tmp_dir.join("spill.arrow");
        let f = File::open(&p).map_err(|e| output_err(&p)(e.to_string()))?;
        Some(
            FileReader::try_new(BufReader::with_capacity(1 << 20, f), None)
                .map_err(|e| output_err(&p)(e.to_string()))?,
        )
    };
    progress.stage("writing Parquet", Some(enc.keep.len() as u64));
    let mut bound_cache: Vec<rustc_hash::FxHashMap<String, Option<Bounds>>> =
        vec![Default::default(); enc.columns.len()];
    let mut start = 0usize;
    for &len in enc.batch_lens {
        let spilled = match spill_reader.as_mut() {
            Some(r) => Some(
                r.next()
                    .ok_or_else(|| EngineError::Internal("spill file ended early".into()))?
                    .map_err(|e| werr(e.to_string()))?,
            ),
            None => None,
        };
        if len == 0 {
            continue;
        }
        let keep = &enc.keep[start..start + len];
        let mask = BooleanArray::from(keep.to_vec());
        let kept = keep.iter().filter(|k| **k).count();
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(enc.columns.len());
        for (ci, c) in enc.columns.iter().enumerate() {
            match c.slot {
                Slot::Local(j) => {
                    let sp = spilled.as_ref().ok_or_else(|| EngineError::Internal("missing spill".into()))?;
                    let col = arrow::compute::filter(sp.column(j), &mask)
                        .map_err(|e| EngineError::Internal(e.to_string()))?;
                    match (c.transform.is_scrub(), enc.scrubber, enc.row_ids) {
                        (true, Some(scrubber), Some(r)) => {
                            let ids = arrow::compute::filter(sp.column(r), &mask)
                                .map_err(|e| EngineError::Internal(e.to_string()))?;
                            arrays.push(scrub_array(&col, &ids, scrubber, tally.scrubbed(ci))?);
                        }
                        _ => arrays.push(col),
                    }
                }
                Slot::Global(d) => {
                    let mut b = ColumnBuilder::new(&c.transform.output_type(), kept);
                    for (code, k) in enc.dicts[d].codes[start..start + len].iter().zip(keep) {
                        if *k {
                            let code = *code as usize;
                            b.append(if enc.nulled[d][code] { &Cell::Null } else { &enc.dicts[d].values[code] })?;
                        }
                    }
                    arrays.push(b.finish());
                }
            }
            if let (Some(kind), Some(g)) = (enc.bounds[ci], c.transform.generalizer()) {
                let labels = arrays.last().expect("just pushed").clone();
                let (lo, hi) = bound_arrays(&labels, kind, g, &mut bound_cache[ci])?;
                arrays.push(lo);
                arrays.push(hi);
            }
        }
        let ids: Vec<u32> =
            enc.class_of_row[start..start + len].iter().zip(keep).filter(|(_, k)| **k).map(|(c, _)| *c).collect();
        tally.add(&arrays, &ids);
        let rb = RecordBatch::try_new_with_options(
            out_schema.clone(),
            arrays,
            &RecordBatchOptions::new().with_row_count(Some(kept)),
        )
        .map_err(|e| EngineError::Internal(e.to_string()))?;
        if rb.num_rows() > 0 {
            match shuffler.as_mut() {
                Some(sh) => sh.scatter(&rb)?,
                None => writer.write(&rb).map_err(|e| werr(e.to_string()))?,
            }
        }
        start += len;
        progress.set(start as u64);
    }
    if let Some(sh) = shuffler.take() {
        sh.gather(&mut writer, &out_schema)?;
    }
    writer.close().map_err(|e| werr(e.to_string()))?;
    drop(spill_reader);
    let _ = std::fs::remove_file(tmp_dir.join("spill.arrow"));
    progress.finish();
    Ok(())
}

/// Scrub a column of free text, row by row with the row's identifiers; a residual identifier
/// fails the run.
fn scrub_array(
    texts: &ArrayRef,
    ids: &ArrayRef,
    scrubber: &crate::scrub::Scrubber,
    counts: &mut crate::scrub::Counts,
) -> Result<ArrayRef, EngineError> {
    use arrow::array::{Array, AsArray, StringBuilder};
    let (texts, ids) = (texts.as_string::<i32>(), ids.as_string::<i32>());
    let mut b = StringBuilder::with_capacity(texts.len(), texts.len() * 16);
    for i in 0..texts.len() {
        if texts.is_null(i) {
            b.append_null();
            continue;
        }
        let row_ids: Vec<&str> = if ids.is_null(i) { Vec::new() } else { ids.value(i).split('\u{1F}').collect() };
        let (out, n) = scrubber.scrub(texts.value(i), &row_ids);
        if let Some(what) = scrubber.residual(&out, &row_ids) {
            return Err(EngineError::Privacy(format!(
                "a scrubbed text still holds {what}: nothing was written (the text is not shown)"
            )));
        }
        for (c, k) in counts.iter_mut().zip(n) {
            *c += k;
        }
        b.append_value(out);
    }
    Ok(Arc::new(b.finish()))
}

/// The lower and upper bound columns of a column of labels (null where a bound is open or the
/// label is null).
fn bound_arrays(
    labels: &ArrayRef,
    kind: BoundKind,
    g: &crate::transform::Generalize,
    cache: &mut rustc_hash::FxHashMap<String, Option<Bounds>>,
) -> Result<(ArrayRef, ArrayRef), EngineError> {
    use arrow::array::{Array, AsArray, Date32Builder, Int64Builder};
    let labels = labels.as_string::<i32>();
    let mut of = |i: usize| -> Result<Option<Bounds>, EngineError> {
        if labels.is_null(i) {
            return Ok(None);
        }
        let l = labels.value(i);
        if let Some(b) = cache.get(l) {
            return Ok(*b);
        }
        let b = g.bounds_of(l);
        if b.is_none() {
            return Err(EngineError::Internal("a generalised label has no bounds".into()));
        }
        cache.insert(l.to_string(), b);
        Ok(b)
    };
    Ok(match kind {
        BoundKind::Int => {
            let (mut lo, mut hi) =
                (Int64Builder::with_capacity(labels.len()), Int64Builder::with_capacity(labels.len()));
            for i in 0..labels.len() {
                let (a, b) = match of(i)? {
                    Some(Bounds::Int(a, b)) => (a, b),
                    _ => (None, None),
                };
                lo.append_option(a);
                hi.append_option(b);
            }
            (Arc::new(lo.finish()) as ArrayRef, Arc::new(hi.finish()) as ArrayRef)
        }
        BoundKind::Date => {
            let (mut lo, mut hi) =
                (Date32Builder::with_capacity(labels.len()), Date32Builder::with_capacity(labels.len()));
            for i in 0..labels.len() {
                let (a, b) = match of(i)? {
                    Some(Bounds::Date(a, b)) => (a, b),
                    _ => (None, None),
                };
                lo.append_option(a);
                hi.append_option(b);
            }
            (Arc::new(lo.finish()) as ArrayRef, Arc::new(hi.finish()) as ArrayRef)
        }
    })
}

/// The hierarchy above a generalised column's values: each code's labels at the levels above
/// its own, from one representative raw value per code.
fn value_tree(
    dict: &Dictionary,
    g: &crate::transform::Generalize,
) -> Result<Option<tokumei_anon::models::Tree>, EngineError> {
    let (lo, hi) = (g.level(), g.hierarchy().max_level());
    let Some(reps) = dict.representatives.as_ref() else { return Ok(None) };
    if hi <= lo {
        return Ok(None);
    }
    let mut labels = Vec::with_capacity(reps.len());
    for rep in reps {
        let mut chain = Vec::new();
        for level in lo + 1..=hi {
            chain.push(match rep {
                None => "\u{0}null".to_string(),
                Some(raw) => {
                    g.label_at(raw, level).map_err(|m| EngineError::Internal(format!("relabelling failed: {}", m.0)))?
                }
            });
        }
        labels.push(chain);
    }
    Ok(Some(tokumei_anon::models::Tree::from_labels(&labels)))
}

/// Ranks of a dictionary's values when they are ordered (integers, dates): for ordered
/// t-closeness distance.
pub(crate) fn rank_of(values: &[Cell]) -> Option<Vec<u32>> {
    if !values.iter().any(|v| matches!(v, Cell::Int(_) | Cell::Date(_))) {
        return None;
    }
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| values[*a].cmp(&values[*b]));
    let mut rank = vec![0u32; values.len()];
    for (r, i) in order.into_iter().enumerate() {
        rank[i] = r as u32;
    }
    Some(rank)
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

/// The residual scan of pass 1: whether a kept or masked text cell of the row holds one of the
/// row's identifier values (of at least 4 characters). Returns (index in `columns`, input column
/// of the identifier).
#[allow(clippy::too_many_arguments)]
fn residual(
    batch: &RawBatch,
    row: usize,
    columns: &[OutColumn],
    checked: &[usize],
    identifiers: &[usize],
    dicts: &[Dictionary],
    codes: &[u32],
    cells: &[Cell],
) -> Option<(usize, usize)> {
    if checked.is_empty() {
        return None;
    }
    for &ci in checked {
        let cell = match columns[ci].slot {
            Slot::Global(d) => &dicts[d].values[codes[d] as usize],
            Slot::Local(j) => &cells[j],
        };
        let Cell::Str(text) = cell else { continue };
        for &i in identifiers {
            let Some(id) = batch.value(row, i) else { continue };
            let id = id.trim();
            if id.chars().count() >= 4 && text.len() >= id.len() && text.contains(id) {
                return Some((ci, i));
            }
        }
    }
    None
}

/// Transform one row into `codes` (dictionary columns) and `cells` (spilled columns).
/// On a malformed value, returns the column index in `columns` and the reason.
fn transform_row(
    batch: &RawBatch,
    row: usize,
    columns: &[OutColumn],
    dicts: &mut [Dictionary],
    codes: &mut [u32],
    cells: &mut [Cell],
) -> Result<(), (usize, crate::cell::Malformed)> {
    let mut joined = String::new();
    for (ci, c) in columns.iter().enumerate() {
        let mut v = batch.value(row, c.input);
        if !c.extra.is_empty() {
            // A composite identifier: its parts, in rule order, joined by a unit separator.
            let parts: Vec<Option<&str>> =
                std::iter::once(v).chain(c.extra.iter().map(|i| batch.value(row, *i))).collect();
            if parts.iter().any(Option::is_some) {
                joined.clear();
                for (k, p) in parts.iter().enumerate() {
                    if k > 0 {
                        joined.push('\u{1F}');
                    }
                    joined.push_str(p.map(str::trim).unwrap_or_default());
                }
                v = Some(joined.as_str());
            }
        }
        match c.slot {
            Slot::Global(d) => {
                let dict = &mut dicts[d];
                let cached = v.and_then(|raw| dict.cached(raw));
                codes[d] = match cached {
                    Some(code) => code,
                    None => {
                        let cell = c.transform.apply(v).map_err(|m| (ci, m))?;
                        let code = dict.intern_raw(cell, v);
                        if let Some(raw) = v {
                            dict.remember(raw, code);
                        }
                        code
                    }
                };
            }
            Slot::Local(j) => cells[j] = c.transform.apply(v).map_err(|m| (ci, m))?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
    }
}
