//! The publishable 個人情報ファイル簿 (法75): the items of 法74条1項 for every registered file whose
//! entry is published, the 法110 items of a file open to proposals, and the 法117 items of the
//! anonymised data made from it, as an HTML page and a CSV table. The book holds no person's
//! value: only what the officer entered for each file and what the registry counted.
//!
//! Files whose entry is withheld (法75条3項: `published = false`) are left out entirely (neither
//! their name nor a row). A file of fewer than 1,000 people (法74条2項9号: no statutory entry) is
//! kept, marked as such.

use crate::files::ELIGIBLE_PEOPLE;
use crate::{Registry, RegistryError, StoredFile};

/// The ファイル簿 as documents to publish.
#[derive(Debug, Clone)]
pub struct FileBook {
    /// The HTML page (UTF-8, self-contained).
    pub html: String,
    /// The CSV table (UTF-8 with a byte-order mark, for spreadsheet programs; one row per file).
    pub csv: String,
    /// Files in the book.
    pub files: usize,
    /// Files left out because their entry is withheld (法75条3項).
    pub withheld: usize,
}

/// One row of the book: (heading, value) pairs in the order of 法74条1項, 法110 and 法117.
fn items(body: &str, f: &StoredFile) -> Vec<(&'static str, String)> {
    let e = &f.entry;
    let yes = |b: bool| if b { "有" } else { "無" }.to_string();
    let list = |v: &[String]| if v.is_empty() { "なし".to_string() } else { v.join("、") };
    let mut out = vec![
        ("個人情報ファイルの名称", e.name.clone()),
        ("行政機関等の名称", body.to_string()),
        ("個人情報ファイルが利用に供される事務をつかさどる組織の名称", e.unit.clone()),
        ("個人情報ファイルの利用目的", e.purpose.clone()),
        ("記録項目", e.items.join("、")),
        ("記録範囲", e.people_range.clone()),
        ("記録情報の収集方法", e.collection_method.clone()),
        ("要配慮個人情報が含まれるときは、その旨", yes(e.sensitive)),
        ("条例要配慮個人情報が含まれるときは、その旨", yes(e.ordinance_sensitive)),
        ("記録情報の経常的提供先", list(&e.regular_recipients)),
        ("開示請求等を受理する組織の名称及び所在地", e.request_office.clone()),
        (
            "訂正及び利用停止に関する他の法令の規定による特別の手続等",
            e.other_law_procedures.clone().unwrap_or_else(|| "なし".into()),
        ),
        (
            "個人情報ファイルの種別",
            match e.kind {
                crate::FileKind::Computer => "電算処理ファイル".into(),
                crate::FileKind::Manual => "マニュアル処理ファイル".into(),
            },
        ),
        (
            "行政機関等匿名加工情報の提案の募集をする個人情報ファイルである旨（法110条1号）",
            if e.open_to_proposals { "該当".into() } else { "非該当".into() },
        ),
        (
            "行政機関等匿名加工情報の提案を受ける組織の名称及び所在地（法110条2号）",
            if e.open_to_proposals {
                e.proposal_office.clone().unwrap_or_else(|| "（未設定）".into())
            } else {
                "—".into()
            },
        ),
    ];
    let created: Vec<String> = f.created_anonymised.iter().map(created_text).collect();
    out.push((
        "行政機関等匿名加工情報の概要、法118条1項の提案を受ける組織の名称及び所在地並びに提案をすることができる期間（法117条）",
        if created.is_empty() { "なし".into() } else { created.join("\n") },
    ));
    if e.people < ELIGIBLE_PEOPLE {
        out.push((
            "備考",
            format!(
                "本人の数が{ELIGIBLE_PEOPLE}人未満（法74条2項9号）: 法75条の個人情報ファイル簿の対象外{}",
                if e.open_to_proposals {
                    "のため、提案の対象とはならない（法60条3項1号）"
                } else {
                    ""
                }
            ),
        ));
    }
    out
}

