//! The registry through the binary: init, files, verify, refusals, tampering and crashes.

use crate::util::*;
use tokumei_engine::ExitCode;

const REG: &str = "reg/registry.sqlite";

/// A registry made from the bundled sample profile, with the sample resident file registered.
fn registry_with_file(env: &Env) {
    sample_registry(env, REG, "");
}

/// The audit log's actions and operators, without the confirmations of committed registry
/// changes (`registry-committed`, one after each) and the seals of full checks.
fn audit_actions(env: &Env) -> Vec<(String, String)> {
    std::fs::read_to_string(env.path("audit.log"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["action"].as_str().unwrap().to_string(), v["operator"].as_str().unwrap().to_string())
        })
        .filter(|(a, _)| a != "registry-committed" && a != "registry-verified")
        .collect()
}

#[test]
fn a_registry_records_files_and_audits_every_change() {
    let env = Env::new();
    registry_with_file(&env);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(env.path(REG)).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "the registry is owner-only");
    assert_eq!(
        audit_actions(&env),
        [
            ("audit-start".to_string(), "tester".to_string()),
            ("registry-init".into(), "tester".into()),
            ("registry-file-add".into(), "tester".into())
        ]
    );
    let r = env.tokumei(&["file", "show", "住民基本台帳ファイル", "--registry", REG, "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let f: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(f["people"], 10000);
    assert_eq!(f["open_to_proposals"], true);
    assert_eq!(f["items"].as_array().unwrap().len(), 17);
    let rules_sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(repo().join("rules/resident_registry.toml")).unwrap()))
    };
    assert_eq!(f["rules"][0]["sha256"], rules_sha.as_str());
    let r = env.tokumei(&["file", "list", "--registry", REG, "--json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap().as_array().unwrap().len(), 1);
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = env.tokumei(&["registry", "status", "--registry", REG, "--json"]);
    let s: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(s["profile"]["actor"], "public_body");
    assert_eq!(s["profile"]["proposals_mandatory"], false, "a plain municipality may choose");
    assert_eq!(s["status"]["schema_version"], 11);
    // The export holds every row of every table.
    let r = env.tokumei(&["registry", "export", "--registry", REG, "--out", "export.jsonl"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(env.path("export.jsonl")).unwrap();
    let tables: std::collections::BTreeSet<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["table"].as_str().unwrap().to_string())
        .collect();
    for t in ["changes", "file_rules", "files", "meta", "profile"] {
        assert!(tables.contains(t), "export lacks {t}");
    }
    let again = env.tokumei(&["registry", "export", "--registry", REG, "--out", "export.jsonl"]);
    assert_eq!(again.code, ExitCode::Output.code(), "an export is never overwritten");
}

#[test]
fn refused_changes_change_nothing_and_exit_with_the_registry_code() {
    let env = Env::new();
    registry_with_file(&env);
    let before = std::fs::read(env.path(REG)).unwrap();
    let log_before = std::fs::read(env.path("audit.log")).unwrap();
    let profile = repo().join("samples/registry/profile.toml");
    let r = env.tokumei(&["registry", "init", "--registry", REG, "--profile", profile.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    // Open to proposals without 法60条3項's conditions.
    let text = std::fs::read_to_string(repo().join("samples/registry/resident_file.toml")).unwrap();
    let bad = env.write(
        "bad.toml",
        &text
            .replace("name = \"住民基本台帳ファイル\"", "name = \"別ファイル\"")
            .replace("disclosable = true", "disclosable = false"),
    );
    let r = env.tokumei(&["file", "add", bad.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("法60条3項2号"), "{}", r.stderr);
    // The same file twice.
    let dup = repo().join("samples/registry/resident_file.toml");
    let r = env.tokumei(&["file", "add", dup.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    // An unknown field in the entry is a config error with its line.
    let typo = env.write("typo.toml", &text.replace("people = 10000", "peple = 10000"));
    let r = env.tokumei(&["file", "add", typo.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, ExitCode::Config.code(), "{}", r.stderr);
    assert!(r.stderr.contains("typo.toml:") && r.stderr.contains("peple"), "{}", r.stderr);
    // A missing registry.
    let r = env.tokumei(&["file", "list", "--registry", "nowhere.sqlite"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(!env.path("nowhere.sqlite").exists(), "reading never creates a registry");
    assert_eq!(std::fs::read(env.path("audit.log")).unwrap(), log_before, "refusals are not changes");
    assert_eq!(std::fs::read(env.path(REG)).unwrap(), before);
}

#[test]
fn a_row_edited_outside_tokumei_fails_verify() {
    let env = Env::new();
    registry_with_file(&env);
    let conn = rusqlite::Connection::open(env.path(REG)).unwrap();
    conn.execute("UPDATE files SET people = 999999 WHERE name = '住民基本台帳ファイル'", []).unwrap();
    drop(conn);
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("files row 1") && r.stderr.contains("edited outside tokumei"), "{}", r.stderr);
}

#[test]
fn a_crash_between_the_audit_entry_and_the_commit_leaves_the_previous_state_and_is_recorded() {
    let env = Env::new();
    registry_with_file(&env);
    let text = std::fs::read_to_string(repo().join("samples/registry/resident_file.toml")).unwrap();
    let second = env.write("second.toml", &text.replace("name = \"住民基本台帳ファイル\"", "name = \"国保ファイル\""));
    let r = env.tokumei_with(
        &["file", "add", second.to_str().unwrap(), "--registry", REG],
        &[("TOKUMEI_FAILPOINT", "registry-commit:abort")],
    );
    assert_ne!(r.code, 0, "the process was killed");
    // The audit entry of the lost change is there, and verify names it.
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("does not have"), "{}", r.stderr);
    // The next act records the loss (the newest change of the log, never committed) and finds
    // the previous state: one file. The registry verifies again.
    let r = env.tokumei(&["file", "list", "--registry", REG, "--json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap().as_array().unwrap().len(), 1);
    assert_eq!(env.tokumei(&["registry", "verify", "--registry", REG]).code, 0);
    let r = env.tokumei(&["file", "add", second.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let actions: Vec<String> = audit_actions(&env).into_iter().map(|(a, _)| a).collect();
    assert_eq!(actions[3..], ["registry-file-add", "registry-change-lost", "registry-file-add"]);
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // A failed commit (full disk) is recorded at once.
    let third = env.write("third.toml", &text.replace("name = \"住民基本台帳ファイル\"", "name = \"介護ファイル\""));
    let r = env.tokumei_with(
        &["file", "add", third.to_str().unwrap(), "--registry", REG],
        &[("TOKUMEI_FAILPOINT", "registry-commit:enospc")],
    );
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = env.tokumei(&["file", "list", "--registry", REG, "--json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap().as_array().unwrap().len(), 2);
}

fn sample(name: &str) -> String {
    repo().join("samples/registry").join(name).to_str().unwrap().to_string()
}

/// A call for proposals open from today until 2099 (法111: a 法112 proposal answers a call).
fn call_open(env: &Env) {
    let r = env.tokumei(&["call", "open", "--to", "2099-12-31", "--note", "公示第1号", "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// The sample registry with a recipient and a received proposal (contract 1).
fn proposed(env: &Env) {
    registry_with_file(env);
    let r = env.tokumei(&["recipient", "add", &sample("recipient.toml"), "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    call_open(env);
    let r = env.tokumei(&["contract", "propose", &sample("proposal.toml"), "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

fn contract_json(env: &Env, id: &str) -> serde_json::Value {
    let r = env.tokumei(&["contract", "show", id, "--registry", REG, "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

fn advance(env: &Env, id: &str, to: &str, extra: &[&str]) -> Run {
    let mut args = vec!["contract", "advance", id, "--to", to, "--registry", REG];
    args.extend_from_slice(extra);
    env.tokumei(&args)
}

#[test]
fn a_contract_moves_through_the_legal_workflow_and_wrong_steps_are_refused() {
    let env = Env::new();
    proposed(&env);
    // Nothing may skip the review, notice, fee or contract.
    for to in ["fit", "fee_paid", "contracted", "created", "provided", "closed"] {
        let r = advance(&env, "1", to, &[]);
        assert_eq!(r.code, ExitCode::Registry.code(), "received -> {to}: {}", r.stderr);
        assert!(r.stderr.contains("cannot move to") || r.stderr.contains("not by hand"), "{}", r.stderr);
    }
    // A review missing an item is refused.
    let partial = std::fs::read_to_string(sample("review.toml")).unwrap().replace("法114条1項7号", "法114条1項8号");
    let partial = env.write("partial.toml", &partial);
    let r = env.tokumei(&["contract", "review", "1", "--review", partial.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("法114条1項7号"), "{}", r.stderr);
    let r = env.tokumei(&["contract", "review", "1", "--review", &sample("review.toml"), "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = advance(&env, "1", "not_fit", &[]);
    assert_eq!(r.code, ExitCode::Registry.code(), "a not-fit notice needs reasons: {}", r.stderr);
    assert_eq!(advance(&env, "1", "fit", &[]).code, 0);
    let r = advance(&env, "1", "fee_paid", &[]);
    assert_eq!(r.code, ExitCode::Registry.code(), "the fee needs the hours: {}", r.stderr);
    assert_eq!(advance(&env, "1", "fee_paid", &["--hours", "3"]).code, 0);
    assert_eq!(advance(&env, "1", "contracted", &[]).code, 0);
    // The register cannot be updated (法117) before any data exist.
    for to in ["register_updated", "closed"] {
        assert_eq!(advance(&env, "1", to, &[]).code, ExitCode::Registry.code(), "{to}");
    }
    // The run creates the data (contracted -> created), the provision records the delivery.
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    assert_eq!(run_under(&env, &job, "1", IN_PERIOD).code, 0);
    let release = env.latest().file_name().unwrap().to_str().unwrap().to_string();
    let r = env.tokumei_with(
        &["release", "provide", &release, "--medium", "手交", "--receipt", "受領書 第1号", "--registry", REG],
        &[("TOKUMEI_NOW", IN_PERIOD)],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // 法117: the ファイル簿 was updated when the release was published, not by hand.
    let r = advance(&env, "1", "register_updated", &[]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("on creation (法117)"), "{}", r.stderr);
    assert_eq!(advance(&env, "1", "use_ended", &[]).code, 0);
    let r = env.tokumei(&["file", "show", "住民基本台帳ファイル", "--registry", REG, "--json"]);
    let f: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let created = &f["created_anonymised"][0];
    assert_eq!(created["contract"], 1);
    assert_eq!(created["release"], release.as_str());
    assert!(created["items"].to_string().contains("地方（地方）"), "{created}");
    let r = advance(&env, "1", "closed", &["--note", "消去証明書 受領"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let c = contract_json(&env, "1");
    assert_eq!(c["state"], "closed");
    assert_eq!(c["fee_yen"], 21000 + 3 * 3950, "法119: base + hours");
    assert_eq!(c["notice"]["article"], "法114条2項");
    assert_eq!(c["history"].as_array().unwrap().len(), 9, "every step recorded");
    assert!(c["history"].as_array().unwrap().iter().all(|h| h["operator"] == "tester"));
    // Final: nothing follows.
    let r = advance(&env, "1", "contracted", &[]);
    assert_eq!(r.code, ExitCode::Registry.code());
    assert!(r.stderr.contains("final"), "{}", r.stderr);
    // Every step audited, and the registry still verifies.
    let actions: Vec<String> = audit_actions(&env).into_iter().map(|(a, _)| a).collect();
    assert!(actions.contains(&"registry-contract-review".to_string()));
    assert_eq!(actions.iter().filter(|a| a.starts_with("registry-contract-")).count(), 7);
    assert!(actions.contains(&"registry-release-published".to_string()));
    assert!(actions.contains(&"registry-release-provide".to_string()));
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn a_cancelled_contract_bars_the_business_for_two_years() {
    let env = Env::new();
    proposed(&env);
    let r = env.tokumei(&["contract", "cancel", "1", "--note", "x", "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "only a contract is cancelled, not a proposal: {}", r.stderr);
    assert_eq!(
        env.tokumei(&["contract", "review", "1", "--review", &sample("review.toml"), "--registry", REG]).code,
        0
    );
    assert_eq!(advance(&env, "1", "fit", &[]).code, 0);
    assert_eq!(advance(&env, "1", "fee_paid", &["--hours", "0"]).code, 0);
    assert_eq!(advance(&env, "1", "contracted", &[]).code, 0);
    // A second proposal of the business, received before the cancellation.
    assert_eq!(env.tokumei(&["contract", "propose", &sample("proposal.toml"), "--registry", REG]).code, 0);
    let r = env.tokumei(&["contract", "cancel", "1", "--note", "契約違反 (第三者提供)", "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.tokumei(&["recipient", "list", "--registry", REG, "--json"]);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(list[0]["barred_until"].is_string(), "{list}");
    // A new proposal of the business is refused, naming the bar.
    let r = env.tokumei(&["contract", "propose", &sample("proposal.toml"), "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("barred until") && r.stderr.contains("法120"), "{}", r.stderr);
    // The one received before: its review fails 法113 and it cannot be notified fit.
    let r = env.tokumei(&["contract", "review", "2", "--review", &sample("review.toml"), "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("checks failed"), "{}", r.stdout);
    let c = contract_json(&env, "2");
    assert_eq!(c["review"]["passed"], false);
    let r = advance(&env, "2", "fit", &[]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert_eq!(advance(&env, "2", "not_fit", &["--note", "法113条: 法120による解除から2年を経過していない"]).code, 0);
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// The sample recipient's entry renamed `name`, with `extra` lines.
fn recipient_as(env: &Env, file: &str, name: &str, extra: &str) -> String {
    let text = std::fs::read_to_string(sample("recipient.toml")).unwrap();
    let text = text.replace("name = \"株式会社見本データ分析\"", &format!("name = \"{name}\""));
    let text = text.lines().filter(|l| !l.starts_with("corporate_number")).collect::<Vec<_>>().join("\n");
    env.write(file, &format!("{text}\n{extra}")).to_str().unwrap().to_string()
}

#[test]
fn a_barred_business_cannot_come_back_under_another_spelling_or_its_corporate_number() {
    let env = Env::new();
    contracted(&env);
    let r = env.tokumei(&["contract", "cancel", "1", "--note", "契約違反", "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let file = recipient_as(&env, "other.toml", "株式会社別会社", "corporate_number = \"7010001888888\"");
    assert_eq!(env.tokumei(&["recipient", "add", &file, "--registry", REG]).code, 0);
    let before = std::fs::read_to_string(env.path("audit.log")).unwrap();
    for (name, extra, want) in [
        ("（株）見本データ分析", "", "`株式会社見本データ分析` (id 1, the same name once normalised), barred until"),
        ("見本データ分析㈱", "", "`株式会社見本データ分析` (id 1, the same name once normalised), barred until"),
        (
            "見本　データ分析 株式会社",
            "",
            "`株式会社見本データ分析` (id 1, the same name once normalised), barred until",
        ),
        (
            "ｍｉｈｏｎ合同会社",
            "corporate_number = \"７０１０００１ ８８８８８８\"",
            "`株式会社別会社` (id 2, the same 法人番号)",
        ),
    ] {
        let file = recipient_as(&env, "again.toml", name, extra);
        let r = env.tokumei(&["recipient", "add", &file, "--registry", REG]);
        assert_eq!(r.code, ExitCode::Registry.code(), "{name}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{name}: {}", r.stderr);
        if extra.is_empty() {
            // A proposal under that spelling is refused, naming the registered business.
            let proposal =
                std::fs::read_to_string(sample("proposal.toml")).unwrap().replace("株式会社見本データ分析", name);
            let proposal = env.write("p.toml", &proposal);
            let r = env.tokumei(&["contract", "propose", proposal.to_str().unwrap(), "--registry", REG]);
            assert_eq!(r.code, ExitCode::Registry.code(), "{name}: {}", r.stderr);
            assert!(r.stderr.contains(want), "{name}: {}", r.stderr);
        }
    }
    // A 法人番号 with a wrong check digit is refused.
    let file = recipient_as(&env, "bad.toml", "株式会社第三", "corporate_number = \"7010001777778\"");
    let r = env.tokumei(&["recipient", "add", &file, "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("check digit"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(env.path("audit.log")).unwrap(), before, "refusals write nothing");
    let r = env.tokumei(&["recipient", "list", "--registry", REG, "--json"]);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let numbers: Vec<&str> =
        list.as_array().unwrap().iter().filter_map(|r| r["recipient"]["corporate_number"].as_str()).collect();
    assert_eq!(numbers, ["7010001888888"], "{list}");
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn a_proposal_must_name_an_open_file_and_a_registered_business() {
    let env = Env::new();
    registry_with_file(&env);
    let r = env.tokumei(&["contract", "propose", &sample("proposal.toml"), "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("not registered"), "{}", r.stderr);
    assert_eq!(env.tokumei(&["recipient", "add", &sample("recipient.toml"), "--registry", REG]).code, 0);
    call_open(&env);
    let text = std::fs::read_to_string(sample("proposal.toml")).unwrap();
    for (from, to, why) in [
        ("file = \"住民基本台帳ファイル\"", "file = \"ない\"", "no file"),
        ("use_until = \"2027-12-31\"", "use_until = \"2026-12-31\"", "ends before"),
        ("use_until = \"2027-12-31\"", "use_until = \"2027-02-30\"", "YYYY-MM-DD"),
    ] {
        let p = env.write("p.toml", &text.replace(from, to));
        let r = env.tokumei(&["contract", "propose", p.to_str().unwrap(), "--registry", REG]);
        assert_eq!(r.code, ExitCode::Registry.code(), "{why}: {}", r.stderr);
        assert!(r.stderr.contains(why), "{why}: {}", r.stderr);
    }
}

/// Contract 1 concluded for the sample proposal (use period 2027-01-01 .. 2027-12-31).
fn contracted(env: &Env) {
    proposed(env);
    assert_eq!(
        env.tokumei(&["contract", "review", "1", "--review", &sample("review.toml"), "--registry", REG]).code,
        0
    );
    for (to, extra) in [("fit", vec![]), ("fee_paid", vec!["--hours", "2"]), ("contracted", vec![])] {
        let r = advance(env, "1", to, &extra);
        assert_eq!(r.code, 0, "{to}: {}", r.stderr);
    }
}

/// In the use period (2027-06-01) by the run clock.
const IN_PERIOD: &str = "1811808000";
/// After it (2028-06-01).
const AFTER_PERIOD: &str = "1843430400";

fn run_under(env: &Env, job: &std::path::Path, contract: &str, now: &str) -> Run {
    let key = env.officer_key();
    env.tokumei_with(
        &["run", job.to_str().unwrap(), "--contract", contract, "--registry", REG, "--sign-key", &key],
        &[("TOKUMEI_NOW", now)],
    )
}

fn last_entry(env: &Env) -> serde_json::Value {
    let text = std::fs::read_to_string(env.path("audit.log")).unwrap();
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

/// A seed fixed for a test is known, so a perturbed release made with it could be undone: it is
/// never provided to a recipient (exit 6, nothing written); without it the same run provides.
#[test]
fn a_release_perturbed_with_a_fixed_test_seed_is_never_provided() {
    let env = Env::new();
    contracted(&env);
    let text = std::fs::read_to_string(sample_rules()).unwrap();
    let pram = text.replacen(
        "special_care = \"要配慮\"\naction = \"keep\"",
        "special_care = \"要配慮\"\naction = \"pram\"\nkeep = 0.9",
        1,
    );
    assert_ne!(pram, text, "the sample's 要介護度 rule changed");
    let rules = env.write("pram.toml", &pram);
    let r = env.tokumei(&[
        "file",
        "allow-rules",
        "住民基本台帳ファイル",
        "--rules",
        rules.to_str().unwrap(),
        "--registry",
        REG,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let job = env.job("resident", &sample_csv(), &rules, "");
    let seed = ("TOKUMEI_TEST_SEED", "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0");
    let key = env.officer_key();
    let args = ["run", job.to_str().unwrap(), "--contract", "1", "--registry", REG, "--sign-key", &key];
    let r = env.tokumei_with(&args, &[("TOKUMEI_NOW", IN_PERIOD), seed]);
    assert_eq!(r.code, ExitCode::Key.code(), "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("TOKUMEI_TEST_SEED"), "{}", r.stderr);
    assert!(env.out_files().is_empty(), "nothing written");
    // A check or a release for no one may use it (tests do); a provided run without it goes on.
    let r = run_under(&env, &job, "1", IN_PERIOD);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&env.latest());
    assert_ne!(rep["seed_fixed_for_test"], true);
    assert_eq!(rep["perturbed"][0]["column"], "要介護度", "the release is perturbed");
}

/// A release provided under a contract is never made unsigned: without the officer's key (or
/// with one others may read) the run is refused with the key's exit code, nothing written and
/// the refusal audited.
#[test]
fn a_release_for_a_contract_is_refused_without_a_signing_key() {
    let env = Env::new();
    contracted(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    let args = ["run", job.to_str().unwrap(), "--contract", "1", "--registry", REG];
    let r = env.tokumei_with(&args, &[("TOKUMEI_NOW", IN_PERIOD)]);
    assert_eq!(r.code, ExitCode::Key.code(), "{}", r.stderr);
    assert!(r.stderr.contains("--sign-key"), "{}", r.stderr);
    assert!(env.out_files().is_empty(), "nothing written");
    assert_eq!(last_entry(&env)["status"], "failed", "audited");
    let key = env.officer_key();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let r = env.tokumei_with(&[&args[..], &["--sign-key", &key]].concat(), &[("TOKUMEI_NOW", IN_PERIOD)]);
        assert_eq!(r.code, ExitCode::Key.code(), "{}", r.stderr);
        assert!(r.stderr.contains("chmod 600"), "{}", r.stderr);
        assert!(env.out_files().is_empty(), "nothing written");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let r = env.tokumei_with(&[&args[..], &["--sign-key", &key]].concat(), &[("TOKUMEI_NOW", IN_PERIOD)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(env.latest().join("MANIFEST.sig").is_file());
}

#[test]
fn a_run_provides_data_only_under_a_contract_that_allows_it() {
    let env = Env::new();
    contracted(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    // Outside the use period: refused, nothing written, audited as refused.
    let r = run_under(&env, &job, "1", AFTER_PERIOD);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("outside its use period"), "{}", r.stderr);
    assert!(env.out_files().is_empty(), "nothing written");
    let e = last_entry(&env);
    assert_eq!((e["action"].as_str(), e["status"].as_str()), (Some("run"), Some("failed")));
    assert_eq!(e["details"]["contract"], 1);
    assert!(e["error"].as_str().unwrap().starts_with("registry:"), "{e}");
    // An unknown contract.
    let r = run_under(&env, &job, "7", IN_PERIOD);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    // Within it: the release is made and its entry names the contract and the recipient.
    let r = run_under(&env, &job, "1", IN_PERIOD);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let published = std::fs::read_to_string(env.path("audit.log"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .rfind(|e| e["action"] == "run" && e["status"] == "publishing")
        .expect("a publishing entry");
    assert_eq!(published["details"]["contract"], 1);
    assert_eq!(published["details"]["recipient"], "株式会社見本データ分析");
    // The release is registered, published, with every file's hash; the contract is `created`.
    let r = env.tokumei(&["release", "list", "--registry", REG, "--json"]);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let rel = &list[0];
    assert_eq!(rel["status"], "published");
    assert_eq!(rel["contract_id"], 1);
    assert_eq!(rel["recipient"], "株式会社見本データ分析");
    assert_eq!(rel["audit_seq"], published["seq"].as_u64().unwrap_or(rel["audit_seq"].as_u64().unwrap()));
    let folder = env.latest();
    assert_eq!(rel["release_id"].as_str().unwrap(), folder.file_name().unwrap().to_str().unwrap());
    let rep = report(&folder);
    assert_eq!(rel["rows"], rep["rows_out"]);
    assert_eq!(rel["k_achieved"], rep["k_achieved"]);
    for f in rel["outputs"].as_array().unwrap() {
        use sha2::Digest;
        let bytes = std::fs::read(folder.join(f["name"].as_str().unwrap())).unwrap();
        assert_eq!(f["sha256"].as_str().unwrap(), hex::encode(sha2::Sha256::digest(&bytes)));
    }
    assert_eq!(contract_json(&env, "1")["state"], "created");
    assert_eq!(env.tokumei(&["release", "verify", "--registry", REG]).code, 0);
    assert_eq!(env.tokumei(&["registry", "verify", "--registry", REG]).code, 0);
    let r = env.tokumei(&["audit", "verify", "--log", "audit.log", "--registry", REG]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Cancelled: refused.
    let r = env.tokumei(&["contract", "cancel", "1", "--note", "重大な契約違反", "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let before = env.out_files().len();
    let r = run_under(&env, &job, "1", IN_PERIOD);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("cancelled"), "{}", r.stderr);
    assert_eq!(env.out_files().len(), before, "nothing more written");
}

#[test]
fn a_run_is_refused_before_the_contract_is_concluded() {
    let env = Env::new();
    proposed(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    let r = run_under(&env, &job, "1", IN_PERIOD);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("it is received"), "{}", r.stderr);
    assert!(env.out_files().is_empty());
}

#[test]
fn rules_releasing_an_extra_column_a_finer_level_or_pseudonyms_are_refused() {
    let env = Env::new();
    contracted(&env);
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    let allow = |name: &str, text: String| {
        let p = env.write(name, &text);
        let r = env.tokumei(&[
            "file",
            "allow-rules",
            "住民基本台帳ファイル",
            "--rules",
            p.to_str().unwrap(),
            "--registry",
            REG,
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        env.job(name.trim_end_matches(".toml"), &sample_csv(), &p, "")
    };
    // Rules not allowed for the file at all.
    let other = env.write("other.toml", &rules.replace("k = 5", "k = 6"));
    let job = env.job("other", &sample_csv(), &other, "");
    let r = run_under(&env, &job, "1", IN_PERIOD);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("not one allowed"), "{}", r.stderr);
    // The address at prefecture level (2) where the contract allows region (3) or coarser.
    let finer = rules.replace("level = 3\noutput = \"地方\"", "level = 2\noutput = \"地方\"");
    assert_ne!(finer, rules);
    let job = allow("finer.toml", finer);
    let r = run_under(&env, &job, "1", IN_PERIOD);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("`地方` at level 2, finer"), "{}", r.stderr);
    // A column the contract does not list (the relationship kept).
    let extra = rules.replace(
        "name = \"続柄\"\nrole = \"quasi_identifier\"\naction = \"drop\"",
        "name = \"続柄\"\nrole = \"quasi_identifier\"\naction = \"keep\"",
    );
    assert_ne!(extra, rules);
    let job = allow("extra.toml", extra);
    let r = run_under(&env, &job, "1", IN_PERIOD);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("`続柄`, which the contract does not list"), "{}", r.stderr);
    // Pseudonymised output is never provided, even with allowed rules and columns.
    let key = env.path("pseudonym.key");
    assert_eq!(env.tokumei(&["keygen", "--out", key.to_str().unwrap()]).code, 0);
    let pseudo = env.write("pseudo.toml", &rules.replace("mode = \"anonymized\"", "mode = \"pseudonymized\""));
    let r = env.tokumei(&[
        "file",
        "allow-rules",
        "住民基本台帳ファイル",
        "--rules",
        pseudo.to_str().unwrap(),
        "--registry",
        REG,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let extra = format!("encoding = \"auto\"\n[keys]\npseudonym_key_file = \"{}\"", key.display());
    let job = env.job("pseudo", &sample_csv(), &pseudo, &extra);
    let r = run_under(&env, &job, "1", IN_PERIOD);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("never provided to a recipient"), "{}", r.stderr);
    assert!(env.out_files().is_empty(), "nothing written");
}

#[test]
fn an_interrupted_publication_is_settled_and_a_changed_release_file_is_caught() {
    let env = Env::new();
    contracted(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    let key = env.officer_key();
    let crash = |point: &str| {
        env.tokumei_with(
            &["run", job.to_str().unwrap(), "--contract", "1", "--registry", REG, "--sign-key", &key],
            &[("TOKUMEI_NOW", IN_PERIOD), ("TOKUMEI_FAILPOINT", point)],
        )
    };
    let releases = |env: &Env| -> Vec<serde_json::Value> {
        let r = env.tokumei(&["release", "list", "--registry", REG, "--json"]);
        serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap().as_array().unwrap().clone()
    };
    // Killed after registering, before the rename: no folder, the row says publishing.
    let r = crash("after-registering:abort");
    assert_ne!(r.code, 0);
    assert!(env.releases("resident_registry").is_empty(), "no release folder");
    let rows = releases(&env);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "publishing");
    assert_eq!(env.tokumei(&["release", "verify", "--registry", REG]).code, ExitCode::Registry.code());
    // Killed after the rename: the folder is complete, the row still publishing.
    let r = crash("after-rename:abort");
    assert_ne!(r.code, 0);
    assert_eq!(env.releases("resident_registry").len(), 1);
    // The next run settles both: the first abandoned, the second published (its files match).
    let r = run_under(&env, &job, "1", IN_PERIOD);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = releases(&env);
    let status: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["abandoned", "published", "published"]);
    let folders = env.releases("resident_registry");
    assert_eq!(folders.len(), 2, "every published row has its folder, and no folder lacks a row");
    for row in rows.iter().filter(|r| r["status"] == "published") {
        assert!(folders.iter().any(|f| f.ends_with(row["release_id"].as_str().unwrap())));
    }
    assert_eq!(env.tokumei(&["release", "verify", "--registry", REG]).code, 0);
    assert_eq!(env.tokumei(&["registry", "verify", "--registry", REG]).code, 0);
    // A release file changed after publication is caught.
    let parquet = folders[0].join("resident_registry.parquet");
    let mut perm = std::fs::metadata(&parquet).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(&parquet, perm).unwrap();
    let mut bytes = std::fs::read(&parquet).unwrap();
    let n = bytes.len() / 2;
    bytes[n] ^= 1;
    std::fs::write(&parquet, bytes).unwrap();
    let r = env.tokumei(&["release", "verify", "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("resident_registry.parquet was changed"), "{}", r.stderr);
    // `audit verify` names it from both sides: the log's entry and the registry's row.
    let r = env.tokumei(&["audit", "verify", "--log", "audit.log", "--registry", REG]);
    assert_ne!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("registry: release") && r.stderr.contains("was changed"), "{}", r.stderr);
    // A release row edited in the registry is caught too.
    let conn = rusqlite::Connection::open(env.path(REG)).unwrap();
    conn.execute("UPDATE releases SET rows = rows + 1 WHERE status = 'published'", []).unwrap();
    drop(conn);
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("releases row") && r.stderr.contains("edited outside tokumei"), "{}", r.stderr);
}

#[test]
fn two_recipients_releases_of_the_same_input_share_no_code_and_each_is_recognised() {
    let env = Env::new();
    contracted(&env);
    // A second business with its own contract for the same file.
    let second = std::fs::read_to_string(sample("recipient.toml"))
        .unwrap()
        .replace("株式会社見本データ分析", "合同会社第二分析");
    let second = env.write("second.toml", &second);
    assert_eq!(env.tokumei(&["recipient", "add", second.to_str().unwrap(), "--registry", REG]).code, 0);
    let proposal =
        std::fs::read_to_string(sample("proposal.toml")).unwrap().replace("株式会社見本データ分析", "合同会社第二分析");
    let proposal = env.write("p2.toml", &proposal);
    assert_eq!(env.tokumei(&["contract", "propose", proposal.to_str().unwrap(), "--registry", REG]).code, 0);
    assert_eq!(
        env.tokumei(&["contract", "review", "2", "--review", &sample("review.toml"), "--registry", REG]).code,
        0
    );
    for (to, extra) in [("fit", vec![]), ("fee_paid", vec!["--hours", "1"]), ("contracted", vec![])] {
        assert_eq!(advance(&env, "2", to, &extra).code, 0);
    }
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    let mut codes = Vec::new();
    let mut files = Vec::new();
    for contract in ["1", "2"] {
        let r = run_under(&env, &job, contract, IN_PERIOD);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let parquet = env.latest().join("resident_registry.parquet");
        let t = read_parquet(&parquet);
        let col = t.col("レコードID");
        let set: std::collections::HashSet<String> = t.rows.iter().filter_map(|r| r[col].clone()).collect();
        assert!(set.len() > 1000);
        codes.push(set);
        let kept = env.path(&format!("release{contract}.parquet"));
        std::fs::copy(&parquet, &kept).unwrap();
        files.push(kept);
    }
    assert_eq!(codes[0].intersection(&codes[1]).count(), 0, "no code links the two recipients' files");
    // The registry keeps a keyed digest of each code set, never a code.
    let r = env.tokumei(&["release", "list", "--registry", REG, "--json"]);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let digests: Vec<&str> = list.as_array().unwrap().iter().map(|r| r["code_digest"].as_str().unwrap()).collect();
    assert_eq!(digests.len(), 2);
    assert_ne!(digests[0], digests[1]);
    assert_eq!(list[0]["codes"].as_u64().unwrap() as usize, codes[0].len());
    let r = env.tokumei(&["registry", "export", "--registry", REG]);
    assert!(codes.iter().flatten().take(200).all(|c| !r.stdout.contains(c.as_str())), "no code in the registry");
    // A copy of each file found elsewhere is recognised as its release.
    for (file, who) in files.iter().zip(["株式会社見本データ分析", "合同会社第二分析"]) {
        let r = env.tokumei(&["release", "identify", file.to_str().unwrap(), "--registry", REG]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains(who), "{}", r.stdout);
    }
    let r = env.tokumei(&["release", "identify", sample_csv().to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
}

#[test]
fn provisions_are_recorded_and_records_are_purged_after_their_retention() {
    let env = Env::new();
    contracted(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    assert_eq!(run_under(&env, &job, "1", IN_PERIOD).code, 0);
    let release = env.latest().file_name().unwrap().to_str().unwrap().to_string();
    let provide = |extra: &[&str]| {
        let mut args = vec!["release", "provide", release.as_str(), "--registry", REG];
        args.extend_from_slice(extra);
        env.tokumei_with(&args, &[("TOKUMEI_NOW", IN_PERIOD)])
    };
    let r = provide(&["--medium", "暗号化USBメモリ", "--receipt", "受領書 第12号", "--date", "2028-02-01"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "outside the use period: {}", r.stderr);
    let r = provide(&["--medium", "暗号化USBメモリ", "--receipt", "受領書 第12号"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(contract_json(&env, "1")["state"], "provided");
    let r = env.tokumei(&["contract", "record", "1", "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for needle in [
        "提供記録",
        "株式会社見本データ分析",
        "暗号化USBメモリ",
        "受領書 第12号",
        "地方: 地方",
        "法114条1項7号",
        &release,
    ] {
        assert!(r.stdout.contains(needle), "the record lacks {needle}:\n{}", r.stdout);
    }
    assert_eq!(advance(&env, "1", "use_ended", &[]).code, 0);
    // Not final yet: nothing expires.
    const LATER: &str = "1988150400"; // 2033-01-01, more than 5 years after every step
    let purge = |extra: &[&str]| {
        let mut args = vec!["registry", "purge-expired", "--registry", REG];
        args.extend_from_slice(extra);
        env.tokumei_with(&args, &[("TOKUMEI_NOW", LATER)])
    };
    assert!(purge(&["--dry-run"]).stdout.contains("no record"));
    assert_eq!(advance(&env, "1", "closed", &["--note", "消去証明書 受領"]).code, 0);
    // Within the retention period: kept.
    let r = env.tokumei_with(&["registry", "purge-expired", "--registry", REG], &[("TOKUMEI_NOW", IN_PERIOD)]);
    assert!(r.stdout.contains("no record"), "{}", r.stdout);
    let r = purge(&["--dry-run"]);
    assert!(r.stdout.contains("would remove contract 1"), "{}", r.stdout);
    assert_eq!(contract_json(&env, "1")["state"], "closed", "a dry run removes nothing");
    let r = purge(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("removed contract 1"), "{}", r.stdout);
    assert_eq!(env.tokumei(&["contract", "show", "1", "--registry", REG]).code, ExitCode::Registry.code());
    let r = env.tokumei(&["release", "list", "--registry", REG, "--json"]);
    assert_eq!(r.stdout.trim(), "[]");
    assert!(audit_actions(&env).iter().any(|(a, _)| a == "registry-purge-expired"));
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, 0, "a purge is a recorded change: {}{}", r.stdout, r.stderr);
}

#[test]
fn a_job_whose_actor_is_not_the_registry_keepers_is_refused() {
    let env = Env::new();
    contracted(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    let text =
        std::fs::read_to_string(&job).unwrap().replacen("version = 1\n", "version = 1\nactor = \"business\"\n", 1);
    std::fs::write(&job, text).unwrap();
    let r = run_under(&env, &job, "1", IN_PERIOD);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("actor = \"public_body\""), "{}", r.stderr);
    assert!(env.out_files().is_empty());
}

#[test]
fn a_run_finds_the_registry_beside_its_releases_by_default() {
    let env = Env::new();
    let profile = repo().join("samples/registry/profile.toml");
    let reg = "out/registry.sqlite"; // the job's output folder is out/
    let steps: Vec<Vec<String>> = vec![
        vec![
            "registry".into(),
            "init".into(),
            "--profile".into(),
            profile.display().to_string(),
            "--audit-log".into(),
            "audit.log".into(),
        ],
        vec![
            "file".into(),
            "add".into(),
            sample("resident_file.toml"),
            "--rules".into(),
            sample_rules().display().to_string(),
        ],
        vec!["recipient".into(), "add".into(), sample("recipient.toml")],
        vec!["call".into(), "open".into(), "--to".into(), "2099-12-31".into()],
        vec!["contract".into(), "propose".into(), sample("proposal.toml")],
        vec!["contract".into(), "review".into(), "1".into(), "--review".into(), sample("review.toml")],
        vec!["contract".into(), "advance".into(), "1".into(), "--to".into(), "fit".into()],
        vec![
            "contract".into(),
            "advance".into(),
            "1".into(),
            "--to".into(),
            "fee_paid".into(),
            "--hours".into(),
            "1".into(),
        ],
        vec!["contract".into(), "advance".into(), "1".into(), "--to".into(), "contracted".into()],
    ];
    for step in &steps {
        let mut args: Vec<&str> = step.iter().map(String::as_str).collect();
        args.extend(["--registry", reg]);
        let r = env.tokumei(&args);
        assert_eq!(r.code, 0, "{step:?}: {}", r.stderr);
    }
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    let key = env.officer_key();
    let args = ["run", job.to_str().unwrap(), "--contract", "1", "--sign-key", &key];
    let r = env.tokumei_with(&args, &[("TOKUMEI_NOW", IN_PERIOD)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.tokumei(&["release", "list", "--registry", reg, "--json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap().as_array().unwrap().len(), 1);
}

/// The README's workflow script runs end to end: registry, file, recipient, proposal, review,
/// contract, a release for it and its provision, then every check passes.
#[test]
fn the_sample_workflow_script_runs_end_to_end() {
    let env = Env::new();
    let work = env.path("work");
    run_workflow("samples/registry/workflow.sh", &work);
    let r = env.tokumei(&[
        "contract",
        "show",
        "1",
        "--json",
        "--registry",
        work.join("reports/registry.sqlite").to_str().unwrap(),
    ]);
    let c: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(c["state"], "provided");
}

/// A pseudonymised internal use is registered with its purpose; where the profile keeps a
/// per-subject index, a person's releases are found by their identifier (kept as a keyed
/// digest) and the registry holds no identifier.
#[test]
fn a_per_subject_index_of_internal_pseudonymised_uses_when_the_profile_keeps_one() {
    let env = Env::new();
    init_registry(&env, REG, &(sample_profile() + "subject_index = true\n"));
    let job = pseudonymized_job(env.path("k.key"), &env);
    // A pseudonymised job cannot go to a recipient, but may be an internal use.
    let r =
        env.tokumei(&["run", job.to_str().unwrap(), "--internal-use", "介護保険事業計画の需要推計", "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.tokumei(&["release", "list", "--registry", REG, "--json"]);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(list[0]["purpose"], "介護保険事業計画の需要推計");
    assert!(list[0]["contract_id"].is_null());
    // A resident of the extract is found; one who is not, is not.
    let first_id = read_csv_cp932(&sample_csv())[1][0].clone();
    let r = env.tokumei(&["subject", "provisions", &first_id, "--registry", REG, "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let found: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(found["releases"].as_array().unwrap().len(), 1, "{found}");
    let r = env.tokumei(&["subject", "provisions", "999999999", "--registry", REG, "--json"]);
    let found: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(found["releases"].as_array().unwrap().len(), 0);
    // The look-up is audited without the identifier; the registry holds no identifier.
    let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
    assert!(log.contains("subject-provisions") && !log.contains(&first_id));
    let r = env.tokumei(&["registry", "export", "--registry", REG]);
    assert!(!r.stdout.contains(&first_id));
    assert_eq!(env.tokumei(&["registry", "verify", "--registry", REG]).code, 0);
}

#[test]
fn without_the_profile_s_consent_no_subject_index_is_kept() {
    let env = Env::new();
    registry_with_file(&env);
    let job = pseudonymized_job(env.path("k.key"), &env);
    // An internal use without its registry is refused before anything is written.
    let r = env.tokumei(&["run", job.to_str().unwrap(), "--internal-use", "統計", "--registry", "missing.sqlite"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(env.out_files().is_empty() && !env.path("missing.sqlite").exists());
    let r = env.tokumei(&["run", job.to_str().unwrap(), "--internal-use", "統計", "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let first_id = read_csv_cp932(&sample_csv())[1][0].clone();
    let r = env.tokumei(&["subject", "provisions", &first_id, "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("keeps no per-subject index"), "{}", r.stdout);
    let conn = rusqlite::Connection::open(env.path(REG)).unwrap();
    let n: i64 = conn.query_row("SELECT count(*) FROM subject_index", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 0);
}

#[test]
fn a_job_may_name_its_contract_and_registry() {
    let env = Env::new();
    contracted(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    // The job names the officer's key that signs its releases, too.
    let text = std::fs::read_to_string(&job).unwrap()
        + &format!("[release]\nsign_key = \"{}\"\n", env.officer_key())
        + &format!("[registry]\npath = \"{}\"\ncontract = 1\n", env.path(REG).display());
    std::fs::write(&job, text).unwrap();
    // Outside the use period the job's contract refuses it, as --contract would.
    let r = env.tokumei_with(&["run", job.to_str().unwrap()], &[("TOKUMEI_NOW", AFTER_PERIOD)]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    let r = env.tokumei_with(&["run", job.to_str().unwrap(), "--hours", "2"], &[("TOKUMEI_NOW", IN_PERIOD)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.tokumei(&["release", "list", "--registry", REG, "--json"]);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(list[0]["contract_id"], 1);
    assert_eq!(list[0]["staff_hours"], 2.0);
    // Both a contract and an internal use: a job error at its line.
    let both = std::fs::read_to_string(&job).unwrap() + "internal_use = \"x\"\n";
    std::fs::write(&job, both).unwrap();
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Config.code(), "{}", r.stderr);
    assert!(r.stderr.contains("either `contract` or `internal_use`"), "{}", r.stderr);
}

/// What a hostile or careless operator tries: overflowing fees and retention, states set by
/// hand, a column listed twice, a device as a rule file, look-alike names, and undoing a
/// committed change by editing the database and letting it pass as lost.
#[test]
fn hostile_inputs_are_refused_and_an_undone_change_stays_visible() {
    let env = Env::new();
    proposed(&env);
    assert_eq!(
        env.tokumei(&["contract", "review", "1", "--review", &sample("review.toml"), "--registry", REG]).code,
        0
    );
    assert_eq!(advance(&env, "1", "fit", &[]).code, 0);
    let r = advance(&env, "1", "fee_paid", &["--hours", "9223372036854775807"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert_eq!(advance(&env, "1", "fee_paid", &["--hours", "2"]).code, 0);
    assert_eq!(advance(&env, "1", "contracted", &[]).code, 0);
    for to in ["created", "provided"] {
        let r = advance(&env, "1", to, &[]);
        assert_eq!(r.code, ExitCode::Registry.code(), "{to} by hand: {}", r.stderr);
        assert!(r.stderr.contains("not by hand"), "{}", r.stderr);
    }
    // A profile with an absurd retention or fee is refused at init.
    let text = std::fs::read_to_string(repo().join("samples/registry/profile.toml")).unwrap();
    for (from, to) in [
        ("retention_years = 5", "retention_years = 9223372036854775807"),
        ("fee_base_yen = 21000", "fee_base_yen = 9223372036854775807"),
    ] {
        let p = env.write("p.toml", &text.replace(from, to));
        let r = env.tokumei(&["registry", "init", "--registry", "other.sqlite", "--profile", p.to_str().unwrap()]);
        assert_eq!(r.code, ExitCode::Config.code(), "{to}: {}", r.stderr);
        assert!(!env.path("other.sqlite").exists());
    }
    // A proposal listing a column twice; a device as a rule file; a look-alike file name.
    let proposal = std::fs::read_to_string(sample("proposal.toml")).unwrap()
        + "[[column]]\nname = \"地方\"\ngranularity = \"都道府県\"\nlevel = 2\n";
    let proposal = env.write("twice.toml", &proposal);
    let r = env.tokumei(&["contract", "propose", proposal.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("listed twice"), "{}", r.stderr);
    let r = env.tokumei(&["file", "allow-rules", "住民基本台帳ファイル", "--rules", "/dev/zero", "--registry", REG]);
    assert_eq!(r.code, ExitCode::Config.code(), "{}", r.stderr);
    let entry = std::fs::read_to_string(sample("resident_file.toml"))
        .unwrap()
        .replace("name = \"住民基本台帳ファイル\"", "name = \"住民基本台帳ファイル \"");
    let entry = env.write("alike.toml", &entry);
    let r = env.tokumei(&["file", "add", entry.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    // Undo a committed cancellation by restoring the database: no change is made on it (the
    // undone change stays visible), and verify names it.
    std::fs::copy(env.path(REG), env.path("before.sqlite")).unwrap();
    assert_eq!(env.tokumei(&["contract", "cancel", "1", "--note", "不正", "--registry", REG]).code, 0);
    std::fs::copy(env.path("before.sqlite"), env.path(REG)).unwrap();
    let _ = std::fs::remove_file(env.path(&format!("{REG}-wal")));
    let _ = std::fs::remove_file(env.path(&format!("{REG}-shm")));
    let second = std::fs::read_to_string(sample("recipient.toml")).unwrap().replace("株式会社見本データ分析", "別会社");
    let second = env.write("r2.toml", &second);
    let r = env.tokumei(&["recipient", "add", second.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "an undone change must stay visible: {}", r.stderr);
}

/// The sample job in pseudonymized mode with a new managed key at `key` (job name `internal`).
pub(crate) fn pseudonymized_job(key: std::path::PathBuf, env: &Env) -> std::path::PathBuf {
    assert_eq!(env.tokumei(&["keygen", "--out", key.to_str().unwrap()]).code, 0);
    let rules =
        std::fs::read_to_string(sample_rules()).unwrap().replace("mode = \"anonymized\"", "mode = \"pseudonymized\"");
    let rules = env.write("pseudo.toml", &rules);
    let extra = format!("encoding = \"auto\"\n[keys]\npseudonym_key_file = \"{}\"", key.display());
    env.job("internal", &sample_csv(), &rules, &extra)
}

/// The registry file and its audit log as they are now, to put back between attacks.
struct Snapshot {
    registry: Vec<u8>,
    log: Vec<u8>,
}

fn snapshot(env: &Env) -> Snapshot {
    // Fold the write-ahead log in, so the file alone is the registry.
    let conn = rusqlite::Connection::open(env.path(REG)).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    drop(conn);
    Snapshot { registry: std::fs::read(env.path(REG)).unwrap(), log: std::fs::read(env.path("audit.log")).unwrap() }
}

fn restore(env: &Env, s: &Snapshot, log_too: bool) {
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", env.path(REG).display()));
    }
    std::fs::write(env.path(REG), &s.registry).unwrap();
    if log_too {
        std::fs::write(env.path("audit.log"), &s.log).unwrap();
    }
}

fn sql(env: &Env, text: &str) {
    let conn = rusqlite::Connection::open(env.path(REG)).unwrap();
    conn.execute_batch(text).unwrap();
}

/// Each way a registry row decides who gets data, edited with `sqlite3`: every act that relies
/// on the registry refuses (exit 9) naming the row, and nothing is published or provided.
#[test]
fn an_edited_registry_decides_nothing() {
    let env = Env::new();
    contracted(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    let contracted_state = snapshot(&env);
    assert_eq!(env.tokumei(&["contract", "cancel", "1", "--note", "契約違反", "--registry", REG]).code, 0);
    let cancelled = snapshot(&env);
    let refused = |r: &Run, row: &str, what: &str| {
        assert_eq!(r.code, ExitCode::Registry.code(), "{what}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(row), "{what}: {}", r.stderr);
        assert!(r.stderr.contains("nothing was done"), "{what}: {}", r.stderr);
        assert!(env.releases("resident_registry").is_empty(), "{what}: nothing published");
    };
    // The cancelled contract set back to provided.
    sql(&env, "UPDATE contracts SET state = 'provided' WHERE id = 1");
    refused(&run_under(&env, &job, "1", IN_PERIOD), "contracts row 1", "cancelled contract revived");
    restore(&env, &cancelled, true);
    // The 2-year bar lifted: the barred business cannot even propose.
    sql(&env, "UPDATE recipients SET barred_until = NULL");
    let r = env.tokumei(&["contract", "propose", &sample("proposal.toml"), "--registry", REG]);
    refused(&r, "recipients row 1", "bar lifted");
    restore(&env, &cancelled, true);
    // A recipient inserted by hand.
    sql(
        &env,
        "INSERT INTO recipients (name, representative, address, contact, added) VALUES ('株式会社手入力', '代表', '住所', '連絡先', '2026-11-27')",
    );
    let r = env.tokumei(&["contract", "record", "1", "--registry", REG]);
    refused(&r, "recipients row 2", "recipient added by hand");
    restore(&env, &contracted_state, true);
    // The use period stretched, a run after its real end.
    sql(&env, "UPDATE contracts SET use_until = '2099-12-31' WHERE id = 1");
    refused(&run_under(&env, &job, "1", AFTER_PERIOD), "contracts row 1", "use period stretched");
    restore(&env, &contracted_state, true);
    // The registry replaced by an earlier copy of itself (before the cancellation), the audit
    // log kept: the log has a change the registry lacks.
    assert_eq!(env.tokumei(&["contract", "cancel", "1", "--note", "契約違反", "--registry", REG]).code, 0);
    restore(&env, &contracted_state, false);
    let r = run_under(&env, &job, "1", IN_PERIOD);
    refused(&r, "does not have", "older copy");
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    // The officer records a reasoned reset (audited); the registry is usable again.
    let r = env.tokumei(&["registry", "reset", "--registry", REG, "--reason", "短い"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "a reset needs its reason: {}", r.stderr);
    let r = env.tokumei(&[
        "registry",
        "reset",
        "--registry",
        REG,
        "--reason",
        "11-27 backup restored after disk failure; the cancellation of contract 1 is recorded again",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(audit_actions(&env).iter().any(|(a, _)| a == "registry-reset"));
    assert_eq!(env.tokumei(&["registry", "verify", "--registry", REG]).code, 0);
    assert_eq!(env.tokumei(&["contract", "cancel", "1", "--note", "契約違反", "--registry", REG]).code, 0);
    let r = run_under(&env, &job, "1", IN_PERIOD);
    assert_eq!(r.code, ExitCode::Registry.code(), "cancelled again: {}", r.stderr);
}

/// Audit of issue 28, gap 5: `release provide` on a registry edited with SQLite is refused
/// (exit 9) and records no provision.
#[test]
fn a_provision_on_an_edited_registry_is_refused_and_records_nothing() {
    let env = Env::new();
    contracted(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    assert_eq!(run_under(&env, &job, "1", IN_PERIOD).code, 0);
    let release = env.latest().file_name().unwrap().to_str().unwrap().to_string();
    // The recipient's address changed by hand (a row the provision does not even write).
    sql(&env, "UPDATE recipients SET address = '別の住所' WHERE id = 1");
    let args = ["release", "provide", &release, "--medium", "手交", "--receipt", "受領書 第1号", "--registry", REG];
    let r = env.tokumei_with(&args, &[("TOKUMEI_NOW", IN_PERIOD)]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("recipients row 1"), "{}", r.stderr);
    let conn = rusqlite::Connection::open(env.path(REG)).unwrap();
    let n: i64 = conn.query_row("SELECT count(*) FROM provisions", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 0, "no provision recorded");
    assert!(!audit_actions(&env).iter().any(|(a, _)| a.starts_with("registry-release-provide")), "nothing audited");
}

/// A registry deleted while its audit log and earlier runs rely on it: runs refuse rather
/// than run without applying any resident's request, until an officer records why it is gone.
#[test]
fn a_deleted_registry_stops_the_runs_that_relied_on_it() {
    let env = Env::new();
    registry_with_file(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    let r = env.tokumei(&["run", job.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", env.path(REG).display()));
    }
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("no registry is found"), "{}", r.stderr);
    assert_eq!(env.releases("resident_registry").len(), 1, "nothing published");
    // An officer records why it is gone, in the log: the runs go on, saying there is none.
    let reset = ["registry", "reset", "--registry", REG, "--audit-log", "audit.log", "--reason"];
    let r = env.tokumei(&[&reset[..], &["短い"]].concat());
    assert_eq!(r.code, ExitCode::Registry.code(), "a reset needs its reason: {}", r.stderr);
    let r = env.tokumei(&[&reset[..], &["ディスク障害で消失、バックアップなし (課長決裁)"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(audit_actions(&env).iter().any(|(a, _)| a == "registry-retired"));
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("note: no registry"), "{}", r.stderr);
}

/// Two processes making the same step at once: the first is held between its reads and its
/// transaction (failpoint `registry-before-change`), the second makes the step meanwhile; the
/// first, let go, re-reads inside its transaction and is refused. Returns (first, second).
fn race(env: &Env, args: &[&str], now: Option<&str>) -> (Run, Run) {
    let (at, go) = (env.path("race-at"), env.path("race-go"));
    let _ = (std::fs::remove_file(&at), std::fs::remove_file(&go));
    let mut first = env.command(args);
    first
        .env("TOKUMEI_FAILPOINT", "registry-before-change:wait")
        .env("TOKUMEI_FAILPOINT_AT", &at)
        .env("TOKUMEI_FAILPOINT_GO", &go)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(n) = now {
        first.env("TOKUMEI_NOW", n);
    }
    let first = first.spawn().unwrap();
    for _ in 0..1200 {
        if at.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(at.exists(), "the first process never reached its step");
    let second = env.tokumei_with(args, &now.map(|n| vec![("TOKUMEI_NOW", n)]).unwrap_or_default());
    std::fs::write(&go, "").unwrap();
    let out = first.wait_with_output().unwrap();
    let first = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    (first, second)
}

#[test]
fn two_contract_advances_at_once_end_with_one_step_and_one_refusal() {
    let env = Env::new();
    proposed(&env);
    let r = env.tokumei(&["contract", "review", "1", "--review", &sample("review.toml"), "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (first, second) = race(&env, &["contract", "advance", "1", "--to", "fit", "--registry", REG], None);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(first.code, ExitCode::Registry.code(), "{}{}", first.stdout, first.stderr);
    assert!(first.stderr.contains("changed while this step was prepared"), "{}", first.stderr);
    let c = contract_json(&env, "1");
    assert_eq!(c["state"], "fit");
    let fits = c["history"].as_array().unwrap().iter().filter(|t| t["to"] == "fit").count();
    assert_eq!(fits, 1, "one history row: {}", c["history"]);
    // The same for a cancellation racing a step: one of them, never both.
    let (first, second) =
        race(&env, &["contract", "advance", "1", "--to", "withdrawn", "--note", "取下げ", "--registry", REG], None);
    assert_eq!((second.code, first.code), (0, ExitCode::Registry.code()), "{}", first.stderr);
    assert_eq!(contract_json(&env, "1")["history"].as_array().unwrap().len(), 4);
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(audit_actions(&env).iter().filter(|(a, _)| a == "registry-contract-fit").count(), 1);
}

#[test]
fn two_provisions_of_a_release_at_once_end_with_one_record_and_one_refusal() {
    let env = Env::new();
    contracted(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    assert_eq!(run_under(&env, &job, "1", IN_PERIOD).code, 0);
    let release = env.latest().file_name().unwrap().to_str().unwrap().to_string();
    let args = [
        "release",
        "provide",
        release.as_str(),
        "--medium",
        "暗号化USBメモリ",
        "--receipt",
        "受領書 第1号",
        "--registry",
        REG,
    ];
    let (first, second) = race(&env, &args, Some(IN_PERIOD));
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(first.code, ExitCode::Registry.code(), "{}{}", first.stdout, first.stderr);
    assert!(first.stderr.contains("changed while this step was prepared"), "{}", first.stderr);
    let c = contract_json(&env, "1");
    assert_eq!(c["state"], "provided");
    let provided = c["history"].as_array().unwrap().iter().filter(|t| t["to"] == "provided").count();
    assert_eq!(provided, 1, "one history row: {}", c["history"]);
    let r = env.tokumei(&["contract", "record", "1", "--registry", REG, "--json"]);
    let rec: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(rec["provisions"].as_array().unwrap().len(), 1, "{}", rec["provisions"]);
    // A second provision of the same release, on another receipt and no longer at once, is its own record.
    let mut later = args.to_vec();
    later[6] = "受領書 第2号";
    let r = env.tokumei_with(&later, &[("TOKUMEI_NOW", IN_PERIOD)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.tokumei(&["audit", "verify", "--log", "audit.log", "--registry", REG]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// 00:30 JST on 2027-01-01, the first day of the sample contract's use period (still 2026-12-31
/// in UTC).
const FIRST_DAY_0030_JST: &str = "1798731000";
/// 23:30 JST on 2027-12-31, its last day (14:30 UTC).
const LAST_DAY_2330_JST: &str = "1830263400";
/// 00:30 JST on 2028-01-01, the day after it (still 2027-12-31 in UTC).
const DAY_AFTER_0030_JST: &str = "1830267000";

/// Domain rule: a contract's use period is a span of Japan's dates (Asia/Tokyo), so a run at
/// 00:30 JST works on that Japanese day, not on the UTC date (the day before). Fail safe: the
/// period ends at midnight JST, the earlier of the two ends.
#[test]
fn a_run_under_a_contract_works_on_japan_s_date_at_midnight_jst() {
    let env = Env::new();
    contracted(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    // The day after the period in Japan, while UTC still says its last day: refused, nothing out.
    let r = run_under(&env, &job, "1", DAY_AFTER_0030_JST);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("today (2028-01-01) is outside its use period 2027-01-01 .. 2027-12-31"), "{}", r.stderr);
    assert!(env.out_files().is_empty(), "nothing written");
    // The period's first day in Japan, while UTC still says the day before: allowed.
    let r = run_under(&env, &job, "1", FIRST_DAY_0030_JST);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The last day at 23:30 JST: allowed.
    let r = run_under(&env, &job, "1", LAST_DAY_2330_JST);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // TOKUMEI_NOW set the time of the registry's change too (the journal and its audit entry).
    let r = env.tokumei(&["registry", "status", "--registry", REG, "--json"]);
    let status: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(status["status"]["last_change"]["time"], "2027-12-31T14:30:00Z", "{status}");
    let r = env.tokumei(&["release", "list", "--registry", REG, "--json"]);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let times: Vec<&str> = list.as_array().unwrap().iter().map(|r| r["time"].as_str().unwrap()).collect();
    assert_eq!(times.len(), 2, "{list}");
    assert!(times.contains(&"2026-12-31T15:30:00Z") && times.contains(&"2027-12-31T14:30:00Z"), "{list}");
    // A provision is dated in Japan: on 1 January 2027 (the first release's day in Japan), not
    // on 31 December 2026 (its UTC date, outside the period).
    let first = list.as_array().unwrap().iter().find(|r| r["time"] == "2026-12-31T15:30:00Z").unwrap();
    let id = first["release_id"].as_str().unwrap();
    let provide = |day: &str| {
        env.tokumei_with(
            &["release", "provide", id, "--date", day, "--medium", "USB", "--receipt", "受領書", "--registry", REG],
            &[("TOKUMEI_NOW", FIRST_DAY_0030_JST)],
        )
    };
    let r = provide("2026-12-31");
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("release's creation (2027-01-01)"), "{}", r.stderr);
    let r = provide("2027-01-01");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.tokumei(&["registry", "verify", "--registry", REG]).code, 0);
}

/// Domain rule: the 2-year bar (法120) ends on a date in Japan; the day a contract is cancelled
/// is the date in Japan of the change, so a cancellation at 00:30 JST bars the business until
/// that day two years later (not the day before, its UTC date); its records' retention counts
/// from that day too.
#[test]
fn a_cancellation_at_midnight_jst_bars_from_japan_s_date() {
    let env = Env::new();
    contracted(&env);
    let r = env.tokumei_with(
        &["contract", "cancel", "1", "--note", "契約違反", "--registry", REG],
        &[("TOKUMEI_NOW", FIRST_DAY_0030_JST)],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.tokumei(&["recipient", "list", "--registry", REG, "--json"]);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(list[0]["barred_until"], "2029-01-01", "{list}");
    // Retention (5 years) counts from the cancellation's date in Japan, 2027-01-01: on
    // 2032-01-01 the records are kept, the day after they have expired.
    let purge = |now: &str| {
        let r =
            env.tokumei_with(&["registry", "purge-expired", "--dry-run", "--registry", REG], &[("TOKUMEI_NOW", now)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    let out = purge("1956538800"); // 2032-01-01T03:00:00Z, 12:00 JST
    assert!(out.contains("no record"), "{out}");
    let out = purge("1956625200"); // 2032-01-02T03:00:00Z
    assert!(out.contains("would remove contract 1") && out.contains("2032-01-01"), "{out}");
}

/// Review (issue 28): `tokumei audit rotate` moves the registry's entries into an archive the
/// new log continues. The registry is still proved (its changes are found in the archive), and
/// a registry deleted after a rotation still stops the runs that relied on it.
#[test]
fn a_rotated_audit_log_neither_blocks_the_registry_nor_hides_a_deleted_one() {
    let env = Env::new();
    registry_with_file(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    let r = env.tokumei(&["run", job.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.tokumei(&["audit", "rotate", "--log", "audit.log", "--reason", "年度替わり"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, 0, "verify after a rotation: {}{}", r.stdout, r.stderr);
    let r = env.tokumei(&["run", job.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, 0, "a run after a rotation: {}", r.stderr);
    // Rotated again, then the registry deleted: the runs still refuse.
    let r = env.tokumei(&["audit", "rotate", "--log", "audit.log", "--reason", "臨時"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", env.path(REG).display()));
    }
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("no registry is found"), "{}", r.stderr);
}

/// Review (issue 28): a retirement covers the registry that was gone then, not every later
/// registry at the same place: a registry created there afterwards and deleted stops the runs.
#[test]
fn a_retirement_does_not_excuse_a_later_registry_at_the_same_place() {
    let env = Env::new();
    registry_with_file(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    let delete = |env: &Env| {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", env.path(REG).display()));
        }
    };
    assert_eq!(env.tokumei(&["run", job.to_str().unwrap(), "--registry", REG]).code, 0);
    delete(&env);
    let reset = ["registry", "reset", "--registry", REG, "--audit-log", "audit.log", "--reason"];
    let r = env.tokumei(&[&reset[..], &["ディスク障害で消失、バックアップなし (課長決裁)"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A new registry at the same place, used by a run, then deleted.
    registry_with_file(&env);
    let r = env.tokumei(&["run", job.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    delete(&env);
    let before = env.releases("resident_registry").len();
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("no registry is found"), "{}", r.stderr);
    assert_eq!(env.releases("resident_registry").len(), before, "nothing published");
}

/// Review (issue 28): an edit committed with `sqlite3` after a change proved the registry and
/// before its transaction began (a held step, as two processes race) must not be sealed by that
/// change's confirmation: the next act still finds it.
#[test]
fn an_edit_between_a_change_s_proof_and_its_transaction_is_not_sealed() {
    let env = Env::new();
    registry_with_file(&env);
    let (at, go) = (env.path("race-at"), env.path("race-go"));
    let mut held = env.command(&["recipient", "add", &sample("recipient.toml"), "--registry", REG]);
    held.env("TOKUMEI_FAILPOINT", "registry-before-change:wait")
        .env("TOKUMEI_FAILPOINT_AT", &at)
        .env("TOKUMEI_FAILPOINT_GO", &go)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let held = held.spawn().unwrap();
    for _ in 0..1200 {
        if at.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(at.exists(), "the change never reached its transaction");
    sql(&env, "UPDATE files SET people = 5");
    std::fs::write(&go, "").unwrap();
    let out = held.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let r = env.tokumei(&["file", "list", "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "the edit was sealed (held change: {stderr}): {}", r.stdout);
    assert_eq!(out.status.code(), Some(ExitCode::Registry.code()), "the held change is refused: {stderr}");
}

/// Review (issue 28): runs record where a registry lives with symbolic links resolved; a
/// retirement named through a linked folder must cover it (else the runs refuse for ever).
#[test]
fn a_registry_retired_through_a_linked_folder_is_retired() {
    let env = Env::new();
    registry_with_file(&env);
    std::os::unix::fs::symlink(env.path("reg"), env.path("link")).unwrap();
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    let r = env.tokumei(&["run", job.to_str().unwrap(), "--registry", "link/registry.sqlite"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", env.path(REG).display()));
    }
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    let r = env.tokumei(&[
        "registry",
        "reset",
        "--registry",
        "link/registry.sqlite",
        "--audit-log",
        "audit.log",
        "--reason",
        "ディスク障害で消失、バックアップなし (課長決裁)",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.tokumei(&["run", job.to_str().unwrap()]);
    assert_eq!(r.code, 0, "retired: {}", r.stderr);
}

/// Review (issue 28): a reset records every row as it is inside its transaction; an edit
/// committed after the reset listed the problems it accepts, before its transaction, would be
/// accepted unlisted. It is refused instead.
#[test]
fn an_edit_during_a_reset_is_not_accepted_unlisted() {
    let env = Env::new();
    registry_with_file(&env);
    sql(&env, "UPDATE files SET people = 7");
    let (at, go) = (env.path("race-at"), env.path("race-go"));
    let mut held = env.command(&[
        "registry",
        "reset",
        "--registry",
        REG,
        "--reason",
        "people of file 1 corrected by hand, reviewed by the officer",
    ]);
    held.env("TOKUMEI_FAILPOINT", "registry-before-change:wait")
        .env("TOKUMEI_FAILPOINT_AT", &at)
        .env("TOKUMEI_FAILPOINT_GO", &go)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let held = held.spawn().unwrap();
    for _ in 0..1200 {
        if at.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(at.exists(), "the reset never reached its transaction");
    sql(&env, "UPDATE files SET open_to_proposals = 0");
    std::fs::write(&go, "").unwrap();
    let out = held.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(ExitCode::Registry.code()), "{stderr}");
    assert!(stderr.contains("changed after it was checked"), "{stderr}");
}

/// 2027-07-01 (10:00 JST) by the run clock.
const JULY: &str = "1814403600";
/// 2028-06-02 (10:00 JST): after the year for 法118 proposals on data made on 2027-06-01.
const NEXT_JUNE: &str = "1843520400";

fn at(env: &Env, now: &str, args: &[&str]) -> Run {
    let mut a = args.to_vec();
    a.extend(["--registry", REG]);
    env.tokumei_with(&a, &[("TOKUMEI_NOW", now)])
}

/// 法111 and 規則53: a call runs 30 days or more (its last day at least 30 days after its first)
/// and is never back-dated; 法112条1項「募集に応じて」: a proposal is received only while a call
/// for its file is open; a body that must call (a prefecture, 附則7条) is warned by `registry
/// status` when no call opened this fiscal year; calls are journaled and verified like every row.
#[test]
fn calls_for_proposals_run_30_days_and_a_112_proposal_answers_one_article_111_112_rule_53() {
    let env = Env::new();
    let profile = sample_profile().replace("body_kind = \"municipality\"", "body_kind = \"prefecture\"");
    init_registry(&env, REG, &profile);
    let entry = repo().join("samples/registry/resident_file.toml");
    let r = env.tokumei(&[
        "file",
        "add",
        entry.to_str().unwrap(),
        "--rules",
        sample_rules().to_str().unwrap(),
        "--registry",
        REG,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(at(&env, IN_PERIOD, &["recipient", "add", &sample("recipient.toml")]).code, 0);
    // No call yet: the prefecture is warned, and a proposal is refused.
    let r = at(&env, IN_PERIOD, &["registry", "status", "--json"]);
    let s: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let warnings = s["warnings"].to_string();
    assert!(warnings.contains("fiscal year 2027") && warnings.contains("法111"), "{warnings}");
    let r = at(&env, IN_PERIOD, &["contract", "propose", &sample("proposal.toml")]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("募集に応じて") && r.stderr.contains("2027-06-01"), "{}", r.stderr);
    // 29 days after the first day, a back-dated call, an unknown file: refused, nothing written.
    let log_before = std::fs::read(env.path("audit.log")).unwrap();
    for (args, why) in [
        (vec!["--from", "2027-06-01", "--to", "2027-06-30"], "2027-07-01 or later"),
        (vec!["--from", "2027-05-31", "--to", "2027-07-31"], "before today"),
        (vec!["--to", "2027-07-31", "--file", "ない"], "not registered as open to proposals"),
    ] {
        let mut a = vec!["call", "open"];
        a.extend(args);
        let r = at(&env, IN_PERIOD, &a);
        assert_eq!(r.code, ExitCode::Registry.code(), "{why}: {}", r.stderr);
        assert!(r.stderr.contains(why), "{why}: {}", r.stderr);
    }
    assert_eq!(std::fs::read(env.path("audit.log")).unwrap(), log_before, "refusals write nothing");
    // A call of 30 days counted without its first day.
    let r = at(&env, IN_PERIOD, &["call", "open", "--to", "2027-07-01", "--note", "見本県告示第1号"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = at(&env, IN_PERIOD, &["registry", "status", "--json"]);
    let s: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    // Other warnings may stand (the national holidays of next year computed past the bundled
    // list, from the requests' side of the merge): none is about the year's call.
    let warnings = s["warnings"].as_array().unwrap();
    assert!(warnings.iter().all(|w| !w.as_str().unwrap().contains("法111")), "called this fiscal year: {warnings:?}");
    let r = at(&env, IN_PERIOD, &["contract", "propose", &sample("proposal.toml")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("in response to call 1"), "{}", r.stdout);
    assert_eq!(contract_json(&env, "1")["call_id"], 1);
    // Closed: no more proposals.
    assert_eq!(at(&env, IN_PERIOD, &["call", "close", "1", "--note", "募集の取消し"]).code, 0);
    let r = at(&env, IN_PERIOD, &["contract", "propose", &sample("proposal.toml")]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    let r = at(&env, IN_PERIOD, &["call", "list", "--json"]);
    let l: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (l["calls"][0]["status"].as_str(), l["calls"][0]["ran_full_period"].as_bool()),
        (Some("closed"), Some(false))
    );
    assert!(l["warnings"].to_string().contains("fiscal year 2027"), "a call closed early does not count: {l}");
    // Journaled and proved like every row: a call edited outside tokumei is named.
    assert_eq!(env.tokumei(&["registry", "verify", "--registry", REG]).code, 0);
    sql(&env, "UPDATE calls SET open_until = '2027-12-31' WHERE id = 1");
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("calls row 1") && r.stderr.contains("edited outside tokumei"), "{}", r.stderr);
}

/// 法112条1項「募集に応じて」 with 法111: a proposal received while a call was open but entered after
/// it closed is recorded with `--received DAY` (the call open that day), the day and who entered it
/// late in its timeline and the audit log; a day outside every call, or after today, is refused.
#[test]
fn a_proposal_received_within_a_call_and_entered_after_it_closed_keeps_its_day_article_112() {
    let env = Env::new();
    init_registry(&env, REG, &sample_profile());
    let entry = repo().join("samples/registry/resident_file.toml");
    let rules = sample_rules();
    let r =
        env.tokumei(&["file", "add", entry.to_str().unwrap(), "--rules", rules.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(at(&env, IN_PERIOD, &["recipient", "add", &sample("recipient.toml")]).code, 0);
    // A call from 2027-06-01 to 2027-07-01; the proposal is entered on 2027-07-05.
    assert_eq!(at(&env, IN_PERIOD, &["call", "open", "--to", "2027-07-01"]).code, 0);
    const JULY_5: &str = "1814745600";
    let proposal = sample("proposal.toml");
    let r = at(&env, JULY_5, &["contract", "propose", &proposal]);
    assert_eq!(r.code, ExitCode::Registry.code(), "no call open today: {}", r.stderr);
    let log_before = std::fs::read(env.path("audit.log")).unwrap();
    for (day, why) in [("2027-05-31", "募集に応じて"), ("2027-07-06", "after today"), ("2027-6-20", "not a date")]
    {
        let r = at(&env, JULY_5, &["contract", "propose", &proposal, "--received", day]);
        assert_eq!(r.code, ExitCode::Registry.code(), "{day}: {}", r.stderr);
        assert!(r.stderr.contains(why), "{day}: {}", r.stderr);
    }
    assert_eq!(std::fs::read(env.path("audit.log")).unwrap(), log_before, "refusals write nothing");
    let r = at(&env, JULY_5, &["contract", "propose", &proposal, "--received", "2027-06-20"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("in response to call 1"), "{}", r.stdout);
    let c = contract_json(&env, "1");
    assert_eq!(c["call_id"], 1);
    let note = c["history"][0]["note"].as_str().unwrap_or_default().to_string();
    assert!(
        note.starts_with("in response to call 1 (法111); received 2027-06-20, entered late on 2027-07-05 by "),
        "{c}"
    );
    let log = std::fs::read_to_string(env.path("audit.log")).unwrap();
    assert!(log.contains("received 2027-06-20, entered late on 2027-07-05"), "in the audit log");
    assert_eq!(env.tokumei(&["registry", "verify", "--registry", REG]).code, 0);
}

/// 法117: the ファイル簿 entry of the data made (people by the subject identifier, items, the office
/// receiving 法118 proposals and their period) is made in the change that publishes the release;
/// `file book` writes the book to publish (法75) as HTML and CSV, never over an earlier one; 法119条3項:
/// every part of an hour is billed, the contractor's cost added.
#[test]
fn the_file_book_is_entered_on_creation_and_written_to_publish_article_117_75() {
    let env = Env::new();
    proposed(&env);
    let r = env.tokumei(&["contract", "review", "1", "--review", &sample("review.toml"), "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(advance(&env, "1", "fit", &[]).code, 0);
    let r = advance(&env, "1", "fee_paid", &["--hours", "2.5", "--contractor-cost", "100000"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let c = contract_json(&env, "1");
    assert_eq!(c["fee_yen"], 21_000 + 3 * 3_950 + 100_000, "2.5 hours billed as 3, plus the contractor's cost");
    assert_eq!(c["fee_basis"]["hours_billed"], 3);
    assert_eq!(advance(&env, "1", "contracted", &[]).code, 0);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    assert_eq!(run_under(&env, &job, "1", IN_PERIOD).code, 0);
    let release = env.latest();
    let people = report(&release)["people"]["people_out"].as_u64().unwrap();
    let release = release.file_name().unwrap().to_str().unwrap().to_string();
    // The entry was made by the publishing change itself.
    let entries: Vec<serde_json::Value> = std::fs::read_to_string(env.path("audit.log"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let published = entries.iter().find(|e| e["action"] == "registry-release-published").expect("published");
    assert!(published["details"]["rows"].to_string().contains("\"files\""), "{published}");
    let r = env.tokumei(&["file", "show", "住民基本台帳ファイル", "--registry", REG, "--json"]);
    let f: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let e = &f["created_anonymised"][0];
    assert_eq!(e["release"], release.as_str());
    assert_eq!(e["people"], people, "people counted by the subject identifier, not rows");
    assert!(e["people_counted_by"].as_str().unwrap().contains("宛名番号"), "{e}");
    assert_eq!((e["proposals_from"].as_str(), e["proposals_until"].as_str()), (Some("2027-06-01"), Some("2028-05-30")));
    assert!(e["proposal_office"].as_str().unwrap().contains("企画政策課"), "{e}");
    let r = env.tokumei(&["file", "show", "住民基本台帳ファイル", "--registry", REG]);
    assert!(r.stdout.contains("法118 proposals to") && r.stdout.contains("2028-05-30"), "{}", r.stdout);
    // The book to publish.
    let r = env.tokumei(&["file", "book", "--out", "book", "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let html = std::fs::read_to_string(env.path("book/file-book.html")).unwrap();
    let csv = std::fs::read_to_string(env.path("book/file-book.csv")).unwrap();
    for text in [&html, &csv] {
        assert!(text.contains("住民基本台帳ファイル") && text.contains("企画政策課"), "{text}");
        assert!(text.contains(&format!("本人の数 {people}人")) && text.contains("2028-05-30まで"), "{text}");
        assert!(text.contains("法117条"), "{text}");
    }
    let again = env.tokumei(&["file", "book", "--out", "book", "--registry", REG]);
    assert_eq!(again.code, ExitCode::Output.code(), "the book is never overwritten: {}", again.stderr);
    // A file open to proposals without the office receiving them is refused (法110条2号); one of
    // fewer than 1,000 people is warned about.
    let text = std::fs::read_to_string(repo().join("samples/registry/resident_file.toml")).unwrap();
    let no_office: String = text
        .replace("name = \"住民基本台帳ファイル\"", "name = \"国保ファイル\"")
        .lines()
        .filter(|l| !l.starts_with("proposal_office"))
        .map(|l| format!("{l}\n"))
        .collect();
    let p = env.write("no_office.toml", &no_office);
    let r = env.tokumei(&["file", "add", p.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("法110条2号"), "{}", r.stderr);
    let small = text
        .replace("name = \"住民基本台帳ファイル\"", "name = \"小ファイル\"")
        .replace("people = 10000", "people = 800");
    let p = env.write("small.toml", &small);
    let r = env.tokumei(&["file", "add", p.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("warning") && r.stderr.contains("fewer than 1000"), "{}", r.stderr);
    assert_eq!(env.tokumei(&["registry", "verify", "--registry", REG]).code, 0);
}

/// 法118: a third party proposes on the data made (no call, within the period entered under
/// 法117条3号), and a contractor's change of business is a proposal of its own; both are reviewed
/// under 法114条1項1号 and 4号-7号 (法118条2項), notified, paid for under 法119条4項 and concluded as
/// new contracts. The old shortcut (`change_of_use` then `contracted` with a note) is refused.
#[test]
fn article_118_proposals_and_a_change_of_use_are_reviewed_paid_and_contracted_article_118_119() {
    let env = Env::new();
    contracted(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    assert_eq!(run_under(&env, &job, "1", IN_PERIOD).code, 0);
    let release = env.latest().file_name().unwrap().to_str().unwrap().to_string();
    let ok = |r: Run| assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // The old shortcut.
    let r = at(&env, IN_PERIOD, &["contract", "advance", "1", "--to", "change_of_use", "--note", "事業の変更"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("contract propose") && r.stderr.contains("法119条4項"), "{}", r.stderr);
    // A third party's proposal on the release: no call is needed (the call is closed).
    ok(at(&env, IN_PERIOD, &["call", "close", "1", "--note", "募集期間の終了"]));
    let other = recipient_as(&env, "other.toml", "見本リサーチ合同会社", "");
    ok(at(&env, IN_PERIOD, &["recipient", "add", &other]));
    let text = std::fs::read_to_string(sample("proposal_118.toml")).unwrap().replace("RELEASE_ID", &release);
    let p118 = env.write("p118.toml", &text);
    // Outside the period entered in the ファイル簿 (法117条3号): refused.
    let r = at(&env, NEXT_JUNE, &["contract", "propose", p118.to_str().unwrap()]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("法117条3号"), "{}", r.stderr);
    ok(at(&env, IN_PERIOD, &["contract", "propose", p118.to_str().unwrap()]));
    let c = contract_json(&env, "2");
    assert_eq!((c["kind"].as_str(), c["parent_id"].as_i64()), (Some("article118"), Some(1)));
    assert_eq!(c["file"], "住民基本台帳ファイル");
    // Its review has 1号 and 4号-7号 only.
    let r = at(&env, IN_PERIOD, &["contract", "review", "2", "--review", &sample("review.toml")]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("does not apply to a 法118 proposal"), "{}", r.stderr);
    ok(at(&env, IN_PERIOD, &["contract", "review", "2", "--review", &sample("review_118.toml")]));
    ok(at(&env, IN_PERIOD, &["contract", "advance", "2", "--to", "fit"]));
    let r = at(&env, IN_PERIOD, &["contract", "advance", "2", "--to", "fee_paid", "--hours", "1"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "no hours for data already made: {}", r.stderr);
    ok(at(&env, IN_PERIOD, &["contract", "advance", "2", "--to", "fee_paid", "--fee-yen", "21000"]));
    assert_eq!(contract_json(&env, "2")["fee_basis"]["article"], "法119条4項");
    ok(at(&env, IN_PERIOD, &["contract", "advance", "2", "--to", "contracted"]));
    // Nothing is made under it; the data made are provided.
    let r = run_under(&env, &job, "2", JULY);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("法118 contract"), "{}", r.stderr);
    ok(at(
        &env,
        JULY,
        &["release", "provide", &release, "--contract", "2", "--medium", "手交", "--receipt", "受領書 第2号"],
    ));
    assert_eq!(contract_json(&env, "2")["state"], "provided");
    // The contractor changes its business: a proposal of its own.
    ok(at(&env, JULY, &["contract", "propose", &sample("change_of_use.toml")]));
    assert_eq!(contract_json(&env, "1")["state"], "change_of_use");
    let r = at(&env, JULY, &["contract", "advance", "1", "--to", "contracted", "--note", "変更を承認"]);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("contract 3"), "{}", r.stderr);
    ok(at(&env, JULY, &["contract", "review", "3", "--review", &sample("review_118.toml")]));
    ok(at(&env, JULY, &["contract", "advance", "3", "--to", "fit"]));
    ok(at(&env, JULY, &["contract", "advance", "3", "--to", "fee_paid", "--fee-yen", "12600"]));
    ok(at(&env, JULY, &["contract", "advance", "3", "--to", "contracted"]));
    assert_eq!(contract_json(&env, "1")["state"], "use_ended", "the old business ended with the new contract");
    let c = contract_json(&env, "3");
    assert_eq!(
        (c["kind"].as_str(), c["parent_id"].as_i64(), c["fee_yen"].as_i64()),
        (Some("change_of_use"), Some(1), Some(12_600))
    );
    let r = at(&env, JULY, &["contract", "record", "3"]);
    assert!(
        r.stdout.contains("法118条1項後段") && r.stdout.contains("法119条4項") && r.stdout.contains(&release),
        "{}",
        r.stdout
    );
    assert_eq!(env.tokumei(&["registry", "verify", "--registry", REG]).code, 0);
}

/// Allowing a rule file for a file (法114条1項3号: the method reviewed) allows the hierarchy files
/// it names as they were: a hierarchy file changed afterwards (finer groups under the same level
/// number) makes the rules not the allowed ones, and the run is refused before anything is read.
#[test]
fn a_hierarchy_file_changed_after_its_rules_were_allowed_is_not_allowed() {
    let env = Env::new();
    contracted(&env);
    let rules = std::fs::read_to_string(sample_rules()).unwrap();
    let generalised = rules.replace(
        "name = \"性別\"\nrole = \"quasi_identifier\"\naction = \"keep\"",
        "name = \"性別\"\nrole = \"quasi_identifier\"\naction = \"generalize\"\nhierarchy_file = \"sex.csv\"\nlevel = 1\noutput = \"性別\"",
    );
    assert_ne!(generalised, rules);
    env.write("sex.csv", "男;*\n女;*\n");
    let p = env.write("sex_rules.toml", &generalised);
    let r = env.tokumei(&[
        "file",
        "allow-rules",
        "住民基本台帳ファイル",
        "--rules",
        p.to_str().unwrap(),
        "--registry",
        REG,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let job = env.job("sex_rules", &sample_csv(), &p, "");
    // As allowed: published, and the release records the digest the registry allowed.
    let r = run_under(&env, &job, "1", IN_PERIOD);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let allowed = report(&env.latest())["rules_sha256"].as_str().unwrap().to_string();
    use sha2::Digest;
    assert_ne!(
        allowed,
        hex::encode(sha2::Sha256::digest(generalised.as_bytes())),
        "the digest covers the hierarchy file, not the rule file alone"
    );
    // The hierarchy file edited (the same rule file byte for byte): refused, nothing written.
    let before = env.out_files().len();
    env.write("sex.csv", "男;男\n女;女\n");
    let r = run_under(&env, &job, "1", IN_PERIOD);
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("not one allowed"), "{}", r.stderr);
    assert_eq!(env.out_files().len(), before, "nothing written");
    // Put back as it was: allowed again.
    env.write("sex.csv", "男;*\n女;*\n");
    assert_eq!(run_under(&env, &job, "1", IN_PERIOD).code, 0);
}

/// The contract's record (提供記録) is a Japanese document: no English line, no English state,
/// status or check in it (the JSON form keeps the registry's own words).
#[test]
fn the_contract_record_is_entirely_in_japanese() {
    let env = Env::new();
    contracted(&env);
    let job = env.job("resident", &sample_csv(), &sample_rules(), "");
    assert_eq!(run_under(&env, &job, "1", IN_PERIOD).code, 0);
    let release = env.latest().file_name().unwrap().to_str().unwrap().to_string();
    let r = env.tokumei_with(
        &[
            "release",
            "provide",
            &release,
            "--registry",
            REG,
            "--medium",
            "暗号化USBメモリ",
            "--receipt",
            "受領書 第12号",
        ],
        &[("TOKUMEI_NOW", IN_PERIOD)],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.tokumei(&["contract", "record", "1", "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // What may be Latin is what people wrote (the contact's e-mail, the rule file's path in the
    // method, the medium, the operator's name), the release id and UTC times.
    let mut text = r.stdout.replace(&release, "");
    for theirs in ["data@example.invalid", "rules/resident_registry.toml", "USB", "tester", "レコードID"] {
        text = text.replace(theirs, "");
    }
    for line in text.lines() {
        let words: Vec<&str> =
            line.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| w.len() >= 2 && *w != "T" && *w != "Z").collect();
        let words: Vec<&&str> = words.iter().filter(|w| !w.chars().all(|c| c == 'T' || c == 'Z')).collect();
        assert!(words.is_empty(), "English in the Japanese record: {words:?} in `{line}`\n{}", r.stdout);
    }
    for needle in ["契約締結", "審査", "適合", "法113条", "株式会社見本データ分析"] {
        assert!(r.stdout.contains(needle), "the record lacks {needle}:\n{}", r.stdout);
    }
}

/// Audit of issue 28, gap 3: the file book's CSV uses the shared formula guard, full-width
/// `＝＋－＠` included (a Japanese spreadsheet reads them as the ASCII ones).
#[test]
fn the_file_book_csv_shows_a_full_width_formula_as_text() {
    let env = Env::new();
    init_registry(&env, REG, &sample_profile());
    let text = std::fs::read_to_string(repo().join("samples/registry/resident_file.toml")).unwrap();
    let purpose = "＝HYPERLINK(\"http://example.invalid\",\"住民の事務\")";
    let entry: String = text
        .lines()
        .map(|l| if l.starts_with("purpose ") { format!("purpose = '{purpose}'\n") } else { format!("{l}\n") })
        .collect();
    let p = env.write("formula.toml", &entry);
    let rules = repo().join("rules/resident_registry.toml");
    let r = env.tokumei(&["file", "add", p.to_str().unwrap(), "--rules", rules.to_str().unwrap(), "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.tokumei(&["file", "book", "--out", "book", "--registry", REG]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let csv = std::fs::read_to_string(env.path("book/file-book.csv")).unwrap();
    assert!(csv.contains("\"'＝HYPERLINK(\"\"http://example.invalid\"\""), "{csv}");
    assert!(!csv.contains(",\"＝HYPERLINK"), "{csv}");
}

/// Audit of issue 28, gap 4: the entries the registry writes when no officer acts (the seal of
/// a full check) keep the run clock (`TOKUMEI_NOW`), as its changes do.
#[test]
fn a_full_checks_seal_keeps_the_run_clock() {
    let env = Env::new();
    // 2030-01-01T00:00:00Z, far from the system clock.
    let now = [("TOKUMEI_NOW", "1893456000")];
    let profile = env.write("profile.toml", &sample_profile());
    let init =
        ["registry", "init", "--registry", REG, "--profile", profile.to_str().unwrap(), "--audit-log", "audit.log"];
    assert_eq!(env.tokumei_with(&init, &now).code, 0);
    // Rewritten by SQLite without a change of a row: no seal matches, the full check passes.
    rusqlite::Connection::open(env.path(REG)).unwrap().execute_batch("VACUUM;").unwrap();
    let entry = repo().join("samples/registry/resident_file.toml");
    let rules = repo().join("rules/resident_registry.toml");
    let add = ["file", "add", entry.to_str().unwrap(), "--rules", rules.to_str().unwrap(), "--registry", REG];
    let r = env.tokumei_with(&add, &now);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let entries: Vec<serde_json::Value> = std::fs::read_to_string(env.path("audit.log"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let verified = entries.iter().find(|e| e["action"] == "registry-verified").expect("a full check's seal");
    assert_eq!(verified["time"], "2030-01-01T00:00:00Z", "{verified}");
    assert!(verified["clock"].as_str().is_some_and(|c| c.contains("TOKUMEI_NOW")), "{verified}");
    let conn = rusqlite::Connection::open(env.path(REG)).unwrap();
    let times: Vec<String> = conn
        .prepare("SELECT time FROM changes")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!times.is_empty() && times.iter().all(|t| t == "2030-01-01T00:00:00Z"), "{times:?}");
}

/// Audit of issue 28, gap 2: a registry whose audit log is kept outside its folder knows where
/// it lives. A copy of its folder is refused (it would write into the original's log) until an
/// officer records that it lives there now; the original's log is untouched meanwhile.
#[test]
fn a_copied_registry_whose_log_is_elsewhere_is_refused_until_its_move_is_recorded() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("logs")).unwrap();
    let profile = env.write("profile.toml", &sample_profile());
    let r = env.tokumei(&[
        "registry",
        "init",
        "--registry",
        REG,
        "--profile",
        profile.to_str().unwrap(),
        "--audit-log",
        "logs/audit.log",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::create_dir_all(env.path("copy")).unwrap();
    rusqlite::Connection::open(env.path(REG)).unwrap().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    std::fs::copy(env.path(REG), env.path("copy/registry.sqlite")).unwrap();
    let log_before = std::fs::read_to_string(env.path("logs/audit.log")).unwrap();
    let entry = repo().join("samples/registry/resident_file.toml");
    let rules = repo().join("rules/resident_registry.toml");
    let add = |reg: &str| {
        env.tokumei(&["file", "add", entry.to_str().unwrap(), "--rules", rules.to_str().unwrap(), "--registry", reg])
    };
    let r = add("copy/registry.sqlite");
    assert_eq!(r.code, ExitCode::Registry.code(), "{}", r.stderr);
    assert!(r.stderr.contains("records it at") && r.stderr.contains("registry reset"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(env.path("logs/audit.log")).unwrap(), log_before, "nothing written");
    let r = env.tokumei(&["registry", "verify", "--registry", REG]);
    assert_eq!(r.code, 0, "the original still verifies: {}{}", r.stdout, r.stderr);
    // The officer records the move; the copy is the registry from then on.
    let reason = "moved to the copy folder; the old folder is to be deleted";
    let r = env.tokumei(&["registry", "reset", "--registry", "copy/registry.sqlite", "--reason", reason]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(add("copy/registry.sqlite").code, 0);
    assert_eq!(add(REG).code, ExitCode::Registry.code(), "the original at its old place is refused now");
}
