//! A tokumei built without the `query` feature (`--no-default-features`: no DataFusion) refuses
//! the jobs that need SQL, naming the feature, and writes nothing.

use crate::util::*;

/// The bundled multi-source job, its paths made absolute, written into `env`.
fn sample_query_job(env: &Env) -> std::path::PathBuf {
    let dir = repo().join("samples/multi_source");
    let text = std::fs::read_to_string(dir.join("job.toml")).unwrap();
    let mut text = text
        .replace("../../rules/", &format!("{}/", repo().join("rules").display()))
        .replace("dir = \"../../reports\"", "dir = \"out\"")
        .replace("log = \"../../reports/audit.log\"", "log = \"audit.log\"");
    for f in ["resident.csv", "tax.csv", "care.csv"] {
        text = text.replace(&format!("path = \"{f}\""), &format!("path = \"{}\"", dir.join(f).display()));
    }
    env.write("joined.job.toml", &text)
}

#[test]
fn a_job_with_a_query_is_refused_naming_the_feature() {
    let env = Env::new();
    let job = sample_query_job(&env);
    for command in ["run", "check"] {
        let r = env.tokumei(&[command, job.to_str().unwrap()]);
        assert_eq!(r.code, 3, "{command}: {}", r.stderr);
        assert!(r.stderr.contains("joined.job.toml:11:1: query:"), "{command}: {}", r.stderr);
        assert!(r.stderr.contains("the `query` feature (DataFusion)"), "{command}: {}", r.stderr);
        assert!(env.out_files().is_empty(), "{command}");
    }
}

#[test]
fn a_where_filter_is_refused_naming_the_feature() {
    let env = Env::new();
    let job = env.job("women", &sample_csv(), &sample_rules(), "where = \"性別 = '女'\"");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("`where` filter") && r.stderr.contains("the `query` feature"), "{}", r.stderr);
    assert!(env.out_files().is_empty());
}
