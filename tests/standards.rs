//! What the data holds decides PASS (issue 30): standard 4 from the released values, `check`
//! showing what `run` decides, `init` drafting safely, and the smaller fixes (identification
//! codes in pseudonymised internal data, composite codes, natural order, no k claimed where none
//! is required).

use crate::util::*;
use tokumei_engine::ExitCode;

const INCOME_BANDS: &str = "action = \"generalize\"\nhierarchy = \"bands\"\nbands = [1000000, 5000000]\ntop = 20000000\nbottom = 0\nlevel = 1\noutput = \"課税所得階級\"";

/// The sample rules with 課税所得 top/bottom-coded as `coding` (output 課税所得).
fn coded_income(env: &Env, name: &str, coding: &str) -> std::path::PathBuf {
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    let coded = rules.replace(INCOME_BANDS, &format!("action = \"top_bottom_code\"\n{coding}"));
    assert_ne!(coded, rules);
    env.write(name, &coded)
}

/// Every value of `column` in the latest release, as numbers.
fn numbers(env: &Env, column: &str) -> Vec<i64> {
    let t = read_parquet(&env.latest().join("resident_registry.parquet"));
    t.rows.iter().filter_map(|r| r[t.col(column)].as_ref()).map(|v| v.parse().unwrap()).collect()
}

/// Files and folders left in `dir` (recursively).
fn left_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        out.push(e.path());
        if e.path().is_dir() {
            out.extend(left_in(&e.path()));
        }
    }
    out
}

