//! The release loads in the clients business users use: pyarrow, polars and duckdb, which
//! recompute k and l from the file (tests/python/check_release.py).

use crate::util::*;

/// Needs Python with pyarrow, polars and duckdb: ignored by a plain `cargo test` (and listed as
/// ignored), run by `bash .ci/run`, which installs them and sets `TOKUMEI_PYTHON`. Once run, a
/// missing client fails it.
#[test]
#[ignore = "needs the Python clients: run `bash .ci/run`, or set TOKUMEI_PYTHON and pass --ignored"]
fn release_loads_in_pyarrow_polars_and_duckdb() {
    let python = std::env::var("TOKUMEI_PYTHON").unwrap_or_else(|_| "python3".into());
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
