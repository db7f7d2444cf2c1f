//! Leak incidents and leak tracing through the real binary: triggers at their thresholds, the
//! exemptions, deadlines, reports, notices, contract incidents, and a leaked subset of one of five
//! releases traced to its recipient (an unrelated file is not).

use crate::util::*;
use std::collections::{BTreeMap, BTreeSet};
use tokumei_engine::ExitCode;

const REG: &str = "registry.sqlite";
/// 2027-06-01T00:00:00Z: inside the sample contract's use period.
const NOW: &str = "1811808000";

fn t(env: &Env, args: &[&str]) -> Run {
    t_at(env, NOW, args)
}

fn t_at(env: &Env, now: &str, args: &[&str]) -> Run {
    let mut a = args.to_vec();
    a.extend(["--registry", REG]);
    env.tokumei_with(&a, &[("TOKUMEI_NOW", now)])
}

fn ok(r: Run) -> Run {
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    r
}

fn json(r: Run) -> serde_json::Value {
    serde_json::from_str(&ok(r).stdout).unwrap()
}

/// The sample registry with the resident file's extract registered as its source.
fn registry(env: &Env, profile_extra: &str, source: &std::path::Path) {
    sample_registry(env, REG, profile_extra);
    ok(t(
        env,
        &[
            "file",
            "add-source",
            "住民基本台帳ファイル",
            "--input",
            source.to_str().unwrap(),
            "--subject-column",
            "宛名番号",
            "--name-column",
            "氏名",
            "--birth-column",
            "生年月日",
        ],
    ));
}

#[cfg(feature = "query")]
fn incident_toml(scope: &str, extra: &str) -> String {
    format!(
        "title = \"誤送付\"\ndiscovered = \"2027-05-28\"\ndiscovered_by = \"介護保険課\"\nkind = \"leak\"\ncause = \"封入誤り\"\n{extra}\n[scope]\nfile = \"住民基本台帳ファイル\"\n{scope}\n"
    )
}

fn open(env: &Env, name: &str, text: &str) -> (i64, serde_json::Value) {
    let f = env.write(name, text);
    let r = ok(t(env, &["incident", "open", f.to_str().unwrap()]));
    let id: i64 = r.stdout.split_whitespace().nth(2).unwrap().trim_end_matches(':').parse().unwrap();
    (id, json(t(env, &["incident", "show", &id.to_string(), "--json"])))
}

