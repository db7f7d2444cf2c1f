//! The combination table (issue 33): when every row is a person and nothing in the job works row
//! by row, the privacy models count the combinations of the global columns' codes, each weighted
//! by its rows. The same job forced through the per-row path (`TOKUMEI_TEST_COMBOS=rows`, read by
//! builds with debug assertions only) must give the same report (timings and ids aside) and the
//! same released rows (as a multiset; pseudonyms are keyed per release and left out).

use crate::util::*;
use serde_json::Value;
use tokumei_engine::ExitCode;

/// Released rows as text, sorted, with their columns' names.
type Rows = (Vec<String>, Vec<Vec<Option<String>>>);

/// What a run gave: exit code, stderr, and when it released, the comparable report and rows.
#[derive(Debug)]
struct Outcome {
    code: i32,
    stderr: String,
    report: Option<Value>,
    rows: Option<Rows>,
}

/// Run `rules` (text) on `input` in a fresh folder with `TOKUMEI_TEST_COMBOS=how` and `vars`.
fn run_with(input: &std::path::Path, rules: &str, how: &str, vars: &[(&str, &str)]) -> Outcome {
    let env = Env::new();
    let rules = env.write("rules.toml", rules);
    let job = env.job("combo", input, &rules, "");
    let mut vars = vars.to_vec();
    vars.push(("TOKUMEI_TEST_COMBOS", how));
    let r = env.tokumei_with(&["run", job.to_str().unwrap()], &vars);
    // The temporary folder's name differs between the runs: taken out of what is said.
    let stderr = r.stderr.replace(env.dir.path().to_str().unwrap(), "<dir>");
    if r.code != 0 {
        return Outcome { code: r.code, stderr, report: None, rows: None };
    }
    let dir = env.latest();
    let mut rep = report(&dir);
    let rows = comparable_release(&dir, &rep);
    // What differs between any two runs of one job: the clock, the ids, the file's hash.
    let obj = rep.as_object_mut().unwrap();
    // (And the rules' path: each run has its own folder; their hash stays.)
    for key in ["release_id", "created_at", "timings", "output_sha256", "audit_head", "output_file", "rules"] {
        obj.remove(key);
    }
    if let Some(s) = obj.get_mut("search").and_then(Value::as_object_mut) {
        s.remove("ms");
    }
    Outcome { code: r.code, stderr, report: Some(rep), rows: Some(rows) }
}

/// [`run_with`] without other variables.
fn run(input: &std::path::Path, rules: &str, how: &str) -> Outcome {
    run_with(input, rules, how, &[])
}

/// Run `rules` on `input` both ways; the first way must count combinations (its rows' ids past
/// 1,000 go to a file), the second rows. Returns the outcome (the same both ways).
fn both_ways(name: &str, input: &std::path::Path, rules: &str) -> Outcome {
    both_ways_with(name, input, rules, &[])
}

/// [`both_ways`] with `vars` for the run that counts combinations.
fn both_ways_with(name: &str, input: &std::path::Path, rules: &str, vars: &[(&str, &str)]) -> Outcome {
    let combos = run_with(input, rules, "1000", vars);
    let rows = run(input, rules, "rows");
    assert!(combos.stderr.contains("test: the models count combinations"), "{name}: {}", combos.stderr);
    assert!(rows.stderr.contains("test: the models count rows"), "{name}: {}", rows.stderr);
    assert_eq!(combos.code, rows.code, "{name}: exit codes\n{}\n{}", combos.stderr, rows.stderr);
    if combos.code != 0 {
        let said = |o: &Outcome| o.stderr.lines().filter(|l| !l.starts_with("test: ")).collect::<Vec<_>>().join("\n");
        assert_eq!(said(&combos), said(&rows), "{name}: the refusals");
        return combos;
    }
    let mut differ = Vec::new();
    differences(combos.report.as_ref().unwrap(), rows.report.as_ref().unwrap(), String::new(), &mut differ);
    assert!(differ.is_empty(), "{name}: the reports differ at {differ:?}");
    let (a, b) = (combos.rows.as_ref().unwrap(), rows.rows.as_ref().unwrap());
    assert_eq!(a.0, b.0, "{name}: the columns");
    assert!(a.1 == b.1, "{name}: the released rows ({} and {})", a.1.len(), b.1.len());
    combos
}

/// The paths at which two JSON values differ (with the two values).
fn differences(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                differences(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    format!("{at}/{k}"),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                differences(p, q, format!("{at}/{i}"), out);
            }
        }
        _ if a != b => out.push(format!("{at}: {a} | {b}")),
        _ => {}
    }
}

