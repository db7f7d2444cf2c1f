//! `tokumei risk` on foreign files, checked against an independent count.

use crate::util::*;
use std::collections::HashMap;

#[test]
fn risk_of_a_foreign_csv_matches_an_independent_count() {
    let env = Env::new();
    let adult = repo().join("samples/adult/adult.csv");
    let r = env.tokumei(&[
        "risk",
        adult.to_str().unwrap(),
        "--delimiter",
        ";",
        "--qi",
        "sex,age,race,native-country",
        "--sensitive",
        "salary-class",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let risk: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let text = std::fs::read_to_string(&adult).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(';').collect()).collect();
    let cols: Vec<usize> =
        ["sex", "age", "race", "native-country"].iter().map(|c| rows[0].iter().position(|h| h == c).unwrap()).collect();
    let mut sizes: HashMap<Vec<&str>, u64> = HashMap::new();
    for r in &rows[1..] {
        *sizes.entry(cols.iter().map(|c| r[*c]).collect()).or_default() += 1;
    }
    let uniques = sizes.values().filter(|s| **s == 1).count() as u64;
    assert_eq!(risk["records"], 30162);
    assert_eq!(risk["classes"].as_u64().unwrap(), sizes.len() as u64);
    assert_eq!(risk["sample_uniques"].as_u64().unwrap(), uniques);
    assert!((risk["prosecutor_avg"].as_f64().unwrap() - sizes.len() as f64 / 30162.0).abs() < 1e-12);
    assert_eq!(risk["combinations"][0]["unique_records"].as_u64().unwrap(), uniques);
}

#[test]
fn risk_of_a_release_parquet_agrees_with_its_report() {
    let env = Env::new();
    let job = env.job("sample", &sample_csv(), &sample_rules(), "");
    assert_eq!(env.tokumei(&["run", job.to_str().unwrap()]).code, 0);
    let rep = report(&env.latest());
    let qi: Vec<&str> = rep["quasi_identifiers"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let pq = env.latest().join("resident_registry.parquet");
    let r = env.tokumei(&["risk", pq.to_str().unwrap(), "--qi", &qi.join(","), "--sensitive", "障害者手帳", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let risk: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(risk["records"], rep["rows_out"]);
    assert_eq!(risk["min_class_size"], rep["k_achieved"]);
    assert_eq!(risk["classes"], rep["after"]["classes"]);
    assert_eq!(risk["l_min"][0][1].as_u64().unwrap(), 2);
    assert!(risk["prosecutor_max"].as_f64().unwrap() <= 1.0 / 5.0);
}

#[test]
fn risk_names_a_missing_column() {
    let env = Env::new();
    let r = env.tokumei(&["risk", sample_csv().to_str().unwrap(), "--qi", "性別,生年月"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("column `生年月` is not in the file") && r.stderr.contains("did you mean `生年月日`?"),
        "{}",
        r.stderr
    );
}

#[test]
fn closed_stdout_is_not_a_panic() {
    // Regression: `tokumei risk ... | head -1` panicked with "failed printing to stdout".
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tokumei"))
        .args(["risk", sample_csv().to_str().unwrap(), "--qi", "性別,生年月日"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}
