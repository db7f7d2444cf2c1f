//! l-diversity of a sensitive column, in its three forms: distinct, entropy and recursive
//! (c,l). Each sensitive column needs its own l (a column's `l`, else `[privacy] l`).

use super::{Class, ClassModel, Key, Model, ModelDef, Names, Safer, SettingError, Settings, ValueKind};

/// The definition: the column's l with `[privacy] l_model` and `c`.
pub(super) const DEF: ModelDef = ModelDef {
    name: "l-diversity",
    applies_to: "every sensitive column kept in the output with an `l` (its own or `[privacy] l`)",
    keys: &[
        Key {
            name: "l_model",
            kind: ValueKind::Choice(&["distinct", "entropy", "recursive"]),
            doc: "`distinct` (default): at least l different values; `entropy`: the entropy of the values in each class is at least log(l); `recursive`: recursive (c,l)-diversity, the most frequent value's count below c times the sum of the l-th and rarer counts (needs `c`)",
        },
        Key { name: "c", kind: ValueKind::Positive, doc: "c of recursive (c,l)-diversity" },
    ],
    build,
};

fn build(s: &Settings) -> Result<Vec<Model>, SettingError> {
    let c = s.number("c");
    let form = s.text("l_model").unwrap_or("distinct");
    match (form, c) {
        ("recursive", None) => {
            return Err(SettingError { key: "l_model", message: "recursive (c,l)-diversity needs `c`".into() });
        }
        ("distinct" | "entropy", Some(_)) => {
            return Err(SettingError { key: "c", message: "c applies only with l_model = \"recursive\"".into() });
        }
        _ => {}
    }
    Ok(s.sensitive
        .iter()
        .enumerate()
        .filter_map(|(column, col)| col.l.map(|l| (column, l)))
        .map(|(column, l)| match (form, c) {
            ("entropy", _) => Model::class(EntropyL { column, l: l as f64 }),
            ("recursive", Some(c)) => Model::class(RecursiveCL { column, c, l }),
            _ => Model::class(DistinctL { column, l }),
        })
        .collect())
}

fn column_name(sensitive: &[String], column: usize) -> &str {
    sensitive.get(column).map_or("", String::as_str)
}

/// Every class holds at least `l` distinct values of the sensitive column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DistinctL {
    /// Sensitive column.
    pub column: usize,
    /// l.
    pub l: u32,
}

impl ClassModel for DistinctL {
    fn kind(&self) -> &'static str {
        "distinct_l_diversity"
    }
    fn names(&self, sensitive: &[String]) -> Names {
        let col = column_name(sensitive, self.column);
        Names {
            en: format!("distinct l-diversity of {col}, l={}", self.l),
            ja: format!("{col}のl-多様性（異なり値、l={}）", self.l),
        }
    }
    fn column(&self) -> Option<usize> {
        Some(self.column)
    }
    fn min_size(&self) -> u32 {
        self.l
    }
    fn monotone(&self) -> bool {
        true
    }
    fn satisfied(&self, class: &Class, _: &mut Vec<f64>) -> bool {
        class.dists[self.column].counts.len() as u32 >= self.l
    }
    fn measure(&self, class: &Class, _: &mut Vec<f64>) -> f64 {
        class.dists[self.column].counts.len() as f64
    }
    fn safer(&self) -> Safer {
        Safer::Higher
    }
    fn required(&self) -> f64 {
        self.l as f64
    }
}

/// The entropy of the sensitive values in every class is at least log(l); the measure is the
/// class's effective l, exp(entropy).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntropyL {
    /// Sensitive column.
    pub column: usize,
    /// l.
    pub l: f64,
}

impl EntropyL {
    fn entropy(&self, class: &Class) -> f64 {
        let d = &class.dists[self.column];
        let n = d.size as f64;
        d.counts
            .iter()
            .map(|(_, c)| {
                let p = *c as f64 / n;
                -p * p.ln()
            })
            .sum()
    }
}

