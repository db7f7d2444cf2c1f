//! Quality models (information loss, lower is better), one file each, as ARX's `Metric`s.
//!
//! Every measure is built from the same node summary, [`Sums`]: per quasi-identifier the sum
//! over records of a per-cell cost the measure defines ([`Measure::cell`] for a record that
//! shows a code at a level, [`Measure::suppressed_cell`] for a suppressed record), the sum of
//! squared sizes of the kept classes, and the records suppressed. The search, its lower
//! bounds and Mondrian all fill [`Sums`] from the measure's [`Costs`] and ask the measure for
//! its value, so a measure means the same everywhere.
//!
//! Adding a measure is one file here plus one line in [`MEASURES`].

mod discernibility;
mod entropy;
mod loss;
mod precision;

use crate::hierarchy::Hierarchy;
use std::fmt;

/// Every measure, in the order the docs list them; the first is the default.
pub const MEASURES: &[&dyn Measure] =
    &[&loss::Loss, &precision::Precision, &discernibility::Discernibility, &entropy::NonUniformEntropy];

/// An information-loss measure.
pub trait Measure: Send + Sync {
    /// Its name in rule files and reports, e.g. `loss`.
    fn name(&self) -> &'static str;
    /// Other names the rules accept.
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }
    /// What it measures, for the docs.
    fn doc(&self) -> &'static str;
    /// The cost one record adds to attribute `a`'s sum when it shows `code` at `level`.
    fn cell(&self, _cx: &Context, _a: usize, _level: usize, _code: usize) -> f64 {
        0.0
    }
    /// The cost one suppressed record adds to attribute `a`'s sum.
    fn suppressed_cell(&self, _cx: &Context, _a: usize) -> f64 {
        0.0
    }
    /// The measure of a node from its sums.
    fn value(&self, sums: &Sums, cx: &Context) -> f64;
    /// A lower bound of the measure at every node whose sums without suppression, with every
    /// class of size one, are `separable` (such sums depend on each attribute's level alone).
    /// The default, the value itself, is a bound for any measure that does not fall when
    /// records are suppressed or classes grow; a measure for which that fails must override it.
    fn lower_bound(&self, separable: &Sums, cx: &Context) -> f64 {
        self.value(separable, cx)
    }
    /// When [`Measure::lower_bound`] is `finish(sum over a of term(a, sums.cells[a]))`, summed
    /// in attribute order from 0, those two functions: the search then tabulates each
    /// attribute's term per level once instead of evaluating the bound at every node.
    fn additive_bound(&self) -> Option<Additive> {
        None
    }
}

/// An additive lower bound tabulated over one problem ([`Costs::additive_bound`]).
pub struct AdditiveBound {
    /// `terms[a][level]`.
    pub terms: Vec<Vec<f64>>,
    /// The bound from the sum of a node's terms (summed in attribute order from 0).
    pub finish: fn(f64) -> f64,
}

impl AdditiveBound {
    /// The bound at `levels`.
    #[inline]
    pub fn at(&self, levels: &[u8]) -> f64 {
        let mut sum = 0.0;
        for (t, l) in self.terms.iter().zip(levels) {
            sum += t[*l as usize];
        }
        (self.finish)(sum)
    }
}

/// A lower bound that is a function of a sum of per-attribute terms (see
/// [`Measure::additive_bound`]).
#[derive(Clone, Copy)]
pub struct Additive {
    /// Attribute `a`'s term for its sum.
    pub term: fn(&Context, usize, f64) -> f64,
    /// The bound from the sum of the terms.
    pub finish: fn(f64) -> f64,
}

/// A handle on one of the [`MEASURES`].
#[derive(Clone, Copy)]
pub struct Quality(&'static dyn Measure);

impl Quality {
    /// ARX's "Loss" (the default).
    pub const LOSS: Quality = Quality(&loss::Loss);
    /// Height-based precision.
    pub const PRECISION: Quality = Quality(&precision::Precision);
    /// Discernibility.
    pub const DISCERNIBILITY: Quality = Quality(&discernibility::Discernibility);
    /// Non-uniform entropy.
    pub const NON_UNIFORM_ENTROPY: Quality = Quality(&entropy::NonUniformEntropy);

    /// Every measure.
    pub fn all() -> impl Iterator<Item = Quality> {
        MEASURES.iter().map(|m| Quality(*m))
    }

    /// The measure named `name` (or one of its aliases).
    pub fn parse(name: &str) -> Option<Quality> {
        Quality::all().find(|q| q.0.name() == name || q.0.aliases().contains(&name))
    }

    /// Its name in rule files and reports.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The measure.
    pub fn measure(self) -> &'static dyn Measure {
        self.0
    }
}

impl Default for Quality {
    fn default() -> Self {
        Quality(MEASURES[0])
    }
}

