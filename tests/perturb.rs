//! Perturbation (issue 32): microaggregation and noise through the real binary on the bundled
//! sample, every claim recomputed from the released Parquet file and the input.

use crate::util::*;
use std::collections::HashMap;
use tokumei_engine::ExitCode;

const SEED: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// The sample's records with a record number `rid` in front (header first).
fn numbered(env: &Env) -> (std::path::PathBuf, Vec<Vec<String>>) {
    let mut rows = sample_records();
    for (i, r) in rows.iter_mut().enumerate() {
        r.insert(0, if i == 0 { "rid".into() } else { i.to_string() });
    }
    (write_rows(env, "numbered.csv", &rows), rows)
}

/// Rules over the numbered sample: every column dropped but `rid` (kept, to match rows), 性別, and
/// the rules given for 課税所得 and 生年月日.
fn rules(mode: &str, privacy: &str, income: &str, birth: &str) -> String {
    let dropped = [
        "宛名番号",
        "個人番号",
        "氏名",
        "氏名カナ",
        "郵便番号",
        "住所",
        "市区町村コード",
        "世帯番号",
        "続柄",
        "電話番号",
        "国保加入",
        "要介護度",
        "障害者手帳",
        "備考",
    ];
    let mut s = format!("version = 1\ndataset = \"p\"\nmode = \"{mode}\"\n{privacy}\n");
    if mode == "pseudonymized" {
        s.push_str("[[column]]\nname = \"rid\"\nrole = \"insensitive\"\naction = \"keep\"\n");
    } else {
        s.push_str("[[column]]\nname = \"rid\"\nrole = \"insensitive\"\naction = \"drop\"\n");
    }
    for d in dropped {
        let role = match d {
            "宛名番号" | "世帯番号" => "linking_code",
            "個人番号" => "identification_code",
            "市区町村コード" | "続柄" => "quasi_identifier",
            "国保加入" | "要介護度" | "障害者手帳" => "insensitive",
            _ => "direct_identifier",
        };
        s.push_str(&format!("[[column]]\nname = \"{d}\"\nrole = \"{role}\"\naction = \"drop\"\n"));
    }
    s.push_str("[[column]]\nname = \"性別\"\nrole = \"quasi_identifier\"\naction = \"keep\"\n");
    s.push_str(&format!("[[column]]\nname = \"課税所得\"\nrole = \"insensitive\"\ntype = \"integer\"\n{income}\n"));
    s.push_str(&format!("[[column]]\nname = \"生年月日\"\nrole = \"insensitive\"\ntype = \"date\"\n{birth}\n"));
    s
}

fn days(iso: &str) -> i64 {
    let d = tokumei_jp::parse_date(iso).unwrap_or_else(|| panic!("not a date: {iso}"));
    i64::from(d.days_since_epoch())
}

fn sd(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// Run `job` with the test seed (or without), expecting success; the release folder.
fn run(env: &Env, job: &std::path::Path, seeded: bool) -> std::path::PathBuf {
    let vars: &[(&str, &str)] = if seeded { &[("TOKUMEI_TEST_SEED", SEED)] } else { &[] };
    let r = env.tokumei_with(&["run", job.to_str().unwrap()], vars);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    env.latest()
}

/// The report's entry for a perturbed column.
fn perturbed<'a>(report: &'a serde_json::Value, column: &str) -> &'a serde_json::Value {
    report["perturbed"].as_array().unwrap().iter().find(|p| p["column"] == column).unwrap()
}

