//! The offline bundle (`dist/bundle`, issue 35): its SBOM names every package of Cargo.lock with a
//! licence and checksum, its sums catch a changed or added file, and it builds with the network
//! cut and an empty cargo home.
//!
//! Cargo.lock is read here by its own small line parser, not by `dist/sbom.py`'s TOML reader, so
//! the two cannot share a mistake.

use crate::util::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A package of Cargo.lock: its checksum (none for the workspace's own).
type Locked = BTreeMap<(String, String), Option<String>>;

/// Cargo.lock's `[[package]]` entries by name and version, read line by line.
fn parse_lock(text: &str) -> Locked {
    let mut out = Locked::new();
    let mut current: Option<(Option<String>, Option<String>, Option<String>)> = None;
    let flush = |c: Option<(Option<String>, Option<String>, Option<String>)>, out: &mut Locked| {
        if let Some((Some(n), Some(v), sum)) = c {
            assert!(out.insert((n.clone(), v.clone()), sum).is_none(), "{n} {v} twice in Cargo.lock");
        }
    };
    for line in text.lines() {
        if line.trim() == "[[package]]" {
            flush(current.take(), &mut out);
            current = Some((None, None, None));
        } else if line.starts_with('[') {
            flush(current.take(), &mut out);
        } else if let Some(c) = current.as_mut() {
            let value = |key: &str| {
                line.strip_prefix(key)
                    .and_then(|rest| rest.trim_start().strip_prefix('='))
                    .map(|v| v.trim().trim_matches('"').to_string())
            };
            if let Some(v) = value("name ") {
                c.0 = Some(v);
            } else if let Some(v) = value("version ") {
                c.1 = Some(v);
            } else if let Some(v) = value("checksum ") {
                c.2 = Some(v);
            }
        }
    }
    flush(current.take(), &mut out);
    out
}

/// Asserts the SBOM lists each package of the lock exactly once (the root as the metadata's
/// component, the rest as components), with purl, a licence, and the lock's checksum as its
/// SHA-256; and nothing else.
fn assert_sbom_matches_lock(lock: &Locked, sbom: &serde_json::Value) {
    assert_eq!(sbom["bomFormat"], "CycloneDX");
    assert_eq!(sbom["specVersion"], "1.5");
    let mut listed: Vec<&serde_json::Value> = vec![&sbom["metadata"]["component"]];
    listed.extend(sbom["components"].as_array().expect("components").iter());
    let mut seen = Locked::new();
    for c in listed {
        let name = c["name"].as_str().expect("a component's name").to_string();
        let version = c["version"].as_str().expect("a component's version").to_string();
        let key = (name.clone(), version.clone());
        assert!(lock.contains_key(&key), "{name} {version} in the SBOM but not in Cargo.lock");
        assert_eq!(c["purl"], format!("pkg:cargo/{name}@{}", version.replace('+', "%2B")), "{name}");
        let licences = c["licenses"].as_array().expect("licenses");
        assert_eq!(licences.len(), 1, "{name} {version}: {licences:?}");
        let text = licences[0]["expression"].as_str().or(licences[0]["license"]["name"].as_str()).unwrap_or("");
        assert!(!text.trim().is_empty(), "{name} {version} without a licence");
        let sha = c["hashes"].as_array().and_then(|h| {
            h.iter().find(|h| h["alg"] == "SHA-256").and_then(|h| h["content"].as_str()).map(str::to_string)
        });
        assert_eq!(&sha, &lock[&key], "{name} {version}: SHA-256 in the SBOM against Cargo.lock's checksum");
        assert!(seen.insert(key, sha).is_none(), "{name} {version} twice in the SBOM");
    }
    let missing: Vec<_> = lock.keys().filter(|k| !seen.contains_key(*k)).collect();
    assert!(missing.is_empty(), "in Cargo.lock, not in the SBOM: {missing:?}");
}

/// Validates an SBOM against the CycloneDX 1.5 schema with `tests/python/check_sbom.py`, when
/// `TOKUMEI_PYTHON` names a Python with cyclonedx-python-lib (`bash .ci/run` sets it up); says
/// so when it does not.
fn assert_schema_valid(sbom: &Path) {
    let Ok(python) = std::env::var("TOKUMEI_PYTHON") else {
        eprintln!("TOKUMEI_PYTHON not set: the CycloneDX schema check of {} skipped", sbom.display());
        return;
    };
    let out = run(Command::new(python).arg(repo().join("tests/python/check_sbom.py")).arg(sbom));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.starts_with("ok: "), "{stdout}");
}

