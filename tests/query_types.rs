//! Typed input columns of query jobs (`[[input]] types`): parsed by tokumei's parsers, compared,
//! summed and ordered by the SQL as numbers and dates, refused at their line when malformed.

use crate::util::*;

/// The resident extract: 生年月日 in ISO, 和暦, slash and full-width writings, one blank; 国保加入
/// as 1/0, はい/いいえ.
const RESIDENT: &str = "宛名番号,生年月日,国保加入,性別
000101,1985-04-01,1,男
000102,昭和60年4月2日,0,女
000103,平成2年3月4日,はい,女
000104,,いいえ,男
000105,2001/2/3,1,女
000106,１９７０－０１－０１,0,男
";

/// The tax extract: amounts with thousands commas and full-width digits, one blank (999000 is
/// above 1000000 as text, below it as a number); 賦課日 in 和暦 and ISO.
const TAX: &str = "宛名番号,課税所得,賦課日
000101,\"1,200,000\",令和6年6月1日
000102,999000,2024-06-01
000103,１５０００００,R6.6.3
000104,,2024/6/1
000105,20000000,2024-06-02
000106,3000000,2024-06-01
";

/// Rules that keep the query's four columns, typed, in pseudonymised mode (rows in the query's
/// order).
const RULES: &str = "version = 1
dataset = \"typed\"
mode = \"pseudonymized\"
[privacy]
k = 1
max_suppression = 0.0
[[column]]
name = \"所得\"
role = \"insensitive\"
action = \"keep\"
type = \"integer\"
[[column]]
name = \"生年月日\"
role = \"insensitive\"
action = \"keep\"
type = \"date\"
[[column]]
name = \"国保\"
role = \"insensitive\"
action = \"keep\"
type = \"boolean\"
[[column]]
name = \"性別\"
role = \"insensitive\"
action = \"keep\"
";

/// The inputs' default types: 住基's date and yes/no, 税's amount.
const TYPES: [&str; 2] =
    ["types = { \"生年月日\" = \"date\", \"国保加入\" = \"boolean\" }", "[input.types]\n\"課税所得\" = \"integer\""];

/// A job over `resident` and `tax` (as written in `env`) with `query`, each input's `types`
/// line given.
fn job(env: &Env, query: &str, types: [&str; 2]) -> std::path::PathBuf {
    let key = env.path("k.key");
    if !key.exists() {
        assert_eq!(env.tokumei(&["keygen", "--out", key.to_str().unwrap()]).code, 0);
    }
    if !env.path("resident.csv").exists() {
        env.write("resident.csv", RESIDENT);
        env.write("tax.csv", TAX);
    }
    let rules = env.write("typed.toml", RULES);
    env.write(
        "typed.job.toml",
        &format!(
            "version = 1\nname = \"typed\"\nquery = \"\"\"\n{query}\n\"\"\"\n\
             [[input]]\nname = \"住基\"\npath = \"resident.csv\"\n{}\n\
             [[input]]\nname = \"税\"\npath = \"tax.csv\"\n{}\n\
             [rules]\npath = \"{}\"\n[output]\ndir = \"out\"\n[audit]\nlog = \"audit.log\"\n\
             [keys]\npseudonym_key_file = \"{}\"\n",
            types[0],
            types[1],
            rules.display(),
            key.display()
        ),
    )
}

/// Run `job` and give the release's rows (as text).
fn released(env: &Env, job: &std::path::Path) -> Vec<Vec<Option<String>>> {
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let t = read_parquet(&env.latest().join("typed.parquet"));
    assert_eq!(t.columns, ["所得", "生年月日", "国保", "性別"]);
    t.rows
}

fn row(cells: [&str; 4]) -> Vec<Option<String>> {
    cells.iter().map(|c| (!c.is_empty()).then(|| c.to_string())).collect()
}

/// 税's types with 賦課日 a date too.
const DATED: [&str; 2] = [TYPES[0], "[input.types]\n\"課税所得\" = \"integer\"\n\"賦課日\" = \"date\""];

