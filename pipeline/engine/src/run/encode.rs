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
use crate::residual::KeySink;
use crate::row_hashes::RowHashes;
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
    /// Names of the file, for scrubbing (the columns of the scrub rules' `names_from`).
    pub name_set: crate::scrub::NameSet,
    /// The keys of every identifier value of the file (names, numbers, addresses), for the
    /// residual scan, on disk ([`crate::residual`]).
    pub keys: crate::residual::KeyFiles,
    /// The run's key for them.
    pub hasher: crate::residual::KeyHasher,
    /// Per name input: whether its keys count (a column told by its values holds names).
    pub told: Vec<bool>,
    pub ingest_ms: u64,
    /// The spilled columns and each row's number, already scattered to the buckets of the
    /// external shuffle (a shuffled release of a file of known size), instead of a spill file.
    pub scattered: Option<crate::output::Shuffler>,
    /// Each accepted row's subject hash ([`crate::people::subject_hash`]), when the rules
    /// declare a `subject` (a row without one is malformed); empty otherwise. On disk past a
    /// bound ([`RowHashes`]).
    pub subjects: RowHashes,
    /// When the column is released as a code: each row's hash of the value as the code is made
    /// from it (the rows one released code links); empty otherwise, and empty when every row's
    /// is its subject hash (the units are then the subjects: [`crate::row_hashes::Units`]).
    pub units: crate::row_hashes::Units,
    /// Without a declared subject: each row's hash of each column that may name a person
    /// ([`super::layout::Layout::implied`]).
    pub implied: Vec<RowHashes>,
    /// The combinations of the global columns' codes, when the job takes that path
    /// ([`combinable`]): the dictionaries' `codes` then hold one code per combination, and each
    /// row's combination id is on disk.
    pub combos: Option<crate::combos::Combos>,
}

/// Whether pass 1 keeps combinations instead of every row's codes: only when nothing in the job
/// works row by row before the models are done (no perturbation, which rewrites rows; no local
/// recoding, which gives rows of one combination different codes). People with several rows
/// are known after pass 1: the models then give the rows their codes back first.
fn combinable(layout: &Layout) -> bool {
    layout.perturb.is_empty() && layout.plan.privacy.local_recoding == tokumei_rules::LocalRecoding::None
}

/// Read and transform every row. Batches are parsed and transformed on every core; their
/// results are merged in input order, so the codes, the spill and every count are the same for
/// any number of threads.
pub(super) fn encode(
    mut layout: Layout,
    opts: &RunOptions,
    target: Option<&Target>,
    facts: &mut RunFacts,
    started: Instant,
) -> Result<Encoded, EngineError> {
    let source = layout.source.take().ok_or_else(|| EngineError::Internal("input already read".into()))?;
    let combinable_now = combinable(&layout);
    let Layout {
        job,
        plan,
        columns,
        dicts,
        spill_fields,
        identifier_inputs,
        name_inputs,
        number_inputs,
        scanned,
        scrubbing,
        row_ids_slot,
        checked,
        person,
        implied,
        identifier_values,
        released,
        kinds,
        speculated,
        ..
    } = &mut layout;
    let (job, plan, columns, spill_fields) = (&*job, &*plan, &*columns, &*spill_fields);
    let file = ingest::source_file(job);
    let mut cx = BatchContext {
        file: &file,
        plan,
        columns,
        spill_fields,
        identifier_inputs,
        name_inputs,
        checked,
        identifier_values: identifier_values.as_deref(),
        released,
        row_ids_slot: *row_ids_slot,
        representatives: dicts.iter().map(|d| d.representatives.is_some()).collect(),
        names: !name_inputs.is_empty() && *scrubbing,
        scan: !scanned.is_empty(),
        heads: scanned.iter().any(|&ci| matches!(columns[ci].slot, Slot::Local(_))),
        kinds: *kinds,
        combinable: combinable_now,
        hasher: crate::residual::KeyHasher::new(),
        people_key: std::hash::RandomState::new(),
        number_inputs,
        person: person.as_ref().map(|p| (p.inputs.as_slice(), p.plan, p.code.map(|i| &columns[i]))),
        implied: implied.iter().map(|(input, _)| *input).collect(),
    };
    // Pass 1. When it guessed that some kept text needs no number or address keys and a value
    // says otherwise, everything read is dropped and the input is read again with every kind.
    let mut source = source;
    let first = (source.header().to_vec(), file_identity(&file));
    let read = loop {
        match read_rows(source, &cx, dicts, speculated, opts, target)? {
            Some(read) => break read,
            None => {
                let [input] = job.inputs.as_slice() else {
                    return Err(EngineError::Internal("a guess about the scan on a query's rows".into()));
                };
                source = ingest::open_input(input)?;
                if (source.header().to_vec(), file_identity(&file)) != first {
                    return Err(EngineError::Input {
                        file: file.clone(),
                        message: "changed while it was read (its header, size or modification time differ between two reads of one run); run the job again on a file that does not change".into(),
                    });
                }
                *dicts = dicts.iter().map(emptied).collect();
                speculated.clear();
                *kinds = crate::residual::Kinds::ALL;
                cx.kinds = crate::residual::Kinds::ALL;
            }
        }
    };
    let Read { merged, keys, mut spill, scattering, stats, encoding_used, inputs } = read;
    let file = cx.file;
    let spill_path = target.map(|t| t.tmp_dir.join("spill.arrow"));
    let spill_err = |e: arrow::error::ArrowError| output_err(spill_path.as_deref().unwrap_or(file), e);
    let key_err = |e: std::io::Error| output_err(&target.map_or_else(std::env::temp_dir, |t| t.tmp_dir.into()), e);
    // The dictionary columns' released values, each distinct value once (the spilled ones were
    // compared row by row).
    if let Some(values) = identifier_values.as_deref() {
        released_dictionaries(values, released, plan, columns, dicts, file)?;
    }
    opts.progress.finish();
    if let Some(mut w) = spill.take() {
        w.finish().map_err(spill_err)?;
    }
    let scattered = match target {
        Some(t) => scattering.finish(t.tmp_dir, merged.batch_lens.iter().sum())?,
        None => None,
    };
    facts.input_sha256 = Some(stats.sha256());
    let mut merged = merged;
    merged.refuse(plan, file)?;
    let Merged {
        batch_lens,
        rows_in,
        rejected,
        rejected_by_column,
        rejected_reasons,
        mut name_set,
        maybe,
        subjects,
        units,
        implied,
        combos,
        ..
    } = merged;
    add_told_names(cx.name_inputs, &maybe, &mut name_set);
    let (keys, told, hasher) =
        (keys.finish().map_err(key_err)?, maybe.iter().map(|m| m.counts()).collect(), cx.hasher.clone());

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
        keys,
        hasher,
        told,
        ingest_ms,
        scattered,
        subjects,
        units,
        implied,
        combos: combos.map(crate::combos::Combos::sealed),
    })
}

/// Pass 1's state after its last batch.
struct Read {
    merged: Merged,
    keys: crate::residual::KeySpill,
    spill: Option<FileWriter<BufWriter<File>>>,
    scattering: Scattering,
    stats: ingest::ReadStats,
    encoding_used: Option<&'static str>,
    inputs: Vec<ingest::InputFacts>,
}

/// Read and transform every row of `source` into `dicts` (empty), the spill, the shuffle's
/// buckets and the scan's keys; local columns go to the spill file, or, when the release is
/// shuffled, with each row's number straight to the shuffle's buckets (written once instead of
/// written, read back and scattered in pass 2). `None` when a new value of a `speculated`
/// dictionary could hold a kind of identifier value whose keys `cx` does not make: what was read
/// is dropped (the spill and the buckets are made again from scratch).
fn read_rows(
    source: Box<dyn ingest::Source>,
    cx: &BatchContext,
    dicts: &mut [Dictionary],
    speculated: &[usize],
    opts: &RunOptions,
    target: Option<&Target>,
) -> Result<Option<Read>, EngineError> {
    let (plan, spill_fields, file) = (cx.plan, cx.spill_fields, cx.file);
    let spill_path = target.map(|t| t.tmp_dir.join("spill.arrow"));
    let spill_schema: SchemaRef = Arc::new(Schema::new(spill_fields.to_vec()));
    let scatter = plan.shuffle && !spill_fields.is_empty() && source.size().is_some();
    let mut scattering = Scattering::new(&spill_schema);
    let mut spill = match &spill_path {
        Some(p) if !spill_fields.is_empty() && !scatter => Some(open_spill(p, &spill_schema)?),
        _ => None,
    };
    let spill_err = |e: arrow::error::ArrowError| output_err(spill_path.as_deref().unwrap_or(file), e);
    let (stats, size, encoding_used, inputs) = (source.stats(), source.size(), source.encoding(), source.inputs());
    opts.progress.stage("reading and transforming", source.size());
    let combine = cx.combinable;
    let mut merged = Merged::new(plan.columns.len(), cx.implied.len(), target.map(|t| t.tmp_dir), combine);
    let mut keys = crate::residual::KeySpill::new(target.map(|t| t.tmp_dir));
    let key_err = |e: std::io::Error| output_err(&target.map_or_else(std::env::temp_dir, |t| t.tmp_dir.into()), e);
    // How many values of each speculated dictionary were checked, and whether one failed.
    let mut checked = vec![0usize; speculated.len()];
    let mut guessed_wrong = false;
    let result = in_parallel(source, opts.workers(), cx, |done| {
        let done = done?;
        // The codes' room for the rows still to come, guessed from the bytes read so far: a
        // vector that doubles as it goes copies itself and touches fresh memory each time.
        let expected = expected_rows(size, stats.bytes(), merged.rows_in + done.rows_in);
        let first_row = merged.batch_lens.iter().sum::<usize>();
        within_rows(first_row + done.accepted, file)?;
        merged.merge(&done, dicts, expected).map_err(key_err)?;
        if !guess_holds(dicts, speculated, &mut checked, cx.kinds) {
            guessed_wrong = true;
            return Err(EngineError::Internal("pass 1 starts over".into()));
        }
        keys.add_all(&done.keys, &done.lens).map_err(key_err)?;
        if let Some(w) = spill.as_mut() {
            w.write(&done.spill).map_err(spill_err)?;
        }
        if let (true, Some(t)) = (scatter, target)
            && done.spill.num_rows() > 0
        {
            // The buckets are made once the row count can be told from the bytes read (the
            // reader runs ahead of the merge by the batches in flight); batches wait till then.
            let ready = size.is_some_and(|total| stats.bytes() >= total.min(SCATTER_AFTER));
            let rows = expected.max(first_row + done.spill.num_rows());
            scattering.add(&done.spill, first_row, t.tmp_dir, ready.then_some(rows))?;
        }
        opts.progress.set(stats.bytes());
        Ok(())
    });
    if guessed_wrong {
        return Ok(None);
    }
    result?;
    Ok(Some(Read { merged, keys, spill, scattering, stats, encoding_used, inputs }))
}

