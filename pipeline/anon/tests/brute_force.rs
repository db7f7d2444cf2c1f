//! The optimal search agrees with brute force over every lattice node on small random tables,
//! for every quality model and for monotone and non-monotone privacy models.

use proptest::prelude::*;
use tokumei_anon::models::{AverageRisk, BetaLikeness, DistinctL, EntropyL, RecursiveCL, TCloseness};
use tokumei_anon::search::{SearchOptions, evaluate_all};
use tokumei_anon::{Hierarchy, Model, Problem, QiColumn, Quality, SensitiveColumn, search};

/// A random tree hierarchy over `d` values with `levels` levels: level l groups values by
/// `code / branch^l`, the top level is `*`.
fn hierarchy(d: usize, levels: usize, branch: usize) -> Hierarchy {
    let rows: Vec<Vec<String>> = (0..d)
        .map(|v| {
            (0..levels)
                .map(|l| {
                    if l == 0 {
                        format!("v{v}")
                    } else if l == levels - 1 {
                        "*".into()
                    } else {
                        format!("g{l}_{}", v / branch.pow(l as u32))
                    }
                })
                .collect()
        })
        .collect();
    Hierarchy::from_rows("h", &rows).unwrap()
}

fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// `attrs` random hierarchies (2 to 1 + `spread.0` values, 2 to 1 + `spread.1` levels) and `n`
/// rows of skewed codes over them (so that some classes are small).
fn random_columns(attrs: usize, n: usize, spread: (u64, u64), s: &mut u64) -> (Vec<Hierarchy>, Vec<Vec<u32>>) {
    let shapes: Vec<(usize, usize, usize)> = (0..attrs)
        .map(|_| {
            let d = 2 + (xorshift(s) % spread.0) as usize;
            (d, 2 + (xorshift(s) % spread.1) as usize, 2 + (xorshift(s) % 2) as usize)
        })
        .collect();
    let hs = shapes.iter().map(|(d, l, b)| hierarchy(*d, *l, *b)).collect();
    let codes = shapes
        .iter()
        .map(|(d, _, _)| {
            (0..n)
                .map(|_| {
                    let x = xorshift(s) % (*d as u64 * *d as u64);
                    (x as f64).sqrt() as u32 % *d as u32
                })
                .collect()
        })
        .collect();
    (hs, codes)
}

