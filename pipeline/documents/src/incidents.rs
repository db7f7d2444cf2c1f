//! The documents of a leak incident: the 法68 (法26) report and the My Number report drafts,
//! the record of a contract incident, the letters to the people and their mail-merge list, and
//! the assessment in words.

use crate::html::{escape, kv_table, page};
use tokumei_registry::{Notice, StoredIncident};

/// What the assessment of an incident says, line by line (as `incident open`, `update` and
/// `show` print it).
pub fn assessment_lines(i: &StoredIncident) -> Vec<String> {
    let mut out = Vec::new();
    let a = &i.assessment;
    out.push(format!("  regime         {}", a.regime_label));
    if let Some(n) = &a.event_note {
        out.push(format!("  event          {} — {n}", a.event));
    }
    out.push(format!("  people         {} ({})", i.scope.people, i.scope.basis));
    for t in &a.triggers {
        out.push(format!(
            "  trigger {}      {} {} — {}",
            t.code,
            if t.fired { "FIRED" } else { "no   " },
            t.name,
            t.why
        ));
    }
    for t in &a.my_number_triggers {
        out.push(format!(
            "  番号法 2条{}号  {} {} — {}",
            t.code,
            if t.fired { "FIRED" } else { "no   " },
            t.name,
            t.why
        ));
    }
    if let Some(x) = &a.exemption {
        out.push(format!("  exempt         {x}"));
    }
    let law = if a.regime == "article26" { "法26条" } else { "法68条" };
    if a.reports_due() {
        if !a.report_required {
            out.push(format!(
                "  {law}          no trigger of {law} fired: its report is not required (the My Number report is)"
            ));
        }
        if a.my_number_report {
            out.push(format!(
                "  My Number      特定個人情報: the report under 番号法29条の4第1項 is required{} (its own draft: `incident report`)",
                if a.report_required { " as well" } else { "" }
            ));
        }
        out.push(format!(
            "  reports due    速報 {} / 確報 {}{}",
            i.preliminary_due.as_deref().unwrap_or("-"),
            i.final_due.as_deref().unwrap_or("-"),
            if a.unlawful_purpose() { " (60 days: unlawful purpose)" } else { "" }
        ));
        if let Some(c) = &a.counting {
            out.push(format!("  counting       {} ({})", c.describe(), c.code));
        }
        out.push(format!(
            "  notices        {} people to notify ({})",
            i.notices.people,
            match (a.report_required, a.my_number_report) {
                (true, true) => format!("{law}2項, 番号法29条の4第2項"),
                (true, false) => format!("{law}2項"),
                _ => "番号法29条の4第2項".into(),
            }
        ));
    } else if a.regime == "contract" {
        out.push("  no report to the Commission: a contract incident. To consider:".to_string());
        for m in &a.contract_measures {
            out.push(format!("    - {m}"));
        }
    } else {
        out.push(
            "  no report to the Commission is required (no trigger fired, or exempt): keep this record".to_string(),
        );
    }
    out
}