/// Whether the values added to the `speculated` dictionaries since the last call (`checked`:
/// how many of each were seen) hold no kind of identifier value outside `kinds`.
fn guess_holds(
    dicts: &[Dictionary],
    speculated: &[usize],
    checked: &mut [usize],
    kinds: crate::residual::Kinds,
) -> bool {
    for (&d, seen) in speculated.iter().zip(checked.iter_mut()) {
        let new = &dicts[d].values[*seen..];
        *seen = dicts[d].values.len();
        let needed = crate::residual::Kinds::needed(new.iter().filter_map(|v| match v {
            Cell::Str(s) => Some(&s[..]),
            _ => None,
        }));
        if !kinds.covers(needed) {
            return false;
        }
    }
    true
}

/// A file's size and modification time (`None` if they cannot be read): what tells that it
/// was not replaced between two reads of one run.
fn file_identity(path: &std::path::Path) -> Option<(u64, std::time::SystemTime)> {
    std::fs::metadata(path).ok().and_then(|m| Some((m.len(), m.modified().ok()?)))
}

/// An empty dictionary like `d` (keeping a raw value per code if it does).
fn emptied(d: &Dictionary) -> Dictionary {
    match d.representatives {
        Some(_) => Dictionary::with_representatives(),
        None => Dictionary::default(),
    }
}

/// The spill file of the columns that are not dictionary-encoded (Arrow IPC).
fn open_spill(path: &std::path::Path, schema: &SchemaRef) -> Result<FileWriter<BufWriter<File>>, EngineError> {
    let f = File::create(path).map_err(|e| output_err(path, e))?;
    FileWriter::try_new(BufWriter::with_capacity(1 << 20, f), schema).map_err(|e| output_err(path, e))
}

/// Spilled batches with their row numbers on their way to the external shuffle's buckets,
/// which are made once the row count can be told (the batches before wait).
struct Scattering {
    /// The spill's schema with the row number after its columns.
    schema: SchemaRef,
    /// The buckets, once made.
    shuffler: Option<crate::output::Shuffler>,
    /// Batches that came before the buckets were made.
    waiting: Vec<RecordBatch>,
}

impl Scattering {
    /// Nothing scattered yet, for spilled batches of `spill`'s schema.
    fn new(spill: &SchemaRef) -> Scattering {
        Scattering { schema: row_numbered(spill), shuffler: None, waiting: Vec::new() }
    }

    /// A merged batch's spill, its rows numbered from `first_row`: scattered, or kept waiting
    /// till `rows` (the rows expected) is known, when the buckets are made.
    fn add(
        &mut self,
        spill: &RecordBatch,
        first_row: usize,
        tmp_dir: &std::path::Path,
        rows: Option<usize>,
    ) -> Result<(), EngineError> {
        let numbers =
            arrow::array::UInt32Array::from_iter_values((first_row..first_row + spill.num_rows()).map(|r| r as u32));
        let mut columns = spill.columns().to_vec();
        columns.push(Arc::new(numbers));
        let rb =
            RecordBatch::try_new(self.schema.clone(), columns).map_err(|e| EngineError::Internal(e.to_string()))?;
        match self.shuffler.as_mut() {
            Some(sh) => sh.scatter(&rb)?,
            None => {
                self.waiting.push(rb);
                if let Some(rows) = rows {
                    let mut sh = crate::output::Shuffler::new(tmp_dir, &self.schema, rows)?;
                    for rb in self.waiting.drain(..) {
                        sh.scatter(&rb)?;
                    }
                    self.shuffler = Some(sh);
                }
            }
        }
        Ok(())
    }

    /// The buckets after the last batch: batches still waiting go to buckets made for the
    /// `rows` read.
    fn finish(
        mut self,
        tmp_dir: &std::path::Path,
        rows: usize,
    ) -> Result<Option<crate::output::Shuffler>, EngineError> {
        if !self.waiting.is_empty() {
            let mut sh = crate::output::Shuffler::new(tmp_dir, &self.waiting[0].schema(), rows)?;
            for rb in self.waiting.drain(..) {
                sh.scatter(&rb)?;
            }
            self.shuffler = Some(sh);
        }
        Ok(self.shuffler)
    }
}

/// The most rows a run accepts: rows are numbered with 32 bits (the combinations, the
/// shuffle, the verdicts), with room to spare for the combinations a fingerprint adds.
const MAX_ROWS: usize = 1 << 31;

/// [`MAX_ROWS`], or in builds with debug assertions `TOKUMEI_TEST_MAX_ROWS` when set.
fn max_rows() -> usize {
    #[cfg(debug_assertions)]
    if let Some(n) = std::env::var("TOKUMEI_TEST_MAX_ROWS").ok().and_then(|v| v.parse().ok()) {
        return n;
    }
    MAX_ROWS
}

/// The refusal of an input of `rows` accepted rows, past [`max_rows`], before anything is
/// released.
fn within_rows(rows: usize, file: &std::path::Path) -> Result<(), EngineError> {
    let max = max_rows();
    match rows > max {
        false => Ok(()),
        true => Err(EngineError::Input {
            file: file.to_path_buf(),
            message: format!(
                "more than {max} accepted rows: tokumei numbers a run's rows with 32 bits; split the extract (by municipality code or by year, for instance) and run each part"
            ),
        }),
    }
}

/// The rows a source of `size` bytes holds, guessed from the `rows` in its first `read` bytes
/// (0 when it cannot be told).
fn expected_rows(size: Option<u64>, read: u64, rows: u64) -> usize {
    match (size, read) {
        (Some(total), read) if read > 0 => {
            let rows = rows as f64;
            (rows * total as f64 / read as f64 * 1.05) as usize + 1024
        }
        _ => 0,
    }
}

/// The refusal of a dictionary column whose released values hold an identifier's value (each
/// distinct value looked at once).
fn released_dictionaries(
    values: &crate::ingest::lineage::IdentifierValues,
    released: &[(usize, u64)],
    plan: &tokumei_rules::Plan,
    columns: &[OutColumn],
    dicts: &[Dictionary],
    file: &std::path::Path,
) -> Result<(), EngineError> {
    // Spilled identifier values: only those of these values read back.
    let mut keep = rustc_hash::FxHashSet::default();
    for &(ci, _) in released.iter() {
        if let Slot::Global(d) = columns[ci].slot {
            keep.extend(dicts[d].values.iter().filter_map(|c| match c {
                Cell::Str(t) => values.released_key(t),
                _ => None,
            }));
        }
    }
    values.restrict(Some(&keep)).map_err(|e| output_err(&std::env::temp_dir(), e))?;
    for &(ci, exempt) in released.iter() {
        let Slot::Global(d) = columns[ci].slot else { continue };
        if let Some(source) = dicts[d].values.iter().find_map(|cell| released_identifier(values, cell, exempt)) {
            return Err(released_error(file, None, &plan.columns[columns[ci].plan].name, source));
        }
    }
    Ok(())
}

/// Input bytes read before pass 1 makes the shuffle's buckets (sized from the rows expected).
const SCATTER_AFTER: u64 = 256 << 20;

/// The schema of spilled columns with each row's number after them (a shuffle bucket's).
pub(super) fn row_numbered(spill: &SchemaRef) -> SchemaRef {
    let mut fields: Vec<arrow::datatypes::Field> = spill.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(arrow::datatypes::Field::new("\u{0}row", arrow::datatypes::DataType::UInt32, false));
    Arc::new(Schema::new(fields))
}

/// What every batch is transformed with.
struct BatchContext<'a> {
    file: &'a std::path::Path,
    plan: &'a tokumei_rules::Plan,
    columns: &'a [OutColumn],
    spill_fields: &'a [arrow::datatypes::Field],
    identifier_inputs: &'a [usize],
    name_inputs: &'a [super::layout::NameInput],
    /// Identifier input columns whose numbers are collected, with their plan column.
    number_inputs: &'a [(usize, u32)],
    /// Whether the residual scan's keys are collected (some released text is scanned).
    scan: bool,
    /// The run's key for them.
    /// The run's random key of the subjects' hashes (they may go to disk).
    people_key: std::hash::RandomState,
    hasher: crate::residual::KeyHasher,
    /// Whether addresses' heads are kept too (a column scanned row by row).
    heads: bool,
    /// The kinds of values besides names whose keys are made ([`super::layout::Layout::kinds`]).
    kinds: crate::residual::Kinds,
    /// Whether pass 1 keeps combinations instead of every row's codes ([`combinable`]).
    combinable: bool,
    checked: &'a [usize],
    identifier_values: Option<&'a crate::ingest::lineage::IdentifierValues>,
    released: &'a [(usize, u64)],
    row_ids_slot: Option<usize>,
    /// Whether dictionary `d` keeps a raw value per code.
    representatives: Vec<bool>,
    names: bool,
    /// The input columns naming a person (the rules' `subject`), their plan column, and the
    /// column of the code they are released as, if they are.
    person: Option<(&'a [usize], usize, Option<&'a OutColumn>)>,
    /// Without a declared subject, the input columns that may name a person.
    implied: Vec<usize>,
}

/// One batch transformed, before its rows are merged in order.
struct Done {
    rows_in: u64,
    accepted: usize,
    /// Per dictionary: the batch's distinct cells in order of first row, the first raw value of
    /// each (when the dictionary keeps them), and each accepted row's index into them.
    parts: Vec<DictPart>,
    spill: RecordBatch,
    rejected_by_column: Vec<(usize, u64)>,
    rejected_reasons: Vec<((usize, String), u64)>,
    first_rejection: Option<String>,
    names: crate::scrub::NameSet,
    /// Per name input: its values when it is one whose names are told by its values.
    maybe: Vec<crate::scrub::MaybeNames>,
    /// The residual scan's keys: 0 those that count, i + 1 those of name input i (counted
    /// when its values are names).
    keys: Vec<Vec<(u64, u32)>>,
    lens: crate::residual::Lengths,
    /// Each accepted row's subject hash (when a column names a person).
    subjects: Vec<u64>,
    /// Each accepted row's hash of its released code's value (when the column is released).
    units: Vec<u64>,
    /// Each accepted row's hash of each column that may name a person.
    implied: Vec<Vec<u64>>,
}

#[derive(Default)]
struct DictPart {
    cells: Vec<Cell>,
    raws: Vec<Option<Box<str>>>,
    rows: Vec<u32>,
}

