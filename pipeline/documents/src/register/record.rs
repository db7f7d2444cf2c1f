//! A contract's record for the officer's files (提供記録), as Markdown.

use super::words::{check_ja, fee_words, note_ja, release_status_ja, state_ja};
use serde_json::Value;

/// A contract's record (`Registry::contract_record`) as a Japanese Markdown document (提供記録):
/// every word the tool adds is Japanese (states, statuses, the checks it computed, its notes);
/// what people wrote is theirs.
pub fn record_markdown(rec: &Value) -> String {
    let mut doc = Doc::default();
    overview(&mut doc, rec);
    columns(&mut doc, &rec["contract"]);
    review(&mut doc, &rec["contract"]);
    history(&mut doc, &rec["contract"]);
    releases(&mut doc, rec);
    doc.0
}

/// The document, line by line.
#[derive(Default)]
struct Doc(String);

impl Doc {
    fn line(&mut self, l: impl AsRef<str>) {
        self.0.push_str(l.as_ref());
        self.0.push('\n');
    }

    /// A section's heading, with the blank lines around it.
    fn heading(&mut self, title: &str) {
        self.line("");
        self.line(format!("## {title}"));
        self.line("");
    }
}

/// A stored value as the record shows it: text as it is, `-` for none.
fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// The title and the contract's items: who, what, for what, how long, the fee.
fn overview(doc: &mut Doc, rec: &Value) {
    let c = &rec["contract"];
    doc.line(format!("# 行政機関等匿名加工情報の提供記録（契約 {}）", s(&c["id"])));
    doc.line("");
    doc.line(format!("- 作成・提供者: {}（{}）", s(&rec["body"]), s(&rec["actor"])));
    doc.line(format!(
        "- 提供先: {}（代表者 {}、{}、連絡先 {}）",
        s(&c["recipient"]),
        s(&rec["recipient"]["representative"]),
        s(&rec["recipient"]["address"]),
        s(&rec["recipient"]["contact"])
    ));
    doc.line(format!("- 提案の種別: {}", s(&rec["kind"])));
    if !rec["call"].is_null() {
        doc.line(format!(
            "- 提案の募集（法111条）: 募集 {}（{} ～ {}）",
            s(&rec["call"]["id"]),
            s(&rec["call"]["open_from"]),
            s(&rec["call"]["open_until"])
        ));
    }
    if !c["parent_id"].is_null() {
        doc.line(format!("- 元の契約: {}", s(&c["parent_id"])));
    }
    let p = &c["proposal"];
    doc.line(format!("- 個人情報ファイル: {}", s(&c["file"])));
    doc.line(format!("- 状態: {}", state_ja(&s(&c["state"]))));
    doc.line(format!("- 本人の数: {}", s(&p["people"])));
    doc.line(format!("- 利用目的: {}", s(&p["purpose"])));
    doc.line(format!("- 加工の方法: {}", s(&p["method"])));
    doc.line(format!("- 利用期間: {} ～ {}", s(&p["use_from"]), s(&p["use_until"])));
    doc.line(format!("- 安全管理措置: {}", s(&p["safety_measures"])));
    let basis = Some(&c["fee_basis"]).filter(|b| !b.is_null());
    doc.line(format!("- 手数料: {} 円（{}）", s(&c["fee_yen"]), fee_words(basis)));
    doc.line(format!("- 保存期間: {} 年", s(&rec["retention_years"])));
}

/// The items provided and their granularity.
fn columns(doc: &mut Doc, c: &Value) {
    doc.heading("提供する項目と粒度");
    for col in c["proposal"]["column"].as_array().into_iter().flatten() {
        doc.line(format!("- {}: {}", s(&col["name"]), s(&col["granularity"])));
    }
}

/// The review, each check in Japanese, and the notice.
fn review(doc: &mut Doc, c: &Value) {
    doc.heading("審査");
    doc.line(format!("審査者: {}", s(&c["review"]["reviewer"])));
    doc.line("");
    for ch in c["review"]["checks"].as_array().into_iter().flatten() {
        let ok = if ch["ok"].as_bool() == Some(true) { "適合" } else { "不適合" };
        let (item, evidence) = check_ja(&s(&ch["item"]), &s(&ch["evidence"]));
        doc.line(format!("- {item} — {ok}: {evidence}"));
    }
    if !c["notice"].is_null() {
        doc.line("");
        let decision = match s(&c["notice"]["decision"]).as_str() {
            "fit" => "適合".to_string(),
            "not_fit" => "不適合".to_string(),
            other => other.to_string(),
        };
        doc.line(format!("通知: {decision}（{}）", s(&c["notice"]["article"])));
    }
}