/// Each column a quasi-identifier over its whole hierarchy, weighed by `weight(attribute)`.
fn columns<'a>(codes: &'a [Vec<u32>], hs: &'a [Hierarchy], weight: impl Fn(usize) -> f64) -> Vec<QiColumn<'a>> {
    (0..codes.len())
        .map(|a| QiColumn {
            name: format!("q{a}"),
            codes: &codes[a],
            hierarchy: &hs[a],
            min_level: 0,
            max_level: hs[a].max_level() as u8,
            weight: weight(a),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]
    #[test]
    fn search_equals_brute_force(
        attrs in 1usize..4,
        n in 5usize..160,
        k in 1u32..6,
        supp in prop::sample::select(vec![0.0, 0.05, 0.2]),
        model in 0usize..7,
        quality in prop::sample::select(vec![Quality::LOSS, Quality::PRECISION, Quality::DISCERNIBILITY, Quality::NON_UNIFORM_ENTROPY]),
        seed in 1u64..u64::MAX,
    ) {
        let mut s = seed;
        let (hs, codes) = random_columns(attrs, n, (7, 3), &mut s);
        let sens_card = 3usize;
        let sens: Vec<u32> = (0..n).map(|_| (xorshift(&mut s) % 7).min(sens_card as u64 - 1) as u32).collect();
        let mut models = vec![Model::k_anonymity(k)];
        match model {
            1 => models.push(Model::class(DistinctL { column: 0, l: 2 })),
            2 => models.push(Model::class(EntropyL { column: 0, l: 1.5 })),
            3 => models.push(Model::class(RecursiveCL { column: 0, c: 3.0, l: 2 })),
            4 => models.push(Model::class(TCloseness { column: 0, t: 0.3 })),
            5 => models.push(Model::table(AverageRisk { max: 0.3 })),
            6 => models.push(Model::class(BetaLikeness { column: 0, beta: 1.0 })),
            _ => {}
        }
        let qi = columns(&codes, &hs, |a| 1.0 + a as f64);
        let rank = (model == 4 && seed % 3 == 0).then(|| vec![0, 1, 2]);
        let tree = (model == 4 && seed % 3 == 1).then(|| {
            let labels: Vec<Vec<String>> = [["x", "*"], ["x", "*"], ["y", "*"]].iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect();
            tokumei_anon::models::Tree::from_labels(&labels)
        });
        let p = Problem {
            qi,
            sensitive: vec![SensitiveColumn { name: "s".into(), codes: &sens, cardinality: sens_card, rank: rank.clone(), tree: tree.clone() }],
            n,
            counts: None,
            models: models.clone(),
            max_suppression: supp,
            quality,
        };
        let all = evaluate_all(&p).unwrap();
        let reference = all.iter().filter(|e| e.admissible).map(|e| e.quality).fold(f64::INFINITY, f64::min);
        let r = search(&p, &SearchOptions::default()).unwrap();
        prop_assert!(r.optimal);
        match r.best.clone() {
            None => prop_assert!(reference.is_infinite(), "search found nothing, brute force found {reference}"),
            Some(best) => {
                prop_assert!((best.quality - reference).abs() < 1e-9, "search {} vs brute force {reference}", best.quality);
                let same = all.iter().find(|e| e.levels == best.levels).unwrap();
                prop_assert_eq!(same, &best);
            }
        }
        // The same rows as an aggregated class table (codes -> count, as a distributed GROUP BY
        // gives): the same search result.
        let mut groups: std::collections::BTreeMap<Vec<u32>, u32> = std::collections::BTreeMap::new();
        for r in 0..n {
            let mut key: Vec<u32> = codes.iter().map(|c| c[r]).collect();
            key.push(sens[r]);
            *groups.entry(key).or_insert(0) += 1;
        }
        let keys: Vec<&Vec<u32>> = groups.keys().collect();
        let counts: Vec<u32> = groups.values().copied().collect();
        let agg_codes: Vec<Vec<u32>> = (0..=attrs).map(|a| keys.iter().map(|k| k[a]).collect()).collect();
        let agg = Problem {
            qi: (0..attrs).map(|a| QiColumn {
                name: format!("q{a}"),
                codes: &agg_codes[a],
                hierarchy: &hs[a],
                min_level: 0,
                max_level: hs[a].max_level() as u8,
                weight: 1.0 + a as f64,
            }).collect(),
            sensitive: vec![SensitiveColumn { name: "s".into(), codes: &agg_codes[attrs], cardinality: sens_card, rank, tree }],
            n,
            counts: Some(&counts),
            models,
            max_suppression: supp,
            quality,
        };
        let from_table = search(&agg, &SearchOptions::default()).unwrap();
        prop_assert_eq!(from_table.best.as_ref().map(|b| (&b.levels, b.suppressed, b.classes, b.admissible)), r.best.as_ref().map(|b| (&b.levels, b.suppressed, b.classes, b.admissible)));
        if let (Some(a), Some(b)) = (&from_table.best, &r.best) {
            prop_assert!((a.quality - b.quality).abs() < 1e-9, "{} vs {}", a.quality, b.quality);
        }
        let mondrian_rows = tokumei_anon::mondrian::mondrian(&p);
        let mondrian_table = tokumei_anon::mondrian::mondrian(&agg);
        prop_assert_eq!(mondrian_rows.suppressed, mondrian_table.suppressed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]
    /// Plain k-anonymity on four to six quasi-identifiers without a sensitive column (the
    /// configuration of ARX's benchmarks): the pair bounds count several attributes in one cube,
    /// nodes are rolled up from the corner table with and without hub tables, and the classes
    /// come in the order the roll-ups leave them. The optimum's quality is brute force's (to
    /// rounding: the order of additions may differ) and the node it names is admissible there.
    #[test]
    fn k_anonymity_on_wider_tables_equals_brute_force(
        attrs in 4usize..7,
        n in 40usize..600,
        k in 2u32..6,
        supp in prop::sample::select(vec![0.0, 0.02, 0.1]),
        quality in prop::sample::select(vec![Quality::LOSS, Quality::PRECISION, Quality::DISCERNIBILITY, Quality::NON_UNIFORM_ENTROPY]),
        seed in 1u64..u64::MAX,
    ) {
        let mut s = seed;
        let (hs, codes) = random_columns(attrs, n, (9, 2), &mut s);
        let qi = columns(&codes, &hs, |_| 1.0);
        let p = Problem { qi, sensitive: vec![], n, counts: None, models: vec![Model::k_anonymity(k)], max_suppression: supp, quality };
        let all = evaluate_all(&p).unwrap();
        let reference = all.iter().filter(|e| e.admissible).map(|e| e.quality).fold(f64::INFINITY, f64::min);
        let r = search(&p, &SearchOptions::default()).unwrap();
        prop_assert!(r.optimal);
        match r.best {
            None => prop_assert!(reference.is_infinite(), "search found nothing, brute force found {reference}"),
            Some(best) => {
                prop_assert!((best.quality - reference).abs() < 1e-9, "search {} vs brute force {reference}", best.quality);
                let same = all.iter().find(|e| e.levels == best.levels).unwrap();
                prop_assert!(same.admissible);
                prop_assert_eq!((same.suppressed, same.classes), (best.suppressed, best.classes));
                prop_assert!((same.quality - best.quality).abs() < 1e-9);
            }
        }
    }
}

#[test]
fn non_uniform_entropy_by_hand() {
    // Values a, a, b, c; hierarchy {a,b} -> x, {c} -> y, then *.
    let rows: Vec<Vec<String>> = [["a", "x", "*"], ["b", "x", "*"], ["c", "y", "*"]]
        .iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect();
    let h = Hierarchy::from_rows("h", &rows).unwrap();
    let codes = [0u32, 0, 1, 2];
    let p = Problem {
        qi: vec![QiColumn { name: "q".into(), codes: &codes, hierarchy: &h, min_level: 0, max_level: 2, weight: 1.0 }],
        sensitive: vec![],
        n: 4,
        counts: None,
        models: vec![Model::k_anonymity(1)],
        max_suppression: 0.0,
        quality: Quality::NON_UNIFORM_ENTROPY,
    };
    let all = evaluate_all(&p).unwrap();
    // Level 0 loses nothing; level 1: a -> x has P(a|x) = 2/3 (twice), P(b|x) = 1/3, c -> y is 1;
    // level 2 (everything *): P = 2/4, 2/4, 1/4, 1/4.
    let lost1 = -2.0 * (2.0f64 / 3.0).log2() - (1.0f64 / 3.0).log2();
    let top = -2.0 * 0.5f64.log2() - 2.0 * 0.25f64.log2();
    assert!(all[0].quality.abs() < 1e-12);
    assert!((all[1].quality - lost1 / top).abs() < 1e-12, "{}", all[1].quality);
    assert!((all[2].quality - 1.0).abs() < 1e-12);
}

#[test]
fn lattices_over_the_limit_get_a_best_effort_result_with_a_lower_bound() {
    let hs: Vec<Hierarchy> = (0..4).map(|_| hierarchy(8, 4, 2)).collect();
    let mut s = 7u64;
    let codes: Vec<Vec<u32>> = (0..4).map(|_| (0..400).map(|_| (xorshift(&mut s) % 8) as u32).collect()).collect();
    let qi: Vec<QiColumn> = (0..4)
        .map(|a| QiColumn {
            name: format!("q{a}"),
            codes: &codes[a],
            hierarchy: &hs[a],
            min_level: 0,
            max_level: 3,
            weight: 1.0,
        })
        .collect();
    let p = Problem {
        qi,
        sensitive: vec![],
        n: 400,
        counts: None,
        models: vec![Model::k_anonymity(3)],
        max_suppression: 0.02,
        quality: Quality::LOSS,
    };
    let exact = search(&p, &SearchOptions::default()).unwrap();
    assert!(exact.optimal);
    let limited = search(&p, &SearchOptions { max_nodes: 100, ..SearchOptions::default() }).unwrap();
    assert!(!limited.optimal);
    assert_eq!(limited.nodes, 256);
    let best = limited.best.unwrap();
    assert!(best.admissible);
    let optimum = exact.best.unwrap().quality;
    assert!(limited.lower_bound <= optimum + 1e-12 && optimum <= best.quality + 1e-12);
    let same = evaluate_all(&p).unwrap().into_iter().find(|e| e.levels == best.levels).unwrap();
    assert_eq!(same, best);
}
