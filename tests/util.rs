//! Helpers: a temp folder, the binary, job files, and an independent Parquet reader.

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample_csv() -> PathBuf {
    repo().join("samples/resident_registry.csv")
}

pub fn sample_rules() -> PathBuf {
    repo().join("rules/resident_registry.toml")
}

/// `rules/resident_registry_search.toml` with extra `[privacy]` settings, written into `env`
/// (hierarchy files still found in the repository).
pub fn searched_rules(env: &Env, privacy: &str) -> PathBuf {
    let src = std::fs::read_to_string(repo().join("rules/resident_registry_search.toml"))
        .unwrap()
        .replace("hierarchies/", &format!("{}/", repo().join("rules/hierarchies").display()))
        .replace("max_suppression = 0.05", &format!("max_suppression = 0.05\n{privacy}"));
    env.write("rules.toml", &src)
}

pub struct Env {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Env {
    pub fn new() -> Env {
        Env { dir: tempfile::tempdir().unwrap() }
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    /// A job over `input` with `rules`, output in `out/`, audit log `audit.log`.
    pub fn job(&self, name: &str, input: &Path, rules: &Path, extra: &str) -> PathBuf {
        let text = format!(
            "version = 1\nname = \"{name}\"\nreference_date = \"2026-04-01\"\n[input]\npath = \"{}\"\n{extra}\n[rules]\npath = \"{}\"\n[output]\ndir = \"out\"\n[audit]\nlog = \"audit.log\"\n",
            input.display(),
            rules.display()
        );
        self.write(&format!("{name}.job.toml"), &text)
    }

    pub fn tokumei(&self, args: &[&str]) -> Run {
        self.tokumei_with(args, &[])
    }

    /// The binary, set up as `tokumei` runs it in tests.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tokumei"));
        c.args(args)
            .current_dir(self.dir.path())
            .env("TOKUMEI_OPERATOR", "tester")
            .env_remove("TOKUMEI_NOW")
            .env_remove("TOKUMEI_FAILPOINT")
            .env_remove("TOKUMEI_REGISTRY")
            .env_remove("TOKUMEI_DIRECT_READ");
        c
    }

