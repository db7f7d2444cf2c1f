//! The Japanese words of the registry's records: contract states, release statuses, the checks
//! and notes the registry wrote in English, and what a fee was computed from (法119). What people
//! wrote is theirs and passes as it is.

/// A contract state in Japanese (the record's words; the registry keeps its own).
pub fn state_ja(state: &str) -> String {
    match state {
        "received" => "提案受付",
        "corrections_requested" => "補正依頼",
        "reviewed" => "審査済み",
        "fit" => "適合の通知",
        "not_fit" => "不適合の通知",
        "fee_paid" => "手数料納付",
        "contracted" => "契約締結",
        "created" => "作成",
        "provided" => "提供",
        "register_updated" => "ファイル簿更新",
        "use_ended" => "利用終了",
        "closed" => "完了",
        "change_of_use" => "利用の変更",
        "cancelled" => "契約解除",
        "withdrawn" => "取下げ",
        "-" => "-",
        other => return format!("その他の状態（{other}）"),
    }
    .to_string()
}

/// A release's status in Japanese.
pub fn release_status_ja(status: &str) -> String {
    match status {
        "publishing" => "公開処理中",
        "published" => "作成済み",
        "abandoned" => "中断（未公開）",
        other => return format!("その他の状態（{other}）"),
    }
    .to_string()
}

/// The numbers in `text`, in order.
fn numbers(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_digit()).filter(|n| !n.is_empty()).map(String::from).collect()
}

/// The item and evidence of a check the registry computed, in Japanese (the reviewer's own
/// checks are the reviewer's words).
pub fn check_ja(item: &str, evidence: &str) -> (String, String) {
    let n = numbers(evidence);
    let (item, evidence) = match item {
        "法114条1項1号 (法113条5号, 法120: no cancellation within 2 years)" => (
            "法114条1項1号（法113条5号: 法120条により契約を解除されて2年を経過しない者でないこと）",
            no_cancellation(evidence),
        ),
        "法114条1項2号 (people: at least the Rules' minimum, at most the file's)" => {
            ("法114条1項2号（提案に係る本人の数が規則の下限以上かつファイルの記録人数以下）", people(&n, evidence))
        }
        "法114条1項5号 (use period within the body's maximum)" => {
            ("法114条1項5号（利用期間が本市の定める上限以内）", use_period(&n, evidence))
        }
        // The words of registries made before the review items followed the statute's numbering.
        "法113条 (法120: no cancellation within 2 years)" => {
            ("法113条（法120条により契約を解除されて2年を経過しない者でないこと）", no_cancellation(evidence))
        }
        "法114条1項 (people within the rule minimum and the file)" => {
            ("法114条1項（提案に係る本人の数が規則の下限以上かつファイルの記録人数以下）", people(&n, evidence))
        }
        "法114条1項 (use period within the rule maximum)" => {
            ("法114条1項（利用期間が規則の上限以内）", use_period(&n, evidence))
        }
        _ => return (item.to_string(), evidence.to_string()),
    };
    (item.to_string(), evidence)
}

/// The evidence of the check that the business has no contract cancelled within 2 years.
fn no_cancellation(evidence: &str) -> String {
    match evidence.strip_prefix("a contract of the business was cancelled: ") {
        Some(why) => format!("当該事業者の契約が解除されている（{}）", barred_ja(why)),
        None => {
            "過去2年以内に解除された当該事業者の契約は登録簿にない（名称の表記違い・法人番号による同一事業者を含む）"
                .into()
        }
    }
}

/// The evidence of the check of the number of people (asked, the minimum, the file's).
fn people(n: &[String], evidence: &str) -> String {
    match n {
        [asked, min, file] => format!("提案の本人の数 {asked}人、規則の下限 {min}人、ファイルの記録人数 {file}人"),
        _ => evidence.to_string(),
    }
}

/// The evidence of the check of the use period (asked, the maximum).
fn use_period(n: &[String], evidence: &str) -> String {
    match n {
        [asked, max] => format!("提案の利用期間 {asked}日、上限 {max}日"),
        _ => evidence.to_string(),
    }
}

/// A bar (法120) as the registry words it, in Japanese.
pub fn barred_ja(why: &str) -> String {
    // `recipient `NAME` (id N) is barred until DATE (法120: ...)`
    match (why.split_once(" is barred until "), why.find('`'), why.rfind('`')) {
        (Some((_, rest)), Some(a), Some(b)) if b > a => {
            let until = rest.split(' ').next().unwrap_or_default();
            format!("提供先「{}」は{until}まで提案できない（法120条による解除）", &why[a + 1..b])
        }
        _ => "法120条による解除".into(),
    }
}

