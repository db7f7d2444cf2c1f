//! `pram`: the post-randomisation method on a categorical column (sdcMicro `pram`).
//!
//! - `keep` with `invariant` (the default): each record is chosen at random with probability
//!   1 - keep, and the chosen records' categories are shuffled among them. Each record keeps its
//!   category with probability keep (and a chosen one may draw its own back: about
//!   (1 - keep)(1 - Σπ²) of the records change, reported as `expected_changed`), else takes a
//!   category drawn from the column's distribution: the transition matrix is
//!   keep·I + (1 - keep)·1·πᵀ in expectation, and the released distribution is the input's
//!   **exactly** (the multiset of values is kept).
//! - `keep` with `invariant = false`: each record keeps its category with probability keep, else
//!   takes one of the other categories, each as likely.
//! - `matrix_file` with `invariant = false`: each record's category is drawn from its row of the
//!   stated matrix P.
//! - `matrix_file` with `invariant` (the default): Gouweleeuw's invariant matrix R = P·Q,
//!   Q_ij = π_j P_ji / Σ_k π_k P_ki, π the input's distribution: kept in expectation.
//!
//! With `within`, each stratum (records sharing the released values of the `within` columns) is
//! randomised on its own: on its own distribution, and among its own categories. A missing value
//! stays missing, and no record is given a missing value.

use super::swap::{Strata, value_ranks};
use super::{Context, Facts, Target, Technique, write_codes};
use crate::cell::Cell;
use crate::error::EngineError;
use rand::RngExt;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha20Rng;
use tokumei_report::Randomised;

/// The technique.
pub(crate) struct Pram {
    p: tokumei_rules::Pram,
}

impl Pram {
    /// For the settings `p`.
    pub fn new(p: tokumei_rules::Pram) -> Self {
        Pram { p }
    }
}

/// The column's categories: their values in order, and each dictionary code's category.
struct Categories {
    cells: Vec<Cell>,
    /// `u32::MAX`: a missing value.
    of_code: Vec<u32>,
}

impl Technique for Pram {
    fn apply(&self, unit: &mut [Target], cx: &Context, rng: &mut ChaCha20Rng) -> Result<Facts, EngineError> {
        let [t] = unit else {
            return Err(EngineError::Internal("pram perturbs one column at a time".into()));
        };
        let cats = match &self.p.matrix {
            None => data_categories(&t.dict.values),
            Some(m) => matrix_categories(t, cx, m)?,
        };
        let k = cats.cells.len();
        let strata = Strata::of(&t.dict.codes, &cats.of_code, cx.strata);
        let mut cat: Vec<u32> = t.dict.codes.iter().map(|c| cats.of_code[*c as usize]).collect();
        let before = shares(&cat, k);
        let p = self.p.matrix.as_ref().map(|m| matrix(m, &cats, t));
        let mut shown: Vec<Vec<f64>> = Vec::new();
        // Records expected to get another category, summed over the strata.
        let mut expected = 0.0f64;
        let form = match (&p, self.p.invariant) {
            (None, true) => {
                let change = 1.0 - self.p.keep;
                for s in 0..strata.count() {
                    let rows = strata.rows(s);
                    expected += shuffled_change(rows.len(), change, &shares_of(rows, &cat, k)) * rows.len() as f64;
                    exact(rows, &mut cat, change, rng);
                }
                "invariant"
            }
            (None, false) => {
                for s in 0..strata.count() {
                    let rows = strata.rows(s);
                    if shares_of(rows, &cat, k).iter().filter(|x| **x > 0.0).count() > 1 {
                        expected += (1.0 - self.p.keep) * rows.len() as f64;
                    }
                    others(rows, &mut cat, self.p.keep, rng);
                }
                "keep"
            }
            (Some(p), false) => {
                let cum: Vec<Vec<f64>> = p.iter().map(|row| cumulative(row)).collect();
                for s in 0..strata.count() {
                    let rows = strata.rows(s);
                    expected += off_diagonal(p, &shares_of(rows, &cat, k)) * rows.len() as f64;
                    draw(rows, &mut cat, &cum, rng);
                }
                shown = p.clone();
                "matrix"
            }
            (Some(p), true) => {
                for s in 0..strata.count() {
                    let rows = strata.rows(s);
                    let pi = shares_of(rows, &cat, k);
                    let r = invariant(p, &pi);
                    expected += off_diagonal(&r, &pi) * rows.len() as f64;
                    let cum: Vec<Vec<f64>> = r.iter().map(|row| cumulative(row)).collect();
                    draw(rows, &mut cat, &cum, rng);
                }
                shown = invariant(p, &before);
                "matrix, invariant"
            }
        };
        let valued = cat.iter().filter(|c| **c != u32::MAX).count();
        let expected = (valued > 0).then(|| expected / valued as f64);
        let after = shares(&cat, k);
        let largest = before.iter().zip(&after).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        write(t, &cats, &cat);
        let facts = Randomised {
            form: form.into(),
            keep: self.p.matrix.is_none().then_some(self.p.keep),
            categories: cats.cells.iter().map(Cell::label).collect(),
            marginal: before,
            released: after,
            matrix: shown,
            marginal_exact: form == "invariant",
            largest_share_change: largest,
            strata: strata.count() as u64,
            expected_changed: expected,
        };
        Ok(Facts { pram: Some(facts), nulled: vec![0], ..Facts::default() })
    }
}

