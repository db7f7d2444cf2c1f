//! The recipient's sheet (利用条件 / terms of use): what a business that receives a release under
//! a contract may and may not do with it, whom to tell of a leak and when, and how to load the
//! files. Rendered from the registry's contract for every release made under one, in Japanese
//! (`利用条件.md`, `利用条件.html`) and English (`terms-of-use.md`, `terms-of-use.html`), never
//! written by hand. Every text from the registry is escaped for the format it goes in.

use crate::html;
use tokumei_release::manifest::Provision;

/// The sheet's files, in the order [`sheets`] returns them.
pub const FILES: [&str; 4] = ["利用条件.md", "利用条件.html", "terms-of-use.md", "terms-of-use.html"];

/// What the sheet is made from: the registry's contract and the release.
#[derive(Debug, Clone)]
pub struct Terms {
    /// The body, contract, recipient, file, purpose and use period (what the manifest records).
    pub provision: Provision,
    /// The safety measures the recipient proposed and contracted (法112条2項).
    pub safety_measures: String,
    /// Where to report a leak: the office of the file that receives proposals, when registered.
    pub contact: Option<String>,
    /// The dataset.
    pub dataset: String,
    /// The release id.
    pub release_id: String,
    /// The Parquet file's name.
    pub parquet: String,
    /// Banded columns with their lower and upper bound columns.
    pub banded: Vec<(String, [String; 2])>,
}

/// One block of a sheet: trusted wording with the registry's values put in, escaped when rendered.
enum Block {
    Heading(String),
    Para(String),
    Bullets(Vec<String>),
    Table(Vec<(String, String)>),
    /// Text kept line by line (a purpose or safety measures as the officer entered them).
    Quote(String),
    Code(String),
}

/// The four files of the sheet: (name, contents), as [`FILES`].
pub fn sheets(t: &Terms) -> Vec<(&'static str, String)> {
    let ja = japanese(t);
    let en = english(t);
    let title_ja = format!("利用条件（行政機関等匿名加工情報）　契約第{}号", t.provision.contract_id);
    let title_en = format!("Terms of use (anonymised data of a public body), contract no. {}", t.provision.contract_id);
    vec![
        (FILES[0], markdown(&title_ja, &ja)),
        (FILES[1], html::page_in("ja", &title_ja, &html_body(&ja))),
        (FILES[2], markdown(&title_en, &en)),
        (FILES[3], html::page_in("en", &title_en, &html_body(&en))),
    ]
}

fn contact_ja(t: &Terms) -> String {
    match &t.contact {
        Some(c) => c.clone(),
        None => format!("{}の本契約の担当部署（契約書に記載の連絡先）", t.provision.body),
    }
}

fn contact_en(t: &Terms) -> String {
    match &t.contact {
        Some(c) => c.clone(),
        None => format!("the office of {} in charge of this contract (the contact in the contract)", t.provision.body),
    }
}

