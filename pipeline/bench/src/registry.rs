//! What proving the registry before every act costs, on a registry with many changes.

use std::path::Path;
use std::time::Instant;
use tokumei_registry::{FileEntry, Profile, Proof, Registry, Who};

fn who() -> Who {
    Who { operator: "bench".into(), time: "2026-12-05T00:00:00Z".into(), clock: None }
}

/// Build a registry of `changes` changes in `dir` (its audit log beside it), then time: the
/// first act (the full check, which seals), an act on a sealed registry, a change, and
/// `registry verify`. One JSON line.
pub fn run(changes: u64, dir: &Path, samples: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("registry-{changes}.sqlite"));
    let log = dir.join(format!("audit-{changes}.log"));
    for p in [&path, &log] {
        let _ = std::fs::remove_file(p);
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let profile = Profile::load(&samples.join("profile.toml"))?;
    let entry = FileEntry::load(&samples.join("resident_file.toml"))?;
    let t = Instant::now();
    {
        let mut reg = Registry::create(&path, &profile, &log, &who())?;
        reg.without_seals();
        for i in 0..changes.saturating_sub(1) {
            let mut e = entry.clone();
            e.name = format!("{}-{i}", entry.name);
            reg.add_file(&who(), &e, &[])?;
        }
    }
    let build_s = t.elapsed().as_secs_f64();
    let file_mib = std::fs::metadata(&path)?.len() as f64 / (1 << 20) as f64;
    let log_mib = std::fs::metadata(&log)?.len() as f64 / (1 << 20) as f64;
    let time = |f: &mut dyn FnMut() -> anyhow::Result<()>| -> anyhow::Result<f64> {
        let t = Instant::now();
        f()?;
        Ok(t.elapsed().as_secs_f64() * 1000.0)
    };
    let mut proof = None;
    let full_ms = time(&mut || {
        proof = Some(Registry::open_unproved(&path)?.prove()?);
        Ok(())
    })?;
    anyhow::ensure!(proof == Some(Proof::Full), "the first act must run the full check");
    let mut sealed = Vec::new();
    for _ in 0..5 {
        sealed.push(time(&mut || {
            proof = Some(Registry::open_unproved(&path)?.prove()?);
            Ok(())
        })?);
        anyhow::ensure!(proof == Some(Proof::Sealed), "a sealed registry is proved by its seal");
    }
    let mut change = Vec::new();
    for i in 0..5 {
        change.push(time(&mut || {
            let mut reg = Registry::open(&path)?;
            let mut e = entry.clone();
            e.name = format!("{}-extra-{i}", entry.name);
            reg.add_file(&who(), &e, &[])?;
            Ok(())
        })?);
    }
    let verify_ms = time(&mut || {
        let reg = Registry::open_unproved(&path)?;
        let problems = reg.check_all()?;
        anyhow::ensure!(problems.is_empty(), "{problems:?}");
        Ok(())
    })?;
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "{}",
        serde_json::json!({
            "changes": changes,
            "registry_mib": (file_mib * 10.0).round() / 10.0,
            "audit_log_mib": (log_mib * 10.0).round() / 10.0,
            "build_s": (build_s * 10.0).round() / 10.0,
            "first_act_full_check_ms": full_ms.round(),
            "act_on_sealed_registry_ms": median(&mut sealed).round(),
            "open_and_change_ms": median(&mut change).round(),
            "registry_verify_ms": verify_ms.round(),
        })
    );
    Ok(())
}
