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
    /// Size of the domain the shares are measured against (|D| of ARX's "Loss"): the rows of a
    /// hierarchy file even when only some of its values are coded.
    pub loss_domain: usize,
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
        Self::built(name, labels, up, share, d)
    }

    /// The part of a hierarchy file that a column uses: levels `min..=max` of `rows` (ARX
    /// format, `rows[i][0]` the original value), coded over the level-`min` values `present`
    /// (in that order, so code i is `present[i]`) and their ancestors only, so code widths
    /// follow the data, not the file. Shares stay measured against every row of the file, as
    /// ARX's "Loss" defines them. `null` names a value outside the file (a missing value) that
    /// is its own label at every level and counts as one more row of the domain.
    pub fn from_rows_at(
        name: &str,
        rows: &[Vec<String>],
        min: usize,
        max: usize,
        present: &[String],
        null: Option<&str>,
    ) -> Result<Self, AnonError> {
        let err = |message: String| AnonError::Hierarchy { name: name.into(), message };
        if rows.is_empty() || rows.iter().any(|r| r.len() <= max) || min > max {
            return Err(err(format!("has rows without levels {min}..={max}")));
        }
        let with_null = null.is_some_and(|n| present.iter().any(|p| p == n));
        let d = rows.len() + usize::from(with_null);
        // Row counts of each label per level (over the whole file) and one row per level-min value.
        let mut counts: Vec<FxHashMap<&str, u32>> = vec![FxHashMap::default(); max - min + 1];
        let mut row_of: FxHashMap<&str, usize> = FxHashMap::default();
        for (i, r) in rows.iter().enumerate() {
            for (j, c) in counts.iter_mut().enumerate() {
                *c.entry(r[min + j].as_str()).or_insert(0) += 1;
            }
            row_of.entry(r[min].as_str()).or_insert(i);
        }
        let levels = max - min + 1;
        let mut labels: Vec<Vec<String>> = vec![Vec::new(); levels];
        let mut up: Vec<Vec<u32>> = vec![Vec::with_capacity(present.len()); levels];
        let mut share: Vec<Vec<f64>> = vec![Vec::new(); levels];
        let mut codes: Vec<FxHashMap<String, u32>> = vec![FxHashMap::default(); levels];
        for value in present {
            let chain: Vec<(&str, u32)> = if with_null && Some(value.as_str()) == null {
                vec![(value.as_str(), 1); levels]
            } else {
                let i = *row_of
                    .get(value.as_str())
                    .ok_or_else(|| err(format!("a value of the data is not at level {min} of the file")))?;
                (0..levels).map(|j| (rows[i][min + j].as_str(), counts[j][rows[i][min + j].as_str()])).collect()
            };
            for (j, (label, count)) in chain.into_iter().enumerate() {
                let next = codes[j].len() as u32;
                let code = *codes[j].entry(label.to_string()).or_insert_with(|| {
                    labels[j].push(label.to_string());
                    share[j].push(count as f64 / d as f64);
                    next
                });
                up[j].push(code);
            }
        }
        if labels[0].len() != present.len() {
            return Err(err("repeats a value".into()));
        }
        Self::built(name, labels, up, share, d)
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

    /// Index the level-0 labels and check that the levels form a tree.
    fn built(
        name: &str,
        labels: Vec<Vec<String>>,
        up: Vec<Vec<u32>>,
        share: Vec<Vec<f64>>,
        loss_domain: usize,
    ) -> Result<Self, AnonError> {
        let h = Hierarchy {
            name: name.into(),
            index: labels[0].iter().enumerate().map(|(i, v)| (v.clone(), i as u32)).collect(),
            labels,
            up,
            share,
            loss_domain,
        };
        h.check_tree()?;
        Ok(h)
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

    /// [`Hierarchy::step`] for every `from <= to` (empty below): `steps[from][to]`. Level 0's
    /// maps are the `up` maps; each other map is composed from the one a level lower (the
    /// levels form a tree), which reads that level's codes instead of the whole domain.
    pub fn steps(&self) -> Vec<Vec<Vec<u32>>> {
        let n = self.levels();
        let mut out: Vec<Vec<Vec<u32>>> = vec![vec![Vec::new(); n]; n];
        out[0] = self.up.clone();
        for from in 1..n {
            let (done, rest) = out.split_at_mut(from);
            let (below, here) = (&done[from - 1], &mut rest[0]);
            for to in from..n {
                let mut m = vec![0u32; self.labels[from].len()];
                for (c, t) in below[from].iter().zip(&below[to]) {
                    m[*c as usize] = *t;
                }
                here[to] = m;
            }
        }
        out
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
        for (from, maps) in h.steps().iter().enumerate() {
            for (to, map) in maps.iter().enumerate().skip(from) {
                assert_eq!(*map, h.step(from, to), "{from} -> {to}");
            }
        }
        assert!((h.share[1][0] - 2.0 / 3.0).abs() < 1e-12);
        assert!((h.share[2][0] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_file_restricted_to_the_values_present_keeps_its_shares() {
        let file = rows(&[&["a", "x", "*"], &["b", "x", "*"], &["c", "y", "*"], &["d", "y", "*"], &["e", "z", "*"]]);
        let full = Hierarchy::from_rows("h", &file).unwrap();
        let present: Vec<String> = ["c", "a"].iter().map(|s| s.to_string()).collect();
        let h = Hierarchy::from_rows_at("h", &file, 0, 2, &present, None).unwrap();
        assert_eq!(h.domain(), 2);
        assert_eq!(h.loss_domain, 5);
        assert_eq!(h.labels[1], ["y", "x"]);
        assert_eq!(h.share[1], [full.share[1][1], full.share[1][0]]);
        assert_eq!(h.share[2], [1.0]);
        // From level 1: codes over the level-1 values present, shares still over 5 rows.
        let present: Vec<String> = ["z", "x"].iter().map(|s| s.to_string()).collect();
        let h1 = Hierarchy::from_rows_at("h", &file, 1, 2, &present, None).unwrap();
        assert_eq!(h1.share[0], [0.2, 0.4]);
        // A missing value is one more row of the domain.
        let present: Vec<String> = ["a", "\u{0}null"].iter().map(|s| s.to_string()).collect();
        let hn = Hierarchy::from_rows_at("h", &file, 0, 1, &present, Some("\u{0}null")).unwrap();
        assert_eq!(hn.loss_domain, 6);
        assert_eq!(hn.share[1], [2.0 / 6.0, 1.0 / 6.0]);
        assert!(Hierarchy::from_rows_at("h", &file, 0, 1, &["q".to_string()], None).is_err());
    }

    #[test]
    fn rejects_non_tree() {
        assert!(Hierarchy::from_rows("h", &rows(&[&["a", "x", "p"], &["b", "x", "q"]])).is_err());
        assert!(Hierarchy::from_rows("h", &rows(&[&["a", "x"], &["a", "y"]])).is_err());
    }
}