fn sbom_py(root: &Path, vendor: &Path) -> Output {
    Command::new("python3")
        .arg(repo().join("dist/sbom.py"))
        .args(["--root".as_ref(), root.as_os_str(), "--vendor".as_ref(), vendor.as_os_str()])
        .args(["--sbom", "sbom.json", "--tsv", "licenses.tsv", "--md", "LICENSES.md"])
        .current_dir(root)
        .output()
        .expect("python3 runs dist/sbom.py")
}

const SUM_A: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const SUM_B: &str = "2222222222222222222222222222222222222222222222222222222222222222";

/// A workspace `demo` with two vendored crates, `alpha` and `beta 0.2.0+extra` (a `+` in the
/// version, and an old `MIT/Apache-2.0` licence).
fn fixture(env: &Env) -> (PathBuf, PathBuf) {
    env.write(
        "w/Cargo.toml",
        "[package]\nname = \"demo\"\nversion = \"0.3.0\"\nlicense.workspace = true\n\n\
         [workspace]\nmembers = [\"crates/*\"]\n[workspace.package]\nlicense = \"Apache-2.0\"\n",
    );
    env.write("w/crates/part/Cargo.toml", "[package]\nname = \"demo-part\"\nversion = \"0.3.0\"\nlicense = \"MIT\"\n");
    let src = "registry+https://github.com/rust-lang/crates.io-index";
    env.write(
        "w/Cargo.lock",
        &format!(
            "version = 4\n\n[[package]]\nname = \"alpha\"\nversion = \"1.0.0\"\nsource = \"{src}\"\nchecksum = \"{SUM_A}\"\n\n\
             [[package]]\nname = \"beta\"\nversion = \"0.2.0+extra\"\nsource = \"{src}\"\nchecksum = \"{SUM_B}\"\n\
             dependencies = [\n \"alpha\",\n]\n\n\
             [[package]]\nname = \"demo\"\nversion = \"0.3.0\"\ndependencies = [\n \"beta\",\n \"demo-part\",\n]\n\n\
             [[package]]\nname = \"demo-part\"\nversion = \"0.3.0\"\n"
        ),
    );
    for (dir, name, version, licence, sum) in [
        ("alpha", "alpha", "1.0.0", "MIT OR Apache-2.0", SUM_A),
        ("beta", "beta", "0.2.0+extra", "MIT/Apache-2.0", SUM_B),
    ] {
        env.write(
            &format!("w/vendor/{dir}/Cargo.toml"),
            &format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\nlicense = \"{licence}\"\n"),
        );
        env.write(
            &format!("w/vendor/{dir}/.cargo-checksum.json"),
            &format!("{{\"files\":{{}},\"package\":\"{sum}\"}}"),
        );
    }
    (env.path("w"), env.path("w/vendor"))
}