fn japanese(t: &Terms) -> Vec<Block> {
    use Block::*;
    vec![
        Para(format!(
            "この文書は、{}が{}に提供する行政機関等匿名加工情報（個人情報の保護に関する法律（以下「法」）60条3項）の利用条件を、{}の登録簿に記録された契約（法115条）から作成したものです。契約書の定めがこの文書に優先します。",
            t.provision.body, t.provision.recipient, t.provision.body
        )),
        Heading("提供の内容".into()),
        Table(vec![
            ("提供者".into(), t.provision.body.clone()),
            ("提供先".into(), t.provision.recipient.clone()),
            ("契約番号".into(), t.provision.contract_id.to_string()),
            ("個人情報ファイル".into(), t.provision.file.clone()),
            ("データセット".into(), t.dataset.clone()),
            ("リリースID".into(), t.release_id.clone()),
            ("利用期間".into(), format!("{} から {} まで", t.provision.use_from, t.provision.use_until)),
        ]),
        Para("利用目的及び事業の内容（契約のとおり）:".into()),
        Quote(t.provision.purpose.clone()),
        Heading("利用の条件".into()),
        Bullets(vec![
            format!("利用は上記の利用目的に限り、利用期間（{}から{}まで）に限ります。目的外の利用、期間の経過後の利用はできません。", t.provision.use_from, t.provision.use_until),
            "識別行為の禁止: このデータの作成に用いられた個人情報の本人を識別するために、このデータを他の情報と照合すること、削除された記述等や加工の方法に関する情報を取得することは、法律で禁止されています（法45条。提供者自身も法121条1項により禁止されています）。契約にも違反し、契約の解除（法120条）の理由となります。".into(),
            "契約で認められた場合を除き、このデータ及びその複製を第三者に提供してはいけません。".into(),
            "利用期間が終わったときは、このデータ及びその複製をすべて消去し又は返却して、その旨を提供者に報告してください。".into(),
        ]),
        Heading("安全管理措置".into()),
        Para("このデータの漏えい、滅失又は毀損を防ぐため、必要かつ適切な安全管理措置を講じてください（法46条）。提案書（法112条2項）で示し、契約した安全管理措置は次のとおりです:".into()),
        Quote(t.safety_measures.clone()),
        Heading("漏えい等が生じたとき".into()),
        Para(format!(
            "このデータの漏えい、滅失又は毀損（そのおそれを含む）を知ったときは、直ちに（遅くとも知った日のうちに）次の窓口に連絡し、その指示に従ってください: {}",
            contact_ja(t)
        )),
        Bullets(vec![
            format!("連絡する内容: 発生と発覚の日時、対象のリリースID（{}）、漏えい等したファイルと件数、原因、二次被害のおそれ、講じた措置。", t.release_id),
            "データの値そのものは連絡に書かないでください。".into(),
            "提供者はこの連絡をもとに、契約上の措置（法120条による解除を含む）と自らの安全管理措置（法121条2項）を検討します。".into(),
        ]),
        Heading("ファイルの検証".into()),
        Para("使う前に、提供者から別の経路で受け取った公開鍵でフォルダを検証してください。MANIFEST.json がすべてのファイルの名前、大きさ、SHA-256 を記録し、MANIFEST.sig がその署名です:".into()),
        Code("tokumei verify-release <このフォルダ> --public-key <提供者の公開鍵>".into()),
        Heading("ファイルの読み込み方".into()),
        Para(format!("データは {} です（Parquet、列は型付き）。列の意味と値は data_dictionary.html を見てください。", t.parquet)),
        Para(bounds_ja(t)),
        Code(loading(t)),
    ]
}

fn english(t: &Terms) -> Vec<Block> {
    use Block::*;
    vec![
        Para(format!(
            "This sheet states the terms under which {} provides anonymised data made by a public body (行政機関等匿名加工情報, Act on the Protection of Personal Information (\"the Act\"), art. 60(3)) to {}. It is generated from the contract (art. 115) recorded in the registry of {}. The contract prevails over this sheet.",
            t.provision.body, t.provision.recipient, t.provision.body
        )),
        Heading("What is provided".into()),
        Table(vec![
            ("Provider".into(), t.provision.body.clone()),
            ("Recipient".into(), t.provision.recipient.clone()),
            ("Contract no.".into(), t.provision.contract_id.to_string()),
            ("Personal-information file".into(), t.provision.file.clone()),
            ("Dataset".into(), t.dataset.clone()),
            ("Release id".into(), t.release_id.clone()),
            ("Use period".into(), format!("{} to {}", t.provision.use_from, t.provision.use_until)),
        ]),
        Para("Purpose and business (as contracted):".into()),
        Quote(t.provision.purpose.clone()),
        Heading("Conditions of use".into()),
        Bullets(vec![
            format!("Use the data only for the purpose above and only within the use period ({} to {}). No other use, and no use after the period.", t.provision.use_from, t.provision.use_until),
            "No re-identification: matching the data with other information, or obtaining the deleted descriptions or the processing method, in order to identify the persons the data were made from is prohibited by law (art. 45 of the Act; the provider itself by art. 121(1)). It also breaches the contract and is a ground for its cancellation (art. 120).".into(),
            "Do not provide the data or any copy to a third party unless the contract allows it.".into(),
            "When the use period ends, delete or return the data and every copy, and report that to the provider.".into(),
        ]),
        Heading("Safety measures".into()),
        Para("Take the necessary and appropriate measures to prevent leaks, loss or damage of the data (art. 46). The safety measures you proposed (art. 112(2)) and contracted are:".into()),
        Quote(t.safety_measures.clone()),
        Heading("If a leak happens".into()),
        Para(format!(
            "When you learn of a leak, loss or damage of the data (or that one may have happened), tell this contact immediately, at the latest on the day you learn of it, and follow its instructions: {}",
            contact_en(t)
        )),
        Bullets(vec![
            format!("Tell: when it happened and when it was found, the release id ({}), which files and how many records, the cause, the risk of further harm, and what you did.", t.release_id),
            "Do not put values of the data in the report.".into(),
            "The provider decides on that basis what the contract requires (including cancellation under art. 120) and its own safety measures (art. 121(2)).".into(),
        ]),
        Heading("Verifying the files".into()),
        Para("Before use, verify the folder with the public key you received from the provider by another channel. MANIFEST.json records every file's name, size and SHA-256; MANIFEST.sig is its signature:".into()),
        Code("tokumei verify-release <this folder> --public-key <the provider's public key>".into()),
        Heading("Loading the files".into()),
        Para(format!("The data are {} (Parquet, typed columns). What each column means and holds: data_dictionary.html.", t.parquet)),
        Para(bounds_en(t)),
        Code(loading(t)),
    ]
}

