//! Stage 6, pass 2: the release's files in the caller's staging folder. The spill is read back,
//! the kept rows decoded, free text scrubbed, bounds added to ordered columns, rows shuffled, and
//! Parquet, the reports and the data dictionary written; what is written is also counted (the
//! dictionary's values, the release risk).

use super::assemble::Assembled;
use super::layout::{OutColumn, Slot};
use super::{RunFacts, RunOptions, RunOutcome, Target};
use crate::cell::Cell;
use crate::error::{EngineError, output_err};
use crate::output::{ColumnBuilder, Shuffler, parquet_writer, sha256_file};
use crate::privacy::Dictionary;
use crate::progress::Progress;
use crate::render::Lang;
use crate::report::Report;
use crate::tally::Tally;
use crate::transform::{BoundKind, Bounds};
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, RecordBatchOptions, UInt32Array};
use arrow::datatypes::{DataType, Date32Type, Field, Int64Type, Schema, SchemaRef};
use arrow::ipc::reader::FileReader;
use std::fs::File;
use std::sync::Arc;
use std::time::Instant;
use tokumei_rules::{Plan, Role};

/// Write the release into `target`; `dry` (a check): go through pass 2 the same way, counting
/// and scanning what would be written, but write no file.
pub(super) fn stage(
    asm: Assembled,
    opts: &RunOptions,
    target: &Target,
    facts: &mut RunFacts,
    started: Instant,
    dry: bool,
) -> Result<RunOutcome, EngineError> {
    let Assembled { mut an, mut report, .. } = asm;
    let name_set = std::mem::take(&mut an.enc.name_set);
    let keys = std::mem::take(&mut an.enc.keys);
    let scattered = an.enc.scattered.take();
    let enc = &an.enc;
    let layout = &enc.layout;
    let (plan, columns, dicts, release_id) = (&layout.plan, &layout.columns, &layout.dicts, &layout.release_id);
    let (spill_fields, dictionary, scrubbing, row_ids_slot) =
        (&layout.spill_fields, &layout.dictionary, layout.scrubbing, layout.row_ids_slot);
    let (batch_lens, classes, enforcement, nulled, rows_out) =
        (&enc.batch_lens, &an.classes, &an.enforcement, &an.nulled, an.rows_out);
    report.audit_head = target.audit_head.clone();
    // Pass 2: write the Parquet file.
    let write_started = Instant::now();
    let (out_schema, bound_kinds) = out_schema(plan, columns, &report);
    let parquet_name = format!("{}.parquet", plan.dataset);
    let parquet_path = target.release_dir.join(&parquet_name);
    let metadata = file_metadata(plan, release_id, &report, target.audit_head.as_deref());
    let Written { written, outside, known_names, outside_names, outside_dicts } =
        written_columns(plan, columns, &report, &bound_kinds);
    let by_code: Vec<bool> = outside_dicts.iter().map(Option::is_some).collect();
    // With every outside column known by code, the release risk needs nothing that is written:
    // it is counted from the kept rows while the file is written. Otherwise the tally keeps
    // each written row's hashes of the other columns.
    let early = by_code.iter().all(|c| *c);
    let mut tally = match early {
        true => Tally::new(written.len(), Vec::new(), Vec::new(), 0),
        false => Tally::new(written.len(), outside, by_code, rows_out as usize),
    };
    let canon = canonical_codes(&outside_dicts, dicts, nulled);
    // (Where the dictionaries' codes are combinations', a row's are its combination's.)
    let at = |row: u32| an.combo_of_row.as_ref().map_or(row, |ids| ids[row as usize]);
    let code_at = |c: usize, unit: u32| -> u64 {
        match outside_dicts[c] {
            Some(d) => canon[c][dicts[d].codes[unit as usize] as usize],
            None => u64::MAX,
        }
    };

    // Dictionary columns are tallied from their value counts, not row by row.
    for (w, (ci, bound)) in written.iter().enumerate() {
        if let (false, Slot::Global(d)) = (bound, &columns[*ci].slot) {
            tally.preset(w, &dicts[*d].values, &an.value_counts[*d], &nulled[*d]);
        }
    }
    let scrubber = scrubbing.then(|| crate::scrub::Scrubber::new(&name_set, dictionary));
    // The residual scan of every released text, for the extract's whole names and identifier
    // numbers: dictionary columns value by value (each counted for its rows), the others row
    // by row as they are written.
    let scanner = match layout.scanned.is_empty() {
        true => None,
        false => Some(scanner(enc, &keys, &an.value_counts, nulled, target.tmp_dir)?),
    };
    drop(keys);
    drop(name_set);
    let scanned: Vec<bool> = (0..columns.len()).map(|ci| layout.scanned.contains(&ci)).collect();
    if let Some(scanner) = &scanner {
        scan_dictionaries(scanner, &layout.scanned, columns, dicts, &an.value_counts, nulled, &mut tally);
    }
    let encoded = WriteSpec {
        scanner: scanner.as_ref(),
        scanned,
        scrubber: scrubber.as_ref(),
        row_ids: row_ids_slot,
        columns,
        bounds: &bound_kinds,
        dicts,
        value_counts: &an.value_counts,
        nulled,
        keep: &enforcement.keep,
        batch_lens,
        spilled: !spill_fields.is_empty(),
        codes: output_names(plan, columns, |c| {
            matches!(plan.columns[c.plan].action, tokumei_rules::Action::Pseudonymize { .. })
        }),
        labels: output_names(plan, columns, |c| {
            matches!(c.slot, Slot::Global(_)) && c.transform.output_type() == DataType::Utf8
        }),
        threads: opts.workers(),
        combo_of_row: an.combo_of_row.as_deref(),
    };
    let (written_file, early_risk) = std::thread::scope(|scope| {
        let risk = early.then(|| {
            let names = (known_names.clone(), outside_names.clone(), plan.privacy.k);
            let ids = an.combo_of_row.as_deref();
            let rows = (&enforcement.keep[..], ids, &classes.of_row[..], an.people.as_ref().map(|p| &p.of_row[..]));
            let code_at = &code_at;
            scope.spawn(move || kept_risk(rows, names, code_at))
        });
        let written = write_parquet(
            (!dry).then_some(parquet_path.as_path()),
            out_schema.clone(),
            metadata,
            &encoded,
            &mut tally,
            target.tmp_dir,
            plan.shuffle,
            rows_out as usize,
            opts.progress,
            opts.spill_memory.unwrap_or(SPILL_IN_MEMORY),
            scattered,
        );
        let risk = risk.map(|h| h.join().map_err(|_| EngineError::Internal("the release risk failed".into())));
        (written, risk)
    });
    written_file?;
    let early_risk = early_risk.transpose()?;
    residual_verdict(&tally.found_counts(), &tally.scrub_counts(), &|ci| columns[ci].plan, plan, &mut report)?;
    describe_written(&mut tally, &out_schema, &written, columns, &mut report);
    report.release_risk = Some(match early_risk {
        Some(risk) => risk,
        None => tally.risk(
            known_names,
            outside_names,
            plan.privacy.k,
            &of_rows(&classes.of_row, an.combo_of_row.as_deref()),
            &|c, row| code_at(c, at(row)),
            an.people.as_ref().map(|p| p.of_row.as_slice()),
        )?,
    });
    if let Some(r) = report.release_risk.as_mut() {
        let names = an.originals.iter().map(|o| o.output.clone()).collect();
        r.linkage = crate::perturb::linkage(&an.originals, dicts, &enforcement.keep, names);
    }
    report.utility = Some(super::changed::utility(&an, &report, target.release_dir));
    if dry {
        report.timings.total_ms = started.elapsed().as_millis() as u64;
        let (files, facts, subjects) = (Vec::new(), RunFacts::default(), Vec::new());
        return Ok(RunOutcome { report, files, facts, subjects, refused: None });
    }
    let output_sha = sha256_file(&parquet_path)?;
    report.output_file = Some(parquet_name.clone());
    report.output_sha256 = Some(output_sha.clone());
    report.timings.write_ms = write_started.elapsed().as_millis() as u64;
    report.timings.total_ms = started.elapsed().as_millis() as u64;
    let mut files = write_documents(&report, target)?;
    files.push((parquet_name, output_sha));
    facts.outputs = files.iter().map(|(n, h)| format!("{n}={h}")).collect();
    Ok(RunOutcome { report, files, facts: RunFacts::default(), subjects: Vec::new(), refused: None })
}

