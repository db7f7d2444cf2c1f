//! Signed releases and the recipient's sheet through the binary: the sample contract workflow's
//! release verified with the officer's public key alone, and each change to a copy refused.

use crate::util::*;
use std::path::{Path, PathBuf};
use tokumei_engine::ExitCode;

/// A writable copy of a release folder (its files are read-only), as a recipient keeps it.
fn copy_release(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        std::fs::copy(e.path(), &dest).unwrap();
        let mut perms = std::fs::metadata(&dest).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&dest, perms).unwrap();
    }
}

fn verify(env: &Env, folder: &Path, key: &Path) -> Run {
    env.tokumei(&["verify-release", folder.to_str().unwrap(), "--public-key", key.to_str().unwrap()])
}

/// The sample workflow (registry, contract 1, its release signed with `work/officer.key`): the
/// release folder and the officer's public key.
fn sample_release(env: &Env) -> (PathBuf, PathBuf) {
    let work = env.path("work");
    run_workflow("samples/registry/workflow.sh", &work);
    let release = std::fs::canonicalize(work.join("reports/resident_registry/latest")).unwrap();
    (release, work.join("officer.key.pub"))
}

fn refused(r: &Run, names: &str) {
    assert_eq!(r.code, ExitCode::Unverified.code(), "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains(names), "expected `{names}` in: {}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}

#[test]
fn a_signed_contract_release_verifies_and_says_what_it_is_for() {
    let env = Env::new();
    let (release, public) = sample_release(&env);
    let r = verify(&env, &release, &public);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let purpose = "地域別・年齢階級別の介護需要の推計 (介護サービス拠点の立地計画)";
    for want in ["検証済み", "verified:", purpose, "2027-01-01 から 2027-12-31 まで", "株式会社見本データ分析", "第1号"]
    {
        assert!(r.stdout.contains(want), "{want}: {}", r.stdout);
    }
    // The sheet: generated from the registry's contract, in both languages, inside the manifest
    // and the release's audit entry.
    for name in ["利用条件.md", "利用条件.html", "terms-of-use.md", "terms-of-use.html"] {
        // As read (Markdown's backslash escapes dropped).
        let text = std::fs::read_to_string(release.join(name)).unwrap().replace('\\', "");
        assert!(text.contains("介護需要の推計"), "{name} names the purpose");
        assert!(text.contains("2027-01-01") && text.contains("2027-12-31"), "{name} names the period");
        assert!(text.contains("企画政策課 データ活用係"), "{name} names the file's office");
        assert!(text.contains("年齢階級_min"), "{name} explains the bounds");
        assert!(text.contains("read_parquet"), "{name} shows how to load the files");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(release.join("MANIFEST.json")).unwrap()).unwrap();
    let listed: Vec<&str> = manifest["files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(listed.contains(&"利用条件.html") && listed.contains(&"resident_registry.parquet"), "{listed:?}");
    assert!(!listed.contains(&"MANIFEST.json") && !listed.contains(&"MANIFEST.sig"));
    assert_eq!(manifest["provision"]["contract_id"], 1);
    let log = std::fs::read_to_string(env.path("work/reports/audit.log")).unwrap();
    let publishing: serde_json::Value = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["status"] == "publishing")
        .unwrap();
    let outputs = publishing["outputs"].to_string();
    for name in ["MANIFEST.json=", "MANIFEST.sig=", "利用条件.md="] {
        assert!(outputs.contains(name), "the audit entry covers {name}: {outputs}");
    }
    assert!(publishing["details"]["manifest_signed_by"].as_str().unwrap().starts_with("a1:"));
    // The secret key is in no file of the release.
    let secret = std::fs::read_to_string(env.path("work/officer.key")).unwrap();
    for e in std::fs::read_dir(&release).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(secret.trim()));
    }
}

#[test]
fn every_change_to_a_received_release_is_refused_naming_the_file() {
    let env = Env::new();
    let (release, public) = sample_release(&env);
    let copy = |name: &str| {
        let to = env.path(name);
        copy_release(&release, &to);
        assert_eq!(verify(&env, &to, &public).code, 0, "the copy verifies");
        to
    };
    // One byte flipped in the Parquet file.
    let c = copy("flipped");
    let path = c.join("resident_registry.parquet");
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    refused(&verify(&env, &c, &public), "resident_registry.parquet: changed");
    // A file renamed.
    let c = copy("renamed");
    std::fs::rename(c.join("report.json"), c.join("report-old.json")).unwrap();
    refused(&verify(&env, &c, &public), "report.json: renamed to report-old.json");
    // A file added.
    let c = copy("added");
    std::fs::write(c.join("extra.csv"), "a,b\n").unwrap();
    refused(&verify(&env, &c, &public), "extra.csv: added");
    // A file removed.
    let c = copy("removed");
    std::fs::remove_file(c.join("利用条件.html")).unwrap();
    refused(&verify(&env, &c, &public), "利用条件.html: missing");
    // Another key.
    let other = env.path("other.key");
    assert_eq!(env.tokumei(&["keygen", "--audit", "--out", other.to_str().unwrap()]).code, 0);
    refused(&verify(&env, &release, &env.path("other.key.pub")), "not by the given public key");
    // The manifest edited (a size changed), garbled, or its signature gone.
    let c = copy("edited");
    let m = std::fs::read_to_string(c.join("MANIFEST.json")).unwrap();
    std::fs::write(c.join("MANIFEST.json"), m.replacen("\"size\": ", "\"size\": 1", 1)).unwrap();
    refused(&verify(&env, &c, &public), "MANIFEST.json does not match its signature");
    std::fs::write(c.join("MANIFEST.json"), &m[..m.len() / 2]).unwrap();
    refused(&verify(&env, &c, &public), "MANIFEST.json is garbled");
    let c = copy("unsigned");
    std::fs::remove_file(c.join("MANIFEST.sig")).unwrap();
    refused(&verify(&env, &c, &public), "MANIFEST.sig is missing");
    // A public key file that is not a key: the key's exit code.
    let r = verify(&env, &release, &env.path("work/job.toml"));
    assert_eq!(r.code, ExitCode::Key.code(), "{}", r.stderr);
}