/// The fixture's SBOM lists its four packages; then each way of losing a crate's licence or
/// checksum is refused, naming the crate, and writes no SBOM.
#[test]
fn sbom_lists_every_locked_package_and_refuses_what_it_cannot_vouch_for() {
    let env = Env::new();
    let (root, vendor) = fixture(&env);
    let out = sbom_py(&root, &vendor);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lock = parse_lock(&std::fs::read_to_string(root.join("Cargo.lock")).unwrap());
    assert_eq!(lock.len(), 4);
    let sbom: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("sbom.json")).unwrap()).unwrap();
    assert_sbom_matches_lock(&lock, &sbom);
    assert_schema_valid(&root.join("sbom.json"));
    assert_eq!(sbom["metadata"]["component"]["name"], "demo");
    assert_eq!(
        sbom["metadata"]["component"]["licenses"][0]["expression"], "Apache-2.0",
        "inherited from the workspace"
    );
    let beta = sbom["components"].as_array().unwrap().iter().find(|c| c["name"] == "beta").unwrap();
    assert_eq!(beta["licenses"][0]["expression"], "MIT OR Apache-2.0");
    let tsv = std::fs::read_to_string(root.join("licenses.tsv")).unwrap();
    assert!(tsv.contains(&format!("beta\t0.2.0+extra\tMIT OR Apache-2.0\tcrates.io\t{SUM_B}\t")), "{tsv}");
    let md = std::fs::read_to_string(root.join("LICENSES.md")).unwrap();
    assert!(md.contains("| MIT OR Apache-2.0 | 2 |"), "{md}");

    let refused = |change: &dyn Fn(), restore: &dyn Fn(), expect: &str| {
        std::fs::remove_file(root.join("sbom.json")).unwrap();
        change();
        let out = sbom_py(&root, &vendor);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(1), "{expect}: {stderr}");
        assert!(stderr.contains(expect), "{expect}: {stderr}");
        assert!(!root.join("sbom.json").exists(), "{expect}: an SBOM was written");
        restore();
        let out = sbom_py(&root, &vendor);
        assert!(out.status.success(), "after restoring ({expect}): {}", String::from_utf8_lossy(&out.stderr));
    };
    let beta_toml = vendor.join("beta/Cargo.toml");
    let beta_text = std::fs::read_to_string(&beta_toml).unwrap();
    let write = |p: &Path, t: &str| std::fs::write(p, t).unwrap();
    refused(
        &|| write(&beta_toml, "[package]\nname = \"beta\"\nversion = \"0.2.0+extra\"\n"),
        &|| write(&beta_toml, &beta_text),
        "beta 0.2.0+extra: declares no licence",
    );
    refused(
        &|| write(&beta_toml, &beta_text.replace("MIT/Apache-2.0", "MIT, Apache")),
        &|| write(&beta_toml, &beta_text),
        "beta 0.2.0+extra: not an SPDX licence expression",
    );
    let beta_sum = vendor.join("beta/.cargo-checksum.json");
    let beta_sum_text = std::fs::read_to_string(&beta_sum).unwrap();
    refused(
        &|| write(&beta_sum, &beta_sum_text.replace(SUM_B, SUM_A)),
        &|| write(&beta_sum, &beta_sum_text),
        "is not Cargo.lock's",
    );
    let alpha = vendor.join("alpha");
    let hidden = env.path("alpha-away");
    refused(
        &|| std::fs::rename(&alpha, &hidden).unwrap(),
        &|| std::fs::rename(&hidden, &alpha).unwrap(),
        "alpha 1.0.0: in Cargo.lock but not vendored",
    );
    let part = root.join("crates/part/Cargo.toml");
    let part_text = std::fs::read_to_string(&part).unwrap();
    refused(
        &|| write(&part, &part_text.replace("license = \"MIT\"\n", "")),
        &|| write(&part, &part_text),
        "demo-part 0.3.0: declares no licence",
    );
    let extra = vendor.join("gamma");
    refused(
        &|| {
            env.write(
                "w/vendor/gamma/Cargo.toml",
                "[package]\nname = \"gamma\"\nversion = \"1.0.0\"\nlicense = \"MIT\"\n",
            );
            env.write("w/vendor/gamma/.cargo-checksum.json", &format!("{{\"files\":{{}},\"package\":\"{SUM_A}\"}}"));
        },
        &|| std::fs::remove_dir_all(&extra).unwrap(),
        "gamma 1.0.0: vendored but not in Cargo.lock",
    );
}

