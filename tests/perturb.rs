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
        "action = \"noise\"\nscale = 0.05\nmin = 1910-01-01\nmax = 2026-04-01",
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
    let (lo, hi) = (days("1910-01-01"), days("2026-04-01"));
    for r in &t.rows {
        let source = input_of[r[rid].as_ref().unwrap()];
        let released: i64 = r[inc].as_ref().unwrap().parse().expect("an integer column stays integers");
        let before: i64 = source[i_inc].parse().unwrap();
        diffs.push((released - before) as f64);
        changed += u64::from(released != before);
        abs += (released - before).unsigned_abs() as f64;
        let d = days(r[birth].as_ref().unwrap());
        assert!((lo..=hi).contains(&d), "a noised date stays within its min and max");
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
    // A date's default bounds are no value of the data (the earliest birth date is one person's).
    let settings = perturbed(&report, "生年月日")["settings"].to_string();
    assert!(!settings.contains("1917-04-17") && settings.contains("[\"min\",\"0001-01-01\"]"), "{settings}");
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

/// With the rules' `subject`, microaggregation groups count people: a person with as many
/// identical records as the group size (an income nobody else has) never forms a group alone,
/// so their value is not released; every released value is held by at least group_size people,
/// none holding over half of its records. Recomputed from the Parquet by record number.
#[test]
fn microaggregation_groups_count_people_when_a_person_has_several_records() {
    let env = Env::new();
    let (_, mut rows) = numbered(&env);
    let i_id = rows[0].iter().position(|c| c == "宛名番号").unwrap();
    let i_inc = rows[0].iter().position(|c| c == "課税所得").unwrap();
    // One person with seven records of one income below everyone's (the first group sorted), and
    // three people with three records each.
    let n = rows.len();
    for (copies, from, income) in [(7, 1, "-5"), (3, 2, ""), (3, 3, ""), (3, 4, "")] {
        for c in 0..copies {
            let mut r = rows[from].clone();
            r[0] = (n + from * 10 + c).to_string();
            if !income.is_empty() {
                r[i_inc] = income.into();
            }
            rows.push(r);
        }
    }
    let input = write_rows(&env, "repeated.csv", &rows);
    let person_of: HashMap<String, String> = rows[1..].iter().map(|r| (r[0].clone(), r[i_id].clone())).collect();
    let text = rules(
        "pseudonymized",
        "subject = \"宛名番号\"",
        "action = \"microaggregate\"\ngroup_size = 7",
        "action = \"drop\"",
    );
    let job = env.job("micro_people", &input, &env.write("micro_people.toml", &text), "");
    let dir = run(&env, &job, true);
    let t = read_parquet(&dir.join("p.parquet"));
    let mut holders: HashMap<String, Vec<&String>> = HashMap::new();
    for r in &t.rows {
        let v = r[t.col("課税所得")].clone().unwrap_or_default();
        holders.entry(v).or_default().push(&person_of[r[t.col("rid")].as_ref().unwrap()]);
    }
    assert!(!holders.contains_key("-5"), "the one person's income is released as it is");
    let mut fewest = usize::MAX;
    for (v, people) in &holders {
        let mut distinct = people.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() >= 7, "{v} is held by {} people", distinct.len());
        let most = distinct.iter().map(|p| people.iter().filter(|q| *q == p).count()).max().unwrap();
        assert!(2 * most <= people.len(), "one person holds {most} of the {} records of a value", people.len());
        fewest = fewest.min(distinct.len());
    }
    let report = report(&dir);
    let p = perturbed(&report, "課税所得");
    assert_eq!(p["smallest_group_people"].as_u64().unwrap(), fewest as u64, "the report's count is the release's");
    assert!(p["description"].as_str().unwrap().contains("groups count people"), "{p}");

    // Without a subject the person's seven records would form a group of their own: rows that
    // repeat a person are refused (exit 3) even where no privacy model counts (pseudonymised
    // data), naming the column and the hint, and nothing is written.
    let text = rules("pseudonymized", "", "action = \"microaggregate\"\ngroup_size = 7", "action = \"drop\"");
    let job = env.job("micro_rows", &input, &env.write("micro_rows.toml", &text), "");
    let before = env.out_files().len();
    let r = env.tokumei_with(&["run", job.to_str().unwrap()], &[("TOKUMEI_TEST_SEED", SEED)]);
    assert_eq!(r.code, ExitCode::Config.code(), "{}", r.stderr);
    assert!(r.stderr.contains("`宛名番号` (linking_code) repeats") && r.stderr.contains("subject = "), "{}", r.stderr);
    assert_eq!(env.out_files().len(), before, "nothing written");
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
        ("action = \"swap\"\nwindow = 60", "window must be above 0 and at most 50"),
        ("action = \"swap\"\ntop = \"auto\"", "top of `swap` must be a whole number"),
        ("action = \"swap\"\ntop = 5\nbottom = 10", "bottom must not be above top"),
        ("action = \"pram\"\nkeep = 1", "keep must be above 0 and below 1"),
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

/// The input and released values of `column` per record, matched by `rid`, with each record's
/// `性別` (kept, released as it is).
fn before_after(rows: &[Vec<String>], t: &Table, column: &str) -> Vec<(String, String, Option<String>)> {
    let h = &rows[0];
    let (i_col, i_sex) = (h.iter().position(|c| c == column).unwrap(), h.iter().position(|c| c == "性別").unwrap());
    let input_of: HashMap<String, &Vec<String>> = rows[1..].iter().map(|r| (r[0].clone(), r)).collect();
    let (rid, col) = (t.col("rid"), t.col(column));
    t.rows
        .iter()
        .map(|r| {
            let source = input_of[r[rid].as_ref().unwrap()];
            (source[i_sex].clone(), source[i_col].clone(), r[col].clone())
        })
        .collect()
}

/// Whether every released value lies within `window` percent of the ranks of its record's input
/// value (ties: the value's whole run of ranks), among `pairs` (input, released).
fn within_window(pairs: &[(i64, i64)], window: f64) -> bool {
    let mut sorted: Vec<i64> = pairs.iter().map(|p| p.0).collect();
    sorted.sort();
    let w = ((window / 100.0 * sorted.len() as f64).floor() as usize).max(1);
    pairs.iter().all(|(b, a)| {
        let (lo, hi) = (sorted.partition_point(|x| x < b), sorted.partition_point(|x| x <= b) - 1);
        let (alo, ahi) = (sorted.partition_point(|x| x < a), sorted.partition_point(|x| x <= a) - 1);
        alo <= hi + w && ahi + w >= lo
    })
}

/// Rank swapping (sdcMicro rankSwap), recomputed from the release: incomes swapped within 性別
/// and birth dates over the whole column are each a permutation of the input's (within each
/// stratum too); every record's value comes from within the window of ranks; the report's
/// records changed, strata and swapped records are the release's; the dictionary says so.
#[test]
fn swap_keeps_every_count_within_strata_and_the_window() {
    let env = Env::new();
    let (input, rows) = numbered(&env);
    let text = rules(
        "pseudonymized",
        "",
        "action = \"swap\"\nwindow = 5\nwithin = [\"性別\"]",
        "action = \"swap\"\nwindow = 2",
    );
    let job = env.job("swap", &input, &env.write("swap.toml", &text), "");
    let dir = run(&env, &job, true);
    let t = read_parquet(&dir.join("p.parquet"));
    assert_eq!(t.types[t.col("課税所得")], arrow::datatypes::DataType::Int64);
    let income = before_after(&rows, &t, "課税所得");
    let mut changed = 0u64;
    for sex in ["男", "女"] {
        let pairs: Vec<(i64, i64)> = income
            .iter()
            .filter(|(s, _, _)| s == sex)
            .map(|(_, b, a)| (b.parse().unwrap(), a.as_ref().unwrap().parse().unwrap()))
            .collect();
        let (mut b, mut a): (Vec<i64>, Vec<i64>) = pairs.iter().copied().unzip();
        b.sort();
        a.sort();
        assert_eq!(a, b, "{sex}: the released incomes are exactly the input's");
        assert!(within_window(&pairs, 5.0), "{sex}: a value from beyond the window");
        changed += pairs.iter().filter(|(b, a)| b != a).count() as u64;
    }
    let births: Vec<(i64, i64)> =
        before_after(&rows, &t, "生年月日").iter().map(|(_, b, a)| (days(b), days(a.as_ref().unwrap()))).collect();
    let (mut b, mut a): (Vec<i64>, Vec<i64>) = births.iter().copied().unzip();
    b.sort();
    a.sort();
    assert_eq!(a, b, "the released birth dates are exactly the input's");
    assert!(within_window(&births, 2.0));
    let report = report(&dir);
    let p = perturbed(&report, "課税所得");
    assert_eq!(p["technique"], "swap");
    assert_eq!(p["records_changed"].as_u64().unwrap(), changed);
    assert!(changed > 5_000, "{changed}: most records get another value (a third of incomes are 0)");
    let s = &p["swap"];
    assert_eq!((s["strata"].as_u64(), s["strata_alone"].as_u64()), (Some(2), Some(0)));
    assert_eq!(s["swapped"].as_u64().unwrap() + s["unswapped"].as_u64().unwrap(), 10_000);
    assert!(s["max_rank_distance"].as_u64().unwrap() <= 5_382 / 20);
    let (sd_before, sd_after) = (p["sd_before"].as_f64().unwrap(), p["sd_after"].as_f64().unwrap());
    assert!((sd_before - sd_after).abs() < 1e-6 * sd_before, "the spread is the input's");
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("データ交換") && md.contains("交換したレコード"), "the report names it");
    let dict = std::fs::read_to_string(dir.join("data_dictionary.md")).unwrap();
    assert!(dict.contains("入れ替えてあります") && dict.contains("weakened"), "the dictionary says what it does");
}