/// Pass 1's totals, merged batch by batch in input order.
struct Merged {
    batch_lens: Vec<usize>,
    rows_in: u64,
    rejected: u64,
    rejected_by_column: Vec<u64>,
    rejected_reasons: Vec<((usize, String), u64)>,
    first_rejection: Option<String>,
    name_set: crate::scrub::NameSet,
    maybe: Vec<crate::scrub::MaybeNames>,
    subjects: RowHashes,
    units: crate::row_hashes::Units,
    implied: Vec<RowHashes>,
    /// The combinations of codes, when kept instead of every row's codes.
    combos: Option<crate::combos::Combos>,
}

impl Merged {
    /// Nothing merged yet, for a plan of `plan_columns` columns and `implied` columns that may
    /// name a person; the rows' hashes go to files in `dir` past their bound.
    /// With `combine`, the rows' combinations of codes are kept instead of every row's codes
    /// (unless a test forces the per-row path).
    fn new(plan_columns: usize, implied: usize, dir: Option<&std::path::Path>, combine: bool) -> Merged {
        Merged {
            batch_lens: Vec::new(),
            rows_in: 0,
            rejected: 0,
            rejected_by_column: vec![0u64; plan_columns],
            rejected_reasons: Vec::new(),
            first_rejection: None,
            name_set: crate::scrub::NameSet::default(),
            maybe: Vec::new(),
            subjects: RowHashes::new(dir),
            units: crate::row_hashes::Units::new(dir),
            implied: (0..implied).map(|_| RowHashes::new(dir)).collect(),
            combos: crate::combos::allowed().filter(|_| combine).map(|memory| crate::combos::Combos::new(dir, memory)),
        }
    }

    /// The refusal of a read with more malformed rows than the rules allow, or with no rows.
    fn refuse(&mut self, plan: &tokumei_rules::Plan, file: &std::path::Path) -> Result<(), EngineError> {
        let (rows_in, rejected) = (self.rows_in, self.rejected);
        if let OnMalformed::Reject { max_rejected } = plan.on_malformed
            && rejected as f64 > max_rejected * rows_in as f64
        {
            return Err(EngineError::TooManyRejected {
                file: file.to_path_buf(),
                rejected,
                rows: rows_in,
                max: max_rejected,
                first: self.first_rejection.take().unwrap_or_default(),
            });
        }
        if rows_in == 0 {
            return Err(EngineError::Input {
                file: file.to_path_buf(),
                message: "has no data rows (a release needs at least one)".into(),
            });
        }
        Ok(())
    }

    fn merge(&mut self, done: &Done, dicts: &mut [Dictionary], expected_rows: usize) -> std::io::Result<()> {
        // Whether this batch's rows went to the combinations.
        let mut combined = false;
        if let Some(combos) = self.combos.as_mut() {
            // Each row's combination of codes, and only new combinations' codes kept.
            let codes: Vec<Vec<u32>> = dicts
                .iter_mut()
                .zip(&done.parts)
                .map(|(d, part)| {
                    part.cells.iter().zip(&part.raws).map(|(c, r)| d.intern_raw(c.clone(), r.as_deref())).collect()
                })
                .collect();
            let of_row: Vec<&[u32]> = done.parts.iter().map(|p| p.rows.as_slice()).collect();
            combos.add(dicts, &codes, &of_row, done.accepted)?;
            combined = true;
            if combos.too_many(dicts.len()) {
                // Every row so far given its codes; the rows to come added row by row.
                let ids = combos.ids()?;
                for d in dicts.iter_mut() {
                    d.codes = crate::combos::to_rows(&d.codes, &ids);
                }
                self.combos = None;
            }
        }
        for (d, part) in dicts.iter_mut().zip(&done.parts).filter(|_| !combined) {
            let needed = d.codes.len() + part.rows.len();
            if needed > d.codes.capacity() {
                // A guess, so bounded: at most 16 times the rows so far.
                let room = expected_rows.min(needed.saturating_mul(16)).max(needed + needed / 2);
                d.codes.reserve_exact(room - d.codes.len());
            }
            let codes: Vec<u32> =
                part.cells.iter().zip(&part.raws).map(|(c, r)| d.intern_raw(c.clone(), r.as_deref())).collect();
            d.codes.extend(part.rows.iter().map(|i| codes[*i as usize]));
        }
        self.rows_in += done.rows_in;
        self.batch_lens.push(done.accepted);
        let rejected: u64 = done.rejected_by_column.iter().map(|(_, n)| n).sum();
        self.rejected += rejected;
        for (c, n) in &done.rejected_by_column {
            self.rejected_by_column[*c] += n;
        }
        for (key, n) in &done.rejected_reasons {
            match self.rejected_reasons.iter_mut().find(|(k, _)| k == key) {
                Some((_, m)) => *m += n,
                None => self.rejected_reasons.push((key.clone(), *n)),
            }
        }
        if self.first_rejection.is_none() {
            self.first_rejection.clone_from(&done.first_rejection);
        }
        self.name_set.merge(&done.names);
        self.maybe.resize_with(done.maybe.len().max(self.maybe.len()), Default::default);
        for (m, d) in self.maybe.iter_mut().zip(&done.maybe) {
            m.merge(d);
        }
        self.units.extend(&mut self.subjects, &done.subjects, &done.units)?;
        for (all, part) in self.implied.iter_mut().zip(&done.implied) {
            all.extend(part)?;
        }
        Ok(())
    }
}

/// Per worker and dictionary: raw value -> a worker-wide id of its transformed cell, so a value
/// seen before is not parsed and transformed again.
#[derive(Default)]
struct WorkerDict {
    raw: rustc_hash::FxHashMap<Box<str>, u32>,
    /// The same for values of at most 7 bytes (amounts, flags, short categories), packed with
    /// their length into one 64-bit integer: hashed and compared without touching memory, in
    /// a table half the size of `short`'s (it stays in the CPU's cache longer).
    tiny: rustc_hash::FxHashMap<u64, u32>,
    /// The same for values of 8 to 15 bytes (codes, categories), packed with their length
    /// into one 128-bit integer.
    short: rustc_hash::FxHashMap<u128, u32>,
    /// Numeric dates (`YYYY-MM-DD`, `YYYY/M/D`, ..., years 1800 to 2199) by their place in a
    /// dense table of worker id + 1 (0: not seen): 325 KB per layout, of which a century of
    /// birth dates touches 90 KB (only the pages of the layouts and years a column uses are
    /// ever touched), that stay in the CPU's cache, where a hash table of 100,000 birth dates
    /// missed it on every row (and 4-byte entries twice as often). From the first id past
    /// 65,534 (a column of dates kept as they are) the table is `wide_dates`, 4-byte entries.
    dates: Vec<u16>,
    /// The dense table of dates once an id does not fit in `dates` (then `dates` is empty).
    wide_dates: Vec<u32>,
    /// Cache look-ups and hits: a column whose values rarely repeat (addresses) stops caching.
    lookups: u64,
    hits: u64,
    given_up: bool,
    missing: Option<u32>,
    cells: Vec<Result<Cell, crate::cell::Malformed>>,
    index: rustc_hash::FxHashMap<Cell, u32>,
    /// Worker id -> index in the current batch's part (`u32::MAX`: not in it yet).
    in_batch: Vec<u32>,
}

/// Where a worker's cache keeps a raw value.
enum Key {
    /// A numeric date's place in the dense table.
    Date(usize),
    /// At most 7 bytes, packed with the length into one integer.
    Tiny(u64),
    /// 8 to 15 bytes, packed with the length into one integer.
    Short(u128),
    /// Longer text.
    Long,
}

/// Places per layout in the dense table of dates: years 1800 to 2199, months 0 to 12, days 0
/// to 31.
const YMD_SLOTS: usize = 400 * 13 * 32;

/// Layouts of numeric dates in the dense table: separator `-`, `/` or `.`, month of one or two
/// digits, day of one or two digits (`2024-01-05`, `2024/1/5`, `2024.01.5`, ...).
const DATE_LAYOUTS: usize = 3 * 2 * 2;

/// Places in the dense table of dates.
const DATE_SLOTS: usize = DATE_LAYOUTS * YMD_SLOTS;

/// The place of a numeric date `YYYY{sep}M{sep}D` (separator `-`, `/` or `.`, the same twice;
/// month and day of one or two digits; years 1800 to 2199, months up to 12, days up to 31) in
/// the dense table of dates: one place per such text (the layout is part of the place, so
/// `2024/1/5` and `2024/01/05` have their own), whether or not it is a real date.
fn date_slot(b: &[u8]) -> Option<usize> {
    if !(8..=10).contains(&b.len()) {
        return None;
    }
    let sep = b[4];
    let layout = match sep {
        b'-' => 0,
        b'/' => 1,
        b'.' => 2,
        _ => return None,
    };
    let digit = |i: usize| -> Option<usize> {
        let d = b.get(i)?.wrapping_sub(b'0');
        (d <= 9).then_some(usize::from(d))
    };
    let year = digit(0)? * 1000 + digit(1)? * 100 + digit(2)? * 10 + digit(3)?;
    // Month: one or two digits after the separator, then the separator again.
    let (month, month_wide, at) = match (digit(5)?, digit(6)) {
        (m, Some(m2)) => (m * 10 + m2, 1, 7),
        (m, None) => (m, 0, 6),
    };
    if b.get(at) != Some(&sep) {
        return None;
    }
    let (day, day_wide) = match b.len() - at - 1 {
        1 => (digit(at + 1)?, 0),
        2 => (digit(at + 1)? * 10 + digit(at + 2)?, 1),
        _ => return None,
    };
    if !(1800..2200).contains(&year) || month > 12 || day > 31 {
        return None;
    }
    let layout = (layout * 2 + month_wide) * 2 + day_wide;
    Some(layout * YMD_SLOTS + ((year - 1800) * 13 + month) * 32 + day)
}

/// Largest raw-value cache per worker and dictionary; beyond it values are transformed every
/// time. Dropped, with any identifying text in it, when pass 1 ends.
const WORKER_CACHE_LIMIT: usize = 1 << 18;

/// Largest cache of longer values (addresses, text) per worker and dictionary: beyond it a
/// look-up misses the CPU's caches twice (the table, then the text) and costs more than most
/// transforms of the value.
const LONG_CACHE_LIMIT: usize = 1 << 14;

/// Look-ups over which a cache must hit at least one in eight to be kept.
const CACHE_TRIAL: u64 = 1 << 16;

