//! What the CLI prints after a change to a personal-information file's entry: registered, rules
//! allowed, source added, proposals set, the ファイル簿 written.

use super::told::Told;
use std::path::Path;
use tokumei_registry::FileEntry;

/// `file add`: the file registered with its rule files; its warnings on stderr.
pub fn added(entry: &FileEntry, id: i64, rules: usize) -> Told {
    Told {
        out: format!("registered file `{}` (#{id}) with {rules} allowed rule file(s)\n", entry.name),
        err: entry.warnings().iter().map(|w| format!("warning: {w}\n")).collect(),
    }
}

/// `file allow-rules`.
pub fn rules_allowed(name: &str, rules: &str) -> Told {
    Told::out(format!("file `{name}`: rules {rules} allowed\n"))
}

/// `file add-source`.
pub fn source_added(name: &str, path: &str, format: &str) -> Told {
    Told::out(format!("file `{name}`: records kept in {path} ({format})\n"))
}

/// `file set-proposals`.
pub fn proposals_set(name: &str, office: &str) -> Told {
    Told::out(format!("file `{name}`: proposals to {} (法110条2号, 法117条2号)\n", office.trim()))
}

/// `file book`: the ファイル簿 written (and the files whose entry is withheld).
pub fn book_written(files: usize, (html, csv): (&Path, &Path), withheld: usize) -> Told {
    let left_out = if withheld > 0 {
        format!(" ({withheld} file(s) whose entry is withheld under 法75条3項 left out)")
    } else {
        String::new()
    };
    Told::out(format!(
        "wrote the ファイル簿 of {files} file(s) to {} and {}{left_out}\n",
        html.display(),
        csv.display()
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_book_says_what_it_left_out() {
        let (h, c) = (std::path::Path::new("b.html"), std::path::Path::new("b.csv"));
        assert_eq!(super::book_written(2, (h, c), 0).out, "wrote the ファイル簿 of 2 file(s) to b.html and b.csv\n");
        assert!(super::book_written(2, (h, c), 1).out.contains("(1 file(s) whose entry is withheld"));
        assert_eq!(super::proposals_set("f", " 課 ").out, "file `f`: proposals to 課 (法110条2号, 法117条2号)\n");
    }
}
