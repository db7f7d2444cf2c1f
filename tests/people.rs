//! People, not rows: with several records per person, every privacy model counts distinct
//! people by the rules' `subject`, a person whose records fall in several classes is judged by
//! the set of their key values, and suppression removes people. Each claim is recomputed from
//! the released Parquet (people per class by the release's record code).

use crate::util::*;
use std::collections::{BTreeSet, HashMap};

const RULES: &str = r#"version = 1
dataset = "claims"
mode = "anonymized"
subject = "宛名番号"
[privacy]
k = 3
max_suppression = MAX
[[column]]
name = "宛名番号"
role = "linking_code"
action = "pseudonymize"
output = "レコードID"
[[column]]
name = "性別"
role = "quasi_identifier"
action = "keep"
[[column]]
name = "地区"
role = "quasi_identifier"
action = "keep"
[[column]]
name = "サービス"
role = "insensitive"
action = "keep"
"#;

/// (宛名番号, 性別, 地区) per record; each record also has a service.
fn claims() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut r = Vec::new();
    // Two people with four records each: 8 records in (男, 北), but 2 people.
    for id in ["A1", "A2"] {
        r.extend(std::iter::repeat_n((id, "男", "北"), 4));
    }
    // Four people with one record each.
    for id in ["B1", "B2", "B3", "B4"] {
        r.push((id, "女", "北"));
    }
    // Three people with two records each.
    for id in ["C1", "C2", "C3"] {
        r.extend(std::iter::repeat_n((id, "男", "南"), 2));
    }
    // Three people with one record each.
    for id in ["E1", "E2", "E3"] {
        r.push((id, "女", "南"));
    }
    // One person with a record in each of two classes that hold 4 people each: alone in the
    // set of classes their records have.
    r.push(("D1", "女", "南"));
    r.push(("D1", "男", "南"));
    r
}

fn claims_csv(env: &Env) -> std::path::PathBuf {
    let services = ["訪問介護", "通所介護", "福祉用具", "短期入所"];
    let mut text = String::from("宛名番号,性別,地区,サービス\n");
    for (i, (id, sex, area)) in claims().iter().enumerate() {
        text.push_str(&format!("{id},{sex},{area},{}\n", services[i % services.len()]));
    }
    env.write("claims.csv", &text)
}

/// People per class of the release, recomputed from its Parquet: each person (record code)
/// is put in the class of the set of key tuples their records have.
fn people_classes(t: &Table, key: &[&str], person: &str) -> HashMap<BTreeSet<Vec<Option<String>>>, usize> {
    let idx: Vec<usize> = key.iter().map(|k| t.col(k)).collect();
    let p = t.col(person);
    let mut sets: HashMap<String, BTreeSet<Vec<Option<String>>>> = HashMap::new();
    for r in &t.rows {
        let id = r[p].clone().expect("every record has its person's code");
        sets.entry(id).or_default().insert(idx.iter().map(|i| r[*i].clone()).collect());
    }
    let mut classes: HashMap<BTreeSet<Vec<Option<String>>>, usize> = HashMap::new();
    for set in sets.into_values() {
        *classes.entry(set).or_default() += 1;
    }
    classes
}