/// The 法68 (or 法26) report draft as a Japanese document (the items of 規則44条 / 規則8条).
pub fn report_html(v: &serde_json::Value) -> String {
    // 法68 speaks of 保有個人情報, 法26 of 個人データ.
    let data = if v["regime_code"] == "article68" { "保有個人情報" } else { "個人データ" };
    let (item_label, people_label) = (
        format!("2 漏えい等が発生し、又は発生したおそれがある{data}の項目"),
        format!("3 漏えい等が発生し、又は発生したおそれがある{data}に係る本人の数"),
    );
    let s = words;
    let triggers = numbered(&v["triggers"], "");
    let rows = [
        ("報告者", format!("{}（{}）", s(&v["reporter"]["body"]), s(&v["reporter"]["actor"]))),
        (
            "区分",
            format!(
                "{}{}",
                s(&v["regime"]),
                if v["required"] == false { "（報告対象事態に該当しない: 任意の報告）" } else { "" }
            ),
        ),
        ("報告の種別", s(&v["stage_ja"])),
        (
            "発覚日（職員が知った日時）",
            format!("{}（{}）", s(&v["known"]["discovered"]), s(&v["known"]["discovered_by"])),
        ),
        ("1 概要", outline(v)),
        (item_label.as_str(), s(&v["items"])),
        (people_label.as_str(), format!("{} 人（{}）", s(&v["people"]), s(&v["people_basis"]))),
        ("4 原因", cause(v)),
        ("5 二次被害又はそのおそれの有無及びその内容", s(&v["secondary_harm"])),
        ("6 本人への対応の実施状況", s(&v["actions_towards_people"])),
        ("7 公表の実施状況", s(&v["public_announcement"])),
        ("8 再発防止のための措置", s(&v["prevention"])),
        ("9 その他参考となる事項", s(&v["other"])),
        ("報告対象となる事態", if triggers.is_empty() { "（該当なし）".into() } else { triggers.join(" / ") }),
        ("委託先", s(&v["outline"]["contractor"])),
        ("報告期限の計算", s(&v["counting"])),
    ];
    let rows: Vec<(&str, String)> = rows.iter().map(|(k, v)| (*k, v.clone())).collect();
    let mut body = kv_table(&rows);
    if v["my_number_report"] == true {
        body.push_str(&format!(
            "<p class=\"note\">特定個人情報を含むため、番号法第29条の4第1項に基づく報告も必要です（下書き: mynumber_report_{}.html）。</p>",
            escape(&s(&v["stage"]))
        ));
    }
    body.push_str(&format!(
        "<p class=\"note\">報告期限: {}。この文書は tokumei が登録簿の記録から作成した下書きです。提出前に内容を確認してください。</p>",
        escape(&s(&v["due"]))
    ));
    page(&format!("漏えい等報告書（{}）", s(&v["stage_ja"])), &body)
}

/// A draft's value in words (empty text: 未記入, null: なし, a list joined).
fn words(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) if s.is_empty() => "（未記入）".to_string(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "（なし）".into(),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map(String::from).unwrap_or_else(|| x.to_string()))
            .collect::<Vec<_>>()
            .join("、"),
        other => other.to_string(),
    }
}

/// Item 1 (概要): title, the event as the law names it (and why, when it differs from the
/// intake's kind), the summary.
fn outline(v: &serde_json::Value) -> String {
    let note = v["outline"]["event_note"].as_str().map(|n| format!("（{n}）")).unwrap_or_default();
    format!("{} — {}{note}。{}", words(&v["title"]), words(&v["outline"]["kind"]), words(&v["outline"]["summary"]))
}

/// Item 4 (原因): the text, the causes classified, the officer's reason why no unlawful purpose is
/// suspected when one was recorded.
fn cause(v: &serde_json::Value) -> String {
    let causes = v["outline"]["causes"].as_array().filter(|a| !a.is_empty()).map(|_| words(&v["outline"]["causes"]));
    format!(
        "{}{}{}",
        words(&v["cause"]),
        causes.map(|c| format!("（分類: {c}）")).unwrap_or_default(),
        v["no_unlawful_purpose_reason"]
            .as_str()
            .map(|r| format!("。不正の目的が疑われない理由（担当者の記録）: {r}"))
            .unwrap_or_default()
    )
}

/// The fired items of a draft's list (`code`, `name`, `why` each) as `{prefix}N号 name（why）`.
fn numbered(list: &serde_json::Value, prefix: &str) -> Vec<String> {
    let s = words;
    list.as_array()
        .into_iter()
        .flatten()
        .map(|t| format!("{prefix}{}号 {}（{}）", s(&t["code"]), s(&t["name"]), s(&t["why"])))
        .collect()
}

