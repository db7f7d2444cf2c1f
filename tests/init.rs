//! `tokumei init`: a reviewed-ready draft of rules from an extract, holding no value of it.

use crate::util::*;

fn values_of(path: &std::path::Path, cp932: bool) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    let text =
        if cp932 { encoding_rs::SHIFT_JIS.decode(&bytes).0.into_owned() } else { String::from_utf8(bytes).unwrap() };
    csv_like(&text)
}

#[test]
fn init_drafts_rules_that_check_and_hold_no_value() {
    let env = Env::new();
    let r =
        env.tokumei(&["init", sample_csv().to_str().unwrap(), "--out", "draft.toml", "--dataset", "resident_registry"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let draft = std::fs::read_to_string(env.path("draft.toml")).unwrap();
    assert!(draft.contains("REVIEW"));
    let rows = values_of(&sample_csv(), true);
    let header = &rows[0];
    for row in rows.iter().skip(1).take(300) {
        for (h, v) in header.iter().zip(row) {
            if v.chars().count() >= 3 && !header.contains(v) {
                assert!(
                    !draft.contains(v.as_str()) && !r.stdout.contains(v.as_str()),
                    "the draft or the summary holds a value of {h}"
                );
            }
        }
    }
    let role = |col: &str| {
        let at = draft.find(&format!("name = \"{col}\"")).unwrap();
        draft[at..].lines().nth(1).unwrap().to_string()
    };
    assert_eq!(role("個人番号"), "role = \"identification_code\"");
    assert_eq!(role("電話番号"), "role = \"direct_identifier\"");
    assert_eq!(role("氏名"), "role = \"direct_identifier\"");
    assert_eq!(role("宛名番号"), "role = \"linking_code\"");
    assert_eq!(role("生年月日"), "role = \"quasi_identifier\"");
    assert_eq!(role("要介護度"), "role = \"sensitive\"");
    // The draft works as it is.
    let job = env.job("d", &sample_csv(), &env.path("draft.toml"), "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Never overwritten without --force.
    let r = env.tokumei(&["init", sample_csv().to_str().unwrap(), "--out", "draft.toml"]);
    assert_eq!(r.code, 8, "{}", r.stderr);
}

#[test]
fn init_on_an_extract_never_seen_gives_rules_that_validate() {
    // A national health insurance (国保) extract with its own column names.
    let env = Env::new();
    let mut csv = String::from("被保険者番号,氏名,生年月日,性別,住所,資格取得日,保険料,受診件数,主病名,備考\n");
    let prefs =
        ["東京都新宿区西新宿1-1", "大阪府大阪市北区梅田2-2", "北海道札幌市中央区北1条", "福岡県福岡市博多区3-3"];
    for i in 0..3000u64 {
        csv.push_str(&format!(
            "{},{} {},{}-{:02}-{:02},{},{},20{:02}-04-01,{},{},{},{}\n",
            10_000_000 + i,
            ["佐藤", "鈴木", "高橋", "田中"][(i % 4) as usize],
            ["一郎", "花子", "健", "恵"][(i / 4 % 4) as usize],
            1940 + i % 60,
            1 + i % 12,
            1 + i % 28,
            ["男", "女"][(i % 2) as usize],
            prefs[(i % 4) as usize],
            10 + i % 15,
            20_000 + (i * 37) % 400_000,
            i % 9,
            ["高血圧", "糖尿病", "なし"][(i % 3) as usize],
            if i % 5 == 0 { format!("電話090-1111-{:04}", i) } else { String::new() }
        ));
    }
    let input = env.write("kokuho.csv", &csv);
    let r = env.tokumei(&["init", input.to_str().unwrap(), "--out", "kokuho.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let draft = std::fs::read_to_string(env.path("kokuho.toml")).unwrap();
    assert!(draft.contains("dataset = \"kokuho\""), "{draft}");
    assert!(!draft.contains("090-1111"));
    let job = env.job("k", &input, &env.path("kokuho.toml"), "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_ne!(r.code, 3, "the draft must validate: {}", r.stderr);
}

#[test]
fn init_without_out_prints_the_draft_and_summarises_on_stderr() {
    let env = Env::new();
    let r = env.tokumei(&["init", sample_csv().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("# DRAFT") && r.stdout.contains("dataset = \"resident_registry\""), "{}", r.stdout);
    assert!(r.stderr.contains("review every guess"), "{}", r.stderr);
    let rules = env.write("printed.toml", &r.stdout);
    let job = env.job("p", &sample_csv(), &rules, "");
    assert_eq!(env.tokumei(&["check", job.to_str().unwrap()]).code, 0);
}

/// The bundled multi-source resident extract without its header line (CP932), and the values
/// of its first record long enough to be recognised.
fn headerless(env: &Env) -> (std::path::PathBuf, Vec<String>) {
    let bytes = std::fs::read(repo().join("samples/multi_source/resident.csv")).unwrap();
    let body = &bytes[bytes.iter().position(|b| *b == b'\n').unwrap() + 1..];
    let path = env.path("headerless.csv");
    std::fs::write(&path, body).unwrap();
    let first = csv_like(&encoding_rs::SHIFT_JIS.decode(body).0).remove(0);
    let values: Vec<String> = first.into_iter().filter(|v| v.chars().count() >= 3).collect();
    assert!(values.len() >= 8, "{values:?}");
    (path, values)
}

#[test]
fn init_refuses_a_first_line_that_looks_like_a_record_and_prints_no_value() {
    let env = Env::new();
    let (input, values) = headerless(&env);
    for out in [Some("draft.toml"), None] {
        let mut args = vec!["init", input.to_str().unwrap()];
        args.extend(out.map(|o| ["--out", o]).into_iter().flatten());
        let r = env.tokumei(&args);
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(
            r.stderr.contains("columns 1, 2, 5, 7, 8, 9, 10 and 12 of 15 look like data")
                && r.stderr.contains("--no-header"),
            "{}",
            r.stderr
        );
        for v in &values {
            assert!(!r.stderr.contains(v.as_str()) && !r.stdout.contains(v.as_str()), "a value was printed: {v}");
        }
        assert!(!env.path("draft.toml").exists());
    }
}

#[test]
fn init_with_no_header_names_columns_by_position_and_reads_the_first_line_as_data() {
    let env = Env::new();
    let (input, values) = headerless(&env);
    let r = env.tokumei(&["init", input.to_str().unwrap(), "--no-header", "--out", "draft.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let draft = std::fs::read_to_string(env.path("draft.toml")).unwrap();
    let rows = csv_like(&encoding_rs::SHIFT_JIS.decode(&std::fs::read(&input).unwrap()).0).len();
    assert!(
        draft.contains(&format!("({rows} rows, no header line")),
        "every line is a row: {}",
        draft.lines().next().unwrap()
    );
    for i in 1..=15 {
        assert!(draft.contains(&format!("name = \"column_{i}\"")), "column_{i}");
    }
    let role = |col: &str| {
        let at = draft.find(&format!("name = \"{col}\"\n")).unwrap();
        draft[at..].lines().nth(1).unwrap().to_string()
    };
    assert_eq!(role("column_2"), "role = \"identification_code\"", "個人番号 by its check digit");
    assert_eq!(role("column_12"), "role = \"direct_identifier\"", "phone numbers");
    for v in &values {
        assert!(!draft.contains(v.as_str()) && !r.stdout.contains(v.as_str()), "a value was written: {v}");
    }
}