/// Additive noise (sdcMicro addNoise): released minus input has mean about 0 and standard
/// deviation scale × the column's, rows matched by the kept record number; dates stay within the
/// input's range; the report's counts are the release's; the same seed gives the same release,
/// a release without the test seed another.
#[test]
fn noise_is_as_configured_recomputed_from_the_release() {
    let env = Env::new();
    let (input, rows) = numbered(&env);
    let text = rules(
        "pseudonymized",
        "",
        "action = \"noise\"\nscale = 0.2\nmin = -1000000000",
        "action = \"noise\"\nscale = 0.05",
    );
    let job = env.job("noise", &input, &env.write("noise.toml", &text), "");
    let dir = run(&env, &job, true);
    let t = read_parquet(&dir.join("p.parquet"));
    let (rid, inc, birth) = (t.col("rid"), t.col("課税所得"), t.col("生年月日"));
    let h = &rows[0];
    let (i_inc, i_birth) =
        (h.iter().position(|c| c == "課税所得").unwrap(), h.iter().position(|c| c == "生年月日").unwrap());
    let input_of: HashMap<String, &Vec<String>> = rows[1..].iter().map(|r| (r[0].clone(), r)).collect();
    assert_eq!(t.rows.len(), rows.len() - 1);
    let mut diffs = Vec::new();
    let (mut changed, mut abs) = (0u64, 0.0f64);
    let inputs: Vec<f64> = rows[1..].iter().map(|r| r[i_inc].parse::<f64>().unwrap()).collect();
    let birth_days: Vec<i64> = rows[1..].iter().map(|r| days(&r[i_birth])).collect();
    let (lo, hi) = (*birth_days.iter().min().unwrap(), *birth_days.iter().max().unwrap());
    for r in &t.rows {
        let source = input_of[r[rid].as_ref().unwrap()];
        let released: i64 = r[inc].as_ref().unwrap().parse().expect("an integer column stays integers");
        let before: i64 = source[i_inc].parse().unwrap();
        diffs.push((released - before) as f64);
        changed += u64::from(released != before);
        abs += (released - before).unsigned_abs() as f64;
        let d = days(r[birth].as_ref().unwrap());
        assert!((lo..=hi).contains(&d), "a noised date stays within the input's range");
    }
    let want = 0.2 * sd(&inputs);
    let got = sd(&diffs);
    assert!((got / want - 1.0).abs() < 0.03, "noise sd {got} against 0.2 × sd = {want}");
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    assert!(mean.abs() < want * 0.05, "noise mean {mean}");
    let report = report(&dir);
    assert_eq!(report["seed_fixed_for_test"], true);
    let p = perturbed(&report, "課税所得");
    assert_eq!(p["technique"], "noise");
    assert_eq!(p["records"], 10_000);
    assert_eq!(p["records_changed"].as_u64().unwrap(), changed);
    let mac = p["mean_abs_change"].as_f64().unwrap();
    assert!((mac - abs / diffs.len() as f64).abs() < 1e-6 * mac.max(1.0), "{mac}");
    assert_eq!(p["clamped"], 0);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("ノイズ（誤差）付加"), "the Japanese report names the technique");
    let dict = std::fs::read_to_string(dir.join("data_dictionary.md")).unwrap();
    assert!(
        dict.contains("ノイズ") && dict.contains("正確な値ではありません"),
        "the dictionary says the values are not exact"
    );
    // The linkage risk (dRisk): recomputed by brute force over every record, both columns
    // standardised by the input's standard deviation.
    let birth_in: Vec<f64> = birth_days.iter().map(|d| *d as f64).collect();
    let (sd_inc, sd_birth) = (sd(&inputs), sd(&birth_in));
    let points: Vec<([f64; 2], [f64; 2])> = t
        .rows
        .iter()
        .map(|r| {
            let source = input_of[r[rid].as_ref().unwrap()];
            let x = [source[i_inc].parse::<f64>().unwrap() / sd_inc, days(&source[i_birth]) as f64 / sd_birth];
            let y = [
                r[inc].as_ref().unwrap().parse::<f64>().unwrap() / sd_inc,
                days(r[birth].as_ref().unwrap()) as f64 / sd_birth,
            ];
            (x, y)
        })
        .collect();
    let d2 = |a: &[f64; 2], b: &[f64; 2]| (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2);
    let mut linked = 0.0;
    for (x, own) in &points {
        let mine = d2(x, own);
        let (mut ties, mut nearer) = (0usize, false);
        for (_, y) in &points {
            let d = d2(x, y);
            nearer |= d < mine;
            ties += usize::from(d == mine);
        }
        if !nearer {
            linked += 1.0 / ties as f64;
        }
    }
    let l = &report["release_risk"]["linkage"];
    assert_eq!(l["estimate"], false);
    assert_eq!(l["sampled"], 10_000);
    let got = l["linked"].as_f64().unwrap();
    assert!((got - linked).abs() < 1e-6, "linkage {got} against {linked} recomputed");
    assert!(md.contains("照合リスク"), "the risk section states it");
    let first: Vec<Option<String>> = t.rows.iter().map(|r| r[inc].clone()).collect();

    // The same seed, the same release; no test seed, another.
    let again = read_parquet(&run(&env, &job, true).join("p.parquet"));
    assert_eq!(again.rows.iter().map(|r| r[inc].clone()).collect::<Vec<_>>(), first);
    let fresh_dir = run(&env, &job, false);
    let fresh = read_parquet(&fresh_dir.join("p.parquet"));
    assert_ne!(fresh.rows.iter().map(|r| r[inc].clone()).collect::<Vec<_>>(), first, "each release draws its own seed");
    assert!(report_of(&fresh_dir)["seed_fixed_for_test"].is_null());
}

