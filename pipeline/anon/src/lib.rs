//! Privacy engine: full-domain generalisation over dictionary-encoded columns.
//!
//! Quasi-identifiers are integer codes at level 0 with a [`Hierarchy`] that maps each code to
//! its code at every higher level. The [`search`] module finds the transformation (one level
//! per quasi-identifier) that satisfies the privacy [`models`] after suppressing violating
//! classes within a limit, and minimises a [`quality`] model. It is exhaustive over the
//! lattice, made fast by a lower bound on the quality model, by pruning with monotonicity and
//! with pairwise suppression bounds, and by computing a node's classes by rolling up a finer
//! node's class table instead of rescanning rows.

pub mod enforce;
pub mod hierarchy;
pub mod lattice;
pub mod models;
pub mod mondrian;
mod pairs;
pub mod quality;
pub mod risk;
pub mod search;
pub mod table;

pub use hierarchy::Hierarchy;
pub use lattice::Lattice;
pub use models::Model;
pub use quality::Quality;
pub use search::{Problem, QiColumn, SearchResult, SensitiveColumn, search};

/// Errors of the privacy engine.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AnonError {
    /// A hierarchy is malformed.
    #[error("hierarchy {name}: {message}")]
    Hierarchy {
        /// Hierarchy name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The problem cannot be encoded.
    #[error("{0}")]
    Problem(String),
    /// The distinct values of the quasi-identifiers and sensitive columns need more bits per
    /// tuple than the widest class-table key holds.
    #[error(
        "the distinct values of the quasi-identifiers and sensitive columns need {bits} bits per tuple; at most {max} are supported"
    )]
    TooWide {
        /// Bits needed.
        bits: u32,
        /// Bits available.
        max: u32,
    },
}

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
