//! The benchmark drivers: generated resident-registry extracts run through the engine,
//! printing rows/s and peak memory (VmHWM, reset before each run).

use std::path::Path;
use std::time::Instant;
use tokumei_engine::NoProgress;
use tokumei_engine::run::{RunOptions, Target};

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}

fn reset_peak() {
    // Linux: writing 5 resets the peak resident set size of this process.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Run the benchmark for each row count.
pub fn run(rows: &[u64], dir: &Path, rules: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let rules = std::fs::canonicalize(rules)
        .map_err(|e| anyhow::anyhow!("run the bench from the repository root ({}: {e})", rules.display()))?;
    for &n in rows {
        let input = dir.join(format!("resident_{n}.csv"));
        if !input.exists() {
            let t = Instant::now();
            tokumei_synth::resident_registry(&input, n, 42, tokumei_synth::TextEncoding::Cp932)?;
            eprintln!("generated {n} rows in {:.1} s", t.elapsed().as_secs_f64());
        }
        let stem = rules.file_stem().and_then(|s| s.to_str()).unwrap_or("rules").to_string();
        let job_path = dir.join(format!("job_{stem}_{n}.toml"));
        std::fs::write(
            &job_path,
            format!(
                "version = 1\nname = \"bench-{n}\"\nreference_date = \"2026-04-01\"\n[input]\npath = \"{}\"\nencoding = \"auto\"\n[rules]\npath = \"{}\"\n[output]\ndir = \"out_{stem}_{n}\"\n[audit]\nlog = \"bench_audit.log\"\n",
                input.file_name().and_then(|f| f.to_str()).unwrap_or_default(),
                rules.display()
            ),
        )?;
        let job = tokumei_rules::load_job(&job_path).map_err(|d| anyhow::anyhow!("{d}"))?;
        let bytes = std::fs::metadata(&input)?.len();
        reset_peak();
        let t = Instant::now();
        let opts = RunOptions {
            now_unix: 1_795_000_000,
            progress: &NoProgress,
            threads: 0,
            spill_memory: None,
            provided: false,
        };
        let out = dir.join(format!("out_{stem}_{n}"));
        let _ = std::fs::remove_dir_all(&out);
        let (release_dir, tmp_dir) = (out.join("release"), out.join("tmp"));
        std::fs::create_dir_all(&release_dir)?;
        std::fs::create_dir_all(&tmp_dir)?;
        let target = Target { release_dir: &release_dir, tmp_dir: &tmp_dir, audit_head: None };
        let prepared = tokumei_engine::prepare(&job, opts.now_unix).map_err(|e| e.error)?;
        let outcome = tokumei_engine::run(prepared, &opts, Some(&target)).map_err(|e| e.error)?;
        let secs = t.elapsed().as_secs_f64();
        let peak = peak_rss_kib().unwrap_or(0);
        let r = &outcome.report;
        let search_ms = r.search.as_ref().map_or(0.0, |s| s.ms);
        say!(
            "{{\"rules\":\"{stem}\",\"search_ms\":{search_ms:.1},\"rows\":{n},\"input_mb\":{:.1},\"seconds\":{secs:.2},\"rows_per_s\":{:.0},\"peak_mib\":{:.0},\"rows_out\":{},\"suppressed\":{},\"ingest_ms\":{},\"privacy_ms\":{},\"write_ms\":{}}}",
            bytes as f64 / 1e6,
            n as f64 / secs,
            peak as f64 / 1024.0,
            r.rows_out,
            r.suppressed,
            r.timings.ingest_ms,
            r.timings.privacy_ms,
            r.timings.write_ms
        );
    }
    Ok(())
}

/// The configurations of an ARX benchmark dataset (every attribute a quasi-identifier with
/// ARX's hierarchies, quality model "Loss"): for each k and suppression limit the fastest of
/// `repeat` searches, one JSON line each.
pub fn arx_configs(
    set: &crate::arx::Benchmark,
    dir: &Path,
    ks: &[u32],
    supps: &[f64],
    repeat: u32,
) -> anyhow::Result<()> {
    use tokumei_anon::search::SearchOptions;
    use tokumei_anon::{Model, Problem, Quality, search};
    let data = set.load(dir)?;
    for &k in ks {
        for &supp in supps {
            let qi = data.quasi_identifiers();
            let p = Problem {
                qi,
                sensitive: vec![],
                n: data.n,
                counts: None,
                models: vec![Model::k_anonymity(k)],
                max_suppression: supp,
                quality: Quality::LOSS,
            };
            let mut times = Vec::new();
            let mut result = None;
            for _ in 0..repeat.max(1) {
                let r = search(&p, &SearchOptions::default())?;
                times.push(r.ms);
                result = Some(r);
            }
            times.sort_by(f64::total_cmp);
            let r = result.expect("at least one repetition");
            let best = r.best.ok_or_else(|| anyhow::anyhow!("no admissible transformation for k={k}"))?;
            let line = serde_json::json!({
                "data": set.name,
                "k": k,
                "suppression": supp,
                "levels": best.levels,
                "loss": (best.quality * 1e6).round() / 1e6,
                "suppressed": best.suppressed,
                "classes": best.classes,
                "ms": (times[0] * 100.0).round() / 100.0,
                "median_ms": (times[times.len() / 2] * 100.0).round() / 100.0,
                "evaluated": r.evaluated,
                "pruned": r.pruned,
            });
            say!("{line}");
        }
    }
    Ok(())
}
