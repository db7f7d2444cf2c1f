//! What the CLI prints: the text screens of the registry's records, requests and incidents, each
//! a pure function returning the lines (every one ending in a newline) for the binary to print.

/// `writeln!` into a `String` (which cannot fail).
macro_rules! put {
    ($s:expr, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($s, $($t)*);
    }};
}

pub mod incidents;
pub mod register;
pub mod requests;
pub mod risk;
