//! What rank swapping and PRAM did, in the perturbed columns' section: the strata and the
//! records left unswapped, the rank distances; PRAM's form, the distribution before and after,
//! and a stated transition matrix (up to [`MAX_SHOWN`] categories; report.json has it whole).

use crate::render::{Block, Lang};

/// The most categories whose distribution or matrix the report shows.
const MAX_SHOWN: usize = 30;

/// A share as a percentage, to two places.
fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// The rows of the measures table for a swap or PRAM.
pub(super) fn rows(p: &tokumei_report::Perturbed, lang: Lang, rows: &mut Vec<Vec<String>>) {
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    if let Some(s) = &p.swap {
        if s.top_coded + s.bottom_coded > 0 {
            rows.push(vec![
                t("交換の前にトップ・ボトムコーディングしたレコード", "records top and bottom coded before swapping"),
                format!("{}, {}", s.top_coded, s.bottom_coded),
            ]);
        }
        rows.push(vec![t("交換したレコード", "records swapped"), s.swapped.to_string()]);
        rows.push(vec![
            t("交換相手との順位の差（平均・最大）", "rank distance to the partner (mean, largest)"),
            format!("{:.1}, {}", s.mean_rank_distance, s.max_rank_distance),
        ]);
        rows.push(vec![t("層", "strata"), s.strata.to_string()]);
        rows.push(vec![
            t("交換しなかったレコード（うち1件だけの層）", "records left unswapped (strata of one record)"),
            format!("{} ({})", s.unswapped, s.strata_alone),
        ]);
    }
    if let Some(r) = &p.pram {
        let form = match (r.form.as_str(), lang) {
            ("invariant", Lang::Ja) => "分布不変（出力の分布は入力と完全に一致）".to_string(),
            ("invariant", _) => "invariant (the released distribution is exactly the input's)".into(),
            ("keep", Lang::Ja) => "保持確率（他の区分へは等確率。分布は保たれない）".into(),
            ("keep", _) => "keep (other categories equally likely; the distribution is not kept)".into(),
            ("matrix", Lang::Ja) => "定めた遷移確率行列（分布は保たれない）".into(),
            ("matrix", _) => "stated matrix (the distribution is not kept)".into(),
            (_, Lang::Ja) => "定めた行列の分布不変化（Gouweleeuw R = P·Q。分布は期待値で保たれる）".into(),
            _ => "stated matrix made invariant (Gouweleeuw R = P·Q: the distribution is kept in expectation)".into(),
        };
        rows.push(vec![t("形式", "form"), form]);
        if let Some(k) = r.keep {
            rows.push(vec![t("区分を保つ確率", "probability of keeping a category"), format!("{k}")]);
        }
        rows.push(vec![t("区分の数・層", "categories, strata"), format!("{}, {}", r.categories.len(), r.strata)]);
        if let Some(e) = r.expected_changed {
            rows.push(vec![
                t("区分が変わると見込まれるレコードの割合", "expected share of records whose category changes"),
                format!("{:.2} %", e * 100.0),
            ]);
        }
        rows.push(vec![
            t("区分の割合の最大の変化", "largest change of a category's share"),
            format!("{:.2} pt", r.largest_share_change * 100.0),
        ]);
    }
}

/// PRAM's distribution before and after, and a stated matrix, up to [`MAX_SHOWN`] categories.
pub(super) fn tables(p: &tokumei_report::Perturbed, lang: Lang, b: &mut Vec<Block>) {
    let Some(r) = &p.pram else { return };
    let t = |ja: &str, en: &str| lang.pick(ja, en).to_string();
    let shown = r.categories.len().min(MAX_SHOWN);
    if r.categories.len() > MAX_SHOWN {
        let ja = format!("区分が多いため、最初の{MAX_SHOWN}区分だけを示します（report.json に全体があります）。");
        let en = format!("There are many categories: the first {MAX_SHOWN} are shown (report.json has them all).");
        b.push(Block::Para(lang.pick(&ja, &en).to_string()));
    }
    let rows = (0..shown)
        .map(|i| {
            let at = |v: &[f64]| v.get(i).copied().map_or_else(String::new, pct);
            vec![r.categories[i].clone(), at(&r.marginal), at(&r.released)]
        })
        .collect();
    b.push(Block::Table { head: vec![t("区分", "category"), t("前", "before"), t("後", "after")], rows });
    if r.matrix.is_empty() {
        return;
    }
    b.push(Block::Para(t(
        "適用した遷移確率行列（行：元の区分、列：出力の区分）",
        "The transition matrix applied (rows: the category a record had; columns: the one it may be given)",
    )));
    let mut head = vec![String::new()];
    head.extend(r.categories[..shown].iter().cloned());
    let rows = r.matrix[..shown.min(r.matrix.len())]
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut cells = vec![r.categories[i].clone()];
            cells.extend(row.iter().take(shown).map(|x| format!("{x:.3}")));
            cells
        })
        .collect();
    b.push(Block::Table { head, rows });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_categories_are_cut_at_30_in_the_tables() {
        let k = 40;
        let r = tokumei_report::Randomised {
            form: "matrix".into(),
            categories: (0..k).map(|i| format!("c{i}")).collect(),
            marginal: vec![1.0 / k as f64; k],
            released: vec![1.0 / k as f64; k],
            matrix: (0..k).map(|i| (0..k).map(|j| f64::from(u8::from(i == j))).collect()).collect(),
            strata: 1,
            ..Default::default()
        };
        let p = tokumei_report::Perturbed {
            column: "a".into(),
            output: "a".into(),
            technique: "pram".into(),
            settings: Vec::new(),
            description: String::new(),
            description_ja: String::new(),
            method: None,
            records: 10,
            records_changed: 0,
            mean_abs_change: None,
            sd_before: None,
            sd_after: None,
            groups: None,
            smallest_group: None,
            smallest_group_people: None,
            smallest_released: None,
            clamped: None,
            nulled: 0,
            swap: None,
            pram: Some(r),
        };
        let mut b = Vec::new();
        tables(&p, Lang::En, &mut b);
        let tables: Vec<(usize, usize)> = b
            .iter()
            .filter_map(|x| match x {
                Block::Table { head, rows } => Some((head.len(), rows.len())),
                _ => None,
            })
            .collect();
        assert_eq!(tables, vec![(3, 30), (31, 30)], "the shares and the matrix, 30 categories each");
        assert!(matches!(&b[0], Block::Para(t) if t.contains("report.json has them all")));
        let mut rows = Vec::new();
        super::rows(&p, Lang::Ja, &mut rows);
        assert!(rows.iter().any(|r| r[0] == "形式" && r[1].contains("定めた遷移確率行列")), "{rows:?}");
    }
}