/// Each row's verdict, combination, class and person (see [`kept_risk`]).
type KeptRows<'a> = (&'a [bool], Option<&'a [u32]>, &'a [u32], Option<&'a [u32]>);

/// The release risk of the kept rows when every column outside the key is dictionary-coded
/// (counted while pass 2 writes): each kept row as its combination where the classes are the
/// combinations'.
/// `(keep, combo_of_row, of_row, people)`: each row's verdict, combination (when the codes and
/// classes are combinations'), class and person.
fn kept_risk(
    (keep, ids, of_row, people): KeptRows,
    (names, outside_names, k): (Vec<String>, Vec<String>, u32),
    code_at: &(dyn Fn(usize, u32) -> u64 + Sync),
) -> crate::report::ReleaseRisk {
    let rows = (0..keep.len() as u32).filter(|r| keep[*r as usize]).map(|r| (ids.map_or(r, |i| i[r as usize]), 0));
    crate::tally::release_risk(names, outside_names, k, of_row, rows, &|c, unit, _| code_at(c, unit), people)
}

/// The release risk of a run whose class table was counted elsewhere (a cluster: every row a
/// person), from its kept combinations, each counted for its rows; `None` when a column outside
/// the key is not dictionary-coded (its values are made row by row where the rows are written).
pub(super) fn aggregated_risk(
    an: &super::anonymize::Anonymized,
    report: &Report,
    bound_kinds: &[Option<BoundKind>],
) -> Option<crate::report::ReleaseRisk> {
    let weights = an.weights.as_deref()?;
    let layout = &an.enc.layout;
    let (plan, columns, dicts) = (&layout.plan, &layout.columns, &layout.dicts);
    let Written { known_names, outside_names, outside_dicts, .. } = written_columns(plan, columns, report, bound_kinds);
    let dicts_of: Vec<usize> = outside_dicts.iter().copied().collect::<Option<_>>()?;
    let canon = canonical_codes(&outside_dicts, dicts, &an.nulled);
    let code_at = |c: usize, unit: u32| canon[c][dicts[dicts_of[c]].codes[unit as usize] as usize];
    let keep = &an.enforcement.keep;
    let rows = (0..keep.len() as u32).filter(|r| keep[*r as usize]).map(|r| (r, 0));
    let mut risk = crate::tally::release_risk_weighted(
        (known_names, outside_names, plan.privacy.k),
        &an.classes.of_row,
        rows,
        &|c, unit, _| code_at(c, unit),
        None,
        &|unit| weights[unit as usize],
    );
    let names = an.originals.iter().map(|o| o.output.clone()).collect();
    risk.linkage = crate::perturb::linkage(&an.originals, dicts, keep, names);
    Some(risk)
}

/// Each row's class: `of` itself, or, when the classes are combinations', each row's
/// combination's (`ids`).
fn of_rows<'a>(of: &'a [u32], ids: Option<&[u32]>) -> std::borrow::Cow<'a, [u32]> {
    match ids {
        Some(ids) => crate::combos::to_rows(of, ids).into(),
        None => of.into(),
    }
}

