//! tokumei engine: ingest -> transform -> privacy -> output, with a report.
//!
//! Data flows one way. [`ingest`] streams the input as batches of text values;
//! [`transform`] turns each column's values into output cells (one transform per file,
//! listed in [`transform::build`]); columns whose values must be counted over the whole
//! dataset (quasi-identifiers, sensitive attributes, rare-value suppression) are
//! dictionary-encoded into compact integer codes ([`privacy::Dictionary`]) while the other
//! columns are spilled to a temporary Arrow IPC file; [`privacy`] finds the equivalence
//! classes and enforces k-anonymity and l-diversity, counting people, not rows ([`people`]); [`output`] writes Parquet into the folder
//! the caller stages, and [`report`] says what was done. Publishing is the caller's.

pub(crate) mod cell;
pub mod decisions;
pub mod draft;
pub mod error;
pub mod incident;
pub(crate) mod ingest;
pub mod keys;
pub mod lookup;
pub(crate) mod natural;
pub(crate) mod optimize;
pub mod output;
pub(crate) mod people;
pub(crate) mod privacy;
pub mod progress;
pub(crate) mod render;
pub mod report;
pub mod requests;
pub mod risk;
pub mod run;
pub mod scrub;
pub(crate) mod standards;
pub mod tails;
pub(crate) mod tally;
pub mod trace;
pub(crate) mod transform;

pub use error::{EngineError, ExitCode, Location};
pub use progress::{NoProgress, Progress};
pub use run::{Prepared, RunError, RunOptions, RunOutcome, Target, prepare, prepare_with_requests, run};

#[cfg(test)]
mod architecture {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// The top-level modules each top-level module of the engine names (`crate::x`).
    fn imports(dir: &Path, top: Option<&str>, out: &mut BTreeMap<String, BTreeSet<String>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let module = top.map_or(stem.clone(), str::to_string);
            if path.is_dir() {
                imports(&path, Some(&module), out);
            } else if path.extension().is_some_and(|e| e == "rs") && module != "lib" {
                let text = std::fs::read_to_string(&path).unwrap();
                let named = out.entry(module.clone()).or_default();
                for part in text.split("crate::").skip(1) {
                    let name: String = part.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                    if !name.is_empty() && name != module {
                        named.insert(name);
                    }
                }
            }
        }
    }

    /// Data flows one way: no module imports a module that imports it back.
    #[test]
    fn no_module_imports_one_that_imports_it_back() {
        let mut graph = BTreeMap::new();
        imports(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), None, &mut graph);
        assert!(graph.len() > 10, "{graph:?}");
        for (a, named) in &graph {
            for b in named {
                assert!(!graph.get(b).is_some_and(|n| n.contains(a)), "{a} and {b} import each other");
            }
        }
    }
}
