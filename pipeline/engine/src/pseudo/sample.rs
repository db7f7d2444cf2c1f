//! Sampling: synthetic records drawn down the Chow-Liu tree, each value taken from a release
//! record of the drawn code, written in chunks; the fit measured on what was written.

use super::fit::{self, Coded, Dist};
use super::{ColumnFit, KeptPair, LeftOut, OtherPair, PseudoAsk, PseudoFit, Release};
use crate::error::{EngineError, output_err};
use crate::perturb::Seed;
use arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use arrow::datatypes::{Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use rand::RngExt;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

/// Synthetic rows drawn and written at a time.
const CHUNK: usize = 65_536;

/// Roles whose columns are record codes: never generated.
const CODE_ROLES: [&str; 2] = ["linking_code", "identification_code"];

/// A column of the synthetic file.
struct Out {
    /// Its index in the release.
    col: usize,
    coded: Coded,
    /// The output column (a band) this bound column follows.
    follows: Option<usize>,
}

/// Which released columns are generated, which follow a band, which are left out.
fn plan(release: &Release, path: &std::path::Path) -> Result<(Vec<Out>, Vec<LeftOut>), EngineError> {
    let fields = release.schema.fields();
    let mut left_out = Vec::new();
    let mut kept: Vec<usize> = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        if f.metadata().get("tokumei.role").is_some_and(|r| CODE_ROLES.contains(&r.as_str())) {
            left_out.push(LeftOut {
                name: f.name().clone(),
                why: "a record code: it stands for one record, and a synthetic record stands for none",
            });
        } else {
            kept.push(i);
        }
    }
    let mut outs: Vec<Out> = Vec::with_capacity(kept.len());
    for &i in &kept {
        let name = fields[i].name();
        // A bound column follows its band (itself no bound column).
        let band = name
            .strip_suffix("_min")
            .or_else(|| name.strip_suffix("_max"))
            .filter(|b| !b.ends_with("_min") && !b.ends_with("_max"));
        let follows = band.and_then(|b| kept.iter().position(|&j| fields[j].name() == b));
        outs.push(Out { col: i, coded: fit::code(&release.columns[i])?, follows });
    }
    if outs.iter().all(|o| o.follows.is_some()) {
        return Err(EngineError::Input {
            file: path.to_path_buf(),
            message: "the release has no column pseudo-data can be generated for".into(),
        });
    }
    Ok((outs, left_out))
}

/// The tree over the generated (not following) columns: node indices into `outs`, and the
/// edges as `(parent, child)` output indices.
struct Tree {
    nodes: Vec<usize>,
    mi: Vec<Vec<f64>>,
    edges: Vec<(usize, usize)>,
    marginals: Vec<Dist>,
    /// For each output column drawn given a parent: its distribution per parent code.
    given: Vec<Option<Vec<Option<Dist>>>>,
}

fn tree(outs: &[Out], k: u64) -> Tree {
    let nodes: Vec<usize> = (0..outs.len()).filter(|&o| outs[o].follows.is_none()).collect();
    let t = nodes.len();
    let mut mi = vec![vec![0.0; t]; t];
    for a in 0..t {
        for b in a + 1..t {
            let v = fit::mutual_information(&outs[nodes[a]].coded.codes, &outs[nodes[b]].coded.codes);
            mi[a][b] = v;
            mi[b][a] = v;
        }
    }
    let edges: Vec<(usize, usize)> = fit::chow_liu(&mi).into_iter().map(|(p, c)| (nodes[p], nodes[c])).collect();
    let marginals = outs.iter().map(|o| fit::marginal(&o.coded)).collect();
    let mut given: Vec<Option<Vec<Option<Dist>>>> = (0..outs.len()).map(|_| None).collect();
    for &(p, c) in &edges {
        given[c] = Some(fit::conditionals(&outs[p].coded, &outs[c].coded, k));
    }
    Tree { nodes, mi, edges, marginals, given }
}

/// Counts over the synthetic records.
struct Tally {
    marginals: Vec<Vec<u64>>,
    /// Joint counts of each pair of tree nodes `(a, b)`, `a < b`, at `a * t + b`.
    pairs: Vec<FxHashMap<(u32, u32), u64>>,
    identical: u64,
}