#[test]
fn classes_count_people_and_suppression_removes_them() {
    let env = Env::new();
    let input = claims_csv(&env);
    // Counted by records, every class of the input holds at least k=3 records, and counted
    // by people per class of records, too (D1 makes both southern classes 4 people).
    let mut rows_per_class: HashMap<(&str, &str), usize> = HashMap::new();
    for (_, s, a) in claims() {
        *rows_per_class.entry((s, a)).or_default() += 1;
    }
    assert!(rows_per_class.values().all(|n| *n >= 3), "records-k passes: {rows_per_class:?}");

    let rules = env.write("rules.toml", &RULES.replace("MAX", "0.5"));
    let job = env.job("claims", &input, &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = env.latest();
    let t = read_parquet(&dir.join("claims.parquet"));
    let classes = people_classes(&t, &["性別", "地区"], "レコードID");
    assert!(classes.values().all(|n| *n >= 3), "a class of fewer than 3 people was released: {classes:?}");
    // A1 and A2 (2 people in 8 records) and D1 (alone in the set of their classes) are gone,
    // with every one of their records.
    let people: BTreeSet<&String> = t.rows.iter().filter_map(|r| r[t.col("レコードID")].as_ref()).collect();
    assert_eq!(people.len(), 10, "people released");
    assert_eq!(t.rows.len(), 4 + 6 + 3, "records released");
    assert!(
        !t.rows.iter().any(|r| r[t.col("性別")].as_deref() == Some("男") && r[t.col("地区")].as_deref() == Some("北")),
        "the class of two people is suppressed"
    );
    let rep = report(&dir);
    let p = &rep["people"];
    assert_eq!(p["subject"], "宛名番号");
    assert_eq!(p["people_in"], 13);
    assert_eq!(p["rows_in"], claims().len());
    assert_eq!(p["people_suppressed"], 3);
    assert_eq!(p["rows_suppressed"], 8 + 2);
    assert_eq!(p["people_out"], 10);
    assert_eq!(p["rows_out"], 13);
    assert_eq!(p["max_rows_per_person"], 4);
    assert_eq!(p["people_in_several_classes"], 1);
    assert_eq!(rep["k_achieved"], 3, "k is the smallest class of people");
    let md = std::fs::read_to_string(dir.join("report.en.md")).unwrap();
    assert!(md.contains("people"), "{md}");

    // With a limit below the 3 of 13 people, the run refuses and says it counted people.
    let rules = env.write("strict.toml", &RULES.replace("MAX", "0.2"));
    let job = env.job("strict", &input, &rules, "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("3 of 13 people"), "{}", r.stderr);
    assert!(r.stderr.contains("classes count people, not rows"), "{}", r.stderr);
}

#[test]
fn several_rows_per_person_without_a_subject_are_refused() {
    let env = Env::new();
    let input = claims_csv(&env);
    let rules = env.write("rules.toml", &RULES.replace("MAX", "0.5").replace("subject = \"宛名番号\"\n", ""));
    let job = env.job("claims", &input, &rules, "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("`宛名番号` (linking_code) repeats"), "{}", r.stderr);
    assert!(r.stderr.contains("subject = \"宛名番号\""), "{}", r.stderr);
    // (The temporary folder's random name may hold such letters: it is taken out first.)
    let said = r.stderr.replace(env.dir.path().to_str().unwrap(), "");
    for id in ["A1", "A2", "C1", "D1"] {
        assert!(!said.contains(id), "the error quotes a value: {id}");
    }
    // A person's missing identifier is a malformed value, named by line and column.
    let text = std::fs::read_to_string(&input).unwrap() + ",女,南,訪問介護\n";
    let input = env.write("blank.csv", &text);
    let rules = env.write("rules2.toml", &RULES.replace("MAX", "0.5"));
    let job = env.job("blank", &input, &rules, "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("no subject identifier"), "{}", r.stderr);
}

/// The rows' subject hashes go to a file past a bound and are counted from it (external sort):
/// a file past it must give the people, classes and release that counting in memory gives.
#[test]
// The bound is set small by a variable that only builds with debug assertions read.
#[cfg_attr(not(debug_assertions), ignore)]
fn people_counted_from_disk_are_the_people_counted_in_memory() {
    let env = Env::new();
    let input = claims_csv(&env);
    let rules = env.write("rules.toml", &RULES.replace("MAX", "0.5"));
    let job = env.job("claims", &input, &rules, "");
    for bound in [None, Some("2"), Some("5")] {
        let vars: Vec<(&str, &str)> = bound.map(|b| ("TOKUMEI_TEST_ROW_HASHES", b)).into_iter().collect();
        let r = env.tokumei_with(&["run", job.to_str().unwrap()], &vars);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let seen: Vec<_> = env
        .releases("claims")
        .iter()
        .map(|dir| {
            let rep = report(dir);
            let t = read_parquet(&dir.join("claims.parquet"));
            let mut rows: Vec<String> = t
                .rows
                .iter()
                .map(|r| format!("{:?} {:?} {:?}", r[t.col("性別")], r[t.col("地区")], r[t.col("サービス")]))
                .collect();
            rows.sort();
            (rep["people"].clone(), rep["k_achieved"].clone(), rows)
        })
        .collect();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].0["people_in"], 13, "{:?}", seen[0].0);
    assert_eq!(seen[0].0["people_suppressed"], 3, "{:?}", seen[0].0);
    assert_eq!(seen[0], seen[1], "people counted from a file and in memory");
    assert_eq!(seen[0], seen[2], "people counted from a file and in memory");

    // Without a subject, the repeated identifier is found from the file too.
    let rules = env.write("nosubject.toml", &RULES.replace("MAX", "0.5").replace("subject = \"宛名番号\"\n", ""));
    let job = env.job("nosubject", &input, &rules, "");
    let r = env.tokumei_with(&["check", job.to_str().unwrap()], &[("TOKUMEI_TEST_ROW_HASHES", "3")]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("`宛名番号` (linking_code) repeats"), "{}", r.stderr);
}

#[cfg(feature = "query")]
/// The tax extract as tax systems export it: one row per person and year (five years).
fn tax_by_year(env: &Env) -> std::path::PathBuf {
    let dir = repo().join("samples/multi_source");
    let records = read_csv_cp932(&dir.join("tax.csv"));
    assert_eq!(records[0], ["宛名番号", "課税所得"]);
    let mut out = String::from("宛名番号,年度,課税所得\n");
    for r in &records[1..] {
        let (id, income) = (&r[0], &r[1]);
        let income: u64 = income.trim().parse().unwrap_or(0);
        for (i, year) in (2020..2025).enumerate() {
            out.push_str(&format!("{id},{year},{}\n", income + i as u64 * 37_000));
        }
    }
    env.write("tax_by_year.csv", &out)
}

#[cfg(feature = "query")] // SQL (a `where` or a `query`)
#[test]
fn a_one_to_many_join_is_judged_by_people() {
    let env = Env::new();
    let dir = repo().join("samples/multi_source");
    let tax = tax_by_year(&env);
    let job = env.write(
        "joined.job.toml",
        &format!(
            "version = 1\nname = \"joined\"\nreference_date = \"2026-04-01\"\nquery = \"\"\"\nSELECT r.*, COALESCE(t.課税所得, '0') AS 課税所得, COALESCE(c.要介護度, 'なし') AS 要介護度\nFROM 住基 r LEFT JOIN 税 t ON t.宛名番号 = r.宛名番号 LEFT JOIN 介護 c ON c.宛名番号 = r.宛名番号\n\"\"\"\n[[input]]\nname = \"住基\"\npath = \"{}\"\n[[input]]\nname = \"税\"\npath = \"{}\"\n[[input]]\nname = \"介護\"\npath = \"{}\"\n[rules]\npath = \"{}\"\n[output]\ndir = \"out\"\n[audit]\nlog = \"audit.log\"\n",
            dir.join("resident.csv").display(),
            tax.display(),
            dir.join("care.csv").display(),
            sample_rules().display()
        ),
    );
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = env.latest();
    let rep = report(&out);
    let p = &rep["people"];
    let residents = read_csv_cp932(&dir.join("resident.csv")).len() as u64 - 1;
    assert_eq!(p["people_in"], residents, "{p}");
    assert!(p["rows_in"].as_u64().unwrap() > residents + 10_000, "{p}");
    let t = read_parquet(&out.join("resident_registry.parquet"));
    let qi: Vec<&str> = rep["quasi_identifiers"].as_array().unwrap().iter().map(|q| q.as_str().unwrap()).collect();
    let classes = people_classes(&t, &qi, "レコードID");
    let k = rep["k"].as_u64().unwrap() as usize;
    let smallest = classes.values().min().copied().unwrap();
    assert!(smallest >= k, "a class of {smallest} people (k={k})");
    assert_eq!(rep["k_achieved"].as_u64().unwrap() as usize, smallest, "the report's k is the people's");
    let released: BTreeSet<&String> = t.rows.iter().filter_map(|r| r[t.col("レコードID")].as_ref()).collect();
    assert_eq!(p["people_out"], released.len() as u64);
    assert_eq!(p["rows_out"], t.rows.len() as u64);
    // Rare values outside the key count people too: every released income band is held by at
    // least k people.
    let band = t.col("課税所得階級");
    let mut holders: HashMap<&str, BTreeSet<&String>> = HashMap::new();
    for r in &t.rows {
        if let (Some(b), Some(id)) = (r[band].as_deref(), r[t.col("レコードID")].as_ref()) {
            holders.entry(b).or_default().insert(id);
        }
    }
    for (b, ids) in holders {
        assert!(ids.len() >= k, "income band {b} is held by {} people", ids.len());
    }
}

#[test]
fn the_search_counts_people_and_its_levels_are_judged_by_people() {
    let env = Env::new();
    // Three people with a record in each of two years (six records), ten with one record: at
    // two-year bands the three people's six records share a class, which counting records
    // would release at k=4.
    let mut text = String::from("宛名番号,年度\n");
    for p in 0..3 {
        text.push_str(&format!("P{p},2020\nP{p},2021\n"));
    }
    for q in 0..10 {
        text.push_str(&format!("Q{q},2024\n"));
    }
    let input = env.write("years.csv", &text);
    let rules = env.write(
        "rules.toml",
        r#"version = 1
dataset = "years"
mode = "anonymized"
subject = "宛名番号"
[privacy]
k = 4
max_suppression = 0.5
search = "optimal"
[[column]]
name = "宛名番号"
role = "linking_code"
action = "pseudonymize"
output = "レコードID"
[[column]]
name = "年度"
role = "quasi_identifier"
type = "integer"
action = "generalize"
hierarchy = "bands"
bands = [2, 4]
min_level = 0
max_level = 2
"#,
    );
    let job = env.job("years", &input, &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = env.latest();
    let t = read_parquet(&dir.join("years.parquet"));
    let classes = people_classes(&t, &["年度"], "レコードID");
    assert!(classes.values().all(|n| *n >= 4), "a class of fewer than 4 people: {classes:?}");
    assert_eq!(t.rows.len(), 10, "the three people's six records are suppressed");
    let rep = report(&dir);
    assert_eq!(rep["people"]["people_suppressed"], 3);
    assert_eq!(rep["people"]["rows_suppressed"], 6);
    assert_eq!(rep["k_achieved"], 10);
}

/// Rules over `columns` (name, role, action and extra lines) with `privacy` settings.
fn rules_of(
    env: &Env,
    subject: Option<&str>,
    mode: &str,
    privacy: &str,
    columns: &[(&str, &str, &str)],
) -> std::path::PathBuf {
    let mut text = format!("version = 1\ndataset = \"d\"\nmode = \"{mode}\"\n");
    if let Some(s) = subject {
        text.push_str(&format!("subject = \"{s}\"\n"));
    }
    text.push_str(&format!("[privacy]\n{privacy}\n"));
    for (name, role, rest) in columns {
        text.push_str(&format!("[[column]]\nname = \"{name}\"\nrole = \"{role}\"\n{rest}\n"));
    }
    env.write("rules.toml", &text)
}

/// People per class of the release by record code: the smallest.
fn smallest_class(t: &Table, key: &[&str], code: &str) -> usize {
    people_classes(t, key, code).values().min().copied().unwrap_or(usize::MAX)
}

/// Rules releasing 宛名番号, the subject, as a code (レコードID) with 地区 kept: k = 2.
fn linked_code_rules(env: &Env) -> std::path::PathBuf {
    rules_of(
        env,
        Some("宛名番号"),
        "anonymized",
        "k = 2\nmax_suppression = 0.6",
        &[
            ("宛名番号", "linking_code", "action = \"pseudonymize\"\noutput = \"レコードID\""),
            ("地区", "quasi_identifier", "action = \"keep\""),
        ],
    )
}

#[test]
fn people_are_what_the_release_links_even_when_one_is_written_two_ways() {
    let env = Env::new();
    // `A1` and `A-1` are one person to the registry but two codes in the release; B1 has a row
    // in each area, alone in that set of areas; C1 and C2 share one.
    let input = env.write("in.csv", "宛名番号,地区\nA1,北\nA-1,南\nB1,北\nB1,南\nC1,東\nC2,東\n");
    let rules = linked_code_rules(&env);
    let job = env.job("d", &input, &rules, "");
    // The rows' hashes in memory, and (builds with debug assertions) past a bound of 2 in files.
    let bounds: &[&[(&str, &str)]] =
        if cfg!(debug_assertions) { &[&[], &[("TOKUMEI_TEST_ROW_HASHES", "2")]] } else { &[&[]] };
    for vars in bounds {
        let r = env.tokumei_with(&["run", job.to_str().unwrap()], vars);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let t = read_parquet(&env.latest().join("d.parquet"));
        assert!(smallest_class(&t, &["地区"], "レコードID") >= 2, "a code alone in its set of areas {vars:?}");
        assert_eq!(t.rows.len(), 2, "only C1 and C2 are released {vars:?}");
        assert_eq!(report(&env.latest())["people"]["people_in"], 4, "A1 and A-1 are one person {vars:?}");
    }
}

/// A person written two ways far into the file (many batches, the hashes in files): the rows
/// before take their codes' hashes from their subjects', the rows after are kept apart, and the
/// release is what reading it at once gives.
#[test]
// The batches and the bound are set small by variables that only builds with debug assertions read.
#[cfg_attr(not(debug_assertions), ignore)]
fn a_person_written_two_ways_late_in_the_file_is_still_one_person() {
    let env = Env::new();
    let mut text = String::from("宛名番号,地区\nA1,北\nB1,北\nB1,南\n");
    for i in 0..3000 {
        text.push_str(&format!("P{i:05},西\n"));
    }
    text.push_str("C1,東\nC2,東\nA-1,南\n");
    let input = env.write("in.csv", &text);
    let rules = linked_code_rules(&env);
    let job = env.job("d", &input, &rules, "");
    let small: &[(&str, &str)] = &[("TOKUMEI_TEST_CHUNK_BYTES", "4096"), ("TOKUMEI_TEST_ROW_HASHES", "64")];
    let mut seen = Vec::new();
    for vars in [&[][..], small] {
        let r = env.tokumei_with(&["run", job.to_str().unwrap()], vars);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let t = read_parquet(&env.latest().join("d.parquet"));
        assert!(smallest_class(&t, &["地区"], "レコードID") >= 2, "a code alone in its set of areas {vars:?}");
        // A1 and A-1 are two codes, each alone in its area: suppressed; B1 too.
        assert_eq!(t.rows.len(), 3002, "the 3,000 in 西 and C1, C2 are released {vars:?}");
        let mut areas: Vec<String> = t.rows.iter().map(|r| format!("{:?}", r[t.col("地区")])).collect();
        areas.sort();
        let people = report(&env.latest())["people"].clone();
        assert_eq!(people["people_in"], 3004, "A1 and A-1 are one person {vars:?}");
        seen.push((people, areas));
    }
    assert_eq!(seen[0], seen[1], "read at once and in many batches with the hashes in files");
}

#[test]
fn without_a_subject_every_code_that_may_name_a_person_is_checked() {
    let env = Env::new();
    // A released user number that repeats, whatever its name; a blank My Number column.
    let input = env.write("in.csv", "利用者番号,個人番号,地区\nA1,,北\nA1,,南\nB1,,北\nC1,,南\n");
    let rules = rules_of(
        &env,
        None,
        "anonymized",
        "k = 2\nmax_suppression = 0.9",
        &[
            ("利用者番号", "linking_code", "action = \"pseudonymize\"\noutput = \"ID\""),
            ("個人番号", "identification_code", "action = \"drop\""),
            ("地区", "quasi_identifier", "action = \"keep\""),
        ],
    );
    let job = env.job("d", &input, &rules, "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("`利用者番号` (linking_code) repeats"), "{}", r.stderr);
    // No model counts in pseudonymized mode without k: nothing to refuse.
    let rules = rules_of(
        &env,
        None,
        "pseudonymized",
        "k = 1\nmax_suppression = 0",
        &[
            ("利用者番号", "linking_code", "action = \"pseudonymize\"\noutput = \"ID\""),
            ("個人番号", "identification_code", "action = \"drop\""),
            ("地区", "quasi_identifier", "action = \"keep\""),
        ],
    );
    let r = env.tokumei(&["keygen", "--out", env.path("k.key").to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let extra = format!("[keys]\npseudonym_key_file = \"{}\"", env.path("k.key").display());
    let job = env.job("p", &input, &rules, &extra);
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("repeats"), "{}", r.stderr);
    // A household's number repeats by nature and names no one.
    let input = env.write("hh.csv", "世帯番号,地区\nH1,北\nH1,北\nH2,南\nH2,南\n");
    let rules = rules_of(
        &env,
        None,
        "anonymized",
        "k = 2\nmax_suppression = 0.1",
        &[
            ("世帯番号", "linking_code", "action = \"pseudonymize\"\noutput = \"世帯ID\""),
            ("地区", "quasi_identifier", "action = \"keep\""),
        ],
    );
    let job = env.job("h", &input, &rules, "");
    let r = env.tokumei(&["check", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_sensitive_value_every_person_of_a_class_holds_fails_l_diversity() {
    let env = Env::new();
    // 北: P1 (HIV, flu) and P2 (HIV): two distinct values, but both people have HIV.
    // 南: Q1 (HIV) and Q2 (flu).
    let input = env.write("in.csv", "宛名番号,地区,病名\nP1,北,HIV\nP1,北,flu\nP2,北,HIV\nQ1,南,HIV\nQ2,南,flu\n");
    let rules = rules_of(
        &env,
        Some("宛名番号"),
        "anonymized",
        "k = 2\nl = 2\nmax_suppression = 0.6",
        &[
            ("宛名番号", "linking_code", "action = \"pseudonymize\"\noutput = \"レコードID\""),
            ("地区", "quasi_identifier", "action = \"keep\""),
            ("病名", "sensitive", "action = \"keep\""),
        ],
    );
    let job = env.job("d", &input, &rules, "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let t = read_parquet(&env.latest().join("d.parquet"));
    let areas: BTreeSet<Option<String>> = t.rows.iter().map(|r| r[t.col("地区")].clone()).collect();
    assert_eq!(areas, BTreeSet::from([Some("南".to_string())]), "the class where everyone has HIV is suppressed");
}
