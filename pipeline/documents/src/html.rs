//! The frame every document shares: an A4 page in Japanese with a print stylesheet, and its
//! tables. Every text goes through the one escaper ([`tokumei_words::escape`]).

pub use tokumei_words::escape;

/// A Japanese A4 document page with a print stylesheet.
pub fn page(title: &str, body: &str) -> String {
    page_in("ja", title, body)
}

/// An A4 document page in language `lang` (`ja`, `en`) with a print stylesheet.
pub fn page_in(lang: &str, title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{t}</title>
<style>
body {{ font-family: "Hiragino Mincho ProN", "Yu Mincho", "Noto Serif CJK JP", serif; max-width: 46em; margin: 2em auto; line-height: 1.7; color: #000; }}
h1 {{ font-size: 1.35em; text-align: center; margin: 1.5em 0; }}
h2 {{ font-size: 1.1em; border-bottom: 1px solid #000; margin-top: 1.6em; }}
table {{ border-collapse: collapse; width: 100%; margin: .6em 0; }}
th, td {{ border: 1px solid #000; padding: .25em .5em; vertical-align: top; text-align: left; }}
th {{ background: #eee; white-space: nowrap; }}
.right {{ text-align: right; }} .withheld {{ background: #ddd; }} .note {{ font-size: .9em; }}
@page {{ size: A4; margin: 20mm; }}
@media print {{ body {{ margin: 0; max-width: none; }} h2 {{ break-after: avoid; }} tr {{ break-inside: avoid; }} }}
</style></head><body>
<h1>{t}</h1>
{body}
</body></html>
"#,
        t = escape(title),
        lang = escape(lang)
    )
}

/// A two-column table of labels and values.
pub fn kv_table(rows: &[(&str, String)]) -> String {
    let mut o = String::from("<table>");
    for (k, v) in rows {
        o.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v)));
    }
    o.push_str("</table>");
    o
}
