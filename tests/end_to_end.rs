//! The sample job end to end, with every privacy claim recomputed from the Parquet alone.

use crate::util::*;
use std::collections::HashSet;

fn run_sample(env: &Env) -> (serde_json::Value, Table) {
    let job = env.job("sample", &sample_csv(), &sample_rules(), "encoding = \"auto\"");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    let out = env.latest();
    (report(&out), read_parquet(&out.join("resident_registry.parquet")))
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect()
}

#[test]
fn sample_output_is_k_anonymous_and_l_diverse_recomputed_from_parquet() {
    let env = Env::new();
    let (rep, table) = run_sample(&env);
    let k = rep["k"].as_u64().unwrap() as usize;
    let qi = names(&rep["quasi_identifiers"]);
    assert!(qi.len() >= 3, "sample has several quasi-identifiers: {qi:?}");
    assert_eq!(table.rows.len() as u64, rep["rows_out"].as_u64().unwrap());
    assert_eq!(
        rep["rows_in"].as_u64().unwrap(),
        rep["rows_out"].as_u64().unwrap()
            + rep["suppressed"].as_u64().unwrap()
            + rep["rows_rejected"].as_u64().unwrap()
    );
    assert!(table.rows.len() > 9000, "the sample keeps most rows");
    let classes = classes(&table, &qi);
    let smallest = classes.values().map(Vec::len).min().unwrap();
    assert!(smallest >= k, "smallest class {smallest} < k {k}");
    assert_eq!(smallest as u64, rep["k_achieved"].as_u64().unwrap());
    // l-diversity of every sensitive column that requires it, in every class.
    let mut checked = 0;
    for l in rep["l_diversity"].as_array().unwrap() {
        let Some(required) = l["required"].as_u64() else { continue };
        let col = table.col(l["column"].as_str().unwrap());
        for rows in classes.values() {
            let distinct: HashSet<&Option<String>> = rows.iter().map(|r| &table.rows[*r][col]).collect();
            assert!(distinct.len() as u64 >= required, "class with {} distinct values < l {required}", distinct.len());
        }
        checked += 1;
    }
    assert!(checked >= 1, "the sample requires l-diversity of at least one column");
    // Metadata.
    assert_eq!(table.metadata["tokumei.release_id"], rep["release_id"].as_str().unwrap());
    assert_eq!(table.metadata["tokumei.k"], k.to_string());
    assert_eq!(table.metadata["tokumei.mode"], "anonymized");
    assert_eq!(rep["input"]["encoding"], "CP932 (Shift_JIS), detected");
    assert_eq!(table.metadata["tokumei.rules_sha256"], rep["rules_sha256"].as_str().unwrap());
    // Five standards reported, all passing.
    let std = rep["processing_standards"].as_array().unwrap();
    assert_eq!(std.len(), 5);
    assert!(std.iter().all(|s| s["passed"].as_bool().unwrap()));
    // Typed columns.
    assert_eq!(table.types[table.col("国保加入")], arrow::datatypes::DataType::Boolean);
    // Report columns: name, role, action, output (null when dropped).
    let cols = rep["columns"].as_array().unwrap();
    assert_eq!(cols.len(), 17);
    let mynum = cols.iter().find(|c| c["name"] == "個人番号").unwrap();
    assert_eq!(mynum["action"], "drop");
    assert!(mynum["output"].is_null());
    for f in ["report.md", "data_dictionary.md"] {
        assert!(env.latest().join(f).exists());
    }
}

