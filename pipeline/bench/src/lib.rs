//! Benchmarks for tokumei, kept out of the shipped binary and library: the Adult loader and the
//! ARX comparison, and throughput on generated resident-registry extracts.

/// `println!` that never panics on a closed stdout.
#[macro_export]
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

pub mod arx;
pub mod drivers;
pub mod registry;
