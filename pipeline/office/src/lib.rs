//! The use-cases of tokumei's compliance half, each a function over typed inputs that returns
//! what it did (the binary parses arguments and prints; the console calls the same functions):
//! the run around the engine under a contract or for internal use, residents' requests,
//! leak incidents, tracing a leaked file, and the registry's records. Errors are
//! [`OfficeError`]s that say whose fault they are; the binary decides the exit code.

pub mod audit;
pub mod calls;
pub mod clock;
pub mod error;
pub mod files;
pub mod incident_steps;
pub mod incidents;
pub mod init;
pub mod pseudo;
pub mod pseudo_dictionary;
pub mod received;
pub mod record_steps;
pub mod records;
pub mod request_steps;
pub mod requests;
pub mod run;
pub mod sample;
pub mod sources;
pub mod trace;
pub mod values;
pub mod views;

pub use clock::Clock;
pub use error::OfficeError;

/// House rules (docs/design.md): no module names one that names it back.
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
