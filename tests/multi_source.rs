//! Jobs over several extracts joined by SQL (DataFusion), and filtered single inputs.

use crate::util::*;
use sha2::Digest;

/// A job over the three bundled extracts of `samples/multi_source`, with `query` and the rules
/// given, written into `env`.
fn extracts_job(env: &Env, name: &str, query: &str, rules: &std::path::Path) -> std::path::PathBuf {
    extracts_job_with(env, name, query, rules, None, "")
}

/// [`extracts_job`] with the resident extract replaced by `resident` when given, and `extra`
/// (e.g. a `[query_limits]` table) at the end of the job file.
fn extracts_job_with(
    env: &Env,
    name: &str,
    query: &str,
    rules: &std::path::Path,
    resident: Option<&std::path::Path>,
    extra: &str,
) -> std::path::PathBuf {
    let dir = repo().join("samples/multi_source");
    let inputs: String = [("住基", "resident.csv"), ("税", "tax.csv"), ("介護", "care.csv")]
        .iter()
        .map(|(n, f)| {
            let path = match resident {
                Some(r) if *n == "住基" => r.to_path_buf(),
                _ => dir.join(f),
            };
            format!("[[input]]\nname = \"{n}\"\npath = \"{}\"\n", path.display())
        })
        .collect();
    env.write(
        &format!("{name}.job.toml"),
        &format!(
            "version = 1\nname = \"{name}\"\nreference_date = \"2026-04-01\"\nquery = \"\"\"\n{query}\n\"\"\"\n{inputs}[rules]\npath = \"{}\"\n[output]\ndir = \"out\"\n[audit]\nlog = \"audit.log\"\n{extra}",
            rules.display()
        ),
    )
}

/// The bundled job's query.
fn sample_query() -> String {
    let job = std::fs::read_to_string(repo().join("samples/multi_source/job.toml")).unwrap();
    let start = job.find("query = \"\"\"").unwrap() + "query = \"\"\"".len();
    let end = start + job[start..].find("\"\"\"").unwrap();
    job[start..end].trim().to_string()
}

/// The release's rows without the columns whose values are keyed per release, sorted.
pub(crate) fn comparable_rows(env: &Env) -> (Vec<String>, Vec<Vec<Option<String>>>) {
    let dir = env.latest();
    comparable_release(&dir, &report(&dir))
}

