//! The documents of a resident's request: the decision notice (開示決定通知書 and the others,
//! each stating the appeal rights), the extension notices (延長通知書, 特例延長通知書), and the
//! Japanese words of capacities and decisions.

use crate::html::{escape, kv_table, page};
use std::path::{Path, PathBuf};
use tokumei_registry::{Decision, Extension, Kind, Profile, StoredRequest};

/// 教示: appeal rights every decision notice states.
pub fn appeal_rights(body: &str) -> String {
    format!(
        "<h2>教示</h2><p class=\"note\">1 この決定に不服がある場合は、行政不服審査法の規定により、この決定があったことを知った日の翌日から起算して3か月以内に、{b}の長に対して審査請求をすることができます。<br>\
         2 この決定の取消しを求める訴訟は、行政事件訴訟法の規定により、この決定があったことを知った日から6か月以内に、{b}を被告として提起することができます（審査請求をした場合は、その裁決があったことを知った日から6か月以内）。</p>",
        b = escape(body)
    )
}

/// The requester's capacity in Japanese (本人, 法定代理人, 任意代理人).
pub fn capacity_ja(r: &StoredRequest) -> &'static str {
    match r.entry.capacity {
        tokumei_registry::Capacity::Person => "本人",
        tokumei_registry::Capacity::LegalRepresentative => "法定代理人",
        tokumei_registry::Capacity::Agent => "任意代理人",
    }
}

/// A decision of a request of this kind in Japanese, as the notice states it.
pub fn decision_ja(kind: Kind, d: &str) -> &'static str {
    match (kind, d) {
        (Kind::Disclosure, "full") => "全部を開示する",
        (Kind::Disclosure, "partial") => "一部を開示する",
        (Kind::Disclosure, "refused") => "全部を開示しない",
        (Kind::Disclosure, "existence_refused") => "保有個人情報の存否を明らかにしないで、開示請求を拒否する（法81条）",
        (Kind::Disclosure, "not_held") => "請求に係る保有個人情報を保有していないため、開示しない",
        (Kind::Correction, "accepted") => "訂正をする",
        (Kind::Correction, _) => "訂正をしない",
        (Kind::Suspension, "accepted") => "利用停止をする",
        (Kind::Suspension, _) => "利用停止をしない",
        (Kind::OptOut, _) => "以後の提供から除外する",
        _ => "-",
    }
}

/// The title of the decision notice of this kind and decision.
fn notice_title(kind: Kind, d: &str) -> &'static str {
    match (kind, d) {
        (Kind::Disclosure, "full" | "partial") => "保有個人情報開示決定通知書",
        (Kind::Disclosure, _) => "保有個人情報の開示をしない旨の決定通知書",
        (Kind::Correction, "accepted") => "保有個人情報の訂正をする旨の決定通知書",
        (Kind::Correction, _) => "保有個人情報の訂正をしない旨の決定通知書",
        (Kind::Suspension, "accepted") => "保有個人情報の利用停止をする旨の決定通知書",
        (Kind::Suspension, _) => "保有個人情報の利用停止をしない旨の決定通知書",
        (Kind::OptOut, _) => "オプトアウトの申出の受付について（通知）",
    }
}