/// The release's schema and each column's bound kind. Each field says what it means and how it
/// was processed (Arrow field metadata). Ordered generalised columns get numeric (or date)
/// bounds beside their labels, so the release sorts and filters: `年齢階級` "35-39" has
/// `年齢階級_min` 35 and `年齢階級_max` 39.
pub(super) fn out_schema(plan: &Plan, columns: &[OutColumn], report: &Report) -> (SchemaRef, Vec<Option<BoundKind>>) {
    let mut out_fields: Vec<Field> = Vec::new();
    let mut bound_kinds: Vec<Option<BoundKind>> = Vec::new();
    for c in columns.iter() {
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
    (Arc::new(Schema::new(out_fields)), bound_kinds)
}

/// The Parquet file's key-value metadata: the release, its rules and models, its audit head.
pub(super) fn file_metadata(
    plan: &Plan,
    release_id: &str,
    report: &Report,
    audit_head: Option<&str>,
) -> Vec<(String, String)> {
    let metadata = vec![
        ("tokumei.release_id".to_string(), release_id.to_string()),
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
    match audit_head {
        Some(h) => metadata.into_iter().chain([("tokumei.audit_head".to_string(), h.to_string())]).collect(),
        None => metadata,
    }
}

/// The written columns and the ones the release risk counts over.
pub(super) struct Written {
    /// (index in `columns`, is a bound), in the order they are written.
    pub(super) written: Vec<(usize, bool)>,
    /// The written columns outside the k-anonymity key an attacker may know (indexes in `written`).
    outside: Vec<usize>,
    /// The names of every column an attacker may know.
    known_names: Vec<String>,
    /// The names of the `outside` columns.
    outside_names: Vec<String>,
    /// Each `outside` column's dictionary, when it has one.
    outside_dicts: Vec<Option<usize>>,
}

/// Written columns (labels and bounds) and what pass 2 counts over them: every column's
/// values, and the classes over every column an attacker may know (all but the sensitive
/// ones, record codes and bounds, which only repeat their labels).
pub(super) fn written_columns(
    plan: &Plan,
    columns: &[OutColumn],
    report: &Report,
    bound_kinds: &[Option<BoundKind>],
) -> Written {
    let mut written: Vec<(usize, bool)> = Vec::new(); // (index in `columns`, is a bound)
    for (ci, kind) in bound_kinds.iter().enumerate() {
        written.push((ci, false));
        if kind.is_some() && report.columns[columns[ci].plan].bounds.is_some() {
            written.push((ci, true));
            written.push((ci, true));
        }
    }
    // A noised value is not what an attacker knows of a person: such columns are measured by
    // the distance-based linkage risk instead.
    let known = |ci: usize| {
        let c = &plan.columns[columns[ci].plan];
        !matches!(c.role, Role::Sensitive | Role::LinkingCode)
            && !matches!(c.perturbation(), Some(tokumei_rules::Perturbation::Noise(_)))
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
    // Outside columns with a dictionary are read by code when the risk is computed; the code
    // of a value written as null (missing, or nulled by suppression) is one code for all.
    let dict_of = |w: usize| match columns[written[w].0].slot {
        Slot::Global(d) => Some(d),
        Slot::Local(_) => None,
    };
    let outside_dicts: Vec<Option<usize>> = outside.iter().map(|w| dict_of(*w)).collect();
    Written { written, outside, known_names, outside_names, outside_dicts }
}

/// Per outside dictionary column: each code's first code with the same written value (a
/// recoded dictionary may hold a value twice), u64::MAX for a value written as null.
fn canonical_codes(outside_dicts: &[Option<usize>], dicts: &[Dictionary], nulled: &[Vec<bool>]) -> Vec<Vec<u64>> {
    outside_dicts
        .iter()
        .map(|d| {
            let Some(d) = *d else { return Vec::new() };
            let mut first: rustc_hash::FxHashMap<&Cell, u64> = Default::default();
            let values = dicts[d].values.iter().zip(&nulled[d]).enumerate();
            values
                .map(|(code, (v, gone))| match (gone, v) {
                    (true, _) | (_, Cell::Null) => u64::MAX,
                    _ => *first.entry(v).or_insert(code as u64),
                })
                .collect()
        })
        .collect()
}

/// The residual scan's scanner: with only dictionary columns scanned, loaded with the keys of
/// their distinct values' stretches only (memory as for the labels, not the rows); with a column
/// released row by row, with every key of pass 1.
fn scanner(
    enc: &super::encode::Encoded,
    keys: &crate::residual::KeyFiles,
    value_counts: &[Vec<u64>],
    nulled: &[Vec<bool>],
    dir: &std::path::Path,
) -> Result<crate::residual::Scanner, EngineError> {
    let layout = &enc.layout;
    let (columns, dicts) = (&layout.columns, &layout.dicts);
    let local = layout.scanned.iter().any(|&ci| matches!(columns[ci].slot, Slot::Local(_)));
    let mut texts = scanned_texts(&layout.scanned, columns, dicts, value_counts, nulled).map(|(_, t, _)| t);
    let told = |i: usize| enc.told.get(i).copied().unwrap_or(false);
    let texts: Option<&mut dyn Iterator<Item = &str>> = (!local).then_some(&mut texts);
    crate::residual::Scanner::new(enc.hasher.clone(), keys, &told, texts, local)
        .map(|s| s.made(layout.kinds))
        .map_err(|e| output_err(dir, e))
}

/// The residual scan of the scanned dictionary columns, value by value, each value's finds
/// counted for its kept rows.
fn scan_dictionaries(
    scanner: &crate::residual::Scanner,
    scanned: &[usize],
    columns: &[OutColumn],
    dicts: &[Dictionary],
    value_counts: &[Vec<u64>],
    nulled: &[Vec<bool>],
    tally: &mut Tally,
) {
    for &ci in scanned.iter().filter(|ci| matches!(columns[**ci].slot, Slot::Global(_))) {
        tally.found(ci);
    }
    for (ci, text, rows) in scanned_texts(scanned, columns, dicts, value_counts, nulled) {
        let mut f = crate::scrub::Found::default();
        scanner.scan(text, &[], &mut f);
        tally.found(ci).add(&f, rows);
    }
}

/// The released values of the scanned dictionary columns, each with its column and its rows in
/// the release: every text value whose code has kept rows and was not nulled.
pub(super) fn scanned_texts<'a>(
    scanned: &'a [usize],
    columns: &'a [OutColumn],
    dicts: &'a [Dictionary],
    value_counts: &'a [Vec<u64>],
    nulled: &'a [Vec<bool>],
) -> impl Iterator<Item = (usize, &'a str, u64)> + 'a {
    let globals = scanned.iter().filter_map(|&ci| match columns[ci].slot {
        Slot::Global(d) => Some((ci, d)),
        Slot::Local(_) => None,
    });
    globals.flat_map(move |(ci, d)| {
        dicts[d].values.iter().enumerate().filter_map(move |(code, v)| {
            let rows = value_counts[d].get(code).copied().unwrap_or(0);
            match v {
                Cell::Str(t) if !nulled[d][code] && rows > 0 => Some((ci, &**t, rows)),
                _ => None,
            }
        })
    })
}

/// The output names of the columns `which` selects.
fn output_names(plan: &Plan, columns: &[OutColumn], which: impl Fn(&OutColumn) -> bool) -> Vec<String> {
    columns.iter().filter(|c| which(c)).map(|c| plan.columns[c.plan].output.clone().unwrap_or_default()).collect()
}

/// Each released column's value summary and what scrubbing removed from it, in the report,
/// from what the tally counted.
pub(super) fn describe_written(
    tally: &mut Tally,
    schema: &SchemaRef,
    written: &[(usize, bool)],
    columns: &[OutColumn],
    report: &mut Report,
) {
    let types: Vec<DataType> = schema.fields().iter().map(|f| f.data_type().clone()).collect();
    let gens: Vec<Option<&crate::transform::Generalize>> =
        written.iter().map(|(ci, bound)| if *bound { None } else { columns[*ci].transform.generalizer() }).collect();
    for ((ci, bound), summary) in written.iter().zip(tally.summaries(&types, &gens)) {
        if !bound {
            report.columns[columns[*ci].plan].values = Some(summary);
        }
    }
    for (ci, counts) in tally.scrub_counts() {
        report.columns[columns[ci].plan].scrubbed = Some(
            crate::scrub::KINDS
                .iter()
                .zip(counts)
                .filter(|(_, n)| *n > 0)
                .map(|((k, _, _, _), n)| (k.to_string(), n))
                .collect(),
        );
    }
}

/// The reports and the data dictionary in the release folder (JSON, Markdown and HTML, in
/// Japanese and English): each file's name and SHA-256.
pub(super) fn write_documents(report: &Report, target: &Target) -> Result<Vec<(String, String)>, EngineError> {
    let json = serde_json::to_string_pretty(report).map_err(|e| EngineError::Internal(e.to_string()))?;
    let write = |name: &str, text: &str| {
        let p = target.release_dir.join(name);
        std::fs::write(&p, text).map_err(|e| output_err(&p, e))
    };
    write("report.json", &json)?;
    let (ja, en, dict) = (
        crate::report::officer(report, Lang::Ja),
        crate::report::officer(report, Lang::En),
        crate::report::dictionary(report),
    );
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
    Ok(files)
}

/// Judge the released text by what the residual scan found: a whole name of the extract's name
/// columns, one of its identifier numbers or a row's own identifier value in any released text
/// fails the run (nothing is published), naming the column and the rows, never the value.
/// Otherwise standard 1 gets what the scan read and found, and what scrubbing removed.
/// `found` and `scrubbed`: per engine column (index in `columns`, whose plan column `plan_of`
/// gives), what the scan found and what scrubbing removed.
pub(super) fn residual_verdict(
    found: &[(usize, crate::scrub::Found)],
    scrubbed: &[(usize, crate::scrub::Counts)],
    plan_of: &dyn Fn(usize) -> usize,
    plan: &tokumei_rules::Plan,
    report: &mut crate::report::Report,
) -> Result<(), EngineError> {
    let name = |ci: usize| plan.columns[plan_of(ci)].name.clone();
    let source = |s: &u32| plan.columns.get(*s as usize).map(|c| format!("`{}`", c.name)).unwrap_or_default();
    let mut failures: Vec<String> = Vec::new();
    for (ci, f) in found.iter().filter(|(_, f)| f.any()) {
        let mut what = Vec::new();
        if f.full_names > 0 {
            what.push(format!("{} row(s) hold a full name of the extract's name columns", f.full_names));
        }
        if f.numbers > 0 {
            let from: Vec<String> = f.sources.iter().map(source).collect();
            what.push(format!("{} row(s) hold a number of identifier column {}", f.numbers, from.join(", ")));
        }
        if f.row_ids > 0 {
            what.push(format!("{} row(s) hold one of their own identifier values", f.row_ids));
        }
        if f.values > 0 {
            let from: Vec<String> = f.value_sources.iter().map(source).collect();
            what.push(format!(
                "{} row(s) hold an address or e-mail address of identifier column {}",
                f.values,
                from.join(", ")
            ));
        }
        if f.unchecked > 0 {
            what.push(format!(
                "{} row(s) hold text that could be an identifier number or address, which this run did not look for (an internal error: please report it)",
                f.unchecked
            ));
        }
        failures.push(format!("column `{}`: {}", name(*ci), what.join("; ")));
    }
    if !failures.is_empty() {
        return Err(EngineError::Privacy(format!(
            "residual identifier scan of the released text: {}; nothing was written (no value is shown)\n  hint: scrub the column (action = \"scrub\", with `names_from` naming every name column), or drop it; a name or number written where the scrubber cannot tell it must not be released",
            failures.join("; ")
        )));
    }
    let Some(s1) = report.processing_standards.iter_mut().find(|s| s.id == 1) else { return Ok(()) };
    for (ci, f) in found {
        s1.evidence.push(format!(
            "{}: residual scan of {} released text(s): no full name, identifier number, address, e-mail address or row identifier of the extract found; {} text(s) hold a surname or given name of the extract on its own (information: a part alone may be an ordinary word or another person's name)",
            name(*ci),
            f.scanned,
            f.name_parts
        ));
        s1.evidence_ja.push(format!(
            "{}：出力する{}件の記述を検査し、抽出データの氏名・識別番号・住所・メールアドレス・その行の識別子は見つからなかった。抽出データの姓・名を単独で含む記述は{}件（参考：単独の姓・名は一般の語や別人の名前でもありうる）",
            name(*ci),
            f.scanned,
            f.name_parts
        ));
    }
    for (ci, counts) in scrubbed {
        let removed = |ja: bool| -> String {
            let parts: Vec<String> = crate::scrub::KINDS
                .iter()
                .zip(counts.iter().copied())
                .filter(|(_, n)| *n > 0)
                .map(|((_, _, en, jl), n)| if ja { format!("{jl} {n}件") } else { format!("{en}: {n}") })
                .collect();
            match (parts.is_empty(), ja) {
                (true, false) => "nothing".into(),
                (true, true) => "なし".into(),
                (false, _) => parts.join(if ja { "、" } else { "; " }),
            }
        };
        s1.evidence.push(format!("{}: scrubbing removed {}", name(*ci), removed(false)));
        s1.evidence_ja.push(format!("{}：自由記述から除去したもの：{}", name(*ci), removed(true)));
    }
    Ok(())
}

/// The encoded release: what pass 2 needs to write the kept rows.
struct WriteSpec<'a> {
    /// The residual scan, and which columns it reads.
    scanner: Option<&'a crate::residual::Scanner>,
    scanned: Vec<bool>,
    /// The scrubber of free-text columns, and the spill column of each row's identifiers.
    scrubber: Option<&'a crate::scrub::Scrubber>,
    row_ids: Option<usize>,
    columns: &'a [OutColumn],
    /// The kind of bounds written after each column, if any.
    bounds: &'a [Option<BoundKind>],
    dicts: &'a [Dictionary],
    /// Per dictionary: each code's rows in the release (before nulling).
    value_counts: &'a [Vec<u64>],
    nulled: &'a [Vec<bool>],
    keep: &'a [bool],
    /// Each row's combination, when the dictionaries' codes are combinations'.
    combo_of_row: Option<&'a [u32]>,
    batch_lens: &'a [usize],
    spilled: bool,
    /// Written columns of pseudonym codes (all but unique): written plain.
    codes: Vec<String>,
    /// Written text columns of dictionary labels (given to the writer as dictionary arrays).
    labels: Vec<String>,
    /// Threads that pack codes and encode Parquet columns.
    threads: usize,
}

/// Pass 2: keep the rows the privacy models allow, in a random order when asked, and write
/// them as Parquet. Every written batch is built the same way from the accepted row numbers it
/// holds ([`Builder`]): dictionary columns (and their bounds) taken by code, spilled columns from
/// the spill. A spill up to `spill_memory` bytes is read into memory and rows are taken from it
/// by number; a larger one is streamed, in order, or through an external shuffle of the spilled
/// columns and row numbers only.
/// `path` `None`: every batch is built (and counted) as for the file, and none is written.
#[allow(clippy::too_many_arguments)]
fn write_parquet(
    path: Option<&std::path::Path>,
    out_schema: SchemaRef,
    metadata: Vec<(String, String)>,
    enc: &WriteSpec,
    tally: &mut Tally,
    tmp_dir: &std::path::Path,
    shuffle: bool,
    rows_out: usize,
    progress: &dyn Progress,
    spill_memory: u64,
    scattered: Option<Shuffler>,
) -> Result<(), EngineError> {
    let mut writer = match path {
        Some(path) => Some(parquet_writer(
            path,
            out_schema.clone(),
            metadata,
            enc.threads,
            crate::output::ColumnKinds { codes: &enc.codes, labels: &enc.labels },
        )?),
        None => None,
    };
    progress
        .stage(if path.is_some() { "writing Parquet" } else { "pass 2 (check: no file)" }, Some(enc.keep.len() as u64));
    let spill_path = tmp_dir.join("spill.arrow");
    // Batches are built on one thread while the writer encodes the previous ones on the others.
    let (produced, consumed) = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
        let spill_path = &spill_path;
        let producer = scope.spawn(move || {
            let mut emit =
                |rb: RecordBatch| tx.send(rb).map_err(|_| EngineError::Internal("the Parquet writer stopped".into()));
            build_batches(
                enc,
                out_schema,
                tally,
                Spill { path: spill_path, tmp_dir, scattered, memory: spill_memory },
                shuffle,
                rows_out,
                &mut emit,
            )
        });
        let mut written = 0u64;
        let mut consumed = Ok(());
        for rb in rx {
            written += rb.num_rows() as u64;
            if rb.num_rows() > 0
                && let Some(writer) = writer.as_mut()
                && let Err(e) = writer.write(&rb)
            {
                consumed = Err(e);
                break; // dropping the receiver stops the producer
            }
            progress.set(written);
        }
        let produced = producer.join().unwrap_or_else(|_| Err(EngineError::Internal("pass 2 failed".into())));
        (produced, consumed)
    });
    consumed?;
    produced?;
    if let Some(writer) = writer {
        writer.close()?;
    }
    let _ = std::fs::remove_file(&spill_path);
    progress.finish();
    Ok(())
}

