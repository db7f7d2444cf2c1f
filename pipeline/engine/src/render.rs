//! A small document model for reports, rendered to Markdown and to self-contained HTML (inline
//! CSS and SVG, no script, nothing fetched). Every text is plain: the renderers escape it, so no
//! value from rules or data can become markup.

use std::fmt::Write;

pub use tokumei_words::Lang;

/// One block of a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Document title.
    Title(String),
    /// Section heading.
    Heading(String),
    /// Subsection heading.
    Sub(String),
    /// A paragraph.
    Para(String),
    /// A warning the reader must not miss.
    Warn(String),
    /// A bulleted list.
    List(Vec<String>),
    /// A table.
    Table {
        /// Column headings.
        head: Vec<String>,
        /// Rows of cells.
        rows: Vec<Vec<String>>,
    },
    /// A check that passed or failed, with its evidence and, when failed, the fix.
    Check {
        /// Passed.
        ok: bool,
        /// Status word (e.g. `適合` / `PASS`).
        status: String,
        /// What is checked.
        title: String,
        /// Evidence lines.
        items: Vec<String>,
        /// How to fix it.
        fix: Option<String>,
    },
    /// A horizontal bar chart: `(label, value)`.
    Bars {
        /// Chart title.
        title: String,
        /// Bars.
        bars: Vec<(String, u64)>,
        /// What a value counts (e.g. `records`).
        unit: String,
    },
    /// A scatter plot (HTML only; Markdown gives its caption): the risk-utility map.
    Scatter {
        /// Chart title.
        title: String,
        /// Axis titles, x then y.
        axes: [String; 2],
        /// The y axis runs from 0 to this.
        y_max: f64,
        /// Legend words for feasible, infeasible, chosen and earlier marks.
        legend: [String; 4],
        /// The marks.
        marks: Vec<crate::scatter::Mark>,
    },
}

/// A document.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    /// Its language.
    pub lang: Lang,
    /// Its blocks.
    pub blocks: Vec<Block>,
}