/// The sample rules with `from` replaced by `to` (which must change them).
fn sample_with(from: &str, to: &str) -> String {
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    let changed = rules.replace(from, to);
    assert_ne!(rules, changed, "{from}");
    changed
}

/// The search's rules (rules/resident_registry_search.toml) with `privacy` added.
fn searched(privacy: &str) -> String {
    std::fs::read_to_string(repo().join("rules/resident_registry_search.toml"))
        .unwrap()
        .replace("hierarchies/", &format!("{}/", repo().join("rules/hierarchies").display()))
        .replace("max_suppression = 0.05", &format!("max_suppression = 0.05\n{privacy}"))
}

#[test]
#[cfg_attr(not(debug_assertions), ignore)]
fn the_sample_job_counts_combinations_and_releases_what_rows_release() {
    let out = both_ways("sample", &sample_csv(), &std::fs::read_to_string(sample_rules()).unwrap());
    let rep = out.report.unwrap();
    assert!(rep["suppressed"].as_u64().unwrap() > 0, "the sample suppresses some rows: {}", rep["suppressed"]);
    assert!(rep["rows_out"].as_u64().unwrap() > 9000);
}

/// Pass 2 streams the spill through the shuffle's buckets (no spill held in memory) on one
/// thread: each row still takes its codes from its combination.
#[test]
#[cfg_attr(not(debug_assertions), ignore)]
fn a_streamed_pass_2_gives_each_row_its_combinations_codes() {
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    let vars = [("TOKUMEI_SPILL_MEMORY", "0"), ("TOKUMEI_THREADS", "1")];
    assert_eq!(both_ways_with("streamed", &sample_csv(), &rules, &vars).code, 0);
}

/// A column outside the key written row by row (not dictionary-coded): the release risk is
/// counted from the written rows, each row's class taken from its combination.
#[test]
#[cfg_attr(not(debug_assertions), ignore)]
fn the_release_risk_over_a_column_written_row_by_row_counts_each_rows_class() {
    let rules = sample_with(
        "name = \"市区町村コード\"\nrole = \"quasi_identifier\"\naction = \"drop\"",
        "name = \"市区町村コード\"\nrole = \"insensitive\"\naction = \"mask\"\nkeep_first = 2",
    );
    let out = both_ways("late risk", &sample_csv(), &rules);
    let rep = out.report.unwrap();
    assert!(
        rep["release_risk"]["outside_key"].as_array().unwrap().iter().any(|c| c == "市区町村コード"),
        "{}",
        rep["release_risk"]
    );
}

#[test]
#[cfg_attr(not(debug_assertions), ignore)]
fn searches_count_combinations_as_rows() {
    // The optimal search (loss), with l-diversity of the sample; then t-closeness, recursive
    // (c,l)-diversity and the average risk; then hierarchical t-closeness; then discernibility.
    for (name, privacy, quality) in [
        ("search", "", "loss"),
        ("search t recursive", "l_model = \"recursive\"\nc = 20.0\nt = 0.4\nmax_average_risk = 0.05", "loss"),
        ("search hierarchical t", "t = 0.15", "loss"),
        ("search discernibility", "", "discernibility"),
    ] {
        let rules = searched(privacy).replace("quality = \"loss\"", &format!("quality = \"{quality}\""));
        let out = both_ways(name, &sample_csv(), &rules);
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        assert!(out.report.unwrap()["search"]["levels"].is_array(), "{name}: searched");
    }
}

#[test]
#[cfg_attr(not(debug_assertions), ignore)]
fn fixed_levels_with_t_closeness_and_beta_likeness_count_combinations_as_rows() {
    let t = sample_with("max_suppression = 0.05", "max_suppression = 0.2\nt = 0.9");
    assert_eq!(both_ways("fixed t", &sample_csv(), &t).code, 0);
    // β-likeness at fixed levels refuses the sample, the same way.
    let beta = sample_with("max_suppression = 0.05", "max_suppression = 0.05\nbeta = 2.0");
    assert_eq!(both_ways("fixed beta", &sample_csv(), &beta).code, 5);
}