/// Where pass 1 left the spilled columns.
struct Spill<'a> {
    /// The spill file (in input order), when they were not scattered.
    path: &'a std::path::Path,
    /// Where temporary files go.
    tmp_dir: &'a std::path::Path,
    /// The shuffle's buckets, when pass 1 scattered them there with each row's number.
    scattered: Option<Shuffler>,
    /// Spills up to this size are read into memory.
    memory: u64,
}

/// Build the written batches in order and hand each to `emit`: from the spill in memory, or
/// streamed from it (in order, or through the external shuffle).
fn build_batches(
    enc: &WriteSpec,
    out_schema: SchemaRef,
    tally: &mut Tally,
    spill: Spill,
    shuffle: bool,
    rows_out: usize,
    emit: &mut dyn FnMut(RecordBatch) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    let mut build = Builder::new(enc, out_schema)?;
    build.preset_bounds(tally);
    let Spill { path: spill_path, tmp_dir, scattered, memory: spill_memory } = spill;
    if let Some(mut buckets) = scattered {
        if buckets.finish()? <= spill_memory {
            // Small enough to hold: every bucket in memory, each accepted row found by its number.
            let spill = buckets.into_batches()?;
            let mut place = vec![(u32::MAX, 0u32); enc.keep.len()];
            for (b, rb) in spill.iter().enumerate() {
                let rows = rb.column(rb.num_columns() - 1).as_primitive::<arrow::datatypes::UInt32Type>();
                for (i, r) in rows.values().iter().enumerate() {
                    let slot = place
                        .get_mut(*r as usize)
                        .ok_or_else(|| EngineError::Internal("spill and rows disagree".into()))?;
                    *slot = (b as u32, i as u32);
                }
            }
            if place.iter().any(|p| p.0 == u32::MAX) {
                return Err(EngineError::Internal("spill and rows disagree".into()));
            }
            return take_in_memory(&mut build, tally, &spill, &place, shuffle, emit);
        }
        // Bucket by bucket, in a random order within each, the rows the models keep.
        return buckets.gather(WRITE_ROWS, |bucket, order| {
            let row_col = bucket.column(bucket.num_columns() - 1).as_primitive::<arrow::datatypes::UInt32Type>();
            let (rows, order): (Vec<u32>, Vec<u32>) = order
                .values()
                .iter()
                .map(|i| (row_col.value(*i as usize), *i))
                .filter(|(r, _)| enc.keep.get(*r as usize).copied().unwrap_or(false))
                .unzip();
            if rows.is_empty() {
                return Ok(());
            }
            let order = UInt32Array::from(order);
            let mut taken = |j: usize| arrow::compute::take(bucket.column(j), &order, None).map_err(internal);
            emit(build.batch(&rows, &mut taken, tally)?)
        });
    }
    let spill_size = if enc.spilled { std::fs::metadata(spill_path).map_or(u64::MAX, |m| m.len()) } else { 0 };
    if spill_size <= spill_memory {
        return write_in_memory(&mut build, tally, spill_path, shuffle, emit);
    }
    // Unbuffered: Arrow's reader seeks to each batch and reads it whole, and a seek empties a
    // `BufReader`, so a buffer would read up to its size again for every smaller batch.
    let f = File::open(spill_path).map_err(|e| output_err(spill_path, e))?;
    let mut spill = FileReader::try_new(f, None).map_err(|e| output_err(spill_path, e))?;
    let mut shuffler = None;
    let mut start = 0usize;
    for &len in enc.batch_lens {
        let sp = spill
            .next()
            .ok_or_else(|| EngineError::Internal("spill file ended early".into()))?
            .map_err(|e| output_err(spill_path, e))?;
        if sp.num_rows() != len {
            return Err(EngineError::Internal("spill and rows disagree".into()));
        }
        let rows: Vec<u32> = (start as u32..(start + len) as u32).filter(|r| enc.keep[*r as usize]).collect();
        start += len;
        if rows.is_empty() {
            continue;
        }
        let local = UInt32Array::from_iter_values(rows.iter().map(|r| r - (start - len) as u32));
        if shuffle {
            // Only the spilled columns and the row numbers go through the bucket files.
            let mut columns = arrow::compute::take_arrays(sp.columns(), &local, None).map_err(internal)?;
            columns.push(Arc::new(UInt32Array::from(rows)));
            let rb = RecordBatch::try_new(super::encode::row_numbered(&sp.schema()), columns).map_err(internal)?;
            if shuffler.is_none() {
                shuffler = Some(Shuffler::new(tmp_dir, &rb.schema(), rows_out)?);
            }
            shuffler.as_mut().expect("just made").scatter(&rb)?;
        } else {
            let mut taken = |j: usize| arrow::compute::take(sp.column(j), &local, None).map_err(internal);
            emit(build.batch(&rows, &mut taken, tally)?)?;
        }
    }
    drop(spill);
    if let Some(sh) = shuffler {
        sh.gather(WRITE_ROWS, |bucket, order| {
            let row_col = bucket.num_columns() - 1;
            let rows = arrow::compute::take(bucket.column(row_col), order, None).map_err(internal)?;
            let rows = rows.as_primitive::<arrow::datatypes::UInt32Type>().values().to_vec();
            let mut taken = |j: usize| arrow::compute::take(bucket.column(j), order, None).map_err(internal);
            emit(build.batch(&rows, &mut taken, tally)?)
        })?;
    }
    Ok(())
}

