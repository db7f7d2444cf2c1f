//! Pseudo-data (疑似データ, issue 32): `tokumei pseudo` on a release of the bundled noise sample
//! job, every claim recomputed here from the release's and the synthetic Parquet files.

use crate::util::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use tokumei_engine::ExitCode;

const SEED: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
/// The bound on a kept pair's joint TVD at 10,000 rows: sampling noise over up to 10 x 10
/// cells is about 0.03-0.05, and the rare-parent rule moves a little more.
const PAIR_TVD: f64 = 0.1;

/// The bundled samples/noise_job.toml (integer 課税所得 with noise, so a numeric column with many
/// values) run with its paths pointed at `env`: the release folder.
fn release(env: &Env) -> PathBuf {
    let rules = repo().join("rules/resident_registry_noise.toml");
    let job = std::fs::read_to_string(repo().join("samples/noise_job.toml"))
        .unwrap()
        .replace("\"resident_registry.csv\"", &format!("{:?}", sample_csv().display().to_string()))
        .replace("\"../rules/resident_registry_noise.toml\"", &format!("{:?}", rules.display().to_string()))
        .replace("\"../reports/audit.log\"", "\"audit.log\"")
        .replace("\"../reports\"", "\"out\"");
    assert!(!job.contains("../"), "every path replaced: {job}");
    let job = env.write("noise.job.toml", &job);
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    env.latest()
}

fn pseudo(env: &Env, release: &Path, out: &str, rows: &str) -> Run {
    env.tokumei_with(
        &["pseudo", release.to_str().unwrap(), "--rows", rows, "--out", out, "--log", "audit.log"],
        &[("TOKUMEI_TEST_SEED", SEED)],
    )
}

fn parquet_in(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap()
}

fn is_numeric(t: &arrow::datatypes::DataType) -> bool {
    t.is_integer() || t.is_floating() || t.is_temporal()
}

/// A code per row of column `c` of `t`: the value itself, or for a numeric column its decile of
/// the release's values (`cuts`: the release's deciles, so both files are binned alike).
fn coded(t: &Table, c: usize, cuts: Option<&[f64]>) -> Vec<String> {
    t.rows
        .iter()
        .map(|r| match (&r[c], cuts) {
            (None, _) => "∅".to_string(),
            (Some(v), None) => v.clone(),
            (Some(v), Some(cuts)) => {
                let x = number(v);
                cuts.iter().filter(|&&q| x > q).count().to_string()
            }
        })
        .collect()
}

/// A numeric cell's text as a number (dates as days, enough for ordering).
fn number(v: &str) -> f64 {
    v.parse::<f64>().unwrap_or_else(|_| v.replace('-', "").parse::<f64>().unwrap())
}

fn deciles(t: &Table, c: usize) -> Vec<f64> {
    let mut v: Vec<f64> = t.rows.iter().filter_map(|r| r[c].as_deref()).map(number).collect();
    v.sort_by(f64::total_cmp);
    (1..10).map(|i| v[i * (v.len() - 1) / 10]).collect()
}

fn tvd<K: std::hash::Hash + Eq>(a: &[K], b: &[K]) -> f64 {
    let mut d: HashMap<&K, (f64, f64)> = HashMap::new();
    for k in a {
        d.entry(k).or_default().0 += 1.0 / a.len() as f64;
    }
    for k in b {
        d.entry(k).or_default().1 += 1.0 / b.len() as f64;
    }
    0.5 * d.values().map(|(x, y)| (x - y).abs()).sum::<f64>()
}