/// Every step of the contract, with its note.
fn history(doc: &mut Doc, c: &Value) {
    doc.heading("経過");
    for t in c["history"].as_array().into_iter().flatten() {
        let note = if t["note"].is_null() { String::new() } else { format!(" — {}", note_ja(&s(&t["note"]))) };
        doc.line(format!(
            "- {} {} → {}（{}）{note}",
            s(&t["time"]),
            state_ja(&s(&t["from"])),
            state_ja(&s(&t["to"])),
            s(&t["operator"])
        ));
    }
}

/// The anonymised data made under the contract and their provision.
fn releases(doc: &mut Doc, rec: &Value) {
    doc.heading("作成した匿名加工情報と提供");
    for r in rec["releases"].as_array().into_iter().flatten() {
        doc.line(format!(
            "- {}（{}）: {} 行、k = {}、監査記録 {}",
            s(&r["release_id"]),
            release_status_ja(&s(&r["status"])),
            s(&r["rows"]),
            s(&r["k_achieved"]),
            s(&r["audit_seq"])
        ));
    }
    for p in rec["provisions"].as_array().into_iter().flatten() {
        doc.line(format!(
            "- 提供 {}: {} を {} で提供、受領 {}（記録者 {}）",
            s(&p["date"]),
            s(&p["release_id"]),
            s(&p["medium"]),
            s(&p["receipt"]),
            s(&p["operator"])
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_in_japanese_with_its_sections_in_order() {
        let rec = serde_json::json!({
            "body": "テスト市", "actor": "地方公共団体の機関", "kind": "法112条",
            "retention_years": 5, "call": null,
            "recipient": {"representative": "代表", "address": "住所", "contact": "連絡先"},
            "contract": {
                "id": 7, "recipient": "株式会社A", "file": "住民基本台帳", "state": "fee_paid",
                "parent_id": null, "fee_yen": 21000,
                "fee_basis": {"article": "法119条4項", "amount_yen": 21000, "source": "profile"},
                "proposal": {"people": 1000, "purpose": "研究", "method": "k匿名化", "use_from": "2026-01-01",
                    "use_until": "2026-12-31", "safety_measures": "施錠",
                    "column": [{"name": "年齢", "granularity": "5歳階級"}]},
                "review": {"reviewer": "審査者", "checks": [{"item": "法114条1項5号 (use period within the body's maximum)",
                    "ok": true, "evidence": "asked 365 days, maximum 730 days"}]},
                "notice": {"decision": "fit", "article": "法114条2項"},
                "history": [{"time": "T1", "from": null, "to": "received", "operator": "o", "note": "release R1"}]
            },
            "releases": [{"release_id": "R1", "status": "published", "rows": 10, "k_achieved": 5, "audit_seq": 3}],
            "provisions": []
        });
        let md = record_markdown(&rec);
        assert!(md.starts_with("# 行政機関等匿名加工情報の提供記録（契約 7）\n\n- 作成・提供者: テスト市（"), "{md}");
        assert!(md.contains("- 状態: 手数料納付\n"), "{md}");
        assert!(md.contains("- 手数料: 21000 円（法119条4項: 21000（条例の額（プロファイル））"), "{md}");
        assert!(
            md.contains("- 法114条1項5号（利用期間が本市の定める上限以内） — 適合: 提案の利用期間 365日、上限 730日\n"),
            "{md}"
        );
        assert!(
            md.contains("\n\n通知: 適合（法114条2項）\n\n## 経過\n\n- T1 - → 提案受付（o） — リリース R1\n"),
            "{md}"
        );
        assert!(md.ends_with("## 作成した匿名加工情報と提供\n\n- R1（作成済み）: 10 行、k = 5、監査記録 3\n"), "{md}");
    }
}