/// A transition's note as the registry words it, in Japanese (an officer's own note as it is).
pub fn note_ja(note: &str) -> String {
    if let Some(rest) = note.strip_prefix("reviewed by ") {
        return match rest.rsplit_once(": ") {
            Some((who, "every check met")) => format!("審査者 {who}：全ての項目に適合"),
            Some((who, _)) => format!("審査者 {who}：適合しない項目あり"),
            None => format!("審査者 {rest}"),
        };
    }
    // The notes of proposals answering a call and of a contractor's change of business.
    if let Some(call) = note.strip_prefix("in response to call ").and_then(|r| r.strip_suffix(" (法111)")) {
        return format!("提案の募集 {call} に応じた提案（法111条）");
    }
    // A proposal entered after the day it was received (`contract propose --received`).
    if let Some((head, late)) =
        note.split_once("; received ").or_else(|| note.strip_prefix("received ").map(|l| ("", l)))
        && let Some((day, rest)) = late.split_once(", entered late on ")
        && let Some((entered, by)) = rest.split_once(" by ")
    {
        let head = if head.is_empty() { String::new() } else { format!("{}。", note_ja(head)) };
        return format!("{head}{day}に受け付け、{entered}に{by}が遅れて記録");
    }
    if let Some(id) =
        note.strip_prefix("change of business proposed: contract ").and_then(|r| r.strip_suffix(" (法118条1項後段)"))
    {
        return format!("事業の変更の提案（契約 {id}、法118条1項後段）");
    }
    if let Some(id) = note
        .strip_prefix("the business changed: the data are used under contract ")
        .and_then(|r| r.strip_suffix(" from now on (法118条1項後段)"))
    {
        return format!("事業の変更により、以後は契約 {id} により利用（法118条1項後段）");
    }
    if let Some(rest) = note.strip_prefix("the change of business (contract ") {
        if let Some(id) = rest.strip_suffix(") was notified not fit: the contract continues as before") {
            return format!("事業の変更の提案（契約 {id}）は不適合と通知された：従前の契約が継続");
        }
        if let Some(id) = rest.strip_suffix(") was withdrawn: the contract continues as before") {
            return format!("事業の変更の提案（契約 {id}）は取り下げられた：従前の契約が継続");
        }
    }
    if let Some(rest) = note.strip_prefix("release ") {
        // `release ID on DAY (MEDIUM; receipt RECEIPT)`, or `release ID`.
        return match rest.split_once(" on ") {
            Some((id, rest)) => match rest.split_once(" (").and_then(|(day, r)| Some((day, r.strip_suffix(')')?))) {
                Some((day, inner)) => match inner.rsplit_once("; receipt ") {
                    Some((medium, receipt)) => format!("リリース {id} を {day} に{medium}で提供（受領 {receipt}）"),
                    None => format!("リリース {id} を {day} に提供（{inner}）"),
                },
                None => format!("リリース {id}（{rest}）"),
            },
            None => format!("リリース {rest}"),
        };
    }
    note.to_string()
}

/// What a fee was computed from, in words (法119).
pub fn fee_words(basis: Option<&serde_json::Value>) -> String {
    let Some(b) = basis else { return "-".into() };
    let n = |k: &str| b[k].as_i64().unwrap_or(0);
    match b["article"].as_str() {
        Some("法119条3項") => format!(
            "法119条3項: {} + {} × {} 時間（{} 時間の作業、1時間未満の端数は1時間） + 委託費 {}",
            n("base_yen"),
            n("per_hour_yen"),
            n("hours_billed"),
            b["hours"],
            n("contractor_cost_yen")
        ),
        Some("法119条4項") => format!(
            "法119条4項: {}（{}）",
            n("amount_yen"),
            if b["source"] == "profile" { "条例の額（プロファイル）" } else { "条例の額（入力）" }
        ),
        _ => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_statuses_are_japanese_and_an_unknown_one_is_named() {
        assert_eq!(state_ja("contracted"), "契約締結");
        assert_eq!(state_ja("new"), "その他の状態（new）");
        assert_eq!(release_status_ja("abandoned"), "中断（未公開）");
    }

    #[test]
    fn computed_checks_are_worded_in_japanese_and_the_reviewers_own_pass_as_they_are() {
        let (item, evidence) = check_ja(
            "法114条1項1号 (法113条5号, 法120: no cancellation within 2 years)",
            "a contract of the business was cancelled: recipient `株式会社A` (id 3) is barred until 2027-04-01 (法120: x)",
        );
        assert!(item.starts_with("法114条1項1号（法113条5号"), "{item}");
        assert_eq!(
            evidence,
            "当該事業者の契約が解除されている（提供先「株式会社A」は2027-04-01まで提案できない（法120条による解除））"
        );
        let (_, evidence) =
            check_ja("法114条1項 (people within the rule minimum and the file)", "asked 1000, minimum 1000, file 5000");
        assert_eq!(evidence, "提案の本人の数 1000人、規則の下限 1000人、ファイルの記録人数 5000人");
        let (_, evidence) = check_ja("法114条1項 (use period within the rule maximum)", "no numbers");
        assert_eq!(evidence, "no numbers");
        assert_eq!(check_ja("自分の項目", "根拠"), ("自分の項目".to_string(), "根拠".to_string()));
    }

    #[test]
    fn notes_the_registry_wrote_are_japanese() {
        assert_eq!(note_ja("reviewed by 佐藤: every check met"), "審査者 佐藤：全ての項目に適合");
        assert_eq!(note_ja("in response to call 2 (法111)"), "提案の募集 2 に応じた提案（法111条）");
        assert_eq!(
            note_ja("in response to call 2 (法111); received 2026-11-30, entered late on 2026-12-02 by 佐藤"),
            "提案の募集 2 に応じた提案（法111条）。2026-11-30に受け付け、2026-12-02に佐藤が遅れて記録"
        );
        assert_eq!(
            note_ja("release R1 on 2026-01-05 (USB; receipt 受-1)"),
            "リリース R1 を 2026-01-05 にUSBで提供（受領 受-1）"
        );
        assert_eq!(note_ja("担当者のメモ"), "担当者のメモ");
    }

    #[test]
    fn a_fee_says_what_it_was_computed_from() {
        assert_eq!(fee_words(None), "-");
        let b = serde_json::json!({"article": "法119条3項", "base_yen": 21000, "per_hour_yen": 3950,
            "hours_billed": 3, "hours": "2.5", "contractor_cost_yen": 0});
        assert_eq!(
            fee_words(Some(&b)),
            "法119条3項: 21000 + 3950 × 3 時間（\"2.5\" 時間の作業、1時間未満の端数は1時間） + 委託費 0"
        );
    }
}
