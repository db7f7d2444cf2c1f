//! The second house rule: **no long function**. Every `fn` in a crate's `src/**/*.rs` spans at
//! most so many lines, from the line of its `fn` keyword to the line of its closing brace
//! (inclusive; a nested function counts within the one around it, and is measured on its own
//! too). The sources are read by a small lexer that skips comments (nested block comments too),
//! string literals (byte, C and raw strings, `r#"…"#`), char literals and lifetimes, so a brace
//! in any of them is not counted.

use std::path::{Path, PathBuf};

/// A function found in a source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FnSpan {
    /// Its name (`$name` in a macro).
    pub name: String,
    /// The line of its `fn` keyword (1-based).
    pub line: usize,
    /// Lines from the `fn` keyword to its closing brace, both included.
    pub lines: usize,
}

/// A token of the source that matters for the rule: a word, or one punctuation character.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An identifier or keyword (a raw identifier `r#fn` is `Raw`, never the keyword).
    Word(String),
    /// A raw identifier, `r#name`.
    Raw,
    /// One punctuation character (`{`, `}`, `(`, `;`, `$`, ...).
    Punct(char),
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// The tokens of `text` with their lines, comments and literals left out.
fn tokens(text: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0usize, 1usize);
    let at = |i: usize| chars.get(i).copied();
    // Skip to just after the closing quote of a string whose body starts at `i`.
    let skip_string = |mut i: usize, line: &mut usize| {
        while let Some(c) = at(i) {
            match c {
                '\\' => {
                    if at(i + 1) == Some('\n') {
                        *line += 1;
                    }
                    i += 2;
                }
                '"' => return i + 1,
                '\n' => {
                    *line += 1;
                    i += 1;
                }
                _ => i += 1,
            }
        }
        i
    };
    while let Some(c) = at(i) {
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            '/' if at(i + 1) == Some('/') => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
            }
            '/' if at(i + 1) == Some('*') => {
                let mut depth = 0usize;
                while let Some(c) = at(i) {
                    if c == '/' && at(i + 1) == Some('*') {
                        depth += 1;
                        i += 2;
                    } else if c == '*' && at(i + 1) == Some('/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        line += usize::from(c == '\n');
                        i += 1;
                    }
                }
            }
            '"' => i = skip_string(i + 1, &mut line),
            '\'' => {
                // A char literal ('x', '\n', '\u{1F}', '}') or a lifetime or label ('a).
                if at(i + 1) == Some('\\') {
                    i += 3;
                    while at(i).is_some_and(|c| c != '\'') {
                        i += 1;
                    }
                    i += 1;
                } else if at(i + 2) == Some('\'') {
                    line += usize::from(at(i + 1) == Some('\n'));
                    i += 3;
                } else {
                    i += 1;
                }
            }
            c if is_ident_start(c) => {
                let start = i;
                while at(i).is_some_and(is_ident) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let raw_prefix = matches!(word.as_str(), "r" | "br" | "cr");
                let hashes = chars[i..].iter().take_while(|c| **c == '#').count();
                if raw_prefix && at(i + hashes) == Some('"') {
                    // A raw string: it ends at a quote followed by as many hashes.
                    i += hashes + 1;
                    while let Some(c) = at(i) {
                        if c == '"' && (1..=hashes).all(|h| at(i + h) == Some('#')) {
                            i += hashes + 1;
                            break;
                        }
                        line += usize::from(c == '\n');
                        i += 1;
                    }
                } else if word == "r" && hashes == 1 && at(i + 1).is_some_and(is_ident_start) {
                    i += 1;
                    while at(i).is_some_and(is_ident) {
                        i += 1;
                    }
                    out.push((Token::Raw, line));
                } else if matches!(word.as_str(), "b" | "c") && at(i) == Some('"') {
                    i = skip_string(i + 1, &mut line);
                } else {
                    out.push((Token::Word(word), line));
                }
            }
            c if c.is_whitespace() => i += 1,
            c if c.is_ascii_digit() => {
                while at(i).is_some_and(is_ident) {
                    i += 1;
                }
            }
            c => {
                out.push((Token::Punct(c), line));
                i += 1;
            }
        }
    }
    out
}

/// Every function with a body in `text`, in order.
pub fn functions(text: &str) -> Vec<FnSpan> {
    let tokens = tokens(text);
    let mut out = Vec::new();
    for (at, (token, line)) in tokens.iter().enumerate() {
        if *token != Token::Word("fn".into()) {
            continue;
        }
        // `fn(u32) -> u32` is a type, not a definition.
        let name = match (tokens.get(at + 1), tokens.get(at + 2)) {
            (Some((Token::Word(name), _)), _) => name.clone(),
            (Some((Token::Punct('$'), _)), Some((Token::Word(name), _))) => format!("${name}"),
            (Some((Token::Raw, _)), _) => "r#…".into(),
            _ => continue,
        };
        if let Some(end) = body_end(&tokens[at + 1..]) {
            out.push(FnSpan { name, line: *line, lines: end - line + 1 });
        }
    }
    out
}