fn fired(show: &serde_json::Value) -> Vec<String> {
    show["incident"]["assessment"]["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["fired"] == true)
        .map(|t| t["code"].as_str().unwrap().to_string())
        .collect()
}

#[cfg(feature = "query")]
/// The first `n` distinct identifiers of the extract, as a SQL condition.
fn first_people(records: &[Vec<String>], n: usize) -> (String, BTreeSet<String>) {
    let ids: BTreeSet<String> = records[1..].iter().map(|r| r[0].clone()).take(n).collect();
    assert_eq!(ids.len(), n);
    let list: Vec<String> = ids.iter().map(|i| format!("'{i}'")).collect();
    (format!("where = \"宛名番号 IN ({})\"", list.join(", ")), ids)
}

#[cfg(feature = "query")] // SQL (a `where` or a `query`)
#[test]
fn head_count_trigger_at_100_and_101_people_and_items_that_fire_alone() {
    let env = Env::new();
    let records = generated_records(&env, 1500, 11);
    let source = write_rows(&env, "extract.csv", &records);
    registry(&env, "", &source);
    // Names and addresses only: only the number of people can make it reportable.
    let cols = "columns = [\"氏名\", \"住所\"]";
    let (w100, ids) = first_people(&records, 100);
    let (_, s) = open(&env, "a.toml", &incident_toml(&format!("{w100}\n{cols}"), ""));
    assert_eq!(s["incident"]["scope"]["people"], 100);
    assert_eq!(fired(&s), Vec::<String>::new());
    assert_eq!(s["incident"]["assessment"]["report_required"], false);
    assert!(s["incident"]["preliminary_due"].is_null());
    let (w101, _) = first_people(&records, 101);
    let (id, s) = open(&env, "b.toml", &incident_toml(&format!("{w101}\n{cols}"), ""));
    assert_eq!(s["incident"]["scope"]["people"], 101);
    assert_eq!(fired(&s), vec!["4"]);
    // The people recorded are exactly those the condition selects.
    let people = env.path(&format!("n{id}"));
    ok(t(&env, &["incident", "notices", &id.to_string(), "--out", people.to_str().unwrap()]));
    let csv = std::fs::read_to_string(people.join("notices.csv")).unwrap();
    let listed: BTreeSet<String> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap().to_string()).collect();
    let mut expect = ids.clone();
    expect.insert(records[1..].iter().map(|r| r[0].clone()).nth(100).unwrap());
    assert_eq!(listed, expect);
    // A 要配慮 item (the rules mark 要介護度) fires with 3 people; so does the ordinance's item
    // (the profile lists it) and a finding that the data allow financial damage.
    let (w3, _) = first_people(&records, 3);
    let (_, s) = open(&env, "c.toml", &incident_toml(&format!("{w3}\ncolumns = [\"氏名\", \"要介護度\"]"), ""));
    assert_eq!(fired(&s), vec!["1"]);
    let (_, s) = open(&env, "d.toml", &incident_toml(&format!("{w3}\n{cols}"), "financial = true"));
    assert_eq!(fired(&s), vec!["2"]);
    let (_, s) = open(&env, "e.toml", &incident_toml(&format!("{w3}\n{cols}"), "unlawful_purpose = true"));
    assert_eq!(fired(&s), vec!["3"]);
    // 60 days with an unlawful purpose, 28 May being day 1 (規則44条; the earliest reading).
    assert_eq!(s["incident"]["final_due"], "2027-07-26", "60 days with an unlawful purpose");
    // Strong encryption exempts, whatever fired, claimed with its basis (printed with it); a
    // claim without one exempts nothing (it is refused).
    let f = env.write("nobasis.toml", &incident_toml(&format!("{w101}\n{cols}"), "encrypted = true"));
    let r = t(&env, &["incident", "open", f.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("encryption_basis"), "{}", r.stderr);
    let (_, s) = open(
        &env,
        "f.toml",
        &incident_toml(
            &format!("{w101}\n{cols}"),
            "encrypted = true\nencryption_basis = \"AES-256で暗号化、鍵は別送せず庁内の鍵管理簿で管理（漏えいなし）\"",
        ),
    );
    assert_eq!(fired(&s), vec!["4"]);
    assert_eq!(s["incident"]["assessment"]["report_required"], false);
    let exemption = s["incident"]["assessment"]["exemption"].as_str().unwrap();
    assert!(exemption.contains("暗号化") && exemption.contains("鍵管理簿"), "{exemption}");
}

#[cfg(feature = "query")] // SQL (a `where` or a `query`)
#[test]
fn ordinance_items_and_the_business_threshold() {
    let env = Env::new();
    let records = generated_records(&env, 1200, 12);
    let source = write_rows(&env, "extract.csv", &records);
    // The ordinance makes 備考 (here) 条例要配慮: a leak of it is reportable for a municipality.
    let profile =
        sample_profile().replace("ordinance_sensitive = [\"生活保護の受給\"]", "ordinance_sensitive = [\"備考\"]");
    init_registry(&env, REG, &profile);
    let entry = repo().join("samples/registry/resident_file.toml");
    ok(env.tokumei(&[
        "file",
        "add",
        entry.to_str().unwrap(),
        "--rules",
        sample_rules().to_str().unwrap(),
        "--registry",
        REG,
    ]));
    ok(t(
        &env,
        &[
            "file",
            "add-source",
            "住民基本台帳ファイル",
            "--input",
            source.to_str().unwrap(),
            "--subject-column",
            "宛名番号",
        ],
    ));
    let (w3, _) = first_people(&records, 3);
    let (_, s) = open(&env, "a.toml", &incident_toml(&format!("{w3}\ncolumns = [\"備考\"]"), ""));
    assert_eq!(fired(&s), vec!["5"]);
    let (_, s) = open(&env, "b.toml", &incident_toml(&format!("{w3}\ncolumns = [\"氏名\"]"), ""));
    assert_eq!(fired(&s), Vec::<String>::new());
    // A business: more than 1,000 people, no ordinance trigger.
    let env = Env::new();
    let records = generated_records(&env, 1200, 13);
    let source = write_rows(&env, "extract.csv", &records);
    let profile = sample_profile()
        .replace("actor = \"public_body\"", "actor = \"business\"")
        .replace("body_kind = \"municipality\"", "body_kind = \"other\"");
    init_registry(&env, REG, &profile);
    let entry = std::fs::read_to_string(repo().join("samples/registry/resident_file.toml"))
        .unwrap()
        .replace("open_to_proposals = true", "open_to_proposals = false");
    let entry = env.write("file.toml", &entry);
    ok(env.tokumei(&[
        "file",
        "add",
        entry.to_str().unwrap(),
        "--rules",
        sample_rules().to_str().unwrap(),
        "--registry",
        REG,
    ]));
    ok(t(
        &env,
        &[
            "file",
            "add-source",
            "住民基本台帳ファイル",
            "--input",
            source.to_str().unwrap(),
            "--subject-column",
            "宛名番号",
        ],
    ));
    let cols = "columns = [\"氏名\"]";
    let (w1000, _) = first_people(&records, 1000);
    let (_, s) = open(&env, "b.toml", &incident_toml(&format!("{w1000}\n{cols}"), ""));
    assert_eq!(s["incident"]["assessment"]["regime"], "article26");
    assert_eq!(fired(&s), Vec::<String>::new());
    assert!(s["incident"]["assessment"]["triggers"].as_array().unwrap().iter().all(|t| t["code"] != "5"));
    let (w1001, _) = first_people(&records, 1001);
    let (_, s) = open(&env, "c.toml", &incident_toml(&format!("{w1001}\n{cols}"), ""));
    assert_eq!(fired(&s), vec!["4"]);
}

#[cfg(feature = "query")] // SQL (a `where` or a `query`)
#[test]
fn deadlines_reports_notices_and_closing() {
    let env = Env::new();
    registry(&env, "", &sample_csv());
    let records = sample_records();
    let (w, ids) = first_people(&records, 120);
    let (id, s) = open(&env, "a.toml", &incident_toml(&format!("{w}\ncolumns = [\"氏名\", \"住所\"]"), ""));
    let id = id.to_string();
    // Discovered 2027-05-28 (Friday), day 1 (the earliest reading, 規則44条): 速報 day 5 = 06-01;
    // 確報 day 30 = 06-26, a Saturday, not moved later.
    assert_eq!(s["incident"]["preliminary_due"], "2027-06-01");
    assert_eq!(s["incident"]["final_due"], "2027-06-26");
    let list = json(t(&env, &["incident", "list", "--json"]));
    assert_eq!(list[0]["next_due"], "preliminary");
    assert_eq!(list[0]["days_left"], 0);
    assert_eq!(list[0]["notices_pending"], 120);
    // An unlawful purpose found later: 60 days.
    let u = env.write("u.toml", "unlawful_purpose = true\n[report]\nprevention = \"封入の二重確認\"\n");
    ok(t(&env, &["incident", "update", &id, u.to_str().unwrap()]));
    let s = json(t(&env, &["incident", "show", &id, "--json"]));
    assert_eq!(s["incident"]["final_due"], "2027-07-26");
    assert_eq!(fired(&s), vec!["3", "4"]);
    let events: Vec<&str> = s["events"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events, vec!["opened", "updated"]);
    assert_eq!(s["events"][0]["detail"]["facts"]["unlawful_purpose"], false, "the first facts are kept");
    // The report: every field, JSON and the Japanese document.
    ok(t(&env, &["incident", "report", &id, "--stage", "preliminary"]));
    let dir = env.path(&format!("incidents/{id}"));
    let rep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report_preliminary.json")).unwrap()).unwrap();
    for k in [
        "outline",
        "items",
        "people",
        "cause",
        "secondary_harm",
        "actions_towards_people",
        "public_announcement",
        "prevention",
        "other",
    ] {
        assert!(!rep[k].is_null(), "{k}");
    }
    assert_eq!(rep["people"], 120);
    assert_eq!(rep["prevention"], "封入の二重確認");
    let html = std::fs::read_to_string(dir.join("report_preliminary.html")).unwrap();
    for field in ["概要", "項目", "本人の数", "原因", "二次被害", "本人への対応", "公表", "再発防止", "その他"]
    {
        assert!(html.contains(field), "{field}");
    }
    // No identifier of a person in the report (the condition that named them is not repeated).
    for i in &ids {
        assert!(!html.contains(i.as_str()) && !rep.to_string().contains(i.as_str()));
    }
    // Filing: the final report needs the preliminary one first.
    let r = t(&env, &["incident", "filed", &id, "--stage", "final", "--reference", "x"]);
    assert_eq!(r.code, ExitCode::Registry.code());
    // 2027-06-10: the preliminary report filed late (due 06-01).
    ok(t_at(
        &env,
        "1812585600",
        &["incident", "filed", &id, "--stage", "preliminary", "--date", "2027-06-03", "--reference", "PPC-1"],
    ));
    let s = json(t(&env, &["incident", "show", &id, "--json"]));
    let filed = s["events"].as_array().unwrap().iter().find(|e| e["event"] == "filed").unwrap();
    assert_eq!(filed["detail"]["late"], true, "filed after 06-01");
    // Notices: one letter per person and the mail-merge CSV with names and addresses.
    ok(t(&env, &["incident", "notices", &id, "--address-column", "住所"]));
    let csv = std::fs::read_to_string(dir.join("notices/notices.csv")).unwrap();
    assert_eq!(csv.lines().count(), 121);
    assert!(csv.lines().next().unwrap().ends_with("outline,items,cause,secondary_harm,other"));
    assert!(csv.lines().nth(1).unwrap().contains("封入誤り"), "every line carries the notice's fields");
    let by_id: BTreeMap<&str, &Vec<String>> = records[1..].iter().map(|r| (r[0].as_str(), r)).collect();
    for line in csv.lines().skip(1).take(5) {
        let f: Vec<&str> = line.split(',').collect();
        let rec = by_id[f[0].trim_start_matches('\u{feff}')];
        assert_eq!(f[1], rec[2], "name");
        assert_eq!(f[2], rec[7], "address");
        let letter = std::fs::read_to_string(dir.join("notices").join(f[4])).unwrap();
        assert!(letter.contains(&rec[2]) && letter.contains("原因") && letter.contains("項目"));
    }
    // Closing needs the final report and every person notified or excepted.
    let first: Vec<&String> = ids.iter().take(2).collect();
    ok(t(
        &env,
        &[
            "incident",
            "notify",
            &id,
            "--subject",
            first[0],
            "--subject",
            first[1],
            "--method",
            "mail",
            "--at",
            "2027-06-01",
        ],
    ));
    let r = t(&env, &["incident", "notify", &id, "--subject", first[0], "--method", "mail", "--at", "2027-06-01"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "a second notice for the same person");
    let r = t(&env, &["incident", "notify", &id, "--all", "--method", "phone", "--at", "2027-06-01"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "a phone call records its time");
    let r = t(
        &env,
        &["incident", "except", &id, "--all", "--ground", "impossible", "--note", "住所不明", "--desk", "市民課"],
    );
    assert_eq!(r.code, ExitCode::Registry.code(), "a substitute measure is an announcement and a desk");
    ok(t(
        &env,
        &[
            "incident",
            "except",
            &id,
            "--subject",
            &ids.iter().nth(2).unwrap().clone(),
            "--ground",
            "nondisclosable",
            "--note",
            "不開示情報を含む",
        ],
    ));
    let r = t(&env, &["incident", "close", &id, "--reason", "done"]);
    assert_eq!(r.code, ExitCode::Registry.code());
    ok(t(&env, &["incident", "notify", &id, "--all", "--method", "phone", "--at", "2027-06-01T10:30"]));
    ok(t_at(
        &env,
        "1812585600",
        &["incident", "filed", &id, "--stage", "final", "--date", "2027-06-10", "--reference", "PPC-2"],
    ));
    ok(t(&env, &["incident", "close", &id, "--reason", "完了"]));
    let s = json(t(&env, &["incident", "show", &id, "--json"]));
    assert_eq!(s["incident"]["status"], "closed");
    assert_eq!(
        (s["incident"]["notices"]["sent"].as_u64(), s["incident"]["notices"]["excepted"].as_u64()),
        (Some(119), Some(1))
    );
    // Every step is in the registry's journal and the audit log.
    let r = ok(env.tokumei(&["audit", "verify", "--log", "audit.log", "--registry", REG]));
    assert!(r.stdout.contains("every row, change and release matches the audit log"), "{}", r.stdout);
    // A person's notice, or a person, changed outside tokumei is found (a copy untouched is fine).
    rusqlite::Connection::open(env.path(REG)).unwrap().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    for sql in [
        "SELECT 1",
        "UPDATE incident_people SET notice = NULL WHERE subject = (SELECT min(subject) FROM incident_people)",
        "DELETE FROM incident_people WHERE subject = (SELECT max(subject) FROM incident_people)",
        "UPDATE incidents SET final_due = '2099-01-01'",
    ] {
        let copy = env.path("tampered.sqlite");
        std::fs::copy(env.path(REG), &copy).unwrap();
        rusqlite::Connection::open(&copy).unwrap().execute_batch(sql).unwrap();
        let r = env.tokumei(&["registry", "verify", "--registry", copy.to_str().unwrap()]);
        if sql == "SELECT 1" {
            assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
            continue;
        }
        assert_eq!(r.code, ExitCode::Registry.code(), "{sql}: {}", r.stdout);
        assert!(r.stdout.contains("incident") || r.stderr.contains("incident"), "{sql}: {}{}", r.stdout, r.stderr);
    }
}

/// `n` recipients with fitting, paid contracts for the sample file.
fn recipients(env: &Env, n: usize) {
    let s = |f: &str| repo().join("samples/registry").join(f);
    // 法112条1項: proposals answer a call for proposals (法111).
    ok(t(env, &["call", "open", "--to", "2099-12-31"]));
    for i in 1..=n {
        let name = format!("株式会社見本{i}");
        let rec = std::fs::read_to_string(s("recipient.toml")).unwrap().replace("株式会社見本データ分析", &name);
        let prop = std::fs::read_to_string(s("proposal.toml")).unwrap().replace("株式会社見本データ分析", &name);
        let (rf, pf) = (env.write(&format!("rec{i}.toml"), &rec), env.write(&format!("prop{i}.toml"), &prop));
        ok(t(env, &["recipient", "add", rf.to_str().unwrap()]));
        ok(t(env, &["contract", "propose", pf.to_str().unwrap()]));
        let id = i.to_string();
        ok(t(env, &["contract", "review", &id, "--review", s("review.toml").to_str().unwrap()]));
        ok(t(env, &["contract", "advance", &id, "--to", "fit"]));
        ok(t(env, &["contract", "advance", &id, "--to", "fee_paid", "--hours", "1"]));
        ok(t(env, &["contract", "advance", &id, "--to", "contracted"]));
    }
}

/// A 1% sample of `rows` (header first), its columns in another order, without `drop` columns.
fn subset(t: &Table, fraction: usize, seed: u64, drop: &[&str]) -> Vec<Vec<String>> {
    let keep: Vec<usize> = (0..t.columns.len())
        .filter(|c| {
            !drop
                .iter()
                .any(|d| t.columns[*c] == *d || t.columns[*c].ends_with("_min") || t.columns[*c].ends_with("_max"))
        })
        .collect();
    let mut order = keep.clone();
    order.reverse();
    order.rotate_left(1);
    let mut out = vec![order.iter().map(|c| t.columns[*c].clone()).collect::<Vec<_>>()];
    let mut x = seed;
    for row in &t.rows {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        if (x >> 33) % 100 < fraction as u64 {
            out.push(order.iter().map(|c| row[*c].clone().unwrap_or_default()).collect());
        }
    }
    out
}

#[test]
fn a_one_percent_subset_is_traced_to_its_recipient_among_five() {
    let env = Env::new();
    let records = generated_records(&env, 50_000, 21);
    let extract = write_rows(&env, "extract.csv", &records);
    registry(&env, "", &extract);
    recipients(&env, 5);
    let job = env.job("five", &extract, &sample_rules(), "");
    let key = env.officer_key();
    for c in 1..=5 {
        let now = (1_811_808_000 + c).to_string();
        let r = env.tokumei_with(
            &["run", job.to_str().unwrap(), "--contract", &c.to_string(), "--registry", REG, "--sign-key", &key],
            &[("TOKUMEI_NOW", &now)],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let releases = env.releases("resident_registry");
    assert_eq!(releases.len(), 5);
    let tables: Vec<Table> = releases.iter().map(|r| read_parquet(&r.join("resident_registry.parquet"))).collect();
    // The fingerprint keeps every class's values (so k, l and every count per class), and still
    // makes the five releases' rows differ.
    let fp = report(&releases[0])["fingerprint"].clone();
    let column = fp["column"].as_str().unwrap().to_string();
    let keys: Vec<String> =
        fp["key_columns"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect();
    let per_class = |t: &Table| -> BTreeMap<Vec<Option<String>>, Vec<Option<String>>> {
        let mut m: BTreeMap<Vec<Option<String>>, Vec<Option<String>>> = BTreeMap::new();
        for row in &t.rows {
            m.entry(keys.iter().map(|k| row[t.col(k)].clone()).collect())
                .or_default()
                .push(row[t.col(&column)].clone());
        }
        m.values_mut().for_each(|v| v.sort());
        m
    };
    let rows_of = |t: &Table| -> Vec<Vec<Option<String>>> {
        let mut v: Vec<Vec<Option<String>>> = t
            .rows
            .iter()
            .map(|r| (0..t.columns.len()).filter(|c| t.columns[*c] != "レコードID").map(|c| r[c].clone()).collect())
            .collect();
        v.sort();
        v
    };
    assert_eq!(per_class(&tables[0]), per_class(&tables[1]));
    assert_ne!(rows_of(&tables[0]), rows_of(&tables[1]));
    // k and l, recomputed from the fingerprinted Parquet, hold as the rules ask (k = 5; l = 2 of
    // 障害者手帳).
    for t in &tables {
        let classes = classes(t, &keys);
        assert!(classes.values().all(|rows| rows.len() >= 5));
        let l = t.col("障害者手帳");
        assert!(classes.values().all(|rows| rows.iter().map(|r| &t.rows[*r][l]).collect::<BTreeSet<_>>().len() >= 2));
    }
    let recipient_of = |i: usize| format!("株式会社見本{}", i + 1);
    // 1% of release 3, columns reordered, as CP932 CSV: found by its record codes (and rows).
    let part = subset(&tables[2], 1, 7, &[]);
    let text: String = part.iter().map(|r| r.join(",") + "\n").collect();
    let (cp932, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
    std::fs::write(env.path("leak.csv"), &cp932).unwrap();
    let v = json(t(&env, &["trace", "leak.csv", "--json"]));
    assert_eq!(v["verdict"], "traced");
    assert_eq!(v["recipient"], recipient_of(2));
    assert_eq!(v["release_id"], releases[2].file_name().unwrap().to_str().unwrap());
    // Without the record codes (and the bound columns): found by the fingerprint alone, given
    // enough rows (5%); 1% may fall short of proof, but never names another recipient.
    for (i, seed) in [(1usize, 3u64), (4, 5)] {
        let part = subset(&tables[i], 5, seed, &["レコードID"]);
        let f = write_rows(&env, &format!("nocode{i}.csv"), &part);
        let v = json(t(&env, &["trace", f.to_str().unwrap(), "--json"]));
        assert_eq!(v["verdict"], "traced", "{v:#}");
        assert_eq!(v["recipient"], recipient_of(i));
        assert!(v["confidence"].as_f64().unwrap() > 0.9999);
        let part = subset(&tables[i], 1, seed, &["レコードID"]);
        let f = write_rows(&env, &format!("small{i}.csv"), &part);
        let r = t(&env, &["trace", f.to_str().unwrap(), "--json"]);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        match v["verdict"].as_str().unwrap() {
            "traced" => assert_eq!(r.code, 0),
            "likely" => assert_eq!(r.code, ExitCode::NotTraced.code()),
            other => assert_eq!((other, r.code), ("undetermined", ExitCode::NotTraced.code())),
        }
        if !v["recipient"].is_null() {
            assert_eq!(v["recipient"], recipient_of(i));
        }
    }
    // Headers renamed (found by their values), an index column added, a boolean written 1/0.
    let mut part = subset(&tables[4], 5, 11, &["レコードID"]);
    for (i, h) in part[0].iter_mut().enumerate() {
        *h = format!("col{i}");
    }
    for (n, row) in part.iter_mut().enumerate() {
        row.insert(0, if n == 0 { "index".into() } else { n.to_string() });
    }
    let f = write_rows(&env, "renamed.csv", &part);
    let v = json(t(&env, &["trace", f.to_str().unwrap(), "--json"]));
    assert_eq!(v["verdict"], "traced", "{v:#}");
    assert_eq!(v["recipient"], recipient_of(4));
    // An unrelated file of the same shape: another municipality's extract de-identified by the
    // same rules (not a release of this registry) is not traced, nor is the Adult table.
    let other = write_rows(&env, "other.csv", &generated_records(&env, 50_000, 99));
    let job = env.job("other", &other, &sample_rules(), "");
    let job_text = std::fs::read_to_string(&job).unwrap().replace("dir = \"out\"", "dir = \"elsewhere\"");
    std::fs::write(&job, job_text).unwrap();
    ok(env.tokumei(&["run", job.to_str().unwrap()]));
    let dir = std::fs::read_dir(env.path("elsewhere/resident_registry"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !p.is_symlink())
        .unwrap();
    let elsewhere = read_parquet(&dir.join("resident_registry.parquet"));
    for drop in [&[][..], &["レコードID"][..]] {
        let f = write_rows(&env, "unrelated.csv", &subset(&elsewhere, 1, 9, drop));
        let r = t(&env, &["trace", f.to_str().unwrap(), "--json"]);
        assert_eq!(r.code, ExitCode::NotTraced.code(), "{}", r.stdout);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert!(["undetermined", "not_traced"].contains(&v["verdict"].as_str().unwrap()), "{v:#}");
        assert!(v["recipient"].is_null());
    }
    let r = t(&env, &["trace", repo().join("samples/adult/adult.csv").to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::NotTraced.code(), "{}", r.stdout);
    assert!(r.stdout.contains("not traced"), "{}", r.stdout);
    // Two release rows swapped outside tokumei would make the trace name another recipient with
    // full confidence: the trace refuses instead (exit 9), naming the rows, and names no one.
    let conn = rusqlite::Connection::open(env.path(REG)).unwrap();
    let (a, b) = (recipient_of(2), recipient_of(3));
    let swapped = conn
        .execute(
            "UPDATE releases SET recipient = CASE recipient WHEN ?1 THEN ?2 ELSE ?1 END WHERE recipient IN (?1, ?2)",
            [&a, &b],
        )
        .unwrap();
    assert_eq!(swapped, 2);
    drop(conn);
    let r = t(&env, &["trace", "leak.csv", "--json"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("releases row") && r.stderr.contains("edited outside tokumei"), "{}", r.stderr);
    assert!(!r.stdout.contains(&a) && !r.stdout.contains(&b), "{}", r.stdout);
}

#[cfg(feature = "query")] // SQL (a `where` or a `query`)
#[test]
fn a_leaked_anonymised_release_is_a_contract_incident_and_the_sample_workflow_runs() {
    let work = tempfile::tempdir().unwrap();
    let out = run_workflow("samples/incidents/workflow.sh", work.path());
    assert!(out.contains("the file comes from release"), "{out}");
    assert!(out.contains("provided to 株式会社見本データ分析"), "{out}");
    assert!(out.contains("contract incident"), "{out}");
    let env = Env { dir: work };
    let show = json(env.tokumei(&["incident", "show", "2", "--json", "--registry", "reports/registry.sqlite"]));
    let a = &show["incident"]["assessment"];
    assert_eq!(a["regime"], "contract");
    assert_eq!(a["report_required"], false);
    assert!(show["incident"]["preliminary_due"].is_null());
    assert_eq!(show["incident"]["scope"]["recipient"], "株式会社見本データ分析");
    let traced = show["events"].as_array().unwrap().iter().find(|e| e["event"] == "traced").unwrap();
    assert_eq!(traced["detail"]["detail"]["verdict"], "traced");
    assert_eq!(traced["detail"]["detail"]["recipient"], "株式会社見本データ分析");
    let r = env.tokumei(&[
        "incident",
        "notify",
        "2",
        "--all",
        "--method",
        "mail",
        "--at",
        "2027-05-31",
        "--registry",
        "reports/registry.sqlite",
    ]);
    assert_eq!(r.code, ExitCode::Registry.code());
    // The lost USB memory: the people are those of the extract the condition selects.
    let one = json(env.tokumei(&["incident", "show", "1", "--json", "--registry", "reports/registry.sqlite"]));
    let expect: BTreeSet<String> =
        sample_records()[1..].iter().filter(|r| r[7].starts_with("大阪府")).map(|r| r[0].clone()).collect();
    assert_eq!(one["incident"]["scope"]["people"].as_u64(), Some(expect.len() as u64));
    assert_eq!(one["incident"]["status"], "closed");
    assert_eq!(fired(&one), vec!["1", "4"]);
    // A USB memory lost outside the office is a suspected leak, not a 滅失 (規則43条: 漏えい…の
    // おそれ), and its letters say so.
    assert_eq!(one["incident"]["facts"]["kind"], "leak");
    assert_eq!(one["incident"]["assessment"]["event"], "漏えいのおそれ");
    let letter = std::fs::read_to_string(env.path("reports/incidents/1/notices/000001.html")).unwrap();
    assert!(letter.contains("漏えいが発生したおそれがある") && !letter.contains("滅失"), "{letter}");
    // Stated as a 滅失, the same loss is still assessed as a suspected leak (fail safe).
    let lost = std::fs::read_to_string(repo().join("samples/incidents/loss.toml"))
        .unwrap()
        .replace("kind = \"leak\"", "kind = \"loss\"")
        .replace("suspected = true", "suspected = false");
    let f = env.write("lost.toml", &lost);
    let r = env.tokumei_with(
        &["incident", "open", f.to_str().unwrap(), "--registry", "reports/registry.sqlite"],
        &[("TOKUMEI_NOW", NOW)],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("漏えいのおそれ") && r.stdout.contains("保有個人情報の漏えい等"), "{}", r.stdout);
}

#[test]
fn a_public_body_s_pseudonymised_release_is_never_exempt_and_its_people_come_from_the_index() {
    let env = Env::new();
    registry(&env, "subject_index = true\n", &sample_csv());
    let job = crate::registry::pseudonymized_job(env.path("k.key"), &env);
    ok(t(&env, &["run", job.to_str().unwrap(), "--internal-use", "介護保険事業計画の需要推計"]));
    let list = json(t(&env, &["release", "list", "--json"]));
    let release = list[0]["release_id"].as_str().unwrap().to_string();
    let text = format!(
        "title = \"仮名化データの誤送信\"\ndiscovered = \"2027-05-28\"\ndiscovered_by = \"介護保険課\"\nkind = \"leak\"\ncause = \"メール誤送信\"\n[scope]\nrelease = \"{release}\"\n"
    );
    let (_, s) = open(&env, "p.toml", &text);
    let i = &s["incident"];
    assert_eq!(i["assessment"]["regime"], "article68");
    assert!(i["assessment"]["exemption"].is_null(), "no exemption for a public body's pseudonymised data");
    assert_eq!(i["assessment"]["report_required"], true);
    // Through the per-subject index: everyone the release was made from (an upper bound).
    let subjects: BTreeSet<String> = sample_records()[1..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(i["scope"]["people"].as_u64().unwrap() as usize, subjects.len());
    assert!(i["scope"]["basis"].as_str().unwrap().contains("上限"));
    // With the job's managed key: exactly the people whose records are in the release.
    let release_table = read_parquet(
        &std::path::PathBuf::from(list[0]["release_dir"].as_str().unwrap()).join("resident_registry.parquet"),
    );
    let f = env.write("p2.toml", &text);
    let r = ok(t(&env, &["incident", "open", f.to_str().unwrap(), "--job", job.to_str().unwrap()]));
    let id = r.stdout.split_whitespace().nth(2).unwrap().trim_end_matches(':').to_string();
    let s = json(t(&env, &["incident", "show", &id, "--json"]));
    assert_eq!(s["incident"]["scope"]["people"].as_u64().unwrap() as usize, release_table.rows.len());
    assert!(release_table.rows.len() < subjects.len(), "some records were suppressed");
    assert_eq!(fired(&s), vec!["1", "4"]);
    // The audit log names the incident, never a person.
    let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
    assert!(subjects.iter().take(50).all(|id| !log.contains(id.as_str())));
}

#[cfg(feature = "query")] // SQL (a `where` or a `query`)
#[test]
fn odd_intakes_unclassified_items_narrowed_scopes_and_filed_reports_fail_closed() {
    let env = Env::new();
    let records = generated_records(&env, 400, 31);
    let mut rows = records.clone();
    rows[5][0] = String::new(); // a record without its identifier
    let source = write_rows(&env, "extract.csv", &rows);
    // The rules allowed for the file are a copy, edited later.
    let rules = env.write("rules.toml", &std::fs::read_to_string(sample_rules()).unwrap());
    init_registry(&env, REG, &sample_profile());
    let entry = repo().join("samples/registry/resident_file.toml");
    ok(env.tokumei(&["file", "add", entry.to_str().unwrap(), "--rules", rules.to_str().unwrap(), "--registry", REG]));
    ok(t(
        &env,
        &[
            "file",
            "add-source",
            "住民基本台帳ファイル",
            "--input",
            source.to_str().unwrap(),
            "--subject-column",
            "宛名番号",
        ],
    ));
    // A date that is not ISO is refused, never a crash.
    for bad in ["２０２７-05-28", "2027年5月28日", "2027-05-28T9時"] {
        let f = env.write("bad.toml", &incident_toml("columns = [\"氏名\"]", "").replace("2027-05-28", bad));
        let r = t(&env, &["incident", "open", f.to_str().unwrap()]);
        assert_eq!(r.code, ExitCode::Registry.code(), "{bad}: {}", r.stderr);
    }
    // A condition that selects no one is refused (a typo).
    let f = env.write("none.toml", &incident_toml("where = \"住所 LIKE '大坂府%'\"", ""));
    assert_eq!(t(&env, &["incident", "open", f.to_str().unwrap()]).code, ExitCode::Registry.code());
    // Every record counts, one without an identifier as a person of its own: 399 + 1.
    let (id, s) = open(&env, "all.toml", &incident_toml("columns = [\"氏名\", \"住所\"]", ""));
    assert_eq!(s["incident"]["scope"]["people"], 400);
    assert_eq!(s["incident"]["scope"]["blank_subjects"], 1);
    assert_eq!(fired(&s), vec!["4"]);
    // Narrowed to 3 people: the others, not yet notified, are no longer the incident's people.
    let (w3, _) = first_people(&records, 3);
    let u = env.write("narrow.toml", &format!("[scope]\n{w3}\n"));
    ok(t(&env, &["incident", "update", &id.to_string(), u.to_str().unwrap()]));
    let s = json(t(&env, &["incident", "show", &id.to_string(), "--json"]));
    assert_eq!(s["incident"]["notices"]["people"], 3);
    assert_eq!(fired(&s), Vec::<String>::new());
    // Rules changed since they were allowed: their items cannot be classified, so they count as
    // possibly 要配慮 until the officer says otherwise.
    std::fs::write(&rules, std::fs::read_to_string(&rules).unwrap() + "\n# edited\n").unwrap();
    let (w2, _) = first_people(&records, 2);
    let (id2, s) = open(&env, "unclassified.toml", &incident_toml(&format!("{w2}\ncolumns = [\"氏名\"]"), ""));
    assert_eq!(fired(&s), vec!["1"]);
    assert_eq!(s["incident"]["scope"]["unclassified"][0], "氏名");
    let u = env.write("reviewed.toml", "sensitive = false\n");
    ok(t(&env, &["incident", "update", &id2.to_string(), u.to_str().unwrap()]));
    let s = json(t(&env, &["incident", "show", &id2.to_string(), "--json"]));
    assert_eq!(fired(&s), Vec::<String>::new());
    // A preliminary report filed binds a final one, even when the case turns out exempt.
    let (w150, _) = first_people(&records, 150);
    let (id3, _) =
        open(&env, "filed.toml", &incident_toml(&format!("{w150}\ncolumns = [\"氏名\"]"), "sensitive = false"));
    let id3 = id3.to_string();
    ok(t(&env, &["incident", "filed", &id3, "--stage", "preliminary", "--date", "2027-05-30", "--reference", "x"]));
    let u = env.write(
        "enc.toml",
        "encrypted = true\nencryption_basis = \"AES-256で暗号化、鍵は別送せず庁内の鍵管理簿で管理（漏えいなし）\"\n",
    );
    ok(t(&env, &["incident", "update", &id3, u.to_str().unwrap()]));
    assert_eq!(t(&env, &["incident", "close", &id3, "--reason", "exempt"]).code, ExitCode::Registry.code());
    ok(t(&env, &["incident", "filed", &id3, "--stage", "final", "--date", "2027-06-01", "--reference", "y"]));
    ok(t(&env, &["incident", "close", &id3, "--reason", "暗号化が確認され報告対象外と判明（確報で報告）"]));
    // The profile may tighten the statute's numbers, never loosen them.
    let env2 = Env::new();
    for extra in [
        "leak_threshold = 101\n",
        "incident_final_days = 31\n",
        "incident_final_unlawful_days = 61\n",
        "incident_preliminary_days = 6\n",
    ] {
        let p = env2
            .write("p.toml", &(std::fs::read_to_string(repo().join("samples/registry/profile.toml")).unwrap() + extra));
        let r = env2.tokumei(&["registry", "init", "--registry", "r.sqlite", "--profile", p.to_str().unwrap()]);
        assert_ne!(r.code, 0, "{extra}");
    }
}

#[test]
fn an_internal_anonymised_release_is_personal_information_to_the_body() {
    let env = Env::new();
    registry(&env, "", &sample_csv());
    let job = env.job("internal", &sample_csv(), &sample_rules(), "");
    ok(t(&env, &["run", job.to_str().unwrap(), "--internal-use", "庁内統計"]));
    let release = json(t(&env, &["release", "list", "--json"]))[0]["release_id"].as_str().unwrap().to_string();
    let text = format!(
        "title = \"庁内統計の誤送信\"\ndiscovered = \"2027-05-28\"\ndiscovered_by = \"企画課\"\nkind = \"leak\"\ncause = \"誤送信\"\n[scope]\nrelease = \"{release}\"\n"
    );
    let (_, s) = open(&env, "i.toml", &text);
    assert_eq!(s["incident"]["assessment"]["regime"], "article68");
    assert!(fired(&s).contains(&"1".to_string()), "its 要配慮 items (from its report) count");
}

#[cfg(feature = "query")]
/// 00:30 JST on 2027-05-28 (15:30 UTC on the 27th).
const KNOWN_0030_JST: &str = "1811431800";
#[cfg(feature = "query")]
/// 23:30 JST on 2027-06-01, the 速報's last day (day 5) for an incident known on 2027-05-28.
const PRELIMINARY_DUE_2330_JST: &str = "1811860200";
#[cfg(feature = "query")]
/// 00:30 JST on 2027-06-02, the day after it (still 2027-06-01 in UTC).
const PRELIMINARY_NEXT_0030_JST: &str = "1811863800";

/// Domain rule: the report deadlines (規則43条: 速報 promptly, 確報 within 30 days) run from the
/// day the unit knew, a date in Japan: an incident known at 00:30 JST is known that day, not the
/// UTC date before it, and a report is overdue from 00:00 JST after its last day. Fail safe:
/// Japan's date is never later than the UTC date's deadline would allow.
#[cfg(feature = "query")] // SQL (a `where` or a `query`)
#[test]
fn an_incident_known_at_00_30_jst_counts_its_deadlines_from_japan_s_date() {
    let env = Env::new();
    registry(&env, "", &sample_csv());
    let (w, _) = first_people(&sample_records(), 120);
    let text = incident_toml(&format!("{w}\ncolumns = [\"氏名\", \"住所\"]"), "")
        .replace("discovered = \"2027-05-28\"", "discovered = \"2027-05-28T00:30\"");
    let f = env.write("a.toml", &text);
    // Known at 00:30 JST on the 28th, while UTC still says the 27th: accepted (not "in the future").
    let r = ok(t_at(&env, KNOWN_0030_JST, &["incident", "open", f.to_str().unwrap()]));
    let id: String = r.stdout.split_whitespace().nth(2).unwrap().trim_end_matches(':').to_string();
    let s = json(t_at(&env, KNOWN_0030_JST, &["incident", "show", &id, "--json"]));
    // The 28th is day 1: 速報 day 5 = 1 June; 確報 day 30 = 26 June (a Saturday, kept).
    assert_eq!(s["incident"]["facts"]["discovered"], "2027-05-28T00:30", "{s}");
    assert_eq!(s["incident"]["preliminary_due"], "2027-06-01");
    assert_eq!(s["incident"]["final_due"], "2027-06-26");
    let next = |now: &str| {
        let list = json(t_at(&env, now, &["incident", "list", "--json"]));
        (list[0]["next_due"].as_str().map(String::from), list[0]["days_left"].as_i64(), list[0]["overdue"].as_bool())
    };
    assert_eq!(next(KNOWN_0030_JST), (Some("preliminary".into()), Some(4), Some(false)));
    // The 速報's last day at 23:30 JST: due today, not overdue.
    assert_eq!(next(PRELIMINARY_DUE_2330_JST), (Some("preliminary".into()), Some(0), Some(false)));
    // 00:30 JST the day after (UTC still says the last day): overdue.
    assert_eq!(next(PRELIMINARY_NEXT_0030_JST), (Some("preliminary".into()), Some(-1), Some(true)));
    // Filed that day in Japan: the date is today, not tomorrow, and the filing is recorded as late.
    let r = t_at(
        &env,
        PRELIMINARY_NEXT_0030_JST,
        &["incident", "filed", &id, "--stage", "preliminary", "--date", "2027-06-03", "--reference", "x"],
    );
    assert_eq!(r.code, ExitCode::Registry.code(), "a day after today in Japan: {}", r.stderr);
    ok(t_at(
        &env,
        PRELIMINARY_NEXT_0030_JST,
        &["incident", "filed", &id, "--stage", "preliminary", "--date", "2027-06-02", "--reference", "PPC-1"],
    ));
    assert_eq!(ok(t_at(&env, PRELIMINARY_NEXT_0030_JST, &["registry", "verify"])).code, 0);
}

/// 番号法29条の4第1項 and 特定個人情報の漏えい等に関する報告等に関する規則2条1号: 個人番号 of 15
/// people sent to a wrong address is reportable to the Commission whatever the number of people
/// (no 法68 trigger fires), with its own report drafted beside the 法68 one and notices (同条2項).
#[cfg(feature = "query")] // SQL (a `where` or a `query`)
#[test]
fn fifteen_people_s_my_numbers_sent_to_a_wrong_address_are_reportable_bangou_29_4() {
    let env = Env::new();
    registry(&env, "", &sample_csv());
    let (w15, ids) = first_people(&sample_records(), 15);
    let text = incident_toml(&format!("{w15}\ncolumns = [\"氏名\", \"住所\", \"個人番号\"]"), "causes = [\"誤送付\"]");
    let f = env.write("mn.toml", &text);
    let opened = ok(t(&env, &["incident", "open", f.to_str().unwrap()]));
    assert!(!opened.stdout.contains("no report to the Commission is required"), "{}", opened.stdout);
    assert!(opened.stdout.contains("番号法29条の4"), "{}", opened.stdout);
    let id = opened.stdout.split_whitespace().nth(2).unwrap().trim_end_matches(':').to_string();
    let s = json(t(&env, &["incident", "show", &id, "--json"]));
    let a = &s["incident"]["assessment"];
    assert_eq!(a["my_number_report"], true, "{a}");
    assert_eq!(a["report_required"], false, "no 法68 trigger: 15 people, no 要配慮 item");
    assert_eq!(fired(&s), Vec::<String>::new());
    let mn: Vec<&str> = a["my_number_triggers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["fired"] == true)
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    assert_eq!(mn, vec!["1"]);
    // Its reports are due (day 1 = 28 May) and its people are to be notified.
    assert_eq!(
        (s["incident"]["preliminary_due"].as_str(), s["incident"]["final_due"].as_str()),
        (Some("2027-06-01"), Some("2027-06-26"))
    );
    let list = json(t(&env, &["incident", "list", "--json"]));
    assert_eq!((list[0]["my_number_report"].as_bool(), list[0]["notices_pending"].as_u64()), (Some(true), Some(15)));
    let shown = ok(t(&env, &["incident", "show", &id]));
    assert!(!shown.stdout.contains("no report to the Commission is required"), "{}", shown.stdout);
    assert!(shown.stdout.contains("番号法29条の4第1項 is required"), "{}", shown.stdout);
    // Both drafts, named.
    let r = ok(t(&env, &["incident", "report", &id, "--stage", "preliminary"]));
    assert!(r.stdout.contains("report_preliminary.html"), "{}", r.stdout);
    assert!(r.stdout.contains("mynumber_report_preliminary.html"), "{}", r.stdout);
    let dir = env.path(&format!("incidents/{id}"));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("mynumber_report_preliminary.json")).unwrap()).unwrap();
    assert_eq!(m["people"], 15);
    assert_eq!(m["events"][0]["code"], "1");
    assert_eq!(m["appi_report"]["required"], false);
    assert!(m["law"].as_str().unwrap().contains("第29条の4第1項"));
    let html = std::fs::read_to_string(dir.join("mynumber_report_preliminary.html")).unwrap();
    for field in [
        "特定個人情報の漏えい等に関する報告書",
        "2 特定個人情報の項目",
        "3 特定個人情報に係る本人の数",
        "4 原因",
        "5 二次被害",
        "6 本人への対応",
        "7 公表",
        "8 再発防止",
        "9 その他",
        "第2条第1号",
        "個人番号",
    ] {
        assert!(html.contains(field), "{field}");
    }
    let appi = std::fs::read_to_string(dir.join("report_preliminary.html")).unwrap();
    assert!(appi.contains("mynumber_report_preliminary.html") && appi.contains("任意の報告"));
    // No one's identifier or number in either draft.
    let numbers: Vec<String> =
        sample_records()[1..].iter().filter(|r| ids.contains(&r[0])).map(|r| r[1].clone()).collect();
    for x in ids.iter().chain(&numbers) {
        assert!(!html.contains(x.as_str()) && !appi.contains(x.as_str()) && !m.to_string().contains(x.as_str()));
    }
    // The filing is accepted (it covers the My Number report), and closing needs the notices.
    ok(t(&env, &["incident", "filed", &id, "--stage", "preliminary", "--date", "2027-06-01", "--reference", "PPC-1"]));
    ok(t(&env, &["incident", "filed", &id, "--stage", "final", "--date", "2027-06-01", "--reference", "PPC-2"]));
    let s = json(t(&env, &["incident", "show", &id, "--json"]));
    let filed = s["events"].as_array().unwrap().iter().find(|e| e["event"] == "filed").unwrap();
    assert_eq!(filed["detail"]["reports"], serde_json::json!(["my_number"]));
    assert_eq!(t(&env, &["incident", "close", &id, "--reason", "x"]).code, ExitCode::Registry.code());
    ok(t(&env, &["incident", "notify", &id, "--all", "--method", "mail", "--at", "2027-06-01"]));
    ok(t(&env, &["incident", "close", &id, "--reason", "報告・通知済み"]));
    // Encrypted (the key did not leak): no My Number report either.
    let f = env.write("enc.toml", &text.replace("causes =", "encrypted = true\nencryption_basis = \"AES-256で暗号化、鍵は別送せず庁内の鍵管理簿で管理（漏えいなし）\"\ncauses ="));
    let r = ok(t(&env, &["incident", "open", f.to_str().unwrap()]));
    assert!(r.stdout.contains("no report to the Commission is required"), "{}", r.stdout);
}

/// 規則43条3号 (不正の目的): unauthorised access, theft and staff taking data out are the guidance's
/// examples. A hacked system with 15 people's names and addresses is reportable, trigger 3, the
/// final report in 60 days; the officer's recorded reason why no unlawful purpose is suspected
/// turns it off, and the reason is kept in the timeline and printed in the draft.
#[cfg(feature = "query")] // SQL (a `where` or a `query`)
#[test]
fn a_hacked_system_is_trigger_3_with_60_days_unless_the_officer_records_why_not_rule_43_3() {
    let env = Env::new();
    registry(&env, "", &sample_csv());
    let (w15, _) = first_people(&sample_records(), 15);
    let scope = format!("{w15}\ncolumns = [\"氏名\", \"住所\"]");
    let text = incident_toml(&scope, "causes = [\"不正アクセス\"]")
        .replace("封入誤り", "外部からの侵入により住民情報システムが閲覧された");
    let (id, s) = open(&env, "hack.toml", &text);
    let id = id.to_string();
    assert_eq!(s["incident"]["assessment"]["report_required"], true);
    assert_eq!(fired(&s), vec!["3"]);
    assert_eq!(s["incident"]["final_due"], "2027-07-26", "60 days, 28 May being day 1");
    let shown = ok(t(&env, &["incident", "show", &id]));
    assert!(shown.stdout.contains("60 days: unlawful purpose"), "{}", shown.stdout);
    // Theft and staff taking data out, in either language; an unknown cause is an error.
    for cause in ["盗難", "theft", "従業者による不正な持出し", "taking_out"] {
        let (_, s) = open(&env, "c.toml", &incident_toml(&scope, &format!("causes = [\"{cause}\"]")));
        assert_eq!(fired(&s), vec!["3"], "{cause}");
    }
    let f = env.write("bad.toml", &incident_toml(&scope, "causes = [\"いたずら\"]"));
    let r = t(&env, &["incident", "open", f.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Config.code(), "{}", r.stderr);
    assert!(r.stderr.contains("causes") || r.stderr.contains("unknown variant"), "{}", r.stderr);
    // A cause only described in words fires too.
    let (_, s) = open(&env, "w.toml", &incident_toml(&scope, "").replace("封入誤り", "USBメモリの盗難"));
    assert_eq!(fired(&s), vec!["3"]);
    // A reason that says nothing (a zero-width space, punctuation only) switches nothing off,
    // at intake or by update (規則43条3号).
    for blank in ["\\u200b", "。", " \\u3000-"] {
        let f = env.write(
            "blank.toml",
            &incident_toml(&scope, &format!("causes = [\"不正アクセス\"]\nno_unlawful_purpose_reason = \"{blank}\"")),
        );
        let r = t(&env, &["incident", "open", f.to_str().unwrap()]);
        assert_eq!(r.code, ExitCode::Registry.code(), "{blank:?}: {}", r.stderr);
        assert!(r.stderr.contains("no_unlawful_purpose_reason"), "{}", r.stderr);
        let u = env.write("blank_u.toml", &format!("no_unlawful_purpose_reason = \"{blank}\"\n"));
        assert_eq!(t(&env, &["incident", "update", &id, u.to_str().unwrap()]).code, ExitCode::Registry.code());
        assert_eq!(fired(&json(t(&env, &["incident", "show", &id, "--json"]))), vec!["3"], "{blank:?}");
    }
    // The officer records why no unlawful purpose is suspected: not trigger 3, no report.
    let reason = "権限設定の誤りで他課職員が閲覧できた状態であり、外部への持出し・送信はログで否定された";
    let u = env.write("reason.toml", &format!("no_unlawful_purpose_reason = \"{reason}\"\n"));
    ok(t(&env, &["incident", "update", &id, u.to_str().unwrap()]));
    let s = json(t(&env, &["incident", "show", &id, "--json"]));
    assert_eq!(fired(&s), Vec::<String>::new());
    assert_eq!(s["incident"]["assessment"]["report_required"], false);
    let t3 = s["incident"]["assessment"]["triggers"].as_array().unwrap().iter().find(|t| t["code"] == "3").unwrap();
    assert!(t3["why"].as_str().unwrap().contains(reason), "{t3}");
    let updated = s["events"].as_array().unwrap().iter().find(|e| e["event"] == "updated").unwrap();
    assert_eq!(updated["detail"]["no_unlawful_purpose_reason"], reason, "in the timeline (journaled)");
    assert!(ok(t(&env, &["incident", "show", &id])).stdout.contains(reason));
    ok(t(&env, &["incident", "report", &id, "--stage", "preliminary"]));
    let html = std::fs::read_to_string(env.path(&format!("incidents/{id}/report_preliminary.html"))).unwrap();
    assert!(html.contains(reason) && html.contains("不正の目的が疑われない理由"), "in the draft");
    // A reason beside a suspected unlawful purpose is refused; an empty one withdraws it.
    let u = env.write("both.toml", "unlawful_purpose = true\n");
    assert_eq!(t(&env, &["incident", "update", &id, u.to_str().unwrap()]).code, ExitCode::Registry.code());
    let u = env.write("withdraw.toml", "no_unlawful_purpose_reason = \"\"\n");
    ok(t(&env, &["incident", "update", &id, u.to_str().unwrap()]));
    assert_eq!(fired(&json(t(&env, &["incident", "show", &id, "--json"]))), vec!["3"]);
    let r = ok(env.tokumei(&["audit", "verify", "--log", "audit.log", "--registry", REG]));
    assert!(r.stdout.contains("every row, change and release matches the audit log"), "{}", r.stdout);
}

/// 規則44条 (8条) "知った日から": by default the day of learning is day 1 and a last day on a closed
/// day stays (the earliest date); another reading is the profile's only with its source recorded,
/// and `incident show` and the draft say which counting gave the dates.
#[cfg(feature = "query")] // SQL (a `where` or a `query`)
#[test]
fn the_report_dates_state_their_counting_and_another_one_needs_its_source_rule_44() {
    let env = Env::new();
    for extra in ["incident_counting = \"day_after\"\n", "incident_counting_source = \"Q&A\"\n"] {
        let p = env.write("p.toml", &(sample_profile() + extra));
        let r = env.tokumei(&["registry", "init", "--registry", "x.sqlite", "--profile", p.to_str().unwrap()]);
        assert_ne!(r.code, 0, "{extra}");
        assert!(r.stderr.contains("incident_counting"), "{}", r.stderr);
    }
    let source = "見本市法務課の見解（民法140条・142条、2027年4月1日）";
    registry(
        &env,
        &format!("incident_counting = \"day_after_next_open_day\"\nincident_counting_source = \"{source}\"\n"),
        &sample_csv(),
    );
    let (w, _) = first_people(&sample_records(), 120);
    let (id, s) = open(&env, "a.toml", &incident_toml(&format!("{w}\ncolumns = [\"氏名\", \"住所\"]"), ""));
    // From the day after 28 May: 速報 +5 = 2 June; 確報 +30 = 27 June, a Sunday -> 28 June.
    assert_eq!(
        (s["incident"]["preliminary_due"].as_str(), s["incident"]["final_due"].as_str()),
        (Some("2027-06-02"), Some("2027-06-28"))
    );
    let c = &s["incident"]["assessment"]["counting"];
    assert_eq!((c["code"].as_str(), c["source"].as_str()), (Some("day_after_next_open_day"), Some(source)));
    let shown = ok(t(&env, &["incident", "show", &id.to_string()]));
    assert!(shown.stdout.contains("翌日から起算") && shown.stdout.contains(source), "{}", shown.stdout);
    ok(t(&env, &["incident", "report", &id.to_string(), "--stage", "final"]));
    let html = std::fs::read_to_string(env.path(&format!("incidents/{id}/report_final.html"))).unwrap();
    assert!(html.contains("報告期限の計算") && html.contains(source));
    // The default: the earliest reading, stated.
    let env = Env::new();
    registry(&env, "", &sample_csv());
    let (id, _) = open(&env, "a.toml", &incident_toml(&format!("{w}\ncolumns = [\"氏名\", \"住所\"]"), ""));
    let shown = ok(t(&env, &["incident", "show", &id.to_string()]));
    assert!(shown.stdout.contains("知った日を1日目") && shown.stdout.contains("learned_day_one"), "{}", shown.stdout);
}

/// 番号法2条8項: a code that stands for a 個人番号 (a pseudonym made from it) is itself a 個人番号,
/// so a leak of a municipality's pseudonymised internal release that kept 個人番号 as a code under
/// another name is a My Number leak (番号法29条の4, 報告規則2条1号): the item is known from the
/// release's own report (its input column), not from the output column's name.
#[test]
fn a_pseudonymised_my_number_under_another_name_is_still_a_my_number_leak_bangou_2_8_and_29_4() {
    let env = Env::new();
    registry(&env, "", &sample_csv());
    assert_eq!(env.tokumei(&["keygen", "--out", env.path("k.key").to_str().unwrap()]).code, 0);
    let rules = std::fs::read_to_string(sample_rules())
        .unwrap()
        .replace("mode = \"anonymized\"", "mode = \"pseudonymized\"")
        .replace(
            "name = \"個人番号\"\nrole = \"identification_code\"\naction = \"drop\"",
            "name = \"個人番号\"\nrole = \"linking_code\"\naction = \"pseudonymize\"\noutput = \"pid\"\nlength = 16",
        );
    assert!(rules.contains("output = \"pid\""));
    let rules = env.write("pseudo_mn.toml", &rules);
    let extra = format!("encoding = \"auto\"\n[keys]\npseudonym_key_file = \"{}\"", env.path("k.key").display());
    let job = env.job("internal", &sample_csv(), &rules, &extra);
    ok(t(&env, &["run", job.to_str().unwrap(), "--internal-use", "介護保険事業計画の需要推計"]));
    let list = json(t(&env, &["release", "list", "--json"]));
    let release = list[0]["release_id"].as_str().unwrap().to_string();
    let text = format!(
        "title = \"仮名化データの誤送信\"\ndiscovered = \"2027-05-28\"\ndiscovered_by = \"介護保険課\"\nkind = \"leak\"\ncause = \"メール誤送信\"\n[scope]\nrelease = \"{release}\"\ncolumns = [\"pid\"]\n"
    );
    let (_, s) = open(&env, "mn.toml", &text);
    let a = &s["incident"]["assessment"];
    assert_eq!(a["my_number_report"], true, "{a}");
    let items = s["incident"]["scope"]["items"].to_string();
    assert!(items.contains("\"my_number\":true"), "{items}");
}

/// 規則44条「知った日から」: under the default counting the due dates never move later. An update
/// may find the unit learned earlier (the dates move earlier), never later, even before the
/// preliminary report is filed.
#[cfg(feature = "query")] // SQL (a `where` or a `query`)
#[test]
fn an_update_never_moves_the_day_of_learning_later_rule_44() {
    let env = Env::new();
    registry(&env, "", &sample_csv());
    let (w, _) = first_people(&sample_records(), 120);
    let (id, s) = open(&env, "a.toml", &incident_toml(&format!("{w}\ncolumns = [\"氏名\", \"住所\"]"), ""));
    let id = id.to_string();
    let due = |s: &serde_json::Value| {
        (
            s["incident"]["preliminary_due"].as_str().map(String::from),
            s["incident"]["final_due"].as_str().map(String::from),
        )
    };
    let before = due(&s);
    assert_eq!(before, (Some("2027-06-01".into()), Some("2027-06-26".into())));
    let u = env.write("later.toml", "discovered = \"2027-05-31\"\n");
    let r = t(&env, &["incident", "update", &id, u.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("never a later one"), "{}", r.stderr);
    assert_eq!(due(&json(t(&env, &["incident", "show", &id, "--json"]))), before);
    let u = env.write("earlier.toml", "discovered = \"2027-05-26\"\n");
    ok(t(&env, &["incident", "update", &id, u.to_str().unwrap()]));
    assert_eq!(
        due(&json(t(&env, &["incident", "show", &id, "--json"]))),
        (Some("2027-05-30".into()), Some("2027-06-24".into()))
    );
}

/// 番号法29条の4 and 規則44条 on an upgraded registry (fail safe): an incident still open when the
/// registry was upgraded keeps the assessment the older tokumei stored (no My Number checks, no
/// recorded counting, the later dates of the old counting). Every read shows it re-assessed under
/// the current rules, never the stored laxer one, and `registry status` names it. The old row is
/// made as an officer's reviewed edit would be: written with SQLite, then accepted by a reasoned
/// `registry reset` (the tamper seal refuses it otherwise).
#[cfg(feature = "query")] // SQL (a `where` or a `query`)
#[test]
fn an_incident_assessed_before_the_my_number_checks_is_shown_re_assessed_bangou_29_4() {
    let env = Env::new();
    registry(&env, "", &sample_csv());
    let (w15, _) = first_people(&sample_records(), 15);
    let text = incident_toml(&format!("{w15}\ncolumns = [\"氏名\", \"住所\", \"個人番号\"]"), "causes = [\"誤送付\"]");
    let (id, _) = open(&env, "mn.toml", &text);
    let id = id.to_string();
    // The row as an older tokumei left it.
    let conn = rusqlite::Connection::open(env.path(REG)).unwrap();
    let stored: String = conn.query_row("SELECT assessment FROM incidents WHERE id = ?1", [&id], |r| r.get(0)).unwrap();
    let mut a: serde_json::Value = serde_json::from_str(&stored).unwrap();
    let o = a.as_object_mut().unwrap();
    o.remove("counting");
    o.remove("my_number_triggers");
    o.insert("my_number_report".into(), false.into());
    conn.execute(
        "UPDATE incidents SET assessment = ?1, preliminary_due = '2027-06-02', final_due = '2027-06-28' WHERE id = ?2",
        [&a.to_string(), &id],
    )
    .unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    drop(conn);
    ok(env.tokumei(&[
        "registry",
        "reset",
        "--registry",
        REG,
        "--reason",
        "registry upgraded from an older tokumei; rows reviewed by the officer",
    ]));
    // show: the current law's flag and dates (day 1 = 28 May), and why.
    let s = json(t(&env, &["incident", "show", &id, "--json"]));
    let a = &s["incident"]["assessment"];
    assert_eq!(a["my_number_report"], true, "{a}");
    assert_eq!(a["counting"]["code"], "learned_day_one", "{a}");
    assert_eq!(
        (s["incident"]["preliminary_due"].as_str(), s["incident"]["final_due"].as_str()),
        (Some("2027-06-01"), Some("2027-06-26"))
    );
    assert!(s["incident"]["reassessed"].as_str().unwrap().contains("番号法29条の4"), "{s}");
    let shown = ok(t(&env, &["incident", "show", &id]));
    assert!(shown.stdout.contains("re-assessed under the current rules"), "{}", shown.stdout);
    assert!(shown.stdout.contains("番号法29条の4第1項 is required"), "{}", shown.stdout);
    assert!(!shown.stdout.contains("2027-06-28") && !shown.stdout.contains("2027-06-02"), "{}", shown.stdout);
    // list: the same.
    let list = json(t(&env, &["incident", "list", "--json"]));
    assert_eq!(
        (list[0]["my_number_report"].as_bool(), list[0]["preliminary_due"].as_str(), list[0]["reassessed"].as_bool()),
        (Some(true), Some("2027-06-01"), Some(true))
    );
    assert!(ok(t(&env, &["incident", "list"])).stdout.contains("re-assessed"));
    // A read changes nothing: the registry still proves.
    ok(env.tokumei(&["registry", "verify", "--registry", REG]));
    // registry status names it for the officer.
    let st = ok(env.tokumei_with(&["registry", "status", "--registry", REG], &[("TOKUMEI_NOW", NOW)]));
    assert!(
        st.stdout.contains(&format!("incident {id}: assessed before 番号法29条の4 checks")),
        "{}{}",
        st.stdout,
        st.stderr
    );
    // The My Number draft is made from the current assessment.
    let r = ok(t(&env, &["incident", "report", &id, "--stage", "preliminary"]));
    assert!(r.stdout.contains("mynumber_report_preliminary.html"), "{}", r.stdout);
    // An update records the current assessment; nothing is re-assessed on read any more.
    let u = env.write("u.toml", "title = \"誤送付（確認済み）\"\n");
    ok(t(&env, &["incident", "update", &id, u.to_str().unwrap()]));
    let s = json(t(&env, &["incident", "show", &id, "--json"]));
    assert!(s["incident"]["reassessed"].is_null(), "{s}");
    assert_eq!(s["incident"]["assessment"]["my_number_report"], true);
    let st = ok(env.tokumei_with(&["registry", "status", "--registry", REG], &[("TOKUMEI_NOW", NOW)]));
    assert!(!st.stdout.contains("assessed before"), "{}", st.stdout);
}
