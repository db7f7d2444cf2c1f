//! Stage 3, pass 1: every row read and transformed. Dictionary columns get a code per row, the
//! others go to the spill file; malformed rows stop the run or are counted; names are collected
//! for scrubbing and kept text is scanned for the row's identifiers.

use super::layout::{Layout, OutColumn, Slot};
use super::{RunFacts, RunOptions, Target};
use crate::cell::Cell;
use crate::error::{EngineError, output_err};
use crate::ingest::{self, RawBatch};
use crate::output::ColumnBuilder;
use crate::privacy::Dictionary;
use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{Schema, SchemaRef};
use arrow::ipc::writer::FileWriter;
use std::fs::File;
use std::io::BufWriter;
use std::sync::Arc;
use std::time::Instant;
use tokumei_rules::OnMalformed;

/// What pass 1 found.
pub(super) struct Encoded {
    pub layout: Layout,
    /// Accepted rows per input batch (the spill's batches, in order).
    pub batch_lens: Vec<usize>,
    pub rows_in: u64,
    pub rejected: u64,
    pub rejected_by_column: Vec<u64>,
    /// (plan column, reason) -> rows.
    pub rejected_reasons: Vec<((usize, String), u64)>,
    pub input_sha256: String,
    /// What was read of each input file (a query job).
    pub inputs: Vec<ingest::InputFacts>,
    pub encoding_used: Option<&'static str>,
    /// Names of the file, for scrubbing.
    pub name_set: crate::scrub::NameSet,
    pub ingest_ms: u64,
}