fn report_of(dir: &std::path::Path) -> serde_json::Value {
    report(dir)
}

/// Without `min`, amounts with no negative value stay non-negative: the draws below 0 are clamped
/// to 0, and the report counts them.
#[test]
fn noise_clamps_to_the_default_bounds() {
    let env = Env::new();
    let (input, _) = numbered(&env);
    let text =
        rules("pseudonymized", "", "action = \"noise\"\nscale = 0.5\nround = 1000", "action = \"noise\"\nscale = 0.05");
    let job = env.job("noise", &input, &env.write("noise.toml", &text), "");
    let dir = run(&env, &job, true);
    let t = read_parquet(&dir.join("p.parquet"));
    let values: Vec<i64> = t.rows.iter().map(|r| r[t.col("課税所得")].as_ref().unwrap().parse().unwrap()).collect();
    assert!(values.iter().all(|v| *v >= 0 && v % 1000 == 0), "min 0 and round 1000 respected");
    let zeros = values.iter().filter(|v| **v == 0).count() as u64;
    let clamped = perturbed(&report(&dir), "課税所得")["clamped"].as_u64().unwrap();
    assert!(clamped > 0 && clamped <= zeros, "{clamped} clamped, {zeros} zeros");
    let report = report(&dir);
    let settings = perturbed(&report, "課税所得")["settings"].to_string();
    assert!(
        settings.contains("[\"min\",\"0\"]") && !settings.contains("\"max\""),
        "the default bound is stated: {settings}"
    );
    let settings = perturbed(&report, "生年月日")["settings"].to_string();
    assert!(settings.contains("[\"min\",\"1917-04-17\"]"), "a date column's default bounds are its range: {settings}");
}

/// Joint microaggregation (MDAV) in an anonymized release: every released (income, birth date)
/// pair is shared by at least group_size records, integers stay integers, and the report's
/// groups and smallest group match; standard 4 passes on the released ends.
#[test]
fn microaggregation_groups_are_shared_by_at_least_group_size_records() {
    let env = Env::new();
    let (input, _) = numbered(&env);
    let privacy = "[privacy]\nk = 5\nmax_suppression = 0.05";
    let joint = "action = \"microaggregate\"\ntogether = \"m\"";
    let text = rules("anonymized", privacy, joint, joint);
    let job = env.job("micro", &input, &env.write("micro.toml", &text), "");
    let dir = run(&env, &job, true);
    let t = read_parquet(&dir.join("p.parquet"));
    assert_eq!(t.types[t.col("課税所得")], arrow::datatypes::DataType::Int64);
    let mut shared: HashMap<(Option<String>, Option<String>), u64> = HashMap::new();
    for r in &t.rows {
        *shared.entry((r[t.col("課税所得")].clone(), r[t.col("生年月日")].clone())).or_default() += 1;
    }
    let smallest = *shared.values().min().unwrap();
    assert!(smallest >= 5, "a released tuple held by {smallest} records");
    let report = report(&dir);
    let p = perturbed(&report, "課税所得");
    assert_eq!(p["method"], "mdav");
    assert_eq!(p["groups"].as_u64().unwrap(), shared.len() as u64, "one released tuple per group (no suppression)");
    assert_eq!(p["smallest_group"].as_u64().unwrap(), smallest);
    let standards = report["processing_standards"].as_array().unwrap();
    assert!(standards.iter().all(|s| s["passed"] == true));
    let evidence = standards[3]["evidence"].to_string();
    assert!(evidence.contains(&format!("groups, the smallest of {smallest} records")), "{evidence}");
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("ミクロアグリゲーション"), "the report names the technique in Japanese");

    // One column, exactly: the same input value gives the same output value, every released
    // value is shared by at least group_size records and is the (rounded) mean of their input
    // values, and groups are runs of the sorted input (no two groups interleave).
    let (input, rows) = numbered(&env);
    let text = rules("pseudonymized", "", "action = \"microaggregate\"\ngroup_size = 7", "action = \"drop\"");
    let job = env.job("micro1", &input, &env.write("micro1.toml", &text), "");
    let t = read_parquet(&run(&env, &job, true).join("p.parquet"));
    let i_inc = rows[0].iter().position(|c| c == "課税所得").unwrap();
    let input_of: HashMap<String, i64> = rows[1..].iter().map(|r| (r[0].clone(), r[i_inc].parse().unwrap())).collect();
    let mut by_input: HashMap<i64, i64> = HashMap::new();
    let mut groups: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in &t.rows {
        let x = input_of[r[t.col("rid")].as_ref().unwrap()];
        let y: i64 = r[t.col("課税所得")].as_ref().unwrap().parse().unwrap();
        assert_eq!(*by_input.entry(x).or_insert(y), y, "one input value, one output value");
        groups.entry(y).or_default().push(x);
    }
    let mut spans: Vec<(i64, i64)> = Vec::new();
    for (y, xs) in &groups {
        assert!(xs.len() >= 7, "a group of {}", xs.len());
        let mean = xs.iter().map(|x| *x as f64).sum::<f64>() / xs.len() as f64;
        assert_eq!(*y, mean.round() as i64, "the group's mean");
        spans.push((*xs.iter().min().unwrap(), *xs.iter().max().unwrap()));
    }
    spans.sort();
    assert!(spans.windows(2).all(|w| w[0].1 < w[1].0), "groups are runs of the sorted values");
}