/// Swapping a categorical column (in natural order) keeps each category's count exactly.
#[test]
fn swap_of_categories_keeps_their_counts() {
    let env = Env::new();
    let (input, rows) = numbered(&env);
    let text = rules("pseudonymized", "", "action = \"drop\"", "action = \"drop\"").replace(
        "name = \"要介護度\"\nrole = \"insensitive\"\naction = \"drop\"",
        "name = \"要介護度\"\nrole = \"insensitive\"\ntype = \"string\"\naction = \"swap\"\nwindow = 10",
    );
    let job = env.job("swapc", &input, &env.write("swapc.toml", &text), "");
    let t = read_parquet(&run(&env, &job, true).join("p.parquet"));
    let care = before_after(&rows, &t, "要介護度");
    let (mut b, mut a): (Vec<String>, Vec<String>) =
        care.iter().map(|(_, b, a)| (b.clone(), a.clone().unwrap())).unzip();
    let changed = b.iter().zip(&a).filter(|(x, y)| x != y).count();
    b.sort();
    a.sort();
    assert_eq!(a, b, "each category's count is the input's");
    assert!(changed > 0, "some records changed category");
}

/// PRAM, recomputed from the release: invariant PRAM (keep 0.5) of 要介護度 within 性別 keeps each
/// category's count exactly in each stratum, and changes about (1 - keep)·(1 - Σπ²) of the
/// records; a stated matrix (invariant = false) applied to 障害者手帳 moves 身体 to 精神 at its rate.
#[test]
fn pram_keeps_counts_exactly_or_applies_the_stated_matrix() {
    let env = Env::new();
    let (input, rows) = numbered(&env);
    let drop = |c: &str| format!("name = \"{c}\"\nrole = \"insensitive\"\naction = \"drop\"");
    let text = rules("pseudonymized", "", "action = \"drop\"", "action = \"drop\"")
        .replace(
            &drop("要介護度"),
            "name = \"要介護度\"\nrole = \"insensitive\"\naction = \"pram\"\nkeep = 0.5\nwithin = [\"性別\"]",
        )
        .replace(
            &drop("障害者手帳"),
            "name = \"障害者手帳\"\nrole = \"insensitive\"\naction = \"pram\"\nmatrix_file = \"m.csv\"\ninvariant = false",
        );
    env.write("m.csv", "from,to,p\nなし,なし,1\n身体,身体,0.8\n身体,精神,0.2\n精神,精神,1\n療育,療育,1\n");
    let job = env.job("pram", &input, &env.write("pram.toml", &text), "");
    let dir = run(&env, &job, true);
    let t = read_parquet(&dir.join("p.parquet"));
    let care = before_after(&rows, &t, "要介護度");
    let (mut want, mut var, mut changed) = (0.0f64, 0.0f64, 0u64);
    for sex in ["男", "女"] {
        let of: Vec<(&String, &String)> =
            care.iter().filter(|(s, _, _)| s == sex).map(|(_, b, a)| (b, a.as_ref().unwrap())).collect();
        let count = |pick: &dyn Fn(&(&String, &String)) -> String| {
            let mut m: HashMap<String, u64> = HashMap::new();
            of.iter().for_each(|p| *m.entry(pick(p)).or_default() += 1);
            m
        };
        let before = count(&|p| p.0.clone());
        assert_eq!(count(&|p| p.1.clone()), before, "{sex}: each category's count is the input's");
        // A redrawn record (chance c = 0.5) draws from the M + 1 redrawn records of its stratum,
        // itself included (M ~ Bin(m - 1, c)): c(1 - E[1/(M+1)])·m/(m - 1)·(1 - Σπ²).
        let m = of.len() as f64;
        let a = (1.0 - 0.5f64.powf(m)) / (m * 0.5);
        let q = 0.5 * (1.0 - a) * m / (m - 1.0) * (1.0 - before.values().map(|c| (*c as f64 / m).powi(2)).sum::<f64>());
        want += m * q;
        var += m * q * (1.0 - q);
        changed += of.iter().filter(|(b, a)| b != a).count() as u64;
    }
    assert!((changed as f64 - want).abs() < 4.0 * var.sqrt(), "{changed} changed against {want} expected");
    let report = report(&dir);
    let p = perturbed(&report, "要介護度");
    assert_eq!(p["records_changed"].as_u64().unwrap(), changed);
    assert_eq!((p["pram"]["form"].as_str(), p["pram"]["marginal_exact"].as_bool()), (Some("invariant"), Some(true)));
    assert_eq!(p["pram"]["largest_share_change"], 0.0);
    let records = p["records"].as_f64().unwrap();
    let expected = p["pram"]["expected_changed"].as_f64().unwrap();
    assert!((expected * records - want).abs() < 1e-6 * records, "the report's expectation is the recomputed one");
    let card = before_after(&rows, &t, "障害者手帳");
    let body: Vec<&Option<String>> = card.iter().filter(|(_, b, _)| b == "身体").map(|(_, _, a)| a).collect();
    let moved = body.iter().filter(|a| a.as_deref() == Some("精神")).count() as f64 / body.len() as f64;
    let se = (0.2 * 0.8 / body.len() as f64).sqrt();
    assert!((moved - 0.2).abs() < 3.0 * se, "身体 -> 精神 at {moved}, stated 0.2 ± {se}");
    assert!(card.iter().filter(|(_, b, _)| b != "身体").all(|(_, b, a)| a.as_ref() == Some(b)), "rows of 1 kept");
    let p = perturbed(&report, "障害者手帳");
    assert_eq!(p["pram"]["form"], "matrix");
    assert_eq!(p["pram"]["categories"][1], "身体");
    assert_eq!(p["pram"]["matrix"][1][2], 0.2);
    let body_share = body.len() as f64 / card.len() as f64;
    let expected = p["pram"]["expected_changed"].as_f64().unwrap();
    assert!((expected - 0.2 * body_share).abs() < 1e-9, "only 身体 may change, at 0.2: {expected}");
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("適用した遷移確率行列"), "the report shows the stated matrix");
    let dict = std::fs::read_to_string(dir.join("data_dictionary.md")).unwrap();
    assert!(dict.contains("事実でないことがあります") && dict.contains("may be false"), "the dictionary warns");
}