/// 10,000 synthetic rows: every marginal within TVD 0.05 of the release's, every tree pair's joint
/// within [`PAIR_TVD`], every value one the release holds, the flag in the metadata and the
/// dictionary, no record code, the generation audited (and the log still verifies).
#[test]
fn pseudo_data_fits_the_release_and_holds_only_its_values() {
    let env = Env::new();
    let dir = release(&env);
    let r = pseudo(&env, &dir, "syn", "10000");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let rel = read_parquet(&parquet_in(&dir));
    let syn_file = parquet_in(&env.path("syn"));
    assert!(syn_file.file_name().unwrap().to_string_lossy().ends_with(".pseudo.parquet"));
    let syn = read_parquet(&syn_file);
    assert_eq!(syn.rows.len(), 10_000);
    assert_eq!(syn.metadata.get("tokumei:synthetic").map(String::as_str), Some("true"));
    assert_eq!(
        syn.metadata.get("tokumei:source_release"),
        Some(&dir.file_name().unwrap().to_string_lossy().into_owned())
    );
    assert_eq!(syn.metadata.get("tokumei:rows").map(String::as_str), Some("10000"));
    assert!(!syn.metadata.contains_key("tokumei.release_id"), "not taken for the release itself");
    assert!(!syn.columns.contains(&"レコードID".to_string()), "record codes are never generated");
    assert!(syn.columns.iter().any(|c| c == "課税所得") && syn.columns.len() >= 5, "{:?}", syn.columns);
    let mut codes: HashMap<String, (Vec<String>, Vec<String>)> = HashMap::new();
    let mut numeric = 0;
    for (i, name) in syn.columns.iter().enumerate() {
        let rc = rel.col(name);
        let held: HashSet<&Option<String>> = rel.rows.iter().map(|r| &r[rc]).collect();
        for row in &syn.rows {
            assert!(held.contains(&row[i]), "{name}: a synthetic value the release does not hold");
        }
        let cuts = is_numeric(&rel.types[rc]).then(|| deciles(&rel, rc));
        numeric += usize::from(cuts.is_some());
        let (a, b) = (coded(&rel, rc, cuts.as_deref()), coded(&syn, i, cuts.as_deref()));
        let d = tvd(&a, &b);
        assert!(d < 0.05, "{name}: marginal TVD {d}");
        codes.insert(name.clone(), (a, b));
    }
    assert!(numeric >= 1, "a numeric column was generated");
    let dict: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("syn/pseudo_dictionary.json")).unwrap()).unwrap();
    assert_eq!(dict["synthetic"], true);
    assert_eq!(dict["columns"].as_array().unwrap().len(), syn.columns.len());
    assert!(
        dict["columns"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["synthetic"] == true && c["marking_ja"].as_str().unwrap().contains("疑似データ"))
    );
    let kept = dict["tree"]["kept"].as_array().unwrap();
    let nodes = dict["columns"].as_array().unwrap().iter().filter(|c| c["kind"] != "bound").count();
    assert_eq!(kept.len(), nodes - 1, "a spanning tree");
    for p in kept {
        let (a, b) = (p["parent"].as_str().unwrap(), p["child"].as_str().unwrap());
        let pair = |s: usize| -> Vec<(String, String)> {
            let (x, y) = (&codes[a], &codes[b]);
            let (x, y) = if s == 0 { (&x.0, &y.0) } else { (&x.1, &y.1) };
            x.iter().cloned().zip(y.iter().cloned()).collect()
        };
        let d = tvd(&pair(0), &pair(1));
        assert!(d < PAIR_TVD, "{a} x {b}: joint TVD {d}");
        assert!(p["tvd"].as_f64().unwrap() < PAIR_TVD);
    }
    let md = std::fs::read_to_string(env.path("syn/pseudo_dictionary.md")).unwrap();
    for c in &syn.columns {
        assert!(md.lines().any(|l| l.starts_with(&format!("| {c} | 疑似データ / synthetic |"))), "{c} marked");
    }
    // The identical-record indicator, recomputed: synthetic rows equal, in every generated
    // column, to some release row.
    let cols: Vec<usize> = syn.columns.iter().map(|c| rel.col(c)).collect();
    let released: HashSet<Vec<&Option<String>>> =
        rel.rows.iter().map(|r| cols.iter().map(|&c| &r[c]).collect()).collect();
    let identical = syn.rows.iter().filter(|r| released.contains(&r.iter().collect::<Vec<_>>())).count() as u64;
    assert_eq!(dict["identical_records"].as_u64(), Some(identical));
    assert!(identical < 10_000, "not every synthetic record is a released one: {identical}");
    let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "pseudo");
    assert_eq!(last["details"]["rows"], 10_000);
    assert_eq!(last["details"]["identical_records"].as_u64(), Some(identical));
    assert_eq!(last["outputs"].as_array().unwrap().len(), 3);
    let v = env.tokumei(&["audit", "verify", "--log", "audit.log"]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(
        !std::fs::read_dir(env.dir.path()).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".tokumei-pseudo")),
        "no temporary left"
    );
}