/// Bad options are configuration errors (exit 3) naming the rule's line, before anything is read.
#[test]
fn bad_perturbation_options_exit_with_the_config_code_naming_the_line() {
    let env = Env::new();
    let (input, _) = numbered(&env);
    let privacy = "[privacy]\nk = 5\nmax_suppression = 0.05";
    for (income, says) in [
        ("action = \"microaggregate\"\ngroup_size = 1", "group_size must be between 2 and 1000000"),
        ("action = \"noise\"\nscale = 20", "scale must be above 0 and at most 10"),
        ("action = \"noise\"\nscale = 0.1\nkind = \"additiv\"", "did you mean `additive`?"),
        ("action = \"microaggregate\"\nmethod = \"mdav\"", "method applies only to joint microaggregation"),
        ("action = \"swap\"", "swap\" is not built yet"),
    ] {
        let text = rules("anonymized", privacy, income, "action = \"drop\"");
        let line = text.lines().position(|l| l == "name = \"課税所得\"").unwrap() + 1;
        let job = env.job("bad", &input, &env.write("bad.toml", &text), "");
        let r = env.tokumei(&["run", job.to_str().unwrap()]);
        assert_eq!(r.code, ExitCode::Config.code(), "{income}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{income}: {}", r.stderr);
        let named = (line..=line + 5).any(|n| r.stderr.contains(&format!("bad.toml:{n}:")));
        assert!(named, "{income}: names the line: {}", r.stderr);
    }
}

