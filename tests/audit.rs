//! Releases and the audit log through the binary: immutable release folders, an audit entry for
//! every release at every instant (crashes, kill -9, full or read-only disks, concurrent runs),
//! and forgeries of the log detected from heads kept outside it.
//!
//! The checks recompute hashes and chains here, independently of tokumei's code.

use crate::util::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

fn log_lines(env: &Env) -> Vec<Value> {
    std::fs::read_to_string(env.path("audit.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Recompute `seq`, `prev` and `hash` of every entry, as a forger who can write the file would.
fn rechain(mut entries: Vec<Value>) -> String {
    let mut prev = "0".repeat(64);
    let mut out = String::new();
    for (i, e) in entries.iter_mut().enumerate() {
        let o = e.as_object_mut().unwrap();
        o.remove("hash");
        o.insert("seq".into(), (i as u64 + 1).into());
        o.insert("prev".into(), prev.clone().into());
        // Keep the field order of a real entry: seq, prev first.
        let mut ordered = serde_json::Map::new();
        for k in ["seq", "prev"] {
            ordered.insert(k.into(), o[k].clone());
        }
        for (k, v) in o.iter().filter(|(k, _)| *k != "seq" && *k != "prev") {
            ordered.insert(k.clone(), v.clone());
        }
        let hash = hex::encode(Sha256::digest(serde_json::to_string(&ordered).unwrap().as_bytes()));
        ordered.insert("hash".into(), hash.clone().into());
        out.push_str(&serde_json::to_string(&ordered).unwrap());
        out.push('\n');
        prev = hash;
    }
    out
}

/// Release folders in the order the log published them.
fn releases_in_log_order(env: &Env) -> Vec<PathBuf> {
    let lines = log_lines(env);
    let mut v = env.releases("resident_registry");
    let seq = |p: &PathBuf| {
        let id = p.file_name().unwrap().to_str().unwrap();
        lines.iter().find(|e| e["status"] == "publishing" && e["release_id"] == id).map(|e| e["seq"].as_u64().unwrap())
    };
    v.sort_by_key(seq);
    v
}

/// Every file of every release folder under out/<dataset>, with its hash.
fn snapshot(env: &Env, dataset: &str) -> BTreeMap<PathBuf, String> {
    let mut m = BTreeMap::new();
    for dir in env.releases(dataset) {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            m.insert(p.clone(), sha256(&p));
        }
    }
    m
}

/// What must hold after any crash: every visible release is complete, matches its report, and
/// has a `publishing` entry naming exactly its files and hashes; the log's chain is intact.
/// Returns the number of visible releases.
fn assert_releases_complete_and_recorded(env: &Env, dataset: &str) -> usize {
    let entries = log_lines(env);
    // The chain, recomputed here.
    let mut prev = "0".repeat(64);
    for (i, e) in entries.iter().enumerate() {
        let mut body = e.as_object().unwrap().clone();
        let hash = body.remove("hash").unwrap();
        assert_eq!(body["seq"], (i as u64 + 1), "entry {i}");
        assert_eq!(body["prev"], prev.as_str(), "entry {i}");
        let h = hex::encode(Sha256::digest(serde_json::to_string(&body).unwrap().as_bytes()));
        assert_eq!(hash, h.as_str(), "entry {i} hash");
        prev = h;
    }
    let releases = env.releases(dataset);
    for dir in &releases {
        let id = dir.file_name().unwrap().to_str().unwrap();
        let rep = report(dir);
        assert_eq!(rep["release_id"], id);
        let parquet = dir.join(rep["output_file"].as_str().unwrap());
        assert_eq!(rep["output_sha256"], sha256(&parquet).as_str(), "{id}: the report does not match its Parquet");
        assert_eq!(read_parquet(&parquet).rows.len() as u64, rep["rows_out"].as_u64().unwrap());
        let entry = entries
            .iter()
            .find(|e| e["status"] == "publishing" && e["release_id"] == id)
            .unwrap_or_else(|| panic!("release {id} is visible without its audit entry"));
        let mut recorded: Vec<String> =
            entry["outputs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
        recorded.sort();
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                format!("{}={}", p.file_name().unwrap().to_str().unwrap(), sha256(&p))
            })
            .collect();
        on_disk.sort();
        assert_eq!(recorded, on_disk, "{id}: files differ from the audit entry");
    }
    let r = env.tokumei(&["audit", "verify", "--log", "audit.log", "--releases", "out"]);
    if !releases.is_empty() {
        assert_eq!(r.code, 0, "verify after a crash:\n{}\n{}", r.stdout, r.stderr);
    }
    releases.len()
}

fn sample_job(env: &Env) -> String {
    env.job("sample", &sample_csv(), &sample_rules(), "").to_str().unwrap().to_string()
}

#[test]
fn each_run_publishes_its_own_immutable_folder_recorded_before_it_is_visible() {
    let env = Env::new();
    let job = sample_job(&env);
    let r = env.tokumei(&["run", &job]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("started a new audit log"), "{}", r.stderr);
    let first = snapshot(&env, "resident_registry");
    // The Parquet file, the reports, the data dictionary and the manifest (unsigned: no key given).
    assert_eq!(first.len(), 9, "{first:?}");
    for p in first.keys() {
        assert!(std::fs::metadata(p).unwrap().permissions().readonly(), "{p:?} is writable");
    }
    let r = env.tokumei(&["run", &job]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The second run changed nothing of the first release.
    let both = snapshot(&env, "resident_registry");
    assert_eq!(both.len(), 18);
    for (p, h) in &first {
        assert_eq!(both.get(p), Some(h), "{p:?} changed");
    }
    let releases = releases_in_log_order(&env);
    assert_eq!(env.latest(), std::fs::canonicalize(&releases[1]).unwrap());
    assert_eq!(assert_releases_complete_and_recorded(&env, "resident_registry"), 2);

    // A failed run is audited and creates nothing.
    let bad = env.write(
        "bad.toml",
        "version = 1\nname = \"bad\"\n[input]\npath = \"nope.csv\"\n[rules]\npath = \"r.toml\"\n[output]\ndir = \"out2\"\n[audit]\nlog = \"audit.log\"\n",
    );
    assert_eq!(env.tokumei(&["run", bad.to_str().unwrap()]).code, 4);
    assert!(!env.path("out2").exists());

    let lines = log_lines(&env);
    let kinds: Vec<(String, String)> =
        lines.iter().map(|e| (e["action"].as_str().unwrap().into(), e["status"].as_str().unwrap().into())).collect();
    let want = [
        ("audit-start", "ok"),
        ("run", "publishing"),
        ("run", "published"),
        ("run", "publishing"),
        ("run", "published"),
        ("run", "failed"),
    ];
    assert_eq!(kinds, want.map(|(a, s)| (a.to_string(), s.to_string())));
    assert_eq!(lines[0]["operator"], "tester");
    assert!(lines[1]["input_sha256"].is_string());

    // Each release carries the head just before its publishing entry, in report.json and the
    // Parquet metadata.
    for (dir, entry) in releases.iter().zip([&lines[1], &lines[3]]) {
        let seq = entry["seq"].as_u64().unwrap() - 1;
        let head = format!("{seq}:{}", lines[seq as usize - 1]["hash"].as_str().unwrap());
        assert_eq!(report(dir)["audit_head"], head.as_str());
        let t = read_parquet(&dir.join("resident_registry.parquet"));
        assert_eq!(t.metadata["tokumei.audit_head"], head);
    }
    let r = env.tokumei(&["audit", "verify", "--job", &job]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("6 entries, chain intact"), "{}", r.stdout);
    assert_eq!(r.stdout.matches("published; its files match").count(), 2, "{}", r.stdout);

    // A changed release file is found.
    let parquet = releases[0].join("resident_registry.parquet");
    let mut perms = std::fs::metadata(&parquet).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&parquet, perms).unwrap();
    let mut bytes = std::fs::read(&parquet).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&parquet, bytes).unwrap();
    let r = env.tokumei(&["audit", "verify", "--job", &job]);
    assert_eq!(r.code, 7, "{}", r.stdout);
    assert!(r.stderr.contains("does not match the SHA-256 in its audit entry"), "{}", r.stderr);
}

