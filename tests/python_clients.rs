//! The release loads in the clients business users use: pyarrow, polars and duckdb, which
//! recompute k and l from the file (tests/python/check_release.py).

use crate::util::*;

#[test]
fn release_loads_in_pyarrow_polars_and_duckdb() {
    let Ok(python) = std::env::var("TOKUMEI_PYTHON") else {
        assert!(std::env::var("CI").is_err(), "CI must set TOKUMEI_PYTHON (.ci/run makes the virtualenv)");
        eprintln!("TOKUMEI_PYTHON not set: skipping the Python client check (bash .ci/run sets it)");
        return;
    };
    let env = Env::new();
    let job = env.job("sample", &sample_csv(), &sample_rules(), "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = std::process::Command::new(python)
        .arg(repo().join("tests/python/check_release.py"))
        .arg(env.latest())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("ok: "), "{stdout}");
}