/// The categories of the keep forms: the column's values, in their order.
fn data_categories(values: &[Cell]) -> Categories {
    let rank = value_ranks(values);
    let mut cells = vec![Cell::Null; rank.iter().filter(|r| **r != u32::MAX).count()];
    for (code, r) in rank.iter().enumerate() {
        if *r != u32::MAX {
            cells[*r as usize] = values[code].clone();
        }
    }
    Categories { cells, of_code: rank }
}

/// The categories of a stated matrix, in the file's order, read as the column's values are;
/// every category of the column must have its row.
fn matrix_categories(t: &Target, cx: &Context, m: &[tokumei_rules::Transition]) -> Result<Categories, EngineError> {
    let at = format!("{}:{}: `{}`", cx.plan.rules_path.display(), t.plan.line, t.plan.name);
    let mut cells: Vec<Cell> = Vec::new();
    for label in m.iter().flat_map(|x| [&x.from, &x.to]) {
        let cell = crate::cell::typed(t.plan.ty, label, t.plan.nfkc).map_err(|_| {
            EngineError::Config(format!(
                "{at}: its matrix_file names a category that is not a value of the column's type ({})",
                t.plan.ty.as_str()
            ))
        })?;
        if !cells.contains(&cell) {
            cells.push(cell);
        }
    }
    let mut of_code = vec![u32::MAX; t.dict.values.len()];
    let mut held = vec![0u64; t.dict.values.len()];
    t.dict.codes.iter().for_each(|c| held[*c as usize] += 1);
    let (mut missing, mut records) = (0usize, 0u64);
    for (code, v) in t.dict.values.iter().enumerate().filter(|(_, v)| **v != Cell::Null) {
        match cells.iter().position(|c| c == v) {
            Some(i) => of_code[code] = i as u32,
            None if held[code] > 0 => {
                missing += 1;
                records += held[code];
            }
            None => {}
        }
    }
    if missing > 0 {
        return Err(EngineError::Config(format!(
            "{at}: {missing} of the column's categories ({records} records) have no row in its matrix_file\n  hint: give every category of the column its row (a line `X,X,1` keeps category X); the categories are not named here, as they are values of people"
        )));
    }
    Ok(Categories { cells, of_code })
}

/// The stated matrix over the categories (rows `from`, columns `to`).
fn matrix(m: &[tokumei_rules::Transition], cats: &Categories, t: &Target) -> Vec<Vec<f64>> {
    let k = cats.cells.len();
    let index = |label: &str| {
        let cell = crate::cell::typed(t.plan.ty, label, t.plan.nfkc).unwrap_or(Cell::Null);
        cats.cells.iter().position(|c| *c == cell).unwrap_or(0)
    };
    let mut p = vec![vec![0.0; k]; k];
    for x in m {
        p[index(&x.from)][index(&x.to)] += x.p;
    }
    p
}

