//! A run whose rows were read, transformed and counted elsewhere (a cluster: issue 34,
//! [`crate::distributed`]): the class table it returns (each combination of the global columns'
//! cells with its rows) stands for pass 1's combination table, and the later stages run on it
//! as they run on one machine: the same layout, the same models and search
//! ([`super::anonymize`]), the same report and processing standards ([`super::assemble`]). What
//! comes back is the report and, per combination, whether its rows are released and the values
//! they are released with, which the rows' writer (the cluster) looks each row up in.

use super::encode::Encoded;
use super::layout::{Layout, Slot};
use super::prepare::Prepared;
use super::{RunError, RunFacts, RunOptions, Target, anonymize, assemble, layout, perturbation};
use crate::cell::Cell;
use crate::error::EngineError;
use crate::output::ColumnBuilder;
use crate::privacy::Dictionary;
use crate::report::Report;
use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, SchemaRef};
use std::time::Instant;

/// The class table a cluster counted: one entry per distinct combination of the global
/// (dictionary) columns' cells, those columns in the order of [`crate::distributed::Shape`].
pub struct ClassTable {
    /// Per global column, each combination's cell (typed as the column's transform outputs).
    pub columns: Vec<ArrayRef>,
    /// Per global column, each combination's raw input value (any one of its rows': they all
    /// give the combination's cell), where the column's dictionary keeps one (the search's
    /// and the value trees' labels at other levels come from it); `None` elsewhere.
    pub representatives: Vec<Option<ArrayRef>>,
    /// Each combination's rows.
    pub weights: Vec<u32>,
    /// What identifies the input read (the cluster's parts).
    pub input_sha256: String,
    /// Time the cluster took to read and count, in milliseconds.
    pub ingest_ms: u64,
}

/// What the coordinator decided from a class table.
pub struct Decided {
    /// The run's report (of what pass 2 counts as it writes: the global columns' value
    /// summaries and the release risk, counted from the kept combinations; no utility
    /// comparison; the residual scan's findings once [`judge`]d; no output files).
    pub report: Report,
    /// The release's schema, as one machine writes it (field metadata included).
    pub schema: SchemaRef,
    /// The Parquet file's key-value metadata.
    pub metadata: Vec<(String, String)>,
    /// Per combination: whether its rows are released.
    pub keep: Vec<bool>,
    /// Per field of `schema`: the released values of each combination (a global column and
    /// its bounds), or `None` for a column the writer computes from each row's input (its plan
    /// column in `local`).
    pub by_combination: Vec<Option<ArrayRef>>,
    /// Per field of `schema`: the plan column the writer transforms row by row, if local.
    pub local: Vec<Option<usize>>,
    /// What the residual scan of the released text wants of the rows, when it reads any (the
    /// rows' keys among these are handed to [`judge`] before anything is written).
    pub scan: Option<super::scan_request::ScanRequest>,
    /// The scan still to judge.
    pending: Option<PendingScan>,
}

impl Decided {
    /// Whether the residual scan, if the run has one, was judged ([`judge`]): nothing may be
    /// written before.
    pub fn judged(&self) -> bool {
        self.pending.is_none()
    }
}

/// The residual scan of a decided run, waiting for the rows' keys.
struct PendingScan {
    hasher: crate::residual::KeyHasher,
    /// The released texts of the scanned dictionary columns: (engine column, text, rows).
    texts: Vec<(usize, String, u64)>,
    /// The scanned engine columns, in order.
    scanned: Vec<usize>,
    /// Per engine column: its plan column.
    plan_of: Vec<usize>,
    plan: tokumei_rules::Plan,
}