fn internal(e: arrow::error::ArrowError) -> EngineError {
    EngineError::Internal(e.to_string())
}

/// By default, spill files up to this size are read into memory, so pass 2 takes rows in a random order
/// straight from it instead of shuffling through bucket files. Larger spills go through the
/// external shuffle: taking rows in a random order from hundreds of MB (the spill and every
/// dictionary's codes) misses the CPU caches on every row, and at 10M rows the shuffle through
/// bucket files was faster (8.7 s against 10.8 s) and 250 MB smaller. It was 128 MiB while
/// pseudonym codes were spilled as text: the sample rules' spill and row numbers were 24 bytes a
/// row, now 12, so their switch stays at about 5M rows (a spill of other columns, such as masked
/// or scrubbed text, now switches at half the rows it did; the release is the same either way).
const SPILL_IN_MEMORY: u64 = 64 << 20;

/// Rows per written batch.
const WRITE_ROWS: usize = 64 * 1024;

/// Builds written batches from accepted row numbers.
struct Builder<'a> {
    enc: &'a WriteSpec<'a>,
    schema: SchemaRef,
    /// Each dictionary's values as one array (suppressed values null), taken by code.
    dict_values: Vec<ArrayRef>,
    /// The bounds of each dictionary value, taken by code like the labels.
    dict_bounds: Vec<Option<(ArrayRef, ArrayRef)>>,
    /// Bounds of the labels of spilled generalised columns, by label.
    bound_cache: Vec<rustc_hash::FxHashMap<String, Option<Bounds>>>,
    /// Each dictionary's codes of every row (of every combination, when the codes are
    /// combinations') packed into one word, when they fit.
    packed: Option<PackedCodes>,
    /// The schema of the written batches (the release's, with the arrays' own types).
    batch_schema: Option<SchemaRef>,
}

