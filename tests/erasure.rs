//! An accepted erasure or stop of use reaches the body's internal copies (法98条1項1号, 法100):
//! an internal release made from the person's records is still 保有個人情報 (a municipality's
//! pseudonymised output is 仮名化した保有個人情報, not 仮名加工情報), so the decision lists it, a
//! replacement without the person is made (`release replace`), the old copy's destruction is
//! recorded (`release destroyed`), and the request stays to do until then.

use crate::util::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tokumei_engine::ExitCode;

const REG: &str = "reg/registry.sqlite";
/// 2026-11-27T00:00:00Z: "today" of these tests.
const TODAY: &str = "1795737600";
/// 2027-03-01T00:00:00Z: long after the requests' deadlines.
const LATER: &str = "1803859200";

fn at(env: &Env, now: &str, args: &[&str]) -> Run {
    let mut a = args.to_vec();
    a.extend(["--registry", REG]);
    env.tokumei_with(&a, &[("TOKUMEI_NOW", now)])
}

fn t(env: &Env, args: &[&str]) -> Run {
    at(env, TODAY, args)
}

fn ok(env: &Env, args: &[&str]) -> Run {
    let r = t(env, args);
    assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
    r
}

fn refused(env: &Env, args: &[&str]) -> Run {
    let r = t(env, args);
    assert_eq!(r.code, ExitCode::Registry.code(), "{args:?} should be refused: {}{}", r.stdout, r.stderr);
    r
}

/// The sample registry (plus `extra` in the profile) with the sample extract as its file's source.
fn registry(env: &Env, extra: &str) {
    sample_registry(env, REG, extra);
    ok(
        env,
        &[
            "file",
            "add-source",
            "住民基本台帳ファイル",
            "--input",
            sample_csv().to_str().unwrap(),
            "--subject-column",
            "宛名番号",
        ],
    );
}

/// A pseudonymised job over `input` with the sample rules and the managed key `k.key` (made once).
fn pseudo_job(env: &Env, name: &str, input: &Path) -> PathBuf {
    let key = env.path("k.key");
    if !key.exists() {
        assert_eq!(env.tokumei(&["keygen", "--out", key.to_str().unwrap()]).code, 0);
    }
    let rules = env.path("pseudo.toml");
    if !rules.exists() {
        let text = std::fs::read_to_string(sample_rules())
            .unwrap()
            .replace("mode = \"anonymized\"", "mode = \"pseudonymized\"");
        env.write("pseudo.toml", &text);
    }
    let extra = format!("encoding = \"auto\"\n[keys]\npseudonym_key_file = \"{}\"", key.display());
    env.job(name, input, &rules, &extra)
}

fn open(env: &Env, name: &str, toml: &str) -> i64 {
    let path = env.write(name, toml);
    let r = ok(env, &["request", "open", path.to_str().unwrap()]);
    r.stdout.split_whitespace().nth(2).unwrap().parse().unwrap()
}

fn show(env: &Env, id: i64) -> serde_json::Value {
    serde_json::from_str(&ok(env, &["request", "show", &id.to_string(), "--json"]).stdout).unwrap()
}

fn release_json(env: &Env, id: &str) -> serde_json::Value {
    serde_json::from_str(&ok(env, &["release", "show", id, "--json"]).stdout).unwrap()
}

