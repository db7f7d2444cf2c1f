//! Reports for their readers: the officer's report in Japanese (and English, Markdown and
//! HTML), suppression explained per cause, the release risk over every column an attacker may
//! know, a release that sorts through numeric bounds, a dictionary in natural order, and rule
//! writers' messages that name the column, the rule and the fix.

use crate::util::*;
use std::collections::HashMap;
use tokumei_engine::ExitCode;

fn run_sample(env: &Env, rules: &std::path::Path) -> std::path::PathBuf {
    let job = env.job("rep", &sample_csv(), rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    env.latest()
}

#[test]
fn the_officer_reads_every_decision_in_japanese_with_its_legal_provision() {
    let env = Env::new();
    let dir = run_sample(&env, &sample_rules());
    let ja = std::fs::read_to_string(dir.join("report.md")).unwrap();
    for needle in [
        "匿名加工情報 作成報告書",
        "法116条1項",
        "規則62条1号",
        "規則62条4号",
        "規則62条5号",
        "秘匿した理由",
        "適合",
        "列ごとの処理",
        "地方",
    ] {
        assert!(ja.contains(needle), "report.md lacks {needle}");
    }
    let en = std::fs::read_to_string(dir.join("report.en.md")).unwrap();
    assert!(en.contains("Processing standards") && en.contains("Why records were suppressed"));
    for f in ["report.html", "report.en.html", "data_dictionary.html"] {
        let h = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(h.starts_with("<!DOCTYPE html>") && h.contains("default-src 'none'"), "{f}");
        assert!(!h.contains("<script") && !h.contains("src=") && !h.contains("href="), "{f} loads or runs something");
        assert!(h.contains("<svg") || f.starts_with("data_dictionary"), "{f} has its charts");
    }
    // Suppression causes add up, and the fixed-level report shows the pre-suppression table once.
    let rep = report(&dir);
    let causes: u64 = rep["suppression_causes"].as_array().unwrap().iter().map(|c| c["rows"].as_u64().unwrap()).sum();
    assert_eq!(causes, rep["suppressed"].as_u64().unwrap());
    assert!(
        rep["suppression_causes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["model_ja"].as_str().unwrap().contains("l-多様性"))
    );
    assert!(!ja.contains("ルールが許す最も細かいレベル"), "identical tables are shown once when levels are fixed");
    // Every standard has its legal provision and Japanese text.
    for s in rep["processing_standards"].as_array().unwrap() {
        assert!(s["legal"].as_str().unwrap().starts_with("規則62条"));
        assert!(!s["evidence_ja"].as_array().unwrap().is_empty());
    }
}

#[test]
fn the_release_risk_over_every_known_column_is_recomputed_from_the_parquet() {
    let env = Env::new();
    let dir = run_sample(&env, &sample_rules());
    release_risk_matches_the_parquet(&dir);
}

#[test]
fn the_release_risk_counts_missing_values_of_columns_outside_the_key_as_one_value() {
    // Columns outside the key are counted by dictionary code: every row whose value is written
    // as empty (missing in the input) must fall in one class with the others, as in the file.
    let env = Env::new();
    let mut rows = generated_records(&env, 10_000, 7);
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    let (income, nhi) = (col("課税所得"), col("国保加入"));
    for (i, r) in rows.iter_mut().enumerate().skip(1) {
        if i % 5 == 0 {
            r[income].clear();
        }
        if i % 7 == 0 {
            r[nhi].clear();
        }
    }
    let csv = write_rows(&env, "gaps.csv", &rows);
    let job = env.job("gaps", &csv, &sample_rules(), "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = env.latest();
    let t = read_parquet(&dir.join("resident_registry.parquet"));
    let empty = t.rows.iter().filter(|r| r[t.col("課税所得階級")].is_none()).count();
    assert!(empty > 1000, "missing incomes are written as empty ({empty})");
    release_risk_matches_the_parquet(&dir);
}

#[test]
fn the_release_risk_counts_columns_outside_the_key_written_row_by_row() {
    // A masked income is written from pass 1's spill, not from a dictionary: the release risk
    // then hashes its written values row by row (the other path of the count).
    let env = Env::new();
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    let coded = rules.replace(
        "action = \"generalize\"\nhierarchy = \"bands\"\nbands = [1000000, 5000000]\ntop = 20000000\nbottom = 0\nlevel = 1\n",
        "action = \"mask\"\nkeep_first = 4\n",
    );
    assert_ne!(coded, rules);
    let path = env.write("coded.toml", &coded);
    let dir = run_sample(&env, &path);
    let t = read_parquet(&dir.join("resident_registry.parquet"));
    let incomes: std::collections::HashSet<_> = t.rows.iter().map(|r| r[t.col("課税所得階級")].clone()).collect();
    assert!(incomes.len() > 50, "incomes are written one by one ({} values)", incomes.len());
    release_risk_matches_the_parquet(&dir);
}

/// The report's release risk equals the one recomputed from the Parquet file.
fn release_risk_matches_the_parquet(dir: &std::path::Path) {
    let rep = report(dir);
    let risk = &rep["release_risk"];
    let cols: Vec<String> = risk["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().into()).collect();
    // Everything released but the sensitive columns and the record code.
    let t = read_parquet(&dir.join("resident_registry.parquet"));
    for c in ["年齢階級", "性別", "地方", "課税所得階級", "国保加入"] {
        assert!(cols.contains(&c.to_string()), "{c} missing from {cols:?}");
    }
    for c in ["レコードID", "要介護度", "障害者手帳", "年齢階級_min"] {
        assert!(!cols.contains(&c.to_string()), "{c} must not count as known");
    }
    let all = classes(&t, &cols);
    let k = all.values().map(Vec::len).min().unwrap() as u64;
    let uniques = all.values().filter(|c| c.len() == 1).count() as u64;
    let below: u64 = all.values().filter(|c| c.len() < 5).map(|c| c.len() as u64).sum();
    assert_eq!(risk["k"].as_u64().unwrap(), k);
    assert_eq!(risk["unique_records"].as_u64().unwrap(), uniques);
    assert_eq!(risk["records_below_k"].as_u64().unwrap(), below);
    // Each column outside the key, added alone.
    let key = names(&rep["quasi_identifiers"]);
    for added in risk["by_column"].as_array().unwrap() {
        let mut with = key.clone();
        with.push(added["column"].as_str().unwrap().into());
        let cl = classes(&t, &with);
        let u = cl.values().filter(|c| c.len() == 1).count() as u64;
        assert_eq!(added["unique_records"].as_u64().unwrap(), u, "{added}");
    }
    if k < 5 {
        let ja = std::fs::read_to_string(dir.join("report.md")).unwrap();
        assert!(ja.contains("警告"), "a release risk below k is warned about");
    }
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect()
}

#[test]
fn banded_columns_sort_and_filter_through_their_bounds_and_the_dictionary_is_in_natural_order() {
    let env = Env::new();
    let dir = run_sample(&env, &sample_rules());
    let t = read_parquet(&dir.join("resident_registry.parquet"));
    for col in ["年齢階級", "課税所得階級"] {
        let (c, lo, hi) = (t.col(col), t.col(&format!("{col}_min")), t.col(&format!("{col}_max")));
        assert_eq!(t.types[lo], arrow::datatypes::DataType::Int64);
        for r in &t.rows {
            let (a, b) = (r[lo].as_deref(), r[hi].as_deref());
            // A rare value suppressed (standard 4) takes its bounds with it.
            let Some(label) = r[c].as_deref() else {
                assert_eq!((a, b), (None, None), "{col}: a null label keeps no bounds");
                continue;
            };
            // The label and its bounds agree: "35-39" -> 35..39, "90+" -> 90.., "<0" -> ..-1.
            if let Some((x, y)) = label.split_once('-').filter(|(x, _)| !x.is_empty()) {
                assert_eq!((a, b), (Some(x), Some(y)), "{col} {label}");
            } else if let Some(x) = label.strip_suffix('+') {
                assert_eq!((a, b), (Some(x), None), "{col} {label}");
            } else if label == "*" {
                assert_eq!((a, b), (None, None));
            }
        }
    }
    // The dictionary lists age bands in numeric order, not text order.
    let rep = report(&dir);
    let age = rep["columns"].as_array().unwrap().iter().find(|c| c["output"] == "年齢階級").unwrap();
    let cats: Vec<String> =
        age["values"]["categories"].as_array().unwrap().iter().map(|c| c[0].as_str().unwrap().to_string()).collect();
    let lows: Vec<i64> =
        cats.iter().map(|c| c.trim_end_matches('+').split('-').next().unwrap().parse().unwrap()).collect();
    let mut sorted = lows.clone();
    sorted.sort();
    assert_eq!(lows, sorted, "{cats:?}");
    // Every released column has its values described, booleans included.
    let dict = std::fs::read_to_string(dir.join("data_dictionary.md")).unwrap();
    assert!(dict.contains("データ辞書 / Data dictionary"));
    for c in rep["columns"].as_array().unwrap().iter().filter(|c| !c["output"].is_null()) {
        assert!(!c["values"].is_null(), "{} has no values", c["output"]);
    }
    assert!(dict.contains("false, true") || dict.contains("true, false"), "国保加入's values are listed");
}

#[test]
fn a_standard_that_fails_names_the_column_its_rule_line_and_the_fix() {
    let env = Env::new();
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    let kept = rules.replace(
        "action = \"generalize\"\nhierarchy = \"bands\"\nbands = [1000000, 5000000]\ntop = 20000000\nbottom = 0\nlevel = 1\noutput = \"課税所得階級\"",
        "action = \"keep\"\ntype = \"integer\"",
    );
    assert_ne!(kept, rules);
    let line = kept.lines().position(|l| l == "name = \"課税所得\"").unwrap() + 1;
    let path = env.write("std4.toml", &kept);
    let job = env.job("s4", &sample_csv(), &path, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("課税所得"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("std4.toml:{line}")), "{}", r.stderr);
    assert!(r.stderr.contains("top_bottom_code") && r.stderr.contains("規則62条4号"), "{}", r.stderr);
}

#[test]
fn unknown_keys_and_actions_get_a_did_you_mean() {
    let env = Env::new();
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    let cases: HashMap<&str, (String, &str)> = HashMap::from([
        ("key", (rules.replacen("level = 2", "levle = 2", 1), "did you mean `level`?")),
        ("action", (rules.replacen("action = \"drop\"", "action = \"delete\"", 1), "did you mean `drop`?")),
        ("role", (rules.replacen("role = \"sensitive\"", "role = \"sensitve\"", 1), "did you mean `sensitive`?")),
    ]);
    for (what, (src, hint)) in cases {
        let path = env.write(&format!("{what}.toml"), &src);
        let job = env.job(&format!("j{what}"), &sample_csv(), &path, "");
        let r = env.tokumei(&["check", job.to_str().unwrap()]);
        assert_eq!(r.code, 3, "{what}: {}", r.stderr);
        assert!(r.stderr.contains(hint), "{what}: {}", r.stderr);
    }
}

#[test]
fn rejected_rows_are_explained_per_column_and_reason() {
    let env = Env::new();
    let mut rows = sample_records();
    let born = rows[0].iter().position(|h| h == "生年月日").unwrap();
    rows[10][born] = "not a date".into();
    rows[20][born] = "2999-01-01".into();
    let input = write_rows(&env, "rej.csv", &rows);
    let rules = std::fs::read_to_string(sample_rules())
        .unwrap()
        .replace("on_malformed = \"error\"", "on_malformed = \"reject\"\nmax_rejected = 0.01");
    let rules = env.write("rej_rules.toml", &rules);
    let job = env.job("rej", &input, &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    let reasons = rep["rejected_reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons.iter().all(|r| r[0] == "生年月日" && r[2] == 1));
    let md = std::fs::read_to_string(env.latest().join("report.md")).unwrap();
    assert!(md.contains("除外した理由") && !md.contains("2999-01-01") && !md.contains("not a date"));
}

#[test]
fn financial_columns_are_checked_not_assumed() {
    let env = Env::new();
    let key = env.path("k.key");
    assert_eq!(env.tokumei(&["keygen", "--out", key.to_str().unwrap()]).code, 0);
    let mut csv = String::from("宛名番号,カード番号,性別\n");
    for i in 0..40 {
        csv.push_str(&format!("{},4111111111111{:03},{}\n", 100000 + i, i, if i % 2 == 0 { "男" } else { "女" }));
    }
    let input = env.write("in.csv", &csv);
    let rules = |card: &str| {
        format!(
            "version = 1\ndataset = \"fin\"\nmode = \"pseudonymized\"\n[privacy]\nk = 1\nmax_suppression = 0.0\n\
             [[column]]\nname = \"宛名番号\"\nrole = \"linking_code\"\naction = \"pseudonymize\"\n\
             [[column]]\nname = \"カード番号\"\nrole = \"financial\"\naction = \"{card}\"\n\
             [[column]]\nname = \"性別\"\nrole = \"quasi_identifier\"\naction = \"keep\"\n"
        )
    };
    let extra = format!("encoding = \"utf-8\"\n[keys]\npseudonym_key_file = \"{}\"", key.display());
    // Kept: refused by the rules, naming the regulation.
    let bad = env.write("bad.toml", &rules("keep"));
    let job = env.job("bad", &input, &bad, &extra);
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Config.code(), "{}", r.stderr);
    assert!(r.stderr.contains("規則31条3号"), "{}", r.stderr);
    // Dropped: standard 3 of pseudonymised data names the column.
    let good = env.write("good.toml", &rules("drop"));
    let job = env.job("good", &input, &good, &extra);
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    let s3 =
        rep["processing_standards"].as_array().unwrap().iter().find(|s| s["legal"] == "規則31条3号").unwrap().clone();
    assert_eq!(s3["passed"], true);
    assert!(s3["evidence"].to_string().contains("カード番号"), "{s3}");
    assert!(!std::fs::read_to_string(env.latest().join("report.json")).unwrap().contains("4111111111111"));
}

#[test]
fn a_waived_l_states_its_reason_in_the_report_and_rules_without_one_are_refused() {
    let env = Env::new();
    let src = std::fs::read_to_string(sample_rules()).unwrap();
    let reason_line =
        src.lines().find(|l| l.starts_with("l_reason = ")).expect("the sample states a reason").to_string();
    let without = env.write("without.toml", &src.replace(&format!("{reason_line}\n"), ""));
    let job = env.job("without", &sample_csv(), &without, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Config.code(), "{}", r.stderr);
    assert!(r.stderr.contains("without saying why") && r.stderr.contains("l_reason"), "{}", r.stderr);
    // A reason where nothing is lowered is refused too.
    let stray_src = src.replace(
        "role = \"sensitive\"\naction = \"keep\"\ndescription = \"disability",
        &format!("role = \"sensitive\"\naction = \"keep\"\n{reason_line}\ndescription = \"disability"),
    );
    assert_ne!(stray_src, src);
    let stray = env.write("stray.toml", &stray_src);
    let job = env.job("stray", &sample_csv(), &stray, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Config.code(), "{}", r.stderr);
    assert!(r.stderr.contains("applies only where"), "{}", r.stderr);
    let job = env.job("with", &sample_csv(), &sample_rules(), "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    let s5 = rep["processing_standards"].as_array().unwrap().iter().find(|s| s["id"] == 5).unwrap().clone();
    let reason = reason_line.trim_start_matches("l_reason = ").trim_matches('"');
    assert!(s5["evidence_ja"].to_string().contains(reason), "{s5}");
    assert!(s5["evidence"].to_string().contains("要介護度: l-diversity waived"), "{s5}");
    assert!(std::fs::read_to_string(env.latest().join("report.md")).unwrap().contains(reason));
}

#[test]
fn rare_values_outside_the_key_are_suppressed_and_reported_under_standard_4() {
    let env = Env::new();
    let dir = run_sample(&env, &sample_rules());
    let t = read_parquet(&dir.join("resident_registry.parquet"));
    let rep = report(&dir);
    let k = rep["k"].as_u64().unwrap() as usize;
    // Recomputed from the Parquet: no insensitive categorical value outside the key is held by
    // fewer than k records.
    for col in ["課税所得階級", "国保加入"] {
        let c = t.col(col);
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for r in &t.rows {
            if let Some(v) = r[c].as_deref() {
                *counts.entry(v).or_default() += 1;
            }
        }
        for (v, n) in &counts {
            assert!(*n >= k, "{col}: value {v} held by {n} < {k} records");
        }
    }
    let s4 = rep["processing_standards"].as_array().unwrap().iter().find(|s| s["id"] == 4).unwrap().clone();
    assert_eq!(s4["passed"], true);
    let evidence = s4["evidence"].to_string();
    assert!(evidence.contains("課税所得") && evidence.contains("suppressed"), "{evidence}");
    assert!(evidence.contains("要介護度"), "sensitive columns are covered too: {evidence}");
    let nulls = t.rows.iter().filter(|r| r[t.col("課税所得階級")].is_none()).count();
    let col = rep["columns"].as_array().unwrap().iter().find(|c| c["name"] == "課税所得").unwrap();
    assert_eq!(col["cells_suppressed"].as_u64().unwrap() as usize, nulls, "the report counts the cells it nulled");
    assert!(nulls > 0, "the sample has rare high incomes");
}

/// A job file with a top-level `actor`.
fn job_with_actor(env: &Env, name: &str, rules: &std::path::Path, actor: &str, extra: &str) -> std::path::PathBuf {
    let job = env.job(name, &sample_csv(), rules, extra);
    let text = std::fs::read_to_string(&job).unwrap().replacen(
        "version = 1\n",
        &format!("version = 1\nactor = \"{actor}\"\n"),
        1,
    );
    std::fs::write(&job, text).unwrap();
    job
}

#[test]
fn the_report_names_the_data_and_its_standards_by_who_makes_them() {
    let env = Env::new();
    let legal = |rep: &serde_json::Value| -> Vec<String> {
        rep["processing_standards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["legal"].as_str().unwrap().to_string())
            .collect()
    };
    // A municipality (the default): 行政機関等匿名加工情報, standards numbered by 規則62条.
    let r = env.tokumei(&["run", env.job("pb", &sample_csv(), &sample_rules(), "").to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    assert_eq!(rep["actor"], "public_body");
    assert_eq!(rep["regime"]["kind_ja"], "行政機関等匿名加工情報");
    assert_eq!(legal(&rep), ["規則62条1号", "規則62条2号", "規則62条3号", "規則62条4号", "規則62条5号"]);
    let md = std::fs::read_to_string(env.latest().join("report.md")).unwrap();
    assert!(
        md.contains("行政機関等匿名加工情報 作成報告書") && md.contains("加工基準（法116条1項・規則62条）"),
        "{md}"
    );
    // A business: 匿名加工情報 under 規則34条.
    let env = Env::new();
    let r = env.tokumei(&["run", job_with_actor(&env, "biz", &sample_rules(), "business", "").to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    assert_eq!(rep["regime"]["kind_ja"], "匿名加工情報");
    assert_eq!(legal(&rep), ["規則34条1号", "規則34条2号", "規則34条3号", "規則34条4号", "規則34条5号"]);
    // A municipality's pseudonymised data is still personal information it holds.
    let env = Env::new();
    let key = env.path("k.key");
    assert_eq!(env.tokumei(&["keygen", "--out", key.to_str().unwrap()]).code, 0);
    let pseudo =
        std::fs::read_to_string(sample_rules()).unwrap().replace("mode = \"anonymized\"", "mode = \"pseudonymized\"");
    let pseudo = env.write("pseudo.toml", &pseudo);
    let extra = format!("encoding = \"auto\"\n[keys]\npseudonym_key_file = \"{}\"", key.display());
    let r = env.tokumei(&["run", env.job("ps", &sample_csv(), &pseudo, &extra).to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    assert!(rep["regime"]["kind_ja"].as_str().unwrap().contains("仮名加工情報ではない"), "{}", rep["regime"]);
    // An unknown actor is a job error at its line.
    let env = Env::new();
    let r = env.tokumei(&["run", job_with_actor(&env, "bad", &sample_rules(), "busines", "").to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Config.code(), "{}", r.stderr);
    assert!(r.stderr.contains("bad.job.toml:2:") && r.stderr.contains("unknown actor"), "{}", r.stderr);
}