impl PartialEq for Quality {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Quality {}

impl fmt::Debug for Quality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Quality {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// What a measure may read about the problem.
pub struct Context {
    /// Records in the input.
    pub n: f64,
    /// One entry per quasi-identifier.
    pub attributes: Vec<Attribute>,
}

/// One quasi-identifier as the measures see it.
pub struct Attribute {
    /// Weight (default 1).
    pub weight: f64,
    /// Highest level of its hierarchy.
    pub max_level: usize,
    /// Size of the domain ARX's "Loss" measures shares against.
    pub loss_domain: usize,
    /// `share[level][code]`: the share of the domain a value covers.
    pub share: Vec<Vec<f64>>,
    /// `freq[level][code]`: records showing the value at that level (the input's).
    pub freq: Vec<Vec<u64>>,
    /// -Σ over records of log2 of the frequency of the record's level-0 value.
    pub log_freq0: f64,
}

impl Context {
    /// The context of quasi-identifiers given as `(level-0 codes, hierarchy, weight)` over `n`
    /// records; each row stands for `counts[i]` records when given.
    pub fn new(n: usize, attributes: &[(&[u32], &Hierarchy, f64)], counts: Option<&[u32]>) -> Context {
        let attributes = attributes
            .iter()
            .map(|(codes, h, weight)| {
                let freq0 = histogram(codes, counts, h.domain());
                let log_freq0 =
                    -freq0.iter().map(|f| if *f > 0 { *f as f64 * (*f as f64).log2() } else { 0.0 }).sum::<f64>();
                let freq = (0..h.levels())
                    .map(|l| {
                        let mut f = vec![0u64; h.labels[l].len()];
                        for (c0, n0) in freq0.iter().enumerate() {
                            f[h.up[l][c0] as usize] += n0;
                        }
                        f
                    })
                    .collect();
                Attribute {
                    weight: *weight,
                    max_level: h.max_level(),
                    loss_domain: h.loss_domain,
                    share: h.share.clone(),
                    freq,
                    log_freq0,
                }
            })
            .collect();
        Context { n: n as f64, attributes }
    }

    /// The sum of the weights (never zero).
    pub fn weight_sum(&self) -> f64 {
        self.attributes.iter().map(|a| a.weight).sum::<f64>().max(f64::MIN_POSITIVE)
    }
}

/// Records per code: `codes` counted (each row `counts[i]` times when given) into `domain`
/// cells. Four partial counts, a row in four to each, so that runs of one code do not wait on
/// one counter.
pub(crate) fn histogram(codes: &[u32], counts: Option<&[u32]>, domain: usize) -> Vec<u64> {
    let mut part = vec![[0u64; 4]; domain];
    match counts {
        None => {
            let quads = codes.chunks_exact(4);
            for c in quads.remainder() {
                part[*c as usize][0] += 1;
            }
            for q in quads {
                for (j, c) in q.iter().enumerate() {
                    part[*c as usize][j] += 1;
                }
            }
        }
        Some(k) => {
            for (j, (c, k)) in codes.iter().zip(k).enumerate() {
                part[*c as usize][j & 3] += u64::from(*k);
            }
        }
    }
    part.iter().map(|p| p.iter().sum()).collect()
}

/// One node's summary: the input of every measure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sums {
    /// Per attribute, the sum over records of the measure's cell cost.
    pub cells: Vec<f64>,
    /// Sum of squared sizes of the kept classes.
    pub squares: f64,
    /// Records suppressed.
    pub suppressed: u64,
}

/// A measure's cell costs over one problem, precomputed.
pub struct Costs {
    /// The measure.
    pub quality: Quality,
    /// The problem as the measure sees it.
    pub context: Context,
    /// `cell[a][level][code]`.
    pub cell: Vec<Vec<Vec<f64>>>,
    /// A suppressed record's cost per attribute.
    pub suppressed: Vec<f64>,
}

impl Costs {
    /// Precompute `quality`'s costs over `context`.
    pub fn new(quality: Quality, context: Context) -> Costs {
        let m = quality.measure();
        let cell = context
            .attributes
            .iter()
            .enumerate()
            .map(|(a, at)| {
                at.freq
                    .iter()
                    .enumerate()
                    .map(|(l, f)| (0..f.len()).map(|c| m.cell(&context, a, l, c)).collect())
                    .collect()
            })
            .collect();
        let suppressed = (0..context.attributes.len()).map(|a| m.suppressed_cell(&context, a)).collect();
        Costs { quality, context, cell, suppressed }
    }

    /// Empty sums for this problem.
    pub fn sums(&self) -> Sums {
        Sums { cells: vec![0.0; self.cell.len()], squares: 0.0, suppressed: 0 }
    }

    /// Add a kept class of `size` records showing `codes[a]` at `levels[a]`.
    pub fn add_class(&self, sums: &mut Sums, size: f64, levels: impl Iterator<Item = (usize, usize)>) {
        for (a, (level, code)) in levels.enumerate() {
            sums.cells[a] += size * self.cell[a][level][code];
        }
        sums.squares += size * size;
    }