/// Judge the released text of a decided run by the rows' keys the cluster found among those
/// [`Decided::scan`] wants (`hits`) and, per name input whose values are names only if most
/// are, whether they are (`told`): as one machine judges it from pass 1's keys. A whole name,
/// identifier number, address or e-mail address of the extract in a released text fails the
/// run (nothing may be written); otherwise standard 1 gets what the scan read and found.
pub fn judge(decided: &mut Decided, hits: &[super::scan_request::Hit], told: &[bool]) -> Result<(), EngineError> {
    let Some(p) = decided.pending.take() else { return Ok(()) };
    let counts = |o: u32| o == 0 || told.get(o as usize - 1).copied().unwrap_or(false);
    let keys = hits.iter().filter(|(o, _, _)| counts(*o)).map(|&(_, k, payload)| (k, payload)).collect();
    let scanner = crate::residual::Scanner::of_keys(p.hasher, keys);
    let mut found: Vec<(usize, crate::scrub::Found)> = p.scanned.iter().map(|ci| (*ci, Default::default())).collect();
    for (ci, text, rows) in &p.texts {
        let mut f = crate::scrub::Found::default();
        scanner.scan(text, &[], &mut f);
        if let Some((_, total)) = found.iter_mut().find(|(c, _)| c == ci) {
            total.add(&f, *rows);
        }
    }
    found.sort_by_key(|(c, _)| *c);
    super::stage::residual_verdict(&found, &[], &|ci| p.plan_of[ci], &p.plan, &mut decided.report)
}

/// Decide a run from a class table counted elsewhere. Fails as a run fails (a privacy model
/// or a processing standard not met, a job this path cannot run), with what is known of it.
pub fn decide(prepared: Prepared, table: ClassTable, opts: &RunOptions, target: &Target) -> Result<Decided, RunError> {
    let mut facts = prepared.facts.clone();
    match decide_with(prepared, table, opts, target, &mut facts) {
        Ok(d) => Ok(d),
        Err(error) => Err(RunError { error, facts: Box::new(facts) }),
    }
}

fn decide_with(
    prepared: Prepared,
    table: ClassTable,
    opts: &RunOptions,
    target: &Target,
    facts: &mut RunFacts,
) -> Result<Decided, EngineError> {
    let started = Instant::now();
    let layout = layout::layout(prepared)?;
    // The gate again, on the real layout: a job that needs rows in one place fails closed here
    // even if the caller's check drifted from it.
    if let Some(why) = layout_refusal(&layout) {
        return Err(EngineError::Config(why));
    }
    facts.input_sha256 = Some(table.input_sha256.clone());
    let encoded = encoded(layout, table, started)?;
    let perturbed = perturbation::perturb(encoded)?;
    let anonymized = anonymize::anonymize(perturbed)?;
    let mut assembled = assemble::assemble(anonymized, opts)?;
    if let Some(refused) = assembled.refused.take() {
        return Err(refused);
    }
    let an = &assembled.an;
    let layout = &an.enc.layout;
    let (schema, bound_kinds) = super::stage::out_schema(&layout.plan, &layout.columns, &assembled.report);
    summaries(an, &schema, &bound_kinds, &mut assembled.report);
    // Fail closed: a report without its release risk would drop its warnings silently.
    let risk = super::stage::aggregated_risk(an, &assembled.report, &bound_kinds).ok_or_else(|| {
        EngineError::Config(
            "this job cannot run on the cluster: the release risk over a column outside the key whose values are made row by row (not dictionary-coded) has no distributed form yet: run it on one machine (without --cluster)"
                .into(),
        )
    })?;
    assembled.report.release_risk = Some(risk);
    // What the release changed, from the combinations each weighed by its rows.
    assembled.report.utility = Some(super::changed::utility(an, &assembled.report, target.release_dir));
    let report = &assembled.report;
    let metadata = super::stage::file_metadata(&layout.plan, &layout.release_id, report, target.audit_head.as_deref());
    let combos = layout.dicts.first().map_or(0, |d| d.codes.len());
    let mut by_combination = Vec::new();
    let mut local = Vec::new();
    let mut cache = rustc_hash::FxHashMap::default();
    for (c, kind) in layout.columns.iter().zip(&bound_kinds) {
        let labels = match c.slot {
            Slot::Global(d) => {
                let nulled = an.nulled.get(d).map(Vec::as_slice).unwrap_or(&[]);
                Some(released(&layout.dicts[d], nulled, &c.transform.output_type(), combos)?)
            }
            Slot::Local(_) => None,
        };
        local.push(labels.is_none().then_some(c.plan));
        by_combination.push(labels.clone());
        let bounded = report.columns.get(c.plan).and_then(|r| r.bounds.as_ref()).is_some();
        if let (Some(kind), Some(g), true) = (kind, c.transform.generalizer(), bounded) {
            let (lo, hi) = match &labels {
                Some(l) => {
                    let (lo, hi) = super::stage::bound_arrays(l, *kind, g, &mut cache)?;
                    (Some(lo), Some(hi))
                }
                None => return Err(EngineError::Internal("a generalised column is not global".into())),
            };
            by_combination.extend([lo, hi]);
            local.extend([None, None]);
        }
    }
    if by_combination.len() != schema.fields().len() {
        return Err(EngineError::Internal("the release's columns do not match its schema".into()));
    }
    let pending = (!layout.scanned.is_empty()).then(|| {
        let texts =
            super::stage::scanned_texts(&layout.scanned, &layout.columns, &layout.dicts, &an.value_counts, &an.nulled);
        PendingScan {
            hasher: an.enc.hasher.clone(),
            texts: texts.map(|(ci, t, rows)| (ci, t.to_string(), rows)).collect(),
            scanned: layout.scanned.clone(),
            plan_of: layout.columns.iter().map(|c| c.plan).collect(),
            plan: layout.plan.clone(),
        }
    });
    let scan = match &pending {
        None => None,
        Some(p) => Some(
            super::scan_request::ScanRequest::new(&p.hasher, p.texts.iter().map(|(_, t, _)| t.as_str())).ok_or_else(
                || {
                    EngineError::Config(format!(
                        "the residual scan of released columns with this many distinct texts (more than {} keys of their stretches) has no distributed form yet: run it on one machine (without --cluster)",
                        super::scan_request::MAX_WANTED
                    ))
                },
            )?,
        ),
    };
    let keep = an.enforcement.keep.clone();
    Ok(Decided { keep, schema, metadata, by_combination, local, scan, pending, report: assembled.report })
}