/// Every dictionary's code of each row in one 64-bit word: a row written in a random order is
/// then one read from memory instead of one per dictionary (each a miss of the CPU's caches).
struct PackedCodes {
    words: Vec<u64>,
    /// Per dictionary: where its code starts in a word, and its mask.
    fields: Vec<(u32, u64)>,
}

impl PackedCodes {
    /// The packed codes of `dicts` (`None` when they need more than 64 bits), packed on up to
    /// `threads` threads.
    fn new(dicts: &[Dictionary], threads: usize) -> Option<PackedCodes> {
        let rows = dicts.first()?.codes.len();
        let mut fields = Vec::with_capacity(dicts.len());
        let mut shift = 0u32;
        for d in dicts {
            if d.codes.len() != rows {
                return None;
            }
            let bits = (u32::BITS - (d.values.len().max(2) as u32 - 1).leading_zeros()).max(1);
            if shift + bits > 64 {
                return None;
            }
            fields.push((shift, (1u64 << bits) - 1));
            shift += bits;
        }
        let mut words = vec![0u64; rows];
        let per = rows.div_ceil(threads.max(1)).max(1 << 16);
        std::thread::scope(|scope| {
            for (part, chunk) in words.chunks_mut(per).enumerate() {
                let fields = &fields;
                scope.spawn(move || {
                    let start = part * per;
                    for (d, (shift, _)) in dicts.iter().zip(fields) {
                        for (w, c) in chunk.iter_mut().zip(&d.codes[start..]) {
                            *w |= u64::from(*c) << shift;
                        }
                    }
                });
            }
        });
        Some(PackedCodes { words, fields })
    }
}

