//! tokumei's functions on the cluster, registered by name on the scheduler, every executor and
//! the coordinator's session. A function's first argument is the run's context folder
//! ([`crate::context`]): its path is all a plan carries (no rule, key or value); the function
//! loads the context once per process and calls the engine's code (`RowFns`: the same
//! transforms as pass 1 on one machine).
//!
//! - `tokumei_cell_<type>(context, plan column, value[, lenient])`: the column's transform; with
//!   `lenient` true a value the rules refuse gives a null cell instead of an error (the release's
//!   filter only: its rows' cells were all checked strictly when the class table was counted,
//!   and DataFusion may evaluate that filter on records the request stage leaves out);
//! - `tokumei_subject(context, value)`: the rules' subject in the normal form people are counted
//!   by, keyed (HMAC under the release's order key: what the count's shuffle between executors
//!   writes to their disks is no identifier);
//! - `tokumei_kept(context, cells...)`: whether the row's combination of the global columns'
//!   cells is released (the models' decision);
//! - `tokumei_released_<type>(context, release column, cells...)`: the value the row's
//!   combination is released with in that column (levels chosen, cells suppressed, bounds);
//! - `tokumei_order(context, values...)`: the row's place in the release's random order (a keyed
//!   hash of its input values under a key drawn for the release);
//! - `tokumei_scan(context, values...)`: the row's identifier values' keys that the residual scan
//!   wants (keyed hashes, null when none: `tokumei_engine::distributed::RowScan`);
//! - `tokumei_shaped(context, value)`: 1 when a value is shaped like a person name, 0 when not,
//!   null when blank (whether a column's values are names is told by how many are);
//! - `tokumei_request(context, subject)`: the request stage's verdict on the row (residents'
//!   requests: `tokumei_engine::requests::RowRequests`): -1 when its subject's records are left
//!   out, else how many of its values are corrected;
//! - `tokumei_corrected(context, input column, subject, value)`: the value as corrected for the
//!   row's subject, if a correction of that column is in force, else the value;
//! - `tokumei_own(context, n, identifier values (n)..., released texts...)`: null, or the
//!   residual scan's error when a row's released text holds one of its own identifier values
//!   (`tokumei_engine::distributed::OwnCheck`).
//!
//! Their errors are the engine's (a column and a reason, never a value), marked with
//! [`MARK`] so the coordinator can tell them from DataFusion's own, which it withholds.

use crate::context::{self, Loaded};
use crate::subject_key::SubjectKeyer;
use arrow::array::{Array, ArrayRef, AsArray, BooleanBuilder, Int64Array, Int64Builder, StringArray};
use arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use std::sync::Arc;
use tokumei_engine::requests::{RowRequests, Verdict};

/// The start of the message of an error raised by tokumei's code on the cluster.
pub const MARK: &str = "tokumei: ";

/// What a function computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Cell,
    Subject,
    Kept,
    Released,
    Order,
    Scan,
    Shaped,
    Request,
    Corrected,
    Own,
}

/// One of tokumei's functions.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Function {
    name: String,
    kind: Kind,
    ty: DataType,
    signature: Signature,
}

/// The types a cell may have (a transform's output).
const TYPES: [(&str, DataType); 4] = [
    ("utf8", DataType::Utf8),
    ("int64", DataType::Int64),
    ("boolean", DataType::Boolean),
    ("date32", DataType::Date32),
];

/// The name of `prefix`'s function for cells of type `ty`.
pub fn typed_name(prefix: &str, ty: &DataType) -> Option<String> {
    TYPES.iter().find(|(_, t)| t == ty).map(|(n, _)| format!("{prefix}_{n}"))
}

/// Every function, to register.
pub fn all() -> Vec<Arc<ScalarUDF>> {
    let f = |name: String, kind, ty| {
        Arc::new(ScalarUDF::new_from_impl(Function {
            name,
            kind,
            ty,
            signature: Signature::variadic_any(Volatility::Immutable),
        }))
    };
    let mut out = Vec::new();
    for (n, ty) in TYPES.iter() {
        out.push(f(format!("tokumei_cell_{n}"), Kind::Cell, ty.clone()));
        out.push(f(format!("tokumei_released_{n}"), Kind::Released, ty.clone()));
    }
    out.push(f("tokumei_subject".into(), Kind::Subject, DataType::Utf8));
    out.push(f("tokumei_kept".into(), Kind::Kept, DataType::Boolean));
    out.push(f("tokumei_order".into(), Kind::Order, DataType::Int64));
    out.push(f("tokumei_scan".into(), Kind::Scan, DataType::Utf8));
    out.push(f("tokumei_shaped".into(), Kind::Shaped, DataType::Int64));
    out.push(f("tokumei_request".into(), Kind::Request, DataType::Int64));
    out.push(f("tokumei_corrected".into(), Kind::Corrected, DataType::Utf8));
    out.push(f("tokumei_own".into(), Kind::Own, DataType::Int64));
    out
}

