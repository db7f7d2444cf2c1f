//! Generalisation hierarchies as code maps.

use crate::AnonError;
use rustc_hash::FxHashMap;

/// A generalisation hierarchy over a domain of level-0 values.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    /// Name for messages.
    pub name: String,
    /// `labels[level][code]`: the distinct values at each level.
    pub labels: Vec<Vec<String>>,
    /// `up[level][code0]`: the level-`level` code of level-0 code `code0`.
    pub up: Vec<Vec<u32>>,
    /// `share[level][code]`: share of the domain that the value covers (ARX "Loss").
    pub share: Vec<Vec<f64>>,
    index: FxHashMap<String, u32>,
}

impl Hierarchy {
    /// Build from ARX-format rows: `rows[i][level]`, `rows[i][0]` the original value. The
    /// domain is the rows (so shares are measured against the whole hierarchy, as ARX does).
    pub fn from_rows(name: &str, rows: &[Vec<String>]) -> Result<Self, AnonError> {
        let err = |message: String| AnonError::Hierarchy { name: name.into(), message };
        let levels = rows.first().map(|r| r.len()).ok_or_else(|| err("is empty".into()))?;
        if levels == 0 || rows.iter().any(|r| r.len() != levels) {
            return Err(err("rows have different numbers of levels".into()));
        }
        let d = rows.len();
        let mut labels = Vec::with_capacity(levels);
        let mut up = Vec::with_capacity(levels);
        let mut share = Vec::with_capacity(levels);
        for level in 0..levels {
            let mut codes: FxHashMap<&str, u32> = FxHashMap::default();
            let mut lab = Vec::new();
            let mut counts: Vec<u32> = Vec::new();
            let mut u = Vec::with_capacity(d);
            for r in rows {
                let next = codes.len() as u32;
                let c = *codes.entry(r[level].as_str()).or_insert_with(|| {
                    lab.push(r[level].clone());
                    counts.push(0);
                    next
                });
                counts[c as usize] += 1;
                u.push(c);
            }
            if level == 0 && lab.len() != d {
                return Err(err("repeats an original value".into()));
            }
            labels.push(lab);
            up.push(u);
            share.push(counts.iter().map(|c| *c as f64 / d as f64).collect());
        }
        let h = Hierarchy {
            name: name.into(),
            index: labels[0].iter().enumerate().map(|(i, v)| (v.clone(), i as u32)).collect(),
            labels,
            up,
            share,
        };
        h.check_tree()?;
        Ok(h)
    }

    /// Build for the distinct `values` of a column with `levels` levels, labelling level l of
    /// a value with `label(value, l)` (level 0 must be the value itself).
    pub fn from_fn(
        name: &str,
        values: &[String],
        levels: usize,
        label: impl Fn(&str, usize) -> String,
    ) -> Result<Self, AnonError> {
        let rows: Vec<Vec<String>> = values
            .iter()
            .map(|v| (0..levels).map(|l| if l == 0 { v.clone() } else { label(v, l) }).collect())
            .collect();
        Self::from_rows(name, &rows)
    }

    fn check_tree(&self) -> Result<(), AnonError> {
        for level in 1..self.levels().saturating_sub(1) {
            let mut parent = vec![u32::MAX; self.labels[level].len()];
            for (c0, c) in self.up[level].iter().enumerate() {
                let p = self.up[level + 1][c0];
                let slot = &mut parent[*c as usize];
                if *slot != u32::MAX && *slot != p {
                    return Err(AnonError::Hierarchy {
                        name: self.name.clone(),
                        message: format!("a level-{level} value has two parents at level {}", level + 1),
                    });
                }
                *slot = p;
            }
        }
        Ok(())
    }

    /// Number of levels including level 0.
    pub fn levels(&self) -> usize {
        self.labels.len()
    }

    /// Highest level.
    pub fn max_level(&self) -> usize {
        self.levels() - 1
    }

    /// Size of the domain (level-0 values).
    pub fn domain(&self) -> usize {
        self.labels[0].len()
    }

    /// Level-0 code of a value.
    pub fn code(&self, value: &str) -> Option<u32> {
        self.index.get(value).copied()
    }

    /// Map from codes at level `from` to codes at level `to` (`from <= to`).
    pub fn step(&self, from: usize, to: usize) -> Vec<u32> {
        let mut m = vec![0u32; self.labels[from].len()];
        for c0 in 0..self.domain() {
            m[self.up[from][c0] as usize] = self.up[to][c0];
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(t: &[&[&str]]) -> Vec<Vec<String>> {
        t.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect()
    }

    #[test]
    fn codes_steps_and_shares() {
        let h = Hierarchy::from_rows("h", &rows(&[&["a", "x", "*"], &["b", "x", "*"], &["c", "y", "*"]])).unwrap();
        assert_eq!(h.levels(), 3);
        assert_eq!(h.code("c"), Some(2));
        assert_eq!(h.step(0, 1), vec![0, 0, 1]);
        assert_eq!(h.step(1, 2), vec![0, 0]);
        assert!((h.share[1][0] - 2.0 / 3.0).abs() < 1e-12);
        assert!((h.share[2][0] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn rejects_non_tree() {
        assert!(Hierarchy::from_rows("h", &rows(&[&["a", "x", "p"], &["b", "x", "q"]])).is_err());
        assert!(Hierarchy::from_rows("h", &rows(&[&["a", "x"], &["a", "y"]])).is_err());
    }
}
