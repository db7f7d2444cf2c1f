//! Integration tests: they run the real `tokumei` binary on real files.

mod util;

mod audit;
mod bad_input;
mod bundle;
mod cli;
#[cfg(feature = "distributed")]
mod cluster;
mod combos;
mod console;
mod end_to_end;
mod erasure;
mod fail_closed;
mod formats;
mod incidents;
mod init;
#[cfg(feature = "query")]
mod multi_source;
#[cfg(not(feature = "query"))]
mod no_query;
mod notes;
mod people;
mod perturb;
mod places;
mod pseudo;
mod python_clients;
#[cfg(feature = "query")]
mod query_types;
mod registry;
mod reports;
mod requests;
mod risk;
mod scrub;
mod search;
mod signing;
mod standards;
mod utility;
mod values;