#[test]
fn three_extracts_joined_give_the_release_of_the_joined_file() {
    let joined = Env::new();
    let job = extracts_job(&joined, "joined", &sample_query(), &sample_rules());
    let r = joined.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let single = Env::new();
    let job = single.job("single", &sample_csv(), &sample_rules(), "");
    let r = single.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (a, b) = (comparable_rows(&joined), comparable_rows(&single));
    assert_eq!(a.0, b.0, "the same columns");
    assert!(a.1.len() > 9000);
    assert!(a.1 == b.1, "the same rows");

    // The report and the audit entry record each input's hash and rows, and the query.
    let rep = report(&joined.latest());
    let inputs = rep["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 3);
    for (entry, (name, file)) in inputs.iter().zip([("住基", "resident.csv"), ("税", "tax.csv"), ("介護", "care.csv")])
    {
        let bytes = std::fs::read(repo().join("samples/multi_source").join(file)).unwrap();
        assert_eq!(entry["name"], name);
        assert_eq!(entry["sha256"], hex::encode(sha2::Sha256::digest(&bytes)));
        let lines = csv_like(&encoding_rs::SHIFT_JIS.decode(&bytes).0).len() as u64 - 1;
        assert_eq!(entry["rows"], lines, "{file}");
    }
    assert_eq!(rep["input"]["format"], "query");
    assert!(rep["query"].as_str().unwrap().contains("LEFT JOIN 税"));
    let log = std::fs::read_to_string(joined.path("audit.log")).unwrap();
    let publishing = log.lines().find(|l| l.contains("\"status\":\"publishing\"")).unwrap();
    assert!(publishing.contains("\"inputs\":[") && publishing.contains("\"query\":"), "{publishing}");
    assert!(publishing.contains(inputs[1]["sha256"].as_str().unwrap()));
}

/// Each input's hash and rows in the report are those of its file.
fn assert_inputs_whole(env: &Env) {
    let rep = report(&env.latest());
    let inputs = rep["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 3);
    for (entry, file) in inputs.iter().zip(["resident.csv", "tax.csv", "care.csv"]) {
        let bytes = std::fs::read(repo().join("samples/multi_source").join(file)).unwrap();
        assert_eq!(entry["sha256"], hex::encode(sha2::Sha256::digest(&bytes)), "{file}");
        let lines = csv_like(&encoding_rs::SHIFT_JIS.decode(&bytes).0).len() as u64 - 1;
        assert_eq!(entry["rows"], lines, "{file}");
    }
}

#[test]
fn inputs_the_query_reads_twice_or_not_at_all_are_hashed_and_counted_whole() {
    // 税 is read three times (its join and two subqueries), each read from the file.
    let query = format!(
        "{}\nWHERE r.宛名番号 NOT IN (SELECT 宛名番号 FROM 介護 LIMIT 0)\n  AND (t.宛名番号 IS NULL OR t.宛名番号 IN (SELECT s.宛名番号 FROM 税 s))\n  AND r.宛名番号 NOT IN (SELECT u.宛名番号 FROM 税 u WHERE u.宛名番号 IS NULL)",
        sample_query()
    );
    let twice = Env::new();
    let job = extracts_job(&twice, "twice", &query, &sample_rules());
    let r = twice.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_inputs_whole(&twice);
    // The same release as the plain query's.
    let plain = Env::new();
    let job = extracts_job(&plain, "plain", &sample_query(), &sample_rules());
    let r = plain.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (a, b) = (comparable_rows(&twice), comparable_rows(&plain));
    assert!(a.1.len() > 9000);
    assert!(a == b, "the same rows");
    // 介護 is not in the query: it is read to its end after the query all the same.
    let unused = Env::new();
    let query = sample_query()
        .replace("COALESCE(c.要介護度, 'なし')", "'なし'")
        .replace("LEFT JOIN 介護 c ON c.宛名番号 = r.宛名番号", "");
    assert!(!query.contains("JOIN 介護"), "{query}");
    let job = extracts_job(&unused, "unused", &query, &sample_rules());
    let r = unused.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_inputs_whole(&unused);
}

#[test]
fn a_where_filter_keeps_only_the_rows_it_names() {
    let env = Env::new();
    let job = env.job("women", &sample_csv(), &sample_rules(), "where = \"性別 = '女'\"");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let records = sample_records();
    let sex = records[0].iter().position(|h| h == "性別").unwrap();
    let women = records[1..].iter().filter(|r| r[sex] == "女").count() as u64;
    let rep = report(&env.latest());
    assert_eq!(rep["rows_in"], women);
    assert_eq!(rep["query"], "性別 = '女'");
    let t = read_parquet(&env.latest().join("resident_registry.parquet"));
    let col = t.col("性別");
    assert!(t.rows.iter().all(|r| r[col].as_deref() == Some("女")));
}

#[test]
fn an_identifier_re_aliased_in_the_query_is_still_uncovered() {
    let env = Env::new();
    let query = sample_query().replace("SELECT r.*,", "SELECT r.*, r.個人番号 AS 整理番号,");
    let job = extracts_job(&env, "alias", &query, &sample_rules());
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("`整理番号` is not covered by any rule"), "{}", r.stderr);
    assert!(env.out_files().is_empty());
}

#[test]
fn sql_errors_are_job_errors_with_their_position() {
    let env = Env::new();
    let rules = sample_rules();
    for (query, expected) in [
        (
            "SELECT *\nFROM 住基 WHERE ORDER BY 1",
            "bad.job.toml:6:21: query: Expected: end of statement, found: BY (line 2, column 21 of the SQL)",
        ),
        ("SELECT * FROM 住民", "住民"),
        ("SELECT r.存在しない列 FROM 住基 r", "存在しない列"),
        ("CREATE TABLE x AS SELECT * FROM 住基", "only a SELECT query is allowed"),
        ("COPY 住基 TO '/tmp/leak.csv'", "only a SELECT query is allowed"),
        ("INSERT INTO 税 VALUES ('1', '2')", "only a SELECT query is allowed"),
        ("SET datafusion.execution.batch_size = 1", "only a SELECT query is allowed"),
        ("SELECT * FROM '/etc/passwd'", "/etc/passwd"),
    ] {
        let job = extracts_job(&env, "bad", query, &rules);
        let r = env.tokumei(&["run", job.to_str().unwrap()]);
        assert_eq!(r.code, 3, "{query}: {}", r.stderr);
        assert!(r.stderr.contains("bad.job.toml:") && r.stderr.contains(" query: "), "{query}: {}", r.stderr);
        assert!(
            r.stderr.to_lowercase().contains(&expected.to_lowercase()),
            "{query}: expected {expected}: {}",
            r.stderr
        );
        assert!(env.out_files().is_empty());
    }
    assert!(!std::path::Path::new("/tmp/leak.csv").exists());
}

#[test]
fn a_failure_while_the_query_runs_never_quotes_a_value() {
    let env = Env::new();
    // Casting names to numbers fails on the first name; DataFusion's message would quote it.
    let query = sample_query().replace("SELECT r.*,", "SELECT r.*, CAST(r.氏名 AS BIGINT) AS 数,");
    let job = extracts_job(&env, "cast", &query, &sample_rules());
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_ne!(r.code, 0, "{}", r.stderr);
    let names = sample_records();
    let col = names[0].iter().position(|h| h == "氏名").unwrap();
    for row in &names[1..50] {
        for part in row[col].split('　') {
            assert!(!r.stderr.contains(part), "a name reached the error: {}", r.stderr);
        }
    }
}

#[test]
fn an_extract_with_a_broken_line_is_named_with_its_line() {
    let env = Env::new();
    let dir = repo().join("samples/multi_source");
    let mut tax = std::fs::read(dir.join("tax.csv")).unwrap();
    tax.extend_from_slice(b"100000001,1,2\r\n");
    let lines = tax.iter().filter(|b| **b == b'\n').count();
    std::fs::write(env.path("tax.csv"), &tax).unwrap();
    let job = extracts_job(&env, "broken", &sample_query(), &sample_rules());
    let text = std::fs::read_to_string(&job)
        .unwrap()
        .replace(&dir.join("tax.csv").display().to_string(), &env.path("tax.csv").display().to_string());
    std::fs::write(&job, text).unwrap();
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("tax.csv") && r.stderr.contains(&format!("line {lines}")), "{}", r.stderr);
}