/// Gouweleeuw's invariant matrix R = P·Q, Q_ij = π_j P_ji / Σ_l π_l P_li, for the distribution
/// `pi`: πᵀR = πᵀ. A category no record reaches keeps itself in Q.
pub(crate) fn invariant(p: &[Vec<f64>], pi: &[f64]) -> Vec<Vec<f64>> {
    let k = p.len();
    let reach: Vec<f64> = (0..k).map(|i| (0..k).map(|l| pi[l] * p[l][i]).sum()).collect();
    let q: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| if reach[i] > 0.0 { pi[j] * p[j][i] / reach[i] } else { f64::from(u8::from(i == j)) })
                .collect()
        })
        .collect();
    (0..k).map(|i| (0..k).map(|j| (0..k).map(|l| p[i][l] * q[l][j]).sum()).collect()).collect()
}

/// Running sums of a row.
fn cumulative(row: &[f64]) -> Vec<f64> {
    row.iter()
        .scan(0.0, |s, x| {
            *s += x;
            Some(*s)
        })
        .collect()
}

/// A category drawn from a row's running sums (never one of probability 0).
fn pick(cum: &[f64], rng: &mut ChaCha20Rng) -> u32 {
    let total = cum.last().copied().unwrap_or(0.0);
    let u = rng.random::<f64>() * total;
    cum.partition_point(|c| *c <= u).min(cum.len().saturating_sub(1)) as u32
}

/// Each row's category drawn from its row of the matrix `cum` (running sums).
fn draw(rows: &[u32], cat: &mut [u32], cum: &[Vec<f64>], rng: &mut ChaCha20Rng) {
    for r in rows {
        let c = &mut cat[*r as usize];
        *c = pick(&cum[*c as usize], rng);
    }
}

/// Invariant PRAM, exactly: rows chosen with probability `change`, their categories shuffled.
fn exact(rows: &[u32], cat: &mut [u32], change: f64, rng: &mut ChaCha20Rng) {
    let chosen: Vec<u32> = rows.iter().copied().filter(|_| rng.random_bool(change)).collect();
    let mut drawn: Vec<u32> = chosen.iter().map(|r| cat[*r as usize]).collect();
    drawn.shuffle(rng);
    for (r, c) in chosen.iter().zip(drawn) {
        cat[*r as usize] = c;
    }
}

/// Each row keeps its category with probability `keep`, else takes another of the stratum's
/// categories, each as likely.
fn others(rows: &[u32], cat: &mut [u32], keep: f64, rng: &mut ChaCha20Rng) {
    let mut present: Vec<u32> = rows.iter().map(|r| cat[*r as usize]).collect();
    present.sort_unstable();
    present.dedup();
    if present.len() < 2 {
        return;
    }
    for r in rows {
        if rng.random_bool(keep) {
            continue;
        }
        let own = present.binary_search(&cat[*r as usize]).unwrap_or(0);
        let mut i = rng.random_range(0..present.len() - 1);
        if i >= own {
            i += 1;
        }
        cat[*r as usize] = present[i];
    }
}

/// The share of a stratum's `n` records (category shares `pi`) expected to get another category
/// when each is chosen with probability `c` and the chosen ones' categories are shuffled among
/// them: a record is chosen (c), some of the others are (M ~ Bin(n-1, c)), and it draws one of
/// the M+1 chosen categories, another one with probability M/(M+1) times the share of the other
/// records not in its category; so c·(1 - A)·n/(n - 1)·(1 - Σπ²) with A = E[1/(M+1)] =
/// (1 - (1-c)^n)/(n·c). For large strata this is c·(1 - Σπ²); a stratum of one never changes.
fn shuffled_change(n: usize, c: f64, pi: &[f64]) -> f64 {
    if n < 2 || c <= 0.0 {
        return 0.0;
    }
    let nf = n as f64;
    let a = (1.0 - (1.0 - c).powf(nf)) / (nf * c);
    c * (1.0 - a) * nf / (nf - 1.0) * (1.0 - pi.iter().map(|x| x * x).sum::<f64>())
}