/// 規則62条4号 (法116条1項, 特異な記述等): a top code above the data (issue 30, finding 2) leaves
/// each large income to fewer than k people; standard 4 counts the released values and fails
/// with the count and the k-th largest value as the code. That code, and `top = "auto"`, then
/// release a largest value that at least k people share, recomputed from the Parquet file.
#[test]
fn a_top_code_above_the_data_fails_standard_4_with_the_code_that_closes_it_rule_62_4() {
    let env = Env::new();
    let tmp = env.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let above = coded_income(&env, "above.toml", "top = 2000000000\nbottom = 0");
    let job = env.job("above", &sample_csv(), &above, "");
    // `check` says what `run` would: refused, with the standards on stdout, nothing written.
    let r = env.tokumei_with(&["check", job.to_str().unwrap()], &[("TMPDIR", tmp.to_str().unwrap())]);
    assert_eq!(r.code, ExitCode::Privacy.code(), "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("NOT met 4 (規則62条4号)"), "{}", r.stdout);
    assert!(r.stdout.contains("check failed") && r.stdout.contains("nothing was written"), "{}", r.stdout);
    let line = r.stdout.lines().find(|l| l.contains("課税所得 (課税所得)") && l.contains("fewer than k=5")).unwrap();
    assert!(line.contains("largest released value"), "{line}");
    let code: i64 = line.split("(top = ").nth(1).unwrap().trim_end_matches(')').parse().unwrap();
    assert!(env.out_files().is_empty(), "a check writes no release");
    assert!(left_in(&tmp).is_empty(), "the check's temporary spill is gone: {:?}", left_in(&tmp));
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Privacy.code(), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("(top = {code})")), "run and check decide alike: {}", r.stderr);
    assert!(env.releases("resident_registry").is_empty());

    // The code it names closes the top: the largest released value is shared by at least 5.
    let fixed = coded_income(&env, "fixed.toml", &format!("top = {code}\nbottom = 0"));
    let job = env.job("fixed", &sample_csv(), &fixed, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let incomes = numbers(&env, "課税所得");
    let max = *incomes.iter().max().unwrap();
    assert_eq!(max, code);
    assert!(incomes.iter().filter(|v| **v == max).count() >= 5);
    let min = *incomes.iter().min().unwrap();
    assert!(incomes.iter().filter(|v| **v == min).count() >= 5);

    // "auto" computes the same code from the same released records, and the report states it.
    let auto = coded_income(&env, "auto.toml", "top = \"auto\"\nbottom = 0");
    let job = env.job("auto", &sample_csv(), &auto, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(*numbers(&env, "課税所得").iter().max().unwrap(), code);
    let rep = report(&env.latest());
    let s4 = &rep["processing_standards"][3];
    assert_eq!(s4["passed"], true);
    let said =
        |v: &serde_json::Value, what: &str| v.as_array().unwrap().iter().any(|e| e.as_str().unwrap().contains(what));
    assert!(said(&s4["evidence"], &format!("top = \"auto\" computed as {code}")), "{s4:#}");
    assert!(said(&s4["evidence_ja"], &format!("上限を自動で{code}に決定")), "{s4:#}");
    let col = rep["columns"].as_array().unwrap().iter().find(|c| c["name"] == "課税所得").unwrap();
    assert!(col["detail"].as_str().unwrap().contains(&format!("top code {code}")), "{col:#}");
    let md = std::fs::read_to_string(env.latest().join("report.md")).unwrap();
    assert!(md.contains(&format!("上限{code}")), "the Japanese report states the code");
}

/// A bottom end that few people share fails too, naming `bottom`; ends of a quasi-identifier
/// (k-anonymity holds each value for k people) pass.
#[test]
fn a_rare_bottom_end_fails_and_names_the_bottom_code_rule_62_4() {
    let env = Env::new();
    let mut rows = sample_records();
    let income = rows[0].iter().position(|h| h == "課税所得").unwrap();
    // Three people with debts far below everyone else.
    for (i, v) in [(5, "-900000"), (6, "-800000"), (7, "-700000")] {
        rows[i][income] = v.into();
    }
    let csv = write_rows(&env, "debts.csv", &rows);
    let rules = coded_income(&env, "debts.toml", "top = \"auto\"");
    let job = env.job("debts", &csv, &rules, "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Privacy.code(), "{}{}", r.stdout, r.stderr);
    let line =
        r.stdout.lines().find(|l| l.contains("smallest released value(s)")).unwrap_or_else(|| panic!("{}", r.stdout));
    // (A debtor whose class is below k is suppressed with it: at most the three are left.)
    let held: u64 = line.split("held by ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!((1..=3).contains(&held) && line.contains("(bottom = "), "{line}");
    assert!(
        r.stdout.contains(
            "生年月日 (年齢階級): the largest and the smallest released values are each shared by at least 5"
        )
    );
    // With a bottom code of "auto" too, it is released.
    let rules = coded_income(&env, "both.toml", "top = \"auto\"\nbottom = \"auto\"");
    let job = env.job("both", &csv, &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let incomes = numbers(&env, "課税所得");
    let min = *incomes.iter().min().unwrap();
    assert!(min >= 0 && incomes.iter().filter(|v| **v == min).count() >= 5, "{min}");
}

/// `check` shows what `run` decides (issue 30, finding 4): the search's levels, suppression, the
/// release-risk warning and the standards, on stdout, writing nothing; the run then decides the
/// same.
#[test]
fn check_shows_what_run_would_decide_and_writes_nothing() {
    let env = Env::new();
    let tmp = env.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let rules = searched_rules(&env, "");
    let job = env.job("s", &sample_csv(), &rules, "");
    let r = env.tokumei_with(&["check", job.to_str().unwrap()], &[("TMPDIR", tmp.to_str().unwrap())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let check = r.stdout;
    for needle in [
        "levels (chosen by the optimal search",
        "suppressed: ",
        "warning: release risk: An attacker who knows every released column",
        "processing standards (APPI art. 116(1), rule 62): all met",
        "met     4 (規則62条4号)",
        "check passed",
        "nothing was written",
    ] {
        assert!(check.contains(needle), "check lacks {needle}:\n{check}");
    }
    assert!(env.out_files().is_empty(), "{:?}", env.out_files());
    assert!(left_in(&tmp).is_empty(), "{:?}", left_in(&tmp));
    // The run decides the same: every level, the suppression, the warning.
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    let mut levels = 0;
    for c in rep["columns"].as_array().unwrap().iter().filter(|c| c["action"] == "generalize" && !c["output"].is_null())
    {
        let line = format!(
            "  {} -> {}: {}",
            c["name"].as_str().unwrap(),
            c["output"].as_str().unwrap(),
            c["detail"].as_str().unwrap()
        );
        assert!(check.lines().any(|l| l == line), "check did not show `{line}`:\n{check}");
        levels += 1;
    }
    assert!(levels >= 4);
    let p = &rep["people"];
    assert!(check.contains(&format!(
        "suppressed: {} people ({} records) of {}",
        p["people_suppressed"], rep["suppressed"], p["people_in"]
    )));
    let md = std::fs::read_to_string(env.latest().join("report.en.md")).unwrap().replace('\\', "");
    let warning = check.lines().find(|l| l.starts_with("warning: release risk: ")).unwrap();
    assert!(md.contains(warning.trim_start_matches("warning: release risk: ")), "{warning}");
}

/// 規則31条2号 (仮名加工情報: 個人識別符号 deleted, or replaced by a method with no regularity that
/// restores it) against 規則62条2号 (匿名加工情報: deleted): internal pseudonymised data may carry
/// a person's 個人番号 as a keyed code of the managed key, listed under standard 2; an anonymised
/// release may not, and relabelling it as a linking code does not hide it from standard 2.
#[test]
fn identification_codes_are_keyed_codes_only_in_pseudonymized_data_rule_31_2() {
    let env = Env::new();
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    let drop_my_number = "name = \"個人番号\"\nrole = \"identification_code\"\naction = \"drop\"";
    assert!(rules.contains(drop_my_number));
    // Anonymized: a keyed code of an identification code is refused at validation.
    let coded =
        rules.replace(drop_my_number, "name = \"個人番号\"\nrole = \"identification_code\"\naction = \"pseudonymize\"");
    let path = env.write("coded.toml", &coded);
    let job = env.job("coded", &sample_csv(), &path, "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Config.code(), "{}", r.stderr);
    assert!(r.stderr.contains("anonymised release"), "{}", r.stderr);
    // Relabelled as a linking code: standard 2 still sees it, and refuses it.
    let relabelled = rules.replace(
        drop_my_number,
        "name = \"個人番号\"\nrole = \"linking_code\"\naction = \"pseudonymize\"\noutput = \"番号符号\"",
    );
    let path = env.write("relabelled.toml", &relabelled);
    let job = env.job("relabelled", &sample_csv(), &path, "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Privacy.code(), "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("NOT met 2 (規則62条2号)"), "{}", r.stdout);
    assert!(
        r.stdout.contains("個人番号: HMAC-SHA-256 code, 32 hex characters: named like an identification code (個人番号) but declared `linking_code` and released: NOT deleted"),
        "{}",
        r.stdout
    );
    // Pseudonymized (internal use, managed key): allowed, and listed under standard 2.
    let key = env.path("k.key");
    assert_eq!(env.tokumei(&["keygen", "--out", key.to_str().unwrap()]).code, 0);
    let extra = format!("[keys]\npseudonym_key_file = \"{}\"", key.display());
    let internal = coded.replace("mode = \"anonymized\"", "mode = \"pseudonymized\"");
    let path = env.write("internal.toml", &internal);
    let job = env.job("internal", &sample_csv(), &path, &extra);
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    let s2 = &rep["processing_standards"][1];
    assert_eq!((s2["legal"].as_str().unwrap(), &s2["passed"]), ("規則31条2号", &serde_json::Value::Bool(true)));
    assert!(s2["evidence"][0].as_str().unwrap().starts_with("個人番号: HMAC-SHA-256 code"), "{s2:#}");
    assert!(s2["evidence_ja"][0].as_str().unwrap().contains("管理する鍵による符号に置換"), "{s2:#}");
    let t = read_parquet(&env.latest().join("resident_registry.parquet"));
    let raw: std::collections::HashSet<String> = sample_records().iter().skip(1).map(|r| r[1].clone()).collect();
    let codes = t.rows.iter().filter_map(|r| r[t.col("個人番号")].clone()).collect::<Vec<_>>();
    assert_eq!(codes.len(), t.rows.len());
    assert!(codes.iter().all(|c| c.len() == 32 && !raw.contains(c)), "codes, never the numbers");
}

/// Pseudonymised data with no k required (k = 1): no line claims a k (issue 30, finding 6); a
/// composite code never gives two tuples of parts one code; the data dictionary lists 第1段階 …
/// 第13段階 and 1割 … 3割 in their order.
#[test]
fn pseudonymized_data_claims_no_k_codes_composites_apart_and_lists_values_in_natural_order() {
    let env = Env::new();
    let mut csv = String::from("記号,番号,保険料段階,負担割合\n");
    // ('X\u{1F}Y', 'Z') and ('X', 'Y\u{1F}Z'): parts joined by U+001F gave them one code.
    csv.push_str("\"X\u{1F}Y\",Z,第1段階,1割\n\"X\",\"Y\u{1F}Z\",第2段階,2割\n");
    for i in 0..260 {
        csv.push_str(&format!("K{},{},第{}段階,{}割\n", i % 40, i, 1 + i % 13, 1 + i % 3));
    }
    let input = env.write("care.csv", &csv);
    let rules = env.write(
        "care.toml",
        "version = 1\ndataset = \"care\"\nmode = \"pseudonymized\"\n[privacy]\nk = 1\nmax_suppression = 0.0\n\
         [[column]]\nname = \"記号\"\nrole = \"linking_code\"\naction = \"pseudonymize\"\nwith = [\"番号\"]\noutput = \"被保険者ID\"\n\
         [[column]]\nname = \"番号\"\nrole = \"linking_code\"\naction = \"drop\"\n\
         [[column]]\nname = \"保険料段階\"\nrole = \"insensitive\"\naction = \"keep\"\n\
         [[column]]\nname = \"負担割合\"\nrole = \"insensitive\"\naction = \"keep\"\n",
    );
    let key = env.path("k.key");
    assert_eq!(env.tokumei(&["keygen", "--out", key.to_str().unwrap()]).code, 0);
    let extra = format!("[keys]\npseudonym_key_file = \"{}\"", key.display());
    let job = env.job("care", &input, &rules, &extra);
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("k=1") && !r.stdout.contains("k="), "{}", r.stdout);
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("k=1 achieved") && !r.stdout.contains("achieved"), "{}", r.stdout);
    assert!(!r.stdout.contains("by which k counts"), "{}", r.stdout);
    let dir = env.releases("care").pop().unwrap();
    for doc in ["report.md", "report.en.md", "data_dictionary.md"] {
        let text = std::fs::read_to_string(dir.join(doc)).unwrap();
        assert!(!text.contains("（要求 k=1）") && !text.contains("(k=1 required)"), "{doc}");
        assert!(!text.contains("以上に共通します") && !text.contains("shared by at least"), "{doc} claims a k");
        assert!(!text.contains("k-匿名性（k=1）") && !text.contains("k-anonymity, k=1"), "{doc} lists k=1");
    }
    let t = read_parquet(&dir.join("care.parquet"));
    let codes: std::collections::HashSet<_> = t.rows.iter().map(|r| r[t.col("被保険者ID")].clone()).collect();
    assert_eq!(codes.len(), 262, "every (記号, 番号) pair its own code");
    let dict = std::fs::read_to_string(dir.join("data_dictionary.md")).unwrap();
    let stages = (1..=13).map(|i| format!("第{i}段階")).collect::<Vec<_>>().join(", ");
    assert!(dict.contains(&stages), "{dict}");
    assert!(dict.contains("1割, 2割, 3割"), "{dict}");
}

/// Audit of issue 30: an amount column whose values are mostly one round sum of five digits
/// (30,000 yen) read as valid 地方公共団体コード and was drafted as a municipality code; a column
/// named like an amount (給付額) is banded and top-coded at its stated 99th percentile.
#[test]
fn init_drafts_an_amount_of_round_sums_as_bands_not_municipality_codes() {
    let env = Env::new();
    let n = 2000u64;
    // 87.5% at 30,000 yen, the rest from 30,000 to 46,999 yen (each a valid prefecture number).
    let amount = |i: u64| if i % 8 == 7 { 30_000 + (i * 7919) % 17_000 } else { 30_000 };
    let mut csv = String::from("宛名番号,性別,給付額\n");
    for i in 0..n {
        csv.push_str(&format!("{},{},{}\n", 100_000_000 + i, ["男", "女"][(i % 2) as usize], amount(i)));
    }
    let input = env.write("care.csv", &csv);
    let r = env.tokumei(&["init", input.to_str().unwrap(), "--out", "care.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let draft = std::fs::read_to_string(env.path("care.toml")).unwrap();
    let at = draft.find("name = \"給付額\"").unwrap();
    let block: String = draft[at..].lines().take_while(|l| !l.is_empty()).collect::<Vec<_>>().join("\n");
    assert!(!block.contains("municipality_code"), "{block}");
    assert!(block.contains("hierarchy = \"bands\""), "{block}");
    let mut amounts: Vec<u64> = (0..n).map(amount).collect();
    amounts.sort_unstable();
    let p99 = amounts[(amounts.len() * 99).div_ceil(100) - 1];
    let cap = p99.div_ceil(1000) * 1000;
    let below = amounts.iter().filter(|a| **a < cap).count() as f64 * 100.0 / n as f64;
    assert!(block.contains(&format!("top = {cap}")), "{block}");
    let rule = &draft[draft[..at].rfind("# REVIEW").unwrap()..at];
    assert!(
        rule.contains(&format!("the 99th percentile of {n} values rounded up to two significant figures: {below:.1}% of the values are below it")),
        "{rule}"
    );
    assert!(!rule.contains("地方公共団体コード"), "{rule}");
}

/// `tokumei init` drafts safely (issue 30, finding 5): a household's number is never the subject,
/// the amount's cap is the 99th percentile rounded up and says which share of the values lies
/// below it, ages are banded, and the fingerprint is an insensitive column outside the key, named
/// for review; the draft then checks.
#[test]
fn init_drafts_a_person_as_the_subject_a_stated_percentile_banded_ages_and_a_named_fingerprint() {
    let env = Env::new();
    let mut csv = String::from("世帯番号,宛名番号,生年月日,性別,年齢,要介護度,給付額,利用回数\n");
    let n = 4000u64;
    for i in 0..n {
        // 87.5% of the amounts at 1,000 yen, the rest from 3,000 to 6,999 yen.
        let amount = if i % 8 == 7 { 3_000 + (i * 7919) % 4_000 } else { 1_000 };
        csv.push_str(&format!(
            "{},{},{}-{:02}-{:02},{},{},要介護{},{},{}\n",
            50_000_000 + i,
            100_000_000 + i,
            1930 + i % 60,
            1 + i % 12,
            1 + i % 28,
            ["男", "女"][(i % 2) as usize],
            30 + i % 60,
            1 + i % 5,
            amount,
            i % 7
        ));
    }
    let input = env.write("care.csv", &csv);
    let r = env.tokumei(&["init", input.to_str().unwrap(), "--out", "care.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let draft = std::fs::read_to_string(env.path("care.toml")).unwrap();
    assert!(draft.contains("\nsubject = \"宛名番号\""), "{draft}");
    assert!(!draft.contains("subject = \"世帯番号\""));
    assert!(r.stdout.contains("subject (the models count people by it): 宛名番号"), "{}", r.stdout);
    // The amount: the true 99th percentile (nearest rank) rounded up, and the share below it.
    let mut amounts: Vec<u64> = (0..n).map(|i| if i % 8 == 7 { 3_000 + (i * 7919) % 4_000 } else { 1_000 }).collect();
    amounts.sort_unstable();
    let p99 = amounts[(amounts.len() * 99).div_ceil(100) - 1];
    let cap = p99.div_ceil(100) * 100;
    assert!(p99 > 3_000 && cap >= p99, "{p99}");
    let below = amounts.iter().filter(|a| **a < cap).count() as f64 * 100.0 / n as f64;
    let at = draft.find("name = \"給付額\"").unwrap();
    let rule = &draft[draft[..at].rfind("# REVIEW").unwrap()..at + 200];
    assert!(rule.contains(&format!("top = {cap}")), "{rule}");
    assert!(
        rule.contains(&format!("the 99th percentile of {n} values rounded up to two significant figures: {below:.1}% of the values are below it")),
        "{rule}"
    );
    // Ages: 5-year bands at the finest, never exact.
    for col in ["生年月日", "年齢"] {
        let at = draft.find(&format!("name = \"{col}\"")).unwrap();
        let block: String = draft[at..].lines().take_while(|l| !l.is_empty()).collect::<Vec<_>>().join("\n");
        assert!(block.contains("min_level = 1"), "{col}: {block}");
    }
    // The fingerprint: named for review, an insensitive column outside the key.
    assert!(draft.contains("fingerprint = \"給付額\"") || draft.contains("fingerprint = \"利用回数\""), "{draft}");
    assert!(!draft.contains("fingerprint = \"要介護度\""));
    assert!(r.stdout.contains("fingerprint for leak tracing"), "{}", r.stdout);
    // The draft checks as it is, and check prints what a run would decide.
    let job = env.job("care", &input, &env.path("care.toml"), "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert!(r.stdout.contains("processing standards"), "{}{}", r.stdout, r.stderr);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// By default the run fingerprints an insensitive column, never a sensitive one (issue 30,
/// finding 6): the sample's releases under a contract reorder 課税所得階級, not 要介護度.
#[test]
fn the_default_fingerprint_is_never_a_sensitive_column() {
    let env = Env::new();
    let rules =
        std::fs::read_to_string(sample_rules()).unwrap().replace("version = 1\n", "version = 1\nfingerprint = true\n");
    let path = env.write("fp.toml", &rules);
    let job = env.job("fp", &sample_csv(), &path, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let fp = &report(&env.latest())["fingerprint"];
    assert_eq!(fp["column"], "課税所得階級", "{fp:#}");
}

/// An `"auto"` code on a sensitive column is made before l-diversity judges the column, so the
/// coding cannot merge the values that make a class diverse: every class of the release holds at
/// least l distinct released values (l = 2 of `[privacy]`; 法116条1項 / 規則62条5号 with 4号).
#[test]
fn an_auto_code_of_a_sensitive_column_keeps_l_diversity_rule_62_4_5() {
    let env = Env::new();
    let rules = std::fs::read_to_string(sample_rules()).unwrap().replace(
        &format!("name = \"課税所得\"\nrole = \"insensitive\"\n{INCOME_BANDS}"),
        "name = \"課税所得\"\nrole = \"sensitive\"\naction = \"top_bottom_code\"\ntop = \"auto\"\nbottom = 0",
    );
    assert!(rules.contains("role = \"sensitive\"\naction = \"top_bottom_code\""), "{rules}");
    // (Classes of children hold only incomes of 0: l = 2 of incomes suppresses them.)
    let rules = rules.replace("max_suppression = 0.05", "max_suppression = 0.15");
    let path = env.write("sens.toml", &rules);
    let job = env.job("sens", &sample_csv(), &path, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let t = read_parquet(&env.latest().join("resident_registry.parquet"));
    let rep = report(&env.latest());
    let keys: Vec<String> =
        rep["quasi_identifiers"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect();
    let income = t.col("課税所得");
    for rows in classes(&t, &keys).values() {
        let distinct: std::collections::HashSet<_> = rows.iter().map(|r| &t.rows[*r][income]).collect();
        assert!(distinct.len() >= 2, "a class of {} rows holds {} incomes", rows.len(), distinct.len());
    }
    let max = *numbers(&env, "課税所得").iter().max().unwrap();
    assert!(numbers(&env, "課税所得").iter().filter(|v| **v == max).count() >= 5);
}

/// The officer's Japanese report is in Japanese (issue 30, finding 6): no English word but the
/// names of things (file paths, hashes, ids, SHA-256, HMAC, CSV, CP932, the command to run).
#[test]
fn the_japanese_report_is_in_japanese() {
    let env = Env::new();
    let rules = searched_rules(&env, "");
    let job = env.job("ja", &sample_csv(), &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = env.latest();
    let ja = std::fs::read_to_string(dir.join("report.md")).unwrap();
    let rep = report(&dir);
    let mut text = ja.replace('\\', "");
    let names = [
        rep["output_file"].as_str().unwrap(),
        rep["release_id"].as_str().unwrap(),
        rep["input"]["path"].as_str().unwrap(),
        rep["rules"].as_str().unwrap(),
        rep["dataset"].as_str().unwrap(),
        rep["job"].as_str().unwrap(),
        rep["input"]["sha256"].as_str().unwrap(),
        rep["rules_sha256"].as_str().unwrap(),
        rep["output_sha256"].as_str().unwrap(),
        rep["audit_head"].as_str().unwrap(),
    ];
    for name in names {
        text = text.replace(name, "");
    }
    for allowed in ["HMAC-SHA-256", "SHA-256", "Shift_JIS", "CP932", "CSV", "tokumei audit verify --anchor", "UTC"] {
        text = text.replace(allowed, "");
    }
    // Hierarchy files are named by their paths; the l_reason is the rule writer's text.
    let words: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("hierarchies/") && !l.contains("distinct l が成立しない"))
        .flat_map(|l| l.split(|c: char| !c.is_ascii_alphabetic()))
        .filter(|w| w.len() >= 3)
        .collect();
    assert!(words.is_empty(), "English in report.md: {words:?}");
    for word in ["一般化", "符号に置換", "削除", "情報損失", "異なり値", "自動判定"] {
        assert!(ja.contains(word), "report.md lacks {word}");
    }
}