/// The same test seed gives the same file; a changed (tampered) release, an existing output
/// folder, a folder that is no release, a log without the release and rows out of range are
/// refused with their exit codes, writing nothing.
#[test]
fn pseudo_data_is_reproducible_only_by_seed_and_fails_closed() {
    let env = Env::new();
    let dir = release(&env);
    for out in ["a", "b"] {
        let r = pseudo(&env, &dir, out, "2000");
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    }
    let bytes = |d: &str| std::fs::read(parquet_in(&env.path(d))).unwrap();
    assert_eq!(bytes("a"), bytes("b"), "the same seed, the same file");
    assert_eq!(
        std::fs::read(env.path("a/pseudo_dictionary.json")).unwrap(),
        std::fs::read(env.path("b/pseudo_dictionary.json")).unwrap()
    );

    // The log named by the release's job, instead of --log.
    let r = env.tokumei_with(
        &["pseudo", dir.to_str().unwrap(), "--rows", "50", "--out", "c", "--job", "noise.job.toml"],
        &[("TOKUMEI_TEST_SEED", SEED)],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(read_parquet(&parquet_in(&env.path("c"))).rows.len(), 50);

    // An existing output folder is never touched.
    std::fs::create_dir(env.path("taken")).unwrap();
    let r = pseudo(&env, &dir, "taken", "100");
    assert_eq!(r.code, ExitCode::Output.code(), "{}", r.stderr);
    assert_eq!(std::fs::read_dir(env.path("taken")).unwrap().count(), 0);

    // Rows out of range, a folder that is no release, an empty folder.
    for rows in ["0", "100000001", "-3", "many"] {
        assert_eq!(pseudo(&env, &dir, "x", rows).code, ExitCode::Usage.code(), "{rows}");
    }
    std::fs::create_dir(env.path("empty")).unwrap();
    for folder in [env.path("nowhere"), env.path("empty"), env.path("out")] {
        let r = pseudo(&env, &folder, "x", "100");
        assert_eq!(r.code, ExitCode::Usage.code(), "{}: {}", folder.display(), r.stderr);
    }
    // A log that does not record the release.
    let r = env.tokumei_with(
        &["pseudo", dir.to_str().unwrap(), "--rows", "100", "--out", "x", "--log", "other.log"],
        &[("TOKUMEI_TEST_SEED", SEED)],
    );
    assert_eq!(r.code, ExitCode::Audit.code(), "{}", r.stderr);

    // A tampered release (a byte added to its Parquet file).
    let file = parquet_in(&dir);
    let mut perms = std::fs::metadata(&file).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&file, perms).unwrap();
    let mut data = std::fs::read(&file).unwrap();
    data.push(0);
    std::fs::write(&file, data).unwrap();
    let r = pseudo(&env, &dir, "x", "100");
    assert_eq!(r.code, ExitCode::Audit.code(), "{}", r.stderr);
    assert!(r.stderr.contains("does not match"), "{}", r.stderr);
    assert!(!env.path("x").exists(), "nothing written");
}

/// Killed (as with kill -9) after its audit entry and before the folder is put in place: the
/// folder is absent (complete or invisible), the log still verifies, and a second run writes it.
/// A full disk at that step is refused and audited as failed, the folder absent too.
#[test]
fn pseudo_data_killed_before_it_is_put_in_place_is_invisible() {
    let env = Env::new();
    let dir = release(&env);
    for (action, code) in [("abort", None), ("enospc", Some(8))] {
        let r = env.tokumei_with(
            &["pseudo", dir.to_str().unwrap(), "--rows", "100", "--out", "p", "--log", "audit.log"],
            &[("TOKUMEI_TEST_SEED", SEED), ("TOKUMEI_FAILPOINT", &format!("pseudo-rename:{action}"))],
        );
        assert_ne!(r.code, 0, "{action}: {}", r.stderr);
        if let Some(code) = code {
            assert_eq!(r.code, code, "{action}: {}", r.stderr);
        }
        assert!(!env.path("p").exists(), "{action}: nothing visible");
        let v = env.tokumei(&["audit", "verify", "--log", "audit.log"]);
        assert_eq!(v.code, 0, "{action}: {}{}", v.stdout, v.stderr);
    }
    let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!((last["action"].as_str(), last["status"].as_str()), (Some("pseudo"), Some("failed")));
    let r = pseudo(&env, &dir, "p", "100");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(parquet_in(&env.path("p")).exists());
}
