//! The combination table (issue 33). Rows with the same code in every global dictionary column
//! are interchangeable for every privacy model: pass 1's merge gives each accepted row the id of
//! its combination of codes (one hash look-up) and writes only that id to an unnamed file in the
//! run's temporary folder (4 bytes a row on disk, a bounded buffer in memory), while each
//! dictionary's `codes` hold one code per combination, not per row, and [`Combos::weights`] each
//! combination's rows. The models count combinations weighted by their rows; [`Combos::ids`]
//! reads the rows' ids back in row order where a stage still works row by row.

use crate::privacy::Dictionary;
use crate::word_file::{new_file, read_at, write_at};
use rustc_hash::FxHashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Ids held in memory before they go to the file (4 MiB).
const IN_MEMORY: usize = 1 << 20;

/// The distinct combinations of the global columns' codes, their rows, and each row's id.
pub(crate) struct Combos {
    /// The codes of each combination (dictionaries in order) -> its id; dropped once pass 1 is
    /// done ([`Combos::seal`]).
    index: FxHashMap<Box<[u32]>, u32>,
    /// Rows of each combination.
    weights: Vec<u32>,
    /// A row's codes, looked up.
    key: Vec<u32>,
    /// Where the file goes (the system's temporary folder when `None`).
    dir: Option<PathBuf>,
    /// The ids not yet written (all of them while they fit).
    tail: Vec<u32>,
    /// The ids written, in row order, before `tail`.
    file: Option<File>,
    written: u64,
    /// Ids held in memory before the file is started (tests set it small).
    in_memory: usize,
    /// Combinations below which [`Combos::too_many`] never says so (tests set it small).
    many: u64,
    /// The rows were counted elsewhere (a cluster's class table, `crate::distributed`): each
    /// combination's rows are known, their ids are not (they stay where the rows are).
    aggregated: Option<u64>,
}

/// Combinations below which pass 1 keeps combinations however many rows they hold.
const MANY: u64 = 1 << 20;

/// Whether a run may keep combinations instead of rows: `Some(bound of ids in memory)` unless a
/// test forces the per-row path. Tests of the binary set `TOKUMEI_TEST_COMBOS` (builds with debug
/// assertions only): `rows` forces the per-row path, a number sets the ids held in memory.
pub(crate) fn allowed() -> Option<usize> {
    #[cfg(debug_assertions)]
    if let Ok(v) = std::env::var("TOKUMEI_TEST_COMBOS") {
        if v == "rows" {
            return None;
        }
        if let Ok(n) = v.parse::<usize>() {
            return Some(n.max(1));
        }
    }
    Some(IN_MEMORY)
}

/// [`MANY`], or in builds with debug assertions `TOKUMEI_TEST_COMBOS_MANY` when set.
fn many() -> u64 {
    #[cfg(debug_assertions)]
    if let Some(n) = std::env::var("TOKUMEI_TEST_COMBOS_MANY").ok().and_then(|v| v.parse().ok()) {
        return n;
    }
    MANY
}

impl Combos {
    /// No row yet; the ids' file, if they need one, goes in `dir`, past `in_memory` ids.
    pub(crate) fn new(dir: Option<&Path>, in_memory: usize) -> Combos {
        Combos {
            index: FxHashMap::default(),
            weights: Vec::new(),
            key: Vec::new(),
            dir: dir.map(Path::to_path_buf),
            tail: Vec::new(),
            file: None,
            written: 0,
            in_memory: in_memory.max(1),
            many: many(),
            aggregated: None,
        }
    }

    /// The combinations of a class table counted elsewhere: `weights[i]` rows each, no row's
    /// id (the dictionaries' `codes` are given one code per combination by the caller).
    pub(crate) fn aggregated(weights: Vec<u32>) -> Combos {
        let rows = weights.iter().map(|w| u64::from(*w)).sum();
        Combos { weights, aggregated: Some(rows), ..Combos::new(None, 1) }
    }

    /// Whether the rows were counted elsewhere (no row's id is here).
    pub(crate) fn is_aggregated(&self) -> bool {
        self.aggregated.is_some()
    }

    /// Add `rows` rows: `codes[d]` are the dictionary codes of dictionary `d`'s distinct cells in
    /// the batch and `of_row[d][r]` row `r`'s index into them. A new combination's codes are
    /// pushed to each dictionary's `codes`.
    pub(crate) fn add(
        &mut self,
        dicts: &mut [Dictionary],
        codes: &[Vec<u32>],
        of_row: &[&[u32]],
        rows: usize,
    ) -> std::io::Result<()> {
        for r in 0..rows {
            self.key.clear();
            self.key.extend(codes.iter().zip(of_row).map(|(c, i)| c[i[r] as usize]));
            let id = match self.index.get(&self.key[..]) {
                Some(id) => *id,
                None => {
                    let id = u32::try_from(self.weights.len())
                        .map_err(|_| std::io::Error::other("more than 2^32 combinations"))?;
                    self.index.insert(self.key.clone().into_boxed_slice(), id);
                    self.weights.push(0);
                    for (d, code) in dicts.iter_mut().zip(&self.key) {
                        d.codes.push(*code);
                    }
                    id
                }
            };
            let w = &mut self.weights[id as usize];
            *w = w.checked_add(1).ok_or_else(|| std::io::Error::other("more than 2^32 rows in a combination"))?;
            self.push(id)?;
        }
        Ok(())
    }