/// Read and transform every row.
pub(super) fn encode(
    mut layout: Layout,
    opts: &RunOptions,
    target: Option<&Target>,
    facts: &mut RunFacts,
    started: Instant,
) -> Result<Encoded, EngineError> {
    let source = layout.source.take().ok_or_else(|| EngineError::Internal("input already read".into()))?;
    let Layout {
        job, plan, columns, dicts, spill_fields, identifier_inputs, name_inputs, row_ids_slot, checked, ..
    } = &mut layout;
    let (job, plan, columns) = (&*job, &*plan, &*columns);
    let (identifier_inputs, name_inputs, checked) = (&*identifier_inputs, &*name_inputs, &*checked);
    let row_ids_slot = *row_ids_slot;
    let spill_fields = &*spill_fields;
    let mut name_set = crate::scrub::NameSet::default();
    let spill_path = target.map(|t| t.tmp_dir.join("spill.arrow"));
    let file = ingest::source_file(job);

    // Pass 1: ingest and transform; local columns go to the spill file.
    let spill_schema: SchemaRef = Arc::new(Schema::new(spill_fields.clone()));
    let mut spill = match &spill_path {
        Some(p) if !spill_fields.is_empty() => {
            let f = File::create(p).map_err(|e| output_err(p, e))?;
            Some(
                FileWriter::try_new(BufWriter::with_capacity(1 << 20, f), &spill_schema)
                    .map_err(|e| output_err(p, e))?,
            )
        }
        _ => None,
    };
    let spill_err = |e: arrow::error::ArrowError| output_err(spill_path.as_deref().unwrap_or(file.as_path()), e);
    let mut batch_lens: Vec<usize> = Vec::new();
    let stats = source.stats();
    let encoding_used = source.encoding();
    let inputs = source.inputs();
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
    // Columns transformed row by row without a dictionary (pseudonyms, kept values, masks):
    // pure functions of their row, computed on every core before the rows are encoded in order.
    let locals: Vec<usize> = (0..columns.len()).filter(|c| matches!(columns[*c].slot, Slot::Local(_))).collect();
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    for batch in batches {
        let batch = batch?;
        let mut builders: Vec<ColumnBuilder> =
            spill_fields.iter().map(|f| ColumnBuilder::new(f.data_type(), batch.len())).collect();
        let mut precomputed = transform_locals(&batch, columns, &locals, threads);
        let mut accepted = 0usize;
        for row in 0..batch.len() {
            rows_in += 1;
            let row_locals = precomputed.get_mut(row * locals.len()..(row + 1) * locals.len()).unwrap_or_default();
            match transform_row(&batch, row, columns, dicts, &mut codes, &mut cells, row_locals) {
                Ok(()) => {
                    for i in name_inputs.iter() {
                        if let Some(v) = batch.value(row, *i) {
                            name_set.add(v);
                        }
                    }
                    if let Some(j) = row_ids_slot {
                        let ids: Vec<&str> = identifier_inputs.iter().filter_map(|i| batch.value(row, *i)).collect();
                        cells[j] = Cell::str(ids.join("\u{1F}").as_str());
                    }
                    if let Some(found) =
                        residual(&batch, row, columns, checked, identifier_inputs, dicts, &codes, &cells)
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
                            file.display(),
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
                        file: file.clone(),
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
            file: file.clone(),
            rejected,
            rows: rows_in,
            max: max_rejected,
            first: first_rejection.unwrap_or_default(),
        });
    }
    if rows_in == 0 {
        return Err(EngineError::Input {
            file: file.clone(),
            message: "has no data rows (a release needs at least one)".into(),
        });
    }

    let ingest_ms = started.elapsed().as_millis() as u64;
    let input_sha256 = stats.sha256();
    Ok(Encoded {
        layout,
        batch_lens,
        rows_in,
        rejected,
        rejected_by_column,
        rejected_reasons,
        input_sha256,
        encoding_used,
        inputs,
        name_set,
        ingest_ms,
    })
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
    for &i in identifiers {
        let Some(id) = batch.value(row, i) else { continue };
        let id = id.trim();
        if id.len() < 4 {
            continue; // fewer than 4 bytes: fewer than 4 characters
        }
        let mut long_enough: Option<bool> = None;
        for &ci in checked {
            let cell = match columns[ci].slot {
                Slot::Global(d) => &dicts[d].values[codes[d] as usize],
                Slot::Local(j) => &cells[j],
            };
            let Cell::Str(text) = cell else { continue };
            if text.len() >= id.len()
                && *long_enough.get_or_insert_with(|| id.chars().count() >= 4)
                && text.contains(id)
            {
                return Some((ci, i));
            }
        }
    }
    None
}

/// Transform one row into `codes` (dictionary columns) and `cells` (spilled columns).
/// On a malformed value, returns the column index in `columns` and the reason.
/// A value of `c` in `row`: the input value, or for a composite identifier its parts, in rule
/// order, joined by a unit separator (in `joined`).
fn value_of<'a>(batch: &'a RawBatch, row: usize, c: &OutColumn, joined: &'a mut String) -> Option<&'a str> {
    let v = batch.value(row, c.input);
    if c.extra.is_empty() {
        return v;
    }
    let parts: Vec<Option<&str>> = std::iter::once(v).chain(c.extra.iter().map(|i| batch.value(row, *i))).collect();
    if !parts.iter().any(Option::is_some) {
        return v;
    }
    joined.clear();
    for (k, p) in parts.iter().enumerate() {
        if k > 0 {
            joined.push('\u{1F}');
        }
        joined.push_str(p.map(str::trim).unwrap_or_default());
    }
    Some(joined.as_str())
}

/// The cells of the columns `locals` for every row of `batch`, row-major, computed on up to
/// `threads` threads over contiguous row ranges. Each is a pure function of its row, so the
/// result does not depend on the number of threads.
fn transform_locals(
    batch: &RawBatch,
    columns: &[OutColumn],
    locals: &[usize],
    threads: usize,
) -> Vec<Option<Result<Cell, crate::cell::Malformed>>> {
    let rows = batch.len();
    if locals.is_empty() || rows == 0 {
        return Vec::new();
    }
    let run = |range: std::ops::Range<usize>| {
        let mut out = Vec::with_capacity(range.len() * locals.len());
        let mut joined = String::new();
        for row in range {
            for c in locals {
                let c = &columns[*c];
                out.push(Some(c.transform.apply(value_of(batch, row, c, &mut joined))));
            }
        }
        out
    };
    // Below a few thousand rows a thread costs more than it saves.
    let threads = threads.clamp(1, rows.div_ceil(4096));
    if threads == 1 {
        return run(0..rows);
    }
    let chunk = rows.div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> =
            (0..threads).map(|t| scope.spawn(move || run(t * chunk..((t + 1) * chunk).min(rows)))).collect();
        let mut out = Vec::with_capacity(rows * locals.len());
        for p in parts {
            match p.join() {
                Ok(part) => out.extend(part),
                // A thread that failed leaves every row to be computed again, in order.
                Err(_) => return Vec::new(),
            }
        }
        out
    })
}

/// Encode one row: global columns through their dictionaries (cached by raw value), local
/// columns from `precomputed` (in the order of the local columns). Stops at the first column
/// whose value is malformed, in rule order.
fn transform_row(
    batch: &RawBatch,
    row: usize,
    columns: &[OutColumn],
    dicts: &mut [Dictionary],
    codes: &mut [u32],
    cells: &mut [Cell],
    precomputed: &mut [Option<Result<Cell, crate::cell::Malformed>>],
) -> Result<(), (usize, crate::cell::Malformed)> {
    let mut joined = String::new();
    let mut local = 0;
    for (ci, c) in columns.iter().enumerate() {
        match c.slot {
            Slot::Global(d) => {
                let v = value_of(batch, row, c, &mut joined);
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
            Slot::Local(j) => {
                let result = precomputed.get_mut(local).and_then(Option::take);
                local += 1;
                cells[j] = match result {
                    Some(r) => r.map_err(|m| (ci, m))?,
                    None => c.transform.apply(value_of(batch, row, c, &mut joined)).map_err(|m| (ci, m))?,
                };
            }
        }
    }
    Ok(())
}