#[test]
#[cfg_attr(not(debug_assertions), ignore)]
fn suppression_at_the_limit_and_one_row_past_it_are_judged_alike() {
    let sample = std::fs::read_to_string(sample_rules()).unwrap();
    let out = both_ways("sample", &sample_csv(), &sample);
    let rep = out.report.unwrap();
    let (suppressed, rows) = (rep["suppressed"].as_f64().unwrap(), rep["rows_in"].as_f64().unwrap());
    // A limit that allows exactly the rows suppressed, then one fewer.
    let at = sample_with("max_suppression = 0.05", &format!("max_suppression = {}", (suppressed + 0.5) / rows));
    assert_eq!(both_ways("at the limit", &sample_csv(), &at).code, 0);
    let past = sample_with("max_suppression = 0.05", &format!("max_suppression = {}", (suppressed - 0.5) / rows));
    let refused = both_ways("past the limit", &sample_csv(), &past);
    assert_eq!(refused.code, 5, "{}", refused.stderr);
    assert!(refused.stderr.contains("above max_suppression"), "{}", refused.stderr);
}

#[test]
#[cfg_attr(not(debug_assertions), ignore)]
fn auto_top_and_bottom_codes_count_combinations_as_rows() {
    const BANDS: &str = "action = \"generalize\"\nhierarchy = \"bands\"\nbands = [1000000, 5000000]\ntop = 20000000\nbottom = 0\nlevel = 1\noutput = \"課税所得階級\"";
    // An insensitive column coded over the released rows.
    let released = sample_with(BANDS, "action = \"top_bottom_code\"\ntop = \"auto\"\nbottom = \"auto\"");
    assert_eq!(both_ways("auto released", &sample_csv(), &released).code, 0);
    // A sensitive one coded before the models judge it.
    let sensitive = sample_with(
        &format!("name = \"課税所得\"\nrole = \"insensitive\"\n{BANDS}"),
        "name = \"課税所得\"\nrole = \"sensitive\"\naction = \"top_bottom_code\"\ntop = \"auto\"\nbottom = 0",
    )
    .replace("max_suppression = 0.05", "max_suppression = 0.15");
    assert_eq!(both_ways("auto sensitive", &sample_csv(), &sensitive).code, 0);
}

/// Where rows are not interchangeable the per-row path runs: people with several rows, and
/// perturbation.
#[test]
#[cfg_attr(not(debug_assertions), ignore)]
fn people_with_several_rows_and_perturbation_take_the_per_row_path() {
    let env = Env::new();
    let mut records = sample_records();
    let id = records[0].iter().position(|h| h == "宛名番号").unwrap();
    // Every tenth row is also written again for the same person.
    let again: Vec<Vec<String>> = records.iter().skip(1).step_by(10).cloned().collect();
    records.extend(again);
    records[1..].iter().for_each(|r| assert!(!r[id].is_empty()));
    let input = write_rows(&env, "repeated.csv", &records);
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    let r = run(&input, &rules, "1000");
    assert!(r.stderr.contains("test: the models count rows"), "{}", r.stderr);
    let rules = std::fs::read_to_string(repo().join("rules/resident_registry_perturb.toml")).unwrap();
    let r = run(&sample_csv(), &rules, "1000");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("test: the models count rows"), "{}", r.stderr);
}

