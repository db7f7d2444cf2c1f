//! Residents' requests through the binary: intake, matching, deadlines, the disclosure package,
//! decisions and notices, corrections and suspensions applied by later runs.

use crate::util::*;
use tokumei_engine::ExitCode;

const REG: &str = "reg/registry.sqlite";
/// 2026-11-27T00:00:00Z: "today" of these tests.
const TODAY: &str = "1795737600";

fn t(env: &Env, args: &[&str]) -> Run {
    let mut a = args.to_vec();
    a.extend(["--registry", REG]);
    env.tokumei_with(&a, &[("TOKUMEI_NOW", TODAY)])
}

fn ok(env: &Env, args: &[&str]) -> Run {
    let r = t(env, args);
    assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
    r
}

/// A registry (the sample profile plus `profile_extra`) with the sample resident file and its
/// extract registered as the file's source.
fn registry(env: &Env, profile_extra: &str) {
    sample_registry(env, REG, profile_extra);
    let csv = sample_csv();
    ok(
        env,
        &[
            "file",
            "add-source",
            "住民基本台帳ファイル",
            "--input",
            csv.to_str().unwrap(),
            "--subject-column",
            "宛名番号",
            "--name-column",
            "氏名",
            "--birth-column",
            "生年月日",
            "--others-column",
            "世帯番号",
        ],
    );
}

/// An intake file's text: a request of `kind` received on `received` from the person `subject`
/// themselves, with `rest` (more fields).
fn intake(kind: &str, received: &str, subject: &str, rest: &str) -> String {
    format!(
        "kind = \"{kind}\"\nreceived = \"{received}\"\nrequester = \"本人\"\ncapacity = \"self\"\nverification = \"運転免許証\"\nrecords = \"全て\"\nsubject = \"{subject}\"\n{rest}"
    )
}

fn open(env: &Env, name: &str, toml: &str) -> i64 {
    let path = env.write(name, toml);
    let r = ok(env, &["request", "open", path.to_str().unwrap()]);
    r.stdout.split_whitespace().nth(2).unwrap().parse().unwrap()
}

fn show(env: &Env, id: i64) -> serde_json::Value {
    let r = ok(env, &["request", "show", &id.to_string(), "--json"]);
    serde_json::from_str(&r.stdout).unwrap()
}

/// The sample's records, and a person who shares a household with others and whose name or
/// birth date someone else also has, if the sample has one (it does).
fn target() -> (Vec<Vec<String>>, usize) {
    let rows = read_csv_cp932(&sample_csv());
    let h = &rows[0];
    let (hh, birth) = (col(h, "世帯番号"), col(h, "生年月日"));
    let i = (1..rows.len())
        .find(|&i| {
            let shares = |c: usize| (1..rows.len()).any(|j| j != i && rows[j][c] == rows[i][c]);
            shares(hh) && shares(birth) && rows[i][birth].starts_with("19")
        })
        .expect("a person sharing a household and a birth date");
    (rows, i)
}

fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|c| c == name).unwrap()
}

/// Everyone in the sample who is not `i` but shares their household, name or birth date.
fn look_alikes(rows: &[Vec<String>], i: usize) -> Vec<usize> {
    let h = &rows[0];
    let cs = [col(h, "世帯番号"), col(h, "氏名"), col(h, "生年月日")];
    (1..rows.len()).filter(|&j| j != i && cs.iter().any(|&c| rows[j][c] == rows[i][c])).collect()
}

