//! The one escaper of text put into HTML that tokumei writes by hand (documents, report pages):
//! every character that could open markup becomes an entity and a control character cannot hide
//! text, so no value from rules, registry or data becomes markup. (The console's pages use maud,
//! which escapes for itself.)

/// `s` as text in HTML (element content or a quoted attribute). Line breaks and tabs are kept
/// (a paragraph of a notice); every other control character becomes U+FFFD.
pub fn escape(s: &str) -> String {
    escape_with(s, |o, c| o.push(c))
}

/// `s` as one line of HTML text: as [`escape`], with each line break shown as `↵` (a table
/// cell of a report, where a break in a value must stay visible).
pub fn escape_line(s: &str) -> String {
    escape_with(s, |o, _| o.push('↵'))
}

fn escape_with(s: &str, line_break: impl Fn(&mut String, char)) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            '\n' | '\r' => line_break(&mut o, c),
            '\t' => o.push(c),
            c if c.is_control() => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn markup_becomes_text() {
        assert_eq!(escape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
        assert_eq!(escape("一行目\n二行目\u{7}"), "一行目\n二行目\u{FFFD}");
        assert_eq!(escape_line("一行目\r\n二行目"), "一行目↵↵二行目");
    }

    proptest! {
        #[test]
        fn escaped_text_opens_no_markup(s in any::<String>()) {
            for out in [escape(&s), escape_line(&s)] {
                prop_assert!(!out.contains(['<', '>', '"', '\'']));
                prop_assert!(out.match_indices('&').all(|(i, _)| ["&lt;", "&gt;", "&amp;", "&quot;", "&#39;"].iter().any(|e| out[i..].starts_with(e))));
            }
        }
    }
}
