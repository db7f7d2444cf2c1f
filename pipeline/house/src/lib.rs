//! House rules every tokumei crate's tests check on its own sources.
//!
//! One rule so far: **no circle**. Within a crate, the top-level modules (a file
//! `src/x.rs` or a folder `src/x/`) form a graph by the names their code uses (`crate::x`,
//! `use crate::{x, y::z}` and nested forms; comment lines and doc links are not read). That
//! graph must have no cycle of any length, so a reader can start at the modules that name
//! nothing and read upwards. Each crate runs it on its own `src/` from a unit test:
//!
//! ```ignore
//! #[test]
//! fn no_circle() {
//!     tokumei_house::assert_no_circle(env!("CARGO_MANIFEST_DIR"), &[]);
//! }
//! ```
//!
//! A known circle not yet broken is passed as an allowed edge `("a", "b")` (a names b);
//! an allowed edge that no longer exists fails the test, so the exception is dropped
//! as soon as the circle is broken.
//!
//! The second rule: **no long function** ([`assert_no_long_function`], in `length.rs`): no `fn`
//! spans more than so many lines (150 in every crate), from its `fn` keyword to its closing
//! brace, so each function is one step a reader takes in at once:
//!
//! ```ignore
//! #[test]
//! fn no_long_function() {
//!     tokumei_house::assert_no_long_function(env!("CARGO_MANIFEST_DIR"), 150);
//! }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

mod length;

pub use length::{FnSpan, assert_no_long_function, functions};

/// Module name → the top-level modules it names.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// The top-level modules each top-level module under `src` names. The crate roots
/// (`lib.rs`, `main.rs`) are left out: they declare and re-export every module.
pub fn graph(src: &Path) -> Graph {
    let mut out = Graph::new();
    walk(src, None, &mut out);
    out
}

fn walk(dir: &Path, top: Option<&str>, out: &mut Graph) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let stem = path.file_stem().expect("a file name").to_string_lossy().to_string();
        let module = top.map_or(stem.clone(), str::to_string);
        if path.is_dir() {
            walk(&path, Some(&module), out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && !(top.is_none() && (module == "lib" || module == "main"))
        {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let text = code(&text);
            let named = out.entry(module.clone()).or_default();
            for name in names(&text) {
                if name != module {
                    named.insert(name);
                }
            }
        }
    }
}