/// An extract of several batches (70,000 rows, batches of 32,768), rejected rows among them, on
/// two threads with a small id buffer (the ids go to their file across batch edges) and on one
/// thread with the spill streamed: each row still takes its own combination, in row order.
#[test]
#[cfg_attr(not(debug_assertions), ignore)]
fn several_batches_with_rejected_rows_keep_each_rows_combination() {
    let env = Env::new();
    let generated = env.dir.path().join("generated.csv");
    let made = env.tokumei(&[
        "sample",
        "resident-registry",
        "--rows",
        "70000",
        "--seed",
        "5",
        "--encoding",
        "utf-8",
        "--out",
        generated.to_str().unwrap(),
    ]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    // Every 997th row's date of birth made malformed: those rows are rejected and counted.
    let text = std::fs::read_to_string(&generated).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<String> = lines[0].split(',').map(str::to_string).collect();
    let born = header.iter().position(|h| h == "生年月日").unwrap();
    let mut broken = 0;
    for line in lines.iter_mut().skip(1).step_by(997) {
        let mut fields: Vec<&str> = line.split(',').collect();
        if fields.len() == header.len() {
            fields[born] = "不明";
            *line = fields.join(",");
            broken += 1;
        }
    }
    assert!(broken > 60, "{broken}");
    let input = env.write("big.csv", &(lines.join("\n") + "\n"));
    // A column written row by row beside the dictionary columns: a row given another row's
    // combination would be released with the wrong codes beside its own value.
    let rules = sample_with("on_malformed = \"error\"", "on_malformed = \"reject\"").replace(
        "name = \"課税所得\"\nrole = \"insensitive\"\naction = \"generalize\"\nhierarchy = \"bands\"\nbands = [1000000, 5000000]\ntop = 20000000\nbottom = 0\nlevel = 1\noutput = \"課税所得階級\"",
        "name = \"課税所得\"\nrole = \"insensitive\"\naction = \"mask\"\nkeep_first = 3\noutput = \"課税所得\"",
    );
    assert!(rules.contains("keep_first = 3"));
    let two = both_ways_with("several batches", &input, &rules, &[("TOKUMEI_THREADS", "2")]);
    let rep = two.report.unwrap();
    assert_eq!(rep["rows_rejected"].as_u64(), Some(broken), "{}", rep["rows_rejected"]);
    let vars = [("TOKUMEI_THREADS", "1"), ("TOKUMEI_SPILL_MEMORY", "0")];
    assert_eq!(both_ways_with("several batches streamed", &input, &rules, &vars).code, 0);
}

/// A column of nearly distinct values kept exact (the taxable income): the combinations would
/// cost more memory than a code per row, so pass 1 turns back to rows part-way (the threshold
/// lowered for the test) and the release is the per-row path's.
#[test]
#[cfg_attr(not(debug_assertions), ignore)]
fn nearly_distinct_combinations_turn_pass_1_back_to_rows() {
    let rules = sample_with(
        "action = \"generalize\"\nhierarchy = \"bands\"\nbands = [1000000, 5000000]\ntop = 20000000\nbottom = 0\nlevel = 1\noutput = \"課税所得階級\"",
        "action = \"keep\"\noutput = \"課税所得\"",
    );
    let turned = run_with(&sample_csv(), &rules, "1000", &[("TOKUMEI_TEST_COMBOS_MANY", "100")]);
    assert!(turned.stderr.contains("test: the models count rows"), "{}", turned.stderr);
    let rows = run(&sample_csv(), &rules, "rows");
    assert_eq!((turned.code, rows.code), (0, 0), "{}\n{}", turned.stderr, rows.stderr);
    let mut differ = Vec::new();
    differences(turned.report.as_ref().unwrap(), rows.report.as_ref().unwrap(), String::new(), &mut differ);
    assert!(differ.is_empty(), "the reports differ at {differ:?}");
    assert!(turned.rows == rows.rows, "the released rows");
    // Without the lowered threshold the same job keeps its combinations.
    let kept = run(&sample_csv(), &rules, "1000");
    assert!(kept.stderr.contains("test: the models count combinations"), "{}", kept.stderr);
}

/// A fingerprinted release (`fingerprint = true`) draws each kept row's carrier value within
/// its class over the combinations, without giving every row its codes: against the per-row
/// shuffle and against the release without a fingerprint, every class holds the same carrier
/// values, every row is the same apart from its carrier value, and the values did move.
#[test]
#[cfg_attr(not(debug_assertions), ignore)]
fn a_fingerprint_drawn_over_combinations_keeps_every_class_and_moves_values() {
    let plain = std::fs::read_to_string(sample_rules()).unwrap();
    let rules = sample_with("version = 1\n", "version = 1\nfingerprint = true\n");
    let (combos, rows) = (run_with(&sample_csv(), &rules, "1000", &[]), run(&sample_csv(), &rules, "rows"));
    let unmarked = run(&sample_csv(), &plain, "1000");
    assert!(combos.stderr.contains("test: the fingerprint drew over"), "{}", combos.stderr);
    assert!(!rows.stderr.contains("test: the fingerprint drew over"), "{}", rows.stderr);
    let fp = combos.report.as_ref().unwrap()["fingerprint"].clone();
    assert_eq!(fp, rows.report.as_ref().unwrap()["fingerprint"]);
    let column = fp["column"].as_str().unwrap().to_string();
    let keys: Vec<String> = fp["key_columns"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().into()).collect();
    let (names, _) = combos.rows.as_ref().unwrap();
    let at = |name: &str| names.iter().position(|n| n == name).unwrap();
    let carrier = at(&column);
    // Per class (the key's values): the carrier's values, sorted.
    type Classes = std::collections::BTreeMap<Vec<Option<String>>, Vec<Option<String>>>;
    let per_class = |o: &Outcome| -> Classes {
        let mut m = Classes::new();
        for row in &o.rows.as_ref().unwrap().1 {
            m.entry(keys.iter().map(|k| row[at(k)].clone()).collect()).or_default().push(row[carrier].clone());
        }
        m.values_mut().for_each(|v| v.sort());
        m
    };
    // The rows without their carrier value (and its bounds, which go with it), sorted.
    let moving = [column.clone(), format!("{column}_min"), format!("{column}_max")];
    let fixed: Vec<usize> = (0..names.len()).filter(|i| !moving.contains(&names[*i])).collect();
    let without = |o: &Outcome| -> Vec<Vec<Option<String>>> {
        let mut v: Vec<Vec<Option<String>>> =
            o.rows.as_ref().unwrap().1.iter().map(|r| fixed.iter().map(|i| r[*i].clone()).collect()).collect();
        v.sort();
        v
    };
    for (name, o) in [("rows", &rows), ("unmarked", &unmarked)] {
        assert_eq!(o.rows.as_ref().unwrap().0, *names, "{name}: the columns");
        assert!(per_class(&combos) == per_class(o), "{name}: each class's carrier values");
        assert!(without(&combos) == without(o), "{name}: the rows apart from the carrier");
    }
    // The reports agree but where the values' arrangement counts (it is drawn anew in every
    // release, so two per-row runs differ there too): the release risk over the columns outside
    // the key, and the utility's comparisons of the carrier row by row (its column, the
    // correlations, the risk-utility map). Every other column's comparison counts every row.
    let rep = combos.report.as_ref().unwrap();
    let compared = rep["utility"]["columns"].as_array().unwrap();
    let i = compared.iter().position(|c| c["column"] == column.as_str()).expect("the carrier is compared");
    let mut differ = Vec::new();
    differences(rep, rows.report.as_ref().unwrap(), String::new(), &mut differ);
    let random = [
        "/release_risk/".to_string(),
        format!("/utility/columns/{i}/"),
        "/utility/correlation/".into(),
        "/utility/ru_map/".into(),
    ];
    differ.retain(|d| !random.iter().any(|r| d.starts_with(r.as_str())));
    assert!(differ.is_empty(), "the reports differ at {differ:?}");
    // Drawn anew for every release: two releases of the same rows differ in their arrangement.
    let again = run_with(&sample_csv(), &rules, "1000", &[]);
    assert!(again.rows.as_ref().unwrap().1 != combos.rows.as_ref().unwrap().1, "each release draws its own order");
    // Where the combinations a draw could add are too many, the rows get their codes back and
    // are shuffled row by row: the same classes and rows (the bound lowered for the test).
    let back = run_with(&sample_csv(), &rules, "1000", &[("TOKUMEI_TEST_FINGERPRINT_BOUND", "0")]);
    assert!(back.stderr.contains("test: the models count combinations"), "{}", back.stderr);
    assert!(!back.stderr.contains("test: the fingerprint drew over"), "{}", back.stderr);
    assert!(per_class(&back) == per_class(&unmarked) && without(&back) == without(&unmarked), "the per-row fallback");
    assert!(back.rows.as_ref().unwrap().1 != unmarked.rows.as_ref().unwrap().1, "the fallback moved values");
    let moved = |o: &Outcome| o.rows.as_ref().unwrap().1 != unmarked.rows.as_ref().unwrap().1;
    assert!(moved(&combos) && moved(&rows), "the carrier's values moved between rows of a class");
    assert!(per_class(&combos).values().any(|v| v.first() != v.last()), "some class holds several values");
}

/// Rows are numbered with 32 bits: an input with more accepted rows than a run may number is
/// refused as an input error, with nothing released (the bound is lowered for the test, in
/// builds with debug assertions only); at the bound the run releases.
#[test]
#[cfg_attr(not(debug_assertions), ignore)]
fn more_rows_than_a_run_numbers_are_refused_before_anything_is_released() {
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    let env = Env::new();
    let job = env.job("combo", &sample_csv(), &env.write("rules.toml", &rules), "");
    let over = env.tokumei_with(&["run", job.to_str().unwrap()], &[("TOKUMEI_TEST_MAX_ROWS", "4000")]);
    assert_eq!(over.code, ExitCode::Input.code(), "{}", over.stderr);
    assert!(
        over.stderr.contains("more than 4000 accepted rows") && over.stderr.contains("split the extract"),
        "{}",
        over.stderr
    );
    assert!(env.releases("resident_registry").is_empty(), "nothing released");
    let at = run_with(&sample_csv(), &rules, "1000", &[("TOKUMEI_TEST_MAX_ROWS", "10000")]);
    assert_eq!(at.code, 0, "{}", at.stderr);
}