/// The My Number report draft as a Japanese document (番号法29条の4第1項, 報告規則3条の項目).
pub fn my_number_html(v: &serde_json::Value) -> String {
    let s = words;
    let events = numbered(&v["events"], "第2条第");
    let rows: Vec<(&str, String)> = vec![
        ("報告者", format!("{}（{}）", s(&v["reporter"]["body"]), s(&v["reporter"]["role"]))),
        ("根拠", format!("{}、{}", s(&v["law"]), s(&v["rule"]))),
        ("報告の種別", s(&v["stage_ja"])),
        (
            "発覚日（職員が知った日時）",
            format!("{}（{}）", s(&v["known"]["discovered"]), s(&v["known"]["discovered_by"])),
        ),
        ("1 概要", outline(v)),
        ("2 特定個人情報の項目", s(&v["items"])),
        ("3 特定個人情報に係る本人の数", format!("{} 人（{}）", s(&v["people"]), s(&v["people_basis"]))),
        ("4 原因", cause(v)),
        ("5 二次被害又はそのおそれの有無及びその内容", s(&v["secondary_harm"])),
        ("6 本人への対応の実施状況", s(&v["actions_towards_people"])),
        ("7 公表の実施状況", s(&v["public_announcement"])),
        ("8 再発防止のための措置", s(&v["prevention"])),
        ("9 その他参考となる事項", s(&v["other"])),
        ("報告対象となる事態（規則第2条）", if events.is_empty() { "（該当なし）".into() } else { events.join(" / ") }),
        ("個人情報保護法による報告", format!("{}（{}）", s(&v["appi_report"]["note"]), s(&v["appi_report"]["regime"]))),
        ("委託先", s(&v["outline"]["contractor"])),
        ("報告期限の計算", s(&v["counting"])),
    ];
    let mut body = kv_table(&rows);
    body.push_str(&format!(
        "<p class=\"note\">報告期限: {}。本人への通知も必要です（番号法第29条の4第2項）。この文書は tokumei が登録簿の記録から作成した下書きです。提出前に内容を確認してください。</p>",
        escape(&s(&v["due"]))
    ));
    page(&format!("特定個人情報の漏えい等に関する報告書（{}）", s(&v["stage_ja"])), &body)
}