#[test]
fn typed_columns_are_compared_ordered_and_summed_as_numbers_and_dates() {
    // Amounts compared and ordered as numbers: 999000 is out, 20000000 first.
    let env = Env::new();
    let query = "SELECT t.課税所得 AS 所得, r.生年月日, r.国保加入 AS 国保, r.性別
FROM 住基 r JOIN 税 t ON t.宛名番号 = r.宛名番号
WHERE t.課税所得 > 1000000
ORDER BY t.課税所得 DESC";
    assert_eq!(
        released(&env, &job(&env, query, TYPES)),
        [
            row(["20000000", "2001-02-03", "true", "女"]),
            row(["3000000", "1970-01-01", "false", "男"]),
            row(["1500000", "1990-03-04", "true", "女"]),
            row(["1200000", "1985-04-01", "true", "男"]),
        ]
    );
    // Dates compared and ordered as dates, whatever their writing; 賦課日 untyped is text, where
    // 令和6年6月1日 is not '2024-06-01'.
    let query = "SELECT t.課税所得 AS 所得, r.生年月日, r.国保加入 AS 国保, r.性別
FROM 住基 r JOIN 税 t ON t.宛名番号 = r.宛名番号
WHERE r.生年月日 < DATE '2000-01-01' AND t.賦課日 = '2024-06-01'
ORDER BY r.生年月日";
    let env = Env::new();
    assert_eq!(
        released(&env, &job(&env, query, TYPES)),
        [row(["3000000", "1970-01-01", "false", "男"]), row(["999000", "1985-04-02", "false", "女"])]
    );
    let env = Env::new();
    assert_eq!(
        released(&env, &job(&env, query, DATED)),
        [
            row(["3000000", "1970-01-01", "false", "男"]),
            row(["1200000", "1985-04-01", "true", "男"]),
            row(["999000", "1985-04-02", "false", "女"]),
        ]
    );
    // Sums, minima and yes/no aggregates by group (blanks are null), ordered by the sum.
    let env = Env::new();
    let query = "SELECT SUM(t.課税所得) AS 所得, MIN(r.生年月日) AS 生年月日, bool_and(r.国保加入) AS 国保, r.性別
FROM 住基 r JOIN 税 t ON t.宛名番号 = r.宛名番号
GROUP BY r.性別
ORDER BY SUM(t.課税所得)";
    assert_eq!(
        released(&env, &job(&env, query, DATED)),
        [row(["4200000", "1970-01-01", "false", "男"]), row(["22499000", "1985-04-02", "false", "女"])]
    );
}

#[test]
fn a_malformed_typed_value_is_refused_at_its_line_and_column_without_the_value() {
    let env = Env::new();
    // The query reads one row of 税 and never its 賦課日: every typed value is parsed all the same.
    let query = "SELECT t.課税所得 AS 所得, r.生年月日, r.国保加入 AS 国保, r.性別
FROM 住基 r JOIN 税 t ON t.宛名番号 = r.宛名番号 LIMIT 1";
    let job = job(&env, query, DATED);
    env.write("tax.csv", &format!("{TAX}000107,100,令和6年13月1日\n"));
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr.contains("tax.csv: line 8, column `賦課日`: is not a valid date")
            && r.stderr.contains("`date` in the `types` of input `税`"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("令和6年13月") && !r.stderr.contains("000107"), "{}", r.stderr);
    assert!(env.out_files().is_empty(), "{:?}", env.out_files());
    let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
    assert!(log.lines().last().unwrap().contains("\"status\":\"failed\""));
    // An amount in words, in a column the query compares.
    env.write("tax.csv", &TAX.replace("999000", "九十九万九千"));
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("tax.csv: line 3, column `課税所得`: is not a whole number"), "{}", r.stderr);
    assert!(!r.stderr.contains("九十九"), "{}", r.stderr);
}

