//! The six Adult configurations of samples/adult/README.md: tokumei's optimum, loss and
//! suppressed count equal ARX's.

use std::path::PathBuf;
use tokumei_anon::search::SearchOptions;
use tokumei_anon::{Model, Problem, Quality, search};
use tokumei_bench::arx::{ADULT, load};

fn adult_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../samples/adult")
}

#[test]
fn six_adult_optima_equal_arx() {
    let dir = adult_dir();
    let data = load(&dir.join("adult.csv"), &dir, "adult_hierarchy_", &ADULT, ';').unwrap();
    assert_eq!(data.n, 30162);
    // k, suppression limit, levels, suppressed, classes, loss (README table).
    let expected: [(u32, f64, [u8; 9], u64, u64, f64); 6] = [
        (2, 0.0, [0, 4, 1, 1, 3, 2, 0, 2, 0], 0, 52, 0.529696),
        (2, 0.02, [0, 3, 0, 1, 2, 1, 1, 1, 0], 573, 872, 0.209371),
        (5, 0.0, [0, 4, 1, 1, 3, 2, 2, 1, 0], 0, 24, 0.573151),
        (5, 0.02, [0, 3, 0, 2, 2, 1, 1, 2, 0], 506, 222, 0.313713),
        (10, 0.0, [0, 4, 1, 1, 3, 2, 2, 1, 0], 0, 24, 0.573151),
        (10, 0.02, [0, 4, 0, 1, 2, 1, 1, 2, 0], 592, 124, 0.342337),
    ];
    for (k, supp, levels, suppressed, classes, loss) in expected {
        let qi = data.quasi_identifiers();
        let p = Problem {
            qi,
            sensitive: vec![],
            n: data.n,
            counts: None,
            models: vec![Model::k_anonymity(k)],
            max_suppression: supp,
            quality: Quality::LOSS,
        };
        let r = search(&p, &SearchOptions::default()).unwrap();
        let best = r.best.expect("an admissible node exists");
        assert!(r.optimal);
        assert_eq!(best.levels, levels, "k={k} supp={supp}");
        assert_eq!(best.suppressed, suppressed, "k={k} supp={supp}");
        assert_eq!(best.classes, classes, "k={k} supp={supp}");
        assert!((best.quality - loss).abs() < 1e-6, "k={k} supp={supp}: loss {} vs {loss}", best.quality);
        eprintln!("k={k} supp={supp}: {:.1} ms, evaluated {}, pruned {}", r.ms, r.evaluated, r.pruned);
    }
}

#[test]
fn mondrian_on_adult_is_k_anonymous_and_measured_like_the_global_optimum() {
    let dir = adult_dir();
    let data = load(&dir.join("adult.csv"), &dir, "adult_hierarchy_", &ADULT, ';').unwrap();
    let qi = data.quasi_identifiers();
    let p = Problem {
        qi,
        sensitive: vec![],
        n: data.n,
        counts: None,
        models: vec![Model::k_anonymity(5)],
        max_suppression: 0.0,
        quality: Quality::LOSS,
    };
    let m = tokumei_anon::mondrian::mondrian(&p);
    assert!(m.min_size >= 5);
    assert_eq!(m.suppressed, 0);
    // Recompute the classes from the recoded rows: every class has at least k records.
    let mut classes: std::collections::HashMap<Vec<u32>, usize> = std::collections::HashMap::new();
    for r in 0..data.n {
        let key: Vec<u32> = (0..9)
            .map(|a| {
                data.hierarchies[a].up[m.levels[r][a] as usize][data.codes[a][r] as usize] * 16 + m.levels[r][a] as u32
            })
            .collect();
        *classes.entry(key).or_default() += 1;
    }
    assert!(classes.values().all(|s| *s >= 5), "a recoded class is smaller than k");
    // Local recoding keeps more information than the global optimum without suppression (0.573151).
    assert!(m.quality < 0.573151, "mondrian loss {}", m.quality);
    eprintln!("mondrian: {} partitions, loss {:.6}, {:.1} ms", m.partitions, m.quality, m.ms);
}
