//! Job and rule files for tokumei.
//!
//! Raw TOML structures ([`raw`]) are parsed with unknown keys rejected, then validated
//! against the input's header ([`validate`]) into a [`Plan`], the only thing the engine
//! accepts. Validation collects every problem with `file:line:col` and a "did you mean"
//! hint instead of stopping at the first one.

pub mod diag;
pub mod hierarchy;
pub mod job;
pub mod perturb;
pub mod plan;
pub mod raw;
pub mod validate;

pub use diag::{Diagnostic, Diagnostics};
pub use hierarchy::{CustomHierarchy, Hierarchy};
pub use job::{Actor, Encoding, Input, InputFormat, InputType, Job, JobUse, Query, QueryLimits, load_job};
pub use perturb::{
    Aggregate, MDAV_MAX_RECORDS, MicroMethod, Microaggregation, Noise, NoiseKind, Perturbation, Pram, Swap, Transition,
};
pub use plan::*;
pub use validate::{column_types, parse_rules, rules_digest, validate_rules};

/// House rules ([`tokumei_house`], docs/design.md): no module of this crate names one that names
/// it back, at any distance.
#[cfg(test)]
mod architecture {
    #[test]
    fn no_circle() {
        tokumei_house::assert_no_circle(env!("CARGO_MANIFEST_DIR"), &[]);
    }

    #[test]
    fn no_long_function() {
        tokumei_house::assert_no_long_function(env!("CARGO_MANIFEST_DIR"), 150);
    }
}
