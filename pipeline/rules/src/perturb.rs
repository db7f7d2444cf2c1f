//! The perturbative actions as validated: microaggregation, noise, swapping and PRAM (the
//! techniques sdcMicro users know: `microaggregation`, `addNoise`, `rankSwap`, `pram`). Each
//! works on a whole column (or several) at once, in the run's perturbation stage, after every
//! row is read and before the privacy models judge the released values.

/// What a microaggregated group's records get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// The group's mean.
    Mean,
    /// The group's median.
    Median,
}

impl Aggregate {
    /// As written in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregate::Mean => "mean",
            Aggregate::Median => "median",
        }
    }

    /// In Japanese.
    pub fn ja(self) -> &'static str {
        match self {
            Aggregate::Mean => "平均",
            Aggregate::Median => "中央値",
        }
    }
}

/// How records are grouped for multivariate microaggregation (univariate is always sort-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MicroMethod {
    /// MDAV up to [`MDAV_MAX_RECORDS`] records, else `sort`.
    Auto,
    /// sdcMicro's MDAV (maximum distance to average vector) on standardised columns: exact,
    /// O(n²/k).
    Mdav,
    /// Records ordered by their projection on the first principal component of the
    /// standardised columns (sdcMicro's "pca"), then grouped consecutively.
    Sort,
}

/// The most records MDAV takes (its cost grows with the square of the records).
pub const MDAV_MAX_RECORDS: usize = 200_000;

impl MicroMethod {
    /// As written in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            MicroMethod::Auto => "auto",
            MicroMethod::Mdav => "mdav",
            MicroMethod::Sort => "sort",
        }
    }
}

/// `microaggregate`: records grouped by their values, each value replaced by its group's mean or
/// median.
#[derive(Debug, Clone, PartialEq)]
pub struct Microaggregation {
    /// Fewest records per group.
    pub group_size: u32,
    /// Mean or median.
    pub aggregate: Aggregate,
    /// Name of the columns microaggregated jointly with this one.
    pub together: Option<String>,
    /// Grouping of a joint microaggregation.
    pub method: MicroMethod,
}

/// Additive or multiplicative noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseKind {
    /// value + e, e ~ N(0, (scale·sd)²).
    Additive,
    /// value·(1 + e), e ~ N(0, scale²).
    Multiplicative,
}

impl NoiseKind {
    /// As written in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            NoiseKind::Additive => "additive",
            NoiseKind::Multiplicative => "multiplicative",
        }
    }
}

/// `noise`: random noise added to (or multiplied into) each value.
#[derive(Debug, Clone, PartialEq)]
pub struct Noise {
    /// Additive or multiplicative.
    pub kind: NoiseKind,
    /// The noise's size (share of the column's standard deviation, or of the value).
    pub scale: f64,
    /// Name of the columns given correlated noise together with this one (additive only).
    pub together: Option<String>,
    /// Multiple a noised value is rounded to (days for dates).
    pub round: f64,
    /// Smallest value allowed (days since 1970-01-01 for dates); `None`: the default (0 for a
    /// column with no negative value, the input's smallest date for dates).
    pub min: Option<f64>,
    /// Largest value allowed; `None`: none (the input's largest date for dates).
    pub max: Option<f64>,
}

/// `swap`: rank swapping (sdcMicro `rankSwap`): values exchanged between records whose ranks
/// differ by at most `window` percent of the records.
#[derive(Debug, Clone, PartialEq)]
pub struct Swap {
    /// Percent of the records (0 < window <= 50).
    pub window: f64,
    /// Input names of the columns whose released values bound the swaps.
    pub within: Vec<String>,
    /// Top code (days since 1970-01-01 for dates): values above it become it before swapping.
    pub top: Option<f64>,
    /// Bottom code: values below it become it before swapping.
    pub bottom: Option<f64>,
}

/// One cell of a stated PRAM transition matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// Category a record has.
    pub from: String,
    /// Category it may be given.
    pub to: String,
    /// Probability.
    pub p: f64,
}

