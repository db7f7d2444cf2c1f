//! Processing standard 4 from the data (規則62条4号, 特異な記述等): the two ends of every released
//! ordered column (numbers, dates, ranges), counted over the released records after every
//! coding. Values that fewer than k people (records, when each is one person) share at either
//! end are outliers whatever the rules say; the k-th largest (smallest) value is the top
//! (bottom) code that would close that end. `top`/`bottom = "auto"` of `top_bottom_code` is
//! computed the same way ([`cap`]).

use serde::Serialize;

/// One value of an ordered column in the release (values in ascending order), with who holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// The value as released (a number, a date, or a range label).
    pub label: String,
    /// The range it stands for (days for dates), when known.
    pub lo: Option<i64>,
    /// Upper end of the range.
    pub hi: Option<i64>,
    /// Released records holding it.
    pub records: u64,
    /// People whose largest released value of the column it is (its records, when each record
    /// is a person).
    pub top_people: u64,
    /// People whose smallest released value of the column it is.
    pub bottom_people: u64,
}

/// Which end of an ordered column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum End {
    /// The largest values.
    Top,
    /// The smallest values.
    Bottom,
}

impl End {
    /// `top` or `bottom`, as rule files name the option.
    pub fn key(self) -> &'static str {
        match self {
            End::Top => "top",
            End::Bottom => "bottom",
        }
    }
}

/// One end of an ordered column that fewer than k people share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tail {
    /// Which end.
    pub end: End,
    /// Distinct released values beyond the k-th.
    pub values: u64,
    /// Released records holding them.
    pub records: u64,
    /// People holding them (fewer than k).
    pub people: u64,
    /// The k-th largest (top) or smallest (bottom) value, when at least k people hold a value.
    pub kth: Option<String>,
    /// The rule that would close this end (e.g. `top = 1200000`), when the column's action
    /// takes one.
    pub fix: Option<String>,
}

/// The ends of one released ordered column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndsCheck {
    /// Input column.
    pub column: String,
    /// Output column.
    pub output: String,
    /// People (records) holding the largest value, and the smallest: at least k each when the
    /// column passes.
    pub top_held: u64,
    /// People holding the smallest value.
    pub bottom_held: u64,
    /// The ends fewer than k people share (empty when the column passes).
    pub tails: Vec<Tail>,
    /// Codes computed by `"auto"`: `(end, value)`.
    pub auto: Vec<(End, i64)>,
}

/// The ends of `values` (ascending) that fewer than `k` people share.
pub fn tails(values: &[Ranked], k: u64) -> Vec<Tail> {
    let mut out = Vec::new();
    if values.is_empty() || k < 2 {
        return out;
    }
    for end in [End::Top, End::Bottom] {
        // From the end inwards: the first value at which k people hold it or a value beyond.
        let order: Vec<usize> = match end {
            End::Top => (0..values.len()).rev().collect(),
            End::Bottom => (0..values.len()).collect(),
        };
        let people = |i: usize| match end {
            End::Top => values[i].top_people,
            End::Bottom => values[i].bottom_people,
        };
        let mut held = 0u64;
        let mut kth = None;
        for (n, &i) in order.iter().enumerate() {
            held += people(i);
            if held >= k {
                kth = Some(n);
                break;
            }
        }
        let beyond = match kth {
            Some(0) => continue,
            Some(n) => &order[..n],
            None => &order[..],
        };
        out.push(Tail {
            end,
            values: beyond.len() as u64,
            records: beyond.iter().map(|i| values[*i].records).sum(),
            people: beyond.iter().map(|i| people(*i)).sum(),
            kth: kth.map(|n| values[order[n]].label.clone()),
            fix: None,
        });
    }
    out
}

/// The people holding the value at each end (the largest, the smallest).
pub fn held(values: &[Ranked]) -> (u64, u64) {
    (values.last().map_or(0, |v| v.top_people), values.first().map_or(0, |v| v.bottom_people))
}