fn bounds_ja(t: &Terms) -> String {
    if t.banded.is_empty() {
        return "このリリースには範囲（階級）の列はありません。".into();
    }
    let list: Vec<String> = t.banded.iter().map(|(c, [lo, hi])| format!("{c}（{lo}, {hi}）")).collect();
    format!(
        "階級の列（{}）は文字列で、文字列の順に並びます。各列には数値の下限・上限の列（_min, _max）が付いています。上限のない階級（「90+」など）では _max が空（null）です。並べ替えと絞り込みはこの数値の列で行ってください。",
        list.join("、")
    )
}

fn bounds_en(t: &Terms) -> String {
    if t.banded.is_empty() {
        return "This release has no banded (range) columns.".into();
    }
    let list: Vec<String> = t.banded.iter().map(|(c, [lo, hi])| format!("{c} ({lo}, {hi})")).collect();
    format!(
        "Banded columns ({}) are text and sort as text. Each comes with a numeric lower and upper bound column (_min, _max); _max is empty (null) where a band is open, such as 90+. Sort and filter on those numeric columns.",
        list.join(", ")
    )
}

/// Loading the release in polars, pandas/pyarrow, duckdb and R arrow, filtering on the first
/// banded column's lower bound when there is one. Every name is quoted for its language.
fn loading(t: &Terms) -> String {
    let f = py(&t.parquet);
    let (fs, fr) = (sql_text(&t.parquet), py(&t.parquet));
    let (pl, pd, sql, r) = match t.banded.first() {
        Some((_, [lo, _])) => (
            format!(".filter(pl.col({}) >= 65)", py(lo)),
            format!("\ndf = df[df[{}] >= 65]", py(lo)),
            format!(" WHERE {} >= 65 ORDER BY {}", sql_name(lo), sql_name(lo)),
            format!(" |> dplyr::filter(.data[[{}]] >= 65)", py(lo)),
        ),
        None => Default::default(),
    };
    format!(
        "# Python, polars\nimport polars as pl\ndf = pl.read_parquet({f}){pl}\n\n# Python, pandas + pyarrow\nimport pandas as pd\ndf = pd.read_parquet({f}, engine=\"pyarrow\"){pd}\n\n# duckdb\nSELECT * FROM read_parquet({fs}){sql};\n\n# R, arrow\nlibrary(arrow)\ndf <- read_parquet({fr}){r}\n"
    )
}