impl WorkerDict {
    /// Whether to keep caching. A column that hits fewer than one look-up in eight over the first
    /// [`CACHE_TRIAL`] look-ups (addresses that rarely repeat) gives it up and frees it, as does
    /// one whose full cache hits fewer than one in four. (A column of 100,000 birth dates hits
    /// about one in four over the trial and almost always later.)
    fn caching(&mut self) -> bool {
        let trial_failed = self.lookups == CACHE_TRIAL && self.hits * 8 < self.lookups;
        let full = self.cached() >= WORKER_CACHE_LIMIT || self.raw.len() >= LONG_CACHE_LIMIT;
        let full_and_cold = full && self.hits * 4 < self.lookups;
        if !self.given_up && (trial_failed || full_and_cold) {
            self.given_up = true;
            self.raw = Default::default(); // values that rarely repeat: free the cache
            self.tiny = Default::default();
            self.short = Default::default();
            self.dates = Vec::new();
            self.wide_dates = Vec::new();
        }
        !self.given_up
    }

    /// Values in the cache.
    fn cached(&self) -> usize {
        self.raw.len() + self.tiny.len() + self.short.len()
    }

    /// Where the cache keeps `raw`.
    fn key(raw: &str) -> Key {
        let b = raw.as_bytes();
        if let Some(slot) = date_slot(b) {
            return Key::Date(slot);
        }
        if b.len() > 15 {
            return Key::Long;
        }
        if b.len() <= 7 {
            let mut key = [0u8; 8];
            key[..b.len()].copy_from_slice(b);
            key[7] = b.len() as u8;
            return Key::Tiny(u64::from_le_bytes(key));
        }
        let mut key = [0u8; 16];
        key[..b.len()].copy_from_slice(b);
        key[15] = b.len() as u8;
        Key::Short(u128::from_le_bytes(key))
    }

    fn get(&self, raw: &str) -> Option<u32> {
        match Self::key(raw) {
            Key::Date(slot) if self.wide_dates.is_empty() => {
                self.dates.get(slot).and_then(|id| id.checked_sub(1)).map(u32::from)
            }
            Key::Date(slot) => self.wide_dates.get(slot).and_then(|id| id.checked_sub(1)),
            Key::Tiny(key) => self.tiny.get(&key).copied(),
            Key::Short(key) => self.short.get(&key).copied(),
            Key::Long => self.raw.get(raw).copied(),
        }
    }

    fn insert(&mut self, raw: &str, id: u32) {
        match Self::key(raw) {
            Key::Date(slot) => match u16::try_from(id + 1) {
                Ok(narrow) if self.wide_dates.is_empty() => {
                    if self.dates.is_empty() {
                        self.dates = vec![0; DATE_SLOTS];
                    }
                    self.dates[slot] = narrow;
                }
                _ => {
                    if self.wide_dates.is_empty() {
                        self.wide_dates = match self.dates.is_empty() {
                            true => vec![0; DATE_SLOTS],
                            false => self.dates.iter().map(|x| u32::from(*x)).collect(),
                        };
                        self.dates = Vec::new();
                    }
                    self.wide_dates[slot] = id + 1;
                }
            },
            Key::Tiny(key) => {
                self.tiny.insert(key, id);
            }
            Key::Short(key) => {
                self.short.insert(key, id);
            }
            Key::Long if self.raw.len() < LONG_CACHE_LIMIT => {
                self.raw.insert(raw.into(), id);
            }
            Key::Long => {}
        }
    }

    /// The worker id of `raw`'s transformed cell.
    fn id(&mut self, raw: Option<&str>, c: &OutColumn) -> u32 {
        let caching = self.caching();
        let cached = match raw {
            None => self.missing,
            Some(r) if caching => {
                self.lookups += 1;
                self.get(r)
            }
            Some(_) => None,
        };
        if let Some(id) = cached {
            self.hits += u64::from(raw.is_some());
            return id;
        }
        let result = c.transform.apply(raw);
        let id = match &result {
            Ok(cell) => match self.index.get(cell) {
                Some(id) => *id,
                None => {
                    let id = self.cells.len() as u32;
                    self.index.insert(cell.clone(), id);
                    self.cells.push(result);
                    self.in_batch.push(u32::MAX);
                    id
                }
            },
            Err(_) => {
                self.cells.push(result);
                self.in_batch.push(u32::MAX);
                (self.cells.len() - 1) as u32
            }
        };
        match raw {
            None => self.missing = Some(id),
            Some(r) if caching && self.cached() < WORKER_CACHE_LIMIT => self.insert(r, id),
            Some(_) => {}
        }
        id
    }
}

/// Transform one batch: every row's cells, the residual scan, rejections; rows are accepted or
/// rejected exactly as one thread going row by row would.
fn transform_batch(
    batch: &RawBatch,
    cx: &BatchContext,
    worker: &mut [WorkerDict],
    once: &mut Once,
) -> Result<Done, EngineError> {
    let (columns, plan) = (cx.columns, cx.plan);
    let mut builders: Vec<ColumnBuilder> =
        cx.spill_fields.iter().map(|f| ColumnBuilder::for_field(f, batch.len())).collect();
    let mut parts: Vec<DictPart> = (0..worker.len()).map(|_| DictPart::default()).collect();
    let mut ids = vec![0u32; worker.len()];
    let mut cells = vec![Cell::Null; cx.spill_fields.len()];
    let mut names = crate::scrub::NameSet::default();
    let mut maybe = vec![crate::scrub::MaybeNames::default(); cx.name_inputs.len()];
    let mut shaped = vec![false; cx.name_inputs.len()];
    let mut keys: Vec<Vec<(u64, u32)>> = vec![Vec::new(); if cx.scan { cx.name_inputs.len() + 1 } else { 0 }];
    let mut lens = crate::residual::Lengths::default();
    let mut joined = String::new();
    let mut scratch = String::new();
    let mut accepted = 0usize;
    let mut rejected = Rejections::default();
    let mut part_ids: Vec<Vec<u32>> = vec![Vec::new(); worker.len()];
    let mut subjects: Vec<u64> = Vec::with_capacity(if cx.person.is_some() { batch.len() } else { 0 });
    let mut units: Vec<u64> = Vec::new();
    let mut implied: Vec<Vec<u64>> = vec![Vec::with_capacity(batch.len()); cx.implied.len()];
    let globals = dictionary_columns(columns, worker.len());
    let chunks = (0..batch.len()).step_by(TRANSFORM_ROWS).map(|s| s..(s + TRANSFORM_ROWS).min(batch.len()));
    for rows in chunks {
        let mut done = Transformed::of(batch, rows.clone(), columns, worker, cells.len(), &mut joined);
        for row in rows {
            let transformed = done
                .row(row - done.start, &mut ids, &mut cells)
                .map_err(|(ci, m)| (columns[ci].plan, m))
                .and_then(|()| person_of(batch, row, cx, &mut subjects, &mut units, &mut implied, &mut joined));
            match transformed {
                Ok(()) => {
                    if cx.names {
                        add_names(batch, row, cx.name_inputs, &mut names);
                    }
                    if cx.names || cx.scan {
                        for (i, (m, n)) in
                            maybe.iter_mut().zip(cx.name_inputs).enumerate().filter(|(_, (_, n))| n.detect)
                        {
                            shaped[i] = batch.value(row, n.input).is_some_and(|v| m.add(v, cx.names && n.scrub));
                        }
                    }
                    if cx.scan {
                        let out = RowKeys {
                            hasher: &cx.hasher,
                            keys: &mut keys,
                            lens: &mut lens,
                            heads: cx.heads,
                            scratch: &mut scratch,
                            kinds: cx.kinds,
                        };
                        let inputs = (cx.name_inputs, cx.number_inputs);
                        row_scan_keys(|i| batch.value(row, i), inputs, &|i| shaped[i], once, out);
                    }
                    if let Some(j) = cx.row_ids_slot {
                        let ids: Vec<&str> = cx.identifier_inputs.iter().filter_map(|i| batch.value(row, *i)).collect();
                        cells[j] = Cell::str(ids.join("\u{1F}").as_str());
                    }
                    if let Some(found) =
                        residual(batch, row, columns, cx.checked, cx.identifier_inputs, worker, &ids, &cells)
                    {
                        return Err(identifier_released(batch, row, cx, found));
                    }
                    if let Some(values) = cx.identifier_values {
                        for &(ci, exempt) in cx.released {
                            let Slot::Local(j) = columns[ci].slot else { continue };
                            if let Some(source) = released_identifier(values, &cells[j], exempt) {
                                let location = batch.location(row);
                                let name = &plan.columns[columns[ci].plan].name;
                                return Err(released_error(cx.file, Some(location), name, source));
                            }
                        }
                    }
                    for (d, ((w, part), id)) in worker.iter_mut().zip(parts.iter_mut()).zip(&ids).enumerate() {
                        let id = *id as usize;
                        if w.in_batch[id] == u32::MAX {
                            w.in_batch[id] = part.cells.len() as u32;
                            let cell = w.cells[id]
                                .as_ref()
                                .map_err(|_| EngineError::Internal("malformed cell kept".into()))?;
                            part.cells.push(cell.clone());
                            part_ids[d].push(id as u32);
                            // The dictionary's representative of a new cell: its first raw value.
                            let raw = match (cx.representatives[d], globals[d]) {
                                (true, Some(c)) => value_of(batch, row, c, &mut joined).map(Box::<str>::from),
                                _ => None,
                            };
                            part.raws.push(raw);
                        }
                        part.rows.push(w.in_batch[id]);
                    }
                    for (b, cell) in builders.iter_mut().zip(cells.iter_mut()) {
                        b.append(cell)?;
                        *cell = Cell::Null;
                    }
                    accepted += 1;
                }
                Err((plan_col, reason)) => {
                    rejected.add(batch, row, cx, plan_col, reason)?;
                    for cell in cells.iter_mut() {
                        *cell = Cell::Null;
                    }
                }
            }
        }
    }
    // The worker's marks cleared for the next batch.
    for (w, ids) in worker.iter_mut().zip(&part_ids) {
        for id in ids {
            w.in_batch[*id as usize] = u32::MAX;
        }
    }
    let arrays: Vec<ArrayRef> = builders.iter_mut().map(ColumnBuilder::finish).collect();
    let spill = RecordBatch::try_new_with_options(
        Arc::new(Schema::new(cx.spill_fields.to_vec())),
        arrays,
        &arrow::array::RecordBatchOptions::new().with_row_count(Some(accepted)),
    )
    .map_err(|e| EngineError::Internal(e.to_string()))?;
    Ok(Done {
        rows_in: batch.len() as u64,
        accepted,
        parts,
        spill,
        rejected_by_column: rejected.by_column,
        rejected_reasons: rejected.reasons,
        first_rejection: rejected.first,
        names,
        maybe,
        keys,
        lens,
        subjects,
        units,
        implied,
    })
}