impl<'a> Builder<'a> {
    fn new(enc: &'a WriteSpec<'a>, schema: SchemaRef) -> Result<Self, EngineError> {
        let mut dict_values: Vec<ArrayRef> = Vec::with_capacity(enc.dicts.len());
        for c in enc.columns {
            if let Slot::Global(d) = c.slot {
                let mut b = ColumnBuilder::new(&c.transform.output_type(), enc.dicts[d].values.len());
                for (v, nulled) in enc.dicts[d].values.iter().zip(&enc.nulled[d]) {
                    b.append(if *nulled { &Cell::Null } else { v })?;
                }
                if dict_values.len() != d {
                    return Err(EngineError::Internal("dictionaries out of order".into()));
                }
                dict_values.push(b.finish());
            }
        }
        let mut dict_bounds: Vec<Option<(ArrayRef, ArrayRef)>> = vec![None; dict_values.len()];
        for (ci, c) in enc.columns.iter().enumerate() {
            if let (&Slot::Global(d), Some(kind), Some(g)) = (&c.slot, enc.bounds[ci], c.transform.generalizer()) {
                let mut cache = Default::default();
                dict_bounds[d] = Some(bound_arrays(&dict_values[d], kind, g, &mut cache)?);
            }
        }
        Ok(Builder {
            enc,
            schema,
            dict_values,
            dict_bounds,
            bound_cache: vec![Default::default(); enc.columns.len()],
            packed: PackedCodes::new(enc.dicts, enc.threads),
            batch_schema: None,
        })
    }

    /// Dictionary `d`'s values of the rows with `codes`: text as a dictionary array over the
    /// values (the Parquet writer reads each row's text through it, so no text is copied; a
    /// key is null where its value is), other types taken by code.
    fn labels(&self, d: usize, codes: &UInt32Array) -> Result<ArrayRef, EngineError> {
        let values = &self.dict_values[d];
        if values.data_type() != &DataType::Utf8 {
            return arrow::compute::take(values, codes, None).map_err(internal);
        }
        let keys = match values.logical_nulls() {
            Some(nulls) if nulls.null_count() > 0 => {
                let valid =
                    arrow::buffer::NullBuffer::from_iter(codes.values().iter().map(|c| nulls.is_valid(*c as usize)));
                UInt32Array::new(codes.values().clone(), Some(valid))
            }
            _ => codes.clone(),
        };
        let dict = arrow::array::DictionaryArray::<arrow::datatypes::UInt32Type>::try_new(keys, values.clone())
            .map_err(internal)?;
        Ok(Arc::new(dict))
    }

    /// Tally the bounds of dictionary columns from their codes' counts, as their labels are,
    /// instead of row by row. Written columns are counted as [`Builder::batch`] lays them out.
    fn preset_bounds(&self, tally: &mut Tally) {
        let enc = self.enc;
        let cells = |a: &ArrayRef| -> Vec<Cell> {
            (0..a.len())
                .map(|i| match a.data_type() {
                    _ if a.is_null(i) => Cell::Null,
                    DataType::Date32 => Cell::Date(a.as_primitive::<Date32Type>().value(i)),
                    _ => Cell::Int(a.as_primitive::<Int64Type>().value(i)),
                })
                .collect()
        };
        let mut w = 0;
        for (ci, c) in enc.columns.iter().enumerate() {
            w += 1;
            match c.slot {
                Slot::Local(_) => {
                    if let (Some(_), Some(_)) = (enc.bounds[ci], c.transform.generalizer()) {
                        w += 2;
                    }
                }
                Slot::Global(d) => {
                    if let (Some(_), Some((lo, hi))) = (enc.bounds[ci], &self.dict_bounds[d]) {
                        tally.preset(w, &cells(lo), &enc.value_counts[d], &enc.nulled[d]);
                        tally.preset(w + 1, &cells(hi), &enc.value_counts[d], &enc.nulled[d]);
                        w += 2;
                    }
                }
            }
        }
    }

    /// The batch of accepted rows `rows` (in this order); `local(j)` gives spill column `j` of
    /// those rows. Counted in `tally`.
    fn batch(
        &mut self,
        rows: &[u32],
        local: &mut dyn FnMut(usize) -> Result<ArrayRef, EngineError>,
        tally: &mut Tally,
    ) -> Result<RecordBatch, EngineError> {
        let enc = self.enc;
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        // The rows' packed codes, read once for all dictionaries.
        let at = |r: &u32| enc.combo_of_row.map_or(*r as usize, |ids| ids[*r as usize] as usize);
        let words: Option<Vec<u64>> = self.packed.as_ref().map(|p| rows.iter().map(|r| p.words[at(r)]).collect());
        for (ci, c) in enc.columns.iter().enumerate() {
            match c.slot {
                Slot::Local(j) => {
                    let col = match c.transform.hex_digits() {
                        Some(digits) => crate::output::hex_text(&local(j)?, digits)?,
                        None => local(j)?,
                    };
                    let ids = match (c.transform.is_scrub(), enc.row_ids) {
                        (true, Some(r)) => Some(local(r)?),
                        _ => None,
                    };
                    let col = match (enc.scrubber, &ids) {
                        (Some(scrubber), Some(ids)) => scrub_array(&col, ids, scrubber, tally.scrubbed(ci))?,
                        _ => col,
                    };
                    if let (true, Some(scanner)) = (enc.scanned[ci], enc.scanner) {
                        scan_array(&col, ids.as_ref(), scanner, tally.found(ci));
                    }
                    arrays.push(col);
                    if let (Some(kind), Some(g)) = (enc.bounds[ci], c.transform.generalizer()) {
                        let labels = arrays.last().expect("just pushed").clone();
                        let (lo, hi) = bound_arrays(&labels, kind, g, &mut self.bound_cache[ci])?;
                        arrays.push(lo);
                        arrays.push(hi);
                    }
                }
                Slot::Global(d) => {
                    let codes = match (&self.packed, &words) {
                        (Some(p), Some(words)) => {
                            let (shift, mask) = p.fields[d];
                            UInt32Array::from_iter_values(words.iter().map(|w| ((w >> shift) & mask) as u32))
                        }
                        _ => UInt32Array::from_iter_values(rows.iter().map(|r| enc.dicts[d].codes[at(r)])),
                    };
                    arrays.push(self.labels(d, &codes)?);
                    if let (Some(_), Some((lo, hi))) = (enc.bounds[ci], &self.dict_bounds[d]) {
                        arrays.push(arrow::compute::take(lo, &codes, None).map_err(internal)?);
                        arrays.push(arrow::compute::take(hi, &codes, None).map_err(internal)?);
                    }
                }
            }
        }
        tally.add(&arrays, rows);
        // The release's schema with the arrays' own types (text of dictionaries as dictionary
        // arrays); the Parquet file has the release's.
        let same = |s: &SchemaRef| s.fields().iter().zip(&arrays).all(|(f, a)| f.data_type() == a.data_type());
        if !self.batch_schema.as_ref().is_some_and(same) {
            let fields: Vec<Field> = self
                .schema
                .fields()
                .iter()
                .zip(&arrays)
                .map(|(f, a)| f.as_ref().clone().with_data_type(a.data_type().clone()))
                .collect();
            self.batch_schema = Some(Arc::new(Schema::new(fields)));
        }
        RecordBatch::try_new_with_options(
            self.batch_schema.clone().unwrap_or_else(|| self.schema.clone()),
            arrays,
            &RecordBatchOptions::new().with_row_count(Some(rows.len())),
        )
        .map_err(internal)
    }
}

