//! The engine's half of a run whose rows are read elsewhere (issue 34: a DataFusion Ballista
//! cluster; the cluster's code is in `tokumei-cluster`, which this crate does not know):
//!
//! - [`Shape`]: which columns the cluster groups by (the global, dictionary-coded columns, whose
//!   combinations make the class table) and which it transforms row by row when it writes;
//! - [`refusal`]: what such a run cannot do yet, refused with the reason before anything runs;
//! - [`RowScan`]: the residual scan of the released text, its rows' half (see `scan`);
//! - [`OwnCheck`]: the residual scan's check of each row's released text against that row's own
//!   identifiers;
//! - [`RowFns`]: the job's per-row transforms as functions over Arrow arrays (the same
//!   `transform` code pass 1 runs), which the cluster's executors call;
//! - [`crate::run::aggregated::decide`]: the layout, models, search, report and standards on
//!   the class table the cluster returns, exactly as one machine runs them on its combination
//!   table.
//!
//! No Ballista, no DataFusion here.

mod gate;
mod own;
mod row_fns;
mod scan;
mod shape;

pub use crate::run::scan_request::{Hit, MAX_WANTED, ScanRequest};
pub use gate::refusal;
pub use own::OwnCheck;
pub use row_fns::RowFns;
pub use scan::{RowScan, parse_hits};
pub use shape::{GlobalColumn, Shape};