/// The output column of each of `dicts` dictionaries.
fn dictionary_columns(columns: &[OutColumn], dicts: usize) -> Vec<Option<&OutColumn>> {
    let mut globals: Vec<Option<&OutColumn>> = vec![None; dicts];
    for c in columns {
        if let Slot::Global(d) = c.slot {
            globals[d] = Some(c);
        }
    }
    globals
}

/// One row's person: its subject hash (and unit, when the subject is released as a code) when
/// the rules declare a `subject`, a row without one being malformed; otherwise its hash of each
/// column that may name a person.
#[inline]
fn person_of(
    batch: &RawBatch,
    row: usize,
    cx: &BatchContext,
    subjects: &mut Vec<u64>,
    units: &mut Vec<u64>,
    implied: &mut [Vec<u64>],
    joined: &mut String,
) -> Result<(), (usize, crate::cell::Malformed)> {
    match cx.person {
        Some((inputs, plan_col, code)) => match subject_of(batch, row, inputs, &cx.people_key) {
            Some(h) => {
                subjects.push(h);
                if let Some(c) = code {
                    units.push(unit_of(batch, row, c, (&cx.people_key, cx.plan.columns[c.plan].nfkc), joined));
                }
                Ok(())
            }
            None => Err((
                plan_col,
                crate::cell::Malformed(
                    "no subject identifier (the rules' `subject`): the row's person cannot be counted".into(),
                ),
            )),
        },
        None => {
            for (hashes, input) in implied.iter_mut().zip(&cx.implied) {
                hashes.push(
                    subject_of(batch, row, std::slice::from_ref(input), &cx.people_key)
                        .unwrap_or(crate::people::NO_SUBJECT),
                );
            }
            Ok(())
        }
    }
}

/// The refusal of a row whose output column `found.0` would release the value of the
/// identifier input `found.1` (the value is not shown).
#[cold]
fn identifier_released(batch: &RawBatch, row: usize, cx: &BatchContext, found: (usize, usize)) -> EngineError {
    let plan = cx.plan;
    let c = &plan.columns[cx.columns[found.0].plan];
    let id = &plan.columns.iter().find(|p| p.input_index == found.1).map(|p| p.name.clone()).unwrap_or_default();
    own_identifier_error(&format!("{}: {}", cx.file.display(), batch.location(row)), &c.name, id)
}

/// A batch's rejected rows: per plan column, per (column, reason), and the first one's message.
#[derive(Default)]
struct Rejections {
    by_column: Vec<(usize, u64)>,
    reasons: Vec<((usize, String), u64)>,
    first: Option<String>,
}

impl Rejections {
    /// A malformed row: an error when the rules say so, else counted.
    fn add(
        &mut self,
        batch: &RawBatch,
        row: usize,
        cx: &BatchContext,
        plan_col: usize,
        reason: crate::cell::Malformed,
    ) -> Result<(), EngineError> {
        let c = &cx.plan.columns[plan_col];
        let err = EngineError::Malformed {
            file: cx.file.to_path_buf(),
            location: batch.location(row),
            column: c.name.clone(),
            reason: reason.0.clone(),
        };
        match cx.plan.on_malformed {
            OnMalformed::Error => return Err(err),
            OnMalformed::Reject { .. } => {
                match self.by_column.iter_mut().find(|(k, _)| *k == plan_col) {
                    Some((_, n)) => *n += 1,
                    None => self.by_column.push((plan_col, 1)),
                }
                let key = (plan_col, reason.0);
                match self.reasons.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, n)) => *n += 1,
                    None => self.reasons.push((key, 1)),
                }
                self.first.get_or_insert_with(|| err.to_string());
            }
        }
        Ok(())
    }
}

/// The direct identifiers whose values turned out to be names (世帯主, 主治医): names of the
/// extract like those of 氏名, for the scrubber (its columns; the residual scan has their keys).
fn add_told_names(
    inputs: &[super::layout::NameInput],
    maybe: &[crate::scrub::MaybeNames],
    name_set: &mut crate::scrub::NameSet,
) {
    for (n, m) in inputs.iter().zip(maybe) {
        if let Some(found) = m.names()
            && n.scrub
        {
            name_set.merge(found);
        }
    }
}

const TOLD: u8 = 0;
const NAME: u8 = 1;
const SPLIT: u8 = 2;
const NUMBER: u8 = 3;

/// Entries of [`Once`]'s table shared by the columns that keep it (values that repeat far apart).
const ONCE_BITS: u32 = 16;

/// Entries of each column's own table in [`Once`] (values that repeat on nearby rows).
const NEAR_BITS: u32 = 8;

/// Values of one column looked up in [`Once`] before it judges whether they repeat, and where.
const ONCE_TRIAL: u32 = 1 << 12;

/// Values turned into keys lately, by column (a name or a code that repeats, as a household's
/// address and telephone number do on its members' rows, is normalised and hashed once): the
/// last values' 64-bit hashes under the run's key ([`crate::residual::KeyHasher`]: seeded at
/// random for the run, never shown; two values that collide would have the second's keys
/// skipped, which is why the tables are keyed), with what the value is read as: [`TOLD`],
/// [`NAME`], [`SPLIT`] or [`NUMBER`]. Two direct-mapped tables: one of 2^[`ONCE_BITS`] shared by
/// the columns (a common name comes back thousands of rows later) and one of 2^[`NEAR_BITS`] for
/// each column and reading (a household's values come back on the next rows): the shared table
/// is larger than the caches and each look-up in it waits on memory, the small one does not. A
/// value whose entry another took since is read again: its keys are written again, which the
/// scan's loading deduplicates; a value is never skipped unless it was read (by this worker, in
/// this batch or an earlier one: every batch's keys reach the scan, or the run fails): an entry
/// only ever holds the hash of a value looked up, and a value looked up is read unless an
/// entry showed it read before. Each worker keeps its tables across its batches, made at its
/// first value (a job without the scan never makes them). Over a column's first [`ONCE_TRIAL`]
/// values both tables are looked up and kept (a value is skipped when either holds it); then
/// the column keeps its own table alone when that found at least seven in eight of what the
/// shared one found, and the shared one otherwise; a column whose values came back fewer than
/// one time in sixteen (an individual number, a record number: one per person) is no longer
/// looked up: its values are read every time, which costs less than the look-up they would pay.
/// (Comparing each value with its column's value on the row before instead, byte for byte,
/// cost a third more CPU on the sample: names repeat far apart.)
#[derive(Default)]
pub(crate) struct Once {
    table: Box<[u64]>,
    /// The columns' own tables, one after the other (where each starts: [`OnceColumn::near`]).
    near: Vec<u64>,
    /// Per column and reading (`slot`).
    columns: Vec<OnceColumn>,
}

/// One column and reading of [`Once`]: its values looked up during the trial, those found in
/// the shared table and in its own, where its own table starts, and what it was judged.
#[derive(Clone, Copy, Default)]
struct OnceColumn {
    looked: u32,
    far_hits: u32,
    near_hits: u32,
    near: Option<u32>,
    judged: Judged,
}

/// Where [`Once`] looks a column's values up.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
enum Judged {
    /// In both tables (the trial).
    #[default]
    Both,
    /// In the shared table.
    Far,
    /// In the column's own table.
    Near,
    /// Nowhere: every value is read.
    Off,
}

impl Once {
    /// Whether `value` of column `input`, read as `kind`, was not read lately.
    pub(crate) fn first(
        &mut self,
        hasher: &crate::residual::KeyHasher,
        (kind, input): (u8, usize),
        value: impl std::hash::Hash,
    ) -> bool {
        let slot = input * 4 + usize::from(kind);
        if self.columns.len() <= slot {
            self.columns.resize(slot + 1, OnceColumn::default());
        }
        let column = &mut self.columns[slot];
        if column.judged == Judged::Off {
            return true;
        }
        // 0 marks an empty entry.
        let h = hasher.hash((kind, input, value)) | 1;
        let near_at = match column.near {
            Some(at) => at as usize,
            None => {
                let at = self.near.len();
                self.near.resize(at + (1 << NEAR_BITS), 0);
                column.near = Some(at as u32);
                at
            }
        };
        let near = &mut self.near[near_at + (h >> (64 - NEAR_BITS)) as usize];
        if column.judged == Judged::Near {
            let new = *near != h;
            *near = h;
            return new;
        }
        if self.table.is_empty() {
            self.table = vec![0; 1 << ONCE_BITS].into_boxed_slice();
        }
        let far = &mut self.table[(h >> (64 - ONCE_BITS)) as usize];
        let far_new = *far != h;
        *far = h;
        if column.judged == Judged::Far {
            return far_new;
        }
        let near_new = *near != h;
        *near = h;
        column.looked += 1;
        column.far_hits += u32::from(!far_new);
        column.near_hits += u32::from(!near_new);
        if column.looked == ONCE_TRIAL {
            let hits = column.far_hits.max(column.near_hits);
            column.judged = if hits * 16 < ONCE_TRIAL {
                Judged::Off
            } else if column.near_hits * 8 >= column.far_hits * 7 {
                Judged::Near
            } else {
                Judged::Far
            };
        }
        far_new && near_new
    }
}

/// The residual scan's keys of one row's names: each full-name column's value, and each split
/// name (a surname column with the given-name column of the same script), of every name column;
/// a full-name column that is also one of the identifier `numbers` (with its column's number) is
/// read as one here too, under the same look-up in [`Once`] (a value skipped there was read both
/// ways before). `value(i)`: the row's value of input column i (`None` when missing or blank).
pub(crate) fn name_keys<'v>(
    value: impl Fn(usize) -> Option<&'v str>,
    (inputs, numbers): (&[super::layout::NameInput], &[(usize, u32)]),
    once: &mut Once,
    sink: &mut KeySink,
) {
    use tokumei_jp::names::NameColumn;
    let inputs = || inputs.iter().filter(|n| !n.detect);
    for n in inputs().filter(|n| n.part.is_none()) {
        if let Some(v) = value(n.input)
            && once.first(sink.hasher, (NAME, n.input), v)
        {
            sink.name(v);
            if let Some(&(_, source)) = numbers.iter().find(|(i, _)| *i == n.input) {
                sink.number(v, source);
            }
        }
    }
    for kana in [false, true] {
        let part = |p: NameColumn| inputs().find(|n| n.part == Some(p) && n.kana == kana).and_then(|n| value(n.input));
        let (s, g) = (part(NameColumn::Surnames), part(NameColumn::GivenNames));
        if (s.is_some() || g.is_some()) && once.first(sink.hasher, (SPLIT, usize::from(kana)), (s, g)) {
            sink.split(s, g);
        }
    }
}

