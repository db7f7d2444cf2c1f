//! ARX-style datasets: a `;`-separated data file with a header and one hierarchy file per
//! attribute (`<prefix><attribute>.csv`, no header, column i = level i).

use std::path::Path;
use tokumei_anon::{AnonError, Hierarchy};

/// Columns of a dataset encoded against their hierarchies.
pub struct Dataset {
    /// Attribute names, in the order asked for.
    pub names: Vec<String>,
    /// One hierarchy per attribute.
    pub hierarchies: Vec<Hierarchy>,
    /// Level-0 codes per attribute per row.
    pub codes: Vec<Vec<u32>>,
    /// Rows.
    pub n: usize,
}

fn split(line: &str, sep: char) -> Vec<String> {
    line.trim_end_matches('\r').split(sep).map(str::to_string).collect()
}

impl Dataset {
    /// Every attribute as a quasi-identifier over its whole hierarchy, weight 1.
    pub fn quasi_identifiers(&self) -> Vec<tokumei_anon::QiColumn<'_>> {
        (0..self.names.len())
            .map(|a| tokumei_anon::QiColumn {
                name: self.names[a].clone(),
                codes: &self.codes[a],
                hierarchy: &self.hierarchies[a],
                min_level: 0,
                max_level: self.hierarchies[a].max_level() as u8,
                weight: 1.0,
            })
            .collect()
    }
}

/// Load `data` and the hierarchies `dir/<prefix><attr>.csv` of `attrs`.
pub fn load(data: &Path, dir: &Path, prefix: &str, attrs: &[&str], sep: char) -> Result<Dataset, AnonError> {
    let io = |p: &Path, e: std::io::Error| AnonError::Problem(format!("cannot read {}: {e}", p.display()));
    let text = std::fs::read_to_string(data).map_err(|e| io(data, e))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = split(lines.next().ok_or_else(|| AnonError::Problem(format!("{} is empty", data.display())))?, sep);
    let cols: Vec<usize> = attrs
        .iter()
        .map(|a| {
            header
                .iter()
                .position(|h| h == a)
                .ok_or_else(|| AnonError::Problem(format!("{} has no column {a}", data.display())))
        })
        .collect::<Result<_, _>>()?;
    let mut hierarchies = Vec::new();
    for a in attrs {
        let p = dir.join(format!("{prefix}{a}.csv"));
        let t = std::fs::read_to_string(&p).map_err(|e| io(&p, e))?;
        let rows: Vec<Vec<String>> = t.lines().filter(|l| !l.trim().is_empty()).map(|l| split(l, sep)).collect();
        hierarchies.push(Hierarchy::from_rows(a, &rows)?);
    }
    let mut codes = vec![Vec::new(); attrs.len()];
    let mut n = 0;
    for (i, line) in lines.enumerate() {
        let f = split(line, sep);
        for (j, c) in cols.iter().enumerate() {
            let v = f
                .get(*c)
                .ok_or_else(|| AnonError::Problem(format!("{} line {}: too few fields", data.display(), i + 2)))?;
            let code = hierarchies[j].code(v).ok_or_else(|| {
                AnonError::Problem(format!(
                    "{} line {}: a value of {} is not in its hierarchy",
                    data.display(),
                    i + 2,
                    attrs[j]
                ))
            })?;
            codes[j].push(code);
        }
        n += 1;
    }
    Ok(Dataset { names: attrs.iter().map(|a| a.to_string()).collect(), hierarchies, codes, n })
}

/// The Adult attributes in the order of `samples/adult/README.md`.
pub const ADULT: [&str; 9] =
    ["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "occupation", "salary-class"];

/// The KDD Cup 98 ("cup") attributes of ARX's benchmarks, in their data file's column order.
pub const CUP: [&str; 8] = ["ZIP", "AGE", "GENDER", "INCOME", "STATE", "RAMNTALL", "NGIFTALL", "MINRAMNT"];

/// One of ARX's benchmark datasets: `<name>.csv` and `<name>_hierarchy_<attribute>.csv` in a
/// folder, `;`-separated.
pub struct Benchmark {
    /// File stem, e.g. `adult`.
    pub name: &'static str,
    /// Quasi-identifiers in order.
    pub attributes: &'static [&'static str],
}

impl Benchmark {
    /// Load the dataset from `dir`.
    pub fn load(&self, dir: &Path) -> Result<Dataset, AnonError> {
        let prefix = format!("{}_hierarchy_", self.name);
        load(&dir.join(format!("{}.csv", self.name)), dir, &prefix, self.attributes, ';')
    }
}

/// Adult (`samples/adult`).
pub const ADULT_SET: Benchmark = Benchmark { name: "adult", attributes: &ADULT };

/// KDD Cup 98 as ARX's benchmarks use it (not shipped: see docs/benchmarks.md).
pub const CUP_SET: Benchmark = Benchmark { name: "cup", attributes: &CUP };
