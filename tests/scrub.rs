//! Free text scrubbed of identifying descriptions, the residual scan, and composite pseudonyms.

use crate::util::*;

#[test]
fn free_text_keeps_its_words_but_loses_names_numbers_and_addresses() {
    let env = Env::new();
    let mut rows = sample_records();
    rows.truncate(2501);
    let h = rows[0].clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (note, name, phone, id) = (col("備考"), col("氏名"), col("電話番号"), col("宛名番号"));
    // Notes that name the person, a relative from another row, and give numbers.
    let other = rows[7][name].clone();
    for (i, row) in rows.iter_mut().enumerate().skip(1) {
        if i % 3 == 0 {
            let own = row[name].clone();
            let tel = row[phone].clone();
            let aid = row[id].clone();
            row[note] = format!(
                "{own}様より電話{tel}。{other}さんの件、宛名{aid}、〒123-4567 大阪府大阪市北区1-2-3、昭和55年4月1日生、要支援の相談"
            );
        }
    }
    let input = write_rows(&env, "notes.csv", &rows);
    let rules = std::fs::read_to_string(sample_rules())
        .unwrap()
        .replace(
            "name = \"備考\"\nrole = \"direct_identifier\"\naction = \"drop\"",
            "name = \"備考\"\nrole = \"direct_identifier\"\naction = \"scrub\"\noutput = \"備考\"",
        )
        .replace("max_suppression = 0.05", "max_suppression = 0.3");
    assert!(rules.contains("action = \"scrub\""));
    let rules = env.write("scrub.toml", &rules);
    let job = env.job("s", &input, &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = env.latest();
    let t = read_parquet(&dir.join("resident_registry.parquet"));
    let c = t.col("備考");
    let notes: Vec<&str> = t.rows.iter().filter_map(|r| r[c].as_deref()).collect();
    assert!(notes.iter().any(|n| n.contains("要支援の相談") && n.contains("［氏名］")), "the text stays readable");
    // No name, phone number or identifier of any input row survives in any note.
    let mut ids: Vec<String> = Vec::new();
    for r in &rows[1..] {
        ids.push(r[id].clone());
        ids.push(r[phone].clone());
        ids.extend(r[name].split([' ', '\u{3000}']).filter(|w| w.chars().count() >= 2).map(str::to_string));
    }
    for n in &notes {
        for v in ids.iter().filter(|v| !v.is_empty()) {
            assert!(!n.contains(v.as_str()), "a note still holds an identifier");
        }
        assert!(!n.contains("123-4567") && !n.contains("北区") && !n.contains("昭和55年"), "{n}");
    }
    let rep = report(&dir);
    let note_col = rep["columns"].as_array().unwrap().iter().find(|c| c["name"] == "備考").unwrap();
    let counts: std::collections::HashMap<String, u64> = note_col["scrubbed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_u64().unwrap()))
        .collect();
    for kind in ["name", "phone", "postal_code", "address", "date"] {
        assert!(counts.get(kind).copied().unwrap_or(0) > 0, "{kind}: {counts:?}");
    }
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("自由記述から除去した記述"));
}

#[test]
fn a_kept_text_that_holds_an_identifier_fails_the_run() {
    let env = Env::new();
    let mut rows = sample_records();
    let h = rows[0].clone();
    let (note, id) = (h.iter().position(|c| c == "備考").unwrap(), h.iter().position(|c| c == "宛名番号").unwrap());
    for r in rows.iter_mut().skip(1) {
        r[note] = "相談なし".into();
    }
    rows[50][note] = format!("宛名番号{}の世帯", rows[50][id]);
    let input = write_rows(&env, "kept.csv", &rows);
    let rules = std::fs::read_to_string(sample_rules()).unwrap().replace(
        "name = \"備考\"\nrole = \"direct_identifier\"\naction = \"drop\"",
        "name = \"備考\"\nrole = \"insensitive\"\naction = \"keep\"",
    );
    let rules = env.write("kept.toml", &rules);
    let job = env.job("k", &input, &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("備考") && r.stderr.contains("宛名番号") && r.stderr.contains("line 51"), "{}", r.stderr);
    assert!(!r.stderr.contains(&rows[50][id]), "the value is not shown");
    assert!(env.out_files().is_empty());
}

#[test]
fn columns_coded_together_make_one_pseudonym_per_combination() {
    let env = Env::new();
    // 被保険者記号 + 番号: different people share a 番号, the pair is the identifier.
    let mut csv = String::from("記号,番号,性別,年齢\n");
    for i in 0..200 {
        csv.push_str(&format!(
            "{},{},{},{}\n",
            ["A", "B"][i % 2],
            1000 + (i / 2) % 50,
            ["男", "女"][i % 2],
            30 + i % 5
        ));
    }
    let input = env.write("ins.csv", &csv);
    let rules = "version = 1\ndataset = \"ins\"\nmode = \"pseudonymized\"\n[privacy]\nk = 1\nmax_suppression = 0.0\n\
[[column]]\nname = \"記号\"\nrole = \"linking_code\"\naction = \"pseudonymize\"\nwith = [\"番号\"]\noutput = \"被保険者ID\"\nlength = 16\n\
[[column]]\nname = \"番号\"\nrole = \"linking_code\"\naction = \"drop\"\n\
[[column]]\nname = \"性別\"\nrole = \"insensitive\"\naction = \"keep\"\n\
[[column]]\nname = \"年齢\"\nrole = \"insensitive\"\naction = \"keep\"\ntype = \"integer\"\n";
    let key = env.path("k.key");
    assert_eq!(env.tokumei(&["keygen", "--out", key.to_str().unwrap()]).code, 0);
    let rules_path = env.write("ins.toml", rules);
    let job = env.job("ins", &input, &rules_path, &format!("[keys]\npseudonym_key_file = \"{}\"", key.display()));
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let t = read_parquet(&env.latest().join("ins.parquet"));
    assert!(!t.columns.contains(&"番号".to_string()));
    let codes: std::collections::HashSet<&String> =
        t.rows.iter().map(|r| r[t.col("被保険者ID")].as_ref().unwrap()).collect();
    // 2 symbols x 50 numbers, but each number only appears with one symbol parity: 100 pairs...
    let pairs: std::collections::HashSet<(usize, usize)> = (0..200).map(|i| (i % 2, (i / 2) % 50)).collect();
    assert_eq!(codes.len(), pairs.len());
    // The part column must be dropped by its own rule.
    let bad = rules.replace(
        "name = \"番号\"\nrole = \"linking_code\"\naction = \"drop\"",
        "name = \"番号\"\nrole = \"linking_code\"\naction = \"pseudonymize\"",
    );
    let bad_path = env.write("bad_ins.toml", &bad);
    let job = env.job("bad", &input, &bad_path, &format!("[keys]\npseudonym_key_file = \"{}\"", key.display()));
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("must drop it"), "{}", r.stderr);
}