/// Whether [`name_keys`] reads input `i` as an identifier number with its name (a full-name
/// column whose values are names whatever they look like).
fn read_with_its_name(names: &[super::layout::NameInput], i: usize) -> bool {
    names.iter().any(|n| n.input == i && !n.detect && n.part.is_none())
}

/// Where one row's residual-scan keys go: `keys[0]` those that always count, `keys[i + 1]` those
/// of name input i (which count when its values turn out to be names); their lengths; whether
/// addresses' heads are kept too; room for a value's pieces.
pub(crate) struct RowKeys<'a> {
    pub hasher: &'a crate::residual::KeyHasher,
    pub keys: &'a mut [Vec<(u64, u32)>],
    pub lens: &'a mut crate::residual::Lengths,
    pub heads: bool,
    pub scratch: &'a mut String,
    /// The kinds of values besides names whose keys are made.
    pub kinds: crate::residual::Kinds,
}

/// The residual scan's keys of one row, pass 1's and a cluster executor's alike: a value of name
/// input i whose values are names only if most are (`detect`), when `shaped(i)` (shaped like a
/// person name), into `keys[i + 1]`; the names' keys and the identifier numbers' into `keys[0]`.
/// `value(i)`: the row's value of input column i (`None` when missing or blank).
pub(crate) fn row_scan_keys<'v>(
    value: impl Fn(usize) -> Option<&'v str>,
    (names, numbers): (&[super::layout::NameInput], &[(usize, u32)]),
    shaped: &dyn Fn(usize) -> bool,
    once: &mut Once,
    out: RowKeys,
) {
    let RowKeys { hasher, keys, lens, heads, scratch, kinds } = out;
    for (i, n) in names.iter().enumerate().filter(|(_, n)| n.detect) {
        if let (Some(v), Some(k)) = (value(n.input), keys.get_mut(i + 1))
            && shaped(i)
            && once.first(hasher, (TOLD, n.input), v)
        {
            KeySink { hasher, keys: k, lens: &mut *lens, heads, scratch: &mut *scratch, kinds }.name(v);
        }
    }
    let Some(k) = keys.first_mut() else { return };
    let mut sink = KeySink { hasher, keys: k, lens, heads, scratch, kinds };
    // Without either kind of key, the numbers' values are not even looked up in `once`.
    let numbers = if kinds == crate::residual::Kinds::NONE { &[] } else { numbers };
    name_keys(&value, (names, numbers), once, &mut sink);
    for &(i, source) in numbers {
        if !read_with_its_name(names, i)
            && let Some(v) = value(i)
            && once.first(hasher, (NUMBER, i), v)
        {
            sink.number(v, source);
        }
    }
}

/// Add one row's names to `set`, for the scrubber: each full-name column's value of the
/// scrubber's columns, and each split name (a surname column with the given-name column of the
/// same script).
fn add_names(batch: &RawBatch, row: usize, inputs: &[super::layout::NameInput], set: &mut crate::scrub::NameSet) {
    use tokumei_jp::names::NameColumn;
    let inputs = || inputs.iter().filter(|n| !n.detect && n.scrub);
    for n in inputs().filter(|n| n.part.is_none()) {
        if let Some(v) = batch.value(row, n.input) {
            set.add(v);
        }
    }
    for kana in [false, true] {
        let part = |p: NameColumn| {
            inputs().find(|n| n.part == Some(p) && n.kana == kana).and_then(|n| batch.value(row, n.input))
        };
        let (s, g) = (part(NameColumn::Surnames), part(NameColumn::GivenNames));
        if s.is_some() || g.is_some() {
            set.add_split(s, g);
        }
    }
}

/// The hash of the value the row's released code `c` is made from, read and normalised as the
/// code's transform reads it (so the rows of one code have one hash).
fn unit_of(
    batch: &RawBatch,
    row: usize,
    c: &OutColumn,
    cx: (&std::hash::RandomState, bool),
    joined: &mut String,
) -> u64 {
    let (key, nfkc) = cx;
    let v = value_of(batch, row, c, joined).unwrap_or_default();
    crate::people::subject_hash(key, crate::transform::normalized(nfkc, v).trim())
}

/// The subject hash of a row: its person's identifier (the parts of a composite one in order),
/// normalised as the registry keeps it; `None` when the row has none (or only characters that
/// are no part of an identifier).
fn subject_of(batch: &RawBatch, row: usize, inputs: &[usize], key: &std::hash::RandomState) -> Option<u64> {
    let mut parts = inputs.iter().map(|i| batch.value(row, *i).map(tokumei_jp::identifier_key).unwrap_or_default());
    match inputs.len() {
        1 => parts.next().filter(|k| !k.is_empty()).map(|k| crate::people::subject_hash(key, &k)),
        _ => {
            let parts: Vec<_> = parts.collect();
            parts.iter().any(|k| !k.is_empty()).then(|| {
                let mut joined = String::new();
                let parts: Vec<Option<&str>> = parts.iter().map(|p| Some(&p[..])).collect();
                composite(&parts, false, &mut joined);
                crate::people::subject_hash(key, &joined)
            })
        }
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
    worker: &[WorkerDict],
    ids: &[u32],
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
                Slot::Global(d) => match &worker[d].cells[ids[d] as usize] {
                    Ok(cell) => cell,
                    Err(_) => continue,
                },
                Slot::Local(j) => &cells[j],
            };
            let Cell::Str(text) = cell else { continue };
            if holds_identifier(text, id, &mut long_enough) {
                return Some((ci, i));
            }
        }
    }
    None
}

/// Whether a released `text` holds the row's identifier value `id` (trimmed, at least 4 bytes):
/// of at least 4 characters (`long` caches that, per value, across the row's texts).
#[inline]
pub(crate) fn holds_identifier(text: &str, id: &str, long: &mut Option<bool>) -> bool {
    text.len() >= id.len() && *long.get_or_insert_with(|| id.chars().count() >= 4) && text.contains(id)
}

/// The error for a released text that holds its own row's identifier value, at `at` (the file
/// and row, or what stands for them), never quoting it.
pub(crate) fn own_identifier_error(at: &str, column: &str, identifier: &str) -> EngineError {
    EngineError::Privacy(format!(
        "{at}: column `{column}` would release the value of identifier column `{identifier}` (the value is not shown)\n  hint: drop, mask or scrub `{column}`, or check its role"
    ))
}

/// The identifier input column (of a query job) that holds a released text `cell`'s value,
/// other than those in `exempt`. (Whole numbers are amounts and counts: not compared.)
fn released_identifier<'a>(
    values: &'a crate::ingest::lineage::IdentifierValues,
    cell: &Cell,
    exempt: u64,
) -> Option<&'a crate::ingest::lineage::SourceColumn> {
    match cell {
        Cell::Str(text) => values.find(text, exempt),
        _ => None,
    }
}

/// The error for a released value equal to an input identifier's (never quoting it).
fn released_error(
    file: &std::path::Path,
    location: Option<crate::error::Location>,
    column: &str,
    source: &crate::ingest::lineage::SourceColumn,
) -> EngineError {
    let at = location.map(|l| format!("{l}: ")).unwrap_or_default();
    EngineError::Privacy(format!(
        "{}: {at}column `{column}` would release a value of identifier column `{source}` of the inputs (residual identifier scan; the value is not shown)\n  hint: the query carries the identifier's values into `{column}` in a way its lineage does not show: drop or mask `{column}`, or change the query",
        file.display()
    ))
}

/// Transform one row into `codes` (dictionary columns) and `cells` (spilled columns).
/// On a malformed value, returns the column index in `columns` and the reason.
/// A value of `c` in `row`: the input value, or for a composite identifier its parts, in rule
/// order, each normalised as the rule says, trimmed and length-prefixed (in `joined`), so that
/// no two different tuples of parts give one value whatever characters the parts hold.
fn value_of<'a>(batch: &'a RawBatch, row: usize, c: &OutColumn, joined: &'a mut String) -> Option<&'a str> {
    let v = batch.value(row, c.input);
    if c.extra.is_empty() {
        return v;
    }
    let parts: Vec<Option<&str>> = std::iter::once(v).chain(c.extra.iter().map(|i| batch.value(row, *i))).collect();
    if !parts.iter().any(Option::is_some) {
        return v;
    }
    composite(&parts, c.nfkc, joined);
    Some(joined.as_str())
}

/// The parts of a composite value joined into `out`: each part (a missing one is empty)
/// normalised when `nfkc`, trimmed, and written as `<its length in bytes>:<part>`. Decoding reads
/// a length, a colon and that many bytes, so the joined value gives back the parts: two tuples
/// never share a value (parts joined by a separator did when a part held the separator).
pub(crate) fn composite(parts: &[Option<&str>], nfkc: bool, out: &mut String) {
    use std::fmt::Write as _;
    out.clear();
    for p in parts {
        let n = crate::transform::normalized(nfkc, p.unwrap_or_default());
        let n = n.trim();
        let _ = write!(out, "{}:{n}", n.len());
    }
}

/// Rows transformed together, column by column ([`Transformed`]): enough for a column's cache
/// to stay in the CPU's caches between its rows, few enough that the rows' cells of long text
/// (scrubbed notes) take little memory.
const TRANSFORM_ROWS: usize = 4096;

/// A run of a batch's rows transformed, column by column: each column's cache of raw values and
/// its transform stay in the CPU's caches over the rows instead of being evicted by every other
/// column's at each row (row by row, every row touched every dictionary's tables).
struct Transformed {
    /// The first row.
    start: usize,
    /// Per dictionary: each row's worker id (`u32::MAX` where the row failed at an earlier
    /// column and this one never saw it).
    ids: Vec<Vec<u32>>,
    /// Per spill field: each row's cell (none for a field no column fills).
    cells: Vec<Vec<Cell>>,
    /// Per row: its first column whose value is malformed (index in `columns`, rule order),
    /// and why.
    failed: Vec<Option<(usize, crate::cell::Malformed)>>,
}