fn name_of(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

/// Pages of the officer console (`tokumei serve` on the registry, logged in), by path.
fn console_pages(env: &Env, paths: &[&str]) -> Vec<String> {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut child = env
        .command(&["serve", "--registry", REG, "--port", "0"])
        .env("TOKUMEI_NOW", TODAY)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let login = lines
        .take(5)
        .map(Result::unwrap)
        .find_map(|l| l.trim().strip_prefix("http://").filter(|u| u.contains("/login?token=")).map(String::from))
        .expect("serve prints its login address");
    let (addr, path) = login.split_once('/').unwrap();
    let get = |path: &str, cookie: &str| -> (String, String) {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: {cookie}\r\n\r\n");
        s.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        (head.to_string(), body.to_string())
    };
    let (head, _) = get(&format!("/{path}"), "");
    let set = head.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie:")).expect("a session cookie");
    let cookie = set.split_once(':').unwrap().1.trim().split(';').next().unwrap().to_string();
    let pages = paths.iter().map(|p| get(p, &cookie).1).collect();
    let _ = child.kill();
    let _ = child.wait();
    pages
}

/// An accepted erasure of `person` (消去, 法98条1項1号, unlawful holding), its notice in `ns/`.
fn erase(env: &Env, person: &str) -> (i64, Run) {
    let intake = format!(
        "kind = \"suspension\"\nreceived = \"2026-11-27\"\nrequester = \"本人\"\ncapacity = \"self\"\nverification = \"運転免許証\"\nrecords = \"全て\"\nsubject = \"{person}\"\ndisclosed_on = \"2026-11-02\"\nmeasure = \"erase\"\nreason = \"目的外の保有\"\n"
    );
    let s = open(env, &format!("erase-{person}.toml"), &intake);
    let r = ok(
        env,
        &[
            "request",
            "decide",
            &s.to_string(),
            "--decision",
            "accepted",
            "--ground",
            "unlawful_holding",
            "--reason",
            "保有の必要がない",
            "--out",
            "ns",
        ],
    );
    (s, r)
}

/// Rows of a release's Parquet file, counted (a multiset).
fn rows_of(dir: &Path) -> (Table, HashMap<Vec<Option<String>>, usize>) {
    let t = read_parquet(&dir.join("resident_registry.parquet"));
    let mut m = HashMap::new();
    for r in &t.rows {
        *m.entry(r.clone()).or_insert(0) += 1;
    }
    (t, m)
}

/// 法98条1項1号・法100: an internal pseudonymised release holding X is listed by X's accepted
/// erasure (by the per-subject index: an internal release without X is not); the request stays
/// to do (listed, overdue after its deadline, not closable) until a replacement without X is made
/// and the old copy's destruction is recorded; X is absent from the replacement's Parquet.
#[test]
fn an_erasure_reaches_internal_copies_until_replaced_and_destroyed_art98() {
    let env = Env::new();
    registry(&env, "subject_index = true\n");
    let rows = read_csv_cp932(&sample_csv());
    let id_c = rows[0].iter().position(|c| c == "宛名番号").unwrap();
    let pjob = pseudo_job(&env, "internal", &sample_csv());
    ok(&env, &["run", pjob.to_str().unwrap(), "--internal-use", "需要推計"]);
    let old = env.releases("resident_registry")[0].clone();
    // X: a person whose records are in the release (their pseudonym, through a disclosure).
    let mut found = None;
    for row in &rows[1..40] {
        let person = row[id_c].clone();
        let d = open(
            &env,
            &format!("d{person}.toml"),
            &format!(
                "kind = \"disclosure\"\nreceived = \"2026-11-02\"\nrequester = \"本人\"\ncapacity = \"self\"\nverification = \"運転免許証\"\nrecords = \"全て\"\nsubject = \"{person}\"\n"
            ),
        );
        ok(&env, &["request", "disclose", &d.to_string(), "--out", "pkg", "--job", pjob.to_str().unwrap()]);
        ok(&env, &["request", "close", &d.to_string(), "--reason", "取下げ"]);
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(env.path("pkg/disclosure.json")).unwrap()).unwrap();
        let items = doc["items"].as_array().unwrap();
        if let Some(code) = items.iter().find(|i| i["column"] == "レコードID").and_then(|i| i["value"].as_str()) {
            // The disclosure names the internal copy as 仮名化した保有個人情報.
            assert!(items.iter().any(|i| i["file"].as_str().unwrap().starts_with("仮名化した保有個人情報")));
            found = Some((person, code.to_string()));
            break;
        }
    }
    let (x, code) = found.expect("someone's pseudonymised records");
    let x_rows = rows[1..].iter().filter(|r| r[id_c] == x).count();
    // A second internal copy made from an extract without X's records.
    let without_x: Vec<Vec<String>> = rows.iter().filter(|r| r[id_c] != x).cloned().collect();
    let other_input = write_rows(&env, "without_x.csv", &without_x);
    let qjob = pseudo_job(&env, "other", &other_input);
    ok(&env, &["run", qjob.to_str().unwrap(), "--internal-use", "統計"]);
    let other = env.releases("resident_registry").into_iter().find(|d| *d != old).unwrap();
    let (old_id, other_id) = (name_of(&old), name_of(&other));

    // The erasure lists the copy that holds X, proved by the index, and not the other.
    let (s, decided) = erase(&env, &x);
    assert!(decided.stdout.contains(&format!("tokumei release replace {old_id}")), "{}", decided.stdout);
    let v = show(&env, s);
    let listed = v["request"]["decision"]["internal_copies"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["release_id"], old_id.as_str());
    assert_eq!(listed[0]["indexed"], true);
    assert_eq!(listed[0]["mode"], "pseudonymized");
    assert_eq!(v["copies_to_destroy"], 1);
    assert!(!listed.iter().any(|c| c["release_id"] == other_id.as_str()));
    // The notice names it as 仮名化した保有個人情報, never as 匿名加工情報.
    let notice = std::fs::read_to_string(env.path("ns/notice-decision.html")).unwrap();
    assert!(notice.contains("仮名化した保有個人情報") && notice.contains(&old_id), "{notice}");
    assert!(!notice.contains("匿名加工情報") && !notice.contains("仮名加工情報"), "{notice}");
    assert!(!notice.contains(&other_id));
    let text = ok(&env, &["request", "show", &s.to_string()]).stdout;
    assert!(text.contains(&old_id) && text.contains("to replace and destroy"), "{text}");
    // The console: the request's page lists the copy, the dashboard has it due, and the
    // releases say what they are (a municipality's: 仮名化した保有個人情報).
    let pages = console_pages(&env, &[&format!("/requests/{s}"), "/", "/releases", "/requests"]);
    assert!(
        pages[0].contains("消去・利用停止の対象となる内部利用の情報") && pages[0].contains(&old_id),
        "{}",
        pages[0]
    );
    assert!(pages[0].contains("含まれている（索引で確認）") && pages[0].contains("置換え・消去が必要"), "{}", pages[0]);
    assert!(pages[1].contains(&format!("href=\"/requests/{s}\"")) && pages[1].contains("置換え・消去"), "{}", pages[1]);
    assert!(pages[2].contains("仮名化した保有個人情報") && !pages[2].contains("仮名加工情報"), "{}", pages[2]);
    assert!(pages[3].contains("内部利用の情報の置換え・消去待ち"), "{}", pages[3]);

    // Still to do: listed, flagged overdue after the deadline, not closable; the status warns.
    let list = ok(&env, &["request", "list"]).stdout;
    let line = list.lines().find(|l| l.starts_with(&format!("{s} "))).expect("listed while copies remain");
    assert!(line.contains("1 internal copy(ies) to destroy"), "{line}");
    assert!(!ok(&env, &["request", "list", "--overdue"]).stdout.contains("internal copy"));
    let late = at(&env, LATER, &["request", "list", "--overdue", "--json"]);
    assert_eq!(late.code, 0, "{}", late.stderr);
    let late: serde_json::Value = serde_json::from_str(&late.stdout).unwrap();
    assert!(
        late.as_array().unwrap().iter().any(|r| r["id"] == s && r["overdue"] == true && r["copies_to_destroy"] == 1)
    );
    let status = ok(&env, &["registry", "status"]).stdout;
    assert!(status.contains(&format!("warning: request {s}: 1 internal copy")), "{status}");
    refused(&env, &["request", "close", &s.to_string(), "--reason", "完了"]);

    // The replacement: a new folder beside the old one (untouched), without X.
    let r = ok(&env, &["release", "replace", &old_id, "--job", pjob.to_str().unwrap()]);
    assert!(r.stdout.contains(&format!("replaces release {old_id}")), "{}", r.stdout);
    let new = env.releases("resident_registry").into_iter().find(|d| *d != old && *d != other).unwrap();
    let new_id = name_of(&new);
    let (old_t, old_rows) = rows_of(&old);
    let (new_t, new_rows) = rows_of(&new);
    let c = old_t.col("レコードID");
    assert_eq!(old_t.rows.iter().filter(|r| r[c].as_deref() == Some(code.as_str())).count(), x_rows);
    assert!(!new_t.rows.iter().any(|r| r[new_t.col("レコードID")].as_deref() == Some(code.as_str())), "X is gone");
    // Recomputed from the outputs: every row of the replacement is a row of the old release other
    // than X's (the same key gives everyone else the same pseudonym), and only people were removed.
    for (row, n) in &new_rows {
        assert!(row[c].as_deref() != Some(code.as_str()));
        assert!(old_rows.get(row).is_some_and(|m| m >= n), "a row the old release did not have");
    }
    assert!(new_t.rows.len() <= old_t.rows.len() - x_rows);
    assert_eq!(report(&new)["requests"]["excluded_records"], x_rows as u64);
    assert_eq!(release_json(&env, &new_id)["replaces"], old_id.as_str());
    assert_eq!(release_json(&env, &old_id)["replaced_by"], new_id.as_str());
    // Once only; and a replacement erased nothing: the request is still to do.
    refused(&env, &["release", "replace", &old_id, "--job", pjob.to_str().unwrap()]);
    assert_eq!(show(&env, s)["copies_to_destroy"], 1);
    refused(&env, &["request", "close", &s.to_string(), "--reason", "完了"]);

    // The destruction: refused while the folder is there; recorded (who, when, how) once gone.
    let how = "フォルダを完全消去し、複製がないことを確認";
    refused(&env, &["release", "destroyed", &old_id, "--how", how]);
    std::fs::remove_dir_all(&old).unwrap();
    ok(&env, &["release", "destroyed", &old_id, "--how", how]);
    let d = &release_json(&env, &old_id)["destroyed"];
    assert_eq!(
        (d["how"].as_str(), d["date"].as_str(), d["operator"].as_str()),
        (Some(how), Some("2026-11-27"), Some("tester"))
    );
    let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
    assert!(log.lines().any(|l| l.contains("\"registry-release-destroyed\"") && l.contains(&old_id)));
    refused(&env, &["release", "destroyed", &old_id, "--how", how]);
    // Done: no longer to do, the registry proves, and the request closes.
    let v = show(&env, s);
    assert_eq!(v["copies_to_destroy"], 0);
    assert!(v["internal_copies"][0]["done"] == true && v["internal_copies"][0]["replaced_by"] == new_id.as_str());
    assert!(!ok(&env, &["request", "list"]).stdout.lines().any(|l| l.starts_with(&format!("{s} "))));
    assert!(!ok(&env, &["registry", "status"]).stdout.contains("warning: request"));
    ok(&env, &["registry", "verify"]);
    ok(&env, &["release", "verify"]);
    ok(&env, &["request", "close", &s.to_string(), "--reason", "内部利用の情報を置き換え、消去した"]);
}

