//! Values parsed where they are declared: `--help` lists the registry's words, and a value the
//! registry refuses is refused before anything runs (clap names the value and the choices),
//! with the exit code the registry's refusal has (9); a word of a list the CLI owns is a usage
//! error (2).

use crate::util::*;
use tokumei_engine::ExitCode;

#[test]
fn the_registry_s_words_are_listed_and_a_bad_value_is_refused_before_anything_runs() {
    let env = Env::new();
    let help = env.tokumei(&["request", "decide", "--help"]);
    assert_eq!(help.code, 0);
    let decisions = "[possible values: full, partial, refused, existence_refused, not_held, accepted, rejected]";
    assert!(help.stdout.contains(decisions), "{}", help.stdout);
    let help = env.tokumei(&["incident", "notify", "--help"]);
    assert!(help.stdout.contains("[possible values: mail, phone, email, hand, other]"), "{}", help.stdout);
    for args in [
        &["request", "decide", "1", "--decision", "granted"][..],
        &["request", "notice", "1", "--kind", "letter", "--to", "本人"],
        &["request", "close", "1", "--reason", "取下げ", "--date", "2027/04/01"],
        &["request", "carry-out", "1", "--method", "閲覧", "--chosen", "令和9年4月1日"],
        &["incident", "filed", "1", "--stage", "draft", "--reference", "x"],
        &["incident", "notify", "1", "--all", "--method", "fax", "--at", "2027-06-01"],
        &["incident", "except", "1", "--all", "--ground", "unknown", "--note", "x"],
        &["contract", "advance", "1", "--to", "fee_paid", "--hours", "many"],
        &["call", "open", "--to", "2027-02-30"],
        &["release", "destroyed", "r", "--how", "消去", "--date", "20270401"],
    ] {
        let r = env.tokumei(args);
        assert_eq!(r.code, ExitCode::Registry.code(), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("invalid value"), "{args:?}: {}", r.stderr);
    }
    // Refused while parsing: no registry was opened (none is made where there is none).
    assert!(!env.path("reports").exists());
    let r = env.tokumei(&["incident", "report", "1", "--stage", "draft"]);
    assert_eq!(r.code, ExitCode::Usage.code(), "{}", r.stderr);
    assert!(r.stderr.contains("[possible values: preliminary, final]"), "{}", r.stderr);
}