/// The text without its comment lines (`//`, `///`, `//!`): a doc link to another module is
/// a pointer for the reader, not a dependency.
pub fn code(text: &str) -> String {
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The top-level modules a source text names through `crate::`: `crate::a::b`,
/// `crate::{a, b::c}`, `crate::{a::{b, c}, d as e}`, across lines.
pub fn names(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        // `tokumei_jp::crate::` does not occur; `foo_crate::x` must not count.
        if text[..at].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let rest = text[at + "crate::".len()..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            for item in top_items(group) {
                let name: String = item.trim_start().chars().take_while(|&c| is_ident(c)).collect();
                if module_like(&name) && name != "self" {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
            if module_like(&name) {
                out.insert(name);
            }
        }
    }
    out
}

/// A module's name starts lowercase (`crate::Error` is an item of the root).
fn module_like(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
}

/// The comma-separated items of a brace group (text just after its `{`), nested
/// groups kept whole.
fn top_items(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&group[start..]);
    items
}

/// Every cycle's modules, one cycle per strongly connected component of more than one
/// module, each shown as a path `a -> b -> … -> a`.
pub fn circles(graph: &Graph) -> Vec<String> {
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(m) = stack.pop() {
            for n in graph.get(&m).into_iter().flatten() {
                if seen.insert(n.clone()) {
                    stack.push(n.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> = graph.keys().map(|m| (m, reach(m))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for (m, r) in &reaches {
        if done.contains(*m) || !r.contains(*m) {
            continue;
        }
        let component: BTreeSet<&String> =
            reaches.iter().filter(|(n, rn)| rn.contains(*m) && r.contains(**n)).map(|(n, _)| *n).collect();
        done.extend(component.iter().map(|n| (*n).clone()));
        out.push(path_back(graph, m, &component));
    }
    out
}

/// A shortest path from `m` back to itself inside its component.
fn path_back(graph: &Graph, m: &String, component: &BTreeSet<&String>) -> String {
    let mut previous: BTreeMap<&String, &String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([m]);
    while let Some(at) = queue.pop_front() {
        for next in graph.get(at).into_iter().flatten() {
            if !component.contains(next) || previous.contains_key(next) {
                continue;
            }
            previous.insert(next, at);
            if next == m {
                let mut path = vec![m.as_str()];
                let mut back = previous[m];
                while back != m {
                    path.push(back);
                    back = previous[back];
                }
                path.push(m);
                path.reverse();
                return path.join(" -> ");
            }
            queue.push_back(next);
        }
    }
    unreachable!("{m} is in a cycle")
}

/// Fails if the top-level modules of the crate at `manifest_dir` (its `src/`) form
/// a circle once the `allowed` edges (`(a, b)`: a names b) are left out, or if an
/// allowed edge is no longer there.
pub fn assert_no_circle(manifest_dir: &str, allowed: &[(&str, &str)]) {
    let mut graph = graph(&Path::new(manifest_dir).join("src"));
    assert!(!graph.is_empty(), "{manifest_dir}: no module found under src/");
    for (a, b) in allowed {
        let removed = graph.get_mut(*a).is_some_and(|named| named.remove(*b));
        assert!(removed, "{manifest_dir}: the allowed edge {a} -> {b} is gone; drop it from the exceptions");
    }
    let found = circles(&graph);
    assert!(found.is_empty(), "{manifest_dir}: modules import each other in a circle:\n  {}", found.join("\n  "));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_paths_groups_and_nested_groups() {
        let text = "use crate::a::B;\nuse crate::{b, c::{D, e::F}, g as h, self, Error};\nuse crate::{\n    i::J,\n    k,\n};\nfn f() { crate::l::m(); }\n/// [`crate::n`]\nuse tokumei_crate::o; use crate::Top;";
        assert_eq!(names(text), set(&["a", "b", "c", "g", "i", "k", "l", "n"]));
    }

    #[test]
    fn comment_lines_are_not_read() {
        assert_eq!(
            names(&code("//! See [`crate::a`].\n    /// [`crate::b`]\n// crate::c\nuse crate::d;")),
            set(&["d"])
        );
    }

    #[test]
    fn finds_a_circle_of_any_length() {
        let g: Graph = [("a", &["b"][..]), ("b", &["c"]), ("c", &["a"]), ("d", &["a"])]
            .into_iter()
            .map(|(m, n)| (m.to_string(), set(n)))
            .collect();
        assert_eq!(circles(&g), vec!["a -> b -> c -> a".to_string()]);
        let mut g = g;
        g.get_mut("c").unwrap().clear();
        assert!(circles(&g).is_empty());
    }

    /// A crate under a fresh folder with `files` in its `src/`.
    fn crate_with(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("tokumei-house-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let path = dir.join("src").join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn reads_a_crate_and_allows_a_listed_edge() {
        let dir = crate_with(
            "circle",
            &[
                ("lib.rs", "mod a; mod b; mod c; pub use crate::a::A;"),
                ("a.rs", "use crate::b::B;"),
                ("b/mod.rs", "mod inner;"),
                ("b/inner.rs", "use crate::{c::{C}};"),
                ("c.rs", "fn f() { crate::a::g() }"),
            ],
        );
        let m = dir.to_str().unwrap();
        let found = std::panic::catch_unwind(|| assert_no_circle(m, &[])).unwrap_err();
        assert!(found.downcast_ref::<String>().unwrap().contains("a -> b -> c -> a"));
        assert_no_circle(m, &[("c", "a")]);
        // An allowed edge that is gone fails: the exception goes with the circle.
        assert!(std::panic::catch_unwind(|| assert_no_circle(m, &[("a", "c")])).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[cfg(test)]
mod architecture {
    #[test]
    fn no_circle() {
        crate::assert_no_circle(env!("CARGO_MANIFEST_DIR"), &[]);
    }

    #[test]
    fn no_long_function() {
        crate::assert_no_long_function(env!("CARGO_MANIFEST_DIR"), 150);
    }
}
