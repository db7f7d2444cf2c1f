//! Every bad input fails closed: the documented exit code, a message naming file, line and
//! column but never the value, and no output at all.

use crate::util::*;

/// A small UTF-8 extract without free-text newlines, so record n sits on line n + 1.
fn small_input(env: &Env, rows: u64) -> Vec<Vec<String>> {
    let mut t = generated_records(env, rows, 2026);
    let note = t[0].iter().position(|h| h == "備考").unwrap();
    for row in t.iter_mut().skip(1) {
        row[note].clear();
    }
    t
}

fn write_csv(env: &Env, name: &str, rows: &[Vec<String>]) -> std::path::PathBuf {
    let text: String = rows
        .iter()
        .map(|r| r.iter().map(|f| format!("\"{}\"", f.replace('"', "\"\""))).collect::<Vec<_>>().join(",") + "\r\n")
        .collect();
    env.write(name, &text)
}

fn assert_failed_closed(env: &Env, r: &Run, code: i32) {
    assert_eq!(r.code, code, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(r.stderr.lines().any(|l| l.starts_with("error: ")), "{}", r.stderr);
    assert!(env.out_files().is_empty(), "a failed run left files: {:?}", env.out_files());
    let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
    assert!(log.lines().last().unwrap().contains("\"status\":\"failed\""), "the failure is audited");
}

fn rules_with(from: &str, to: &str) -> String {
    let src = std::fs::read_to_string(sample_rules()).unwrap();
    assert!(src.contains(from), "fixture text not in the rules: {from}");
    src.replace(from, to)
}

#[test]
fn wrong_encoding_is_an_input_error_with_its_line() {
    let env = Env::new();
    let job = env.job("j", &sample_csv(), &sample_rules(), "encoding = \"utf-8\"");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_failed_closed(&env, &r, 4);
    assert!(r.stderr.contains("resident_registry.csv: line 1: bytes are not valid UTF-8"), "{}", r.stderr);
}

#[test]
fn utf8_file_read_as_cp932_fails_or_is_detected() {
    // A CP932 file with ASCII-only first megabyte would be detected as UTF-8; the decoder
    // then fails at the first non-UTF-8 line instead of passing garbage through.
    let env = Env::new();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"a,b\r\n");
    for _ in 0..250_000 {
        bytes.extend_from_slice(b"1,2\r\n");
    }
    let (tail, _, _) = encoding_rs::SHIFT_JIS.encode("山田,太郎\r\n");
    bytes.extend_from_slice(&tail);
    let input = env.path("late.csv");
    std::fs::write(&input, &bytes).unwrap();
    let rules = env.write(
        "r.toml",
        "version = 1\ndataset = \"d\"\nmode = \"anonymized\"\n[privacy]\nk = 2\nmax_suppression = 0.5\n[[column]]\nname = \"a\"\nrole = \"quasi_identifier\"\naction = \"keep\"\n[[column]]\nname = \"b\"\nrole = \"insensitive\"\naction = \"keep\"\n",
    );
    let job = env.job("j", &input, &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_failed_closed(&env, &r, 4);
    assert!(r.stderr.contains("line 250002: bytes are not valid UTF-8"), "{}", r.stderr);
}

#[test]
fn unknown_column_names_the_rule_line_and_suggests() {
    let env = Env::new();
    let rules = env.write("r.toml", &rules_with("name = \"性別\"", "name = \"性 別\""));
    let job = env.job("j", &sample_csv(), &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_failed_closed(&env, &r, 3);
    assert!(r.stderr.contains("r.toml:") && r.stderr.contains("column `性 別` is not in the input"), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean `性別`?"), "{}", r.stderr);
    assert!(r.stderr.contains("input column `性別` is not covered by any rule"), "{}", r.stderr);
}

#[test]
fn uncovered_column_is_an_error() {
    let env = Env::new();
    let src = rules_with("[[column]]\nname = \"備考\"\nrole = \"direct_identifier\"\naction = \"drop\"\n", "");
    let rules = env.write("r.toml", &src);
    let job = env.job("j", &sample_csv(), &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_failed_closed(&env, &r, 3);
    assert!(r.stderr.contains("input column `備考` is not covered by any rule"), "{}", r.stderr);
}

#[test]
fn unknown_action_and_unknown_key_are_errors() {
    let env = Env::new();
    let src = rules_with("action = \"generalize\"\nhierarchy = \"age\"", "action = \"genralize\"\nhierarchy = \"age\"");
    let rules = env.write("r.toml", &src);
    let job = env.job("j", &sample_csv(), &rules, "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_failed_closed(&env, &r, 3);
    assert!(r.stderr.contains("unknown action") && r.stderr.contains("did you mean `generalize`?"), "{}", r.stderr);

    let rules = env.write("r2.toml", &rules_with("top = 90\n", "top = 90\ntopp = 1\n"));
    let job = env.job("j2", &sample_csv(), &rules, "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("r2.toml:") && r.stderr.contains("topp"), "{}", r.stderr);
}

#[test]
fn malformed_date_names_file_line_and_column_but_not_the_value() {
    let env = Env::new();
    let mut rows = small_input(&env, 200);
    let col = rows[0].iter().position(|h| h == "生年月日").unwrap();
    rows[37][col] = "1985-02-30".into();
    let input = write_csv(&env, "bad.csv", &rows);
    let job = env.job("j", &input, &sample_rules(), "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_failed_closed(&env, &r, 4);
    assert!(r.stderr.contains("bad.csv: line 38, column `生年月日`: is not a valid date"), "{}", r.stderr);
    assert!(!r.stderr.contains("1985-02-30"), "the message must not quote the value");
}

#[test]
fn rejected_rows_are_counted_when_the_rules_allow_it() {
    let env = Env::new();
    let mut rows = small_input(&env, 10_000);
    let col = rows[0].iter().position(|h| h == "生年月日").unwrap();
    rows[10][col] = "not a date".into();
    rows[20][col] = "平成99年1月1日".into();
    let input = write_csv(&env, "bad.csv", &rows);
    let allow = env
        .write("allow.toml", &rules_with("on_malformed = \"error\"", "on_malformed = \"reject\"\nmax_rejected = 0.01"));
    let job = env.job("j", &input, &allow, "");
    let r = env.tokumei(&["run", job.to_str().unwrap(), "--out", "out"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    assert_eq!(rep["rows_rejected"], 2);
    assert_eq!(rep["rejected_by_column"][0][0], "生年月日");
    let t = read_parquet(&env.latest().join("resident_registry.parquet"));
    assert_eq!(t.rows.len() as u64 + rep["suppressed"].as_u64().unwrap(), 9998);

    let env2 = Env::new();
    let input = write_csv(&env2, "bad.csv", &rows);
    let strict = env2.write(
        "strict.toml",
        &rules_with("on_malformed = \"error\"", "on_malformed = \"reject\"\nmax_rejected = 0.0001"),
    );
    let job = env2.job("j", &input, &strict, "");
    let r = env2.tokumei(&["run", job.to_str().unwrap()]);
    assert_failed_closed(&env2, &r, 4);
    assert!(r.stderr.contains("2 of 10000 rows have malformed values"), "{}", r.stderr);
}

#[test]
fn missing_key_file_is_a_key_error() {
    let env = Env::new();
    let rules = env.write("p.toml", &rules_with("mode = \"anonymized\"", "mode = \"pseudonymized\""));
    let job = env.job("nokey", &sample_csv(), &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_failed_closed(&env, &r, 6);
    assert!(r.stderr.contains("pseudonymized mode needs a managed key"), "{}", r.stderr);

    let job = env.job("missing", &sample_csv(), &rules, "[keys]\npseudonym_key_file = \"nope.key\"");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_failed_closed(&env, &r, 6);
    assert!(r.stderr.contains("cannot read key file") && r.stderr.contains("nope.key"), "{}", r.stderr);

    env.write("short.key", "abcd\n");
    let job = env.job("short", &sample_csv(), &rules, "[keys]\npseudonym_key_file = \"short.key\"");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_failed_closed(&env, &r, 6);
    assert!(!r.stderr.contains("abcd"), "key material must not be printed");
}

#[test]
fn unreachable_k_fails_with_no_output() {
    let env = Env::new();
    let rules = env.write("r.toml", &rules_with("k = 5", "k = 400"));
    let job = env.job("j", &sample_csv(), &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_failed_closed(&env, &r, 5);
    assert!(r.stderr.contains("privacy requirement not met: reaching k=400"), "{}", r.stderr);
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
}

#[test]
fn identification_code_kept_is_refused() {
    let env = Env::new();
    let src = rules_with(
        "name = \"個人番号\"\nrole = \"identification_code\"\naction = \"drop\"",
        "name = \"個人番号\"\nrole = \"identification_code\"\naction = \"keep\"",
    );
    let rules = env.write("r.toml", &src);
    let job = env.job("j", &sample_csv(), &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_failed_closed(&env, &r, 3);
    assert!(r.stderr.contains("processing standard 2"), "{}", r.stderr);
}

#[test]
fn ragged_csv_row_is_an_input_error() {
    let env = Env::new();
    let mut rows = small_input(&env, 50);
    rows[12].pop();
    let input = write_csv(&env, "ragged.csv", &rows);
    let job = env.job("j", &input, &sample_rules(), "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_failed_closed(&env, &r, 4);
    assert!(r.stderr.contains("line 13: has 16 fields, the header has 17"), "{}", r.stderr);
}

#[test]
fn corrupt_parquet_input_is_an_input_error() {
    let env = Env::new();
    // A Parquet footer magic with garbage before it, and a truncated real file.
    let garbage = env.path("garbage.parquet");
    std::fs::write(&garbage, [b"PAR1".as_slice(), &[7u8; 64], &16u32.to_le_bytes(), b"PAR1"].concat()).unwrap();
    let job = env.job("j", &garbage, &sample_rules(), "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_failed_closed(&env, &r, 4);
    assert!(r.stderr.contains("garbage.parquet:"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

/// Every `[privacy]` setting is checked by its type, at its own line, before any data is read;
/// an unknown key is refused with the nearest known one.
#[test]
fn privacy_settings_are_checked_at_their_line() {
    let cases: &[(&str, &[&str])] = &[
        ("betta = 1.0", &["unknown key `betta` in [privacy]", "did you mean `beta`?"]),
        ("xyzzy = 3", &["unknown key `xyzzy` in [privacy]", "keys allowed here:", "`max_average_risk`"]),
        ("beta = 0", &["beta must be positive"]),
        ("beta = -2.5", &["beta must be positive"]),
        ("beta = \"high\"", &["beta must be a number"]),
        ("t = 1.5", &["t must be above 0 and at most 1"]),
        ("t = true", &["t must be a number"]),
        ("max_average_risk = 0", &["max_average_risk must be above 0 and at most 1"]),
        ("l_model = \"entropic\"", &["l_model must be", "did you mean `entropy`?"]),
        ("c = 2.0", &["c applies only with l_model = \"recursive\""]),
        ("l_model = \"recursive\"", &["recursive (c,l)-diversity needs `c`"]),
        ("quality = \"losss\"", &["did you mean `loss`?"]),
    ];
    // A model key that applies to nothing (no sensitive column has an l) is refused, not ignored.
    let env = Env::new();
    let src = rules_with("l = 2\nmax_suppression = 0.05", "l_model = \"entropy\"\nmax_suppression = 0.05");
    let without_l: String = src
        .replace("\nl = 1\n", "\n")
        .lines()
        .filter(|l| !l.starts_with("l_reason"))
        .map(|l| format!("{l}\n"))
        .collect();
    let rules = env.write("r.toml", &without_l);
    let job = env.job("j", &sample_csv(), &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("r.toml:21:") && r.stderr.contains("`l_model` has no effect"), "{}", r.stderr);
    for (setting, expected) in cases {
        let env = Env::new();
        let rules =
            env.write("r.toml", &rules_with("max_suppression = 0.05", &format!("max_suppression = 0.05\n{setting}")));
        let job = env.job("j", &sample_csv(), &rules, "");
        let r = env.tokumei(&["run", job.to_str().unwrap()]);
        assert_eq!(r.code, 3, "{setting}: {}", r.stderr);
        assert!(env.out_files().is_empty(), "{setting}: a refused run left files");
        assert!(r.stderr.contains("r.toml:23:"), "{setting}: the error names the setting's line\n{}", r.stderr);
        for e in *expected {
            assert!(r.stderr.contains(e), "{setting}: expected {e:?} in\n{}", r.stderr);
        }
    }
}

/// An input that cannot be opened or read is the input's fault (exit 4), and the operating
/// system's reason reaches the operator and the audit log.
#[test]
fn unreadable_inputs_keep_their_cause() {
    let env = Env::new();
    std::fs::create_dir(env.path("folder.csv")).unwrap();
    for (input, reason) in [("missing.csv", "No such file or directory"), ("folder.csv", "Is a directory")] {
        let job = env.job("j", &env.path(input), &sample_rules(), "");
        let r = env.tokumei(&["run", job.to_str().unwrap()]);
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(r.stderr.contains(input) && r.stderr.contains(reason), "{}", r.stderr);
        let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
        let last = log.lines().last().unwrap();
        assert!(last.contains("\"status\":\"failed\"") && last.contains(reason), "{last}");
    }
}