/// The decision notice draft.
pub fn decision_notice(
    body: &str,
    r: &StoredRequest,
    d: &Decision,
    method_days: i64,
    grounds: &[(usize, String)],
) -> String {
    let kind = r.entry.kind;
    let mut rows = vec![
        ("請求者", format!("{}（{}）", r.entry.requester, capacity_ja(r))),
        ("請求の種類", kind.label().to_string()),
        ("請求を受け付けた日", r.entry.received.clone()),
        ("請求に係る保有個人情報", r.entry.records.clone()),
        ("決定", decision_ja(kind, &d.decision).to_string()),
        ("決定日", d.date.clone()),
    ];
    if !d.reason.is_empty() {
        rows.push(("理由", d.reason.clone()));
    }
    if let Some(g) = &d.ground {
        rows.push((
            "根拠（法98条1項）",
            match g.as_str() {
                "unlawful_holding" => "法61条2項の規定に違反して保有されている（1号）".into(),
                "unlawful_use" => "法63条・64条・69条1項及び2項の規定に違反して取り扱われている（1号）".into(),
                _ => "法69条1項及び2項又は71条1項の規定に違反して提供されている（2号）".into(),
            },
        ));
    }
    let mut html = format!(
        "<p class=\"right\">{}<br>{} 長</p><p>{} 様</p>",
        escape(&d.date),
        escape(body),
        escape(&r.entry.requester)
    );
    html.push_str(&format!(
        "<p>{}付けで受け付けた{}について、次のとおり決定したので通知します。</p>",
        escape(&r.entry.received),
        kind.label()
    ));
    html.push_str(&kv_table(&rows));
    if !d.outside_records.is_empty() {
        html.push_str("<h2>登録された抽出データ以外で保有する記録</h2><p class=\"note\">紙の文書その他の電子計算機処理以外の方法で保有する記録を含みます（職員の確認による）。</p><ul>");
        for o in &d.outside_records {
            html.push_str(&format!("<li>{}</li>", escape(o)));
        }
        html.push_str("</ul>");
    }
    if kind == Kind::Disclosure && d.decision == "not_held" {
        html.push_str("<h2>探索の範囲</h2><p class=\"note\">登録された抽出データを検索したほか、紙の文書その他の保有する文書・システムについても次のとおり確認し、請求に係る保有個人情報を保有していないことを確認しました（法82条2項）。</p><ul>");
        for a in r.attestations.iter().filter(|a| !a.held) {
            html.push_str(&format!("<li>{}（{}）</li>", escape(&a.description), escape(&a.date)));
        }
        html.push_str("</ul>");
    }
    if !grounds.is_empty() {
        html.push_str("<h2>開示しない部分とその理由（法78条）</h2><table><tr><th>項目</th><th>根拠</th></tr>");
        for (item, g) in grounds {
            html.push_str(&format!("<tr><td>{item}</td><td>{}</td></tr>", escape(g)));
        }
        html.push_str("</table>");
    }
    if kind == Kind::Disclosure && matches!(d.decision.as_str(), "full" | "partial") {
        html.push_str(&format!(
            "<h2>開示の実施</h2><p>開示の実施方法（閲覧、写しの交付、電磁的記録の提供等）を、この通知があった日から{method_days}日以内に申し出てください（法87条3項・4項）。期間の末日が休日に当たるときは、その翌日（休日でない日）までとなります。手数料 {} 円。</p>",
            r.fee_yen
        ));
        if r.objection {
            html.push_str("<p>第三者から反対の意思が表示されたため、開示はこの決定の日との間に少なくとも2週間を置いて実施します（法86条3項）。</p>");
        }
    }
    if kind == Kind::Correction && d.decision == "accepted" && !d.recipients_to_notify.is_empty() {
        html.push_str(&format!(
            "<p>訂正の内容は、当該保有個人情報の提供先（{}）に通知します（法97条）。</p>",
            escape(&d.recipients_to_notify.join("、"))
        ));
    }
    if !d.internal_copies.is_empty() {
        html.push_str(&internal_copies_section(body, d));
    }
    // Only what went to recipients is 行政機関等匿名加工情報 (a body's internal releases are its
    // own 保有個人情報, listed above when the decision reaches them).
    let provided: Vec<_> = d.releases_before.iter().filter(|rel| rel.recipient.is_some()).collect();
    if matches!(kind, Kind::Suspension | Kind::OptOut) && !provided.is_empty() {
        html.push_str("<h2>決定前に提供された行政機関等匿名加工情報</h2><p class=\"note\">決定前に作成・提供された行政機関等匿名加工情報は個人情報ではなく、回収はしません。提供先は次のとおりです。</p><table><tr><th>作成物</th><th>作成日時</th><th>提供先</th></tr>");
        for rel in provided {
            html.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&rel.release_id),
                escape(&rel.time),
                escape(rel.recipient.as_deref().unwrap_or_default())
            ));
        }
        html.push_str("</table>");
    }
    if kind != Kind::OptOut {
        html.push_str(&appeal_rights(body));
    }
    page(notice_title(kind, &d.decision), &html)
}

