//! The audit log through the binary: every run appends, verify finds tampering.

use crate::util::*;

#[test]
fn every_run_is_audited_and_tampering_is_found_at_its_entry() {
    let env = Env::new();
    let job = env.job("sample", &sample_csv(), &sample_rules(), "");
    assert_eq!(env.tokumei(&["run", job.to_str().unwrap()]).code, 0);
    assert_eq!(env.tokumei(&["run", job.to_str().unwrap()]).code, 0);
    let bad = env.write("bad.toml", "version = 1\nname = \"bad\"\n[input]\npath = \"nope.csv\"\n[rules]\npath = \"r.toml\"\n[audit]\nlog = \"audit.log\"\n");
    assert_eq!(env.tokumei(&["run", bad.to_str().unwrap()]).code, 4);

    let r = env.tokumei(&["audit", "verify", "--log", "audit.log"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("3 entries, chain intact"), "{}", r.stdout);

    let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines[0].contains("\"status\":\"ok\"") && lines[2].contains("\"status\":\"failed\""));
    assert!(lines[0].contains("\"operator\":\"tester\""));
    assert!(lines[0].contains("\"input_sha256\"") && lines[0].contains("resident_registry.parquet="));

    // Change the second entry's row count.
    let tampered =
        log.replacen("\"rows_in\":10000", "\"rows_in\":9999", 2).replacen("\"rows_in\":9999", "\"rows_in\":10000", 1);
    assert_ne!(tampered, log);
    std::fs::write(env.path("audit.log"), tampered).unwrap();
    let r = env.tokumei(&["audit", "verify", "--log", "audit.log"]);
    assert_eq!(r.code, 7, "{}", r.stdout);
    assert!(r.stderr.contains("entry 2 (line 2) is broken"), "{}", r.stderr);

    // Deleting the first entry breaks the chain at line 1.
    std::fs::write(env.path("audit.log"), lines[1..].join("\n") + "\n").unwrap();
    let r = env.tokumei(&["audit", "verify", "--job", job.to_str().unwrap()]);
    assert_eq!(r.code, 7);
    assert!(r.stderr.contains("(line 1) is broken"), "{}", r.stderr);
}