#[test]
fn job_files_with_several_inputs_are_checked() {
    let env = Env::new();
    let csv = sample_csv();
    let base = |body: &str| {
        format!(
            "version = 1\nname = \"j\"\n{body}\n[rules]\npath = \"{}\"\n[output]\ndir = \"out\"\n[audit]\nlog = \"audit.log\"\n",
            sample_rules().display()
        )
    };
    let input = |name: &str| format!("[[input]]\nname = \"{name}\"\npath = \"{}\"\n", csv.display());
    for (body, expected) in [
        (format!("{}{}", input("a"), input("b")), "several inputs need a `query`"),
        (format!("query = \"SELECT * FROM a\"\n{}{}", input("a"), input("a")), "two inputs have this name"),
        (format!("query = \"SELECT * FROM a\"\n{}", input("1x")), "must be a table name"),
        (
            format!("query = \"SELECT * FROM a\"\n[[input]]\npath = \"{}\"\n", csv.display()),
            "every input needs a `name`",
        ),
        (
            format!("query = \"SELECT * FROM a\"\n{}where = \"1 = 1\"\n", input("a")),
            "`where` applies to a single input",
        ),
        (format!("query = \"  \"\n{}", input("a")), "empty SQL"),
    ] {
        let job = env.write("j.job.toml", &base(&body));
        let r = env.tokumei(&["check", job.to_str().unwrap()]);
        assert_eq!(r.code, 3, "{body}: {}", r.stderr);
        assert!(r.stderr.contains(expected) && r.stderr.contains("j.job.toml:"), "{body}: {}", r.stderr);
    }
}