/// The name of an internal copy's kind in a notice: a public body's pseudonymised data are
/// 仮名化した保有個人情報 (仮名加工情報 is a business's, 法41).
pub fn copy_kind_ja(mode: &str) -> &'static str {
    if mode == "pseudonymized" {
        "仮名化した保有個人情報"
    } else {
        "内部で保有する匿名化した情報（保有個人情報として扱う）"
    }
}

/// The notice's list of the body's internal copies that an accepted erasure or stop of use
/// reaches, and what is done with them.
fn internal_copies_section(body: &str, d: &Decision) -> String {
    let mut html = format!(
        "<h2>消去・利用停止の対象となる内部利用の情報</h2><p class=\"note\">{}が内部利用のために作成した次の情報は、仮名化等をしていても保有個人情報です。あなたの情報を除いたものに置き換え、元の情報を消去します（消去したときは記録します）。</p><table><tr><th>作成物</th><th>種類</th><th>利用目的</th><th>作成日時</th><th>あなたの情報</th></tr>",
        escape(body)
    );
    for c in &d.internal_copies {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&c.release_id),
            copy_kind_ja(&c.mode),
            escape(c.purpose.as_deref().unwrap_or("-")),
            escape(&c.time),
            if c.indexed { "含まれています" } else { "含まれている可能性があります" }
        ));
    }
    html.push_str("</table>");
    html
}

/// 延長通知書 / 特例延長通知書: of a disclosure (法83条2項 / 法84), a correction (法94条2項 / 法95)
/// or a suspension (法102条2項 / 法103).
pub fn extension_notice(body: &str, r: &StoredRequest, e: &Extension, special: bool) -> String {
    let (what, extension_article, special_article) = match r.entry.kind {
        Kind::Correction => ("訂正決定等", "法94条2項", "法95条"),
        Kind::Suspension => ("利用停止決定等", "法102条2項", "法103条"),
        _ => ("開示決定等", "法83条2項", "法84条"),
    };
    let title = if special {
        format!("{what}の期限の特例規定の適用について（通知）")
    } else {
        format!("{what}の期限の延長について（通知）")
    };
    let mut html = format!(
        "<p class=\"right\">{}<br>{} 長</p><p>{} 様</p>",
        escape(&e.notice),
        escape(body),
        escape(&r.entry.requester)
    );
    html.push_str(&format!(
        "<p>{}付けで受け付けた{}について、{}。</p>",
        escape(&r.entry.received),
        r.entry.kind.label(),
        match (special, r.entry.kind) {
            (true, Kind::Disclosure) => format!(
                "開示請求に係る保有個人情報が著しく大量であるため、{special_article}の規定により、次のとおり開示決定等を行います"
            ),
            (true, _) => format!(
                "{what}に特に長期間を要すると認められるため、{special_article}の規定により、次の期限までに{what}を行います"
            ),
            (false, _) => format!("{extension_article}の規定により、{what}の期限を次のとおり延長します"),
        }
    ));
    let rows: Vec<(&str, String)> = match (special, &e.part_by) {
        (true, Some(part_by)) => vec![
            ("本条を適用する理由", e.reason.clone()),
            ("相当の部分について開示決定等をする期限", part_by.clone()),
            ("残りの保有個人情報について開示決定等をする期限", e.until.clone()),
        ],
        (true, None) => vec![("本条を適用する理由", e.reason.clone()), ("決定等をする期限", e.until.clone())],
        (false, _) => {
            vec![("延長前の期限", r.due.clone()), ("延長後の期限", e.until.clone()), ("延長の理由", e.reason.clone())]
        }
    };
    html.push_str(&kv_table(&rows));
    page(&title, &html)
}

/// The grounds of the items withheld (法78条), each with the officer's note: as the decision
/// notice lists them.
pub fn withheld_grounds(profile: &Profile, r: &StoredRequest) -> Vec<(usize, String)> {
    r.withheld
        .iter()
        .map(|w| {
            (
                w.item,
                format!(
                    "{}{}",
                    w.ground_text(profile),
                    if w.note.is_empty() { String::new() } else { format!("：{}", w.note) }
                ),
            )
        })
        .collect()
}