/// The record of a contract incident (a leaked anonymised release): no report, the measures
/// to consider.
pub fn contract_record_html(i: &StoredIncident) -> String {
    let rows: Vec<(&str, String)> = vec![
        ("区分", i.assessment.regime_label.clone()),
        ("事案", i.facts.title.clone()),
        ("発覚日", format!("{}（{}）", i.facts.discovered, i.facts.discovered_by)),
        ("リリース", i.scope.release_id.clone().unwrap_or_default()),
        ("提供先", i.scope.recipient.clone().unwrap_or_default()),
        ("契約", i.scope.contract_id.map(|c| c.to_string()).unwrap_or_default()),
        (
            "提供記録",
            i.scope
                .provisions
                .iter()
                .map(|p| {
                    format!(
                        "{} {} {}",
                        p["date"].as_str().unwrap_or(""),
                        p["medium"].as_str().unwrap_or(""),
                        p["receipt"].as_str().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join(" / "),
        ),
        ("記録の件数", i.scope.records.to_string()),
        ("原因", i.facts.cause.clone()),
        ("検討すべき措置", i.assessment.contract_measures.join(" / ")),
    ];
    page("匿名加工情報の漏えい事案の記録（契約事案）", &kv_table(&rows))
}

/// What each person is told (規則45条 / 10条: outline, items, cause, secondary harm, other).
pub fn notice_fields(i: &StoredIncident) -> [(&'static str, String); 5] {
    let f = &i.facts;
    let items: Vec<&str> = i.scope.items.iter().map(|it| it.name.as_str()).collect();
    [
        (
            "概要",
            format!(
                "{}（{}）{}",
                f.title,
                i.event(),
                if f.report.summary.is_empty() { String::new() } else { format!("。{}", f.report.summary) }
            ),
        ),
        ("漏えい等が発生し、又は発生したおそれがある個人情報の項目", items.join("、")),
        ("原因", f.cause.clone()),
        (
            "二次被害又はそのおそれの有無及びその内容",
            if f.report.secondary_harm.is_empty() {
                "現在確認中です".into()
            } else {
                f.report.secondary_harm.clone()
            },
        ),
        (
            "その他参考となる事項",
            if f.report.other.is_empty() {
                "ご不明な点は下記の窓口までお問い合わせください".into()
            } else {
                f.report.other.clone()
            },
        ),
    ]
}

/// The letter to one person.
pub fn notice_letter(body: &str, i: &StoredIncident, name: &str) -> String {
    let event = i.event();
    let fields = notice_fields(i);
    let rows: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, v.clone())).collect();
    page(
        "個人情報の漏えい等に関するお知らせ",
        &format!(
            "<p>{} 様</p><p>{}が取り扱う個人情報について、次のとおり{}が{}ことをお知らせします。ご迷惑とご心配をおかけし、深くお詫び申し上げます。</p>{}<p class=\"right\">{}</p>",
            escape(name),
            escape(body),
            event.trim_end_matches("のおそれ"),
            if event.ends_with("のおそれ") { "発生したおそれがある" } else { "発生した" },
            kv_table(&rows),
            escape(body)
        ),
    )
}

/// The mail-merge list of the notices (one line per person with every field of the notice),
/// from each person's subject, name, address, notice status and letter file name.
pub fn notices_csv(i: &StoredIncident, people: &[NoticeLine]) -> String {
    let fields = notice_fields(i);
    let mut csv = String::from("\u{feff}subject,name,address,status,letter,outline,items,cause,secondary_harm,other\n");
    let common: Vec<String> = fields.iter().map(|(_, v)| tokumei_jp::csv_cell(v)).collect();
    for p in people {
        let status = match p.notice {
            None => "pending",
            Some(Notice::Sent { .. }) => "sent",
            Some(Notice::Exception { .. }) => "exception",
        };
        csv.push_str(&format!(
            "{},{},{},{status},{},{}\n",
            tokumei_jp::csv_cell(p.subject),
            tokumei_jp::csv_cell(&p.name),
            tokumei_jp::csv_cell(&p.address),
            p.letter,
            common.join(",")
        ));
    }
    csv
}

/// One person's line of the notices list.
pub struct NoticeLine<'a> {
    /// The person's subject identifier.
    pub subject: &'a str,
    /// The name found in the sources (empty when none).
    pub name: String,
    /// The address found in the sources (empty when none).
    pub address: String,
    /// Whether and how the person was notified.
    pub notice: &'a Option<Notice>,
    /// The letter's file name.
    pub letter: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_draft_s_values_in_words() {
        assert_eq!(words(&json!("")), "（未記入）");
        assert_eq!(words(&json!(null)), "（なし）");
        assert_eq!(words(&json!(["氏名", 3])), "氏名、3");
        assert_eq!(
            numbered(&json!([{"code": "1", "name": "要配慮", "why": "病歴"}]), "第2条第"),
            vec!["第2条第1号 要配慮（病歴）".to_string()]
        );
    }

    #[test]
    fn a_report_not_required_says_it_is_voluntary_and_escapes_what_it_quotes() {
        let v = json!({"regime_code": "article68", "required": false, "stage_ja": "速報", "stage": "preliminary",
            "title": "<b>", "due": "2026-01-05", "my_number_report": true});
        let html = report_html(&v);
        assert!(html.contains("報告対象事態に該当しない: 任意の報告"));
        assert!(html.contains("保有個人情報の項目"));
        assert!(html.contains("mynumber_report_preliminary.html"));
        assert!(html.contains("&lt;b&gt;") && !html.contains("<b>"), "{html}");
    }
}