/// The line of the brace that closes the body after a function's signature, or `None` when
/// it has none (a declaration ending in `;`, or a macro's `fn $name() $body`).
fn body_end(tokens: &[(Token, usize)]) -> Option<usize> {
    let mut nesting = 0usize;
    let mut body = None;
    for (i, (token, _)) in tokens.iter().enumerate() {
        match token {
            Token::Punct('(' | '[') => nesting += 1,
            Token::Punct(')' | ']') => nesting = nesting.saturating_sub(1),
            Token::Punct(';' | '}') if nesting == 0 => return None,
            Token::Punct('{') if nesting == 0 => {
                body = Some(i);
                break;
            }
            _ => {}
        }
    }
    let mut depth = 0usize;
    for (token, line) in &tokens[body?..] {
        match token {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth -= 1;
                if depth == 0 {
                    return Some(*line);
                }
            }
            _ => {}
        }
    }
    None
}

/// The `.rs` files under `dir`, sorted.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for path in entries {
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Fails naming every function of the crate at `manifest_dir` (its `src/**/*.rs`) that spans
/// more than `max_lines` lines, from its `fn` keyword to its closing brace.
pub fn assert_no_long_function(manifest_dir: &str, max_lines: usize) {
    let src = Path::new(manifest_dir).join("src");
    let files = sources(&src);
    assert!(!files.is_empty(), "{manifest_dir}: no source found under src/");
    let mut long = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for f in functions(&text).into_iter().filter(|f| f.lines > max_lines) {
            let shown = path.strip_prefix(manifest_dir).unwrap_or(&path).display().to_string();
            long.push(format!("{shown}:{} fn {}: {} lines", f.line, f.name, f.lines));
        }
    }
    assert!(
        long.is_empty(),
        "{manifest_dir}: functions over {max_lines} lines (split them into named steps):\n  {}",
        long.join("\n  ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<(String, usize, usize)> {
        functions(text).into_iter().map(|f| (f.name, f.line, f.lines)).collect()
    }

    #[test]
    fn a_brace_in_a_string_or_char_is_not_counted() {
        let text = "fn a() {\n    let s = \"}}\\\" }\";\n    let c = '}';\n    let e = '\\'';\n}\nfn b() {}\n";
        assert_eq!(spans(text), vec![("a".into(), 1, 5), ("b".into(), 6, 1)]);
    }

    #[test]
    fn raw_strings_byte_strings_and_raw_identifiers() {
        let text = "fn a() {\n    let r = r#\"}\" \"#;\n    let q = r\"}\";\n    let b = br##\"\"#}\"##;\n    let y = b\"}\";\n    let r#fn = 1;\n}\n";
        assert_eq!(spans(text), vec![("a".into(), 1, 7)]);
    }

    #[test]
    fn lifetimes_are_not_chars() {
        let text = "fn a<'a>(x: &'a str) -> &'a str {\n    'outer: loop { break 'outer; }\n    x\n}\n";
        assert_eq!(spans(text), vec![("a".into(), 1, 4)]);
    }

    #[test]
    fn comments_are_skipped_and_nested_functions_counted_apart() {
        let text = "// fn x() {\n/* } /* nested } */ fn y() { */\nfn outer() {\n    fn inner() {\n        // }\n    }\n    inner()\n}\n";
        assert_eq!(spans(text), vec![("outer".into(), 3, 6), ("inner".into(), 4, 3)]);
    }

    #[test]
    fn declarations_types_and_macros_have_no_body() {
        let text = "trait T { fn f(&self) -> [u8; 2]; fn g() {} }\ntype P = fn(u32) -> u32;\nfn h(f: impl Fn() -> u32) -> u32 { f() }\nmacro_rules! m { ($n:ident, $b:block) => { fn $n() $b }; }\nmacro_rules! k { ($n:ident) => { fn $n() {} }; }\n";
        assert_eq!(spans(text), vec![("g".into(), 1, 1), ("h".into(), 3, 1), ("$n".into(), 5, 1)]);
    }

    #[test]
    fn fails_naming_every_long_function() {
        let dir = std::env::temp_dir().join(format!("tokumei-house-{}-long", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src/m")).unwrap();
        let long = |name: &str| format!("fn {name}() {{\n{}}}\n", "    let _ = 1;\n".repeat(4));
        std::fs::write(dir.join("src/lib.rs"), format!("mod m;\n{}", long("top"))).unwrap();
        std::fs::write(dir.join("src/m/mod.rs"), format!("fn short() {{}}\n{}", long("deep"))).unwrap();
        let m = dir.to_str().unwrap();
        assert_no_long_function(m, 6);
        let found = std::panic::catch_unwind(|| assert_no_long_function(m, 5)).unwrap_err();
        let message = found.downcast_ref::<String>().unwrap();
        assert!(message.contains("src/lib.rs:2 fn top: 6 lines"), "{message}");
        assert!(message.contains("src/m/mod.rs:2 fn deep: 6 lines"), "{message}");
        assert!(!message.contains("short"), "{message}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