/// An error of tokumei's code, marked with its class (the engine's: `input`, `config`, `key`...)
/// for the coordinator.
fn marked(e: impl Into<crate::ClusterError>) -> DataFusionError {
    let e: crate::ClusterError = e.into();
    let class = match &e {
        crate::ClusterError::Engine(x) => x.class(),
        crate::ClusterError::Io { .. } | crate::ClusterError::Cluster(_) => "output",
        crate::ClusterError::Internal(_) => "internal",
    };
    DataFusionError::Execution(format!("{MARK}[{class}] {e}"))
}

/// A bug in how a plan calls a function.
fn bug(what: &str) -> DataFusionError {
    marked(crate::ClusterError::Internal(what.into()))
}

/// The context named by the first argument.
fn context_of(args: &[ColumnarValue]) -> Result<Arc<Loaded>, DataFusionError> {
    match args.first() {
        Some(ColumnarValue::Scalar(ScalarValue::Utf8(Some(p)))) => {
            context::load(std::path::Path::new(p)).map_err(marked)
        }
        _ => Err(bug("a function's first argument is not the run's context")),
    }
}

/// A whole-number literal argument.
fn index_of(args: &[ColumnarValue], i: usize) -> Result<usize, DataFusionError> {
    match args.get(i) {
        Some(ColumnarValue::Scalar(ScalarValue::Int64(Some(n)))) if *n >= 0 => Ok(*n as usize),
        _ => Err(bug("a function's column argument is not a number")),
    }
}

/// An argument as an array of `rows` values.
fn array_of(v: &ColumnarValue, rows: usize) -> Result<ArrayRef, DataFusionError> {
    v.clone().into_array(rows)
}

/// An argument as text (input values are read as text).
fn text_of(v: &ColumnarValue, rows: usize) -> Result<StringArray, DataFusionError> {
    let a = array_of(v, rows)?;
    // Strict: a value that is no text (bytes that are not UTF-8) is an error, as on one machine,
    // never a null that the transforms and the residual scan would skip.
    let strict = arrow::compute::CastOptions { safe: false, ..Default::default() };
    let a = arrow::compute::cast_with_options(&a, &DataType::Utf8, &strict)?;
    Ok(a.as_string::<i32>().clone())
}

/// Each row's combination of the global columns' cells (arguments `from..`), looked up in the
/// released combinations: its row there, if released.
fn released_rows(
    cx: &Loaded,
    args: &[ColumnarValue],
    from: usize,
    rows: usize,
) -> Result<Vec<Option<u32>>, DataFusionError> {
    let released = cx.released().map_err(marked)?;
    let cells: Vec<ArrayRef> = args[from..].iter().map(|a| array_of(a, rows)).collect::<Result<_, _>>()?;
    let mut key = Vec::new();
    let mut out = Vec::with_capacity(rows);
    for r in 0..rows {
        key.clear();
        for c in &cells {
            context::key_of(c, r, &mut key).map_err(marked)?;
        }
        out.push(released.row(&key));
    }
    Ok(out)
}

impl ScalarUDFImpl for Function {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> datafusion::common::Result<DataType> {
        Ok(self.ty.clone())
    }