/// Pass 2 with the spill (if any) in memory: the kept rows' numbers are permuted (when
/// shuffling) and each written batch takes its rows by number.
fn write_in_memory(
    build: &mut Builder,
    tally: &mut Tally,
    spill_path: &std::path::Path,
    shuffle: bool,
    emit: &mut dyn FnMut(RecordBatch) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    let enc = build.enc;
    let spill: Vec<RecordBatch> = if enc.spilled { crate::output::read_ipc(spill_path)? } else { Vec::new() };
    // Accepted row number -> (spill batch, row in it).
    let mut place: Vec<(u32, u32)> = Vec::with_capacity(enc.keep.len());
    for (b, &len) in enc.batch_lens.iter().enumerate() {
        place.extend((0..len as u32).map(|r| (b as u32, r)));
    }
    if place.len() != enc.keep.len() || (enc.spilled && spill.len() != enc.batch_lens.len()) {
        return Err(EngineError::Internal("spill and rows disagree".into()));
    }
    take_in_memory(build, tally, &spill, &place, shuffle, emit)
}

/// Pass 2 from spilled batches in memory, `place` giving each accepted row's batch and row in
/// it: the kept rows' numbers are permuted (when shuffling) and each written batch takes its
/// rows by number.
fn take_in_memory(
    build: &mut Builder,
    tally: &mut Tally,
    spill: &[RecordBatch],
    place: &[(u32, u32)],
    shuffle: bool,
    emit: &mut dyn FnMut(RecordBatch) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    let enc = build.enc;
    let mut kept: Vec<u32> = (0..enc.keep.len() as u32).filter(|i| enc.keep[*i as usize]).collect();
    if shuffle {
        use rand::seq::SliceRandom;
        kept.shuffle(&mut rand::rng());
    }
    for rows in kept.chunks(WRITE_ROWS) {
        let spill_idx: Vec<(usize, usize)> =
            rows.iter().map(|r| place[*r as usize]).map(|(b, i)| (b as usize, i as usize)).collect();
        let mut taken = |j: usize| -> Result<ArrayRef, EngineError> {
            let parts: Vec<&dyn arrow::array::Array> = spill.iter().map(|b| b.column(j).as_ref()).collect();
            arrow::compute::interleave(&parts, &spill_idx).map_err(internal)
        };
        emit(build.batch(rows, &mut taken, tally)?)?;
    }
    Ok(())
}

/// Scrub a column of free text, row by row with the row's identifiers (the residual scan reads
/// what it gives).
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
        for (c, k) in counts.iter_mut().zip(n) {
            *c += k;
        }
        b.append_value(out);
    }
    Ok(Arc::new(b.finish()))
}

/// The residual scan of a column of released text, row by row (`ids`: each row's own
/// identifier values joined by U+001F, when the column is scrubbed).
fn scan_array(
    texts: &ArrayRef,
    ids: Option<&ArrayRef>,
    scanner: &crate::residual::Scanner,
    found: &mut crate::scrub::Found,
) {
    use arrow::array::{Array, AsArray};
    let Some(texts) = texts.as_string_opt::<i32>() else { return };
    let ids = ids.and_then(|a| a.as_string_opt::<i32>());
    for i in 0..texts.len() {
        if texts.is_null(i) {
            continue;
        }
        let row_ids: Vec<&str> = match ids {
            Some(ids) if !ids.is_null(i) => ids.value(i).split('\u{1F}').collect(),
            _ => Vec::new(),
        };
        scanner.scan(texts.value(i), &row_ids, found);
    }
}

/// The lower and upper bound columns of a column of labels (null where a bound is open or the
/// label is null).
pub(super) fn bound_arrays(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn dictionary(values: usize, codes: impl Iterator<Item = u32>) -> Dictionary {
        let mut d = Dictionary::default();
        for v in 0..values {
            d.intern(Cell::Int(v as i64));
        }
        d.codes = codes.collect();
        d
    }

    #[test]
    fn packed_codes_give_back_every_dictionary_code_of_every_row() {
        let rows = 200_003u32;
        let sizes = [1usize, 2, 3, 255, 256, 70_000];
        let dicts: Vec<Dictionary> = sizes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                dictionary(
                    *n,
                    (0..rows).map(move |r| (r.wrapping_mul(2_654_435_761).rotate_left(i as u32)) % *n as u32),
                )
            })
            .collect();
        for threads in [1, 2, 3] {
            let p = PackedCodes::new(&dicts, threads).expect("fits in 64 bits");
            for (d, (shift, mask)) in dicts.iter().zip(&p.fields) {
                for r in 0..rows as usize {
                    assert_eq!(((p.words[r] >> shift) & mask) as u32, d.codes[r]);
                }
            }
        }
        // Four dictionaries of 2^20 values need 80 bits: not packed.
        let big: Vec<Dictionary> = (0..4).map(|_| dictionary(1 << 20, (0..10).map(|r| r * 1000))).collect();
        assert!(PackedCodes::new(&big, 2).is_none());
    }
}
