//! A job's per-row transforms over Arrow text arrays: the cluster's registered functions call
//! these, so a value is transformed by the same code on an executor as in pass 1.

use crate::error::EngineError;
use crate::keys::Key;
use crate::output::ColumnBuilder;
use crate::transform::{self, ColumnTransform, Context};
use arrow::array::{Array, ArrayRef, StringArray, StringBuilder};
use arrow::datatypes::DataType;
use std::sync::Arc;
use tokumei_jp::Date;
use tokumei_rules::{Action, Plan};

/// Every released column's transform, built once per job (per executor).
pub struct RowFns {
    plan: Plan,
    transforms: Vec<Option<Box<dyn ColumnTransform>>>,
}

/// The error for a value the rules refuse: the column and the reason, never the value (rows are
/// not numbered across the cluster's parts).
fn malformed(column: &str, reason: &str) -> EngineError {
    EngineError::Input {
        file: std::path::PathBuf::from("the cluster's input"),
        message: format!("a value of column `{column}` is malformed: {reason}"),
    }
}

impl RowFns {
    /// The transforms of `plan`'s columns with the run's reference date and pseudonym key
    /// (refused when a column is pseudonymised and there is no key).
    pub fn new(plan: Plan, reference_date: Date, key: Option<Arc<Key>>) -> Result<RowFns, EngineError> {
        let keyed = plan.columns.iter().any(|c| matches!(c.action, Action::Pseudonymize { .. }));
        if keyed && key.is_none() {
            return Err(EngineError::Key("a pseudonymised column needs the run's key".into()));
        }
        let cx = Context { reference_date, key };
        let transforms = plan.columns.iter().map(|c| transform::build(c, &cx)).collect();
        Ok(RowFns { plan, transforms })
    }

    /// The validated rules.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The Arrow type of plan column `column`'s cells, if it is released.
    pub fn output_type(&self, column: usize) -> Option<DataType> {
        self.transforms.get(column)?.as_ref().map(|t| t.output_type())
    }

    /// Plan column `column`'s output cells for `values` (its input column's text), typed as the
    /// column's transform outputs them. A missing value is empty or blank text, as pass 1 reads
    /// it. A malformed value is an error naming the column and the reason, never the value (with
    /// `lenient`, a null cell); a column with several inputs or without an output is refused.
    pub fn apply(&self, column: usize, values: &StringArray, lenient: bool) -> Result<ArrayRef, EngineError> {
        let (Some(col), Some(Some(t))) = (self.plan.columns.get(column), self.transforms.get(column)) else {
            return Err(EngineError::Internal(format!("no released column {column} in the rules")));
        };
        if !col.extra_inputs.is_empty() {
            return Err(EngineError::Config(format!(
                "column {}: a value made of several input columns has no distributed form yet",
                col.name
            )));
        }
        let mut out = ColumnBuilder::new(&t.output_type(), values.len());
        for i in 0..values.len() {
            let v = if values.is_null(i) { None } else { Some(values.value(i)) };
            let cell = match t.apply(v.filter(|s| !s.trim().is_empty())) {
                Ok(cell) => cell,
                Err(_) if lenient => crate::cell::Cell::Null,
                Err(m) => return Err(malformed(&col.name, &m.0)),
            };
            out.append(&cell)?;
        }
        Ok(out.finish())
    }

    /// The rules' subject of each row in the normal form people are counted by (as pass 1
    /// hashes it): a row without one is malformed, as in pass 1.
    pub fn subjects(&self, values: &StringArray) -> Result<StringArray, EngineError> {
        let name = self.plan.subject.as_deref().unwrap_or("subject");
        let mut out = StringBuilder::with_capacity(values.len(), values.len() * 12);
        for i in 0..values.len() {
            let key = if values.is_null(i) { Default::default() } else { tokumei_jp::identifier_key(values.value(i)) };
            if key.is_empty() {
                return Err(malformed(name, "the subject is missing"));
            }
            out.append_value(key);
        }
        Ok(out.finish())
    }
}