/// A failed run: its exit code, nothing under out/, and the failure as the audit log's last
/// entry (returned).
fn failed_closed(env: &Env, r: &Run, code: i32) -> String {
    assert_eq!(r.code, code, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(env.out_files().is_empty(), "a failed run left files: {:?}", env.out_files());
    let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
    let last = log.lines().last().unwrap().to_string();
    assert!(last.contains("\"status\":\"failed\""), "the failure is audited: {last}");
    last
}

#[test]
fn a_cross_join_hits_the_memory_limit_and_writes_nothing() {
    let env = Env::new();
    let query = format!(
        "{}\nORDER BY x.氏名, y.住所",
        sample_query().replace("FROM 住基 r", "FROM 住基 r CROSS JOIN 住基 x CROSS JOIN 住基 y")
    );
    // Without spill files the sort of the product cannot leave memory (the inputs are read as
    // the query asks for them, and only the columns it uses are held).
    let limits = "[query_limits]\nmemory = \"64MiB\"\nspill = \"0\"\ntime = \"2m\"\n";
    let job = extracts_job_with(&env, "cross", &query, &sample_rules(), None, limits);
    let started = std::time::Instant::now();
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    let entry = failed_closed(&env, &r, 4);
    assert!(
        r.stderr.contains("the query exceeded its memory limit of 64 MiB")
            && r.stderr.contains("`[query_limits] memory` at ")
            && r.stderr.contains("cross.job.toml:"),
        "{}",
        r.stderr
    );
    assert!(entry.contains("memory limit of 64 MiB"), "{entry}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "stopped at the limit, not by the time limit");
}

#[test]
fn a_query_giving_too_many_rows_is_stopped_at_its_row_limit() {
    let env = Env::new();
    let query = sample_query().replace("FROM 住基 r", "FROM 住基 r CROSS JOIN 介護 x");
    let job = extracts_job_with(&env, "rows", &query, &sample_rules(), None, "[query_limits]\nrows = 50000\n");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    let entry = failed_closed(&env, &r, 4);
    assert!(r.stderr.contains("exceeded its row limit of 50000 rows"), "{}", r.stderr);
    assert!(entry.contains("row limit"), "{entry}");
}

#[test]
fn recursive_queries_are_refused_unless_allowed_and_then_bounded_by_time() {
    let env = Env::new();
    // A recursion without end: the semi join waits for all of `n`.
    let query = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)\n{}\nWHERE r.宛名番号 IN (SELECT CAST(i AS VARCHAR) FROM n)",
        sample_query()
    );
    let job = extracts_job(&env, "rec", &query, &sample_rules());
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("rec.job.toml:5:6: query: `WITH RECURSIVE` is not allowed")
            && r.stderr.contains("allow_recursive = true"),
        "{}",
        r.stderr
    );
    assert!(env.out_files().is_empty());

    let limits = "[query_limits]\nallow_recursive = true\ntime = 2\n";
    let job = extracts_job_with(&env, "rec", &query, &sample_rules(), None, limits);
    let started = std::time::Instant::now();
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    let entry = failed_closed(&env, &r, 4);
    assert!(r.stderr.contains("the query exceeded its time limit of 2 s"), "{}", r.stderr);
    assert!(entry.contains("time limit"), "{entry}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "{:?}", started.elapsed());
}

/// The bundled resident extract without its header line, written into `env`, and the values of
/// its first record (now read as the header) that are long enough to be recognised.
fn headerless_resident(env: &Env) -> (std::path::PathBuf, Vec<String>) {
    let bytes = std::fs::read(repo().join("samples/multi_source/resident.csv")).unwrap();
    let body = &bytes[bytes.iter().position(|b| *b == b'\n').unwrap() + 1..];
    let path = env.path("headerless.csv");
    std::fs::write(&path, body).unwrap();
    let text = encoding_rs::SHIFT_JIS.decode(body).0.into_owned();
    let first = csv_like(&text).remove(0);
    let values: Vec<String> = first.into_iter().filter(|v| v.chars().count() >= 3).collect();
    assert!(values.len() >= 8, "{values:?}");
    (path, values)
}

fn assert_no_value(values: &[String], text: &str, what: &str) {
    for v in values {
        assert!(!text.contains(v.as_str()), "{what} holds a value of the first record: {text}");
    }
}