/// The share of records with shares `pi` that a matrix `m` moves off their category:
/// Σ π_i (1 - m_ii).
fn off_diagonal(m: &[Vec<f64>], pi: &[f64]) -> f64 {
    pi.iter().enumerate().map(|(i, x)| x * (1.0 - m.get(i).and_then(|r| r.get(i)).copied().unwrap_or(1.0))).sum()
}

/// Each category's share of the rows with one.
fn shares(cat: &[u32], k: usize) -> Vec<f64> {
    let mut n = vec![0u64; k];
    cat.iter().filter(|c| **c != u32::MAX).for_each(|c| n[*c as usize] += 1);
    let total: u64 = n.iter().sum();
    n.iter().map(|x| if total > 0 { *x as f64 / total as f64 } else { 0.0 }).collect()
}

/// Each category's share among `rows`.
fn shares_of(rows: &[u32], cat: &[u32], k: usize) -> Vec<f64> {
    let mut n = vec![0u64; k];
    rows.iter().for_each(|r| n[cat[*r as usize] as usize] += 1);
    n.iter().map(|x| *x as f64 / rows.len().max(1) as f64).collect()
}

/// Each row's code set to its new category's, categories new to the column added, and the
/// dictionary compacted.
fn write(t: &mut Target, cats: &Categories, cat: &[u32]) {
    let code: Vec<u32> = cats.cells.iter().map(|c| t.dict.intern(c.clone())).collect();
    for (slot, c) in t.dict.codes.iter_mut().zip(cat) {
        if *c != u32::MAX {
            *slot = code[*c as usize];
        }
    }
    let values = t.dict.values.clone();
    write_codes(t.dict, values);
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Stage, Target};
    use super::*;

    fn pram(action: &str, xs: &[Option<i64>], strata: Option<&[u32]>) -> (Vec<Option<i64>>, Randomised) {
        let (rows, facts) = applied(action, xs, strata);
        (rows, facts.pram.expect("pram facts"))
    }

    fn counts(v: &[Option<i64>]) -> std::collections::BTreeMap<Option<i64>, u64> {
        let mut m = std::collections::BTreeMap::new();
        v.iter().for_each(|x| *m.entry(*x).or_default() += 1);
        m
    }

    /// The shares of [`categories`]' values 1..=4.
    const PI: [f64; 4] = [1.0 / 9.0, 2.0 / 9.0, 2.0 / 9.0, 4.0 / 9.0];

    /// Categories 1..=4 with shares [`PI`], every tenth record missing.
    fn categories(n: usize) -> Vec<Option<i64>> {
        (0..n).map(|i| if i % 10 == 9 { None } else { Some([1, 2, 2, 3, 3, 3, 4, 4, 4, 4][(i * 7) % 10]) }).collect()
    }

    #[test]
    fn invariant_pram_keeps_the_marginal_exactly_and_changes_about_1_minus_keep() {
        let n = 100_000;
        let xs = categories(n);
        let (out, facts) = pram("action = \"pram\"\nkeep = 0.7", &xs, None);
        assert_eq!(counts(&out), counts(&xs), "the released distribution is the input's");
        assert!(out.iter().zip(&xs).all(|(o, x)| o.is_none() == x.is_none()), "missing stays missing");
        // A chosen record (probability 0.3) draws its own category back with probability Σπ².
        let pi = PI;
        let want = 0.3 * (1.0 - pi.iter().map(|p| p * p).sum::<f64>());
        let valued = xs.iter().flatten().count() as f64;
        let changed = out.iter().zip(&xs).filter(|(o, x)| o != x).count() as f64 / valued;
        let se = (want * (1.0 - want) / valued).sqrt();
        assert!((changed - want).abs() < 3.0 * se, "changed {changed} against {want} ± {se}");
        let reported = facts.expected_changed.unwrap();
        assert!((reported - want).abs() < 1e-4, "the report's expectation {reported}");
        assert!(facts.marginal_exact && facts.largest_share_change == 0.0);
        assert_eq!(facts.categories, vec!["1", "2", "3", "4"]);
        assert!((facts.marginal[3] - PI[3]).abs() < 1e-3);
    }

    /// In small strata a chosen record often draws its own category back (few others are
    /// chosen): the expected change is the closed form, checked against many shuffles.
    #[test]
    fn the_expected_change_of_small_strata_is_the_shuffles() {
        let mut rng = rng();
        for (n, c) in [(1usize, 0.2), (2, 0.2), (3, 0.5), (20, 0.2), (200, 0.1)] {
            let base: Vec<u32> = (0..n as u32).map(|i| i % 3).collect();
            let rows: Vec<u32> = (0..n as u32).collect();
            let pi = shares_of(&rows, &base, 3);
            let trials = 200_000 / n.max(1) + 20_000;
            let mut changed = 0u64;
            for _ in 0..trials {
                let mut cat = base.clone();
                exact(&rows, &mut cat, c, &mut rng);
                changed += cat.iter().zip(&base).filter(|(a, b)| a != b).count() as u64;
            }
            let simulated = changed as f64 / (trials * n) as f64;
            let want = shuffled_change(n, c, &pi);
            let se = (want.max(1e-6) / (trials * n) as f64).sqrt();
            assert!(
                (simulated - want).abs() < 5.0 * se + 1e-4,
                "n={n} c={c}: simulated {simulated}, closed form {want}"
            );
        }
        assert_eq!(shuffled_change(1, 0.5, &[1.0]), 0.0, "a stratum of one never changes");
        let large = shuffled_change(1_000_000, 0.2, &[0.5, 0.5]);
        assert!((large - 0.2 * 0.5).abs() < 1e-6, "large strata: c(1 - Σπ²)");
    }

    #[test]
    fn invariant_pram_never_crosses_strata() {
        let n = 9_000;
        let xs: Vec<Option<i64>> = (0..n).map(|i| Some((i % 3 * 10 + i % 7) as i64)).collect();
        let strata: Vec<u32> = (0..n).map(|i| (i % 3) as u32).collect();
        for action in ["action = \"pram\"\nkeep = 0.5", "action = \"pram\"\nkeep = 0.5\ninvariant = false"] {
            let (out, facts) = pram(action, &xs, Some(&strata));
            for s in 0..3u32 {
                let of = |v: &[Option<i64>]| -> Vec<Option<i64>> {
                    (0..n).filter(|i| strata[*i] == s).map(|i| v[i]).collect()
                };
                assert!(of(&out).iter().all(|v| v.unwrap() / 10 == s as i64), "{action}: stratum {s} crossed");
                if !action.contains("invariant") {
                    assert_eq!(counts(&of(&out)), counts(&of(&xs)), "stratum {s} keeps its distribution");
                }
            }
            assert_eq!(facts.strata, 3);
        }
    }

    #[test]
    fn the_keep_form_without_invariance_keeps_about_keep() {
        let n = 100_000;
        let xs = categories(n);
        let (out, facts) = pram("action = \"pram\"\nkeep = 0.8\ninvariant = false", &xs, None);
        let valued = xs.iter().flatten().count() as f64;
        let kept = out.iter().zip(&xs).filter(|(o, x)| x.is_some() && o == x).count() as f64 / valued;
        let se = (0.8 * 0.2 / valued).sqrt();
        assert!((kept - 0.8).abs() < 3.0 * se, "kept {kept}");
        assert!((facts.expected_changed.unwrap() - 0.2).abs() < 1e-9);
        assert!(!facts.marginal_exact && facts.largest_share_change > 0.0);
    }

    fn stated(rows: &str) -> String {
        let dir = std::env::temp_dir().join(format!("tokumei-pram-{}-{}", std::process::id(), rows.len()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("m.csv");
        std::fs::write(&f, rows).unwrap();
        f.display().to_string()
    }

    #[test]
    fn a_stated_matrix_is_applied_row_by_row() {
        let n = 100_000;
        let xs = categories(n);
        let file = stated("from,to,p\n1,1,1\n2,2,0.5\n2,3,0.5\n3,3,0.9\n3,4,0.1\n4,4,0.6\n4,1,0.2\n4,5,0.2\n5,5,1\n");
        let action = format!("action = \"pram\"\nmatrix_file = \"{file}\"\ninvariant = false");
        let (out, facts) = pram(&action, &xs, None);
        let p: &[(i64, i64, f64)] =
            &[(1, 1, 1.0), (2, 2, 0.5), (2, 3, 0.5), (3, 3, 0.9), (3, 4, 0.1), (4, 4, 0.6), (4, 1, 0.2), (4, 5, 0.2)];
        for (from, to, want) in p {
            let rows = xs.iter().filter(|x| **x == Some(*from)).count() as f64;
            let got = xs.iter().zip(&out).filter(|(x, o)| **x == Some(*from) && **o == Some(*to)).count() as f64 / rows;
            let se = (want * (1.0 - want) / rows).sqrt().max(1e-9);
            assert!((got - want).abs() <= 3.0 * se, "{from} -> {to}: {got} against {want} ± {se}");
        }
        assert!(out.contains(&Some(5)), "a category the matrix reaches is released");
        assert_eq!(facts.categories, vec!["1", "2", "3", "4", "5"]);
        assert_eq!(facts.matrix[1], vec![0.0, 0.5, 0.5, 0.0, 0.0]);
    }

    #[test]
    fn gouweleeuw_keeps_the_distribution_in_expectation() {
        let p = vec![vec![0.8, 0.2, 0.0], vec![0.1, 0.8, 0.1], vec![0.0, 0.3, 0.7]];
        let pi = [0.5, 0.3, 0.2];
        let r = invariant(&p, &pi);
        for j in 0..3 {
            let back: f64 = (0..3).map(|i| pi[i] * r[i][j]).sum();
            assert!((back - pi[j]).abs() < 1e-12, "πᵀR = πᵀ");
        }
        r.iter().for_each(|row| assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12, "rows sum to 1"));
        let n = 100_000;
        let xs = categories(n);
        let file = stated("1,1,0.7\n1,2,0.3\n2,2,0.7\n2,3,0.3\n3,3,0.7\n3,4,0.3\n4,4,0.7\n4,1,0.3\n");
        let (out, facts) = pram(&format!("action = \"pram\"\nmatrix_file = \"{file}\""), &xs, None);
        let valued = xs.iter().flatten().count() as f64;
        for (c, want) in [(1, PI[0]), (2, PI[1]), (3, PI[2]), (4, PI[3])] {
            let got = out.iter().filter(|o| **o == Some(c)).count() as f64 / valued;
            assert!((got - want).abs() < 4.0 * (want * (1.0 - want) / valued).sqrt(), "{c}: {got}");
        }
        assert!(!facts.marginal_exact && facts.largest_share_change < 0.01, "{facts:?}");
        assert_eq!(facts.form, "matrix, invariant");
    }

    #[test]
    fn a_category_without_its_row_is_refused_without_naming_it() {
        let file = stated("1,1,1\n2,2,1\n");
        let plan = plan_with(&format!("action = \"pram\"\nmatrix_file = \"{file}\""));
        let stage = Stage::new(&plan, &[(0, 0), (1, 1)]).unwrap();
        let mut d = dict_of(&[Some(1), Some(2), Some(987_654)]);
        let mut t = [Target { plan: &plan.columns[0], dict: &mut d }];
        let e = stage.units[0].technique.apply(&mut t, &context(&plan), &mut rng()).expect_err("refused");
        let e = e.to_string();
        assert!(e.contains("r.toml:8: `x`: 1 of the column's categories (1 records) have no row"), "{e}");
        assert!(!e.contains("987654"), "no value of a person: {e}");
    }
}