/// The folder a request's documents go to by default: `requests/<id>` beside the registry.
pub fn default_dir(registry: &Path, id: i64) -> PathBuf {
    tokumei_audit::sys::parent_of(registry).join("requests").join(id.to_string())
}

/// The decision notice of a decided request, to be written (owner-only) at `path`, and what to
/// tell the officer.
pub struct DecisionDocuments {
    /// Where the notice draft goes (`notice-decision.html` in the request's folder).
    pub path: PathBuf,
    /// The notice draft (HTML).
    pub html: String,
    /// What to tell the officer: the decision, where its notice is, who else must be told.
    pub lines: Vec<String>,
}

/// After a decision (the CLI's and the console's): the decision notice draft for the folder
/// `dir`, and what to tell the officer. `r` is the request as stored after the decision.
pub fn decision_documents(profile: &Profile, r: &StoredRequest, d: &Decision, dir: &Path) -> DecisionDocuments {
    let id = r.id;
    let grounds = withheld_grounds(profile, r);
    let path = dir.join("notice-decision.html");
    let html = decision_notice(&profile.body, r, d, profile.method_days, &grounds);
    let mut lines = vec![
        format!(
            "request {id}: decided `{}` on {}{}",
            d.decision,
            d.date,
            if d.late { " (after the deadline)" } else { "" }
        ),
        format!("  notice draft {}", path.display()),
    ];
    if !d.releases_before.is_empty() {
        lines.push(format!("  {} release(s) made before the decision (listed in the notice)", d.releases_before.len()));
    }
    if !d.internal_copies.is_empty() {
        lines.push(format!(
            "  {} internal release(s) hold the person (still 保有個人情報) and are to erase or stop: replace each without the person and destroy it, by {}:",
            d.internal_copies.len(),
            r.deadline()
        ));
        for c in &d.internal_copies {
            lines.push(format!(
                "    {} ({}{}): tokumei release replace {} --job JOB; then tokumei release destroyed {} --how ...",
                c.release_id,
                copy_kind_ja(&c.mode),
                if c.indexed { "" } else { "; may hold the person: no per-subject index" },
                c.release_id,
                c.release_id
            ));
        }
    }
    if r.objection && matches!(d.decision.as_str(), "full" | "partial") {
        lines.push(format!(
            "  tell the third party who objected at once, in writing: the decision, its reasons and the day of disclosure (法86条3項), then record it: tokumei request notice {id} --kind third_party --to NAME"
        ));
    }
    if !d.outside_records.is_empty() {
        lines.push(format!(
            "  {} record(s) outside the registered sources are covered (as attested; listed in the notice)",
            d.outside_records.len()
        ));
    }
    for rec in &d.recipients_to_notify {
        lines.push(format!(
            "  tell {rec} of the correction (法97), then record it: tokumei request notice {id} --kind correction_recipient --to {rec}"
        ));
    }
    DecisionDocuments { path, html, lines }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_is_named_by_its_kind_and_the_notice_titled_by_it() {
        assert_eq!(decision_ja(Kind::Disclosure, "partial"), "一部を開示する");
        assert_eq!(decision_ja(Kind::Correction, "rejected"), "訂正をしない");
        assert_eq!(decision_ja(Kind::Disclosure, "accepted"), "-");
        assert_eq!(notice_title(Kind::Disclosure, "not_held"), "保有個人情報の開示をしない旨の決定通知書");
        assert_eq!(notice_title(Kind::OptOut, "accepted"), "オプトアウトの申出の受付について（通知）");
    }

    #[test]
    fn the_appeal_rights_name_the_body_escaped() {
        let html = appeal_rights("<市>");
        assert!(html.contains("&lt;市&gt;の長に対して審査請求"), "{html}");
        assert!(!html.contains("<市>"));
    }

    #[test]
    fn a_request_s_documents_go_beside_the_registry() {
        assert_eq!(default_dir(Path::new("reports/registry.sqlite"), 7), Path::new("reports/requests/7"));
        assert_eq!(default_dir(Path::new("registry.sqlite"), 7), Path::new("./requests/7"));
    }
}