    /// One more row's id.
    fn push(&mut self, id: u32) -> std::io::Result<()> {
        if self.tail.capacity() < self.in_memory {
            self.tail.reserve_exact(self.in_memory - self.tail.len());
        }
        self.tail.push(id);
        if self.tail.len() >= self.in_memory {
            let file = match &mut self.file {
                Some(f) => f,
                slot => slot.insert(new_file(self.dir.as_deref())?),
            };
            write_at(file, &self.tail, self.written)?;
            self.written += self.tail.len() as u64;
            self.tail.clear();
        }
        Ok(())
    }

    /// Whether the combinations cost more memory than one code per row would: each holds its
    /// codes twice (the look-up's key and the dictionaries') and about 50 bytes of look-up and
    /// weight, against 4 bytes per dictionary for each row. Pass 1 then gives every row so far
    /// its codes back and goes on row by row (a column of nearly distinct values: an exact
    /// amount or date kept). Small tables never turn back (`many` combinations at least).
    pub(crate) fn too_many(&self, dictionaries: usize) -> bool {
        let combos = self.len() as u64;
        let d = dictionaries as u64;
        combos > self.many && combos * (8 * d + 50) > self.rows() * 4 * d.max(1)
    }

    /// Pass 1 is done: the look-up table is freed.
    pub(crate) fn sealed(mut self) -> Combos {
        self.index = FxHashMap::default();
        self.key = Vec::new();
        self
    }

    /// Rows of each combination.
    pub(crate) fn weights(&self) -> &[u32] {
        &self.weights
    }

    /// Number of combinations.
    pub(crate) fn len(&self) -> usize {
        self.weights.len()
    }

    /// Number of rows.
    pub(crate) fn rows(&self) -> u64 {
        self.aggregated.unwrap_or(self.written + self.tail.len() as u64)
    }

    /// The folder of its file (for an error).
    pub(crate) fn folder(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(std::env::temp_dir)
    }

    /// Every row's combination id, in row order.
    pub(crate) fn ids(&self) -> std::io::Result<Vec<u32>> {
        if self.aggregated.is_some() {
            return Err(std::io::Error::other("the rows of a class table counted elsewhere have no ids here"));
        }
        let mut all = Vec::with_capacity(self.rows() as usize);
        if let Some(f) = &self.file {
            read_at(f, 0, self.written, &mut all)?;
        }
        all.extend_from_slice(&self.tail);
        Ok(all)
    }
}

/// `of_combo` given to every row: `ids[r]` is row `r`'s combination.
pub(crate) fn to_rows<T: Copy>(of_combo: &[T], ids: &[u32]) -> Vec<T> {
    ids.iter().map(|i| of_combo[*i as usize]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of two columns given in batches: each row's codes come back from its id and its
    /// combination's codes, the weights count the rows, with the ids on disk or in memory.
    #[test]
    fn each_row_gets_its_codes_back() {
        for (n, memory) in [(0usize, 4usize), (1, 4), (1000, 7), (1000, 1 << 20), (70_000, 1000)] {
            let rows: Vec<(u32, u32)> = (0..n as u32).map(|i| (i % 7, (i * 31) % 5)).collect();
            let mut dicts = vec![Dictionary::default(), Dictionary::default()];
            let mut combos = Combos::new(None, memory);
            for batch in rows.chunks(97) {
                // The batch's distinct cells are its own codes here, in order; codes shifted by 10.
                let a: Vec<u32> = batch.iter().map(|r| r.0).collect();
                let b: Vec<u32> = batch.iter().map(|r| r.1).collect();
                let codes = vec![(10..20).collect::<Vec<u32>>(), (10..20).collect()];
                combos.add(&mut dicts, &codes, &[&a, &b], batch.len()).expect("add");
            }
            let combos = combos.sealed();
            assert_eq!(combos.rows(), n as u64);
            assert_eq!(
                combos.len(),
                if n == 0 {
                    0
                } else if n == 1 {
                    1
                } else {
                    35
                }
            );
            assert!(dicts.iter().all(|d| d.codes.len() == combos.len()));
            let ids = combos.ids().expect("ids");
            let a = to_rows(&dicts[0].codes, &ids);
            let b = to_rows(&dicts[1].codes, &ids);
            let back: Vec<(u32, u32)> = a.iter().zip(&b).map(|(x, y)| (x - 10, y - 10)).collect();
            assert_eq!(back, rows, "n={n} memory={memory}");
            let mut counted = vec![0u32; combos.len()];
            ids.iter().for_each(|i| counted[*i as usize] += 1);
            assert_eq!(counted, combos.weights());
        }
    }
}