/// Fail safe where nothing recorded says who a release holds: without a per-subject index, an
/// accepted erasure lists every internal release (pseudonymised, and anonymised kept inside the
/// body) as "may hold" the person. A replacement is made only by the job that made the copy, and
/// from another input only with the reason recorded; a refused replacement publishes nothing.
#[test]
fn without_an_index_every_internal_copy_is_listed_and_a_replacement_is_checked() {
    let env = Env::new();
    registry(&env, "");
    let rows = read_csv_cp932(&sample_csv());
    let id_c = rows[0].iter().position(|c| c == "宛名番号").unwrap();
    let pjob = pseudo_job(&env, "internal", &sample_csv());
    let ajob = env.job("anon", &sample_csv(), &sample_rules(), "");
    ok(&env, &["run", pjob.to_str().unwrap(), "--internal-use", "需要推計"]);
    let pseudo = name_of(&env.releases("resident_registry")[0]);
    ok(&env, &["run", ajob.to_str().unwrap(), "--internal-use", "統計"]);
    let (s, _) = erase(&env, &rows[1][id_c]);
    let v = show(&env, s);
    let listed: Vec<(String, bool)> = v["request"]["decision"]["internal_copies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["mode"].as_str().unwrap().to_string(), c["indexed"].as_bool().unwrap()))
        .collect();
    assert_eq!(listed, [("pseudonymized".to_string(), false), ("anonymized".to_string(), false)]);
    let notice = std::fs::read_to_string(env.path("ns/notice-decision.html")).unwrap();
    assert!(notice.contains("含まれている可能性があります"), "{notice}");

    let before = env.releases("resident_registry").len();
    // Another job (other rules, another mode) does not replace it.
    let r = refused(&env, &["release", "replace", &pseudo, "--job", ajob.to_str().unwrap()]);
    assert!(r.stderr.contains("rule file"), "{}", r.stderr);
    // The extract changed since: refused unless the reason is given; nothing is published.
    let fewer: Vec<Vec<String>> = rows.iter().enumerate().filter(|(i, _)| *i != 2).map(|(_, r)| r.clone()).collect();
    let updated = write_rows(&env, "updated.csv", &fewer);
    let p2 = pseudo_job(&env, "internal2", &updated);
    let r = refused(&env, &["release", "replace", &pseudo, "--job", p2.to_str().unwrap()]);
    assert!(r.stderr.contains("--input-changed"), "{}", r.stderr);
    assert_eq!(env.releases("resident_registry").len(), before, "a refused replacement publishes nothing");
    ok(&env, &["release", "replace", &pseudo, "--job", p2.to_str().unwrap(), "--input-changed", "月次更新後の抽出"]);
    assert_eq!(env.releases("resident_registry").len(), before + 1);
    let new = release_json(&env, release_json(&env, &pseudo)["replaced_by"].as_str().unwrap());
    assert_eq!(new["replacement_note"], "月次更新後の抽出");
    assert_eq!(new["purpose"], "需要推計");
    ok(&env, &["registry", "verify"]);
}