/// The line parser reads this checkout's Cargo.lock as cargo wrote it (every registry crate with
/// a checksum), so the bundle test below compares against the real list.
#[test]
fn the_lock_parser_reads_this_checkout() {
    let lock = parse_lock(&std::fs::read_to_string(repo().join("Cargo.lock")).unwrap());
    let text = std::fs::read_to_string(repo().join("Cargo.lock")).unwrap();
    assert_eq!(lock.len(), text.matches("[[package]]").count());
    assert_eq!(lock.values().filter(|s| s.is_some()).count(), text.matches("\nchecksum = ").count());
    assert_eq!(lock.get(&("tokumei".to_string(), env!("CARGO_PKG_VERSION").to_string())), Some(&None));
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    if !out.status.success() {
        eprintln!("{cmd:?}\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }
    out
}

/// The toolchain's own `bin` folder (cargo and rustc, no rustup proxy, which reads the cargo home).
fn toolchain_bin() -> PathBuf {
    let out = run(Command::new("rustc").args(["--print", "sysroot"]));
    assert!(out.status.success());
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("bin")
}

/// What the bundle test builds: `cargo check` of the whole workspace (every crate compiled to
/// metadata, build scripts and bundled C code run; no code generation), or with
/// `TOKUMEI_OFFLINE_BUILD=release` the release engineer's full `./build-offline.sh` (cargo build
/// --release --offline --frozen; about 30 minutes on 2 cores, too long for CI).
fn offline_build_args() -> Vec<String> {
    match std::env::var("TOKUMEI_OFFLINE_BUILD").as_deref() {
        Ok("release") => vec![],
        _ => ["--", "check", "--workspace"].map(String::from).to_vec(),
    }
}

/// Makes the bundle with `dist/bundle`, unpacks it in a fresh folder, checks its SBOM against
/// Cargo.lock and its sums against a changed and an added file, then builds it in a new network
/// namespace (`unshare -n`: no interface but loopback, which is down) with an empty cargo home. Ignored by a plain
/// `cargo test` (minutes of compiling); run by `bash .ci/run`.
#[test]
#[ignore = "builds the vendored tree (minutes): run `bash .ci/run`, or pass --ignored"]
fn offline_bundle_builds_with_the_network_cut_and_an_empty_cargo_home() {
    let env = Env::new();
    let out_dir = env.path("out");
    let made = run(Command::new(repo().join("dist/bundle")).arg("--out").arg(&out_dir));
    assert!(made.status.success(), "dist/bundle failed");
    let archive = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .expect("an archive");
    let bytes = std::fs::read(&archive).unwrap();
    let sum = std::fs::read_to_string(archive.with_extension("gz.sha256")).unwrap();
    use sha2::Digest;
    assert_eq!(sum.split_whitespace().next(), Some(hex::encode(sha2::Sha256::digest(&bytes)).as_str()));

    let fresh = env.path("fresh");
    std::fs::create_dir(&fresh).unwrap();
    assert!(run(Command::new("tar").arg("-xzf").arg(&archive).arg("-C").arg(&fresh)).status.success());
    let dirs: Vec<PathBuf> = std::fs::read_dir(&fresh).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(dirs.len(), 1, "one top folder: {dirs:?}");
    let top = &dirs[0];

    // The SBOM inside (and its copy beside the archive) against Cargo.lock, read independently.
    let lock_text = std::fs::read_to_string(top.join("Cargo.lock")).unwrap();
    assert_eq!(lock_text, std::fs::read_to_string(repo().join("Cargo.lock")).unwrap(), "the bundle's lock is HEAD's");
    let lock = parse_lock(&lock_text);
    let sbom_text = std::fs::read_to_string(top.join("sbom.cdx.json")).unwrap();
    assert_eq!(sbom_text, std::fs::read_to_string(archive.with_extension("").with_extension("cdx.json")).unwrap());
    assert_sbom_matches_lock(&lock, &serde_json::from_str(&sbom_text).unwrap());
    assert_schema_valid(&top.join("sbom.cdx.json"));
    let tsv = std::fs::read_to_string(top.join("licenses.tsv")).unwrap();
    assert_eq!(tsv.lines().count(), lock.len() + 1, "licenses.tsv: one line a package and a header");
    assert!(std::fs::read_to_string(top.join(".cargo/config.toml")).unwrap().contains("directory = \"vendor\""));

    // The sums: a changed byte and an added file are refused (exit 2) before any build.
    let verify = || run(Command::new(top.join("build-offline.sh")).arg("--verify-only")).status.code();
    assert_eq!(verify(), Some(0));
    let victim = top.join("vendor/memchr/src/lib.rs");
    let original = std::fs::read(&victim).unwrap();
    let mut flipped = original.clone();
    flipped[100] ^= 1;
    std::fs::write(&victim, &flipped).unwrap();
    assert_eq!(verify(), Some(2), "a changed byte");
    std::fs::write(&victim, &original).unwrap();
    std::fs::write(top.join("vendor/memchr/src/extra.rs"), "").unwrap();
    assert_eq!(verify(), Some(2), "an added file");
    std::fs::remove_file(top.join("vendor/memchr/src/extra.rs")).unwrap();
    assert_eq!(verify(), Some(0));

    // The build: no network (a new network namespace, `unshare -n`, when it works here), an empty cargo
    // home, only the toolchain and the system's tools on PATH.
    let cargo_home = env.path("empty-cargo-home");
    std::fs::create_dir(&cargo_home).unwrap();
    // As root, a new network namespace; else one inside a new user namespace (`-r`), where the
    // kernel allows unprivileged ones.
    let ways: [&[&str]; 2] = [&["-n"], &["-r", "-n"]];
    let tried: Vec<_> =
        ways.iter().map(|w| (*w, Command::new("unshare").args(*w).args(["cat", "/proc/net/dev"]).output())).collect();
    let way = tried.iter().find(|(_, o)| o.as_ref().is_ok_and(|o| o.status.success()));
    let unshare: &[&str] = way.map_or(&[], |(w, _)| *w);
    let cut = match way.map(|(_, o)| o) {
        Some(Ok(o)) => {
            // The namespace's interfaces: loopback only (and down), so no address outside is reached.
            let text = String::from_utf8_lossy(&o.stdout).to_string();
            let interfaces: Vec<&str> =
                text.lines().skip(2).filter_map(|l| l.split(':').next()).map(str::trim).collect();
            assert_eq!(interfaces, ["lo"], "{text}");
            true
        }
        // Not proven without the network cut: a failure, unless the runner says it knows.
        _ if std::env::var_os("TOKUMEI_BUNDLE_NETWORK_NOT_CUT").is_some() => {
            eprintln!(
                "WARNING: `unshare -n` is not available here: building with net.offline only, the network NOT cut"
            );
            false
        }
        _ => panic!(
            "`unshare -n` is not available here, so the build cannot be shown to need no network; \
             set TOKUMEI_BUNDLE_NETWORK_NOT_CUT=1 to build with net.offline only"
        ),
    };
    let mut cmd = if cut {
        let mut c = Command::new("unshare");
        c.args(unshare).arg(top.join("build-offline.sh"));
        c
    } else {
        Command::new(top.join("build-offline.sh"))
    };
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", toolchain_bin().display());
    cmd.args(offline_build_args())
        .current_dir(top)
        .env_clear()
        .env("PATH", path)
        .env("HOME", env.path("home"))
        .env("CARGO_HOME", &cargo_home)
        .env("TMPDIR", env.path(""));
    let started = std::time::Instant::now();
    let built = run(&mut cmd);
    eprintln!("offline build {:?}: {:.0} s", offline_build_args(), started.elapsed().as_secs_f64());
    assert!(built.status.success(), "the offline build failed");
    let stdout = String::from_utf8_lossy(&built.stdout);
    assert!(stdout.contains("ok: ") && stdout.contains("files as listed"), "{stdout}");
    // Nothing fetched into the cargo home: no folder (registry/, git/), only cargo's own lock and
    // bookkeeping files.
    let bookkeeping = [".package-cache", ".package-cache-mutate", ".global-cache"];
    let left: Vec<_> = std::fs::read_dir(&cargo_home)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| !(e.file_type().unwrap().is_file() && bookkeeping.iter().any(|b| e.file_name() == *b)))
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "the build put {left:?} in the empty cargo home");
    // A folder that is not in the bundle (a build's target/) is refused before the next build.
    assert_eq!(verify(), Some(2), "target/ made by the build");
    if offline_build_args().is_empty() {
        let bin = top.join("target/release/tokumei");
        let version = run(Command::new(&bin).arg("--version"));
        assert!(version.status.success() && String::from_utf8_lossy(&version.stdout).contains("tokumei"));
    }
}