/// A stated matrix without a row for some category of the column is a configuration error (exit
/// 3) naming the rule's line, and names no category (they are values of people).
#[test]
fn a_matrix_missing_a_category_exits_with_the_config_code() {
    let env = Env::new();
    let (input, _) = numbered(&env);
    env.write("m.csv", "0,0,1\n");
    let text = rules("pseudonymized", "", "action = \"pram\"\nmatrix_file = \"m.csv\"", "action = \"drop\"");
    let line = text.lines().position(|l| l == "name = \"課税所得\"").unwrap() + 1;
    let job = env.job("bad", &input, &env.write("bad.toml", &text), "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Config.code(), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("bad.toml:{line}: `課税所得`")), "{}", r.stderr);
    assert!(r.stderr.contains("have no row in its matrix_file"), "{}", r.stderr);
    assert!(!r.stderr.contains("1429000"), "no value of a person: {}", r.stderr);
    assert!(env.out_files().is_empty(), "nothing written");
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
/// swapping, the exact marginals and change rate of invariant PRAM (within released age bands
/// too), and correlated noise's covariance (scale² times the input's), from the input and the
/// released Parquet file (rows matched by a kept record number). Needs Python with numpy,
/// pandas and pyarrow: ignored by a plain `cargo test`, run by `bash .ci/run`.
#[test]
#[ignore = "needs Python with numpy, pandas and pyarrow: run `bash .ci/run`, or set TOKUMEI_PYTHON and pass --ignored"]
fn every_technique_recomputed_in_numpy() {
    let python = std::env::var("TOKUMEI_PYTHON").unwrap_or_else(|_| "python3".into());
    let env = Env::new();
    // The sample with a second amount correlated with the income about 0.5 (a tenth of it plus
    // a part of its own of the same spread), for correlated noise: a check that tells
    // correlated noise from independent or one-dimensional noise.
    let (_, mut rows) = numbered(&env);
    let i_inc = rows[0].iter().position(|c| c == "課税所得").unwrap();
    let incomes: Vec<f64> = rows[1..].iter().map(|r| r[i_inc].parse::<f64>().unwrap() / 10.0).collect();
    let spread = sd(&incomes) * 12f64.sqrt();
    for (i, r) in rows.iter_mut().enumerate() {
        let tax = match i {
            0 => "住民税".to_string(),
            _ => {
                let own = ((i as u64).wrapping_mul(2_654_435_761) % 1_000_003) as f64 / 1_000_003.0;
                (incomes[i - 1] + own * spread).round().to_string()
            }
        };
        r.push(tax);
    }
    let input = write_rows(&env, "numbered_tax.csv", &rows);
    let tax =
        |rule: &str| format!("[[column]]\nname = \"住民税\"\nrole = \"insensitive\"\ntype = \"integer\"\n{rule}\n");
    let care = "[[column]]\nname = \"要介護度\"\nrole = \"insensitive\"\naction = \"drop\"\n";
    let bands =
        "action = \"generalize\"\nhierarchy = \"age\"\nbands = [5, 10, 20]\ntop = 90\nlevel = 2\noutput = \"年齢階級\"";
    let together = "action = \"noise\"\nscale = 0.1\ntogether = \"amounts\"";
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
        (
            // PRAM within a generalised column: strata are its released age bands.
            "bands",
            rules("pseudonymized", "", "action = \"drop\"", bands),
            "action = \"pram\"\nkeep = 0.7\nwithin = [\"生年月日\"]\n",
            serde_json::json!([
                {"name": "要介護度", "action": "pram", "keep": 0.7, "within": ["生年月日"], "strata": ["年齢階級"]},
            ]),
        ),
        (
            "correlated",
            rules("pseudonymized", "", together, "action = \"drop\"") + &tax(together),
            "action = \"drop\"\n",
            serde_json::json!([
                {"name": "課税所得", "action": "noise", "scale": 0.1, "min": 0, "together": "amounts", "type": "integer"},
                {"name": "住民税", "action": "noise", "scale": 0.1, "min": 0, "together": "amounts", "type": "integer"},
            ]),
        ),
    ];
    for (name, text, care_rule, columns) in runs {
        let text = if text.contains("name = \"住民税\"") { text } else { text + &tax("action = \"drop\"") };
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
        let checked = match name {
            "correlated" => "課税所得 & 住民税: the noise's covariance",
            "bands" => "要介護度: category counts kept exactly in every stratum",
            _ => "ok: ",
        };
        assert!(stdout.contains(checked), "{name}: {stdout}");
    }
}

/// The input's incomes (課税所得), in input order.
fn input_incomes() -> Vec<i64> {
    let rows = sample_records();
    let i = rows[0].iter().position(|c| c == "課税所得").unwrap();
    rows[1..].iter().map(|r| r[i].parse().unwrap()).collect()
}

/// 規則62条4号 for a swapped column: swapping keeps every value, so the largest incomes are
/// still released, each held by one person, and standard 4 fails naming `top = ...`. With that
/// code the incomes above it are set to it before swapping: every released income is at most
/// `top`, the released incomes are exactly the top-coded input's (recomputed from the Parquet
/// file), the top is shared by at least k people, and the report counts the records coded.
#[test]
fn swap_with_top_passes_standard_4_rule_62_4() {
    let env = Env::new();
    let (input, _) = numbered(&env);
    let privacy = "[privacy]\nk = 5\nmax_suppression = 0.05";
    let text = rules("anonymized", privacy, "action = \"swap\"\nwindow = 5", "action = \"drop\"");
    let job = env.job("open", &input, &env.write("open.toml", &text), "");
    let r = env.tokumei_with(&["run", job.to_str().unwrap()], &[("TOKUMEI_TEST_SEED", SEED)]);
    assert_eq!(r.code, ExitCode::Privacy.code(), "{}", r.stderr);
    assert!(r.stderr.contains("(規則62条4号)"), "{}", r.stderr);
    let at = r.stderr.find("(top = ").unwrap_or_else(|| panic!("names top = ...: {}", r.stderr)) + "(top = ".len();
    let top: i64 = r.stderr[at..].split(')').next().unwrap().parse().unwrap();
    assert!(env.out_files().is_empty(), "nothing written");
    let income = format!("action = \"swap\"\nwindow = 5\ntop = {top}");
    let text = rules("anonymized", privacy, &income, "action = \"drop\"");
    let job = env.job("coded", &input, &env.write("coded.toml", &text), "");
    let dir = run(&env, &job, true);
    let t = read_parquet(&dir.join("p.parquet"));
    let mut released: Vec<i64> =
        t.rows.iter().map(|r| r[t.col("課税所得")].as_ref().unwrap().parse().unwrap()).collect();
    let input = input_incomes();
    assert_eq!(released.len(), input.len(), "no record suppressed");
    assert!(released.iter().all(|v| *v <= top), "every released income is at most top = {top}");
    let mut coded: Vec<i64> = input.iter().map(|v| (*v).min(top)).collect();
    released.sort();
    coded.sort();
    assert_eq!(released, coded, "the released incomes are exactly the top-coded input's");
    let above = input.iter().filter(|v| **v > top).count() as u64;
    assert!(released.iter().filter(|v| **v == top).count() >= 5, "the top is shared by k");
    let report = report(&dir);
    let p = perturbed(&report, "課税所得");
    assert_eq!(p["swap"]["top_coded"].as_u64(), Some(above), "{p}");
    assert_eq!(p["swap"]["bottom_coded"].as_u64(), Some(0));
    assert!(
        p["settings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s[0] == "top" && s[1].as_str().and_then(|v| v.parse::<i64>().ok()) == Some(top)),
        "{p}"
    );
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("交換の前にトップ・ボトムコーディングしたレコード"), "the report says so");
}

/// The sample perturbation jobs (samples/perturb_job.toml, noise_job.toml, swap_job.toml) run
/// through the binary on the bundled extract, copied with their paths pointed at this test's
/// folder: each exits 0 and its report lists 課税所得 with its technique and 要介護度 with PRAM;
/// the noised and swapped incomes are within the rules' max/top, recomputed from the release.
#[test]
fn the_sample_perturbation_jobs_run() {
    for (name, technique) in [("perturb", "microaggregate"), ("noise", "noise"), ("swap", "swap")] {
        let env = Env::new();
        let rules = repo().join(format!("rules/resident_registry_{name}.toml"));
        let job = std::fs::read_to_string(repo().join(format!("samples/{name}_job.toml")))
            .unwrap()
            .replace("\"resident_registry.csv\"", &format!("{:?}", sample_csv().display().to_string()))
            .replace(
                &format!("\"../rules/resident_registry_{name}.toml\""),
                &format!("{:?}", rules.display().to_string()),
            )
            .replace("\"../reports/audit.log\"", "\"audit.log\"")
            .replace("\"../reports\"", "\"out\"");
        assert!(!job.contains("../"), "{name}: every path replaced: {job}");
        let job = env.write(&format!("{name}.job.toml"), &job);
        let dir = run(&env, &job, true);
        let report = report(&dir);
        assert_eq!(perturbed(&report, "課税所得")["technique"], technique, "{name}");
        assert_eq!(perturbed(&report, "要介護度")["technique"], "pram", "{name}");
        let parquet = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "parquet"))
            .unwrap();
        let t = read_parquet(&parquet);
        let incomes: Vec<i64> =
            t.rows.iter().filter_map(|r| r[t.col("課税所得")].as_ref()).map(|v| v.parse().unwrap()).collect();
        assert!(incomes.len() > 9_000, "{name}: {}", incomes.len());
        let largest = *incomes.iter().max().unwrap();
        match name {
            "noise" | "swap" => {
                assert!(largest <= 8_000_000, "{name}: {largest} beyond the rules' bound");
                assert!(incomes.iter().filter(|v| **v == 8_000_000).count() >= 5, "{name}: the top is shared by k");
            }
            _ => assert!(perturbed(&report, "課税所得")["smallest_group"].as_u64().unwrap() >= 5),
        }
        if name == "swap" {
            let above = input_incomes().iter().filter(|v| **v > 8_000_000).count() as u64;
            assert_eq!(perturbed(&report, "課税所得")["swap"]["top_coded"].as_u64(), Some(above));
        }
    }
}