#[test]
fn a_disclosure_package_holds_exactly_the_persons_records() {
    let env = Env::new();
    registry(&env, "disclosure_fee_yen = 300\n");
    let (rows, i) = target();
    let h = &rows[0];
    let (id_c, name_c, birth_c) = (col(h, "宛名番号"), col(h, "氏名"), col(h, "生年月日"));
    let me = &rows[i];
    // The requester gives a name with a half-width space and the birth date in 和暦.
    let birth = tokumei_jp::parse_date(&me[birth_c]).unwrap();
    let wareki = if birth.year >= 1989 {
        format!("平成{}年{}月{}日", birth.year - 1988, birth.month, birth.day)
    } else {
        format!("昭和{}年{}月{}日", birth.year - 1925, birth.month, birth.day)
    };
    let name = me[name_c].replace('　', " ");
    let id = open(
        &env,
        "r.toml",
        &format!(
            "kind = \"disclosure\"\nreceived = \"2026-11-02\"\nrequester = \"{name}\"\ncapacity = \"self\"\nverification = \"運転免許証\"\nrecords = \"住民基本台帳ファイルの本人の記録\"\n[match]\nname = \"{name}\"\nbirth_date = \"{wareki}\"\n"
        ),
    );
    let r = show(&env, id);
    assert_eq!(r["request"]["due"], "2026-12-02");
    assert_eq!(r["request"]["fee_yen"], 300);
    // Every candidate is shown; the officer's choice is recorded.
    let r = ok(&env, &["request", "match", &id.to_string()]);
    assert!(r.stdout.contains(&me[id_c]), "{}", r.stdout);
    assert!(!r.stdout.contains(&me[col(h, "個人番号")]), "a 個人番号 is never shown to match");
    let r = t(&env, &["request", "match", &id.to_string(), "--choose", "999999999"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "not a candidate: {}", r.stderr);
    ok(&env, &["request", "match", &id.to_string(), "--choose", &me[id_c]]);
    // A decision before the draft is refused.
    let r = t(&env, &["request", "decide", &id.to_string(), "--decision", "full"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    ok(&env, &["request", "disclose", &id.to_string(), "--out", "pkg"]);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("pkg/disclosure.json")).unwrap()).unwrap();
    // Exactly the person's records: the items are the non-empty values of their rows.
    let mine: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[id_c] == me[id_c]).collect();
    let expected: usize = mine.iter().map(|r| r.iter().filter(|v| !v.trim().is_empty()).count()).sum();
    let items = doc["items"].as_array().unwrap();
    assert_eq!(items.len(), expected);
    assert_eq!(doc["records"], mine.len());
    for it in items.iter().filter(|it| it["withheld"].is_null()) {
        let column = it["column"].as_str().unwrap();
        let value = it["value"].as_str().unwrap();
        assert!(mine.iter().any(|r| r[col(h, column)] == value), "{column} = {value} is not the person's");
    }
    assert_eq!(doc["files"][0]["regular_recipients"][0], "県 (住民基本台帳ネットワーク)");
    // Nobody sharing their household, name or birth date appears in any file of the package.
    let others = look_alikes(&rows, i);
    assert!(!others.is_empty());
    for f in ["disclosure.json", "disclosure.csv", "disclosure.html"] {
        let text = std::fs::read_to_string(env.path("pkg").join(f)).unwrap();
        for &j in &others {
            assert!(!text.contains(&rows[j][id_c]), "{f} holds another person's 宛名番号");
            if rows[j][name_c] != me[name_c] {
                assert!(!text.contains(&rows[j][name_c]), "{f} holds another person's name");
            }
        }
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(env.path("pkg/disclosure.html")).unwrap().permissions().mode() & 0o077, 0);
    // The household number links the other members: it starts withheld (法78条1項2号), so a
    // full disclosure is refused until the officer decides on it.
    let hh_item = items.iter().find(|it| it["column"] == "世帯番号").unwrap();
    assert!(hh_item["value"].is_null() && hh_item["withheld"] == "法78条1項2号", "{hh_item}");
    let csv = std::fs::read_to_string(env.path("pkg/disclosure.csv")).unwrap();
    assert!(!csv.contains(&me[col(h, "世帯番号")]) && csv.contains("法78条1項2号"), "{csv}");
    let r = t(&env, &["request", "decide", &id.to_string(), "--decision", "full"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "an item is withheld: {}", r.stderr);
    // The officer discloses it after all, and withholds the relationship instead.
    let item_of = |c: &str| items.iter().find(|it| it["column"] == c).unwrap()["item"].as_u64().unwrap().to_string();
    ok(&env, &["request", "withhold", &id.to_string(), "--item", &item_of("世帯番号"), "--release"]);
    ok(
        &env,
        &[
            "request",
            "withhold",
            &id.to_string(),
            "--item",
            &item_of("続柄"),
            "--ground",
            "2",
            "--note",
            "世帯主との関係",
        ],
    );
    // The package on file still shows the relationship: no decision on it.
    let r = t(&env, &["request", "decide", &id.to_string(), "--decision", "partial", "--reason", "x"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "a stale package: {}", r.stderr);
    assert!(r.stderr.contains("rebuild"), "{}", r.stderr);
    ok(&env, &["request", "disclose", &id.to_string(), "--out", "pkg"]);
    let csv = std::fs::read_to_string(env.path("pkg/disclosure.csv")).unwrap();
    assert!(csv.contains(&me[col(h, "世帯番号")]) && csv.contains("法78条1項2号"), "{csv}");
    // A decision is not dated before the draft it decides on (made today).
    let r = t(
        &env,
        &["request", "decide", &id.to_string(), "--decision", "partial", "--reason", "x", "--date", "2026-11-20"],
    );
    assert_eq!(r.code, ExitCode::Registry.code(), "backdated: {}", r.stderr);
    ok(
        &env,
        &[
            "request",
            "decide",
            &id.to_string(),
            "--decision",
            "partial",
            "--reason",
            "世帯員の情報を含む",
            "--out",
            "pkg",
        ],
    );
    let notice = std::fs::read_to_string(env.path("pkg/notice-decision.html")).unwrap();
    assert!(
        notice.contains("保有個人情報開示決定通知書") && notice.contains("審査請求") && notice.contains("法78条1項2号")
    );
    // Carried out; the 90 days for correction and suspension start.
    let r = t(
        &env,
        &[
            "request",
            "carry-out",
            &id.to_string(),
            "--date",
            "2026-11-27",
            "--method",
            "写しの交付",
            "--chosen",
            "2026-11-27",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("until 2027-02-25"), "{}", r.stdout);
    // Every step is in the timeline and audited, without the person's data.
    let events: Vec<String> =
        show(&env, id)["events"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        events,
        ["opened", "match", "draft", "package", "withhold", "withhold", "draft", "package", "decided", "carry-out"]
    );
    let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
    assert!(log.contains("registry-request-decide"));
    for v in [&me[id_c], &me[name_c], &name] {
        assert!(!log.contains(v.as_str()), "the audit log holds a value of the person");
    }
    assert_eq!(t(&env, &["registry", "verify"]).code, 0);
}

#[test]
fn deadlines_count_from_the_day_after_receipt_with_defects_and_extensions() {
    let env = Env::new();
    registry(&env, "");
    let intake = |received: &str| {
        format!(
            "kind = \"disclosure\"\nreceived = \"{received}\"\nrequester = \"申請者\"\ncapacity = \"agent\"\nverification = \"委任状と本人確認書類\"\nrecords = \"本人の記録\"\nsubject = \"100599658\"\n"
        )
    };
    // Received on 31 October: due 30 November; 5 days of 補正 move it to 5 December.
    let a = open(&env, "a.toml", &intake("2026-10-31"));
    assert_eq!(show(&env, a)["request"]["due"], "2026-11-30");
    let r = ok(&env, &["request", "defect", &a.to_string(), "--days", "5", "--reason", "請求書の記載漏れ"]);
    assert!(r.stdout.contains("2026-12-05"), "{}", r.stdout);
    // An extension beyond the profile's 30 days, or noticed after the deadline, is refused.
    let r = t(&env, &["request", "extend", &a.to_string(), "--days", "31", "--reason", "大量"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    let r = ok(&env, &["request", "extend", &a.to_string(), "--days", "30", "--reason", "事務の繁忙", "--out", "n"]);
    assert!(r.stdout.contains("2027-01-04"), "{}", r.stdout);
    let notice = std::fs::read_to_string(env.path("n/notice-extension.html")).unwrap();
    assert!(notice.contains("開示決定等の期限の延長について") && notice.contains("2027-01-04"));
    let r = t(&env, &["request", "extend", &a.to_string(), "--days", "1", "--reason", "again"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "only one extension: {}", r.stderr);
    // Received on 30 September: overdue today; one received today is not due within 7 days.
    let b = open(&env, "b.toml", &intake("2026-09-30"));
    let c = open(&env, "c.toml", &intake("2026-11-27"));
    let d = open(&env, "d.toml", &intake("2026-11-01"));
    let list = |extra: &[&str]| -> Vec<(i64, bool)> {
        let mut args = vec!["request", "list", "--json"];
        args.extend(extra);
        let v: serde_json::Value = serde_json::from_str(&ok(&env, &args).stdout).unwrap();
        v.as_array().unwrap().iter().map(|r| (r["id"].as_i64().unwrap(), r["overdue"].as_bool().unwrap())).collect()
    };
    assert_eq!(list(&["--overdue"]), [(b, true)]);
    assert_eq!(list(&["--due-within", "7d"]), [(b, true), (d, false)]);
    assert_eq!(list(&[]).len(), 4);
    let _ = c;
    // A special extension (法84) sets a later date for the rest; the 相当の部分 is still due within
    // the normal period (received 2026-11-01 + 60 days): that is the deadline until it is decided.
    // Its notice is the 特例延長通知書.
    ok(
        &env,
        &[
            "request",
            "extend",
            &d.to_string(),
            "--special",
            "--until",
            "2027-03-31",
            "--reason",
            "著しく大量",
            "--out",
            "n",
        ],
    );
    assert_eq!(show(&env, d)["deadline"], "2026-12-31");
    assert!(std::fs::read_to_string(env.path("n/notice-special-extension.html")).unwrap().contains("特例"));
    // A decision after the deadline is recorded as late.
    ok(&env, &["request", "disclose", &b.to_string(), "--out", "nb"]);
    ok(&env, &["request", "decide", &b.to_string(), "--decision", "partial", "--reason", "世帯番号", "--out", "nb"]);
    assert_eq!(show(&env, b)["request"]["decision"]["late"], true);
}

#[test]
fn bad_requests_are_refused_with_the_reason() {
    let env = Env::new();
    registry(&env, "");
    let base = "received = \"2026-11-02\"\nrequester = \"申請者\"\ncapacity = \"self\"\nverification = \"旅券\"\nrecords = \"本人の記録\"\n";
    for (name, body, want) in [
        ("mn", "kind = \"disclosure\"\nmy_number = \"123456789018\"\n", "番号法9条"),
        ("none", "kind = \"disclosure\"\n", "subject"),
        (
            "fee",
            "kind = \"correction\"\nsubject = \"1\"\nfee_yen = 300\ndisclosed_on = \"2026-10-01\"\n[[correction]]\nfile = \"住民基本台帳ファイル\"\ncolumn = \"住所\"\nvalue = \"x\"\n",
            "free",
        ),
        (
            "late",
            "kind = \"correction\"\nsubject = \"1\"\ndisclosed_on = \"2026-07-01\"\n[[correction]]\nfile = \"住民基本台帳ファイル\"\ncolumn = \"住所\"\nvalue = \"x\"\n",
            "90 days",
        ),
        ("optout", "kind = \"opt_out\"\nsubject = \"1\"\n", "opt-out policy"),
        ("nomeasure", "kind = \"suspension\"\nsubject = \"1\"\ndisclosed_on = \"2026-10-01\"\n", "measure"),
        ("future", "kind = \"disclosure\"\nsubject = \"1\"\nreceived = \"2027-01-01\"\n", ""),
    ] {
        let text = match name {
            "future" => format!("{}{body}", base.replace("received = \"2026-11-02\"\n", "")),
            _ => format!("{base}{body}"),
        };
        let p = env.write(&format!("{name}.toml"), &text);
        let r = t(&env, &["request", "open", p.to_str().unwrap()]);
        assert_ne!(r.code, 0, "{name} was accepted");
        assert!(r.stderr.contains(want), "{name}: {}", r.stderr);
    }
    // A 個人番号 column is never a search key.
    let r = t(
        &env,
        &[
            "file",
            "add-source",
            "住民基本台帳ファイル",
            "--input",
            sample_csv().to_str().unwrap(),
            "--subject-column",
            "個人番号",
        ],
    );
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("番号法9条"), "{}", r.stderr);
    assert_eq!(t(&env, &["requests", "list"]).code, ExitCode::Usage.code());
    assert_eq!(t(&env, &["request", "show", "99"]).code, ExitCode::Registry.code());
}

/// A suspension accepted: no later release holds the person. Pseudonymised: their pseudonym
/// (found through the disclosure package) is gone from the new release. Anonymised: the
/// registry's subject set of the new release does not hold them, and the decision lists the
/// releases made before it.
#[test]
fn a_suspended_person_never_reappears_in_a_release() {
    let env = Env::new();
    registry(&env, "subject_index = true\n");
    let rows = read_csv_cp932(&sample_csv());
    let id_c = col(&rows[0], "宛名番号");
    // Pseudonymised internal use and anonymised internal use, before the request.
    let key = env.path("k.key");
    assert_eq!(env.tokumei(&["keygen", "--out", key.to_str().unwrap()]).code, 0);
    let pseudo_rules =
        std::fs::read_to_string(sample_rules()).unwrap().replace("mode = \"anonymized\"", "mode = \"pseudonymized\"");
    let pseudo_rules = env.write("pseudo.toml", &pseudo_rules);
    let extra = format!("encoding = \"auto\"\n[keys]\npseudonym_key_file = \"{}\"", key.display());
    let pjob = env.job("internal", &sample_csv(), &pseudo_rules, &extra);
    let ajob = env.job("anon", &sample_csv(), &sample_rules(), "");
    ok(&env, &["run", pjob.to_str().unwrap(), "--internal-use", "需要推計"]);
    ok(&env, &["run", ajob.to_str().unwrap(), "--internal-use", "統計"]);
    let first = env.releases("resident_registry");
    assert_eq!(first.len(), 2);
    // A person asks for disclosure: the package includes their pseudonymised records (the
    // first person of the extract whose records were not suppressed there).
    let mut found = None;
    for row in &rows[1..40] {
        let person = row[id_c].clone();
        let intake = format!(
            "kind = \"disclosure\"\nreceived = \"2026-11-02\"\nrequester = \"本人\"\ncapacity = \"self\"\nverification = \"運転免許証\"\nrecords = \"全て\"\nsubject = \"{person}\"\n"
        );
        let d = open(&env, &format!("d{person}.toml"), &intake);
        if found.is_none() {
            let r = t(&env, &["request", "disclose", &d.to_string(), "--out", "pkg"]);
            assert_eq!(r.code, ExitCode::Registry.code(), "a pseudonymised release left unsearched: {}", r.stderr);
        }
        ok(&env, &["request", "disclose", &d.to_string(), "--out", "pkg", "--job", pjob.to_str().unwrap()]);
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(env.path("pkg/disclosure.json")).unwrap()).unwrap();
        let code = doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["column"] == "レコードID")
            .and_then(|i| i["value"].as_str())
            .map(String::from);
        if let Some(code) = code {
            found = Some((person, d, code));
            break;
        }
        ok(&env, &["request", "close", &d.to_string(), "--reason", "取下げ"]);
    }
    let (person, d, code) = found.expect("someone's pseudonymised records");
    let records = rows[1..].iter().filter(|r| r[id_c] == person).count() as u64;
    ok(&env, &["request", "decide", &d.to_string(), "--decision", "partial", "--reason", "世帯番号"]);
    ok(
        &env,
        &["request", "carry-out", &d.to_string(), "--date", "2026-11-27", "--method", "閲覧", "--chosen", "2026-11-27"],
    );
    // Suspension: an objection to anonymisation alone would be refused; this one is unlawful use.
    let s = open(
        &env,
        "s.toml",
        &intake(
            "suspension",
            "2026-11-27",
            &person,
            &format!("follows = {d}\nmeasure = \"stop_use\"\nreason = \"目的外利用\"\n"),
        ),
    );
    let r = t(&env, &["request", "decide", &s.to_string(), "--decision", "accepted"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "an accepted suspension states its ground: {}", r.stderr);
    ok(
        &env,
        &[
            "request",
            "decide",
            &s.to_string(),
            "--decision",
            "accepted",
            "--ground",
            "unlawful_use",
            "--reason",
            "目的外利用を確認",
            "--out",
            "ns",
        ],
    );
    let decision = &show(&env, s)["request"]["decision"];
    assert_eq!(decision["releases_before"].as_array().unwrap().len(), 2, "{decision}");
    assert!(std::fs::read_to_string(env.path("ns/notice-decision.html")).unwrap().contains("利用停止をする"));
    // Later runs: the person is out of both, and the reports say how many records (not who).
    ok(&env, &["run", pjob.to_str().unwrap(), "--internal-use", "需要推計"]);
    ok(&env, &["run", ajob.to_str().unwrap(), "--internal-use", "統計"]);
    let all = env.releases("resident_registry");
    let new: Vec<_> = all.iter().filter(|r| !first.contains(r)).collect();
    assert_eq!(new.len(), 2);
    let old_pseudo = first.iter().find(|r| report(r)["mode"] == "pseudonymized").unwrap();
    let new_pseudo = new.iter().find(|r| report(r)["mode"] == "pseudonymized").unwrap();
    let codes = |dir: &std::path::Path| {
        let t = read_parquet(&dir.join("resident_registry.parquet"));
        let c = t.col("レコードID");
        t.rows.iter().filter(|r| r[c].as_deref() == Some(code.as_str())).count() as u64
    };
    assert!(codes(old_pseudo) > 0);
    assert_eq!(codes(new_pseudo), 0);
    for r in &new {
        let rep = report(r);
        assert_eq!(rep["requests"]["excluded_records"], records);
        assert_eq!(rep["rows_in"].as_u64().unwrap(), rows.len() as u64 - 1 - records);
        let md = std::fs::read_to_string(r.join("report.md")).unwrap();
        assert!(!md.contains(&person));
    }
    // The registry's subject sets: both earlier releases hold the person, neither new one.
    let v: serde_json::Value =
        serde_json::from_str(&ok(&env, &["subject", "provisions", &person, "--json"]).stdout).unwrap();
    let found: Vec<String> =
        v["releases"].as_array().unwrap().iter().map(|r| r["release_id"].as_str().unwrap().to_string()).collect();
    let names = |dirs: &[&std::path::PathBuf]| -> Vec<String> {
        let mut v: Vec<String> = dirs.iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    };
    let mut found_sorted = found.clone();
    found_sorted.sort();
    assert_eq!(found_sorted, names(&first.iter().collect::<Vec<_>>()));
    assert_eq!(v["excluded"][0]["request"], s);
    // The registry proves which request excluded the subject since when, and each release what it applied.
    let list: serde_json::Value = serde_json::from_str(&ok(&env, &["release", "list", "--json"]).stdout).unwrap();
    let applied: Vec<i64> = list.as_array().unwrap().iter().map(|r| r["exclusions_upto"].as_i64().unwrap()).collect();
    assert_eq!(applied, [0, 0, 1, 1]);
    assert_eq!(t(&env, &["registry", "verify"]).code, 0);
}

/// A stop of provision keeps the person out of releases for recipients only; a run whose
/// rules name no subject column is refused while exclusions exist.
#[test]
fn exclusions_apply_by_scope_and_need_a_subject_column() {
    let env = Env::new();
    registry(&env, "opt_out = true\n");
    let rows = read_csv_cp932(&sample_csv());
    let person = rows[3][0].clone();
    let o = open(&env, "o.toml", &intake("opt_out", "2026-11-20", &person, ""));
    ok(&env, &["request", "decide", &o.to_string(), "--decision", "accepted", "--reason", "オプトアウト方針による"]);
    let job = env.job("anon", &sample_csv(), &sample_rules(), "");
    // An internal use is not a provision: the opt-out does not apply.
    ok(&env, &["run", job.to_str().unwrap(), "--internal-use", "統計"]);
    assert_eq!(report(&env.latest())["requests"]["excluded_records"], 0);
    // An erasure (scope all) applies to every run; rules without a subject column cannot honour it.
    let d = open(
        &env,
        "d.toml",
        &intake("suspension", "2026-11-21", &person, "disclosed_on = \"2026-11-01\"\nmeasure = \"erase\"\n"),
    );
    ok(
        &env,
        &[
            "request",
            "decide",
            &d.to_string(),
            "--decision",
            "accepted",
            "--ground",
            "unlawful_holding",
            "--reason",
            "保有の必要なし",
        ],
    );
    let no_subject = std::fs::read_to_string(sample_rules()).unwrap().replace("subject = \"宛名番号\"\n", "");
    let no_subject = env.write("nosubject.toml", &no_subject);
    let job2 = env.job("anon2", &sample_csv(), &no_subject, "");
    let before = env.releases("resident_registry").len();
    let r = t(&env, &["run", job2.to_str().unwrap(), "--internal-use", "統計"]);
    assert_eq!(r.code, ExitCode::Config.code(), "{}", r.stderr);
    assert!(r.stderr.contains("subject"), "{}", r.stderr);
    assert_eq!(env.releases("resident_registry").len(), before);
    ok(&env, &["run", job.to_str().unwrap(), "--internal-use", "統計"]);
    assert_eq!(report(&env.latest())["requests"]["excluded_records"], 1);
}

/// An accepted correction is an overlay later runs apply; the file's regular recipients are told.
#[test]
fn an_accepted_correction_is_applied_by_later_runs() {
    let env = Env::new();
    registry(&env, "");
    let rows = read_csv_cp932(&sample_csv());
    let h = &rows[0];
    let person = rows[1][col(h, "宛名番号")].clone();
    let c = open(
        &env,
        "c.toml",
        &intake(
            "correction",
            "2026-11-20",
            &person,
            &format!(
                "disclosed_on = \"2026-11-01\"\n[[correction]]\nfile = \"住民基本台帳ファイル\"\ncolumn = \"性別\"\nvalue = \"{}\"\nreason = \"届出の誤り\"\n",
                if rows[1][col(h, "性別")] == "男" { "女" } else { "男" }
            ),
        ),
    );
    let r = ok(&env, &["request", "decide", &c.to_string(), "--decision", "accepted", "--reason", "確認した"]);
    assert!(r.stdout.contains("県 (住民基本台帳ネットワーク)"), "{}", r.stdout);
    let r = t(&env, &["request", "notice", &c.to_string(), "--kind", "correction_recipient", "--to", "知らない先"]);
    assert_eq!(r.code, ExitCode::Registry.code());
    ok(
        &env,
        &[
            "request",
            "notice",
            &c.to_string(),
            "--kind",
            "correction_recipient",
            "--to",
            "県 (住民基本台帳ネットワーク)",
        ],
    );
    let job = env.job("anon", &sample_csv(), &sample_rules(), "");
    ok(&env, &["run", job.to_str().unwrap(), "--internal-use", "統計"]);
    let rep = report(&env.latest());
    assert_eq!(rep["requests"]["corrected_values"], 1);
    assert_eq!(rep["requests"]["excluded_records"], 0);
    // A later disclosure answers with what the body holds now: the corrected value.
    let d = open(&env, "d.toml", &intake("disclosure", "2026-11-25", &person, ""));
    ok(&env, &["request", "disclose", &d.to_string(), "--out", "pkg"]);
    assert!(std::fs::read_to_string(env.path("pkg/disclosure.csv")).unwrap().contains("訂正済み"));
}

/// A correction whose value a run could not read as its column's type is refused at intake,
/// naming the column and never the value; an accepted one is revoked with its reason (audited)
/// and later runs no longer apply it.
#[test]
fn a_correction_is_checked_against_its_column_s_type_and_can_be_revoked() {
    let env = Env::new();
    registry(&env, "");
    let rows = read_csv_cp932(&sample_csv());
    let h = &rows[0];
    let person = rows[1][col(h, "宛名番号")].clone();
    let ask = |column: &str, value: &str| {
        intake(
            "correction",
            "2026-11-20",
            &person,
            &format!(
                "disclosed_on = \"2026-11-01\"\n[[correction]]\nfile = \"住民基本台帳ファイル\"\ncolumn = \"{column}\"\nvalue = \"{value}\"\nreason = \"届出の誤り\"\n"
            ),
        )
    };
    let bad = env.write("bad.toml", &ask("生年月日", "不明"));
    let r = t(&env, &["request", "open", bad.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("`生年月日`") && r.stderr.contains("date"), "{}", r.stderr);
    assert!(!r.stderr.contains("不明") && !r.stderr.contains(&person), "no value of the person: {}", r.stderr);
    let sex = if rows[1][col(h, "性別")] == "男" { "女" } else { "男" };
    let c = open(&env, "c.toml", &ask("性別", sex));
    ok(&env, &["request", "decide", &c.to_string(), "--decision", "accepted", "--reason", "確認した"]);
    let job = env.job("anon", &sample_csv(), &sample_rules(), "");
    ok(&env, &["run", job.to_str().unwrap(), "--internal-use", "統計"]);
    assert_eq!(report(&env.latest())["requests"]["corrected_values"], 1);
    // Revoked: with its reason, as an audited step of the request.
    let r = t(&env, &["request", "revoke-correction", &c.to_string()]);
    assert_eq!(r.code, ExitCode::Usage.code(), "a revocation states its reason: {}", r.stderr);
    let r = ok(&env, &["request", "revoke-correction", &c.to_string(), "--reason", "本人確認の誤りが判明"]);
    assert!(r.stdout.contains("性別"), "{}", r.stdout);
    let r = t(&env, &["request", "revoke-correction", &c.to_string(), "--reason", "再度"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "revoked once: {}", r.stderr);
    let events = show(&env, c)["events"].as_array().unwrap().clone();
    let revoked = events.iter().find(|e| e["event"] == "correction-revoked").expect("event");
    assert_eq!(revoked["detail"]["reason"], "本人確認の誤りが判明");
    let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
    assert!(log.contains("\"registry-request-revoke-correction\""), "audited");
    ok(&env, &["run", job.to_str().unwrap(), "--internal-use", "統計"]);
    let rep = report(&env.latest());
    assert_eq!(rep["requests"]["corrected_values"], 0, "{}", rep["requests"]);
    assert_eq!(rep["requests"]["corrections_in_force"], 0, "{}", rep["requests"]);
    ok(&env, &["registry", "verify"]);
}

/// Audit of issue 28, gap 5: a correction's value is checked against its column's type again
/// when it is decided: rules allowed after it was opened that read the column as a number make
/// `request decide --decision accepted` refuse (exit 9), and nothing is put in force.
#[test]
fn a_correction_is_checked_against_the_rules_again_when_it_is_decided() {
    let env = Env::new();
    registry(&env, "");
    let person = read_csv_cp932(&sample_csv())[1][0].clone();
    let rest = "disclosed_on = \"2026-11-01\"\n[[correction]]\nfile = \"住民基本台帳ファイル\"\ncolumn = \"続柄\"\nvalue = \"子\"\nreason = \"届出の誤り\"\n";
    let c = open(&env, "c.toml", &intake("correction", "2026-11-20", &person, rest));
    // Stricter rules allowed meanwhile: 続柄 read as an integer.
    let rules = std::fs::read_to_string(repo().join("rules/resident_registry.toml"))
        .unwrap()
        .replace("name = \"続柄\"\n", "name = \"続柄\"\ntype = \"integer\"\n");
    assert!(rules.contains("type = \"integer\""));
    let strict = env.write("strict.toml", &rules);
    ok(&env, &["file", "allow-rules", "住民基本台帳ファイル", "--rules", strict.to_str().unwrap()]);
    let r = t(&env, &["request", "decide", &c.to_string(), "--decision", "accepted", "--reason", "確認した"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("`続柄`") && r.stderr.contains("integer"), "{}", r.stderr);
    assert!(!r.stderr.contains(&person), "no value of the person: {}", r.stderr);
    assert_eq!(show(&env, c)["request"]["status"], "open", "not decided");
    let job = env.job("anon", &sample_csv(), &sample_rules(), "");
    ok(&env, &["run", job.to_str().unwrap(), "--internal-use", "統計"]);
    assert_eq!(report(&env.latest())["requests"]["corrections_in_force"], 0);
}

/// A request's subject is never a 個人番号, however it is written, and no column named like one
/// is a subject column.
#[test]
fn a_my_number_is_never_a_request_s_subject() {
    let env = Env::new();
    registry(&env, "");
    for (i, mn) in ["123456789018", "１２３４－５６７８－９０１８", "1234 5678 9018"].iter().enumerate() {
        let p = env.write(&format!("mn{i}.toml"), &intake("disclosure", "2026-11-20", mn, ""));
        let r = t(&env, &["request", "open", p.to_str().unwrap()]);
        assert_eq!(r.code, ExitCode::Registry.code(), "{mn}: {}", r.stderr);
        assert!(r.stderr.contains("番号法9条"), "{}", r.stderr);
        assert!(!r.stderr.contains("9018") && !r.stderr.contains("９０１８"), "the number is not echoed: {}", r.stderr);
    }
    let csv = env.write("odd.csv", "ﾏｲﾅﾝﾊﾞｰ,個 人 番 号,ｍｙ＿ｎｕｍｂｅｒ,My Number\n1,2,3,4\n");
    for column in ["ﾏｲﾅﾝﾊﾞｰ", "個 人 番 号", "ｍｙ＿ｎｕｍｂｅｒ", "My Number"] {
        let r = t(
            &env,
            &[
                "file",
                "add-source",
                "住民基本台帳ファイル",
                "--input",
                csv.to_str().unwrap(),
                "--subject-column",
                column,
                "--holds-subject-identifier",
            ],
        );
        assert_eq!(r.code, ExitCode::Registry.code(), "{column}: {}", r.stderr);
        assert!(r.stderr.contains("番号法9条"), "{column}: {}", r.stderr);
    }
}

/// A crash while a decision commits leaves no exclusion behind, and the registry says so.
#[test]
fn a_decision_that_did_not_commit_leaves_nothing() {
    let env = Env::new();
    registry(&env, "");
    let s = open(
        &env,
        "s.toml",
        &intake("suspension", "2026-11-20", "100599658", "disclosed_on = \"2026-11-01\"\nmeasure = \"stop_use\"\n"),
    );
    let r = env.tokumei_with(
        &["request", "decide", &s.to_string(), "--decision", "accepted", "--ground", "unlawful_use", "--registry", REG],
        &[("TOKUMEI_NOW", TODAY), ("TOKUMEI_FAILPOINT", "registry-commit:abort")],
    );
    assert_ne!(r.code, 0);
    assert_eq!(show(&env, s)["request"]["status"], "open");
    let conn = rusqlite::Connection::open(env.path(REG)).unwrap();
    let n: i64 = conn.query_row("SELECT count(*) FROM exclusions", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 0);
    // Decided again: now it holds, and the lost attempt stays visible in the log.
    ok(&env, &["request", "decide", &s.to_string(), "--decision", "accepted", "--ground", "unlawful_use"]);
    let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
    assert!(log.contains("registry-change-lost"));
    assert_eq!(t(&env, &["registry", "verify"]).code, 0);
}

/// The README's requests workflow runs end to end: a disclosure from intake to carrying out,
/// then a suspension that the next release applies, and every check passes.
#[test]
fn the_sample_requests_workflow_runs_end_to_end() {
    let env = Env::new();
    let work = env.path("work");
    let stdout = run_workflow("samples/requests/workflow.sh", &work);
    assert!(stdout.contains("1 more left out"), "{stdout}");
    assert!(stdout.contains("excluded by request 2"), "{stdout}");
    for f in ["disclosure.json", "disclosure.csv", "disclosure.html", "notice-decision.html"] {
        assert!(work.join("reports/requests/1").join(f).is_file(), "{f}");
    }
}

/// An exclusion deleted outside tokumei: runs refuse to start, `registry verify` names it, and
/// no act on the registry goes on until it is restored or reset.
#[test]
fn a_run_refuses_an_exclusion_list_changed_outside_tokumei() {
    let env = Env::new();
    registry(&env, "");
    let person = read_csv_cp932(&sample_csv())[1][0].clone();
    suspend_with(&env, "s.toml", &person, "erase", "unlawful_holding", "");
    let conn = rusqlite::Connection::open(env.path(REG)).unwrap();
    assert_eq!(conn.execute("DELETE FROM exclusions", []).unwrap(), 1);
    drop(conn);
    let job = env.job("anon", &sample_csv(), &sample_rules(), "");
    let r = t(&env, &["run", job.to_str().unwrap(), "--internal-use", "統計"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("outside tokumei") && !r.stderr.contains(&person), "{}", r.stderr);
    assert!(r.stderr.contains("exclusions row"), "{}", r.stderr);
    assert!(env.releases("resident_registry").is_empty());
    let r = t(&env, &["registry", "verify"]);
    assert_eq!(r.code, ExitCode::Registry.code());
    assert!(r.stderr.contains("exclusions row"), "{}", r.stderr);
    // No other act goes on on such a registry: a new request is refused, nothing written.
    let log = std::fs::read(env.path("audit.log")).unwrap();
    let other = read_csv_cp932(&sample_csv())[2][0].clone();
    let rest = "disclosed_on = \"2026-11-01\"\nmeasure = \"erase\"\nfiles = []\n";
    let p = env.write("s2.toml", &intake("suspension", "2026-11-20", &other, rest));
    let r = t(&env, &["request", "open", p.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert_eq!(std::fs::read(env.path("audit.log")).unwrap(), log, "a refused act writes nothing");
}

/// The whole erasure removed outside tokumei (the request, its steps, its exclusion and the
/// journal rows of its changes): the audit log still has the changes, so every run refuses
/// rather than put the erased person back into a release.
#[test]
fn an_erasure_removed_with_its_journal_rows_is_found_from_the_audit_log() {
    let env = Env::new();
    registry(&env, "");
    let person = read_csv_cp932(&sample_csv())[1][0].clone();
    let s = suspend_with(&env, "s.toml", &person, "erase", "unlawful_holding", "");
    let conn = rusqlite::Connection::open(env.path(REG)).unwrap();
    conn.execute_batch(&format!(
        "DELETE FROM exclusions; DELETE FROM request_events WHERE request_id = {s}; DELETE FROM requests WHERE id = {s};
         DELETE FROM changes WHERE action LIKE 'request%';"
    ))
    .unwrap();
    drop(conn);
    let job = env.job("anon", &sample_csv(), &sample_rules(), "");
    for args in [vec!["run", job.to_str().unwrap(), "--internal-use", "統計"], vec!["run", job.to_str().unwrap()]] {
        let r = t(&env, &args);
        assert_eq!(r.code, ExitCode::Registry.code(), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("does not have"), "{}", r.stderr);
        assert!(!r.stderr.contains(&person), "{}", r.stderr);
    }
    assert!(env.releases("resident_registry").is_empty(), "the erased person is in no release");
}

/// A suspension intake about `person`, decided and accepted (scope: every run).
fn suspend(env: &Env, name: &str, person: &str, files: &str) -> i64 {
    suspend_with(env, name, person, "stop_use", "unlawful_use", files)
}

/// A suspension with its measure, accepted on `ground`.
fn suspend_with(env: &Env, name: &str, person: &str, measure: &str, ground: &str, files: &str) -> i64 {
    let rest = format!("disclosed_on = \"2026-11-01\"\nmeasure = \"{measure}\"\nfiles = [{files}]\n");
    let s = open(env, name, &intake("suspension", "2026-11-20", person, &rest));
    let decide =
        ["request", "decide", &s.to_string(), "--decision", "accepted", "--ground", ground, "--reason", "理由"];
    ok(env, &decide);
    s
}

/// In a query job the excluded person is left out of every input before the query runs: an
/// aggregate over an input (here the highest income, kept as a column) never sees them.
#[cfg(feature = "query")] // SQL (a `where` or a `query`)
#[test]
fn a_query_job_never_sees_an_excluded_person_even_in_an_aggregate() {
    let env = Env::new();
    registry(&env, "");
    let ms = repo().join("samples/multi_source");
    let tax = read_csv_cp932(&ms.join("tax.csv"));
    let (top, top_income) =
        tax[1..].iter().map(|r| (r[0].clone(), r[1].parse::<i64>().unwrap())).max_by_key(|(_, i)| *i).unwrap();
    let second = tax[1..].iter().map(|r| r[1].parse::<i64>().unwrap()).filter(|i| *i < top_income).max().unwrap();
    suspend(&env, "s.toml", &top, "");
    let rules = std::fs::read_to_string(sample_rules()).unwrap()
        + "\n[[column]]\nname = \"最高所得\"\nrole = \"insensitive\"\naction = \"keep\"\n";
    let rules = env.write("rules.toml", &rules);
    let job = env.write(
        "q.job.toml",
        &format!(
            "version = 1\nname = \"q\"\nreference_date = \"2026-04-01\"\nquery = \"\"\"\nSELECT r.*, COALESCE(t.課税所得, '0') AS 課税所得, COALESCE(c.要介護度, 'なし') AS 要介護度,\n  (SELECT CAST(MAX(CAST(課税所得 AS BIGINT)) AS VARCHAR) FROM 税) AS 最高所得\nFROM 住基 r LEFT JOIN 税 t ON t.宛名番号 = r.宛名番号 LEFT JOIN 介護 c ON c.宛名番号 = r.宛名番号\n\"\"\"\n[[input]]\nname = \"住基\"\npath = \"{0}/resident.csv\"\n[[input]]\nname = \"税\"\npath = \"{0}/tax.csv\"\n[[input]]\nname = \"介護\"\npath = \"{0}/care.csv\"\n[rules]\npath = \"{1}\"\n[output]\ndir = \"out\"\n[audit]\nlog = \"audit.log\"\n",
            ms.display(),
            rules.display()
        ),
    );
    ok(&env, &["run", job.to_str().unwrap()]);
    let t = read_parquet(&env.latest().join("resident_registry.parquet"));
    let c = t.col("最高所得");
    let values: std::collections::BTreeSet<_> = t.rows.iter().filter_map(|r| r[c].clone()).collect();
    assert_eq!(values.into_iter().collect::<Vec<_>>(), [second.to_string()], "the excluded person's income leaked");
    // Each input's rows from the person were left out (resident and tax at least).
    assert!(report(&env.latest())["requests"]["excluded_records"].as_u64().unwrap() >= 2);
}

/// Identifiers are one namespace: a source whose subject column holds another number is refused
/// unless confirmed; a correction applies only to runs reading that file's sources; a registry
/// named on the command line applies to a plain run.
#[test]
fn requests_apply_to_the_files_they_concern() {
    let env = Env::new();
    registry(&env, "");
    // A second file (care), its extract with 宛名番号 renamed.
    let entry = std::fs::read_to_string(repo().join("samples/registry/resident_file.toml"))
        .unwrap()
        .replace("住民基本台帳ファイル", "介護保険ファイル");
    let entry = env.write("care_file.toml", &entry);
    ok(&env, &["file", "add", entry.to_str().unwrap()]);
    let rows = read_csv_cp932(&sample_csv());
    let mut renamed = rows.clone();
    // (A name that says linking code: one that says identification code, like 被保険者番号, would
    // make the query's `AS 宛名番号` carry an identification code into a pseudonym, which lineage
    // refuses.)
    renamed[0][0] = "介護宛名番号".into();
    let care = write_rows(&env, "care.csv", &renamed);
    let args = [
        "file",
        "add-source",
        "介護保険ファイル",
        "--input",
        care.to_str().unwrap(),
        "--subject-column",
        "介護宛名番号",
    ];
    let r = t(&env, &args);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("--holds-subject-identifier"), "{}", r.stderr);
    let mut confirmed = args.to_vec();
    confirmed.push("--holds-subject-identifier");
    ok(&env, &confirmed);
    // A correction of the resident file: not applied to a run over the care extract.
    let person = rows[1][0].clone();
    let sex = if rows[1][col(&rows[0], "性別")] == "男" { "女" } else { "男" };
    let c = open(
        &env,
        "c.toml",
        &intake(
            "correction",
            "2026-11-20",
            &person,
            &format!(
                "disclosed_on = \"2026-11-01\"\n[[correction]]\nfile = \"住民基本台帳ファイル\"\ncolumn = \"性別\"\nvalue = \"{sex}\"\n"
            ),
        ),
    );
    ok(&env, &["request", "decide", &c.to_string(), "--decision", "accepted"]);
    // A suspension about the care file only.
    suspend(&env, "s.toml", &rows[2][0], "\"介護保険ファイル\"");
    // The resident extract: the correction applies, the care-only suspension does not.
    let job = env.job("res", &sample_csv(), &sample_rules(), "");
    ok(&env, &["run", job.to_str().unwrap(), "--internal-use", "統計"]);
    let rep = report(&env.latest());
    assert_eq!(
        (rep["requests"]["corrected_values"].as_u64(), rep["requests"]["excluded_records"].as_u64()),
        (Some(1), Some(0))
    );
    // The care extract, through a query that names the identifier: the suspension applies, the
    // correction does not. The registry is named on the command line of a plain run. (SQL: only
    // with the `query` feature.)
    #[cfg(feature = "query")]
    {
        let care_rules = std::fs::read_to_string(sample_rules()).unwrap();
        let care_rules = env.write("care_rules.toml", &care_rules);
        let care_job = env.write(
        "care.job.toml",
        &format!(
            "version = 1\nname = \"care\"\nreference_date = \"2026-04-01\"\nquery = \"SELECT 介護宛名番号 AS 宛名番号, 個人番号, 氏名, 氏名カナ, 生年月日, 性別, 郵便番号, 住所, 市区町村コード, 世帯番号, 続柄, 電話番号, 課税所得, 国保加入, 要介護度, 障害者手帳, 備考 FROM 介護\"\n[[input]]\nname = \"介護\"\npath = \"{}\"\n[rules]\npath = \"{}\"\n[output]\ndir = \"out2\"\n[audit]\nlog = \"audit.log\"\n",
            care.display(),
            care_rules.display()
        ),
    );
        // Without a registry anywhere, the run says the requests were not applied.
        let r = env.tokumei_with(&["run", care_job.to_str().unwrap()], &[("TOKUMEI_NOW", TODAY)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains("not applied"), "{}", r.stderr);
        let r = env.tokumei_with(&["run", care_job.to_str().unwrap(), "--registry", REG], &[("TOKUMEI_NOW", TODAY)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let rep = report(&std::fs::canonicalize(env.path("out2/resident_registry/latest")).unwrap());
        assert_eq!(
            (rep["requests"]["corrected_values"].as_u64(), rep["requests"]["excluded_records"].as_u64()),
            (Some(0), Some(1))
        );
        // An input the registry does not know, without the identifier column, cannot be filtered.
        let unknown = write_rows(&env, "unknown.csv", &renamed);
        let bad_job =
            std::fs::read_to_string(&care_job).unwrap().replace(care.to_str().unwrap(), unknown.to_str().unwrap());
        let bad_job = env.write("bad.job.toml", &bad_job);
        let r = env.tokumei_with(&["run", bad_job.to_str().unwrap(), "--registry", REG], &[("TOKUMEI_NOW", TODAY)]);
        assert_eq!(r.code, ExitCode::Config.code(), "{}", r.stderr);
        assert!(r.stderr.contains("has no column `宛名番号`"), "{}", r.stderr);
    }
    let plain = env.job("plain", &sample_csv(), &sample_rules(), "");
    // Named on the command line, the registry applies to a plain run and a check.
    let r = env.tokumei(&["check", plain.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("values corrected"), "{}", r.stdout);
}

/// A suspension decided while a run reads its input: the release that missed it is not published.
#[test]
fn a_release_that_missed_a_suspension_decided_during_its_run_is_not_published() {
    let env = Env::new();
    registry(&env, "");
    let person = read_csv_cp932(&sample_csv())[1][0].clone();
    let job = env.job("anon", &sample_csv(), &sample_rules(), "");
    for internal in [true, false] {
        let go = env.path(&format!("go-{internal}"));
        let mut args = vec!["run", job.to_str().unwrap(), "--registry", REG];
        if internal {
            args.extend(["--internal-use", "統計"]);
        }
        let run = env
            .command(&args)
            .env("TOKUMEI_NOW", TODAY)
            .env("TOKUMEI_FAILPOINT", "before-publishing-entry:wait")
            .env("TOKUMEI_FAILPOINT_GO", &go)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Once its staging folder exists the run has read the registry.
        let root = env.path("out");
        for _ in 0..600 {
            if std::fs::read_dir(&root)
                .is_ok_and(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with(".staging")))
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        suspend(&env, &format!("s-{internal}.toml"), &person, "");
        std::fs::write(&go, "").unwrap();
        let out = run.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(ExitCode::Registry.code()), "{stderr}");
        assert!(stderr.contains("decided while the run read its input"), "{stderr}");
        assert!(env.releases("resident_registry").is_empty());
    }
    assert_eq!(t(&env, &["registry", "verify"]).code, 0);
}

/// A value that a spreadsheet would run (`=HYPERLINK(...)`) comes out of disclosure.csv as text:
/// every CSV tokumei writes neutralises formula cells, as notices.csv does.
#[test]
fn a_formula_in_a_record_is_written_to_disclosure_csv_as_text() {
    let env = Env::new();
    sample_registry(&env, REG, "");
    let mut rows = read_csv_cp932(&sample_csv());
    let (note, phone) = (col(&rows[0], "備考"), col(&rows[0], "電話番号"));
    let person = rows[1][col(&rows[0], "宛名番号")].clone();
    rows[1][note] = "=HYPERLINK(\"http://x\")".into();
    rows[1][phone] = "＋81-6-300-5675".into();
    let source = write_rows(&env, "resident.csv", &rows);
    ok(
        &env,
        &[
            "file",
            "add-source",
            "住民基本台帳ファイル",
            "--input",
            source.to_str().unwrap(),
            "--subject-column",
            "宛名番号",
            "--encoding",
            "utf-8",
        ],
    );
    let id = open(&env, "r.toml", &intake("disclosure", "2026-11-02", &person, ""));
    ok(&env, &["request", "disclose", &id.to_string(), "--out", "pkg"]);
    let csv = std::fs::read_to_string(env.path("pkg/disclosure.csv")).unwrap();
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{csv}");
    assert!(csv.contains(",'＋81-6-300-5675,"), "{csv}");
    // No cell of any line starts a formula.
    for record in csv_like(&csv) {
        for cell in record {
            assert!(!cell.starts_with(tokumei_jp::csv::FORMULA_STARTS), "a live formula: {cell}");
        }
    }
    // The JSON keeps the value as it is (it is no spreadsheet).
    let json = std::fs::read_to_string(env.path("pkg/disclosure.json")).unwrap();
    assert!(json.contains("=HYPERLINK(\\\"http://x\\\")"), "{json}");
}

/// 00:30 JST on 2026-11-27 (15:30 UTC on the 26th).
const D_0030_JST: &str = "1795707000";
/// 23:30 JST on 2026-12-27, the decision's last day for a request received on 2026-11-27.
const DUE_2330_JST: &str = "1798381800";
/// 00:30 JST on 2026-12-28, the day after it (still 2026-12-27 in UTC).
const DUE_NEXT_0030_JST: &str = "1798385400";

/// Domain rule: a request's days are Japan's dates (民法140条 counted in Japan's calendar): a
/// request received at 00:30 JST on day D is received on D, its 30 days run from D+1 and it is
/// overdue from 00:00 JST after its last day. Fail safe: taking Japan's date never makes a
/// deadline later than the UTC date would.
#[test]
fn a_request_received_at_00_30_jst_counts_from_that_day_in_japan() {
    let env = Env::new();
    registry(&env, "");
    let at = |now: &str, args: &[&str]| {
        let mut a = args.to_vec();
        a.extend(["--registry", REG]);
        env.tokumei_with(&a, &[("TOKUMEI_NOW", now)])
    };
    let intake = |received: &str| {
        format!(
            "kind = \"disclosure\"\nreceived = \"{received}\"\nrequester = \"本人\"\ncapacity = \"self\"\nverification = \"運転免許証\"\nrecords = \"本人の記録\"\nsubject = \"100599658\"\n"
        )
    };
    // Tomorrow in Japan is refused: at 00:30 JST on the 27th, the 28th has not come.
    let f = env.write("tomorrow.toml", &intake("2026-11-28"));
    let r = at(D_0030_JST, &["request", "open", f.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("today (2026-11-27)"), "{}", r.stderr);
    // Received today in Japan (yesterday in UTC): accepted, due 30 days after, on 27 December.
    let f = env.write("today.toml", &intake("2026-11-27"));
    let r = at(D_0030_JST, &["request", "open", f.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("received 2026-11-27, decision due 2026-12-27"), "{}", r.stdout);
    let list = |now: &str| -> serde_json::Value {
        let r = at(now, &["request", "list", "--json"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap()[0].clone()
    };
    let r = list(D_0030_JST);
    assert_eq!(
        (r["deadline"].as_str(), r["days_left"].as_i64(), r["overdue"].as_bool()),
        (Some("2026-12-27"), Some(30), Some(false)),
        "{r}"
    );
    // The last day at 23:30 JST: due today, not overdue.
    let r = list(DUE_2330_JST);
    assert_eq!((r["days_left"].as_i64(), r["overdue"].as_bool()), (Some(0), Some(false)), "{r}");
    // 00:30 JST the day after (UTC still says the last day): overdue.
    let r = list(DUE_NEXT_0030_JST);
    assert_eq!((r["days_left"].as_i64(), r["overdue"].as_bool()), (Some(-1), Some(true)), "{r}");
    let r = at(DUE_NEXT_0030_JST, &["request", "list", "--overdue", "--json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap().as_array().unwrap().len(), 1);
}

/// Review (issue 28): the output folder's registry replaced by another registry (a fresh one,
/// with its own audit log): it proves against its own log, and has no exclusion.
/// The run's log records which registry lives there; a run on another one is refused.
#[test]
fn a_registry_swapped_for_another_registry_is_refused() {
    let env = Env::new();
    registry(&env, "");
    let person = read_csv_cp932(&sample_csv())[1][0].clone();
    suspend_with(&env, "s.toml", &person, "erase", "unlawful_holding", "");
    let job = env.job("anon", &sample_csv(), &sample_rules(), "");
    ok(&env, &["run", job.to_str().unwrap(), "--internal-use", "統計"]);
    assert_eq!(report(&env.latest())["requests"]["excluded_records"], 1);
    // Another registry, with its own audit log beside it, put there with its log (a registry
    // whose log is outside its folder is refused at another place anyway: it knows its place).
    let profile = env.write("profile2.toml", &sample_profile());
    let r = env.tokumei(&[
        "registry",
        "init",
        "--registry",
        "other/registry.sqlite",
        "--profile",
        profile.to_str().unwrap(),
        "--audit-log",
        "other/audit.log",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", env.path(REG).display()));
    }
    for f in ["registry.sqlite", "audit.log"] {
        std::fs::copy(env.path(&format!("other/{f}")), env.path(&format!("reg/{f}"))).unwrap();
    }
    let before = env.releases("resident_registry").len();
    let r = t(&env, &["run", job.to_str().unwrap(), "--internal-use", "統計"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("another registry"), "{}", r.stderr);
    assert_eq!(env.releases("resident_registry").len(), before, "nothing published");
}

/// Audit of issue 28, gap 1: however the registry is chosen (`--registry`, `TOKUMEI_REGISTRY`,
/// the job's `[registry] path`), a run given another registry than the one its log records as
/// relied on is refused: while that one exists, and once it is missing (until restored, or its
/// retirement is recorded with a reason).
#[test]
fn a_registry_named_instead_of_the_one_relied_on_is_refused_however_it_is_chosen() {
    let env = Env::new();
    registry(&env, "");
    let person = read_csv_cp932(&sample_csv())[1][0].clone();
    suspend_with(&env, "s.toml", &person, "erase", "unlawful_holding", "");
    let job = env.job("anon", &sample_csv(), &sample_rules(), "");
    ok(&env, &["run", job.to_str().unwrap(), "--internal-use", "統計"]);
    assert_eq!(report(&env.latest())["requests"]["excluded_records"], 1);
    init_registry(&env, "other/registry.sqlite", &sample_profile());
    let job_named = env.job("anon", &sample_csv(), &sample_rules(), "[registry]\npath = \"other/registry.sqlite\"");
    let before = env.releases("resident_registry").len();
    let refused = |gone: bool| {
        let runs = [
            env.tokumei_with(
                &["run", job.to_str().unwrap(), "--internal-use", "統計", "--registry", "other/registry.sqlite"],
                &[("TOKUMEI_NOW", TODAY)],
            ),
            env.tokumei_with(
                &["run", job.to_str().unwrap(), "--internal-use", "統計"],
                &[("TOKUMEI_NOW", TODAY), ("TOKUMEI_REGISTRY", "other/registry.sqlite")],
            ),
            env.tokumei_with(
                &["run", job_named.to_str().unwrap(), "--internal-use", "統計"],
                &[("TOKUMEI_NOW", TODAY)],
            ),
        ];
        for r in runs {
            assert_eq!(r.code, ExitCode::Registry.code(), "{}{}", r.stdout, r.stderr);
            let said = if gone { "which is missing" } else { "another registry" };
            assert!(r.stderr.contains(said) && r.stderr.contains("registry reset"), "{}", r.stderr);
            assert_eq!(env.releases("resident_registry").len(), before, "no new release folder");
        }
    };
    refused(false);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", env.path(REG).display()));
    }
    let r = env.tokumei_with(&["run", job.to_str().unwrap(), "--internal-use", "統計"], &[("TOKUMEI_NOW", TODAY)]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    refused(true);
    // The officer records why the registry is gone: the other registry may be used from then on.
    let reason = "registry lost in a disk failure; no backup; checked by the officer";
    let r = env.tokumei(&["registry", "reset", "--registry", REG, "--reason", reason, "--audit-log", "audit.log"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.tokumei_with(
        &["run", job.to_str().unwrap(), "--internal-use", "統計", "--registry", "other/registry.sqlite"],
        &[("TOKUMEI_NOW", TODAY)],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// Review (issue 28): a registry whose audit log is its own (beside it, not the runs' log),
/// restored together with that log from a backup older than an erasure: it proves against the
/// old log. The runs' log records the registry's log head each run relied on; a run on a
/// registry whose log no longer holds it is refused.
#[test]
fn a_registry_rolled_back_with_its_own_audit_log_is_refused() {
    let env = Env::new();
    let profile = env.write("profile.toml", &sample_profile());
    let r = env.tokumei(&[
        "registry",
        "init",
        "--registry",
        REG,
        "--profile",
        profile.to_str().unwrap(),
        "--audit-log",
        "reg/audit.log",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let entry = repo().join("samples/registry/resident_file.toml");
    let rules = repo().join("rules/resident_registry.toml");
    ok(&env, &["file", "add", entry.to_str().unwrap(), "--rules", rules.to_str().unwrap()]);
    let csv = sample_csv();
    ok(
        &env,
        &[
            "file",
            "add-source",
            "住民基本台帳ファイル",
            "--input",
            csv.to_str().unwrap(),
            "--subject-column",
            "宛名番号",
        ],
    );
    let job = env.job("anon", &sample_csv(), &sample_rules(), "");
    ok(&env, &["run", job.to_str().unwrap(), "--internal-use", "統計"]);
    // The officer's backup of the registry folder (the registry and its log).
    std::fs::create_dir_all(env.path("backup")).unwrap();
    for f in ["registry.sqlite", "audit.log"] {
        std::fs::copy(env.path(&format!("reg/{f}")), env.path(&format!("backup/{f}"))).unwrap();
    }
    let person = read_csv_cp932(&sample_csv())[1][0].clone();
    suspend_with(&env, "s.toml", &person, "erase", "unlawful_holding", "");
    ok(&env, &["run", job.to_str().unwrap(), "--internal-use", "統計"]);
    assert_eq!(report(&env.latest())["requests"]["excluded_records"], 1);
    // Both put back.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", env.path(REG).display()));
    }
    for f in ["registry.sqlite", "audit.log"] {
        std::fs::copy(env.path(&format!("backup/{f}")), env.path(&format!("reg/{f}"))).unwrap();
    }
    let before = env.releases("resident_registry").len();
    let r = t(&env, &["run", job.to_str().unwrap(), "--internal-use", "統計"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert_eq!(env.releases("resident_registry").len(), before, "nothing published");
}

/// Issue 29, item 5: a profile that loosens the Act's limits is refused at `registry init`, naming
/// the field and the article (法83条1項・2項, 86条3項, 87条4項, 90条3項, 114条1項2号).
#[test]
fn a_profile_beyond_the_acts_limits_is_refused_naming_field_and_article() {
    let env = Env::new();
    let all = sample_profile()
        .replace("request_days = 30", "request_days = 45")
        .replace("extension_days = 30", "extension_days = 60")
        + "third_party_days = 0\nmethod_days = 10\ncorrection_window_days = 30\nproposal_min_people = 10\n";
    let p = env.write("all.toml", &all);
    let r = env.tokumei(&["registry", "init", "--registry", REG, "--profile", p.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Config.code(), "{}", r.stderr);
    assert!(r.stderr.contains("`request_days` = 45") && r.stderr.contains("法83条1項"), "{}", r.stderr);
    assert!(!env.path(REG).exists());
    for (extra, field, article) in [
        ("extension_days = 31", "extension_days", "法83条2項"),
        ("third_party_days = 0", "third_party_days", "法86条3項"),
        ("method_days = 10", "method_days", "法87条4項"),
        ("correction_window_days = 30", "correction_window_days", "法90条3項"),
        ("proposal_min_people = 10", "proposal_min_people", "法114条1項2号"),
        ("file_entry_threshold = 1001", "file_entry_threshold", "法75条"),
    ] {
        let key = extra.split(' ').next().unwrap();
        let base: String =
            sample_profile().lines().filter(|l| !l.starts_with(&format!("{key} "))).map(|l| format!("{l}\n")).collect();
        let p = env.write("one.toml", &format!("{base}{extra}\n"));
        let r = env.tokumei(&["registry", "init", "--registry", REG, "--profile", p.to_str().unwrap()]);
        assert_eq!(r.code, ExitCode::Config.code(), "{extra}: {}", r.stderr);
        assert!(r.stderr.contains(&format!("`{field}`")) && r.stderr.contains(article), "{extra}: {}", r.stderr);
        assert!(!env.path(REG).exists());
    }
    // Shorter periods for the body and a lower ファイル簿 threshold are the ordinance's to set.
    let shorter = sample_profile()
        .replace("request_days = 30", "request_days = 14")
        .replace("file_entry_threshold = 1000", "file_entry_threshold = 100");
    init_registry(&env, REG, &shorter);
    let rules = repo().join("rules/resident_registry.toml");
    let entry = repo().join("samples/registry/resident_file.toml");
    ok(&env, &["file", "add", entry.to_str().unwrap(), "--rules", rules.to_str().unwrap()]);
    let id = open(&env, "r.toml", &intake("disclosure", "2026-11-02", "100599658", ""));
    assert_eq!(show(&env, id)["request"]["due"], "2026-11-16");
}

/// 地方自治法4条の2第4項 with the national holidays bundled as data: the 90 days after a disclosure
/// on 2026-08-25 end on 勤労感謝の日 (2026-11-23), so a correction received on the 24th is in time
/// (法90条3項), one received on the 25th is not.
#[test]
fn a_requesters_window_ending_on_a_national_holiday_ends_on_the_next_open_day() {
    let env = Env::new();
    registry(&env, "");
    let fix = "disclosed_on = \"2026-08-25\"\n[[correction]]\nfile = \"住民基本台帳ファイル\"\ncolumn = \"住所\"\nvalue = \"見本市1-1\"\n";
    open(&env, "in.toml", &intake("correction", "2026-11-24", "100599658", fix));
    let p = env.write("late.toml", &intake("correction", "2026-11-25", "100599658", fix));
    let r = t(&env, &["request", "open", p.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("after 2026-11-24"), "{}", r.stderr);
}

/// 民法140条 by default; an ordinance that counts the day of receipt (「起算して」) is due a day
/// earlier.
#[test]
fn an_ordinance_counting_the_receipt_day_makes_the_decision_due_a_day_earlier() {
    let env = Env::new();
    registry(&env, "count_receipt_day = true\n");
    let id = open(&env, "r.toml", &intake("disclosure", "2026-11-02", "100599658", ""));
    assert_eq!(show(&env, id)["request"]["due"], "2026-12-01");
}

/// Issue 29, item 3 (法82条2項): the registered extracts finding nothing no longer force
/// `not_held`. Records kept on paper or in other systems are attested (audited), the package and
/// the notice say that "not found" covers the registered sources only, and `not_held` needs the
/// other files searched.
#[test]
fn not_found_covers_the_registered_sources_only_and_attested_records_are_disclosed() {
    let env = Env::new();
    registry(&env, "");
    // Nobody in the registered extract has this identifier: the package says the search covers
    // the registered extracts only.
    let b = open(&env, "b.toml", &intake("disclosure", "2026-11-20", "900000002", "")).to_string();
    ok(&env, &["request", "disclose", &b, "--out", "b"]);
    let html = std::fs::read_to_string(env.path("b/disclosure.html")).unwrap();
    assert!(
        html.contains("登録された抽出データ") && html.contains("見つかりませんでした") && html.contains("紙の文書"),
        "{html}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("b/disclosure.json")).unwrap()).unwrap();
    assert!(json["search_scope"].as_str().unwrap().contains("registered sources only"));
    // Deciding `full` on nothing is refused with the way out; so is `not_held` on the extracts alone.
    let r = t(&env, &["request", "decide", &b, "--decision", "full", "--out", "b"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("attest"), "{}", r.stderr);
    let r = t(&env, &["request", "decide", &b, "--decision", "not_held", "--reason", "不存在", "--out", "b"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("法82条2項"), "{}", r.stderr);
    // Another person: the officer finds their paper file; they are chosen from it.
    let id = open(&env, "a.toml", &intake("disclosure", "2026-11-20", "900000001", ""));
    let ids = id.to_string();
    let r = t(&env, &["request", "match", &ids, "--choose", "900000001"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("attest"), "{}", r.stderr);
    let paper = "市民課保管の紙の転入届（2019年受付）";
    ok(&env, &["request", "attest", &ids, "--held", "--description", paper]);
    ok(&env, &["request", "match", &ids, "--choose", "900000001", "--note", "紙の届出書で本人確認"]);
    ok(&env, &["request", "disclose", &ids, "--out", "a"]);
    assert!(std::fs::read_to_string(env.path("a/disclosure.html")).unwrap().contains(paper));
    ok(&env, &["request", "decide", &ids, "--decision", "full", "--out", "a"]);
    let notice = std::fs::read_to_string(env.path("a/notice-decision.html")).unwrap();
    assert!(notice.contains("保有個人情報開示決定通知書") && notice.contains(paper), "{notice}");
    // 法87条3項・4項: the notice asks for the method of disclosure within the period, citing both;
    // no third party objected, so no 法86条3項 wait.
    assert!(notice.contains("法87条3項・4項") && !notice.contains("法86条3項"), "{notice}");
    // 法86条3項: decided over a third party's objection, the notice says disclosure waits at least
    // two weeks after the decision (as the registry's
    // the_third_party_notice_follows_a_decision_over_an_objection_86_3 records the objection).
    let c = open(&env, "c.toml", &intake("disclosure", "2026-11-20", "900000001", "")).to_string();
    ok(&env, &["request", "attest", &c, "--held", "--description", paper]);
    ok(&env, &["request", "match", &c, "--choose", "900000001", "--note", "紙の届出書で本人確認"]);
    ok(&env, &["request", "disclose", &c, "--out", "c"]);
    ok(&env, &["request", "decide", &c, "--decision", "full", "--third-party-objection", "--out", "c"]);
    let notice = std::fs::read_to_string(env.path("c/notice-decision.html")).unwrap();
    assert!(notice.contains("法86条3項") && notice.contains("少なくとも2週間"), "{notice}");
    assert!(notice.contains("法87条3項・4項"), "{notice}");
    let events: Vec<String> =
        show(&env, id)["events"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_string()).collect();
    assert!(events.contains(&"attest".to_string()), "{events:?}");
    assert!(std::fs::read_to_string(env.path("audit.log")).unwrap().contains("registry-request-attest"));
    // The first request: the other files searched, nothing there: `not_held`, saying what was
    // searched.
    let searched = "紙の届出書綴り・税務システムを確認";
    ok(&env, &["request", "attest", &b, "--none", "--description", searched]);
    ok(&env, &["request", "decide", &b, "--decision", "not_held", "--reason", "保有していない", "--out", "b"]);
    let notice = std::fs::read_to_string(env.path("b/notice-decision.html")).unwrap();
    assert!(notice.contains("探索の範囲") && notice.contains(searched) && notice.contains("法82条2項"), "{notice}");
    assert_eq!(t(&env, &["registry", "verify"]).code, 0);
}

/// Issue 29, item 10: special extensions for a correction (法95) and a suspension (法103) with
/// their notice; under 法84 the 相当の部分 is due within the normal period and its date is the
/// request's deadline (overdue after it) until it is recorded as decided.
#[test]
fn special_extensions_95_103_and_the_substantial_part_under_84() {
    let env = Env::new();
    registry(&env, "");
    let fix = "disclosed_on = \"2026-11-01\"\n[[correction]]\nfile = \"住民基本台帳ファイル\"\ncolumn = \"住所\"\nvalue = \"見本市1-1\"\n";
    let c = open(&env, "c.toml", &intake("correction", "2026-11-20", "100599658", fix)).to_string();
    let s = open(
        &env,
        "s.toml",
        &intake("suspension", "2026-11-20", "100599658", "disclosed_on = \"2026-11-01\"\nmeasure = \"erase\"\n"),
    )
    .to_string();
    for (id, title, article) in [
        (&c, "訂正決定等の期限の特例規定の適用について", "法95条"),
        (&s, "利用停止決定等の期限の特例規定の適用について", "法103条"),
    ] {
        let r = ok(
            &env,
            &[
                "request",
                "extend",
                id,
                "--special",
                "--until",
                "2027-03-31",
                "--reason",
                "調査に長期間を要する",
                "--out",
                "n",
            ],
        );
        assert!(r.stdout.contains("2027-03-31"), "{}", r.stdout);
        let notice = std::fs::read_to_string(env.path("n/notice-special-extension.html")).unwrap();
        assert!(notice.contains(title) && notice.contains(article) && notice.contains("2027-03-31"), "{notice}");
        assert_eq!(show(&env, id.parse().unwrap())["deadline"], "2027-03-31");
    }
    // The ordinary extension of a correction cites 法94条2項, not 法83条2項.
    let c2 = open(&env, "c2.toml", &intake("correction", "2026-11-20", "100599658", fix)).to_string();
    ok(&env, &["request", "extend", &c2, "--days", "10", "--reason", "確認中", "--out", "n2"]);
    let notice = std::fs::read_to_string(env.path("n2/notice-extension.html")).unwrap();
    assert!(notice.contains("法94条2項") && notice.contains("訂正決定等の期限の延長"), "{notice}");
    // 法84: received 2026-11-02, the 相当の部分 is due 60 days on, 2027-01-01.
    let d = open(&env, "d.toml", &intake("disclosure", "2026-11-02", "100599658", "")).to_string();
    let r = ok(
        &env,
        &["request", "extend", &d, "--special", "--until", "2027-03-31", "--reason", "著しく大量", "--out", "n3"],
    );
    assert!(r.stdout.contains("2027-01-01"), "{}", r.stdout);
    let notice = std::fs::read_to_string(env.path("n3/notice-special-extension.html")).unwrap();
    assert!(notice.contains("法84条") && notice.contains("相当の部分") && notice.contains("2027-01-01"), "{notice}");
    assert_eq!(show(&env, d.parse().unwrap())["deadline"], "2027-01-01");
    // On 2027-01-05 the 相当の部分 is overdue, until recorded.
    let jan5 = "1799107200";
    let list = |env: &Env| -> serde_json::Value {
        let r =
            env.tokumei_with(&["request", "list", "--overdue", "--json", "--registry", REG], &[("TOKUMEI_NOW", jan5)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        serde_json::from_str(&r.stdout).unwrap()
    };
    let overdue = list(&env);
    let row = overdue.as_array().unwrap().iter().find(|r| r["id"].as_i64() == d.parse().ok()).expect("overdue");
    assert_eq!(row["part_by"], "2027-01-01");
    let r = env.tokumei_with(
        &[
            "request",
            "part-decided",
            &d,
            "--note",
            "住民基本台帳ファイル分を開示決定",
            "--date",
            "2027-01-04",
            "--registry",
            REG,
        ],
        &[("TOKUMEI_NOW", jan5)],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("after its date") && r.stdout.contains("2027-03-31"), "{}", r.stdout);
    assert!(!list(&env).as_array().unwrap().iter().any(|r| r["id"].as_i64() == d.parse().ok()));
    assert_eq!(t(&env, &["registry", "verify"]).code, 0);
}

/// 法78条2項: an item withheld on a ground the ordinance adds, cited with the ordinance's article
/// in the package and the notice.
#[test]
fn an_item_withheld_on_an_ordinance_ground_is_cited_with_its_article() {
    let env = Env::new();
    registry(&env, "");
    let (rows, i) = target();
    let subject = rows[i][col(&rows[0], "宛名番号")].clone();
    let id = open(&env, "r.toml", &intake("disclosure", "2026-11-20", &subject, "")).to_string();
    ok(&env, &["request", "match", &id, "--choose", &subject]);
    ok(&env, &["request", "disclose", &id, "--out", "p"]);
    let r = t(&env, &["request", "withhold", &id, "--item", "1", "--ground", "条例9条", "--note", "x"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("条例5条1号"), "{}", r.stderr);
    let r = ok(&env, &["request", "withhold", &id, "--item", "1", "--ground", "条例5条1号", "--note", "監査情報"]);
    assert!(r.stdout.contains("法78条2項（条例5条1号）"), "{}", r.stdout);
    ok(&env, &["request", "disclose", &id, "--out", "p"]);
    let csv = std::fs::read_to_string(env.path("p/disclosure.csv")).unwrap();
    assert!(csv.contains("法78条2項（条例5条1号）"), "{csv}");
    ok(&env, &["request", "decide", &id, "--decision", "partial", "--reason", "条例の不開示情報", "--out", "p"]);
    let notice = std::fs::read_to_string(env.path("p/notice-decision.html")).unwrap();
    assert!(notice.contains("見本市個人情報保護法施行条例第5条第1号") && notice.contains("法78条"), "{notice}");
}