/// A release for no one is made without a key, with a manifest that verify-release refuses as
/// unsigned (a contract's run without a key: registry.rs).
#[test]
fn a_release_made_without_a_key_is_refused_as_unsigned() {
    let env = Env::new();
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let release = env.latest();
    assert!(release.join("MANIFEST.json").is_file() && !release.join("MANIFEST.sig").exists());
    assert!(!release.join("利用条件.md").exists(), "no sheet without a contract");
    let key = env.officer_key();
    refused(&verify(&env, &release, Path::new(&format!("{key}.pub"))), "MANIFEST.sig is missing");
}

/// What a forger controls is printed escaped: a key id in the signature file with an escape
/// sequence that would erase the `NOT verified` line, a file added with one in its name. A public
/// key shipped inside the folder is refused (exit 11): it proves nothing.
#[test]
fn a_forged_folder_cannot_hide_its_refusal_nor_bring_its_own_key() {
    let env = Env::new();
    let (release, public) = sample_release(&env);
    let ok = verify(&env, &release, &public);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let key_id = ok.stdout.lines().find_map(|l| l.strip_prefix("鍵ID / key id: ")).unwrap().to_string();
    assert!(key_id.starts_with("a1:"), "{}", ok.stdout);
    assert!(ok.stdout.contains("the one the provider gave you on paper"), "{}", ok.stdout);
    let no_escape = |r: &Run| {
        assert!(!r.stderr.contains('\u{1b}') && !r.stdout.contains('\u{1b}'), "{:?}", r.stderr);
        assert!(r.stderr.contains("is NOT verified"), "{}", r.stderr);
    };
    // The signature file naming a key id that erases the line.
    let c = env.path("key-id");
    copy_release(&release, &c);
    let mut sig: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(c.join("MANIFEST.sig")).unwrap()).unwrap();
    sig["key_id"] = serde_json::Value::String("\u{1b}[2K\u{1b}[1A\u{1b}[2Kverified".into());
    std::fs::write(c.join("MANIFEST.sig"), serde_json::to_vec(&sig).unwrap()).unwrap();
    let r = verify(&env, &c, &public);
    refused(&r, "signed by key \\u{001B}[2K\\u{001B}[1A\\u{001B}[2Kverified, not by the given public key");
    no_escape(&r);
    // A file added with an escape character in its name.
    let c = env.path("added-name");
    copy_release(&release, &c);
    std::fs::write(c.join("x\u{1b}[2K.csv"), "a\n").unwrap();
    let r = verify(&env, &c, &public);
    refused(&r, "x\\u{001B}[2K.csv: added");
    no_escape(&r);
    // The forger's own key inside the folder, given as it lies there or through a link.
    let c = env.path("own-key");
    copy_release(&release, &c);
    assert_eq!(env.tokumei(&["keygen", "--audit", "--out", c.join("officer.key").to_str().unwrap()]).code, 0);
    std::fs::remove_file(c.join("officer.key")).unwrap();
    let r = verify(&env, &c, &c.join("officer.key.pub"));
    refused(&r, "lies inside the release folder");
    #[cfg(unix)]
    {
        let link = env.path("link.pub");
        std::os::unix::fs::symlink(c.join("officer.key.pub"), &link).unwrap();
        refused(&verify(&env, &c, &link), "lies inside the release folder");
    }
}

/// A genuine release past its contract's use period (Japan's date by the run clock) is verified
/// (exit 0: the check is of integrity and origin) with a warning in both languages.
#[test]
fn a_release_past_its_use_period_is_verified_with_a_warning() {
    let env = Env::new();
    let (release, public) = sample_release(&env);
    let at = |now: &str| {
        let a = ["verify-release", release.to_str().unwrap(), "--public-key", public.to_str().unwrap()];
        env.tokumei_with(&a, &[("TOKUMEI_NOW", now)])
    };
    // 2027-12-31 23:59:59 in Japan: the last day of the period.
    let r = at("1830265199");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("WARNING") && !r.stderr.contains("warning"), "{}{}", r.stdout, r.stderr);
    // 2028-01-01 00:00 in Japan (still 2027-12-31 in UTC).
    let r = at("1830265200");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("検証済み"), "{}", r.stdout);
    for want in [
        "注意: 契約の利用期間は 2027-12-31 に終わっています（今日は 2028-01-01）",
        "WARNING: the contract's use period ended on 2027-12-31 (today is 2028-01-01 in Japan)",
    ] {
        assert!(r.stdout.contains(want), "{want}: {}", r.stdout);
    }
    assert!(r.stderr.contains("warning: the contract's use period ended on 2027-12-31"), "{}", r.stderr);
    let r = at("not a time");
    assert_eq!(r.code, ExitCode::Usage.code(), "{}", r.stderr);
}