impl ClassModel for EntropyL {
    fn kind(&self) -> &'static str {
        "entropy_l_diversity"
    }
    fn names(&self, sensitive: &[String]) -> Names {
        let col = column_name(sensitive, self.column);
        Names {
            en: format!("entropy l-diversity of {col}, l={}", self.l),
            ja: format!("{col}のl-多様性（エントロピー、l={}）", self.l),
        }
    }
    fn column(&self) -> Option<usize> {
        Some(self.column)
    }
    fn satisfied(&self, class: &Class, _: &mut Vec<f64>) -> bool {
        self.entropy(class) >= self.l.ln() - 1e-12
    }
    fn measure(&self, class: &Class, _: &mut Vec<f64>) -> f64 {
        self.entropy(class).exp()
    }
    fn safer(&self) -> Safer {
        Safer::Higher
    }
    fn required(&self) -> f64 {
        self.l
    }
}

/// Recursive (c,l)-diversity: r1 < c (r_l + ... + r_m), r_i the i-th largest count. The
/// measure is r1 / (r_l + ... + r_m), which must stay below c.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecursiveCL {
    /// Sensitive column.
    pub column: usize,
    /// c.
    pub c: f64,
    /// l.
    pub l: u32,
}

impl ClassModel for RecursiveCL {
    fn kind(&self) -> &'static str {
        "recursive_cl_diversity"
    }
    fn names(&self, sensitive: &[String]) -> Names {
        let col = column_name(sensitive, self.column);
        Names {
            en: format!("recursive (c,l)-diversity of {col}, c={}, l={}", self.c, self.l),
            ja: format!("{col}の再帰的(c,l)-多様性（c={}、l={}）", self.c, self.l),
        }
    }
    fn column(&self) -> Option<usize> {
        Some(self.column)
    }
    fn min_size(&self) -> u32 {
        self.l
    }
    fn satisfied(&self, class: &Class, scratch: &mut Vec<f64>) -> bool {
        self.measure(class, scratch) < self.c
    }
    fn measure(&self, class: &Class, _: &mut Vec<f64>) -> f64 {
        let mut counts: Vec<u32> = class.dists[self.column].counts.iter().map(|(_, n)| *n).collect();
        if counts.len() < self.l.max(1) as usize {
            return f64::INFINITY;
        }
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let tail: u64 = counts[self.l.max(1) as usize - 1..].iter().map(|x| *x as u64).sum();
        counts[0] as f64 / tail as f64
    }
    fn safer(&self) -> Safer {
        Safer::Lower
    }
    fn required(&self) -> f64 {
        self.c
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Global, testing::judge};
    use super::*;

    #[test]
    fn diversity_models() {
        let counts = [(0u32, 6u32), (1, 3), (2, 1)];
        let g = Global::new(vec![0.5, 0.3, 0.2], None, None);
        assert!(judge(&Model::class(DistinctL { column: 0, l: 3 }), &counts, &g).0);
        assert!(!judge(&Model::class(DistinctL { column: 0, l: 4 }), &counts, &g).0);
        // Entropy of (0.6, 0.3, 0.1) is 0.898 nats: >= ln 2, < ln 3.
        let (ok, effective) = judge(&Model::class(EntropyL { column: 0, l: 2.0 }), &counts, &g);
        assert!(ok && (effective - 0.898_f64.exp()).abs() < 1e-3);
        assert!(!judge(&Model::class(EntropyL { column: 0, l: 3.0 }), &counts, &g).0);
        // Recursive (c,l): 6 < c * (3 + 1) for l = 2 needs c > 1.5.
        let (ok, ratio) = judge(&Model::class(RecursiveCL { column: 0, c: 2.0, l: 2 }), &counts, &g);
        assert!(ok && (ratio - 1.5).abs() < 1e-12);
        assert!(!judge(&Model::class(RecursiveCL { column: 0, c: 1.5, l: 2 }), &counts, &g).0);
        // Fewer values than l never satisfies recursive (c,l).
        assert!(!judge(&Model::class(RecursiveCL { column: 0, c: 1e9, l: 4 }), &counts, &g).0);
    }
}
