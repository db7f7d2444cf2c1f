//! Regression tests for the fail-closed sweep: no person's value in any message or report,
//! escaped reports, every Parquet codec, no empty or absurd release, safe names and keys,
//! options that do not apply, and diagnostics that name the right line and class of problem.

use crate::util::*;

fn log_text(env: &Env) -> String {
    std::fs::read_to_string(env.path("audit.log")).unwrap_or_default()
}

#[test]
fn a_file_without_a_header_never_has_its_first_record_quoted() {
    let env = Env::new();
    let rows = generated_records(&env, 300, 7);
    let input = write_rows(&env, "noheader.csv", &rows[1..]);
    let first = &rows[1];
    let job = env.job("j", &input, &sample_rules(), "");
    for cmd in ["check", "run"] {
        let r = env.tokumei(&[cmd, job.to_str().unwrap()]);
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(r.stderr.contains("does not look like a header"), "{}", r.stderr);
        for value in first.iter().filter(|v| v.chars().count() >= 2) {
            assert!(!r.stderr.contains(value.as_str()), "stderr quotes a value of the first record: {value}");
            assert!(!log_text(&env).contains(value.as_str()), "the audit log quotes {value}");
        }
    }
    // The risk command too.
    let r = env.tokumei(&["risk", input.to_str().unwrap(), "--qi", "性別,生年月日"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    for value in first.iter().filter(|v| v.chars().count() >= 2) {
        assert!(!r.stderr.contains(value.as_str()), "risk quotes {value}");
    }
    // A header line with two equal names does not quote them either.
    let mut dup = rows.clone();
    dup[0][1] = dup[0][0].clone();
    let input = write_rows(&env, "dup.csv", &dup);
    let job = env.job("d", &input, &sample_rules(), "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("header columns 1 and 2 have the same name"), "{}", r.stderr);
}

#[test]
fn the_t_closeness_reference_names_only_values_in_the_release() {
    let env = Env::new();
    let mut rows = generated_records(&env, 3000, 7);
    let h = &rows[0];
    let (born, card, addr) = (
        h.iter().position(|c| c == "生年月日").unwrap(),
        h.iter().position(|c| c == "障害者手帳").unwrap(),
        h.iter().position(|c| c == "住所").unwrap(),
    );
    // One person, alone in their class (a very old person in a rare region), with a value no
    // one else has: the record is suppressed, so its value must appear nowhere.
    rows[5][born] = "1900-01-01".into();
    rows[5][addr] = "沖縄県那覇市1-1".into();
    rows[5][card] = "特別手帳X".into();
    let input = write_rows(&env, "t.csv", &rows);
    let rules = std::fs::read_to_string(sample_rules())
        .unwrap()
        .replace("max_suppression = 0.05", "max_suppression = 0.2\nt = 0.9");
    let rules = env.write("t_rules.toml", &rules);
    let job = env.job("t", &input, &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = env.latest();
    let t = read_parquet(&dir.join("resident_registry.parquet"));
    let c = t.col("障害者手帳");
    assert!(t.rows.iter().all(|r| r[c].as_deref() != Some("特別手帳X")), "the record was not suppressed");
    for f in ["report.json", "report.md", "data_dictionary.md"] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(!text.contains("特別手帳X"), "{f} names a value only a suppressed record holds");
    }
    let rep = report(&dir);
    let reference = rep["t_closeness"][0]["reference"].as_array().unwrap();
    let total: f64 = reference.iter().map(|p| p[1].as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-9, "shares still sum to 1: {total}");
}

#[test]
fn values_cannot_inject_markup_into_the_reports() {
    let env = Env::new();
    let mut rows = generated_records(&env, 3000, 7);
    let card = rows[0].iter().position(|c| c == "障害者手帳").unwrap();
    let attacks = [
        "<script>alert(1)</script>",
        "![x](http://attacker.example/p.png)",
        "=HYPERLINK(\"http://attacker.example\")",
        "a|b",
        "line\nbreak",
    ];
    // Enough of each value that it survives k-anonymity and is listed as a category.
    for (i, row) in rows.iter_mut().skip(1).enumerate() {
        if i % 7 == 0 {
            row[card] = attacks[(i / 7) % attacks.len()].to_string();
        }
    }
    let input = write_rows(&env, "m.csv", &rows);
    let rules =
        std::fs::read_to_string(sample_rules()).unwrap().replace("max_suppression = 0.05", "max_suppression = 0.3");
    let rules = env.write("m_rules.toml", &rules);
    let job = env.job("m", &input, &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = env.latest();
    let t = read_parquet(&dir.join("resident_registry.parquet"));
    let c = t.col("障害者手帳");
    assert!(t.rows.iter().any(|r| r[c].as_deref() == Some("<script>alert(1)</script>")), "the values are released");
    for f in ["data_dictionary.md", "report.md"] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(!text.contains("<script"), "{f}");
        assert!(!text.contains("](http"), "{f}");
        // No table cell starts a spreadsheet formula.
        for line in text.lines().filter(|l| l.starts_with('|')) {
            for cell in line.replace("\\|", "").split('|') {
                let cell = cell.trim();
                assert!(!cell.starts_with(['=', '+', '@']), "{f}: a cell starts a formula: {cell}");
            }
        }
        // Every table row keeps its columns: unescaped pipes are the same in each row of a table.
        for block in text.split("\n\n") {
            let rows: Vec<&str> = block.lines().filter(|l| l.starts_with('|')).collect();
            let cells = |l: &str| l.replace("\\|", "").matches('|').count();
            if let Some(first) = rows.first() {
                assert!(rows.iter().all(|r| cells(r) == cells(first)), "{f}: a value broke a table:\n{block}");
            }
        }
        assert!(!text.contains("line\nbreak"), "{f}");
    }
    let dict = std::fs::read_to_string(dir.join("data_dictionary.md")).unwrap();
    assert!(dict.contains("&lt;script&gt;"), "the value is shown, escaped");
}

#[test]
fn empty_inputs_and_releases_without_rows_are_refused() {
    let env = Env::new();
    let rows = generated_records(&env, 50, 7);
    let header_only = write_rows(&env, "empty.csv", &rows[..1]);
    let job = env.job("e", &header_only, &sample_rules(), "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("no data rows"), "{}", r.stderr);
    assert!(env.out_files().is_empty());

    // A zero-row Parquet file.
    use arrow::array::{ArrayRef, RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;
    let schema = Arc::new(Schema::new(rows[0].iter().map(|h| Field::new(h, DataType::Utf8, true)).collect::<Vec<_>>()));
    let cols: Vec<ArrayRef> =
        rows[0].iter().map(|_| Arc::new(StringArray::from(Vec::<Option<&str>>::new())) as ArrayRef).collect();
    let pq = env.path("empty.parquet");
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&pq).unwrap(), schema.clone(), None).unwrap();
    w.write(&RecordBatch::try_new(schema, cols).unwrap()).unwrap();
    w.close().unwrap();
    let job = env.job("p", &pq, &sample_rules(), "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 4, "{}", r.stderr);

    // k above the row count with every row allowed to go: nothing would be released.
    let input = write_rows(&env, "small.csv", &rows);
    let rules = std::fs::read_to_string(sample_rules())
        .unwrap()
        .replace("k = 5", "k = 1000")
        .replace("max_suppression = 0.05", "max_suppression = 1.0");
    let rules = env.write("all_rules.toml", &rules);
    let job = env.job("k", &input, &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("at least one row"), "{}", r.stderr);
    assert!(env.out_files().is_empty());
}

#[test]
fn integer_bands_at_the_ends_of_the_range_stay_in_order() {
    let env = Env::new();
    let mut text = String::from("id,amount\n");
    let values = [i64::MAX, i64::MAX - 3, i64::MIN, -1, 0, 5];
    for i in 0..60 {
        text.push_str(&format!("{i},{}\n", values[i % values.len()]));
    }
    let input = env.write("big.csv", &text);
    let rules = env.write(
        "b.toml",
        "version = 1\ndataset = \"bands\"\nmode = \"anonymized\"\n[privacy]\nk = 2\nmax_suppression = 0.0\n[[column]]\nname = \"id\"\nrole = \"linking_code\"\naction = \"drop\"\n[[column]]\nname = \"amount\"\nrole = \"quasi_identifier\"\naction = \"generalize\"\nhierarchy = \"bands\"\nbands = [10]\nlevel = 1\n",
    );
    let job = env.job("bandjob", &input, &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let t = read_parquet(&env.latest().join("bands.parquet"));
    let bands: std::collections::BTreeSet<String> = t.rows.iter().map(|r| r[0].clone().unwrap()).collect();
    assert!(bands.contains("9223372036854775800-9223372036854775807"), "{bands:?}");
    assert!(bands.contains("-9223372036854775808--9223372036854775801"), "{bands:?}");
    assert!(bands.contains("-10--1") && bands.contains("0-9"), "{bands:?}");
}

#[test]
fn key_files_others_can_read_weak_keys_and_pipes_are_refused() {
    let env = Env::new();
    let rules =
        std::fs::read_to_string(sample_rules()).unwrap().replace("mode = \"anonymized\"", "mode = \"pseudonymized\"");
    let rules = env.write("pseudo.toml", &rules);
    let run_with_key = |key: &std::path::Path| -> Option<Run> {
        let job = env.job("p", &sample_csv(), &rules, &format!("[keys]\npseudonym_key_file = \"{}\"", key.display()));
        let child = env
            .command(&["run", job.to_str().unwrap()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut child = child;
        loop {
            if child.try_wait().unwrap().is_some() {
                let out = child.wait_with_output().unwrap();
                return Some(Run {
                    code: out.status.code().unwrap_or(-1),
                    stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                });
            }
            if std::time::Instant::now() > until {
                let _ = child.kill();
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    let good = env.path("good.key");
    assert_eq!(env.tokumei(&["keygen", "--out", good.to_str().unwrap()]).code, 0);
    let key_text = std::fs::read_to_string(&good).unwrap();
    assert_eq!(run_with_key(&good).unwrap().code, 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let shared = env.write("shared.key", &key_text);
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o644)).unwrap();
        let zero = env.write("zero.key", &"00".repeat(32));
        std::fs::set_permissions(&zero, std::fs::Permissions::from_mode(0o600)).unwrap();
        let fifo = env.path("fifo.key");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        let mut bad = vec![shared, zero];
        if made.is_ok_and(|s| s.success()) {
            bad.push(fifo);
        }
        for key in bad {
            let r = run_with_key(&key).unwrap_or_else(|| panic!("{key:?}: the run hung"));
            assert_eq!(r.code, 6, "{key:?}: {}", r.stderr);
            assert!(!r.stderr.contains(key_text.trim()));
        }
    }
}

#[test]
fn search_options_on_a_column_that_is_not_searched_are_errors() {
    let env = Env::new();
    for opt in ["weight = 2.0", "min_level = 1", "max_level = 2"] {
        let src = std::fs::read_to_string(sample_rules()).unwrap().replace(
            "action = \"keep\"\ndescription = \"sex\"",
            &format!("action = \"keep\"\n{opt}\ndescription = \"sex\""),
        );
        assert!(src.contains(opt));
        let rules = env.write("o.toml", &src);
        let job = env.job("optjob", &sample_csv(), &rules, "");
        let r = env.tokumei(&["check", job.to_str().unwrap()]);
        assert_eq!(r.code, 3, "{opt}: {}", r.stderr);
        let key = opt.split(' ').next().unwrap();
        assert!(r.stderr.contains("o.toml:") && r.stderr.contains(key), "{opt}: {}", r.stderr);
    }
}

#[test]
fn a_bad_byte_in_a_utf8_file_is_reported_at_its_line_as_utf8() {
    let env = Env::new();
    let rows = generated_records(&env, 400, 7);
    let mut bytes = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let line = r.iter().map(|f| format!("\"{}\"", f.replace('"', "\"\""))).collect::<Vec<_>>().join(",") + "\n";
        if i == 120 {
            let mut b = line.into_bytes();
            b.insert(b.len() / 2, 0xFF);
            bytes.extend(b);
        } else {
            bytes.extend(line.into_bytes());
        }
    }
    let input = env.path("bad.csv");
    std::fs::write(&input, &bytes).unwrap();
    let job = env.job("u", &input, &sample_rules(), "encoding = \"auto\"");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(!r.stderr.contains("line 1:"), "{}", r.stderr);
    assert!(r.stderr.contains("not valid UTF-8"), "{}", r.stderr);
}

#[test]
fn too_many_distinct_values_to_search_is_a_rules_error() {
    let env = Env::new();
    let cols = 9;
    let mut text: String = (0..cols).map(|c| format!("c{c}")).collect::<Vec<_>>().join(",") + "\n";
    for i in 0..17_000u64 {
        text.push_str(&(0..cols).map(|c| (i * 7 + c).to_string()).collect::<Vec<_>>().join(","));
        text.push('\n');
    }
    let input = env.write("wide.csv", &text);
    let mut rules = String::from(
        "version = 1\ndataset = \"wide\"\nmode = \"anonymized\"\n[privacy]\nk = 2\nmax_suppression = 0.1\nsearch = \"optimal\"\n",
    );
    for c in 0..cols {
        rules.push_str(&format!(
            "[[column]]\nname = \"c{c}\"\nrole = \"quasi_identifier\"\naction = \"generalize\"\nhierarchy = \"bands\"\nbands = [10, 100]\n"
        ));
    }
    let rules = env.write("w.toml", &rules);
    let job = env.job("widejob", &input, &rules, "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("bits per tuple") && r.stderr.contains("min_level"), "{}", r.stderr);
}

#[test]
fn sample_never_overwrites_without_force() {
    let env = Env::new();
    let out = env.write("mine.csv", "precious");
    let r = env.tokumei(&["sample", "resident-registry", "--rows", "10", "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 8, "{}", r.stderr);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious");
    let r = env.tokumei(&["sample", "resident-registry", "--rows", "10", "--out", out.to_str().unwrap(), "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_ne!(std::fs::read(&out).unwrap(), b"precious");
}

#[test]
fn a_quote_or_line_break_as_delimiter_is_refused_at_its_line() {
    let env = Env::new();
    let input = write_rows(&env, "in.csv", &sample_records());
    for delimiter in ["\\\"", "\\n"] {
        let job = env.job("delim", &input, &sample_rules(), &format!("delimiter = \"{delimiter}\""));
        let r = env.tokumei(&["check", job.to_str().unwrap()]);
        assert_eq!(r.code, 3, "{delimiter}: {}", r.stderr);
        assert!(r.stderr.contains("delimiter must be one ASCII character other than a quote"), "{}", r.stderr);
        assert!(r.stderr.contains("delim.job.toml:"), "names the job file and line: {}", r.stderr);
    }
}

/// A worker of pass 1 that dies (a panic, injected on one batch of a file of many) ends the run
/// with the panic and nothing written, on one thread or several: the merge, which waits for the
/// batches in order, is told the batch will not come instead of waiting for it for ever.
#[test]
fn a_worker_that_dies_ends_the_run_instead_of_hanging_it() {
    let env = Env::new();
    let job = env.job("j", &sample_csv(), &sample_rules(), "");
    for threads in ["1", "2"] {
        let mut child = env
            .command(&["run", job.to_str().unwrap()])
            .env("TOKUMEI_THREADS", threads)
            .env("TOKUMEI_TEST_CHUNK_BYTES", "16384")
            .env("TOKUMEI_TEST_PANIC_BATCH", "3")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > std::time::Duration::from_secs(120) {
                let _ = child.kill();
                panic!("the run with a dead worker still runs after 120 s ({threads} threads)");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert!(!status.success(), "{stderr}");
        assert!(stderr.contains("panicked on batch 3"), "{stderr}");
        assert!(env.out_files().iter().all(|d| std::fs::read_dir(d).unwrap().next().is_none()), "nothing released");
    }
}