/// One anonymised data entry (法117) in words. Entries made by older registries (before the entry
/// was made on creation) have no office or period: said so.
fn created_text(v: &serde_json::Value) -> String {
    let s = |k: &str| v[k].as_str().map(String::from);
    let items: Vec<String> = v["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        .unwrap_or_default();
    let people = v["people"].as_i64().map(|n| n.to_string()).unwrap_or_else(|| "—".into());
    let counted = match s("people_counted_by") {
        Some(c) if c.starts_with("rows") => "（行数による）",
        _ => "",
    };
    let period = match (s("proposals_from"), s("proposals_until")) {
        (Some(a), Some(b)) => format!("{a}から{b}まで"),
        _ => "（記録なし）".into(),
    };
    format!(
        "作成日 {}: 本人の数 {people}人{counted}、項目 {}; 提案を受ける組織 {}; 提案をすることができる期間 {period}",
        s("created")
            .or_else(|| s("entered").and_then(|t| crate::deadline::japan_day(&t)))
            .unwrap_or_else(|| "—".into()),
        if items.is_empty() { "—".into() } else { items.join("、") },
        s("proposal_office").unwrap_or_else(|| "（記録なし）".into()),
    )
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

/// A CSV cell: quoted, quotes doubled; a cell a spreadsheet would take as a formula (the shared
/// guard, [`tokumei_jp::defuse_formula`]: `=`, `+`, `-`, `@`, tab, CR and the full-width `＝＋－＠`)
/// starts with an apostrophe.
fn csv_cell(s: &str) -> String {
    format!("\"{}\"", tokumei_jp::defuse_formula(s).replace('"', "\"\""))
}

/// The book of `files` kept by `body`, as of `today` (YYYY-MM-DD).
pub fn file_book(body: &str, files: &[StoredFile], today: &str) -> FileBook {
    let shown: Vec<&StoredFile> = files.iter().filter(|f| f.entry.published).collect();
    let withheld = files.len() - shown.len();
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str(&format!("<title>個人情報ファイル簿（{}）</title>\n", html_escape(body)));
    html.push_str(
        "<style>body{font-family:sans-serif;margin:2em;line-height:1.5}table{border-collapse:collapse;margin-bottom:2em;width:100%}th,td{border:1px solid #888;padding:.3em .6em;vertical-align:top;text-align:left}th{background:#eee;width:30%}</style>\n</head>\n<body>\n",
    );
    html.push_str(&format!(
        "<h1>個人情報ファイル簿</h1>\n<p>{}　{} 現在（個人情報の保護に関する法律第75条）</p>\n",
        html_escape(body),
        html_escape(today)
    ));
    if shown.is_empty() {
        html.push_str("<p>公表する個人情報ファイルはありません。</p>\n");
    }
    let mut csv = String::from("\u{feff}");
    let mut header_done = false;
    for f in &shown {
        let rows = items(body, f);
        html.push_str(&format!("<h2>{}</h2>\n<table>\n", html_escape(&f.entry.name)));
        for (k, v) in &rows {
            html.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>\n", html_escape(k), html_escape(v)));
        }
        html.push_str("</table>\n");
        if !header_done {
            // Every file has the same headings but the last (備考), which the CSV always carries.
            let mut heads: Vec<&str> = rows.iter().map(|(k, _)| *k).filter(|k| *k != "備考").collect();
            heads.push("備考");
            csv.push_str(&heads.iter().map(|h| csv_cell(h)).collect::<Vec<_>>().join(","));
            csv.push_str("\r\n");
            header_done = true;
        }
        let mut cells: Vec<String> = rows.iter().filter(|(k, _)| *k != "備考").map(|(_, v)| csv_cell(v)).collect();
        cells.push(csv_cell(rows.iter().find(|(k, _)| *k == "備考").map_or("", |(_, v)| v.as_str())));
        csv.push_str(&cells.join(","));
        csv.push_str("\r\n");
    }
    html.push_str("</body>\n</html>\n");
    FileBook { html, csv, files: shown.len(), withheld }
}

impl Registry {
    /// The publishable ファイル簿 of the registry's files as of `today` ([`file_book`]).
    pub fn file_book(&self, today: &str) -> Result<FileBook, RegistryError> {
        Ok(file_book(&self.profile()?.body, &self.files()?, today))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(name: &str, people: i64, published: bool) -> StoredFile {
        let entry: crate::FileEntry = toml::from_str(&format!(
            "name = \"{name}\"\nunit = \"=1+1\"\npurpose = \"<script>x</script>\"\nitems = [\"性別\", \"=1+1\"]\npeople_range = \"r\"\ncollection_method = \"c\"\nsensitive = true\nrequest_office = \"o\"\nkind = \"computer\"\npeople = {people}\npublished = {published}\ndisclosable = true\nprocessable = true\nopen_to_proposals = true\nproposal_office = \"企画課（見本市役所2階）\"\n"
        ))
        .expect("entry");
        StoredFile {
            id: 1,
            entry,
            rules: vec![],
            created_anonymised: vec![serde_json::json!({
                "release": "r1", "created": "2027-06-01", "people": 4800, "people_counted_by": "subject identifier (宛名番号)",
                "items": ["地方（地方）"], "proposal_office": "企画課", "proposals_from": "2027-06-01", "proposals_until": "2028-05-31"
            })],
            added: "t".into(),
        }
    }

    /// 法75: withheld entries are not published; 法117 items are; values are escaped; a file of
    /// fewer than 1,000 people is marked (法74条2項9号).
    #[test]
    fn the_book_publishes_the_items_of_articles_74_110_and_117_and_nothing_withheld() {
        let files = vec![
            stored("住民基本台帳ファイル", 10_000, true),
            stored("秘匿ファイル", 5000, false),
            stored("小ファイル", 500, true),
        ];
        let book = file_book("見本市", &files, "2027-06-02");
        assert_eq!((book.files, book.withheld), (2, 1));
        assert!(!book.html.contains("秘匿ファイル") && !book.csv.contains("秘匿ファイル"));
        assert!(book.html.contains("&lt;script&gt;") && !book.html.contains("<script>"));
        assert!(book.html.contains("2027-06-01から2028-05-31まで") && book.html.contains("本人の数 4800人"));
        assert!(book.html.contains("企画課（見本市役所2階）"));
        assert!(book.csv.starts_with('\u{feff}'));
        assert_eq!(book.csv.lines().count(), 3, "{}", book.csv);
        assert!(book.csv.contains("法74条2項9号"));
        // A cell that would be a formula is not one.
        assert!(!book.csv.contains(",\"=") && book.csv.contains("\"'=1+1\"") && book.csv.contains("性別、=1+1"));
        let lines: Vec<&str> = book.csv.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert!(lines.iter().all(|l| l.matches("\",\"").count() == lines[0].matches("\",\"").count()));
    }
}
