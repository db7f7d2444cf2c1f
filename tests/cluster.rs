#![cfg(feature = "distributed")]
//! The job on a DataFusion Ballista cluster (issue 34): a `tokumei scheduler` and two `tokumei
//! executor`s on 127.0.0.1 (child processes of the real binary), a generated extract split into
//! parts, and `tokumei run --cluster` with the sample rules. The release must equal the
//! single-machine release of the same rows: the same levels, suppressed rows, k and l in the
//! reports, the residual scan's findings, and the same multiset of rows (pseudonyms aside: keyed
//! per release) read back from the Parquet files, with k and l recomputed from those rows. A
//! name of the extract in the released text fails the run on the cluster as on one machine. With one executor killed mid-way, the run completes on the other
//! (with the same release) or fails with nothing published; with both killed it fails (exit 8)
//! with nothing published and nothing of the run left, its keys included. A job using what has no distributed
//! form yet is refused (exit 3) with nothing written.
//!
//! Rows: `TOKUMEI_TEST_CLUSTER_ROWS` (default 1,000,000, the extract: about a minute per
//! test in the debug build, the single-machine run included).

use crate::util::*;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A child process killed when dropped.
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free loopback port whose next port is free too (an executor serves on both).
fn free_ports() -> u16 {
    for _ in 0..100 {
        let a = TcpListener::bind("127.0.0.1:0").unwrap();
        let p = a.local_addr().unwrap().port();
        if p < u16::MAX && TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
    panic!("no two free ports");
}

/// Wait until something listens on `port`.
fn wait_for(port: u16, what: &str, child: &mut Child) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited: {status}");
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A scheduler and `n` executors on loopback.
struct Cluster {
    url: String,
    executors: Vec<Node>,
    _scheduler: Node,
}

fn spawn(env: &Env, args: &[&str], log: &str) -> Child {
    let log = std::fs::File::create(env.path(log)).unwrap();
    env.command(args).stdout(Stdio::null()).stderr(log).spawn().unwrap()
}

fn start_cluster(env: &Env, n: usize) -> Cluster {
    start_cluster_with(env, n, &[])
}

/// [`start_cluster`], each executor given `extra` arguments too.
fn start_cluster_with(env: &Env, n: usize, extra: &[&str]) -> Cluster {
    let port = free_ports();
    let bind = format!("127.0.0.1:{port}");
    let mut scheduler = spawn(env, &["scheduler", "--bind", &bind, "--executor-timeout", "4"], "scheduler.log");
    wait_for(port, "the scheduler", &mut scheduler);
    let mut executors = Vec::new();
    for i in 0..n {
        let p = free_ports();
        let work = env.path(&format!("exec{i}"));
        std::fs::create_dir_all(&work).unwrap();
        let (bind_e, work_s) = (format!("127.0.0.1:{p}"), work.to_str().unwrap().to_string());
        let mut args = vec![
            "executor",
            "--scheduler",
            &bind,
            "--bind",
            &bind_e,
            "--slots",
            "2",
            "--heartbeat",
            "1",
            "--work-dir",
            &work_s,
        ];
        args.extend(extra);
        let mut e = spawn(env, &args, &format!("executor{i}.log"));
        wait_for(p, "an executor", &mut e);
        executors.push(Node(e));
    }
    // The executors register with the scheduler as they start.
    std::thread::sleep(Duration::from_secs(2));
    Cluster { url: format!("df://{bind}"), executors, _scheduler: Node(scheduler) }
}

/// Rows in the extract.
fn rows() -> u64 {
    std::env::var("TOKUMEI_TEST_CLUSTER_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000)
}

/// A generated UTF-8 extract of `rows` rows, whole (`full.csv`) and split into `parts` parts
/// with a header each (`parts/part-N.csv`).
fn extract(env: &Env, rows: u64, parts: usize) -> (PathBuf, PathBuf) {
    let full = env.path("full.csv");
    let r = env.tokumei(&[
        "sample",
        "resident-registry",
        "--rows",
        &rows.to_string(),
        "--seed",
        "34",
        "--encoding",
        "utf-8",
        "--out",
        full.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&full).unwrap();
    let records = records_of(&text);
    let (header, body) = (records[0], &records[1..]);
    assert_eq!(body.len() as u64, rows);
    let dir = env.path("parts");
    std::fs::create_dir_all(&dir).unwrap();
    let per = body.len().div_ceil(parts);
    for (i, chunk) in body.chunks(per).enumerate() {
        let mut t = String::from(header);
        for l in chunk {
            t.push_str(l);
        }
        std::fs::write(dir.join(format!("part-{i}.csv")), t).unwrap();
    }
    (full, dir)
}

/// The CSV records of `text`, each with its line feed (a line feed inside quotes is part of a
/// value: the generator writes some in 備考).
fn records_of(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                out.push(&text[start..=i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The sample rules without the columns whose released text the residual scan reads (性別,
/// 住所, 要介護度, 障害者手帳), 課税所得 made a quasi-identifier and 国保加入 the sensitive
/// column (l = 2), with max_suppression 0.15: its l-diversity suppresses about 9% of the rows
/// (the sample rules suppress none at 1M rows), so the searched test covers suppression.
fn rules_without_scanned_text() -> String {
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    let rules = rules.replace("max_suppression = 0.05", "max_suppression = 0.15");
    let mut out = String::new();
    for block in rules.split("\n[[column]]\n") {
        let name = block.lines().find_map(|l| l.strip_prefix("name = ")).map(|n| n.trim_matches('"'));
        let block = match name {
            Some("性別" | "住所" | "要介護度" | "障害者手帳") => {
                format!("name = \"{}\"\nrole = \"quasi_identifier\"\naction = \"drop\"\n", name.unwrap())
            }
            Some("課税所得") => block.replace("role = \"insensitive\"", "role = \"quasi_identifier\""),
            Some("国保加入") => block.replace("role = \"insensitive\"", "role = \"sensitive\""),
            _ => block.to_string(),
        };
        if !out.is_empty() {
            out.push_str("\n[[column]]\n");
        }
        out.push_str(&block);
    }
    assert!(out.contains("role = \"sensitive\"\naction = \"keep\"\ntype = \"boolean\""), "{out}");
    out
}

/// A job over `input` with `rules` (text) in its own folder `name` of `env`.
fn job(env: &Env, name: &str, input: &Path, rules: &str) -> PathBuf {
    let rules = env.write(&format!("{name}.rules.toml"), rules);
    let text = format!(
        "version = 1\nname = \"{name}\"\nreference_date = \"2026-04-01\"\n[input]\npath = \"{}\"\nencoding = \"utf-8\"\n[rules]\npath = \"{}\"\n[output]\ndir = \"{name}-out\"\n[audit]\nlog = \"{name}-audit.log\"\n",
        input.display(),
        rules.display()
    );
    env.write(&format!("{name}.job.toml"), &text)
}

/// The one release folder under `out`, if any (no staging folder may be left).
fn published(out: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(datasets) = std::fs::read_dir(out) else { return found };
    for d in datasets.map(|e| e.unwrap().path()).filter(|p| p.is_dir()) {
        for r in std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().path()) {
            let name = r.file_name().unwrap().to_string_lossy().into_owned();
            if r.is_dir() && !r.is_symlink() {
                found.push(r.clone());
            }
            assert!(!name.contains("staging") && !name.starts_with(".tokumei-"), "left behind: {}", r.display());
        }
    }
    found
}

/// What a release is, read back: its report's decisions and its rows (pseudonyms aside), with k
/// and each sensitive column's distinct l recomputed from the rows.
#[derive(Debug, PartialEq)]
struct Release {
    levels: Vec<String>,
    suppressed: u64,
    rows_out: u64,
    k: u64,
    l: Vec<(String, u64)>,
    summaries: Vec<(String, String)>,
    /// Standard 1's evidence (what the residual scan read and found), in English.
    standard_1: Vec<String>,
    /// The report's release risk (classes, unique records, records below k, by column).
    release_risk: serde_json::Value,
    /// What the release changed per column (`utility.columns`, `utility.not_compared`) and the
    /// correlations' matrices (`utility.correlation`, to 9 decimals: sums taken in another order).
    utility: (serde_json::Value, serde_json::Value, Vec<String>),
    columns: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
}

fn release(dir: &Path) -> Release {
    let rep = report(dir);
    let parts: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .collect();
        v.sort();
        v
    };
    assert!(!parts.is_empty());
    let keyed: Vec<String> = rep["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"].as_str().unwrap_or("").starts_with("pseudonymize"))
        .filter_map(|c| c["output"].as_str().map(str::to_string))
        .collect();
    let mut columns = Vec::new();
    let mut rows = Vec::new();
    for p in &parts {
        let t = read_parquet(p);
        let keep: Vec<usize> = (0..t.columns.len()).filter(|i| !keyed.contains(&t.columns[*i])).collect();
        columns = keep.iter().map(|i| t.columns[*i].clone()).collect();
        rows.extend(t.rows.iter().map(|r| keep.iter().map(|i| r[*i].clone()).collect::<Vec<_>>()));
    }
    rows.sort();
    let table = Table { columns: columns.clone(), rows: rows.clone(), metadata: Default::default(), types: Vec::new() };
    let qi: Vec<String> =
        rep["quasi_identifiers"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    let classes = classes(&table, &qi);
    let k = classes.values().map(|c| c.len() as u64).min().unwrap_or(0);
    let mut l = Vec::new();
    for s in rep["sensitive"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()) {
        let i = table.col(s);
        let least = classes
            .values()
            .map(|c| c.iter().map(|r| table.rows[*r][i].clone()).collect::<std::collections::HashSet<_>>().len() as u64)
            .min()
            .unwrap_or(0);
        l.push((s.to_string(), least));
    }
    let levels = rep["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{}={}", c["name"].as_str().unwrap_or(""), c["detail"].as_str().unwrap_or("")))
        .collect();
    // Each released column's value summary, pseudonyms aside (their codes are per release).
    let summaries = rep["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["output"].is_string() && !keyed.iter().any(|k| c["output"] == k.as_str()))
        .map(|c| (c["name"].as_str().unwrap_or("").to_string(), c["values"].to_string()))
        .collect();
    let standard_1 = rep["processing_standards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["id"] == 1)
        .flat_map(|s| s["evidence"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()))
        .collect();
    assert_eq!(rep["k_achieved"].as_u64().unwrap(), k, "the report's k is the rows'");
    assert_eq!(rep["rows_out"].as_u64().unwrap(), rows.len() as u64, "the report's rows are the files'");
    Release {
        levels,
        suppressed: rep["suppressed"].as_u64().unwrap(),
        rows_out: rep["rows_out"].as_u64().unwrap(),
        k,
        l,
        summaries,
        standard_1,
        release_risk: rep["release_risk"].clone(),
        utility: (
            rep["utility"]["columns"].clone(),
            rep["utility"]["not_compared"].clone(),
            rep["utility"]["correlation"]["after"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(rep["utility"]["correlation"]["before"].as_array().into_iter().flatten())
                .flat_map(|r| r.as_array().unwrap().iter().map(|x| format!("{:.9}", x.as_f64().unwrap_or(f64::NAN))))
                .collect(),
        ),
        columns,
        rows,
    }
}

#[test]
fn a_release_on_the_cluster_equals_the_release_on_one_machine() {
    let env = Env::new();
    let n = rows();
    let (full, parts) = extract(&env, n, 4);
    // The sample rules as they are: their released text (性別, 地方, 要介護度, 障害者手帳) is
    // scanned for the extract's names, numbers and addresses on the cluster too.
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    let one = job(&env, "one", &full, &rules);
    let r = env.tokumei(&["run", one.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let here = release(&published(&env.path("one-out"))[0]);
    // (At 1M rows the sample rules need no suppression: the searched test below suppresses.)
    assert!(here.k >= 5, "k = {}", here.k);
    assert!(here.standard_1.iter().any(|e| e.contains("residual scan of")), "the scan ran: {:?}", here.standard_1);

    // Executors with little memory: their sorts and aggregations spill, and the release is the same.
    let cluster = start_cluster_with(&env, 2, &["--memory-pool", "64MiB"]);
    let spread = job(&env, "spread", &parts, &rules);
    let started = Instant::now();
    let r = env.tokumei(&["run", spread.to_str().unwrap(), "--cluster", &cluster.url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    eprintln!("the cluster's run of {n} rows: {:.1} s", started.elapsed().as_secs_f64());
    let there = release(&published(&env.path("spread-out"))[0]);
    assert_eq!(there.levels, here.levels);
    assert_eq!((there.suppressed, there.rows_out, there.k), (here.suppressed, here.rows_out, here.k));
    assert_eq!(there.l, here.l);
    assert_eq!(there.summaries, here.summaries, "the released columns' value summaries");
    assert_eq!(there.standard_1, here.standard_1, "the residual scan's findings (standard 1's evidence)");
    assert!(here.release_risk.is_object(), "{}", here.release_risk);
    assert_eq!(there.release_risk, here.release_risk, "the release risk");
    assert!(here.utility.0.as_array().is_some_and(|c| c.len() >= 5), "{:?}", here.utility);
    assert_eq!(there.utility, here.utility, "what the release changed (utility)");
    assert_eq!(there.columns, here.columns);
    assert!(there.rows == here.rows, "the released rows differ ({} and {})", there.rows.len(), here.rows.len());
    // The audit log's last entry is the release published.
    let log = std::fs::read_to_string(env.path("spread-audit.log")).unwrap();
    assert!(log.lines().last().unwrap().contains("\"status\":\"published\""), "{log}");
    // Nothing of the run's context (keys) is left in the staging folder or the release.
    for f in walk(&env.path("spread-out")) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.ends_with(".key") && name != "released.arrow", "left behind: {}", f.display());
    }
}

/// [`rules_without_scanned_text`] with the levels chosen by the optimal search: the age between
/// exact years and 20-year bands, the income between its two band widths.
fn searched_rules() -> String {
    // 市区町村コード kept (as a number, top and bottom coded) outside the key: the release risk
    // counts it beside the key, with rows suppressed.
    let rules = rules_without_scanned_text()
        .replace(
            "name = \"市区町村コード\"\nrole = \"quasi_identifier\"\naction = \"drop\"",
            "name = \"市区町村コード\"\nrole = \"insensitive\"\naction = \"top_bottom_code\"\ntype = \"integer\"\ntop = 470000\nbottom = 11000",
        )
        .replace("max_suppression = 0.15", "max_suppression = 0.15\nsearch = \"optimal\"\nquality = \"loss\"")
        .replace("top = 90\nlevel = 2", "top = 90\nmin_level = 0\nmax_level = 4")
        .replace("bottom = 0\nlevel = 1", "bottom = 0\nmin_level = 1\nmax_level = 2");
    assert_eq!(rules.matches("max_level").count(), 2, "{rules}");
    assert!(rules.contains("name = \"市区町村コード\"\nrole = \"insensitive\""), "{rules}");
    rules
}

#[test]
fn a_searched_release_on_the_cluster_equals_the_release_on_one_machine() {
    let env = Env::new();
    let (full, parts) = extract(&env, rows() / 5, 4);
    let rules = searched_rules();
    let one = job(&env, "one", &full, &rules);
    let r = env.tokumei(&["run", one.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = published(&env.path("one-out"))[0].clone();
    let here = release(&dir);
    let searched = report(&dir)["search"].clone();
    assert!(searched.is_object(), "the search ran");
    let cluster = start_cluster(&env, 2);
    let spread = job(&env, "spread", &parts, &rules);
    let r = env.tokumei(&["run", spread.to_str().unwrap(), "--cluster", &cluster.url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = published(&env.path("spread-out"))[0].clone();
    let there = release(&dir);
    // The search's whole result but its time.
    let result = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("ms");
        v
    };
    assert_eq!(result(report(&dir)["search"].clone()), result(searched), "the search's result");
    assert_eq!(there.levels, here.levels);
    assert_eq!((there.suppressed, there.rows_out, there.k), (here.suppressed, here.rows_out, here.k));
    assert_eq!(there.l, here.l);
    assert_eq!(there.summaries, here.summaries);
    // Suppressed rows and a column outside the key: the release risk counts both alike.
    assert!(here.suppressed > 0, "the searched variant suppresses");
    let outside = here.release_risk["outside_key"].as_array().map_or(0, Vec::len);
    assert!(outside > 0, "a column outside the key: {}", here.release_risk);
    assert_eq!(there.release_risk, here.release_risk, "the release risk");
    assert_eq!(there.utility, here.utility, "what the release changed (utility)");
    assert!(there.rows == here.rows, "the released rows differ ({} and {})", there.rows.len(), here.rows.len());
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.map(|e| e.unwrap().path()) {
            match e.is_dir() && !e.is_symlink() {
                true => out.extend(walk(&e)),
                false => out.push(e),
            }
        }
    }
    out
}

#[test]
fn an_executor_killed_mid_way_leaves_the_release_whole_or_nothing_published() {
    // Mid-way: once the executor to be killed holds shuffle data of the run (a query's stage
    // done on it, the next ones still to come).
    kill_one_executor(rows(), &|env: &Env| !walk(&env.path("exec0")).is_empty());
}

/// As above, the executor killed once the release is being written (the coordinator made the
/// folder the cluster writes it into): a write task lost, run again or failed, never leaves a
/// part or a second copy published.
#[test]
fn an_executor_killed_while_the_release_is_written_leaves_it_whole_or_nothing_published() {
    // (Half the rows: the write stage alone outlasts the kill.)
    kill_one_executor(rows() / 2, &|env: &Env| has_dir(&env.path("spread-out"), "cluster-out"));
}

/// Whether a folder named `name` is anywhere under `dir`.
fn has_dir(dir: &Path, name: &str) -> bool {
    let Ok(rd) = std::fs::read_dir(dir) else { return false };
    rd.filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && !p.is_symlink())
        .any(|p| p.file_name().is_some_and(|n| n == name) || has_dir(&p, name))
}

/// A run of `n` rows on two executors, one killed once `mid_way` holds: it completes on the other with the
/// release one machine makes of the same rows, or fails with nothing published and audited.
fn kill_one_executor(n: u64, mid_way: &dyn Fn(&Env) -> bool) {
    let env = Env::new();
    let (full, parts) = extract(&env, n, 4);
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    let one = job(&env, "one", &full, &rules);
    let r = env.tokumei(&["run", one.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let here = release(&published(&env.path("one-out"))[0]);

    let mut cluster = start_cluster(&env, 2);
    let spread = job(&env, "spread", &parts, &rules);
    let run = env
        .command(&["run", spread.to_str().unwrap(), "--cluster", &cluster.url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !mid_way(&env) {
        assert!(start.elapsed() < Duration::from_secs(300), "the run never got there");
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut killed = cluster.executors.remove(0);
    killed.0.kill().unwrap();
    let _ = killed.0.wait();
    let mut run = run;
    assert!(run.try_wait().unwrap().is_none(), "the run ended before the executor was killed: use more rows");
    let out = run.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let found = published(&env.path("spread-out"));
    match out.status.code() {
        Some(0) => {
            eprintln!("the run completed on the other executor");
            let there = release(&found[0]);
            assert_eq!((there.suppressed, there.k, &there.l), (here.suppressed, here.k, &here.l));
            assert_eq!(there.standard_1, here.standard_1);
            assert!(there.rows == here.rows, "the released rows differ");
        }
        code => {
            eprintln!("the run failed ({code:?}): {stderr}");
            assert!(found.is_empty(), "a failed run published {found:?}");
            let log = std::fs::read_to_string(env.path("spread-audit.log")).unwrap();
            assert!(log.lines().last().unwrap().contains("\"status\":\"failed\""), "{log}");
        }
    }
}

#[test]
fn with_every_executor_killed_mid_way_nothing_is_published_and_no_key_is_left() {
    let env = Env::new();
    let (_, parts) = extract(&env, rows(), 4);
    let mut cluster = start_cluster(&env, 2);
    let spread = job(&env, "spread", &parts, &std::fs::read_to_string(sample_rules()).unwrap());
    let mut run = env
        .command(&["run", spread.to_str().unwrap(), "--cluster", &cluster.url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while walk(&env.path("exec0")).is_empty() && walk(&env.path("exec1")).is_empty() {
        assert!(start.elapsed() < Duration::from_secs(300), "the run never reached the executors");
        std::thread::sleep(Duration::from_millis(5));
    }
    for mut e in cluster.executors.drain(..) {
        e.0.kill().unwrap();
        let _ = e.0.wait();
    }
    assert!(run.try_wait().unwrap().is_none(), "the run ended before the executors were killed: use more rows");
    // The scheduler gives up on a job without executors after its grace period (4 s here).
    let start = Instant::now();
    while run.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(240) {
            let _ = run.kill();
            panic!("the run did not end without executors");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = run.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(8), "{stderr}");
    assert!(stderr.contains("the cluster failed"), "{stderr}");
    assert!(published(&env.path("spread-out")).is_empty());
    // The staging folder, with the run's keys, is gone.
    let left: Vec<PathBuf> =
        walk(&env.path("spread-out")).into_iter().filter(|f| !f.ends_with(".tokumei.lock")).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let log = std::fs::read_to_string(env.path("spread-audit.log")).unwrap();
    assert!(log.lines().last().unwrap().contains("\"status\":\"failed\""), "{log}");
}

#[test]
fn what_has_no_distributed_form_is_refused_before_anything_runs_and_a_bad_value_stops_the_run() {
    let env = Env::new();
    let (_, parts) = extract(&env, 2_000, 2);
    let cluster = start_cluster(&env, 1);
    let read = |p: &str| std::fs::read_to_string(repo().join(p)).unwrap();
    // A person with two rows: the first record again, in a part of its own.
    let twice = env.path("twice");
    std::fs::create_dir_all(&twice).unwrap();
    for p in ["part-0.csv", "part-1.csv"] {
        std::fs::copy(parts.join(p), twice.join(p)).unwrap();
    }
    let text = std::fs::read_to_string(parts.join("part-0.csv")).unwrap();
    let records = records_of(&text);
    std::fs::write(twice.join("part-2.csv"), format!("{}{}", records[0], records[1])).unwrap();
    // A birth date that is no date, in the first record of a part.
    let broken = env.path("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::copy(parts.join("part-1.csv"), broken.join("part-1.csv")).unwrap();
    let mut fields: Vec<String> = records[1].split(',').map(str::to_string).collect();
    fields[4] = "kein-Datum-4711".into();
    let rest: String = records[2..].concat();
    std::fs::write(broken.join("part-0.csv"), format!("{}{}{rest}", records[0], fields.join(","))).unwrap();
    let scan_free = rules_without_scanned_text();
    let cannot = "this job cannot run on the cluster";
    let cases: [(&str, String, &Path, &str, i32, &str, &str); 5] = [
        // A masked text outside the key: released row by row (not dictionary-coded), scanned
        // against every row's identifiers.
        (
            "masked",
            read("rules/resident_registry.toml").replace(
                "name = \"続柄\"\nrole = \"quasi_identifier\"\naction = \"drop\"",
                "name = \"続柄\"\nrole = \"insensitive\"\naction = \"mask\"\nkeep_first = 1",
            ),
            &parts,
            "utf-8",
            3,
            cannot,
            "the residual scan of text released row by row (columns 続柄)",
        ),
        ("noise", read("rules/resident_registry_noise.toml"), &parts, "utf-8", 3, cannot, "perturbation"),
        ("cp932", scan_free.clone(), &parts, "auto", 3, cannot, "not declared `encoding = \"utf-8\"`"),
        (
            "twice",
            scan_free.clone(),
            &twice,
            "utf-8",
            3,
            cannot,
            "some people have several rows (2001 rows are 2000 people)",
        ),
        // A value the rules refuse, read on an executor: an input error naming the column, not the value.
        ("broken", scan_free, &broken, "utf-8", 4, "column `生年月日`", "is malformed"),
    ];
    for (name, rules, input, encoding, code, said, why) in cases {
        let job = job(&env, name, input, &rules);
        let text = std::fs::read_to_string(&job)
            .unwrap()
            .replace("encoding = \"utf-8\"", &format!("encoding = \"{encoding}\""));
        std::fs::write(&job, text).unwrap();
        let r = env.tokumei(&["run", job.to_str().unwrap(), "--cluster", &cluster.url]);
        assert_eq!(r.code, code, "{name}: {}", r.stderr);
        assert!(r.stderr.contains(said) && r.stderr.contains(why), "{name}: {}", r.stderr);
        assert!(!r.stderr.contains("kein-Datum"), "{name}: a value in the error: {}", r.stderr);
        // Nothing published or left; the refusal audited.
        assert!(published(&env.path(&format!("{name}-out"))).is_empty(), "{name}");
        let log = std::fs::read_to_string(env.path(&format!("{name}-audit.log"))).unwrap();
        assert!(log.lines().last().unwrap().contains("\"status\":\"failed\""), "{name}: {log}");
    }
}

/// The extract `full` and its `parts` with `extra` columns (name, the values the rows take in
/// turn) appended, in folder `name`.
fn with_columns(env: &Env, name: &str, (full, parts): (&Path, &Path), extra: &[(&str, &[&str])]) -> (PathBuf, PathBuf) {
    let names: Vec<&str> = extra.iter().map(|(c, _)| *c).collect();
    let values = |i: usize, _: &str| extra.iter().map(|(_, v)| v[i % v.len()].to_string()).collect();
    with_columns_by(env, name, (full, parts), &names, &values)
}

/// The extract `full` and its `parts` with columns `names` appended, each record's values made
/// by `values` from its number in its file and its text, in folder `name`.
fn with_columns_by(
    env: &Env,
    name: &str,
    (full, parts): (&Path, &Path),
    names: &[&str],
    values: &dyn Fn(usize, &str) -> Vec<String>,
) -> (PathBuf, PathBuf) {
    let dir = env.path(name);
    std::fs::create_dir_all(dir.join("parts")).unwrap();
    let rewrite = |from: &Path, to: &Path| {
        let text = std::fs::read_to_string(from).unwrap();
        let mut out = String::new();
        for (i, r) in records_of(&text).into_iter().enumerate() {
            // (The generator ends its records with CRLF.)
            let body = r.trim_end_matches(['\r', '\n']);
            out.push_str(body);
            let row: Vec<String> = match i {
                0 => names.iter().map(|n| n.to_string()).collect(),
                _ => values(i, body),
            };
            for v in row {
                out.push(',');
                out.push_str(&v);
            }
            out.push_str(&r[body.len()..]);
        }
        std::fs::write(to, out).unwrap();
    };
    rewrite(full, &dir.join("full.csv"));
    for p in std::fs::read_dir(parts).unwrap().map(|e| e.unwrap().path()) {
        rewrite(&p, &dir.join("parts").join(p.file_name().unwrap()));
    }
    (dir.join("full.csv"), dir.join("parts"))
}

/// The residual scan's verdict on the cluster is one machine's: a whole name of the extract's
/// name column (氏名), a 個人番号 or an address (住所) of the extract in a released dictionary
/// column fails both runs with the same findings;
/// so does a name of a direct identifier whose values are names only because most of them are
/// shaped like names (緊急連絡先: the cluster counts the shapes); nothing is published.
#[test]
fn a_name_in_the_released_text_fails_the_run_on_the_cluster_as_on_one_machine() {
    let env = Env::new();
    let (full, parts) = extract(&env, 20_000, 2);
    let text = std::fs::read_to_string(&full).unwrap();
    let first = records_of(&text)[1].split(',').nth(2).unwrap().to_string();
    assert!(first.chars().count() >= 3, "a generated name: {first}");
    let cluster = start_cluster(&env, 2);
    let sample = std::fs::read_to_string(sample_rules()).unwrap();
    let memo = |role: &str| {
        format!(
            "{sample}\n[[column]]\nname = \"緊急連絡先\"\nrole = \"direct_identifier\"\naction = \"drop\"\n\n[[column]]\nname = \"メモ\"\nrole = \"{role}\"\naction = \"keep\"\nl = 1\nl_reason = \"test\"\n"
        )
    };
    let named = format!("{first}様より");
    let fields: Vec<&str> = records_of(&text)[1].split(',').collect();
    let number = format!("旧番号{}あり", fields[1]);
    let address = format!("{}に転居", fields[7]);
    assert!(fields[1].len() == 12 && fields[7].chars().count() >= 10, "{:?}", &fields[..8]);
    let cases = [
        ("number", number.as_str(), "鈴木", "row(s) hold a number of identifier column `個人番号`"),
        ("address", address.as_str(), "鈴木", "row(s) hold an address or e-mail address of identifier column `住所`"),
        ("whole", named.as_str(), "鈴木", "row(s) hold a full name of the extract's name columns"),
        ("told", "田中凶真様より", "田中 凶真", "row(s) hold a full name of the extract's name columns"),
    ];
    for (name, value, contact, finding) in cases {
        let (full, parts) =
            with_columns(&env, name, (&full, &parts), &[("緊急連絡先", &[contact]), ("メモ", &[value])]);
        let rules = memo("sensitive");
        let one = job(&env, &format!("{name}-one"), &full, &rules);
        let here = env.tokumei(&["run", one.to_str().unwrap()]);
        let spread = job(&env, &format!("{name}-spread"), &parts, &rules);
        let there = env.tokumei(&["run", spread.to_str().unwrap(), "--cluster", &cluster.url]);
        let verdict = |stderr: &str| -> String {
            let at = stderr.find("residual identifier scan").unwrap_or_else(|| panic!("{name}: {stderr}"));
            stderr[at..].lines().next().unwrap().to_string()
        };
        assert_eq!((here.code, there.code), (5, 5), "{name}: {}\n{}", here.stderr, there.stderr);
        assert!(verdict(&here.stderr).contains(finding), "{name}: {}", here.stderr);
        assert_eq!(verdict(&there.stderr), verdict(&here.stderr), "{name}");
        for v in [first.as_str(), "凶真", fields[1], fields[7]] {
            assert!(!there.stderr.contains(v), "a value in the error: {}", there.stderr);
        }
        assert!(published(&env.path(&format!("{name}-spread-out"))).is_empty(), "{name}");
    }
    // A kept text outside the key checked against its own row's identifiers: the 連絡メモ of the
    // first person's rows holds their own 郵便番号 (and no other row's): both fail alike (exit 5),
    // naming the columns.
    let postal = fields[6].to_string();
    assert!(postal.is_ascii() && postal.len() == 8, "{postal}");
    let own = |_: usize, record: &str| {
        let p = record.split(',').nth(6).unwrap_or_default();
        vec![if p == postal { format!("〒{p}宛") } else { "本人".to_string() }]
    };
    let (own_full, own_parts) = with_columns_by(&env, "own", (&full, &parts), &["連絡メモ"], &own);
    let memo_rules = |env: &Env, job_name: &str, input: &Path| {
        let rules = format!("{sample}\n[[column]]\nname = \"連絡メモ\"\nrole = \"insensitive\"\naction = \"keep\"\n");
        job(env, job_name, input, &rules)
    };
    let here = env.tokumei(&["run", memo_rules(&env, "own-one", &own_full).to_str().unwrap()]);
    let there =
        env.tokumei(&["run", memo_rules(&env, "own-spread", &own_parts).to_str().unwrap(), "--cluster", &cluster.url]);
    let said = "column `連絡メモ` would release the value of identifier column `郵便番号` (the value is not shown)";
    assert_eq!((here.code, there.code), (5, 5), "{}\n{}", here.stderr, there.stderr);
    assert!(here.stderr.contains(said) && there.stderr.contains(said), "{}\n{}", here.stderr, there.stderr);
    assert!(!there.stderr.contains(postal.as_str()), "a value in the error: {}", there.stderr);
    assert!(published(&env.path("own-spread-out")).is_empty());
    // Without it (every row 本人): a kept text runs on the cluster, released as on one machine.
    let plain = |_: usize, _: &str| vec!["本人".to_string()];
    let (plain_full, plain_parts) = with_columns_by(&env, "plain", (&full, &parts), &["連絡メモ"], &plain);
    let here = env.tokumei(&["run", memo_rules(&env, "plain-one", &plain_full).to_str().unwrap()]);
    let there = env.tokumei(&[
        "run",
        memo_rules(&env, "plain-spread", &plain_parts).to_str().unwrap(),
        "--cluster",
        &cluster.url,
    ]);
    assert_eq!((here.code, there.code), (0, 0), "{}\n{}", here.stderr, there.stderr);
    let (here, there) =
        (release(&published(&env.path("plain-one-out"))[0]), release(&published(&env.path("plain-spread-out"))[0]));
    assert!(here.columns.iter().any(|c| c == "連絡メモ"), "{:?}", here.columns);
    assert_eq!((there.levels, there.suppressed, there.standard_1), (here.levels, here.suppressed, here.standard_1));
    assert!(there.rows == here.rows, "the released rows differ");
    // With a third of its values shaped like names the contact column is no name column: its
    // values are not looked for, on the cluster as on one machine.
    let contacts: &[&str] = &["田中 凶真", "0120-000-000", "0120-000-001"];
    let (full, parts) =
        with_columns(&env, "untold", (&full, &parts), &[("緊急連絡先", contacts), ("メモ", &["田中凶真様より"])]);
    let rules = memo("sensitive");
    let one = job(&env, "untold-one", &full, &rules);
    let spread = job(&env, "untold-spread", &parts, &rules);
    let here = env.tokumei(&["run", one.to_str().unwrap()]);
    let there = env.tokumei(&["run", spread.to_str().unwrap(), "--cluster", &cluster.url]);
    assert_eq!((here.code, there.code), (0, 0), "{}\n{}", here.stderr, there.stderr);
}

/// Parquet parts (every column text, as a municipality's export writes them) on the cluster give
/// the release one machine makes of the same rows as CSV, with the sample rules.
#[test]
fn parquet_parts_on_the_cluster_release_what_one_machine_releases_from_csv() {
    use arrow::array::{ArrayRef, RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;
    let env = Env::new();
    let (full, parts) = extract(&env, rows() / 10, 3);
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    let one = job(&env, "one", &full, &rules);
    let r = env.tokumei(&["run", one.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let here = release(&published(&env.path("one-out"))[0]);
    let pq = env.path("pq");
    std::fs::create_dir_all(&pq).unwrap();
    let mut written = 0;
    for p in std::fs::read_dir(&parts).unwrap().map(|e| e.unwrap().path()) {
        let rows = csv_like(&std::fs::read_to_string(&p).unwrap());
        let header = &rows[0];
        let fields: Vec<Field> = header.iter().map(|h| Field::new(h, DataType::Utf8, true)).collect();
        let schema = Arc::new(Schema::new(fields));
        let columns: Vec<ArrayRef> = (0..header.len())
            .map(|j| {
                let values: Vec<Option<&str>> = rows[1..].iter().map(|r| Some(r[j].as_str())).collect();
                Arc::new(StringArray::from(values)) as ArrayRef
            })
            .collect();
        written += rows.len() - 1;
        let out = pq.join(p.with_extension("parquet").file_name().unwrap());
        let mut w =
            parquet::arrow::ArrowWriter::try_new(std::fs::File::create(out).unwrap(), schema.clone(), None).unwrap();
        w.write(&RecordBatch::try_new(schema, columns).unwrap()).unwrap();
        w.close().unwrap();
    }
    assert_eq!(written as u64, rows() / 10);
    let cluster = start_cluster(&env, 2);
    let spread = job(&env, "spread", &pq, &rules);
    let text = std::fs::read_to_string(&spread).unwrap().replace("encoding = \"utf-8\"", "format = \"parquet\"");
    std::fs::write(&spread, text).unwrap();
    let r = env.tokumei(&["run", spread.to_str().unwrap(), "--cluster", &cluster.url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let there = release(&published(&env.path("spread-out"))[0]);
    assert_eq!(there.levels, here.levels);
    assert_eq!((there.suppressed, there.rows_out, there.k), (here.suppressed, here.rows_out, here.k));
    assert_eq!(there.l, here.l);
    assert_eq!(there.summaries, here.summaries);
    assert_eq!(there.standard_1, here.standard_1);
    assert_eq!(there.release_risk, here.release_risk);
    assert!(there.rows == here.rows, "the released rows differ ({} and {})", there.rows.len(), here.rows.len());
}

/// Residents' requests on the cluster as on one machine: the registry's accepted suspensions
/// leave out their subjects' records and its accepted corrections rewrite their values before
/// anything counts the rows, so the release, its decisions and the request counts in its report
/// equal one machine's. On the registered file (corrections apply) and on parts registered
/// nowhere (every exclusion applies, no correction). A run whose registry keeps a per-subject
/// index is refused (exit 3) with the reason.
#[test]
fn residents_requests_are_applied_on_the_cluster_as_on_one_machine() {
    const REG: &str = "reg/registry.sqlite";
    // 2026-11-27T00:00:00Z: after the requests' receipt.
    let now = [("TOKUMEI_NOW", "1795737600")];
    let env = Env::new();
    let (full, parts) = extract(&env, 20_000, 3);
    sample_registry(&env, REG, "");
    let ok = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend(["--registry", REG]);
        let r = env.tokumei_with(&a, &now);
        assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
        r
    };
    let file = "住民基本台帳ファイル";
    let full_s = full.to_str().unwrap();
    ok(&["file", "add-source", file, "--input", full_s, "--encoding", "utf-8", "--subject-column", "宛名番号"]);
    let text = std::fs::read_to_string(&full).unwrap();
    let all = records_of(&text);
    let fields = |i: usize| all[i].trim_end().split(',').map(str::to_string).collect::<Vec<_>>();
    let at = |name: &str| fields(0).iter().position(|h| h == name).unwrap();
    let (id, sex, birth, income) = (at("宛名番号"), at("性別"), at("生年月日"), at("課税所得"));
    // Suspended, one in each part: `a` written with a full-width 宛名番号 in the data, `b` with a
    // birth date that is no date (never read: left out first), `c` also corrected.
    let (a, b, c) = (1, 7_001, 14_001);
    let corrected = [(10, sex), (7_010, sex), (19_990, income), (c, sex)];
    let mut data = std::fs::read_to_string(&full).unwrap();
    let mut part_texts: Vec<(PathBuf, String)> = std::fs::read_dir(&parts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    let wide: String =
        fields(a)[id].chars().map(|d| char::from_u32(d as u32 - '0' as u32 + '０' as u32).unwrap()).collect();
    for (row, col, value) in [(a, id, wide.as_str()), (b, birth, "不明")] {
        let old = all[row];
        let mut f: Vec<&str> = old.splitn(col + 2, ',').collect();
        f[col] = value;
        let new = f.join(",");
        data = data.replacen(old, &new, 1);
        let part = part_texts.iter_mut().find(|(_, t)| t.contains(old)).unwrap();
        part.1 = part.1.replacen(old, &new, 1);
    }
    std::fs::write(&full, &data).unwrap();
    for (p, t) in &part_texts {
        std::fs::write(p, t).unwrap();
    }
    let intake = |kind: &str, person: &str, rest: &str| {
        format!(
            "kind = \"{kind}\"\nreceived = \"2026-11-20\"\nrequester = \"本人\"\ncapacity = \"self\"\nverification = \"運転免許証\"\nrecords = \"全て\"\nsubject = \"{person}\"\ndisclosed_on = \"2026-11-01\"\n{rest}"
        )
    };
    let mut n = 0;
    let mut decide = |toml: String, ground: &[&str]| {
        n += 1;
        let path = env.write(&format!("request-{n}.toml"), &toml);
        let r = ok(&["request", "open", path.to_str().unwrap()]);
        let request = r.stdout.split_whitespace().nth(2).unwrap().to_string();
        let mut args = vec!["request", "decide", &request, "--decision", "accepted", "--reason", "理由"];
        args.extend(ground);
        ok(&args);
    };
    for row in [a, b, c] {
        let rest = format!("measure = \"stop_use\"\nfiles = [\"{file}\"]\n");
        decide(intake("suspension", &fields(row)[id], &rest), &["--ground", "unlawful_use"]);
    }
    for (row, col) in corrected {
        let r = fields(row);
        let value = match col == sex {
            true => if r[sex] == "男" { "女" } else { "男" }.to_string(),
            false => "12345678".to_string(),
        };
        let name = &fields(0)[col];
        let correction = format!("[[correction]]\nfile = \"{file}\"\ncolumn = \"{name}\"\nvalue = \"{value}\"\n");
        decide(intake("correction", &r[id], &correction), &[]);
    }
    let cluster = start_cluster(&env, 2);
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    // An unregistered copy of the rows, for one machine beside the parts.
    let copy = env.path("copy.csv");
    std::fs::copy(&full, &copy).unwrap();
    // (registered: 4 corrections in force, 3 applied: c's record is left out.)
    for (name, here_input, there_input, counts) in
        [("registered", &full, &full, (3, 3, 4)), ("unregistered", &copy, &parts, (3, 0, 0))]
    {
        let one = job(&env, &format!("{name}-one"), here_input, &rules);
        ok(&["run", one.to_str().unwrap()]);
        let spread = job(&env, &format!("{name}-spread"), there_input, &rules);
        ok(&["run", spread.to_str().unwrap(), "--cluster", &cluster.url]);
        let (here_dir, there_dir) = (
            published(&env.path(&format!("{name}-one-out")))[0].clone(),
            published(&env.path(&format!("{name}-spread-out")))[0].clone(),
        );
        let (here_rep, there_rep) = (report(&here_dir), report(&there_dir));
        let got = |rep: &serde_json::Value| {
            let q = &rep["requests"];
            let n = |k: &str| q[k].as_u64().unwrap_or(u64::MAX);
            (n("excluded_records"), n("corrected_values"), n("corrections_in_force"), n("exclusions_in_force"))
        };
        assert_eq!(got(&here_rep), (counts.0, counts.1, counts.2, 3), "{name}: {}", here_rep["requests"]);
        assert_eq!(got(&there_rep), got(&here_rep), "{name}: {}", there_rep["requests"]);
        assert_eq!(there_rep["requests"], here_rep["requests"], "{name}");
        assert_eq!(there_rep["rows_in"], here_rep["rows_in"], "{name}");
        let (here, there) = (release(&here_dir), release(&there_dir));
        assert_eq!(here.rows_out + here.suppressed, 20_000 - 3, "{name}");
        assert_eq!((there.levels.clone(), there.suppressed, there.k), (here.levels.clone(), here.suppressed, here.k));
        assert_eq!(there.summaries, here.summaries, "{name}: the released columns' value summaries");
        assert!(there.rows == here.rows, "{name}: the released rows differ");
    }
    // The corrections changed the release: without them (the unregistered copy) 性別's summary
    // differs from the registered file's.
    let summary = |name: &str| release(&published(&env.path(&format!("{name}-one-out")))[0]).summaries;
    assert_ne!(summary("registered"), summary("unregistered"), "the corrections show in the release");
    // A registry keeping a per-subject index (its run collects the people of the release): refused.
    let indexed = "reg2/registry.sqlite";
    sample_registry(&env, indexed, "subject_index = true\n");
    let job_i = job(&env, "indexed", &parts, &rules);
    let r = env.tokumei_with(
        &["run", job_i.to_str().unwrap(), "--cluster", &cluster.url, "--registry", indexed, "--internal-use", "統計"],
        &now,
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("per-subject index"), "{}", r.stderr);
    assert!(published(&env.path("indexed-out")).is_empty());
}