/// A double-quoted string literal of Python and R (the same escapes in both): `\\`, `\"`, and
/// every control, line-separator or bidi-override character as `\uXXXX`, so the literal stays
/// on its line and means exactly the name.
fn py(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            c if c.is_control() || is_bidi(c) || matches!(c, '\u{2028}' | '\u{2029}') => {
                o.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A SQL string literal: `'` doubled (a backslash is an ordinary character in SQL).
fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A SQL quoted identifier: `"` doubled.
fn sql_name(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A bidirectional embedding, override or isolate character (U+202A-U+202E, U+2066-U+2069): it
/// reorders what follows as displayed.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Markdown text that cannot make markup (CommonMark, with GFM's tables and autolinks): every
/// ASCII punctuation character escaped with a backslash (no link, emphasis, heading, list, HTML,
/// table cell or `www.`/`https:` autolink), every run of whitespace and line breaks one space and
/// none at the start (no indented code block, no heading underline), and control and
/// bidi-override characters replaced with U+FFFD.
fn md(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    let mut space = false;
    for c in s.chars() {
        if c.is_ascii_whitespace() || matches!(c, '\u{0B}' | '\u{85}' | '\u{2028}' | '\u{2029}') {
            space = !o.is_empty();
            continue;
        }
        if std::mem::take(&mut space) {
            o.push(' ');
        }
        match c {
            c if c.is_ascii_punctuation() => {
                o.push('\\');
                o.push(c);
            }
            c if c.is_control() || is_bidi(c) => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// `s` with bidi-override characters replaced with U+FFFD.
fn no_bidi(s: &str) -> String {
    s.chars().map(|c| if is_bidi(c) { '\u{FFFD}' } else { c }).collect()
}

/// HTML text, escaped, with no bidi override.
fn h(s: &str) -> String {
    html::escape(&no_bidi(s))
}

fn markdown(title: &str, blocks: &[Block]) -> String {
    let mut o = format!("# {}\n\n", md(title));
    for b in blocks {
        match b {
            Block::Heading(h) => o.push_str(&format!("## {}\n\n", md(h))),
            Block::Para(p) => o.push_str(&format!("{}\n\n", md(p))),
            Block::Bullets(items) => {
                for i in items {
                    o.push_str(&format!("- {}\n", md(i)));
                }
                o.push('\n');
            }
            Block::Table(rows) => {
                o.push_str("| | |\n|---|---|\n");
                for (k, v) in rows {
                    o.push_str(&format!("| {} | {} |\n", md(k), md(v)));
                }
                o.push('\n');
            }
            Block::Quote(q) => {
                for line in q.lines() {
                    o.push_str(&format!("> {}\n", md(line)));
                }
                o.push('\n');
            }
            Block::Code(c) => {
                // A fence longer than any run of backticks in the code.
                let longest = c.split(|ch| ch != '`').map(str::len).max().unwrap_or(0);
                let fence = "`".repeat(longest.max(2) + 1);
                o.push_str(&format!("{fence}\n{c}\n{fence}\n\n"));
            }
        }
    }
    o
}

fn html_body(blocks: &[Block]) -> String {
    let e = h;
    let mut o = String::new();
    for b in blocks {
        match b {
            Block::Heading(h) => o.push_str(&format!("<h2>{}</h2>\n", e(h))),
            Block::Para(p) => o.push_str(&format!("<p>{}</p>\n", e(p))),
            Block::Bullets(items) => {
                o.push_str("<ul>");
                for i in items {
                    o.push_str(&format!("<li>{}</li>", e(i)));
                }
                o.push_str("</ul>\n");
            }
            Block::Table(rows) => {
                let rows: Vec<(&str, String)> = rows.iter().map(|(k, v)| (k.as_str(), no_bidi(v))).collect();
                o.push_str(&html::kv_table(&rows));
                o.push('\n');
            }
            Block::Quote(q) => {
                let lines: Vec<String> = q.lines().map(e).collect();
                o.push_str(&format!("<blockquote>{}</blockquote>\n", lines.join("<br>")));
            }
            Block::Code(c) => {
                o.push_str(&format!(
                    "<pre style=\"background:#f4f4f4;padding:.6em;overflow-x:auto\"><code>{}</code></pre>\n",
                    e(c)
                ));
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> Terms {
        Terms {
            provision: Provision {
                body: "〇〇市".into(),
                contract_id: 3,
                recipient: "株式会社テスト".into(),
                file: "住民基本台帳ファイル".into(),
                purpose: "地域の医療需要の分析\n<script>alert(1)</script> & \"x\"".into(),
                use_from: "2026-04-01".into(),
                use_until: "2027-03-31".into(),
            },
            safety_measures: "アクセス制限\n持出し禁止".into(),
            contact: Some("〇〇市 総務課 (03-0000-0000)".into()),
            dataset: "resident".into(),
            release_id: "resident-20260401T000000Z-ab12".into(),
            parquet: "resident.parquet".into(),
            banded: vec![("年齢階級".into(), ["年齢階級_min".into(), "年齢階級_max".into()])],
        }
    }

    #[test]
    fn the_sheet_names_the_contract_and_escapes_its_text() {
        let files = sheets(&terms());
        assert_eq!(files.iter().map(|(n, _)| *n).collect::<Vec<_>>(), FILES);
        for (name, text) in &files {
            assert!(!text.contains("<script>"), "{name}: the purpose is escaped");
            // The text as read (Markdown's backslash escapes dropped).
            let text = text.replace('\\', "");
            assert!(text.contains("地域の医療需要の分析"), "{name}");
            assert!(text.contains("2026-04-01") && text.contains("2027-03-31"), "{name}");
            assert!(text.contains("株式会社テスト") && text.contains("〇〇市 総務課"), "{name}");
            assert!(text.contains("年齢階級_min"), "{name}");
            assert!(text.contains("法45") || text.contains("art. 45"), "{name}");
        }
        assert!(files[1].1.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
        assert!(files[0].1.contains("\\<script\\>"));
        assert!(files[0].1.contains("> アクセス制限\n> 持出し禁止\n"), "measures kept line by line");
        assert!(files[3].1.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    }

    #[test]
    fn without_a_contact_the_contract_is_named_and_without_bands_no_filter_is_shown() {
        let t = Terms { contact: None, banded: vec![], ..terms() };
        let files = sheets(&t);
        assert!(files[0].1.contains("本契約の担当部署"));
        assert!(files[2].1.contains("in charge of this contract"));
        assert!(files[2].1.contains("no banded"));
        assert!(!files[2].1.contains(">= 65"));
    }

    #[test]
    fn registry_text_makes_no_link_heading_list_code_or_reordering_in_either_format() {
        let hostile = "[x](https://evil.example/) www.evil.example\n===\n1. one\n- two\n+ three\n\tcode\n    code4\n---\nok \u{202E}exe.txt";
        let t = Terms {
            provision: Provision { purpose: hostile.into(), ..terms().provision },
            safety_measures: hostile.into(),
            contact: Some(hostile.into()),
            ..terms()
        };
        let files = sheets(&t);
        for (name, text) in &files {
            assert!(!text.contains('\u{202E}'), "{name}: a bidi override is neutralised");
            assert!(text.contains("evil"), "{name}: the text is kept");
        }
        for (name, text) in [&files[0], &files[2]] {
            assert!(!text.contains("https:") && !text.contains("www.evil"), "{name}: no autolink");
            for line in text.lines() {
                let bare = line.trim_start_matches("> ").trim_start_matches("- ");
                for markup in ["===", "---", "1.", "- ", "+ ", "\t", "    ", "[", "<"] {
                    assert!(!bare.starts_with(markup), "{name}: `{line}` starts with {markup:?}");
                }
            }
            assert!(text.contains("\\[x\\]\\(https\\:\\/\\/evil\\.example\\/\\) www\\.evil\\.example"), "{name}");
            assert!(
                text.contains("> \\=\\=\\=\n> 1\\. one\n> \\- two\n> \\+ three\n> code\n> code4\n> \\-\\-\\-\n"),
                "{name}: {text}"
            );
            assert!(text.contains("ok \u{FFFD}exe\\.txt"), "{name}");
        }
        for (name, text) in [&files[1], &files[3]] {
            assert!(!text.contains("<a ") && text.contains("[x](https://evil.example/) www.evil.example"), "{name}");
            assert!(text.contains("ok \u{FFFD}exe.txt"), "{name}");
        }
    }

    #[test]
    fn the_loading_examples_quote_each_name_for_its_language() {
        let t = Terms {
            parquet: "x'y\\z\".parquet".into(),
            banded: vec![("c".into(), ["a\"b\\c_min".into(), "a\"b\\c_max".into()])],
            ..terms()
        };
        let code = loading(&t);
        for want in [
            r#"pl.read_parquet("x'y\\z\".parquet").filter(pl.col("a\"b\\c_min") >= 65)"#,
            r#"pd.read_parquet("x'y\\z\".parquet", engine="pyarrow")"#,
            r#"df = df[df["a\"b\\c_min"] >= 65]"#,
            r#"read_parquet('x''y\z".parquet') WHERE "a""b\c_min" >= 65 ORDER BY "a""b\c_min";"#,
            r#"read_parquet("x'y\\z\".parquet") |> dplyr::filter(.data[["a\"b\\c_min"]] >= 65)"#,
        ] {
            assert!(code.contains(want), "{want}\n{code}");
        }
        assert_eq!(py("a\nb\u{202E}"), r#""a\u000ab\u202e""#, "a name stays on its line, in its order");
    }

    #[test]
    fn markdown_cannot_be_made_into_markup() {
        assert_eq!(md("a<b>|*c*_\n`x`"), "a\\<b\\>\\|\\*c\\*\\_ \\`x\\`");
        let code = markdown("t", &[Block::Code("```\nx".into())]);
        assert!(code.contains("````\n```\nx\n````"));
    }
}