#[test]
fn a_headerless_input_of_a_query_is_refused_without_its_values() {
    let env = Env::new();
    let (headerless, values) = headerless_resident(&env);
    // The query names columns the file does not have: DataFusion's error would list the
    // first record's values as the valid fields.
    let job = extracts_job_with(&env, "hq", &sample_query(), &sample_rules(), Some(&headerless), "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    let entry = failed_closed(&env, &r, 4);
    assert!(
        r.stderr.contains("headerless.csv: the first line does not look like a header")
            && r.stderr.contains("columns 1, 2, 5, 7, 8, 9, 10 and 12 of 15 look like data"),
        "{}",
        r.stderr
    );
    assert_no_value(&values, &r.stderr, "stderr");
    assert_no_value(&values, &entry, "the audit entry");
    assert_no_value(&values, &r.stdout, "stdout");
}

#[test]
fn a_headerless_input_filtered_by_where_is_refused_without_its_values() {
    let env = Env::new();
    let (headerless, values) = headerless_resident(&env);
    let job = env.job("hw", &headerless, &sample_rules(), "where = \"性別 = '女'\"");
    for command in ["run", "check"] {
        let r = env.tokumei(&[command, job.to_str().unwrap()]);
        let entry = failed_closed(&env, &r, 4);
        assert!(r.stderr.contains("does not look like a header"), "{}", r.stderr);
        assert_no_value(&values, &r.stderr, "stderr");
        assert_no_value(&values, &entry, "the audit entry");
    }
}

#[test]
fn a_sort_beyond_memory_spills_up_to_its_limit_and_leaves_no_spill_file() {
    let env = Env::new();
    let tmp = env.path("tmp");
    // What a killed run left (its process is gone), and a running process's folder.
    let stale = tmp.join("tokumei-spill-999999999-abc");
    let running = tmp.join(format!("tokumei-spill-{}-abc", std::process::id()));
    for dir in [&stale, &running] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("spill"), "rows").unwrap();
    }
    let query =
        format!("{}\nORDER BY x.氏名, r.住所", sample_query().replace("FROM 住基 r", "FROM 住基 r CROSS JOIN 住基 x"));
    let limits = "[query_limits]\nmemory = \"256MiB\"\nspill = \"64MiB\"\n";
    let job = extracts_job_with(&env, "spill", &query, &sample_rules(), None, limits);
    let r = env.tokumei_with(&["run", job.to_str().unwrap()], &[("TMPDIR", tmp.to_str().unwrap())]);
    let entry = failed_closed(&env, &r, 4);
    assert!(
        r.stderr.contains("the query exceeded its spill limit (disk for sorts and aggregates beyond the memory limit) of 64 MiB (`[query_limits] spill` at "),
        "{}",
        r.stderr
    );
    assert!(entry.contains("spill limit"), "{entry}");
    let left: Vec<String> =
        std::fs::read_dir(&tmp).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(
        left,
        [running.file_name().unwrap().to_string_lossy().into_owned()],
        "its own and the stale spill folder are removed"
    );
}

/// The columns of the bundled resident extract, in order: the registry's without the tax and
/// care extracts' columns.
fn resident_columns() -> impl Iterator<Item = &'static str> {
    tokumei_synth::COLUMNS.into_iter().filter(|c| !["課税所得", "要介護度"].contains(c))
}

/// The bundled query with the resident extract's columns listed one per line (`r.<column>`),
/// those in `made` made by the expression given instead.
fn query_making(made: &[(&str, &str)]) -> String {
    let columns: Vec<String> = resident_columns()
        .map(|c| match made.iter().find(|(m, _)| *m == c) {
            Some((_, expr)) => format!("       {expr} AS {c},"),
            None => format!("       r.{c},"),
        })
        .collect();
    sample_query().replace("SELECT r.*,", &format!("SELECT\n{}", columns.join("\n")))
}

/// Stderr holds none of the first rows' names (whole or a part).
fn assert_no_name(stderr: &str) {
    let records = sample_records();
    let col = records[0].iter().position(|h| h == "氏名").unwrap();
    for row in &records[1..50] {
        for part in row[col].split('　') {
            assert!(!stderr.contains(part), "a name reached the message: {stderr}");
        }
    }
}

