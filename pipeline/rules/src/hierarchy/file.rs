//! Custom generalisation hierarchies in ARX's CSV format: no header, one row per original
//! value, column i = the value at level i.

use super::{BoundKind, LabelContext, Levels};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A loaded ARX-format hierarchy.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomHierarchy {
    /// Where it was loaded from.
    pub path: PathBuf,
    /// Rows: `rows[i][level]`.
    pub rows: Vec<Vec<String>>,
    /// Original value -> row index.
    pub index: HashMap<String, usize>,
}

impl CustomHierarchy {
    /// Parse hierarchy text. Errors name the line; they never quote values.
    pub fn parse(path: &Path, text: &str, separator: char) -> Result<Self, (usize, String)> {
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut index = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let cells: Vec<String> = line.split(separator).map(str::to_string).collect();
            if let Some(first) = rows.first()
                && cells.len() != first.len()
            {
                return Err((i + 1, format!("has {} levels, the first row has {}", cells.len(), first.len())));
            }
            if index.insert(cells[0].clone(), rows.len()).is_some() {
                return Err((i + 1, "repeats an original value of an earlier row".into()));
            }
            rows.push(cells);
        }
        if rows.is_empty() {
            return Err((0, "is empty".into()));
        }
        // A hierarchy must be a tree: a value at level i must map to one value at level i+1.
        let levels = rows[0].len();
        for level in 1..levels.saturating_sub(1) {
            let mut parent: HashMap<&str, &str> = HashMap::new();
            for (i, r) in rows.iter().enumerate() {
                if let Some(p) = parent.insert(&r[level], &r[level + 1])
                    && p != r[level + 1]
                {
                    return Err((i + 1, format!("level {level} value has two parents at level {}", level + 1)));
                }
            }
        }
        Ok(CustomHierarchy { path: path.to_path_buf(), rows, index })
    }

    /// Number of levels including level 0.
    pub fn levels(&self) -> usize {
        self.rows[0].len()
    }

    /// The generalised values of `value` at every level, or `None` if it is not in the file.
    pub fn lookup(&self, value: &str) -> Option<&[String]> {
        self.index.get(value).map(|&i| self.rows[i].as_slice())
    }
}

impl Levels for CustomHierarchy {
    fn name(&self) -> String {
        format!("file:{}", self.path.display())
    }
    fn max_level(&self) -> u32 {
        self.levels() as u32 - 1
    }
    fn describe(&self, level: u32) -> String {
        format!("level {level} of {}", self.path.display())
    }
    fn describe_ja(&self, level: u32) -> String {
        format!("階層ファイル {} のレベル{level}", self.path.display())
    }
    fn label(&self, v: &str, level: u32, _: &LabelContext) -> Result<String, &'static str> {
        let row = self.lookup(v).ok_or("value is not in the hierarchy file")?;
        Ok(row[(level as usize).min(row.len() - 1)].clone())
    }
    /// Every label of the file's column `level` (every value is in the file).
    fn labels(&self, level: u32) -> Option<Vec<String>> {
        let mut labels: Vec<String> = self.rows.iter().map(|r| r[(level as usize).min(r.len() - 1)].clone()).collect();
        labels.sort_unstable();
        labels.dedup();
        Some(labels)
    }
    /// Ordered when every label at every level is a number, a range `A-B`, `N+`, `<N` or `*`.
    fn bound_kind(&self) -> Option<BoundKind> {
        self.rows.iter().flatten().all(|l| super::bounds::int_bounds(l).is_some()).then_some(BoundKind::Int)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_arx_format() {
        let h = CustomHierarchy::parse(Path::new("h.csv"), "a;x;*\nb;x;*\nc;y;*\n", ';').unwrap();
        assert_eq!(h.levels(), 3);
        assert_eq!(h.lookup("b").unwrap()[1], "x");
        assert!(h.lookup("d").is_none());
    }

    #[test]
    fn rejects_ragged_and_non_tree() {
        assert_eq!(CustomHierarchy::parse(Path::new("h"), "a;x;*\nb;x\n", ';').unwrap_err().0, 2);
        assert!(CustomHierarchy::parse(Path::new("h"), "a;x;p\nb;x;q\n", ';').is_err());
        assert!(CustomHierarchy::parse(Path::new("h"), "a;x\na;y\n", ';').is_err());
    }
}
