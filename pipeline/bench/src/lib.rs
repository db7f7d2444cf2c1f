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