#[test]
fn an_identifier_renamed_by_the_query_keeps_its_role_and_is_refused() {
    let env = Env::new();
    // The issue's query: the names under 障害者手帳 (a sensitive column kept), a dash as 氏名.
    let query = query_making(&[("氏名", "'-'"), ("障害者手帳", "r.氏名")]);
    let job = extracts_job(&env, "alias", &query, &sample_rules());
    for command in ["check", "run"] {
        let r = env.tokumei(&[command, job.to_str().unwrap()]);
        assert_eq!(r.code, 3, "{command}: {}", r.stderr);
        // Line 5 of the job is the query's first; `r.氏名 AS 障害者手帳` is its 15th line.
        assert!(
            r.stderr.contains("alias.job.toml:19:")
                && r.stderr.contains(
                    "column `障害者手帳` takes the values of `住基.氏名`, which has role `direct_identifier`"
                ),
            "{command}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("role `sensitive` with action `keep`") && r.stderr.contains("hint: drop `障害者手帳`")
        );
        assert_no_name(&r.stderr);
        assert!(env.out_files().is_empty(), "{command} wrote {:?}", env.out_files());
    }
    // Dropped, the renamed column passes (the dash under 氏名 is dropped by its own rule).
    let rules = std::fs::read_to_string(sample_rules()).unwrap().replace(
        "name = \"障害者手帳\"\nrole = \"sensitive\"\naction = \"keep\"",
        "name = \"障害者手帳\"\nrole = \"sensitive\"\naction = \"drop\"",
    );
    let rules = env.write("dropped.toml", &rules);
    let job = extracts_job(&env, "dropped", &query, &rules);
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn every_expression_that_copies_an_identifier_passes_its_role() {
    let env = Env::new();
    for (expr, source, why) in [
        ("substr(r.氏名, 1, 2)", "住基.氏名", "the rules' column `氏名` at "),
        ("concat(r.氏名カナ, '')", "住基.氏名カナ", "direct_identifier"),
        ("coalesce(r.電話番号, r.障害者手帳)", "住基.電話番号", "role `direct_identifier`"),
        ("CAST(r.個人番号 AS VARCHAR)", "住基.個人番号", "role `identification_code`"),
        ("CASE WHEN r.性別 = '男' THEN r.氏名 ELSE r.障害者手帳 END", "住基.氏名", "direct_identifier"),
        ("upper(r.住所)", "住基.住所", "direct_identifier"),
        // Only the rules say 備考 (free text) is an identifier.
        ("trim(r.備考)", "住基.備考", "the rules' column `備考` at "),
        // A code of another input, through a subquery.
        ("(SELECT max(t.宛名番号) FROM 税 t WHERE t.宛名番号 = r.宛名番号)", "税.宛名番号", "role `linking_code`"),
    ] {
        let query = query_making(&[("障害者手帳", expr)]);
        let job = extracts_job(&env, "copy", &query, &sample_rules());
        let r = env.tokumei(&["check", job.to_str().unwrap()]);
        assert_eq!(r.code, 3, "{expr}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("column `障害者手帳` takes the values of `{source}`")) && r.stderr.contains(why),
            "{expr}: {}",
            r.stderr
        );
        assert!(env.out_files().is_empty());
    }
}

#[test]
fn tests_of_an_identifier_pass_no_values() {
    let env = Env::new();
    // A CASE that only tests the name, a WHERE and a join on the code: the sample's columns and
    // rows otherwise, which pass every check.
    let query = query_making(&[("障害者手帳", "CASE WHEN r.氏名 IS NULL THEN 'なし' ELSE r.障害者手帳 END")]).replace(
        "LEFT JOIN 介護 c ON c.宛名番号 = r.宛名番号",
        "LEFT JOIN 介護 c ON c.宛名番号 = r.宛名番号\nWHERE r.氏名 <> ''",
    );
    let job = extracts_job(&env, "tests", &query, &sample_rules());
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The bundled job passes as ever.
    let r = env.tokumei(&["check", repo().join("samples/multi_source/job.toml").to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_value_of_an_input_identifier_released_by_a_query_lineage_misses_is_refused() {
    let env = Env::new();
    let records = sample_records();
    let name = records[0].iter().position(|h| h == "氏名").unwrap();
    let (a, b) = (&records[1][name], &records[2][name]);
    // Another person's name, rebuilt from literals chosen by a test of the name: no input
    // column's values flow into the column, yet it releases a name of the inputs (written with
    // a half-width space, which NFKC makes the same). A sensitive column, counted in a
    // dictionary: each distinct value compared once.
    let literal = b.replace('　', " ");
    let expr = format!("CASE WHEN r.氏名 = '{a}' THEN '{literal}' ELSE r.障害者手帳 END");
    let job = extracts_job(&env, "rebuilt", &query_making(&[("障害者手帳", &expr)]), &sample_rules());
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains("column `障害者手帳` would release a value of identifier column `住基.氏名`"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(b.split('　').next().unwrap()), "the value reached the message: {}", r.stderr);
    assert!(env.out_files().is_empty());

    // A spilled (masked, insensitive) column: compared row by row, named with its row.
    let rules = std::fs::read_to_string(sample_rules()).unwrap().replace(
        "name = \"備考\"\nrole = \"direct_identifier\"\naction = \"drop\"",
        "name = \"備考\"\nrole = \"insensitive\"\naction = \"mask\"\nkeep_first = 5",
    );
    let rules = env.write("masked.toml", &rules);
    let expr = format!("CASE WHEN r.氏名 = '{a}' THEN '{b}' ELSE r.備考 END");
    let job = extracts_job(&env, "spilled", &query_making(&[("備考", &expr)]), &rules);
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains(": row ")
            && r.stderr.contains("column `備考` would release a value of identifier column `住基.氏名`"),
        "{}",
        r.stderr
    );
    assert_no_name(&r.stderr);
    // Without the rebuilt name the same rules pass.
    let job = extracts_job(&env, "plain", &query_making(&[]), &rules);
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}
