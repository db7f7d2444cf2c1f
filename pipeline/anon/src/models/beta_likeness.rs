//! Enhanced β-likeness (Cao and Karras, 2012): in every class, no value of a sensitive column
//! is much more frequent than in the whole table. For a value of table share p and class share
//! q > p, the relative gain (q - p) / p may not exceed min(β, -ln p), so rare values (whose
//! disclosure says most) are bounded by β and common ones more tightly. Unlike t-closeness, it
//! bounds the gain for each value, not an average over values.

use super::{Class, ClassModel, Key, Model, ModelDef, Names, Safer, Settings, ValueKind};

/// The definition: `[privacy] beta`, for every sensitive column.
pub(super) const DEF: ModelDef = ModelDef {
    name: "β-likeness",
    applies_to: "every sensitive column kept in the output",
    keys: &[Key {
        name: "beta",
        kind: ValueKind::Positive,
        doc: "enhanced β-likeness of every sensitive column: in each class, a value whose share of the whole input is p may have a share q above p only by a relative gain (q - p) / p of at most min(β, -ln p); it bounds what a class reveals about each single value (e.g. a rare diagnosis), which t-closeness only bounds on average",
    }],
    build,
};

fn build(s: &Settings) -> Result<Vec<Model>, super::SettingError> {
    Ok(match s.number("beta") {
        None => Vec::new(),
        Some(beta) => (0..s.sensitive.len()).map(|column| Model::class(BetaLikeness { column, beta })).collect(),
    })
}

/// Enhanced β-likeness of one sensitive column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BetaLikeness {
    /// Sensitive column.
    pub column: usize,
    /// β.
    pub beta: f64,
}

impl BetaLikeness {
    /// The class's values as `(relative gain, table share)` for values more frequent in the
    /// class than in the table.
    fn gains<'c>(&self, class: &'c Class) -> impl Iterator<Item = (f64, f64)> + 'c {
        let d = &class.dists[self.column];
        let share = &class.globals[self.column].share;
        let n = d.size as f64;
        d.counts.iter().filter_map(move |(code, count)| {
            let p = share[*code as usize];
            let q = *count as f64 / n;
            (q > p && p > 0.0).then(|| ((q - p) / p, p))
        })
    }
}

impl ClassModel for BetaLikeness {
    fn kind(&self) -> &'static str {
        "beta_likeness"
    }
    fn names(&self, sensitive: &[String]) -> Names {
        let col = sensitive.get(self.column).map_or("", String::as_str);
        Names {
            en: format!("enhanced β-likeness of {col}, β={}", self.beta),
            ja: format!("{col}のβ-類似性（拡張、β={}）", self.beta),
        }
    }
    fn column(&self) -> Option<usize> {
        Some(self.column)
    }
    fn satisfied(&self, class: &Class, _: &mut Vec<f64>) -> bool {
        self.gains(class).all(|(gain, p)| gain <= self.beta.min(-p.ln()) + 1e-12)
    }
    /// The largest relative gain of any value.
    fn measure(&self, class: &Class, _: &mut Vec<f64>) -> f64 {
        self.gains(class).map(|(g, _)| g).fold(0.0, f64::max)
    }
    fn safer(&self) -> Safer {
        Safer::Lower
    }
    fn required(&self) -> f64 {
        self.beta
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Global, testing::judge};
    use super::*;

    #[test]
    fn gain_bounded_by_beta_and_by_minus_log_p() {
        // Table shares: a rare value 0.1, a common one 0.9.
        let g = Global::new(vec![0.1, 0.9], None, None);
        let m = |beta| Model::class(BetaLikeness { column: 0, beta });
        // Class (0.2, 0.8): the rare value's gain is 1.0; -ln 0.1 = 2.30, so β decides.
        let counts = [(0u32, 2u32), (1, 8)];
        let (ok, gain) = judge(&m(1.0), &counts, &g);
        assert!(ok && (gain - 1.0).abs() < 1e-9);
        assert!(!judge(&m(0.99), &counts, &g).0);
        // Class (0, 1): the common value's gain is 0.111 but -ln 0.9 = 0.105 bounds it, whatever β.
        let counts = [(1u32, 10u32)];
        let (ok, gain) = judge(&m(5.0), &counts, &g);
        assert!(!ok && (gain - 1.0 / 9.0).abs() < 1e-12);
        // The table itself gains nothing.
        let counts = [(0u32, 1u32), (1, 9)];
        assert_eq!(judge(&m(0.01), &counts, &g), (true, 0.0));
    }
}