/// The code `"auto"` computes for one end of a column of whole numbers: the k-th largest (top)
/// or smallest (bottom) value, so that at least k people hold it or a value beyond it, which
/// are all coded as it. `values` are `(value, people whose largest value it is, people whose
/// smallest value it is)` in ascending order. `None` when fewer than k people hold any value.
pub fn cap(values: &[(i64, u64, u64)], k: u64, end: End) -> Option<i64> {
    let mut held = 0u64;
    let mut pick = |&(v, top, bottom): &(i64, u64, u64)| {
        held += if end == End::Top { top } else { bottom };
        (held >= k.max(1)).then_some(v)
    };
    match end {
        End::Top => values.iter().rev().find_map(&mut pick),
        End::Bottom => values.iter().find_map(&mut pick),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(v: &[(i64, u64)]) -> Vec<Ranked> {
        v.iter()
            .map(|(x, n)| Ranked {
                label: x.to_string(),
                lo: Some(*x),
                hi: Some(*x),
                records: *n,
                top_people: *n,
                bottom_people: *n,
            })
            .collect()
    }

    /// 規則62条4号: a top code above the data leaves each large value to one person: the end
    /// fails with its count and the 5th largest value as the code that closes it.
    #[test]
    fn a_top_code_above_the_data_leaves_a_tail_rule_62_4() {
        let mut v: Vec<(i64, u64)> = (1..=20).map(|x| (x * 100, 10)).collect();
        v.extend([(5000, 1), (6000, 1), (7000, 2), (9000, 1), (15000, 1)]);
        let t = tails(&ranked(&v), 5);
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(t[0].end, End::Top);
        assert_eq!((t[0].values, t[0].records, t[0].people), (3, 4, 4));
        assert_eq!(t[0].kth.as_deref(), Some("6000"), "15000, 9000, 7000, 7000, then 6000: the 5th largest");
        assert_eq!(cap(&v.iter().map(|(x, n)| (*x, *n, *n)).collect::<Vec<_>>(), 5, End::Top), Some(6000));
    }

    #[test]
    fn ends_held_by_k_pass_and_a_rare_bottom_fails() {
        assert!(tails(&ranked(&[(0, 5), (3, 1), (9, 5)]), 5).is_empty(), "a rare middle value is no end");
        let t = tails(&ranked(&[(-40, 1), (-3, 1), (0, 9), (9, 5)]), 5);
        assert_eq!(t.len(), 1);
        assert_eq!((t[0].end, t[0].values, t[0].people), (End::Bottom, 2, 2));
        assert_eq!(t[0].kth.as_deref(), Some("0"));
        assert_eq!(held(&ranked(&[(0, 5), (9, 6)])), (6, 5));
    }

    /// Fewer than k people in the whole column: both ends are every value, with no code that
    /// could close them.
    #[test]
    fn fewer_than_k_people_in_all_leave_no_code() {
        let t = tails(&ranked(&[(1, 1), (2, 2)]), 5);
        assert_eq!(t.len(), 2);
        assert!(t.iter().all(|t| t.kth.is_none() && t.values == 2 && t.people == 3));
        assert_eq!(cap(&[(1, 1, 1), (2, 2, 2)], 5, End::Top), None);
        assert!(tails(&[], 5).is_empty() && tails(&ranked(&[(1, 1)]), 1).is_empty());
    }

    /// People, not records: one person with many rows of large values is one person; the people
    /// whose largest value is each value decide the top, whose smallest decide the bottom.
    #[test]
    fn people_count_once_at_each_end() {
        let v = vec![
            Ranked { label: "10".into(), lo: None, hi: None, records: 9, top_people: 0, bottom_people: 6 },
            Ranked { label: "20".into(), lo: None, hi: None, records: 6, top_people: 5, bottom_people: 0 },
            // One person holds both 30 and 40 on four rows: their largest is 40.
            Ranked { label: "30".into(), lo: None, hi: None, records: 2, top_people: 0, bottom_people: 0 },
            Ranked { label: "40".into(), lo: None, hi: None, records: 2, top_people: 1, bottom_people: 0 },
        ];
        let t = tails(&v, 5);
        assert_eq!(t.len(), 1);
        assert_eq!((t[0].values, t[0].records, t[0].people), (2, 4, 1));
        assert_eq!(t[0].kth.as_deref(), Some("20"));
        assert_eq!(cap(&[(10, 0, 6), (20, 5, 0), (30, 0, 0), (40, 1, 0)], 5, End::Top), Some(20));
        assert_eq!(cap(&[(10, 0, 6), (20, 5, 0)], 5, End::Bottom), Some(10));
    }
}
