//! The command line's documented contract: every exit code in `--help`, the README and
//! docs/cli.md, from the one enum the binary uses.

use crate::util::*;
use tokumei_engine::ExitCode;

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_exit_code_is_documented_where_users_look() {
    let help = Env::new().tokumei(&["--help"]);
    assert_eq!(help.code, 0);
    let readme = flat(&std::fs::read_to_string(repo().join("README.md")).unwrap());
    let cli = flat(&std::fs::read_to_string(repo().join("docs/cli.md")).unwrap());
    for c in ExitCode::ALL {
        let (n, m) = (c.code(), c.meaning());
        assert!(help.stdout.contains(&format!("  {n}  {m}")), "--help lacks {n} {m}");
        assert!(readme.contains(&format!("`{n}` {m}")), "README lacks `{n}` {m}");
        assert!(cli.contains(&format!("| {n} | {m}")), "docs/cli.md lacks | {n} | {m}");
    }
}

#[test]
fn a_usage_error_exits_with_the_usage_code() {
    let r = Env::new().tokumei(&["run"]);
    assert_eq!(r.code, ExitCode::Usage.code(), "{}", r.stderr);
    let r = Env::new().tokumei(&["risk", "x.csv", "--qi", "a", "--encoding", "latin1"]);
    assert_eq!(r.code, ExitCode::Usage.code(), "{}", r.stderr);
}

#[test]
fn the_documented_options_of_each_action_are_the_ones_it_takes() {
    let docs = std::fs::read_to_string(repo().join("docs/rules.md")).unwrap();
    let section = &docs[docs.find("### Actions").unwrap()..];
    for def in tokumei_rules::ACTION_DEFS {
        let row = section
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", def.name)))
            .unwrap_or_else(|| panic!("docs/rules.md has no row for action {}", def.name));
        let cell = row.split('|').nth(2).unwrap();
        let mut documented: Vec<&str> = cell
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect();
        documented.sort();
        documented.dedup();
        let mut actual: Vec<&str> = def.options.to_vec();
        actual.sort();
        assert_eq!(documented, actual, "options of {} in docs/rules.md", def.name);
    }
}

/// docs/rules.md's `[privacy]` table is the code's: every key the rules accept, in order, with
/// the meaning validation and the models document.
#[test]
fn the_documented_privacy_keys_are_the_ones_the_rules_take() {
    let docs = std::fs::read_to_string(repo().join("docs/rules.md")).unwrap();
    let section = &docs[docs.find("## `[privacy]`").unwrap()..];
    let documented: Vec<(String, String)> = section
        .lines()
        .skip_while(|l| !l.starts_with("| `"))
        .take_while(|l| l.starts_with("| `"))
        .map(|row| {
            let cells: Vec<&str> = row.split(" | ").collect();
            (
                cells[0].trim_start_matches("| ").trim_matches('`').to_string(),
                cells[1..].join(" | ").trim_end_matches(" |").to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> =
        tokumei_rules::privacy_key_docs().iter().map(|(k, d)| (k.to_string(), d.to_string())).collect();
    let table: String = expected.iter().map(|(k, d)| format!("| `{k}` | {d} |\n")).collect();
    assert_eq!(documented, expected, "docs/rules.md's [privacy] table should read:\n{table}");
}