/// Draw one chunk of `len` records: each output column's source row in the release.
fn draw_chunk(outs: &[Out], tree: &Tree, len: usize, rng: &mut impl rand::Rng) -> (Vec<Vec<u32>>, Vec<Vec<u32>>) {
    let n = outs.len();
    let mut codes = vec![vec![0u32; len]; n];
    let mut src = vec![vec![0u32; len]; n];
    let root = tree.nodes[0];
    for r in 0..len {
        codes[root][r] = tree.marginals[root].draw(rng);
        for &(p, c) in &tree.edges {
            let parent_code = codes[p][r] as usize;
            let dist = tree.given[c].as_ref().and_then(|g| g[parent_code].as_ref()).unwrap_or(&tree.marginals[c]);
            codes[c][r] = dist.draw(rng);
        }
        for &o in &tree.nodes {
            let rows = &outs[o].coded.rows_of[codes[o][r] as usize];
            src[o][r] = rows[rng.random_range(0..rows.len())];
        }
    }
    for (o, out) in outs.iter().enumerate() {
        if let Some(band) = out.follows {
            src[o] = src[band].clone();
            codes[o] = src[o].iter().map(|&s| out.coded.codes[s as usize]).collect();
        }
    }
    (codes, src)
}

fn count_chunk(
    outs: &[Out],
    tree: &Tree,
    codes: &[Vec<u32>],
    src: &[Vec<u32>],
    seen: &FxHashSet<Vec<u32>>,
    tally: &mut Tally,
) {
    let t = tree.nodes.len();
    let len = codes.first().map_or(0, Vec::len);
    let mut key = vec![0u32; outs.len()];
    for r in 0..len {
        for (o, out) in outs.iter().enumerate() {
            tally.marginals[o][codes[o][r] as usize] += 1;
            key[o] = out.coded.values[src[o][r] as usize];
        }
        if seen.contains(&key) {
            tally.identical += 1;
        }
        for a in 0..t {
            for b in a + 1..t {
                let pair = (codes[tree.nodes[a]][r], codes[tree.nodes[b]][r]);
                *tally.pairs[a * t + b].entry(pair).or_insert(0) += 1;
            }
        }
    }
}

