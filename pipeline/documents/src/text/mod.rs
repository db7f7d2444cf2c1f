//! What the CLI prints: the text screens of the registry's records, requests and incidents, each
//! a pure function returning the lines (every one ending in a newline) for the binary to print.

/// `writeln!` into a `String` (which cannot fail).
macro_rules! put {
    ($s:expr, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($s, $($t)*);
    }};
}

pub mod audit;
pub mod cli;
pub mod contract_steps;
pub mod file_steps;
pub mod incident_steps;
pub mod incidents;
pub mod init;
pub mod received;
pub mod register;
pub mod registry_steps;
pub mod release_steps;
pub mod request_steps;
pub mod requests;
pub mod risk;
pub mod run;
pub mod told;
pub mod trace;

pub use told::Told;
