//! What a run's audit entry says of it: the facts known of the run, and the report's counts.

use tokumei_audit::Record;
use tokumei_engine::report::Report;
use tokumei_engine::run::RunFacts;

/// The run's facts (dataset, release id, hashes, files, key id) into its entry.
pub fn fill(r: &mut Record, facts: &RunFacts) {
    r.dataset = facts.dataset.clone();
    r.release_id = facts.release_id.clone();
    r.mode = facts.mode.clone();
    r.input_sha256 = facts.input_sha256.clone();
    r.rules_sha256 = facts.rules_sha256.clone();
    r.outputs = facts.outputs.clone();
    r.key_id = facts.key_id.clone();
}

/// The report's counts (and a query job's inputs, the requests applied) into the entry.
pub fn details(record: &mut Record, r: &Report) {
    for (k, v) in [
        ("rows_in", r.rows_in),
        ("rows_rejected", r.rows_rejected),
        ("suppressed", r.suppressed),
        ("rows_out", r.rows_out),
        ("people_in", r.people.people_in),
        ("people_suppressed", r.people.people_suppressed),
        ("people_out", r.people.people_out),
        ("k", r.k as u64),
        ("k_achieved", r.k_achieved),
        ("creation_ms", r.timings.total_ms),
    ] {
        record.details.insert(k.into(), v.into());
    }
    // A query job: each input's hash and rows, and the query as written.
    if !r.inputs.is_empty() {
        let inputs: Vec<serde_json::Value> = r
            .inputs
            .iter()
            .map(|i| serde_json::json!({"name": i.name, "path": i.path, "sha256": i.sha256, "rows": i.rows}))
            .collect();
        record.details.insert("inputs".into(), inputs.into());
    }
    if let Some(q) = &r.query {
        record.details.insert("query".into(), q.clone().into());
    }
    if let Some(q) = &r.requests {
        record.details.insert("excluded_by_requests".into(), q.excluded_records.into());
        record.details.insert("corrected_by_requests".into(), q.corrected_values.into());
    }
}