#[test]
fn tampering_is_found_at_its_entry() {
    let env = Env::new();
    let job = sample_job(&env);
    assert_eq!(env.tokumei(&["run", &job]).code, 0);
    assert_eq!(env.tokumei(&["run", &job]).code, 0);
    let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
    // Change the second release's row count (entry 4).
    let tampered =
        log.replacen("\"rows_in\":10000", "\"rows_in\":9999", 2).replacen("\"rows_in\":9999", "\"rows_in\":10000", 1);
    assert_ne!(tampered, log);
    std::fs::write(env.path("audit.log"), &tampered).unwrap();
    let r = env.tokumei(&["audit", "verify", "--log", "audit.log"]);
    assert_eq!(r.code, 7, "{}", r.stdout);
    assert!(r.stderr.contains("entry 4 (line 4) is broken"), "{}", r.stderr);
    // A run refuses to append to it, and leaves it as it is (evidence).
    let r = env.tokumei(&["run", &job]);
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert!(r.stderr.contains("did not start"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(env.path("audit.log")).unwrap(), tampered);
    assert_eq!(env.releases("resident_registry").len(), 2);
    // Deleting the first entry breaks the chain at line 1.
    let lines: Vec<&str> = log.lines().collect();
    std::fs::write(env.path("audit.log"), lines[1..].join("\n") + "\n").unwrap();
    let r = env.tokumei(&["audit", "verify", "--job", &job]);
    assert_eq!(r.code, 7);
    assert!(r.stderr.contains("(line 1) is broken"), "{}", r.stderr);
}

#[test]
fn forgeries_that_keep_the_chain_valid_are_found_from_heads_kept_outside_the_log() {
    let env = Env::new();
    let job = sample_job(&env);
    for _ in 0..3 {
        assert_eq!(env.tokumei(&["run", &job]).code, 0);
    }
    // The officer files the head after the last run.
    let r = env.tokumei(&["audit", "head", "--log", "audit.log", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    env.write("filed_head.json", &r.stdout);
    let real = std::fs::read_to_string(env.path("audit.log")).unwrap();
    let entries = log_lines(&env);
    assert_eq!(entries.len(), 7);
    let releases = releases_in_log_order(&env);
    // Release 1's Parquet witnesses entry 1, release 3's witnesses entries 1-5.
    let oldest_parquet = releases[0].join("resident_registry.parquet");
    let newest_parquet = releases[2].join("resident_registry.parquet");

    let mut edited = entries.clone();
    edited[1]["details"]["rows_out"] = 10000.into();
    let mut deleted = entries.clone();
    deleted.remove(3);
    // Entries from the second release on replaced by forged ones (same count).
    let mut replaced_tail = entries[..3].to_vec();
    for e in &entries[3..] {
        let mut forged = e.clone();
        forged["operator"] = "mallory".into();
        replaced_tail.push(forged);
    }
    let forgeries: Vec<(&str, String)> = vec![
        ("edit + rechain", rechain(edited)),
        ("delete + rechain", rechain(deleted)),
        ("forged entries appended in place of real ones", rechain(replaced_tail)),
        ("last line dropped", real.lines().take(6).map(|l| format!("{l}\n")).collect()),
        ("emptied", String::new()),
        (
            "restarted",
            rechain(
                entries[..1]
                    .iter()
                    .map(|e| {
                        let mut e = e.clone();
                        e["time"] = "2026-11-27T00:00:00Z".into();
                        e
                    })
                    .collect(),
            ),
        ),
    ];
    for (what, text) in &forgeries {
        std::fs::write(env.path("audit.log"), text).unwrap();
        // The chain alone may look intact ...
        let alone = env.tokumei(&["audit", "verify", "--log", "audit.log"]);
        if !text.is_empty() {
            assert_eq!(alone.code, 0, "{what}: {}", alone.stderr);
        }
        // ... but a head kept outside finds it.
        for anchor in [env.path("filed_head.json"), newest_parquet.clone()] {
            let r = env.tokumei(&["audit", "verify", "--log", "audit.log", "--anchor", anchor.to_str().unwrap()]);
            if *what == "last line dropped" && anchor == newest_parquet {
                continue; // the newest release witnesses only entries before its own
            }
            assert_eq!(r.code, 7, "{what} not detected with {anchor:?}:\n{}\n{}", r.stdout, r.stderr);
        }
        // And a run refuses to continue a log its own releases no longer find in it.
        if *what != "last line dropped" {
            let r = env.tokumei(&["run", &job]);
            assert_eq!(r.code, 7, "{what}: run went on:\n{}", r.stderr);
        }
    }
    // The oldest release alone proves entry 1: a restarted log is caught by it.
    let r = env.tokumei(&["audit", "verify", "--log", "audit.log", "--anchor", oldest_parquet.to_str().unwrap()]);
    assert_eq!(r.code, 7, "{}", r.stdout);
    // A deleted log: verify says so, and a run does not silently start a new chain.
    std::fs::remove_file(env.path("audit.log")).unwrap();
    assert_eq!(env.tokumei(&["audit", "verify", "--log", "audit.log"]).code, 7);
    let r = env.tokumei(&["run", &job]);
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
    assert_eq!(env.tokumei(&["check", &job]).code, 7);
    let failing = env.write(
        "failing.toml",
        "version = 1\nname = \"f\"\n[input]\npath = \"nope.csv\"\n[rules]\npath = \"r.toml\"\n[output]\ndir = \"out\"\n[audit]\nlog = \"audit.log\"\n",
    );
    assert_eq!(env.tokumei(&["run", failing.to_str().unwrap()]).code, 4);
    assert!(!env.path("audit.log").exists(), "a new chain was started beside releases of the old one");
    // The real log passes with every anchor.
    std::fs::write(env.path("audit.log"), &real).unwrap();
    let r = env.tokumei(&[
        "audit",
        "verify",
        "--log",
        "audit.log",
        "--anchor",
        env.path("filed_head.json").to_str().unwrap(),
        "--anchor",
        newest_parquet.to_str().unwrap(),
        "--releases",
        "out",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn signed_heads_verify_with_the_public_key_only() {
    let env = Env::new();
    let job = sample_job(&env);
    assert_eq!(env.tokumei(&["run", &job]).code, 0);
    let r = env.tokumei(&["keygen", "--audit", "--out", "officer.key"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let secret = std::fs::read_to_string(env.path("officer.key")).unwrap();
    assert!(!r.stdout.contains(secret.trim()));
    let r = env.tokumei(&["audit", "head", "--log", "audit.log", "--sign-key", "officer.key"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains(secret.trim()));
    env.write("head.json", &r.stdout);
    let verify = |env: &Env| {
        env.tokumei(&[
            "audit",
            "verify",
            "--log",
            "audit.log",
            "--anchor",
            "head.json",
            "--public-key",
            "officer.key.pub",
        ])
    };
    assert_eq!(verify(&env).code, 0, "{}", verify(&env).stderr);
    // A head file changed to match a rewritten log no longer verifies.
    let mut head: Value = serde_json::from_str(&r.stdout).unwrap();
    head["time"] = "2027-01-01T00:00:00Z".into();
    env.write("head.json", &head.to_string());
    let r = verify(&env);
    assert_eq!(r.code, 7, "{}", r.stdout);
    assert!(r.stderr.contains("does not verify"), "{}", r.stderr);
}

/// One crash point: the run dies there; afterwards every visible release is complete and
/// recorded, and the next run cleans up (audited) and succeeds.
fn crash_at(point: &str, expect_release: bool) {
    let env = Env::new();
    let job = sample_job(&env);
    let r = env.tokumei_with(&["run", &job], &[("TOKUMEI_FAILPOINT", &format!("{point}:abort"))]);
    assert_ne!(r.code, 0, "{point}: the run did not crash");
    let visible = assert_releases_complete_and_recorded(&env, "resident_registry");
    assert_eq!(visible, expect_release as usize, "{point}");
    let staged = std::fs::read_dir(env.path("out"))
        .map(|rd| rd.filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with(".staging-")).count())
        .unwrap_or(0);
    // A temporary `latest` link left by a run killed while replacing it.
    let stray = std::fs::read_dir(env.path("out/resident_registry"))
        .map(|rd| rd.filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with(".latest.new-")).count())
        .unwrap_or(0);
    assert_eq!(stray, (point == "latest-link") as usize, "{point}");
    let r = env.tokumei(&["run", &job]);
    assert_eq!(r.code, 0, "{point}: the run after the crash failed: {}", r.stderr);
    assert_eq!(assert_releases_complete_and_recorded(&env, "resident_registry"), visible + 1, "{point}");
    let lines = log_lines(&env);
    let cleanups = lines.iter().filter(|e| e["action"] == "cleanup").count();
    assert_eq!(cleanups, (staged > 0 || stray > 0) as usize, "{point}: stale staging removal must be audited once");
    if stray > 0 {
        let cleanup = lines.iter().find(|e| e["action"] == "cleanup").unwrap();
        assert_eq!(cleanup["details"]["removed_temporaries"].as_array().map(Vec::len), Some(stray), "{point}");
    }
    // Nothing hidden is left in the output folder or the dataset folder (no staging folder, no
    // temporary `latest` link).
    for dir in [env.path("out"), env.path("out/resident_registry")] {
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{point}: {leftovers:?} in {dir:?}");
    }
    let r = env.tokumei(&["audit", "verify", "--log", "audit.log", "--releases", "out"]);
    assert_eq!(r.code, 0, "{point}: {}\n{}", r.stdout, r.stderr);
    if point == "after-publishing-entry" {
        assert!(r.stdout.contains("never published"), "{}", r.stdout);
    }
    if point == "after-rename" {
        assert!(r.stdout.contains("interrupted after publication"), "{}", r.stdout);
    }
}

#[test]
fn a_crash_at_any_step_of_publication_leaves_no_release_or_a_complete_recorded_one() {
    for (point, visible) in [
        ("audit-start", false),
        ("seal", false),
        ("before-publishing-entry", false),
        ("audit-append", false),
        ("after-publishing-entry", false),
        ("after-rename", true),
        ("after-published-entry", true),
        ("latest", true),
        ("latest-link", true),
        ("after-latest", true),
    ] {
        crash_at(point, visible);
    }
}

#[test]
fn kill_9_at_random_moments_never_leaves_a_partial_or_unrecorded_release() {
    let env = Env::new();
    let input = env.path("big.csv");
    let r = env.tokumei(&["sample", "resident-registry", "--rows", "60000", "--encoding", "utf-8", "--out", "big.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let job = env.job("big", &input, &sample_rules(), "").to_str().unwrap().to_string();
    let t = std::time::Instant::now();
    assert_eq!(env.tokumei(&["run", &job]).code, 0);
    let full = t.elapsed();
    let mut visible = assert_releases_complete_and_recorded(&env, "resident_registry");
    assert_eq!(visible, 1);
    let mut killed = 0;
    for i in 1..=10u32 {
        let mut child = env
            .command(&["run", &job])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(f64::from(i) / 10.0));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        child.wait().unwrap();
        let now = assert_releases_complete_and_recorded(&env, "resident_registry");
        assert!(now == visible || now == visible + 1, "{now} releases after {visible}");
        visible = now;
    }
    assert!(killed >= 3, "only {killed} runs were killed before they finished");
    assert_eq!(env.tokumei(&["run", &job]).code, 0);
    assert_eq!(assert_releases_complete_and_recorded(&env, "resident_registry"), visible + 1);
}

#[test]
fn concurrent_runs_into_one_folder_make_complete_separate_releases() {
    let env = Env::new();
    let job = sample_job(&env);
    // Start the log first, so both runs find it.
    assert_eq!(env.tokumei(&["check", &job]).code, 0);
    let children: Vec<_> = (0..3)
        .map(|_| {
            env.command(&["run", &job])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(assert_releases_complete_and_recorded(&env, "resident_registry"), 3);
    let lines = log_lines(&env);
    assert_eq!(lines.iter().filter(|e| e["status"] == "published").count(), 3);
}

#[test]
fn a_full_or_read_only_disk_publishes_nothing_and_keeps_the_log_intact() {
    for (point, action, code) in [
        ("audit-append", "enospc", 7),
        ("audit-append", "erofs", 7),
        ("before-publishing-entry", "erofs", 7),
        ("seal", "enospc", 8),
        ("seal", "erofs", 8),
        ("after-publishing-entry", "enospc", 8),
    ] {
        let env = Env::new();
        let job = sample_job(&env);
        assert_eq!(env.tokumei(&["check", &job]).code, 0);
        let before = std::fs::read_to_string(env.path("audit.log")).unwrap();
        let r = env.tokumei_with(&["run", &job], &[("TOKUMEI_FAILPOINT", &format!("{point}:{action}"))]);
        assert_eq!(r.code, code, "{point}:{action}: {}", r.stderr);
        assert!(!env.path("out").exists(), "{point}:{action}: the output folder was left behind");
        let after = std::fs::read_to_string(env.path("audit.log")).unwrap();
        assert!(after.starts_with(&before), "{point}:{action}: the log was changed, not appended to");
        let r = env.tokumei(&["audit", "verify", "--log", "audit.log"]);
        assert_eq!(r.code, 0, "{point}:{action}: {}", r.stderr);
        if code == 8 {
            // The failure is recorded; a publishing entry without its folder reads as never published.
            assert!(after.lines().last().unwrap().contains("\"status\":\"failed\""), "{point}:{action}");
        } else {
            assert!(r.stderr.is_empty() && !r.stdout.contains("release "), "{}", r.stdout);
        }
        assert_eq!(env.tokumei(&["run", &job]).code, 0, "{point}:{action}: no recovery");
    }
}

#[test]
fn a_torn_entry_stops_every_run_until_the_log_is_rotated_by_an_audited_command() {
    let env = Env::new();
    let job = sample_job(&env);
    assert_eq!(env.tokumei(&["run", &job]).code, 0);
    let r = env.tokumei_with(&["run", &job], &[("TOKUMEI_FAILPOINT", "audit-append-torn:abort")]);
    assert_ne!(r.code, 0);
    let torn = std::fs::read(env.path("audit.log")).unwrap();
    assert_ne!(*torn.last().unwrap(), b'\n');
    for cmd in ["run", "check"] {
        let r = env.tokumei(&[cmd, &job]);
        assert_eq!(r.code, 7, "{}", r.stderr);
        assert!(r.stderr.contains("incomplete"), "{}", r.stderr);
    }
    assert_eq!(std::fs::read(env.path("audit.log")).unwrap(), torn, "the broken log must stay as it is");
    assert_eq!(env.tokumei(&["audit", "rotate", "--log", "audit.log", "--reason", ""]).code, 2);
    let r = env.tokumei(&["audit", "rotate", "--log", "audit.log", "--reason", "torn entry after a crash"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let archived: Vec<PathBuf> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("audit.log."))
        .collect();
    assert_eq!(archived.len(), 1);
    assert_eq!(std::fs::read(&archived[0]).unwrap(), torn);
    let first = &log_lines(&env)[0];
    assert_eq!(first["action"], "audit-rotate");
    assert_eq!(first["details"]["previous_sha256"], hex::encode(Sha256::digest(&torn)).as_str());
    assert!(first["details"]["previous_state"].as_str().unwrap().contains("incomplete"));
    // Runs go on; the first release's anchor is found in the archived log.
    assert_eq!(env.tokumei(&["run", &job]).code, 0);
    let r = env.tokumei(&["audit", "verify", "--job", &job]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("of the previous log"), "{}", r.stdout);
}

#[test]
fn the_output_never_overlaps_the_input_rules_or_log() {
    // The input in the output folder's dataset folder: refused, input untouched.
    let env = Env::new();
    std::fs::create_dir_all(env.path("out/resident_registry")).unwrap();
    let input = env.path("out/resident_registry/resident_registry.csv");
    std::fs::copy(sample_csv(), &input).unwrap();
    let job = env.job("inside", &input, &sample_rules(), "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("lies inside"), "{}", r.stderr);
    assert_eq!(sha256(&input), sha256(&sample_csv()));
    // The audit log inside it: refused.
    let env = Env::new();
    let text = std::fs::read_to_string(env.job("x", &sample_csv(), &sample_rules(), ""))
        .unwrap()
        .replace("log = \"audit.log\"", "log = \"out/resident_registry/audit.log\"");
    let job = env.write("x.toml", &text);
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(!env.path("out").exists());
    // A Parquet input named like the release, in the output folder itself: kept as it is.
    let env = Env::new();
    let job = sample_job(&env);
    assert_eq!(env.tokumei(&["run", &job]).code, 0);
    let parquet = env.latest().join("resident_registry.parquet");
    std::fs::copy(&parquet, env.path("out/resident_registry.parquet")).unwrap();
    let input = env.path("out/resident_registry.parquet");
    let before = sha256(&input);
    let rules = env.write("passthrough.toml", &passthrough_rules(&read_parquet(&input).columns));
    let job = env.job("again", &input, &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(sha256(&input), before);
}

/// Rules that keep every column of a release as insensitive text (dataset `resident_registry`).
fn passthrough_rules(columns: &[String]) -> String {
    let mut s = String::from(
        "version = 1\ndataset = \"resident_registry\"\nmode = \"pseudonymized\"\n[privacy]\nk = 1\nmax_suppression = 0.0\n",
    );
    for c in columns {
        s.push_str(&format!("\n[[column]]\nname = \"{c}\"\nrole = \"insensitive\"\naction = \"keep\"\n"));
    }
    s
}

#[test]
fn entry_times_never_go_backwards_and_a_clock_override_is_recorded() {
    let env = Env::new();
    let job = sample_job(&env);
    assert_eq!(env.tokumei(&["run", &job]).code, 0);
    let r = env.tokumei_with(&["run", &job], &[("TOKUMEI_NOW", "1000000000")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines = log_lines(&env);
    let times: Vec<&str> = lines.iter().map(|e| e["time"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
    let last = lines.last().unwrap();
    assert!(last["clock"].as_str().unwrap().contains("TOKUMEI_NOW"), "{last}");
    assert_eq!(report(&env.latest())["created_at"], "2001-09-09T01:46:40Z");
}

/// Wait for a child at most `secs`, killing it if it hangs.
fn wait_bounded(mut child: std::process::Child, secs: u64) -> Option<i32> {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status.code().unwrap_or(-1));
        }
        if std::time::Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn names_that_would_leave_or_hide_in_the_output_folder_are_refused() {
    let env = Env::new();
    for dataset in [".staging-evil", "..", "a/b", "", ".hidden", "x..y"] {
        let rules = std::fs::read_to_string(sample_rules())
            .unwrap()
            .replace("dataset = \"resident_registry\"", &format!("dataset = \"{dataset}\""));
        let rules = env.write("bad_rules.toml", &rules);
        let job = env.job("sample", &sample_csv(), &rules, "");
        for cmd in ["check", "run"] {
            let r = env.tokumei(&[cmd, job.to_str().unwrap()]);
            assert_eq!(r.code, 3, "{cmd} with dataset {dataset:?}: {}", r.stderr);
            assert!(r.stderr.contains("dataset "), "{}", r.stderr);
        }
    }
    for name in ["../x", "", "a/b"] {
        let text = std::fs::read_to_string(env.job("sample", &sample_csv(), &sample_rules(), ""))
            .unwrap()
            .replace("name = \"sample\"", &format!("name = \"{name}\""));
        let job = env.write("named.toml", &text);
        let r = env.tokumei(&["check", job.to_str().unwrap()]);
        assert_eq!(r.code, 3, "job name {name:?}: {}", r.stderr);
    }
    assert!(!env.path("out").exists());
}

#[test]
fn rotated_logs_are_checked_against_the_hash_their_successor_recorded() {
    let env = Env::new();
    let job = sample_job(&env);
    assert_eq!(env.tokumei(&["run", &job]).code, 0);
    let first = env.latest();
    assert_eq!(env.tokumei(&["audit", "rotate", "--log", "audit.log", "--reason", "year end"]).code, 0);
    assert_eq!(env.tokumei(&["run", &job]).code, 0);
    let verify = |env: &Env| env.tokumei(&["audit", "verify", "--job", &job]);
    let r = verify(&env);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("continues the previous log"), "{}", r.stdout);
    // A release recorded only in the archived log is still checked against its entry.
    let parquet = first.join("resident_registry.parquet");
    let mut perms = std::fs::metadata(&parquet).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&parquet, perms).unwrap();
    let original = std::fs::read(&parquet).unwrap();
    std::fs::write(&parquet, b"junk").unwrap();
    std::fs::remove_file(first.join("report.json")).unwrap();
    let r = verify(&env);
    assert_eq!(r.code, 7, "{}", r.stdout);
    assert!(r.stderr.contains("missing") || r.stderr.contains("does not match"), "{}", r.stderr);
    std::fs::write(&parquet, &original).unwrap();
    // A changed or missing archive is a problem even without an anchor.
    let archive: PathBuf = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("audit.log."))
        .unwrap();
    let bytes = std::fs::read(&archive).unwrap();
    std::fs::write(&archive, [&bytes[..], b"\n"].concat()).unwrap();
    let r = verify(&env);
    assert_eq!(r.code, 7);
    assert!(r.stderr.contains("changed after it was rotated"), "{}", r.stderr);
    std::fs::remove_file(&archive).unwrap();
    let r = verify(&env);
    assert_eq!(r.code, 7);
    assert!(r.stderr.contains("is missing"), "{}", r.stderr);
}

#[test]
fn a_forged_rotation_entry_naming_a_device_neither_hangs_nor_passes() {
    let env = Env::new();
    let job = sample_job(&env);
    assert_eq!(env.tokumei(&["run", &job]).code, 0);
    let head = env.latest().join("resident_registry.parquet");
    for target in ["/dev/zero", "../x", "nope"] {
        let mut first = log_lines(&env)[0].clone();
        first["action"] = "audit-rotate".into();
        first["details"] =
            serde_json::json!({"previous_log": target, "previous_sha256": "0".repeat(64), "reason": "forged"});
        std::fs::write(env.path("forged.log"), rechain(vec![first])).unwrap();
        let child = env
            .command(&["audit", "verify", "--log", "forged.log", "--anchor", head.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        assert_eq!(wait_bounded(child, 30), Some(7), "verify with previous_log {target}");
    }
}

#[test]
fn the_release_folder_is_resolved_before_overlaps_are_checked() {
    // A dataset folder that is a symbolic link to the input's folder.
    let env = Env::new();
    std::fs::create_dir_all(env.path("data")).unwrap();
    std::fs::create_dir_all(env.path("out")).unwrap();
    std::fs::copy(sample_csv(), env.path("data/latest")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("../data", env.path("out/resident_registry")).unwrap();
    let job = env.job("sym", &env.path("data/latest"), &sample_rules(), "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(sha256(&env.path("data/latest")), sha256(&sample_csv()));
    // An output folder inside an earlier release.
    let env = Env::new();
    let job = sample_job(&env);
    assert_eq!(env.tokumei(&["run", &job]).code, 0);
    let before = snapshot(&env, "resident_registry");
    let inside = env.latest().join("more");
    let r = env.tokumei(&["run", &job, "--out", inside.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("inside the release"), "{}", r.stderr);
    let r = env.tokumei(&["run", &job, "--out", "out/resident_registry/latest"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(snapshot(&env, "resident_registry"), before);
}

/// The newest entries cut off the end of the log (the chain still consistent, every release's
/// head still in it: a release's head is the log's head before its own entries): a run refuses
/// while the output folder holds a release whose entry the log no longer has, as
/// `audit verify --releases` does.
#[test]
fn a_log_cut_after_a_release_stops_every_run_naming_the_release() {
    let env = Env::new();
    let job = sample_job(&env);
    for _ in 0..3 {
        assert_eq!(env.tokumei(&["run", &job]).code, 0);
    }
    let real = std::fs::read_to_string(env.path("audit.log")).unwrap();
    let lines = log_lines(&env);
    let newest = releases_in_log_order(&env).pop().unwrap();
    let newest_id = newest.file_name().unwrap().to_str().unwrap().to_string();
    let cut_at = lines.iter().position(|e| e["status"] == "publishing" && e["release_id"] == newest_id).unwrap();
    let cut: String = real.lines().take(cut_at).map(|l| format!("{l}\n")).collect();
    std::fs::write(env.path("audit.log"), &cut).unwrap();
    // The chain alone, and the newest release's own head, still verify ...
    assert_eq!(env.tokumei(&["audit", "verify", "--log", "audit.log"]).code, 0);
    let anchor = env.tokumei(&["audit", "verify", "--log", "audit.log", "--anchor", newest.to_str().unwrap()]);
    assert_eq!(anchor.code, 0, "{}", anchor.stderr);
    // ... the releases do not, and no run or check goes on (the log is left as it is).
    assert_eq!(env.tokumei(&["audit", "verify", "--log", "audit.log", "--releases", "out"]).code, 7);
    for cmd in ["run", "check"] {
        let r = env.tokumei(&[cmd, &job]);
        assert_eq!(r.code, 7, "{cmd}: {}", r.stderr);
        assert!(r.stderr.contains(&newest_id) && r.stderr.contains("no `publishing` entry"), "{cmd}: {}", r.stderr);
    }
    assert_eq!(std::fs::read_to_string(env.path("audit.log")).unwrap(), cut, "the cut log is kept as it is");
    assert_eq!(env.releases("resident_registry").len(), 3);
    // The whole log restored: runs go on.
    std::fs::write(env.path("audit.log"), &real).unwrap();
    assert_eq!(env.tokumei(&["run", &job]).code, 0);
}

#[test]
fn any_release_in_the_output_folder_witnesses_the_log_for_every_dataset() {
    let env = Env::new();
    let job = sample_job(&env);
    assert_eq!(env.tokumei(&["run", &job]).code, 0);
    let mut entries = log_lines(&env);
    entries[0]["operator"] = "mallory".into();
    std::fs::write(env.path("audit.log"), rechain(entries)).unwrap();
    let rules = std::fs::read_to_string(sample_rules())
        .unwrap()
        .replace("dataset = \"resident_registry\"", "dataset = \"other\"");
    let rules = env.write("other_rules.toml", &rules);
    let other = env.job("other", &sample_csv(), &rules, "");
    for cmd in ["run", "check"] {
        let r = env.tokumei(&[cmd, other.to_str().unwrap()]);
        assert_eq!(r.code, 7, "{cmd}: {}", r.stderr);
    }
}

#[test]
fn a_file_where_the_dataset_folder_should_be_publishes_nothing_and_records_nothing_false() {
    let env = Env::new();
    let job = sample_job(&env);
    assert_eq!(env.tokumei(&["check", &job]).code, 0);
    std::fs::create_dir_all(env.path("out")).unwrap();
    std::fs::write(env.path("out/resident_registry"), "not a folder").unwrap();
    let r = env.tokumei(&["run", &job]);
    assert_eq!(r.code, 8, "{}", r.stderr);
    assert!(!log_lines(&env).iter().any(|e| e["status"] == "publishing"));
    let r = env.tokumei(&["audit", "verify", "--log", "audit.log"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn problems_after_publication_are_warnings_and_cleanup_says_what_happened() {
    let env = Env::new();
    let job = sample_job(&env);
    for point in ["after-rename:enospc", "after-latest:erofs", "latest:enospc"] {
        let r = env.tokumei_with(&["run", &job], &[("TOKUMEI_FAILPOINT", point)]);
        assert_eq!(r.code, 0, "{point}: {}", r.stderr);
        assert!(r.stderr.contains("warning:"), "{point}: {}", r.stderr);
    }
    assert_eq!(assert_releases_complete_and_recorded(&env, "resident_registry"), 3);
    assert!(!log_lines(&env).iter().any(|e| e["status"] == "failed"));
    // A crash after the rename: the next run's cleanup says the release was published.
    let r = env.tokumei_with(&["run", &job], &[("TOKUMEI_FAILPOINT", "after-rename:abort")]);
    assert_ne!(r.code, 0);
    assert_eq!(env.tokumei_with(&["run", &job], &[("TOKUMEI_NOW", "1800000000")]).code, 0);
    let cleanup = log_lines(&env).into_iter().find(|e| e["action"] == "cleanup").unwrap();
    let state = cleanup["details"]["removed_staging"][0]["state"].as_str().unwrap();
    assert!(state.starts_with("published"), "{state}");
    assert!(cleanup["clock"].as_str().unwrap().contains("TOKUMEI_NOW"));
    for bad in ["-1", "99999999999999", "soon"] {
        assert_eq!(env.tokumei_with(&["check", &job], &[("TOKUMEI_NOW", bad)]).code, 2, "{bad}");
    }
}