/// 規則62条4号: noise does not hide an outlier. In an anonymized release the noised incomes'
/// largest values are each held by one person, so standard 4 fails naming `max = ...`; with that
/// bound the draws above it are clamped to it, and the largest released value is shared by at
/// least k people, recomputed from the release. A noised column is measured by the linkage risk,
/// not counted as known exactly in the release risk's classes.
#[test]
fn noise_needs_a_max_for_standard_4_rule_62_4() {
    let env = Env::new();
    let (input, _) = numbered(&env);
    let privacy = "[privacy]\nk = 5\nmax_suppression = 0.05";
    let text = rules("anonymized", privacy, "action = \"noise\"\nscale = 0.1", "action = \"drop\"");
    let job = env.job("open", &input, &env.write("open.toml", &text), "");
    let r = env.tokumei_with(&["run", job.to_str().unwrap()], &[("TOKUMEI_TEST_SEED", SEED)]);
    assert_eq!(r.code, ExitCode::Privacy.code(), "{}", r.stderr);
    assert!(r.stderr.contains("(規則62条4号)") && r.stderr.contains("max = "), "{}", r.stderr);
    assert!(env.out_files().is_empty(), "nothing written");
    let text = rules("anonymized", privacy, "action = \"noise\"\nscale = 0.1\nmax = 8000000", "action = \"drop\"");
    let job = env.job("capped", &input, &env.write("capped.toml", &text), "");
    let r = env.tokumei_with(&["check", job.to_str().unwrap()], &[("TOKUMEI_TEST_SEED", SEED)]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("perturbed: 課税所得 -> 課税所得: noise ("), "{}", r.stdout);
    assert!(r.stdout.contains("record linkage of the perturbed numbers (課税所得)"), "{}", r.stdout);
    assert!(r.stdout.contains("seed fixed for a test"), "{}", r.stdout);
    let dir = run(&env, &job, true);
    let t = read_parquet(&dir.join("p.parquet"));
    let values: Vec<i64> = t.rows.iter().map(|r| r[t.col("課税所得")].as_ref().unwrap().parse().unwrap()).collect();
    assert!(values.iter().all(|v| (0..=8_000_000).contains(v)));
    assert!(values.iter().filter(|v| **v == 8_000_000).count() >= 5, "the top is shared by k");
    let report = report(&dir);
    let risk = &report["release_risk"];
    assert!(!risk["columns"].as_array().unwrap().iter().any(|c| c == "課税所得"), "{risk}");
    assert_eq!(risk["linkage"]["columns"][0], "課税所得");
    assert_eq!(risk["linkage"]["estimate"], false);
}

/// Every technique checked by an independent program: tests/python/check_perturb.py recomputes,
/// with numpy and pandas as sdcMicro defines them, group sizes and group means of
/// microaggregation, the noise's spread, the exact marginals (within strata) and rank window of
/// swapping and the exact marginals and change rate of invariant PRAM, from the input and the
/// released Parquet file (rows matched by a kept record number). Needs Python with numpy,
/// pandas and pyarrow: ignored by a plain `cargo test`, run by `bash .ci/run`.
#[test]
#[ignore = "needs Python with numpy, pandas and pyarrow: run `bash .ci/run`, or set TOKUMEI_PYTHON and pass --ignored"]
fn every_technique_recomputed_in_numpy() {
    let python = std::env::var("TOKUMEI_PYTHON").unwrap_or_else(|_| "python3".into());
    let env = Env::new();
    let (input, _) = numbered(&env);
    let care = "[[column]]\nname = \"要介護度\"\nrole = \"insensitive\"\naction = \"drop\"\n";
    let runs = [
        (
            "micro",
            rules("pseudonymized", "", "action = \"microaggregate\"\ngroup_size = 5", "action = \"drop\""),
            "action = \"pram\"\nkeep = 0.8\nwithin = [\"性別\"]\n",
            serde_json::json!([
                {"name": "課税所得", "action": "microaggregate", "group_size": 5, "aggregate": "mean", "type": "integer"},
                {"name": "要介護度", "action": "pram", "keep": 0.8, "within": ["性別"]},
            ]),
        ),
        (
            "noise",
            rules(
                "pseudonymized",
                "",
                "action = \"noise\"\nscale = 0.2\nround = 1000",
                "action = \"swap\"\nwindow = 5\nwithin = [\"性別\"]",
            ),
            "action = \"keep\"\n",
            serde_json::json!([
                {"name": "課税所得", "action": "noise", "scale": 0.2, "round": 1000, "min": 0, "type": "integer"},
                {"name": "生年月日", "action": "swap", "window": 5, "within": ["性別"], "type": "date"},
            ]),
        ),
    ];
    for (name, text, care_rule, columns) in runs {
        let text = text.replace(care, &care.replace("action = \"drop\"\n", care_rule));
        let job = env.job(name, &input, &env.write(&format!("{name}.toml"), &text), "");
        let dir = run(&env, &job, true);
        let spec =
            env.write(&format!("{name}.json"), &serde_json::json!({"rid": "rid", "columns": columns}).to_string());
        let out = std::process::Command::new(&python)
            .arg(repo().join("tests/python/check_perturb.py"))
            .args([&input, &dir.join("p.parquet"), &spec])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("ok: ") && !stdout.contains("FAILED"), "{stdout}");
    }
}
