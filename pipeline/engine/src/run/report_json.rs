//! The report a run writes reads back, typed, equal to itself.

use crate::progress::NoProgress;
use crate::run::{RunOptions, Target, prepare, run};
use std::path::Path;

/// The bundled sample job, run into a temporary folder: its `report.json` goes through
/// `tokumei_report::read` and is written again byte for byte.
#[test]
fn the_report_a_run_writes_reads_back_equal_to_itself() {
    let job = tokumei_rules::load_job(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/job.toml")).unwrap();
    let now = 1_780_000_000;
    let prepared = prepare(&job, now).unwrap();
    let opts = RunOptions { now_unix: now, progress: &NoProgress, threads: 1, spill_memory: None, provided: true };
    let dir = tempfile::tempdir().unwrap();
    let (release_dir, tmp_dir) = (dir.path().join("release"), dir.path().join("tmp"));
    std::fs::create_dir_all(&release_dir).unwrap();
    std::fs::create_dir_all(&tmp_dir).unwrap();
    let target =
        Target { release_dir: &release_dir, tmp_dir: &tmp_dir, audit_head: Some(format!("1:{}", "ab".repeat(32))) };
    let outcome = run(prepared, &opts, Some(&target)).unwrap_or_else(|e| panic!("{}", e.error));
    let written = std::fs::read_to_string(release_dir.join("report.json")).unwrap();
    let back = tokumei_report::read(&release_dir).unwrap();
    assert_eq!(serde_json::to_string_pretty(&back).unwrap(), written);
    assert_eq!(serde_json::to_string_pretty(&outcome.report).unwrap(), written);
    let stamp = tokumei_report::read_stamp(&release_dir).unwrap();
    assert_eq!(stamp.release_id, back.release_id);
    assert_eq!(stamp.audit_head, back.audit_head);
    assert_eq!(stamp.key_id, back.key_id);
    // What the run wrote holds every part a reader looks at.
    assert!(back.release_risk.is_some() && !back.columns.is_empty() && !back.models.is_empty());
}
