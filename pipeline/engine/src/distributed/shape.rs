//! Which columns a cluster groups by and which it transforms row by row.

use crate::transform::{self, Context};
use arrow::datatypes::DataType;
use tokumei_rules::{Action, Plan, Role};

/// A global (dictionary-coded) column: the cluster groups rows by its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalColumn {
    /// Plan column.
    pub plan: usize,
    /// Input column (index in the input's header).
    pub input: usize,
    /// Arrow type of its cells.
    pub ty: DataType,
    /// Whether the class table carries one raw input value per combination for it (the search
    /// and the value trees label other levels from it).
    pub representative: bool,
}

/// What the cluster computes for a job.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// The global columns, in the order of the run's dictionaries (the class table's columns).
    pub global: Vec<GlobalColumn>,
    /// The input column of the rules' `subject`, whose values the cluster checks repeat no
    /// person (every row a person, as the combination path needs).
    pub subject: Option<usize>,
}

impl Shape {
    /// The shape of `plan` (as the layout stage lays it out: `run/layout.rs`, `out_columns`).
    pub fn of(plan: &Plan) -> Shape {
        let cx = Context { reference_date: tokumei_jp::Date::from_days_since_epoch(0), key: None };
        let mut global = Vec::new();
        for (i, c) in plan.columns.iter().enumerate() {
            if matches!(c.action, Action::Drop) || !c.is_global() {
                continue;
            }
            // A pseudonym's type does not depend on its key: built without one for its type only.
            let ty = match &c.action {
                Action::Pseudonymize { .. } => DataType::Utf8,
                _ => transform::build(c, &cx).map_or(DataType::Utf8, |t| t.output_type()),
            };
            let searched = plan.privacy.search
                && matches!(c.action, Action::Generalize { level, max_level, .. } if max_level > level);
            let tree = c.role == Role::Sensitive && matches!(c.action, Action::Generalize { .. });
            global.push(GlobalColumn { plan: i, input: c.input_index, ty, representative: searched || tree });
        }
        let subject =
            plan.subject.as_ref().and_then(|s| plan.columns.iter().find(|c| &c.name == s)).map(|c| c.input_index);
        Shape { global, subject }
    }
}