/// `s` as literal text in Markdown (a table cell or a line): characters that start markup are
/// backslash-escaped (`![img](url)`, `[link]`, `*`, `_`, backticks, `|`, `#`...), `<`, `>` and
/// `&` become entities (no HTML tag or entity survives), line breaks become `↵` and other control
/// characters `�`, and a leading `=`, `+`, `-` or `@` is escaped so no spreadsheet formula is
/// pasted on.
pub fn md(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for (i, c) in s.chars().enumerate() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '!' | '|' | '~' | '"' => {
                o.push('\\');
                o.push(c);
            }
            '=' | '+' | '-' | '@' if i == 0 => {
                o.push('\\');
                o.push(c);
            }
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => o.push('↵'),
            c if c.is_control() => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// `s` as one line of text in HTML (element content or a quoted attribute).
pub fn html(s: &str) -> String {
    tokumei_words::escape_line(s)
}

const CSS: &str = "body{font-family:system-ui,'Hiragino Sans','Noto Sans JP',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.6;color:#1b1b1b}\
h1{font-size:1.6rem;border-bottom:2px solid #333}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #bbb}h3{font-size:1.05rem}\
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top;text-align:left}th{background:#f3f3f3}\
.warn{border-left:6px solid #c62828;background:#fdecea;padding:.5rem 1rem}.check{margin:.75rem 0}.ok{color:#1b5e20;font-weight:bold}.ng{color:#b71c1c;font-weight:bold}\
.fix{background:#fff8e1;padding:.25rem .5rem}svg text{font-size:12px;font-family:inherit}";

impl Doc {
    /// Markdown.
    pub fn markdown(&self) -> String {
        let mut o = String::new();
        for b in &self.blocks {
            match b {
                Block::Title(t) => {
                    let _ = writeln!(o, "# {}\n", md(t));
                }
                Block::Heading(t) => {
                    let _ = writeln!(o, "## {}\n", md(t));
                }
                Block::Sub(t) => {
                    let _ = writeln!(o, "### {}\n", md(t));
                }
                Block::Para(t) => {
                    let _ = writeln!(o, "{}\n", md(t));
                }
                Block::Warn(t) => {
                    let _ = writeln!(o, "> **{}** {}\n", self.lang.pick("警告：", "Warning:"), md(t));
                }
                Block::List(items) => {
                    for i in items {
                        let _ = writeln!(o, "- {}", md(i));
                    }
                    o.push('\n');
                }
                Block::Table { head, rows } => {
                    let _ = writeln!(o, "| {} |", head.iter().map(|h| md(h)).collect::<Vec<_>>().join(" | "));
                    let _ = writeln!(o, "|{}", "---|".repeat(head.len()));
                    for r in rows {
                        let _ = writeln!(o, "| {} |", r.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | "));
                    }
                    o.push('\n');
                }
                Block::Check { ok: _, status, title, items, fix } => {
                    let _ = writeln!(o, "- **{}** {}", md(status), md(title));
                    for i in items {
                        let _ = writeln!(o, "   - {}", md(i));
                    }
                    if let Some(f) = fix {
                        let _ = writeln!(o, "   - {} {}", self.lang.pick("**対処：**", "**Fix:**"), md(f));
                    }
                    o.push('\n');
                }
                Block::Bars { title, bars, unit } => {
                    let _ = writeln!(o, "{}\n", md(title));
                    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
                    let _ = writeln!(o, "| | {} |\n|---|---|", md(unit));
                    for (label, v) in bars {
                        let width = (*v as f64 / max as f64 * 30.0).round() as usize;
                        let bar = if *v > 0 { "█".repeat(width.max(1)) } else { String::new() };
                        let _ = writeln!(o, "| {} | {bar} {v} |", md(label));
                    }
                    o.push('\n');
                }
                Block::Scatter { title, .. } => {
                    let _ = writeln!(
                        o,
                        "{} {}\n",
                        md(title),
                        self.lang.pick("（図はウェブページ版の報告書にあります）", "(chart in report.html)")
                    );
                }
            }
        }
        o
    }

    /// A self-contained HTML page: inline CSS and SVG, no script, and a content security
    /// policy that forbids loading anything.
    pub fn html(&self) -> String {
        let title = self
            .blocks
            .iter()
            .find_map(|b| if let Block::Title(t) = b { Some(t.as_str()) } else { None })
            .unwrap_or("tokumei");
        let mut o = String::new();
        let _ = write!(
            o,
            "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>\n",
            self.lang.code(),
            html(title)
        );
        let mut open_checks = false;
        for b in &self.blocks {
            let is_check = matches!(b, Block::Check { .. });
            if open_checks && !is_check {
                o.push_str("</div>\n");
                open_checks = false;
            }
            match b {
                Block::Title(t) => {
                    let _ = writeln!(o, "<h1>{}</h1>", html(t));
                }
                Block::Heading(t) => {
                    let _ = writeln!(o, "<h2>{}</h2>", html(t));
                }
                Block::Sub(t) => {
                    let _ = writeln!(o, "<h3>{}</h3>", html(t));
                }
                Block::Para(t) => {
                    let _ = writeln!(o, "<p>{}</p>", html(t));
                }
                Block::Warn(t) => {
                    let _ = writeln!(
                        o,
                        "<p class=\"warn\"><strong>{}</strong> {}</p>",
                        self.lang.pick("警告：", "Warning:"),
                        html(t)
                    );
                }
                Block::List(items) => {
                    o.push_str("<ul>");
                    for i in items {
                        let _ = write!(o, "<li>{}</li>", html(i));
                    }
                    o.push_str("</ul>\n");
                }
                Block::Table { head, rows } => {
                    o.push_str("<table><thead><tr>");
                    for h in head {
                        let _ = write!(o, "<th>{}</th>", html(h));
                    }
                    o.push_str("</tr></thead><tbody>");
                    for r in rows {
                        o.push_str("<tr>");
                        for c in r {
                            let _ = write!(o, "<td>{}</td>", html(c));
                        }
                        o.push_str("</tr>");
                    }
                    o.push_str("</tbody></table>\n");
                }
                Block::Check { ok, status, title, items, fix } => {
                    if !open_checks {
                        o.push_str("<div>");
                        open_checks = true;
                    }
                    let _ = write!(
                        o,
                        "<div class=\"check\"><span class=\"{}\">{}</span> {}<ul>",
                        if *ok { "ok" } else { "ng" },
                        html(status),
                        html(title)
                    );
                    for i in items {
                        let _ = write!(o, "<li>{}</li>", html(i));
                    }
                    if let Some(f) = fix {
                        let _ = write!(
                            o,
                            "<li class=\"fix\"><strong>{}</strong> {}</li>",
                            self.lang.pick("対処：", "Fix:"),
                            html(f)
                        );
                    }
                    o.push_str("</ul></div>\n");
                }
                Block::Bars { title, bars, unit } => {
                    o.push_str(&svg_bars(title, bars, unit));
                }
                Block::Scatter { title, axes, y_max, legend, marks } => {
                    let legend = [&*legend[0], &*legend[1], &*legend[2], &*legend[3]];
                    o.push_str(&crate::scatter::svg(title, &axes[0], &axes[1], *y_max, legend, marks));
                }
            }
        }
        if open_checks {
            o.push_str("</div>\n");
        }
        o.push_str("</body></html>\n");
        o
    }
}

/// A horizontal bar chart as inline SVG.
fn svg_bars(title: &str, bars: &[(String, u64)], unit: &str) -> String {
    let (label_w, bar_w, row_h) = (110.0, 360.0, 22.0);
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let height = 28.0 + row_h * bars.len() as f64;
    let mut o = format!(
        "<figure><figcaption>{}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{}\" height=\"{height}\" aria-label=\"{}\">",
        html(title),
        label_w + bar_w + 90.0,
        html(title)
    );
    let _ = write!(o, "<text x=\"{label_w}\" y=\"14\" fill=\"#555\">{}</text>", html(unit));
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = 22.0 + row_h * i as f64;
        let w = (*v as f64 / max * bar_w).max(if *v > 0 { 1.0 } else { 0.0 });
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"#3f6fb5\"><title>{} {v}</title></rect><text x=\"{}\" y=\"{}\">{v}</text>",
            label_w - 6.0,
            y + 14.0,
            html(label),
            row_h - 6.0,
            html(label),
            label_w + w + 4.0,
            y + 14.0
        );
    }
    o.push_str("</svg></figure>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn values_are_literal_text_in_markdown() {
        assert_eq!(md("<script>alert(1)</script>"), "&lt;script&gt;alert\\(1\\)&lt;/script&gt;");
        assert_eq!(md("![x](http://e.example/x.png)"), "\\!\\[x\\]\\(http://e.example/x.png\\)");
        assert_eq!(md("=HYPERLINK(\"http://x\")"), "\\=HYPERLINK\\(\\\"http://x\\\"\\)");
        assert_eq!(md("a|b\nc\r\u{7}"), "a\\|b↵c↵\u{FFFD}");
        assert_eq!(md("35-39"), "35-39");
        assert_eq!(md("-5"), "\\-5");
        assert_eq!(md("東京都 *強調* _x_ `code` #1"), "東京都 \\*強調\\* \\_x\\_ \\`code\\` \\#1");
    }

    #[test]
    fn html_pages_load_nothing_and_escape_everything() {
        let doc = Doc {
            lang: Lang::Ja,
            blocks: vec![
                Block::Title("<b>x</b>".into()),
                Block::Table { head: vec!["a".into()], rows: vec![vec!["<img src=http://e.example/p.png>".into()]] },
                Block::Bars {
                    title: "t".into(),
                    bars: vec![("1".into(), 3), ("\"><script>".into(), 0)],
                    unit: "n".into(),
                },
            ],
        };
        let h = doc.html();
        assert!(!h.contains("<img") && !h.contains("<script") && !h.contains("<b>"));
        assert!(h.contains("default-src 'none'"));
        assert!(!h.contains("http://e.example/p.png\""));
    }

    proptest! {
        /// Whatever a value holds, its escaped forms open no tag, break no line and split no
        /// table cell.
        #[test]
        fn escaped_values_are_inert(s in any::<String>()) {
            let e = md(&s);
            prop_assert!(!e.contains('<') && !e.contains('>') && !e.contains('\n') && !e.contains('\r'));
            prop_assert_eq!(e.replace("\\|", "").matches('|').count(), 0);
            prop_assert!(!e.chars().any(|c| c.is_control()));
            let h = html(&s);
            prop_assert!(!h.contains('<') && !h.contains('>') && !h.contains('"') && !h.contains('\''));
        }
    }
}