impl Transformed {
    /// Transform `rows` of `batch`, column by column in rule order. A row is transformed exactly
    /// as row by row: up to and including its first column whose value is malformed (the later
    /// columns never see its values), each column's rows in row order (so each dictionary gives
    /// its values the same worker ids).
    fn of(
        batch: &RawBatch,
        rows: std::ops::Range<usize>,
        columns: &[OutColumn],
        worker: &mut [WorkerDict],
        locals: usize,
        joined: &mut String,
    ) -> Transformed {
        let n = rows.len();
        let mut t = Transformed {
            start: rows.start,
            ids: vec![Vec::new(); worker.len()],
            cells: (0..locals).map(|_| Vec::new()).collect(),
            failed: vec![None; n],
        };
        for (ci, c) in columns.iter().enumerate() {
            match c.slot {
                Slot::Global(d) => {
                    let (w, out) = (&mut worker[d], &mut t.ids[d]);
                    out.reserve_exact(n);
                    for (row, failed) in rows.clone().zip(t.failed.iter_mut()) {
                        if failed.is_some() {
                            out.push(u32::MAX);
                            continue;
                        }
                        let id = w.id(value_of(batch, row, c, joined), c);
                        if let Err(m) = &w.cells[id as usize] {
                            *failed = Some((ci, m.clone()));
                        }
                        out.push(id);
                    }
                }
                Slot::Local(j) => {
                    let out = &mut t.cells[j];
                    out.reserve_exact(n);
                    for (row, failed) in rows.clone().zip(t.failed.iter_mut()) {
                        let cell = match failed {
                            Some(_) => Cell::Null,
                            None => c.transform.apply(value_of(batch, row, c, joined)).unwrap_or_else(|m| {
                                *failed = Some((ci, m));
                                Cell::Null
                            }),
                        };
                        out.push(cell);
                    }
                }
            }
        }
        t
    }

    /// The `i`th row's worker ids into `ids` and cells into `cells` (taken), or its first
    /// column whose value is malformed, in rule order (index in `columns`), and why.
    fn row(&mut self, i: usize, ids: &mut [u32], cells: &mut [Cell]) -> Result<(), (usize, crate::cell::Malformed)> {
        if let Some(reason) = &self.failed[i] {
            return Err(reason.clone());
        }
        // A slot no column fills (the row identifiers' spill field) is left as it is.
        for (id, of_rows) in ids.iter_mut().zip(&self.ids) {
            if let Some(x) = of_rows.get(i) {
                *id = *x;
            }
        }
        for (cell, of_rows) in cells.iter_mut().zip(&mut self.cells) {
            if let Some(c) = of_rows.get_mut(i) {
                *cell = std::mem::replace(c, Cell::Null);
            }
        }
        Ok(())
    }
}

/// Run `source` through `threads` workers: one thread cuts the input into tasks, the workers
/// finish (parse) and transform them, and `merge` gets the results on this thread in input
/// order. At most a few batches per worker are in flight, so memory stays bounded. The first
/// error in input order ends the run.
fn in_parallel(
    mut source: Box<dyn ingest::Source>,
    threads: usize,
    cx: &BatchContext,
    mut merge: impl FnMut(Result<Done, EngineError>) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    use std::sync::mpsc::{Receiver, sync_channel};
    let threads = threads.max(1);
    let in_flight = threads * 2 + 2;
    let dicts = cx.representatives.len();
    let (task_tx, task_rx) = sync_channel::<(u64, ingest::Task)>(threads);
    // Shared by the workers only: when the merge stops early (an error, a failed guess) and the
    // last worker leaves, the reader's next send fails instead of waiting for ever on a full
    // queue.
    let task_rx = Arc::new(std::sync::Mutex::new(task_rx));
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = sync_channel::<(u64, Result<Done, EngineError>)>(in_flight);
        // A token per batch in flight: the reader takes one before each task, the merge gives it
        // back once the batch is merged.
        let (token_tx, token_rx) = sync_channel::<()>(in_flight);
        for _ in 0..in_flight {
            let _ = token_tx.send(());
        }
        let reader_done = done_tx.clone();
        scope.spawn(move || {
            let mut seq = 0u64;
            while token_rx.recv().is_ok() {
                match source.next_task() {
                    Ok(Some(task)) => {
                        if task_tx.send((seq, task)).is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        let _ = reader_done.send((seq, Err(e)));
                        return;
                    }
                }
                seq += 1;
            }
        });
        for _ in 0..threads {
            let (done_tx, task_rx) = (done_tx.clone(), Arc::clone(&task_rx));
            scope.spawn(move || {
                let mut worker: Vec<WorkerDict> = (0..dicts).map(|_| WorkerDict::default()).collect();
                // Kept across the worker's batches: made once, its pages stay warm.
                let mut once = Once::default();
                loop {
                    let next = task_rx
                        .lock()
                        .map_err(|_| ())
                        .and_then(|rx: std::sync::MutexGuard<Receiver<_>>| rx.recv().map_err(|_| ()));
                    let Ok((seq, task)) = next else { return };
                    let holding = Holding { done_tx: &done_tx, seq };
                    test_panic(seq);
                    let result = task().and_then(|batch| transform_batch(&batch, cx, &mut worker, &mut once));
                    std::mem::forget(holding);
                    if done_tx.send((seq, result)).is_err() {
                        return;
                    }
                }
            });
        }
        drop((done_tx, task_rx));
        let mut pending = std::collections::BTreeMap::new();
        let mut next = 0u64;
        for (seq, result) in done_rx.iter() {
            pending.insert(seq, result);
            while let Some(result) = pending.remove(&next) {
                merge(result)?;
                next += 1;
                let _ = token_tx.send(());
            }
        }
        if !pending.is_empty() {
            return Err(EngineError::Internal("a batch of the input was lost".into()));
        }
        Ok(())
    })
}

/// A worker's batch `seq` while it is transformed: dropped only when the worker unwinds (a
/// panic), when it sends the batch's place an error, so the merge, which waits for the batches
/// in order, stops (and the panic is raised again) instead of waiting for ever.
struct Holding<'a> {
    done_tx: &'a std::sync::mpsc::SyncSender<(u64, Result<Done, EngineError>)>,
    seq: u64,
}

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        let _ = self.done_tx.send((self.seq, Err(EngineError::Internal("a worker of pass 1 stopped".into()))));
    }
}