    /// Add `records` suppressed records.
    pub fn add_suppressed(&self, sums: &mut Sums, records: u64) {
        sums.suppressed += records;
        for (cell, cost) in sums.cells.iter_mut().zip(&self.suppressed) {
            *cell += records as f64 * cost;
        }
    }

    /// The measure of a node from its sums.
    pub fn value(&self, sums: &Sums) -> f64 {
        self.quality.measure().value(sums, &self.context)
    }

    /// Per attribute and level, the attribute's sum when nothing is suppressed: the separable
    /// part of the lower bound.
    pub fn separable(&self) -> Vec<Vec<f64>> {
        self.context
            .attributes
            .iter()
            .zip(&self.cell)
            .map(|(at, cost)| {
                (0..at.freq.len()).map(|l| at.freq[l].iter().zip(&cost[l]).map(|(f, c)| *f as f64 * c).sum()).collect()
            })
            .collect()
    }

    /// The lower bound at `levels` from [`Costs::separable`]'s table.
    pub fn lower_bound(&self, separable: &[Vec<f64>], levels: &[u8]) -> f64 {
        self.lower_bound_in(separable, levels, &mut Sums::default())
    }

    /// Per attribute and level, the term of an additive lower bound (see
    /// [`Measure::additive_bound`]) and the function that finishes it; `None` when the measure's
    /// bound is not additive.
    pub fn additive_bound(&self, separable: &[Vec<f64>]) -> Option<AdditiveBound> {
        let add = self.quality.measure().additive_bound()?;
        let terms = separable
            .iter()
            .enumerate()
            .map(|(a, sums)| sums.iter().map(|s| (add.term)(&self.context, a, *s)).collect())
            .collect();
        Some(AdditiveBound { terms, finish: add.finish })
    }

    /// [`Costs::lower_bound`] with `sums` as scratch space (no allocation per node).
    pub fn lower_bound_in(&self, separable: &[Vec<f64>], levels: &[u8], sums: &mut Sums) -> f64 {
        sums.cells.clear();
        sums.cells.extend(separable.iter().zip(levels).map(|(s, l)| s[*l as usize]));
        sums.squares = self.context.n;
        sums.suppressed = 0;
        self.quality.measure().lower_bound(sums, &self.context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for q in Quality::all() {
            assert!(seen.insert(q.name()));
            assert_eq!(Quality::parse(q.name()), Some(q));
            assert!(!q.measure().doc().is_empty());
        }
        assert_eq!(Quality::parse("non_uniform_entropy"), Some(Quality::NON_UNIFORM_ENTROPY));
        assert_eq!(Quality::default(), Quality::LOSS);
        assert_eq!(Quality::parse("nope"), None);
    }

    /// Every measure's bound is its value on the untouched table (level 0, classes of one,
    /// nothing suppressed), grows with the level, and every record suppressed is worth 1.
    #[test]
    fn every_measure_is_bounded_and_spans_to_one() {
        let h = Hierarchy::from_rows("a", &[vec!["1".into(), "*".into()], vec!["2".into(), "*".into()]]).unwrap();
        let codes = [0u32, 1, 0, 1];
        for q in Quality::all() {
            let costs = Costs::new(q, Context::new(4, &[(&codes, &h, 1.0)], None));
            let mut s = costs.sums();
            for c in codes {
                costs.add_class(&mut s, 1.0, std::iter::once((0, c as usize)));
            }
            let separable = costs.separable();
            let bound0 = costs.lower_bound(&separable, &[0]);
            assert!((costs.value(&s) - bound0).abs() < 1e-12, "{}: {} vs {bound0}", q.name(), costs.value(&s));
            assert!(costs.lower_bound(&separable, &[1]) >= bound0, "{}", q.name());
            // An additive bound is the bound itself, to the bit (the search orders nodes by it).
            if let Some(add) = costs.additive_bound(&separable) {
                for level in 0..2u8 {
                    let b = add.at(&[level]);
                    assert_eq!(b.to_bits(), costs.lower_bound(&separable, &[level]).to_bits(), "{}", q.name());
                }
            }
            let mut s = costs.sums();
            costs.add_suppressed(&mut s, 4);
            assert!((costs.value(&s) - 1.0).abs() < 1e-12, "{}: {}", q.name(), costs.value(&s));
        }
    }

    /// The four-way histogram counts what one counter counts, with and without row counts.
    #[test]
    fn histogram_counts_every_row() {
        let codes: Vec<u32> = (0..1003u32).map(|i| (i * i + 7 * i) % 13 % 5).collect();
        let counts: Vec<u32> = (0..1003u32).map(|i| 1 + i % 4).collect();
        for weighted in [None, Some(counts.as_slice())] {
            let mut expected = vec![0u64; 6];
            for (i, c) in codes.iter().enumerate() {
                expected[*c as usize] += weighted.map_or(1, |w| u64::from(w[i]));
            }
            assert_eq!(histogram(&codes, weighted, 6), expected);
        }
    }
}