    /// Run with extra environment variables (e.g. `TOKUMEI_FAILPOINT`).
    pub fn tokumei_with(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let mut c = self.command(args);
        for (k, v) in vars {
            c.env(k, v);
        }
        let out: Output = c.output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The newest release folder of the only dataset under out/ (through its `latest` link).
    pub fn latest(&self) -> PathBuf {
        let datasets: Vec<PathBuf> = std::fs::read_dir(self.path("out"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect();
        assert_eq!(datasets.len(), 1, "expected one dataset folder under out/: {datasets:?}");
        std::fs::canonicalize(datasets[0].join("latest")).unwrap()
    }

    /// Every release folder under out/<dataset>/, sorted.
    pub fn releases(&self, dataset: &str) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.path("out").join(dataset))
            .map(|rd| {
                rd.map(|e| e.unwrap().path())
                    .filter(|p| {
                        !p.is_symlink() && p.is_dir() && !p.file_name().unwrap().to_string_lossy().starts_with('.')
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// The officer's Ed25519 signing key in this folder (`officer.key`; its public key
    /// `officer.key.pub`), made by `keygen --audit` the first time.
    pub fn officer_key(&self) -> String {
        let p = self.path("officer.key");
        if !p.exists() {
            let r = self.tokumei(&["keygen", "--audit", "--out", p.to_str().unwrap()]);
            assert_eq!(r.code, 0, "{}", r.stderr);
        }
        p.to_str().unwrap().to_string()
    }

    /// Files under out/ (none means nothing was written, not even temporaries).
    pub fn out_files(&self) -> Vec<PathBuf> {
        let mut v = Vec::new();
        let out = self.path("out");
        if let Ok(rd) = std::fs::read_dir(&out) {
            for e in rd {
                v.push(e.unwrap().path());
            }
        }
        v
    }
}

/// A Parquet file read independently of tokumei's code: every column as text, plus the
/// key-value metadata.
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    pub metadata: HashMap<String, String>,
    pub types: Vec<DataType>,
}

impl Table {
    pub fn col(&self, name: &str) -> usize {
        self.columns.iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name}"))
    }
}

pub fn read_parquet(path: &Path) -> Table {
    let f = std::fs::File::open(path).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
    let metadata = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kv| kv.iter().map(|k| (k.key.clone(), k.value.clone().unwrap_or_default())).collect())
        .unwrap_or_default();
    let schema = builder.schema().clone();
    let columns: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let types = schema.fields().iter().map(|f| f.data_type().clone()).collect();
    let mut rows = Vec::new();
    for batch in builder.build().unwrap() {
        let batch = batch.unwrap();
        let text: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| arrow::compute::cast(c, &DataType::Utf8).unwrap().as_string::<i32>().clone())
            .collect();
        for r in 0..batch.num_rows() {
            rows.push(text.iter().map(|c| if c.is_null(r) { None } else { Some(c.value(r).to_string()) }).collect());
        }
    }
    Table { columns, rows, metadata, types }
}

/// The bundled sample's records (header first), decoded from CP932.
pub fn sample_records() -> Vec<Vec<String>> {
    read_csv_cp932(&sample_csv())
}

/// A generated UTF-8 extract's records (header first): `tokumei sample` with `rows` and `seed`.
pub fn generated_records(env: &Env, rows: u64, seed: u64) -> Vec<Vec<String>> {
    let p = env.path("gen.csv");
    let r = env.tokumei(&[
        "sample",
        "resident-registry",
        "--rows",
        &rows.to_string(),
        "--seed",
        &seed.to_string(),
        "--encoding",
        "utf-8",
        "--force",
        "--out",
        p.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    csv_like(&std::fs::read_to_string(&p).unwrap())
}

/// Write records as a UTF-8 CSV file, every field quoted.
pub fn write_rows(env: &Env, name: &str, rows: &[Vec<String>]) -> PathBuf {
    let text: String = rows
        .iter()
        .map(|r| r.iter().map(|f| format!("\"{}\"", f.replace('"', "\"\""))).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    env.write(name, &text)
}

/// Decode the CP932 sample and parse it as CSV records (header first).
pub fn read_csv_cp932(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad, "sample is not valid CP932");
    csv_like(&text)
}

/// RFC 4180 CSV parsing (quotes, embedded newlines), written here so the test does not
/// share tokumei's reader.
pub fn csv_like(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Equivalence classes over `qi` columns: tuple -> row indices.
pub fn classes(t: &Table, qi: &[String]) -> HashMap<Vec<Option<String>>, Vec<usize>> {
    let idx: Vec<usize> = qi.iter().map(|q| t.col(q)).collect();
    let mut m: HashMap<Vec<Option<String>>, Vec<usize>> = HashMap::new();
    for (i, r) in t.rows.iter().enumerate() {
        m.entry(idx.iter().map(|j| r[*j].clone()).collect()).or_default().push(i);
    }
    m
}

pub fn report(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

/// Run a sample workflow script (`samples/.../workflow.sh`) into `work` with the test binary;
/// returns its stdout after asserting it succeeded.
pub fn run_workflow(script: &str, work: &Path) -> String {
    let out = std::process::Command::new("bash")
        .arg(repo().join(script))
        .arg(work)
        .env("TOKUMEI", env!("CARGO_BIN_EXE_tokumei"))
        .env("TOKUMEI_OPERATOR", "tester")
        .env_remove("TOKUMEI_REGISTRY")
        .env_remove("TOKUMEI_NOW")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("every row, change and release matches the audit log"), "{stdout}");
    stdout.into_owned()
}

/// The bundled sample profile's text.
pub fn sample_profile() -> String {
    std::fs::read_to_string(repo().join("samples/registry/profile.toml")).unwrap()
}

/// A registry at `reg` with this profile (written to `profile.toml`), its changes audited in
/// `audit.log`; asserts it was created.
pub fn init_registry(env: &Env, reg: &str, profile: &str) {
    let profile = env.write("profile.toml", profile);
    let r = env.tokumei(&[
        "registry",
        "init",
        "--registry",
        reg,
        "--profile",
        profile.to_str().unwrap(),
        "--audit-log",
        "audit.log",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// A registry at `reg` from the bundled sample profile plus `profile_extra`, its changes audited in
/// `audit.log` (shared with the runs), with the sample resident file registered.
pub fn sample_registry(env: &Env, reg: &str, profile_extra: &str) {
    init_registry(env, reg, &(sample_profile() + profile_extra));
    let entry = repo().join("samples/registry/resident_file.toml");
    let rules = repo().join("rules/resident_registry.toml");
    let r =
        env.tokumei(&["file", "add", entry.to_str().unwrap(), "--rules", rules.to_str().unwrap(), "--registry", reg]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// A release's rows (in `dir`, described by its report `rep`) as text, sorted, with their columns'
/// names, without the columns pseudonymised under the release's key (they differ between runs).
pub fn comparable_release(dir: &Path, rep: &serde_json::Value) -> (Vec<String>, Vec<Vec<Option<String>>>) {
    let keyed: Vec<String> = rep["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"].as_str().unwrap_or("").starts_with("pseudonymize"))
        .filter_map(|c| c["output"].as_str().map(str::to_string))
        .collect();
    let t = read_parquet(&dir.join(rep["output_file"].as_str().unwrap()));
    let keep: Vec<usize> = (0..t.columns.len()).filter(|i| !keyed.contains(&t.columns[*i])).collect();
    let mut rows: Vec<Vec<Option<String>>> =
        t.rows.iter().map(|r| keep.iter().map(|i| r[*i].clone()).collect()).collect();
    rows.sort();
    (keep.iter().map(|i| t.columns[*i].clone()).collect(), rows)
}