/// Each global column's value summary in the report, from its released values' counts (as pass
/// 2 presets them for a dictionary column); a column transformed row by row on the cluster (a
/// pseudonym) gets none.
fn summaries(
    an: &anonymize::Anonymized,
    schema: &SchemaRef,
    bound_kinds: &[Option<crate::transform::BoundKind>],
    report: &mut Report,
) {
    let layout = &an.enc.layout;
    let (plan, columns, dicts) = (&layout.plan, &layout.columns, &layout.dicts);
    let written = super::stage::written_columns(plan, columns, report, bound_kinds).written;
    let mut tally = crate::tally::Tally::new(written.len(), Vec::new(), Vec::new(), 0);
    for (w, (ci, bound)) in written.iter().enumerate() {
        if let (false, Slot::Global(d)) = (bound, &columns[*ci].slot) {
            tally.preset(w, &dicts[*d].values, &an.value_counts[*d], &an.nulled[*d]);
        }
    }
    super::stage::describe_written(&mut tally, schema, &written, columns, report);
    for c in columns.iter().filter(|c| matches!(c.slot, Slot::Local(_))) {
        report.columns[c.plan].values = None;
    }
}

/// Each combination's released value of one dictionary column (null where rare-value
/// suppression nulled its code).
fn released(d: &Dictionary, nulled: &[bool], ty: &DataType, combos: usize) -> Result<ArrayRef, EngineError> {
    let mut b = ColumnBuilder::new(ty, combos);
    for code in &d.codes {
        let code = *code as usize;
        match nulled.get(code) {
            Some(true) => b.append(&Cell::Null)?,
            _ => b.append(d.values.get(code).unwrap_or(&Cell::Null))?,
        }
    }
    Ok(b.finish())
}