    fn invoke_with_args(&self, a: ScalarFunctionArgs) -> datafusion::common::Result<ColumnarValue> {
        let (args, rows) = (&a.args, a.number_rows);
        let cx = context_of(args)?;
        let out: ArrayRef = match self.kind {
            Kind::Cell => {
                let column = index_of(args, 1)?;
                let values = text_of(args.get(2).ok_or_else(|| bug("a cell without its value"))?, rows)?;
                let lenient = matches!(args.get(3), Some(ColumnarValue::Scalar(ScalarValue::Boolean(Some(true)))));
                let cells = cx.fns.apply(column, &values, lenient).map_err(marked)?;
                if cells.data_type() != &self.ty {
                    return Err(bug("a column's cells are not of its function's type"));
                }
                cells
            }
            Kind::Subject => {
                let values = text_of(args.get(1).ok_or_else(|| bug("a subject without its value"))?, rows)?;
                let subjects = cx.fns.subjects(&values).map_err(marked)?;
                Arc::new(keyed(&cx.order_key, &subjects))
            }
            Kind::Kept => {
                let found = released_rows(&cx, args, 1, rows)?;
                let mut b = BooleanBuilder::with_capacity(rows);
                found.iter().for_each(|r| b.append_value(r.is_some()));
                Arc::new(b.finish())
            }
            Kind::Released => {
                let column = index_of(args, 1)?;
                let found = released_rows(&cx, args, 2, rows)?;
                let released = cx.released().map_err(marked)?;
                let values = released.values.get(column).ok_or_else(|| bug("no such release column"))?;
                // Rows not released take null here; the plan keeps only released rows.
                let idx: arrow::array::UInt32Array = found.into_iter().collect();
                let taken = arrow::compute::take(values.as_ref(), &idx, None)?;
                if taken.data_type() != &self.ty {
                    return Err(bug("a release column is not of its function's type"));
                }
                taken
            }
            Kind::Order => {
                let values: Vec<StringArray> = args[1..].iter().map(|v| text_of(v, rows)).collect::<Result<_, _>>()?;
                Arc::new(order(&cx.order_key, &values, rows))
            }
            Kind::Scan => {
                let values: Vec<StringArray> = args[1..].iter().map(|v| text_of(v, rows)).collect::<Result<_, _>>()?;
                Arc::new(cx.scan().map_err(marked)?.hits(&values, rows).map_err(marked)?)
            }
            Kind::Shaped => {
                let values = text_of(args.get(1).ok_or_else(|| bug("a name check without its value"))?, rows)?;
                Arc::new(tokumei_engine::distributed::RowScan::shaped(&values))
            }
            Kind::Request => {
                let subjects = text_of(args.get(1).ok_or_else(|| bug("a request without its subject"))?, rows)?;
                let stage = cx.requests.as_ref().ok_or_else(|| bug("no request stage in the run's context"))?;
                let verdicts = verdicts(&cx.order_key, stage, &subjects);
                Arc::new(verdicts.map(|v| Some(v.map_or(-1, |l| l.len() as i64))).collect::<Int64Array>())
            }
            Kind::Own => {
                let n = index_of(args, 1)?;
                let values: Vec<StringArray> = args[2..].iter().map(|v| text_of(v, rows)).collect::<Result<_, _>>()?;
                let (ids, texts) = values.split_at(n.min(values.len()));
                tokumei_engine::distributed::OwnCheck::of(cx.fns.plan()).check(ids, texts).map_err(marked)?;
                Arc::new(Int64Array::new_null(rows))
            }
            Kind::Corrected => {
                let column = index_of(args, 1)?;
                let subjects = text_of(args.get(2).ok_or_else(|| bug("a correction without its subject"))?, rows)?;
                let values = text_of(args.get(3).ok_or_else(|| bug("a correction without its value"))?, rows)?;
                let stage = cx.requests.as_ref().ok_or_else(|| bug("no request stage in the run's context"))?;
                let verdicts = verdicts(&cx.order_key, stage, &subjects);
                let fixed = verdicts.zip(values.iter()).map(|(v, value)| {
                    let fix = v.and_then(|l| l.iter().find(|(c, _)| *c == column).map(|(_, f)| f.as_str()));
                    fix.or(value)
                });
                Arc::new(fixed.collect::<StringArray>())
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// Each value's keyed hash ([`SubjectKeyer`]): equal values, equal hashes; no value readable
/// from them.
fn keyed(key: &[u8; 32], values: &StringArray) -> StringArray {
    let keyer = SubjectKeyer::new(key);
    values.iter().map(|v| Some(keyer.key(v?))).collect()
}

/// The request stage's verdict on each row by its subject (keyed as the stage's file keys them):
/// `None` when left out, else its corrections (a row without a subject passes uncorrected, as on
/// one machine).
fn verdicts<'a>(
    key: &'a [u8; 32],
    stage: &'a RowRequests,
    subjects: &'a StringArray,
) -> impl Iterator<Item = Option<&'a [(usize, String)]>> + 'a {
    let keyer = SubjectKeyer::new(key);
    subjects.iter().map(move |s| {
        let Some(s) = s else { return Some(&[][..]) };
        match stage.verdict(&keyer.key(&tokumei_jp::identifier_key(s))) {
            Verdict::Excluded => None,
            Verdict::Passed(l) => Some(l),
        }
    })
}

/// Each row's place in the release's random order: HMAC-SHA-256 under the release's order key
/// of its input values (each length-prefixed; a missing one marked), its first 8 bytes.
fn order(key: &[u8; 32], values: &[StringArray], rows: usize) -> arrow::array::Int64Array {
    use hmac::{Hmac, KeyInit, Mac};
    let keyed = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).ok();
    let mut b = Int64Builder::with_capacity(rows);
    for r in 0..rows {
        let Some(mut mac) = keyed.clone() else {
            b.append_value(0);
            continue;
        };
        for v in values {
            match v.is_null(r) {
                true => mac.update(&[0]),
                false => {
                    let s = v.value(r).as_bytes();
                    mac.update(&[1]);
                    mac.update(&(s.len() as u64).to_le_bytes());
                    mac.update(s);
                }
            }
        }
        let d = mac.finalize().into_bytes();
        let mut first = [0u8; 8];
        first.copy_from_slice(&d[..8]);
        b.append_value(i64::from_le_bytes(first));
    }
    b.finish()
}