/// In builds with debug assertions, a worker panics on batch `TOKUMEI_TEST_PANIC_BATCH` (a test
/// of a run whose worker dies).
fn test_panic(seq: u64) {
    #[cfg(debug_assertions)]
    if std::env::var("TOKUMEI_TEST_PANIC_BATCH").ok().and_then(|v| v.parse().ok()) == Some(seq) {
        panic!("a worker of pass 1 panicked on batch {seq} (TOKUMEI_TEST_PANIC_BATCH)");
    }
    #[cfg(not(debug_assertions))]
    let _ = seq;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`super::Once`] skips a value only when it was read lately; after its trial it looks a
    /// column's values up in the column's own table when they come back on nearby rows, in the
    /// shared table when they come back far apart, and nowhere when they do not come back (each
    /// then reads as new), each column judged on its own.
    #[test]
    fn once_skips_only_repeats_and_judges_each_column_by_how_its_values_come_back() {
        // A fixed seed: under a random one, the far column's repeats would be kept a little more
        // or less often from run to run (the shared table's entries are taken by any column).
        let hasher = crate::residual::KeyHasher::from_seed([1, 2]);
        let mut once = super::Once::default();
        let (distinct, household, far) = ((super::NUMBER, 3), (super::NUMBER, 5), (super::NAME, 7));
        let cycle = 2000;
        let mut far_skipped = 0;
        for i in 0..3 * super::ONCE_TRIAL {
            // A household's number on its two members' rows: read once.
            assert_eq!(once.first(&hasher, household, format!("h{}", i / 2)), i % 2 == 0, "{i}");
            assert!(once.first(&hasher, distinct, format!("p{i}")), "{i}");
            // A name that comes back 2,000 values later: skipped only when it was read before.
            if !once.first(&hasher, far, format!("n{}", i % cycle)) {
                assert!(i >= cycle, "{i}");
                far_skipped += 1;
            }
        }
        let judged = |(kind, input): (u8, usize)| once.columns[input * 4 + usize::from(kind)].judged;
        assert_eq!(judged(distinct), super::Judged::Off);
        assert_eq!(judged(household), super::Judged::Near);
        assert_eq!(judged(far), super::Judged::Far);
        // Most of the far repeats were skipped: the shared table kept them.
        assert!(far_skipped * 10 > (3 * super::ONCE_TRIAL - cycle) * 8, "{far_skipped}");
        // The column no longer looked up reads a value again even right after it.
        assert!(once.first(&hasher, distinct, "p0") && once.first(&hasher, distinct, "p0"));
        // The column judged near skips a repeat, and a value it did not see is read.
        assert!(once.first(&hasher, household, "x") && !once.first(&hasher, household, "x"));
        // Another reading of the same column has a trial of its own.
        assert!(once.first(&hasher, (super::NAME, 3), "x") && !once.first(&hasher, (super::NAME, 3), "x"));
        // The same value in another column, or read another way, is read again.
        assert!(once.first(&hasher, (super::NAME, 5), "x") && once.first(&hasher, (super::TOLD, 3), "x"));
        assert!(!once.first(&hasher, (super::NAME, 5), "x") && !once.first(&hasher, (super::TOLD, 3), "x"));
    }

    /// A full-name column that is also an identifier number column is looked up once for both
    /// readings: over rows whose values repeat, the keys are those of reading every row every
    /// way (a name column holding an e-mail address or a telephone number gives its number or
    /// address keys too); a column whose values are names only if most are (`detect`), a
    /// surname column and a column listed twice among the numbers keep their number reading.
    #[test]
    fn a_name_column_read_as_a_number_too_gives_the_keys_of_every_reading() {
        use super::super::layout::NameInput;
        use crate::residual::{KeyHasher, KeySink, Lengths};
        use tokumei_jp::names::NameColumn;
        let hasher = KeyHasher::from_seed([3, 4]);
        let input = |input, part, detect| NameInput { input, part, kana: false, scrub: false, detect };
        let names = [input(0, None, false), input(2, None, true), input(3, Some(NameColumn::Surnames), false)];
        let numbers = [(0, 7), (1, 8), (2, 9), (3, 10), (0, 11)];
        let rows = [
            ["山田　太郎", "03-1234-5678", "090-1111-2222", "山田"],
            ["taro.yamada@example.jp", "090 1234 5678", "hanako@example.jp", "0120-444-555"],
            ["山田　太郎", "03-1234-5678", "090-1111-2222", "山田"],
            ["東京都千代田区千代田1丁目1番1号", "なし", "大阪府大阪市北区梅田3丁目1番1号", "佐藤"],
            ["090-8765-4321", "0312345678", "090-1111-2222", "0120-444-555"],
            ["taro.yamada@example.jp", "0312345678", "hanako@example.jp", "佐藤"],
        ];
        let (mut scratch, mut once) = (String::new(), Once::default());
        let (mut got, mut got_lens) = (vec![Vec::new(); names.len() + 1], Lengths::default());
        for _ in 0..3 {
            for r in &rows {
                let out = RowKeys {
                    hasher: &hasher,
                    keys: &mut got,
                    lens: &mut got_lens,
                    heads: true,
                    scratch: &mut scratch,
                    kinds: crate::residual::Kinds::ALL,
                };
                row_scan_keys(|i| Some(r[i]), (&names, &numbers), &|_| false, &mut once, out);
            }
        }
        let (mut want, mut want_lens) = (Vec::new(), Lengths::default());
        for r in &rows {
            let mut sink = KeySink {
                hasher: &hasher,
                keys: &mut want,
                lens: &mut want_lens,
                heads: true,
                scratch: &mut scratch,
                kinds: crate::residual::Kinds::ALL,
            };
            sink.name(r[0]);
            sink.split(Some(r[3]), None);
            for &(i, source) in &numbers[..4] {
                sink.number(r[i], source);
            }
        }
        let mut got = got.remove(0);
        for k in [&mut got, &mut want] {
            k.sort_unstable();
            k.dedup();
        }
        assert_eq!(got, want);
        // Each column's own numbers and addresses are among them.
        for source in [7, 8, 9, 10] {
            assert!(want.iter().any(|k| k.1 == source), "{source}: {want:?}");
        }
    }

    /// A composite value gives back its parts: ('X\u{1F}Y', 'Z') and ('X', 'Y\u{1F}Z'), which
    /// parts joined by U+001F made one value (and one code), are two; a part written in full
    /// width is the same part when the rule normalises.
    #[test]
    fn composite_values_never_collide() {
        let joined = |parts: &[Option<&str>], nfkc: bool| {
            let mut s = String::new();
            composite(parts, nfkc, &mut s);
            s
        };
        let a = joined(&[Some("X\u{1F}Y"), Some("Z")], true);
        let b = joined(&[Some("X"), Some("Y\u{1F}Z")], true);
        assert_ne!(a, b);
        assert_ne!(joined(&[Some("1:2"), Some("")], true), joined(&[Some("1"), Some("1:")], true));
        assert_ne!(joined(&[Some("a"), None], true), joined(&[None, Some("a")], true));
        assert_eq!(joined(&[Some(" ＡＢ１ "), Some("2")], true), joined(&[Some("AB1"), Some("2")], true));
        assert_ne!(joined(&[Some("ＡＢ"), Some("2")], false), joined(&[Some("AB"), Some("2")], false));
        assert_eq!(joined(&[Some("被保険者"), Some("12")], true), "12:被保険者2:12");
    }

    #[test]
    fn date_slots_are_one_per_text_and_in_the_table() {
        let mut seen = std::collections::HashSet::new();
        for sep in ['-', '/', '.'] {
            for year in (1800..2200).step_by(7).chain([2198]) {
                for month in 0..=12 {
                    for day in 0..=31 {
                        let mut texts = vec![format!("{year:04}{sep}{month:02}{sep}{day:02}")];
                        if month < 10 {
                            texts.push(format!("{year:04}{sep}{month}{sep}{day:02}"));
                        }
                        if day < 10 {
                            texts.push(format!("{year:04}{sep}{month:02}{sep}{day}"));
                        }
                        if month < 10 && day < 10 {
                            texts.push(format!("{year:04}{sep}{month}{sep}{day}"));
                        }
                        for text in texts {
                            let slot = date_slot(text.as_bytes()).expect("in range");
                            assert!(slot < DATE_SLOTS);
                            assert!(seen.insert(slot), "{text} shares a slot");
                        }
                    }
                }
            }
        }
        for text in [
            "1799-12-31",
            "2200-01-01",
            "2024-13-01",
            "2024-01-32",
            "2024/01-01",
            "2024-1/01",
            "2024-001-01",
            "2024-01-001",
            "2024-01-",
            "2024--1-1",
            "2024-1--1",
            "2024-123",
            "2024_01_01",
            "２０２４-01-01",
            "2024-01-0a",
            "2024-01-011",
            "24-01-01",
        ] {
            assert_eq!(date_slot(text.as_bytes()), None, "{text}");
        }
    }

    /// A test transform: each value in upper case, `bad` malformed.
    struct Upper(&'static str);

    impl crate::transform::ColumnTransform for Upper {
        fn output_type(&self) -> arrow::datatypes::DataType {
            arrow::datatypes::DataType::Utf8
        }
        fn apply(&self, value: Option<&str>) -> Result<Cell, crate::cell::Malformed> {
            match value {
                Some(v) if v == self.0 => Err(crate::cell::Malformed::new(format!("not {}", self.0))),
                Some(v) => Ok(Cell::str(v.to_uppercase())),
                None => Ok(Cell::Null),
            }
        }
    }

    /// A batch transformed column by column gives every row what it got row by row (rule order:
    /// stop at the first malformed value): the same worker ids, cells and first malformed column,
    /// and each dictionary holds only the values of rows that reached its column, in the order
    /// they came.
    #[test]
    fn a_batch_transformed_column_by_column_is_the_batch_transformed_row_by_row() {
        use super::super::layout::{OutColumn, Slot};
        let column = |input: usize, bad: &'static str, slot: Slot| OutColumn {
            plan: input,
            input,
            extra: Vec::new(),
            nfkc: false,
            transform: Box::new(Upper(bad)),
            slot,
        };
        // Rule order: a dictionary, a spilled column, a second dictionary, a second spill, and a
        // dictionary of a composite value (inputs 4 and 2, normalised and joined), malformed when
        // both parts are `ａ` (NFKC: `a`).
        let composite = OutColumn { extra: vec![2], nfkc: true, ..column(4, "1:a1:a", Slot::Global(2)) };
        let columns = [
            column(0, "x", Slot::Global(0)),
            column(1, "y", Slot::Local(0)),
            column(2, "z", Slot::Global(1)),
            column(3, "w", Slot::Local(1)),
            composite,
        ];
        let mut seed = 7u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut composite_malformed = 0;
        for trial in 0..40 {
            let rows = 1 + next(300) as usize;
            let alphabet = [
                ["x", "a", "b", ""],
                ["y", "c", "d", "e"],
                ["z", "a", "f", "g"],
                ["w", "h", "i", ""],
                ["ａ", "k", "ａ", ""],
            ];
            let texts: Vec<Vec<Option<&str>>> = (0..5)
                .map(|c| {
                    (0..rows)
                        .map(|_| {
                            // A malformed value on about one row in eight.
                            let v = alphabet[c][if next(8) == 0 { 0 } else { 1 + next(3) as usize }];
                            (!v.is_empty()).then_some(v)
                        })
                        .collect()
                })
                .collect();
            let batch = RawBatch::Arrow {
                columns: texts.iter().map(|c| arrow::array::StringArray::from(c.clone())).collect(),
                first_row: 1,
            };
            // Row by row, as the transform was written before.
            let mut by_row: Vec<WorkerDict> = (0..3).map(|_| WorkerDict::default()).collect();
            let mut expected = Vec::new();
            let mut joined = String::new();
            for row in 0..rows {
                let (mut ids, mut cells) = ([u32::MAX; 3], vec![Cell::Null; 2]);
                let mut result = Ok(());
                for (ci, c) in columns.iter().enumerate() {
                    let v = value_of(&batch, row, c, &mut joined);
                    match c.slot {
                        Slot::Global(d) => {
                            let id = by_row[d].id(v, c);
                            if let Err(m) = &by_row[d].cells[id as usize] {
                                result = Err((ci, m.clone()));
                                break;
                            }
                            ids[d] = id;
                        }
                        Slot::Local(j) => match c.transform.apply(v) {
                            Ok(cell) => cells[j] = cell,
                            Err(m) => {
                                result = Err((ci, m));
                                break;
                            }
                        },
                    }
                }
                expected.push(result.map(|()| (ids, cells)));
            }
            // Column by column, in two runs of rows cut anywhere (as a batch is cut).
            let mut by_column: Vec<WorkerDict> = (0..3).map(|_| WorkerDict::default()).collect();
            let cut = next(rows as u64 + 1) as usize;
            let mut got = Vec::new();
            for part in [0..cut, cut..rows] {
                let mut done = Transformed::of(&batch, part.clone(), &columns, &mut by_column, 2, &mut joined);
                for i in 0..part.len() {
                    let (mut ids, mut cells) = ([u32::MAX; 3], vec![Cell::Null; 2]);
                    got.push(done.row(i, &mut ids, &mut cells).map(|()| (ids, cells)));
                }
            }
            composite_malformed += expected.iter().filter(|r| matches!(r, Err((4, _)))).count();
            assert_eq!(got.len(), expected.len());
            for (row, (got, want)) in got.into_iter().zip(expected).enumerate() {
                assert_eq!(got, want, "trial {trial}, row {row}");
            }
            for (a, b) in by_row.iter().zip(&by_column) {
                assert_eq!(a.cells, b.cells, "trial {trial}");
            }
        }
        assert!(composite_malformed > 0, "some composite value was malformed");
    }

    #[test]
    fn the_cache_gives_back_each_value_under_its_own_key() {
        let mut w = WorkerDict::default();
        let values = [
            "1974-08-31",
            "1974-08-30",
            "1974/8/30",
            "1974/08/30",
            "1974.8.3",
            "女",
            "",
            "2104000",
            "1234567",
            "12345678",
            "\0",
            "要介護１",
            "岐阜県岐阜市港町4丁目23番16号",
            "123456789012345",
            "1234567890123456",
        ];
        for (id, v) in values.iter().enumerate() {
            assert_eq!(w.get(v), None);
            w.insert(v, id as u32);
        }
        for (id, v) in values.iter().enumerate() {
            assert_eq!(w.get(v), Some(id as u32), "{v}");
        }
        assert_eq!(w.get("1974-08-29"), None);
        assert_eq!(w.get("12345678901234"), None);
        // The dense table of dates holds ids up to 65,534 in 2 bytes; a later id widens it to
        // 4 bytes, every earlier entry kept (never cut down to another id).
        w.insert("1974-08-28", 65_534);
        assert!(w.wide_dates.is_empty());
        w.insert("1974-08-27", 65_535);
        w.insert("1974-08-26", 65_536 + 4);
        assert!(w.dates.is_empty() && !w.wide_dates.is_empty());
        assert_eq!(w.get("1974-08-28"), Some(65_534));
        assert_eq!(w.get("1974-08-27"), Some(65_535));
        assert_eq!(w.get("1974-08-26"), Some(65_536 + 4));
        for (id, v) in values.iter().enumerate() {
            assert_eq!(w.get(v), Some(id as u32), "{v}");
        }
        // A table widened before any date was kept starts empty.
        let mut w = WorkerDict::default();
        w.insert("2001-01-01", 70_000);
        assert_eq!((w.get("2001-01-01"), w.get("2001-01-02")), (Some(70_000), None));
    }
}