#[test]
fn no_identifier_value_of_the_input_survives_anywhere() {
    let env = Env::new();
    let (rep, table) = run_sample(&env);
    let input = read_csv_cp932(&sample_csv());
    let header = &input[0];
    let roles: Vec<(String, String)> = rep["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), c["role"].as_str().unwrap().to_string()))
        .collect();
    let protected: Vec<usize> = roles
        .iter()
        .filter(|(_, role)| ["direct_identifier", "identification_code", "linking_code"].contains(&role.as_str()))
        .map(|(name, _)| header.iter().position(|h| h == name).unwrap())
        .collect();
    assert!(protected.len() >= 8);
    let mut secrets: HashSet<String> = HashSet::new();
    for row in &input[1..] {
        for c in &protected {
            let v = row[*c].trim();
            if !v.is_empty() {
                secrets.insert(v.to_string());
            }
        }
    }
    assert!(secrets.len() > 20_000);
    // No output cell equals an identifier value.
    for row in &table.rows {
        for v in row.iter().flatten() {
            assert!(!secrets.contains(v.as_str()), "an identifier value survived in the Parquet output");
        }
    }
    // No report text contains one (values of 6+ characters, to skip short common words).
    let long: Vec<&String> = secrets.iter().filter(|s| s.chars().count() >= 6).collect();
    for f in ["report.json", "report.md", "data_dictionary.md"] {
        let text = std::fs::read_to_string(env.latest().join(f)).unwrap();
        for s in &long {
            assert!(!text.contains(s.as_str()), "{f} contains an identifier value");
        }
    }
    // The pseudonymised record codes are fixed-length hex and unique.
    let id = table.col("レコードID");
    let codes: HashSet<&String> = table.rows.iter().map(|r| r[id].as_ref().unwrap()).collect();
    assert_eq!(codes.len(), table.rows.len());
    assert!(codes.iter().all(|c| c.len() == 16 && c.chars().all(|ch| ch.is_ascii_hexdigit())));
}

#[test]
fn anonymized_codes_differ_between_releases() {
    let a = Env::new();
    let b = Env::new();
    let (_, ta) = run_sample(&a);
    let (rb, tb) = run_sample(&b);
    let col = ta.col("レコードID");
    let ca: HashSet<&String> = ta.rows.iter().filter_map(|r| r[col].as_ref()).collect();
    let shared = tb.rows.iter().filter_map(|r| r[col].as_ref()).filter(|c| ca.contains(c)).count();
    assert_eq!(shared, 0, "a per-release random key must make codes unlinkable across releases");
    assert!(rb["key_id"].as_str().unwrap().starts_with("ephemeral"));
}

#[test]
fn pseudonymized_mode_keeps_one_code_per_person_with_a_managed_key() {
    let env = Env::new();
    let key = env.path("pseudonym.key");
    let r = env.tokumei(&["keygen", "--out", key.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let key_text = std::fs::read_to_string(&key).unwrap();
    assert!(!r.stdout.contains(key_text.trim()), "keygen must not print the key");
    let rules =
        std::fs::read_to_string(sample_rules()).unwrap().replace("mode = \"anonymized\"", "mode = \"pseudonymized\"");
    let rules = env.write("pseudo_rules.toml", &rules);
    let extra = format!("encoding = \"auto\"\n[keys]\npseudonym_key_file = \"{}\"", key.display());
    let job = env.job("pseudo", &sample_csv(), &rules, &extra);
    let mut runs = Vec::new();
    for _ in 0..2 {
        let r = env.tokumei(&["run", job.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let t = read_parquet(&env.latest().join("resident_registry.parquet"));
        let rep = report(&env.latest());
        assert_eq!(rep["mode"], "pseudonymized");
        let key_id = rep["key_id"].as_str().unwrap().to_string();
        assert!(key_id.starts_with("k1:"));
        assert!(!std::fs::read_to_string(env.latest().join("report.json")).unwrap().contains(key_text.trim()));
        let col = t.col("レコードID");
        let mut codes: Vec<String> = t.rows.iter().map(|r| r[col].clone().unwrap()).collect();
        codes.sort();
        runs.push((codes, key_id));
    }
    assert_eq!(runs[0], runs[1], "the same key gives the same codes");
}

#[test]
fn check_validates_without_writing() {
    let env = Env::new();
    let job = env.job("sample", &sample_csv(), &sample_rules(), "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("check passed"), "{}", r.stdout);
    assert!(env.out_files().is_empty());
    let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
    assert!(log.contains("\"action\":\"check\""));
}

#[test]
fn adult_job_search_finds_the_arx_optimum_and_the_parquet_is_5_anonymous() {
    let env = Env::new();
    let adult = repo().join("samples/adult/adult.csv");
    let job = env.job("adult", &adult, &repo().join("rules/adult.toml"), "delimiter = \";\"\nencoding = \"utf-8\"");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    let search = &rep["search"];
    assert_eq!(search["optimal"], true);
    assert!((search["quality"].as_f64().unwrap() - 0.313713).abs() < 1e-6);
    let levels: Vec<u64> = search["levels"].as_array().unwrap().iter().map(|l| l[1].as_u64().unwrap()).collect();
    assert_eq!(levels, vec![0, 3, 0, 2, 2, 1, 1, 2, 0]);
    assert_eq!(rep["suppressed"], 506);
    // The rules ask for the Mondrian comparison: k-anonymous partitions, less loss (local recoding).
    let local = &search["local_recoding"];
    assert!(local["min_size"].as_u64().unwrap() >= 5);
    assert!(local["quality"].as_f64().unwrap() < search["quality"].as_f64().unwrap());
    let t = read_parquet(&env.latest().join("adult.parquet"));
    assert_eq!(t.rows.len(), 30162 - 506);
    let qi = names(&rep["quasi_identifiers"]);
    assert_eq!(qi.len(), 9);
    let classes = classes(&t, &qi);
    assert_eq!(classes.len(), 222);
    assert!(classes.values().all(|c| c.len() >= 5));
    // Generalised values are the hierarchy's labels at the chosen levels, e.g. age level 3.
    let age = t.col("age");
    assert!(t.rows.iter().all(|r| r[age].as_deref().is_some_and(|a| a == "*" || a.contains('-'))));
}

#[test]
fn t_closeness_recursive_l_and_average_risk_hold_in_every_output_class() {
    let env = Env::new();
    let rules = searched_rules(&env, "l_model = \"recursive\"\nc = 20.0\nt = 0.4\nmax_average_risk = 0.05");
    let job = env.job("models", &sample_csv(), &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    assert_eq!(rep["search"]["optimal"], true);
    let t = read_parquet(&env.latest().join("resident_registry_search.parquet"));
    let classes = classes(&t, &names(&rep["quasi_identifiers"]));
    // t-closeness (equal distance) against the reference distribution the report states.
    let tc = rep["t_closeness"].as_array().unwrap();
    assert_eq!(tc.len(), 2);
    for entry in tc {
        let col = t.col(entry["column"].as_str().unwrap());
        let reference: std::collections::HashMap<String, f64> = entry["reference"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_f64().unwrap()))
            .collect();
        for rows in classes.values() {
            let mut counts: std::collections::HashMap<String, f64> = std::collections::HashMap::new();
            for r in rows {
                *counts.entry(t.rows[*r][col].clone().unwrap_or_default()).or_default() += 1.0;
            }
            let n = rows.len() as f64;
            let d: f64 =
                reference.iter().map(|(v, q)| (counts.get(v).copied().unwrap_or(0.0) / n - q).abs()).sum::<f64>() / 2.0;
            assert!(d <= 0.4 + 1e-9, "class at distance {d} > t");
        }
    }
    // Recursive (c=20, l=2)-diversity of 障害者手帳.
    let col = t.col("障害者手帳");
    for rows in classes.values() {
        let mut counts: std::collections::HashMap<&Option<String>, u64> = std::collections::HashMap::new();
        for r in rows {
            *counts.entry(&t.rows[*r][col]).or_default() += 1;
        }
        let mut c: Vec<u64> = counts.into_values().collect();
        c.sort_unstable_by(|a, b| b.cmp(a));
        assert!(c.len() >= 2 && (c[0] as f64) < 20.0 * c[1..].iter().sum::<u64>() as f64);
    }
    // Average risk: classes / records.
    assert!(classes.len() as f64 / t.rows.len() as f64 <= 0.05);
    assert!(rep["l_model"].as_str().unwrap().starts_with("recursive"));
}

#[test]
fn hierarchical_t_closeness_holds_in_every_output_class() {
    let env = Env::new();
    let rules = searched_rules(&env, "t = 0.15");
    let job = env.job("tree", &sample_csv(), &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    let entry = rep["t_closeness"].as_array().unwrap().iter().find(|t| t["column"] == "要介護度").unwrap().clone();
    assert_eq!(entry["distance"], "hierarchical");
    let reference: std::collections::HashMap<String, f64> = entry["reference"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_f64().unwrap()))
        .collect();
    let group = |v: &str| {
        if v == "なし" {
            "認定なし"
        } else if v.starts_with("要支援") {
            "要支援"
        } else {
            "要介護"
        }
    };
    let t = read_parquet(&env.latest().join("resident_registry_search.parquet"));
    let col = t.col("要介護度");
    let classes = classes(&t, &names(&rep["quasi_identifiers"]));
    let mut worst: f64 = 0.0;
    for rows in classes.values() {
        let n = rows.len() as f64;
        let mut p: std::collections::HashMap<String, f64> = std::collections::HashMap::new();
        for r in rows {
            *p.entry(t.rows[*r][col].clone().unwrap()).or_default() += 1.0 / n;
        }
        // Two-level tree: within a group moves cost 1/2, across groups 1.
        let mut groups: std::collections::HashMap<&str, (f64, f64, f64)> = std::collections::HashMap::new();
        for (v, q) in &reference {
            let e = p.get(v).copied().unwrap_or(0.0) - q;
            let g = groups.entry(group(v)).or_default();
            g.0 += e;
            if e > 0.0 { g.1 += e } else { g.2 -= e }
        }
        let within: f64 = groups.values().map(|(_, pos, neg)| 0.5 * pos.min(*neg)).sum();
        let pos: f64 = groups.values().map(|g| g.0.max(0.0)).sum();
        let neg: f64 = groups.values().map(|g| (-g.0).max(0.0)).sum();
        let d = within + pos.min(neg);
        assert!(d <= 0.15 + 1e-9, "class at hierarchical distance {d}");
        worst = worst.max(d);
    }
    assert!((worst - entry["achieved"].as_f64().unwrap()).abs() < 1e-9);
}

#[test]
fn local_recoding_applied_is_k_anonymous_and_l_diverse_from_the_parquet() {
    let env = Env::new();
    let rules = searched_rules(&env, "local_recoding = \"apply\"");
    let job = env.job("local", &sample_csv(), &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    assert_eq!(rep["search"]["applied"], "local");
    // Mondrian is a heuristic: its loss is reported next to the global optimum's, either may win.
    let local = &rep["search"]["local_recoding"];
    assert!(local["quality"].as_f64().unwrap() > 0.0 && local["min_size"].as_u64().unwrap() >= 5);
    let t = read_parquet(&env.latest().join("resident_registry_search.parquet"));
    assert_eq!(t.rows.len() as u64, rep["rows_out"].as_u64().unwrap());
    let classes = classes(&t, &names(&rep["quasi_identifiers"]));
    assert!(classes.values().all(|c| c.len() >= 5), "a class is smaller than k");
    let col = t.col("障害者手帳");
    for rows in classes.values() {
        let distinct: std::collections::HashSet<&Option<String>> = rows.iter().map(|r| &t.rows[*r][col]).collect();
        assert!(distinct.len() >= 2);
    }
    // Local recoding mixes levels within a column: ages show both bands and finer values.
    let age = t.col("年齢");
    let shown: std::collections::HashSet<&str> = t.rows.iter().filter_map(|r| r[age].as_deref()).collect();
    assert!(shown.len() > 10, "{shown:?}");
}

#[test]
fn anonymized_rows_are_in_a_random_order_per_release() {
    // Input order links rows (a household's members are neighbours); releases shuffle it away.
    let runs: Vec<(serde_json::Value, Table)> = (0..2).map(|_| run_sample(&Env::new())).collect();
    assert_eq!(runs[0].0["row_order"], "random per release");
    let seq = |t: &Table| -> Vec<String> {
        let cols: Vec<usize> =
            ["年齢階級", "性別", "地方", "要介護度", "障害者手帳", "課税所得階級"].iter().map(|c| t.col(c)).collect();
        t.rows.iter().map(|r| format!("{:?}", cols.iter().map(|c| &r[*c]).collect::<Vec<_>>())).collect()
    };
    let (a, b) = (seq(&runs[0].1), seq(&runs[1].1));
    assert_ne!(a, b, "two releases have the same row order");
    let (mut sa, mut sb) = (a.clone(), b.clone());
    sa.sort();
    sb.sort();
    assert_eq!(sa, sb, "the releases hold the same rows");
    // Neither follows the input order: neighbours in the input (same 世帯番号) are rarely
    // neighbours in the output. Count adjacent equal-household pairs via the input's order of
    // age bands: compare with an unshuffled run.
    let env = Env::new();
    let src = std::fs::read_to_string(sample_rules())
        .unwrap()
        .replace("mode = \"anonymized\"", "mode = \"anonymized\"\nshuffle = false");
    let rules = env.write("ordered_rules.toml", &src);
    let job = env.job("ordered", &sample_csv(), &rules, "");
    assert_eq!(env.tokumei(&["run", job.to_str().unwrap()]).code, 0);
    let ordered = read_parquet(&env.latest().join("resident_registry.parquet"));
    assert_eq!(report(&env.latest())["row_order"], "input order");
    let o = seq(&ordered);
    let same_position = |x: &[String]| x.iter().zip(&o).filter(|(p, q)| p == q).count() as f64 / o.len() as f64;
    assert!(same_position(&a) < 0.5 && same_position(&b) < 0.5, "shuffled rows still follow the input order");
}

#[test]
fn ordered_t_closeness_of_a_numeric_column_holds_in_every_output_class() {
    // Taxable income as an ordered sensitive column (rules/resident_registry_t.toml), with 30
    // distinct amounts so every amount is released and the reference is complete.
    let env = Env::new();
    let mut rows = sample_records();
    let col = rows[0].iter().position(|h| h == "課税所得").unwrap();
    for (i, r) in rows.iter_mut().enumerate().skip(1) {
        r[col] = ((i * 7919 % 30) * 250_000).to_string();
    }
    let input = write_rows(&env, "income.csv", &rows);
    let job = env.job("tjob", &input, &repo().join("rules/resident_registry_t.toml"), "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    let entry = &rep["t_closeness"][0];
    assert_eq!(entry["column"], "課税所得");
    assert_eq!(entry["distance"], "ordered");
    let t_req = entry["t"].as_f64().unwrap();
    let mut reference: Vec<(i64, f64)> = entry["reference"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (p[0].as_str().unwrap().parse::<i64>().expect("every reference value is released"), p[1].as_f64().unwrap())
        })
        .collect();
    reference.sort_by_key(|p| p.0);
    assert_eq!(reference.len(), 30);
    let m = reference.len();
    let t = read_parquet(&env.latest().join("resident_registry_t.parquet"));
    let c = t.col("課税所得");
    let mut worst: f64 = 0.0;
    for rows in classes(&t, &names(&rep["quasi_identifiers"])).values() {
        let n = rows.len() as f64;
        let (mut cum, mut total) = (0.0, 0.0);
        for (v, q) in reference.iter().take(m - 1) {
            let p =
                rows.iter().filter(|r| t.rows[**r][c].as_deref() == Some(v.to_string().as_str())).count() as f64 / n;
            cum += p - q;
            total += f64::abs(cum);
        }
        let d = total / (m - 1) as f64;
        assert!(d <= t_req + 1e-9, "a class is at ordered distance {d} > t = {t_req}");
        worst = worst.max(d);
    }
    assert!((worst - entry["achieved"].as_f64().unwrap()).abs() < 1e-9, "the report states the worst distance");
}

/// Enhanced β-likeness, recomputed from the Parquet against the input's own distribution: in
/// every output class, a value with input share p has class share q with (q - p) / p at most
/// min(β, -ln p), and the report's achieved value is the largest such gain.
#[test]
fn enhanced_beta_likeness_holds_in_every_output_class() {
    const BETA: f64 = 1.0;
    let env = Env::new();
    let rules = searched_rules(&env, &format!("beta = {BETA:?}"));
    let job = env.job("beta", &sample_csv(), &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    assert_eq!(rep["rows_rejected"], 0, "the input's distribution is the reference");
    let input = sample_records();
    let t = read_parquet(&env.latest().join("resident_registry_search.parquet"));
    let classes = classes(&t, &names(&rep["quasi_identifiers"]));
    let sensitive = names(&rep["sensitive"]);
    assert_eq!(sensitive.len(), 2);
    for column in &sensitive {
        let i = input[0].iter().position(|h| h == column).unwrap();
        let mut p: std::collections::HashMap<String, f64> = std::collections::HashMap::new();
        for row in &input[1..] {
            *p.entry(row[i].clone()).or_default() += 1.0 / (input.len() - 1) as f64;
        }
        let col = t.col(column);
        let mut worst: f64 = 0.0;
        for rows in classes.values() {
            let mut q: std::collections::HashMap<String, f64> = std::collections::HashMap::new();
            for r in rows {
                *q.entry(t.rows[*r][col].clone().unwrap()).or_default() += 1.0 / rows.len() as f64;
            }
            for (v, q) in &q {
                let p = p[v];
                if *q > p {
                    let gain = (q - p) / p;
                    assert!(gain <= BETA.min(-p.ln()) + 1e-9, "{column}: {v} gains {gain} in a class");
                    worst = worst.max(gain);
                }
            }
        }
        let entry = rep["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["model"] == "beta_likeness" && m["column"] == column.as_str())
            .unwrap_or_else(|| panic!("no β-likeness entry for {column}"));
        assert_eq!(entry["required"], BETA);
        assert!((entry["achieved"].as_f64().unwrap() - worst).abs() < 1e-9, "{entry} vs {worst}");
    }
    // The search had to do more than k and l alone: without β the optimum keeps finer classes.
    let plain = Env::new();
    let rules = searched_rules(&plain, "");
    let job = plain.job("plain", &sample_csv(), &rules, "");
    assert_eq!(plain.tokumei(&["run", job.to_str().unwrap()]).code, 0);
    let without = report(&plain.latest());
    assert!(without["search"]["quality"].as_f64().unwrap() < rep["search"]["quality"].as_f64().unwrap());
    assert!(!without["models"].as_array().unwrap().iter().any(|m| m["model"] == "beta_likeness"));
}

/// β-likeness at fixed levels suppresses the classes it fails, and says so, or refuses the
/// release when that would exceed the limit.
#[test]
fn beta_likeness_at_fixed_levels_names_what_it_would_suppress() {
    let env = Env::new();
    let src = std::fs::read_to_string(sample_rules())
        .unwrap()
        .replace("max_suppression = 0.05", "max_suppression = 0.05\nbeta = 2.0");
    let rules = env.write("r.toml", &src);
    let job = env.job("fixed", &sample_csv(), &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("suppressed for enhanced β-likeness of 要介護度, β=2:"), "{}", r.stderr);
    assert!(env.out_files().is_empty());
}

/// Rows are transformed on several threads; the release is the same, row for row, on one.
#[test]
fn the_release_does_not_depend_on_the_number_of_threads() {
    let env = Env::new();
    let key = env.path("pseudonym.key");
    assert_eq!(env.tokumei(&["keygen", "--out", key.to_str().unwrap()]).code, 0);
    let rules =
        std::fs::read_to_string(sample_rules()).unwrap().replace("mode = \"anonymized\"", "mode = \"pseudonymized\"");
    let rules = env.write("pseudo_rules.toml", &rules);
    let extra = format!("[keys]\npseudonym_key_file = \"{}\"", key.display());
    let input = write_rows(&env, "gen.csv", &generated_records(&env, 70_000, 9));
    let job = env.job("threads", &input, &rules, &extra);
    let mut releases = Vec::new();
    // One thread, four, and two with pass 2 streaming the spill instead of holding it.
    for (threads, spill) in [("1", "268435456"), ("4", "268435456"), ("2", "0")] {
        let vars = [("TOKUMEI_THREADS", threads), ("TOKUMEI_SPILL_MEMORY", spill)];
        let r = env.tokumei_with(&["run", job.to_str().unwrap()], &vars);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let t = read_parquet(&env.latest().join("resident_registry.parquet"));
        assert!(t.rows.len() > 60_000);
        releases.push((t.columns, t.rows));
    }
    assert!(releases[0] == releases[1], "one thread and four give different releases");
    assert!(releases[0] == releases[2], "a streamed pass 2 gives another release than one in memory");
}

/// A shuffled release whose spill is too large to hold streams the spilled columns and row
/// numbers through bucket files: the same rows come out (in another random order) as when the
/// spill is held in memory, and every row once.
#[test]
fn a_streamed_shuffle_releases_the_same_rows_as_one_in_memory() {
    let env = Env::new();
    let input = write_rows(&env, "gen.csv", &generated_records(&env, 70_000, 11));
    let job = env.job("shuffled", &input, &sample_rules(), "");
    // The same release in input order: its spill is a file read back in order, not buckets.
    let rules = std::fs::read_to_string(sample_rules())
        .unwrap()
        .replace("mode = \"anonymized\"", "mode = \"anonymized\"\nshuffle = false");
    let in_order = env.job("in_order", &input, &env.write("in_order.toml", &rules), "");
    let mut releases = Vec::new();
    for (job, spill) in [(&job, "268435456"), (&job, "0"), (&in_order, "0")] {
        let r = env.tokumei_with(&["run", job.to_str().unwrap()], &[("TOKUMEI_SPILL_MEMORY", spill)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let rep = report(&env.latest());
        assert_eq!(rep["mode"], "anonymized");
        let t = read_parquet(&env.latest().join("resident_registry.parquet"));
        let code = t.col("レコードID");
        let codes: std::collections::HashSet<&Option<String>> = t.rows.iter().map(|r| &r[code]).collect();
        assert_eq!(codes.len(), t.rows.len(), "record codes are not one per row");
        // The record codes are random per release: compare the rest.
        let rows: Vec<Vec<Option<String>>> = t
            .rows
            .iter()
            .map(|r| r.iter().enumerate().filter(|(i, _)| *i != code).map(|(_, v)| v.clone()).collect())
            .collect();
        assert!(rows.len() > 60_000);
        releases.push(rows);
    }
    assert_ne!(releases[0], releases[1], "two shuffles gave the same order");
    for r in &mut releases {
        r.sort();
    }
    assert!(releases[0] == releases[1], "a streamed shuffle released other rows than one in memory");
    assert!(releases[0] == releases[2], "a shuffled release has other rows than one in input order");
}

/// Spilled values stay with their rows through the shuffle: with a managed key (the same code
/// for the same person in every run), a shuffled release, held in memory or streamed through
/// the bucket files, holds exactly the rows, codes included, of the release in input order.
#[test]
fn shuffled_spilled_columns_stay_with_their_rows() {
    let env = Env::new();
    let key = env.path("pseudonym.key");
    assert_eq!(env.tokumei(&["keygen", "--out", key.to_str().unwrap()]).code, 0);
    let extra = format!("[keys]\npseudonym_key_file = \"{}\"", key.display());
    let input = write_rows(&env, "gen.csv", &generated_records(&env, 40_000, 5));
    let base = std::fs::read_to_string(sample_rules()).unwrap();
    let mut releases = Vec::new();
    for (name, shuffle, spill) in [("ordered", "false", "0"), ("held", "true", "268435456"), ("streamed", "true", "0")]
    {
        let rules = base.replace("mode = \"anonymized\"", &format!("mode = \"pseudonymized\"\nshuffle = {shuffle}"));
        let job = env.job(name, &input, &env.write(&format!("{name}.toml"), &rules), &extra);
        let r = env.tokumei_with(&["run", job.to_str().unwrap()], &[("TOKUMEI_SPILL_MEMORY", spill)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let t = read_parquet(&env.latest().join("resident_registry.parquet"));
        assert!(t.rows.len() > 30_000);
        releases.push(t.rows);
    }
    assert_ne!(releases[0], releases[1], "the shuffled release is in input order");
    assert_ne!(releases[1], releases[2], "two shuffles gave the same order");
    for r in &mut releases {
        r.sort();
    }
    assert!(releases[0] == releases[1], "a shuffle held in memory moved values between rows");
    assert!(releases[0] == releases[2], "a streamed shuffle moved values between rows");
}

/// HMAC-SHA-256 (RFC 2104) written out here, so the codes are checked against the standard and
/// not against the code that made them.
fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let pad = |byte: u8| -> Vec<u8> { (0..64).map(|i| key.get(i).copied().unwrap_or(0) ^ byte).collect() };
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

/// Every released code is the HMAC-SHA-256, under the managed key, of the column's name, a zero
/// byte and a value of the input, cut to the rule's length (odd lengths too), whichever way pass
/// 2 gets the spilled codes back (held in memory, streamed in order, streamed through the
/// shuffle's buckets from pass 1 or, for a query's rows, from pass 2), and no code is released
/// more often than its value is in the input; the releases of one length hold the same rows.
#[test]
fn released_codes_are_the_keyed_hmac_of_input_values_at_their_length() {
    use sha2::{Digest, Sha256};
    let env = Env::new();
    let key_file = env.path("pseudonym.key");
    assert_eq!(env.tokumei(&["keygen", "--out", key_file.to_str().unwrap()]).code, 0);
    let key_text = std::fs::read_to_string(&key_file).unwrap();
    let key: [u8; 32] = Sha256::digest(hex::decode(key_text.trim()).unwrap()).into();
    let extra = format!("[keys]\npseudonym_key_file = \"{}\"", key_file.display());
    // More rows than one written batch (64k), so a bucket is written in several.
    let records = generated_records(&env, 70_000, 21);
    let input = write_rows(&env, "gen.csv", &records);
    let base = std::fs::read_to_string(sample_rules()).unwrap();
    assert!(base.contains("length = 16"), "the sample rules' code length moved");
    let mut of_length: std::collections::HashMap<usize, Vec<Vec<Vec<Option<String>>>>> = Default::default();
    let runs = [
        (17, true, "0", false),
        (17, true, "268435456", false),
        (17, true, "0", true),
        (64, false, "0", false),
        (23, false, "268435456", false),
    ];
    // A query needs the `query` feature (DataFusion).
    for (length, shuffle, spill, query) in runs.into_iter().filter(|r| cfg!(feature = "query") || !r.3) {
        let mut expected: std::collections::HashMap<String, usize> = Default::default();
        for r in &records[1..] {
            // NFKC of full-width ASCII (the generator's only non-ASCII digits), then trimmed.
            let value: String = r[0]
                .chars()
                .map(|c| char::from_u32(c as u32 - if c > '\u{FF00}' { 0xFEE0 } else { 0 }).unwrap())
                .collect();
            assert!(value.is_ascii(), "the test needs NFKC for {value:?}");
            let message = ["宛名番号".as_bytes(), &[0], value.trim().as_bytes()].concat();
            *expected.entry(hex::encode(hmac_sha256(&key, &message))[..length].to_string()).or_default() += 1;
        }
        let rules = base
            .replace("length = 16", &format!("length = {length}"))
            .replace("mode = \"anonymized\"", &format!("mode = \"pseudonymized\"\nshuffle = {shuffle}"));
        let name = format!("codes{length}{shuffle}{spill}{query}");
        let rules = env.write(&format!("{name}.toml"), &rules);
        let job = match query {
            // A query's rows have no size known before they are read: pass 2 shuffles them.
            true => env.write(
                &format!("{name}.job.toml"),
                &format!(
                    "version = 1\nname = \"{name}\"\nreference_date = \"2026-04-01\"\nquery = \"SELECT * FROM r\"\n[[input]]\nname = \"r\"\npath = \"{}\"\n[rules]\npath = \"{}\"\n[output]\ndir = \"out\"\n[audit]\nlog = \"audit.log\"\n{extra}\n",
                    input.display(),
                    rules.display()
                ),
            ),
            false => env.job(&name, &input, &rules, &extra),
        };
        let r = env.tokumei_with(&["run", job.to_str().unwrap()], &[("TOKUMEI_SPILL_MEMORY", spill)]);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        let t = read_parquet(&env.latest().join("resident_registry.parquet"));
        assert_eq!(t.rows.len() as u64, report(&env.latest())["rows_out"].as_u64().unwrap(), "{name}");
        assert!(t.rows.len() > 60_000, "{name}: {} rows", t.rows.len());
        let col = t.col("レコードID");
        for row in &t.rows {
            let code = row[col].as_deref().unwrap_or_else(|| panic!("{name}: a null code"));
            assert_eq!(code.len(), length, "{name}");
            let left = expected.get_mut(code).unwrap_or_else(|| panic!("{name}: a code of no input value"));
            assert!(*left > 0, "{name}: a code released more often than its value is in the input");
            *left -= 1;
        }
        let mut rows = t.rows;
        rows.sort();
        of_length.entry(length).or_default().push(rows);
    }
    let seventeen = &of_length[&17];
    assert!(seventeen.iter().all(|rows| *rows == seventeen[0]), "the paths of pass 2 released other rows");
}