/// `pram`: each record's category replaced at random by the post-randomisation method.
#[derive(Debug, Clone, PartialEq)]
pub struct Pram {
    /// Probability a record keeps its category (without a stated matrix).
    pub keep: f64,
    /// Whether the column's distribution is kept: exactly for the keep form, in expectation for
    /// a stated matrix (invariant PRAM).
    pub invariant: bool,
    /// Input names of the columns whose released values bound the randomisation.
    pub within: Vec<String>,
    /// A stated transition matrix (rows sum to 1).
    pub matrix: Option<Vec<Transition>>,
}

/// A perturbative action.
#[derive(Debug, Clone, PartialEq)]
pub enum Perturbation {
    /// Microaggregation.
    Microaggregate(Microaggregation),
    /// Noise.
    Noise(Noise),
    /// Rank swapping.
    Swap(Swap),
    /// PRAM.
    Pram(Pram),
}

fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

/// `1 - p` as a person reads it: 1 - 0.9 is 0.1, not 0.09999999999999998 (12 decimals).
fn complement(p: f64) -> f64 {
    ((1.0 - p) * 1e12).round() / 1e12
}

impl Perturbation {
    /// Name as written in rule files.
    pub fn name(&self) -> &'static str {
        match self {
            Perturbation::Microaggregate(_) => "microaggregate",
            Perturbation::Noise(_) => "noise",
            Perturbation::Swap(_) => "swap",
            Perturbation::Pram(_) => "pram",
        }
    }

    /// The `together` name of a joint perturbation.
    pub fn together(&self) -> Option<&str> {
        match self {
            Perturbation::Microaggregate(m) => m.together.as_deref(),
            Perturbation::Noise(n) => n.together.as_deref(),
            _ => None,
        }
    }

    /// The columns (input names) whose released values bound it.
    pub fn within(&self) -> &[String] {
        match self {
            Perturbation::Swap(s) => &s.within,
            Perturbation::Pram(p) => &p.within,
            _ => &[],
        }
    }

    /// Its settings as written, for reports: `(option, value)`.
    pub fn settings(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = Vec::new();
        let mut put = |k: &str, x: String| v.push((k.to_string(), x));
        match self {
            Perturbation::Microaggregate(m) => {
                put("group_size", m.group_size.to_string());
                put("aggregate", m.aggregate.as_str().into());
                if let Some(t) = &m.together {
                    put("together", t.clone());
                    put("method", m.method.as_str().into());
                }
            }
            Perturbation::Noise(n) => {
                put("kind", n.kind.as_str().into());
                put("scale", num(n.scale));
                if let Some(t) = &n.together {
                    put("together", t.clone());
                }
                put("round", num(n.round));
                if let Some(x) = n.min {
                    put("min", num(x));
                }
                if let Some(x) = n.max {
                    put("max", num(x));
                }
            }
            Perturbation::Swap(s) => {
                put("window", num(s.window));
                if !s.within.is_empty() {
                    put("within", s.within.join(", "));
                }
                if let Some(x) = s.top {
                    put("top", num(x));
                }
                if let Some(x) = s.bottom {
                    put("bottom", num(x));
                }
            }
            Perturbation::Pram(p) => {
                match &p.matrix {
                    Some(_) => put("matrix_file", "stated".into()),
                    None => put("keep", num(p.keep)),
                }
                put("invariant", p.invariant.to_string());
                if !p.within.is_empty() {
                    put("within", p.within.join(", "));
                }
            }
        }
        v
    }

    /// Human description in English.
    pub fn describe(&self) -> String {
        match self {
            Perturbation::Microaggregate(m) => {
                let joint = m.together.as_ref().map_or(String::new(), |t| format!(", jointly with the columns `{t}`"));
                format!(
                    "microaggregation: groups of at least {} records with similar values, each value replaced by its group's {}{joint}",
                    m.group_size,
                    m.aggregate.as_str()
                )
            }
            Perturbation::Noise(n) => match n.kind {
                NoiseKind::Additive => format!(
                    "noise addition: normal noise with a standard deviation of {} times the column's{}",
                    num(n.scale),
                    n.together.as_ref().map_or(String::new(), |t| format!(", correlated over the columns `{t}`"))
                ),
                NoiseKind::Multiplicative => {
                    format!(
                        "multiplicative noise: each value multiplied by 1 + e, e normal with standard deviation {}",
                        num(n.scale)
                    )
                }
            },
            Perturbation::Swap(s) => {
                let coded = match (s.top.is_some(), s.bottom.is_some()) {
                    (false, false) => "",
                    (true, false) => ", after top coding",
                    (false, true) => ", after bottom coding",
                    (true, true) => ", after top and bottom coding",
                };
                format!(
                    "rank swapping: values exchanged between records whose ranks differ by at most {}% of the records{coded}",
                    num(s.window)
                )
            }
            Perturbation::Pram(p) => match (&p.matrix, p.invariant) {
                (Some(_), inv) => format!(
                    "PRAM: categories changed at random by a stated transition matrix{}",
                    if inv { " (invariant)" } else { "" }
                ),
                (None, true) => format!(
                    "PRAM (invariant): each record is redrawn with probability {}, the redrawn records' categories shuffled among them (a record may draw its own back), so every category's count is kept exactly",
                    num(complement(p.keep))
                ),
                (None, false) => format!(
                    "PRAM: each record keeps its category with probability {}, else gets one of the other categories at random",
                    num(p.keep)
                ),
            },
        }
    }

    /// Human description in Japanese.
    pub fn describe_ja(&self) -> String {
        match self {
            Perturbation::Microaggregate(m) => format!(
                "ミクロアグリゲーション：値の近い{}件以上のグループごとに値をグループの{}に置換{}",
                m.group_size,
                m.aggregate.ja(),
                m.together.as_ref().map_or(String::new(), |t| format!("（`{t}` の列と同時に）"))
            ),
            Perturbation::Noise(n) => match n.kind {
                NoiseKind::Additive => format!(
                    "ノイズ（誤差）付加：列の標準偏差の{}倍の標準偏差を持つ正規分布の誤差を加算{}",
                    num(n.scale),
                    n.together.as_ref().map_or(String::new(), |t| format!("（`{t}` の列と相関を保って）"))
                ),
                NoiseKind::Multiplicative => {
                    format!("ノイズ（誤差）付加（乗法）：値に 1 + e（e は標準偏差{}の正規分布）を乗じる", num(n.scale))
                }
            },
            Perturbation::Swap(s) => {
                let coded = match (s.top.is_some(), s.bottom.is_some()) {
                    (false, false) => "",
                    (true, false) => "（トップコーディングの後）",
                    (false, true) => "（ボトムコーディングの後）",
                    (true, true) => "（トップ・ボトムコーディングの後）",
                };
                format!(
                    "データ交換（ランクスワッピング）：順位の差が全件の{}%以内のレコード間で値を交換{coded}",
                    num(s.window)
                )
            }
            Perturbation::Pram(p) => match &p.matrix {
                Some(_) => format!(
                    "PRAM：定めた遷移確率行列により区分を確率的に置換{}",
                    if p.invariant { "（分布不変）" } else { "" }
                ),
                None if p.invariant => format!(
                    "PRAM（分布不変）：確率{}で選んだレコードの区分をそれらの間で入れ替え（元の区分に戻ることもある）、各区分の件数をそのまま保つ",
                    num(complement(p.keep))
                ),
                None => format!("PRAM：確率{}で区分をそのままとし、それ以外は他の区分に確率的に置換", num(p.keep)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redraw_probabilities_read_as_written() {
        assert_eq!(num(complement(0.9)), "0.1");
        assert_eq!(num(complement(0.75)), "0.25");
        assert_eq!(num(complement(1.0)), "0");
    }
}