/// Pass 1's result from the class table: each dictionary given the combinations' cells (one
/// code per combination), the combination table their rows, and no per-row state (every row a
/// person: the caller checked that no subject has several rows).
fn encoded(mut layout: Layout, table: ClassTable, started: Instant) -> Result<Encoded, EngineError> {
    let n = table.weights.len();
    if table.columns.len() != layout.dicts.len() || table.representatives.len() != layout.dicts.len() {
        return Err(EngineError::Internal("the class table's columns do not match the layout".into()));
    }
    for (d, (cells, raws)) in layout.dicts.iter_mut().zip(table.columns.iter().zip(&table.representatives)) {
        if cells.len() != n || raws.as_ref().is_some_and(|r| r.len() != n) {
            return Err(EngineError::Internal("a class table column has the wrong length".into()));
        }
        let raws = raws.as_ref().map(|r| r.as_string::<i32>());
        d.codes = Vec::with_capacity(n);
        for i in 0..n {
            let cell = cell_at(cells, i)?;
            let raw = raws.and_then(|r| (!r.is_null(i)).then(|| r.value(i)));
            let code = d.intern_raw(cell, raw);
            d.codes.push(code);
        }
    }
    let rows_in: u64 = table.weights.iter().map(|w| u64::from(*w)).sum();
    // Classes are counted in 32 bits (`anon::Classes`): a class of more rows would wrap.
    if rows_in > u64::from(u32::MAX) {
        return Err(EngineError::Config(format!(
            "this job cannot run: its {rows_in} rows are more than the 2^32 a class may count (classes are counted in 32 bits)"
        )));
    }
    let implied = layout.implied.iter().map(|_| crate::row_hashes::RowHashes::new(None)).collect();
    let keys = crate::residual::KeySpill::new(None)
        .finish()
        .map_err(|e| crate::error::output_err(&std::env::temp_dir(), e))?;
    Ok(Encoded {
        batch_lens: Vec::new(),
        rows_in,
        rejected: 0,
        rejected_by_column: vec![0; layout.plan.columns.len()],
        rejected_reasons: Vec::new(),
        input_sha256: table.input_sha256,
        inputs: Vec::new(),
        encoding_used: Some("UTF-8 (read by the cluster)"),
        name_set: crate::scrub::NameSet::default(),
        keys,
        hasher: crate::residual::KeyHasher::new(),
        told: Vec::new(),
        ingest_ms: table.ingest_ms.max(started.elapsed().as_millis() as u64),
        scattered: None,
        subjects: crate::row_hashes::RowHashes::new(None),
        units: crate::row_hashes::Units::new(None),
        implied,
        combos: Some(crate::combos::Combos::aggregated(table.weights)),
        layout,
    })
}

/// The cell of a typed class-table column at `i`.
fn cell_at(a: &ArrayRef, i: usize) -> Result<Cell, EngineError> {
    if a.is_null(i) {
        return Ok(Cell::Null);
    }
    Ok(match a.data_type() {
        DataType::Utf8 => Cell::str(a.as_string::<i32>().value(i)),
        DataType::Int64 => Cell::Int(a.as_primitive::<arrow::datatypes::Int64Type>().value(i)),
        DataType::Boolean => Cell::Bool(a.as_boolean().value(i)),
        DataType::Date32 => Cell::Date(a.as_primitive::<arrow::datatypes::Date32Type>().value(i)),
        other => return Err(EngineError::Internal(format!("a class table column of type {other}"))),
    })
}

/// The reports and the data dictionary of a decided run, written into `target`'s release folder
/// (as pass 2 writes them): each file's name and SHA-256.
pub fn write_documents(report: &Report, target: &Target) -> Result<Vec<(String, String)>, EngineError> {
    super::stage::write_documents(report, target)
}

/// The checks of [`crate::distributed::refusal`] that need the laid-out run: the residual scan
/// of text released row by row (a released dictionary column's values are scanned on the
/// cluster: [`judge`]), the columns that may name a person checked to repeat no value (without a
/// `subject`), and perturbation.
fn layout_refusal(layout: &Layout) -> Option<String> {
    let no =
        |what: String| Some(format!("{what} has no distributed form yet: run it on one machine (without --cluster)"));
    // The scan of released dictionary columns has its distributed form (`crate::distributed::
    // scan`), and their check against each row's own identifiers (`crate::distributed::own`); a
    // text released row by row (not dictionary-coded), not yet.
    let local = |ci: &&usize| layout.columns.get(**ci).is_none_or(|c| matches!(c.slot, Slot::Local(_)));
    let row_by_row: Vec<&usize> = layout.scanned.iter().chain(&layout.checked).filter(local).collect();
    if !row_by_row.is_empty() {
        let names: Vec<String> = row_by_row
            .into_iter()
            .filter_map(|i| layout.columns.get(*i))
            .map(|c| layout.plan.columns[c.plan].name.clone())
            .collect();
        return no(format!("the residual scan of text released row by row (columns {})", names.join(", ")));
    }
    if !layout.implied.is_empty() {
        return no("checking that the columns that may name a person repeat no value".into());
    }
    if !layout.perturb.is_empty() {
        return no("perturbation".into());
    }
    None
}