#[test]
fn unknown_types_columns_and_typed_identifiers_are_job_errors_at_their_line() {
    let env = Env::new();
    let query = "SELECT t.課税所得 AS 所得, r.生年月日, r.国保加入 AS 国保, r.性別
FROM 住基 r JOIN 税 t ON t.宛名番号 = r.宛名番号";
    for (types, expected) in [
        ("[input.types]\n\"課税所得\" = \"decimal\"", "typed.job.toml:15:10: unknown type of input column `課税所得`"),
        (
            "[input.types]\n\"課税所得\" = \"integer\"\n\"所得\" = \"integer\"",
            "typed.job.toml:16:1: input `税` has no column `所得` to type",
        ),
        (
            "[input.types]\n\"宛名番号\" = \"integer\"",
            "typed.job.toml:15:1: column `宛名番号` of input `税` is an identifier (role `linking_code`)",
        ),
    ] {
        let job = job(&env, query, [TYPES[0], types]);
        for command in ["check", "run"] {
            let r = env.tokumei(&[command, job.to_str().unwrap()]);
            assert_eq!(r.code, 3, "{types}: {}", r.stderr);
            assert!(r.stderr.contains(expected), "{types}: {}", r.stderr);
        }
        assert!(env.out_files().is_empty());
    }
    let unknown = job(&env, query, [TYPES[0], "[input.types]\n\"課税所得\" = \"decimal\""]);
    let r = env.tokumei(&["check", unknown.to_str().unwrap()]);
    assert!(r.stderr.contains("`string`, `integer`, `date`, `boolean`"), "{}", r.stderr);
    // A single input without SQL is typed by the rules: `types` is refused there.
    let single =
        env.job("single", &env.path("tax.csv"), &env.path("typed.toml"), "types = { \"課税所得\" = \"integer\" }");
    let r = env.tokumei(&["check", single.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("`types` type an input's columns for the job's SQL"), "{}", r.stderr);
}

/// The bundled extracts joined with 生年月日 a date and 課税所得 a number: the rules read the
/// typed result (dates as ISO text, amounts as digits) and give the release of the untyped join.
#[test]
fn the_rules_read_a_typed_result_as_they_read_its_text() {
    let dir = repo().join("samples/multi_source");
    let sample = std::fs::read_to_string(dir.join("job.toml")).unwrap();
    let make = |env: &Env, typed: bool| {
        let path = |file: &str| format!("path = \"{}\"", dir.join(file).display());
        let types = |t: &str| if typed { format!("\ntypes = {{ {t} }}") } else { String::new() };
        let mut text = sample
            .replace("path = \"resident.csv\"", &(path("resident.csv") + &types("\"生年月日\" = \"date\"")))
            .replace("path = \"tax.csv\"", &(path("tax.csv") + &types("\"課税所得\" = \"integer\"")))
            .replace("path = \"care.csv\"", &path("care.csv"))
            .replace(
                "path = \"../../rules/resident_registry.toml\"",
                &format!("path = \"{}\"", sample_rules().display()),
            )
            .replace("dir = \"../../reports\"", "dir = \"out\"")
            .replace("log = \"../../reports/audit.log\"", "log = \"audit.log\"");
        if typed {
            text = text.replace("COALESCE(t.課税所得, '0')", "COALESCE(t.課税所得, 0)");
            assert!(
                text.contains("types = { \"課税所得\" = \"integer\" }") && text.contains("COALESCE(t.課税所得, 0)")
            );
        }
        env.write("j.job.toml", &text)
    };
    let (typed, plain) = (Env::new(), Env::new());
    for (env, is_typed) in [(&typed, true), (&plain, false)] {
        let job = make(env, is_typed);
        let r = env.tokumei(&["run", job.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let (a, b) = (crate::multi_source::comparable_rows(&typed).1, crate::multi_source::comparable_rows(&plain).1);
    assert!(a.len() > 9000);
    assert!(a == b, "the typed join gives the same release");
}

/// A typed value that does not parse, in a batch the query's scan thread reads ahead while a
/// `LIMIT 1` has already ended the query: the run still stops at its line (the error is kept by
/// the read, not only handed to the query that no longer listens).
#[test]
fn a_malformed_typed_value_past_a_limit_stops_the_run() {
    let query =
        "SELECT t.課税所得 AS 所得, DATE '2000-01-01' AS 生年月日, true AS 国保, '男' AS 性別 FROM 税 t LIMIT 1";
    // Records of about 60 bytes: the decoder's batches of 4 MiB hold about 70,000 of them.
    let pad = "x".repeat(40);
    let record = |i: usize, amount: &str| format!("{i:06},{amount},2024-06-01,{pad}\n");
    let mut tax = String::from("宛名番号,課税所得,賦課日,備考\n");
    for i in 0..200_000 {
        tax.push_str(&record(i, &(1000 + i).to_string()));
    }
    // Records in the second and third batch.
    for bad in [100_000, 150_000] {
        let env = Env::new();
        let job = job(&env, query, TYPES);
        let line = record(bad - 1, &(999 + bad).to_string());
        assert!(tax.contains(&line));
        env.write("tax.csv", &tax.replace(&line, &record(bad - 1, "12x")));
        let r = env.tokumei(&["run", job.to_str().unwrap()]);
        assert_eq!(r.code, 4, "record {bad}: {}", r.stderr);
        let at = format!("tax.csv: line {}, column `課税所得`: is not a whole number", bad + 1);
        assert!(r.stderr.contains(&at), "{}", r.stderr);
        assert!(env.out_files().is_empty(), "{:?}", env.out_files());
    }
}

/// A typed column may not reach an identifier under another name: the rules' `subject` (the
/// person rows are counted by) or a column whose rule is an identifier; a column named as a
/// person's number or a phone is refused by its name.
#[test]
fn a_typed_column_may_not_reach_an_identifier_under_another_name() {
    let env = Env::new();
    let query = "SELECT t.番号 AS 宛名番号, t.課税所得 AS 所得, DATE '2000-01-01' AS 生年月日, true AS 国保, '男' AS 性別 FROM 税 t";
    let numbered = |types: &str| {
        let job = job(&env, query, [TYPES[0], types]);
        env.write("tax.csv", &TAX.replace("宛名番号,課税所得,賦課日", "番号,課税所得,賦課日"));
        job
    };
    // `000101` as an integer would reach the rules as `101`: people counted, pseudonyms and
    // requests would see another value.
    let subject = "[input.types]\n\"番号\" = \"integer\"";
    let rules = RULES.replace("[privacy]", "subject = \"宛名番号\"\n[privacy]")
        + "[[column]]\nname = \"宛名番号\"\nrole = \"quasi_identifier\"\naction = \"keep\"\n";
    let numbered_job = numbered(subject);
    env.write("typed.toml", &rules);
    for command in ["check", "run"] {
        let r = env.tokumei(&[command, numbered_job.to_str().unwrap()]);
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert!(
            r.stderr.contains("typed.job.toml:14:1: column `番号` of input `税` is typed `integer`, and the query gives its values to column `宛名番号`, which is the rules' `subject`"),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("000101"), "{}", r.stderr);
    }
    assert!(env.out_files().is_empty(), "{:?}", env.out_files());
    // A rule of an identifier's role, without a subject.
    env.write(
        "typed.toml",
        &(RULES.to_string() + "[[column]]\nname = \"宛名番号\"\nrole = \"linking_code\"\naction = \"drop\"\n"),
    );
    let r = env.tokumei(&["check", numbered_job.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("which is an identifier (role `linking_code` at"), "{}", r.stderr);
    // Untyped, or typed and only compared, it passes (the same rules).
    let only_compared = "SELECT t.番号 AS 宛名番号, t.課税所得 AS 所得, DATE '2000-01-01' AS 生年月日, true AS 国保, '男' AS 性別 FROM 税 t WHERE t.課税所得 > 1000000";
    let compared = job(&env, only_compared, [TYPES[0], "[input.types]\n\"課税所得\" = \"integer\""]);
    env.write("tax.csv", &TAX.replace("宛名番号,課税所得,賦課日", "番号,課税所得,賦課日"));
    env.write("typed.toml", &rules);
    let r = env.tokumei(&["check", compared.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // By name: a person's number, a contact number, whatever the query does with them.
    for (column, why) in [
        ("住民番号", "a person's number (its name holds `住民番号`)"),
        ("連絡先", "an identifier (role `direct_identifier`)"),
    ] {
        let env = Env::new();
        let job = job(
            &env,
            query.replace("t.番号", &format!("t.{column}")).as_str(),
            [TYPES[0], &format!("[input.types]\n\"{column}\" = \"integer\"")],
        );
        env.write("tax.csv", &TAX.replace("宛名番号,課税所得,賦課日", &format!("{column},課税所得,賦課日")));
        let r = env.tokumei(&["check", job.to_str().unwrap()]);
        assert_eq!(r.code, 3, "{}", r.stderr);
        let expected = format!("typed.job.toml:14:1: column `{column}` of input `税` is {why}: it is read as text");
        assert!(r.stderr.contains(&expected), "{}", r.stderr);
    }
}

/// What a typed column refuses at its line, never quoting the value: an integer past ±2^53
/// (DataFusion's sums wrap in i64), commas that do not group thousands, a date followed by
/// anything but a time of day, a 和暦 year past 9999.
#[test]
fn typed_values_out_of_range_or_badly_written_are_refused_at_their_line() {
    let query = "SELECT SUM(t.課税所得) AS 所得, MAX(t.賦課日) AS 生年月日, true AS 国保, '男' AS 性別 FROM 税 t";
    for (amount, date, column, reason) in [
        ("9007199254740993", "2024-06-01", "課税所得", "is beyond ±2^53 (9,007,199,254,740,992)"),
        ("-9007199254740993", "2024-06-01", "課税所得", "is beyond ±2^53"),
        ("\"1,5\"", "2024-06-01", "課税所得", "is not a whole number (its thousands commas do not group 3 digits)"),
        ("\"12,34\"", "2024-06-01", "課税所得", "is not a whole number (its thousands commas do not group 3 digits)"),
        ("100", "2024-06-01 不明", "賦課日", "is not a valid date"),
        ("100", "2024-06-01test", "賦課日", "is not a valid date"),
        ("100", "令和8000年1月1日", "賦課日", "is not a valid date"),
    ] {
        let env = Env::new();
        let job = job(&env, query, DATED);
        env.write("tax.csv", &format!("{TAX}000107,{amount},{date}\n"));
        let r = env.tokumei(&["run", job.to_str().unwrap()]);
        assert_eq!(r.code, 4, "{amount} {date}: {}", r.stderr);
        let at = format!("tax.csv: line 8, column `{column}`: {reason}");
        assert!(r.stderr.contains(&at), "{}", r.stderr);
        let value = if column == "賦課日" { date } else { amount.trim_matches('"') };
        assert!(!r.stderr.contains(value), "{}", r.stderr);
        assert!(env.out_files().is_empty(), "{:?}", env.out_files());
    }
    // The bound itself, a date with a time of day, commas grouped by three: summed and compared.
    let env = Env::new();
    let job = job(&env, query, DATED);
    let rows = "000101,9007199254740992,2024-06-01 09:30\n000102,\"-9,007,199,254,740,000\",2024-06-02T10:00:00\n";
    env.write("tax.csv", &format!("宛名番号,課税所得,賦課日\n{rows}"));
    assert_eq!(released(&env, &job), [row(["992", "2024-06-02", "true", "男"])]);
}

/// A Parquet timestamp with a zone typed `date` gives its date in Japan, not in UTC: 15:00 UTC
/// is midnight in Japan, the next day.
#[test]
fn a_zoned_parquet_timestamp_typed_date_gives_japan_s_date() {
    use arrow::array::{ArrayRef, RecordBatch, StringArray, TimestampSecondArray};
    use std::sync::Arc;
    let env = Env::new();
    let query =
        "SELECT t.課税所得 AS 所得, t.賦課日 AS 生年月日, true AS 国保, '男' AS 性別 FROM 税 t ORDER BY t.賦課日";
    let job = job(&env, query, DATED);
    let text = std::fs::read_to_string(&job).unwrap().replace("path = \"tax.csv\"", "path = \"tax.parquet\"");
    std::fs::write(&job, text).unwrap();
    // 2024-05-31T15:00:00Z and 2024-05-31T14:59:59Z: Japan's 2024-06-01 and 2024-05-31.
    let ids: ArrayRef = Arc::new(StringArray::from(vec!["000101", "000102"]));
    let amounts: ArrayRef = Arc::new(StringArray::from(vec!["100", "200"]));
    let at: ArrayRef = Arc::new(TimestampSecondArray::from(vec![1_717_167_600, 1_717_167_599]).with_timezone("UTC"));
    let batch = RecordBatch::try_from_iter([("宛名番号", ids), ("課税所得", amounts), ("賦課日", at)]).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(env.path("tax.parquet")).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    assert_eq!(
        released(&env, &job),
        [row(["200", "2024-05-31", "true", "男"]), row(["100", "2024-06-01", "true", "男"])]
    );
}

/// Names are matched as the rest of tokumei matches identifier names: `hotel_stay` holds `tel`
/// only by chance and may be typed; `hotel_tel` is a phone and may not.
#[test]
fn a_name_that_holds_an_identifier_word_by_chance_may_be_typed() {
    let query =
        "SELECT t.課税所得 AS 所得, DATE '2000-01-01' AS 生年月日, true AS 国保, '男' AS 性別 FROM 税 t WHERE t.{c}";
    for (column, code) in [("hotel_stay", 0), ("hotel_tel", 3)] {
        let env = Env::new();
        let job =
            job(&env, &query.replace("{c}", column), [TYPES[0], &format!("[input.types]\n\"{column}\" = \"boolean\"")]);
        env.write("tax.csv", &format!("宛名番号,課税所得,{column}\n000101,100,はい\n000102,200,いいえ\n"));
        let r = env.tokumei(&["check", job.to_str().unwrap()]);
        assert_eq!(r.code, code, "{column}: {}", r.stderr);
        if code == 3 {
            assert!(
                r.stderr.contains("column `hotel_tel` of input `税` is an identifier (role `direct_identifier`)"),
                "{}",
                r.stderr
            );
        }
    }
}
