//! Column transforms: one per file, listed once in [`build`].

mod generalize;
mod keep;
mod mask;
mod pseudonymize;
mod scrub;
mod suppress_rare;
mod top_bottom_code;

pub use generalize::{BoundKind, Bounds, Generalize};

use crate::cell::{Cell, Malformed};
use crate::keys::Key;
use arrow::datatypes::DataType;
use std::sync::Arc;
use tokumei_rules::{Action, ColumnPlan};

/// What every transform gets from the job.
#[derive(Clone)]
pub struct Context {
    /// Date at which ages are computed.
    pub reference_date: tokumei_jp::Date,
    /// Pseudonym key (per-release random in anonymized mode, managed in pseudonymized mode).
    pub key: Option<Arc<Key>>,
}

/// Turns one column's input text into output cells.
pub trait ColumnTransform: Send + Sync {
    /// Arrow type of the output column.
    fn output_type(&self) -> DataType;
    /// Transform one value; `None` is a missing (empty) value.
    fn apply(&self, value: Option<&str>) -> Result<Cell, Malformed>;
    /// Values seen fewer times than this in the output become null (rare-value suppression).
    fn min_count(&self) -> Option<u32> {
        None
    }
    /// The generaliser, for transforms that can produce other levels (the search uses it).
    fn generalizer(&self) -> Option<&Generalize> {
        None
    }
    /// Whether the text is scrubbed in pass 2, once every name of the file is known.
    fn is_scrub(&self) -> bool {
        false
    }
    /// The column's declared `values` (every text it may hold), if the rules list them.
    fn values(&self) -> Option<&Values> {
        None
    }
    /// How many lower-case hex digits every output has, when the output is a code of hex
    /// digits: between the passes the spill keeps the code's bytes (half the digits) instead of
    /// its text, and pass 2 writes them back as text ([`crate::output::hex_text`]).
    fn hex_digits(&self) -> Option<usize> {
        None
    }
}

/// A text column's declared `values` as its cells hold them (NFKC when the column normalises):
/// a cell of any other text is malformed.
#[derive(Debug)]
pub struct Values(rustc_hash::FxHashSet<Box<str>>);

impl Values {
    /// The values of `col`, if its rules list them.
    pub fn of(col: &ColumnPlan) -> Option<Values> {
        let values = col.values.as_ref()?;
        Some(Values(values.iter().map(|v| normalized(col.nfkc, v).into()).collect()))
    }

    /// `cell`, or malformed when it is a text outside the values (never quoting it).
    pub fn check(&self, cell: Cell) -> Result<Cell, Malformed> {
        match &cell {
            Cell::Str(s) if !self.0.contains(s) => Err(Malformed::new("is not one of the column's `values`")),
            _ => Ok(cell),
        }
    }

    /// Every value.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|v| &v[..])
    }
}

/// The transform for a column, `None` when the column is dropped. This is the registry:
/// adding an action means one file and one line here.
pub fn build(col: &ColumnPlan, cx: &Context) -> Option<Box<dyn ColumnTransform>> {
    Some(match &col.action {
        Action::Drop => return None,
        Action::Keep => Box::new(keep::Keep::new(col)),
        Action::Pseudonymize { length } => Box::new(pseudonymize::Pseudonymize::new(col, *length, cx)),
        Action::Generalize { hierarchy, level, .. } => Box::new(Generalize::new(col, hierarchy.clone(), *level, cx)),
        Action::Mask { .. } => Box::new(mask::Mask::new(col)),
        Action::TopBottomCode { top, bottom } => {
            // `"auto"` codes are computed from the records and applied in the privacy stage.
            Box::new(top_bottom_code::TopBottomCode::new(top.and_then(|c| c.value()), bottom.and_then(|c| c.value())))
        }
        Action::SuppressRare { min_count } => Box::new(suppress_rare::SuppressRare::new(col, *min_count)),
        Action::Scrub { .. } => Box::new(scrub::Scrub),
        // Read as the column's type here; perturbed over the whole column in `crate::perturb`.
        Action::Perturb(_) => Box::new(keep::Keep::new(col)),
    })
}

/// Apply NFKC when the rule asks for it.
pub(crate) fn normalized(col_nfkc: bool, v: &str) -> std::borrow::Cow<'_, str> {
    if col_nfkc { tokumei_jp::nfkc(v) } else { v.into() }
}

/// A text column plan for the transforms' tests: `name`, `role` and `action`, NFKC on.
#[cfg(test)]
pub(crate) fn test_column(name: &str, role: tokumei_rules::Role, action: Action) -> ColumnPlan {
    ColumnPlan {
        name: name.into(),
        input_index: 0,
        role,
        ty: tokumei_rules::ValueType::String,
        nfkc: true,
        action,
        output: Some(name.into()),
        description: None,
        l: None,
        l_reason: None,
        weight: 1.0,
        line: 0,
        extra_inputs: Vec::new(),
        special_care: None,
        values: None,
    }
}
