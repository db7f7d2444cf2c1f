//! The disclosure package of a request (保有個人情報の開示): the items found of the person, as
//! JSON, CSV and a Japanese HTML page that prints as the paper answer.

use crate::html::{escape, page};
use tokumei_registry::StoredRequest;

/// One item of a disclosure draft: a value of one record.
#[derive(serde::Serialize)]
pub struct Item {
    /// Its number in the draft (from 1).
    pub item: usize,
    /// The personal-information file (or the pseudonymised release) it is from.
    pub file: String,
    /// The extract it was read from.
    pub source: String,
    /// Where in the extract (the record).
    pub location: String,
    /// The column.
    pub column: String,
    /// The value (a corrected one with what it replaced).
    pub value: String,
}

/// The disclosure package as a Japanese document (保有個人情報の開示): the files with their
/// purposes and regular recipients, then every item, withheld ones with their ground.
pub fn package_html(
    profile: &tokumei_registry::Profile,
    body: &str,
    r: &StoredRequest,
    files: &[tokumei_registry::StoredFile],
    items: &[Item],
    today: &str,
) -> String {
    let withheld = |n: usize| r.withheld.iter().find(|w| w.item == n);
    let mut html = format!(
        "<p class=\"right\">{}<br>{}</p><p>{} 様</p><p>{}付けの開示請求について、{}が保有するあなたの個人情報を次のとおり開示します。匿名加工情報（行政機関等匿名加工情報）は個人情報ではないため、含まれません。</p>",
        escape(today),
        escape(body),
        escape(&r.entry.requester),
        escape(&r.entry.received),
        escape(body)
    );
    html.push_str("<h2>個人情報ファイル（利用目的と経常的提供先）</h2><table><tr><th>ファイル</th><th>利用目的</th><th>経常的提供先</th></tr>");
    for f in files {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&f.entry.name),
            escape(&f.entry.purpose),
            escape(&if f.entry.regular_recipients.is_empty() {
                "なし".into()
            } else {
                f.entry.regular_recipients.join("、")
            })
        ));
    }
    html.push_str("</table><h2>記録されている情報</h2>");
    if items.is_empty() {
        html.push_str("<p>登録された抽出データ（下記の探索範囲）には、請求に係る保有個人情報は見つかりませんでした。この探索は登録された抽出データに限られ、紙の文書その他のシステムで保有する記録は含みません（それらについての確認は決定通知書に記載します）。</p>");
    } else {
        html.push_str("<p class=\"note\">次の記録は、登録された抽出データから検索したものです。紙の文書その他のシステムで保有する記録は、職員が確認した場合に下記に記載します。</p>");
    }
    let outside: Vec<_> = r.attestations.iter().filter(|a| a.held).collect();
    if !outside.is_empty() {
        html.push_str("<h3>登録された抽出データ以外で保有する記録（職員の確認による）</h3><ul>");
        for a in outside {
            html.push_str(&format!("<li>{}</li>", escape(&a.description)));
        }
        html.push_str("</ul>");
    }
    let mut last = (String::new(), String::new());
    for it in items {
        if (it.file.clone(), it.location.clone()) != last {
            if !last.0.is_empty() {
                html.push_str("</table>");
            }
            html.push_str(&format!(
                "<h3>{}（{}）</h3><table><tr><th>番号</th><th>項目</th><th>内容</th></tr>",
                escape(&it.file),
                escape(&it.location)
            ));
            last = (it.file.clone(), it.location.clone());
        }
        match withheld(it.item) {
            Some(w) => html.push_str(&format!(
                "<tr class=\"withheld\"><td>{}</td><td>{}</td><td>不開示（{}）</td></tr>",
                it.item,
                escape(&it.column),
                escape(&w.ground_text(profile))
            )),
            None => html.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                it.item,
                escape(&it.column),
                escape(&it.value)
            )),
        }
    }
    if !last.0.is_empty() {
        html.push_str("</table>");
    }
    page("保有個人情報の開示", &html)
}

/// The package's items as JSON: withheld ones carry their citation instead of the value.
pub fn items_json(r: &StoredRequest, items: &[Item]) -> Vec<serde_json::Value> {
    let withheld = |n: usize| r.withheld.iter().find(|w| w.item == n);
    items
        .iter()
        .map(|it| match withheld(it.item) {
            Some(w) => {
                serde_json::json!({"item": it.item, "file": it.file, "source": it.source, "location": it.location,
                "column": it.column, "withheld": w.citation()})
            }
            None => serde_json::json!({"item": it.item, "file": it.file, "source": it.source, "location": it.location,
                "column": it.column, "value": it.value}),
        })
        .collect()
}

/// The package's items as CSV (withheld ones without their value, with their citation).
pub fn items_csv(r: &StoredRequest, items: &[Item]) -> String {
    let withheld = |n: usize| r.withheld.iter().find(|w| w.item == n);
    let mut csv = String::from("item,file,source,location,column,value,withheld\n");
    for it in items {
        let (v, w) = match withheld(it.item) {
            Some(w) => (String::new(), w.citation()),
            None => (it.value.clone(), String::new()),
        };
        csv.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            it.item,
            tokumei_jp::csv_cell(&it.file),
            tokumei_jp::csv_cell(&it.source),
            tokumei_jp::csv_cell(&it.location),
            tokumei_jp::csv_cell(&it.column),
            tokumei_jp::csv_cell(&v),
            tokumei_jp::csv_cell(&w)
        ));
    }
    csv
}