/// Fit, draw and write; then measure.
pub(super) fn run(release: &Release, ask: &PseudoAsk, seed: &Seed) -> Result<PseudoFit, EngineError> {
    let (outs, left_out) = plan(release, ask.release)?;
    let tree = tree(&outs, ask.k);
    let t = tree.nodes.len();
    let seen: FxHashSet<Vec<u32>> =
        (0..release.rows).map(|r| outs.iter().map(|o| o.coded.values[r]).collect()).collect();
    let fields: Vec<Field> = outs
        .iter()
        .map(|o| {
            let f = release.schema.field(o.col);
            let mut meta = f.metadata().clone();
            meta.insert("tokumei:synthetic".into(), "true".into());
            f.clone().with_metadata(meta)
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let file = std::fs::File::create_new(ask.out).map_err(|e| output_err(ask.out, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).expect("valid zstd level")))
        .set_key_value_metadata(Some(ask.metadata.iter().map(|(k, v)| KeyValue::new(k.clone(), v.clone())).collect()))
        .set_created_by(format!("tokumei {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| output_err(ask.out, e))?;
    let mut tally = Tally {
        marginals: outs.iter().map(|o| vec![0; o.coded.n_codes]).collect(),
        pairs: vec![FxHashMap::default(); t * t],
        identical: 0,
    };
    let mut rng = seed.rng("pseudo-data");
    let mut done: u64 = 0;
    while done < ask.rows {
        let len = (ask.rows - done).min(CHUNK as u64) as usize;
        let (codes, mut src) = draw_chunk(&outs, &tree, len, &mut rng);
        count_chunk(&outs, &tree, &codes, &src, &seen, &mut tally);
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(outs.len());
        for (o, out) in outs.iter().enumerate() {
            let idx = UInt32Array::from(std::mem::take(&mut src[o]));
            arrays
                .push(arrow::compute::take(&release.columns[out.col], &idx, None).map_err(|e| output_err(ask.out, e))?);
        }
        let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| output_err(ask.out, e))?;
        writer.write(&batch).map_err(|e| output_err(ask.out, e))?;
        done += len as u64;
    }
    writer.close().map_err(|e| output_err(ask.out, e))?;
    Ok(measure(release, ask, seed, (&outs, left_out), &tree, tally))
}

/// Total variation distance of two count vectors (0 when either is empty).
fn tvd(a: &[u64], b: &[u64]) -> f64 {
    crate::utility::measures::tvd(a, b).unwrap_or(0.0)
}

/// Total variation distance of two joint count maps.
fn tvd_map(a: &FxHashMap<(u32, u32), u64>, b: &FxHashMap<(u32, u32), u64>) -> f64 {
    let (na, nb) = (a.values().sum::<u64>().max(1) as f64, b.values().sum::<u64>().max(1) as f64);
    let mut d: f64 =
        a.iter().map(|(key, &x)| (x as f64 / na - b.get(key).copied().unwrap_or(0) as f64 / nb).abs()).sum();
    d += b.iter().filter(|(key, _)| !a.contains_key(key)).map(|(_, &y)| y as f64 / nb).sum::<f64>();
    0.5 * d
}

/// Cramér's V of a contingency table given as joint counts (0 when either side has one value).
pub(crate) fn cramers_v(joint: &FxHashMap<(u32, u32), u64>) -> f64 {
    let mut rows: FxHashMap<u32, u64> = FxHashMap::default();
    let mut cols: FxHashMap<u32, u64> = FxHashMap::default();
    for (&(x, y), &c) in joint {
        *rows.entry(x).or_insert(0) += c;
        *cols.entry(y).or_insert(0) += c;
    }
    let n: u64 = rows.values().sum();
    let small = rows.len().min(cols.len());
    if n == 0 || small < 2 {
        return 0.0;
    }
    let sum: f64 =
        joint.iter().map(|(&(x, y), &c)| (c as f64) * (c as f64) / (rows[&x] as f64 * cols[&y] as f64)).sum();
    let phi2 = (sum - 1.0).max(0.0);
    (phi2 / (small - 1) as f64).sqrt().min(1.0)
}

fn measure(
    release: &Release,
    ask: &PseudoAsk,
    seed: &Seed,
    (outs, left_out): (&[Out], Vec<LeftOut>),
    tree: &Tree,
    tally: Tally,
) -> PseudoFit {
    let name = |o: usize| release.schema.field(outs[o].col).name().clone();
    let columns = outs
        .iter()
        .enumerate()
        .map(|(o, out)| {
            let given = out.follows.or_else(|| tree.edges.iter().find(|e| e.1 == o).map(|e| e.0)).map(name);
            let release_counts: Vec<u64> = out.coded.rows_of.iter().map(|r| r.len() as u64).collect();
            let kind = match (out.follows, out.coded.numeric) {
                (Some(_), _) => "bound",
                (None, true) => "numeric",
                (None, false) => "categorical",
            };
            ColumnFit {
                name: name(o),
                kind,
                codes: out.coded.n_codes,
                given,
                tvd: tvd(&release_counts, &tally.marginals[o]),
            }
        })
        .collect();
    let t = tree.nodes.len();
    let (mut kept, mut not_kept) = (Vec::new(), Vec::new());
    for a in 0..t {
        for b in a + 1..t {
            let (oa, ob) = (tree.nodes[a], tree.nodes[b]);
            let before = fit::joint(&outs[oa].coded.codes, &outs[ob].coded.codes);
            let after = &tally.pairs[a * t + b];
            match tree.edges.iter().find(|e| (e.0, e.1) == (oa, ob) || (e.0, e.1) == (ob, oa)) {
                Some(&(p, c)) => kept.push(KeptPair {
                    parent: name(p),
                    child: name(c),
                    mutual_information: tree.mi[a][b],
                    tvd: tvd_map(&before, after),
                }),
                None => not_kept.push(OtherPair {
                    a: name(oa),
                    b: name(ob),
                    mutual_information: tree.mi[a][b],
                    cramers_v_release: cramers_v(&before),
                    cramers_v_synthetic: cramers_v(after),
                }),
            }
        }
    }
    PseudoFit {
        release_rows: release.rows as u64,
        rows: ask.rows,
        k: ask.k,
        seed_fixed_for_test: seed.fixed_for_test,
        columns,
        root: name(tree.nodes[0]),
        kept,
        not_kept,
        left_out,
        identical: tally.identical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cramers_v_of_known_tables() {
        let mut m: FxHashMap<(u32, u32), u64> = FxHashMap::default();
        m.insert((0, 0), 50);
        m.insert((1, 1), 50);
        assert!((cramers_v(&m) - 1.0).abs() < 1e-12, "perfect association");
        for (k, v) in [((0, 1), 50), ((1, 0), 50)] {
            m.insert(k, v);
        }
        assert!(cramers_v(&m).abs() < 1e-12, "independence");
        let a: Vec<u64> = vec![10, 30];
        assert!((tvd(&a, &[30, 10]) - 0.5).abs() < 1e-12);
    }
}
